//! `roles.yaml` as written: every value still carries its span, nothing is resolved yet.
//!
//! The walker checks only the shape (keys, types); what the values mean is checked when the
//! access model is built (`model::build`). It keeps going after a problem so that one run
//! reports every mistake in the file.

use super::yaml::{Kind, Node};
use crate::diag::{Diagnostic, Span, suggest};
use std::borrow::Cow;
use std::fmt;

mod stage;
pub use stage::{RawCors, RawLogging, RawStage, RawThrottle};

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct S<T> {
    pub value: T,
    pub span: Span,
}

impl<T> S<T> {
    pub fn new(value: T, span: Span) -> Self {
        S { value, span }
    }
}

/// The keys each mapping accepts. The JSON Schema (`config::schema`) is tested against these
/// lists, so the schema an editor uses and the parser can't disagree.
pub mod keys {
    pub const TOP: &[&str] = &[
        "version",
        "api",
        "user_pool",
        "resource_server",
        "scopes",
        "groups",
        "routes",
        "clients",
        "pretoken",
    ];
    pub const API: &[&str] = &[
        "name",
        "stage",
        "authorizer",
        "description",
        "authorizer_ttl",
        "token",
        "endpoint",
        "vpc_endpoint_ids",
        "logging",
        "tracing",
        "metrics",
        "throttle",
        "cors",
        "external",
        "definition",
    ];
    pub const USER_POOL: &[&str] = &[
        "name",
        "deletion_policy",
        "domain",
        "callback_urls",
        "logout_urls",
        "mfa",
        "existing",
    ];
    pub const RESOURCE_SERVER: &[&str] = &["identifier", "name"];
    pub const PRETOKEN: &[&str] = &["extend"];
    pub const GROUP: &[&str] = &["description", "precedence", "scopes", "includes"];
    pub const ROUTE: &[&str] = &[
        "scopes",
        "public",
        "authenticated",
        "match",
        "integration",
        "throttle",
    ];
    pub const CLIENT: &[&str] = &["description", "scopes"];
    pub use super::stage::keys::{CORS, LOGGING, THROTTLE};
    pub const INTEGRATION: &[&str] = &["mock", "lambda", "http"];
}

/// A string value as written. It borrows from the file's text (only a quoted value with
/// escapes owns its string), so reading a file does not copy every name in it.
pub type Text<'a> = S<Cow<'a, str>>;

#[derive(Clone, Debug, Default)]
pub struct Raw<'a> {
    pub version: Option<S<i64>>,
    pub api: RawApi<'a>,
    pub user_pool: RawUserPool<'a>,
    pub resource_server: RawResourceServer<'a>,
    /// `pretoken.extend`: the team's own trigger, run inside the generated one.
    pub pretoken_extend: Option<Text<'a>>,
    /// Scope name and description, in file order.
    pub scopes: Vec<(Text<'a>, Option<Text<'a>>)>,
    pub groups: Vec<RawGroup<'a>>,
    pub routes: Vec<RawRoute<'a>>,
    /// Machine clients (`clients:`), in file order.
    pub clients: Vec<RawClient<'a>>,
    /// Where each top-level key is written; errors about a missing entry point there.
    pub section_spans: Vec<(&'static str, Span)>,
    /// Keys that are written but could not be read (`api`, `api.stage`, `version`): a shape
    /// error was reported for each, so the model must not also call them missing.
    pub unreadable: Vec<String>,
}

/// In `Raw::unreadable`: the whole file could not be read as a mapping.
const ALL: &str = "*";

impl Raw<'_> {
    /// Whether `path` (`version`, `api`, `api.stage`), the section holding it, or the whole
    /// file is written but unreadable.
    pub fn is_unreadable(&self, path: &str) -> bool {
        let section = path.split('.').next().unwrap_or(path);
        self.unreadable
            .iter()
            .any(|u| u == path || u == section || u == ALL)
    }

    /// The same, owning its strings: to keep after the text is gone.
    pub fn into_owned(self) -> Raw<'static> {
        fn own(t: Text) -> Text<'static> {
            S::new(Cow::Owned(t.value.into_owned()), t.span)
        }
        fn own_all(v: Vec<Text>) -> Vec<Text<'static>> {
            v.into_iter().map(own).collect()
        }
        Raw {
            version: self.version,
            api: RawApi {
                name: self.api.name.map(own),
                stage: self.api.stage.map(own),
                authorizer: self.api.authorizer.map(own),
                description: self.api.description.map(own),
                authorizer_ttl: self.api.authorizer_ttl,
                token: self.api.token.map(own),
                endpoint: self.api.endpoint.map(own),
                vpc_endpoint_ids: self
                    .api
                    .vpc_endpoint_ids
                    .map(|ids| S::new(own_all(ids.value), ids.span)),
                settings: self.api.settings,
                external: self.api.external,
            },
            user_pool: RawUserPool {
                name: self.user_pool.name.map(own),
                deletion_policy: self.user_pool.deletion_policy.map(own),
                domain: self.user_pool.domain.map(own),
                callback_urls: self
                    .user_pool
                    .callback_urls
                    .map(|u| S::new(own_all(u.value), u.span)),
                logout_urls: self
                    .user_pool
                    .logout_urls
                    .map(|u| S::new(own_all(u.value), u.span)),
                mfa: self.user_pool.mfa.map(own),
                existing: self.user_pool.existing,
            },
            pretoken_extend: self.pretoken_extend.map(own),
            resource_server: RawResourceServer {
                identifier: self.resource_server.identifier.map(own),
                name: self.resource_server.name.map(own),
            },
            scopes: self
                .scopes
                .into_iter()
                .map(|(name, description)| (own(name), description.map(own)))
                .collect(),
            groups: self
                .groups
                .into_iter()
                .map(|g| RawGroup {
                    name: own(g.name),
                    description: g.description.map(own),
                    precedence: g.precedence,
                    scopes: own_all(g.scopes),
                    includes: own_all(g.includes),
                })
                .collect(),
            routes: self
                .routes
                .into_iter()
                .map(|r| RawRoute {
                    key: own(r.key),
                    access: match r.access {
                        RawAccess::Public(span) => RawAccess::Public(span),
                        RawAccess::Authenticated(span) => RawAccess::Authenticated(span),
                        RawAccess::Scopes(list) => RawAccess::Scopes(own_all(list)),
                    },
                    matches: r.matches.map(|m| {
                        S::new(
                            m.value.into_iter().map(|(v, c)| (own(v), own(c))).collect(),
                            m.span,
                        )
                    }),
                    integration: r.integration.map(|i| {
                        let value = match i.value {
                            RawIntegration::Mock => RawIntegration::Mock,
                            RawIntegration::Lambda(p) => RawIntegration::Lambda(own(p)),
                            RawIntegration::Http(u) => RawIntegration::Http(own(u)),
                        };
                        S::new(value, i.span)
                    }),
                    throttle: r.throttle,
                })
                .collect(),
            clients: self
                .clients
                .into_iter()
                .map(|c| RawClient {
                    name: own(c.name),
                    description: c.description.map(own),
                    scopes: own_all(c.scopes),
                })
                .collect(),
            section_spans: self.section_spans,
            unreadable: self.unreadable,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct RawApi<'a> {
    pub name: Option<Text<'a>>,
    pub stage: Option<Text<'a>>,
    pub authorizer: Option<Text<'a>>,
    pub description: Option<Text<'a>>,
    pub authorizer_ttl: Option<S<i64>>,
    pub token: Option<Text<'a>>,
    pub endpoint: Option<Text<'a>>,
    pub vpc_endpoint_ids: Option<S<Vec<Text<'a>>>>,
    /// Logging, tracing, metrics, throttling, CORS (`raw::stage`).
    pub settings: RawStage,
    /// `api.external`: another tool (SAM, CDK) owns the REST API.
    pub external: Option<S<bool>>,
}

#[derive(Clone, Debug, Default)]
pub struct RawUserPool<'a> {
    pub name: Option<Text<'a>>,
    pub deletion_policy: Option<Text<'a>>,
    /// Prefix of the hosted sign-in domain (`<prefix>.auth.<region>.amazoncognito.com`).
    pub domain: Option<Text<'a>>,
    pub callback_urls: Option<S<Vec<Text<'a>>>>,
    pub logout_urls: Option<S<Vec<Text<'a>>>>,
    pub mfa: Option<Text<'a>>,
    /// `user_pool.existing`: the pool exists already; the template takes it as parameters.
    pub existing: Option<S<bool>>,
}

#[derive(Clone, Debug, Default)]
pub struct RawResourceServer<'a> {
    pub identifier: Option<Text<'a>>,
    pub name: Option<Text<'a>>,
}

#[derive(Clone, Debug)]
pub struct RawGroup<'a> {
    pub name: Text<'a>,
    pub description: Option<Text<'a>>,
    pub precedence: Option<S<i64>>,
    pub scopes: Vec<Text<'a>>,
    pub includes: Vec<Text<'a>>,
}

#[derive(Clone, Debug)]
pub struct RawRoute<'a> {
    /// `GET /orders/{orderId}` as written.
    pub key: Text<'a>,
    pub access: RawAccess<'a>,
    /// `match: {<path variable>: <claim>}` as written; the span is the mapping's.
    pub matches: Option<S<Vec<(Text<'a>, Text<'a>)>>>,
    pub integration: Option<S<RawIntegration<'a>>>,
    /// Overrides `api.throttle` for this route.
    pub throttle: Option<S<RawThrottle>>,
}

#[derive(Clone, Debug)]
pub struct RawClient<'a> {
    pub name: Text<'a>,
    pub description: Option<Text<'a>>,
    pub scopes: Vec<Text<'a>>,
}

#[derive(Clone, Debug)]
pub enum RawAccess<'a> {
    Public(Span),
    /// Any signed-in user of the pool.
    Authenticated(Span),
    Scopes(Vec<Text<'a>>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum RawIntegration<'a> {
    Mock,
    /// Name of the template parameter that holds the function's ARN.
    Lambda(Text<'a>),
    Http(Text<'a>),
}

/// A route's value: who may call it, the path variables bound to claims, its integration.
type RouteValue<'a> = (
    RawAccess<'a>,
    Option<S<Vec<(Text<'a>, Text<'a>)>>>,
    Option<S<RawIntegration<'a>>>,
);

/// Walks the node tree of a whole file.
pub fn walk<'a>(root: &Node<'a>, diags: &mut Vec<Diagnostic>) -> Raw<'a> {
    let mut w = Walker {
        diags,
        unreadable: Vec::new(),
    };
    let mut raw = Raw::default();
    if root.kind == Kind::Null {
        w.diags.push(
            Diagnostic::error("empty-file", "the roles file is empty")
                .at(root.span)
                .help("start with `version: 1`, then the `api`, `user_pool`, `resource_server`, `scopes`, `groups` and `routes` sections (`rolegen schema` prints the format)"),
        );
        raw.unreadable.push(ALL.to_string());
        return raw;
    }
    let Some(top) = w.fields(root, What::Text("the roles file"), keys::TOP) else {
        // One error for a file that is not a mapping, not one per missing key besides.
        raw.unreadable.push(ALL.to_string());
        return raw;
    };
    for (key, value) in top.iter() {
        raw.section_spans.push((key.static_name, key.span));
        let before = w.diags.len();
        match key.static_name {
            "version" => raw.version = w.int(value, What::Text("`version`")),
            "api" => raw.api = w.api(value),
            "user_pool" => raw.user_pool = w.user_pool(value),
            "resource_server" => raw.resource_server = w.resource_server(value),
            "scopes" => raw.scopes = w.scopes(value),
            "groups" => raw.groups = w.groups(value),
            "routes" => raw.routes = w.routes(value),
            "clients" => raw.clients = w.clients(value),
            "pretoken" => raw.pretoken_extend = w.pretoken(value),
            _ => unreachable!("fields() returns only known keys"),
        }
        let is_section = matches!(key.static_name, "api" | "user_pool" | "resource_server");
        if (key.static_name == "version" && w.diags.len() > before)
            || (is_section && !matches!(value.kind, Kind::Map(_)))
        {
            raw.unreadable.push(key.static_name.to_string());
        }
    }
    raw.unreadable.append(&mut w.unreadable);
    raw
}

/// What a value is, as messages name it ("the scopes of route `GET /a`"). Built for every
/// value but written out only when a message is made: formatting it eagerly for each route
/// and each of its scopes cost more than reading them.
#[derive(Clone, Copy)]
enum What<'a> {
    /// Said as is: "the roles file", "`api.name`".
    Text(&'a str),
    /// A named thing: "route `GET /a`".
    Named(&'static str, &'a str),
    /// A part of another thing: "the scopes of " and the thing.
    Of(&'static str, &'a What<'a>),
}

impl fmt::Display for What<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            What::Text(t) => f.write_str(t),
            What::Named(kind, name) => write!(f, "{kind} `{name}`"),
            What::Of(part, whole) => write!(f, "{part}{whole}"),
        }
    }
}

struct Walker<'d> {
    diags: &'d mut Vec<Diagnostic>,
    /// `section.key` paths whose value had the wrong type.
    unreadable: Vec<String>,
}

/// A key of a fixed-shape mapping, matched to the `&'static str` the walker expects.
#[derive(Clone, Copy)]
struct Key {
    static_name: &'static str,
    span: Span,
}

/// The most keys a fixed-shape mapping has (`keys::API`).
const MAX_FIELDS: usize = 16;
const _: () = assert!(
    keys::TOP.len() <= MAX_FIELDS
        && keys::API.len() <= MAX_FIELDS
        && keys::USER_POOL.len() <= MAX_FIELDS
        && keys::RESOURCE_SERVER.len() <= MAX_FIELDS
        && keys::PRETOKEN.len() <= MAX_FIELDS
        && keys::GROUP.len() <= MAX_FIELDS
        && keys::ROUTE.len() <= MAX_FIELDS
        && keys::INTEGRATION.len() <= MAX_FIELDS
        && keys::CLIENT.len() <= MAX_FIELDS
);

/// The known keys of a mapping and their values, in file order; each key at most once, so
/// they fit in place (one heap list per route was a noticeable part of reading).
struct Fields<'n, 'a> {
    items: [Option<(Key, &'n Node<'a>)>; MAX_FIELDS],
    len: usize,
}

impl<'n, 'a> Fields<'n, 'a> {
    fn iter(&self) -> impl Iterator<Item = (Key, &'n Node<'a>)> + '_ {
        self.items[..self.len].iter().flatten().copied()
    }
}

impl Walker<'_> {
    /// Records `section.key` as unreadable when reading it reported a problem.
    fn note_unreadable(&mut self, section: &str, key: &Key, diags_before: usize) {
        if self.diags.len() > diags_before {
            self.unreadable
                .push(format!("{section}.{}", key.static_name));
        }
    }

    fn type_error(&mut self, node: &Node, what: What, expected: &str) {
        self.diags.push(
            Diagnostic::error(
                "wrong-type",
                format!("{what} must be {expected}, found {}", node.kind.describe()),
            )
            .at(node.span)
            .label(format!("expected {expected}")),
        );
    }

    /// A mapping with a fixed set of keys: unknown keys get a "did you mean", duplicates an
    /// error each; known keys are returned in file order.
    fn fields<'n, 'a>(
        &mut self,
        node: &'n Node<'a>,
        what: What,
        known: &'static [&'static str],
    ) -> Option<Fields<'n, 'a>> {
        let entries = self.map(node, what)?;
        let mut out = Fields {
            items: [None; MAX_FIELDS],
            len: 0,
        };
        for (k, v) in entries {
            let Some(name) = self.key_str(k) else {
                continue;
            };
            match known.iter().find(|&&n| n == name) {
                Some(&static_name) => {
                    if out.iter().any(|(seen, _)| seen.static_name == static_name) {
                        self.diags.push(
                            Diagnostic::error(
                                "duplicate-key",
                                format!("key `{static_name}` appears twice in {what}"),
                            )
                            .at(k.span)
                            .label("second occurrence"),
                        );
                    } else {
                        out.items[out.len] = Some((
                            Key {
                                static_name,
                                span: k.span,
                            },
                            v,
                        ));
                        out.len += 1;
                    }
                }
                None => self.diags.push(
                    Diagnostic::error("unknown-key", format!("unknown key `{name}` in {what}"))
                        .at(k.span)
                        .label("not a known key")
                        .help(suggest(name, known.iter().copied())),
                ),
            }
        }
        Some(out)
    }

    fn map<'n, 'a>(
        &mut self,
        node: &'n Node<'a>,
        what: What,
    ) -> Option<&'n [(Node<'a>, Node<'a>)]> {
        match &node.kind {
            Kind::Map(entries) => Some(entries),
            _ => {
                self.type_error(node, what, "a mapping");
                None
            }
        }
    }

    /// Names (of groups, scopes, routes) are keys: they must be written as strings, so that
    /// a group called `404` or `true` is what the user meant and not a number or a boolean.
    fn key_str<'n, 'a>(&mut self, key: &'n Node<'a>) -> Option<&'n Cow<'a, str>> {
        match &key.kind {
            Kind::Str(s) => Some(s),
            other => {
                self.diags.push(
                    Diagnostic::error(
                        "wrong-type",
                        format!("a key must be a string, found {}", other.describe()),
                    )
                    .at(key.span)
                    .label("not a string")
                    .help("quote the key, e.g. `\"404\": ...`"),
                );
                None
            }
        }
    }

    fn key_name<'a>(&mut self, key: &Node<'a>) -> Option<Text<'a>> {
        self.key_str(key).map(|s| S::new(s.clone(), key.span))
    }

    fn string<'a>(&mut self, node: &Node<'a>, what: What) -> Option<Text<'a>> {
        match &node.kind {
            Kind::Str(s) => Some(S::new(s.clone(), node.span)),
            _ => {
                self.type_error(node, what, "a string");
                None
            }
        }
    }

    fn int(&mut self, node: &Node, what: What) -> Option<S<i64>> {
        match &node.kind {
            Kind::Int(i) => Some(S::new(*i, node.span)),
            _ => {
                self.type_error(node, what, "a whole number");
                None
            }
        }
    }

    fn bool(&mut self, node: &Node, what: What) -> Option<S<bool>> {
        match &node.kind {
            Kind::Bool(b) => Some(S::new(*b, node.span)),
            _ => {
                self.type_error(node, what, "`true` or `false`");
                None
            }
        }
    }

    /// A list of names; a single name is accepted as a list of one.
    fn names<'a>(&mut self, node: &Node<'a>, what: What) -> Vec<Text<'a>> {
        match &node.kind {
            Kind::Seq(items) => {
                let entry = What::Of("an entry of ", &what);
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(name) = self.string(item, entry) {
                        out.push(name);
                    }
                }
                out
            }
            Kind::Str(s) => vec![S::new(s.clone(), node.span)],
            Kind::Null => Vec::new(),
            _ => {
                self.type_error(node, what, "a list of names");
                Vec::new()
            }
        }
    }

    fn api<'a>(&mut self, node: &Node<'a>) -> RawApi<'a> {
        let mut api = RawApi::default();
        let Some(fields) = self.fields(node, What::Text("`api`"), keys::API) else {
            return api;
        };
        for (key, v) in fields.iter() {
            let before = self.diags.len();
            match key.static_name {
                "name" => api.name = self.string(v, What::Text("`api.name`")),
                "stage" => api.stage = self.string(v, What::Text("`api.stage`")),
                "authorizer" => api.authorizer = self.string(v, What::Text("`api.authorizer`")),
                "description" => api.description = self.string(v, What::Text("`api.description`")),
                "authorizer_ttl" => {
                    api.authorizer_ttl = self.int(v, What::Text("`api.authorizer_ttl`"))
                }
                "token" => api.token = self.string(v, What::Text("`api.token`")),
                "endpoint" => api.endpoint = self.string(v, What::Text("`api.endpoint`")),
                "vpc_endpoint_ids" => {
                    api.vpc_endpoint_ids = Some(S::new(
                        self.names(v, What::Text("`api.vpc_endpoint_ids`")),
                        v.span,
                    ))
                }
                "external" => api.external = self.bool(v, What::Text("`api.external`")),
                other => self.stage_setting(&mut api.settings, other, v),
            }
            self.note_unreadable("api", &key, before);
        }
        api
    }

    fn pretoken<'a>(&mut self, node: &Node<'a>) -> Option<Text<'a>> {
        let fields = self.fields(node, What::Text("`pretoken`"), keys::PRETOKEN)?;
        let mut extend = None;
        for (key, v) in fields.iter() {
            let before = self.diags.len();
            match key.static_name {
                "extend" => extend = self.string(v, What::Text("`pretoken.extend`")),
                _ => unreachable!(),
            }
            self.note_unreadable("pretoken", &key, before);
        }
        extend
    }

    fn user_pool<'a>(&mut self, node: &Node<'a>) -> RawUserPool<'a> {
        let mut pool = RawUserPool::default();
        let Some(fields) = self.fields(node, What::Text("`user_pool`"), keys::USER_POOL) else {
            return pool;
        };
        for (key, v) in fields.iter() {
            let before = self.diags.len();
            match key.static_name {
                "name" => pool.name = self.string(v, What::Text("`user_pool.name`")),
                "deletion_policy" => {
                    pool.deletion_policy = self.string(v, What::Text("`user_pool.deletion_policy`"))
                }
                "domain" => pool.domain = self.string(v, What::Text("`user_pool.domain`")),
                "callback_urls" => {
                    pool.callback_urls = Some(S::new(
                        self.names(v, What::Text("`user_pool.callback_urls`")),
                        v.span,
                    ))
                }
                "logout_urls" => {
                    pool.logout_urls = Some(S::new(
                        self.names(v, What::Text("`user_pool.logout_urls`")),
                        v.span,
                    ))
                }
                "mfa" => pool.mfa = self.string(v, What::Text("`user_pool.mfa`")),
                "existing" => pool.existing = self.bool(v, What::Text("`user_pool.existing`")),
                _ => unreachable!(),
            }
            self.note_unreadable("user_pool", &key, before);
        }
        pool
    }

    fn resource_server<'a>(&mut self, node: &Node<'a>) -> RawResourceServer<'a> {
        let mut rs = RawResourceServer::default();
        let Some(fields) =
            self.fields(node, What::Text("`resource_server`"), keys::RESOURCE_SERVER)
        else {
            return rs;
        };
        for (key, v) in fields.iter() {
            let before = self.diags.len();
            match key.static_name {
                "identifier" => {
                    rs.identifier = self.string(v, What::Text("`resource_server.identifier`"))
                }
                "name" => rs.name = self.string(v, What::Text("`resource_server.name`")),
                _ => unreachable!(),
            }
            self.note_unreadable("resource_server", &key, before);
        }
        rs
    }

    fn scopes<'a>(&mut self, node: &Node<'a>) -> Vec<(Text<'a>, Option<Text<'a>>)> {
        let Some(entries) = self.map(node, What::Text("`scopes`")) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Some(name) = self.key_name(k) else {
                continue;
            };
            let description = match &v.kind {
                Kind::Null => None,
                _ => self.string(
                    v,
                    What::Of("the description of ", &What::Named("scope", &name.value)),
                ),
            };
            out.push((name, description));
        }
        out
    }

    fn groups<'a>(&mut self, node: &Node<'a>) -> Vec<RawGroup<'a>> {
        let Some(entries) = self.map(node, What::Text("`groups`")) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Some(name) = self.key_name(k) else {
                continue;
            };
            let mut group = RawGroup {
                name,
                description: None,
                precedence: None,
                scopes: Vec::new(),
                includes: Vec::new(),
            };
            let what = What::Named("group", &group.name.value);
            if !matches!(v.kind, Kind::Null)
                && let Some(fields) = self.fields(v, what, keys::GROUP)
            {
                for (key, field) in fields.iter() {
                    match key.static_name {
                        "description" => {
                            group.description =
                                self.string(field, What::Of("the description of ", &what))
                        }
                        "precedence" => {
                            group.precedence =
                                self.int(field, What::Of("the precedence of ", &what))
                        }
                        "scopes" => {
                            group.scopes = self.names(field, What::Of("the scopes of ", &what))
                        }
                        "includes" => {
                            group.includes = self.names(field, What::Of("the includes of ", &what))
                        }
                        _ => unreachable!(),
                    }
                }
            }
            out.push(group);
        }
        out
    }

    fn routes<'a>(&mut self, node: &Node<'a>) -> Vec<RawRoute<'a>> {
        let Some(entries) = self.map(node, What::Text("`routes`")) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Some(key) = self.key_str(k) else {
                continue;
            };
            if let Some((access, matches, integration)) =
                self.route_value(v, What::Named("route", key))
            {
                let throttle = self.route_throttle(v, What::Named("route", key));
                out.push(RawRoute {
                    key: S::new(key.clone(), k.span),
                    access,
                    matches,
                    integration,
                    throttle,
                });
            }
        }
        out
    }

    /// `[scopes]`, `public`, `authenticated`, or the long form `{scopes: [...] | public: true |
    /// authenticated: true, match, integration}`.
    fn route_value<'a>(&mut self, v: &Node<'a>, what: What) -> Option<RouteValue<'a>> {
        match &v.kind {
            Kind::Seq(_) => Some((RawAccess::Scopes(self.names(v, what)), None, None)),
            Kind::Str(s) if s == "public" => Some((RawAccess::Public(v.span), None, None)),
            Kind::Str(s) if s == "authenticated" => {
                Some((RawAccess::Authenticated(v.span), None, None))
            }
            Kind::Str(s) => {
                self.diags.push(
                    Diagnostic::error(
                        "bad-route-value",
                        format!(
                            "{what} must list its scopes or say `public` or `authenticated`, found `{s}`"
                        ),
                    )
                    .at(v.span)
                    .label("neither a list of scopes, `public` nor `authenticated`")
                    .help(format!("write `[{s}]` if `{s}` is a scope")),
                );
                None
            }
            Kind::Map(_) => {
                let before = self.diags.len();
                let fields = self.fields(v, what, keys::ROUTE)?;
                let mut access = None;
                let mut public_seen = None;
                let mut authenticated_seen = None;
                let mut integration = None;
                let mut matches = None;
                for (key, field) in fields.iter() {
                    match key.static_name {
                        "scopes" => {
                            access = Some(RawAccess::Scopes(
                                self.names(field, What::Of("the scopes of ", &what)),
                            ))
                        }
                        "public" => match field.kind {
                            Kind::Bool(true) => public_seen = Some(field.span),
                            Kind::Bool(false) => {}
                            _ => self.type_error(field, What::Of("`public` of ", &what), "`true`"),
                        },
                        "authenticated" => match field.kind {
                            Kind::Bool(true) => authenticated_seen = Some(field.span),
                            Kind::Bool(false) => {}
                            _ => self.type_error(
                                field,
                                What::Of("`authenticated` of ", &what),
                                "`true`",
                            ),
                        },
                        "integration" => integration = self.integration(field, what),
                        "match" => matches = self.matches(field, what),
                        // Read by `route_throttle`.
                        "throttle" => {}
                        _ => unreachable!(),
                    }
                }
                if let Some(span) = authenticated_seen {
                    if access.is_some() || public_seen.is_some() {
                        self.diags.push(
                            Diagnostic::error(
                                "bad-route-value",
                                format!(
                                    "{what} is `authenticated` and also {}",
                                    if access.is_some() {
                                        "protected by scopes"
                                    } else {
                                        "`public`"
                                    }
                                ),
                            )
                            .at(span)
                            .label("say one of `scopes`, `public: true`, `authenticated: true`"),
                        );
                        return None;
                    }
                    return Some((RawAccess::Authenticated(span), matches, integration));
                }
                match (access, public_seen) {
                    (Some(_), Some(span)) => {
                        self.diags.push(
                            Diagnostic::error(
                                "bad-route-value",
                                format!("{what} is both `public` and protected by scopes"),
                            )
                            .at(span)
                            .label("remove `public` or `scopes`"),
                        );
                        None
                    }
                    (Some(a), None) => Some((a, matches, integration)),
                    (None, Some(span)) => Some((RawAccess::Public(span), matches, integration)),
                    // A misspelt `scopes` or a `public: yes` was reported already; saying
                    // the route has no access on top would only repeat it.
                    (None, None) if self.diags.len() > before => None,
                    (None, None) => {
                        self.diags.push(
                            Diagnostic::error(
                                "bad-route-value",
                                format!(
                                    "{what} says none of `scopes`, `public: true`, `authenticated: true`"
                                ),
                            )
                            .at(v.span)
                            .help(
                                "a route must say who may call it; nothing is public by accident",
                            ),
                        );
                        None
                    }
                }
            }
            _ => {
                self.type_error(
                    v,
                    what,
                    "a list of scopes, `public`, `authenticated`, or a mapping",
                );
                None
            }
        }
    }

    /// `match: {<path variable>: <claim>}`: both sides are names, checked against the path
    /// and the claims the model knows.
    fn matches<'a>(
        &mut self,
        node: &Node<'a>,
        route: What,
    ) -> Option<S<Vec<(Text<'a>, Text<'a>)>>> {
        let what = What::Of("`match` of ", &route);
        let entries = self.map(node, what)?;
        let mut out: Vec<(Text<'a>, Text<'a>)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Some(var) = self.key_name(k) else {
                continue;
            };
            if out.iter().any(|(seen, _)| seen.value == var.value) {
                self.diags.push(
                    Diagnostic::error(
                        "duplicate-key",
                        format!("key `{}` appears twice in {what}", var.value),
                    )
                    .at(var.span)
                    .label("second occurrence"),
                );
                continue;
            }
            if let Some(claim) = self.string(v, What::Of("a claim of ", &what)) {
                out.push((var, claim));
            }
        }
        Some(S::new(out, node.span))
    }

    fn clients<'a>(&mut self, node: &Node<'a>) -> Vec<RawClient<'a>> {
        let Some(entries) = self.map(node, What::Text("`clients`")) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let Some(name) = self.key_name(k) else {
                continue;
            };
            let mut client = RawClient {
                name,
                description: None,
                scopes: Vec::new(),
            };
            let what = What::Named("client", &client.name.value);
            if !matches!(v.kind, Kind::Null)
                && let Some(fields) = self.fields(v, what, keys::CLIENT)
            {
                for (key, field) in fields.iter() {
                    match key.static_name {
                        "description" => {
                            client.description =
                                self.string(field, What::Of("the description of ", &what))
                        }
                        "scopes" => {
                            client.scopes = self.names(field, What::Of("the scopes of ", &what))
                        }
                        _ => unreachable!(),
                    }
                }
            }
            out.push(client);
        }
        out
    }

    fn integration<'a>(&mut self, node: &Node<'a>, route: What) -> Option<S<RawIntegration<'a>>> {
        if let Kind::Str(s) = &node.kind
            && s == "mock"
        {
            return Some(S::new(RawIntegration::Mock, node.span));
        }
        let what = What::Of("the integration of ", &route);
        let fields = self.fields(node, what, keys::INTEGRATION)?;
        if fields.len != 1 {
            self.diags.push(
                Diagnostic::error(
                    "bad-integration",
                    format!("{what} must have exactly one of `mock`, `lambda`, `http`"),
                )
                .at(node.span),
            );
            return None;
        }
        let (key, value) = fields.iter().next()?;
        let kind = match key.static_name {
            "mock" => RawIntegration::Mock,
            "lambda" => {
                RawIntegration::Lambda(self.string(value, What::Of("`lambda` of ", &what))?)
            }
            "http" => RawIntegration::Http(self.string(value, What::Of("`http` of ", &what))?),
            _ => unreachable!(),
        };
        Some(S::new(kind, node.span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse;

    fn walk_str(text: &str) -> (Raw<'_>, Vec<Diagnostic>) {
        let node = parse(text).unwrap();
        let mut diags = Vec::new();
        let raw = walk(&node, &mut diags);
        (raw, diags)
    }

    #[test]
    fn unknown_keys_are_all_reported_with_hints() {
        let (_, diags) = walk_str("version: 1\ngroup: {}\nroutez: {}\n");
        let msgs: Vec<_> = diags
            .iter()
            .map(|d| (d.message.as_str(), d.help.as_deref()))
            .collect();
        assert_eq!(
            msgs,
            vec![
                (
                    "unknown key `group` in the roles file",
                    Some("did you mean `groups`?")
                ),
                (
                    "unknown key `routez` in the roles file",
                    Some("did you mean `routes`?")
                ),
            ]
        );
    }

    #[test]
    fn route_forms() {
        let (raw, diags) = walk_str(
            "routes:\n  GET /a: [x]\n  GET /b: public\n  POST /c:\n    scopes: [y]\n    integration: {lambda: FnArn}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(raw.routes.len(), 3);
        assert!(matches!(raw.routes[1].access, RawAccess::Public(_)));
        assert!(matches!(
            raw.routes[2].integration.as_ref().unwrap().value,
            RawIntegration::Lambda(_)
        ));
    }
}
