//! Shared by `tests/pretoken.rs` and `tests/cfn_scopes.rs`: the `cognito-scopes` fixtures, their
//! generated files, and running the generated pre-token handler under `node` with many V2_0
//! events in one process.
#![allow(dead_code)]

use crate::common;
use rolegen::cmd::load_text;
use rolegen::r#gen::{self, Files, Target};
use rolegen::model::{GroupId, Model, Strategy};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The roles files under `tests/fixtures/`, all `authorizer: cognito-scopes`.
pub const FIXTURES: &[&str] = &[
    "scopes_hierarchical",
    "scopes_lateral",
    "scopes_hostile",
    "scopes_proxy",
    "scopes_large",
];

/// A roles file, its model and the files rolegen generates from it.
pub struct Fixture {
    pub name: String,
    pub text: String,
    pub model: Model,
    /// The `cfn` and `pretoken` targets.
    pub files: Files,
}

pub fn load(name: &str, yaml: &Path) -> Fixture {
    let text = fs::read_to_string(yaml).unwrap_or_else(|e| panic!("{}: {e}", yaml.display()));
    from_text(name, text)
}

/// A fixture from roles text; panics on any diagnostic (fixtures are clean, warnings too).
pub fn from_text(name: &str, text: String) -> Fixture {
    let loaded = load_text(name, text);
    assert!(
        loaded.diags.is_empty(),
        "{name}: unexpected diagnostics: {:#?}",
        loaded.diags
    );
    let model = loaded.model.expect("a model when there is no diagnostic");
    assert_eq!(model.api.strategy, Strategy::CognitoScopes, "{name}");
    let files = r#gen::generate_all(&model, &[Target::Cfn, Target::Pretoken])
        .unwrap_or_else(|d| panic!("{name}: generation failed: {d:#?}"));
    Fixture {
        name: name.to_string(),
        text: loaded.text,
        model,
        files,
    }
}

pub fn fixture(name: &str) -> Fixture {
    load(
        name,
        &common::repo().join(format!("tests/fixtures/{name}.yaml")),
    )
}

/// The roles.yaml bundled at the top of the repository.
pub fn bundled() -> Fixture {
    load("bundled", &common::repo().join("roles.yaml"))
}

/// Every fixture, then the bundled roles.yaml.
pub fn all() -> Vec<Fixture> {
    let mut v: Vec<Fixture> = FIXTURES.iter().map(|n| fixture(n)).collect();
    v.push(bundled());
    v
}

/// Writes a fixture's generated files under `dir/<name>/`, as `rolegen gen` lays out `out/`;
/// returns that folder.
pub fn write_out(fx: &Fixture, dir: &Path) -> PathBuf {
    let root = dir.join(&fx.name);
    for (rel, bytes) in &fx.files {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
    }
    root
}

/// The group combinations the tests cover: none, each group, each pair, and all together.
pub fn group_sets(model: &Model) -> Vec<Vec<GroupId>> {
    let ids: Vec<GroupId> = model.group_ids().collect();
    let mut sets = vec![Vec::new()];
    sets.extend(ids.iter().map(|&g| vec![g]));
    for (i, &a) in ids.iter().enumerate() {
        for &b in &ids[i + 1..] {
            sets.push(vec![a, b]);
        }
    }
    if ids.len() > 2 {
        sets.push(ids.clone());
    }
    sets
}

pub fn names(model: &Model, groups: &[GroupId]) -> Vec<String> {
    groups
        .iter()
        .map(|&g| model.group(g).name.clone())
        .collect()
}

/// Every scope of the resource server, full names, sorted.
pub fn managed_scopes(model: &Model) -> Vec<String> {
    let mut v: Vec<String> = model.scopes.iter().map(|s| s.full_name.clone()).collect();
    v.sort();
    v
}

/// What the hosted UI asks for when the client requests every scope it may: each scope of the
/// resource server plus `openid`.
pub fn full_request(model: &Model) -> Vec<String> {
    let mut v = managed_scopes(model);
    v.push("openid".to_string());
    v
}

/// A pre-token-generation event as Cognito sends it with `LambdaVersion: V2_0`.
/// `groups` is a JSON value so tests can also send what Cognito never would.
pub fn v2_event(groups: Value, scopes: Option<&[String]>) -> Value {
    let mut request = json!({
        "userAttributes": {
            "sub": "1b7e8f2a-0000-4000-8000-00000000a11c",
            "email_verified": "true",
            "email": "alice@example.com",
        },
        "groupConfiguration": {
            "groupsToOverride": groups,
            "iamRolesToOverride": [],
            "preferredRole": null,
        },
    });
    if let Some(scopes) = scopes {
        request["scopes"] = json!(scopes);
    }
    json!({
        "version": "2",
        "triggerSource": "TokenGeneration_HostedAuth",
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_Example1",
        "userName": "1b7e8f2a-0000-4000-8000-00000000a11c",
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": "1example23456789",
        },
        "request": request,
        "response": { "claimsAndScopeOverrideDetails": null },
    })
}

/// The handler's answer to one event, as the driver saw it.
#[derive(Debug)]
pub struct Answer {
    /// `groupsToOverride` as node parsed it from the event, before the call.
    pub seen_groups: Value,
    /// `event.response` after the call.
    pub response: Value,
    /// Whether the handler returned the event object it was given (Cognito reads that).
    pub returned_event: bool,
}

impl Answer {
    fn access_token(&self) -> &Value {
        &self.response["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]
    }

    pub fn scopes_to_add(&self) -> Vec<String> {
        strings(&self.access_token()["scopesToAdd"], "scopesToAdd")
    }

    pub fn scopes_to_suppress(&self) -> Vec<String> {
        strings(&self.access_token()["scopesToSuppress"], "scopesToSuppress")
    }

    /// The access token's scopes after Cognito applies the answer to what was requested.
    pub fn token_scopes(&self, requested: &[String]) -> BTreeSet<String> {
        let suppress = self.scopes_to_suppress();
        let mut s: BTreeSet<String> = requested
            .iter()
            .filter(|r| !suppress.contains(r))
            .cloned()
            .collect();
        s.extend(self.scopes_to_add());
        s
    }
}

fn strings(v: &Value, what: &str) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} is not an array: {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("{what} holds a non-string: {s}"))
                .to_string()
        })
        .collect()
}

/// Calls generated handlers under one `node` process: for each job, the `index.mjs` to import
/// and the events to call it with, in order. Returns the answers, job by job.
pub fn run_handlers(scratch: &Path, jobs: &[(PathBuf, Vec<Value>)]) -> Vec<Vec<Answer>> {
    let driver = scratch.join("driver.mjs");
    fs::write(&driver, DRIVER).unwrap();
    let input: Vec<Value> = jobs
        .iter()
        .map(|(handler, events)| json!({ "handler": handler, "events": events }))
        .collect();
    let input_path = scratch.join("jobs.json");
    fs::write(&input_path, serde_json::to_vec(&input).unwrap()).unwrap();
    let out = Command::new("node")
        .arg(&driver)
        .arg(&input_path)
        .output()
        .expect("run node (Node.js 20 or later must be installed)");
    assert!(
        out.status.success(),
        "node driver failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "driver output is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(results.len(), jobs.len());
    results
        .into_iter()
        .zip(jobs)
        .map(|(answers, (_, events))| {
            assert_eq!(answers.len(), events.len());
            answers
                .into_iter()
                .map(|a| Answer {
                    seen_groups: a["seen"].clone(),
                    response: a["response"].clone(),
                    returned_event: a["same"] == json!(true),
                })
                .collect()
        })
        .collect()
}

/// One case per group combination of `group_sets`, each with the full request.
pub fn combination_events(model: &Model) -> (Vec<Vec<GroupId>>, Vec<Value>) {
    let sets = group_sets(model);
    let request = full_request(model);
    let events = sets
        .iter()
        .map(|s| v2_event(json!(names(model, s)), Some(&request)))
        .collect();
    (sets, events)
}

const DRIVER: &str = r#"// Imports each generated pre-token handler and calls it with the events of its job.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = [];
for (const job of jobs) {
  const { handler } = await import(pathToFileURL(job.handler).href);
  const answers = [];
  for (const event of job.events) {
    const seen = JSON.parse(JSON.stringify(event?.request?.groupConfiguration?.groupsToOverride ?? null));
    const returned = await handler(event);
    answers.push({ seen, response: returned?.response ?? null, same: returned === event });
  }
  out.push(answers);
}
process.stdout.write(JSON.stringify(out));
"#;

/// Compares the generated files under `prefix` (`cfn/`, `pretoken/`) of each fixture byte for
/// byte with `tests/golden/<fixture>/`; with `UPDATE_GOLDEN=1`, rewrites the goldens instead
/// (and removes golden files the generator no longer makes).
pub fn check_goldens(fixtures: &[Fixture], prefix: &str, test: &'static str) {
    let mut goldens = common::Expected::goldens(test);
    for fx in fixtures {
        let root = common::repo().join("tests/golden").join(&fx.name);
        let generated: Vec<(&String, &Vec<u8>)> = fx
            .files
            .iter()
            .filter(|(rel, _)| rel.starts_with(prefix))
            .collect();
        assert!(!generated.is_empty(), "{}: nothing under {prefix}", fx.name);
        goldens.no_others(&root.join(prefix), |file| {
            let rel = file
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            fx.files.contains_key(&rel)
        });
        for (rel, bytes) in generated {
            goldens.check(&root.join(rel), bytes);
        }
    }
    goldens.finish();
}
