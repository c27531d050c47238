//! The `docs` target: the access matrix for people. Reviewers and auditors ask "who can call
//! what?" far more often than they read CloudFormation, so rolegen writes the answer beside the
//! artifacts: a markdown table (`docs/access-matrix.md`, readable in a pull request) and a
//! picture of the same matrix (`docs/access-matrix.svg`) that can be read at a glance.
//!
//! Both read only the model's matrix and effective scopes. Names are data: they are escaped
//! for markdown or XML, never pasted in as markup.

use super::Files;
use super::text::push_key;
use crate::diag::Diagnostic;
use crate::model::{Access, GroupId, Method, Model, Route, ScopeId, Strategy};
use std::fmt::Write as _;

pub const MARKDOWN: &str = "docs/access-matrix.md";
pub const SVG: &str = "docs/access-matrix.svg";

pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    let cols = column_order(model);
    let keys = Keys::new(model);
    Ok(Files::from([
        (
            MARKDOWN.to_string(),
            markdown(model, &cols, &keys).into_bytes(),
        ),
        (SVG.to_string(), svg(model, &cols, &keys).into_bytes()),
    ]))
}

/// Every route's key (`GET /orders/{orderId}`), written once into one buffer: both files show
/// it on every row, the picture three times per row and once per allowed cell.
struct Keys {
    text: String,
    /// Where each route's key ends in `text` (it starts where the previous one ends).
    ends: Vec<usize>,
}

impl Keys {
    fn new(model: &Model) -> Keys {
        let mut text = String::with_capacity(model.routes.len() * 40);
        let mut ends = Vec::with_capacity(model.routes.len());
        for route in &model.routes {
            push_key(&mut text, route);
            ends.push(text.len());
        }
        Keys { text, ends }
    }

    fn get(&self, route: usize) -> &str {
        let start = if route == 0 { 0 } else { self.ends[route - 1] };
        &self.text[start..self.ends[route]]
    }

    fn max_len(&self) -> usize {
        (0..self.ends.len())
            .map(|j| self.get(j).len())
            .max()
            .unwrap_or(0)
    }
}

/// Columns left to right from the most privileged group (lowest precedence, as Cognito ranks
/// them) to the least, so a hierarchy reads in order; groups without precedence come last, by
/// name.
pub fn column_order(model: &Model) -> Vec<GroupId> {
    let mut ids: Vec<GroupId> = model.group_ids().collect();
    ids.sort_by_key(|&g| {
        let group = model.group(g);
        (group.precedence.is_none(), group.precedence, g)
    });
    ids
}

fn token_sentence(model: &Model) -> &'static str {
    match model.api.strategy {
        Strategy::Lambda => {
            "Authorizer `lambda`: clients send the Cognito ID token; the Lambda authorizer reads its `cognito:groups` claim and allows the called route when one of those groups may call it."
        }
        Strategy::CognitoScopes => {
            "Authorizer `cognito-scopes`: clients send the Cognito access token; API Gateway allows a route when the token carries any one of the route's scopes."
        }
        Strategy::VerifiedPermissions => match model.api.token {
            crate::model::TokenUse::Id => {
                "Authorizer `verified-permissions`: clients send the Cognito ID token; the Lambda authorizer asks Amazon Verified Permissions, whose Cedar policy for each group lists every route the group may call (see `../cedar/policies.cedar`)."
            }
            crate::model::TokenUse::Access => {
                "Authorizer `verified-permissions`: clients send the Cognito access token; the Lambda authorizer asks Amazon Verified Permissions, whose Cedar policy for each group lists every route the group may call (see `../cedar/policies.cedar`)."
            }
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown

use crate::markdown::{escape as md_escape, escape_into as md_escape_into};

fn markdown(model: &Model, cols: &[GroupId], keys: &Keys) -> String {
    let groups_md: Vec<String> = model.groups.iter().map(|g| md_escape(&g.name)).collect();
    let scopes_md: Vec<String> = model.scopes.iter().map(|s| md_escape(&s.name)).collect();
    // The matrix's rows are the bulk of the file: their exact size, and the small parts
    // around them written or measured first, so the file is written without growing (and
    // copying) its buffer.
    let policy = authorizer_line(model);
    let tables = markdown_tables(model, cols, &groups_md, &scopes_md);
    let rows_len: usize = model
        .routes
        .iter()
        .map(|route| match &route.access {
            Access::Public => "🌐 public".len(),
            Access::Authenticated => SIGNED_IN_MD.len(),
            Access::AnyOf(ids) => ids
                .iter()
                .map(|s| scopes_md[s.0].len() + 2)
                .sum::<usize>()
                .saturating_sub(2),
        })
        .sum::<usize>()
        + model.routes.len() * ("| `` |  |\n".len() + cols.len() * CELL_MD.len())
        + keys.text.len();
    let head_len = 2048
        + 3 * (model.api.name.len() + model.api.stage.len())
        + policy.as_ref().map_or(0, String::len)
        + cols.iter().map(|g| groups_md[g.0].len() + 9).sum::<usize>();
    let mut md = String::with_capacity(head_len + rows_len + tables.len());
    md.push_str("<!-- Generated by rolegen from roles.yaml; do not edit. -->\n\n");
    let _ = writeln!(md, "# Access matrix: {}\n", md_escape(&model.api.name));
    let _ = writeln!(
        md,
        "Who may call which route of {} (stage {}), as `roles.yaml` declares it. {}",
        md_escape(&model.api.name),
        md_escape(&model.api.stage),
        token_sentence(model)
    );
    md.push_str(
        "A caller in several groups may call every route that any one of its groups may call. \
         A route not listed here does not exist: nothing grants it.\n\n",
    );
    md.push_str("✅ allowed · — denied · 🌐 public: anyone may call it, without a token");
    if model.has_authenticated() {
        md.push_str(" · 🔑 signed in: any signed-in user may call it, in any group or none");
    }
    if model.has_bound() {
        md.push_str(
            " · 👤 own `{v}` = `claim`: only where the path's `{v}` equals that claim of the caller's token",
        );
    }
    md.push_str("\n\n");
    if model.settings.cors.is_some() {
        md.push_str(
            "Browsers' CORS preflights (`OPTIONS` on every path, from `api.cors`) are answered without a token and are not routes of this matrix: they reach no backend and grant nothing.\n\n",
        );
    }
    let _ = writeln!(
        md,
        "{} routes, {} groups, {} scopes.\n",
        model.routes.len(),
        model.groups.len(),
        model.scopes.len()
    );
    if let Some(line) = policy {
        let _ = writeln!(md, "{line}\n");
    }

    md.push_str("## Routes × groups\n\n");
    md.push_str("| Route | Scopes (any one) |");
    for &g in cols {
        md.push(' ');
        md.push_str(&groups_md[g.0]);
        md.push_str(" |");
    }
    md.push_str("\n| :-- | :-- |");
    for _ in cols {
        md.push_str(" :-: |");
    }
    md.push('\n');
    // One row per route and one cell per group, written in place from pieces escaped once.
    // Cells go eight at a time: each of the 256 ways eight cells can be is written once here
    // (bit k set: the k-th of them allowed), and a row of a hundred groups is thirteen copies.
    let mut bits = RouteBits::new(model, cols);
    let octets: Vec<String> = (0..256u32)
        .map(|pattern| {
            (0..8)
                .map(|k| {
                    if pattern >> k & 1 == 1 {
                        CELL_MD
                    } else {
                        DENIED_MD
                    }
                })
                .collect()
        })
        .collect();
    for (j, route) in model.routes.iter().enumerate() {
        // Paths hold only letters, digits, `.`, `_`, `-`, `{`, `}` and `+`: safe in a code span.
        md.push_str("| `");
        md.push_str(keys.get(j));
        md.push_str("` | ");
        match &route.access {
            Access::Public => md.push_str("🌐 public"),
            Access::Authenticated => md.push_str(SIGNED_IN_MD),
            Access::AnyOf(ids) => {
                for (i, s) in ids.iter().enumerate() {
                    if i > 0 {
                        md.push_str(", ");
                    }
                    md.push_str(&scopes_md[s.0]);
                }
            }
        }
        for b in &route.bound {
            // Variable names are letters, digits and `_`; claims are `sub`,
            // `cognito:username` or `custom:` and the same: safe in a code span.
            let _ = write!(md, " · 👤 own `{{{}}}` = `{}`", b.var, b.claim.as_written());
        }
        md.push_str(" |");
        let mask = bits.seek(j);
        for first in (0..cols.len()).step_by(8) {
            let octet = mask[first / W] >> (first % W) & 0xFF;
            // Cells are the same length: the first cells of a full octet for a short one.
            let n = (cols.len() - first).min(8);
            md.push_str(&octets[octet][..n * CELL_MD.len()]);
        }
        md.push('\n');
    }
    md.push_str(&tables);
    clients_table(model, &scopes_md, &mut md);
    if model.api.strategy == Strategy::VerifiedPermissions {
        cedar_table(model, &groups_md, &mut md);
    }
    cost_table(model, &mut md);
    md
}

/// The machine clients: their scopes and the routes those grant (never an `authenticated` or
/// `match` route: a client is not a user).
fn clients_table(model: &Model, scopes_md: &[String], md: &mut String) {
    if model.clients.is_empty() {
        return;
    }
    md.push_str("\n## Machine clients\n\n");
    md.push_str(
        "Apps that call the API with their own client-credentials access token (no user). A client may call a route when it has one of the route's scopes; it never gets an `authenticated` or `match` route.\n\n",
    );
    md.push_str(
        "| Client | Description | Scopes | Routes it may call |\n| :-- | :-- | :-- | :-- |\n",
    );
    for c in model.client_ids() {
        let client = model.client(c);
        md.push_str("| ");
        md_escape_into(md, &client.name);
        md.push_str(" | ");
        match &client.description {
            Some(d) => md_escape_into(md, d),
            None => md.push('—'),
        }
        md.push_str(" | ");
        let scopes: Vec<&str> = client
            .scopes
            .iter()
            .map(|s| scopes_md[s.0].as_str())
            .collect();
        md.push_str(&scopes.join(", "));
        md.push_str(" | ");
        let routes: Vec<String> = model
            .route_ids()
            .filter(|&r| {
                model.matrix.client_allows(c, r) && model.route(r).access != Access::Public
            })
            .map(|r| format!("`{}`", model.route(r).key()))
            .collect();
        if routes.is_empty() {
            md.push_str("— (public routes only)");
        } else {
            md.push_str(&routes.join(", "));
        }
        md.push_str(" |\n");
    }
}

/// What the file's strategy would cost per month against the others at a few sizes (the
/// model and defaults of `rolegen cost`), so that the page reviewers read shows the price of
/// the choice too.
fn cost_table(model: &Model, md: &mut String) {
    md.push_str(&crate::cost::docs_section(model.api.strategy));
}

/// For `verified-permissions`, the Cedar policy beside each group: what Verified Permissions
/// decides with, and how many actions (route × verb) each lists.
fn cedar_table(model: &Model, groups_md: &[String], md: &mut String) {
    use super::cedar;
    let ns = cedar::namespace(&model.api.name);
    let actions = cedar::actions(model);
    let policies = cedar::policies(model, &ns, &actions);
    md.push_str("\n## Cedar policies (Verified Permissions)\n\n");
    let _ = writeln!(
        md,
        "Namespace `{ns}`, {} actions (one per protected route and verb it answers). Each group's policy permits every action the group may call, `includes` expanded, for `{ns}::UserGroup::\"<userPoolId>|<group>\"`; the text is in `../cedar/policies.cedar`. A group without a policy may call no protected route.\n",
        actions.len()
    );
    md.push_str("| Group | Policies (CloudFormation) | Actions |\n| :-- | :-- | --: |\n");
    let anyone: Vec<String> = policies
        .iter()
        .filter(|p| p.group.is_none() && p.client.is_none() && p.bound.is_none())
        .map(|p| format!("`{}`", super::cfn::cedar_policy_id(model, p)))
        .collect();
    if !anyone.is_empty() {
        let n = actions
            .iter()
            .filter(|a| model.route(a.route).access == Access::Authenticated)
            .count();
        let _ = writeln!(
            md,
            "| any signed-in user (`authenticated` routes) | {} | {n} |",
            anyone.join(", ")
        );
    }
    for g in model.group_ids() {
        let mine: Vec<&cedar::Policy> = policies.iter().filter(|p| p.group == Some(g)).collect();
        let ids: Vec<String> = mine
            .iter()
            .map(|p| format!("`{}`", super::cfn::cedar_policy_id(model, p)))
            .collect();
        let n = actions
            .iter()
            .filter(|a| {
                model.route(a.route).access != Access::Authenticated
                    && model.matrix.allows(g, a.route)
            })
            .count();
        let _ = writeln!(
            md,
            "| {} | {} | {n} |",
            groups_md[g.0],
            if ids.is_empty() {
                "—".to_string()
            } else {
                ids.join(", ")
            }
        );
    }
    for c in model.client_ids() {
        let ids: Vec<String> = policies
            .iter()
            .filter(|p| p.client == Some(c))
            .map(|p| format!("`{}`", super::cfn::cedar_policy_id(model, p)))
            .collect();
        let n = actions
            .iter()
            .filter(|a| model.matrix.client_allows(c, a.route))
            .count();
        let _ = writeln!(
            md,
            "| machine client {} (`{ns}::Client`) | {} | {n} |",
            md_escape(&model.client(c).name),
            if ids.is_empty() {
                "—".to_string()
            } else {
                ids.join(", ")
            }
        );
    }
}

/// The groups and scopes tables, after the matrix.
fn markdown_tables(
    model: &Model,
    cols: &[GroupId],
    groups_md: &[String],
    scopes_md: &[String],
) -> String {
    let mut md = String::new();
    md.push_str("\n## Groups\n\n");
    md.push_str("| Group | Precedence | Includes | Effective scopes (via `includes`) | Routes |\n");
    md.push_str("| :-- | --: | :-- | :-- | --: |\n");
    // A markdown name is escaped character by character, so a chain of escaped names with
    // ` → ` between them is the escaped chain.
    let push_names = |md: &mut String, ids: &[GroupId], sep: &str| {
        for (i, g) in ids.iter().enumerate() {
            if i > 0 {
                md.push_str(sep);
            }
            md.push_str(&groups_md[g.0]);
        }
    };
    for &g in cols {
        let group = model.group(g);
        md.push_str("| ");
        md.push_str(&groups_md[g.0]);
        md.push_str(" | ");
        match group.precedence {
            Some(p) => push_uint(&mut md, p.into()),
            None => md.push('—'),
        }
        md.push_str(" | ");
        if group.includes.is_empty() {
            md.push('—');
        } else {
            push_names(&mut md, &group.includes, ", ");
        }
        md.push_str(" | ");
        if group.effective.is_empty() {
            md.push('—');
        }
        for (i, e) in group.effective.iter().enumerate() {
            if i > 0 {
                md.push_str("; ");
            }
            md.push_str(&scopes_md[e.scope.0]);
            if e.via.len() > 1 {
                md.push_str(" (via ");
                push_names(&mut md, &e.via[1..], " → ");
                md.push(')');
            }
        }
        md.push_str(" | ");
        push_uint(&mut md, model.matrix.row(g).count_ones(..) as u64);
        md.push_str(" of ");
        push_uint(&mut md, model.routes.len() as u64);
        md.push_str(" |\n");
    }

    md.push_str("\n## Scopes\n\n");
    md.push_str("| Scope | In tokens as | Description | Groups that have it |\n");
    md.push_str("| :-- | :-- | :-- | :-- |\n");
    // Each scope's holders in column order, from the groups' effective scopes.
    let mut holders: Vec<Vec<GroupId>> = vec![Vec::new(); model.scopes.len()];
    for &g in cols {
        for e in &model.group(g).effective {
            if holders[e.scope.0].last() != Some(&g) {
                holders[e.scope.0].push(g);
            }
        }
    }
    for (scope, holders) in model.scopes.iter().zip(&holders) {
        md.push_str("| ");
        md_escape_into(&mut md, &scope.name);
        md.push_str(" | ");
        md_escape_into(&mut md, &scope.full_name);
        md.push_str(" | ");
        md_escape_into(&mut md, &scope.description);
        md.push_str(" | ");
        if holders.is_empty() {
            md.push_str("— (no group: routes needing only this scope are closed to everyone)");
        } else {
            push_names(&mut md, holders, ", ");
        }
        md.push_str(" |\n");
    }
    md
}

/// The matrix read route by route: the routes' allowed columns as bit masks (column `i` is
/// bit `i % W` of word `i / W`, `W` = `usize::BITS`). The matrix is stored group by group,
/// route `j` as bit `j % W` of block `j / W` of the group's row, and a large API has a million
/// cells, mostly denied: so the masks of a block of `W` routes are built at once from the
/// columns' blocks, visiting only their set bits, and a row then visits only its allowed cells.
struct RouteBits<'m> {
    /// Each column's matrix row, as its blocks.
    rows: Vec<&'m [usize]>,
    /// Words per route mask.
    width: usize,
    /// The masks of the current block's routes, one after the other.
    masks: Vec<usize>,
}

const W: usize = usize::BITS as usize;

impl<'m> RouteBits<'m> {
    fn new(model: &'m Model, cols: &[GroupId]) -> RouteBits<'m> {
        let width = cols.len().div_ceil(W);
        RouteBits {
            rows: cols
                .iter()
                .map(|&g| model.matrix.row(g).as_slice())
                .collect(),
            width,
            masks: vec![0; W * width],
        }
    }

    /// Route `j`'s mask; routes must be visited in order, from 0.
    fn seek(&mut self, j: usize) -> &[usize] {
        let (block, at) = (j / W, j % W);
        if at == 0 {
            self.masks.fill(0);
            for (i, row) in self.rows.iter().enumerate() {
                let mut routes = row[block];
                while routes != 0 {
                    let r = routes.trailing_zeros() as usize;
                    routes &= routes - 1;
                    self.masks[r * self.width + i / W] |= 1 << (i % W);
                }
            }
        }
        &self.masks[at * self.width..(at + 1) * self.width]
    }
}

/// The set bits of a mask, lowest first.
fn ones(mask: &[usize]) -> impl Iterator<Item = usize> + '_ {
    mask.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * W + bit
            })
        })
    })
}

/// The scopes cell of an `authenticated` route.
const SIGNED_IN_MD: &str = "🔑 signed in";

/// An allowed cell of the markdown matrix, and a denied one: as long (both are six bytes).
const CELL_MD: &str = " ✅ |";
const DENIED_MD: &str = " — |";
const _: () = assert!(CELL_MD.len() == DENIED_MD.len());

/// For the `lambda` strategy, what one answer of the authorizer covers and how long API
/// Gateway reuses it: the figure that replaced "the largest policy" when the authorizer
/// stopped returning whole allow-lists.
fn authorizer_line(model: &Model) -> Option<String> {
    if !model.api.strategy.uses_lambda_authorizer() {
        return None;
    }
    let ttl = model.api.authorizer_ttl;
    let reuse = if ttl == 0 {
        "API Gateway calls it for every request (`authorizer_ttl: 0`)".to_string()
    } else {
        format!(
            "API Gateway reuses an answer for {ttl} s for the same token, verb and resource, so a caller costs at most one call per route they use in that time"
        )
    };
    Some(format!(
        "Each answer of the Lambda authorizer is one statement for the called route only ({} routes in its table{}); {reuse}.",
        model.routes.len(),
        if model.api.strategy == Strategy::VerifiedPermissions {
            ", each protected one decided by Verified Permissions"
        } else {
            ""
        }
    ))
}

// ---------------------------------------------------------------------------------------------
// SVG

/// Text safe in XML character data and attribute values. Characters XML 1.0 cannot carry at
/// all (most control characters) become U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    xml_escape_into(&mut out, s);
    out
}

/// [`xml_escape`] appended to `out`.
fn xml_escape_into(out: &mut String, s: &str) {
    if !s.bytes().any(|b| XML_SPECIAL[usize::from(b)]) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Bytes that [`xml_escape`] may change: markup characters, and everything outside printable
/// ASCII (checked character by character). A table: every key and name goes through it.
const XML_SPECIAL: [bool; 256] = {
    let mut table = [true; 256];
    let mut b = 0x20;
    while b < 0x7F {
        table[b] = matches!(b as u8, b'&' | b'<' | b'>' | b'"' | b'\'');
        b += 1;
    }
    table
};

/// Labels longer than this are cut with `…` in the picture (the tooltip has the whole name).
const MAX_LABEL: usize = 36;

/// `NARROW[n]`: the advance of `n` narrow characters, added one by one as [`text_width`]
/// adds them (the same rounding at each step), for labels of ASCII text.
const NARROW: [f64; MAX_LABEL + 1] = {
    let mut sums = [0.0; MAX_LABEL + 1];
    let mut n = 1;
    while n <= MAX_LABEL {
        sums[n] = sums[n - 1] + 0.62;
        n += 1;
    }
    sums
};

fn truncate(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX_LABEL - 1).collect();
        t.push('…');
        t
    }
}

/// Estimated width of text in pixels: no font metrics are available, so an average advance
/// per character, doubled for wide (CJK, emoji) characters. Generous on purpose.
fn text_width(s: &str, font_px: f64) -> f64 {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 1.1 } else { 0.62 })
        .sum::<f64>()
        * font_px
}

fn method_color(m: Method) -> &'static str {
    match m {
        Method::Get => "#1565c0",
        Method::Post => "#2e7d32",
        Method::Put => "#ef6c00",
        Method::Patch => "#00838f",
        Method::Delete => "#c62828",
        Method::Head | Method::Options | Method::Any => "#6a1b9a",
    }
}

const FOOTER: [&str; 2] = [
    "A caller in several groups may call what any of them may.",
    "Hover a cell for the scope and the includes chain that grant it.",
];
const CELL: f64 = 22.0;
const GAP: f64 = 3.0;
const ROW: f64 = CELL + GAP;
const FONT: f64 = 12.0;
const PAD: f64 = 16.0;
const ALLOW: &str = "#2e7d32";
const PUBLIC: &str = "#1565c0";
const DENY: &str = "#eceff1";

fn svg(model: &Model, cols: &[GroupId], keys: &Keys) -> String {
    let method_w = text_width("OPTIONS", FONT) + 8.0;
    // The path is the part of a route's key after the method and its space.
    let path_of = |j: usize| &keys.get(j)[model.routes[j].method.as_str().len() + 1..];
    let path_w = (0..model.routes.len())
        .map(|j| label_width(path_of(j), FONT))
        .fold(text_width("Route", FONT), f64::max);
    let label_w = (method_w + path_w + 12.0).ceil();
    // Column headers are rotated 45°: their diagonal extent sets the header height.
    let header_len = cols
        .iter()
        .map(|g| text_width(&truncate(&model.group(*g).name), FONT))
        .fold(0.0, f64::max);
    let header_h = (header_len * std::f64::consts::FRAC_1_SQRT_2 + 24.0).ceil();
    // Names as they appear in attributes and tooltips, escaped once each.
    let groups_xml: Vec<String> = model.groups.iter().map(|g| xml_escape(&g.name)).collect();
    let scopes_xml: Vec<String> = model.scopes.iter().map(|s| xml_escape(&s.name)).collect();
    let mut scopes_column = ScopesColumn::new(model, &scopes_xml);
    let scopes_w = model
        .routes
        .iter()
        .map(|route| scopes_column.width(route))
        .fold(text_width("scopes (any one)", FONT - 1.0), f64::max);

    let title_h = 52.0;
    let grid_x = PAD + label_w;
    let grid_y = PAD + title_h + header_h;
    let grid_w = cols.len() as f64 * ROW;
    let grid_h = model.routes.len() as f64 * ROW;
    let scopes_x = grid_x + grid_w + 12.0;
    // The last column's header leans right, past the grid.
    let width = (scopes_x + scopes_w + PAD).max(grid_x + grid_w + header_len * 0.72 + PAD);
    let legend_y = grid_y + grid_h + 18.0;
    let subtitle = format!(
        "stage {} · authorizer {} · {} routes · {} groups",
        truncate(&model.api.stage),
        model.api.strategy.as_str(),
        model.routes.len(),
        model.groups.len()
    );
    let width = width
        .max(PAD * 2.0 + 600.0)
        .max(PAD * 2.0 + text_width(&subtitle, FONT))
        .max(PAD * 2.0 + text_width(FOOTER[1], 11.0))
        .max(PAD * 2.0 + text_width(&truncate(&model.api.name), 18.0) + 120.0)
        .ceil();
    let height = (legend_y + 76.0).ceil();

    let cells = CellPieces::new(model, cols, grid_x, &groups_xml, &scopes_xml);
    let mut s = String::with_capacity(svg_estimate(model, cols, keys, &cells));

    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, 'DejaVu Sans', sans-serif" font-size="{FONT}">"#
    );
    let _ = writeln!(
        s,
        "<title>Access matrix: {}</title>",
        xml_escape(&model.api.name)
    );
    s.push_str("<!-- Generated by rolegen from roles.yaml; do not edit. -->\n");
    let _ = writeln!(
        s,
        r##"<defs><pattern id="deny" x="{grid_x:.1}" y="{grid_y:.1}" width="{ROW}" height="{ROW}" patternUnits="userSpaceOnUse"><rect width="{CELL}" height="{CELL}" rx="3" fill="{DENY}"/></pattern><path id="check" d="M5 11.5 l4.5 4.5 l8 -9" fill="none" stroke="#ffffff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/><circle id="ring" cx="11" cy="11" r="5.5" fill="none" stroke="#ffffff" stroke-width="2.2"/><g id="allow"><rect width="{CELL}" height="{CELL}" rx="3" fill="{ALLOW}"/><use href="#check"/></g><g id="public"><rect width="{CELL}" height="{CELL}" rx="3" fill="{PUBLIC}"/><use href="#ring"/></g></defs>"##
    );
    let _ = writeln!(
        s,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="{PAD}" y="{}" font-size="18" font-weight="bold" fill="#212121">Access matrix: {}</text>"##,
        PAD + 18.0,
        xml_escape(&truncate(&model.api.name))
    );
    let _ = writeln!(
        s,
        r##"<text x="{PAD}" y="{}" fill="#616161">{}</text>"##,
        PAD + 38.0,
        xml_escape(&subtitle)
    );

    // Column headers.
    for (i, &g) in cols.iter().enumerate() {
        let x = grid_x + i as f64 * ROW + CELL / 2.0;
        let y = grid_y - 8.0;
        let name = &model.group(g).name;
        let _ = writeln!(
            s,
            r##"<text transform="translate({x:.1},{y:.1}) rotate(-45)" fill="#212121" font-weight="bold" data-group="{}"><title>{}</title>{}</text>"##,
            groups_xml[g.0],
            groups_xml[g.0],
            xml_escape(&truncate(name))
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{PAD}" y="{:.1}" fill="#616161" font-weight="bold">route</text>"##,
        grid_y - 8.0
    );
    let _ = writeln!(
        s,
        r##"<text x="{scopes_x:.1}" y="{:.1}" fill="#616161" font-weight="bold" font-size="{}">scopes (any one)</text>"##,
        grid_y - 8.0,
        FONT - 1.0
    );

    // Row stripes first, then the grid of denied cells as one patterned rectangle (a matrix
    // is mostly denials: one element per cell would make a large API's picture megabytes),
    // then the allowed cells on top.
    let stripe_start = format!(r#"<rect x="{:.1}" y=""#, PAD - 4.0);
    let stripe_end = format!(
        r##"" width="{:.1}" height="{ROW}" fill="#f7f9fa"/>"##,
        scopes_x + scopes_w - PAD + 8.0
    );
    for j in (0..model.routes.len()).step_by(2) {
        s.push_str(&stripe_start);
        push_fixed1(&mut s, grid_y + j as f64 * ROW - GAP / 2.0);
        s.push_str(&stripe_end);
        s.push('\n');
    }
    if !cols.is_empty() && !model.routes.is_empty() {
        let _ = writeln!(
            s,
            r#"<rect class="deny" x="{grid_x:.1}" y="{grid_y:.1}" width="{:.1}" height="{:.1}" fill="url(#deny)"/>"#,
            grid_w - GAP,
            grid_h - GAP
        );
    }

    // The pieces of each row that do not depend on the row, formatted once: a row is its
    // numbers and names between copies of these.
    const MONO: &str = "font-family=\"Menlo, Consolas, 'DejaVu Sans Mono', monospace\"";
    let method_start = format!(r#"<text x="{PAD}" y=""#);
    // From the method's baseline to the path's: the method's colour and name. Indexed by
    // `Method as usize`, which is the method's place in `Method::ALL`.
    let method_rest = Method::ALL.map(|m| {
        format!(
            "\" {MONO} font-weight=\"bold\" fill=\"{}\">{m}</text>\n<text x=\"{:.1}\" y=\"",
            method_color(m),
            PAD + method_w
        )
    });
    let path_end = format!(r##"" {MONO} fill="#212121"><title>"##);
    // After the row's cells, the last cell's end if one is open, up to the scopes' baseline.
    let row_end = format!("{CELL_END}</g>\n<text x=\"{scopes_x:.1}\" y=\"");
    let scopes_end = [false, true].map(|public| {
        format!(
            "\" font-size=\"{}\" fill=\"{}\">",
            FONT - 1.0,
            if public { PUBLIC } else { "#424242" }
        )
    });

    let mut key_xml = String::new();
    let mut tip_key = String::new();
    let mut y_text = String::new();
    let mut text_y = String::new();
    let mut required: Vec<ScopeId> = Vec::new();
    let mut bits = RouteBits::new(model, cols);
    for (j, route) in model.routes.iter().enumerate() {
        let y = grid_y + j as f64 * ROW;
        text_y.clear();
        push_fixed1(&mut text_y, y + CELL / 2.0 + FONT * 0.35);
        key_xml.clear();
        xml_escape_into(&mut key_xml, keys.get(j));

        s.push_str(&method_start);
        s.push_str(&text_y);
        s.push_str(&method_rest[route.method as usize]);
        s.push_str(&text_y);
        s.push_str(&path_end);
        s.push_str(&key_xml);
        s.push_str("</title>");
        let (head, cut) = truncated(path_of(j));
        if cut {
            xml_escape_into(&mut s, head);
            s.push('…');
        } else {
            // Escaping is per character: the escaped path ends the escaped key (escaping
            // leaves the method and the space after it unchanged).
            s.push_str(&key_xml[route.method.as_str().len() + 1..]);
        }
        s.push_str("</text>\n<g data-route=\"");
        s.push_str(&key_xml);
        s.push_str("\">\n");

        // One `<use>` per allowed cell, coordinates whole pixels: the picture of a large API
        // stays small. Its tooltip says why the group may call the route: for a public route
        // the same text in every cell; otherwise the group, the route, and the group's grant
        // of each scope the route accepts. Each cell's end is written by the next cell's
        // start (or the row's end): one copy fewer per cell.
        y_text.clear();
        push_coord(&mut y_text, y);
        tip_key.clear();
        tip_key.push_str(&key_xml);
        let mut signed_in = false;
        let public = match &route.access {
            Access::Public => {
                tip_key.push_str(": public");
                true
            }
            Access::Authenticated => {
                tip_key.push_str(": any signed-in user");
                signed_in = true;
                false
            }
            Access::AnyOf(ids) => {
                tip_key.push_str(": ");
                // In the order of the group's effective scopes, as before: by id, once each.
                required.clear();
                required.extend_from_slice(ids);
                required.sort_unstable();
                required.dedup();
                false
            }
        };
        let mut open = false;
        for i in ones(bits.seek(j)) {
            let (col, g) = (&cells.cols[i], cols[i]);
            let start = if public {
                &col.start_public
            } else {
                &col.start_allow
            };
            s.push_str(if open {
                start
            } else {
                &start[CELL_END.len()..]
            });
            open = true;
            s.push_str(&y_text);
            if public || signed_in {
                s.push_str(&col.mid[..col.mid_public]);
                s.push_str(&tip_key);
                continue;
            }
            s.push_str(&col.mid);
            s.push_str(&tip_key);
            let mut first = true;
            for &scope in &required {
                if let Some(grant) = cells.grants.find(g, scope) {
                    if !first {
                        s.push_str("; ");
                    }
                    first = false;
                    s.push_str(grant);
                }
            }
        }

        s.push_str(if open {
            &row_end
        } else {
            &row_end[CELL_END.len()..]
        });
        s.push_str(&text_y);
        s.push_str(&scopes_end[usize::from(public)]);
        scopes_column.write(&mut s, route);
        s.push_str("</text>\n");
    }

    // Legend.
    let ly = legend_y;
    let items = [
        ("allow", ALLOW, "allowed (by a scope the group has)"),
        ("public", PUBLIC, "public: anyone, no token"),
        ("deny", DENY, "denied"),
    ];
    let mut x = PAD;
    for (class, fill, text) in items {
        let _ = writeln!(
            s,
            r#"<rect x="{x:.1}" y="{ly:.1}" width="{CELL}" height="{CELL}" rx="3" fill="{fill}" stroke="{}"/>"#,
            if class == "deny" { "#b0bec5" } else { fill }
        );
        if class != "deny" {
            let mark = if class == "public" { "ring" } else { "check" };
            let _ = writeln!(s, r##"<use href="#{mark}" x="{x:.1}" y="{ly:.1}"/>"##);
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" fill="#424242">{text}</text>"##,
            x + CELL + 6.0,
            ly + CELL / 2.0 + FONT * 0.35
        );
        x += CELL + 12.0 + text_width(text, FONT);
    }
    for (i, line) in FOOTER.iter().enumerate() {
        let _ = writeln!(
            s,
            r##"<text x="{PAD}" y="{:.1}" fill="#757575" font-size="11">{line}</text>"##,
            ly + CELL + 22.0 + 15.0 * i as f64
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The routes' scopes column (`public`, or the scope names): measured for the picture's
/// width, then written row by row. Most rows are a few short ASCII names that need no cut:
/// their width is a table lookup and their text the names escaped once; the others are
/// joined, cut and escaped on the spot.
struct ScopesColumn<'m> {
    model: &'m Model,
    scopes_xml: &'m [String],
    ascii: Vec<bool>,
    joined: String,
}

impl<'m> ScopesColumn<'m> {
    fn new(model: &'m Model, scopes_xml: &'m [String]) -> ScopesColumn<'m> {
        ScopesColumn {
            model,
            scopes_xml,
            ascii: model.scopes.iter().map(|s| s.name.is_ascii()).collect(),
            joined: String::new(),
        }
    }

    /// The column's length for `route`, when it is ASCII and short enough to need no cut.
    fn short(&self, route: &Route) -> Option<usize> {
        let len = match &route.access {
            Access::Public => "public".len(),
            Access::Authenticated => "signed in".len(),
            Access::AnyOf(ids) => {
                if !ids.iter().all(|s| self.ascii[s.0]) {
                    return None;
                }
                ids.iter()
                    .map(|s| self.model.scope(*s).name.len() + 2)
                    .sum::<usize>()
                    .saturating_sub(2)
            }
        };
        (len <= MAX_LABEL).then_some(len)
    }

    /// `text_width(&truncate(text), FONT - 1.0)` of the route's column text.
    fn width(&mut self, route: &Route) -> f64 {
        match self.short(route) {
            Some(len) => NARROW[len] * (FONT - 1.0),
            None => {
                self.join(route);
                label_width(&self.joined, FONT - 1.0)
            }
        }
    }

    /// The route's column text, cut and escaped, into `out`.
    fn write(&mut self, out: &mut String, route: &Route) {
        match (&route.access, self.short(route)) {
            (Access::Public, _) => out.push_str("public"),
            (Access::Authenticated, _) => out.push_str("signed in"),
            // Escaping is per character: the escaped names joined are the escaped join.
            (Access::AnyOf(ids), Some(_)) => {
                for (i, s) in ids.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&self.scopes_xml[s.0]);
                }
            }
            (Access::AnyOf(_), None) => {
                self.join(route);
                let (head, cut) = truncated(&self.joined);
                xml_escape_into(out, head);
                if cut {
                    out.push('…');
                }
            }
        }
    }

    fn join(&mut self, route: &Route) {
        self.joined.clear();
        match &route.access {
            Access::Public => self.joined.push_str("public"),
            Access::Authenticated => self.joined.push_str("signed in"),
            Access::AnyOf(ids) => {
                for (i, s) in ids.iter().enumerate() {
                    if i > 0 {
                        self.joined.push_str(", ");
                    }
                    self.joined.push_str(&self.model.scope(*s).name);
                }
            }
        }
    }
}

/// The parts of an allowed cell that depend only on its column, and each group's grant of
/// each of its effective scopes, written once: a large picture has tens of thousands of cells
/// and only a hundred columns.
struct CellPieces<'m> {
    /// The matrix row of each column's group.
    rows: Vec<&'m fixedbitset::FixedBitSet>,
    cols: Vec<ColumnPieces>,
    grants: Grants,
}

/// Each group's grant of each of its effective scopes, as a cell's tooltip says it:
/// `scope (own)` or `scope via A → B`. One buffer for all.
struct Grants {
    text: String,
    /// Where each grant is in `text`.
    spans: Vec<(usize, usize)>,
    /// Per group and scope (at `g * scopes + s`): 1 + the grant's index in `spans`, or 0
    /// when the group does not have the scope. A table rather than a search, for the hundred
    /// thousand tooltips of a large picture; at most groups × 100 scopes entries.
    index: Vec<u32>,
    scopes: usize,
}

impl Grants {
    fn new(model: &Model, groups_xml: &[String], scopes_xml: &[String]) -> Grants {
        let scopes = model.scopes.len();
        let mut grants = Grants {
            text: String::new(),
            spans: Vec::new(),
            index: vec![0; model.groups.len() * scopes],
            scopes,
        };
        for (g, group) in model.groups.iter().enumerate() {
            for e in &group.effective {
                let t = &mut grants.text;
                let start = t.len();
                t.push_str(&scopes_xml[e.scope.0]);
                if e.via.len() <= 1 {
                    t.push_str(" (own)");
                } else {
                    t.push_str(" via ");
                    for (k, v) in e.via[1..].iter().enumerate() {
                        if k > 0 {
                            t.push_str(" → ");
                        }
                        t.push_str(&groups_xml[v.0]);
                    }
                }
                grants.spans.push((start, t.len()));
                grants.index[g * scopes + e.scope.0] =
                    u32::try_from(grants.spans.len()).expect("at most groups × 100 grants");
            }
        }
        grants
    }

    /// Group `g`'s grant of scope `s`, if it has the scope.
    fn find(&self, g: GroupId, s: ScopeId) -> Option<&str> {
        match self.index[g.0 * self.scopes + s.0] {
            0 => None,
            i => {
                let (start, end) = self.spans[i as usize - 1];
                Some(&self.text[start..end])
            }
        }
    }

    /// The longest tooltip text group `g`'s grants can make for a route accepting `scopes`
    /// scopes: its longest ones, `; ` between them.
    fn budget(&self, model: &Model, g: GroupId, scopes: usize) -> usize {
        let mut lens: Vec<usize> = (model.group(g).effective.iter())
            .filter_map(|e| self.find(g, e.scope))
            .map(|grant| grant.len() + 2)
            .collect();
        lens.sort_unstable_by(|a, b| b.cmp(a));
        lens.iter().take(scopes).sum()
    }
}

/// The end of an allowed cell.
const CELL_END: &str = "</title></use>\n";

struct ColumnPieces {
    /// `</title></use>\n<use class="allow" href="#allow" x="356" y="`: the end of the cell
    /// before it in the row (skipped for the first), then the cell up to its row's y.
    start_allow: String,
    /// The same for a public route's cell.
    start_public: String,
    /// `" data-group="Admin"><title>Admin, `: from the y to the route in the tooltip.
    mid: String,
    /// Public cells' tooltips do not name the group: `mid` up to here.
    mid_public: usize,
}

impl<'m> CellPieces<'m> {
    fn new(
        model: &'m Model,
        cols: &[GroupId],
        grid_x: f64,
        groups_xml: &[String],
        scopes_xml: &[String],
    ) -> CellPieces<'m> {
        let columns = cols
            .iter()
            .enumerate()
            .map(|(i, &g)| {
                let x = grid_x + i as f64 * ROW;
                let start = |class: &str| {
                    let mut t = format!(r##"{CELL_END}<use class="{class}" href="#{class}" x=""##);
                    push_coord(&mut t, x);
                    t.push_str("\" y=\"");
                    t
                };
                let mut mid = String::from("\" data-group=\"");
                mid.push_str(&groups_xml[g.0]);
                mid.push_str("\"><title>");
                let mid_public = mid.len();
                mid.push_str(&groups_xml[g.0]);
                mid.push_str(", ");
                ColumnPieces {
                    start_allow: start("allow"),
                    start_public: start("public"),
                    mid,
                    mid_public,
                }
            })
            .collect();
        let grants = Grants::new(model, groups_xml, scopes_xml);
        CellPieces {
            rows: cols.iter().map(|&g| model.matrix.row(g)).collect(),
            cols: columns,
            grants,
        }
    }
}

/// Bytes to reserve for the picture, so that it is written without growing (and copying)
/// its buffer: an upper bound for its rows, from the length of their pieces. (Reserved bytes
/// that are never written cost no memory: the pages are never touched.)
fn svg_estimate(model: &Model, cols: &[GroupId], keys: &Keys, cells: &CellPieces) -> usize {
    let key_max = keys.max_len();
    let scopes_max = model
        .routes
        .iter()
        .map(|r| match &r.access {
            Access::Public | Access::Authenticated => 0,
            Access::AnyOf(ids) => ids.len(),
        })
        .max()
        .unwrap_or(0);
    let cells_len: usize = cols
        .iter()
        .enumerate()
        .map(|(i, &g)| {
            let col = &cells.cols[i];
            let tooltip = col.mid.len() + key_max + cells.grants.budget(model, g, scopes_max);
            cells.rows[i].count_ones(..) * (col.start_public.len() + tooltip + 48)
        })
        .sum();
    // A row's text: its fixed pieces and baseline, its key three times, its path and scopes
    // labels (each at most 36 characters, escaped to at most 6 bytes each, and `…`).
    let row_len = 600 + 3 * key_max + 2 * (MAX_LABEL * 6 + '…'.len_utf8());
    4096 + cols.len() * 512 + model.routes.len() * row_len + cells_len
}

/// A coordinate as `{}` formats an `f64`, without the float formatter for whole numbers
/// (every cell's position is one).
fn push_coord(out: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 && v != 0.0 {
        if v < 0.0 {
            out.push('-');
        }
        push_uint(out, v.abs() as u64);
    } else {
        let _ = write!(out, "{v}");
    }
}

/// `n` in decimal, as `{}` writes it.
fn push_uint(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let start = write_digits(&mut buf, n);
    push_ascii(out, &buf[start..]);
}

/// ASCII bytes (digits, a point) appended as characters: cheaper for a few bytes than
/// validating them as a `str`.
fn push_ascii(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(char::from(b));
    }
}

/// Writes `n`'s decimal digits at the end of `buf`; returns where they start.
fn write_digits(buf: &mut [u8], mut n: u64) -> usize {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
}

/// `v` as `{:.1}` writes it: rounded to one decimal, exactly, ties to even. Every row's
/// baseline is such a number, and the general float formatter (made for any precision) costs
/// more than writing the rest of the row. Values outside the plain range go to it.
fn push_fixed1(out: &mut String, v: f64) {
    // v = mantissa / 2^shift, exactly; in range, the whole part, the fraction and ten times
    // the fraction all fit in 64 bits.
    let bits = v.to_bits();
    let shift = 1075 - ((bits >> 52) & 0x7FF) as i64;
    if !(v > 0.0 && v < 1e15 && (1..=59).contains(&shift)) {
        let _ = write!(out, "{v:.1}");
        return;
    }
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let mask = (1u64 << shift) - 1;
    let mut whole = mantissa >> shift;
    // The first decimal, and the exact remainder after it, to round with.
    let tenths = (mantissa & mask) * 10;
    let mut digit = tenths >> shift;
    let rest = tenths & mask;
    let half = 1u64 << (shift - 1);
    if rest > half || (rest == half && digit % 2 == 1) {
        digit += 1;
        if digit == 10 {
            digit = 0;
            whole += 1;
        }
    }
    let mut buf = [0u8; 24];
    buf[22] = b'.';
    buf[23] = b'0' + digit as u8;
    let start = write_digits(&mut buf[..22], whole);
    push_ascii(out, &buf[start..]);
}

/// `s` as [`truncate`] would cut it, without a copy: the kept part, and whether `…` follows.
fn truncated(s: &str) -> (&str, bool) {
    // Bytes are at least as many as characters: a short string needs no counting, and in
    // ASCII a byte is a character.
    if s.len() <= MAX_LABEL {
        (s, false)
    } else if s.is_ascii() {
        (&s[..MAX_LABEL - 1], true)
    } else if s.chars().nth(MAX_LABEL).is_none() {
        (s, false)
    } else {
        let end = s
            .char_indices()
            .nth(MAX_LABEL - 1)
            .map_or(s.len(), |(i, _)| i);
        (&s[..end], true)
    }
}

/// `text_width(&truncate(s), font_px)` without building the truncated string.
fn label_width(s: &str, font_px: f64) -> f64 {
    if s.is_ascii() {
        // The first 35 characters and `…` when cut: 36 narrow advances.
        return NARROW[s.len().min(MAX_LABEL)] * font_px;
    }
    let advance = |c: char| if (c as u32) >= 0x2E80 { 1.1 } else { 0.62 };
    let (mut n, mut all, mut head) = (0usize, 0.0f64, 0.0f64);
    for c in s.chars() {
        if n < MAX_LABEL - 1 {
            head += advance(c);
        }
        all += advance(c);
        n += 1;
    }
    if n <= MAX_LABEL {
        all * font_px
    } else {
        (head + advance('…')) * font_px
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast number writers against `format!`, on the values the picture uses (whole and
    /// half pixels, baselines a fifth off), exact ties, and pseudo-random doubles of all sizes.
    #[test]
    fn number_writers_match_format() {
        let mut values: Vec<f64> = vec![
            0.0,
            -0.0,
            0.05,
            0.25,
            0.35,
            0.45,
            0.5,
            0.75,
            0.95,
            0.96,
            9.95,
            99.95,
            1e15,
            1e-300,
            -1.25,
            -3.0,
            2.5e-8,
            4.2,
            12.0 * 0.35,
            1e14 + 0.25,
            9.007_199_254_740_993e15,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ];
        for k in 0..4000 {
            let y = 192.0 + k as f64 * ROW;
            values.extend([
                y,
                y - GAP / 2.0,
                y + CELL / 2.0 + FONT * 0.35,
                k as f64 / 8.0,
            ]);
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..30_000 {
            // xorshift: any bit pattern, then squeezed to magnitudes a picture could have.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            values.extend([
                v,
                (x >> 11) as f64 / 1024.0,
                (x % 10_000_000) as f64 / 100.0,
            ]);
        }
        let (mut got, mut want) = (String::new(), String::new());
        for v in values {
            got.clear();
            want.clear();
            push_fixed1(&mut got, v);
            let _ = write!(want, "{v:.1}");
            assert_eq!(got, want, "{{:.1}} of {v:e} ({:#x})", v.to_bits());
            got.clear();
            want.clear();
            push_coord(&mut got, v);
            let _ = write!(want, "{v}");
            assert_eq!(got, want, "{{}} of {v:e}");
        }
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::MAX] {
            got.clear();
            push_uint(&mut got, n);
            assert_eq!(got, n.to_string());
        }
    }

    #[test]
    fn label_width_measures_the_cut_label() {
        let mut texts: Vec<String> = (0..80).map(|n| "x".repeat(n)).collect();
        texts.extend([
            "é".repeat(40),
            "読".repeat(37),
            format!("{}😀", "a".repeat(34)),
        ]);
        for t in &texts {
            for font in [FONT, FONT - 1.0] {
                // Equal as numbers (the empty text's sum starts at -0.0 in one, 0.0 in the
                // other; widths only meet `max` with positive ones).
                assert_eq!(label_width(t, font), text_width(&truncate(t), font), "{t}");
            }
        }
    }

    #[test]
    fn method_as_usize_is_its_place_in_all() {
        for (i, m) in Method::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i, "{m}");
        }
    }

    #[test]
    fn truncated_cuts_as_truncate_does() {
        for s in [
            "",
            "short",
            &"é".repeat(36),
            &"é".repeat(37),
            &"x".repeat(80),
            "😀 wide",
        ] {
            let (head, cut) = truncated(s);
            let again = if cut {
                format!("{head}…")
            } else {
                head.to_string()
            };
            assert_eq!(again, truncate(s), "{s}");
        }
    }

    #[test]
    fn xml_escape_drops_what_xml_cannot_carry() {
        assert_eq!(xml_escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(xml_escape("x\u{1}y"), "x\u{FFFD}y");
    }
}
