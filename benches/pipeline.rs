//! Placeholder replaced by the benchmark of parse + validate + generate.
fn main() {}
