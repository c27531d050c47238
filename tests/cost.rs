//! `rolegen cost`, through the command line. Its figures are checked against the research
//! notes' formulas, written out again here (prices included) rather than imported from
//! `src/cost.rs`, and against the published figures they must reproduce: Yan Cui's article on
//! access-token scopes (September 2024: $2,500 vs $0 at 50,000 MAU, $4,525 vs $275 at
//! 100,000) under `--pricing 2024`, and the research's table for today's prices.

mod common;

use common::{repo, rolegen, scratch};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Output;

const STRATEGIES: [&str; 3] = ["cognito-scopes", "lambda", "verified-permissions"];
const PARTS: [&str; 5] = [
    "cognito_mau",
    "cognito_m2m",
    "api_gateway",
    "lambda",
    "verified_permissions",
];

fn run_in(dir: &Path, args: &[&str]) -> Output {
    rolegen()
        .current_dir(dir)
        .arg("cost")
        .args(args)
        .output()
        .expect("run rolegen")
}

/// Runs `rolegen cost ARGS --format json` in an empty folder (no roles.yaml) and expects 0.
fn json(args: &[&str]) -> Value {
    let dir = scratch("cost-json");
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = run_in(&dir, &all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

fn strategy<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["strategy"] == name)
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

fn part(v: &Value, name: &str, part: &str) -> f64 {
    strategy(v, name)["cost"][part]
        .as_f64()
        .unwrap_or_else(|| panic!("{name}.{part} in {v}"))
}

fn total(v: &Value, name: &str) -> f64 {
    strategy(v, name)["total"].as_f64().unwrap()
}

/// Equal to the millionth of a dollar, to which the JSON output rounds every figure.
fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 0.6e-6 + 1e-12 * want.abs(),
        "{what}: got {got}, want {want}"
    );
}

// ---------------------------------------------------------------- the research's formulas

/// Bands as (upper bound, $ per unit); the first `free` units are free, from the bottom.
fn bands(q: f64, free: f64, bands: &[(f64, f64)]) -> f64 {
    let mut lo = 0.0_f64;
    let mut sum = 0.0;
    for &(hi, price) in bands {
        sum += (q.min(hi) - lo.max(free)).max(0.0) * price;
        lo = hi;
    }
    sum
}

fn lite(n: f64) -> f64 {
    bands(
        n,
        10_000.0,
        &[
            (100e3, 0.0055),
            (1e6, 0.0046),
            (10e6, 0.00325),
            (f64::INFINITY, 0.0025),
        ],
    )
}

fn essentials(n: f64) -> f64 {
    (n - 10_000.0).max(0.0) * 0.015
}

fn api_gateway(calls: f64) -> f64 {
    bands(
        calls,
        0.0,
        &[
            (333e6, 3.50e-6),
            (1e9, 2.80e-6),
            (20e9, 2.38e-6),
            (f64::INFINITY, 1.51e-6),
        ],
    )
}

/// One arm64 invocation: $0.20 per million, plus GB-s (memory / 1024) at $0.0000133334.
fn lambda_call(mb: f64, ms: f64) -> f64 {
    0.20e-6 + mb / 1024.0 * ms / 1000.0 * 0.000_013_333_4
}

/// The research's L₁ (128 MB × 20 ms) and L₂ (256 MB × 60 ms).
fn l1() -> f64 {
    lambda_call(128.0, 20.0)
}
fn l2() -> f64 {
    lambda_call(256.0, 60.0)
}

#[test]
fn the_research_s_lambda_unit_costs() {
    // "L₁ = $2.33e-7 per call, L₂ = $4.0e-7 per call".
    assert!((l1() - 2.33e-7).abs() < 0.01e-7, "{}", l1());
    assert!((l2() - 4.0e-7).abs() < 0.01e-7, "{}", l2());
}

// ---------------------------------------------------------------- published figures

#[test]
fn reproduces_the_2024_article() {
    // Then: 50,000 MAU free and $0.0055 after; advanced security (needed for access-token
    // customization) on every MAU, $0.05 for the first 50,000 and $0.035 for the next.
    let base = |n: f64| (n - 50_000.0).max(0.0) * 0.0055;
    let asf = |n: f64| bands(n, 0.0, &[(50e3, 0.05), (100e3, 0.035)]);
    for (mau, with, without) in [(50_000.0, 2_500.0, 0.0), (100_000.0, 4_525.0, 275.0)] {
        close(base(mau) + asf(mau), with, "formula, with");
        close(base(mau), without, "formula, without");
        let v = json(&["--mau", &format!("{mau}"), "--pricing", "2024"]);
        assert_eq!(v["pricing"], "2024");
        close(
            part(&v, "cognito-scopes", "cognito_mau"),
            with,
            "cognito-scopes",
        );
        close(part(&v, "lambda", "cognito_mau"), without, "lambda");
        close(
            part(&v, "verified-permissions", "cognito_mau"),
            without,
            "verified-permissions",
        );
        assert_eq!(
            strategy(&v, "cognito-scopes")["cognito_plan"],
            "MAU + advanced security"
        );
    }
}

#[test]
fn reproduces_today_s_figures() {
    // Essentials vs Lite: $600 vs $220 at 50,000 MAU, $1,350 vs $495 at 100,000.
    for (mau, ess, lite_) in [(50_000.0, 600.0, 220.0), (100_000.0, 1_350.0, 495.0)] {
        close(essentials(mau), ess, "formula, Essentials");
        close(lite(mau), lite_, "formula, Lite");
        let v = json(&["--mau", &format!("{mau}")]);
        assert_eq!(v["pricing"], "current");
        close(
            part(&v, "cognito-scopes", "cognito_mau"),
            ess,
            "cognito-scopes",
        );
        close(part(&v, "lambda", "cognito_mau"), lite_, "lambda");
        close(
            part(&v, "verified-permissions", "cognito_mau"),
            lite_,
            "avp",
        );
        assert_eq!(strategy(&v, "cognito-scopes")["cognito_plan"], "Essentials");
        assert_eq!(strategy(&v, "lambda")["cognito_plan"], "Lite");
    }
}

#[test]
fn every_part_follows_the_research_formulas() {
    // §7: R = 100·N, h = 0.7, 20 token issues per MAU; only Cognito's free tier.
    for mau in [0.0, 9_999.0, 10_000.0, 50_000.0, 100_000.0, 1e6, 20e6] {
        let v = json(&["--mau", &format!("{mau}")]);
        let r = 100.0 * mau;
        let h = 0.7;
        let apigw = api_gateway(r);
        let want = [
            ("cognito-scopes", essentials(mau), 20.0 * mau * l1(), 0.0),
            ("lambda", lite(mau), r * (1.0 - h) * l1(), 0.0),
            (
                "verified-permissions",
                lite(mau),
                r * (1.0 - h) * l2(),
                r * (1.0 - h) * 5e-6,
            ),
        ];
        for (s, cognito, lambda, avp) in want {
            let what = format!("{s} at {mau}");
            close(part(&v, s, "cognito_mau"), cognito, &what);
            close(part(&v, s, "cognito_m2m"), 0.0, &what);
            close(part(&v, s, "api_gateway"), apigw, &what);
            close(part(&v, s, "lambda"), lambda, &what);
            close(part(&v, s, "verified_permissions"), avp, &what);
            close(total(&v, s), cognito + apigw + lambda + avp, &what);
        }
    }
}

#[test]
fn matches_the_research_s_worked_table() {
    // The table leaves API Gateway out (a row of its own) and rounds to the dollar (cents
    // below $10).
    let rows: [(&str, [f64; 4]); 3] = [
        ("cognito-scopes", [0.05, 600.0, 1_350.0, 14_855.0]),
        ("lambda", [0.07, 220.0, 496.0, 4_642.0]),
        ("verified-permissions", [1.62, 228.0, 511.0, 4_797.0]),
    ];
    for (i, mau) in [10e3, 50e3, 100e3, 1e6].into_iter().enumerate() {
        let v = json(&["--mau", &format!("{mau}")]);
        for (s, figures) in rows {
            let without_apigw = total(&v, s) - part(&v, s, "api_gateway");
            let shown = if figures[i] < 10.0 {
                (without_apigw * 100.0).round() / 100.0
            } else {
                without_apigw.round()
            };
            assert_eq!(shown, figures[i], "{s} at {mau}");
        }
        let apigw = [3.50, 17.50, 35.0, 350.0][i];
        close(part(&v, "lambda", "api_gateway"), apigw, "API Gateway");
        // Verified Permissions without a cache: $5.40, $247, $549, $5,175.
        let v = json(&["--mau", &format!("{mau}"), "--cache-hit", "0"]);
        let s = "verified-permissions";
        let without_apigw = total(&v, s) - part(&v, s, "api_gateway");
        let want = [5.40, 247.0, 549.0, 5_175.0][i];
        let shown = if want < 10.0 {
            (without_apigw * 100.0).round() / 100.0
        } else {
            without_apigw.round()
        };
        assert_eq!(shown, want, "no cache at {mau}");
    }
}

// ---------------------------------------------------------------- overrides and options

/// Every figure of every strategy, by (strategy, part).
fn figures(v: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for s in STRATEGIES {
        for p in PARTS {
            out.push((format!("{s}.{p}"), part(v, s, p)));
        }
    }
    out
}

/// Runs with `extra` flags and returns the figures that differ from the run without them.
fn changed_by(base: &[&str], extra: &[&str]) -> Vec<String> {
    let before = figures(&json(base));
    let mut args = base.to_vec();
    args.extend(extra);
    let after = figures(&json(&args));
    before
        .iter()
        .zip(&after)
        .filter(|(b, a)| (b.1 - a.1).abs() > 1e-12)
        .map(|(b, _)| b.0.clone())
        .collect()
}

#[test]
fn each_override_changes_exactly_its_figures() {
    let base = ["--mau", "200000", "--clients", "2"];
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--price", "cognito.essentials=0.02"],
            &["cognito-scopes.cognito_mau"],
        ),
        (
            &["--price", "cognito.lite.to-1m=0.005"],
            &["lambda.cognito_mau", "verified-permissions.cognito_mau"],
        ),
        (
            &["--price", "cognito.free-mau=50000"],
            &[
                "cognito-scopes.cognito_mau",
                "lambda.cognito_mau",
                "verified-permissions.cognito_mau",
            ],
        ),
        (
            &["--price", "avp.is-authorized=150"],
            &["verified-permissions.verified_permissions"],
        ),
        (
            &["--price", "lambda.requests=0.4"],
            &[
                "cognito-scopes.lambda",
                "lambda.lambda",
                "verified-permissions.lambda",
            ],
        ),
        (
            // x86 prices do nothing on arm64.
            &["--price", "lambda.x86.gb-second=1"],
            &[],
        ),
        (
            &["--price", "cognito.m2m.client=0"],
            &[
                "cognito-scopes.cognito_m2m",
                "lambda.cognito_m2m",
                "verified-permissions.cognito_m2m",
            ],
        ),
        (
            &["--price", "apigw.rest.to-333m=7"],
            &[
                "cognito-scopes.api_gateway",
                "lambda.api_gateway",
                "verified-permissions.api_gateway",
            ],
        ),
        (
            // The free tiers are prices too, but only count with --free-tier.
            &["--price", "apigw.free-calls=5000000"],
            &[],
        ),
        (
            &["--cache-hit", "0.9"],
            &[
                "lambda.lambda",
                "verified-permissions.lambda",
                "verified-permissions.verified_permissions",
            ],
        ),
        (&["--tokens-per-user", "40"], &["cognito-scopes.lambda"]),
        (&["--authorizer-ms", "100"], &["lambda.lambda"]),
        (
            &["--avp-authorizer-mb", "1024"],
            &["verified-permissions.lambda"],
        ),
        (&["--trigger-mb", "512"], &["cognito-scopes.lambda"]),
    ];
    for (extra, want) in cases {
        let mut got = changed_by(&base, extra);
        got.sort();
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{extra:?}");
    }
    // And by how much: Essentials at $0.02 on 190,000 paid MAU.
    let v = json(&["--mau", "200000", "--price", "cognito.essentials=0.02"]);
    close(
        part(&v, "cognito-scopes", "cognito_mau"),
        190_000.0 * 0.02,
        "Essentials override",
    );
    let p = v["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cognito.essentials")
        .unwrap();
    assert_eq!(p["value"], 0.02);
    assert_eq!(p["table"], 0.015);
}

#[test]
fn machine_clients_cost_the_same_under_every_strategy() {
    // $6 per client and $2.25 per 1,000 token requests.
    let v = json(&["--mau", "0", "--clients", "3", "--client-tokens", "1000"]);
    for s in STRATEGIES {
        close(part(&v, s, "cognito_m2m"), 3.0 * 6.0 + 3.0 * 2.25, s);
    }
    // One client caching one-hour tokens (720 requests): $1.62 in token requests.
    let v = json(&[
        "--mau",
        "0",
        "--clients",
        "1",
        "--price",
        "cognito.m2m.client=0",
    ]);
    close(part(&v, "lambda", "cognito_m2m"), 1.62, "720 tokens");
    // Their API calls go through API Gateway and the authorizers like users' calls.
    let v = json(&[
        "--mau",
        "0",
        "--clients",
        "10",
        "--client-calls",
        "100000",
        "--cache-hit",
        "0.5",
    ]);
    close(part(&v, "lambda", "api_gateway"), api_gateway(1e6), "calls");
    close(part(&v, "lambda", "lambda"), 0.5e6 * l1(), "authorizer");
    close(
        part(&v, "cognito-scopes", "lambda"),
        0.0,
        "no trigger for M2M",
    );
}

#[test]
fn free_tiers_are_counted_only_when_asked() {
    // 10,000 MAU × 100 calls = 1M calls: all within API Gateway's free million.
    let v = json(&["--mau", "10000", "--free-tier"]);
    assert_eq!(v["usage"]["free_tier"], true);
    for s in STRATEGIES {
        close(part(&v, s, "api_gateway"), 0.0, s);
        close(part(&v, s, "lambda"), 0.0, s);
    }
    let v = json(&["--mau", "100000", "--free-tier", "--cache-hit", "0"]);
    close(
        part(&v, "lambda", "api_gateway"),
        api_gateway(10e6) - 3.5,
        "apigw",
    );
    // 10M invocations, 9M billed; 10M × 0.0025 GB-s = 25,000 GB-s, under the free 400,000.
    close(part(&v, "lambda", "lambda"), 9e6 * 0.2e-6, "lambda");
    let v = json(&["--mau", "100000"]);
    assert_eq!(v["usage"]["free_tier"], false);
    close(part(&v, "lambda", "api_gateway"), 35.0, "no free tier");
}

#[test]
fn x86_costs_a_quarter_more_per_gb_second() {
    let v = json(&["--mau", "1000000", "--arch", "x86_64", "--cache-hit", "0"]);
    let calls = 100e6;
    let want = calls * (0.2e-6 + 128.0 / 1024.0 * 0.020 * 0.000_016_666_7);
    close(part(&v, "lambda", "lambda"), want, "x86");
}

#[test]
fn the_2024_prices_of_verified_permissions() {
    // $150 per million for the first 40 million, $75 for the next 60 million.
    let v = json(&["--mau", "2000000", "--pricing", "2024", "--cache-hit", "0"]);
    let calls = 200e6;
    let want = bands(
        calls,
        0.0,
        &[(40e6, 150e-6), (100e6, 75e-6), (f64::INFINITY, 40e-6)],
    );
    close(
        part(&v, "verified-permissions", "verified_permissions"),
        want,
        "2024 AVP",
    );
}

// ---------------------------------------------------------------- output

#[test]
fn json_totals_are_the_sums_of_their_parts() {
    for args in [
        &["--mau", "123456", "--clients", "7", "--client-calls", "999"][..],
        &["--mau", "31000000", "--pricing", "2024", "--free-tier"][..],
        &["--mau", "0"][..],
    ] {
        let v = json(args);
        for s in STRATEGIES {
            let sum: f64 = PARTS.iter().map(|p| part(&v, s, p)).sum();
            close(total(&v, s), sum, &format!("{args:?} {s}"));
        }
        let cheapest = STRATEGIES
            .iter()
            .min_by(|a, b| total(&v, a).total_cmp(&total(&v, b)))
            .unwrap();
        assert_eq!(v["cheapest"], *cheapest, "{args:?}");
        assert_eq!(v["region"], "us-east-1");
        assert!(v["prices_read"].as_str().unwrap().starts_with("20"));
        for p in v["prices"].as_array().unwrap() {
            assert!(p["source"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
            assert!(p["value"].as_f64().is_some(), "{p}");
        }
    }
}

#[test]
fn text_is_an_aligned_table_with_the_assumptions() {
    let dir = scratch("cost-text");
    let out = run_in(&dir, &["--mau", "100k"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("Monthly cost at 100,000 MAU"),
        "{text}"
    );
    let table = &lines[2..6];
    assert!(
        table[0].contains("Cognito MAU") && table[0].contains("total"),
        "{text}"
    );
    assert!(
        table.iter().all(|l| l.len() == table[0].len()),
        "right-aligned columns end together:\n{text}"
    );
    assert!(
        table[1].contains("cognito-scopes") && table[1].contains("$1,350.00"),
        "{text}"
    );
    assert!(
        table[2].contains("lambda") && table[2].contains("$495.00"),
        "{text}"
    );
    assert!(
        !text.contains("Cognito M2M"),
        "no clients, no column: {text}"
    );
    assert!(text.contains("cheapest"), "{text}");
    assert!(text.contains("--free-tier"), "{text}");
    // With machine clients, their column and the unconfirmed per-client fee.
    let out = run_in(&dir, &["--mau", "100k", "--clients", "2"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Cognito M2M"), "{text}");
    assert!(text.contains("unconfirmed"), "{text}");
    // Overrides are listed.
    let out = run_in(&dir, &["--mau", "1", "--price", "cognito.essentials=0.02"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("cognito.essentials = 0.02 (table: 0.015)"),
        "{text}"
    );
}

#[test]
fn markdown_is_one_table_and_a_list() {
    let dir = scratch("cost-md");
    let out = run_in(&dir, &["--mau", "50000", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 5, "{text}");
    let cells = |l: &str| l.matches('|').count();
    assert!(rows.iter().all(|r| cells(r) == cells(rows[0])), "{text}");
    assert!(rows[2].contains("$600.00"), "{text}");
}

#[test]
fn marks_the_strategy_of_the_roles_file() {
    let dir = scratch("cost-roles");
    let fixture =
        fs::read_to_string(repo().join("tests/fixtures/scopes_hierarchical.yaml")).unwrap();
    fs::write(
        dir.join("roles.yaml"),
        fixture.replace("authorizer: cognito-scopes", "authorizer: lambda"),
    )
    .unwrap();
    let out = run_in(&dir, &["--mau", "1000"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let marked: Vec<&str> = text.lines().filter(|l| l.starts_with('*')).collect();
    assert_eq!(marked.len(), 2, "the row and its footnote: {text}");
    assert!(marked[0].starts_with("* lambda "), "{text}");
    let out = run_in(&dir, &["--mau", "1000", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["roles_file"]["strategy"], "lambda");
    assert_eq!(strategy(&v, "lambda")["roles_file"], true);
    assert_eq!(strategy(&v, "cognito-scopes")["roles_file"], false);

    // An invalid file: a warning, the figures all the same, exit 0.
    fs::write(dir.join("roles.yaml"), "version: 1\napi: [\n").unwrap();
    let out = run_in(&dir, &["--mau", "1000"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("warning[roles-unread]"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.lines().any(|l| l.starts_with('*')), "{text}");

    // No file: no mark, no warning.
    let empty = scratch("cost-no-roles");
    let out = run_in(&empty, &["--mau", "1000"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn help_lists_every_price_name() {
    let dir = scratch("cost-help");
    let out = run_in(&dir, &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "cognito.free-mau",
        "cognito.lite.to-100k",
        "cognito.lite.over-10m",
        "cognito.essentials",
        "cognito.mau.to-100k",
        "cognito.asf.to-50k",
        "cognito.asf.over-10m",
        "cognito.m2m.client",
        "cognito.m2m.per-1k-tokens",
        "apigw.rest.to-333m",
        "apigw.free-calls",
        "lambda.requests",
        "lambda.arm64.gb-second",
        "lambda.free-gb-seconds",
        "avp.is-authorized",
        "avp.to-40m",
    ] {
        assert!(text.contains(&format!("    {name} ")), "{name}:\n{text}");
    }
    for flag in [
        "--mau",
        "--calls-per-user",
        "--cache-hit",
        "--clients",
        "--client-tokens",
        "--pricing",
        "--price",
        "--free-tier",
        "--format",
    ] {
        assert!(text.contains(flag), "{flag}");
    }
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_input_is_exit_2_with_a_message() {
    let dir = scratch("cost-bad");
    let cases: &[(&[&str], &str)] = &[
        (&["--mau", "-5"], "negative"),
        (&["--mau=-5"], "negative"),
        (&["--mau", "lots"], "is not a number"),
        (&["--mau", "inf"], "is not a number"),
        (&[], "--mau"),
        (&["--mau", "1", "--calls-per-user", "-1"], "negative"),
        (&["--mau", "1", "--cache-hit", "1.5"], "outside 0..1"),
        (&["--mau", "1", "--cache-hit", "70"], "`70%`"),
        (&["--mau", "1", "--cache-hit", "-0.1"], "negative"),
        (&["--mau", "1", "--clients", "x"], "is not a number"),
        (
            &["--mau", "1", "--price", "cognito.essentials"],
            "NAME=VALUE",
        ),
        (
            &["--mau", "1", "--price", "cognito.essentials=-1"],
            "negative",
        ),
        (
            &["--mau", "1", "--price", "cognito.essentials=cheap"],
            "is not a number",
        ),
        (
            &["--mau", "1", "--price", "cognito.esentials=0.02"],
            "did you mean `cognito.essentials`?",
        ),
        (
            &["--mau", "1", "--price", "nothing.like.it=1"],
            "no price `nothing.like.it`",
        ),
        (
            &["--mau", "1", "--price", "cognito.asf.to-50k=0.05"],
            "`--pricing 2024`",
        ),
        (
            &[
                "--mau",
                "1",
                "--pricing",
                "2024",
                "--price",
                "cognito.essentials=1",
            ],
            "`--pricing current`",
        ),
        (&["--mau", "1", "--pricing", "2023"], "2023"),
    ];
    for (args, message) in cases {
        let out = run_in(&dir, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(message),
            "{args:?}: want {message:?} in:\n{err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // With --error-format json: one array on stderr with the diagnostic's code.
    let out = run_in(
        &dir,
        &[
            "--mau",
            "1",
            "--price",
            "cognito.esentials=1",
            "--error-format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(v[0]["code"], "unknown-price", "{v}");
    assert_eq!(
        v[0]["help"],
        "did you mean `cognito.essentials`? (`rolegen cost --help` lists every price)",
        "{v}"
    );
}

// ---------------------------------------------------------------- the docs page

/// `docs/access-matrix.md` ends with the file's strategy against the others at 10,000,
/// 100,000 and 1,000,000 MAU: the totals `rolegen cost` prints with its defaults.
#[test]
fn the_access_matrix_page_ends_with_the_cost_table() {
    let fixture =
        fs::read_to_string(repo().join("tests/fixtures/scopes_hierarchical.yaml")).unwrap();
    let sizes = ["10000", "100000", "1000000"];
    let runs: Vec<Value> = sizes.iter().map(|n| json(&["--mau", n])).collect();
    for s in STRATEGIES {
        let text = fixture.replace("authorizer: cognito-scopes", &format!("authorizer: {s}"));
        let loaded = rolegen::cmd::load_text("roles.yaml", text);
        let model = loaded.model.expect("fixture is valid");
        let files = rolegen::r#gen::generate(&model, rolegen::r#gen::Target::Docs).unwrap();
        let md = String::from_utf8(files[rolegen::r#gen::docs::MARKDOWN].clone()).unwrap();
        let (_, section) = md
            .split_once("\n## Cost per month\n")
            .unwrap_or_else(|| panic!("{s}: no cost section:\n{md}"));
        assert!(
            !section.contains("\n## "),
            "{s}: the cost section is the last"
        );
        let rows: Vec<Vec<&str>> = section
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| :"))
            .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
            .collect();
        assert_eq!(rows.len(), 1 + STRATEGIES.len(), "{s}: {section}");
        assert_eq!(
            rows[0],
            [
                "Strategy",
                "Cognito plan",
                "10,000 MAU",
                "100,000 MAU",
                "1,000,000 MAU"
            ],
            "{s}"
        );
        for (row, other) in rows[1..].iter().zip(STRATEGIES) {
            let marked = row[0] == format!("**`{other}` (this API)**");
            assert_eq!(marked, other == s, "{s}: {row:?}");
            if !marked {
                assert_eq!(row[0], format!("`{other}`"));
            }
            assert_eq!(
                row[1],
                strategy(&runs[0], other)["cognito_plan"].as_str().unwrap()
            );
            for (cell, run) in row[2..].iter().zip(&runs) {
                let dollars: f64 = cell
                    .trim_start_matches('$')
                    .replace(',', "")
                    .parse()
                    .unwrap_or_else(|_| panic!("{s}: {cell}"));
                assert!(
                    (dollars - total(run, other)).abs() <= 0.005 + 1e-9,
                    "{s}: {other}: {cell} vs {}",
                    total(run, other)
                );
            }
        }
    }
}
