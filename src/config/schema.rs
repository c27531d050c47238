//! The JSON Schema of `roles.yaml`, for editors (`yaml-language-server`) and for readers of
//! the format. These types describe the file; they are never used to parse it (the spanned
//! walker in `raw` does that), and a test keeps their keys equal to the walker's.

use schemars::{JsonSchema, schema_for};
use std::collections::BTreeMap;

/// rolegen's roles file: who may call which route of an API Gateway REST API.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "rolegen roles.yaml")]
pub struct RolesFile {
    /// Format version; only `1` exists.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    pub api: Api,
    pub user_pool: UserPool,
    pub resource_server: ResourceServer,
    /// OAuth scopes of the resource server, name → description. A scope `admin` is issued as
    /// `<identifier>/admin`.
    pub scopes: BTreeMap<String, Option<String>>,
    /// Cognito groups (roles), name → definition.
    pub groups: BTreeMap<String, Option<Group>>,
    /// Routes, `METHOD /path` → who may call it. A route not listed does not exist.
    pub routes: BTreeMap<String, Route>,
    /// Machine clients (client-credentials grant), name → the scopes they are granted. A
    /// client may call a route when it has one of the route's scopes; it is not a user and
    /// gets no `authenticated` or `match` route.
    pub clients: Option<BTreeMap<String, Client>>,
    /// `cognito-scopes`: the generated pre-token trigger.
    pub pretoken: Option<Pretoken>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Client {
    #[schemars(length(max = 2048))]
    pub description: Option<String>,
    /// Scopes this client is granted (its `AllowedOAuthScopes`).
    #[schemars(length(min = 1, max = 50))]
    pub scopes: Vec<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Pretoken {
    /// Path (relative to roles.yaml) of your own pre-token-generation V2 trigger, an ES module
    /// exporting `handler`: it runs inside the generated one, its claims are kept, and
    /// rolegen's scope decision is final.
    pub extend: Option<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Api {
    /// Name of the REST API.
    pub name: String,
    /// Stage name (letters, digits and `_`).
    #[schemars(regex(pattern = r"^[A-Za-z0-9_]{1,128}$"))]
    pub stage: String,
    /// How access is enforced.
    pub authorizer: Strategy,
    pub description: Option<String>,
    /// Seconds API Gateway caches a Lambda authorizer's answer per token and route (`lambda` and `verified-permissions`; default 300).
    #[schemars(range(min = 0, max = 3600))]
    pub authorizer_ttl: Option<u32>,
    /// The token clients send with `verified-permissions`: `id` (default) or `access`.
    pub token: Option<TokenUse>,
    /// API Gateway's endpoint type (default `REGIONAL`).
    pub endpoint: Option<EndpointType>,
    /// `PRIVATE` only: the VPC endpoints that may reach the API (its resource policy admits
    /// only them).
    pub vpc_endpoint_ids: Option<Vec<String>>,
    /// Access logs of the stage, one JSON line per request, to a generated log group (on by
    /// default, kept 365 days); `false` turns them off.
    pub logging: Option<LoggingSetting>,
    /// X-Ray tracing of the stage (default `true`).
    pub tracing: Option<bool>,
    /// Detailed CloudWatch metrics per method (default `false`; billed per metric).
    pub metrics: Option<bool>,
    /// The stage's default limits for every method (requests per second and burst).
    pub throttle: Option<Throttle>,
    /// Browsers on these origins may call the API: an unauthenticated `OPTIONS` on every
    /// path answers the preflight, and every response carries the CORS headers.
    pub cors: Option<Cors>,
    /// `true`: another tool (SAM, CDK) owns the REST API. rolegen writes no REST API, only
    /// the Cognito side, the authorizer and Outputs (plus `out/routes/routes.json`) for it.
    pub external: Option<bool>,
    /// How the template defines the REST API: `resources` (default: a resource per path and
    /// method), `body` (one OpenAPI `Body`, a handful of resources whatever the route count;
    /// for APIs past CloudFormation's 500 resources) or `package` (the same OpenAPI document as
    /// a file that `aws cloudformation package` uploads and a small function puts into the API;
    /// for APIs whose template would pass CloudFormation's 1 MB).
    pub definition: Option<Definition>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Definition {
    Resources,
    Body,
    Package,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
pub enum LoggingSetting {
    /// `false`: no access logs.
    Off(bool),
    On(Logging),
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Logging {
    /// Days CloudWatch Logs keeps the access logs (one of its allowed values; default 365).
    pub retention_days: Option<u32>,
    /// Also set the account's API Gateway logging role (once per account and region; leave
    /// it off when the account has one).
    pub account_role: Option<bool>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Throttle {
    /// Steady requests per second.
    pub rate: Option<u32>,
    /// Requests accepted at once above the rate.
    pub burst: Option<u32>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cors {
    /// `scheme://host[:port]` of each web app, or `*` alone.
    pub origins: Vec<String>,
    /// Request headers browsers may send (default `Authorization`, `Content-Type`;
    /// `Authorization` is always allowed).
    pub headers: Option<Vec<String>>,
    /// Whether browsers may send cookies (not with `*`).
    pub credentials: Option<bool>,
    /// Seconds a browser may cache the preflight's answer (0–86400).
    #[schemars(range(min = 0, max = 86400))]
    pub max_age: Option<u32>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
pub enum EndpointType {
    #[serde(rename = "REGIONAL")]
    Regional,
    #[serde(rename = "EDGE")]
    Edge,
    #[serde(rename = "PRIVATE")]
    Private,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenUse {
    /// The Cognito ID token.
    Id,
    /// The Cognito access token.
    Access,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Lambda REQUEST authorizer reading `cognito:groups` from the ID token and deciding the called route.
    Lambda,
    /// Cognito authorizer matching access-token scopes against `AuthorizationScopes`.
    CognitoScopes,
    /// Lambda REQUEST authorizer asking Amazon Verified Permissions, with one Cedar policy per group.
    VerifiedPermissions,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct UserPool {
    #[schemars(length(min = 1, max = 128))]
    pub name: String,
    /// `Retain` (default) keeps the pool and its users when the stack deletes or replaces it.
    pub deletion_policy: Option<DeletionPolicy>,
    /// Prefix of the hosted sign-in domain `https://<prefix>.auth.<region>.amazoncognito.com`
    /// (unique in the region; without `aws`, `amazon`, `cognito`).
    #[schemars(regex(pattern = r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$"))]
    pub domain: Option<String>,
    /// Where the hosted sign-in page may send users back to (HTTPS, `http://localhost`, or an
    /// app scheme; no fragment). Without it the template takes a `CallbackUrl` parameter.
    #[schemars(length(max = 100))]
    pub callback_urls: Option<Vec<String>>,
    /// Where the hosted sign-out may send users to (same rules as `callback_urls`).
    #[schemars(length(max = 100))]
    pub logout_urls: Option<Vec<String>>,
    /// Second factor: `off` (default), `optional` or `required`; the factor is an
    /// authenticator app (TOTP).
    pub mfa: Option<MfaSetting>,
    /// `true`: the pool exists already; the template takes `UserPoolId` and `UserPoolArn` as
    /// parameters and creates no pool.
    pub existing: Option<bool>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MfaSetting {
    Off,
    Optional,
    Required,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
pub enum DeletionPolicy {
    Retain,
    Delete,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ResourceServer {
    /// Prefix of every scope, e.g. `api` or `https://api.example.com`.
    #[schemars(length(min = 1, max = 256))]
    pub identifier: String,
    #[schemars(length(min = 1, max = 256))]
    pub name: String,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Group {
    #[schemars(length(max = 2048))]
    pub description: Option<String>,
    /// Lower wins in Cognito's `cognito:preferred_role`; does not affect access.
    #[schemars(range(min = 0, max = 2147483647))]
    pub precedence: Option<u32>,
    /// Scopes this group grants.
    pub scopes: Option<Vec<String>>,
    /// Groups whose access this group also has (transitively).
    pub includes: Option<Vec<String>>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
pub enum Route {
    /// Any one of these scopes grants the route.
    Scopes(Vec<String>),
    /// `public`: no authorization at all; `authenticated`: any signed-in user of the pool.
    Word(AccessWord),
    Long(LongRoute),
}

#[allow(dead_code)]
#[derive(JsonSchema)]
pub enum AccessWord {
    #[serde(rename = "public")]
    Public,
    #[serde(rename = "authenticated")]
    Authenticated,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LongRoute {
    pub scopes: Option<Vec<String>>,
    pub public: Option<bool>,
    /// Any signed-in user of the pool, in any group or none.
    pub authenticated: Option<bool>,
    /// Path variable → claim: the route is allowed only when each variable equals that claim
    /// of the caller's verified token (`lambda` and `verified-permissions` only).
    #[serde(rename = "match")]
    pub match_: Option<BTreeMap<String, Claim>>,
    pub integration: Option<Integration>,
    /// This route's own limits (not for `ANY` routes); a limit left out is `api.throttle`'s.
    pub throttle: Option<Throttle>,
}

/// A string-valued claim of the caller's token: `sub`, `cognito:username` or
/// `custom:<attribute>`.
#[allow(dead_code)]
#[derive(JsonSchema)]
pub struct Claim(
    #[schemars(regex(pattern = r"^(sub|cognito:username|custom:[A-Za-z0-9_-]{1,20})$"))] String,
);

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
pub enum Integration {
    Mock(MockWord),
    Tagged(TaggedIntegration),
}

#[allow(dead_code)]
#[derive(JsonSchema)]
pub enum MockWord {
    #[serde(rename = "mock")]
    Mock,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaggedIntegration {
    /// The default: API Gateway answers 200 itself.
    Mock(Option<bool>),
    /// Lambda proxy; the value names the template parameter holding the function ARN.
    Lambda(String),
    /// HTTP proxy to this URL (path variables are passed through).
    Http(String),
}

/// The schema as pretty JSON, ending in a newline.
pub fn json() -> String {
    let schema = schema_for!(RolesFile);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::keys;
    use serde_json::Value;

    fn props(schema: &Value, def: Option<&str>) -> Vec<String> {
        let obj = match def {
            None => schema,
            Some(d) => &schema["$defs"][d],
        };
        let mut v: Vec<String> = obj["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }

    fn sorted(k: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = k.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn schema_keys_match_the_walker() {
        let schema: Value = serde_json::from_str(&json()).unwrap();
        assert_eq!(props(&schema, None), sorted(keys::TOP));
        assert_eq!(props(&schema, Some("Api")), sorted(keys::API));
        assert_eq!(props(&schema, Some("UserPool")), sorted(keys::USER_POOL));
        assert_eq!(
            props(&schema, Some("ResourceServer")),
            sorted(keys::RESOURCE_SERVER)
        );
        assert_eq!(props(&schema, Some("Group")), sorted(keys::GROUP));
        assert_eq!(props(&schema, Some("LongRoute")), sorted(keys::ROUTE));
        assert_eq!(props(&schema, Some("Client")), sorted(keys::CLIENT));
        assert_eq!(props(&schema, Some("Logging")), sorted(keys::LOGGING));
        assert_eq!(props(&schema, Some("Throttle")), sorted(keys::THROTTLE));
        assert_eq!(props(&schema, Some("Cors")), sorted(keys::CORS));
    }
}
