//! `rolegen init --from FILE [--cognito FILE]`: a first `roles.yaml` written from what a project
//! already has, so adopting rolegen starts from the API's real routes and not from a blank page.
//!
//! Every kind of definition `drift` reads is accepted, and the routes are read by the same
//! readers, so `rolegen drift` of the written file against the same definition agrees with it
//! (tests/init.rs proves the round trip). What the definition cannot say is written as a
//! comment for a person to decide, never guessed: which groups a Lambda authorizer lets
//! through (such routes get the scope `unassigned`, which no group has, so nothing is granted
//! until someone assigns it), which scopes each group should grant under `cognito-scopes`.

use super::{Outcome, fail, fail_in, report, status};
use crate::apidef::cognito::{self, BUILT_IN_SCOPES, CognitoSide};
use crate::apidef::{self, ApiRoute, Auth, RestApi, tree};
use crate::cmd::Global;
use crate::diag::Diagnostic;
use crate::r#gen::yaml::is_plain_safe;
use crate::model::{Method, SIGNED_IN_SCOPE};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The API definition to start from: any kind `rolegen drift --api` reads (OpenAPI export,
    /// CloudFormation, SAM, `cdk synth` or `serverless package` template, `get-resources`).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// A template that defines the Cognito side (resource servers, groups, app clients)
    /// [default: the `--from` file, when it is a template].
    #[arg(long, value_name = "FILE")]
    pub cognito: Option<PathBuf>,
    /// The logical ID of the REST API to start from, when the template defines several.
    #[arg(long, value_name = "LOGICAL_ID")]
    pub rest_api: Option<String>,
    /// Replace the roles file (`--config`) if it exists.
    #[arg(long)]
    pub force: bool,
}

/// The scope given to routes whose access the definition cannot tell (a Lambda authorizer):
/// no group has it, so they stay closed until someone assigns them.
pub const UNASSIGNED: &str = "unassigned";

pub fn run(global: &Global, args: &Args) -> Outcome {
    let target = &global.config;
    if target.exists() && !args.force {
        return fail(
            global,
            &target.display().to_string(),
            Diagnostic::error("exists", format!("`{}` exists already", target.display()))
                .help("pass `--force` to replace it, or `--config FILE` to write another file"),
        );
    }
    let from_name = args.from.display().to_string();
    let max = crate::yaml::limits::API.max_file_bytes;
    let text = match super::read_text(
        &args.from,
        "pass the API definition's path with `--from FILE`",
        max,
    ) {
        Ok(t) => t,
        Err(u) => return fail_in(global, &from_name, &u.text, *u.diag),
    };
    let mut def = match apidef::read(&text) {
        Ok(d) => d,
        Err(d) => return fail_in(global, &from_name, &text, d),
    };
    if let Some(dir) = args.from.parent() {
        apidef::include::resolve(&mut def, dir, max);
    }
    let api = match pick(&def.apis, args.rest_api.as_deref()) {
        Ok(a) => a,
        Err(d) => return fail_in(global, &from_name, &text, d),
    };

    let side = match &args.cognito {
        Some(path) => {
            let name = path.display().to_string();
            let ctext = match super::read_text(
                path,
                "pass the template that defines the user pool's resource server and groups",
                max,
            ) {
                Ok(t) => t,
                Err(u) => return fail_in(global, &name, &u.text, *u.diag),
            };
            match tree::parse(&ctext) {
                Ok(doc) => cognito::read(doc.root()),
                Err(d) => return fail_in(global, &name, &ctext, d),
            }
        }
        None => tree::parse(&text)
            .map(|doc| cognito::read(doc.root()))
            .unwrap_or_default(),
    };

    let sources = Sources {
        from: &args.from,
        cognito: args.cognito.as_deref(),
    };
    let roles = write_roles(api, &side, &sources);

    // The file must load: what rolegen cannot read back is not a starting point.
    let loaded = super::load_text(&target.display().to_string(), roles.clone());
    if loaded.model.is_none() {
        report(global, &loaded.name, &roles, &loaded.diags);
        return fail(
            global,
            &target.display().to_string(),
            Diagnostic::error(
                "init",
                format!(
                    "the roles file written from `{from_name}` does not load; nothing was written"
                ),
            )
            .help("the errors above name what in the definition rolegen cannot express"),
        );
    }
    if let Err(e) = write_atomically(target, &roles) {
        return fail(
            global,
            &target.display().to_string(),
            Diagnostic::error("io", format!("cannot write `{}`: {e}", target.display())),
        );
    }
    status(
        global,
        &format!(
            "wrote {} with {} routes from {from_name}; review its comments, then run `rolegen drift --api {from_name}`",
            target.display(),
            api.routes.len()
        ),
    );
    Outcome::Ok
}

fn write_atomically(target: &Path, text: &str) -> std::io::Result<()> {
    let tmp = target.with_extension(format!("rolegen-{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, target).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn pick<'a>(apis: &'a [RestApi], asked: Option<&str>) -> Result<&'a RestApi, Diagnostic> {
    let ids = || apidef::quote_list(&apis.iter().map(|a| a.id.as_str()).collect::<Vec<_>>());
    match (asked, apis) {
        (Some(id), _) => apis.iter().find(|a| a.id == id).ok_or_else(|| {
            Diagnostic::error(
                "api-select",
                format!("the API definition has no REST API `{id}`"),
            )
            .help(format!("it defines {}", ids()))
        }),
        (None, [only]) => Ok(only),
        (None, _) => Err(Diagnostic::error(
            "api-select",
            format!("the template defines {} REST APIs", apis.len()),
        )
        .help(format!("pick one with `--rest-api`: {}", ids()))),
    }
}

struct Sources<'a> {
    from: &'a Path,
    cognito: Option<&'a Path>,
}

/// A YAML scalar: plain when that reads back as the same string, else JSON's quoted form
/// (a valid YAML double-quoted scalar). `flow`: inside `[...]`, where `,[]{}` end a plain value.
fn scalar(s: &str, key: bool, flow: bool) -> String {
    let flow_safe = !flow || !s.contains([',', '[', ']', '{', '}']);
    if is_plain_safe(s, key) && flow_safe && !s.contains(" #") && !s.contains(": ") {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string serializes")
    }
}

/// Text for a comment: names from the definition may hold line breaks, which would end the
/// comment and start YAML of their own.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// `identifier/name` split at the last `/` (identifiers may be URLs).
fn split_scope(full: &str) -> Option<(&str, &str)> {
    full.rsplit_once('/')
        .filter(|(i, n)| !i.is_empty() && !n.is_empty())
}

/// The resource server roles.yaml speaks for: the Cognito side's only one, or the identifier
/// most of the routes' scopes use, or `api`.
fn identifier(api: &RestApi, side: &CognitoSide) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &api.routes {
        if let Auth::Cognito { scopes, .. } = &r.auth {
            for s in scopes {
                if let Some((i, _)) = split_scope(s) {
                    *counts.entry(i).or_default() += 1;
                }
            }
        }
    }
    if let [only] = side.resource_servers.as_slice() {
        return only.identifier.clone();
    }
    let best = counts
        .iter()
        .max_by_key(|(i, n)| (**n, std::cmp::Reverse(**i)))
        .map(|(i, _)| i.to_string());
    best.or_else(|| side.resource_servers.first().map(|r| r.identifier.clone()))
        .unwrap_or_else(|| "api".to_string())
}

/// What a route becomes in roles.yaml: its value and a comment.
fn route_value(
    r: &ApiRoute,
    ident: &str,
    scopes: &mut BTreeSet<String>,
) -> (String, Option<String>) {
    match &r.auth {
        Auth::None => (
            "public".into(),
            Some("no authorization in the API today".into()),
        ),
        Auth::Cognito { scopes: have, .. } if have.is_empty() => (
            "authenticated".into(),
            Some("any token of the pool today, ID tokens too (no scopes): rolegen requires its `authenticated` scope, and drift says so until the API does".into()),
        ),
        Auth::Cognito { scopes: have, .. } => {
            let mut ours = Vec::new();
            let mut others = Vec::new();
            for s in have {
                match split_scope(s) {
                    Some((i, n)) if i == ident => ours.push(n.to_string()),
                    _ => others.push(s.clone()),
                }
            }
            let note = (!others.is_empty()).then(|| {
                format!(
                    "the API also accepts {}, which roles.yaml cannot express (another resource server, or a built-in scope)",
                    apidef::quote_list(&others)
                )
            });
            // rolegen's own reserved scope: every signed-in user gets it.
            if ours.iter().any(|s| s == SIGNED_IN_SCOPE) {
                return ("authenticated".into(), note);
            }
            if ours.is_empty() {
                scopes.insert(UNASSIGNED.into());
                return (
                    format!("[{UNASSIGNED}]"),
                    Some(format!(
                        "only {} today: assign the scopes that grant it",
                        apidef::quote_list(&others)
                    )),
                );
            }
            scopes.extend(ours.iter().cloned());
            let list: Vec<String> = ours.iter().map(|s| scalar(s, false, true)).collect();
            (format!("[{}]", list.join(", ")), note)
        }
        Auth::Custom { authorizer, .. } => {
            scopes.insert(UNASSIGNED.into());
            let who = if authorizer.is_empty() {
                "a Lambda authorizer".to_string()
            } else {
                format!("Lambda authorizer `{authorizer}`")
            };
            (
                format!("[{UNASSIGNED}]"),
                Some(format!(
                    "{who} today: replace `{UNASSIGNED}` with the scopes of the groups that may call it"
                )),
            )
        }
        Auth::Iam | Auth::Unresolved(_) => unreachable!("left out by the caller"),
    }
}

fn write_roles(api: &RestApi, side: &CognitoSide, src: &Sources) -> String {
    let from = src.from.display().to_string();
    let ident = identifier(api, side);
    let custom = api
        .routes
        .iter()
        .any(|r| matches!(r.auth, Auth::Custom { .. }));
    let scoped = api
        .routes
        .iter()
        .any(|r| matches!(&r.auth, Auth::Cognito { scopes, .. } if !scopes.is_empty()));
    let strategy = if custom && !scoped {
        "lambda"
    } else {
        "cognito-scopes"
    };

    // Routes first: they decide which scopes are needed.
    let mut scopes: BTreeSet<String> = BTreeSet::new();
    let mut lines: Vec<String> = Vec::new();
    let mut seen: BTreeSet<(Method, String)> = BTreeSet::new();
    let mut width = 0;
    let mut entries: Vec<(String, String, Option<String>)> = Vec::new();
    let mut routes: Vec<&ApiRoute> = api.routes.iter().collect();
    routes.sort_by(|a, b| {
        a.path
            .to_string()
            .cmp(&b.path.to_string())
            .then(a.method.cmp(&b.method))
    });
    for r in routes {
        let key = r.key();
        if !seen.insert((r.method, r.path.to_string())) {
            continue;
        }
        match &r.auth {
            Auth::Iam => lines.push(format!(
                "  # {key}: IAM authorization (`AWS_IAM`) in {from}; rolegen does not generate it"
            )),
            Auth::Unresolved(why) => lines.push(format!(
                "  # {key}: rolegen could not tell its authorization ({why})"
            )),
            _ => {
                let (value, note) = route_value(r, &ident, &mut scopes);
                let k = scalar(&key, true, false);
                width = width.max(k.len() + value.len() + 2);
                entries.push((k, value, note));
            }
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by rolegen init --from {}{}",
        one_line(&from),
        src.cognito
            .map(|c| format!(" --cognito {}", one_line(&c.display().to_string())))
            .unwrap_or_default()
    );
    out.push_str(
        "# Review every comment, then check it with `rolegen drift --api FILE` and generate with\n# `rolegen gen`.\n",
    );
    out.push_str("version: 1\n\napi:\n");
    let name = api
        .name
        .clone()
        .or_else(|| (!api.id.is_empty()).then(|| api.id.clone()))
        .unwrap_or_else(|| "my-api".into());
    let _ = writeln!(out, "  name: {}", scalar(&name, false, false));
    out.push_str("  stage: prod                  # the stage your API deploys; check it\n");
    let _ = writeln!(out, "  authorizer: {strategy}");
    let _ = writeln!(
        out,
        "  external: true               # the API stays where it is defined; rolegen writes its authorization"
    );
    out.push_str("\nuser_pool:\n  name: my-users               # the pool's name, for the docs\n");
    out.push_str("  existing: true               # the pool and its users stay where they are\n");
    let rs_name = side
        .resource_servers
        .iter()
        .find(|r| r.identifier == ident)
        .and_then(|r| r.name.clone())
        .unwrap_or_else(|| name.clone());
    let _ = writeln!(
        out,
        "\nresource_server:\n  identifier: {}\n  name: {}",
        scalar(&ident, false, false),
        scalar(&rs_name, false, false)
    );

    // Scopes: what the resource server declares, and what the routes use.
    let mut described: BTreeMap<String, Option<String>> = BTreeMap::new();
    for rs in side
        .resource_servers
        .iter()
        .filter(|r| r.identifier == ident)
    {
        for s in rs.scopes.iter().filter(|s| s.name != SIGNED_IN_SCOPE) {
            described.insert(s.name.clone(), s.description.clone());
        }
    }
    for s in &scopes {
        described.entry(s.clone()).or_insert(None);
    }
    if described.is_empty() {
        out.push_str("\nscopes: {}\n");
    } else {
        out.push_str("\nscopes:\n");
        for (s, d) in &described {
            let d = match (d, s.as_str()) {
                (Some(d), _) => d.clone(),
                (None, UNASSIGNED) => {
                    "Routes whose access the definition cannot tell; assign them".into()
                }
                (None, _) => s.clone(),
            };
            let _ = writeln!(
                out,
                "  {}: {}",
                scalar(s, true, false),
                scalar(&d, false, false)
            );
        }
    }
    for rs in side
        .resource_servers
        .iter()
        .filter(|r| r.identifier != ident)
    {
        let _ = writeln!(
            out,
            "  # resource server `{}` ({} scopes) is not this API's; roles.yaml speaks for one",
            one_line(&rs.identifier),
            rs.scopes.len()
        );
    }

    if side.groups.is_empty() {
        out.push_str("\ngroups: {}\n");
    } else {
        out.push_str("\ngroups:\n");
        let mut groups: Vec<&cognito::Group> = side.groups.iter().collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups.dedup_by(|a, b| a.name == b.name);
        for g in groups {
            let _ = writeln!(out, "  {}:", scalar(&g.name, true, false));
            if let Some(d) = &g.description {
                let _ = writeln!(out, "    description: {}", scalar(d, false, false));
            }
            if let Some(p) = g.precedence {
                let _ = writeln!(out, "    precedence: {p}");
            }
            out.push_str(
                "    scopes: []                 # which scopes does this group grant? (the API cannot say)\n",
            );
        }
    }
    for c in &side.clients {
        let extra: Vec<&String> = c
            .scopes
            .iter()
            .filter(|s| !BUILT_IN_SCOPES.contains(&s.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "# app client `{}`{} allows {}",
            one_line(&c.id),
            if c.client_credentials {
                " (client credentials)"
            } else {
                ""
            },
            if extra.is_empty() {
                "no resource-server scopes".to_string()
            } else {
                one_line(&apidef::quote_list(&extra))
            }
        );
    }

    out.push_str("\nroutes:\n");
    if entries.is_empty() && lines.is_empty() {
        out.truncate(out.len() - "\nroutes:\n".len());
        out.push_str("\nroutes: {}\n");
    }
    for (k, v, note) in &entries {
        match note {
            Some(n) => {
                let pad = width.saturating_sub(k.len() + v.len() + 2) + 1;
                let _ = writeln!(out, "  {k}: {v}{:pad$}# {}", "", one_line(n));
            }
            None => {
                let _ = writeln!(out, "  {k}: {v}");
            }
        }
    }
    for l in &lines {
        out.push_str(&one_line(l));
        out.push('\n');
    }
    out
}
