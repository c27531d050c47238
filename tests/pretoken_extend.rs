//! `pretoken: {extend: ./my-trigger.mjs}`: a pool that already has a pre-token trigger keeps it.
//! The team's function runs inside the generated trigger, under `node`, and this test checks
//! what Cognito would receive: the team's claims and group overrides kept, its scopes of other
//! resource servers kept, and the scopes of rolegen's resource server exactly those the user's
//! real groups grant (written out here by hand from the roles file), whatever the team's code
//! tried: adding `api/admin` for everyone, suppressing a granted scope, writing the `scope`
//! claim, rewriting the event's groups. A team function that throws makes the trigger throw.

mod common;

use serde_json::{Value, json};
use std::fs;
use std::path::Path;
use std::process::Command;

const ROLES: &str = "version: 1
api: {name: orders-api, stage: prod, authorizer: cognito-scopes}
user_pool: {name: orders-users, existing: true}
resource_server: {identifier: api, name: Orders API}
scopes: {admin: Admin, readonly: Read, orders.write: Write}
groups:
  Admin: {scopes: [admin], includes: [Editor]}
  Editor: {scopes: [orders.write], includes: [ReadOnly]}
  ReadOnly: {scopes: [readonly]}
routes:
  GET /me: authenticated
  GET /orders: [readonly]
  POST /orders: [orders.write]
  DELETE /orders/{id}: [admin]
pretoken:
  extend: ./team/my-trigger.mjs
";

/// The team's existing trigger: useful claims, and every trick that must not widen access.
const TEAM: &str = r#"export const handler = async (event) => {
  const tenant = event.request.userAttributes["custom:tenant"];
  event.request.groupConfiguration.groupsToOverride = ["Admin"];
  event.response = {
    claimsAndScopeOverrideDetails: {
      idTokenGeneration: { claimsToAddOrOverride: { tenant }, claimsToSuppress: ["email"] },
      accessTokenGeneration: {
        claimsToAddOrOverride: { tenant, scope: "api/admin" },
        claimsToSuppress: ["scope", "username"],
        scopesToAdd: ["api/admin", "reports/read"],
        scopesToSuppress: ["api/readonly", "legacy/write"],
      },
      groupOverrideDetails: { groupsToOverride: ["Admin"], preferredRole: "arn:aws:iam::123456789012:role/x" },
    },
  };
  return event;
};
"#;

fn generate(dir: &Path, team: &str) -> std::process::Output {
    fs::create_dir_all(dir.join("team")).unwrap();
    fs::write(dir.join("roles.yaml"), ROLES).unwrap();
    fs::write(dir.join("team/my-trigger.mjs"), team).unwrap();
    common::rolegen()
        .current_dir(dir)
        .arg("gen")
        .output()
        .unwrap()
}

/// Runs the generated trigger under node for each event; its responses, or the error.
fn run(dir: &Path, events: &[Value]) -> Result<Vec<Value>, String> {
    let script = dir.join("run.mjs");
    fs::write(
        &script,
        format!(
            "import {{ handler }} from './out/pretoken/index.mjs';\n\
             const events = {};\n\
             try {{\n\
               const out = [];\n\
               for (const e of events) out.push((await handler(e)).response);\n\
               console.log(JSON.stringify(out));\n\
             }} catch (e) {{ console.error('threw: ' + e.message); process.exit(3); }}\n",
            serde_json::to_string(events).unwrap()
        ),
    )
    .unwrap();
    let out = Command::new("node")
        .arg(&script)
        .output()
        .expect("run node");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn event(groups: &[&str], requested: &[&str]) -> Value {
    json!({
        "version": "2",
        "triggerSource": "TokenGeneration_Authentication",
        "userPoolId": "eu-west-1_AbCdEf123",
        "userName": "u1",
        "request": {
            "userAttributes": {"sub": "u1", "custom:tenant": "acme"},
            "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": null},
            "scopes": requested,
        },
        "response": {"claimsAndScopeOverrideDetails": null},
    })
}

#[test]
fn the_team_trigger_keeps_its_claims_and_rolegen_decides_the_scopes() {
    let dir = common::scratch("pretoken-extend");
    let out = generate(&dir, TEAM);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(dir.join("out/pretoken/extend.mjs")).unwrap(),
        TEAM,
        "the team's file is copied as it is"
    );
    let all = [
        "api/admin",
        "api/orders.write",
        "api/readonly",
        "api/authenticated",
    ];
    let responses = run(
        &dir,
        &[
            event(&["ReadOnly"], &all),
            event(&["Editor"], &all),
            event(&[], &all),
            event(&["Admin"], &all),
        ],
    )
    .unwrap();
    // Granted by the groups in roles.yaml (Editor includes ReadOnly; Admin includes Editor),
    // plus `api/authenticated` for every signed-in user; `reports/read` is the team's own.
    let expected_add = [
        vec!["api/authenticated", "api/readonly", "reports/read"],
        vec![
            "api/authenticated",
            "api/orders.write",
            "api/readonly",
            "reports/read",
        ],
        vec!["api/authenticated", "reports/read"],
        vec![
            "api/admin",
            "api/authenticated",
            "api/orders.write",
            "api/readonly",
            "reports/read",
        ],
    ];
    let expected_suppress = [
        vec!["api/admin", "api/orders.write", "legacy/write"],
        vec!["api/admin", "legacy/write"],
        vec![
            "api/admin",
            "api/orders.write",
            "api/readonly",
            "legacy/write",
        ],
        vec!["legacy/write"],
    ];
    for (i, r) in responses.iter().enumerate() {
        let d = &r["claimsAndScopeOverrideDetails"];
        let access = &d["accessTokenGeneration"];
        assert_eq!(access["scopesToAdd"], json!(expected_add[i]), "{i}: {r}");
        let mut suppress: Vec<String> =
            serde_json::from_value(access["scopesToSuppress"].clone()).unwrap();
        suppress.sort();
        assert_eq!(suppress, expected_suppress[i], "{i}: {r}");
        // The team's claims stay; only `scope` is taken from them.
        assert_eq!(
            access["claimsToAddOrOverride"],
            json!({"tenant": "acme"}),
            "{r}"
        );
        assert_eq!(access["claimsToSuppress"], json!(["username"]), "{r}");
        assert_eq!(
            d["idTokenGeneration"],
            json!({"claimsToAddOrOverride": {"tenant": "acme"}, "claimsToSuppress": ["email"]})
        );
        assert_eq!(
            d["groupOverrideDetails"]["groupsToOverride"],
            json!(["Admin"])
        );
    }
}

#[test]
fn a_team_trigger_that_throws_issues_no_token() {
    let dir = common::scratch("pretoken-extend-throws");
    let out = generate(
        &dir,
        "export const handler = async () => { throw new Error('directory down'); };\n",
    );
    assert!(out.status.success());
    let err = run(&dir, &[event(&["Admin"], &["api/admin"])]).unwrap_err();
    assert!(err.contains("threw: directory down"), "{err}");
}

#[test]
fn extend_needs_cognito_scopes_and_a_readable_file() {
    let dir = common::scratch("pretoken-extend-errors");
    let out = common::rolegen_in(
        &dir,
        &ROLES.replace("authorizer: cognito-scopes", "authorizer: lambda"),
        &["gen"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`pretoken.extend` needs `authorizer: cognito-scopes`, not `lambda`"),
        "{err}"
    );

    let out = common::rolegen_in(&dir, ROLES, &["gen"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read `team/my-trigger.mjs`"), "{err}");
    assert!(err.contains("--> roles.yaml:16:11"), "{err}");
    assert!(!dir.join("out").exists(), "out/ written after an error");
}
