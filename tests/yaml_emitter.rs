//! The YAML emitter behind `cfn` and `openapi` (`gen::yaml`), checked by the readers that
//! consume its output: serde-saphyr (rolegen's own reader, `drift`) and PyYAML (what cfn-lint
//! and openapi-spec-validator read with). Every tricky string goes in as a key, as a value and
//! as a sequence item, and must come back as the same JSON value.

mod common;

use common::{python, scratch};
use rolegen::r#gen::yaml;
use serde_json::{Map, Value, json};
use std::fs;
use std::process::Command;

/// Strings a YAML reader could take for something else, or that need escapes.
const TRICKY: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "N",
    "True",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "~",
    "",
    "1e3",
    "1E3",
    "0x1F",
    "0o17",
    "017",
    "1_000",
    "3.0.1",
    "1.5",
    ".5",
    "-1",
    "+1",
    ".inf",
    "-.inf",
    ".nan",
    "nan",
    "inf",
    "2001-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "1:30",
    "190:20:30",
    ":",
    "a:",
    "a: b",
    "a:b",
    "- x",
    "-x",
    "-",
    "?",
    "? x",
    "#x",
    "a #x",
    "a#x",
    "\"",
    "'",
    "\\",
    "a\nb",
    "\n",
    "a\tb",
    "\r\n",
    "a\u{2028}b",
    "\u{2029}",
    "\u{85}",
    "\u{feff}x",
    "\u{1}",
    "\u{7f}",
    "\u{fffe}",
    "ünïcödé",
    "名前",
    "🎉",
    " x",
    "x ",
    " ",
    "*a",
    "&a",
    "!t",
    "!!str",
    "%YAML",
    "@x",
    "`x`",
    "{",
    "}",
    "[",
    "]",
    "{a: 1}",
    "[1, 2]",
    ",",
    "a,b",
    "|",
    ">",
    "<<",
    "=",
    "---",
    "...",
    "--- x",
    "/a/{b}/{c+}",
    "$x",
    "${AWS::Region}",
    "arn:${AWS::Partition}:lambda",
    "(x)",
    "a b",
    "a  b",
    "a: ",
    "x\"y",
    "x'y",
    "{\"statusCode\": 200}",
    "200",
    "0",
    "12e03",
    "0b10",
    "Fn::GetAtt",
    "../x",
    "./x",
    ".../x",
    "..",
    ".",
    "./",
    "a\u{0}b",
    "a\u{1b}b",
    "a\rb",
];

/// Every tricky string as a key, as a value and in a sequence, and containers nested every
/// way the emitter lays them out.
fn tricky_document() -> Value {
    let keys: Map<String, Value> = TRICKY
        .iter()
        .enumerate()
        .map(|(i, s)| ((*s).to_string(), json!(i)))
        .collect();
    let values: Map<String, Value> = TRICKY
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("v{i}"), json!(s)))
        .collect();
    json!({
        "keys": keys,
        "values": values,
        "list": TRICKY,
        "nested": [[["a", "b"], []], {}, [{}], { "x": [], "y": {}, "z": [[1, 2.5], { "q": null }] }],
        "maps_in_lists": [{ "a": 1, "b": [true, false] }, { "c": { "d": "e", "f": ["g"] } }],
        "numbers": [0, -1, 1.5, 1e300, -2.5e-300, u64::MAX, i64::MIN],
    })
}

#[test]
fn tricky_strings_read_back_unchanged_by_serde_saphyr_and_pyyaml() {
    let doc = tricky_document();
    let text = yaml::to_string(&doc);
    let back: Value = serde_saphyr::from_str(&text).expect("emitted YAML parses");
    assert_eq!(back, doc, "serde-saphyr read something else from:\n{text}");

    // Each string alone as a document too: a top-level scalar is read with fewer context
    // clues than a value under a key.
    let dir = scratch("yaml-emitter");
    let mut files = vec![dir.join("doc.yaml")];
    fs::write(&files[0], &text).unwrap();
    for (i, s) in TRICKY.iter().enumerate() {
        let one = yaml::to_string(&json!(s));
        let back: Value = serde_saphyr::from_str(&one).expect("scalar document parses");
        assert_eq!(
            back,
            json!(s),
            "serde-saphyr read something else from: {one}"
        );
        let f = dir.join(format!("s{i}.yaml"));
        fs::write(&f, &one).unwrap();
        files.push(f);
    }

    // One Python process for every file: JSON lines out, one per document.
    let script = "import json, sys, yaml\n\
                  for f in sys.argv[1:]:\n    \
                  print(json.dumps(yaml.safe_load(open(f, encoding='utf-8'))))\n";
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "PyYAML failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("python printed JSON"))
        .collect();
    assert_eq!(lines.len(), files.len());
    assert_eq!(lines[0], doc, "PyYAML read something else from:\n{text}");
    for (s, back) in TRICKY.iter().zip(&lines[1..]) {
        assert_eq!(back, &json!(s), "PyYAML read something else for {s:?}");
    }
}
