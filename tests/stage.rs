//! The stage's production settings: access logs (a generated log group, its retention, one
//! JSON object per request), X-Ray tracing (on by default), detailed metrics, throttling for
//! the API and per route, and the account's logging role on request. Checked in the template
//! of every strategy, through cfn-lint, and in the errors a wrong setting gets.

mod common;

use serde_json::{Value, json};
use std::path::Path;

const BASE: &str = "version: 1
api:
  name: shop-api
  stage: prod
  authorizer: STRATEGY
SETTINGS
user_pool: {name: shop-users}
resource_server: {identifier: api, name: Shop}
scopes: {read: Read, write: Write}
groups: {Reader: {scopes: [read]}}
routes:
  GET /health: public
  GET /items: [read]
  GET /items/{id}: [read]
  POST /items/{id}:
    scopes: [write]
    throttle: {rate: 5}
  ANY /files/{path+}: [read]
ROUTE
";

fn roles(strategy: &str, settings: &str, route: &str) -> String {
    BASE.replace("STRATEGY", strategy)
        .replace("SETTINGS\n", settings)
        .replace("ROUTE\n", route)
}

fn generate(dir: &Path, text: &str) -> std::process::Output {
    common::rolegen_in(
        dir,
        text,
        &["--error-format", "json", "gen", "--target", "cfn"],
    )
}

fn template(dir: &Path) -> Value {
    common::read_yaml(&dir.join("out/cfn/template.yaml"))
}

fn ok(strategy: &str, settings: &str, route: &str) -> (Value, std::path::PathBuf) {
    let dir = common::scratch("stage");
    let out = generate(&dir, &roles(strategy, settings, route));
    assert!(
        out.status.success(),
        "{strategy} {settings}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (template(&dir), dir.join("out/cfn/template.yaml"))
}

/// The access log line as API Gateway writes it: every `$context` variable replaced by a
/// value (the `…String` forms by their JSON-quoted value, as the API Gateway reference
/// describes them), then read as JSON. A hostile error message with quotes must not break it.
fn log_line(format: &str) -> Value {
    let mut vars: Vec<(&str, &str)> = vec![
        ("$context.error.messageString", r#""Unauthorized \"x\"""#),
        ("$context.requestTimeEpoch", "1765065600000"),
        ("$context.requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
        ("$context.extendedRequestId", "X1Y2Z3="),
        ("$context.identity.sourceIp", "203.0.113.7"),
        ("$context.authorizer.principalId", "0b7e-sub"),
        ("$context.authorizer.claims.sub", "0b7e-sub"),
        (
            "$context.authorizer.error",
            "The incoming token has expired",
        ),
        ("$context.authorizer.status", "401"),
        ("$context.httpMethod", "GET"),
        ("$context.resourcePath", "/items/{id}"),
        ("$context.status", "401"),
        ("$context.responseLatency", "12"),
        ("$context.integration.latency", "3"),
    ];
    // Longest names first, so `$context.requestId` does not eat `$context.requestIdX`.
    vars.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut line = format.to_string();
    for (k, v) in vars {
        line = line.replace(k, v);
    }
    assert!(
        !line.contains("$context"),
        "a variable left unreplaced: {line}"
    );
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[test]
fn defaults_log_and_trace_every_strategy() {
    let mut templates = Vec::new();
    for strategy in ["lambda", "cognito-scopes", "verified-permissions"] {
        let (t, path) = ok(strategy, "", "");
        let res = &t["Resources"];
        let group = &res["AccessLogGroup"];
        assert_eq!(group["Type"], "AWS::Logs::LogGroup");
        assert_eq!(group["DeletionPolicy"], "Retain");
        assert_eq!(group["UpdateReplacePolicy"], "Retain");
        assert_eq!(group["Properties"], json!({"RetentionInDays": 365}));
        let stage = &res["Stage"]["Properties"];
        assert_eq!(stage["TracingEnabled"], true);
        assert_eq!(
            stage["AccessLogSetting"]["DestinationArn"],
            json!({"Fn::GetAtt": ["AccessLogGroup", "Arn"]})
        );
        let line = log_line(stage["AccessLogSetting"]["Format"].as_str().unwrap());
        for (k, v) in [
            ("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
            ("ip", "203.0.113.7"),
            ("principal", "0b7e-sub"),
            ("authorizerError", "The incoming token has expired"),
            ("status", "401"),
            ("route", "GET /items/{id}"),
            ("latency", "12"),
            ("error", "Unauthorized \"x\""),
        ] {
            assert_eq!(line[k], v, "{k} in {line}");
        }
        // Without throttling or metrics, no method settings; the route's own limit is there.
        let settings = stage["MethodSettings"].as_array().unwrap();
        assert_eq!(settings.len(), 1, "{settings:?}");
        assert!(res.get("ApiGatewayAccount").is_none());
        templates.push(path);
    }
    common::assert_cfn_lint_clean_all(&templates);
}

/// The path of a method setting written from API Gateway's documentation (JSON Pointer: `~`
/// as `~0`, `/` as `~1`), independently of rolegen's.
fn pointer(path: &str) -> String {
    format!("/{}", path.replace('~', "~0").replace('/', "~1"))
}

#[test]
fn every_option_reaches_the_stage() {
    let settings = "  logging: {retention_days: 30, account_role: true}
  tracing: false
  metrics: true
  throttle: {rate: 100, burst: 50}
";
    let route = "  DELETE /items/{id}:
    scopes: [write]
    throttle: {rate: 1, burst: 2}
";
    let mut templates = Vec::new();
    for strategy in ["lambda", "cognito-scopes"] {
        let (t, path) = ok(strategy, settings, route);
        let res = &t["Resources"];
        assert_eq!(res["AccessLogGroup"]["Properties"]["RetentionInDays"], 30);
        assert_eq!(res["Stage"]["DependsOn"], json!(["ApiGatewayAccount"]));
        assert_eq!(
            res["ApiGatewayAccount"]["Properties"]["CloudWatchRoleArn"],
            json!({"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]})
        );
        assert_eq!(
            res["ApiGatewayCloudWatchRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
                [0]["Principal"]["Service"],
            "apigateway.amazonaws.com"
        );
        let stage = &res["Stage"]["Properties"];
        assert!(stage.get("TracingEnabled").is_none());
        let mut got = stage["MethodSettings"].as_array().unwrap().clone();
        got.sort_by_key(|s| {
            s["ResourcePath"].as_str().unwrap().to_string() + s["HttpMethod"].as_str().unwrap()
        });
        let mut expected = vec![
            json!({"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": true,
                   "ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 50}),
            // The route's rate, the API's burst.
            json!({"ResourcePath": pointer("/items/{id}"), "HttpMethod": "POST", "MetricsEnabled": true,
                   "ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 50}),
            json!({"ResourcePath": pointer("/items/{id}"), "HttpMethod": "DELETE", "MetricsEnabled": true,
                   "ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 2}),
        ];
        expected.sort_by_key(|s| {
            s["ResourcePath"].as_str().unwrap().to_string() + s["HttpMethod"].as_str().unwrap()
        });
        assert_eq!(got, expected);
        assert_eq!(pointer("/items/{id}"), "/~1items~1{id}");
        templates.push(path);
    }
    let (t, path) = ok("lambda", "  logging: false\n", "");
    assert!(t["Resources"].get("AccessLogGroup").is_none());
    assert!(
        t["Resources"]["Stage"]["Properties"]
            .get("AccessLogSetting")
            .is_none()
    );
    templates.push(path);
    common::assert_cfn_lint_clean_all(&templates);
}

/// Stage settings apply without a deployment: changing them keeps the deployment's ID.
#[test]
fn stage_settings_are_not_a_new_deployment() {
    let deployment = |settings: &str| {
        let (t, _) = ok("lambda", settings, "");
        common::deployment_id(&t)
    };
    assert_eq!(
        deployment(""),
        deployment("  tracing: false\n  metrics: true\n  throttle: {rate: 9}\n  logging: false\n")
    );
}

#[test]
fn wrong_settings_are_errors_at_their_place() {
    let cases = [
        (
            "  logging: {retention_days: 45}\n",
            "",
            "CloudWatch Logs cannot keep logs for 45 days",
            "45",
        ),
        (
            "  logging: true\n",
            "",
            "`api.logging` must be `false` or a mapping, found a boolean",
            "true",
        ),
        (
            "  logging: {retention: 30}\n",
            "",
            "unknown key `retention` in `api.logging`",
            "retention",
        ),
        (
            "  tracing: yes\n",
            "",
            "`api.tracing` must be `true` or `false`, found a string",
            "yes",
        ),
        (
            "  throttle: {rate: -1}\n",
            "",
            "a throttling rate of -1",
            "-1",
        ),
        (
            "  throttle: {}\n",
            "",
            "a `throttle` without `rate` or `burst`",
            "{}",
        ),
        (
            "",
            "  PUT /files/{path+}:\n    scopes: [write]\n    throttle: {rate: 5, brust: 1}\n",
            "unknown key `brust` in the `throttle` of route `PUT /files/{path+}`",
            "brust",
        ),
        (
            "",
            "  ANY /other:\n    scopes: [write]\n    throttle: {rate: 5}\n",
            "route `ANY /other` is `ANY`, whose requests API Gateway throttles by their own verb",
            "{rate: 5}",
        ),
    ];
    for (settings, route, message, underlined) in cases {
        let dir = common::scratch("stage-bad");
        let out = generate(&dir, &roles("lambda", settings, route));
        assert_eq!(out.status.code(), Some(2), "{settings}{route}");
        let diags: Value = serde_json::from_slice(&out.stderr).expect("one JSON document");
        let d = &diags[0];
        assert_eq!(d["message"], message, "{diags}");
        assert_eq!(d["underlined"], underlined, "{diags}");
        assert!(!dir.join("out").exists());
    }
}
