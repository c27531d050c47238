//! The `lambda` strategy's authorizer as a program: the generated handler runs under `node`
//! with the real `aws-jwt-verify` against tokens signed here. Every way a token can be bad
//! gets 401; a valid token gets one statement for the called route, Allow exactly when one of
//! its groups may call the route (403 otherwise), evaluated here with IAM's rules for every
//! declared route, verb and combination of groups; header spellings, an old TOKEN
//! authorizer's event, hostile group names (as data), the pinned package, goldens, the
//! CloudFormation and cfn-lint. That the decisions equal the access matrix for random,
//! adversarial roles files, through API Gateway's routing and cache, is
//! `tests/lambda_exact.rs`, which shares nothing with the generator.

mod common;

use rolegen::r#gen::{Files, Target, authorizer, cfn};
use rolegen::model::{Access, GroupId, Method, Model, Route, Segment};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const POOL: &str = "us-east-1_TestPool1";
const CLIENT: &str = "testclient0123456789";
const ARN_HEAD: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";

/// Every fixture in tests/fixtures/lambda/ generates: none is refused any more (`conflict`
/// and `deep` were, or never finished, with the old pattern compiler).
const FIXTURES: &[&str] = &["orders", "trap", "hostile", "conflict", "deep", "routes300"];
/// Fixtures small enough for golden files.
const SMALL: &[&str] = &["orders", "trap", "hostile", "deep"];
/// The verbs a request can have.
const VERBS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

struct Fixture {
    name: String,
    model: Model,
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
    let files = authorizer::generate(&model)
        .unwrap_or_else(|e| panic!("{name}: authorizer refused: {e:#?}"));
    Fixture {
        name: name.to_string(),
        model,
        files,
    }
}

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
// IAM, as the tests understand it (independent of the generator).
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

/// Whether the policy document allows `execute-api:Invoke` on `arn`: an explicit Deny wins,
/// then an Allow, else the default deny.
fn allows(doc: &Value, arn: &str) -> bool {
    assert_eq!(doc["Version"], "2012-10-17", "{doc}");
    let mut allowed = false;
    for st in doc["Statement"].as_array().expect("Statement array") {
        assert_eq!(st["Action"], "execute-api:Invoke", "{st}");
        let resources: Vec<&str> = match &st["Resource"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().map(|v| v.as_str().expect("string")).collect(),
            other => panic!("bad Resource {other}"),
        };
        if resources.iter().any(|p| glob(p.as_bytes(), arn.as_bytes())) {
            match st["Effect"].as_str() {
                Some("Deny") => return false,
                Some("Allow") => allowed = true,
                other => panic!("bad Effect {other:?}"),
            }
        }
    }
    allowed
}

// ---------------------------------------------------------------------------------------------
// Events: what API Gateway sends a REQUEST authorizer once it has chosen a route.
// ---------------------------------------------------------------------------------------------

/// A concrete request to `route` with verb `verb`: each variable takes a value, a greedy one
/// two segments. Returns the event (without headers) and the IAM pattern the test expects the
/// answer to cover (the route's path with `*` for each variable).
fn event(stage: &str, route: &Route, verb: &str) -> (Value, String) {
    let mut concrete = Vec::new();
    let mut pattern = String::new();
    let mut params = serde_json::Map::new();
    for seg in &route.path.segments {
        match seg {
            Segment::Literal(l) => {
                concrete.push(l.clone());
                pattern.push('/');
                pattern.push_str(l);
            }
            Segment::Var(v) => {
                concrete.push("v1".to_string());
                params.insert(v.clone(), json!("v1"));
                pattern.push_str("/*");
            }
            Segment::Greedy(v) => {
                concrete.push("g1/g2".to_string());
                params.insert(v.clone(), json!("g1/g2"));
                pattern.push_str("/*");
            }
        }
    }
    if pattern.is_empty() {
        pattern.push('/');
    }
    let path = format!("/{}", concrete.join("/"));
    let resource = route.path.to_string();
    let ev = json!({
        "type": "REQUEST",
        "methodArn": format!("{ARN_HEAD}/{stage}/{verb}/{}", concrete.join("/")),
        "resource": resource,
        "path": path,
        "httpMethod": verb,
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": null,
        "pathParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
        "stageVariables": null,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": verb,
            "path": format!("/{stage}{path}"),
            "stage": stage,
            "accountId": "123456789012",
            "apiId": "abcdef1234",
        },
    });
    (ev, format!("{ARN_HEAD}/{stage}/{verb}{pattern}"))
}

/// The route a request for `verb` to `route`'s own resource is for: the method declared for
/// the verb there, else the resource's `ANY` (API Gateway's rule, written here).
fn route_on_resource<'m>(m: &'m Model, route: &Route, verb: &str) -> Option<(usize, &'m Route)> {
    let same = |r: &&Route| r.path == route.path;
    m.routes
        .iter()
        .enumerate()
        .filter(|(_, r)| same(r))
        .find(|(_, r)| r.method.as_str() == verb)
        .or_else(|| {
            m.routes
                .iter()
                .enumerate()
                .filter(|(_, r)| same(r))
                .find(|(_, r)| r.method == Method::Any)
        })
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

// How the token travels: `header` (Authorization), `lower` (authorization), `multi`
// (multiValueHeaders only), `two` (two different Authorization values), `token-event` (the
// event of a TOKEN authorizer).
function place(event, how, tok) {
  const e = structuredClone(event);
  if (tok === undefined) return e;
  switch (how ?? "header") {
    case "header": e.headers = { Authorization: tok }; break;
    case "lower": e.headers = { authorization: tok }; break;
    case "multi": e.headers = null; e.multiValueHeaders = { Authorization: [tok] }; break;
    case "two": e.headers = { Authorization: tok, authorization: "Bearer " + sign(header, idClaims({ groups: [] }), good.privateKey) }; break;
    case "token-event": return { type: "TOKEN", methodArn: e.methodArn, authorizationToken: tok };
    default: throw new Error("unknown placement " + how);
  }
  return e;
}

const out = {};
const errors = console.error;
// Signing is the slow part: one token per distinct set of claims.
const signed = new Map();
for (const fx of spec.fixtures) {
  const mod = await import(pathToFileURL(fx.handler).href);
  mod.verifier.cacheJwks(jwks);
  const results = [];
  for (const c of fx.cases) {
    const key = JSON.stringify(c.token);
    if (!signed.has(key)) signed.set(key, token(c.token));
    const tok = signed.get(key);
    let logged = 0;
    console.error = () => { logged++; };
    try {
      results.push({ ok: await mod.handler(place(c.event, c.how, tok)), logged });
    } catch (e) {
      results.push({ error: String(e && e.message), logged });
    } finally {
      console.error = errors;
    }
  }
  out[fx.name] = results;
}
process.stdout.write(JSON.stringify(out));
"#;

struct Case {
    token: Value,
    /// How the token travels (see the driver's `place`).
    how: &'static str,
    event: Value,
    /// What must happen: `None` a 401; `Some(true)` an Allow of `pattern`, `Some(false)` a
    /// Deny (403).
    allow: Option<bool>,
    /// The IAM pattern the answer must be for.
    pattern: String,
}

fn combos(m: &Model) -> Vec<Vec<GroupId>> {
    let n = m.groups.len();
    let mut v = vec![Vec::new()];
    v.extend((0..n).map(|i| vec![GroupId(i)]));
    if n <= 8 {
        for i in 0..n {
            for j in i + 1..n {
                v.push(vec![GroupId(i), GroupId(j)]);
            }
        }
    }
    v.push((0..n).map(GroupId).collect());
    v
}

/// A valid token for every combination of groups asking for every route and verb (a route's
/// own verb; for an `ANY` route, every verb).
fn decision_cases(m: &Model) -> Vec<Case> {
    let mut out = Vec::new();
    let stage = &m.api.stage;
    for combo in combos(m) {
        let names: Vec<&str> = combo.iter().map(|g| m.group(*g).name.as_str()).collect();
        let allowed = m.matrix.union(&combo);
        for route in &m.routes {
            let verbs: Vec<&str> = match route.method {
                Method::Any => VERBS.to_vec(),
                me => vec![me.as_str()],
            };
            for verb in verbs {
                let (owner, _) = route_on_resource(m, route, verb).expect("declared");
                let (ev, pattern) = event(stage, route, verb);
                out.push(Case {
                    token: json!({ "kind": "valid", "groups": names }),
                    how: "header",
                    event: ev,
                    allow: Some(allowed.contains(owner)),
                    pattern,
                });
            }
        }
    }
    out
}

/// Every way a token can be bad, the accepted spellings of the header, claims that grant
/// nothing, a resource roles.yaml does not declare, and the event of an old TOKEN authorizer.
fn edge_cases(m: &Model) -> Vec<Case> {
    let stage = &m.api.stage;
    let route = m
        .routes
        .iter()
        .find(|r| matches!(r.access, Access::AnyOf(_)))
        .expect("a protected route");
    let verb = match route.method {
        Method::Any => "GET",
        me => me.as_str(),
    };
    let (ev, pattern) = event(stage, route, verb);
    let (id, _) = route_on_resource(m, route, verb).unwrap();
    let all: Vec<&str> = m.groups.iter().map(|g| g.name.as_str()).collect();
    let some_allowed = m
        .group_ids()
        .find(|&g| m.matrix.allows(g, rolegen::model::RouteId(id)))
        .map(|g| m.group(g).name.as_str())
        .expect("a group may call it");
    let case = |token: Value, how: &'static str, allow: Option<bool>| Case {
        token,
        how,
        event: ev.clone(),
        allow,
        pattern: pattern.clone(),
    };
    let mut out = Vec::new();
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
        out.push(case(json!({ "kind": kind, "groups": all }), "header", None));
    }
    out.push(case(
        json!({ "kind": "tampered", "groups": [], "tamper": all }),
        "header",
        None,
    ));
    out.push(case(
        json!({ "kind": "valid", "groups": [some_allowed] }),
        "two",
        None,
    ));
    for (kind, how) in [
        ("bare", "header"),
        ("lowercase-bearer", "header"),
        ("valid", "lower"),
        ("valid", "multi"),
    ] {
        out.push(case(
            json!({ "kind": kind, "groups": [some_allowed] }),
            how,
            Some(true),
        ));
    }
    for groups in [
        json!(["NoSuchGroup", "__proto__", "constructor"]),
        json!(some_allowed),
        json!([42, null]),
        json!({}),
    ] {
        out.push(case(
            json!({ "kind": "valid", "groups": groups }),
            "header",
            Some(false),
        ));
    }
    out.push(case(json!({ "kind": "valid" }), "header", Some(false)));
    // A resource or verb roles.yaml does not declare: a Deny of exactly the method ARN.
    let arn = ev["methodArn"].as_str().unwrap().to_string();
    for (field, value) in [("resource", "/not/declared"), ("httpMethod", "BREW")] {
        let mut e = ev.clone();
        e[field] = json!(value);
        out.push(Case {
            token: json!({ "kind": "valid", "groups": all }),
            how: "header",
            event: e,
            allow: Some(false),
            pattern: arn.clone(),
        });
    }
    // An API still on the old TOKEN authorizer: its event names no route, so every valid token
    // is denied (and the function says why in its log); a bad token is still a 401.
    out.push(Case {
        token: json!({ "kind": "valid", "groups": all }),
        how: "token-event",
        event: ev.clone(),
        allow: Some(false),
        pattern: arn,
    });
    out.push(case(
        json!({ "kind": "expired", "groups": all }),
        "token-event",
        None,
    ));
    out
}

fn write_files(dir: &std::path::Path, files: &Files) {
    for (path, bytes) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
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
            "cases": cases.iter().map(|c| json!({ "token": c.token, "how": c.how, "event": c.event })).collect::<Vec<_>>(),
        }));
    }
    let spec = json!({ "pool": POOL, "client": CLIENT, "fixtures": spec_fixtures });
    fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
    fs::write(dir.join("driver.mjs"), DRIVER).unwrap();
    common::node_json(
        Command::new("node")
            .arg(dir.join("driver.mjs"))
            .arg(dir.join("spec.json")),
    )
}

#[test]
fn handlers_decide_the_called_route_under_node() {
    let runs: Vec<(&Fixture, Vec<Case>)> = fixtures()
        .iter()
        .map(|fx| {
            let mut cases = decision_cases(&fx.model);
            cases.extend(edge_cases(&fx.model));
            (fx, cases)
        })
        .collect();
    let results = run_node(&runs);
    let mut failures = Vec::new();
    let (mut allowed, mut denied, mut refused) = (0, 0, 0);
    for (fx, cases) in &runs {
        let answers = &results[&fx.name];
        assert_eq!(answers.len(), cases.len());
        for (case, answer) in cases.iter().zip(answers) {
            let what = format!(
                "{}: token {} ({}) for {} {}",
                fx.name, case.token, case.how, case.event["httpMethod"], case.event["resource"]
            );
            let Some(want) = case.allow else {
                refused += 1;
                if answer.get("error").and_then(Value::as_str) != Some("Unauthorized") {
                    failures.push(format!("{what}: must get 401, got {answer}"));
                }
                continue;
            };
            let Some(ok) = answer.get("ok") else {
                failures.push(format!("{what}: refused: {answer}"));
                continue;
            };
            assert_eq!(ok["principalId"], "sub-123", "{what}");
            assert_eq!(ok["context"]["username"], "alice", "{what}");
            let doc = &ok["policyDocument"];
            // One statement, for the called route only.
            let expected = json!({"Version": "2012-10-17", "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": if want { "Allow" } else { "Deny" },
                "Resource": case.pattern,
            }]});
            if *doc != expected {
                failures.push(format!("{what}: policy\n{doc}\nexpected\n{expected}"));
            }
            let arn = case.event["methodArn"].as_str().unwrap();
            if allows(doc, arn) != want {
                failures.push(format!("{what}: {arn} should be allowed: {want}"));
            }
            // Never another stage or another API.
            for other in [
                arn.replace("abcdef1234", "otherapi99"),
                arn.replacen(&format!("/{}/", fx.model.api.stage), "/otherstage/", 1),
            ] {
                if allows(doc, &other) {
                    failures.push(format!("{what}: {other} must never be allowed"));
                }
            }
            let logged = answer["logged"].as_u64().unwrap();
            assert_eq!(
                logged > 0,
                case.how == "token-event",
                "{what}: logged {logged}"
            );
            if want {
                allowed += 1;
            } else {
                denied += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
    assert!(
        allowed > 1000 && denied > 1000 && refused > 50,
        "{allowed} allowed, {denied} denied, {refused} refused"
    );
}

/// Names go into the code as JSON: the group table, read back out of the generated file,
/// holds exactly the model's names.
#[test]
fn names_reach_the_code_as_data() {
    for fx in fixtures() {
        let code = String::from_utf8(fx.files["authorizer/index.mjs"].clone()).unwrap();
        let start = code.find("const GROUPS = ").unwrap() + "const GROUPS = ".len();
        let end = start + code[start..].find("];\n").unwrap() + 1;
        let names: Vec<String> = serde_json::from_str(&code[start..end])
            .unwrap_or_else(|e| panic!("{}: group table is not JSON: {e}", fx.name));
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
    let mut goldens = common::Expected::goldens("authorizer");
    for fx in fixtures()
        .iter()
        .filter(|f| SMALL.contains(&f.name.as_str()))
    {
        let mut files = fx.files.clone();
        files.extend(cfn::generate(&fx.model).expect("cfn"));
        for (path, bytes) in &files {
            goldens.check(&golden_dir(&fx.name).join(path), bytes);
        }
    }
    goldens.finish();
}

/// `rolegen gen` writes the authorizer folder for `authorizer: lambda`, and only then; the
/// files that used to be refused (`conflict`) or never finished (`deep`) generate.
#[test]
fn cli_writes_the_authorizer_folder() {
    for name in ["trap", "conflict", "deep"] {
        let dir = common::scratch("authorizer-cli");
        let out = common::rolegen()
            .arg("--config")
            .arg(common::repo().join(format!("tests/fixtures/lambda/{name}.yaml")))
            .arg("--out")
            .arg(dir.join("out"))
            .arg("gen")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fx = fixtures().iter().find(|f| f.name == name).unwrap();
        for (path, bytes) in &fx.files {
            assert_eq!(
                &fs::read(dir.join("out").join(path)).unwrap(),
                bytes,
                "{name}: {path}"
            );
        }
        assert!(!dir.join("out/pretoken").exists());
    }
    assert!(Target::Authorizer.applies_to(&load("trap")));
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
        assert_eq!(a["Type"], "REQUEST");
        assert_eq!(
            a["AuthorizerResultTtlInSeconds"],
            json!(m.api.authorizer_ttl)
        );
        // The cache key is the token and the route: an answer is never reused for another
        // route.
        assert_eq!(
            a["IdentitySource"],
            "method.request.header.Authorization,context.httpMethod,context.resourcePath"
        );
        assert!(a.get("IdentityValidationExpression").is_none());
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
    common::assert_cfn_lint_clean_all(&paths);
}
