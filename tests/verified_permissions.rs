//! The `verified-permissions` strategy's files as rolegen writes them: goldens (refreshed with
//! `UPDATE_GOLDEN=1 cargo test --test verified_permissions`), the template through cfn-lint,
//! and the properties a reviewer checks by eye: the policy text joined with the pool id at
//! deploy time and equal to the review copy, names kept as data, the role allowed to ask this
//! store only. The Cedar engine's verdict on the policies, and the handler run under node,
//! are `tests/avp.rs`.

mod common;

use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};

const FIXTURE: &str = "tests/fixtures/verified_permissions/orders.yaml";

fn generate(fixture: &str) -> (PathBuf, Vec<(String, Vec<u8>)>) {
    let dir = common::scratch("vp-gen");
    let out = common::rolegen()
        .arg("--config")
        .arg(common::repo().join(fixture))
        .arg("--out")
        .arg(dir.join("out"))
        .arg("gen")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = Vec::new();
    collect(&dir.join("out"), &dir.join("out"), &mut files);
    files.sort();
    (dir.join("out"), files)
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(root, &p, out);
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, fs::read(&p).unwrap()));
        }
    }
}

#[test]
fn goldens_match() {
    let (_, files) = generate(FIXTURE);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "authorizer/index.mjs",
        "authorizer/package-lock.json",
        "authorizer/package.json",
        "cedar/policies.cedar",
        "cedar/schema.cedarschema.json",
        "cfn/template.yaml",
        "docs/access-matrix.md",
    ] {
        assert!(names.contains(&want), "{want} missing: {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("pretoken/")));
    let golden = common::repo().join("tests/golden/verified_permissions/orders");
    let mut goldens = common::Expected::goldens("verified_permissions");
    for (path, bytes) in &files {
        if path.starts_with("docs/") || path.starts_with("schema/") || path.starts_with("openapi/")
        {
            continue;
        }
        goldens.check(&golden.join(path), bytes);
    }
    goldens.finish();
}

fn template(out: &Path) -> Value {
    serde_saphyr::from_str(&fs::read_to_string(out.join("cfn/template.yaml")).unwrap())
        .expect("template parses")
}

/// A policy's deployed text: its `Fn::Join` with the user pool's id in place of the `Ref`, or
/// its plain text when it names no pool (the `authenticated` routes' policy).
fn joined(statement: &Value, pool: &str) -> String {
    if let Some(text) = statement.as_str() {
        return text.to_string();
    }
    let join = statement["Fn::Join"].as_array().expect("Fn::Join");
    assert_eq!(join[0], "");
    join[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| match part {
            Value::String(s) => s.clone(),
            other => {
                assert_eq!(*other, json!({ "Ref": "UserPool" }));
                pool.to_string()
            }
        })
        .collect()
}

#[test]
fn template_holds_the_store_the_policies_and_a_narrow_role() {
    let (out, _) = generate(FIXTURE);
    let t = template(&out);
    let res = t["Resources"].as_object().unwrap();
    let store = &res["PolicyStore"]["Properties"];
    assert_eq!(store["ValidationSettings"]["Mode"], "STRICT");
    let schema: Value =
        serde_json::from_str(store["Schema"]["CedarJson"].as_str().unwrap()).unwrap();
    let file: Value =
        serde_json::from_slice(&fs::read(out.join("cedar/schema.cedarschema.json")).unwrap())
            .unwrap();
    assert_eq!(schema, file, "the store's schema is the reviewed one");
    let id = &res["IdentitySource"]["Properties"];
    assert_eq!(id["PrincipalEntityType"], "ordersapi::User");
    let cognito = &id["Configuration"]["CognitoUserPoolConfiguration"];
    assert_eq!(
        cognito["GroupConfiguration"]["GroupEntityType"],
        "ordersapi::UserGroup"
    );
    assert_eq!(cognito["ClientIds"], json!([{ "Ref": "UserPoolClient" }]));

    // The deployed policies, joined with a pool id, are the review copy's with that id.
    let pool = "us-east-1_AbCdEf123";
    let mut deployed: Vec<String> = res
        .values()
        .filter(|r| r["Type"] == "AWS::VerifiedPermissions::Policy")
        .map(|r| joined(&r["Properties"]["Definition"]["Static"]["Statement"], pool))
        .collect();
    deployed.sort();
    let review = fs::read_to_string(out.join("cedar/policies.cedar")).unwrap();
    let mut reviewed: Vec<String> = review
        .split("\n\n")
        .filter(|p| p.contains("permit ("))
        .map(|p| {
            let body = p
                .lines()
                .filter(|l| !l.starts_with("//"))
                .collect::<Vec<_>>();
            body.join("\n")
                .replace("<userPoolId>", pool)
                .trim()
                .to_string()
        })
        .collect();
    reviewed.sort();
    assert_eq!(deployed, reviewed);
    assert_eq!(
        deployed.len(),
        8,
        "one policy per group, one for `authenticated` routes"
    );
    // The `authenticated` routes: any principal of the store (a `User` of this pool).
    let anyone = &res["CedarPolicyAnySignedInUser"]["Properties"]["Definition"]["Static"];
    let text = anyone["Statement"]
        .as_str()
        .expect("plain text: no pool id in it");
    assert!(text.starts_with("permit (\n  principal,\n"), "{text}");
    assert!(text.contains("ordersapi::Action::\"get /me\""), "{text}");
    assert!(text.contains("ordersapi::Action::\"put /me\""), "{text}");
    assert!(
        deployed
            .iter()
            .filter(|p| p.contains("UserGroup"))
            .all(|p| !p.contains("/me\"")),
        "group policies leave the authenticated routes to that policy"
    );
    // Names stay data: `${AWS::Region}` is text in a Join (not substituted), and `"`, `\`
    // are escaped inside the Cedar string.
    assert!(
        deployed
            .iter()
            .any(|p| p.contains(&format!("UserGroup::\"{pool}|${{AWS::Region}}\"")))
    );
    assert!(
        deployed
            .iter()
            .any(|p| p.contains(&format!(r#"UserGroup::"{pool}|quote\"back\\slash|pipe""#)))
    );
    let text = serde_json::to_string(&t).unwrap();
    assert!(
        !text.contains("\"Fn::Sub\":\"permit"),
        "no policy in an Fn::Sub"
    );

    // The role may ask this store, and nothing else.
    let role = &res["AuthorizerFunctionRole"]["Properties"];
    assert_eq!(
        role["Policies"],
        json!([{
            "PolicyName": "VerifiedPermissionsDecide",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": "verifiedpermissions:IsAuthorizedWithToken",
                    "Resource": { "Fn::GetAtt": ["PolicyStore", "Arn"] },
                }],
            },
        }])
    );
    let env = &res["AuthorizerFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["POLICY_STORE_ID"], json!({ "Ref": "PolicyStore" }));
    let a = &res["Authorizer"]["Properties"];
    assert_eq!(a["Type"], "REQUEST");
    assert_eq!(
        a["IdentitySource"],
        "method.request.header.Authorization,context.httpMethod,context.resourcePath"
    );
    assert_eq!(a["AuthorizerResultTtlInSeconds"], 120);
    assert_eq!(res["UserPool"]["Properties"]["UserPoolTier"], "LITE");
    // Policy logical IDs come from group names.
    assert!(res.contains_key("CedarPolicyAdmin"));
    assert!(res.contains_key("CedarPolicyReadOnly"));
    common::assert_cfn_lint_clean(&out.join("cfn/template.yaml"));
}

/// A group whose actions pass Verified Permissions' 10,000-byte policy limit gets several
/// policies, each under it with the longest pool id; past the store's 200,000 bytes, `gen`
/// fails with the numbers and writes nothing.
#[test]
fn large_groups_are_split_and_the_store_limit_is_an_error() {
    let mut text = String::from(
        "version: 1\napi: {name: big, stage: prod, authorizer: verified-permissions}\nuser_pool: {name: big-users}\nresource_server: {identifier: api, name: Big}\nscopes: {read: Read}\ngroups:\n  Reader: {scopes: [read]}\nroutes:\n",
    );
    let routes = |n: usize| {
        (0..n)
            .map(|i| format!("  ANY /collection{i:03}/{{itemId}}: [read]\n"))
            .collect::<String>()
    };
    let head = text.clone();
    text.push_str(&routes(100));
    let dir = common::scratch("vp-big");
    fs::write(dir.join("roles.yaml"), &text).unwrap();
    let run = |dir: &Path| {
        common::rolegen()
            .current_dir(dir)
            .args([
                "gen",
                "--target",
                "cedar",
                "--target",
                "cfn",
                "--target",
                "authorizer",
            ])
            .output()
            .unwrap()
    };
    let out = run(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = template(&dir.join("out"));
    let policies: Vec<(&String, &Value)> = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::VerifiedPermissions::Policy")
        .collect();
    assert!(policies.len() >= 2, "{} policies", policies.len());
    let longest_pool = "ap-southeast-2_".to_string() + &"x".repeat(40);
    let mut actions = 0;
    for (id, p) in &policies {
        assert!(id.starts_with("CedarPolicyReader"), "{id}");
        let body = joined(
            &p["Properties"]["Definition"]["Static"]["Statement"],
            &longest_pool,
        );
        assert!(body.len() <= 10_000, "{id}: {} bytes", body.len());
        actions += body.matches("big::Action::").count();
    }
    assert_eq!(actions, 100 * 7, "every action once");

    // Many groups each listing every action pass the store's total.
    let mut many = text.clone();
    many = many.replace(
        "groups:\n  Reader: {scopes: [read]}\n",
        &(0..30)
            .map(|i| format!("  Reader{i}: {{scopes: [read]}}\n"))
            .fold("groups:\n".to_string(), |a, b| a + &b),
    );
    let dir = common::scratch("vp-too-big");
    fs::write(dir.join("roles.yaml"), &many).unwrap();
    let out = run(&dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[avp-limit]"), "{err}");
    assert!(
        err.contains("over Verified Permissions' limit of 200000"),
        "{err}"
    );
    assert!(!dir.join("out").exists(), "nothing written");

    // 1,050 actions make a schema past its 100,000 bytes.
    let dir = common::scratch("vp-schema-too-big");
    fs::write(dir.join("roles.yaml"), head + &routes(150)).unwrap();
    let out = run(&dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the Cedar schema would be"), "{err}");
    assert!(err.contains("(1050 actions"), "{err}");
    assert_eq!(
        err.matches("error[avp-limit]").count(),
        1,
        "reported once: {err}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
}
