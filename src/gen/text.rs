//! Putting data into generated code. Names from roles.yaml never reach code as raw text: they
//! are serialized as JSON, with the characters that could end a string or a script escaped,
//! and code is rendered from templates embedded in the binary.

use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;
use std::sync::OnceLock;

/// The templates under `templates/`, compiled into the binary so that output never depends
/// on files beside it.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "authorizer.mjs.j2",
        include_str!("../../templates/authorizer.mjs.j2"),
    ),
    (
        "authorizer-event.mjs.j2",
        include_str!("../../templates/authorizer-event.mjs.j2"),
    ),
    (
        "avp-authorizer.mjs.j2",
        include_str!("../../templates/avp-authorizer.mjs.j2"),
    ),
    (
        "pretoken.mjs.j2",
        include_str!("../../templates/pretoken.mjs.j2"),
    ),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("embedded templates are valid (tested)");
        }
        env
    })
}

/// Renders an embedded template. The context should carry data only as `js_literal` output.
pub fn render(name: &str, ctx: Value) -> String {
    env()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| panic!("embedded template {name} failed to render: {e:#}"))
}

/// A value as a JavaScript expression: JSON (a subset of JS since ES2019) with `<`, `>`, `&`,
/// U+2028 and U+2029 escaped, so that no string can close a `</script>`, a comment or a
/// template, or end a line inside a literal in an older parser.
pub fn js_literal<T: Serialize + ?Sized>(value: &T) -> String {
    let json = serde_json::to_string(value).expect("plain data always serializes");
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Appends the path as `Path`'s `Display` writes it (`/orders/{orderId}/{rest+}`), without the
/// string per segment that `Display` builds: generators write a path for every route.
pub fn push_path(out: &mut String, path: &crate::model::Path) {
    push_segments(out, &path.segments);
}

/// [`push_path`] for a path's first segments (a prefix of it).
pub fn push_segments(out: &mut String, segments: &[crate::model::Segment]) {
    use crate::model::Segment;
    if segments.is_empty() {
        out.push('/');
    }
    for seg in segments {
        out.push('/');
        match seg {
            Segment::Literal(s) => out.push_str(s),
            Segment::Var(v) => {
                out.push('{');
                out.push_str(v);
                out.push('}');
            }
            Segment::Greedy(v) => {
                out.push('{');
                out.push_str(v);
                out.push_str("+}");
            }
        }
    }
}

/// Appends the route's key as `Route::key` writes it (`GET /orders/{orderId}`).
pub fn push_key(out: &mut String, route: &crate::model::Route) {
    out.push_str(route.method.as_str());
    out.push(' ');
    push_path(out, &route.path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_keys_are_written_as_display_writes_them() {
        for p in [
            "/",
            "/a",
            "/a/{b}/c/{d+}",
            "/orders/{orderId}/files/{path+}",
        ] {
            let path = crate::model::Path::parse(p).unwrap();
            let mut out = String::new();
            push_path(&mut out, &path);
            assert_eq!(out, path.to_string());
        }
    }

    #[test]
    fn js_literal_escapes_what_could_break_out() {
        let s = js_literal(&["\"]; process.exit(1); //", "</script>", "a\u{2028}b", "\\"]);
        assert_eq!(
            s,
            r#"["\"]; process.exit(1); //","\u003c/script\u003e","a\u2028b","\\"]"#
        );
    }
}
