//! How long reading YAML takes: roles.yaml (`config::yaml::parse`, then the whole `load`) and
//! an API definition in YAML (`apidef::tree::parse`). Prints the best and the median of N runs.
//!
//! Run: `cargo run --release --example yaml_read -- roles FILE [N]` (`stages` instead of
//! `roles` times the parse, the walk and the model's build apart) or `… -- api FILE [N]`.

use std::time::{Duration, Instant};

fn time(n: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut runs: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    runs.sort();
    (runs[0], runs[n / 2])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (what, path) = (&args[0], &args[1]);
    let n = args.get(2).map_or(20, |s| s.parse().unwrap());
    let text = std::fs::read_to_string(path).unwrap();
    let show = |name: &str, (best, median): (Duration, Duration)| {
        println!("{name:8} best {best:>10.2?}  median {median:>10.2?}");
    };
    match what.as_str() {
        "roles" => {
            show(
                "parse",
                time(n, || {
                    std::hint::black_box(rolegen::config::yaml::parse(&text).unwrap());
                }),
            );
            show(
                "load",
                time(n, || {
                    let l = rolegen::cmd::load_text("roles.yaml", text.clone());
                    assert!(l.model.is_some());
                    std::hint::black_box(l);
                }),
            );
        }
        // Each stage of `load` alone: the parse, the walk to the raw config, the model.
        "stages" => {
            show(
                "parse",
                time(n, || {
                    std::hint::black_box(rolegen::config::yaml::parse(&text).unwrap());
                }),
            );
            show(
                "read",
                time(n, || {
                    let mut diags = Vec::new();
                    std::hint::black_box(rolegen::config::read(&text, &mut diags).unwrap());
                }),
            );
            let mut diags = Vec::new();
            let raw = rolegen::config::read(&text, &mut diags).unwrap();
            show(
                "build",
                time(n, || {
                    let mut diags = Vec::new();
                    let model = rolegen::model::build(&raw, &text, &mut diags);
                    assert!(model.is_some());
                    std::hint::black_box(model);
                }),
            );
        }
        "events" => show(
            "events",
            time(n, || {
                let mut k = 0usize;
                for e in serde_saphyr::granit_parser::Parser::new_from_str(&text) {
                    let (e, sp) = e.unwrap();
                    k += sp.start.line();
                    std::hint::black_box(e);
                }
                std::hint::black_box(k);
            }),
        ),
        "api" => show(
            "parse",
            time(n, || {
                std::hint::black_box(rolegen::apidef::tree::parse(&text).unwrap());
            }),
        ),
        _ => panic!("roles, stages, events or api"),
    }
}
