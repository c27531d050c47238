//! rolegen: one `roles.yaml` (Cognito groups, OAuth scopes, API routes) → everything AWS needs
//! to enforce who may call which route, and checks that what is deployed still matches it.
//!
//! The tree follows the pipeline: `config` (the file as written, with spans) → `model` (the
//! resolved access model; `yaml` is the YAML reader it and `apidef` share) → `gen` (one module per target) → `cmd` (the commands) → `main.rs`.

// Output goes through `console`, whose writes return errors: `print!` panics when stdout is
// a closed pipe or a full disk.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod apidef;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod console;
pub mod cost;
pub mod diag;
pub mod r#gen;
pub mod markdown;
pub mod model;
pub mod report;
pub mod yaml;
