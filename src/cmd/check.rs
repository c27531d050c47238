//! `rolegen check`: the pre-deploy step in CI. Generates in memory, compares with the output
//! directory and prints a unified diff of every stale, missing or extra file (sqlc's `diff`).

use super::{ErrorFormat, Global};
use super::{Generated, Outcome, generate, report, status};
use crate::diag::Diagnostic;
use crate::r#gen::{Files, Target};
use similar::TextDiff;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The same target selection as `gen`.
pub use super::r#gen::Args;

pub fn run(global: &Global, args: &Args) -> Outcome {
    let Generated {
        files,
        targets,
        unused,
    } = match generate(global, &args.target) {
        Ok(g) => g,
        Err(o) => return o,
    };
    let out_dir = global.out.display().to_string();
    let diffs = match compare(&global.out, &targets, &unused, &files) {
        Ok(diffs) => diffs,
        Err(IoAt { path, error }) => {
            let (at, d) = match error.kind() {
                io::ErrorKind::NotADirectory => {
                    let file = blocking_file(&path);
                    let d = Diagnostic::error(
                        "io",
                        format!(
                            "`{}` is a file where rolegen keeps a folder",
                            file.display()
                        ),
                    )
                    .help(if file == global.out {
                        "move it away, then run `rolegen gen`"
                    } else {
                        "`rolegen gen` replaces it with the generated folder"
                    });
                    (file, d)
                }
                io::ErrorKind::IsADirectory => {
                    let d = Diagnostic::error(
                        "io",
                        format!(
                            "`{}` is a folder where rolegen writes a file",
                            path.display()
                        ),
                    )
                    .help("`rolegen gen` replaces it with the generated file");
                    (path, d)
                }
                _ => {
                    let d = Diagnostic::error(
                        "io",
                        format!("cannot read `{}`: {error}", path.display()),
                    )
                    .help("check the permissions of the output directory");
                    (path, d)
                }
            };
            return super::fail(global, &at.display().to_string(), d);
        }
    };
    if diffs.is_empty() {
        status(
            global,
            &format!("{out_dir} is up to date ({} files)", files.len()),
        );
        return Outcome::Ok;
    }
    let color = global.color_stdout();
    // With GitHub or SARIF output stdout holds that document alone; each stale file is a
    // finding there instead of a diff.
    let diffs_shown = if matches!(
        global.error_format,
        ErrorFormat::Github | ErrorFormat::Sarif
    ) {
        &diffs[..0]
    } else {
        &diffs[..]
    };
    for d in diffs_shown {
        let text = if color {
            colorize(&d.diff)
        } else {
            d.diff.clone()
        };
        // The reader may have stopped (`| head`); the outcome is the same.
        if global.console.out(&text).is_err() {
            break;
        }
    }
    match global.error_format {
        ErrorFormat::Human => {
            let _ = global.console.err(&format!(
                "error: {} stale file{} in {out_dir}: run `rolegen gen` and commit the result\n",
                diffs.len(),
                if diffs.len() == 1 { "" } else { "s" },
            ));
        }
        // One item per file, for annotation tools; stderr holds only the JSON array.
        ErrorFormat::Json | ErrorFormat::Github | ErrorFormat::Sarif => {
            for d in &diffs {
                let stale = Diagnostic::error(
                    "stale",
                    format!("`{}` is not what `rolegen gen` writes", d.path),
                )
                .help("run `rolegen gen` and commit the result");
                let name = global.out.join(&d.path).display().to_string();
                report(global, &name, "", &[stale]);
            }
        }
    }
    Outcome::Failed
}

/// An I/O error and where it happened: `check` names the file or folder that is in the way,
/// not the output directory.
#[derive(Debug)]
pub struct IoAt {
    pub path: PathBuf,
    pub error: io::Error,
}

trait At<T> {
    fn at(self, path: &Path) -> Result<T, IoAt>;
}

impl<T> At<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T, IoAt> {
        self.map_err(|error| IoAt {
            path: path.to_path_buf(),
            error,
        })
    }
}

/// The first part of `path` that exists and is not a folder: what stops it being one.
fn blocking_file(path: &Path) -> PathBuf {
    path.ancestors()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|p| p.is_file())
        .unwrap_or(path)
        .to_path_buf()
}

/// One file that differs: its path under the output directory and a unified diff from what is
/// on disk to what rolegen generates.
#[derive(Debug)]
pub struct FileDiff {
    pub path: String,
    pub diff: String,
}

pub fn compare(
    out: &Path,
    targets: &[Target],
    unused: &[Target],
    files: &Files,
) -> Result<Vec<FileDiff>, IoAt> {
    let mut on_disk: BTreeSet<String> = BTreeSet::new();
    for t in targets.iter().chain(unused) {
        list_files(out, t.dir(), &mut on_disk)?;
    }
    let mut diffs = Vec::new();
    let all: BTreeSet<&String> = files.keys().chain(on_disk.iter()).collect();
    for rel in all {
        let generated = files
            .get(rel)
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let path = out.join(rel);
        let existing = match fs::read(&path) {
            Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(IoAt { path, error: e }),
        };
        if generated == existing {
            continue;
        }
        let old = existing.as_deref().unwrap_or("");
        let new = generated.as_deref().unwrap_or("");
        let a = if existing.is_some() {
            format!("a/{rel}")
        } else {
            "/dev/null".to_string()
        };
        let b = if generated.is_some() {
            format!("b/{rel}")
        } else {
            "/dev/null".to_string()
        };
        let diff = TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header(&a, &b)
            .to_string();
        diffs.push(FileDiff {
            path: rel.clone(),
            diff,
        });
    }
    Ok(diffs)
}

fn list_files(out: &Path, rel: &str, acc: &mut BTreeSet<String>) -> Result<(), IoAt> {
    let dir = out.join(rel);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(IoAt {
                path: dir,
                error: e,
            });
        }
    };
    for entry in entries {
        let entry = entry.at(&dir)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = format!("{rel}/{name}");
        if entry.file_type().at(&entry.path())?.is_dir() {
            list_files(out, &child, acc)?;
        } else {
            acc.insert(child);
        }
    }
    Ok(())
}

fn colorize(diff: &str) -> String {
    diff.lines()
        .map(|l| {
            let color = if l.starts_with("+++") || l.starts_with("---") {
                "\x1b[1m"
            } else if l.starts_with('+') {
                "\x1b[32m"
            } else if l.starts_with('-') {
                "\x1b[31m"
            } else if l.starts_with("@@") {
                "\x1b[36m"
            } else {
                ""
            };
            if color.is_empty() {
                format!("{l}\n")
            } else {
                format!("{color}{l}\x1b[0m\n")
            }
        })
        .collect()
}
