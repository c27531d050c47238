//! The pre-token-generation V2 trigger of the `cognito-scopes` strategy: a Node.js 22 handler
//! with the group → scopes table embedded, so that Cognito puts into each access token the
//! scopes the access model gives the user's groups.

use super::Files;
use super::text::{js_literal, render};
use crate::diag::Diagnostic;
use crate::model::Model;

pub const HANDLER: &str = "pretoken/index.mjs";
/// The team's own trigger (`pretoken.extend`), copied beside the handler that imports it.
pub const EXTEND: &str = "pretoken/extend.mjs";

pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    // Groups are sorted by name in the model, and each group's scopes by full name.
    let table: Vec<(&str, Vec<&str>)> = model
        .group_ids()
        .map(|g| (model.group(g).name.as_str(), model.full_scopes_of(g)))
        .collect();
    // With `authenticated` routes, every signed-in user's token gets the reserved scope those
    // methods require, whatever their groups (machine clients never pass through this V2
    // trigger, so they never get it).
    let every_user: Vec<String> = if model.has_authenticated() {
        vec![model.signed_in_scope()]
    } else {
        Vec::new()
    };
    let mut managed: Vec<&str> = model.scopes.iter().map(|s| s.full_name.as_str()).collect();
    managed.extend(every_user.iter().map(String::as_str));
    managed.sort_unstable();
    let extend = match &model.pretoken_extend {
        None => None,
        Some(e) => match &e.source {
            Some(source) => Some(source.clone()),
            None => {
                return Err(vec![
                    Diagnostic::error("pretoken-extend", format!("`{}` was not read", e.path))
                        .at(e.span)
                        .help(
                            "run `rolegen` on the roles file, so that the file beside it is read",
                        ),
                ]);
            }
        },
    };
    let code = render(
        "pretoken.mjs.j2",
        minijinja::context! {
            groups => js_literal(&table),
            managed => js_literal(&managed),
            every_user => js_literal(&every_user),
            extend => extend.is_some(),
        },
    );
    let mut files = Files::from([(HANDLER.to_string(), code.into_bytes())]);
    if let Some(source) = extend {
        // The team's file as it is: it is their code, not data rolegen writes into code.
        files.insert(EXTEND.to_string(), source.into_bytes());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GroupId;
    use std::process::Command;

    /// Names Cognito would refuse (validation rejects whitespace and line separators), forced
    /// into a model to show that even then the table stays data: the module parses, nothing
    /// runs, and each name still finds its own scopes.
    #[test]
    fn names_that_could_break_out_stay_data() {
        let text = "\
version: 1
api: { name: x, stage: prod, authorizer: cognito-scopes }
user_pool: { name: x }
resource_server: { identifier: api, name: X }
scopes: { a: A, b: B, c: C }
groups:
  A: { scopes: [a] }
  B: { scopes: [b] }
  C: { scopes: [c] }
routes:
  GET /a: [a]
  GET /b: [b]
  GET /c: [c]
";
        let mut model = crate::cmd::load_text("roles.yaml", text.to_string())
            .model
            .expect("valid model");
        let hostile = ["line\nbreak", "\"]; process.exit(1); //", "a\u{2028}b"];
        for (i, name) in hostile.iter().enumerate() {
            model.groups[i].name = name.to_string();
        }
        let files = generate(&model).unwrap();
        let code = std::str::from_utf8(&files[HANDLER]).unwrap();
        // The whole table is on one line: no name ended the line inside a string.
        assert!(
            code.lines()
                .any(|l| l.starts_with("const GROUP_SCOPES = new Map(") && l.ends_with(");")),
            "{code}"
        );

        let dir =
            std::env::temp_dir().join(format!("rolegen-pretoken-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.mjs"), code).unwrap();
        let check = Command::new("node")
            .arg("--check")
            .arg(dir.join("index.mjs"))
            .output()
            .expect("run node (Node.js 20 or later must be installed)");
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );

        // Each hostile name, and near misses that must grant nothing.
        let mut asked: Vec<String> = hostile.iter().map(|s| s.to_string()).collect();
        asked.extend(["linebreak", "\"]", "a", "ab"].map(String::from));
        std::fs::write(
            dir.join("names.json"),
            serde_json::to_string(&asked).unwrap(),
        )
        .unwrap();
        let driver = r#"
import { readFileSync } from "node:fs";
import { handler } from "./index.mjs";
const names = JSON.parse(readFileSync(new URL("./names.json", import.meta.url), "utf8"));
const out = [];
for (const name of names) {
  const event = { request: { groupConfiguration: { groupsToOverride: [name] }, scopes: [] } };
  const r = await handler(event);
  out.push([name, r.response.claimsAndScopeOverrideDetails.accessTokenGeneration.scopesToAdd]);
}
process.stdout.write(JSON.stringify(out));
"#;
        std::fs::write(dir.join("driver.mjs"), driver).unwrap();
        let run = Command::new("node")
            .arg(dir.join("driver.mjs"))
            .output()
            .expect("run node");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            run.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        let got: Vec<(String, Vec<String>)> = serde_json::from_slice(&run.stdout).unwrap();
        let want: Vec<(String, Vec<String>)> = asked
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let scopes = if i < hostile.len() {
                    model
                        .full_scopes_of(GroupId(i))
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                } else {
                    Vec::new()
                };
                (n.clone(), scopes)
            })
            .collect();
        assert_eq!(got, want);
    }
}
