//! `api.definition: body`: the REST API as one OpenAPI `Body`. Read back from the template
//! with the test's own reading of API Gateway's rules, each method's authorization equals the
//! access matrix, computed here from roles.yaml alone (includes closed, "any one scope"), for
//! seeded random roles files of both strategies that API Gateway authorizes (cognito-scopes by
//! scopes, lambda by its authorizer); every declared route is an operation and nothing else
//! is. A handful of resources whatever the size: 2,000 routes fit one template under 1 MB,
//! cfn-lint clean. The deployment's ID follows the body.

mod common;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// A small seeded generator (xorshift), so a failing case can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const VERBS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY"];

/// A random roles file: paths with literals, variables and greedy ends; scopes, public and
/// authenticated routes; groups including others (an acyclic chain).
fn random_roles(seed: u64, strategy: &str, routes: usize, cors: bool) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let scopes: Vec<String> = (0..8).map(|i| format!("s{i}")).collect();
    let mut text = format!(
        "version: 1\napi:\n  name: body-api\n  stage: prod\n  authorizer: {strategy}\n  definition: body\n"
    );
    if cors {
        text.push_str("  cors: {origins: [https://app.example.com]}\n");
    }
    text.push_str(
        "user_pool: {name: body-users}\nresource_server: {identifier: api, name: Body}\nscopes:\n",
    );
    for s in &scopes {
        text.push_str(&format!("  {s}: Scope {s}\n"));
    }
    text.push_str("groups:\n");
    for g in 0..5 {
        let own: Vec<&str> = (0..1 + rng.below(2))
            .map(|_| scopes[rng.below(scopes.len())].as_str())
            .collect();
        text.push_str(&format!("  G{g}:\n    scopes: [{}]\n", own.join(", ")));
        if g > 0 && rng.below(2) == 0 {
            text.push_str(&format!("    includes: [G{}]\n", rng.below(g)));
        }
    }
    text.push_str("routes:\n");
    let mut seen = BTreeSet::new();
    let words = ["orders", "items", "me", "admin", "files", "a", "b"];
    while seen.len() < routes {
        let depth = 1 + rng.below(4);
        let mut path = String::new();
        for d in 0..depth {
            path.push('/');
            // One variable name per depth, as API Gateway wants of siblings.
            match rng.below(5) {
                0 if d > 0 => path.push_str(&format!("{{v{d}}}")),
                _ => path.push_str(words[rng.below(words.len())]),
            }
        }
        // A greedy variable only below `/g`, which nothing else uses.
        if rng.below(6) == 0 {
            path.push_str("/g/{rest+}");
        }
        let verb = VERBS[rng.below(VERBS.len())];
        let key = format!("{verb} {path}");
        if !seen.insert(key.clone()) {
            continue;
        }
        let access = match rng.below(6) {
            0 => "public".to_string(),
            1 => "authenticated".to_string(),
            _ => {
                let n = 1 + rng.below(3);
                let list: BTreeSet<&str> = (0..n)
                    .map(|_| scopes[rng.below(scopes.len())].as_str())
                    .collect();
                format!("[{}]", list.into_iter().collect::<Vec<_>>().join(", "))
            }
        };
        text.push_str(&format!("  {key}: {access}\n"));
    }
    text
}

/// What roles.yaml says, read here: groups' effective scopes and routes' access.
enum Need {
    Public,
    SignedIn,
    Any(BTreeSet<String>),
}

/// Groups' effective scopes, and each (verb, path)'s access.
type Roles = (
    BTreeMap<String, BTreeSet<String>>,
    BTreeMap<(String, String), Need>,
);

/// Each operation's (scheme, scopes), `None` without authorization.
type Operations = BTreeMap<(String, String), Option<(String, BTreeSet<String>)>>;

/// No resource per path or method, and no authorizer outside the document.
fn assert_no_api_tree(t: &Value, seed: u64) {
    for r in t["Resources"].as_object().unwrap().values() {
        let ty = r["Type"].as_str().unwrap();
        assert!(
            !matches!(
                ty,
                "AWS::ApiGateway::Resource"
                    | "AWS::ApiGateway::Method"
                    | "AWS::ApiGateway::Authorizer"
            ),
            "seed {seed}: {ty}"
        );
    }
}

fn read_roles(text: &str) -> Roles {
    let v: Value = serde_saphyr::from_str(text).unwrap();
    let groups = v["groups"].as_object().unwrap();
    let names = |x: &Value| -> Vec<String> {
        x.as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let mut effective = BTreeMap::new();
    for g in groups.keys() {
        let mut todo = vec![g.clone()];
        let mut seen = BTreeSet::new();
        let mut scopes = BTreeSet::new();
        while let Some(x) = todo.pop() {
            if !seen.insert(x.clone()) {
                continue;
            }
            scopes.extend(names(&groups[&x]["scopes"]));
            todo.extend(names(&groups[&x]["includes"]));
        }
        effective.insert(g.clone(), scopes);
    }
    let mut routes = BTreeMap::new();
    for (k, a) in v["routes"].as_object().unwrap() {
        let (verb, path) = k.split_once(' ').unwrap();
        let need = match a {
            Value::String(s) if s == "public" => Need::Public,
            Value::String(s) if s == "authenticated" => Need::SignedIn,
            // The long form (a route with its integration) here only carries scopes.
            Value::Object(long) => Need::Any(names(&long["scopes"]).into_iter().collect()),
            other => Need::Any(names(other).into_iter().collect()),
        };
        routes.insert((verb.to_string(), path.to_string()), need);
    }
    (effective, routes)
}

fn generate(dir: &Path, text: &str) -> Value {
    generate_targets(dir, text, "cfn")
}

/// `rolegen gen --target targets` on `text` in `dir`; the template.
fn generate_targets(dir: &Path, text: &str, targets: &str) -> Value {
    fs::write(dir.join("roles.yaml"), text).unwrap();
    let out = common::rolegen()
        .current_dir(dir)
        .args(["gen", "--target", targets])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_saphyr::from_str(&fs::read_to_string(dir.join("out/cfn/template.yaml")).unwrap()).unwrap()
}

/// The operations of the body: (verb, path) → the security requirement's scheme and scopes
/// (`None`: no authorization).
fn operations(t: &Value) -> Operations {
    document_operations(&t["Resources"]["RestApi"]["Properties"]["Body"])
}

/// The operations of an OpenAPI document as API Gateway imports it.
fn document_operations(body: &Value) -> Operations {
    let mut out = BTreeMap::new();
    for (path, item) in body["paths"].as_object().unwrap() {
        for (key, op) in item.as_object().unwrap() {
            let verb = match key.as_str() {
                "x-amazon-apigateway-any-method" => "ANY".to_string(),
                "parameters" => continue,
                k => k.to_ascii_uppercase(),
            };
            let sec = op["security"]
                .as_array()
                .expect("every operation says its security");
            let auth = match sec.as_slice() {
                [] => None,
                [one] => {
                    let (scheme, scopes) = one.as_object().unwrap().iter().next().unwrap();
                    Some((
                        scheme.clone(),
                        scopes
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| s.as_str().unwrap().to_string())
                            .collect(),
                    ))
                }
                more => panic!("{verb} {path}: {} requirements", more.len()),
            };
            out.insert((verb, path.clone()), auth);
        }
    }
    out
}

#[test]
fn body_authorization_equals_the_matrix() {
    let seeds: u64 = std::env::var("BODY_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let mut lint = Vec::new();
    for seed in 0..seeds {
        for strategy in ["cognito-scopes", "lambda"] {
            let cors = seed % 3 == 0;
            let text = random_roles(seed, strategy, 40, cors);
            let dir = common::scratch("body");
            let t = generate(&dir, &text);
            let (groups, routes) = read_roles(&text);
            let ops = operations(&t);
            assert_no_api_tree(&t, seed);
            assert_matrix(seed, strategy, cors, &groups, &routes, &ops);
            if strategy == "lambda" {
                let scheme = &t["Resources"]["RestApi"]["Properties"]["Body"]["components"]["securitySchemes"]
                    ["LambdaRequestAuthorizer"]["x-amazon-apigateway-authorizer"];
                // The cache key holds the route: an answer is never reused for another route.
                let source = scheme["identitySource"].as_str().unwrap();
                assert!(
                    source.contains("context.httpMethod")
                        && source.contains("context.resourcePath"),
                    "{source}"
                );
                assert!(
                    scheme["authorizerUri"]["Fn::Sub"]
                        .as_str()
                        .unwrap()
                        .contains("${AuthorizerFunction.Arn}")
                );
            }
            if seed < 2 {
                lint.push(dir.join("out/cfn/template.yaml"));
            }
        }
    }
    common::assert_cfn_lint_clean_all(&lint);
}

/// Each declared route is an operation whose authorization lets exactly the matrix through
/// (API Gateway's rules, read here), each path has a preflight with CORS, and nothing else is
/// served.
fn assert_matrix(
    seed: u64,
    strategy: &str,
    cors: bool,
    groups: &BTreeMap<String, BTreeSet<String>>,
    routes: &BTreeMap<(String, String), Need>,
    ops: &Operations,
) {
    let declared: BTreeSet<&(String, String)> = routes.keys().collect();
    let mut served: BTreeSet<&(String, String)> = ops.keys().collect();
    if cors {
        // One preflight per declared path, without authorization.
        let paths: BTreeSet<&String> = routes.keys().map(|(_, p)| p).collect();
        for p in paths {
            let k = ("OPTIONS".to_string(), p.clone());
            assert_eq!(ops.get(&k), Some(&None), "seed {seed}: preflight of {p}");
            served.remove(&k);
        }
    }
    assert_eq!(served, declared, "seed {seed} {strategy}: operations");
    for (key, need) in routes {
        let auth = &ops[key];
        match strategy {
            "cognito-scopes" => {
                // A token of a group carries its effective scopes and, from the
                // pre-token trigger, `api/authenticated`; API Gateway lets it through
                // when it holds any one of the method's scopes.
                for (g, scopes) in groups {
                    let mut token: BTreeSet<String> =
                        scopes.iter().map(|s| format!("api/{s}")).collect();
                    token.insert("api/authenticated".to_string());
                    let expected = match need {
                        Need::Public | Need::SignedIn => true,
                        Need::Any(s) => !s.is_disjoint(scopes),
                    };
                    let got = match auth {
                        None => true,
                        Some((scheme, method_scopes)) => {
                            assert_eq!(scheme, "CognitoUserPool");
                            assert!(
                                !method_scopes.is_empty(),
                                "{key:?}: a method without scopes takes any ID token"
                            );
                            !method_scopes.is_disjoint(&token)
                        }
                    };
                    assert_eq!(got, expected, "seed {seed}: {key:?} for {g}");
                }
                // Without a token only public routes answer.
                assert_eq!(auth.is_none(), matches!(need, Need::Public), "{key:?}");
            }
            _ => {
                // The Lambda authorizer decides; API Gateway only must call it for
                // every route that is not public.
                match (need, auth) {
                    (Need::Public, None) => {}
                    (Need::Public, Some(a)) => panic!("{key:?}: public route behind {a:?}"),
                    (_, Some((scheme, scopes))) => {
                        assert_eq!(scheme, "LambdaRequestAuthorizer");
                        assert!(scopes.is_empty());
                    }
                    (_, None) => panic!("seed {seed}: {key:?} protected, but open"),
                }
            }
        }
    }
}

#[test]
fn the_deployment_follows_the_body() {
    let deployment = |t: &Value| -> String {
        t["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .find(|k| k.starts_with("Deployment"))
            .unwrap()
            .clone()
    };
    let text = random_roles(99, "cognito-scopes", 20, false);
    let dir = common::scratch("body-deploy");
    let a = generate(&dir, &text);
    let same = generate(&dir, &text.replace("Scope s0", "Scope zero"));
    let line = text
        .lines()
        .find(|l| l.ends_with(": [s1]") || l.contains("[s1,"))
        .map(str::to_string);
    let b = match line {
        Some(l) => generate(&dir, &text.replace(&l, &l.replace("s1", "s2"))),
        None => generate(&dir, &format!("{text}  GET /zzz: [s1]\n")),
    };
    assert_eq!(
        deployment(&a),
        deployment(&same),
        "a scope's description is not the API"
    );
    assert_ne!(deployment(&a), deployment(&b), "a route's scopes are");
    assert_eq!(
        a["Resources"][deployment(&a)]["Properties"]["RestApiId"]["Ref"],
        "RestApi"
    );
    assert_eq!(a["Resources"]["RestApi"]["Properties"]["Mode"], "overwrite");
    assert_eq!(
        a["Resources"]["RestApi"]["Properties"]["FailOnWarnings"],
        true
    );
}

/// 2,000 routes from one template: a handful of resources, under CloudFormation's 1 MB,
/// cfn-lint clean. (Without CORS: a preflight and the origin template on every mock answer
/// take about 1 KB per path, so 2,000 routes with CORS are past 1 MB.)
#[test]
fn two_thousand_routes_fit_one_template() {
    let mut lint = Vec::new();
    for strategy in ["cognito-scopes", "lambda"] {
        let text = random_roles(2000, strategy, 2000, false);
        let dir = common::scratch("body-2000");
        let t = generate(&dir, &text);
        let path = dir.join("out/cfn/template.yaml");
        let size = fs::metadata(&path).unwrap().len();
        assert!(size < 1_000_000, "{strategy}: {size} bytes");
        let resources = t["Resources"].as_object().unwrap().len();
        assert!(resources < 30, "{strategy}: {resources} resources");
        assert_eq!(operations(&t).len(), 2000);
        lint.push(path);
    }
    common::assert_cfn_lint_clean_all(&lint);
}

// `api.definition: package`: the document travels beside the template and a function puts it
// into the API with the deploy-time ARNs filled in. The function runs under node with the AWS
// SDK it pins, against a stand-in for API Gateway and CloudFormation's response URL
// (tests/api_body/driver.mjs); what it puts must be exactly the Body that `definition: body`
// writes, resolved the way CloudFormation would resolve it (below, with made-up ARNs).

const PARTITION: &str = "aws";
const REGION: &str = "eu-west-1";
const POOL_ARN: &str = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Test";
const AUTHORIZER_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer";
const REST_API_ID: &str = "abc123";

fn param_arn(p: &str) -> String {
    format!("arn:aws:lambda:eu-west-1:123456789012:function:{p}")
}

/// CloudFormation's `Ref`, `Fn::GetAtt` and `Fn::Sub`, for the names rolegen's API uses,
/// resolved to the stand-ins above: pseudo parameters, the template's own parameters (the
/// existing pool's ARN, Lambda integrations' function ARNs) and the attributes the API needs.
/// Anything else (a `Ref` to the pool's id, say) is a test failure.
struct Resolver {
    params: BTreeSet<String>,
}

impl Resolver {
    fn of(template: &Value) -> Resolver {
        Resolver {
            params: template["Parameters"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default(),
        }
    }

    fn name(&self, n: &str) -> String {
        match n {
            "AWS::Partition" => PARTITION.into(),
            "AWS::Region" => REGION.into(),
            "RestApi" => REST_API_ID.into(),
            "UserPool.Arn" => POOL_ARN.into(),
            "UserPoolArn" if self.params.contains(n) => POOL_ARN.into(),
            "AuthorizerFunction.Arn" => AUTHORIZER_ARN.into(),
            "ApiBodyFunction.Arn" => {
                "arn:aws:lambda:eu-west-1:123456789012:function:api-body".into()
            }
            p if self.params.contains(p) => param_arn(p),
            other => panic!("unexpected reference {other}"),
        }
    }

    fn resolve(&self, v: &Value) -> Value {
        match v {
            Value::Object(m) if m.len() == 1 && m.contains_key("Ref") => {
                Value::String(self.name(m["Ref"].as_str().unwrap()))
            }
            Value::Object(m) if m.len() == 1 && m.contains_key("Fn::GetAtt") => {
                let a = m["Fn::GetAtt"].as_array().unwrap();
                Value::String(self.name(&format!(
                    "{}.{}",
                    a[0].as_str().unwrap(),
                    a[1].as_str().unwrap()
                )))
            }
            Value::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => {
                let mut rest = m["Fn::Sub"].as_str().unwrap();
                let mut out = String::new();
                while let Some(i) = rest.find("${") {
                    out.push_str(&rest[..i]);
                    let end = rest[i..].find('}').unwrap() + i;
                    out.push_str(&self.name(&rest[i + 2..end]));
                    rest = &rest[end + 1..];
                }
                out.push_str(rest);
                Value::String(out)
            }
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.resolve(v)).collect()),
            other => other.clone(),
        }
    }
}

/// A random file with some routes on Lambda integrations, and an API description that holds
/// placeholder-looking text (which must reach API Gateway as written).
fn random_with_integrations(seed: u64, strategy: &str, routes: usize, cors: bool) -> String {
    let text = random_roles(seed, strategy, routes, cors).replace(
        "  name: body-api\n",
        "  name: body-api\n  description: \"Runs in ${AWS_REGION}, see ${USER_POOL_ARN}\"\n",
    );
    let mut out = String::new();
    let mut in_routes = false;
    for (i, line) in text.lines().enumerate() {
        in_routes |= line == "routes:";
        match line.split_once(": [") {
            Some((key, scopes)) if in_routes && i % 4 == 0 => out.push_str(&format!(
                "{key}:\n    scopes: [{scopes}\n    integration: {{lambda: Fn{}}}\n",
                i % 3
            )),
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// [`random_with_integrations`] as `api.definition: package`.
fn package_roles(seed: u64, strategy: &str, routes: usize, cors: bool) -> String {
    random_with_integrations(seed, strategy, routes, cors)
        .replace("definition: body", "definition: package")
}

/// What the stand-ins saw when the function ran once with `event`.
fn run_function(out_dir: &Path, event: &Value, mode: &str) -> Vec<Value> {
    run_function_for(out_dir, event, mode, 60_000)
}

/// [`run_function`] with `remaining` milliseconds left to the function's run.
fn run_function_for(out_dir: &Path, event: &Value, mode: &str, remaining: u32) -> Vec<Value> {
    let run = common::scratch("api-body-run");
    let code = run.join("code");
    fs::create_dir_all(&code).unwrap();
    for f in ["index.mjs", "body.json", "package.json"] {
        fs::copy(out_dir.join("cfn/api-body").join(f), code.join(f)).unwrap();
    }
    std::os::unix::fs::symlink(
        common::node_modules().join("node_modules"),
        code.join("node_modules"),
    )
    .unwrap();
    fs::write(run.join("event.json"), event.to_string()).unwrap();
    let out = std::process::Command::new("node")
        .arg(common::repo().join("tests/api_body/driver.mjs"))
        .arg(&code)
        .arg(run.join("event.json"))
        .arg(mode)
        .arg(remaining.to_string())
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "driver: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn event(request: &str, template: &Value) -> Value {
    serde_json::json!({
        "RequestType": request,
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:api-body",
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
        "RequestId": "r-1",
        "LogicalResourceId": "ApiBody",
        "ResourceType": "Custom::RolegenApiBody",
        "ResourceProperties": Resolver::of(template).resolve(&template["Resources"]["ApiBody"]["Properties"]),
    })
}

/// The document without `info.version` (a hash of the document as written, placeholders or
/// intrinsics).
fn without_version(mut doc: Value) -> Value {
    doc["info"].as_object_mut().unwrap().remove("version");
    doc
}

fn cfn_response(r: &Value) -> Value {
    assert_eq!(r["method"], "PUT");
    assert!(
        r["url"]
            .as_str()
            .unwrap()
            .starts_with("/cloudformation-response?"),
        "{r}"
    );
    // The presigned URL is signed without a content type.
    assert_eq!(r["headers"]["content-type"], "", "{r}");
    serde_json::from_str(r["body"].as_str().unwrap()).unwrap()
}

/// CloudFormation's one answer among what the stand-ins saw.
fn answer_of(seen: &[Value]) -> Value {
    let answers: Vec<&Value> = seen
        .iter()
        .filter(|r| {
            r["url"]
                .as_str()
                .unwrap()
                .starts_with("/cloudformation-response")
        })
        .collect();
    assert_eq!(answers.len(), 1, "{seen:#?}");
    cfn_response(answers[0])
}

/// The function answered FAILED with a reason that says `why`.
fn assert_failed(seen: &[Value], why: &str) {
    let answer = answer_of(seen);
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(answer["Reason"].as_str().unwrap().contains(why), "{answer}");
}

#[test]
fn package_puts_the_document_body_mode_would() {
    let seeds: u64 = std::env::var("BODY_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let mut lint = Vec::new();
    for seed in 0..seeds {
        for strategy in ["cognito-scopes", "lambda", "verified-permissions"] {
            let cors = seed % 3 == 1;
            let text = random_with_integrations(seed, strategy, 40, cors);
            let body_dir = common::scratch("package-vs-body");
            let inline = generate(&body_dir, &text);
            let dir = common::scratch("package");
            let t = generate(
                &dir,
                &text.replace("definition: body", "definition: package"),
            );

            // The template: no document, no resource per path, the document put before the
            // deployment's snapshot.
            let resources = t["Resources"].as_object().unwrap();
            let api = &resources["RestApi"]["Properties"];
            assert!(api.get("Body").is_none() && api.get("BodyS3Location").is_none());
            assert_no_api_tree(&t, seed);
            let (deployment, d) = resources
                .iter()
                .find(|(k, _)| k.starts_with("Deployment"))
                .unwrap();
            assert_eq!(
                d["DependsOn"],
                serde_json::json!(["ApiBody"]),
                "{deployment}"
            );
            assert_eq!(
                resources["ApiBody"]["Properties"]["ServiceToken"]["Fn::GetAtt"],
                serde_json::json!(["ApiBodyFunction", "Arn"])
            );
            assert_eq!(
                resources["ApiBodyFunction"]["Properties"]["Code"], "api-body",
                "the folder beside the template, for `aws cloudformation package`"
            );

            let seen = run_function(&dir.join("out"), &event("Create", &t), "ok");
            assert_eq!(seen.len(), 2, "seed {seed}: {seen:#?}");
            let put = &seen[0];
            assert_eq!(put["method"], "PUT");
            let (path, query) = put["url"].as_str().unwrap().split_once('?').unwrap();
            assert_eq!(path, format!("/restapis/{REST_API_ID}"));
            let mut query: Vec<&str> = query.split('&').collect();
            query.sort_unstable();
            assert_eq!(query, ["failonwarnings=true", "mode=overwrite"]);
            let document: Value = serde_json::from_str(put["body"].as_str().unwrap()).unwrap();
            let expected = Resolver::of(&inline)
                .resolve(&inline["Resources"]["RestApi"]["Properties"]["Body"]);
            assert_eq!(
                without_version(document.clone()),
                without_version(expected),
                "seed {seed} {strategy}: the document put differs from the Body"
            );
            assert_eq!(
                document["info"]["description"], "Runs in ${AWS_REGION}, see ${USER_POOL_ARN}",
                "text outside the ARN fields is never rewritten"
            );
            // The authorizer names the pool, or the authorizer function, CloudFormation made.
            let schemes = &document["components"]["securitySchemes"];
            match strategy {
                "cognito-scopes" => assert_eq!(
                    schemes["CognitoUserPool"]["x-amazon-apigateway-authorizer"]["providerARNs"],
                    serde_json::json!([POOL_ARN])
                ),
                _ => assert_eq!(
                    schemes["LambdaRequestAuthorizer"]["x-amazon-apigateway-authorizer"]["authorizerUri"],
                    format!(
                        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{AUTHORIZER_ARN}/invocations"
                    )
                ),
            }
            // The role may put this one API's definition, and do nothing else.
            let role = &resources["ApiBodyFunctionRole"]["Properties"]["Policies"];
            assert_eq!(role.as_array().unwrap().len(), 1);
            let statements = role[0]["PolicyDocument"]["Statement"].as_array().unwrap();
            assert_eq!(statements.len(), 1);
            assert_eq!(statements[0]["Effect"], "Allow");
            assert_eq!(statements[0]["Action"], "apigateway:PUT");
            assert_eq!(
                Resolver::of(&t).resolve(&statements[0]["Resource"]),
                format!("arn:aws:apigateway:eu-west-1::/restapis/{REST_API_ID}")
            );
            // Never retried behind CloudFormation's back.
            let retry = resources
                .values()
                .find(|r| r["Type"] == "AWS::Lambda::EventInvokeConfig")
                .expect("an invoke config");
            assert_eq!(
                retry["Properties"]["FunctionName"]["Ref"],
                "ApiBodyFunction"
            );
            assert_eq!(retry["Properties"]["MaximumRetryAttempts"], 0);
            // And read on its own, it authorizes exactly the matrix.
            let (groups, routes) = read_roles(&text);
            assert_matrix(
                seed,
                strategy,
                cors,
                &groups,
                &routes,
                &document_operations(&document),
            );
            let answer = cfn_response(&seen[1]);
            assert_eq!(answer["Status"], "SUCCESS", "{answer}");
            assert_eq!(
                answer["PhysicalResourceId"],
                format!("{REST_API_ID}-definition")
            );
            assert_eq!(answer["LogicalResourceId"], "ApiBody");
            assert_eq!(answer["RequestId"], "r-1");
            if seed < 2 {
                lint.push(dir.join("out/cfn/template.yaml"));
            }
        }
    }
    common::assert_cfn_lint_clean_all(&lint);
}

/// The packaged document is the `openapi` target's document (which tests/openapi.rs validates),
/// in JSON: the same placeholders, paths, preflights and extensions.
#[test]
fn package_document_is_the_openapi_file() {
    let text = package_roles(5, "lambda", 40, true);
    let dir = common::scratch("package-openapi");
    generate_targets(&dir, &text, "cfn,openapi");
    let json: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("out/cfn/api-body/body.json")).unwrap())
            .unwrap();
    let yaml: Value =
        serde_saphyr::from_str(&fs::read_to_string(dir.join("out/openapi/openapi.yaml")).unwrap())
            .unwrap();
    assert!(json["paths"].as_object().unwrap().len() > 10);
    assert_eq!(without_version(json), without_version(yaml));
}

/// The client the tests run the function with is the one its lock file pins, hash for hash.
#[test]
fn package_lock_pins_the_tested_client() {
    let text =
        random_roles(3, "lambda", 5, false).replace("definition: body", "definition: package");
    let dir = common::scratch("package-lock");
    generate(&dir, &text);
    let read = |p: &Path| -> Value { serde_json::from_slice(&fs::read(p).unwrap()).unwrap() };
    let pkg = read(&dir.join("out/cfn/api-body/package.json"));
    let lock = read(&dir.join("out/cfn/api-body/package-lock.json"));
    let installed = read(&common::node_modules().join("node_modules/.package-lock.json"));
    let name = "node_modules/@aws-sdk/client-api-gateway";
    let tested = common::NPM_PACKAGES
        .iter()
        .find_map(|p| p.strip_prefix("@aws-sdk/client-api-gateway@"))
        .expect("tests install the client");
    assert_eq!(pkg["dependencies"]["@aws-sdk/client-api-gateway"], tested);
    assert_eq!(lock["packages"][""]["dependencies"], pkg["dependencies"]);
    assert_eq!(lock["packages"][name]["version"], tested);
    assert_eq!(
        lock["packages"][name]["integrity"],
        installed["packages"][name]["integrity"]
    );
}

/// The function answers CloudFormation in every case, and never puts a document with a value
/// missing; values are data (JSON-escaped), never text pasted into the document.
#[test]
fn package_function_fails_closed() {
    let text = package_roles(7, "lambda", 30, false);
    let dir = common::scratch("package-fails");
    let t = generate(&dir, &text);
    let out = dir.join("out");
    let puts = |seen: &[Value]| {
        seen.iter()
            .filter(|r| r["url"].as_str().unwrap().starts_with("/restapis/"))
            .count()
    };

    // A value CloudFormation did not pass: nothing is put, the stack fails.
    let mut e = event("Create", &t);
    e["ResourceProperties"]["Values"]
        .as_object_mut()
        .unwrap()
        .remove("AUTHORIZER_FUNCTION_ARN");
    let seen = run_function(&out, &e, "ok");
    assert_eq!(puts(&seen), 0, "{seen:#?}");
    assert_failed(&seen, "AUTHORIZER_FUNCTION_ARN");

    // API Gateway refuses the document: the stack fails with its reason.
    let mut e = event("Update", &t);
    e["PhysicalResourceId"] = "abc123-definition".into();
    e["OldResourceProperties"] = e["ResourceProperties"].clone();
    let seen = run_function(&out, &e, "reject");
    assert_eq!(puts(&seen), 1);
    assert_failed(&seen, "Errors found during import");

    // An update's rollback that runs this (new) code with the old properties: the request
    // names the previous document, the code holds the new one. Nothing is put; the stage goes
    // back to the old snapshot.
    let mut e = event("Update", &t);
    e["PhysicalResourceId"] = "abc123-definition".into();
    e["OldResourceProperties"] = e["ResourceProperties"].clone();
    e["ResourceProperties"]["BodySha256"] = "0".repeat(64).into();
    let seen = run_function(&out, &e, "ok");
    assert_eq!(puts(&seen), 0, "{seen:#?}");
    let answer = answer_of(&seen);
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], "abc123-definition");
    // A request for a document this code does not hold, old or new: nothing is put.
    e["OldResourceProperties"]["BodySha256"] = "1".repeat(64).into();
    let seen = run_function(&out, &e, "ok");
    assert_eq!(puts(&seen), 0, "{seen:#?}");
    assert_eq!(answer_of(&seen)["Status"], "FAILED");

    // API Gateway never answers: CloudFormation hears FAILED before the function is stopped,
    // and the function ends (it is not left running into a retry).
    let seen = run_function_for(&out, &event("Create", &t), "hang", 8_000);
    assert!(puts(&seen) <= 1);
    assert_failed(&seen, "timed out");

    // Delete leaves the API alone (CloudFormation owns it) and keeps the physical id.
    let mut e = event("Delete", &t);
    e["PhysicalResourceId"] = "abc123-definition".into();
    let seen = run_function(&out, &e, "ok");
    assert_eq!(puts(&seen), 0);
    let answer = answer_of(&seen);
    assert_eq!(answer["Status"], "SUCCESS");
    assert_eq!(answer["PhysicalResourceId"], "abc123-definition");

    // A value with quotes, backslashes and markup stays one JSON string.
    let odd = "arn:aws:lambda:eu-west-1:1:function:a\"b\\c</script>\u{2028}é";
    let mut e = event("Create", &t);
    for (_, v) in e["ResourceProperties"]["Values"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
        .filter(|(k, _)| k.starts_with("Fn"))
    {
        *v = odd.into();
    }
    let seen = run_function(&out, &e, "ok");
    let document: Value = serde_json::from_str(seen[0]["body"].as_str().unwrap()).unwrap();
    let uris: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["x-amazon-apigateway-integration"]["uri"].as_str())
        .filter(|u| u.contains("function:a\""))
        .collect();
    assert!(!uris.is_empty());
    for u in uris {
        assert_eq!(
            u,
            format!(
                "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{odd}/invocations"
            )
        );
    }
}

/// Past 1 MB: 5,000 routes deploy from one template of a few kilobytes, the document within
/// API Gateway's 6 MB; 2,000 routes with CORS, too large for a Body, fit as a package, and
/// the Body mode's size error says so.
#[test]
fn five_thousand_routes_as_a_package() {
    let mut lint = Vec::new();
    for (strategy, routes, cors) in [
        ("lambda", 5000, false),
        ("cognito-scopes", 5000, false),
        ("cognito-scopes", 2000, true),
    ] {
        let text = random_roles(5000 + routes as u64, strategy, routes, cors);
        if cors {
            let dir = common::scratch("body-too-big");
            fs::write(dir.join("roles.yaml"), &text).unwrap();
            let out = common::rolegen()
                .current_dir(&dir)
                .args(["gen", "--target", "cfn"])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{stderr}");
            assert!(
                stderr.contains("over CloudFormation's limit of 1000000 bytes")
                    && stderr.contains("api.definition: package"),
                "{stderr}"
            );
        }
        let dir = common::scratch("package-5000");
        let t = generate(
            &dir,
            &text.replace("definition: body", "definition: package"),
        );
        let template = dir.join("out/cfn/template.yaml");
        let size = fs::metadata(&template).unwrap().len();
        assert!(size < 60_000, "{strategy} {routes}: template {size} bytes");
        let resources = t["Resources"].as_object().unwrap().len();
        assert!(resources < 40, "{strategy}: {resources} resources");
        let body = fs::read_to_string(dir.join("out/cfn/api-body/body.json")).unwrap();
        // The sizes README quotes for these files (about 370 bytes a route, 1.4 KB with CORS).
        let limit = if cors { 3_200_000 } else { 2_100_000 };
        assert!(
            body.len() < limit,
            "{strategy} {routes}: body {} bytes",
            body.len()
        );
        let document: Value = serde_json::from_str(&body).unwrap();
        let ops = document_operations(&document);
        let preflights = ops.keys().filter(|(v, _)| v == "OPTIONS").count();
        assert_eq!(ops.len() - if cors { preflights } else { 0 }, routes);
        lint.push(template);
    }
    common::assert_cfn_lint_clean_all(&lint);
}

/// `drift` follows the package function to its document: the template as written has no
/// finding; a document changed behind rolegen's back is found; once `package` moved the code
/// to S3, the routes count as not compared (never as missing or as matching).
#[test]
fn drift_reads_the_packaged_document() {
    let text = package_roles(11, "cognito-scopes", 30, true);
    let dir = common::scratch("package-drift");
    generate(&dir, &text);
    let drift = |api: &str| {
        common::rolegen()
            .current_dir(&dir)
            .args(["drift", "--api", api, "--format", "json"])
            .output()
            .unwrap()
    };
    let out = drift("out/cfn/template.yaml");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");

    // One protected operation opened in the document.
    let path = dir.join("out/cfn/api-body/body.json");
    let mut document: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let opened = document["paths"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .flat_map(|item| item.as_object_mut().unwrap().values_mut())
        .find(|op| op["security"].as_array().is_some_and(|s| !s.is_empty()))
        .unwrap();
    opened["security"] = serde_json::json!([]);
    fs::write(&path, document.to_string()).unwrap();
    let out = drift("out/cfn/template.yaml");
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["RG102"], "{report}");

    // After `aws cloudformation package`: the code is in S3.
    let template = fs::read_to_string(dir.join("out/cfn/template.yaml")).unwrap();
    assert!(template.contains("Code: api-body\n"));
    fs::write(
        dir.join("out/cfn/packaged.yaml"),
        template.replace(
            "Code: api-body\n",
            "Code:\n        S3Bucket: artifacts\n        S3Key: 0123abcd\n",
        ),
    )
    .unwrap();
    let out = drift("out/cfn/packaged.yaml");
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"RG109"), "{report}");
    assert!(
        !codes.contains(&"RG107"),
        "not compared is not missing: {report}"
    );
}
