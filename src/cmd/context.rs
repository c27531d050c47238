//! What every command is given: the global flags, resolved once from the raw arguments that
//! `cli` parses (ripgrep's low-args → high-args split). Commands read only this, so `cmd`
//! does not depend on `cli`, and a question such as "colour on stdout?" is answered once.

use crate::console::Console;
use std::path::PathBuf;

/// The resolved global flags, and the console everything is printed through.
pub struct Global {
    /// The roles file to read.
    pub config: PathBuf,
    /// The output directory.
    pub out: PathBuf,
    /// How problems in the roles file are printed.
    pub error_format: ErrorFormat,
    /// No warnings.
    pub quiet: bool,
    pub console: Console,
    color_stdout: bool,
    color_stderr: bool,
}

impl Global {
    /// The context of a run; the colours are decided by the caller (`cli`: `--color`, a
    /// terminal, `NO_COLOR`).
    pub fn new(
        config: PathBuf,
        out: PathBuf,
        error_format: ErrorFormat,
        quiet: bool,
        color_stdout: bool,
        color_stderr: bool,
    ) -> Global {
        Global {
            config,
            out,
            error_format,
            quiet,
            console: Console::default(),
            color_stdout,
            color_stderr,
        }
    }

    /// Colour on stdout.
    pub fn color_stdout(&self) -> bool {
        self.color_stdout
    }

    /// Colour on stderr.
    pub fn color_stderr(&self) -> bool {
        self.color_stderr
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorFormat {
    /// file:line:column, the source line with the problem underlined, and a hint.
    Human,
    /// Exactly one JSON array on stderr, holding every diagnostic of the run, and nothing
    /// else there.
    Json,
    /// GitHub Actions workflow commands on stdout (`::error file=…,line=…,col=…::…`), one per
    /// diagnostic, which the runner shows as annotations on the file.
    Github,
    /// One SARIF 2.1.0 document on stdout with every diagnostic of the run, for code scanning.
    Sarif,
}

impl ErrorFormat {
    /// Whether diagnostics are collected and printed once, at the end of the run, for a
    /// program to read (every format but `human`).
    pub fn collected(self) -> bool {
        self != ErrorFormat::Human
    }
}
