//! An independent, random-file judge of the `cognito-scopes` strategy: for a corpus of random
//! valid roles files (hostile scope, group and client names, `includes` chains, public,
//! `authenticated` and scoped routes, machine clients), what Cognito and API Gateway would do
//! with the generated artifacts equals the access matrix written here, for every caller × route:
//!
//! - a user's access token: the generated pre-token trigger (`out/pretoken/index.mjs`) runs
//!   under `node` with a V2_0 event for the caller's groups (no group, each group, pairs, all,
//!   unknown names) asking for every scope the web app client allows, and for `openid` alone;
//!   the token's scopes are what Cognito makes of the answer (the requested scopes, less
//!   `scopesToSuppress`, plus `scopesToAdd`);
//! - a machine client's access token: Cognito's client-credentials grant never runs the V2
//!   trigger, and a client may ask for every scope its app client allows, so its token holds
//!   (at most) the `AllowedOAuthScopes` of its `UserPoolClient` in the template;
//! - API Gateway: each method is read back from the template (its path rebuilt from
//!   `ParentId`): `AuthorizationType: NONE` lets anyone in; `COGNITO_USER_POOLS` with the
//!   pool's authorizer lets a token in when one of its scopes is among the method's
//!   `AuthorizationScopes` (a method without scopes is an error here: it would take ID tokens).
//!
//! The matrix: a user may call a route when it is public, `authenticated`, or one of its scopes
//! is among the effective scopes (own plus `includes`, transitively) of one of the user's
//! groups; a machine client when the route is public or one of its scopes is among the
//! client's; never an `authenticated` route.
//!
//! A self-check proves the judge can fail: the same jobs against a trigger wrapped to grant
//! every scope the web app client allows give wrong allows.
//!
//! Independence: the generator, the matrix and the reading of the template are written here
//! from README's roles.yaml reference and AWS's documentation; nothing comes from `src/`. The
//! only contact with rolegen is its binary and the files it writes. `SCOPES_EXACT_SEED` and
//! `SCOPES_EXACT_FILES` (default 80) change the corpus; failing files are saved under
//! `target/tmp/scopes-exact-failures/`.

mod common;

use common::random::{self, ResourcePaths, Rng, env_number, resource_ref};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEFAULT_SEED: u64 = 0x5C0B_E5EE_D000_2026;
const DEFAULT_FILES: u64 = 80;
const IDENTIFIER: &str = "https://api.example.com";

// ---------------------------------------------------------------------------------------------
// Random roles files.
// ---------------------------------------------------------------------------------------------

/// The shared hostile scope names, and names close to the `authenticated` keyword.
fn scope_pool() -> Vec<&'static str> {
    random::pool(random::HOSTILE_SCOPES, &["authenticated2", "Authenticated"])
}
const GROUP_POOL: &[&str] = &[
    "Admin",
    "Editor",
    "Reader",
    "admin",
    "ADMIN",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "a*b",
    "*",
    "?",
    "x/y",
    "say\"hi\"",
    "back\\slash",
    "${x}",
    "{}",
    "管理者",
    "Über",
    "😀",
    "-",
    "1",
    "'quote'",
    "</script>",
    "%41",
    "a,b",
    "Reader*",
];
const VERBS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];
const WORDS: &[&str] = &[
    "orders", "users", "me", "items", "admin", "reports", "legacy", "status", "x.y", "_a", "b-c",
    "GET", "ANY", "prod",
];

#[derive(Clone, Debug)]
enum Access {
    Public,
    Authenticated,
    AnyOf(Vec<usize>),
}

struct Roles {
    scopes: Vec<String>,
    /// Name, own scopes, included groups.
    groups: Vec<(String, Vec<usize>, Vec<usize>)>,
    /// Name, scopes.
    clients: Vec<(String, Vec<usize>)>,
    /// `METHOD /path` → access.
    routes: BTreeMap<String, Access>,
}

impl Roles {
    fn effective(&self, g: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![g];
        let mut out = BTreeSet::new();
        while let Some(x) = stack.pop() {
            if !seen.insert(x) {
                continue;
            }
            out.extend(self.groups[x].1.iter().copied());
            stack.extend(self.groups[x].2.iter().copied());
        }
        out
    }

    /// The union of the effective scopes of the declared groups among `names` (exact names;
    /// anything else grants nothing).
    fn user_scopes(&self, names: &[String]) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for n in names {
            for (i, g) in self.groups.iter().enumerate() {
                if &g.0 == n {
                    out.extend(self.effective(i));
                }
            }
        }
        out
    }

    fn to_value(&self, index: usize) -> Value {
        let scopes: Map<String, Value> = self
            .scopes
            .iter()
            .map(|s| (s.clone(), json!(format!("scope {s}"))))
            .collect();
        let groups: Map<String, Value> = self
            .groups
            .iter()
            .map(|(name, own, inc)| {
                let mut def = Map::new();
                if !own.is_empty() {
                    def.insert(
                        "scopes".into(),
                        json!(own.iter().map(|&s| &self.scopes[s]).collect::<Vec<_>>()),
                    );
                }
                if !inc.is_empty() {
                    def.insert(
                        "includes".into(),
                        json!(inc.iter().map(|&g| &self.groups[g].0).collect::<Vec<_>>()),
                    );
                }
                let v = if def.is_empty() {
                    Value::Null
                } else {
                    Value::Object(def)
                };
                (name.clone(), v)
            })
            .collect();
        let routes: Map<String, Value> = self
            .routes
            .iter()
            .enumerate()
            .map(|(i, (k, a))| {
                let v = match a {
                    Access::Public if i % 2 == 0 => json!("public"),
                    Access::Public => json!({ "public": true }),
                    Access::Authenticated if i % 2 == 0 => json!("authenticated"),
                    Access::Authenticated => json!({ "authenticated": true }),
                    Access::AnyOf(s) => {
                        let names: Vec<&String> = s.iter().map(|&x| &self.scopes[x]).collect();
                        if i % 3 == 0 {
                            json!({ "scopes": names })
                        } else {
                            json!(names)
                        }
                    }
                };
                (k.clone(), v)
            })
            .collect();
        let mut v = json!({
            "version": 1,
            "api": { "name": format!("scopes-exact-{index}"), "stage": "prod", "authorizer": "cognito-scopes" },
            "user_pool": { "name": "random users", "domain": "random-users-auth" },
            "resource_server": { "identifier": IDENTIFIER, "name": "Random API" },
            "scopes": scopes,
            "groups": groups,
            "routes": routes,
        });
        if !self.clients.is_empty() {
            v["clients"] = self
                .clients
                .iter()
                .map(|(n, s)| {
                    (
                        n.clone(),
                        json!({
                            "description": format!("client {n}"),
                            "scopes": s.iter().map(|&x| &self.scopes[x]).collect::<Vec<_>>(),
                        }),
                    )
                })
                .collect::<Map<_, _>>()
                .into();
        }
        v
    }
}

fn random_roles(rng: &mut Rng) -> Roles {
    let n_scopes = rng.range(1, 7);
    let scope_pool = scope_pool();
    let scopes: Vec<String> = rng
        .sample_partial(scope_pool.len(), n_scopes)
        .into_iter()
        .map(|i| scope_pool[i].to_string())
        .collect();
    let n_groups = if rng.chance(0.05) { 0 } else { rng.range(1, 6) };
    let names: Vec<String> = rng
        .sample_partial(GROUP_POOL.len(), n_groups)
        .into_iter()
        .map(|i| GROUP_POOL[i].to_string())
        .collect();
    let chain = rng.chance(0.3);
    let groups = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let k = rng.range(0, 2);
            let own = rng.sample_partial(scopes.len(), k);
            // Includes point forward only: no cycles.
            let inc: Vec<usize> = (i + 1..names.len())
                .filter(|&j| (chain && j == i + 1) || rng.chance(0.2))
                .take(2)
                .collect();
            (n.clone(), own, inc)
        })
        .collect();
    let clients = if rng.chance(0.75) {
        let k = rng.range(1, 3);
        rng.sample_partial(random::HOSTILE_CLIENTS.len(), k)
            .into_iter()
            .map(|i| {
                let n = rng.range(1, scopes.len().min(3));
                (
                    random::HOSTILE_CLIENTS[i].to_string(),
                    rng.sample_partial(scopes.len(), n),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    // Paths: distinct literal prefixes, so API Gateway's one-variable-per-parent rule always
    // holds; the router does not matter here (Cognito's authorizer decides per method).
    let auth_rate = *rng.pick(&[0.0, 0.15, 0.3]);
    let mut routes = BTreeMap::new();
    let n_paths = rng.range(2, 9);
    for p in 0..n_paths {
        let word = rng.pick(WORDS);
        let path = match rng.below(4) {
            0 => format!("/{word}{p}"),
            1 => format!("/{word}{p}/{{id}}"),
            2 => format!("/{word}{p}/{{proxy+}}"),
            _ => format!("/{word}{p}/{{id}}/{}", rng.pick(WORDS)),
        };
        let k = rng.range(1, 3);
        for v in rng.sample_partial(VERBS.len(), k) {
            let access = if rng.chance(0.12) {
                Access::Public
            } else if rng.chance(auth_rate) {
                Access::Authenticated
            } else {
                let k = rng.range(1, scopes.len().min(3));
                Access::AnyOf(rng.sample_partial(scopes.len(), k))
            };
            routes.insert(format!("{} {path}", VERBS[v]), access);
        }
    }
    Roles {
        scopes,
        groups,
        clients,
        routes,
    }
}

// ---------------------------------------------------------------------------------------------
// The template, read as Cognito and API Gateway would.
// ---------------------------------------------------------------------------------------------

struct Deployed {
    /// What the web app client lets a user ask for.
    web_scopes: Vec<String>,
    /// Client name → the scopes its client-credentials app client allows.
    client_scopes: HashMap<String, BTreeSet<String>>,
    /// `METHOD /path` → `None` (AuthorizationType NONE) or the method's AuthorizationScopes.
    methods: BTreeMap<String, Option<BTreeSet<String>>>,
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or(format!("{what} is {v}"))?
        .iter()
        .map(|x| x.as_str().map(str::to_string).ok_or(format!("{what}: {x}")))
        .collect()
}

fn read_template(text: &str) -> Result<Deployed, String> {
    let v: Value = serde_saphyr::from_str(text).map_err(|e| format!("template: {e}"))?;
    let res = v["Resources"].as_object().ok_or("no Resources")?;
    let of_type = |t: &str| -> Vec<(&String, &Value)> {
        res.iter()
            .filter(|(_, r)| r["Type"] == t)
            .map(|(id, r)| (id, &r["Properties"]))
            .collect()
    };
    let pools = of_type("AWS::Cognito::UserPool");
    let [(pool_id, _)] = pools.as_slice() else {
        return Err(format!("{} user pools", pools.len()));
    };
    let mut web = None;
    let mut client_scopes = HashMap::new();
    for (id, p) in of_type("AWS::Cognito::UserPoolClient") {
        if p["UserPoolId"] != json!({ "Ref": pool_id }) {
            return Err(format!("{id}: UserPoolId {}", p["UserPoolId"]));
        }
        let flows = strings(&p["AllowedOAuthFlows"], "AllowedOAuthFlows")?;
        let scopes = strings(&p["AllowedOAuthScopes"], "AllowedOAuthScopes")?;
        if flows.iter().any(|f| f == "client_credentials") {
            if flows.len() != 1 {
                return Err(format!("{id}: flows {flows:?}"));
            }
            let name = p["ClientName"]
                .as_str()
                .ok_or(format!("{id}: no ClientName"))?;
            let scopes: BTreeSet<String> = scopes.into_iter().collect();
            if client_scopes.insert(name.to_string(), scopes).is_some() {
                return Err(format!("client {name:?} twice"));
            }
        } else if web.replace(scopes).is_some() {
            return Err("two user app clients".into());
        }
    }
    let web_scopes = web.ok_or("no user app client")?;
    let auths = of_type("AWS::ApiGateway::Authorizer");
    let [(auth_id, auth)] = auths.as_slice() else {
        return Err(format!("{} authorizers", auths.len()));
    };
    if auth["Type"] != "COGNITO_USER_POOLS" {
        return Err(format!("authorizer type {}", auth["Type"]));
    }
    let providers = auth["ProviderARNs"].as_array().ok_or("no ProviderARNs")?;
    if providers.len() != 1 || providers[0] != json!({ "Fn::GetAtt": [pool_id, "Arn"] }) {
        return Err(format!("ProviderARNs {}", auth["ProviderARNs"]));
    }

    let paths = ResourcePaths::read(res)?;
    let path_of = |id| paths.path_of(id);
    let mut methods = BTreeMap::new();
    for (id, p) in of_type("AWS::ApiGateway::Method") {
        let key = format!(
            "{} {}",
            p["HttpMethod"].as_str().ok_or("no HttpMethod")?,
            path_of(resource_ref(&p["ResourceId"])?)?
        );
        let protection = match p["AuthorizationType"].as_str() {
            Some("NONE") => None,
            Some("COGNITO_USER_POOLS") => {
                if p["AuthorizerId"] != json!({ "Ref": auth_id }) {
                    return Err(format!("{id}: AuthorizerId {}", p["AuthorizerId"]));
                }
                let s: BTreeSet<String> =
                    strings(&p["AuthorizationScopes"], "AuthorizationScopes")?
                        .into_iter()
                        .collect();
                if s.is_empty() {
                    return Err(format!(
                        "{id}: no AuthorizationScopes (it would take ID tokens)"
                    ));
                }
                Some(s)
            }
            other => return Err(format!("{id}: AuthorizationType {other:?}")),
        };
        if methods.insert(key.clone(), protection).is_some() {
            return Err(format!("{key} twice"));
        }
    }
    Ok(Deployed {
        web_scopes,
        client_scopes,
        methods,
    })
}

// ---------------------------------------------------------------------------------------------
// The trigger under node.
// ---------------------------------------------------------------------------------------------

/// Imports each file's trigger and calls it with a V2_0 event per job; prints the responses.
const DRIVER: &str = r#"
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = [];
for (const [n, file] of spec.entries()) {
  const answers = [];
  out.push(answers);
  let mod;
  try {
    mod = await import(pathToFileURL(file.module).href + "?n=" + n);
  } catch (e) {
    answers.push({ error: "import: " + String(e) });
    continue;
  }
  for (const job of file.jobs) {
    const event = {
      version: "2",
      triggerSource: "TokenGeneration_HostedAuth",
      region: "us-east-1",
      userPoolId: "us-east-1_Exact0001",
      userName: "user-" + n,
      callerContext: { awsSdkVersion: "aws-sdk-unknown-unknown", clientId: "webclient0001" },
      request: {
        userAttributes: { sub: "0000-" + n, email_verified: "true" },
        groupConfiguration: { groupsToOverride: job.groups, iamRolesToOverride: [], preferredRole: null },
        scopes: job.scopes,
      },
      response: { claimsAndScopeOverrideDetails: null },
    };
    try {
      const got = await mod.handler(event);
      answers.push({ response: JSON.parse(JSON.stringify((got ?? event).response)) });
    } catch (e) {
      answers.push({ error: String(e) });
    }
  }
}
process.stdout.write(JSON.stringify(out));
"#;

/// The access token's scopes Cognito issues from the trigger's answer: the requested scopes,
/// less `scopesToSuppress`, plus `scopesToAdd`. A scope both added and suppressed is an
/// error here (the documented behaviour does not settle it; the trigger must not rely on it).
fn token_scopes(requested: &[String], response: &Value) -> Result<BTreeSet<String>, String> {
    let tokgen = &response["claimsAndScopeOverrideDetails"]["accessTokenGeneration"];
    let list = |k: &str| -> Result<Vec<String>, String> {
        match &tokgen[k] {
            Value::Null => Ok(Vec::new()),
            v => strings(v, k),
        }
    };
    let add = list("scopesToAdd")?;
    let suppress = list("scopesToSuppress")?;
    if let Some(s) = add.iter().find(|s| suppress.contains(s)) {
        return Err(format!("{s:?} both added and suppressed"));
    }
    let mut out: BTreeSet<String> = requested
        .iter()
        .filter(|s| !suppress.contains(s))
        .cloned()
        .collect();
    out.extend(add);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The test.
// ---------------------------------------------------------------------------------------------

fn run_gen(dir: &Path, v: &Value) -> Result<(), String> {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("roles.json"), v.to_string()).unwrap();
    let out = common::rolegen()
        .arg("-c")
        .arg(dir.join("roles.json"))
        .arg("-o")
        .arg(dir.join("out"))
        .arg("gen")
        .output()
        .expect("run rolegen");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "rolegen gen exited {:?}:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The group sets a file's users are tried with.
fn group_sets(roles: &Roles, rng: &mut Rng) -> Vec<Vec<String>> {
    let names: Vec<String> = roles.groups.iter().map(|g| g.0.clone()).collect();
    let mut out = vec![Vec::new()];
    for n in &names {
        out.push(vec![n.clone()]);
    }
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            out.push(vec![names[i].clone(), names[j].clone()]);
        }
    }
    if names.len() > 2 {
        out.push(names.clone());
    }
    let mut unknown = vec!["NoSuchGroup".to_string(), "__proto__".into(), String::new()];
    for n in &names {
        unknown.push(n.to_uppercase());
        unknown.push(format!("{n} "));
    }
    unknown.retain(|u| !names.contains(u));
    out.push(vec![rng.pick(&unknown).clone()]);
    if let Some(n) = names.first() {
        out.push(vec![rng.pick(&unknown).clone(), n.clone(), n.clone()]);
    }
    out
}

struct Planned {
    name: String,
    roles: Roles,
    deployed: Deployed,
    sets: Vec<Vec<String>>,
    /// Each job: (group set index, requested scopes).
    jobs: Vec<(usize, Vec<String>)>,
}

/// One user decision: what it is about, the matrix, API Gateway with the token, and whether
/// the route is `authenticated`.
struct UserDecision {
    what: String,
    want: bool,
    got: bool,
    authenticated: bool,
}

/// Every user decision of a file, from the trigger's answers to its jobs.
fn user_decisions(
    p: &Planned,
    answers: &[Value],
    errors: &mut BTreeSet<String>,
) -> Vec<UserDecision> {
    let mut out = Vec::new();
    if answers.len() != p.jobs.len() {
        errors.insert(format!("trigger: {answers:?}"));
        return out;
    }
    for ((set, requested), answer) in p.jobs.iter().zip(answers) {
        let groups = &p.sets[*set];
        let token = match answer
            .get("response")
            .ok_or(format!("trigger threw {}", answer["error"]))
            .and_then(|r| token_scopes(requested, r))
        {
            Ok(t) => t,
            Err(e) => {
                errors.insert(format!("groups {groups:?}: {e}"));
                continue;
            }
        };
        let mine = p.roles.user_scopes(groups);
        for (key, access) in &p.roles.routes {
            let want = match access {
                Access::Public | Access::Authenticated => true,
                Access::AnyOf(s) => s.iter().any(|x| mine.contains(x)),
            };
            let Some(method) = p.deployed.methods.get(key) else {
                continue;
            };
            out.push(UserDecision {
                what: format!(
                    "user in {groups:?} asking for {requested:?}, token scopes {token:?}: {key} (method {method:?})"
                ),
                want,
                got: api_gateway(method, &token),
                authenticated: matches!(access, Access::Authenticated),
            });
        }
    }
    out
}

/// API Gateway's Cognito authorizer on one method: NONE lets anyone in; otherwise one of the
/// token's scopes must be among the method's.
fn api_gateway(method: &Option<BTreeSet<String>>, token: &BTreeSet<String>) -> bool {
    match method {
        None => true,
        Some(required) => token.iter().any(|s| required.contains(s)),
    }
}

/// A trigger that grants every scope the web app client allows, wrapped around the real one:
/// the self-check's mutant.
fn widened_trigger(dir: &Path, web_scopes: &[String]) -> PathBuf {
    let all: Vec<&String> = web_scopes.iter().filter(|s| *s != "openid").collect();
    let path = dir.join("widened.mjs");
    fs::write(
        &path,
        format!(
            "import {{ handler as real }} from \"./out/pretoken/index.mjs\";\n\
             const ALL = {};\n\
             export const handler = async (event) => {{\n\
               const e = await real(event);\n\
               const g = e.response.claimsAndScopeOverrideDetails.accessTokenGeneration;\n\
               g.scopesToAdd = [...new Set([...(g.scopesToAdd ?? []), ...ALL])];\n\
               g.scopesToSuppress = [];\n\
               return e;\n\
             }};\n",
            json!(all)
        ),
    )
    .unwrap();
    path
}

/// How many files the self-check's widened trigger runs on.
const MUTANT_FILES: usize = 20;

#[test]
fn cognito_scopes_decide_exactly_as_the_matrix() {
    let seed = env_number("SCOPES_EXACT_SEED", DEFAULT_SEED);
    let n_files = env_number("SCOPES_EXACT_FILES", DEFAULT_FILES) as usize;
    let rerun = format!("SCOPES_EXACT_SEED={seed:#x} SCOPES_EXACT_FILES={n_files}");
    let dir = common::scratch("scopes-exact");
    let _ = common::node_modules();

    let mut failures: Vec<(String, String)> = Vec::new();
    let mut planned = Vec::new();
    for i in 0..n_files {
        // The golden-ratio XOR keeps the corpus each seed named before the PRNG was shared.
        let mut rng = Rng::for_file(seed ^ 0x9E37_79B9_7F4A_7C15, i);
        let roles = random_roles(&mut rng);
        let name = format!("random-{i:03}");
        let d = dir.join(&name);
        if let Err(e) = run_gen(&d, &roles.to_value(i)) {
            failures.push((name, e));
            continue;
        }
        let text = fs::read_to_string(d.join("out/cfn/template.yaml")).unwrap_or_default();
        let deployed = match read_template(&text) {
            Ok(x) => x,
            Err(e) => {
                failures.push((name, e));
                continue;
            }
        };
        let sets = group_sets(&roles, &mut rng);
        let mut jobs = Vec::new();
        for s in 0..sets.len() {
            jobs.push((s, deployed.web_scopes.clone()));
            jobs.push((s, vec!["openid".to_string()]));
        }
        planned.push(Planned {
            name,
            roles,
            deployed,
            sets,
            jobs,
        });
    }

    let jobs_of = |p: &Planned| -> Vec<Value> {
        p.jobs
            .iter()
            .map(|(s, req)| json!({ "groups": p.sets[*s], "scopes": req }))
            .collect()
    };
    let mut spec: Vec<Value> = planned
        .iter()
        .map(|p| {
            json!({
                "module": dir.join(&p.name).join("out/pretoken/index.mjs"),
                "jobs": jobs_of(p),
            })
        })
        .collect();
    // The self-check: the same jobs against a widened trigger, for the first files.
    for p in planned.iter().take(MUTANT_FILES) {
        spec.push(json!({
            "module": widened_trigger(&dir.join(&p.name), &p.deployed.web_scopes),
            "jobs": jobs_of(p),
        }));
    }
    fs::write(dir.join("spec.json"), Value::from(spec).to_string()).unwrap();
    fs::write(dir.join("driver.mjs"), DRIVER).unwrap();
    let answers: Value = common::node_json(
        Command::new("node")
            .arg(dir.join("driver.mjs"))
            .arg(dir.join("spec.json")),
    );

    let full = |roles: &Roles, s: usize| format!("{IDENTIFIER}/{}", roles.scopes[s]);
    let answers = answers.as_array().unwrap();
    let (answers, mutant_answers) = answers.split_at(planned.len());
    let mut mutant_wrong_allows = 0u64;
    for (p, answers) in planned.iter().zip(mutant_answers) {
        let mut errors = BTreeSet::new();
        for d in user_decisions(p, answers.as_array().unwrap(), &mut errors) {
            if d.got && !d.want {
                mutant_wrong_allows += 1;
            }
        }
        assert!(errors.is_empty(), "widened trigger: {errors:?}");
    }
    let (mut decisions, mut allowed, mut denied) = (0u64, 0u64, 0u64);
    let (mut client_allowed, mut client_denied, mut auth_decisions) = (0u64, 0u64, 0u64);
    let mut client_files = 0u64;
    for (p, answers) in planned.iter().zip(answers) {
        let mut errors: BTreeSet<String> = BTreeSet::new();
        // Every route deployed as one method, nothing else.
        let wanted: BTreeSet<&String> = p.roles.routes.keys().collect();
        let got: BTreeSet<&String> = p.deployed.methods.keys().collect();
        if wanted != got {
            errors.insert(format!("methods {got:?}, roles {wanted:?}"));
        }
        for d in user_decisions(p, answers.as_array().unwrap(), &mut errors) {
            decisions += 1;
            if d.authenticated {
                auth_decisions += 1;
            }
            if d.want {
                allowed += 1;
            } else {
                denied += 1;
            }
            if d.got != d.want {
                errors.insert(format!(
                    "{}: matrix {}, API Gateway {}",
                    d.what, d.want, d.got
                ));
            }
        }
        // Machine clients: the token holds what the app client allows.
        let names: BTreeSet<&String> = p.roles.clients.iter().map(|c| &c.0).collect();
        let deployed_names: BTreeSet<&String> = p.deployed.client_scopes.keys().collect();
        if names != deployed_names {
            errors.insert(format!("clients {deployed_names:?}, roles {names:?}"));
        }
        if !p.roles.clients.is_empty() {
            client_files += 1;
        }
        for (name, own) in &p.roles.clients {
            let Some(token) = p.deployed.client_scopes.get(name) else {
                continue;
            };
            let want_scopes: BTreeSet<String> = own.iter().map(|&s| full(&p.roles, s)).collect();
            if *token != want_scopes {
                errors.insert(format!(
                    "client {name:?}: AllowedOAuthScopes {token:?}, want {want_scopes:?}"
                ));
            }
            for (key, access) in &p.roles.routes {
                let want = match access {
                    Access::Public => true,
                    Access::Authenticated => false,
                    Access::AnyOf(s) => s.iter().any(|x| own.contains(x)),
                };
                let Some(method) = p.deployed.methods.get(key) else {
                    continue;
                };
                let got = api_gateway(method, token);
                decisions += 1;
                if want {
                    client_allowed += 1;
                } else {
                    client_denied += 1;
                }
                if got != want {
                    errors.insert(format!(
                        "client {name:?} with {token:?}: {key}: matrix {want}, API Gateway {got} (method {method:?})"
                    ));
                }
            }
        }
        for e in errors {
            failures.push((p.name.clone(), e));
        }
    }

    println!(
        "scopes_exact: {n_files} files (seed {seed:#x}), {decisions} decisions ({allowed} users allowed, {denied} users denied, {auth_decisions} on authenticated routes; {client_allowed} machine clients allowed, {client_denied} denied, in {client_files} files); self-check with a widened trigger: {mutant_wrong_allows} wrong allows"
    );
    if !failures.is_empty() {
        let mut report = format!("{} failures; rerun with {rerun}\n", failures.len());
        let files: BTreeSet<&String> = failures.iter().map(|(f, _)| f).collect();
        random::keep_failing_files(&dir, "scopes-exact-failures", seed, files, &mut report);
        for (f, e) in failures.iter().take(30) {
            let _ = writeln!(report, "[{f}] {e}");
        }
        panic!("{report}");
    }
    // Non-vacuity.
    let files = n_files as u64;
    for (what, n, min) in [
        ("users allowed", allowed, 5 * files),
        ("users denied", denied, 5 * files),
        ("decisions on authenticated routes", auth_decisions, files),
        ("machine clients allowed", client_allowed, files),
        ("machine clients denied", client_denied, files),
        (
            "wrong allows with a widened trigger (self-check)",
            mutant_wrong_allows,
            MUTANT_FILES.min(planned.len()) as u64,
        ),
    ] {
        assert!(n >= min, "vacuous: only {n} {what} (want {min}); {rerun}");
    }
    // cfn-lint on some of the corpus (it starts slowly: one run).
    let templates: Vec<PathBuf> = planned
        .iter()
        .take(8)
        .map(|p| dir.join(&p.name).join("out/cfn/template.yaml"))
        .collect();
    common::assert_cfn_lint_clean_all(&templates);
    let _ = fs::remove_dir_all(&dir);
}

/// The judge's own parts can fail: Cognito's reading of the trigger's answer (suppressed
/// scopes leave, added ones join, a scope both added and suppressed is refused) and a method
/// that requires no scope (it would take any ID token) refused when the template is read.
#[test]
fn the_judge_catches_a_widened_trigger_or_method() {
    let response = json!({ "claimsAndScopeOverrideDetails": { "accessTokenGeneration": {
        "scopesToAdd": ["api/a", "api/b"], "scopesToSuppress": ["api/c"] } } });
    let requested = vec!["openid".to_string(), "api/c".into(), "api/d".into()];
    let token = token_scopes(&requested, &response).unwrap();
    assert_eq!(
        token,
        ["api/a", "api/b", "api/d", "openid"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let both = json!({ "claimsAndScopeOverrideDetails": { "accessTokenGeneration": {
        "scopesToAdd": ["api/a"], "scopesToSuppress": ["api/a"] } } });
    assert!(token_scopes(&requested, &both).is_err());
    // A template whose method requires no scope is refused (it would take ID tokens).
    let t = r#"
Resources:
  UserPool: { Type: AWS::Cognito::UserPool, Properties: {} }
  Web:
    Type: AWS::Cognito::UserPoolClient
    Properties: { UserPoolId: { Ref: UserPool }, AllowedOAuthFlows: [code], AllowedOAuthScopes: [openid] }
  Authorizer:
    Type: AWS::ApiGateway::Authorizer
    Properties: { Type: COGNITO_USER_POOLS, ProviderARNs: [{ "Fn::GetAtt": [UserPool, Arn] }] }
  R:
    Type: AWS::ApiGateway::Resource
    Properties: { ParentId: { "Fn::GetAtt": [RestApi, RootResourceId] }, PathPart: x }
  M:
    Type: AWS::ApiGateway::Method
    Properties: { HttpMethod: GET, ResourceId: { Ref: R }, AuthorizationType: COGNITO_USER_POOLS, AuthorizerId: { Ref: Authorizer }, AuthorizationScopes: [] }
"#;
    let e = read_template(t).err().expect("refused");
    assert!(e.contains("no AuthorizationScopes"), "{e}");
    let ok = read_template(&t.replace("AuthorizationScopes: []", "AuthorizationScopes: [api/a]"))
        .expect("read");
    assert_eq!(
        ok.methods["GET /x"],
        Some(BTreeSet::from(["api/a".to_string()]))
    );
}
