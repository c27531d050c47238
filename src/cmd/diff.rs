//! `rolegen diff`: what a change to roles.yaml does to access, for pull-request review (buf's
//! `breaking`). It compares the two access models, not the two texts: per route the groups
//! that gain or lose it, per group the routes it gains or loses and why (which scope, which
//! `includes`), routes made public, and the CloudFormation consequences that lose data or
//! break callers (a group renamed or removed loses its members; a new user-pool name cannot
//! be applied; a new resource-server identifier changes every scope string).
//!
//! Both versions must be valid roles files. Groups match by name, routes by method and path
//! shape (variable names may differ), scopes by name.

mod rules;

pub use rules::{CHECKS, compare};

use super::Global;
use super::{Outcome, load_text};
use crate::config::Raw;
use crate::diag::{Diagnostic, Span};
use crate::model::Model;
use crate::report::{self, Finding, Format, Location, Rule, ToolCtx};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `--fail-on` as `diff` reads it: which changes each severity stops.
const FAIL_ON_HELP: &str = "Exit 1 when a finding is at least this severe. The only error is a change that would lose every user (`user-pool-replaced`); `warning` also stops data-losing group, scope and resource-server changes, and widened access";

#[derive(clap::Args, Debug, Clone)]
#[command(mut_arg("fail_on", |a| a.help(FAIL_ON_HELP)))]
pub struct Args {
    /// The roles file before the change. With `--base`, leave it out: the one file given is
    /// NEW.
    #[arg(value_name = "OLD")]
    pub old: Option<PathBuf>,
    /// The roles file after the change [default: the `--config` file, roles.yaml].
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,
    /// Read OLD from git: NEW's path at this revision (`main`, `origin/main`, `HEAD~1`).
    // Not empty: `git show :./FILE` would read the index and compare it silently.
    #[arg(long, value_name = "REV", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub base: Option<String>,
    /// `--format` and `--fail-on` (whose help says what they stop in a diff, above).
    #[command(flatten)]
    pub output: report::Output,
    /// Exit 1 when any access is widened: a group may call a route it could not, a route
    /// becomes public, a new route or a new group grants access.
    #[arg(long)]
    pub fail_on_grant: bool,
}

/// Every rule `diff` reports, in the order of `CHECKS`.
pub fn rules() -> Vec<Rule> {
    CHECKS.iter().map(|c| c.rule).collect()
}

/// One version of the roles file: its display name, its model, and where its top-level
/// settings were written (for locations).
pub struct Side {
    pub name: String,
    pub model: Model,
    raw: Option<Raw<'static>>,
}

impl Side {
    /// Loads a version from its text; `Err` holds the diagnostics when it is not valid.
    pub fn load(name: &str, text: String) -> Result<Side, (String, String, Vec<Diagnostic>)> {
        let loaded = load_text(name, text);
        match loaded.model {
            Some(model) => {
                let mut ignore = Vec::new();
                let raw = crate::config::read(&loaded.text, &mut ignore).map(Raw::into_owned);
                Ok(Side {
                    name: loaded.name,
                    model,
                    raw,
                })
            }
            None => Err((loaded.name, loaded.text, loaded.diags)),
        }
    }

    fn at(&self, span: Span) -> Option<Location> {
        Some(Location {
            file: self.name.clone(),
            line: span.line,
            column: span.column,
        })
    }

    /// Where a top-level setting was written, else its section, else the file.
    fn setting(&self, pick: impl Fn(&Raw) -> Option<Span>, section: &str) -> Option<Location> {
        let raw = self.raw.as_ref();
        let span = raw
            .and_then(&pick)
            .or_else(|| {
                raw.and_then(|r| {
                    r.section_spans
                        .iter()
                        .find(|(name, _)| *name == section)
                        .map(|(_, s)| *s)
                })
            })
            .unwrap_or(Span::UNKNOWN);
        self.at(span)
    }
}

/// What changed, and whether any of it widens access.
pub struct Changes {
    pub findings: Vec<Finding>,
    pub widened: bool,
}

pub fn run(global: &Global, args: &Args) -> Outcome {
    let (old_src, new_path) = match (&args.base, &args.old, &args.new) {
        (Some(_), _, Some(_)) => {
            return usage(
                global,
                "with `--base`, give only NEW: OLD is read from git",
                "run `rolegen diff --base REV [NEW]`",
            );
        }
        (Some(rev), one, None) => (
            OldSource::Git(rev.clone()),
            one.clone().unwrap_or_else(|| global.config.clone()),
        ),
        (None, Some(old), new) => (
            OldSource::File(old.clone()),
            new.clone().unwrap_or_else(|| global.config.clone()),
        ),
        (None, None, _) => {
            return usage(
                global,
                "nothing to compare with",
                "run `rolegen diff OLD [NEW]`, or `rolegen diff --base REV` to compare with a git revision",
            );
        }
    };
    // OLD is read first when it is a file, so the first problem reported is the first given.
    let unreadable =
        |name: String, u: super::Unreadable| super::fail_in(global, &name, &u.text, *u.diag);
    let old_text = match &old_src {
        OldSource::File(p) => match read(p) {
            Ok(t) => Some(t),
            Err(u) => return unreadable(p.display().to_string(), u),
        },
        OldSource::Git(_) => None,
    };
    let new_text = match read(&new_path) {
        Ok(t) => t,
        Err(u) => return unreadable(new_path.display().to_string(), u),
    };
    let (old_name, old_text) = match old_src {
        OldSource::File(p) => (p.display().to_string(), old_text.unwrap_or_default()),
        OldSource::Git(rev) => {
            let name = format!("{rev}:{}", new_path.display());
            match git_show(&rev, &new_path) {
                Ok(t) => (name, t),
                Err(u) if u.diag.code == "encoding" => return unreadable(name, u),
                Err(u) => return unreadable(new_path.display().to_string(), u),
            }
        }
    };
    let old = Side::load(&old_name, old_text);
    let new = Side::load(&new_path.display().to_string(), new_text);
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            // Only errors: the warnings of a file are `check`'s business, not the diff's.
            for (name, text, diags) in [o.err(), n.err()].into_iter().flatten() {
                let errors: Vec<Diagnostic> = diags.into_iter().filter(|d| d.is_error()).collect();
                super::report(global, &name, &text, &errors);
            }
            return Outcome::Error;
        }
    };
    let changes = compare(&old, &new);
    let subject = format!("`{}` → `{}`", old.name, new.name);
    let ctx = ToolCtx {
        command: "diff",
        subject: &subject,
        rules: &rules(),
        color: args.output.format == Format::Text && global.color_stdout(),
    };
    // A failed write is reported by `finish`; the findings decide the outcome either way.
    let _ = global
        .console
        .out(&report::render(&changes.findings, args.output.format, &ctx));
    if args.output.fails(&changes.findings) || (args.fail_on_grant && changes.widened) {
        Outcome::Failed
    } else {
        Outcome::Ok
    }
}

enum OldSource {
    File(PathBuf),
    Git(String),
}

fn read(path: &Path) -> Result<String, super::Unreadable> {
    super::read_text(
        path,
        "check the path; NEW defaults to `--config` (roles.yaml)",
        crate::yaml::limits::ROLES.max_file_bytes,
    )
}

/// `NEW` as it was at `rev`: `git show REV:./FILE` run in NEW's folder, so the path is
/// resolved against the repository root whatever the current directory is.
fn git_show(rev: &str, new_path: &Path) -> Result<String, super::Unreadable> {
    let dir = match new_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = new_path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fails = |diag: Diagnostic| super::Unreadable {
        diag: Box::new(diag),
        text: String::new(),
    };
    if rev.starts_with('-') {
        return Err(fails(Diagnostic::error(
            "git",
            format!("`{rev}` is not a git revision"),
        )));
    }
    let spec = format!("{rev}:./{file}");
    let out = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["show", "--no-textconv", &spec])
        .output()
        .map_err(|e| {
            fails(
                Diagnostic::error("git", format!("cannot run `git`: {e}"))
                    .help("install git, or compare two files: `rolegen diff OLD NEW`"),
            )
        })?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(fails(Diagnostic::error(
            "git",
            format!("cannot read `{}` at `{rev}`: {msg}", new_path.display()),
        )
        .help("`--base` needs a revision where the file exists, e.g. `main` or `origin/main` (fetch it first in CI)")));
    }
    let name = format!("{rev}:{}", new_path.display());
    let max = crate::yaml::limits::ROLES.max_file_bytes;
    if out.stdout.len() > max {
        return Err(super::too_large(&name, max));
    }
    super::utf8(&name, out.stdout)
}

fn usage(global: &Global, message: &str, help: &str) -> Outcome {
    super::fail(
        global,
        "rolegen diff",
        Diagnostic::error("usage", message).help(help),
    )
}
