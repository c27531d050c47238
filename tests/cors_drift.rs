//! `drift` and CORS preflights. SAM's `Cors` adds an `OPTIONS` to every path of an API; the
//! source template says only `Cors`, the processed template (what is deployed) has the methods.
//! The processed template is made here by AWS's own SAM translator (`aws-sam-translator`,
//! pinned in `tests/common`), so both files describe one API as AWS builds it, and both
//! must get the same findings: none about preflights when roles.yaml has `api.cors`, one
//! undeclared route per path without it. A preflight SAM puts behind the default authorizer is
//! no preflight a browser can pass, and stays a finding on both sides. rolegen's own template
//! with `api.cors` shows no drift.

mod common;

use serde_json::{Value, json};
use std::fs;
use std::path::Path;
use std::process::Command;

const TRANSLATE: &str = r#"
import json, sys
from samtranslator.translator.transform import transform
class NoPolicies:
    def load(self):
        return {}
json.dump(transform(json.load(sys.stdin), {}, NoPolicies()), sys.stdout, indent=1)
"#;

fn translate(source: &Value) -> Value {
    let out = common::stdout_with_input(
        Command::new(common::sam_python())
            .args(["-c", TRANSLATE])
            .env("AWS_DEFAULT_REGION", "eu-west-1"),
        source.to_string().as_bytes(),
    );
    serde_json::from_slice(&out).unwrap()
}

/// (rule, route) of each finding, sorted.
fn drift(dir: &Path, roles: &str, api: &Value) -> Vec<(String, String)> {
    fs::write(dir.join("roles.yaml"), roles).unwrap();
    fs::write(dir.join("api.json"), api.to_string()).unwrap();
    let out = common::rolegen()
        .current_dir(dir)
        .args(["drift", "--api", "api.json", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut f: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_name"].as_str().unwrap().to_string(),
                f["route"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    f.sort();
    f
}

fn function(events: Value) -> Value {
    json!({"Type": "AWS::Serverless::Function", "Properties": {
        "Handler": "index.handler", "Runtime": "nodejs22.x", "CodeUri": "s3://bucket/code.zip",
        "Events": events}})
}

const ROLES: &str = "version: 1
api: {name: shop, stage: prod, authorizer: cognito-scopes CORS}
user_pool: {name: shop-users}
resource_server: {identifier: api, name: Shop}
scopes: {read: Read}
groups: {Reader: {scopes: [read]}}
routes:
  GET /health: ACCESS
  GET /items: ACCESS
  GET /items/{id}: ACCESS
";

/// `access` of every route: `public`, or `[read]`.
fn roles(cors: bool, access: &str) -> String {
    ROLES
        .replace(
            " CORS",
            if cors {
                ", cors: {origins: [https://app.example.com]}"
            } else {
                ""
            },
        )
        .replace("ACCESS", access)
}

/// An explicit API with a Cognito default authorizer; `preflight_auth` is SAM's
/// `AddDefaultAuthorizerToCorsPreflight` (absent: SAM's default, `true`).
fn explicit_api(preflight_auth: Option<bool>) -> Value {
    let mut auth = json!({
        "DefaultAuthorizer": "Pool",
        "Authorizers": {"Pool": {"UserPoolArn": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"}}
    });
    if let Some(b) = preflight_auth {
        auth["AddDefaultAuthorizerToCorsPreflight"] = json!(b);
    }
    let ev = |path: &str, auth: Value| json!({"Type": "Api", "Properties": {"RestApiId": {"Ref": "Api"}, "Path": path, "Method": "get", "Auth": auth}});
    json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Api": {"Type": "AWS::Serverless::Api", "Properties": {
                "StageName": "prod", "Name": "shop",
                "Cors": {"AllowOrigin": "'https://app.example.com'"},
                "Auth": auth}},
            "Fn": function(json!({
                "Health": ev("/health", json!({"Authorizer": "Pool", "AuthorizationScopes": ["api/read"]})),
                "Items": ev("/items", json!({"Authorizer": "Pool", "AuthorizationScopes": ["api/read"]})),
                "Item": ev("/items/{id}", json!({"Authorizer": "Pool", "AuthorizationScopes": ["api/read"]})),
            }))
        }
    })
}

/// The implicit API, CORS from `Globals.Api`, no authorizer at all.
fn implicit_api() -> Value {
    let ev = |path: &str| json!({"Type": "Api", "Properties": {"Path": path, "Method": "get"}});
    json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Globals": {"Api": {"Cors": "'https://app.example.com'"}},
        "Resources": {"Fn": function(json!({
            "Health": ev("/health"), "Items": ev("/items"), "Item": ev("/items/{id}")
        }))}
    })
}

fn preflights(rule: &str) -> Vec<(String, String)> {
    ["/health", "/items", "/items/{id}"]
        .iter()
        .map(|p| (rule.to_string(), format!("OPTIONS {p}")))
        .collect()
}

#[test]
fn source_and_processed_sam_templates_agree() {
    let dir = common::scratch("cors-drift");
    for (name, source, access) in [
        (
            "explicit, preflight without authorizer",
            explicit_api(Some(false)),
            "[read]",
        ),
        ("implicit, Globals.Api.Cors", implicit_api(), "public"),
        (
            "explicit, preflight behind the default authorizer",
            explicit_api(None),
            "[read]",
        ),
    ] {
        let processed = translate(&source);
        let options_in_body = processed["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|r| r["Properties"]["Body"]["paths"].as_object())
            .flat_map(|p| p.values())
            .filter(|ops| ops.get("options").is_some())
            .count();
        assert_eq!(
            options_in_body, 3,
            "{name}: the translator wrote the preflights"
        );
        for cors in [true, false] {
            let from_source = drift(&dir, &roles(cors, access), &source);
            let from_processed = drift(&dir, &roles(cors, access), &processed);
            let undeclared: Vec<(String, String)> = from_source
                .iter()
                .filter(|(rule, _)| rule == "undeclared-route")
                .cloned()
                .collect();
            // Only the preflights differ from roles.yaml in these APIs.
            assert_eq!(from_source, undeclared, "{name}, cors {cors}");
            assert_eq!(from_source, from_processed, "{name}, cors {cors}");
            let behind_authorizer = name.contains("behind");
            if cors && !behind_authorizer {
                assert!(from_source.is_empty(), "{name}: {from_source:?}");
            } else {
                assert_eq!(
                    from_source,
                    preflights("undeclared-route"),
                    "{name}, cors {cors}"
                );
            }
        }
    }
}

/// rolegen's own template with `api.cors` (preflights on every path, an `ANY` among them)
/// shows no drift; without `api.cors` in roles.yaml the same template's preflights are
/// undeclared routes.
#[test]
fn rolegen_output_with_cors_has_no_drift() {
    for strategy in ["lambda", "cognito-scopes"] {
        let dir = common::scratch("cors-own");
        let text = format!(
            "version: 1
api: {{name: shop, stage: prod, authorizer: {strategy}, cors: {{origins: [https://app.example.com]}}}}
user_pool: {{name: shop-users}}
resource_server: {{identifier: api, name: Shop}}
scopes: {{read: Read}}
groups: {{Reader: {{scopes: [read]}}}}
routes:
  GET /health: public
  GET /items: [read]
  ANY /files/{{path+}}: [read]
"
        );
        let out = common::rolegen_in(&dir, &text, &["gen"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let template = common::read_yaml(&dir.join("out/cfn/template.yaml"));
        assert_eq!(drift(&dir, &text, &template), vec![], "{strategy}");
        let without = text.replace(", cors: {origins: [https://app.example.com]}", "");
        let found = drift(&dir, &without, &template);
        assert_eq!(
            found,
            vec![
                (
                    "undeclared-route".to_string(),
                    "OPTIONS /health".to_string()
                ),
                ("undeclared-route".to_string(), "OPTIONS /items".to_string()),
                // The preflight of the `ANY` path answers `OPTIONS` for the `ANY` route,
                // without its authorization.
                (
                    "unprotected-route".to_string(),
                    "ANY /files/{path+}".to_string()
                ),
            ],
            "{strategy}"
        );
    }
}
