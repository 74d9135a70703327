//! Where the coupling sits: findings grouped by directory (rolled up the tree), file, category and
//! library, each group scored with the same model as the whole tree, and the top blockers per
//! target. Computed once in [`crate::summary::Summary`]; reporters only print.
//!
//! A group's points are those of its findings alone, as if only that part were ported. Counts
//! add up across groups; decision points need not (two directories calling `cudaMalloc` each pay
//! for the decision when taken alone, the tree pays once), which is why the directory tree is
//! scored per node rather than summed.

use crate::finding::Finding;
use crate::hash::{FastMap, FastSet};
use crate::portability::{Effort, Target};
use crate::rule::Category;
use crate::score::{ScoreWeights, Tally, TargetScore, finding_ids};
use std::collections::{BTreeMap, BTreeSet};

/// One group of findings and what porting it would take per target.
#[derive(Clone, Debug)]
pub struct Group {
    /// A directory (`.` is the scan root), a file path, a category or a library name.
    pub key: String,
    pub findings: usize,
    pub files: usize,
    /// Per selected target, in the audit's target order.
    pub targets: Vec<TargetScore>,
}

impl Group {
    pub fn target(&self, target: Target) -> Option<&TargetScore> {
        self.targets.iter().find(|s| s.target == target)
    }
}

/// All breakdowns of one audit.
#[derive(Clone, Debug, Default)]
pub struct Breakdown {
    /// Every directory holding a finding, and all its ancestors up to `.`, sorted by path. A
    /// directory's numbers include its subdirectories.
    pub directories: Vec<Group>,
    /// Files with findings, sorted by path.
    pub files: Vec<Group>,
    /// Sorted by category.
    pub categories: Vec<Group>,
    /// Sorted by library name.
    pub libraries: Vec<Group>,
}

impl Breakdown {
    pub fn of(findings: &[Finding], targets: &[Target], weights: &ScoreWeights) -> Breakdown {
        // Findings come sorted by path from a scan; a stable sort of references keeps any other
        // order correct, and costs one pass when already sorted.
        let ids = finding_ids(findings);
        let mut order: Vec<(&Finding, u32)> = findings.iter().zip(ids).collect();
        order.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let files: Vec<(&str, Acc)> = order
            .chunk_by(|a, b| a.0.path == b.0.path)
            .map(|run| {
                let mut acc = Acc::new(targets);
                for &(f, id) in run {
                    acc.add(f, id, targets);
                }
                (run[0].0.path.as_str(), acc)
            })
            .collect();
        let mut directories: FastMap<&str, Acc> = FastMap::default();
        for (path, acc) in &files {
            for dir in ancestors(path) {
                directories
                    .entry(dir)
                    .or_insert_with(|| Acc::new(targets))
                    .merge(acc);
            }
        }
        let mut categories: FastMap<Category, Acc> = FastMap::default();
        let mut libraries: FastMap<&str, Acc> = FastMap::default();
        for &(f, id) in &order {
            let new = || Acc::new(targets);
            categories
                .entry(f.category)
                .or_insert_with(new)
                .add(f, id, targets);
            libraries
                .entry(&f.library)
                .or_insert_with(new)
                .add(f, id, targets);
        }
        Breakdown {
            directories: groups(directories, targets, weights),
            files: groups(files, targets, weights),
            categories: groups(categories, targets, weights),
            libraries: groups(libraries, targets, weights),
        }
    }
}

/// The parent of a directory key (`None` for the root `.`).
pub fn parent_dir(dir: &str) -> Option<&str> {
    if dir == "." {
        return None;
    }
    match dir.rfind('/') {
        Some(0) | None => Some("."),
        Some(i) => Some(&dir[..i]),
    }
}

/// How deep a directory key is: `.` is 0, `src` 1, `src/runtime` 2.
pub fn dir_depth(dir: &str) -> usize {
    if dir == "." {
        0
    } else {
        dir.trim_start_matches('/').split('/').count()
    }
}

/// The directories containing `path`, from the root down: `src/a/f.cu` → `.`, `src`, `src/a`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    // `./x` and `/x` (paths outside the root are absolute) add no `.` or empty level.
    let below = path
        .char_indices()
        .filter(move |&(i, c)| c == '/' && i > 0 && &path[..i] != ".")
        .map(move |(i, _)| &path[..i]);
    std::iter::once(".").chain(below)
}

/// Something findings can be grouped by and printed as a key.
trait GroupKey: Ord + Copy + std::hash::Hash {
    fn label(&self) -> String;
}

impl GroupKey for &str {
    fn label(&self) -> String {
        self.to_string()
    }
}

impl GroupKey for Category {
    fn label(&self) -> String {
        self.as_str().to_string()
    }
}

/// The findings of one group so far. Files are counted as runs: findings arrive grouped by
/// path, so a group meets each of its files in one stretch.
struct Acc<'a> {
    findings: usize,
    files: usize,
    last_file: Option<&'a str>,
    tallies: Vec<Tally>,
}

impl<'a> Acc<'a> {
    fn new(targets: &[Target]) -> Self {
        Acc {
            findings: 0,
            files: 0,
            last_file: None,
            tallies: targets.iter().map(|_| Tally::default()).collect(),
        }
    }

    fn add(&mut self, f: &'a Finding, id: u32, targets: &[Target]) {
        self.findings += 1;
        if self.last_file != Some(f.path.as_str()) {
            self.files += 1;
            self.last_file = Some(&f.path);
        }
        for (tally, &t) in self.tallies.iter_mut().zip(targets) {
            tally.add(id, f.effort(t));
        }
    }

    /// Adds a whole file's group (each file is merged once).
    fn merge(&mut self, file: &Acc) {
        self.findings += file.findings;
        self.files += 1;
        for (tally, other) in self.tallies.iter_mut().zip(&file.tallies) {
            tally.merge(other);
        }
    }
}

/// The groups, sorted by key, scored.
fn groups<'a, K: GroupKey>(
    groups: impl IntoIterator<Item = (K, Acc<'a>)>,
    targets: &[Target],
    weights: &ScoreWeights,
) -> Vec<Group> {
    let mut groups: Vec<(K, Acc)> = groups.into_iter().collect();
    groups.sort_unstable_by_key(|(key, _)| *key);
    groups
        .into_iter()
        .map(|(key, acc)| Group {
            key: key.label(),
            findings: acc.findings,
            files: acc.files,
            targets: targets
                .iter()
                .zip(&acc.tallies)
                .map(|(&target, tally)| {
                    let cost = tally.cost(weights);
                    TargetScore {
                        target,
                        cost,
                        score: weights.score(cost.points()),
                    }
                })
                .collect(),
        })
        .collect()
}

/// Locations kept per blocker: reports list a few, and a large tree has hundreds of thousands.
pub const LOCATIONS_KEPT: usize = 10;

/// A `rewrite` item on one target: one CUDA name with no equivalent there, and where it is used.
#[derive(Clone, Debug)]
pub struct Blocker {
    pub library: String,
    pub symbol: String,
    pub category: Category,
    pub occurrences: usize,
    pub files: usize,
    /// The decision plus every edit: what this name alone adds to the target's points.
    pub points: u64,
    /// From the first occurrence: what to build on instead, if anything.
    pub replacement: Option<String>,
    pub note: Option<String>,
    /// The first [`LOCATIONS_KEPT`] `(path, line)`, in finding order (`occurrences` counts all).
    pub locations: Vec<(String, usize)>,
}

/// The `rewrite` items of one library on one target.
#[derive(Clone, Debug)]
pub struct BlockerLibrary {
    pub library: String,
    pub occurrences: usize,
    pub files: usize,
    /// The sum of its symbols' points: what this library alone adds to the target's points.
    pub points: u64,
    /// Costliest first.
    pub symbols: Vec<Blocker>,
}

/// Per target, its `rewrite` findings grouped by library, then by symbol; costliest first (ties
/// by name, so the order is deterministic). A blocker is what has no equivalent on the target, so
/// grouping by library answers "what stops us" (cuDNN, inline PTX) before "where".
pub fn blockers(
    findings: &[Finding],
    targets: &[Target],
    weights: &ScoreWeights,
) -> Vec<(Target, Vec<BlockerLibrary>)> {
    let w = weights.class(Effort::Rewrite);
    targets
        .iter()
        .map(|&t| {
            let mut groups: FastMap<(&str, &str), (Blocker, FastSet<&str>)> = FastMap::default();
            for f in findings.iter().filter(|f| f.effort(t) == Effort::Rewrite) {
                let port = f.portability.get(t);
                let (b, files) = groups
                    .entry((f.library.as_str(), f.symbol.as_str()))
                    .or_insert_with(|| {
                        (
                            Blocker {
                                library: f.library.clone(),
                                symbol: f.symbol.clone(),
                                category: f.category,
                                occurrences: 0,
                                files: 0,
                                points: 0,
                                replacement: port.replacement.clone(),
                                note: port.note.clone(),
                                locations: Vec::new(),
                            },
                            FastSet::default(),
                        )
                    });
                b.occurrences += 1;
                if b.locations.len() < LOCATIONS_KEPT {
                    b.locations.push((f.path.clone(), f.start.line));
                }
                files.insert(f.path.as_str());
            }
            let mut libraries: BTreeMap<&str, (BlockerLibrary, BTreeSet<&str>)> = BTreeMap::new();
            let mut groups: Vec<_> = groups.into_iter().collect();
            groups.sort_unstable_by_key(|(key, _)| *key);
            for ((library, _), (mut b, files)) in groups {
                b.files = files.len();
                b.points = w
                    .decision
                    .saturating_add(w.edit.saturating_mul(b.occurrences as u64));
                let (lib, lib_files) = libraries.entry(library).or_insert_with(|| {
                    (
                        BlockerLibrary {
                            library: library.to_string(),
                            occurrences: 0,
                            files: 0,
                            points: 0,
                            symbols: Vec::new(),
                        },
                        BTreeSet::new(),
                    )
                });
                lib.occurrences += b.occurrences;
                lib.points = lib.points.saturating_add(b.points);
                lib_files.extend(files);
                lib.symbols.push(b);
            }
            let mut list: Vec<BlockerLibrary> = libraries
                .into_values()
                .map(|(mut lib, files)| {
                    lib.files = files.len();
                    lib.symbols.sort_by(|a, b| {
                        b.points
                            .cmp(&a.points)
                            .then_with(|| a.symbol.cmp(&b.symbol))
                    });
                    lib
                })
                .collect();
            list.sort_by(|a, b| {
                b.points
                    .cmp(&a.points)
                    .then_with(|| a.library.cmp(&b.library))
            });
            (t, list)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_roll_up_to_the_root() {
        let ancestors = |p| ancestors(p).collect::<Vec<_>>();
        assert_eq!(ancestors("src/a/f.cu"), [".", "src", "src/a"]);
        assert_eq!(ancestors("f.cu"), ["."]);
        assert_eq!(ancestors("./f.cu"), ["."]);
        assert_eq!(ancestors("/abs/f.cu"), [".", "/abs"]);
        assert_eq!(parent_dir("src/a"), Some("src"));
        assert_eq!(parent_dir("src"), Some("."));
        assert_eq!(parent_dir("."), None);
        assert_eq!(dir_depth("."), 0);
        assert_eq!(dir_depth("src/a"), 2);
    }
}
