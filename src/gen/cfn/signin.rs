//! The template's part of hosted sign-in: the prefix domain that serves Cognito's sign-in
//! page and OAuth endpoints (`/oauth2/authorize`, `/oauth2/token`), where the app client may
//! send users back to, and the pool's second factor.
//!
//! Everything is written only when roles.yaml asks for it, so a file without these settings
//! keeps its template byte for byte.

use super::Writer;
use super::{Count, no_head, r, resource, sub};
use crate::model::{Mfa, Model};

/// The logical ID of the `AWS::Cognito::UserPoolDomain`; its `Ref` is the prefix. Other parts
/// of the template (the token endpoint of machine clients) refer to the domain through this.
pub const USER_POOL_DOMAIN_ID: &str = "UserPoolDomain";

/// The base URL of the hosted sign-in page and OAuth endpoints, as an `Fn::Sub` template;
/// append `/oauth2/token` for the token endpoint.
pub const DOMAIN_URL_SUB: &str = "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com";

/// Whether the template has the hosted sign-in domain.
pub fn has_domain(model: &Model) -> bool {
    model.user_pool.sign_in.domain.is_some()
}

/// `MfaConfiguration` and the factors it needs, inside the user pool's properties. Only the
/// authenticator app (TOTP) is enabled: it needs no other resource, while SMS needs an SNS
/// role and e-mail codes need SES.
pub(super) fn mfa(model: &Model, w: &mut Writer) {
    let mfa = model.user_pool.sign_in.mfa;
    if mfa == Mfa::Off {
        return;
    }
    w.str("MfaConfiguration", mfa.as_cfn());
    w.strs("EnabledMfas", ["SOFTWARE_TOKEN_MFA"]);
}

/// `CallbackURLs` (and `LogoutURLs`) of the app client: the URLs roles.yaml lists, or else
/// the `CallbackUrl` parameter.
pub(super) fn client_urls(model: &Model, w: &mut Writer) {
    let s = &model.user_pool.sign_in;
    match &s.callback_urls {
        Some(urls) => w.strs("CallbackURLs", urls.iter().map(String::as_str)),
        None => w.seq("CallbackURLs", |w| {
            w.item_map(|w| w.str("Ref", "CallbackUrl"))
        }),
    }
    if !s.logout_urls.is_empty() {
        w.strs("LogoutURLs", s.logout_urls.iter().map(String::as_str));
    }
}

/// Whether the template takes the callback URL as a parameter.
pub(super) fn has_callback_parameter(model: &Model) -> bool {
    model.user_pool.sign_in.callback_urls.is_none()
}

/// The `UserPoolDomain` resource.
pub(super) fn domain(model: &Model, w: &mut Writer, n: &mut Count) {
    let Some(prefix) = &model.user_pool.sign_in.domain else {
        return;
    };
    resource(
        w,
        n,
        USER_POOL_DOMAIN_ID,
        "AWS::Cognito::UserPoolDomain",
        no_head,
        &[],
        |w| {
            w.str("Domain", prefix);
            r(w, "UserPoolId", super::adopt::pool_id(model));
            // The classic hosted UI: managed login (2) shows nothing until a branding style
            // is created, which rolegen does not make.
            w.int("ManagedLoginVersion", 1);
        },
    );
}

/// The `HostedSignInDomain` output: the base of the sign-in page (`/login`, with the client's
/// id and a callback URL as query parameters) and of the OAuth endpoints.
pub(super) fn outputs(model: &Model, w: &mut Writer) {
    if !has_domain(model) {
        return;
    }
    w.map("HostedSignInDomain", |w| {
        w.str(
            "Description",
            "Base URL of the hosted sign-in page and the OAuth endpoints (/oauth2/authorize, /oauth2/token)",
        );
        sub(w, "Value", DOMAIN_URL_SUB);
    });
}
