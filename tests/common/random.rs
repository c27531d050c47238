//! Shared parts of the seeded random judges (`tests/lambda_exact.rs`, `tests/scopes_exact.rs`):
//! the PRNG, the hostile names their roles files draw from, the environment knobs, the reading
//! of a template's resource references and the keeping of failing files. Written from README's
//! roles.yaml reference and AWS's documentation like the judges themselves: nothing here comes
//! from `src/`, so each judge stays independent of what it judges.
#![allow(dead_code)]

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// A seeded PRNG (SplitMix64): small, and the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The generator of file `i` of a corpus drawn with `seed`.
    pub fn for_file(seed: u64, i: usize) -> Rng {
        Rng::new(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next_u64() % n as u64) as usize
    }

    /// Inclusive range.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    /// `k` distinct indices below `n`, in random order (a whole shuffle, then the first `k`).
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        self.shuffle(&mut v);
        v.truncate(k.min(n));
        v
    }

    /// `k` distinct indices below `n`, in random order, drawing only `k` numbers (a partial
    /// shuffle from the front). Another sequence than [`Rng::sample`] for the same seed: each
    /// judge keeps the one its seeds were chosen with, so a seed names the same corpus as before.
    pub fn sample_partial(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        all.truncate(k.min(n));
        all
    }

    pub fn alnum(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n).map(|_| *self.pick(alphabet) as char).collect()
    }
}

/// Scope names Cognito's resource server accepts (no space, `"`, `\` or `/`), many of them
/// traps for code and patterns. Each judge adds names of its own concern.
pub const HOSTILE_SCOPES: &[&str] = &[
    "read",
    "write",
    "admin",
    "orders.write",
    "reports.read",
    "a:b",
    "x*y",
    "q?",
    "s$1",
    "{s}",
    "__proto__",
    "constructor",
    "toString",
    "Read",
    "READ",
    "a-b_c",
    "~",
    "!",
    "%20",
    "<script>",
    "'",
    "public",
    "#x",
    "[0]",
    "*",
];

/// Machine client names: Cognito's `ClientName` allows word characters, spaces and
/// `+=,.@-`, so these are the hostile ones it takes (plus names equal to groups and scopes).
/// Each judge may add names of its own concern.
pub const HOSTILE_CLIENTS: &[&str] = &[
    "batch",
    "nightly batch",
    "a+b=c,d.e@f-g",
    "Admin",
    "read",
    "__proto__",
    "constructor",
    "Über ümlaut",
    "管理者",
    "-",
    "1",
    "x y z",
];

/// `names` followed by `extra`: a judge's pool of hostile names.
pub fn pool(names: &[&'static str], extra: &[&'static str]) -> Vec<&'static str> {
    [names, extra].concat()
}

/// A number from the environment (decimal or `0x…`, `_` allowed), or `default` when unset.
pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Err(_) => default,
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
                None => s.replace('_', "").parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={s:?} is not a number"))
        }
    }
}

/// A resource reference in a template, as CloudFormation resolves it: `{Ref: X}` → `Some(X)`;
/// the API's root (`Fn::GetAtt [RestApi, RootResourceId]`, either spelling) → `None`.
pub fn resource_ref(v: &Value) -> Result<Option<String>, String> {
    if let Some(r) = v.get("Ref").and_then(Value::as_str) {
        return Ok(Some(r.to_string()));
    }
    match v.get("Fn::GetAtt") {
        Some(Value::Array(a)) if a.len() == 2 && a[1] == "RootResourceId" => Ok(None),
        Some(Value::String(s)) if s.ends_with(".RootResourceId") => Ok(None),
        _ => Err(format!("unexpected resource reference {v}")),
    }
}

/// Each `AWS::ApiGateway::Resource` of a template with its parent and `PathPart`, to rebuild a
/// method's path as API Gateway does: from its resource up to the API's root.
pub struct ResourcePaths(HashMap<String, (Option<String>, String)>);

impl ResourcePaths {
    /// Reads every `AWS::ApiGateway::Resource` of `resources` (a template's `Resources`).
    pub fn read(resources: &Map<String, Value>) -> Result<ResourcePaths, String> {
        let mut parents = HashMap::new();
        for (id, r) in resources {
            if r["Type"] != "AWS::ApiGateway::Resource" {
                continue;
            }
            let p = &r["Properties"];
            let part = p["PathPart"].as_str().ok_or("resource without PathPart")?;
            parents.insert(
                id.clone(),
                (resource_ref(&p["ParentId"])?, part.to_string()),
            );
        }
        Ok(ResourcePaths(parents))
    }

    /// The path of resource `id` (`None`: the root, `/`).
    pub fn path_of(&self, mut id: Option<String>) -> Result<String, String> {
        let mut parts = Vec::new();
        while let Some(i) = id {
            let (parent, part) = self.0.get(&i).ok_or(format!("no resource {i}"))?;
            parts.push(part.clone());
            id = parent.clone();
            if parts.len() > 64 {
                return Err("resource cycle".into());
            }
        }
        parts.reverse();
        Ok(format!("/{}", parts.join("/")))
    }
}

/// Copies each failing file's `dir/<file>/roles.json` to `target/tmp/<into>/<seed>-<file>.json`,
/// so that a failure outlives the scratch folder, and names each copy in `report`.
pub fn keep_failing_files<'a>(
    dir: &Path,
    into: &str,
    seed: u64,
    files: impl IntoIterator<Item = &'a String>,
    report: &mut String,
) {
    let keep = super::tools_dir().parent().unwrap().join("tmp").join(into);
    fs::create_dir_all(&keep).unwrap();
    for f in files {
        let dst = keep.join(format!("{seed:x}-{f}.json"));
        let _ = fs::copy(dir.join(f).join("roles.json"), &dst);
        let _ = writeln!(report, "  saved {}", dst.display());
    }
}
