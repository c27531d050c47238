//! A bounded fuzz test: every fixture (roles files under `tests/fixtures/`, API definitions
//! under `tests/fixtures/drift/`) mutated by a seeded mutator written here (byte flips, YAML
//! syntax characters inserted, lines duplicated, truncation, fixtures spliced together, a
//! chunk repeated thousands of times), read in-process by the library's own load functions,
//! and a sample of the cases through the binary. Whatever the input:
//!
//! - nothing panics, and the binary exits 0, 1 or 2;
//! - every located diagnostic names a line of the file and a column on it, its underline
//!   stays on that line, and what it underlines is what its message says (for the codes
//!   whose message names the text it points at);
//! - `rolegen gen` that fails leaves a pre-filled `out/` byte for byte as it was;
//! - with `--error-format json`, stderr is exactly one JSON document, whose `underlined` is
//!   the text at `line`:`column` of the file.
//!
//! `ROBUST_FUZZ_SEED=N` (or `random`) picks the seed, `ROBUST_FUZZ_CASES=N` the number of
//! cases (default 2,500: about half a minute on two cores in a debug build). The seed is
//! printed; a failing input is saved under `target/tmp/fuzz-failures/` and named in the
//! panic, with the seed and case number that reproduce it: `ROBUST_FUZZ_ONLY=N` runs that
//! case alone, `ROBUST_FUZZ_VERBOSE=1` prints each case and its time. A case that runs for
//! more than 30 seconds is a failure too (it is saved, and the run ends there).

mod common;

use common::{rolegen, scratch};
use rolegen::diag::{Diagnostic, MAX_ECHO};
use std::collections::BTreeMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What the run checked, printed at its end: a fuzz test that checks nothing passes too.
static PLACES: AtomicUsize = AtomicUsize::new(0);
static NAMED: AtomicUsize = AtomicUsize::new(0);
static VALID: AtomicUsize = AtomicUsize::new(0);
static CLI_RUNS: AtomicUsize = AtomicUsize::new(0);
static GEN_FAILED: AtomicUsize = AtomicUsize::new(0);

/// splitmix64: small, seedable, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Roles,
    Api,
}

struct Seed {
    path: PathBuf,
    kind: Kind,
    bytes: Vec<u8>,
}

/// Every fixture: roles files anywhere under `tests/fixtures/`, API definitions (every file
/// but `roles.yaml`) under `tests/fixtures/drift/`.
fn seeds() -> Vec<Seed> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let root = common::repo().join("tests/fixtures");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let drift = root.join("drift");
    files
        .into_iter()
        .filter_map(|path| {
            let ext = path.extension()?.to_str()?;
            let kind =
                if path.parent() == Some(drift.as_path()) && path.file_name()? != "roles.yaml" {
                    Kind::Api
                } else if ext == "yaml" || ext == "yml" {
                    Kind::Roles
                } else {
                    return None;
                };
            let bytes = fs::read(&path).unwrap();
            Some(Seed { path, kind, bytes })
        })
        .collect()
}

/// Text that means something to YAML (or JSON), to insert anywhere.
const SYNTAX: &[&str] = &[
    ":",
    ": ",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    " #",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!",
    "!!str ",
    "!!binary ",
    "!Ref ",
    "|",
    ">",
    "'",
    "\"",
    "?",
    "? ",
    "%",
    "@",
    "`",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "---\n",
    "...\n",
    "<<: ",
    "<<: *a\n",
    "\\",
    "\\u00e9",
    "~",
    "null",
    "true",
    "1e999",
    ".inf",
    "0x1F",
    "é",
    "\u{2028}",
    "\u{feff}",
    "\u{0}",
    "\u{85}",
    "😀",
    "  ",
    "\n  ",
    "\n    - ",
    "{{",
    "}}",
    "\"\"",
    "''",
    ": [",
    "]: ",
    "{\"a\": ",
    "&a [x, *a]",
];

/// One mutation of `bytes`.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, seeds: &[Seed]) {
    let at = |rng: &mut Rng, b: &Vec<u8>| rng.below(b.len() + 1);
    match rng.below(9) {
        // A byte flipped or replaced.
        0 => {
            if !bytes.is_empty() {
                let i = rng.below(bytes.len());
                bytes[i] = if rng.below(2) == 0 {
                    bytes[i] ^ (1 << rng.below(8))
                } else {
                    rng.next() as u8
                };
            }
        }
        // YAML syntax inserted.
        1 | 2 => {
            let i = at(rng, bytes);
            let s = rng.pick(SYNTAX).as_bytes();
            bytes.splice(i..i, s.iter().copied());
        }
        // Lines duplicated (a route twice, a key twice, a section twice).
        3 => {
            let lines = line_starts(bytes);
            let a = rng.below(lines.len());
            let b = (a + 1 + rng.below(4)).min(lines.len());
            let (start, end) = (lines[a], lines.get(b).copied().unwrap_or(bytes.len()));
            let chunk = bytes[start..end].to_vec();
            bytes.splice(end..end, chunk);
        }
        // Truncated.
        4 => {
            let i = rng.below(bytes.len() + 1);
            bytes.truncate(i);
        }
        // Spliced: this file's beginning, another fixture's end.
        5 => {
            let other = &rng.pick(seeds).bytes;
            let i = at(rng, bytes);
            let j = rng.below(other.len() + 1);
            bytes.truncate(i);
            bytes.extend_from_slice(&other[j..]);
        }
        // A chunk repeated hundreds or thousands of times.
        6 => {
            let lines = line_starts(bytes);
            let a = rng.below(lines.len());
            let b = (a + 1 + rng.below(3)).min(lines.len());
            let (start, end) = (lines[a], lines.get(b).copied().unwrap_or(bytes.len()));
            let chunk = &bytes[start..end];
            if !chunk.is_empty() {
                let times = [100, 1_000, 5_000][rng.below(3)].min(400_000 / chunk.len().max(1));
                let repeated = chunk.repeat(times);
                bytes.splice(end..end, repeated);
            }
        }
        // A line's indentation changed.
        7 => {
            let lines = line_starts(bytes);
            let i = lines[rng.below(lines.len())];
            if rng.below(2) == 0 && bytes.get(i) == Some(&b' ') {
                bytes.remove(i);
            } else {
                let indent = *rng.pick(&[" ", "  ", "\t"]);
                bytes.splice(i..i, indent.bytes());
            }
        }
        // Two lines swapped.
        _ => {
            let lines = line_starts(bytes);
            if lines.len() > 2 {
                let a = rng.below(lines.len() - 1);
                let (s, m) = (lines[a], lines[a + 1]);
                let e = lines.get(a + 2).copied().unwrap_or(bytes.len());
                let mut swapped = bytes[m..e].to_vec();
                if !swapped.ends_with(b"\n") {
                    swapped.push(b'\n');
                }
                swapped.extend_from_slice(&bytes[s..m]);
                bytes.splice(s..e, swapped);
            }
        }
    }
}

/// Where each line starts (at least one line).
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .filter(|&i| i < bytes.len()),
    );
    v
}

/// The lines of a text, split as YAML splits them (`\n`, `\r\n`, a lone `\r`): written here
/// again, apart from rolegen's, so that its line numbers are checked, not just repeated.
fn split_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                out.push(&rest[..i]);
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => {
                out.push(rest);
                break;
            }
        }
    }
    out
}

/// Codes whose message names the text their span underlines: that text, unquoted, is in the
/// message, or one of the message's quoted echoes is in it. (Other codes point at a place:
/// the value of the wrong type, the section a key is missing from, where the syntax broke.)
const NAMES_ITS_TEXT: &[&str] = &[
    "unknown-key",
    "duplicate-key",
    "bad-name",
    "unknown-scope",
    "unknown-group",
    "duplicate",
    "duplicate-route",
    "bad-method",
    "bad-path",
    "sibling-variables",
    "no-scopes",
    "unknown-variable",
    "yaml-tag",
    "unused-scope",
];

/// What is wrong with where `d` points in a file of `lines`, if anything; `underlined` is the
/// text the binary said it underlines (JSON), to be compared with the file.
fn check_place(
    d_code: &str,
    message: &str,
    (line, column, len): (u32, u32, u32),
    underlined: Option<&str>,
    lines: &[&str],
) -> Result<(), String> {
    let Some(line_text) = lines.get(line.wrapping_sub(1) as usize) else {
        // The place just after the last line (an error at the end of the file).
        if line as usize == lines.len() + 1 && column == 1 {
            return Ok(());
        }
        return Err(format!(
            "line {line} is not in the file ({} lines)",
            lines.len()
        ));
    };
    let chars: Vec<char> = line_text.chars().collect();
    if column == 0 || column as usize > chars.len() + 1 {
        return Err(format!(
            "column {column} is not on line {line} ({} characters)",
            chars.len()
        ));
    }
    PLACES.fetch_add(1, Ordering::Relaxed);
    let start = column as usize - 1;
    let end = (start + len.max(1) as usize).min(chars.len());
    let shown: String = chars[start.min(end)..end].iter().collect();
    if let Some(u) = underlined {
        let expected: String = shown.chars().take(MAX_ECHO).collect();
        let u = u.trim_end_matches('…');
        if !expected.starts_with(u) || u.chars().count() < expected.chars().count().min(MAX_ECHO) {
            return Err(format!(
                "`underlined` is {u:?}, the file has {shown:?} there"
            ));
        }
    }
    if NAMES_ITS_TEXT.contains(&d_code) && !shown.is_empty() {
        NAMED.fetch_add(1, Ordering::Relaxed);
        // A message writes a route key with one space (`GET  /a` is `GET /a`).
        let spaces = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        let bare = spaces(&unquote(&shown));
        let bare: String = bare.chars().take(MAX_ECHO).collect();
        let message = spaces(message);
        let echoes: Vec<&str> = message
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|e| e.trim_end_matches('…'))
            .collect();
        let named = message.contains(&bare)
            || echoes
                .iter()
                .any(|e| !e.is_empty() && (bare.contains(e) || e.contains(bare.as_str())));
        if !named {
            return Err(format!(
                "underlines {shown:?}, which the message does not name"
            ));
        }
    }
    Ok(())
}

/// A scalar as written, read as YAML reads it (quotes and escapes gone), or as it stands; a
/// quoted scalar that goes on over more lines (its underline ends with its first line)
/// without its opening quote.
fn unquote(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2
        && t.starts_with(['\'', '"'])
        && let Ok(v) = serde_saphyr::from_str::<String>(t)
    {
        return v;
    }
    t.strip_prefix(['\'', '"']).unwrap_or(t).to_string()
}

fn check_diag(d: &Diagnostic, lines: &[&str]) -> Result<(), String> {
    let Some(span) = d.span else {
        return Ok(());
    };
    check_place(
        d.code,
        &d.message,
        (span.line, span.column, span.len),
        None,
        lines,
    )
    .map_err(|e| format!("{} `{}`: {e}", d.code, d.message))
}

/// Reads a roles file as `rolegen` does, and generates every target from it when it is
/// valid; every diagnostic must point where it says.
fn in_process_roles(bytes: &[u8]) -> Result<(), String> {
    let text = match rolegen::cmd::utf8("roles.yaml", bytes.to_vec()) {
        Ok(t) => t,
        Err(u) => return check_diag(&u.diag, &split_lines(&u.text)),
    };
    let loaded = rolegen::cmd::load_text("roles.yaml", text);
    let lines = split_lines(&loaded.text);
    for d in &loaded.diags {
        check_diag(d, &lines)?;
    }
    if let Some(model) = &loaded.model {
        VALID.fetch_add(1, Ordering::Relaxed);
        let targets = rolegen::r#gen::select(model, &[]).map_err(|d| d.message)?;
        if let Err(diags) = rolegen::r#gen::generate_all(model, &targets) {
            for d in &diags {
                check_diag(d, &lines)?;
            }
        }
    }
    Ok(())
}

/// Reads an API definition and compares it with the drift fixtures' roles file.
fn in_process_api(bytes: &[u8], model: &rolegen::model::Model) -> Result<(), String> {
    let text = match rolegen::cmd::utf8("api", bytes.to_vec()) {
        Ok(t) => t,
        Err(u) => return check_diag(&u.diag, &split_lines(&u.text)),
    };
    let def = match rolegen::apidef::read(&text) {
        Ok(def) => def,
        Err(d) => return check_diag(&d, &split_lines(&text)),
    };
    match rolegen::cmd::drift::select(&def, model, None) {
        Ok(api) => {
            let files = rolegen::cmd::drift::Files {
                roles: "roles.yaml",
                api: "api",
            };
            rolegen::cmd::drift::compare(model, api, &def.unresolved, &files);
            Ok(())
        }
        Err(d) => check_diag(&d, &split_lines(&text)),
    }
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// Stderr as the one JSON array `--error-format json` promises; each item's place checked
/// against `text` (the file it names, when it is `file`).
fn check_json(stderr: &[u8], file: &str, text: &str) -> Result<(), String> {
    let s = std::str::from_utf8(stderr).map_err(|e| format!("stderr is not UTF-8: {e}"))?;
    let v: serde_json::Value = serde_json::from_str(s)
        .map_err(|e| format!("stderr is not one JSON document ({e}): {s:.2000}"))?;
    let items = v.as_array().ok_or("stderr is not a JSON array")?;
    let lines = split_lines(text);
    for item in items {
        if item["file"] != file {
            continue;
        }
        let (Some(line), Some(column)) = (item["line"].as_u64(), item["column"].as_u64()) else {
            continue;
        };
        let len = item["span"]["len"].as_u64().unwrap_or(1);
        let code = item["code"].as_str().unwrap_or("");
        let message = item["message"].as_str().unwrap_or("");
        check_place(
            code,
            message,
            (line as u32, column as u32, len as u32),
            item["underlined"].as_str(),
            &lines,
        )
        .map_err(|e| format!("{code} `{message}`: {e}"))?;
    }
    Ok(())
}

/// What `out/` holds before `gen`: a failing `gen` must leave exactly this.
fn prefill(out: &Path) {
    fs::create_dir_all(out.join("cfn")).unwrap();
    fs::create_dir_all(out.join("docs")).unwrap();
    fs::write(out.join("cfn/template.yaml"), "known bytes\n").unwrap();
    fs::write(out.join("docs/access-matrix.md"), "# known\n").unwrap();
    fs::write(out.join("notes.txt"), "not rolegen's\n").unwrap();
}

fn exit_code(out: &std::process::Output) -> Result<i32, String> {
    match out.status.code() {
        Some(c @ 0..=2) => Ok(c),
        other => Err(format!(
            "exit {other:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

/// Runs the binary on one case: `gen` into a pre-filled `out/` and `check` in JSON for a
/// roles file, `drift` in both formats for an API definition.
fn through_cli(dir: &Path, kind: Kind, bytes: &[u8]) -> Result<(), String> {
    let lossy = String::from_utf8_lossy(bytes).into_owned();
    let run = |args: &[&str]| {
        CLI_RUNS.fetch_add(1, Ordering::Relaxed);
        rolegen()
            .current_dir(dir)
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .map_err(|e| e.to_string())
    };
    match kind {
        Kind::Roles => {
            fs::write(dir.join("roles.yaml"), bytes).unwrap();
            let out_dir = dir.join("out");
            let _ = fs::remove_dir_all(&out_dir);
            prefill(&out_dir);
            let before = snapshot(&out_dir);
            let out = run(&["gen"])?;
            if exit_code(&out)? != 0 {
                GEN_FAILED.fetch_add(1, Ordering::Relaxed);
                if snapshot(&out_dir) != before {
                    return Err("a failed `gen` changed out/".into());
                }
            }
            let out = run(&["check", "--error-format", "json"])?;
            exit_code(&out)?;
            check_json(&out.stderr, "roles.yaml", &lossy)
        }
        Kind::Api => {
            fs::write(dir.join("api.def"), bytes).unwrap();
            let out = run(&["drift", "--api", "api.def"])?;
            exit_code(&out)?;
            let out = run(&["drift", "--api", "api.def", "--error-format", "json"])?;
            exit_code(&out)?;
            check_json(&out.stderr, "api.def", &lossy)
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    if v == "random" {
        return Some(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64,
        );
    }
    Some(
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
    )
}

/// The input of one case, made from the seed and the case's number alone, so that a case
/// can be made again without the ones before it.
fn case(seed: u64, n: usize, seeds: &[Seed]) -> (usize, Vec<u8>) {
    let mut rng = Rng(seed ^ (n as u64).wrapping_mul(0xa076_1d64_78bd_642f));
    let which = rng.below(seeds.len());
    let mut bytes = seeds[which].bytes.clone();
    for _ in 0..1 + rng.below(4) {
        mutate(&mut rng, &mut bytes, seeds);
    }
    (which, bytes)
}

#[test]
fn mutated_fixtures_never_panic_and_errors_point_where_they_say() {
    let seed = env_number("ROBUST_FUZZ_SEED").unwrap_or(0x5eed);
    let cases = env_number("ROBUST_FUZZ_CASES").unwrap_or(2_500) as usize;
    // One case in this many also goes through the binary.
    const CLI_EVERY: usize = 25;
    eprintln!("fuzz: ROBUST_FUZZ_SEED={seed} ROBUST_FUZZ_CASES={cases}");
    let seeds = seeds();
    assert!(
        seeds.iter().filter(|s| s.kind == Kind::Api).count() >= 6,
        "API fixtures"
    );
    let drift_roles =
        fs::read_to_string(common::repo().join("tests/fixtures/drift/roles.yaml")).unwrap();
    let failures_dir = common::tools_dir()
        .parent()
        .unwrap()
        .join("tmp/fuzz-failures");
    let only = env_number("ROBUST_FUZZ_ONLY").map(|n| n as usize);
    let next = AtomicUsize::new(only.unwrap_or(0));
    let cases = only.map_or(cases, |n| n + 1);
    let failed = std::sync::Mutex::new(Vec::<String>::new());
    // What each worker is reading, since when: a case that takes too long is a finding too.
    let running = std::sync::Mutex::new([None::<(usize, std::time::Instant)>; 2]);
    let alive = AtomicUsize::new(2);
    let save = |n: usize| {
        let (which, bytes) = case(seed, n, &seeds);
        fs::create_dir_all(&failures_dir).unwrap();
        let ext = seeds[which]
            .path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("txt");
        let saved = failures_dir.join(format!("{seed}-{n}.{ext}"));
        fs::write(&saved, &bytes).unwrap();
        (which, saved)
    };
    // The panics this test catches are reported by it, with the case that caused them.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    std::thread::scope(|s| {
        for worker in 0..2 {
            let (seeds, next, failed, drift_roles, running, save, alive) = (
                &seeds,
                &next,
                &failed,
                &drift_roles,
                &running,
                &save,
                &alive,
            );
            std::thread::Builder::new()
                // serde-saphyr recurses deeply in debug builds.
                .stack_size(1 << 28)
                .spawn_scoped(s, move || {
                    let model = rolegen::cmd::load_text("roles.yaml", drift_roles.clone())
                        .model
                        .expect("the drift fixtures' roles file is valid");
                    let dir = scratch(&format!("fuzz-{worker}"));
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= cases || failed.lock().unwrap().len() >= 5 {
                            alive.fetch_sub(1, Ordering::Relaxed);
                            break;
                        }
                        let (which, bytes) = case(seed, n, seeds);
                        let kind = seeds[which].kind;
                        if std::env::var_os("ROBUST_FUZZ_VERBOSE").is_some() {
                            eprintln!(
                                "case {n}: {:?} from {}, {} bytes",
                                kind,
                                seeds[which].path.display(),
                                bytes.len()
                            );
                        }
                        let started = std::time::Instant::now();
                        running.lock().unwrap()[worker] = Some((n, started));
                        let result = catch_unwind(AssertUnwindSafe(|| match kind {
                            Kind::Roles => in_process_roles(&bytes),
                            Kind::Api => in_process_api(&bytes, &model),
                        }))
                        .unwrap_or_else(|p| {
                            let what = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            Err(format!("panicked: {what}"))
                        })
                        .and_then(|()| {
                            if n % CLI_EVERY == 0 {
                                through_cli(&dir, kind, &bytes)
                            } else {
                                Ok(())
                            }
                        });
                        if std::env::var_os("ROBUST_FUZZ_VERBOSE").is_some() {
                            eprintln!("case {n}: done in {:?}", started.elapsed());
                        }
                        running.lock().unwrap()[worker] = None;
                        if let Err(e) = result {
                            let (_, saved) = save(n);
                            failed.lock().unwrap().push(format!(
                                "case {n} (from {}, {:?}): {e}\n  input saved as {}",
                                seeds[which].path.display(),
                                kind,
                                saved.display()
                            ));
                        }
                    }
                })
                .unwrap();
        }
        // The watchdog: a case still running after this long is saved and ends the run (its
        // thread cannot be stopped).
        const TOO_LONG: std::time::Duration = std::time::Duration::from_secs(30);
        loop {
            std::thread::sleep(std::time::Duration::from_millis(200));
            if alive.load(Ordering::Relaxed) == 0 {
                break;
            }
            let now = running.lock().unwrap();
            if let Some((n, _)) = now.iter().flatten().find(|(_, t)| t.elapsed() > TOO_LONG) {
                let (which, saved) = save(*n);
                eprintln!(
                    "ROBUST_FUZZ_SEED={seed}: case {n} (from {}) still runs after {TOO_LONG:?}\n  input saved as {}",
                    seeds[which].path.display(),
                    saved.display()
                );
                std::process::exit(1);
            }
        }
    });
    std::panic::set_hook(hook);
    let n = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    eprintln!(
        "fuzz: {} valid roles files generated; {} places checked, {} of them against what the message names; {} runs of the binary, {} failed `gen` with out/ unchanged",
        n(&VALID),
        n(&PLACES),
        n(&NAMED),
        n(&CLI_RUNS),
        n(&GEN_FAILED)
    );
    let failed = failed.into_inner().unwrap();
    assert!(
        failed.is_empty(),
        "ROBUST_FUZZ_SEED={seed}: {} failing cases\n{}",
        failed.len(),
        failed.join("\n")
    );
}
