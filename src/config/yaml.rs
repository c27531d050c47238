//! A YAML document as a tree of nodes that each know where they stand in the file.
//!
//! serde-saphyr does the parsing (and refuses alias bombs and deep nesting within its budget);
//! we ask it for this small generic tree instead of typed structs so that the walker in
//! `config::raw` can report every problem of a file at once, each with its own span, instead
//! of stopping at serde's first error.

use crate::diag::{Diagnostic, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options, Spanned};
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Kind {
    /// What the value is, for messages such as "expected a list, found a string".
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Null => "nothing (null)",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "a number",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(d)?;
        let loc = spanned.referenced;
        Ok(Node {
            span: Span {
                line: loc.line() as u32,
                column: loc.column() as u32,
                len: loc.span().len() as u32,
            },
            kind: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Kind, E> {
        Ok(i64::try_from(v)
            .map(Kind::Int)
            .unwrap_or(Kind::Float(v as f64)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Kind, E> {
        Ok(i64::try_from(v)
            .map(Kind::Int)
            .unwrap_or(Kind::Float(v as f64)))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Kind, E> {
        Ok(i64::try_from(v)
            .map(Kind::Int)
            .unwrap_or(Kind::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Kind, E> {
        Ok(Kind::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Kind, E> {
        Ok(Kind::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_none<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        Kind::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Kind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Kind::Map(entries))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Kind, E> {
        Err(E::custom("binary values are not supported"))
    }
}

/// The parser's limits. A roles file is a few hundred lines written by people; these leave
/// room for generated files of tens of thousands of routes and still refuse a bomb in
/// milliseconds.
fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = 64;
    budget.max_aliases = 1_000;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.strict_booleans = true;
    options.with_snippet = false;
    // Duplicates reach the walker, which reports each one with both places.
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    options
}

/// Parses YAML text into a node tree, or one diagnostic that says where the syntax broke.
pub fn parse(text: &str) -> Result<Node, Diagnostic> {
    let mut node: Node = serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        let span = e
            .location()
            .map(|l| Span {
                line: l.line() as u32,
                column: l.column() as u32,
                len: 1,
            })
            .unwrap_or(Span::UNKNOWN);
        let msg = first_line(&e.to_string());
        Diagnostic::error("yaml-syntax", format!("invalid YAML: {msg}"))
            .at(span)
            .help("fix the YAML syntax first; quote values that contain `: ` or start with `{`, `[`, `*` or `&`")
    })?;
    clamp_spans(&mut node, &LineLengths::new(text));
    Ok(node)
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s).trim();
    // serde-saphyr appends " at line X column Y"; the span already says where.
    let cut = line.find(" at line ").map(|i| &line[..i]).unwrap_or(line);
    let mut msg = cut.to_string();
    if let Some(first) = msg.get(0..1) {
        let lower = first.to_lowercase();
        msg.replace_range(0..1, &lower);
    }
    msg
}

struct LineLengths<'t>(Vec<&'t str>);

impl<'t> LineLengths<'t> {
    fn new(text: &'t str) -> Self {
        LineLengths(text.lines().collect())
    }
}

/// Characters a collection written at `column` spans on its first line: a flow collection
/// (`[a, b]`, `{a: 1}`) up to its closing bracket, a block one up to the end of the line's
/// content (a comment excluded). The parser reports only where a collection starts.
fn collection_len(line: &str, column: u32) -> u32 {
    let chars: Vec<char> = line
        .chars()
        .skip(column.saturating_sub(1) as usize)
        .collect();
    let flow = matches!(chars.first(), Some('[' | '{'));
    let (mut depth, mut quote, mut end) = (0u32, None::<char>, 0usize);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some('"') if c == '\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' if i > 0 && chars[i - 1].is_whitespace() => break,
                '[' | '{' if flow => depth += 1,
                ']' | '}' if flow => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return (i + 1) as u32;
                    }
                }
                _ => {}
            },
        }
        if !chars[i.min(chars.len() - 1)].is_whitespace() {
            end = i + 1;
        }
        i += 1;
    }
    end.min(chars.len()) as u32
}

/// Collections report a span that can run over many lines; the underline is kept to the
/// first line so that it stays readable.
fn clamp_spans(node: &mut Node, lines: &LineLengths) {
    let line = lines
        .0
        .get(node.span.line.saturating_sub(1) as usize)
        .copied();
    let avail = line
        .map(|l| (l.chars().count() as u32 + 1).saturating_sub(node.span.column))
        .unwrap_or(1);
    if let (Kind::Seq(_) | Kind::Map(_), Some(line)) = (&node.kind, line) {
        node.span.len = collection_len(line, node.span.column);
    }
    node.span.len = node.span.len.clamp(1, avail.max(1));
    match &mut node.kind {
        Kind::Seq(items) => items.iter_mut().for_each(|n| clamp_spans(n, lines)),
        Kind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            clamp_spans(k, lines);
            clamp_spans(v, lines);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_values() {
        let node = parse("a: 1\nb:\n  - \"x y\"\n  - {c: true}\n").unwrap();
        let Kind::Map(entries) = node.kind else {
            panic!("not a map")
        };
        assert_eq!(entries[0].0.span.line, 1);
        assert_eq!(entries[0].1.kind, Kind::Int(1));
        let Kind::Seq(items) = &entries[1].1.kind else {
            panic!("not a seq")
        };
        assert_eq!(items[0].kind, Kind::Str("x y".into()));
        assert_eq!((items[0].span.line, items[0].span.column), (3, 5));
    }

    #[test]
    fn collection_spans_cover_their_first_line() {
        let text = "a: [x, \"]\", {b: 1}]  # note\nc:\n  d: 1 # x\n  e: 2\nf: ['[', y,\n   z]\n";
        let node = parse(text).unwrap();
        let Kind::Map(entries) = &node.kind else {
            panic!("not a map")
        };
        let shown = |n: &Node| {
            let line = text.lines().nth(n.span.line as usize - 1).unwrap();
            line.chars()
                .skip(n.span.column as usize - 1)
                .take(n.span.len as usize)
                .collect::<String>()
        };
        assert_eq!(shown(&entries[0].1), "[x, \"]\", {b: 1}]");
        assert_eq!(shown(&entries[1].1), "d: 1");
        assert_eq!(shown(&entries[2].1), "['[', y,");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..20 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert_eq!(err.code, "yaml-syntax");
    }

    #[test]
    fn syntax_error_has_location() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.span.is_some());
        assert!(err.message.starts_with("invalid YAML: "), "{}", err.message);
    }
}
