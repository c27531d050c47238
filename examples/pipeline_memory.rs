//! Peak memory (and a rough wall time) of the whole pipeline on a synthetic roles file, with
//! CloudFormation's 500-resource limit lifted so that 1,000 and 10,000 routes can be measured:
//! the `rolegen` binary refuses such a template, as it should. Companion of
//! `benches/pipeline.rs`, which measures time precisely; this one reads the kernel's peak
//! resident set size (`VmHWM` in /proc/self/status, Linux only).
//!
//! `cargo run --release --example pipeline_memory -- ROUTES [cognito-scopes|lambda] [TARGET…]`
//! Without targets, every target the strategy uses runs as `rolegen gen` runs them (side by
//! side on the machine's cores); naming targets runs just those, one after another, timed
//! each (`each` names them all).

use rolegen::cmd::load_text;
use rolegen::cmd::synth::{SynthParams, roles_yaml};
use rolegen::r#gen::{self, Files, Target, cfn};
use rolegen::model::Strategy;
use std::time::Instant;

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let routes: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: pipeline_memory ROUTES [cognito-scopes|lambda] [TARGET…]");
    let strategy = match args.next().as_deref() {
        None | Some("cognito-scopes") => Strategy::CognitoScopes,
        Some("lambda") => Strategy::Lambda,
        Some(other) => panic!("unknown strategy {other}"),
    };
    let only: Vec<String> = args.collect();
    let params = SynthParams {
        strategy,
        ..SynthParams::for_routes(routes)
    };
    let text = roles_yaml(&params);
    let bytes_in = text.len();
    let before = vm_hwm_kib();

    let start = Instant::now();
    let loaded = load_text("roles.yaml", text);
    let model = loaded.model.expect("synthetic files are valid");
    let loaded_at = start.elapsed();
    let lifted = r#gen::Limits::lifted();
    let mut files = Files::new();
    let mut stages = Vec::new();
    if only.is_empty() {
        // What `rolegen gen` does: every target, side by side.
        let t0 = Instant::now();
        let targets: Vec<Target> = Target::ALL
            .into_iter()
            .filter(|t| t.applies_to(&model))
            .collect();
        files =
            r#gen::generate_all_with(&model, &targets, lifted).unwrap_or_else(|e| panic!("{e:#?}"));
        stages.push(format!(
            "all targets (as `rolegen gen` runs them) {:.1} ms",
            t0.elapsed().as_secs_f64() * 1e3
        ));
    }
    for t in Target::ALL
        .into_iter()
        .filter(|t| t.applies_to(&model))
        .filter(|t| only.iter().any(|o| o == t.name() || o == "each"))
    {
        let t0 = Instant::now();
        let out = match t {
            Target::Cfn => cfn::generate_with(&model, lifted),
            t => r#gen::generate(&model, t),
        };
        files.extend(out.unwrap_or_else(|e| panic!("{}: {e:#?}", t.name())));
        stages.push(format!(
            "{} {:.1} ms",
            t.name(),
            t0.elapsed().as_secs_f64() * 1e3
        ));
    }
    let total = start.elapsed();
    let bytes_out: usize = files.values().map(Vec::len).sum();

    println!(
        "routes {routes}, groups {}, scopes {}, strategy {}",
        params.groups,
        params.scopes,
        strategy.as_str()
    );
    println!(
        "input {:.1} KB, output {:.1} KB in {} files",
        bytes_in as f64 / 1e3,
        bytes_out as f64 / 1e3,
        files.len()
    );
    println!(
        "time: load {:.1} ms, {}, total {:.1} ms",
        loaded_at.as_secs_f64() * 1e3,
        stages.join(", "),
        total.as_secs_f64() * 1e3
    );
    if std::env::var_os("PIPELINE_FILES").is_some() {
        for (name, bytes) in &files {
            println!("  {name}: {:.1} KB", bytes.len() as f64 / 1e3);
        }
    }
    match (before, vm_hwm_kib()) {
        (Some(b), Some(a)) => println!(
            "peak RSS (VmHWM): {:.1} MB (before the pipeline, with the input generated: {:.1} MB)",
            a as f64 / 1024.0,
            b as f64 / 1024.0
        ),
        _ => println!("peak RSS: /proc/self/status not available"),
    }
}
