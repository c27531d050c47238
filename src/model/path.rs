//! HTTP methods and resource paths, parsed by API Gateway's own rules so that a route that
//! validates here is one API Gateway will accept.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
    /// API Gateway's catch-all method.
    Any,
}

impl Method {
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
        Method::Options,
        Method::Any,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Any => "ANY",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Literal(String),
    /// `{name}`: one path segment.
    Var(String),
    /// `{name+}`: the rest of the path, one or more segments; only last.
    Greedy(String),
}

impl Segment {
    pub fn is_variable(&self) -> bool {
        !matches!(self, Segment::Literal(_))
    }

    /// The text of the segment as API Gateway's `PathPart` wants it.
    pub fn path_part(&self) -> String {
        match self {
            Segment::Literal(s) => s.clone(),
            Segment::Var(v) => format!("{{{v}}}"),
            Segment::Greedy(v) => format!("{{{v}+}}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path {
    pub segments: Vec<Segment>,
}

impl Path {
    pub fn root() -> Path {
        Path {
            segments: Vec::new(),
        }
    }

    /// Same route up to variable names: `/a/{id}` and `/a/{orderId}` are one resource.
    pub fn same_shape(&self, other: &Path) -> bool {
        self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|(a, b)| match (a, b) {
                    (Segment::Literal(x), Segment::Literal(y)) => x == y,
                    (Segment::Var(_), Segment::Var(_)) => true,
                    (Segment::Greedy(_), Segment::Greedy(_)) => true,
                    _ => false,
                })
    }

    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Var(v) | Segment::Greedy(v) => Some(v.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// Parses a path by API Gateway's rules. On error, returns the message, the character
    /// offset and length (in characters, within `s`) of the offending part, and a hint.
    pub fn parse(s: &str) -> Result<Path, PathError> {
        if !s.starts_with('/') {
            return Err(PathError {
                message: format!("path `{s}` must start with `/`"),
                offset: 0,
                len: s.chars().count().max(1),
                help: Some(format!("write `/{s}`")),
            });
        }
        if s == "/" {
            return Ok(Path::root());
        }
        let count = s.bytes().filter(|&b| b == b'/').count();
        let mut segments = Vec::with_capacity(count);
        // API Gateway gives each variable its own parameter: one name cannot stand for two
        // segments.
        let mut names = Names::default();
        // The byte where the current part starts, after its `/`.
        let mut start = 1;
        for (i, part) in parts(s).enumerate() {
            let last = i + 1 == count;
            // Offsets are in characters; counted only when there is an error to point at.
            let offset = || s[..start].chars().count();
            let err = |message: String, help: Option<String>| PathError {
                message,
                offset: offset(),
                len: part.chars().count().max(1),
                help,
            };
            if part.is_empty() {
                let help = if last {
                    "remove the trailing `/`"
                } else {
                    "remove the repeated `/`"
                };
                // Underline the slash that has nothing after it.
                return Err(PathError {
                    message: format!("path `{s}` has an empty segment"),
                    offset: offset() - 1,
                    len: 1,
                    help: Some(help.to_string()),
                });
            }
            let seg = if let Some(inner) = part.strip_prefix('{') {
                let Some(inner) = inner.strip_suffix('}') else {
                    return Err(err(
                        format!("segment `{part}` opens `{{` without closing it"),
                        Some("a variable is a whole segment: `{name}` or `{name+}`".into()),
                    ));
                };
                let (name, greedy) = match inner.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (inner, false),
                };
                if name.is_empty() || !name.bytes().all(is_path_byte) {
                    return Err(err(
                        format!("variable `{part}` has an invalid name"),
                        Some("variable names use only letters, digits, `.`, `_` and `-`".into()),
                    ));
                }
                if !names.insert(name) {
                    return Err(err(
                        format!("variable `{name}` appears twice in path `{s}`"),
                        Some(format!(
                            "give each variable of a path its own name, e.g. `{{{name}2}}`"
                        )),
                    ));
                }
                if greedy {
                    if !last {
                        return Err(err(
                            format!("greedy variable `{part}` must be the last segment"),
                            Some(
                                "API Gateway matches `{name+}` against the rest of the path".into(),
                            ),
                        ));
                    }
                    Segment::Greedy(name.to_string())
                } else {
                    Segment::Var(name.to_string())
                }
            } else {
                if !part.bytes().all(is_path_byte)
                    && let Some(bad) = part.chars().find(|&c| !is_path_char(c))
                {
                    return Err(err(
                        format!("segment `{part}` contains `{bad}`"),
                        Some(
                            "API Gateway allows only letters, digits, `.`, `_` and `-` in a path segment, or a whole-segment variable `{name}`".into(),
                        ),
                    ));
                }
                Segment::Literal(part.to_string())
            };
            segments.push(seg);
            start += part.len() + 1;
        }
        Ok(Path { segments })
    }
}

/// The segments of a path as written, between its `/`s (`/a/{b}`: `a`, `{b}`); none for `/`.
/// For a path `Path::parse` accepts, these are the segments' `path_part`s.
pub(crate) fn parts(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = path.strip_prefix('/').filter(|p| !p.is_empty());
    std::iter::from_fn(move || {
        let r = rest?;
        // A byte search: the parts are short, and `/` is ASCII, so every cut is a character
        // boundary.
        match r.bytes().position(|b| b == b'/') {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The variable names of a path so far: a short list, as nearly every path has a few; a set
/// once there are many, so that a hostile path of thousands stays linear.
#[derive(Default)]
struct Names<'a> {
    few: Vec<&'a str>,
    many: Option<std::collections::HashSet<&'a str>>,
}

impl<'a> Names<'a> {
    /// False when the name is there already.
    fn insert(&mut self, name: &'a str) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(name);
        }
        if self.few.contains(&name) {
            return false;
        }
        self.few.push(name);
        if self.few.len() > 16 {
            self.many = Some(self.few.drain(..).collect());
        }
        true
    }
}

/// API Gateway: "Resource's path part only allow a-zA-Z0-9._- and curly braces at the
/// beginning and the end and an optional plus sign before the closing brace."
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// `is_path_char` by byte: the allowed characters are ASCII, so a string's characters are all
/// allowed exactly when its bytes are.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

#[derive(Debug, PartialEq, Eq)]
pub struct PathError {
    pub message: String,
    pub offset: usize,
    pub len: usize,
    pub help: Option<String>,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("/");
        }
        for s in &self.segments {
            write!(f, "/{}", s.path_part())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for p in [
            "/",
            "/orders",
            "/orders/{orderId}",
            "/files/{proxy+}",
            "/a.b/c-d/e_f",
        ] {
            assert_eq!(Path::parse(p).unwrap().to_string(), p);
        }
    }

    #[test]
    fn rejects_bad_paths() {
        let cases = [
            ("orders", "must start with `/`", "orders"),
            ("/orders/", "empty segment", "/"),
            ("/a//b", "empty segment", "/"),
            ("/a/{x", "without closing", "{x"),
            ("/a/{p+}/b", "must be the last", "{p+}"),
            ("/a/b*", "contains `*`", "b*"),
            ("/a/{}", "invalid name", "{}"),
            ("/a/x{y}", "contains `{`", "x{y}"),
            ("/a/{b}/{b}", "variable `b` appears twice", "{b}"),
            ("/a/{b}/c/{b+}", "variable `b` appears twice", "{b+}"),
        ];
        for (input, msg, underlined) in cases {
            let e = Path::parse(input).unwrap_err();
            assert!(e.message.contains(msg), "{input}: {}", e.message);
            let shown: String = input.chars().skip(e.offset).take(e.len).collect();
            assert_eq!(shown, underlined, "{input}");
        }
    }

    #[test]
    fn a_long_path_repeats_no_variable() {
        let path: String = (0..100).map(|i| format!("/s/{{v{i}}}")).collect();
        assert!(Path::parse(&path).is_ok());
        let e = Path::parse(&format!("{path}/{{v7}}")).unwrap_err();
        assert_eq!(
            e.message,
            format!("variable `v7` appears twice in path `{path}/{{v7}}`")
        );
        assert_eq!(e.offset, path.chars().count() + 1);
    }

    #[test]
    fn shape_ignores_variable_names() {
        let a = Path::parse("/o/{id}").unwrap();
        let b = Path::parse("/o/{orderId}").unwrap();
        let c = Path::parse("/o/{id+}").unwrap();
        assert!(a.same_shape(&b));
        assert!(!a.same_shape(&c));
    }
}
