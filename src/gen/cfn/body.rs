//! The REST API as one OpenAPI document (the openapi target's), instead of a `Resource` per
//! path and a `Method` per route: `api.definition: body` writes it into the template as the
//! `RestApi`'s `Body`, `api.definition: package` beside it (see [`super::package`]). The API
//! then costs a handful of resources whatever its size, past CloudFormation's 500.
//!
//! In the template, CloudFormation resolves intrinsics inside `Body` (it is JSON), so the
//! authorizer's and the Lambda integrations' ARNs are `Fn::Sub`/`Fn::GetAtt`. The deployment's
//! logical ID is a hash of the document (preflights and gateway responses included), so a
//! changed API is a new deployment, and an unchanged one is not. `Mode: overwrite` makes an
//! update replace the whole definition (the default for a new API merges some of it);
//! `FailOnWarnings` makes a definition API Gateway only half understands fail the stack
//! instead of deploying without it.

use super::{Count, Writer, no_head, r, resource, short_hash};
use crate::r#gen::openapi::{Refs, document};
use crate::model::{Definition, Model};

/// `file`: with `package`, the document beside the template (see [`super::package::body`]).
pub(super) fn api(model: &Model, file: Option<&str>, w: &mut Writer, n: &mut Count) {
    let start = w.len();
    let packaged = model.settings.definition == Definition::Package;
    resource(
        w,
        n,
        "RestApi",
        "AWS::ApiGateway::RestApi",
        no_head,
        &[],
        |w| {
            super::rest_api_properties(model, w);
            if !packaged {
                w.str("Mode", "overwrite");
                w.bool("FailOnWarnings", true);
                // In flow style on one line: the body is most of a large template, and
                // block-style indentation was a third of it.
                w.flow_map("Body", |w| document(model, w, Refs::Intrinsics));
            }
        },
    );
    let fingerprint = if let Some(body) = file.filter(|_| packaged) {
        // The document is the file the function puts; the RestApi's own properties count too.
        let fingerprint = {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            h.update(body.as_bytes());
            h.update(w.written_since(start).as_bytes());
            super::hex_prefix(&h.finalize(), 12)
        };
        super::package::resources(model, &short_hash(body.as_bytes(), 64), w, n);
        fingerprint
    } else {
        short_hash(w.written_since(start).as_bytes(), 12)
    };
    super::lambda_permissions(model, w, n);
    let deployment = format!("Deployment{}", fingerprint.to_uppercase());
    // The snapshot must be taken after the function has put the document.
    let head = |w: &mut Writer| {
        if packaged {
            w.strs("DependsOn", [super::package::RESOURCE_ID]);
        }
    };
    resource(
        w,
        n,
        &deployment,
        "AWS::ApiGateway::Deployment",
        head,
        &[],
        |w| {
            r(w, "RestApiId", "RestApi");
            w.str("Description", &format!("rolegen {fingerprint}"));
        },
    );
    super::stage_resources(model, &deployment, w, n);
}
