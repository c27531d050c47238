//! The CloudFormation template of the `cognito-scopes` strategy, checked against external
//! truth: cfn-lint finds nothing in it, and read back as API Gateway would read it (each
//! method's path rebuilt from `ParentId`, its `AuthorizationType` and `AuthorizationScopes`),
//! with access tokens whose scopes come from running the generated pre-token handler under
//! `node`, it grants exactly the access matrix of the model.

mod common;
mod pretoken_support;

use pretoken_support::Fixture;
use rolegen::model::GroupId;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn cfn_goldens_match() {
    let fixtures: Vec<Fixture> = pretoken_support::FIXTURES
        .iter()
        .map(|n| pretoken_support::fixture(n))
        .collect();
    pretoken_support::check_goldens(&fixtures, "cfn/", "cfn_scopes");
}

#[test]
fn templates_pass_cfn_lint() {
    let scratch = common::scratch("cfn-scopes-lint");
    let templates: Vec<_> = pretoken_support::all()
        .iter()
        .map(|fx| pretoken_support::write_out(fx, &scratch).join("cfn/template.yaml"))
        .collect();
    common::assert_cfn_lint_clean_all(&templates);
}

fn template_of(fx: &Fixture) -> Value {
    let yaml = std::str::from_utf8(&fx.files["cfn/template.yaml"]).unwrap();
    serde_saphyr::from_str(yaml)
        .unwrap_or_else(|e| panic!("{}: template is not YAML: {e}", fx.name))
}

fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

/// Logical IDs of the resources of a type, sorted.
fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    resources(t)
        .iter()
        .filter(|(_, v)| v["Type"] == ty)
        .collect()
}

fn r(id: &str) -> Value {
    json!({ "Ref": id })
}

fn root() -> Value {
    json!({ "Fn::GetAtt": ["RestApi", "RootResourceId"] })
}

/// A method as API Gateway would see it after the stack is deployed.
#[derive(Debug)]
struct ApiMethod {
    id: String,
    /// `GET /orders/{orderId}`.
    key: String,
    authorization: String,
    scopes: Option<Vec<String>>,
    authorizer: Option<Value>,
}

/// The path of a resource, rebuilt by following `ParentId` up to the API's root resource.
fn path_of(t: &Value, resource: &Value, depth: usize) -> Vec<String> {
    assert!(depth < 64, "ParentId chain does not reach the root");
    if *resource == root() {
        return Vec::new();
    }
    let id = resource["Ref"]
        .as_str()
        .unwrap_or_else(|| panic!("resource reference {resource} is neither a Ref nor the root"));
    let res = &resources(t)[id];
    assert_eq!(res["Type"], "AWS::ApiGateway::Resource", "{id}");
    assert_eq!(res["Properties"]["RestApiId"], r("RestApi"), "{id}");
    let mut path = path_of(t, &res["Properties"]["ParentId"], depth + 1);
    path.push(
        res["Properties"]["PathPart"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: PathPart"))
            .to_string(),
    );
    path
}

fn methods(t: &Value) -> Vec<ApiMethod> {
    of_type(t, "AWS::ApiGateway::Method")
        .into_iter()
        .map(|(id, m)| {
            let p = &m["Properties"];
            assert_eq!(p["RestApiId"], r("RestApi"), "{id}");
            let path = path_of(t, &p["ResourceId"], 0);
            let key = format!(
                "{} /{}",
                p["HttpMethod"].as_str().expect("HttpMethod"),
                path.join("/")
            );
            ApiMethod {
                id: id.clone(),
                key,
                authorization: p["AuthorizationType"]
                    .as_str()
                    .unwrap_or("NONE")
                    .to_string(),
                scopes: p.get("AuthorizationScopes").map(|s| {
                    s.as_array()
                        .expect("AuthorizationScopes is a list")
                        .iter()
                        .map(|x| x.as_str().expect("a scope is a string").to_string())
                        .collect()
                }),
                authorizer: p.get("AuthorizerId").cloned(),
            }
        })
        .collect()
}

/// API Gateway's decision for a caller whose valid access token carries `token`.
fn api_gateway_allows(m: &ApiMethod, token: &BTreeSet<String>) -> bool {
    match m.authorization.as_str() {
        "NONE" => true,
        "COGNITO_USER_POOLS" => {
            let scopes = m.scopes.as_deref().unwrap_or_default();
            // Without scopes the method would take any valid token (even an ID token).
            assert!(
                !scopes.is_empty(),
                "{} ({}) is COGNITO_USER_POOLS without AuthorizationScopes: any signed-in user could call it",
                m.key,
                m.id
            );
            scopes.iter().any(|s| token.contains(s))
        }
        other => panic!("{} ({}): unexpected AuthorizationType {other}", m.key, m.id),
    }
}

/// The roles file read on its own (not through rolegen): route keys, group names, scope names.
struct Declared {
    routes: BTreeSet<String>,
    groups: BTreeSet<String>,
    scopes: BTreeSet<String>,
    identifier: String,
    stage: String,
}

fn declared(fx: &Fixture) -> Declared {
    let v: Value = serde_saphyr::from_str(&fx.text).expect("fixture is YAML");
    let keys = |section: &str| -> BTreeSet<String> {
        v[section]
            .as_object()
            .unwrap_or_else(|| panic!("{}: {section}", fx.name))
            .keys()
            .cloned()
            .collect()
    };
    // An `authenticated` route (short or long form) makes the resource server carry the
    // reserved scope every signed-in user's token gets (README, `authenticated`).
    let signed_in =
        v["routes"].as_object().unwrap().values().any(|r| {
            r.as_str() == Some("authenticated") || r["authenticated"].as_bool() == Some(true)
        });
    let mut scopes = keys("scopes");
    if signed_in {
        scopes.insert("authenticated".to_string());
    }
    Declared {
        routes: keys("routes"),
        groups: keys("groups"),
        scopes,
        identifier: v["resource_server"]["identifier"]
            .as_str()
            .unwrap()
            .to_string(),
        stage: v["api"]["stage"].as_str().unwrap().to_string(),
    }
}

#[test]
fn template_declares_exactly_the_roles_file() {
    for fx in pretoken_support::all() {
        let t = template_of(&fx);
        let d = declared(&fx);
        let name = &fx.name;

        // Exactly the declared routes: nothing missing, nothing extra, nothing twice.
        let ms = methods(&t);
        let keys: BTreeSet<String> = ms.iter().map(|m| m.key.clone()).collect();
        assert_eq!(keys.len(), ms.len(), "{name}: a route has two methods");
        assert_eq!(
            keys, d.routes,
            "{name}: methods differ from the declared routes"
        );

        // Groups and scopes as declared, byte for byte after the YAML round trip.
        let groups: BTreeSet<String> = of_type(&t, "AWS::Cognito::UserPoolGroup")
            .iter()
            .map(|(id, g)| {
                assert_eq!(g["Properties"]["UserPoolId"], r("UserPool"), "{name}: {id}");
                g["Properties"]["GroupName"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(groups, d.groups, "{name}: groups");
        let servers = of_type(&t, "AWS::Cognito::UserPoolResourceServer");
        assert_eq!(servers.len(), 1, "{name}: one resource server");
        let rs = &servers[0].1["Properties"];
        assert_eq!(rs["Identifier"], d.identifier.as_str(), "{name}");
        assert_eq!(rs["UserPoolId"], r("UserPool"), "{name}");
        let scope_names: BTreeSet<String> = rs["Scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["ScopeName"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(scope_names, d.scopes, "{name}: scopes");
        let full: BTreeSet<String> = scope_names
            .iter()
            .map(|s| format!("{}/{s}", d.identifier))
            .collect();

        // Every method scope exists on the resource server; the client may request them all.
        for m in &ms {
            for s in m.scopes.iter().flatten() {
                assert!(full.contains(s), "{name}: {} uses unknown scope {s}", m.key);
            }
        }
        let clients = of_type(&t, "AWS::Cognito::UserPoolClient");
        assert_eq!(clients.len(), 1, "{name}: one app client");
        let allowed: BTreeSet<String> = clients[0].1["Properties"]["AllowedOAuthScopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        let mut want = full.clone();
        want.insert("openid".into());
        assert_eq!(allowed, want, "{name}: AllowedOAuthScopes");

        // Protected methods go through the one Cognito authorizer of this user pool.
        let authorizers = of_type(&t, "AWS::ApiGateway::Authorizer");
        assert_eq!(authorizers.len(), 1, "{name}: one authorizer");
        let (auth_id, auth) = authorizers[0];
        assert_eq!(auth["Properties"]["Type"], "COGNITO_USER_POOLS", "{name}");
        assert_eq!(
            auth["Properties"]["ProviderARNs"],
            json!([{ "Fn::GetAtt": ["UserPool", "Arn"] }]),
            "{name}"
        );
        for m in &ms {
            match m.authorization.as_str() {
                "NONE" => assert!(m.scopes.is_none(), "{name}: {} has scopes", m.key),
                _ => assert_eq!(m.authorizer, Some(r(auth_id)), "{name}: {}", m.key),
            }
        }

        // The user pool calls the generated trigger (V2_0, which needs Essentials).
        let pool = &resources(&t)["UserPool"]["Properties"];
        assert_eq!(pool["UserPoolTier"], "ESSENTIALS", "{name}");
        let ptg = &pool["LambdaConfig"]["PreTokenGenerationConfig"];
        assert_eq!(ptg["LambdaVersion"], "V2_0", "{name}");
        let func_id = ptg["LambdaArn"]["Fn::GetAtt"][0]
            .as_str()
            .expect("LambdaArn");
        assert_eq!(ptg["LambdaArn"]["Fn::GetAtt"][1], "Arn", "{name}");
        let func = &resources(&t)[func_id];
        assert_eq!(func["Type"], "AWS::Lambda::Function", "{name}");
        assert_eq!(func["Properties"]["Handler"], "index.handler", "{name}");
        let code = func["Properties"]["Code"]
            .as_str()
            .expect("Code is a local folder");
        let code_dir = code.strip_prefix("../").expect("Code is relative to cfn/");
        assert!(
            fx.files.contains_key(&format!("{code_dir}/index.mjs")),
            "{name}: Code {code} does not point at the generated handler"
        );
        let invokable = of_type(&t, "AWS::Lambda::Permission").iter().any(|(_, p)| {
            let p = &p["Properties"];
            p["Principal"] == "cognito-idp.amazonaws.com"
                && p["FunctionName"] == json!({ "Fn::GetAtt": [func_id, "Arn"] })
                && p["SourceArn"] == json!({ "Fn::GetAtt": ["UserPool", "Arn"] })
        });
        assert!(invokable, "{name}: Cognito may not invoke the trigger");

        // The stage serves a deployment made after every method exists.
        let deployment = deployment_id(&t);
        let stages = of_type(&t, "AWS::ApiGateway::Stage");
        assert_eq!(stages.len(), 1, "{name}");
        assert_eq!(stages[0].1["Properties"]["DeploymentId"], r(&deployment));
        assert_eq!(stages[0].1["Properties"]["StageName"], d.stage.as_str());
        let depends: BTreeSet<&str> = resources(&t)[&deployment]["DependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for m in &ms {
            assert!(
                depends.contains(m.id.as_str()),
                "{name}: deployment before {}",
                m.id
            );
        }
    }
}

/// Requests the tests send: the hosted UI asking for every scope, and the SDK flows
/// (`InitiateAuth`), which request no resource-server scope at all.
fn requests(fx: &Fixture) -> [Vec<String>; 2] {
    [
        pretoken_support::full_request(&fx.model),
        vec!["aws.cognito.signin.user.admin".to_string()],
    ]
}

#[test]
fn templates_enforce_the_access_matrix() {
    let scratch = common::scratch("cfn-scopes-matrix");
    let fixtures = pretoken_support::all();
    let mut jobs = Vec::new();
    let mut plans: Vec<Vec<(Vec<GroupId>, Vec<String>)>> = Vec::new();
    for fx in &fixtures {
        let out = pretoken_support::write_out(fx, &scratch);
        let mut plan = Vec::new();
        let mut events = Vec::new();
        for set in pretoken_support::group_sets(&fx.model) {
            for req in requests(fx) {
                let names = pretoken_support::names(&fx.model, &set);
                events.push(pretoken_support::v2_event(json!(names), Some(&req)));
                plan.push((set.clone(), req));
            }
        }
        jobs.push((out.join("pretoken/index.mjs"), events));
        plans.push(plan);
    }
    let answers = pretoken_support::run_handlers(&scratch, &jobs);

    for ((fx, plan), answers) in fixtures.iter().zip(&plans).zip(&answers) {
        let model = &fx.model;
        let ms = methods(&template_of(fx));
        let route_of: BTreeMap<String, usize> = model
            .route_ids()
            .map(|id| (model.route(id).key(), id.0))
            .collect();
        let mut checked = 0;
        for ((set, req), answer) in plan.iter().zip(answers) {
            let token = answer.token_scopes(req);
            let allowed = model.matrix.union(set);
            let names = pretoken_support::names(model, set);
            for m in &ms {
                let route = *route_of
                    .get(&m.key)
                    .unwrap_or_else(|| panic!("{}: {} is not a declared route", fx.name, m.key));
                assert_eq!(
                    api_gateway_allows(m, &token),
                    allowed.contains(route),
                    "{}: groups {names:?} (token scopes {token:?}) on {}: API Gateway and the access matrix disagree",
                    fx.name,
                    m.key
                );
                checked += 1;
            }
        }
        assert!(checked > 0, "{}: nothing checked", fx.name);
    }
}

fn deployment_id(t: &Value) -> String {
    let d = of_type(t, "AWS::ApiGateway::Deployment");
    assert_eq!(d.len(), 1, "one deployment");
    d[0].0.clone()
}

/// Mapping keys and lists in reverse order, all the way down.
fn reversed(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().rev().map(reversed).collect()),
        v => v.clone(),
    }
}

#[test]
fn file_order_changes_nothing() {
    for name in pretoken_support::FIXTURES {
        let fx = pretoken_support::fixture(name);
        let v: Value = serde_saphyr::from_str(&fx.text).unwrap();
        let text = serde_saphyr::to_string(&reversed(&v)).unwrap();
        let again = pretoken_support::from_text(name, text);
        assert!(
            again.files == fx.files,
            "{name}: reordering the roles file changed the generated files"
        );
    }
}

#[test]
fn deployment_changes_exactly_when_the_api_does() {
    let base = pretoken_support::fixture("scopes_hierarchical");
    let base_t = template_of(&base);
    let base_id = deployment_id(&base_t);
    let variant = |from: &str, to: &str| {
        assert!(base.text.contains(from), "fixture lacks {from:?}");
        let fx = pretoken_support::from_text("variant", base.text.replacen(from, to, 1));
        template_of(&fx)
    };

    let api_changes = [
        // Same access (Admin reaches `readonly` anyway), but the method's scopes change.
        (
            "  GET /orders: [readonly]\n",
            "  GET /orders: [readonly, admin]\n",
        ),
        ("  GET /admin: [admin]\n", "  GET /admin: [users.manage]\n"),
        (
            "  GET /customers: [readonly]\n",
            "  GET /customers: public\n",
        ),
        ("  GET /health: public\n", "  GET /health: [readonly]\n"),
        (
            "  GET /customers: [readonly]\n",
            "  GET /customers: [readonly]\n  GET /customers/{customerId}/orders: [readonly]\n",
        ),
    ];
    for (from, to) in api_changes {
        let t = variant(from, to);
        assert_ne!(
            deployment_id(&t),
            base_id,
            "{from:?} → {to:?}: the stage would keep serving the old methods"
        );
    }

    let pool_only_changes = [
        (
            "description: Finance analysts\n",
            "description: Finance analysts and controllers\n",
        ),
        ("precedence: 8\n", "precedence: 9\n"),
        (
            "groups:\n",
            "groups:\n  Intern:\n    description: Interns\n    includes: [ReadOnly]\n",
        ),
    ];
    for (from, to) in pool_only_changes {
        let t = variant(from, to);
        assert_eq!(
            deployment_id(&t),
            base_id,
            "{from:?} → {to:?}: a new deployment although no method changed"
        );
        // Only Cognito resources differ.
        for (id, v) in resources(&t) {
            if resources(&base_t).get(id) != Some(v) {
                let ty = v["Type"].as_str().unwrap();
                assert!(
                    ty.starts_with("AWS::Cognito::"),
                    "{from:?}: {id} ({ty}) changed"
                );
            }
        }
    }

    // The logical IDs of everything else stay put too: same set of IDs across a group change.
    let t = variant(
        "description: Finance analysts\n",
        "description: Finance analysts and controllers\n",
    );
    let ids = |t: &Value| resources(t).keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(ids(&t), ids(&base_t));
    let changed: BTreeMap<&String, &Value> = resources(&t)
        .iter()
        .filter(|(id, v)| resources(&base_t).get(*id) != Some(*v))
        .collect();
    assert_eq!(
        changed.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        ["GroupAnalyst"]
    );
}
