//! The `lambda` strategy's authorizer: a Node.js 22 Lambda TOKEN authorizer that verifies the
//! caller's Cognito ID token and answers with an IAM policy for every route the caller's
//! groups may call, computed from a table that is embedded in its code.
//!
//! API Gateway caches that policy per token and applies it to the caller's next requests, so
//! the policy must cover all of the caller's routes, not just the one being called. And in an
//! `execute-api` ARN, `*` also matches `/`: the pattern that allows `GET /orders/{id}`
//! (`GET/orders/*`) also matches `GET /orders/1/secret`. So the table is not a plain
//! group → routes list. At generation time this module works out, exactly, which declared
//! routes each candidate pattern covers (all of the route's requests match it) and reaches
//! (some of them match it); the handler then only combines bitsets: it picks the most general
//! patterns whose stray reach can be cut off with explicit `Deny` statements that touch no
//! allowed route. When some combination of groups could not be expressed that way, generation
//! fails with a diagnostic instead of writing a policy that differs from the access matrix.
//!
//! `Table::policy` is the same algorithm as the handler's, in Rust: it checks every
//! combination of groups that matters at generation time and measures policy sizes.

use super::Files;
use super::text::{js_literal, render};
use crate::diag::Diagnostic;
use crate::model::{Access, GroupId, Method, Model, Path, Route, RouteId, Segment};
use fixedbitset::FixedBitSet;
use serde_json::{Value, json};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::ops::Range;

pub const HANDLER: &str = "authorizer/index.mjs";
pub const PACKAGE_JSON: &str = "authorizer/package.json";
pub const PACKAGE_LOCK: &str = "authorizer/package-lock.json";

/// The token verification library the handler imports, pinned, with its npm integrity hash
/// so that `npm ci` installs exactly the code that was tested.
pub const AWS_JWT_VERIFY_VERSION: &str = "5.2.1";
const AWS_JWT_VERIFY_INTEGRITY: &str = "sha512-J+buA4M+qvQDk58WXFBLkDodkEX3DDL1ac5XFQPW3opxAsaLXYu5hYnlSHsaBRDBUXBAn695kE/cw/mdyJKwJg==";

/// A long but real ARN prefix (region, account, API id, stage come from `methodArn` at run
/// time), used to state policy sizes in bytes.
pub fn sample_arn_prefix(stage: &str) -> String {
    format!("arn:aws:execute-api:ap-southeast-2:123456789012:abcdefghij/{stage}/")
}

/// How many distinct allowed-route sets `largest_policy` builds a policy for before it stops
/// widening the combinations it tries.
const MAX_COMBINATIONS: usize = 2048;

/// How many routes that cannot be denied `generate` reports one by one.
const MAX_CONFLICTS: usize = 20;

// ---------------------------------------------------------------------------------------------
// Languages of ARN suffixes (`GET/orders/1`), and the exact questions asked about them.
// ---------------------------------------------------------------------------------------------

/// The characters one item of a language matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Byte(u8),
    /// Any character, `/` included: IAM's `*` and `?`, and a greedy path variable.
    Any,
    /// Any character but `/`: a `{var}` path variable.
    NotSlash,
}

/// One item: a class, once or any number of times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Item {
    class: Class,
    star: bool,
}

type Lang = Vec<Item>;

/// A byte no pattern or path contains: stands for "any other character" in searches.
const OTHER: u8 = 0x01;
/// What a path variable is when a route is written out symbolically: only IAM's `*` can
/// match it, which is exactly "every value of the variable matches".
const HOLE: u8 = 0x00;

fn compatible(a: Class, b: Class) -> bool {
    match (a, b) {
        (Class::Byte(x), Class::Byte(y)) => x == y,
        (Class::Byte(x), Class::NotSlash) | (Class::NotSlash, Class::Byte(x)) => x != b'/',
        _ => true,
    }
}

fn matches(c: Class, byte: u8) -> bool {
    match c {
        Class::Byte(x) => x == byte,
        Class::Any => true,
        Class::NotSlash => byte != b'/',
    }
}

/// An IAM resource pattern (`*` any run of characters, `?` one character).
fn pattern_lang(p: &str) -> Lang {
    p.bytes()
        .map(|b| match b {
            b'*' => Item {
                class: Class::Any,
                star: true,
            },
            b'?' => Item {
                class: Class::Any,
                star: false,
            },
            b => Item {
                class: Class::Byte(b),
                star: false,
            },
        })
        .collect()
}

/// Every ARN suffix a request to `path` with verb `verb` can have: a `{var}` is one or more
/// characters without `/`, a `{var+}` one or more characters of any kind.
fn route_lang(verb: &str, path: &Path) -> Lang {
    let byte = |b| Item {
        class: Class::Byte(b),
        star: false,
    };
    let mut l: Lang = verb.bytes().map(byte).collect();
    l.push(byte(b'/'));
    for (i, seg) in path.segments.iter().enumerate() {
        if i > 0 {
            l.push(byte(b'/'));
        }
        match seg {
            Segment::Literal(s) => l.extend(s.bytes().map(byte)),
            Segment::Var(_) | Segment::Greedy(_) => {
                let class = if matches!(seg, Segment::Var(_)) {
                    Class::NotSlash
                } else {
                    Class::Any
                };
                l.push(Item { class, star: false });
                l.push(Item { class, star: true });
            }
        }
    }
    l
}

/// The route written out with each variable as one `HOLE`.
fn route_symbolic(verb: &str, path: &Path) -> Vec<u8> {
    let mut s: Vec<u8> = verb.as_bytes().to_vec();
    s.push(b'/');
    for (i, seg) in path.segments.iter().enumerate() {
        if i > 0 {
            s.push(b'/');
        }
        match seg {
            Segment::Literal(l) => s.extend_from_slice(l.as_bytes()),
            Segment::Var(_) | Segment::Greedy(_) => s.push(HOLE),
        }
    }
    s
}

/// The bytes every word of the language starts with.
fn literal_prefix(l: &Lang) -> Vec<u8> {
    l.iter()
        .map_while(|i| match (i.class, i.star) {
            (Class::Byte(b), false) => Some(b),
            _ => None,
        })
        .collect()
}

fn prefixes_agree(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Whether some word is in both languages: a search over pairs of positions.
fn intersects(a: &Lang, b: &Lang, seen: &mut Vec<bool>) -> bool {
    let w = b.len() + 1;
    seen.clear();
    seen.resize((a.len() + 1) * w, false);
    let mut stack = vec![(0usize, 0usize)];
    seen[0] = true;
    while let Some((i, j)) = stack.pop() {
        if i == a.len() && j == b.len() {
            return true;
        }
        let mut next = |i: usize, j: usize, stack: &mut Vec<(usize, usize)>| {
            if !seen[i * w + j] {
                seen[i * w + j] = true;
                stack.push((i, j));
            }
        };
        if i < a.len() && a[i].star {
            next(i + 1, j, &mut stack);
        }
        if j < b.len() && b[j].star {
            next(i, j + 1, &mut stack);
        }
        if i < a.len() && j < b.len() && compatible(a[i].class, b[j].class) {
            let ni = if a[i].star { i } else { i + 1 };
            let nj = if b[j].star { j } else { j + 1 };
            if (ni, nj) != (i, j) {
                next(ni, nj, &mut stack);
            }
        }
    }
    false
}

/// The positions of `l` reachable from `set` without reading a character.
fn closure(l: &Lang, set: &mut FixedBitSet) {
    // In order: a run of starred items is crossed in one pass.
    for (i, item) in l.iter().enumerate() {
        if item.star && set.contains(i) {
            set.insert(i + 1);
        }
    }
}

fn step(l: &Lang, set: &FixedBitSet, byte: u8) -> FixedBitSet {
    let mut out = FixedBitSet::with_capacity(l.len() + 1);
    for i in set.ones() {
        if i < l.len() && matches(l[i].class, byte) {
            out.insert(if l[i].star { i } else { i + 1 });
        }
    }
    closure(l, &mut out);
    out
}

/// Whether some word is in every language of `pos` and in none of `neg`: a search over the
/// subset automata, with one representative for every character no language names.
fn exists(pos: &[&Lang], neg: &[&Lang]) -> bool {
    let langs: Vec<&Lang> = pos.iter().chain(neg).copied().collect();
    let mut alphabet: Vec<u8> = vec![b'/', OTHER];
    for l in &langs {
        for i in l.iter() {
            if let Class::Byte(b) = i.class {
                alphabet.push(b);
            }
        }
    }
    alphabet.sort_unstable();
    alphabet.dedup();
    if langs.iter().all(|l| l.len() < 128) {
        exists_small(&langs, pos.len(), &alphabet)
    } else {
        exists_large(&langs, pos.len(), &alphabet)
    }
}

/// A fast hasher for the searches' state sets (the standard one is built to resist crafted
/// keys, which these are not, and dominated the searches' time).
#[derive(Default)]
struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastSet<T> = HashSet<T, std::hash::BuildHasherDefault<FastHasher>>;

/// `exists` with each language's set of positions in a `u128`: the common case.
///
/// Reading a character moves a position `i` to the same set whatever the character (`i`
/// itself under a star, else `i + 1`, then closed); the character only decides which positions
/// can move. So each language keeps one successor set per position, and each character one
/// mask per language; characters with the same masks everywhere are one character here.
/// States live in one flat array and are visited in order, so the search allocates only when
/// it meets a new state.
fn exists_small(langs: &[&Lang], n_pos: usize, alphabet: &[u8]) -> bool {
    let close = |l: &Lang, mut set: u128| {
        for (i, item) in l.iter().enumerate() {
            if item.star && set & (1 << i) != 0 {
                set |= 1 << (i + 1);
            }
        }
        set
    };
    let w = langs.len();
    // succ[k][i]: the positions of language k after position i reads a character it matches.
    let succ: Vec<Vec<u128>> = langs
        .iter()
        .map(|l| {
            (0..l.len())
                .map(|i| close(l, 1 << if l[i].star { i } else { i + 1 }))
                .collect()
        })
        .collect();
    // One mask row (the positions that match the character, per language) per distinct row.
    let mut masks: Vec<u128> = Vec::new();
    let mut row = vec![0u128; w];
    for &c in alphabet {
        for (k, l) in langs.iter().enumerate() {
            row[k] = l
                .iter()
                .enumerate()
                .filter(|(_, item)| matches(item.class, c))
                .fold(0, |m, (i, _)| m | 1 << i);
        }
        if !masks.chunks_exact(w).any(|m| m == row.as_slice()) {
            masks.extend_from_slice(&row);
        }
    }
    let accept: Vec<u128> = langs.iter().map(|l| 1 << l.len()).collect();
    let accepting = |state: &[u128]| {
        state
            .iter()
            .zip(&accept)
            .enumerate()
            .all(|(k, (s, a))| (s & a != 0) == (k < n_pos))
    };
    let start: Vec<u128> = langs.iter().map(|l| close(l, 1)).collect();
    if accepting(&start) {
        return true;
    }
    let mut seen: FastSet<Box<[u128]>> = FastSet::default();
    let mut states: Vec<u128> = start.clone();
    seen.insert(start.into_boxed_slice());
    let mut next = vec![0u128; w];
    let mut at = 0;
    while at < states.len() {
        'chars: for mask in masks.chunks_exact(w) {
            for k in 0..w {
                let mut rest = states[at + k] & mask[k];
                let mut out = 0u128;
                while rest != 0 {
                    out |= succ[k][rest.trailing_zeros() as usize];
                    rest &= rest - 1;
                }
                if out == 0 && k < n_pos {
                    continue 'chars;
                }
                next[k] = out;
            }
            if !seen.contains(next.as_slice()) {
                if accepting(&next) {
                    return true;
                }
                seen.insert(next.clone().into_boxed_slice());
                states.extend_from_slice(&next);
            }
        }
        at += w;
    }
    false
}

fn exists_large(langs: &[&Lang], n_pos: usize, alphabet: &[u8]) -> bool {
    let start: Vec<FixedBitSet> = langs
        .iter()
        .map(|l| {
            let mut s = FixedBitSet::with_capacity(l.len() + 1);
            s.insert(0);
            closure(l, &mut s);
            s
        })
        .collect();
    let accepting = |state: &[FixedBitSet]| {
        state
            .iter()
            .zip(langs)
            .enumerate()
            .all(|(k, (s, l))| s.contains(l.len()) == (k < n_pos))
    };
    let mut seen: HashSet<Vec<FixedBitSet>> = HashSet::new();
    let mut queue = VecDeque::new();
    seen.insert(start.clone());
    queue.push_back(start);
    while let Some(state) = queue.pop_front() {
        if accepting(&state) {
            return true;
        }
        for &c in alphabet {
            let next: Vec<FixedBitSet> = state
                .iter()
                .zip(langs)
                .map(|(s, l)| step(l, s, c))
                .collect();
            if next[..n_pos].iter().any(|s| s.is_clear()) {
                continue;
            }
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    false
}

/// Whether IAM pattern `p` matches the symbolic route `s`, a `HOLE` matching only inside a
/// `*`: then every request of the route matches `p`. (Exact for patterns whose `?` are not
/// needed to match variables, as all of rolegen's are; otherwise it can only say no.)
fn glob_covers(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            back = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && (p[pi] == s[si] || p[pi] == b'?') && s[si] != HOLE {
            pi += 1;
            si += 1;
        } else if let Some((bp, bs)) = back {
            pi = bp + 1;
            si = bs + 1;
            back = Some((bp, bs + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Route languages keyed by their literal prefix (`GET/orders/`), so that a pattern is only
/// tested against the routes it could touch: two languages share a word only if their literal
/// prefixes agree (one starts with the other). Without it, measuring every candidate pattern
/// against every route is quadratic, and generation took minutes at a few thousand routes.
struct PrefixIndex {
    /// Sorted by key.
    sorted: Vec<(Vec<u8>, usize)>,
    exact: HashMap<Vec<u8>, Vec<usize>>,
    /// The verbs in keys, for patterns whose verb is `?…?`.
    verbs: Vec<Vec<u8>>,
}

impl PrefixIndex {
    fn new(mut entries: Vec<(Vec<u8>, usize)>) -> PrefixIndex {
        entries.sort_unstable();
        let mut exact: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        let mut verbs: Vec<Vec<u8>> = Vec::new();
        for (key, item) in &entries {
            exact.entry(key.clone()).or_default().push(*item);
            let verb = key.split(|&b| b == b'/').next().unwrap_or_default();
            if !verbs.iter().any(|v| v == verb) {
                verbs.push(verb.to_vec());
            }
        }
        PrefixIndex {
            sorted: entries,
            exact,
            verbs,
        }
    }

    /// Adds to `out` every item whose key agrees with `key`.
    fn agreeing(&self, key: &[u8], out: &mut Vec<usize>) {
        let start = self.sorted.partition_point(|(k, _)| k.as_slice() < key);
        out.extend(
            self.sorted[start..]
                .iter()
                .take_while(|(k, _)| k.starts_with(key))
                .map(|&(_, i)| i),
        );
        for j in 0..key.len() {
            if let Some(items) = self.exact.get(&key[..j]) {
                out.extend_from_slice(items);
            }
        }
    }

    /// Adds to `out` every item whose language may share a word with IAM pattern `pattern`;
    /// returns false when the pattern's start says nothing (a `*` in its verb): then any may.
    ///
    /// A verb of `?` only matches verbs of its length (verbs hold no `/`, and `?` is exactly one
    /// character), so it is looked up once per such verb with the verb filled in.
    fn touching(&self, pattern: &str, out: &mut Vec<usize>) -> bool {
        let Some(slash) = pattern.find('/') else {
            return false;
        };
        let verb = &pattern.as_bytes()[..slash];
        if verb.contains(&b'*') {
            return false;
        }
        let rest = literal_prefix(&pattern_lang(&pattern[slash..]));
        let fits = |v: &[u8]| {
            v.len() == verb.len() && v.iter().zip(verb).all(|(a, b)| a == b || *b == b'?')
        };
        for v in self.verbs.iter().filter(|v| fits(v)) {
            let mut key = v.clone();
            key.extend_from_slice(&rest);
            self.agreeing(&key, out);
        }
        true
    }
}

/// Patterns by what a suffix they could hold (`glob_covers`) must start with, so that finding
/// which deny patterns contain which is not a test of every pair. A pattern whose verb has no
/// `*` (`GET`, `???`) matches position by position up to its first `/`, so a suffix it holds
/// has a `/` at the same place, followed by the literal start of the pattern's path.
struct Holders {
    /// (verb length, path bytes before the first wildcard) → patterns.
    by_start: HashMap<(usize, Vec<u8>), Vec<usize>>,
    lengths: Vec<usize>,
    /// Patterns with a `*` in their verb: they may hold anything.
    anywhere: Vec<usize>,
}

impl Holders {
    fn new<'a>(patterns: impl Iterator<Item = (usize, &'a Vec<String>)>) -> Holders {
        let mut h = Holders {
            by_start: HashMap::new(),
            lengths: Vec::new(),
            anywhere: Vec::new(),
        };
        for (v, suffixes) in patterns {
            for sv in suffixes {
                let b = sv.as_bytes();
                match b.iter().position(|&c| c == b'/') {
                    Some(n) if !b[..n].contains(&b'*') => {
                        let path = &b[n + 1..];
                        let lit = path
                            .iter()
                            .position(|&c| c == b'*' || c == b'?')
                            .unwrap_or(path.len());
                        h.by_start
                            .entry((n, path[..lit].to_vec()))
                            .or_default()
                            .push(v);
                        if !h.lengths.contains(&n) {
                            h.lengths.push(n);
                        }
                    }
                    _ => h.anywhere.push(v),
                }
            }
        }
        h
    }

    /// Adds to `out` every pattern with a suffix that may hold symbolic suffix `su`.
    fn of(&self, su: &[u8], out: &mut Vec<usize>) {
        out.extend_from_slice(&self.anywhere);
        for &n in &self.lengths {
            if su.get(n) != Some(&b'/') {
                continue;
            }
            let path = &su[n + 1..];
            // A pattern's literal bytes never match a `HOLE`.
            let lit = path.iter().position(|&c| c == HOLE).unwrap_or(path.len());
            for j in 0..=lit {
                if let Some(vs) = self.by_start.get(&(n, path[..j].to_vec())) {
                    out.extend_from_slice(vs);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Routes as API Gateway dispatches them.
// ---------------------------------------------------------------------------------------------

/// The verbs a request to a route can carry in `methodArn`. A request to an `ANY` method
/// arrives with its real verb; `ANY` itself is kept too, so that nothing depends on that.
fn verbs(method: Method) -> Vec<&'static str> {
    if method == Method::Any {
        let mut v: Vec<&str> = Method::ALL
            .iter()
            .filter(|m| **m != Method::Any)
            .map(|m| m.as_str())
            .collect();
        v.push("ANY");
        v
    } else {
        vec![method.as_str()]
    }
}

fn accepts(route: &Route, verb: &str) -> bool {
    route.method == Method::Any || route.method.as_str() == verb
}

/// API Gateway picks the most specific resource: at the first segment where two paths
/// differ in kind, a literal beats `{var}`, which beats `{var+}`; on the same resource, a
/// method beats `ANY`. `Greater` means `e` wins over `d` wherever both match a request.
fn precedence(e: &Route, d: &Route) -> Ordering {
    let rank = |s: &Segment| match s {
        Segment::Literal(_) => 2,
        Segment::Var(_) => 1,
        Segment::Greedy(_) => 0,
    };
    for (x, y) in e.path.segments.iter().zip(&d.path.segments) {
        match rank(x).cmp(&rank(y)) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    if e.path.segments.len() == d.path.segments.len() {
        match (e.method == Method::Any, d.method == Method::Any) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            _ => Ordering::Equal,
        }
    } else {
        Ordering::Equal
    }
}

/// The path part of a route's patterns: each variable becomes `*`.
fn path_pattern(path: &Path) -> String {
    let segs: Vec<&str> = path
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => l.as_str(),
            _ => "*",
        })
        .collect();
    segs.join("/")
}

/// The verb part of a pattern for every verb of this length: `?` matches one character, so
/// `???/legacy/*` stays in the verb segment. (`*/legacy/*` would not: it also matches
/// `GET/orders/legacy/items/1`.)
fn any_verb(len: usize) -> String {
    "?".repeat(len)
}

/// The lengths of the verbs a method's requests carry.
fn verb_lengths(method: Method) -> Vec<usize> {
    let mut v: Vec<usize> = verbs(method).iter().map(|v| v.len()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The narrowest IAM patterns that together match every request of a route and as little
/// else as possible: each variable becomes `*`; an `ANY` method needs one pattern per verb
/// length.
pub fn route_patterns(route: &Route) -> Vec<String> {
    let path = path_pattern(&route.path);
    if route.method == Method::Any {
        verb_lengths(Method::Any)
            .into_iter()
            .map(|n| format!("{}/{path}", any_verb(n)))
            .collect()
    } else {
        vec![format!("{}/{path}", route.method)]
    }
}

/// A declared route's requests, one entry per verb they can carry.
struct RouteLangs {
    per_verb: Vec<VerbLang>,
}

struct VerbLang {
    /// Every ARN suffix of a request to the route with this verb.
    lang: Lang,
    /// What all of them start with (a cheap first test).
    prefix: Vec<u8>,
    /// The route written with `HOLE` for each variable (see `glob_covers`).
    symbolic: Vec<u8>,
    /// The routes that win over this one for some of those requests: those requests are
    /// theirs, not this route's.
    shadows: Vec<Lang>,
}

fn route_langs(model: &Model) -> Vec<RouteLangs> {
    let mut scratch = Vec::new();
    let all: Vec<Vec<(&str, Lang)>> = model
        .routes
        .iter()
        .map(|r| {
            verbs(r.method)
                .into_iter()
                .map(|v| (v, route_lang(v, &r.path)))
                .collect()
        })
        .collect();
    // A route accepts exactly the verbs it has a language for.
    let index = PrefixIndex::new(
        all.iter()
            .enumerate()
            .flat_map(|(ei, ls)| ls.iter().map(move |(_, l)| (literal_prefix(l), ei)))
            .collect(),
    );
    let mut near = Vec::new();
    model
        .routes
        .iter()
        .enumerate()
        .map(|(di, d)| RouteLangs {
            per_verb: all[di]
                .iter()
                .map(|(v, lang)| {
                    let prefix = literal_prefix(lang);
                    near.clear();
                    index.agreeing(&prefix, &mut near);
                    near.sort_unstable();
                    near.dedup();
                    let mut shadows = Vec::new();
                    for &ei in &near {
                        let e = &model.routes[ei];
                        if ei == di || !accepts(e, v) || precedence(e, d) != Ordering::Greater {
                            continue;
                        }
                        let el = route_lang(v, &e.path);
                        if intersects(&el, lang, &mut scratch) {
                            shadows.push(el);
                        }
                    }
                    VerbLang {
                        prefix,
                        symbolic: route_symbolic(v, &d.path),
                        lang: lang.clone(),
                        shadows,
                    }
                })
                .collect(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Deny patterns cut to what an allow pattern actually reaches.
// ---------------------------------------------------------------------------------------------

/// A segment of a route-shaped pattern or route, for aligning one against the other.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Lit(String),
    /// `*` in a pattern (any run of segments); `{var}` in a route (one segment).
    Star,
    /// `{var+}` in a route: one or more segments, last.
    Greedy,
}

fn pattern_segs(path: &str) -> Vec<Seg> {
    if path.is_empty() {
        return Vec::new();
    }
    path.split('/')
        .map(|s| {
            if s == "*" {
                Seg::Star
            } else {
                Seg::Lit(s.to_string())
            }
        })
        .collect()
}

fn route_segs(path: &Path) -> Vec<Seg> {
    path.segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => Seg::Lit(l.clone()),
            Segment::Var(_) => Seg::Star,
            Segment::Greedy(_) => Seg::Greedy,
        })
        .collect()
}

fn seg_text(s: &Seg) -> &str {
    match s {
        Seg::Lit(l) => l,
        Seg::Star | Seg::Greedy => "*",
    }
}

/// The path patterns of the requests of route `d` that pattern path `p` matches, one per
/// way of aligning the two: a route variable under a pattern literal takes that literal's
/// value, one under a pattern `*` stays `*`. Pattern literals and `*` are whole segments, so
/// segment alignment is all there is to it (a `*` matching no segment would need an empty
/// one, which no request has).
fn align(p: &[Seg], d: &[Seg], acc: &mut Vec<String>, out: &mut BTreeSet<String>) {
    match (p.first(), d.first()) {
        (None, None) => {
            out.insert(acc.join("/"));
        }
        (Some(Seg::Star), _) => {
            for k in 1..=d.len() {
                let n = acc.len();
                acc.extend(d[..k].iter().map(|s| seg_text(s).to_string()));
                if d[k - 1] == Seg::Greedy && p.len() > 1 {
                    // The star ends inside the greedy variable, whose rest is `p[1..]`.
                    let mut whole = acc.clone();
                    whole.extend(p[1..].iter().map(|s| seg_text(s).to_string()));
                    out.insert(whole.join("/"));
                }
                align(&p[1..], &d[k..], acc, out);
                acc.truncate(n);
            }
        }
        (Some(_), Some(Seg::Greedy)) => {
            // The greedy variable (always last) takes the rest of the pattern.
            let mut whole = acc.clone();
            whole.extend(p.iter().map(|s| seg_text(s).to_string()));
            out.insert(whole.join("/"));
        }
        (Some(Seg::Lit(a)), Some(Seg::Lit(b))) if a == b => {
            acc.push(a.clone());
            align(&p[1..], &d[1..], acc, out);
            acc.pop();
        }
        (Some(Seg::Lit(a)), Some(Seg::Star)) => {
            acc.push(a.clone());
            align(&p[1..], &d[1..], acc, out);
            acc.pop();
        }
        _ => {}
    }
}

/// The patterns for the requests of route `d` that pattern `suffix` matches (a superset
/// of them; `None` when alignment does not apply and the route's own patterns must do).
fn meet(suffix: &str, d: &Route) -> Option<Vec<String>> {
    let (verb, path) = suffix.split_once('/')?;
    if d.path.segments.is_empty() {
        return None;
    }
    // The verb of the requests both match: `?…?` stands for every verb of its length.
    let verb = match (verb.contains('?'), d.method) {
        (_, Method::Any) => verb.to_string(),
        (true, m) if m.as_str().len() == verb.len() => m.as_str().to_string(),
        (false, m) if m.as_str() == verb => verb.to_string(),
        _ => return Some(Vec::new()),
    };
    let mut out = BTreeSet::new();
    align(
        &pattern_segs(path),
        &route_segs(&d.path),
        &mut Vec::new(),
        &mut out,
    );
    Some(out.into_iter().map(|p| format!("{verb}/{p}")).collect())
}

// ---------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------

/// IAM resource patterns used together (ARN suffixes after `{api}/{stage}/`), with the
/// protected routes they cover (every request matches one of them) and reach (some request
/// matches one of them).
#[derive(Clone, Debug)]
pub struct Pattern {
    pub suffixes: Vec<String>,
    pub cover: FixedBitSet,
    pub reach: FixedBitSet,
    /// Whether these are some route's own narrowest patterns.
    pub own: bool,
    /// For an allow pattern: each reached route with the pattern that denies what this one
    /// reaches of it.
    pub denies: Vec<(usize, usize)>,
    /// For a pattern that can be denied: the other such patterns that match everything it
    /// matches (of two that match the same, only the later one lists the earlier), so that
    /// its `Deny` can be left out when one of them is written.
    pub within: Vec<usize>,
}

/// What the handler embeds: the protected routes, the patterns, and each group's allowed
/// routes. Indexes are into `routes` and `patterns`.
#[derive(Clone, Debug)]
pub struct Table {
    /// Model route ids of the protected routes (public ones never reach the authorizer).
    pub routes: Vec<RouteId>,
    /// Allow patterns first, most general first (the order they are tried in), then the
    /// patterns used only to deny.
    pub patterns: Vec<Pattern>,
    pub allow_count: usize,
    /// Pattern index of each route's own patterns.
    pub own: Vec<usize>,
    /// Per group (model order): allowed protected routes.
    pub rows: Vec<FixedBitSet>,
    /// Per protected route, the allow patterns that cover it, ascending: a policy starts from
    /// these instead of testing every pattern.
    coverers: Vec<Vec<usize>>,
    /// Per protected route, the allow patterns that reach it.
    reachers: Vec<Vec<usize>>,
    /// Per pattern, how many routes it reaches.
    reach_len: Vec<usize>,
    /// Per pattern, the blocks outside which its `cover` and `reach` are empty: most patterns
    /// are one subtree, a few blocks of a long bitset.
    spans: Vec<Spans>,
}

/// Working memory of `Table::greedy`, indexed by allow pattern.
#[derive(Default)]
struct Scratch {
    fresh: Vec<u32>,
    stray: Vec<u32>,
    version: Vec<u32>,
    deniable: HashMap<usize, bool, std::hash::BuildHasherDefault<FastHasher>>,
    heap: BinaryHeap<Pick>,
    dirty: Vec<usize>,
    newly: Vec<usize>,
    covered_now: Vec<usize>,
    new: Vec<usize>,
}

#[derive(Clone, Debug)]
struct Spans {
    cover: Range<usize>,
    reach: Range<usize>,
}

/// The blocks of `b` from its first non-empty one to its last.
fn span(b: &FixedBitSet) -> Range<usize> {
    let s = b.as_slice();
    let lo = s.iter().position(|&w| w != 0).unwrap_or(0);
    let hi = s.iter().rposition(|&w| w != 0).map_or(lo, |i| i + 1);
    lo..hi
}

/// Sets `out` to the bits in `a` and `b` and not in `but`, `a` being empty outside blocks `span`.
fn blocks_ones(
    a: &FixedBitSet,
    b: &FixedBitSet,
    but: Option<&FixedBitSet>,
    span: &Range<usize>,
    out: &mut Vec<usize>,
) {
    let bits = usize::BITS as usize;
    out.clear();
    for w in span.clone() {
        let mut x = a.as_slice()[w] & b.as_slice()[w];
        if let Some(c) = but {
            x &= !c.as_slice()[w];
        }
        while x != 0 {
            out.push(w * bits + x.trailing_zeros() as usize);
            x &= x - 1;
        }
    }
}

/// A candidate of `Table::greedy` in its heap: the greatest is the best, by statements saved
/// (`fresh - cost`) or by routes per statement (`fresh / cost`, compared exactly), and of
/// equals the lowest pattern index, as a scan in index order with a strict `>` would find.
#[derive(Clone, Copy, Debug)]
struct Pick {
    k: usize,
    fresh: u32,
    cost: u32,
    version: u32,
    by_ratio: bool,
}

impl Pick {
    fn new(k: usize, fresh: u32, cost: u32, version: u32, by_ratio: bool) -> Pick {
        Pick {
            k,
            fresh,
            cost,
            version,
            by_ratio,
        }
    }
}

impl Ord for Pick {
    fn cmp(&self, other: &Pick) -> Ordering {
        let by_measure = if self.by_ratio {
            (u64::from(self.fresh) * u64::from(other.cost))
                .cmp(&(u64::from(other.fresh) * u64::from(self.cost)))
        } else {
            (i64::from(self.fresh) - i64::from(self.cost))
                .cmp(&(i64::from(other.fresh) - i64::from(other.cost)))
        };
        by_measure.then_with(|| other.k.cmp(&self.k))
    }
}

impl PartialOrd for Pick {
    fn partial_cmp(&self, other: &Pick) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pick {
    fn eq(&self, other: &Pick) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pick {}

/// How many bits `a` and `b` share, `a` being empty outside blocks `span`.
fn and_count(a: &FixedBitSet, b: &FixedBitSet, span: &Range<usize>) -> usize {
    let (a, b) = (&a.as_slice()[span.clone()], &b.as_slice()[span.clone()]);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x & y).count_ones() as usize)
        .sum()
}

/// Orders patterns of equal generality: fewer statements, then shorter, then by text.
fn weight(p: &Pattern) -> (usize, usize, &[String]) {
    let len = p.suffixes.iter().map(String::len).sum();
    (p.suffixes.len(), len, &p.suffixes)
}

/// A policy as pattern indexes: `Allow` these, `Deny` those.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub allow: Vec<usize>,
    pub deny: Vec<usize>,
    /// Allowed routes no safe pattern could cover (left denied). Always empty for a table
    /// `generate` accepted.
    pub uncovered: Vec<usize>,
}

/// Measures patterns against the routes with the exact searches above.
struct Measure<'a> {
    routes: &'a [RouteId],
    langs: Vec<RouteLangs>,
    /// Protected routes (indexes into `routes`) by the literal prefix of each verb's language.
    index: PrefixIndex,
    scratch: Vec<bool>,
}

impl Measure<'_> {
    fn measure(&mut self, suffixes: &[String]) -> (FixedBitSet, FixedBitSet) {
        let n = self.routes.len();
        let plangs: Vec<(Lang, Vec<u8>)> = suffixes
            .iter()
            .map(|s| {
                let l = pattern_lang(s);
                let prefix = literal_prefix(&l);
                (l, prefix)
            })
            .collect();
        let mut cover = FixedBitSet::with_capacity(n);
        let mut reach = FixedBitSet::with_capacity(n);
        // Only routes whose start agrees with a pattern's can be touched by it, and a route
        // no pattern touches is neither covered nor reached.
        let mut near = Vec::new();
        if !suffixes.iter().all(|s| self.index.touching(s, &mut near)) {
            near = (0..n).collect();
        }
        near.sort_unstable();
        near.dedup();
        for i in near {
            let r = &self.routes[i];
            let mut reached = false;
            let mut covered = true;
            for vl in &self.langs[r.0].per_verb {
                let mut verb_covered = false;
                for (suffix, (plang, pprefix)) in suffixes.iter().zip(&plangs) {
                    let touches = prefixes_agree(pprefix, &vl.prefix)
                        && intersects(plang, &vl.lang, &mut self.scratch);
                    verb_covered |= touches && glob_covers(suffix.as_bytes(), &vl.symbolic);
                    if touches && !reached {
                        // A request that a more specific route wins is not this route's.
                        let neg: Vec<&Lang> = vl.shadows.iter().collect();
                        reached = neg.is_empty() || exists(&[plang, &vl.lang], &neg);
                    }
                }
                covered &= verb_covered;
            }
            if reached {
                reach.insert(i);
            }
            if covered {
                cover.insert(i);
            }
        }
        (cover, reach)
    }

    /// Whether `denies` match every request of protected route `d` that `allows` match.
    fn cuts(
        &self,
        allows: &[String],
        d: usize,
        denies: &[String],
        scratch: &mut Vec<bool>,
    ) -> bool {
        let deny_langs: Vec<Lang> = denies.iter().map(|s| pattern_lang(s)).collect();
        let deny_refs: Vec<&Lang> = deny_langs.iter().collect();
        allows.iter().all(|a| {
            let al = pattern_lang(a);
            self.langs[self.routes[d].0].per_verb.iter().all(|vl| {
                // Cheapest questions first: most pairs do not meet at all, and most cuts hold
                // without counting the requests more specific routes win.
                if !intersects(&al, &vl.lang, scratch) || !exists(&[&al, &vl.lang], &deny_refs) {
                    return true;
                }
                let neg: Vec<&Lang> = deny_langs.iter().chain(&vl.shadows).collect();
                !exists(&[&al, &vl.lang], &neg)
            })
        })
    }
}

impl Table {
    pub fn new(model: &Model) -> Table {
        let routes: Vec<RouteId> = model
            .route_ids()
            .filter(|r| matches!(model.route(*r).access, Access::AnyOf(_)))
            .collect();
        let index: HashMap<RouteId, usize> =
            routes.iter().enumerate().map(|(i, r)| (*r, i)).collect();
        let n = routes.len();
        let langs = route_langs(model);
        let by_prefix = PrefixIndex::new(
            routes
                .iter()
                .enumerate()
                .flat_map(|(i, r)| {
                    langs[r.0]
                        .per_verb
                        .iter()
                        .map(move |vl| (vl.prefix.clone(), i))
                })
                .collect(),
        );
        let mut m = Measure {
            routes: &routes,
            langs,
            index: by_prefix,
            scratch: Vec::new(),
        };

        let mut patterns: Vec<Pattern> = Vec::new();
        for (suffixes, own) in allow_candidates(model, &routes) {
            let (cover, reach) = m.measure(&suffixes);
            if cover.is_clear() {
                continue;
            }
            patterns.push(Pattern {
                suffixes,
                cover,
                reach,
                own,
                denies: Vec::new(),
                within: Vec::new(),
            });
        }

        // Wide patterns that cover and reach exactly what another one does add nothing.
        let mut keep: HashMap<(Vec<usize>, Vec<usize>), usize> = HashMap::new();
        let mut drop = vec![false; patterns.len()];
        for (k, p) in patterns.iter().enumerate() {
            if p.own {
                continue;
            }
            let key = (p.cover.ones().collect(), p.reach.ones().collect());
            match keep.get(&key) {
                Some(&other) if weight(&patterns[other]) <= weight(p) => drop[k] = true,
                Some(&other) => {
                    drop[other] = true;
                    keep.insert(key, k);
                }
                None => {
                    keep.insert(key, k);
                }
            }
        }
        let mut patterns: Vec<Pattern> = patterns
            .into_iter()
            .zip(drop)
            .filter(|(_, d)| !d)
            .map(|(p, _)| p)
            .collect();
        // Most general first; of equals, the fewest statements.
        patterns.sort_by(|a, b| {
            b.cover
                .count_ones(..)
                .cmp(&a.cover.count_ones(..))
                .then_with(|| weight(a).cmp(&weight(b)))
        });
        let allow_count = patterns.len();
        let position: HashMap<&[String], usize> = patterns
            .iter()
            .enumerate()
            .map(|(k, p)| (p.suffixes.as_slice(), k))
            .collect();
        // A route's own patterns cover it, so they were kept.
        let own: Vec<usize> = routes
            .iter()
            .map(|r| position[route_patterns(model.route(*r)).as_slice()])
            .collect();

        // For each allow pattern and each route it reaches: what to deny if that route is
        // denied. The part of the route the pattern reaches, when that can be told apart and
        // the searches confirm it; else the route's own patterns.
        let mut by_suffixes: BTreeMap<Vec<String>, usize> = patterns
            .iter()
            .enumerate()
            .map(|(k, p)| (p.suffixes.clone(), k))
            .collect();
        // The cut of each allow pattern and reached route that the searches confirm (`None`:
        // deny the route's own patterns). The searches are independent and most of the
        // table's cost, so they run on every core, patterns dealt out in turn.
        let cut_of = |k: usize, d: usize, scratch: &mut Vec<bool>| -> Option<Vec<String>> {
            let route = model.route(routes[d]);
            let mut cut: BTreeSet<String> = BTreeSet::new();
            for s in &patterns[k].suffixes {
                cut.extend(meet(s, route)?);
            }
            let cut: Vec<String> = cut.into_iter().collect();
            let usable = !cut.is_empty()
                && cut != patterns[own[d]].suffixes
                && m.cuts(&patterns[k].suffixes, d, &cut, scratch);
            usable.then_some(cut)
        };
        let threads = threads_for(allow_count, 256);
        let mut cuts: Vec<Vec<(usize, Option<Vec<String>>)>> = vec![Vec::new(); allow_count];
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (patterns, cut_of) = (&patterns, &cut_of);
                    scope.spawn(move || {
                        let mut scratch = Vec::new();
                        (t..allow_count)
                            .step_by(threads)
                            .map(|k| {
                                let per_route = patterns[k]
                                    .reach
                                    .ones()
                                    .map(|d| (d, cut_of(k, d, &mut scratch)))
                                    .collect::<Vec<_>>();
                                (k, per_route)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for (k, per_route) in h.join().expect("the searches do not panic") {
                    cuts[k] = per_route;
                }
            }
        });
        let mut extra: Vec<Vec<String>> = Vec::new();
        for (k, per_route) in cuts.into_iter().enumerate() {
            let mut denies = Vec::new();
            for (d, cut) in per_route {
                let unit = match cut {
                    None => own[d],
                    Some(cut) => {
                        if let Some(&u) = by_suffixes.get(&cut) {
                            u
                        } else {
                            let u = allow_count + extra.len();
                            by_suffixes.insert(cut.clone(), u);
                            extra.push(cut);
                            u
                        }
                    }
                };
                denies.push((d, unit));
            }
            patterns[k].denies = denies;
        }
        // Deny-only patterns in a fixed order: renumber by text.
        let mut order: Vec<usize> = (0..extra.len()).collect();
        order.sort_by(|a, b| extra[*a].cmp(&extra[*b]));
        let mut renumber = vec![0; extra.len()];
        for (new, old) in order.iter().enumerate() {
            renumber[*old] = allow_count + new;
        }
        for p in patterns.iter_mut() {
            for (_, u) in p.denies.iter_mut() {
                if *u >= allow_count {
                    *u = renumber[*u - allow_count];
                }
            }
        }
        for old in order {
            let suffixes = std::mem::take(&mut extra[old]);
            let (cover, reach) = m.measure(&suffixes);
            patterns.push(Pattern {
                suffixes,
                cover,
                reach,
                own: false,
                denies: Vec::new(),
                within: Vec::new(),
            });
        }

        // Which deny patterns hold which.
        let deniers: BTreeSet<usize> = patterns
            .iter()
            .flat_map(|p| p.denies.iter().map(|&(_, u)| u))
            .collect();
        let symbolic: HashMap<usize, Vec<Vec<u8>>> = deniers
            .iter()
            .map(|&u| {
                let s = patterns[u]
                    .suffixes
                    .iter()
                    .map(|x| {
                        x.bytes()
                            .map(|b| if b == b'*' || b == b'?' { HOLE } else { b })
                            .collect()
                    })
                    .collect();
                (u, s)
            })
            .collect();
        let inside = |u: usize, v: usize| {
            symbolic[&u].iter().all(|su| {
                patterns[v]
                    .suffixes
                    .iter()
                    .any(|sv| glob_covers(sv.as_bytes(), su))
            })
        };
        // Only a pattern whose literal start matches can hold another (see `Holders`).
        let holders = Holders::new(deniers.iter().map(|&v| (v, &patterns[v].suffixes)));
        let mut near = Vec::new();
        let within: Vec<(usize, Vec<usize>)> = deniers
            .iter()
            .map(|&u| {
                near.clear();
                holders.of(&symbolic[&u][0], &mut near);
                near.sort_unstable();
                near.dedup();
                let w = near
                    .iter()
                    .copied()
                    .filter(|&v| v != u && inside(u, v) && !(v > u && inside(v, u)))
                    .collect();
                (u, w)
            })
            .collect();
        for (u, w) in within {
            patterns[u].within = w;
        }

        let rows = model
            .group_ids()
            .map(|g| {
                let mut row = FixedBitSet::with_capacity(n);
                for r in model.matrix.row(g).ones() {
                    if let Some(&i) = index.get(&RouteId(r)) {
                        row.insert(i);
                    }
                }
                row
            })
            .collect();
        let mut coverers = vec![Vec::new(); n];
        let mut reachers = vec![Vec::new(); n];
        for (k, p) in patterns[..allow_count].iter().enumerate() {
            for r in p.cover.ones() {
                coverers[r].push(k);
            }
            for r in p.reach.ones() {
                reachers[r].push(k);
            }
        }
        let reach_len = patterns.iter().map(|p| p.reach.count_ones(..)).collect();
        let spans = patterns
            .iter()
            .map(|p| Spans {
                cover: span(&p.cover),
                reach: span(&p.reach),
            })
            .collect();
        Table {
            routes,
            patterns,
            allow_count,
            own,
            rows,
            coverers,
            reachers,
            reach_len,
            spans,
        }
    }

    /// The protected routes a caller in all of `groups` may call.
    pub fn allowed(&self, groups: &[GroupId]) -> FixedBitSet {
        let mut a = FixedBitSet::with_capacity(self.routes.len());
        for g in groups {
            a.union_with(&self.rows[g.0]);
        }
        a
    }

    /// The policy for a caller allowed `allowed`: the handler's algorithm, step for step.
    ///
    /// Greedy set cover, twice: each round takes the allow pattern that saves the most
    /// statements, or (second run) that covers the most routes per statement it adds; a
    /// pattern costs its own statements plus one `Deny` per denied route it reaches that
    /// nothing denies yet, and is only taken when each of those routes can be cut off by a
    /// pattern that reaches no allowed route. Then every route still uncovered takes its own
    /// patterns, which can always be cut off that way (for a table `generate` accepted). Of
    /// the two policies, the one with fewer resources wins, then the one with fewer
    /// characters: neither depends on the ARN prefix, so the handler chooses as rolegen does.
    pub fn policy(&self, allowed: &FixedBitSet) -> Policy {
        self.policy_with(allowed, &mut Scratch::default())
    }

    /// `policy` with working memory kept from call to call (`largest_policy` makes thousands).
    fn policy_with(&self, allowed: &FixedBitSet, scratch: &mut Scratch) -> Policy {
        let a = self.greedy(allowed, false, scratch);
        let b = self.greedy(allowed, true, scratch);
        let size = |p: &Policy| {
            let all = p
                .allow
                .iter()
                .chain(&p.deny)
                .flat_map(|&k| &self.patterns[k].suffixes);
            let (n, chars) = all.fold((0, 0), |(n, c), s| (n + 1, c + s.len()));
            (n, chars)
        };
        if size(&b) < size(&a) { b } else { a }
    }

    fn greedy(&self, allowed: &FixedBitSet, by_ratio: bool, scratch: &mut Scratch) -> Policy {
        let n = self.routes.len();
        let mut uncovered = allowed.clone();
        let mut denied_routes = FixedBitSet::with_capacity(n);
        let mut deny_set = FixedBitSet::with_capacity(self.patterns.len());
        let mut allow = Vec::new();
        let Scratch {
            fresh,
            stray,
            version,
            deniable,
            heap,
            dirty,
            newly,
            covered_now,
            new,
        } = scratch;
        heap.clear();
        for v in [&mut *fresh, &mut *stray, &mut *version] {
            v.resize(self.allow_count, 0);
        }
        deniable.clear();
        let mut not_allowed = allowed.clone();
        not_allowed.toggle_range(..);
        // Only patterns that cover more allowed routes than they have statements can gain (and
        // only those that cover one can cover more).
        // Counted through the per-route lists: reading the patterns' own bitsets here, scattered
        // in memory, cost more than the whole search.
        let mut near = FixedBitSet::with_capacity(self.allow_count);
        for r in allowed.ones() {
            for &k in &self.coverers[r] {
                if !near.put(k) {
                    fresh[k] = 0;
                }
                fresh[k] += 1;
            }
        }
        for k in near.ones() {
            stray[k] = 0;
        }
        for r in allowed.ones() {
            for &k in &self.reachers[r] {
                if near.contains(k) {
                    stray[k] += 1;
                }
            }
        }
        // Per candidate: routes it would newly cover, stray routes it would add a `Deny` for,
        // and whether it is still in the running. Both counts only ever go down, and only for
        // the patterns that cover (reach) a route that just got covered (denied): they are
        // kept up to date from those routes instead of recounted every round.
        let mut alive = FixedBitSet::with_capacity(self.allow_count);
        for k in near.ones() {
            let statements = self.patterns[k].suffixes.len() as u32;
            // Only patterns that cover more allowed routes than they have statements can gain.
            if fresh[k] <= statements {
                continue;
            }
            // Until now `stray` held the allowed routes the pattern reaches.
            stray[k] = self.reach_len[k] as u32 - stray[k];
            version[k] = 0;
            alive.insert(k);
            heap.push(Pick::new(k, fresh[k], statements + stray[k], 0, by_ratio));
        }
        // Takes pattern `k` if its denies can be made; returns whether it did.
        let mut take = |k: usize,
                        uncovered: &mut FixedBitSet,
                        denied_routes: &mut FixedBitSet,
                        deny_set: &mut FixedBitSet,
                        allow: &mut Vec<usize>|
         -> bool {
            let p = &self.patterns[k];
            new.clear();
            for &(d, u) in &p.denies {
                if allowed.contains(d)
                    || deny_set.contains(u)
                    || deny_set.contains(self.own[d])
                    || new.contains(&u)
                {
                    continue;
                }
                let can = *deniable.entry(u).or_insert_with(|| {
                    and_count(&self.patterns[u].reach, allowed, &self.spans[u].reach) == 0
                });
                if !can {
                    return false;
                }
                new.push(u);
            }
            allow.push(k);
            uncovered.difference_with(&p.cover);
            for d in p.reach.intersection(&not_allowed) {
                denied_routes.insert(d);
            }
            for &u in new.iter() {
                deny_set.insert(u);
            }
            true
        };
        dirty.clear();
        // Each round takes the pattern the scan over all candidates would: the best by the
        // round's measure, of equals the first (lowest index).
        while let Some(top) = heap.pop() {
            let k = top.k;
            if !alive.contains(k) || top.version != version[k] {
                continue;
            }
            if top.fresh <= top.cost {
                // The best gains nothing: none does.
                break;
            }
            alive.set(k, false);
            let p = &self.patterns[k];
            let sp = &self.spans[k];
            blocks_ones(&p.cover, &uncovered, None, &sp.cover, covered_now);
            blocks_ones(
                &p.reach,
                &not_allowed,
                Some(&denied_routes),
                &sp.reach,
                newly,
            );
            if !take(
                k,
                &mut uncovered,
                &mut denied_routes,
                &mut deny_set,
                &mut allow,
            ) {
                continue;
            }
            for &r in covered_now.iter() {
                for &j in &self.coverers[r] {
                    if alive.contains(j) {
                        fresh[j] -= 1;
                        dirty.push(j);
                    }
                }
            }
            for &d in newly.iter() {
                for &j in &self.reachers[d] {
                    if alive.contains(j) {
                        stray[j] -= 1;
                        dirty.push(j);
                    }
                }
            }
            dirty.sort_unstable();
            dirty.dedup();
            for &j in dirty.iter() {
                let statements = self.patterns[j].suffixes.len() as u32;
                if fresh[j] <= statements {
                    // Routes only ever get covered: it never will gain again.
                    alive.set(j, false);
                } else {
                    version[j] += 1;
                    heap.push(Pick::new(
                        j,
                        fresh[j],
                        statements + stray[j],
                        version[j],
                        by_ratio,
                    ));
                }
            }
            dirty.clear();
        }
        // (Entries of `fresh`, `stray` and `version` are set before use: no need to clear them.)
        let rest: Vec<usize> = uncovered.ones().collect();
        for r in rest {
            if uncovered.contains(r) {
                take(
                    self.own[r],
                    &mut uncovered,
                    &mut denied_routes,
                    &mut deny_set,
                    &mut allow,
                );
            }
        }
        let deny = deny_set
            .ones()
            .filter(|&u| {
                !self.patterns[u]
                    .within
                    .iter()
                    .any(|&v| deny_set.contains(v))
            })
            .collect();
        Policy {
            allow,
            deny,
            uncovered: uncovered.ones().collect(),
        }
    }

    /// The policy document the handler returns for `allowed`, with ARNs under `prefix`
    /// (`arn:…:{api}/{stage}/`); `method_arn` is what a caller without access is denied.
    pub fn document(&self, allowed: &FixedBitSet, prefix: &str, method_arn: &str) -> Value {
        let policy = (!allowed.is_clear()).then(|| self.policy(allowed));
        self.document_of(policy.as_ref(), prefix, method_arn)
    }

    /// `document` for a policy already computed (`None`: nothing is allowed).
    fn document_of(&self, policy: Option<&Policy>, prefix: &str, method_arn: &str) -> Value {
        let statement = |effect: &str, resource: Value| json!({ "Action": "execute-api:Invoke", "Effect": effect, "Resource": resource });
        let mut statements = Vec::new();
        if let Some(p) = policy {
            let arns = |ks: &[usize]| -> Value {
                ks.iter()
                    .flat_map(|&k| &self.patterns[k].suffixes)
                    .map(|s| Value::String(format!("{prefix}{s}")))
                    .collect()
            };
            if !p.allow.is_empty() {
                statements.push(statement("Allow", arns(&p.allow)));
            }
            if !p.deny.is_empty() {
                statements.push(statement("Deny", arns(&p.deny)));
            }
        } else {
            statements.push(statement("Deny", json!(method_arn)));
        }
        json!({ "Version": "2012-10-17", "Statement": statements })
    }

    /// Allowed route `r`'s own patterns reach denied route `d`, and the patterns that cut
    /// that off reach allowed route `a`: the triple that makes a set of allowed routes
    /// inexpressible.
    fn conflicts_in(&self, allowed: &FixedBitSet, out: &mut Vec<(usize, usize, usize, usize)>) {
        for r in allowed.ones() {
            for &(d, u) in &self.patterns[self.own[r]].denies {
                if allowed.contains(d) {
                    continue;
                }
                for a in self.patterns[u].reach.intersection(allowed) {
                    out.push((r, d, a, u));
                }
            }
        }
    }
}

/// Allow candidates: each route's own patterns (with the route), and the wider ones that
/// compaction can use (everything, a subtree for one verb or every verb, every verb of a
/// path).
fn allow_candidates(model: &Model, routes: &[RouteId]) -> BTreeMap<Vec<String>, bool> {
    let mut candidates: BTreeMap<Vec<String>, bool> = BTreeMap::new();
    for r in routes {
        candidates.insert(route_patterns(model.route(*r)), true);
    }
    let mut wide: Vec<Vec<String>> = vec![vec!["*".into()]];
    // Path pattern → methods of the routes at it / below it.
    let mut at: BTreeMap<String, BTreeSet<Method>> = BTreeMap::new();
    let mut below: BTreeMap<String, BTreeSet<Method>> = BTreeMap::new();
    for r in routes {
        let route = model.route(*r);
        at.entry(path_pattern(&route.path))
            .or_default()
            .insert(route.method);
        for depth in 0..route.path.segments.len() {
            let prefix = Path {
                segments: route.path.segments[..depth].to_vec(),
            };
            below
                .entry(path_pattern(&prefix))
                .or_default()
                .insert(route.method);
        }
    }
    let lengths = |methods: &BTreeSet<Method>| -> BTreeSet<usize> {
        methods.iter().flat_map(|m| verb_lengths(*m)).collect()
    };
    // `?…?` for every verb of one length (`???` is GET and PUT), when that is more than one
    // of the methods there.
    let by_length = |methods: &BTreeSet<Method>, rest: &str, wide: &mut Vec<Vec<String>>| {
        for n in lengths(methods) {
            let same = methods
                .iter()
                .filter(|m| verb_lengths(**m).contains(&n))
                .count();
            if same > 1 || methods.contains(&Method::Any) {
                wide.push(vec![format!("{}/{rest}", any_verb(n))]);
            }
        }
    };
    for (path, methods) in &at {
        if methods.len() > 1 {
            wide.push(
                lengths(methods)
                    .into_iter()
                    .map(|n| format!("{}/{path}", any_verb(n)))
                    .collect(),
            );
            by_length(methods, path, &mut wide);
        }
    }
    for (prefix, methods) in &below {
        let slash = if prefix.is_empty() { "" } else { "/" };
        let rest = format!("{prefix}{slash}*");
        for m in methods {
            if *m != Method::Any {
                wide.push(vec![format!("{m}/{rest}")]);
            }
        }
        if methods.len() > 1 || methods.contains(&Method::Any) {
            wide.push(
                lengths(methods)
                    .into_iter()
                    .map(|n| format!("{}/{rest}", any_verb(n)))
                    .collect(),
            );
            by_length(methods, &rest, &mut wide);
        }
    }
    for w in wide {
        candidates.entry(w).or_insert(false);
    }
    candidates
}

/// Every combination of groups whose policy cannot match the access matrix, as diagnostics.
///
/// A combination fails only through a triple (route `r` allowed, `d` denied, `a` allowed):
/// one group grants `r` and one grants `a`, so that pair already shows the triple unless it
/// grants `d`, and adding groups only adds routes. Checking every group and every pair is
/// therefore checking every combination.
pub fn conflicts(model: &Model, table: &Table) -> Vec<Diagnostic> {
    let groups: Vec<GroupId> = model.group_ids().collect();
    let mut combos: Vec<Vec<GroupId>> = groups.iter().map(|g| vec![*g]).collect();
    for (i, a) in groups.iter().enumerate() {
        for b in &groups[i + 1..] {
            combos.push(vec![*a, *b]);
        }
    }
    // One diagnostic per denied route (its first conflict), counting the routes it clashes
    // with, so that one bad subtree does not print a screenful.
    struct Found {
        a: usize,
        r: usize,
        u: usize,
        combo: Vec<GroupId>,
        clashes: BTreeSet<usize>,
    }
    let mut found: BTreeMap<usize, Found> = BTreeMap::new();
    let mut triples = Vec::new();
    for combo in &combos {
        triples.clear();
        table.conflicts_in(&table.allowed(combo), &mut triples);
        for &(r, d, a, u) in &triples {
            found
                .entry(d)
                .or_insert_with(|| Found {
                    a,
                    r,
                    u,
                    combo: combo.clone(),
                    clashes: BTreeSet::new(),
                })
                .clashes
                .insert(a);
        }
    }
    let total = found.len();
    let mut out: Vec<Diagnostic> = found
        .into_iter()
        .take(MAX_CONFLICTS)
        .map(|(d, f)| {
            let route = |i: usize| model.route(table.routes[i]);
            let who = f
                .combo
                .iter()
                .map(|g| format!("`{}`", model.group(*g).name))
                .collect::<Vec<_>>()
                .join(" and ");
            let who = if f.combo.len() > 1 {
                format!("a caller in {who}")
            } else {
                who
            };
            let (dr, ar, rr) = (route(d), route(f.a), route(f.r));
            let dp = table.patterns[f.u].suffixes.join("`, `");
            let rp = table.patterns[table.own[f.r]].suffixes.join("`, `");
            let also = if f.r == f.a { "" } else { "also " };
            let more = match f.clashes.len() - 1 {
                0 => String::new(),
                1 => " (and 1 more route like it)".to_string(),
                n => format!(" (and {n} more routes like it)"),
            };
            Diagnostic::error(
                "lambda-policy",
                format!(
                    "no IAM policy can deny `{}` to {who} and allow `{}`{more}",
                    dr.key(),
                    ar.key()
                ),
            )
            .at(dr.decl)
            .label(format!("denied to {who}"))
            .help(format!(
                "`{}` is allowed, and its pattern `{rp}` also matches requests to `{}` (`*` matches `/` too); denying those takes `{dp}`, which {also}matches requests to `{}`; give these routes the same access for {who}, change a path so that one is not an extension of the other, or use `authorizer: cognito-scopes`",
                rr.key(),
                dr.key(),
                ar.key(),
            ))
        })
        .collect();
    if total > MAX_CONFLICTS {
        out.push(
            Diagnostic::error(
                "lambda-policy",
                format!(
                    "{} more routes cannot be denied where the access matrix says so",
                    total - MAX_CONFLICTS
                ),
            )
            .help("fix the ones above first; the rest often share their cause"),
        );
    }
    out
}

/// How many threads to share `jobs` jobs among, each getting at least `least` of them (a
/// thread costs tens of microseconds: small tables stay on one).
fn threads_for(jobs: usize, least: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    (jobs / least.max(1)).clamp(1, cores)
}

/// The largest policy document any combination of groups gets, for the docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySize {
    /// Bytes of the policy document as the handler serializes it, with `arn_prefix`.
    pub bytes: usize,
    /// A smallest combination of groups that gets it.
    pub groups: Vec<String>,
    /// Resources (ARN patterns) in its `Allow` and `Deny` statements.
    pub allow: usize,
    pub deny: usize,
    /// Distinct sets of allowed routes measured.
    pub combinations: usize,
    /// Whether every combination of groups was measured (otherwise every combination of up
    /// to `max_groups` groups was).
    pub exhaustive: bool,
    pub max_groups: usize,
    pub arn_prefix: String,
}

/// Measures the policy of every distinct set of allowed routes that a combination of groups
/// yields (smallest combinations first, up to `MAX_COMBINATIONS` sets).
pub fn largest_policy(model: &Model) -> PolicySize {
    largest_policy_of(model, &Table::new(model))
}

/// `largest_policy` with the table already built.
pub fn largest_policy_of(model: &Model, table: &Table) -> PolicySize {
    let prefix = sample_arn_prefix(&model.api.stage);
    let method_arn = format!("{prefix}GET/");
    let n = table.routes.len();
    let mut seen: HashMap<FixedBitSet, Vec<GroupId>> = HashMap::new();
    seen.insert(FixedBitSet::with_capacity(n), Vec::new());
    // Breadth first over distinct sets of allowed routes: level k holds the sets first reached
    // with k groups, so when level k is complete every combination of k groups was measured.
    let mut frontier: Vec<FixedBitSet> = vec![FixedBitSet::with_capacity(n)];
    let mut exhaustive = true;
    let mut complete = 0;
    'levels: while !frontier.is_empty() {
        let mut next = Vec::new();
        for set in &frontier {
            for g in model.group_ids() {
                let mut t = set.clone();
                t.union_with(&table.rows[g.0]);
                if seen.contains_key(&t) {
                    continue;
                }
                if seen.len() >= MAX_COMBINATIONS {
                    exhaustive = false;
                    break 'levels;
                }
                let mut combo = seen[set].clone();
                combo.push(g);
                combo.sort();
                seen.insert(t.clone(), combo);
                next.push(t);
            }
        }
        complete += 1;
        frontier = next;
    }
    let max_groups = if exhaustive {
        model.groups.len()
    } else {
        complete
    };
    let mut sets: Vec<(&FixedBitSet, &Vec<GroupId>)> = seen.iter().collect();
    sets.sort_by(|a, b| (a.1.len(), a.1).cmp(&(b.1.len(), b.1)));
    // (bytes, allow resources, deny resources) of each set's policy. The sets are independent:
    // measured on every core, in contiguous chunks, then compared in order.
    let measure = |chunk: &[(&FixedBitSet, &Vec<GroupId>)]| -> Vec<(usize, usize, usize)> {
        let mut scratch = Scratch::default();
        let count =
            |ks: &[usize]| -> usize { ks.iter().map(|&k| table.patterns[k].suffixes.len()).sum() };
        chunk
            .iter()
            .map(|(set, _)| {
                let p = (!set.is_clear()).then(|| table.policy_with(set, &mut scratch));
                let doc = table.document_of(p.as_ref(), &prefix, &method_arn);
                let bytes = serde_json::to_string(&doc).expect("json").len();
                match &p {
                    None => (bytes, 0, 1),
                    Some(p) => (bytes, count(&p.allow), count(&p.deny)),
                }
            })
            .collect()
    };
    let per = sets.len().div_ceil(threads_for(sets.len(), 64));
    let sizes: Vec<(usize, usize, usize)> = if per >= sets.len() {
        measure(&sets)
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = sets
                .chunks(per)
                .map(|chunk| scope.spawn(move || measure(chunk)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("policy measurement does not panic"))
                .collect()
        })
    };
    let mut best: Option<(usize, Vec<GroupId>, usize, usize)> = None;
    for ((_, combo), (bytes, allow, deny)) in sets.iter().zip(sizes) {
        if best.as_ref().is_none_or(|b| bytes > b.0) {
            best = Some((bytes, (*combo).clone(), allow, deny));
        }
    }
    let (bytes, combo, allow, deny) = best.expect("the empty combination is always measured");
    PolicySize {
        bytes,
        groups: combo.iter().map(|g| model.group(*g).name.clone()).collect(),
        allow,
        deny,
        combinations: seen.len(),
        exhaustive,
        max_groups,
        arn_prefix: prefix,
    }
}

// ---------------------------------------------------------------------------------------------
// Files.
// ---------------------------------------------------------------------------------------------

pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    generate_from(model, &Table::new(model))
}

/// `generate` with the table already built.
pub fn generate_from(model: &Model, table: &Table) -> Result<Files, Vec<Diagnostic>> {
    let errors = conflicts(model, table);
    if !errors.is_empty() {
        return Err(errors);
    }
    let lines = |items: Vec<String>| -> String {
        if items.is_empty() {
            "[]".to_string()
        } else {
            format!("[\n  {}\n]", items.join(",\n  "))
        }
    };
    let routes = lines(
        table
            .routes
            .iter()
            .map(|r| js_literal(&model.route(*r).key()))
            .collect(),
    );
    let patterns = lines(
        table
            .patterns
            .iter()
            .map(|p| {
                let cover: Vec<usize> = p.cover.ones().collect();
                let reach: Vec<usize> = p.reach.ones().collect();
                let denies: Vec<usize> = p.denies.iter().flat_map(|&(d, u)| [d, u]).collect();
                js_literal(&(&p.suffixes, cover, reach, denies, &p.within))
            })
            .collect(),
    );
    let groups = lines(
        model
            .group_ids()
            .map(|g| {
                let routes: Vec<usize> = table.rows[g.0].ones().collect();
                js_literal(&(&model.group(g).name, routes))
            })
            .collect(),
    );
    let code = render(
        "authorizer.mjs.j2",
        minijinja::context! {
            routes => routes,
            patterns => patterns,
            allow_count => table.allow_count,
            own => js_literal(&table.own),
            groups => groups,
        },
    );
    let package = json!({
        "name": "rolegen-authorizer",
        "version": "1.0.0",
        "private": true,
        "description": "Lambda TOKEN authorizer generated by rolegen from roles.yaml",
        "type": "module",
        "main": "index.mjs",
        "engines": { "node": ">=22" },
        "dependencies": { "aws-jwt-verify": AWS_JWT_VERIFY_VERSION },
    });
    let lock = json!({
        "name": "rolegen-authorizer",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": true,
        "packages": {
            "": {
                "name": "rolegen-authorizer",
                "version": "1.0.0",
                "dependencies": { "aws-jwt-verify": AWS_JWT_VERIFY_VERSION },
                "engines": { "node": ">=22" },
            },
            "node_modules/aws-jwt-verify": {
                "version": AWS_JWT_VERIFY_VERSION,
                "resolved": format!("https://registry.npmjs.org/aws-jwt-verify/-/aws-jwt-verify-{AWS_JWT_VERIFY_VERSION}.tgz"),
                "integrity": AWS_JWT_VERIFY_INTEGRITY,
                "license": "Apache-2.0",
                "engines": { "node": ">=18.0.0" },
            },
        },
    });
    let pretty = |v: &Value| {
        let mut s = serde_json::to_string_pretty(v).expect("json");
        s.push('\n');
        s.into_bytes()
    };
    Ok(Files::from([
        (HANDLER.to_string(), code.into_bytes()),
        (PACKAGE_JSON.to_string(), pretty(&package)),
        (PACKAGE_LOCK.to_string(), pretty(&lock)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word over `alphabet` up to `len` characters.
    fn words(alphabet: &[u8], len: usize) -> Vec<Vec<u8>> {
        let mut all = vec![Vec::new()];
        let mut level = vec![Vec::new()];
        for _ in 0..len {
            let mut next = Vec::new();
            for w in &level {
                for &c in alphabet {
                    let mut x: Vec<u8> = w.clone();
                    x.push(c);
                    next.push(x);
                }
            }
            all.extend(next.iter().cloned());
            level = next;
        }
        all
    }

    /// The language's membership test, by brute force over positions.
    fn member(l: &Lang, w: &[u8]) -> bool {
        let mut set = FixedBitSet::with_capacity(l.len() + 1);
        set.insert(0);
        closure(l, &mut set);
        for &c in w {
            set = step(l, &set, c);
        }
        set.contains(l.len())
    }

    fn p(s: &str) -> Path {
        Path::parse(s).unwrap()
    }

    #[test]
    fn searches_agree_with_brute_force() {
        let alphabet = b"G/ab";
        let ws = words(alphabet, 6);
        let langs: Vec<Lang> = vec![
            pattern_lang("G/*"),
            pattern_lang("G/a*"),
            pattern_lang("*/a"),
            pattern_lang("G/?"),
            pattern_lang("*b*"),
            route_lang("G", &p("/a")),
            route_lang("G", &p("/{x}")),
            route_lang("G", &p("/a/{x}")),
            route_lang("G", &p("/{x+}")),
            route_lang("G", &p("/a/b")),
            route_lang("G", &p("/")),
        ];
        let mut scratch = Vec::new();
        for a in &langs {
            for b in &langs {
                let brute = ws.iter().any(|w| member(a, w) && member(b, w));
                // Words up to 6 characters decide these small languages.
                assert_eq!(intersects(a, b, &mut scratch), brute, "{a:?} ∩ {b:?}");
                assert_eq!(exists(&[a, b], &[]), brute);
                let brute_diff = ws.iter().any(|w| member(a, w) && !member(b, w));
                assert_eq!(exists(&[a], &[b]), brute_diff, "{a:?} \\ {b:?}");
            }
        }
    }

    #[test]
    fn covers_means_every_request_matches() {
        let cases = [
            ("GET/orders/*", "/orders/{id}", true),
            ("GET/orders/*", "/orders/{id}/items", true),
            ("GET/orders/*", "/orders", false),
            ("GET/orders/*/items", "/orders/{id}/items", true),
            ("GET/orders/*/items", "/orders/{id}", false),
            ("GET/*s", "/orders/{id}", false),
            ("GET/*", "/", true),
            ("*", "/{p+}", true),
            ("GET/o*/*", "/orders/{id}", true),
        ];
        for (pat, path, want) in cases {
            let s = route_symbolic("GET", &p(path));
            assert_eq!(glob_covers(pat.as_bytes(), &s), want, "{pat} {path}");
        }
    }

    #[test]
    fn star_reaches_across_slashes() {
        let mut scratch = Vec::new();
        let allow = pattern_lang("GET/orders/*");
        let secret = route_lang("GET", &p("/orders/{id}/secret"));
        assert!(intersects(&allow, &secret, &mut scratch));
        let deny = pattern_lang("GET/orders/*/secret");
        let item = route_lang("GET", &p("/orders/{id}"));
        let deep = route_lang("GET", &p("/orders/{id}/items/secret"));
        assert!(!intersects(&deny, &item, &mut scratch));
        assert!(intersects(&deny, &deep, &mut scratch));
        // `/orders` and `/ordersarchive` share a prefix, not a path.
        let archive = route_lang("GET", &p("/ordersarchive"));
        assert!(!intersects(
            &pattern_lang("GET/orders"),
            &archive,
            &mut scratch
        ));
        assert!(intersects(
            &pattern_lang("GET/orders*"),
            &archive,
            &mut scratch
        ));
    }
}
