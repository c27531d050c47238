//! Machine clients and `match` routes through the commands a reviewer uses: `explain`
//! (`--client`, "only your own"), `diff` (clients and bindings added, removed, widened),
//! `drift` (a `match` route's authorizer must key its cache on the concrete path) and the docs
//! page. Whether the generated authorizers decide them exactly is proven independently in
//! `tests/lambda_exact.rs`.

mod common;

use common::{repo, rolegen, scratch};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture() -> String {
    fs::read_to_string(repo().join("tests/fixtures/clients/bookings.yaml")).unwrap()
}

fn setup(test: &str, text: &str) -> PathBuf {
    let dir = scratch(&format!("clients-{test}"));
    fs::write(dir.join("roles.yaml"), text).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    rolegen()
        .current_dir(dir)
        .args(args)
        .args(["--color", "never"])
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn explain_client_lists_what_its_scopes_grant_and_never_user_routes() {
    let dir = setup("explain-client", &fixture());
    let o = run(&dir, &["explain", "--client", "billing-sync"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = stdout(&o);
    let expected = "\
machine client `billing-sync` may call 2 of 6 routes, with a client-credentials access token
scopes: `bookings.read` (api/bookings.read)
may call:
  GET /bookings                             `bookings.read`
  GET /health                               public
may not call:
  DELETE /bookings/{id}                     needs `admin`
  GET /me                                   for signed-in users only
  GET /users/{userId}/bookings              for signed-in users only
  PUT /users/{userId}/bookings/{bookingId}  for signed-in users only
";
    assert_eq!(text, expected);

    // `ops bot` has `admin` and `bookings.write`: the PUT route takes both, but it is bound to a
    // user's claim, so a client never gets it.
    let o = run(
        &dir,
        &[
            "explain",
            "PUT /users/u1/bookings/b1",
            "--client",
            "ops bot",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.contains("machine client `ops bot` may NOT call it: it is for signed-in users"),
        "{text}"
    );
    assert!(
        text.contains(
            "only your own `{userId}`: it must equal the caller's `cognito:username` claim"
        ),
        "{text}"
    );
    let o = run(
        &dir,
        &["explain", "DELETE /bookings/7", "--client", "ops bot"],
    );
    assert!(
        stdout(&o).contains("machine client `ops bot` MAY call it, with its scope `admin`"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn explain_json_carries_bindings_and_clients() {
    let dir = setup("explain-json", &fixture());
    let o = run(
        &dir,
        &["explain", "GET /users/{id}/bookings", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let route = &v["routes"][0];
    assert_eq!(route["route"], "GET /users/{userId}/bookings");
    assert_eq!(
        route["only_own"],
        serde_json::json!([{"variable": "userId", "claim": "sub"}])
    );
    assert_eq!(route["clients"]["allowed"], serde_json::json!([]));
    assert_eq!(
        route["clients"]["denied"],
        serde_json::json!(["billing-sync", "ops bot"])
    );

    let o = run(&dir, &["explain", "-g", "Staff", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let bound: Vec<&Value> = v["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("only_own").is_some())
        .collect();
    assert_eq!(bound.len(), 1, "{v}");
    assert_eq!(bound[0]["route"], "GET /users/{userId}/bookings");
}

#[test]
fn explain_unknown_client_is_a_usage_error() {
    let dir = setup("explain-unknown", &fixture());
    let o = run(&dir, &["explain", "--client", "billing-synk"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no machine client `billing-synk`"), "{err}");
    assert!(err.contains("did you mean `billing-sync`?"), "{err}");
    let o = run(&dir, &["explain", "--client", "x", "--groups", "Staff"]);
    assert_eq!(o.status.code(), Some(2), "--client and --groups conflict");
}

#[test]
fn diff_reports_clients_and_bindings() {
    let old = fixture();
    let new = old
        .replace("    match: {userId: sub}\n", "")
        .replace(
            "    scopes: [bookings.read]\n  ops bot:",
            "    scopes: [bookings.read, admin]\n  ops bot:",
        )
        .replace(
            "  ops bot:\n    scopes: [admin, bookings.write]\n",
            "  reporter:\n    scopes: [bookings.read]\n",
        );
    assert_ne!(old, new);
    let dir = setup("diff", &new);
    fs::write(dir.join("previous.yaml"), &old).unwrap();
    let o = run(
        &dir,
        &["diff", "previous.yaml", "roles.yaml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = v["findings"].as_array().expect("findings");
    let mut got: Vec<(String, String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want = vec![
        (
            "RG214".to_string(),
            "warning".to_string(),
            "new machine client `reporter` may call 1 protected route: `GET /bookings`".to_string(),
        ),
        (
            "RG215".to_string(),
            "warning".to_string(),
            "machine client `ops bot` was removed: its app client is deleted, and its id and secret stop working".to_string(),
        ),
        (
            "RG216".to_string(),
            "warning".to_string(),
            "machine client `billing-sync` may now call 1 more route: `DELETE /bookings/{id}`".to_string(),
        ),
        (
            "RG218".to_string(),
            "warning".to_string(),
            "no longer bound to the caller: `{userId} = sub` → none; callers may reach values that are not their own".to_string(),
        ),
    ];
    assert_eq!(got, want);
    // Every one of these widens access but the removal.
    let o = run(
        &dir,
        &["diff", "previous.yaml", "roles.yaml", "--fail-on-grant"],
    );
    assert_eq!(o.status.code(), Some(1));
    // The reverse: a binding added, a client's access revoked, a client added.
    let o = run(
        &dir,
        &["diff", "roles.yaml", "previous.yaml", "--format", "json"],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for r in ["RG214", "RG215", "RG217", "RG219"] {
        assert!(rules.contains(&r), "{r} missing from {rules:?}");
    }
    assert!(
        !rules.contains(&"RG218") && !rules.contains(&"RG216"),
        "{rules:?}"
    );
}

#[test]
fn drift_demands_a_path_keyed_cache_on_match_routes() {
    let dir = setup("drift", &fixture());
    let o = run(&dir, &["gen"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    for api in ["out/cfn/template.yaml", "out/openapi/openapi.yaml"] {
        let o = run(&dir, &["drift", "--api", api]);
        assert_eq!(o.status.code(), Some(0), "{api}: {}", stdout(&o));
    }
    let template = fs::read_to_string(dir.join("out/cfn/template.yaml")).unwrap();
    let keyed_on_route = template.replace(
        "context.httpMethod,context.path",
        "context.httpMethod,context.resourcePath",
    );
    assert_ne!(template, keyed_on_route);
    fs::write(dir.join("route-keyed.yaml"), keyed_on_route).unwrap();
    let o = run(
        &dir,
        &["drift", "--api", "route-keyed.yaml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let routes: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["route"].as_str().unwrap()))
        .collect();
    assert_eq!(
        routes,
        vec![
            ("RG105", "GET /users/{userId}/bookings"),
            ("RG105", "PUT /users/{userId}/bookings/{bookingId}"),
        ]
    );
}

#[test]
fn docs_show_clients_and_bindings() {
    let dir = setup("docs", &fixture());
    let o = run(&dir, &["gen", "--target", "docs"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let md = fs::read_to_string(dir.join("out/docs/access-matrix.md")).unwrap();
    assert!(md.contains(
        "| `GET /users/{userId}/bookings` | 🔑 signed in · 👤 own `{userId}` = `sub` | ✅ | ✅ |"
    ), "{md}");
    assert!(
        md.contains("| billing-sync | Nightly billing export | bookings.read | `GET /bookings` |"),
        "{md}"
    );
    assert!(
        md.contains("| ops bot | — | admin, bookings.write | `DELETE /bookings/{id}` |"),
        "{md}"
    );
}

#[test]
fn clients_need_the_pool_domain() {
    let text = fixture().replace("  domain: bookings-auth-example\n", "");
    let dir = setup("needs-domain", &text);
    let o = run(&dir, &["check"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("error[needs-domain]"), "{err}");
    assert!(
        err.contains("billing-sync:"),
        "points at the first client: {err}"
    );
}

#[test]
fn cost_counts_the_files_clients_unless_told() {
    let dir = setup("cost", &fixture());
    let json = |args: &[&str]| -> Value {
        let o = run(&dir, &[&["cost", "--format", "json"][..], args].concat());
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let by_default = json(&["--mau", "1000"]);
    assert_eq!(by_default["usage"]["clients"], 2.0, "{by_default}");
    let told = json(&["--mau", "1000", "--clients", "5"]);
    assert_eq!(told["usage"]["clients"], 5.0);
    let none = json(&["--mau", "1000", "--clients", "0"]);
    assert_eq!(none["usage"]["clients"], 0.0);
}

#[test]
fn drift_reads_clients_and_bindings_back_from_the_handler() {
    let dir = setup("drift-table", &fixture());
    assert_eq!(run(&dir, &["gen"]).status.code(), Some(0));
    let handler = fs::read_to_string(dir.join("out/authorizer/index.mjs")).unwrap();
    let o = run(
        &dir,
        &[
            "drift",
            "--api",
            "out/cfn/template.yaml",
            "--authorizer",
            "out/authorizer/index.mjs",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A handler that lets a second client read bookings and binds the user's bookings to
    // another claim than roles.yaml says.
    let edited = handler
        .replace(
            r#"["GET /bookings",[0,1],[0],[]]"#,
            r#"["GET /bookings",[0,1],[0,1],[]]"#,
        )
        .replace(
            r#"[["userId","sub"]]"#,
            r#"[["userId","cognito:username"]]"#,
        );
    assert_ne!(edited, handler, "the table has the rows edited here");
    fs::write(dir.join("edited.mjs"), edited).unwrap();
    let o = run(
        &dir,
        &[
            "drift",
            "--api",
            "out/cfn/template.yaml",
            "--authorizer",
            "edited.mjs",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut got: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["route"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "GET /bookings".to_string(),
                "the authorizer lets `billing-sync`, `ops bot` call this route; roles.yaml grants it to `billing-sync`".to_string()
            ),
            (
                "GET /users/{userId}/bookings".to_string(),
                "the authorizer binds `{userId}` to `cognito:username`; roles.yaml binds `{userId}` to `sub`".to_string()
            ),
        ]
    );
}

#[test]
fn drift_compares_the_pools_machine_clients_with_roles_yaml() {
    let dir = setup("drift-clients", &fixture());
    assert_eq!(run(&dir, &["gen"]).status.code(), Some(0));
    let template = fs::read_to_string(dir.join("out/cfn/template.yaml")).unwrap();
    // billing-sync's app client also allows `api/admin`; ops bot's client is not there.
    let wider = template.replacen(
        "AllowedOAuthScopes:\n      - api/bookings.read\n",
        "AllowedOAuthScopes:\n      - api/bookings.read\n      - api/admin\n",
        1,
    );
    assert_ne!(wider, template);
    // The pool's client for ops bot under another logical ID: not the one roles.yaml's gives.
    let edited = wider.replacen(
        "\n  MachineClientopsbotB8921F56:\n    Type: AWS::Cognito::UserPoolClient",
        "\n  HandMadeClient:\n    Type: AWS::Cognito::UserPoolClient",
        1,
    );
    assert_ne!(edited, wider, "the client's resource was renamed");
    fs::write(dir.join("edited.yaml"), edited).unwrap();
    let o = run(&dir, &["drift", "--api", "edited.yaml", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o:?}"));
    let got: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "RG112")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "error".to_string(),
                "app client `MachineClientbillingsync5988E000` allows `api/admin`, which roles.yaml does not grant machine client `billing-sync`: wider access than declared".to_string()
            ),
            (
                "warning".to_string(),
                "roles.yaml's machine client `ops bot` has no client-credentials app client `MachineClientopsbotB8921F56` in `edited.yaml`: it cannot get a token".to_string()
            ),
        ],
        "{v}"
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn drift_reads_the_verified_permissions_handler_back() {
    let dir = setup(
        "drift-vp-table",
        &fixture().replace("authorizer: lambda", "authorizer: verified-permissions"),
    );
    assert_eq!(run(&dir, &["gen"]).status.code(), Some(0));
    let args = |handler: &str| {
        vec![
            "drift".to_string(),
            "--api".into(),
            "out/cfn/template.yaml".into(),
            "--authorizer".into(),
            handler.into(),
            "--format".into(),
            "json".into(),
        ]
    };
    let drift = |handler: &str| {
        let a = args(handler);
        let o = run(&dir, &a.iter().map(String::as_str).collect::<Vec<_>>());
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o:?}"));
        (o.status.code(), v)
    };
    let (code, v) = drift("out/authorizer/index.mjs");
    assert_eq!(code, Some(0), "{v}");
    let handler = fs::read_to_string(dir.join("out/authorizer/index.mjs")).unwrap();
    // A handler that lets anyone delete bookings without asking, and binds the user's bookings
    // to their username instead of their `sub`.
    let edited = handler
        .replace(
            r#"["DELETE /bookings/{id}",false,[],true]"#,
            r#"["DELETE /bookings/{id}",true,[],true]"#,
        )
        .replace(
            r#"[["userId","sub","sub"]]"#,
            r#"[["userId","cognito:username","cognito:username"]]"#,
        );
    assert_ne!(edited, handler, "the rows edited here are in the table");
    fs::write(dir.join("edited.mjs"), &edited).unwrap();
    let (code, v) = drift("edited.mjs");
    assert_eq!(code, Some(1));
    let mut got: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["rule"], "RG113");
            (
                f["route"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "DELETE /bookings/{id}".to_string(),
                "the authorizer allows this route to anyone, without asking Verified Permissions; roles.yaml protects it".to_string()
            ),
            (
                "GET /users/{userId}/bookings".to_string(),
                "the authorizer binds `{userId}` to `cognito:username`; roles.yaml binds `{userId}` to `sub`".to_string()
            ),
        ]
    );
}
