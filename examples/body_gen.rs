//! `api.definition: body` at 2,000 routes, timed in process without criterion (quick to
//! build): load + the CloudFormation generator, and the generator alone, best and median of
//! 30 runs. The criterion version is `cargo bench --bench body`.
//!
//! Run: `cargo run --release --example body_gen -- [ROUTES]`.

use rolegen::cmd::load_text;
use rolegen::cmd::synth::{SynthParams, roles_yaml};
use rolegen::r#gen::cfn;
use rolegen::model::Strategy;
use std::time::Instant;

fn main() {
    let routes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    for strategy in [Strategy::CognitoScopes, Strategy::Lambda] {
        let mut p = SynthParams::for_routes(routes);
        p.strategy = strategy;
        let text = roles_yaml(&p).replacen("api:\n", "api:\n  definition: body\n", 1);
        let mut whole = Vec::new();
        let mut gen_only = Vec::new();
        let mut size = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let model = load_text("roles.yaml", text.clone()).model.expect("valid");
            let g = Instant::now();
            // The synthetic file's 100 groups and 49 scopes put it just past 1 MB: the limits
            // are lifted to measure the work.
            let files =
                cfn::generate_with(&model, rolegen::r#gen::Limits::lifted()).expect("generates");
            gen_only.push(g.elapsed().as_secs_f64() * 1e3);
            whole.push(t.elapsed().as_secs_f64() * 1e3);
            size = files.values().map(Vec::len).sum();
        }
        whole.sort_by(f64::total_cmp);
        gen_only.sort_by(f64::total_cmp);
        println!(
            "{} {routes} routes, template {size} bytes: load+gen {:.1} ms best, {:.1} median; gen alone {:.1} best, {:.1} median",
            strategy.as_str(),
            whole[0],
            whole[15],
            gen_only[0],
            gen_only[15]
        );
    }
}
