//! The `rolegen` binary as a user and CI run it: exit codes, what `check` prints, that a
//! failed `gen` leaves `out/` alone, determinism, the JSON Schema (checked with the Python
//! `jsonschema` package, not with ourselves), the `--help` text, and the rendered errors of
//! the cases under `tests/fixtures/invalid/`.
//!
//! Snapshots (`tests/snapshots/help.txt`, `tests/fixtures/invalid/*/stderr.txt`) are
//! refreshed with `UPDATE_SNAPSHOTS=1 cargo test --test cli`.

mod common;

use common::{repo, rolegen, scratch};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A small valid roles file using the `cognito-scopes` strategy (its targets are complete).
const ROLES: &str = "\
version: 1
api:
  name: orders-api
  stage: prod
  authorizer: cognito-scopes
user_pool:
  name: orders-users
resource_server:
  identifier: api
  name: Orders API
scopes:
  admin: Full administrative access
  readonly: Read everything
  orders.write: Create and change orders
groups:
  Admin:
    precedence: 1
    scopes: [admin]
    includes: [Editor]
  Editor:
    precedence: 5
    scopes: [orders.write]
    includes: [ReadOnly]
  ReadOnly:
    precedence: 10
    scopes: [readonly]
routes:
  GET /health: public
  GET /admin: [admin]
  GET /orders: [readonly]
  POST /orders:
    scopes: [orders.write]
  GET /orders/{orderId}: [readonly]
  DELETE /orders/{orderId}: [admin]
";

/// `ROLES` with every section, and every entry inside them, in another order.
const ROLES_REORDERED: &str = "\
routes:
  DELETE /orders/{orderId}: [admin]
  GET /orders/{orderId}: [readonly]
  POST /orders:
    scopes: [orders.write]
  GET /orders: [readonly]
  GET /admin: [admin]
  GET /health: public
groups:
  ReadOnly:
    scopes: [readonly]
    precedence: 10
  Editor:
    includes: [ReadOnly]
    scopes: [orders.write]
    precedence: 5
  Admin:
    includes: [Editor]
    scopes: [admin]
    precedence: 1
scopes:
  orders.write: Create and change orders
  readonly: Read everything
  admin: Full administrative access
resource_server:
  name: Orders API
  identifier: api
user_pool:
  name: orders-users
api:
  authorizer: cognito-scopes
  stage: prod
  name: orders-api
version: 1
";

/// A project folder holding `roles.yaml`.
fn project(name: &str, roles: &str) -> PathBuf {
    let dir = scratch(&format!("cli-{name}"));
    fs::write(dir.join("roles.yaml"), roles).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    rolegen()
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run rolegen")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("rolegen exited by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs and asserts the exit code, showing both streams when it differs.
fn run_expect(dir: &Path, args: &[&str], expected: i32) -> Output {
    let out = run(dir, args);
    assert_eq!(
        code(&out),
        expected,
        "rolegen {args:?}\n--- stdout\n{}\n--- stderr\n{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// Every file and folder under `dir`, with the contents of files, for byte-for-byte
/// comparison (a leftover staging folder shows up too).
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, acc: &mut BTreeMap<String, Option<Vec<u8>>>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                acc.insert(format!("{rel}/"), None);
                walk(root, &path, acc);
            } else {
                acc.insert(rel, Some(fs::read(&path).unwrap()));
            }
        }
    }
    let mut acc = BTreeMap::new();
    walk(dir, dir, &mut acc);
    acc
}

fn file_names(t: &BTreeMap<String, Option<Vec<u8>>>) -> Vec<&str> {
    t.iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k.as_str())
        .collect()
}

/// A project with a freshly generated `out/`.
fn generated(name: &str) -> PathBuf {
    let dir = project(name, ROLES);
    run_expect(&dir, &["gen"], 0);
    dir
}

// ---------------------------------------------------------------- gen and check

#[test]
fn gen_then_check_succeeds() {
    let dir = generated("gen-check");
    let files = tree(&dir.join("out"));
    let names = file_names(&files);
    for expected in [
        "cfn/template.yaml",
        "pretoken/index.mjs",
        "schema/roles.schema.json",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains(".rolegen-")),
        "staging left behind: {names:?}"
    );
    let out = run_expect(&dir, &["check"], 0);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).contains("is up to date"), "{}", stderr(&out));
    // A second gen changes nothing.
    run_expect(&dir, &["gen"], 0);
    assert_eq!(tree(&dir.join("out")), files);
}

#[test]
fn check_fails_with_a_diff_when_a_file_was_edited() {
    let dir = generated("edited");
    let path = dir.join("out/cfn/template.yaml");
    let original = fs::read_to_string(&path).unwrap();
    let edited = original.replacen("orders-users", "orders-users-edited", 1);
    assert_ne!(edited, original, "the template names the user pool");
    fs::write(&path, &edited).unwrap();

    let out = run_expect(&dir, &["check"], 1);
    let diff = stdout(&out);
    assert!(diff.contains("--- a/cfn/template.yaml\n"), "{diff}");
    assert!(diff.contains("+++ b/cfn/template.yaml\n"), "{diff}");
    assert!(diff.contains("\n@@ "), "{diff}");
    let removed: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    let added: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(removed.len(), 1, "{diff}");
    assert_eq!(added.len(), 1, "{diff}");
    assert!(removed[0].contains("orders-users-edited"), "{diff}");
    assert_eq!(
        removed[0][1..].replace("orders-users-edited", "orders-users"),
        added[0][1..]
    );
    assert!(
        stderr(&out).contains("run `rolegen gen`"),
        "{}",
        stderr(&out)
    );
    // check never writes.
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
}

#[test]
fn check_fails_when_a_generated_file_was_deleted() {
    let dir = generated("deleted");
    fs::remove_file(dir.join("out/pretoken/index.mjs")).unwrap();
    let out = run_expect(&dir, &["check"], 1);
    let diff = stdout(&out);
    assert!(
        diff.contains("--- /dev/null\n+++ b/pretoken/index.mjs\n"),
        "{diff}"
    );
}

#[test]
fn check_fails_on_an_extra_file() {
    let dir = generated("extra");
    fs::write(dir.join("out/cfn/old-template.yaml"), "Resources: {}\n").unwrap();
    let out = run_expect(&dir, &["check"], 1);
    let diff = stdout(&out);
    assert!(
        diff.contains("--- a/cfn/old-template.yaml\n+++ /dev/null\n"),
        "{diff}"
    );
    assert!(diff.contains("-Resources: {}"), "{diff}");
    // The other files are fine and not listed.
    assert!(!diff.contains("cfn/template.yaml"), "{diff}");
}

#[test]
fn check_fails_when_out_was_never_generated() {
    let dir = project("never", ROLES);
    let out = run_expect(&dir, &["check"], 1);
    assert!(
        stdout(&out).contains("+++ b/cfn/template.yaml"),
        "{}",
        stdout(&out)
    );
}

// ---------------------------------------------------------------- bad input

const BAD_ROLES_LINE: &str = "    scopes: [admn]";

fn bad_roles() -> String {
    ROLES.replacen("    scopes: [admin]", BAD_ROLES_LINE, 1)
}

#[test]
fn bad_roles_file_exits_2_with_location_and_leaves_out_untouched() {
    let dir = generated("bad-input");
    let before = tree(&dir.join("out"));
    fs::write(dir.join("roles.yaml"), bad_roles()).unwrap();
    let line = bad_roles()
        .lines()
        .position(|l| l == BAD_ROLES_LINE)
        .unwrap()
        + 1;

    for cmd in ["check", "gen"] {
        let out = run_expect(&dir, &[cmd], 2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("--> roles.yaml:{line}:14")),
            "{cmd}: {err}"
        );
        assert!(err.contains(BAD_ROLES_LINE), "{cmd}: {err}");
        assert!(err.contains("^^^^"), "{cmd}: {err}");
        assert!(err.contains("help: did you mean `admin`?"), "{cmd}: {err}");
        assert!(stdout(&out).is_empty(), "{cmd}: {}", stdout(&out));
    }
    assert_eq!(
        tree(&dir.join("out")),
        before,
        "a failed gen must not touch out/"
    );
}

#[test]
fn config_and_out_flags_are_honoured() {
    let dir = project("flags", "");
    fs::create_dir_all(dir.join("conf")).unwrap();
    fs::write(dir.join("conf/api-roles.yaml"), ROLES).unwrap();
    run_expect(
        &dir,
        &[
            "gen",
            "--config",
            "conf/api-roles.yaml",
            "--out",
            "build/gen",
        ],
        0,
    );
    assert!(dir.join("build/gen/cfn/template.yaml").is_file());
    run_expect(
        &dir,
        &["check", "-c", "conf/api-roles.yaml", "-o", "build/gen"],
        0,
    );
    // Errors name the file as given.
    fs::write(dir.join("conf/api-roles.yaml"), bad_roles()).unwrap();
    let out = run_expect(
        &dir,
        &["check", "-c", "conf/api-roles.yaml", "-o", "build/gen"],
        2,
    );
    assert!(
        stderr(&out).contains("--> conf/api-roles.yaml:"),
        "{}",
        stderr(&out)
    );
}

/// `n` routes on distinct top-level paths, all granted by one scope.
fn roles_with_routes(n: usize) -> String {
    let mut text = ROLES[..ROLES.find("scopes:\n").unwrap()].to_string();
    text.push_str("scopes:\n  read: Read\ngroups:\n  Reader:\n    scopes: [read]\nroutes:\n");
    for i in 0..n {
        text.push_str(&format!("  GET /resource{i:03}: [read]\n"));
    }
    text
}

#[test]
fn generation_error_leaves_out_untouched() {
    let dir = generated("too-big");
    let before = tree(&dir.join("out"));
    // 300 routes on distinct paths: 300 resources and 300 methods, over CloudFormation's
    // 500 resources per template (yet within API Gateway's 300 resources per API).
    fs::write(dir.join("roles.yaml"), roles_with_routes(300)).unwrap();
    let out = run_expect(&dir, &["gen"], 2);
    let err = stderr(&out);
    assert!(err.contains("error[cfn-limit]"), "{err}");
    assert!(err.contains("CloudFormation's limit of 500"), "{err}");
    assert_eq!(
        tree(&dir.join("out")),
        before,
        "a failed gen must not touch out/"
    );
    run_expect(&dir, &["check"], 2);
}

#[test]
fn error_format_json() {
    let dir = project("json", &bad_roles().replace("GET /orders:", "get /orders:"));
    let out = run_expect(&dir, &["check", "--error-format", "json"], 2);
    let items: serde_json::Value = serde_json::from_str(&stderr(&out))
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}):\n{}", stderr(&out)));
    let items = items.as_array().expect("a JSON array");
    assert_eq!(items.len(), 2, "{items:#?}");
    let first = &items[0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["code"], "unknown-scope");
    assert_eq!(first["file"], "roles.yaml");
    assert_eq!(first["underlined"], "admn");
    assert_eq!(first["help"], "did you mean `admin`?");
    let line = bad_roles()
        .lines()
        .position(|l| l == BAD_ROLES_LINE)
        .unwrap()
        + 1;
    assert_eq!(first["line"], line);
    assert_eq!(first["column"], 14);
    assert_eq!(items[1]["code"], "bad-method");
    assert_eq!(items[1]["underlined"], "get");
    // Nothing but the JSON on stderr, nothing on stdout.
    assert!(stdout(&out).is_empty());
}

#[test]
fn error_format_json_with_a_clean_file_is_an_empty_array() {
    let dir = generated("json-clean");
    let out = run_expect(&dir, &["check", "--error-format", "json"], 0);
    // The array alone: no status line after it.
    assert_eq!(stderr(&out), "[]\n");
}

#[test]
fn pretoken_target_with_the_lambda_strategy_is_an_error() {
    let dir = project(
        "lambda-pretoken",
        &ROLES.replace("cognito-scopes", "lambda"),
    );
    let out = run_expect(&dir, &["gen", "--target", "pretoken"], 2);
    assert!(
        stderr(&out).contains("target `pretoken` is not used by `authorizer: lambda`"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("out/pretoken").exists());
}

#[test]
fn switching_to_the_lambda_strategy_removes_the_pretoken_trigger() {
    let dir = generated("switch");
    assert!(dir.join("out/pretoken/index.mjs").is_file());
    fs::write(
        dir.join("roles.yaml"),
        ROLES.replace("cognito-scopes", "lambda"),
    )
    .unwrap();
    // The trigger left from the old strategy is stale: check says so before gen removes it.
    let out = run_expect(&dir, &["check"], 1);
    assert!(
        stdout(&out).contains("--- a/pretoken/index.mjs\n+++ /dev/null"),
        "{}",
        stdout(&out)
    );
    run_expect(&dir, &["gen"], 0);
    assert!(
        !dir.join("out/pretoken").exists(),
        "{:?}",
        file_names(&tree(&dir.join("out")))
    );
    assert!(dir.join("out/cfn/template.yaml").is_file());
    run_expect(&dir, &["check"], 0);
}

#[test]
fn missing_config_file_exits_2_with_a_hint() {
    let dir = project("missing", "");
    fs::remove_file(dir.join("roles.yaml")).unwrap();
    for args in [
        &["gen"][..],
        &["check"][..],
        &["check", "--config", "nope.yaml"][..],
    ] {
        let out = run_expect(&dir, args, 2);
        let err = stderr(&out);
        assert!(err.contains("error[io]: cannot read `"), "{args:?}: {err}");
        assert!(
            err.contains("help: run rolegen where roles.yaml is, or pass `--config FILE`"),
            "{args:?}: {err}"
        );
    }
    assert!(
        !dir.join("out").exists(),
        "nothing is created without a roles file"
    );
}

#[test]
fn a_roles_file_that_is_not_utf8_exits_2() {
    let dir = project("not-utf8", "");
    fs::write(dir.join("roles.yaml"), b"version: 1\napi: \xff\xfe\n").unwrap();
    let out = run_expect(&dir, &["check"], 2);
    // The first bad byte, located and named, and what to do about it.
    assert!(
        stderr(&out).starts_with(
            "error[encoding]: `roles.yaml` is not UTF-8 text: byte 0xFF is not valid UTF-8\n --> roles.yaml:2:6\n"
        ),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("= help: save the file as UTF-8; it was probably written in another encoding (0xFF is `ÿ` in Latin-1)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_flag_or_command_is_a_usage_error() {
    let dir = project("usage", ROLES);
    let out = run_expect(&dir, &["frobnicate"], 2);
    assert!(
        stderr(&out).contains("unrecognized subcommand"),
        "{}",
        stderr(&out)
    );
    run_expect(&dir, &["gen", "--target", "nope"], 2);
}

// ---------------------------------------------------------------- determinism

#[test]
fn gen_is_deterministic_and_independent_of_file_order() {
    let a = generated("det-a");
    let b = generated("det-b");
    let c = project("det-c", ROLES_REORDERED);
    run_expect(&c, &["gen"], 0);
    let (ta, tb, tc) = (
        tree(&a.join("out")),
        tree(&b.join("out")),
        tree(&c.join("out")),
    );
    assert!(!ta.is_empty());
    assert_eq!(ta, tb, "two runs differ");
    for (name, bytes) in &ta {
        assert_eq!(
            tc.get(name),
            Some(bytes),
            "{name} depends on the order of roles.yaml"
        );
    }
    assert_eq!(ta.len(), tc.len());
}

// ---------------------------------------------------------------- schema

#[test]
fn schema_is_valid_json_schema_and_the_bundled_roles_file_validates() {
    let dir = scratch("cli-schema");
    let out = run_expect(&dir, &["schema"], 0);
    let schema_text = stdout(&out);
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    assert!(
        schema["$schema"]
            .as_str()
            .unwrap_or("")
            .contains("json-schema.org"),
        "{schema}"
    );
    fs::write(dir.join("schema.json"), &schema_text).unwrap();

    // The bundled file points editors at the schema gen writes, and that file is the same
    // schema `rolegen schema` prints.
    let bundled = fs::read_to_string(repo().join("roles.yaml")).unwrap();
    let first = bundled.lines().next().unwrap();
    let target = first
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap_or_else(|| panic!("roles.yaml must start with the schema comment: {first}"));
    assert_eq!(target, "out/schema/roles.schema.json");
    let proj = project("schema-gen", &bundled);
    run_expect(&proj, &["gen", "--target", "schema"], 0);
    assert_eq!(fs::read_to_string(proj.join(target)).unwrap(), schema_text);

    // Documents the schema must accept or reject, judged by Python's `jsonschema`.
    let cases: Vec<(&str, String, bool)> = vec![
        ("bundled", bundled.clone(), true),
        ("small", ROLES.to_string(), true),
        ("lambda", ROLES.replace("cognito-scopes", "lambda"), true),
        (
            "long-form",
            ROLES.replace(
                "    scopes: [orders.write]\n  GET /orders/{orderId}",
                "    scopes: [orders.write]\n    integration: {lambda: CreateOrderFn}\n  GET /orders/{orderId}",
            )
            .replace("  GET /health: public", "  GET /health:\n    public: true\n    integration: mock"),
            true,
        ),
        (
            "clients-and-match",
            format!(
                "{}clients:\n  nightly batch:\n    description: Reconciles orders\n    scopes: [readonly, admin]\n",
                ROLES.replace("cognito-scopes", "lambda").replace(
                    "  DELETE /orders/{orderId}: [admin]\n",
                    "  DELETE /orders/{orderId}: [admin]\n  GET /users/{userId}/orders/{orderId}:\n    scopes: [readonly]\n    match: {userId: sub, orderId: \"custom:tenant\"}\n  GET /me/{name}:\n    authenticated: true\n    match: {name: \"cognito:username\"}\n",
                )
            ),
            true,
        ),
        (
            "client-unknown-key",
            format!("{ROLES}clients:\n  batch:\n    scopes: [admin]\n    secret: true\n"),
            false,
        ),
        (
            "match-not-a-mapping",
            ROLES.replace("cognito-scopes", "lambda").replace(
                "  DELETE /orders/{orderId}: [admin]\n",
                "  DELETE /orders/{orderId}:\n    scopes: [admin]\n    match: [orderId]\n",
            ),
            false,
        ),
        ("unknown-top-key", format!("{ROLES}extra: 1\n"), false),
        ("unknown-group-key", ROLES.replace("    precedence: 1\n", "    precedense: 1\n"), false),
        ("bad-authorizer", ROLES.replace("cognito-scopes", "iam"), false),
        ("bad-route-value", ROLES.replace("  GET /health: public", "  GET /health: open"), false),
        ("version-2", ROLES.replace("version: 1", "version: 2"), false),
        ("missing-api", ROLES.replace("api:\n  name: orders-api\n  stage: prod\n  authorizer: cognito-scopes\n", ""), false),
    ];
    let mut list = Vec::new();
    for (name, text, valid) in &cases {
        let path = dir.join(format!("{name}.yaml"));
        fs::write(&path, text).unwrap();
        list.push(serde_json::json!([name, path, valid]));
    }
    fs::write(
        dir.join("cases.json"),
        serde_json::to_string(&list).unwrap(),
    )
    .unwrap();
    let script = r#"
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)
for name, path, _ in json.load(open(sys.argv[2])):
    doc = yaml.safe_load(open(path))
    errors = [e.message for e in validator.iter_errors(doc)]
    print(json.dumps([name, not errors, errors[:3]]))
"#;
    let out = std::process::Command::new(common::python())
        .arg("-c")
        .arg(script)
        .arg(dir.join("schema.json"))
        .arg(dir.join("cases.json"))
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts.len(), cases.len());
    for ((name, _, expected), v) in cases.iter().zip(&verdicts) {
        assert_eq!(v[0], *name);
        assert_eq!(v[1], *expected, "{name}: the schema says {}", v[2]);
    }
}

// ---------------------------------------------------------------- snapshots

/// Compares `actual` with the snapshot file, or rewrites it when `UPDATE_SNAPSHOTS=1`.
fn assert_snapshot(path: &Path, actual: &str) {
    let mut snapshots = common::Expected::snapshots("cli");
    snapshots.check(path, actual.as_bytes());
    snapshots.finish();
}

#[test]
fn help_snapshot() {
    let dir = scratch("cli-help");
    let out = run_expect(&dir, &["--help"], 0);
    assert_snapshot(&repo().join("tests/snapshots/help.txt"), &stdout(&out));
}

/// Each folder under `tests/fixtures/invalid/` holds a `roles.yaml` and the `stderr.txt` that
/// `rolegen check` prints for it (exit code 2), as a user sees it: adding a case is adding
/// a folder.
#[test]
fn invalid_fixtures_render_as_expected() {
    let root = repo().join("tests/fixtures/invalid");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/fixtures/invalid exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("roles.yaml").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "{cases:?}");
    let out_dir = scratch("cli-fixtures");
    for case in cases {
        let out = rolegen()
            .current_dir(&case)
            .args(["check", "--color", "never", "--out"])
            .arg(&out_dir)
            .output()
            .unwrap();
        let name = case.file_name().unwrap().to_string_lossy();
        assert_eq!(code(&out), 2, "{name}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{name}");
        assert_snapshot(&case.join("stderr.txt"), &stderr(&out));
    }
    assert!(
        tree(&out_dir).is_empty(),
        "check on a bad file wrote something"
    );
}
