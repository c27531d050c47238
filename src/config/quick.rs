//! The quick reader: `roles.yaml` as people and `rolegen synth` write it, read straight from
//! the text into `yaml::Node`s.
//!
//! Why: the event parser spends about 18 ns a byte, most of a 1,000-route load, on YAML that
//! roles files never use. A roles file is block mappings (and perhaps block lists) of one-line
//! plain or quoted scalars, flow lists `[a, b]` and flow mappings `{lambda: Fn}`. This reader
//! takes exactly that and hands anything else back (`None`) to `yaml::parse`'s two readers,
//! which decide it as they always did: tabs, carriage returns, control characters, anchors
//! and aliases, tags, block scalars, multi-line plain scalars, escapes, comments inside flow
//! collections, document markers, directives, complex keys, merge keys, odd indentation, and
//! every syntax error. So it never reports an error itself and never resolves a type its own
//! way (plain scalars go through `yaml::resolve`, like the fast path's), and it gives the spans
//! the event parser gives; a test compares it with serde-saphyr on every fixture and on
//! thousands of generated near-misses. It only reads what serde-saphyr's budget allows: it
//! hands over well before the depth, node, event and scalar-size limits, so those are still
//! decided where they always were.

use super::yaml::{Kind, Node, collection_len_at, resolve};
use crate::diag::Span;
use serde_saphyr::Budget;
use std::borrow::Cow;
use std::cell::Cell;

/// The text is for the full readers.
struct HandOver;

type R<T> = Result<T, HandOver>;

/// Distance kept from each budget limit: the full readers decide at the limit itself.
const MARGIN: usize = 16;

/// YAML allows an implicit key of at most 1,024 characters (serde-saphyr's
/// `simple_key_max_lookahead`); longer ones go to the full readers.
const MAX_KEY_BYTES: usize = 1000;

/// Reads a whole roles file, or `None` when it uses anything beyond the common shape.
#[cfg(test)]
pub(super) fn read<'t>(text: &'t str, budget: &Budget) -> Option<Node<'t>> {
    read_or_why(text, budget).ok()
}

/// Why the quick reader handed a file over.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Why {
    /// A shape it does not read.
    Shape,
    /// It came near the budget's count of values or events, or of text: the event reader
    /// would hand it over too, so only the full reader is worth running (a file past the
    /// ceiling of values was otherwise built twice before it was refused).
    Size,
}

/// `read`, saying why it hands a file over.
pub(super) fn read_or_why<'t>(text: &'t str, budget: &Budget) -> Result<Node<'t>, Why> {
    // Every scalar's value is at most its text, so the scalar-size budget can't be reached.
    let ascii = text.is_ascii();
    if text.len().saturating_add(MARGIN) >= budget.max_total_scalar_bytes {
        return Err(Why::Size);
    }
    if !plain_text(text, ascii) {
        return Err(Why::Shape);
    }
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        nodes: 0,
        // Stream and document start and end.
        events: 4,
        items: Vec::new(),
        entries: Vec::new(),
        budget,
        ascii,
        counted: Cell::new((0, 0)),
        near_limit: false,
    };
    // The root: a block mapping whose keys start their lines.
    match r.next_content() {
        Ok(Some(0)) => {}
        _ => return Err(Why::Shape),
    }
    let why = |r: &Reader| if r.near_limit { Why::Size } else { Why::Shape };
    let root = r.block_map(0, 0).map_err(|_| why(&r))?;
    // `block_map(0, …)` stops only at the end of the text.
    if r.pos >= r.b.len() {
        Ok(root)
    } else {
        Err(why(&r))
    }
}

/// Only characters every YAML reader agrees on: no tab (its rules differ between block and
/// flow context), no carriage return but in a `\r\n` line break, no control character, no
/// byte order mark, and none of the characters YAML 1.1 took for line breaks or that YAML
/// calls non-printable.
fn plain_text(text: &str, ascii: bool) -> bool {
    let b = text.as_bytes();
    // By blocks, without stopping at the first hit, so that the compiler can compare many
    // bytes at once: this pass reads every byte of the file.
    let control = |c: u8| (c < b' ' && c != b'\n' && c != b'\r') || c == 0x7f;
    if b.chunks(64)
        .any(|block| block.iter().fold(false, |found, &c| found | control(c)))
    {
        return false;
    }
    if text.contains('\r')
        && b.iter()
            .enumerate()
            .any(|(i, &c)| c == b'\r' && b.get(i + 1) != Some(&b'\n'))
    {
        return false;
    }
    ascii
        || !text.chars().any(|c| {
            matches!(
                c as u32,
                0x80..=0x9f | 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff
            )
        })
}

/// YAML's indicator characters: none starts a plain scalar, except `-`, `?` and `:` when
/// followed by a character that could continue one.
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

fn is_flow_indicator(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

struct Reader<'t, 'r> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    /// The 1-based line `pos` is on, and the byte that line starts at.
    line: u32,
    line_start: usize,
    /// Nodes and events so far, counted as serde-saphyr's budget counts them.
    nodes: usize,
    events: usize,
    budget: &'r Budget,
    /// The entries of the collections being read, innermost last: each collection takes its
    /// own off the top into a list of exactly their number, so no list grows by copying.
    items: Vec<Node<'t>>,
    entries: Vec<(Node<'t>, Node<'t>)>,
    /// Whether the whole text is ASCII: then a character is a byte.
    ascii: bool,
    /// A byte on the current line and the characters before it on that line, counted.
    counted: Cell<(usize, u32)>,
    /// Whether it handed over near a limit of the budget.
    near_limit: bool,
}

impl<'t> Reader<'t, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Whether byte `i` ends its line: a line break (`\n`, or the `\r` of `\r\n`, the only
    /// place `plain_text` lets a `\r` stand) or the end of the text.
    fn at_line_end(&self, i: usize) -> bool {
        matches!(self.b.get(i), None | Some(b'\n' | b'\r'))
    }

    /// Where the line holding `from` ends: its line break, or the end of the text.
    fn line_end(&self, from: usize) -> usize {
        match self.text[from..].find('\n') {
            Some(i) if i > 0 && self.b[from + i - 1] == b'\r' => from + i - 1,
            Some(i) => from + i,
            None => self.b.len(),
        }
    }

    /// Moves to the start of the next line; `nl` is where the current line's break starts.
    fn next_line(&mut self, nl: usize) {
        let len = if self.b.get(nl) == Some(&b'\r') { 2 } else { 1 };
        self.pos = (nl + len).min(self.b.len());
        self.line += 1;
        self.line_start = self.pos;
    }

    /// The 1-based character column of byte `at`, on the current line.
    fn col(&self, at: usize) -> u32 {
        if self.ascii {
            return (at - self.line_start) as u32 + 1;
        }
        // Columns are asked for mostly left to right: count on from the last one asked on
        // this line, so that a long line is counted once, not once per value on it.
        let (byte, chars) = self.counted.get();
        let (from, before) = if (self.line_start..=at).contains(&byte) {
            (byte, chars)
        } else {
            (self.line_start, 0)
        };
        let chars = before + self.chars(from, at);
        self.counted.set((at, chars));
        chars + 1
    }

    fn chars(&self, from: usize, to: usize) -> u32 {
        if self.ascii {
            (to - from) as u32
        } else {
            self.text[from..to].chars().count() as u32
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// From the start of a line, moves to the next line with content, past blank and
    /// comment-only lines, and returns its indentation (`pos` stays at the line's start);
    /// `None` at the end of the text.
    fn next_content(&mut self) -> R<Option<usize>> {
        loop {
            let mut i = self.pos;
            while self.b.get(i) == Some(&b' ') {
                i += 1;
            }
            match self.b.get(i) {
                None => {
                    self.pos = self.b.len();
                    return Ok(None);
                }
                Some(b'\n' | b'\r') => self.next_line(i),
                Some(b'#') => {
                    let end = self.line_end(i);
                    if end == self.b.len() {
                        self.pos = end;
                        return Ok(None);
                    }
                    self.next_line(end);
                }
                _ => {
                    // Document markers belong to the full readers.
                    let rest = &self.b[self.pos..];
                    if i == self.pos && (rest.starts_with(b"---") || rest.starts_with(b"...")) {
                        return Err(HandOver);
                    }
                    return Ok(Some(i - self.pos));
                }
            }
        }
    }

    /// After a value: only spaces and a comment may end the line; then moves to the next one.
    fn end_line(&mut self) -> R<()> {
        self.skip_spaces();
        match self.peek() {
            None => Ok(()),
            Some(b'\n' | b'\r') => {
                self.next_line(self.pos);
                Ok(())
            }
            // A comment starts after a space (`"a"#b` is no comment).
            Some(b'#') if self.b[self.pos - 1] == b' ' => {
                let end = self.line_end(self.pos);
                if end == self.b.len() {
                    self.pos = end;
                } else {
                    self.next_line(end);
                }
                Ok(())
            }
            _ => Err(HandOver),
        }
    }

    /// Counts a node (and `events` events) against the budget.
    fn count(&mut self, events: usize) -> R<()> {
        self.nodes += 1;
        self.events += events;
        let near = |n: usize, max: usize| n.saturating_add(MARGIN) >= max;
        if near(self.nodes, self.budget.max_nodes) || near(self.events, self.budget.max_events) {
            self.near_limit = true;
            return Err(HandOver);
        }
        Ok(())
    }

    /// A collection starts at nesting `depth` (the root is 0): its start and end events.
    fn open(&mut self, depth: usize) -> R<()> {
        if depth.saturating_add(MARGIN) >= self.budget.max_depth {
            return Err(HandOver);
        }
        self.count(2)
    }

    /// A node at `line` and `column`, `len` characters long on that line. The span is what
    /// `yaml::Roles` makes of the event parser's: every node here ends within its first line,
    /// so only the least length, one character, can apply.
    fn node(&self, kind: Kind<'t>, line: u32, column: u32, len: u32) -> Node<'t> {
        Node {
            span: Span {
                line,
                column,
                len: len.max(1),
            },
            kind,
        }
    }

    /// A collection that started at byte `start` (`line`, `column`), as long as
    /// `yaml::collection_len_at` measures it there.
    fn collection(&self, kind: Kind<'t>, line: u32, column: u32, start: usize) -> Node<'t> {
        let len = if self.ascii && !matches!(self.b.get(start), Some(b'[' | b'{')) {
            // A block collection (its first character opens no bracket) on a line where
            // nothing opens a quote or a comment: `collection_len_at` stops after the line's
            // last non-space character, found here without its walk over every character.
            let rest = &self.b[start..self.line_end(start)];
            if rest.iter().any(|c| matches!(c, b'\'' | b'"' | b'#')) {
                collection_len_at(&self.text[start..])
            } else {
                trim_end(rest, 0, rest.len()) as u32
            }
        } else {
            collection_len_at(&self.text[start..])
        };
        self.node(kind, line, column, len)
    }

    /// A plain scalar from `start` to `end` on the current line.
    fn scalar(&mut self, start: usize, end: usize) -> R<Node<'t>> {
        self.count(1)?;
        let value = &self.text[start..end];
        let kind = Kind::from(resolve(Cow::Borrowed(value), true).ok_or(HandOver)?);
        let len = self.chars(start, end);
        Ok(self.node(kind, self.line, self.col(start), len))
    }

    /// A block mapping whose keys stand at `indent`; `pos` is at the start of its first line.
    fn block_map(&mut self, indent: usize, depth: usize) -> R<Node<'t>> {
        self.open(depth)?;
        let (line, line_start, column) = (self.line, self.line_start, indent as u32 + 1);
        let base = self.entries.len();
        loop {
            match self.next_content()? {
                None => break,
                Some(i) if i < indent => break,
                Some(i) if i > indent => return Err(HandOver),
                Some(_) => {}
            }
            self.pos += indent;
            let key = self.block_key()?;
            let value = self.block_value(indent, depth)?;
            self.entries.push((key, value));
        }
        let entries = self.entries.drain(base..).collect();
        Ok(self.collection(Kind::Map(entries), line, column, line_start + indent))
    }

    /// A key of a block mapping, and its `:`; `pos` is left after the `:`.
    fn block_key(&mut self) -> R<Node<'t>> {
        let start = self.pos;
        let key = match self.b[start] {
            b'"' | b'\'' => {
                let key = self.quoted()?;
                self.skip_spaces();
                key
            }
            _ => {
                self.plain_start(false)?;
                // Up to the first `: ` (or `:` ending the line); a comment before it means the
                // key has no `:` on its line.
                let mut i = start;
                loop {
                    match self.b.get(i) {
                        None | Some(b'\n' | b'\r') => return Err(HandOver),
                        Some(b':')
                            if matches!(self.b.get(i + 1), None | Some(b' ' | b'\n' | b'\r')) =>
                        {
                            break;
                        }
                        Some(b'#') if self.b[i - 1] == b' ' => return Err(HandOver),
                        _ => i += 1,
                    }
                }
                let end = trim_end(self.b, start, i);
                if &self.b[start..end] == b"<<" {
                    return Err(HandOver); // a merge key
                }
                self.pos = i;
                self.scalar(start, end)?
            }
        };
        if self.pos - start > MAX_KEY_BYTES
            || self.peek() != Some(b':')
            || !matches!(self.b.get(self.pos + 1), None | Some(b' ' | b'\n' | b'\r'))
        {
            return Err(HandOver);
        }
        self.pos += 1;
        Ok(key)
    }

    /// What follows a block mapping's `:` (at `pos`): a value on the same line, a block below
    /// it, or nothing (null).
    fn block_value(&mut self, indent: usize, depth: usize) -> R<Node<'t>> {
        let colon = self.pos - 1;
        self.skip_spaces();
        if !matches!(self.peek(), None | Some(b'\n' | b'\r' | b'#')) {
            let value = self.inline(indent, depth + 1)?;
            self.end_line()?;
            return Ok(value);
        }
        // The event parser puts an empty value at the `:`.
        let null = self.node(Kind::Null, self.line, self.col(colon), 0);
        self.end_line()?;
        match self.next_content()? {
            Some(i) if i > indent => {
                if self.is_item(self.pos + i) {
                    self.block_seq(i, false, depth + 1)
                } else {
                    self.block_map(i, depth + 1)
                }
            }
            Some(i) if i == indent && self.is_item(self.pos + i) => {
                self.block_seq(i, true, depth + 1)
            }
            _ => {
                self.count(1)?;
                Ok(null)
            }
        }
    }

    /// Whether a block sequence entry (`- `) starts at byte `i`.
    fn is_item(&self, i: usize) -> bool {
        self.b[i] == b'-' && self.b.get(i + 1) == Some(&b' ')
    }

    /// A block sequence whose `-` stand at `indent`; `pos` is at the start of its first line.
    /// An `indentless` one stands at its mapping key's indentation.
    fn block_seq(&mut self, indent: usize, indentless: bool, depth: usize) -> R<Node<'t>> {
        self.open(depth)?;
        let (line, mut start) = (self.line, self.line_start + indent);
        let mut column = indent as u32 + 1;
        let base = self.items.len();
        loop {
            match self.next_content()? {
                None => break,
                Some(i) if i < indent => break,
                Some(i) if i > indent => return Err(HandOver),
                Some(_) => {}
            }
            let dash = self.pos + indent;
            if !self.is_item(dash) {
                if indentless {
                    break; // the mapping's next key
                }
                return Err(HandOver);
            }
            self.pos = dash + 1;
            self.skip_spaces();
            // An empty entry, or a block inside one.
            if matches!(self.peek(), None | Some(b'\n' | b'\r' | b'#')) {
                return Err(HandOver);
            }
            if indentless && self.items.len() == base {
                // The event parser starts such a sequence at its first entry's value.
                (column, start) = (self.col(self.pos), self.pos);
            }
            let item = self.inline(indent, depth + 1)?;
            self.items.push(item);
            self.end_line()?;
        }
        let items = self.items.drain(base..).collect();
        Ok(self.collection(Kind::Seq(items), line, column, start))
    }

    /// A value written on its line (at `pos`) in block context; flow collections may go on
    /// over lines indented beyond `indent`.
    fn inline(&mut self, indent: usize, depth: usize) -> R<Node<'t>> {
        match self.b[self.pos] {
            b'[' => self.flow_seq(indent, depth),
            b'{' => self.flow_map(indent, depth),
            b'"' | b'\'' => self.quoted(),
            _ => {
                self.plain_start(false)?;
                let start = self.pos;
                let mut i = start;
                loop {
                    match self.b.get(i) {
                        None | Some(b'\n' | b'\r') => break,
                        // `a: b: c`, or a key with its value on the next lines.
                        Some(b':')
                            if matches!(self.b.get(i + 1), None | Some(b' ' | b'\n' | b'\r')) =>
                        {
                            return Err(HandOver);
                        }
                        Some(b'#') if self.b[i - 1] == b' ' => break,
                        _ => i += 1,
                    }
                }
                let end = trim_end(self.b, start, i);
                self.pos = end;
                self.scalar(start, end)
            }
        }
    }

    /// Whether a plain scalar may start at `pos`.
    fn plain_start(&self, flow: bool) -> R<()> {
        let c = self.b[self.pos];
        if !is_indicator(c) {
            return Ok(());
        }
        let next = self.b.get(self.pos + 1).copied();
        let continues = next
            .is_some_and(|n| !(matches!(n, b' ' | b'\n' | b'\r') || flow && is_flow_indicator(n)));
        if matches!(c, b'-' | b'?' | b':') && continues {
            Ok(())
        } else {
            Err(HandOver)
        }
    }

    /// A quoted scalar on one line, without escapes but `''`.
    fn quoted(&mut self) -> R<Node<'t>> {
        let start = self.pos;
        let quote = self.b[start];
        let mut i = start + 1;
        let mut doubled = false;
        loop {
            match self.b.get(i) {
                None | Some(b'\n' | b'\r') => return Err(HandOver),
                Some(b'\\') if quote == b'"' => return Err(HandOver),
                Some(&c) if c == quote => {
                    if quote == b'\'' && self.b.get(i + 1) == Some(&b'\'') {
                        doubled = true;
                        i += 2;
                    } else {
                        break;
                    }
                }
                _ => i += 1,
            }
        }
        let inner = &self.text[start + 1..i];
        let value = if doubled {
            Cow::Owned(inner.replace("''", "'"))
        } else {
            Cow::Borrowed(inner)
        };
        self.pos = i + 1;
        self.count(1)?;
        let len = self.chars(start, self.pos);
        Ok(self.node(Kind::Str(value), self.line, self.col(start), len))
    }

    /// Spaces and line breaks inside a flow collection. A new line must be indented beyond
    /// the block the collection stands in, and hold content.
    fn flow_space(&mut self, indent: usize) -> R<()> {
        loop {
            self.skip_spaces();
            match self.peek() {
                Some(b'\n' | b'\r') => {
                    self.next_line(self.pos);
                    let mut i = self.pos;
                    while self.b.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    if i - self.pos <= indent || self.at_line_end(i) {
                        return Err(HandOver);
                    }
                    self.pos = i;
                }
                None | Some(b'#') => return Err(HandOver),
                Some(_) => return Ok(()),
            }
        }
    }

    /// After an entry of a flow collection: `,` (then more), or the closing bracket.
    /// Returns whether the collection goes on.
    fn flow_next(&mut self, indent: usize, close: u8) -> R<bool> {
        self.skip_spaces();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.flow_space(indent)?;
                // A trailing comma.
                if self.peek() == Some(close) {
                    return Err(HandOver);
                }
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(HandOver),
        }
    }

    fn flow_seq(&mut self, indent: usize, depth: usize) -> R<Node<'t>> {
        self.open(depth)?;
        let (line, start, column) = (self.line, self.pos, self.col(self.pos));
        self.pos += 1;
        self.flow_space(indent)?;
        let base = self.items.len();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                let item = self.flow_node(indent, depth + 1, false)?;
                self.items.push(item);
                if !self.flow_next(indent, b']')? {
                    break;
                }
            }
        }
        let items = self.items.drain(base..).collect();
        Ok(self.flow_node_at(Kind::Seq(items), line, column, start))
    }

    fn flow_map(&mut self, indent: usize, depth: usize) -> R<Node<'t>> {
        self.open(depth)?;
        let (line, start, column) = (self.line, self.pos, self.col(self.pos));
        self.pos += 1;
        self.flow_space(indent)?;
        let base = self.entries.len();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                let start = self.pos;
                let key = self.flow_node(indent, depth + 1, true)?;
                self.skip_spaces();
                // `key: value`, the value on the same line.
                if self.pos - start > MAX_KEY_BYTES
                    || self.peek() != Some(b':')
                    || self.b.get(self.pos + 1) != Some(&b' ')
                {
                    return Err(HandOver);
                }
                self.pos += 1;
                self.skip_spaces();
                if matches!(self.peek(), None | Some(b'\n' | b'\r' | b',' | b'}' | b'#')) {
                    return Err(HandOver);
                }
                let value = self.flow_node(indent, depth + 1, false)?;
                self.entries.push((key, value));
                if !self.flow_next(indent, b'}')? {
                    break;
                }
            }
        }
        let entries = self.entries.drain(base..).collect();
        Ok(self.flow_node_at(Kind::Map(entries), line, column, start))
    }

    /// A flow collection that started at byte `start` (`line`, `column`) and ended at `pos`.
    /// Its span covers it when it is on one line and holds no quote or `#`: then the first
    /// bracket that closes it, where `collection_len_at` would stop, is its own. Otherwise
    /// `collection_len_at` measures it.
    fn flow_node_at(&self, kind: Kind<'t>, line: u32, column: u32, start: usize) -> Node<'t> {
        let written = &self.b[start..self.pos];
        if line == self.line && !written.iter().any(|c| matches!(c, b'\'' | b'"' | b'#')) {
            self.node(kind, line, column, self.chars(start, self.pos))
        } else {
            self.collection(kind, line, column, start)
        }
    }

    /// An entry of a flow collection (a flow mapping's key when `key`).
    fn flow_node(&mut self, indent: usize, depth: usize, key: bool) -> R<Node<'t>> {
        match self.b[self.pos] {
            b'[' | b'{' if key => Err(HandOver),
            b'[' => self.flow_seq(indent, depth),
            b'{' => self.flow_map(indent, depth),
            b'"' | b'\'' => self.quoted(),
            _ => {
                self.plain_start(true)?;
                let start = self.pos;
                let mut i = start;
                loop {
                    match self.b.get(i) {
                        None | Some(b'\n' | b'\r') => break,
                        Some(&c) if is_flow_indicator(c) => break,
                        // A key's end; in a list, a one-pair mapping.
                        Some(b':') if key => break,
                        Some(b':') => return Err(HandOver),
                        Some(b'#') if self.b[i - 1] == b' ' => return Err(HandOver),
                        _ => i += 1,
                    }
                }
                let end = trim_end(self.b, start, i);
                if key && &self.b[start..end] == b"<<" {
                    return Err(HandOver); // a merge key
                }
                self.pos = end;
                self.scalar(start, end)
            }
        }
    }
}

/// `end` moved back over trailing spaces, not before `start`.
fn trim_end(b: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && b[end - 1] == b' ' {
        end -= 1;
    }
    end
}

/// The quick reader must give what serde-saphyr gives, node for node and span for span, or
/// hand over.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::fast_path::{corpus, serde_saphyr};

    fn budget() -> Budget {
        let mut budget = Budget::default();
        budget.max_depth = 64;
        budget.max_aliases = 1_000;
        budget
    }

    /// `Some(true)` when the quick reader read `text` (and agreed), `Some(false)` when it
    /// handed over; panics when it read something serde-saphyr reads otherwise or refuses.
    fn check(text: &str) -> bool {
        let Some(quick) = read(text, &budget()) else {
            return false;
        };
        match serde_saphyr(text) {
            Some(reference) => assert_eq!(quick, reference, "{text:?}"),
            None => panic!("serde-saphyr refuses what the quick reader read: {text:?}"),
        }
        true
    }

    /// serde-saphyr recurses deeply in debug builds; some inputs nest 100 levels.
    fn on_big_stack(f: fn()) {
        std::thread::Builder::new()
            .stack_size(1 << 28)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn agrees_on_the_corpus() {
        on_big_stack(|| {
            let mut read = 0;
            for text in corpus() {
                read += usize::from(check(&text));
                // The same with Windows line breaks.
                check(&text.replace('\n', "\r\n"));
            }
            // The fixtures are written the common way; most must not need the full readers.
            assert!(read >= 30, "{read}");
        });
    }

    #[test]
    fn reads_the_common_shapes() {
        let cases = [
            "a: 1\n",
            "a: 1",
            "# c\n\n  # d\nx: 1\n",
            "a:\nb: \nc:   # x\n\"q\": \"x y\"\n's': 'it''s'\nd:\n  - x\n  - [y]\ne:\n- z\nf: {g: h}\n",
            "e:\n- [z]\n- {a: b}\nf:\n-   \"q\"\ng:\n  h:\n    i: 1\nj  : k  \nl#m: n#o #p\né: ü [x]\nr: [a,\n  b, c]\ns: {a: [b], c: d}\n",
            "k:\n  a: [b,\n   c]\n",
            "a: {b: c,\n d: e}\n",
            "a:\n  - x\n  -  y # c\n",
            "a: \"x\" #c\nb: x#c\n",
            "a: x # c\n  # d\nb: 1\n",
            "a: [ ]\nb: { }\nc: []\nd: {}\n",
            "routes:\n  GET /a/{id}: [x, y]\n  POST /b:\n    scopes: [z]\n    integration: { lambda: Fn }\n",
            "a: -1\nb: .5\nc: 0x1F\nd: 1e3\ne: ~\nf: null\ng: True\nh: yes\ni: 012\n",
            "a: 😀 x\nb: [😀, 'é''s']\n\"😀\": {é: ü}\n",
            "a: b[0]\nc: x,y\nd: x{y}\n",
            // Where a collection's first line ends, with quotes and comments about.
            "a:\n  b: it's # c\n  c: 1\n",
            "a:\n  b: x # it's\n",
            "a:\n  b: x  \n",
            "a:\n  - [x] # c\n",
            "a:\n- {b: c}  # d\n",
            "a:\n  b: x#y z # c\n",
            "a:\n  \"b\": 'c'' # d' # e\n",
            // Windows line breaks.
            "a: b\r\n",
            "a:\r\n  b: [c,\r\n    d]  \r\n  # e\r\n\r\n  f: g # h\r\ni:\r\n- j\r\n- 'k'\r\nl:\r\n",
        ];
        on_big_stack(|| {});
        for text in cases {
            assert!(check(text), "handed over: {text:?}");
        }
    }

    #[test]
    fn hands_over_the_rest() {
        let cases = [
            "",
            "# only a comment\n",
            "---\na: 1\n",
            "a: 1\n...\n",
            "%YAML 1.2\n---\na: 1\n",
            "- a\n",
            "plain\n",
            "  a: 1\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  x\n",
            "a: >\n  x\n",
            "a: b\n  c\n",
            "a: \"x\\ny\"\n",
            "a: 'x\n  y'\n",
            "a:\tb\n",
            "a: b\rc: 1\n",
            "a: b\r",
            "a: b\r\r\n",
            "\u{feff}a: b\n",
            "? a\n: b\n",
            "<<: {a: 1}\n",
            "a: {<<: {b: 1}}\n",
            "a: b: c\n",
            "a: [b, ]\n",
            "a: [b # c\n  , d]\n",
            "a: [b,\nc]\n",
            "a:\n  b: [c,\n  d]\n",
            "a: [b: c]\n",
            "a: {b}\n",
            "a: {b: }\n",
            "a: {\"b\":c}\n",
            "a: .inf\n",
            "a: 1e999\n",
            "a:\n  - b: 1\n",
            "a:\n  -\n    b\n",
            "a:\n  - - b\n",
            "a:\n  - b\n  c: 1\n",
            "a:\n    b: 1\n  c: 2\n",
            "a: [b]x\n",
            "a: \"b\"c\n",
            "a: \"b\"#c\n",
            "a: - b\n",
            "a: @b\n",
            "a: `b`\n",
            "a: %b\n",
        ];
        for text in cases {
            assert!(read(text, &budget()).is_none(), "read: {text:?}");
        }
        let long_key = format!("{}: 1\n", "k".repeat(1100));
        assert!(read(&long_key, &budget()).is_none());
        let deep = format!("a: {}1{}\n", "[".repeat(60), "]".repeat(60));
        assert!(read(&deep, &budget()).is_none());
    }

    #[test]
    fn synthetic_files_take_the_quick_path() {
        for routes in [10, 300] {
            let text = crate::synth::roles_yaml(&crate::synth::SynthParams::for_routes(routes));
            assert!(check(&text));
        }
    }

    /// xorshift64*: the same cases on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// Near-misses: files in the common shape with YAML's special characters put in, taken
    /// out and moved about, so that every rule of the quick reader meets its edge. Each must
    /// be read as serde-saphyr reads it, or handed over. `QUICK_FUZZ=N` runs N cases.
    #[test]
    // The count is for whoever runs the fuzz with `--nocapture`.
    #[allow(clippy::print_stderr)]
    fn agrees_on_near_misses() {
        on_big_stack(|| {
            let cases: usize = std::env::var("QUICK_FUZZ")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(3000);
            let scalars = [
                "a",
                "b c",
                "-1",
                "1.5",
                "0x1F",
                "~",
                "null",
                "true",
                "no",
                "'q'",
                "\"q\"",
                "'it''s'",
                "x:y",
                "x #y",
                "x#y",
                "-x",
                "?x",
                ":x",
                "é",
                "😀",
                "[a, b]",
                "{a: b}",
                "[]",
                "{}",
                "[a, [b, c]]",
                "{a: [b]}",
                "[\"a\", 'b']",
                "GET /a/{id}",
                "<<",
                "*x",
                "&x y",
                "!t y",
                "|",
                ">",
                "%x",
                "@x",
                "`x`",
                "a, b",
                "a]",
                "a}",
                "'",
                "\"",
                "''",
                "\"\\n\"",
                "- a",
                "-",
                "? a",
                "a: b",
                "a:",
                "1e999",
                ".inf",
                "[a,",
                "{a:",
            ];
            let pieces = [
                ":", ": ", " ", "  ", "\n", "\n  ", "\n- ", "- ", "#", " #", "[", "]", "{", "}",
                ",", ", ", "'", "\"", "\\", "\t", "\r", "---", "...", "&", "*", "!", "|", ">", "?",
                "é", "😀", "\u{85}", "\u{2028}", "\u{feff}",
            ];
            let seed = std::env::var("QUICK_SEED")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0x9e37_79b9_7f4a_7c15);
            let mut rng = Rng(seed);
            // Whole files to edit, too: the fixtures the quick reader reads.
            let files: Vec<String> = corpus()
                .into_iter()
                .filter(|t| read(t, &budget()).is_some())
                .collect();
            let mut read = 0;
            for case in 0..cases {
                let mut text = String::new();
                // A document in the common shape.
                let top = if case % 4 == 0 {
                    text = files[rng.below(files.len())].clone();
                    0
                } else {
                    1 + rng.below(4)
                };
                for _ in 0..top {
                    text.push_str(rng.pick(&["a", "b c", "routes", "'k'", "\"k\"", "é", "1"]));
                    match rng.below(4) {
                        0 => {
                            text.push_str(": ");
                            text.push_str(rng.pick(&scalars));
                            text.push('\n');
                        }
                        1 => {
                            text.push_str(":\n");
                            let indent = rng.pick(&["  ", "    ", " ", ""]);
                            for _ in 0..1 + rng.below(3) {
                                text.push_str(indent);
                                if rng.below(3) == 0 {
                                    text.push_str("- ");
                                } else {
                                    text.push_str(rng.pick(&["x", "GET /a", "'y'", "z z"]));
                                    text.push_str(": ");
                                }
                                text.push_str(rng.pick(&scalars));
                                text.push_str(rng.pick(&["\n", " # c\n", "  \n", "\n\n"]));
                            }
                        }
                        2 => {
                            text.push(':');
                            text.push_str(rng.pick(&["\n", " # c\n", "  \n"]));
                        }
                        _ => {
                            text.push_str(": [");
                            for i in 0..rng.below(4) {
                                if i > 0 {
                                    text.push_str(rng.pick(&[", ", ",\n   ", ","]));
                                }
                                text.push_str(rng.pick(&scalars));
                            }
                            text.push_str("]\n");
                        }
                    }
                }
                // Then a few edits where the special characters go.
                for _ in 0..rng.below(if top == 0 { 5 } else { 3 }) {
                    let mut at = rng.below(text.len() + 1);
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    match rng.below(3) {
                        0 => text.insert_str(at, rng.pick(&pieces)),
                        1 => {
                            let mut end = (at + 1 + rng.below(3)).min(text.len());
                            while !text.is_char_boundary(end) {
                                end += 1;
                            }
                            text.replace_range(at..end, "");
                        }
                        _ => text.insert_str(at, rng.pick(&scalars)),
                    }
                }
                if case % 7 == 0 {
                    text.pop();
                }
                if case % 5 == 1 {
                    text = text.replace('\n', "\r\n");
                }
                read += usize::from(check(&text));
            }
            // Enough cases must be read for the comparison to mean something.
            eprintln!("near misses read: {read} of {cases}");
            assert!(read * 5 > cases, "{read} of {cases}");
        });
    }
}
