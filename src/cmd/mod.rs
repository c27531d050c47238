//! The commands, and what they share: loading the roles file into a model while reporting
//! every problem, and the outcome → exit code mapping.

pub mod check;
mod context;
pub mod cost;
pub mod diff;
pub mod drift;
mod drift_adopt;
mod drift_table;
pub mod explain;
pub mod r#gen;
pub mod init;
mod pretoken_extend;
pub mod synth;

pub use context::{ErrorFormat, Global};

use crate::console::{Stream, is_closed_pipe};
use crate::diag::{self, Diagnostic, Span};
use crate::model::{self, Model};
use std::path::Path;
use std::process::ExitCode;

/// What a command ended with. `Failed` is "the check found something" (exit 1); `Error` is
/// "rolegen could not do its job" (exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    Error,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::from(1),
            Outcome::Error => ExitCode::from(2),
        }
    }
}

/// Reads and resolves a roles file. Problems are returned, not printed, so that callers and
/// tests decide how to show them; the model is `Some` only when there is no error.
pub struct Loaded {
    pub name: String,
    pub text: String,
    pub model: Option<Model>,
    pub diags: Vec<Diagnostic>,
}

pub fn load_text(name: &str, text: String) -> Loaded {
    let mut diags = Vec::new();
    let model = crate::config::read(&text, &mut diags).and_then(|raw| {
        // Shape errors first: a model built from a half-read file would only add noise.
        let shape_ok = !diags.iter().any(Diagnostic::is_error);
        let m = model::build(&raw, &text, &mut diags);
        if shape_ok { m } else { None }
    });
    diags.sort_by_key(|d| (d.span.map(|s| (s.line, s.column)), d.severity));
    Loaded {
        name: name.to_string(),
        text,
        model,
        diags,
    }
}

pub fn load_file(path: &Path) -> Result<Loaded, Unreadable> {
    let text = read_text(
        path,
        "run rolegen where roles.yaml is, or pass `--config FILE`",
        crate::yaml::limits::ROLES.max_file_bytes,
    )?;
    let mut loaded = load_text(&path.display().to_string(), text);
    pretoken_extend::attach(path, &mut loaded);
    Ok(loaded)
}

/// A file that cannot be read as text: why, and the text to show the problem in (the file
/// with its invalid bytes replaced; empty when nothing was read).
#[derive(Debug)]
pub struct Unreadable {
    pub diag: Box<Diagnostic>,
    pub text: String,
}

/// Reads a file as UTF-8 text, at most `max` bytes of it. `not_found` is the help when it
/// does not exist.
pub fn read_text(path: &Path, not_found: &str, max: usize) -> Result<String, Unreadable> {
    let bytes = read_at_most(path, max).map_err(|e| Unreadable {
        diag: Box::new(
            Diagnostic::error("io", format!("cannot read `{}`: {e}", path.display())).help(
                if e.kind() == std::io::ErrorKind::NotFound {
                    not_found
                } else {
                    "check the file's permissions"
                },
            ),
        ),
        text: String::new(),
    })?;
    let Some(bytes) = bytes else {
        return Err(too_large(&path.display().to_string(), max));
    };
    utf8(&path.display().to_string(), bytes)
}

/// The file's bytes, or `None` when it has more than `max`: a regular file says its size, and
/// anything else (a pipe, `/dev/zero`) is read no further than one byte past `max`.
fn read_at_most(path: &Path, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let size = file.metadata().map_or(0, |m| m.len());
    if size > max as u64 {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(max as u64 + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() <= max).then_some(bytes))
}

/// A file larger than rolegen reads (`yaml::limits`).
pub fn too_large(name: &str, max: usize) -> Unreadable {
    Unreadable {
        diag: Box::new(
            Diagnostic::error(
                "too-large",
                format!(
                    "`{name}` is larger than {} MiB, more than rolegen reads",
                    max >> 20
                ),
            )
            .help("check that this is the file you meant"),
        ),
        text: String::new(),
    }
}

/// The bytes as text, or an `encoding` error at the first byte that is not UTF-8: its line
/// and column (counted as the readers count them), what the byte is, and what to do.
pub fn utf8(name: &str, bytes: Vec<u8>) -> Result<String, Unreadable> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let ends_early = e.utf8_error().error_len().is_none();
        let bytes = e.into_bytes();
        // Valid up to `at`, by the definition of `valid_up_to`.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let mut line = diag::lines(before).count().max(1);
        let mut column = diag::lines(before).last().map_or(0, |l| l.chars().count()) + 1;
        if before.ends_with(['\n', '\r']) {
            line += 1;
            column = 1;
        }
        let byte = bytes[at];
        let what = if ends_early {
            format!(
                "byte 0x{byte:02X} starts a UTF-8 character that the end of the file cuts short"
            )
        } else {
            format!("byte 0x{byte:02X} is not valid UTF-8")
        };
        let latin1 = if byte >= 0xA0 {
            format!(" (0x{byte:02X} is `{}` in Latin-1)", char::from(byte))
        } else {
            String::new()
        };
        let diag = Diagnostic::error("encoding", format!("`{name}` is not UTF-8 text: {what}"))
            .at(Span {
                line: line as u32,
                column: column as u32,
                len: 1,
            })
            .label("not UTF-8")
            .help(format!(
                "save the file as UTF-8; it was probably written in another encoding{latin1}"
            ));
        Unreadable {
            diag: Box::new(diag),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    })
}

/// Prints diagnostics the way `--error-format` asks and, for a person, how many errors there
/// were. In JSON they join the run's one array, printed by `finish`. For a person, at most
/// `SHOWN_PER_CODE` of each code are shown, then one line says how many more there are.
pub fn report(global: &Global, name: &str, text: &str, diags: &[Diagnostic]) {
    let shown: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.is_error() || !global.quiet)
        .collect();
    if global.error_format.collected() {
        emit(global, name, text, &shown, "");
        return;
    }
    let (first, more) = cap(&shown);
    emit(global, name, text, &first, "\n");
    for (code, severity, n) in more {
        let kind = match severity {
            diag::Severity::Error => "error",
            diag::Severity::Warning => "warning",
        };
        let _ = global.console.err(&format!(
            "… and {n} more {code} {kind}{} (`--error-format json` lists every one)\n\n",
            if n == 1 { "" } else { "s" }
        ));
    }
    let errors = shown.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        let _ = global.console.err(&format!(
            "error: {name}: {errors} error{} found, nothing was written\n",
            if errors == 1 { "" } else { "s" }
        ));
    }
}

/// How many diagnostics of one code a person is shown. A file with 20,000 copies of one
/// route printed 4.9 MB of the same error; the first few tell what to fix, and the rest are
/// counted.
pub const SHOWN_PER_CODE: usize = 50;

/// The diagnostics to show, in their order (the first `SHOWN_PER_CODE` of each code and
/// severity), and how many of each code and severity are left out, in order of first
/// appearance.
fn cap<'d>(
    diags: &[&'d Diagnostic],
) -> (
    Vec<&'d Diagnostic>,
    Vec<(&'static str, diag::Severity, usize)>,
) {
    let mut counts: Vec<(&'static str, diag::Severity, usize)> = Vec::new();
    let mut first = Vec::with_capacity(diags.len().min(SHOWN_PER_CODE * 4));
    for &d in diags {
        // Few codes occur in one file: a list is quicker than a map.
        let i = match counts
            .iter()
            .position(|(c, s, _)| *c == d.code && *s == d.severity)
        {
            Some(i) => i,
            None => {
                counts.push((d.code, d.severity, 0));
                counts.len() - 1
            }
        };
        counts[i].2 += 1;
        if counts[i].2 <= SHOWN_PER_CODE {
            first.push(d);
        }
    }
    let more = counts
        .into_iter()
        .filter(|(_, _, n)| *n > SHOWN_PER_CODE)
        .map(|(c, s, n)| (c, s, n - SHOWN_PER_CODE))
        .collect();
    (first, more)
}

/// One problem that stops the command (a bad argument, a file it cannot read): printed like
/// every diagnostic, without a count, and exit 2.
pub fn fail(global: &Global, name: &str, d: Diagnostic) -> Outcome {
    fail_in(global, name, "", d)
}

/// `fail` for a problem inside a file, whose excerpt comes from `text`.
pub fn fail_in(global: &Global, name: &str, text: &str, d: Diagnostic) -> Outcome {
    emit(global, name, text, &[&d], "");
    Outcome::Error
}

/// Human diagnostics go to stderr as they come, each followed by `gap`; JSON ones are kept
/// for the array.
fn emit(global: &Global, name: &str, text: &str, diags: &[&Diagnostic], gap: &str) {
    // Split once for all of them: each diagnostic shows (or underlines) its line.
    let lines = diag::Lines::new(if diags.iter().any(|d| d.span.is_some()) {
        text
    } else {
        ""
    });
    match global.error_format {
        ErrorFormat::Human => {
            let color = global.color_stderr();
            for d in diags {
                // A failed write is kept by the console and reported by `finish`.
                let _ = global
                    .console
                    .err(&format!("{}{gap}", diag::render_in(d, name, &lines, color)));
            }
        }
        ErrorFormat::Json => {
            for d in diags {
                let mut v = serde_json::to_value(d).unwrap_or_default();
                v["file"] = name.into();
                // Flat `line`/`column` as well as `span`, the shape linters and CI
                // annotation tools read (buf, eslint).
                if let Some(span) = d.span {
                    v["line"] = span.line.into();
                    v["column"] = span.column.into();
                }
                // Cut like the text a message echoes: a giant key is not worth 100 KB twice.
                if let Some(u) = lines.underlined(d) {
                    v["underlined"] = diag::shorten(u).into();
                }
                global.console.push_json(v);
            }
        }
        ErrorFormat::Github | ErrorFormat::Sarif => {
            for d in diags {
                global.console.push_finding(crate::report::Finding {
                    rule: d.code,
                    rule_name: d.code,
                    severity: match d.severity {
                        diag::Severity::Error => crate::report::Severity::Error,
                        diag::Severity::Warning => crate::report::Severity::Warning,
                    },
                    route: None,
                    message: d.message.clone(),
                    location: Some(crate::report::Location {
                        file: name.to_string(),
                        line: d.span.map_or(0, |s| s.line),
                        column: d.span.map_or(0, |s| s.column),
                    }),
                    help: d.help.clone(),
                });
            }
        }
    }
}

/// A line for the person at the terminal (`wrote 6 files …`): on stderr, so that stdout holds
/// only the command's output, and not at all with `--quiet` or `--error-format json`, whose
/// stderr is the JSON array alone.
pub fn status(global: &Global, line: &str) {
    if global.error_format == ErrorFormat::Human && !global.quiet {
        let _ = global.console.err(&format!("{line}\n"));
    }
}

/// Ends the run: a write error on stdout other than a closed pipe becomes an `io` error (exit
/// 2), the JSON array is printed, and a write error on stderr other than a closed pipe is exit
/// 2 too (there is nowhere left to say so). A closed pipe keeps the command's own outcome: the
/// reader stopped reading, and what the command found is still true.
pub fn finish(global: &Global, mut outcome: Outcome) -> Outcome {
    let console = &global.console;
    let _ = console.flush(Stream::Stdout);
    if let Some(e) = console.failure(Stream::Stdout)
        && !is_closed_pipe(&e)
    {
        let d = Diagnostic::error("io", format!("cannot write to standard output: {e}"))
            .help("the output is incomplete; check where stdout goes (a full disk, a file that cannot grow)");
        emit(global, "stdout", "", &[&d], "");
        outcome = Outcome::Error;
    }
    match global.error_format {
        ErrorFormat::Human => {}
        ErrorFormat::Json => {
            let items = console.take_json();
            let mut text = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into());
            text.push('\n');
            let _ = console.err(&text);
        }
        // On stdout, where the GitHub runner reads workflow commands; the same renderer as
        // the findings of `drift` and `diff`.
        ErrorFormat::Github | ErrorFormat::Sarif => {
            let findings = console.take_findings();
            let ctx = crate::report::ToolCtx {
                command: "roles",
                subject: "",
                rules: &[],
                color: false,
            };
            if global.error_format == ErrorFormat::Sarif {
                let _ = console.out(&crate::report::render(
                    &findings,
                    crate::report::Format::Sarif,
                    &ctx,
                ));
            } else if !findings.is_empty() {
                let _ = console.out(&crate::report::render(
                    &findings,
                    crate::report::Format::Github,
                    &ctx,
                ));
            }
            let _ = console.flush(Stream::Stdout);
        }
    }
    let _ = console.flush(Stream::Stderr);
    if console
        .failure(Stream::Stderr)
        .is_some_and(|e| !is_closed_pipe(&e))
    {
        outcome = Outcome::Error;
    }
    outcome
}

/// Loads the configured roles file and prints its diagnostics; `Err` carries the outcome
/// when there is no model to work with.
pub fn load_model(global: &Global) -> Result<Model, Outcome> {
    load_model_and_text(global).map(|(model, _)| model)
}

/// Like `load_model`, also returning the file's text so that later diagnostics (from a
/// generator) can show the lines they point at.
pub fn load_model_and_text(global: &Global) -> Result<(Model, String), Outcome> {
    let loaded = match load_file(&global.config) {
        Ok(l) => l,
        Err(u) => {
            report(
                global,
                &global.config.display().to_string(),
                &u.text,
                &[*u.diag],
            );
            return Err(Outcome::Error);
        }
    };
    report(global, &loaded.name, &loaded.text, &loaded.diags);
    match loaded.model {
        Some(model) => Ok((model, loaded.text)),
        None => Err(Outcome::Error),
    }
}

/// What `gen` and `check` both need: the files of the selected targets, generated in memory,
/// and the targets whose folders should not exist (with no `--target`, those the strategy
/// does not use, so that switching strategy leaves nothing stale behind).
pub struct Generated {
    pub files: crate::r#gen::Files,
    pub targets: Vec<crate::r#gen::Target>,
    pub unused: Vec<crate::r#gen::Target>,
}

pub fn generate(global: &Global, asked: &[crate::r#gen::Target]) -> Result<Generated, Outcome> {
    use crate::r#gen::{self, Target};
    let (model, text) = load_model_and_text(global)?;
    let name = global.config.display().to_string();
    let targets = r#gen::select(&model, asked).map_err(|d| {
        report(global, &name, &text, &[d]);
        Outcome::Error
    })?;
    let files = r#gen::generate_all(&model, &targets).map_err(|diags| {
        report(global, &name, &text, &diags);
        Outcome::Error
    })?;
    let unused = if asked.is_empty() {
        Target::ALL
            .into_iter()
            .filter(|t| !targets.contains(t))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Generated {
        files,
        targets,
        unused,
    })
}
