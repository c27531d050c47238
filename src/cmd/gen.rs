//! `rolegen gen`: generate every asked target in memory, then swap each target's folder into
//! the output directory. Nothing on disk changes before everything generated; a folder is
//! replaced by rename, so a reader never sees it half-written.

use super::Global;
use super::{Generated, Outcome, generate, report, status};
use crate::diag::Diagnostic;
use crate::r#gen::{Files, Target};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// Only these targets (repeat the flag, or separate with commas); default: every target
    /// the strategy uses.
    #[arg(short, long, value_enum, value_delimiter = ',')]
    pub target: Vec<Target>,
}

pub fn run(global: &Global, args: &Args) -> Outcome {
    let Generated {
        files,
        targets,
        unused,
    } = match generate(global, &args.target) {
        Ok(g) => g,
        Err(o) => return o,
    };
    match write_atomically(&global.out, &targets, &unused, &files) {
        Ok(()) => {
            status(
                global,
                &format!(
                    "wrote {} file{} for {} into {}",
                    files.len(),
                    if files.len() == 1 { "" } else { "s" },
                    targets
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    global.out.display()
                ),
            );
            Outcome::Ok
        }
        Err(e) => {
            let d = Diagnostic::error(
                "io",
                format!("cannot write into `{}`: {e}", global.out.display()),
            )
            .help("nothing in the output directory was changed");
            report(global, &global.out.display().to_string(), "", &[d]);
            Outcome::Error
        }
    }
}

/// Writes each target's files into a fresh folder beside its final place, then swaps folders
/// by rename. If any step fails, the folders already swapped are put back.
pub fn write_atomically(
    out: &Path,
    targets: &[Target],
    remove: &[Target],
    files: &Files,
) -> io::Result<()> {
    fs::create_dir_all(out)?;
    let stamp = format!(".rolegen-{}", std::process::id());
    let staging = out.join(format!("{stamp}-new"));
    let backup = out.join(format!("{stamp}-old"));
    let _ = fs::remove_dir_all(&staging);
    let _ = fs::remove_dir_all(&backup);

    let result = (|| {
        fs::create_dir_all(&staging)?;
        fs::create_dir_all(&backup)?;
        for (rel, bytes) in files {
            let path = staging.join(rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, bytes)?;
        }
        let mut swapped: Vec<(PathBuf, PathBuf, bool)> = Vec::new();
        let all: Vec<(Target, bool)> = targets
            .iter()
            .map(|t| (*t, true))
            .chain(remove.iter().map(|t| (*t, false)))
            .collect();
        for (t, install) in all {
            let live = out.join(t.dir());
            let old = backup.join(t.dir());
            let had_old = live.exists();
            let step = (|| -> io::Result<()> {
                if had_old {
                    fs::rename(&live, &old)?;
                }
                if install {
                    let new = staging.join(t.dir());
                    if !new.exists() {
                        fs::create_dir_all(&new)?;
                    }
                    fs::rename(&new, &live)?;
                }
                Ok(())
            })();
            if let Err(e) = step {
                // Put back what was moved, newest first.
                if had_old && !live.exists() {
                    let _ = fs::rename(&old, &live);
                }
                for (live, old, had) in swapped.into_iter().rev() {
                    let _ = fs::remove_dir_all(&live);
                    if had {
                        let _ = fs::rename(&old, &live);
                    }
                }
                return Err(e);
            }
            swapped.push((live, old, had_old));
        }
        Ok(())
    })();
    let _ = fs::remove_dir_all(&staging);
    let _ = fs::remove_dir_all(&backup);
    result
}
