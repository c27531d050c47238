//! Findings of the checking commands (`drift`, `diff`) and the formats they are printed in.
//!
//! A check is only useful where people look: a terminal, a CI log, a pull-request comment, the
//! code-scanning tab. So every checking command produces the same [`Finding`] (buf's
//! `FileAnnotation`: rule ID, severity, place, message) and one [`render`] turns a list of them
//! into any of the formats, instead of each command printing its own way.
//!
//! Rule IDs are stable (`RG1xx` drift, `RG2xx` diff): scripts, SARIF consumers and
//! suppressions key on them, so an ID is never reused for a different meaning.

use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// How bad a finding is. Ordered: `Note < Warning < Error`, so `>=` means "at least as bad".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What to print and when to fail, for every command that reports findings (`drift`,
/// `diff`): the two flags are defined once, here.
#[derive(clap::Args, Debug, Clone)]
pub struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = Severity::Error, value_name = "SEVERITY")]
    pub fail_on: Severity,
}

impl Output {
    /// Whether `findings` make the command exit 1.
    pub fn fails(&self, findings: &[Finding]) -> bool {
        fails(findings, self.fail_on)
    }
}

/// A place in a file: 1-based line and column. `line` 0 means "somewhere in this file".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// One thing a check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule ID, e.g. `RG101`.
    pub rule: &'static str,
    /// The rule's kebab-case name, e.g. `unprotected-route`.
    pub rule_name: &'static str,
    pub severity: Severity,
    /// The route concerned, `GET /orders/{orderId}`, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Lowercase, no final period, user input in backticks.
    pub message: String,
    /// Where to look: the `roles.yaml` line where one exists, else the other file's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// What a rule is, for SARIF's `tool.driver.rules` and for the README's rules table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    /// The severity the rule's findings usually have (SARIF `defaultConfiguration.level`).
    pub severity: Severity,
    /// One sentence: what the rule finds.
    pub summary: &'static str,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Findings grouped by rule, for a person at a terminal (colour only on a terminal).
    Text,
    /// One JSON object: tool, summary counts and the findings.
    Json,
    /// A Markdown table, for a pull-request comment.
    Markdown,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`), one per finding.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// What `render` needs to know besides the findings.
#[derive(Clone, Debug)]
pub struct ToolCtx<'a> {
    /// The command that produced the findings: `drift`, `diff`.
    pub command: &'a str,
    /// A short description of what was compared, for headings and summaries, e.g.
    /// "`roles.yaml` against `template.yaml`".
    pub subject: &'a str,
    /// Every rule the command can report (SARIF lists them all, found or not).
    pub rules: &'a [Rule],
    /// Colour the text format (the caller decides: only on a terminal unless asked).
    pub color: bool,
}

pub const TOOL_NAME: &str = "rolegen";
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Sorts findings the way every format shows them: worst first, then by file and line, then
/// by rule and route, so output never depends on the order the checks ran in.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| loc_key(a).cmp(&loc_key(b)))
            .then_with(|| a.rule.cmp(b.rule))
            .then_with(|| a.route.cmp(&b.route))
            .then_with(|| a.message.cmp(&b.message))
    });
}

fn loc_key(f: &Finding) -> (Option<&str>, u32, u32) {
    match &f.location {
        Some(l) => (Some(l.file.as_str()), l.line, l.column),
        None => (None, 0, 0),
    }
}

/// How many findings of each severity: `[notes, warnings, errors]`.
pub fn counts(findings: &[Finding]) -> [usize; 3] {
    let mut c = [0; 3];
    for f in findings {
        c[f.severity as usize] += 1;
    }
    c
}

/// Whether any finding is at least `level`: the "exit 1" test of `--fail-on`.
pub fn fails(findings: &[Finding], level: Severity) -> bool {
    findings.iter().any(|f| f.severity >= level)
}

/// "2 errors, 1 warning", "no findings".
pub fn summary(findings: &[Finding]) -> String {
    let [notes, warnings, errors] = counts(findings);
    let mut parts = Vec::new();
    for (n, word) in [(errors, "error"), (warnings, "warning"), (notes, "note")] {
        if n > 0 {
            parts.push(format!("{n} {word}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    }
}

/// Renders findings in `format`. The findings are shown in the order given: call [`sort`]
/// first for the canonical order.
pub fn render(findings: &[Finding], format: Format, ctx: &ToolCtx) -> String {
    match format {
        Format::Text => text(findings, ctx),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json_value(findings, ctx))
                .unwrap_or_else(|_| "{}".into());
            s.push('\n');
            s
        }
        Format::Markdown => markdown(findings, ctx),
        Format::Github => github(findings, ctx),
        Format::Sarif => {
            let mut s = serde_json::to_string_pretty(&sarif_value(findings, ctx))
                .unwrap_or_else(|_| "{}".into());
            s.push('\n');
            s
        }
    }
}

fn location_text(l: &Location) -> String {
    match (l.line, l.column) {
        (0, _) => l.file.clone(),
        (line, 0) => format!("{}:{line}", l.file),
        (line, col) => format!("{}:{line}:{col}", l.file),
    }
}

/// Groups by rule (worst rule first), one block per finding:
///
/// ```text
/// error[RG102] unprotected-route (1)
///   GET /orders: roles.yaml protects it with `api/readonly`, the API serves it with no authorization
///     --> roles.yaml:12:3
///     = help: ...
/// ```
fn text(findings: &[Finding], ctx: &ToolCtx) -> String {
    let (bold, red, yellow, cyan, blue, reset) = if ctx.color {
        (
            "\x1b[1m",
            "\x1b[1;31m",
            "\x1b[1;33m",
            "\x1b[1;36m",
            "\x1b[1;34m",
            "\x1b[0m",
        )
    } else {
        ("", "", "", "", "", "")
    };
    let sev_color = |s: Severity| match s {
        Severity::Error => red,
        Severity::Warning => yellow,
        Severity::Note => cyan,
    };
    // Rules in order of their worst finding, then ID; findings keep their given order.
    let mut rules: Vec<(&'static str, &'static str, Severity)> = Vec::new();
    for f in findings {
        match rules.iter_mut().find(|(id, _, _)| *id == f.rule) {
            Some(r) => r.2 = r.2.max(f.severity),
            None => rules.push((f.rule, f.rule_name, f.severity)),
        }
    }
    rules.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(b.0)));
    let mut out = String::new();
    for (id, name, worst) in &rules {
        let group: Vec<&Finding> = findings.iter().filter(|f| f.rule == *id).collect();
        let c = sev_color(*worst);
        let _ = writeln!(
            out,
            "{c}{}[{id}]{reset} {bold}{name}{reset} ({})",
            worst.as_str(),
            group.len()
        );
        for f in group {
            let sev = if f.severity == *worst {
                String::new()
            } else {
                format!("{}{}{reset}: ", sev_color(f.severity), f.severity.as_str())
            };
            match &f.route {
                Some(r) => {
                    let _ = writeln!(out, "  {sev}{bold}{r}{reset}: {}", f.message);
                }
                None => {
                    let _ = writeln!(out, "  {sev}{}", f.message);
                }
            }
            if let Some(l) = &f.location {
                let _ = writeln!(out, "    {blue}-->{reset} {}", location_text(l));
            }
            if let Some(h) = &f.help {
                let _ = writeln!(out, "    {blue}={reset} {bold}help{reset}: {h}");
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{bold}{} {}{reset}: {}",
        TOOL_NAME,
        ctx.command,
        if ctx.subject.is_empty() {
            summary(findings)
        } else {
            format!("{}: {}", ctx.subject, summary(findings))
        }
    );
    out
}

fn json_value(findings: &[Finding], ctx: &ToolCtx) -> Value {
    let [notes, warnings, errors] = counts(findings);
    json!({
        "tool": TOOL_NAME,
        "version": env!("CARGO_PKG_VERSION"),
        "command": ctx.command,
        "subject": ctx.subject,
        "summary": { "error": errors, "warning": warnings, "note": notes },
        "findings": findings,
    })
}

use crate::markdown::{code_span as md_code, escape as md_cell};

fn markdown(findings: &[Finding], ctx: &ToolCtx) -> String {
    let mut out = String::new();
    let subject = if ctx.subject.is_empty() {
        String::new()
    } else {
        format!(" {}", md_cell(ctx.subject))
    };
    let _ = writeln!(
        out,
        "### {TOOL_NAME} {}{subject}: {}\n",
        ctx.command,
        summary(findings)
    );
    if findings.is_empty() {
        return out;
    }
    out.push_str("| Severity | Rule | Route | Finding | Location |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    for f in findings {
        let icon = match f.severity {
            Severity::Error => "🔴 error",
            Severity::Warning => "🟡 warning",
            Severity::Note => "🔵 note",
        };
        let route = f.route.as_deref().map(md_code).unwrap_or_default();
        // Escaped text, with the help after a line break a table cell allows.
        let mut msg = md_cell(&f.message);
        if let Some(h) = &f.help {
            let _ = write!(msg, "<br>_help_: {}", md_cell(h));
        }
        let loc = f
            .location
            .as_ref()
            .map(|l| md_code(&location_text(l)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {icon} | {} `{}` | {route} | {msg} | {loc} |",
            f.rule, f.rule_name
        );
    }
    out
}

/// GitHub workflow-command escaping: data escapes `%`, CR, LF; property values also `:` and `,`.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(findings: &[Finding], ctx: &ToolCtx) -> String {
    let mut out = String::new();
    for f in findings {
        let cmd = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(l) = &f.location {
            props.push(format!("file={}", gh_prop(&l.file)));
            if l.line > 0 {
                props.push(format!("line={}", l.line));
                if l.column > 0 {
                    props.push(format!("col={}", l.column));
                }
            }
        }
        // Roles-file diagnostics have one name, their code.
        let title = if f.rule == f.rule_name {
            f.rule.to_string()
        } else {
            format!("{} {}", f.rule, f.rule_name)
        };
        props.push(format!("title={}", gh_prop(&title)));
        let mut msg = match &f.route {
            Some(r) => format!("{r}: {}", f.message),
            None => f.message.clone(),
        };
        if let Some(h) = &f.help {
            let _ = write!(msg, "\nhelp: {h}");
        }
        let _ = writeln!(out, "::{cmd} {}::{}", props.join(","), gh_data(&msg));
    }
    let _ = writeln!(
        out,
        "{TOOL_NAME} {}: {}",
        ctx.command,
        if ctx.subject.is_empty() {
            summary(findings)
        } else {
            format!("{}: {}", ctx.subject, summary(findings))
        }
    );
    out
}

/// A relative path as a SARIF `uri` (a URI reference): '/'-separated, with the few
/// characters that cannot stand in a URI percent-encoded.
fn sarif_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn sarif_value(findings: &[Finding], ctx: &ToolCtx) -> Value {
    // Rules the command declares, plus any rule a finding names that is not declared (so a
    // result's ruleIndex always points somewhere).
    let mut rules: Vec<Rule> = ctx.rules.to_vec();
    for f in findings {
        if !rules.iter().any(|r| r.id == f.rule) {
            rules.push(Rule {
                id: f.rule,
                name: f.rule_name,
                severity: f.severity,
                summary: f.rule_name,
            });
        }
    }
    let rules_json: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "defaultConfiguration": { "level": r.severity.as_str() },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = rules.iter().position(|r| r.id == f.rule).unwrap_or(0);
            let mut text = match &f.route {
                Some(r) => format!("{r}: {}", f.message),
                None => f.message.clone(),
            };
            if let Some(h) = &f.help {
                let _ = write!(text, " (help: {h})");
            }
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": f.severity.as_str(),
                "message": { "text": text },
            });
            if let Some(l) = &f.location {
                let mut phys = json!({ "artifactLocation": { "uri": sarif_uri(&l.file) } });
                if l.line > 0 {
                    let mut region = json!({ "startLine": l.line });
                    if l.column > 0 {
                        region["startColumn"] = l.column.into();
                    }
                    phys["region"] = region;
                }
                let mut loc = json!({ "physicalLocation": phys });
                if let Some(r) = &f.route {
                    loc["logicalLocations"] = json!([{ "name": r, "kind": "resource" }]);
                }
                result["locations"] = json!([loc]);
            }
            if let Some(r) = &f.route {
                // Code scanning tracks a result across commits by its fingerprint; the line
                // moves as roles.yaml is edited, the rule and route do not.
                result["partialFingerprints"] =
                    json!({ "rolegenRoute/v1": format!("{}:{}", f.rule, r) });
                result["properties"] = json!({ "route": r });
            }
            result
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": TOOL_NAME,
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules_json,
                }
            },
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[Rule] = &[
        Rule {
            id: "RG901",
            name: "test-error",
            severity: Severity::Error,
            summary: "a test rule",
        },
        Rule {
            id: "RG902",
            name: "test-warning",
            severity: Severity::Warning,
            summary: "another test rule",
        },
    ];

    fn sample() -> Vec<Finding> {
        let mut v = vec![
            Finding {
                rule: "RG902",
                rule_name: "test-warning",
                severity: Severity::Warning,
                route: Some("GET /a|b/{id}".into()),
                message: "scopes differ: `x`, 100%".into(),
                location: Some(Location {
                    file: "dir name/roles.yaml".into(),
                    line: 7,
                    column: 3,
                }),
                help: Some("line one\nline two".into()),
            },
            Finding {
                rule: "RG901",
                rule_name: "test-error",
                severity: Severity::Error,
                route: None,
                message: "bad".into(),
                location: None,
                help: None,
            },
        ];
        sort(&mut v);
        v
    }

    fn ctx() -> ToolCtx<'static> {
        ToolCtx {
            command: "drift",
            subject: "`roles.yaml` against `api.json`",
            rules: RULES,
            color: false,
        }
    }

    #[test]
    fn sorted_worst_first_and_counted() {
        let f = sample();
        assert_eq!(f[0].rule, "RG901");
        assert_eq!(counts(&f), [0, 1, 1]);
        assert_eq!(summary(&f), "1 error, 1 warning");
        assert!(fails(&f, Severity::Error));
        assert!(!fails(&f[1..], Severity::Error));
        assert!(fails(&f[1..], Severity::Warning));
    }

    #[test]
    fn text_groups_by_rule_without_colour() {
        let t = render(&sample(), Format::Text, &ctx());
        assert!(!t.contains('\x1b'));
        let err = t.find("error[RG901] test-error (1)").unwrap();
        let warn = t.find("warning[RG902] test-warning (1)").unwrap();
        assert!(err < warn, "{t}");
        assert!(t.contains("    --> dir name/roles.yaml:7:3"), "{t}");
        assert!(t.ends_with("1 error, 1 warning\n"), "{t}");
        let c = render(
            &sample(),
            Format::Text,
            &ToolCtx {
                color: true,
                ..ctx()
            },
        );
        assert!(c.contains("\x1b[1;31merror[RG901]"), "{c}");
    }

    #[test]
    fn github_escapes_properties_and_data() {
        let g = render(&sample(), Format::Github, &ctx());
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(lines[0], "::error title=RG901 test-error::bad");
        assert_eq!(
            lines[1],
            "::warning file=dir name/roles.yaml,line=7,col=3,title=RG902 test-warning::GET /a|b/{id}: scopes differ: `x`, 100%25%0Ahelp: line one%0Aline two"
        );
    }

    #[test]
    fn markdown_cells_are_escaped() {
        let m = render(&sample(), Format::Markdown, &ctx());
        assert!(m.contains("| Severity | Rule | Route | Finding | Location |"));
        assert!(m.contains("`GET /a\\|b/{id}`"), "{m}");
        assert!(m.contains("_help_: line one line two"), "{m}");
        // Every table row has the same number of unescaped pipes.
        for row in m.lines().filter(|l| l.starts_with('|')) {
            assert_eq!(row.replace("\\|", "").matches('|').count(), 6, "{row}");
        }
    }

    #[test]
    fn sarif_shape() {
        let s: Value = serde_json::from_str(&render(&sample(), Format::Sarif, &ctx())).unwrap();
        let run = &s["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][1]["id"], "RG902");
        let r = &run["results"][1];
        assert_eq!(r["ruleId"], "RG902");
        assert_eq!(r["ruleIndex"], 1);
        assert_eq!(r["level"], "warning");
        let phys = &r["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "dir%20name/roles.yaml");
        assert_eq!(phys["region"]["startLine"], 7);
        assert!(run["results"][0].get("locations").is_none());
    }

    #[test]
    fn json_has_summary() {
        let j: Value = serde_json::from_str(&render(&sample(), Format::Json, &ctx())).unwrap();
        assert_eq!(j["summary"]["error"], 1);
        assert_eq!(j["findings"][1]["location"]["line"], 7);
        assert_eq!(j["findings"][0]["rule_name"], "test-error");
    }
}
