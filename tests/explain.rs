//! `rolegen explain`, run as a user runs it. The JSON answers are checked against the access
//! matrix, and every reason is checked on its own: its `includes` chain must really lead from
//! the group to a group that names the scope, and the scope must be one the route accepts. So
//! an explanation can't be right by agreeing with itself.

mod common;

use common::{repo, rolegen, scratch};
use rolegen::model::{Access, GroupId, Model};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

const FIXTURES: &[&str] = &[
    "scopes_hierarchical",
    "scopes_lateral",
    "scopes_proxy",
    "scopes_hostile",
];

/// A folder holding the fixture as `roles.yaml`, so that rolegen runs with its defaults; one
/// per test (`test` names it), as tests run in parallel and some rewrite the file.
fn setup(test: &str, name: &str) -> (PathBuf, Model) {
    let text = fs::read_to_string(repo().join(format!("tests/fixtures/{name}.yaml"))).unwrap();
    let dir = scratch(&format!("explain-{test}-{name}"));
    fs::write(dir.join("roles.yaml"), &text).unwrap();
    let model = rolegen::cmd::load_text(name, text)
        .model
        .expect("fixture is valid");
    (dir, model)
}

fn explain(dir: &Path, args: &[&str]) -> Output {
    rolegen()
        .current_dir(dir)
        .arg("explain")
        .args(args)
        .args(["--color", "never"])
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A reason holds when `via` is a real `includes` chain starting at `group` and its last
/// group names `scope` itself, and the route accepts `scope`.
fn check_grant(m: &Model, group: GroupId, route_key: &str, grant: &Value) {
    let via: Vec<GroupId> = grant["via"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            m.group_by_name(g.as_str().unwrap())
                .expect("via names groups")
        })
        .collect();
    assert_eq!(
        via.first(),
        Some(&group),
        "{route_key}: chain starts at the group"
    );
    for pair in via.windows(2) {
        assert!(
            m.group(pair[0]).includes.contains(&pair[1]),
            "{route_key}: `{}` does not include `{}`",
            m.group(pair[0]).name,
            m.group(pair[1]).name
        );
    }
    let scope = m.scope_by_name(grant["scope"].as_str().unwrap()).unwrap();
    assert!(
        m.group(*via.last().unwrap()).own_scopes.contains(&scope),
        "{route_key}: the chain's last group does not name `{}`",
        grant["scope"]
    );
    assert_eq!(grant["full_name"], m.scope(scope).full_name.as_str());
    let route = m
        .route_ids()
        .find(|r| m.route(*r).key() == route_key)
        .unwrap();
    match &m.route(route).access {
        Access::AnyOf(ids) => assert!(ids.contains(&scope), "{route_key}: scope not accepted"),
        Access::Public | Access::Authenticated => {
            panic!("{route_key}: a public or authenticated route needs no grant")
        }
    }
}

#[test]
fn who_can_call_each_route_matches_the_matrix_with_valid_reasons() {
    for name in FIXTURES {
        let (dir, m) = setup("who", name);
        for r in m.route_ids() {
            let key = m.route(r).key();
            let v = json(&explain(&dir, &[&key, "--format", "json"]));
            let routes = v["routes"].as_array().unwrap();
            assert_eq!(routes.len(), 1, "{name} {key}");
            let e = &routes[0];
            assert_eq!(e["route"], key.as_str());
            assert_eq!(e["line"], m.route(r).decl.line);
            let public = m.route(r).access == Access::Public;
            assert_eq!(e["public"], public);
            // `authenticated` routes are open to every group, with no scope to explain.
            let signed_in = m.route(r).access == Access::Authenticated;
            assert_eq!(e["authenticated"].as_bool().unwrap_or(false), signed_in);
            let allowed: BTreeSet<GroupId> = e["allowed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| m.group_by_name(g["group"].as_str().unwrap()).unwrap())
                .collect();
            let denied: BTreeSet<GroupId> = e["denied"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| m.group_by_name(g.as_str().unwrap()).unwrap())
                .collect();
            let want: BTreeSet<GroupId> =
                m.group_ids().filter(|g| m.matrix.allows(*g, r)).collect();
            assert_eq!(allowed, want, "{name} {key}");
            assert_eq!(allowed.len() + denied.len(), m.groups.len());
            assert!(allowed.is_disjoint(&denied));
            for g in e["allowed"].as_array().unwrap() {
                let gid = m.group_by_name(g["group"].as_str().unwrap()).unwrap();
                let grants = g["grants"].as_array().unwrap();
                if public || signed_in {
                    assert!(grants.is_empty());
                } else {
                    assert!(!grants.is_empty(), "{name} {key}: allowed without a reason");
                }
                for grant in grants {
                    check_grant(&m, gid, &key, grant);
                }
            }
        }
    }
}

#[test]
fn what_groups_can_call_matches_the_union_with_valid_reasons() {
    for name in FIXTURES {
        let (dir, m) = setup("groups", name);
        let mut sets: Vec<Vec<GroupId>> = m.group_ids().map(|g| vec![g]).collect();
        let ids: Vec<GroupId> = m.group_ids().collect();
        for w in ids.windows(2) {
            sets.push(w.to_vec());
        }
        sets.push(ids.clone());
        for set in sets {
            let names: Vec<&str> = set.iter().map(|g| m.group(*g).name.as_str()).collect();
            // Names may hold commas only in theory (Cognito allows punctuation): join them,
            // and skip a set whose names would split wrongly.
            if names.iter().any(|n| n.contains(',')) {
                continue;
            }
            let arg = names.join(",");
            let v = json(&explain(&dir, &["--groups", &arg, "--format", "json"]));
            let listed: BTreeSet<&str> = v["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap())
                .collect();
            assert_eq!(listed, names.iter().copied().collect(), "{name}");
            let can = m.matrix.union(&set);
            let allowed: BTreeSet<String> = v["allowed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["route"].as_str().unwrap().to_string())
                .collect();
            let want: BTreeSet<String> = m
                .route_ids()
                .filter(|r| can.contains(r.0))
                .map(|r| m.route(r).key())
                .collect();
            assert_eq!(allowed, want, "{name} {arg}");
            let denied = v["denied"].as_array().unwrap();
            assert_eq!(allowed.len() + denied.len(), m.routes.len());
            for r in v["allowed"].as_array().unwrap() {
                let key = r["route"].as_str().unwrap();
                let grants = r["grants"].as_array().unwrap();
                let open =
                    r["public"].as_bool().unwrap() || r["authenticated"].as_bool().unwrap_or(false);
                assert_eq!(open, grants.is_empty(), "{key}");
                for grant in grants {
                    let first = grant["via"][0].as_str().unwrap();
                    let g = m.group_by_name(first).unwrap();
                    assert!(set.contains(&g), "{key}: reason from a group not asked");
                    check_grant(&m, g, key, grant);
                }
            }
            // The caller's scopes are the union of the groups' effective scopes.
            let scopes: BTreeSet<&str> = v["scopes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["scope"].as_str().unwrap())
                .collect();
            let want: BTreeSet<&str> = set
                .iter()
                .flat_map(|g| m.group(*g).effective.iter())
                .map(|e| m.scope(e.scope).name.as_str())
                .collect();
            assert_eq!(scopes, want, "{name} {arg}");
        }
    }
}

#[test]
fn route_text_names_scope_and_includes_chain() {
    let (dir, _) = setup("text", "scopes_hierarchical");
    let out = text(&explain(&dir, &["GET /orders/{id}"]));
    let expected = "\
GET /orders/{orderId}  (roles.yaml:60; asked as `GET /orders/{id}`)
  needs: `readonly` (api/readonly)
  checked by: API Gateway's Cognito authorizer, against the access token's scopes
  may call it (5 of 5 groups):
    Owner     `readonly`, via includes Owner → Admin → Analyst → ReadOnly
    Admin     `readonly`, via includes Admin → Analyst → ReadOnly
    Editor    `readonly`, via includes Editor → ReadOnly
    Analyst   `readonly`, via includes Analyst → ReadOnly
    ReadOnly  `readonly`, its own scope
  a caller in several groups may call it when any one of its groups may
";
    assert_eq!(out, expected);

    let out = text(&explain(&dir, &["GET /admin/users"]));
    assert!(
        out.contains("    Owner     `admin`, via includes Owner → Admin\n              `users.manage`, its own scope\n"),
        "{out}"
    );
    assert!(
        out.contains("  may not: `Editor`, `Analyst`, `ReadOnly`\n"),
        "{out}"
    );

    let out = text(&explain(&dir, &["GET /health"]));
    assert!(out.contains("public: anyone may call it"), "{out}");

    // A route and a caller: the verdict and why not.
    let out = text(&explain(
        &dir,
        &["DELETE /orders/{orderId}", "--groups", "Editor,Analyst"],
    ));
    assert!(
        out.contains("a caller in `Editor` + `Analyst` may NOT call it"),
        "{out}"
    );
    assert!(
        out.contains("Editor   has `orders.write`, `readonly`"),
        "{out}"
    );
    let out = text(&explain(
        &dir,
        &["DELETE /orders/{orderId}", "-g", "Editor,Admin"],
    ));
    assert!(
        out.contains("a caller in `Admin` + `Editor` MAY call it"),
        "{out}"
    );

    let out = text(&explain(&dir, &["--groups", "Editor,Analyst"]));
    assert!(
        out.starts_with("a caller in `Editor` + `Analyst` may call 11 of 16 routes\n"),
        "{out}"
    );
    assert!(
        out.contains("`readonly` from Editor → ReadOnly; Analyst → ReadOnly"),
        "{out}"
    );
    assert!(
        out.contains("DELETE /orders/{orderId}      needs `admin`"),
        "{out}"
    );
}

#[test]
fn lambda_strategy_says_which_token_is_checked() {
    let (dir, _) = setup("lambda", "scopes_hierarchical");
    let text_yaml = fs::read_to_string(dir.join("roles.yaml"))
        .unwrap()
        .replace("authorizer: cognito-scopes", "authorizer: lambda");
    fs::write(dir.join("roles.yaml"), text_yaml).unwrap();
    let out = text(&explain(&dir, &["GET /admin"]));
    assert!(
        out.contains("the Lambda authorizer, against the ID token's `cognito:groups`"),
        "{out}"
    );
}

#[test]
fn concrete_paths_find_the_route_api_gateway_would_use() {
    let (dir, _) = setup("concrete", "scopes_proxy");
    for (asked, route) in [
        ("GET /files", "GET /files"),
        ("GET /files/a/b/c.txt", "GET /files/{proxy+}"),
        ("get /files/x", "GET /files/{proxy+}"),
        ("POST /legacy/x/y", "ANY /legacy/{proxy+}"),
        ("GET /items/7", "GET /items/{itemId}"),
        (
            "GET /items/7/versions/2",
            "GET /items/{itemId}/versions/{version}",
        ),
    ] {
        let v = json(&explain(&dir, &[asked, "--format", "json"]));
        assert_eq!(v["routes"][0]["route"], route, "{asked}");
    }
    // A path alone: every method declared on it.
    let v = json(&explain(&dir, &["/files/{p+}", "--format", "json"]));
    let routes: Vec<&str> = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .collect();
    assert_eq!(
        routes,
        [
            "GET /files/{proxy+}",
            "PUT /files/{proxy+}",
            "DELETE /files/{proxy+}"
        ]
    );
}

#[test]
fn unknown_names_are_exit_2_with_a_suggestion() {
    let (dir, _) = setup("unknown", "scopes_hierarchical");
    for (args, says) in [
        (
            vec!["GET /order/{id}"],
            "did you mean `GET /orders/{orderId}`?",
        ),
        (
            vec!["PATCH /orders"],
            "`/orders` is declared only for GET, POST",
        ),
        (vec!["FETCH /orders"], "`FETCH` is not an HTTP method"),
        (vec!["GET orders"], "must start with `/`"),
        (vec!["--groups", "Editr"], "did you mean `Editor`?"),
        (
            vec!["GET /orders", "--groups", "Admin,Nobody"],
            "no group `Nobody`",
        ),
    ] {
        let out = explain(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out).is_empty(), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    // Neither a route nor groups: clap's usage error, exit 2.
    assert_eq!(explain(&dir, &[]).status.code(), Some(2));
    // A broken roles file is exit 2 with its diagnostics.
    fs::write(
        dir.join("roles.yaml"),
        "version: 1\ngroups: {A: {scopes: [x]}}\n",
    )
    .unwrap();
    let out = explain(&dir, &["GET /x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("error["), "{}", stderr(&out));
}
