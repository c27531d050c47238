//! Text in Markdown output, escaped in one place for both writers of Markdown (the access
//! matrix in `gen::docs`, and `drift` / `diff` findings for pull-request comments), so that a
//! group, scope or route name can never start markup or break a table in either.

/// Text that renders as itself in CommonMark and GitHub markdown, also inside a table cell:
/// every character that could start markup (emphasis, code, links, HTML, entities, tables,
/// strikethrough, math) is backslash-escaped, and line breaks become spaces so a cell stays
/// on its row.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// [`escape`] appended to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    if !s.bytes().any(special) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '$' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Bytes that [`escape`] changes (non-ASCII is checked char by char, for controls).
fn special(b: u8) -> bool {
    matches!(
        b,
        b'\\' | b'`' | b'*' | b'_' | b'[' | b']' | b'<' | b'>' | b'|' | b'&' | b'~' | b'$' | b'#'
    ) || !(0x20..0x7F).contains(&b)
}

/// Text as a code span in a table cell: shown literally (nothing inside a code span is
/// markup), with the cell kept whole: a pipe escaped as GitHub's tables require even in code,
/// line breaks as spaces, and the fence longer than any run of backticks inside.
pub fn code_span(s: &str) -> String {
    let body: String = s
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect::<String>()
        .replace('|', "\\|");
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest == 0 {
        return format!("`{body}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {body} {fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_cells_on_their_row() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("</script>"), "\\</script\\>");
        assert_eq!(escape("${x} `q`"), "\\${x} \\`q\\`");
        assert_eq!(escape("two\nlines"), "two lines");
        assert_eq!(escape("orders.write"), "orders.write");
        // What the pull-request comments used to leave alone, and a name could break with.
        assert_eq!(escape("*_[x](y)&amp;"), "\\*\\_\\[x\\](y)\\&amp;");
    }

    #[test]
    fn code_spans_are_literal_and_keep_the_row() {
        assert_eq!(code_span("GET /a|b/{id}"), "`GET /a\\|b/{id}`");
        assert_eq!(code_span("a`b"), "`` a`b ``");
        assert_eq!(code_span("x``y\nz"), "``` x``y z ```");
        assert_eq!(code_span("<b>"), "`<b>`");
    }
}
