//! A roles file as a tree of nodes that each know where they stand in the file, read by the
//! shared YAML reader (`crate::yaml`) with the roles file's limits.
//!
//! The tree is generic and small so that the walker in `config::raw` can report every problem
//! of a file at once, each with its own span, instead of stopping at serde's first error.

use crate::diag::{Diagnostic, Span};
use crate::yaml::limits;
use crate::yaml::{At, Build, ReadError, Rules, Scalar, read, syntax_error};
use serde_saphyr::{DuplicateKeyPolicy, Options};
use std::borrow::Cow;

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

// ---------------------------------------------------------------------------------------
// roles.yaml

/// Builds `Node`s. Collections report a span that can run over many lines; the underline is
/// kept to the first line so that it stays readable, and no span runs past its line's end.
struct Roles<'t> {
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
    fn new(text: &'t str) -> Self {
        let lines: Vec<&str> = crate::diag::lines(text).collect();
        let chars = lines.iter().map(|l| l.chars().count() as u32).collect();
        Roles {
            lines,
            chars,
            offsets: None,
        }
    }

    fn node<'a>(&mut self, kind: Kind<'a>, at: At) -> Node<'a> {
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
    fn node_len<'a>(&self, kind: Kind<'a>, at: At) -> Node<'a> {
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
    let read = read(text, &rules, &mut Roles::new(text));
    let syntax_help = "fix the YAML syntax first; quote values that contain `: ` or start with `{`, `[`, `*` or `&`";
    read.map_err(|e| match e {
        ReadError::Build(d) => d,
        ReadError::Limit(e) => e.diagnostic("yaml-syntax", syntax_help),
        ReadError::Syntax(e) => {
            syntax_error(&e, &rules, text).diagnostic("yaml-syntax", syntax_help)
        }
    })
}

/// Characters a collection whose first character starts `rest` spans on that line: a flow
/// collection (`[a, b]`, `{a: 1}`) up to its closing bracket, a block one up to the end of
/// the line's content (a comment excluded). The parser reports only where a collection
/// starts. Measured from the collection's own start, never from its line's: on a line
/// holding 50,000 collections, counting each one's column from the line's start took
/// seconds.
fn collection_len_at(rest: &str) -> u32 {
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
pub(crate) mod fast_path {
    use super::*;
    use crate::yaml::fast_and_general;

    thread_local! {
        static REPORT: std::cell::RefCell<Option<serde_saphyr::budget::BudgetReport>> =
            const { std::cell::RefCell::new(None) };
    }

    /// What serde-saphyr's budget counted reading `text` whole with the roles file's
    /// ceilings, when it reads it.
    pub(crate) fn budget_report(text: &str) -> Option<serde_saphyr::budget::BudgetReport> {
        let mut options = rules().options;
        options.budget_report = Some(|r| REPORT.with(|c| *c.borrow_mut() = Some(r.clone())));
        REPORT.with(|c| c.borrow_mut().take());
        if !crate::yaml::serde_saphyr_reads(text, options) {
            return None;
        }
        REPORT.with(|c| c.borrow_mut().take())
    }

    /// The fixtures and edge cases every reader is compared on.
    pub(crate) fn corpus() -> Vec<String> {
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
            // The shapes roles files are written in, and where a collection's first line ends
            // with quotes and comments about.
            "# c\n\n  # d\nx: 1\n",
            "a:\nb: \nc:   # x\n\"q\": \"x y\"\n's': 'it''s'\nd:\n  - x\n  - [y]\ne:\n- z\nf: {g: h}\n",
            "e:\n- [z]\n- {a: b}\nf:\n-   \"q\"\ng:\n  h:\n    i: 1\nj  : k  \nl#m: n#o #p\né: ü [x]\nr: [a,\n  b, c]\ns: {a: [b], c: d}\n",
            "a: x # c\n  # d\nb: 1\n",
            "a: 😀 x\nb: [😀, 'é''s']\n\"😀\": {é: ü}\n",
            "a:\n  b: it's # c\n  c: 1\n",
            "a:\n  b: x # it's\n",
            "a:\n  \"b\": 'c'' # d' # e\n",
            "a:\n  b: x#y z # c\n",
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
        let mut synth = crate::cmd::synth::SynthParams::for_routes(300);
        v.push(crate::cmd::synth::roles_yaml(&synth));
        synth.seed = 7;
        v.push(crate::cmd::synth::roles_yaml(&synth));
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
            // The same with Windows line breaks.
            for text in [text.clone(), text.replace('\n', "\r\n")] {
                total += 1;
                let (fast, general) = fast_and_general(&text, &rules(), || Roles::new(&text));
                let Some(fast) = fast else {
                    continue;
                };
                fast_count += 1;
                match general {
                    Ok(g) => assert_eq!(fast, g, "{text:?}"),
                    Err(_) => panic!("serde-saphyr refuses what the fast path read: {text:?}"),
                }
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
                fast_and_general(text, &rules(), || Roles::new(text))
                    .0
                    .is_none(),
                "{text:?}"
            );
        }
    }
}
