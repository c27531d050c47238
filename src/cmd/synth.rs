//! Synthetic roles files, for the benchmark and for trying rolegen at scale: `rolegen synth`
//! prints a valid `roles.yaml` of any size, shaped like a real REST API, so that speed and
//! memory are measured on files that look like the ones people write, and not on a toy.
//!
//! The file is a pure function of its parameters (a fixed PRNG seeded by `--seed`): the same
//! command gives the same bytes on every machine, so figures can be reproduced.
//!
//! Shape: top-level collections (`/orders`) with an item (`/orders/{orderId}`), actions
//! (`POST /orders/{orderId}/cancel`), sub-collections two levels deep and now and then a
//! greedy path (`/orders/{orderId}/files/{path+}`). A variable's name comes from the literal
//! segment above it, so siblings never disagree (API Gateway rejects `/a/{id}` beside
//! `/a/{aId}/b`). Scopes come in read/write pairs per domain plus `admin`; groups are `Admin`,
//! a reader and an editor per domain (the editor includes the reader), then lateral teams
//! that include several of those and sometimes an earlier team.

use crate::cmd::Global;
use crate::cmd::Outcome;
use crate::diag::Diagnostic;
use crate::model::Strategy;
use std::fmt::Write as _;

/// Cognito: an app client allows 50 OAuth scopes, `openid` included.
const MAX_CLIENT_SCOPES: usize = 50;
/// Cognito: 100 custom scopes per resource server.
pub const MAX_SCOPES: usize = 100;
/// Far above any real API (API Gateway's default quota is 300 resources) and still a file of
/// tens of megabytes made in seconds; a count beyond it is a typo, and used to ask for more
/// memory than the machine has.
pub const MAX_ROUTES: usize = 1_000_000;
/// Cognito's quota of groups per user pool.
pub const MAX_GROUPS: usize = 10_000;

/// What to generate. `validate` says whether rolegen will accept the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthParams {
    pub routes: usize,
    pub groups: usize,
    pub scopes: usize,
    pub seed: u64,
    pub strategy: Strategy,
}

impl SynthParams {
    /// The benchmark's default shape for `routes` routes: 5 groups up to 100 routes, then one
    /// group per 10 routes (100 groups at 1,000 routes), capped at 100; 49 scopes (the most a
    /// `cognito-scopes` app client allows beside `openid`), fewer for small files.
    pub fn for_routes(routes: usize) -> SynthParams {
        SynthParams {
            routes,
            groups: (routes / 10).clamp(5, 100),
            scopes: (routes / 2).clamp(3, MAX_CLIENT_SCOPES - 1),
            seed: 1,
            strategy: Strategy::CognitoScopes,
        }
    }

    /// Parameters the generated file would break rolegen's own limits with.
    pub fn validate(&self) -> Result<(), Diagnostic> {
        let max_scopes = match self.strategy {
            Strategy::CognitoScopes => MAX_CLIENT_SCOPES - 1,
            Strategy::Lambda | Strategy::VerifiedPermissions => MAX_SCOPES,
        };
        if self.scopes == 0 || self.scopes > max_scopes {
            return Err(Diagnostic::error(
                "bad-value",
                format!(
                    "`--scopes {}` is out of range for `authorizer: {}`",
                    self.scopes,
                    self.strategy.as_str()
                ),
            )
            .help(format!(
                "use 1 to {max_scopes} scopes{}",
                if self.strategy == Strategy::CognitoScopes {
                    " (an app client allows 50 scopes, `openid` included)"
                } else {
                    " (Cognito allows 100 per resource server)"
                }
            )));
        }
        for (flag, n, max) in [
            ("routes", self.routes, MAX_ROUTES),
            ("groups", self.groups, MAX_GROUPS),
        ] {
            if n == 0 || n > max {
                return Err(Diagnostic::error(
                    "bad-value",
                    format!("`--{flag} {n}` is out of range"),
                )
                .help(format!("use 1 to {max} {flag}")));
            }
        }
        Ok(())
    }
}

/// `rolegen synth`: prints a synthetic roles.yaml on stdout.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Number of routes, 1 to 1000000.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = count(MAX_ROUTES))]
    pub routes: usize,
    /// Number of groups, 1 to 10000 (Cognito's quota per user pool).
    #[arg(long, default_value_t = 10, value_name = "G", value_parser = count(MAX_GROUPS))]
    pub groups: usize,
    /// Number of scopes (`admin` plus read/write pairs), 1 to 100; at most 49 for
    /// `cognito-scopes`.
    #[arg(long, default_value_t = 21, value_name = "S", value_parser = count(MAX_SCOPES))]
    pub scopes: usize,
    /// Seed of the generator (any number up to 18446744073709551615): the same seed gives
    /// the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The `api.authorizer` strategy to write.
    #[arg(long, default_value = "cognito-scopes", value_parser = ["cognito-scopes", "lambda", "verified-permissions"])]
    pub authorizer: String,
}

/// A count from 1 to `max`, refused by clap with the range when it is outside.
fn count(max: usize) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..=max as u64)
}

pub fn run(global: &Global, args: &Args) -> Outcome {
    let params = SynthParams {
        routes: args.routes,
        groups: args.groups,
        scopes: args.scopes,
        seed: args.seed,
        strategy: match args.authorizer.as_str() {
            "lambda" => Strategy::Lambda,
            "verified-permissions" => Strategy::VerifiedPermissions,
            _ => Strategy::CognitoScopes,
        },
    };
    if let Err(d) = params.validate() {
        return crate::cmd::fail(global, "command line", d);
    }
    // A failed write is reported by `finish`.
    let _ = global.console.out(&roles_yaml(&params));
    Outcome::Ok
}

/// SplitMix64: tiny, fixed, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform enough in `0..n` for test data; `n` must be > 0.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `1/n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// (plural, singular) of top-level collections and of the domains that own them.
const NOUNS: &[(&str, &str)] = &[
    ("orders", "order"),
    ("customers", "customer"),
    ("products", "product"),
    ("invoices", "invoice"),
    ("payments", "payment"),
    ("shipments", "shipment"),
    ("accounts", "account"),
    ("carts", "cart"),
    ("reviews", "review"),
    ("coupons", "coupon"),
    ("warehouses", "warehouse"),
    ("suppliers", "supplier"),
    ("categories", "category"),
    ("tickets", "ticket"),
    ("reports", "report"),
    ("subscriptions", "subscription"),
    ("refunds", "refund"),
    ("projects", "project"),
    ("tasks", "task"),
    ("documents", "document"),
    ("messages", "message"),
    ("locations", "location"),
    ("vendors", "vendor"),
    ("contracts", "contract"),
    ("assets", "asset"),
    ("devices", "device"),
    ("webhooks", "webhook"),
    ("plans", "plan"),
    ("quotes", "quote"),
    ("employees", "employee"),
];

/// Sub-resources of an item, chosen without repetition under each parent.
const SUBS: &[(&str, &str)] = &[
    ("items", "item"),
    ("notes", "note"),
    ("comments", "comment"),
    ("attachments", "attachment"),
    ("lines", "line"),
    ("members", "member"),
    ("versions", "version"),
    ("events", "event"),
    ("tags", "tag"),
    ("addresses", "address"),
    ("contacts", "contact"),
    ("approvals", "approval"),
];

const ACTIONS: &[&str] = &[
    "approve", "cancel", "archive", "restore", "export", "publish", "submit", "close",
];

/// Lateral roles: teams that need a mix of domains.
const TEAMS: &[&str] = &[
    "Support",
    "Auditor",
    "Finance",
    "Operations",
    "Sales",
    "Marketing",
    "Partner",
    "Analyst",
    "Billing",
    "Compliance",
    "Logistics",
    "Procurement",
];

/// The `n`th name of a list, numbered after the first round: `orders`, …, `orders2`, ….
fn nth_name(list: &[&str], n: usize) -> String {
    let base = list[n % list.len()];
    match n / list.len() {
        0 => base.to_string(),
        round => format!("{base}{}", round + 1),
    }
}

fn noun(n: usize) -> (String, String) {
    let (plural, singular) = NOUNS[n % NOUNS.len()];
    match n / NOUNS.len() {
        0 => (plural.to_string(), singular.to_string()),
        round => (
            format!("{plural}{}", round + 1),
            format!("{singular}{}", round + 1),
        ),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// A domain: the scopes that guard its routes and the Lambda parameter of its backend.
struct Domain {
    name: String,
    read: String,
    /// `None` when the scope count is even and the last domain only got a read scope: its
    /// writes then need `admin`.
    write: Option<String>,
}

enum Integration {
    Mock,
    Lambda(String),
    Http(String),
}

struct Emitter<'a> {
    out: String,
    left: usize,
    domains: &'a [Domain],
}

impl Emitter<'_> {
    /// Writes one route, unless the requested count is reached. `scopes: None` is public.
    fn route(&mut self, method: &str, path: &str, scopes: Option<&[String]>, integ: &Integration) {
        if self.left == 0 {
            return;
        }
        self.left -= 1;
        let access = match scopes {
            None => "public".to_string(),
            Some(s) => format!("[{}]", s.join(", ")),
        };
        let long = |out: &mut String| {
            let _ = writeln!(out, "  {method} {path}:");
            match scopes {
                None => out.push_str("    public: true\n"),
                Some(_) => {
                    let _ = writeln!(out, "    scopes: {access}");
                }
            }
        };
        match integ {
            Integration::Mock => {
                let _ = writeln!(self.out, "  {method} {path}: {access}");
            }
            Integration::Lambda(param) => {
                long(&mut self.out);
                let _ = writeln!(self.out, "    integration: {{ lambda: {param} }}");
            }
            Integration::Http(base) => {
                long(&mut self.out);
                // A URL names a greedy variable without its `+` (`{path}`).
                let url_path = path.replace("+}", "}");
                let _ = writeln!(
                    self.out,
                    "    integration:\n      http: \"{base}{url_path}\""
                );
            }
        }
    }

    /// The scopes that grant reading domain `d`: its read scope, or `admin`.
    fn read(&self, d: usize) -> Vec<String> {
        let mut v = vec![self.domains[d].read.clone(), "admin".to_string()];
        v.dedup();
        v
    }

    /// The scopes that grant changing domain `d`.
    fn write(&self, d: usize) -> Vec<String> {
        match &self.domains[d].write {
            Some(w) => vec![w.clone(), "admin".to_string()],
            None => vec!["admin".to_string()],
        }
    }
}

/// A synthetic roles.yaml with exactly `params.routes` routes. Assumes `params.validate()`
/// passes; out-of-range counts are clamped rather than refused. Every strategy gets the same
/// shapes: none refuses an access matrix.
pub fn roles_yaml(params: &SynthParams) -> String {
    let mut rng = Rng(params.seed);
    let n_scopes = params.scopes.max(1);
    let n_domains = (n_scopes - 1).div_ceil(2).max(1);
    let domains: Vec<Domain> = (0..n_domains)
        .map(|d| {
            let name = noun(d).0;
            let read_index = 1 + 2 * d;
            Domain {
                read: if read_index < n_scopes {
                    format!("{name}.read")
                } else {
                    // Only `admin` exists: every route needs it.
                    "admin".to_string()
                },
                write: (read_index + 1 < n_scopes).then(|| format!("{name}.write")),
                name,
            }
        })
        .collect();

    let mut out = String::with_capacity(params.routes.min(MAX_ROUTES) * 64 + 4096);
    let _ = writeln!(
        out,
        "# Synthetic roles file: rolegen synth --routes {} --groups {} --scopes {} --seed {} --authorizer {}",
        params.routes,
        params.groups,
        params.scopes,
        params.seed,
        params.strategy.as_str()
    );
    let _ = write!(
        out,
        "version: 1\napi:\n  name: synthetic-api\n  stage: prod\n  authorizer: {}\n  description: Synthetic API for rolegen benchmarks\nuser_pool:\n  name: synthetic-users\nresource_server:\n  identifier: api\n  name: Synthetic API\n",
        params.strategy.as_str()
    );

    out.push_str("scopes:\n  admin: Full administrative access\n");
    for d in &domains {
        if d.read != "admin" {
            let _ = writeln!(out, "  {}: Read {}", d.read, d.name);
        }
        if let Some(w) = &d.write {
            let _ = writeln!(out, "  {w}: Create and change {}", d.name);
        }
    }

    groups(&mut out, &mut rng, params.groups.max(1), &domains);

    out.push_str("routes:\n");
    let mut e = Emitter {
        out,
        left: params.routes,
        domains: &domains,
    };
    e.route("GET", "/health", None, &Integration::Mock);
    let mut collection = 0;
    while e.left > 0 {
        collection_routes(&mut e, &mut rng, collection);
        collection += 1;
    }
    e.out
}

/// Admin, then a reader and an editor per domain, then lateral teams; the first `n` of them.
/// Includes only name groups earlier in that order, so there is never a cycle.
fn groups(out: &mut String, rng: &mut Rng, n: usize, domains: &[Domain]) {
    struct G {
        name: String,
        description: String,
        precedence: u32,
        scopes: Vec<String>,
        includes: Vec<String>,
    }
    let mut all: Vec<G> = Vec::with_capacity(n);
    all.push(G {
        name: "Admin".into(),
        description: "Administrators, every route".into(),
        precedence: 1,
        scopes: vec!["admin".into()],
        includes: Vec::new(),
    });
    // Tiers: index of every reader and editor, for teams to include.
    let mut tiered: Vec<usize> = Vec::new();
    for (i, d) in domains.iter().enumerate() {
        if all.len() >= n {
            break;
        }
        let cap = capitalized(&d.name);
        let reader = format!("{cap}Reader");
        all.push(G {
            name: reader.clone(),
            description: format!("Reads {}", d.name),
            precedence: 100 + i as u32,
            scopes: vec![d.read.clone()],
            includes: Vec::new(),
        });
        tiered.push(all.len() - 1);
        if all.len() >= n {
            break;
        }
        all.push(G {
            name: format!("{cap}Editor"),
            description: format!("Reads and changes {}", d.name),
            precedence: 50 + i as u32,
            scopes: d.write.iter().cloned().collect(),
            includes: vec![reader],
        });
        tiered.push(all.len() - 1);
    }
    // Admin is the top of the hierarchy: it includes every editor (redundant with `admin`, as
    // in real files, and it exercises the resolution of `includes`).
    let editors: Vec<String> = all
        .iter()
        .filter(|g| g.name.ends_with("Editor"))
        .map(|g| g.name.clone())
        .collect();
    all[0].includes = editors;

    let first_team = all.len();
    let mut k = 0;
    while all.len() < n {
        let mut includes: Vec<String> = Vec::new();
        let mut scopes = Vec::new();
        if !tiered.is_empty() {
            for _ in 0..2 + rng.below(3) {
                let name = &all[tiered[rng.below(tiered.len())]].name;
                if !includes.contains(name) {
                    includes.push(name.clone());
                }
            }
        }
        if all.len() > first_team && rng.one_in(4) {
            let earlier = first_team + rng.below(all.len() - first_team);
            includes.push(all[earlier].name.clone());
        }
        if includes.is_empty() || rng.one_in(5) {
            scopes.push(domains[rng.below(domains.len())].read.clone());
        }
        all.push(G {
            name: nth_name(TEAMS, k),
            description: format!("Lateral role {}", k + 1),
            precedence: 200 + k as u32,
            scopes,
            includes,
        });
        k += 1;
    }

    out.push_str("groups:\n");
    for g in &all {
        let _ = writeln!(out, "  {}:", g.name);
        let _ = writeln!(out, "    description: {}", g.description);
        let _ = writeln!(out, "    precedence: {}", g.precedence);
        if !g.scopes.is_empty() {
            let _ = writeln!(out, "    scopes: [{}]", g.scopes.join(", "));
        }
        if !g.includes.is_empty() {
            let _ = writeln!(out, "    includes: [{}]", g.includes.join(", "));
        }
    }
}

/// The routes of top-level collection number `c`: list and create, the item, actions,
/// sub-collections, now and then a search, public reads or a greedy file path.
fn collection_routes(e: &mut Emitter, rng: &mut Rng, c: usize) {
    let (plural, singular) = noun(c);
    let dom = c % e.domains.len();
    let integ = match rng.below(10) {
        0..=4 => Integration::Mock,
        5..=7 => Integration::Lambda(format!("{}FunctionArn", capitalized(&e.domains[dom].name))),
        _ => Integration::Http(format!(
            "https://{}.backend.example.com",
            e.domains[dom].name
        )),
    };
    let public_reads = rng.one_in(10);
    let base = format!("/{plural}");
    let item = format!("{base}/{{{singular}Id}}");
    let (read, write, admin) = (e.read(dom), e.write(dom), vec!["admin".to_string()]);
    let reads = if public_reads { None } else { Some(&read[..]) };

    e.route("GET", &base, reads, &integ);
    e.route("POST", &base, Some(&write), &integ);
    if rng.one_in(3) {
        e.route("GET", &format!("{base}/search"), reads, &integ);
    }
    e.route("GET", &item, reads, &integ);
    e.route("PUT", &item, Some(&write), &integ);
    if rng.one_in(2) {
        e.route("PATCH", &item, Some(&write), &integ);
    }
    e.route("DELETE", &item, Some(&admin), &integ);
    let mut actions: Vec<&str> = ACTIONS.to_vec();
    for _ in 0..rng.below(3) {
        let a = actions.remove(rng.below(actions.len()));
        e.route("POST", &format!("{item}/{a}"), Some(&write), &integ);
    }
    if rng.one_in(8) {
        e.route(
            "GET",
            &format!("{item}/files/{{path+}}"),
            Some(&read),
            &integ,
        );
    }
    let count = 1 + rng.below(3);
    sub_collections(e, rng, &item, count, 2);
}

/// `count` sub-collections under `parent`, each with its own domain, recursing `depth`
/// levels.
fn sub_collections(e: &mut Emitter, rng: &mut Rng, parent: &str, count: usize, depth: usize) {
    let mut subs: Vec<(&str, &str)> = SUBS.to_vec();
    for _ in 0..count {
        if e.left == 0 {
            return;
        }
        let (plural, singular) = subs.remove(rng.below(subs.len()));
        let dom = rng.below(e.domains.len());
        let (read, write) = (e.read(dom), e.write(dom));
        let base = format!("{parent}/{plural}");
        // `/lines/{lineId}/lines/…` may come up; a path cannot name two variables alike.
        let mut var = format!("{singular}Id");
        if parent.contains(&format!("{{{var}}}")) {
            var = format!("sub{}", capitalized(&var));
        }
        let item = format!("{base}/{{{var}}}");
        e.route("GET", &base, Some(&read), &Integration::Mock);
        e.route("POST", &base, Some(&write), &Integration::Mock);
        e.route("GET", &item, Some(&read), &Integration::Mock);
        if rng.one_in(2) {
            e.route("PUT", &item, Some(&write), &Integration::Mock);
        }
        e.route("DELETE", &item, Some(&write), &Integration::Mock);
        if depth > 1 && rng.one_in(3) {
            let count = 1 + rng.below(2);
            sub_collections(e, rng, &item, count, depth - 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::load_text;

    fn load(p: &SynthParams) -> crate::model::Model {
        let text = roles_yaml(p);
        let loaded = load_text("synth.yaml", text);
        let errors: Vec<_> = loaded.diags.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{p:?}: {errors:#?}");
        loaded.model.expect("a model when there is no error")
    }

    #[test]
    fn valid_at_every_size() {
        for routes in [1, 10, 100, 1000] {
            let p = SynthParams::for_routes(routes);
            let m = load(&p);
            assert_eq!(m.routes.len(), routes);
            assert_eq!(m.groups.len(), p.groups);
            assert_eq!(m.scopes.len(), p.scopes);
        }
    }

    #[test]
    fn valid_with_odd_shapes() {
        for (routes, groups, scopes, strategy) in [
            (50, 1, 1, Strategy::CognitoScopes),
            (50, 2, 2, Strategy::CognitoScopes),
            (300, 100, 49, Strategy::CognitoScopes),
            (300, 40, 100, Strategy::Lambda),
            (200, 7, 4, Strategy::Lambda),
        ] {
            for seed in [0, 1, 42, u64::MAX] {
                let p = SynthParams {
                    routes,
                    groups,
                    scopes,
                    seed,
                    strategy,
                };
                p.validate().unwrap();
                let m = load(&p);
                assert_eq!(
                    (m.routes.len(), m.groups.len(), m.scopes.len()),
                    (routes, groups, scopes),
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn realistic_shape() {
        let p = SynthParams::for_routes(1000);
        let m = load(&p);
        assert!(
            m.routes
                .iter()
                .any(|r| r.access == crate::model::Access::Public)
        );
        assert!(m.routes.iter().any(|r| r.path.segments.len() >= 5));
        assert!(m.routes.iter().any(|r| r.path.variables().count() >= 2));
        // A sub-collection below one of the same name gets its own variable name.
        assert!(
            m.routes
                .iter()
                .any(|r| r.path.to_string().contains("/{sub"))
        );
        assert!(
            m.groups
                .iter()
                .any(|g| g.effective.iter().any(|e| e.via.len() >= 3))
        );
        assert!(m.groups.iter().any(|g| g.includes.len() >= 2));
        // Every group grants something beyond the public routes.
        let public = m.matrix.public().count_ones(..);
        assert!(
            m.group_ids()
                .all(|g| m.matrix.row(g).count_ones(..) > public)
        );
    }

    /// Every target of every strategy accepts the files.
    #[test]
    fn every_target_accepts_the_files() {
        for strategy in [
            Strategy::CognitoScopes,
            Strategy::Lambda,
            Strategy::VerifiedPermissions,
        ] {
            let p = SynthParams {
                strategy,
                seed: 3,
                ..SynthParams::for_routes(100)
            };
            let m = load(&p);
            let targets = crate::r#gen::select(&m, &[]).unwrap();
            if let Err(e) = crate::r#gen::generate_all(&m, &targets) {
                panic!("{p:?}: {e:#?}");
            }
        }
    }

    #[test]
    fn deterministic_and_seeded() {
        let p = SynthParams::for_routes(500);
        assert_eq!(roles_yaml(&p), roles_yaml(&p.clone()));
        let other = SynthParams {
            seed: 2,
            ..p.clone()
        };
        assert_ne!(roles_yaml(&p), roles_yaml(&other));
    }

    #[test]
    fn out_of_range_params_are_refused() {
        let mut p = SynthParams::for_routes(10);
        p.scopes = 50;
        assert!(p.validate().is_err());
        p.strategy = Strategy::Lambda;
        assert!(p.validate().is_ok());
        p.scopes = 101;
        assert!(p.validate().is_err());
        p.scopes = 0;
        assert!(p.validate().is_err());
        let mut p = SynthParams::for_routes(MAX_ROUTES);
        assert!(p.validate().is_ok());
        p.routes = MAX_ROUTES + 1;
        let e = p.validate().unwrap_err();
        assert_eq!(e.message, "`--routes 1000001` is out of range");
        assert_eq!(e.help.as_deref(), Some("use 1 to 1000000 routes"));
        p.routes = 1;
        p.groups = usize::MAX;
        assert!(p.validate().is_err());
    }
}
