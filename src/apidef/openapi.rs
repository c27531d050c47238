//! OpenAPI 3 and Swagger 2 with API Gateway's extensions: what `aws apigateway get-export`
//! writes, and what a template's `Body` / SAM's `DefinitionBody` hold.
//!
//! API Gateway reads authorization from `security` (the operation's, else the document's):
//! each named scheme is an authorizer when it carries `x-amazon-apigateway-authtype` or
//! `x-amazon-apigateway-authorizer`; a scheme that is only the `x-api-key` header is the API
//! key requirement, which authorizes nobody and is left out. For a Cognito authorizer the
//! scopes listed in the requirement are the method's `AuthorizationScopes`.

use super::tree::Node;
use super::{ApiRoute, Auth, CustomKind, RestApi, Source, Unresolved, parse_method, parse_path};
use crate::diag::Diagnostic;
use std::collections::BTreeMap;
use std::rc::Rc;

/// What an authorizer named in `security` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Cognito user pool; `default_scopes` are SAM's authorizer-level `AuthorizationScopes`.
    Cognito {
        default_scopes: Vec<String>,
    },
    Custom(CustomKind),
    Iam,
    /// The `x-api-key` header: a usage-plan key, not authorization.
    ApiKey,
    /// Not something API Gateway authorizes with; the text says why.
    Other(String),
}

/// What SAM adds around a `DefinitionBody`: its `Auth.Authorizers` and `DefaultAuthorizer`.
#[derive(Clone, Debug, Default)]
pub struct Defaults {
    /// Applies to operations that have no `security` of their own (nor a document-wide one).
    pub default_authorizer: Option<String>,
    pub schemes: BTreeMap<String, Scheme>,
}

const METHOD_KEYS: &[&str] = &[
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
];

/// Keys of a path item that are not operations.
const PATH_ITEM_KEYS: &[&str] = &["parameters", "summary", "description", "servers"];

pub fn read_document(doc: Node, defaults: &Defaults) -> Result<(Source, RestApi), Diagnostic> {
    let source = if let Some(v) = doc.get("openapi") {
        match v.as_str() {
            Some(s) if s.starts_with("3.") => Source::OpenApi3,
            _ => {
                return Err(Diagnostic::error(
                    "api-format",
                    format!("unsupported OpenAPI version {}", v.show()),
                )
                .at(v.span())
                .help("rolegen reads OpenAPI 3.x and Swagger 2.0, as `aws apigateway get-export` writes them"));
            }
        }
    } else {
        match doc.get("swagger").and_then(Node::as_str) {
            Some("2.0") => Source::Swagger2,
            _ => {
                let v = doc.get("swagger").unwrap_or(doc);
                return Err(Diagnostic::error(
                    "api-format",
                    format!("unsupported Swagger version {}", v.show()),
                )
                .at(v.span())
                .help("rolegen reads OpenAPI 3.x and Swagger 2.0, as `aws apigateway get-export` writes them"));
            }
        }
    };
    let mut api = RestApi {
        name: doc
            .get("info")
            .and_then(|i| i.get("title"))
            .and_then(Node::as_str)
            .map(str::to_string),
        ..RestApi::default()
    };
    read_paths(doc, defaults, &mut api);
    Ok((source, api))
}

/// Reads the routes of an OpenAPI document into `api` (used for inline template bodies too,
/// where the document may not be complete enough to have a version).
pub fn read_paths(doc: Node, defaults: &Defaults, api: &mut RestApi) {
    let mut schemes = defaults.schemes.clone();
    let defs = doc
        .get("securityDefinitions")
        .into_iter()
        .chain(doc.get("components").and_then(|c| c.get("securitySchemes")));
    for defs in defs {
        for e in defs.entries() {
            schemes.insert(e.key.to_string(), scheme_of(e.key, e.value));
        }
    }
    let global = doc.get("security");
    let Some(paths) = doc.get("paths") else {
        return;
    };
    if !paths.is_map() {
        api.unresolved.push(Unresolved::at(
            paths.line,
            paths.column,
            format!("`paths` is {}, not a mapping", paths.show()),
        ));
        return;
    }
    // Sized up front: growing a large list between many small frees is where glibc's
    // allocator spent its time (consolidating free chunks on every regrowth).
    api.routes.reserve(paths.entries().len() * 2);
    for p in paths.entries() {
        let path = match parse_path(p.key) {
            Ok(path) => Rc::new(path),
            Err(why) => {
                api.unresolved.push(Unresolved::at(
                    p.line,
                    p.column,
                    format!("path `{}` is not an API Gateway path: {why}", p.key),
                ));
                continue;
            }
        };
        if p.value.get("$ref").is_some() {
            api.unresolved.push(Unresolved::at(
                p.line,
                p.column,
                format!(
                    "path `{}` is a `$ref`, which rolegen does not follow",
                    p.key
                ),
            ));
        }
        for op in p.value.entries() {
            let key: &str = op.key;
            let is_method = METHOD_KEYS.iter().any(|m| m.eq_ignore_ascii_case(key));
            if !is_method {
                let key = key.to_ascii_lowercase();
                if !(PATH_ITEM_KEYS.contains(&key.as_str())
                    || key.starts_with("x-")
                    || key == "$ref")
                {
                    api.unresolved.push(Unresolved::at(
                        op.line,
                        op.column,
                        format!(
                            "`{}` under path `{}` is no method API Gateway serves",
                            op.key, p.key
                        ),
                    ));
                }
                continue;
            }
            let Some(method) = parse_method(key) else {
                continue;
            };
            let auth = match op.value.get("security").or(global) {
                Some(sec) => auth_of(sec, &schemes),
                None => default_auth(defaults, &schemes),
            };
            api.routes.push(ApiRoute {
                file: None,
                method,
                path: path.clone(),
                auth,
                line: op.line,
                column: op.column,
            });
        }
    }
}

/// SAM's `DefaultAuthorizer` for operations without `security`; `NONE` without one.
fn default_auth(defaults: &Defaults, schemes: &BTreeMap<String, Scheme>) -> Auth {
    match defaults.default_authorizer.as_deref() {
        None | Some("NONE") => Auth::None,
        Some("AWS_IAM") => Auth::Iam,
        Some(name) => named_auth(name, None, schemes),
    }
}

/// The authorization of a method that names the authorizer `name`, with the scopes the
/// method lists (`None`: it lists none of its own, so a SAM authorizer's defaults apply).
pub fn named_auth(
    name: &str,
    scopes: Option<Vec<String>>,
    schemes: &BTreeMap<String, Scheme>,
) -> Auth {
    match schemes.get(name) {
        // The SAM translator's marker for `Auth: {Authorizer: NONE}` on an event (it writes
        // `security: [{NONE: []}]`, a scheme no document defines): the method has no
        // authorization, whatever `DefaultAuthorizer` says.
        None if name == "NONE" => Auth::None,
        None => Auth::Unresolved(format!("authorizer `{name}` is not defined")),
        Some(Scheme::Cognito { default_scopes }) => Auth::Cognito {
            authorizer: name.to_string(),
            scopes: sorted(scopes.unwrap_or_else(|| default_scopes.clone())),
        },
        Some(Scheme::Custom(kind)) => Auth::Custom {
            authorizer: name.to_string(),
            kind: *kind,
        },
        Some(Scheme::Iam) => Auth::Iam,
        Some(Scheme::ApiKey) => Auth::None,
        Some(Scheme::Other(why)) => Auth::Unresolved(why.clone()),
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// A `security` list → how API Gateway authorizes the method.
fn auth_of(sec: Node, schemes: &BTreeMap<String, Scheme>) -> Auth {
    if !sec.is_seq() {
        return Auth::Unresolved(format!("`security` is {}, not a list", sec.show()));
    }
    // API Gateway takes one authorizer per method; the API key requirement rides along.
    let mut named: Vec<(&str, Vec<String>)> = Vec::new();
    let mut empty_alternative = false;
    for req in sec.items() {
        if !req.is_map() {
            return Auth::Unresolved(format!(
                "a `security` requirement is {}, not a mapping",
                req.show()
            ));
        }
        let mut any = false;
        for e in req.entries() {
            if schemes.get(e.key) == Some(&Scheme::ApiKey) {
                continue;
            }
            any = true;
            let mut scopes = Vec::new();
            for s in e.value.items() {
                match s.as_str() {
                    Some(s) => scopes.push(s.to_string()),
                    None => {
                        return Auth::Unresolved(format!(
                            "scope {} of `{}` is not plain text",
                            s.show(),
                            e.key
                        ));
                    }
                }
            }
            match named.iter_mut().find(|(n, _)| *n == e.key) {
                Some((_, v)) => v.extend(scopes),
                None => named.push((e.key, scopes)),
            }
        }
        if !any
            && req
                .entries()
                .all(|e| schemes.get(e.key) != Some(&Scheme::ApiKey))
        {
            empty_alternative = true;
        }
    }
    match named.len() {
        0 => Auth::None,
        1 if empty_alternative => Auth::Unresolved(
            "`security` lists `{}` as an alternative, making authorization optional, which API Gateway does not support".into(),
        ),
        1 => {
            let (name, scopes) = named.pop().expect("one");
            named_auth(name, Some(scopes), schemes)
        }
        _ => Auth::Unresolved(format!(
            "`security` names several authorizers ({}); API Gateway uses one per method",
            super::quote_list(&named.iter().map(|(n, _)| *n).collect::<Vec<_>>())
        )),
    }
}

/// What a security scheme of the document is, by API Gateway's extensions.
pub fn scheme_of(name: &str, node: Node) -> Scheme {
    let lower = |n: Option<Node>| n.and_then(Node::as_str).map(str::to_ascii_lowercase);
    let authtype = lower(node.get("x-amazon-apigateway-authtype"));
    let authorizer = node.get("x-amazon-apigateway-authorizer");
    let atype = lower(authorizer.and_then(|a| a.get("type")));
    match (authtype.as_deref(), atype.as_deref()) {
        (Some("cognito_user_pools"), _) | (_, Some("cognito_user_pools")) => Scheme::Cognito {
            default_scopes: Vec::new(),
        },
        (Some("awssigv4"), _) => Scheme::Iam,
        (_, Some("token")) => Scheme::Custom(CustomKind::Token),
        (_, Some("request")) => Scheme::Custom(CustomKind::Request {
            route_key: super::route_keyed(
                authorizer
                    .and_then(|a| a.get("identitySource"))
                    .and_then(Node::as_str),
                authorizer
                    .and_then(|a| a.get("authorizerResultTtlInSeconds"))
                    .and_then(|n| n.to_json().as_i64()),
            ),
        }),
        (Some("custom"), _) => Scheme::Custom(CustomKind::Unknown),
        _ if lower(node.get("type")).as_deref() == Some("apikey")
            && lower(node.get("name")).as_deref() == Some("x-api-key") =>
        {
            Scheme::ApiKey
        }
        _ => Scheme::Other(format!(
            "security scheme `{name}` is no API Gateway authorizer (it has no `x-amazon-apigateway-authtype`)"
        )),
    }
}
