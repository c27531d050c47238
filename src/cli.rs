//! The command line: every flag is defined once here or in its command's `Args`, with the
//! documentation `--help` prints, and maps to an exit code that separates "the check found
//! something" (1) from "rolegen could not do its job" (2).

use crate::cmd::{self, Outcome};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// rolegen: one roles.yaml → Cognito groups and scopes, API Gateway authorization, the
/// authorizer and pre-token code, and checks that they stay in sync.
#[derive(Parser, Debug)]
#[command(name = "rolegen", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 success, 1 the check found a difference (stale out/, drift), 2 error (bad input, I/O)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The roles file to read.
    #[arg(
        short,
        long,
        global = true,
        default_value = "roles.yaml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// The output directory (generated files live in one folder per target).
    #[arg(short, long, global = true, default_value = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// How to print problems found in the roles file.
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Human)]
    pub error_format: ErrorFormat,
    /// When to colour human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Do not print warnings.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorFormat {
    /// file:line:column, the source line with the problem underlined, and a hint.
    Human,
    /// One JSON array of diagnostics on stderr.
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Global {
    /// Colour on stderr: only on a terminal unless asked.
    pub fn color_stderr(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }

    /// Colour on stdout: only on a terminal unless asked.
    pub fn color_stdout(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write the generated files into the output directory (atomically: on any error nothing
    /// there changes).
    Gen(cmd::r#gen::Args),
    /// Generate in memory and compare with the output directory; print a unified diff of every
    /// stale, missing or extra file. Exit 1 when anything differs.
    Check(cmd::check::Args),
    /// Compare roles.yaml with an API definition (OpenAPI export, CloudFormation/SAM/CDK/
    /// Serverless template, get-resources JSON) and report every route whose protection
    /// differs. Exit 1 on a finding at or above `--fail-on`.
    Drift(cmd::drift::Args),
    /// What access changes between two versions of roles.yaml (per route and per group, with
    /// the reason), and the changes CloudFormation cannot apply without losing data. Exit 1 on
    /// a finding at or above `--fail-on`, or with `--fail-on-grant` when access is widened.
    Diff(cmd::diff::Args),
    /// Explain who may call a route, or what a set of groups may call, and why: which scope,
    /// reached through which `includes`.
    Explain(cmd::explain::Args),
    /// Print the JSON Schema of roles.yaml.
    Schema,
    /// Print a synthetic roles.yaml of the given size (for benchmarks and trials at scale).
    #[command(hide = true)]
    Synth(crate::synth::Args),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Gen(args) => cmd::r#gen::run(&cli.global, args),
        Command::Check(args) => cmd::check::run(&cli.global, args),
        Command::Drift(args) => cmd::drift::run(&cli.global, args),
        Command::Diff(args) => cmd::diff::run(&cli.global, args),
        Command::Explain(args) => cmd::explain::run(&cli.global, args),
        Command::Synth(args) => crate::synth::run(&cli.global, args),
        Command::Schema => {
            print!("{}", crate::config::schema::json());
            Outcome::Ok
        }
    };
    outcome.exit_code()
}
