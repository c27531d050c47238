//! CloudFormation and SAM templates: hand-written ones, `cdk synth` output (long logical IDs,
//! `Fn::GetAtt [Api, RootResourceId]`), `serverless package` output (`ApiGatewayResource…`,
//! `ApiGatewayMethod…`) and SAM's `AWS::Serverless::*` resources.
//!
//! A REST API's routes come from three places, all read here:
//! - an inline OpenAPI `Body` (`AWS::ApiGateway::RestApi`) or `DefinitionBody`
//!   (`AWS::Serverless::Api`);
//! - `AWS::ApiGateway::Resource` / `Method` trees, each path rebuilt by following `ParentId`
//!   up to the API's `RootResourceId`;
//! - SAM function events of type `Api`, authorized by the event's `Auth` or the API's
//!   `Auth.DefaultAuthorizer` (the implicit API `ServerlessRestApi` takes `Globals.Api.Auth`).
//!
//! Only what the template states is used: a `Ref` to a parameter, an import, a condition are
//! not evaluated; whatever depends on them is reported as unresolved.

use super::FastMap;
use super::openapi::{self, Defaults, Scheme};
use super::tree::{Entry, Node};
use super::{ApiDef, ApiRoute, Auth, CustomKind, RestApi, Source, Unresolved};
use super::{parse_method, parse_path};
use crate::diag::{Diagnostic, Span};
use crate::model::Path;
use std::collections::BTreeMap;
use std::rc::Rc;

mod sam_cors;

const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";
const IMPLICIT_API: &str = "ServerlessRestApi";

struct Res<'a> {
    entry: Entry<'a>,
    ty: &'a str,
    props: Option<Node<'a>>,
}

impl<'a> Res<'a> {
    fn prop(&self, key: &str) -> Option<Node<'a>> {
        self.props.and_then(|p| p.get(key))
    }
    fn condition(&self) -> Option<&'a str> {
        self.entry.value.get("Condition").and_then(Node::as_str)
    }
}

/// A resource's path, or why it has none; the API it belongs to.
type Resolved = Result<(Rc<str>, Rc<Path>), String>;

/// API Gateway serves no URL longer than 10,240 characters (a regional API's quota; 8,192
/// for edge-optimized and private ones), so no longer path can be called. A `ParentId` chain
/// past it is refused before its path is built, which bounds the work for every method.
const MAX_PATH_CHARS: usize = 10_240;

struct Ctx<'a> {
    res: FastMap<&'a str, Res<'a>>,
    trees: Trees<'a>,
}

/// The `AWS::ApiGateway::Resource`s and the tree their `ParentId`s make. A long chain used to
/// have every resource's whole path rebuilt and kept (a 16,000-deep chain took 37 s and 8 GB),
/// so each resource now keeps only its parent and its `PathPart`, found once for the whole
/// template; a path is built only for a resource that a method is on.
#[derive(Default)]
struct Trees<'a> {
    ids: Vec<&'a str>,
    index: FastMap<&'a str, usize>,
    state: Vec<State<'a>>,
    /// The built path of a resource, once a method asked for it.
    paths: Vec<Option<Resolved>>,
}

#[derive(Clone)]
enum State<'a> {
    New,
    /// On the chain being followed, at this position: meeting it again closes a cycle.
    Walking(usize),
    /// Where it stands in its API's tree, or why it stands nowhere.
    Done(Result<Link<'a>, String>),
}

/// A resolved resource: its API, its parent resource (`None` under the API's root), its own
/// `PathPart`, and the length in characters of its whole path.
#[derive(Clone)]
struct Link<'a> {
    api: Rc<str>,
    parent: Option<usize>,
    part: &'a str,
    len: usize,
}

pub fn read(doc: Node) -> Result<ApiDef, Diagnostic> {
    let resources = doc.get("Resources").expect("checked by the caller");
    if !resources.is_map() {
        return Err(Diagnostic::error(
            "api-format",
            format!("`Resources` is {}, not a mapping", resources.show()),
        )
        .at(resources.span())
        .help("a CloudFormation template maps logical IDs to resources under `Resources`"));
    }
    if let Some(e) = doc.first_unknown_intrinsic() {
        return Err(Diagnostic::error(
            "api-intrinsic",
            format!("unknown intrinsic function `{}`", e.key),
        )
        .at(Span {
            line: e.line,
            column: e.column,
            len: e.key.chars().count() as u32,
        })
        .help(format!(
            "CloudFormation's functions are `Ref`, `Condition`, {}",
            super::quote_list(super::tree::INTRINSICS)
        )));
    }
    let mut ctx = Ctx {
        res: FastMap::with_capacity_and_hasher(resources.entries().len(), Default::default()),
        trees: Trees::default(),
    };
    for e in resources.entries() {
        let ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
        ctx.res.insert(
            e.key,
            Res {
                entry: e,
                ty,
                props: e.value.get("Properties"),
            },
        );
    }
    resolve_trees(&mut ctx)?;
    let transform_is_sam = match doc.get("Transform") {
        Some(t) => {
            t.as_str() == Some(SAM_TRANSFORM)
                || t.items().any(|i| i.as_str() == Some(SAM_TRANSFORM))
        }
        None => false,
    };
    let sam = transform_is_sam
        || ctx
            .res
            .values()
            .any(|r| r.ty.starts_with("AWS::Serverless::"));

    let mut apis: BTreeMap<String, RestApi> = BTreeMap::new();
    let mut loose: Vec<Unresolved> = Vec::new();

    // REST APIs and their inline bodies.
    let mut ids: Vec<&str> = ctx.res.keys().copied().collect();
    ids.sort_unstable();
    for &id in &ids {
        let r = &ctx.res[id];
        if r.ty != "AWS::ApiGateway::RestApi" {
            continue;
        }
        let mut api = RestApi {
            id: id.to_string(),
            name: r.prop("Name").and_then(Node::as_str).map(str::to_string),
            ..RestApi::default()
        };
        if let Some(body) = r.prop("Body") {
            read_body(body, &Defaults::default(), &mut api, "Body");
        }
        if let Some(s3) = r.prop("BodyS3Location") {
            api.unread(
                s3.line,
                s3.column,
                format!("the definition of API `{id}` is in S3 (`BodyS3Location`), which rolegen does not read: pass `aws apigateway get-export` output instead"),
            );
        }
        apis.insert(id.to_string(), api);
    }

    // `api.definition: package`: rolegen's function puts the document from its code folder.
    for &id in &ids {
        let r = &ctx.res[id];
        if r.ty == crate::r#gen::cfn::PACKAGE_RESOURCE_TYPE {
            packaged_body(&ctx, id, r, &mut apis);
        }
    }

    // SAM APIs: explicit ones, then the implicit one if any event uses it.
    let globals_auth = doc
        .get("Globals")
        .and_then(|g| g.get("Api"))
        .and_then(|a| a.get("Auth"));
    let mut sam_auth: FastMap<String, Defaults> = FastMap::default();
    for &id in &ids {
        let r = &ctx.res[id];
        if r.ty != "AWS::Serverless::Api" {
            continue;
        }
        let mut api = RestApi {
            id: id.to_string(),
            name: r.prop("Name").and_then(Node::as_str).map(str::to_string),
            ..RestApi::default()
        };
        let defaults = sam_defaults(globals_auth, r.prop("Auth"), &mut api);
        if let Some(body) = r.prop("DefinitionBody") {
            read_body(body, &defaults, &mut api, "DefinitionBody");
        }
        if let Some(uri) = r.prop("DefinitionUri") {
            api.unread(
                uri.line,
                uri.column,
                format!(
                    "the definition of API `{id}` is in another file (`DefinitionUri` {}), which rolegen does not read: pass that file, or `aws apigateway get-export` output",
                    uri.show()
                ),
            );
        }
        sam_auth.insert(id.to_string(), defaults);
        apis.insert(id.to_string(), api);
    }

    // Resource / Method trees.
    for &id in &ids {
        if ctx.res[id].ty != "AWS::ApiGateway::Method" {
            continue;
        }
        read_method(&mut ctx, id, &mut apis, &mut loose);
    }

    // SAM function events.
    for &id in &ids {
        let r = &ctx.res[id];
        if r.ty != "AWS::Serverless::Function" {
            continue;
        }
        let Some(events) = r.prop("Events") else {
            continue;
        };
        for ev in events.entries() {
            read_event(
                &ctx,
                id,
                ev,
                globals_auth,
                &mut apis,
                &mut sam_auth,
                &mut loose,
            );
        }
    }

    sam_cors::add_preflights(
        &ctx,
        doc.get("Globals").and_then(|g| g.get("Api")),
        &mut apis,
        &sam_auth,
    );

    if apis.is_empty() {
        let v2 = ctx
            .res
            .values()
            .any(|r| r.ty.starts_with("AWS::ApiGatewayV2::"));
        return Err(Diagnostic::error(
            "api-format",
            "the template defines no REST API",
        )
        .at(resources.span())
        .help(if v2 {
            "it has HTTP or WebSocket APIs (`AWS::ApiGatewayV2::*`), which are not REST APIs; rolegen compares REST APIs (`AWS::ApiGateway::RestApi`, `AWS::Serverless::Api`, SAM `Api` events)"
        } else {
            "rolegen looks for `AWS::ApiGateway::RestApi`, `AWS::Serverless::Api` and SAM function events of type `Api`"
        }));
    }
    Ok(ApiDef {
        source: if sam {
            Source::Sam
        } else {
            Source::CloudFormation
        },
        apis: apis.into_values().collect(),
        unresolved: loose,
    })
}

/// The document rolegen's `Custom::RolegenApiBody` puts into its API: `body.json` in the
/// function's code folder, read like a local `AWS::Include`. Once `aws cloudformation package`
/// has moved the code to S3 it is not read, and the API's routes count as not compared.
fn packaged_body(ctx: &Ctx, id: &str, r: &Res, apis: &mut BTreeMap<String, RestApi>) {
    let Some(api) = r
        .prop("RestApiId")
        .and_then(|v| v.intrinsic())
        .filter(|(f, _)| *f == "Ref")
        .and_then(|(_, a)| a.as_str())
        .and_then(|a| apis.get_mut(a))
    else {
        return;
    };
    let function = r
        .prop("ServiceToken")
        .and_then(|v| v.intrinsic())
        .filter(|(f, _)| *f == "Fn::GetAtt")
        .and_then(|(_, a)| a.items().next())
        .and_then(|f| f.as_str())
        .and_then(|f| ctx.res.get(f));
    let code = function.and_then(|f| f.prop("Code"));
    match code.and_then(|c| c.as_str().map(|s| (c, s))) {
        Some((node, dir)) if !dir.is_empty() && !dir.contains("://") => {
            api.includes.push(super::include::Include {
                location: format!("{}/body.json", dir.trim_end_matches('/')),
                defaults: Defaults::default(),
                holder: format!("the document `{id}` puts"),
                line: node.line,
                column: node.column,
            });
        }
        _ => {
            let at = code.unwrap_or(r.entry.value);
            api.unread(
                at.line,
                at.column,
                format!(
                    "the definition of API `{}` is put by `{id}` from a code package in S3, which rolegen does not read: run drift on the template before `aws cloudformation package`, or on `aws apigateway get-export` output",
                    api.id
                ),
            );
        }
    }
}

fn read_body(body: Node, defaults: &Defaults, api: &mut RestApi, what: &str) {
    if let Some(include) = super::include::local(body, defaults) {
        api.includes.push(include);
        return;
    }
    if let Some((func, _)) = body.intrinsic() {
        api.unread(
            body.line,
            body.column,
            format!(
                "the `{what}` of API `{}` is built with `{func}`, which rolegen does not follow",
                api.id
            ),
        );
        return;
    }
    openapi::read_paths(body, defaults, api);
}

/// SAM's `Auth` of an API (its own keys over `Globals.Api.Auth`'s) as OpenAPI defaults.
fn sam_defaults(globals: Option<Node>, own: Option<Node>, api: &mut RestApi) -> Defaults {
    let pick = |key: &str| {
        own.and_then(|a| a.get(key))
            .or(globals.and_then(|g| g.get(key)))
    };
    let mut d = Defaults::default();
    if let Some(auths) = pick("Authorizers") {
        for e in auths.entries() {
            d.schemes
                .insert(e.key.to_string(), sam_scheme(e.key, e.value));
        }
    }
    if let Some(def) = pick("DefaultAuthorizer") {
        match def.as_str() {
            Some(s) => d.default_authorizer = Some(s.to_string()),
            None => api.unresolved.push(Unresolved::at(
                def.line,
                def.column,
                format!("`DefaultAuthorizer` {} is not plain text", def.show()),
            )),
        }
    }
    d
}

/// SAM's REQUEST authorizer `Identity` (`Headers`, `Context`, `ReauthorizeEvery`) as a cache
/// key; `None` when it is not written out.
fn sam_route_keyed(node: Node) -> Option<super::Keyed> {
    let identity = node.get("Identity")?;
    let ttl = identity
        .get("ReauthorizeEvery")
        .and_then(|n| n.to_json().as_i64());
    let mut sources = Vec::new();
    for (list, prefix) in [
        ("Headers", "method.request.header."),
        ("Context", "context."),
    ] {
        for item in identity.get(list).into_iter().flat_map(Node::items) {
            sources.push(format!("{prefix}{}", item.as_str()?));
        }
    }
    super::route_keyed(Some(&sources.join(",")), ttl)
}

fn sam_scheme(name: &str, node: Node) -> Scheme {
    let scopes: Vec<String> = node
        .get("AuthorizationScopes")
        .map(|s| {
            s.items()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if node.get("UserPoolArn").is_some() {
        Scheme::Cognito {
            default_scopes: scopes,
        }
    } else if node.get("FunctionArn").is_some() {
        match node.get("FunctionPayloadType").and_then(Node::as_str) {
            Some("REQUEST") => Scheme::Custom(CustomKind::Request {
                route_key: sam_route_keyed(node),
            }),
            _ => Scheme::Custom(CustomKind::Token),
        }
    } else {
        Scheme::Other(format!(
            "SAM authorizer `{name}` has neither `UserPoolArn` nor `FunctionArn`"
        ))
    }
}

/// The API and root path a `ResourceId` points at.
fn follow(ctx: &mut Ctx, node: Node, what: &str) -> Resolved {
    if let Some(i) = resource_ref(ctx, node) {
        return path_of(ctx, i);
    }
    root_of(ctx, node, what).map(|api| (api, Rc::new(Path::root())))
}

/// The index of the `AWS::ApiGateway::Resource` that `node` is a `Ref` to.
fn resource_ref(ctx: &Ctx, node: Node) -> Option<usize> {
    match node.intrinsic() {
        Some(("Ref", arg)) => arg.as_str().and_then(|id| ctx.trees.index.get(id).copied()),
        _ => None,
    }
}

/// The API whose root `node` (a `ParentId` or `ResourceId` that is not a resource) names.
fn root_of(ctx: &Ctx, node: Node, what: &str) -> Result<Rc<str>, String> {
    match node.intrinsic() {
        Some(("Fn::GetAtt", arg)) => {
            let mut items = arg.items();
            match (
                items.next().and_then(Node::as_str),
                items.next().and_then(Node::as_str),
            ) {
                (Some(api), Some("RootResourceId")) if is_api(ctx, api) => Ok(Rc::from(api)),
                _ => Err(format!(
                    "`{what}` {} is not the `RootResourceId` of a REST API in this template",
                    node.show()
                )),
            }
        }
        Some(("Ref", _)) => Err(format!(
            "`{what}` {} is not a resource of this template",
            node.show()
        )),
        _ => Err(format!(
            "`{what}` {} cannot be followed to a resource of this template",
            node.show()
        )),
    }
}

fn is_api(ctx: &Ctx, id: &str) -> bool {
    ctx.res
        .get(id)
        .is_some_and(|r| r.ty == "AWS::ApiGateway::RestApi" || r.ty == "AWS::Serverless::Api")
}

/// Places every `AWS::ApiGateway::Resource` in its API's tree, each once: a chain is followed
/// up to a resource already placed (or the root), then placed on the way back down, so the
/// whole template takes time in proportion to its resources however deep the chains are.
/// Iterative, so no chain can overflow the stack. A `ParentId` cycle is an error: the
/// resources in it belong to no API, and API Gateway could not have created them.
fn resolve_trees(ctx: &mut Ctx) -> Result<(), Diagnostic> {
    let mut ids: Vec<&str> = ctx
        .res
        .iter()
        .filter(|(_, r)| r.ty == "AWS::ApiGateway::Resource")
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    let n = ids.len();
    ctx.trees = Trees {
        index: ids.iter().enumerate().map(|(i, id)| (*id, i)).collect(),
        ids,
        state: vec![State::New; n],
        paths: vec![None; n],
    };
    let mut chain: Vec<usize> = Vec::new();
    for start in 0..n {
        chain.clear();
        let mut cur = start;
        // What the chain hangs from: the API, the parent resource, the parent's path length.
        let mut below: Result<(Rc<str>, Option<usize>, usize), String> = loop {
            match &ctx.trees.state[cur] {
                State::Done(r) => break r.clone().map(|l| (l.api, Some(cur), l.len)),
                State::Walking(at) => return Err(cycle(ctx, &chain[*at..])),
                State::New => {}
            }
            ctx.trees.state[cur] = State::Walking(chain.len());
            chain.push(cur);
            let id = ctx.trees.ids[cur];
            let Some(parent) = ctx.res[id].prop("ParentId") else {
                break Err(format!("resource `{id}` has no `ParentId`"));
            };
            match resource_ref(ctx, parent) {
                Some(p) => cur = p,
                None => {
                    break root_of(ctx, parent, "ParentId")
                        .map(|api| (api, None, 0))
                        .map_err(|e| format!("resource `{id}`: {e}"));
                }
            }
        };
        while let Some(i) = chain.pop() {
            let id = ctx.trees.ids[i];
            let placed = below.and_then(|(api, parent, len)| {
                let part = ctx.res[id].prop("PathPart");
                let Some(text) = part.and_then(Node::as_str) else {
                    return Err(match part {
                        Some(p) => format!(
                            "the `PathPart` of resource `{id}` is {}, which rolegen cannot follow",
                            p.show()
                        ),
                        None => format!("resource `{id}` has no `PathPart`"),
                    });
                };
                let len = len + 1 + text.chars().count();
                if len > MAX_PATH_CHARS {
                    return Err(format!(
                        "the path of resource `{id}` is longer than {MAX_PATH_CHARS} characters, more than an API Gateway URL holds"
                    ));
                }
                Ok(Link {
                    api,
                    parent,
                    part: text,
                    len,
                })
            });
            below = placed.clone().map(|l| (l.api, Some(i), l.len));
            ctx.trees.state[i] = State::Done(placed);
        }
    }
    Ok(())
}

/// The error for resources whose `ParentId`s go round: located at the one written first,
/// naming the cycle from there.
fn cycle(ctx: &Ctx, members: &[usize]) -> Diagnostic {
    let entry = |i: usize| ctx.res[ctx.trees.ids[i]].entry;
    let first = (0..members.len())
        .min_by_key(|&k| {
            let e = entry(members[k]);
            (e.line, e.column)
        })
        .unwrap_or(0);
    // Each resource's parent is the next one in `members`.
    let mut names: Vec<String> = members[first..]
        .iter()
        .chain(&members[..first])
        .map(|&i| format!("`{}`", ctx.trees.ids[i]))
        .collect();
    names.push(names[0].clone());
    // A long cycle is named by its ends.
    const SHOWN: usize = 6;
    if names.len() > 2 * SHOWN {
        let left = names.len() - 2 * SHOWN;
        names.splice(SHOWN..names.len() - SHOWN, [format!("… ({left} more)")]);
    }
    let e = entry(members[first]);
    Diagnostic::error(
        "api-cycle",
        format!(
            "the `ParentId`s of {} resources form a cycle: {}",
            members.len(),
            names.join(" → ")
        ),
    )
    .at(Span {
        line: e.line,
        column: e.column,
        len: e.key.chars().count() as u32,
    })
    .label("its `ParentId` leads back to it")
    .help("each resource's `ParentId` must lead up to its API's `RootResourceId`; point one of them at its real parent")
}

/// The path of resource `i`, built on first use from the tree `resolve_trees` made.
fn path_of(ctx: &mut Ctx, i: usize) -> Resolved {
    if let Some(done) = &ctx.trees.paths[i] {
        return done.clone();
    }
    let built = match &ctx.trees.state[i] {
        State::Done(Ok(link)) => {
            let mut parts: Vec<&str> = Vec::new();
            let mut at = Some(i);
            while let Some(k) = at {
                let State::Done(Ok(l)) = &ctx.trees.state[k] else {
                    unreachable!("a placed resource's parents are placed");
                };
                parts.push(l.part);
                at = l.parent;
            }
            let mut text = String::with_capacity(link.len);
            for part in parts.iter().rev() {
                text.push('/');
                text.push_str(part);
            }
            parse_path(&text)
                .map(|p| (Rc::clone(&link.api), Rc::new(p)))
                .map_err(|why| {
                    format!("resource `{}` makes path `{text}`: {why}", ctx.trees.ids[i])
                })
        }
        State::Done(Err(why)) => Err(why.clone()),
        State::New | State::Walking(_) => unreachable!("resolve_trees placed every resource"),
    };
    ctx.trees.paths[i] = Some(built.clone());
    built
}

fn read_method(
    ctx: &mut Ctx,
    id: &str,
    apis: &mut BTreeMap<String, RestApi>,
    loose: &mut Vec<Unresolved>,
) {
    let (entry, method_node, resource_node, rest_api, condition) = {
        let r = &ctx.res[id];
        (
            r.entry,
            r.prop("HttpMethod"),
            r.prop("ResourceId"),
            r.prop("RestApiId")
                .and_then(|n| n.intrinsic())
                .filter(|(f, _)| *f == "Ref")
                .and_then(|(_, a)| a.as_str())
                .map(str::to_string),
            r.condition().map(str::to_string),
        )
    };
    let unresolved = |msg: String| Unresolved::at(entry.line, entry.column, msg);
    let push = |apis: &mut BTreeMap<String, RestApi>,
                loose: &mut Vec<Unresolved>,
                api: Option<&str>,
                u: Unresolved| {
        match api.and_then(|a| apis.get_mut(a)) {
            Some(a) => a.unresolved.push(u),
            None => loose.push(u),
        }
    };
    let Some(method) = method_node.and_then(Node::as_str).and_then(parse_method) else {
        let shown = method_node.map(|n| n.show()).unwrap_or("nothing".into());
        push(
            apis,
            loose,
            rest_api.as_deref(),
            unresolved(format!(
                "method `{id}` has `HttpMethod` {shown}, which is no HTTP method rolegen can read"
            )),
        );
        return;
    };
    let Some(resource_node) = resource_node else {
        push(
            apis,
            loose,
            rest_api.as_deref(),
            unresolved(format!("method `{id}` ({method}) has no `ResourceId`")),
        );
        return;
    };
    let (api_id, path) = match follow(ctx, resource_node, "ResourceId") {
        Ok(x) => x,
        Err(why) => {
            push(
                apis,
                loose,
                rest_api.as_deref(),
                unresolved(format!(
                    "method `{id}` ({method}) is served on a path rolegen cannot resolve: {why}"
                )),
            );
            return;
        }
    };
    let api_id = rest_api
        .filter(|a| apis.contains_key(a))
        .unwrap_or_else(|| api_id.to_string());
    let mut auth = method_auth(ctx, id);
    if let Some(c) = condition {
        auth = Auth::Unresolved(format!(
            "method `{id}` exists only when condition `{c}` holds"
        ));
    }
    if let Some(api) = apis.get_mut(&api_id) {
        api.routes.push(ApiRoute {
            file: None,
            method,
            path,
            auth,
            line: entry.line,
            column: entry.column,
        });
    }
}

fn method_auth(ctx: &Ctx, id: &str) -> Auth {
    let r = &ctx.res[id];
    let kind = match r.prop("AuthorizationType") {
        None => "NONE",
        Some(n) => match n.as_str() {
            Some(s) => s,
            None => {
                return Auth::Unresolved(format!(
                    "`AuthorizationType` {} is not plain text",
                    n.show()
                ));
            }
        },
    };
    // The authorizer's name and type, when `AuthorizerId` refers to one in the template.
    let authorizer = r
        .prop("AuthorizerId")
        .and_then(|n| n.intrinsic())
        .filter(|(f, _)| *f == "Ref")
        .and_then(|(_, a)| a.as_str())
        .and_then(|a| ctx.res.get(a).map(|r| (a, r)))
        .filter(|(_, r)| r.ty == "AWS::ApiGateway::Authorizer");
    let authorizer_name = authorizer
        .map(|(id, r)| {
            r.prop("Name")
                .and_then(Node::as_str)
                .unwrap_or(id)
                .to_string()
        })
        .unwrap_or_default();
    match kind.to_ascii_uppercase().as_str() {
        "NONE" => Auth::None,
        "AWS_IAM" => Auth::Iam,
        "CUSTOM" => Auth::Custom {
            authorizer: authorizer_name,
            kind: match authorizer
                .and_then(|(_, r)| r.prop("Type"))
                .and_then(Node::as_str)
            {
                Some("TOKEN") => CustomKind::Token,
                Some("REQUEST") => {
                    let props = authorizer.map(|(_, r)| r);
                    CustomKind::Request {
                        route_key: super::route_keyed(
                            props
                                .and_then(|r| r.prop("IdentitySource"))
                                .and_then(Node::as_str),
                            props
                                .and_then(|r| r.prop("AuthorizerResultTtlInSeconds"))
                                .and_then(|n| n.to_json().as_i64()),
                        ),
                    }
                }
                _ => CustomKind::Unknown,
            },
        },
        "COGNITO_USER_POOLS" => {
            let mut scopes = Vec::new();
            if let Some(list) = r.prop("AuthorizationScopes") {
                if list.intrinsic().is_some() || !list.is_seq() {
                    return Auth::Unresolved(format!(
                        "`AuthorizationScopes` {} cannot be followed",
                        list.show()
                    ));
                }
                for s in list.items() {
                    match plain_text(s) {
                        Some(t) => scopes.push(t),
                        None => {
                            return Auth::Unresolved(format!(
                                "scope {} is built with an intrinsic rolegen cannot follow",
                                s.show()
                            ));
                        }
                    }
                }
            }
            scopes.sort();
            scopes.dedup();
            Auth::Cognito {
                authorizer: authorizer_name,
                scopes,
            }
        }
        other => Auth::Unresolved(format!("unknown `AuthorizationType` `{other}`")),
    }
}

/// Text, or `Fn::Sub` of text with no `${…}` in it (which is that text).
fn plain_text(n: Node) -> Option<String> {
    if let Some(s) = n.as_str() {
        return Some(s.to_string());
    }
    match n.intrinsic() {
        Some(("Fn::Sub", arg)) => arg
            .as_str()
            .filter(|s| !s.contains("${"))
            .map(str::to_string),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn read_event(
    ctx: &Ctx,
    function: &str,
    ev: Entry,
    globals_auth: Option<Node>,
    apis: &mut BTreeMap<String, RestApi>,
    sam_auth: &mut FastMap<String, Defaults>,
    loose: &mut Vec<Unresolved>,
) {
    let ty = ev.value.get("Type").and_then(Node::as_str).unwrap_or("");
    let here = |msg: String| Unresolved::at(ev.line, ev.column, msg);
    if ty == "HttpApi" {
        loose.push(here(format!(
            "event `{}` of function `{function}` is an HTTP API (`HttpApi`) route, not a REST API one: not compared",
            ev.key
        )));
        return;
    }
    if ty != "Api" {
        return;
    }
    let props = ev.value.get("Properties");
    let prop = |k: &str| props.and_then(|p| p.get(k));
    let api_id = match prop("RestApiId") {
        None => IMPLICIT_API.to_string(),
        Some(n) => match n.intrinsic() {
            Some(("Ref", a))
                if a.as_str().is_some_and(|id| {
                    ctx.res
                        .get(id)
                        .is_some_and(|r| r.ty == "AWS::Serverless::Api")
                }) =>
            {
                a.as_str().unwrap_or_default().to_string()
            }
            _ => {
                loose.push(here(format!(
                    "event `{}` of function `{function}` targets `RestApiId` {}, which is no `AWS::Serverless::Api` of this template",
                    ev.key,
                    n.show()
                )));
                return;
            }
        },
    };
    if !apis.contains_key(&api_id) {
        // SAM creates the implicit API on first use; its Auth is `Globals.Api.Auth`.
        let mut api = RestApi {
            id: api_id.clone(),
            ..RestApi::default()
        };
        let d = sam_defaults(globals_auth, None, &mut api);
        sam_auth.insert(api_id.clone(), d);
        apis.insert(api_id.clone(), api);
    }
    let api = apis.get_mut(&api_id).expect("inserted above");
    let defaults = sam_auth.get(&api_id).cloned().unwrap_or_default();
    let path = match prop("Path") {
        Some(n) => match n.as_str() {
            Some(t) => match parse_path(t) {
                Ok(p) => p,
                Err(why) => {
                    api.unresolved.push(here(format!(
                        "event `{}` of function `{function}`: path `{t}` is not an API Gateway path: {why}",
                        ev.key
                    )));
                    return;
                }
            },
            None => {
                api.unresolved.push(here(format!(
                    "event `{}` of function `{function}` has `Path` {}, which rolegen cannot follow",
                    ev.key,
                    n.show()
                )));
                return;
            }
        },
        None => {
            api.unresolved.push(here(format!(
                "event `{}` of function `{function}` has no `Path`",
                ev.key
            )));
            return;
        }
    };
    let Some(method) = prop("Method").and_then(Node::as_str).and_then(parse_method) else {
        api.unresolved.push(here(format!(
            "event `{}` of function `{function}` has no `Method` rolegen can read",
            ev.key
        )));
        return;
    };
    let auth_node = prop("Auth");
    let scopes_node = auth_node.and_then(|a| a.get("AuthorizationScopes"));
    let scopes: Option<Vec<String>> = scopes_node.map(|s| {
        s.items()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect()
    });
    let auth = if scopes_node
        .is_some_and(|s| !s.is_seq() || s.items().any(|i| i.as_str().is_none()))
    {
        Auth::Unresolved(format!(
            "`AuthorizationScopes` {} cannot be followed",
            scopes_node.map(|s| s.show()).unwrap_or_default()
        ))
    } else {
        let named = match auth_node.and_then(|a| a.get("Authorizer")) {
            Some(n) => match n.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    api.unresolved.push(here(format!(
                        "event `{}` of function `{function}` has `Authorizer` {}, which rolegen cannot follow",
                        ev.key,
                        n.show()
                    )));
                    return;
                }
            },
            None => defaults.default_authorizer.clone(),
        };
        match named.as_deref() {
            None | Some("NONE") => Auth::None,
            Some("AWS_IAM") => Auth::Iam,
            Some(name) => openapi::named_auth(name, scopes, &defaults.schemes),
        }
    };
    api.routes.push(ApiRoute {
        file: None,
        method,
        path: Rc::new(path),
        auth,
        line: ev.line,
        column: ev.column,
    });
}
