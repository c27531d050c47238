//! One document tree for every API definition, JSON or YAML, whose nodes know their line.
//!
//! Findings about the API side point at the file's line, and most real inputs are JSON (API
//! Gateway exports, CDK and Serverless templates), for which serde_json keeps no positions; so
//! JSON is read by the small parser below and YAML by the roles file's reader
//! (`yaml::read`: granit-parser events, serde-saphyr's budgets against alias bombs),
//! both into this tree. CloudFormation's short-form tags (`!Ref X`,
//! `!GetAtt A.B`, `!Sub …`) become the long form (`{"Ref": X}`, `{"Fn::GetAtt": [A, B]}`) here,
//! so the readers see one shape; a tag that is no CloudFormation function is an error.
//!
//! A 10,000-route export is a million keys and values, so the tree is built for reading
//! speed: every array's items and every mapping's entries sit in two flat lists (two
//! allocations for the whole document, not one per value), and text borrows from the file
//! wherever it has no escape. Readers walk it through `Node` and `Entry`, small copyable
//! handles.

use crate::diag::{Diagnostic, Span};
use crate::yaml::limits;
use crate::yaml::{At, Build, ReadError, Rules, Scalar, read, syntax_error};
use serde_saphyr::{DuplicateKeyPolicy, Options};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::rc::Rc;

/// A document read from a file.
#[derive(Clone)]
pub struct Tree<'a> {
    root: Raw<'a>,
    /// The items of every array, each array's side by side.
    items: Vec<Raw<'a>>,
    /// The entries of every mapping, each mapping's side by side.
    entries: Vec<RawEntry<'a>>,
}

#[derive(Clone, Debug, PartialEq)]
struct Raw<'a> {
    line: u32,
    column: u32,
    kind: Kind<'a>,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind<'a> {
    Null,
    Bool(bool),
    /// The number as written: its value never matters to a route, only that it is one.
    Num(Cow<'a, str>),
    Str(Cow<'a, str>),
    /// `items[start..end]` of the tree.
    Seq {
        start: usize,
        end: usize,
    },
    /// `entries[start..end]` of the tree.
    Map {
        start: usize,
        end: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
struct RawEntry<'a> {
    key: Cow<'a, str>,
    line: u32,
    column: u32,
    value: Raw<'a>,
}

impl<'a> Tree<'a> {
    pub fn root(&self) -> Node<'_> {
        Node::new(self, &self.root)
    }
}

impl fmt::Debug for Tree<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root().fmt(f)
    }
}

/// A value in a `Tree`, with its place in the file.
#[derive(Clone, Copy)]
pub struct Node<'t> {
    pub line: u32,
    pub column: u32,
    kind: &'t Kind<'t>,
    tree: &'t Tree<'t>,
}

/// A mapping's key, with its place in the file, and its value.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'t> {
    pub key: &'t str,
    pub line: u32,
    pub column: u32,
    pub value: Node<'t>,
}

/// CloudFormation's intrinsic, condition and rule functions, by their long name: a key of
/// a one-entry mapping that starts with `Fn::` and is not here is a typo or an invention.
pub const INTRINSICS: &[&str] = &[
    "Fn::And",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::Equals",
    "Fn::FindInMap",
    "Fn::GetAZs",
    "Fn::GetAtt",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Length",
    "Fn::Not",
    "Fn::Or",
    "Fn::RefAll",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::ToJsonString",
    "Fn::Transform",
    "Fn::ValueOf",
    "Fn::ValueOfAll",
];

/// Whether `key` names a CloudFormation function (`Fn::ForEach::<name>` loops included).
pub fn is_intrinsic(key: &str) -> bool {
    INTRINSICS.contains(&key) || key.starts_with("Fn::ForEach::")
}

impl<'t> Node<'t> {
    fn new(tree: &'t Tree<'t>, raw: &'t Raw<'t>) -> Self {
        Node {
            line: raw.line,
            column: raw.column,
            kind: &raw.kind,
            tree,
        }
    }

    fn entry_of(self, e: &'t RawEntry<'t>) -> Entry<'t> {
        Entry {
            key: &e.key,
            line: e.line,
            column: e.column,
            value: Node::new(self.tree, &e.value),
        }
    }

    fn raw_entries(self) -> &'t [RawEntry<'t>] {
        match *self.kind {
            Kind::Map { start, end } => &self.tree.entries[start..end],
            _ => &[],
        }
    }

    fn raw_items(self) -> &'t [Raw<'t>] {
        match *self.kind {
            Kind::Seq { start, end } => &self.tree.items[start..end],
            _ => &[],
        }
    }

    pub fn span(self) -> Span {
        Span {
            line: self.line,
            column: self.column,
            len: 1,
        }
    }

    pub fn get(self, key: &str) -> Option<Node<'t>> {
        self.entry(key).map(|e| e.value)
    }

    /// The entry itself, for the key's position.
    pub fn entry(self, key: &str) -> Option<Entry<'t>> {
        self.raw_entries()
            .iter()
            .find(|e| e.key == key)
            .map(|e| self.entry_of(e))
    }

    /// A mapping's entries in the file's order; none for anything else.
    pub fn entries(self) -> impl ExactSizeIterator<Item = Entry<'t>> + Clone {
        self.raw_entries().iter().map(move |e| self.entry_of(e))
    }

    /// An array's items; none for anything else.
    pub fn items(self) -> impl ExactSizeIterator<Item = Node<'t>> + Clone {
        let tree = self.tree;
        self.raw_items().iter().map(move |n| Node::new(tree, n))
    }

    pub fn as_str(self) -> Option<&'t str> {
        match self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_map(self) -> bool {
        matches!(self.kind, Kind::Map { .. })
    }

    pub fn is_seq(self) -> bool {
        matches!(self.kind, Kind::Seq { .. })
    }

    /// `Some((name, argument))` when this is an intrinsic function call: a one-entry mapping
    /// whose key is `Ref`, `Condition` or `Fn::…`.
    pub fn intrinsic(self) -> Option<(&'t str, Node<'t>)> {
        match self.raw_entries() {
            [e] if e.key == "Ref" || e.key == "Condition" || e.key.starts_with("Fn::") => {
                Some((&e.key, Node::new(self.tree, &e.value)))
            }
            _ => None,
        }
    }

    /// The node as compact text, for messages ("`{"Fn::ImportValue": "X"}`").
    pub fn show(self) -> String {
        let s = serde_json::to_string(&self.to_json()).unwrap_or_default();
        if s.chars().count() > 80 {
            let cut: String = s.chars().take(77).collect();
            format!("{cut}...")
        } else {
            s
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Num(n) => serde_json::from_str(n).unwrap_or(Value::String(n.to_string())),
            Kind::Str(s) => Value::String(s.to_string()),
            Kind::Seq { .. } => Value::Array(self.items().map(Node::to_json).collect()),
            Kind::Map { .. } => Value::Object(
                self.entries()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The first `Fn::…` key of the whole document, in the file's order, that is not a
    /// CloudFormation function. Every mapping key of a tree is in one list, so this is one
    /// pass over it rather than a walk; the file's order is that of lines and columns.
    pub fn first_unknown_intrinsic(self) -> Option<Entry<'t>> {
        self.tree
            .entries
            .iter()
            .filter(|e| e.key.starts_with("Fn::") && !is_intrinsic(&e.key))
            .min_by_key(|e| (e.line, e.column))
            .map(|e| self.entry_of(e))
    }
}

/// Shaped like a plain tree of values (`Node { line, column, kind: Map([Entry { … }]) }`).
impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'t>(Node<'t>);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let node = self.0;
                match node.kind {
                    Kind::Seq { .. } => f
                        .debug_tuple("Seq")
                        .field(&node.items().collect::<Vec<_>>())
                        .finish(),
                    Kind::Map { .. } => f
                        .debug_tuple("Map")
                        .field(&node.entries().collect::<Vec<_>>())
                        .finish(),
                    other => other.fmt(f),
                }
            }
        }
        f.debug_struct("Node")
            .field("line", &self.line)
            .field("column", &self.column)
            .field("kind", &Shown(*self))
            .finish()
    }
}

/// Reads JSON or YAML, by the first significant character: a document that opens with `{` or
/// `[` is JSON (every exporting tool writes JSON that way); anything else is YAML.
pub fn parse(text: &str) -> Result<Tree<'_>, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match text.trim_start().chars().next() {
        Some('{') | Some('[') => parse_json(text),
        None => Err(Diagnostic::error("api-syntax", "the file is empty")),
        _ => parse_yaml(text),
    }
}

// ---------------------------------------------------------------------------------------
// JSON

/// Nesting deeper than this is no API definition; refusing it keeps the recursion bounded.
const MAX_DEPTH: usize = 256;

/// The JSON reader's error: boxed, so that the results handed up through every value stay
/// small (a `Diagnostic` is over 100 bytes, most values a few words).
type Fail = Box<Diagnostic>;

pub fn parse_json(text: &str) -> Result<Tree<'_>, Diagnostic> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        ascii_line: true,
        counted_to: 0,
        counted: 0,
        items: Vec::new(),
        entries: Vec::new(),
        entry_stack: Vec::new(),
        item_stack: Vec::new(),
        skip_stack: Vec::new(),
        scratch: String::new(),
    };
    p.ws();
    let root = p.value(0).map_err(|e| *e)?;
    p.ws();
    if p.pos < p.s.len() {
        return Err(*p.err("invalid JSON: unexpected text after the document"));
    }
    Ok(Tree {
        root,
        items: p.items,
        entries: p.entries,
    })
}

/// Keys whose values never decide a route or how it is authorized (responses, integrations,
/// schemas, metadata). In JSON their values are checked for syntax but not kept: in a real
/// export they are most of the file, and building them was most of the time to read it.
/// YAML documents keep everything.
const UNREAD_KEYS: &[&str] = &[
    "responses",
    "x-amazon-apigateway-integration",
    "requestBody",
    "parameters",
    "definitions",
    "schemas",
    "examples",
    "Integration",
    "MethodResponses",
    "RequestParameters",
    "RequestModels",
    "Metadata",
    "methodIntegration",
    "methodResponses",
    "requestParameters",
    "requestModels",
];

/// Objects up to this many keys are checked for duplicates by a scan as each key is read;
/// larger ones once they are complete, by hashing.
const SMALL_OBJECT: usize = 16;

fn duplicate(key: &str, line: u32, column: u32) -> Fail {
    Box::new(
        Diagnostic::error("api-syntax", format!("duplicate key `{key}`"))
            .at(Span {
                line,
                column,
                len: key.chars().count() as u32 + 2,
            })
            .help("a key may appear once per object; remove one of them"),
    )
}

/// What a byte means inside a string. Nearly every byte is plain text; the scanner looks each
/// one up once and stops only at the few that need a decision.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StrByte {
    Plain,
    /// Part of a multi-byte character: plain text, but columns then count characters.
    NonAscii,
    Quote,
    Backslash,
    Control,
}

const STRING_BYTES: [StrByte; 256] = {
    let mut table = [StrByte::Plain; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b {
            0x00..=0x1f => StrByte::Control,
            0x22 => StrByte::Quote,
            0x5c => StrByte::Backslash,
            0x80..=0xff => StrByte::NonAscii,
            _ => StrByte::Plain,
        };
        b += 1;
    }
    table
};

struct JsonParser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    /// The current line holds only ASCII up to `pos`, so a column is a subtraction. Only a
    /// string can hold other characters (anywhere else they are a syntax error), so the
    /// string scanner clears this and columns are then counted in characters.
    ascii_line: bool,
    /// Characters counted so far on the current line, up to byte `counted_to`: positions only
    /// move forward, so a minified file on one line is still counted once, not per node.
    counted_to: usize,
    counted: u32,
    /// The tree's lists: a container's children are moved here, side by side, when it
    /// closes.
    items: Vec<Raw<'a>>,
    entries: Vec<RawEntry<'a>>,
    /// Children of the containers still open (a container's children interleave with its
    /// descendants as they are read).
    entry_stack: Vec<RawEntry<'a>>,
    item_stack: Vec<Raw<'a>>,
    /// The closing brackets of a skipped value, and the text of its strings that have
    /// escapes: reused from one skipped value to the next rather than allocated for each.
    skip_stack: Vec<u8>,
    scratch: String,
}

impl<'a> JsonParser<'a> {
    fn column(&mut self) -> u32 {
        if self.ascii_line {
            return (self.pos - self.line_start) as u32 + 1;
        }
        if self.counted_to < self.line_start {
            self.counted_to = self.line_start;
            self.counted = 0;
        }
        let end = self.pos.min(self.s.len());
        self.counted += self.text[self.counted_to..end].chars().count() as u32;
        self.counted_to = end;
        self.counted + 1
    }

    fn err(&self, msg: &str) -> Fail {
        let msg = if self.pos >= self.s.len() {
            "invalid JSON: the file ends in the middle of a value (truncated?)".to_string()
        } else {
            msg.to_string()
        };
        Box::new(
            Diagnostic::error("api-syntax", msg)
                .at(Span {
                    line: self.line,
                    // Errors are rare: count from the line's start rather than borrow mutably.
                    column: self.text[self.line_start..self.pos.min(self.s.len())]
                        .chars()
                        .count() as u32
                        + 1,
                    len: 1,
                })
                .help(
                    "check that the file is complete, valid JSON (as `aws` or the build tool wrote it)",
                ),
        )
    }

    /// Skips whitespace. Most calls find none (between a key and its colon) or one space
    /// (after the colon), so those are decided inline.
    #[inline]
    fn ws(&mut self) {
        let s = self.s;
        let i = self.pos;
        if s.get(i).is_some_and(|&c| c > b' ') {
            return;
        }
        if s.get(i) == Some(&b' ') && s.get(i + 1).is_some_and(|&c| c > b' ') {
            self.pos = i + 1;
            return;
        }
        self.ws_run();
    }

    fn ws_run(&mut self) {
        const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
        let s = self.s;
        let mut i = self.pos;
        loop {
            match s.get(i) {
                // A lone `\r` ends a line too, as in YAML and in the excerpts under errors
                // (`diag::lines`).
                Some(&c @ (b'\n' | b'\r')) if c == b'\n' || s.get(i + 1) != Some(&b'\n') => {
                    i += 1;
                    self.line += 1;
                    self.line_start = i;
                    self.ascii_line = true;
                }
                Some(b' ' | b'\t' | b'\r') => i += 1,
                _ => break,
            }
            // Pretty-printed files indent every line, so runs of spaces are most of their
            // bytes: count them eight at a time. In a little-endian word the leading spaces
            // are the low bytes, which XOR with spaces leaves zero.
            while let Some(word) = s.get(i..i + 8) {
                let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
                let spaces = (word ^ SPACES).trailing_zeros() as usize / 8;
                i += spaces;
                if spaces < 8 {
                    break;
                }
            }
        }
        self.pos = i;
    }

    fn node(&self, line: u32, column: u32, kind: Kind<'a>) -> Raw<'a> {
        Raw { line, column, kind }
    }

    fn value(&mut self, depth: usize) -> Result<Raw<'a>, Fail> {
        if depth > MAX_DEPTH {
            return Err(self.err("invalid JSON: nested more than 256 levels deep"));
        }
        let (line, column) = (self.line, self.column());
        match self.s.get(self.pos) {
            None => Err(self.err("")),
            Some(b'{') => {
                self.pos += 1;
                let base = self.entry_stack.len();
                self.ws();
                if self.s.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    let at = self.entries.len();
                    return Ok(self.node(line, column, Kind::Map { start: at, end: at }));
                }
                loop {
                    self.ws();
                    let (kl, kc) = (self.line, self.column());
                    if self.s.get(self.pos) != Some(&b'"') {
                        return Err(self.err("invalid JSON: expected a key in double quotes"));
                    }
                    let key = self.string()?;
                    // Small objects are checked as they grow; large ones once, sorted, below.
                    let seen = &self.entry_stack[base..];
                    if seen.len() < SMALL_OBJECT && seen.iter().any(|e| e.key == key) {
                        return Err(duplicate(&key, kl, kc));
                    }
                    self.ws();
                    if self.s.get(self.pos) != Some(&b':') {
                        return Err(self.err("invalid JSON: expected `:` after the key"));
                    }
                    self.pos += 1;
                    self.ws();
                    let value = if UNREAD_KEYS.contains(&&*key) {
                        self.skip(depth + 1, kl, kc)?
                    } else {
                        self.value(depth + 1)?
                    };
                    self.entry_stack.push(RawEntry {
                        key,
                        line: kl,
                        column: kc,
                        value,
                    });
                    self.ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            let entries = &self.entry_stack[base..];
                            if entries.len() > SMALL_OBJECT {
                                // Hashed (with std's keyed hasher: the keys are the file's),
                                // in file order: the first key written twice is named.
                                let mut seen = HashSet::with_capacity(entries.len());
                                if let Some(e) = entries.iter().find(|e| !seen.insert(&*e.key)) {
                                    return Err(duplicate(&e.key, e.line, e.column));
                                }
                            }
                            let start = self.entries.len();
                            self.entries.extend(self.entry_stack.drain(base..));
                            let end = self.entries.len();
                            return Ok(self.node(line, column, Kind::Map { start, end }));
                        }
                        _ => return Err(self.err("invalid JSON: expected `,` or `}`")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let base = self.item_stack.len();
                self.ws();
                if self.s.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    let at = self.items.len();
                    return Ok(self.node(line, column, Kind::Seq { start: at, end: at }));
                }
                loop {
                    self.ws();
                    let item = self.value(depth + 1)?;
                    self.item_stack.push(item);
                    self.ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            let start = self.items.len();
                            self.items.extend(self.item_stack.drain(base..));
                            let end = self.items.len();
                            return Ok(self.node(line, column, Kind::Seq { start, end }));
                        }
                        _ => return Err(self.err("invalid JSON: expected `,` or `]`")),
                    }
                }
            }
            Some(b'"') => {
                let s = self.string()?;
                Ok(self.node(line, column, Kind::Str(s)))
            }
            Some(b't') => self.word("true", Kind::Bool(true), line, column),
            Some(b'f') => self.word("false", Kind::Bool(false), line, column),
            Some(b'n') => self.word("null", Kind::Null, line, column),
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                Ok(self.node(line, column, Kind::Num(n)))
            }
            Some(_) => Err(self.err("invalid JSON: expected a value")),
        }
    }

    /// Checks a value's syntax without keeping it; it stands in the tree as `null`.
    fn skip(&mut self, depth: usize, line: u32, column: u32) -> Result<Raw<'a>, Fail> {
        let mut open = std::mem::take(&mut self.skip_stack);
        open.clear();
        let done = self.skip_nested(depth, &mut open);
        self.skip_stack = open;
        done.map(|()| Raw {
            line,
            column,
            kind: Kind::Null,
        })
    }

    /// `skip`'s loop, with `open` the closing brackets of the containers it is inside: one
    /// loop rather than recursion, so nothing is built for the values it passes over.
    fn skip_nested(&mut self, depth: usize, open: &mut Vec<u8>) -> Result<(), Fail> {
        loop {
            if depth + open.len() > MAX_DEPTH {
                return Err(self.err("invalid JSON: nested more than 256 levels deep"));
            }
            self.ws();
            match self.s.get(self.pos) {
                None => return Err(self.err("")),
                Some(&c @ (b'{' | b'[')) => {
                    self.pos += 1;
                    self.ws();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.s.get(self.pos) == Some(&close) {
                        self.pos += 1;
                    } else {
                        open.push(close);
                        if c == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => self.skip_string()?,
                Some(b't') => self.word("true", Kind::Null, 0, 0).map(|_| ())?,
                Some(b'f') => self.word("false", Kind::Null, 0, 0).map(|_| ())?,
                Some(b'n') => self.word("null", Kind::Null, 0, 0).map(|_| ())?,
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                Some(_) => return Err(self.err("invalid JSON: expected a value")),
            }
            // After a complete value: close containers or go on to the next member.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                self.ws();
                match self.s.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        if close == b'}' {
                            self.skip_key()?;
                        }
                        break;
                    }
                    Some(&c) if c == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => {
                        return Err(self.err(if close == b'}' {
                            "invalid JSON: expected `,` or `}`"
                        } else {
                            "invalid JSON: expected `,` or `]`"
                        }));
                    }
                }
            }
        }
    }

    /// `"key":` inside a skipped object.
    fn skip_key(&mut self) -> Result<(), Fail> {
        self.ws();
        if self.s.get(self.pos) != Some(&b'"') {
            return Err(self.err("invalid JSON: expected a key in double quotes"));
        }
        self.skip_string()?;
        self.ws();
        if self.s.get(self.pos) != Some(&b':') {
            return Err(self.err("invalid JSON: expected `:` after the key"));
        }
        self.pos += 1;
        Ok(())
    }

    fn word(&mut self, w: &str, kind: Kind<'a>, line: u32, column: u32) -> Result<Raw<'a>, Fail> {
        if self.s[self.pos..].starts_with(w.as_bytes()) {
            self.pos += w.len();
            Ok(self.node(line, column, kind))
        } else {
            Err(self.err("invalid JSON: expected a value"))
        }
    }

    fn number(&mut self) -> Result<Cow<'a, str>, Fail> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let b = p.pos;
            while p.s.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos > b
        };
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        if self.s.get(self.pos) == Some(&b'0') {
            self.pos += 1;
        } else if !digits(self) {
            return Err(self.err("invalid JSON: expected a digit"));
        }
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.err("invalid JSON: expected a digit after `.`"));
            }
        }
        if matches!(self.s.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.s.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.err("invalid JSON: expected a digit in the exponent"));
            }
        }
        Ok(Cow::Borrowed(&self.text[start..self.pos]))
    }

    fn hex4(&mut self) -> Result<u32, Fail> {
        let h = self
            .text
            .get(self.pos..self.pos + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .filter(|_| {
                self.s[self.pos..self.pos + 4]
                    .iter()
                    .all(u8::is_ascii_hexdigit)
            })
            .ok_or_else(|| self.err("invalid JSON: expected four hex digits after `\\u`"))?;
        self.pos += 4;
        Ok(h)
    }

    /// The end of the run of plain text from byte `i`: where a quote, a backslash, a control
    /// character or the file's end is.
    fn plain_run(&mut self, mut i: usize) -> usize {
        let s = self.s;
        // Sixteen bytes at a time while all are plain ASCII (the test is written so that the
        // compiler checks the sixteen together), then byte by byte.
        while let Some(chunk) = s.get(i..i + 16) {
            let plain = chunk.iter().fold(true, |all, &b| {
                all & (0x20..0x80).contains(&b) & (b != b'"') & (b != b'\\')
            });
            if !plain {
                break;
            }
            i += 16;
        }
        while let Some(&b) = s.get(i) {
            match STRING_BYTES[b as usize] {
                StrByte::Plain => i += 1,
                StrByte::NonAscii => {
                    self.ascii_line = false;
                    i += 1;
                }
                _ => break,
            }
        }
        i
    }

    /// A string starting at the opening quote; borrowed from the file when it has no escape
    /// (nearly every string).
    fn string(&mut self) -> Result<Cow<'a, str>, Fail> {
        let start = self.pos + 1;
        self.pos = self.plain_run(start);
        if self.s.get(self.pos) == Some(&b'"') {
            self.pos += 1;
            return Ok(Cow::Borrowed(&self.text[start..self.pos - 1]));
        }
        let mut out = self.text[start..self.pos].to_string();
        self.escaped(&mut out)?;
        Ok(Cow::Owned(out))
    }

    /// A string in a skipped value: checked like any other, its text not kept.
    fn skip_string(&mut self) -> Result<(), Fail> {
        self.pos = self.plain_run(self.pos + 1);
        if self.s.get(self.pos) == Some(&b'"') {
            self.pos += 1;
            return Ok(());
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let done = self.escaped(&mut scratch);
        self.scratch = scratch;
        done
    }

    /// The rest of a string from the first byte that is not plain text (an escape, the end
    /// of the file, a control character), unescaped onto `out`, up to the closing quote.
    fn escaped(&mut self, out: &mut String) -> Result<(), Fail> {
        loop {
            match self.s.get(self.pos) {
                None => return Err(self.err("")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(&e) = self.s.get(self.pos) else {
                        return Err(self.err(""));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Err(self.err("invalid JSON: unpaired surrogate"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("invalid JSON: unpaired surrogate"));
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            } else {
                                char::from_u32(hi)
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => {
                                    return Err(self.err("invalid JSON: unpaired surrogate"));
                                }
                            }
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.err("invalid JSON: unknown escape"));
                        }
                    }
                }
                Some(_) => {
                    return Err(self.err("invalid JSON: control character in a string"));
                }
            }
            let start = self.pos;
            self.pos = self.plain_run(start);
            out.push_str(&self.text[start..self.pos]);
        }
    }
}

// ---------------------------------------------------------------------------------------
// YAML

/// API definitions are machine-written and can be large (a 10,000-route template is ~400,000
/// nodes), so the node and event budgets are far above the roles file's; the alias limits
/// that stop a billion-laughs document stay. The reader is the roles file's
/// (`yaml::read`), with CloudFormation's short forms let through its fast path.
fn yaml_rules() -> Rules {
    let mut options = Options::default();
    options.budget = Some(limits::API.budget());
    options.alias_limits = limits::API.alias_limits(limits::API.max_values as u64);
    options.strict_booleans = true;
    options.with_snippet = false;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    Rules {
        options,
        limits: limits::API,
        fast_tag: |name| {
            name == "Ref"
                || name == "Condition"
                || INTRINSICS
                    .iter()
                    .any(|f| f.strip_prefix("Fn::") == Some(name))
        },
    }
}

pub fn parse_yaml(text: &str) -> Result<Tree<'_>, Diagnostic> {
    let lists = Rc::new(RefCell::new(Lists::default()));
    let mut builder = YamlTree {
        text,
        lists: Rc::clone(&lists),
    };
    let root = read(text, &yaml_rules(), &mut builder).map_err(|e| match e {
        ReadError::Build(d) => d,
        ReadError::Limit(e) => {
            e.diagnostic("api-syntax", "check that the file is complete, valid YAML")
        }
        ReadError::Syntax(e) => syntax_error(&e, &yaml_rules(), text)
            .diagnostic("api-syntax", "check that the file is complete, valid YAML"),
    })?;
    drop(builder);
    let lists = Rc::try_unwrap(lists)
        .map(RefCell::into_inner)
        .unwrap_or_else(|shared| shared.borrow().clone());
    Ok(lists.into_tree(root))
}

/// The YAML builder's share of a tree: the lists the reader's containers are laid out in.
#[derive(Clone, Default)]
struct Lists<'a> {
    items: Vec<Raw<'a>>,
    entries: Vec<RawEntry<'a>>,
}

impl<'a> Lists<'a> {
    fn seq(&mut self, items: Vec<Raw<'a>>) -> Kind<'a> {
        let start = self.items.len();
        self.items.extend(items);
        Kind::Seq {
            start,
            end: self.items.len(),
        }
    }

    fn map(&mut self, entries: Vec<RawEntry<'a>>) -> Kind<'a> {
        let start = self.entries.len();
        self.entries.extend(entries);
        Kind::Map {
            start,
            end: self.entries.len(),
        }
    }

    /// The tree under `root`. When the reader's fast path handed a document over part way,
    /// what it had built stays in the lists, unreachable; the tree is then laid out again
    /// from the root, so that its lists hold only its own nodes (`first_unknown_intrinsic`
    /// reads them all).
    fn into_tree(self, root: Raw<'a>) -> Tree<'a> {
        let tree = Tree {
            root,
            items: self.items,
            entries: self.entries,
        };
        if tree.count(&tree.root) == 1 + tree.items.len() + tree.entries.len() {
            return tree;
        }
        let mut lists = Lists::default();
        let root = lists.copy(&tree, &tree.root);
        Tree {
            root,
            items: lists.items,
            entries: lists.entries,
        }
    }

    /// `node` of `tree`, its descendants laid out in these lists.
    fn copy(&mut self, tree: &Tree<'a>, node: &Raw<'a>) -> Raw<'a> {
        let kind = match node.kind {
            Kind::Seq { start, end } => {
                let items = tree.items[start..end]
                    .iter()
                    .map(|n| self.copy(tree, n))
                    .collect();
                self.seq(items)
            }
            Kind::Map { start, end } => {
                let entries = tree.entries[start..end]
                    .iter()
                    .map(|e| RawEntry {
                        key: e.key.clone(),
                        line: e.line,
                        column: e.column,
                        value: self.copy(tree, &e.value),
                    })
                    .collect();
                self.map(entries)
            }
            ref scalar => scalar.clone(),
        };
        Raw {
            line: node.line,
            column: node.column,
            kind,
        }
    }
}

impl Tree<'_> {
    /// How many nodes `node` and its descendants are. (The YAML reader's depth budget bounds
    /// the recursion.)
    fn count(&self, node: &Raw) -> usize {
        1 + match node.kind {
            Kind::Seq { start, end } => self.items[start..end].iter().map(|n| self.count(n)).sum(),
            Kind::Map { start, end } => self.entries[start..end]
                .iter()
                .map(|e| self.count(&e.value))
                .sum(),
            _ => 0,
        }
    }
}

/// Builds this module's tree from the YAML reader, which hands each container its finished
/// children; text borrows from the file where the parser could (every plain scalar and most
/// quoted ones). The lists are shared so that a test can see what each of the reader's two
/// paths built.
struct YamlTree<'a> {
    text: &'a str,
    lists: Rc<RefCell<Lists<'a>>>,
}

fn scalar_kind(value: Scalar<'_>) -> Kind<'_> {
    match value {
        Scalar::Null => Kind::Null,
        Scalar::Bool(b) => Kind::Bool(b),
        Scalar::Int(i) => Kind::Num(Cow::Owned(i.to_string())),
        Scalar::UInt(u) => Kind::Num(Cow::Owned(u.to_string())),
        Scalar::Float(f) => Kind::Num(Cow::Owned(f.to_string())),
        Scalar::Str(s) => Kind::Str(s),
    }
}

impl<'a> Build<'a> for YamlTree<'a> {
    type Node = Raw<'a>;

    fn scalar(
        &mut self,
        value: Scalar<'a>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Raw<'a>, Diagnostic> {
        let node = Raw {
            line: at.line,
            column: at.column,
            kind: scalar_kind(value),
        };
        self.tagged(node, tag)
    }

    /// A key's tag changes nothing: keys are plain text here.
    fn key(&mut self, value: Scalar<'a>, _: Option<&str>, at: At) -> Result<Raw<'a>, Diagnostic> {
        Ok(Raw {
            line: at.line,
            column: at.column,
            kind: scalar_kind(value),
        })
    }

    fn seq(
        &mut self,
        items: Vec<Raw<'a>>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Raw<'a>, Diagnostic> {
        let node = Raw {
            line: at.line,
            column: at.column,
            kind: self.lists.borrow_mut().seq(items),
        };
        self.tagged(node, tag)
    }

    fn map(
        &mut self,
        entries: Vec<(Raw<'a>, Raw<'a>)>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Raw<'a>, Diagnostic> {
        let mut out = Vec::with_capacity(entries.len());
        for (k, value) in entries {
            let key = match k.kind {
                Kind::Str(s) | Kind::Num(s) => s,
                Kind::Bool(b) => Cow::Owned(b.to_string()),
                Kind::Null => Cow::Borrowed("null"),
                _ => {
                    return Err(Diagnostic::error(
                        "api-syntax",
                        "a mapping key is itself a list or mapping",
                    )
                    .at(Span {
                        line: k.line,
                        column: k.column,
                        len: 1,
                    })
                    .help("API definitions use plain text keys"));
                }
            };
            out.push(RawEntry {
                key,
                line: k.line,
                column: k.column,
                value,
            });
        }
        let node = Raw {
            line: at.line,
            column: at.column,
            kind: self.lists.borrow_mut().map(out),
        };
        self.tagged(node, tag)
    }
}

impl<'a> YamlTree<'a> {
    /// A short-form tag (`!Ref X`) becomes the long form (`{"Ref": X}`).
    fn tagged(&self, node: Raw<'a>, tag: Option<&str>) -> Result<Raw<'a>, Diagnostic> {
        let Some(tag) = tag else {
            return Ok(node);
        };
        let Some(func) = tag_function(tag) else {
            return Ok(node);
        };
        let (line, column) = (node.line, node.column);
        if func != "Ref" && func != "Condition" && !is_intrinsic(&func) {
            // The parser places the node at its value; the tag itself stands before it.
            let tag_column = crate::diag::lines(self.text)
                .nth(line.saturating_sub(1) as usize)
                .and_then(|l| {
                    let before: String =
                        l.chars().take(column.saturating_sub(1) as usize).collect();
                    before
                        .rfind(tag)
                        .map(|b| before[..b].chars().count() as u32 + 1)
                })
                .unwrap_or(column);
            return Err(Diagnostic::error(
                "api-syntax",
                format!("unknown tag `{tag}`: it is no CloudFormation function"),
            )
            .at(Span {
                line,
                column: tag_column,
                len: tag.chars().count() as u32,
            })
            .help(
                "CloudFormation's short forms are `!Ref`, `!GetAtt`, `!Sub`, `!Join`, `!If`, `!Select`, `!Split`, `!FindInMap`, `!ImportValue`, `!Base64`, `!Cidr`, `!GetAZs`, `!Equals`, `!And`, `!Or`, `!Not`, `!Condition`, `!Transform`",
            ));
        }
        let mut lists = self.lists.borrow_mut();
        // `!GetAtt A.B` is the short form of `[A, B]`: the resource name has no dot in it.
        let arg = match (&*func, node.kind) {
            ("Fn::GetAtt", Kind::Str(s)) => match s.split_once('.') {
                Some((a, b)) => {
                    let part = |text: &str| Raw {
                        line,
                        column,
                        kind: Kind::Str(Cow::Owned(text.to_string())),
                    };
                    lists.seq(vec![part(a), part(b)])
                }
                None => Kind::Str(s),
            },
            (_, k) => k,
        };
        let kind = lists.map(vec![RawEntry {
            key: Cow::Owned(func),
            line,
            column,
            value: Raw {
                line,
                column,
                kind: arg,
            },
        }]);
        Ok(Raw { line, column, kind })
    }
}

/// The long name of a short-form tag: `!Ref` → `Ref`, `!GetAtt` → `Fn::GetAtt`. `None` for
/// YAML's own tags (`!!str`), which change nothing here.
fn tag_function(tag: &str) -> Option<String> {
    if tag.starts_with("tag:yaml.org,2002:") || tag.starts_with("!!") {
        return None;
    }
    let name = tag.trim_start_matches('!');
    Some(match name {
        "Ref" | "Condition" => name.to_string(),
        _ => format!("Fn::{name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_matches_serde_json_and_has_lines() {
        let text = "{\n  \"a\": [1, -2.5e3, true, null],\n  \"b\\u00e9\": {\"c\": \"x\\ny\\ud83d\\ude00\"}\n}";
        let tree = parse(text).unwrap();
        let node = tree.root();
        let expected: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(node.to_json(), expected);
        let b = node.entry("bé").unwrap();
        assert_eq!((b.line, b.column), (3, 3));
        assert_eq!(b.value.get("c").unwrap().line, 3);
    }

    #[test]
    fn json_unread_values_are_checked_but_not_kept() {
        let tree =
            parse(r#"{"responses": {"200": [1, {"b": "x\"y"}, [], {}]}, "k": [true]}"#).unwrap();
        let node = tree.root();
        assert_eq!(*node.get("responses").unwrap().kind, Kind::Null);
        assert_eq!(node.to_json()["k"], serde_json::json!([true]));
        for bad in [
            r#"{"responses": {"200": }, "k": 1}"#,
            r#"{"responses": {"200" 1}}"#,
            r#"{"responses": [1 2]}"#,
            r#"{"responses": {"a": [1, 2"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_errors_have_places() {
        for (text, msg, line) in [
            ("{\"a\": [1, 2", "truncated", 1),
            ("{\"a\": 1,\n \"a\": 2}", "duplicate key `a`", 2),
            ("{\"a\": tru}", "expected a value", 1),
            ("{\"a\": 1} x", "unexpected text", 1),
            ("{\"a\": \"\\q\"}", "unknown escape", 1),
            ("[01]", "expected `,` or `]`", 1),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(msg), "{text}: {}", e.message);
            assert_eq!(e.span.unwrap().line, line, "{text}");
        }
        // A large object is checked once it is complete; the second occurrence of the first
        // key written twice is named.
        let mut big: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        big.push("\"k7\": 0".into());
        big.push("\"k1\": 0".into());
        let e = parse(&format!("{{{}}}", big.join(",\n"))).unwrap_err();
        assert!(e.message.contains("duplicate key `k7`"), "{}", e.message);
        assert_eq!(e.span.unwrap().line, 41);
        // Columns on one long (minified) line count characters, not bytes.
        let tree = parse("{\"é\": 1, \"b\": {\"c\": 2}}").unwrap();
        let node = tree.root();
        assert_eq!(node.entry("b").unwrap().column, 10);
        assert_eq!(node.get("b").unwrap().entry("c").unwrap().column, 16);
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).unwrap_err().message.contains("256 levels"));
    }

    #[test]
    fn yaml_short_forms_become_long_forms() {
        let text = "A:\n  R: !Ref Foo\n  G: !GetAtt Api.RootResourceId\n  S: !Sub '${X}/a'\n  J: !Join ['', [a, !Ref B]]\n  Q: !!str 12\n";
        let tree = parse(text).unwrap();
        let node = tree.root();
        let a = node.get("A").unwrap();
        assert_eq!(
            a.get("R").unwrap().to_json(),
            serde_json::json!({"Ref": "Foo"})
        );
        assert_eq!(
            a.get("G").unwrap().to_json(),
            serde_json::json!({"Fn::GetAtt": ["Api", "RootResourceId"]})
        );
        assert_eq!(
            a.get("S").unwrap().to_json(),
            serde_json::json!({"Fn::Sub": "${X}/a"})
        );
        assert_eq!(
            a.get("J").unwrap().to_json(),
            serde_json::json!({"Fn::Join": ["", ["a", {"Ref": "B"}]]})
        );
        assert_eq!(a.get("Q").unwrap().to_json(), serde_json::json!("12"));
        assert_eq!(a.get("R").unwrap().line, 2);
    }

    #[test]
    fn yaml_unknown_tag_and_duplicates_are_errors() {
        let e = parse("A: !Reff X\n").unwrap_err();
        assert!(e.message.contains("unknown tag `!Reff`"), "{}", e.message);
        let e = parse("A: 1\nA: 2\n").unwrap_err();
        assert!(e.message.contains("invalid YAML"), "{}", e.message);
    }

    /// The YAML reader's fast path gives what serde-saphyr gives, short forms included; what
    /// it does not handle (aliases, unknown tags, duplicates) goes to serde-saphyr.
    #[test]
    fn yaml_fast_path_agrees_with_serde_saphyr() {
        let mut texts = vec![
            std::fs::read_to_string("tests/fixtures/drift/sam-template.yaml").unwrap(),
            std::fs::read_to_string("tests/fixtures/drift/apigw-export-swagger.yaml").unwrap(),
            "A:\n  R: !Ref Foo\n  G: !GetAtt Api.RootResourceId\n  S: !Sub '${X}/a'\n  J: !Join ['', [a, !Ref B]]\n  N: !If [c, !Ref d, !Ref AWS::NoValue]\n  E: !Not [!Equals [a, 1.5]]\n".to_string(),
            "a: 1.5\nb: 1e3\nc: 18446744073709551615\nd: -3\ne: true\nf: ~\ng: yes\n200: x\n\"201\": y\n".to_string(),
        ];
        let mut big = String::from("paths:\n");
        for i in 0..40 {
            big.push_str(&format!("  /p{i}:\n    get: {{}}\n"));
        }
        texts.push(big);
        // Each path's builder lays its tree out in its own lists, kept here to compare.
        fn both(text: &str) -> (Option<String>, Option<String>) {
            let made = RefCell::new(Vec::new());
            let (fast, general) = crate::yaml::fast_and_general(text, &yaml_rules(), || {
                let lists = Rc::new(RefCell::new(Lists::default()));
                made.borrow_mut().push(Rc::clone(&lists));
                YamlTree { text, lists }
            });
            let lists: Vec<Lists> = made
                .into_inner()
                .iter()
                .map(|l| l.borrow().clone())
                .collect();
            let shown = |root: Raw, lists: &Lists| format!("{:?}", lists.clone().into_tree(root));
            (
                fast.map(|root| shown(root, &lists[0])),
                general.ok().map(|root| shown(root, &lists[1])),
            )
        }
        for text in &texts {
            let (fast, general) = both(text);
            let general = general.unwrap_or_else(|| panic!("{text}"));
            assert_eq!(fast.expect("takes the fast path"), general, "{text}");
        }
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !Reff x\n",
            "a: 1\n0x1: 2\n1: 3\n",
            "!Ref k: v\n",
        ] {
            assert!(both(text).0.is_none(), "{text}");
        }
        // A document the fast path hands over part way leaves what it built unreachable; the
        // tree holds only its own nodes.
        let text = "a: {Fn::Bogus: 1}\nb: &x 1\nc: *x\n";
        let mut built = Vec::new();
        let _ = crate::yaml::fast_and_general(text, &yaml_rules(), || {
            let lists = Rc::new(RefCell::new(Lists::default()));
            built.push(Rc::clone(&lists));
            YamlTree { text, lists }
        });
        assert!(
            !built[0].borrow().entries.is_empty(),
            "the fast path built `a`"
        );
        let tree = parse(text).unwrap();
        assert_eq!(
            tree.count(&tree.root),
            1 + tree.items.len() + tree.entries.len()
        );
        // Integer keys are one key however written; serde-saphyr says so.
        assert!(
            parse("a: 1\n0x1: 2\n1: 3\n")
                .unwrap_err()
                .message
                .contains("appears twice in one mapping")
        );
    }
}
