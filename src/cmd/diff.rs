//! `rolegen diff`: what a change to roles.yaml does to access, for pull-request review (buf's
//! `breaking`). It compares the two access models, not the two texts: per route the groups
//! that gain or lose it, per group the routes it gains or loses and why (which scope, which
//! `includes`), routes made public, and the CloudFormation consequences that lose data or
//! break callers (a group renamed or removed loses its members; a new user-pool name cannot
//! be applied; a new resource-server identifier changes every scope string).
//!
//! Both versions must be valid roles files. Groups match by name, routes by method and path
//! shape (variable names may differ), scopes by name.

use super::{Outcome, load_text};
use crate::cli::Global;
use crate::config::Raw;
use crate::diag::{Diagnostic, Span};
use crate::r#gen::docs::column_order;
use crate::model::{Access, GroupId, Model, RouteId};
use crate::report::{self, Finding, Format, Location, Rule, Severity, ToolCtx};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The roles file before the change. With `--base`, leave it out: the one file given is
    /// NEW.
    #[arg(value_name = "OLD")]
    pub old: Option<PathBuf>,
    /// The roles file after the change [default: the `--config` file, roles.yaml].
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,
    /// Read OLD from git: NEW's path at this revision (`main`, `origin/main`, `HEAD~1`).
    // Not empty: `git show :./FILE` would read the index and compare it silently.
    #[arg(long, value_name = "REV", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding is at least this severe. The only error is a change that would
    /// lose every user (`user-pool-replaced`); `warning` also stops data-losing group, scope
    /// and resource-server changes, and widened access.
    #[arg(long, value_enum, default_value_t = Severity::Error, value_name = "SEVERITY")]
    pub fail_on: Severity,
    /// Exit 1 when any access is widened: a group may call a route it could not, a route
    /// becomes public, a new route or a new group grants access.
    #[arg(long)]
    pub fail_on_grant: bool,
}

/// Every rule `diff` reports. IDs are stable: never reuse one for another meaning.
pub const RULES: &[Rule] = &[
    Rule {
        id: "RG201",
        name: "access-granted",
        severity: Severity::Warning,
        summary: "groups may now call a route they could not call before",
    },
    Rule {
        id: "RG202",
        name: "access-revoked",
        severity: Severity::Note,
        summary: "groups may no longer call a route they could call before",
    },
    Rule {
        id: "RG203",
        name: "route-made-public",
        severity: Severity::Warning,
        summary: "a route is now public (or a new route is public): anyone may call it without a token",
    },
    Rule {
        id: "RG204",
        name: "route-made-private",
        severity: Severity::Note,
        summary: "a public route now needs a scope: callers without a token lose it",
    },
    Rule {
        id: "RG205",
        name: "route-scopes-changed",
        severity: Severity::Note,
        summary: "the scopes that grant a route changed",
    },
    Rule {
        id: "RG206",
        name: "route-added",
        severity: Severity::Warning,
        summary: "a new protected route, and the groups that may call it",
    },
    Rule {
        id: "RG207",
        name: "route-removed",
        severity: Severity::Note,
        summary: "a route was removed, and the groups that could call it",
    },
    Rule {
        id: "RG208",
        name: "route-made-authenticated",
        severity: Severity::Warning,
        summary: "a route is now `authenticated` (or a new route is): any signed-in user may call it, in any group or none",
    },
    Rule {
        id: "RG209",
        name: "route-no-longer-authenticated",
        severity: Severity::Note,
        summary: "an `authenticated` route now needs a scope: signed-in users without it lose it",
    },
    Rule {
        id: "RG210",
        name: "group-added",
        severity: Severity::Warning,
        summary: "a new group, and the routes it may call",
    },
    Rule {
        id: "RG211",
        name: "group-removed",
        severity: Severity::Warning,
        summary: "a group was removed: CloudFormation deletes its UserPoolGroup and its memberships",
    },
    Rule {
        id: "RG212",
        name: "group-renamed",
        severity: Severity::Warning,
        summary: "a group looks renamed: CloudFormation replaces its UserPoolGroup and its members are not moved",
    },
    Rule {
        id: "RG213",
        name: "group-access-changed",
        severity: Severity::Note,
        summary: "the routes a group may call, or its effective scopes, changed",
    },
    Rule {
        id: "RG220",
        name: "scope-added",
        severity: Severity::Note,
        summary: "a new scope on the resource server",
    },
    Rule {
        id: "RG221",
        name: "scope-removed",
        severity: Severity::Warning,
        summary: "a scope was removed: clients that request it get an error",
    },
    Rule {
        id: "RG230",
        name: "user-pool-replaced",
        severity: Severity::Error,
        summary: "the user pool's name changed: Cognito cannot rename a pool; a new pool has none of the users",
    },
    Rule {
        id: "RG231",
        name: "resource-server-replaced",
        severity: Severity::Warning,
        summary: "the resource-server identifier changed: the server is replaced and every scope string changes",
    },
    Rule {
        id: "RG232",
        name: "retain-removed",
        severity: Severity::Warning,
        summary: "the user pool is no longer retained: deleting or replacing it deletes every user",
    },
    Rule {
        id: "RG233",
        name: "authorizer-changed",
        severity: Severity::Note,
        summary: "the authorization strategy changed: clients must send a different token",
    },
    Rule {
        id: "RG234",
        name: "stage-changed",
        severity: Severity::Note,
        summary: "the stage name changed: the API's invoke URL changes",
    },
];

fn rule(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .expect("every rule used is declared in RULES")
}

/// One version of the roles file: its display name, its model, and where its top-level
/// settings were written (for locations).
pub struct Side {
    pub name: String,
    pub model: Model,
    raw: Option<Raw<'static>>,
}

impl Side {
    /// Loads a version from its text; `Err` holds the diagnostics when it is not valid.
    pub fn load(name: &str, text: String) -> Result<Side, (String, String, Vec<Diagnostic>)> {
        let loaded = load_text(name, text);
        match loaded.model {
            Some(model) => {
                let mut ignore = Vec::new();
                let raw = crate::config::read(&loaded.text, &mut ignore).map(Raw::into_owned);
                Ok(Side {
                    name: loaded.name,
                    model,
                    raw,
                })
            }
            None => Err((loaded.name, loaded.text, loaded.diags)),
        }
    }

    fn at(&self, span: Span) -> Option<Location> {
        Some(Location {
            file: self.name.clone(),
            line: span.line,
            column: span.column,
        })
    }

    /// Where a top-level setting was written, else its section, else the file.
    fn setting(&self, pick: impl Fn(&Raw) -> Option<Span>, section: &str) -> Option<Location> {
        let raw = self.raw.as_ref();
        let span = raw
            .and_then(&pick)
            .or_else(|| {
                raw.and_then(|r| {
                    r.section_spans
                        .iter()
                        .find(|(name, _)| *name == section)
                        .map(|(_, s)| *s)
                })
            })
            .unwrap_or(Span::UNKNOWN);
        self.at(span)
    }
}

/// What changed, and whether any of it widens access.
pub struct Changes {
    pub findings: Vec<Finding>,
    pub widened: bool,
}

pub fn run(global: &Global, args: &Args) -> Outcome {
    let (old_src, new_path) = match (&args.base, &args.old, &args.new) {
        (Some(_), _, Some(_)) => {
            return usage(
                global,
                "with `--base`, give only NEW: OLD is read from git",
                "run `rolegen diff --base REV [NEW]`",
            );
        }
        (Some(rev), one, None) => (
            OldSource::Git(rev.clone()),
            one.clone().unwrap_or_else(|| global.config.clone()),
        ),
        (None, Some(old), new) => (
            OldSource::File(old.clone()),
            new.clone().unwrap_or_else(|| global.config.clone()),
        ),
        (None, None, _) => {
            return usage(
                global,
                "nothing to compare with",
                "run `rolegen diff OLD [NEW]`, or `rolegen diff --base REV` to compare with a git revision",
            );
        }
    };
    // OLD is read first when it is a file, so the first problem reported is the first given.
    let unreadable =
        |name: String, u: super::Unreadable| super::fail_in(global, &name, &u.text, *u.diag);
    let old_text = match &old_src {
        OldSource::File(p) => match read(p) {
            Ok(t) => Some(t),
            Err(u) => return unreadable(p.display().to_string(), u),
        },
        OldSource::Git(_) => None,
    };
    let new_text = match read(&new_path) {
        Ok(t) => t,
        Err(u) => return unreadable(new_path.display().to_string(), u),
    };
    let (old_name, old_text) = match old_src {
        OldSource::File(p) => (p.display().to_string(), old_text.unwrap_or_default()),
        OldSource::Git(rev) => {
            let name = format!("{rev}:{}", new_path.display());
            match git_show(&rev, &new_path) {
                Ok(t) => (name, t),
                Err(u) if u.diag.code == "encoding" => return unreadable(name, u),
                Err(u) => return unreadable(new_path.display().to_string(), u),
            }
        }
    };
    let old = Side::load(&old_name, old_text);
    let new = Side::load(&new_path.display().to_string(), new_text);
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            // Only errors: the warnings of a file are `check`'s business, not the diff's.
            for (name, text, diags) in [o.err(), n.err()].into_iter().flatten() {
                let errors: Vec<Diagnostic> = diags.into_iter().filter(|d| d.is_error()).collect();
                super::report(global, &name, &text, &errors);
            }
            return Outcome::Error;
        }
    };
    let changes = compare(&old, &new);
    let subject = format!("`{}` → `{}`", old.name, new.name);
    let ctx = ToolCtx {
        command: "diff",
        subject: &subject,
        rules: RULES,
        color: args.format == Format::Text && global.color_stdout(),
    };
    // A failed write is reported by `finish`; the findings decide the outcome either way.
    let _ = global
        .console
        .out(&report::render(&changes.findings, args.format, &ctx));
    if report::fails(&changes.findings, args.fail_on) || (args.fail_on_grant && changes.widened) {
        Outcome::Failed
    } else {
        Outcome::Ok
    }
}

enum OldSource {
    File(PathBuf),
    Git(String),
}

fn read(path: &Path) -> Result<String, super::Unreadable> {
    super::read_text(
        path,
        "check the path; NEW defaults to `--config` (roles.yaml)",
        crate::yaml::limits::ROLES.max_file_bytes,
    )
}

/// `NEW` as it was at `rev`: `git show REV:./FILE` run in NEW's folder, so the path is
/// resolved against the repository root whatever the current directory is.
fn git_show(rev: &str, new_path: &Path) -> Result<String, super::Unreadable> {
    let dir = match new_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = new_path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fails = |diag: Diagnostic| super::Unreadable {
        diag: Box::new(diag),
        text: String::new(),
    };
    if rev.starts_with('-') {
        return Err(fails(Diagnostic::error(
            "git",
            format!("`{rev}` is not a git revision"),
        )));
    }
    let spec = format!("{rev}:./{file}");
    let out = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["show", "--no-textconv", &spec])
        .output()
        .map_err(|e| {
            fails(
                Diagnostic::error("git", format!("cannot run `git`: {e}"))
                    .help("install git, or compare two files: `rolegen diff OLD NEW`"),
            )
        })?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(fails(Diagnostic::error(
            "git",
            format!("cannot read `{}` at `{rev}`: {msg}", new_path.display()),
        )
        .help("`--base` needs a revision where the file exists, e.g. `main` or `origin/main` (fetch it first in CI)")));
    }
    let name = format!("{rev}:{}", new_path.display());
    let max = crate::yaml::limits::ROLES.max_file_bytes;
    if out.stdout.len() > max {
        return Err(super::too_large(&name, max));
    }
    super::utf8(&name, out.stdout)
}

fn usage(global: &Global, message: &str, help: &str) -> Outcome {
    super::fail(
        global,
        "rolegen diff",
        Diagnostic::error("usage", message).help(help),
    )
}

// ---------------------------------------------------------------------------------------------
// The comparison

/// Names in backticks, joined; long lists are cut so one message stays readable.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    const MAX: usize = 12;
    let mut v: Vec<String> = items
        .iter()
        .take(MAX)
        .map(|s| format!("`{}`", s.as_ref()))
        .collect();
    if items.len() > MAX {
        v.push(format!("and {} more", items.len() - MAX));
    }
    v.join(", ")
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `` `Editor` (`admin` from Editor → Admin) ``: a group and every reason it may call a route.
fn why(model: &Model, g: GroupId, r: RouteId) -> String {
    let reasons: Vec<String> = model
        .grants(g, r)
        .iter()
        .map(|e| {
            let chain: Vec<&str> = e
                .via
                .iter()
                .map(|v| model.group(*v).name.as_str())
                .collect();
            format!("`{}` from {}", model.scope(e.scope).name, chain.join(" → "))
        })
        .collect();
    format!("`{}` ({})", model.group(g).name, reasons.join("; "))
}

fn whys(model: &Model, groups: &[GroupId], r: RouteId) -> String {
    const MAX: usize = 12;
    let mut v: Vec<String> = groups.iter().take(MAX).map(|g| why(model, *g, r)).collect();
    if groups.len() > MAX {
        v.push(format!("and {} more", groups.len() - MAX));
    }
    v.join(", ")
}

/// How many routes that need a token the group may call.
fn protected_count(model: &Model, g: GroupId) -> usize {
    model
        .route_ids()
        .filter(|r| model.route(*r).access != Access::Public && model.matrix.allows(g, *r))
        .count()
}

/// "no group had" / "only `A`, `B` had": who could call a route before it was opened up.
fn holders(om: &Model, ro: RouteId) -> String {
    let had: Vec<&str> = ordered(om, |g| om.matrix.allows(g, ro))
        .into_iter()
        .map(|g| om.group(g).name.as_str())
        .collect();
    if had.is_empty() {
        "no group had".to_string()
    } else {
        format!("only {} had", list(&had))
    }
}

/// ", and no group may call it" / ", and only … may call it": who keeps a narrowed route.
fn keepers(nm: &Model, rn: RouteId) -> String {
    let keep = ordered(nm, |g| nm.matrix.allows(g, rn));
    if keep.is_empty() {
        ", and no group may call it".to_string()
    } else {
        format!(", and only {} may call it", whys(nm, &keep, rn))
    }
}

fn scope_names(model: &Model, r: RouteId) -> Vec<&str> {
    match &model.route(r).access {
        Access::Public | Access::Authenticated => Vec::new(),
        Access::AnyOf(ids) => ids.iter().map(|s| model.scope(*s).name.as_str()).collect(),
    }
}

fn effective_names(model: &Model, g: GroupId) -> BTreeSet<&str> {
    model
        .group(g)
        .effective
        .iter()
        .map(|e| model.scope(e.scope).name.as_str())
        .collect()
}

/// What identifies a group apart from its name: its own scopes and its includes, by name.
fn signature(model: &Model, g: GroupId) -> (BTreeSet<&str>, BTreeSet<&str>) {
    let group = model.group(g);
    (
        group
            .own_scopes
            .iter()
            .map(|s| model.scope(*s).name.as_str())
            .collect(),
        group
            .includes
            .iter()
            .map(|i| model.group(*i).name.as_str())
            .collect(),
    )
}

/// Groups ordered most privileged first (as the docs and `explain` show them), restricted to
/// `keep`.
fn ordered(model: &Model, keep: impl Fn(GroupId) -> bool) -> Vec<GroupId> {
    column_order(model)
        .into_iter()
        .filter(|g| keep(*g))
        .collect()
}

pub fn compare(old: &Side, new: &Side) -> Changes {
    let (om, nm) = (&old.model, &new.model);
    let mut findings = Vec::new();
    let mut widened = false;
    let mut push = |id: &str,
                    severity: Severity,
                    route: Option<String>,
                    message: String,
                    location: Option<Location>,
                    help: Option<&str>| {
        let r = rule(id);
        findings.push(Finding {
            rule: r.id,
            rule_name: r.name,
            severity,
            route,
            message,
            location,
            help: help.map(str::to_string),
        });
    };

    // ---- groups: by name, then likely renames among the rest.
    let mut pairs: Vec<(GroupId, GroupId)> = Vec::new();
    let mut removed: Vec<GroupId> = Vec::new();
    for go in om.group_ids() {
        match nm.group_by_name(&om.group(go).name) {
            Some(gn) => pairs.push((go, gn)),
            None => removed.push(go),
        }
    }
    let mut added: Vec<GroupId> = nm
        .group_ids()
        .filter(|g| om.group_by_name(&nm.group(*g).name).is_none())
        .collect();
    let mut renames: Vec<(GroupId, GroupId)> = Vec::new();
    for &go in &removed {
        let sig = signature(om, go);
        let cands: Vec<GroupId> = added
            .iter()
            .copied()
            .filter(|gn| signature(nm, *gn) == sig)
            .collect();
        let rivals = removed.iter().filter(|r| signature(om, **r) == sig).count();
        if cands.len() == 1 && rivals == 1 {
            renames.push((go, cands[0]));
        }
    }
    removed.retain(|g| !renames.iter().any(|(o, _)| o == g));
    added.retain(|g| !renames.iter().any(|(_, n)| n == g));
    pairs.extend(renames.iter().copied());

    for &(go, gn) in &renames {
        let members_routes = protected_count(om, go);
        push(
            "RG212",
            Severity::Warning,
            None,
            format!(
                "group `{}` looks renamed to `{}` (same scopes and includes): CloudFormation replaces the `AWS::Cognito::UserPoolGroup`, and its members are not moved: they lose the {} it gave them{}",
                om.group(go).name,
                nm.group(gn).name,
                plural(members_routes, "protected route"),
                if nm.api.strategy == crate::model::Strategy::VerifiedPermissions {
                    "; its Cedar policy is replaced too (a policy's principal cannot change in place)"
                } else {
                    ""
                }
            ),
            new.at(nm.group(gn).decl),
            Some(
                "a group's name cannot change in place; keep the old name, or add the members to the new group after deploying (`aws cognito-idp admin-add-user-to-group`)",
            ),
        );
    }
    for &go in &removed {
        let routes = protected_count(om, go);
        push(
            "RG211",
            Severity::Warning,
            None,
            format!(
                "group `{}` is removed: CloudFormation deletes its `AWS::Cognito::UserPoolGroup`, and every membership in it is lost (it gave {})",
                om.group(go).name,
                plural(routes, "protected route")
            ),
            old.at(om.group(go).decl),
            Some(
                "if the group is still meant to exist, keep it; re-adding it later does not bring its members back",
            ),
        );
    }
    for &gn in &added {
        let callable: Vec<String> = nm
            .route_ids()
            .filter(|r| nm.matrix.allows(gn, *r) && nm.route(*r).access != Access::Public)
            .map(|r| nm.route(r).key())
            .collect();
        let scopes: Vec<&str> = effective_names(nm, gn).into_iter().collect();
        let grants = !callable.is_empty();
        widened |= grants;
        push(
            "RG210",
            if grants {
                Severity::Warning
            } else {
                Severity::Note
            },
            None,
            if grants {
                format!(
                    "new group `{}` may call {}: {} (scopes {})",
                    nm.group(gn).name,
                    plural(callable.len(), "protected route"),
                    list(&callable),
                    list(&scopes)
                )
            } else {
                format!(
                    "new group `{}` may call no protected route",
                    nm.group(gn).name
                )
            },
            new.at(nm.group(gn).decl),
            None,
        );
    }

    // ---- routes: by method and path shape, matched once each way.
    let old_of: Vec<Option<RouteId>> = nm
        .route_ids()
        .map(|rn| om.route_by(nm.route(rn).method, &nm.route(rn).path))
        .collect();
    let new_of: Vec<Option<RouteId>> = om
        .route_ids()
        .map(|ro| nm.route_by(om.route(ro).method, &om.route(ro).path))
        .collect();
    let mut route_pairs: Vec<(RouteId, RouteId)> = Vec::new();
    for rn in nm.route_ids() {
        let route = nm.route(rn);
        match old_of[rn.0] {
            Some(ro) => route_pairs.push((ro, rn)),
            None => {
                let key = route.key();
                let loc = new.at(route.decl);
                if route.access == Access::Public {
                    widened = true;
                    push(
                        "RG203",
                        Severity::Warning,
                        Some(key),
                        "new public route: anyone may call it without a token".into(),
                        loc,
                        None,
                    );
                    continue;
                }
                if route.access == Access::Authenticated {
                    widened = true;
                    push(
                        "RG208",
                        Severity::Warning,
                        Some(key),
                        "new `authenticated` route: any signed-in user may call it, in any group or none".into(),
                        loc,
                        None,
                    );
                    continue;
                }
                let all = ordered(nm, |g| nm.matrix.allows(g, rn));
                let message = if all.is_empty() {
                    format!(
                        "new route needing {}: no group may call it",
                        list(&scope_names(nm, rn))
                    )
                } else {
                    format!(
                        "new route needing {}: {} may call it",
                        list(&scope_names(nm, rn)),
                        whys(nm, &all, rn)
                    )
                };
                let grants = !all.is_empty();
                widened |= grants;
                push(
                    "RG206",
                    if grants {
                        Severity::Warning
                    } else {
                        Severity::Note
                    },
                    Some(key),
                    message,
                    loc,
                    None,
                );
            }
        }
    }
    for ro in om.route_ids() {
        let route = om.route(ro);
        if new_of[ro.0].is_some() {
            continue;
        }
        let message = if route.access == Access::Public {
            "route removed: it was public".to_string()
        } else if route.access == Access::Authenticated {
            "route removed: any signed-in user could call it".to_string()
        } else {
            let had: Vec<&str> = ordered(om, |g| om.matrix.allows(g, ro))
                .into_iter()
                .map(|g| om.group(g).name.as_str())
                .collect();
            if had.is_empty() {
                "route removed: no group could call it".to_string()
            } else {
                format!("route removed: {} could call it", list(&had))
            }
        };
        push(
            "RG207",
            Severity::Note,
            Some(route.key()),
            message,
            old.at(route.decl),
            None,
        );
    }

    for &(ro, rn) in &route_pairs {
        let key = nm.route(rn).key();
        let loc = new.at(nm.route(rn).decl);
        let (was, is) = (&om.route(ro).access, &nm.route(rn).access);
        match (was, is) {
            (Access::Authenticated, Access::Authenticated) => continue,
            (Access::AnyOf(_), Access::Authenticated) => {
                widened = true;
                push(
                    "RG208",
                    Severity::Warning,
                    Some(key),
                    format!(
                        "now `authenticated`: any signed-in user may call it, in any group or none (it needed {}, which {})",
                        list(&scope_names(om, ro)),
                        holders(om, ro)
                    ),
                    loc,
                    None,
                );
                continue;
            }
            (Access::Authenticated, Access::AnyOf(_)) => {
                push(
                    "RG209",
                    Severity::Note,
                    Some(key),
                    format!(
                        "no longer open to every signed-in user: it now needs {}{}",
                        list(&scope_names(nm, rn)),
                        keepers(nm, rn)
                    ),
                    loc,
                    None,
                );
                continue;
            }
            (Access::Public, Access::Authenticated) => {
                push(
                    "RG204",
                    Severity::Note,
                    Some(key),
                    "no longer public: it now needs a signed-in user (`authenticated`); callers without a token lose it".into(),
                    loc,
                    None,
                );
                continue;
            }
            (Access::Authenticated, Access::Public) => {
                widened = true;
                push(
                    "RG203",
                    Severity::Warning,
                    Some(key),
                    "now public: anyone may call it without a token (it needed a signed-in user)"
                        .into(),
                    loc,
                    None,
                );
                continue;
            }
            _ => {}
        }
        let old_public = *was == Access::Public;
        let new_public = *is == Access::Public;
        match (old_public, new_public) {
            (true, true) => continue,
            (false, true) => {
                widened = true;
                push(
                    "RG203",
                    Severity::Warning,
                    Some(key),
                    format!(
                        "now public: anyone may call it without a token (it needed {}, which {})",
                        list(&scope_names(om, ro)),
                        holders(om, ro)
                    ),
                    loc,
                    None,
                );
                continue;
            }
            (true, false) => {
                push(
                    "RG204",
                    Severity::Note,
                    Some(key),
                    format!(
                        "no longer public: it now needs {}; callers without a token lose it{}",
                        list(&scope_names(nm, rn)),
                        keepers(nm, rn)
                    ),
                    loc,
                    None,
                );
                continue;
            }
            (false, false) => {}
        }
        let gained: Vec<GroupId> = pairs
            .iter()
            .filter(|(go, gn)| nm.matrix.allows(*gn, rn) && !om.matrix.allows(*go, ro))
            .map(|(_, gn)| *gn)
            .collect();
        let lost: Vec<GroupId> = pairs
            .iter()
            .filter(|(go, gn)| om.matrix.allows(*go, ro) && !nm.matrix.allows(*gn, rn))
            .map(|(go, _)| *go)
            .collect();
        let gained = ordered(nm, |g| gained.contains(&g));
        let lost = ordered(om, |g| lost.contains(&g));
        if !gained.is_empty() {
            widened = true;
            push(
                "RG201",
                Severity::Warning,
                Some(key.clone()),
                format!("now callable by {}", whys(nm, &gained, rn)),
                loc.clone(),
                None,
            );
        }
        if !lost.is_empty() {
            let names: Vec<&str> = lost.iter().map(|g| om.group(*g).name.as_str()).collect();
            push(
                "RG202",
                Severity::Note,
                Some(key.clone()),
                format!("no longer callable by {}", list(&names)),
                loc.clone(),
                None,
            );
        }
        let before: BTreeSet<&str> = scope_names(om, ro).into_iter().collect();
        let after: BTreeSet<&str> = scope_names(nm, rn).into_iter().collect();
        if before != after {
            let plus: Vec<&str> = after.difference(&before).copied().collect();
            let minus: Vec<&str> = before.difference(&after).copied().collect();
            let mut parts = Vec::new();
            if !plus.is_empty() {
                parts.push(format!("added {}", list(&plus)));
            }
            if !minus.is_empty() {
                parts.push(format!("removed {}", list(&minus)));
            }
            push(
                "RG205",
                Severity::Note,
                Some(key),
                format!(
                    "scopes that grant it: {} (now {})",
                    parts.join("; "),
                    list(&after.iter().collect::<Vec<_>>())
                ),
                loc,
                None,
            );
        }
    }

    // ---- per group: the routes gained and lost, and the effective scopes.
    for &(go, gn) in &pairs {
        let mut gained: Vec<String> = Vec::new();
        let mut lost: Vec<String> = Vec::new();
        for rn in nm.route_ids() {
            if nm.route(rn).access == Access::Public || !nm.matrix.allows(gn, rn) {
                continue;
            }
            let before = old_of[rn.0].is_some_and(|ro| om.matrix.allows(go, ro));
            if !before {
                gained.push(nm.route(rn).key());
            }
        }
        for ro in om.route_ids() {
            if om.route(ro).access == Access::Public || !om.matrix.allows(go, ro) {
                continue;
            }
            let after = new_of[ro.0].is_some_and(|rn| nm.matrix.allows(gn, rn));
            if !after {
                lost.push(om.route(ro).key());
            }
        }
        let before = effective_names(om, go);
        let after = effective_names(nm, gn);
        let plus: Vec<&str> = after.difference(&before).copied().collect();
        let minus: Vec<&str> = before.difference(&after).copied().collect();
        if gained.is_empty() && lost.is_empty() && plus.is_empty() && minus.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !gained.is_empty() {
            parts.push(format!(
                "gains {}: {}",
                plural(gained.len(), "route"),
                list(&gained)
            ));
        }
        if !lost.is_empty() {
            parts.push(format!(
                "loses {}: {}",
                plural(lost.len(), "route"),
                list(&lost)
            ));
        }
        if !plus.is_empty() || !minus.is_empty() {
            let mut s = Vec::new();
            for p in &plus {
                let via = nm
                    .group(gn)
                    .effective
                    .iter()
                    .find(|e| nm.scope(e.scope).name == *p)
                    .map(|e| {
                        e.via
                            .iter()
                            .map(|v| nm.group(*v).name.as_str())
                            .collect::<Vec<_>>()
                            .join(" → ")
                    })
                    .unwrap_or_default();
                s.push(format!("+`{p}` (from {via})"));
            }
            for m in &minus {
                s.push(format!("-`{m}`"));
            }
            parts.push(format!("effective scopes {}", s.join(", ")));
        }
        push(
            "RG213",
            Severity::Note,
            None,
            format!("group `{}` {}", nm.group(gn).name, parts.join("; ")),
            new.at(nm.group(gn).decl),
            None,
        );
    }

    // ---- scopes.
    for s in &nm.scopes {
        if om.scope_by_name(&s.name).is_none() {
            push(
                "RG220",
                Severity::Note,
                None,
                format!("new scope `{}` (`{}`)", s.name, s.full_name),
                new.at(s.decl),
                None,
            );
        }
    }
    for s in &om.scopes {
        if nm.scope_by_name(&s.name).is_none() {
            push(
                "RG221",
                Severity::Warning,
                None,
                format!(
                    "scope `{}` is removed: clients that request `{}` get an `invalid_scope` error, and app clients no longer allow it",
                    s.name, s.full_name
                ),
                old.at(s.decl),
                Some("update the clients that request this scope before deploying"),
            );
        }
    }

    // ---- settings whose change CloudFormation cannot apply in place.
    if om.user_pool.name != nm.user_pool.name {
        push(
            "RG230",
            Severity::Error,
            None,
            format!(
                "user pool name `{}` → `{}`: Cognito cannot rename a user pool, so the stack update fails; a new pool would start with none of the users",
                om.user_pool.name, nm.user_pool.name
            ),
            new.setting(|r| r.user_pool.name.as_ref().map(|n| n.span), "user_pool"),
            Some(
                "keep the pool's name; to move to a new pool, migrate the users first (a user migration trigger or an import job)",
            ),
        );
    }
    if om.resource_server.identifier != nm.resource_server.identifier {
        let example = nm
            .scopes
            .first()
            .map(|s| {
                format!(
                    " (`{}/{}` → `{}`)",
                    om.resource_server.identifier, s.name, s.full_name
                )
            })
            .unwrap_or_default();
        push(
            "RG231",
            Severity::Warning,
            None,
            format!(
                "resource server identifier `{}` → `{}`: the `AWS::Cognito::UserPoolResourceServer` is replaced and every scope string changes{example}; access tokens already issued stop working, and clients must request the new scopes",
                om.resource_server.identifier, nm.resource_server.identifier
            ),
            new.setting(
                |r| r.resource_server.identifier.as_ref().map(|n| n.span),
                "resource_server",
            ),
            Some("deploy when clients can re-authenticate, and update the scopes they request"),
        );
    }
    if om.user_pool.retain && !nm.user_pool.retain {
        push(
            "RG232",
            Severity::Warning,
            None,
            "the user pool is no longer retained (`deletion_policy: Delete`): deleting the stack, or a change that replaces the pool, deletes every user".into(),
            new.setting(
                |r| r.user_pool.deletion_policy.as_ref().map(|n| n.span),
                "user_pool",
            ),
            Some("keep `deletion_policy: Retain` for a pool with real users"),
        );
    }
    if om.api.strategy != nm.api.strategy {
        let token = |m: &Model| m.api.strategy.token_name(m.api.token);
        push(
            "RG233",
            Severity::Note,
            None,
            format!(
                "authorizer `{}` → `{}`: clients must send the {} instead of the {}",
                om.api.strategy.as_str(),
                nm.api.strategy.as_str(),
                token(nm),
                token(om)
            ),
            new.setting(|r| r.api.authorizer.as_ref().map(|n| n.span), "api"),
            None,
        );
    }
    if om.api.stage != nm.api.stage {
        push(
            "RG234",
            Severity::Note,
            None,
            format!(
                "stage `{}` → `{}`: the invoke URL changes and the old stage is deleted",
                om.api.stage, nm.api.stage
            ),
            new.setting(|r| r.api.stage.as_ref().map(|n| n.span), "api"),
            Some("update the clients' base URL"),
        );
    }
    report::sort(&mut findings);
    Changes { findings, widened }
}
