//! Adopting rolegen in an existing project: `user_pool.existing` (the pool is a parameter,
//! never a resource) and `api.external` (no REST API; Outputs and `routes/routes.json` for the
//! API's own template). The templates pass cfn-lint with zero findings; their structure is
//! read back as data; `routes.json` is compared with the route table written out here by hand
//! from the fixtures (not from rolegen's model); `check` keeps `routes.json` fresh.

mod common;

use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

const FIXTURES: [&str; 6] = [
    "external_scopes",
    "external_lambda",
    "existing_scopes",
    "existing_lambda",
    "existing_external_scopes",
    "existing_external_avp",
];

fn fixture(name: &str) -> PathBuf {
    common::repo()
        .join("tests/fixtures/adopt")
        .join(format!("{name}.yaml"))
}

/// Generates a fixture into a scratch folder; the output folder.
fn generate(name: &str) -> PathBuf {
    let out = common::scratch(&format!("adopt-{name}"));
    let run = common::rolegen()
        .arg("--config")
        .arg(fixture(name))
        .arg("--out")
        .arg(&out)
        .arg("gen")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

fn template(out: &Path) -> Value {
    common::read_yaml(&out.join("cfn/template.yaml"))
}

/// Runs `rolegen gen` in a scratch folder on fixture `name` with `from` replaced by `to`; the
/// folder and the run.
fn generate_edited(name: &str, from: &str, to: &str, scratch: &str) -> (PathBuf, Output) {
    let text = fs::read_to_string(fixture(name)).unwrap().replace(from, to);
    let dir = common::scratch(scratch);
    let run = common::rolegen_in(&dir, &text, &["gen"]);
    (dir, run)
}

fn resource_types(t: &Value) -> Vec<String> {
    t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["Type"].as_str().unwrap().to_string())
        .collect()
}

/// Every value anywhere under `v`.
fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(v);
    match v {
        Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
        Value::Object(m) => m.values().for_each(|i| walk(i, out)),
        _ => {}
    }
}

#[test]
fn existing_and_external_templates_pass_cfn_lint() {
    let templates: Vec<PathBuf> = FIXTURES
        .iter()
        .map(|f| generate(f).join("cfn/template.yaml"))
        .collect();
    common::assert_cfn_lint_clean_all(&templates);
}

#[test]
fn an_existing_pool_is_a_parameter_and_never_a_resource() {
    for name in FIXTURES.iter().filter(|f| f.starts_with("existing")) {
        let t = template(&generate(name));
        let types = resource_types(&t);
        assert!(
            !types.iter().any(|t| t == "AWS::Cognito::UserPool"),
            "{name}: {types:?}"
        );
        assert!(types.iter().any(|t| t == "AWS::Cognito::UserPoolGroup"));
        assert_eq!(t["Parameters"]["UserPoolId"]["Type"], "String", "{name}");
        assert_eq!(t["Parameters"]["UserPoolArn"]["Type"], "String", "{name}");
        // Nothing refers to a pool resource; everything that names a pool names the parameter.
        let mut all = Vec::new();
        walk(&t, &mut all);
        for v in &all {
            assert_ne!(**v, json!({"Ref": "UserPool"}), "{name}");
            assert_ne!(**v, json!({"Fn::GetAtt": ["UserPool", "Arn"]}), "{name}");
        }
        for (id, r) in t["Resources"].as_object().unwrap() {
            if let Some(pool) = r["Properties"].get("UserPoolId") {
                assert_eq!(pool, &json!({"Ref": "UserPoolId"}), "{name}: {id}");
            }
        }
        // No stack operation can touch the pool, so its LambdaConfig is not written here:
        // the trigger is attached by the steps in the README, from this Output.
        if name.contains("scopes") {
            assert_eq!(
                t["Outputs"]["PreTokenFunctionArn"]["Value"],
                json!({"Fn::GetAtt": ["PreTokenFunction", "Arn"]}),
                "{name}"
            );
            assert_eq!(
                t["Resources"]["PreTokenPermission"]["Properties"]["SourceArn"],
                json!({"Ref": "UserPoolArn"})
            );
        }
    }
}

#[test]
fn an_external_api_gets_outputs_and_no_api_resources() {
    for name in FIXTURES.iter().filter(|f| f.contains("external")) {
        let out = generate(name);
        let t = template(&out);
        let types = resource_types(&t);
        assert!(
            !types.iter().any(|t| t.starts_with("AWS::ApiGateway::")),
            "{name}: {types:?}"
        );
        let outputs = t["Outputs"].as_object().unwrap();
        assert!(!outputs.contains_key("ApiUrl"), "{name}");
        for key in ["UserPoolId", "UserPoolArn", "UserPoolClientId"] {
            assert!(outputs.contains_key(key), "{name}: {key}");
        }
        for (key, o) in outputs {
            assert_eq!(
                o["Export"]["Name"],
                json!({"Fn::Sub": format!("${{AWS::StackName}}-{key}")}),
                "{name}: {key}"
            );
        }
        let lambda = !name.contains("scopes");
        assert_eq!(
            outputs.contains_key("AuthorizerFunctionArn"),
            lambda,
            "{name}"
        );
        if lambda {
            assert_eq!(
                t["Resources"]["AuthorizerPermission"]["Properties"]["SourceArn"],
                json!({"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:*/authorizers/*"}),
                "{name}"
            );
        }
        assert!(out.join("routes/routes.json").is_file(), "{name}");
    }
}

/// The fixtures' routes, as API Gateway must authorize them, written from the roles files by
/// hand: `authenticated` under `cognito-scopes` is the reserved scope `api/authenticated`.
#[test]
fn routes_json_says_each_routes_authorization() {
    let out = generate("external_scopes");
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(out.join("routes/routes.json")).unwrap()).unwrap();
    let cognito = |scopes: &[&str]| json!({"authorization_type": "COGNITO_USER_POOLS", "authorization_scopes": scopes});
    let expected = [
        ("GET", "/health", json!({"authorization_type": "NONE"})),
        ("GET", "/me", cognito(&["api/authenticated"])),
        ("GET", "/orders", cognito(&["api/readonly"])),
        ("POST", "/orders", cognito(&["api/orders.write"])),
        ("GET", "/orders/{orderId}", cognito(&["api/readonly"])),
        ("DELETE", "/orders/{orderId}", cognito(&["api/admin"])),
    ];
    let routes = doc["routes"].as_array().unwrap();
    assert_eq!(routes.len(), expected.len());
    for (method, path, auth) in expected {
        let r = routes
            .iter()
            .find(|r| r["method"] == method && r["path"] == path)
            .unwrap_or_else(|| panic!("{method} {path} missing"));
        assert_eq!(r["authorization_type"], auth["authorization_type"]);
        assert_eq!(
            r.get("authorization_scopes")
                .cloned()
                .unwrap_or(Value::Null),
            auth.get("authorization_scopes")
                .cloned()
                .unwrap_or(Value::Null),
            "{method} {path}"
        );
    }
    assert_eq!(doc["token"], "access");
    assert!(doc.get("lambda_authorizer").is_none());

    let out = generate("external_lambda");
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(out.join("routes/routes.json")).unwrap()).unwrap();
    for r in doc["routes"].as_array().unwrap() {
        let want = if r["path"] == "/health" {
            "NONE"
        } else {
            "CUSTOM"
        };
        assert_eq!(r["authorization_type"], want, "{r}");
        assert!(r.get("authorization_scopes").is_none());
    }
    assert_eq!(
        doc["lambda_authorizer"]["identity_source"],
        "method.request.header.Authorization,context.httpMethod,context.resourcePath"
    );
    assert_eq!(doc["lambda_authorizer"]["type"], "REQUEST");
    assert_eq!(doc["lambda_authorizer"]["ttl_seconds"], 300);
    assert_eq!(doc["token"], "id");
}

#[test]
fn check_keeps_routes_json_fresh_and_the_target_needs_external() {
    let out = generate("external_scopes");
    let routes = out.join("routes/routes.json");
    let text = fs::read_to_string(&routes).unwrap();
    fs::write(&routes, text.replace("api/admin", "api/readonly")).unwrap();
    let check = common::rolegen()
        .arg("--config")
        .arg(fixture("external_scopes"))
        .arg("--out")
        .arg(&out)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains("routes/routes.json"));

    // Without `external`, nothing writes routes.json, and asking for it is an error.
    let dir = common::scratch("adopt-routes-target");
    let run = common::rolegen()
        .arg("--config")
        .arg(common::repo().join("roles.yaml"))
        .arg("--out")
        .arg(&dir)
        .args(["gen", "--target", "routes"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("target `routes` is written only for an API another tool owns"),
        "{err}"
    );
    assert!(fs::read_dir(&dir).unwrap().next().is_none(), "out/ touched");
}

#[test]
fn external_and_existing_must_be_booleans() {
    let (_, run) = generate_edited(
        "external_scopes",
        "external: true",
        "external: yes",
        "adopt-bool",
    );
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("`api.external`"), "{err}");
    assert!(err.contains("`true` or `false`"), "{err}");
}

#[test]
fn deletion_policy_of_an_existing_pool_is_a_warning() {
    let (dir, run) = generate_edited(
        "existing_lambda",
        "  existing: true\n",
        "  existing: true\n  deletion_policy: Delete\n",
        "adopt-deletion",
    );
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("warning[unused]: `deletion_policy` has no effect with `existing: true`"),
        "{err}"
    );
    // The template still has no pool to delete.
    let t = template(&dir.join("out"));
    assert!(
        !resource_types(&t)
            .iter()
            .any(|t| t == "AWS::Cognito::UserPool")
    );
}

#[test]
fn an_integration_with_an_external_api_is_a_warning_and_writes_nothing() {
    let (dir, run) = generate_edited(
        "external_lambda",
        "  POST /orders: [orders.write]\n",
        "  POST /orders:\n    scopes: [orders.write]\n    integration: {lambda: CreateOrderFn}\n",
        "adopt-integration",
    );
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("warning[unused]: `integration` has no effect with `api.external: true`"),
        "{err}"
    );
    let t = fs::read_to_string(dir.join("out/cfn/template.yaml")).unwrap();
    assert!(
        !t.contains("CreateOrderFn"),
        "no parameter or permission for it"
    );
}

/// An API defined as a document (`body`, `package`) on an existing pool names the pool by the
/// template's `UserPoolArn` parameter, as the per-resource API does: there is no `UserPool`
/// resource to point at. cfn-lint judges each template.
#[test]
fn a_document_api_on_an_existing_pool_names_its_arn_parameter() {
    let mut lint = Vec::new();
    for (fixture, definition) in [
        ("existing_scopes", "body"),
        ("existing_scopes", "package"),
        ("existing_lambda", "body"),
        ("existing_lambda", "package"),
    ] {
        let (dir, run) = generate_edited(
            fixture,
            "  stage: prod\n",
            &format!("  stage: prod\n  definition: {definition}\n"),
            "adopt-document",
        );
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let t = template(&dir.join("out"));
        assert!(
            !resource_types(&t)
                .iter()
                .any(|t| t == "AWS::Cognito::UserPool")
        );
        let mut all = Vec::new();
        walk(&t, &mut all);
        assert!(
            !all.iter()
                .any(|v| v.get("Fn::GetAtt").and_then(|g| g[0].as_str()) == Some("UserPool")),
            "{fixture} {definition}: the template names a UserPool resource"
        );
        if fixture == "existing_scopes" {
            let pool = match definition {
                "body" => {
                    &t["Resources"]["RestApi"]["Properties"]["Body"]["components"]["securitySchemes"]
                        ["CognitoUserPool"]["x-amazon-apigateway-authorizer"]["providerARNs"][0]
                }
                _ => &t["Resources"]["ApiBody"]["Properties"]["Values"]["USER_POOL_ARN"],
            };
            assert_eq!(
                pool,
                &serde_json::json!({"Ref": "UserPoolArn"}),
                "{definition}"
            );
        }
        lint.push(dir.join("out/cfn/template.yaml"));
    }
    common::assert_cfn_lint_clean_all(&lint);
}

#[test]
fn a_definition_with_an_external_api_is_a_warning() {
    let (dir, run) = generate_edited(
        "external_scopes",
        "  stage: prod\n",
        "  stage: prod\n  definition: package\n",
        "adopt-definition",
    );
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("warning[unused]: `api.definition` has no effect with `api.external: true`"),
        "{err}"
    );
    // At the value, in the file as written.
    let text = fs::read_to_string(dir.join("roles.yaml")).unwrap();
    let line = text
        .lines()
        .position(|l| l == "  definition: package")
        .unwrap();
    assert!(
        err.contains(&format!("roles.yaml:{}:15", line + 1)),
        "{err}"
    );
    assert!(!dir.join("out/cfn/api-body").exists());
}

/// MFA is the pool's own setting: with an existing pool the template does not set it.
#[test]
fn mfa_with_an_existing_pool_is_a_warning() {
    let (dir, run) = generate_edited(
        "existing_scopes",
        "  existing: true\n",
        "  existing: true\n  mfa: required\n",
        "adopt-mfa",
    );
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("warning[unused]: `mfa` has no effect with `existing: true`"),
        "{err}"
    );
    let t = fs::read_to_string(dir.join("out/cfn/template.yaml")).unwrap();
    assert!(!t.contains("MfaConfiguration"));
}
