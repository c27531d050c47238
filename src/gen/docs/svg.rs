//! The SVG half of the `docs` target: `docs/access-matrix.svg`, the same matrix as a picture
//! read at a glance. Names are XML-escaped here, never pasted in as markup.

use super::{Keys, RouteBits, ones};
use crate::model::{Access, GroupId, Method, Model, Route, ScopeId};
use std::fmt::Write as _;

/// Text safe in XML character data and attribute values. Characters XML 1.0 cannot carry at
/// all (most control characters) become U+FFFD.
pub(super) fn xml_escape(s: &str) -> String {
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

pub(super) fn svg(model: &Model, cols: &[GroupId], keys: &Keys) -> String {
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
        let _ = write!(s, "{:.1}", grid_y + j as f64 * ROW - GAP / 2.0);
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
        let _ = write!(text_y, "{:.1}", y + CELL / 2.0 + FONT * 0.35);
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
        let _ = write!(y_text, "{y}");
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
                    let _ = write!(t, "{x}");
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
