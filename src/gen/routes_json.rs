//! `routes/routes.json`: each route's authorization as data, for an API that another tool
//! owns (`api.external`).
//!
//! A SAM or CDK template that defines the REST API itself needs, per method, exactly what
//! rolegen's own template would have written (`AuthorizationType`, `AuthorizationScopes`),
//! and for a Lambda authorizer its type and cache key. Handing that over as one JSON file
//! lets such a template (or a script, or a CDK app reading it) apply the matrix without
//! copying it by hand; `rolegen drift` then checks the deployed result against roles.yaml.

use super::Files;
use crate::model::{Access, Model, Strategy};
use serde::Serialize;

pub const FILE: &str = "routes/routes.json";

#[derive(Serialize)]
struct Doc<'m> {
    /// What wrote it, so nobody edits it by hand.
    generated_by: &'static str,
    api: &'m str,
    strategy: &'static str,
    /// The token clients send.
    token: &'static str,
    /// How a Lambda authorizer must be declared (absent under `cognito-scopes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    lambda_authorizer: Option<LambdaAuthorizer>,
    routes: Vec<RouteAuth>,
}

#[derive(Serialize)]
struct LambdaAuthorizer {
    /// Output of the template holding the function.
    function_arn_output: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    /// The cache key: the token and the route, so a cached answer never covers another route.
    identity_source: &'static str,
    ttl_seconds: u32,
}

#[derive(Serialize)]
struct RouteAuth {
    method: &'static str,
    path: String,
    /// `NONE`, `COGNITO_USER_POOLS` or `CUSTOM`, as API Gateway names it.
    authorization_type: &'static str,
    /// `COGNITO_USER_POOLS` only: any one of them grants the route.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorization_scopes: Vec<String>,
    /// roles.yaml's words for the route: `public`, `authenticated`, or `scopes`.
    access: &'static str,
    /// `match`: each path variable must equal this claim of the caller's token.
    #[serde(rename = "match", skip_serializing_if = "Vec::is_empty")]
    bound: Vec<Bound>,
    /// A `match` route's authorizer must key its cache on the concrete path: this identity
    /// source instead of `lambda_authorizer.identity_source` (a second authorizer of the same
    /// function).
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_source: Option<&'static str>,
}

#[derive(Serialize)]
struct Bound {
    variable: String,
    claim: String,
}

pub fn generate(model: &Model) -> Files {
    let strategy = model.api.strategy;
    let routes = model
        .routes
        .iter()
        .map(|route| {
            let access = match route.access {
                Access::Public => "public",
                Access::Authenticated => "authenticated",
                Access::AnyOf(_) => "scopes",
            };
            let (authorization_type, authorization_scopes) = match (&route.access, strategy) {
                (Access::Public, _) => ("NONE", Vec::new()),
                (_, Strategy::CognitoScopes) => ("COGNITO_USER_POOLS", model.method_scopes(route)),
                (_, Strategy::Lambda | Strategy::VerifiedPermissions) => ("CUSTOM", Vec::new()),
            };
            RouteAuth {
                method: route.method.as_str(),
                path: route.path.to_string(),
                authorization_type,
                authorization_scopes,
                access,
                bound: route
                    .bound
                    .iter()
                    .map(|b| Bound {
                        variable: b.var.clone(),
                        claim: b.claim.as_written(),
                    })
                    .collect(),
                identity_source: (!route.bound.is_empty() && strategy.uses_lambda_authorizer())
                    .then_some(super::authorizer::IDENTITY_SOURCE_BY_PATH),
            }
        })
        .collect();
    let lambda_authorizer = strategy
        .uses_lambda_authorizer()
        .then_some(LambdaAuthorizer {
            function_arn_output: "AuthorizerFunctionArn",
            kind: "REQUEST",
            identity_source: super::authorizer::IDENTITY_SOURCE,
            ttl_seconds: model.api.authorizer_ttl,
        });
    let doc = Doc {
        generated_by: "rolegen from roles.yaml; do not edit",
        api: &model.api.name,
        strategy: strategy.as_str(),
        token: match strategy {
            Strategy::CognitoScopes => "access",
            Strategy::Lambda => "id",
            Strategy::VerifiedPermissions => model.api.token.as_str(),
        },
        lambda_authorizer,
        routes,
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    text.push('\n');
    Files::from([(FILE.to_string(), text.into_bytes())])
}
