//! The `lambda` strategy's authorizer, checked against outside truth: the generated handler
//! runs under `node` with the real `aws-jwt-verify` against tokens signed here; every policy
//! it returns is evaluated with IAM's rules (written here, independent of the generator) for
//! concrete requests to every declared route, and must decide exactly as the access matrix
//! does, for no group, every group and every pair of groups. Bad tokens get 401. Hostile
//! group names reach the code as data. The CloudFormation for the strategy passes cfn-lint.

mod common;

use rolegen::r#gen::{Files, Target, authorizer, cfn};
use rolegen::model::{Access, GroupId, Method, Model, Route, RouteId, Segment};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const POOL: &str = "us-east-1_TestPool1";
const CLIENT: &str = "testclient0123456789";
const ARN_HEAD: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";

/// Fixtures that must generate (in tests/fixtures/lambda/).
const FIXTURES: &[&str] = &["orders", "trap", "hostile", "routes300"];
/// Fixtures small enough for golden files and for trying every var value we can think of.
const SMALL: &[&str] = &["orders", "trap", "hostile"];

struct Fixture {
    name: String,
    model: Model,
    table: authorizer::Table,
    files: Files,
}

fn load(name: &str) -> Model {
    let path = common::repo().join(format!("tests/fixtures/lambda/{name}.yaml"));
    let loaded = rolegen::cmd::load_file(&path).expect("read fixture");
    let errors: Vec<_> = loaded.diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
    loaded.model.expect("model")
}

fn fixture(name: &str, model: Model) -> Fixture {
    let table = authorizer::Table::new(&model);
    let files = authorizer::generate_from(&model, &table)
        .unwrap_or_else(|e| panic!("{name}: authorizer refused: {e:#?}"));
    Fixture {
        name: name.to_string(),
        model,
        table,
        files,
    }
}

/// Generated once per test process (the 300-route one takes a moment in a debug build).
fn fixtures() -> &'static [Fixture] {
    static ALL: OnceLock<Vec<Fixture>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<Fixture> = FIXTURES.iter().map(|n| fixture(n, load(n))).collect();
        all.push(fixture("hostile_raw", hostile_raw()));
        all
    })
}

/// The hostile fixture with group names no roles.yaml may hold (a newline, a line separator,
/// a NUL), put into the model directly: the generator must not rely on validation to keep
/// names out of the code.
fn hostile_raw() -> Model {
    let mut model = load("hostile");
    let names = [
        "line\nbreak",
        "sep\u{2028}arator",
        "nul\u{0}byte",
        "quote\"back\\slash'tick`${x}",
        "</script><!--",
    ];
    for (g, name) in model.groups.iter_mut().zip(names) {
        g.name = name.to_string();
    }
    model
}

// ---------------------------------------------------------------------------------------------
// IAM and API Gateway, as the tests understand them (independent of the generator).
// ---------------------------------------------------------------------------------------------

/// IAM's resource matching: `*` any run of characters, `?` exactly one, `/` included.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            back = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if let Some((bp, bs)) = back {
            pi = bp + 1;
            si = bs + 1;
            back = Some((bp, bs + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// An authorizer's policy document, ready to evaluate for `execute-api:Invoke`.
struct Evaluator {
    /// (is Deny, resource pattern).
    rules: Vec<(bool, String)>,
    /// The same, with `prefix` taken off the patterns that start with it (for speed: probes
    /// all start with it too).
    prefix: String,
    short: Vec<(bool, Option<String>)>,
}

impl Evaluator {
    fn new(doc: &Value, prefix: &str) -> Evaluator {
        assert_eq!(doc["Version"], "2012-10-17");
        let mut rules = Vec::new();
        for st in doc["Statement"].as_array().expect("Statement array") {
            assert_eq!(st["Action"], "execute-api:Invoke", "{st}");
            let deny = match st["Effect"].as_str() {
                Some("Deny") => true,
                Some("Allow") => false,
                other => panic!("bad Effect {other:?}"),
            };
            match &st["Resource"] {
                Value::String(s) => rules.push((deny, s.clone())),
                Value::Array(a) => {
                    for v in a {
                        rules.push((deny, v.as_str().expect("string").to_string()));
                    }
                }
                other => panic!("bad Resource {other}"),
            }
        }
        let short = rules
            .iter()
            .map(|(d, r)| (*d, r.strip_prefix(prefix).map(String::from)))
            .collect();
        Evaluator {
            rules,
            prefix: prefix.to_string(),
            short,
        }
    }

    /// An explicit Deny wins, then an Allow, else the default deny.
    fn allows(&self, arn: &str) -> bool {
        let mut allowed = false;
        for (deny, pattern) in &self.rules {
            if glob(pattern.as_bytes(), arn.as_bytes()) {
                if *deny {
                    return false;
                }
                allowed = true;
            }
        }
        allowed
    }

    /// `allows(prefix + rest)`, faster.
    fn allows_rest(&self, rest: &str) -> bool {
        let mut allowed = false;
        for ((deny, full), (_, short)) in self.rules.iter().zip(&self.short) {
            let hit = match short {
                Some(p) => glob(p.as_bytes(), rest.as_bytes()),
                None => glob(full.as_bytes(), format!("{}{rest}", self.prefix).as_bytes()),
            };
            if hit {
                if *deny {
                    return false;
                }
                allowed = true;
            }
        }
        allowed
    }
}

/// A concrete request: verb and path segments.
#[derive(Clone, Debug)]
struct Request {
    verb: String,
    segments: Vec<String>,
}

impl Request {
    fn arn(&self, stage: &str) -> String {
        format!(
            "{ARN_HEAD}/{stage}/{}/{}",
            self.verb,
            self.segments.join("/")
        )
    }
}

fn route_matches(route: &Route, req: &Request) -> bool {
    if route.method != Method::Any && route.method.as_str() != req.verb {
        return false;
    }
    let segs = &route.path.segments;
    let mut i = 0;
    for (k, s) in segs.iter().enumerate() {
        match s {
            Segment::Literal(l) => {
                if req.segments.get(i) != Some(l) {
                    return false;
                }
                i += 1;
            }
            Segment::Var(_) => {
                if req.segments.get(i).is_none_or(|v| v.is_empty()) {
                    return false;
                }
                i += 1;
            }
            Segment::Greedy(_) => {
                assert_eq!(k + 1, segs.len());
                return req.segments.len() > i;
            }
        }
    }
    i == req.segments.len()
}

/// The route API Gateway sends a request to: the most specific one that matches (at the
/// first segment where paths differ in kind, a literal beats `{var}` beats `{var+}`; on one
/// resource a method beats `ANY`).
fn dispatch(model: &Model, req: &Request) -> Option<RouteId> {
    let rank = |s: &Segment| match s {
        Segment::Literal(_) => 2,
        Segment::Var(_) => 1,
        Segment::Greedy(_) => 0,
    };
    let key = |r: &Route| {
        let mut k: Vec<u8> = r.path.segments.iter().map(rank).collect();
        k.push(if r.method == Method::Any { 0 } else { 1 });
        k
    };
    model
        .route_ids()
        .filter(|r| route_matches(model.route(*r), req))
        .max_by(|a, b| key(model.route(*a)).cmp(&key(model.route(*b))))
}

/// Concrete requests for a route: every variable `v1`, then one variable at a time set to
/// each of `words` (the API's own path words: where `*` crossing `/` bites), greedy values
/// of several segments; for `ANY`, several verbs.
fn requests(route: &Route, words: &[String]) -> Vec<Request> {
    let verbs: Vec<&str> = if route.method == Method::Any {
        vec!["GET", "POST", "DELETE", "OPTIONS", "PATCH"]
    } else {
        vec![route.method.as_str()]
    };
    let base: Vec<String> = route
        .path
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => l.clone(),
            Segment::Var(_) => "v1".into(),
            Segment::Greedy(_) => "a/b/c".into(),
        })
        .collect();
    let mut paths = vec![base.clone()];
    for (i, s) in route.path.segments.iter().enumerate() {
        if !s.is_variable() {
            continue;
        }
        let mut values: Vec<String> = words.to_vec();
        if matches!(s, Segment::Greedy(_)) {
            values.push("v1".into());
            for w in words {
                values.push(format!("x/{w}"));
                values.push(format!("{w}/x/y"));
            }
        }
        for v in values {
            let mut p = base.clone();
            p[i] = v;
            paths.push(p);
        }
    }
    let mut out = Vec::new();
    for verb in verbs {
        for p in &paths {
            out.push(Request {
                verb: verb.to_string(),
                segments: p
                    .iter()
                    .flat_map(|s| s.split('/'))
                    .map(String::from)
                    .collect(),
            });
        }
    }
    out
}

/// The literal path words that follow a variable somewhere: the values a variable can take
/// to make one route's request look like another's under `*`.
fn path_words(model: &Model) -> Vec<String> {
    let mut set: BTreeSet<String> = BTreeSet::new();
    for r in &model.routes {
        let segs = &r.path.segments;
        for (i, s) in segs.iter().enumerate() {
            if let Segment::Literal(l) = s
                && (i == 0
                    || segs[..i].iter().any(Segment::is_variable)
                    || model.routes.len() < 100)
            {
                set.insert(l.clone());
            }
        }
    }
    set.into_iter().collect()
}

/// No group, every group, every pair.
fn combos(model: &Model) -> Vec<Vec<GroupId>> {
    let g: Vec<GroupId> = model.group_ids().collect();
    let mut out = vec![Vec::new()];
    out.extend(g.iter().map(|x| vec![*x]));
    for (i, a) in g.iter().enumerate() {
        for b in &g[i + 1..] {
            out.push(vec![*a, *b]);
        }
    }
    out
}

fn protected(model: &Model, r: RouteId) -> bool {
    matches!(model.route(r).access, Access::AnyOf(_))
}

// ---------------------------------------------------------------------------------------------
// Running the handlers under node.
// ---------------------------------------------------------------------------------------------

const DRIVER: &str = r#"
import { generateKeyPairSync, createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
process.env.USER_POOL_ID = spec.pool;
process.env.CLIENT_ID = spec.client;
const region = spec.pool.split("_")[0];
const issuer = `https://cognito-idp.${region}.amazonaws.com/${spec.pool}`;

const good = generateKeyPairSync("rsa", { modulusLength: 2048 });
const evil = generateKeyPairSync("rsa", { modulusLength: 2048 });
const kid = "rolegen-test-key";
const jwks = { keys: [{ ...good.publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] };
const now = Math.floor(Date.now() / 1000);
const b64 = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
const sign = (header, claims, key) => {
  const data = `${b64(header)}.${b64(claims)}`;
  return `${data}.${createSign("RSA-SHA256").update(data).sign(key).toString("base64url")}`;
};
const idClaims = (t) => {
  const c = {
    sub: "sub-123", iss: issuer, aud: spec.client, token_use: "id", auth_time: now, iat: now,
    exp: now + 3600, "cognito:username": "alice", email: "alice@example.com",
  };
  if ("groups" in t) c["cognito:groups"] = t.groups;
  return c;
};
const header = { alg: "RS256", kid, typ: "JWT" };
function token(t) {
  const c = idClaims(t);
  switch (t.kind) {
    case "valid": return "Bearer " + sign(header, c, good.privateKey);
    case "bare": return sign(header, c, good.privateKey);
    case "lowercase-bearer": return "bearer " + sign(header, c, good.privateKey);
    case "missing": return undefined;
    case "empty": return "";
    case "malformed": return "Bearer not-a-jwt";
    case "three-garbage-parts": return "Bearer aaaa.bbbb.cccc";
    case "expired": return "Bearer " + sign(header, { ...c, iat: now - 7200, auth_time: now - 7200, exp: now - 3600 }, good.privateKey);
    case "wrong-signature": return "Bearer " + sign(header, c, evil.privateKey);
    case "tampered": {
      const [h, , s] = sign(header, c, good.privateKey).split(".");
      return `Bearer ${h}.${b64({ ...c, "cognito:groups": t.tamper })}.${s}`;
    }
    case "wrong-issuer": return "Bearer " + sign(header, { ...c, iss: `https://cognito-idp.${region}.amazonaws.com/${region}_OtherPool` }, good.privateKey);
    case "wrong-client": return "Bearer " + sign(header, { ...c, aud: "someotherclient" }, good.privateKey);
    case "access-token": {
      const a = { ...c, token_use: "access", client_id: spec.client, scope: "openid" };
      delete a.aud;
      return "Bearer " + sign(header, a, good.privateKey);
    }
    case "alg-none": return `Bearer ${b64({ alg: "none", kid, typ: "JWT" })}.${b64(c)}.`;
    case "hs256": {
      const data = `${b64({ alg: "HS256", kid, typ: "JWT" })}.${b64(c)}`;
      return `Bearer ${data}.${b64("x")}`;
    }
    default: throw new Error("unknown token kind " + t.kind);
  }
}

const out = {};
for (const fx of spec.fixtures) {
  const mod = await import(pathToFileURL(fx.handler).href);
  mod.verifier.cacheJwks(jwks);
  const results = [];
  for (const c of fx.cases) {
    const event = { type: "TOKEN", methodArn: c.methodArn };
    const tok = token(c.token);
    if (tok !== undefined) event.authorizationToken = tok;
    try {
      results.push({ ok: await mod.handler(event) });
    } catch (e) {
      results.push({ error: String(e && e.message) });
    }
  }
  out[fx.name] = results;
}
process.stdout.write(JSON.stringify(out));
"#;

/// The cases one fixture runs: a valid token for every combination (asked for a method ARN
/// other than most routes', so only a policy covering every route passes), and for one
/// fixture every way a token can be bad.
struct Case {
    token: Value,
    method_arn: String,
    /// The groups the caller is in per the model; `None` for a token that must be refused.
    groups: Option<Vec<GroupId>>,
}

fn cases(fx: &Fixture, rejections: bool) -> Vec<Case> {
    let m = &fx.model;
    let stage = &m.api.stage;
    let first = m
        .route_ids()
        .find(|r| protected(m, *r))
        .expect("a protected route");
    let method_arn = requests(m.route(first), &[])[0].arn(stage);
    let mut out: Vec<Case> = combos(m)
        .into_iter()
        .map(|combo| {
            let names: Vec<&str> = combo.iter().map(|g| m.group(*g).name.as_str()).collect();
            Case {
                token: json!({ "kind": "valid", "groups": names }),
                method_arn: method_arn.clone(),
                groups: Some(combo),
            }
        })
        .collect();
    if rejections {
        let some: Vec<&str> = m.groups.iter().take(1).map(|g| g.name.as_str()).collect();
        for kind in [
            "missing",
            "empty",
            "malformed",
            "three-garbage-parts",
            "expired",
            "wrong-signature",
            "wrong-issuer",
            "wrong-client",
            "access-token",
            "alg-none",
            "hs256",
        ] {
            out.push(Case {
                token: json!({ "kind": kind, "groups": some }),
                method_arn: method_arn.clone(),
                groups: None,
            });
        }
        let all: Vec<&str> = m.groups.iter().map(|g| g.name.as_str()).collect();
        out.push(Case {
            token: json!({ "kind": "tampered", "groups": Vec::<&str>::new(), "tamper": all }),
            method_arn: method_arn.clone(),
            groups: None,
        });
        // Accepted spellings of the header, and claims that grant nothing.
        let g0 = vec![GroupId(0)];
        for kind in ["bare", "lowercase-bearer"] {
            out.push(Case {
                token: json!({ "kind": kind, "groups": some }),
                method_arn: method_arn.clone(),
                groups: Some(g0.clone()),
            });
        }
        for groups in [
            json!(["NoSuchGroup"]),
            json!(some[0]),
            json!([42, null]),
            json!({}),
        ] {
            out.push(Case {
                token: json!({ "kind": "valid", "groups": groups }),
                method_arn: method_arn.clone(),
                groups: Some(Vec::new()),
            });
        }
        out.push(Case {
            token: json!({ "kind": "valid" }),
            method_arn: method_arn.clone(),
            groups: Some(Vec::new()),
        });
    }
    out
}

/// Runs every fixture's handler for its cases in one node process.
fn run_node(all: &[(&Fixture, Vec<Case>)]) -> BTreeMap<String, Vec<Value>> {
    let dir = common::scratch("authorizer-node");
    let tools = common::node_modules();
    std::os::unix::fs::symlink(tools.join("node_modules"), dir.join("node_modules"))
        .expect("symlink node_modules");
    let mut spec_fixtures = Vec::new();
    for (fx, cases) in all {
        let fx_dir = dir.join(&fx.name);
        write_files(&fx_dir, &fx.files);
        spec_fixtures.push(json!({
            "name": fx.name,
            "handler": fx_dir.join("authorizer/index.mjs"),
            "cases": cases.iter().map(|c| json!({ "token": c.token, "methodArn": c.method_arn })).collect::<Vec<_>>(),
        }));
    }
    let spec = json!({ "pool": POOL, "client": CLIENT, "fixtures": spec_fixtures });
    fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
    fs::write(dir.join("driver.mjs"), DRIVER).unwrap();
    let out = Command::new("node")
        .arg(dir.join("driver.mjs"))
        .arg(dir.join("spec.json"))
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "node failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: BTreeMap<String, Vec<Value>> =
        serde_json::from_slice(&out.stdout).expect("driver prints JSON");
    v
}

fn write_files(dir: &Path, files: &Files) {
    for (path, bytes) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
}

/// A concrete request to a declared route, as an ARN, and the protected route API Gateway
/// sends it to (a literal sibling may win over the route it was made from).
struct Probe {
    /// The ARN after `{ARN_HEAD}/{stage}/`.
    rest: String,
    owner: RouteId,
}

fn probes(m: &Model, words: &[String]) -> Vec<Probe> {
    let mut out = Vec::new();
    for r in m.route_ids() {
        if !protected(m, r) {
            continue;
        }
        for req in requests(m.route(r), words) {
            if let Some(owner) = dispatch(m, &req)
                && protected(m, owner)
            {
                out.push(Probe {
                    rest: format!("{}/{}", req.verb, req.segments.join("/")),
                    owner,
                });
            }
        }
    }
    out
}

/// Checks one valid-token answer: the caller's identity, and for every probe the decision
/// the matrix gives; the policy also equals the one rolegen computes for the docs (so the
/// sizes it reports are the real ones).
fn check_policy(
    fx: &Fixture,
    table: &authorizer::Table,
    case: &Case,
    answer: &Value,
    probes: &[Probe],
    failures: &mut Vec<String>,
) {
    let m = &fx.model;
    let combo = case.groups.as_ref().unwrap();
    let names: Vec<&str> = combo.iter().map(|g| m.group(*g).name.as_str()).collect();
    let what = format!("{}: groups {names:?}", fx.name);
    assert_eq!(answer["principalId"], "sub-123", "{what}");
    assert_eq!(answer["context"]["username"], "alice", "{what}");
    if case.token["kind"] == "valid" && case.token["groups"].is_array() {
        let sent = case.token["groups"].as_array().unwrap();
        let strings: Vec<&Value> = sent.iter().filter(|v| v.is_string()).collect();
        assert_eq!(
            answer["context"]["groups"],
            serde_json::to_string(&strings).unwrap(),
            "{what}"
        );
    }
    let doc = &answer["policyDocument"];
    let prefix = format!("{ARN_HEAD}/{}/", m.api.stage);
    let eval = Evaluator::new(doc, &prefix);
    let allowed = m.matrix.union(combo);
    let expected_doc = table.document(&table.allowed(combo), &prefix, &case.method_arn);
    if *doc != expected_doc {
        failures.push(format!(
            "{what}: handler's policy differs from rolegen's\n{doc}\n{expected_doc}"
        ));
    }
    for p in probes {
        let want = allowed.contains(p.owner.0);
        if eval.allows_rest(&p.rest) != want {
            failures.push(format!(
                "{what}: `{}` (as {prefix}{}) should be {}",
                m.route(p.owner).key(),
                p.rest,
                if want { "allowed" } else { "denied" }
            ));
        }
    }
    // Nothing of another stage or API.
    let any = requests(m.route(table.routes[0]), &[])[0].clone();
    for arn in [
        any.arn("otherstage"),
        any.arn(&m.api.stage).replace("abcdef1234", "otherapi99"),
    ] {
        if eval.allows(&arn) {
            failures.push(format!("{what}: {arn} must never be allowed"));
        }
    }
}

#[test]
fn handlers_decide_exactly_as_the_matrix_under_node() {
    let all = fixtures();
    let runs: Vec<(&Fixture, Vec<Case>)> = all
        .iter()
        .map(|fx| (fx, cases(fx, fx.name == "trap")))
        .collect();
    let results = run_node(&runs);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (fx, cases) in &runs {
        let table = &fx.table;
        let rich = probes(&fx.model, &path_words(&fx.model));
        let base = probes(&fx.model, &[]);
        let answers = &results[&fx.name];
        assert_eq!(answers.len(), cases.len());
        for (case, answer) in cases.iter().zip(answers) {
            match (&case.groups, answer.get("ok")) {
                (None, _) => assert_eq!(
                    answer.get("error").and_then(Value::as_str),
                    Some("Unauthorized"),
                    "{}: token {} must get 401, got {answer}",
                    fx.name,
                    case.token
                ),
                (Some(_), None) => {
                    panic!("{}: token {} refused: {answer}", fx.name, case.token)
                }
                (Some(combo), Some(ok)) => {
                    // The 300-route API tries the path words for every fifth group alone.
                    let p = if fx.model.routes.len() < 100
                        || (combo.len() == 1 && combo[0].0 % 5 == 0)
                    {
                        &rich
                    } else {
                        &base
                    };
                    check_policy(fx, table, case, ok, p, &mut failures);
                    checked += 1;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
    assert!(checked > 500, "only {checked} policies checked");
}

/// The answer to a token without access is a Deny of exactly the method ARN (403).
#[test]
fn no_access_is_a_deny_of_the_method() {
    let fx = &fixtures()[1];
    let table = &fx.table;
    let arn = format!("{ARN_HEAD}/prod/GET/orders/1");
    let doc = table.document(&table.allowed(&[]), &format!("{ARN_HEAD}/prod/"), &arn);
    assert_eq!(
        doc,
        json!({"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": arn}
        ]})
    );
}

#[test]
fn trap_policies_need_and_use_denies() {
    let fx = fixtures().iter().find(|f| f.name == "trap").unwrap();
    let m = &fx.model;
    let table = &fx.table;
    let reader = m.group_by_name("Reader").unwrap();
    let doc = table.document(&table.allowed(&[reader]), "P/", "x");
    let text = doc.to_string();
    // `GET /orders/{id}` takes `GET/orders/*`, which reaches the secrets: they are denied.
    assert!(text.contains("\"P/GET/orders/*\""), "{text}");
    assert!(text.contains("\"P/GET/orders/*/secret\""), "{text}");
    // An `ANY` route's patterns stay in the verb segment.
    let legacy = m.group_by_name("LegacyUser").unwrap();
    let doc = table
        .document(&table.allowed(&[legacy]), "P/", "x")
        .to_string();
    assert!(doc.contains("\"P/???/legacy/*\""), "{doc}");
    assert!(!doc.contains("P/*/"), "{doc}");
}

#[test]
fn inexpressible_access_is_refused_with_a_diagnostic() {
    let model = load("conflict");
    let errs = authorizer::generate(&model).expect_err("must refuse");
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = &errs[0];
    assert_eq!(e.code, "lambda-policy");
    assert!(
        e.message.contains(
            "deny `GET /orders/{id}/secret` to `Reader` and allow `GET /orders/{id}/items/secret`"
        ),
        "{}",
        e.message
    );
    let text =
        fs::read_to_string(common::repo().join("tests/fixtures/lambda/conflict.yaml")).unwrap();
    assert_eq!(e.underlined(&text), Some("GET /orders/{id}/secret"));
    let help = e.help.as_deref().unwrap();
    assert!(help.contains("`GET/orders/*/secret`"), "{help}");
    assert!(help.contains("authorizer: cognito-scopes"), "{help}");

    // Through the CLI: exit code 2, nothing written.
    let dir = common::scratch("authorizer-conflict");
    let out = common::rolegen()
        .arg("--config")
        .arg(common::repo().join("tests/fixtures/lambda/conflict.yaml"))
        .arg("--out")
        .arg(dir.join("out"))
        .args(["gen", "--target", "authorizer"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[lambda-policy]"));
    assert!(!dir.join("out/authorizer").exists());
}

#[test]
fn largest_policies_stay_small() {
    for fx in fixtures() {
        if fx.name == "hostile_raw" {
            continue;
        }
        let size = authorizer::largest_policy_of(&fx.model, &fx.table);
        assert!(
            size.bytes < 8 * 1024,
            "{}: largest policy is {} bytes ({:?})",
            fx.name,
            size.bytes,
            size.groups
        );
        assert!(size.combinations > fx.model.groups.len());
        // The size is the real one: that combination's document, serialized.
        let groups: Vec<GroupId> = size
            .groups
            .iter()
            .map(|n| fx.model.group_by_name(n).unwrap())
            .collect();
        let table = &fx.table;
        let doc = table.document(
            &table.allowed(&groups),
            &size.arn_prefix,
            &format!("{}GET/", size.arn_prefix),
        );
        assert_eq!(serde_json::to_string(&doc).unwrap().len(), size.bytes);
    }
}

/// Names go into the code as JSON: the group table, read back out of the generated file,
/// holds exactly the model's names.
#[test]
fn names_reach_the_code_as_data() {
    for fx in fixtures() {
        let code = String::from_utf8(fx.files["authorizer/index.mjs"].clone()).unwrap();
        let start = code.find("const GROUP_ROUTES = ").unwrap() + "const GROUP_ROUTES = ".len();
        let end = start + code[start..].find("];\n").unwrap() + 1;
        let table: Vec<(String, Vec<usize>)> = serde_json::from_str(&code[start..end])
            .unwrap_or_else(|e| panic!("{}: group table is not JSON: {e}", fx.name));
        let names: Vec<&str> = table.iter().map(|(n, _)| n.as_str()).collect();
        let want: Vec<&str> = fx.model.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, want, "{}", fx.name);
        for bad in ["</script", "\u{2028}", "\u{2029}"] {
            assert!(!code.contains(bad), "{}: raw {bad:?} in code", fx.name);
        }
    }
}

#[test]
fn package_pins_the_tested_verifier() {
    let fx = &fixtures()[0];
    let pkg: Value = serde_json::from_slice(&fx.files["authorizer/package.json"]).unwrap();
    let lock: Value = serde_json::from_slice(&fx.files["authorizer/package-lock.json"]).unwrap();
    let tested = common::NPM_PACKAGES
        .iter()
        .find_map(|p| p.strip_prefix("aws-jwt-verify@"))
        .expect("tests install aws-jwt-verify");
    assert_eq!(pkg["dependencies"]["aws-jwt-verify"], tested);
    assert_eq!(pkg["type"], "module");
    assert_eq!(
        lock["packages"]["node_modules/aws-jwt-verify"]["version"],
        tested
    );
    assert_eq!(
        lock["packages"][""]["dependencies"], pkg["dependencies"],
        "lock and package.json agree"
    );
    // The integrity hash is the one npm recorded when it installed the tested version.
    let installed: Value = serde_json::from_slice(
        &fs::read(common::node_modules().join("node_modules/.package-lock.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        lock["packages"]["node_modules/aws-jwt-verify"]["integrity"],
        installed["packages"]["node_modules/aws-jwt-verify"]["integrity"]
    );
}

// ---------------------------------------------------------------------------------------------
// Goldens and CloudFormation.
// ---------------------------------------------------------------------------------------------

fn golden_dir(name: &str) -> PathBuf {
    common::repo().join("tests/golden/authorizer").join(name)
}

#[test]
fn goldens_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for fx in fixtures()
        .iter()
        .filter(|f| SMALL.contains(&f.name.as_str()))
    {
        let mut files = fx.files.clone();
        files.extend(cfn::generate(&fx.model).expect("cfn"));
        for (path, bytes) in &files {
            let g = golden_dir(&fx.name).join(path);
            if update {
                fs::create_dir_all(g.parent().unwrap()).unwrap();
                fs::write(&g, bytes).unwrap();
            } else if fs::read(&g).ok().as_deref() != Some(bytes.as_slice()) {
                stale.push(g.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale goldens (refresh with UPDATE_GOLDEN=1 cargo test --test authorizer):\n{}",
        stale.join("\n")
    );
}

/// `rolegen gen` writes the authorizer folder for `authorizer: lambda`, and only then.
#[test]
fn cli_writes_the_authorizer_folder() {
    let dir = common::scratch("authorizer-cli");
    let out = common::rolegen()
        .arg("--config")
        .arg(common::repo().join("tests/fixtures/lambda/trap.yaml"))
        .arg("--out")
        .arg(dir.join("out"))
        .arg("gen")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fx = fixtures().iter().find(|f| f.name == "trap").unwrap();
    for (path, bytes) in &fx.files {
        assert_eq!(
            &fs::read(dir.join("out").join(path)).unwrap(),
            bytes,
            "{path}"
        );
    }
    assert!(!dir.join("out/pretoken").exists());
    let model = load("trap");
    assert!(Target::Authorizer.applies_to(&model));
    let scopes =
        rolegen::cmd::load_file(&common::repo().join("tests/fixtures/scopes_proxy.yaml")).unwrap();
    assert!(!Target::Authorizer.applies_to(scopes.model.as_ref().unwrap()));
}

fn template(model: &Model) -> Value {
    let files = cfn::generate(model).expect("cfn");
    serde_saphyr::from_slice(&files["cfn/template.yaml"]).expect("template parses")
}

#[test]
fn cloudformation_for_the_lambda_strategy() {
    let dir = common::scratch("authorizer-cfn");
    let mut paths = Vec::new();
    for fx in fixtures()
        .iter()
        .filter(|f| SMALL.contains(&f.name.as_str()))
    {
        let m = &fx.model;
        let t = template(m);
        let res = t["Resources"].as_object().unwrap();
        let what = &fx.name;
        let f = &res["AuthorizerFunction"]["Properties"];
        assert_eq!(f["Runtime"], "nodejs22.x", "{what}");
        assert_eq!(f["Code"], "../authorizer", "{what}");
        assert_eq!(f["Handler"], "index.handler", "{what}");
        assert_eq!(
            f["Environment"]["Variables"],
            json!({ "USER_POOL_ID": { "Ref": "UserPool" }, "CLIENT_ID": { "Ref": "UserPoolClient" } })
        );
        assert_eq!(res["AuthorizerFunctionRole"]["Type"], "AWS::IAM::Role");
        let a = &res["Authorizer"]["Properties"];
        assert_eq!(a["Type"], "TOKEN");
        assert_eq!(
            a["AuthorizerResultTtlInSeconds"],
            json!(m.api.authorizer_ttl)
        );
        assert_eq!(a["IdentitySource"], "method.request.header.Authorization");
        // One permission for the authorizer, not one per method.
        let perms: Vec<&Value> = res
            .values()
            .filter(|r| {
                r["Type"] == "AWS::Lambda::Permission"
                    && r["Properties"]["FunctionName"]
                        == json!({ "Fn::GetAtt": ["AuthorizerFunction", "Arn"] })
            })
            .collect();
        assert_eq!(perms.len(), 1, "{what}");
        assert_eq!(
            perms[0]["Properties"]["Principal"],
            "apigateway.amazonaws.com"
        );
        assert!(
            perms[0]["Properties"]["SourceArn"]["Fn::Sub"]
                .as_str()
                .unwrap()
                .ends_with("${RestApi}/authorizers/${Authorizer}")
        );
        // Lite plan: no trigger, no Essentials.
        let pool = &res["UserPool"]["Properties"];
        assert_eq!(pool["UserPoolTier"], "LITE", "{what}");
        assert!(pool.get("LambdaConfig").is_none(), "{what}");
        assert!(!res.contains_key("PreTokenFunction"), "{what}");
        assert_eq!(
            res["UserPoolClient"]["Properties"]["AllowedOAuthScopes"],
            json!(["openid"])
        );
        for (id, r) in res {
            if r["Type"] != "AWS::ApiGateway::Method" {
                continue;
            }
            let p = &r["Properties"];
            let route = m
                .routes
                .iter()
                .find(|rt| cfn::method_id(rt) == *id)
                .expect("method of a route");
            if matches!(route.access, Access::Public) {
                assert_eq!(p["AuthorizationType"], "NONE", "{id}");
            } else {
                assert_eq!(p["AuthorizationType"], "CUSTOM", "{id}");
                assert_eq!(p["AuthorizerId"], json!({ "Ref": "Authorizer" }), "{id}");
                assert!(p.get("AuthorizationScopes").is_none(), "{id}");
            }
        }
        let path = dir.join(format!("{what}.yaml"));
        fs::write(&path, &cfn::generate(m).unwrap()["cfn/template.yaml"]).unwrap();
        paths.push(path);
    }
    let out = Command::new(common::cfn_lint())
        .args(["--format", "parseable", "--"])
        .args(&paths)
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
