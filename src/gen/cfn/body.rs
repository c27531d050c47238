//! `api.definition: body`: the REST API as one OpenAPI `Body` in the template (the same
//! document as the `openapi` target, with CloudFormation intrinsics where that file has
//! placeholders), instead of a `Resource` per path and a `Method` per route. The API then
//! costs a handful of resources whatever its size, past CloudFormation's 500.
//!
//! CloudFormation resolves intrinsics inside `Body` (it is JSON), so the authorizer's and the
//! Lambda integrations' ARNs are `Fn::Sub`/`Fn::GetAtt`. The deployment's logical ID is a hash
//! of the body (preflights and gateway responses included), so a changed API is a new deployment, and an
//! unchanged one is not. `Mode: overwrite` makes an update replace the whole definition
//! (the default for a new API merges some of it); `FailOnWarnings` makes a definition API
//! Gateway only half understands fail the stack instead of deploying without it.

use super::{Count, Writer, no_head, private_api_policy, r, resource, short_hash};
use crate::r#gen::openapi::{Refs, document};
use crate::model::{Endpoint, Model};

pub(super) fn api(model: &Model, w: &mut Writer, n: &mut Count) {
    let start = w.len();
    resource(
        w,
        n,
        "RestApi",
        "AWS::ApiGateway::RestApi",
        no_head,
        &[],
        |w| {
            w.str("Name", &model.api.name);
            if let Some(d) = &model.api.description {
                w.str("Description", d);
            }
            let endpoint = &model.api.endpoint;
            w.map("EndpointConfiguration", |w| {
                w.strs("Types", [endpoint.as_str()]);
                if let Endpoint::Private { vpc_endpoint_ids } = endpoint {
                    w.strs(
                        "VpcEndpointIds",
                        vpc_endpoint_ids.iter().map(String::as_str),
                    );
                }
            });
            if let Endpoint::Private { vpc_endpoint_ids } = endpoint {
                w.map("Policy", |w| private_api_policy(w, vpc_endpoint_ids));
            }
            w.str("Mode", "overwrite");
            w.bool("FailOnWarnings", true);
            // In flow style on one line: the body is most of a large template, and block-style
            // indentation was a third of it.
            w.flow_map("Body", |w| document(model, w, Refs::Intrinsics));
        },
    );
    let fingerprint = short_hash(w.written_since(start).as_bytes(), 12);
    super::lambda_permissions(model, w, n);
    let deployment = format!("Deployment{}", fingerprint.to_uppercase());
    resource(
        w,
        n,
        &deployment,
        "AWS::ApiGateway::Deployment",
        no_head,
        &[],
        |w| {
            r(w, "RestApiId", "RestApi");
            w.str("Description", &format!("rolegen {fingerprint}"));
        },
    );
    super::stage_resources(model, &deployment, w, n);
}
