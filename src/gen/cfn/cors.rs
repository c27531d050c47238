//! CORS in the template: one unauthenticated `OPTIONS` per declared path answering the
//! browser's preflight, the CORS headers on the answers of mock routes, and on API Gateway's
//! own error answers (`DEFAULT_4XX`, `DEFAULT_5XX`) so that a web app can read a 401 or 403.
//!
//! The preflights are not routes of the access matrix: they reach no backend (a mock
//! integration answers them) and say only which origins, verbs and headers the API accepts.
//!
//! With `*`, the origin is a fixed header. With named origins, a mapping template compares the
//! request's `Origin` with each and writes it back only when it is one of them
//! (`$context.responseOverride`); any other origin gets no `Access-Control-Allow-Origin`, and
//! the browser refuses the answer. Origins and header names are checked in `model::stage` to
//! hold no quote or `$`, so they are written into the template as they are.

use super::{Count, LogicalIds, Writer, no_head, r, resource};
use crate::model::stage::Cors;
use crate::model::{Method, Model, Route};

/// `DEFAULT_4XX` and `DEFAULT_5XX`: every answer API Gateway makes itself (401, 403, 429,
/// 5xx), and their logical IDs.
pub const GATEWAY_RESPONSES: &[(&str, &str)] = &[
    ("DEFAULT_4XX", "GatewayResponseDefault4XX"),
    ("DEFAULT_5XX", "GatewayResponseDefault5XX"),
];

/// The logical ID of the preflight on the path whose resource ID is `resource_id` (`None`
/// for `/`).
pub fn preflight_id(resource_id: Option<&str>) -> String {
    match resource_id {
        Some(res) => format!("MethodOptions{}", &res["Resource".len()..]),
        None => "MethodOptionsRoot".to_string(),
    }
}

/// The verbs a path declares, for `Access-Control-Allow-Methods`: `ANY` stands for all of
/// them, and `OPTIONS` (the preflight) is always there.
pub fn allowed_methods(routes: &[&Route]) -> String {
    let mut verbs: Vec<&str> = Vec::new();
    for r in routes {
        if r.method == Method::Any {
            verbs.extend(
                Method::ALL
                    .iter()
                    .filter(|m| **m != Method::Any)
                    .map(|m| m.as_str()),
            );
        } else {
            verbs.push(r.method.as_str());
        }
    }
    verbs.push("OPTIONS");
    verbs.sort_unstable();
    verbs.dedup();
    verbs.join(",")
}

/// The mapping template that writes the request's origin back when it is allowed. The
/// header is looked up as `Origin` and as `origin` (HTTP/2 writes it in lower case); both
/// present, or neither, match nothing.
pub fn origin_template(cors: &Cors) -> String {
    let mut t = String::from(
        "#set($h = $input.params().header)\n#set($origin = \"$!h.get('Origin')$!h.get('origin')\")\n#if(",
    );
    for (i, o) in cors.origins.iter().enumerate() {
        if i > 0 {
            t.push_str(" || ");
        }
        t.push_str("$origin == '");
        t.push_str(o);
        t.push('\'');
    }
    t.push_str(
        ")\n#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end\n",
    );
    t
}

/// A header of a CORS answer and its fixed value; `None`: the mapping template sets it.
pub(crate) type Header = (&'static str, Option<String>);

/// The headers of a preflight on a path with these routes.
pub(crate) fn preflight_headers(cors: &Cors, routes: &[&Route]) -> Vec<Header> {
    let mut h = common_headers(cors);
    h.push((
        "Access-Control-Allow-Methods",
        Some(allowed_methods(routes)),
    ));
    h.push(("Access-Control-Allow-Headers", Some(cors.headers.join(","))));
    if let Some(age) = cors.max_age {
        h.push(("Access-Control-Max-Age", Some(age.to_string())));
    }
    h
}

/// The headers every CORS answer carries, as `(name, value)`; a `None` value is set by the
/// mapping template.
pub(crate) fn common_headers(cors: &Cors) -> Vec<Header> {
    let mut h = Vec::new();
    if cors.any_origin() {
        h.push(("Access-Control-Allow-Origin", Some("*".to_string())));
    } else {
        h.push(("Access-Control-Allow-Origin", None));
        // The answer differs by origin: caches must keep them apart.
        h.push(("Vary", Some("Origin".to_string())));
    }
    if cors.credentials {
        h.push(("Access-Control-Allow-Credentials", Some("true".to_string())));
    }
    h
}

fn integration_response(cors: &Cors, headers: &[Header], w: &mut Writer) {
    w.map("ResponseParameters", |w| {
        for (name, value) in headers {
            if let Some(v) = value {
                w.str(&format!("method.response.header.{name}"), &format!("'{v}'"));
            }
        }
    });
    if !cors.any_origin() {
        w.map("ResponseTemplates", |w| {
            w.str("application/json", &origin_template(cors))
        });
    }
}

fn method_response(headers: &[Header], w: &mut Writer) {
    w.map("ResponseParameters", |w| {
        for (name, _) in headers {
            w.bool(&format!("method.response.header.{name}"), false);
        }
    });
}

/// Inside a mock route's integration response, after its `StatusCode`.
pub(super) fn mock_integration_response(model: &Model, w: &mut Writer) {
    if let Some(cors) = &model.settings.cors {
        integration_response(cors, &common_headers(cors), w);
    }
}

/// Inside a mock route's method response, after its `StatusCode`.
pub(super) fn mock_method_response(model: &Model, w: &mut Writer) {
    if let Some(cors) = &model.settings.cors {
        method_response(&common_headers(cors), w);
    }
}

/// The preflights and gateway responses; returns their logical IDs (the deployment depends
/// on them, and they are part of what it serves).
pub(super) fn write(model: &Model, ids: &LogicalIds, w: &mut Writer, n: &mut Count) -> Vec<String> {
    if model.settings.cors.is_none() {
        return Vec::new();
    }
    // The model's routes are in path order: the routes of one path are adjacent.
    let mut paths: Vec<(Option<&str>, Vec<&Route>)> = Vec::new();
    for (route, res) in model.routes.iter().zip(&ids.route_resource) {
        let rid = res.map(|i| ids.resources[i].id.as_str());
        match paths.last_mut() {
            Some((last, routes)) if *last == rid => routes.push(route),
            _ => paths.push((rid, vec![route])),
        }
    }
    let mut out = preflights(model, &paths, w, n);
    out.extend(gateway_responses(model, w, n));
    out
}

/// The preflight of each declared path, in the order of the paths. `paths` holds each path's
/// resource ID and routes.
fn preflights(
    model: &Model,
    paths: &[(Option<&str>, Vec<&Route>)],
    w: &mut Writer,
    n: &mut Count,
) -> Vec<String> {
    let Some(cors) = &model.settings.cors else {
        return Vec::new();
    };
    let mut ids = Vec::with_capacity(paths.len());
    for (resource_id, routes) in paths {
        let id = preflight_id(*resource_id);
        let headers = preflight_headers(cors, routes);
        n.api_resources += 1;
        resource(w, n, &id, "AWS::ApiGateway::Method", no_head, &[], |w| {
            super::method_target(w, *resource_id);
            w.str("HttpMethod", "OPTIONS");
            // A preflight carries no credentials: it must be answered without them.
            w.str("AuthorizationType", "NONE");
            super::mock(
                w,
                |w| integration_response(cors, &headers, w),
                |w| method_response(&headers, w),
            );
        });
        ids.push(id);
    }
    ids
}

/// API Gateway's own error answers with the CORS headers. A gateway response runs no
/// mapping template, so with several named origins it cannot choose among them: it writes
/// back the request's `Origin`, without `Access-Control-Allow-Credentials`, so any page may
/// read an error's status and message (never a route's data) and no page may read it with
/// the user's cookies. With one origin or `*`, the header is that value.
/// A gateway response's header mappings (`ResponseParameters`, or `responseParameters` in
/// OpenAPI).
pub(crate) fn gateway_response_parameters(cors: &Cors, w: &mut Writer) {
    let key = |h: &str| format!("gatewayresponse.header.{h}");
    match cors.origins.as_slice() {
        [one] => {
            w.str(&key("Access-Control-Allow-Origin"), &format!("'{one}'"));
            if cors.credentials {
                w.str(&key("Access-Control-Allow-Credentials"), "'true'");
            }
        }
        _ => w.str(
            &key("Access-Control-Allow-Origin"),
            "method.request.header.Origin",
        ),
    }
    if !cors.any_origin() {
        w.str(&key("Vary"), "'Origin'");
    }
}

pub(super) fn gateway_responses(model: &Model, w: &mut Writer, n: &mut Count) -> Vec<String> {
    let Some(cors) = &model.settings.cors else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    for (kind, id) in GATEWAY_RESPONSES {
        resource(
            w,
            n,
            id,
            "AWS::ApiGateway::GatewayResponse",
            no_head,
            &[],
            |w| {
                r(w, "RestApiId", "RestApi");
                w.str("ResponseType", kind);
                w.map("ResponseParameters", |w| {
                    gateway_response_parameters(cors, w)
                });
            },
        );
        ids.push(id.to_string());
    }
    ids
}
