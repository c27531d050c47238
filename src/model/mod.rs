//! The resolved access model: the one truth every generator and command reads.
//!
//! Built once from the raw config (`build`), it holds groups with their effective scopes
//! (includes resolved), routes with the scopes that grant them, and the group × route access
//! matrix. Generators never see YAML and never re-derive any of this.
//!
//! Everything is sorted by name (groups, scopes) or by path then method (routes), so output
//! never depends on the order of the file, and ids are indexes into those sorted lists.

mod build;
pub mod path;
pub mod routing;
pub mod signin;
pub mod stage;

pub use build::build;
pub use path::{Method, Path, Segment};
pub use routing::Router;
pub use signin::{Mfa, SignIn};
pub use stage::{Definition, StageSettings};

use crate::diag::Span;
use fixedbitset::FixedBitSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScopeId(pub usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteId(pub usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub usize);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Lambda REQUEST authorizer, ID token, `cognito:groups` → the called route's decision.
    Lambda,
    /// Cognito authorizer, access token scopes ∩ method `AuthorizationScopes`.
    CognitoScopes,
    /// Lambda REQUEST authorizer that asks Amazon Verified Permissions, whose Cedar policies
    /// (one per group) rolegen generates.
    VerifiedPermissions,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Lambda => "lambda",
            Strategy::CognitoScopes => "cognito-scopes",
            Strategy::VerifiedPermissions => "verified-permissions",
        }
    }

    /// The token clients send under this strategy (`token` is `api.token`).
    pub fn token_name(self, token: TokenUse) -> &'static str {
        match (self, token) {
            (Strategy::Lambda, _) | (Strategy::VerifiedPermissions, TokenUse::Id) => "ID token",
            (Strategy::CognitoScopes, _) | (Strategy::VerifiedPermissions, TokenUse::Access) => {
                "access token"
            }
        }
    }

    /// Whether protected methods go through rolegen's Lambda REQUEST authorizer (`CUSTOM`).
    pub fn uses_lambda_authorizer(self) -> bool {
        matches!(self, Strategy::Lambda | Strategy::VerifiedPermissions)
    }
}

/// The token the `verified-permissions` authorizer verifies and hands to Verified
/// Permissions (`api.token`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    /// `token_use` in the token, and aws-jwt-verify's `tokenUse`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Api {
    pub name: String,
    pub stage: String,
    pub strategy: Strategy,
    pub description: Option<String>,
    /// Seconds API Gateway caches a Lambda authorizer's answer per token and route.
    pub authorizer_ttl: u32,
    /// The token `verified-permissions` verifies (ID for `lambda`, access for `cognito-scopes`).
    pub token: TokenUse,
    /// Where the API can be reached from (`api.endpoint`).
    pub endpoint: Endpoint,
    /// `api.external`: another tool owns the REST API; rolegen writes its Cognito side and
    /// authorizer only, and hands the routes' authorization over as data.
    pub external: bool,
}

/// API Gateway's endpoint types. A `PRIVATE` API is reachable only through the listed VPC
/// endpoints, and its resource policy admits only them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Regional,
    Edge,
    Private { vpc_endpoint_ids: Vec<String> },
}

impl Endpoint {
    pub fn as_str(&self) -> &'static str {
        match self {
            Endpoint::Regional => "REGIONAL",
            Endpoint::Edge => "EDGE",
            Endpoint::Private { .. } => "PRIVATE",
        }
    }
}

#[derive(Clone, Debug)]
pub struct UserPool {
    pub name: String,
    /// Keep the pool (and every user in it) when the stack deletes or replaces it.
    pub retain: bool,
    /// Hosted sign-in domain, callback and logout URLs, MFA.
    pub sign_in: SignIn,
    /// `user_pool.existing`: the pool exists outside this template (parameters, not a
    /// resource), so no stack operation can ever replace or delete it.
    pub existing: bool,
}

#[derive(Clone, Debug)]
pub struct ResourceServer {
    pub identifier: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub name: String,
    pub description: String,
    /// `identifier/name`, as it appears in access tokens and `AuthorizationScopes`.
    pub full_name: String,
    pub decl: Span,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<u32>,
    /// Scopes written on the group itself.
    pub own_scopes: Vec<ScopeId>,
    /// Groups named in `includes`.
    pub includes: Vec<GroupId>,
    /// Own scopes plus those of every included group, transitively; sorted by id.
    pub effective: Vec<EffectiveScope>,
    pub decl: Span,
}

/// A scope a group has, and why: the chain of `includes` from the group to the group that
/// names the scope (just the group itself for its own scopes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveScope {
    pub scope: ScopeId,
    pub via: Vec<GroupId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// No authorization at all.
    Public,
    /// Any signed-in user of the pool, in any group or none.
    Authenticated,
    /// Any one of these scopes grants the route (API Gateway's rule for
    /// `AuthorizationScopes`). Never empty; sorted by id.
    AnyOf(Vec<ScopeId>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Integration {
    /// API Gateway answers 200 itself: a deployable placeholder.
    Mock,
    /// Lambda proxy; `param` names the template parameter holding the function ARN.
    Lambda { param: String },
    /// HTTP proxy; path variables are passed through.
    Http { url: String },
}

#[derive(Clone, Debug)]
pub struct Route {
    pub method: Method,
    pub path: Path,
    pub access: Access,
    /// `match`: path variables that must equal a claim of the caller's token, sorted by
    /// variable. The route is allowed only when its access allows the caller *and* every one
    /// holds; a machine client never gets such a route.
    pub bound: Vec<Bound>,
    pub integration: Integration,
    pub decl: Span,
}

/// One `match` entry: the path variable `var` must equal the token's claim `claim`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    pub var: String,
    pub claim: Claim,
    /// The claim as written in `match`.
    pub decl: Span,
}

/// A claim a path variable can be bound to: string-valued claims Cognito puts into ID tokens
/// for every user (access tokens carry `sub` and `username` only).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    Sub,
    /// `cognito:username` in ID tokens, `username` in access tokens.
    Username,
    /// `custom:<name>`: a custom attribute (ID tokens only).
    Custom(String),
}

impl Claim {
    /// The claim as roles.yaml writes it (`sub`, `cognito:username`, `custom:tenant`).
    pub fn as_written(&self) -> String {
        match self {
            Claim::Sub => "sub".to_string(),
            Claim::Username => "cognito:username".to_string(),
            Claim::Custom(name) => format!("custom:{name}"),
        }
    }

    /// The claim's name in a token of `token_use`; `None` when that token lacks it.
    pub fn in_token(&self, token: TokenUse) -> Option<String> {
        match (self, token) {
            (Claim::Sub, _) => Some("sub".to_string()),
            (Claim::Username, TokenUse::Id) => Some("cognito:username".to_string()),
            (Claim::Username, TokenUse::Access) => Some("username".to_string()),
            (Claim::Custom(name), TokenUse::Id) => Some(format!("custom:{name}")),
            (Claim::Custom(_), TokenUse::Access) => None,
        }
    }
}

/// A machine client (`clients:`): an app client that gets access tokens with the
/// client-credentials grant, carrying its scopes. It is not a user: it has no groups, and no
/// `authenticated` or `match` route.
#[derive(Clone, Debug)]
pub struct Client {
    pub name: String,
    pub description: Option<String>,
    /// Sorted by id; never empty.
    pub scopes: Vec<ScopeId>,
    pub decl: Span,
}

impl Route {
    /// `GET /orders/{orderId}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The scope rolegen reserves for `authenticated` routes under `cognito-scopes`: the
/// pre-token trigger puts `<identifier>/authenticated` into every signed-in user's access
/// token, and those methods require it, so one access token works on every route.
pub const SIGNED_IN_SCOPE: &str = "authenticated";

/// Group × route → allow, plus the routes everybody may call.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// One row per group, one bit per route; the routes of `signed_in` are set in every row.
    rows: Vec<FixedBitSet>,
    public: FixedBitSet,
    /// Public and `authenticated` routes: what any signed-in user may call.
    signed_in: FixedBitSet,
    /// One row per machine client: the public routes and the unbound routes one of its scopes
    /// grants.
    clients: Vec<FixedBitSet>,
    /// The union of the clients' rows: the routes some machine client may call.
    any_client: FixedBitSet,
}

impl Matrix {
    pub fn allows(&self, group: GroupId, route: RouteId) -> bool {
        self.rows[group.0].contains(route.0)
    }

    /// The routes a signed-in caller in all of `groups` may call (the union of the groups'
    /// rows); with no groups, the public and `authenticated` routes.
    pub fn union(&self, groups: &[GroupId]) -> FixedBitSet {
        let mut set = self.signed_in.clone();
        for g in groups {
            set.union_with(&self.rows[g.0]);
        }
        set
    }

    pub fn row(&self, group: GroupId) -> &FixedBitSet {
        &self.rows[group.0]
    }

    /// The routes anyone may call, without a token.
    pub fn public(&self) -> &FixedBitSet {
        &self.public
    }

    /// The routes any signed-in user may call, in any group or none.
    pub fn signed_in(&self) -> &FixedBitSet {
        &self.signed_in
    }

    /// Whether machine client `client` may call `route`.
    pub fn client_allows(&self, client: ClientId, route: RouteId) -> bool {
        self.clients[client.0].contains(route.0)
    }

    /// The routes machine client `client` may call.
    pub fn client_row(&self, client: ClientId) -> &FixedBitSet {
        &self.clients[client.0]
    }

    /// Whether some machine client may call `route`.
    pub fn any_client(&self, route: RouteId) -> bool {
        self.any_client.contains(route.0)
    }
}

#[derive(Clone, Debug)]
pub struct Model {
    pub api: Api,
    pub user_pool: UserPool,
    pub resource_server: ResourceServer,
    pub scopes: Vec<Scope>,
    pub groups: Vec<Group>,
    pub routes: Vec<Route>,
    /// Sorted by name.
    pub clients: Vec<Client>,
    pub matrix: Matrix,
    /// Logging, tracing, metrics, throttling, CORS: how the stage runs, not who may call it.
    pub settings: StageSettings,
    /// `pretoken.extend`: the team's own trigger, run inside the generated one.
    pub pretoken_extend: Option<PretokenExtend>,
}

/// The team's pre-token trigger (`pretoken.extend`). `source` is filled by the loader, which
/// reads the file beside roles.yaml; a generator refuses to write a trigger without it.
#[derive(Clone, Debug)]
pub struct PretokenExtend {
    pub path: String,
    pub span: Span,
    pub source: Option<String>,
}

impl Model {
    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.0]
    }

    pub fn group(&self, id: GroupId) -> &Group {
        &self.groups[id.0]
    }

    pub fn route(&self, id: RouteId) -> &Route {
        &self.routes[id.0]
    }

    pub fn client(&self, id: ClientId) -> &Client {
        &self.clients[id.0]
    }

    pub fn client_ids(&self) -> impl Iterator<Item = ClientId> + '_ {
        (0..self.clients.len()).map(ClientId)
    }

    pub fn client_by_name(&self, name: &str) -> Option<ClientId> {
        self.clients
            .binary_search_by(|c| c.name.as_str().cmp(name))
            .ok()
            .map(ClientId)
    }

    /// Full scope names of a client's scopes, sorted: its `AllowedOAuthScopes`.
    pub fn full_scopes_of_client(&self, client: ClientId) -> Vec<&str> {
        let mut v: Vec<&str> = self.clients[client.0]
            .scopes
            .iter()
            .map(|s| self.scopes[s.0].full_name.as_str())
            .collect();
        v.sort_unstable();
        v
    }

    /// Whether some route binds a path variable to a claim (`match`).
    pub fn has_bound(&self) -> bool {
        self.routes.iter().any(|r| !r.bound.is_empty())
    }

    pub fn group_ids(&self) -> impl Iterator<Item = GroupId> + '_ {
        (0..self.groups.len()).map(GroupId)
    }

    pub fn route_ids(&self) -> impl Iterator<Item = RouteId> + '_ {
        (0..self.routes.len()).map(RouteId)
    }

    pub fn group_by_name(&self, name: &str) -> Option<GroupId> {
        self.groups
            .binary_search_by(|g| g.name.as_str().cmp(name))
            .ok()
            .map(GroupId)
    }

    pub fn scope_by_name(&self, name: &str) -> Option<ScopeId> {
        self.scopes
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()
            .map(ScopeId)
    }

    /// Every resource some route is declared on, once, in path order (routes are sorted by
    /// path, so the routes of one resource are neighbours).
    pub fn resource_paths(&self) -> impl Iterator<Item = &Path> + '_ {
        self.routes
            .iter()
            .enumerate()
            .filter(|(i, r)| *i == 0 || !self.routes[i - 1].path.same_shape(&r.path))
            .map(|(_, r)| &r.path)
    }

    /// API Gateway's dispatch over the declared routes; route numbers are `RouteId`s.
    pub fn router(&self) -> Router<'_> {
        Router::new(
            self.routes
                .iter()
                .map(|r| (r.method, r.path.segments.as_slice())),
        )
    }

    /// The route declared for `method` and a path of the same shape (variable names may differ).
    pub fn route_by(&self, method: Method, path: &Path) -> Option<RouteId> {
        self.routes
            .iter()
            .position(|r| r.method == method && r.path.same_shape(path))
            .map(RouteId)
    }

    /// The full scope names a route's method requires under `cognito-scopes` (any one
    /// suffices), sorted: its scopes, or the reserved scope of every signed-in user for an
    /// `authenticated` route; none for a public one.
    pub fn method_scopes(&self, route: &Route) -> Vec<String> {
        match &route.access {
            Access::Public => Vec::new(),
            Access::Authenticated => vec![self.signed_in_scope()],
            Access::AnyOf(ids) => {
                let mut v: Vec<String> = ids
                    .iter()
                    .map(|s| self.scopes[s.0].full_name.clone())
                    .collect();
                v.sort_unstable();
                v
            }
        }
    }

    /// Whether some route is `authenticated`.
    pub fn has_authenticated(&self) -> bool {
        self.routes
            .iter()
            .any(|r| r.access == Access::Authenticated)
    }

    /// `<identifier>/authenticated`: the scope `cognito-scopes` gives every signed-in user
    /// when some route is `authenticated`.
    pub fn signed_in_scope(&self) -> String {
        format!("{}/{SIGNED_IN_SCOPE}", self.resource_server.identifier)
    }

    /// Full scope names of a group's effective scopes, sorted: what its members' access
    /// tokens carry.
    pub fn full_scopes_of(&self, group: GroupId) -> Vec<&str> {
        let mut v: Vec<&str> = self.groups[group.0]
            .effective
            .iter()
            .map(|e| self.scopes[e.scope.0].full_name.as_str())
            .collect();
        v.sort_unstable();
        v
    }

    /// Whether a caller holding exactly `scopes` may call `route`: the rule every strategy
    /// must reproduce.
    pub fn scopes_grant(&self, scopes: &[ScopeId], route: RouteId) -> bool {
        match &self.routes[route.0].access {
            Access::Public | Access::Authenticated => true,
            Access::AnyOf(required) => required.iter().any(|s| scopes.contains(s)),
        }
    }

    /// Why `group` may call `route`: the group's effective scopes that the route accepts, each
    /// with its `includes` chain. Empty for a public route (nothing is needed) and for a route
    /// the group may not call.
    pub fn grants(&self, group: GroupId, route: RouteId) -> Vec<&EffectiveScope> {
        match &self.routes[route.0].access {
            Access::Public | Access::Authenticated => Vec::new(),
            Access::AnyOf(required) => self.groups[group.0]
                .effective
                .iter()
                .filter(|e| required.contains(&e.scope))
                .collect(),
        }
    }

    /// The distinct Lambda integration parameters, sorted.
    pub fn lambda_params(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .routes
            .iter()
            .filter_map(|r| match &r.integration {
                Integration::Lambda { param } => Some(param.as_str()),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}
