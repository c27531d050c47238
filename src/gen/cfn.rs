//! The CloudFormation template: user pool, groups, resource server and client, the
//! strategy's Lambda functions, and the REST API with each method's authorization.
//!
//! Written through the YAML [`Writer`] as structure (mappings, sequences, scalars), never as
//! pasted text, in a fixed order. The writer streams: at 10,000 routes the template is
//! megabytes, and building a value tree first cost more than the writing. Logical IDs come
//! from names, never from positions, so reordering roles.yaml changes nothing and renaming
//! one group touches only that group.

use super::Files;
use super::cedar::Cedar;
use super::text::push_segments;
use super::yaml::Writer;
use crate::diag::{Diagnostic, Span};
use crate::model::{Access, Endpoint, Integration, Model, Path, Route, Segment, Strategy};
use foldhash::fast::FixedState;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

mod body;
mod checkov;
pub(crate) mod cors;
mod signin;
mod stage;
pub use signin::{DOMAIN_URL_SUB, USER_POOL_DOMAIN_ID};
pub use stage::{ACCESS_LOG_FORMAT, ACCESS_LOG_GROUP_ID, method_setting_path};
mod adopt;
mod package;
pub(crate) use adopt::pool_arn_entries;
pub use package::{
    BODY as PACKAGE_BODY, DIR as PACKAGE_DIR, MAX_BODY_BYTES,
    RESOURCE_TYPE as PACKAGE_RESOURCE_TYPE, body as package_body, files as package_files,
};

pub const TEMPLATE: &str = "cfn/template.yaml";
/// CloudFormation: at most 500 resources per template.
pub const MAX_RESOURCES: usize = 500;
/// CloudFormation: a template body uploaded through S3 may be up to 1 MB.
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;
/// CloudFormation: a template body passed inline may be up to 51,200 bytes.
pub const MAX_INLINE_TEMPLATE_BYTES: usize = 51_200;

pub use super::Limits;

pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    generate_with(model, Limits::default())
}

pub fn generate_with(model: &Model, limits: Limits) -> Result<Files, Vec<Diagnostic>> {
    let cedar = match model.api.strategy {
        Strategy::VerifiedPermissions => Some(super::cedar::build(model, limits)?),
        _ => None,
    };
    let ids = LogicalIds::new(model, cedar.as_ref())?;
    let mut errors = Vec::new();
    // `api.definition: package`: the document beside the template, whose hash the template
    // carries.
    let document = (model.settings.definition == crate::model::Definition::Package
        && !model.api.external)
        .then(|| package::body(model));
    let Template {
        yaml,
        resources,
        api_resources,
    } = build(model, &ids, cedar.as_ref(), document.as_deref());
    if resources > limits.max_resources {
        errors.push(
            Diagnostic::error(
                "cfn-limit",
                format!(
                    "the template would have {resources} resources, {} over CloudFormation's limit of {}",
                    resources - limits.max_resources,
                    limits.max_resources
                ),
            )
            .help(format!(
                "{api_resources} API Gateway resources and methods come from {} routes; set `api.definition: body` (the API as one OpenAPI body, a handful of resources; `package` if that template passes 1 MB), or split the routes over several APIs (one roles file each)",
                model.routes.len()
            )),
        );
    }
    if yaml.len() > limits.max_bytes {
        errors.push(
            Diagnostic::error(
                "cfn-limit",
                format!(
                    "the template would be {} bytes, {} over CloudFormation's limit of {} bytes",
                    yaml.len(),
                    yaml.len() - limits.max_bytes,
                    limits.max_bytes
                ),
            )
            .help(match model.settings.definition {
                crate::model::Definition::Package => {
                    "split the routes over several APIs (one roles file each)"
                }
                _ => "set `api.definition: package` (the OpenAPI document as a file that `aws cloudformation package` uploads, up to 6 MB), or split the routes over several APIs (one roles file each)",
            }),
        );
    }
    let mut files = Files::new();
    if let Some(document) = document {
        let body = package::filled_size(&document);
        files = package::files(document);
        if body > limits.max_body_bytes {
            errors.push(
                Diagnostic::error(
                    "cfn-limit",
                    format!(
                        "the API's OpenAPI document could be {body} bytes once its ARNs are filled in, {} over API Gateway's limit of {} bytes for a definition",
                        body - limits.max_body_bytes,
                        limits.max_body_bytes
                    ),
                )
                .help("split the routes over several APIs (one roles file each)"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    files.insert(TEMPLATE.to_string(), yaml.into_bytes());
    Ok(files)
}

/// YAML for CloudFormation from a JSON value (tests build templates as values). The emitter
/// quotes every string that YAML would read as something else (`"200"`, `"true"`, `"null"`),
/// which CloudFormation needs.
pub fn to_yaml(v: &serde_json::Value) -> String {
    super::yaml::to_string(v)
}

/// First `n` hex digits of SHA-256: a stable, machine-independent fingerprint.
pub fn short_hash(data: &[u8], n: usize) -> String {
    hex_prefix(&Sha256::digest(data), n)
}

fn hex_prefix(digest: &[u8], n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(n);
    for b in digest.iter() {
        hex.push(HEX[usize::from(b >> 4)] as char);
        hex.push(HEX[usize::from(b & 15)] as char);
    }
    hex.truncate(n);
    hex
}

/// A name as part of a logical ID (which must be `[A-Za-z0-9]+`). A name that already is
/// alphanumeric is used as is; any other gets its letters and digits plus a hash of the
/// exact name, so `a-b` and `ab` can never meet.
pub fn ident(name: &str) -> String {
    if !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return name.to_string();
    }
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(40)
        .collect();
    format!("{clean}{}", short_hash(name.as_bytes(), 8).to_uppercase())
}

pub fn group_id(name: &str) -> String {
    format!("Group{}", ident(name))
}

/// A machine client's `UserPoolClient`.
pub fn client_id(name: &str) -> String {
    format!("MachineClient{}", ident(name))
}

/// A group's Cedar policy: derived from the group's name, because Verified Permissions cannot
/// change a policy's principal in place (a renamed group is a new policy). A group whose
/// actions do not fit one policy has more parts; their IDs always carry a hash of the name
/// and part, so that how many parts a group needs (which changes with its routes) can never
/// make its IDs meet another group's (`Big` part 2 and a group called `BigPart2`).
/// The Cedar policy of the `authenticated` routes (any signed-in user).
pub fn signed_in_policy_id(part: usize) -> String {
    if part == 1 {
        "CedarPolicyAnySignedInUser".to_string()
    } else {
        format!("CedarPolicyAnySignedInUserPart{part}")
    }
}

/// A machine client's Cedar policy (parts after the first hashed, as for groups).
pub fn client_policy_id(client: &str, part: usize) -> String {
    if part == 1 {
        format!("CedarPolicyClient{}", ident(client))
    } else {
        format!(
            "CedarPolicyClient{}",
            ident(&format!("{client}\u{1f}part {part}"))
        )
    }
}

/// The logical ID of any Cedar policy the model gives. A `match` route's policy of a group
/// (or of any signed-in user) is derived from both names, always hashed.
pub fn cedar_policy_id(model: &Model, p: &super::cedar::Policy) -> String {
    match (p.bound, p.group, p.client) {
        (Some(r), g, _) => {
            let group = g.map_or("", |g| model.group(g).name.as_str());
            format!(
                "CedarPolicyMatch{}",
                ident(&format!("{group}\u{1f}{}", model.route(r).key()))
            )
        }
        (None, Some(g), _) => policy_id(&model.group(g).name, p.part),
        (None, None, Some(c)) => client_policy_id(&model.client(c).name, p.part),
        (None, None, None) => signed_in_policy_id(p.part),
    }
}

pub fn policy_id(group: &str, part: usize) -> String {
    if part == 1 {
        format!("CedarPolicy{}", ident(group))
    } else {
        format!("CedarPolicy{}", ident(&format!("{group}\u{1f}part {part}")))
    }
}

/// Logical ID part for a path: readable camel case plus a hash of the exact path, so that
/// `/a/{b}` and `/a/b` stay apart. Appended to `out`, which already holds the prefix.
fn push_path_ident(out: &mut String, segments: &[Segment]) {
    if segments.is_empty() {
        out.push_str("Root");
    }
    let mut readable = 0;
    'words: for seg in segments {
        let (word, prefix) = match seg {
            Segment::Literal(s) => (s.as_str(), ""),
            Segment::Var(v) => (v.as_str(), "By"),
            Segment::Greedy(v) => (v.as_str(), "Any"),
        };
        // The readable part is at most 80 characters, all ASCII.
        for c in prefix.chars() {
            if readable == 80 {
                break 'words;
            }
            out.push(c);
            readable += 1;
        }
        let mut upper = true;
        for c in word.chars() {
            if c.is_ascii_alphanumeric() {
                if readable == 80 {
                    break 'words;
                }
                out.push(if upper { c.to_ascii_uppercase() } else { c });
                readable += 1;
                upper = false;
            } else {
                upper = true;
            }
        }
    }
    let mut text = String::with_capacity(64);
    push_segments(&mut text, segments);
    push_hex_upper(out, &Sha256::digest(text.as_bytes()), 8);
}

/// The first `n` hex digits of `digest`, upper case, appended to `out`.
fn push_hex_upper(out: &mut String, digest: &[u8], n: usize) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in digest.iter().take(n.div_ceil(2)) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out.truncate(out.len() - (n % 2));
}

pub fn resource_id(path: &Path) -> String {
    resource_id_of(&path.segments)
}

fn resource_id_of(segments: &[Segment]) -> String {
    let mut id = String::with_capacity(48);
    id.push_str("Resource");
    push_path_ident(&mut id, segments);
    id
}

pub fn method_id(route: &Route) -> String {
    let mut id = method_id_prefix(route);
    push_path_ident(&mut id, &route.path.segments);
    id
}

/// `Method` and the verb in camel case (`MethodGet`).
fn method_id_prefix(route: &Route) -> String {
    let verb = route.method.as_str();
    let mut id = String::with_capacity(48);
    id.push_str("Method");
    id.push_str(&verb[..1]);
    for c in verb[1..].chars() {
        id.push(c.to_ascii_lowercase());
    }
    id
}

/// [`method_id`] given the path's part of its resource's ID (what follows `Resource`).
fn method_id_with(route: &Route, path_ident: &str) -> String {
    let mut id = method_id_prefix(route);
    id.push_str(path_ident);
    id
}

/// Logical IDs the template always has; a Lambda parameter may not take one of them.
const FIXED_IDS: &[&str] = &[
    "CallbackUrl",
    "UserPool",
    "UserPoolId",
    "UserPoolArn",
    "ResourceServer",
    "UserPoolClient",
    USER_POOL_DOMAIN_ID,
    "PreTokenFunctionRole",
    "PreTokenFunction",
    "PreTokenPermission",
    "AuthorizerFunctionRole",
    "AuthorizerFunction",
    "AuthorizerPermission",
    "PolicyStore",
    "IdentitySource",
    "RestApi",
    "Authorizer",
    BY_PATH_AUTHORIZER,
    "AuthorizerByPathPermission",
    "Stage",
    ACCESS_LOG_GROUP_ID,
    stage::CLOUDWATCH_ROLE_ID,
    stage::ACCOUNT_ID,
    cors::GATEWAY_RESPONSES[0].1,
    cors::GATEWAY_RESPONSES[1].1,
];

/// The authorizer of `match` routes: the same function, with the concrete path in the cache
/// key (`authorizer::IDENTITY_SOURCE_BY_PATH`), so an answer given for `/users/alice` is
/// never reused for `/users/bob`.
pub const BY_PATH_AUTHORIZER: &str = "AuthorizerByPath";

/// The logical IDs derived from names, computed once for the whole template.
///
/// Parameters and resources share one namespace of logical IDs, and a second entry under the
/// same ID would silently replace the first, so every ID is checked for a clash here, before
/// anything is written.
struct LogicalIds<'m> {
    /// Per group, in model order.
    groups: Vec<String>,
    /// Per route, in model order.
    methods: Vec<String>,
    /// One API Gateway resource per distinct path prefix, parents before children.
    resources: Vec<ApiResource<'m>>,
    /// Per route, its path's resource (`None` for `/`).
    route_resource: Vec<Option<usize>>,
    /// Per Cedar policy (`verified-permissions`), in the order `cedar::build` gives them.
    policies: Vec<String>,
    /// Per machine client, in model order.
    clients: Vec<String>,
}

struct ApiResource<'m> {
    /// The path up to and including this resource's segment.
    prefix: &'m [Segment],
    parent: Option<usize>,
    id: String,
}

/// What an ID was derived from, described only when it clashes.
#[derive(Clone, Copy)]
enum Owner<'m> {
    Fixed,
    Param(&'m str),
    Permission(&'m str),
    Group(usize),
    Client(usize),
    Policy(usize),
    Route(usize),
    Resource(&'m [Segment]),
}

impl Owner<'_> {
    fn describe(self, model: &Model) -> String {
        match self {
            Owner::Fixed => "a resource rolegen always generates".to_string(),
            Owner::Param(p) => format!("the Lambda parameter `{p}`"),
            Owner::Permission(p) => format!("the permission of `{p}`"),
            Owner::Group(g) => format!("group `{}`", model.groups[g].name),
            Owner::Client(c) => format!("client `{}`", model.clients[c].name),
            Owner::Policy(g) => format!("the Cedar policy of group `{}`", model.groups[g].name),
            Owner::Route(r) => format!("route `{}`", model.routes[r].key()),
            Owner::Resource(prefix) => {
                let mut what = String::from("path `");
                push_segments(&mut what, prefix);
                what.push('`');
                what
            }
        }
    }

    fn span(self, model: &Model) -> Option<Span> {
        match self {
            Owner::Group(g) | Owner::Policy(g) => Some(model.groups[g].decl),
            Owner::Client(c) => Some(model.clients[c].decl),
            Owner::Route(r) => Some(model.routes[r].decl),
            _ => None,
        }
    }
}

impl<'m> LogicalIds<'m> {
    fn new(model: &'m Model, cedar: Option<&Cedar>) -> Result<Self, Vec<Diagnostic>> {
        let groups: Vec<String> = model.groups.iter().map(|g| group_id(&g.name)).collect();
        // Routes in path order (the model's order already, so this sort is one pass): every
        // path sharing a prefix is then adjacent, and each route adds the resources for the
        // segments it does not share with the route before it.
        let mut order: Vec<usize> = (0..model.routes.len()).collect();
        order.sort_by(|&a, &b| model.routes[a].path.cmp(&model.routes[b].path));
        let mut resources: Vec<ApiResource> = Vec::new();
        let mut route_resource = vec![None; model.routes.len()];
        // The resources of the previous route's path prefixes, by depth.
        let mut chain: Vec<usize> = Vec::new();
        let mut previous: &[Segment] = &[];
        for &i in &order {
            let segments = &model.routes[i].path.segments[..];
            let shared = segments
                .iter()
                .zip(previous)
                .take_while(|(a, b)| a == b)
                .count();
            chain.truncate(shared);
            for depth in shared + 1..=segments.len() {
                let prefix = &segments[..depth];
                chain.push(resources.len());
                resources.push(ApiResource {
                    prefix,
                    parent: depth.checked_sub(2).map(|d| chain[d]),
                    id: resource_id_of(prefix),
                });
            }
            route_resource[i] = chain.last().copied();
            previous = segments;
        }
        // A method's ID is its verb before its path's part of the resource ID, so the path's
        // hash is taken once per path, not once per route.
        let methods: Vec<String> = model
            .routes
            .iter()
            .zip(&route_resource)
            .map(|(r, res)| match res {
                Some(res) => method_id_with(r, &resources[*res].id["Resource".len()..]),
                None => method_id(r),
            })
            .collect();

        let params = model.lambda_params();
        let permissions: Vec<String> = params.iter().map(|p| lambda_permission_id(p)).collect();
        let mut candidates: Vec<(&str, Owner)> =
            FIXED_IDS.iter().map(|id| (*id, Owner::Fixed)).collect();
        for (p, perm) in params.iter().zip(&permissions) {
            candidates.push((p, Owner::Param(p)));
            candidates.push((perm, Owner::Permission(p)));
        }
        for (i, id) in groups.iter().enumerate() {
            candidates.push((id, Owner::Group(i)));
        }
        let clients: Vec<String> = model.clients.iter().map(|c| client_id(&c.name)).collect();
        for (i, id) in clients.iter().enumerate() {
            candidates.push((id, Owner::Client(i)));
        }
        let policies: Vec<String> = cedar
            .map(|c| {
                c.policies
                    .iter()
                    .map(|p| cedar_policy_id(model, p))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(c) = cedar {
            for (p, id) in c.policies.iter().zip(&policies) {
                candidates.push((
                    id,
                    match (p.group, p.client) {
                        (Some(g), _) => Owner::Policy(g.0),
                        (None, Some(c)) => Owner::Client(c.0),
                        (None, None) => Owner::Fixed,
                    },
                ));
            }
        }
        for (i, id) in methods.iter().enumerate() {
            candidates.push((id, Owner::Route(i)));
        }
        for res in &resources {
            candidates.push((&res.id, Owner::Resource(res.prefix)));
        }
        let mut seen: HashMap<&str, Owner, FixedState> =
            HashMap::with_capacity_and_hasher(candidates.len(), FixedState::default());
        let mut errors = Vec::new();
        for (id, owner) in candidates {
            if id.starts_with("Deployment") {
                errors.push(clash(model, id, owner, "the API deployment".to_string()));
                continue;
            }
            match seen.get(id) {
                Some(other) => errors.push(clash(model, id, owner, other.describe(model))),
                None => {
                    seen.insert(id, owner);
                }
            }
        }
        if errors.is_empty() {
            Ok(LogicalIds {
                groups,
                methods,
                resources,
                route_resource,
                policies,
                clients,
            })
        } else {
            Err(errors)
        }
    }
}

fn clash(model: &Model, id: &str, owner: Owner, other: String) -> Diagnostic {
    let d = Diagnostic::error(
        "cfn-logical-id",
        format!(
            "{} would get the CloudFormation logical ID `{id}`, already used by {other}",
            owner.describe(model)
        ),
    )
    .help(match owner {
        Owner::Group(_) | Owner::Policy(_) | Owner::Client(_) => {
            "rename one of them: logical IDs are derived from names"
        }
        _ => "rename one of them (a Lambda integration parameter is best renamed, e.g. `OrdersFunctionArn`)",
    });
    match owner.span(model) {
        Some(s) => d.at(s),
        None => d,
    }
}

pub fn lambda_permission_id(param: &str) -> String {
    format!("{param}InvokePermission")
}

/// The template's text and what the limits are checked against.
struct Template {
    yaml: String,
    resources: usize,
    /// API Gateway resources and methods, the part that grows with the routes.
    api_resources: usize,
}

/// Counts resources as they are written.
#[derive(Default)]
struct Count {
    resources: usize,
    api_resources: usize,
}

fn build(
    model: &Model,
    ids: &LogicalIds,
    cedar: Option<&Cedar>,
    document: Option<&str>,
) -> Template {
    // About 800 bytes per route, measured on synthetic files.
    let mut w = Writer::with_capacity(8192 + 900 * model.routes.len());
    let mut n = Count::default();
    w.str("AWSTemplateFormatVersion", "2010-09-09");
    w.str("Description", &adopt::description(model));
    w.map("Parameters", |w| {
        if signin::has_callback_parameter(model) {
            w.map("CallbackUrl", |w| {
                w.str("Type", "String");
                w.str("Default", "http://localhost:3000/callback");
                w.str(
                    "Description",
                    "Where the hosted sign-in page may send users back to (OAuth code flow)",
                );
            });
        }
        adopt::pool_parameters(model, w);
        for p in model.lambda_params().into_iter().filter(|_| !model.api.external) {
            w.map(p, |w| {
                w.str("Type", "String");
                w.str(
                    "AllowedPattern",
                    "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$",
                );
                w.str(
                    "Description",
                    "ARN of the Lambda function behind the routes that name this parameter",
                );
            });
        }
    });
    w.map("Resources", |w| {
        cognito(model, ids, w, &mut n);
        match (model.api.strategy, cedar) {
            (Strategy::CognitoScopes, _) => pretoken(model, w, &mut n),
            (Strategy::VerifiedPermissions, Some(cedar)) => {
                verified_permissions(model, ids, cedar, w, &mut n);
                authorizer_function(model, ids, w, &mut n, true);
            }
            _ => authorizer_function(model, ids, w, &mut n, false),
        }
        if !model.api.external {
            api(model, ids, document, w, &mut n);
        }
    });
    w.map("Outputs", |w| {
        // Adopted into a project: what the API's own template imports instead.
        let adopted = adopt::outputs(model, w);
        if !adopted {
            w.map("UserPoolId", |w| {
                w.str("Description", "Cognito user pool id");
                r(w, "Value", "UserPool");
            });
            w.map("UserPoolClientId", |w| {
                w.str("Description", "App client id");
                r(w, "Value", "UserPoolClient");
            });
        }
        // Machine clients and the hosted domain whoever owns the pool and the API.
        if !model.clients.is_empty() && signin::has_domain(model) {
            w.map("TokenEndpoint", |w| {
                w.str(
                    "Description",
                    "Where machine clients get access tokens (client-credentials grant)",
                );
                sub(w, "Value", &format!("{DOMAIN_URL_SUB}/oauth2/token"));
            });
        }
        for (c, id) in model.clients.iter().zip(&ids.clients) {
            w.map(&format!("{id}Id"), |w| {
                w.str(
                    "Description",
                    &format!("App client id of machine client {}", c.name),
                );
                r(w, "Value", id);
            });
        }
        if !adopted {
            w.map("ApiUrl", |w| {
                w.str("Description", "Invoke URL of the stage");
                sub(
                    w,
                    "Value",
                    "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}",
                );
            });
        }
        signin::outputs(model, w);
    });
    Template {
        yaml: w.finish(),
        resources: n.resources,
        api_resources: n.api_resources,
    }
}

/// `k: {Ref: id}`.
fn r(w: &mut Writer, k: &str, id: &str) {
    w.map(k, |w| w.str("Ref", id));
}

/// `k: {Fn::GetAtt: [id, attr]}`.
fn get_att(w: &mut Writer, k: &str, id: &str, attr: &str) {
    w.map(k, |w| w.strs("Fn::GetAtt", [id, attr]));
}

/// `k: {Fn::Sub: template}`.
fn sub(w: &mut Writer, k: &str, template: &str) {
    w.map(k, |w| w.sub_template("Fn::Sub", template));
}

/// One resource: `Type`, the `head` entries (deletion policies, `DependsOn`), `Metadata` when
/// cfn-lint checks are silenced on it, then `Properties`.
///
/// cfn-lint's E1029 takes `${...}` in a plain string for a forgotten `Fn::Sub`. Names and
/// descriptions from roles.yaml may hold it on purpose (CloudFormation keeps a plain string as
/// written), so the check is silenced on exactly the resources whose properties carry such a
/// string; the writer notices them as they are written.
fn resource(
    w: &mut Writer,
    n: &mut Count,
    id: &str,
    ty: &str,
    head: impl FnOnce(&mut Writer),
    ignore_checks: &[&str],
    props: impl FnOnce(&mut Writer),
) {
    resource_with(w, n, id, ty, head, ignore_checks, &[], props)
}

/// [`resource`], with checkov checks skipped on it: `(check, why)`, written into its
/// `Metadata` beside the cfn-lint ones. Each skip is on the one resource that needs it, with
/// the reason a reviewer reads (`cfn::checkov`).
#[allow(clippy::too_many_arguments)]
fn resource_with(
    w: &mut Writer,
    n: &mut Count,
    id: &str,
    ty: &str,
    head: impl FnOnce(&mut Writer),
    ignore_checks: &[&str],
    checkov: &[(&str, &str)],
    props: impl FnOnce(&mut Writer),
) {
    n.resources += 1;
    w.map(id, |w| {
        w.str("Type", ty);
        head(w);
        let mark = w.len();
        w.take_dollar_brace();
        w.map("Properties", props);
        let literal_sub = w.take_dollar_brace();
        let lint = literal_sub || !ignore_checks.is_empty();
        if lint || !checkov.is_empty() {
            let mut meta = w.nested();
            meta.map("Metadata", |m| {
                if !checkov.is_empty() {
                    m.map("checkov", |m| {
                        m.seq("skip", |m| {
                            for (check, why) in checkov {
                                m.item_map(|m| {
                                    m.str("id", check);
                                    m.str("comment", why);
                                });
                            }
                        })
                    });
                }
                if lint {
                    m.map("cfn-lint", |m| {
                        m.map("config", |m| {
                            m.seq("ignore_checks", |m| {
                                for c in ignore_checks {
                                    m.item_str(c);
                                }
                                if literal_sub {
                                    m.item_str("E1029");
                                }
                            })
                        })
                    });
                }
            });
            w.insert_at(mark, &meta.finish());
        }
    });
}

fn no_head(_: &mut Writer) {}

fn cognito(model: &Model, ids: &LogicalIds, w: &mut Writer, n: &mut Count) {
    let policy = if model.user_pool.retain {
        "Retain"
    } else {
        "Delete"
    };
    // An existing pool is a parameter: this template never creates, changes or deletes it.
    if !model.user_pool.existing {
        resource(
            w,
            n,
            "UserPool",
            "AWS::Cognito::UserPool",
            |w| {
                w.str("DeletionPolicy", policy);
                w.str("UpdateReplacePolicy", policy);
            },
            &[],
            |w| {
                w.str("UserPoolName", &model.user_pool.name);
                w.strs("UsernameAttributes", ["email"]);
                w.strs("AutoVerifiedAttributes", ["email"]);
                w.map("AdminCreateUserConfig", |w| {
                    w.bool("AllowAdminCreateUserOnly", true)
                });
                signin::mfa(model, w);
                match model.api.strategy {
                    Strategy::CognitoScopes => {
                        // Access-token customization (trigger V2_0) needs the Essentials feature plan.
                        w.str("UserPoolTier", "ESSENTIALS");
                        w.map("LambdaConfig", |w| {
                            w.map("PreTokenGenerationConfig", |w| {
                                get_att(w, "LambdaArn", "PreTokenFunction", "Arn");
                                w.str("LambdaVersion", "V2_0");
                            })
                        });
                    }
                    Strategy::Lambda | Strategy::VerifiedPermissions => {
                        // ID and access tokens carry `cognito:groups` on every plan.
                        w.str("UserPoolTier", "LITE");
                    }
                }
            },
        );
    }

    for (g, id) in model.groups.iter().zip(&ids.groups) {
        resource(w, n, id, "AWS::Cognito::UserPoolGroup", no_head, &[], |w| {
            w.str("GroupName", &g.name);
            if let Some(d) = &g.description {
                w.str("Description", d);
            }
            if let Some(p) = g.precedence {
                w.int("Precedence", i64::from(p));
            }
            r(w, "UserPoolId", adopt::pool_id(model));
        });
    }

    resource(
        w,
        n,
        "ResourceServer",
        "AWS::Cognito::UserPoolResourceServer",
        no_head,
        &[],
        |w| {
            w.str("Identifier", &model.resource_server.identifier);
            w.str("Name", &model.resource_server.name);
            r(w, "UserPoolId", adopt::pool_id(model));
            w.seq("Scopes", |w| {
                for s in &model.scopes {
                    w.item_map(|w| {
                        w.str("ScopeName", &s.name);
                        w.str("ScopeDescription", &s.description);
                    });
                }
                if model.api.strategy == Strategy::CognitoScopes && model.has_authenticated() {
                    w.item_map(|w| {
                        w.str("ScopeName", crate::model::SIGNED_IN_SCOPE);
                        w.str(
                            "ScopeDescription",
                            "Any signed-in user (rolegen: authenticated routes)",
                        );
                    });
                }
            });
        },
    );

    resource(
        w,
        n,
        "UserPoolClient",
        "AWS::Cognito::UserPoolClient",
        // The client may only allow scopes that exist.
        |w| w.strs("DependsOn", ["ResourceServer"]),
        &[],
        |w| {
            r(w, "UserPoolId", adopt::pool_id(model));
            w.bool("GenerateSecret", false);
            w.strs(
                "ExplicitAuthFlows",
                ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            );
            w.str("PreventUserExistenceErrors", "ENABLED");
            w.strs("SupportedIdentityProviders", ["COGNITO"]);
            w.bool("AllowedOAuthFlowsUserPoolClient", true);
            w.strs("AllowedOAuthFlows", ["code"]);
            w.seq("AllowedOAuthScopes", |w| {
                w.item_str("openid");
                if model.api.strategy == Strategy::CognitoScopes {
                    for s in &model.scopes {
                        w.item_str(&s.full_name);
                    }
                    if model.has_authenticated() {
                        w.item_str(&model.signed_in_scope());
                    }
                }
            });
            signin::client_urls(model, w);
        },
    );

    // Machine clients: the client-credentials grant only, with their scopes. No user sign-in
    // flow (`ExplicitAuthFlows` would otherwise default to SRP and custom auth), so no user
    // token can ever carry one of these client ids.
    for (c, id) in model.clients.iter().zip(&ids.clients) {
        resource(
            w,
            n,
            id,
            "AWS::Cognito::UserPoolClient",
            |w| w.strs("DependsOn", ["ResourceServer"]),
            &[],
            |w| {
                r(w, "UserPoolId", adopt::pool_id(model));
                w.str("ClientName", &c.name);
                w.bool("GenerateSecret", true);
                w.strs("ExplicitAuthFlows", ["ALLOW_REFRESH_TOKEN_AUTH"]);
                w.str("PreventUserExistenceErrors", "ENABLED");
                w.strs("SupportedIdentityProviders", ["COGNITO"]);
                w.bool("AllowedOAuthFlowsUserPoolClient", true);
                w.strs("AllowedOAuthFlows", ["client_credentials"]);
                w.strs(
                    "AllowedOAuthScopes",
                    c.scopes.iter().map(|s| model.scope(*s).full_name.as_str()),
                );
            },
        );
    }
    signin::domain(model, w, n);
}

/// A function's role: it may write its logs, and whatever `extra` adds (a `Policies` entry).
fn lambda_role(w: &mut Writer, n: &mut Count, id: &str, extra: impl FnOnce(&mut Writer)) {
    resource(w, n, id, "AWS::IAM::Role", no_head, &[], |w| {
        w.map("AssumeRolePolicyDocument", |w| {
            w.str("Version", "2012-10-17");
            w.seq("Statement", |w| {
                w.item_map(|w| {
                    w.str("Effect", "Allow");
                    w.map("Principal", |w| w.str("Service", "lambda.amazonaws.com"));
                    w.str("Action", "sts:AssumeRole");
                })
            });
        });
        w.seq("ManagedPolicyArns", |w| {
            w.item_map(|w| {
                w.sub_template(
                    "Fn::Sub",
                    "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                )
            })
        });
        extra(w);
    });
}

/// A function's role that may also do one thing: one inline policy `name` with one `Allow`
/// statement, whose `Action` and `Resource` `statement` writes.
fn lambda_role_allowing(
    w: &mut Writer,
    n: &mut Count,
    id: &str,
    name: &str,
    statement: impl FnOnce(&mut Writer),
) {
    lambda_role(w, n, id, |w| {
        w.seq("Policies", |w| {
            w.item_map(|w| {
                w.str("PolicyName", name);
                w.map("PolicyDocument", |w| {
                    w.str("Version", "2012-10-17");
                    w.seq("Statement", |w| {
                        w.item_map(|w| {
                            w.str("Effect", "Allow");
                            statement(w);
                        })
                    });
                });
            })
        });
    });
}

/// A Node.js function whose code is a folder beside the template, uploaded by
/// `aws cloudformation package`.
struct NodeFunction<'a> {
    id: &'a str,
    /// The code folder, relative to the template.
    code: &'a str,
    role: &'a str,
    memory_mb: i64,
    timeout_s: i64,
    /// The checkov checks this function does not pass on purpose (see `checkov`).
    skips: &'a [checkov::Skip],
    /// Environment variables set to `Ref`s.
    env: &'a [(&'a str, &'a str)],
    /// One more variable: ids known only at deploy time, joined with `,` in a fixed order.
    joined: Option<(&'a str, &'a [String])>,
}

/// An invoked-synchronously function (the authorizer, the trigger): 256 MB, and the 5 seconds
/// Cognito waits for a trigger at most.
const SYNC_MEMORY_MB: i64 = 256;
const SYNC_TIMEOUT_S: i64 = 5;

fn node_function(w: &mut Writer, n: &mut Count, f: &NodeFunction) {
    let mut skips: Vec<checkov::Skip> = f.skips.to_vec();
    if !f.env.is_empty() {
        skips.push(checkov::FUNCTION_ENV);
    }
    // W3002 says a local code path needs `aws cloudformation package`: that is the intended
    // deployment (see README), so only that check is silenced, only here.
    resource_with(
        w,
        n,
        f.id,
        "AWS::Lambda::Function",
        no_head,
        &["W3002"],
        &skips,
        |w| {
            w.str("Runtime", "nodejs22.x");
            w.str("Handler", "index.handler");
            w.str("Code", f.code);
            get_att(w, "Role", f.role, "Arn");
            w.strs("Architectures", ["arm64"]);
            w.int("MemorySize", f.memory_mb);
            w.int("Timeout", f.timeout_s);
            if !f.env.is_empty() {
                w.map("Environment", |w| {
                    w.map("Variables", |w| {
                        for (k, id) in f.env {
                            r(w, k, id);
                        }
                        // `k: {Fn::Join: [",", [{Ref: id}, ...]]}`: ids that are only known
                        // at deploy time, in a fixed order.
                        if let Some((k, ids)) = f.joined {
                            w.map(k, |w| {
                                w.seq("Fn::Join", |w| {
                                    w.item_str(",");
                                    w.item_seq(|w| {
                                        for id in ids {
                                            w.item_map(|w| w.str("Ref", id));
                                        }
                                    });
                                })
                            });
                        }
                    })
                });
            }
        },
    );
}

fn pretoken(model: &Model, w: &mut Writer, n: &mut Count) {
    lambda_role(w, n, "PreTokenFunctionRole", |_| {});
    node_function(
        w,
        n,
        &NodeFunction {
            id: "PreTokenFunction",
            code: "../pretoken",
            role: "PreTokenFunctionRole",
            memory_mb: SYNC_MEMORY_MB,
            timeout_s: SYNC_TIMEOUT_S,
            skips: checkov::FUNCTION,
            env: &[],
            joined: None,
        },
    );
    resource(
        w,
        n,
        "PreTokenPermission",
        "AWS::Lambda::Permission",
        no_head,
        &[],
        |w| {
            w.str("Action", "lambda:InvokeFunction");
            get_att(w, "FunctionName", "PreTokenFunction", "Arn");
            w.str("Principal", "cognito-idp.amazonaws.com");
            adopt::pool_arn(model, w, "SourceArn");
        },
    );
}

/// The REQUEST authorizer's function (the `Authorizer` resource in `api` points at it). It
/// verifies tokens for this pool and client, so both come in as environment variables; with
/// `avp`, it asks the policy store, and may do that and nothing else. One permission for the
/// authorizer as a whole, not one per method (and one for the `match` routes' authorizer).
/// Machine clients' ids come in as `MACHINE_CLIENT_IDS`, in the model's order of clients.
/// In body mode the authorizers are defined in the API's OpenAPI body, so they have no
/// logical ID a permission could name; the permission then admits the API's authorizers (`*`).
fn authorizer_function(model: &Model, ids: &LogicalIds, w: &mut Writer, n: &mut Count, avp: bool) {
    let body = model.settings.definition.is_document();
    if avp {
        lambda_role_allowing(
            w,
            n,
            "AuthorizerFunctionRole",
            "VerifiedPermissionsDecide",
            |w| {
                if model.clients.is_empty() {
                    w.str("Action", "verifiedpermissions:IsAuthorizedWithToken");
                } else {
                    // Machine clients are decided with `IsAuthorized`, as `Client` principals
                    // (their tokens name no user).
                    w.strs(
                        "Action",
                        [
                            "verifiedpermissions:IsAuthorized",
                            "verifiedpermissions:IsAuthorizedWithToken",
                        ],
                    );
                }
                get_att(w, "Resource", "PolicyStore", "Arn");
            },
        );
    } else {
        lambda_role(w, n, "AuthorizerFunctionRole", |_| {});
    }
    let mut env = vec![
        ("USER_POOL_ID", adopt::pool_id(model)),
        ("CLIENT_ID", "UserPoolClient"),
    ];
    if avp {
        env.push(("POLICY_STORE_ID", "PolicyStore"));
    }
    node_function(
        w,
        n,
        &NodeFunction {
            id: "AuthorizerFunction",
            code: "../authorizer",
            role: "AuthorizerFunctionRole",
            memory_mb: SYNC_MEMORY_MB,
            timeout_s: SYNC_TIMEOUT_S,
            skips: checkov::FUNCTION,
            env: &env,
            joined: (!ids.clients.is_empty())
                .then_some(("MACHINE_CLIENT_IDS", ids.clients.as_slice())),
        },
    );
    // API Gateway may invoke the function as this API's authorizer (an authorizer of a body
    // has no logical ID: any of the API's authorizers).
    let source = if body && !model.api.external {
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/authorizers/*"
            .to_string()
    } else {
        adopt::authorizer_source_arn(model).to_string()
    };
    authorizer_permission(w, n, "AuthorizerPermission", &source);
    if model.has_bound() && !body && !model.api.external {
        authorizer_permission(
            w,
            n,
            "AuthorizerByPathPermission",
            &format!(
                "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{RestApi}}/authorizers/${{{BY_PATH_AUTHORIZER}}}"
            ),
        );
    }
}

/// API Gateway may invoke the authorizer function from `source_arn` (an `Fn::Sub` template).
fn authorizer_permission(w: &mut Writer, n: &mut Count, id: &str, source_arn: &str) {
    resource(w, n, id, "AWS::Lambda::Permission", no_head, &[], |w| {
        w.str("Action", "lambda:InvokeFunction");
        get_att(w, "FunctionName", "AuthorizerFunction", "Arn");
        w.str("Principal", "apigateway.amazonaws.com");
        sub(w, "SourceArn", source_arn);
    });
}

/// Text of at most `max` characters (AVP's descriptions), cut at a character boundary.
fn at_most(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The policy store (STRICT, with the schema), its Cognito identity source, and one static
/// policy per group whose text gets the pool id joined in at deploy time (`Fn::Join`, so no
/// name is ever read as a substitution).
fn verified_permissions(
    model: &Model,
    ids: &LogicalIds,
    cedar: &Cedar,
    w: &mut Writer,
    n: &mut Count,
) {
    let ns = &cedar.namespace;
    resource(
        w,
        n,
        "PolicyStore",
        "AWS::VerifiedPermissions::PolicyStore",
        no_head,
        &[],
        |w| {
            w.str(
                "Description",
                &at_most(
                    &format!("rolegen: {} ({})", model.api.name, model.api.stage),
                    150,
                ),
            );
            w.map("ValidationSettings", |w| w.str("Mode", "STRICT"));
            w.map("Schema", |w| w.str("CedarJson", &cedar.schema));
        },
    );
    resource(
        w,
        n,
        "IdentitySource",
        "AWS::VerifiedPermissions::IdentitySource",
        no_head,
        &[],
        |w| {
            r(w, "PolicyStoreId", "PolicyStore");
            w.str("PrincipalEntityType", &format!("{ns}::User"));
            w.map("Configuration", |w| {
                w.map("CognitoUserPoolConfiguration", |w| {
                    adopt::pool_arn(model, w, "UserPoolArn");
                    w.seq("ClientIds", |w| {
                        w.item_map(|w| w.str("Ref", "UserPoolClient"))
                    });
                    w.map("GroupConfiguration", |w| {
                        w.str("GroupEntityType", &format!("{ns}::UserGroup"))
                    });
                })
            });
        },
    );
    for (p, id) in cedar.policies.iter().zip(&ids.policies) {
        let whose = match (p.group, p.client, p.bound) {
            (Some(g), _, None) => format!("group {}", model.group(g).name),
            (None, Some(c), _) => format!("machine client {}", model.client(c).name),
            (None, None, None) => "any signed-in user (authenticated routes)".to_string(),
            (g, _, Some(r)) => format!(
                "{}, only on their own values of {}",
                g.map_or("any signed-in user", |g| model.group(g).name.as_str()),
                model.route(r).key()
            ),
        };
        resource(
            w,
            n,
            id,
            "AWS::VerifiedPermissions::Policy",
            no_head,
            &[],
            |w| {
                r(w, "PolicyStoreId", "PolicyStore");
                w.map("Definition", |w| {
                    w.map("Static", |w| {
                        let what = if p.part == 1 {
                            format!("rolegen: {whose}")
                        } else {
                            format!("rolegen: {whose}, part {}", p.part)
                        };
                        w.str("Description", &at_most(&what, 150));
                        match &p.after {
                            Some(after) => w.map("Statement", |w| {
                                w.seq("Fn::Join", |w| {
                                    w.item_str("");
                                    w.item_seq(|w| {
                                        w.item_str(&p.before);
                                        w.item_map(|w| w.str("Ref", adopt::pool_id(model)));
                                        w.item_str(after);
                                    });
                                })
                            }),
                            None => w.str("Statement", &p.before),
                        }
                    })
                });
            },
        );
    }
}

fn api(model: &Model, ids: &LogicalIds, document: Option<&str>, w: &mut Writer, n: &mut Count) {
    if model.settings.definition.is_document() {
        return body::api(model, document, w, n);
    }
    let rest_api_start = w.len();
    resource(
        w,
        n,
        "RestApi",
        "AWS::ApiGateway::RestApi",
        no_head,
        &[],
        |w| rest_api_properties(model, w),
    );

    // A resource policy takes effect only with a new deployment: a private API's REST API
    // (its policy) goes into the fingerprint too. (The others' does not, so their
    // deployments keep the IDs they had.)
    let rest_api = match model.api.endpoint {
        Endpoint::Private { .. } => w.written_since(rest_api_start).to_string(),
        _ => String::new(),
    };

    // Only the part of the API that decides what the stage serves (authorizer, resources,
    // methods) goes into the deployment's fingerprint, so a new deployment happens exactly
    // when authorization or routes change. Those resources are written one after another,
    // and their text is what is hashed.
    let api_start = w.len();
    resource(
        w,
        n,
        "Authorizer",
        "AWS::ApiGateway::Authorizer",
        no_head,
        &[],
        |w| match model.api.strategy {
            Strategy::CognitoScopes => {
                w.str("Name", "CognitoUserPool");
                w.str("Type", "COGNITO_USER_POOLS");
                r(w, "RestApiId", "RestApi");
                w.str("IdentitySource", "method.request.header.Authorization");
                w.seq("ProviderARNs", |w| {
                    w.item_map(|w| adopt::pool_arn_entries(model, w))
                });
            }
            // The cache key: the token and the route, so that a cached answer is only ever
            // applied to the route it was given for.
            Strategy::Lambda | Strategy::VerifiedPermissions => request_authorizer(
                model,
                w,
                "LambdaRequestAuthorizer",
                super::authorizer::IDENTITY_SOURCE,
            ),
        },
    );
    if model.has_bound() && model.api.strategy.uses_lambda_authorizer() {
        // The cache key holds the concrete path: `match` routes are decided on the path's
        // values, so an answer must never serve another value.
        resource(
            w,
            n,
            BY_PATH_AUTHORIZER,
            "AWS::ApiGateway::Authorizer",
            no_head,
            &[],
            |w| {
                request_authorizer(
                    model,
                    w,
                    "LambdaRequestAuthorizerByPath",
                    super::authorizer::IDENTITY_SOURCE_BY_PATH,
                )
            },
        );
    }

    // One Resource per distinct path prefix, ordered by the path as written (a parent is a
    // prefix of its children's paths, so it comes first).
    let mut texts = String::new();
    let mut ordered: Vec<(std::ops::Range<usize>, &ApiResource)> = ids
        .resources
        .iter()
        .map(|res| {
            let start = texts.len();
            push_segments(&mut texts, res.prefix);
            (start..texts.len(), res)
        })
        .collect();
    ordered.sort_unstable_by(|a, b| texts[a.0.clone()].cmp(&texts[b.0.clone()]));
    let mut part = String::new();
    for (_, res) in ordered {
        n.api_resources += 1;
        resource(
            w,
            n,
            &res.id,
            "AWS::ApiGateway::Resource",
            no_head,
            &[],
            |w| {
                r(w, "RestApiId", "RestApi");
                match res.parent {
                    None => get_att(w, "ParentId", "RestApi", "RootResourceId"),
                    Some(p) => r(w, "ParentId", &ids.resources[p].id),
                }
                // The last segment as the path writes it (`orders`, `{orderId}`, `{proxy+}`).
                part.clear();
                push_segments(&mut part, &res.prefix[res.prefix.len() - 1..]);
                w.str("PathPart", &part[1..]);
            },
        );
    }

    for ((route, id), res) in model
        .routes
        .iter()
        .zip(&ids.methods)
        .zip(&ids.route_resource)
    {
        n.api_resources += 1;
        let resource_id = res.map(|i| ids.resources[i].id.as_str());
        method(model, route, id, resource_id, w, n);
    }
    let preflights = cors::write(model, ids, w, n);
    let fingerprint = if rest_api.is_empty() {
        short_hash(w.written_since(api_start).as_bytes(), 12)
    } else {
        short_hash(
            format!("{rest_api}{}", w.written_since(api_start)).as_bytes(),
            12,
        )
    };

    lambda_permissions(model, w, n);

    let deployment = format!("Deployment{}", fingerprint.to_uppercase());
    // The deployment must wait for every method: a deployment of an API without methods
    // fails, and one made before a method exists would not serve it.
    resource(
        w,
        n,
        &deployment,
        "AWS::ApiGateway::Deployment",
        |w| {
            w.strs(
                "DependsOn",
                ids.methods.iter().chain(&preflights).map(String::as_str),
            )
        },
        &[],
        |w| {
            r(w, "RestApiId", "RestApi");
            w.str("Description", &format!("rolegen {fingerprint}"));
        },
    );
    stage_resources(model, &deployment, w, n);
}

/// The permission for the API to invoke each Lambda integration.
fn lambda_permissions(model: &Model, w: &mut Writer, n: &mut Count) {
    for p in model.lambda_params() {
        resource(
            w,
            n,
            &lambda_permission_id(p),
            "AWS::Lambda::Permission",
            no_head,
            &[],
            |w| {
                w.str("Action", "lambda:InvokeFunction");
                r(w, "FunctionName", p);
                w.str("Principal", "apigateway.amazonaws.com");
                sub(
                    w,
                    "SourceArn",
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/*/*/*",
                );
            },
        );
    }
}

/// The access log group and the stage serving `deployment`.
fn stage_resources(model: &Model, deployment: &str, w: &mut Writer, n: &mut Count) {
    stage::log_group(model, w, n);
    let stage_head = |w: &mut Writer| stage::head(model, w);
    let skips = stage::checkov_skips(model);
    resource_with(
        w,
        n,
        "Stage",
        "AWS::ApiGateway::Stage",
        stage_head,
        &[],
        &skips,
        |w| {
            r(w, "RestApiId", "RestApi");
            w.str("StageName", &model.api.stage);
            r(w, "DeploymentId", deployment);
            stage::properties(model, w);
        },
    );
}

/// The properties of a REQUEST authorizer of rolegen's function, keyed on `identity_source`.
fn request_authorizer(model: &Model, w: &mut Writer, name: &str, identity_source: &str) {
    w.str("Name", name);
    w.str("Type", "REQUEST");
    r(w, "RestApiId", "RestApi");
    w.str("IdentitySource", identity_source);
    w.int(
        "AuthorizerResultTtlInSeconds",
        i64::from(model.api.authorizer_ttl),
    );
    sub(
        w,
        "AuthorizerUri",
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthorizerFunction.Arn}/invocations",
    );
}

/// The route's method; `resource` is the logical ID of its path's API Gateway resource
/// (`None` for the root).
fn method(
    model: &Model,
    route: &Route,
    id: &str,
    resource_id: Option<&str>,
    w: &mut Writer,
    n: &mut Count,
) {
    let skips: &[(&str, &str)] = match route.access {
        Access::Public => &[checkov::PUBLIC_METHOD],
        _ => &[],
    };
    resource_with(
        w,
        n,
        id,
        "AWS::ApiGateway::Method",
        no_head,
        &[],
        skips,
        |w| {
            method_target(w, resource_id);
            w.str("HttpMethod", route.method.as_str());
            method_auth(model, route, w);
            match &route.integration {
                Integration::Mock => mock(
                    w,
                    |w| cors::mock_integration_response(model, w),
                    |w| cors::mock_method_response(model, w),
                ),
                Integration::Lambda { param } => {
                    w.map("Integration", |w| {
                        w.str("Type", "AWS_PROXY");
                        w.str("IntegrationHttpMethod", "POST");
                        sub(
                            w,
                            "Uri",
                            &format!(
                                "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{param}}}/invocations"
                            ),
                        );
                    });
                }
                Integration::Http { url } => {
                    let mut key = String::new();
                    if route.path.variables().next().is_some() {
                        w.map("RequestParameters", |w| {
                            for v in route.path.variables() {
                                key.clear();
                                key.push_str("method.request.path.");
                                key.push_str(v);
                                w.bool(&key, true);
                            }
                        });
                    }
                    w.map("Integration", |w| {
                        w.str("Type", "HTTP_PROXY");
                        w.str("IntegrationHttpMethod", route.method.as_str());
                        w.str("Uri", url);
                        path_mappings(w, "RequestParameters", route);
                    });
                }
            }
        },
    );
}

/// `k:` and what an HTTP proxy integration passes on of the route's path variables
/// (`integration.request.path.id: method.request.path.id`); nothing without variables.
pub(super) fn path_mappings(w: &mut Writer, k: &str, route: &Route) {
    if route.path.variables().next().is_none() {
        return;
    }
    let (mut key, mut value) = (String::new(), String::new());
    w.map(k, |w| {
        for v in route.path.variables() {
            key.clear();
            key.push_str("integration.request.path.");
            key.push_str(v);
            value.clear();
            value.push_str("method.request.path.");
            value.push_str(v);
            w.str(&key, &value);
        }
    });
}

/// A private API's resource policy (the template's `Policy`, the document's
/// `x-amazon-apigateway-policy`): requests through any other VPC endpoint are denied, those
/// through the listed ones allowed.
/// The `RestApi`'s own properties, whatever defines its paths: name, description, endpoint
/// type and, for a private API, its VPC endpoints and resource policy.
fn rest_api_properties(model: &Model, w: &mut Writer) {
    w.str("Name", &model.api.name);
    if let Some(d) = &model.api.description {
        w.str("Description", d);
    }
    let endpoint = &model.api.endpoint;
    w.map("EndpointConfiguration", |w| {
        w.strs("Types", [endpoint.as_str()]);
        if let Endpoint::Private { vpc_endpoint_ids } = endpoint {
            w.strs(
                "VpcEndpointIds",
                vpc_endpoint_ids.iter().map(String::as_str),
            );
        }
    });
    // A private API without a resource policy cannot be called at all; this one admits
    // requests through the listed VPC endpoints and denies every other.
    if let Endpoint::Private { vpc_endpoint_ids } = endpoint {
        w.map("Policy", |w| private_api_policy(w, vpc_endpoint_ids));
    }
}

pub(super) fn private_api_policy(w: &mut Writer, vpc_endpoint_ids: &[String]) {
    let invoke = |w: &mut Writer, effect: &str| {
        w.str("Effect", effect);
        w.str("Principal", "*");
        w.str("Action", "execute-api:Invoke");
        w.str("Resource", "execute-api:/*");
    };
    w.str("Version", "2012-10-17");
    w.seq("Statement", |w| {
        w.item_map(|w| {
            invoke(w, "Deny");
            w.map("Condition", |w| {
                w.map("StringNotEquals", |w| {
                    w.strs(
                        "aws:SourceVpce",
                        vpc_endpoint_ids.iter().map(String::as_str),
                    )
                })
            });
        });
        w.item_map(|w| invoke(w, "Allow"));
    });
}

/// Which resource a method is on: the API, and the resource (`None`: the API's root).
fn method_target(w: &mut Writer, resource_id: Option<&str>) {
    r(w, "RestApiId", "RestApi");
    match resource_id {
        Some(res) => r(w, "ResourceId", res),
        None => get_att(w, "ResourceId", "RestApi", "RootResourceId"),
    }
}

/// A mock integration answering 200 and the method's 200 response; `integration` and `method`
/// add to their 200 entries (the CORS headers).
fn mock(w: &mut Writer, integration: impl FnOnce(&mut Writer), method: impl FnOnce(&mut Writer)) {
    w.map("Integration", |w| {
        w.str("Type", "MOCK");
        w.map("RequestTemplates", |w| {
            w.str("application/json", "{\"statusCode\": 200}")
        });
        w.seq("IntegrationResponses", |w| {
            w.item_map(|w| {
                w.str("StatusCode", "200");
                integration(w);
            })
        });
    });
    w.seq("MethodResponses", |w| {
        w.item_map(|w| {
            w.str("StatusCode", "200");
            method(w);
        })
    });
}

/// How a protected method is authorized under the model's strategy.
fn method_auth(model: &Model, route: &Route, w: &mut Writer) {
    match &route.access {
        Access::Public => w.str("AuthorizationType", "NONE"),
        Access::AnyOf(_) | Access::Authenticated => match model.api.strategy {
            Strategy::CognitoScopes => {
                w.str("AuthorizationType", "COGNITO_USER_POOLS");
                r(w, "AuthorizerId", "Authorizer");
                let scopes = model.method_scopes(route);
                w.strs("AuthorizationScopes", scopes.iter().map(String::as_str));
            }
            Strategy::Lambda | Strategy::VerifiedPermissions => {
                w.str("AuthorizationType", "CUSTOM");
                if route.bound.is_empty() {
                    r(w, "AuthorizerId", "Authorizer");
                } else {
                    r(w, "AuthorizerId", BY_PATH_AUTHORIZER);
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_are_alphanumeric_and_distinct() {
        assert_eq!(ident("Admin"), "Admin");
        let a = ident("a-b");
        let b = ident("ab");
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        let weird = ident("\"];process.exit(1);//");
        assert!(weird.chars().all(|c| c.is_ascii_alphanumeric()), "{weird}");
    }

    #[test]
    fn path_idents_keep_variables_apart_from_literals() {
        let a = resource_id(&Path::parse("/a/{b}").unwrap());
        let b = resource_id(&Path::parse("/a/b").unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with("ResourceAByB"), "{a}");
    }

    #[test]
    fn a_parameter_named_like_a_resource_is_refused() {
        let text = "version: 1\napi: {name: a, stage: prod, authorizer: cognito-scopes}\nuser_pool: {name: p}\nresource_server: {identifier: api, name: A}\nscopes: {read: r}\ngroups: {G: {scopes: [read]}}\nroutes:\n  GET /a:\n    scopes: [read]\n    integration: {lambda: UserPool}\n";
        let loaded = crate::cmd::load_text("roles.yaml", text.to_string());
        let model = loaded.model.expect("valid roles file");
        let errors = generate(&model).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, "cfn-logical-id");
        assert!(
            errors[0]
                .message
                .contains("the Lambda parameter `UserPool`")
                && errors[0]
                    .message
                    .contains("`UserPool`, already used by a resource rolegen always generates"),
            "{}",
            errors[0].message
        );
    }
}
