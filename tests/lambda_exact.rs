//! An independent, adversarial property test of the `lambda` strategy: for hundreds of random
//! valid roles files, the generated Lambda REQUEST authorizer decides exactly as the access
//! matrix, request by request, the way API Gateway really uses it:
//!
//! - API Gateway dispatches each concrete request (verb, path) to one declared (resource,
//!   method) — most specific resource first, an explicit method before `ANY`, a verb a literal
//!   resource does not declare falling through to a less specific sibling — and calls the
//!   authorizer only for a protected method;
//! - the authorizer's answer is cached under the key made of the identity sources read from
//!   the generated template (`IdentitySource`, `AuthorizerResultTtlInSeconds`), and a later
//!   request with the same key gets the cached policy, evaluated against ITS method ARN;
//! - the policy is evaluated with IAM's rules (explicit Deny wins; `*` and `?` also match `/`).
//!
//! The corpus: the issue's examples (`GET /api/{proxy+}` next to `GET /api/admin/{proxy+}`,
//! `GET /users/{id}` next to `ANY /{proxy+}`, `ANY /items` next to `ANY /{rest+}`, `ANY
//! /summary` next to `ANY /me/summary`), the deep route `ANY /a/{b}/c/{d}/e/{g}/h/{i+}`, a trap
//! collection, the bundled roles.yaml switched to `lambda`, and random files: literal, `{var}`
//! and `{var+}` siblings, `ANY` next to explicit verbs, verbs of equal length, the same word at
//! several depths, verbs and the stage name as path words, deep paths, `/` and `/{proxy+}`,
//! public routes, `authenticated` routes (short and long form, some with an `integration`,
//! also on trap shapes of their own: `ANY` authenticated next to a scoped verb and the reverse,
//! authenticated `{var}`, greedy and root catch-all routes with scoped literal siblings,
//! fall-through onto and away from them), lateral groups and `includes` chains, hostile group
//! and scope names, every TTL form. An `authenticated` route is allowed for every signed-in
//! caller: no group, any group, unknown groups. Callers: no group, each group, pairs, all
//! groups, random subsets, unknown names (other case, decomposed Unicode, `__proto__`). The real
//! `handler` is also run with ID tokens signed here (good ones, and ones that must be refused;
//! a token without `cognito:groups` often on an `authenticated` route).
//!
//! Machine clients and `match` routes: random files get `clients:` (random scopes, hostile
//! names Cognito accepts) and `match` bindings (one or two `{var}` or `{var+}` of an
//! `authenticated` or scoped route, to `sub`, `cognito:username` or `custom:…`). Users carry
//! claims drawn from a small pool of ids (with `*`, `?`, `/`, `"`, `%`, an empty or missing
//! claim) and requests to `match` routes take those ids as path values, so claims both fit
//! and miss the path. Each machine client calls with its own access token, with its app client
//! id given to the function through `MACHINE_CLIENT_IDS` exactly as the template joins the
//! clients' `Ref`s; tokens of an unknown client, a user's access token and an access token
//! whose `sub` is not its `client_id` must get 401. Each method's cache key is its own
//! authorizer's `IdentitySource` (one cache per authorizer); a second self-check proves that
//! keying `match` routes without `context.path` gives wrong allows.
//!
//! Independence: the roles-file generator, the access matrix, the router, the cache and the
//! IAM evaluator are written here from README's roles.yaml reference and AWS's documented
//! behaviour. Nothing is read from, imported from or copied from `src/`; the only contact with
//! rolegen is its binary and the files it writes (`tests/lambda_exact/driver.mjs` only runs the
//! generated module and hands every answer back as JSON).
//!
//! The same corpus shapes judge the `verified-permissions` strategy end to end
//! (`verified_permissions_authorizer_decides_exactly_as_the_matrix`): the random files switched
//! to that strategy (ID or access tokens, Cedar-hostile group names and `api.name`s, a file
//! whose policies are split), the cache key read from the template, and for every cache miss
//! the generated `handler(event)` run under node with a token signed here, its Verified
//! Permissions client stubbed so that Cedar's own engine (`@cedar-policy/cedar-wasm`) decides
//! over the deployed schema and policies with entities built as AVP builds them from the token
//! (`tests/lambda_exact/vp_driver.mjs`). Every decision, cached or not, equals the matrix;
//! stubs broken on purpose (the action ignored, any group allowed) and a token-only cache key
//! are caught. The `authenticated` routes' policy is checked against README's shape: exactly
//! when the file has such routes, `CedarPolicyAnySignedInUser`, plain text (no `Fn::Join`), an
//! unconstrained principal (`is User` once the file has machine clients), exactly their
//! actions but those of `match` routes, none of which another policy lists. Machine clients
//! call with their access tokens: the stub answers `IsAuthorized` for the principal
//! `<ns>::Client::"<name>"` (the test checks the handler names exactly the verified client) and
//! `IsAuthorizedWithToken` with the `match` routes' context (AVP's `contextMap`, read as AVP
//! reads it and validated by Cedar against the action's context type); the test checks the
//! handler sends exactly the request's path values and the token's own claims, and asks AVP
//! nothing when a claim is missing or a client calls a `match` route. With `api.token: access`
//! the users' tokens carry `sub` and `username` only (no custom attributes), as Cognito's do.
//!
//! `LAMBDA_EXACT_SEED` (decimal or `0x…`), `LAMBDA_EXACT_FILES` (number of random files,
//! default 200) and `VP_EXACT_FILES` (for `verified-permissions`, default 32) change the
//! corpus. On failure the seed is printed and every failing roles file is saved under
//! `target/tmp/lambda-exact-failures/` (`vp-exact-failures/`).

mod common;

use common::random::{self, ResourcePaths, Rng, env_number, resource_ref};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DEFAULT_SEED: u64 = 0x1A3B_DA5E_ED00_2026;
const DEFAULT_FILES: usize = 200;
/// Per `rolegen gen` run (a small file takes well under a second in a debug build).
const GEN_TIMEOUT: Duration = Duration::from_secs(60);
const GEN_MEMORY_KB: u64 = 4 << 20;
const DRIVER: &str = include_str!("lambda_exact/driver.mjs");

/// Verbs a client can send (API Gateway's `ANY` is a method, never a request verb).
const VERBS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// Token kinds the driver signs that must be refused with `Unauthorized`.
const BAD_TOKENS: [&str; 4] = ["expired", "wrong-signature", "wrong-client", "two-headers"];
/// Token kinds that must be accepted: `Bearer …`, the bare token, the header spelled in
/// lower case (as HTTP/2 clients send it).
const GOOD_TOKENS: [&str; 4] = ["valid", "valid", "bare", "lowercase-header"];
/// Access tokens the authorizer must refuse (401): of a client the file does not declare, a
/// user's own access token, a declared client's whose `sub` is not its `client_id`.
const ACCESS_BAD_TOKENS: [&str; 3] = ["unknown-client", "user-access", "sub-mismatch"];
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const API_ID: &str = "abcdef1234";

// ---------------------------------------------------------------------------------------------
// The roles model, as README's roles.yaml section defines it.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Seg {
    Lit(String),
    Var(String),
    Greedy(String),
}

impl Seg {
    /// API Gateway's preference at one position: literal, then `{var}`, then `{var+}`.
    fn rank(&self) -> u8 {
        match self {
            Seg::Lit(_) => 3,
            Seg::Var(_) => 2,
            Seg::Greedy(_) => 1,
        }
    }
    fn text(&self) -> String {
        match self {
            Seg::Lit(w) => w.clone(),
            Seg::Var(v) => format!("{{{v}}}"),
            Seg::Greedy(v) => format!("{{{v}+}}"),
        }
    }
}

/// `/orders/{id}` as written in roles.yaml and in API Gateway's `resourcePath`; `/` for root.
fn template(path: &[Seg]) -> String {
    if path.is_empty() {
        "/".into()
    } else {
        path.iter().map(|s| format!("/{}", s.text())).collect()
    }
}

fn parse_path(p: &str) -> Vec<Seg> {
    assert!(p.starts_with('/'), "path {p:?}");
    if p == "/" {
        return Vec::new();
    }
    p[1..]
        .split('/')
        .map(|s| {
            if let Some(inner) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                match inner.strip_suffix('+') {
                    Some(g) => Seg::Greedy(g.into()),
                    None => Seg::Var(inner.into()),
                }
            } else {
                Seg::Lit(s.into())
            }
        })
        .collect()
}

#[derive(Clone, Debug)]
enum Access {
    /// `public`: API Gateway never calls the authorizer.
    Public,
    /// `authenticated` (or `authenticated: true`): any signed-in user of the pool, in any
    /// group or none.
    Authenticated,
    /// A list of scopes: a caller needs any one of them.
    AnyOf(Vec<usize>),
}

#[derive(Clone, Debug)]
struct Group {
    name: String,
    scopes: Vec<usize>,
    includes: Vec<usize>,
}

#[derive(Clone, Debug)]
struct Route {
    method: String,
    path: Vec<Seg>,
    access: Access,
    /// `match: {<variable>: <claim>}`: each variable's concrete value must equal that claim of
    /// the caller's verified token.
    bound: Vec<(String, String)>,
}

/// A machine client (`clients:`): it calls with its own client-credentials access token.
#[derive(Clone, Debug)]
struct Client {
    name: String,
    scopes: Vec<usize>,
}

impl Route {
    fn key(&self) -> String {
        format!("{} {}", self.method, template(&self.path))
    }
}

#[derive(Clone, Debug)]
struct Roles {
    stage: String,
    ttl: Option<u64>,
    groups: Vec<Group>,
    routes: Vec<Route>,
    clients: Vec<Client>,
    /// `resource_server.identifier`: a full scope is `<identifier>/<scope>`.
    identifier: String,
    scope_names: Vec<String>,
}

impl Roles {
    /// Reads the subset of roles.yaml this test writes (and the bundled roles.yaml uses).
    fn from_value(v: &Value) -> Roles {
        let stage = v["api"]["stage"].as_str().expect("api.stage").to_string();
        let ttl = v["api"].get("authorizer_ttl").map(|t| t.as_u64().unwrap());
        let scopes: Vec<String> = v
            .get("scopes")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let scope_idx = |s: &Value| -> usize {
            let s = s.as_str().expect("scope name");
            scopes
                .iter()
                .position(|x| x == s)
                .unwrap_or_else(|| panic!("undeclared scope {s}"))
        };
        let empty = Map::new();
        let gmap = v.get("groups").and_then(Value::as_object).unwrap_or(&empty);
        let names: Vec<String> = gmap.keys().cloned().collect();
        let groups = gmap
            .iter()
            .map(|(name, def)| {
                let scopes = match def.get("scopes") {
                    None => Vec::new(),
                    Some(Value::String(_)) => vec![scope_idx(&def["scopes"])],
                    Some(Value::Array(a)) => a.iter().map(scope_idx).collect(),
                    Some(other) => panic!("group scopes {other}"),
                };
                let includes = def
                    .get("includes")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|g| {
                                let g = g.as_str().unwrap();
                                names.iter().position(|n| n == g).expect("declared group")
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Group {
                    name: name.clone(),
                    scopes,
                    includes,
                }
            })
            .collect();
        let routes = v
            .get("routes")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .iter()
            .map(|(key, val)| {
                let (method, path) = key.split_once(' ').expect("METHOD /path");
                let mut bound = Vec::new();
                let access = match val {
                    Value::String(s) if s == "public" => Access::Public,
                    Value::String(s) if s == "authenticated" => Access::Authenticated,
                    Value::Array(a) => Access::AnyOf(a.iter().map(scope_idx).collect()),
                    // The long form: exactly one of `scopes`, `public: true` and
                    // `authenticated: true`, and perhaps an `integration` (which does not change
                    // who may call the route).
                    Value::Object(o) => {
                        for k in o.keys() {
                            assert!(
                                ["scopes", "public", "authenticated", "integration", "match"]
                                    .contains(&k.as_str()),
                                "route {key}: key {k}"
                            );
                        }
                        if let Some(m) = o.get("match") {
                            for (var, claim) in m.as_object().expect("match is a mapping") {
                                bound.push((
                                    var.clone(),
                                    claim.as_str().expect("claim name").to_string(),
                                ));
                            }
                        }
                        let flag = |k: &str| o.get(k) == Some(&Value::Bool(true));
                        match (flag("public"), flag("authenticated"), o.get("scopes")) {
                            (true, false, None) => Access::Public,
                            (false, true, None) => Access::Authenticated,
                            (false, false, Some(Value::Array(a))) => {
                                Access::AnyOf(a.iter().map(scope_idx).collect())
                            }
                            _ => panic!("route {key}: value {val}"),
                        }
                    }
                    other => panic!("route value {other}"),
                };
                Route {
                    method: method.into(),
                    path: parse_path(path),
                    access,
                    bound,
                }
            })
            .collect();
        let clients = v
            .get("clients")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .iter()
            .map(|(name, def)| Client {
                name: name.clone(),
                scopes: def["scopes"]
                    .as_array()
                    .expect("client scopes")
                    .iter()
                    .map(scope_idx)
                    .collect(),
            })
            .collect();
        Roles {
            stage,
            ttl,
            groups,
            routes,
            clients,
            identifier: v["resource_server"]["identifier"]
                .as_str()
                .expect("resource_server.identifier")
                .to_string(),
            scope_names: scopes.clone(),
        }
    }

    /// Each group's effective scopes: its own plus those of every group it includes,
    /// transitively.
    fn effective(&self) -> Vec<BTreeSet<usize>> {
        (0..self.groups.len())
            .map(|g| {
                let mut seen = vec![false; self.groups.len()];
                let mut stack = vec![g];
                let mut out = BTreeSet::new();
                while let Some(x) = stack.pop() {
                    if std::mem::replace(&mut seen[x], true) {
                        continue;
                    }
                    out.extend(self.groups[x].scopes.iter().copied());
                    stack.extend(self.groups[x].includes.iter().copied());
                }
                out
            })
            .collect()
    }

    /// The union of the effective scopes of the declared groups among `names` (exact names;
    /// anything else grants nothing).
    fn caller_scopes(&self, eff: &[BTreeSet<usize>], names: &[String]) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for n in names {
            for (i, g) in self.groups.iter().enumerate() {
                if &g.name == n {
                    out.extend(eff[i].iter().copied());
                }
            }
        }
        out
    }
}

/// The access matrix: may a signed-in caller (a valid token of the pool) with these scopes call
/// this protected route? An `authenticated` route: always, in any group or none, known or not.
fn matrix(route: &Route, scopes: &BTreeSet<usize>) -> bool {
    match &route.access {
        Access::Public => unreachable!("the authorizer is not called for public routes"),
        Access::Authenticated => true,
        Access::AnyOf(s) => s.iter().any(|x| scopes.contains(x)),
    }
}

fn is_authenticated(route: &Route) -> bool {
    matches!(route.access, Access::Authenticated)
}

/// Who holds a token: a user (ID token; its string claims by name: `sub`,
/// `cognito:username`, `custom:…`; a claim left out is missing from the token) or machine
/// client number `n` of the roles file (its client-credentials access token).
#[derive(Clone, Debug, PartialEq)]
enum Who {
    User(BTreeMap<String, String>),
    Client(usize),
}

/// The extended matrix for a concrete request `pp` (its `pathParameters`) to a protected
/// route. A user: the groups' scopes (or `authenticated`) AND every `match` binding (the
/// variable's value equals that claim exactly; a missing or empty claim denies). A machine
/// client: one of the route's scopes among its own, and no `match` (a client has no user
/// claims); never an `authenticated` route.
fn decide_matrix(
    roles: &Roles,
    who: &Who,
    scopes: &BTreeSet<usize>,
    route: usize,
    pp: &Value,
) -> bool {
    let route = &roles.routes[route];
    match who {
        Who::Client(c) => {
            route.bound.is_empty()
                && match &route.access {
                    Access::AnyOf(s) => s.iter().any(|x| roles.clients[*c].scopes.contains(x)),
                    Access::Authenticated => false,
                    Access::Public => {
                        unreachable!("the authorizer is not called for public routes")
                    }
                }
        }
        Who::User(claims) => {
            matrix(route, scopes)
                && route.bound.iter().all(|(var, claim)| {
                    match (pp.get(var).and_then(Value::as_str), claims.get(claim)) {
                        (Some(value), Some(own)) => !own.is_empty() && value == own,
                        _ => false,
                    }
                })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The generator of random valid roles files.
// ---------------------------------------------------------------------------------------------

const WORDS: &[&str] = &[
    "orders", "users", "me", "summary", "items", "admin", "api", "reports", "sales", "legacy",
    "status", "export", "secret", "notes", "v1", "x.y", "_a", "b-c", "GET", "PUT", "POST", "HEAD",
    "ANY", "DELETE", "prod", "a", "b", "c", "1", "Summary", "teams", "audit",
];
const STAGES: &[&str] = &["prod", "v1", "dev_2", "GET", "Stage_X", "items", "ANY"];
const VAR_NAMES: &[&str] = &[
    "__proto__",
    "constructor",
    "id",
    "orderId",
    "userId",
    "x",
    "proxy",
    "rest",
    "path",
    "b",
    "v1",
    "GET",
];
/// The shared hostile scope names, and one that looks like a URL.
fn scope_pool() -> Vec<&'static str> {
    random::pool(random::HOSTILE_SCOPES, &["https:x"])
}
/// The shared hostile client names, and two that differ only in case.
fn client_pool() -> Vec<&'static str> {
    random::pool(random::HOSTILE_CLIENTS, &["CLIENT", "client"])
}
const GROUP_POOL: &[&str] = &[
    "Admin",
    "Editor",
    "Reader",
    "Analyst",
    "admin",
    "ADMIN",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "valueOf",
    "prototype",
    "length",
    "a*b",
    "*",
    "?",
    "x/y",
    "GET/*",
    "say\"hi\"",
    "back\\slash",
    "$1",
    "${x}",
    "{}",
    "{id}",
    "管理者",
    "Über",
    "ümlaut.ß",
    "Ωmega",
    "😀",
    "-",
    "1",
    "'quote'",
    "<b>",
    "%41",
    "a,b",
    "Reader*",
    "Reader?",
    "</script>",
];
/// The claims a `match` binds: the standard ones and custom attributes.
const CLAIMS: &[&str] = &["sub", "cognito:username", "custom:tenant", "custom:org_id"];
/// Values of users' claims, and of the path variables of requests to `match` routes: ids,
/// words that are other routes' path words, and wildcard and quoting characters (which must
/// stay data: `*` equals only `*`). A value with `/` never fills one path segment: it can
/// equal only a greedy variable's value.
const ID_POOL: &[&str] = &[
    "alice",
    "b0b5e1c0-7e57-4a11-9d0c-0123456789ab",
    "me",
    "*",
    "a*",
    "?",
    "b?d",
    "x/y",
    "*/*",
    "%2A",
    "%",
    "q\"t",
    "Alice",
    "ümlaut",
];
const METHOD_SETS: &[&[&str]] = &[
    &["GET"],
    &["GET"],
    &["ANY"],
    &["ANY", "GET"],
    &["ANY", "DELETE"],
    &["GET", "PUT"],
    &["POST", "HEAD"],
    &["POST"],
    &["PUT"],
    &["PATCH"],
    &["DELETE"],
    &["HEAD"],
    &["OPTIONS"],
    &["GET", "POST", "DELETE"],
    &["ANY", "OPTIONS", "PATCH"],
];

/// Routes being built, with API Gateway's structural rules enforced: at most one variable
/// child per parent resource (one name, greedy or not), a greedy variable only last, no
/// variable name twice in one path, no method twice on one path.
#[derive(Default)]
struct PathSet {
    var_at: HashMap<Vec<Seg>, Seg>,
    lits_at: HashMap<Vec<Seg>, BTreeSet<String>>,
    methods: BTreeMap<Vec<Seg>, BTreeSet<String>>,
}

impl PathSet {
    fn fits(&self, path: &[Seg]) -> bool {
        let mut names = BTreeSet::new();
        for (i, s) in path.iter().enumerate() {
            match s {
                Seg::Lit(_) => {}
                Seg::Var(n) | Seg::Greedy(n) => {
                    if !names.insert(n.clone()) {
                        return false;
                    }
                    if matches!(s, Seg::Greedy(_)) && i + 1 != path.len() {
                        return false;
                    }
                    if let Some(existing) = self.var_at.get(&path[..i])
                        && existing != s
                    {
                        return false;
                    }
                }
            }
        }
        true
    }
    fn add(&mut self, path: Vec<Seg>, methods: &[&str]) -> bool {
        if !self.fits(&path) {
            return false;
        }
        for (i, s) in path.iter().enumerate() {
            match s {
                Seg::Lit(w) => {
                    self.lits_at
                        .entry(path[..i].to_vec())
                        .or_default()
                        .insert(w.clone());
                }
                _ => {
                    self.var_at.insert(path[..i].to_vec(), s.clone());
                }
            }
        }
        let set = self.methods.entry(path).or_default();
        for m in methods {
            set.insert((*m).to_string());
        }
        true
    }
}

fn random_path(rng: &mut Rng, ps: &PathSet, words: &[String], deep: bool) -> Vec<Seg> {
    let mut path = Vec::new();
    if rng.chance(0.06) {
        return path; // the root `/`
    }
    loop {
        let parent = path.clone();
        if rng.chance(0.35) {
            let seg = match ps.var_at.get(&parent) {
                Some(s) => s.clone(),
                None => {
                    let used: BTreeSet<String> = path
                        .iter()
                        .filter_map(|s| match s {
                            Seg::Var(n) | Seg::Greedy(n) => Some(n.clone()),
                            Seg::Lit(_) => None,
                        })
                        .collect();
                    let free: Vec<&&str> =
                        VAR_NAMES.iter().filter(|n| !used.contains(**n)).collect();
                    let name = if free.is_empty() {
                        format!("v{}", path.len())
                    } else {
                        rng.pick(&free).to_string()
                    };
                    if rng.chance(0.2) {
                        Seg::Greedy(name)
                    } else {
                        Seg::Var(name)
                    }
                }
            };
            let greedy = matches!(seg, Seg::Greedy(_));
            path.push(seg);
            if greedy {
                return path;
            }
        } else {
            let existing: Vec<String> = ps
                .lits_at
                .get(&parent)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            let w = if !existing.is_empty() && rng.chance(0.4) {
                rng.pick(&existing).clone()
            } else {
                rng.pick(words).clone()
            };
            path.push(Seg::Lit(w));
        }
        let stop = if deep { 0.12 } else { 0.45 };
        if path.len() >= 9 || rng.chance(stop) {
            return path;
        }
    }
}

fn lit(w: &str) -> Seg {
    Seg::Lit(w.into())
}
fn var(n: &str) -> Seg {
    Seg::Var(n.into())
}
fn greedy(n: &str) -> Seg {
    Seg::Greedy(n.into())
}

/// A route's `integration` (README: `mock`, `{lambda: Param}` with a name of letters and
/// digits, `{http: URL}` whose `{var}`s are variables of the route's path). It changes what
/// the method calls, never who may call it.
fn integration(rng: &mut Rng, path: &[Seg]) -> Value {
    match rng.below(3) {
        0 => json!("mock"),
        1 => json!({ "lambda": format!("SignedInFn{}", rng.below(3)) }),
        _ => {
            let mut url = "https://backend.example.com/api".to_string();
            for s in path {
                if let Seg::Var(v) = s
                    && rng.chance(0.7)
                {
                    url.push_str(&format!("/{{{v}}}"));
                }
            }
            json!({ "http": url })
        }
    }
}

/// One random valid roles file, as the JSON text written to disk.
fn random_roles(rng: &mut Rng, index: usize) -> Value {
    let stage = rng.pick(STAGES).to_string();
    let ttl: Option<u64> = match rng.below(100) {
        0..40 => None,
        40..60 => Some(300),
        60..68 => Some(0),
        68..78 => Some(1),
        78..88 => Some(3600),
        _ => Some(rng.range(2, 3599) as u64),
    };

    // Scopes: usually a few, sometimes more than the 49 `cognito-scopes` allows (fine here).
    let mut scopes: Vec<String> = Vec::new();
    let n_scopes = if rng.chance(0.03) {
        rng.range(50, 70)
    } else {
        rng.range(1, 6)
    };
    let scope_pool = scope_pool();
    for i in rng.sample(scope_pool.len(), n_scopes) {
        scopes.push(scope_pool[i].to_string());
    }
    while scopes.len() < n_scopes {
        scopes.push(format!("s{}.{}", scopes.len(), rng.below(1000)));
    }

    // Groups: lateral ones and `includes` chains (includes only point forward: no cycles).
    let n_groups = if rng.chance(0.04) { 0 } else { rng.range(1, 6) };
    let mut names: Vec<String> = rng
        .sample(GROUP_POOL.len(), n_groups)
        .into_iter()
        .map(|i| GROUP_POOL[i].to_string())
        .collect();
    if n_groups > 0 && rng.chance(0.05) {
        names[0] = if rng.chance(0.5) {
            "G".repeat(128)
        } else {
            "é".repeat(128)
        };
    }
    let chain = rng.chance(0.3);
    let mut groups = Map::new();
    for (i, name) in names.iter().enumerate() {
        let k = rng.range(0, 2);
        let own: Vec<String> = rng
            .sample(scopes.len(), k)
            .into_iter()
            .map(|s| scopes[s].clone())
            .collect();
        let mut includes: Vec<String> = Vec::new();
        for (j, other) in names.iter().enumerate().skip(i + 1) {
            if (chain && j == i + 1) || (includes.len() < 2 && rng.chance(0.2)) {
                includes.push(other.clone());
            }
        }
        if own.is_empty() && includes.is_empty() && rng.chance(0.5) {
            groups.insert(name.clone(), Value::Null);
            continue;
        }
        let mut def = Map::new();
        if rng.chance(0.3) {
            def.insert("description".into(), json!(format!("group {i}: {name}")));
        }
        if rng.chance(0.3) {
            def.insert("precedence".into(), json!(rng.below(100)));
        }
        if own.len() == 1 && rng.chance(0.5) {
            def.insert("scopes".into(), json!(own[0]));
        } else if !own.is_empty() || rng.chance(0.2) {
            def.insert("scopes".into(), json!(own));
        }
        if !includes.is_empty() {
            def.insert("includes".into(), json!(includes));
        }
        groups.insert(name.clone(), Value::Object(def));
    }

    // Routes.
    let mut words: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
    words.push(stage.clone());
    let k = rng.range(5, words.len());
    let mut idx = rng.sample(words.len(), k);
    idx.sort();
    let words: Vec<String> = idx.into_iter().map(|i| words[i].clone()).collect();
    let mut ps = PathSet::default();
    let deep = rng.chance(0.2);
    let n_paths = if rng.chance(0.1) {
        rng.range(12, 22)
    } else {
        rng.range(2, 11)
    };
    // Trap shapes, each added to some files.
    let trap_sets: Vec<Vec<(Vec<Seg>, Vec<&str>)>> = vec![
        vec![
            (vec![lit("summary")], vec!["ANY"]),
            (vec![lit("me"), lit("summary")], vec!["ANY"]),
        ],
        vec![(vec![], vec!["GET"]), (vec![greedy("proxy")], vec!["ANY"])],
        vec![
            (vec![lit("orders"), var("id")], vec!["GET"]),
            (vec![lit("orders"), var("id"), lit("secret")], vec!["GET"]),
            (
                vec![lit("orders"), var("id"), lit("items"), lit("secret")],
                vec!["GET"],
            ),
            (vec![lit("orders"), lit("export")], vec!["GET"]),
        ],
        vec![
            (vec![lit("legacy"), greedy("rest")], vec!["ANY"]),
            (vec![lit("legacy"), lit("status")], vec!["GET"]),
        ],
        vec![
            (vec![lit("api"), greedy("proxy")], vec!["GET"]),
            (vec![lit("api"), lit("admin"), greedy("proxy")], vec!["GET"]),
        ],
        vec![
            (vec![lit("users"), var("id")], vec!["GET", "PUT"]),
            (vec![lit("users"), lit("me")], vec!["PATCH"]),
        ],
        vec![
            (vec![lit(&stage)], vec!["POST", "HEAD"]),
            (vec![lit("GET"), var("x")], vec!["GET"]),
            (vec![lit("GET")], vec!["ANY", "GET"]),
        ],
    ];
    for set in &trap_sets {
        if rng.chance(0.15) {
            for (p, m) in set {
                ps.add(p.clone(), m);
            }
        }
    }
    // Trap shapes for `authenticated` routes, each route's access fixed (`true`:
    // `authenticated`, `false`: scopes): every way a request can reach an authenticated route,
    // or be routed away from one by a more specific route, or fall through onto one.
    let auth_traps: Vec<Vec<(Vec<Seg>, &str, bool)>> = vec![
        // `ANY` authenticated next to an explicit scoped verb, and the reverse.
        vec![
            (vec![lit("me")], "ANY", true),
            (vec![lit("me")], "GET", false),
        ],
        vec![
            (vec![lit("account")], "ANY", false),
            (vec![lit("account")], "POST", true),
            (vec![lit("account")], "HEAD", true),
        ],
        // `{var}` authenticated with literal siblings: a scoped literal takes its verb, other
        // verbs fall through to `{id}` (authenticated for GET, scoped for DELETE).
        vec![
            (vec![lit("users"), var("id")], "GET", true),
            (vec![lit("users"), var("id")], "DELETE", false),
            (vec![lit("users"), lit("admin")], "GET", false),
            (vec![lit("users"), lit("me")], "PATCH", false),
            (vec![lit("users"), lit("me")], "PUT", true),
        ],
        // A greedy authenticated route under a scoped literal sibling, scoped for POST.
        vec![
            (vec![lit("files"), greedy("path")], "GET", true),
            (vec![lit("files"), greedy("path")], "POST", false),
            (vec![lit("files"), lit("secret")], "GET", false),
        ],
        // The root catch-all authenticated; scoped routes below it route requests away.
        vec![
            (vec![greedy("proxy")], "ANY", true),
            (vec![lit("reports")], "GET", false),
            (vec![lit("reports"), var("id")], "ANY", false),
        ],
        // A scoped greedy route with an authenticated literal inside it.
        vec![
            (vec![lit("legacy"), greedy("rest")], "ANY", false),
            (vec![lit("legacy"), lit("status")], "GET", true),
        ],
        // The root itself.
        vec![(vec![], "GET", true), (vec![], "POST", false)],
    ];
    let mut forced: HashMap<String, bool> = HashMap::new();
    for set in &auth_traps {
        if rng.chance(0.15) {
            for (p, m, auth) in set {
                if ps.add(p.clone(), &[m]) {
                    forced.insert(format!("{m} {}", template(p)), *auth);
                }
            }
        }
    }
    // As many fewer random paths as these traps added routes: the files stay about as large
    // (and the test about as long) as without them.
    let n_paths = n_paths.saturating_sub(forced.len()).max(2);
    for _ in 0..n_paths {
        let p = random_path(rng, &ps, &words, deep);
        let ms = *rng.pick(METHOD_SETS);
        let ms: Vec<&str> = ms.iter().copied().take(rng.range(1, ms.len())).collect();
        let added = ps.add(p, &ms);
        assert!(added, "random_path builds only paths that fit");
    }
    // The share of the other routes that are `authenticated`: none in some files.
    let auth_rate = *rng.pick(&[0.0, 0.0, 0.1, 0.2, 0.35]);
    // The share of protected routes with a `{var}` that get a `match`: none in some files.
    let match_rate = *rng.pick(&[0.0, 0.3, 0.5, 0.8]);
    let mut routes: Vec<(String, Value)> = Vec::new();
    for (path, methods) in &ps.methods {
        for m in methods {
            let key = format!("{m} {}", template(path));
            let access = match forced.get(&key) {
                Some(true) => "authenticated",
                Some(false) => "scopes",
                None if rng.chance(0.12) => "public",
                None if rng.chance(auth_rate) => "authenticated",
                None => "scopes",
            };
            let value = match access {
                "public" => {
                    if rng.chance(0.5) {
                        json!("public")
                    } else {
                        json!({ "public": true })
                    }
                }
                "authenticated" => match rng.below(4) {
                    0 | 1 => json!("authenticated"),
                    2 => json!({ "authenticated": true }),
                    _ => json!({ "authenticated": true, "integration": integration(rng, path) }),
                },
                _ => {
                    let k = rng.range(1, 3);
                    let s: Vec<String> = rng
                        .sample(scopes.len(), k)
                        .into_iter()
                        .map(|i| scopes[i].clone())
                        .collect();
                    if rng.chance(0.25) {
                        if rng.chance(0.2) {
                            json!({ "scopes": s, "integration": integration(rng, path) })
                        } else {
                            json!({ "scopes": s })
                        }
                    } else {
                        json!(s)
                    }
                }
            };
            // `{var}` and `{var+}` alike: a greedy variable's value (several segments) must
            // equal the claim as a whole.
            let vars: Vec<&str> = path
                .iter()
                .filter_map(|s| match s {
                    Seg::Var(n) | Seg::Greedy(n) => Some(n.as_str()),
                    _ => None,
                })
                .collect();
            let value = if access != "public" && !vars.is_empty() && rng.chance(match_rate) {
                let mut bound = Map::new();
                let k = rng.range(1, vars.len().min(2));
                for i in rng.sample(vars.len(), k) {
                    bound.insert(vars[i].to_string(), json!(rng.pick(CLAIMS)));
                }
                let mut long = match value {
                    Value::Object(o) => o,
                    Value::String(_) => {
                        let mut o = Map::new();
                        o.insert("authenticated".into(), json!(true));
                        o
                    }
                    Value::Array(a) => {
                        let mut o = Map::new();
                        o.insert("scopes".into(), Value::Array(a));
                        o
                    }
                    other => unreachable!("{other}"),
                };
                long.insert("match".into(), Value::Object(bound));
                Value::Object(long)
            } else {
                value
            };
            routes.push((key, value));
        }
    }
    rng.shuffle(&mut routes);

    // Machine clients: none in some files; random scopes, hostile names.
    let mut clients = Map::new();
    if rng.chance(0.7) {
        let k = rng.range(1, 4);
        let client_pool = client_pool();
        for i in rng.sample(client_pool.len(), k) {
            let n = rng.range(1, scopes.len().min(3));
            let s: Vec<String> = rng
                .sample(scopes.len(), n)
                .into_iter()
                .map(|j| scopes[j].clone())
                .collect();
            clients.insert(
                client_pool[i].to_string(),
                json!({ "description": format!("client {i}"), "scopes": s }),
            );
        }
    }

    let mut api = Map::new();
    api.insert("name".into(), json!(format!("random-api-{index}")));
    api.insert("stage".into(), json!(stage));
    api.insert("authorizer".into(), json!("lambda"));
    if let Some(t) = ttl {
        api.insert("authorizer_ttl".into(), json!(t));
    }
    let mut file = json!({
        "version": 1,
        "api": api,
        "user_pool": { "name": "random users", "domain": "random-users-auth" },
        "resource_server": { "identifier": "https://api.example.com", "name": "Random API" },
        "scopes": scopes.iter().map(|s| (s.clone(), json!(format!("scope {s}")))).collect::<Map<_, _>>(),
        "groups": groups,
        "routes": routes.into_iter().collect::<Map<_, _>>(),
    });
    if !clients.is_empty() {
        file["clients"] = Value::Object(clients);
    }
    file
}

fn fixed_file(stage: &str, scopes: &[&str], groups: Value, routes: Value) -> Value {
    json!({
        "version": 1,
        "api": { "name": "fixed", "stage": stage, "authorizer": "lambda" },
        "user_pool": { "name": "fixed users", "domain": "fixed-users-auth" },
        "resource_server": { "identifier": "api", "name": "Fixed API" },
        "scopes": scopes.iter().map(|s| (s.to_string(), json!(s))).collect::<Map<_, _>>(),
        "groups": groups,
        "routes": routes,
    })
}

/// The files every run checks: the issue's examples, the deep route, a trap collection and
/// the bundled roles.yaml switched to `lambda`.
fn fixed_files() -> Vec<(String, Value)> {
    let mut out = vec![
        (
            "fixed-deep".to_string(),
            fixed_file(
                "prod",
                &["deep", "read", "admin"],
                json!({
                    "Admin": { "scopes": ["admin"], "includes": ["Deep", "Reader"] },
                    "Deep": { "scopes": ["deep"] },
                    "Reader": { "scopes": "read" },
                }),
                json!({
                    "ANY /a/{b}/c/{d}/e/{g}/h/{i+}": ["deep"],
                    "GET /a/{b}/c": ["read"],
                    "GET /a/{b}/c/{d}/e": ["read"],
                    "GET /a/{b}/c/{d}/e/{g}/h/x": ["admin"],
                    "DELETE /a/{b}/c/{d}/e/{g}/h/x": "public",
                    "GET /a/h": ["read"],
                }),
            ),
        ),
        (
            "fixed-api-admin".to_string(),
            fixed_file(
                "prod",
                &["user", "admin"],
                json!({
                    "Admin": { "scopes": ["admin"] },
                    "User": { "scopes": ["user"] },
                }),
                json!({
                    "GET /api/{proxy+}": ["user"],
                    "GET /api/admin/{proxy+}": ["admin"],
                    "GET /api/admin": ["admin"],
                    "POST /api/{proxy+}": ["admin"],
                }),
            ),
        ),
        (
            "fixed-users-proxy".to_string(),
            fixed_file(
                "v1",
                &["user", "admin"],
                json!({
                    "Admin": { "scopes": ["admin"] },
                    "User": { "scopes": ["user"] },
                }),
                json!({
                    "GET /users/{id}": ["user"],
                    "ANY /{proxy+}": ["admin"],
                    "GET /health": "public",
                    "GET /users/me": { "public": true },
                }),
            ),
        ),
        (
            "fixed-items-summary".to_string(),
            fixed_file(
                "prod",
                &["read", "admin"],
                json!({
                    "Admin": { "scopes": ["admin"], "includes": ["Reader"] },
                    "Reader": { "scopes": ["read"] },
                    "Other": null,
                }),
                json!({
                    "ANY /items": ["admin"],
                    "ANY /{rest+}": ["read"],
                    "ANY /summary": ["read"],
                    "ANY /me/summary": ["admin"],
                    "GET /me": ["read"],
                }),
            ),
        ),
        (
            "fixed-trap".to_string(),
            fixed_file(
                "prod",
                &["read", "admin", "legacy", "notes"],
                json!({
                    "Admin": { "scopes": ["admin"] },
                    "Reader": { "scopes": ["read"] },
                    "LegacyUser": { "scopes": ["legacy"] },
                    "Noter": { "scopes": ["notes"] },
                    "__proto__": { "includes": ["Reader"] },
                    "constructor": { "scopes": ["admin"] },
                }),
                json!({
                    "GET /": ["read"],
                    "GET /orders": ["read"],
                    "GET /orders/{id}": ["read"],
                    "GET /orders/{id}/secret": ["admin"],
                    "GET /orders/{id}/items/secret": ["read"],
                    "GET /orders/export": ["admin"],
                    "GET /users/me": ["read"],
                    "GET /users/{id}": ["admin"],
                    "ANY /legacy/{p+}": ["legacy"],
                    "GET /legacy/status": ["read"],
                    "GET /teams/{t}/notes": ["notes"],
                    "GET /teams/{t}/audit/{a}/summary": ["notes"],
                    "GET /teams/{t}/audit/notes": ["admin"],
                    "GET /reports": ["read"],
                    "PUT /reports": ["admin"],
                }),
            ),
        ),
        (
            // `authenticated` routes in both forms (and with integrations) among scoped ones:
            // `ANY` next to an explicit verb, `{var}` and greedy routes with literal siblings,
            // fall-through onto and away from them, the root catch-all and the root.
            "fixed-authenticated".to_string(),
            fixed_file(
                "prod",
                &["read", "admin"],
                json!({
                    "Admin": { "scopes": ["admin"], "includes": ["Reader"] },
                    "Reader": { "scopes": "read" },
                    "Nobody": null,
                    "constructor": {},
                }),
                json!({
                    "GET /": "authenticated",
                    "ANY /me": "authenticated",
                    "GET /me": ["admin"],
                    "PUT /me/settings": { "authenticated": true, "integration": { "lambda": "SettingsFn" } },
                    "GET /users/{id}": { "authenticated": true },
                    "GET /users/admin": ["admin"],
                    "DELETE /users/{id}": ["admin"],
                    "PATCH /users/me": { "scopes": ["read"] },
                    "PUT /users/me": "authenticated",
                    "ANY /{proxy+}": "authenticated",
                    "GET /reports": ["read"],
                    "POST /reports": { "authenticated": true, "integration": "mock" },
                    "ANY /legacy/{rest+}": ["read"],
                    "GET /legacy/status": { "authenticated": true, "integration": { "http": "https://backend.example.com/status" } },
                    "GET /files/{path+}": "authenticated",
                    "GET /files/secret": ["admin"],
                    "OPTIONS /files/secret": "public",
                }),
            ),
        ),
    ];
    // The issue's "only your own `{userid}`" with the names code trips on: `match` on
    // `{__proto__}` and `{constructor}`, two variables, a greedy one, an `authenticated` one
    // next to a scoped literal, and machine clients granted the same scopes (never the `match`
    // routes).
    let mut m = fixed_file(
        "prod",
        &["read", "write"],
        json!({ "Reader": { "scopes": ["read"] }, "Writer": { "scopes": ["write"], "includes": ["Reader"] } }),
        json!({
            "GET /users/{__proto__}": { "scopes": ["read"], "match": { "__proto__": "sub" } },
            "PUT /users/{__proto__}": { "scopes": ["write"], "match": { "__proto__": "cognito:username" } },
            "GET /users/me": ["read"],
            "GET /users/{__proto__}/orders/{constructor}": {
                "scopes": ["read", "write"],
                "match": { "__proto__": "sub", "constructor": "custom:tenant" },
            },
            "GET /tenants/{constructor}": { "authenticated": true, "match": { "constructor": "custom:tenant" } },
            "GET /tenants/all": ["write"],
            "GET /home/{path+}": { "authenticated": true, "match": { "path": "sub" } },
            "GET /orders": ["read"],
        }),
    );
    m["clients"] = json!({
        "batch": { "description": "reads", "scopes": ["read"] },
        "__proto__": { "description": "writes", "scopes": ["write", "read"] },
    });
    out.push(("fixed-match".to_string(), m));
    let bundled = fs::read_to_string(common::repo().join("roles.yaml")).expect("roles.yaml");
    let mut v: Value = serde_saphyr::from_str(&bundled).expect("roles.yaml parses");
    v["api"]["authorizer"] = json!("lambda");
    out.push(("bundled-roles".to_string(), v));
    out
}

// ---------------------------------------------------------------------------------------------
// API Gateway's router.
// ---------------------------------------------------------------------------------------------

struct Resource {
    path: Vec<Seg>,
    template: String,
    /// method (verb or `ANY`) → route index
    methods: BTreeMap<String, usize>,
}

fn resources(roles: &Roles) -> Vec<Resource> {
    let mut by_path: BTreeMap<Vec<Seg>, BTreeMap<String, usize>> = BTreeMap::new();
    for (i, r) in roles.routes.iter().enumerate() {
        let prev = by_path
            .entry(r.path.clone())
            .or_default()
            .insert(r.method.clone(), i);
        assert!(prev.is_none(), "duplicate route {}", r.key());
    }
    by_path
        .into_iter()
        .map(|(path, methods)| Resource {
            template: template(&path),
            path,
            methods,
        })
        .collect()
}

/// Does the resource match the concrete path? A literal matches the same word, `{var}` one
/// segment, `{var+}` one or more (it is always last).
fn matches(res: &[Seg], req: &[String]) -> bool {
    let mut i = 0;
    for s in res {
        match s {
            Seg::Lit(w) => {
                if i >= req.len() || req[i] != *w {
                    return false;
                }
                i += 1;
            }
            Seg::Var(_) => {
                if i >= req.len() {
                    return false;
                }
                i += 1;
            }
            Seg::Greedy(_) => return i < req.len(),
        }
    }
    i == req.len()
}

/// Is `a` more specific than `b` (both matching the same path)? At the first position where
/// they differ: literal > `{var}` > `{var+}`.
fn more_specific(a: &[Seg], b: &[Seg]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x.rank() != y.rank() {
            return x.rank() > y.rank();
        }
    }
    a.len() > b.len()
}

struct Dispatch {
    res: usize,
    route: usize,
    /// A more specific resource matched the path but had no method for the verb.
    fell_through: bool,
}

fn dispatch(resources: &[Resource], verb: &str, req: &[String]) -> Option<Dispatch> {
    let mut best: Option<(usize, usize)> = None;
    let mut best_any_match: Option<usize> = None;
    for (i, r) in resources.iter().enumerate() {
        if !matches(&r.path, req) {
            continue;
        }
        if best_any_match.is_none_or(|b| more_specific(&r.path, &resources[b].path)) {
            best_any_match = Some(i);
        }
        let route = match r.methods.get(verb).or_else(|| r.methods.get("ANY")) {
            Some(route) => *route,
            None => continue,
        };
        if best.is_none_or(|(b, _)| more_specific(&r.path, &resources[b].path)) {
            best = Some((i, route));
        }
    }
    best.map(|(res, route)| Dispatch {
        res,
        route,
        fell_through: best_any_match != Some(res),
    })
}

/// `pathParameters` as API Gateway fills them (a greedy variable's value is the rest of the
/// path, `/` included); `null` for none.
fn path_parameters(res: &[Seg], req: &[String]) -> Value {
    let mut m = Map::new();
    for (i, s) in res.iter().enumerate() {
        match s {
            Seg::Lit(_) => {}
            Seg::Var(n) => {
                m.insert(n.clone(), json!(req[i]));
            }
            Seg::Greedy(n) => {
                m.insert(n.clone(), json!(req[i..].join("/")));
            }
        }
    }
    if m.is_empty() {
        Value::Null
    } else {
        Value::Object(m)
    }
}

// ---------------------------------------------------------------------------------------------
// IAM: the policy an authorizer returns, evaluated against a method ARN.
// ---------------------------------------------------------------------------------------------

struct Statement {
    allow: bool,
    /// Each pattern: `None` for `*`, else its six `:`-separated ARN parts.
    resources: Vec<Option<Vec<Vec<char>>>>,
}

fn one_or_many(v: &Value) -> Result<Vec<&Value>, String> {
    match v {
        Value::Array(a) => Ok(a.iter().collect()),
        Value::String(_) => Ok(vec![v]),
        other => Err(format!("expected a string or a list, got {other}")),
    }
}

/// Reads a policy document; anything this evaluator does not model is an error.
fn parse_policy(doc: &Value) -> Result<Vec<Statement>, String> {
    let obj = doc.as_object().ok_or("policy is not an object")?;
    for k in obj.keys() {
        if k != "Version" && k != "Statement" {
            return Err(format!("unexpected policy key {k:?}"));
        }
    }
    if obj.get("Version") != Some(&json!("2012-10-17")) {
        return Err(format!("policy Version {:?}", obj.get("Version")));
    }
    let stmts: Vec<&Value> = match obj.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        other => return Err(format!("Statement is {other:?}")),
    };
    let mut out = Vec::new();
    for s in stmts {
        let so = s.as_object().ok_or("statement is not an object")?;
        for k in so.keys() {
            if !["Action", "Effect", "Resource", "Sid"].contains(&k.as_str()) {
                return Err(format!("unexpected statement key {k:?} in {s}"));
            }
        }
        let allow = match so.get("Effect").and_then(Value::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            other => return Err(format!("Effect {other:?}")),
        };
        let actions = one_or_many(so.get("Action").ok_or("statement without Action")?)?;
        let mut invoke = false;
        for a in actions {
            let a = a
                .as_str()
                .ok_or("Action is not a string")?
                .to_ascii_lowercase();
            if ["execute-api:invoke", "execute-api:*", "*"].contains(&a.as_str()) {
                invoke = true;
            } else {
                return Err(format!("unexpected Action {a:?}"));
            }
        }
        if !invoke {
            return Err("statement without an action".into());
        }
        let mut resources = Vec::new();
        for r in one_or_many(so.get("Resource").ok_or("statement without Resource")?)? {
            let r = r.as_str().ok_or("Resource is not a string")?;
            if r.contains("${") {
                return Err(format!("policy variable in Resource {r:?}"));
            }
            if r == "*" {
                resources.push(None);
                continue;
            }
            let parts: Vec<Vec<char>> = r.splitn(6, ':').map(|p| p.chars().collect()).collect();
            if parts.len() != 6 {
                return Err(format!("Resource {r:?} is not an ARN"));
            }
            resources.push(Some(parts));
        }
        out.push(Statement { allow, resources });
    }
    Ok(out)
}

/// IAM's wildcard match: `*` any run of characters (`/` included, possibly empty), `?` exactly
/// one character.
fn glob(p: &[char], s: &[char]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        // A `*` in the pattern is a wildcard even where the subject holds a `*` (a request path
        // may): tried before the literal comparison.
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Explicit Deny wins; else any matching Allow allows; else implicit deny.
fn decide(stmts: &[Statement], arn: &[Vec<char>]) -> bool {
    let mut allowed = false;
    for s in stmts {
        let hit = s.resources.iter().any(|r| match r {
            None => true,
            Some(parts) => parts.iter().zip(arn).all(|(p, a)| glob(p, a)),
        });
        if hit {
            if !s.allow {
                return false;
            }
            allowed = true;
        }
    }
    allowed
}

fn arn_parts(arn: &str) -> Vec<Vec<char>> {
    let parts: Vec<Vec<char>> = arn.splitn(6, ':').map(|p| p.chars().collect()).collect();
    assert_eq!(parts.len(), 6);
    parts
}

// ---------------------------------------------------------------------------------------------
// The generated template: the authorizer's cache key and TTL, and each method's protection.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    /// `method.request.header.Authorization`: the caller's token.
    Token,
    /// `context.httpMethod`: the request's verb.
    Verb,
    /// `context.resourcePath`: the resource template API Gateway dispatched to.
    ResourcePath,
    /// `context.path`: the concrete path.
    Path,
}

struct Deployed {
    /// Each authorizer's identity sources (its cache key); API Gateway keeps one cache per
    /// authorizer.
    authorizers: Vec<Vec<Source>>,
    /// Route key (`GET /a/{b}`) → the authorizer its method uses (an index into
    /// `authorizers`).
    method_auth: HashMap<String, usize>,
    ttl: u64,
    /// The machine clients' names in the order the authorizer function's `MACHINE_CLIENT_IDS`
    /// lists their app clients.
    machine_ids: Vec<String>,
}

fn parse_sources(s: &str) -> Result<Vec<Source>, String> {
    s.split(',')
        .map(|part| {
            let part = part.trim();
            if let Some(h) = part.strip_prefix("method.request.header.")
                && h.eq_ignore_ascii_case("authorization")
            {
                return Ok(Source::Token);
            }
            match part {
                "context.httpMethod" => Ok(Source::Verb),
                "context.resourcePath" => Ok(Source::ResourcePath),
                "context.path" => Ok(Source::Path),
                _ => Err(format!(
                    "identity source {part:?} is not one this test models"
                )),
            }
        })
        .collect()
}

fn read_template(text: &str, roles: &Roles) -> Result<Deployed, String> {
    let v: Value =
        serde_saphyr::from_str(text).map_err(|e| format!("template does not parse: {e}"))?;
    let res = v["Resources"]
        .as_object()
        .ok_or("template has no Resources")?;
    let of_type = |t: &str| -> Vec<(&String, &Value)> {
        res.iter()
            .filter(|(_, r)| r["Type"] == t)
            .map(|(id, r)| (id, &r["Properties"]))
            .collect()
    };
    let auths = of_type("AWS::ApiGateway::Authorizer");
    if auths.is_empty() {
        return Err("no AWS::ApiGateway::Authorizer".into());
    }
    let mut authorizers = Vec::new();
    let mut auth_ids = Vec::new();
    for (auth_id, auth) in &auths {
        if auth["Type"] != "REQUEST" {
            return Err(format!("{auth_id}: Type is {}, not REQUEST", auth["Type"]));
        }
        let sources = parse_sources(
            auth["IdentitySource"]
                .as_str()
                .ok_or("authorizer has no IdentitySource string")?,
        )?;
        if !sources.contains(&Source::Token) {
            return Err(format!(
                "{auth_id}: IdentitySource does not name the Authorization header"
            ));
        }
        let ttl = match &auth["AuthorizerResultTtlInSeconds"] {
            Value::Null => 300,
            Value::Number(n) => n.as_u64().ok_or("TTL is not a whole number")?,
            Value::String(s) => s.parse().map_err(|_| format!("TTL {s:?}"))?,
            other => return Err(format!("TTL {other}")),
        };
        if ttl != roles.ttl.unwrap_or(300) {
            return Err(format!(
                "{auth_id}: AuthorizerResultTtlInSeconds {ttl}, roles file says {:?}",
                roles.ttl
            ));
        }
        authorizers.push(sources);
        auth_ids.push(json!({ "Ref": auth_id }));
    }
    let ttl = roles.ttl.unwrap_or(300);

    // The machine clients as Cognito will create them: one client-credentials app client each,
    // allowed exactly the client's full scopes; the function's MACHINE_CLIENT_IDS names them.
    let mut machine_by_id: HashMap<String, String> = HashMap::new();
    for (id, p) in of_type("AWS::Cognito::UserPoolClient") {
        if p["AllowedOAuthFlows"] != json!(["client_credentials"]) {
            continue;
        }
        let name = p["ClientName"]
            .as_str()
            .ok_or(format!("{id}: no ClientName"))?;
        let c = roles
            .clients
            .iter()
            .find(|c| c.name == name)
            .ok_or(format!("{id}: client {name:?} is not in the roles file"))?;
        let want: BTreeSet<String> = c
            .scopes
            .iter()
            .map(|&s| format!("{}/{}", roles.identifier, roles.scope_names[s]))
            .collect();
        let got: BTreeSet<String> = p["AllowedOAuthScopes"]
            .as_array()
            .ok_or(format!("{id}: no AllowedOAuthScopes"))?
            .iter()
            .map(|x| x.as_str().unwrap_or("?").to_string())
            .collect();
        if got != want || p["GenerateSecret"] != json!(true) {
            return Err(format!(
                "{id}: AllowedOAuthScopes {got:?} (want {want:?}), GenerateSecret {}",
                p["GenerateSecret"]
            ));
        }
        if machine_by_id.insert(id.clone(), name.to_string()).is_some() {
            return Err(format!("{id} twice"));
        }
    }
    if machine_by_id.len() != roles.clients.len() {
        return Err(format!(
            "{} client-credentials app clients for {} clients",
            machine_by_id.len(),
            roles.clients.len()
        ));
    }
    let functions = of_type("AWS::Lambda::Function");
    let [(_, function)] = functions.as_slice() else {
        return Err(format!("{} Lambda functions", functions.len()));
    };
    let env_ids = &function["Environment"]["Variables"]["MACHINE_CLIENT_IDS"];
    let machine_ids: Vec<String> = match env_ids {
        Value::Null if roles.clients.is_empty() => Vec::new(),
        v => {
            let join = v["Fn::Join"]
                .as_array()
                .ok_or(format!("MACHINE_CLIENT_IDS is {v}"))?;
            if join.len() != 2 || join[0] != "," {
                return Err(format!("MACHINE_CLIENT_IDS is {v}"));
            }
            join[1]
                .as_array()
                .ok_or(format!("MACHINE_CLIENT_IDS is {v}"))?
                .iter()
                .map(|r| {
                    r["Ref"]
                        .as_str()
                        .and_then(|id| machine_by_id.get(id))
                        .cloned()
                        .ok_or(format!("MACHINE_CLIENT_IDS names {r}"))
                })
                .collect::<Result<_, _>>()?
        }
    };
    if machine_ids.len() != roles.clients.len() {
        return Err(format!("MACHINE_CLIENT_IDS names {machine_ids:?}"));
    }

    // Rebuild each method's path from ParentId/PathPart and compare its protection with the
    // roles file: protected routes CUSTOM with this authorizer, public ones NONE.
    let paths = ResourcePaths::read(res)?;
    let path_of = |id| paths.path_of(id);
    let mut deployed: BTreeMap<String, String> = BTreeMap::new();
    let mut method_auth = HashMap::new();
    for (id, p) in of_type("AWS::ApiGateway::Method") {
        let path = path_of(resource_ref(&p["ResourceId"])?)?;
        let verb = p["HttpMethod"]
            .as_str()
            .ok_or("method without HttpMethod")?;
        let auth_type = p["AuthorizationType"].as_str().unwrap_or("?").to_string();
        let protection = if auth_type == "CUSTOM" {
            let Some(a) = auth_ids.iter().position(|x| *x == p["AuthorizerId"]) else {
                return Err(format!("{id}: AuthorizerId {}", p["AuthorizerId"]));
            };
            method_auth.insert(format!("{verb} {path}"), a);
            "CUSTOM".to_string()
        } else {
            auth_type
        };
        deployed.insert(format!("{verb} {path}"), protection);
    }
    let wanted: BTreeMap<String, String> = roles
        .routes
        .iter()
        .map(|r| {
            let p = match r.access {
                Access::Public => "NONE",
                Access::Authenticated | Access::AnyOf(_) => "CUSTOM",
            };
            (r.key(), p.to_string())
        })
        .collect();
    if deployed != wanted {
        let mut diff = String::new();
        for (k, v) in &wanted {
            if deployed.get(k) != Some(v) {
                let _ = write!(diff, " {k}: wanted {v}, template {:?};", deployed.get(k));
            }
        }
        for k in deployed.keys().filter(|k| !wanted.contains_key(*k)) {
            let _ = write!(diff, " {k}: not in roles;");
        }
        return Err(format!("the template's methods differ from roles:{diff}"));
    }
    Ok(Deployed {
        authorizers,
        method_auth,
        ttl,
        machine_ids,
    })
}

// ---------------------------------------------------------------------------------------------
// One file's plan: requests, callers, the cache, and the policyFor calls it needs.
// ---------------------------------------------------------------------------------------------

/// A concrete request that reaches the authorizer.
struct Routed {
    verb: &'static str,
    /// `/orders/42` (`/` for root).
    path: String,
    route: usize,
    res: usize,
    arn: String,
    arn_parts: Vec<Vec<char>>,
    pp: Value,
    fell_through: bool,
    /// The authorizer of the route's method (an index into `Deployed::authorizers`).
    auth: usize,
    /// An `authenticated` route other than `route` matches the path and the verb (its own or
    /// `ANY`): a more specific resource, or an explicit method next to `ANY`, took the request
    /// away from it.
    shadows_auth: bool,
}

#[derive(Clone, Copy)]
struct Decision {
    caller: u32,
    req: u32,
    /// Index into the file's policyFor calls: the answer the cache or the call gave.
    call: u32,
    /// The request that filled the cache entry used, when it was another one.
    miss_req: u32,
    hit: bool,
}

struct HandlerCase {
    who: Who,
    groups: Option<Vec<String>>,
    caller_scopes: BTreeSet<usize>,
    sub: String,
    kind: &'static str,
    req: usize,
}

struct Plan {
    name: String,
    roles: Roles,
    resources: Vec<Resource>,
    routed: Vec<Routed>,
    callers: Vec<Vec<String>>,
    /// Each caller's token: a user's claims or a machine client.
    who: Vec<Who>,
    caller_scopes: Vec<BTreeSet<usize>>,
    calls: Vec<(u32, u32)>,
    main: Vec<Decision>,
    weak: Vec<Decision>,
    /// The self-check of `match` routes: the same requests with the cache keyed on the token,
    /// the verb and the resource only, for every method (`context.path` left out).
    weak_path: Vec<Decision>,
    /// Each machine client's name and app client id, in MACHINE_CLIENT_IDS's order.
    machine_ids: Vec<(String, String)>,
    handler: Vec<HandlerCase>,
    pool: String,
    client: String,
    module: PathBuf,
}

fn words_of(roles: &Roles) -> Vec<String> {
    let mut w: BTreeSet<String> = BTreeSet::new();
    for r in &roles.routes {
        for s in &r.path {
            if let Seg::Lit(x) = s {
                w.insert(x.clone());
            }
        }
    }
    w.insert(roles.stage.clone());
    for v in VERBS.iter().chain(&["ANY", "42", "x-1", "Orders"]) {
        w.insert(v.to_string());
    }
    w.into_iter().collect()
}

/// Concrete requests: for every route several instantiations (variable values are other
/// routes' words, the stage, verbs; greedy variables get one to three segments; a `match`
/// route's bound variables also take the callers' claim values), each with every verb; plus
/// random paths over the file's words.
fn requests(rng: &mut Rng, roles: &Roles, ids: &[String]) -> BTreeSet<(&'static str, Vec<String>)> {
    let words = words_of(roles);
    let segment_ids: Vec<String> = ids.iter().filter(|i| !i.contains('/')).cloned().collect();
    let mut paths: BTreeSet<Vec<String>> = BTreeSet::new();
    for r in &roles.routes {
        let vars = r.path.iter().filter(|s| !matches!(s, Seg::Lit(_))).count();
        let n = if vars == 0 { 1 } else { 3 + vars.min(3) };
        let n = if r.bound.is_empty() { n } else { n + 4 };
        for _ in 0..n {
            let mut p = Vec::new();
            for s in &r.path {
                match s {
                    Seg::Lit(w) => p.push(w.clone()),
                    Seg::Var(v)
                        if r.bound.iter().any(|(b, _)| b == v)
                            && !segment_ids.is_empty()
                            && rng.chance(0.8) =>
                    {
                        p.push(rng.pick(&segment_ids).clone())
                    }
                    Seg::Var(_) => p.push(rng.pick(&words).clone()),
                    Seg::Greedy(v) if r.bound.iter().any(|(b, _)| b == v) && rng.chance(0.8) => {
                        p.extend(rng.pick(ids).split('/').map(str::to_string));
                    }
                    Seg::Greedy(_) => {
                        for _ in 0..rng.range(1, 3) {
                            p.push(rng.pick(&words).clone());
                        }
                    }
                }
            }
            paths.insert(p);
        }
    }
    for _ in 0..20 {
        let len = rng.range(0, 5);
        paths.insert((0..len).map(|_| rng.pick(&words).clone()).collect());
    }
    let mut out = BTreeSet::new();
    for p in paths {
        for v in VERBS {
            out.insert((v, p.clone()));
        }
    }
    out
}

/// Callers: no group, each group, pairs, all groups, random subsets, and unknown names.
fn callers(rng: &mut Rng, roles: &Roles) -> Vec<Vec<String>> {
    let names: Vec<String> = roles.groups.iter().map(|g| g.name.clone()).collect();
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for n in &names {
        out.push(vec![n.clone()]);
    }
    let mut pairs = Vec::new();
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            pairs.push(vec![names[i].clone(), names[j].clone()]);
        }
    }
    rng.shuffle(&mut pairs);
    pairs.truncate(10);
    out.extend(pairs);
    if names.len() > 2 {
        out.push(names.clone());
    }
    for _ in 0..2 {
        if names.len() > 1 {
            let k = rng.range(1, names.len());
            out.push(
                rng.sample(names.len(), k)
                    .into_iter()
                    .map(|i| names[i].clone())
                    .collect(),
            );
        }
    }
    let mut unknown: Vec<String> = ["NoSuchGroup", "__proto__", "constructor", "toString", ""]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for n in &names {
        unknown.push(n.to_uppercase());
        unknown.push(n.to_lowercase());
        unknown.push(format!("{n}x"));
        unknown.push(format!(" {n}"));
        // The same name in Unicode's decomposed form (`Ü` as `U` + U+0308).
        unknown.push(n.replace('Ü', "U\u{308}").replace('é', "e\u{301}"));
    }
    unknown.retain(|u| !names.contains(u));
    if !unknown.is_empty() {
        out.push(vec![rng.pick(&unknown).clone()]);
        out.push(vec![rng.pick(&unknown).clone(), rng.pick(&unknown).clone()]);
        if let Some(n) = names.first() {
            out.push(vec![rng.pick(&unknown).clone(), n.clone(), n.clone()]);
        }
    }
    out
}

/// The cache key: the values of the identity sources, in order (`None` for a source the key
/// does not contain).
type CacheKey<'a> = (
    Option<usize>,
    Option<&'a str>,
    Option<usize>,
    Option<&'a str>,
);

/// A user's claims, drawn from the file's ids: `sub` always (a Cognito token always has one);
/// the others present, empty or missing.
fn user_claims(rng: &mut Rng, ids: &[String]) -> BTreeMap<String, String> {
    let mut c = BTreeMap::new();
    c.insert("sub".to_string(), rng.pick(ids).clone());
    for claim in &CLAIMS[1..] {
        match rng.below(10) {
            0 => {}
            1 => {
                c.insert(claim.to_string(), String::new());
            }
            _ => {
                c.insert(claim.to_string(), rng.pick(ids).clone());
            }
        }
    }
    c
}

fn cache_key<'a>(sources: &[Source], caller: usize, r: &'a Routed) -> CacheKey<'a> {
    let mut key: CacheKey = (None, None, None, None);
    for s in sources {
        match s {
            Source::Token => key.0 = Some(caller),
            Source::Verb => key.1 = Some(r.verb),
            Source::ResourcePath => key.2 = Some(r.res),
            Source::Path => key.3 = Some(&r.path),
        }
    }
    key
}

/// API Gateway's authorizer cache, over every caller's requests in their own shuffled order.
/// Only a miss calls the authorizer; a hit reuses the answer the miss got.
/// `keying` gives a request's authorizer and that authorizer's identity sources: one cache per
/// authorizer, keyed by its own sources.
fn simulate(
    keying: &dyn Fn(&Routed) -> (usize, Vec<Source>),
    ttl: u64,
    orders: &[Vec<usize>],
    routed: &[Routed],
    calls: &mut Vec<(u32, u32)>,
    call_index: &mut HashMap<(u32, u32), u32>,
) -> Vec<Decision> {
    let mut cache: HashMap<(usize, CacheKey), (u32, u32)> = HashMap::new();
    let mut out = Vec::new();
    for (caller, order) in orders.iter().enumerate() {
        for &req in order {
            let (auth, sources) = keying(&routed[req]);
            let key = (auth, cache_key(&sources, caller, &routed[req]));
            let cached = if ttl > 0 {
                cache.get(&key).copied()
            } else {
                None
            };
            let (call, miss_req, hit) = match cached {
                Some((call, miss_req)) => (call, miss_req, true),
                None => {
                    let c = (caller as u32, req as u32);
                    let call = *call_index.entry(c).or_insert_with(|| {
                        calls.push(c);
                        (calls.len() - 1) as u32
                    });
                    if ttl > 0 {
                        cache.insert(key, (call, req as u32));
                    }
                    (call, req as u32, false)
                }
            };
            out.push(Decision {
                caller: caller as u32,
                req: req as u32,
                call,
                miss_req,
                hit,
            });
        }
    }
    out
}

/// How much of a file a plan covers: everything (the `lambda` test), or, where every call is
/// costly (the `verified-permissions` test), fewer callers and requests.
#[derive(Clone, Copy)]
struct Budget {
    /// When set: keep no group and each group, and only that many of the other callers
    /// (pairs, all groups, subsets, unknown names), picked at random.
    extra_callers: Option<usize>,
    /// When set and the cache is off (TTL 0: every request is a call), each caller makes at
    /// most that many of the file's requests, picked at random.
    uncached_requests: Option<usize>,
}

const FULL: Budget = Budget {
    extra_callers: None,
    uncached_requests: None,
};

fn plan(
    name: &str,
    roles: Roles,
    deployed: &Deployed,
    rng: &mut Rng,
    module: PathBuf,
    budget: Budget,
) -> Plan {
    let resources = resources(&roles);
    let eff = roles.effective();
    // The ids of this file's users: a few of the pool and one of its own.
    let mut ids: Vec<String> = rng
        .sample(ID_POOL.len(), 5)
        .into_iter()
        .map(|i| ID_POOL[i].to_string())
        .collect();
    ids.push(format!("u-{}", rng.alnum(8, b"0123456789abcdef")));
    let mut routed = Vec::new();
    for (verb, segs) in requests(rng, &roles, &ids) {
        let Some(d) = dispatch(&resources, verb, &segs) else {
            continue; // API Gateway answers without calling the authorizer
        };
        if matches!(roles.routes[d.route].access, Access::Public) {
            continue;
        }
        let arn = format!(
            "arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{}/{verb}/{}",
            roles.stage,
            segs.join("/")
        );
        let shadows_auth = roles.routes.iter().enumerate().any(|(i, rt)| {
            i != d.route
                && is_authenticated(rt)
                && (rt.method == verb || rt.method == "ANY")
                && matches(&rt.path, &segs)
        });
        routed.push(Routed {
            verb,
            path: format!("/{}", segs.join("/")),
            route: d.route,
            res: d.res,
            arn_parts: arn_parts(&arn),
            arn,
            pp: path_parameters(&resources[d.res].path, &segs),
            fell_through: d.fell_through,
            auth: deployed.method_auth[&roles.routes[d.route].key()],
            shadows_auth,
        });
    }
    let mut callers = callers(rng, &roles);
    if let Some(extra) = budget.extra_callers {
        let keep = 1 + roles.groups.len();
        if callers.len() > keep + extra {
            let rest = callers.split_off(keep);
            for i in rng.sample(rest.len(), extra) {
                callers.push(rest[i].clone());
            }
        }
    }
    let mut caller_scopes: Vec<BTreeSet<usize>> = callers
        .iter()
        .map(|c| roles.caller_scopes(&eff, c))
        .collect();
    let mut who: Vec<Who> = callers
        .iter()
        .map(|_| Who::User(user_claims(rng, &ids)))
        .collect();
    for (i, c) in roles.clients.iter().enumerate() {
        callers.push(Vec::new());
        caller_scopes.push(c.scopes.iter().copied().collect());
        who.push(Who::Client(i));
    }
    let orders: Vec<Vec<usize>> = callers
        .iter()
        .map(|_| {
            let mut o: Vec<usize> = (0..routed.len()).collect();
            rng.shuffle(&mut o);
            if let (0, Some(n)) = (deployed.ttl, budget.uncached_requests) {
                o.truncate(n);
            }
            o
        })
        .collect();
    let mut calls = Vec::new();
    let mut call_index = HashMap::new();
    let main = simulate(
        &|r: &Routed| (r.auth, deployed.authorizers[r.auth].clone()),
        deployed.ttl,
        &orders,
        &routed,
        &mut calls,
        &mut call_index,
    );
    // The self-check: the same requests with the token alone as the key (a TOKEN authorizer).
    let weak = simulate(
        &|_: &Routed| (0, vec![Source::Token]),
        300,
        &orders,
        &routed,
        &mut calls,
        &mut call_index,
    );
    // The self-check of `match` routes: every method keyed as the plain authorizer is
    // (token, verb, resource), never on the concrete path.
    let weak_path = simulate(
        &|_: &Routed| (0, vec![Source::Token, Source::Verb, Source::ResourcePath]),
        300,
        &orders,
        &routed,
        &mut calls,
        &mut call_index,
    );
    // Each client's app client id, as CloudFormation would create it, in the order the
    // template's MACHINE_CLIENT_IDS lists them.
    let machine_ids: Vec<(String, String)> = deployed
        .machine_ids
        .iter()
        .map(|name| {
            (
                name.clone(),
                rng.alnum(26, b"abcdefghijklmnopqrstuvwxyz0123456789"),
            )
        })
        .collect();

    let n_users = callers.len() - roles.clients.len();
    let mut handler = Vec::new();
    if !routed.is_empty() {
        let user = |rng: &mut Rng, c: usize, kind: &'static str, req: usize| {
            let Who::User(claims) = &who[c] else {
                unreachable!()
            };
            HandlerCase {
                who: who[c].clone(),
                groups: Some(callers[c].clone()),
                caller_scopes: caller_scopes[c].clone(),
                sub: claims["sub"].clone(),
                kind,
                req: if req == usize::MAX {
                    rng.below(routed.len())
                } else {
                    req
                },
            }
        };
        for kind in GOOD_TOKENS {
            let c = rng.below(n_users);
            handler.push(user(rng, c, kind, usize::MAX));
        }
        // On `match` routes: users whose claims fit the path and users whose claims do not.
        let bound_reqs: Vec<usize> = (0..routed.len())
            .filter(|&i| !roles.routes[routed[i].route].bound.is_empty())
            .collect();
        for _ in 0..(if bound_reqs.is_empty() { 0 } else { 4 }) {
            let c = rng.below(n_users);
            let req = *rng.pick(&bound_reqs);
            handler.push(user(rng, c, "valid", req));
        }
        // A token without `cognito:groups` (a user in no group): on an `authenticated` route
        // half the time, when the file has one.
        let auth_reqs: Vec<usize> = (0..routed.len())
            .filter(|&i| is_authenticated(&roles.routes[routed[i].route]))
            .collect();
        let req = if !auth_reqs.is_empty() && rng.chance(0.5) {
            *rng.pick(&auth_reqs)
        } else {
            rng.below(routed.len())
        };
        let c = rng.below(n_users);
        let mut h = user(rng, c, "valid", req);
        h.groups = None;
        h.caller_scopes = BTreeSet::new();
        handler.push(h);
        let c = rng.below(n_users);
        let kind = BAD_TOKENS[rng.below(BAD_TOKENS.len())];
        handler.push(user(rng, c, kind, usize::MAX));
        // Each machine client's access token, twice; and the access tokens that must be
        // refused: a user's, another client's, one whose sub is not its client id.
        for c in n_users..callers.len() {
            for _ in 0..2 {
                let Who::Client(i) = who[c] else {
                    unreachable!()
                };
                let id = machine_ids
                    .iter()
                    .find(|(n, _)| *n == roles.clients[i].name)
                    .map(|(_, id)| id.clone())
                    .unwrap_or_default();
                handler.push(HandlerCase {
                    who: who[c].clone(),
                    groups: None,
                    caller_scopes: caller_scopes[c].clone(),
                    sub: id,
                    kind: "client",
                    req: rng.below(routed.len()),
                });
            }
        }
        for kind in ACCESS_BAD_TOKENS {
            if kind == "sub-mismatch" && roles.clients.is_empty() {
                continue;
            }
            let c = rng.below(n_users);
            handler.push(user(rng, c, kind, usize::MAX));
        }
    }
    let pool_region = *rng.pick(&["us-east-1", "eu-west-1", "ap-southeast-2"]);
    let pool = format!(
        "{pool_region}_{}",
        rng.alnum(
            9,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        )
    );
    let client = rng.alnum(26, b"abcdefghijklmnopqrstuvwxyz0123456789");
    Plan {
        name: name.to_string(),
        roles,
        resources,
        routed,
        callers,
        who,
        caller_scopes,
        calls,
        main,
        weak,
        weak_path,
        machine_ids,
        handler,
        pool,
        client,
        module,
    }
}

fn spec_of(p: &Plan) -> Value {
    json!({
        "module": p.module,
        "pool": p.pool,
        "client": p.client,
        "stage": p.roles.stage,
        "callers": p.callers,
        "who": p.who.iter().map(who_json(&p.roles)).collect::<Vec<_>>(),
        "machineIds": p.machine_ids,
        "allGroups": p.roles.groups.iter().map(|g| &g.name).collect::<Vec<_>>(),
        "events": p.routed.iter().map(|r| json!([
            r.verb, r.arn, p.resources[r.res].template, r.path, r.pp
        ])).collect::<Vec<_>>(),
        "calls": p.calls,
        "handler": p.handler.iter().map(|h| {
            let mut j = who_json(&p.roles)(&h.who);
            j["groups"] = json!(h.groups);
            j["sub"] = json!(h.sub);
            j["kind"] = json!(h.kind);
            j["event"] = json!(h.req);
            j
        }).collect::<Vec<_>>(),
    })
}

/// A caller for the driver: `{claims}` of a user, or `{client, scope}` of a machine client
/// (its name and the space-separated full scopes of its token).
fn who_json(roles: &Roles) -> impl Fn(&Who) -> Value + '_ {
    move |w| match w {
        Who::User(claims) => json!({ "claims": claims }),
        Who::Client(c) => json!({
            "client": roles.clients[*c].name,
            "scope": roles.clients[*c]
                .scopes
                .iter()
                .map(|&s| format!("{}/{}", roles.identifier, roles.scope_names[s]))
                .collect::<Vec<_>>()
                .join(" "),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// The test.
// ---------------------------------------------------------------------------------------------

/// Runs `rolegen gen` on `dir/roles.json` into `dir/out`, under a time limit and (through the
/// shell's `ulimit -v`) a memory limit, so that a runaway generator fails the test instead of
/// the machine.
fn run_gen(dir: &Path) -> Result<(), String> {
    let bin = common::rolegen().get_program().to_owned();
    let stderr = fs::File::create(dir.join("gen.stderr")).unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {GEN_MEMORY_KB} && exec \"$0\" \"$@\""))
        .arg(bin)
        .arg("-c")
        .arg(dir.join("roles.json"))
        .arg("-o")
        .arg(dir.join("out"))
        .arg("gen")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("run rolegen");
    let deadline = Instant::now() + GEN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for rolegen") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "rolegen gen did not finish within {} s",
                GEN_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "rolegen gen refused a valid file (exit {:?}):\n{}",
            status.code(),
            fs::read_to_string(dir.join("gen.stderr")).unwrap_or_default()
        ))
    }
}

/// Writes every file of the corpus as `dir/<name>/roles.json` (JSON is YAML 1.2), links the
/// test tools' `node_modules` into `dir`, and runs `rolegen gen` on each file, two at a time.
/// Returns the files rolegen refused, with why.
fn gen_corpus(dir: &Path, corpus: &[(String, Value)]) -> Vec<(String, String)> {
    std::os::unix::fs::symlink(
        common::node_modules().join("node_modules"),
        dir.join("node_modules"),
    )
    .expect("symlink node_modules");
    for (name, v) in corpus {
        let d = dir.join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join("roles.json"),
            serde_json::to_string_pretty(v).unwrap(),
        )
        .unwrap();
    }
    let failures: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((name, _)) = corpus.get(i) else {
                        break;
                    };
                    if let Err(e) = run_gen(&dir.join(name)) {
                        failures.lock().unwrap().push((name.clone(), e));
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

/// What the corpus did with `authenticated` routes (the same in both tests).
#[derive(Default)]
struct AuthCounts {
    /// Files with an `authenticated` route.
    files: u64,
    /// Decisions on `authenticated` routes.
    decisions: u64,
    /// ... for callers in no group at all (every one allowed by the matrix).
    no_group: u64,
    /// ... for callers in groups, whose groups grant no scope (unknown names, groups without
    /// scopes).
    groupless: u64,
    /// ... reached by falling through a more specific resource that lacks the verb.
    fell_through: u64,
    /// Decisions on requests an `authenticated` route also matches, routed to another
    /// (protected, scoped) route by API Gateway ...
    shadowed: u64,
    /// ... that the matrix denies.
    shadowed_denied: u64,
}

impl AuthCounts {
    fn file(&mut self, p: &Plan) {
        if p.roles.routes.iter().any(is_authenticated) {
            self.files += 1;
        }
    }
    fn decision(&mut self, p: &Plan, d: &Decision, want: bool) {
        let r = &p.routed[d.req as usize];
        if is_authenticated(&p.roles.routes[r.route]) {
            self.decisions += 1;
            if p.callers[d.caller as usize].is_empty() {
                self.no_group += 1;
            } else if p.caller_scopes[d.caller as usize].is_empty() {
                self.groupless += 1;
            }
            if r.fell_through {
                self.fell_through += 1;
            }
        } else if r.shadows_auth {
            self.shadowed += 1;
            if !want {
                self.shadowed_denied += 1;
            }
        }
    }
    fn report(&self) -> String {
        format!(
            "authenticated routes in {} files: {} decisions ({} for no group, {} for groups that grant nothing, {} fell through onto one), {} requests routed away from one ({} denied)",
            self.files,
            self.decisions,
            self.no_group,
            self.groupless,
            self.fell_through,
            self.shadowed,
            self.shadowed_denied
        )
    }
    /// Non-vacuity: (what, count, minimum) for a corpus of `files` files.
    fn minimums(&self, files: u64) -> [(&'static str, u64, u64); 6] {
        [
            ("files with authenticated routes", self.files, files / 3),
            (
                "decisions on authenticated routes",
                self.decisions,
                10 * files,
            ),
            (
                "decisions on authenticated routes for callers in no group",
                self.no_group,
                files,
            ),
            (
                "decisions on authenticated routes for groups that grant nothing",
                self.groupless,
                files,
            ),
            (
                "decisions that fell through onto an authenticated route",
                self.fell_through,
                files / 4,
            ),
            (
                "denied decisions on requests routed away from an authenticated route",
                self.shadowed_denied,
                files,
            ),
        ]
    }
}

#[derive(Default)]
struct Counts {
    decisions: u64,
    allowed: u64,
    denied: u64,
    misses: u64,
    hits: u64,
    hits_other_path: u64,
    hits_other_path_allowed: u64,
    fell_through: u64,
    greedy_decisions: u64,
    handler_calls: u64,
    /// Handler calls with a token without `cognito:groups` on an `authenticated` route.
    handler_auth_no_claim: u64,
    weak_wrong_allows: u64,
    weak_wrong_denies: u64,
    auth: AuthCounts,
    /// Decisions on `match` routes: allowed, and denied only because a claim differs from the
    /// path (or is missing) while the groups allow the route.
    match_allowed: u64,
    match_denied_by_claim: u64,
    /// ... of which the claim held a wildcard or quoting character.
    match_denied_hostile: u64,
    /// Machine clients' decisions.
    client_allowed: u64,
    client_denied: u64,
    /// Wrong allows with the cache keyed without `context.path` (self-check).
    weak_path_wrong_allows: u64,
    /// Handler calls with a machine client's token, and with access tokens that must be
    /// refused.
    handler_client: u64,
    handler_access_refused: u64,
}

#[test]
fn lambda_authorizer_decides_exactly_as_the_matrix() {
    let started = Instant::now();
    let seed = env_number("LAMBDA_EXACT_SEED", DEFAULT_SEED);
    let n_random = env_number("LAMBDA_EXACT_FILES", DEFAULT_FILES as u64) as usize;
    let rerun = format!("LAMBDA_EXACT_SEED={seed:#x} LAMBDA_EXACT_FILES={n_random}");

    // 1. The corpus.
    let mut corpus = fixed_files();
    for i in 0..n_random {
        let mut rng = Rng::for_file(seed, i);
        corpus.push((format!("random-{i:03}"), random_roles(&mut rng, i)));
    }

    // 2. rolegen gen for every file.
    let dir = common::scratch("lambda-exact");
    let mut failures = gen_corpus(&dir, &corpus);
    let gen_done = started.elapsed();

    // 3. Read each template; plan requests, callers and the cache.
    let mut plans = Vec::new();
    for (i, (name, v)) in corpus.iter().enumerate() {
        if failures.iter().any(|(f, _)| f == name) {
            continue;
        }
        let roles = Roles::from_value(v);
        let d = dir.join(name).join("out");
        let text = match fs::read_to_string(d.join("cfn/template.yaml")) {
            Ok(t) => t,
            Err(e) => {
                failures.push((name.clone(), format!("cfn/template.yaml: {e}")));
                continue;
            }
        };
        let deployed = match read_template(&text, &roles) {
            Ok(x) => x,
            Err(e) => {
                failures.push((name.clone(), format!("cfn/template.yaml: {e}")));
                continue;
            }
        };
        let module = d.join("authorizer/index.mjs");
        if !module.exists() {
            failures.push((name.clone(), "no authorizer/index.mjs".into()));
            continue;
        }
        let mut rng =
            Rng::new(seed.rotate_left(17) ^ (i as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
        plans.push(plan(name, roles, &deployed, &mut rng, module, FULL));
    }

    // 4. One node process answers every policyFor call and runs the handler samples.
    let mut counts = Counts::default();
    let plan_done = started.elapsed();
    let mut node_done = plan_done;
    let mut mismatches: Vec<(String, String)> = Vec::new();
    if !plans.is_empty() {
        let spec = json!({
            "region": REGION, "account": ACCOUNT, "apiId": API_ID,
            "files": plans.iter().map(spec_of).collect::<Vec<_>>(),
        });
        fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
        fs::write(dir.join("driver.mjs"), DRIVER).unwrap();
        let answer: Value = common::node_json(
            Command::new("node")
                .arg(dir.join("driver.mjs"))
                .arg(dir.join("spec.json")),
        );
        node_done = started.elapsed();
        let policies: Vec<Result<Vec<Statement>, String>> = answer["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(parse_policy)
            .collect();
        let raw_policies = answer["policies"].as_array().unwrap();

        // 5. Evaluate every decision in Rust.
        for (p, result) in plans.iter().zip(answer["files"].as_array().unwrap()) {
            if let Some(e) = result.get("error") {
                failures.push((p.name.clone(), format!("node: {}", e.as_str().unwrap())));
                continue;
            }
            let call_results = result["calls"].as_array().unwrap();
            assert_eq!(call_results.len(), p.calls.len());
            counts.auth.file(p);
            let mut file_errors: BTreeSet<String> = BTreeSet::new();
            let mut memo: HashMap<(u64, u32), bool> = HashMap::new();
            let mut evaluate =
                |call: u32, req: u32, errors: &mut BTreeSet<String>| -> Option<(bool, u64)> {
                    let r = &call_results[call as usize];
                    let Some(idx) = r.as_u64() else {
                        errors.insert(format!("policyFor threw: {}", r["error"]));
                        return None;
                    };
                    match &policies[idx as usize] {
                        Err(e) => {
                            errors.insert(format!(
                                "policy not understood ({e}): {}",
                                raw_policies[idx as usize]
                            ));
                            None
                        }
                        Ok(stmts) => Some((
                            *memo.entry((idx, req)).or_insert_with(|| {
                                decide(stmts, &p.routed[req as usize].arn_parts)
                            }),
                            idx,
                        )),
                    }
                };
            for d in &p.main {
                let r = &p.routed[d.req as usize];
                let Some((got, idx)) = evaluate(d.call, d.req, &mut file_errors) else {
                    continue;
                };
                let route = &p.roles.routes[r.route];
                let c = d.caller as usize;
                let want = decide_matrix(&p.roles, &p.who[c], &p.caller_scopes[c], r.route, &r.pp);
                counts.decisions += 1;
                match &p.who[c] {
                    Who::Client(_) => {
                        if want {
                            counts.client_allowed += 1;
                        } else {
                            counts.client_denied += 1;
                        }
                    }
                    Who::User(claims) => {
                        counts.auth.decision(p, d, want);
                        if !route.bound.is_empty() {
                            if want {
                                counts.match_allowed += 1;
                            } else if matrix(route, &p.caller_scopes[c]) {
                                counts.match_denied_by_claim += 1;
                                if route.bound.iter().any(|(_, cl)| {
                                    claims
                                        .get(cl)
                                        .is_some_and(|v| v.contains(['*', '?', '/', '"', '%']))
                                }) {
                                    counts.match_denied_hostile += 1;
                                }
                            }
                        }
                    }
                }
                if want {
                    counts.allowed += 1;
                } else {
                    counts.denied += 1;
                }
                if d.hit {
                    counts.hits += 1;
                    if p.routed[d.miss_req as usize].path != r.path {
                        counts.hits_other_path += 1;
                        if want {
                            counts.hits_other_path_allowed += 1;
                        }
                    }
                } else {
                    counts.misses += 1;
                }
                if r.fell_through {
                    counts.fell_through += 1;
                }
                if p.resources[r.res]
                    .path
                    .iter()
                    .any(|s| matches!(s, Seg::Greedy(_)))
                {
                    counts.greedy_decisions += 1;
                }
                if got != want {
                    let miss = &p.routed[d.miss_req as usize];
                    mismatches.push((
                        p.name.clone(),
                        format!(
                            "caller {:?} {:?}: {} {} → route `{}`: matrix {}, authorizer {}{}\n    policy: {}",
                            p.callers[d.caller as usize],
                            p.who[d.caller as usize],
                            r.verb,
                            r.path,
                            route.key(),
                            if want { "ALLOW" } else { "DENY" },
                            if got { "ALLOW" } else { "DENY" },
                            if d.hit {
                                format!(" (cached from {} {})", miss.verb, miss.path)
                            } else {
                                String::new()
                            },
                            raw_policies[idx as usize]
                        ),
                    ));
                }
            }
            for d in &p.weak {
                let Some((got, _)) = evaluate(d.call, d.req, &mut file_errors) else {
                    continue;
                };
                let r = &p.routed[d.req as usize];
                let c = d.caller as usize;
                let want = decide_matrix(&p.roles, &p.who[c], &p.caller_scopes[c], r.route, &r.pp);
                if got && !want {
                    counts.weak_wrong_allows += 1;
                } else if !got && want {
                    counts.weak_wrong_denies += 1;
                }
            }
            for d in &p.weak_path {
                let Some((got, _)) = evaluate(d.call, d.req, &mut file_errors) else {
                    continue;
                };
                let r = &p.routed[d.req as usize];
                let c = d.caller as usize;
                if got && !decide_matrix(&p.roles, &p.who[c], &p.caller_scopes[c], r.route, &r.pp) {
                    counts.weak_path_wrong_allows += 1;
                }
            }
            // The real handler with signed ID tokens.
            let hres = result["handler"].as_array().unwrap();
            assert_eq!(hres.len(), p.handler.len());
            for (h, res) in p.handler.iter().zip(hres) {
                counts.handler_calls += 1;
                let r = &p.routed[h.req];
                if h.groups.is_none()
                    && GOOD_TOKENS.contains(&h.kind)
                    && is_authenticated(&p.roles.routes[r.route])
                {
                    counts.handler_auth_no_claim += 1;
                }
                let what = format!(
                    "handler, {} token, groups {:?}, {:?}, {} {}",
                    h.kind, h.groups, h.who, r.verb, r.path
                );
                if h.kind == "client" {
                    counts.handler_client += 1;
                }
                if !GOOD_TOKENS.contains(&h.kind) && h.kind != "client" {
                    if ACCESS_BAD_TOKENS.contains(&h.kind) {
                        counts.handler_access_refused += 1;
                    }
                    if res["error"] != "Unauthorized" {
                        file_errors.insert(format!("{what}: wanted Unauthorized, got {res}"));
                    }
                    continue;
                }
                let Some(ok) = res.get("ok") else {
                    file_errors.insert(format!("{what}: threw {}", res["error"]));
                    continue;
                };
                if ok["principalId"] != json!(h.sub) {
                    file_errors.insert(format!("{what}: principalId {}", ok["principalId"]));
                }
                // README: the context names the declared route and the user.
                let route_key = p.roles.routes[r.route].key();
                if ok["context"]["route"] != json!(route_key) {
                    file_errors.insert(format!(
                        "{what}: context.route {}, API Gateway routes it to `{route_key}`",
                        ok["context"]["route"]
                    ));
                }
                let (username, client) = match &h.who {
                    Who::User(c) => (
                        c.get("cognito:username").cloned().unwrap_or_default(),
                        String::new(),
                    ),
                    Who::Client(i) => (String::new(), p.roles.clients[*i].name.clone()),
                };
                if ok["context"]["username"] != json!(username) {
                    file_errors.insert(format!(
                        "{what}: context.username {}",
                        ok["context"]["username"]
                    ));
                }
                if ok["context"]["client"] != json!(client) {
                    file_errors.insert(format!(
                        "{what}: context.client {}",
                        ok["context"]["client"]
                    ));
                }
                if ok["policyDocument"] != res["policyFor"] {
                    file_errors.insert(format!(
                        "{what}: policyDocument {} differs from policyFor {}",
                        ok["policyDocument"], res["policyFor"]
                    ));
                }
                match ok.get("context") {
                    None | Some(Value::Null) => {}
                    Some(Value::Object(c)) => {
                        for (k, v) in c {
                            if !(v.is_string() || v.is_number() || v.is_boolean()) {
                                file_errors.insert(format!(
                                    "{what}: context.{k} is {v}: API Gateway takes only strings, numbers and booleans"
                                ));
                            }
                        }
                    }
                    Some(other) => {
                        file_errors.insert(format!("{what}: context is {other}"));
                    }
                }
                match parse_policy(&ok["policyDocument"]) {
                    Err(e) => {
                        file_errors.insert(format!("{what}: policy not understood: {e}"));
                    }
                    Ok(stmts) => {
                        let got = decide(&stmts, &r.arn_parts);
                        let want =
                            decide_matrix(&p.roles, &h.who, &h.caller_scopes, r.route, &r.pp);
                        if got != want {
                            file_errors.insert(format!(
                                "{what}: matrix {want}, handler's policy {got}: {}",
                                ok["policyDocument"]
                            ));
                        }
                    }
                }
            }
            for e in file_errors {
                failures.push((p.name.clone(), e));
            }
        }
    }

    // 6. Report.
    let elapsed = started.elapsed();
    println!(
        "lambda_exact: {} files ({} fixed + {n_random} random, seed {seed:#x}), {} decisions ({} allowed, {} denied), {} policyFor calls, {} cache hits ({} on another concrete path, {} of them allowed), {} fall-throughs, {} on greedy resources, {} handler calls ({} without cognito:groups on an authenticated route); {}; self-check with a token-only key: {} wrong allows, {} wrong denies; match routes: {} allowed, {} denied by the claim alone ({} with wildcard or quoting characters); machine clients: {} allowed, {} denied, {} handler calls; {} refused access tokens; self-check with a key without context.path: {} wrong allows; gen {:.1}s, plan {:.1}s, node {:.1}s, total {:.1}s",
        corpus.len(),
        corpus.len() - n_random,
        counts.decisions,
        counts.allowed,
        counts.denied,
        counts.misses,
        counts.hits,
        counts.hits_other_path,
        counts.hits_other_path_allowed,
        counts.fell_through,
        counts.greedy_decisions,
        counts.handler_calls,
        counts.handler_auth_no_claim,
        counts.auth.report(),
        counts.weak_wrong_allows,
        counts.weak_wrong_denies,
        counts.match_allowed,
        counts.match_denied_by_claim,
        counts.match_denied_hostile,
        counts.client_allowed,
        counts.client_denied,
        counts.handler_client,
        counts.handler_access_refused,
        counts.weak_path_wrong_allows,
        gen_done.as_secs_f64(),
        (plan_done - gen_done).as_secs_f64(),
        (node_done - plan_done).as_secs_f64(),
        elapsed.as_secs_f64(),
    );

    let mut bad_files: BTreeSet<String> = failures.iter().map(|(f, _)| f.clone()).collect();
    bad_files.extend(mismatches.iter().map(|(f, _)| f.clone()));
    if !bad_files.is_empty() {
        let mut report = String::new();
        let _ = writeln!(
            report,
            "{} failures and {} mismatches in {} files; rerun with {rerun}",
            failures.len(),
            mismatches.len(),
            bad_files.len()
        );
        random::keep_failing_files(&dir, "lambda-exact-failures", seed, &bad_files, &mut report);
        for (f, e) in failures.iter().take(40) {
            let _ = writeln!(report, "[{f}] {e}");
        }
        let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
        for (f, _) in &mismatches {
            *per_file.entry(f).or_default() += 1;
        }
        for (f, n) in &per_file {
            let _ = writeln!(report, "[{f}] {n} decisions differ from the matrix");
        }
        let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
        for (f, m) in &mismatches {
            let n = shown.entry(f).or_default();
            *n += 1;
            if *n <= 3 && shown.len() <= 15 {
                let _ = writeln!(report, "[{f}] {m}");
            }
        }
        panic!("{report}");
    }

    let _ = fs::remove_dir_all(&dir);

    // 7. Non-vacuity: the corpus really exercised allows, denies, cache reuse across concrete
    //    paths, fall-through and greedy routing, `authenticated` routes (decided, allowed for
    //    callers in no group, still denied where a more specific route takes the request), and
    //    the self-check finds what a weaker cache key gets wrong.
    let files = corpus.len() as u64;
    for (what, n, min) in counts.auth.minimums(files).into_iter().chain([
        ("allowed decisions", counts.allowed, 20 * files),
        ("denied decisions", counts.denied, 20 * files),
        (
            "cache hits on another concrete path",
            counts.hits_other_path,
            5 * files,
        ),
        (
            "allowed cache hits on another concrete path",
            counts.hits_other_path_allowed,
            files,
        ),
        ("fall-through decisions", counts.fell_through, files),
        (
            "decisions on greedy resources",
            counts.greedy_decisions,
            5 * files,
        ),
        ("handler calls", counts.handler_calls, 3 * files),
        (
            "handler calls without cognito:groups on an authenticated route",
            counts.handler_auth_no_claim,
            files / 10,
        ),
        (
            "wrong allows with a token-only cache key (self-check)",
            counts.weak_wrong_allows,
            (files / 20).max(1),
        ),
        (
            "allowed decisions on match routes",
            counts.match_allowed,
            files,
        ),
        (
            "decisions on match routes denied by the claim alone",
            counts.match_denied_by_claim,
            5 * files,
        ),
        (
            "... with a wildcard or quoting character in the claim",
            counts.match_denied_hostile,
            files,
        ),
        (
            "machine clients' allowed decisions",
            counts.client_allowed,
            5 * files,
        ),
        (
            "machine clients' denied decisions",
            counts.client_denied,
            5 * files,
        ),
        (
            "wrong allows with a cache key without context.path (self-check)",
            counts.weak_path_wrong_allows,
            (files / 20).max(1),
        ),
        (
            "handler calls with a machine client's token",
            counts.handler_client,
            files,
        ),
        (
            "refused access tokens (unknown client, user's, sub ≠ client_id)",
            counts.handler_access_refused,
            2 * files,
        ),
    ]) {
        assert!(
            n >= min,
            "vacuous: only {n} {what} (want at least {min}); {rerun}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The `verified-permissions` strategy: the same corpus shapes, judged end to end through the
// generated handler, with Verified Permissions played by Cedar's own engine.
// ---------------------------------------------------------------------------------------------

const VP_DRIVER: &str = include_str!("lambda_exact/vp_driver.mjs");
const DEFAULT_VP_FILES: usize = 32;
/// Callers per file besides no group and each group (pairs, all groups, subsets, unknown
/// names): each caller costs a signed token.
const VP_EXTRA_CALLERS: usize = 3;
/// Requests per caller in a file whose cache is off (TTL 0), where each one is a call.
const VP_UNCACHED_REQUESTS: usize = 40;
/// The policy store id the authorizer function's environment gets.
const VP_STORE: &str = "PSvpExact0123456789abcd";
/// The deliberately broken stubs of the self-check: the requested action ignored (every
/// request decided as the schema's first action), and ALLOW for any token with a group.
const BROKEN_MODES: [&str; 2] = ["ignore-action", "any-group"];
/// `api.name`s whose Cedar namespace is a trap (README: letters, digits and `_` kept; `Api`
/// before a leading digit or `_` or a Cedar keyword; `ImportedApi` when nothing is left).
const API_NAMES: &[&str] = &[
    "orders-api",
    "3d-printing",
    "_private",
    "if",
    "in",
    "has",
    "管理",
    "--- ---",
    "Ünïcode API v2",
    "Api",
    "x",
];
/// Words Cedar does not accept as a namespace.
const CEDAR_RESERVED: [&str; 9] = [
    "true", "false", "if", "then", "else", "in", "is", "like", "has",
];

/// The Cedar namespace README derives from `api.name`.
fn namespace_of(api_name: &str) -> String {
    let s: String = api_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if s.is_empty() {
        "ImportedApi".to_string()
    } else if s.starts_with(|c: char| c.is_ascii_digit() || c == '_')
        || CEDAR_RESERVED.contains(&s.as_str())
    {
        format!("Api{s}")
    } else {
        s
    }
}

/// Group names that are traps in Cedar strings and CloudFormation (quotes, backslashes, Cedar
/// syntax, `|` (AVP's separator of pool id and group), an escape that spells another group's
/// name, `${...}`, scripts Cedar's lints flag). All follow Cognito's rule for group names.
const VP_GROUP_POOL: &[&str] = &[
    "a\"b\\c",
    "${AWS::Region}",
    "evil\"],resource);permit(principal,action,resource);//",
    "x\",action,resource)when{true};permit(principal",
    "|",
    "a|b",
    "\\u{41}",
    "A",
    "back\\\"quote",
    "Админ",
    "🚀-team",
    "*alias",
    "!Ref",
];

/// A roles file switched to `verified-permissions`: some with `api.token: access`, some with
/// an `api.name` whose namespace is a trap, some with groups renamed to Cedar-hostile names.
fn to_vp(mut v: Value, rng: &mut Rng) -> Value {
    let access = rng.chance(0.4);
    let id = !access && rng.chance(0.3);
    // Access tokens carry no custom attributes: a `match` on one is an error there, so those
    // bindings move to `sub` or `cognito:username` (carried as `username`).
    if access && let Some(routes) = v.get_mut("routes").and_then(Value::as_object_mut) {
        for val in routes.values_mut() {
            if let Some(m) = val.get_mut("match").and_then(Value::as_object_mut) {
                for claim in m.values_mut() {
                    if claim.as_str().is_some_and(|c| c.starts_with("custom:")) {
                        *claim = json!(if rng.chance(0.5) {
                            "sub"
                        } else {
                            "cognito:username"
                        });
                    }
                }
            }
        }
    }
    let api = v["api"].as_object_mut().expect("api");
    api.insert("authorizer".into(), json!("verified-permissions"));
    if access {
        api.insert("token".into(), json!("access"));
    } else if id {
        api.insert("token".into(), json!("id"));
    }
    if rng.chance(0.5) {
        api.insert("name".into(), json!(rng.pick(API_NAMES)));
    }
    if let Some(groups) = v.get("groups").and_then(Value::as_object).cloned()
        && !groups.is_empty()
        && rng.chance(0.4)
    {
        // Rename up to three groups (their `includes` references too).
        let names: Vec<&String> = groups.keys().collect();
        let k = rng.range(1, names.len().min(3));
        let mut renames: HashMap<String, String> = HashMap::new();
        let free: Vec<&str> = VP_GROUP_POOL
            .iter()
            .copied()
            .filter(|n| !groups.contains_key(*n))
            .collect();
        for (from, to) in rng
            .sample(names.len(), k)
            .into_iter()
            .zip(rng.sample(free.len(), k))
        {
            renames.insert(names[from].clone(), free[to].to_string());
        }
        let rename = |n: &String| renames.get(n).cloned().unwrap_or_else(|| n.clone());
        let renamed: Map<String, Value> = groups
            .iter()
            .map(|(name, def)| {
                let mut def = def.clone();
                if let Some(inc) = def.get_mut("includes").and_then(Value::as_array_mut) {
                    for g in inc {
                        *g = json!(rename(&g.as_str().unwrap().to_string()));
                    }
                }
                (rename(name), def)
            })
            .collect();
        v["groups"] = Value::Object(renamed);
    }
    v
}

/// A file whose groups' action lists pass AVP's 10,000 bytes per policy, so that rolegen
/// splits them into several policies: 36 `ANY` collections (7 actions each) and a few `GET`s.
fn vp_split_file() -> Value {
    let mut routes = Map::new();
    for i in 0..36 {
        let scopes = if i % 2 == 0 {
            json!(["big", "half"])
        } else {
            json!(["big"])
        };
        routes.insert(format!("ANY /collection-number-{i}/{{itemId}}"), scopes);
        if i % 6 == 0 {
            routes.insert(format!("GET /collection-number-{i}"), json!(["one"]));
        }
    }
    fixed_file(
        "prod",
        &["big", "half", "one"],
        json!({
            "Big": { "scopes": ["big"] },
            "Half": { "scopes": "half" },
            "Both": { "includes": ["Big", "Half"] },
            "One": { "scopes": ["one"] },
            "Nothing": null,
        }),
        Value::Object(routes),
    )
}

/// What the template deploys for Verified Permissions, read as AVP and Lambda would.
struct VpDeployed {
    /// The store's schema (`CedarJson`).
    schema: String,
    /// Policy logical ID → text, the `Fn::Join` joined with the test's user pool id.
    policies: Map<String, Value>,
    /// The identity source's entity types: what AVP builds from a token.
    principal_type: String,
    group_type: String,
    /// The authorizer function's environment, `Ref`s resolved to the test's ids.
    env: Map<String, Value>,
    /// The policies whose `Statement` is plain text (no `Fn::Join`).
    plain: BTreeSet<String>,
}

/// The logical ID README gives the policy of the `authenticated` routes.
const ANY_SIGNED_IN: &str = "CedarPolicyAnySignedInUser";

/// Cedar text without the whitespace outside string literals.
fn squeeze(text: &str) -> String {
    let mut out = String::new();
    let (mut in_str, mut esc) = (false, false);
    for c in text.chars() {
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// The ids of the `NS::Action::"..."` literals of a Cedar policy text.
fn actions_named(text: &str, ns: &str) -> Result<BTreeSet<String>, String> {
    let head = format!("{ns}::Action::\"");
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find(&head) {
        let mut id = String::new();
        let mut chars = rest[at + head.len()..].char_indices();
        let end = loop {
            match chars.next() {
                None => return Err(format!("unterminated action id in {text:?}")),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, c @ ('"' | '\\'))) => id.push(c),
                    other => return Err(format!("escape {other:?} in an action id")),
                },
                Some((_, c)) => id.push(c),
            }
        };
        if !out.insert(id.clone()) {
            return Err(format!("action {id:?} listed twice"));
        }
        rest = &rest[at + head.len() + end + 1..];
    }
    Ok(out)
}

/// README's shape for `authenticated` routes under `verified-permissions`: exactly when the
/// file has such routes, one policy `CedarPolicyAnySignedInUser` whose `Statement` is plain
/// text (it names no pool: no `Fn::Join`), `permit (principal, action in [...], resource);`
/// with an unconstrained principal, listing exactly those routes' actions (an `ANY` route's:
/// one per verb its path declares no method for); every other policy is a group's (its
/// principal `in` a `UserGroup`) and lists none of them.
fn check_any_signed_in(roles: &Roles, ns: &str, vp: &VpDeployed) -> Result<(), String> {
    let mut want = BTreeSet::new();
    // A `match` route has a policy of its own (with its condition): not in this one.
    for r in roles
        .routes
        .iter()
        .filter(|r| is_authenticated(r) && r.bound.is_empty())
    {
        let verbs: Vec<&str> = if r.method == "ANY" {
            VERBS
                .iter()
                .copied()
                .filter(|v| {
                    !roles
                        .routes
                        .iter()
                        .any(|o| o.path == r.path && o.method == *v)
                })
                .collect()
        } else {
            vec![r.method.as_str()]
        };
        for v in verbs {
            want.insert(format!("{} {}", v.to_lowercase(), template(&r.path)));
        }
    }
    match vp.policies.get(ANY_SIGNED_IN) {
        None if want.is_empty() => {}
        None => {
            return Err(format!(
                "no {ANY_SIGNED_IN} policy for the authenticated actions {want:?}"
            ));
        }
        Some(_) if want.is_empty() => {
            return Err(format!("{ANY_SIGNED_IN} without authenticated routes"));
        }
        Some(text) => {
            let text = text.as_str().unwrap();
            if !vp.plain.contains(ANY_SIGNED_IN) {
                return Err(format!("{ANY_SIGNED_IN}: Statement is not plain text"));
            }
            let sq = squeeze(text);
            // Any user: an unconstrained principal while users are the only principals; `is
            // User` once machine clients (`Client` principals) exist, which never get these.
            let users = format!("permit(principalis{ns}::User,actionin[");
            if !(sq.starts_with(&users)
                || (roles.clients.is_empty() && sq.starts_with("permit(principal,actionin[")))
                || !sq.ends_with("],resource);")
            {
                return Err(format!(
                    "{ANY_SIGNED_IN} is not `permit (principal{}, action in [...], resource);`: {text}",
                    if roles.clients.is_empty() {
                        ""
                    } else {
                        " is User"
                    }
                ));
            }
            let got = actions_named(text, ns).map_err(|e| format!("{ANY_SIGNED_IN}: {e}"))?;
            if got != want {
                return Err(format!(
                    "{ANY_SIGNED_IN} lists {got:?}, the authenticated routes' actions are {want:?}"
                ));
            }
        }
    }
    for (id, text) in &vp.policies {
        if id == ANY_SIGNED_IN {
            continue;
        }
        let text = text.as_str().unwrap();
        let sq = squeeze(text);
        if !sq.starts_with(&format!("permit(principalin{ns}::UserGroup::\""))
            && !sq.starts_with(&format!("permit(principal=={ns}::Client::\""))
            && !((sq.starts_with(&format!("permit(principalis{ns}::User,actionin["))
                || (roles.clients.is_empty() && sq.starts_with("permit(principal,actionin[")))
                && sq.contains("],resource)when{"))
        {
            return Err(format!(
                "{id}: not a group's, a client's or a match route's policy: {text}"
            ));
        }
        let listed = actions_named(text, ns).map_err(|e| format!("{id}: {e}"))?;
        let both: Vec<&String> = listed.intersection(&want).collect();
        if !both.is_empty() {
            return Err(format!(
                "{id}: a group's policy lists the authenticated actions {both:?}"
            ));
        }
    }
    Ok(())
}

fn the_one<'t>(res: &'t Map<String, Value>, ty: &str) -> Result<(&'t String, &'t Value), String> {
    let all: Vec<_> = res.iter().filter(|(_, r)| r["Type"] == ty).collect();
    match all.as_slice() {
        [one] => Ok((one.0, &one.1["Properties"])),
        _ => Err(format!("{} {ty} resources, want 1", all.len())),
    }
}

/// A policy statement as CloudFormation deploys it: a string, or `Fn::Join` with an empty
/// separator over strings and `Ref`s to the user pool. Anything else is refused: a group name
/// must never reach an `Fn::Sub`.
fn deployed_text(statement: &Value, user_pool: &str, pool: &str) -> Result<String, String> {
    match statement {
        Value::String(s) => Ok(s.clone()),
        Value::Object(o) if o.len() == 1 && o.contains_key("Fn::Join") => {
            let args = o["Fn::Join"].as_array().ok_or("Fn::Join args")?;
            if args.len() != 2 || args[0] != "" {
                return Err(format!("Fn::Join {statement}"));
            }
            let mut out = String::new();
            for part in args[1].as_array().ok_or("Fn::Join list")? {
                match part {
                    Value::String(s) => out.push_str(s),
                    Value::Object(r) if r.len() == 1 && r.get("Ref") == Some(&json!(user_pool)) => {
                        out.push_str(pool)
                    }
                    other => return Err(format!("unexpected part of a policy: {other}")),
                }
            }
            Ok(out)
        }
        other => Err(format!("unexpected policy statement: {other}")),
    }
}

fn read_vp_template(
    text: &str,
    schema_file: &str,
    ns: &str,
    pool: &str,
    client: &str,
    machine_ids: &[(String, String)],
) -> Result<VpDeployed, String> {
    let v: Value =
        serde_saphyr::from_str(text).map_err(|e| format!("template does not parse: {e}"))?;
    let res = v["Resources"]
        .as_object()
        .ok_or("template has no Resources")?;
    let (store_id, store) = the_one(res, "AWS::VerifiedPermissions::PolicyStore")?;
    let (pool_id, _) = the_one(res, "AWS::Cognito::UserPool")?;
    let web: Vec<&String> = res
        .iter()
        .filter(|(_, r)| {
            r["Type"] == "AWS::Cognito::UserPoolClient"
                && r["Properties"]["AllowedOAuthFlows"] != json!(["client_credentials"])
        })
        .map(|(id, _)| id)
        .collect();
    let [client_id] = web.as_slice() else {
        return Err(format!("{} user app clients, want 1", web.len()));
    };
    if store["ValidationSettings"] != json!({ "Mode": "STRICT" }) {
        return Err(format!("store validation {}", store["ValidationSettings"]));
    }
    let schema = store["Schema"]["CedarJson"]
        .as_str()
        .ok_or("the store's CedarJson is not a string")?
        .to_string();
    let deployed: Value =
        serde_json::from_str(&schema).map_err(|e| format!("CedarJson is not JSON: {e}"))?;
    let file: Value = serde_json::from_str(schema_file)
        .map_err(|e| format!("cedar/schema.cedarschema.json is not JSON: {e}"))?;
    if deployed != file {
        return Err("the store's CedarJson differs from cedar/schema.cedarschema.json".into());
    }
    let namespaces: Vec<&String> = deployed.as_object().ok_or("schema")?.keys().collect();
    if namespaces != [ns] {
        return Err(format!(
            "schema namespaces {namespaces:?}, README's rule gives {ns:?}"
        ));
    }

    let (_, src) = the_one(res, "AWS::VerifiedPermissions::IdentitySource")?;
    if src["PolicyStoreId"] != json!({ "Ref": store_id }) {
        return Err(format!("identity source store {}", src["PolicyStoreId"]));
    }
    let cup = &src["Configuration"]["CognitoUserPoolConfiguration"];
    let arn = &cup["UserPoolArn"];
    if *arn != json!({ "Fn::GetAtt": [pool_id, "Arn"] })
        && *arn != json!({ "Fn::GetAtt": format!("{pool_id}.Arn") })
    {
        return Err(format!("identity source pool {arn}"));
    }
    if cup["ClientIds"] != json!([{ "Ref": client_id }]) {
        return Err(format!("identity source clients {}", cup["ClientIds"]));
    }
    let principal_type = src["PrincipalEntityType"]
        .as_str()
        .ok_or("identity source without PrincipalEntityType")?
        .to_string();
    let group_type = cup["GroupConfiguration"]["GroupEntityType"]
        .as_str()
        .ok_or("identity source without GroupEntityType")?
        .to_string();

    let mut policies = Map::new();
    let mut plain = BTreeSet::new();
    for (id, r) in res
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::VerifiedPermissions::Policy")
    {
        let p = &r["Properties"];
        if p["PolicyStoreId"] != json!({ "Ref": store_id }) {
            return Err(format!("{id}: store {}", p["PolicyStoreId"]));
        }
        let def = p["Definition"].as_object().ok_or("policy Definition")?;
        if def.len() != 1 || !def.contains_key("Static") {
            return Err(format!("{id}: not a static policy"));
        }
        let statement = &def["Static"]["Statement"];
        if statement.is_string() {
            plain.insert(id.clone());
        }
        let text = deployed_text(statement, pool_id, pool).map_err(|e| format!("{id}: {e}"))?;
        policies.insert(id.clone(), json!(text));
    }

    let fns: Vec<&Value> = res
        .values()
        .filter(|r| {
            r["Type"] == "AWS::Lambda::Function"
                && r["Properties"]["Environment"]["Variables"]
                    .get("POLICY_STORE_ID")
                    .is_some()
        })
        .collect();
    let [f] = fns.as_slice() else {
        return Err(format!(
            "{} functions with POLICY_STORE_ID, want 1",
            fns.len()
        ));
    };
    let mut env = Map::new();
    for (k, val) in f["Properties"]["Environment"]["Variables"]
        .as_object()
        .ok_or("Environment.Variables")?
    {
        let resolved = if let Some(s) = val.as_str() {
            s.to_string()
        } else if k == "MACHINE_CLIENT_IDS" {
            // Its order was checked against the clients' app clients by `read_template`.
            machine_ids
                .iter()
                .map(|(_, id)| id.as_str())
                .collect::<Vec<_>>()
                .join(",")
        } else {
            match val["Ref"].as_str() {
                Some(r) if r == store_id => VP_STORE.to_string(),
                Some(r) if r == pool_id => pool.to_string(),
                Some(r) if r == client_id.as_str() => client.to_string(),
                _ => return Err(format!("environment {k}: {val}")),
            }
        };
        env.insert(k.clone(), json!(resolved));
    }
    Ok(VpDeployed {
        schema,
        policies,
        principal_type,
        group_type,
        env,
        plain,
    })
}

/// One file of the `verified-permissions` test: the lambda test's plan (requests, callers,
/// cache) and what the stub needs.
struct VpPlan {
    plan: Plan,
    deployed: VpDeployed,
    namespace: String,
    token_use: &'static str,
    /// Per caller: `sub` and how the header is sent (`bearer`, `bare`, `lower`).
    subs: Vec<(String, &'static str)>,
    /// Per caller, as its token shows it: a user's claims (an access token carries `sub` and
    /// the user name as `username`, no custom attributes), or a machine client.
    who: Vec<Who>,
    first_action: String,
    selfcheck: bool,
    /// Some group's actions are split over several policies.
    split: bool,
    /// Some group has a name of [`VP_GROUP_POOL`].
    hostile: bool,
}

fn vp_spec_of(v: &VpPlan) -> Value {
    let p = &v.plan;
    json!({
        "module": p.module,
        "pool": p.pool,
        "client": p.client,
        "stage": p.roles.stage,
        "tokenUse": v.token_use,
        "namespace": v.namespace,
        "principalType": v.deployed.principal_type,
        "groupType": v.deployed.group_type,
        "schema": v.deployed.schema,
        "policies": v.deployed.policies,
        "env": v.deployed.env,
        "firstAction": v.first_action,
        "selfcheck": v.selfcheck,
        "callers": p.callers.iter().zip(&v.subs).zip(&v.who).map(|((groups, (sub, how)), w)| {
            let mut j = who_json(&p.roles)(w);
            // Cognito leaves `cognito:groups` out of the token of a user in no group.
            j["groups"] = if groups.is_empty() { Value::Null } else { json!(groups) };
            j["sub"] = json!(sub);
            j["how"] = json!(how);
            j
        }).collect::<Vec<_>>(),
        "machineIds": p.machine_ids,
        "events": p.routed.iter().map(|r| json!([
            r.verb, r.arn, p.resources[r.res].template, r.path, r.pp
        ])).collect::<Vec<_>>(),
        "calls": p.calls,
    })
}

#[derive(Default)]
struct VpCounts {
    files: u64,
    access_files: u64,
    split_files: u64,
    hostile_files: u64,
    decisions: u64,
    allowed: u64,
    denied: u64,
    avp_calls: u64,
    hits: u64,
    hits_other_path: u64,
    hits_other_path_allowed: u64,
    fell_through: u64,
    greedy_decisions: u64,
    any_decisions: u64,
    selfcheck_files: u64,
    broken_wrong: [(u64, u64); 2],
    /// Decisions of the self-check's files on `authenticated` routes for callers in no group:
    /// each one a wrong deny of the "any group allowed" stub.
    selfcheck_auth_no_group: u64,
    weak_wrong_allows: u64,
    /// `match` routes: allowed, and denied by the claim alone; machine clients' decisions.
    match_allowed: u64,
    match_denied_by_claim: u64,
    client_allowed: u64,
    client_denied: u64,
    /// Machine clients' calls Cedar's request validation refuses (an action no client may
    /// call): the handler asked AVP anyway.
    client_refused: u64,
    /// Wrong allows with `match` routes keyed without `context.path` (self-check).
    weak_path_wrong_allows: u64,
    auth: AuthCounts,
}

/// The `verified-permissions` strategy end to end: random roles files as the lambda test
/// writes them, switched to `verified-permissions` (some with `api.token: access`, some with
/// an `api.name` whose Cedar namespace is a trap), generated by `rolegen gen`. For each file
/// the authorizer's cache key is read from the template, and for every cache miss the
/// generated `handler(event)` runs under node with a token signed here (an ID token, or an
/// access token) carrying the caller's `cognito:groups`; its Verified Permissions client is
/// stubbed so that Cedar (cedar-wasm) decides over the store's deployed schema and policies
/// (the `Fn::Join`s joined with the file's pool id), with entities built as AVP builds them
/// from the token. Each returned policy is evaluated with IAM's rules against every request
/// the cache serves it to, and every decision must equal the matrix for the route the router
/// picks. Self-check: stubs broken on purpose (the action ignored, any group allowed) give
/// wrong decisions on the same corpus.
///
/// `LAMBDA_EXACT_SEED` and `VP_EXACT_FILES` (default 32) change the corpus.
#[test]
fn verified_permissions_authorizer_decides_exactly_as_the_matrix() {
    let started = Instant::now();
    let seed = env_number("LAMBDA_EXACT_SEED", DEFAULT_SEED);
    let n_random = env_number("VP_EXACT_FILES", DEFAULT_VP_FILES as u64) as usize;
    let rerun = format!("LAMBDA_EXACT_SEED={seed:#x} VP_EXACT_FILES={n_random}");
    let vp_seed = seed.rotate_left(29) ^ 0x5EED_0F0A_u64;

    // 1. The corpus: the fixed files and random ones, switched to verified-permissions.
    let mut corpus = Vec::new();
    let mut fixed = fixed_files();
    fixed.push(("fixed-split".to_string(), vp_split_file()));
    for (i, (name, v)) in fixed.into_iter().enumerate() {
        let mut rng = Rng::new(vp_seed ^ 0xF1ED ^ ((i as u64) << 32));
        corpus.push((name, to_vp(v, &mut rng)));
    }
    for i in 0..n_random {
        let mut rng = Rng::for_file(vp_seed, i);
        let v = random_roles(&mut rng, i);
        corpus.push((format!("random-{i:03}"), to_vp(v, &mut rng)));
    }

    // 2. rolegen gen for every file. A refusal (`avp-limit` included: the files are small)
    //    is a failure.
    let dir = common::scratch("vp-exact");
    let mut failures = gen_corpus(&dir, &corpus);
    let gen_done = started.elapsed();

    // 3. Read each template; plan requests, callers and the cache.
    let mut plans: Vec<VpPlan> = Vec::new();
    for (i, (name, v)) in corpus.iter().enumerate() {
        if failures.iter().any(|(f, _)| f == name) {
            continue;
        }
        let roles = Roles::from_value(v);
        let ns = namespace_of(v["api"]["name"].as_str().unwrap());
        let token_use = if v["api"]["token"] == "access" {
            "access"
        } else {
            "id"
        };
        let d = dir.join(name).join("out");
        let read = |rel: &str| fs::read_to_string(d.join(rel)).map_err(|e| format!("{rel}: {e}"));
        let (text, schema_file) = match (
            read("cfn/template.yaml"),
            read("cedar/schema.cedarschema.json"),
        ) {
            (Ok(t), Ok(s)) => (t, s),
            (Err(e), _) | (_, Err(e)) => {
                failures.push((name.clone(), e));
                continue;
            }
        };
        let deployed = match read_template(&text, &roles) {
            Ok(x) => x,
            Err(e) => {
                failures.push((name.clone(), format!("cfn/template.yaml: {e}")));
                continue;
            }
        };
        let module = d.join("authorizer/index.mjs");
        if !module.exists() {
            failures.push((name.clone(), "no authorizer/index.mjs".into()));
            continue;
        }
        let mut rng =
            Rng::new(vp_seed.rotate_left(17) ^ (i as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
        let plan = plan(
            name,
            roles,
            &deployed,
            &mut rng,
            module,
            Budget {
                extra_callers: Some(VP_EXTRA_CALLERS),
                uncached_requests: Some(VP_UNCACHED_REQUESTS),
            },
        );
        let vp = match read_vp_template(
            &text,
            &schema_file,
            &ns,
            &plan.pool,
            &plan.client,
            &plan.machine_ids,
        ) {
            Ok(x) => x,
            Err(e) => {
                failures.push((name.clone(), format!("cfn/template.yaml: {e}")));
                continue;
            }
        };
        if let Err(e) = check_any_signed_in(&plan.roles, &ns, &vp) {
            failures.push((name.clone(), format!("cfn/template.yaml: {e}")));
        }
        let first_action = serde_json::from_str::<Value>(&vp.schema).unwrap()[&ns]["actions"]
            .as_object()
            .and_then(|a| a.keys().min().cloned())
            .unwrap_or_default();
        let who: Vec<Who> = plan
            .who
            .iter()
            .map(|w| match w {
                Who::User(claims) if token_use == "access" => Who::User(
                    claims
                        .iter()
                        .filter(|(k, _)| *k == "sub" || *k == "cognito:username")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                other => other.clone(),
            })
            .collect();
        let subs = who
            .iter()
            .map(|w| {
                let sub = match w {
                    Who::User(claims) => claims["sub"].clone(),
                    Who::Client(i) => plan
                        .machine_ids
                        .iter()
                        .find(|(n, _)| *n == plan.roles.clients[*i].name)
                        .map(|(_, id)| id.clone())
                        .unwrap_or_default(),
                };
                (sub, *rng.pick(&["bearer", "bearer", "bare", "lower"]))
            })
            .collect();
        let selfcheck = plans.len().is_multiple_of(8);
        let eff = plan.roles.effective();
        let groups_with_access = eff
            .iter()
            .filter(|scopes| {
                plan.roles.routes.iter().any(|r| match &r.access {
                    // `authenticated` routes are in no group's policy, `match` routes in
                    // policies of their own.
                    _ if !r.bound.is_empty() => false,
                    Access::Public | Access::Authenticated => false,
                    Access::AnyOf(need) => need.iter().any(|x| scopes.contains(x)),
                })
            })
            .count();
        // A group's plain policies (not a client's, nor a `match` route's with its condition).
        let group_policies = vp
            .policies
            .values()
            .filter(|t| {
                let sq = squeeze(t.as_str().unwrap_or(""));
                sq.starts_with(&format!("permit(principalin{ns}::UserGroup::\""))
                    && !sq.contains(")when{")
            })
            .count();
        let split = group_policies > groups_with_access;
        let hostile = plan
            .roles
            .groups
            .iter()
            .any(|g| VP_GROUP_POOL.contains(&g.name.as_str()));
        plans.push(VpPlan {
            plan,
            deployed: vp,
            namespace: ns,
            token_use,
            subs,
            who,
            first_action,
            selfcheck,
            split,
            hostile,
        });
    }

    // 4. One node process runs the handler for every cache miss, and again with the broken
    //    stubs on the self-check's files.
    let mut counts = VpCounts::default();
    let plan_done = started.elapsed();
    let mut node_done = plan_done;
    let mut mismatches: Vec<(String, String)> = Vec::new();
    if !plans.is_empty() {
        let spec = json!({
            "region": REGION, "account": ACCOUNT, "apiId": API_ID, "store": VP_STORE,
            "brokenModes": BROKEN_MODES,
            "files": plans.iter().map(vp_spec_of).collect::<Vec<_>>(),
        });
        fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
        fs::write(dir.join("vp_driver.mjs"), VP_DRIVER).unwrap();
        // `--no-turbofan`: node 20's optimizing compiler crashes the process ("unreachable
        // code" in `Deoptimizer::DoComputeBuiltinContinuation`) on this workload, when it
        // deoptimizes the stub around cedar-wasm's calls. The baseline tiers run the same code
        // at about the same speed here.
        let answer: Value = common::node_json(
            Command::new("node")
                .arg("--no-turbofan")
                .arg(dir.join("vp_driver.mjs"))
                .arg(dir.join("spec.json"))
                .env("AWS_REGION", REGION)
                .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
                .env("AWS_SECRET_ACCESS_KEY", "secret"),
        );
        node_done = started.elapsed();
        let raw_policies = answer["policies"].as_array().unwrap();
        let policies: Vec<Result<Vec<Statement>, String>> =
            raw_policies.iter().map(parse_policy).collect();

        // 5. Judge every call and every decision in Rust.
        for (v, result) in plans.iter().zip(answer["files"].as_array().unwrap()) {
            let p = &v.plan;
            if let Some(e) = result.get("error") {
                failures.push((p.name.clone(), format!("node: {}", e.as_str().unwrap())));
                continue;
            }
            counts.files += 1;
            if v.token_use == "access" {
                counts.access_files += 1;
            }
            counts.split_files += u64::from(v.split);
            counts.hostile_files += u64::from(v.hostile);
            counts.auth.file(p);
            let calls = result["calls"].as_array().unwrap();
            assert_eq!(calls.len(), p.calls.len());
            let mut file_errors: BTreeSet<String> = BTreeSet::new();
            // Each call: one AVP call naming the route's action, with the caller's token,
            // accepted by the stub; the answer names the caller and the route.
            for (&(caller, req), c) in p.calls.iter().zip(calls) {
                let r = &p.routed[req as usize];
                let (sub, how) = &v.subs[caller as usize];
                let what = format!(
                    "{} token ({how}) of {:?}: {} {}",
                    v.token_use, p.callers[caller as usize], r.verb, r.path
                );
                if let Some(e) = c[0].get("error") {
                    file_errors.insert(format!("{what}: handler threw {e}"));
                    continue;
                }
                let action = format!("{} {}", r.verb.to_lowercase(), p.resources[r.res].template);
                let route = &p.roles.routes[r.route];
                // What the handler must ask AVP: nothing for a machine client on a `match`
                // route or one no client may call, nor for a user whose token lacks a bound claim ("a missing claim
                // denies here"); else one call: `IsAuthorized` with the client's principal,
                // or `IsAuthorizedWithToken` with the user's token and, on a `match` route,
                // exactly the path values and the token's claims as context.
                let who = &v.who[caller as usize];
                // No policy can name a client for a route no client may call: the handler
                // need not ask (and AVP would refuse the principal type).
                let some_client = (0..p.roles.clients.len()).any(|i| {
                    decide_matrix(&p.roles, &Who::Client(i), &BTreeSet::new(), r.route, &r.pp)
                });
                let (want_calls, want_kind, want_context) = match who {
                    Who::Client(_) if !route.bound.is_empty() || !some_client => {
                        (0, Value::Null, Value::Null)
                    }
                    Who::Client(_) => (1, json!("plain"), Value::Null),
                    Who::User(claims) => {
                        let mut path = Map::new();
                        let mut own = Map::new();
                        let mut missing = false;
                        for (var, claim) in &route.bound {
                            match (r.pp.get(var).and_then(Value::as_str), claims.get(claim)) {
                                (Some(value), Some(mine)) if !mine.is_empty() => {
                                    path.insert(var.clone(), json!(value));
                                    own.insert(claim.clone(), json!(mine));
                                }
                                _ => missing = true,
                            }
                        }
                        if missing {
                            (0, Value::Null, Value::Null)
                        } else if route.bound.is_empty() {
                            (1, json!("token"), Value::Null)
                        } else {
                            (1, json!("token"), json!({ "path": path, "claims": own }))
                        }
                    }
                };
                if c[3] != want_calls {
                    file_errors.insert(format!("{what}: {} AVP calls, want {want_calls}", c[3]));
                }
                if c[7] != want_kind {
                    file_errors.insert(format!("{what}: AVP command {}, want {want_kind}", c[7]));
                }
                if want_calls == 1 && c[4] != json!(action) {
                    file_errors.insert(format!("{what}: asked AVP for {}, want {action:?}", c[4]));
                }
                // A machine client's request for an action whose schema does not admit `Client`
                // principals is refused by Cedar's request validation (and, if AVP validates
                // requests as strictly, by AVP: the handler then denies, as it must). Counted,
                // and allowed only where the matrix denies; any other refusal is an error.
                let refused_client = matches!(who, Who::Client(_))
                    && c[5].as_str().is_some_and(|e| {
                        e.contains("principal type") && e.contains("::Client` is not valid for")
                    })
                    && !decide_matrix(
                        &p.roles,
                        who,
                        &p.caller_scopes[caller as usize],
                        r.route,
                        &r.pp,
                    );
                if refused_client {
                    counts.client_refused += 1;
                } else if !c[5].is_null() {
                    file_errors.insert(format!("{what}: AVP would refuse the call: {}", c[5]));
                }
                if want_kind == "token" && c[6] != true {
                    file_errors.insert(format!("{what}: AVP got another token than the caller's"));
                }
                if want_calls == 1 && c[9] != want_context {
                    file_errors.insert(format!(
                        "{what}: context {} sent, want {want_context}",
                        c[9]
                    ));
                }
                if let Who::Client(i) = who
                    && want_calls == 1
                {
                    let principal = json!({
                        "entityType": format!("{}::Client", v.namespace),
                        "entityId": p.roles.clients[*i].name,
                    });
                    if c[8] != principal {
                        file_errors.insert(format!("{what}: principal {}, want {principal}", c[8]));
                    }
                }
                if c[1] != json!(sub) {
                    file_errors.insert(format!("{what}: principalId {}", c[1]));
                }
                let route_key = p.roles.routes[r.route].key();
                if c[2] != json!(route_key) {
                    file_errors.insert(format!(
                        "{what}: context.route {}, API Gateway routes it to `{route_key}`",
                        c[2]
                    ));
                }
            }
            counts.avp_calls += p.calls.len() as u64;
            // The decision of a call's answer for a request.
            let mut memo: HashMap<(u64, u32), bool> = HashMap::new();
            let mut evaluate = |c: &Value, req: u32, errors: &mut BTreeSet<String>| {
                let idx = c.as_u64()?;
                match &policies[idx as usize] {
                    Err(e) => {
                        errors.insert(format!(
                            "policy not understood ({e}): {}",
                            raw_policies[idx as usize]
                        ));
                        None
                    }
                    Ok(stmts) => Some((
                        *memo
                            .entry((idx, req))
                            .or_insert_with(|| decide(stmts, &p.routed[req as usize].arn_parts)),
                        idx,
                    )),
                }
            };
            for d in &p.main {
                let r = &p.routed[d.req as usize];
                let Some((got, idx)) =
                    evaluate(&calls[d.call as usize][0], d.req, &mut file_errors)
                else {
                    continue;
                };
                let route = &p.roles.routes[r.route];
                let c = d.caller as usize;
                let want = decide_matrix(&p.roles, &v.who[c], &p.caller_scopes[c], r.route, &r.pp);
                counts.decisions += 1;
                let user = matches!(v.who[c], Who::User(_));
                if user {
                    counts.auth.decision(p, d, want);
                    if !route.bound.is_empty() {
                        if want {
                            counts.match_allowed += 1;
                        } else if matrix(route, &p.caller_scopes[c]) {
                            counts.match_denied_by_claim += 1;
                        }
                    }
                } else if want {
                    counts.client_allowed += 1;
                } else {
                    counts.client_denied += 1;
                }
                if v.selfcheck && user && is_authenticated(route) && p.callers[c].is_empty() {
                    counts.selfcheck_auth_no_group += 1;
                }
                if want {
                    counts.allowed += 1;
                } else {
                    counts.denied += 1;
                }
                if d.hit {
                    counts.hits += 1;
                    if p.routed[d.miss_req as usize].path != r.path {
                        counts.hits_other_path += 1;
                        if want {
                            counts.hits_other_path_allowed += 1;
                        }
                    }
                }
                if r.fell_through {
                    counts.fell_through += 1;
                }
                if route.method == "ANY" {
                    counts.any_decisions += 1;
                }
                if p.resources[r.res]
                    .path
                    .iter()
                    .any(|s| matches!(s, Seg::Greedy(_)))
                {
                    counts.greedy_decisions += 1;
                }
                if got != want {
                    let miss = &p.routed[d.miss_req as usize];
                    mismatches.push((
                        p.name.clone(),
                        format!(
                            "{} token of {:?} {:?}: {} {} → route `{}`: matrix {}, authorizer {}{}\n    policy: {}",
                            v.token_use,
                            p.callers[d.caller as usize],
                            v.who[d.caller as usize],
                            r.verb,
                            r.path,
                            route.key(),
                            if want { "ALLOW" } else { "DENY" },
                            if got { "ALLOW" } else { "DENY" },
                            if d.hit {
                                format!(" (cached from {} {})", miss.verb, miss.path)
                            } else {
                                String::new()
                            },
                            raw_policies[idx as usize]
                        ),
                    ));
                }
            }
            // Self-checks of the cache model, with the same answers: the token alone as the key
            // (a TOKEN authorizer; its misses are each caller's first request, which the real
            // key's simulation called too), and `match` routes keyed without `context.path`
            // (every miss of that coarser key is a miss of the template's: no call of its own).
            // Each gives wrong allows.
            for (decisions, wrong_allows) in [
                (&p.weak, &mut counts.weak_wrong_allows),
                (&p.weak_path, &mut counts.weak_path_wrong_allows),
            ] {
                for d in decisions {
                    let Some((got, _)) =
                        evaluate(&calls[d.call as usize][0], d.req, &mut file_errors)
                    else {
                        continue;
                    };
                    let r = &p.routed[d.req as usize];
                    let c = d.caller as usize;
                    if got
                        && !decide_matrix(&p.roles, &v.who[c], &p.caller_scopes[c], r.route, &r.pp)
                    {
                        *wrong_allows += 1;
                    }
                }
            }
            // The self-check of the judge: the same decisions with the broken stubs' answers.
            if v.selfcheck {
                counts.selfcheck_files += 1;
                for (m, mode) in BROKEN_MODES.iter().enumerate() {
                    let broken = result["broken"][mode].as_array().unwrap();
                    assert_eq!(broken.len(), p.calls.len());
                    let mut ignored = BTreeSet::new();
                    for d in &p.main {
                        let Some((got, _)) =
                            evaluate(&broken[d.call as usize], d.req, &mut ignored)
                        else {
                            continue;
                        };
                        let r = &p.routed[d.req as usize];
                        let c = d.caller as usize;
                        let want =
                            decide_matrix(&p.roles, &v.who[c], &p.caller_scopes[c], r.route, &r.pp);
                        if got && !want {
                            counts.broken_wrong[m].0 += 1;
                        } else if !got && want {
                            counts.broken_wrong[m].1 += 1;
                        }
                    }
                }
            }
            for e in file_errors {
                failures.push((p.name.clone(), e));
            }
        }
    }

    // 6. Report.
    let elapsed = started.elapsed();
    println!(
        "vp_exact: {} files ({} fixed + {n_random} random, seed {seed:#x}; {} with access tokens, {} with Cedar-hostile group names, {} with split policies), {} decisions ({} allowed, {} denied), {} AVP calls (cache misses), {} cache hits ({} on another concrete path, {} of them allowed), {} fall-throughs, {} on ANY routes, {} on greedy resources; {}; self-check on {} files: action ignored {} wrong allows + {} wrong denies, any group allowed {} wrong allows + {} wrong denies ({} decisions on authenticated routes for no group); token-only cache key: {} wrong allows; match routes: {} allowed, {} denied by the claim alone; machine clients: {} allowed, {} denied, {} AVP calls refused by schema validation; self-check with a key without context.path: {} wrong allows; gen {:.1}s, plan {:.1}s, node {:.1}s, total {:.1}s",
        corpus.len(),
        corpus.len() - n_random,
        counts.access_files,
        counts.hostile_files,
        counts.split_files,
        counts.decisions,
        counts.allowed,
        counts.denied,
        counts.avp_calls,
        counts.hits,
        counts.hits_other_path,
        counts.hits_other_path_allowed,
        counts.fell_through,
        counts.any_decisions,
        counts.greedy_decisions,
        counts.auth.report(),
        counts.selfcheck_files,
        counts.broken_wrong[0].0,
        counts.broken_wrong[0].1,
        counts.broken_wrong[1].0,
        counts.broken_wrong[1].1,
        counts.selfcheck_auth_no_group,
        counts.weak_wrong_allows,
        counts.match_allowed,
        counts.match_denied_by_claim,
        counts.client_allowed,
        counts.client_denied,
        counts.client_refused,
        counts.weak_path_wrong_allows,
        gen_done.as_secs_f64(),
        (plan_done - gen_done).as_secs_f64(),
        (node_done - plan_done).as_secs_f64(),
        elapsed.as_secs_f64(),
    );

    let mut bad_files: BTreeSet<String> = failures.iter().map(|(f, _)| f.clone()).collect();
    bad_files.extend(mismatches.iter().map(|(f, _)| f.clone()));
    if !bad_files.is_empty() {
        let mut report = String::new();
        let _ = writeln!(
            report,
            "{} failures and {} mismatches in {} files; rerun with {rerun}",
            failures.len(),
            mismatches.len(),
            bad_files.len()
        );
        random::keep_failing_files(&dir, "vp-exact-failures", seed, &bad_files, &mut report);
        for (f, e) in failures.iter().take(40) {
            let _ = writeln!(report, "[{f}] {e}");
        }
        let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
        for (f, _) in &mismatches {
            *per_file.entry(f).or_default() += 1;
        }
        for (f, n) in &per_file {
            let _ = writeln!(report, "[{f}] {n} decisions differ from the matrix");
        }
        let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
        for (f, m) in &mismatches {
            let n = shown.entry(f).or_default();
            *n += 1;
            if *n <= 3 && shown.len() <= 15 {
                let _ = writeln!(report, "[{f}] {m}");
            }
        }
        panic!("{report}");
    }

    let _ = fs::remove_dir_all(&dir);

    // 7. Non-vacuity: both token kinds, allows and denies, cache reuse across concrete paths,
    //    fall-through, ANY and greedy routing, `authenticated` routes (decided, allowed for
    //    callers in no group, still denied where a more specific route takes the request), and
    //    each broken stub caught (the "any group allowed" stub also denies every caller in no
    //    group on an `authenticated` route).
    let files = counts.files;
    assert_eq!(files, corpus.len() as u64, "every file was judged");
    for (what, n, min) in counts.auth.minimums(files).into_iter().chain([
        ("files with access tokens", counts.access_files, files / 5),
        (
            "files with Cedar-hostile group names",
            counts.hostile_files,
            files / 10,
        ),
        ("files with split policies", counts.split_files, 1),
        ("allowed decisions", counts.allowed, 10 * files),
        ("denied decisions", counts.denied, 10 * files),
        ("AVP calls", counts.avp_calls, 10 * files),
        (
            "cache hits on another concrete path",
            counts.hits_other_path,
            2 * files,
        ),
        (
            "allowed cache hits on another concrete path",
            counts.hits_other_path_allowed,
            files / 2,
        ),
        ("fall-through decisions", counts.fell_through, files / 2),
        ("decisions on ANY routes", counts.any_decisions, 2 * files),
        (
            "decisions on greedy resources",
            counts.greedy_decisions,
            2 * files,
        ),
        (
            "wrong decisions with the action ignored (self-check)",
            counts.broken_wrong[0].0 + counts.broken_wrong[0].1,
            counts.selfcheck_files,
        ),
        (
            "wrong allows with any group allowed (self-check)",
            counts.broken_wrong[1].0,
            counts.selfcheck_files,
        ),
        (
            "self-check decisions on authenticated routes for callers in no group",
            counts.selfcheck_auth_no_group,
            1,
        ),
        (
            "wrong denies with any group allowed (self-check: one per decision on an authenticated route for no group)",
            counts.broken_wrong[1].1,
            counts.selfcheck_auth_no_group,
        ),
        (
            "wrong allows with a token-only cache key (self-check)",
            counts.weak_wrong_allows,
            (files / 20).max(1),
        ),
        ("allowed decisions on match routes", counts.match_allowed, files / 4),
        (
            "decisions on match routes denied by the claim alone",
            counts.match_denied_by_claim,
            files,
        ),
        ("machine clients' allowed decisions", counts.client_allowed, files),
        ("machine clients' denied decisions", counts.client_denied, files),
        (
            "wrong allows with match routes keyed without context.path (self-check)",
            counts.weak_path_wrong_allows,
            1,
        ),
    ]) {
        assert!(
            n >= min,
            "vacuous: only {n} {what} (want at least {min}); {rerun}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The test's own models, pinned to the AWS facts they encode (so a change to them that
// would make the property test agree with a wrong authorizer fails here first).
// ---------------------------------------------------------------------------------------------

fn policy(stmts: Value) -> Vec<Statement> {
    parse_policy(&json!({ "Version": "2012-10-17", "Statement": stmts })).unwrap()
}

fn allows(stmts: &[Statement], rest: &str) -> bool {
    decide(
        stmts,
        &arn_parts(&format!(
            "arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/{rest}"
        )),
    )
}

#[test]
fn iam_wildcards_match_wildcard_characters_in_the_request() {
    let head = format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod");
    let allow = |r: &str| {
        policy(
            json!([{ "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": format!("{head}/{r}") }]),
        )
    };
    let p = allow("PUT/*");
    assert!(
        allows(&p, "PUT/*/*"),
        "the pattern's `*` is a wildcard over a `*` in the path"
    );
    assert!(allows(&p, "PUT/x/*"));
    let q = allow("GET/a?");
    assert!(allows(&q, "GET/a?"));
    assert!(allows(&q, "GET/a*"));
    assert!(!allows(&q, "GET/a*b"));
    assert!(
        !allows(&allow("GET/x"), "GET/*"),
        "a `*` in the path is no wildcard"
    );
}

#[test]
fn iam_wildcards_cross_slashes_and_deny_wins() {
    let head = format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod");
    let p = policy(
        json!([{ "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": format!("{head}/GET/orders/*") }]),
    );
    assert!(allows(&p, "GET/orders/1"));
    assert!(allows(&p, "GET/orders/1/secret"), "`*` matches `/` too");
    assert!(allows(&p, "GET/orders/"), "`*` matches the empty string");
    assert!(!allows(&p, "GET/orders"));
    assert!(!allows(&p, "POST/orders/1"));
    let p = policy(
        json!({ "Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [format!("{head}/??????/summary")] }),
    );
    assert!(allows(&p, "DELETE/summary"));
    assert!(allows(&p, "GET/me/summary"), "`?` matches `/` too");
    assert!(!allows(&p, "GET/summary"));
    let p = policy(json!([
        { "Action": "execute-api:*", "Effect": "Allow", "Resource": "*" },
        { "Action": "*", "Effect": "Deny", "Resource": format!("{head}/GET/orders/*/secret") },
    ]));
    assert!(allows(&p, "GET/orders/1"));
    assert!(!allows(&p, "GET/orders/1/secret"), "an explicit Deny wins");
    assert!(allows(&p, "GET/"), "root");
    assert!(!allows(&policy(json!([])), "GET/"), "implicit deny");
    for bad in [
        json!({ "Version": "2012-10-17", "Statement": [{ "Action": "execute-api:Invoke", "Effect": "Allow", "NotResource": "*" }] }),
        json!({ "Version": "2012-10-17", "Statement": [{ "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*", "Condition": {} }] }),
        json!({ "Version": "2012-10-17", "Statement": [{ "Action": "execute-api:Invoke", "Effect": "allow", "Resource": "*" }] }),
        json!({ "Version": "2012-10-17", "Statement": [{ "Action": "s3:GetObject", "Effect": "Allow", "Resource": "*" }] }),
        json!({ "Version": "2012-10-17", "Statement": [{ "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "arn:aws:execute-api:*" }] }),
        json!({ "Statement": [] }),
    ] {
        assert!(parse_policy(&bad).is_err(), "{bad}");
    }
}

#[test]
fn router_prefers_specific_resources_and_falls_through() {
    let roles = Roles::from_value(&fixed_file(
        "prod",
        &["s"],
        json!({}),
        json!({
            "GET /users/{id}": ["s"],
            "PATCH /users/me": ["s"],
            "ANY /{proxy+}": ["s"],
            "GET /items": ["s"],
            "ANY /items": ["s"],
            "GET /": ["s"],
        }),
    ));
    let res = resources(&roles);
    let route = |verb: &str, path: &str| {
        let segs: Vec<String> = path
            .split('/')
            .skip(1)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        dispatch(&res, verb, &segs).map(|d| roles.routes[d.route].key())
    };
    assert_eq!(route("PATCH", "/users/me").unwrap(), "PATCH /users/me");
    assert_eq!(
        route("GET", "/users/me").unwrap(),
        "GET /users/{id}",
        "verb falls through to {{id}}"
    );
    assert_eq!(
        route("DELETE", "/users/me").unwrap(),
        "ANY /{proxy+}",
        "and on to {{proxy+}}"
    );
    assert_eq!(route("GET", "/users/me/x").unwrap(), "ANY /{proxy+}");
    assert_eq!(
        route("GET", "/items").unwrap(),
        "GET /items",
        "a method beats ANY"
    );
    assert_eq!(route("POST", "/items").unwrap(), "ANY /items");
    assert_eq!(route("GET", "/").unwrap(), "GET /");
    assert_eq!(route("POST", "/"), None, "{{proxy+}} needs a segment");
    assert_eq!(
        route("GET", "/users").unwrap(),
        "ANY /{proxy+}",
        "a resource without methods"
    );
}

#[test]
fn any_signed_in_policy_check_catches_wrong_shapes() {
    let roles = Roles::from_value(&fixed_file(
        "prod",
        &["s"],
        json!({ "G": { "scopes": ["s"] } }),
        json!({
            "ANY /me": "authenticated",
            "GET /me": ["s"],
            "PUT /me/x": { "authenticated": true, "integration": "mock" },
            "GET /y": ["s"],
        }),
    ));
    let any = "permit (\n  principal,\n  action in [\n    NS::Action::\"post /me\",\n    NS::Action::\"put /me\",\n    NS::Action::\"patch /me\",\n    NS::Action::\"delete /me\",\n    NS::Action::\"head /me\",\n    NS::Action::\"options /me\",\n    NS::Action::\"put /me/x\"\n  ],\n  resource\n);";
    let group = "permit (\n  principal in NS::UserGroup::\"us-east-1_X|evil\\\"],resource);permit(principal,action,resource);//\",\n  action in [NS::Action::\"get /me\", NS::Action::\"get /y\"],\n  resource\n);";
    let deployed = |policies: &[(&str, String)], plain: &[&str]| VpDeployed {
        schema: String::new(),
        policies: policies
            .iter()
            .map(|(id, t)| (id.to_string(), json!(t)))
            .collect(),
        principal_type: String::new(),
        group_type: String::new(),
        env: Map::new(),
        plain: plain.iter().map(|s| s.to_string()).collect(),
    };
    let good = deployed(
        &[(ANY_SIGNED_IN, any.into()), ("CedarPolicyG", group.into())],
        &[ANY_SIGNED_IN],
    );
    assert_eq!(check_any_signed_in(&roles, "NS", &good), Ok(()));
    for (what, bad) in [
        (
            "an Fn::Join",
            deployed(
                &[(ANY_SIGNED_IN, any.into()), ("CedarPolicyG", group.into())],
                &[],
            ),
        ),
        ("missing", deployed(&[("CedarPolicyG", group.into())], &[])),
        (
            "the explicit GET next to ANY listed",
            deployed(
                &[
                    (ANY_SIGNED_IN, any.replace("\"post /me\"", "\"get /me\"")),
                    ("CedarPolicyG", group.into()),
                ],
                &[ANY_SIGNED_IN],
            ),
        ),
        (
            "a group's principal",
            deployed(
                &[
                    (
                        ANY_SIGNED_IN,
                        any.replace("principal,", "principal in NS::UserGroup::\"p|G\","),
                    ),
                    ("CedarPolicyG", group.into()),
                ],
                &[ANY_SIGNED_IN],
            ),
        ),
        (
            "an authenticated action in a group's policy",
            deployed(
                &[
                    (ANY_SIGNED_IN, any.into()),
                    (
                        "CedarPolicyG",
                        group.replace("\"get /y\"", "\"get /y\", NS::Action::\"put /me/x\""),
                    ),
                ],
                &[ANY_SIGNED_IN],
            ),
        ),
        (
            "a second unconstrained policy",
            deployed(
                &[
                    (ANY_SIGNED_IN, any.into()),
                    ("CedarPolicyG", group.into()),
                    ("Other", any.replace("\"put /me/x\"", "\"get /y\"")),
                ],
                &[ANY_SIGNED_IN],
            ),
        ),
    ] {
        assert!(
            check_any_signed_in(&roles, "NS", &bad).is_err(),
            "{what}: not caught"
        );
    }
    // No authenticated route: no such policy.
    let none = Roles::from_value(&fixed_file(
        "prod",
        &["s"],
        json!({}),
        json!({ "GET /y": ["s"] }),
    ));
    assert!(check_any_signed_in(&none, "NS", &good).is_err());
    assert_eq!(
        check_any_signed_in(
            &none,
            "NS",
            &deployed(&[("CedarPolicyG", group.into())], &[])
        ),
        Ok(())
    );
}
