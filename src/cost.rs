//! The price model behind `rolegen cost` and the docs' cost table. The three strategies
//! enforce the same matrix, so what separates them for most teams is the monthly bill, and
//! that bill is dominated by a number people rarely check: Cognito's price per monthly active
//! user under the feature plan the strategy needs (`cognito-scopes` customizes access tokens,
//! which needs Essentials; the others run on Lite). AWS's prices are kept here as data, each
//! with its source and the date it was read, so that a price that changes is one line, every
//! figure rolegen prints can be traced, and the formulas stay simple enough to be written out
//! in the README and checked by hand.
//!
//! Prices are us-east-1 USD. Every one can be overridden (`--price NAME=VALUE`): AWS changes
//! them, some are unconfirmed, and accounts differ (an older account may keep a larger free
//! tier).

use crate::model::Strategy;
use std::fmt::Write as _;

/// When the prices were read (from the project's research notes, which cite AWS's pricing
/// pages and documentation of 2025–26).
pub const READ: &str = "2026-12-07";

/// The strategies, in the order every table lists them.
pub const STRATEGIES: [Strategy; 3] = [
    Strategy::CognitoScopes,
    Strategy::Lambda,
    Strategy::VerifiedPermissions,
];

/// Which era's prices: today's, or those of September 2024, when access-token customization
/// still needed Advanced Security Features (the era of the article the README cites).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Era {
    /// Cognito's feature plans (Lite, Essentials; since 22 Nov 2024) and Verified
    /// Permissions after its 2025 price cut.
    Current,
    /// Before the feature plans: 50,000 MAU free, access-token customization billed as
    /// Advanced Security Features on every MAU, Verified Permissions at $150 per million.
    #[value(name = "2024")]
    Y2024,
}

impl Era {
    pub fn as_str(self) -> &'static str {
        match self {
            Era::Current => "current",
            Era::Y2024 => "2024",
        }
    }

    /// The prices only this era has (the others are `SHARED`).
    pub fn own(self) -> &'static [PriceDef] {
        match self {
            Era::Current => CURRENT,
            Era::Y2024 => Y2024,
        }
    }

    /// Every price of the era: its own, then those both eras share.
    pub fn prices(self) -> impl Iterator<Item = &'static PriceDef> + Clone {
        self.own().iter().chain(SHARED)
    }

    pub fn find(self, name: &str) -> Option<&'static PriceDef> {
        self.prices().find(|d| d.name == name)
    }

    /// The Cognito pricing a strategy needs, by the name people know it by.
    pub fn plan(self, strategy: Strategy) -> &'static str {
        match (self, strategy) {
            (Era::Current, Strategy::CognitoScopes) => "Essentials",
            (Era::Current, _) => "Lite",
            (Era::Y2024, Strategy::CognitoScopes) => "MAU + advanced security",
            (Era::Y2024, _) => "MAU",
        }
    }
}

/// One entry of the price table.
#[derive(Debug)]
pub struct PriceDef {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub what: &'static str,
    /// Tags of the research notes' sources (`[FP]` …), listed in the README.
    pub source: &'static str,
    /// Not confirmed at a primary source: a figure to check, and to override if wrong.
    pub unconfirmed: bool,
}

const fn p(
    name: &'static str,
    value: f64,
    unit: &'static str,
    what: &'static str,
    source: &'static str,
) -> PriceDef {
    PriceDef {
        name,
        value,
        unit,
        what,
        source,
        unconfirmed: false,
    }
}

/// A price the research marks `[?]`.
const fn unsure(def: PriceDef) -> PriceDef {
    PriceDef {
        unconfirmed: true,
        ..def
    }
}

const PER_MAU: &str = "$ per MAU";
const PER_MILLION: &str = "$ per million";
const PER_GBS: &str = "$ per GB-second";

const CURRENT: &[PriceDef] = &[
    p(
        "cognito.free-mau",
        10_000.0,
        "MAU per month",
        "free MAU on Lite and Essentials, per account or Organization (none on Plus)",
        "[FP]",
    ),
    p(
        "cognito.lite.to-100k",
        0.0055,
        PER_MAU,
        "Lite, MAU 10,001–100,000",
        "[FP][AE][ST][PL]",
    ),
    p(
        "cognito.lite.to-1m",
        0.0046,
        PER_MAU,
        "Lite, MAU 100,001–1,000,000",
        "[FP][AE][ST][PL]",
    ),
    p(
        "cognito.lite.to-10m",
        0.00325,
        PER_MAU,
        "Lite, MAU 1,000,001–10,000,000",
        "[FP][AE][ST][PL]",
    ),
    p(
        "cognito.lite.over-10m",
        0.0025,
        PER_MAU,
        "Lite, MAU above 10,000,000",
        "[FP][AE][ST][PL]",
    ),
    p(
        "cognito.essentials",
        0.015,
        PER_MAU,
        "Essentials, every MAU above the free ones (needed to customize access tokens)",
        "[FP][AE][ST][PL]",
    ),
    p(
        "avp.is-authorized",
        5.0,
        PER_MILLION,
        "Verified Permissions single IsAuthorized / IsAuthorizedWithToken calls (after the 2025 cut)",
        "[AVP]",
    ),
];

const Y2024: &[PriceDef] = &[
    p(
        "cognito.free-mau",
        50_000.0,
        "MAU per month",
        "free MAU (advanced security had no free tier)",
        "[PL]; seed article",
    ),
    p(
        "cognito.mau.to-100k",
        0.0055,
        PER_MAU,
        "MAU 50,001–100,000",
        "[PL]; seed article",
    ),
    unsure(p(
        "cognito.mau.to-1m",
        0.0046,
        PER_MAU,
        "MAU 100,001–1,000,000 (assumed: today's Lite band)",
        "today's Lite [FP]",
    )),
    unsure(p(
        "cognito.mau.to-10m",
        0.00325,
        PER_MAU,
        "MAU 1,000,001–10,000,000 (assumed: today's Lite band)",
        "today's Lite [FP]",
    )),
    unsure(p(
        "cognito.mau.over-10m",
        0.0025,
        PER_MAU,
        "MAU above 10,000,000 (assumed: today's Lite band)",
        "today's Lite [FP]",
    )),
    p(
        "cognito.asf.to-50k",
        0.05,
        PER_MAU,
        "advanced security features (then needed to customize access tokens), MAU 1–50,000",
        "[PL][ASF-AT]",
    ),
    p(
        "cognito.asf.to-100k",
        0.035,
        PER_MAU,
        "advanced security features, MAU 50,001–100,000",
        "[PL][ASF-AT]",
    ),
    p(
        "cognito.asf.to-1m",
        0.02,
        PER_MAU,
        "advanced security features, MAU 100,001–1,000,000",
        "[PL][ASF-AT]",
    ),
    p(
        "cognito.asf.to-10m",
        0.015,
        PER_MAU,
        "advanced security features, MAU 1,000,001–10,000,000",
        "[PL][ASF-AT]",
    ),
    p(
        "cognito.asf.over-10m",
        0.01,
        PER_MAU,
        "advanced security features, MAU above 10,000,000",
        "[PL][ASF-AT]",
    ),
    p(
        "avp.to-40m",
        150.0,
        PER_MILLION,
        "Verified Permissions authorization calls, the first 40 million (before the 2025 cut)",
        "[AVP]",
    ),
    p(
        "avp.to-100m",
        75.0,
        PER_MILLION,
        "Verified Permissions authorization calls, the next 60 million",
        "[AVP]",
    ),
    p(
        "avp.over-100m",
        40.0,
        PER_MILLION,
        "Verified Permissions authorization calls above 100 million",
        "[AVP]",
    ),
];

/// Prices that did not change between the eras, or for which the research has no 2024 figure
/// (API Gateway, Lambda: today's are used for both).
pub const SHARED: &[PriceDef] = &[
    unsure(p(
        "cognito.m2m.client",
        6.0,
        "$ per client per month",
        "machine-to-machine app client, first 100 (prorated per second; no free tier; AWS's current cost docs list no such fee)",
        "[CM][VAN]; not in [TC]",
    )),
    p(
        "cognito.m2m.per-1k-tokens",
        2.25,
        "$ per 1,000",
        "machine-to-machine token requests, first 250,000 (no free tier)",
        "[CM][VAN]",
    ),
    p(
        "apigw.rest.to-333m",
        3.50,
        PER_MILLION,
        "REST API calls, the first 333 million",
        "[APIGW]",
    ),
    p(
        "apigw.rest.to-1b",
        2.80,
        PER_MILLION,
        "REST API calls, the next 667 million",
        "[APIGW]",
    ),
    p(
        "apigw.rest.to-20b",
        2.38,
        PER_MILLION,
        "REST API calls, the next 19 billion",
        "[APIGW]",
    ),
    p(
        "apigw.rest.over-20b",
        1.51,
        PER_MILLION,
        "REST API calls above 20 billion",
        "[APIGW]",
    ),
    p(
        "apigw.free-calls",
        1_000_000.0,
        "calls per month",
        "free REST API calls, first 12 months of a new account (only with --free-tier)",
        "[APIGW]",
    ),
    p(
        "lambda.requests",
        0.20,
        PER_MILLION,
        "Lambda invocations",
        "[LP]",
    ),
    p(
        "lambda.arm64.gb-second",
        0.000_013_333_4,
        PER_GBS,
        "Lambda duration on arm64 (first tier, up to 7.5 billion GB-s a month)",
        "[LP]",
    ),
    p(
        "lambda.x86.gb-second",
        0.000_016_666_7,
        PER_GBS,
        "Lambda duration on x86_64 (first tier, up to 6 billion GB-s a month)",
        "[LP]",
    ),
    p(
        "lambda.free-requests",
        1_000_000.0,
        "invocations per month",
        "free Lambda invocations, per account and shared by all its functions (only with --free-tier)",
        "[LP]",
    ),
    p(
        "lambda.free-gb-seconds",
        400_000.0,
        "GB-seconds per month",
        "free Lambda duration, per account and shared by all its functions (only with --free-tier)",
        "[LP]",
    ),
];

/// An era's prices with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct Prices {
    pub era: Era,
    values: Vec<(&'static PriceDef, f64)>,
}

/// Why an override was refused: the message, and what to do instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// The diagnostic code: `unknown-price` or `bad-price`.
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

impl Prices {
    pub fn new(era: Era) -> Prices {
        Prices {
            era,
            values: era.prices().map(|d| (d, d.value)).collect(),
        }
    }

    /// Replaces one price. Unknown names are refused with the closest known one, or with the
    /// era they belong to.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), Refused> {
        if !value.is_finite() || value < 0.0 {
            return Err(Refused {
                code: "bad-price",
                message: format!("price `{name}` must be a number of 0 or more, not {value}"),
                help: "prices are in US dollars (or a count, for the free tiers)".into(),
            });
        }
        if let Some(slot) = self.values.iter_mut().find(|(d, _)| d.name == name) {
            slot.1 = value;
            return Ok(());
        }
        let other = match self.era {
            Era::Current => Era::Y2024,
            Era::Y2024 => Era::Current,
        };
        let help = if other.find(name).is_some() {
            format!(
                "`{name}` is a price of `--pricing {}`; this run uses `--pricing {}`",
                other.as_str(),
                self.era.as_str()
            )
        } else {
            let names = self.values.iter().map(|(d, _)| d.name);
            let hint = crate::diag::suggest(name, names);
            format!("{hint} (`rolegen cost --help` lists every price)")
        };
        Err(Refused {
            code: "unknown-price",
            message: format!("no price `{name}` in the {} price table", self.era.as_str()),
            help,
        })
    }

    /// A price's value. Every name the formulas use is in both eras' tables (a unit test
    /// runs every formula in both).
    pub fn get(&self, name: &str) -> f64 {
        match self.values.iter().find(|(d, _)| d.name == name) {
            Some((_, v)) => *v,
            None => {
                debug_assert!(false, "no price {name} in {}", self.era.as_str());
                0.0
            }
        }
    }

    /// Every price with its value, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static PriceDef, f64)> + '_ {
        self.values.iter().copied()
    }
}

/// A Lambda function's size and run time per invocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Function {
    pub memory_mb: f64,
    pub duration_ms: f64,
}

impl Function {
    /// GB-seconds billed per invocation: memory in GB of 1,024 MB, time rounded up to the
    /// millisecond (Lambda bills at least 1 ms).
    pub fn gb_seconds(self) -> f64 {
        self.memory_mb / 1024.0 * self.duration_ms.ceil().max(1.0) / 1000.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Arch {
    Arm64,
    #[value(name = "x86_64", alias = "x86")]
    X86,
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86 => "x86_64",
        }
    }
}

/// What the API's users and machine clients do in a month, and how the functions are sized.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub mau: f64,
    /// API calls per user per month.
    pub calls_per_user: f64,
    /// The share of authorizer decisions API Gateway answers from its cache (0..=1).
    pub cache_hit: f64,
    /// Tokens issued per user per month (sign-ins and refreshes), each one pre-token trigger
    /// invocation under `cognito-scopes`.
    pub tokens_per_user: f64,
    /// Machine-to-machine (client credentials) app clients.
    pub clients: f64,
    /// Token requests per machine client per month.
    pub client_tokens: f64,
    /// API calls per machine client per month.
    pub client_calls: f64,
    /// The `lambda` strategy's authorizer.
    pub authorizer: Function,
    /// The `verified-permissions` strategy's authorizer (it waits on Verified Permissions).
    pub avp_authorizer: Function,
    /// `cognito-scopes`' pre-token trigger.
    pub trigger: Function,
    pub arch: Arch,
    /// Count API Gateway's 12-month and Lambda's per-account free tiers.
    pub free_tier: bool,
}

impl Default for Usage {
    /// The defaults of `rolegen cost`, from the research notes' assumptions (AWS's own
    /// Verified Permissions example assumes a 70% cache hit rate).
    fn default() -> Usage {
        Usage {
            mau: 0.0,
            calls_per_user: 100.0,
            cache_hit: 0.7,
            tokens_per_user: 20.0,
            clients: 0.0,
            client_tokens: 720.0,
            client_calls: 0.0,
            authorizer: Function {
                memory_mb: 128.0,
                duration_ms: 20.0,
            },
            avp_authorizer: Function {
                memory_mb: 256.0,
                duration_ms: 60.0,
            },
            trigger: Function {
                memory_mb: 128.0,
                duration_ms: 20.0,
            },
            arch: Arch::Arm64,
            free_tier: false,
        }
    }
}

impl Usage {
    /// Every API call of the month, from users and machine clients.
    pub fn api_calls(&self) -> f64 {
        self.mau * self.calls_per_user + self.clients * self.client_calls
    }
}

/// One strategy's monthly bill, by service, and the quantities it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub strategy: Strategy,
    pub cognito_plan: &'static str,
    pub cost: Cost,
    pub quantities: Quantities,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// Monthly active users, under the strategy's plan.
    pub cognito_mau: f64,
    /// Machine-to-machine clients and their token requests (the same for every strategy).
    pub cognito_m2m: f64,
    pub api_gateway: f64,
    /// The authorizer (`lambda`, `verified-permissions`) or the pre-token trigger
    /// (`cognito-scopes`).
    pub lambda: f64,
    pub verified_permissions: f64,
}

impl Cost {
    pub fn total(&self) -> f64 {
        self.cognito_mau
            + self.cognito_m2m
            + self.api_gateway
            + self.lambda
            + self.verified_permissions
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Quantities {
    pub api_calls: f64,
    pub lambda_invocations: f64,
    pub lambda_gb_seconds: f64,
    pub avp_calls: f64,
}

impl Estimate {
    pub fn total(&self) -> f64 {
        self.cost.total()
    }
}

/// The cost of `quantity` units billed in bands: `bands` are (upper bound, price name), in
/// order, the last one unbounded; the first `free` units cost nothing, taken off the lowest
/// bands (which is how AWS's "first 10,000 MAU free, 10,001–100,000 at …" reads).
fn tiered(prices: &Prices, quantity: f64, free: f64, bands: &[(f64, &str)], per: f64) -> f64 {
    let mut lo = 0.0_f64;
    let mut sum = 0.0;
    for &(hi, name) in bands {
        let billed = (quantity.min(hi) - lo.max(free)).max(0.0);
        sum += billed * prices.get(name) / per;
        lo = hi;
    }
    sum
}

const M: f64 = 1e6;
const ANY: f64 = f64::INFINITY;

/// Cognito's MAU bill under a strategy's plan.
fn cognito_mau(prices: &Prices, strategy: Strategy, n: f64) -> f64 {
    let free = prices.get("cognito.free-mau");
    match prices.era {
        Era::Current => match strategy {
            Strategy::CognitoScopes => tiered(prices, n, free, &[(ANY, "cognito.essentials")], 1.0),
            Strategy::Lambda | Strategy::VerifiedPermissions => tiered(
                prices,
                n,
                free,
                &[
                    (100e3, "cognito.lite.to-100k"),
                    (M, "cognito.lite.to-1m"),
                    (10.0 * M, "cognito.lite.to-10m"),
                    (ANY, "cognito.lite.over-10m"),
                ],
                1.0,
            ),
        },
        Era::Y2024 => {
            let base = tiered(
                prices,
                n,
                free,
                &[
                    (100e3, "cognito.mau.to-100k"),
                    (M, "cognito.mau.to-1m"),
                    (10.0 * M, "cognito.mau.to-10m"),
                    (ANY, "cognito.mau.over-10m"),
                ],
                1.0,
            );
            let asf = match strategy {
                // Advanced security had no free tier: every MAU pays it, on top of the base.
                Strategy::CognitoScopes => tiered(
                    prices,
                    n,
                    0.0,
                    &[
                        (50e3, "cognito.asf.to-50k"),
                        (100e3, "cognito.asf.to-100k"),
                        (M, "cognito.asf.to-1m"),
                        (10.0 * M, "cognito.asf.to-10m"),
                        (ANY, "cognito.asf.over-10m"),
                    ],
                    1.0,
                ),
                Strategy::Lambda | Strategy::VerifiedPermissions => 0.0,
            };
            base + asf
        }
    }
}

fn verified_permissions(prices: &Prices, calls: f64) -> f64 {
    match prices.era {
        Era::Current => calls * prices.get("avp.is-authorized") / M,
        Era::Y2024 => tiered(
            prices,
            calls,
            0.0,
            &[
                (40.0 * M, "avp.to-40m"),
                (100.0 * M, "avp.to-100m"),
                (ANY, "avp.over-100m"),
            ],
            M,
        ),
    }
}

/// Computes one strategy's bill.
pub fn estimate(strategy: Strategy, usage: &Usage, prices: &Prices) -> Estimate {
    let calls = usage.api_calls();
    let api_free = if usage.free_tier {
        prices.get("apigw.free-calls")
    } else {
        0.0
    };
    let api_gateway = tiered(
        prices,
        calls,
        api_free,
        &[
            (333.0 * M, "apigw.rest.to-333m"),
            (1000.0 * M, "apigw.rest.to-1b"),
            (20_000.0 * M, "apigw.rest.to-20b"),
            (ANY, "apigw.rest.over-20b"),
        ],
        M,
    );
    // The cached share of decisions never reaches the authorizer; a trigger runs once per
    // token Cognito issues to a user (client-credentials tokens do not invoke a V2_0 trigger).
    let authorizer_calls = calls * (1.0 - usage.cache_hit);
    let (invocations, function) = match strategy {
        Strategy::CognitoScopes => (usage.mau * usage.tokens_per_user, usage.trigger),
        Strategy::Lambda => (authorizer_calls, usage.authorizer),
        Strategy::VerifiedPermissions => (authorizer_calls, usage.avp_authorizer),
    };
    let gb_seconds = invocations * function.gb_seconds();
    let (free_requests, free_gbs) = if usage.free_tier {
        (
            prices.get("lambda.free-requests"),
            prices.get("lambda.free-gb-seconds"),
        )
    } else {
        (0.0, 0.0)
    };
    let gbs_price = prices.get(match usage.arch {
        Arch::Arm64 => "lambda.arm64.gb-second",
        Arch::X86 => "lambda.x86.gb-second",
    });
    let lambda = (invocations - free_requests).max(0.0) * prices.get("lambda.requests") / M
        + (gb_seconds - free_gbs).max(0.0) * gbs_price;
    let avp_calls = match strategy {
        Strategy::VerifiedPermissions => authorizer_calls,
        Strategy::CognitoScopes | Strategy::Lambda => 0.0,
    };
    Estimate {
        strategy,
        cognito_plan: prices.era.plan(strategy),
        cost: Cost {
            cognito_mau: cognito_mau(prices, strategy, usage.mau),
            cognito_m2m: usage.clients * prices.get("cognito.m2m.client")
                + usage.clients * usage.client_tokens * prices.get("cognito.m2m.per-1k-tokens")
                    / 1000.0,
            api_gateway,
            lambda,
            verified_permissions: verified_permissions(prices, avp_calls),
        },
        quantities: Quantities {
            api_calls: calls,
            lambda_invocations: invocations,
            lambda_gb_seconds: gb_seconds,
            avp_calls,
        },
    }
}

/// Every strategy's bill, in `STRATEGIES` order.
pub fn estimate_all(usage: &Usage, prices: &Prices) -> Vec<Estimate> {
    STRATEGIES
        .iter()
        .map(|&s| estimate(s, usage, prices))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Writing figures

/// `1234567.891` → `$1,234,567.89`.
pub fn money(v: f64) -> String {
    let cents = (v * 100.0).round();
    let whole = (cents / 100.0).trunc();
    let frac = (cents - whole * 100.0).abs() as u64;
    format!("${}.{frac:02}", grouped(whole))
}

/// A count with thousands separators; fractions (`--mau 1.5`) keep up to two decimals.
pub fn count(v: f64) -> String {
    if v.fract() == 0.0 {
        return grouped(v);
    }
    let s = format!("{v:.2}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    let int = grouped(int.parse::<f64>().unwrap_or(0.0));
    if frac.is_empty() {
        int
    } else {
        format!("{int}.{frac}")
    }
}

/// The integer part of `v` with `,` between thousands.
fn grouped(v: f64) -> String {
    let digits = format!("{:.0}", v.trunc().abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0.0 && v.trunc() != 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A price as written in the table: enough digits for the smallest (Lambda's per GB-second).
pub fn price_value(v: f64) -> String {
    if v >= 1000.0 && v.fract() == 0.0 {
        return grouped(v);
    }
    let s = format!("{v:.10}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

/// The `## Cost per month` section of `docs/access-matrix.md`: the file's strategy against
/// the others at three sizes, with `rolegen cost`'s defaults and today's prices.
pub fn docs_section(strategy: Strategy) -> String {
    const SIZES: [f64; 3] = [10e3, 100e3, 1e6];
    let prices = Prices::new(Era::Current);
    let usage = Usage::default();
    let mut md = String::new();
    md.push_str("\n## Cost per month\n\n");
    let _ = writeln!(
        md,
        "What Cognito, API Gateway, Lambda and Verified Permissions would cost per month under \
         each strategy, with `rolegen cost`'s defaults: {} API calls per user, {}% of \
         authorizer decisions from API Gateway's cache, {} tokens per user, arm64, no machine \
         clients; Cognito's free {} MAU counted, AWS's 12-month free tier not. Prices read {READ} \
         (us-east-1, USD). `rolegen cost --mau N` gives the parts and takes your own figures.\n",
        count(usage.calls_per_user),
        count(usage.cache_hit * 100.0),
        count(usage.tokens_per_user),
        count(prices.get("cognito.free-mau")),
    );
    md.push_str("| Strategy | Cognito plan |");
    for n in SIZES {
        let _ = write!(md, " {} MAU |", count(n));
    }
    md.push_str("\n| :-- | :-- |");
    for _ in SIZES {
        md.push_str(" --: |");
    }
    md.push('\n');
    for s in STRATEGIES {
        if s == strategy {
            let _ = write!(md, "| **`{}` (this API)** |", s.as_str());
        } else {
            let _ = write!(md, "| `{}` |", s.as_str());
        }
        let _ = write!(md, " {} |", prices.era.plan(s));
        for n in SIZES {
            let e = estimate(
                s,
                &Usage {
                    mau: n,
                    ..usage.clone()
                },
                &prices,
            );
            let _ = write!(md, " {} |", money(e.total()));
        }
        md.push('\n');
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_finds_its_prices_in_both_eras() {
        for era in [Era::Current, Era::Y2024] {
            let prices = Prices::new(era);
            let usage = Usage {
                mau: 20e6,
                clients: 3.0,
                client_calls: 10.0,
                free_tier: true,
                ..Usage::default()
            };
            for arch in [Arch::Arm64, Arch::X86] {
                for e in estimate_all(
                    &Usage {
                        arch,
                        ..usage.clone()
                    },
                    &prices,
                ) {
                    assert!(e.total() > 0.0, "{era:?} {e:?}");
                }
            }
        }
    }

    #[test]
    fn names_are_unique_per_era() {
        for era in [Era::Current, Era::Y2024] {
            let mut names: Vec<&str> = era.prices().map(|d| d.name).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{era:?}");
        }
    }

    #[test]
    fn bands_take_the_free_units_off_the_bottom() {
        let prices = Prices::new(Era::Current);
        let bands = [(100e3, "cognito.lite.to-100k"), (M, "cognito.lite.to-1m")];
        // 10k free, 90k at 0.0055, 100k at 0.0046.
        let got = tiered(&prices, 200e3, 10e3, &bands, 1.0);
        assert!(
            (got - (90e3 * 0.0055 + 100e3 * 0.0046)).abs() < 1e-9,
            "{got}"
        );
        // A free allowance past the first band's top takes from the next.
        let got = tiered(&prices, 200e3, 150e3, &bands, 1.0);
        assert!((got - 50e3 * 0.0046).abs() < 1e-9, "{got}");
        assert_eq!(tiered(&prices, 5e3, 10e3, &bands, 1.0), 0.0);
    }

    #[test]
    fn overrides_are_checked() {
        let mut prices = Prices::new(Era::Current);
        assert!(prices.set("cognito.essentials", 0.02).is_ok());
        assert_eq!(prices.get("cognito.essentials"), 0.02);
        let e = prices.set("cognito.esentials", 1.0).unwrap_err();
        assert!(
            e.help.contains("did you mean `cognito.essentials`?"),
            "{e:?}"
        );
        let e = prices.set("cognito.asf.to-50k", 1.0).unwrap_err();
        assert!(e.help.contains("--pricing 2024"), "{e:?}");
        assert!(prices.set("lambda.requests", -1.0).is_err());
        assert!(prices.set("lambda.requests", f64::NAN).is_err());
    }

    #[test]
    fn figures_are_written_for_people() {
        assert_eq!(money(1_234_567.891), "$1,234,567.89");
        assert_eq!(money(0.004), "$0.00");
        assert_eq!(money(999.999), "$1,000.00");
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(count(1_000_000.0), "1,000,000");
        assert_eq!(count(12.0), "12");
        assert_eq!(count(1500.5), "1,500.5");
        assert_eq!(price_value(0.000_013_333_4), "0.0000133334");
        assert_eq!(price_value(3.5), "3.5");
        assert_eq!(price_value(1_000_000.0), "1,000,000");
    }

    #[test]
    fn gb_seconds_round_up_to_the_millisecond() {
        let f = Function {
            memory_mb: 128.0,
            duration_ms: 19.2,
        };
        assert!((f.gb_seconds() - 0.125 * 0.020).abs() < 1e-15);
        let f = Function {
            memory_mb: 1024.0,
            duration_ms: 0.0,
        };
        assert!((f.gb_seconds() - 0.001).abs() < 1e-15);
    }
}
