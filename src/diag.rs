//! Diagnostics: one type for every problem rolegen reports about its input, so that every
//! error looks the same (file:line:column, the offending text underlined, a help line) and
//! can be printed for a person or as JSON for a machine.
//!
//! Messages follow Cedar's style: lowercase, no final period, user input in backticks.

use serde::Serialize;
use std::fmt::Write as _;

/// A place in a source file: 1-based line and column (in characters), and the length of the
/// underlined text in characters (at least one caret is always drawn).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

impl Span {
    pub const UNKNOWN: Span = Span {
        line: 0,
        column: 0,
        len: 0,
    };

    pub fn is_known(&self) -> bool {
        self.line > 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier of the check, e.g. `unknown-scope`.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// Short text printed under the carets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: shorten_echoes(message.into()),
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        if span.is_known() {
            self.span = Some(span);
        }
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(shorten_echoes(label.into()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(shorten_echoes(help.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The text the span underlines, as the tests want to see it (not byte offsets).
    pub fn underlined<'a>(&self, source: &'a str) -> Option<&'a str> {
        let span = self.span?;
        let line = lines(source).nth(span.line.checked_sub(1)? as usize)?;
        self.underlined_on(line)
    }

    /// The text the span underlines on `line`, the line it names.
    fn underlined_on<'a>(&self, line: &'a str) -> Option<&'a str> {
        let span = self.span?;
        let start = char_to_byte(line, span.column.saturating_sub(1) as usize);
        let end = char_to_byte(
            line,
            (span.column.saturating_sub(1) + span.len.max(1)) as usize,
        );
        Some(&line[start..end])
    }
}

/// Messages echo the user's text between backticks; a run longer than this many characters
/// is cut with `…`. Real names and routes are far shorter, and a 100,000-character route key
/// once put 98 KB on stderr for one error.
pub const MAX_ECHO: usize = 200;

/// `text` cut to `MAX_ECHO` characters with `…`.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `text` with every run between backticks (user input, by the messages' convention) cut to
/// `MAX_ECHO` characters. An unclosed backtick quotes the rest.
pub fn shorten_echoes(text: String) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if !parts
        .iter()
        .skip(1)
        .step_by(2)
        .any(|p| p.len() > MAX_ECHO && p.chars().count() > MAX_ECHO)
    {
        return text;
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                shorten(p)
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// The lines of a text as YAML counts them: a line ends at `\n`, `\r\n` or a lone `\r`
/// (`str::lines` does not end one at a lone `\r`, so a file saved with old Mac line ends
/// would show the wrong line under every error). Both readers number lines this way.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text).filter(|t| !t.is_empty());
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == b'\n' || b == b'\r') {
            Some(i) => {
                let next = if r[i..].starts_with("\r\n") {
                    i + 2
                } else {
                    i + 1
                };
                rest = Some(&r[next..]).filter(|t| !t.is_empty());
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The lines of a text, split once. Finding a diagnostic's line by counting from the top
/// made 20,000 errors in one file take seconds to print (each scanned the file again); with
/// the lines at hand every diagnostic finds its own at once.
pub struct Lines<'a>(Vec<&'a str>);

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Lines(lines(text).collect())
    }

    /// Line `number` (1-based), when the text has it.
    pub fn get(&self, number: u32) -> Option<&'a str> {
        self.0.get(number.checked_sub(1)? as usize).copied()
    }

    /// How many lines the text has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What `d` underlines: `Diagnostic::underlined` without scanning the text.
    pub fn underlined(&self, d: &Diagnostic) -> Option<&'a str> {
        d.underlined_on(self.get(d.span?.line)?)
    }
}

fn char_to_byte(line: &str, chars: usize) -> usize {
    line.char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(line.len())
}

/// A source file as diagnostics need it: its display name and its text.
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// Renders diagnostics the way rustc and Cedar do:
///
/// ```text
/// error[unknown-scope]: group `Admin` grants undefined scope `admn`
///   --> roles.yaml:14:14
///    |
/// 14 |     scopes: [admn]
///    |              ^^^^ not declared under `scopes`
///    = help: did you mean `admin`?
/// ```
pub fn render(diag: &Diagnostic, src: &Source, color: bool) -> String {
    let line = diag
        .span
        .and_then(|span| lines(src.text).nth(span.line.checked_sub(1)? as usize));
    render_on(diag, src.name, line, color)
}

/// `render` for one of many diagnostics of a file, whose lines are already split.
pub fn render_in(diag: &Diagnostic, name: &str, lines: &Lines, color: bool) -> String {
    let line = diag.span.and_then(|span| lines.get(span.line));
    render_on(diag, name, line, color)
}

/// `render` with the line the diagnostic's span names (`None`: the file has no such line).
fn render_on(diag: &Diagnostic, name: &str, line: Option<&str>, color: bool) -> String {
    let (bold, red, yellow, blue, reset) = if color {
        (
            "\x1b[1m",
            "\x1b[1;31m",
            "\x1b[1;33m",
            "\x1b[1;34m",
            "\x1b[0m",
        )
    } else {
        ("", "", "", "", "")
    };
    let (kind, kind_color) = match diag.severity {
        Severity::Error => ("error", red),
        Severity::Warning => ("warning", yellow),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{kind_color}{kind}[{}]{reset}{bold}: {}{reset}",
        diag.code, diag.message
    );
    match diag.span {
        Some(span) => {
            let line_text = line.unwrap_or("");
            let num = span.line.to_string();
            let pad = " ".repeat(num.len());
            let _ = writeln!(
                out,
                "{pad}{blue}-->{reset} {}:{}:{}",
                name, span.line, span.column
            );
            let _ = writeln!(out, "{pad} {blue}|{reset}");
            let (shown, lead, carets) = excerpt(line_text, span);
            let _ = writeln!(out, "{blue}{num} |{reset} {shown}");
            let label = diag
                .label
                .as_deref()
                .map(|l| format!(" {l}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{pad} {blue}|{reset} {lead}{kind_color}{carets}{label}{reset}"
            );
        }
        None => {
            let _ = writeln!(out, "  {blue}-->{reset} {name}");
        }
    }
    if let Some(help) = &diag.help {
        let _ = writeln!(out, "  {blue}={reset} {bold}help{reset}: {help}");
    }
    out
}

/// Source lines longer than this are cut around the span (a roles file written as one line
/// of JSON would otherwise print whole under every error).
const MAX_SHOWN: usize = 120;
/// Characters kept before the span when a line is cut.
const CONTEXT_BEFORE: usize = 40;

/// The source line as shown (tabs as spaces, cut to `MAX_SHOWN` around the span with `…`),
/// the spaces before the carets, and the carets. Counted in characters, so non-ASCII names
/// still line up.
fn excerpt(line: &str, span: Span) -> (String, String, String) {
    let chars: Vec<char> = line
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let col = (span.column.saturating_sub(1) as usize).min(chars.len());
    let (start, end) = if chars.len() <= MAX_SHOWN {
        (0, chars.len())
    } else {
        let start = col.saturating_sub(CONTEXT_BEFORE);
        (start, (start + MAX_SHOWN).min(chars.len()))
    };
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    let lead = " ".repeat(usize::from(start > 0) + col - start);
    let width = (span.len.max(1) as usize)
        .min(end.saturating_sub(col))
        .max(1);
    (shown, lead, "^".repeat(width))
}

/// The closest candidate by edit distance, for "did you mean" hints; `None` when nothing is
/// close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for cand in candidates {
        let score = strsim::jaro_winkler(&word.to_lowercase(), &cand.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// The help line for an unknown name: a suggestion when one is close, else the list.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match did_you_mean(word, candidates.clone()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => {
            // A file with thousands of names would otherwise list them all.
            const SHOWN: usize = 12;
            let mut all = candidates.into_iter();
            let mut shown: Vec<String> =
                all.by_ref().take(SHOWN).map(|c| format!("`{c}`")).collect();
            let more = all.count();
            if more > 0 {
                shown.push(format!("and {more} more"));
            }
            if shown.is_empty() {
                "nothing is declared yet".to_string()
            } else {
                format!("expected one of {}", shown.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_span_under_non_ascii_text() {
        let src = Source {
            name: "roles.yaml",
            text: "groups:\n  Über: {scopes: [admn]}\n",
        };
        let d = Diagnostic::error("unknown-scope", "undefined scope `admn`")
            .at(Span {
                line: 2,
                column: 19,
                len: 4,
            })
            .label("not declared")
            .help("did you mean `admin`?");
        assert_eq!(d.underlined(src.text), Some("admn"));
        let text = render(&d, &src, false);
        assert!(text.contains("--> roles.yaml:2:19"), "{text}");
        assert!(
            text.contains("                 ^^^^ not declared"),
            "{text}"
        );
        assert!(text.contains("= help: did you mean `admin`?"), "{text}");
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let line = format!("{}admn{}", "x".repeat(500), "y".repeat(500));
        let src = Source {
            name: "roles.yaml",
            text: &line,
        };
        let d = Diagnostic::error("unknown-scope", "undefined scope `admn`").at(Span {
            line: 1,
            column: 501,
            len: 4,
        });
        let text = render(&d, &src, false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[3].len() < 200, "{text}");
        assert!(lines[3].starts_with("1 | …xxx"), "{text}");
        assert!(lines[3].ends_with("yyy…"), "{text}");
        let caret = lines[4].find('^').unwrap();
        assert_eq!(&lines[3][caret + 2..caret + 6], "admn", "{text}");
        assert!(lines[4].ends_with("^^^^"), "{text}");
    }

    #[test]
    fn lines_end_where_yaml_ends_them() {
        let text = "a\nb\r\nc\rd\r\re\n";
        assert_eq!(
            lines(text).collect::<Vec<_>>(),
            ["a", "b", "c", "d", "", "e"]
        );
        assert_eq!(lines("").count(), 0);
        assert_eq!(lines("x").collect::<Vec<_>>(), ["x"]);
        assert_eq!(lines("\n").collect::<Vec<_>>(), [""]);
        // Where `str::lines` agrees (no lone `\r`), so do these.
        for t in ["a\n\nb", "a\r\nb\r\n", "\n\nx"] {
            assert_eq!(lines(t).collect::<Vec<_>>(), t.lines().collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_lone_carriage_return_ends_the_line_shown() {
        let src = Source {
            name: "roles.yaml",
            text: "groups:\r  Admin:\r    scopes: [admn]\r",
        };
        let d = Diagnostic::error("unknown-scope", "undefined scope `admn`").at(Span {
            line: 3,
            column: 14,
            len: 4,
        });
        assert_eq!(d.underlined(src.text), Some("admn"));
        let text = render(&d, &src, false);
        assert!(
            text.contains("3 |     scopes: [admn]\n  |              ^^^^\n"),
            "{text}"
        );
    }

    #[test]
    fn echoed_text_is_cut() {
        let long = "a".repeat(1000);
        let d = Diagnostic::error("bad-path", format!("segment `{long}` contains `*`"))
            .help(format!("write `{long}`"))
            .label("here");
        let cut = format!("{}…", "a".repeat(MAX_ECHO));
        assert_eq!(d.message, format!("segment `{cut}` contains `*`"));
        assert_eq!(d.help.as_deref(), Some(format!("write `{cut}`").as_str()));
        let short = format!("`{}` é `b`", "é".repeat(MAX_ECHO));
        assert_eq!(shorten_echoes(short.clone()), short);
        assert_eq!(
            shorten_echoes(format!("x `{long}")),
            format!("x `{cut}"),
            "an unclosed quote runs to the end"
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("admn", ["admin", "readonly"]), Some("admin"));
        assert_eq!(did_you_mean("zzz", ["admin", "readonly"]), None);
        assert_eq!(suggest("zzz", ["a", "b"]), "expected one of `a`, `b`");
        let many: Vec<String> = (0..100).map(|i| format!("g{i}")).collect();
        assert_eq!(
            suggest("zzz", many.iter().map(String::as_str)),
            "expected one of `g0`, `g1`, `g2`, `g3`, `g4`, `g5`, `g6`, `g7`, `g8`, `g9`, `g10`, `g11`, and 88 more"
        );
    }
}
