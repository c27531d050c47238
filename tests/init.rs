//! `rolegen init --from FILE [--cognito FILE]`: a first roles.yaml from an existing API.
//!
//! Round trips: for fixtures in the shapes real projects have (an OpenAPI export, SAM source
//! with events, SAM with a local `AWS::Include`, processed SAM, `cdk synth` output, a
//! pool-only template for `--cognito`), the written file loads, and `rolegen drift` of it
//! against the same definition has exactly the expected findings: none, except where rolegen
//! deliberately enforces more than the API (a Cognito method without scopes takes ID tokens
//! too; rolegen's `authenticated` requires its scope). The written text is checked for the
//! comments a person must act on, and a Lambda authorizer's routes grant nothing until
//! someone assigns them.

mod common;

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture(rel: &str) -> String {
    format!("tests/fixtures/adopt/{rel}")
}

fn init(dir: &Path, from: &str, cognito: Option<&str>) -> (Output, String) {
    let roles = dir.join("roles.yaml");
    let mut cmd = common::rolegen();
    cmd.current_dir(common::repo())
        .arg("--config")
        .arg(&roles)
        .args(["init", "--from", from]);
    if let Some(c) = cognito {
        cmd.args(["--cognito", c]);
    }
    let out = cmd.output().unwrap();
    let text = fs::read_to_string(&roles).unwrap_or_default();
    (out, text)
}

/// `(exit code, findings)` of drift of `roles` against `api`, as JSON.
fn drift(roles: &Path, api: &str) -> (i32, Vec<Value>) {
    let out = common::rolegen()
        .current_dir(common::repo())
        .arg("--config")
        .arg(roles)
        .args(["drift", "--format", "json", "--api", api])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (
        out.status.code().unwrap(),
        doc["findings"].as_array().unwrap().clone(),
    )
}

/// Writes roles.yaml from `from`, then compares it with `from`; returns the text and findings.
fn round_trip(from: &str, cognito: Option<&str>) -> (String, i32, Vec<Value>) {
    let dir = common::scratch("init");
    let (out, text) = init(&dir, from, cognito);
    assert!(
        out.status.success(),
        "init {from}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, findings) = drift(&dir.join("roles.yaml"), from);
    (text, code, findings)
}

fn no_findings(from: &str, cognito: Option<&str>) -> String {
    let (text, code, findings) = round_trip(from, cognito);
    assert_eq!(code, 0, "{from}: {findings:#?}\n{text}");
    assert!(findings.is_empty(), "{from}: {findings:#?}\n{text}");
    text
}

#[test]
fn an_openapi_export_and_a_pool_template_round_trip() {
    let text = no_findings(
        &fixture("init/export.json"),
        Some(&fixture("init/pool.yaml")),
    );
    for line in [
        "  name: orders-api\n",
        "  authorizer: cognito-scopes\n",
        "  external: true ",
        "  existing: true ",
        "  identifier: api\n  name: Orders API\n",
        // Descriptions from the resource server; a scope no route uses is kept.
        "  readonly: Read orders\n",
        "  reports.read: Read sales reports\n",
        "  Admin:\n    description: Administrators\n    precedence: 1\n    scopes: []",
        "  Clerks:\n    precedence: 5\n    scopes: []",
        "# app client `ReportingClient` (client credentials) allows `api/reports.read`\n",
        "  \"ANY /files/{proxy+}\": [admin]\n",
        "  GET /orders: [admin, readonly]\n",
        "  \"DELETE /orders/{orderId}\": [admin]\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let health = text.lines().find(|l| l.contains("GET /health")).unwrap();
    assert!(
        health.starts_with("  GET /health: public ")
            && health.ends_with("# no authorization in the API today"),
        "{health}"
    );
}

#[test]
fn sam_sources_processed_sam_and_includes_round_trip() {
    for from in [
        "sam/cognito-scopes.yaml",
        "sam/cognito-scopes.processed.json",
        "drift/sam-include/template.yaml",
    ] {
        let text = no_findings(&fixture(from), None);
        // rolegen's reserved scope in the API reads back as `authenticated`.
        assert!(
            text.contains("  GET /me: authenticated\n"),
            "{from}:\n{text}"
        );
        assert!(!text.contains("  authenticated:"), "{from}:\n{text}");
    }
}

#[test]
fn a_lambda_authorizer_api_grants_nothing_until_assigned() {
    let text = no_findings(&fixture("sam/lambda.yaml"), None);
    assert!(text.contains("  authorizer: lambda\n"), "{text}");
    assert!(
        text.contains(
            "  unassigned: Routes whose access the definition cannot tell; assign them\n"
        ),
        "{text}"
    );
    let orders = text.lines().find(|l| l.contains("  GET /orders:")).unwrap();
    assert!(
        orders.starts_with("  GET /orders: [unassigned] ")
            && orders.ends_with("# Lambda authorizer `Rolegen` today: replace `unassigned` with the scopes of the groups that may call it"),
        "{orders}"
    );
    // No group has `unassigned`: the written file's matrix allows those routes to nobody.
    let dir = common::scratch("init-lambda");
    fs::write(dir.join("roles.yaml"), &text).unwrap();
    let explain = common::rolegen()
        .current_dir(&dir)
        .args(["explain", "--format", "json", "GET /orders"])
        .output()
        .unwrap();
    assert!(explain.status.success());
    let doc: Value = serde_json::from_slice(&explain.stdout).unwrap();
    let route = &doc["routes"][0];
    assert_eq!(route["public"], false, "{doc}");
    assert_eq!(route["scopes"][0]["scope"], "unassigned", "{doc}");
    assert_eq!(route["allowed"], serde_json::json!([]), "{doc}");
    let groups = &text[text.find("\ngroups:").unwrap()..text.find("\nroutes:").unwrap()];
    assert!(!groups.contains("unassigned"), "{groups}");
}

/// A Cognito method without scopes takes any token of the pool (ID tokens too); roles.yaml can
/// only say `authenticated`, which rolegen enforces with its scope. Drift names exactly that.
#[test]
fn cdk_synth_round_trips_except_any_token_methods() {
    let (text, code, findings) = round_trip(&fixture("init/cdk.template.json"), None);
    assert!(text.contains("  GET /me: authenticated "), "{text}");
    assert_eq!(code, 1, "{findings:#?}");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["rule"], "RG103");
    assert_eq!(findings[0]["route"], "GET /me");
    assert_eq!(
        findings[0]["message"],
        "the API accepts any token of the user pool (no `AuthorizationScopes`, so ID tokens too); roles.yaml requires one of `api/authenticated`"
    );
}

#[test]
fn a_scope_roles_yaml_cannot_express_is_dropped_with_a_comment() {
    let dir = common::scratch("init-builtin");
    let export = fs::read_to_string(common::repo().join(fixture("init/export.json")))
        .unwrap()
        .replace(
            "[\"api/orders.write\"]",
            "[\"api/orders.write\", \"aws.cognito.signin.user.admin\"]",
        );
    let api = dir.join("export.json");
    fs::write(&api, export).unwrap();
    let api = api.to_str().unwrap();
    let (out, text) = init(&dir, api, None);
    assert!(out.status.success());
    let post = text.lines().find(|l| l.contains("POST /orders")).unwrap();
    assert!(
        post.starts_with("  POST /orders: [orders.write] ")
            && post.ends_with("# the API also accepts `aws.cognito.signin.user.admin`, which roles.yaml cannot express (another resource server, or a built-in scope)"),
        "{post}"
    );
    let (code, findings) = drift(&dir.join("roles.yaml"), api);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["route"], "POST /orders");
}

#[test]
fn init_never_replaces_a_file_without_force() {
    let dir = common::scratch("init-exists");
    let roles = dir.join("roles.yaml");
    fs::write(&roles, "keep me\n").unwrap();
    let (out, text) = init(&dir, &fixture("init/export.json"), None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text, "keep me\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exists already"), "{err}");
    assert!(err.contains("--force"), "{err}");

    let out = common::rolegen()
        .current_dir(common::repo())
        .arg("--config")
        .arg(&roles)
        .args(["init", "--force", "--from", &fixture("init/export.json")])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(fs::read_to_string(&roles).unwrap().contains("version: 1\n"));
    assert_only(&dir, &["roles.yaml"]);
}

/// Nothing but `names` in `dir` (no temporary file left behind).
fn assert_only(dir: &Path, names: &[&str]) {
    let mut have: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    have.sort();
    assert_eq!(have, names);
}

#[test]
fn names_from_the_definition_cannot_break_out_of_comments() {
    let dir = common::scratch("init-hostile");
    let sam = fs::read_to_string(common::repo().join(fixture("sam/lambda.yaml")))
        .unwrap()
        .replace(
            "DefaultAuthorizer: Rolegen",
            "DefaultAuthorizer: \"Evil\\n  GET /x: public\"",
        )
        .replace(
            "          Rolegen:\n",
            "          \"Evil\\n  GET /x: public\":\n",
        );
    let api: PathBuf = dir.join("template.yaml");
    fs::write(&api, sam).unwrap();
    let (out, text) = init(&dir, api.to_str().unwrap(), None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("\n  GET /x"), "{text}");
    assert!(
        text.contains("Lambda authorizer `Evil   GET /x: public` today"),
        "{text}"
    );
}

/// The drift fixtures of every other kind (`get-resources`, `serverless package`, a Swagger 2
/// export, `cdk synth`) mix scoped Cognito methods with any-token methods and a Lambda
/// authorizer: their round trip finds only those, never a missing or undeclared route.
#[test]
fn every_other_kind_round_trips_to_the_documented_findings_only() {
    for from in [
        "get-resources.json",
        "serverless-update-stack.json",
        "apigw-export-swagger.yaml",
        "cdk-synth.template.json",
    ] {
        let (_, _, findings) = round_trip(&format!("tests/fixtures/drift/{from}"), None);
        for f in &findings {
            let rule = f["rule"].as_str().unwrap();
            let ok = match rule {
                "RG103" => f["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("the API accepts any token of the user pool"),
                "RG105" => true,
                // What the reader cannot follow in the fixture stays reported.
                "RG108" => true,
                _ => false,
            };
            assert!(ok, "{from}: {f:#}");
        }
    }
}
