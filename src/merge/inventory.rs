//! The organisation's inventory: the repositories in name order, and what they add up to on the
//! targets every report covers — totals, libraries by how many repositories use them, and the
//! blockers. Every list has a fixed order (ties broken by name), so the same reports give the same
//! bytes.

use crate::error::{Error, Result};
use crate::portability::{Effort, Target};
use crate::report_file::ReportSummary;
use crate::score::ScoreWeights;
use std::collections::{BTreeMap, BTreeSet};

/// One repository: its report's provenance and summary.
#[derive(Clone, Debug)]
pub struct Repository {
    pub name: String,
    /// The report's file, as given on the command line.
    pub file: String,
    /// The report has no `source` and no name was given: named after the file.
    pub named_after_file: bool,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub date: Option<String>,
    /// The cuda-audit version that wrote the report.
    pub tool_version: Option<String>,
    /// The targets the report covers.
    pub targets: Vec<Target>,
    pub summary: ReportSummary,
}

impl Repository {
    /// The commit as the Markdown and HTML output show it.
    pub fn short_commit(&self) -> Option<&str> {
        let c = self.commit.as_deref()?;
        Some(c.get(..crate::provenance::SHORT_COMMIT).unwrap_or(c))
    }
}

/// What the organisation's repositories add up to on one target.
#[derive(Clone, Debug)]
pub struct TargetTotal {
    pub target: Target,
    /// Findings per effort class, indexed by [`Effort::index`].
    pub counts: [usize; 4],
    pub decision_points: u64,
    pub edit_points: u64,
    pub effort_points: u64,
    /// Repositories with at least one `rewrite` finding.
    pub repositories_with_rewrite: usize,
    /// The score of the effort points summed (every repository ported on its own, decisions
    /// included), when every report was scored with the same weights.
    pub score: Option<f64>,
}

/// One library across repositories.
#[derive(Clone, Debug)]
pub struct Library {
    pub library: String,
    /// The repositories using it, by name.
    pub used_by: Vec<String>,
    pub findings: usize,
    pub files: usize,
    /// Distinct names used, across repositories.
    pub names: usize,
    /// Per compared target: findings per effort class and effort points (summed).
    pub targets: Vec<(Target, [usize; 4], u64)>,
}

impl Library {
    pub fn points(&self, t: Target) -> u64 {
        self.targets
            .iter()
            .find(|(x, ..)| *x == t)
            .map_or(0, |(_, _, p)| *p)
    }
}

/// One blocking library on one target, across repositories.
#[derive(Clone, Debug)]
pub struct Blocker {
    pub library: String,
    pub used_by: Vec<String>,
    pub effort_points: u64,
    pub occurrences: usize,
    pub files: usize,
    /// Costliest first.
    pub symbols: Vec<BlockerSymbol>,
}

#[derive(Clone, Debug)]
pub struct BlockerSymbol {
    pub symbol: String,
    pub category: String,
    pub used_by: Vec<String>,
    pub occurrences: usize,
    pub effort_points: u64,
    /// The first repository's suggestion (in name order).
    pub replacement: Option<String>,
}

/// The merged reports.
#[derive(Clone, Debug)]
pub struct Inventory {
    /// In name order (then file).
    pub repositories: Vec<Repository>,
    /// The targets every report covers, in the usual order: all totals are over these.
    pub targets: Vec<Target>,
    /// Every target some report covers.
    pub all_targets: Vec<Target>,
    /// Targets left out of the comparison, each with the repositories whose report lacks it.
    pub missing: Vec<(Target, Vec<String>)>,
    /// What a reader should know about the merge (other tool versions, other weights, names taken
    /// from files). The targets line is [`Inventory::targets_line`].
    pub notes: Vec<String>,
    pub findings: usize,
    pub files_scanned: usize,
    pub files_with_findings: usize,
    pub totals: Vec<TargetTotal>,
    /// By how many repositories use them (most first), then effort points on the first target.
    pub libraries: Vec<Library>,
    pub blockers: Vec<(Target, Vec<Blocker>)>,
    /// The weights every report was scored with; `None` when they differ.
    pub weights: Option<ScoreWeights>,
}

impl Inventory {
    /// Merges the repositories' reports: sorted by name, a duplicate name is an error, and so is
    /// a set of reports with no target in common.
    pub fn of(mut repositories: Vec<Repository>) -> Result<Inventory> {
        repositories.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.file.cmp(&b.file)));
        if let Some(w) = repositories.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(Error::hint(
                format!(
                    "two reports are of a repository named `{}`: {} and {}",
                    w[0].name, w[0].file, w[1].file
                ),
                format!(
                    "name them on the command line: `{0}-1={1} {0}-2={2}`",
                    w[0].name, w[0].file, w[1].file
                ),
            ));
        }
        let all_targets: Vec<Target> = Target::ALL
            .into_iter()
            .filter(|t| repositories.iter().any(|r| r.targets.contains(t)))
            .collect();
        let targets: Vec<Target> = all_targets
            .iter()
            .copied()
            .filter(|t| repositories.iter().all(|r| r.targets.contains(t)))
            .collect();
        let missing: Vec<(Target, Vec<String>)> = all_targets
            .iter()
            .filter(|t| !targets.contains(t))
            .map(|&t| {
                let names = repositories
                    .iter()
                    .filter(|r| !r.targets.contains(&t))
                    .map(|r| r.name.clone())
                    .collect();
                (t, names)
            })
            .collect();
        if targets.is_empty() {
            let each: Vec<String> = repositories
                .iter()
                .map(|r| {
                    let ts: Vec<&str> = r.targets.iter().map(|t| t.as_str()).collect();
                    format!("{} has {}", r.name, ts.join(", "))
                })
                .collect();
            return Err(Error::hint(
                format!("no target is in every report: {}", each.join("; ")),
                "scan the repositories with a common --target, or merge them apart",
            ));
        }
        let weights = common_weights(&repositories);
        let totals = targets
            .iter()
            .map(|&t| total(&repositories, t, weights.as_ref()))
            .collect();
        let inventory = Inventory {
            notes: notes(&repositories, weights.is_some()),
            findings: repositories.iter().map(|r| r.summary.findings).sum(),
            files_scanned: repositories.iter().map(|r| r.summary.files.scanned).sum(),
            files_with_findings: repositories
                .iter()
                .map(|r| r.summary.files_with_findings)
                .sum(),
            libraries: libraries(&repositories, &targets),
            blockers: targets
                .iter()
                .map(|&t| (t, blockers(&repositories, t)))
                .collect(),
            totals,
            weights,
            targets,
            all_targets,
            missing,
            repositories,
        };
        Ok(inventory)
    }

    /// "targets compared: rocm, neuron; tpu missing from `b`, `c`" (`quote` formats a name).
    pub fn targets_line(&self, quote: impl Fn(&str) -> String) -> String {
        let compared: Vec<&str> = self.targets.iter().map(|t| t.as_str()).collect();
        let mut line = format!("targets compared: {}", compared.join(", "));
        for (t, names) in &self.missing {
            let names: Vec<String> = names.iter().map(|n| quote(n)).collect();
            line.push_str(&format!("; {t} missing from {}", names.join(", ")));
        }
        line
    }
}

/// The weights of the reports' `summary.scoring`, when they all agree (a report without them
/// was scored with the defaults).
fn common_weights(repositories: &[Repository]) -> Option<ScoreWeights> {
    let mut weights = repositories.iter().map(|r| match &r.summary.scoring {
        None => Some(ScoreWeights::default()),
        Some(v) => serde_json::from_value::<ScoreWeights>(v.clone()).ok(),
    });
    let first = weights.next()??;
    weights.all(|w| w == Some(first)).then_some(first)
}

/// What the merge could not keep uniform: other tool versions, other weights, reports named after
/// their files.
fn notes(repositories: &[Repository], same_weights: bool) -> Vec<String> {
    let mut notes = Vec::new();
    let mut versions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in repositories {
        versions
            .entry(r.tool_version.as_deref().unwrap_or("unknown"))
            .or_default()
            .push(&r.name);
    }
    if versions.len() > 1 {
        let each: Vec<String> = versions
            .iter()
            .map(|(v, names)| format!("{v} ({})", names.join(", ")))
            .collect();
        notes.push(format!(
            "reports written by different cuda-audit versions: {}; their rules may differ",
            each.join(", ")
        ));
    }
    if !same_weights {
        notes.push(
            "reports scored with different weights (summary.scoring): each repository's score is \
its own, and the organisation has no score"
                .to_string(),
        );
    }
    for r in repositories.iter().filter(|r| r.named_after_file) {
        notes.push(format!(
            "{} has no source (project, commit): named after its file",
            r.file
        ));
    }
    notes
}

fn total(repositories: &[Repository], t: Target, weights: Option<&ScoreWeights>) -> TargetTotal {
    let mut total = TargetTotal {
        target: t,
        counts: [0; 4],
        decision_points: 0,
        edit_points: 0,
        effort_points: 0,
        repositories_with_rewrite: 0,
        score: None,
    };
    for r in repositories {
        let Some(s) = r.summary.targets.get(&t) else {
            continue;
        };
        for (sum, n) in total.counts.iter_mut().zip(s.counts.array()) {
            *sum += n;
        }
        total.decision_points = total.decision_points.saturating_add(s.decision_points);
        total.edit_points = total.edit_points.saturating_add(s.edit_points);
        total.effort_points = total.effort_points.saturating_add(s.effort_points);
        if s.counts.rewrite > 0 {
            total.repositories_with_rewrite += 1;
        }
    }
    total.score = weights.map(|w| w.score(total.effort_points));
    total
}

fn libraries(repositories: &[Repository], targets: &[Target]) -> Vec<Library> {
    let mut by_name: BTreeMap<&str, (Library, BTreeSet<&str>)> = BTreeMap::new();
    for r in repositories {
        for g in &r.summary.breakdown.libraries {
            let (lib, names) = by_name.entry(&g.library).or_insert_with(|| {
                let lib = Library {
                    library: g.library.clone(),
                    used_by: Vec::new(),
                    findings: 0,
                    files: 0,
                    names: 0,
                    targets: targets.iter().map(|&t| (t, [0; 4], 0)).collect(),
                };
                (lib, BTreeSet::new())
            });
            lib.used_by.push(r.name.clone());
            lib.findings += g.findings;
            lib.files += g.files;
            for (t, counts, points) in &mut lib.targets {
                if let Some(gt) = g.targets.get(t) {
                    for (sum, n) in counts.iter_mut().zip(gt.counts.array()) {
                        *sum += n;
                    }
                    *points = points.saturating_add(gt.effort_points);
                }
            }
            if let Some(surface) = r.summary.api_surface.get(&g.library) {
                names.extend(surface.symbols.iter().map(|s| s.symbol.as_str()));
            }
        }
    }
    let first = targets[0];
    let mut libs: Vec<Library> = by_name
        .into_values()
        .map(|(mut lib, names)| {
            lib.names = names.len();
            lib
        })
        .collect();
    libs.sort_by(|a, b| {
        b.used_by
            .len()
            .cmp(&a.used_by.len())
            .then_with(|| b.points(first).cmp(&a.points(first)))
            .then_with(|| a.library.cmp(&b.library))
    });
    libs
}

fn blockers(repositories: &[Repository], t: Target) -> Vec<Blocker> {
    let mut by_name: BTreeMap<&str, Blocker> = BTreeMap::new();
    let mut symbols: BTreeMap<(&str, &str), BlockerSymbol> = BTreeMap::new();
    for r in repositories {
        for lib in r.summary.blockers.get(&t).into_iter().flatten() {
            let b = by_name.entry(&lib.library).or_insert_with(|| Blocker {
                library: lib.library.clone(),
                used_by: Vec::new(),
                effort_points: 0,
                occurrences: 0,
                files: 0,
                symbols: Vec::new(),
            });
            b.used_by.push(r.name.clone());
            b.effort_points = b.effort_points.saturating_add(lib.effort_points);
            b.occurrences += lib.occurrences;
            b.files += lib.files;
            for s in &lib.symbols {
                let m = symbols
                    .entry((&lib.library, &s.symbol))
                    .or_insert_with(|| BlockerSymbol {
                        symbol: s.symbol.clone(),
                        category: s.category.clone(),
                        used_by: Vec::new(),
                        occurrences: 0,
                        effort_points: 0,
                        replacement: None,
                    });
                m.used_by.push(r.name.clone());
                m.occurrences += s.occurrences;
                m.effort_points = m.effort_points.saturating_add(s.effort_points);
                if m.replacement.is_none() {
                    m.replacement.clone_from(&s.replacement);
                }
            }
        }
    }
    for ((library, _), s) in symbols {
        by_name
            .get_mut(library)
            .expect("a symbol's library is listed")
            .symbols
            .push(s);
    }
    let mut libs: Vec<Blocker> = by_name.into_values().collect();
    for lib in &mut libs {
        lib.symbols.sort_by(|a, b| {
            b.effort_points
                .cmp(&a.effort_points)
                .then_with(|| a.symbol.cmp(&b.symbol))
        });
    }
    libs.sort_by(|a, b| {
        b.effort_points
            .cmp(&a.effort_points)
            .then_with(|| a.library.cmp(&b.library))
    });
    libs
}

/// Findings per effort class as "rewrite/manual/automatic/none" figures, dearest first.
pub fn counts_text(counts: &[usize; 4]) -> String {
    [
        Effort::Rewrite,
        Effort::Manual,
        Effort::Automatic,
        Effort::None,
    ]
    .iter()
    .map(|e| counts[e.index()].to_string())
    .collect::<Vec<_>>()
    .join("/")
}

/// "1 repository", "3 repositories".
pub fn repositories(n: usize) -> String {
    format!("{n} repositor{}", if n == 1 { "y" } else { "ies" })
}
