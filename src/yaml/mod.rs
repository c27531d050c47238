//! The one YAML reader: roles files (`config::yaml`) and YAML API definitions
//! (`apidef::tree`) both go through `read`, each with its own `Rules` (limits, tags) and its
//! own `Build`er of the tree it needs. It sits apart from both so that neither owns it.
//!
//! Why two paths inside it: going through serde with a `Spanned` wrapper per node cost four
//! times the parse itself (a 10,000-route file took 75 ms to read). So the reader builds the
//! tree straight from the event parser (granit-parser, the one serde-saphyr runs on) for what
//! nearly every file is: plain and quoted scalars, block and flow collections, and for API
//! definitions CloudFormation's short-form tags. Everything else — anchors and aliases (and so
//! every alias bomb), merge keys, other tags, non-finite numbers, more than one document,
//! nesting or sizes near the budget, and any syntax error — is handed whole to serde-saphyr,
//! with its budgets, its error messages and its locations. Both paths give the same nodes,
//! spans and scalar types; a test compares them on every input. Scalars are typed by
//! serde-saphyr's rules either way: the event path's `resolve` is checked against it there.

pub mod limits;

use crate::diag::{Diagnostic, Span};
use limits::Limits;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options, Spanned, Tagged};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

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

/// Whether serde-saphyr alone reads `text` with `options`, for tests of its budget.
#[cfg(test)]
pub(crate) fn serde_saphyr_reads(text: &str, options: Options) -> bool {
    serde_saphyr::from_str_with_options::<Any>(text, options).is_ok()
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
fn resolve(value: Cow<'_, str>, plain: bool) -> Option<Scalar<'_>> {
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
fn alias_at(text: &str, span: Span) -> Option<String> {
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
fn thousands(n: usize) -> String {
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
