//! The portability score: how much porting work the CUDA coupling of a tree represents for one
//! target, as effort points and as a 0–100 score. docs/scoring.md is the user-facing description;
//! this module is its only implementation, so every report (text, JSON, Markdown, HTML, compare)
//! shows the same numbers.
//!
//! The model, per target:
//!
//! * every finding is one **edit** at its effort class;
//! * every distinct `(library, symbol, effort)` is one **decision** (learning the replacement,
//!   writing the shim, choosing a design) — made once however many call sites follow it;
//! * `points = Σ decisions × decision weight + Σ edits × edit weight`, with `none` weighing 0;
//! * `score = 100 × scale / (scale + points)`, rounded to one decimal.
//!
//! Every weight is non-negative and the mapping from points to score is monotone, which is what
//! makes the promised properties hold: adding coupling never raises a score, removing it never
//! lowers one, `none` findings cost nothing, and the score depends only on the multiset of
//! findings (not on their order, so not on `--jobs`).

use crate::finding::Finding;
use crate::hash::{FastMap, FastSet};
use crate::portability::{Effort, Target};
use serde::{Deserialize, Serialize};

/// What one effort class costs: once per distinct API (`decision`) and once per call site (`edit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassWeights {
    pub decision: u64,
    pub edit: u64,
}

/// The weights of the score model. `none` has no entry: code that runs unchanged costs nothing,
/// whatever a configuration says. Deserializable so a config file can override any part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    pub automatic: ClassWeights,
    pub manual: ClassWeights,
    pub rewrite: ClassWeights,
    /// The number of points at which the score is 50.
    pub scale: u64,
}

impl Default for ScoreWeights {
    /// Per call site: 1 for a tool's edit a person reviews, 10 for a hand port, 50 for a
    /// re-implementation. A decision weighs ten automatic sites, five manual or rewrite ones.
    /// docs/scoring.md justifies the numbers.
    fn default() -> Self {
        ScoreWeights {
            automatic: ClassWeights {
                decision: 10,
                edit: 1,
            },
            manual: ClassWeights {
                decision: 50,
                edit: 10,
            },
            rewrite: ClassWeights {
                decision: 250,
                edit: 50,
            },
            scale: 10_000,
        }
    }
}

impl ScoreWeights {
    /// The weights of one class; `none` is always free.
    pub fn class(&self, effort: Effort) -> ClassWeights {
        match effort {
            Effort::None => ClassWeights {
                decision: 0,
                edit: 0,
            },
            Effort::Automatic => self.automatic,
            Effort::Manual => self.manual,
            Effort::Rewrite => self.rewrite,
        }
    }

    /// The 0–100 score for a number of points: 100 with no work, 50 at `scale` points, falling
    /// towards 0 without ever reaching it for finite work (rounded to one decimal, so it can
    /// print as 0.0). A hyperbola rather than a linear cut-off, so that two large code bases
    /// still compare, and a ratio of absolute work rather than a percentage of the code, so
    /// that adding coupling can never raise it.
    pub fn score(&self, points: u64) -> f64 {
        let scale = self.scale.max(1) as f64;
        let raw = 100.0 * scale / (scale + points as f64);
        (raw * 10.0).round() / 10.0
    }

    /// The cost of `count` call sites and `distinct` decisions of one class.
    fn cost(&self, effort: Effort, distinct: usize, count: usize) -> (u64, u64) {
        let w = self.class(effort);
        (
            w.decision.saturating_mul(distinct as u64),
            w.edit.saturating_mul(count as u64),
        )
    }
}

/// Accumulates the findings of one target, the `(library, symbol)` pairs numbered by
/// [`symbol_ids`]: a large tree adds millions of occurrences of a few thousand names, and hashing
/// two strings per finding and group was most of a summary's time.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    counts: [usize; 4],
    /// `id << 2 | effort`. Hashed, not ordered: only its size per effort is read.
    decisions: FastSet<u64>,
}

impl Tally {
    /// Adds one occurrence of the pair numbered `id` at `effort`.
    pub fn add(&mut self, id: u32, effort: Effort) {
        self.counts[effort.index()] += 1;
        self.decisions
            .insert(u64::from(id) << 2 | effort.index() as u64);
    }

    /// Adds everything `other` holds.
    pub fn merge(&mut self, other: &Tally) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.decisions.extend(other.decisions.iter().copied());
    }

    /// The cost of everything added so far.
    pub fn cost(&self, weights: &ScoreWeights) -> Cost {
        let mut distinct = [0usize; 4];
        for key in &self.decisions {
            distinct[(key & 3) as usize] += 1;
        }
        Cost::of(self.counts, distinct, weights)
    }
}

/// One number per distinct `(library, symbol)` pair, for each pair in order.
pub fn symbol_ids<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<u32> {
    let mut numbers: FastMap<(&str, &str), u32> = FastMap::default();
    pairs
        .into_iter()
        .map(|pair| {
            let next = numbers.len() as u32;
            *numbers.entry(pair).or_insert(next)
        })
        .collect()
}

/// [`symbol_ids`] of findings.
pub fn finding_ids<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<u32> {
    symbol_ids(
        findings
            .into_iter()
            .map(|f| (f.library.as_str(), f.symbol.as_str())),
    )
}

impl Cost {
    /// The cost of `counts` findings and `distinct` decisions per effort class.
    pub fn of(counts: [usize; 4], distinct: [usize; 4], weights: &ScoreWeights) -> Cost {
        let mut decision_points = 0u64;
        let mut edit_points = 0u64;
        for effort in Effort::ALL {
            let (d, e) = weights.cost(effort, distinct[effort.index()], counts[effort.index()]);
            decision_points = decision_points.saturating_add(d);
            edit_points = edit_points.saturating_add(e);
        }
        Cost {
            counts,
            distinct,
            decision_points,
            edit_points,
        }
    }
}

/// The porting work for one target, before it becomes a score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Findings (call sites) per effort class, indexed by [`Effort::index`].
    pub counts: [usize; 4],
    /// Distinct `(library, symbol)` per effort class.
    pub distinct: [usize; 4],
    pub decision_points: u64,
    pub edit_points: u64,
}

impl Cost {
    pub fn points(&self) -> u64 {
        self.decision_points.saturating_add(self.edit_points)
    }
}

/// One target's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetScore {
    pub target: Target,
    pub cost: Cost,
    /// 0–100, one decimal; 100 means nothing to port.
    pub score: f64,
}

impl TargetScore {
    pub fn points(&self) -> u64 {
        self.cost.points()
    }
}

/// Scores `findings` for each of `targets`.
pub fn score_findings<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    targets: &[Target],
    weights: &ScoreWeights,
) -> Vec<TargetScore> {
    let findings: Vec<&Finding> = findings.into_iter().collect();
    let ids = finding_ids(findings.iter().copied());
    let mut tallies: Vec<Tally> = targets.iter().map(|_| Tally::default()).collect();
    for (f, &id) in findings.iter().zip(&ids) {
        for (tally, &t) in tallies.iter_mut().zip(targets) {
            tally.add(id, f.effort(t));
        }
    }
    targets
        .iter()
        .zip(&tallies)
        .map(|(&target, tally)| {
            let cost = tally.cost(weights);
            TargetScore {
                target,
                cost,
                score: weights.score(cost.points()),
            }
        })
        .collect()
}

/// Formats a score for people: `100` (nothing to port), otherwise one decimal: `91.0`, `0.4`.
pub fn format_score(score: f64) -> String {
    if score >= 100.0 {
        "100".into()
    } else {
        format!("{score:.1}")
    }
}

/// The model and the weights in force, for `cuda-audit explain --scoring`.
pub fn explain(weights: &ScoreWeights) -> String {
    let mut out = String::from(
        r"Portability score, per target (docs/scoring.md has the full text and a worked example)

  Each finding has an effort class per target: none, automatic, manual or rewrite.
  DECISION: each distinct API (library + symbol) at a class, counted once however many call
            sites follow: learning the replacement, writing the shim, choosing a design.
  EDIT:     each finding, i.e. each call site that has to change.

    points = sum over distinct (library, symbol, effort) of decision[effort]
           + sum over findings of edit[effort]
    score  = 100 * scale / (scale + points), rounded to one decimal

",
    );
    out.push_str("  weights      decision   edit\n");
    out.push_str(&format!("    {:<10}{:>9}{:>7}\n", "none", 0, 0));
    for (name, w) in [
        ("automatic", weights.automatic),
        ("manual", weights.manual),
        ("rewrite", weights.rewrite),
    ] {
        out.push_str(&format!("    {name:<10}{:>9}{:>7}\n", w.decision, w.edit));
    }
    out.push_str(&format!(
        "  scale        {} (the score is 50 at {} points)\n\n",
        weights.scale, weights.scale
    ));
    out.push_str(
        r"  100 means nothing to port. The score measures absolute work, not a share of the code:
  adding coupling never raises it, removing coupling never lowers it, `none` findings cost
  nothing, and the same tree always gives the same score.
",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_counted_once_and_edits_per_site() {
        let w = ScoreWeights::default();
        let mut t = Tally::default();
        for _ in 0..300 {
            t.add(
                symbol_ids([("cudart", "cudaMemcpyAsync")])[0],
                Effort::Automatic,
            );
        }
        let c = t.cost(&w);
        assert_eq!(c.distinct[Effort::Automatic.index()], 1);
        assert_eq!(c.decision_points, 10);
        assert_eq!(c.edit_points, 300);
    }

    #[test]
    fn score_is_100_without_work_and_50_at_scale() {
        let w = ScoreWeights::default();
        assert_eq!(w.score(0), 100.0);
        assert_eq!(w.score(w.scale), 50.0);
        assert!(w.score(u64::MAX) >= 0.0);
        let zero_scale = ScoreWeights { scale: 0, ..w };
        assert!(zero_scale.score(0).is_finite());
    }

    #[test]
    fn formats_scores() {
        assert_eq!(format_score(100.0), "100");
        assert_eq!(format_score(47.3), "47.3");
        assert_eq!(format_score(91.0), "91.0");
    }
}
