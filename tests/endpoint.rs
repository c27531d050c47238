//! `api.endpoint`: where the generated API can be reached from. `REGIONAL` by default; `EDGE`;
//! `PRIVATE` only through the listed VPC endpoints, with the resource policy that admits only
//! them (a private API would otherwise be unreachable, and making it regional would make it
//! public). Checked in the template and the OpenAPI document, through cfn-lint, and in the
//! errors a wrong setting gets.

mod common;

use serde_json::{Value, json};
use std::path::Path;

const BASE: &str = "version: 1
api:
  name: internal-api
  stage: prod
  authorizer: lambda
ENDPOINT
user_pool: {name: internal-users}
resource_server: {identifier: api, name: Internal}
scopes: {read: Read}
groups: {Reader: {scopes: [read]}}
routes:
  GET /health: public
  GET /items: [read]
";

fn roles(endpoint: &str) -> String {
    BASE.replace("ENDPOINT\n", endpoint)
}

fn generate(dir: &Path, text: &str) -> std::process::Output {
    common::rolegen_in(dir, text, &["gen"])
}

fn yaml(path: &Path) -> Value {
    common::read_yaml(path)
}

#[test]
fn endpoint_types_reach_the_template_and_the_document() {
    let ids = ["vpce-0123456789abcdef0", "vpce-0fedcba9876543210"];
    let cases = [
        ("", "REGIONAL"),
        ("  endpoint: EDGE\n", "EDGE"),
        (
            "  endpoint: PRIVATE\n  vpc_endpoint_ids: [vpce-0fedcba9876543210, vpce-0123456789abcdef0]\n",
            "PRIVATE",
        ),
    ];
    let mut templates = Vec::new();
    for (setting, kind) in cases {
        let dir = common::scratch("endpoint");
        let out = generate(&dir, &roles(setting));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let t = yaml(&dir.join("out/cfn/template.yaml"));
        let api = &t["Resources"]["RestApi"]["Properties"];
        assert_eq!(
            api["EndpointConfiguration"]["Types"],
            json!([kind]),
            "{kind}"
        );
        let doc = yaml(&dir.join("out/openapi/openapi.yaml"));
        if kind == "PRIVATE" {
            assert_eq!(api["EndpointConfiguration"]["VpcEndpointIds"], json!(ids));
            // Every request from another VPC endpoint, or none, is denied; the listed ones
            // are allowed.
            let policy = json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
                     "Resource": "execute-api:/*",
                     "Condition": {"StringNotEquals": {"aws:SourceVpce": ids}}},
                    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                     "Resource": "execute-api:/*"},
                ],
            });
            assert_eq!(api["Policy"], policy);
            assert_eq!(doc["x-amazon-apigateway-policy"], policy);
            assert_eq!(
                doc["x-amazon-apigateway-endpoint-configuration"]["vpcEndpointIds"],
                json!(ids)
            );
        } else {
            assert!(api.get("Policy").is_none(), "{kind}");
            assert!(doc.get("x-amazon-apigateway-policy").is_none(), "{kind}");
        }
        templates.push(dir.join("out/cfn/template.yaml"));
    }
    common::assert_cfn_lint_clean_all(&templates);
}

/// A resource policy applies only after a new deployment: changing the endpoints a private
/// API admits changes the deployment's logical ID.
#[test]
fn a_new_policy_is_a_new_deployment() {
    let deployment = |ids: &str| {
        let dir = common::scratch("endpoint-deploy");
        let out = generate(
            &dir,
            &roles(&format!(
                "  endpoint: PRIVATE\n  vpc_endpoint_ids: [{ids}]\n"
            )),
        );
        assert!(out.status.success());
        common::deployment_id(&yaml(&dir.join("out/cfn/template.yaml")))
    };
    assert_ne!(
        deployment("vpce-0123456789abcdef0"),
        deployment("vpce-0123456789abcdef1")
    );
}

#[test]
fn wrong_settings_are_errors_at_their_place() {
    let cases = [
        (
            "  endpoint: PRIVATE\n",
            "a `PRIVATE` API needs `api.vpc_endpoint_ids`",
            "PRIVATE",
        ),
        (
            "  endpoint: PRIVATE\n  vpc_endpoint_ids: [vpc-123]\n",
            "`vpc-123` is not a VPC endpoint id",
            "vpc-123",
        ),
        (
            "  vpc_endpoint_ids: [vpce-0123456789abcdef0]\n",
            "`api.vpc_endpoint_ids` applies to `endpoint: PRIVATE` only",
            "[vpce-0123456789abcdef0]",
        ),
        (
            "  endpoint: PRIVAT\n",
            "unknown endpoint type `PRIVAT`",
            "PRIVAT",
        ),
    ];
    for (setting, message, underlined) in cases {
        let dir = common::scratch("endpoint-bad");
        let out = common::rolegen_in(&dir, &roles(setting), &["--error-format", "json", "gen"]);
        assert_eq!(out.status.code(), Some(2), "{setting}");
        let diags: Value = serde_json::from_slice(&out.stderr).expect("one JSON document");
        let d = &diags[0];
        assert_eq!(d["message"], message, "{diags}");
        assert_eq!(d["underlined"], underlined, "{diags}");
        assert!(!dir.join("out").exists());
    }
}
