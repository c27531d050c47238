//! cfn-lint finds nothing in templates that use machine clients and `match` routes, for every
//! strategy that takes them: `lambda` and `verified-permissions` (clients, `match` on scoped
//! and `authenticated` routes, one and two bound variables, a greedy one, every claim kind,
//! hostile client names) and `cognito-scopes` (clients, no `match`).

mod common;

use std::fs;

const FILE: &str = r#"version: 1
api:
  name: tenant-api
  stage: prod
  authorizer: STRATEGY
user_pool:
  name: tenant-users
  domain: tenant-users-auth
resource_server:
  identifier: https://api.example.com
  name: Tenant API
scopes:
  orders.read: Read orders
  orders.write: Change orders
  "x*y": A scope with a wildcard
groups:
  Admin:
    scopes: [orders.write]
    includes: [Reader]
  Reader:
    scopes: [orders.read]
  "say\"hi\"":
    scopes: ["x*y"]
clients:
  nightly batch:
    description: Reconciles orders
    scopes: [orders.read]
  "a+b=c,d.e@f-g":
    description: Hostile but valid name
    scopes: [orders.write, "x*y"]
  管理者:
    description: Non-Latin name
    scopes: ["x*y"]
routes:
  GET /health: public
  GET /orders: [orders.read]
  POST /orders: [orders.write]
  GET /me: authenticated
ROUTES"#;

const MATCH_ROUTES: &str = r#"  GET /users/{userId}:
    authenticated: true
    match: {userId: sub}
  GET /users/{userId}/orders/{orderId}:
    scopes: [orders.read]
    match: {userId: sub, orderId: "custom:tenant"}
  PUT /names/{name}:
    scopes: [orders.write, "x*y"]
    match: {name: "cognito:username"}
  GET /files/{path+}:
    authenticated: true
    match: {path: "custom:home_dir"}
"#;

#[test]
fn templates_with_clients_and_match_pass_cfn_lint() {
    let dir = common::scratch("clients-match-lint");
    let mut templates = Vec::new();
    for (strategy, routes) in [
        ("lambda", MATCH_ROUTES),
        ("verified-permissions", MATCH_ROUTES),
        ("cognito-scopes", ""),
    ] {
        let d = dir.join(strategy);
        fs::create_dir_all(&d).unwrap();
        let text = FILE.replace("STRATEGY", strategy).replace("ROUTES", routes);
        fs::write(d.join("roles.yaml"), &text).unwrap();
        let out = common::rolegen()
            .current_dir(&d)
            .arg("gen")
            .output()
            .expect("run rolegen");
        assert!(
            out.status.success(),
            "{strategy}: rolegen gen failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let template = d.join("out/cfn/template.yaml");
        let t = fs::read_to_string(&template).unwrap();
        // Not vacuous: the template really holds the clients (and, but for cognito-scopes,
        // the authorizer keyed on the concrete path).
        assert_eq!(
            t.matches("- client_credentials").count(),
            3,
            "{strategy}: three client-credentials app clients"
        );
        if !routes.is_empty() {
            assert!(
                t.contains("context.path"),
                "{strategy}: no path-keyed authorizer"
            );
        }
        templates.push(template);
    }
    common::assert_cfn_lint_clean_all(&templates);
}
