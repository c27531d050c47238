//! The inputs of the drift benchmark (`benches/drift.rs`) and of `examples/drift_stages.rs`,
//! built in one place so that both time the same thing: a synthetic roles file of N routes,
//! and rolegen's own OpenAPI (JSON and YAML) and CloudFormation (JSON) output for it with every
//! 100th method made `NONE`, so that every comparison also writes findings.

use rolegen::apidef;
use rolegen::cmd::load_text;
use rolegen::cmd::synth::{SynthParams, roles_yaml};
use rolegen::r#gen::{self, Target, cfn};
use rolegen::model::Model;
use serde_json::{Value, json};

pub struct DriftInputs {
    pub roles: String,
    /// `drift_stages` loads its own, inside the stage it times.
    #[allow(dead_code)]
    pub model: Model,
    pub openapi_json: String,
    pub openapi_yaml: String,
    pub cfn_json: String,
}

fn text_of(files: &r#gen::Files, suffix: &str) -> String {
    let (_, bytes) = files.iter().find(|(k, _)| k.ends_with(suffix)).unwrap();
    String::from_utf8(bytes.clone()).unwrap()
}

pub fn drift_inputs(routes: usize) -> DriftInputs {
    let roles = roles_yaml(&SynthParams::for_routes(routes));
    let model = load_text("roles.yaml", roles.clone())
        .model
        .expect("synthetic files are valid");

    let yaml = text_of(
        &r#gen::generate(&model, Target::Openapi).unwrap(),
        "openapi.yaml",
    );
    let mut doc: Value = apidef::tree::parse(&yaml).unwrap().root().to_json();
    let mut n = 0;
    for (_, item) in doc["paths"].as_object_mut().unwrap() {
        for (_, op) in item.as_object_mut().unwrap() {
            if op.get("security").is_some() {
                n += 1;
                if n % 100 == 0 {
                    op["security"] = json!([]);
                }
            }
        }
    }
    let openapi_json = serde_json::to_string_pretty(&doc).unwrap();
    let openapi_yaml = serde_saphyr::to_string(&doc).unwrap();

    // CloudFormation refuses templates over 500 resources; the benchmark measures the reading.
    let limits = r#gen::Limits::lifted();
    let template = text_of(
        &cfn::generate_with(&model, limits).unwrap(),
        "template.yaml",
    );
    let mut doc: Value = apidef::tree::parse(&template).unwrap().root().to_json();
    let mut n = 0;
    for (_, r) in doc["Resources"].as_object_mut().unwrap() {
        if r["Type"] == "AWS::ApiGateway::Method" {
            n += 1;
            if n % 100 == 0 {
                r["Properties"]["AuthorizationType"] = json!("NONE");
                let p = r["Properties"].as_object_mut().unwrap();
                p.remove("AuthorizerId");
                p.remove("AuthorizationScopes");
            }
        }
    }
    let cfn_json = serde_json::to_string_pretty(&doc).unwrap();
    DriftInputs {
        roles,
        model,
        openapi_json,
        openapi_yaml,
        cfn_json,
    }
}
