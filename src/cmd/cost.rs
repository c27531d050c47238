//! `rolegen cost`: what each strategy would cost per month for a given number of users, so
//! that choosing a strategy is choosing with the bill in view. The strategies differ in
//! which Cognito feature plan they need (customizing access tokens needs Essentials), in
//! whether a Lambda authorizer runs on each uncached request, and in whether Verified
//! Permissions is asked; which of these dominates depends on the sizes, and on prices that
//! AWS changes, so every assumption and every price is a flag. The figures come from
//! `crate::cost`; this module reads the flags and prints.

use super::Global;
use super::Outcome;
use crate::cost::{self, Arch, Era, Estimate, Function, Prices, READ, Usage, count, money};
use crate::diag::Diagnostic;
use crate::model::Strategy;
use std::fmt::Write as _;

#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Every price can be overridden with `--price NAME=VALUE`; `--help` lists them.",
    after_long_help = price_help()
)]
pub struct Args {
    /// Monthly active users: users who sign in or refresh a token at least once in the month
    /// (`100000`, `100_000`, `100k`, `1.5m`).
    #[arg(long, value_name = "N", value_parser = amount, allow_negative_numbers = true, help_heading = "Usage")]
    pub mau: f64,
    /// API calls per user per month.
    #[arg(long, value_name = "R", default_value_t = Usage::default().calls_per_user, value_parser = amount, allow_negative_numbers = true, help_heading = "Usage")]
    pub calls_per_user: f64,
    /// The share of authorizer decisions API Gateway answers from its cache, from 0 to 1
    /// (`0.7` or `70%`); the `lambda` and `verified-permissions` authorizers run on the rest.
    #[arg(long, value_name = "H", default_value_t = Usage::default().cache_hit, value_parser = fraction, allow_negative_numbers = true, help_heading = "Usage")]
    pub cache_hit: f64,
    /// Tokens Cognito issues per user per month (sign-ins and refreshes); each one runs the
    /// pre-token trigger of `cognito-scopes`.
    #[arg(long, value_name = "T", default_value_t = Usage::default().tokens_per_user, value_parser = amount, allow_negative_numbers = true, help_heading = "Usage")]
    pub tokens_per_user: f64,
    /// Machine-to-machine app clients (client credentials grant), billed by Cognito on every
    /// plan [default: the roles file's `clients`, else 0].
    #[arg(long, value_name = "C", value_parser = amount, allow_negative_numbers = true, help_heading = "Usage")]
    pub clients: Option<f64>,
    /// Token requests per machine client per month (the default, 720, is a new one-hour token
    /// every hour).
    #[arg(long, value_name = "T", default_value_t = Usage::default().client_tokens, value_parser = amount, allow_negative_numbers = true, help_heading = "Usage")]
    pub client_tokens: f64,
    /// API calls per machine client per month.
    #[arg(long, value_name = "R", default_value_t = Usage::default().client_calls, value_parser = amount, allow_negative_numbers = true, help_heading = "Usage")]
    pub client_calls: f64,

    /// Memory of the `lambda` strategy's authorizer, in MB.
    #[arg(long, value_name = "MB", default_value_t = Usage::default().authorizer.memory_mb, value_parser = amount, allow_negative_numbers = true, help_heading = "Lambda functions")]
    pub authorizer_mb: f64,
    /// Billed time of one `lambda` authorizer invocation, in ms (rounded up to the ms).
    #[arg(long, value_name = "MS", default_value_t = Usage::default().authorizer.duration_ms, value_parser = amount, allow_negative_numbers = true, help_heading = "Lambda functions")]
    pub authorizer_ms: f64,
    /// Memory of the `verified-permissions` authorizer, in MB.
    #[arg(long, value_name = "MB", default_value_t = Usage::default().avp_authorizer.memory_mb, value_parser = amount, allow_negative_numbers = true, help_heading = "Lambda functions")]
    pub avp_authorizer_mb: f64,
    /// Billed time of one `verified-permissions` authorizer invocation, in ms (it waits for
    /// Verified Permissions' answer).
    #[arg(long, value_name = "MS", default_value_t = Usage::default().avp_authorizer.duration_ms, value_parser = amount, allow_negative_numbers = true, help_heading = "Lambda functions")]
    pub avp_authorizer_ms: f64,
    /// Memory of `cognito-scopes`' pre-token trigger, in MB.
    #[arg(long, value_name = "MB", default_value_t = Usage::default().trigger.memory_mb, value_parser = amount, allow_negative_numbers = true, help_heading = "Lambda functions")]
    pub trigger_mb: f64,
    /// Billed time of one pre-token trigger invocation, in ms.
    #[arg(long, value_name = "MS", default_value_t = Usage::default().trigger.duration_ms, value_parser = amount, allow_negative_numbers = true, help_heading = "Lambda functions")]
    pub trigger_ms: f64,
    /// The functions' architecture.
    #[arg(long, value_enum, default_value_t = Arch::Arm64, help_heading = "Lambda functions")]
    pub arch: Arch,

    /// Which prices: today's, or those of 2024 (before Cognito's feature plans, when
    /// customizing access tokens needed advanced security features).
    #[arg(long, value_enum, default_value_t = Era::Current, help_heading = "Prices")]
    pub pricing: Era,
    /// Override one price of the table (repeatable, or comma-separated), e.g.
    /// `--price cognito.essentials=0.02`. `--help` lists the names.
    #[arg(long, value_name = "NAME=VALUE", value_parser = price_override, value_delimiter = ',', help_heading = "Prices")]
    pub price: Vec<(String, f64)>,
    /// Also count API Gateway's free tier (1M calls a month, the first 12 months of a new
    /// account) and Lambda's (1M invocations and 400,000 GB-s a month per account, shared by
    /// all its functions). Cognito's free MAU are always counted.
    #[arg(long, help_heading = "Prices")]
    pub free_tier: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An aligned table and the assumptions, for a person.
    Text,
    /// One JSON object, for scripts.
    Json,
    /// A markdown table and the assumptions, for a pull request or a design document.
    Markdown,
}

/// A number of 0 or more: digits with optional `_` or `,` between them, and an optional `k`
/// (thousand), `m` (million) or `b` (billion).
pub fn amount(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (digits, scale) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'm' | 'M')) => (&t[..i], 1e6),
        Some((i, 'b' | 'B')) => (&t[..i], 1e9),
        _ => (t, 1.0),
    };
    let digits: String = digits.chars().filter(|c| !matches!(c, '_' | ',')).collect();
    // `f64::from_str` also takes `inf`, `NaN` and `1e3`; only plain decimals are figures here.
    let plain = !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
    let value = match digits.parse::<f64>() {
        Ok(v) if plain && v.is_finite() => v * scale,
        _ => {
            return Err(format!(
                "`{text}` is not a number (write e.g. `100000`, `100_000`, `100k` or `1.5m`)"
            ));
        }
    };
    if value < 0.0 {
        return Err(format!("`{text}` is negative; it must be 0 or more"));
    }
    Ok(value)
}

/// A share from 0 to 1, written `0.7` or `70%`.
pub fn fraction(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(percent) => amount(percent)? / 100.0,
        None => amount(t)?,
    };
    if value > 1.0 {
        let hint = if t.ends_with('%') {
            String::new()
        } else {
            format!(" (for {} percent write `{}%`)", count(value), count(value))
        };
        return Err(format!(
            "`{text}` is outside 0..1: it is the share of requests answered from the cache{hint}"
        ));
    }
    Ok(value)
}

/// `NAME=VALUE`; the name is checked against the price table once `--pricing` is known.
fn price_override(text: &str) -> Result<(String, f64), String> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(format!(
            "`{text}` is not NAME=VALUE (e.g. `cognito.essentials=0.02`)"
        ));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{text}` names no price"));
    }
    Ok((name.to_string(), amount(value)?))
}

/// The price names for `--help`: each era's own, then those both share.
fn price_help() -> String {
    let all = || {
        Era::Current
            .own()
            .iter()
            .chain(Era::Y2024.own())
            .chain(cost::SHARED)
    };
    let width = all().map(|d| d.name.len()).max().unwrap_or(0);
    let mut out = format!(
        "Prices (`--price NAME=VALUE`; us-east-1, USD, read {READ}; [?] = unconfirmed, check \
         and override; sources in the README):\n"
    );
    for (title, defs) in [
        ("--pricing current (the default):", Era::Current.own()),
        ("--pricing 2024:", Era::Y2024.own()),
        ("both:", cost::SHARED),
    ] {
        let _ = writeln!(out, "\n  {title}");
        for d in defs {
            let _ = writeln!(
                out,
                "    {:width$}  {:>12}  {}: {}{} {}",
                d.name,
                cost::price_value(d.value),
                d.unit,
                d.what,
                if d.unconfirmed { " [?]" } else { "" },
                d.source,
            );
        }
    }
    out
}

pub fn run(global: &Global, args: &Args) -> Outcome {
    let roles = roles_file(global);
    let mut prices = Prices::new(args.pricing);
    for (name, value) in &args.price {
        if let Err(r) = prices.set(name, *value) {
            return super::fail(
                global,
                "command line",
                Diagnostic::error(r.code, r.message).help(r.help),
            );
        }
    }
    let usage = Usage {
        mau: args.mau,
        calls_per_user: args.calls_per_user,
        cache_hit: args.cache_hit,
        tokens_per_user: args.tokens_per_user,
        clients: args
            .clients
            .unwrap_or_else(|| roles.as_ref().map_or(0.0, |r| r.clients as f64)),
        client_tokens: args.client_tokens,
        client_calls: args.client_calls,
        authorizer: Function {
            memory_mb: args.authorizer_mb,
            duration_ms: args.authorizer_ms,
        },
        avp_authorizer: Function {
            memory_mb: args.avp_authorizer_mb,
            duration_ms: args.avp_authorizer_ms,
        },
        trigger: Function {
            memory_mb: args.trigger_mb,
            duration_ms: args.trigger_ms,
        },
        arch: args.arch,
        free_tier: args.free_tier,
    };
    let estimates = cost::estimate_all(&usage, &prices);
    let report = Report {
        usage: &usage,
        prices: &prices,
        estimates: &estimates,
        roles: roles.map(|r| r.strategy),
        file: global.config.display().to_string(),
    };
    let out = match args.format {
        Format::Text => report.text(),
        Format::Markdown => report.markdown(),
        Format::Json => report.json(),
    };
    let _ = global.console.out(&out);
    Outcome::Ok
}

/// What the estimate takes from the roles file.
struct RolesFile {
    strategy: Strategy,
    clients: usize,
}

/// The roles file's strategy, to mark it in the table, and its number of machine clients
/// (the default of `--clients`). Nothing else depends on the file, so a missing one is no
/// problem and an invalid one only a warning.
fn roles_file(global: &Global) -> Option<RolesFile> {
    if !global.config.is_file() {
        return None;
    }
    let name = global.config.display().to_string();
    let problem = match super::load_file(&global.config) {
        Ok(loaded) => match loaded.model {
            Some(model) => {
                return Some(RolesFile {
                    strategy: model.api.strategy,
                    clients: model.clients.len(),
                });
            }
            None => "has errors",
        },
        Err(_) => "cannot be read",
    };
    let d = Diagnostic::warning(
        "roles-unread",
        format!("`{name}` {problem}, so its strategy is not marked"),
    )
    .help("`rolegen check` shows why; only `--clients`' default comes from the file");
    super::report(global, &name, "", &[d]);
    None
}

struct Report<'a> {
    usage: &'a Usage,
    prices: &'a Prices,
    estimates: &'a [Estimate],
    roles: Option<Strategy>,
    file: String,
}

/// The columns of the tables: a heading, and the figure of one estimate.
type Column = (&'static str, fn(&Estimate) -> f64);

impl Report<'_> {
    fn columns(&self) -> Vec<Column> {
        let mut cols: Vec<Column> = vec![("Cognito MAU", |e| e.cost.cognito_mau)];
        if self.usage.clients > 0.0 {
            cols.push(("Cognito M2M", |e| e.cost.cognito_m2m));
        }
        cols.extend([
            (
                "API Gateway",
                (|e| e.cost.api_gateway) as fn(&Estimate) -> f64,
            ),
            ("Lambda", |e| e.cost.lambda),
            ("Verified Permissions", |e| e.cost.verified_permissions),
            ("total", |e| e.total()),
        ]);
        cols
    }

    fn cheapest(&self) -> Option<&Estimate> {
        self.estimates
            .iter()
            .fold(None, |best: Option<&Estimate>, e| match best {
                Some(b) if b.total() <= e.total() => Some(b),
                _ => Some(e),
            })
    }

    fn title(&self) -> String {
        format!(
            "Monthly cost at {} MAU (us-east-1, USD; prices read {READ}, --pricing {})",
            count(self.usage.mau),
            self.prices.era.as_str()
        )
    }

    /// The lines under the table: the comparison, and every assumption behind the figures.
    fn notes(&self) -> Vec<(String, String)> {
        let u = self.usage;
        let mut notes = Vec::new();
        if let Some(cheapest) = self.cheapest()
            && cheapest.total() > 0.0
        {
            let others: Vec<String> = self
                .estimates
                .iter()
                .filter(|e| e.strategy != cheapest.strategy)
                .map(|e| {
                    format!(
                        "{} {:.2}×",
                        e.strategy.as_str(),
                        e.total() / cheapest.total()
                    )
                })
                .collect();
            notes.push((
                "cheapest".into(),
                format!(
                    "{} ({}); {} as much",
                    cheapest.strategy.as_str(),
                    money(cheapest.total()),
                    others.join(", ")
                ),
            ));
        }
        let calls = u.api_calls();
        let mut calls_text = format!("{} ({} per user", count(calls), count(u.calls_per_user));
        if u.clients > 0.0 {
            let _ = write!(calls_text, ", {} per machine client", count(u.client_calls));
        }
        calls_text.push(')');
        notes.push(("API calls".into(), calls_text));
        notes.push((
            "authorizer calls".into(),
            format!(
                "{} ({}% of API calls reach the `lambda` or `verified-permissions` authorizer; \
                 {}% are answered from API Gateway's cache)",
                count(calls * (1.0 - u.cache_hit)),
                count(round2((1.0 - u.cache_hit) * 100.0)),
                count(round2(u.cache_hit * 100.0))
            ),
        ));
        notes.push((
            "pre-token trigger".into(),
            format!(
                "{} invocations ({} tokens per user; `cognito-scopes` only)",
                count(u.mau * u.tokens_per_user),
                count(u.tokens_per_user)
            ),
        ));
        let f = |f: Function| format!("{} MB × {} ms", count(f.memory_mb), count(f.duration_ms));
        notes.push((
            format!("Lambda ({})", u.arch.as_str()),
            format!(
                "authorizer {}; verified-permissions authorizer {}; trigger {}",
                f(u.authorizer),
                f(u.avp_authorizer),
                f(u.trigger)
            ),
        ));
        if u.clients > 0.0 {
            notes.push((
                "machine clients".into(),
                format!(
                    "{} × {} token requests per month (the per-client fee, `cognito.m2m.client`, is unconfirmed)",
                    count(u.clients),
                    count(u.client_tokens)
                ),
            ));
        }
        let free_mau = count(self.prices.get("cognito.free-mau"));
        notes.push((
            "free tiers".into(),
            if u.free_tier {
                format!(
                    "Cognito's first {free_mau} MAU, API Gateway's {} calls (12 months, new accounts), Lambda's {} invocations and {} GB-s (per account)",
                    count(self.prices.get("apigw.free-calls")),
                    count(self.prices.get("lambda.free-requests")),
                    count(self.prices.get("lambda.free-gb-seconds")),
                )
            } else {
                format!(
                    "Cognito's first {free_mau} MAU; not API Gateway's (12 months) or Lambda's (per account): --free-tier counts them"
                )
            },
        ));
        let changed: Vec<String> = self
            .prices
            .iter()
            .filter(|(d, v)| *v != d.value)
            .map(|(d, v)| {
                format!(
                    "{} = {} (table: {})",
                    d.name,
                    cost::price_value(v),
                    cost::price_value(d.value)
                )
            })
            .collect();
        if !changed.is_empty() {
            notes.push(("prices overridden".into(), changed.join("; ")));
        }
        notes
    }

    fn marker(&self, e: &Estimate) -> &'static str {
        match self.roles {
            Some(s) if s == e.strategy => "*",
            _ => " ",
        }
    }

    fn text(&self) -> String {
        let cols = self.columns();
        let mut rows: Vec<Vec<String>> = vec![
            ["", "strategy", "Cognito plan"]
                .into_iter()
                .map(String::from)
                .chain(cols.iter().map(|(h, _)| h.to_string()))
                .collect(),
        ];
        for e in self.estimates {
            let mut row = vec![
                self.marker(e).to_string(),
                e.strategy.as_str().to_string(),
                e.cognito_plan.to_string(),
            ];
            row.extend(cols.iter().map(|(_, f)| money(f(e))));
            rows.push(row);
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = format!("{}\n\n", self.title());
        for row in &rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                let pad = " ".repeat(widths[i] - cell.chars().count());
                match i {
                    // The marker column only when there is a strategy to mark.
                    0 if self.roles.is_some() => {
                        line.push_str(cell);
                        line.push_str(&pad);
                        line.push(' ');
                    }
                    0 => {}
                    1 => {
                        line.push_str(cell);
                        line.push_str(&pad);
                        line.push_str("  ");
                    }
                    2 => {
                        line.push_str(cell);
                        line.push_str(&pad);
                    }
                    _ => {
                        line.push_str("  ");
                        line.push_str(&pad);
                        line.push_str(cell);
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push('\n');
        if let Some(s) = self.roles {
            let _ = writeln!(out, "* the strategy of {} ({})", self.file, s.as_str());
        }
        let notes = self.notes();
        let width = notes
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in notes {
            let pad = " ".repeat(width - k.chars().count());
            let _ = writeln!(out, "{k}{pad}  {v}");
        }
        out
    }

    fn markdown(&self) -> String {
        let cols = self.columns();
        let mut out = format!("{}\n\n| Strategy | Cognito plan |", self.title());
        for (h, _) in &cols {
            let _ = write!(out, " {h} |");
        }
        out.push_str("\n| :-- | :-- |");
        for _ in &cols {
            out.push_str(" --: |");
        }
        out.push('\n');
        for e in self.estimates {
            let name = if self.roles == Some(e.strategy) {
                format!("**`{}`** ({})", e.strategy.as_str(), self.file)
            } else {
                format!("`{}`", e.strategy.as_str())
            };
            let _ = write!(out, "| {name} | {} |", e.cognito_plan);
            for (_, f) in &cols {
                let _ = write!(out, " {} |", money(f(e)));
            }
            out.push('\n');
        }
        out.push('\n');
        for (k, v) in self.notes() {
            let _ = writeln!(out, "- {k}: {v}");
        }
        out
    }

    fn json(&self) -> String {
        use serde_json::{Value, json};
        let u = self.usage;
        let function =
            |f: Function| json!({"memory_mb": num(f.memory_mb), "duration_ms": num(f.duration_ms)});
        let strategies: Vec<Value> = self
            .estimates
            .iter()
            .map(|e| {
                let c = &e.cost;
                let parts = [
                    ("cognito_mau", c.cognito_mau),
                    ("cognito_m2m", c.cognito_m2m),
                    ("api_gateway", c.api_gateway),
                    ("lambda", c.lambda),
                    ("verified_permissions", c.verified_permissions),
                ]
                .map(|(k, v)| (k, dollars(v)));
                // The total of the figures shown, so that a script adding them up agrees.
                let total = dollars(parts.iter().map(|(_, v)| v).sum());
                let q = &e.quantities;
                json!({
                    "strategy": e.strategy.as_str(),
                    "cognito_plan": e.cognito_plan,
                    "roles_file": self.roles == Some(e.strategy),
                    "cost": parts.iter().map(|&(k, v)| (k.to_string(), num(v))).collect::<serde_json::Map<_, _>>(),
                    "total": num(total),
                    "quantities": {
                        "api_calls": num(dollars(q.api_calls)),
                        "lambda_invocations": num(dollars(q.lambda_invocations)),
                        "lambda_gb_seconds": num(dollars(q.lambda_gb_seconds)),
                        "avp_calls": num(dollars(q.avp_calls)),
                    },
                })
            })
            .collect();
        let prices: Vec<Value> = self
            .prices
            .iter()
            .map(|(d, v)| {
                json!({
                    "name": d.name,
                    "value": num(v),
                    "table": num(d.value),
                    "unit": d.unit,
                    "what": d.what,
                    "source": d.source,
                    "read": READ,
                    "unconfirmed": d.unconfirmed,
                })
            })
            .collect();
        let v = json!({
            "pricing": self.prices.era.as_str(),
            "region": "us-east-1",
            "currency": "USD",
            "prices_read": READ,
            "usage": {
                "mau": num(u.mau),
                "calls_per_user": num(u.calls_per_user),
                "cache_hit": num(u.cache_hit),
                "tokens_per_user": num(u.tokens_per_user),
                "clients": num(u.clients),
                "client_tokens": num(u.client_tokens),
                "client_calls": num(u.client_calls),
                "authorizer": function(u.authorizer),
                "avp_authorizer": function(u.avp_authorizer),
                "trigger": function(u.trigger),
                "arch": u.arch.as_str(),
                "free_tier": u.free_tier,
            },
            "roles_file": self.roles.map(|s| json!({"file": self.file, "strategy": s.as_str()})),
            "strategies": strategies,
            "cheapest": self.cheapest().map(|e| e.strategy.as_str()),
            "prices": prices,
        });
        let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Dollars to the millionth: finer than any price, and free of binary noise such as
/// 494.99999999999994 for 90,000 × 0.0055.
fn dollars(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// A whole number as a JSON integer (`100000`, not `100000.0`).
fn num(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        (v as i64).into()
    } else {
        v.into()
    }
}

/// Percentages like 70.00000000000001 (from 0.7 × 100) printed as 70.
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_plain_non_negative_decimals() {
        assert_eq!(amount("100000"), Ok(100_000.0));
        assert_eq!(amount("100_000"), Ok(100_000.0));
        assert_eq!(amount("100,000"), Ok(100_000.0));
        assert_eq!(amount("100k"), Ok(100_000.0));
        assert_eq!(amount("1.5M"), Ok(1_500_000.0));
        assert_eq!(amount("2b"), Ok(2e9));
        assert_eq!(amount(" 0 "), Ok(0.0));
        for bad in ["", "k", "abc", "inf", "NaN", "1e3", "1..2", "--1"] {
            assert!(amount(bad).is_err(), "{bad}");
        }
        assert!(amount("-5").unwrap_err().contains("negative"));
    }

    #[test]
    fn fractions_stay_within_0_and_1() {
        assert_eq!(fraction("0.7"), Ok(0.7));
        assert_eq!(fraction("70%"), Ok(0.7));
        assert_eq!(fraction("0"), Ok(0.0));
        assert_eq!(fraction("1"), Ok(1.0));
        assert!(fraction("70").unwrap_err().contains("`70%`"));
        assert!(fraction("101%").is_err());
        assert!(fraction("-0.1").is_err());
    }

    #[test]
    fn price_overrides_need_a_name_and_a_value() {
        assert_eq!(
            price_override("cognito.essentials=0.02"),
            Ok(("cognito.essentials".into(), 0.02))
        );
        assert!(price_override("cognito.essentials").is_err());
        assert!(price_override("=1").is_err());
        assert!(price_override("a=-1").is_err());
    }

    #[test]
    fn help_lists_every_price_once() {
        let help = price_help();
        let defs = Era::Current
            .own()
            .iter()
            .chain(Era::Y2024.own())
            .chain(cost::SHARED);
        for d in defs.clone() {
            // `cognito.free-mau` is in both eras' own tables, with different values.
            let defined = defs.clone().filter(|o| o.name == d.name).count();
            let lines = help
                .lines()
                .filter(|l| l.split_whitespace().next() == Some(d.name))
                .count();
            assert_eq!(lines, defined, "{}\n{help}", d.name);
        }
    }
}
