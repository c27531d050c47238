//! The `lambda` strategy's authorizer: a Node.js 22 Lambda REQUEST authorizer that verifies
//! the caller's Cognito ID token and decides the one route being called from a table embedded
//! in its code.
//!
//! Exact by construction. API Gateway has chosen the route before it calls the authorizer,
//! and the event names it (`resource`, `httpMethod`), so the decision is a lookup of the access
//! matrix, not a policy that must describe every route a caller may reach. API Gateway caches
//! the answer per token, verb and resource (the identity sources `cfn` writes), and applies
//! it only to requests that go to that same route, so the policy covers that route alone and
//! what an IAM wildcard could reach elsewhere never matters. Nothing is ever refused: every
//! valid roles file has a table.
//!
//! The table is resolved here, with the model's routing (`Router::on_resource`: a method
//! beats `ANY` on one resource), so the handler holds no routing rule of its own.

use super::Files;
use super::text::{js_literal, render};
use crate::diag::Diagnostic;
use crate::model::{Access, Method, Model, Path, Segment, Strategy, TokenUse};
use serde_json::{Value, json};

pub const HANDLER: &str = "authorizer/index.mjs";
pub const PACKAGE_JSON: &str = "authorizer/package.json";
pub const PACKAGE_LOCK: &str = "authorizer/package-lock.json";

/// The token verification library the handler imports, pinned, with its npm integrity hash
/// so that `npm ci` installs exactly the code that was tested.
pub const AWS_JWT_VERIFY_VERSION: &str = "5.2.1";
const AWS_JWT_VERIFY_INTEGRITY: &str = "sha512-J+buA4M+qvQDk58WXFBLkDodkEX3DDL1ac5XFQPW3opxAsaLXYu5hYnlSHsaBRDBUXBAn695kE/cw/mdyJKwJg==";

/// The identity sources of the authorizer, and so API Gateway's cache key: the token, the
/// verb and the resource (path template) API Gateway routed the request to. An answer is
/// reused only for requests to the same route.
pub const IDENTITY_SOURCE: &str =
    "method.request.header.Authorization,context.httpMethod,context.resourcePath";

/// The identity sources of the authorizer of `match` routes: the concrete path
/// (`context.path`, with the stage) instead of the resource, so an answer is reused only for
/// requests with the same path values, which the decision compared with the token's claims.
pub const IDENTITY_SOURCE_BY_PATH: &str =
    "method.request.header.Authorization,context.httpMethod,context.path";

/// The verbs a request can have, in the order of the handler's `VERBS` (`ANY` is not one: it
/// is a method that answers verbs).
pub const VERBS: [Method; 7] = [
    Method::Get,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
    Method::Head,
    Method::Options,
];

/// The IAM resource pattern for every request to `path`, after `{stage}/{verb}`: the path
/// with `*` for each variable (`/orders/*`). Path literals hold no IAM wildcard (letters,
/// digits, `.`, `_`, `-` only).
pub fn policy_pattern(path: &Path) -> String {
    if path.segments.is_empty() {
        return "/".to_string();
    }
    let mut s = String::new();
    for seg in &path.segments {
        s.push('/');
        match seg {
            Segment::Literal(l) => s.push_str(l),
            Segment::Var(_) | Segment::Greedy(_) => s.push('*'),
        }
    }
    s
}

/// One item per line, so a change to roles.yaml is a readable diff of the table.
fn lines(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "[]".to_string()
    } else {
        format!("[\n  {}\n]", items.join(",\n  "))
    }
}

/// The route table both handlers share: every resource with its policy pattern and, per verb,
/// the route that answers it (the model's routing: a method beats `ANY` on one resource).
fn resources(model: &Model) -> String {
    let router = model.router();
    let mut rows = Vec::new();
    for path in model.resource_paths() {
        let answers: Vec<i64> = VERBS
            .iter()
            .map(|&v| {
                router
                    .on_resource(&path.segments, v)
                    .map_or(-1, |r| r as i64)
            })
            .collect();
        rows.push(js_literal(&(
            path.to_string(),
            policy_pattern(path),
            answers,
        )));
    }
    lines(rows.into_iter())
}

pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    let (code, package, lock) = match model.api.strategy {
        Strategy::VerifiedPermissions => verified_permissions(model),
        _ => lambda(model),
    };
    Ok(Files::from([
        (HANDLER.to_string(), code.into_bytes()),
        (PACKAGE_JSON.to_string(), package),
        (PACKAGE_LOCK.to_string(), lock),
    ]))
}

/// A `match` route's bindings as the handler reads them: `[variable, claim in the token]`.
fn bound_of(route: &crate::model::Route, token: TokenUse) -> Value {
    route
        .bound
        .iter()
        .filter_map(|b| b.claim.in_token(token).map(|c| json!([b.var, c])))
        .collect()
}

/// The `lambda` handler: the table holds, per route, the groups that may call it (`null`:
/// public, `true`: any signed-in user), and, when the file has machine clients or `match`
/// routes, the clients that may call it and its bindings.
fn lambda(model: &Model) -> (String, Vec<u8>, Vec<u8>) {
    let groups = lines(model.groups.iter().map(|g| js_literal(&g.name)));
    let clients = lines(model.clients.iter().map(|c| js_literal(&c.name)));
    let long = !model.clients.is_empty() || model.has_bound();
    let routes = lines(model.route_ids().map(|r| {
        let route = model.route(r);
        let allowed: Value = match route.access {
            Access::Public => Value::Null,
            Access::Authenticated => Value::Bool(true),
            Access::AnyOf(_) => model
                .group_ids()
                .filter(|&g| model.matrix.allows(g, r))
                .map(|g| json!(g.0))
                .collect(),
        };
        if long {
            let clients: Vec<usize> = model
                .client_ids()
                .filter(|&c| model.matrix.client_allows(c, r))
                .map(|c| c.0)
                .collect();
            js_literal(&(route.key(), allowed, clients, bound_of(route, TokenUse::Id)))
        } else {
            js_literal(&(route.key(), allowed))
        }
    }));
    let code = render(
        "authorizer.mjs.j2",
        minijinja::context! {
            groups => groups,
            clients => clients,
            routes => routes,
            resources => resources(model),
        },
    );
    let package = super::node_package(
        "rolegen-authorizer",
        "Lambda REQUEST authorizer generated by rolegen from roles.yaml",
        json!({ "aws-jwt-verify": AWS_JWT_VERIFY_VERSION }),
    );
    let lock = json!({
        "name": "rolegen-authorizer",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": true,
        "packages": {
            "": {
                "name": "rolegen-authorizer",
                "version": "1.0.0",
                "dependencies": { "aws-jwt-verify": AWS_JWT_VERIFY_VERSION },
                "engines": { "node": ">=22" },
            },
            "node_modules/aws-jwt-verify": {
                "version": AWS_JWT_VERIFY_VERSION,
                "resolved": format!("https://registry.npmjs.org/aws-jwt-verify/-/aws-jwt-verify-{AWS_JWT_VERIFY_VERSION}.tgz"),
                "integrity": AWS_JWT_VERIFY_INTEGRITY,
                "license": "Apache-2.0",
                "engines": { "node": ">=18.0.0" },
            },
        },
    });
    let mut lock_bytes = serde_json::to_string_pretty(&lock).expect("json");
    lock_bytes.push('\n');
    (code, package, lock_bytes.into_bytes())
}

/// The AWS SDK client the `verified-permissions` handler calls Verified Permissions with,
/// pinned; its lock file (every transitive package with npm's integrity hash) was written by
/// `npm install --package-lock-only` for exactly this `package.json` and ships in the binary.
pub const AVP_CLIENT_VERSION: &str = "3.1124.0";
const AVP_PACKAGE_LOCK: &str = include_str!("../../templates/avp-package-lock.json");

/// The `verified-permissions` handler: the table only says which routes are public; Verified
/// Permissions decides the rest.
fn verified_permissions(model: &Model) -> (String, Vec<u8>, Vec<u8>) {
    let token = model.api.token;
    let routes = lines(model.route_ids().map(|r| {
        let route = model.route(r);
        let public = matches!(route.access, Access::Public);
        if route.bound.is_empty() && model.clients.is_empty() {
            js_literal(&(route.key(), public))
        } else {
            let bound: Vec<Value> = route
                .bound
                .iter()
                .filter_map(|b| {
                    b.claim
                        .in_token(token)
                        .map(|c| json!([b.var, b.claim.as_written(), c]))
                })
                .collect();
            let by_client = model.matrix.any_client(r);
            js_literal(&(route.key(), public, bound, by_client))
        }
    }));
    let clients = lines(model.clients.iter().map(|c| js_literal(&c.name)));
    let code = render(
        "avp-authorizer.mjs.j2",
        minijinja::context! {
            namespace => js_literal(&super::cedar::namespace(&model.api.name)),
            token_use => js_literal(token.as_str()),
            clients => clients,
            token_name => match token {
                TokenUse::Id => "ID token",
                TokenUse::Access => "access token",
            },
            routes => routes,
            resources => resources(model),
        },
    );
    let package = super::node_package(
        "rolegen-authorizer",
        "Lambda REQUEST authorizer that asks Amazon Verified Permissions, generated by rolegen from roles.yaml",
        json!({
            "@aws-sdk/client-verifiedpermissions": AVP_CLIENT_VERSION,
            "aws-jwt-verify": AWS_JWT_VERIFY_VERSION,
        }),
    );
    (code, package, AVP_PACKAGE_LOCK.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_put_a_star_for_each_variable() {
        let p = |s: &str| policy_pattern(&Path::parse(s).unwrap());
        assert_eq!(p("/"), "/");
        assert_eq!(p("/orders"), "/orders");
        assert_eq!(p("/orders/{id}/items"), "/orders/*/items");
        assert_eq!(p("/{proxy+}"), "/*");
    }

    /// The shipped lock file is npm's for exactly the package.json the generator writes.
    #[test]
    fn avp_lock_matches_the_package() {
        let lock: Value = serde_json::from_str(AVP_PACKAGE_LOCK).unwrap();
        let root = &lock["packages"][""];
        assert_eq!(lock["name"], "rolegen-authorizer");
        assert_eq!(
            root["dependencies"],
            json!({
                "@aws-sdk/client-verifiedpermissions": AVP_CLIENT_VERSION,
                "aws-jwt-verify": AWS_JWT_VERIFY_VERSION,
            })
        );
        for dep in ["@aws-sdk/client-verifiedpermissions", "aws-jwt-verify"] {
            let entry = &lock["packages"][format!("node_modules/{dep}")];
            assert!(
                entry["integrity"].as_str().unwrap().starts_with("sha512-"),
                "{dep}"
            );
        }
        assert_eq!(
            lock["packages"]["node_modules/aws-jwt-verify"]["integrity"],
            AWS_JWT_VERIFY_INTEGRITY
        );
    }

    #[test]
    fn verbs_are_every_method_but_any() {
        let mut all: Vec<Method> = VERBS.to_vec();
        all.push(Method::Any);
        all.sort();
        let mut want = Method::ALL.to_vec();
        want.sort();
        assert_eq!(all, want);
    }
}
