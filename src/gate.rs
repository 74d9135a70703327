//! The CI gate: mark findings new or known against a baseline and/or a diff base, decide whether
//! the run fails, and update a baseline without losing what the scan did not look at.
//!
//! Findings are never dropped here: in diff mode the audit keeps the whole tree (so scores are
//! the tree's), and findings on lines the change did not add are `Unchanged`. What a scan speaks
//! for is its [`Scope`]: a baseline entry outside it is neither stale nor rewritten.

use crate::baseline::{Baseline, Entry};
use crate::diff::ChangedLines;
use crate::error::ExitStatus;
use crate::finding::BaselineState;
use crate::finding::Finding;
use crate::portability::{Effort, Target};
use crate::score::TargetScore;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// When a scan fails the run (exit 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Never: always exit 0 unless there is an error.
    None,
    /// Any finding.
    Any,
    /// Findings not in the baseline, or on lines changed since the diff base.
    New,
}

/// What makes a run fail.
#[derive(Clone, Debug)]
pub struct Policy {
    pub fail_on: FailOn,
    /// Only findings that need at least this effort on one of `targets` count.
    pub min_effort: Option<Effort>,
    pub targets: Vec<Target>,
}

/// The gate's answer, for the reporters (verdict first, new findings, scores with the delta).
#[derive(Clone, Debug)]
pub struct GateReport {
    /// The baseline compared with, as given (command line or configuration).
    pub baseline: Option<String>,
    /// Diff mode: the revision given and the merge base it resolved to.
    pub diff_base: Option<DiffBase>,
    pub new: usize,
    pub known: usize,
    /// Baseline entries in the scan's scope that no finding matched.
    pub stale: Vec<Entry>,
    /// New findings that fail the policy.
    pub failing: usize,
    pub verdict: Verdict,
    pub fail_on: FailOn,
    pub min_effort: Option<Effort>,
    /// Scores of the whole tree without the new findings: the change's delta is
    /// `summary score − before`.
    pub before: Vec<TargetScore>,
    /// What `--update-baseline` wrote.
    pub update: Option<BaselineUpdate>,
}

#[derive(Clone, Debug)]
pub struct DiffBase {
    pub rev: String,
    pub commit: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    /// `--update-baseline`: the findings were recorded; the run does not fail.
    Recorded,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Recorded => "recorded",
        }
    }
}

/// What updating a baseline changed. Every dropped entry is listed.
#[derive(Clone, Debug, Default)]
pub struct BaselineUpdate {
    pub path: String,
    pub entries: usize,
    pub added: usize,
    pub dropped: Vec<Entry>,
    /// Entries outside the scan's scope, kept as they were.
    pub kept_outside: usize,
}

/// The files a scan speaks for. A baseline entry is in scope when its file lies under a scanned
/// path and was scanned (or no longer exists), and — in diff mode — the change touches it. An
/// excluded, skipped or unscanned file's entries, and entries of files a diff does not touch,
/// stay as they are: a partial scan never shrinks a baseline.
pub struct Scope<'a> {
    root: PathBuf,
    /// Scanned paths relative to the root; empty when the whole root was scanned.
    prefixes: Vec<String>,
    scanned: HashSet<&'a str>,
    diff: Option<(String, &'a ChangedLines)>,
}

impl<'a> Scope<'a> {
    /// `paths` as given to the scan (absolute or relative to the current directory); `scanned`
    /// the files the scan analysed, relative to `root`.
    pub fn new(
        root: &Path,
        paths: &[PathBuf],
        scanned: &'a [String],
        changes: Option<&'a ChangedLines>,
    ) -> Scope<'a> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let root_abs = canonical(&cwd.join(root));
        let mut prefixes = Vec::new();
        for p in paths {
            let abs = canonical(&cwd.join(p));
            match abs.strip_prefix(&root_abs) {
                Ok(rel) if rel.as_os_str().is_empty() => {
                    prefixes.clear();
                    break;
                }
                Ok(rel) => prefixes.push(rel.to_string_lossy().replace('\\', "/")),
                // Outside the root cannot happen (the root contains every path); be safe.
                Err(_) => {
                    prefixes.clear();
                    break;
                }
            }
        }
        let diff = changes.map(|c| (c.prefix_of(&root_abs), c));
        Scope {
            root: root_abs,
            prefixes,
            scanned: scanned.iter().map(String::as_str).collect(),
            diff,
        }
    }

    /// Whether the scan speaks for `path` (relative to the root).
    pub fn covers(&self, path: &str) -> bool {
        let under = self.prefixes.is_empty()
            || self.prefixes.iter().any(|p| {
                path == p || (path.starts_with(p.as_str()) && path[p.len()..].starts_with('/'))
            });
        under
            && (self.scanned.contains(path) || !self.root.join(path).exists())
            && self
                .diff
                .as_ref()
                .is_none_or(|(prefix, c)| c.touches(&join(prefix, path)))
    }
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_string()
    } else {
        format!("{prefix}/{path}")
    }
}

/// What a gated run compares with.
pub struct Inputs<'a> {
    /// The baseline's path as given, and its entries (`None` when it does not exist yet and is
    /// about to be written).
    pub baseline: Option<(String, Option<&'a Baseline>)>,
    pub changes: Option<&'a ChangedLines>,
    pub diff_rev: Option<String>,
}

/// Marks every finding new or unchanged and returns the gate's counts. With a diff base, a
/// finding is new only on a line the change added or modified; with a baseline, only when no
/// entry in scope matches it; with both, both must hold.
pub fn compare(findings: &mut [Finding], inputs: &Inputs, scope: &Scope) -> Comparison {
    let on_changed: Vec<bool> = match inputs.changes {
        Some(changes) => {
            let prefix = scope.diff.as_ref().map_or("", |(p, _)| p.as_str());
            findings
                .iter()
                .map(|f| changes.contains(&join(prefix, &f.path), f.start.line))
                .collect()
        }
        None => vec![true; findings.len()],
    };
    let (matched, stale) = match inputs.baseline.as_ref().and_then(|(_, b)| *b) {
        Some(baseline) => match_entries(baseline.entries(), findings, scope),
        None => (vec![false; findings.len()], Vec::new()),
    };
    let mut new = 0;
    for ((f, changed), matched) in findings.iter_mut().zip(on_changed).zip(matched) {
        let state = if changed && !matched {
            new += 1;
            BaselineState::New
        } else {
            BaselineState::Unchanged
        };
        f.baseline_state = Some(state);
    }
    Comparison { new, stale }
}

/// What [`compare`] found.
pub struct Comparison {
    /// Findings marked new.
    pub new: usize,
    /// In-scope baseline entries no finding matched.
    pub stale: Vec<Entry>,
}

/// Which findings an in-scope entry matches (by fingerprint, each entry once), and the in-scope
/// entries nothing matched.
fn match_entries(
    entries: &[Entry],
    findings: &[Finding],
    scope: &Scope,
) -> (Vec<bool>, Vec<Entry>) {
    let in_scope: Vec<&Entry> = entries.iter().filter(|e| scope.covers(&e.path)).collect();
    let mut remaining: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &in_scope {
        *remaining.entry(e.fingerprint.as_str()).or_default() += 1;
    }
    let matched = findings
        .iter()
        .map(|f| match remaining.get_mut(f.fingerprint.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .collect();
    // Entries are consumed in order: the first `n` left of a fingerprint are the unmatched ones.
    let stale = in_scope
        .into_iter()
        .filter(|e| match remaining.get_mut(e.fingerprint.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .cloned()
        .collect();
    (matched, stale)
}

/// The baseline after this scan: entries outside the scope kept, those inside replaced by the
/// findings inside it.
pub fn updated_baseline(
    old: Option<&Baseline>,
    findings: &[Finding],
    scope: &Scope,
    path: &str,
) -> (Baseline, BaselineUpdate) {
    let old_entries: &[Entry] = old.map_or(&[], Baseline::entries);
    let (outside, inside): (Vec<&Entry>, Vec<&Entry>) =
        old_entries.iter().partition(|e| !scope.covers(&e.path));
    let fresh = Baseline::from_findings(findings.iter().filter(|f| scope.covers(&f.path)));
    let mut entries: Vec<Entry> = outside.iter().map(|e| (*e).clone()).collect();
    entries.extend(fresh.entries().iter().cloned());
    let baseline = Baseline::from_entries(entries);
    // Multiset differences: a fingerprint may repeat.
    let count = |es: &mut dyn Iterator<Item = &Entry>| {
        let mut m: BTreeMap<Entry, usize> = BTreeMap::new();
        for e in es {
            *m.entry(e.clone()).or_default() += 1;
        }
        m
    };
    let before = count(&mut inside.iter().copied());
    let after = count(&mut fresh.entries().iter());
    let mut dropped = Vec::new();
    let mut added = 0;
    for (e, &n) in &before {
        let m = after.get(e).copied().unwrap_or(0);
        dropped.extend(std::iter::repeat_n(e.clone(), n.saturating_sub(m)));
    }
    for (e, &n) in &after {
        added += n.saturating_sub(before.get(e).copied().unwrap_or(0));
    }
    let update = BaselineUpdate {
        path: path.to_string(),
        entries: baseline.entries().len(),
        added,
        dropped,
        kept_outside: outside.len(),
    };
    (baseline, update)
}

/// Decides the run: counts, verdict and the scores without the new findings.
pub fn report(
    findings: &[Finding],
    weights: &crate::score::ScoreWeights,
    inputs: &Inputs,
    Comparison { new, stale }: Comparison,
    policy: &Policy,
    update: Option<BaselineUpdate>,
) -> GateReport {
    let failing = failing(findings, policy).len();
    let verdict = if update.is_some() {
        Verdict::Recorded
    } else if failing > 0 {
        Verdict::Failed
    } else {
        Verdict::Passed
    };
    let before = crate::score::score_findings(
        findings
            .iter()
            .filter(|f| f.baseline_state != Some(BaselineState::New)),
        &policy.targets,
        weights,
    );
    GateReport {
        baseline: inputs.baseline.as_ref().map(|(p, _)| p.clone()),
        diff_base: inputs.changes.map(|c| DiffBase {
            rev: inputs.diff_rev.clone().unwrap_or_default(),
            commit: c.base.clone(),
        }),
        new,
        known: findings.len() - new,
        stale,
        failing,
        verdict,
        fail_on: policy.fail_on,
        min_effort: policy.min_effort,
        before,
        update,
    }
}

impl GateReport {
    /// The one-line verdict every format leads (and text also ends) with, without colour.
    pub fn headline(&self) -> String {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let against = self.against();
        let stale = self.stale.len();
        let counts = format!(
            "{} known, {stale} stale baseline entr{}",
            self.known,
            if stale == 1 { "y" } else { "ies" }
        );
        match self.verdict {
            Verdict::Failed => format!(
                "gate failed: {} ({counts}; {against})",
                if self.failing == self.new {
                    plural(self.new, "new finding")
                } else {
                    format!(
                        "{} of {} fail it",
                        self.failing,
                        plural(self.new, "new finding")
                    )
                }
            ),
            Verdict::Passed => {
                let why = match (self.new, self.fail_on, self.min_effort) {
                    (0, _, _) => "no new findings".to_string(),
                    (n, FailOn::None, _) => format!("{}, --fail-on none", plural(n, "new finding")),
                    (n, _, Some(min)) => format!(
                        "{}, none needs {} or more",
                        plural(n, "new finding"),
                        min.as_str()
                    ),
                    (n, _, None) => plural(n, "new finding"),
                };
                format!("gate passed: {why} ({counts}; {against})")
            }
            Verdict::Recorded => {
                let u = self.update.as_ref().expect("a recorded gate has an update");
                let within = self
                    .diff_base
                    .as_ref()
                    .map(|d| format!("; within the diff from {}", d.rev))
                    .unwrap_or_default();
                format!(
                    "baseline updated: {} recorded in {} ({} entries: {} added, {} dropped, {} kept outside this scan{within})",
                    plural(self.new, "new finding"),
                    u.path,
                    u.entries,
                    u.added,
                    u.dropped.len(),
                    u.kept_outside
                )
            }
        }
    }

    /// "baseline B, diff base main (1a2b3c4d5e6f)".
    pub fn against(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = &self.baseline {
            parts.push(format!("baseline {b}"));
        }
        if let Some(d) = &self.diff_base {
            parts.push(format!(
                "diff base {} ({})",
                d.rev,
                &d.commit[..d.commit.len().min(12)]
            ));
        }
        parts.join(", ")
    }

    /// The change's effect on a target's score (negative: more coupling).
    pub fn delta(&self, target: Target, now: f64) -> Option<f64> {
        self.before
            .iter()
            .find(|s| s.target == target)
            .map(|b| round1(now) - round1(b.score))
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A score delta for people: `−0.4`, `+1.2`, `±0`.
pub fn format_delta(delta: f64) -> String {
    if delta.abs() < 0.05 {
        "±0".into()
    } else if delta < 0.0 {
        format!("−{:.1}", -delta)
    } else {
        format!("+{delta:.1}")
    }
}

/// The findings that fail the gate.
pub fn failing<'a>(findings: &'a [Finding], policy: &Policy) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| match policy.fail_on {
            FailOn::None => false,
            FailOn::Any => true,
            FailOn::New => f.baseline_state != Some(BaselineState::Unchanged),
        })
        .filter(|f| match policy.min_effort {
            None => true,
            Some(min) => policy.targets.iter().any(|&t| f.effort(t) >= min),
        })
        .collect()
}

pub fn exit_status(findings: &[Finding], gate: Option<&GateReport>, policy: &Policy) -> ExitStatus {
    if let Some(gate) = gate {
        return match gate.verdict {
            Verdict::Failed => ExitStatus::Findings,
            Verdict::Passed | Verdict::Recorded => ExitStatus::Clean,
        };
    }
    if failing(findings, policy).is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    }
}

/// Whether a finding is listed by default in a gated report (new ones only).
pub fn listed(gate: Option<&GateReport>, f: &Finding, show_known: bool) -> bool {
    show_known || gate.is_none() || f.baseline_state != Some(BaselineState::Unchanged)
}
