//! The greedy path variable in OpenAPI: AWS's own examples declare `/{proxy+}` with a
//! parameter named `proxy` (no `+`), which is what rolegen writes; OpenAPI's path templating
//! reads the expression as `proxy+` (see tests/openapi.rs for what openapi-spec-validator says).
//! `drift` must read both the same way: a document in either form, of the same API, gets the
//! same findings (none, against the roles file it was made from).

mod common;

use std::fs;

const ROLES: &str = "version: 1
api: {name: files, stage: prod, authorizer: cognito-scopes}
user_pool: {name: files-users}
resource_server: {identifier: api, name: Files}
scopes: {read: Read}
groups: {Reader: {scopes: [read]}}
routes:
  GET /files/{proxy+}: [read]
  ANY /{proxy+}: public
";

fn document(name: &str) -> String {
    format!(
        r#"{{"openapi": "3.0.1", "info": {{"title": "files", "version": "1"}},
 "paths": {{
  "/files/{{proxy+}}": {{"get": {{
     "parameters": [{{"name": "{name}", "in": "path", "required": true, "schema": {{"type": "string"}}}}],
     "security": [{{"CognitoUserPool": ["api/read"]}}],
     "responses": {{"200": {{"description": "ok"}}}}}}}},
  "/{{proxy+}}": {{"x-amazon-apigateway-any-method": {{
     "parameters": [{{"name": "{name}", "in": "path", "required": true, "schema": {{"type": "string"}}}}],
     "security": [],
     "responses": {{"200": {{"description": "ok"}}}}}}}}
 }},
 "components": {{"securitySchemes": {{"CognitoUserPool": {{"type": "apiKey", "name": "Authorization", "in": "header",
   "x-amazon-apigateway-authtype": "cognito_user_pools",
   "x-amazon-apigateway-authorizer": {{"type": "cognito_user_pools", "providerARNs": ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"]}}}}}}}}
}}"#
    )
}

#[test]
fn drift_reads_proxy_and_proxy_plus_alike() {
    let dir = common::scratch("greedy");
    fs::write(dir.join("roles.yaml"), ROLES).unwrap();
    let mut reports = Vec::new();
    for name in ["proxy", "proxy+"] {
        fs::write(dir.join("api.json"), document(name)).unwrap();
        let v = drift_clean(&dir, "api.json", name);
        reports.push(v["summary"].clone());
    }
    assert_eq!(reports[0], reports[1]);
    // A changed scope is found through either form.
    for name in ["proxy", "proxy+"] {
        fs::write(
            dir.join("api.json"),
            document(name).replace("[\"api/read\"]", "[\"api/other\"]"),
        )
        .unwrap();
        let out = common::rolegen()
            .current_dir(&dir)
            .args(["drift", "--api", "api.json", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
    }
}

/// rolegen's own output declares `proxy` (AWS's form) in the `openapi` file and in the
/// CloudFormation `Body`, and `drift` reads each back without a finding.
#[test]
fn rolegen_writes_aws_form_and_drift_reads_it_back() {
    let dir = common::scratch("greedy-own");
    for (name, roles, file) in [
        ("openapi", ROLES.to_string(), "out/openapi/openapi.yaml"),
        (
            "body",
            ROLES.replace(
                "authorizer: cognito-scopes",
                "authorizer: cognito-scopes, definition: body",
            ),
            "out/cfn/template.yaml",
        ),
    ] {
        fs::write(dir.join("roles.yaml"), &roles).unwrap();
        let target = if name == "body" { "cfn" } else { "openapi" };
        let out = common::rolegen()
            .current_dir(&dir)
            .args(["gen", "--target", target])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = common::read_yaml(&dir.join(file));
        let paths = if name == "body" {
            &doc["Resources"]["RestApi"]["Properties"]["Body"]["paths"]
        } else {
            &doc["paths"]
        };
        let declared = |path: &str, method: &str| -> Vec<String> {
            paths[path][method]["parameters"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: {method} {path}: no parameters"))
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(declared("/files/{proxy+}", "get"), ["proxy"], "{name}");
        assert_eq!(
            declared("/{proxy+}", "x-amazon-apigateway-any-method"),
            ["proxy"],
            "{name}"
        );
        drift_clean(&dir, file, name);
    }
}

/// `rolegen drift --api file` in `dir` finds nothing; its JSON report.
fn drift_clean(dir: &std::path::Path, file: &str, name: &str) -> serde_json::Value {
    let out = common::rolegen()
        .current_dir(dir)
        .args(["drift", "--api", file, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"], serde_json::json!([]), "{name}");
    v
}
