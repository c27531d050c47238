//! How long rolegen takes, stage by stage, on synthetic roles files of 10 to 10,000 routes
//! (`rolegen::cmd::synth`, the same files `rolegen synth` prints). The aims (issue 2): 1,000 routes
//! with 100 groups in under 10 ms, 10,000 routes in under 100 ms, growth linear.
//!
//! Stages: `load` (parse + validate + build the model), one group per generator target, and
//! `pipeline` (all of it, every target the strategy uses). CloudFormation refuses templates
//! over 500 resources, so the `cfn` generator runs here with its limits lifted: the benchmark
//! measures the work, not the refusal. Throughput is per route, so linear growth shows as a
//! flat routes/s figure across sizes.
//!
//! Run: `cargo bench --bench pipeline` (about five minutes on 2 cores).

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rolegen::cmd::load_text;
use rolegen::cmd::synth::{SynthParams, roles_yaml};
use rolegen::r#gen::{self, Files, Target, cedar, cfn};
use rolegen::model::{Model, Strategy};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
/// The `lambda` strategy: its authorizer is a table lookup, so it is timed at every size too
/// (issue 8's aim: 1,000 routes with 100 groups, every target, under 50 ms).
const LAMBDA_SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// The `verified-permissions` strategy (issue 10's aim: 1,000 routes with 100 groups under
/// 50 ms). Verified Permissions' quotas (schema, policies per store) refuse such files for
/// real; like CloudFormation's, they are lifted here to measure the work.
const AVP_SIZES: [usize; 3] = [10, 100, 1_000];

/// The route the old pattern compiler never finished (past 120 s and 13 GB); aim: under 10 ms.
const DEEP: &str = "version: 1
api: {name: deep, stage: prod, authorizer: lambda}
user_pool: {name: deep-users}
resource_server: {identifier: deep, name: Deep}
scopes: {user: Users}
groups: {User: {scopes: [user]}}
routes:
  ANY /a/{b}/c/{d}/e/{g}/h/{i+}: [user]
";

fn lifted() -> r#gen::Limits {
    r#gen::Limits::lifted()
}

/// One target, with CloudFormation's and Verified Permissions' limits lifted.
fn generate(model: &Model, target: Target) -> Files {
    let files = match target {
        Target::Cfn => cfn::generate_with(model, lifted()),
        Target::Cedar => cedar::generate_with(model, lifted()),
        t => r#gen::generate(model, t),
    };
    files.unwrap_or_else(|e| panic!("target {} failed: {e:#?}", target.name()))
}

/// Everything `rolegen gen` does in memory: load, then every target the strategy uses, side
/// by side on the machine's cores as `rolegen gen` runs them.
fn pipeline(text: String) -> Files {
    let loaded = load_text("roles.yaml", text);
    let model = loaded.model.expect("synthetic files are valid");
    let targets: Vec<Target> = Target::ALL
        .into_iter()
        .filter(|t| t.applies_to(&model))
        .collect();
    r#gen::generate_all_with(&model, &targets, lifted())
        .unwrap_or_else(|e| panic!("pipeline failed: {e:#?}"))
}

struct Case {
    routes: usize,
    params: SynthParams,
    text: String,
    model: Model,
}

fn cases(strategy: Strategy, sizes: &[usize]) -> Vec<Case> {
    sizes
        .iter()
        .map(|&routes| {
            let params = SynthParams {
                strategy,
                ..SynthParams::for_routes(routes)
            };
            let text = roles_yaml(&params);
            let loaded = load_text("roles.yaml", text.clone());
            let errors: Vec<_> = loaded.diags.iter().filter(|d| d.is_error()).collect();
            assert!(errors.is_empty(), "{params:?}: {errors:#?}");
            let model = loaded.model.expect("no error, so a model");
            Case {
                routes,
                params,
                text,
                model,
            }
        })
        .collect()
}

/// Small sizes take microseconds; from 1,000 routes on, some stages take long enough that ten
/// samples suffice.
fn tune(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    routes: usize,
) {
    group.warm_up_time(Duration::from_millis(500));
    if routes >= 1_000 {
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(3));
    } else {
        group.sample_size(30);
        group.measurement_time(Duration::from_secs(2));
    }
}

fn id(case: &Case) -> BenchmarkId {
    BenchmarkId::from_parameter(format!(
        "{}r-{}g-{}s",
        case.routes, case.params.groups, case.params.scopes
    ))
}

fn bench(c: &mut Criterion) {
    let scoped = cases(Strategy::CognitoScopes, &SIZES);
    let lambda = cases(Strategy::Lambda, &LAMBDA_SIZES);
    let avp = cases(Strategy::VerifiedPermissions, &AVP_SIZES);

    let mut group = c.benchmark_group("load");
    for case in &scoped {
        tune(&mut group, case.routes);
        group.throughput(Throughput::Elements(case.routes as u64));
        group.bench_with_input(id(case), case, |b, case| {
            b.iter_batched(
                || case.text.clone(),
                |text| black_box(load_text("roles.yaml", text)),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    // Each target on the `cognito-scopes` files, or on the `lambda` ones if only they use it.
    // A target no synthetic file has (`routes`, written only for `api.external`) is skipped:
    // it serializes one line per route.
    for target in Target::ALL {
        let Some(on) = [&scoped, &lambda, &avp]
            .into_iter()
            .find(|cases| cases.iter().any(|c| target.applies_to(&c.model)))
        else {
            continue;
        };
        let mut group = c.benchmark_group(format!("gen-{}", target.name()));
        for case in on.iter().filter(|c| target.applies_to(&c.model)) {
            tune(&mut group, case.routes);
            group.throughput(Throughput::Elements(case.routes as u64));
            group.bench_with_input(id(case), case, |b, case| {
                b.iter(|| black_box(generate(&case.model, target)))
            });
        }
        group.finish();
    }

    let mut group = c.benchmark_group("pipeline-lambda-deep");
    group.bench_function("ANY /a/{b}/c/{d}/e/{g}/h/{i+}", |b| {
        b.iter_batched(
            || DEEP.to_string(),
            |text| black_box(pipeline(text)),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    for (name, cases) in [
        ("pipeline-cognito-scopes", scoped),
        ("pipeline-lambda", lambda),
        ("pipeline-verified-permissions", avp),
    ] {
        let mut group = c.benchmark_group(name);
        for case in &cases {
            tune(&mut group, case.routes);
            group.throughput(Throughput::Elements(case.routes as u64));
            group.bench_with_input(id(case), case, |b, case| {
                b.iter_batched(
                    || case.text.clone(),
                    |text| black_box(pipeline(text)),
                    BatchSize::LargeInput,
                )
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
