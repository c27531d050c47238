//! Reading `roles.yaml`: text → spanned node tree (`yaml`) → raw config (`raw`), which still
//! says where every value was written. Nothing here decides what the file means; that is
//! `model`'s job.

pub mod raw;
pub mod schema;
pub mod yaml;

use crate::diag::Diagnostic;
pub use raw::Raw;

/// Parses and walks a roles file. Shape errors are pushed to `diags`; the raw config holds
/// whatever could be read, so that the model can still report its own errors in the same run.
pub fn read<'a>(text: &'a str, diags: &mut Vec<Diagnostic>) -> Option<Raw<'a>> {
    match yaml::parse(text) {
        Ok(node) => Some(raw::walk(&node, diags)),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}
