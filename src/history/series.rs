//! The charted values: one point per commit (scores, effort counts, findings per library), and
//! the moves between consecutive points that the reports call jumps.

use super::git::Commit;
use crate::audit::Audit;
use crate::portability::Target;
use crate::summary::Summary;
use std::collections::{BTreeMap, BTreeSet};

/// One charted commit.
#[derive(Clone, Debug)]
pub struct Point {
    pub commit: Commit,
    /// Per selected target, in the audit's order.
    pub targets: Vec<TargetPoint>,
    pub findings: usize,
    pub files_scanned: usize,
    /// Findings per library, every library.
    pub libraries: BTreeMap<String, usize>,
    /// Files whose analysis came from the result cache (not reported: the reports are the same
    /// with or without it).
    pub cache_hits: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct TargetPoint {
    pub target: Target,
    /// 0–100, as the scan's summary scores it.
    pub score: f64,
    pub effort_points: u64,
    /// Findings per effort class, indexed by [`crate::portability::Effort::index`].
    pub counts: [usize; 4],
}

impl Point {
    /// The point of `commit`, from the audit of its tree.
    pub fn of(commit: Commit, audit: &Audit) -> Point {
        let summary = Summary::of(audit);
        let targets = summary
            .scores
            .iter()
            .map(|ts| TargetPoint {
                target: ts.target,
                score: ts.score,
                effort_points: ts.points(),
                counts: summary
                    .targets
                    .iter()
                    .find(|(t, _)| *t == ts.target)
                    .map_or([0; 4], |(_, c)| *c),
            })
            .collect();
        Point {
            commit,
            targets,
            findings: summary.findings,
            files_scanned: summary.files_scanned,
            libraries: summary.by_library,
            cache_hits: audit.cache_hits,
        }
    }

    pub fn score(&self, target: Target) -> f64 {
        self.targets
            .iter()
            .find(|t| t.target == target)
            .map_or(100.0, |t| t.score)
    }

    /// The `n` libraries with the most findings (most first, then by name).
    pub fn top_libraries(&self, n: usize) -> Vec<(&str, usize)> {
        let mut libs: Vec<(&str, usize)> = self
            .libraries
            .iter()
            .map(|(l, &c)| (l.as_str(), c))
            .collect();
        libs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        libs.truncate(n);
        libs
    }
}

/// A change of scores or library counts between two consecutive points.
#[derive(Clone, Debug)]
pub struct Move {
    /// The later point's index; the earlier is the one before it.
    pub index: usize,
    /// Per target: the score after minus the score before.
    pub deltas: Vec<(Target, f64)>,
    /// Libraries whose finding count changed: (library, before, after), the largest change
    /// first, then by name.
    pub libraries: Vec<(String, usize, usize)>,
}

impl Move {
    /// The largest score change on any target, in points.
    pub fn size(&self) -> f64 {
        self.deltas.iter().map(|(_, d)| d.abs()).fold(0.0, f64::max)
    }

    fn findings_moved(&self) -> usize {
        self.libraries.iter().map(|(_, a, b)| a.abs_diff(*b)).sum()
    }
}

/// A score change of at least this many points is a jump.
pub const JUMP: f64 = 2.0;
/// When fewer moves are that large, the largest this many are listed anyway.
const LARGEST: usize = 3;
/// At most this many jumps are listed.
const MAX_JUMPS: usize = 12;

/// What changed from `points[i - 1]` to `points[i]`.
pub fn move_at(points: &[Point], index: usize) -> Move {
    let (before, after) = (&points[index - 1], &points[index]);
    let deltas = after
        .targets
        .iter()
        .map(|t| (t.target, round(t.score - before.score(t.target))))
        .collect();
    let names: BTreeSet<&String> = before
        .libraries
        .keys()
        .chain(after.libraries.keys())
        .collect();
    let mut libraries: Vec<(String, usize, usize)> = names
        .into_iter()
        .map(|l| {
            let count = |p: &Point| p.libraries.get(l).copied().unwrap_or(0);
            (l.clone(), count(before), count(after))
        })
        .filter(|(_, a, b)| a != b)
        .collect();
    libraries.sort_by(|x, y| {
        y.1.abs_diff(y.2)
            .cmp(&x.1.abs_diff(x.2))
            .then(x.0.cmp(&y.0))
    });
    Move {
        index,
        deltas,
        libraries,
    }
}

/// Scores have one decimal: differences are rounded to it, so `91.2 - 91.1` is `0.1`.
fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The commits where coupling jumped, oldest first: every move of at least [`JUMP`] points on
/// some target; when fewer than [`LARGEST`] are that large, the largest moves (score first,
/// then findings moved) that changed anything; at most [`MAX_JUMPS`], the largest kept.
pub fn jumps(points: &[Point]) -> Vec<Move> {
    let mut moves: Vec<Move> = (1..points.len())
        .map(|i| move_at(points, i))
        .filter(|m| m.size() > 0.0 || !m.libraries.is_empty())
        .collect();
    moves.sort_by(|a, b| {
        b.size()
            .total_cmp(&a.size())
            .then(b.findings_moved().cmp(&a.findings_moved()))
            .then(a.index.cmp(&b.index))
    });
    let large = moves.iter().filter(|m| m.size() >= JUMP).count();
    moves.truncate(large.clamp(LARGEST, MAX_JUMPS));
    moves.sort_by_key(|m| m.index);
    moves
}
