//! `gen --target docs`: the access matrix for people. Checked against outside parsers, not
//! against ourselves: the markdown is rendered by `markdown-it-py` (CommonMark with GitHub's
//! tables) and every table cell read back from the HTML; the SVG is parsed by Python's XML
//! parser. Each cell must say what the model's matrix says, and each name must come back
//! unchanged, including the hostile ones (pipes, backticks, `<`, `${x}`, emoji).

mod common;

use common::{python, repo, rolegen, scratch};
use rolegen::r#gen::{self, Target, docs};
use rolegen::model::{Access, Model};
use serde_json::Value;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// Roles files with different shapes: hierarchy with a diamond, lateral roles, greedy paths,
/// hostile names, and the `lambda` strategy.
fn fixtures() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        "scopes_hierarchical",
        "scopes_lateral",
        "scopes_proxy",
        "scopes_hostile",
    ]
    .iter()
    .map(|n| {
        let path = repo().join(format!("tests/fixtures/{n}.yaml"));
        (
            n.to_string(),
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
    })
    .collect();
    let hostile = v[3].1.clone();
    v.push((
        "scopes_hostile_lambda".into(),
        hostile.replace("authorizer: cognito-scopes", "authorizer: lambda"),
    ));
    v.push((
        "scopes_hostile_verified_permissions".into(),
        hostile.replace(
            "authorizer: cognito-scopes",
            "authorizer: verified-permissions",
        ),
    ));
    // Pipes end a table cell unless escaped; none of the shared fixtures has one.
    v.push((
        "pipes".into(),
        "version: 1
api: {name: pipe-api, stage: prod, authorizer: cognito-scopes}
user_pool: {name: pipe-users}
resource_server: {identifier: api, name: Pipe API}
scopes:
  'read|all': 'Reads | everything'
  w: \"Writes *bold* _it_ [link](x) ~~gone~~ $math$\"
groups:
  'Ops|Admin': {scopes: ['read|all', w]}
  '|': {scopes: ['read|all']}
  '**': {includes: ['|']}
routes:
  GET /a: ['read|all']
  POST /a: [w]
  GET /b: public
"
        .into(),
    ));
    v
}

fn model(name: &str, text: &str) -> Model {
    let loaded = rolegen::cmd::load_text(name, text.to_string());
    loaded
        .model
        .unwrap_or_else(|| panic!("{name} is invalid: {:?}", loaded.diags))
}

/// Renders each markdown file with markdown-it-py and returns its tables as lists of rows
/// of cell texts; parses each SVG with xml.etree and returns its matrix cells. One Python
/// process for all files.
const CHECKER: &str = r#"
import json, sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
from markdown_it import MarkdownIt

class Tables(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.row, self.cell, self.section = [], None, None, None
    def handle_starttag(self, tag, attrs):
        if tag == "table": self.tables.append({"head": [], "body": []})
        elif tag in ("thead", "tbody"): self.section = "head" if tag == "thead" else "body"
        elif tag == "tr": self.row = []
        elif tag in ("td", "th"): self.cell = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th"): self.row.append(self.cell); self.cell = None
        elif tag == "tr": self.tables[-1][self.section].append(self.row); self.row = None
    def handle_data(self, data):
        if self.cell is not None: self.cell += data

md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
out = {}
for path in sys.argv[1:]:
    if path.endswith(".md"):
        p = Tables()
        p.feed(md.render(open(path, encoding="utf-8").read()))
        out[path] = {"tables": p.tables}
    else:
        root = ET.parse(path).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        assert root.tag == ns + "svg", root.tag
        # Allowed and public cells are `<use data-group>` inside a row `<g data-route>`;
        # denied cells are the patterned background, drawn once.
        cells = [
            [u.get("data-group"), g.get("data-route"), u.get("class")]
            for g in root.iter(ns + "g") if g.get("data-route") is not None
            for u in g if u.tag == ns + "use"
        ]
        heads = [t.get("data-group") for t in root.iter(ns + "text") if t.get("data-group") is not None]
        # A cell must sit in its column (same x for one group) and its row (same y for one route).
        xs, ys, misplaced = {}, {}, 0
        for g in root.iter(ns + "g"):
            if g.get("data-route") is None: continue
            for u in g:
                if u.tag != ns + "use": continue
                if xs.setdefault(u.get("data-group"), u.get("x")) != u.get("x"): misplaced += 1
                if ys.setdefault(g.get("data-route"), u.get("y")) != u.get("y"): misplaced += 1
        order = sorted(xs, key=lambda k: float(xs[k]))
        if [h for h in heads if h in xs] != order: misplaced += 1
        out[path] = {"cells": cells, "heads": heads, "misplaced": misplaced, "width": root.get("width"), "height": root.get("height")}
print(json.dumps(out))
"#;

#[test]
fn markdown_tables_and_svg_cells_match_the_matrix() {
    let dir = scratch("docs-render");
    let mut files: Vec<(String, Model, PathBuf, PathBuf)> = Vec::new();
    for (name, text) in fixtures() {
        let m = model(&name, &text);
        let generated = r#gen::generate(&m, Target::Docs).expect("docs generate");
        assert_eq!(
            generated.keys().collect::<Vec<_>>(),
            vec![docs::MARKDOWN, docs::SVG],
            "{name}"
        );
        // The lambda strategy says what one authorizer answer covers; the other does not.
        let text = String::from_utf8(generated[docs::MARKDOWN].clone()).unwrap();
        let line = format!(
            "Each answer of the Lambda authorizer is one statement for the called route only ({} routes in its table)",
            m.routes.len()
        );
        assert_eq!(
            text.contains(&line),
            m.api.strategy == rolegen::model::Strategy::Lambda,
            "{name}: {text}"
        );
        assert!(!text.contains("Largest policy"), "{name}");
        // Deterministic: a second run gives the same bytes.
        assert_eq!(
            generated,
            r#gen::generate(&m, Target::Docs).unwrap(),
            "{name}"
        );
        let md = dir.join(format!("{name}.md"));
        let svg = dir.join(format!("{name}.svg"));
        fs::write(&md, &generated[docs::MARKDOWN]).unwrap();
        fs::write(&svg, &generated[docs::SVG]).unwrap();
        files.push((name, m, md, svg));
    }
    let out = Command::new(python())
        .arg("-c")
        .arg(CHECKER)
        .args(files.iter().flat_map(|(_, _, md, svg)| [md, svg]))
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python checker failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();

    for (name, m, md, svg) in &files {
        let order = docs::column_order(m);
        let group_names: Vec<&str> = order.iter().map(|g| m.group(*g).name.as_str()).collect();

        // ---- markdown: three tables, each row as wide as its header.
        let tables = parsed[md.to_str().unwrap()]["tables"].as_array().unwrap();
        let vp = m.api.strategy == rolegen::model::Strategy::VerifiedPermissions;
        assert_eq!(
            tables.len(),
            if vp { 5 } else { 4 },
            "{name}: routes, groups and scopes tables (and the Cedar policies), then the cost"
        );
        if vp {
            // One row per group, its name surviving markdown, with its number of actions.
            let cedar = &tables[3];
            let rows = cedar["body"].as_array().unwrap();
            let names: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
            let mut want: Vec<&str> = m.groups.iter().map(|g| g.name.as_str()).collect();
            want.sort_unstable();
            let mut got = names.clone();
            got.sort_unstable();
            assert_eq!(got, want, "{name}: Cedar table groups");
            assert!(
                rows.iter().any(|r| r[2].as_str().unwrap() != "0"),
                "{name}: some group has actions"
            );
        }
        for t in tables {
            let width = t["head"][0].as_array().unwrap().len();
            for row in t["body"].as_array().unwrap() {
                assert_eq!(row.as_array().unwrap().len(), width, "{name}: {row}");
            }
        }
        let matrix = &tables[0];
        let head: Vec<&str> = matrix["head"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(head[..2], ["Route", "Scopes (any one)"], "{name}");
        assert_eq!(
            head[2..],
            group_names[..],
            "{name}: group names survive markdown"
        );
        let body = matrix["body"].as_array().unwrap();
        assert_eq!(body.len(), m.routes.len(), "{name}: one row per route");
        for (r, row) in m.route_ids().zip(body) {
            let row: Vec<&str> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            assert_eq!(row[0], m.route(r).key(), "{name}");
            let expected_scopes = match &m.route(r).access {
                Access::Public => "🌐 public".to_string(),
                Access::Authenticated => "🔑 signed in".to_string(),
                Access::AnyOf(ids) => ids
                    .iter()
                    .map(|s| m.scope(*s).name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            assert_eq!(
                row[1], expected_scopes,
                "{name}: scope names survive markdown"
            );
            for (i, g) in order.iter().enumerate() {
                let want = if m.matrix.allows(*g, r) { "✅" } else { "—" };
                assert_eq!(
                    row[2 + i],
                    want,
                    "{name}: `{}` × `{}`",
                    m.group(*g).name,
                    m.route(r).key()
                );
            }
        }
        let groups_table = tables[1]["body"].as_array().unwrap();
        let listed: Vec<&str> = groups_table
            .iter()
            .map(|row| row[0].as_str().unwrap())
            .collect();
        assert_eq!(listed, group_names, "{name}");
        for (g, row) in order.iter().zip(groups_table) {
            let count = format!("{} of {}", m.matrix.row(*g).count_ones(..), m.routes.len());
            assert_eq!(row[4], count.as_str(), "{name}");
        }
        let scopes_table = tables[2]["body"].as_array().unwrap();
        for (s, row) in m.scopes.iter().zip(scopes_table) {
            assert_eq!(row[0], s.name.as_str(), "{name}");
            assert_eq!(row[1], s.full_name.as_str(), "{name}");
            assert_eq!(
                row[2],
                s.description.replace(['\n', '\r', '\t'], " ").as_str(),
                "{name}"
            );
        }

        // ---- SVG: well-formed (parsed), one cell per group × route, each as the matrix says.
        let svg_data = &parsed[svg.to_str().unwrap()];
        let heads: Vec<&str> = svg_data["heads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        assert_eq!(heads, group_names, "{name}: column headers");
        // Every cell is in its group's column and its route's row.
        assert_eq!(svg_data["misplaced"], 0, "{name}");
        let cells = svg_data["cells"].as_array().unwrap();
        let allowed: usize = m.group_ids().map(|g| m.matrix.row(g).count_ones(..)).sum();
        assert_eq!(
            cells.len(),
            allowed,
            "{name}: one mark per allowed cell, none twice"
        );
        let mut seen = std::collections::BTreeSet::new();
        for cell in cells {
            assert!(
                seen.insert((cell[0].to_string(), cell[1].to_string())),
                "{name}: {cell}"
            );
            let group = m
                .group_by_name(cell[0].as_str().unwrap())
                .unwrap_or_else(|| panic!("{name}: cell names unknown group {}", cell[0]));
            let route = m
                .route_ids()
                .find(|r| m.route(*r).key() == cell[1].as_str().unwrap())
                .unwrap_or_else(|| panic!("{name}: cell names unknown route {}", cell[1]));
            let public = m.route(route).access == Access::Public;
            assert!(
                m.matrix.allows(group, route),
                "{name}: marked but denied: {cell}"
            );
            let want = if public { "public" } else { "allow" };
            assert_eq!(cell[2], want, "{name}: {cell}");
        }
        assert!(svg_data["width"].as_str().unwrap().parse::<f64>().unwrap() > 100.0);
    }
}

#[test]
fn markdown_escapes_every_hostile_name() {
    let (_, text) = fixtures().remove(3);
    let m = model("scopes_hostile", &text);
    let files = r#gen::generate(&m, Target::Docs).unwrap();
    let md = String::from_utf8(files[docs::MARKDOWN].clone()).unwrap();
    // No raw HTML and no code span opened by a name; the only backticks are our own.
    assert!(!md.contains("</script>"), "{md}");
    assert!(!md.contains("<b>"), "{md}");
    assert!(md.contains("\\</script\\>"), "{md}");
    let svg = String::from_utf8(files[docs::SVG].clone()).unwrap();
    assert!(!svg.contains("</script>"), "{svg}");
    assert!(svg.contains("&lt;/script&gt;"), "{svg}");
}

#[test]
fn gen_writes_docs_for_both_strategies_and_check_sees_them() {
    let dir = scratch("docs-cli");
    let (_, text) = fixtures().remove(0);
    for (strategy, sub) in [("cognito-scopes", "a"), ("lambda", "b")] {
        let d = dir.join(sub);
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join("roles.yaml"),
            text.replace(
                "authorizer: cognito-scopes",
                &format!("authorizer: {strategy}"),
            ),
        )
        .unwrap();
        let out = rolegen()
            .current_dir(&d)
            .args(["gen", "--target", "docs"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{strategy}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let md = fs::read_to_string(d.join("out/docs/access-matrix.md")).unwrap();
        assert!(md.contains(&format!("Authorizer `{strategy}`")), "{md}");
        assert!(d.join("out/docs/access-matrix.svg").is_file());
        let check = rolegen()
            .current_dir(&d)
            .args(["check", "--target", "docs"])
            .output()
            .unwrap();
        assert_eq!(check.status.code(), Some(0), "{strategy}");
        // A hand edit is stale.
        fs::write(d.join("out/docs/access-matrix.md"), "edited\n").unwrap();
        let check = rolegen()
            .current_dir(&d)
            .args(["check", "--target", "docs"])
            .output()
            .unwrap();
        assert_eq!(check.status.code(), Some(1), "{strategy}");
    }
}
