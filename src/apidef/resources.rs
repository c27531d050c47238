//! The JSON of `aws apigateway get-resources --rest-api-id ID --embed methods`: what is
//! deployed, straight from API Gateway, one item per resource with its full `path` and its
//! methods' `authorizationType`, `authorizerId` and `authorizationScopes`.
//!
//! Without `--embed methods` each method is an empty object; its authorization is then
//! unknown and reported as such. The output does not say which type a `CUSTOM` authorizer is.

use super::tree::Node;
use super::{ApiDef, ApiRoute, Auth, CustomKind, RestApi, Source, Unresolved};
use super::{parse_method, parse_path};
use crate::diag::Diagnostic;
use std::rc::Rc;

pub fn read(_doc: Node, items: Node) -> Result<ApiDef, Diagnostic> {
    let mut api = RestApi::default();
    for item in items.items() {
        let Some(path_text) = item.get("path").and_then(Node::as_str) else {
            api.unresolved.push(Unresolved::at(
                item.line,
                item.column,
                "a resource without a text `path`",
            ));
            continue;
        };
        let path = match parse_path(path_text) {
            Ok(p) => Rc::new(p),
            Err(why) => {
                api.unresolved.push(Unresolved::at(
                    item.line,
                    item.column,
                    format!("path `{path_text}` is not an API Gateway path: {why}"),
                ));
                continue;
            }
        };
        let Some(methods) = item.get("resourceMethods") else {
            continue;
        };
        for m in methods.entries() {
            let Some(method) = parse_method(m.key) else {
                api.unresolved.push(Unresolved::at(
                    m.line,
                    m.column,
                    format!("`{}` on `{path_text}` is no HTTP method", m.key),
                ));
                continue;
            };
            api.routes.push(ApiRoute {
                file: None,
                method,
                path: path.clone(),
                auth: method_auth(m.value),
                line: m.line,
                column: m.column,
            });
        }
    }
    Ok(ApiDef {
        source: Source::GetResources,
        apis: vec![api],
        unresolved: Vec::new(),
    })
}

fn method_auth(m: Node) -> Auth {
    let Some(kind) = m.get("authorizationType") else {
        return Auth::Unresolved(
            "the method's details are missing: run `aws apigateway get-resources` with `--embed methods`"
                .into(),
        );
    };
    let authorizer = m
        .get("authorizerId")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    match kind.as_str() {
        Some("NONE") => Auth::None,
        Some("AWS_IAM") => Auth::Iam,
        Some("CUSTOM") => Auth::Custom {
            authorizer,
            kind: CustomKind::Unknown,
        },
        Some("COGNITO_USER_POOLS") => {
            let mut scopes: Vec<String> = m
                .get("authorizationScopes")
                .map(|s| {
                    s.items()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            scopes.sort();
            scopes.dedup();
            Auth::Cognito { authorizer, scopes }
        }
        _ => Auth::Unresolved(format!("unknown `authorizationType` {}", kind.show())),
    }
}
