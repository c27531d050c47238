//! A small YAML emitter for the JSON values that `cfn` and `openapi` build. A general YAML
//! serializer (serde-saphyr's) decides quoting through many rules written for every kind of
//! data, and was most of the cost of those two targets at 1,000 routes; these documents only
//! need block mappings, block sequences and scalars, written into one `String`.
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

/// The value as a YAML document (block style, two-space indentation, ending in a newline).
pub fn to_string(v: &Value) -> String {
    let mut out = String::with_capacity(4096);
    write(&mut out, v);
    out
}

/// Appends the value as a YAML document to `out`.
pub fn write(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) if !m.is_empty() => entries(out, m, 0, false),
        Value::Array(a) if !a.is_empty() => items(out, a, 0, false),
        _ => {
            scalar(out, v, false);
            out.push('\n');
        }
    }
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

/// A mapping's entries at `col`; with `inline`, the first one continues the current line
/// (after a sequence's `- `).
fn entries(out: &mut String, m: &Map<String, Value>, col: usize, inline: bool) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 || !inline {
            indent(out, col);
        }
        string(out, k, true);
        out.push(':');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                entries(out, m, col + 2, false);
            }
            // A sequence under a key starts at the key's column: `key:\n- item`.
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                items(out, a, col, false);
            }
            _ => {
                out.push(' ');
                scalar(out, v, false);
                out.push('\n');
            }
        }
    }
}

fn items(out: &mut String, a: &[Value], col: usize, inline: bool) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 || !inline {
            indent(out, col);
        }
        out.push_str("- ");
        match v {
            Value::Object(m) if !m.is_empty() => entries(out, m, col + 2, true),
            Value::Array(a) if !a.is_empty() => items(out, a, col + 2, true),
            _ => {
                scalar(out, v, false);
                out.push('\n');
            }
        }
    }
}

/// A scalar, or an empty collection in flow style.
fn scalar(out: &mut String, v: &Value, key: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => number(out, n),
        Value::String(s) => string(out, s, key),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
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
