//! The README's SAM examples for an API that SAM owns (`api.external`) are proven here: each is
//! translated by the AWS SAM translator (`aws-sam-translator`, what `sam deploy` runs, pinned
//! and installed under `target/tools`), and `rolegen drift` reads the translated template back
//! against the roles file the example is written for: no finding. A planted change to the
//! example is found, so the check can fail.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Translates a SAM template offline as `sam deploy` does after `sam package`: local
/// `CodeUri`s become S3 URLs, and no managed policy is looked up.
const TRANSLATE: &str = r#"
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

tpl = yaml_parse(open(sys.argv[1]).read())
functions = [r.get("Properties", {}) for r in tpl["Resources"].values()
             if r.get("Type") == "AWS::Serverless::Function"]
for props in [tpl.get("Globals", {}).get("Function", {})] + functions:
    if isinstance(props.get("CodeUri"), str):
        props["CodeUri"] = "s3://bucket/code.zip"
json.dump(transform(tpl, {}, NoManagedPolicies()), open(sys.argv[2], "w"), indent=1, sort_keys=True)
"#;

fn fixtures() -> PathBuf {
    common::repo().join("tests/fixtures/adopt")
}

/// The YAML block that follows `<!-- sam-example: NAME -->` in README.md.
fn readme_example(name: &str) -> String {
    let readme = fs::read_to_string(common::repo().join("README.md")).unwrap();
    let marker = format!("<!-- sam-example: {name} -->\n```yaml\n");
    let start = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README.md has no `{marker}`"))
        + marker.len();
    let len = readme[start..].find("```\n").expect("the block ends");
    readme[start..start + len].to_string()
}

/// Translates `template` with the SAM translator into `dir`; the processed template's path.
fn translate(dir: &Path, name: &str, template: &str) -> PathBuf {
    let source = dir.join(format!("{name}.yaml"));
    fs::write(&source, template).unwrap();
    let script = dir.join("translate.py");
    fs::write(&script, TRANSLATE).unwrap();
    let processed = dir.join(format!("{name}.processed.json"));
    let out = Command::new(common::sam_python())
        .arg(&script)
        .arg(&source)
        .arg(&processed)
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .output()
        .expect("run the SAM translator");
    assert!(
        out.status.success(),
        "the SAM translator refused {name}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    processed
}

fn drift(roles: &Path, api: &Path) -> (i32, String) {
    let out = common::rolegen()
        .arg("--config")
        .arg(roles)
        .args(["drift", "--fail-on", "warning", "--api"])
        .arg(api)
        .output()
        .expect("run rolegen");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn check_example(example: &str, roles: &str, planted: (&str, &str), expect: &str) {
    let template = readme_example(example);
    // The README shows the fixture the drift tests read, byte for byte.
    let fixture = fs::read_to_string(fixtures().join(format!("sam/{example}.yaml"))).unwrap();
    assert_eq!(
        template, fixture,
        "README's `{example}` example and its fixture differ"
    );
    let roles = fixtures().join(roles);
    let dir = common::scratch(&format!("sam-{example}"));

    let processed = translate(&dir, example, &template);
    let (code, text) = drift(&roles, &processed);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("no findings"), "{text}");
    // The source template gives the same verdict as the processed one.
    let (code, text) = drift(&roles, &dir.join(format!("{example}.yaml")));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("no findings"), "{text}");

    // A planted change is found in the translated template: the check can fail.
    assert!(template.contains(planted.0), "{example}: nothing to plant");
    let changed = template.replacen(planted.0, planted.1, 1);
    let processed = translate(&dir, &format!("{example}-changed"), &changed);
    let (code, text) = drift(&roles, &processed);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(expect), "expected `{expect}` in:\n{text}");
}

#[test]
fn sam_cognito_scopes_example_translates_with_no_drift() {
    check_example(
        "cognito-scopes",
        "external_scopes.yaml",
        (
            "AuthorizationScopes: [api/admin]",
            "AuthorizationScopes: [api/readonly]",
        ),
        "error[RG103] scopes-looser (1)\n  DELETE /orders/{orderId}",
    );
}

#[test]
fn sam_lambda_example_translates_with_no_drift() {
    check_example(
        "lambda",
        "external_lambda.yaml",
        (
            "Context: [httpMethod, resourcePath]",
            "Context: [httpMethod]",
        ),
        "error[RG105] authorizer-mismatch (5)",
    );
}
