//! How long `rolegen drift` takes on a large API: synthetic roles files of 1,000 to 10,000
//! routes (`rolegen::cmd::synth`), compared with API definitions of the same routes written by
//! rolegen's own generators (so every route matches), with every 100th method's authorization
//! set to `NONE` so that the comparison also writes findings. The aim (issue 4): a
//! 10,000-route definition against a 10,000-route roles.yaml in under 100 ms, growth linear
//! (a flat routes/s throughput across sizes).
//!
//! Groups:
//! - `drift-openapi-json`: read an OpenAPI 3 export in JSON (what `aws apigateway get-export`
//!   writes), pick the API, compare, sort the findings.
//! - `drift-openapi-yaml`: the same from YAML.
//! - `drift-cfn-json`: a CloudFormation template in JSON (what `cdk synth` and
//!   `serverless package` write), every path rebuilt from `ParentId` chains.
//! - `drift-compare`: the comparison alone, definition and model already in memory.
//! - `drift-with-load`: everything the command does in memory: parse and resolve roles.yaml,
//!   read the JSON export, compare, render the text report.
//!
//! Run: `cargo bench --bench drift` (about two minutes on 2 cores). The same inputs stage by
//! stage, best of N runs (steadier on a busy machine):
//! `cargo run --release --example drift_stages -- 10000`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
#[path = "support/drift_inputs.rs"]
mod drift_inputs;

use drift_inputs::{DriftInputs, drift_inputs};
use rolegen::apidef::{self, ApiDef};
use rolegen::cmd::drift::{self, Files};
use rolegen::cmd::load_text;
use rolegen::model::Model;
use rolegen::report::{self, Finding, Format, ToolCtx};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 4] = [1_000, 2_500, 5_000, 10_000];

const FILES: Files = Files {
    roles: "roles.yaml",
    api: "api.json",
};

struct Case {
    routes: usize,
    roles: String,
    model: Model,
    openapi_json: String,
    openapi_yaml: String,
    cfn_json: String,
    def: ApiDef,
}

fn case(routes: usize) -> Case {
    let DriftInputs {
        roles,
        model,
        openapi_json,
        openapi_yaml,
        cfn_json,
    } = drift_inputs(routes);
    let def = apidef::read(&openapi_json).unwrap();
    let found = run(&model, &openapi_json);
    assert_eq!(found.len(), routes / 100, "one finding per NONE method");
    assert_eq!(run(&model, &openapi_yaml).len(), routes / 100);
    assert!(!run(&model, &cfn_json).is_empty());
    Case {
        routes,
        roles,
        model,
        openapi_json,
        openapi_yaml,
        cfn_json,
        def,
    }
}

fn compare(model: &Model, def: &ApiDef) -> Vec<Finding> {
    let api = drift::select(def, model, None).unwrap();
    let mut f = drift::compare(model, api, &def.unresolved, &FILES);
    report::sort(&mut f);
    f
}

fn run(model: &Model, text: &str) -> Vec<Finding> {
    compare(model, &apidef::read(text).unwrap())
}

fn tune(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    routes: usize,
) {
    group.warm_up_time(Duration::from_millis(500));
    if routes >= 5_000 {
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(3));
    } else {
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(2));
    }
}

fn bench(c: &mut Criterion) {
    let cases: Vec<Case> = SIZES.iter().map(|&r| case(r)).collect();
    let id = |c: &Case| BenchmarkId::from_parameter(format!("{}r", c.routes));

    type Pick = fn(&Case) -> &str;
    let inputs: [(&str, Pick); 3] = [
        ("drift-openapi-json", |c| &c.openapi_json),
        ("drift-openapi-yaml", |c| &c.openapi_yaml),
        ("drift-cfn-json", |c| &c.cfn_json),
    ];
    for (name, pick) in inputs {
        let mut group = c.benchmark_group(name);
        for case in &cases {
            tune(&mut group, case.routes);
            group.throughput(Throughput::Elements(case.routes as u64));
            group.bench_with_input(id(case), case, |b, case| {
                b.iter(|| black_box(run(&case.model, pick(case))))
            });
        }
        group.finish();
    }

    let mut group = c.benchmark_group("drift-compare");
    for case in &cases {
        tune(&mut group, case.routes);
        group.throughput(Throughput::Elements(case.routes as u64));
        group.bench_with_input(id(case), case, |b, case| {
            b.iter(|| black_box(compare(&case.model, &case.def)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("drift-with-load");
    for case in &cases {
        tune(&mut group, case.routes);
        group.throughput(Throughput::Elements(case.routes as u64));
        group.bench_with_input(id(case), case, |b, case| {
            b.iter(|| {
                let model = load_text("roles.yaml", case.roles.clone()).model.unwrap();
                let findings = run(&model, &case.openapi_json);
                let ctx = ToolCtx {
                    command: "drift",
                    subject: "`roles.yaml` against `api.json`",
                    rules: drift::RULES,
                    color: false,
                };
                black_box(report::render(&findings, Format::Text, &ctx))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
