//! A YAML document as a tree of nodes that each know where they stand in the file, and the
//! one YAML reader that both `roles.yaml` and YAML API definitions (`apidef::tree`) go through.
//!
//! The tree is generic and small so that the walker in `config::raw` can report every problem
//! of a file at once, each with its own span, instead of stopping at serde's first error.
//!
//! Why two paths: going through serde with a `Spanned` wrapper per node cost four times the
//! parse itself (a 10,000-route file took 75 ms to read). So the reader builds the tree
//! straight from the event parser (granit-parser, the one serde-saphyr runs on) for what
//! nearly every file is: plain and quoted scalars, block and flow collections, and for API
//! definitions CloudFormation's short-form tags. Everything else — anchors and aliases (and so
//! every alias bomb), merge keys, other tags, non-finite numbers, more than one document,
//! nesting or sizes near the budget, and any syntax error — is handed whole to serde-saphyr,
//! with its budgets, its error messages and its locations, exactly as before. Both paths give
//! the same nodes, spans and scalar types; a test compares them on every input.
//!
//! For `roles.yaml`, `parse` first tries `config::quick`, which reads the usual shape of a
//! roles file straight from the text, several times faster than the events; it hands
//! anything else to the two paths here, and is compared with serde-saphyr the same way.

use super::limits::{self, Limits};
use crate::diag::{Diagnostic, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options, Spanned, Tagged};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// A node of the tree; its strings borrow from the text where they are written as is.
#[derive(Clone, Debug, PartialEq)]
pub struct Node<'a> {
    pub span: Span,
    pub kind: Kind<'a>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<(Node<'a>, Node<'a>)>),
}

impl Kind<'_> {
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

// ---------------------------------------------------------------------------------------
// The shared reader

/// Where a node was written: line and column (1-based, in characters) of its first character,
/// and its length in characters as the parser saw it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct At {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

/// A scalar with its YAML 1.2 core-schema type resolved (as serde-saphyr resolves it for an
/// untyped value: a quoted `"123"` is a string, a plain `123` a number, `yes` a string).
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
}

impl<'a> From<Scalar<'a>> for Kind<'a> {
    /// The node kind of a resolved scalar; an integer above `i64::MAX` is kept as a float, as
    /// serde-saphyr's untyped values keep it.
    fn from(value: Scalar<'a>) -> Kind<'a> {
        match value {
            Scalar::Null => Kind::Null,
            Scalar::Bool(b) => Kind::Bool(b),
            Scalar::Int(i) => Kind::Int(i),
            Scalar::UInt(u) => Kind::Float(u as f64),
            Scalar::Float(f) => Kind::Float(f),
            Scalar::Str(s) => Kind::Str(s),
        }
    }
}

/// Makes one kind of tree from what the reader finds. Children are built before their parent.
/// `tag` is the node's tag as written (`!Ref`), when it has one.
pub trait Build<'a> {
    type Node;
    fn scalar(
        &mut self,
        value: Scalar<'a>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Self::Node, Diagnostic>;
    /// A scalar mapping key; by default built like any scalar. (The fast path hands tagged
    /// keys to the general path, so only there does a key come with a tag.)
    fn key(
        &mut self,
        value: Scalar<'a>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Self::Node, Diagnostic> {
        self.scalar(value, tag, at)
    }
    fn seq(
        &mut self,
        items: Vec<Self::Node>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Self::Node, Diagnostic>;
    fn map(
        &mut self,
        entries: Vec<(Self::Node, Self::Node)>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Self::Node, Diagnostic>;
}

/// What a reader accepts.
pub struct Rules {
    /// serde-saphyr's options: its budget (`limits.budget()`: depth, values, text) and
    /// duplicate-key policy also bound the fast path, which hands over anything near a limit.
    pub options: Options,
    /// What the file may expand to; checked before serde-saphyr expands anything.
    pub limits: Limits,
    /// Local tags (`!Name`, given as `Name`) that the fast path may pass to the builder.
    /// A tag must be one that serde-saphyr treats as an unknown custom tag (it types the value
    /// as if untagged), which every name starting with a capital letter is.
    pub fast_tag: fn(&str) -> bool,
}

pub enum ReadError {
    /// serde-saphyr refused the text: invalid YAML, or over a budget.
    Syntax(serde_saphyr::Error),
    /// The file is over one of its `Limits`: it was not expanded.
    Limit(SyntaxError),
    /// The builder refused a node.
    Build(Diagnostic),
}

impl From<Diagnostic> for ReadError {
    fn from(d: Diagnostic) -> Self {
        ReadError::Build(d)
    }
}

/// Reads one YAML document into the builder's tree.
pub fn read<'a, B: Build<'a>>(
    text: &'a str,
    rules: &Rules,
    build: &mut B,
) -> Result<B::Node, ReadError> {
    if let Some(node) = fast(text, rules, build)? {
        return Ok(node);
    }
    general(text, rules, build)
}

/// Both paths' results, for tests that compare them: `None` where the fast path hands over.
#[cfg(test)]
pub(crate) fn fast_and_general<'a, B: Build<'a>>(
    text: &'a str,
    rules: &Rules,
    mut make: impl FnMut() -> B,
) -> (Option<B::Node>, Result<B::Node, ReadError>) {
    let fast = fast(text, rules, &mut make()).unwrap_or(None);
    (fast, general(text, rules, &mut make()))
}

/// The reader as it was, for what the fast path hands over: serde-saphyr with its budgets,
/// once `limits::measure` has found that the file stays within its limits when expanded.
fn general<'a, B: Build<'a>>(
    text: &'a str,
    rules: &Rules,
    build: &mut B,
) -> Result<B::Node, ReadError> {
    let measured = limits::measure(text, &rules.limits).map_err(ReadError::Limit)?;
    let mut options = rules.options.clone();
    options.budget = Some(rules.limits.budget_for(&measured));
    options.alias_limits = rules.limits.alias_limits_for(&measured);
    let any: Any = serde_saphyr::from_str_with_options(text, options).map_err(ReadError::Syntax)?;
    Ok(replay(any, build)?)
}

fn replay<'a, B: Build<'a>>(any: Any, build: &mut B) -> Result<B::Node, Diagnostic> {
    let tag = any.tag.as_deref();
    match any.kind {
        AnyKind::Scalar(s) => build.scalar(s, tag, any.at),
        AnyKind::Seq(items) => {
            let items = items
                .into_iter()
                .map(|i| replay(i, build))
                .collect::<Result<_, _>>()?;
            build.seq(items, tag, any.at)
        }
        AnyKind::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let key = match k.kind {
                    AnyKind::Scalar(s) => build.key(s, k.tag.as_deref(), k.at)?,
                    _ => replay(k, build)?,
                };
                out.push((key, replay(v, build)?));
            }
            build.map(out, tag, any.at)
        }
    }
}

/// What serde-saphyr gives: a value with its place and its tag.
struct Any {
    at: At,
    tag: Option<String>,
    kind: AnyKind,
}

enum AnyKind {
    Scalar(Scalar<'static>),
    Seq(Vec<Any>),
    Map(Vec<(Any, Any)>),
}

impl<'de> Deserialize<'de> for Any {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<Tagged<AnyKind>>::deserialize(d)?;
        let loc = s.referenced;
        Ok(Any {
            at: At {
                line: loc.line() as u32,
                column: loc.column() as u32,
                len: loc.span().len() as u32,
            },
            tag: s.value.1,
            kind: s.value.0,
        })
    }
}

impl<'de> Deserialize<'de> for AnyKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = AnyKind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<AnyKind, E> {
        Ok(AnyKind::Scalar(Scalar::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<AnyKind, E> {
        Ok(AnyKind::Scalar(Scalar::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<AnyKind, E> {
        Ok(AnyKind::Scalar(
            i64::try_from(v).map_or(Scalar::UInt(v), Scalar::Int),
        ))
    }
    fn visit_f64<E>(self, v: f64) -> Result<AnyKind, E> {
        Ok(AnyKind::Scalar(Scalar::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<AnyKind, E> {
        Ok(AnyKind::Scalar(Scalar::Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E>(self, v: String) -> Result<AnyKind, E> {
        Ok(AnyKind::Scalar(Scalar::Str(Cow::Owned(v))))
    }
    fn visit_unit<E>(self) -> Result<AnyKind, E> {
        Ok(AnyKind::Scalar(Scalar::Null))
    }
    fn visit_none<E>(self) -> Result<AnyKind, E> {
        Ok(AnyKind::Scalar(Scalar::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<AnyKind, D::Error> {
        AnyKind::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Any>()? {
            items.push(item);
        }
        Ok(AnyKind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyKind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Any>()? {
            let value = map.next_value::<Any>()?;
            entries.push((key, value));
        }
        Ok(AnyKind::Map(entries))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<AnyKind, E> {
        Err(E::custom("binary values are not supported"))
    }
}

/// A collection being read.
struct Frame {
    at: At,
    tag: Option<String>,
    map: bool,
    /// Where its children start on the node stack (keys and values alternate for a mapping).
    base: usize,
    /// Where its keys start on the key stack.
    keys: usize,
}

/// A mapping key as written, for the duplicate check: its text and, when it is an integer,
/// its value (serde-saphyr calls `0xB` and `11` the same key).
struct KeyText<'a> {
    text: Cow<'a, str>,
    int: Option<i128>,
}

/// Builds the tree from parser events. `Ok(None)` hands the whole text to the general path:
/// nothing here decides an error of the YAML itself, so messages stay serde-saphyr's.
fn fast<'a, B: Build<'a>>(
    text: &'a str,
    rules: &Rules,
    build: &mut B,
) -> Result<Option<B::Node>, Diagnostic> {
    let Some(budget) = rules.options.budget.as_ref() else {
        return Ok(None);
    };
    // A margin below each limit: the general path decides at the limit itself.
    const MARGIN: usize = 16;
    let near = |n: usize, max: usize| n.saturating_add(MARGIN) >= max;
    let Budget {
        max_depth,
        max_nodes,
        max_events,
        max_total_scalar_bytes,
        ..
    } = *budget;
    let refuse_duplicates = matches!(rules.options.duplicate_keys, DuplicateKeyPolicy::Error);

    let (mut events, mut nodes_seen, mut scalar_bytes, mut documents) = (0usize, 0usize, 0usize, 0);
    let mut frames: Vec<Frame> = Vec::new();
    let mut nodes: Vec<B::Node> = Vec::new();
    let mut keys: Vec<KeyText<'a>> = Vec::new();
    let mut root = None;

    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else {
            return Ok(None);
        };
        events += 1;
        if near(events, max_events) {
            return Ok(None);
        }
        let at = At {
            line: span.start.line() as u32,
            column: span.start.col() as u32 + 1,
            len: span.len() as u32,
        };
        // A key is the even-numbered child of a mapping.
        let is_key = frames
            .last()
            .is_some_and(|f| f.map && (nodes.len() - f.base) % 2 == 0);
        // A collection starts: checked like a scalar, then its children are read.
        macro_rules! open {
            ($map:expr, $anchor:expr, $tag:expr) => {{
                nodes_seen += 1;
                if $anchor != 0
                    || is_key
                    || near(nodes_seen, max_nodes)
                    || frames.len() + 2 >= max_depth
                {
                    return Ok(None);
                }
                let tag = match $tag {
                    None => None,
                    Some(t) if t.handle() == "!" && (rules.fast_tag)(t.suffix()) => {
                        Some(t.to_string())
                    }
                    Some(_) => return Ok(None),
                };
                frames.push(Frame {
                    at,
                    tag,
                    map: $map,
                    base: nodes.len(),
                    keys: keys.len(),
                });
            }};
        }
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Ok(None);
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                nodes_seen += 1;
                scalar_bytes += value.len() + tag.as_ref().map_or(0, |t| t.to_string().len());
                if anchor != 0
                    || near(nodes_seen, max_nodes)
                    || near(scalar_bytes, max_total_scalar_bytes)
                    || frames.is_empty()
                {
                    return Ok(None);
                }
                let tag = match tag {
                    None => None,
                    Some(t) if !is_key && t.handle() == "!" && (rules.fast_tag)(t.suffix()) => {
                        Some(t.to_string())
                    }
                    Some(_) => return Ok(None),
                };
                let plain = matches!(style, ScalarStyle::Plain);
                if is_key && plain && value == "<<" {
                    return Ok(None); // a merge key
                }
                let Some(scalar) = resolve(value.clone(), plain) else {
                    return Ok(None);
                };
                if is_key && refuse_duplicates {
                    let int = match &scalar {
                        Scalar::Int(i) => Some(*i as i128),
                        Scalar::UInt(u) => Some(*u as i128),
                        _ => None,
                    };
                    keys.push(KeyText { text: value, int });
                }
                if is_key {
                    build.key(scalar, None, at)?
                } else {
                    build.scalar(scalar, tag.as_deref(), at)?
                }
            }
            Event::SequenceStart(_, anchor, tag) => {
                open!(false, anchor, tag);
                continue;
            }
            Event::MappingStart(_, anchor, tag) => {
                open!(true, anchor, tag);
                continue;
            }
            Event::SequenceEnd => {
                let Some(f) = frames.pop() else {
                    return Ok(None);
                };
                let items: Vec<B::Node> = nodes.drain(f.base..).collect();
                build.seq(items, f.tag.as_deref(), f.at)?
            }
            Event::MappingEnd => {
                let Some(f) = frames.pop() else {
                    return Ok(None);
                };
                if refuse_duplicates && has_duplicate(&keys[f.keys..]) {
                    return Ok(None);
                }
                keys.truncate(f.keys);
                let mut entries = Vec::with_capacity((nodes.len() - f.base) / 2);
                let mut children = nodes.drain(f.base..);
                while let (Some(k), Some(v)) = (children.next(), children.next()) {
                    entries.push((k, v));
                }
                drop(children);
                build.map(entries, f.tag.as_deref(), f.at)?
            }
            _ => return Ok(None),
        };
        if frames.is_empty() {
            root = Some(node);
        } else {
            nodes.push(node);
        }
    }
    Ok(root)
}

/// Whether two keys of one mapping may be the same key for serde-saphyr: the same text, or
/// the same integer. It may say yes where serde-saphyr says no (`"1"` and `1`); the general
/// path then decides.
fn has_duplicate(keys: &[KeyText]) -> bool {
    if keys.len() <= 16 {
        return keys.iter().enumerate().any(|(i, a)| {
            keys[..i]
                .iter()
                .any(|b| a.text == b.text || (a.int.is_some() && a.int == b.int))
        });
    }
    // Hashed, with std's keyed hasher: the keys are the file's.
    let mut texts = HashSet::with_capacity(keys.len());
    let mut ints = HashSet::new();
    keys.iter()
        .any(|k| !texts.insert(&*k.text) || k.int.is_some_and(|i| !ints.insert(i)))
}

/// A scalar's type, as serde-saphyr's untyped path gives it (YAML 1.2 core schema, strict
/// booleans, no legacy octal): quoted and block scalars are strings; a plain one is null,
/// a boolean, an integer, a float or else a string. `None` for a non-finite number, which
/// serde-saphyr refuses with its own message.
pub(super) fn resolve(value: Cow<'_, str>, plain: bool) -> Option<Scalar<'_>> {
    if !plain {
        return Some(Scalar::Str(value));
    }
    // Most plain scalars are names: one that starts with none of these bytes is neither
    // null, a boolean nor a number (nor has space around it to trim).
    if let Some(c) = value.as_bytes().first()
        && !matches!(
            c,
            b'0'..=b'9'
                | b'+'
                | b'-'
                | b'.'
                | b'~'
                | b'n'
                | b'N'
                | b't'
                | b'T'
                | b'f'
                | b'F'
                | b' '
                | b'\t'
                | b'\r'
                | b'\n'
        )
    {
        return Some(Scalar::Str(value));
    }
    let t = value.trim_matches([' ', '\t', '\r', '\n']);
    match t {
        _ if matches!(&*value, "" | "~" | "null" | "Null" | "NULL") => return Some(Scalar::Null),
        "true" | "True" | "TRUE" => return Some(Scalar::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Scalar::Bool(false)),
        _ => {}
    }
    // Only text that starts like a number can be one.
    let first = t.as_bytes().first().copied().unwrap_or(b' ');
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Some(Scalar::Str(value));
    }
    if let Some(rest) = t.strip_prefix('-') {
        if !leading_zero_decimal(rest)
            && let Some(v) = parse_int(rest)
                .and_then(|m| i128::try_from(m).ok()?.checked_neg())
                .and_then(|v| i64::try_from(v).ok())
        {
            return Some(Scalar::Int(v));
        }
    } else if let Some(m) = parse_int(t.strip_prefix('+').unwrap_or(t))
        && let Ok(v) = u64::try_from(m)
    {
        return Some(i64::try_from(v).map_or(Scalar::UInt(v), Scalar::Int));
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if matches!(
        unsigned,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF"
    ) {
        return None;
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(Scalar::Float(v)),
        // `1e999` (serde-saphyr refuses it) or Rust's `inf`/`nan` (a string there).
        Ok(_) => None,
        Err(_) => Some(Scalar::Str(value)),
    }
}

/// `0127`: a decimal with a redundant leading zero, which is no integer in YAML 1.2.
fn leading_zero_decimal(digits: &str) -> bool {
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An unsigned integer as YAML 1.2 (and serde-saphyr) writes one: decimal without a leading
/// zero, or `0x`, `0o`, `0b`; single `_` between digits allowed.
fn parse_int(rest: &str) -> Option<u128> {
    let (radix, digits) =
        if let Some(r) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
            (16, r)
        } else if let Some(r) = rest.strip_prefix("0o").or_else(|| rest.strip_prefix("0O")) {
            (8, r)
        } else if let Some(r) = rest.strip_prefix("0b").or_else(|| rest.strip_prefix("0B")) {
            (2, r)
        } else {
            if rest.starts_with('0') && rest != "0" {
                return None;
            }
            (10, rest)
        };
    let bytes = digits.as_bytes();
    let (mut val, mut saw) = (0u128, false);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            if i == 0 || bytes[i - 1] == b'_' || i + 1 >= bytes.len() || bytes[i + 1] == b'_' {
                return None;
            }
            continue;
        }
        let d = (b as char).to_digit(radix)?;
        val = val.checked_mul(radix as u128)?.checked_add(d as u128)?;
        saw = true;
    }
    saw.then_some(val)
}

// ---------------------------------------------------------------------------------------
// roles.yaml

/// Builds `Node`s. Collections report a span that can run over many lines; the underline is
/// kept to the first line so that it stays readable, and no span runs past its line's end.
pub(super) struct Roles<'t> {
    lines: Vec<&'t str>,
    /// Characters per line, counted once.
    chars: Vec<u32>,
    /// The byte where each character starts, for the last line that is not ASCII that a
    /// collection started on (on an ASCII line a column is a byte offset): a line of
    /// thousands of collections then finds each one's start without counting from the
    /// line's start. Collections are built as they end, and at most the depth's worth start
    /// on an earlier line than the one being read, so the table is rarely built twice.
    offsets: Option<(usize, Vec<u32>)>,
}

impl<'t> Roles<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let lines: Vec<&str> = crate::diag::lines(text).collect();
        let chars = lines.iter().map(|l| l.chars().count() as u32).collect();
        Roles {
            lines,
            chars,
            offsets: None,
        }
    }

    pub(super) fn node<'a>(&mut self, kind: Kind<'a>, at: At) -> Node<'a> {
        let i = at.line.saturating_sub(1) as usize;
        let len = match (&kind, self.lines.get(i)) {
            (Kind::Seq(_) | Kind::Map(_), Some(&line)) => {
                let column = at.column.saturating_sub(1) as usize;
                let start = if line.len() == self.chars[i] as usize {
                    column.min(line.len())
                } else {
                    if self.offsets.as_ref().is_none_or(|(l, _)| *l != i) {
                        let table = line.char_indices().map(|(b, _)| b as u32).collect();
                        self.offsets = Some((i, table));
                    }
                    let table = self.offsets.as_ref().map_or(&[][..], |(_, t)| t);
                    table.get(column).map_or(line.len(), |&b| b as usize)
                };
                collection_len_at(&line[start..])
            }
            _ => at.len,
        };
        self.node_len(kind, At { len, ..at })
    }

    /// A node whose length on its first line is known: `at.len` (for a collection, what
    /// `collection_len_at` would count), kept within the line.
    pub(super) fn node_len<'a>(&self, kind: Kind<'a>, at: At) -> Node<'a> {
        let i = at.line.saturating_sub(1) as usize;
        let (avail, len) = match self.chars.get(i) {
            Some(&n) => ((n + 1).saturating_sub(at.column), at.len),
            None => (1, at.len),
        };
        Node {
            span: Span {
                line: at.line,
                column: at.column,
                len: len.clamp(1, avail.max(1)),
            },
            kind,
        }
    }
}

impl<'a> Build<'a> for Roles<'_> {
    type Node = Node<'a>;

    fn scalar(
        &mut self,
        value: Scalar<'a>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Node<'a>, Diagnostic> {
        self.core_tag(tag, at)?;
        Ok(self.node(Kind::from(value), at))
    }
    fn seq(
        &mut self,
        items: Vec<Node<'a>>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Node<'a>, Diagnostic> {
        self.core_tag(tag, at)?;
        Ok(self.node(Kind::Seq(items), at))
    }
    fn map(
        &mut self,
        entries: Vec<(Node<'a>, Node<'a>)>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Node<'a>, Diagnostic> {
        self.core_tag(tag, at)?;
        Ok(self.node(Kind::Map(entries), at))
    }
}

/// The tags of YAML's core schema: they only say what the value already is (`!!str 12` is
/// the text `12`). Any other tag changes a value into something not written in the file
/// (`!!binary aGVsbG8=` is `hello`) or means something to another program, so a roles file
/// refuses it.
const CORE_TAGS: [&str; 7] = ["str", "int", "bool", "null", "float", "map", "seq"];

impl Roles<'_> {
    /// An error at the tag unless `tag` (as the parser resolves it) is one of `CORE_TAGS`.
    fn core_tag(&self, tag: Option<&str>, at: At) -> Result<(), Diagnostic> {
        let Some(tag) = tag else {
            return Ok(());
        };
        if tag
            .strip_prefix("tag:yaml.org,2002:")
            .is_some_and(|name| CORE_TAGS.contains(&name))
        {
            return Ok(());
        }
        let (line, column, written) =
            self.tag_before(at)
                .unwrap_or((at.line, at.column, tag.to_string()));
        Err(Diagnostic::error(
            "yaml-tag",
            format!("tag `{written}` is not allowed in a roles file"),
        )
        .at(Span {
            line,
            column,
            len: written.chars().count() as u32,
        })
        .label("tag")
        .help("remove it and write the value itself; rolegen reads plain values, and only YAML's core tags (`!!str`, `!!int`, `!!bool`, `!!null`, `!!float`, `!!map`, `!!seq`) are allowed"))
    }

    /// The tag written before the node at `at` (past an anchor, and onto earlier lines), as
    /// written: the parser places a node at its value, not at its tag.
    fn tag_before(&self, at: At) -> Option<(u32, u32, String)> {
        let mut line = at.line.checked_sub(1)? as usize;
        let mut col = at.column.saturating_sub(1) as usize;
        let mut chars: Vec<char> = self.lines.get(line)?.chars().take(col).collect();
        let mut tokens = 0;
        loop {
            while chars.last().is_some_and(|c| c.is_whitespace()) {
                chars.pop();
            }
            if chars.is_empty() {
                line = line.checked_sub(1)?;
                // A line above can end in a comment (`!Ref # why`): the tag stands before it.
                chars = self.lines.get(line)?.chars().collect();
                if let Some(hash) = (0..chars.len())
                    .find(|&i| chars[i] == '#' && (i == 0 || chars[i - 1].is_whitespace()))
                {
                    chars.truncate(hash);
                }
                continue;
            }
            let end = chars.len();
            while chars
                .last()
                .is_some_and(|c| !c.is_whitespace() && !matches!(c, '[' | ']' | '{' | '}' | ','))
            {
                chars.pop();
            }
            col = chars.len();
            let token: String = self.lines[line].chars().skip(col).take(end - col).collect();
            tokens += 1;
            match token.chars().next() {
                Some('!') => return Some((line as u32 + 1, col as u32 + 1, token)),
                // An anchor may stand between the tag and the value.
                Some('&') if tokens == 1 => continue,
                _ => return None,
            }
        }
    }
}

/// How a roles file is read; its limits are `limits::ROLES`.
fn rules() -> Rules {
    let mut options = Options::default();
    options.budget = Some(limits::ROLES.budget());
    options.alias_limits = limits::ROLES.alias_limits(limits::ROLES.max_values as u64);
    options.strict_booleans = true;
    options.with_snippet = false;
    // Duplicates reach the walker, which reports each one with both places.
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    // roles.yaml has no use for tags: any tag goes to serde-saphyr, which types the value.
    Rules {
        options,
        limits: limits::ROLES,
        fast_tag: |_| false,
    }
}

/// Parses YAML text into a node tree, or one diagnostic that says where the syntax broke.
pub fn parse(text: &str) -> Result<Node<'_>, Diagnostic> {
    let rules = rules();
    let quick = match &rules.options.budget {
        Some(budget) => super::quick::read_or_why(text, budget),
        None => Err(super::quick::Why::Shape),
    };
    let read = match quick {
        Ok(node) => return Ok(node),
        // Near a limit: the event reader would hand it over too.
        Err(super::quick::Why::Size) => general(text, &rules, &mut Roles::new(text)),
        Err(super::quick::Why::Shape) => read(text, &rules, &mut Roles::new(text)),
    };
    let syntax_help = "fix the YAML syntax first; quote values that contain `: ` or start with `{`, `[`, `*` or `&`";
    read.map_err(|e| match e {
        ReadError::Build(d) => d,
        ReadError::Limit(e) => e.diagnostic("yaml-syntax", syntax_help),
        ReadError::Syntax(e) => {
            syntax_error(&e, &rules, text).diagnostic("yaml-syntax", syntax_help)
        }
    })
}

/// A YAML error as the person who wrote the file can act on it: what is wrong, where, and
/// what to do. serde-saphyr's own texts are for programmers (`budget breached: Nodes { nodes:
/// 250001 }`, `use from_str_multiple`, `recursive references require weak recursion
/// types`), so the errors a file can cause are worded here; the parser's plain syntax errors
/// (`illegal placement of ':' indicator`) keep its words.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    /// `None`: the caller's help for a plain syntax error.
    pub help: Option<String>,
}

impl SyntaxError {
    /// The diagnostic, with `code`, and `syntax_help` unless the error has its own.
    pub fn diagnostic(self, code: &'static str, syntax_help: &str) -> Diagnostic {
        Diagnostic::error(code, format!("invalid YAML: {}", self.message))
            .at(self.span)
            .help(self.help.as_deref().unwrap_or(syntax_help))
    }
}

pub fn syntax_error(e: &serde_saphyr::Error, rules: &Rules, text: &str) -> SyntaxError {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    // The error itself, without the wrappers that only add a snippet or where an alias's
    // anchor is; the alias's own place (the use) stays where the error points.
    let mut inner = e;
    loop {
        match inner {
            E::WithSnippet { error, .. } => inner = error,
            E::AliasError { error, .. } => inner = error,
            _ => break,
        }
    }
    let span = syntax_span(e);
    let budget = rules.options.budget.clone().unwrap_or_default();
    let at_alias = || alias_at(text, span);
    let bomb = "aliases that expand a file many times over (an alias bomb) are refused; write the values out instead";
    let (message, help): (String, Option<String>) = match inner {
        E::Budget { breach, .. } => match breach {
            B::Depth { .. } => (
                format!("the file nests more than {} levels deep", budget.max_depth),
                Some("look for a `[` or `{` that is never closed, or write the structure flatter".into()),
            ),
            B::Nodes { .. } => (
                format!(
                    "the file has more than {} values, more than rolegen reads",
                    thousands(budget.max_nodes)
                ),
                Some("check that this is the file you meant (a value an alias repeats counts each time)".into()),
            ),
            B::Events { .. } => (
                format!(
                    "the file is too large: more than {} YAML events",
                    thousands(budget.max_events)
                ),
                Some("check that this is the file you meant (a value an alias repeats counts each time)".into()),
            ),
            B::ScalarBytes { .. } => (
                format!(
                    "the file's values hold more than {} bytes of text",
                    thousands(budget.max_total_scalar_bytes)
                ),
                Some("check that this is the file you meant".into()),
            ),
            B::Aliases { .. } => (
                format!(
                    "the file uses more than {} aliases (`*name`)",
                    thousands(budget.max_aliases)
                ),
                Some(bomb.into()),
            ),
            B::Anchors { .. } => (
                format!(
                    "the file defines more than {} anchors (`&name`)",
                    thousands(budget.max_anchors)
                ),
                Some(bomb.into()),
            ),
            B::AliasAnchorRatio { aliases, anchors } => (
                format!(
                    "the file uses {} aliases for {} anchors, the shape of an alias bomb",
                    thousands(*aliases),
                    thousands(*anchors)
                ),
                Some(bomb.into()),
            ),
            B::MergeKeys { .. } => (
                format!(
                    "the file has more than {} merge keys (`<<`)",
                    thousands(budget.max_merge_keys)
                ),
                Some("write the merged values out instead".into()),
            ),
            B::Documents { .. } => multiple_documents(),
            _ => (
                "the file is too large or too complex to read".into(),
                Some("check that this is the file you meant".into()),
            ),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => (
            "the file's aliases expand to more than rolegen reads".into(),
            Some(bomb.into()),
        ),
        E::MultipleDocuments { .. } => multiple_documents(),
        E::RecursiveReferencesRequireWeakTypes { .. } => (
            match at_alias() {
                Some(a) => format!("alias `{a}` refers to a value that contains it"),
                None => "an alias refers to a value that contains it".into(),
            },
            Some("an alias must refer to a value outside it; write the value out".into()),
        ),
        E::UnknownAnchor { .. } => (
            match at_alias() {
                Some(a) => format!("alias `{a}` refers to no anchor defined before it"),
                None => "an alias refers to no anchor defined before it".into(),
            },
            Some(match at_alias() {
                Some(a) => format!(
                    "define the anchor (`&{}`) on a value above the alias, or write the value out",
                    &a[1..]
                ),
                None => "define the anchor on a value above the alias, or write the value out".into(),
            }),
        ),
        E::Eof { .. } => (
            "the file ends in the middle of a value".into(),
            Some("check that the file is complete".into()),
        ),
        E::DuplicateMappingKey { key: Some(k), .. } => (
            format!("key `{k}` appears twice in one mapping"),
            Some("remove or rename one of them".into()),
        ),
        E::NonFiniteFloat { value, .. } => (
            format!("`{value}` is not a finite number"),
            Some(format!("quote it (`\"{value}\"`) if it is text")),
        ),
        E::InvalidBinaryBase64 { .. } | E::BinaryNotUtf8 { .. } => (
            "a `!!binary` value is not base64 of UTF-8 text".into(),
            Some("remove the `!!binary` tag and write the text itself".into()),
        ),
        _ => {
            use serde_saphyr::MessageFormatter as _;
            let text = serde_saphyr::DefaultMessageFormatter.format_message(inner);
            match first_line(&text).as_str() {
                // The parser's own limit on nested `[` and `{`, met before the budget's
                // depth when it reads ahead.
                "recursion limit exceeded" => (
                    format!("the file nests more than {} levels deep", budget.max_depth),
                    Some("look for a `[` or `{` that is never closed, or write the structure flatter".into()),
                ),
                line => (line.to_string(), None),
            }
        }
    };
    SyntaxError {
        message,
        span,
        help,
    }
}

/// The error for a second document (`---`).
fn multiple_documents() -> (String, Option<String>) {
    (
        "the file holds more than one YAML document".into(),
        Some("keep one document: remove the `---` that starts the second, and merge what follows into the first".into()),
    )
}

/// The alias (`*name`) written at `span`, when the text has one there.
pub(super) fn alias_at(text: &str, span: Span) -> Option<String> {
    let line = crate::diag::lines(text).nth(span.line.checked_sub(1)? as usize)?;
    let rest: String = line
        .chars()
        .skip(span.column.saturating_sub(1) as usize)
        .collect();
    let name: String = rest
        .strip_prefix('*')?
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
        .collect();
    (!name.is_empty()).then(|| format!("*{name}"))
}

/// `250000` as `250,000`.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where serde-saphyr places a syntax error (one character), when it says.
pub fn syntax_span(e: &serde_saphyr::Error) -> Span {
    e.location()
        .map(|l| Span {
            line: l.line() as u32,
            column: l.column() as u32,
            len: 1,
        })
        .unwrap_or(Span::UNKNOWN)
}

/// The first line of a message from the parser, without the place it appends (the span says
/// it), starting in lower case, with control characters escaped.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s).trim();
    let cut = line.find(" at line ").map(|i| &line[..i]).unwrap_or(line);
    let mut msg: String = cut
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_debug().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if let Some(first) = msg.get(0..1) {
        let lower = first.to_lowercase();
        msg.replace_range(0..1, &lower);
    }
    msg
}

/// Characters a collection whose first character starts `rest` spans on that line: a flow
/// collection (`[a, b]`, `{a: 1}`) up to its closing bracket, a block one up to the end of
/// the line's content (a comment excluded). The parser reports only where a collection
/// starts. Measured from the collection's own start, never from its line's: on a line
/// holding 50,000 collections, counting each one's column from the line's start took
/// seconds.
pub(super) fn collection_len_at(rest: &str) -> u32 {
    let mut chars = rest.chars().peekable();
    let Some(&first) = chars.peek() else {
        return 0;
    };
    if matches!(first, '\n' | '\r') {
        return 0;
    }
    let flow = matches!(first, '[' | '{');
    let (mut depth, mut quote, mut end) = (0u32, None::<char>, 0usize);
    // `i` is the index of `c`; `prev` the character before it.
    let (mut i, mut prev) = (0usize, None::<char>);
    let mut count = 0usize;
    while let Some(mut c) = chars.next() {
        if matches!(c, '\n' | '\r') {
            break;
        }
        count += 1;
        match quote {
            Some('"') if c == '\\' => {
                i += 1;
                // The escaped character is skipped; at the end of the line the backslash stays.
                if let Some(&next) = chars.peek()
                    && !matches!(next, '\n' | '\r')
                {
                    chars.next();
                    count += 1;
                    c = next;
                }
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' if prev.is_some_and(char::is_whitespace) => break,
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
        if !c.is_whitespace() {
            end = i + 1;
        }
        prev = Some(c);
        i += 1;
    }
    end.min(count) as u32
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

    /// serde-saphyr's texts name its own types and functions; each error a file can cause is
    /// a sentence, at a place.
    #[test]
    fn yaml_errors_are_sentences_with_places() {
        // serde-saphyr recurses deeply in debug builds; one case nests 70 levels.
        std::thread::Builder::new()
            .stack_size(1 << 28)
            .spawn(sentences)
            .unwrap()
            .join()
            .unwrap();
    }

    fn sentences() {
        // 9⁸ values from 90 written: refused at the alias where 10,000 are passed.
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            laughs.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        // Nine merges of the mapping before, eight times over.
        let mut merges = String::from("a0: &a0 {k0: x, k1: x, k2: x}\n");
        for i in 1..9 {
            let p = i - 1;
            merges.push_str(&format!(
                "a{i}: &a{i} {{<<: [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}], z{i}: 1}}\n"
            ));
        }
        // Few values, much text: 9³ copies of nine values of 2,000 bytes.
        let long = format!("a0: &a0 [{}]\n", vec!["y".repeat(2000); 9].join(", "));
        let long = format!(
            "{long}a1: &a1 [{}]\na2: &a2 [{}]\n",
            ["*a0"; 9].join(", "),
            ["*a1"; 9].join(", ")
        );
        // Anchors nested 20 deep around 2,000 values: each keeps a copy.
        let mut nested: String = (0..20)
            .map(|i| format!("{}a{i}: &a{i}\n", "  ".repeat(i)))
            .collect();
        nested.push_str(&format!("{}- x\n", "  ".repeat(20)).repeat(2000));
        let deep = format!("a: {}{}\n", "[".repeat(70), "]".repeat(70));
        let bomb = "once aliases and merge keys are expanded, rolegen reads at most 10 times the values a file writes (10,000 in any file); write the repeated values out instead";
        for (text, message, at, help) in [
            (
                laughs.as_str(),
                "aliases expand the file's 100 values to more than 10,000, the shape of an alias bomb (at alias `*a3`)",
                (5, 10),
                bomb,
            ),
            (
                merges.as_str(),
                "aliases expand the file's 129 values to more than 10,000, the shape of an alias bomb (at alias `*a3`)",
                (5, 15),
                bomb,
            ),
            (
                long.as_str(),
                "aliases expand the file's 18,006 bytes of text to more than 1,048,576, the shape of an alias bomb (at alias `*a1`)",
                // 180,000 bytes in `a0` and `a1`, 162,000 in each `*a1`: the sixth passes.
                (3, 35),
                "once aliases and merge keys are expanded, rolegen reads at most 10 times the text a file writes (1,048,576 bytes in any file); write the repeated values out instead",
            ),
            (
                nested.as_str(),
                "anchors would keep more than 20,410 copies of the file's 2,041 values, the shape of an alias bomb",
                (2, 3),
                "each anchor keeps a copy of everything inside it, so anchors nested many levels deep copy the same values over and over (rolegen keeps at most 10 times the values a file writes, 10,000 in any file); anchor the values an alias repeats, not the lists and mappings around them",
            ),
            (
                "version: 1\n---\nversion: 1\n",
                "the file holds more than one YAML document",
                (3, 1),
                "keep one document: remove the `---` that starts the second, and merge what follows into the first",
            ),
            (
                "version: 1\na: &a [*a]\n",
                "alias `*a` refers to a value that contains it",
                (2, 8),
                "an alias must refer to a value outside it; write the value out",
            ),
            (
                "a: *nope\n",
                "alias `*nope` refers to no anchor defined before it",
                (1, 4),
                "define the anchor (`&nope`) on a value above the alias, or write the value out",
            ),
            (
                deep.as_str(),
                "the file nests more than 64 levels deep",
                (1, 67),
                "look for a `[` or `{` that is never closed, or write the structure flatter",
            ),
            // The parser's own syntax errors keep its words.
            (
                "a: [1, 2\nb: 3\n",
                "illegal placement of ':' indicator",
                (2, 2),
                "fix the YAML syntax first; quote values that contain `: ` or start with `{`, `[`, `*` or `&`",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.code, "yaml-syntax");
            assert!(
                e.message.starts_with("invalid YAML: ") && e.message.ends_with(message),
                "{}",
                e.message
            );
            assert!(
                !e.message.contains('{') || e.message.contains("`{"),
                "{}",
                e.message
            );
            let span = e.span.expect("a place");
            assert_eq!((span.line, span.column), at, "{}", e.message);
            assert_eq!(e.help.as_deref(), Some(help), "{}", e.message);
        }
    }

    #[test]
    fn only_core_tags_are_read_and_others_are_located_at_the_tag() {
        for ok in [
            "a: !!str 12\n",
            "a: !!int '12'\n",
            "a: !!bool true\nb: !!null ''\nc: !!float 1\n",
            "a: !!map {b: 1}\nc: !!seq [1]\n",
            "!!str a: 1\n",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for (text, tag, at) in [
            ("a: !!binary aGVsbG8=\n", "!!binary", (1, 4)),
            ("a: !foo bar\n", "!foo", (1, 4)),
            ("a: &x !!set {b: null}\n", "!!set", (1, 7)),
            ("a:\n  - [1, !Ref x]\n", "!Ref", (2, 9)),
            ("a: !!omap\n  - b: 1\n", "!!omap", (1, 4)),
            ("!!binary aGVsbG8=: 1\n", "!!binary", (1, 1)),
            // A comment after the tag, the value below.
            ("!Ref # why\na: 1\n", "!Ref", (1, 1)),
            ("a: !foo  # why\n  # more\n  b\n", "!foo", (1, 4)),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.code, "yaml-tag", "{text}");
            assert_eq!(
                e.message,
                format!("tag `{tag}` is not allowed in a roles file")
            );
            assert_eq!(e.underlined(text), Some(tag), "{text}");
            let span = e.span.unwrap();
            assert_eq!((span.line, span.column), at, "{text}");
        }
    }

    #[test]
    fn syntax_error_has_location() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.span.is_some());
        assert!(err.message.starts_with("invalid YAML: "), "{}", err.message);
    }
}

/// The fast path must give what serde-saphyr gives, node for node and span for span.
#[cfg(test)]
pub(super) mod fast_path {
    use super::*;

    /// What serde-saphyr alone makes of a roles file: the reference the faster readers are
    /// compared with.
    pub(in crate::config) fn serde_saphyr(text: &str) -> Option<Node<'_>> {
        general(text, &rules(), &mut Roles::new(text)).ok()
    }

    thread_local! {
        static REPORT: std::cell::RefCell<Option<serde_saphyr::budget::BudgetReport>> =
            const { std::cell::RefCell::new(None) };
    }

    /// What serde-saphyr's budget counted reading `text` whole with the roles file's
    /// ceilings, when it reads it.
    pub(in crate::config) fn budget_report(
        text: &str,
    ) -> Option<serde_saphyr::budget::BudgetReport> {
        let mut options = rules().options;
        options.budget_report = Some(|r| REPORT.with(|c| *c.borrow_mut() = Some(r.clone())));
        REPORT.with(|c| c.borrow_mut().take());
        let read: Result<Any, _> = serde_saphyr::from_str_with_options(text, options);
        read.ok()?;
        REPORT.with(|c| c.borrow_mut().take())
    }

    /// The fixtures and edge cases every reader is compared on.
    pub(in crate::config) fn corpus() -> Vec<String> {
        let mut v: Vec<String> = vec![];
        for dir in [
            "tests/fixtures",
            "tests/fixtures/invalid",
            "tests/fixtures/lambda",
            "tests/fixtures/openapi",
            "tests/fixtures/diff",
            "tests/fixtures/drift",
        ] {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    for f in std::fs::read_dir(&p).unwrap().flatten() {
                        if f.path()
                            .extension()
                            .is_some_and(|x| x == "yaml" || x == "yml")
                        {
                            v.push(std::fs::read_to_string(f.path()).unwrap());
                        }
                    }
                } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                    v.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        for s in [
            "a: 1\nb: -1\nc: 0x1F\nd: 0o17\ne: 0b101\nf: 1_000\ng: 012\nh: -012\ni: 1.5\nj: .5\nk: 5.\nl: 1e3\nm: -1E-3\nn: +5\no: +0x10\np: 18446744073709551615\nq: 18446744073709551616\nr: -9223372036854775808\ns: -9223372036854775809\nt: 9223372036854775808\n",
            "a: yes\nb: no\nc: on\nd: True\ne: FALSE\nf: ~\ng:\nh: null\ni: Null\nj: NULL\nk: nUll\nl: \"123\"\nm: '1.5'\nn: \"\"\no: ''\np: |\n  x\n  y\nq: >\n  x\n  y\nr: \"true\"\n",
            "a: .inf\n",
            "a: -.inf\n",
            "a: .nan\n",
            "a: inf\n",
            "a: nan\n",
            "a: 1e999\n",
            "a: infinity\n",
            "a: +inf\n",
            "a: !!str 12\nb: !!int '12'\nc: !foo bar\nd: !!null ''\n",
            "a: !!float 1\n",
            "a: !!bool yes\n",
            "a: &x [1, 2]\nb: *x\n",
            "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
            "a: 1\na: 2\n",
            "a: [1, 2\n",
            "",
            "# only a comment\n",
            "---\na: 1\n---\nb: 2\n",
            "plain\n",
            "- 1\n- 2\n",
            "? [a, b]\n: c\n",
            "a: {b: {c: [d, {e: f}]}}\n",
            "a: \"x\\ny é\"\nb: 'it''s'\nc: x é y\n   z\n",
            "é: ü\n\"k\": v\n",
            "a:\n  - b: 1\n    c: 2\n  - [x, y]\n",
            "a: -\n",
            "a: - x\n",
            "a: 1_\n",
            "a: _1\n",
            "a: 0x\n",
            "a: -0\n",
            "a: 0\n",
            "a: 00\n",
            "a: +\n",
            "a: 1__0\n",
            "a: 0b2\n",
            "a: [\"x\\\\\", y]  # c\n",
            "a: {\"b\\\"\": 1} #x\nb: [\"y\\\n  z\"]\nc: [ ]\nd: {}\ne: ['a''b', #x\n  c]\n",
            "a:\n  b: [\"\\",
            "a: \"x #y\" # z\n",
            "a:\tb\n",
            "a: 1.0e+3\n",
            "a: 3.\n",
            "a: -.5\n",
            "a: 0.1.2\n",
            "a: 1:2\n",
            "a: 12:30\n",
            // Collections that start on lines with other characters than ASCII, built while
            // later lines are read.
            "a: [[é], {b: [ü, 'x']}, [[é]]]  # c\nb: [é, [ü,\n  [x]], \"é\"]\nc: {é: [ü,\n  é], x: [\"y\"]}\n",
        ] {
            v.push(s.to_string());
        }
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        v.push(format!("a: {deep}\n"));
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..20 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        v.push(text);
        let mut synth = crate::synth::SynthParams::for_routes(300);
        v.push(crate::synth::roles_yaml(&synth));
        synth.seed = 7;
        v.push(crate::synth::roles_yaml(&synth));
        v
    }

    #[test]
    fn agrees_with_serde_saphyr() {
        // serde-saphyr recurses deeply in debug builds; the corpus nests 100 levels.
        std::thread::Builder::new()
            .stack_size(1 << 28)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }

    fn run() {
        let (mut fast_count, mut total) = (0, 0);
        for text in corpus() {
            total += 1;
            let general = general(&text, &rules(), &mut Roles::new(&text));
            let Some(fast) = fast(&text, &rules(), &mut Roles::new(&text)).unwrap() else {
                continue;
            };
            fast_count += 1;
            match general {
                Ok(g) => assert_eq!(fast, g, "{text:?}"),
                Err(_) => panic!("serde-saphyr refuses what the fast path read: {text:?}"),
            }
        }
        // Most inputs take the fast path; the rest (aliases, tags, errors…) must not.
        assert!(fast_count * 2 > total, "{fast_count} of {total}");
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: [1\n",
            "a: .inf\n",
            "<<: {a: 1}\n",
            "a: 1\n---\nb: 2\n",
        ] {
            assert!(
                fast(text, &rules(), &mut Roles::new(text))
                    .unwrap()
                    .is_none(),
                "{text:?}"
            );
        }
    }
}
