//! One document tree for every API definition, JSON or YAML, whose nodes know their line.
//!
//! Findings about the API side point at the file's line, and most real inputs are JSON (API
//! Gateway exports, CDK and Serverless templates), for which serde_json keeps no positions; so
//! JSON is read by the small parser below and YAML by the roles file's reader
//! (`config::yaml::read`: granit-parser events, serde-saphyr's budgets against alias bombs),
//! both into this tree. CloudFormation's short-form tags (`!Ref X`,
//! `!GetAtt A.B`, `!Sub …`) become the long form (`{"Ref": X}`, `{"Fn::GetAtt": [A, B]}`) here,
//! so the readers see one shape; a tag that is no CloudFormation function is an error.

use crate::config::yaml::{At, Build, ReadError, Rules, Scalar, read};
use crate::diag::{Diagnostic, Span};
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options};
use std::borrow::Cow;

#[derive(Clone, Debug, PartialEq)]
pub struct Node<'a> {
    pub line: u32,
    pub column: u32,
    pub kind: Kind<'a>,
}

#[derive(Clone, Debug, PartialEq)]
/// Text borrows from the file where it can: a 10,000-route export is a million keys and
/// values, and copying each one dominated the time to read it.
pub enum Kind<'a> {
    Null,
    Bool(bool),
    /// The number as written: its value never matters to a route, only that it is one.
    Num(Cow<'a, str>),
    Str(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<Entry<'a>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry<'a> {
    pub key: Cow<'a, str>,
    pub line: u32,
    pub column: u32,
    pub value: Node<'a>,
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

impl<'a> Node<'a> {
    pub fn span(&self) -> Span {
        Span {
            line: self.line,
            column: self.column,
            len: 1,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// The entry itself, for the key's position.
    pub fn entry(&self, key: &str) -> Option<&Entry<'a>> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Entry<'a>] {
        match &self.kind {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node<'a>] {
        match &self.kind {
            Kind::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    /// `Some((name, argument))` when this is an intrinsic function call: a one-entry mapping
    /// whose key is `Ref`, `Condition` or `Fn::…`.
    pub fn intrinsic(&self) -> Option<(&str, &Node<'a>)> {
        match &self.kind {
            Kind::Map(entries) if entries.len() == 1 => {
                let e = &entries[0];
                (e.key == "Ref" || e.key == "Condition" || e.key.starts_with("Fn::"))
                    .then_some((&*e.key, &e.value))
            }
            _ => None,
        }
    }

    /// The node as compact text, for messages ("`{"Fn::ImportValue": "X"}`").
    pub fn show(&self) -> String {
        let s = serde_json::to_string(&self.to_json()).unwrap_or_default();
        if s.chars().count() > 80 {
            let cut: String = s.chars().take(77).collect();
            format!("{cut}...")
        } else {
            s
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Num(n) => serde_json::from_str(n).unwrap_or(Value::String(n.to_string())),
            Kind::Str(s) => Value::String(s.to_string()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Every `Fn::…` key in the tree that is not a CloudFormation function.
    pub fn unknown_intrinsics<'s>(&'s self, out: &mut Vec<&'s Entry<'a>>) {
        match &self.kind {
            Kind::Map(entries) => {
                for e in entries {
                    if e.key.starts_with("Fn::") && !is_intrinsic(&e.key) {
                        out.push(e);
                    }
                    e.value.unknown_intrinsics(out);
                }
            }
            Kind::Seq(items) => items.iter().for_each(|n| n.unknown_intrinsics(out)),
            _ => {}
        }
    }
}

/// Reads JSON or YAML, by the first significant character: a document that opens with `{` or
/// `[` is JSON (every exporting tool writes JSON that way); anything else is YAML.
pub fn parse(text: &str) -> Result<Node<'_>, Diagnostic> {
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

pub fn parse_json(text: &str) -> Result<Node<'_>, Diagnostic> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        counted_to: 0,
        counted: 0,
        entry_stack: Vec::new(),
        item_stack: Vec::new(),
    };
    p.ws();
    let node = p.value(0)?;
    p.ws();
    if p.pos < p.s.len() {
        return Err(p.err("invalid JSON: unexpected text after the document"));
    }
    Ok(node)
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

/// Objects up to this many keys are checked for duplicates by a scan as each key is read.
const SMALL_OBJECT: usize = 16;

fn duplicate(key: &str, line: u32, column: u32) -> Diagnostic {
    Diagnostic::error("api-syntax", format!("duplicate key `{key}`"))
        .at(Span {
            line,
            column,
            len: key.chars().count() as u32 + 2,
        })
        .help("a key may appear once per object; remove one of them")
}

struct JsonParser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    /// Characters counted so far on the current line, up to byte `counted_to`: positions only
    /// move forward, so a minified file on one line is still counted once, not per node.
    counted_to: usize,
    counted: u32,
    /// Children of the containers being read, moved into an exactly sized `Vec` when each
    /// closes: growing every object's own `Vec` one entry at a time cost more than the parse.
    entry_stack: Vec<Entry<'a>>,
    item_stack: Vec<Node<'a>>,
}

impl<'a> JsonParser<'a> {
    fn column(&mut self) -> u32 {
        if self.counted_to < self.line_start {
            self.counted_to = self.line_start;
            self.counted = 0;
        }
        let end = self.pos.min(self.s.len());
        self.counted += self.text[self.counted_to..end].chars().count() as u32;
        self.counted_to = end;
        self.counted + 1
    }

    fn err(&self, msg: &str) -> Diagnostic {
        let msg = if self.pos >= self.s.len() {
            "invalid JSON: the file ends in the middle of a value (truncated?)".to_string()
        } else {
            msg.to_string()
        };
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
            )
    }

    fn ws(&mut self) {
        while let Some(&c) = self.s.get(self.pos) {
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                _ => break,
            }
        }
    }

    fn node(&self, line: u32, column: u32, kind: Kind<'a>) -> Node<'a> {
        Node { line, column, kind }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, Diagnostic> {
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
                    return Ok(self.node(line, column, Kind::Map(Vec::new())));
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
                    self.entry_stack.push(Entry {
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
                            let entries = self.entry_stack.split_off(base);
                            if entries.len() > SMALL_OBJECT {
                                let mut order: Vec<usize> = (0..entries.len()).collect();
                                order.sort_by(|&a, &b| {
                                    entries[a].key.cmp(&entries[b].key).then(a.cmp(&b))
                                });
                                if let Some(w) = order
                                    .windows(2)
                                    .find(|w| entries[w[0]].key == entries[w[1]].key)
                                {
                                    let e = &entries[w[1]];
                                    return Err(duplicate(&e.key, e.line, e.column));
                                }
                            }
                            return Ok(self.node(line, column, Kind::Map(entries)));
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
                    return Ok(self.node(line, column, Kind::Seq(Vec::new())));
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
                            let items = self.item_stack.split_off(base);
                            return Ok(self.node(line, column, Kind::Seq(items)));
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
    fn skip(&mut self, depth: usize, line: u32, column: u32) -> Result<Node<'a>, Diagnostic> {
        let mut open = Vec::new();
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
                Some(b'"') => {
                    self.string()?;
                }
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
                    return Ok(Node {
                        line,
                        column,
                        kind: Kind::Null,
                    });
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
    fn skip_key(&mut self) -> Result<(), Diagnostic> {
        self.ws();
        if self.s.get(self.pos) != Some(&b'"') {
            return Err(self.err("invalid JSON: expected a key in double quotes"));
        }
        self.string()?;
        self.ws();
        if self.s.get(self.pos) != Some(&b':') {
            return Err(self.err("invalid JSON: expected `:` after the key"));
        }
        self.pos += 1;
        Ok(())
    }

    fn word(
        &mut self,
        w: &str,
        kind: Kind<'a>,
        line: u32,
        column: u32,
    ) -> Result<Node<'a>, Diagnostic> {
        if self.s[self.pos..].starts_with(w.as_bytes()) {
            self.pos += w.len();
            Ok(self.node(line, column, kind))
        } else {
            Err(self.err("invalid JSON: expected a value"))
        }
    }

    fn number(&mut self) -> Result<Cow<'a, str>, Diagnostic> {
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

    fn hex4(&mut self) -> Result<u32, Diagnostic> {
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

    /// A string starting at the opening quote.
    fn string(&mut self) -> Result<Cow<'a, str>, Diagnostic> {
        self.pos += 1;
        // Most strings have no escape: borrow them whole.
        let start = self.pos;
        while let Some(&c) = self.s.get(self.pos) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            self.pos += 1;
        }
        if self.s.get(self.pos) == Some(&b'"') {
            self.pos += 1;
            return Ok(Cow::Borrowed(&self.text[start..self.pos - 1]));
        }
        self.pos = start;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(&c) = self.s.get(self.pos) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.s.get(self.pos) {
                None => return Err(self.err("")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
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
        }
    }
}

// ---------------------------------------------------------------------------------------
// YAML

/// API definitions are machine-written and can be large (a 10,000-route template is ~400,000
/// nodes), so the node and event budgets are far above the roles file's; the alias limits
/// that stop a billion-laughs document stay. The reader is the roles file's
/// (`config::yaml::read`), with CloudFormation's short forms let through its fast path.
fn yaml_rules() -> Rules {
    let mut budget = Budget::default();
    budget.max_depth = 128;
    budget.max_aliases = 1_000;
    budget.max_nodes = 5_000_000;
    budget.max_events = 10_000_000;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.strict_booleans = true;
    options.with_snippet = false;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    Rules {
        options,
        fast_tag: |name| {
            name == "Ref"
                || name == "Condition"
                || INTRINSICS
                    .iter()
                    .any(|f| f.strip_prefix("Fn::") == Some(name))
        },
    }
}

pub fn parse_yaml(text: &str) -> Result<Node<'_>, Diagnostic> {
    read(text, &yaml_rules(), &mut YamlTree { text }).map_err(|e| match e {
        ReadError::Build(d) => d,
        ReadError::Syntax(e) => {
            let span = e
                .location()
                .map(|l| Span {
                    line: l.line() as u32,
                    column: l.column() as u32,
                    len: 1,
                })
                .unwrap_or(Span::UNKNOWN);
            let full = e.to_string();
            let line = full.lines().next().unwrap_or("").trim();
            let line = line.find(" at line ").map(|i| &line[..i]).unwrap_or(line);
            Diagnostic::error("api-syntax", format!("invalid YAML: {line}"))
                .at(span)
                .help("check that the file is complete, valid YAML")
        }
    })
}

/// Builds this module's tree from the YAML reader; text borrows from the file where the
/// parser could (every plain scalar and most quoted ones).
struct YamlTree<'a> {
    text: &'a str,
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
    type Node = Node<'a>;

    fn scalar(
        &mut self,
        value: Scalar<'a>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Node<'a>, Diagnostic> {
        let node = Node {
            line: at.line,
            column: at.column,
            kind: scalar_kind(value),
        };
        self.tagged(node, tag)
    }

    /// A key's tag changes nothing: keys are plain text here.
    fn key(&mut self, value: Scalar<'a>, _: Option<&str>, at: At) -> Result<Node<'a>, Diagnostic> {
        Ok(Node {
            line: at.line,
            column: at.column,
            kind: scalar_kind(value),
        })
    }

    fn seq(
        &mut self,
        items: Vec<Node<'a>>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Node<'a>, Diagnostic> {
        let node = Node {
            line: at.line,
            column: at.column,
            kind: Kind::Seq(items),
        };
        self.tagged(node, tag)
    }

    fn map(
        &mut self,
        entries: Vec<(Node<'a>, Node<'a>)>,
        tag: Option<&str>,
        at: At,
    ) -> Result<Node<'a>, Diagnostic> {
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
            out.push(Entry {
                key,
                line: k.line,
                column: k.column,
                value,
            });
        }
        let node = Node {
            line: at.line,
            column: at.column,
            kind: Kind::Map(out),
        };
        self.tagged(node, tag)
    }
}

impl<'a> YamlTree<'a> {
    /// A short-form tag (`!Ref X`) becomes the long form (`{"Ref": X}`).
    fn tagged(&self, node: Node<'a>, tag: Option<&str>) -> Result<Node<'a>, Diagnostic> {
        let Some(tag) = tag else {
            return Ok(node);
        };
        let Some(func) = tag_function(tag) else {
            return Ok(node);
        };
        let (line, column) = (node.line, node.column);
        if func != "Ref" && func != "Condition" && !is_intrinsic(&func) {
            // The parser places the node at its value; the tag itself stands before it.
            let tag_column = self
                .text
                .lines()
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
        // `!GetAtt A.B` is the short form of `[A, B]`: the resource name has no dot in it.
        let arg = match (&*func, node.kind) {
            ("Fn::GetAtt", Kind::Str(s)) => match s.split_once('.') {
                Some((a, b)) => Kind::Seq(vec![
                    Node {
                        line,
                        column,
                        kind: Kind::Str(Cow::Owned(a.to_string())),
                    },
                    Node {
                        line,
                        column,
                        kind: Kind::Str(Cow::Owned(b.to_string())),
                    },
                ]),
                None => Kind::Str(s),
            },
            (_, k) => k,
        };
        Ok(Node {
            line,
            column,
            kind: Kind::Map(vec![Entry {
                key: Cow::Owned(func),
                line,
                column,
                value: Node {
                    line,
                    column,
                    kind: arg,
                },
            }]),
        })
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
        let node = parse(text).unwrap();
        let expected: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(node.to_json(), expected);
        let b = node.entry("bé").unwrap();
        assert_eq!((b.line, b.column), (3, 3));
        assert_eq!(b.value.get("c").unwrap().line, 3);
    }

    #[test]
    fn json_unread_values_are_checked_but_not_kept() {
        let node =
            parse(r#"{"responses": {"200": [1, {"b": "x\"y"}, [], {}]}, "k": [true]}"#).unwrap();
        assert_eq!(node.get("responses").unwrap().kind, Kind::Null);
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
        // A large object is checked once it is complete; the second occurrence is named.
        let mut big: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        big.push("\"k7\": 0".into());
        let e = parse(&format!("{{{}}}", big.join(",\n"))).unwrap_err();
        assert!(e.message.contains("duplicate key `k7`"), "{}", e.message);
        assert_eq!(e.span.unwrap().line, 41);
        // Columns on one long (minified) line count characters, not bytes.
        let node = parse("{\"é\": 1, \"b\": {\"c\": 2}}").unwrap();
        assert_eq!(node.entry("b").unwrap().column, 10);
        assert_eq!(node.get("b").unwrap().entry("c").unwrap().column, 16);
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).unwrap_err().message.contains("256 levels"));
    }

    #[test]
    fn yaml_short_forms_become_long_forms() {
        let text = "A:\n  R: !Ref Foo\n  G: !GetAtt Api.RootResourceId\n  S: !Sub '${X}/a'\n  J: !Join ['', [a, !Ref B]]\n  Q: !!str 12\n";
        let node = parse(text).unwrap();
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
        for text in &texts {
            let (fast, general) =
                crate::config::yaml::fast_and_general(text, &yaml_rules(), || YamlTree { text });
            let general = general.unwrap_or_else(|_| panic!("{text}"));
            assert_eq!(fast.expect("takes the fast path"), general, "{text}");
        }
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !Reff x\n",
            "a: 1\n0x1: 2\n1: 3\n",
            "!Ref k: v\n",
        ] {
            let (fast, _) =
                crate::config::yaml::fast_and_general(text, &yaml_rules(), || YamlTree { text });
            assert!(fast.is_none(), "{text}");
        }
        // Integer keys are one key however written; serde-saphyr says so.
        assert!(
            parse("a: 1\n0x1: 2\n1: 3\n")
                .unwrap_err()
                .message
                .contains("duplicate")
        );
    }
}
