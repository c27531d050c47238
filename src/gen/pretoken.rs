//! The pre-token-generation V2 trigger of the `cognito-scopes` strategy: a Node.js 22 handler
//! with the group → scopes table embedded, so that Cognito puts into each access token the
//! scopes the access model gives the user's groups.

use super::Files;
use super::text::{js_literal, render};
use crate::diag::Diagnostic;
use crate::model::Model;

pub const HANDLER: &str = "pretoken/index.mjs";

pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    // Groups are sorted by name in the model, and each group's scopes by full name.
    let table: Vec<(&str, Vec<&str>)> = model
        .group_ids()
        .map(|g| (model.group(g).name.as_str(), model.full_scopes_of(g)))
        .collect();
    let mut managed: Vec<&str> = model.scopes.iter().map(|s| s.full_name.as_str()).collect();
    managed.sort_unstable();
    let code = render(
        "pretoken.mjs.j2",
        minijinja::context! {
            groups => js_literal(&table),
            managed => js_literal(&managed),
        },
    );
    Ok(Files::from([(HANDLER.to_string(), code.into_bytes())]))
}
