//! The `verified-permissions` strategy, judged by the real Cedar engine and by the generated
//! authorizer running under `node`.
//!
//! Independence: nothing here reads rolegen's model. The roles files under
//! `tests/fixtures/avp/` are parsed here, and the expected access matrix, the expected Cedar
//! actions and the expected namespace are computed here from the rules of the README
//! ("Semantics: one access model") and of Amazon Verified Permissions. rolegen is only run as
//! the built binary (`rolegen -c ROLES -o OUT gen`), and only its files are read.
//!
//! - The Cedar engine is the judge (`cedar-policy` crate): the generated schema parses, the
//!   policies as CloudFormation deploys them (the `Fn::Join` with a test user pool id) pass
//!   strict validation without warnings (except Cedar's "mixed scripts" lint on
//!   `"<pool>|<non-Latin group>"`, see `/work/shared/research/verified-permissions.md`), and
//!   `Authorizer::is_authorized`, with entities built as AVP builds them from a Cognito token,
//!   decides exactly the matrix for no group, each group, every pair, all groups and decoys
//!   (an `authenticated` route's action: allowed for all of them, through the one policy with
//!   an unconstrained principal, `CedarPolicyAnySignedInUser`, plain text, which no group's
//!   policy repeats).
//! - The generated handler runs under `node` with the real `aws-jwt-verify`, the AVP client
//!   stubbed by `aws-sdk-client-mock`, and the stub answering with `@cedar-policy/cedar-wasm`
//!   over the generated schema and deployed policies.
//! - The CloudFormation passes cfn-lint and wires store, identity source, policies, IAM and the
//!   REQUEST authorizer as AVP needs them; policy logical IDs follow the group name.
//! - Self-checks prove both judges can fail: broken policies (a group's policy under another
//!   group, one missing, one too many, the pool id left out, the `authenticated` routes'
//!   policy missing, narrowed to a group or widened to a group's action) and broken handlers
//!   (the action named by the concrete path, no token verification, failing open) are caught.

mod common;

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Decision, Effect, Entities, EntityId, EntityTypeName,
    EntityUid, Policy, PolicyId, PolicySet, PrincipalConstraint, Request, ResourceConstraint,
    Schema, ValidationMode, ValidationWarning, Validator,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::sync::OnceLock;

/// The user pool id the deployed policies are joined with.
const POOL: &str = "us-east-1_AbCdEf123";
/// Another pool: its users and groups must get nothing.
const OTHER_POOL: &str = "us-east-1_ZzZzZz999";
/// The longest user pool id Cognito allows (55 characters): AVP's 10,000-byte limit per policy
/// must hold with it.
const LONGEST_POOL: &str = "ap-southeast-2_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd";
const CLIENT: &str = "testclient0123456789";
const STORE: &str = "PSEXAMPLEabcdefg111111";
const ARN_HEAD: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";
/// The verbs an `ANY` route answers (those with no explicit method on the same path).
const VERBS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];
/// Words Cedar does not accept as a namespace.
const RESERVED: [&str; 9] = [
    "true", "false", "if", "then", "else", "in", "is", "like", "has",
];

/// Fixtures under tests/fixtures/avp/, and `orders_access`: `orders` with `api.token: access`.
const FIXTURES: &[&str] = &["orders", "hostile", "large"];

// ---------------------------------------------------------------------------------------------
// The roles file as this test reads it, and the matrix it expects.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Group {
    name: String,
    scopes: Vec<String>,
    includes: Vec<String>,
}

#[derive(Debug, Clone)]
struct RouteDef {
    /// Upper case, as written (`GET`, `ANY`).
    method: String,
    /// The path template as written (`/orders/{orderId}`).
    path: String,
    /// `None`: public; `Some([])` for an `authenticated` route.
    scopes: Option<Vec<String>>,
    /// `authenticated` (or `authenticated: true`): any signed-in user of the pool, in any
    /// group or none.
    authenticated: bool,
}

/// The logical ID README gives the one policy of the `authenticated` routes.
const ANY_SIGNED_IN: &str = "CedarPolicyAnySignedInUser";

#[derive(Debug, Clone)]
struct Roles {
    api_name: String,
    stage: String,
    /// `id` or `access`.
    token: String,
    groups: Vec<Group>,
    routes: Vec<RouteDef>,
    /// `actions()`, computed once.
    action_scopes: BTreeMap<String, Option<BTreeSet<String>>>,
}

/// A string or a list of strings (roles.yaml accepts a single name for a list).
fn names(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().expect("a name").to_string())
            .collect(),
        Some(other) => panic!("not a name or a list of names: {other}"),
    }
}

impl Roles {
    fn parse(text: &str) -> Roles {
        let doc: Value = serde_saphyr::from_str(text).expect("roles file parses");
        let api = &doc["api"];
        let mut groups = Vec::new();
        if let Some(map) = doc["groups"].as_object() {
            for (name, def) in map {
                groups.push(Group {
                    name: name.clone(),
                    scopes: names(def.get("scopes")),
                    includes: names(def.get("includes")),
                });
            }
        }
        let mut routes = Vec::new();
        for (key, value) in doc["routes"].as_object().expect("routes") {
            let (method, path) = key.split_once(' ').expect("METHOD /path");
            let flag = |k: &str| value.get(k) == Some(&Value::Bool(true));
            let (scopes, authenticated) = match value {
                Value::String(s) if s == "public" => (None, false),
                Value::String(s) if s == "authenticated" => (Some(Vec::new()), true),
                Value::Array(_) => (Some(names(Some(value))), false),
                Value::Object(_) if flag("public") => (None, false),
                Value::Object(_) if flag("authenticated") => (Some(Vec::new()), true),
                Value::Object(o) => (Some(names(o.get("scopes"))), false),
                other => panic!("route value {other}"),
            };
            routes.push(RouteDef {
                method: method.to_string(),
                path: path.to_string(),
                scopes,
                authenticated,
            });
        }
        let mut roles = Roles {
            api_name: api["name"].as_str().expect("api.name").to_string(),
            stage: api["stage"].as_str().expect("api.stage").to_string(),
            token: api
                .get("token")
                .and_then(Value::as_str)
                .unwrap_or("id")
                .to_string(),
            groups,
            routes,
            action_scopes: BTreeMap::new(),
        };
        roles.action_scopes = roles.compute_actions();
        roles
    }

    fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Own scopes plus those of every included group, transitively.
    fn effective(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![name.to_string()];
        let mut scopes = BTreeSet::new();
        while let Some(g) = todo.pop() {
            if !seen.insert(g.clone()) {
                continue;
            }
            let Some(group) = self.group(&g) else {
                continue;
            };
            scopes.extend(group.scopes.iter().cloned());
            todo.extend(group.includes.iter().cloned());
        }
        scopes
    }

    /// Every Cedar action the roles file calls for, with the scopes that grant it (`None`: an
    /// `authenticated` route's, which every signed-in user may call): one per protected route
    /// and verb (an `ANY` route: every verb that has no explicit method on the same path);
    /// none for a public route.
    fn actions(&self) -> BTreeMap<String, Option<BTreeSet<String>>> {
        self.action_scopes.clone()
    }

    /// The actions of the `authenticated` routes.
    fn authenticated_actions(&self) -> BTreeSet<String> {
        self.action_scopes
            .iter()
            .filter(|(_, need)| need.is_none())
            .map(|(a, _)| a.clone())
            .collect()
    }

    fn compute_actions(&self) -> BTreeMap<String, Option<BTreeSet<String>>> {
        let mut out = BTreeMap::new();
        for r in &self.routes {
            let Some(scopes) = &r.scopes else { continue };
            let verbs: Vec<String> = if r.method == "ANY" {
                VERBS
                    .iter()
                    .filter(|v| {
                        !self
                            .routes
                            .iter()
                            .any(|o| o.path == r.path && o.method.to_lowercase() == **v)
                    })
                    .map(|v| v.to_string())
                    .collect()
            } else {
                vec![r.method.to_lowercase()]
            };
            for v in verbs {
                let prev = out.insert(
                    format!("{v} {}", r.path),
                    (!r.authenticated).then(|| scopes.iter().cloned().collect::<BTreeSet<_>>()),
                );
                assert!(prev.is_none(), "two routes for {v} {}", r.path);
            }
        }
        out
    }

    /// Whether a signed-in caller in `groups` may call `action` (names that are no group
    /// grant nothing; an `authenticated` route's action needs no group).
    fn allows(&self, groups: &[String], action: &str) -> bool {
        let Some(need) = self.action_scopes.get(action).expect("a declared action") else {
            return true;
        };
        groups
            .iter()
            .any(|g| self.effective(g).iter().any(|s| need.contains(s)))
    }

    /// The actions one group's policies list, `includes` expanded: those its scopes grant
    /// (the `authenticated` routes' actions are in no group's policy).
    fn group_actions(&self, name: &str) -> BTreeSet<String> {
        let eff = self.effective(name);
        self.action_scopes
            .iter()
            .filter(|(_, need)| {
                need.as_ref()
                    .is_some_and(|n| n.iter().any(|s| eff.contains(s)))
            })
            .map(|(a, _)| a.clone())
            .collect()
    }

    /// The Cedar namespace: `api.name` without characters outside `[A-Za-z0-9_]`, `Api` in
    /// front when it would start with a digit or `_` or be a reserved word, `ImportedApi`
    /// when nothing is left.
    fn namespace(&self) -> String {
        namespace_of(&self.api_name)
    }

    fn group_names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.name.clone()).collect()
    }
}

fn namespace_of(api_name: &str) -> String {
    let s: String = api_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if s.is_empty() {
        "ImportedApi".to_string()
    } else if s.starts_with(|c: char| c.is_ascii_digit() || c == '_') || RESERVED.contains(&&*s) {
        format!("Api{s}")
    } else {
        s
    }
}

/// The group sets every decision is checked for: none, each, every pair, all, and decoys
/// (names that are almost a group: another case, an extra character, the pool prefix twice,
/// an empty name) that must grant nothing.
fn group_sets(r: &Roles) -> Vec<Vec<String>> {
    let all = r.group_names();
    let mut sets = vec![Vec::new()];
    sets.extend(all.iter().map(|g| vec![g.clone()]));
    for i in 0..all.len() {
        for j in i + 1..all.len() {
            sets.push(vec![all[i].clone(), all[j].clone()]);
        }
    }
    sets.push(all.clone());
    let mut decoys = vec![String::new(), "NoSuchGroup".to_string(), "*".to_string()];
    for g in &all {
        decoys.push(g.to_lowercase());
        decoys.push(g.to_uppercase());
        decoys.push(format!("{g}_"));
        decoys.push(format!("{POOL}|{g}"));
        decoys.push(format!(" {g}"));
    }
    decoys.retain(|d| !all.contains(d));
    decoys.sort();
    decoys.dedup();
    sets.push(decoys);
    sets
}

/// Whether a name has a letter of a script other than Latin: Cedar's validator then warns
/// that `"<pool>|<name>"` mixes scripts.
fn non_latin(name: &str) -> bool {
    name.chars().any(|c| {
        c.is_alphabetic()
            && !c.is_ascii_alphabetic()
            && !matches!(c as u32, 0xAA | 0xBA | 0xC0..=0x24F | 0x1E00..=0x1EFF)
    })
}

// ---------------------------------------------------------------------------------------------
// Generating with the built binary, and reading what it wrote.
// ---------------------------------------------------------------------------------------------

struct Gen {
    name: String,
    roles: Roles,
    out: PathBuf,
}

impl Gen {
    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.out.join(rel))
            .unwrap_or_else(|e| panic!("{}: cannot read {rel}: {e}", self.name))
    }

    fn schema_text(&self) -> String {
        self.read("cedar/schema.cedarschema.json")
    }

    fn schema_json(&self) -> Value {
        serde_json::from_str(&self.schema_text()).expect("schema is JSON")
    }

    fn template(&self) -> Value {
        serde_saphyr::from_str(&self.read("cfn/template.yaml")).expect("template parses")
    }
}

/// Runs `rolegen -c ROLES -o OUT gen`, panicking with its stderr on failure.
fn run_gen(roles: &Path, out: &Path) {
    let res = common::rolegen()
        .arg("-c")
        .arg(roles)
        .arg("-o")
        .arg(out)
        .arg("gen")
        .output()
        .expect("run rolegen");
    assert!(
        res.status.success(),
        "rolegen gen {} failed:\n{}",
        roles.display(),
        String::from_utf8_lossy(&res.stderr)
    );
}

fn fixture_path(name: &str) -> PathBuf {
    common::repo().join(format!("tests/fixtures/avp/{name}.yaml"))
}

/// `orders` with `api.token: access`.
fn access_variant(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(fixture_path("orders")).unwrap();
    let marker = "  authorizer: verified-permissions\n";
    assert!(text.contains(marker));
    let text = text.replacen(marker, &format!("{marker}  token: access\n"), 1);
    let path = dir.join("orders_access.yaml");
    fs::write(&path, text).unwrap();
    path
}

fn gens() -> &'static [Gen] {
    static ALL: OnceLock<Vec<Gen>> = OnceLock::new();
    ALL.get_or_init(|| {
        let dir = common::scratch("avp-gen");
        let mut inputs: Vec<(String, PathBuf)> = FIXTURES
            .iter()
            .map(|n| (n.to_string(), fixture_path(n)))
            .collect();
        inputs.push(("orders_access".to_string(), access_variant(&dir)));
        inputs
            .into_iter()
            .map(|(name, roles_path)| {
                let out = dir.join(&name);
                make_gen(&name, &roles_path, &out)
            })
            .collect()
    })
}

fn make_gen(name: &str, roles_path: &Path, out: &Path) -> Gen {
    run_gen(roles_path, out);
    Gen {
        name: name.to_string(),
        roles: Roles::parse(&fs::read_to_string(roles_path).unwrap()),
        out: out.to_path_buf(),
    }
}

fn gen_named(name: &str) -> &'static Gen {
    gens().iter().find(|g| g.name == name).expect("fixture")
}

/// The logical IDs of the resources of `ty`.
fn of_type<'t>(t: &'t Value, ty: &str) -> Vec<(&'t String, &'t Value)> {
    t["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

fn the_one<'t>(t: &'t Value, ty: &str) -> (&'t String, &'t Value) {
    let all = of_type(t, ty);
    assert_eq!(all.len(), 1, "exactly one {ty}");
    all[0]
}

/// The text of a policy `Statement` as deployed: a plain string, or `Fn::Join` with an empty
/// separator over strings and `Ref`s to the user pool (its id is `pool`). Anything else is
/// not accepted: a group name must never reach an `Fn::Sub`.
fn deployed_text(statement: &Value, user_pool: &str, pool: &str) -> String {
    match statement {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.len() == 1 && o.contains_key("Fn::Join") => {
            let args = o["Fn::Join"].as_array().expect("Fn::Join args");
            assert_eq!(args.len(), 2, "{statement}");
            assert_eq!(args[0], "", "Fn::Join separator");
            args[1]
                .as_array()
                .expect("Fn::Join list")
                .iter()
                .map(|part| match part {
                    Value::String(s) => s.clone(),
                    Value::Object(r) if r.len() == 1 && r.get("Ref") == Some(&json!(user_pool)) => {
                        pool.to_string()
                    }
                    other => panic!("unexpected part of a policy statement: {other}"),
                })
                .collect()
        }
        other => panic!("unexpected policy statement: {other}"),
    }
}

/// Every `AWS::VerifiedPermissions::Policy` of the template: (logical ID, deployed text).
fn deployed(g: &Gen, pool: &str) -> Vec<(String, String)> {
    let t = g.template();
    let (store, _) = the_one(&t, "AWS::VerifiedPermissions::PolicyStore");
    let (user_pool, _) = the_one(&t, "AWS::Cognito::UserPool");
    of_type(&t, "AWS::VerifiedPermissions::Policy")
        .into_iter()
        .map(|(id, r)| {
            let p = &r["Properties"];
            assert_eq!(
                p["PolicyStoreId"],
                json!({ "Ref": store }),
                "{}: {id}",
                g.name
            );
            let def = p["Definition"].as_object().expect("Definition");
            assert_eq!(def.len(), 1, "{}: {id}: a static policy", g.name);
            (
                id.clone(),
                deployed_text(&def["Static"]["Statement"], user_pool, pool),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Cedar.
// ---------------------------------------------------------------------------------------------

struct Cedar {
    schema: Schema,
    policies: PolicySet,
    /// The parsed policies, by logical ID.
    by_id: BTreeMap<String, Policy>,
    /// The Unicode-security lints Cedar's validator raised: (lint, group).
    lints: Vec<(&'static str, String)>,
}

/// Cedar's Unicode-security lints, the only validation warnings accepted, and only on the
/// entity id of a group whose name calls for them: AVP requires `"<userPoolId>|<group>"`, so a
/// Latin pool id next to a non-Latin group name ("mixed scripts", in a string literal or in a
/// scope's entity id) or a symbol such as an emoji outside Unicode's General Security Profile
/// for identifiers ("confusable identifier", on an entity id) cannot be avoided by any
/// generator. Returns `(lint, group)` for such a warning, `None` for any other. The public API
/// of the warnings gives only the policy id, so their text is read from the message.
fn unicode_lint(
    w: &ValidationWarning,
    pool: &str,
    roles: &Roles,
) -> Option<(&'static str, String)> {
    let msg = w.to_string();
    let group_of = |id: &str| {
        id.strip_prefix(&format!("{pool}|"))
            .filter(|grp| roles.group(grp).is_some())
            .map(str::to_string)
    };
    match w {
        ValidationWarning::MixedScriptString(_) | ValidationWarning::MixedScriptIdentifier(_) => {
            let (open, close) = if matches!(w, ValidationWarning::MixedScriptString(_)) {
                (", string `\"", "\"` contains mixed scripts")
            } else {
                (", identifier `", "` contains mixed scripts")
            };
            let start = msg.find(open)? + open.len();
            let end = msg.strip_suffix(close)?.len();
            let grp = group_of(msg.get(start..end)?)?;
            non_latin(&grp).then_some(("mixed scripts", grp))
        }
        ValidationWarning::ConfusableIdentifier(_) => {
            let grp = roles.groups.iter().map(|g| &g.name).find(|g| {
                let id = format!("{pool}|{g}").escape_debug().to_string();
                msg.contains(&format!(", identifier `{id}` contains the character `"))
            })?;
            let at = msg.find("contains the character `")? + "contains the character `".len();
            let c = msg[at..].chars().next()?;
            (!c.is_ascii() && grp.contains(c)).then(|| ("confusable identifier", grp.clone()))
        }
        _ => None,
    }
}

/// The schema and the deployed policies (joined with `pool`), each parsed as exactly one Cedar
/// policy (AVP's rule for a static policy), validated in strict mode: no error, and no warning
/// but "mixed scripts" on `"<pool>|<non-Latin group>"`.
fn cedar(g: &Gen, pool: &str) -> Cedar {
    cedar_of(g, pool, deployed(g, pool))
}

/// [`cedar`] for given policy texts (the self-check feeds it broken ones).
fn cedar_of(g: &Gen, pool: &str, texts: Vec<(String, String)>) -> Cedar {
    let schema = Schema::from_json_str(&g.schema_text())
        .unwrap_or_else(|e| panic!("{}: schema: {e:?}", g.name));
    let mut policies = PolicySet::new();
    let mut by_id = BTreeMap::new();
    for (id, text) in texts {
        let p = Policy::parse(Some(PolicyId::new(&id)), &text)
            .unwrap_or_else(|e| panic!("{}: {id} is not one Cedar policy: {e:?}\n{text}", g.name));
        policies.add(p.clone()).expect("unique ids");
        by_id.insert(id, p);
    }
    let res = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
    let errors: Vec<String> = res.validation_errors().map(|e| format!("{e:?}")).collect();
    assert!(
        res.validation_passed() && errors.is_empty(),
        "{}: strict validation failed:\n{}",
        g.name,
        errors.join("\n")
    );
    let mut lints = Vec::new();
    let mut unexpected = Vec::new();
    for w in res.validation_warnings() {
        match unicode_lint(w, pool, &g.roles) {
            Some(l) => lints.push(l),
            None => unexpected.push(w.to_string()),
        }
    }
    assert!(
        unexpected.is_empty(),
        "{}: unexpected validation warnings:\n{}",
        g.name,
        unexpected.join("\n")
    );
    if lints.is_empty() {
        assert!(res.validation_passed_without_warnings(), "{}", g.name);
    }
    Cedar {
        schema,
        policies,
        by_id,
        lints,
    }
}

fn uid(ty: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(ty).unwrap_or_else(|e| panic!("type {ty}: {e:?}")),
        EntityId::new(id),
    )
}

/// The entities AVP builds from a Cognito token of user `sub` in `groups`: the principal
/// `NS::User::"<pool>|<sub>"` with a parent `NS::UserGroup::"<pool>|<g>"` per group, and the
/// groups with no parents of their own.
fn token_entities(ns: &str, pool: &str, sub: &str, groups: &[String]) -> Value {
    let gid =
        |g: &String| json!({ "type": format!("{ns}::UserGroup"), "id": format!("{pool}|{g}") });
    let mut all = vec![json!({
        "uid": { "type": format!("{ns}::User"), "id": format!("{pool}|{sub}") },
        "attrs": {},
        "parents": groups.iter().map(gid).collect::<Vec<_>>(),
    })];
    let unique: BTreeSet<&String> = groups.iter().collect();
    for g in unique {
        all.push(json!({ "uid": gid(g), "attrs": {}, "parents": [] }));
    }
    Value::Array(all)
}

/// Cedar's decision for a caller of `pool` in `groups` asking for `action`.
fn decide(c: &Cedar, ns: &str, pool: &str, groups: &[String], actions: &[String]) -> Vec<bool> {
    let entities = Entities::from_json_value(
        token_entities(ns, pool, "sub-0001", groups),
        Some(&c.schema),
    )
    .unwrap_or_else(|e| panic!("entities: {e:?}"));
    let authorizer = Authorizer::new();
    let principal = uid(&format!("{ns}::User"), &format!("{pool}|sub-0001"));
    let resource = uid(&format!("{ns}::Application"), ns);
    actions
        .iter()
        .map(|a| {
            let req = Request::new(
                principal.clone(),
                uid(&format!("{ns}::Action"), a),
                resource.clone(),
                Context::empty(),
                Some(&c.schema),
            )
            .unwrap_or_else(|e| panic!("request for {a}: {e:?}"));
            let resp = authorizer.is_authorized(&req, &c.policies, &entities);
            let errors: Vec<String> = resp.diagnostics().errors().map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{a}: {errors:?}");
            resp.decision() == Decision::Allow
        })
        .collect()
}

#[test]
fn schema_declares_exactly_the_expected_actions() {
    let mut actions = 0;
    for g in gens() {
        let ns = g.roles.namespace();
        let s = g.schema_json();
        let top = s.as_object().expect("schema object");
        assert_eq!(
            top.keys().collect::<Vec<_>>(),
            vec![&ns],
            "{}: one namespace",
            g.name
        );
        let body = &s[&ns];
        let types = body["entityTypes"].as_object().expect("entityTypes");
        assert_eq!(
            types.keys().cloned().collect::<BTreeSet<_>>(),
            ["Application", "User", "UserGroup"]
                .map(String::from)
                .into(),
            "{}",
            g.name
        );
        assert_eq!(types["User"]["memberOfTypes"], json!(["UserGroup"]));
        let declared = body["actions"].as_object().expect("actions");
        let want = g.roles.actions();
        assert_eq!(
            declared.keys().cloned().collect::<BTreeSet<_>>(),
            want.keys().cloned().collect::<BTreeSet<_>>(),
            "{}: actions",
            g.name
        );
        for (id, a) in declared {
            let applies = &a["appliesTo"];
            assert_eq!(applies["principalTypes"], json!(["User"]), "{id}");
            assert_eq!(applies["resourceTypes"], json!(["Application"]), "{id}");
            if let Some(ctx) = applies.get("context") {
                let attrs = &ctx["attributes"];
                assert!(
                    attrs.is_null() || attrs == &json!({}),
                    "{}: {id}: context must be empty (the authorizer sends none): {ctx}",
                    g.name
                );
            }
        }
        // Cedar reads the same actions.
        let schema = Schema::from_json_str(&g.schema_text()).expect("schema");
        let cedar_actions: BTreeSet<String> = schema
            .actions()
            .map(|a| {
                assert_eq!(a.type_name().to_string(), format!("{ns}::Action"));
                a.id().unescaped().to_string()
            })
            .collect();
        assert_eq!(
            cedar_actions,
            want.keys().cloned().collect::<BTreeSet<_>>(),
            "{}",
            g.name
        );
        actions += want.len();
    }
    assert!(actions > 120, "{actions} actions");
}

/// The Cedar engine is the judge: every action of the schema, for every group set, decides as
/// the matrix computed here.
/// Every decision Cedar makes that differs from the matrix computed here, for every group
/// set and every action, and for a caller of another pool in groups of the same names (who
/// gets nothing); with the counts of allows and denies the matrix expects.
fn wrong_decisions(g: &Gen, c: &Cedar) -> (Vec<String>, usize, usize) {
    let (mut allowed, mut denied) = (0usize, 0usize);
    let mut failures = Vec::new();
    let ns = g.roles.namespace();
    let actions: Vec<String> = g.roles.actions().into_keys().collect();
    for set in group_sets(&g.roles) {
        let got = decide(c, &ns, POOL, &set, &actions);
        for (a, got) in actions.iter().zip(got) {
            let want = g.roles.allows(&set, a);
            if got != want {
                failures.push(format!(
                    "{}: groups {set:?} `{a}`: Cedar says {got}, matrix {want}",
                    g.name
                ));
            }
            if want {
                allowed += 1;
            } else {
                denied += 1;
            }
        }
    }
    // A caller of another pool in groups of the same names gets no group's action. (The
    // `authenticated` routes' policy does not constrain the principal: that only this pool's
    // users reach it is the identity source's work, which accepts only this pool's tokens;
    // Cedar allows them to any principal, and must.)
    let auth = g.roles.authenticated_actions();
    let got = decide(c, &ns, OTHER_POOL, &g.roles.group_names(), &actions);
    for (a, got) in actions.iter().zip(got) {
        if got != auth.contains(a) {
            failures.push(format!(
                "{}: a caller of another pool in the same groups: `{a}` {got}",
                g.name
            ));
        }
        if got {
            allowed += 1;
        } else {
            denied += 1;
        }
    }
    (failures, allowed, denied)
}

/// The Cedar engine is the judge: every action of the schema, for every group set, decides as
/// the matrix computed here.
#[test]
fn cedar_engine_decides_the_matrix() {
    let (mut allowed, mut denied) = (0usize, 0usize);
    let mut failures = Vec::new();
    for g in gens() {
        let (f, a, d) = wrong_decisions(g, &cedar(g, POOL));
        eprintln!("{}: {a} allows and {d} denies as the matrix says", g.name);
        failures.extend(f);
        allowed += a;
        denied += d;
    }
    assert!(
        failures.is_empty(),
        "{} wrong decisions:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
    assert!(
        allowed > 2000 && denied > 2000,
        "{allowed} allowed, {denied} denied"
    );
}

/// The judge can fail: policies broken in the ways a generator could break them (a group's
/// policy under another group, a policy missing, one action too many, the pool id left out of
/// the group id) each give wrong decisions.
#[test]
fn cedar_judge_catches_broken_policies() {
    let g = gen_named("orders");
    let ns = g.roles.namespace();
    let good = deployed(g, POOL);
    let policy_of = |group: &str| {
        good.iter()
            .position(|(_, t)| t.contains(&format!("\"{POOL}|{group}\"")))
            .unwrap_or_else(|| panic!("a policy for {group}"))
    };
    let mut broken: Vec<(&str, Vec<(String, String)>)> = Vec::new();
    let mut v = good.clone();
    let i = policy_of("Editor");
    v[i].1 = v[i]
        .1
        .replace(&format!("{POOL}|Editor"), &format!("{POOL}|Admin"));
    broken.push(("Editor's policy names Admin", v));
    let mut v = good.clone();
    v.remove(policy_of("ReadOnly"));
    broken.push(("ReadOnly's policy missing", v));
    let mut v = good.clone();
    v.push((
        "Extra".to_string(),
        format!(
            "permit(principal in {ns}::UserGroup::\"{POOL}|Guest\", action in [{ns}::Action::\"get /admin\"], resource);"
        ),
    ));
    broken.push(("Guest may get /admin", v));
    let mut v = good.clone();
    let i = policy_of("Analyst");
    v[i].1 = v[i]
        .1
        .replace(&format!("\"{POOL}|Analyst\""), "\"Analyst\"");
    broken.push(("Analyst without the pool id", v));
    // The `authenticated` routes' policy: missing, for a group only, listing a group's action.
    let any = good
        .iter()
        .position(|(id, _)| id == ANY_SIGNED_IN)
        .expect("orders has authenticated routes");
    let mut v = good.clone();
    v.remove(any);
    broken.push(("the authenticated routes' policy missing", v));
    let mut v = good.clone();
    v[any].1 = v[any].1.replacen(
        "principal,",
        &format!("principal in {ns}::UserGroup::\"{POOL}|Guest\","),
        1,
    );
    assert_ne!(v[any].1, good[any].1, "the mutation applies");
    broken.push(("the authenticated routes for Guest only", v));
    let mut v = good.clone();
    v[any].1 = v[any].1.replacen(
        "action in [",
        &format!("action in [{ns}::Action::\"get /admin\", "),
        1,
    );
    assert_ne!(v[any].1, good[any].1, "the mutation applies");
    broken.push(("get /admin for any signed-in user", v));
    for (what, texts) in broken {
        let (wrong, _, _) = wrong_decisions(g, &cedar_of(g, POOL, texts));
        assert!(!wrong.is_empty(), "{what}: not caught");
        eprintln!("{what}: {} wrong decisions caught", wrong.len());
    }
}

/// Every policy is `permit(principal in NS::UserGroup::"<pool>|<group>", action in [...],
/// resource);`; a group's policies together list exactly the actions it may call, `includes`
/// expanded (not the `authenticated` routes'); every group name comes back out of the Cedar
/// string exactly as written. The one exception: exactly when the file has `authenticated`
/// routes, `CedarPolicyAnySignedInUser`, `permit (principal, action in [...], resource);`
/// listing exactly their actions.
#[test]
fn policies_are_one_permit_per_group_with_exact_names() {
    let mut checked = 0;
    let mut any_signed_in = 0;
    for g in gens() {
        let c = cedar(g, POOL);
        let ns = g.roles.namespace();
        let mut per_group: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let auth = g.roles.authenticated_actions();
        assert_eq!(
            c.by_id.contains_key(ANY_SIGNED_IN),
            !auth.is_empty(),
            "{}: {ANY_SIGNED_IN} exactly when there are authenticated routes",
            g.name
        );
        for (id, p) in &c.by_id {
            let what = format!("{}: {id}", g.name);
            assert_eq!(p.effect(), Effect::Permit, "{what}");
            if id == ANY_SIGNED_IN {
                assert_eq!(
                    p.principal_constraint(),
                    PrincipalConstraint::Any,
                    "{what}: any signed-in user"
                );
                let ActionConstraint::In(actions) = p.action_constraint() else {
                    panic!("{what}: action must be `in [...]`");
                };
                let listed: BTreeSet<String> = actions
                    .iter()
                    .map(|a| {
                        assert_eq!(a.type_name().to_string(), format!("{ns}::Action"));
                        a.id().unescaped().to_string()
                    })
                    .collect();
                assert_eq!(listed.len(), actions.len(), "{what}: an action twice");
                assert_eq!(listed, auth, "{what}: the authenticated routes' actions");
                assert_eq!(p.resource_constraint(), ResourceConstraint::Any, "{what}");
                assert_eq!(p.to_json().unwrap()["conditions"], json!([]), "{what}");
                any_signed_in += 1;
                continue;
            }
            let PrincipalConstraint::In(principal) = p.principal_constraint() else {
                panic!("{what}: principal must be `in` a group");
            };
            assert_eq!(
                principal.type_name().to_string(),
                format!("{ns}::UserGroup"),
                "{what}"
            );
            let raw = principal.id().unescaped();
            let group = raw
                .strip_prefix(&format!("{POOL}|"))
                .unwrap_or_else(|| panic!("{what}: group id {raw:?} lacks the pool id"));
            assert!(
                g.roles.group(group).is_some(),
                "{what}: {group:?} is no group of the roles file"
            );
            let ActionConstraint::In(actions) = p.action_constraint() else {
                panic!("{what}: action must be `in [...]`");
            };
            assert!(!actions.is_empty(), "{what}: no action");
            let set = per_group.entry(group.to_string()).or_default();
            for a in actions {
                assert_eq!(a.type_name().to_string(), format!("{ns}::Action"));
                assert!(
                    set.insert(a.id().unescaped().to_string()),
                    "{what}: action listed twice for {group:?}"
                );
            }
            assert_eq!(p.resource_constraint(), ResourceConstraint::Any, "{what}");
            let est = p.to_json().expect("policy as JSON");
            assert_eq!(est["conditions"], json!([]), "{what}: no conditions");
            checked += 1;
        }
        for grp in &g.roles.groups {
            let want = g.roles.group_actions(&grp.name);
            let got = per_group.remove(&grp.name).unwrap_or_default();
            assert_eq!(got, want, "{}: actions of {:?}", g.name, grp.name);
        }
        assert!(per_group.is_empty(), "{}: {per_group:?}", g.name);
    }
    assert!(checked >= 30, "{checked} policies");
    assert!(any_signed_in >= 1, "no fixture has authenticated routes");
}

/// Hostile names stay data: each is one exact group, never code, never a substitution, never
/// an escape Cedar would interpret.
#[test]
fn hostile_names_stay_data() {
    let g = gen_named("hostile");
    let c = cedar(g, POOL);
    let principals: BTreeMap<String, Vec<String>> = {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, p) in &c.by_id {
            let PrincipalConstraint::In(u) = p.principal_constraint() else {
                panic!("{id}");
            };
            m.entry(u.id().unescaped().to_string())
                .or_default()
                .push(id.clone());
        }
        m
    };
    for name in [
        "${AWS::Region}",
        "${x}",
        "\"quoted\"",
        "back\\slash",
        "back\\\"quote",
        "\\u{41}",
        "A",
        "|",
        "a|b",
        "evil\"],resource);permit(principal,action,resource);//",
        "x\",action,resource)when{true};permit(principal",
        "管理者",
        "Админ",
        "Ünïcode",
        "__proto__",
        "!Ref",
        "*alias",
    ] {
        assert!(g.roles.group(name).is_some(), "fixture has {name:?}");
        let key = format!("{POOL}|{name}");
        assert!(
            principals.contains_key(&key),
            "no policy names exactly {key:?}; principals: {:?}",
            principals.keys().collect::<Vec<_>>()
        );
        // The policy of that group lists exactly its actions (`\u{41}` is not `A`).
        let actions: BTreeSet<String> = principals[&key]
            .iter()
            .flat_map(|id| match c.by_id[id].action_constraint() {
                ActionConstraint::In(v) => v,
                other => panic!("{other:?}"),
            })
            .map(|a| a.id().unescaped().to_string())
            .collect();
        assert_eq!(actions, g.roles.group_actions(name), "{name:?}");
    }
    // No policy is permit-all, no statement holds a substitution.
    let t = g.template();
    for (id, r) in of_type(&t, "AWS::VerifiedPermissions::Policy") {
        let text = serde_json::to_string(&r["Properties"]["Definition"]).unwrap();
        assert!(!text.contains("Fn::Sub"), "{id}: {text}");
    }
    assert_eq!(c.by_id.len(), c.policies.policies().count());
    // The Unicode lints appear exactly for the groups that call for them.
    let lints: BTreeSet<(&str, String)> = c.lints.iter().cloned().collect();
    let want: BTreeSet<(&str, String)> = [
        ("mixed scripts", "管理者"),
        ("mixed scripts", "Админ"),
        ("confusable identifier", "🚀-team"),
    ]
    .into_iter()
    .map(|(l, g)| (l, g.to_string()))
    .collect();
    assert_eq!(lints, want);
}

/// The namespace comes from `api.name` as AVP's quick start derives it.
#[test]
fn namespace_is_derived_from_the_api_name() {
    for g in gens() {
        let ns = g.roles.namespace();
        assert!(g.schema_json().get(&ns).is_some(), "{}: {ns}", g.name);
    }
    assert_eq!(
        gen_named("hostile").roles.namespace(),
        "hostileapiAWSRegion"
    );
    assert_eq!(gen_named("large").roles.namespace(), "Large_Api2");
    let dir = common::scratch("avp-ns");
    let base = fs::read_to_string(fixture_path("orders")).unwrap();
    let cases = [
        ("orders-api", "ordersapi"),
        ("3d-printing", "Api3dprinting"),
        ("_private", "Api_private"),
        ("__cedar", "Api__cedar"),
        ("管理", "ImportedApi"),
        ("--- ---", "ImportedApi"),
        ("if", "Apiif"),
        ("in", "Apiin"),
        ("true", "Apitrue"),
        ("like", "Apilike"),
        ("has", "Apihas"),
        ("is", "Apiis"),
        ("Ünïcode API v2", "ncodeAPIv2"),
        ("IfThen", "IfThen"),
    ];
    for (i, (api, want)) in cases.iter().enumerate() {
        assert_eq!(namespace_of(api), *want, "the test's own rule");
        let text = base.replacen(
            "  name: orders-api\n",
            &format!("  name: {}\n", serde_json::to_string(api).unwrap()),
            1,
        );
        let roles = dir.join(format!("ns{i}.yaml"));
        fs::write(&roles, text).unwrap();
        let out = dir.join(format!("ns{i}"));
        run_gen(&roles, &out);
        let schema_text = fs::read_to_string(out.join("cedar/schema.cedarschema.json")).unwrap();
        let s: Value = serde_json::from_str(&schema_text).unwrap();
        assert_eq!(
            s.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec![want],
            "api.name {api:?}"
        );
        Schema::from_json_str(&schema_text)
            .unwrap_or_else(|e| panic!("api.name {api:?}: Cedar refuses the schema: {e:?}"));
        let t: Value =
            serde_saphyr::from_str(&fs::read_to_string(out.join("cfn/template.yaml")).unwrap())
                .unwrap();
        let (_, src) = the_one(&t, "AWS::VerifiedPermissions::IdentitySource");
        assert_eq!(
            src["Properties"]["PrincipalEntityType"],
            json!(format!("{want}::User"))
        );
    }
}

/// `cedar/policies.cedar` (for review) says what CloudFormation deploys, with a placeholder
/// for the pool id.
#[test]
fn review_file_says_what_is_deployed() {
    for g in gens() {
        let text = g.read("cedar/policies.cedar");
        let marker = "UserGroup::\"";
        let at = text.find(marker).expect("a group in policies.cedar") + marker.len();
        let placeholder = &text[at..at + text[at..].find('|').unwrap()];
        assert!(
            text.lines()
                .take_while(|l| l.starts_with("//") || l.trim().is_empty())
                .any(|l| l.contains(placeholder)),
            "{}: the header comment explains the placeholder {placeholder:?}",
            g.name
        );
        let review = PolicySet::from_str(&text.replace(
            &format!("UserGroup::\"{placeholder}|"),
            &format!("UserGroup::\"{POOL}|"),
        ))
        .unwrap_or_else(|e| panic!("{}: policies.cedar: {e:?}", g.name));
        let summary = |ps: &mut dyn Iterator<Item = &Policy>| {
            let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for p in ps {
                assert_eq!(p.effect(), Effect::Permit);
                assert_eq!(p.resource_constraint(), ResourceConstraint::Any);
                assert_eq!(p.to_json().unwrap()["conditions"], json!([]));
                let principal = match p.principal_constraint() {
                    PrincipalConstraint::In(u) => u.to_string(),
                    // The `authenticated` routes' policy.
                    PrincipalConstraint::Any => "any signed-in user".to_string(),
                    other => panic!("{other:?}: {p}"),
                };
                let ActionConstraint::In(acts) = p.action_constraint() else {
                    panic!("{p}")
                };
                m.entry(principal)
                    .or_default()
                    .extend(acts.iter().map(|a| a.to_string()));
            }
            m
        };
        let c = cedar(g, POOL);
        assert_eq!(
            summary(&mut review.policies()),
            summary(&mut c.policies.policies()),
            "{}",
            g.name
        );
    }
}

/// AVP's limits: a policy at most 10,000 bytes (with the longest user pool id Cognito
/// allows), all policies on the bare `resource` at most 200,000 bytes, the schema at most
/// 100,000 bytes; and the `large` fixture really is split.
#[test]
fn policies_fit_avp_limits() {
    for g in gens() {
        let c = cedar(g, LONGEST_POOL);
        let mut total = 0;
        for (id, text) in deployed(g, LONGEST_POOL) {
            assert!(
                text.len() <= 10_000,
                "{}: {id} is {} bytes",
                g.name,
                text.len()
            );
            total += text.len();
        }
        assert!(total <= 200_000, "{}: {total} bytes", g.name);
        let t = g.template();
        let (_, store) = the_one(&t, "AWS::VerifiedPermissions::PolicyStore");
        let schema = store["Properties"]["Schema"]["CedarJson"].as_str().unwrap();
        assert!(
            schema.len() <= 100_000,
            "{}: schema {} bytes",
            g.name,
            schema.len()
        );
        // Decisions hold with that pool id too.
        let ns = g.roles.namespace();
        let actions: Vec<String> = g.roles.actions().into_keys().collect();
        let all = g.roles.group_names();
        let got = decide(&c, &ns, LONGEST_POOL, &all, &actions);
        for (a, got) in actions.iter().zip(got) {
            assert_eq!(got, g.roles.allows(&all, a), "{}: {a}", g.name);
        }
    }
    let large = gen_named("large");
    let t = large.template();
    let policies = of_type(&t, "AWS::VerifiedPermissions::Policy").len();
    let groups_with_access = large
        .roles
        .groups
        .iter()
        .filter(|g| !large.roles.group_actions(&g.name).is_empty())
        .count();
    assert!(
        policies > groups_with_access,
        "large: {policies} policies for {groups_with_access} groups: nothing was split"
    );
}

// ---------------------------------------------------------------------------------------------
// The generated handler under node: aws-jwt-verify for real, AVP stubbed with
// aws-sdk-client-mock and answered by cedar-wasm over the generated schema and policies.
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

/// The effect the policy document gives `arn`: an explicit Deny wins, then an Allow, else
/// the default deny (`false`).
fn allows(doc: &Value, arn: &str) -> bool {
    let mut allowed = false;
    for st in doc["Statement"].as_array().expect("Statement array") {
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

const DRIVER: &str = r#"
import { generateKeyPairSync, createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { mockClient } from "aws-sdk-client-mock";
import { VerifiedPermissionsClient, IsAuthorizedWithTokenCommand } from "@aws-sdk/client-verifiedpermissions";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const region = spec.pool.split("_")[0];
const issuer = `https://cognito-idp.${region}.amazonaws.com/${spec.pool}`;
const good = generateKeyPairSync("rsa", { modulusLength: 2048 });
const evil = generateKeyPairSync("rsa", { modulusLength: 2048 });
const kid = "rolegen-avp-test-key";
const jwks = { keys: [{ ...good.publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] };
const now = Math.floor(Date.now() / 1000);
const b64 = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
const sign = (header, claims, key) => {
  const data = `${b64(header)}.${b64(claims)}`;
  return `${data}.${createSign("RSA-SHA256").update(data).sign(key).toString("base64url")}`;
};
const header = { alg: "RS256", kid, typ: "JWT" };

// The claims Cognito puts in an ID or an access token.
function claims(use, t) {
  const base = { sub: "sub-0001", iss: issuer, token_use: use, auth_time: now, iat: now, exp: now + 3600 };
  const c = use === "id"
    ? { ...base, aud: spec.client, "cognito:username": "alice", email: "alice@example.com" }
    : { ...base, client_id: spec.client, scope: "openid", username: "alice", jti: "jti-1", origin_jti: "ojti-1" };
  if ("groups" in t) c["cognito:groups"] = t.groups;
  return c;
}

// The Authorization header for a token of kind `t.kind` (undefined: no header), and the JWT a
// call to AVP must carry.
function token(t, use) {
  const c = claims(use, t);
  const valid = () => sign(header, c, good.privateKey);
  switch (t.kind) {
    case "valid": { const j = valid(); return { header: "Bearer " + j, jwt: j }; }
    case "bare": { const j = valid(); return { header: j, jwt: j }; }
    case "missing": return { header: undefined };
    case "empty": return { header: "" };
    case "bearer-only": return { header: "Bearer " };
    case "garbage": return { header: "Bearer not-a-jwt" };
    case "three-garbage-parts": return { header: "Bearer aaaa.bbbb.cccc" };
    case "expired": return { header: "Bearer " + sign(header, { ...c, iat: now - 7200, auth_time: now - 7200, exp: now - 3600 }, good.privateKey) };
    case "wrong-signature": return { header: "Bearer " + sign(header, c, evil.privateKey) };
    case "unknown-kid": return { header: "Bearer " + sign({ ...header, kid: "another-key" }, c, good.privateKey) };
    case "tampered": {
      const [h, , s] = valid().split(".");
      return { header: `Bearer ${h}.${b64({ ...c, "cognito:groups": t.tamper })}.${s}` };
    }
    case "wrong-issuer": return { header: "Bearer " + sign(header, { ...c, iss: `https://cognito-idp.${region}.amazonaws.com/${region}_OtherPool1` }, good.privateKey) };
    case "wrong-client": {
      const w = use === "id" ? { ...c, aud: "someotherclient" } : { ...c, client_id: "someotherclient" };
      return { header: "Bearer " + sign(header, w, good.privateKey) };
    }
    case "other-token-use": return { header: "Bearer " + sign(header, claims(use === "id" ? "access" : "id", t), good.privateKey) };
    case "alg-none": return { header: `Bearer ${b64({ alg: "none", kid, typ: "JWT" })}.${b64(c)}.` };
    case "hs256": {
      const data = `${b64({ alg: "HS256", kid, typ: "JWT" })}.${b64(c)}`;
      return { header: `Bearer ${data}.${b64("x")}` };
    }
    default: throw new Error("unknown token kind " + t.kind);
  }
}

// How the header travels: `Authorization`, `authorization`, or `Authorization` with the
// event's maps null.
function place(event, how, value) {
  const e = structuredClone(event);
  if (value === undefined) return e;
  switch (how) {
    case "header": e.headers = { ...e.headers, Authorization: value }; break;
    case "lower": e.headers = { ...e.headers, authorization: value }; break;
    case "null-maps":
      e.headers = { Authorization: value };
      e.multiValueHeaders = null; e.pathParameters = null; e.queryStringParameters = null;
      e.multiValueQueryStringParameters = null; e.stageVariables = null;
      break;
    default: throw new Error("unknown placement " + how);
  }
  return e;
}

// The AVP stub: AVP's own checks of the request and the token, then Cedar's decision with
// the entities AVP builds from the token (principal `NS::User::"<pool>|<sub>"`, a parent
// `NS::UserGroup::"<pool>|<group>"` per `cognito:groups` entry).
let fx = null;
let mode = "cedar";
let calls = [];
class AvpError extends Error {
  constructor(name, message) { super(message); this.name = name; }
}
function decide(input) {
  const fail = (m) => { throw new AvpError("ValidationException", m); };
  if (input.policyStoreId !== spec.store) fail("unknown policy store " + input.policyStoreId);
  const field = fx.tokenUse === "id" ? "identityToken" : "accessToken";
  const otherField = fx.tokenUse === "id" ? "accessToken" : "identityToken";
  if (input[otherField] !== undefined) fail(`${otherField} sent, the identity source expects ${field}`);
  const jwt = input[field];
  if (typeof jwt !== "string") fail("no " + field);
  const parts = jwt.split(".");
  if (parts.length !== 3) fail("not a JWT");
  let c;
  try { c = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")); } catch { fail("bad JWT payload"); }
  if (c.token_use !== fx.tokenUse) fail(`token_use ${c.token_use} sent as ${field}`);
  if (c.iss !== issuer) fail("another issuer");
  if ((fx.tokenUse === "id" ? c.aud : c.client_id) !== spec.client) fail("another client");
  if (!(c.exp > now - 60)) fail("expired");
  if (input.entities !== undefined) fail("entities sent: " + JSON.stringify(input.entities));
  if (input.context !== undefined && JSON.stringify(input.context) !== JSON.stringify({ contextMap: {} }))
    fail("context sent, but the schema declares none: " + JSON.stringify(input.context));
  const ns = fx.namespace;
  const a = input.action ?? {};
  const r = input.resource ?? {};
  if (a.actionType !== `${ns}::Action`) fail("actionType " + a.actionType);
  if (r.entityType !== `${ns}::Application` || r.entityId !== ns) fail("resource " + JSON.stringify(r));
  const groups = Array.isArray(c["cognito:groups"]) ? c["cognito:groups"].filter((g) => typeof g === "string") : [];
  const user = { type: `${ns}::User`, id: `${spec.pool}|${c.sub}` };
  const gid = (g) => ({ type: `${ns}::UserGroup`, id: `${spec.pool}|${g}` });
  const entities = [
    { uid: user, attrs: {}, parents: groups.map(gid) },
    ...[...new Set(groups)].map((g) => ({ uid: gid(g), attrs: {}, parents: [] })),
  ];
  const answer = cedar.statefulIsAuthorized({
    principal: user, action: { type: a.actionType, id: a.actionId }, resource: { type: r.entityType, id: r.entityId },
    context: {}, preparsedSchemaName: fx.name, validateRequest: true, preparsedPolicySetId: fx.name, entities,
  });
  if (answer.type !== "success") fail("request refused: " + JSON.stringify(answer.errors));
  return {
    decision: answer.response.decision === "allow" ? "ALLOW" : "DENY",
    determiningPolicies: answer.response.diagnostics.reason.map((policyId) => ({ policyId })),
    errors: [],
    policyStoreId: input.policyStoreId,
    principal: { entityType: user.type, entityId: user.id },
  };
}
const avp = mockClient(VerifiedPermissionsClient);
avp.on(IsAuthorizedWithTokenCommand).callsFake(async (input) => {
  const call = { input };
  calls.push(call);
  if (mode === "throw") throw new AvpError("ThrottlingException", "Rate exceeded");
  try { return decide(input); } catch (e) { call.error = `${e.name}: ${e.message}`; throw e; }
});

const out = {};
const errors = console.error;
const signed = new Map();
for (const f of spec.fixtures) {
  fx = f;
  for (const [k, v] of Object.entries(f.env)) process.env[k] = v;
  let r = cedar.preparseSchema(f.name, f.schema);
  if (r.type !== "success") throw new Error(f.name + ": cedar-wasm refuses the schema: " + JSON.stringify(r.errors));
  r = cedar.preparsePolicySet(f.name, { staticPolicies: f.policies });
  if (r.type !== "success") throw new Error(f.name + ": cedar-wasm refuses the policies: " + JSON.stringify(r.errors));
  const mod = await import(pathToFileURL(f.handler).href);
  mod.verifier.cacheJwks(jwks);
  const results = [];
  for (const c of f.cases) {
    const key = JSON.stringify([f.tokenUse, c.token]);
    if (!signed.has(key)) signed.set(key, token(c.token, f.tokenUse));
    const tok = signed.get(key);
    mode = c.mode;
    calls = [];
    const before = avp.calls().length;
    let logged = 0;
    console.error = () => { logged++; };
    const res = { logged };
    try {
      res.ok = await mod.handler(place(c.event, c.how, tok.header));
    } catch (e) {
      res.error = String(e && e.message);
    } finally {
      console.error = errors;
    }
    res.logged = logged;
    res.sdkCalls = avp.calls().length - before;
    res.calls = calls.map((call) => ({
      actionType: call.input.action?.actionType,
      actionId: call.input.action?.actionId,
      resource: call.input.resource,
      sameJwt: (call.input.identityToken ?? call.input.accessToken) === tok.jwt,
      error: call.error ?? null,
    }));
    results.push(res);
  }
  out[f.name] = results;
}
process.stdout.write(JSON.stringify(out));
"#;

struct NodeCase {
    token: Value,
    how: &'static str,
    /// `cedar`: the stub decides; `throw`: the stub fails as AVP can (throttling).
    mode: &'static str,
    event: Value,
    /// What must happen.
    want: Want,
    /// The action the call to AVP must name (decisions only).
    action: Option<String>,
    /// Another request of the same route (other variable values): an Allow must cover it,
    /// since API Gateway caches the answer per token, verb and resource.
    sibling_arn: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// 401: `Unauthorized` thrown, AVP never called.
    Unauthorized,
    /// AVP asked once; Allow or Deny.
    Decided(bool),
    /// Deny without asking AVP (no route for this resource and verb).
    DenyUncalled,
    /// A public route (API Gateway never calls the authorizer for it): AVP is not asked, and
    /// the answer may be Allow (the matrix lets everyone call it) or Deny.
    PublicUncalled,
    /// Deny after AVP failed.
    DenyAfterError,
}

/// A concrete request to `path` (a template) with `verb`; `alt` picks other variable values.
/// Returns the event (without the Authorization header) and its method ARN.
fn event(stage: &str, verb: &str, path: &str, alt: bool) -> (Value, String) {
    let mut concrete = Vec::new();
    let mut params = serde_json::Map::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if let Some(var) = seg.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            let (name, value) = match var.strip_suffix('+') {
                Some(n) => (n, if alt { "h1" } else { "g1/g2" }),
                None => (var, if alt { "w2" } else { "v1" }),
            };
            concrete.push(value.to_string());
            params.insert(name.to_string(), json!(value));
        } else {
            concrete.push(seg.to_string());
        }
    }
    let concrete = concrete.join("/");
    let arn = format!("{ARN_HEAD}/{stage}/{verb}/{concrete}");
    let ev = json!({
        "type": "REQUEST",
        "methodArn": arn,
        "resource": path,
        "path": format!("/{concrete}"),
        "httpMethod": verb,
        "headers": { "Host": "abcdef1234.execute-api.us-east-1.amazonaws.com" },
        "multiValueHeaders": {},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
        "stageVariables": null,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": verb,
            "path": format!("/{stage}/{concrete}"),
            "stage": stage,
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "requestId": "req-1",
        },
    });
    (ev, arn)
}

fn node_cases(r: &Roles) -> Vec<NodeCase> {
    let stage = &r.stage;
    let mut out = Vec::new();
    let actions: Vec<String> = r.actions().into_keys().collect();
    let decision = |token: Value, how: &'static str, action: &str| {
        let (verb, path) = action.split_once(' ').unwrap();
        let verb = verb.to_uppercase();
        let (event, _) = event(stage, &verb, path, false);
        let (_, sibling_arn) = self::event(stage, &verb, path, true);
        let groups: Vec<String> = token
            .get("groups")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        NodeCase {
            want: Want::Decided(r.allows(&groups, action)),
            token,
            how,
            mode: "cedar",
            event,
            action: Some(action.to_string()),
            sibling_arn,
        }
    };
    for set in group_sets(r) {
        for a in &actions {
            out.push(decision(
                json!({ "kind": "valid", "groups": set }),
                "header",
                a,
            ));
        }
    }
    let all = r.group_names();
    // An action some group may call, for the edge cases.
    let target = actions
        .iter()
        .find(|a| r.allows(&all, a))
        .expect("an allowed action")
        .clone();
    for (kind, how) in [
        ("bare", "header"),
        ("valid", "lower"),
        ("valid", "null-maps"),
    ] {
        out.push(decision(
            json!({ "kind": kind, "groups": all }),
            how,
            &target,
        ));
    }
    // Claims that grant nothing.
    out.push(decision(json!({ "kind": "valid" }), "header", &target));
    out.push(decision(
        json!({ "kind": "valid", "groups": [] }),
        "header",
        &target,
    ));
    // A user in no group (no `cognito:groups` claim at all) on every `authenticated` route's
    // action, in each way the header travels: allowed.
    for a in r.authenticated_actions() {
        for (kind, how) in [
            ("valid", "header"),
            ("bare", "header"),
            ("valid", "lower"),
            ("valid", "null-maps"),
        ] {
            out.push(decision(json!({ "kind": kind }), how, &a));
        }
    }
    let (verb, path) = target.split_once(' ').unwrap();
    let verb = verb.to_uppercase();
    let (ev, _) = event(stage, &verb, path, false);
    let (_, sibling_arn) = event(stage, &verb, path, true);
    let other =
        |token: Value, how: &'static str, mode: &'static str, ev: &Value, want: Want| NodeCase {
            token,
            how,
            mode,
            event: ev.clone(),
            want,
            action: None,
            sibling_arn: sibling_arn.clone(),
        };
    for kind in [
        "missing",
        "empty",
        "bearer-only",
        "garbage",
        "three-garbage-parts",
        "expired",
        "wrong-signature",
        "unknown-kid",
        "wrong-issuer",
        "wrong-client",
        "other-token-use",
        "alg-none",
        "hs256",
    ] {
        out.push(other(
            json!({ "kind": kind, "groups": all }),
            "header",
            "cedar",
            &ev,
            Want::Unauthorized,
        ));
    }
    out.push(other(
        json!({ "kind": "tampered", "groups": [], "tamper": all }),
        "header",
        "cedar",
        &ev,
        Want::Unauthorized,
    ));
    // AVP fails: Deny.
    out.push(other(
        json!({ "kind": "valid", "groups": all }),
        "header",
        "throw",
        &ev,
        Want::DenyAfterError,
    ));
    // Public routes: no action, so AVP is never asked.
    for rt in &r.routes {
        if rt.scopes.is_none() {
            let verb = if rt.method == "ANY" {
                "GET"
            } else {
                &rt.method
            };
            if !actions.contains(&format!("{} {}", verb.to_lowercase(), rt.path)) {
                let (event, _) = event(stage, verb, &rt.path, false);
                let (_, sibling_arn) = self::event(stage, verb, &rt.path, true);
                out.push(NodeCase {
                    token: json!({ "kind": "valid", "groups": all }),
                    how: "header",
                    mode: "cedar",
                    event,
                    want: Want::PublicUncalled,
                    action: None,
                    sibling_arn,
                });
            }
        }
    }
    // No route for the resource and verb: Deny without asking AVP.
    let mut uncalled = vec![event(stage, "GET", "/not/declared", false).0];
    let mut e = ev.clone();
    e["httpMethod"] = json!("BREW");
    e["requestContext"]["httpMethod"] = json!("BREW");
    uncalled.push(e);
    // A verb nothing declares on a declared path.
    for rt in &r.routes {
        if let Some(v) = VERBS.iter().find(|v| {
            !actions.contains(&format!("{v} {}", rt.path))
                && !r.routes.iter().any(|o| {
                    o.path == rt.path && (o.method == "ANY" || o.method.to_lowercase() == **v)
                })
        }) {
            uncalled.push(event(stage, &v.to_uppercase(), &rt.path, false).0);
            break;
        }
    }
    for e in uncalled {
        out.push(other(
            json!({ "kind": "valid", "groups": all }),
            "header",
            "cedar",
            &e,
            Want::DenyUncalled,
        ));
    }
    out
}

/// The value of a Lambda environment variable as deployed: literals as they are, `Ref`s to
/// the store, the user pool and the app client as the test's ids.
fn env_value(t: &Value, v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    let target = v["Ref"].as_str().unwrap_or_else(|| panic!("env value {v}"));
    match t["Resources"][target]["Type"].as_str() {
        Some("AWS::VerifiedPermissions::PolicyStore") => STORE.to_string(),
        Some("AWS::Cognito::UserPool") => POOL.to_string(),
        Some("AWS::Cognito::UserPoolClient") => CLIENT.to_string(),
        other => panic!("env value {v}: Ref to {other:?}"),
    }
}

/// The authorizer function of the template: the one whose environment names the store.
fn authorizer_function(t: &Value) -> (&String, &Value) {
    let fns: Vec<_> = of_type(t, "AWS::Lambda::Function")
        .into_iter()
        .filter(|(_, f)| {
            f["Properties"]["Environment"]["Variables"]
                .get("POLICY_STORE_ID")
                .is_some()
        })
        .collect();
    assert_eq!(fns.len(), 1, "one authorizer function");
    fns[0]
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let p = entry.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(entry.file_name()));
        } else {
            fs::copy(&p, to.join(entry.file_name())).unwrap();
        }
    }
}

/// A handler to run: the fixture, a unique name for the run, its cases, and a change to the
/// generated code (`(from, to)`, for the self-check) or none.
struct NodeRun<'a> {
    g: &'a Gen,
    name: String,
    cases: Vec<NodeCase>,
    mutation: Option<(&'static str, &'static str)>,
}

/// Runs the generated handlers for their cases in one node process; the answers by run name.
fn run_node(runs: &[NodeRun]) -> BTreeMap<String, Vec<Value>> {
    let dir = common::scratch("avp-node");
    let tools = common::node_modules();
    std::os::unix::fs::symlink(tools.join("node_modules"), dir.join("node_modules"))
        .expect("symlink node_modules");
    let mut spec_fixtures = Vec::new();
    for run in runs {
        let g = run.g;
        let t = g.template();
        let (_, f) = authorizer_function(&t);
        let env: serde_json::Map<String, Value> = f["Properties"]["Environment"]["Variables"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), json!(env_value(&t, v))))
            .collect();
        let code_dir = dir.join(&run.name).join("authorizer");
        copy_dir(&g.out.join("authorizer"), &code_dir);
        if let Some((from, to)) = run.mutation {
            let path = code_dir.join("index.mjs");
            let code = fs::read_to_string(&path).unwrap();
            assert!(
                code.contains(from),
                "{}: the self-check's mutation no longer applies (the handler changed): {from:?}",
                run.name
            );
            fs::write(&path, code.replace(from, to)).unwrap();
        }
        let policies: Vec<String> = deployed(g, POOL).into_iter().map(|(_, t)| t).collect();
        spec_fixtures.push(json!({
            "name": run.name,
            "handler": code_dir.join("index.mjs"),
            "env": env,
            "namespace": g.roles.namespace(),
            "tokenUse": g.roles.token,
            "schema": g.schema_json(),
            "policies": policies.join("\n"),
            "cases": run.cases.iter().map(|c| json!({
                "token": c.token, "how": c.how, "mode": c.mode, "event": c.event,
            })).collect::<Vec<_>>(),
        }));
    }
    let spec = json!({ "pool": POOL, "client": CLIENT, "store": STORE, "fixtures": spec_fixtures });
    fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
    fs::write(dir.join("driver.mjs"), DRIVER).unwrap();
    common::node_json(
        Command::new("node")
            .arg(dir.join("driver.mjs"))
            .arg(dir.join("spec.json"))
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret"),
    )
}

/// Every way the handler's answers differ from what each case wants, and the counts of the
/// kinds of cases.
fn judge(
    g: &Gen,
    cases: &[NodeCase],
    answers: &[Value],
) -> (Vec<String>, BTreeMap<&'static str, usize>) {
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let ns = g.roles.namespace();
    // API Gateway applies a cached answer to every request with the same identity sources:
    // unless the cache is off or keyed on the concrete path, an Allow must cover every
    // request of the called route.
    let t = g.template();
    let (_, a) = the_one(&t, "AWS::ApiGateway::Authorizer");
    let ttl = a["Properties"]["AuthorizerResultTtlInSeconds"]
        .as_u64()
        .unwrap_or(300);
    let keyed_on_path = a["Properties"]["IdentitySource"]
        .as_str()
        .is_some_and(|s| s.split(',').any(|k| k.trim() == "context.path"));
    let route_wide = ttl > 0 && !keyed_on_path;
    assert_eq!(answers.len(), cases.len(), "{}", g.name);
    for (case, answer) in cases.iter().zip(answers) {
        let what = format!(
            "{}: token {} ({}, stub {}) for {} {}",
            g.name,
            case.token,
            case.how,
            case.mode,
            case.event["httpMethod"],
            case.event["resource"]
        );
        let calls = answer["calls"].as_array().unwrap();
        let sdk_calls = answer["sdkCalls"].as_u64().unwrap() as usize;
        if sdk_calls != calls.len() {
            failures.push(format!(
                "{what}: {sdk_calls} AVP calls, {} IsAuthorizedWithToken",
                calls.len()
            ));
        }
        if case.want == Want::Unauthorized {
            *counts.entry("401").or_default() += 1;
            if answer.get("error").and_then(Value::as_str) != Some("Unauthorized") {
                failures.push(format!("{what}: must throw Unauthorized, got {answer}"));
            }
            if !calls.is_empty() {
                failures.push(format!("{what}: a bad token reached AVP: {calls:?}"));
            }
            continue;
        }
        let Some(ok) = answer.get("ok") else {
            failures.push(format!("{what}: refused: {answer}"));
            continue;
        };
        let want_allow = match case.want {
            Want::Decided(allow) => allow,
            Want::PublicUncalled => ok["policyDocument"]["Statement"][0]["Effect"] == "Allow",
            _ => false,
        };
        match case.want {
            Want::Decided(_) => {
                if calls.len() != 1 {
                    failures.push(format!("{what}: {} AVP calls, want 1", calls.len()));
                }
                for call in calls {
                    let action = case.action.as_deref().unwrap();
                    if call["actionType"] != json!(format!("{ns}::Action"))
                        || call["actionId"] != json!(action)
                    {
                        failures.push(format!("{what}: asked AVP for {call}, want `{action}`"));
                    }
                    if call["sameJwt"] != json!(true) {
                        failures.push(format!("{what}: AVP got another token than the caller's"));
                    }
                    if !call["error"].is_null() {
                        failures.push(format!(
                            "{what}: AVP would refuse the call: {}",
                            call["error"]
                        ));
                    }
                }
                *counts
                    .entry(if want_allow { "allow" } else { "deny" })
                    .or_default() += 1;
            }
            Want::DenyUncalled => {
                if !calls.is_empty() {
                    failures.push(format!(
                        "{what}: no action here, yet AVP was asked: {calls:?}"
                    ));
                }
                *counts.entry("deny without AVP").or_default() += 1;
            }
            Want::PublicUncalled => {
                if !calls.is_empty() {
                    failures.push(format!(
                        "{what}: a public route has no action, yet AVP was asked: {calls:?}"
                    ));
                }
                *counts.entry("public without AVP").or_default() += 1;
            }
            Want::DenyAfterError => {
                if calls.len() != 1 {
                    failures.push(format!("{what}: {} AVP calls, want 1", calls.len()));
                }
                if answer["logged"].as_u64() == Some(0) {
                    failures.push(format!("{what}: AVP's error was not logged"));
                }
                *counts.entry("deny after AVP error").or_default() += 1;
            }
            Want::Unauthorized => unreachable!(),
        }
        if ok["principalId"].as_str().is_none_or(|p| p.is_empty()) {
            failures.push(format!("{what}: no principalId: {ok}"));
        }
        let doc = &ok["policyDocument"];
        let statements = doc["Statement"].as_array().cloned().unwrap_or_default();
        if doc["Version"] != "2012-10-17"
            || statements.len() != 1
            || statements[0]["Action"] != "execute-api:Invoke"
            || statements[0]["Effect"] != if want_allow { "Allow" } else { "Deny" }
        {
            failures.push(format!(
                "{what}: policy {doc}, want one {} statement",
                if want_allow { "Allow" } else { "Deny" }
            ));
            continue;
        }
        let arn = case.event["methodArn"].as_str().unwrap();
        if allows(doc, arn) != want_allow {
            failures.push(format!(
                "{what}: {arn} allowed: {}, want {want_allow}",
                !want_allow
            ));
        }
        if route_wide && want_allow && !allows(doc, &case.sibling_arn) {
            failures.push(format!(
                "{what}: the cached Allow must serve {} too (same token, verb and resource): {doc}",
                case.sibling_arn
            ));
        }
        let verb = case.event["httpMethod"].as_str().unwrap();
        let other_verb = if verb == "GET" { "POST" } else { "GET" };
        for other in [
            arn.replace("abcdef1234", "otherapi99"),
            arn.replacen(&format!("/{}/", g.roles.stage), "/otherstage/", 1),
            arn.replacen(&format!("/{verb}/"), &format!("/{other_verb}/"), 1),
        ] {
            if allows(doc, &other) {
                failures.push(format!("{what}: {other} must not be allowed: {doc}"));
            }
        }
    }
    (failures, counts)
}

#[test]
fn handler_decides_the_matrix_under_node() {
    let runs: Vec<NodeRun> = gens()
        .iter()
        .map(|g| NodeRun {
            g,
            name: g.name.clone(),
            cases: node_cases(&g.roles),
            mutation: None,
        })
        .collect();
    let results = run_node(&runs);
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for run in &runs {
        let (f, c) = judge(run.g, &run.cases, &results[&run.name]);
        failures.extend(f);
        for (k, n) in c {
            *counts.entry(k).or_default() += n;
        }
    }
    eprintln!("handler under node: {counts:?}");
    // Users in no group were allowed on `authenticated` routes.
    let no_group_allowed = runs
        .iter()
        .flat_map(|run| &run.cases)
        .filter(|c| c.want == Want::Decided(true) && c.token.get("groups").is_none())
        .count();
    assert!(
        no_group_allowed >= 8,
        "{no_group_allowed} allows for users in no group"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    assert!(
        n("allow") > 1000
            && n("deny") > 1000
            && n("401") >= 50
            && n("deny without AVP") >= 8
            && n("public without AVP") >= 8
            && n("deny after AVP error") == gens().len(),
        "{counts:?}"
    );
}

/// The handler test can fail: the generated handler changed in ways that break it (the action
/// named by the concrete path, no token verification, failing open on an AVP error) is caught.
#[test]
fn handler_judge_catches_broken_handlers() {
    let g = gen_named("orders");
    let mutations: [(&str, &str, &str); 3] = [
        (
            "action from the concrete path",
            "${event.httpMethod.toLowerCase()} ${event.resource}",
            "${event.httpMethod.toLowerCase()} ${event.path}",
        ),
        (
            "token not verified",
            "claims = await verifier.verify(token);",
            "claims = JSON.parse(Buffer.from(token.split(\".\")[1] ?? \"\", \"base64url\").toString() || \"{}\");",
        ),
        ("fail open", "return false;\n  }\n}", "return true;\n  }\n}"),
    ];
    let runs: Vec<NodeRun> = mutations
        .iter()
        .enumerate()
        .map(|(i, (_, from, to))| NodeRun {
            g,
            name: format!("mutant{i}"),
            cases: node_cases(&g.roles),
            mutation: Some((from, to)),
        })
        .collect();
    let results = run_node(&runs);
    for (run, (what, _, _)) in runs.iter().zip(mutations) {
        let (failures, _) = judge(run.g, &run.cases, &results[&run.name]);
        assert!(!failures.is_empty(), "{what}: not caught");
        eprintln!("{what}: {} failures caught", failures.len());
    }
}

// ---------------------------------------------------------------------------------------------
// CloudFormation.
// ---------------------------------------------------------------------------------------------

/// `Fn::GetAtt` as `[id, attr]` or `"id.attr"`.
fn get_att(v: &Value) -> Option<(String, String)> {
    match v.get("Fn::GetAtt")? {
        Value::Array(a) if a.len() == 2 => Some((a[0].as_str()?.into(), a[1].as_str()?.into())),
        Value::String(s) => s
            .split_once('.')
            .map(|(a, b)| (a.to_string(), b.to_string())),
        _ => None,
    }
}

fn one_or_many(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

/// The path of an API Gateway resource, rebuilt from `ParentId` and `PathPart`.
fn resource_path(t: &Value, id: &Value) -> String {
    if let Some((_, attr)) = get_att(id) {
        assert_eq!(attr, "RootResourceId");
        return "/".to_string();
    }
    let rid = id["Ref"]
        .as_str()
        .unwrap_or_else(|| panic!("resource id {id}"));
    let p = &t["Resources"][rid]["Properties"];
    let parent = resource_path(t, &p["ParentId"]);
    let part = p["PathPart"].as_str().expect("PathPart");
    if parent == "/" {
        format!("/{part}")
    } else {
        format!("{parent}/{part}")
    }
}

#[test]
fn cloudformation_wires_avp() {
    let dir = common::scratch("avp-cfn");
    let mut paths = Vec::new();
    for g in gens() {
        let what = &g.name;
        let t = g.template();
        let ns = g.roles.namespace();
        let (pool_id, _) = the_one(&t, "AWS::Cognito::UserPool");
        let (client_id, _) = the_one(&t, "AWS::Cognito::UserPoolClient");
        // The store: STRICT, the schema file's content as its CedarJson string.
        let (store, ps) = the_one(&t, "AWS::VerifiedPermissions::PolicyStore");
        let ps = &ps["Properties"];
        assert_eq!(
            ps["ValidationSettings"],
            json!({ "Mode": "STRICT" }),
            "{what}"
        );
        let cedar_json = ps["Schema"]["CedarJson"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: CedarJson must be a string"));
        assert_eq!(
            serde_json::from_str::<Value>(cedar_json).expect("CedarJson is JSON"),
            g.schema_json(),
            "{what}"
        );
        // The identity source: the pool and its client, AVP's entity types.
        let (_, src) = the_one(&t, "AWS::VerifiedPermissions::IdentitySource");
        let p = &src["Properties"];
        assert_eq!(p["PolicyStoreId"], json!({ "Ref": store }), "{what}");
        assert_eq!(
            p["PrincipalEntityType"],
            json!(format!("{ns}::User")),
            "{what}"
        );
        let cup = &p["Configuration"]["CognitoUserPoolConfiguration"];
        assert_eq!(
            get_att(&cup["UserPoolArn"]),
            Some((pool_id.clone(), "Arn".to_string())),
            "{what}"
        );
        assert_eq!(cup["ClientIds"], json!([{ "Ref": client_id }]), "{what}");
        assert_eq!(
            cup["GroupConfiguration"]["GroupEntityType"],
            json!(format!("{ns}::UserGroup")),
            "{what}"
        );
        // The function's environment.
        let (fid, f) = authorizer_function(&t);
        let f = &f["Properties"];
        // (The namespace and the token type are written into the handler's code; the handler
        // test proves them by what it sends to AVP.)
        let vars = &f["Environment"]["Variables"];
        assert_eq!(vars["POLICY_STORE_ID"], json!({ "Ref": store }), "{what}");
        assert_eq!(vars["USER_POOL_ID"], json!({ "Ref": pool_id }), "{what}");
        assert_eq!(vars["CLIENT_ID"], json!({ "Ref": client_id }), "{what}");
        if let Some(v) = vars.get("NAMESPACE") {
            assert_eq!(v, &json!(ns), "{what}");
        }
        if let Some(v) = vars.get("TOKEN_TYPE") {
            let want = if g.roles.token == "access" {
                "accessToken"
            } else {
                "identityToken"
            };
            assert_eq!(v, want, "{what}");
        }
        // Its role may call IsAuthorizedWithToken on this store, and nothing else of AVP.
        let (role, attr) = get_att(&f["Role"]).expect("Role: Fn::GetAtt");
        assert_eq!(attr, "Arn");
        let r = &t["Resources"][&role]["Properties"];
        for arn in one_or_many(&r["ManagedPolicyArns"]) {
            if arn.is_null() {
                continue;
            }
            assert!(
                arn.to_string()
                    .contains(":policy/service-role/AWSLambdaBasicExecutionRole"),
                "{what}: managed policy {arn}"
            );
        }
        let mut avp_statements = 0;
        for pol in one_or_many(&r["Policies"]) {
            if pol.is_null() {
                continue;
            }
            for st in one_or_many(&pol["PolicyDocument"]["Statement"]) {
                assert_eq!(st["Effect"], "Allow", "{what}: {st}");
                let actions: Vec<String> = one_or_many(&st["Action"])
                    .iter()
                    .map(|a| a.as_str().expect("action").to_string())
                    .collect();
                for a in &actions {
                    assert!(
                        a == "verifiedpermissions:IsAuthorizedWithToken"
                            || [
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:PutLogEvents"
                            ]
                            .contains(&a.as_str()),
                        "{what}: the authorizer role may {a}"
                    );
                }
                if actions
                    .iter()
                    .any(|a| a.starts_with("verifiedpermissions:"))
                {
                    avp_statements += 1;
                    assert_eq!(
                        actions,
                        ["verifiedpermissions:IsAuthorizedWithToken"],
                        "{what}"
                    );
                    let res = one_or_many(&st["Resource"]);
                    assert_eq!(res.len(), 1, "{what}: {st}");
                    assert_eq!(
                        get_att(&res[0]),
                        Some((store.clone(), "Arn".to_string())),
                        "{what}: IsAuthorizedWithToken on the store's ARN only: {st}"
                    );
                }
            }
        }
        assert_eq!(avp_statements, 1, "{what}");
        // API Gateway: a REQUEST authorizer keyed on the token and the route; protected
        // methods CUSTOM, public ones NONE.
        let (aid, a) = the_one(&t, "AWS::ApiGateway::Authorizer");
        let a = &a["Properties"];
        assert_eq!(a["Type"], "REQUEST", "{what}");
        assert_eq!(
            a["IdentitySource"],
            "method.request.header.Authorization,context.httpMethod,context.resourcePath",
            "{what}"
        );
        assert!(
            a["AuthorizerUri"].to_string().contains(fid.as_str()),
            "{what}: the authorizer calls {fid}"
        );
        let mut methods = BTreeSet::new();
        for (id, m) in of_type(&t, "AWS::ApiGateway::Method") {
            let p = &m["Properties"];
            let verb = p["HttpMethod"].as_str().expect("HttpMethod").to_string();
            let path = resource_path(&t, &p["ResourceId"]);
            let route = g
                .roles
                .routes
                .iter()
                .find(|r| r.method == verb && r.path == path)
                .unwrap_or_else(|| panic!("{what}: {id} is {verb} {path}, no route"));
            if route.scopes.is_some() {
                assert_eq!(p["AuthorizationType"], "CUSTOM", "{what}: {id}");
                assert_eq!(p["AuthorizerId"], json!({ "Ref": aid }), "{what}: {id}");
                assert!(p.get("AuthorizationScopes").is_none(), "{what}: {id}");
            } else {
                assert_eq!(p["AuthorizationType"], "NONE", "{what}: {id}");
            }
            assert!(methods.insert((verb, path)), "{what}: {id} twice");
        }
        assert_eq!(
            methods.len(),
            g.roles.routes.len(),
            "{what}: one method per route"
        );
        // The `authenticated` routes' policy names no pool: plain text, no `Fn::Join`. A group's
        // policy names the pool through one.
        for (id, r) in of_type(&t, "AWS::VerifiedPermissions::Policy") {
            let st = &r["Properties"]["Definition"]["Static"]["Statement"];
            if id == ANY_SIGNED_IN {
                assert!(st.is_string(), "{what}: {id}: plain text, got {st}");
            } else {
                assert!(st.get("Fn::Join").is_some(), "{what}: {id}: {st}");
            }
        }
        // cfn-lint is silenced only for E1029 (a literal `${...}`, legal outside `Fn::Sub`),
        // only on a policy whose text holds one, and never for the whole template.
        assert!(t["Metadata"]["cfn-lint"].is_null(), "{what}");
        for (id, r) in t["Resources"].as_object().unwrap() {
            let ignored = &r["Metadata"]["cfn-lint"]["config"]["ignore_checks"];
            if ignored.is_null() {
                continue;
            }
            match r["Type"].as_str() {
                Some("AWS::VerifiedPermissions::Policy") => {
                    assert_eq!(ignored, &json!(["E1029"]), "{what}: {id}");
                    assert!(
                        r["Properties"].to_string().contains("${"),
                        "{what}: {id} silences E1029 without a `${{`"
                    );
                }
                Some("AWS::Lambda::Function") => {
                    assert_eq!(ignored, &json!(["W3002"]), "{what}: {id}")
                }
                _ => {
                    let text = r["Properties"].to_string();
                    assert!(
                        ignored == &json!(["E1029"]) && text.contains("${"),
                        "{what}: {id} silences {ignored}"
                    );
                }
            }
        }
        let path = dir.join(format!("{what}.yaml"));
        fs::copy(g.out.join("cfn/template.yaml"), &path).unwrap();
        paths.push(path);
    }
    common::assert_cfn_lint_clean_all(&paths);
}

/// Group → the logical IDs of its policies.
fn policy_ids_by_group(g: &Gen) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, text) in deployed(g, POOL) {
        let p = Policy::parse(None, &text).expect("policy");
        if p.principal_constraint() == PrincipalConstraint::Any {
            assert_eq!(
                id, ANY_SIGNED_IN,
                "{}: the only unconstrained policy",
                g.name
            );
            continue;
        }
        let PrincipalConstraint::In(u) = p.principal_constraint() else {
            panic!("{id}")
        };
        let group = u
            .id()
            .unescaped()
            .strip_prefix(&format!("{POOL}|"))
            .unwrap()
            .to_string();
        m.entry(group).or_default().insert(id);
    }
    m
}

/// A policy's logical ID comes from its group's name: the same input gives the same IDs,
/// renaming a group changes only that group's IDs, adding a group or a route for another
/// group changes no other group's IDs, and no two groups share one.
#[test]
fn policy_logical_ids_are_stable_and_follow_the_group() {
    let dir = common::scratch("avp-ids");
    for g in gens() {
        let ids = policy_ids_by_group(g);
        let mut seen = BTreeSet::new();
        for set in ids.values() {
            for id in set {
                assert!(seen.insert(id.clone()), "{}: {id} shared", g.name);
            }
        }
    }
    let base = gen_named("orders");
    let before = policy_ids_by_group(base);
    let text = fs::read_to_string(fixture_path("orders")).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(format!("{name}.yaml"));
        fs::write(&p, text).unwrap();
        make_gen(name, &p, &dir.join(name))
    };
    // Again, elsewhere: the same IDs.
    assert_eq!(policy_ids_by_group(&write("again", &text)), before);
    // Analyst renamed: only its IDs change.
    assert_eq!(text.matches("Analyst").count(), 4, "fixture changed");
    let renamed = policy_ids_by_group(&write("renamed", &text.replace("Analyst", "Analysts")));
    let old = &before["Analyst"];
    let new = &renamed["Analysts"];
    assert!(
        old.is_disjoint(new),
        "renaming Analyst kept {old:?} / {new:?}"
    );
    for (grp, set) in &before {
        if grp != "Analyst" {
            assert_eq!(renamed.get(grp), Some(set), "{grp}");
        }
    }
    // A new group, and a new route only it may call: nobody else's IDs change.
    let grown = text
        .replace("  Guest:\n", "  Zeta:\n    scopes: [legacy]\n  Guest:\n")
        .replace(
            "  GET /legacy: [legacy]\n",
            "  GET /legacy: [legacy]\n  POST /zeta: [legacy]\n",
        );
    let grown = policy_ids_by_group(&write("grown", &grown));
    assert!(grown.contains_key("Zeta"));
    for (grp, set) in &before {
        assert_eq!(grown.get(grp), Some(set), "{grp}");
    }
}

/// A group's policy split in parts must not take the logical ID of another group: the IDs of
/// `Big`'s parts and of a group named `BigPart2` differ, and the file generates (Cognito
/// accepts both names; whether `Big` needs a second part depends only on its routes).
#[test]
fn split_policies_never_collide_with_another_group() {
    let dir = common::scratch("avp-split");
    let text = fs::read_to_string(fixture_path("large")).unwrap();
    let marker = "  Few:\n";
    assert!(text.contains(marker));
    let text = text.replacen(
        marker,
        "  BigPart2:\n    scopes: [some]\n  EverythingPart2:\n    scopes: [even]\n  Few:\n",
        1,
    );
    let roles = dir.join("large_parts.yaml");
    fs::write(&roles, text).unwrap();
    let g = make_gen("large_parts", &roles, &dir.join("out"));
    let ids = policy_ids_by_group(&g);
    assert!(ids["Big"].len() >= 2, "Big is split: {ids:?}");
    let mut seen = BTreeSet::new();
    for (grp, set) in &ids {
        for id in set {
            assert!(seen.insert(id.clone()), "{grp}: {id} shared");
        }
    }
    let (f, _, _) = wrong_decisions(&g, &cedar(&g, POOL));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn package_pins_the_tested_packages() {
    let installed: Value = serde_json::from_slice(
        &fs::read(common::node_modules().join("node_modules/.package-lock.json")).unwrap(),
    )
    .unwrap();
    // name@version → integrity, as npm installed them for the tests.
    let mut tested: BTreeMap<(String, String), String> = BTreeMap::new();
    for (path, e) in installed["packages"].as_object().unwrap() {
        let name = path.rsplit("node_modules/").next().unwrap().to_string();
        if let (Some(v), Some(i)) = (e["version"].as_str(), e["integrity"].as_str()) {
            tested.insert((name, v.to_string()), i.to_string());
        }
    }
    for g in gens() {
        let pkg: Value = serde_json::from_str(&g.read("authorizer/package.json")).unwrap();
        let lock: Value = serde_json::from_str(&g.read("authorizer/package-lock.json")).unwrap();
        assert_eq!(pkg["type"], "module", "{}", g.name);
        for name in ["aws-jwt-verify", "@aws-sdk/client-verifiedpermissions"] {
            let want = common::NPM_PACKAGES
                .iter()
                .find_map(|p| p.strip_prefix(&format!("{name}@")))
                .expect("the tests install it");
            assert_eq!(pkg["dependencies"][name], want, "{}: {name}", g.name);
            assert_eq!(
                lock["packages"][format!("node_modules/{name}")]["version"],
                want,
                "{}: {name}",
                g.name
            );
        }
        assert_eq!(
            lock["packages"][""]["dependencies"], pkg["dependencies"],
            "{}: lock and package.json agree",
            g.name
        );
        // Every locked package has npm's integrity hash, the one npm installed for the
        // tests wherever the same version was installed.
        let mut compared = 0;
        for (path, e) in lock["packages"].as_object().unwrap() {
            if path.is_empty() {
                continue;
            }
            let name = path.rsplit("node_modules/").next().unwrap().to_string();
            let version = e["version"].as_str().expect("version").to_string();
            let integrity = e["integrity"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: {path} has no integrity", g.name));
            if let Some(i) = tested.get(&(name, version)) {
                assert_eq!(integrity, i, "{}: {path}", g.name);
                compared += 1;
            }
        }
        assert!(compared >= 2, "{}: {compared}", g.name);
    }
}
