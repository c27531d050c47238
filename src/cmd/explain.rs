//! `rolegen explain`: answers "who can call this route?" and "what can these groups call?",
//! with the reason for each answer (which scope, reached through which `includes`), read from
//! the access model. It is how a reviewer checks that roles.yaml says what they mean without
//! reading the matrix, and how an on-call engineer answers "why did this user get a 403?".

use super::{ErrorFormat, Global};
use super::{Outcome, load_model};
use crate::diag::{self, Diagnostic, Source};
use crate::r#gen::docs::column_order;
use crate::model::{Access, ClientId, GroupId, Method, Model, Path, RouteId, Strategy};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(clap::Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["route", "groups", "client"])))]
pub struct Args {
    /// The route to explain, `METHOD /path` as in roles.yaml (`GET /orders/{orderId}`).
    /// Variable names need not match; a concrete path (`GET /orders/42`) finds the route
    /// that serves it; a path alone (`/orders`) explains every method on it.
    #[arg(value_name = "ROUTE")]
    pub route: Option<String>,
    /// Explain what a caller in all of these groups may call (comma-separated). With ROUTE,
    /// whether such a caller may call that route, and why.
    #[arg(short, long, value_delimiter = ',', value_name = "GROUP,...")]
    pub groups: Vec<String>,
    /// Explain what machine client NAME (`clients:`) may call; with ROUTE, whether it may call
    /// that route, and why.
    #[arg(long, value_name = "NAME", conflicts_with = "groups")]
    pub client: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For a person.
    Text,
    /// One JSON object, for scripts.
    Json,
}

pub fn run(global: &Global, args: &Args) -> Outcome {
    let model = match load_model(global) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let file = global.config.display().to_string();
    let groups = if args.groups.is_empty() {
        None
    } else {
        match resolve_groups(&model, &args.groups) {
            Ok(g) => Some(g),
            Err(d) => return fail(global, &file, d),
        }
    };
    let client = match &args.client {
        None => None,
        Some(name) => match model.client_by_name(name.trim()) {
            Some(c) => Some(c),
            None => {
                let d = Diagnostic::error(
                    "unknown-client",
                    format!("no machine client `{}` in the roles file", name.trim()),
                )
                .help(if model.clients.is_empty() {
                    "the file declares no `clients:`".to_string()
                } else {
                    diag::suggest(name, model.clients.iter().map(|c| c.name.as_str()))
                });
                return fail(global, &file, d);
            }
        },
    };
    let out = match (&args.route, client) {
        (None, Some(c)) => {
            let e = explain_client(&model, c);
            match args.format {
                Format::Text => client_text(&model, &e),
                Format::Json => json_with_header(&model, &file, &e),
            }
        }
        (Some(text), _) if is_preflight(&model, text) => match args.format {
            Format::Text => format!("{text}: {PREFLIGHT}\n"),
            Format::Json => json(&serde_json::json!({
                "file": file,
                "authorizer": model.api.strategy.as_str(),
                "preflight": true,
                "note": PREFLIGHT,
            })),
        },
        (Some(text), _) => {
            let routes = match find_routes(&model, text) {
                Ok(r) => r,
                Err(d) => return fail(global, &file, d),
            };
            let explained: Vec<RouteExplain> = routes
                .iter()
                .map(|&(r, ref asked)| explain_route(&model, r, asked, groups.as_deref(), client))
                .collect();
            match args.format {
                Format::Text => {
                    let blocks: Vec<String> = explained
                        .iter()
                        .map(|e| route_text(&model, &file, e))
                        .collect();
                    blocks.join("\n")
                }
                Format::Json => json(&serde_json::json!({
                    "file": file,
                    "authorizer": model.api.strategy.as_str(),
                    "routes": explained,
                })),
            }
        }
        (None, None) => {
            let ids = groups.unwrap_or_default();
            let e = explain_groups(&model, &ids);
            match args.format {
                Format::Text => groups_text(&model, &e),
                Format::Json => json_with_header(&model, &file, &e),
            }
        }
    };
    let _ = global.console.out(&out);
    Outcome::Ok
}

/// `{file, authorizer}` followed by the fields of `e`, as one JSON object.
fn json_with_header(model: &Model, file: &str, e: &impl Serialize) -> String {
    let mut v = serde_json::json!({
        "file": file,
        "authorizer": model.api.strategy.as_str(),
    });
    if let (Some(obj), Ok(serde_json::Value::Object(e))) =
        (v.as_object_mut(), serde_json::to_value(e))
    {
        obj.extend(e);
    }
    json(&v)
}

/// What `explain` says of a CORS preflight.
const PREFLIGHT: &str = "the CORS preflight (`api.cors`): API Gateway answers it on every declared path without a token, it reaches no backend and grants nothing; it is not a route of the access matrix";

/// `OPTIONS …` when roles.yaml has `api.cors` and declares no such route.
fn is_preflight(model: &Model, text: &str) -> bool {
    model.settings.cors.is_some()
        && text
            .trim_start()
            .split_once(' ')
            .is_some_and(|(m, _)| m == "OPTIONS")
}

fn json(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Prints a problem with the command line (not with roles.yaml) and ends with exit 2.
fn fail(global: &Global, file: &str, d: Diagnostic) -> Outcome {
    match global.error_format {
        ErrorFormat::Human => {
            let src = Source {
                name: file,
                text: "",
            };
            let _ = global
                .console
                .err(&diag::render(&d, &src, global.color_stderr()));
        }
        ErrorFormat::Json | ErrorFormat::Github | ErrorFormat::Sarif => {
            super::report(global, file, "", &[d])
        }
    }
    Outcome::Error
}

// ---------------------------------------------------------------------------------------------
// Finding what was asked about

fn resolve_groups(model: &Model, names: &[String]) -> Result<Vec<GroupId>, Diagnostic> {
    let mut ids = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match model.group_by_name(name) {
            Some(g) => {
                if !ids.contains(&g) {
                    ids.push(g);
                }
            }
            None => {
                return Err(Diagnostic::error(
                    "unknown-group",
                    format!("no group `{name}` in the roles file"),
                )
                .help(diag::suggest(
                    name,
                    model.groups.iter().map(|g| g.name.as_str()),
                )));
            }
        }
    }
    if ids.is_empty() {
        return Err(
            Diagnostic::error("unknown-group", "`--groups` names no group").help(diag::suggest(
                "",
                model.groups.iter().map(|g| g.name.as_str()),
            )),
        );
    }
    ids.sort();
    Ok(ids)
}

/// The routes `text` asks about, each with the text it was found by when that differs from
/// the route's own key (a concrete path, other variable names).
fn find_routes(model: &Model, text: &str) -> Result<Vec<(RouteId, Option<String>)>, Diagnostic> {
    let text = text.trim();
    let (method, path_text) = match text.split_once(char::is_whitespace) {
        Some((m, p)) => (Some(m), p.trim()),
        None if text.starts_with('/') => (None, text),
        None => (Some(text), ""),
    };
    let method = match method {
        None => None,
        Some(m) => Some(Method::parse(&m.to_ascii_uppercase()).ok_or_else(|| {
            Diagnostic::error("bad-route", format!("`{m}` is not an HTTP method")).help(format!(
                "write `METHOD /path` with one of {}",
                Method::ALL.map(|m| m.as_str()).join(", ")
            ))
        })?),
    };
    let path =
        Path::parse(path_text).map_err(|e| {
            Diagnostic::error("bad-route", e.message).help(e.help.unwrap_or_else(|| {
                "write the route as in roles.yaml: `GET /orders/{orderId}`".into()
            }))
        })?;
    let asked = |r: RouteId| {
        let key = model.route(r).key();
        let typed = match method {
            Some(m) => format!("{m} {path}"),
            None => format!("{} {path}", model.route(r).method),
        };
        (key != typed).then_some(typed)
    };
    // A concrete path is answered by whichever route API Gateway dispatches it to.
    let router = model.router();
    let serving = |m: Method| router.dispatch(m, &path.segments).map(RouteId);
    let found: Vec<RouteId> = match method {
        Some(m) => model
            .route_by(m, &path)
            .or_else(|| serving(m))
            .into_iter()
            .collect(),
        None => {
            let same: Vec<RouteId> = model
                .route_ids()
                .filter(|&r| model.route(r).path.same_shape(&path))
                .collect();
            if same.is_empty() {
                // A concrete path: whichever route serves each method.
                let mut v: Vec<RouteId> = Method::ALL.into_iter().filter_map(serving).collect();
                v.sort();
                v.dedup();
                v
            } else {
                same
            }
        }
    };
    if !found.is_empty() {
        return Ok(found.into_iter().map(|r| (r, asked(r))).collect());
    }
    let shown = match method {
        Some(m) => format!("{m} {path}"),
        None => path.to_string(),
    };
    let on_path: Vec<&str> = model
        .routes
        .iter()
        .filter(|r| r.path.same_shape(&path))
        .map(|r| r.method.as_str())
        .collect();
    let help = if !on_path.is_empty() {
        format!(
            "`{path}` is declared only for {}; a route not listed does not exist, nothing grants it",
            on_path.join(", ")
        )
    } else {
        let keys: Vec<String> = model.routes.iter().map(|r| r.key()).collect();
        let candidates: Vec<&str> = match method {
            Some(_) => keys.iter().map(String::as_str).collect(),
            None => {
                let mut paths: Vec<&str> = keys
                    .iter()
                    .filter_map(|k| k.split_once(' ').map(|(_, p)| p))
                    .collect();
                paths.dedup();
                paths
            }
        };
        match diag::did_you_mean(&shown, candidates.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "a route not listed under `routes` does not exist: nothing grants it".into(),
        }
    };
    Err(Diagnostic::error(
        "unknown-route",
        format!("no route `{shown}` in the roles file"),
    )
    .help(help))
}

// ---------------------------------------------------------------------------------------------
// Explaining a route

/// One reason a group may call a route: a scope the route accepts, and the `includes` chain
/// from the group to the group that names the scope.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub scope: String,
    pub full_name: String,
    pub via: Vec<String>,
}

#[derive(Serialize, Debug)]
pub struct GroupWhy {
    pub group: String,
    pub grants: Vec<Grant>,
}

#[derive(Serialize, Debug)]
pub struct RouteExplain {
    pub route: String,
    /// What was typed, when it differs from the route's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked: Option<String>,
    pub line: u32,
    pub public: bool,
    /// Any signed-in user may call it (`authenticated`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub authenticated: bool,
    /// Any one of these grants the route (empty when public or `authenticated`).
    pub scopes: Vec<ScopeRef>,
    /// Groups that may call it, most privileged first, each with every reason.
    pub allowed: Vec<GroupWhy>,
    /// Groups that may not.
    pub denied: Vec<String>,
    /// With `--groups`: whether a caller in all of them may call the route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerVerdict>,
    /// `match`: each path variable must equal this claim of the caller's token.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only_own: Vec<BoundRef>,
    /// Machine clients that may call it, each with the scopes that grant it (absent when the
    /// file has no clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<ClientsWhy>,
    /// With `--client`: whether that machine client may call the route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientVerdict>,
}

#[derive(Serialize, Debug)]
pub struct BoundRef {
    pub variable: String,
    pub claim: String,
}

#[derive(Serialize, Debug)]
pub struct ClientsWhy {
    pub allowed: Vec<ClientWhy>,
    pub denied: Vec<String>,
}

#[derive(Serialize, Debug)]
pub struct ClientWhy {
    pub client: String,
    pub scopes: Vec<String>,
}

#[derive(Serialize, Debug)]
pub struct ClientVerdict {
    pub client: String,
    pub allowed: bool,
}

#[derive(Serialize, Debug)]
pub struct ScopeRef {
    pub scope: String,
    pub full_name: String,
}

#[derive(Serialize, Debug)]
pub struct CallerVerdict {
    pub groups: Vec<String>,
    pub allowed: bool,
}

fn grants(model: &Model, g: GroupId, r: RouteId) -> Vec<Grant> {
    model
        .grants(g, r)
        .into_iter()
        .map(|e| Grant {
            scope: model.scope(e.scope).name.clone(),
            full_name: model.scope(e.scope).full_name.clone(),
            via: e.via.iter().map(|v| model.group(*v).name.clone()).collect(),
        })
        .collect()
}

/// The route's scopes a machine client holds (what grants it the route).
fn client_grants(model: &Model, c: ClientId, r: RouteId) -> Vec<String> {
    match &model.route(r).access {
        Access::AnyOf(ids) if model.matrix.client_allows(c, r) => ids
            .iter()
            .filter(|s| model.client(c).scopes.contains(s))
            .map(|s| model.scope(*s).name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

fn explain_route(
    model: &Model,
    r: RouteId,
    asked: &Option<String>,
    caller: Option<&[GroupId]>,
    client: Option<ClientId>,
) -> RouteExplain {
    let route = model.route(r);
    let only_own = route
        .bound
        .iter()
        .map(|b| BoundRef {
            variable: b.var.clone(),
            claim: b.claim.as_written(),
        })
        .collect();
    let clients = (!model.clients.is_empty()).then(|| {
        let (mut allowed, mut denied) = (Vec::new(), Vec::new());
        for c in model.client_ids() {
            if model.matrix.client_allows(c, r) {
                allowed.push(ClientWhy {
                    client: model.client(c).name.clone(),
                    scopes: client_grants(model, c, r),
                });
            } else {
                denied.push(model.client(c).name.clone());
            }
        }
        ClientsWhy { allowed, denied }
    });
    let client = client.map(|c| ClientVerdict {
        client: model.client(c).name.clone(),
        allowed: model.matrix.client_allows(c, r),
    });
    let public = route.access == Access::Public;
    let scopes = match &route.access {
        Access::Public | Access::Authenticated => Vec::new(),
        Access::AnyOf(ids) => ids
            .iter()
            .map(|s| ScopeRef {
                scope: model.scope(*s).name.clone(),
                full_name: model.scope(*s).full_name.clone(),
            })
            .collect(),
    };
    let shown: Vec<GroupId> = match caller {
        Some(ids) => column_order(model)
            .into_iter()
            .filter(|g| ids.contains(g))
            .collect(),
        None => column_order(model),
    };
    let mut allowed = Vec::new();
    let mut denied = Vec::new();
    for &g in &shown {
        if model.matrix.allows(g, r) {
            allowed.push(GroupWhy {
                group: model.group(g).name.clone(),
                grants: grants(model, g, r),
            });
        } else {
            denied.push(model.group(g).name.clone());
        }
    }
    let caller = caller.map(|ids| CallerVerdict {
        groups: shown.iter().map(|g| model.group(*g).name.clone()).collect(),
        allowed: model.matrix.union(ids).contains(r.0),
    });
    RouteExplain {
        route: route.key(),
        asked: asked.clone(),
        line: route.decl.line,
        public,
        authenticated: route.access == Access::Authenticated,
        scopes,
        allowed,
        denied,
        caller,
        only_own,
        clients,
        client,
    }
}

/// Names in backticks, joined with `sep`.
fn ticked<S: AsRef<str>>(items: &[S], sep: &str) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(sep)
}

/// "needs `a`", "needs any one of `a`, `b`".
fn needs(scopes: &[String]) -> String {
    format!(
        "needs {}{}",
        if scopes.len() > 1 { "any one of " } else { "" },
        ticked(scopes, ", ")
    )
}

fn via_text(via: &[String]) -> String {
    if via.len() <= 1 {
        "its own scope".to_string()
    } else {
        format!("via includes {}", via.join(" → "))
    }
}

fn scope_list(scopes: &[ScopeRef]) -> String {
    scopes
        .iter()
        .map(|s| format!("`{}` ({})", s.scope, s.full_name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn route_text(model: &Model, file: &str, e: &RouteExplain) -> String {
    let mut out = String::new();
    let _ = write!(out, "{}  ({file}:{}", e.route, e.line);
    if let Some(a) = &e.asked {
        let _ = write!(out, "; asked as `{a}`");
    }
    out.push_str(")\n");
    if e.public {
        out.push_str("  public: anyone may call it, signed in or not; no token is checked\n");
        return out;
    }
    if e.authenticated {
        out.push_str(
            "  authenticated: any signed-in user of the pool may call it, in any group or none\n",
        );
    } else {
        let _ = writeln!(
            out,
            "  needs{}: {}",
            if e.scopes.len() > 1 {
                " any one of"
            } else {
                ""
            },
            scope_list(&e.scopes)
        );
    }
    out.push_str(match model.api.strategy {
        Strategy::CognitoScopes => {
            "  checked by: API Gateway's Cognito authorizer, against the access token's scopes\n"
        }
        Strategy::Lambda if !model.clients.is_empty() => {
            "  checked by: the Lambda authorizer, against the ID token's `cognito:groups` (a machine client: its access token's client id)\n"
        }
        Strategy::Lambda => {
            "  checked by: the Lambda authorizer, against the ID token's `cognito:groups`\n"
        }
        Strategy::VerifiedPermissions => match model.api.token {
            crate::model::TokenUse::Id => {
                "  checked by: Amazon Verified Permissions (each group's Cedar policy), against the ID token's `cognito:groups`\n"
            }
            crate::model::TokenUse::Access => {
                "  checked by: Amazon Verified Permissions (each group's Cedar policy), against the access token's `cognito:groups`\n"
            }
        },
    });
    for b in &e.only_own {
        let _ = writeln!(
            out,
            "  only your own `{{{}}}`: it must equal the caller's `{}` claim (checked by the authorizer on every path value; a missing claim is denied)",
            b.variable, b.claim
        );
    }
    if let Some(c) = &e.clients {
        client_lines(&mut out, e, c);
    }
    let width = e
        .allowed
        .iter()
        .map(|g| g.group.chars().count())
        .chain(e.denied.iter().map(|g| g.chars().count()))
        .max()
        .unwrap_or(0);
    let pad = |name: &str| " ".repeat(width.saturating_sub(name.chars().count()));
    let allowed_lines = |out: &mut String| {
        for g in &e.allowed {
            for (i, grant) in g.grants.iter().enumerate() {
                let name = if i == 0 { g.group.as_str() } else { "" };
                let _ = writeln!(
                    out,
                    "    {name}{}  `{}`, {}",
                    pad(name),
                    grant.scope,
                    via_text(&grant.via)
                );
            }
        }
    };
    if e.authenticated {
        // Every group may call it, and so may a signed-in user in no group: there is no
        // scope to explain.
        if let Some(v) = &e.caller {
            let who = ticked(&v.groups, " + ");
            let _ = writeln!(
                out,
                "  a caller in {who} MAY call it, as any signed-in user may"
            );
        }
        return out;
    }
    match &e.caller {
        Some(v) => {
            let who = ticked(&v.groups, " + ");
            if v.allowed {
                let _ = writeln!(out, "  a caller in {who} MAY call it:");
                allowed_lines(&mut out);
            } else {
                let _ = writeln!(out, "  a caller in {who} may NOT call it:");
                for name in &e.denied {
                    let held: Vec<String> = model
                        .group_by_name(name)
                        .map(|g| {
                            model
                                .group(g)
                                .effective
                                .iter()
                                .map(|s| format!("`{}`", model.scope(s.scope).name))
                                .collect()
                        })
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "    {name}{}  has {}",
                        pad(name),
                        if held.is_empty() {
                            "no scope".to_string()
                        } else {
                            format!("{}, none of them accepted here", held.join(", "))
                        }
                    );
                }
            }
        }
        None => {
            let total = e.allowed.len() + e.denied.len();
            if e.allowed.is_empty() {
                let _ = writeln!(
                    out,
                    "  no group may call it: none of the {total} groups has one of these scopes"
                );
            } else {
                let _ = writeln!(
                    out,
                    "  may call it ({} of {total} group{}):",
                    e.allowed.len(),
                    if total == 1 { "" } else { "s" }
                );
                allowed_lines(&mut out);
                if !e.denied.is_empty() {
                    let _ = writeln!(out, "  may not: {}", ticked(&e.denied, ", "));
                }
            }
            out.push_str(
                "  a caller in several groups may call it when any one of its groups may\n",
            );
        }
    }
    out
}

/// The machine clients' part of a route's explanation.
fn client_lines(out: &mut String, e: &RouteExplain, c: &ClientsWhy) {
    if let Some(v) = &e.client {
        let why = c
            .allowed
            .iter()
            .find(|w| w.client == v.client)
            .map(|w| ticked(&w.scopes, ", "))
            .unwrap_or_default();
        let _ = if v.allowed {
            writeln!(
                out,
                "  machine client `{}` MAY call it, with its scope {why}",
                v.client
            )
        } else if e.authenticated || !e.only_own.is_empty() {
            writeln!(
                out,
                "  machine client `{}` may NOT call it: it is for signed-in users, and a client is not one",
                v.client
            )
        } else {
            writeln!(
                out,
                "  machine client `{}` may NOT call it: it has none of these scopes",
                v.client
            )
        };
        return;
    }
    if c.allowed.is_empty() {
        let _ = writeln!(
            out,
            "  machine clients: none may call it{}",
            if e.authenticated || !e.only_own.is_empty() {
                " (it is for signed-in users)"
            } else {
                ""
            }
        );
    } else {
        let list: Vec<String> = c
            .allowed
            .iter()
            .map(|w| format!("`{}` ({})", w.client, ticked(&w.scopes, ", ")))
            .collect();
        let _ = writeln!(
            out,
            "  machine clients that may call it: {}",
            list.join(", ")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Explaining a machine client

#[derive(Serialize, Debug)]
pub struct ClientExplain {
    pub client: String,
    pub scopes: Vec<ScopeRef>,
    pub allowed: Vec<ClientRoute>,
    pub denied: Vec<DeniedRoute>,
}

#[derive(Serialize, Debug)]
pub struct ClientRoute {
    pub route: String,
    pub public: bool,
    /// The client's scopes that grant it (empty for a public route).
    pub scopes: Vec<String>,
}

fn explain_client(model: &Model, c: ClientId) -> ClientExplain {
    let client = model.client(c);
    let mut allowed = Vec::new();
    let mut denied = Vec::new();
    for r in model.route_ids() {
        let route = model.route(r);
        if model.matrix.client_allows(c, r) {
            allowed.push(ClientRoute {
                route: route.key(),
                public: route.access == Access::Public,
                scopes: client_grants(model, c, r),
            });
        } else {
            denied.push(DeniedRoute {
                route: route.key(),
                scopes: match &route.access {
                    Access::AnyOf(s) if route.bound.is_empty() => {
                        s.iter().map(|s| model.scope(*s).name.clone()).collect()
                    }
                    _ => Vec::new(),
                },
            });
        }
    }
    ClientExplain {
        client: client.name.clone(),
        scopes: client
            .scopes
            .iter()
            .map(|s| ScopeRef {
                scope: model.scope(*s).name.clone(),
                full_name: model.scope(*s).full_name.clone(),
            })
            .collect(),
        allowed,
        denied,
    }
}

fn client_text(model: &Model, e: &ClientExplain) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "machine client `{}` may call {} of {} routes, with a client-credentials access token",
        e.client,
        e.allowed.len(),
        model.routes.len()
    );
    let _ = writeln!(out, "scopes: {}", scope_list(&e.scopes));
    let width = e
        .allowed
        .iter()
        .map(|r| r.route.len())
        .chain(e.denied.iter().map(|r| r.route.len()))
        .max()
        .unwrap_or(0);
    if !e.allowed.is_empty() {
        out.push_str("may call:\n");
        for r in &e.allowed {
            let why = if r.public {
                "public".to_string()
            } else {
                ticked(&r.scopes, ", ")
            };
            let _ = writeln!(out, "  {:<width$}  {why}", r.route);
        }
    }
    if !e.denied.is_empty() {
        out.push_str("may not call:\n");
        for r in &e.denied {
            let why = if r.scopes.is_empty() {
                "for signed-in users only".to_string()
            } else {
                needs(&r.scopes)
            };
            let _ = writeln!(out, "  {:<width$}  {why}", r.route);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Explaining groups

#[derive(Serialize, Debug)]
pub struct GroupsExplain {
    pub groups: Vec<String>,
    /// The caller's scopes: the union of the groups' effective scopes, each with every chain.
    pub scopes: Vec<ScopeHeld>,
    pub allowed: Vec<AllowedRoute>,
    pub denied: Vec<DeniedRoute>,
}

#[derive(Serialize, Debug)]
pub struct ScopeHeld {
    pub scope: String,
    pub full_name: String,
    pub via: Vec<Vec<String>>,
}

#[derive(Serialize, Debug)]
pub struct AllowedRoute {
    pub route: String,
    pub public: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub authenticated: bool,
    pub grants: Vec<Grant>,
    /// `match`: only where each of these path variables equals the caller's claim.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only_own: Vec<BoundRef>,
}

#[derive(Serialize, Debug)]
pub struct DeniedRoute {
    pub route: String,
    /// Any one of these would grant it.
    pub scopes: Vec<String>,
}

fn explain_groups(model: &Model, ids: &[GroupId]) -> GroupsExplain {
    let ordered: Vec<GroupId> = column_order(model)
        .into_iter()
        .filter(|g| ids.contains(g))
        .collect();
    let mut scopes: Vec<ScopeHeld> = Vec::new();
    for s in 0..model.scopes.len() {
        let via: Vec<Vec<String>> = ordered
            .iter()
            .flat_map(|g| model.group(*g).effective.iter())
            .filter(|e| e.scope.0 == s)
            .map(|e| e.via.iter().map(|v| model.group(*v).name.clone()).collect())
            .collect();
        if !via.is_empty() {
            scopes.push(ScopeHeld {
                scope: model.scopes[s].name.clone(),
                full_name: model.scopes[s].full_name.clone(),
                via,
            });
        }
    }
    let can = model.matrix.union(ids);
    let mut allowed = Vec::new();
    let mut denied = Vec::new();
    for r in model.route_ids() {
        let route = model.route(r);
        if can.contains(r.0) {
            allowed.push(AllowedRoute {
                route: route.key(),
                public: route.access == Access::Public,
                authenticated: route.access == Access::Authenticated,
                grants: ordered.iter().flat_map(|&g| grants(model, g, r)).collect(),
                only_own: route
                    .bound
                    .iter()
                    .map(|b| BoundRef {
                        variable: b.var.clone(),
                        claim: b.claim.as_written(),
                    })
                    .collect(),
            });
        } else {
            let needs = match &route.access {
                Access::AnyOf(s) => s.iter().map(|s| model.scope(*s).name.clone()).collect(),
                Access::Public | Access::Authenticated => Vec::new(),
            };
            denied.push(DeniedRoute {
                route: route.key(),
                scopes: needs,
            });
        }
    }
    GroupsExplain {
        groups: ordered
            .iter()
            .map(|g| model.group(*g).name.clone())
            .collect(),
        scopes,
        allowed,
        denied,
    }
}

fn groups_text(model: &Model, e: &GroupsExplain) -> String {
    let mut out = String::new();
    let who = ticked(&e.groups, " + ");
    let _ = writeln!(
        out,
        "a caller in {who} may call {} of {} routes",
        e.allowed.len(),
        model.routes.len()
    );
    if e.groups.len() > 1 {
        out.push_str("(a caller in several groups gets the union of their scopes)\n");
    }
    if e.scopes.is_empty() {
        out.push_str("scopes: none\n");
    } else {
        out.push_str("scopes:\n");
        for s in &e.scopes {
            let chains: Vec<String> = s.via.iter().map(|v| v.join(" → ")).collect();
            let _ = writeln!(
                out,
                "  `{}` ({}) from {}",
                s.scope,
                s.full_name,
                chains.join("; ")
            );
        }
    }
    let width = e
        .allowed
        .iter()
        .map(|r| r.route.len())
        .chain(e.denied.iter().map(|r| r.route.len()))
        .max()
        .unwrap_or(0);
    if !e.allowed.is_empty() {
        out.push_str("may call:\n");
        for r in &e.allowed {
            let why = if r.public {
                "public".to_string()
            } else if r.authenticated {
                "authenticated: any signed-in user".to_string()
            } else {
                // One entry per scope, listing every chain that reaches it.
                let mut by_scope: Vec<(&str, Vec<String>)> = Vec::new();
                for g in &r.grants {
                    let chain = g.via.join(" → ");
                    match by_scope.iter_mut().find(|(s, _)| *s == g.scope) {
                        Some((_, chains)) => chains.push(chain),
                        None => by_scope.push((&g.scope, vec![chain])),
                    }
                }
                by_scope
                    .iter()
                    .map(|(s, chains)| format!("`{s}` from {}", chains.join("; ")))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let own: String = r
                .only_own
                .iter()
                .map(|b| format!(", only your own `{{{}}}` (= `{}`)", b.variable, b.claim))
                .collect();
            let _ = writeln!(out, "  {:<width$}  {why}{own}", r.route);
        }
    }
    if !e.denied.is_empty() {
        out.push_str("may not call:\n");
        for r in &e.denied {
            let _ = writeln!(out, "  {:<width$}  {}", r.route, needs(&r.scopes));
        }
    }
    out
}
