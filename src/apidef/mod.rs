//! Readers of API definitions written by other tools, for `rolegen drift`.
//!
//! Teams define their API in SAM, CDK, the Serverless Framework or by hand, and export it from
//! API Gateway; each tool writes a different shape. Every reader here turns its shape into the
//! same list of routes (method, path, how the API authorizes it, where in the file), so the
//! comparison with `roles.yaml` is written once. What a reader cannot follow (a path built
//! from an import, an authorizer it cannot find) is kept as an `Unresolved` item or an
//! `Auth::Unresolved` route, never guessed and never dropped.
//!
//! The format is told from the content, not the file name: `openapi`/`swagger` → OpenAPI,
//! `Resources` → CloudFormation (SAM when it uses the Serverless transform), `items` with
//! `resourceMethods` → `aws apigateway get-resources`.

mod cfn;
pub mod cognito;
pub mod include;
mod openapi;
mod resources;
pub mod tree;

use crate::diag::Diagnostic;
use crate::model::{Method, Path};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use tree::Node;

/// Which kind of file the definition came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    OpenApi3,
    Swagger2,
    CloudFormation,
    Sam,
    GetResources,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::OpenApi3 => "OpenAPI 3",
            Source::Swagger2 => "Swagger 2",
            Source::CloudFormation => "CloudFormation template",
            Source::Sam => "SAM template",
            Source::GetResources => "`aws apigateway get-resources` output",
        }
    }
}

/// What the file holds: one or more REST APIs (a template can define several).
#[derive(Clone, Debug)]
pub struct ApiDef {
    pub source: Source,
    pub apis: Vec<RestApi>,
    /// What could not be tied to one API (a method whose `RestApiId` and resource are both
    /// imported, say): reported whichever API is compared.
    pub unresolved: Vec<Unresolved>,
}

#[derive(Clone, Debug, Default)]
pub struct RestApi {
    /// The logical ID in a template (`ServerlessRestApi` for SAM's implicit API); empty for a
    /// file that holds one API only.
    pub id: String,
    /// The API's `Name`, when written as plain text.
    pub name: Option<String>,
    pub routes: Vec<ApiRoute>,
    pub unresolved: Vec<Unresolved>,
    /// Local files a body includes (`Fn::Transform: AWS::Include`), read by
    /// [`include::resolve`] once the template's folder is known.
    pub includes: Vec<include::Include>,
    /// How many of the API's definitions (bodies) could not be read: its routes are then
    /// unknown, and a declared route it lacks is "not compared", not "missing".
    pub unread_bodies: usize,
}

impl RestApi {
    /// A definition of this API that could not be read: its routes are unknown.
    pub fn unread(&mut self, line: u32, column: u32, why: String) {
        self.unread_bodies += 1;
        self.unresolved.push(Unresolved::at(line, column, why));
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRoute {
    /// `Method::Any` for `ANY` / `x-amazon-apigateway-any-method`.
    pub method: Method,
    /// Shared by the methods of one path.
    pub path: Rc<Path>,
    pub auth: Auth,
    pub line: u32,
    pub column: u32,
    /// The file the method is in, when it is not the file passed to `drift` (a body included
    /// with `AWS::Include`).
    pub file: Option<Rc<str>>,
}

impl ApiRoute {
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// How the API authorizes a method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `NONE`: anybody may call it.
    None,
    /// `COGNITO_USER_POOLS`; `scopes` empty means any valid token of the pool (ID tokens too).
    Cognito {
        authorizer: String,
        scopes: Vec<String>,
    },
    /// `CUSTOM`: a Lambda authorizer.
    Custom {
        authorizer: String,
        kind: CustomKind,
    },
    /// `AWS_IAM`: SigV4-signed requests, IAM policies decide.
    Iam,
    /// The reader could not tell; the text says why.
    Unresolved(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomKind {
    Token,
    /// `route_key`: what API Gateway's cache key for the authorizer's answers holds (see
    /// [`route_keyed`]); `None` when the file does not say.
    Request {
        route_key: Option<Keyed>,
    },
    /// The authorizer's type is not in the file (e.g. `get-resources` output).
    Unknown,
}

impl Auth {
    /// "no authorization (`NONE`)", "the Cognito authorizer `Pool` with scopes `a`, `b`".
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "no authorization (`NONE`)".into(),
            Auth::Cognito { authorizer, scopes } => {
                let who = if authorizer.is_empty() {
                    "a Cognito authorizer".to_string()
                } else {
                    format!("the Cognito authorizer `{authorizer}`")
                };
                if scopes.is_empty() {
                    format!("{who} without scopes")
                } else {
                    format!("{who} with scopes {}", quote_list(scopes))
                }
            }
            Auth::Custom { authorizer, kind } => {
                let kind = match kind {
                    CustomKind::Token => "TOKEN ",
                    CustomKind::Request { .. } => "REQUEST ",
                    CustomKind::Unknown => "",
                };
                if authorizer.is_empty() {
                    format!("a {kind}Lambda authorizer (`CUSTOM`)")
                } else {
                    format!("the {kind}Lambda authorizer `{authorizer}` (`CUSTOM`)")
                }
            }
            Auth::Iam => "IAM authorization (`AWS_IAM`)".into(),
            Auth::Unresolved(why) => format!("an authorization rolegen cannot resolve ({why})"),
        }
    }
}

/// Whether a REQUEST authorizer's answers are cached per route: its identity sources (the
/// cache key) hold the verb and the resource or path, or caching is off (TTL 0). An answer
/// that covers one route only (rolegen's) must never be reused for another. `None` when the
/// identity sources are unknown (not in the file, or not plain text).
pub fn route_keyed(identity_source: Option<&str>, ttl: Option<i64>) -> Option<Keyed> {
    if ttl == Some(0) {
        return Some(Keyed::Path);
    }
    let sources: Vec<&str> = identity_source?.split(',').map(str::trim).collect();
    let has = |s: &str| sources.contains(&s);
    Some(if !has("context.httpMethod") {
        Keyed::No
    } else if has("context.path") {
        Keyed::Path
    } else if has("context.resourcePath") {
        Keyed::Route
    } else {
        Keyed::No
    })
}

/// How narrowly a REQUEST authorizer's cached answers are reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyed {
    /// Across routes (the cache key lacks the verb or the route).
    No,
    /// For the same route (verb and resource), whatever its path values.
    Route,
    /// For the same verb and concrete path (or never: TTL 0), as `match` routes need.
    Path,
}

/// "`a`, `b`".
pub fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Something in the file that may serve routes but could not be followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

impl Unresolved {
    pub fn at(node_line: u32, node_column: u32, message: impl Into<String>) -> Self {
        Unresolved {
            message: crate::diag::shorten_echoes(message.into()),
            line: node_line,
            column: node_column,
        }
    }
}

/// Reads an API definition of any supported kind.
pub fn read(text: &str) -> Result<ApiDef, Diagnostic> {
    let doc = tree::parse(text)?;
    read_tree(doc.root()).map_err(|d| with_quotes(d, text))
}

/// [`read`], and the Cognito side of the same file (empty unless it is a template), from one
/// parse.
pub fn read_with_cognito(text: &str) -> Result<(ApiDef, cognito::CognitoSide), Diagnostic> {
    let doc = tree::parse(text)?;
    let def = read_tree(doc.root()).map_err(|d| with_quotes(d, text))?;
    let side = match def.source {
        Source::CloudFormation | Source::Sam => cognito::read(doc.root()),
        _ => cognito::CognitoSide::default(),
    };
    Ok((def, side))
}

/// The readers place a key where it starts and underline its text; a key written in quotes
/// (every key of a JSON file) starts at its opening quote, so the underline takes the quotes
/// too.
fn with_quotes(mut d: Diagnostic, text: &str) -> Diagnostic {
    if let Some(span) = &mut d.span
        && let Some(line) = crate::diag::lines(text).nth(span.line.saturating_sub(1) as usize)
        && let Some(q @ ('"' | '\'')) = line.chars().nth(span.column.saturating_sub(1) as usize)
        && line
            .chars()
            .nth((span.column + span.len) as usize)
            .is_some_and(|c| c == q)
    {
        span.len += 2;
    }
    d
}

pub fn read_tree(doc: Node) -> Result<ApiDef, Diagnostic> {
    if doc.get("openapi").is_some() || doc.get("swagger").is_some() {
        let (source, api) = openapi::read_document(doc, &openapi::Defaults::default())?;
        return Ok(ApiDef {
            source,
            apis: vec![api],
            unresolved: Vec::new(),
        });
    }
    if doc.get("Resources").is_some() {
        return cfn::read(doc);
    }
    if let Some(items) = doc.get("items") {
        // `get-resources` writes a `path` for every resource: without one, this is no such
        // output (or an edited one), and saying it lacks `items` would be wrong.
        let what = "`aws apigateway get-resources` output";
        if !items.is_seq() {
            return Err(Diagnostic::error(
                "api-format",
                format!(
                    "`items` is {}, not a list as in {what}",
                    if items.is_map() {
                        "a mapping"
                    } else {
                        "a single value"
                    }
                ),
            )
            .at(items.span())
            .help("pass the JSON of `aws apigateway get-resources --embed methods` unchanged"));
        }
        if let Some((n, item)) = items
            .items()
            .enumerate()
            .find(|(_, i)| i.get("path").is_none())
        {
            return Err(Diagnostic::error(
                "api-format",
                format!(
                    "entry {} of `items` has no `path`, which every resource has in {what}",
                    n + 1
                ),
            )
            .at(item.span())
            .label("no `path`")
            .help("pass the JSON of `aws apigateway get-resources --embed methods` unchanged"));
        }
        return resources::read(doc, items);
    }
    let what = if doc.is_map() {
        "a mapping without `openapi`, `swagger`, `Resources` or `items`"
    } else if doc.is_seq() {
        "a list"
    } else {
        "a single value"
    };
    Err(Diagnostic::error(
        "api-format",
        format!("cannot tell what kind of API definition this is: it is {what}"),
    )
    .at(doc.span())
    .help(
        "pass an OpenAPI 3 / Swagger 2 export (`aws apigateway get-export`), a CloudFormation or SAM template, or the JSON of `aws apigateway get-resources --embed methods`",
    ))
}

/// A path as API Gateway would take it, or the reason it is not one.
pub(crate) fn parse_path(text: &str) -> Result<Path, String> {
    Path::parse(text).map_err(|e| e.message)
}

pub(crate) fn parse_method(text: &str) -> Option<Method> {
    if text.eq_ignore_ascii_case("x-amazon-apigateway-any-method") {
        return Some(Method::Any);
    }
    Method::ALL
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(text))
}

/// A hash map for keys from the user's own files (logical IDs, path shapes): foldhash, fast
/// (the standard hasher took most of the time of reading a large template) and seeded per
/// process, so keys crafted against it cannot make lookups quadratic. Nothing iterates these
/// maps into output, so the seed never changes what rolegen writes.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;
