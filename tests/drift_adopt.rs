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
    drift_with(roles, api, &[])
}

/// The same with the Cognito side read from `cognito`.
fn drift_with_cognito(roles: &str, api: &str, cognito: &str) -> (i32, Vec<Value>) {
    drift_with(roles, api, &["--cognito", cognito])
}

fn drift_with(roles: &str, api: &str, more: &[&str]) -> (i32, Vec<Value>) {
    let out = common::rolegen()
        .current_dir(common::repo())
        .args(["--config", roles, "drift", "--format", "json", "--api", api])
        .args(more)
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

/// The rule of each finding, in order.
fn rules(findings: &[Value]) -> Vec<&str> {
    findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
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
    let rules = rules(&findings);
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
    let rules = rules(&findings);
    assert_eq!(rules, ["RG109", "RG108"], "{findings:#?}");
    assert_eq!(
        findings[0]["message"],
        "5 routes of roles.yaml could not be compared: 1 definition of API `OrdersApi` could not be read (see `unresolved`), so its routes are unknown"
    );
}

/// `(rule, route, file:line)` of each finding.
fn brief(findings: &[Value]) -> Vec<(String, String, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["route"].as_str().unwrap_or("").to_string(),
                format!(
                    "{}:{}",
                    f["location"]["file"].as_str().unwrap_or(""),
                    f["location"]["line"]
                ),
            )
        })
        .collect()
}

#[test]
fn the_cognito_side_is_compared_when_a_template_defines_it() {
    // The API matches roles.yaml; the pool's resource server lacks `orders.write` and
    // `authenticated`, a group is missing, and a client allows an undeclared scope.
    let (code, findings) = drift_with_cognito(
        ROLES,
        "tests/fixtures/adopt/sam/cognito-scopes.yaml",
        "tests/fixtures/adopt/drift/pool-drift.yaml",
    );
    assert_eq!(code, 1);
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    let mut got = brief(&findings);
    got.sort();
    assert_eq!(
        got,
        [
            s("RG110", "", "tests/fixtures/adopt/external_scopes.yaml:16"),
            s(
                "RG110",
                "GET /me",
                "tests/fixtures/adopt/sam/cognito-scopes.yaml:36"
            ),
            s(
                "RG110",
                "POST /orders",
                "tests/fixtures/adopt/sam/cognito-scopes.yaml:54"
            ),
            s("RG111", "", "tests/fixtures/adopt/external_scopes.yaml:26"),
            s("RG112", "", "tests/fixtures/adopt/drift/pool-drift.yaml:24"),
        ]
    );
    let mut messages: Vec<&str> = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    messages.sort();
    let mut expected = [
        "roles.yaml's scope `api/orders.write` is declared by no resource server (`api` in `tests/fixtures/adopt/drift/pool-drift.yaml`): no token can carry it",
        "the API's method requires `api/authenticated`, which no resource server declares (`api` in `tests/fixtures/adopt/drift/pool-drift.yaml`): no token can carry it",
        "the API's method requires `api/orders.write`, which no resource server declares (`api` in `tests/fixtures/adopt/drift/pool-drift.yaml`): no token can carry it",
        "roles.yaml declares group `ReadOnly`, which the user pool in `tests/fixtures/adopt/drift/pool-drift.yaml` does not have: no user can be in it",
        "app client `WebClient` allows `api/orders.write`, which no resource server declares",
    ];
    expected.sort();
    assert_eq!(messages, expected);
}

/// rolegen's own `api.external` template is the Cognito side the SAM example runs against:
/// together they show no drift at all.
#[test]
fn rolegens_own_cognito_side_matches_the_sam_example() {
    let out = common::scratch("drift-own-cognito");
    let run = common::rolegen()
        .current_dir(common::repo())
        .args(["--config", ROLES, "--out"])
        .arg(&out)
        .args(["gen", "--target", "cfn"])
        .output()
        .unwrap();
    assert!(run.status.success());
    let template = out.join("cfn/template.yaml");
    let (code, findings) = drift_with_cognito(
        ROLES,
        "tests/fixtures/adopt/sam/cognito-scopes.yaml",
        template.to_str().unwrap(),
    );
    assert_eq!((code, findings.len()), (0, 0), "{findings:#?}");
}

/// Generates `roles` (text) into a scratch folder; the folder.
fn generate(name: &str, roles: &str) -> PathBuf {
    let dir = common::scratch(name);
    let run = common::rolegen_in(&dir, roles, &["gen"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    dir
}

#[test]
fn rolegens_authorizer_is_read_back_and_compared() {
    let roles = std::fs::read_to_string(adopt("external_lambda.yaml")).unwrap();
    let fresh = generate("table-fresh", &roles);
    let handler = |dir: &PathBuf| dir.join("out/authorizer/index.mjs").display().to_string();
    let run = |dir: &PathBuf, authorizer: &str| {
        let out = common::rolegen()
            .current_dir(dir)
            .args(["drift", "--format", "json", "--api"])
            .arg(adopt("sam/lambda.yaml"))
            .args(["--authorizer", authorizer])
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.code().unwrap(),
            doc["findings"].as_array().cloned().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, findings, _) = run(&fresh, &handler(&fresh));
    assert_eq!((code, findings.len()), (0, 0), "{findings:#?}");

    // A handler generated before `DELETE` was narrowed to `admin`: it still lets Editors in.
    let older = generate(
        "table-older",
        &roles.replace(
            "DELETE /orders/{orderId}: [admin]",
            "DELETE /orders/{orderId}: [orders.write]",
        ),
    );
    let (code, findings, _) = run(&fresh, &handler(&older));
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["rule"], "RG113");
    assert_eq!(findings[0]["route"], "DELETE /orders/{orderId}");
    assert_eq!(
        findings[0]["message"],
        "the authorizer lets groups `Admin`, `Editor` call this route; roles.yaml grants it to group `Admin`"
    );

    // A file that is not rolegen's handler: the tool cannot compare (exit 2), never "no drift".
    let hand = fresh.join("hand-written.mjs");
    std::fs::write(&hand, "export const handler = async () => ({});\n").unwrap();
    let (code, _, err) = run(&fresh, &hand.display().to_string());
    assert_eq!(code, 2);
    assert!(
        err.contains("it has no `const GROUPS = [...]` table"),
        "{err}"
    );
}
