//! A small YAML emitter for `cfn` and `openapi`. A general YAML serializer (serde-saphyr's)
//! decides quoting through many rules written for every kind of data, and building a
//! `serde_json::Value` tree first cost more than the writing: at 10,000 routes the two targets
//! are tens of megabytes. So the documents are streamed: [`Writer`] takes mappings, sequences
//! and scalars in order and writes block-style YAML straight into one `String`. Structure is
//! still data, never text: every key and value goes through the same quoting, so a name from
//! roles.yaml can only ever be a YAML string. [`to_string`] writes a whole JSON value through
//! the same writer (tests, and documents that are data already).
//!
//! Quoting is decided by a whitelist, not by knowing every way a scalar can be misread: a
//! string is written plain only when it is printable ASCII, starts with a letter, a digit,
//! `/`, `_`, `$`, `(`, `./` or `../`, has no edge spaces, no `: `, no ` #`, no trailing `:`,
//! no quote or backslash, and cannot be read as a YAML 1.1 or 1.2 boolean, null, number or
//! timestamp.
//! Everything else is double-quoted with JSON's escapes (which YAML's double-quoted style
//! accepts). Keys are stricter still: no `:` and no flow indicators, as CloudFormation's own
//! `"Fn::GetAtt":` keys are usually written.

use serde_json::{Map, Value};

/// Block-style YAML written as it is produced: two-space indentation, a sequence under a key
/// at the key's column (`key:\n- item`), a mapping inside a sequence item starting on the
/// item's line (`- a: 1`), empty collections in flow style (`{}`, `[]`).
///
/// Entry methods (`str`, `int`, `map`, `seq`, …) write one mapping entry; `item_*` methods
/// write one sequence item. Closures passed to `map` / `seq` write the collection's content.
pub struct Writer {
    out: String,
    /// Column of the entries or items being written.
    col: usize,
    /// The next entry or item continues the current line (just after `- `).
    inline: bool,
    /// Whether a string value holding `${` was written since the last [`Writer::take_dollar_brace`]:
    /// CloudFormation keeps such a string as written, but cfn-lint takes it for a forgotten
    /// `Fn::Sub`, so the template silences that check where this happens.
    dollar_brace: bool,
    /// Inside [`Writer::flow_map`]: collections are written in flow style on one line, every
    /// string double-quoted (JSON, which is YAML too).
    flow: bool,
    /// In flow style: the collection being written has an entry already (a `,` comes next).
    comma: bool,
}

impl Writer {
    pub fn with_capacity(n: usize) -> Writer {
        Writer {
            out: String::with_capacity(n),
            col: 0,
            inline: false,
            dollar_brace: false,
            flow: false,
            comma: false,
        }
    }

    /// Continues a document already begun (a comment header, say).
    pub fn from_string(out: String) -> Writer {
        Writer {
            out,
            col: 0,
            inline: false,
            dollar_brace: false,
            flow: false,
            comma: false,
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    /// Bytes written so far; with [`Writer::written_since`], what a stretch of the document
    /// says (fingerprints hash it).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    pub fn written_since(&self, mark: usize) -> &str {
        &self.out[mark..]
    }

    /// Inserts already-written YAML at `mark` (a position from [`Writer::len`] at the start of
    /// a line). For a key that must come before one whose content decides it.
    pub fn insert_at(&mut self, mark: usize, yaml: &str) {
        self.out.insert_str(mark, yaml);
    }

    /// Whether a plain string value holding `${` was written since the last call.
    pub fn take_dollar_brace(&mut self) -> bool {
        std::mem::take(&mut self.dollar_brace)
    }

    /// The column entries are written at now (for a writer that prepares text to insert).
    pub fn col(&self) -> usize {
        self.col
    }

    /// A writer for text to [`Writer::insert_at`] at the current column.
    pub fn nested(&self) -> Writer {
        Writer {
            out: String::new(),
            col: self.col,
            inline: false,
            dollar_brace: false,
            flow: self.flow,
            comma: self.flow,
        }
    }

    /// `k:` and a mapping written in flow style on one line (`k: {"a":1,"b":[2]}`), for a
    /// large value whose block-style indentation would be most of its size.
    pub fn flow_map(&mut self, k: &str, f: impl FnOnce(&mut Writer)) {
        self.key(k);
        self.out.push_str(" {");
        self.flow = true;
        self.comma = false;
        f(self);
        self.flow = false;
        self.out.push_str("}\n");
    }

    /// A whole document as one flow mapping (`{"a":1,"b":[2]}` and a line break): JSON, as
    /// flow strings are always double-quoted with JSON's escapes.
    pub fn json_document(capacity: usize, f: impl FnOnce(&mut Writer)) -> String {
        let mut w = Writer::with_capacity(capacity);
        w.flow = true;
        w.flow_collection('{', '}', f);
        w.flow = false;
        w.out.push('\n');
        w.out
    }

    /// After a key in block style, the space before its value.
    fn sep(&mut self) {
        if !self.flow {
            self.out.push(' ');
        }
    }

    /// The end of an entry or item: a line break in block style.
    fn end(&mut self) {
        if !self.flow {
            self.out.push('\n');
        }
    }

    fn start_line(&mut self) {
        if self.flow {
            if self.comma {
                self.out.push(',');
            }
            self.comma = true;
            return;
        }
        if self.inline {
            self.inline = false;
        } else {
            indent(&mut self.out, self.col);
        }
    }

    fn key(&mut self, k: &str) {
        self.start_line();
        if self.flow {
            quoted(&mut self.out, k);
        } else {
            string(&mut self.out, k, true);
        }
        self.out.push(':');
    }

    /// `k: v`.
    pub fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.sep();
        self.value_str(v);
        self.end();
    }

    /// `k: v` where `v` is a CloudFormation `Fn::Sub` template: its `${...}` are meant.
    pub fn sub_template(&mut self, k: &str, v: &str) {
        self.key(k);
        self.sep();
        if self.flow {
            quoted(&mut self.out, v);
        } else {
            string(&mut self.out, v, false);
        }
        self.end();
    }

    pub fn int(&mut self, k: &str, v: i64) {
        self.key(k);
        self.sep();
        push_int(&mut self.out, v);
        self.end();
    }

    pub fn bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.sep();
        self.out.push_str(if v { "true" } else { "false" });
        self.end();
    }

    /// The content of a flow collection between `open` and `close`.
    fn flow_collection(&mut self, open: char, close: char, f: impl FnOnce(&mut Writer)) {
        self.out.push(open);
        self.comma = false;
        f(self);
        self.out.push(close);
        self.comma = true;
    }

    /// `k:` and a mapping whose entries `f` writes (`k: {}` when it writes none).
    pub fn map(&mut self, k: &str, f: impl FnOnce(&mut Writer)) {
        self.key(k);
        if self.flow {
            return self.flow_collection('{', '}', f);
        }
        let mark = self.out.len();
        self.out.push('\n');
        self.col += 2;
        f(self);
        self.col -= 2;
        if self.out.len() == mark + 1 {
            self.out.truncate(mark);
            self.out.push_str(" {}\n");
        }
    }

    /// `k:` and a sequence whose items `f` writes (`k: []` when it writes none).
    pub fn seq(&mut self, k: &str, f: impl FnOnce(&mut Writer)) {
        self.key(k);
        if self.flow {
            return self.flow_collection('[', ']', f);
        }
        let mark = self.out.len();
        self.out.push('\n');
        f(self);
        if self.out.len() == mark + 1 {
            self.out.truncate(mark);
            self.out.push_str(" []\n");
        }
    }

    /// `k:` and a sequence of strings.
    pub fn strs<'a>(&mut self, k: &str, items: impl IntoIterator<Item = &'a str>) {
        self.seq(k, |w| {
            for s in items {
                w.item_str(s);
            }
        });
    }

    /// `- v`.
    pub fn item_str(&mut self, v: &str) {
        self.start_line();
        if self.flow {
            return self.value_str(v);
        }
        self.out.push_str("- ");
        self.value_str(v);
        self.out.push('\n');
    }

    /// `- ` and a mapping whose entries `f` writes, the first on the item's line.
    pub fn item_map(&mut self, f: impl FnOnce(&mut Writer)) {
        self.item_collection(f, "{}\n");
    }

    /// `- ` and a sequence whose items `f` writes, the first on the item's line.
    pub fn item_seq(&mut self, f: impl FnOnce(&mut Writer)) {
        self.item_collection(f, "[]\n");
    }

    /// A collection as a sequence item; `empty` is its flow form when `f` writes nothing.
    fn item_collection(&mut self, f: impl FnOnce(&mut Writer), empty: &str) {
        self.start_line();
        if self.flow {
            let (open, close) = if empty.starts_with('{') {
                ('{', '}')
            } else {
                ('[', ']')
            };
            return self.flow_collection(open, close, f);
        }
        self.out.push_str("- ");
        self.col += 2;
        self.inline = true;
        f(self);
        self.col -= 2;
        if std::mem::take(&mut self.inline) {
            self.out.push_str(empty);
        }
    }

    fn value_str(&mut self, v: &str) {
        if v.contains("${") {
            self.dollar_brace = true;
        }
        if self.flow {
            quoted(&mut self.out, v);
        } else {
            string(&mut self.out, v, false);
        }
    }

    /// One mapping entry holding a JSON value.
    pub fn value(&mut self, k: &str, v: &Value) {
        match v {
            Value::Object(m) if !m.is_empty() => self.map(k, |w| w.entries(m)),
            Value::Array(a) if !a.is_empty() => self.seq(k, |w| w.items(a)),
            _ => {
                self.key(k);
                self.out.push(' ');
                self.scalar(v);
                self.out.push('\n');
            }
        }
    }

    /// One sequence item holding a JSON value.
    pub fn item_value(&mut self, v: &Value) {
        match v {
            Value::Object(m) if !m.is_empty() => self.item_map(|w| w.entries(m)),
            Value::Array(a) if !a.is_empty() => self.item_seq(|w| w.items(a)),
            _ => {
                self.start_line();
                self.out.push_str("- ");
                self.scalar(v);
                self.out.push('\n');
            }
        }
    }

    fn entries(&mut self, m: &Map<String, Value>) {
        for (k, v) in m {
            self.value(k, v);
        }
    }

    fn items(&mut self, a: &[Value]) {
        for v in a {
            self.item_value(v);
        }
    }

    /// A scalar, or an empty collection in flow style.
    fn scalar(&mut self, v: &Value) {
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(true) => self.out.push_str("true"),
            Value::Bool(false) => self.out.push_str("false"),
            Value::Number(n) => number(&mut self.out, n),
            Value::String(s) => self.value_str(s),
            Value::Array(_) => self.out.push_str("[]"),
            Value::Object(_) => self.out.push_str("{}"),
        }
    }
}

/// The value as a YAML document (block style, two-space indentation, ending in a newline).
pub fn to_string(v: &Value) -> String {
    let mut w = Writer::with_capacity(4096);
    match v {
        Value::Object(m) if !m.is_empty() => w.entries(m),
        Value::Array(a) if !a.is_empty() => w.items(a),
        _ => {
            w.scalar(v);
            w.out.push('\n');
        }
    }
    w.finish()
}

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

fn push_int(out: &mut String, v: i64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{v}");
}

/// Integers as they are. Floats so that YAML 1.1 readers (PyYAML) see a float too: that
/// schema wants a dot in the mantissa and a sign in the exponent (`1.0e+300`, not `1e300`).
fn number(out: &mut String, n: &serde_json::Number) {
    let text = n.to_string();
    if !n.is_f64() {
        out.push_str(&text);
        return;
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (text.as_str(), None),
    };
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    if let Some(e) = exponent {
        out.push('e');
        if !e.starts_with(['+', '-']) {
            out.push('+');
        }
        out.push_str(e);
    }
}

fn string(out: &mut String, s: &str, key: bool) {
    if is_plain_safe(s, key) {
        out.push_str(s);
    } else {
        quoted(out, s);
    }
}

/// Whether `s` reads back as the same string when written plain, as a mapping key (`key`)
/// or in a value position of block style.
pub fn is_plain_safe(s: &str, key: bool) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    // `./` and `../` (relative code paths) are the only plain strings that start with a dot:
    // `.5`, `.inf` and `...` read as something else.
    let relative = s.starts_with("./") || s.starts_with("../");
    if !(first.is_ascii_alphanumeric() || matches!(first, b'/' | b'_' | b'$' | b'(') || relative) {
        return false;
    }
    if last == b' ' || last == b':' {
        return false;
    }
    let class = if key { &KEY } else { &VALUE };
    // Most strings (keys, IDs, ARNs, paths) have no space and no `#`: one tight pass.
    if b.iter().all(|&c| class[usize::from(c)] == PLAIN) {
        return !looks_like_other_type(s);
    }
    let mut prev = 0u8;
    for &c in b {
        let ok = match class[usize::from(c)] {
            PLAIN => true,
            // `#` after a space starts a comment; a space after `:` ends a key.
            HASH => prev != b' ',
            SPACE => prev != b':',
            _ => false,
        };
        if !ok {
            return false;
        }
        prev = c;
    }
    !looks_like_other_type(s)
}

const NEVER: u8 = 0;
const PLAIN: u8 = 1;
const HASH: u8 = 2;
const SPACE: u8 = 3;

/// What each byte may be inside a plain scalar: printable ASCII except quotes, backslash and
/// backtick; keys also without `:` and flow indicators.
const fn byte_classes(key: bool) -> [u8; 256] {
    let mut t = [NEVER; 256];
    let mut c = 0x21;
    while c <= 0x7E {
        t[c] = match c as u8 {
            b'"' | b'\'' | b'\\' | b'`' => NEVER,
            b':' | b'{' | b'}' | b'[' | b']' | b',' if key => NEVER,
            b'#' => HASH,
            _ => PLAIN,
        };
        c += 1;
    }
    t[b' ' as usize] = SPACE;
    t
}

const KEY: [u8; 256] = byte_classes(true);
const VALUE: [u8; 256] = byte_classes(false);

/// Booleans and nulls of YAML 1.1 and 1.2, and anything that starts with a digit and is made
/// only of characters numbers, dates and times use (`1e3`, `0x1F`, `2001-01-01`, `3.0.1`,
/// `1:30`): generous on purpose, since quoting more costs nothing.
fn looks_like_other_type(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf",
    ];
    if s.len() <= 5 && WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return true;
    }
    s.as_bytes()[0].is_ascii_digit()
        && s.bytes().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(
                    c,
                    b'x' | b'X'
                        | b'o'
                        | b'O'
                        | b't'
                        | b'T'
                        | b'z'
                        | b'Z'
                        | b'_'
                        | b'.'
                        | b':'
                        | b'+'
                        | b'-'
                        | b' '
                )
        })
}

/// A double-quoted scalar with JSON's escapes. Characters that YAML readers refuse or
/// normalize (controls, NEL, the line and paragraph separators, BOM, U+FFFE/U+FFFF) are
/// escaped; other non-ASCII characters are written as they are.
fn quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            _ => None,
        };
        let needs_u = esc.is_none()
            && (c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
                ));
        if esc.is_none() && !needs_u {
            continue;
        }
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_is_block_style() {
        let v = json!({ "a": { "b": [1, { "c": "d", "e": ["f"] }], "g": [] }, "h": "yes", "i": [[1.5, 1e300]] });
        assert_eq!(
            to_string(&v),
            "a:\n  b:\n  - 1\n  - c: d\n    e:\n    - f\n  g: []\nh: \"yes\"\ni:\n- - 1.5\n  - 1.0e+300\n"
        );
    }

    #[test]
    fn quoting_is_whitelisted() {
        for s in [
            "/a/{b}",
            "arn:${AWS::Region}:x",
            "api/orders.read",
            "a b",
            "AWS::S3::Bucket",
        ] {
            assert!(is_plain_safe(s, false), "{s}");
        }
        for s in ["Fn::GetAtt", "/a/{b}", "a,b"] {
            assert!(!is_plain_safe(s, true), "{s}");
        }
        for s in [
            "yes",
            "Off",
            "1e3",
            "0x1F",
            "2001-01-01",
            "3.0.1",
            "a: b",
            "a #b",
            "a:",
            "- x",
            "é",
            "a\tb",
            " a",
            "a ",
        ] {
            assert!(!is_plain_safe(s, false), "{s:?}");
        }
    }
}
