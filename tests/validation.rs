//! Every validation error and warning rolegen reports about a roles file, one test each.
//!
//! Tests assert on what a user sees (the check's code, the message, the underlined text and
//! the help line), never on byte offsets, so a change in how spans are computed that still
//! underlines the right text does not break them, and one that underlines the wrong text does.

use rolegen::cmd::{Loaded, load_text};
use rolegen::diag::{Diagnostic, Severity, Source, render};

/// Everything above `scopes:` in a valid file; tests append their own sections.
const HEAD: &str = "\
version: 1
api:
  name: orders-api
  stage: prod
  authorizer: cognito-scopes
user_pool:
  name: orders-users
resource_server:
  identifier: api
  name: Orders API
";

/// A complete valid file: every scope used, every group grants a route.
const VALID_TAIL: &str = "\
scopes:
  admin: Full access
  readonly: Read everything
groups:
  Admin:
    scopes: [admin]
    includes: [ReadOnly]
  ReadOnly:
    scopes: [readonly]
routes:
  GET /health: public
  GET /orders: [readonly]
  DELETE /orders/{orderId}: [admin]
";

fn load(text: &str) -> Loaded {
    load_text("roles.yaml", text.to_string())
}

fn with_head(tail: &str) -> String {
    format!("{HEAD}{tail}")
}

/// A diagnostic as the tests compare it: code, message, underlined text, help.
#[derive(Debug, PartialEq)]
struct Seen {
    code: String,
    message: String,
    underlined: Option<String>,
    help: Option<String>,
}

fn seen(d: &Diagnostic, text: &str) -> Seen {
    Seen {
        code: d.code.to_string(),
        message: d.message.clone(),
        underlined: d.underlined(text).map(str::to_string),
        help: d.help.clone(),
    }
}

fn errors(text: &str) -> Vec<Seen> {
    let loaded = load(text);
    let errs: Vec<Seen> = loaded
        .diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| seen(d, text))
        .collect();
    assert!(
        errs.is_empty() || loaded.model.is_none(),
        "a file with errors must not yield a model"
    );
    errs
}

fn warnings(text: &str) -> Vec<Seen> {
    load(text)
        .diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| seen(d, text))
        .collect()
}

/// The file has exactly one error; returns it.
fn the_error(text: &str) -> Seen {
    let mut errs = errors(text);
    assert_eq!(errs.len(), 1, "expected exactly one error, got {errs:#?}");
    errs.remove(0)
}

/// Asserts code, message and underlined text; returns the help for further checks.
fn assert_error(text: &str, code: &str, message: &str, underlined: &str) -> Option<String> {
    let e = the_error(text);
    assert_eq!(e.code, code, "{e:#?}");
    assert_eq!(e.message, message, "{e:#?}");
    assert_eq!(e.underlined.as_deref(), Some(underlined), "{e:#?}");
    e.help
}

#[test]
fn the_base_file_is_valid_and_clean() {
    let text = with_head(VALID_TAIL);
    let loaded = load(&text);
    assert!(loaded.diags.is_empty(), "{:#?}", loaded.diags);
    assert!(loaded.model.is_some());
}

// ---------------------------------------------------------------- version, keys, types

#[test]
fn missing_version() {
    let text = with_head(VALID_TAIL).replacen("version: 1\n", "", 1);
    let help = assert_error(&text, "missing-key", "missing `version`", "api");
    assert_eq!(
        help.as_deref(),
        Some("add `version: 1` at the top of the file")
    );
}

#[test]
fn wrong_version() {
    let text = with_head(VALID_TAIL).replacen("version: 1", "version: 2", 1);
    let help = assert_error(&text, "bad-version", "unsupported format version `2`", "2");
    assert_eq!(help.as_deref(), Some("write `version: 1`"));
}

#[test]
fn unknown_top_level_key_suggests_the_right_one() {
    let text = with_head(&VALID_TAIL.replace("routes:", "route:"));
    let errs = errors(&text);
    assert_eq!(
        errs[0],
        Seen {
            code: "unknown-key".into(),
            message: "unknown key `route` in the roles file".into(),
            underlined: Some("route".into()),
            help: Some("did you mean `routes`?".into()),
        }
    );
}

#[test]
fn unknown_key_in_api() {
    let text =
        with_head(VALID_TAIL).replace("  stage: prod", "  stage: prod\n  authoriser: lambda");
    let help = assert_error(
        &text,
        "unknown-key",
        "unknown key `authoriser` in `api`",
        "authoriser",
    );
    assert_eq!(help.as_deref(), Some("did you mean `authorizer`?"));
}

#[test]
fn unknown_key_in_a_group() {
    let text = with_head(&VALID_TAIL.replace("    scopes: [readonly]", "    scope: [readonly]"));
    let errs = errors(&text);
    assert_eq!(
        errs,
        vec![Seen {
            code: "unknown-key".into(),
            message: "unknown key `scope` in group `ReadOnly`".into(),
            underlined: Some("scope".into()),
            help: Some("did you mean `scopes`?".into()),
        }]
    );
}

#[test]
fn unknown_key_in_a_long_form_route() {
    let text = with_head(&VALID_TAIL.replace(
        "  GET /orders: [readonly]",
        "  GET /orders:\n    scops: [readonly]",
    ));
    let errs = errors(&text);
    assert_eq!(
        errs[0],
        Seen {
            code: "unknown-key".into(),
            message: "unknown key `scops` in route `GET /orders`".into(),
            underlined: Some("scops".into()),
            help: Some("did you mean `scopes`?".into()),
        }
    );
    // The typo is the one problem: no second error saying the route has no access.
    assert_eq!(errs.len(), 1, "{errs:#?}");
}

#[test]
fn wrong_type() {
    let text = with_head(VALID_TAIL).replace("  stage: prod", "  stage: [prod]");
    assert_error(
        &text,
        "wrong-type",
        "`api.stage` must be a string, found a list",
        "[prod]",
    );
    let text =
        with_head(&VALID_TAIL.replace("    scopes: [readonly]", "    scopes: {readonly: 1}"));
    assert_error(
        &text,
        "wrong-type",
        "the scopes of group `ReadOnly` must be a list of names, found a mapping",
        "{readonly: 1}",
    );
    let text = with_head(VALID_TAIL).replace("version: 1", "version: \"1\"");
    assert_error(
        &text,
        "wrong-type",
        "`version` must be a whole number, found a string",
        "\"1\"",
    );
}

#[test]
fn missing_key_in_a_section_points_at_the_section() {
    let text = with_head(VALID_TAIL).replace("  stage: prod\n", "");
    let help = assert_error(&text, "missing-key", "missing `api.stage`", "api");
    assert_eq!(help.as_deref(), Some("add `stage: prod` under `api`"));
}

#[test]
fn missing_section_is_reported_once() {
    let text = with_head(VALID_TAIL).replace(
        "resource_server:\n  identifier: api\n  name: Orders API\n",
        "",
    );
    let e = the_error(&text);
    assert_eq!(e.code, "missing-key");
    assert_eq!(e.message, "missing `resource_server`");
    assert_eq!(e.underlined.as_deref(), Some("version"));
    assert!(e.help.unwrap().contains("`identifier: api`"));
}

#[test]
fn a_section_of_the_wrong_type_is_one_error() {
    // Not also "missing `api.name`", "missing `api.stage`", ...
    let text = with_head(VALID_TAIL).replace(
        "api:\n  name: orders-api\n  stage: prod\n  authorizer: cognito-scopes\n",
        "api: cognito-scopes\n",
    );
    assert_error(
        &text,
        "wrong-type",
        "`api` must be a mapping, found a string",
        "cognito-scopes",
    );
}

#[test]
fn yaml_1_1_yes_is_not_a_boolean() {
    // `public: yes` would be `true` in YAML 1.1; rolegen reads YAML 1.2, where it is a string,
    // and says so rather than silently making a route public.
    let text =
        with_head(&VALID_TAIL.replace("  GET /health: public", "  GET /health:\n    public: yes"));
    let e = errors(&text);
    assert_eq!(e[0].code, "wrong-type", "{e:#?}");
    assert_eq!(
        e[0].message,
        "`public` of route `GET /health` must be `true`, found a string"
    );
    assert_eq!(e[0].underlined.as_deref(), Some("yes"));

    // Names such as `no`, `on` and `yes` stay names (the "Norway problem").
    let text = with_head(
        "scopes:\n  no: Norway\n  on: On\ngroups:\n  yes:\n    scopes: [no, on]\nroutes:\n  GET /a: [no]\n  GET /b: [on]\n",
    );
    let loaded = load(&text);
    assert!(loaded.diags.is_empty(), "{:#?}", loaded.diags);
    let model = loaded.model.unwrap();
    let names: Vec<&str> = model.scopes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["no", "on"]);
    assert_eq!(model.groups[0].name, "yes");
}

// ---------------------------------------------------------------- references

#[test]
fn undefined_scope_in_a_group_suggests_the_closest() {
    let text = with_head(&VALID_TAIL.replace("    scopes: [admin]", "    scopes: [admn]"));
    let errs = errors(&text);
    assert_eq!(
        errs,
        vec![Seen {
            code: "unknown-scope".into(),
            message: "group `Admin` uses undefined scope `admn`".into(),
            underlined: Some("admn".into()),
            help: Some("did you mean `admin`?".into()),
        }]
    );
}

#[test]
fn undefined_scope_in_a_route_suggests_the_closest() {
    let text = with_head(&VALID_TAIL.replace(
        "  GET /orders: [readonly]",
        "  GET /orders: [admin, redonly]",
    ));
    let help = assert_error(
        &text,
        "unknown-scope",
        "route `GET /orders` uses undefined scope `redonly`",
        "redonly",
    );
    assert_eq!(help.as_deref(), Some("did you mean `readonly`?"));
}

#[test]
fn undefined_scope_far_from_any_lists_the_declared_ones() {
    let text = with_head(&VALID_TAIL.replace("  GET /orders: [readonly]", "  GET /orders: [zzz]"));
    let help = assert_error(
        &text,
        "unknown-scope",
        "route `GET /orders` uses undefined scope `zzz`",
        "zzz",
    );
    assert_eq!(help.as_deref(), Some("expected one of `admin`, `readonly`"));
}

#[test]
fn scope_written_with_its_identifier_prefix() {
    let text = with_head(&VALID_TAIL.replace("    scopes: [admin]", "    scopes: [api/admin]"));
    let help = assert_error(
        &text,
        "unknown-scope",
        "group `Admin` uses undefined scope `api/admin`",
        "api/admin",
    );
    assert_eq!(
        help.as_deref(),
        Some("write the short name `admin`; rolegen adds the resource server identifier")
    );
    // In a route too.
    let text = with_head(
        &VALID_TAIL.replace("  GET /orders: [readonly]", "  GET /orders: [api/readonly]"),
    );
    let help = assert_error(
        &text,
        "unknown-scope",
        "route `GET /orders` uses undefined scope `api/readonly`",
        "api/readonly",
    );
    assert_eq!(
        help.as_deref(),
        Some("write the short name `readonly`; rolegen adds the resource server identifier")
    );
}

#[test]
fn undefined_group_in_includes() {
    let text = with_head(&VALID_TAIL.replace("includes: [ReadOnly]", "includes: [Readonly]"));
    let help = assert_error(
        &text,
        "unknown-group",
        "group `Admin` includes undefined group `Readonly`",
        "Readonly",
    );
    assert_eq!(help.as_deref(), Some("did you mean `ReadOnly`?"));
}

#[test]
fn self_include() {
    let text =
        with_head(&VALID_TAIL.replace("includes: [ReadOnly]", "includes: [ReadOnly, Admin]"));
    let help = assert_error(
        &text,
        "includes-cycle",
        "group `Admin` includes itself",
        "Admin",
    );
    assert!(help.unwrap().contains("remove it"));
}

#[test]
fn includes_cycle_of_two_names_the_cycle() {
    let text = with_head(
        "scopes:\n  a: A\n  b: B\ngroups:\n  A:\n    scopes: [a]\n    includes: [B]\n  B:\n    scopes: [b]\n    includes: [A]\nroutes:\n  GET /a: [a]\n  GET /b: [b]\n",
    );
    let e = the_error(&text);
    assert_eq!(e.code, "includes-cycle");
    assert_eq!(e.message, "`includes` cycle: `A` → `B` → `A`");
    assert_eq!(e.underlined.as_deref(), Some("A"));
    // The underline is on the include that closes the cycle (in group B), not on a name.
    let loaded = load(&text);
    let d = loaded.diags.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(
        d.span.unwrap().line,
        text.lines().position(|l| l == "    includes: [A]").unwrap() as u32 + 1
    );
    // No warnings about groups granting nothing: the effective scopes are unknown on a cycle.
    assert!(
        loaded.diags.iter().all(|d| d.is_error()),
        "{:#?}",
        loaded.diags
    );
}

#[test]
fn includes_cycle_of_three_names_the_cycle_once() {
    let text = with_head(
        "scopes:\n  a: A\ngroups:\n  A:\n    scopes: [a]\n    includes: [B]\n  B:\n    includes: [C]\n  C:\n    includes: [A]\nroutes:\n  GET /a: [a]\n",
    );
    let e = the_error(&text);
    assert_eq!(e.code, "includes-cycle");
    assert_eq!(e.message, "`includes` cycle: `A` → `B` → `C` → `A`");
    assert_eq!(e.underlined.as_deref(), Some("A"));
}

#[test]
fn a_diamond_is_not_a_cycle() {
    let text = with_head(
        "scopes:\n  a: A\n  b: B\n  c: C\ngroups:\n  Top:\n    includes: [Left, Right]\n  Left:\n    scopes: [a]\n    includes: [Base]\n  Right:\n    scopes: [b]\n    includes: [Base]\n  Base:\n    scopes: [c]\nroutes:\n  GET /a: [a]\n  GET /b: [b]\n  GET /c: [c]\n",
    );
    let loaded = load(&text);
    assert!(loaded.diags.is_empty(), "{:#?}", loaded.diags);
    let model = loaded.model.unwrap();
    let top = model.group_by_name("Top").unwrap();
    assert_eq!(model.full_scopes_of(top), ["api/a", "api/b", "api/c"]);
}

// ---------------------------------------------------------------- routes

#[test]
fn duplicate_route() {
    let text = with_head(&VALID_TAIL.replace(
        "  GET /orders: [readonly]",
        "  GET /orders: [readonly]\n  GET /orders: [admin]",
    ));
    let help = assert_error(
        &text,
        "duplicate-route",
        "route `GET /orders` is declared twice",
        "GET /orders",
    );
    assert_eq!(
        help.as_deref(),
        Some("`GET /orders` on line 22 is the same route; merge their scopes into one entry")
    );
}

#[test]
fn duplicate_route_with_different_variable_names() {
    let text = with_head(&VALID_TAIL.replace(
        "  DELETE /orders/{orderId}: [admin]",
        "  DELETE /orders/{orderId}: [admin]\n  DELETE /orders/{id}: [readonly]",
    ));
    let help = assert_error(
        &text,
        "duplicate-route",
        "route `DELETE /orders/{id}` is declared twice",
        "DELETE /orders/{id}",
    );
    assert_eq!(
        help.as_deref(),
        Some(
            "`DELETE /orders/{orderId}` on line 23 is the same route; merge their scopes into one entry"
        )
    );
}

#[test]
fn lowercase_http_method() {
    let text = with_head(&VALID_TAIL.replace("  GET /orders:", "  get /orders:"));
    let help = assert_error(&text, "bad-method", "unknown HTTP method `get`", "get");
    assert_eq!(help.as_deref(), Some("write `GET`"));
}

#[test]
fn unknown_http_method() {
    let text = with_head(&VALID_TAIL.replace("  GET /orders:", "  FETCH /orders:"));
    let help = assert_error(&text, "bad-method", "unknown HTTP method `FETCH`", "FETCH");
    assert_eq!(
        help.as_deref(),
        Some("use one of `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS`, `ANY`")
    );
}

#[test]
fn route_without_a_path() {
    let text = with_head(&VALID_TAIL.replace("  GET /orders:", "  /orders:"));
    let help = assert_error(
        &text,
        "bad-route",
        "route `/orders` needs a method and a path",
        "/orders",
    );
    assert_eq!(help.as_deref(), Some("write it as `GET /orders`"));
}

/// Each bad path: (path as written, message, underlined text, help).
#[test]
fn bad_paths() {
    let cases = [
        (
            "orders",
            "path `orders` must start with `/`",
            "orders",
            "write `/orders`",
        ),
        (
            "/orders/",
            "path `/orders/` has an empty segment",
            "/",
            "remove the trailing `/`",
        ),
        (
            "/orders//items",
            "path `/orders//items` has an empty segment",
            "/",
            "remove the repeated `/`",
        ),
        (
            "/orders/*",
            "segment `*` contains `*`",
            "*",
            "API Gateway allows only letters, digits, `.`, `_` and `-` in a path segment, or a whole-segment variable `{name}`",
        ),
        (
            "/orders/{x",
            "segment `{x` opens `{` without closing it",
            "{x",
            "a variable is a whole segment: `{name}` or `{name+}`",
        ),
        (
            "/files/{path+}/meta",
            "greedy variable `{path+}` must be the last segment",
            "{path+}",
            "API Gateway matches `{name+}` against the rest of the path",
        ),
        (
            "/orders/{order id}",
            "path `/orders/{order id}` contains a space",
            "/orders/{order id}",
            "a route key is `METHOD /path` with no other spaces",
        ),
        (
            "/orders/{}",
            "variable `{}` has an invalid name",
            "{}",
            "variable names use only letters, digits, `.`, `_` and `-`",
        ),
    ];
    for (path, message, underlined, help) in cases {
        let text = with_head(&format!(
            "scopes:\n  a: A\ngroups:\n  G:\n    scopes: [a]\nroutes:\n  GET /ok: [a]\n  \"GET {path}\": [a]\n"
        ));
        let e = the_error(&text);
        assert_eq!(
            (
                e.code.as_str(),
                e.message.as_str(),
                e.underlined.as_deref(),
                e.help.as_deref()
            ),
            ("bad-path", message, Some(underlined), Some(help)),
            "path {path}"
        );
    }
}

#[test]
fn sibling_variables_with_different_names() {
    let text = with_head(&VALID_TAIL.replace(
        "  DELETE /orders/{orderId}: [admin]",
        "  DELETE /orders/{orderId}: [admin]\n  GET /orders/{id}/items: [readonly]",
    ));
    let help = assert_error(
        &text,
        "sibling-variables",
        "route `GET /orders/{id}/items` uses `{id}` where `DELETE /orders/{orderId}` (line 23) uses `{orderId}`",
        "{id}",
    );
    assert_eq!(
        help.as_deref(),
        Some("API Gateway allows one variable per path position; rename it to `{orderId}`")
    );
}

#[test]
fn same_path_with_another_method_and_variable_name() {
    let text = with_head(&VALID_TAIL.replace(
        "  DELETE /orders/{orderId}: [admin]",
        "  DELETE /orders/{orderId}: [admin]\n  GET /orders/{id}: [readonly]",
    ));
    let e = the_error(&text);
    assert_eq!(e.code, "sibling-variables");
    assert_eq!(e.underlined.as_deref(), Some("{id}"));
}

#[test]
fn sibling_variables_underline_survives_extra_spaces_and_quotes() {
    let text = with_head(&VALID_TAIL.replace(
        "  DELETE /orders/{orderId}: [admin]",
        "  DELETE /orders/{orderId}: [admin]\n  \"GET   /orders/{id}/items\": [readonly]",
    ));
    let e = the_error(&text);
    assert_eq!(e.code, "sibling-variables");
    assert_eq!(e.underlined.as_deref(), Some("{id}"));
}

#[test]
fn greedy_and_plain_variable_siblings_conflict() {
    let text = with_head(&VALID_TAIL.replace(
        "  DELETE /orders/{orderId}: [admin]",
        "  DELETE /orders/{orderId}: [admin]\n  GET /orders/{proxy+}: [readonly]",
    ));
    let e = the_error(&text);
    assert_eq!(e.code, "sibling-variables");
    assert_eq!(e.underlined.as_deref(), Some("{proxy+}"));
}

#[test]
fn literal_siblings_of_a_variable_are_fine() {
    let text = with_head(&VALID_TAIL.replace(
        "  DELETE /orders/{orderId}: [admin]",
        "  DELETE /orders/{orderId}: [admin]\n  GET /orders/search: [readonly]\n  GET /orders/{orderId}/items/{itemId}: [readonly]",
    ));
    let loaded = load(&text);
    assert!(loaded.diags.is_empty(), "{:#?}", loaded.diags);
    assert!(loaded.model.is_some());
}

#[test]
fn empty_scopes_list_on_a_route() {
    let text = with_head(&VALID_TAIL.replace("  GET /orders: [readonly]", "  GET /orders: []"));
    let help = assert_error(
        &text,
        "no-scopes",
        "route `GET /orders` lists no scopes",
        "GET /orders",
    );
    assert!(help.unwrap().contains("write `public`"));
    // The long form too.
    let text = with_head(&VALID_TAIL.replace(
        "  GET /orders: [readonly]",
        "  GET /orders:\n    scopes: []",
    ));
    assert_error(
        &text,
        "no-scopes",
        "route `GET /orders` lists no scopes",
        "GET /orders",
    );
}

#[test]
fn route_value_that_is_neither_scopes_nor_public() {
    let text =
        with_head(&VALID_TAIL.replace("  GET /orders: [readonly]", "  GET /orders: readonly"));
    let help = assert_error(
        &text,
        "bad-route-value",
        "route `GET /orders` must list its scopes or say `public` or `authenticated`, found `readonly`",
        "readonly",
    );
    assert_eq!(
        help.as_deref(),
        Some("write `[readonly]` if `readonly` is a scope")
    );
}

// ---------------------------------------------------------------- names and limits

#[test]
fn group_name_too_long() {
    let name = "G".repeat(129);
    let text = with_head(
        &VALID_TAIL
            .replace("  ReadOnly:", &format!("  {name}:"))
            .replace("[ReadOnly]", &format!("[{name}]")),
    );
    let e = the_error(&text);
    assert_eq!(e.code, "bad-name");
    assert_eq!(
        e.message,
        format!("group name `{}…` is 129 characters long", "G".repeat(40))
    );
    assert_eq!(e.underlined.as_deref(), Some(name.as_str()));
    assert_eq!(
        e.help.as_deref(),
        Some("AWS accepts 1 to 128 characters here")
    );
    // 128 is fine.
    let name = "G".repeat(128);
    let text = with_head(
        &VALID_TAIL
            .replace("  ReadOnly:", &format!("  {name}:"))
            .replace("[ReadOnly]", &format!("[{name}]")),
    );
    assert!(errors(&text).is_empty());
}

#[test]
fn group_name_with_a_space() {
    let text = with_head(
        &VALID_TAIL
            .replace("  ReadOnly:", "  Read Only:")
            .replace("[ReadOnly]", "[Read Only]"),
    );
    let help = assert_error(
        &text,
        "bad-name",
        "group name `Read Only` contains a space",
        "Read Only",
    );
    assert_eq!(
        help.as_deref(),
        Some("AWS allows letters, marks, symbols, numbers and punctuation, without spaces")
    );
}

#[test]
fn scope_names_with_forbidden_characters() {
    for (written, name, shown) in [
        ("a/b", "a/b", "`/`"),
        ("\"a b\"", "a b", "a space"),
        ("'a\"b'", "a\"b", "`\"`"),
        ("'a\\b'", "a\\b", "`\\`"),
    ] {
        let text = with_head(&format!(
            "scopes:\n  {written}: X\n  ok: Y\ngroups:\n  G:\n    scopes: [ok]\nroutes:\n  GET /a: [ok]\n"
        ));
        let e = the_error(&text);
        assert_eq!(e.code, "bad-name", "{e:#?}");
        assert_eq!(e.message, format!("scope name `{name}` contains {shown}"));
        assert_eq!(e.underlined.as_deref(), Some(written));
        assert_eq!(
            e.help.as_deref(),
            Some("AWS allows printable ASCII without spaces, `/`, `\"` or `\\`")
        );
    }
}

#[test]
fn scope_name_too_long() {
    let long = "s".repeat(257);
    let text = with_head(&format!(
        "scopes:\n  {long}: X\ngroups:\n  G:\n    scopes: [{long}]\nroutes:\n  GET /a: [{long}]\n"
    ));
    let e = the_error(&text);
    assert_eq!(e.code, "bad-name");
    assert_eq!(
        e.message,
        format!("scope name `{}…` is 257 characters long", "s".repeat(40))
    );
    assert_eq!(e.underlined.as_deref(), Some(long.as_str()));
    assert_eq!(
        e.help.as_deref(),
        Some("AWS accepts 1 to 256 characters here")
    );
}

#[test]
fn resource_server_identifier_invalid() {
    let text = with_head(VALID_TAIL).replace("  identifier: api", "  identifier: \"my api\"");
    let help = assert_error(
        &text,
        "bad-name",
        "resource server identifier `my api` contains a space",
        "\"my api\"",
    );
    assert_eq!(
        help.as_deref(),
        Some("AWS allows printable ASCII without spaces, `\"` or `\\`")
    );
    // A URL is a valid identifier.
    let text =
        with_head(VALID_TAIL).replace("  identifier: api", "  identifier: https://api.example.com");
    assert!(errors(&text).is_empty());
}

#[test]
fn precedence_out_of_range() {
    let text = with_head(&VALID_TAIL.replace("  ReadOnly:\n", "  ReadOnly:\n    precedence: -1\n"));
    let help = assert_error(
        &text,
        "bad-value",
        "precedence -1 of group `ReadOnly` is out of range",
        "-1",
    );
    assert_eq!(
        help.as_deref(),
        Some("Cognito accepts 0 to 2147483647; lower wins")
    );
    let text = with_head(
        &VALID_TAIL.replace("  ReadOnly:\n", "  ReadOnly:\n    precedence: 2147483648\n"),
    );
    assert_eq!(the_error(&text).code, "bad-value");
}

/// A file with `n` scopes, each used by its own route and granted by one group.
fn many_scopes(n: usize, authorizer: &str) -> String {
    let mut text = HEAD.replace("cognito-scopes", authorizer);
    text.push_str("scopes:\n");
    for i in 0..n {
        text.push_str(&format!("  s{i:03}: Scope {i}\n"));
    }
    text.push_str("groups:\n  All:\n    scopes: [");
    text.push_str(
        &(0..n)
            .map(|i| format!("s{i:03}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    text.push_str("]\nroutes:\n");
    for i in 0..n {
        text.push_str(&format!("  GET /r{i}: [s{i:03}]\n"));
    }
    text
}

#[test]
fn more_than_100_scopes() {
    // With `lambda` the app client allows no custom scopes, so only the resource server's
    // limit applies.
    assert!(errors(&many_scopes(100, "lambda")).is_empty());
    let text = many_scopes(101, "lambda");
    let e = the_error(&text);
    assert_eq!(e.code, "limit");
    assert_eq!(
        e.message,
        "101 scopes exceed Cognito's limit of 100 per resource server"
    );
    assert_eq!(e.underlined.as_deref(), Some("scopes"));
    assert_eq!(e.help.as_deref(), Some("remove or merge 1 scopes"));
}

#[test]
fn more_than_49_scopes_with_cognito_scopes() {
    assert!(errors(&many_scopes(49, "cognito-scopes")).is_empty());
    let text = many_scopes(50, "cognito-scopes");
    let e = the_error(&text);
    assert_eq!(e.code, "limit");
    assert_eq!(
        e.message,
        "50 scopes plus `openid` exceed the 50 scopes an app client may allow"
    );
    assert_eq!(
        e.help.as_deref(),
        Some("remove 1 scopes, or use `authorizer: lambda`, which needs no scopes on the client")
    );
}

#[test]
fn duplicate_group() {
    let text = with_head(&VALID_TAIL.replace(
        "  ReadOnly:\n    scopes: [readonly]\n",
        "  ReadOnly:\n    scopes: [readonly]\n  ReadOnly:\n    scopes: [admin]\n",
    ));
    let help = assert_error(
        &text,
        "duplicate",
        "group `ReadOnly` is declared twice",
        "ReadOnly",
    );
    assert_eq!(help.as_deref(), Some("the first is on line 18"));
}

#[test]
fn duplicate_scope() {
    let text = with_head(&VALID_TAIL.replace(
        "  readonly: Read everything\n",
        "  readonly: Read everything\n  readonly: Again\n",
    ));
    let help = assert_error(
        &text,
        "duplicate",
        "scope `readonly` is declared twice",
        "readonly",
    );
    assert_eq!(help.as_deref(), Some("the first is on line 13"));
}

#[test]
fn duplicate_key_in_a_section() {
    let text = with_head(VALID_TAIL).replace("  stage: prod\n", "  stage: prod\n  stage: dev\n");
    assert_error(
        &text,
        "duplicate-key",
        "key `stage` appears twice in `api`",
        "stage",
    );
}

#[test]
fn bad_stage_name() {
    let text = with_head(VALID_TAIL).replace("  stage: prod", "  stage: prod-1");
    let help = assert_error(&text, "bad-name", "invalid stage name `prod-1`", "prod-1");
    assert_eq!(
        help.as_deref(),
        Some("use 1 to 128 letters, digits and `_`")
    );
}

#[test]
fn unknown_authorizer_strategy() {
    let text =
        with_head(VALID_TAIL).replace("authorizer: cognito-scopes", "authorizer: cognito-scope");
    let help = assert_error(
        &text,
        "bad-value",
        "unknown authorizer `cognito-scope`",
        "cognito-scope",
    );
    assert_eq!(help.as_deref(), Some("did you mean `cognito-scopes`?"));
}

#[test]
fn bad_lambda_integration_parameter_name() {
    let text = with_head(&VALID_TAIL.replace(
        "  GET /orders: [readonly]",
        "  GET /orders:\n    scopes: [readonly]\n    integration: {lambda: list-orders-fn}",
    ));
    let help = assert_error(
        &text,
        "bad-name",
        "`list-orders-fn` is not a CloudFormation parameter name",
        "list-orders-fn",
    );
    assert!(help.unwrap().contains("letters and digits only"));
}

#[test]
fn http_integration_url_with_a_variable_the_path_lacks() {
    let text = with_head(&VALID_TAIL.replace(
        "  DELETE /orders/{orderId}: [admin]",
        "  DELETE /orders/{orderId}:\n    scopes: [admin]\n    integration:\n      http: https://backend.example.com/orders/{orderID}",
    ));
    let help = assert_error(
        &text,
        "unknown-variable",
        "the URL uses `{orderID}`, which the route's path does not have",
        "https://backend.example.com/orders/{orderID}",
    );
    assert_eq!(help.as_deref(), Some("did you mean `orderId`?"));
}

/// API Gateway fills an integration URI's `{name}` from `integration.request.path.name`; its
/// proxy examples write `{proxy}`, never `{proxy+}`.
#[test]
fn http_integration_url_with_a_greedy_plus() {
    let text = with_head(&format!(
        "{VALID_TAIL}  GET /files/{{proxy+}}:\n    scopes: [readonly]\n    integration:\n      http: https://files.example.com/{{proxy+}}\n"
    ));
    let help = assert_error(
        &text,
        "bad-value",
        "the URL writes `{proxy+}`; a URL names a greedy variable without the `+`",
        "https://files.example.com/{proxy+}",
    );
    assert!(help.unwrap().contains("write `{proxy}` in the URL"));
}

#[test]
fn authorizer_ttl_out_of_range_and_unused() {
    let text = with_head(VALID_TAIL).replace(
        "authorizer: cognito-scopes",
        "authorizer: lambda\n  authorizer_ttl: 3601",
    );
    let help = assert_error(
        &text,
        "bad-value",
        "`authorizer_ttl` 3601 is out of range",
        "3601",
    );
    assert_eq!(
        help.as_deref(),
        Some("API Gateway caches authorizer results for 0 to 3600 seconds")
    );
    let text = with_head(VALID_TAIL).replace(
        "authorizer: cognito-scopes",
        "authorizer: cognito-scopes\n  authorizer_ttl: 60",
    );
    let w = warnings(&text);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(
        w[0].message,
        "`authorizer_ttl` has no effect with `authorizer: cognito-scopes`"
    );
    assert_eq!(w[0].underlined.as_deref(), Some("60"));
}

#[test]
fn unknown_deletion_policy() {
    let text = with_head(VALID_TAIL).replace(
        "  name: orders-users",
        "  name: orders-users\n  deletion_policy: retain",
    );
    let help = assert_error(
        &text,
        "bad-value",
        "unknown deletion policy `retain`",
        "retain",
    );
    assert_eq!(help.as_deref(), Some("did you mean `Retain`?"));
}

#[test]
fn verified_permissions_is_a_strategy_with_a_token_choice() {
    let vp = with_head(VALID_TAIL).replace(
        "authorizer: cognito-scopes",
        "authorizer: verified-permissions",
    );
    let loaded = load(&vp);
    let m = loaded.model.expect("valid");
    assert_eq!(
        m.api.strategy,
        rolegen::model::Strategy::VerifiedPermissions
    );
    assert_eq!(m.api.token, rolegen::model::TokenUse::Id);
    let access = vp.replace(
        "authorizer: verified-permissions",
        "authorizer: verified-permissions\n  token: access",
    );
    assert_eq!(
        load(&access).model.expect("valid").api.token,
        rolegen::model::TokenUse::Access
    );
    let help = assert_error(
        &vp.replace(
            "authorizer: verified-permissions",
            "authorizer: verified-permissions\n  token: refresh",
        ),
        "bad-value",
        "unknown token `refresh`",
        "refresh",
    );
    assert!(help.unwrap().contains("`id`"));
    // Only verified-permissions reads `api.token`: the other strategies fix the token.
    assert_error(
        &with_head(VALID_TAIL).replace(
            "authorizer: cognito-scopes",
            "authorizer: cognito-scopes\n  token: id",
        ),
        "bad-value",
        "`api.token` applies to `authorizer: verified-permissions` only; `cognito-scopes` always takes the access token",
        "id",
    );
    let e = the_error(
        &with_head(VALID_TAIL).replace("authorizer: cognito-scopes", "authorizer: verified"),
    );
    assert_eq!(e.message, "unknown authorizer `verified`");
    assert!(e.help.unwrap().contains("verified-permissions"));
}

#[test]
fn more_than_300_api_resources_is_a_warning() {
    let mut text = HEAD.replace("cognito-scopes", "lambda");
    text.push_str("scopes:\n  read: Read\ngroups:\n  Reader:\n    scopes: [read]\nroutes:\n");
    for i in 0..301 {
        text.push_str(&format!("  GET /r{i}: [read]\n"));
    }
    let loaded = load(&text);
    assert!(
        loaded.model.is_some(),
        "a raisable quota does not block generation"
    );
    let w = warnings(&text);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(
        w[0].message,
        "the routes need 301 API Gateway resources, over the default quota of 300 per REST API"
    );
    assert_eq!(w[0].underlined.as_deref(), Some("routes"));
}

// ---------------------------------------------------------------- YAML itself

#[test]
fn yaml_syntax_error_has_a_location() {
    let text = with_head("scopes:\n  admin: [unclosed\ngroups: {}\n");
    let e = the_error(&text);
    assert_eq!(e.code, "yaml-syntax");
    assert!(e.message.starts_with("invalid YAML: "), "{}", e.message);
    assert!(
        e.underlined.is_some(),
        "a syntax error must point somewhere"
    );
    let loaded = load(&text);
    let span = loaded.diags[0].span.unwrap();
    assert!(span.line >= 12, "{span:?}");
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut text =
        String::from("version: 1\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..30 {
        let p = i - 1;
        text.push_str(&format!(
            "x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    // No timing assertion (speed lives in benchmarks): a hang would time the test out, and an
    // expansion would run out of memory long before returning.
    let e = the_error(&text);
    assert_eq!(e.code, "yaml-syntax");
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let text = format!("version: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let e = the_error(&text);
    assert_eq!(e.code, "yaml-syntax");
}

#[test]
fn empty_file() {
    for text in ["", "# only a comment\n"] {
        let e = the_error(text);
        assert_eq!(e.code, "empty-file");
        assert_eq!(e.message, "the roles file is empty");
        assert!(e.help.unwrap().contains("`version: 1`"));
    }
}

#[test]
fn a_file_that_is_not_a_mapping_is_one_error() {
    let help = assert_error(
        "- version: 1\n",
        "wrong-type",
        "the roles file must be a mapping, found a list",
        "- version: 1",
    );
    assert_eq!(help, None);
}

// ---------------------------------------------------------------- several problems, warnings

#[test]
fn every_error_in_a_file_is_reported() {
    let text = with_head(
        "scopes:\n  admin: Admin\n  bad scope: X\ngroups:\n  Admin:\n    scopes: [admn]\n    includs: [X]\n  Editor:\n    includes: [Nobody]\nroutes:\n  get /a: [admin]\n  GET b: [admin]\n  GET /c: [nope]\n",
    )
    .replace("version: 1", "version: 3");
    let codes: Vec<(String, String)> = errors(&text)
        .into_iter()
        .map(|e| (e.code, e.underlined.unwrap_or_default()))
        .collect();
    let expect = [
        ("bad-version", "3"),
        ("bad-name", "bad scope"),
        ("unknown-scope", "admn"),
        ("unknown-key", "includs"),
        ("unknown-group", "Nobody"),
        ("bad-method", "get"),
        ("bad-path", "b"),
        ("unknown-scope", "nope"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(c, u)| (c.to_string(), u.to_string()))
        .collect();
    assert_eq!(codes, expect);
}

#[test]
fn warning_for_an_unused_scope() {
    let text = with_head(&VALID_TAIL.replace(
        "  readonly: Read everything\n",
        "  readonly: Read everything\n  reports: Sales reports\n",
    ));
    let w = warnings(&text);
    assert_eq!(
        w,
        vec![Seen {
            code: "unused-scope".into(),
            message: "no route uses scope `reports`".into(),
            underlined: Some("reports".into()),
            help: Some("add it to a route, or remove it".into()),
        }]
    );
}

#[test]
fn warning_for_a_group_that_grants_nothing() {
    let text = with_head(&VALID_TAIL.replace(
        "groups:\n",
        "groups:\n  Guest:\n    description: Signed-in users\n",
    ));
    let w = warnings(&text);
    assert_eq!(
        w,
        vec![Seen {
            code: "group-grants-nothing".into(),
            message: "group `Guest` grants no route beyond the public ones".into(),
            underlined: Some("Guest".into()),
            help: Some("give it a scope that a route uses, or include another group".into()),
        }]
    );
}

#[test]
fn a_file_with_only_warnings_yields_a_model() {
    let text = with_head(
        &VALID_TAIL
            .replace("groups:\n", "groups:\n  Guest:\n")
            .replace(
                "  readonly: Read everything\n",
                "  readonly: Read everything\n  unused: Nobody uses it\n",
            ),
    );
    let loaded = load(&text);
    assert_eq!(loaded.diags.len(), 2, "{:#?}", loaded.diags);
    assert!(loaded.diags.iter().all(|d| !d.is_error()));
    let model = loaded.model.expect("warnings do not block the model");
    assert!(model.group_by_name("Guest").is_some());
}

#[test]
fn no_spurious_warnings_next_to_errors() {
    // The route that would use `readonly` is broken; saying `readonly` is unused (or that
    // ReadOnly grants nothing) would send the user after the wrong problem.
    let text =
        with_head(&VALID_TAIL.replace("  GET /orders: [readonly]", "  GET orders: [readonly]"));
    let loaded = load(&text);
    assert!(
        loaded.diags.iter().all(|d| d.is_error()),
        "{:#?}",
        loaded.diags
    );
}

// ---------------------------------------------------------------- rendering

#[test]
fn rendered_error_shows_location_source_line_carets_and_help() {
    let text = with_head(&VALID_TAIL.replace("    scopes: [admin]", "    scopes: [admn]"));
    let loaded = load(&text);
    let d = &loaded.diags[0];
    let out = render(
        d,
        &Source {
            name: "roles.yaml",
            text: &text,
        },
        false,
    );
    let expected = "\
error[unknown-scope]: group `Admin` uses undefined scope `admn`
  --> roles.yaml:16:14
   |
16 |     scopes: [admn]
   |              ^^^^ not declared under `scopes`
  = help: did you mean `admin`?
";
    assert_eq!(out, expected);
}

#[test]
fn rendered_path_error_points_inside_the_route_key() {
    let text =
        with_head(&VALID_TAIL.replace("  DELETE /orders/{orderId}:", "  DELETE /orders/{orderId:"));
    let loaded = load(&text);
    let d = &loaded.diags[0];
    let out = render(
        d,
        &Source {
            name: "roles.yaml",
            text: &text,
        },
        false,
    );
    let expected = "\
error[bad-path]: segment `{orderId` opens `{` without closing it
  --> roles.yaml:23:18
   |
23 |   DELETE /orders/{orderId: [admin]
   |                  ^^^^^^^^ here
  = help: a variable is a whole segment: `{name}` or `{name+}`
";
    assert_eq!(out, expected);
}

#[test]
fn rendered_warning_and_color() {
    let text = with_head(&VALID_TAIL.replace("groups:\n", "groups:\n  Guest:\n"));
    let loaded = load(&text);
    let d = &loaded.diags[0];
    let plain = render(
        d,
        &Source {
            name: "x/roles.yaml",
            text: &text,
        },
        false,
    );
    assert!(
        plain.starts_with("warning[group-grants-nothing]: "),
        "{plain}"
    );
    assert!(plain.contains("--> x/roles.yaml:15:3"), "{plain}");
    let colored = render(
        d,
        &Source {
            name: "x/roles.yaml",
            text: &text,
        },
        true,
    );
    assert!(colored.contains("\x1b["), "{colored}");
    let stripped = strip_ansi(&colored);
    assert_eq!(stripped, plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn authenticated_routes_short_and_long_form() {
    let text = with_head(VALID_TAIL).replace(
        "routes:\n",
        "routes:\n  GET /me: authenticated\n  PUT /me:\n    authenticated: true\n",
    );
    let loaded = load(&text);
    let m = loaded.model.expect("valid");
    for key in ["GET /me", "PUT /me"] {
        let r = m.routes.iter().find(|r| r.key() == key).unwrap();
        assert_eq!(r.access, rolegen::model::Access::Authenticated, "{key}");
    }
    // Both `authenticated` and scopes (or `public`) is an error at `authenticated`.
    for other in ["scopes: [read]", "public: true"] {
        let bad = with_head(VALID_TAIL).replace(
            "routes:\n",
            &format!("routes:\n  PUT /me:\n    authenticated: true\n    {other}\n"),
        );
        let e = the_error(&bad);
        assert_eq!(e.code, "bad-route-value", "{e:#?}");
        assert!(e.message.contains("is `authenticated` and also"), "{e:#?}");
        assert_eq!(e.underlined.as_deref(), Some("true"));
    }
    let e = the_error(
        &with_head(VALID_TAIL)
            .replace("routes:\n", "routes:\n  PUT /me:\n    authenticated: yes\n"),
    );
    assert_eq!(e.code, "wrong-type", "{e:#?}");
}

#[test]
fn the_signed_in_scope_name_is_reserved() {
    let text = with_head(VALID_TAIL).replace("scopes:\n", "scopes:\n  authenticated: Mine\n");
    let e = errors(&text)
        .into_iter()
        .find(|e| e.code == "reserved")
        .expect("a `reserved` error");
    assert_eq!(e.message, "scope name `authenticated` is reserved");
    assert_eq!(e.underlined.as_deref(), Some("authenticated"));
}

/// `HEAD` with another strategy.
fn head_with(strategy: &str) -> String {
    HEAD.replace(
        "authorizer: cognito-scopes",
        &format!("authorizer: {strategy}"),
    )
}

/// `VALID_TAIL` with `extra` added at the end of `routes:` (indented as routes), and the
/// pool's domain that machine clients need.
fn routes_plus(strategy: &str, extra: &str) -> String {
    with_domain(&format!("{}{VALID_TAIL}{extra}", head_with(strategy)))
}

/// The file with `user_pool.domain` (machine clients get their tokens there).
fn with_domain(text: &str) -> String {
    let out = text.replacen(
        "  name: orders-users\n",
        "  name: orders-users\n  domain: orders-auth\n",
        1,
    );
    assert_ne!(out, text, "the head names the pool");
    out
}

#[test]
fn clients_and_match_are_valid_with_lambda_and_verified_permissions() {
    for strategy in ["lambda", "verified-permissions"] {
        let text = routes_plus(
            strategy,
            "  GET /users/{userId}/orders/{orderId}:\n    scopes: [readonly]\n    match: {userId: sub, orderId: \"custom:tenant\"}\n  GET /me/{name}:\n    authenticated: true\n    match: {name: \"cognito:username\"}\nclients:\n  nightly batch:\n    description: Reconciles orders\n    scopes: [readonly, admin]\n",
        );
        assert_eq!(errors(&text), vec![], "{strategy}");
    }
    // `cognito-scopes` takes clients (without `match`).
    let text = with_domain(&format!(
        "{HEAD}{VALID_TAIL}clients:\n  batch:\n    description: x\n    scopes: [admin]\n"
    ));
    assert_eq!(errors(&text), vec![]);
}

#[test]
fn a_client_scope_must_be_declared() {
    let text = routes_plus(
        "lambda",
        "clients:\n  batch:\n    description: nightly\n    scopes: [readonly, redonly]\n",
    );
    let help = assert_error(
        &text,
        "unknown-scope",
        "client `batch` uses undefined scope `redonly`",
        "redonly",
    );
    assert_eq!(help.as_deref(), Some("did you mean `readonly`?"));
}

#[test]
fn a_client_name_cognito_refuses() {
    let text = routes_plus(
        "lambda",
        "clients:\n  \"say\\\"hi\":\n    description: nightly\n    scopes: [readonly]\n",
    );
    let help = assert_error(
        &text,
        "bad-name",
        "client name `say\"hi` contains `\"`",
        "\"say\\\"hi\"",
    );
    assert_eq!(
        help.as_deref(),
        Some("AWS allows letters, digits, spaces and `+=,.@-`")
    );
}

#[test]
fn match_on_a_variable_the_path_lacks() {
    let text = routes_plus(
        "lambda",
        "  GET /users/{userId}:\n    scopes: [readonly]\n    match: {userid: sub}\n",
    );
    let help = assert_error(
        &text,
        "bad-match",
        "route `GET /users/{userId}` has no path variable `userid`",
        "userid",
    );
    assert_eq!(help.as_deref(), Some("did you mean `userId`?"));
    let text = routes_plus(
        "lambda",
        "  GET /users/{userId}/orders/{orderId}:\n    authenticated: true\n    match: {tenant: \"custom:tenant\"}\n",
    );
    let help = assert_error(
        &text,
        "bad-match",
        "route `GET /users/{userId}/orders/{orderId}` has no path variable `tenant`",
        "tenant",
    );
    assert_eq!(help.as_deref(), Some("expected one of `userId`, `orderId`"));
}

#[test]
fn match_with_cognito_scopes_names_the_strategies_that_can() {
    let text = routes_plus(
        "cognito-scopes",
        "  GET /users/{userId}:\n    scopes: [readonly]\n    match: {userId: sub}\n",
    );
    let help = assert_error(
        &text,
        "bad-match",
        "route `GET /users/{userId}` binds `{userId}` to a claim, which `cognito-scopes` cannot check",
        "sub",
    );
    assert_eq!(
        help.as_deref(),
        Some(
            "use `authorizer: lambda` or `authorizer: verified-permissions`, which compare the path with the verified token"
        )
    );
}

#[test]
fn match_on_a_public_route() {
    let text = routes_plus(
        "verified-permissions",
        "  GET /users/{userId}:\n    public: true\n    match: {userId: sub}\n",
    );
    let help = assert_error(
        &text,
        "bad-match",
        "route `GET /users/{userId}` is `public` and has a `match`",
        "{userId: sub}",
    );
    assert_eq!(
        help.as_deref(),
        Some("make the route `authenticated: true` or give it scopes")
    );
}

#[test]
fn match_with_an_unknown_claim() {
    for claim in ["email", "\"custom:\"", "\"cognito:groups\"", "Sub"] {
        let text = routes_plus(
            "lambda",
            &format!(
                "  GET /users/{{userId}}:\n    scopes: [readonly]\n    match: {{userId: {claim}}}\n"
            ),
        );
        let shown = claim.trim_matches('"');
        let help = assert_error(
            &text,
            "bad-match",
            &format!("`{shown}` is not a claim `match` can use"),
            claim,
        );
        assert_eq!(
            help.as_deref(),
            Some(
                "bind the variable to `sub` (the user's id), `cognito:username`, or a custom attribute such as `custom:tenant` (1 to 20 letters, digits, `_` or `-`)"
            ),
            "{claim}"
        );
    }
}
