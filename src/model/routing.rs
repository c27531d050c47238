//! API Gateway's dispatch rule, written once: which declared method answers a request.
//!
//! The `lambda` authorizer's table (which route a `(resource, verb)` pair is), `explain`
//! ("who may call `GET /orders/123`?") and `drift` (which of the API's methods serves a
//! declared route it has no method for) all ask this module, so they cannot disagree.
//!
//! The rule, from API Gateway's documentation and from what was measured on real API
//! Gateway (see ARCHITECTURE notes in the README):
//! - on one resource, a method declared for the verb beats the resource's `ANY`;
//! - among resources that match a path, the most specific wins: at the first segment where
//!   two differ, a literal beats `{var}`, which beats `{var+}`;
//! - a resource that matches the path but has neither the verb nor `ANY` does not stop the
//!   search: the request falls through to the next most specific resource that accepts it
//!   (`GET /users/me` with only `PATCH` on `/users/me` goes to `GET /users/{id}`).
//!
//! The routes are kept as a tree of resources, and a request is resolved by walking it
//! depth first in precedence order (literal child, then variable, then greedy), so the
//! first resource that accepts the request is the one API Gateway picks, and a lookup costs
//! the depth of the path, not the number of routes.

use super::path::{Method, Segment};
use foldhash::HashMap;

/// A tree of resources and the routes declared on each. Routes are numbered in the order they
/// were given; the first route given for one method and resource is the one that counts.
pub struct Router<'a> {
    nodes: Vec<Node<'a>>,
}

#[derive(Default)]
struct Node<'a> {
    literals: HashMap<&'a str, u32>,
    var: Option<u32>,
    greedy: Option<u32>,
    /// The route declared for each method on this resource, by `Method as usize`.
    methods: [Option<u32>; Method::ALL.len()],
}

impl<'a> Router<'a> {
    /// A router over `routes`, each a method and the segments of its resource path. Variable
    /// names do not matter: `/a/{id}` and `/a/{orderId}` are one resource.
    pub fn new<I>(routes: I) -> Router<'a>
    where
        I: IntoIterator<Item = (Method, &'a [Segment])>,
    {
        let mut router = Router {
            nodes: vec![Node::default()],
        };
        for (i, (method, segments)) in routes.into_iter().enumerate() {
            let node = router.insert(segments);
            let slot = &mut router.nodes[node].methods[method as usize];
            if slot.is_none() {
                *slot = Some(u32::try_from(i).expect("fewer than 2^32 routes"));
            }
        }
        router
    }

    fn insert(&mut self, segments: &'a [Segment]) -> usize {
        let mut at = 0;
        for seg in segments {
            let next = self.nodes.len() as u32;
            let node = &mut self.nodes[at];
            let (child, fresh) = match seg {
                Segment::Literal(l) => {
                    let e = node.literals.entry(l.as_str()).or_insert(next);
                    (*e, *e == next)
                }
                Segment::Var(_) => {
                    let c = *node.var.get_or_insert(next);
                    (c, c == next)
                }
                Segment::Greedy(_) => {
                    let c = *node.greedy.get_or_insert(next);
                    (c, c == next)
                }
            };
            if fresh {
                self.nodes.push(Node::default());
            }
            at = child as usize;
        }
        at
    }

    /// The resource with exactly this shape, if any route is declared on it or below it.
    fn find(&self, segments: &[Segment]) -> Option<&Node<'a>> {
        let mut at = 0usize;
        for seg in segments {
            let node = &self.nodes[at];
            at = match seg {
                Segment::Literal(l) => *node.literals.get(l.as_str())?,
                Segment::Var(_) => node.var?,
                Segment::Greedy(_) => node.greedy?,
            } as usize;
        }
        Some(&self.nodes[at])
    }

    /// The route that answers `verb` on the resource `resource` (API Gateway has already
    /// chosen that resource): the method declared for the verb there, else the resource's
    /// `ANY`. This is all a Lambda authorizer needs, given the event's `resource` and
    /// `httpMethod`.
    pub fn on_resource(&self, resource: &[Segment], verb: Method) -> Option<usize> {
        let node = self.find(resource)?;
        accepts(node, verb)
    }

    /// The route API Gateway dispatches a request for `verb` and `path` to. A literal segment
    /// of `path` is a concrete value; a `{var}` segment stands for a value no literal sibling
    /// has, and a `{var+}` for one or more such segments (so `dispatch(GET, /orders/{id})`
    /// is "a request to `GET /orders/<some id>`"). `verb` may be `ANY`: then only `ANY`
    /// methods answer. `None`: API Gateway answers the request itself (403 `Missing
    /// Authentication Token`), no route is called.
    pub fn dispatch(&self, verb: Method, path: &[Segment]) -> Option<usize> {
        self.walk(0, verb, path)
    }

    fn walk(&self, at: usize, verb: Method, rest: &[Segment]) -> Option<usize> {
        let node = &self.nodes[at];
        let Some((seg, tail)) = rest.split_first() else {
            return accepts(node, verb);
        };
        if let Segment::Literal(l) = seg
            && let Some(&child) = node.literals.get(l.as_str())
            && let Some(r) = self.walk(child as usize, verb, tail)
        {
            return Some(r);
        }
        if !matches!(seg, Segment::Greedy(_))
            && let Some(child) = node.var
            && let Some(r) = self.walk(child as usize, verb, tail)
        {
            return Some(r);
        }
        // `{var+}` takes every remaining segment (one or more: `rest` is not empty here).
        accepts(&self.nodes[node.greedy? as usize], verb)
    }
}

/// The route a resource answers `verb` with: its own method, else its `ANY`.
fn accepts(node: &Node, verb: Method) -> Option<usize> {
    node.methods[verb as usize]
        .or(node.methods[Method::Any as usize])
        .map(|r| r as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Path;

    fn router(routes: &[(&str, &str)]) -> (Vec<(Method, Path)>, Vec<String>) {
        let parsed: Vec<(Method, Path)> = routes
            .iter()
            .map(|(m, p)| (Method::parse(m).unwrap(), Path::parse(p).unwrap()))
            .collect();
        let keys = routes.iter().map(|(m, p)| format!("{m} {p}")).collect();
        (parsed, keys)
    }

    fn dispatch(routes: &[(&str, &str)], verb: &str, path: &str) -> Option<String> {
        let (parsed, keys) = router(routes);
        let r = Router::new(parsed.iter().map(|(m, p)| (*m, p.segments.as_slice())));
        r.dispatch(
            Method::parse(verb).unwrap(),
            &Path::parse(path).unwrap().segments,
        )
        .map(|i| keys[i].clone())
    }

    #[test]
    fn literal_beats_variable_beats_greedy() {
        let routes = [
            ("GET", "/orders/{id}"),
            ("GET", "/orders/search"),
            ("GET", "/{proxy+}"),
        ];
        let at = |p| dispatch(&routes, "GET", p);
        assert_eq!(at("/orders/search").as_deref(), Some("GET /orders/search"));
        assert_eq!(at("/orders/42").as_deref(), Some("GET /orders/{id}"));
        assert_eq!(at("/orders/{x}").as_deref(), Some("GET /orders/{id}"));
        assert_eq!(at("/orders/42/items").as_deref(), Some("GET /{proxy+}"));
        assert_eq!(at("/orders").as_deref(), Some("GET /{proxy+}"));
        // `{proxy+}` needs at least one segment.
        assert_eq!(at("/"), None);
    }

    #[test]
    fn explicit_method_beats_any_and_verbs_fall_through() {
        let routes = [
            ("ANY", "/items"),
            ("GET", "/items"),
            ("PATCH", "/users/me"),
            ("GET", "/users/{id}"),
            ("ANY", "/{rest+}"),
        ];
        let at = |v, p| dispatch(&routes, v, p);
        assert_eq!(at("GET", "/items").as_deref(), Some("GET /items"));
        assert_eq!(at("POST", "/items").as_deref(), Some("ANY /items"));
        assert_eq!(at("PATCH", "/users/me").as_deref(), Some("PATCH /users/me"));
        // `/users/me` has no GET: the request falls through to the variable sibling.
        assert_eq!(at("GET", "/users/me").as_deref(), Some("GET /users/{id}"));
        // Neither has DELETE: the greedy route at the root takes it.
        assert_eq!(at("DELETE", "/users/me").as_deref(), Some("ANY /{rest+}"));
        assert_eq!(at("ANY", "/items").as_deref(), Some("ANY /items"));
        assert_eq!(at("ANY", "/users/me").as_deref(), Some("ANY /{rest+}"));
    }

    #[test]
    fn a_resource_without_methods_does_not_stop_the_search() {
        // `/a/b/c` exists only as the parent of `/a/b/c/d`.
        let routes = [("GET", "/a/b/c/d"), ("GET", "/a/{x}/c"), ("GET", "/{p+}")];
        assert_eq!(
            dispatch(&routes, "GET", "/a/b/c").as_deref(),
            Some("GET /a/{x}/c")
        );
        assert_eq!(
            dispatch(&routes, "GET", "/a/b/z").as_deref(),
            Some("GET /{p+}")
        );
    }

    #[test]
    fn on_resource_is_the_method_or_any_of_that_resource_only() {
        let (parsed, keys) = router(&[
            ("GET", "/orders/{id}"),
            ("ANY", "/orders/{id}"),
            ("GET", "/{p+}"),
        ]);
        let r = Router::new(parsed.iter().map(|(m, p)| (*m, p.segments.as_slice())));
        let on = |p: &str, v| {
            r.on_resource(&Path::parse(p).unwrap().segments, v)
                .map(|i| keys[i].as_str())
        };
        assert_eq!(
            on("/orders/{orderId}", Method::Get),
            Some("GET /orders/{id}")
        );
        assert_eq!(on("/orders/{id}", Method::Delete), Some("ANY /orders/{id}"));
        assert_eq!(on("/{p+}", Method::Post), None);
        assert_eq!(on("/orders", Method::Get), None);
        assert_eq!(on("/nowhere", Method::Get), None);
    }
}
