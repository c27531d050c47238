//! Hosted sign-in: the user pool's prefix domain, where the sign-in page may send users back
//! to (callback and logout URLs), and whether users need a second factor.
//!
//! Kept apart from `build` because each setting is checked against Cognito's own rules here,
//! before CloudFormation would refuse it halfway through a deployment: a bad prefix fails the
//! `UserPoolDomain` after the pool already exists.

use crate::config::raw::{RawUserPool, S, Text};
use crate::diag::{Diagnostic, suggest};

/// What the hosted sign-in page needs, as roles.yaml says it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignIn {
    /// The prefix of `https://<prefix>.auth.<region>.amazoncognito.com`.
    pub domain: Option<String>,
    /// `None`: the template takes them as the `CallbackUrl` parameter.
    pub callback_urls: Option<Vec<String>>,
    pub logout_urls: Vec<String>,
    pub mfa: Mfa,
}

/// `user_pool.mfa`. Only TOTP (an authenticator app) is enabled as a second factor: SMS needs
/// an SNS role and a sandbox exit, e-mail codes need the Essentials plan and SES, neither of
/// which rolegen can set up for a user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mfa {
    #[default]
    Off,
    /// Users may add an authenticator app; those who did are asked for a code.
    Optional,
    /// Every user sets up an authenticator app at the first sign-in and uses it afterwards.
    Required,
}

impl Mfa {
    /// `MfaConfiguration` of `AWS::Cognito::UserPool`.
    pub fn as_cfn(self) -> &'static str {
        match self {
            Mfa::Off => "OFF",
            Mfa::Optional => "OPTIONAL",
            Mfa::Required => "ON",
        }
    }
}

/// Cognito: `CreateUserPoolDomain`'s pattern for a prefix, 1 to 63 characters.
const MAX_PREFIX: usize = 63;
/// Cognito refuses a prefix that contains one of these words ("Domain cannot contain
/// reserved word").
const RESERVED: &[&str] = &["aws", "amazon", "cognito"];
/// Cognito: at most 100 callback URLs and 100 logout URLs per app client, each 1 to 1,024
/// characters.
const MAX_URLS: usize = 100;
const MAX_URL_LEN: usize = 1024;

pub fn build(p: &RawUserPool, diags: &mut Vec<Diagnostic>) -> SignIn {
    SignIn {
        domain: p.domain.as_ref().and_then(|d| prefix(d, diags)),
        callback_urls: p.callback_urls.as_ref().map(|u| urls(u, "callback", diags)),
        logout_urls: p
            .logout_urls
            .as_ref()
            .map(|u| urls(u, "logout", diags))
            .unwrap_or_default(),
        mfa: match p.mfa.as_ref() {
            None => Mfa::Off,
            Some(m) => match m.value.as_ref() {
                "off" => Mfa::Off,
                "optional" => Mfa::Optional,
                "required" => Mfa::Required,
                other => {
                    diags.push(
                        Diagnostic::error("bad-value", format!("unknown MFA setting `{other}`"))
                            .at(m.span)
                            .label("not an MFA setting")
                            .help(suggest(other, ["off", "optional", "required"])),
                    );
                    Mfa::Off
                }
            },
        },
    }
}

fn prefix(d: &Text, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let v: &str = &d.value;
    let problem = if v.is_empty() || v.len() > MAX_PREFIX {
        Some(format!("is {} characters long", v.chars().count()))
    } else if let Some(c) = v
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        Some(format!("contains `{c}`"))
    } else if v.starts_with('-') || v.ends_with('-') {
        Some("starts or ends with `-`".to_string())
    } else {
        RESERVED
            .iter()
            .find(|w| v.contains(*w))
            .map(|w| format!("contains the reserved word `{w}`"))
    };
    match problem {
        None => Some(v.to_string()),
        Some(what) => {
            let help = if v.contains('.') {
                "write only the prefix of `<prefix>.auth.<region>.amazoncognito.com`; a custom domain is not supported"
                    .to_string()
            } else {
                format!(
                    "a domain prefix is 1 to {MAX_PREFIX} lowercase letters, digits and `-`, not starting or ending with `-`, without `aws`, `amazon` or `cognito`; it must be unique in the region"
                )
            };
            diags.push(
                Diagnostic::error(
                    "bad-name",
                    format!("the domain prefix `{}` {what}", crate::diag::shorten(v)),
                )
                .at(d.span)
                .label("not a valid Cognito domain prefix")
                .help(help),
            );
            None
        }
    }
}

/// Callback or logout URLs, checked as Cognito's `CreateUserPoolClient` documents them: an
/// absolute URI without a fragment, HTTPS except `http://localhost` (for testing); an app
/// scheme such as `myapp://callback` is allowed. Duplicates are dropped; order is kept.
fn urls(list: &S<Vec<Text>>, kind: &str, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    if list.value.len() > MAX_URLS {
        diags.push(
            Diagnostic::error(
                "cognito-limit",
                format!(
                    "{} {kind} URLs, more than Cognito's {MAX_URLS} per app client",
                    list.value.len()
                ),
            )
            .at(list.span),
        );
    }
    let mut out: Vec<String> = Vec::new();
    for u in &list.value {
        if let Some(problem) = url_problem(&u.value) {
            diags.push(
                Diagnostic::error(
                    "bad-value",
                    format!(
                        "`{}` cannot be a {kind} URL: {problem}",
                        crate::diag::shorten(&u.value)
                    ),
                )
                .at(u.span)
                .label(format!("not a valid {kind} URL"))
                .help("write an absolute URL such as `https://app.example.com/callback` (`http://` only for `localhost`, or an app scheme such as `myapp://callback`)"),
            );
            continue;
        }
        if !out.iter().any(|o| o == u.value.as_ref()) {
            out.push(u.value.to_string());
        }
    }
    out
}

fn url_problem(u: &str) -> Option<&'static str> {
    if u.is_empty() || u.chars().count() > MAX_URL_LEN {
        return Some("Cognito accepts 1 to 1,024 characters");
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("it contains a space or a control character");
    }
    if u.contains('#') {
        return Some("it has a fragment (`#…`), which OAuth redirects may not have");
    }
    let Some((scheme, rest)) = u.split_once("://") else {
        return Some("it is not an absolute URL (`scheme://…`)");
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Some("its scheme is not a URL scheme");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" if host(rest).is_empty() => Some("it has no host"),
        "http" if host(rest) != "localhost" => {
            Some("Cognito requires HTTPS except for `http://localhost`")
        }
        _ => None,
    }
}

/// The host of what follows `scheme://`, without user info or port.
fn host(rest: &str) -> &str {
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or("");
    authority.split(':').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_cognito_documents_them() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com:8443/cb?x=1",
            "http://localhost:3000/callback",
            "http://localhost",
            "myapp://callback",
        ] {
            assert_eq!(url_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "app.example.com/callback",
            "http://app.example.com/callback",
            "http://localhost.evil.com/cb",
            "http://user@evil.com/cb",
            "https://app.example.com/cb#frag",
            "https:///nohost",
            "https://app.example.com/a b",
            "1app://x",
        ] {
            assert!(url_problem(bad).is_some(), "{bad}");
        }
    }
}
