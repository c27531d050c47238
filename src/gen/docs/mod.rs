//! The `docs` target: the access matrix for people. Reviewers and auditors ask "who can call
//! what?" far more often than they read CloudFormation, so rolegen writes the answer beside the
//! artifacts: a markdown table (`docs/access-matrix.md`, readable in a pull request) and a
//! picture of the same matrix (`docs/access-matrix.svg`) that can be read at a glance.
//!
//! Both read only the model's matrix and effective scopes. Names are data: they are escaped
//! for markdown or XML, never pasted in as markup. Each file has its module (`markdown`,
//! `svg`); what both walk (the route keys, the matrix read route by route) is here. Numbers
//! are written by the standard formatter: the hand-written writers that were here saved a few
//! milliseconds at 10,000 routes, which no user notices.

use super::Files;
use super::text::push_key;
use crate::diag::Diagnostic;
use crate::model::{GroupId, Model};

mod markdown;
mod svg;

pub const MARKDOWN: &str = "docs/access-matrix.md";
pub const SVG: &str = "docs/access-matrix.svg";

pub fn generate(model: &Model) -> Result<Files, Vec<Diagnostic>> {
    let cols = column_order(model);
    let keys = Keys::new(model);
    Ok(Files::from([
        (
            MARKDOWN.to_string(),
            markdown::markdown(model, &cols, &keys).into_bytes(),
        ),
        (SVG.to_string(), svg::svg(model, &cols, &keys).into_bytes()),
    ]))
}

/// Every route's key (`GET /orders/{orderId}`), written once into one buffer: both files show
/// it on every row, the picture three times per row and once per allowed cell.
struct Keys {
    text: String,
    /// Where each route's key ends in `text` (it starts where the previous one ends).
    ends: Vec<usize>,
}

impl Keys {
    fn new(model: &Model) -> Keys {
        let mut text = String::with_capacity(model.routes.len() * 40);
        let mut ends = Vec::with_capacity(model.routes.len());
        for route in &model.routes {
            push_key(&mut text, route);
            ends.push(text.len());
        }
        Keys { text, ends }
    }

    fn get(&self, route: usize) -> &str {
        let start = if route == 0 { 0 } else { self.ends[route - 1] };
        &self.text[start..self.ends[route]]
    }

    fn max_len(&self) -> usize {
        (0..self.ends.len())
            .map(|j| self.get(j).len())
            .max()
            .unwrap_or(0)
    }
}

/// Columns left to right from the most privileged group (lowest precedence, as Cognito ranks
/// them) to the least, so a hierarchy reads in order; groups without precedence come last, by
/// name.
pub fn column_order(model: &Model) -> Vec<GroupId> {
    let mut ids: Vec<GroupId> = model.group_ids().collect();
    ids.sort_by_key(|&g| {
        let group = model.group(g);
        (group.precedence.is_none(), group.precedence, g)
    });
    ids
}

/// The matrix read route by route: the routes' allowed columns as bit masks (column `i` is
/// bit `i % W` of word `i / W`, `W` = `usize::BITS`). The matrix is stored group by group,
/// route `j` as bit `j % W` of block `j / W` of the group's row, and a large API has a million
/// cells, mostly denied: so the masks of a block of `W` routes are built at once from the
/// columns' blocks, visiting only their set bits, and a row then visits only its allowed cells.
struct RouteBits<'m> {
    /// Each column's matrix row, as its blocks.
    rows: Vec<&'m [usize]>,
    /// Words per route mask.
    width: usize,
    /// The masks of the current block's routes, one after the other.
    masks: Vec<usize>,
}

const W: usize = usize::BITS as usize;

impl<'m> RouteBits<'m> {
    fn new(model: &'m Model, cols: &[GroupId]) -> RouteBits<'m> {
        let width = cols.len().div_ceil(W);
        RouteBits {
            rows: cols
                .iter()
                .map(|&g| model.matrix.row(g).as_slice())
                .collect(),
            width,
            masks: vec![0; W * width],
        }
    }

    /// Route `j`'s mask; routes must be visited in order, from 0.
    fn seek(&mut self, j: usize) -> &[usize] {
        let (block, at) = (j / W, j % W);
        if at == 0 {
            self.masks.fill(0);
            for (i, row) in self.rows.iter().enumerate() {
                let mut routes = row[block];
                while routes != 0 {
                    let r = routes.trailing_zeros() as usize;
                    routes &= routes - 1;
                    self.masks[r * self.width + i / W] |= 1 << (i % W);
                }
            }
        }
        &self.masks[at * self.width..(at + 1) * self.width]
    }
}

/// The set bits of a mask, lowest first.
fn ones(mask: &[usize]) -> impl Iterator<Item = usize> + '_ {
    mask.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * W + bit
            })
        })
    })
}
