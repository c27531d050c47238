//! Where `rolegen drift` spends its time, stage by stage, on the benchmark's inputs
//! (benches/drift.rs): the synthetic roles file of N routes and the OpenAPI export of the same
//! routes, every 100th method made `NONE`. Prints the best of R runs of each stage (the
//! stages named like the benchmark's groups time what those groups time); small enough to run
//! under callgrind (`STAGE=json,compare` runs only those stages).
//!
//! Run: `cargo run --release --example drift_stages -- 10000 [R]`; `WRITE=dir` also writes
//! the inputs (roles.yaml, api.json, api.yaml, template.json) there for the CLI, and
//! `FROM=dir` reads them from there instead of generating them (quicker under callgrind).

#[path = "../benches/support/drift_inputs.rs"]
mod drift_inputs;

use drift_inputs::{DriftInputs, drift_inputs};
use rolegen::apidef;
use rolegen::cmd::drift::{self, Files};
use rolegen::cmd::load_text;
use rolegen::report::{self, Format, ToolCtx};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let routes: usize = args.first().map_or(10_000, |s| s.parse().unwrap());
    let runs: usize = args.get(1).map_or(10, |s| s.parse().unwrap());
    let only = std::env::var("STAGE").ok();

    if let Ok(dir) = std::env::var("FROM") {
        let read = |f: &str| std::fs::read_to_string(std::path::Path::new(&dir).join(f)).unwrap();
        let texts = [
            read("roles.yaml"),
            read("api.json"),
            read("api.yaml"),
            read("template.json"),
        ];
        return stages(routes, runs, only, texts);
    }
    let DriftInputs {
        roles,
        openapi_json: json_text,
        openapi_yaml: yaml_text,
        cfn_json: cfn_text,
        ..
    } = drift_inputs(routes);
    if let Ok(dir) = std::env::var("WRITE") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("roles.yaml"), &roles).unwrap();
        std::fs::write(dir.join("api.json"), &json_text).unwrap();
        std::fs::write(dir.join("api.yaml"), &yaml_text).unwrap();
        std::fs::write(dir.join("template.json"), &cfn_text).unwrap();
    }
    stages(routes, runs, only, [roles, json_text, yaml_text, cfn_text]);
}

fn stages(routes: usize, runs: usize, only: Option<String>, texts: [String; 4]) {
    let [roles, json_text, yaml_text, cfn_text] = texts;
    let model = load_text("roles.yaml", roles.clone()).model.unwrap();

    let files = Files {
        roles: "roles.yaml",
        api: "api.json",
    };
    let def = apidef::read(&json_text).unwrap();
    let compare = || {
        let api = drift::select(&def, &model, None).unwrap();
        let mut f = drift::compare(&model, api, &def.unresolved, &files);
        report::sort(&mut f);
        f
    };
    let render = |f: &[report::Finding]| {
        let ctx = ToolCtx {
            command: "drift",
            subject: "`roles.yaml` against `api.json`",
            rules: drift::RULES,
            color: false,
        };
        report::render(f, Format::Text, &ctx)
    };
    let findings = compare();
    assert_eq!(findings.len(), routes / 100);
    // What each of the benchmark's groups times (benches/drift.rs).
    let run = |text: &str| {
        let def = apidef::read(text).unwrap();
        let api = drift::select(&def, &model, None).unwrap();
        let mut f = drift::compare(&model, api, &def.unresolved, &files);
        report::sort(&mut f);
        f
    };

    type Stage<'s> = (&'static str, Box<dyn Fn() + 's>);
    let stages: Vec<Stage> = vec![
        (
            "json",
            Box::new(|| {
                black_box(apidef::read(&json_text).unwrap());
            }),
        ),
        (
            "yaml",
            Box::new(|| {
                black_box(apidef::read(&yaml_text).unwrap());
            }),
        ),
        (
            "cfn",
            Box::new(|| {
                black_box(apidef::read(&cfn_text).unwrap());
            }),
        ),
        (
            "compare",
            Box::new(|| {
                black_box(compare());
            }),
        ),
        (
            "render",
            Box::new(|| {
                black_box(render(&findings));
            }),
        ),
        (
            "load",
            Box::new(|| {
                black_box(load_text("roles.yaml", roles.clone()).model.unwrap());
            }),
        ),
        (
            "openapi-json",
            Box::new(|| {
                black_box(run(&json_text));
            }),
        ),
        (
            "openapi-yaml",
            Box::new(|| {
                black_box(run(&yaml_text));
            }),
        ),
        (
            "cfn-json",
            Box::new(|| {
                black_box(run(&cfn_text));
            }),
        ),
        (
            "with-load",
            Box::new(|| {
                let model = load_text("roles.yaml", roles.clone()).model.unwrap();
                let def = apidef::read(&json_text).unwrap();
                let api = drift::select(&def, &model, None).unwrap();
                let mut f = drift::compare(&model, api, &def.unresolved, &files);
                report::sort(&mut f);
                black_box(render(&f));
            }),
        ),
    ];
    println!(
        "{routes} routes; api.json {} KB, api.yaml {} KB, template.json {} KB",
        json_text.len() / 1024,
        yaml_text.len() / 1024,
        cfn_text.len() / 1024
    );
    for (name, f) in &stages {
        if only
            .as_ref()
            .is_none_or(|o| o.split(',').any(|o| o == *name))
        {
            println!("{name:12} best of {runs}: {:>10.2?}", best(runs, f));
        }
    }
}
