//! The stage's production settings in the template: access logs to a generated log group,
//! X-Ray tracing, detailed metrics and throttling (`MethodSettings`), and the account-level
//! role API Gateway needs to write logs, when roles.yaml asks rolegen to set it.
//!
//! Stage settings apply without a new deployment, so none of this is in the deployment's
//! fingerprint.

use super::{Count, Writer, checkov, get_att, no_head, resource, resource_with};
use crate::model::stage::Throttle;
use crate::model::{Model, Route};

/// The log group of the access logs.
pub const ACCESS_LOG_GROUP_ID: &str = "AccessLogGroup";

/// One JSON object per request: who called (caller IP, the authorizer's principal, the
/// token's `sub`), what (the route as declared), how it ended (status, the authorizer's
/// error, API Gateway's error message) and how long it took. Only variables that cannot hold
/// a `"` are put between quotes; the error message is written with its JSON-escaped form
/// (`messageString`). The user agent and the path as sent are left out: a client chooses
/// them, and a `"` in them would break the line's JSON.
pub const ACCESS_LOG_FORMAT: &str = concat!(
    r#"{"requestId":"$context.requestId","#,
    r#""extendedRequestId":"$context.extendedRequestId","#,
    r#""requestTime":"$context.requestTimeEpoch","#,
    r#""ip":"$context.identity.sourceIp","#,
    r#""principal":"$context.authorizer.principalId","#,
    r#""sub":"$context.authorizer.claims.sub","#,
    r#""authorizerError":"$context.authorizer.error","#,
    r#""authorizerStatus":"$context.authorizer.status","#,
    r#""route":"$context.httpMethod $context.resourcePath","#,
    r#""status":"$context.status","#,
    r#""error":$context.error.messageString,"#,
    r#""latency":"$context.responseLatency","#,
    r#""integrationLatency":"$context.integration.latency"}"#,
);

/// The role that lets API Gateway write logs, set for the whole account and region.
pub const CLOUDWATCH_ROLE_ID: &str = "ApiGatewayCloudWatchRole";
pub const ACCOUNT_ID: &str = "ApiGatewayAccount";

/// The log group, before the stage that writes to it, and the account's logging role when
/// roles.yaml asks for it.
pub(super) fn log_group(model: &Model, w: &mut Writer, n: &mut Count) {
    let Some(log) = model.settings.access_log else {
        return;
    };
    if log.account_role {
        resource(
            w,
            n,
            CLOUDWATCH_ROLE_ID,
            "AWS::IAM::Role",
            no_head,
            &[],
            |w| {
                w.map("AssumeRolePolicyDocument", |w| {
                    w.str("Version", "2012-10-17");
                    w.seq("Statement", |w| {
                        w.item_map(|w| {
                            w.str("Effect", "Allow");
                            w.map("Principal", |w| {
                                w.str("Service", "apigateway.amazonaws.com")
                            });
                            w.str("Action", "sts:AssumeRole");
                        })
                    });
                });
                w.seq("ManagedPolicyArns", |w| {
                w.item_map(|w| {
                    w.sub_template(
                        "Fn::Sub",
                        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
                    )
                })
            });
            },
        );
        resource(
            w,
            n,
            ACCOUNT_ID,
            "AWS::ApiGateway::Account",
            no_head,
            &[],
            |w| {
                get_att(w, "CloudWatchRoleArn", CLOUDWATCH_ROLE_ID, "Arn");
            },
        );
    }
    resource_with(
        w,
        n,
        ACCESS_LOG_GROUP_ID,
        "AWS::Logs::LogGroup",
        |w| {
            // Access logs are the audit trail of who called what: they outlive the stack.
            w.str("DeletionPolicy", "Retain");
            w.str("UpdateReplacePolicy", "Retain");
        },
        &[],
        &[checkov::LOG_GROUP_KMS],
        |w| w.int("RetentionInDays", i64::from(log.retention_days)),
    );
}

/// The checks the stage does not pass on purpose: caching always, access logs and tracing when
/// roles.yaml turns them off.
pub(super) fn checkov_skips(model: &Model) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![checkov::STAGE_CACHE];
    if model.settings.access_log.is_none() {
        v.push(checkov::STAGE_NO_LOGS);
    }
    if !model.settings.tracing {
        v.push(checkov::STAGE_NO_TRACING);
    }
    v
}

/// The stage's `DependsOn`: the account's logging role must be set before a stage logs.
pub(super) fn head(model: &Model, w: &mut Writer) {
    if model.settings.access_log.is_some_and(|l| l.account_role) {
        w.strs("DependsOn", [ACCOUNT_ID]);
    }
}

/// The stage's properties after `DeploymentId`.
pub(super) fn properties(model: &Model, w: &mut Writer) {
    let s = &model.settings;
    if s.tracing {
        w.bool("TracingEnabled", true);
    }
    if s.access_log.is_some() {
        w.map("AccessLogSetting", |w| {
            get_att(w, "DestinationArn", ACCESS_LOG_GROUP_ID, "Arn");
            w.str("Format", ACCESS_LOG_FORMAT);
        });
    }
    if !(s.metrics || s.throttle.is_some() || !s.route_throttles.is_empty()) {
        return;
    }
    w.seq("MethodSettings", |w| {
        // Every method: metrics and the API's default limits.
        if s.metrics || s.throttle.is_some() {
            w.item_map(|w| {
                w.str("ResourcePath", "/*");
                w.str("HttpMethod", "*");
                if s.metrics {
                    w.bool("MetricsEnabled", true);
                }
                if let Some(t) = s.throttle {
                    limits(w, t);
                }
            });
        }
        // A route's own limits; a method setting replaces the `/*/*` one for that method, so
        // metrics are repeated on it.
        for (id, t) in &s.route_throttles {
            let route = model.route(*id);
            w.item_map(|w| {
                w.str("ResourcePath", &method_setting_path(route));
                w.str("HttpMethod", route.method.as_str());
                if s.metrics {
                    w.bool("MetricsEnabled", true);
                }
                // A limit the route leaves out is the API's.
                let inherited = s.throttle.unwrap_or(Throttle {
                    rate: None,
                    burst: None,
                });
                limits(
                    w,
                    Throttle {
                        rate: t.rate.or(inherited.rate),
                        burst: t.burst.or(inherited.burst),
                    },
                );
            });
        }
    });
}

fn limits(w: &mut Writer, t: Throttle) {
    if let Some(r) = t.rate {
        w.int("ThrottlingRateLimit", i64::from(r));
    }
    if let Some(b) = t.burst {
        w.int("ThrottlingBurstLimit", i64::from(b));
    }
}

/// A method setting's `ResourcePath`: the path with each `/` written `~1` (JSON Pointer
/// escaping, as API Gateway's stage settings key it), after a leading `/`.
pub fn method_setting_path(route: &Route) -> String {
    let path = route.path.to_string();
    format!("/{}", path.replace('~', "~0").replace('/', "~1"))
}
