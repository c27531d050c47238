//! What `drift` says about an API whose definition it could not read whole (a body in S3, in a
//! `DefinitionUri`, built with an intrinsic, or an included file that is missing).
//!
//! Its routes are unknown, so a declared route it lacks is not "missing": the warnings would be
//! false, and a CI job would pass with nothing compared. Instead the routes that found no
//! method are counted in one `not-compared` error, so the job fails until the definition can
//! be read (pass the file, or `aws apigateway get-export` output).

use super::drift::MISSING;
use crate::apidef::RestApi;
use crate::report::{Finding, Rule, Severity};

pub const NOT_COMPARED: Rule = Rule {
    id: "RG109",
    name: "not-compared",
    severity: Severity::Error,
    summary: "part of the API's definition could not be read, so some declared routes were not compared",
};

/// Replaces the missing-route warnings of an API with unread bodies by one error that counts
/// them.
pub fn fold_missing(out: &mut Vec<Finding>, api: &RestApi) {
    if api.unread_bodies == 0 {
        return;
    }
    let before = out.len();
    out.retain(|f| f.rule != MISSING.id);
    let n = before - out.len();
    let bodies = api.unread_bodies;
    let routes = match n {
        0 => "every route of roles.yaml was found in what could be read".to_string(),
        1 => "1 route of roles.yaml could not be compared".to_string(),
        n => format!("{n} routes of roles.yaml could not be compared"),
    };
    out.push(Finding {
        rule: NOT_COMPARED.id,
        rule_name: NOT_COMPARED.name,
        severity: Severity::Error,
        route: None,
        message: format!(
            "{routes}: {} of API `{}` could not be read (see `unresolved`), so its routes are unknown",
            if bodies == 1 {
                "1 definition".to_string()
            } else {
                format!("{bodies} definitions")
            },
            api.id
        ),
        location: None,
        help: Some(
            "pass a file rolegen can read whole: the included OpenAPI file, the processed template, or `aws apigateway get-export` output".into(),
        ),
    });
}
