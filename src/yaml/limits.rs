//! How much a file may make rolegen read, and the one pass over a YAML file's events that
//! decides it before anything is built.
//!
//! Why: serde-saphyr expands aliases and merge keys as it reads, and its budget counts what it
//! has already built, so a 450-byte alias bomb was refused only after 250,000 values (0.26 s,
//! 72 MB; an API definition, whose budget is larger, reached 500 MB). And a fixed count
//! refused real files: 83,000 routes are more than 250,000 values. So the limits are of two
//! kinds. Ceilings sit far above any real file (about 2.5 times a 100,000-route one) and only
//! bound what a huge file costs. Ratios bound expansion by what the file itself writes: an
//! alias may repeat a list, but a file that expands to more than ten times the values (or the
//! text) it writes is the shape of a bomb, whatever its size. `measure` walks the parser's
//! events once and adds up what each anchor would expand to, without expanding anything, so
//! a bomb is refused in the time it takes to read its text. serde-saphyr's own budget is then
//! set to the same numbers for that file, a second line of defence that a test keeps in step
//! with `measure` (both count the same values, copies and copied text).

use super::SyntaxError;
use crate::diag::Span;
use serde_saphyr::Budget;
use serde_saphyr::granit_parser::{Event, Parser};
use serde_saphyr::options::AliasLimits;
use std::borrow::Cow;

/// What a reader accepts. Every number is named in the README ("Limits").
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of the file itself: read no further (a path to `/dev/zero` ends here too).
    pub max_file_bytes: usize,
    /// Nesting of lists and mappings, aliases expanded.
    pub max_depth: usize,
    /// Values (scalars, lists, mappings) once aliases and merge keys are expanded.
    pub max_values: usize,
    /// Bytes of text in those values.
    pub max_text_bytes: usize,
    /// Expansion may give at most this many times the values the file writes, the text it
    /// writes, and the copies serde-saphyr keeps of what anchors hold (each against the
    /// values or text written)…
    pub expansion: u64,
    /// …or this many values (and copies), whichever is more, so that a small file may
    /// share a few lists freely…
    pub min_values: u64,
    /// …and this much text.
    pub min_text_bytes: u64,
}

const MIB: usize = 1 << 20;

/// `roles.yaml`. A synthetic 100,000-route file is 8 MB and about 450,000 values; one that
/// writes every route in the long form with an integration and several scopes is about
/// 20 MB and 1.5 million values.
pub const ROLES: Limits = Limits {
    max_file_bytes: 64 * MIB,
    max_depth: 64,
    max_values: 4_000_000,
    max_text_bytes: 64 * MIB,
    expansion: 10,
    min_values: 10_000,
    min_text_bytes: MIB as u64,
};

/// API definitions (YAML; JSON has no aliases, and its reader keeps its own depth limit).
/// Machine-written and larger: rolegen's own 10,000-route OpenAPI export is 6.3 MB and
/// about 400,000 values, so 100,000 routes are about 4 million.
pub const API: Limits = Limits {
    max_file_bytes: 256 * MIB,
    max_depth: 128,
    max_values: 10_000_000,
    max_text_bytes: 256 * MIB,
    expansion: 10,
    min_values: 10_000,
    min_text_bytes: MIB as u64,
};

impl Limits {
    /// serde-saphyr's budget with these ceilings. Its alias count and its ratio of aliases to
    /// anchors are not used: they refused real files that share one list many times, and
    /// expansion is what `measure` bounds instead.
    pub fn budget(&self) -> Budget {
        let mut b = Budget::default();
        b.max_depth = self.max_depth;
        b.max_nodes = self.max_values;
        // Every value, every collection's end, every alias.
        b.max_events = self.max_values.saturating_mul(3);
        b.max_aliases = self.max_values;
        b.max_anchors = self.max_values;
        b.max_merge_keys = self.max_values;
        b.enforce_alias_anchor_ratio = false;
        b.max_total_scalar_bytes = self.max_text_bytes;
        b.max_recorded_anchor_events = self.max_values;
        b.max_recorded_anchor_bytes = self.max_text_bytes;
        b
    }

    /// The budget for a file `measure` accepted: the values and copies it may expand to.
    pub fn budget_for(&self, m: &Measure) -> Budget {
        let mut b = self.budget();
        let bounds = self.bounds(m.written, m.written_text);
        b.max_nodes = clamp(bounds.values);
        b.max_recorded_anchor_events = clamp(bounds.copies);
        b.max_recorded_anchor_bytes = clamp(bounds.copied_text);
        b
    }

    /// serde-saphyr's limit on what aliases replay, apart from its budget: a fixed million
    /// events by default, which refused 110,000 routes sharing one list of eight scopes. A
    /// value replays as at most two events (a list's start and end).
    pub fn alias_limits(&self, values: u64) -> AliasLimits {
        let mut limits = AliasLimits::default();
        limits.max_total_replayed_events = clamp(values.saturating_mul(2));
        limits
    }

    /// `alias_limits` for a file `measure` accepted.
    pub fn alias_limits_for(&self, m: &Measure) -> AliasLimits {
        self.alias_limits(self.bounds(m.written, m.written_text).values)
    }

    fn bounds(&self, written: u64, written_text: u64) -> Bounds {
        let values = (self.expansion.saturating_mul(written))
            .max(self.min_values)
            .min(self.max_values as u64);
        let text = (self.expansion.saturating_mul(written_text))
            .max(self.min_text_bytes)
            .min(self.max_text_bytes as u64);
        Bounds {
            values,
            text,
            copies: values,
            copied_text: text,
        }
    }
}

fn clamp(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// What a file holds: as written, and once aliases and merge keys are expanded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measure {
    /// Values written in the file (an alias is one).
    pub written: u64,
    /// Bytes of text written in scalars (and their tags).
    pub written_text: u64,
    /// Values once expanded, as serde-saphyr's budget counts them.
    pub values: u64,
    /// Bytes of text once expanded.
    pub text: u64,
    /// Events serde-saphyr copies to remember what anchors hold: each event inside an
    /// anchored value once per anchor it is inside.
    pub copies: u64,
    /// Bytes of text those copies own (text the parser had to rewrite, such as a quoted value
    /// with an escape, and tags; text that stands as written in the file is shared).
    pub copied_text: u64,
}

/// The most each kind of total may reach.
#[derive(Clone, Copy)]
struct Bounds {
    values: u64,
    text: u64,
    copies: u64,
    copied_text: u64,
}

/// What an anchor's value holds once expanded.
#[derive(Clone, Copy, Default)]
struct Size {
    values: u64,
    events: u64,
    text: u64,
    /// The text its events own (`Measure::copied_text`).
    owned: u64,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.values = self.values.saturating_add(other.values);
        self.events = self.events.saturating_add(other.events);
        self.text = self.text.saturating_add(other.text);
        self.owned = self.owned.saturating_add(other.owned);
    }
}

/// A list or mapping being read: what it holds so far, expanded.
struct Frame {
    anchor: usize,
    size: Size,
    at: Span,
}

/// Which limit a file passed.
#[derive(Clone, Copy)]
enum Over {
    Values,
    Text,
    Copies,
    CopiedText,
}

/// Measures a YAML document without expanding it, and refuses one that breaks `limits`, at
/// the place where its totals pass them. The whole document is counted first (a bomb may
/// come before most of what a file writes, and the ratios are of what it writes); the sums
/// saturate, so that costs no more than reading it. Syntax errors, unknown anchors and
/// nesting beyond the depth limit end the count early and are left to serde-saphyr to report,
/// as everything else is, with what was counted up to there.
pub fn measure(text: &str, limits: &Limits) -> Result<Measure, SyntaxError> {
    let (m, at) = count(text, limits, None);
    if let Some(at) = at {
        // Past the ceiling, with enough written that the ceiling is the bound that counts.
        return Err(refusal(text, limits, &m, Over::Values, at));
    }
    let bounds = limits.bounds(m.written, m.written_text);
    // What expansion gives is reported before what anchors keep: an alias bomb passes both.
    let over = if m.values > bounds.values {
        (Over::Values, bounds.values)
    } else if m.text > bounds.text {
        (Over::Text, bounds.text)
    } else if m.copies > bounds.copies {
        (Over::Copies, bounds.copies)
    } else if m.copied_text > bounds.copied_text {
        (Over::CopiedText, bounds.copied_text)
    } else {
        return Ok(m);
    };
    // Counted again, up to where that total passes what the whole file allows.
    let (_, at) = count(text, limits, Some(over));
    Err(refusal(
        text,
        limits,
        &m,
        over.0,
        at.unwrap_or(Span::UNKNOWN),
    ))
}

/// The totals of the first document; with `stop`, only up to the first event after which
/// that total passes that bound, and where. Without, it stops (and says where) only when the
/// values pass their ceiling in a file that writes so many that no ratio could allow more:
/// a file far past the ceiling is not read to its end twice.
fn count(text: &str, limits: &Limits, stop: Option<(Over, u64)>) -> (Measure, Option<Span>) {
    let mut m = Measure::default();
    // Sizes of anchors by id (granit numbers them from 1); `None` while the anchored value is
    // still being read (an alias to it there is recursive, one placeholder value).
    let mut anchors: Vec<Option<Size>> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut open_anchors: u64 = 0;
    let mut documents = 0;
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else {
            break;
        };
        let at = Span {
            line: span.start.line() as u32,
            column: span.start.col() as u32 + 1,
            len: span.len().max(1) as u32,
        };
        let one = |events| Size {
            values: 1,
            events,
            text: 0,
            owned: 0,
        };
        // What this event adds once expanded, and the anchor of a scalar it defines.
        let (added, scalar_anchor) = match &event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    break;
                }
                continue;
            }
            Event::Scalar(value, _, anchor, tag) => {
                let len = (value.len() + tag.as_ref().map_or(0, |t| tag_len(t))) as u64;
                m.written += 1;
                m.written_text = m.written_text.saturating_add(len);
                let owned = match value {
                    Cow::Owned(v) => v.len(),
                    Cow::Borrowed(_) => 0,
                } + tag.as_ref().map_or(0, |t| t.to_string().len());
                let size = Size {
                    text: len,
                    owned: owned as u64,
                    ..one(1)
                };
                if *anchor != 0 {
                    set(&mut anchors, *anchor, Some(size));
                }
                (size, *anchor)
            }
            Event::SequenceStart(_, anchor, tag) | Event::MappingStart(_, anchor, tag) => {
                m.written += 1;
                let owned = tag.as_ref().map_or(0, |t| t.to_string().len()) as u64;
                if frames.len() >= limits.max_depth {
                    // serde-saphyr refuses it at this depth, where it is.
                    break;
                }
                frames.push(Frame {
                    anchor: *anchor,
                    size: Size::default(),
                    at,
                });
                if *anchor != 0 {
                    set(&mut anchors, *anchor, None);
                    open_anchors += 1;
                    // The start is its anchor's first copy; the other open anchors' copies
                    // are counted below.
                    m.copies = m.copies.saturating_add(1);
                    m.copied_text = m.copied_text.saturating_add(owned);
                }
                (Size { owned, ..one(1) }, 0)
            }
            Event::SequenceEnd | Event::MappingEnd => (
                Size {
                    values: 0,
                    ..one(1)
                },
                0,
            ),
            Event::Alias(id) => {
                m.written += 1;
                match anchors.get(*id) {
                    Some(Some(size)) => (*size, 0),
                    // Recursive: serde-saphyr reads one placeholder (and reports it).
                    Some(None) => (one(1), 0),
                    None => break,
                }
            }
            _ => continue,
        };
        m.values = m.values.saturating_add(added.values);
        m.text = m.text.saturating_add(added.text);
        // Each event is copied into every anchor it is inside (a new anchor's own start was
        // counted above), and an anchored scalar is kept once more as its anchor's value.
        let starts = matches!(event, Event::SequenceStart(..) | Event::MappingStart(..));
        let inside =
            open_anchors - u64::from(starts && frames.last().is_some_and(|f| f.anchor != 0));
        m.copies = m
            .copies
            .saturating_add(inside.saturating_mul(added.events))
            .saturating_add(u64::from(scalar_anchor != 0));
        m.copied_text = m
            .copied_text
            .saturating_add(inside.saturating_mul(added.owned))
            .saturating_add(if scalar_anchor != 0 { added.owned } else { 0 });
        if matches!(event, Event::SequenceEnd | Event::MappingEnd) {
            if let Some(mut f) = frames.pop() {
                f.size.add(added);
                if f.anchor != 0 {
                    set(&mut anchors, f.anchor, Some(f.size));
                    open_anchors -= 1;
                }
                if let Some(parent) = frames.last_mut() {
                    parent.size.add(f.size);
                }
            }
        } else if let Some(f) = frames.last_mut() {
            f.size.add(added);
        }
        match stop {
            None if m.values > limits.max_values as u64
                && limits.expansion.saturating_mul(m.written) >= limits.max_values as u64 =>
            {
                return (m, Some(at));
            }
            Some((Over::Values, bound)) if m.values > bound => return (m, Some(at)),
            Some((Over::Text, bound)) if m.text > bound => return (m, Some(at)),
            Some((Over::Copies, bound)) if m.copies > bound => {
                // At the outermost anchor whose value is copied over and over.
                let at = frames.iter().find(|f| f.anchor != 0).map_or(at, |f| f.at);
                return (m, Some(at));
            }
            Some((Over::CopiedText, bound)) if m.copied_text > bound => {
                let at = frames.iter().find(|f| f.anchor != 0).map_or(at, |f| f.at);
                return (m, Some(at));
            }
            _ => {}
        }
    }
    (m, None)
}

fn set(anchors: &mut Vec<Option<Size>>, id: usize, size: Option<Size>) {
    if anchors.len() <= id {
        anchors.resize(id + 1, None);
    }
    anchors[id] = size;
}

/// Bytes serde-saphyr's budget counts for a tag: its handle and suffix as resolved.
fn tag_len(tag: &serde_saphyr::granit_parser::Tag) -> usize {
    let (handle, suffix) = tag.parts();
    handle.len() + suffix.len()
}

/// The error for a file over a limit, with the totals of the whole file.
fn refusal(text: &str, limits: &Limits, m: &Measure, over: Over, at: Span) -> SyntaxError {
    let n = |v: u64| super::thousands(clamp(v));
    let bounds = limits.bounds(m.written, m.written_text);
    // A bound is the ceiling when what the file writes already allows that much.
    let at_ceiling = match over {
        Over::Values => limits.expansion.saturating_mul(m.written) >= limits.max_values as u64,
        Over::Text => {
            limits.expansion.saturating_mul(m.written_text) >= limits.max_text_bytes as u64
        }
        Over::Copies | Over::CopiedText => false,
    };
    let check = "check that this is the file you meant (a value an alias repeats counts each time)";
    let expand = |what: &str, floor: String| {
        format!(
            "once aliases and merge keys are expanded, rolegen reads at most {} times the {what} a file writes ({floor} in any file); write the repeated values out instead",
            limits.expansion
        )
    };
    let (message, help) = match (&over, at_ceiling) {
        (Over::Values, true) => (
            format!(
                "the file has more than {} values, more than rolegen reads",
                n(bounds.values)
            ),
            check.to_string(),
        ),
        (Over::Text, true) => (
            format!(
                "the file's values hold more than {} bytes of text",
                n(bounds.text)
            ),
            check.to_string(),
        ),
        (Over::Values, false) => (
            format!(
                "aliases expand the file's {} values to more than {}, the shape of an alias bomb",
                n(m.written),
                n(bounds.values)
            ),
            expand("values", n(limits.min_values)),
        ),
        (Over::Text, false) => (
            format!(
                "aliases expand the file's {} bytes of text to more than {}, the shape of an alias bomb",
                n(m.written_text),
                n(bounds.text)
            ),
            expand("text", format!("{} bytes", n(limits.min_text_bytes))),
        ),
        (Over::Copies, _) => (
            format!(
                "anchors would keep more than {} copies of the file's {} values, the shape of an alias bomb",
                n(bounds.copies),
                n(m.written)
            ),
            format!(
                "each anchor keeps a copy of everything inside it, so anchors nested many levels deep copy the same values over and over (rolegen keeps at most {} times the values a file writes, {} in any file); anchor the values an alias repeats, not the lists and mappings around them",
                limits.expansion,
                n(limits.min_values)
            ),
        ),
        (Over::CopiedText, _) => (
            format!(
                "anchors would keep more than {} bytes of copies of the file's {} bytes of text, the shape of an alias bomb",
                n(bounds.copied_text),
                n(m.written_text)
            ),
            format!(
                "each anchor keeps a copy of the text inside it that YAML rewrites (quoted with escapes, folded), once for each anchor around it (rolegen keeps at most {} times the text a file writes, {} bytes in any file); anchor the values an alias repeats, not the lists and mappings around them",
                limits.expansion,
                n(limits.min_text_bytes)
            ),
        ),
    };
    let alias = match over {
        Over::Copies | Over::CopiedText => None,
        _ => super::alias_at(text, at),
    };
    let (message, span) = match alias {
        Some(a) => (format!("{message} (at alias `{a}`)"), at),
        None => (message, Span { len: 1, ..at }),
    };
    SyntaxError {
        message,
        span,
        help: Some(help),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::fast_path::{budget_report, corpus};

    fn on_big_stack(f: fn()) {
        // serde-saphyr recurses deeply in debug builds; the corpus nests 100 levels.
        std::thread::Builder::new()
            .stack_size(1 << 28)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    /// An alias bomb: `levels` anchored lists of `width` aliases to the one before, the first
    /// of `width` copies of `leaf`.
    fn laughs(levels: usize, width: usize, leaf: &str) -> String {
        let mut text = format!("a0: &a0 [{}]\n", vec![leaf; width].join(", "));
        for i in 1..levels {
            let alias = format!("*a{}", i - 1);
            text.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![alias.as_str(); width].join(", ")
            ));
        }
        text
    }

    /// Files that share values with anchors, aliases and merge keys, and each of their
    /// shapes nested.
    fn sharing() -> Vec<String> {
        let mut v = vec![
            "a: &a 1\nb: *a\nc: [*a, *a, {d: *a}]\n".to_string(),
            "a: &a {x: 1, y: [2, 3]}\nb: *a\nc: {<<: *a, z: 4}\nd: {<<: [*a, {w: 5}]}\n".into(),
            "a: &a [1, &b [2, &c {d: 3}]]\nb: [*a, *b, *c]\n".into(),
            "a: &a !!str 12\nb: &b !!map {c: !!int '3'}\nc: [*a, *b]\n".into(),
            "a: &a \"x\\ny\"\nb: &b 'it''s'\nc: &c |\n  block\n  text\nd: [*a, *b, *c]\n".into(),
            "- &a [1, 2]\n- *a\n- [*a, [*a, [*a]]]\n".into(),
            "a: &a {b: &b {c: &c [x, y]}}\nd: [*a, *b, *c]\n".into(),
            "base: &base {x: 1}\nc:\n  <<: *base\n  y: 2\n".into(),
            laughs(3, 4, "x"),
            laughs(4, 3, "\"a long value\""),
        ];
        let routes: String = (0..300).map(|i| format!("  GET /r{i}: *s\n")).collect();
        v.push(format!("s: &s [a, b, c]\nroutes:\n{routes}"));
        v
    }

    #[test]
    fn counts_what_serde_saphyr_counts() {
        on_big_stack(|| {
            let mut compared = 0;
            for text in corpus().into_iter().chain(sharing()) {
                let Some(report) = budget_report(&text) else {
                    continue;
                };
                let m = measure(&text, &ROLES).unwrap();
                assert_eq!(m.values, report.nodes as u64, "values of {text:?}");
                assert_eq!(
                    m.copies, report.recorded_anchor_events as u64,
                    "copies of {text:?}"
                );
                assert_eq!(
                    m.copied_text, report.recorded_anchor_bytes as u64,
                    "copied text of {text:?}"
                );
                compared += 1;
            }
            assert!(compared > 60, "{compared}");
        });
    }

    #[test]
    fn real_sharing_is_read() {
        // One list shared by 100,000 routes: each alias adds 4 values to the 2 written.
        let routes: String = (0..100_000).map(|i| format!("  GET /r{i}: *s\n")).collect();
        let text = format!("s: &s [a, b, c]\nroutes:\n{routes}");
        let m = measure(&text, &ROLES).unwrap();
        assert_eq!((m.written, m.values), (200_008, 500_008));
        // A 20-scope list shared 400 times stays within what any file may expand to.
        let scopes: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
        let routes: String = (0..400).map(|i| format!("  GET /r{i}: *s\n")).collect();
        let text = format!("s: &s [{}]\nroutes:\n{routes}", scopes.join(", "));
        assert!(measure(&text, &ROLES).is_ok());
    }

    /// Each kind of bomb is refused, located at the alias (or anchor) where it passes the
    /// bound that the whole file allows, and worded for the person who wrote it.
    #[test]
    fn bombs_are_refused_where_they_pass_the_bounds() {
        let refuse = |text: &str| measure(text, &ROLES).unwrap_err();

        let e = refuse(&laughs(9, 9, "x"));
        assert_eq!(
            e.message,
            "aliases expand the file's 100 values to more than 10,000, the shape of an alias bomb (at alias `*a3`)"
        );
        // `a0` to `a3` expand to 8,302 values, so the first `*a3` (7,381 more) passes 10,000.
        assert_eq!((e.span.line, e.span.column, e.span.len), (5, 10, 3));

        // Merge keys: each anchored mapping merges nine of the one before.
        let mut merges = String::from("a0: &a0 {k0: x, k1: x, k2: x}\n");
        for i in 1..9 {
            let p = i - 1;
            merges.push_str(&format!(
                "a{i}: &a{i} {{<<: [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}], z{i}: 1}}\n"
            ));
        }
        let e = refuse(&merges);
        assert!(
            e.message.starts_with("aliases expand the file's "),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("the shape of an alias bomb"),
            "{}",
            e.message
        );

        // Long text, few values: 9³ copies of nine values of 2,000 bytes.
        let e = refuse(&laughs(4, 9, &"y".repeat(2000)));
        assert!(
            e.message
                .starts_with("aliases expand the file's 18,008 bytes of text"),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("bytes of text to more than 1,048,576"),
            "{}",
            e.message
        );

        // Anchors nested 20 deep around a list of 2,000: no alias, but 20 copies kept.
        let mut nested = String::new();
        for i in 0..20 {
            nested.push_str(&format!("{}a{i}: &a{i}\n", "  ".repeat(i)));
        }
        nested.push_str(&format!("{}- x\n", "  ".repeat(20)).repeat(2000));
        let e = refuse(&nested);
        assert!(
            e.message.starts_with("anchors would keep more than 20,"),
            "{}",
            e.message
        );
        assert_eq!((e.span.line, e.span.column), (2, 3), "{}", e.message);

        // Anchors nested 20 deep around one value that YAML rewrites (an escape): each keeps
        // a copy of its 200,000 bytes.
        let mut text: String = (0..20)
            .map(|i| format!("{}a{i}: &a{i}\n", "  ".repeat(i)))
            .collect();
        text.push_str(&format!(
            "{}- \"\\n{}\"\n",
            "  ".repeat(20),
            "y".repeat(200_000)
        ));
        let e = refuse(&text);
        assert!(
            e.message
                .starts_with("anchors would keep more than 2,000,5"),
            "{}",
            e.message
        );
        assert!(e.message.contains("bytes of copies"), "{}", e.message);
    }
}
