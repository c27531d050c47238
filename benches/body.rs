//! `api.definition: body` at 2,000 routes (issue 13's aim: `gen` under 30 ms in process), and
//! `package` at 5,000 (the document beside the template, past 1 MB): the
//! CloudFormation generator alone on the built model, and load + generate (what `rolegen gen
//! --target cfn` does in memory), on `rolegen synth` files of both strategies API Gateway
//! authorizes itself or through rolegen's authorizer.
//!
//! Run: `cargo bench --bench body` (about a minute once built).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rolegen::cmd::load_text;
use rolegen::cmd::synth::{SynthParams, roles_yaml};
use rolegen::r#gen::cfn;
use rolegen::model::{Definition, Strategy};
use std::hint::black_box;

const ROUTES: usize = 2_000;

/// The synthetic file's 100 groups and 49 scopes put its template just past 1 MB: the limits
/// are lifted to measure the work.
fn lifted() -> rolegen::r#gen::Limits {
    rolegen::r#gen::Limits::lifted()
}

/// `api.definition: package` past 1 MB: 5,000 routes.
const PACKAGE_ROUTES: usize = 5_000;

fn text(strategy: Strategy, routes: usize, definition: &str) -> String {
    let mut p = SynthParams::for_routes(routes);
    p.strategy = strategy;
    roles_yaml(&p).replacen("api:\n", &format!("api:\n  definition: {definition}\n"), 1)
}

fn bench(c: &mut Criterion) {
    measure(c, "body-2000", ROUTES, "body", Definition::Body);
    measure(
        c,
        "package-5000",
        PACKAGE_ROUTES,
        "package",
        Definition::Package,
    );
}

fn measure(c: &mut Criterion, name: &str, routes: usize, definition: &str, expect: Definition) {
    let mut group = c.benchmark_group(name);
    // An iteration takes 5 to 20 ms: criterion's default 100 samples would need some 5,000
    // iterations (over a minute) per function. 30 samples over 10 s keep the same work per
    // iteration and a confidence interval of a few percent.
    group.sample_size(30);
    group.measurement_time(std::time::Duration::from_secs(10));
    for strategy in [Strategy::CognitoScopes, Strategy::Lambda] {
        let text = text(strategy, routes, definition);
        let model = load_text("roles.yaml", text.clone())
            .model
            .expect("synthetic files are valid");
        assert_eq!(model.settings.definition, expect);
        let bytes = cfn::generate_with(&model, lifted()).expect("generates");
        let size: usize = bytes.values().map(Vec::len).sum();
        eprintln!("{name} {}: {size} bytes written", strategy.as_str());
        group.bench_function(format!("gen-cfn/{}", strategy.as_str()), |b| {
            b.iter(|| black_box(cfn::generate_with(&model, lifted())))
        });
        group.bench_function(format!("load+gen-cfn/{}", strategy.as_str()), |b| {
            b.iter_batched(
                || text.clone(),
                |t| {
                    let m = load_text("roles.yaml", t).model.expect("valid");
                    black_box(cfn::generate_with(&m, lifted()))
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
