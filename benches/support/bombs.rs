//! Hostile inputs, one of each kind, and a way to run `rolegen` on one and measure it: shared
//! by the bomb tests (`tests/robust.rs`, which bound time and memory loosely) and
//! `examples/bombs.rs` (which measures the release binary for the README's table), so that
//! both meet the same files.
#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Which command reads the hostile file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// `rolegen -c FILE check`.
    Roles,
    /// `rolegen drift --api FILE`, with a small valid roles file.
    Api,
}

/// What the file holds.
pub enum Content {
    /// Made when the file is written, so that a list of bombs costs no memory.
    Text(Box<dyn Fn() -> String>),
    /// A file of this many bytes with nothing written (sparse): its size alone is the point.
    Size(u64),
}

pub struct Bomb {
    pub name: &'static str,
    /// What it would make a reader do, for the README.
    pub what: String,
    pub file: &'static str,
    pub content: Content,
    pub reader: Reader,
    /// The diagnostic code it ends with, and part of its message.
    pub code: &'static str,
    pub message: &'static str,
}

/// A small valid roles file, for the commands that read another file.
pub const ROLES: &str = "\
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
  readonly: Read everything
groups:
  ReadOnly:
    scopes: [readonly]
routes:
  GET /health: public
  GET /orders: [readonly]
";

/// `levels` anchored lists of nine aliases to the list before it, the first of nine `leaf`,
/// each line indented by `indent`: 9^levels values from about ten a line.
pub fn laughs(levels: usize, leaf: &str, indent: &str) -> String {
    let mut text = format!("{indent}a0: &a0 [{}]\n", [leaf; 9].join(", "));
    for i in 1..levels {
        let alias = format!("*a{}", i - 1);
        text.push_str(&format!(
            "{indent}a{i}: &a{i} [{}]\n",
            [alias.as_str(); 9].join(", ")
        ));
    }
    text
}

/// Like `laughs` with mappings: each merges nine of the one before (`<<: [*a, …]`).
pub fn merges(levels: usize, indent: &str) -> String {
    let mut text = format!("{indent}a0: &a0 {{k0: x, k1: x, k2: x, k3: x, k4: x}}\n");
    for i in 1..levels {
        let alias = format!("*a{}", i - 1);
        text.push_str(&format!(
            "{indent}a{i}: &a{i} {{<<: [{}], z{i}: x}}\n",
            [alias.as_str(); 9].join(", ")
        ));
    }
    text
}

const MIB: u64 = 1 << 20;

pub fn bombs() -> Vec<Bomb> {
    fn text(f: impl Fn() -> String + 'static) -> Content {
        Content::Text(Box::new(f))
    }
    let roles = |name, what: &str, file, content, code, message| Bomb {
        name,
        what: what.to_string(),
        file,
        content,
        reader: Reader::Roles,
        code,
        message,
    };
    let api = |name, what: &str, file, content, code, message| Bomb {
        reader: Reader::Api,
        ..roles(name, what, file, content, code, message)
    };
    const OPENAPI: &str = "openapi: 3.0.1\npaths: {}\nx-bomb:\n";
    let bomb = "the shape of an alias bomb";
    vec![
        roles(
            "aliases (billion laughs)",
            "9¹⁰ ≈ 3.5 billion values",
            "aliases.yaml",
            text(|| laughs(10, "x", "")),
            "yaml-syntax",
            bomb,
        ),
        roles(
            "merge keys",
            "mappings of 9⁹ ≈ 390 million merged keys",
            "merges.yaml",
            text(|| merges(10, "")),
            "yaml-syntax",
            bomb,
        ),
        roles(
            "many keys",
            "a mapping of 1,000 keys merged into 1,000 mappings: 1 million keys",
            "keys.yaml",
            text(|| {
                let keys: Vec<String> = (0..1000).map(|i| format!("k{i}: x")).collect();
                let merged: String = (0..1000).map(|i| format!("  m{i}: {{<<: *b}}\n")).collect();
                format!("b: &b {{{}}}\nx:\n{merged}", keys.join(", "))
            }),
            "yaml-syntax",
            bomb,
        ),
        roles(
            "long text",
            "9⁶ copies of a 2,000-byte value: 1 GB of text",
            "text.yaml",
            text(|| laughs(6, &"y".repeat(2000), "")),
            "yaml-syntax",
            bomb,
        ),
        roles(
            "nested anchors",
            "60 anchors around 5,000 values: 300,000 copies kept",
            "anchors.yaml",
            text(|| {
                (0..60)
                    .map(|i| format!("{}a{i}: &a{i}\n", "  ".repeat(i)))
                    .chain(std::iter::repeat_n(
                        format!("{}- x\n", "  ".repeat(60)),
                        5000,
                    ))
                    .collect()
            }),
            "yaml-syntax",
            bomb,
        ),
        roles(
            "nested anchors around text",
            "60 anchors around one 1 MB value with an escape: 60 MB of copies",
            "anchored-text.yaml",
            text(|| {
                let mut t: String = (0..60)
                    .map(|i| format!("{}a{i}: &a{i}\n", "  ".repeat(i)))
                    .collect();
                t.push_str(&format!(
                    "{}- \"\\n{}\"\n",
                    "  ".repeat(60),
                    "y".repeat(1_000_000)
                ));
                t
            }),
            "yaml-syntax",
            "bytes of copies",
        ),
        roles(
            "deep nesting (flow)",
            "100,000 `[`",
            "deep-flow.yaml",
            text(|| format!("x: {}{}\n", "[".repeat(100_000), "]".repeat(100_000))),
            "yaml-syntax",
            "nests more than 64 levels deep",
        ),
        roles(
            "deep nesting (block)",
            "10,000 nested `- `",
            "deep-block.yaml",
            text(|| format!("{}x\n", "- ".repeat(10_000))),
            "yaml-syntax",
            "nests more than 64 levels deep",
        ),
        roles(
            "collections on one line",
            "100,000 lists on one 400 KB line (each measured from its line's start before)",
            "line.yaml",
            // The tab sends it past the quick reader, to the event reader.
            text(|| format!("x: [{}]\t\n", ["[x]"; 100_000].join(","))),
            "unknown-key",
            "unknown key `x`",
        ),
        roles(
            "duplicate routes",
            "20,000 copies of one route: 19,999 errors",
            "dup.yaml",
            text(|| format!("{ROLES}{}", "  GET /dup: public\n".repeat(20_000))),
            "duplicate-route",
            "is declared twice",
        ),
        roles(
            "oversized roles file",
            "65 MiB",
            "big.yaml",
            Content::Size(65 * MIB),
            "too-large",
            "larger than 64 MiB",
        ),
        api(
            "API YAML: aliases",
            "9¹⁰ ≈ 3.5 billion values",
            "aliases-api.yaml",
            text(|| format!("{OPENAPI}{}", laughs(10, "x", "  "))),
            "api-syntax",
            bomb,
        ),
        api(
            "API YAML: merge keys",
            "mappings of 9⁹ ≈ 390 million merged keys",
            "merges-api.yaml",
            text(|| format!("{OPENAPI}{}", merges(10, "  "))),
            "api-syntax",
            bomb,
        ),
        api(
            "API YAML: long text",
            "9⁶ copies of a 2,000-byte value: 1 GB of text",
            "text-api.yaml",
            text(|| format!("{OPENAPI}{}", laughs(6, &"y".repeat(2000), "  "))),
            "api-syntax",
            bomb,
        ),
        api(
            "API YAML: deep nesting",
            "100,000 `[`",
            "deep-api.yaml",
            text(|| {
                format!(
                    "{OPENAPI}  a: {}{}\n",
                    "[".repeat(100_000),
                    "]".repeat(100_000)
                )
            }),
            "api-syntax",
            "nests more than 128 levels deep",
        ),
        api(
            "API JSON: deep nesting",
            "1,000,000 `[`",
            "deep-api.json",
            text(|| {
                format!(
                    "{{\"openapi\": \"3.0.1\", \"paths\": {{}}, \"x\": {}{}}}",
                    "[".repeat(1_000_000),
                    "]".repeat(1_000_000)
                )
            }),
            "api-syntax",
            "nested more than 256 levels deep",
        ),
        api(
            "API JSON: many keys",
            "100,000 keys in one object, the last a duplicate",
            "keys-api.json",
            text(|| {
                let keys: String = (0..100_000).map(|i| format!("\"k{i}\": 1, ")).collect();
                format!("{{\"openapi\": \"3.0.1\", \"paths\": {{}}, \"x\": {{{keys}\"k0\": 2}}}}")
            }),
            "api-syntax",
            "duplicate key `k0`",
        ),
        api(
            "oversized API file",
            "257 MiB",
            "big-api.json",
            Content::Size(257 * MIB),
            "too-large",
            "larger than 256 MiB",
        ),
    ]
}

impl Bomb {
    /// Writes the file (and a roles file beside it for an API) into `dir`.
    pub fn write(&self, dir: &Path) {
        let path = dir.join(self.file);
        match &self.content {
            Content::Text(t) => fs::write(&path, t()).unwrap(),
            Content::Size(n) => fs::File::create(&path).unwrap().set_len(*n).unwrap(),
        }
        if self.reader == Reader::Api {
            fs::write(dir.join("roles.yaml"), ROLES).unwrap();
        }
    }

    /// The arguments that make `rolegen`, run where the file was written, read it.
    pub fn args(&self) -> Vec<String> {
        let args: &[&str] = match self.reader {
            Reader::Roles => &["-c", self.file, "check"],
            Reader::Api => &["drift", "--api", self.file],
        };
        args.iter().map(|a| a.to_string()).collect()
    }
}

/// A finished child: how it ended, what it wrote, how long it took, and the most memory it
/// held at once.
pub struct Measured {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub wall: Duration,
    /// Peak resident set size, in KiB (`ru_maxrss` of this child alone, from `wait4`).
    pub max_rss_kib: u64,
}

/// Runs `cmd` to its end, its output read on the side so that it never blocks on a full
/// pipe, and measures it.
#[cfg(target_os = "linux")]
// The child is reaped by `wait4`, which `Child::wait` cannot do with its resource usage.
#[allow(clippy::zombie_processes)]
pub fn measure(mut cmd: Command) -> Measured {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rolegen");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let mut status = 0;
    // SAFETY: `rusage` is plain data that `wait4` fills in; the pid is our own child, which
    // is reaped here (so `child.wait` must not be called).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let wall = started.elapsed();
    Measured {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        wall,
        max_rss_kib: usage.ru_maxrss as u64,
    }
}
