//! Generators: each target turns the access model into files, in memory. Same shape for all
//! (sqlc's `codegen`): model in, a sorted map of relative path → bytes out. Nothing here
//! touches the disk (`cmd::gen` writes atomically) and nothing reads the YAML.

pub mod authorizer;
pub mod cedar;
pub mod cfn;
pub mod docs;
pub mod openapi;
pub mod pretoken;
pub mod routes_json;
mod text;
pub mod yaml;

use crate::diag::Diagnostic;
use crate::model::{Model, Strategy};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// AWS's quotas the generators check: parameters, so the benchmark can measure the work
/// itself past them.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// CloudFormation: resources per template, and bytes of a template uploaded to S3.
    pub max_resources: usize,
    pub max_bytes: usize,
    /// API Gateway: bytes of an OpenAPI definition put into an API (`api.definition: package`).
    pub max_body_bytes: usize,
    /// Verified Permissions: bytes of the schema, and of all policies of one store together.
    pub max_schema_bytes: usize,
    pub max_store_policy_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_resources: cfn::MAX_RESOURCES,
            max_bytes: cfn::MAX_TEMPLATE_BYTES,
            max_body_bytes: cfn::MAX_BODY_BYTES,
            max_schema_bytes: cedar::MAX_SCHEMA_BYTES,
            max_store_policy_bytes: cedar::MAX_TOTAL_POLICY_BYTES,
        }
    }
}

impl Limits {
    /// No limit at all (benchmarks, trials at scale).
    pub fn lifted() -> Limits {
        Limits {
            max_resources: usize::MAX,
            max_bytes: usize::MAX,
            max_body_bytes: usize::MAX,
            max_schema_bytes: usize::MAX,
            max_store_policy_bytes: usize::MAX,
        }
    }
}

/// Relative path under the output directory ('/'-separated) → contents. A `BTreeMap` so the
/// order of files never depends on hashing.
pub type Files = BTreeMap<String, Vec<u8>>;

/// The `package.json` of a generated Node.js function (an ES module for Lambda's
/// `nodejs22.x`, `index.mjs`), pretty-printed with a final line break as npm writes it.
pub(crate) fn node_package(
    name: &str,
    description: &str,
    dependencies: serde_json::Value,
) -> Vec<u8> {
    let package = serde_json::json!({
        "name": name,
        "version": "1.0.0",
        "private": true,
        "description": description,
        "type": "module",
        "main": "index.mjs",
        "engines": { "node": ">=22" },
        "dependencies": dependencies,
    });
    let mut s = serde_json::to_string_pretty(&package).expect("json");
    s.push('\n');
    s.into_bytes()
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Lambda REQUEST authorizer: an embedded route → groups table (`lambda`), or a call to
    /// Verified Permissions (`verified-permissions`).
    Authorizer,
    /// Cedar schema and policies for Amazon Verified Permissions (`verified-permissions`).
    Cedar,
    /// CloudFormation template: user pool, groups, resource server, client, REST API.
    Cfn,
    /// The access matrix for people: `access-matrix.md` and `access-matrix.svg`.
    Docs,
    /// OpenAPI 3.0 with API Gateway's extensions, for `aws apigateway import-rest-api`.
    Openapi,
    /// Pre-token-generation V2 trigger with its group → scopes table (`cognito-scopes`).
    Pretoken,
    /// Each route's authorization as JSON, for an API another tool owns (`api.external`).
    Routes,
    /// JSON Schema of roles.yaml, for editors.
    Schema,
}

impl Target {
    pub const ALL: [Target; 8] = [
        Target::Authorizer,
        Target::Cedar,
        Target::Cfn,
        Target::Docs,
        Target::Openapi,
        Target::Pretoken,
        Target::Routes,
        Target::Schema,
    ];

    /// The folder under the output directory that this target owns entirely.
    pub fn dir(self) -> &'static str {
        match self {
            Target::Authorizer => "authorizer",
            Target::Cedar => "cedar",
            Target::Cfn => "cfn",
            Target::Docs => "docs",
            Target::Openapi => "openapi",
            Target::Pretoken => "pretoken",
            Target::Routes => "routes",
            Target::Schema => "schema",
        }
    }

    pub fn name(self) -> &'static str {
        self.dir()
    }

    /// Rough relative cost on a large model, so the longest targets start first.
    fn cost_rank(self) -> u8 {
        match self {
            Target::Docs => 5,
            Target::Cfn => 4,
            Target::Openapi => 3,
            Target::Authorizer => 2,
            Target::Cedar => 2,
            Target::Pretoken => 1,
            Target::Routes => 0,
            Target::Schema => 0,
        }
    }

    /// Whether the model's strategy uses this target.
    pub fn applies_to(self, model: &Model) -> bool {
        match self {
            Target::Authorizer => model.api.strategy.uses_lambda_authorizer(),
            Target::Cedar => model.api.strategy == Strategy::VerifiedPermissions,
            Target::Pretoken => model.api.strategy == Strategy::CognitoScopes,
            Target::Routes => model.api.external,
            Target::Cfn | Target::Docs | Target::Openapi | Target::Schema => true,
        }
    }
}

/// Generates one target. Errors (a template over CloudFormation's limits, say) are
/// diagnostics like any other: nothing is written when there is one.
pub fn generate(model: &Model, target: Target) -> Result<Files, Vec<Diagnostic>> {
    match target {
        Target::Authorizer => authorizer::generate(model),
        Target::Cedar => cedar::generate(model),
        Target::Cfn => cfn::generate(model),
        Target::Docs => docs::generate(model),
        Target::Openapi => openapi::generate(model),
        Target::Pretoken => pretoken::generate(model),
        Target::Routes => Ok(routes_json::generate(model)),
        Target::Schema => Ok(Files::from([(
            "schema/roles.schema.json".to_string(),
            crate::config::schema::json().into_bytes(),
        )])),
    }
}

/// The targets to build: the ones asked for, or every one the strategy uses. Asking for a
/// target the strategy does not use is an error rather than a file nobody deploys.
pub fn select(model: &Model, asked: &[Target]) -> Result<Vec<Target>, Diagnostic> {
    if asked.is_empty() {
        return Ok(Target::ALL
            .into_iter()
            .filter(|t| t.applies_to(model))
            .collect());
    }
    let mut out = Vec::new();
    for &t in asked {
        if t == Target::Routes && !t.applies_to(model) {
            return Err(Diagnostic::error(
                "target",
                "target `routes` is written only for an API another tool owns".to_string(),
            )
            .help("set `api.external: true`, or run `rolegen gen` without `--target routes`"));
        }
        if !t.applies_to(model) {
            return Err(Diagnostic::error(
                "target",
                format!(
                    "target `{}` is not used by `authorizer: {}`",
                    t.name(),
                    model.api.strategy.as_str()
                ),
            )
            .help(
                "run `rolegen gen` without `--target` to build every target this strategy uses",
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out.sort();
    Ok(out)
}

/// Generates several targets into one map.
pub fn generate_all(model: &Model, targets: &[Target]) -> Result<Files, Vec<Diagnostic>> {
    generate_all_with(model, targets, Limits::default())
}

/// Below this many routes, targets run one after another on the calling thread.
const PARALLEL_FROM_ROUTES: usize = 200;

/// [`generate_all`] with the CloudFormation limits as a parameter (the benchmark lifts them).
///
/// Targets read the same model and share nothing else, so they run side by side, one thread
/// per core, the costliest first. The result does not depend on which thread ran what: files
/// land in a sorted map, and diagnostics come in target order.
pub fn generate_all_with(
    model: &Model,
    targets: &[Target],
    limits: Limits,
) -> Result<Files, Vec<Diagnostic>> {
    let mut queue = targets.to_vec();
    queue.sort_by_key(|t| std::cmp::Reverse(t.cost_rank()));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(&t) = queue.get(next.fetch_add(1, Ordering::Relaxed)) {
            let out = match t {
                Target::Cfn => cfn::generate_with(model, limits),
                Target::Cedar => cedar::generate_with(model, limits),
                t => generate(model, t),
            };
            done.push((t, out));
        }
        done
    };
    // Starting a thread costs more than every target of a small model together.
    let threads = if model.routes.len() < PARALLEL_FROM_ROUTES {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(queue.len())
    };
    let mut results = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_by_key(|(t, _)| *t);

    let mut files = Files::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    for (_, out) in results {
        match out {
            Ok(f) => files.extend(f),
            // Targets that share a computation (`cedar` and `cfn` both build the Cedar
            // policies) report its error once.
            Err(e) => {
                for d in e {
                    if !errors
                        .iter()
                        .any(|x| x.code == d.code && x.message == d.message)
                    {
                        errors.push(d);
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::synth::{SynthParams, roles_yaml};

    /// Running targets side by side gives exactly what running them one by one gives.
    #[test]
    fn parallel_generation_equals_sequential() {
        for strategy in [Strategy::CognitoScopes, Strategy::Lambda] {
            let params = SynthParams {
                strategy,
                ..SynthParams::for_routes(PARALLEL_FROM_ROUTES + 10)
            };
            let loaded = crate::cmd::load_text("roles.yaml", roles_yaml(&params));
            let model = loaded.model.expect("synthetic files are valid");
            let targets = select(&model, &[]).expect("every target of the strategy");
            let mut sequential = Files::new();
            for &t in &targets {
                sequential.extend(generate(&model, t).expect("generates"));
            }
            let parallel = generate_all(&model, &targets).expect("generates");
            assert_eq!(
                parallel.keys().collect::<Vec<_>>(),
                sequential.keys().collect::<Vec<_>>()
            );
            assert!(parallel == sequential, "{strategy:?}: files differ");
        }
    }

    /// One target's errors fail the whole run, whatever the other threads produced, and keep
    /// the order that target reported them in.
    #[test]
    fn a_failing_target_fails_the_run() {
        let params = SynthParams::for_routes(400);
        let loaded = crate::cmd::load_text("roles.yaml", roles_yaml(&params));
        let model = loaded.model.expect("synthetic files are valid");
        let tight = Limits {
            max_resources: 10,
            max_bytes: 100,
            ..Limits::default()
        };
        let errors = generate_all_with(&model, &[Target::Docs, Target::Cfn], tight)
            .expect_err("over the lowered limits");
        let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(errors.len(), 2, "{messages:?}");
        assert!(messages[0].contains("resources"), "{messages:?}");
        assert!(messages[1].contains("bytes"), "{messages:?}");
    }
}
