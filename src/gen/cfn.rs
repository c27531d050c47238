//! The CloudFormation template: user pool, groups, resource server and client, the
//! strategy's Lambda functions, and the REST API with each method's authorization.
//!
//! Built as data (serde_json values in a fixed insertion order) and printed as YAML, never
//! as text. Logical IDs come from names, never from positions, so reordering roles.yaml
//! changes nothing and renaming one group touches only that group.

use super::Files;
use super::text::push_segments;
use crate::diag::Diagnostic;
use crate::model::{Access, Integration, Model, Path, Route, Segment, Strategy};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const TEMPLATE: &str = "cfn/template.yaml";
/// CloudFormation: at most 500 resources per template.
pub const MAX_RESOURCES: usize = 500;
/// CloudFormation: a template body uploaded through S3 may be up to 1 MB.
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;
/// CloudFormation: a template body passed inline may be up to 51,200 bytes.
pub const MAX_INLINE_TEMPLATE_BYTES: usize = 51_200;

/// Limits are parameters so the benchmark can measure the work itself past them.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_resources: usize,
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_resources: MAX_RESOURCES,
            max_bytes: MAX_TEMPLATE_BYTES,
        }
    }
}

pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    generate_with(model, Limits::default())
}

pub fn generate_with(model: &Model, limits: Limits) -> Result<Files, Vec<Diagnostic>> {
    let ids = LogicalIds::new(model)?;
    let mut errors = Vec::new();
    let template = build(model, &ids);
    let n_resources = template["Resources"].as_object().map_or(0, Map::len);
    if n_resources > limits.max_resources {
        errors.push(
            Diagnostic::error(
                "cfn-limit",
                format!(
                    "the template would have {n_resources} resources, {} over CloudFormation's limit of {}",
                    n_resources - limits.max_resources,
                    limits.max_resources
                ),
            )
            .help(format!(
                "{} API Gateway resources and methods come from {} routes; split the routes over several APIs (one roles file each), or merge routes into fewer paths",
                count_api_resources(&template),
                model.routes.len()
            )),
        );
    }
    let yaml = to_yaml(&template);
    if yaml.len() > limits.max_bytes {
        errors.push(
            Diagnostic::error(
                "cfn-limit",
                format!(
                    "the template would be {} bytes, {} over CloudFormation's limit of {} bytes",
                    yaml.len(),
                    yaml.len() - limits.max_bytes,
                    limits.max_bytes
                ),
            )
            .help("split the routes over several APIs (one roles file each)"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Files::from([(TEMPLATE.to_string(), yaml.into_bytes())]))
}

/// YAML for CloudFormation. The emitter quotes every string that YAML would read as
/// something else (`"200"`, `"true"`, `"null"`), which CloudFormation needs.
pub fn to_yaml(v: &Value) -> String {
    super::yaml::to_string(v)
}

fn count_api_resources(t: &Value) -> usize {
    t["Resources"].as_object().map_or(0, |r| {
        r.values()
            .filter(|v| {
                matches!(
                    v["Type"].as_str(),
                    Some("AWS::ApiGateway::Resource" | "AWS::ApiGateway::Method")
                )
            })
            .count()
    })
}

/// `{ Type, Properties }`. Not `json!`, which would deep-copy `props` through serde: once per
/// method, that copy was over a tenth of the template's cost.
fn typed(ty: &str, props: Map<String, Value>) -> Value {
    let mut m = Map::new();
    m.insert("Type".into(), Value::String(ty.into()));
    m.insert("Properties".into(), Value::Object(props));
    Value::Object(m)
}

fn r(id: &str) -> Value {
    json!({ "Ref": id })
}

fn get_att(id: &str, attr: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attr] })
}

fn sub(s: &str) -> Value {
    json!({ "Fn::Sub": s })
}

/// First `n` hex digits of SHA-256: a stable, machine-independent fingerprint.
pub fn short_hash(data: &[u8], n: usize) -> String {
    hex_prefix(&Sha256::digest(data), n)
}

/// `short_hash` of the value's compact JSON, hashed as it is written rather than first
/// collected into one string (the API part of a large template is megabytes of JSON).
pub fn short_hash_json<T: serde::Serialize + ?Sized>(value: &T, n: usize) -> String {
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // serde_json writes many small pieces; a buffer keeps the hasher fed in blocks.
    let mut w = std::io::BufWriter::with_capacity(8192, Hashing(Sha256::new()));
    serde_json::to_writer(&mut w, value).expect("values serialize");
    let Ok(h) = w.into_inner() else {
        unreachable!("writing into a hasher never fails")
    };
    hex_prefix(&h.0.finalize(), n)
}

fn hex_prefix(digest: &[u8], n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(n);
    for b in digest.iter() {
        hex.push(HEX[usize::from(b >> 4)] as char);
        hex.push(HEX[usize::from(b & 15)] as char);
    }
    hex.truncate(n);
    hex
}

/// A name as part of a logical ID (which must be `[A-Za-z0-9]+`). A name that already is
/// alphanumeric is used as is; any other gets its letters and digits plus a hash of the
/// exact name, so `a-b` and `ab` can never meet.
pub fn ident(name: &str) -> String {
    if !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return name.to_string();
    }
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(40)
        .collect();
    format!("{clean}{}", short_hash(name.as_bytes(), 8).to_uppercase())
}

pub fn group_id(name: &str) -> String {
    format!("Group{}", ident(name))
}

/// Logical ID part for a path: readable camel case plus a hash of the exact path, so that
/// `/a/{b}` and `/a/b` stay apart. Appended to `out`, which already holds the prefix.
fn push_path_ident(out: &mut String, segments: &[Segment]) {
    if segments.is_empty() {
        out.push_str("Root");
    }
    let mut readable = 0;
    'words: for seg in segments {
        let (word, prefix) = match seg {
            Segment::Literal(s) => (s.as_str(), ""),
            Segment::Var(v) => (v.as_str(), "By"),
            Segment::Greedy(v) => (v.as_str(), "Any"),
        };
        // The readable part is at most 80 characters, all ASCII.
        for c in prefix.chars() {
            if readable == 80 {
                break 'words;
            }
            out.push(c);
            readable += 1;
        }
        let mut upper = true;
        for c in word.chars() {
            if c.is_ascii_alphanumeric() {
                if readable == 80 {
                    break 'words;
                }
                out.push(if upper { c.to_ascii_uppercase() } else { c });
                readable += 1;
                upper = false;
            } else {
                upper = true;
            }
        }
    }
    let mut text = String::with_capacity(64);
    push_segments(&mut text, segments);
    out.push_str(&short_hash(text.as_bytes(), 8).to_uppercase());
}

pub fn resource_id(path: &Path) -> String {
    resource_id_of(&path.segments)
}

fn resource_id_of(segments: &[Segment]) -> String {
    let mut id = String::with_capacity(48);
    id.push_str("Resource");
    push_path_ident(&mut id, segments);
    id
}

pub fn method_id(route: &Route) -> String {
    let verb = route.method.as_str();
    let mut id = String::with_capacity(48);
    id.push_str("Method");
    id.push_str(&verb[..1]);
    for c in verb[1..].chars() {
        id.push(c.to_ascii_lowercase());
    }
    push_path_ident(&mut id, &route.path.segments);
    id
}

/// Logical IDs the template always has; a Lambda parameter may not take one of them.
const FIXED_IDS: &[&str] = &[
    "CallbackUrl",
    "UserPool",
    "ResourceServer",
    "UserPoolClient",
    "PreTokenFunctionRole",
    "PreTokenFunction",
    "PreTokenPermission",
    "AuthorizerFunctionRole",
    "AuthorizerFunction",
    "AuthorizerPermission",
    "RestApi",
    "Authorizer",
    "Stage",
];

/// The logical IDs derived from names, computed once for the whole template.
///
/// Parameters and resources share one namespace of logical IDs, and the template is built in
/// maps where a second entry under the same ID would silently replace the first, so every ID
/// is checked for a clash here, before anything is built.
struct LogicalIds<'m> {
    /// Per group, in model order.
    groups: Vec<String>,
    /// Per route, in model order.
    methods: Vec<String>,
    /// Per distinct path prefix.
    resources: BTreeMap<&'m [Segment], String>,
}

impl<'m> LogicalIds<'m> {
    fn new(model: &'m Model) -> Result<Self, Vec<Diagnostic>> {
        let groups: Vec<String> = model.groups.iter().map(|g| group_id(&g.name)).collect();
        let methods: Vec<String> = model.routes.iter().map(method_id).collect();
        let mut resources: BTreeMap<&[Segment], String> = BTreeMap::new();
        for r in &model.routes {
            for depth in 1..=r.path.segments.len() {
                let prefix = &r.path.segments[..depth];
                if !resources.contains_key(prefix) {
                    resources.insert(prefix, resource_id_of(prefix));
                }
            }
        }

        let mut seen: std::collections::HashMap<&str, String> = FIXED_IDS
            .iter()
            .map(|id| (*id, "a resource rolegen always generates".to_string()))
            .collect();
        let params = model.lambda_params();
        let permissions: Vec<String> = params.iter().map(|p| lambda_permission_id(p)).collect();
        let mut candidates: Vec<(&str, String, Option<crate::diag::Span>)> = Vec::new();
        for (p, perm) in params.iter().zip(&permissions) {
            candidates.push((p, format!("the Lambda parameter `{p}`"), None));
            candidates.push((perm, format!("the permission of `{p}`"), None));
        }
        for (g, id) in model.groups.iter().zip(&groups) {
            candidates.push((id, format!("group `{}`", g.name), Some(g.decl)));
        }
        for (r, id) in model.routes.iter().zip(&methods) {
            candidates.push((id, format!("route `{}`", r.key()), Some(r.decl)));
        }
        for (prefix, id) in &resources {
            let mut what = String::from("path `");
            push_segments(&mut what, prefix);
            what.push('`');
            candidates.push((id, what, None));
        }
        let mut errors = Vec::new();
        for (id, what, span) in candidates {
            if id.starts_with("Deployment") {
                errors.push(clash(id, &what, "the API deployment", span));
                continue;
            }
            match seen.get(id) {
                Some(other) => errors.push(clash(id, &what, other, span)),
                None => {
                    seen.insert(id, what);
                }
            }
        }
        if errors.is_empty() {
            Ok(LogicalIds {
                groups,
                methods,
                resources,
            })
        } else {
            Err(errors)
        }
    }
}

fn clash(id: &str, what: &str, other: &str, span: Option<crate::diag::Span>) -> Diagnostic {
    let d = Diagnostic::error(
        "cfn-logical-id",
        format!("{what} would get the CloudFormation logical ID `{id}`, already used by {other}"),
    )
    .help("rename one of them (a Lambda integration parameter is best renamed, e.g. `OrdersFunctionArn`)");
    match span {
        Some(s) => d.at(s),
        None => d,
    }
}

pub fn lambda_permission_id(param: &str) -> String {
    format!("{param}InvokePermission")
}

/// The whole template as a JSON value, keys in the order they are printed; `Err` when two
/// derived logical IDs would clash.
pub fn template(model: &Model) -> Result<Value, Vec<Diagnostic>> {
    Ok(build(model, &LogicalIds::new(model)?))
}

fn build(model: &Model, ids: &LogicalIds) -> Value {
    let mut params = Map::new();
    let mut res = Map::new();

    params.insert(
        "CallbackUrl".into(),
        json!({
            "Type": "String",
            "Default": "http://localhost:3000/callback",
            "Description": "Where the hosted sign-in page may send users back to (OAuth code flow)",
        }),
    );
    for p in model.lambda_params() {
        params.insert(
            p.to_string(),
            json!({
                "Type": "String",
                "AllowedPattern": "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$",
                "Description": "ARN of the Lambda function behind the routes that name this parameter",
            }),
        );
    }

    cognito(model, ids, &mut res);
    match model.api.strategy {
        Strategy::CognitoScopes => pretoken(&mut res),
        Strategy::Lambda => authorizer_function(&mut res),
    }
    api(model, ids, &mut res);
    silence_literal_subs(&mut res);

    let mut t = Map::new();
    t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    t.insert(
        "Description".into(),
        json!(format!(
            "Cognito user pool and API Gateway REST API with route authorization (strategy {}). Generated by rolegen from roles.yaml; do not edit.",
            model.api.strategy.as_str()
        )),
    );
    t.insert("Parameters".into(), Value::Object(params));
    t.insert("Resources".into(), Value::Object(res));
    t.insert(
        "Outputs".into(),
        json!({
            "UserPoolId": { "Description": "Cognito user pool id", "Value": r("UserPool") },
            "UserPoolClientId": { "Description": "App client id", "Value": r("UserPoolClient") },
            "ApiUrl": {
                "Description": "Invoke URL of the stage",
                "Value": sub("https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"),
            },
        }),
    );
    Value::Object(t)
}

/// cfn-lint's E1029 takes `${...}` in a plain string for a forgotten `Fn::Sub`. Names and
/// descriptions from roles.yaml may hold it on purpose (CloudFormation keeps a plain string as
/// written), so the check is silenced on exactly the resources that carry such a string.
fn silence_literal_subs(res: &mut Map<String, Value>) {
    for resource in res.values_mut() {
        if !resource.get("Properties").is_some_and(has_literal_sub) {
            continue;
        }
        let Some(obj) = resource.as_object_mut() else {
            continue;
        };
        if !obj.contains_key("Metadata") {
            // Metadata goes before Properties, as on every other resource that has it.
            let old = std::mem::take(obj);
            for (k, v) in old {
                if k == "Properties" {
                    obj.insert("Metadata".into(), json!({}));
                }
                obj.insert(k, v);
            }
        }
        let meta = &mut obj["Metadata"];
        if meta.get("cfn-lint").is_none() {
            meta["cfn-lint"] = json!({ "config": { "ignore_checks": [] } });
        }
        if let Some(checks) = meta["cfn-lint"]["config"]["ignore_checks"].as_array_mut()
            && !checks.iter().any(|c| c == "E1029")
        {
            checks.push(json!("E1029"));
        }
    }
}

fn has_literal_sub(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${"),
        Value::Array(a) => a.iter().any(has_literal_sub),
        Value::Object(o) => o.iter().any(|(k, v)| k != "Fn::Sub" && has_literal_sub(v)),
        _ => false,
    }
}

fn cognito(model: &Model, ids: &LogicalIds, res: &mut Map<String, Value>) {
    let policy = if model.user_pool.retain {
        "Retain"
    } else {
        "Delete"
    };
    let mut props = Map::new();
    props.insert("UserPoolName".into(), json!(model.user_pool.name));
    props.insert("UsernameAttributes".into(), json!(["email"]));
    props.insert("AutoVerifiedAttributes".into(), json!(["email"]));
    props.insert(
        "AdminCreateUserConfig".into(),
        json!({ "AllowAdminCreateUserOnly": true }),
    );
    match model.api.strategy {
        Strategy::CognitoScopes => {
            // Access-token customization (trigger V2_0) needs the Essentials feature plan.
            props.insert("UserPoolTier".into(), json!("ESSENTIALS"));
            props.insert(
                "LambdaConfig".into(),
                json!({
                    "PreTokenGenerationConfig": {
                        "LambdaArn": get_att("PreTokenFunction", "Arn"),
                        "LambdaVersion": "V2_0",
                    }
                }),
            );
        }
        Strategy::Lambda => {
            // ID tokens carry `cognito:groups` on every plan.
            props.insert("UserPoolTier".into(), json!("LITE"));
        }
    }
    res.insert(
        "UserPool".into(),
        json!({
            "Type": "AWS::Cognito::UserPool",
            "DeletionPolicy": policy,
            "UpdateReplacePolicy": policy,
            "Properties": props,
        }),
    );

    for (g, id) in model.groups.iter().zip(&ids.groups) {
        let mut props = Map::new();
        props.insert("GroupName".into(), json!(g.name));
        if let Some(d) = &g.description {
            props.insert("Description".into(), json!(d));
        }
        if let Some(p) = g.precedence {
            props.insert("Precedence".into(), json!(p));
        }
        props.insert("UserPoolId".into(), r("UserPool"));
        res.insert(id.clone(), typed("AWS::Cognito::UserPoolGroup", props));
    }

    let scopes: Vec<Value> = model
        .scopes
        .iter()
        .map(|s| json!({ "ScopeName": s.name, "ScopeDescription": s.description }))
        .collect();
    res.insert(
        "ResourceServer".into(),
        json!({
            "Type": "AWS::Cognito::UserPoolResourceServer",
            "Properties": {
                "Identifier": model.resource_server.identifier,
                "Name": model.resource_server.name,
                "UserPoolId": r("UserPool"),
                "Scopes": scopes,
            }
        }),
    );

    let mut allowed = vec!["openid".to_string()];
    if model.api.strategy == Strategy::CognitoScopes {
        allowed.extend(model.scopes.iter().map(|s| s.full_name.clone()));
    }
    res.insert(
        "UserPoolClient".into(),
        json!({
            "Type": "AWS::Cognito::UserPoolClient",
            // The client may only allow scopes that exist.
            "DependsOn": ["ResourceServer"],
            "Properties": {
                "UserPoolId": r("UserPool"),
                "GenerateSecret": false,
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
                "SupportedIdentityProviders": ["COGNITO"],
                "AllowedOAuthFlowsUserPoolClient": true,
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": allowed,
                "CallbackURLs": [r("CallbackUrl")],
            }
        }),
    );
}

fn lambda_role() -> Value {
    json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "lambda.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                }],
            },
            "ManagedPolicyArns": [
                sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
            ],
        }
    })
}

/// A Node.js function whose code is a folder beside the template, uploaded by
/// `aws cloudformation package`.
pub fn node_function(code_dir: &str, role: &str, env: Option<Value>) -> Value {
    let mut props = Map::new();
    props.insert("Runtime".into(), json!("nodejs22.x"));
    props.insert("Handler".into(), json!("index.handler"));
    props.insert("Code".into(), json!(code_dir));
    props.insert("Role".into(), get_att(role, "Arn"));
    props.insert("Architectures".into(), json!(["arm64"]));
    props.insert("MemorySize".into(), json!(256));
    // Cognito waits at most 5 seconds for a trigger.
    props.insert("Timeout".into(), json!(5));
    if let Some(env) = env {
        props.insert("Environment".into(), json!({ "Variables": env }));
    }
    json!({
        "Type": "AWS::Lambda::Function",
        // W3002 says a local code path needs `aws cloudformation package`: that is the
        // intended deployment (see README), so only that check is silenced, only here.
        "Metadata": { "cfn-lint": { "config": { "ignore_checks": ["W3002"] } } },
        "Properties": props,
    })
}

fn pretoken(res: &mut Map<String, Value>) {
    res.insert("PreTokenFunctionRole".into(), lambda_role());
    res.insert(
        "PreTokenFunction".into(),
        node_function("../pretoken", "PreTokenFunctionRole", None),
    );
    res.insert(
        "PreTokenPermission".into(),
        json!({
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": get_att("PreTokenFunction", "Arn"),
                "Principal": "cognito-idp.amazonaws.com",
                "SourceArn": get_att("UserPool", "Arn"),
            }
        }),
    );
}

/// The `lambda` strategy's TOKEN authorizer (the `Authorizer` resource in `api` points at
/// it). It verifies ID tokens for this pool and client, so both come in as environment
/// variables. One permission for the authorizer as a whole, not one per method.
fn authorizer_function(res: &mut Map<String, Value>) {
    res.insert("AuthorizerFunctionRole".into(), lambda_role());
    res.insert(
        "AuthorizerFunction".into(),
        node_function(
            "../authorizer",
            "AuthorizerFunctionRole",
            Some(json!({
                "USER_POOL_ID": r("UserPool"),
                "CLIENT_ID": r("UserPoolClient"),
            })),
        ),
    );
    res.insert(
        "AuthorizerPermission".into(),
        json!({
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": get_att("AuthorizerFunction", "Arn"),
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": sub(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/authorizers/${Authorizer}"
                ),
            }
        }),
    );
}

/// How a protected method is authorized under the model's strategy.
fn method_auth(model: &Model, route: &Route, props: &mut Map<String, Value>) {
    match &route.access {
        Access::Public => {
            props.insert("AuthorizationType".into(), json!("NONE"));
        }
        Access::AnyOf(ids) => match model.api.strategy {
            Strategy::CognitoScopes => {
                props.insert("AuthorizationType".into(), json!("COGNITO_USER_POOLS"));
                props.insert("AuthorizerId".into(), r("Authorizer"));
                let mut scopes: Vec<&str> = ids
                    .iter()
                    .map(|s| model.scope(*s).full_name.as_str())
                    .collect();
                scopes.sort_unstable();
                props.insert("AuthorizationScopes".into(), json!(scopes));
            }
            Strategy::Lambda => {
                props.insert("AuthorizationType".into(), json!("CUSTOM"));
                props.insert("AuthorizerId".into(), r("Authorizer"));
            }
        },
    }
}

fn api(model: &Model, ids: &LogicalIds, res: &mut Map<String, Value>) {
    let mut rest_props = Map::new();
    rest_props.insert("Name".into(), json!(model.api.name));
    if let Some(d) = &model.api.description {
        rest_props.insert("Description".into(), json!(d));
    }
    rest_props.insert(
        "EndpointConfiguration".into(),
        json!({ "Types": ["REGIONAL"] }),
    );
    res.insert(
        "RestApi".into(),
        json!({ "Type": "AWS::ApiGateway::RestApi", "Properties": rest_props }),
    );

    let authorizer = match model.api.strategy {
        Strategy::CognitoScopes => json!({
            "Type": "AWS::ApiGateway::Authorizer",
            "Properties": {
                "Name": "CognitoUserPool",
                "Type": "COGNITO_USER_POOLS",
                "RestApiId": r("RestApi"),
                "IdentitySource": "method.request.header.Authorization",
                "ProviderARNs": [get_att("UserPool", "Arn")],
            }
        }),
        Strategy::Lambda => json!({
            "Type": "AWS::ApiGateway::Authorizer",
            "Properties": {
                "Name": "LambdaTokenAuthorizer",
                "Type": "TOKEN",
                "RestApiId": r("RestApi"),
                "IdentitySource": "method.request.header.Authorization",
                "AuthorizerResultTtlInSeconds": model.api.authorizer_ttl,
                "AuthorizerUri": sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthorizerFunction.Arn}/invocations"),
            }
        }),
    };
    // Only the part of the API that decides what the stage serves goes into the deployment's
    // fingerprint, so a new deployment happens exactly when authorization or routes change.
    // Their logical IDs; the values are read back from `res` (not cloned) for the fingerprint.
    let mut api_part: Vec<String> = vec!["Authorizer".into()];
    res.insert("Authorizer".into(), authorizer);

    // One Resource per distinct path prefix, ordered by the path as written (a parent is a
    // prefix of its children's paths, so it comes first).
    let mut ordered: Vec<(String, &[Segment], &String)> = ids
        .resources
        .iter()
        .map(|(prefix, id)| {
            let mut path = String::new();
            push_segments(&mut path, prefix);
            (path, *prefix, id)
        })
        .collect();
    ordered.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, prefix, id) in ordered {
        let depth = prefix.len();
        let parent = if depth == 1 {
            get_att("RestApi", "RootResourceId")
        } else {
            r(&ids.resources[&prefix[..depth - 1]])
        };
        let mut props = Map::new();
        props.insert("RestApiId".into(), r("RestApi"));
        props.insert("ParentId".into(), parent);
        props.insert(
            "PathPart".into(),
            Value::String(prefix[depth - 1].path_part()),
        );
        api_part.push(id.clone());
        res.insert(id.clone(), typed("AWS::ApiGateway::Resource", props));
    }

    let mut method_ids = Vec::new();
    for (route, id) in model.routes.iter().zip(&ids.methods) {
        let id = id.clone();
        let resource = if route.path.segments.is_empty() {
            get_att("RestApi", "RootResourceId")
        } else {
            r(&ids.resources[&route.path.segments[..]])
        };
        let v = method(model, route, resource);
        api_part.push(id.clone());
        res.insert(id.clone(), v);
        method_ids.push(id);
    }

    for p in model.lambda_params() {
        res.insert(
            lambda_permission_id(p),
            json!({
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": r(p),
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": sub(
                        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/*/*/*"
                    ),
                }
            }),
        );
    }

    let api_part: BTreeMap<&str, &Value> = api_part
        .iter()
        .filter_map(|id| res.get(id).map(|v| (id.as_str(), v)))
        .collect();
    let fingerprint = short_hash_json(&api_part, 12);
    let deployment = format!("Deployment{}", fingerprint.to_uppercase());
    // The deployment must wait for every method: a deployment of an API without methods
    // fails, and one made before a method exists would not serve it.
    res.insert(
        deployment.clone(),
        json!({
            "Type": "AWS::ApiGateway::Deployment",
            "DependsOn": method_ids,
            "Properties": {
                "RestApiId": r("RestApi"),
                "Description": format!("rolegen {fingerprint}"),
            }
        }),
    );
    res.insert(
        "Stage".into(),
        json!({
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {
                "RestApiId": r("RestApi"),
                "StageName": model.api.stage,
                "DeploymentId": r(&deployment),
            }
        }),
    );
}

/// The route's method; `resource` refers to the API Gateway resource of its path.
fn method(model: &Model, route: &Route, resource: Value) -> Value {
    let mut props = Map::new();
    props.insert("RestApiId".into(), r("RestApi"));
    props.insert("ResourceId".into(), resource);
    props.insert("HttpMethod".into(), json!(route.method.as_str()));
    method_auth(model, route, &mut props);
    let vars: Vec<&str> = route.path.variables().collect();
    match &route.integration {
        Integration::Mock => {
            props.insert(
                "Integration".into(),
                json!({
                    "Type": "MOCK",
                    "RequestTemplates": { "application/json": "{\"statusCode\": 200}" },
                    "IntegrationResponses": [{ "StatusCode": "200" }],
                }),
            );
            props.insert("MethodResponses".into(), json!([{ "StatusCode": "200" }]));
        }
        Integration::Lambda { param } => {
            props.insert(
                "Integration".into(),
                json!({
                    "Type": "AWS_PROXY",
                    "IntegrationHttpMethod": "POST",
                    "Uri": sub(&format!(
                        "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{param}}}/invocations"
                    )),
                }),
            );
        }
        Integration::Http { url } => {
            if !vars.is_empty() {
                let m: Map<String, Value> = vars
                    .iter()
                    .map(|v| (format!("method.request.path.{v}"), json!(true)))
                    .collect();
                props.insert("RequestParameters".into(), Value::Object(m));
            }
            let mut integ = Map::new();
            integ.insert("Type".into(), json!("HTTP_PROXY"));
            integ.insert("IntegrationHttpMethod".into(), json!(route.method.as_str()));
            integ.insert("Uri".into(), json!(url));
            if !vars.is_empty() {
                let m: Map<String, Value> = vars
                    .iter()
                    .map(|v| {
                        (
                            format!("integration.request.path.{v}"),
                            json!(format!("method.request.path.{v}")),
                        )
                    })
                    .collect();
                integ.insert("RequestParameters".into(), Value::Object(m));
            }
            props.insert("Integration".into(), Value::Object(integ));
        }
    }
    typed("AWS::ApiGateway::Method", props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_are_alphanumeric_and_distinct() {
        assert_eq!(ident("Admin"), "Admin");
        let a = ident("a-b");
        let b = ident("ab");
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        let weird = ident("\"];process.exit(1);//");
        assert!(weird.chars().all(|c| c.is_ascii_alphanumeric()), "{weird}");
    }

    #[test]
    fn path_idents_keep_variables_apart_from_literals() {
        let a = resource_id(&Path::parse("/a/{b}").unwrap());
        let b = resource_id(&Path::parse("/a/b").unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with("ResourceAByB"), "{a}");
    }

    #[test]
    fn a_parameter_named_like_a_resource_is_refused() {
        let text = "version: 1\napi: {name: a, stage: prod, authorizer: cognito-scopes}\nuser_pool: {name: p}\nresource_server: {identifier: api, name: A}\nscopes: {read: r}\ngroups: {G: {scopes: [read]}}\nroutes:\n  GET /a:\n    scopes: [read]\n    integration: {lambda: UserPool}\n";
        let loaded = crate::cmd::load_text("roles.yaml", text.to_string());
        let model = loaded.model.expect("valid roles file");
        let errors = generate(&model).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, "cfn-logical-id");
        assert!(
            errors[0]
                .message
                .contains("the Lambda parameter `UserPool`")
                && errors[0]
                    .message
                    .contains("`UserPool`, already used by a resource rolegen always generates"),
            "{}",
            errors[0].message
        );
    }
}
