//! The Cognito side of a template: resource servers and their scopes, groups, app clients.
//!
//! Read for `rolegen init --cognito` (to write roles.yaml's `resource_server`, `scopes` and
//! `groups` from what a project already has) and for `rolegen drift` (a route scope that no
//! resource server declares can never be in a token; a group roles.yaml declares must exist in
//! the pool; a client may only allow declared scopes). Only plain text is taken: a name built
//! with an intrinsic is left out and said so, never guessed.

use super::Unresolved;
use super::tree::Node;

#[derive(Clone, Debug, Default)]
pub struct CognitoSide {
    pub resource_servers: Vec<ResourceServer>,
    pub groups: Vec<Group>,
    pub clients: Vec<Client>,
    /// Whether the file defines a user pool itself (`AWS::Cognito::UserPool`).
    pub has_pool: bool,
    pub unresolved: Vec<Unresolved>,
}

impl CognitoSide {
    /// Whether the file says anything about the Cognito side at all.
    pub fn is_empty(&self) -> bool {
        self.resource_servers.is_empty() && self.groups.is_empty() && self.clients.is_empty()
    }

    /// Every full scope name (`identifier/scope`) the resource servers declare.
    pub fn declared_scopes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .resource_servers
            .iter()
            .flat_map(|rs| {
                rs.scopes
                    .iter()
                    .map(move |s| format!("{}/{}", rs.identifier, s.name))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[derive(Clone, Debug)]
pub struct ResourceServer {
    pub identifier: String,
    pub name: Option<String>,
    pub scopes: Vec<ScopeDecl>,
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug)]
pub struct ScopeDecl {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug)]
pub struct Client {
    /// The logical ID.
    pub id: String,
    /// `AllowedOAuthScopes` written as plain text.
    pub scopes: Vec<String>,
    /// `AllowedOAuthFlows` has `client_credentials`: a machine client.
    pub client_credentials: bool,
    pub line: u32,
    pub column: u32,
}

/// Scopes Cognito issues without a resource server (OpenID Connect's and its own).
pub const BUILT_IN_SCOPES: &[&str] = &[
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// Reads the Cognito resources of a CloudFormation template (`doc` is the whole template).
pub fn read(doc: Node) -> CognitoSide {
    let mut side = CognitoSide::default();
    let Some(resources) = doc.get("Resources") else {
        return side;
    };
    for e in resources.entries() {
        let ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
        let props = e.value.get("Properties");
        let text = |key: &str| props.and_then(|p| p.get(key)).and_then(Node::as_str);
        match ty {
            "AWS::Cognito::UserPool" => side.has_pool = true,
            "AWS::Cognito::UserPoolResourceServer" => {
                let Some(identifier) = text("Identifier") else {
                    side.unresolved.push(Unresolved::at(
                        e.line,
                        e.column,
                        format!("the identifier of resource server `{}` is not plain text", e.key),
                    ));
                    continue;
                };
                let scopes = props
                    .and_then(|p| p.get("Scopes"))
                    .map(|s| {
                        s.items()
                            .filter_map(|i| {
                                Some(ScopeDecl {
                                    name: i.get("ScopeName")?.as_str()?.to_string(),
                                    description: i
                                        .get("ScopeDescription")
                                        .and_then(Node::as_str)
                                        .map(str::to_string),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                side.resource_servers.push(ResourceServer {
                    identifier: identifier.to_string(),
                    name: text("Name").map(str::to_string),
                    scopes,
                    line: e.line,
                    column: e.column,
                });
            }
            "AWS::Cognito::UserPoolGroup" => match text("GroupName") {
                Some(name) => side.groups.push(Group {
                    name: name.to_string(),
                    description: text("Description").map(str::to_string),
                    precedence: props
                        .and_then(|p| p.get("Precedence"))
                        .and_then(|n| n.to_json().as_i64()),
                    line: e.line,
                    column: e.column,
                }),
                None => side.unresolved.push(Unresolved::at(
                    e.line,
                    e.column,
                    format!(
                        "the name of group `{}` is not plain text (or not given: CloudFormation then makes one up)",
                        e.key
                    ),
                )),
            },
            "AWS::Cognito::UserPoolClient" => {
                let list = |key: &str| -> Vec<String> {
                    props
                        .and_then(|p| p.get(key))
                        .map(|l| {
                            l.items()
                                .filter_map(|i| i.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                side.clients.push(Client {
                    id: e.key.to_string(),
                    scopes: list("AllowedOAuthScopes"),
                    client_credentials: list("AllowedOAuthFlows")
                        .iter()
                        .any(|f| f == "client_credentials"),
                    line: e.line,
                    column: e.column,
                });
            }
            _ => {}
        }
    }
    side
}
