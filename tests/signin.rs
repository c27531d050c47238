//! Hosted sign-in: `user_pool.domain` becomes a `UserPoolDomain` (the sign-in page and the
//! OAuth endpoints), `callback_urls`/`logout_urls` land on the app client, `mfa` on the pool
//! with the factor it needs. Checked in the template of every strategy, through cfn-lint, and
//! in the errors that Cognito's rules (as its API reference states them) give a wrong value.

mod common;

use serde_json::{Value, json};
use std::path::Path;

const BASE: &str = "version: 1
api:
  name: shop-api
  stage: prod
  authorizer: STRATEGY
user_pool:
  name: shop-users
POOL
resource_server: {identifier: api, name: Shop}
scopes: {read: Read}
groups: {Reader: {scopes: [read]}}
routes:
  GET /health: public
  GET /items: [read]
";

fn roles(strategy: &str, pool: &str) -> String {
    BASE.replace("STRATEGY", strategy).replace("POOL\n", pool)
}

fn generate(dir: &Path, text: &str) -> std::process::Output {
    common::rolegen_in(
        dir,
        text,
        &["--error-format", "json", "gen", "--target", "cfn"],
    )
}

fn template(dir: &Path) -> Value {
    common::read_yaml(&dir.join("out/cfn/template.yaml"))
}

const FULL: &str = "  domain: shop-signin-7f3a
  callback_urls: [https://shop.example.com/callback, http://localhost:3000/callback, https://shop.example.com/callback]
  logout_urls: [https://shop.example.com/]
  mfa: MFA
";

#[test]
fn domain_urls_and_mfa_reach_the_template_of_every_strategy() {
    let mut templates = Vec::new();
    for (strategy, mfa) in [
        ("lambda", "required"),
        ("cognito-scopes", "optional"),
        ("verified-permissions", "off"),
    ] {
        let dir = common::scratch("signin");
        let out = generate(&dir, &roles(strategy, &FULL.replace("MFA", mfa)));
        assert!(
            out.status.success(),
            "{strategy}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let t = template(&dir);
        let res = &t["Resources"];
        assert_eq!(
            res["UserPoolDomain"],
            json!({
                "Type": "AWS::Cognito::UserPoolDomain",
                "Properties": {
                    "Domain": "shop-signin-7f3a",
                    "UserPoolId": {"Ref": "UserPool"},
                    "ManagedLoginVersion": 1
                }
            })
        );
        let client = &res["UserPoolClient"]["Properties"];
        // As written, the duplicate dropped; no parameter left behind.
        assert_eq!(
            client["CallbackURLs"],
            json!([
                "https://shop.example.com/callback",
                "http://localhost:3000/callback"
            ])
        );
        assert_eq!(client["LogoutURLs"], json!(["https://shop.example.com/"]));
        assert!(t["Parameters"].get("CallbackUrl").is_none(), "{strategy}");
        let pool = &res["UserPool"]["Properties"];
        match mfa {
            "off" => {
                assert!(pool.get("MfaConfiguration").is_none());
                assert!(pool.get("EnabledMfas").is_none());
            }
            _ => {
                let expected = if mfa == "required" { "ON" } else { "OPTIONAL" };
                assert_eq!(pool["MfaConfiguration"], expected);
                assert_eq!(pool["EnabledMfas"], json!(["SOFTWARE_TOKEN_MFA"]));
            }
        }
        assert_eq!(
            t["Outputs"]["HostedSignInDomain"]["Value"],
            json!({"Fn::Sub": "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"})
        );
        templates.push(dir.join("out/cfn/template.yaml"));
    }
    common::assert_cfn_lint_clean_all(&templates);
}

/// Without the settings, the template is what it always was: the callback URL is a parameter
/// and there is no domain, logout URL or MFA.
#[test]
fn without_settings_nothing_changes() {
    let dir = common::scratch("signin-none");
    let out = generate(&dir, &roles("lambda", ""));
    assert!(out.status.success());
    let t = template(&dir);
    assert!(t["Resources"].get("UserPoolDomain").is_none());
    assert_eq!(
        t["Resources"]["UserPoolClient"]["Properties"]["CallbackURLs"],
        json!([{"Ref": "CallbackUrl"}])
    );
    assert!(
        t["Resources"]["UserPoolClient"]["Properties"]
            .get("LogoutURLs")
            .is_none()
    );
    assert!(t["Parameters"].get("CallbackUrl").is_some());
    assert!(t["Outputs"].get("HostedSignInDomain").is_none());
}

#[test]
fn wrong_settings_are_errors_at_their_place() {
    let long = "a".repeat(64);
    let cases = [
        (
            "  domain: Shop\n".to_string(),
            "the domain prefix `Shop` contains `S`",
            "Shop".to_string(),
        ),
        (
            "  domain: -shop\n".to_string(),
            "the domain prefix `-shop` starts or ends with `-`",
            "-shop".to_string(),
        ),
        (
            "  domain: my-aws-shop\n".to_string(),
            "the domain prefix `my-aws-shop` contains the reserved word `aws`",
            "my-aws-shop".to_string(),
        ),
        (
            "  domain: shopcognito\n".to_string(),
            "the domain prefix `shopcognito` contains the reserved word `cognito`",
            "shopcognito".to_string(),
        ),
        (
            "  domain: auth.shop.example.com\n".to_string(),
            "the domain prefix `auth.shop.example.com` contains `.`",
            "auth.shop.example.com".to_string(),
        ),
        (
            format!("  domain: {long}\n"),
            "the domain prefix `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` is 64 characters long",
            long.clone(),
        ),
        (
            "  callback_urls: [http://shop.example.com/cb]\n".to_string(),
            "`http://shop.example.com/cb` cannot be a callback URL: Cognito requires HTTPS except for `http://localhost`",
            "http://shop.example.com/cb".to_string(),
        ),
        (
            "  logout_urls: ['https://shop.example.com/#bye']\n".to_string(),
            "`https://shop.example.com/#bye` cannot be a logout URL: it has a fragment (`#…`), which OAuth redirects may not have",
            "'https://shop.example.com/#bye'".to_string(),
        ),
        (
            "  callback_urls: [shop.example.com]\n".to_string(),
            "`shop.example.com` cannot be a callback URL: it is not an absolute URL (`scheme://…`)",
            "shop.example.com".to_string(),
        ),
        (
            "  mfa: always\n".to_string(),
            "unknown MFA setting `always`",
            "always".to_string(),
        ),
    ];
    for (setting, message, underlined) in cases {
        let dir = common::scratch("signin-bad");
        let out = generate(&dir, &roles("lambda", &setting));
        assert_eq!(out.status.code(), Some(2), "{setting}");
        let diags: Value = serde_json::from_slice(&out.stderr).expect("one JSON document");
        let d = &diags[0];
        assert_eq!(d["message"], message, "{diags}");
        assert_eq!(d["underlined"], underlined.as_str(), "{diags}");
        assert!(!dir.join("out").exists());
    }
}
