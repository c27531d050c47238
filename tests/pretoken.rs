//! The generated pre-token-generation trigger (`cognito-scopes`), run under `node`: for every
//! fixture and every group combination that matters, the scopes it puts into the access token
//! are exactly the ones the access model gives, and every other scope of the resource server
//! is suppressed. Names travel as data: hostile group names reach the handler unchanged.

mod common;
mod pretoken_support;

use pretoken_support::{Answer, Fixture, v2_event};
use rolegen::model::{GroupId, Model};
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[test]
fn pretoken_goldens_match() {
    let fixtures: Vec<Fixture> = pretoken_support::FIXTURES
        .iter()
        .map(|n| pretoken_support::fixture(n))
        .collect();
    pretoken_support::check_goldens(&fixtures, "pretoken/", "pretoken");
}

/// The union of the groups' effective scopes, full names, sorted: what the model says the
/// access token must carry; with `authenticated` routes, also the reserved scope every
/// signed-in user gets, in any group or none.
fn expected_scopes(model: &Model, groups: &[GroupId]) -> Vec<String> {
    let mut set: BTreeSet<String> = groups
        .iter()
        .flat_map(|&g| model.full_scopes_of(g))
        .map(str::to_string)
        .collect();
    if model
        .routes
        .iter()
        .any(|r| r.access == rolegen::model::Access::Authenticated)
    {
        set.insert(format!(
            "{}/authenticated",
            model.resource_server.identifier
        ));
    }
    set.into_iter().collect()
}

/// What the handler must answer to a request of `requested` scopes by a caller the model gives
/// `granted`: add every granted scope, suppress every requested scope of the resource server
/// that is not granted (in request order), touch nothing else.
fn check_answer(
    fx: &Fixture,
    what: &str,
    answer: &Answer,
    granted: &[String],
    requested: &[String],
) {
    let managed = pretoken_support::managed_scopes(&fx.model);
    let suppress: Vec<String> = requested
        .iter()
        .filter(|s| managed.contains(s) && !granted.contains(s))
        .cloned()
        .collect();
    assert!(
        answer.returned_event,
        "{}: {what}: handler did not return the event",
        fx.name
    );
    assert_eq!(
        answer.scopes_to_add(),
        granted,
        "{}: {what}: scopesToAdd",
        fx.name
    );
    assert_eq!(
        answer.scopes_to_suppress(),
        suppress,
        "{}: {what}: scopesToSuppress",
        fx.name
    );
    // Nothing but the access token's scopes: no claims, and `groupOverrideDetails` left unset
    // so that Cognito keeps the user's real groups.
    let expected_shape = json!({
        "claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {
                "scopesToAdd": granted,
                "scopesToSuppress": suppress,
            }
        }
    });
    assert_eq!(
        answer.response, expected_shape,
        "{}: {what}: response",
        fx.name
    );
}

/// Names that are not groups of the model but look like one, or like something a lookup in a
/// plain object would find: none may grant anything.
fn impostors(model: &Model) -> Vec<String> {
    let mut v: Vec<String> = [
        "toString",
        "valueOf",
        "__proto__",
        "constructor",
        "hasOwnProperty",
        "prototype",
        "__defineGetter__",
        "",
        "*",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for g in &model.groups {
        let n = &g.name;
        v.push(n.to_uppercase());
        v.push(n.to_lowercase());
        v.push(format!("{n} "));
        v.push(format!(" {n}"));
        v.push(format!("{n}\u{0}"));
        v.push(serde_json::to_string(n).unwrap());
        // Canonically equivalent but not the same string: Cognito compares exactly.
        v.push(n.replace('Ü', "U\u{308}"));
    }
    let real: BTreeSet<&str> = model.groups.iter().map(|g| g.name.as_str()).collect();
    let mut v: Vec<String> = v
        .into_iter()
        .filter(|s| !real.contains(s.as_str()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Events Cognito would not send, or sends rarely, each with the groups the answer must be
/// computed for and the scopes that were requested.
fn odd_events(model: &Model) -> Vec<(&'static str, Value, Vec<GroupId>, Vec<String>)> {
    let full = pretoken_support::full_request(model);
    let first = GroupId(0);
    let first_name = model.group(first).name.clone();
    let mut no_config = v2_event(json!([]), Some(&full));
    no_config["request"]
        .as_object_mut()
        .unwrap()
        .remove("groupConfiguration");
    let foreign: Vec<String> = [
        "openid",
        "email",
        "profile",
        "phone",
        "aws.cognito.signin.user.admin",
        "other-server/admin",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    vec![
        (
            "impostor names",
            v2_event(json!(impostors(model)), Some(&full)),
            vec![],
            full.clone(),
        ),
        (
            "non-string groups",
            v2_event(
                json!([1, null, true, {}, [first_name], { "name": first_name }]),
                Some(&full),
            ),
            vec![],
            full.clone(),
        ),
        (
            "groupsToOverride null",
            v2_event(Value::Null, Some(&full)),
            vec![],
            full.clone(),
        ),
        ("no groupConfiguration", no_config, vec![], full.clone()),
        (
            "duplicate group",
            v2_event(json!([first_name, first_name]), Some(&full)),
            vec![first],
            full.clone(),
        ),
        (
            "no scopes requested",
            v2_event(json!([first_name]), None),
            vec![first],
            vec![],
        ),
        (
            "only foreign scopes requested",
            v2_event(json!([first_name]), Some(&foreign)),
            vec![first],
            foreign.clone(),
        ),
    ]
}

#[test]
fn handler_grants_exactly_the_model_scopes() {
    let scratch = common::scratch("pretoken-handler");
    let fixtures = pretoken_support::all();
    let mut jobs = Vec::new();
    let mut plans = Vec::new();
    for fx in &fixtures {
        let out = pretoken_support::write_out(fx, &scratch);
        let (sets, mut events) = pretoken_support::combination_events(&fx.model);
        let odd = odd_events(&fx.model);
        events.extend(odd.iter().map(|(_, e, _, _)| e.clone()));
        jobs.push((out.join("pretoken/index.mjs"), events));
        plans.push((sets, odd));
    }
    let answers = pretoken_support::run_handlers(&scratch, &jobs);

    for ((fx, (sets, odd)), answers) in fixtures.iter().zip(&plans).zip(&answers) {
        let model = &fx.model;
        let full = pretoken_support::full_request(model);
        for (set, answer) in sets.iter().zip(answers) {
            let names = pretoken_support::names(model, set);
            // The names the driver parsed are exactly the model's: nothing lost in transit.
            assert_eq!(answer.seen_groups, json!(names), "{}: group names", fx.name);
            let what = format!("groups {names:?}");
            check_answer(fx, &what, answer, &expected_scopes(model, set), &full);
        }
        for ((what, _, groups, requested), answer) in odd.iter().zip(&answers[sets.len()..]) {
            check_answer(fx, what, answer, &expected_scopes(model, groups), requested);
        }
        // Every group's scopes reach some token, so the table in the handler is not empty
        // by accident.
        for g in model.group_ids() {
            assert!(
                !model.full_scopes_of(g).is_empty(),
                "{}: fixture group `{}` has no scope",
                fx.name,
                model.group(g).name
            );
        }
    }
}
