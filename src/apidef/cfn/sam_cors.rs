//! SAM's `Cors` (on an `AWS::Serverless::Api`, or in `Globals.Api` for every API of the
//! template, the implicit one included): the transform adds an `OPTIONS` method answering
//! the preflight to every path of the API. The processed template (what CloudFormation
//! deploys) has those methods written out; the source template has only the `Cors` key. They
//! are added here, so that both give `drift` the same routes, and so the same verdict.
//!
//! As SAM does it: a path that already has an `OPTIONS` keeps it; the preflight takes the
//! API's `DefaultAuthorizer` unless `Auth.AddDefaultAuthorizerToCorsPreflight` is `false`
//! (SAM's default is `true`), and no authorization otherwise.

use super::{Ctx, IMPLICIT_API, Node, RestApi};
use crate::apidef::openapi::{Defaults, named_auth};
use crate::apidef::{ApiRoute, Auth};
use crate::model::Method;
use std::collections::BTreeMap;
use std::collections::HashSet;
use std::rc::Rc;

pub(super) fn add_preflights(
    ctx: &Ctx,
    globals_api: Option<Node>,
    apis: &mut BTreeMap<String, RestApi>,
    sam_auth: &super::FastMap<String, Defaults>,
) {
    let global = |key: &str| globals_api.and_then(|g| g.get(key));
    for (id, api) in apis.iter_mut() {
        let own = ctx
            .res
            .get(id.as_str())
            .filter(|r| r.ty == "AWS::Serverless::Api");
        if own.is_none() && id != IMPLICIT_API {
            continue;
        }
        let Some(cors) = own.and_then(|r| r.prop("Cors")).or(global("Cors")) else {
            continue;
        };
        let auth_key = |key: &str| {
            own.and_then(|r| r.prop("Auth"))
                .and_then(|a| a.get(key))
                .or(global("Auth").and_then(|a| a.get(key)))
        };
        let defaults = sam_auth.get(id).cloned().unwrap_or_default();
        let add_authorizer = auth_key("AddDefaultAuthorizerToCorsPreflight")
            .and_then(Node::as_bool)
            .unwrap_or(true);
        let auth = match (&defaults.default_authorizer, add_authorizer) {
            (Some(name), true) => match name.as_str() {
                "NONE" => Auth::None,
                "AWS_IAM" => Auth::Iam,
                name => named_auth(name, None, &defaults.schemes),
            },
            _ => Auth::None,
        };
        let with_options: HashSet<Rc<crate::model::Path>> = api
            .routes
            .iter()
            .filter(|r| r.method == Method::Options)
            .map(|r| r.path.clone())
            .collect();
        let mut seen: HashSet<Rc<crate::model::Path>> = HashSet::new();
        let mut added = Vec::new();
        for r in &api.routes {
            if with_options.contains(&r.path) || !seen.insert(r.path.clone()) {
                continue;
            }
            added.push(ApiRoute {
                method: Method::Options,
                path: r.path.clone(),
                auth: auth.clone(),
                line: cors.line,
                column: cors.column,
                // The preflight is declared by `Cors` in the template itself.
                file: None,
            });
        }
        api.routes.extend(added);
    }
}
