//! The `verified-permissions` strategy's Cedar: a schema and one static policy per group,
//! derived from the access model, for Amazon Verified Permissions (AVP) to decide with.
//!
//! AVP's own quick start writes a schema and policies once, from a deployed API, and they go
//! stale as routes change; here they are regenerated with everything else. The shapes follow
//! the quick start (see `shared/research/verified-permissions.md`): entity types `User`
//! (member of `UserGroup`), `UserGroup`, `Application`; one action per route and verb, named
//! `"<lowercase verb> <path template>"` exactly as the authorizer names the call; groups as
//! `UserGroup::"<userPoolId>|<group>"`, as AVP builds them from a token's `cognito:groups`.
//!
//! A token carries only its direct groups and a request cannot tell AVP that one group
//! includes another, so each group's policy lists every action the group may call, `includes`
//! expanded (the matrix row). The user pool id is only known at deploy time: the template
//! joins it into the policy text (`Fn::Join`, never `Fn::Sub`, so no name is ever read as a
//! substitution), and every name is written as an escaped Cedar string.

use super::authorizer::VERBS;
use super::{Files, Limits};
use crate::diag::Diagnostic;
use crate::model::{Access, ClientId, GroupId, Model, RouteId};
use serde_json::{Map, Value, json};

pub const SCHEMA: &str = "cedar/schema.cedarschema.json";
pub const POLICIES: &str = "cedar/policies.cedar";

/// AVP's quotas: one policy's statement, the schema, and all policies on one resource (ours
/// all name `resource` unconstrained, so they share one budget).
pub const MAX_POLICY_BYTES: usize = 10_000;
pub const MAX_SCHEMA_BYTES: usize = 100_000;
pub const MAX_TOTAL_POLICY_BYTES: usize = 200_000;

/// The longest user pool id a policy is sized for (`<region>_<id>`: a region name of up to
/// 25 characters, `_`, and Cognito's id part): the template's policies stay under the quota
/// whatever pool they are deployed with.
const MAX_POOL_ID_BYTES: usize = 55;

/// What stands for the user pool id in the policies written for review.
pub const POOL_PLACEHOLDER: &str = "<userPoolId>";

/// Cedar's reserved words, which a namespace may not be.
const RESERVED: &[&str] = &[
    "true", "false", "if", "then", "else", "in", "is", "like", "has",
];

/// The Cedar namespace for an API name, as AWS's CDK constructs derive it for AVP: characters
/// outside `[A-Za-z0-9_]` dropped; `Api` put before a name that would start with a digit or
/// `_` or be a reserved word (or start with Cedar's reserved `__cedar`); `ImportedApi` when
/// nothing is left.
pub fn namespace(api_name: &str) -> String {
    let clean: String = api_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if clean.is_empty() {
        return "ImportedApi".to_string();
    }
    let first = clean.as_bytes()[0];
    if first.is_ascii_digit() || first == b'_' || RESERVED.contains(&clean.as_str()) {
        format!("Api{clean}")
    } else {
        clean
    }
}

/// `s` as a Cedar string literal: `"` and `\` escaped, and every character that is not
/// printable ASCII or a printable non-ASCII character written as `\u{…}`, so that no name
/// can end the string or the policy.
pub fn cedar_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}')
                || c.is_whitespace() && c != ' ' =>
            {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One action: its id and the route it stands for.
pub struct Action {
    pub id: String,
    pub route: RouteId,
}

/// Every action: each protected route once per verb it answers on its resource (an `ANY`
/// route answers the verbs its resource declares no method for), in path order.
pub fn actions(model: &Model) -> Vec<Action> {
    let router = model.router();
    let mut out = Vec::new();
    for path in model.resource_paths() {
        for verb in VERBS {
            let Some(r) = router.on_resource(&path.segments, verb) else {
                continue;
            };
            if matches!(model.routes[r].access, Access::Public) {
                continue;
            }
            out.push(Action {
                id: format!("{} {}", verb.as_str().to_ascii_lowercase(), path),
                route: RouteId(r),
            });
        }
    }
    out
}

/// The schema, as AVP reads it (`Schema.CedarJson`). With machine clients, the entity type
/// `Client` is a principal of the actions some client may call; a `match` route's actions
/// take the context the authorizer sends for them (`path` values and the token's `claims`).
pub fn schema(model: &Model, ns: &str, actions: &[Action]) -> Value {
    let record = || json!({ "type": "Record", "attributes": {} });
    let mut acts = Map::new();
    for a in actions {
        let route = model.route(a.route);
        let by_client = model.matrix.any_client(a.route);
        let principals = if by_client {
            json!(["User", "Client"])
        } else {
            json!(["User"])
        };
        let mut applies = json!({
            "principalTypes": principals,
            "resourceTypes": ["Application"],
        });
        // No `context` elsewhere: an empty record, as the authorizer sends none; leaving it
        // out keeps the schema within its quota for about twice as many routes.
        if !route.bound.is_empty() {
            let mut path = Map::new();
            let mut claims = Map::new();
            for b in &route.bound {
                path.insert(b.var.clone(), json!({ "type": "String" }));
                claims.insert(b.claim.as_written(), json!({ "type": "String" }));
            }
            applies["context"] = json!({ "type": "Record", "attributes": {
                "path": { "type": "Record", "attributes": path },
                "claims": { "type": "Record", "attributes": claims },
            }});
        }
        acts.insert(a.id.clone(), json!({ "appliesTo": applies }));
    }
    let mut types = json!({
        "User": { "memberOfTypes": ["UserGroup"], "shape": record() },
        "UserGroup": { "shape": record() },
        "Application": { "shape": record() },
    });
    if !model.clients.is_empty() {
        types["Client"] = json!({ "shape": record() });
    }
    json!({ ns: {
        "entityTypes": types,
        "actions": acts,
    }})
}

/// One policy: of a group, of a machine client, or (both `None`) of every signed-in user for
/// the `authenticated` routes; with `bound`, for that `match` route alone, under its
/// condition. A group's policy names the pool: its text is `before + <userPoolId> + after`;
/// the others' is `before` alone.
pub struct Policy {
    pub group: Option<GroupId>,
    pub client: Option<ClientId>,
    pub bound: Option<RouteId>,
    /// 1 for the first policy; one whose actions do not fit one policy has more.
    pub part: usize,
    pub before: String,
    pub after: Option<String>,
}

impl Policy {
    /// Whose policy this is, for comments and descriptions: `group "Admin"`, `client "sync"`,
    /// `any signed-in user (...)`, with the `match` route it is for.
    pub fn whose(&self, model: &Model) -> String {
        let who = match (self.group, self.client) {
            (Some(g), _) => format!("group {}", cedar_string(&model.group(g).name)),
            (None, Some(c)) => format!("machine client {}", cedar_string(&model.client(c).name)),
            (None, None) if self.bound.is_some() => "any signed-in user".to_string(),
            (None, None) => "any signed-in user (`authenticated` routes)".to_string(),
        };
        match self.bound {
            Some(r) => format!(
                "{who}, only on their own values of {}",
                cedar_string(&model.route(r).key())
            ),
            None => who,
        }
    }

    pub fn text(&self, pool_id: &str) -> String {
        match &self.after {
            Some(after) => format!("{}{pool_id}{after}", self.before),
            None => self.before.clone(),
        }
    }
}

const TAIL: &str = "\n  ],\n  resource\n);";
const ACTIONS_HEAD: &str = ",\n  action in [";

/// ` when {\n  context.path["v"] == context.claims["c"] && ...\n};` for a `match` route.
fn condition(model: &Model, route: RouteId) -> String {
    let terms: Vec<String> = model
        .route(route)
        .bound
        .iter()
        .map(|b| {
            format!(
                "context.path[{}] == context.claims[{}]",
                cedar_string(&b.var),
                cedar_string(&b.claim.as_written())
            )
        })
        .collect();
    format!(" when {{\n  {}\n}};", terms.join(" &&\n  "))
}

/// `actions` in as few lists as keep a policy with a head of `head_len` bytes under AVP's
/// limit.
fn chunks(head_len: usize, actions: &[String]) -> Vec<Vec<&String>> {
    let empty = head_len + ACTIONS_HEAD.len() + TAIL.len();
    let mut out: Vec<Vec<&String>> = vec![Vec::new()];
    let mut len = empty;
    for a in actions {
        let add = "\n    ".len() + a.len() + 1;
        if len + add > MAX_POLICY_BYTES && !out.last().unwrap().is_empty() {
            out.push(Vec::new());
            len = empty;
        }
        out.last_mut().unwrap().push(a);
        len += add;
    }
    out
}

/// `,\n  action in [...],\n  resource\n);` for one list.
fn action_list(chunk: &[&String]) -> String {
    let mut s = ACTIONS_HEAD.to_string();
    for (k, a) in chunk.iter().enumerate() {
        s.push_str("\n    ");
        s.push_str(a);
        if k + 1 < chunk.len() {
            s.push(',');
        }
    }
    s.push_str(TAIL);
    s
}

/// The policies: one for the `authenticated` routes (any `User`, whatever its groups), and
/// per group with any other protected route, its actions; each split into as few policies as
/// fit AVP's size limit with the longest pool id.
pub fn policies(model: &Model, ns: &str, actions: &[Action]) -> Vec<Policy> {
    let ns_action = format!("{ns}::Action::");
    let entity = |a: &Action| format!("{ns_action}{}", cedar_string(&a.id));
    let signed_in = |a: &&Action| model.route(a.route).access == Access::Authenticated;
    let unbound = |a: &&Action| model.route(a.route).bound.is_empty();
    let policy = |group, client, part, before, after| Policy {
        group,
        client,
        bound: None,
        part,
        before,
        after,
    };
    // With machine clients in the schema, "any signed-in user" must not mean any principal.
    let any_user = if model.clients.is_empty() {
        "permit (\n  principal".to_string()
    } else {
        format!("permit (\n  principal is {ns}::User")
    };
    let mut out = Vec::new();
    let anyone: Vec<String> = actions
        .iter()
        .filter(|a| signed_in(a) && unbound(a))
        .map(entity)
        .collect();
    if !anyone.is_empty() {
        for (i, chunk) in chunks(any_user.len(), &anyone).into_iter().enumerate() {
            out.push(policy(
                None,
                None,
                i + 1,
                format!("{any_user}{}", action_list(&chunk)),
                None,
            ));
        }
    }
    // `"<pool>|<group>"`: the pool id goes right after the opening quote.
    let group_head = format!("permit (\n  principal in {ns}::UserGroup::\"");
    for g in model.group_ids() {
        let group = model.group(g);
        let mine: Vec<String> = actions
            .iter()
            .filter(|a| !signed_in(a) && unbound(a) && model.matrix.allows(g, a.route))
            .map(entity)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let quoted = cedar_string(&format!("|{}", group.name));
        let head_len = group_head.len() + MAX_POOL_ID_BYTES + quoted.len() - 1;
        for (i, chunk) in chunks(head_len, &mine).into_iter().enumerate() {
            out.push(policy(
                Some(g),
                None,
                i + 1,
                group_head.clone(),
                Some(format!("{}{}", &quoted[1..], action_list(&chunk))),
            ));
        }
    }
    for c in model.client_ids() {
        let mine: Vec<String> = actions
            .iter()
            .filter(|a| model.matrix.client_allows(c, a.route))
            .map(entity)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let head = format!(
            "permit (\n  principal == {ns}::Client::{}",
            cedar_string(&model.client(c).name)
        );
        for (i, chunk) in chunks(head.len(), &mine).into_iter().enumerate() {
            out.push(policy(
                None,
                Some(c),
                i + 1,
                format!("{head}{}", action_list(&chunk)),
                None,
            ));
        }
    }
    // A `match` route: one policy per group that may call it (or one for any signed-in user),
    // over the actions of its verbs, under its condition. Routes are few and small: one part.
    for r in model
        .route_ids()
        .filter(|&r| !model.route(r).bound.is_empty())
    {
        let mine: Vec<String> = actions
            .iter()
            .filter(|a| a.route == r)
            .map(entity)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let list = action_list(&mine.iter().collect::<Vec<_>>());
        let tail = format!("{}{}", &list[..list.len() - 1], condition(model, r));
        if model.route(r).access == Access::Authenticated {
            out.push(Policy {
                bound: Some(r),
                ..policy(None, None, 1, format!("{any_user}{tail}"), None)
            });
            continue;
        }
        for g in model.group_ids().filter(|&g| model.matrix.allows(g, r)) {
            let quoted = cedar_string(&format!("|{}", model.group(g).name));
            out.push(Policy {
                bound: Some(r),
                ..policy(
                    Some(g),
                    None,
                    1,
                    group_head.clone(),
                    Some(format!("{}{tail}", &quoted[1..])),
                )
            });
        }
    }
    out
}

/// Everything the strategy needs, built once for `cedar` and `cfn`.
pub struct Cedar {
    pub namespace: String,
    pub schema: String,
    pub policies: Vec<Policy>,
}

/// Builds the schema and policies, or the errors that keep them out of AVP's quotas.
pub fn build(model: &Model, limits: Limits) -> Result<Cedar, Vec<Diagnostic>> {
    let ns = namespace(&model.api.name);
    let actions = actions(model);
    let schema = serde_json::to_string(&schema(model, &ns, &actions)).expect("json");
    let policies = policies(model, &ns, &actions);
    let mut errors = Vec::new();
    if schema.len() > limits.max_schema_bytes {
        errors.push(
            Diagnostic::error(
                "avp-limit",
                format!(
                    "the Cedar schema would be {} bytes, over Verified Permissions' limit of {MAX_SCHEMA_BYTES} ({} actions, one per protected route and verb)",
                    schema.len(),
                    actions.len()
                ),
            )
            .help("split the routes over several APIs (one roles file each), or declare fewer routes (an `ANY` is one action per verb it answers)"),
        );
    }
    let total: usize = policies
        .iter()
        .map(|p| p.before.len() + p.after.as_ref().map_or(0, |a| MAX_POOL_ID_BYTES + a.len()))
        .sum();
    if total > limits.max_store_policy_bytes {
        errors.push(
            Diagnostic::error(
                "avp-limit",
                format!(
                    "the Cedar policies would be up to {total} bytes together, over Verified Permissions' limit of {MAX_TOTAL_POLICY_BYTES} for one policy store ({} policies for {} groups)",
                    policies.len(),
                    model.groups.len()
                ),
            )
            .help("each group's policy lists every action it may call, `includes` expanded: use fewer groups or routes per API, or ask AWS to raise the quota \"Size of policies per resource\""),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Cedar {
        namespace: ns,
        schema,
        policies,
    })
}

/// `out/cedar/`: the schema (pretty) and the policies, for people and review. The template
/// carries the same, with the pool id filled in at deploy time.
pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    generate_with(model, Limits::default())
}

/// [`generate`] with the quotas as a parameter (the benchmark lifts them).
pub fn generate_with(model: &Model, limits: Limits) -> Result<Files, Vec<Diagnostic>> {
    let cedar = build(model, limits)?;
    let schema: Value = serde_json::from_str(&cedar.schema).expect("own json");
    let mut pretty = serde_json::to_string_pretty(&schema).expect("json");
    pretty.push('\n');
    let mut text = format!(
        "// Cedar policies for Amazon Verified Permissions, namespace {}.\n\
         // Generated by rolegen from roles.yaml: do not edit. One policy per group (split when\n\
         // it would pass {MAX_POLICY_BYTES} bytes), listing every route the group may call,\n\
         // `includes` expanded. `{POOL_PLACEHOLDER}` stands for the user pool id, which the\n\
         // CloudFormation template fills in at deploy time.\n",
        cedar.namespace
    );
    if !model.clients.is_empty() || model.has_bound() {
        text.push_str(
            "// A machine client's policy names it as `Client::\"<name>\"`; a `match` route has a\n\
             // policy of its own per group, whose condition compares the path with the token.\n",
        );
    }
    for p in &cedar.policies {
        text.push_str("\n// ");
        text.push_str(&p.whose(model));
        if p.part > 1 {
            text.push_str(&format!(", part {}", p.part));
        }
        text.push('\n');
        text.push_str(&p.text(POOL_PLACEHOLDER));
        text.push('\n');
    }
    Ok(Files::from([
        (SCHEMA.to_string(), pretty.into_bytes()),
        (POLICIES.to_string(), text.into_bytes()),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_cedar_identifiers() {
        assert_eq!(namespace("orders-api"), "ordersapi");
        assert_eq!(namespace("PetStore"), "PetStore");
        assert_eq!(namespace("2fa api"), "Api2faapi");
        assert_eq!(namespace("_x"), "Api_x");
        assert_eq!(namespace("in"), "Apiin");
        assert_eq!(namespace("äö-"), "ImportedApi");
        assert_eq!(namespace("__cedar"), "Api__cedar");
    }

    #[test]
    fn strings_cannot_be_broken_out_of() {
        assert_eq!(cedar_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(cedar_string("x\ny\u{2028}"), r#""x\u{a}y\u{2028}""#);
        assert_eq!(cedar_string("管理者 ok"), "\"管理者 ok\"");
    }
}
