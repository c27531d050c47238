//! `rolegen drift` on the shapes of projects adopting rolegen: a SAM API whose OpenAPI
//! document is a local file (`AWS::Include`, followed relative to the template), and APIs whose
//! definition cannot be read whole (a missing include, a `DefinitionUri` in S3): their declared
//! routes are counted as not compared, in one error, never as false missing-route warnings.
//! Every finding is asserted exactly (rule, route, message, place), from `--format json`.

mod common;

use serde_json::Value;
use std::path::PathBuf;

fn adopt(rel: &str) -> PathBuf {
    common::repo().join("tests/fixtures/adopt").join(rel)
}

/// `(exit code, findings)` of `rolegen drift --format json`, run from the repository so that
/// paths in findings are relative.
fn drift(roles: &str, api: &str) -> (i32, Vec<Value>) {
    let out = common::rolegen()
        .current_dir(common::repo())
        .args(["--config", roles, "drift", "--format", "json", "--api", api])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap(),
        doc["findings"].as_array().unwrap().clone(),
    )
}

const ROLES: &str = "tests/fixtures/adopt/external_scopes.yaml";

#[test]
fn a_local_aws_include_is_followed_relative_to_the_template() {
    assert!(adopt("drift/sam-include/api/openapi.yaml").is_file());
    let (code, findings) = drift(
        ROLES,
        "tests/fixtures/adopt/drift/sam-include/template.yaml",
    );
    assert_eq!(code, 1, "{findings:#?}");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["rule"], "RG103");
    assert_eq!(f["route"], "DELETE /orders/{orderId}");
    assert_eq!(
        f["message"],
        "the API also accepts `api/readonly`, which roles.yaml does not grant this route, and no longer accepts `api/admin`"
    );
    assert_eq!(f["location"]["line"], 35);
    // The method is placed in the included file, at its own line.
    assert_eq!(
        f["help"],
        "set the method's `AuthorizationScopes` to `api/admin`; the API's method is at `tests/fixtures/adopt/drift/sam-include/api/openapi.yaml:28`"
    );
}

#[test]
fn a_missing_include_fails_with_the_count_of_routes_not_compared() {
    let (code, findings) = drift(
        ROLES,
        "tests/fixtures/adopt/drift/sam-include-missing/template.yaml",
    );
    assert_eq!(
        code, 1,
        "exit 1 with the default --fail-on error: {findings:#?}"
    );
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["RG109", "RG108"], "{findings:#?}");
    assert_eq!(
        findings[0]["message"],
        "6 routes of roles.yaml could not be compared: 1 definition of API `OrdersApi` could not be read (see `unresolved`), so its routes are unknown"
    );
    assert_eq!(findings[0]["severity"], "error");
    let unresolved = findings[1]["message"].as_str().unwrap();
    assert!(
        unresolved.starts_with(
            "the `DefinitionBody` of API `OrdersApi` includes `./api/missing.yaml`, which cannot be read ("
        ),
        "{unresolved}"
    );
    assert_eq!(findings[1]["location"]["line"], 14);
    // No missing-route warning: nothing says a route is missing when its definition is unread.
    assert!(!rules.contains(&"RG107"));
}

#[test]
fn a_definition_in_s3_counts_only_the_routes_not_found_elsewhere() {
    // `/health` comes from a function event, so it is compared; the other five are not.
    let (code, findings) = drift(ROLES, "tests/fixtures/adopt/drift/definition-uri.yaml");
    assert_eq!(code, 1, "{findings:#?}");
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["RG109", "RG108"], "{findings:#?}");
    assert_eq!(
        findings[0]["message"],
        "5 routes of roles.yaml could not be compared: 1 definition of API `OrdersApi` could not be read (see `unresolved`), so its routes are unknown"
    );
}
