//! Every command example in README.md runs here, against a scratch copy of the bundled
//! `roles.yaml` and `out/`, so that no example can go stale.
//!
//! What is run:
//! - a ```` ```sh ```` block: each line whose first word is `rolegen` (continuation lines
//!   ending in `\` joined). Other lines (`aws`, `npm`, `cargo`, …) are shown to the reader but
//!   never run.
//! - a ```` ```console ```` block: a terminal transcript. Each `$ ` line is a command, and the
//!   lines up to the next `$ ` line are its output (stdout and stderr as a terminal shows
//!   them), compared line by line; a line `...` stands for any number of lines. A command with
//!   no output lines under it is run, and its output is not compared. Every command of a
//!   console block runs, so none may be an AWS CLI, npm, node, cargo or git command.
//!
//! Each command must exit 0, unless it ends with the annotation `# exit N` (a shell comment,
//! so the line still copies and pastes as it is). Commands run with `sh -c` in the block's
//! folder, with the built `rolegen` first on `PATH` and `NO_COLOR` set; the commands of one
//! block share that folder, so an example may prepare a file for the next.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// First words never run: they need AWS, the network or the repository's build.
const NOT_RUN: &[&str] = &[
    "aws",
    "npm",
    "npx",
    "node",
    "cargo",
    "git",
    "target/release/rolegen",
];

struct Example {
    /// README line of the command (1-based).
    line: usize,
    command: String,
    exit: i32,
    /// The output the README shows, if it shows any.
    output: Option<Vec<String>>,
}

struct Block {
    line: usize,
    examples: Vec<Example>,
}

fn expected_exit(command: &str) -> i32 {
    // `# exit N` at the end of the command.
    if let Some(at) = command.rfind("# exit ") {
        let rest = command[at + "# exit ".len()..].trim();
        if let Ok(n) = rest.parse() {
            return n;
        }
    }
    0
}

fn first_word(command: &str) -> &str {
    command.split_whitespace().next().unwrap_or("")
}

fn parse(readme: &str) -> Vec<Block> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_end();
        let kind = match fence {
            "```sh" => "sh",
            "```console" => "console",
            _ => {
                i += 1;
                continue;
            }
        };
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end].trim_end() != "```" {
            end += 1;
        }
        assert!(
            end < lines.len(),
            "README.md:{}: unclosed code block",
            i + 1
        );
        let body = &lines[start..end];
        let mut examples = Vec::new();
        if kind == "sh" {
            let mut j = 0;
            while j < body.len() {
                let line = start + j + 1;
                let mut command = body[j].to_string();
                while command.trim_end().ends_with('\\') && j + 1 < body.len() {
                    j += 1;
                    command = format!("{}\n{}", command.trim_end(), body[j]);
                }
                j += 1;
                if first_word(&command) == "rolegen" {
                    examples.push(Example {
                        line,
                        exit: expected_exit(&command),
                        command,
                        output: None,
                    });
                }
            }
        } else {
            let mut j = 0;
            while j < body.len() {
                let line = start + j + 1;
                let Some(command) = body[j].strip_prefix("$ ") else {
                    panic!(
                        "README.md:{line}: a console block shows output under a `$ ` line, \
                         and this line has none above it"
                    );
                };
                assert!(
                    !NOT_RUN.contains(&first_word(command)),
                    "README.md:{line}: `{}` cannot run in a test; show it in a ```sh block",
                    first_word(command)
                );
                j += 1;
                let mut output = Vec::new();
                while j < body.len() && !body[j].starts_with("$ ") {
                    output.push(body[j].trim_end().to_string());
                    j += 1;
                }
                examples.push(Example {
                    line,
                    exit: expected_exit(command),
                    command: command.to_string(),
                    output: (!output.is_empty()).then_some(output),
                });
            }
        }
        if !examples.is_empty() {
            blocks.push(Block {
                line: i + 1,
                examples,
            });
        }
        i = end + 1;
    }
    blocks
}

/// `expected` with `...` lines standing for any number of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.first().is_some_and(|a| a.trim_end() == first) && matches(rest, &actual[1..])
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A folder holding a copy of the bundled roles.yaml and out/, and a `bin/` with `rolegen`.
fn workspace() -> (PathBuf, PathBuf) {
    let root = common::scratch("readme");
    let dir = root.join("project");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(common::repo().join("roles.yaml"), dir.join("roles.yaml")).unwrap();
    copy_dir(&common::repo().join("out"), &dir.join("out"));
    let bin = root.join("bin");
    fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rolegen"), bin.join("rolegen")).unwrap();
    (dir, bin)
}

#[test]
fn readme_examples_run_and_show_real_output() {
    let readme = fs::read_to_string(common::repo().join("README.md")).unwrap();
    let blocks = parse(&readme);
    let system_path = std::env::var("PATH").unwrap_or_default();
    let mut failures = Vec::new();
    let mut run = 0;
    let mut compared = 0;
    for block in &blocks {
        let (dir, bin) = workspace();
        let path = format!("{}:{system_path}", bin.display());
        for example in &block.examples {
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!("exec 2>&1\n{}", example.command))
                .current_dir(&dir)
                .env("PATH", &path)
                .env("NO_COLOR", "1")
                .env_remove("CLICOLOR_FORCE")
                .output()
                .expect("run sh");
            run += 1;
            let text = String::from_utf8_lossy(&out.stdout);
            let code = out.status.code().unwrap_or(-1);
            if code != example.exit {
                failures.push(format!(
                    "README.md:{} (block at {}): `{}` exited {code}, the README says {}\n{text}",
                    example.line, block.line, example.command, example.exit
                ));
                continue;
            }
            if let Some(expected) = &example.output {
                compared += 1;
                let actual: Vec<&str> = text.lines().collect();
                if !matches(expected, &actual) {
                    failures.push(format!(
                        "README.md:{}: `{}` printed something else.\n--- README\n{}\n--- real\n{}",
                        example.line,
                        example.command,
                        expected.join("\n"),
                        text
                    ));
                }
            }
        }
    }
    eprintln!("README: {run} commands run, {compared} outputs compared");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The extractor must keep finding the examples; a README without them is a bug here.
    assert!(run >= 20, "only {run} README commands found");
    assert!(compared >= 5, "only {compared} README outputs compared");
}

#[test]
fn the_matcher_understands_ellipsis() {
    let e = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&e(&["a", "..."]), &["a"]));
    assert!(!matches(&e(&["a", "d"]), &["a", "b", "d"]));
    assert!(!matches(&e(&["a"]), &["a", "b"]));
}

#[test]
fn exit_annotations_and_skipped_words() {
    let blocks = parse(
        "```sh\nrolegen check   # exit 1\naws s3 ls\nrolegen gen \\\n  --quiet\n```\n\
         ```console\n$ rolegen explain x # exit 2\nerror\n...\n$ rolegen gen\n```\n",
    );
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].examples.len(), 2);
    assert_eq!(blocks[0].examples[0].exit, 1);
    assert_eq!(blocks[0].examples[1].command, "rolegen gen \\\n  --quiet");
    assert_eq!(blocks[1].examples[0].exit, 2);
    assert_eq!(
        blocks[1].examples[0].output.as_deref(),
        Some(&["error".to_string(), "...".to_string()][..])
    );
    assert!(blocks[1].examples[1].output.is_none());
}
