//! `gen --target openapi`: the document passes a real OpenAPI validator, says exactly what the
//! access model says (read back by an independent YAML 1.1 parser), matches its golden file
//! and does not depend on the order of roles.yaml.
//!
//! One Python process validates and parses every case at once (the validator starts slowly).

mod common;

use rolegen::cmd::load_text;
use rolegen::r#gen::openapi::{
    self, AUTHORIZER_FUNCTION_ARN, COGNITO_SCHEME, DOCUMENT, LAMBDA_SCHEME, USER_POOL_ARN,
    method_key,
};
use rolegen::model::{Access, Endpoint, GroupId, Integration, Model, RouteId, Segment, Strategy};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

struct Case {
    name: &'static str,
    text: String,
    golden: bool,
}

fn read(rel: &str) -> String {
    fs::read_to_string(common::repo().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// The same file with `api.authorizer` switched to the Lambda strategy.
fn as_lambda(text: &str) -> String {
    let mut done = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if !done && l.trim_start().starts_with("authorizer:") {
                done = true;
                "  authorizer: lambda".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(done, "no `authorizer:` line to replace");
    out.join("\n") + "\n"
}

fn cases() -> Vec<Case> {
    let roles = read("roles.yaml");
    let proxy = read("tests/fixtures/scopes_proxy.yaml");
    let hostile = read("tests/fixtures/scopes_hostile.yaml");
    let case = |name, text, golden| Case { name, text, golden };
    vec![
        case("roles", roles.clone(), true),
        case("roles_lambda", as_lambda(&roles), true),
        case(
            "scopes_hierarchical",
            read("tests/fixtures/scopes_hierarchical.yaml"),
            true,
        ),
        case(
            "scopes_lateral",
            read("tests/fixtures/scopes_lateral.yaml"),
            true,
        ),
        case("scopes_proxy", proxy.clone(), true),
        // CORS preflights on every path (greedy ones too) and a private API's extensions.
        case(
            "scopes_proxy_cors_private",
            proxy.replacen(
                "  authorizer: cognito-scopes\n",
                "  authorizer: cognito-scopes\n  cors: {origins: [https://app.example.com]}\n  endpoint: PRIVATE\n  vpc_endpoint_ids: [vpce-0123456789abcdef0]\n",
                1,
            ),
            true,
        ),
        case("scopes_proxy_lambda", as_lambda(&proxy), true),
        case("scopes_hostile", hostile.clone(), true),
        case("scopes_hostile_lambda", as_lambda(&hostile), true),
        case(
            "yaml_scalars",
            read("tests/fixtures/openapi/yaml_scalars.yaml"),
            true,
        ),
        // Big enough to matter, too big for a useful golden file.
        case(
            "scopes_large",
            read("tests/fixtures/scopes_large.yaml"),
            false,
        ),
    ]
}

fn model_of(name: &str, text: &str) -> Model {
    let loaded = load_text(name, text.to_string());
    let errors: Vec<_> = loaded.diags.iter().filter(|d| d.is_error()).collect();
    loaded
        .model
        .unwrap_or_else(|| panic!("{name} does not load: {errors:#?}"))
}

fn generate(model: &Model) -> Vec<u8> {
    let files = openapi::generate(model).expect("openapi generates");
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        [DOCUMENT],
        "exactly one file"
    );
    files[DOCUMENT].clone()
}

/// Validates each file with openapi-spec-validator (OpenAPI 3.0) and parses it with PyYAML,
/// which reads YAML 1.1 as many importers do. An `x-amazon-apigateway-any-method` is an
/// extension to the validator, so each file is validated a second time with it renamed to
/// `trace` (a method API Gateway never uses), so that ANY operations are checked as
/// operations too (what that second run adds is marked `(ANY as trace)`).
///
/// A greedy `{proxy+}` declares its parameter as `proxy`, API Gateway's name; OpenAPI's
/// templating reads the expression as `proxy+`, so the validator reports each greedy
/// operation (`errors`, compared with exactly those findings by the caller). The same
/// document with each `{name+}` path key written `{name}` is validated again (`plain`): that
/// is everything else in the document, and it must have no finding at all.
/// Returns file → (errors, plain errors, parsed document).
const CHECK_PY: &str = r#"
import json, re, sys, yaml
from openapi_spec_validator import OpenAPIV30SpecValidator

def errors(doc):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in OpenAPIV30SpecValidator(doc).iter_errors()]

def with_any_as_trace(doc):
    errs = errors(doc)
    renamed = json.loads(json.dumps(doc, default=repr))
    anys = 0
    for item in (renamed.get("paths") or {}).values():
        if isinstance(item, dict) and "x-amazon-apigateway-any-method" in item:
            assert "trace" not in item
            item["trace"] = item.pop("x-amazon-apigateway-any-method")
            anys += 1
    if anys:
        errs += [f"(ANY as trace) {e}" for e in errors(renamed) if e not in errs]
    return errs, anys

out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    errs, anys = with_any_as_trace(doc)
    plain = json.loads(json.dumps(doc, default=repr))
    if isinstance(plain.get("paths"), dict):
        keys = list(plain["paths"])
        plain["paths"] = {re.sub(r"\{([^{}]*)\+\}", r"{\1}", k): v
                          for k, v in plain["paths"].items()}
        assert len(plain["paths"]) == len(keys), "two paths differ only in a `+`"
    plain_errs, _ = with_any_as_trace(plain)
    out[path] = {"errors": errs, "plain": plain_errs, "doc": doc, "anys": anys}
print(json.dumps(out, default=repr))
"#;

struct Checked {
    errors: Vec<String>,
    plain: Vec<String>,
    doc: Value,
    anys: u64,
}

fn validate_all(files: &[PathBuf]) -> BTreeMap<PathBuf, Checked> {
    let dir = common::scratch("openapi-check");
    let script = dir.join("check.py");
    fs::write(&script, CHECK_PY).unwrap();
    let out = Command::new(common::python())
        .arg(&script)
        .args(files)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "validator script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("script prints JSON");
    files
        .iter()
        .map(|f| {
            let r = &v[f.to_str().unwrap()];
            let list = |k: &str| -> Vec<String> {
                r[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_string())
                    .collect()
            };
            let checked = Checked {
                errors: list("errors"),
                plain: list("plain"),
                doc: r["doc"].clone(),
                anys: r["anys"].as_u64().unwrap(),
            };
            (f.clone(), checked)
        })
        .collect()
}

fn path_param_ok(p: &Value) -> bool {
    p["in"] == "path"
        && p["required"] == true
        && p["schema"] == serde_json::json!({ "type": "string" })
        && p.as_object().unwrap().len() == 4
}

fn names(params: Option<&Value>) -> Vec<String> {
    params.map_or_else(Vec::new, |ps| {
        ps.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                assert!(path_param_ok(p), "bad parameter {p}");
                p["name"].as_str().unwrap().to_string()
            })
            .collect()
    })
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Every `${NAME}` in a string.
fn placeholders_in(s: &str, into: &mut BTreeSet<String>) {
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        let Some(j) = rest[i..].find('}') else { break };
        into.insert(rest[i + 2..i + j].to_string());
        rest = &rest[i + j..];
    }
}

/// Reads the parsed document back and compares it with the model: every route exactly once
/// with its method, its security, parameters and integration, and nothing else.
fn read_back(case: &str, model: &Model, doc: &Value) {
    let ctx = |what: &str| format!("{case}: {what}");
    let root: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want_root = vec!["openapi", "info", "paths", "components"];
    if model.settings.cors.is_some() {
        want_root.push("x-amazon-apigateway-gateway-responses");
    }
    if let Endpoint::Private { vpc_endpoint_ids } = &model.api.endpoint {
        want_root.push("x-amazon-apigateway-endpoint-configuration");
        want_root.push("x-amazon-apigateway-policy");
        assert_eq!(
            strs(&doc["x-amazon-apigateway-endpoint-configuration"]["vpcEndpointIds"]),
            *vpc_endpoint_ids,
            "{case}"
        );
    }
    assert_eq!(root, want_root, "{case}");
    assert_eq!(doc["openapi"], "3.0.1", "{case}");
    assert_eq!(doc["info"]["title"], model.api.name.as_str(), "{case}");
    match &model.api.description {
        Some(d) => assert_eq!(doc["info"]["description"], d.as_str(), "{case}"),
        None => assert!(doc["info"].get("description").is_none(), "{case}"),
    }
    assert!(doc["info"]["version"].is_string(), "{case}");

    // Security scheme: exactly the strategy's one.
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(doc["components"].as_object().unwrap().len(), 1, "{case}");
    assert_eq!(schemes.len(), 1, "{case}: one security scheme");
    let mut used_placeholders = BTreeSet::new();
    let scheme_name = match model.api.strategy {
        Strategy::CognitoScopes => COGNITO_SCHEME,
        Strategy::Lambda | Strategy::VerifiedPermissions => LAMBDA_SCHEME,
    };
    let scheme = &schemes[scheme_name];
    assert_eq!(scheme["type"], "apiKey", "{case}");
    assert_eq!(scheme["name"], "Authorization", "{case}");
    assert_eq!(scheme["in"], "header", "{case}");
    let authorizer = &scheme["x-amazon-apigateway-authorizer"];
    match model.api.strategy {
        Strategy::CognitoScopes => {
            assert_eq!(
                scheme["x-amazon-apigateway-authtype"], "cognito_user_pools",
                "{case}"
            );
            assert_eq!(authorizer["type"], "cognito_user_pools", "{case}");
            assert_eq!(
                strs(&authorizer["providerARNs"]),
                [format!("${{{USER_POOL_ARN}}}")],
                "{case}"
            );
            placeholders_in(&format!("${{{USER_POOL_ARN}}}"), &mut used_placeholders);
        }
        Strategy::Lambda | Strategy::VerifiedPermissions => {
            assert_eq!(scheme["x-amazon-apigateway-authtype"], "custom", "{case}");
            assert_eq!(authorizer["type"], "request", "{case}");
            // The cache key holds the route, as in the CloudFormation template.
            assert_eq!(
                authorizer["identitySource"],
                "method.request.header.Authorization,context.httpMethod,context.resourcePath",
                "{case}"
            );
            assert_eq!(
                authorizer["authorizerResultTtlInSeconds"], model.api.authorizer_ttl,
                "{case}"
            );
            let uri = authorizer["authorizerUri"].as_str().unwrap();
            assert!(
                uri.contains(&format!(
                    "/functions/${{{AUTHORIZER_FUNCTION_ARN}}}/invocations"
                )),
                "{case}: {uri}"
            );
            placeholders_in(uri, &mut used_placeholders);
        }
    }

    // Paths and operations.
    let paths = doc["paths"].as_object().unwrap();
    let declared: BTreeSet<String> = model.routes.iter().map(|r| r.path.to_string()).collect();
    let listed: BTreeSet<String> = paths.keys().cloned().collect();
    assert_eq!(listed, declared, "{case}: paths");
    let (mut seen, mut preflights) = (0, 0);
    for (path, item) in paths {
        let item = item.as_object().unwrap();
        for (key, op) in item {
            if key == "parameters" {
                continue;
            }
            if key == "options" && model.settings.cors.is_some() {
                // The path's CORS preflight (roles.yaml cannot declare OPTIONS with CORS):
                // no authorization, a mock, and the path's variables declared as anywhere.
                let vars = path_variables(path);
                assert_eq!(
                    names(op.get("parameters")),
                    vars,
                    "{case}: preflight of {path}"
                );
                assert_eq!(op["security"], serde_json::json!([]), "{case}: {path}");
                assert_eq!(
                    op["x-amazon-apigateway-integration"]["type"], "mock",
                    "{case}: {path}"
                );
                preflights += 1;
                continue;
            }
            seen += 1;
            let route = model
                .routes
                .iter()
                .find(|r| r.path.to_string() == *path && method_key(r.method) == key)
                .unwrap_or_else(|| panic!("{}", ctx(&format!("undeclared `{key} {path}`"))));
            check_operation(
                case,
                model,
                route,
                item.get("parameters"),
                op,
                &mut used_placeholders,
            );
        }
    }
    assert_eq!(seen, model.routes.len(), "{case}: one operation per route");
    let want_preflights = if model.settings.cors.is_some() {
        declared.len()
    } else {
        0
    };
    assert_eq!(
        preflights, want_preflights,
        "{case}: one preflight per path with CORS"
    );

    let expected: BTreeSet<String> = openapi::placeholders(model).into_iter().collect();
    assert_eq!(used_placeholders, expected, "{case}: placeholders");
}

/// The variables of a path as API Gateway names them: `{id}` is `id`, a greedy `{proxy+}` is
/// `proxy` (AWS's proxy-resource examples).
fn path_variables(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|v| v.trim_end_matches('+').to_string())
        .collect()
}

fn check_operation(
    case: &str,
    model: &Model,
    route: &rolegen::model::Route,
    path_params: Option<&Value>,
    op: &Value,
    used_placeholders: &mut BTreeSet<String>,
) {
    let key = route.key();
    let keys: BTreeSet<&str> = op.as_object().unwrap().keys().map(String::as_str).collect();
    let mut allowed = BTreeSet::from(["security", "responses", "x-amazon-apigateway-integration"]);
    // API Gateway's names for the path variables (`proxy` for `{proxy+}`), read here from the
    // route's own text.
    let vars = path_variables(key.split_once(' ').unwrap().1);
    if !vars.is_empty() {
        allowed.insert("parameters");
    }
    assert_eq!(keys, allowed, "{case}: `{key}` keys");

    // Parameters: each variable of the path under API Gateway's name for it (`proxy` for a
    // greedy `{proxy+}`, as AWS's proxy-resource examples declare it), and nothing else.
    assert_eq!(
        names(op.get("parameters")),
        vars,
        "{case}: `{key}` parameters"
    );
    assert!(
        path_params.is_none(),
        "{case}: `{key}`: parameters on the path item"
    );
    // The path's template expressions, read here from the path as written: a greedy one ends
    // in `+`, which its parameter's name does not.
    let template: Vec<String> = route
        .path
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Literal(_) => None,
            Segment::Var(v) => Some(v.clone()),
            Segment::Greedy(v) => Some(format!("{v}+")),
        })
        .collect();
    let path = route.path.to_string();
    let written: Vec<&str> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    assert_eq!(
        written, template,
        "{case}: `{key}`: the path's template expressions"
    );

    // Security: one requirement listing every scope (AWS's documented form, which API Gateway
    // reads as "any one of"), or none at all for a public route.
    let security = op["security"].as_array().unwrap();
    match (&route.access, model.api.strategy) {
        (Access::Public, _) => assert!(security.is_empty(), "{case}: `{key}` is public"),
        (Access::Authenticated, Strategy::CognitoScopes) => {
            let want = format!("{}/authenticated", model.resource_server.identifier);
            assert_eq!(
                op["security"],
                serde_json::json!([{ COGNITO_SCHEME: [want] }]),
                "{case}: `{key}`: the reserved scope every signed-in user gets"
            );
        }
        (Access::Authenticated, _) => {
            assert_eq!(
                op["security"],
                serde_json::json!([{ LAMBDA_SCHEME: [] }]),
                "{case}: `{key}`"
            );
        }
        (Access::AnyOf(ids), Strategy::CognitoScopes) => {
            let mut want: Vec<String> = ids
                .iter()
                .map(|s| model.scope(*s).full_name.clone())
                .collect();
            want.sort();
            assert_eq!(security.len(), 1, "{case}: `{key}`: one requirement");
            let req = security[0].as_object().unwrap();
            assert_eq!(req.len(), 1, "{case}: `{key}`: one scheme in it");
            let got = strs(&req[COGNITO_SCHEME]);
            assert_eq!(got, want, "{case}: `{key}` scopes");
        }
        (Access::AnyOf(_), Strategy::Lambda | Strategy::VerifiedPermissions) => {
            assert_eq!(
                op["security"],
                serde_json::json!([{ LAMBDA_SCHEME: [] }]),
                "{case}: `{key}`"
            );
        }
    }

    // Integration.
    let integ = &op["x-amazon-apigateway-integration"];
    match &route.integration {
        Integration::Mock => {
            assert_eq!(integ["type"], "mock", "{case}: `{key}`");
            assert_eq!(
                integ["requestTemplates"]["application/json"], "{\"statusCode\": 200}",
                "{case}: `{key}`"
            );
            assert_eq!(integ["responses"]["default"]["statusCode"], "200", "{case}");
            assert!(op["responses"].get("200").is_some(), "{case}: `{key}`");
        }
        Integration::Lambda { param } => {
            assert_eq!(integ["type"], "aws_proxy", "{case}: `{key}`");
            assert_eq!(integ["httpMethod"], "POST", "{case}: `{key}`");
            let uri = integ["uri"].as_str().unwrap();
            assert!(
                uri.starts_with("arn:${AWS_PARTITION}:apigateway:${AWS_REGION}:lambda:path/2015-03-31/functions/")
                    && uri.ends_with(&format!("/functions/${{{param}}}/invocations")),
                "{case}: `{key}`: {uri}"
            );
            placeholders_in(uri, used_placeholders);
        }
        Integration::Http { url } => {
            assert_eq!(integ["type"], "http_proxy", "{case}: `{key}`");
            assert_eq!(
                integ["httpMethod"],
                route.method.as_str(),
                "{case}: `{key}`"
            );
            assert_eq!(integ["uri"], url.as_str(), "{case}: `{key}`");
            let mapped: Vec<(String, String)> = integ
                .get("requestParameters")
                .and_then(Value::as_object)
                .map_or_else(Vec::new, |m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect()
                });
            let want: Vec<(String, String)> = vars
                .iter()
                .map(|v| {
                    (
                        format!("integration.request.path.{v}"),
                        format!("method.request.path.{v}"),
                    )
                })
                .collect();
            assert_eq!(mapped, want, "{case}: `{key}` request parameters");
        }
    }
}

/// Read as API Gateway reads it on import (a requirement's scopes become the method's
/// `AuthorizationScopes`, and a token with any one of them passes; AWS's Method API
/// reference), the document lets a caller through exactly where the access matrix does: for
/// every group alone and every pair of groups.
fn matrix_agrees(case: &str, model: &Model, doc: &Value) {
    let allows = |scopes: &BTreeSet<&str>, route: RouteId| -> bool {
        let r = model.route(route);
        let op = &doc["paths"][r.path.to_string()][method_key(r.method)];
        let security = op["security"].as_array().unwrap();
        security.is_empty()
            || security.iter().any(|req| {
                req.as_object()
                    .unwrap()
                    .values()
                    .all(|listed| strs(listed).iter().any(|s| scopes.contains(s.as_str())))
            })
    };
    let groups: Vec<GroupId> = model.group_ids().collect();
    let mut sets: Vec<Vec<GroupId>> = vec![vec![]];
    for (i, &a) in groups.iter().enumerate() {
        sets.push(vec![a]);
        for &b in &groups[i + 1..] {
            sets.push(vec![a, b]);
        }
    }
    // Every signed-in user's access token also carries the reserved scope of `authenticated`
    // routes (the pre-token trigger adds it).
    let signed_in = format!("{}/authenticated", model.resource_server.identifier);
    for set in sets {
        let mut held: BTreeSet<&str> = set.iter().flat_map(|&g| model.full_scopes_of(g)).collect();
        if model
            .routes
            .iter()
            .any(|r| r.access == Access::Authenticated)
        {
            held.insert(&signed_in);
        }
        let want = model.matrix.union(&set);
        for route in model.route_ids() {
            assert_eq!(
                allows(&held, route),
                want.contains(route.0),
                "{case}: groups {:?} on `{}`",
                set.iter()
                    .map(|&g| &model.group(g).name)
                    .collect::<Vec<_>>(),
                model.route(route).key()
            );
        }
    }
}

/// What openapi-spec-validator reports, and all it may report, about a document that declares
/// a greedy `{proxy+}` as `proxy` (AWS's form): for each operation on such a path, that the
/// template expression `proxy+` is not declared and that the parameter `proxy` is not in the
/// path. (With ANY renamed to `trace`, the same of the `trace` operation; with CORS, the same
/// of the path's `options` preflight.) Sorted.
fn greedy_findings(model: &Model) -> Vec<String> {
    let mut v = Vec::new();
    let mut preflighted = BTreeSet::new();
    for route in &model.routes {
        let (prefix, method) = match route.method {
            rolegen::model::Method::Any => ("(ANY as trace) ", "trace"),
            m => ("", method_key(m)),
        };
        let mut each = vec![(prefix, method)];
        // With CORS, the path's preflight is an operation too.
        if model.settings.cors.is_some() && preflighted.insert(route.path.to_string()) {
            each.push(("", "options"));
        }
        let path = route.path.to_string();
        for (prefix, method) in each {
            for seg in &route.path.segments {
                if let Segment::Greedy(name) = seg {
                    for declared in [format!("{name}+"), name.clone()] {
                        v.push(format!(
                            "{prefix}: Path parameter '{declared}' for '{method}' operation in '{path}' was not resolved"
                        ));
                    }
                }
            }
        }
    }
    v.sort();
    v
}

fn golden_path(case: &str) -> PathBuf {
    common::repo()
        .join("tests/golden/openapi")
        .join(case)
        .join("openapi.yaml")
}

#[test]
fn documents_validate_read_back_and_match_goldens() {
    let dir = common::scratch("openapi-docs");
    let mut work = Vec::new();
    for case in cases() {
        let model = model_of(case.name, &case.text);
        let bytes = generate(&model);
        let file = dir.join(format!("{}.yaml", case.name));
        fs::write(&file, &bytes).unwrap();
        work.push((case, model, bytes, file));
    }
    let files: Vec<PathBuf> = work.iter().map(|w| w.3.clone()).collect();
    let checked = validate_all(&files);

    let mut failures = Vec::new();
    let mut goldens = common::Expected::goldens("openapi");
    for (case, model, bytes, file) in &work {
        let c = &checked[file];
        if !c.plain.is_empty() {
            failures.push(format!(
                "{}: not valid OpenAPI 3.0:\n  {}",
                case.name,
                c.plain.join("\n  ")
            ));
            continue;
        }
        let mut got = c.errors.clone();
        got.sort();
        let want = greedy_findings(model);
        if got != want {
            failures.push(format!(
                "{}: the validator's findings are not exactly the greedy parameters':\n  got:\n    {}\n  want:\n    {}",
                case.name,
                got.join("\n    "),
                want.join("\n    ")
            ));
            continue;
        }
        let anys = model
            .routes
            .iter()
            .filter(|r| r.method == rolegen::model::Method::Any);
        assert_eq!(
            c.anys,
            anys.map(|r| r.path.to_string())
                .collect::<BTreeSet<_>>()
                .len() as u64
        );
        read_back(case.name, model, &c.doc);
        if model.api.strategy == Strategy::CognitoScopes {
            matrix_agrees(case.name, model, &c.doc);
        }
        if case.golden {
            goldens.check(&golden_path(case.name), bytes);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    goldens.finish();
}

/// The validator run must be able to fail: a document with an undeclared path parameter, a
/// security requirement whose scopes are not a list and an ANY operation without responses is
/// rejected, each for its own reason. (It does not check that a requirement names a declared
/// scheme: `read_back` does.)
#[test]
fn the_validator_rejects_broken_documents() {
    let model = model_of("proxy", &read("tests/fixtures/scopes_proxy.yaml"));
    let mut doc: Value = serde_yaml_via_json(&String::from_utf8(generate(&model)).unwrap());
    let paths = doc["paths"].as_object_mut().unwrap();
    paths["/items/{itemId}"]["get"]
        .as_object_mut()
        .unwrap()
        .remove("parameters");
    // Scopes as a bare string instead of a list.
    paths["/files"]["get"]["security"] =
        serde_json::json!([{ COGNITO_SCHEME: "files/files.read" }]);
    paths["/legacy/{proxy+}"]["x-amazon-apigateway-any-method"]
        .as_object_mut()
        .unwrap()
        .remove("responses");
    let dir = common::scratch("openapi-broken");
    let file = dir.join("broken.yaml");
    fs::write(&file, rolegen::r#gen::cfn::to_yaml(&doc)).unwrap();
    let checked = validate_all(std::slice::from_ref(&file));
    // The findings beside the greedy parameters' (which name `/legacy/{proxy+}` too).
    let errors = checked[&file].plain.join("\n");
    for needle in [
        "'itemId' for 'get' operation",
        "files/files.read",
        "(ANY as trace) paths//legacy/{proxy}/trace: 'responses' is a required property",
    ] {
        assert!(
            errors.contains(needle),
            "no error about {needle}:\n{errors}"
        );
    }
}

/// The generated YAML parsed back into a JSON value (by rolegen's own YAML reader: this is
/// only the starting point of a test, not a check).
fn serde_yaml_via_json(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("generated YAML parses")
}

#[test]
fn output_is_deterministic_and_independent_of_file_order() {
    let text = read("roles.yaml");
    let a = generate(&model_of("a", &text));
    let b = generate(&model_of("b", &text));
    assert_eq!(a, b, "two runs differ");

    // The routes block with its entries in reverse order.
    let (head, routes) = text.split_at(text.find("\nroutes:\n").unwrap() + "\nroutes:\n".len());
    let mut entries: Vec<String> = Vec::new();
    for line in routes.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") {
            entries.push(String::new());
        }
        let e = entries.last_mut().expect("routes start with an entry");
        e.push_str(line);
        e.push('\n');
    }
    assert!(entries.len() > 5);
    entries.reverse();
    let reordered = format!("{head}{}", entries.concat());
    assert_ne!(reordered, text);
    assert_eq!(
        generate(&model_of("c", &reordered)),
        a,
        "route order changed the output"
    );
}

/// The command writes the document where the README says, for either strategy.
#[test]
fn gen_target_openapi_writes_the_document() {
    let dir = common::scratch("openapi-cli");
    let roles = read("roles.yaml");
    for (name, text) in [("scopes", roles.clone()), ("lambda", as_lambda(&roles))] {
        let config = dir.join(format!("{name}.yaml"));
        fs::write(&config, &text).unwrap();
        let out = dir.join(format!("out-{name}"));
        let status = common::rolegen()
            .arg("--config")
            .arg(&config)
            .arg("--out")
            .arg(&out)
            .args(["--quiet", "gen", "--target", "openapi"])
            .status()
            .unwrap();
        assert!(status.success(), "{name}: rolegen gen failed");
        let written = fs::read(out.join("openapi/openapi.yaml")).unwrap();
        assert_eq!(written, generate(&model_of(name, &text)), "{name}");
        let entries: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, ["openapi"], "{name}: only the asked target");
    }
}
