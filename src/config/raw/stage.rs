//! The production settings of `api:` as written: access logging, tracing, metrics,
//! throttling (also per route), CORS. Only their shape is read here; `model::stage` checks
//! what they mean.

use super::{Kind, Node, S, Walker, What};
use crate::diag::Span;

pub mod keys {
    pub const LOGGING: &[&str] = &["retention_days", "account_role"];
    pub const THROTTLE: &[&str] = &["rate", "burst"];
    pub const CORS: &[&str] = &["origins", "headers", "credentials", "max_age"];
}

#[derive(Clone, Debug, Default)]
pub struct RawStage {
    /// `logging: false` (`Off`), or a mapping.
    pub logging: Option<S<RawLogging>>,
    pub tracing: Option<S<bool>>,
    pub metrics: Option<S<bool>>,
    pub throttle: Option<S<RawThrottle>>,
    pub cors: Option<S<RawCors>>,
    /// `resources`, `body` or `package`.
    pub definition: Option<S<String>>,
}

#[derive(Clone, Debug)]
pub enum RawLogging {
    Off,
    On {
        retention_days: Option<S<i64>>,
        account_role: Option<S<bool>>,
    },
}

#[derive(Clone, Debug, Default)]
pub struct RawThrottle {
    pub rate: Option<S<i64>>,
    pub burst: Option<S<i64>>,
}

#[derive(Clone, Debug, Default)]
pub struct RawCors {
    pub origins: Vec<S<String>>,
    /// Where `origins` is written (an error about a missing list points at `cors`).
    pub origins_span: Option<Span>,
    pub headers: Vec<S<String>>,
    pub credentials: Option<S<bool>>,
    pub max_age: Option<S<i64>>,
}

impl Walker<'_> {
    /// One of `keys::API` under `api`.
    pub(super) fn stage_setting(&mut self, stage: &mut RawStage, key: &'static str, v: &Node) {
        match key {
            "logging" => stage.logging = self.logging(v),
            "tracing" => stage.tracing = self.boolean(v, What::Text("`api.tracing`")),
            "metrics" => stage.metrics = self.boolean(v, What::Text("`api.metrics`")),
            "throttle" => stage.throttle = self.throttle(v, What::Text("`api.throttle`")),
            "cors" => stage.cors = self.cors(v),
            "definition" => {
                stage.definition = self
                    .string(v, What::Text("`api.definition`"))
                    .map(|t| S::new(t.value.into_owned(), t.span))
            }
            _ => unreachable!("raw::keys::API lists every key"),
        }
    }

    fn boolean(&mut self, node: &Node, what: What) -> Option<S<bool>> {
        match node.kind {
            Kind::Bool(b) => Some(S::new(b, node.span)),
            _ => {
                self.type_error(node, what, "`true` or `false`");
                None
            }
        }
    }

    fn logging(&mut self, node: &Node) -> Option<S<RawLogging>> {
        let what = What::Text("`api.logging`");
        if let Kind::Bool(false) = node.kind {
            return Some(S::new(RawLogging::Off, node.span));
        }
        if !matches!(node.kind, Kind::Map(_)) {
            self.type_error(node, what, "`false` or a mapping");
            return None;
        }
        let fields = self.fields(node, what, keys::LOGGING)?;
        let mut retention_days = None;
        let mut account_role = None;
        for (key, v) in fields.iter() {
            match key.static_name {
                "retention_days" => {
                    retention_days = self.int(v, What::Text("`api.logging.retention_days`"))
                }
                "account_role" => {
                    account_role = self.boolean(v, What::Text("`api.logging.account_role`"))
                }
                _ => unreachable!(),
            }
        }
        Some(S::new(
            RawLogging::On {
                retention_days,
                account_role,
            },
            node.span,
        ))
    }

    /// `{rate, burst}` of `api.throttle` or of a route's `throttle`.
    pub(super) fn throttle(&mut self, node: &Node, what: What) -> Option<S<RawThrottle>> {
        let fields = self.fields(node, what, keys::THROTTLE)?;
        let mut t = RawThrottle::default();
        for (key, v) in fields.iter() {
            match key.static_name {
                "rate" => t.rate = self.int(v, What::Of("`rate` of ", &what)),
                "burst" => t.burst = self.int(v, What::Of("`burst` of ", &what)),
                _ => unreachable!(),
            }
        }
        Some(S::new(t, node.span))
    }

    fn cors(&mut self, node: &Node) -> Option<S<RawCors>> {
        let fields = self.fields(node, What::Text("`api.cors`"), keys::CORS)?;
        let mut c = RawCors::default();
        let owned = |list: Vec<super::Text>| -> Vec<S<String>> {
            list.into_iter()
                .map(|t| S::new(t.value.into_owned(), t.span))
                .collect()
        };
        for (key, v) in fields.iter() {
            match key.static_name {
                "origins" => {
                    c.origins_span = Some(v.span);
                    c.origins = owned(self.names(v, What::Text("`api.cors.origins`")));
                }
                "headers" => c.headers = owned(self.names(v, What::Text("`api.cors.headers`"))),
                "credentials" => {
                    c.credentials = self.boolean(v, What::Text("`api.cors.credentials`"))
                }
                "max_age" => c.max_age = self.int(v, What::Text("`api.cors.max_age`")),
                _ => unreachable!(),
            }
        }
        Some(S::new(c, node.span))
    }

    /// The `throttle` of a route written in the long form (`route_value` reads the rest).
    pub(super) fn route_throttle(&mut self, v: &Node, what: What) -> Option<S<RawThrottle>> {
        let Kind::Map(entries) = &v.kind else {
            return None;
        };
        let (_, value) = entries
            .iter()
            .find(|(k, _)| matches!(&k.kind, Kind::Str(s) if s == "throttle"))?;
        self.throttle(value, What::Of("the `throttle` of ", &what))
    }
}
