//! CORS: the preflight and the answers a browser reads, judged outside rolegen.
//!
//! The answer of each generated mock method is computed as API Gateway documents it: the
//! mock's request template picks status 200, the integration response's static header
//! mappings (`'value'`) are applied, then its mapping template runs in a Velocity engine built
//! for API Gateway's templates (`airspeed-ext`, installed under `target/tools`), with
//! `$input.params().header` holding the request's headers, and its
//! `$context.responseOverride.header` entries replace headers. A browser's CORS check,
//! written here from the Fetch standard, then decides whether a page on an origin may read
//! the answer: allowed origins pass, others, undeclared verbs and unlisted headers fail.

mod common;

use serde_json::{Value, json};
use std::fs;
use std::path::Path;
use std::process::Command;

const VTL: &[&str] = &["airspeed-ext==0.6.9"];

/// API Gateway's answer to each case (`{method, headers}`), from the template's resources.
const JUDGE: &str = r#"
import json, sys
import airspeed

class Input:
    def __init__(self, headers):
        self.headers = headers
    def params(self, name=None):
        p = {"path": {}, "querystring": {}, "header": self.headers}
        if name is None:
            return p
        for where in ("path", "querystring", "header"):
            if name in p[where]:
                return p[where][name]
        return ""

out = []
for case in json.load(sys.stdin):
    m = case["method"]["Properties"]
    integ = m["Integration"]
    assert integ["Type"] == "MOCK", integ
    status = json.loads(integ["RequestTemplates"]["application/json"])["statusCode"]
    chosen = [r for r in integ["IntegrationResponses"] if int(r["StatusCode"]) == status]
    assert len(chosen) == 1, integ
    resp = chosen[0]
    declared = {}
    for mr in m.get("MethodResponses", []):
        if int(mr["StatusCode"]) == status:
            declared = mr.get("ResponseParameters", {})
    headers = {}
    for key, value in resp.get("ResponseParameters", {}).items():
        assert key in declared, "header mapped but not declared: " + key
        assert value.startswith("'") and value.endswith("'"), value
        headers[key[len("method.response.header."):]] = value[1:-1]
    template = resp.get("ResponseTemplates", {}).get("application/json")
    if template is not None:
        ctx = {"responseOverride": {"header": {}}}
        airspeed.Template(template).merge({"input": Input(case["headers"]), "context": ctx})
        for k, v in ctx["responseOverride"]["header"].items():
            headers[k] = v
    out.append({"status": status, "headers": headers})
json.dump(out, sys.stdout)
"#;

fn answers(cases: &[(Value, Value)]) -> Vec<Value> {
    let venv = common::tool_venv("vtl", VTL);
    let input: Vec<Value> = cases
        .iter()
        .map(|(m, h)| json!({"method": m, "headers": h}))
        .collect();
    let out = common::stdout_with_input(
        Command::new(venv.join("bin/python")).args(["-c", JUDGE]),
        serde_json::to_string(&input).unwrap().as_bytes(),
    );
    serde_json::from_slice(&out).unwrap()
}

fn header<'a>(answer: &'a Value, name: &str) -> Option<&'a str> {
    answer["headers"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// The Fetch standard's CORS check of an answer, for a request from `origin`.
fn cors_ok(answer: &Value, origin: &str, credentials: bool) -> bool {
    let status = answer["status"].as_i64().unwrap();
    if !(200..300).contains(&status) {
        return false;
    }
    match header(answer, "Access-Control-Allow-Origin") {
        Some("*") if !credentials => {}
        Some(o) if o == origin => {}
        _ => return false,
    }
    !credentials || header(answer, "Access-Control-Allow-Credentials") == Some("true")
}

/// The preflight check on top: the method and every non-safelisted header must be listed.
fn preflight_ok(
    answer: &Value,
    origin: &str,
    credentials: bool,
    method: &str,
    headers: &[&str],
) -> bool {
    if !cors_ok(answer, origin, credentials) {
        return false;
    }
    let list = |name: &str| -> Vec<String> {
        header(answer, name)
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let methods = list("Access-Control-Allow-Methods");
    let allowed_headers = list("Access-Control-Allow-Headers");
    let wildcard = !credentials;
    let method_ok = ["GET", "HEAD", "POST"].contains(&method)
        || methods.contains(&method.to_ascii_lowercase())
        || (wildcard && methods.iter().any(|m| m == "*"));
    let headers_ok = headers.iter().all(|h| {
        let h = h.to_ascii_lowercase();
        allowed_headers.contains(&h)
            || (wildcard && h != "authorization" && allowed_headers.iter().any(|a| a == "*"))
    });
    method_ok && headers_ok
}

const BASE: &str = "version: 1
api:
  name: shop-api
  stage: prod
  authorizer: STRATEGY
  cors: CORS
user_pool: {name: shop-users}
resource_server: {identifier: api, name: Shop}
scopes: {read: Read, write: Write}
groups: {Reader: {scopes: [read]}}
routes:
  GET /health: public
  GET /items: [read]
  POST /items: [write]
  PUT /items/{id}: [write]
  ANY /files/{path+}: [read]
";

fn generate(dir: &Path, strategy: &str, cors: &str) -> std::process::Output {
    common::rolegen_in(
        dir,
        &BASE.replace("STRATEGY", strategy).replace("CORS", cors),
        &["--error-format", "json", "gen", "--target", "cfn"],
    )
}

fn template(strategy: &str, cors: &str) -> (Value, std::path::PathBuf) {
    let dir = common::scratch("cors");
    let out = generate(&dir, strategy, cors);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("out/cfn/template.yaml");
    (common::read_yaml(&path), path)
}

/// The `OPTIONS` method of each path, found by reading the resource tree back (`PathPart`s
/// from the root), and the route methods by path and verb.
fn methods_by_path(t: &Value) -> Vec<(String, String, Value)> {
    let res = t["Resources"].as_object().unwrap();
    let path_of = |id: &Value| common::resource_path(res, id);
    res.values()
        .filter(|r| r["Type"] == "AWS::ApiGateway::Method")
        .map(|m| {
            let p = &m["Properties"];
            (
                path_of(&p["ResourceId"]),
                p["HttpMethod"].as_str().unwrap().to_string(),
                m.clone(),
            )
        })
        .collect()
}

fn find(methods: &[(String, String, Value)], path: &str, verb: &str) -> Value {
    methods
        .iter()
        .find(|(p, v, _)| p == path && v == verb)
        .unwrap_or_else(|| panic!("no {verb} {path}"))
        .2
        .clone()
}

#[test]
fn named_origins_pass_and_others_fail() {
    let cors = "{origins: [https://app.example.com, http://localhost:3000], credentials: true, max_age: 600}";
    let mut templates = Vec::new();
    for strategy in ["lambda", "cognito-scopes", "verified-permissions"] {
        let (t, path) = template(strategy, cors);
        let methods = methods_by_path(&t);
        // One preflight per declared path, each without authorization.
        let mut preflight_paths: Vec<&str> = methods
            .iter()
            .filter(|(_, v, _)| v == "OPTIONS")
            .map(|(p, _, m)| {
                assert_eq!(m["Properties"]["AuthorizationType"], "NONE");
                p.as_str()
            })
            .collect();
        preflight_paths.sort();
        assert_eq!(
            preflight_paths,
            ["/files/{path+}", "/health", "/items", "/items/{id}"]
        );
        let items = find(&methods, "/items", "OPTIONS");
        let item = find(&methods, "/items/{id}", "OPTIONS");
        let files = find(&methods, "/files/{path+}", "OPTIONS");
        let health = find(&methods, "/health", "GET");
        let good = json!({"Origin": "https://app.example.com"});
        let local = json!({"origin": "http://localhost:3000"});
        let evil = json!({"Origin": "https://evil.example.com"});
        let near = json!({"Origin": "https://app.example.com.evil.example"});
        let none = json!({});
        let cases = vec![
            (items.clone(), good.clone()),
            (items.clone(), local.clone()),
            (items.clone(), evil.clone()),
            (items.clone(), near.clone()),
            (items.clone(), none.clone()),
            (item.clone(), good.clone()),
            (files.clone(), good.clone()),
            (health.clone(), good.clone()),
            (health.clone(), evil.clone()),
        ];
        let a = answers(&cases);
        let auth = ["Authorization", "Content-Type"];
        assert!(
            preflight_ok(&a[0], "https://app.example.com", true, "POST", &auth),
            "{}",
            a[0]
        );
        assert!(
            preflight_ok(&a[1], "http://localhost:3000", true, "GET", &auth),
            "{}",
            a[1]
        );
        assert!(
            !preflight_ok(&a[2], "https://evil.example.com", true, "GET", &auth),
            "{}",
            a[2]
        );
        assert!(
            header(&a[2], "Access-Control-Allow-Origin").is_none(),
            "{}",
            a[2]
        );
        assert!(!preflight_ok(
            &a[3],
            "https://app.example.com.evil.example",
            true,
            "GET",
            &[]
        ));
        assert!(
            header(&a[4], "Access-Control-Allow-Origin").is_none(),
            "{}",
            a[4]
        );
        // Only the verbs the path declares, and only the listed headers.
        assert!(preflight_ok(
            &a[5],
            "https://app.example.com",
            true,
            "PUT",
            &auth
        ));
        assert!(!preflight_ok(
            &a[5],
            "https://app.example.com",
            true,
            "DELETE",
            &auth
        ));
        assert!(!preflight_ok(
            &a[0],
            "https://app.example.com",
            true,
            "DELETE",
            &auth
        ));
        assert!(!preflight_ok(
            &a[0],
            "https://app.example.com",
            true,
            "GET",
            &["X-Secret"]
        ));
        assert_eq!(header(&a[0], "Access-Control-Max-Age"), Some("600"));
        // `ANY` declares every verb.
        assert!(preflight_ok(
            &a[6],
            "https://app.example.com",
            true,
            "DELETE",
            &auth
        ));
        // A mock route's own answer carries the headers too, for allowed origins only.
        assert!(cors_ok(&a[7], "https://app.example.com", true), "{}", a[7]);
        assert!(
            !cors_ok(&a[8], "https://evil.example.com", true),
            "{}",
            a[8]
        );

        // API Gateway's own errors: with several origins the request's origin comes back,
        // without credentials.
        for kind in ["DEFAULT_4XX", "DEFAULT_5XX"] {
            let gr = t["Resources"]
                .as_object()
                .unwrap()
                .values()
                .find(|r| {
                    r["Type"] == "AWS::ApiGateway::GatewayResponse"
                        && r["Properties"]["ResponseType"] == kind
                })
                .unwrap_or_else(|| panic!("no {kind}"));
            let p = &gr["Properties"]["ResponseParameters"];
            assert_eq!(
                p["gatewayresponse.header.Access-Control-Allow-Origin"],
                "method.request.header.Origin"
            );
            assert!(
                p.get("gatewayresponse.header.Access-Control-Allow-Credentials")
                    .is_none()
            );
        }
        // The deployment waits for the preflights and gateway responses.
        let deployment = t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .find(|r| r["Type"] == "AWS::ApiGateway::Deployment")
            .unwrap();
        let depends: Vec<&str> = deployment["DependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for (id, r) in t["Resources"].as_object().unwrap() {
            if r["Type"] == "AWS::ApiGateway::GatewayResponse"
                || (r["Type"] == "AWS::ApiGateway::Method"
                    && r["Properties"]["HttpMethod"] == "OPTIONS")
            {
                assert!(depends.contains(&id.as_str()), "{id}");
            }
        }
        templates.push(path);
    }
    common::assert_cfn_lint_clean_all(&templates);
}

#[test]
fn any_origin_and_one_origin() {
    let (t, any_path) = template(
        "lambda",
        "{origins: ['*'], headers: [Content-Type, X-Request-Id]}",
    );
    let methods = methods_by_path(&t);
    let a = answers(&[(
        find(&methods, "/items", "OPTIONS"),
        json!({"Origin": "https://anyone.example"}),
    )]);
    assert!(preflight_ok(
        &a[0],
        "https://anyone.example",
        false,
        "POST",
        &["Authorization", "X-Request-Id"]
    ));
    assert!(
        !preflight_ok(&a[0], "https://anyone.example", true, "POST", &[]),
        "no credentials with *"
    );

    let (t, one_path) = template(
        "cognito-scopes",
        "{origins: [https://app.example.com], credentials: true}",
    );
    let gr = &t["Resources"]["GatewayResponseDefault4XX"]["Properties"]["ResponseParameters"];
    assert_eq!(
        gr["gatewayresponse.header.Access-Control-Allow-Origin"],
        "'https://app.example.com'"
    );
    assert_eq!(
        gr["gatewayresponse.header.Access-Control-Allow-Credentials"],
        "'true'"
    );
    common::assert_cfn_lint_clean_all(&[any_path, one_path]);
}

/// Without `api.cors` nothing of it is written; with it, the deployment changes (CORS is
/// served only after a new one).
#[test]
fn cors_is_a_new_deployment() {
    let deployment = common::deployment_id;
    let dir = common::scratch("cors-none");
    let out = common::rolegen_in(
        &dir,
        &BASE
            .replace("STRATEGY", "lambda")
            .replace("  cors: CORS\n", ""),
        &["gen", "--target", "cfn"],
    );
    assert!(out.status.success());
    let plain = common::read_yaml(&dir.join("out/cfn/template.yaml"));
    assert!(
        !serde_json::to_string(&plain)
            .unwrap()
            .contains("Access-Control")
    );
    let (a, _) = template("lambda", "{origins: [https://a.example.com]}");
    let (b, _) = template("lambda", "{origins: [https://b.example.com]}");
    assert_ne!(deployment(&plain), deployment(&a));
    assert_ne!(deployment(&a), deployment(&b));
}

#[test]
fn wrong_settings_are_errors_at_their_place() {
    let cases = [
        (
            "{headers: [X-A]}",
            "`api.cors` needs `origins`",
            "{headers: [X-A]}",
        ),
        (
            "{origins: [app.example.com]}",
            "`app.example.com` is not an origin: it has no `scheme://`",
            "app.example.com",
        ),
        (
            "{origins: ['https://app.example.com/']}",
            "`https://app.example.com/` is not an origin: an origin has no path, query, user or wildcard",
            "'https://app.example.com/'",
        ),
        (
            "{origins: ['*'], credentials: true}",
            "`credentials: true` with the origin `*`",
            "true",
        ),
        (
            "{origins: ['*', https://a.example.com]}",
            "`*` and named origins in one list",
            "['*', https://a.example.com]",
        ),
        (
            "{origins: [https://a.example.com], headers: [\"X'A\"]}",
            "`X'A` is not a header name",
            "\"X'A\"",
        ),
        (
            "{origins: [https://a.example.com], max_age: 100000}",
            "a preflight cached for 100000 seconds",
            "100000",
        ),
        (
            "{origins: [https://a.example.com], maxage: 1}",
            "unknown key `maxage` in `api.cors`",
            "maxage",
        ),
    ];
    for (cors, message, underlined) in cases {
        let dir = common::scratch("cors-bad");
        let out = generate(&dir, "lambda", cors);
        assert_eq!(out.status.code(), Some(2), "{cors}");
        let diags: Value = serde_json::from_slice(&out.stderr).expect("one JSON document");
        assert_eq!(diags[0]["message"], message, "{diags}");
        assert_eq!(diags[0]["underlined"], underlined, "{diags}");
        assert!(!dir.join("out").exists());
    }
    // A declared `OPTIONS` route would take the preflight's place.
    let dir = common::scratch("cors-options");
    fs::write(
        dir.join("roles.yaml"),
        BASE.replace("STRATEGY", "lambda")
            .replace("CORS", "{origins: [https://a.example.com]}")
            + "  OPTIONS /items: public\n",
    )
    .unwrap();
    let out = common::rolegen()
        .current_dir(&dir)
        .args(["--error-format", "json", "gen"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let diags: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(
        diags[0]["message"],
        "route `OPTIONS /items` is declared, and `api.cors` answers `OPTIONS` on every path"
    );
    assert_eq!(diags[0]["underlined"], "OPTIONS /items");
}

/// `explain` and `docs` say that preflights are outside the matrix; without `api.cors` an
/// `OPTIONS` that roles.yaml does not declare is no route at all.
#[test]
fn explain_and_docs_keep_preflights_out_of_the_matrix() {
    let dir = common::scratch("cors-explain");
    let out = generate(&dir, "lambda", "{origins: [https://app.example.com]}");
    assert!(out.status.success());
    let explain = |args: &[&str]| {
        common::rolegen()
            .current_dir(&dir)
            .arg("explain")
            .args(args)
            .output()
            .unwrap()
    };
    let text = explain(&["OPTIONS /items"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("not a route of the access matrix"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    let j: Value =
        serde_json::from_slice(&explain(&["OPTIONS /items", "--format", "json"]).stdout).unwrap();
    assert_eq!(j["preflight"], true);
    let docs = common::rolegen()
        .current_dir(&dir)
        .args(["gen", "--target", "docs"])
        .output()
        .unwrap();
    assert!(docs.status.success());
    let md = fs::read_to_string(dir.join("out/docs/access-matrix.md")).unwrap();
    assert!(md.contains("CORS preflights"), "{md}");
    assert!(!md.contains("| `OPTIONS"), "no preflight row in the matrix");

    fs::write(
        dir.join("roles.yaml"),
        BASE.replace("STRATEGY", "lambda")
            .replace("  cors: CORS\n", ""),
    )
    .unwrap();
    assert_eq!(explain(&["OPTIONS /items"]).status.code(), Some(2));
}
