//! The roll-up of an audit: counts by category, library and rule, per-target effort counts, and
//! what happened to the files. Every reporter prints from this one value.

use crate::audit::Audit;
use crate::breakdown::{BlockerLibrary, Breakdown};
use crate::portability::{Effort, Target};
use crate::rule::Category;
use crate::score::{ScoreWeights, TargetScore, score_findings};
use std::collections::BTreeMap;

#[derive(Debug)]
pub struct Summary {
    pub findings: usize,
    /// Findings silenced by suppression comments.
    pub suppressed: usize,
    pub files_with_findings: usize,
    pub by_category: BTreeMap<Category, usize>,
    pub by_library: BTreeMap<String, usize>,
    pub by_rule: BTreeMap<String, usize>,
    /// Per selected target: findings per effort class, indexed by [`Effort::index`].
    pub targets: Vec<(Target, [usize; 4])>,
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    pub skipped_by_reason: BTreeMap<&'static str, usize>,
    pub warnings_by_reason: BTreeMap<&'static str, usize>,
    /// The API surface per library, sorted by library name.
    pub libraries: Vec<LibraryInventory>,
    /// The weights the scores below were computed with.
    pub weights: ScoreWeights,
    /// Per selected target: effort points and the 0–100 portability score (docs/scoring.md).
    pub scores: Vec<TargetScore>,
    /// Findings by directory (rolled up), file, category and library, each scored.
    pub breakdown: Breakdown,
    /// Per selected target: its `rewrite` items grouped by library, then symbol, costliest first.
    pub blockers: Vec<(Target, Vec<BlockerLibrary>)>,
    /// Source files of languages not analysed, by language name.
    pub not_analysed: BTreeMap<&'static str, usize>,
    /// The project's own names, and how many uses of them were not counted as coupling.
    pub project_names: Vec<String>,
    pub own_uses: usize,
    /// The project's own C-family files that name nothing but its own CUDA library.
    pub own_only_files: usize,
    /// Vendored libraries, and whether their findings are counted with the project's.
    pub vendored: Vec<crate::project::VendoredLibrary>,
    pub vendored_included: bool,
    /// HIP sources (not CUDA: an existing ROCm port).
    pub hip_files: usize,
}

/// The distinct CUDA symbols one library contributes: what HIPIFY's statistics mode counts, but
/// per target.
#[derive(Debug)]
pub struct LibraryInventory {
    pub library: String,
    pub occurrences: usize,
    pub files: usize,
    /// Sorted by occurrences (most first), then symbol.
    pub symbols: Vec<SymbolUse>,
    /// Per selected target: distinct symbols per effort class.
    pub targets: Vec<(Target, [usize; 4])>,
}

#[derive(Debug)]
pub struct SymbolUse {
    pub symbol: String,
    pub occurrences: usize,
    pub files: usize,
    /// Per selected target, the symbol's effort (from its first occurrence).
    pub efforts: Vec<(Target, Effort)>,
}

impl Summary {
    /// The summary with the audit's score weights.
    pub fn of(audit: &Audit) -> Summary {
        Summary::with_weights(audit, &audit.weights)
    }

    /// The summary with the given score weights (a configuration may override the defaults).
    pub fn with_weights(audit: &Audit, weights: &ScoreWeights) -> Summary {
        let mut by_category = BTreeMap::new();
        let mut by_library: BTreeMap<&str, usize> = BTreeMap::new();
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        let mut targets: Vec<(Target, [usize; 4])> =
            audit.targets.iter().map(|&t| (t, [0; 4])).collect();
        let mut files = crate::hash::FastSet::default();
        for f in &audit.findings {
            *by_category.entry(f.category).or_default() += 1;
            *by_library.entry(&f.library).or_default() += 1;
            *by_rule.entry(&f.rule_id).or_default() += 1;
            files.insert(f.path.as_str());
            for (target, counts) in &mut targets {
                counts[f.effort(*target).index()] += 1;
            }
        }
        let mut skipped_by_reason = BTreeMap::new();
        for note in &audit.files.skipped {
            *skipped_by_reason.entry(note.reason.as_str()).or_default() += 1;
        }
        let mut warnings_by_reason = BTreeMap::new();
        for note in &audit.files.warnings {
            *warnings_by_reason.entry(note.reason.as_str()).or_default() += 1;
        }
        let libraries = inventory(audit);
        Summary {
            libraries,
            weights: *weights,
            scores: score_findings(&audit.findings, &audit.targets, weights),
            breakdown: Breakdown::of(&audit.findings, &audit.targets, weights),
            blockers: crate::breakdown::blockers(&audit.findings, &audit.targets, weights),
            findings: audit.findings.len(),
            suppressed: audit.suppressed,
            files_with_findings: files.len(),
            by_category,
            by_library: owned_keys(by_library),
            by_rule: owned_keys(by_rule),
            targets,
            files_scanned: audit.files.scanned,
            bytes_scanned: audit.files.bytes,
            skipped_by_reason,
            warnings_by_reason,
            not_analysed: audit.project.not_analysed.clone(),
            project_names: audit.project.names.clone(),
            own_uses: audit.project.own_uses,
            own_only_files: audit.project.own_only_files,
            vendored: audit.project.vendored.clone(),
            vendored_included: audit.project.vendored_included,
            hip_files: audit.project.hip_files,
        }
    }

    /// Files not analysed, by language: "10166 go, 121 cython" (empty when there are none).
    pub fn not_analysed_text(&self) -> String {
        let mut langs: Vec<(&&str, &usize)> = self.not_analysed.iter().collect();
        langs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        langs
            .iter()
            .map(|(l, n)| format!("{n} {l}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What the scan learnt about whose code it read, one line each: the project's own uses not
    /// counted, vendored libraries, HIP sources. Empty when there is nothing to say.
    pub fn ownership_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if self.own_uses > 0 || self.own_only_files > 0 {
            let files = match self.own_only_files {
                0 => String::new(),
                n => format!(
                    ", nor {n} file{} that use{} nothing else",
                    plural(n),
                    if n == 1 { "s" } else { "" }
                ),
            };
            lines.push(format!(
                "own code: {} use{} of the project's own packages not counted{files} ({})",
                self.own_uses,
                plural(self.own_uses),
                self.project_names.join(", ")
            ));
        }
        if !self.vendored.is_empty() {
            let findings: usize = self.vendored.iter().map(|v| v.findings).sum();
            let libs: Vec<String> = self
                .vendored
                .iter()
                .map(|v| format!("{} ({})", v.path, v.findings))
                .collect();
            lines.push(format!(
                "vendored: {} librar{}, {} finding{} {}: {}",
                self.vendored.len(),
                if self.vendored.len() == 1 { "y" } else { "ies" },
                findings,
                if findings == 1 { "" } else { "s" },
                if self.vendored_included {
                    "counted (--include-vendored)"
                } else {
                    "not counted (--include-vendored counts them)"
                },
                libs.join(", ")
            ));
        }
        if self.hip_files > 0 {
            lines.push(format!(
                "HIP: {} file{} of HIP source, not counted as CUDA (an existing ROCm port)",
                self.hip_files,
                if self.hip_files == 1 { "" } else { "s" }
            ));
        }
        lines
    }

    pub fn files_skipped(&self) -> usize {
        self.skipped_by_reason.values().sum()
    }

    /// "N files scanned, M skipped (2 binary, 1 too-large)": the line every format carries.
    pub fn files_line(&self) -> String {
        let mut line = format!(
            "{} file{} scanned, {} skipped",
            self.files_scanned,
            if self.files_scanned == 1 { "" } else { "s" },
            self.files_skipped()
        );
        if !self.skipped_by_reason.is_empty() {
            let reasons: Vec<String> = self
                .skipped_by_reason
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            line.push_str(&format!(" ({})", reasons.join(", ")));
        }
        if !self.warnings_by_reason.is_empty() {
            let reasons: Vec<String> = self
                .warnings_by_reason
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            line.push_str(&format!("; warnings: {}", reasons.join(", ")));
        }
        if !self.not_analysed.is_empty() {
            line.push_str(&format!("; not analysed: {}", self.not_analysed_text()));
        }
        line
    }

    /// The score of one target, when it was selected.
    pub fn score(&self, target: Target) -> Option<&TargetScore> {
        self.scores.iter().find(|s| s.target == target)
    }

    pub fn effort_count(&self, target: Target, effort: Effort) -> usize {
        self.targets
            .iter()
            .find(|(t, _)| *t == target)
            .map_or(0, |(_, c)| c[effort.index()])
    }
}

fn owned_keys(counts: BTreeMap<&str, usize>) -> BTreeMap<String, usize> {
    counts
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect()
}

fn inventory(audit: &Audit) -> Vec<LibraryInventory> {
    use crate::hash::{FastMap, FastSet};
    #[derive(Default)]
    struct Acc<'a> {
        occurrences: usize,
        files: FastSet<&'a str>,
        symbols: FastMap<&'a str, (usize, FastSet<&'a str>, &'a crate::finding::Finding)>,
    }
    let mut libs: FastMap<&str, Acc> = FastMap::default();
    for f in &audit.findings {
        let acc = libs.entry(f.library.as_str()).or_default();
        acc.occurrences += 1;
        acc.files.insert(&f.path);
        let entry = acc
            .symbols
            .entry(f.symbol.as_str())
            .or_insert((0, FastSet::default(), f));
        entry.0 += 1;
        entry.1.insert(&f.path);
    }
    let mut libs: Vec<(&str, Acc)> = libs.into_iter().collect();
    libs.sort_unstable_by_key(|(library, _)| *library);
    libs.into_iter()
        .map(|(library, acc)| {
            let mut targets: Vec<(Target, [usize; 4])> =
                audit.targets.iter().map(|&t| (t, [0; 4])).collect();
            let mut symbols: Vec<SymbolUse> = acc
                .symbols
                .into_iter()
                .map(|(symbol, (occurrences, files, first))| {
                    let efforts: Vec<(Target, Effort)> = audit
                        .targets
                        .iter()
                        .map(|&t| (t, first.effort(t)))
                        .collect();
                    for (t, counts) in &mut targets {
                        counts[first.effort(*t).index()] += 1;
                    }
                    SymbolUse {
                        symbol: symbol.to_string(),
                        occurrences,
                        files: files.len(),
                        efforts,
                    }
                })
                .collect();
            symbols.sort_by(|a, b| {
                b.occurrences
                    .cmp(&a.occurrences)
                    .then_with(|| a.symbol.cmp(&b.symbol))
            });
            LibraryInventory {
                library: library.to_string(),
                occurrences: acc.occurrences,
                files: acc.files.len(),
                symbols,
                targets,
            }
        })
        .collect()
}
