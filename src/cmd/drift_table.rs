//! `rolegen drift --authorizer FILE`: read rolegen's own Lambda authorizer back and compare
//! its embedded table with roles.yaml: under `lambda` the route → groups, clients and bindings
//! table that decides; under `verified-permissions` what the handler decides itself (public
//! routes, `match` bindings, whether a machine client is asked about) before the Cedar
//! policies decide the rest.
//!
//! An API definition only says that a Lambda authorizer is attached, its type and its cache
//! key; what it decides is in its code. For rolegen's own handler that decision is data: the
//! `GROUPS` and `ROUTES` tables the generator serialized as JSON. Reading them from the file
//! that is deployed (`out/authorizer/index.mjs`, or the code `aws lambda get-function`
//! downloads) shows a handler generated from an older roles.yaml, or edited by hand, before
//! it decides for real callers. A hand-written authorizer has no such table, and nothing here
//! can tell what it decides.

use crate::model::{Access, Model};
use crate::report::{Finding, Location, Rule, Severity};
use std::collections::{BTreeMap, BTreeSet};

pub const AUTHORIZER_TABLE: Rule = Rule {
    id: "RG113",
    name: "authorizer-table",
    severity: Severity::Error,
    summary: "rolegen's authorizer, read back from its code, decides a route otherwise than roles.yaml",
};

/// Who the handler lets call a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Anyone (`null`).
    Public,
    /// Any signed-in user (`true`).
    SignedIn,
    Groups(BTreeSet<String>),
}

impl Grant {
    fn describe(&self) -> String {
        match self {
            Grant::Public => "anyone (public)".into(),
            Grant::SignedIn => "any signed-in user".into(),
            Grant::Groups(g) if g.is_empty() => "no group".into(),
            Grant::Groups(g) => format!(
                "group{} {}",
                if g.len() == 1 { "" } else { "s" },
                crate::apidef::quote_list(&g.iter().collect::<Vec<_>>())
            ),
        }
    }
}

/// One route of the handler's table: who may call it, which machine clients, and the path
/// variables it binds to claims (`match`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub grant: Grant,
    pub clients: BTreeSet<String>,
    pub bound: Vec<(String, String)>,
}

/// The handler's table: route key → entry, with the line of `const ROUTES`.
pub struct Table {
    pub routes: BTreeMap<String, Entry>,
    pub line: u32,
}

/// The JSON value that follows `const NAME = ` in the handler.
fn constant(text: &str, name: &str) -> Result<(serde_json::Value, u32), String> {
    let marker = format!("\nconst {name} = ");
    let at = text.find(&marker).ok_or_else(|| {
        format!("it has no `const {name} = [...]` table: it is not rolegen's `lambda` authorizer")
    })?;
    let start = at + marker.len();
    let line = text[..start].matches('\n').count() as u32 + 1;
    let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter();
    match values.next() {
        Some(Ok(v)) => Ok((v, line)),
        Some(Err(e)) => Err(format!("its `{name}` table is not JSON ({e})")),
        None => Err(format!("its `{name}` table is empty")),
    }
}

/// Reads `GROUPS` and `ROUTES` from the handler's text.
pub fn read(text: &str) -> Result<Table, String> {
    let (groups, _) = constant(text, "GROUPS")?;
    let (routes, line) = constant(text, "ROUTES")?;
    let groups: Vec<String> = serde_json::from_value(groups)
        .map_err(|_| "its `GROUPS` table is not a list of names".to_string())?;
    // Handlers of files without machine clients or `match` routes (and of earlier versions)
    // have no `CLIENTS` and two-item routes.
    let clients: Vec<String> = match constant(text, "CLIENTS") {
        Ok((v, _)) => serde_json::from_value(v)
            .map_err(|_| "its `CLIENTS` table is not a list of names".to_string())?,
        Err(_) => Vec::new(),
    };
    let bad =
        || "its `ROUTES` table is not a list of [route, groups, clients, bindings]".to_string();
    let mut out = BTreeMap::new();
    for entry in routes.as_array().ok_or_else(bad)? {
        let (Some(key), Some(who)) = (entry.get(0).and_then(|k| k.as_str()), entry.get(1)) else {
            return Err(bad());
        };
        let grant = match who {
            serde_json::Value::Null => Grant::Public,
            serde_json::Value::Bool(true) => Grant::SignedIn,
            serde_json::Value::Array(ids) => Grant::Groups(
                ids.iter()
                    .map(|i| {
                        i.as_u64()
                            .and_then(|i| groups.get(i as usize))
                            .cloned()
                            .ok_or_else(bad)
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(bad()),
        };
        let by_client: BTreeSet<String> = match entry.get(2) {
            None => BTreeSet::new(),
            Some(ids) => ids
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|i| {
                    i.as_u64()
                        .and_then(|i| clients.get(i as usize))
                        .cloned()
                        .ok_or_else(bad)
                })
                .collect::<Result<_, _>>()?,
        };
        let bound: Vec<(String, String)> = match entry.get(3) {
            None => Vec::new(),
            Some(b) => serde_json::from_value(b.clone()).map_err(|_| bad())?,
        };
        out.insert(
            key.to_string(),
            Entry {
                grant,
                clients: by_client,
                bound,
            },
        );
    }
    Ok(Table { routes: out, line })
}

/// A route's difference between the handler's table and roles.yaml.
fn finding(route: String, message: String, location: Location) -> Finding {
    Finding {
        rule: AUTHORIZER_TABLE.id,
        rule_name: AUTHORIZER_TABLE.name,
        severity: Severity::Error,
        route: Some(route),
        message,
        location: Some(location),
        help: Some("deploy the authorizer `rolegen gen` writes from this roles.yaml".into()),
    }
}

/// "`{userId}` to `sub`", or "no path variable".
fn bindings(b: &[(String, String)]) -> String {
    if b.is_empty() {
        "no path variable".to_string()
    } else {
        b.iter()
            .map(|(v, c)| format!("`{{{v}}}` to `{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What roles.yaml says for each route, as the handler would hold it.
fn expected(model: &Model) -> BTreeMap<String, (Entry, crate::diag::Span)> {
    model
        .route_ids()
        .map(|id| {
            let route = model.route(id);
            let grant = match route.access {
                Access::Public => Grant::Public,
                Access::Authenticated => Grant::SignedIn,
                Access::AnyOf(_) => Grant::Groups(
                    model
                        .group_ids()
                        .filter(|&g| model.matrix.allows(g, id))
                        .map(|g| model.group(g).name.clone())
                        .collect(),
                ),
            };
            let clients = model
                .client_ids()
                .filter(|&c| model.matrix.client_allows(c, id))
                .map(|c| model.client(c).name.clone())
                .collect();
            let bound = route
                .bound
                .iter()
                .filter_map(|b| {
                    b.claim
                        .in_token(crate::model::TokenUse::Id)
                        .map(|c| (b.var.clone(), c))
                })
                .collect();
            let entry = Entry {
                grant,
                clients,
                bound,
            };
            (route.key(), (entry, route.decl))
        })
        .collect()
}

/// Every difference between the handler's table and roles.yaml.
pub fn findings(
    model: &Model,
    table: &Table,
    roles_file: &str,
    handler_file: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let want = expected(model);
    for (key, (entry, decl)) in &want {
        let at = Location {
            file: roles_file.to_string(),
            line: decl.line,
            column: decl.column,
        };
        match table.routes.get(key) {
            None => out.push(finding(
                key.clone(),
                "the authorizer's table has no such route: it denies it to everyone".into(),
                at,
            )),
            Some(have) => {
                if have.grant != entry.grant {
                    out.push(finding(
                        key.clone(),
                        format!(
                            "the authorizer lets {} call this route; roles.yaml grants it to {}",
                            have.grant.describe(),
                            entry.grant.describe()
                        ),
                        at.clone(),
                    ));
                }
                if have.clients != entry.clients {
                    let names = |c: &BTreeSet<String>| {
                        if c.is_empty() {
                            "no machine client".to_string()
                        } else {
                            crate::apidef::quote_list(&c.iter().collect::<Vec<_>>())
                        }
                    };
                    out.push(finding(
                        key.clone(),
                        format!(
                            "the authorizer lets {} call this route; roles.yaml grants it to {}",
                            names(&have.clients),
                            names(&entry.clients)
                        ),
                        at.clone(),
                    ));
                }
                if have.bound != entry.bound {
                    out.push(finding(
                        key.clone(),
                        format!(
                            "the authorizer binds {}; roles.yaml binds {}",
                            bindings(&have.bound),
                            bindings(&entry.bound)
                        ),
                        at,
                    ));
                }
            }
        }
    }
    for (key, have) in &table.routes {
        if !want.contains_key(key) {
            out.push(finding(
                key.clone(),
                format!(
                    "the authorizer's table has this route, which roles.yaml does not declare, for {}",
                    have.grant.describe()
                ),
                Location {
                    file: handler_file.to_string(),
                    line: table.line,
                    column: 1,
                },
            ));
        }
    }
    out
}

/// One route of the `verified-permissions` handler's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VpEntry {
    pub public: bool,
    /// `[variable, claim as the policy names it]`.
    pub bound: Vec<(String, String)>,
    /// Whether some machine client may call it (the handler asks Verified Permissions only then).
    pub by_client: bool,
}

/// Reads the `verified-permissions` handler's `ROUTES`: `[route, public]`, or `[route, public,
/// bindings, by_client]` for files with machine clients or `match` routes.
pub fn read_vp(text: &str) -> Result<(BTreeMap<String, VpEntry>, u32), String> {
    let (routes, line) = constant(text, "ROUTES")?;
    let bad =
        || "its `ROUTES` table is not a list of [route, public, bindings, by client]".to_string();
    let mut out = BTreeMap::new();
    for entry in routes.as_array().ok_or_else(bad)? {
        let (Some(key), Some(public)) = (
            entry.get(0).and_then(|k| k.as_str()),
            entry.get(1).and_then(|p| p.as_bool()),
        ) else {
            return Err(bad());
        };
        let bound: Vec<(String, String)> = match entry.get(2) {
            None => Vec::new(),
            Some(b) => {
                let triples: Vec<(String, String, String)> =
                    serde_json::from_value(b.clone()).map_err(|_| bad())?;
                triples.into_iter().map(|(v, c, _)| (v, c)).collect()
            }
        };
        let by_client = match entry.get(3) {
            None => false,
            Some(b) => b.as_bool().ok_or_else(bad)?,
        };
        out.insert(
            key.to_string(),
            VpEntry {
                public,
                bound,
                by_client,
            },
        );
    }
    Ok((out, line))
}

/// Every difference between the `verified-permissions` handler's table and roles.yaml.
pub fn vp_findings(
    model: &Model,
    table: &BTreeMap<String, VpEntry>,
    line: u32,
    roles_file: &str,
    handler_file: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for id in model.route_ids() {
        let route = model.route(id);
        let key = route.key();
        let at = Location {
            file: roles_file.to_string(),
            line: route.decl.line,
            column: route.decl.column,
        };
        let want = VpEntry {
            public: route.access == Access::Public,
            bound: route
                .bound
                .iter()
                .map(|b| (b.var.clone(), b.claim.as_written()))
                .collect(),
            by_client: model.matrix.any_client(id),
        };
        seen.insert(key.clone());
        let Some(have) = table.get(&key) else {
            out.push(finding(
                key,
                "the authorizer's table has no such route: it denies it to everyone".into(),
                at,
            ));
            continue;
        };
        if have.public != want.public {
            out.push(finding(
                key.clone(),
                if have.public {
                    "the authorizer allows this route to anyone, without asking Verified Permissions; roles.yaml protects it".into()
                } else {
                    "the authorizer asks Verified Permissions for this route; roles.yaml makes it public".into()
                },
                at.clone(),
            ));
        }
        if have.bound != want.bound {
            out.push(finding(
                key.clone(),
                format!(
                    "the authorizer binds {}; roles.yaml binds {}",
                    bindings(&have.bound),
                    bindings(&want.bound)
                ),
                at.clone(),
            ));
        }
        if have.by_client != want.by_client {
            out.push(finding(
                key.clone(),
                if have.by_client {
                    "the authorizer asks Verified Permissions for machine clients on this route; roles.yaml lets no client call it".into()
                } else {
                    "the authorizer denies every machine client this route without asking; roles.yaml lets a client call it".into()
                },
                at,
            ));
        }
    }
    for key in table.keys().filter(|k| !seen.contains(*k)) {
        out.push(finding(
            key.clone(),
            "the authorizer's table has this route, which roles.yaml does not declare".into(),
            Location {
                file: handler_file.to_string(),
                line,
                column: 1,
            },
        ));
    }
    out
}
