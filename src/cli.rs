//! The command line: every flag is defined once here or in its command's `Args`, with the
//! documentation `--help` prints, and maps to an exit code that separates "the check found
//! something" (1) from "rolegen could not do its job" (2).

use crate::cmd::{self, ErrorFormat, Global, Outcome};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// rolegen: one roles.yaml → Cognito groups and scopes, API Gateway authorization, the
/// authorizer and pre-token code, and checks that they stay in sync.
#[derive(Parser, Debug)]
#[command(name = "rolegen", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 success, 1 the check found a difference (stale out/, drift), 2 error (bad input, I/O). A closed pipe on stdout or stderr ends rolegen quietly with the command's own exit code."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The global flags as given; `resolve` turns them into what commands read (`cmd::Global`).
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
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
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl GlobalArgs {
    /// What the commands read: the flags, and colour decided once per stream (only on a
    /// terminal unless asked, never with `NO_COLOR`).
    pub fn resolve(&self) -> Global {
        let color = |terminal: bool| match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
        };
        Global::new(
            self.config.clone(),
            self.out.clone(),
            self.error_format,
            self.quiet,
            color(std::io::stdout().is_terminal()),
            color(std::io::stderr().is_terminal()),
        )
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
    /// What each strategy would cost per month for a number of users: Cognito under the
    /// feature plan it needs, API Gateway, Lambda, Verified Permissions. Every price and
    /// assumption is a flag.
    Cost(cmd::cost::Args),
    /// Write a first roles.yaml from an existing API definition (and its Cognito side), to
    /// adopt rolegen in a project that has its API and user pool already.
    Init(cmd::init::Args),
    /// Print the JSON Schema of roles.yaml.
    Schema,
    /// Print a synthetic roles.yaml of the given size (for benchmarks and trials at scale).
    #[command(hide = true)]
    Synth(crate::cmd::synth::Args),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e, std::env::args_os()),
    };
    let global = &cli.global.resolve();
    let outcome = match &cli.command {
        Command::Gen(args) => cmd::r#gen::run(global, args),
        Command::Check(args) => cmd::check::run(global, args),
        Command::Drift(args) => cmd::drift::run(global, args),
        Command::Diff(args) => cmd::diff::run(global, args),
        Command::Explain(args) => cmd::explain::run(global, args),
        Command::Cost(args) => cmd::cost::run(global, args),
        Command::Init(args) => cmd::init::run(global, args),
        Command::Synth(args) => crate::cmd::synth::run(global, args),
        Command::Schema => {
            // A failed write is reported by `finish`.
            let _ = global.console.out(&crate::config::schema::json());
            Outcome::Ok
        }
    };
    cmd::finish(global, outcome).exit_code()
}

/// What clap stops at (`--help`, `--version`, a bad argument), printed through the console
/// like everything else: help on a closed pipe ends quietly, and with `--error-format json` a
/// bad argument is one `usage` diagnostic in the JSON array.
fn clap_exit(e: clap::Error, args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let global = GlobalArgs::from_raw_args(args).resolve();
    let rendered = |color: bool| {
        let styled = e.render();
        if color {
            styled.ansi().to_string()
        } else {
            styled.to_string()
        }
    };
    let outcome = if !e.use_stderr() {
        let _ = global.console.out(&rendered(global.color_stdout()));
        Outcome::Ok
    } else if global.error_format.collected() {
        let text = rendered(false);
        let mut lines = text.lines();
        let message = lines.next().unwrap_or_default();
        let message = message.strip_prefix("error: ").unwrap_or(message);
        let mut d = crate::diag::Diagnostic::error("usage", message);
        if let Some(tip) = lines.find_map(|l| l.trim().strip_prefix("tip: ")) {
            d = d.help(tip);
        } else {
            d = d.help("run `rolegen --help` for the commands and their flags");
        }
        cmd::fail(&global, "command line", d)
    } else {
        let _ = global.console.err(&rendered(global.color_stderr()));
        Outcome::Error
    };
    cmd::finish(&global, outcome).exit_code()
}

impl GlobalArgs {
    /// The flags that say how to print, read from arguments clap refused as a whole, so that
    /// even a usage error is printed the way they ask.
    fn from_raw_args(args: impl IntoIterator<Item = OsString>) -> GlobalArgs {
        let args: Vec<String> = args
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let value = |flag: &str| {
            let with_eq = format!("{flag}=");
            let mut found = None;
            for (i, a) in args.iter().enumerate() {
                if a == "--" {
                    break;
                }
                if a == flag {
                    found = args.get(i + 1).cloned();
                } else if let Some(v) = a.strip_prefix(&with_eq) {
                    found = Some(v.to_string());
                }
            }
            found
        };
        GlobalArgs {
            config: PathBuf::from("roles.yaml"),
            out: PathBuf::from("out"),
            error_format: value("--error-format")
                .and_then(|v| ErrorFormat::from_str(&v, false).ok())
                .unwrap_or(ErrorFormat::Human),
            color: value("--color")
                .and_then(|v| ColorChoice::from_str(&v, false).ok())
                .unwrap_or(ColorChoice::Auto),
            quiet: false,
        }
    }
}
