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
            other => Need::Any(names(other).into_iter().collect()),
        };
        routes.insert((verb.to_string(), path.to_string()), need);
    }
    (effective, routes)
}

fn generate(dir: &Path, text: &str) -> Value {
    fs::write(dir.join("roles.yaml"), text).unwrap();
    let out = common::rolegen()
        .current_dir(dir)
        .args(["gen", "--target", "cfn"])
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
    let body = &t["Resources"]["RestApi"]["Properties"]["Body"];
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
            // No resource per path or method.
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
            for (key, need) in &routes {
                let auth = &ops[key];
                match strategy {
                    "cognito-scopes" => {
                        // A token of a group carries its effective scopes and, from the
                        // pre-token trigger, `api/authenticated`; API Gateway lets it through
                        // when it holds any one of the method's scopes.
                        for (g, scopes) in &groups {
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
