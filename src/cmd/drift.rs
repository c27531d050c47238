//! `rolegen drift --api FILE`: does the API that is (or will be) deployed still match
//! `roles.yaml`? Teams rarely let a generator own their whole API, so routes get added in SAM,
//! CDK or by hand without anyone touching the roles; this finds them.
//!
//! The model is the truth. Routes match by method and path shape (variable names may differ).
//! The API's `ANY` answers every method it has no explicit method for, and a request falls
//! through to a less specific resource (`{id}`, `{proxy+}`) when the most specific one has no
//! method for it (API Gateway's dispatch, `model::routing`). So a declared route the API has
//! no method for is still "served" when such a method answers it, and is compared with that
//! method's authorization; an `ANY` or `{proxy+}` that answers methods or paths `roles.yaml`
//! does not declare is itself an undeclared route. A `lambda` file expects rolegen's REQUEST
//! authorizer with the route in its cache key.

use super::{ErrorFormat, Global};
use super::{Outcome, load_model, report};
use crate::apidef::{self, ApiDef, ApiRoute, Auth, CustomKind, Keyed, RestApi, Unresolved};
use crate::diag::{self, Diagnostic, Source};
use crate::model::{Access, Method, Model, Path, RouteId, Router, ScopeId, Segment, Strategy};
use crate::report::{Finding, Location, Rule, Severity, ToolCtx};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The API definition: an OpenAPI 3 / Swagger 2 export (`aws apigateway get-export`), a
    /// CloudFormation, SAM, CDK (`cdk synth`) or Serverless (`serverless package`) template, or
    /// the JSON of `aws apigateway get-resources --embed methods`; JSON or YAML, told apart by
    /// content.
    #[arg(long, value_name = "FILE")]
    pub api: PathBuf,
    #[command(flatten)]
    pub output: crate::report::Output,
    /// The logical ID of the REST API to compare, when the template defines several
    /// [default: the only one, or the one whose `Name` is roles.yaml's `api.name`].
    #[arg(long, value_name = "LOGICAL_ID")]
    pub rest_api: Option<String>,
    /// A template with the user pool's resource servers, groups and app clients, to compare
    /// too [default: the `--api` file's own, when it is a template].
    #[arg(long, value_name = "FILE")]
    pub cognito: Option<PathBuf>,
    /// rolegen's `lambda` authorizer as deployed (`out/authorizer/index.mjs`, or the code
    /// `aws lambda get-function` downloads): its route → groups table is compared too.
    #[arg(long, value_name = "FILE")]
    pub authorizer: Option<PathBuf>,
}

pub const UNDECLARED: Rule = Rule {
    id: "RG101",
    name: "undeclared-route",
    severity: Severity::Error,
    summary: "the API serves a route that roles.yaml does not declare",
};
pub const UNPROTECTED: Rule = Rule {
    id: "RG102",
    name: "unprotected-route",
    severity: Severity::Error,
    summary: "roles.yaml protects the route but the API serves it with no authorization (NONE)",
};
pub const LOOSER: Rule = Rule {
    id: "RG103",
    name: "scopes-looser",
    severity: Severity::Error,
    summary: "the API accepts scopes roles.yaml does not grant the route, or any token (no scopes)",
};
pub const STRICTER: Rule = Rule {
    id: "RG104",
    name: "scopes-stricter",
    severity: Severity::Warning,
    summary: "the API no longer accepts some scopes roles.yaml grants the route",
};
pub const AUTHORIZER: Rule = Rule {
    id: "RG105",
    name: "authorizer-mismatch",
    severity: Severity::Error,
    summary: "the API authorizes the route with another kind of authorizer than roles.yaml's strategy",
};
pub const PUBLIC_PROTECTED: Rule = Rule {
    id: "RG106",
    name: "public-route-protected",
    severity: Severity::Warning,
    summary: "roles.yaml declares the route public but the API requires authorization",
};
pub const MISSING: Rule = Rule {
    id: "RG107",
    name: "missing-route",
    severity: Severity::Warning,
    summary: "roles.yaml declares a route the API does not serve",
};
pub const UNRESOLVED: Rule = Rule {
    id: "RG108",
    name: "unresolved",
    severity: Severity::Warning,
    summary: "part of the API definition could not be followed, so it was not compared",
};

/// Every rule `drift` reports. IDs are stable: never reuse one for another meaning.
pub const RULES: &[Rule] = &[
    UNDECLARED,
    UNPROTECTED,
    LOOSER,
    STRICTER,
    AUTHORIZER,
    PUBLIC_PROTECTED,
    MISSING,
    UNRESOLVED,
    super::drift_adopt::NOT_COMPARED,
    super::drift_adopt::UNDECLARED_SCOPE,
    super::drift_adopt::MISSING_GROUP,
    super::drift_adopt::CLIENT_SCOPE,
    super::drift_table::AUTHORIZER_TABLE,
];

pub fn run(global: &Global, args: &Args) -> Outcome {
    let model = match load_model(global) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let api_name = args.api.display().to_string();
    let text = match super::read_text(
        &args.api,
        "pass the API definition's path with `--api FILE`",
        crate::yaml::limits::API.max_file_bytes,
    ) {
        Ok(t) => t,
        Err(u) => {
            api_error(global, &api_name, &u.text, &u.diag);
            return Outcome::Error;
        }
    };
    let (mut def, own_side) = match apidef::read_with_cognito(&text) {
        Ok(d) => d,
        Err(d) => {
            api_error(global, &api_name, &text, &d);
            return Outcome::Error;
        }
    };
    if let Some(dir) = args.api.parent() {
        apidef::include::resolve(&mut def, dir, crate::yaml::limits::API.max_file_bytes);
    }
    let api = match select(&def, &model, args.rest_api.as_deref()) {
        Ok(a) => a,
        Err(d) => {
            api_error(global, &api_name, &text, &d);
            return Outcome::Error;
        }
    };
    let roles_name = global.config.display().to_string();
    let files = Files {
        roles: &roles_name,
        api: &api_name,
    };
    let mut findings = compare(&model, api, &def.unresolved, &files);
    match super::drift_adopt::cognito_side(global, args.cognito.as_deref(), own_side, &api_name) {
        Ok(side) => findings.extend(super::drift_adopt::cognito_findings(
            &model,
            api,
            &super::drift_adopt::CognitoFile {
                name: &side.0,
                side: &side.1,
            },
            &roles_name,
            &api_name,
        )),
        Err(o) => return o,
    }
    if let Some(path) = &args.authorizer {
        match super::drift_adopt::authorizer_table(global, &model, path, &roles_name) {
            Ok(f) => findings.extend(f),
            Err(o) => return o,
        }
    }
    crate::report::sort(&mut findings);
    let which = if api.id.is_empty() {
        String::new()
    } else {
        format!(", API `{}`", api.id)
    };
    let subject = format!(
        "`{roles_name}` against `{api_name}` ({}{which})",
        def.source.describe()
    );
    let ctx = ToolCtx {
        command: "drift",
        subject: &subject,
        rules: RULES,
        color: global.color_stdout(),
    };
    // A failed write is reported by `finish`; the findings decide the outcome either way.
    let _ = global
        .console
        .out(&crate::report::render(&findings, args.output.format, &ctx));
    if args.output.fails(&findings) {
        Outcome::Failed
    } else {
        Outcome::Ok
    }
}

/// A problem with the API file: rendered like every diagnostic, then what it means here.
fn api_error(global: &Global, name: &str, text: &str, d: &Diagnostic) {
    match global.error_format {
        ErrorFormat::Json | ErrorFormat::Github | ErrorFormat::Sarif => {
            report(global, name, text, std::slice::from_ref(d))
        }
        ErrorFormat::Human => {
            let src = Source { name, text };
            let _ = global.console.err(&format!(
                "{}\nerror: {name}: cannot compare it with the roles file\n",
                diag::render(d, &src, global.color_stderr())
            ));
        }
    }
}

/// The API to compare: the one asked for, the only one, or the one named like roles.yaml's.
pub fn select<'a>(
    def: &'a ApiDef,
    model: &Model,
    asked: Option<&str>,
) -> Result<&'a RestApi, Diagnostic> {
    let ids = || apidef::quote_list(&def.apis.iter().map(|a| a.id.as_str()).collect::<Vec<_>>());
    if let Some(id) = asked {
        return def.apis.iter().find(|a| a.id == id).ok_or_else(|| {
            Diagnostic::error(
                "api-select",
                format!("the API definition has no REST API `{id}`"),
            )
            .help(format!("it defines {}", ids()))
        });
    }
    if let [only] = def.apis.as_slice() {
        return Ok(only);
    }
    let named: Vec<&RestApi> = def
        .apis
        .iter()
        .filter(|a| a.name.as_deref() == Some(model.api.name.as_str()))
        .collect();
    if let [one] = named.as_slice() {
        return Ok(one);
    }
    Err(Diagnostic::error(
        "api-select",
        format!(
            "the template defines {} REST APIs and none is the only one named `{}`",
            def.apis.len(),
            model.api.name
        ),
    )
    .help(format!("choose one with `--rest-api`: {}", ids())))
}

/// The display names of the two files, for locations.
pub struct Files<'a> {
    pub roles: &'a str,
    pub api: &'a str,
}

/// A path's shape: literals as written, variables without their names, a greedy variable
/// apart from a plain one. Routes match by method and shape (`/a/{id}` is `/a/{orderId}`);
/// the shape is the path's own segments, compared and hashed that way, so nothing is built
/// to look a route up.
#[derive(Clone, Copy)]
struct Shape<'a>(&'a [Segment]);

impl PartialEq for Shape<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(other.0).all(|(a, b)| match (a, b) {
                (Segment::Literal(x), Segment::Literal(y)) => x == y,
                (Segment::Var(_), Segment::Var(_)) | (Segment::Greedy(_), Segment::Greedy(_)) => {
                    true
                }
                _ => false,
            })
    }
}

impl Eq for Shape<'_> {}

impl Hash for Shape<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_usize(self.0.len());
        for seg in self.0 {
            match seg {
                Segment::Literal(l) => l.hash(h),
                Segment::Var(_) => h.write_u8(1),
                Segment::Greedy(_) => h.write_u8(2),
            }
        }
    }
}

/// The comparison's maps, keyed by methods and path shapes from the user's own files.
type ShapeMap<K, V> = apidef::FastMap<K, V>;

/// The routes of one path shape on both sides: per method (by `Method as usize`), the first
/// route roles.yaml declares and the first the API serves.
#[derive(Clone, Default)]
struct ShapeRoutes {
    declared: [Option<RouteId>; Method::ALL.len()],
    served: [Option<usize>; Method::ALL.len()],
}

impl ShapeRoutes {
    fn declared(&self, m: Method) -> Option<RouteId> {
        self.declared[m as usize]
    }
    fn served(&self, m: Method) -> Option<usize> {
        self.served[m as usize]
    }
    fn serves_any_method(&self) -> bool {
        self.served.iter().any(Option::is_some)
    }
}

/// Every path shape of both sides, numbered: each route's shape is hashed once, and the
/// comparison then works on numbers (a route's hash map lookups, scattered over memory, were
/// most of its time).
#[derive(Default)]
struct Shapes<'a> {
    ids: ShapeMap<Shape<'a>, usize>,
    routes: Vec<ShapeRoutes>,
}

impl<'a> Shapes<'a> {
    fn id(&mut self, shape: Shape<'a>) -> usize {
        let routes = &mut self.routes;
        *self.ids.entry(shape).or_insert_with(|| {
            routes.push(ShapeRoutes::default());
            routes.len() - 1
        })
    }
}

/// The methods an `ANY` stands for.
const CONCRETE: [Method; 7] = [
    Method::Get,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
    Method::Head,
    Method::Options,
];

/// Compares the API's routes with the model's: every finding, unsorted.
pub fn compare(model: &Model, api: &RestApi, loose: &[Unresolved], files: &Files) -> Vec<Finding> {
    let mut out = Vec::new();
    let api_loc = |line: u32, column: u32| {
        Some(Location {
            file: files.api.to_string(),
            line,
            column,
        })
    };
    let route_loc = |r: &ApiRoute| {
        Some(Location {
            file: r.file.as_deref().unwrap_or(files.api).to_string(),
            line: r.line,
            column: r.column,
        })
    };
    for u in api.unresolved.iter().chain(loose) {
        out.push(finding(
            UNRESOLVED,
            Severity::Warning,
            None,
            u.message.clone(),
            api_loc(u.line, u.column),
            Some("this part of the API was not compared; export the deployed API with `aws apigateway get-export` for a definition rolegen can follow".into()),
        ));
    }

    let mut shapes = Shapes {
        ids: ShapeMap::with_capacity_and_hasher(model.routes.len(), Default::default()),
        routes: Vec::with_capacity(model.routes.len()),
    };
    // Each declared route's shape number.
    let mut declared_shape: Vec<usize> = Vec::with_capacity(model.routes.len());
    for id in model.route_ids() {
        let r = model.route(id);
        let sid = shapes.id(Shape(&r.path.segments));
        declared_shape.push(sid);
        shapes.routes[sid].declared[r.method as usize].get_or_insert(id);
    }
    // The API routes to compare, with their shape numbers: the first of each method and
    // shape, in the file's order.
    let mut firsts: Vec<(usize, usize)> = Vec::with_capacity(api.routes.len());
    for (i, r) in api.routes.iter().enumerate() {
        let sid = shapes.id(Shape(&r.path.segments));
        if let Some(first) = shapes.routes[sid].served(r.method) {
            let f = &api.routes[first];
            out.push(finding(
                UNRESOLVED,
                Severity::Warning,
                Some(r.key()),
                format!(
                    "the API defines this route twice (also at line {}); only the first is compared",
                    f.line
                ),
                route_loc(r),
                Some("API Gateway keeps one method per path and verb; remove one of them".into()),
            ));
            continue;
        }
        shapes.routes[sid].served[r.method as usize] = Some(i);
        firsts.push((i, sid));
    }

    let mut matched = vec![false; model.routes.len()];
    // API Gateway's dispatch over the API's routes (numbered as in `firsts`), built only when
    // a declared route has no method of its own in the API.
    let mut router: Option<Router> = None;
    let ctx = Cmp { model, files };
    for &(i, sid) in &firsts {
        let r = &api.routes[i];
        let method = r.method;
        let here = &shapes.routes[sid];
        if let Some(rid) = here.declared(method) {
            matched[rid.0] = true;
            out.extend(ctx.auth(rid, r, None));
            continue;
        }
        let preflight = method == Method::Options && r.auth == Auth::None;
        if preflight && model.settings.cors.is_some() && here.declared.iter().any(Option::is_some) {
            // The CORS preflight of a declared path: not a route of the matrix.
            continue;
        }
        if method == Method::Any {
            // The methods this ANY answers that roles.yaml does not declare on this path.
            if here.declared(Method::Any).is_some() {
                continue;
            }
            let extra: Vec<&str> = CONCRETE
                .iter()
                .filter(|&&m| here.served(m).is_none() && here.declared(m).is_none())
                .map(|m| m.as_str())
                .collect();
            if extra.is_empty() {
                continue;
            }
            let all = extra.len() == CONCRETE.len();
            let place = match r.path.segments.last() {
                Some(Segment::Greedy(_)) => format!(
                    "on every path below `{}`",
                    Path {
                        segments: r.path.segments[..r.path.segments.len() - 1].to_vec(),
                    }
                ),
                _ => "on this path".to_string(),
            };
            let what = if all {
                format!("the API answers every method {place}")
            } else {
                format!("the API's `ANY` also answers {} {place}", extra.join(", "))
            };
            out.push(finding(
                UNDECLARED,
                Severity::Error,
                Some(r.key()),
                format!(
                    "{what}, which roles.yaml does not declare, with {}",
                    r.auth.describe()
                ),
                route_loc(r),
                Some("declare the route in roles.yaml (`ANY` covers every method), or remove it from the API".into()),
            ));
            continue;
        }
        if let Some(rid) = here.declared(Method::Any) {
            // roles.yaml's ANY declares every method of this path.
            out.extend(ctx.auth(rid, r, None));
            continue;
        }
        out.push(finding(
            UNDECLARED,
            Severity::Error,
            Some(r.key()),
            format!(
                "the API serves this route{}, which roles.yaml does not declare, with {}",
                below(&r.path),
                r.auth.describe()
            ),
            route_loc(r),
            Some(if preflight {
                "if it answers CORS preflights, add `api.cors` to roles.yaml (preflights are not routes of the matrix); else declare the route, or remove it from the API".into()
            } else {
                "declare the route in roles.yaml with the scopes that grant it (or `public`), or remove it from the API".into()
            }),
        ));
    }

    for id in model.route_ids() {
        if matched[id.0] {
            continue;
        }
        let route = model.route(id);
        let here = &shapes.routes[declared_shape[id.0]];
        if route.method != Method::Any {
            // The API's `ANY` on this path, or a less specific resource that requests to this
            // route fall through to.
            let router = router.get_or_insert_with(|| {
                Router::new(firsts.iter().map(|&(i, _)| {
                    let r = &api.routes[i];
                    (r.method, r.path.segments.as_slice())
                }))
            });
            if let Some(k) = router.dispatch(route.method, &route.path.segments) {
                let r = &api.routes[firsts[k].0];
                out.extend(ctx.auth(id, r, Some(r.key())));
                continue;
            }
        }
        let message = if route.method == Method::Any && here.serves_any_method() {
            let mut ms: Vec<&str> = Method::ALL
                .iter()
                .filter(|&&m| here.served(m).is_some())
                .map(|m| m.as_str())
                .collect();
            ms.sort_unstable();
            format!(
                "roles.yaml declares every method of this path; the API has no `ANY` method here, only {}",
                ms.join(", ")
            )
        } else {
            "roles.yaml declares this route; the API does not serve it".to_string()
        };
        out.push(finding(
            MISSING,
            Severity::Warning,
            Some(route.key()),
            message,
            ctx.roles_loc(id),
            Some("deploy the route (`rolegen gen` writes it), or remove it from roles.yaml".into()),
        ));
    }
    super::drift_adopt::fold_missing(&mut out, api);
    out
}

/// " (every path below `/files`)" for a greedy route, else nothing.
fn below(path: &Path) -> String {
    match path.segments.last() {
        Some(Segment::Greedy(_)) => {
            let above = Path {
                segments: path.segments[..path.segments.len() - 1].to_vec(),
            };
            format!(" (every path below `{above}`)")
        }
        _ => String::new(),
    }
}

fn finding(
    rule: Rule,
    severity: Severity,
    route: Option<String>,
    message: String,
    location: Option<Location>,
    help: Option<String>,
) -> Finding {
    Finding {
        rule: rule.id,
        rule_name: rule.name,
        severity,
        route,
        message,
        location,
        help,
    }
}

/// Whether the API's scopes are exactly the ones roles.yaml grants the route (as sets).
fn same_scopes(model: &Model, ids: &[ScopeId], have: &[String]) -> bool {
    let name = |id: &ScopeId| model.scope(*id).full_name.as_str();
    ids.iter().all(|id| have.iter().any(|h| h == name(id)))
        && have.iter().all(|h| ids.iter().any(|id| h == name(id)))
}

struct Cmp<'a> {
    model: &'a Model,
    files: &'a Files<'a>,
}

impl Cmp<'_> {
    fn roles_loc(&self, id: RouteId) -> Option<Location> {
        let span = self.model.route(id).decl;
        Some(Location {
            file: self.files.roles.to_string(),
            line: span.line,
            column: span.column,
        })
    }

    /// Compares the authorization of declared route `id` with the API method `r` that serves
    /// it (`via`: the API's `ANY` or `{proxy+}` route when it is not the route's own method).
    fn auth(&self, id: RouteId, r: &ApiRoute, via: Option<String>) -> Option<Finding> {
        let model = self.model;
        let route = model.route(id);
        let strategy = model.api.strategy;
        // Most routes match: decide those without building anything.
        match (&route.access, &r.auth, strategy) {
            (Access::Public, Auth::None, _) => return None,
            (
                Access::AnyOf(_),
                Auth::Custom {
                    kind:
                        CustomKind::Unknown
                        | CustomKind::Request {
                            route_key: None | Some(Keyed::Route | Keyed::Path),
                        },
                    ..
                },
                Strategy::Lambda | Strategy::VerifiedPermissions,
            ) if route.bound.is_empty() => {
                return None;
            }
            (Access::AnyOf(ids), Auth::Cognito { scopes, .. }, Strategy::CognitoScopes)
                if !scopes.is_empty() && same_scopes(model, ids, scopes) =>
            {
                return None;
            }
            _ => {}
        }
        let wanted_owned = model.method_scopes(route);
        let wanted: Vec<&str> = wanted_owned.iter().map(String::as_str).collect();
        // Texts are built only for a finding: most routes match and need none of them.
        let expected = || match (&route.access, strategy) {
            (Access::Public, _) => "no authorization (`NONE`)".to_string(),
            (Access::AnyOf(_) | Access::Authenticated, Strategy::CognitoScopes) => format!(
                "the Cognito authorizer with `AuthorizationScopes` {}",
                apidef::quote_list(&wanted)
            ),
            (
                Access::AnyOf(_) | Access::Authenticated,
                Strategy::Lambda | Strategy::VerifiedPermissions,
            ) => "rolegen's Lambda REQUEST authorizer (`CUSTOM`)".to_string(),
        };
        let make = |rule: Rule, sev: Severity, msg: String, fix: &str| {
            let served = match &via {
                Some(v) => format!("served by the API's `{v}`: "),
                None => String::new(),
            };
            Some(finding(
                rule,
                sev,
                Some(route.key()),
                format!("{served}{msg}"),
                self.roles_loc(id),
                Some(format!(
                    "{fix}; the API's method is at `{}:{}`",
                    r.file.as_deref().unwrap_or(self.files.api),
                    r.line
                )),
            ))
        };
        let regen = "make the API's method match roles.yaml (`rolegen gen` writes it)";
        if let Auth::Unresolved(why) = &r.auth {
            return make(
                UNRESOLVED,
                Severity::Warning,
                format!("rolegen cannot tell how the API authorizes this route: {why}"),
                &format!("roles.yaml expects {}", expected()),
            );
        }
        match &route.access {
            Access::Public => match &r.auth {
                Auth::None => None,
                other => make(
                    PUBLIC_PROTECTED,
                    Severity::Warning,
                    format!(
                        "roles.yaml declares this route `public`; the API requires {}",
                        other.describe()
                    ),
                    "set the method's authorization to `NONE`, or give the route scopes in roles.yaml",
                ),
            },
            Access::AnyOf(_) | Access::Authenticated => match (&r.auth, strategy) {
                (Auth::None, _) => make(
                    UNPROTECTED,
                    Severity::Error,
                    format!(
                        "roles.yaml requires {}; the API serves it with no authorization (`NONE`): anyone can call it",
                        if route.access == Access::Authenticated {
                            "a signed-in user (`authenticated`)".to_string()
                        } else {
                            format!("one of {}", apidef::quote_list(&wanted))
                        }
                    ),
                    &format!("{regen}: {}", expected()),
                ),
                (Auth::Cognito { scopes, .. }, Strategy::CognitoScopes) => {
                    self.scopes(&wanted, scopes, &make)
                }
                (Auth::Custom { kind, .. }, Strategy::Lambda | Strategy::VerifiedPermissions) => {
                    match kind {
                        CustomKind::Unknown
                        | CustomKind::Request {
                            route_key: None | Some(Keyed::Path),
                        } => None,
                        CustomKind::Request {
                            route_key: Some(Keyed::Route),
                        } if route.bound.is_empty() => None,
                        CustomKind::Request {
                            route_key: Some(Keyed::Route),
                        } => make(
                            AUTHORIZER,
                            Severity::Error,
                            format!(
                                "the API uses {} whose cache key (`IdentitySource`) holds the route but not the concrete path, and roles.yaml binds this route's path to the caller (`match`): an answer given for one path value would be reused for another",
                                r.auth.describe()
                            ),
                            &format!(
                                "use an authorizer with IdentitySource `{}` for this route (what `rolegen gen` writes), or TTL 0",
                                crate::r#gen::authorizer::IDENTITY_SOURCE_BY_PATH
                            ),
                        ),
                        CustomKind::Token => make(
                            AUTHORIZER,
                            Severity::Error,
                            format!(
                                "the API uses {}; roles.yaml's strategy `{}` needs a REQUEST authorizer keyed on the token and the route: rolegen's authorizer denies every request a TOKEN authorizer sends it (403), and the TOKEN authorizer of earlier rolegen versions could allow routes the matrix denies",
                                r.auth.describe(),
                                strategy.as_str()
                            ),
                            &format!(
                                "deploy the template `rolegen gen` writes (Type `REQUEST`, IdentitySource `{}`)",
                                crate::r#gen::authorizer::IDENTITY_SOURCE
                            ),
                        ),
                        CustomKind::Request {
                            route_key: Some(Keyed::No),
                        } => make(
                            AUTHORIZER,
                            Severity::Error,
                            format!(
                                "the API uses {} whose cache key (`IdentitySource`) does not hold the route: rolegen's authorizer answers for the called route alone, and a cached answer would be applied to other routes of the same token",
                                r.auth.describe()
                            ),
                            &format!(
                                "set the authorizer's IdentitySource to `{}` (what `rolegen gen` writes), or its TTL to 0",
                                crate::r#gen::authorizer::IDENTITY_SOURCE
                            ),
                        ),
                    }
                }
                (other, _) => make(
                    AUTHORIZER,
                    Severity::Error,
                    format!(
                        "the API uses {}; roles.yaml's strategy `{}` expects {}",
                        other.describe(),
                        strategy.as_str(),
                        expected()
                    ),
                    &format!("{regen}, or change `api.authorizer` in roles.yaml"),
                ),
            },
        }
    }

    fn scopes(
        &self,
        wanted: &[&str],
        have: &[String],
        make: &dyn Fn(Rule, Severity, String, &str) -> Option<Finding>,
    ) -> Option<Finding> {
        let fix = format!(
            "set the method's `AuthorizationScopes` to {}",
            apidef::quote_list(wanted)
        );
        if have.is_empty() {
            return make(
                LOOSER,
                Severity::Error,
                format!(
                    "the API accepts any token of the user pool (no `AuthorizationScopes`, so ID tokens too); roles.yaml requires one of {}",
                    apidef::quote_list(wanted)
                ),
                &fix,
            );
        }
        let extra: Vec<&str> = have
            .iter()
            .map(String::as_str)
            .filter(|s| !wanted.contains(s))
            .collect();
        let lacking: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|s| !have.iter().any(|h| h == s))
            .collect();
        match (extra.is_empty(), lacking.is_empty()) {
            (true, true) => None,
            (false, _) => {
                let also = if lacking.is_empty() {
                    String::new()
                } else {
                    format!(", and no longer accepts {}", apidef::quote_list(&lacking))
                };
                make(
                    LOOSER,
                    Severity::Error,
                    format!(
                        "the API also accepts {}, which roles.yaml does not grant this route{also}",
                        apidef::quote_list(&extra)
                    ),
                    &fix,
                )
            }
            (true, false) => make(
                STRICTER,
                Severity::Warning,
                format!(
                    "the API no longer accepts {}, which roles.yaml grants this route: callers with only that scope get 403",
                    apidef::quote_list(&lacking)
                ),
                &fix,
            ),
        }
    }
}
