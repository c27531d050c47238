//! `rolegen diff`: each folder under `tests/fixtures/diff/` is a case (buf-style `previous/`
//! and `current/` roles files, and `case.txt`: which findings (rule, route) must come out, the
//! exit codes, and text the messages must contain). For each case the test checks those,
//! checks `--fail-on-grant` against a widening computed
//! here from the two access matrices, and compares the text output with the case's
//! `expected.txt` (refresh with `UPDATE_SNAPSHOTS=1 cargo test --test diff`). Every output
//! format is parsed by what reads it: JSON and SARIF as JSON, markdown by markdown-it-py.

mod common;

use common::{python, repo, rolegen, scratch};
use rolegen::model::{Access, Model};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A case folder: `previous/roles.yaml`, `current/roles.yaml`, `case.txt` (what must come out,
/// written by hand) and `expected.txt` (the text output, a snapshot). Adding a case is adding
/// a folder.
struct Case {
    name: String,
    /// Exit code without flags, and with `--fail-on-grant`.
    exit: i32,
    exit_on_grant: i32,
    /// Every finding as (rule, route), and text some finding's message must contain.
    findings: Vec<(String, Option<String>)>,
    mentions: Vec<String>,
}

/// Every case folder under `tests/fixtures/diff/` (`invalid` holds files that are no valid
/// pair, tested on its own).
fn cases() -> Vec<Case> {
    let mut names: Vec<String> = fs::read_dir(repo().join("tests/fixtures/diff"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "invalid")
        .collect();
    names.sort();
    names.into_iter().map(|name| read_case(&name)).collect()
}

/// Reads `case.txt`: `exit: N`, `exit-on-grant: N`, `finding: RULE [ROUTE]` per finding,
/// `mention: TEXT` per mention; `#` starts a comment line.
fn read_case(name: &str) -> Case {
    let path = case_dir(name).join("case.txt");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; every case folder says what must come out",
            path.display()
        )
    });
    let mut case = Case {
        name: name.to_string(),
        exit: -1,
        exit_on_grant: -1,
        findings: Vec::new(),
        mentions: Vec::new(),
    };
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (key, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{}: `{line}` is not `key: value`", path.display()));
        match key {
            "exit" => case.exit = value.parse().unwrap(),
            "exit-on-grant" => case.exit_on_grant = value.parse().unwrap(),
            "finding" => case.findings.push(match value.split_once(' ') {
                Some((rule, route)) => (rule.to_string(), Some(route.to_string())),
                None => (value.to_string(), None),
            }),
            "mention" => case.mentions.push(value.to_string()),
            _ => panic!("{}: unknown key `{key}`", path.display()),
        }
    }
    assert!(
        case.exit >= 0 && case.exit_on_grant >= 0,
        "{}: `exit` and `exit-on-grant` are required",
        path.display()
    );
    case
}

fn case_dir(name: &str) -> PathBuf {
    repo().join("tests/fixtures/diff").join(name)
}

fn diff_in(dir: &Path, extra: &[&str]) -> Output {
    rolegen()
        .current_dir(dir)
        .args([
            "diff",
            "previous/roles.yaml",
            "current/roles.yaml",
            "--color",
            "never",
        ])
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn model(path: &Path) -> Model {
    let loaded = rolegen::cmd::load_text("x", fs::read_to_string(path).unwrap());
    loaded.model.expect("fixture is valid")
}

/// Access widened, computed here from the two matrices by name: some group may call a
/// protected route it could not (or that did not exist), or a route is public that was not.
fn widened(old: &Model, new: &Model) -> bool {
    new.route_ids().any(|rn| {
        let route = new.route(rn);
        let ro = old.route_by(route.method, &route.path);
        if route.access == Access::Public {
            return ro.is_none_or(|ro| old.route(ro).access != Access::Public);
        }
        new.group_ids().any(|gn| {
            new.matrix.allows(gn, rn)
                && !old
                    .group_by_name(&new.group(gn).name)
                    .zip(ro)
                    .is_some_and(|(go, ro)| old.matrix.allows(go, ro))
        })
    })
}

#[test]
fn every_case_folder_has_expectations() {
    let cases = cases();
    assert!(cases.len() >= 10, "{} cases", cases.len());
    for case in &cases {
        for file in ["previous/roles.yaml", "current/roles.yaml", "expected.txt"] {
            assert!(
                case_dir(&case.name).join(file).is_file(),
                "{}: no {file}",
                case.name
            );
        }
    }
}

#[test]
fn cases_report_the_expected_findings_and_exit_codes() {
    for case in cases() {
        let dir = case_dir(&case.name);
        let json = diff_in(&dir, &["--format", "json"]);
        assert_eq!(
            json.status.code(),
            Some(case.exit),
            "{}: {}",
            case.name,
            stderr(&json)
        );
        let v: Value = serde_json::from_str(&stdout(&json)).unwrap();
        let got: Vec<(String, Option<String>)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["route"].as_str().map(str::to_string),
                )
            })
            .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want = case.findings.clone();
        want.sort();
        assert_eq!(got_sorted, want, "{}", case.name);
        let messages: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        for m in &case.mentions {
            assert!(
                messages.iter().any(|msg| msg.contains(m)),
                "{}: no finding says {m:?}:\n{messages:#?}",
                case.name
            );
        }
        // Every finding points into one of the two files.
        for f in v["findings"].as_array().unwrap() {
            let file = f["location"]["file"].as_str().unwrap();
            assert!(
                file == "previous/roles.yaml" || file == "current/roles.yaml",
                "{}: {f}",
                case.name
            );
        }

        let grant = diff_in(&dir, &["--fail-on-grant"]);
        assert_eq!(
            grant.status.code(),
            Some(case.exit_on_grant),
            "{}",
            case.name
        );
        let old = model(&dir.join("previous/roles.yaml"));
        let new = model(&dir.join("current/roles.yaml"));
        let expect_grant_fail = widened(&old, &new) || case.exit == 1;
        assert_eq!(
            grant.status.code() == Some(1),
            expect_grant_fail,
            "{}: --fail-on-grant disagrees with the matrices",
            case.name
        );

        // Text output, as a person sees it.
        let text = diff_in(&dir, &[]);
        let mut snapshot = common::Expected::snapshots("diff");
        snapshot.check(&dir.join("expected.txt"), stdout(&text).as_bytes());
        snapshot.finish();
        assert!(stderr(&text).is_empty(), "{}: {}", case.name, stderr(&text));
    }
}

#[test]
fn fail_on_severity() {
    let dir = case_dir("groups");
    assert_eq!(diff_in(&dir, &[]).status.code(), Some(0));
    assert_eq!(
        diff_in(&dir, &["--fail-on", "warning"]).status.code(),
        Some(1)
    );
    let dir = case_dir("scopes");
    assert_eq!(
        diff_in(&dir, &["--fail-on", "warning"]).status.code(),
        Some(1)
    );
    assert_eq!(diff_in(&dir, &["--fail-on", "note"]).status.code(), Some(1));
    let dir = case_dir("no-change");
    assert_eq!(diff_in(&dir, &["--fail-on", "note"]).status.code(), Some(0));
}

/// Renders markdown with markdown-it-py and prints, per file, the number of tables and the
/// cells of each row.
const MD_TABLES: &str = r#"
import json, sys
from html.parser import HTMLParser
from markdown_it import MarkdownIt

class Tables(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.row, self.cell = [], None, None
    def handle_starttag(self, tag, attrs):
        if tag == "tr": self.row = []
        elif tag in ("td", "th"): self.cell = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th"): self.row.append(self.cell); self.cell = None
        elif tag == "tr": self.rows.append(self.row); self.row = None
    def handle_data(self, data):
        if self.cell is not None: self.cell += data

md = MarkdownIt("commonmark").enable("table")
out = {}
for path in sys.argv[1:]:
    p = Tables()
    p.feed(md.render(open(path, encoding="utf-8").read()))
    out[path] = p.rows
print(json.dumps(out))
"#;

#[test]
fn every_format_parses() {
    let tmp = scratch("diff-formats");
    let mut md_files = Vec::new();
    for case in cases() {
        let dir = case_dir(&case.name);
        let n = case.findings.len();

        let md = stdout(&diff_in(&dir, &["--format", "markdown"]));
        let path = tmp.join(format!("{}.md", case.name));
        fs::write(&path, &md).unwrap();
        md_files.push((path, n, case.name.clone()));

        let gh = stdout(&diff_in(&dir, &["--format", "github"]));
        let annotations: Vec<&str> = gh.lines().filter(|l| l.starts_with("::")).collect();
        assert_eq!(annotations.len(), n, "{}: {gh}", case.name);
        for a in &annotations {
            assert!(
                a.starts_with("::error file=")
                    || a.starts_with("::warning file=")
                    || a.starts_with("::notice file="),
                "{a}"
            );
            assert!(a.contains(",title=RG2"), "{a}");
        }

        let sarif: Value =
            serde_json::from_str(&stdout(&diff_in(&dir, &["--format", "sarif"]))).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        let run = &sarif["runs"][0];
        let rules: BTreeSet<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let declared: BTreeSet<&str> = rolegen::cmd::diff::rules().iter().map(|r| r.id).collect();
        assert_eq!(rules, declared, "SARIF lists every diff rule");
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), n, "{}", case.name);
        for r in results {
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(
                run["tool"]["driver"]["rules"][index]["id"], r["ruleId"],
                "{r}"
            );
        }
    }
    let out = Command::new(python())
        .arg("-c")
        .arg(MD_TABLES)
        .args(md_files.iter().map(|(p, _, _)| p))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (path, n, name) in &md_files {
        let rows = parsed[path.to_str().unwrap()].as_array().unwrap();
        let expected_rows = if *n == 0 { 0 } else { n + 1 };
        assert_eq!(
            rows.len(),
            expected_rows,
            "{name}: header + one row per finding"
        );
        for row in rows {
            assert_eq!(row.as_array().unwrap().len(), 5, "{name}: {row}");
        }
    }
}

#[test]
fn invalid_version_is_exit_2_with_diagnostics() {
    let out = diff_in(&case_dir("invalid"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(err.contains("error[unknown-scope]"), "{err}");
    assert!(err.contains("--> current/roles.yaml:41:16"), "{err}");
    assert!(err.contains("did you mean `admin`?"), "{err}");
}

#[test]
fn usage_errors_are_exit_2() {
    let dir = case_dir("no-change");
    for (args, says) in [
        (vec!["diff"], "nothing to compare with"),
        (vec!["diff", "missing.yaml"], "cannot read `missing.yaml`"),
        (
            vec![
                "diff",
                "--base",
                "HEAD",
                "previous/roles.yaml",
                "current/roles.yaml",
            ],
            "with `--base`, give only NEW",
        ),
    ] {
        let out = rolegen().current_dir(&dir).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

#[test]
fn base_reads_the_old_version_from_git() {
    let repo_dir = scratch("diff-git");
    let svc = repo_dir.join("svc");
    fs::create_dir_all(&svc).unwrap();
    let case = case_dir("grant-via-includes");
    git(&repo_dir, &["init", "-q"]);
    fs::copy(case.join("previous/roles.yaml"), svc.join("roles.yaml")).unwrap();
    git(&repo_dir, &["add", "svc/roles.yaml"]);
    git(&repo_dir, &["commit", "-q", "-m", "previous"]);
    fs::copy(case.join("current/roles.yaml"), svc.join("roles.yaml")).unwrap();

    // From the repository root with `--config`, and from the file's own folder.
    for (cwd, extra) in [
        (&repo_dir, vec!["--config", "svc/roles.yaml"]),
        (&svc, vec![]),
    ] {
        let out = rolegen()
            .current_dir(cwd)
            .args([
                "diff",
                "--base",
                "HEAD",
                "--format",
                "json",
                "--fail-on-grant",
            ])
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let rules: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["RG201", "RG201", "RG201", "RG213"], "{v}");
        assert!(
            v["subject"].as_str().unwrap().starts_with("`HEAD:"),
            "{}",
            v["subject"]
        );
    }
    // NEW given explicitly; the same file at HEAD is no change.
    let out = rolegen()
        .current_dir(&repo_dir)
        .args(["diff", "--base", "HEAD", "svc/roles.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    git(&repo_dir, &["add", "svc/roles.yaml"]);
    git(&repo_dir, &["commit", "-q", "-m", "current"]);
    let out = rolegen()
        .current_dir(&svc)
        .args(["diff", "--base", "HEAD", "--fail-on-grant"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("no findings"), "{}", stdout(&out));

    // A revision git does not know, and a file that did not exist there.
    let out = rolegen()
        .current_dir(&svc)
        .args(["diff", "--base", "no-such-rev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read `roles.yaml` at `no-such-rev`"),
        "{}",
        stderr(&out)
    );
    fs::write(svc.join("other.yaml"), "version: 1\n").unwrap();
    let out = rolegen()
        .current_dir(&svc)
        .args(["diff", "--base", "HEAD", "other.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
