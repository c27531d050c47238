//! checkov, the scanner many CI pipelines run on CloudFormation, passes the generated
//! templates of every strategy and option, in every API definition mode (a resource per path
//! and method, `api.definition: body` with a 2,000-route file among them, and `package`), with
//! zero failed checks. Each check rolegen does not pass on purpose is skipped in the one
//! resource's `Metadata`, with a written reason; the test proves every skip is needed and sits
//! where it is needed: with the skips taken out,
//! checkov fails exactly the skipped (check, resource) pairs, no more and no fewer.
//! checkov is installed (pinned) under `target/tools/checkov`; it runs offline.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

const CHECKOV: &[&str] = &["checkov==3.3.30"];

/// roles files covering every strategy and every option that changes the template.
fn cases() -> Vec<(&'static str, String)> {
    let head = |api: &str, pool: &str| {
        format!(
            "version: 1\napi: {{name: shop, stage: prod, {api}}}\nuser_pool: {{name: shop-users{pool}}}\nresource_server: {{identifier: api, name: Shop}}\nscopes: {{read: Read, write: Write}}\ngroups: {{Reader: {{scopes: [read]}}, Writer: {{scopes: [write], includes: [Reader]}}}}\nroutes:\n"
        )
    };
    let routes = "  GET /health: public
  GET /me: authenticated
  GET /items: [read]
  POST /items: {scopes: [write], integration: {lambda: ItemsFunctionArn}, throttle: {rate: 5}}
  GET /items/{id}: {scopes: [read], integration: {http: 'https://backend.example.com/items/{id}'}}
  ANY /files/{path+}: [write]
";
    let mut v = Vec::new();
    for strategy in ["lambda", "cognito-scopes", "verified-permissions"] {
        v.push((
            strategy,
            format!("{}{routes}", head(&format!("authorizer: {strategy}"), "")),
        ));
    }
    v.push((
        "every option on",
        format!(
            "{}{routes}",
            head(
                "authorizer: lambda, endpoint: PRIVATE, vpc_endpoint_ids: [vpce-0123456789abcdef0], logging: {retention_days: 30, account_role: true}, metrics: true, throttle: {rate: 100, burst: 50}, cors: {origins: [https://app.example.com, http://localhost:3000], credentials: true, max_age: 600}",
                ", domain: shop-signin-7f3a, callback_urls: [https://app.example.com/cb], logout_urls: [https://app.example.com/], mfa: required, deletion_policy: Delete"
            )
        ),
    ));
    v.push((
        "logs and tracing off",
        format!(
            "{}{routes}",
            head(
                "authorizer: cognito-scopes, endpoint: EDGE, logging: false, tracing: false, cors: {origins: ['*']}",
                ", mfa: optional"
            )
        ),
    ));
    v.push((
        "verified-permissions with access tokens and CORS",
        format!(
            "{}{routes}",
            head(
                "authorizer: verified-permissions, token: access, authorizer_ttl: 0, cors: {origins: [https://app.example.com]}",
                ""
            )
        ),
    ));
    // `api.definition: body`: the REST API as one OpenAPI `Body`, no Resource or Method per
    // route, so what checkov reads of the API is the RestApi, its stage and deployment.
    for (name, strategy) in [
        ("body, lambda", "lambda"),
        ("body, cognito-scopes", "cognito-scopes"),
        ("body, verified-permissions", "verified-permissions"),
    ] {
        v.push((
            name,
            format!(
                "{}{routes}",
                head(&format!("authorizer: {strategy}, definition: body"), "")
            ),
        ));
    }
    let clients = "clients: {nightly batch: {scopes: [read]}, ops-bot: {description: Deploys, scopes: [write]}}\n";
    let matched = "  GET /users/{userId}: {authenticated: true, match: {userId: sub}}
  PUT /users/{userId}/items/{id}: {scopes: [write], match: {userId: 'cognito:username'}}
";
    v.push((
        "body, lambda, private, every option, machine clients and match",
        format!(
            "{}{routes}{matched}{clients}",
            head(
                "authorizer: lambda, definition: body, endpoint: PRIVATE, vpc_endpoint_ids: [vpce-0123456789abcdef0, vpce-0fedcba9876543210], logging: {retention_days: 30, account_role: true}, metrics: true, throttle: {rate: 100, burst: 50}, cors: {origins: [https://app.example.com, http://localhost:3000], credentials: true, max_age: 600}",
                ", domain: shop-signin-7f3a, callback_urls: [https://app.example.com/cb], mfa: required"
            )
        ),
    ));
    v.push((
        "body, verified-permissions, machine clients and match, logs and tracing off",
        format!(
            "{}{routes}{matched}{clients}",
            head(
                "authorizer: verified-permissions, definition: body, endpoint: EDGE, logging: false, tracing: false, cors: {origins: ['*']}",
                ", domain: shop-signin-9c1d"
            )
        ),
    ));
    v.push((
        "body, cognito-scopes, machine clients, PRIVATE, CORS",
        format!(
            "{}{routes}{clients}",
            head(
                "authorizer: cognito-scopes, definition: body, endpoint: PRIVATE, vpc_endpoint_ids: [vpce-0123456789abcdef0], cors: {origins: [https://app.example.com]}",
                ", domain: shop-signin-2b8e, mfa: optional"
            )
        ),
    ));
    // `api.definition: package`: the document beside the template, put by a function (its
    // role, its invoke config and the custom resource are what checkov reads).
    for (name, settings) in [
        ("package, lambda", "authorizer: lambda, definition: package"),
        (
            "package, cognito-scopes",
            "authorizer: cognito-scopes, definition: package",
        ),
        (
            "package, verified-permissions, PRIVATE",
            "authorizer: verified-permissions, definition: package, endpoint: PRIVATE, vpc_endpoint_ids: [vpce-0123456789abcdef0]",
        ),
    ] {
        v.push((name, format!("{}{routes}", head(settings, ""))));
    }
    // 2,000 routes in one template (`rolegen synth`: nested REST paths, public reads, greedy
    // paths, Lambda and HTTP integrations; 50 groups keep it under 1 MB).
    let synth = common::rolegen()
        .args([
            "synth",
            "--routes",
            "2000",
            "--groups",
            "50",
            "--authorizer",
            "lambda",
        ])
        .output()
        .unwrap();
    assert!(synth.status.success());
    let text = String::from_utf8(synth.stdout).unwrap();
    assert!(text.contains("\napi:\n"));
    v.push((
        "body, 2,000 routes",
        text.replacen("\napi:\n", "\napi:\n  definition: body\n", 1),
    ));
    v
}

/// (check, `Type.LogicalId`) of every failed check in the templates under `dir`.
fn failed(dir: &Path) -> BTreeSet<(String, String)> {
    let venv = common::tool_venv("checkov", CHECKOV);
    let out = Command::new(venv.join("bin/checkov"))
        .arg("-d")
        .arg(dir)
        .args([
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
            "--skip-download",
        ])
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .expect("run checkov");
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "checkov output: {e}\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let reports: Vec<Value> = match report {
        Value::Array(a) => a,
        // `--quiet` with nothing failed prints the summary alone.
        other => vec![other],
    };
    let mut set = BTreeSet::new();
    for r in reports {
        for f in r["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            set.insert((
                f["check_id"].as_str().unwrap().to_string(),
                format!(
                    "{}:{}",
                    f["file_path"]
                        .as_str()
                        .unwrap_or("")
                        .trim_start_matches('/'),
                    f["resource"].as_str().unwrap()
                ),
            ));
        }
    }
    set
}

#[test]
fn every_template_passes_and_every_skip_is_needed() {
    let root = common::scratch("checkov");
    let scanned = root.join("scanned");
    let stripped = root.join("stripped");
    fs::create_dir_all(&scanned).unwrap();
    fs::create_dir_all(&stripped).unwrap();
    let mut skipped = BTreeSet::new();
    let mut lint = Vec::new();
    for (i, (name, text)) in cases().into_iter().enumerate() {
        let dir = root.join(format!("case{i}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("roles.yaml"), &text).unwrap();
        let out = common::rolegen()
            .current_dir(&dir)
            .args(["gen", "--target", "cfn"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let yaml = fs::read_to_string(dir.join("out/cfn/template.yaml")).unwrap();
        let file = format!("t{i}.yaml");
        fs::write(scanned.join(&file), &yaml).unwrap();
        lint.push(scanned.join(&file));
        // The same template without its checkov skips, as JSON.
        let mut t: Value = serde_saphyr::from_str(&yaml).unwrap();
        if name.starts_with("body") {
            // What checkov scans is the Body form: no method is a resource of its own.
            assert!(
                t["Resources"]["RestApi"]["Properties"]["Body"]["paths"].is_object(),
                "{name}: no Body"
            );
            for r in t["Resources"].as_object().unwrap().values() {
                assert_ne!(r["Type"], "AWS::ApiGateway::Method", "{name}");
            }
        }
        if name.starts_with("package") {
            assert_eq!(
                t["Resources"]["ApiBody"]["Type"], "Custom::RolegenApiBody",
                "{name}"
            );
        }
        for (id, r) in t["Resources"].as_object_mut().unwrap() {
            let ty = r["Type"].as_str().unwrap().to_string();
            let Some(meta) = r.get_mut("Metadata").and_then(Value::as_object_mut) else {
                continue;
            };
            if let Some(ck) = meta.remove("checkov") {
                for s in ck["skip"].as_array().unwrap() {
                    let comment = s["comment"].as_str().unwrap_or("");
                    assert!(
                        comment.len() > 20,
                        "{name}: {id}: a skip without a reason: {s}"
                    );
                    skipped.insert((
                        s["id"].as_str().unwrap().to_string(),
                        format!("t{i}.json:{ty}.{id}"),
                    ));
                }
            }
            if meta.is_empty() {
                r.as_object_mut().unwrap().remove("Metadata");
            }
        }
        fs::write(
            stripped.join(format!("t{i}.json")),
            serde_json::to_string_pretty(&t).unwrap(),
        )
        .unwrap();
    }
    // The two runs side by side: a 2,000-route Body takes checkov over a minute to read.
    let (with_skips, without) = std::thread::scope(|s| {
        let a = s.spawn(|| failed(&scanned));
        let b = s.spawn(|| failed(&stripped));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(
        with_skips.is_empty(),
        "checkov failed checks: {with_skips:#?}"
    );
    assert!(!skipped.is_empty());
    assert_eq!(
        without, skipped,
        "the skips must be exactly the checks that fail without them"
    );
    common::assert_cfn_lint_clean_all(&lint);
}
