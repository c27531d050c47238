//! The stage's production settings, resolved: access logging, X-Ray tracing, detailed
//! metrics, throttling (API default and per route) and CORS.
//!
//! None of them changes who may call what: the access matrix does not read them, and CORS
//! preflights are answered without authorization but are not routes of the matrix.

use super::{Method, Route, RouteId};
use crate::config::raw::{Raw, RawCors, RawLogging, RawThrottle, S};
use crate::diag::{Diagnostic, Span};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub struct StageSettings {
    /// `None`: access logging is off (`logging: false`).
    pub access_log: Option<AccessLog>,
    /// X-Ray tracing of the stage (on by default).
    pub tracing: bool,
    /// Detailed (per-method) CloudWatch metrics (off by default: they are billed per metric).
    pub metrics: bool,
    /// The stage's default limits; `None` leaves the account's.
    pub throttle: Option<Throttle>,
    /// Routes with their own limits, in model order.
    pub route_throttles: Vec<(RouteId, Throttle)>,
    pub cors: Option<Cors>,
    /// How the template defines the REST API (`api.definition`).
    pub definition: Definition,
}

/// Where the REST API's paths and methods are defined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Definition {
    /// A `Resource` per path and a `Method` per route in the template (`resources`).
    #[default]
    Resources,
    /// One OpenAPI document as the `RestApi`'s `Body`, in the template (`body`).
    Body,
    /// The same document as a file beside the template, which `aws cloudformation package`
    /// uploads and a small function puts into the API (`package`): past the template's 1 MB.
    Package,
}

impl Definition {
    /// The API is an OpenAPI document (inline or packaged): its authorizers have no logical IDs.
    pub fn is_document(self) -> bool {
        !matches!(self, Definition::Resources)
    }
}

impl Default for StageSettings {
    fn default() -> Self {
        StageSettings {
            access_log: Some(AccessLog {
                retention_days: DEFAULT_RETENTION,
                account_role: false,
            }),
            tracing: true,
            metrics: false,
            throttle: None,
            route_throttles: Vec::new(),
            cors: None,
            definition: Definition::Resources,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessLog {
    pub retention_days: u32,
    /// Whether the template sets the account's (region's) API Gateway logging role.
    pub account_role: bool,
}

/// Requests per second (steady) and burst; either may be left to the level above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    pub rate: Option<u32>,
    pub burst: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cors {
    /// Origins a browser may call from, as written (`*` alone, or `scheme://host[:port]`).
    pub origins: Vec<String>,
    /// Request headers the preflight allows; `Authorization` is always among them.
    pub headers: Vec<String>,
    pub credentials: bool,
    /// Seconds a browser may cache the preflight's answer.
    pub max_age: Option<u32>,
}

impl Cors {
    pub fn any_origin(&self) -> bool {
        self.origins.iter().any(|o| o == "*")
    }
}

/// One year: checkov (CKV_AWS_338) wants at least that much, and logs of who called what are
/// wanted for audits.
pub const DEFAULT_RETENTION: u32 = 365;
/// CloudWatch Logs' allowed `RetentionInDays`.
pub const RETENTIONS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Browsers cap a preflight's cache (Firefox at a day); more is never honored.
pub const MAX_CORS_AGE: i64 = 86_400;
/// The headers a preflight allows when `api.cors.headers` is not written.
pub const DEFAULT_CORS_HEADERS: &[&str] = &["Authorization", "Content-Type"];

pub fn build(raw: &Raw, routes: &[Route], diags: &mut Vec<Diagnostic>) -> StageSettings {
    let s = &raw.api.settings;
    let mut out = StageSettings::default();
    if let Some(l) = &s.logging {
        out.access_log = match &l.value {
            RawLogging::Off => None,
            RawLogging::On {
                retention_days,
                account_role,
            } => Some(AccessLog {
                retention_days: retention_days
                    .as_ref()
                    .map(|d| retention(d, diags))
                    .unwrap_or(DEFAULT_RETENTION),
                account_role: account_role.as_ref().is_some_and(|a| a.value),
            }),
        };
    }
    if let Some(t) = &s.tracing {
        out.tracing = t.value;
    }
    if let Some(m) = &s.metrics {
        out.metrics = m.value;
    }
    out.throttle = s.throttle.as_ref().and_then(|t| throttle(t, diags));
    if !raw.routes.iter().any(|r| r.throttle.is_some()) {
        // The common case: nothing to match.
    } else {
        let by_decl: HashMap<Span, usize> = routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.decl, i))
            .collect();
        for r in &raw.routes {
            let (Some(t), Some(&i)) = (&r.throttle, by_decl.get(&r.key.span)) else {
                continue;
            };
            if routes[i].method == Method::Any {
                diags.push(
                    Diagnostic::error(
                        "bad-value",
                        format!(
                            "route `{}` is `ANY`, whose requests API Gateway throttles by their own verb",
                            routes[i].key()
                        ),
                    )
                    .at(t.span)
                    .label("a limit for one verb only")
                    .help("declare the verbs to limit as routes of their own, or set `api.throttle`"),
                );
                continue;
            }
            if let Some(t) = throttle(t, diags) {
                out.route_throttles.push((RouteId(i), t));
            }
        }
        out.route_throttles.sort_by_key(|(id, _)| id.0);
    }
    if let Some(c) = &s.cors {
        out.cors = cors(c, routes, diags);
    }
    if let Some(d) = &s.definition {
        match d.value.as_str() {
            "resources" => {}
            "body" => out.definition = Definition::Body,
            "package" => out.definition = Definition::Package,
            other => diags.push(
                Diagnostic::error("bad-value", format!("unknown API definition `{other}`"))
                    .at(d.span)
                    .label("not `resources`, `body` or `package`")
                    .help(crate::diag::suggest(
                        other,
                        ["resources", "body", "package"],
                    )),
            ),
        }
    }
    out
}

fn retention(d: &S<i64>, diags: &mut Vec<Diagnostic>) -> u32 {
    match RETENTIONS.iter().find(|&&r| i64::from(r) == d.value) {
        Some(&r) => r,
        None => {
            let nearest = RETENTIONS
                .iter()
                .min_by_key(|&&r| (i64::from(r) - d.value).abs())
                .copied()
                .unwrap_or(DEFAULT_RETENTION);
            diags.push(
                Diagnostic::error(
                    "bad-value",
                    format!("CloudWatch Logs cannot keep logs for {} days", d.value),
                )
                .at(d.span)
                .label("not a retention CloudWatch Logs offers")
                .help(format!(
                    "did you mean `{nearest}`? CloudWatch Logs keeps logs for 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days"
                )),
            );
            DEFAULT_RETENTION
        }
    }
}

fn throttle(t: &S<RawThrottle>, diags: &mut Vec<Diagnostic>) -> Option<Throttle> {
    let mut ok = true;
    let mut check = |v: &Option<S<i64>>, what: &str| -> Option<u32> {
        let v = v.as_ref()?;
        match u32::try_from(v.value) {
            Ok(n) => Some(n),
            Err(_) => {
                ok = false;
                diags.push(
                    Diagnostic::error("bad-value", format!("a throttling {what} of {}", v.value))
                        .at(v.span)
                        .label("must be 0 or more")
                        .help("write requests per second (`rate`) and the burst size (`burst`) as whole numbers"),
                );
                None
            }
        }
    };
    let rate = check(&t.value.rate, "rate");
    let burst = check(&t.value.burst, "burst");
    if ok && rate.is_none() && burst.is_none() {
        diags.push(
            Diagnostic::error("missing-key", "a `throttle` without `rate` or `burst`")
                .at(t.span)
                .help("write e.g. `throttle: {rate: 100, burst: 50}`"),
        );
        return None;
    }
    ok.then_some(Throttle { rate, burst })
}

fn cors(c: &S<RawCors>, routes: &[Route], diags: &mut Vec<Diagnostic>) -> Option<Cors> {
    let before = diags.len();
    let raw = &c.value;
    if raw.origins.is_empty() {
        diags.push(
            Diagnostic::error("missing-key", "`api.cors` needs `origins`")
                .at(raw.origins_span.unwrap_or(c.span))
                .help("list the origins browsers call the API from, e.g. `origins: [https://app.example.com]`"),
        );
    }
    let mut origins: Vec<String> = Vec::new();
    for o in &raw.origins {
        if let Some(problem) = origin_problem(&o.value) {
            diags.push(
                Diagnostic::error("bad-value", format!("`{}` is not an origin: {problem}", o.value))
                    .at(o.span)
                    .label("not an origin")
                    .help("an origin is `scheme://host` with an optional `:port` and nothing after it (`https://app.example.com`), or `*` alone"),
            );
        } else if !origins.contains(&o.value) {
            origins.push(o.value.clone());
        }
    }
    let credentials = raw.credentials.as_ref().is_some_and(|c| c.value);
    if origins.iter().any(|o| o == "*") {
        if origins.len() > 1 {
            diags.push(
                Diagnostic::error("bad-value", "`*` and named origins in one list")
                    .at(raw.origins_span.unwrap_or(c.span))
                    .help("`*` already admits every origin; keep either `*` or the named origins"),
            );
        }
        if credentials {
            diags.push(
                Diagnostic::error("bad-value", "`credentials: true` with the origin `*`")
                    .at(raw.credentials.as_ref().map(|c| c.span).unwrap_or(c.span))
                    .help(
                        "browsers refuse credentialed responses to every origin; name the origins",
                    ),
            );
        }
    }
    let mut headers: Vec<String> = vec!["Authorization".to_string()];
    let written: Vec<&S<String>> = raw.headers.iter().collect();
    let defaults: Vec<String> = DEFAULT_CORS_HEADERS.iter().map(|h| h.to_string()).collect();
    let names: Vec<(String, Option<Span>)> = if written.is_empty() {
        defaults.into_iter().map(|h| (h, None)).collect()
    } else {
        written
            .iter()
            .map(|h| (h.value.clone(), Some(h.span)))
            .collect()
    };
    for (h, span) in names {
        // Letters, digits, `-` and `_`: every header name in use, and nothing that could end
        // the quoted value API Gateway reads the list from.
        let token = !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !token {
            diags.push(
                Diagnostic::error("bad-value", format!("`{h}` is not a header name"))
                    .at(span.unwrap_or(c.span))
                    .label("not a header name")
                    .help("a header name is letters, digits and `-` (`Content-Type`)"),
            );
            continue;
        }
        if !headers.iter().any(|x| x.eq_ignore_ascii_case(&h)) {
            headers.push(h);
        }
    }
    let max_age = match &raw.max_age {
        None => None,
        Some(a) if (0..=MAX_CORS_AGE).contains(&a.value) => Some(a.value as u32),
        Some(a) => {
            diags.push(
                Diagnostic::error(
                    "bad-value",
                    format!("a preflight cached for {} seconds", a.value),
                )
                .at(a.span)
                .label(format!("must be 0 to {MAX_CORS_AGE}"))
                .help("browsers cache a preflight for a day at most (Chromium for two hours)"),
            );
            None
        }
    };
    for r in routes {
        if r.method == Method::Options {
            diags.push(
                Diagnostic::error(
                    "route-conflict",
                    format!(
                        "route `{}` is declared, and `api.cors` answers `OPTIONS` on every path",
                        r.key()
                    ),
                )
                .at(r.decl)
                .label("the preflight's place")
                .help("remove this route, or remove `api.cors` and answer preflights yourself"),
            );
        }
    }
    (diags.len() == before).then_some(Cors {
        origins,
        headers,
        credentials,
        max_age,
    })
}

/// Why `o` is not a CORS origin (`scheme://host[:port]`, or `*`).
fn origin_problem(o: &str) -> Option<&'static str> {
    if o == "*" {
        return None;
    }
    let Some((scheme, rest)) = o.split_once("://") else {
        return Some("it has no `scheme://`");
    };
    if !(scheme == "https" || scheme == "http") {
        return Some("browsers send only `http` and `https` origins");
    }
    if rest.is_empty() {
        return Some("it has no host");
    }
    if rest.contains(['/', '?', '#', '@', ' ', '*', '"', '\\']) {
        return Some("an origin has no path, query, user or wildcard");
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, Some(p)),
        _ => (rest, None),
    };
    if host.is_empty() || host.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("browsers send the host in lower case");
    }
    // Only what a host name (or a bracketed IPv6 address) is made of: the origin is compared
    // inside a mapping template, which must not see a quote or a `$`.
    let ipv6 = host.starts_with('[')
        && host.ends_with(']')
        && host[1..host.len() - 1]
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    if !ipv6
        && !host
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Some("its host is not a host name");
    }
    if let Some(p) = port
        && (p.is_empty() || p.parse::<u16>().is_err())
    {
        return Some("its port is not a number");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        for ok in ["*", "https://app.example.com", "http://localhost:3000"] {
            assert_eq!(origin_problem(ok), None, "{ok}");
        }
        for bad in [
            "app.example.com",
            "https://app.example.com/",
            "https://*.example.com",
            "ftp://x.example.com",
            "https://App.example.com",
            "https://app.example.com:x",
            "https://app$x.example.com",
            "https://app'.example.com",
        ] {
            assert!(origin_problem(bad).is_some(), "{bad}");
        }
    }
}
