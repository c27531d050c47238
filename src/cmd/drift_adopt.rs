//! What `drift` adds for projects adopting rolegen: the verdict on an API whose definition it
//! could not read whole, and the comparison of the Cognito side (resource servers, groups,
//! clients) when the file, or `--cognito FILE`, defines it.
//!
//! A body in S3, in a `DefinitionUri`, built with an intrinsic, or an included file that is
//! missing leaves routes unknown, so a declared route it lacks is not "missing": the warnings
//! would be false, and a CI job would pass with nothing compared. Instead the routes that found no
//! method are counted in one `not-compared` error, so the job fails until the definition can
//! be read (pass the file, or `aws apigateway get-export` output).

use super::drift::MISSING;
use crate::apidef::cognito::{BUILT_IN_SCOPES, CognitoSide};
use crate::apidef::{self, Auth, RestApi};
use crate::model::Model;
use crate::report::{Finding, Location, Rule, Severity};

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

pub const UNDECLARED_SCOPE: Rule = Rule {
    id: "RG110",
    name: "undeclared-scope",
    severity: Severity::Error,
    summary: "a scope the API or roles.yaml requires is declared by no resource server, so no token can carry it",
};
pub const MISSING_GROUP: Rule = Rule {
    id: "RG111",
    name: "missing-group",
    severity: Severity::Error,
    summary: "roles.yaml declares a group the user pool does not have",
};
pub const CLIENT_SCOPE: Rule = Rule {
    id: "RG112",
    name: "client-scope",
    severity: Severity::Error,
    summary: "an app client allows a scope no resource server declares",
};

/// Where the Cognito side was read from, for locations.
pub struct CognitoFile<'a> {
    pub name: &'a str,
    pub side: &'a CognitoSide,
}

/// Compares the Cognito side (resource servers, groups, clients) a file defines with the API's
/// methods and with roles.yaml. Each comparison runs only when the file defines that part:
/// scopes when it has a resource server, groups when it has any group.
pub fn cognito_findings(
    model: &Model,
    api: &RestApi,
    cognito: &CognitoFile,
    roles_file: &str,
    api_file: &str,
) -> Vec<Finding> {
    let side = cognito.side;
    let mut out = Vec::new();
    let at = |file: &str, line: u32, column: u32| {
        Some(Location {
            file: file.to_string(),
            line,
            column,
        })
    };
    let known = |s: &str, declared: &[String]| {
        BUILT_IN_SCOPES.contains(&s) || declared.binary_search_by(|d| d.as_str().cmp(s)).is_ok()
    };
    if !side.resource_servers.is_empty() {
        let declared = side.declared_scopes();
        let servers = apidef::quote_list(
            &side
                .resource_servers
                .iter()
                .map(|r| r.identifier.as_str())
                .collect::<Vec<_>>(),
        );
        // Each scope an API method requires, once per method.
        for r in &api.routes {
            let Auth::Cognito { scopes, .. } = &r.auth else {
                continue;
            };
            let unknown: Vec<&String> = scopes.iter().filter(|s| !known(s, &declared)).collect();
            if unknown.is_empty() {
                continue;
            }
            out.push(Finding {
                rule: UNDECLARED_SCOPE.id,
                rule_name: UNDECLARED_SCOPE.name,
                severity: Severity::Error,
                route: Some(r.key()),
                message: format!(
                    "the API's method requires {}, which no resource server declares ({servers} in `{}`): no token can carry it",
                    apidef::quote_list(&unknown),
                    cognito.name
                ),
                location: at(
                    r.file.as_deref().unwrap_or(api_file),
                    r.line,
                    r.column,
                ),
                help: Some("declare the scope on the resource server (`rolegen gen` writes it), or fix the method's scopes".into()),
            });
        }
        // roles.yaml's own scopes: the tokens rolegen's trigger or groups rely on.
        for s in &model.scopes {
            if known(&s.full_name, &declared) {
                continue;
            }
            out.push(Finding {
                rule: UNDECLARED_SCOPE.id,
                rule_name: UNDECLARED_SCOPE.name,
                severity: Severity::Error,
                route: None,
                message: format!(
                    "roles.yaml's scope `{}` is declared by no resource server ({servers} in `{}`): no token can carry it",
                    s.full_name, cognito.name
                ),
                location: at(roles_file, s.decl.line, s.decl.column),
                help: Some("deploy the resource server `rolegen gen` writes, or use `resource_server.identifier` of the pool's resource server".into()),
            });
        }
    }
    // Groups only when the file manages groups at all: many templates define the pool and
    // leave its groups to the console or another stack.
    if !side.groups.is_empty() {
        for g in &model.groups {
            if side.groups.iter().any(|p| p.name == g.name) {
                continue;
            }
            out.push(Finding {
                rule: MISSING_GROUP.id,
                rule_name: MISSING_GROUP.name,
                severity: Severity::Error,
                route: None,
                message: format!(
                    "roles.yaml declares group `{}`, which the user pool in `{}` does not have: no user can be in it",
                    g.name, cognito.name
                ),
                location: at(roles_file, g.decl.line, g.decl.column),
                help: Some("create the group (`rolegen gen` writes it), or remove it from roles.yaml".into()),
            });
        }
    }
    // roles.yaml's machine clients against the file's client-credentials clients, matched by
    // the logical ID `rolegen gen` gives them: a scope the pool's client allows that roles.yaml
    // does not grant is wider access (an error); one it lacks, calls that fail (a warning).
    if side.clients.iter().any(|c| c.client_credentials) {
        for c in model.client_ids() {
            let client = model.client(c);
            let id = crate::r#gen::cfn::client_id(&client.name);
            let at_roles = at(roles_file, client.decl.line, client.decl.column);
            let Some(theirs) = side
                .clients
                .iter()
                .find(|s| s.id == id && s.client_credentials)
            else {
                out.push(Finding {
                    rule: CLIENT_SCOPE.id,
                    rule_name: CLIENT_SCOPE.name,
                    severity: Severity::Warning,
                    route: None,
                    message: format!(
                        "roles.yaml's machine client `{}` has no client-credentials app client `{id}` in `{}`: it cannot get a token",
                        client.name, cognito.name
                    ),
                    location: at_roles,
                    help: Some("deploy the app client `rolegen gen` writes".into()),
                });
                continue;
            };
            let want = model.full_scopes_of_client(c);
            let extra: Vec<&String> = theirs
                .scopes
                .iter()
                .filter(|s| !want.contains(&s.as_str()))
                .collect();
            let missing: Vec<&str> = want
                .iter()
                .copied()
                .filter(|w| !theirs.scopes.iter().any(|s| s == w))
                .collect();
            if !extra.is_empty() {
                out.push(Finding {
                    rule: CLIENT_SCOPE.id,
                    rule_name: CLIENT_SCOPE.name,
                    severity: Severity::Error,
                    route: None,
                    message: format!(
                        "app client `{id}` allows {}, which roles.yaml does not grant machine client `{}`: wider access than declared",
                        apidef::quote_list(&extra),
                        client.name
                    ),
                    location: at(cognito.name, theirs.line, theirs.column),
                    help: Some("remove the scope from the client's `AllowedOAuthScopes`, or grant it in roles.yaml".into()),
                });
            }
            if !missing.is_empty() {
                out.push(Finding {
                    rule: CLIENT_SCOPE.id,
                    rule_name: CLIENT_SCOPE.name,
                    severity: Severity::Warning,
                    route: None,
                    message: format!(
                        "app client `{id}` does not allow {}, which roles.yaml grants machine client `{}`: its calls that need them fail",
                        apidef::quote_list(&missing),
                        client.name
                    ),
                    location: at_roles,
                    help: Some("deploy the app client `rolegen gen` writes".into()),
                });
            }
        }
    }
    // A client may only allow scopes its pool's resource servers declare.
    if !side.resource_servers.is_empty() {
        let declared = side.declared_scopes();
        for c in &side.clients {
            let unknown: Vec<&String> = c.scopes.iter().filter(|s| !known(s, &declared)).collect();
            if unknown.is_empty() {
                continue;
            }
            out.push(Finding {
                rule: CLIENT_SCOPE.id,
                rule_name: CLIENT_SCOPE.name,
                severity: Severity::Error,
                route: None,
                message: format!(
                    "app client `{}` allows {}, which no resource server declares",
                    c.id,
                    apidef::quote_list(&unknown)
                ),
                location: at(cognito.name, c.line, c.column),
                help: Some("declare the scope on the resource server, or remove it from the client's `AllowedOAuthScopes`".into()),
            });
        }
    }
    out
}

/// The Cognito side to compare and the file it is from: `--cognito FILE`'s, or the API file's
/// own. A `--cognito` file that cannot be read is an error (exit 2), like the API file.
pub fn cognito_side(
    global: &crate::cmd::Global,
    path: Option<&std::path::Path>,
    own: CognitoSide,
    api_name: &str,
) -> Result<(String, CognitoSide), super::Outcome> {
    let Some(path) = path else {
        return Ok((api_name.to_string(), own));
    };
    let name = path.display().to_string();
    let text = super::read_text(
        path,
        "pass the template that defines the user pool with `--cognito FILE`",
        crate::yaml::limits::API.max_file_bytes,
    )
    .map_err(|u| super::fail_in(global, &name, &u.text, *u.diag))?;
    let doc = apidef::tree::parse(&text).map_err(|d| super::fail_in(global, &name, &text, d))?;
    Ok((name, apidef::cognito::read(doc.root())))
}

/// `--authorizer FILE`: rolegen's `lambda` handler read back and compared with roles.yaml. A
/// file that is not such a handler, or a strategy without a table, is an error (exit 2).
pub fn authorizer_table(
    global: &crate::cmd::Global,
    model: &Model,
    path: &std::path::Path,
    roles_name: &str,
) -> Result<Vec<Finding>, super::Outcome> {
    let name = path.display().to_string();
    if model.api.strategy == crate::model::Strategy::CognitoScopes {
        return Err(super::fail(
            global,
            &name,
            crate::diag::Diagnostic::error(
                "authorizer-table",
                "`--authorizer` reads rolegen's Lambda authorizer; with `authorizer: cognito-scopes` API Gateway's Cognito authorizer decides",
            )
            .help("drift compares each method's `AuthorizationScopes` with roles.yaml already"),
        ));
    }
    let text = super::read_text(
        path,
        "pass the deployed handler, e.g. `--authorizer out/authorizer/index.mjs`",
        crate::yaml::limits::API.max_file_bytes,
    )
    .map_err(|u| super::fail_in(global, &name, &u.text, *u.diag))?;
    if model.api.strategy == crate::model::Strategy::VerifiedPermissions {
        let (table, line) = super::drift_table::read_vp(&text).map_err(|why| {
            super::fail(
                global,
                &name,
                crate::diag::Diagnostic::error(
                    "authorizer-table",
                    format!("cannot read the route table of `{name}`: {why}"),
                )
                .help("pass the `index.mjs` rolegen generated for `verified-permissions`; the Cedar policies decide the rest (`rolegen check` compares `out/cedar`)"),
            )
        })?;
        return Ok(super::drift_table::vp_findings(
            model, &table, line, roles_name, &name,
        ));
    }
    let table = super::drift_table::read(&text).map_err(|why| {
        super::fail(
            global,
            &name,
            crate::diag::Diagnostic::error(
                "authorizer-table",
                format!("cannot read the route table of `{name}`: {why}"),
            )
            .help("pass the `index.mjs` rolegen generated for the `lambda` strategy; a hand-written authorizer's decisions cannot be read"),
        )
    })?;
    Ok(super::drift_table::findings(
        model, &table, roles_name, &name,
    ))
}
