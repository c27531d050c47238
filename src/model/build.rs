//! Raw config → access model, with every semantic check: names against AWS's rules,
//! references, `includes` cycles, route syntax and conflicts, and AWS's limits.
//!
//! All problems are collected; a model is returned only when there is no error, so nothing
//! downstream ever sees a half-valid model.

use super::path::{Method, Path, Segment, parts};
use super::*;
use crate::config::raw::{Raw, RawAccess, RawClient, RawIntegration, RawRoute, Text};
use crate::diag::{Diagnostic, Span, suggest};
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;

/// Cognito: 100 custom scopes per resource server.
pub const MAX_SCOPES: usize = 100;
/// Cognito: an app client allows at most 50 OAuth scopes (`openid` counts).
pub const MAX_CLIENT_SCOPES: usize = 50;
/// API Gateway's default quota of resources per REST API (can be raised on request).
pub const MAX_API_RESOURCES: usize = 300;
/// API Gateway: authorizer result TTL is 0..=3600 seconds.
pub const MAX_AUTHORIZER_TTL: i64 = 3600;

/// Builds the model, pushing every problem (and warning) to `diags`. `text` is the source, used
/// to point inside route keys. Returns `None` when any error was found.
pub fn build(raw: &Raw, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Model> {
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let mut b = Builder {
        diags,
        text,
        lines: OnceCell::new(),
        missing_sections: Vec::new(),
    };
    let model = b.build(raw);
    let errors_after = b.diags.iter().filter(|d| d.is_error()).count();
    if errors_after > errors_before {
        None
    } else {
        model
    }
}

struct Builder<'a> {
    diags: &'a mut Vec<Diagnostic>,
    text: &'a str,
    /// `text`'s lines, split the first time an error points inside a route key.
    lines: OnceCell<Vec<&'a str>>,
    /// Sections already reported as missing, so each is reported once, not once per key.
    missing_sections: Vec<String>,
}

/// Where a missing key should have been: the section that lacks it, or the top of the file.
fn section_span(raw: &Raw, section: &str) -> Span {
    raw.section_spans
        .iter()
        .find(|(name, _)| *name == section)
        .map(|(_, s)| *s)
        .unwrap_or(Span {
            line: 1,
            column: 1,
            len: 1,
        })
}

/// Where a missing top-level key belongs: the first top-level key written (so the underline
/// shows the level, not a comment), or the top of the file when it has none.
fn top_level_span(raw: &Raw) -> Span {
    raw.section_spans.first().map(|(_, s)| *s).unwrap_or(Span {
        line: 1,
        column: 1,
        len: 1,
    })
}

impl Builder<'_> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn required<'r, 'x>(
        &mut self,
        value: &'r Option<Text<'x>>,
        raw: &Raw,
        section: &str,
        key: &str,
        example: &str,
    ) -> Option<&'r Text<'x>> {
        if value.is_some() || raw.is_unreadable(&format!("{section}.{key}")) {
            // Present, or present with a shape error that was already reported.
            return value.as_ref();
        }
        if !raw.section_spans.iter().any(|(name, _)| *name == section) {
            if !self.missing_sections.iter().any(|s| s == section) {
                self.missing_sections.push(section.to_string());
                self.err(
                    Diagnostic::error("missing-key", format!("missing `{section}`"))
                        .at(top_level_span(raw))
                        .label("top-level keys start here")
                        .help(format!(
                            "add a `{section}:` section with `{key}: {example}` (run `rolegen schema` for every key)"
                        )),
                );
            }
            return None;
        }
        self.err(
            Diagnostic::error("missing-key", format!("missing `{section}.{key}`"))
                .at(section_span(raw, section))
                .label(format!("needs `{key}`"))
                .help(format!("add `{key}: {example}` under `{section}`")),
        );
        None
    }

    fn build(&mut self, raw: &Raw) -> Option<Model> {
        self.version(raw);
        let api = self.api(raw);
        let user_pool = self.user_pool(raw);
        let resource_server = self.resource_server(raw);
        let identifier = resource_server
            .as_ref()
            .map(|r| r.identifier.clone())
            .unwrap_or_default();
        let scopes = self.scopes(raw, &identifier);
        let scope_ids = ScopeIds::new(&scopes);
        let groups = self.groups(raw, &scope_ids);
        let routes = self.routes(raw, &scope_ids);
        let clients = self.clients(raw, &scope_ids);
        if let Some(api) = &api {
            self.bound_for_strategy(api, &routes);
        }

        // With `authenticated` routes the client also allows the reserved scope.
        let reserved = usize::from(routes.iter().any(|r| r.access == Access::Authenticated));
        if let Some(api) = &api
            && api.strategy == Strategy::CognitoScopes
            && scopes.len() + reserved + 1 > MAX_CLIENT_SCOPES
        {
            self.err(
                Diagnostic::error(
                    "limit",
                    format!(
                        "{} scopes plus `openid`{} exceed the {MAX_CLIENT_SCOPES} scopes an app client may allow",
                        scopes.len(),
                        if reserved > 0 {
                            format!(" and `{SIGNED_IN_SCOPE}` (for `authenticated` routes)")
                        } else {
                            String::new()
                        }
                    ),
                )
                .at(section_span(raw, "scopes"))
                .help(format!(
                    "remove {} scopes, or use `authorizer: lambda`, which needs no scopes on the client",
                    scopes.len() + reserved + 1 - MAX_CLIENT_SCOPES
                )),
            );
        }

        let resources = count_resources(&routes);
        if resources > MAX_API_RESOURCES {
            self.err(
                Diagnostic::warning(
                    "limit",
                    format!(
                        "the routes need {resources} API Gateway resources, over the default quota of {MAX_API_RESOURCES} per REST API"
                    ),
                )
                .at(section_span(raw, "routes"))
                .help("ask AWS to raise the quota \"Resources per API\" before deploying"),
            );
        }

        if let (Some(pool), Some(first)) = (&user_pool, clients.first())
            && pool.sign_in.domain.is_none()
        {
            self.err(
                Diagnostic::error(
                    "needs-domain",
                    format!(
                        "machine clients need the user pool's token endpoint, and `user_pool` has no `domain` ({} client{})",
                        clients.len(),
                        if clients.len() == 1 { "" } else { "s" }
                    ),
                )
                .at(first.decl)
                .label("gets its tokens from https://<domain>.auth.<region>.amazoncognito.com/oauth2/token")
                .help("add `domain: <prefix>` under `user_pool` (a prefix domain, e.g. `orders-auth`)"),
            );
        }
        let settings = super::stage::build(raw, &routes, self.diags);
        let (api, user_pool, resource_server) = (api?, user_pool?, resource_server?);
        let pretoken_extend = self.pretoken_extend(raw, &api);
        if api.external {
            // Another template defines the methods and their integrations.
            for r in &raw.routes {
                if let Some(i) = &r.integration {
                    self.err(
                        Diagnostic::warning(
                            "unused",
                            "`integration` has no effect with `api.external: true`",
                        )
                        .at(i.span)
                        .help(
                            "the API's own template (SAM, CDK) defines each method's integration",
                        ),
                    );
                }
            }
            if let Some(d) = &raw.api.settings.definition {
                self.err(
                    Diagnostic::warning(
                        "unused",
                        "`api.definition` has no effect with `api.external: true`",
                    )
                    .at(d.span)
                    .help("rolegen writes no REST API for an API another tool owns"),
                );
            }
        }
        let matrix = matrix(&groups, &routes, &clients, scopes.len());
        // Warnings are computed only on a sound file: next to an error (a route dropped for
        // a bad path, an `includes` cycle) a scope looks unused or a group empty when it is
        // not, which would send the user after the wrong problem.
        let sound = !self.diags.iter().any(Diagnostic::is_error);
        let model = Model {
            api,
            user_pool,
            resource_server,
            scopes,
            groups,
            routes,
            clients,
            matrix,
            settings,
            pretoken_extend,
        };
        if sound {
            self.warnings(&model);
        }
        Some(model)
    }

    /// `pretoken.extend`: only the `cognito-scopes` strategy has a pre-token trigger. The
    /// file itself is read by the loader (`cmd`), beside the roles file.
    fn pretoken_extend(&mut self, raw: &Raw, api: &Api) -> Option<PretokenExtend> {
        let path = raw.pretoken_extend.as_ref()?;
        if api.strategy != Strategy::CognitoScopes {
            self.err(
                Diagnostic::error(
                    "bad-value",
                    format!(
                        "`pretoken.extend` needs `authorizer: cognito-scopes`, not `{}`",
                        api.strategy.as_str()
                    ),
                )
                .at(path.span)
                .help(
                    "only the `cognito-scopes` strategy has a pre-token trigger; remove `pretoken`",
                ),
            );
            return None;
        }
        if path.value.is_empty() || !(path.value.ends_with(".mjs") || path.value.ends_with(".js")) {
            self.err(
                Diagnostic::error(
                    "bad-value",
                    format!("`{}` is not a JavaScript module file", path.value),
                )
                .at(path.span)
                .help("name an ES module that exports `handler`, e.g. `./my-trigger.mjs`"),
            );
            return None;
        }
        Some(PretokenExtend {
            path: path.value.to_string(),
            span: path.span,
            source: None,
        })
    }

    fn version(&mut self, raw: &Raw) {
        match &raw.version {
            None if raw.is_unreadable("version") => {}
            None => self.err(
                Diagnostic::error("missing-key", "missing `version`")
                    .at(top_level_span(raw))
                    .label("top-level keys start here")
                    .help("add `version: 1` at the top of the file"),
            ),
            Some(v) if v.value != 1 => self.err(
                Diagnostic::error(
                    "bad-version",
                    format!("unsupported format version `{}`", v.value),
                )
                .at(v.span)
                .label("this rolegen reads version 1")
                .help("write `version: 1`"),
            ),
            Some(_) => {}
        }
    }

    fn api(&mut self, raw: &Raw) -> Option<Api> {
        let a = &raw.api;
        let name = self.required(&a.name, raw, "api", "name", "orders-api");
        let name = name.map(|n| {
            self.check_len(n, "API name", 1, 1024);
            n.value.to_string()
        });
        let stage = self
            .required(&a.stage, raw, "api", "stage", "prod")
            .cloned();
        if let Some(stage) = &stage
            && (stage.value.is_empty()
                || stage.value.len() > 128
                || !stage
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            self.err(
                Diagnostic::error("bad-name", format!("invalid stage name `{}`", stage.value))
                    .at(stage.span)
                    .label("not a valid stage name")
                    .help("use 1 to 128 letters, digits and `_`"),
            );
        }
        let authorizer = self.required(&a.authorizer, raw, "api", "authorizer", "cognito-scopes");
        let strategy = authorizer.and_then(|s| match s.value.as_ref() {
            "lambda" => Some(Strategy::Lambda),
            "cognito-scopes" => Some(Strategy::CognitoScopes),
            "verified-permissions" => Some(Strategy::VerifiedPermissions),
            other => {
                self.err(
                    Diagnostic::error("bad-value", format!("unknown authorizer `{other}`"))
                        .at(s.span)
                        .label("not a strategy")
                        .help(suggest(
                            other,
                            ["lambda", "cognito-scopes", "verified-permissions"],
                        )),
                );
                None
            }
        });
        let ttl = match &a.authorizer_ttl {
            None => 300,
            Some(t) if (0..=MAX_AUTHORIZER_TTL).contains(&t.value) => t.value as u32,
            Some(t) => {
                self.err(
                    Diagnostic::error(
                        "bad-value",
                        format!("`authorizer_ttl` {} is out of range", t.value),
                    )
                    .at(t.span)
                    .help("API Gateway caches authorizer results for 0 to 3600 seconds"),
                );
                300
            }
        };
        if let (Some(t), Some(Strategy::CognitoScopes)) = (&a.authorizer_ttl, strategy) {
            self.err(
                Diagnostic::warning(
                    "unused",
                    "`authorizer_ttl` has no effect with `authorizer: cognito-scopes`",
                )
                .at(t.span),
            );
        }
        let token = match &a.token {
            None => TokenUse::Id,
            Some(t) => {
                if strategy.is_some() && strategy != Some(Strategy::VerifiedPermissions) {
                    self.err(
                        Diagnostic::error(
                            "bad-value",
                            format!(
                                "`api.token` applies to `authorizer: verified-permissions` only; `{}` always takes the {}",
                                strategy.map_or("", |s| s.as_str()),
                                if strategy == Some(Strategy::Lambda) {
                                    "ID token"
                                } else {
                                    "access token"
                                }
                            ),
                        )
                        .at(t.span)
                        .help("remove `token`"),
                    );
                }
                match t.value.as_ref() {
                    "id" => TokenUse::Id,
                    "access" => TokenUse::Access,
                    other => {
                        self.err(
                            Diagnostic::error("bad-value", format!("unknown token `{other}`"))
                                .at(t.span)
                                .label("not a token type")
                                .help("write `id` (the ID token, the default) or `access`"),
                        );
                        TokenUse::Id
                    }
                }
            }
        };
        let endpoint = self.endpoint(a)?;
        Some(Api {
            name: name?,
            stage: stage?.value.into_owned(),
            strategy: strategy?,
            description: a.description.as_ref().map(|d| d.value.to_string()),
            authorizer_ttl: ttl,
            token,
            endpoint,
            external: a.external.as_ref().is_some_and(|e| e.value),
        })
    }

    /// `api.endpoint` (default `REGIONAL`) and, for `PRIVATE` only, the VPC endpoints that
    /// may reach the API.
    fn endpoint(&mut self, a: &crate::config::raw::RawApi) -> Option<Endpoint> {
        let kind = a.endpoint.as_ref();
        let ids = a.vpc_endpoint_ids.as_ref();
        let endpoint = match kind.map(|k| k.value.as_ref()) {
            None | Some("REGIONAL") => Endpoint::Regional,
            Some("EDGE") => Endpoint::Edge,
            Some("PRIVATE") => {
                let list = ids.map(|s| s.value.as_slice()).unwrap_or_default();
                if list.is_empty() {
                    self.err(
                        Diagnostic::error(
                            "missing-key",
                            "a `PRIVATE` API needs `api.vpc_endpoint_ids`",
                        )
                        .at(kind.unwrap().span)
                        .help("list the VPC endpoints (`vpce-…`) that may reach the API; its resource policy admits only them"),
                    );
                    return None;
                }
                let mut out = Vec::new();
                for id in list {
                    let ok = id.value.len() <= 32
                        && id.value.strip_prefix("vpce-").is_some_and(|h| {
                            !h.is_empty()
                                && h.bytes()
                                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                        });
                    if !ok {
                        self.err(
                            Diagnostic::error(
                                "bad-value",
                                format!("`{}` is not a VPC endpoint id", id.value),
                            )
                            .at(id.span)
                            .help("a VPC endpoint id looks like `vpce-0123456789abcdef0`"),
                        );
                        continue;
                    }
                    if !out.contains(&id.value.to_string()) {
                        out.push(id.value.to_string());
                    }
                }
                out.sort();
                Endpoint::Private {
                    vpc_endpoint_ids: out,
                }
            }
            Some(other) => {
                self.err(
                    Diagnostic::error("bad-value", format!("unknown endpoint type `{other}`"))
                        .at(kind.unwrap().span)
                        .label("not an endpoint type")
                        .help(suggest(other, ["REGIONAL", "EDGE", "PRIVATE"])),
                );
                return None;
            }
        };
        if let Some(ids) = ids
            && !matches!(endpoint, Endpoint::Private { .. })
        {
            self.err(
                Diagnostic::error(
                    "bad-value",
                    "`api.vpc_endpoint_ids` applies to `endpoint: PRIVATE` only",
                )
                .at(ids.span)
                .help("set `endpoint: PRIVATE`, or remove `vpc_endpoint_ids`"),
            );
        }
        Some(endpoint)
    }

    fn user_pool(&mut self, raw: &Raw) -> Option<UserPool> {
        let p = &raw.user_pool;
        let name = self.required(&p.name, raw, "user_pool", "name", "my-users")?;
        self.check_len(name, "user pool name", 1, 128);
        self.check_chars(
            name,
            "user pool name",
            is_word_space_char,
            "letters, digits, spaces and `+=,.@-`",
        );
        let retain = match &p.deletion_policy {
            None => true,
            Some(d) if d.value == "Retain" => true,
            Some(d) if d.value == "Delete" => false,
            Some(d) => {
                self.err(
                    Diagnostic::error(
                        "bad-value",
                        format!("unknown deletion policy `{}`", d.value),
                    )
                    .at(d.span)
                    .help(suggest(&d.value, ["Retain", "Delete"])),
                );
                true
            }
        };
        if let (Some(d), Some(e)) = (&p.deletion_policy, &p.existing)
            && e.value
        {
            self.err(
                Diagnostic::warning(
                    "unused",
                    "`deletion_policy` has no effect with `existing: true`",
                )
                .at(d.span)
                .help("the template takes an existing pool as parameters and never creates, replaces or deletes it"),
            );
        }
        if let (Some(m), Some(e)) = (&p.mfa, &p.existing)
            && e.value
        {
            self.err(
                Diagnostic::warning("unused", "`mfa` has no effect with `existing: true`")
                    .at(m.span)
                    .help("MFA is a setting of the pool itself, which the template does not own: set it on the pool"),
            );
        }
        let sign_in = super::signin::build(p, self.diags);
        Some(UserPool {
            name: name.value.to_string(),
            retain,
            existing: p.existing.as_ref().is_some_and(|e| e.value),
            sign_in,
        })
    }

    fn resource_server(&mut self, raw: &Raw) -> Option<ResourceServer> {
        let r = &raw.resource_server;
        let id = self.required(&r.identifier, raw, "resource_server", "identifier", "api");
        let name = self.required(&r.name, raw, "resource_server", "name", "My API");
        let (id, name) = (id?, name?);
        self.check_len(id, "resource server identifier", 1, 256);
        self.check_chars(
            id,
            "resource server identifier",
            |c| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E'),
            "printable ASCII without spaces, `\"` or `\\`",
        );
        self.check_len(name, "resource server name", 1, 256);
        self.check_chars(
            name,
            "resource server name",
            is_word_space_char,
            "letters, digits, spaces and `+=,.@-`",
        );
        Some(ResourceServer {
            identifier: id.value.to_string(),
            name: name.value.to_string(),
        })
    }

    fn scopes(&mut self, raw: &Raw, identifier: &str) -> Vec<Scope> {
        let mut by_name: BTreeMap<&str, Scope> = BTreeMap::new();
        for (name, desc) in &raw.scopes {
            if let Some(first) = by_name.get(name.value.as_ref()) {
                let line = first.decl.line;
                self.err(
                    Diagnostic::error(
                        "duplicate",
                        format!("scope `{}` is declared twice", name.value),
                    )
                    .at(name.span)
                    .label("second declaration")
                    .help(format!("the first is on line {line}")),
                );
                continue;
            }
            self.check_len(name, "scope name", 1, 256);
            if name.value == SIGNED_IN_SCOPE {
                self.err(
                    Diagnostic::error(
                        "reserved",
                        format!("scope name `{SIGNED_IN_SCOPE}` is reserved"),
                    )
                    .at(name.span)
                    .label("reserved by rolegen")
                    .help("rolegen gives this scope to every signed-in user for `authenticated` routes; write `authenticated` as the route's value instead, or rename the scope"),
                );
            }
            self.check_chars(
                name,
                "scope name",
                |c| matches!(c, '\x21' | '\x23'..='\x2E' | '\x30'..='\x5B' | '\x5D'..='\x7E'),
                "printable ASCII without spaces, `/`, `\"` or `\\`",
            );
            let description = match desc {
                Some(d) => {
                    self.check_len(d, "scope description", 1, 256);
                    d.value.to_string()
                }
                None => name.value.to_string(),
            };
            by_name.insert(
                &name.value,
                Scope {
                    name: name.value.to_string(),
                    description,
                    full_name: format!("{identifier}/{}", name.value),
                    decl: name.span,
                },
            );
        }
        if by_name.len() > MAX_SCOPES {
            self.err(
                Diagnostic::error(
                    "limit",
                    format!(
                        "{} scopes exceed Cognito's limit of {MAX_SCOPES} per resource server",
                        by_name.len()
                    ),
                )
                .at(section_span(raw, "scopes"))
                .help(format!(
                    "remove or merge {} scopes",
                    by_name.len() - MAX_SCOPES
                )),
            );
        }
        by_name.into_values().collect()
    }

    fn scope_ref(&mut self, ids: &ScopeIds, name: &Text, whose: &Named) -> Option<ScopeId> {
        match ids.by_name.get(&*name.value) {
            Some(&id) => Some(id),
            None => {
                let scopes = ids.scopes;
                let short = name.value.rsplit_once('/').map(|(_, rest)| rest);
                let hint = if let Some(rest) = short.filter(|r| scopes.iter().any(|s| s.name == *r))
                {
                    format!(
                        "write the short name `{rest}`; rolegen adds the resource server identifier"
                    )
                } else {
                    suggest(&name.value, scopes.iter().map(|s| s.name.as_str()))
                };
                self.err(
                    Diagnostic::error(
                        "unknown-scope",
                        format!("{whose} uses undefined scope `{}`", name.value),
                    )
                    .at(name.span)
                    .label("not declared under `scopes`")
                    .help(hint),
                );
                None
            }
        }
    }

    fn groups(&mut self, raw: &Raw, scopes: &ScopeIds) -> Vec<Group> {
        // Sorted by name first, so ids are stable whatever the file order.
        let mut order: Vec<&crate::config::raw::RawGroup> = Vec::new();
        // Name → index in `order`, so that duplicates are found without a scan per group.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for g in &raw.groups {
            if let Some(first) = seen.get(g.name.value.as_ref()).map(|&i| order[i]) {
                let line = first.name.span.line;
                self.err(
                    Diagnostic::error(
                        "duplicate",
                        format!("group `{}` is declared twice", g.name.value),
                    )
                    .at(g.name.span)
                    .label("second declaration")
                    .help(format!("the first is on line {line}")),
                );
                continue;
            }
            seen.insert(&g.name.value, order.len());
            order.push(g);
        }
        order.sort_by(|a, b| a.name.value.cmp(&b.name.value));
        let names: Vec<&str> = order.iter().map(|g| g.name.value.as_ref()).collect();

        let mut groups: Vec<Group> = Vec::with_capacity(order.len());
        for g in &order {
            self.check_group_name(&g.name);
            if let Some(d) = &g.description {
                self.check_len(d, "group description", 0, 2048);
            }
            let precedence = g.precedence.as_ref().and_then(|p| {
                if (0..=i64::from(i32::MAX)).contains(&p.value) {
                    Some(p.value as u32)
                } else {
                    self.err(
                        Diagnostic::error(
                            "bad-value",
                            format!(
                                "precedence {} of group `{}` is out of range",
                                p.value, g.name.value
                            ),
                        )
                        .at(p.span)
                        .help("Cognito accepts 0 to 2147483647; lower wins"),
                    );
                    None
                }
            });
            let whose = Named("group", &g.name.value);
            let mut own: Vec<ScopeId> = g
                .scopes
                .iter()
                .filter_map(|s| self.scope_ref(scopes, s, &whose))
                .collect();
            own.sort();
            own.dedup();
            let mut includes = Vec::new();
            for inc in &g.includes {
                if inc.value == g.name.value {
                    self.err(
                        Diagnostic::error(
                            "includes-cycle",
                            format!("group `{}` includes itself", inc.value),
                        )
                        .at(inc.span)
                        .help("remove it: a group always has its own scopes"),
                    );
                    continue;
                }
                match names.binary_search(&inc.value.as_ref()) {
                    Ok(i) => includes.push(GroupId(i)),
                    Err(_) => self.err(
                        Diagnostic::error(
                            "unknown-group",
                            format!("{whose} includes undefined group `{}`", inc.value),
                        )
                        .at(inc.span)
                        .label("not declared under `groups`")
                        .help(suggest(&inc.value, names.iter().copied())),
                    ),
                }
            }
            includes.sort();
            includes.dedup();
            groups.push(Group {
                name: g.name.value.to_string(),
                description: g.description.as_ref().map(|d| d.value.to_string()),
                precedence,
                own_scopes: own,
                includes,
                effective: Vec::new(),
                decl: g.name.span,
            });
        }

        let include_spans: Vec<&crate::config::raw::RawGroup> = order;
        if self.cycles(&groups, &include_spans) {
            // Effective scopes are undefined on a cycle; the model will not be built anyway.
            return groups;
        }
        for i in 0..groups.len() {
            groups[i].effective = effective(&groups, GroupId(i));
        }
        groups
    }

    /// Reports every `includes` cycle once, naming it; true when any exists.
    fn cycles(&mut self, groups: &[Group], raw: &[&crate::config::raw::RawGroup]) -> bool {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut mark = vec![Mark::New; groups.len()];
        let mut found = false;
        let mut seen_cycles: Vec<Vec<usize>> = Vec::new();
        for start in 0..groups.len() {
            if mark[start] != Mark::New {
                continue;
            }
            // Iterative DFS: (node, next child index), so deep hierarchies can't overflow.
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            mark[start] = Mark::Active;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&child) = groups[node].includes.get(*next) {
                    *next += 1;
                    match mark[child.0] {
                        Mark::New => {
                            mark[child.0] = Mark::Active;
                            stack.push((child.0, 0));
                        }
                        Mark::Active => {
                            let pos = stack.iter().position(|(n, _)| *n == child.0).unwrap_or(0);
                            let cycle: Vec<usize> = stack[pos..].iter().map(|(n, _)| *n).collect();
                            let mut canon = cycle.clone();
                            canon.sort();
                            if !seen_cycles.contains(&canon) {
                                seen_cycles.push(canon);
                                found = true;
                                let mut names: Vec<String> = cycle
                                    .iter()
                                    .map(|&n| format!("`{}`", groups[n].name))
                                    .collect();
                                names.push(format!("`{}`", groups[child.0].name));
                                let last = *cycle.last().unwrap_or(&node);
                                let span = raw[last]
                                    .includes
                                    .iter()
                                    .find(|s| s.value == groups[child.0].name)
                                    .map(|s| s.span)
                                    .unwrap_or(groups[last].decl);
                                self.err(
                                    Diagnostic::error(
                                        "includes-cycle",
                                        format!("`includes` cycle: {}", names.join(" → ")),
                                    )
                                    .at(span)
                                    .label("closes the cycle")
                                    .help("a group cannot include a group that includes it; remove one of these includes"),
                                );
                            }
                        }
                        Mark::Done => {}
                    }
                } else {
                    mark[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
        found
    }

    fn routes(&mut self, raw: &Raw, scopes: &ScopeIds) -> Vec<Route> {
        let mut routes: Vec<Route> = Vec::with_capacity(raw.routes.len());
        // Every shape so far as a tree: finds a duplicate route and a conflicting variable
        // in one walk down the path, without a scan of earlier routes (10,000 routes would
        // be 50 million comparisons) and without hashing whole paths.
        let mut shapes = Shapes::default();
        // The tree nodes along the current route: `trail[d]` is the parent of segment `d`.
        let mut trail: Vec<u32> = Vec::new();
        // Whether two routes used different variables at one position.
        let mut conflicts = false;
        for r in &raw.routes {
            let Some((method, path, path_str)) = self.route_key(&r.key) else {
                continue;
            };
            trail.clear();
            trail.push(ROOT);
            for (seg, part) in path.segments.iter().zip(parts(path_str)) {
                let node = shapes.child(*trail.last().unwrap_or(&ROOT), seg, part);
                trail.push(node);
            }
            let leaf = *trail.last().unwrap_or(&ROOT) as usize;
            if let Some(first) = shapes.nodes[leaf].routes[method as usize] {
                let first = &routes[first as usize];
                let (fk, fl) = (first.key(), first.decl.line);
                self.err(
                    Diagnostic::error(
                        "duplicate-route",
                        format!("route `{}` is declared twice", RouteKey(method, &path)),
                    )
                    .at(r.key.span)
                    .label("second declaration")
                    .help(format!(
                        "`{fk}` on line {fl} is the same route; merge their scopes into one entry"
                    )),
                );
                continue;
            }
            conflicts |=
                self.check_siblings(&mut shapes, &trail, (method, &path, path_str), &r.key);
            let whose = Named("route", &RouteKey(method, &path));
            let access = match &r.access {
                RawAccess::Public(_) => Some(Access::Public),
                RawAccess::Authenticated(_) => Some(Access::Authenticated),
                RawAccess::Scopes(list) => {
                    let mut ids: Vec<ScopeId> = list
                        .iter()
                        .filter_map(|s| self.scope_ref(scopes, s, &whose))
                        .collect();
                    ids.sort();
                    ids.dedup();
                    if list.is_empty() {
                        self.err(
                            Diagnostic::error("no-scopes", format!("{whose} lists no scopes"))
                                .at(r.key.span)
                                .help("list the scopes that grant it, or write `public`; an empty list would let any signed-in user call it"),
                        );
                        None
                    } else if ids.len() < list.len() && ids.is_empty() {
                        None
                    } else {
                        Some(Access::AnyOf(ids))
                    }
                }
            };
            let integration = match &r.integration {
                None => Integration::Mock,
                Some(i) => match &i.value {
                    RawIntegration::Mock => Integration::Mock,
                    RawIntegration::Lambda(p) => {
                        if p.value.is_empty()
                            || p.value.len() > 255
                            || !p.value.chars().all(|c| c.is_ascii_alphanumeric())
                        {
                            self.err(
                                Diagnostic::error(
                                    "bad-name",
                                    format!("`{}` is not a CloudFormation parameter name", p.value),
                                )
                                .at(p.span)
                                .help("the value names the template parameter that will hold the function ARN: letters and digits only, e.g. `CreateOrderFunctionArn`"),
                            );
                        }
                        Integration::Lambda {
                            param: p.value.to_string(),
                        }
                    }
                    RawIntegration::Http(u) => {
                        self.check_http(u, &path);
                        Integration::Http {
                            url: u.value.to_string(),
                        }
                    }
                },
            };
            let bound = self.bound(r, &path, &whose);
            if let Some(access) = access {
                shapes.nodes[leaf].routes[method as usize] = Some(routes.len() as u32);
                routes.push(Route {
                    method,
                    path,
                    access,
                    bound,
                    integration,
                    decl: r.key.span,
                });
            }
        }
        // Sorted by path, then method. Without a conflict the tree holds one variable per
        // position, so its order is the paths' order and no path need be compared with
        // another. (No two routes have the same path and method: a duplicate is refused
        // above, so an unstable sort gives the one order there is.)
        if conflicts {
            routes.sort_unstable_by(|a, b| (&a.path, a.method).cmp(&(&b.path, b.method)));
        } else {
            // `to[i]`: where route `i` goes. Moved there in place, one cycle of the
            // permutation after another, rather than copied into a second list.
            let mut to = vec![0u32; routes.len()];
            for (place, route) in shapes.in_path_order().into_iter().enumerate() {
                to[route as usize] = place as u32;
            }
            for i in 0..routes.len() {
                while to[i] as usize != i {
                    let j = to[i] as usize;
                    routes.swap(i, j);
                    to.swap(i, j);
                }
            }
            debug_assert!(routes.is_sorted_by(|a, b| (&a.path, a.method) < (&b.path, b.method)));
        }
        routes
    }

    /// A route's `match`: each variable must be one of the path's, each claim one rolegen
    /// knows (string-valued, in every user's ID token), and a public route has no caller to
    /// compare with.
    fn bound(&mut self, r: &RawRoute, path: &Path, whose: &Named) -> Vec<Bound> {
        let Some(matches) = &r.matches else {
            return Vec::new();
        };
        if let RawAccess::Public(_) = r.access {
            self.err(
                Diagnostic::error(
                    "bad-match",
                    format!("{whose} is `public` and has a `match`"),
                )
                .at(matches.span)
                .label("a public route has no caller whose claims could be compared")
                .help("make the route `authenticated: true` or give it scopes"),
            );
            return Vec::new();
        }
        if matches.value.is_empty() {
            self.err(
                Diagnostic::error("bad-match", format!("{whose} has an empty `match`"))
                    .at(matches.span)
                    .help("write `match: {userId: sub}` to bind the path variable `userId` to the caller's `sub`, or remove `match`"),
            );
            return Vec::new();
        }
        let mut out = Vec::with_capacity(matches.value.len());
        for (var, claim) in &matches.value {
            let in_path = path.variables().any(|v| v == var.value);
            if !in_path {
                let vars: Vec<&str> = path.variables().collect();
                self.err(
                    Diagnostic::error(
                        "bad-match",
                        format!("{whose} has no path variable `{}`", var.value),
                    )
                    .at(var.span)
                    .label("not a variable of the path")
                    .help(if vars.is_empty() {
                        "`match` binds a path variable such as `{userId}` to a claim; this path has none".to_string()
                    } else {
                        suggest(&var.value, vars.iter().copied())
                    }),
                );
                continue;
            }
            let parsed = match claim.value.as_ref() {
                "sub" => Some(Claim::Sub),
                "cognito:username" => Some(Claim::Username),
                c => c.strip_prefix("custom:").and_then(|name| {
                    (!name.is_empty()
                        && name.len() <= 20
                        && name
                            .chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
                    .then(|| Claim::Custom(name.to_string()))
                }),
            };
            match parsed {
                Some(c) => out.push(Bound {
                    var: var.value.to_string(),
                    claim: c,
                    decl: claim.span,
                }),
                None => self.err(
                    Diagnostic::error(
                        "bad-match",
                        format!("`{}` is not a claim `match` can use", claim.value),
                    )
                    .at(claim.span)
                    .label("not `sub`, `cognito:username` or `custom:<attribute>`")
                    .help(if claim.value == "username" {
                        "write `cognito:username`; rolegen reads it from whichever token the API takes".to_string()
                    } else {
                        "bind the variable to `sub` (the user's id), `cognito:username`, or a custom attribute such as `custom:tenant` (1 to 20 letters, digits, `_` or `-`)".to_string()
                    }),
                ),
            }
        }
        out.sort_by(|a, b| a.var.cmp(&b.var));
        out
    }

    /// `match` needs an authorizer that sees the path and the token together.
    fn bound_for_strategy(&mut self, api: &Api, routes: &[Route]) {
        for r in routes {
            for b in &r.bound {
                if api.strategy == Strategy::CognitoScopes {
                    self.err(
                        Diagnostic::error(
                            "bad-match",
                            format!(
                                "route `{}` binds `{{{}}}` to a claim, which `cognito-scopes` cannot check",
                                r.key(),
                                b.var
                            ),
                        )
                        .at(b.decl)
                        .label("Cognito's authorizer compares scopes only")
                        .help("use `authorizer: lambda` or `authorizer: verified-permissions`, which compare the path with the verified token"),
                    );
                } else if api.strategy == Strategy::VerifiedPermissions
                    && api.token == TokenUse::Access
                    && b.claim.in_token(TokenUse::Access).is_none()
                {
                    self.err(
                        Diagnostic::error(
                            "bad-match",
                            format!(
                                "route `{}` binds `{{{}}}` to `{}`, which access tokens do not carry",
                                r.key(),
                                b.var,
                                b.claim.as_written()
                            ),
                        )
                        .at(b.decl)
                        .label("not in access tokens")
                        .help("use `sub` or `cognito:username`, or `api.token: id`"),
                    );
                }
            }
        }
    }

    /// Machine clients: names as Cognito's `ClientName` allows, at least one declared scope.
    fn clients(&mut self, raw: &Raw, scopes: &ScopeIds) -> Vec<Client> {
        let mut by_name: BTreeMap<&str, Client> = BTreeMap::new();
        for c in &raw.clients {
            let RawClient {
                name,
                description,
                scopes: listed,
            } = c;
            if let Some(first) = by_name.get(name.value.as_ref()) {
                let line = first.decl.line;
                self.err(
                    Diagnostic::error(
                        "duplicate",
                        format!("client `{}` is declared twice", name.value),
                    )
                    .at(name.span)
                    .label("second declaration")
                    .help(format!("first declared on line {line}")),
                );
                continue;
            }
            self.check_len(name, "client name", 1, 128);
            self.check_chars(
                name,
                "client name",
                is_word_space_char,
                "letters, digits, spaces and `+=,.@-`",
            );
            let whose = Named("client", &name.value);
            let mut ids: Vec<ScopeId> = listed
                .iter()
                .filter_map(|s| self.scope_ref(scopes, s, &whose))
                .collect();
            ids.sort();
            ids.dedup();
            if listed.is_empty() {
                self.err(
                    Diagnostic::error("no-scopes", format!("{whose} lists no scopes"))
                        .at(name.span)
                        .help("list the scopes it is granted, e.g. `scopes: [orders.read]`; a client-credentials client needs at least one"),
                );
            } else if ids.len() > MAX_CLIENT_SCOPES {
                self.err(
                    Diagnostic::error(
                        "limit",
                        format!(
                            "{whose} lists {} scopes, over the {MAX_CLIENT_SCOPES} an app client may allow",
                            ids.len()
                        ),
                    )
                    .at(name.span)
                    .help("split it into several clients"),
                );
            }
            by_name.insert(
                name.value.as_ref(),
                Client {
                    name: name.value.to_string(),
                    description: description.as_ref().map(|d| d.value.to_string()),
                    scopes: ids,
                    decl: name.span,
                },
            );
        }
        by_name.into_values().collect()
    }

    /// Splits `METHOD /path` and parses both halves, pointing errors inside the key. Returns
    /// the path as written, too (`Path`'s `Display` gives it back unchanged).
    fn route_key<'k>(&mut self, key: &'k Text) -> Option<(Method, Path, &'k str)> {
        let text: &str = &key.value;
        let trimmed = text.trim_start();
        let lead = text.len() - trimmed.len();
        let Some((method_str, rest)) = trimmed.split_once(char::is_whitespace) else {
            self.err(
                Diagnostic::error(
                    "bad-route",
                    format!("route `{text}` needs a method and a path"),
                )
                .at(key.span)
                .help(format!("write it as `GET {text}`")),
            );
            return None;
        };
        let path_str = rest.trim();
        // Character offsets of the method and the path in the key, for spans; counted only
        // when there is something to point at.
        let method_off = || text[..lead].chars().count();
        let path_off = || text[..text.len() - rest.trim_start().len()].chars().count();
        let method = match Method::parse(method_str) {
            Some(m) => Some(m),
            None => {
                let upper = method_str.to_ascii_uppercase();
                let help = if Method::parse(&upper).is_some() {
                    format!("write `{upper}`")
                } else {
                    format!(
                        "use one of {}",
                        Method::ALL
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                self.err(
                    Diagnostic::error("bad-method", format!("unknown HTTP method `{method_str}`"))
                        .at(self.inner(key, method_off(), method_str.chars().count()))
                        .label("not an API Gateway method")
                        .help(help),
                );
                None
            }
        };
        if path_str.contains(char::is_whitespace) {
            self.err(
                Diagnostic::error("bad-path", format!("path `{path_str}` contains a space"))
                    .at(self.inner(key, path_off(), path_str.chars().count()))
                    .help("a route key is `METHOD /path` with no other spaces"),
            );
            return None;
        }
        let path = match Path::parse(path_str) {
            Ok(p) => Some(p),
            Err(e) => {
                let mut d = Diagnostic::error("bad-path", e.message)
                    .at(self.inner(key, path_off() + e.offset, e.len))
                    .label("here");
                if let Some(h) = e.help {
                    d = d.help(h);
                }
                self.err(d);
                None
            }
        };
        Some((method?, path?, path_str))
    }

    /// A span inside a key: `offset` characters after its start, skipping an opening quote.
    fn inner(&self, key: &Text, offset: usize, len: usize) -> Span {
        let lines = self
            .lines
            .get_or_init(|| crate::diag::lines(self.text).collect());
        let line = lines
            .get(key.span.line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or("");
        let quoted = matches!(
            line.chars().nth(key.span.column.saturating_sub(1) as usize),
            Some('"' | '\'')
        );
        Span {
            line: key.span.line,
            column: key.span.column + offset as u32 + u32::from(quoted),
            len: len.max(1) as u32,
        }
    }

    /// API Gateway rejects `/orders/{id}` beside `/orders/{orderId}/items`: one variable name
    /// per position under the same parent. `trail` holds the route's nodes in `shapes`; the
    /// route is `(method, path, path as written)`. True when there is a conflict.
    fn check_siblings<'r>(
        &mut self,
        shapes: &mut Shapes<'r>,
        trail: &[u32],
        (method, path, path_str): (Method, &Path, &'r str),
        written: &Text,
    ) -> bool {
        for (depth, (seg, part)) in path.segments.iter().zip(parts(path_str)).enumerate() {
            if !seg.is_variable() {
                continue;
            }
            // The parent's shape: variables' names blanked, so a conflict found higher up
            // does not make every route below it conflict too.
            let parent = &mut shapes.nodes[trail[depth] as usize];
            match parent.var {
                // `part` is the variable as written, `{id}` or `{id+}`: the same text is the
                // same segment.
                Some(first) if first.part != part => {
                    let key = RouteKey(method, path);
                    let at = self.segment_span(written, depth, seg);
                    self.err(
                        Diagnostic::error(
                            "sibling-variables",
                            format!(
                                "route `{key}` uses `{part}` where `{} {}` (line {}) uses `{}`",
                                first.method, first.path, first.line, first.part
                            ),
                        )
                        .at(at)
                        .label("conflicting variable")
                        .help(format!(
                            "API Gateway allows one variable per path position; rename it to `{}`",
                            first.part
                        )),
                    );
                    return true;
                }
                Some(_) => {}
                None => {
                    parent.var = Some(FirstVar {
                        part,
                        method,
                        path: path_str,
                        line: written.span.line,
                    })
                }
            }
        }
        false
    }

    /// The span of the path segment after `depth` others, in the key as written (which may
    /// have extra spaces around the method).
    fn segment_span(&self, written: &Text, depth: usize, seg: &Segment) -> Span {
        let text: &str = &written.value;
        let trimmed = text.trim_start();
        let after_method = trimmed
            .find(char::is_whitespace)
            .map(|i| &trimmed[i..])
            .unwrap_or("");
        let path = after_method.trim_start();
        let mut offset = text[..text.len() - path.len()].chars().count();
        for p in path.split('/').skip(1).take(depth) {
            offset += 1 + p.chars().count();
        }
        self.inner(written, offset + 1, seg.path_part().chars().count())
    }

    fn check_http(&mut self, url: &Text, path: &Path) {
        if !(url.value.starts_with("https://") || url.value.starts_with("http://")) {
            self.err(
                Diagnostic::error(
                    "bad-value",
                    format!("`{}` is not an http(s) URL", url.value),
                )
                .at(url.span)
                .help("write the backend URL, e.g. `https://backend.example.com/orders/{orderId}`"),
            );
            return;
        }
        let vars: Vec<&str> = path.variables().collect();
        let mut rest: &str = &url.value;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let written = &rest[open + 1..open + close];
            let name = written.trim_end_matches('+');
            if written != name && vars.contains(&name) {
                // API Gateway fills an integration URI's `{name}` from
                // `integration.request.path.name`; its proxy examples write `{proxy}`.
                self.err(
                    Diagnostic::error(
                        "bad-value",
                        format!("the URL writes `{{{written}}}`; a URL names a greedy variable without the `+`"),
                    )
                    .at(url.span)
                    .help(format!("write `{{{name}}}` in the URL (the path keeps `{{{written}}}`), as AWS's proxy examples do")),
                );
            } else if !vars.contains(&name) {
                self.err(
                    Diagnostic::error(
                        "unknown-variable",
                        format!("the URL uses `{{{name}}}`, which the route's path does not have"),
                    )
                    .at(url.span)
                    .help(suggest(name, vars.iter().copied())),
                );
            }
            rest = &rest[open + close..];
        }
    }

    fn check_len(&mut self, s: &Text, what: &str, min: usize, max: usize) {
        let n = s.value.chars().count();
        if n < min || n > max {
            self.err(
                Diagnostic::error(
                    "bad-name",
                    format!("{what} `{}` is {n} characters long", truncate(&s.value)),
                )
                .at(s.span)
                .label(format!("must be {min} to {max} characters"))
                .help(format!("AWS accepts {min} to {max} characters here")),
            );
        }
    }

    fn check_chars(&mut self, s: &Text, what: &str, ok: impl Fn(char) -> bool, allowed: &str) {
        if let Some(bad) = s.value.chars().find(|&c| !ok(c)) {
            self.err(
                Diagnostic::error(
                    "bad-name",
                    format!(
                        "{what} `{}` contains {}",
                        truncate(&s.value),
                        show_char(bad)
                    ),
                )
                .at(s.span)
                .label("not allowed here")
                .help(format!("AWS allows {allowed}")),
            );
        }
    }

    /// Cognito's group name pattern is `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`: any letter, mark,
    /// symbol, number or punctuation; no spaces, control or format characters.
    fn check_group_name(&mut self, name: &Text) {
        self.check_len(name, "group name", 1, 128);
        self.check_chars(
            name,
            "group name",
            |c| !(c.is_whitespace() || c.is_control() || is_format_or_private(c)),
            "letters, marks, symbols, numbers and punctuation, without spaces",
        );
    }

    fn warnings(&mut self, model: &Model) {
        let mut used = vec![false; model.scopes.len()];
        for r in &model.routes {
            if let Access::AnyOf(ids) = &r.access {
                for s in ids {
                    used[s.0] = true;
                }
            }
        }
        for (i, s) in model.scopes.iter().enumerate() {
            if !used[i] {
                self.err(
                    Diagnostic::warning(
                        "unused-scope",
                        format!("no route uses scope `{}`", s.name),
                    )
                    .at(s.decl)
                    .help("add it to a route, or remove it"),
                );
            }
        }
        // Every signed-in user gets the public and `authenticated` routes, with or without a
        // group.
        let everyone = model.matrix.signed_in().count_ones(..);
        for g in model.group_ids() {
            if model.matrix.row(g).count_ones(..) == everyone {
                let group = model.group(g);
                self.err(
                    Diagnostic::warning(
                        "group-grants-nothing",
                        format!(
                            "group `{}` grants no route beyond the {}",
                            group.name,
                            if model.has_authenticated() {
                                "ones every signed-in user may call"
                            } else {
                                "public ones"
                            }
                        ),
                    )
                    .at(group.decl)
                    .help("give it a scope that a route uses, or include another group"),
                );
            }
        }
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        let head: String = s.chars().take(40).collect();
        format!("{head}…")
    } else {
        s.to_string()
    }
}

fn show_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\n' => "a newline".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_control() || c.is_whitespace() || is_format_or_private(c) => {
            format!("the character U+{:04X}", c as u32)
        }
        c => format!("`{c}`"),
    }
}

/// Word characters, whitespace and `+=,.@-`: AWS's `[\w\s+=,.@-]+`.
fn is_word_space_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=,.@-".contains(c)
}

/// Unicode format (Cf) and private-use (Co) characters that Rust's `char` methods do not
/// classify: zero-width and bidirectional controls, the BOM, and the private-use planes.
fn is_format_or_private(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// A group's effective scopes, each with the shortest `includes` chain that brings it.
fn effective(groups: &[Group], start: GroupId) -> Vec<EffectiveScope> {
    let mut via: Vec<Option<Vec<GroupId>>> = vec![None; groups.len()];
    via[start.0] = Some(vec![start]);
    let mut queue = VecDeque::from([start]);
    let mut found: BTreeMap<ScopeId, Vec<GroupId>> = BTreeMap::new();
    while let Some(g) = queue.pop_front() {
        let chain = via[g.0].clone().unwrap_or_default();
        for s in &groups[g.0].own_scopes {
            found.entry(*s).or_insert_with(|| chain.clone());
        }
        for inc in &groups[g.0].includes {
            if via[inc.0].is_none() {
                let mut next = chain.clone();
                next.push(*inc);
                via[inc.0] = Some(next);
                queue.push_back(*inc);
            }
        }
    }
    found
        .into_iter()
        .map(|(scope, via)| EffectiveScope { scope, via })
        .collect()
}

/// row[g] = public ∪ authenticated ∪ ⋃ over g's effective scopes s of routes(s);
/// client[c] = public ∪ ⋃ over c's scopes s of the routes of s with no `match`.
fn matrix(groups: &[Group], routes: &[Route], clients: &[Client], n_scopes: usize) -> Matrix {
    let mut by_scope = vec![FixedBitSet::with_capacity(routes.len()); n_scopes];
    let mut public = FixedBitSet::with_capacity(routes.len());
    let mut signed_in = FixedBitSet::with_capacity(routes.len());
    for (i, r) in routes.iter().enumerate() {
        match &r.access {
            Access::Public => {
                public.insert(i);
                signed_in.insert(i);
            }
            Access::Authenticated => signed_in.insert(i),
            Access::AnyOf(ids) => ids.iter().for_each(|s| by_scope[s.0].insert(i)),
        }
    }
    let rows = groups
        .iter()
        .map(|g| {
            let mut row = signed_in.clone();
            for e in &g.effective {
                row.union_with(&by_scope[e.scope.0]);
            }
            row
        })
        .collect();
    let clients: Vec<FixedBitSet> = clients
        .iter()
        .map(|c| {
            let mut row = public.clone();
            for s in &c.scopes {
                row.union_with(&by_scope[s.0]);
            }
            for (i, r) in routes.iter().enumerate() {
                if !r.bound.is_empty() {
                    row.set(i, false);
                }
            }
            row
        })
        .collect();
    let mut any_client = FixedBitSet::with_capacity(routes.len());
    for row in &clients {
        any_client.union_with(row);
    }
    Matrix {
        rows,
        public,
        signed_in,
        clients,
        any_client,
    }
}

/// API Gateway resources the routes need: one per distinct path prefix, the root excluded.
/// `routes` are sorted by path, so the routes that share a prefix stand together: a prefix is
/// new exactly where the route before does not share it.
pub fn count_resources(routes: &[Route]) -> usize {
    debug_assert!(routes.is_sorted_by(|a, b| a.path <= b.path));
    let mut prev: &[Segment] = &[];
    let mut count = 0;
    for r in routes {
        let segments = r.path.segments.as_slice();
        let shared = prev
            .iter()
            .zip(segments)
            .take_while(|(a, b)| a == b)
            .count();
        count += segments.len() - shared;
        prev = segments;
    }
    count
}

/// `GET /orders/{orderId}`, as messages name a route.
struct RouteKey<'a>(Method, &'a Path);

impl fmt::Display for RouteKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

/// "route `GET /a`", "group `Admin`": whose reference a message is about. Written out only
/// when a message is made; formatting it for every route cost more than checking the route.
struct Named<'a>(&'static str, &'a dyn fmt::Display);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} `{}`", self.0, self.1)
    }
}

/// Scope names → ids: routes name scopes tens of thousands of times, and a hash lookup is
/// cheaper than a binary search that compares names.
struct ScopeIds<'s> {
    scopes: &'s [Scope],
    by_name: HashMap<&'s str, ScopeId, foldhash::fast::RandomState>,
}

impl<'s> ScopeIds<'s> {
    fn new(scopes: &'s [Scope]) -> Self {
        let by_name = scopes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), ScopeId(i)))
            .collect();
        ScopeIds { scopes, by_name }
    }
}

/// The tree's root: the empty path.
const ROOT: u32 = 0;

/// Route shapes (paths with variables' names blanked: `/a/{}`) as a tree with one node per
/// distinct prefix, so that two paths are the same route exactly when they end at the same
/// node (`Path::same_shape`).
struct Shapes<'r> {
    nodes: Vec<ShapeNode<'r>>,
    /// `(parent, literal segment)` → child.
    literals: HashMap<(u32, &'r str), u32, foldhash::fast::RandomState>,
}

impl Default for Shapes<'_> {
    fn default() -> Self {
        Shapes {
            nodes: vec![ShapeNode::default()],
            literals: HashMap::default(),
        }
    }
}

#[derive(Default)]
struct ShapeNode<'r> {
    /// The children for a `{var}` and a `{var+}` segment.
    var_child: Option<u32>,
    greedy_child: Option<u32>,
    /// The first variable segment written right under this prefix.
    var: Option<FirstVar<'r>>,
    /// The route built for each method at this shape: its index among the routes.
    routes: [Option<u32>; Method::ALL.len()],
}

/// A variable segment (`part`, as written) and the route that used it first.
#[derive(Clone, Copy)]
struct FirstVar<'r> {
    part: &'r str,
    method: Method,
    path: &'r str,
    line: u32,
}

impl<'r> Shapes<'r> {
    /// The routes (their indexes) in the order of their paths, then methods: the tree's
    /// nodes depth first, each before its children, the children in the order of their
    /// segments (literals by name, then `{var}`, then `{var+}`), and at a node its routes in
    /// the order of their methods. That is the order of the routes' paths when every node has
    /// one variable below it: two paths then differ first where at most one is a variable.
    fn in_path_order(&self) -> Vec<u32> {
        // Every node's literal children, together and by name.
        let mut edges: Vec<(u32, &str, u32)> = self
            .literals
            .iter()
            .map(|(&(parent, name), &child)| (parent, name, child))
            .collect();
        edges.sort_unstable();
        // `edges[start[n]..start[n + 1]]` are node `n`'s.
        let mut start = vec![0usize; self.nodes.len() + 1];
        for &(parent, _, _) in &edges {
            start[parent as usize + 1] += 1;
        }
        for n in 1..start.len() {
            start[n] += start[n - 1];
        }
        let mut order = Vec::new();
        let mut stack = vec![ROOT];
        while let Some(node) = stack.pop() {
            let n = &self.nodes[node as usize];
            order.extend(n.routes.iter().flatten());
            // Pushed last to first, so that they come off first to last.
            stack.extend(n.greedy_child);
            stack.extend(n.var_child);
            let literals = &edges[start[node as usize]..start[node as usize + 1]];
            stack.extend(literals.iter().rev().map(|&(_, _, child)| child));
        }
        order
    }

    /// The node below `parent` for `seg`, written `part`; made when new.
    fn child(&mut self, parent: u32, seg: &Segment, part: &'r str) -> u32 {
        let new = self.nodes.len() as u32;
        let node = &mut self.nodes[parent as usize];
        let child = match seg {
            Segment::Literal(_) => *self.literals.entry((parent, part)).or_insert(new),
            Segment::Var(_) => *node.var_child.get_or_insert(new),
            Segment::Greedy(_) => *node.greedy_child.get_or_insert(new),
        };
        if child == new {
            self.nodes.push(ShapeNode::default());
        }
        child
    }
}
