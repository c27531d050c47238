//! Bad input, closed pipes and hostile sizes: the binary as a shell pipeline and a careless or
//! hostile file meet it. Every case ends with a clear message and the documented exit code
//! (0 ok, 1 a check found something, 2 error), never a panic (101) or a hang, and with
//! `--error-format json` stderr is exactly one JSON array.

mod common;

use common::{rolegen, scratch};
use serde_json::Value;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// A small valid roles file with one unused scope, so every load has a warning.
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
  unused: Nobody needs it
groups:
  Admin:
    scopes: [admin]
    includes: [ReadOnly]
  ReadOnly:
    scopes: [readonly]
routes:
  GET /health: public
  GET /orders: [readonly]
  DELETE /orders/{orderId}: [admin]
";

fn project(name: &str, roles: &str) -> PathBuf {
    let dir = scratch(&format!("robust-{name}"));
    fs::write(dir.join("roles.yaml"), roles).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    rolegen()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run rolegen")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("rolegen exited by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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

/// Stderr as exactly one JSON array (trailing text would make parsing fail), its items'
/// codes in order.
fn json_items(out: &Output) -> Vec<Value> {
    let err = stderr(out);
    let v: Value = serde_json::from_str(&err)
        .unwrap_or_else(|e| panic!("stderr is not one JSON document ({e}):\n{err}"));
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {err}"))
        .clone()
}

fn codes(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["code"].as_str().unwrap()).collect()
}

// ---------------------------------------------------------------- closed pipes, full disks

/// Starts rolegen with both streams piped, closes the read end of `closed` at once (before
/// it has written much), drains the other stream, and returns the exit code and what the
/// other stream got.
fn with_closed(dir: &Path, args: &[&str], closed_stdout: bool) -> (i32, String) {
    let mut child = rolegen()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rolegen");
    let mut other = String::new();
    if closed_stdout {
        drop(child.stdout.take());
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut other)
            .unwrap();
    } else {
        drop(child.stderr.take());
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut other)
            .unwrap();
    }
    let status = child.wait().unwrap();
    (status.code().expect("rolegen exited by a signal"), other)
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let dir = project("closed-stdout", ROLES);
    // About 5 MB: far more than a pipe holds, so the write meets the closed pipe.
    let (code, err) = with_closed(&dir, &["synth", "--routes", "100000"], true);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "nothing on stderr, no panic: {err}");
    let (code, err) = with_closed(&dir, &["schema"], true);
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn a_closed_stdout_keeps_the_commands_exit_code() {
    let dir = project("closed-stdout-check", ROLES);
    // `check` with no out/ is stale (exit 1) and prints a diff of every file.
    let (code, err) = with_closed(&dir, &["check", "-q"], true);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A roles file with `n` errors, a few hundred bytes of stderr each.
fn many_errors(n: usize) -> String {
    let mut s = ROLES.to_string();
    for i in 0..n {
        s.push_str(&format!("  GET /r{i}: [nope{i}]\n"));
    }
    s
}

#[test]
fn a_closed_stderr_ends_the_command_quietly() {
    let dir = project("closed-stderr", &many_errors(3000));
    let (code, out) = with_closed(&dir, &["check"], false);
    assert_eq!(code, 2, "the roles file has errors: {out}");
    let ok = project("closed-stderr-ok", ROLES);
    let (code, out) = with_closed(&ok, &["gen"], false);
    assert_eq!(code, 0, "{out}");
    assert!(ok.join("out/cfn/template.yaml").is_file());
}

#[cfg(target_os = "linux")]
fn to_dev_full(dir: &Path, args: &[&str]) -> Output {
    rolegen()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_on_stdout_is_an_io_error() {
    let dir = project("dev-full", ROLES);
    for args in [
        &["schema"][..],
        &["synth", "--routes", "1000"],
        &["check", "-q"],
        &["explain", "GET /orders"],
        &["--help"],
    ] {
        let out = to_dev_full(&dir, args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out)
                .contains("error[io]: cannot write to standard output: No space left on device"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = to_dev_full(&dir, &["schema", "--error-format", "json"]);
    assert_eq!(code(&out), 2);
    let items = json_items(&out);
    assert_eq!(codes(&items), ["io"]);
    assert_eq!(items[0]["file"], "stdout");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_on_stderr_is_exit_2() {
    let dir = project("dev-full-stderr", &many_errors(3));
    let out = rolegen()
        .current_dir(&dir)
        .arg("check")
        .stderr(fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
}

// ---------------------------------------------------------------- one JSON document

#[test]
fn json_gen_and_check_print_one_array() {
    let dir = project("json-gen", ROLES);
    // Success with a warning: the warning alone, no status line anywhere.
    let out = run_expect(&dir, &["gen", "--error-format", "json"], 0);
    assert_eq!(codes(&json_items(&out)), ["unused-scope"]);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let out = run_expect(&dir, &["check", "--error-format", "json"], 0);
    assert_eq!(codes(&json_items(&out)), ["unused-scope"]);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let out = run_expect(&dir, &["check", "--error-format", "json", "-q"], 0);
    assert_eq!(stderr(&out), "[]\n");

    // Stale: the diff on stdout, one `stale` item per file after the warning.
    fs::remove_file(dir.join("out/cfn/template.yaml")).unwrap();
    fs::write(dir.join("out/docs/extra.md"), "x\n").unwrap();
    let out = run_expect(&dir, &["check", "--error-format", "json"], 1);
    let items = json_items(&out);
    assert_eq!(codes(&items), ["unused-scope", "stale", "stale"]);
    assert_eq!(
        items[1]["message"],
        "`cfn/template.yaml` is not what `rolegen gen` writes"
    );
    assert_eq!(items[2]["file"], "out/docs/extra.md");
    assert!(stdout(&out).contains("+++ b/cfn/template.yaml"));

    // A bad file, and an I/O error after the warnings.
    let bad = project("json-gen-bad", &many_errors(2));
    let out = run_expect(&bad, &["gen", "--error-format", "json"], 2);
    assert_eq!(codes(&json_items(&out)), ["unknown-scope", "unknown-scope"]);
    let blocked = project("json-gen-io", ROLES);
    fs::write(blocked.join("out"), "a file where out/ belongs\n").unwrap();
    let out = run_expect(&blocked, &["gen", "--error-format", "json"], 2);
    assert_eq!(codes(&json_items(&out)), ["unused-scope", "io"]);
    let out = run_expect(&blocked, &["check", "--error-format", "json"], 2);
    assert_eq!(codes(&json_items(&out)), ["unused-scope", "io"]);
}

#[test]
fn json_drift_prints_one_array() {
    let dir = project("json-drift", ROLES);
    // The roles file's warning and the API file's error in one array.
    fs::write(dir.join("api.json"), "{\"what\": 1}\n").unwrap();
    let out = run_expect(
        &dir,
        &["drift", "--api", "api.json", "--error-format", "json"],
        2,
    );
    assert_eq!(codes(&json_items(&out)), ["unused-scope", "api-format"]);
    let out = run_expect(
        &dir,
        &["drift", "--api", "missing.json", "--error-format", "json"],
        2,
    );
    assert_eq!(codes(&json_items(&out)), ["unused-scope", "io"]);
    // Findings go to stdout; stderr keeps the one array.
    fs::write(
        dir.join("api.json"),
        r#"{"openapi": "3.0.1", "paths": {"/health": {"get": {}}}}"#,
    )
    .unwrap();
    let out = run_expect(
        &dir,
        &["drift", "--api", "api.json", "--error-format", "json"],
        0,
    );
    assert_eq!(codes(&json_items(&out)), ["unused-scope"]);
    assert!(stdout(&out).contains("RG107"), "{}", stdout(&out));
}

#[test]
fn json_diff_explain_schema_and_synth_print_one_array() {
    let dir = project("json-other", ROLES);
    fs::write(dir.join("bad.yaml"), many_errors(1)).unwrap();
    fs::write(dir.join("worse.yaml"), many_errors(2)).unwrap();
    // Both versions' errors (their warnings are not the diff's business).
    let out = run_expect(
        &dir,
        &["diff", "bad.yaml", "worse.yaml", "--error-format", "json"],
        2,
    );
    let items = json_items(&out);
    assert_eq!(codes(&items), ["unknown-scope"; 3]);
    assert_eq!(items[0]["file"], "bad.yaml");
    assert_eq!(items[2]["file"], "worse.yaml");
    let out = run_expect(&dir, &["diff", "--error-format", "json"], 2);
    assert_eq!(codes(&json_items(&out)), ["usage"]);
    let out = run_expect(&dir, &["diff", "roles.yaml", "--error-format", "json"], 0);
    assert_eq!(stderr(&out), "[]\n");

    let out = run_expect(&dir, &["explain", "GET /nope", "--error-format", "json"], 2);
    assert_eq!(codes(&json_items(&out)), ["unused-scope", "unknown-route"]);
    let out = run_expect(
        &dir,
        &["explain", "GET /orders", "--error-format", "json"],
        0,
    );
    assert_eq!(codes(&json_items(&out)), ["unused-scope"]);

    let out = run_expect(&dir, &["schema", "--error-format", "json"], 0);
    assert_eq!(stderr(&out), "[]\n");
    let out = run_expect(
        &dir,
        &["synth", "--scopes", "60", "--error-format", "json"],
        2,
    );
    assert_eq!(codes(&json_items(&out)), ["bad-value"]);
}

#[test]
fn json_usage_errors_are_one_array_too() {
    let dir = project("json-usage", ROLES);
    for args in [
        &["frobnicate", "--error-format", "json"][..],
        &["--error-format=json", "gen", "--target", "nope"],
        &["synth", "--routes", "0", "--error-format", "json"],
    ] {
        let out = run_expect(&dir, args, 2);
        let items = json_items(&out);
        assert_eq!(codes(&items), ["usage"], "{args:?}");
        assert!(stdout(&out).is_empty());
    }
    let out = run_expect(
        &dir,
        &["synth", "--routes", "0", "--error-format", "json"],
        2,
    );
    assert_eq!(
        json_items(&out)[0]["message"],
        "invalid value '0' for '--routes <N>': 0 is not in 1..=1000000"
    );
}

// ---------------------------------------------------------------- synth's bounds

#[test]
fn synth_refuses_counts_out_of_bounds_at_the_command_line() {
    let dir = project("synth-bounds", ROLES);
    for (flag, value, range) in [
        ("--groups", "18446744073709551615", "1..=10000"),
        ("--routes", "1000000000", "1..=1000000"),
        ("--routes", "18446744073709551615", "1..=1000000"),
        ("--routes", "0", "1..=1000000"),
        ("--groups", "10001", "1..=10000"),
        ("--scopes", "101", "1..=100"),
        ("--scopes", "0", "1..=100"),
    ] {
        let started = Instant::now();
        let out = run_expect(&dir, &["synth", flag, value], 2);
        assert!(started.elapsed() < Duration::from_secs(5), "{flag} {value}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("invalid value '{value}' for '{flag} <"))
                && err.contains(&format!("{value} is not in {range}")),
            "{flag} {value}: {err}"
        );
        assert!(stdout(&out).is_empty());
    }
    // The strategy's own limit is checked after clap's.
    let out = run_expect(&dir, &["synth", "--scopes", "50"], 2);
    assert!(
        stderr(&out).contains("`--scopes 50` is out of range for `authorizer: cognito-scopes`"),
        "{}",
        stderr(&out)
    );
    // The largest counts are accepted, and `--help` says what they are.
    run_expect(
        &dir,
        &[
            "synth",
            "--routes",
            "2000",
            "--groups",
            "10000",
            "--scopes",
            "100",
            "--authorizer",
            "lambda",
        ],
        0,
    );
    let help = stdout(&run_expect(&dir, &["synth", "--help"], 0));
    for limit in ["1 to 1000000", "1 to 10000", "1 to 100;"] {
        assert!(help.contains(limit), "{limit}: {help}");
    }
}

// ---------------------------------------------------------------- check's I/O errors

#[test]
fn check_names_the_path_that_is_in_the_way() {
    let dir = project("check-in-the-way", ROLES);
    fs::create_dir(dir.join("out")).unwrap();
    fs::write(dir.join("out/cfn"), "not a folder\n").unwrap();
    let out = run_expect(&dir, &["check", "-q"], 2);
    assert_eq!(
        stderr(&out),
        "error[io]: `out/cfn` is a file where rolegen keeps a folder\n  --> out/cfn\n  = help: `rolegen gen` replaces it with the generated folder\n"
    );
    // As it says: gen replaces it, and check is then clean.
    run_expect(&dir, &["gen", "-q"], 0);
    run_expect(&dir, &["check", "-q"], 0);

    fs::remove_dir_all(dir.join("out/docs")).unwrap();
    fs::create_dir_all(dir.join("out/docs/access-matrix.md")).unwrap();
    let out = run_expect(&dir, &["check", "-q"], 2);
    assert!(
        stderr(&out).starts_with(
            "error[io]: `out/docs/access-matrix.md` is a folder where rolegen writes a file\n"
        ),
        "{}",
        stderr(&out)
    );

    let file = project("check-out-is-a-file", ROLES);
    fs::write(file.join("out"), "not a folder\n").unwrap();
    let out = run_expect(&file, &["check", "-q", "--error-format", "json"], 2);
    let items = json_items(&out);
    assert_eq!(codes(&items), ["io"]);
    assert_eq!(
        items[0]["message"],
        "`out` is a file where rolegen keeps a folder"
    );
    assert_eq!(items[0]["file"], "out");
    assert_eq!(items[0]["help"], "move it away, then run `rolegen gen`");
}

// ---------------------------------------------------------------- drift's ParentId chains

/// A CloudFormation template (JSON) with a REST API, a chain of `n` resources (`R0` under
/// the root, `R{i}` under `R{i-1}`, path part `part(i)`) and a GET method on the last one.
/// With `cycle`, `R0`'s parent is the last resource instead of the root.
fn chain_template(n: usize, part: impl Fn(usize) -> String, cycle: bool) -> String {
    let mut res = serde_json::Map::new();
    res.insert(
        "Api".into(),
        serde_json::json!({"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "orders-api"}}),
    );
    for i in 0..n {
        let parent = match (i, cycle) {
            (0, false) => serde_json::json!({"Fn::GetAtt": ["Api", "RootResourceId"]}),
            (0, true) => serde_json::json!({"Ref": format!("R{}", n - 1)}),
            _ => serde_json::json!({"Ref": format!("R{}", i - 1)}),
        };
        res.insert(
            format!("R{i}"),
            serde_json::json!({"Type": "AWS::ApiGateway::Resource", "Properties": {
                "RestApiId": {"Ref": "Api"}, "ParentId": parent, "PathPart": part(i)}}),
        );
    }
    res.insert(
        "Method".into(),
        serde_json::json!({"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": format!("R{}", n - 1)},
            "HttpMethod": "GET", "AuthorizationType": "NONE"}}),
    );
    serde_json::to_string_pretty(&serde_json::json!({ "Resources": res })).unwrap()
}

#[test]
fn drift_refuses_a_parent_id_cycle_and_names_it() {
    let dir = project("drift-cycle", ROLES);
    fs::write(
        dir.join("api.json"),
        chain_template(3, |i| format!("p{i}"), true),
    )
    .unwrap();
    let out = run_expect(&dir, &["drift", "--api", "api.json", "-q"], 2);
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "error[api-cycle]: the `ParentId`s of 3 resources form a cycle: `R0` → `R2` → `R1` → `R0`\n"
        ),
        "{err}"
    );
    assert!(err.contains(" --> api.json:9:5\n"), "{err}");
    assert!(
        err.contains("9 |     \"R0\": {\n  |     ^^^^ its `ParentId` leads back to it\n"),
        "{err}"
    );
    assert!(err.ends_with("error: api.json: cannot compare it with the roles file\n"));

    // A long cycle is named by its ends.
    fs::write(
        dir.join("api.json"),
        chain_template(5000, |i| format!("p{i}"), true),
    )
    .unwrap();
    let out = run_expect(
        &dir,
        &["drift", "--api", "api.json", "-q", "--error-format", "json"],
        2,
    );
    let items = json_items(&out);
    assert_eq!(codes(&items), ["api-cycle"]);
    assert_eq!(
        items[0]["message"],
        "the `ParentId`s of 5000 resources form a cycle: `R0` → `R4999` → `R4998` → `R4997` → `R4996` → `R4995` → … (4989 more) → `R5` → `R4` → `R3` → `R2` → `R1` → `R0`"
    );
    assert_eq!(items[0]["underlined"], "\"R0\"");
}

#[test]
fn drift_follows_a_long_parent_id_chain_in_linear_time() {
    let dir = project("drift-chain", ROLES);
    // 16,384 resources, about 3 MB of JSON: its path is longer than any URL API Gateway
    // serves, which is reported, not built.
    fs::write(
        dir.join("api.json"),
        chain_template(16_384, |i| format!("p{i}"), false),
    )
    .unwrap();
    // A budget, not a benchmark: the quadratic rebuild took minutes in a debug build.
    let started = Instant::now();
    let out = run_expect(
        &dir,
        &["drift", "--api", "api.json", "-q", "--format", "json"],
        0,
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let unresolved: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "RG108")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        unresolved,
        [
            "method `Method` (GET) is served on a path rolegen cannot resolve: the path of resource `R1891` is longer than 10240 characters, more than an API Gateway URL holds"
        ],
    );

    // A deep chain within the limit is rebuilt whole.
    fs::write(
        dir.join("api.json"),
        chain_template(4000, |_| "a".into(), false),
    )
    .unwrap();
    let started = Instant::now();
    let out = run_expect(
        &dir,
        &["drift", "--api", "api.json", "-q", "--format", "json"],
        1,
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let undeclared = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "RG101")
        .expect("the method is an undeclared route");
    assert_eq!(
        undeclared["route"].as_str().unwrap(),
        format!("GET {}", "/a".repeat(4000))
    );
}

// ---------------------------------------------------------------- line ends and encodings

#[test]
fn a_lone_carriage_return_is_a_line_break_in_the_excerpt_too() {
    let roles = ROLES
        .replace("scopes: [admin]", "scopes: [admn]")
        .replace('\n', "\r");
    let dir = project("lone-cr", &roles);
    let out = run_expect(&dir, &["check"], 2);
    let err = stderr(&out);
    assert!(
        err.contains(
            "  --> roles.yaml:17:14\n   |\n17 |     scopes: [admn]\n   |              ^^^^ not declared under `scopes`\n"
        ),
        "{err}"
    );
    let out = run_expect(&dir, &["check", "--error-format", "json"], 2);
    let items = json_items(&out);
    assert_eq!(codes(&items), ["unknown-scope"]);
    assert_eq!(items[0]["underlined"], "admn");

    // The API file's readers count lines the same way, JSON and YAML.
    let ok = project("lone-cr-api", ROLES);
    for (name, text) in [
        (
            "api.json",
            "{\r\"openapi\": \"3.0.1\",\r\"paths\": {\r\"/x\": {\"get\": {\"security\": [{\"nope\": []}]}}}}\r",
        ),
        (
            "api.yaml",
            "openapi: 3.0.1\rpaths:\r  /x:\r    get:\r      security: [{nope: []}]\r",
        ),
    ] {
        fs::write(ok.join(name), text).unwrap();
        let out = run(&ok, &["drift", "--api", name, "-q", "--format", "json"]);
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let lines: Vec<u64> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["route"] == "GET /x")
            .map(|f| f["location"]["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, [4], "{name}: {report:#}");
    }
}

#[test]
fn a_file_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    let latin1 = ROLES
        .replace("Read everything", "Café")
        .replace('é', "\u{0}");
    let mut bytes = latin1.into_bytes();
    let at = bytes.iter().position(|&b| b == 0).unwrap();
    bytes[at] = 0xE9;
    let dir = project("latin1", "");
    fs::write(dir.join("roles.yaml"), &bytes).unwrap();
    let out = run_expect(&dir, &["check"], 2);
    assert_eq!(
        stderr(&out),
        "error[encoding]: `roles.yaml` is not UTF-8 text: byte 0xE9 is not valid UTF-8
  --> roles.yaml:13:16
   |
13 |   readonly: Caf\u{FFFD}
   |                ^ not UTF-8
  = help: save the file as UTF-8; it was probably written in another encoding (0xE9 is `é` in Latin-1)

error: roles.yaml: 1 error found, nothing was written
"
    );
    let out = run_expect(&dir, &["check", "--error-format", "json"], 2);
    let items = json_items(&out);
    assert_eq!(codes(&items), ["encoding"]);
    assert_eq!(
        (&items[0]["line"], &items[0]["column"]),
        (&13.into(), &16.into())
    );

    // The same for the files of drift and diff, and a character cut short at the end.
    fs::write(dir.join("ok.yaml"), ROLES).unwrap();
    fs::write(dir.join("cut.yaml"), b"openapi: 3.0.1\r\ninfo: caf\xC3").unwrap();
    let out = run_expect(
        &dir,
        &["drift", "-c", "ok.yaml", "-q", "--api", "cut.yaml"],
        2,
    );
    assert!(
        stderr(&out).starts_with(
            "error[encoding]: `cut.yaml` is not UTF-8 text: byte 0xC3 starts a UTF-8 character that the end of the file cuts short\n --> cut.yaml:2:10\n"
        ),
        "{}",
        stderr(&out)
    );
    let out = run_expect(&dir, &["diff", "roles.yaml", "ok.yaml"], 2);
    assert!(
        stderr(&out).contains("--> roles.yaml:13:16"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------- roles.yaml's hostile corners

#[test]
fn a_path_that_repeats_a_variable_is_an_error_at_the_second() {
    let dir = project(
        "repeated-variable",
        &format!("{ROLES}  GET /a/{{b}}/{{b}}: public\n"),
    );
    let out = run_expect(&dir, &["check"], 2);
    assert_eq!(
        stderr(&out),
        "error[bad-path]: variable `b` appears twice in path `/a/{b}/{b}`
  --> roles.yaml:25:14
   |
25 |   GET /a/{b}/{b}: public
   |              ^^^ here
  = help: give each variable of a path its own name, e.g. `{b2}`

error: roles.yaml: 1 error found, nothing was written
"
    );
}

#[test]
fn diff_with_an_empty_base_is_a_usage_error() {
    let dir = project("diff-empty-base", ROLES);
    for args in [&["diff", "--base", ""][..], &["diff", "--base="]] {
        let out = run_expect(&dir, args, 2);
        assert!(
            stderr(&out).starts_with(
                "error: a value is required for '--base <REV>' but none was supplied\n"
            ),
            "{}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn a_giant_route_key_is_cut_where_messages_echo_it() {
    let key = format!("GET /{}*", "a".repeat(98_000));
    let dir = project("giant-key", &format!("{ROLES}  ? {key}\n  : public\n"));
    let out = run_expect(&dir, &["check"], 2);
    let err = stderr(&out);
    assert!(err.len() < 2_000, "{} bytes of stderr", err.len());
    let cut = format!("{}…", "a".repeat(200));
    assert!(
        err.starts_with(&format!(
            "error[bad-path]: segment `{cut}` contains `*`\n  --> roles.yaml:25:10\n"
        )),
        "{err}"
    );
    let out = run_expect(&dir, &["check", "--error-format", "json"], 2);
    assert!(stderr(&out).len() < 2_000, "{}", stderr(&out).len());
    let items = json_items(&out);
    assert_eq!(items[0]["underlined"], Value::from(cut.clone()));
    assert_eq!(items[0]["span"]["len"], 98_001);

    // The API file's unreadable parts are findings, cut the same way.
    let ok = project("giant-api-path", ROLES);
    fs::write(
        ok.join("api.json"),
        format!(
            r#"{{"openapi": "3.0.1", "paths": {{"/{}*": {{"get": {{}}}}}}}}"#,
            "a".repeat(98_000)
        ),
    )
    .unwrap();
    let out = run_expect(
        &ok,
        &["drift", "--api", "api.json", "-q", "--format", "json"],
        0,
    );
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "RG108")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 1, "{report:#}");
    assert!(messages[0].len() < 1_000, "{}", messages[0].len());
    assert!(
        messages[0].starts_with(&format!(
            "path `/{}…` is not an API Gateway path",
            "a".repeat(199)
        )),
        "{}",
        messages[0]
    );
}

#[test]
fn get_resources_items_without_a_path_are_reported_as_such() {
    let dir = project("items-without-path", ROLES);
    fs::write(
        dir.join("api.json"),
        "{\"items\": [\n  {\"path\": \"/health\", \"resourceMethods\": {\"GET\": {\"authorizationType\": \"NONE\"}}},\n  {\"id\": \"x\", \"resourceMethods\": {\"GET\": {}}}\n]}\n",
    )
    .unwrap();
    let out = run_expect(&dir, &["drift", "--api", "api.json", "-q"], 2);
    assert_eq!(
        stderr(&out),
        "error[api-format]: entry 2 of `items` has no `path`, which every resource has in `aws apigateway get-resources` output
 --> api.json:3:3
  |
3 |   {\"id\": \"x\", \"resourceMethods\": {\"GET\": {}}}
  |   ^ no `path`
  = help: pass the JSON of `aws apigateway get-resources --embed methods` unchanged

error: api.json: cannot compare it with the roles file
"
    );
    fs::write(dir.join("api.json"), "{\"items\": {\"path\": \"/a\"}}\n").unwrap();
    let out = run_expect(
        &dir,
        &["drift", "--api", "api.json", "-q", "--error-format", "json"],
        2,
    );
    let items = json_items(&out);
    assert_eq!(
        items[0]["message"],
        "`items` is a mapping, not a list as in `aws apigateway get-resources` output"
    );
}

#[test]
fn yaml_errors_do_not_speak_the_yaml_librarys_language() {
    let dir = project("yaml-words", "version: 1\n---\nversion: 1\n");
    let out = run_expect(&dir, &["check"], 2);
    assert_eq!(
        stderr(&out),
        "error[yaml-syntax]: invalid YAML: the file holds more than one YAML document
 --> roles.yaml:3:1
  |
3 | version: 1
  | ^
  = help: keep one document: remove the `---` that starts the second, and merge what follows into the first

error: roles.yaml: 1 error found, nothing was written
"
    );
    fs::write(
        dir.join("roles.yaml"),
        "version: 1\nroutes: &r\n  GET /a: *r\n",
    )
    .unwrap();
    let out = run_expect(&dir, &["check", "--error-format", "json"], 2);
    let items = json_items(&out);
    assert_eq!(
        items[0]["message"],
        "invalid YAML: alias `*r` refers to a value that contains it"
    );
    assert_eq!(items[0]["underlined"], "*");
    assert_eq!(
        (&items[0]["line"], &items[0]["column"]),
        (&3.into(), &11.into())
    );
    fs::write(dir.join("roles.yaml"), laughs(9)).unwrap();
    let out = run_expect(&dir, &["check", "--error-format", "json"], 2);
    assert_eq!(
        json_items(&out)[0]["message"],
        "invalid YAML: aliases expand the file's 100 values to more than 10,000, the shape of an alias bomb (at alias `*a3`)"
    );

    // The same words for the API file of drift.
    let ok = project("yaml-words-api", ROLES);
    fs::write(
        ok.join("api.yaml"),
        "openapi: 3.0.1\npaths:\n  /a: {}\n  /a: {}\n",
    )
    .unwrap();
    let out = run_expect(
        &ok,
        &["drift", "--api", "api.yaml", "-q", "--error-format", "json"],
        2,
    );
    let items = json_items(&out);
    assert_eq!(codes(&items), ["api-syntax"]);
    assert_eq!(
        items[0]["message"],
        "invalid YAML: key `/a` appears twice in one mapping"
    );
    assert_eq!(items[0]["line"], 4);
}

#[test]
fn a_tag_outside_the_core_schema_is_an_error_at_the_tag() {
    let dir = project(
        "binary-tag",
        &format!("{ROLES}  GET /a: !!binary aGVsbG8=\n"),
    );
    let out = run_expect(&dir, &["check"], 2);
    assert_eq!(
        stderr(&out),
        "error[yaml-tag]: tag `!!binary` is not allowed in a roles file
  --> roles.yaml:25:11
   |
25 |   GET /a: !!binary aGVsbG8=
   |           ^^^^^^^^ tag
  = help: remove it and write the value itself; rolegen reads plain values, and only YAML's core tags (`!!str`, `!!int`, `!!bool`, `!!null`, `!!float`, `!!map`, `!!seq`) are allowed

error: roles.yaml: 1 error found, nothing was written
"
    );
    assert!(!stderr(&out).contains("hello"));
    // A core tag says what the value is, and is read.
    fs::write(
        dir.join("roles.yaml"),
        format!("{ROLES}  GET /a: !!str public\n"),
    )
    .unwrap();
    run_expect(&dir, &["check", "-q"], 1);
}

// ---------------------------------------------------------------- hostile sizes

/// A billion laughs: `levels` anchored lists of nine aliases to the list before, the first
/// of nine `x`; 9^levels values from 10 × levels written.
fn laughs(levels: usize) -> String {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..levels {
        let alias = format!("*a{}", i - 1);
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [alias.as_str(); 9].join(", ")
        ));
    }
    text
}

#[test]
fn human_errors_are_capped_per_code_and_json_keeps_every_one() {
    // 20,000 copies of one route (19,999 `duplicate-route` errors) and 60 undefined scopes.
    let mut roles = ROLES.to_string();
    for _ in 0..20_000 {
        roles.push_str("  GET /dup: public\n");
    }
    for i in 0..60 {
        roles.push_str(&format!("  GET /s{i}: [nope{i}]\n"));
    }
    let dir = project("error-cap", &roles);
    // A budget, not a benchmark: finding each error's line from the top took 3.6 s in a
    // release build.
    let started = Instant::now();
    let out = run_expect(&dir, &["check", "-q"], 2);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let err = stderr(&out);
    assert_eq!(err.matches("error[duplicate-route]").count(), 50);
    assert_eq!(err.matches("error[unknown-scope]").count(), 50);
    // The first 50 of each, in file order: the last duplicate shown is the 51st copy.
    assert!(err.contains(" --> roles.yaml:75:3\n"), "{err}");
    assert!(!err.contains(" --> roles.yaml:76:3\n"), "{err}");
    assert!(
        err.ends_with(
            "… and 19949 more duplicate-route errors (`--error-format json` lists every one)\n\n\
             … and 10 more unknown-scope errors (`--error-format json` lists every one)\n\n\
             error: roles.yaml: 20059 errors found, nothing was written\n"
        ),
        "{}",
        &err[err.len().saturating_sub(600)..]
    );
    assert!(err.len() < 40_000, "{} bytes", err.len());

    let out = run_expect(&dir, &["check", "-q", "--error-format", "json"], 2);
    let items = json_items(&out);
    assert_eq!(items.len(), 20_059);
    assert_eq!(
        codes(&items)
            .iter()
            .filter(|c| **c == "duplicate-route")
            .count(),
        19_999
    );
    assert_eq!(items[19_998]["line"], 20_024);
    assert_eq!(items[19_998]["underlined"], "GET /dup");
}

/// A fixed count refused real files: 83,000 routes were more than 250,000 values, and
/// 110,000 routes sharing one list of nine scopes through an alias replay more than the
/// million events serde-saphyr allows by default. Both are read whole now (a budget, not a
/// benchmark: about 10 s in a debug build, 1.2 s in a release build).
#[test]
fn a_hundred_thousand_routes_sharing_one_list_are_read() {
    // ROLES ends with its routes.
    let mut roles = ROLES
        .replace(
            "  unused: Nobody needs it\n",
            "  unused: Nobody needs it\n  s0: a\n  s1: b\n  s2: c\n  s3: d\n  s4: e\n  s5: f\n  s6: g\n",
        )
        .replace(
            "    scopes: [readonly]\n",
            "    scopes: &all [readonly, s0, s1, s2, s3, s4, s5, s6, admin]\n",
        );
    for i in 0..110_000 {
        roles.push_str(&format!("  GET /r{i}: *all\n"));
    }
    let dir = project("shared-list", &roles);
    let started = Instant::now();
    let out = run_expect(&dir, &["explain", "GET /r109999", "-q"], 0);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert!(stdout(&out).contains("GET /r109999"), "{}", stdout(&out));
}
