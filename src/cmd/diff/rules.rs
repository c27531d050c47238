//! The rules of `rolegen diff`, each a small handler (buf's breaking-change rules are the
//! model): a rule has a stable ID, a name, a default severity and a one-line summary (`Rule`,
//! which SARIF lists), and a check that compares the two versions and reports what it finds.
//!
//! What every rule needs to know about the two versions — which groups match by name or look
//! renamed, which routes match by method and path shape — is worked out once (`Versions`).
//! Adding a rule is one entry in `CHECKS` and one function; the order of `CHECKS` does not
//! matter, since findings are sorted before they are printed.

use super::{Changes, Side};
use crate::r#gen::docs::column_order;
use crate::model::{Access, ClientId, GroupId, Model, RouteId};
use crate::report::{self, Finding, Location, Rule, Severity};
use std::collections::BTreeSet;

/// A rule and its handler.
pub struct Check {
    pub rule: Rule,
    check: fn(&Versions, &mut Report),
}

/// Every rule `diff` reports. IDs are stable: never reuse one for another meaning.
pub const CHECKS: &[Check] = &[
    Check {
        rule: Rule {
            id: "RG201",
            name: "access-granted",
            severity: Severity::Warning,
            summary: "groups may now call a route they could not call before",
        },
        check: access_granted,
    },
    Check {
        rule: Rule {
            id: "RG202",
            name: "access-revoked",
            severity: Severity::Note,
            summary: "groups may no longer call a route they could call before",
        },
        check: access_revoked,
    },
    Check {
        rule: Rule {
            id: "RG203",
            name: "route-made-public",
            severity: Severity::Warning,
            summary: "a route is now public (or a new route is public): anyone may call it without a token",
        },
        check: route_made_public,
    },
    Check {
        rule: Rule {
            id: "RG204",
            name: "route-made-private",
            severity: Severity::Note,
            summary: "a public route now needs a scope: callers without a token lose it",
        },
        check: route_made_private,
    },
    Check {
        rule: Rule {
            id: "RG205",
            name: "route-scopes-changed",
            severity: Severity::Note,
            summary: "the scopes that grant a route changed",
        },
        check: route_scopes_changed,
    },
    Check {
        rule: Rule {
            id: "RG206",
            name: "route-added",
            severity: Severity::Warning,
            summary: "a new protected route, and the groups that may call it",
        },
        check: route_added,
    },
    Check {
        rule: Rule {
            id: "RG207",
            name: "route-removed",
            severity: Severity::Note,
            summary: "a route was removed, and the groups that could call it",
        },
        check: route_removed,
    },
    Check {
        rule: Rule {
            id: "RG208",
            name: "route-made-authenticated",
            severity: Severity::Warning,
            summary: "a route is now `authenticated` (or a new route is): any signed-in user may call it, in any group or none",
        },
        check: route_made_authenticated,
    },
    Check {
        rule: Rule {
            id: "RG209",
            name: "route-no-longer-authenticated",
            severity: Severity::Note,
            summary: "an `authenticated` route now needs a scope: signed-in users without it lose it",
        },
        check: route_no_longer_authenticated,
    },
    Check {
        rule: Rule {
            id: "RG210",
            name: "group-added",
            severity: Severity::Warning,
            summary: "a new group, and the routes it may call",
        },
        check: group_added,
    },
    Check {
        rule: Rule {
            id: "RG211",
            name: "group-removed",
            severity: Severity::Warning,
            summary: "a group was removed: CloudFormation deletes its UserPoolGroup and its memberships",
        },
        check: group_removed,
    },
    Check {
        rule: Rule {
            id: "RG212",
            name: "group-renamed",
            severity: Severity::Warning,
            summary: "a group looks renamed: CloudFormation replaces its UserPoolGroup and its members are not moved",
        },
        check: group_renamed,
    },
    Check {
        rule: Rule {
            id: "RG213",
            name: "group-access-changed",
            severity: Severity::Note,
            summary: "the routes a group may call, or its effective scopes, changed",
        },
        check: group_access_changed,
    },
    Check {
        rule: Rule {
            id: "RG214",
            name: "client-added",
            severity: Severity::Warning,
            summary: "a new machine client, and the routes its scopes let it call",
        },
        check: client_added,
    },
    Check {
        rule: Rule {
            id: "RG215",
            name: "client-removed",
            severity: Severity::Warning,
            summary: "a machine client was removed: CloudFormation deletes its app client, and its id and secret stop working",
        },
        check: client_removed,
    },
    Check {
        rule: Rule {
            id: "RG216",
            name: "client-access-granted",
            severity: Severity::Warning,
            summary: "a machine client may now call routes it could not call before",
        },
        check: client_access_granted,
    },
    Check {
        rule: Rule {
            id: "RG217",
            name: "client-access-revoked",
            severity: Severity::Note,
            summary: "a machine client may no longer call routes it could call before",
        },
        check: client_access_revoked,
    },
    Check {
        rule: Rule {
            id: "RG218",
            name: "match-removed",
            severity: Severity::Warning,
            summary: "a route no longer binds a path variable to the caller (`match`): callers reach every value, not only their own",
        },
        check: match_removed,
    },
    Check {
        rule: Rule {
            id: "RG219",
            name: "match-added",
            severity: Severity::Note,
            summary: "a route now binds path variables to the caller (`match`), or binds them differently: callers keep only their own values",
        },
        check: match_added,
    },
    Check {
        rule: Rule {
            id: "RG220",
            name: "scope-added",
            severity: Severity::Note,
            summary: "a new scope on the resource server",
        },
        check: scope_added,
    },
    Check {
        rule: Rule {
            id: "RG221",
            name: "scope-removed",
            severity: Severity::Warning,
            summary: "a scope was removed: clients that request it get an error",
        },
        check: scope_removed,
    },
    Check {
        rule: Rule {
            id: "RG230",
            name: "user-pool-replaced",
            severity: Severity::Error,
            summary: "the user pool's name changed: Cognito cannot rename a pool; a new pool has none of the users",
        },
        check: user_pool_replaced,
    },
    Check {
        rule: Rule {
            id: "RG231",
            name: "resource-server-replaced",
            severity: Severity::Warning,
            summary: "the resource-server identifier changed: the server is replaced and every scope string changes",
        },
        check: resource_server_replaced,
    },
    Check {
        rule: Rule {
            id: "RG232",
            name: "retain-removed",
            severity: Severity::Warning,
            summary: "the user pool is no longer retained: deleting or replacing it deletes every user",
        },
        check: retain_removed,
    },
    Check {
        rule: Rule {
            id: "RG233",
            name: "authorizer-changed",
            severity: Severity::Note,
            summary: "the authorization strategy changed: clients must send a different token",
        },
        check: authorizer_changed,
    },
    Check {
        rule: Rule {
            id: "RG234",
            name: "stage-changed",
            severity: Severity::Note,
            summary: "the stage name changed: the API's invoke URL changes",
        },
        check: stage_changed,
    },
    Check {
        rule: Rule {
            id: "RG235",
            name: "sign-in-domain-changed",
            severity: Severity::Warning,
            summary: "the hosted sign-in domain changed (the update fails: a pool has one domain) or was removed (the sign-in page and token endpoint stop answering)",
        },
        check: sign_in_domain_changed,
    },
    Check {
        rule: Rule {
            id: "RG236",
            name: "mfa-changed",
            severity: Severity::Warning,
            summary: "MFA became required (every user enrols at the next sign-in) or was relaxed (fewer users are asked for a code)",
        },
        check: mfa_changed,
    },
    Check {
        rule: Rule {
            id: "RG237",
            name: "sign-in-url-removed",
            severity: Severity::Warning,
            summary: "a callback or logout URL was removed, or the callback URLs were left to the template parameter: apps that send users there get an error",
        },
        check: sign_in_url_removed,
    },
];

/// Compares two valid versions of a roles file with every rule.
pub fn compare(old: &Side, new: &Side) -> Changes {
    let versions = Versions::new(old, new);
    let (mut findings, mut widened) = (Vec::new(), false);
    for c in CHECKS {
        (c.check)(
            &versions,
            &mut Report {
                rule: &c.rule,
                findings: &mut findings,
                widened: &mut widened,
            },
        );
    }
    report::sort(&mut findings);
    Changes { findings, widened }
}

/// Where a handler reports: each finding carries the handler's rule.
pub struct Report<'a> {
    rule: &'static Rule,
    findings: &'a mut Vec<Finding>,
    widened: &'a mut bool,
}

impl Report<'_> {
    /// A finding at the rule's default severity.
    fn push(
        &mut self,
        route: Option<String>,
        message: String,
        location: Option<Location>,
        help: Option<&str>,
    ) {
        self.push_as(self.rule.severity, route, message, location, help);
    }

    fn push_as(
        &mut self,
        severity: Severity,
        route: Option<String>,
        message: String,
        location: Option<Location>,
        help: Option<&str>,
    ) {
        self.findings.push(Finding {
            rule: self.rule.id,
            rule_name: self.rule.name,
            severity,
            route,
            message,
            location,
            help: help.map(str::to_string),
        });
    }

    /// The change widens access (`--fail-on-grant`).
    fn widens(&mut self) {
        *self.widened = true;
    }
}

/// The two versions, and what matches between them.
pub struct Versions<'a> {
    old: &'a Side,
    new: &'a Side,
    om: &'a Model,
    nm: &'a Model,
    /// Groups matched by name, then the likely renames.
    group_pairs: Vec<(GroupId, GroupId)>,
    /// (old, new) groups with another name but the same scopes and includes, one each way.
    renames: Vec<(GroupId, GroupId)>,
    /// Old groups with no match.
    removed: Vec<GroupId>,
    /// New groups with no match.
    added: Vec<GroupId>,
    /// For each new route, the old one of the same method and path shape.
    old_of: Vec<Option<RouteId>>,
    /// For each old route, the new one.
    new_of: Vec<Option<RouteId>>,
    /// (old, new) routes matched, in the new file's order.
    route_pairs: Vec<(RouteId, RouteId)>,
}

impl<'a> Versions<'a> {
    fn new(old: &'a Side, new: &'a Side) -> Versions<'a> {
        let (om, nm) = (&old.model, &new.model);
        // Groups by name, then likely renames among the rest.
        let mut group_pairs: Vec<(GroupId, GroupId)> = Vec::new();
        let mut removed: Vec<GroupId> = Vec::new();
        for go in om.group_ids() {
            match nm.group_by_name(&om.group(go).name) {
                Some(gn) => group_pairs.push((go, gn)),
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
        group_pairs.extend(renames.iter().copied());

        // Routes by method and path shape, matched once each way.
        let old_of: Vec<Option<RouteId>> = nm
            .route_ids()
            .map(|rn| om.route_by(nm.route(rn).method, &nm.route(rn).path))
            .collect();
        let new_of: Vec<Option<RouteId>> = om
            .route_ids()
            .map(|ro| nm.route_by(om.route(ro).method, &om.route(ro).path))
            .collect();
        let route_pairs = nm
            .route_ids()
            .filter_map(|rn| old_of[rn.0].map(|ro| (ro, rn)))
            .collect();
        Versions {
            old,
            new,
            om,
            nm,
            group_pairs,
            renames,
            removed,
            added,
            old_of,
            new_of,
            route_pairs,
        }
    }

    /// Routes only the new version has.
    fn new_routes(&self) -> impl Iterator<Item = RouteId> + '_ {
        self.nm.route_ids().filter(|rn| self.old_of[rn.0].is_none())
    }

    /// Matched routes whose access went from one kind to another, as `(old, new, key,
    /// location in the new file)`.
    fn changed(
        &self,
        was: fn(&Access) -> bool,
        is: fn(&Access) -> bool,
    ) -> impl Iterator<Item = (RouteId, RouteId, String, Option<Location>)> + '_ {
        self.route_pairs.iter().filter_map(move |&(ro, rn)| {
            let route = self.nm.route(rn);
            (was(&self.om.route(ro).access) && is(&route.access))
                .then(|| (ro, rn, route.key(), self.new.at(route.decl)))
        })
    }
}

fn public(a: &Access) -> bool {
    *a == Access::Public
}

fn authenticated(a: &Access) -> bool {
    *a == Access::Authenticated
}

/// Needs one of some scopes.
fn scoped(a: &Access) -> bool {
    matches!(a, Access::AnyOf(_))
}

// ---------------------------------------------------------------------------------------------
// Routes

fn access_granted(v: &Versions, out: &mut Report) {
    let (om, nm) = (v.om, v.nm);
    for (ro, rn, key, loc) in v.changed(scoped, scoped) {
        let gained: Vec<GroupId> = v
            .group_pairs
            .iter()
            .filter(|(go, gn)| nm.matrix.allows(*gn, rn) && !om.matrix.allows(*go, ro))
            .map(|(_, gn)| *gn)
            .collect();
        let gained = ordered(nm, |g| gained.contains(&g));
        if !gained.is_empty() {
            out.widens();
            out.push(
                Some(key),
                format!("now callable by {}", whys(nm, &gained, rn)),
                loc,
                None,
            );
        }
    }
}

fn access_revoked(v: &Versions, out: &mut Report) {
    let (om, nm) = (v.om, v.nm);
    for (ro, rn, key, loc) in v.changed(scoped, scoped) {
        let lost: Vec<GroupId> = v
            .group_pairs
            .iter()
            .filter(|(go, gn)| om.matrix.allows(*go, ro) && !nm.matrix.allows(*gn, rn))
            .map(|(go, _)| *go)
            .collect();
        let lost = ordered(om, |g| lost.contains(&g));
        if !lost.is_empty() {
            let names: Vec<&str> = lost.iter().map(|g| om.group(*g).name.as_str()).collect();
            out.push(
                Some(key),
                format!("no longer callable by {}", list(&names)),
                loc,
                None,
            );
        }
    }
}

fn route_made_public(v: &Versions, out: &mut Report) {
    for rn in v.new_routes() {
        let route = v.nm.route(rn);
        if public(&route.access) {
            out.widens();
            out.push(
                Some(route.key()),
                "new public route: anyone may call it without a token".into(),
                v.new.at(route.decl),
                None,
            );
        }
    }
    for (_, _, key, loc) in v.changed(authenticated, public) {
        out.widens();
        out.push(
            Some(key),
            "now public: anyone may call it without a token (it needed a signed-in user)".into(),
            loc,
            None,
        );
    }
    for (ro, _, key, loc) in v.changed(scoped, public) {
        out.widens();
        out.push(
            Some(key),
            format!(
                "now public: anyone may call it without a token (it needed {}, which {})",
                list(&scope_names(v.om, ro)),
                holders(v.om, ro)
            ),
            loc,
            None,
        );
    }
}

fn route_made_private(v: &Versions, out: &mut Report) {
    for (_, _, key, loc) in v.changed(public, authenticated) {
        out.push(
            Some(key),
            "no longer public: it now needs a signed-in user (`authenticated`); callers without a token lose it".into(),
            loc,
            None,
        );
    }
    for (_, rn, key, loc) in v.changed(public, scoped) {
        out.push(
            Some(key),
            format!(
                "no longer public: it now needs {}; callers without a token lose it{}",
                list(&scope_names(v.nm, rn)),
                keepers(v.nm, rn)
            ),
            loc,
            None,
        );
    }
}

fn route_scopes_changed(v: &Versions, out: &mut Report) {
    for (ro, rn, key, loc) in v.changed(scoped, scoped) {
        let before: BTreeSet<&str> = scope_names(v.om, ro).into_iter().collect();
        let after: BTreeSet<&str> = scope_names(v.nm, rn).into_iter().collect();
        if before == after {
            continue;
        }
        let plus: Vec<&str> = after.difference(&before).copied().collect();
        let minus: Vec<&str> = before.difference(&after).copied().collect();
        let mut parts = Vec::new();
        if !plus.is_empty() {
            parts.push(format!("added {}", list(&plus)));
        }
        if !minus.is_empty() {
            parts.push(format!("removed {}", list(&minus)));
        }
        out.push(
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

fn route_added(v: &Versions, out: &mut Report) {
    let nm = v.nm;
    for rn in v.new_routes() {
        let route = nm.route(rn);
        if !scoped(&route.access) {
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
        if grants {
            out.widens();
        }
        out.push_as(
            if grants {
                Severity::Warning
            } else {
                Severity::Note
            },
            Some(route.key()),
            message,
            v.new.at(route.decl),
            None,
        );
    }
}

fn route_removed(v: &Versions, out: &mut Report) {
    let om = v.om;
    for ro in om.route_ids() {
        let route = om.route(ro);
        if v.new_of[ro.0].is_some() {
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
        out.push(Some(route.key()), message, v.old.at(route.decl), None);
    }
}

fn route_made_authenticated(v: &Versions, out: &mut Report) {
    for rn in v.new_routes() {
        let route = v.nm.route(rn);
        if authenticated(&route.access) {
            out.widens();
            out.push(
                Some(route.key()),
                "new `authenticated` route: any signed-in user may call it, in any group or none"
                    .into(),
                v.new.at(route.decl),
                None,
            );
        }
    }
    for (ro, _, key, loc) in v.changed(scoped, authenticated) {
        out.widens();
        out.push(
            Some(key),
            format!(
                "now `authenticated`: any signed-in user may call it, in any group or none (it needed {}, which {})",
                list(&scope_names(v.om, ro)),
                holders(v.om, ro)
            ),
            loc,
            None,
        );
    }
}

fn route_no_longer_authenticated(v: &Versions, out: &mut Report) {
    for (_, rn, key, loc) in v.changed(authenticated, scoped) {
        out.push(
            Some(key),
            format!(
                "no longer open to every signed-in user: it now needs {}{}",
                list(&scope_names(v.nm, rn)),
                keepers(v.nm, rn)
            ),
            loc,
            None,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Groups

fn group_added(v: &Versions, out: &mut Report) {
    let nm = v.nm;
    for &gn in &v.added {
        let callable: Vec<String> = nm
            .route_ids()
            .filter(|r| nm.matrix.allows(gn, *r) && nm.route(*r).access != Access::Public)
            .map(|r| nm.route(r).key())
            .collect();
        let scopes: Vec<&str> = effective_names(nm, gn).into_iter().collect();
        let grants = !callable.is_empty();
        if grants {
            out.widens();
        }
        out.push_as(
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
            v.new.at(nm.group(gn).decl),
            None,
        );
    }
}

fn group_removed(v: &Versions, out: &mut Report) {
    let om = v.om;
    for &go in &v.removed {
        let routes = protected_count(om, go);
        out.push(
            None,
            format!(
                "group `{}` is removed: CloudFormation deletes its `AWS::Cognito::UserPoolGroup`, and every membership in it is lost (it gave {})",
                om.group(go).name,
                plural(routes, "protected route")
            ),
            v.old.at(om.group(go).decl),
            Some(
                "if the group is still meant to exist, keep it; re-adding it later does not bring its members back",
            ),
        );
    }
}

fn group_renamed(v: &Versions, out: &mut Report) {
    let (om, nm) = (v.om, v.nm);
    for &(go, gn) in &v.renames {
        let members_routes = protected_count(om, go);
        out.push(
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
            v.new.at(nm.group(gn).decl),
            Some(
                "a group's name cannot change in place; keep the old name, or add the members to the new group after deploying (`aws cognito-idp admin-add-user-to-group`)",
            ),
        );
    }
}

/// Per group: the routes gained and lost, and the effective scopes.
fn group_access_changed(v: &Versions, out: &mut Report) {
    let (om, nm) = (v.om, v.nm);
    for &(go, gn) in &v.group_pairs {
        let mut gained: Vec<String> = Vec::new();
        let mut lost: Vec<String> = Vec::new();
        for rn in nm.route_ids() {
            if nm.route(rn).access == Access::Public || !nm.matrix.allows(gn, rn) {
                continue;
            }
            let before = v.old_of[rn.0].is_some_and(|ro| om.matrix.allows(go, ro));
            if !before {
                gained.push(nm.route(rn).key());
            }
        }
        for ro in om.route_ids() {
            if om.route(ro).access == Access::Public || !om.matrix.allows(go, ro) {
                continue;
            }
            let after = v.new_of[ro.0].is_some_and(|rn| nm.matrix.allows(gn, rn));
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
        out.push(
            None,
            format!("group `{}` {}", nm.group(gn).name, parts.join("; ")),
            v.new.at(nm.group(gn).decl),
            None,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Scopes

fn scope_added(v: &Versions, out: &mut Report) {
    for s in &v.nm.scopes {
        if v.om.scope_by_name(&s.name).is_none() {
            out.push(
                None,
                format!("new scope `{}` (`{}`)", s.name, s.full_name),
                v.new.at(s.decl),
                None,
            );
        }
    }
}

fn scope_removed(v: &Versions, out: &mut Report) {
    for s in &v.om.scopes {
        if v.nm.scope_by_name(&s.name).is_none() {
            out.push(
                None,
                format!(
                    "scope `{}` is removed: clients that request `{}` get an `invalid_scope` error, and app clients no longer allow it",
                    s.name, s.full_name
                ),
                v.old.at(s.decl),
                Some("update the clients that request this scope before deploying"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Settings whose change CloudFormation cannot apply in place

fn user_pool_replaced(v: &Versions, out: &mut Report) {
    let (om, nm) = (v.om, v.nm);
    if om.user_pool.name != nm.user_pool.name {
        out.push(
            None,
            format!(
                "user pool name `{}` → `{}`: Cognito cannot rename a user pool, so the stack update fails; a new pool would start with none of the users",
                om.user_pool.name, nm.user_pool.name
            ),
            v.new
                .setting(|r| r.user_pool.name.as_ref().map(|n| n.span), "user_pool"),
            Some(
                "keep the pool's name; to move to a new pool, migrate the users first (a user migration trigger or an import job)",
            ),
        );
    }
}

fn resource_server_replaced(v: &Versions, out: &mut Report) {
    let (om, nm) = (v.om, v.nm);
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
        out.push(
            None,
            format!(
                "resource server identifier `{}` → `{}`: the `AWS::Cognito::UserPoolResourceServer` is replaced and every scope string changes{example}; access tokens already issued stop working, and clients must request the new scopes",
                om.resource_server.identifier, nm.resource_server.identifier
            ),
            v.new.setting(
                |r| r.resource_server.identifier.as_ref().map(|n| n.span),
                "resource_server",
            ),
            Some("deploy when clients can re-authenticate, and update the scopes they request"),
        );
    }
}

fn retain_removed(v: &Versions, out: &mut Report) {
    if v.om.user_pool.retain && !v.nm.user_pool.retain {
        out.push(
            None,
            "the user pool is no longer retained (`deletion_policy: Delete`): deleting the stack, or a change that replaces the pool, deletes every user".into(),
            v.new.setting(
                |r| r.user_pool.deletion_policy.as_ref().map(|n| n.span),
                "user_pool",
            ),
            Some("keep `deletion_policy: Retain` for a pool with real users"),
        );
    }
}

fn authorizer_changed(v: &Versions, out: &mut Report) {
    let (om, nm) = (v.om, v.nm);
    if om.api.strategy != nm.api.strategy {
        let token = |m: &Model| m.api.strategy.token_name(m.api.token);
        out.push(
            None,
            format!(
                "authorizer `{}` → `{}`: clients must send the {} instead of the {}",
                om.api.strategy.as_str(),
                nm.api.strategy.as_str(),
                token(nm),
                token(om)
            ),
            v.new
                .setting(|r| r.api.authorizer.as_ref().map(|n| n.span), "api"),
            None,
        );
    }
}

fn stage_changed(v: &Versions, out: &mut Report) {
    let (om, nm) = (v.om, v.nm);
    if om.api.stage != nm.api.stage {
        out.push(
            None,
            format!(
                "stage `{}` → `{}`: the invoke URL changes and the old stage is deleted",
                om.api.stage, nm.api.stage
            ),
            v.new
                .setting(|r| r.api.stage.as_ref().map(|n| n.span), "api"),
            Some("update the clients' base URL"),
        );
    }
}

fn sign_in_domain_changed(v: &Versions, out: &mut Report) {
    let (old, new) = (
        &v.om.user_pool.sign_in.domain,
        &v.nm.user_pool.sign_in.domain,
    );
    let Some(old) = old else {
        // An existing pool may have a domain already, made outside this template.
        if let (Some(new), true) = (new, v.nm.user_pool.existing) {
            out.push_as(
                Severity::Note,
                None,
                format!(
                    "hosted sign-in domain `{new}` added to an existing pool: a pool has one domain, so the update fails if the pool already has one"
                ),
                v.new.setting(
                    |r| r.user_pool.domain.as_ref().map(|d| d.span),
                    "user_pool",
                ),
                Some("check first: `aws cognito-idp describe-user-pool --user-pool-id <id> --query UserPool.Domain`"),
            );
        }
        return;
    };
    match new {
        Some(new) if new == old => {}
        // CloudFormation creates the new `UserPoolDomain` before it deletes the old one, and
        // Cognito refuses a second domain on a pool ("User pool already has a domain
        // configured"; aws-cdk#10062).
        Some(new) => out.push_as(
            Severity::Error,
            None,
            format!(
                "hosted sign-in domain `{old}` → `{new}`: a user pool has one domain, and CloudFormation creates the new one before it deletes the old one, so the update fails; once through, the sign-in page and the token endpoint move to `https://{new}.auth.<region>.amazoncognito.com`"
            ),
            v.new.setting(
                |r| r.user_pool.domain.as_ref().map(|d| d.span),
                "user_pool",
            ),
            Some(
                "deploy once without `domain` (the old domain is deleted; sign-in stops), then with the new one, and update every app's and machine client's Cognito domain",
            ),
        ),
        None => out.push(
            None,
            format!(
                "hosted sign-in domain `{old}` removed: the sign-in page and the token endpoint stop answering"
            ),
            v.old.setting(
                |r| r.user_pool.domain.as_ref().map(|d| d.span),
                "user_pool",
            ),
            Some("keep it while any app or machine client signs in through it"),
        ),
    }
}

fn mfa_changed(v: &Versions, out: &mut Report) {
    use crate::model::Mfa;
    // With an existing pool, the template does not set MFA (see `user_pool.existing`).
    if v.nm.user_pool.existing || v.om.user_pool.existing {
        return;
    }
    let (old, new) = (v.om.user_pool.sign_in.mfa, v.nm.user_pool.sign_in.mfa);
    let name = |m: Mfa| match m {
        Mfa::Off => "off",
        Mfa::Optional => "optional",
        Mfa::Required => "required",
    };
    let (what, help) = match (old, new) {
        _ if old == new => return,
        (_, Mfa::Required) => (
            "every user without an authenticator app must set one up at the next sign-in (apps must answer Cognito's `MFA_SETUP` challenge)",
            "tell users first; CloudFormation has been reported to fail this change on an existing pool (cloudformation-coverage-roadmap #1176)",
        ),
        (Mfa::Required, Mfa::Optional) => (
            "users who have an authenticator app are still asked for a code, but new users and those who never set one up sign in with a password alone",
            "make sure this is meant: a second factor is no longer enforced",
        ),
        (_, Mfa::Off) => (
            "every user signs in with a password alone, authenticator app or not",
            "make sure this is meant: it weakens sign-in for every user",
        ),
        // Off → optional: nobody has to do anything.
        _ => return,
    };
    out.push(
        None,
        format!("MFA `{}` → `{}`: {what}", name(old), name(new)),
        v.new
            .setting(|r| r.user_pool.mfa.as_ref().map(|m| m.span), "user_pool"),
        Some(help),
    );
}

fn sign_in_url_removed(v: &Versions, out: &mut Report) {
    let (o, n) = (&v.om.user_pool.sign_in, &v.nm.user_pool.sign_in);
    // A list left to the template's `CallbackUrl` parameter: one URL, by default localhost.
    if let (Some(old), None) = (&o.callback_urls, &n.callback_urls) {
        out.push(
            None,
            format!(
                "`callback_urls` removed: the app client now takes one callback URL from the template's `CallbackUrl` parameter (default `http://localhost:3000/callback`) instead of the {} listed",
                old.len()
            ),
            v.old.setting(
                |r| r.user_pool.callback_urls.as_ref().map(|u| u.span),
                "user_pool",
            ),
            Some("keep the list, or pass `CallbackUrl` at deploy time for the one app left"),
        );
    }
    let mut lists = vec![("logout", &o.logout_urls[..], &n.logout_urls[..])];
    if let (Some(old), Some(new)) = (&o.callback_urls, &n.callback_urls) {
        lists.insert(0, ("callback", &old[..], &new[..]));
    }
    for (kind, old, new) in lists {
        for url in old.iter().filter(|u| !new.contains(u)) {
            out.push(
                None,
                format!(
                    "{kind} URL `{url}` removed: the hosted sign-in page no longer sends users there ({})",
                    match kind {
                        "callback" => "a sign-in asking for it gets `redirect_mismatch`",
                        _ => "a sign-out asking for it gets an error page",
                    }
                ),
                v.old.setting(
                    |r| match kind {
                        "callback" => r.user_pool.callback_urls.as_ref().map(|u| u.span),
                        _ => r.user_pool.logout_urls.as_ref().map(|u| u.span),
                    },
                    "user_pool",
                ),
                Some("remove it from the apps first, or keep it listed"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Machine clients (matched by name) and `match` bindings

/// The protected routes a client may call (public ones need no token, so they are no news).
fn client_routes(m: &Model, c: ClientId) -> impl Iterator<Item = RouteId> + '_ {
    m.route_ids()
        .filter(move |&r| m.matrix.client_allows(c, r) && m.route(r).access != Access::Public)
}

/// Clients in both versions, as (old, new).
fn client_pairs<'v>(v: &'v Versions) -> impl Iterator<Item = (ClientId, ClientId)> + 'v {
    v.nm.client_ids().filter_map(|cn| {
        v.om.client_by_name(&v.nm.client(cn).name)
            .map(|co| (co, cn))
    })
}

fn client_added(v: &Versions, out: &mut Report) {
    for cn in v.nm.client_ids() {
        let client = v.nm.client(cn);
        if v.om.client_by_name(&client.name).is_some() {
            continue;
        }
        let mine: Vec<String> = client_routes(v.nm, cn)
            .map(|r| v.nm.route(r).key())
            .collect();
        let message = format!(
            "new machine client `{}` may call {}{}",
            client.name,
            plural(mine.len(), "protected route"),
            if mine.is_empty() {
                String::new()
            } else {
                format!(": {}", list(&mine))
            }
        );
        if mine.is_empty() {
            out.push_as(Severity::Note, None, message, v.new.at(client.decl), None);
        } else {
            out.widens();
            out.push(None, message, v.new.at(client.decl), None);
        }
    }
}

fn client_removed(v: &Versions, out: &mut Report) {
    for co in v.om.client_ids() {
        let client = v.om.client(co);
        if v.nm.client_by_name(&client.name).is_none() {
            out.push(
                None,
                format!(
                    "machine client `{}` was removed: its app client is deleted, and its id and secret stop working",
                    client.name
                ),
                v.old.at(client.decl),
                Some("remove it only when nothing uses its credentials"),
            );
        }
    }
}

fn client_access_granted(v: &Versions, out: &mut Report) {
    for (co, cn) in client_pairs(v) {
        let had = |rn: RouteId| v.old_of[rn.0].is_some_and(|ro| v.om.matrix.client_allows(co, ro));
        let gained: Vec<String> = client_routes(v.nm, cn)
            .filter(|&rn| !had(rn))
            .map(|rn| v.nm.route(rn).key())
            .collect();
        if !gained.is_empty() {
            out.widens();
            out.push(
                None,
                format!(
                    "machine client `{}` may now call {}: {}",
                    v.nm.client(cn).name,
                    plural(gained.len(), "more route"),
                    list(&gained)
                ),
                v.new.at(v.nm.client(cn).decl),
                None,
            );
        }
    }
}

fn client_access_revoked(v: &Versions, out: &mut Report) {
    for (co, cn) in client_pairs(v) {
        let keeps =
            |ro: RouteId| v.new_of[ro.0].is_some_and(|rn| v.nm.matrix.client_allows(cn, rn));
        let lost: Vec<String> = client_routes(v.om, co)
            .filter(|&ro| !keeps(ro))
            .map(|ro| v.om.route(ro).key())
            .collect();
        if !lost.is_empty() {
            out.push(
                None,
                format!(
                    "machine client `{}` may no longer call {}: {}",
                    v.nm.client(cn).name,
                    plural(lost.len(), "route"),
                    list(&lost)
                ),
                v.new.at(v.nm.client(cn).decl),
                Some("update the client's callers before deploying"),
            );
        }
    }
}

/// A route's bindings by variable position (names may differ between versions of one path
/// shape), and as `{var} = claim` for messages.
fn bindings(m: &Model, r: RouteId) -> (Vec<(usize, String)>, Vec<String>) {
    let route = m.route(r);
    let vars: Vec<&str> = route.path.variables().collect();
    let mut by_position: Vec<(usize, String)> = route
        .bound
        .iter()
        .map(|b| {
            (
                vars.iter().position(|v| *v == b.var).unwrap_or(usize::MAX),
                b.claim.as_written(),
            )
        })
        .collect();
    by_position.sort();
    let shown = route
        .bound
        .iter()
        .map(|b| format!("{{{}}} = {}", b.var, b.claim.as_written()))
        .collect();
    (by_position, shown)
}

/// Matched routes whose bindings changed, with whether any old binding was dropped.
fn rebound<'v>(
    v: &'v Versions,
) -> impl Iterator<Item = (RouteId, Vec<String>, Vec<String>, bool)> + 'v {
    v.route_pairs.iter().filter_map(|&(ro, rn)| {
        let (was, was_shown) = bindings(v.om, ro);
        let (now, now_shown) = bindings(v.nm, rn);
        (was != now).then(|| {
            let dropped = was.iter().any(|b| !now.contains(b));
            (rn, was_shown, now_shown, dropped)
        })
    })
}

fn match_removed(v: &Versions, out: &mut Report) {
    let none = |l: &[String]| {
        if l.is_empty() {
            "none".to_string()
        } else {
            list(l)
        }
    };
    for (rn, was, now, dropped) in rebound(v) {
        if !dropped {
            continue;
        }
        out.widens();
        let route = v.nm.route(rn);
        out.push(
            Some(route.key()),
            format!(
                "no longer bound to the caller: {} → {}; callers may reach values that are not their own",
                none(&was),
                none(&now)
            ),
            v.new.at(route.decl),
            Some("make sure the backend checks ownership itself before removing `match`"),
        );
    }
}

fn match_added(v: &Versions, out: &mut Report) {
    for (rn, was, now, dropped) in rebound(v) {
        if dropped {
            continue;
        }
        let route = v.nm.route(rn);
        out.push(
            Some(route.key()),
            format!(
                "now only for the caller's own values: {}{}",
                list(&now),
                if was.is_empty() {
                    String::new()
                } else {
                    format!(" (was {})", list(&was))
                }
            ),
            v.new.at(route.decl),
            Some("callers who used other values lose them"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// What the messages say

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
