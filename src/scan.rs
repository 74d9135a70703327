//! Running a scan: walk the paths, scan each file on the walker's threads (each thread keeps its
//! own parser), then put the results in a deterministic order. [`audit`] is the whole pipeline.

use crate::cache::{Cache, Cached};
use crate::config::RuleFilter;
use crate::error::{Error, Result};
use crate::finding::{Finding, Location, assign_fingerprints};
use crate::hash::FastSet;
use crate::lang::FrontEnds;
use crate::lang::Lang;
use crate::matcher::match_facts;
use crate::portability::Target;
use crate::prefilter::Prefilter;
use crate::rule::RuleSet;
use crate::source::{LineIndex, Undecodable, decode};
use crate::walk::{self, Entry, SkipReason, WalkOptions};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Everything a scan needs to know.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Files and directories to scan.
    pub paths: Vec<PathBuf>,
    /// Paths in the output are relative to this directory.
    pub root: PathBuf,
    pub walk: WalkOptions,
    /// Targets to report on (all three when empty).
    pub targets: Vec<Target>,
    pub rules: Arc<RuleSet>,
    /// Which rules' findings to keep (config `select`/`ignore`).
    pub filter: RuleFilter,
    /// Suppression comments without a reason do not suppress (and are reported).
    pub require_suppression_reason: bool,
    /// At most this many findings per file; the overflow is counted as a warning.
    pub max_findings_per_file: usize,
    /// Score weights for the summary.
    pub weights: crate::score::ScoreWeights,
    /// Report the raw coupling, as if no shim or ROCm branch existed.
    pub ignore_existing_ports: bool,
    /// Parse every file: no byte-level prefilter ([`crate::prefilter`]). The findings are the
    /// same either way; this is the reference the fast path is tested against.
    pub exhaustive: bool,
    /// The result cache file ([`crate::cache`]); `None` analyses every file afresh.
    pub cache: Option<PathBuf>,
    /// Build the prefilter before the walk, so that every file meets it (for tests: normally it
    /// is built beside the scan once the tree proves large enough).
    pub prefilter_first: bool,
    /// Globs of further vendored directories (configuration `vendored`), besides the usual
    /// names and git submodules ([`crate::project::layout`]).
    pub vendored: Vec<String>,
    /// Count vendored code's findings with the project's own (`--include-vendored`).
    pub include_vendored: bool,
}

/// The default cap on findings per file (a minified or generated file can hold thousands).
pub const DEFAULT_MAX_FINDINGS_PER_FILE: usize = 5000;

impl Settings {
    /// Settings for scanning `paths` with the default options, paths shown relative to `root`.
    pub fn new(root: impl Into<PathBuf>, paths: Vec<PathBuf>, rules: Arc<RuleSet>) -> Self {
        Settings {
            paths,
            root: root.into(),
            walk: WalkOptions::default(),
            targets: Vec::new(),
            rules,
            filter: RuleFilter::default(),
            require_suppression_reason: false,
            max_findings_per_file: DEFAULT_MAX_FINDINGS_PER_FILE,
            weights: crate::score::ScoreWeights::default(),
            ignore_existing_ports: false,
            exhaustive: false,
            cache: None,
            prefilter_first: false,
            vendored: Vec::new(),
            include_vendored: false,
        }
    }
}

/// The outcome of a scan.
#[derive(Debug)]
pub struct Audit {
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    pub files: FileReport,
    pub targets: Vec<Target>,
    pub rules: Arc<RuleSet>,
    /// Findings silenced by `cuda-audit: ignore` comments.
    pub suppressed: usize,
    /// The CI gate's answer, when the scan compared with a baseline or a diff base (set by the
    /// command line through [`crate::gate`]).
    pub gate: Option<crate::gate::GateReport>,
    /// Every file analysed, relative to the root, sorted: what a baseline update speaks for.
    pub scanned_paths: Vec<String>,
    /// The weights the summary scores with.
    pub weights: crate::score::ScoreWeights,
    /// What existing portability layers (shims, ROCm branches) cover.
    pub existing_ports: crate::ports::ExistingPortsReport,
    /// Files whose analysis came from the result cache. Not part of any report, which is the
    /// same with or without the cache.
    pub cache_hits: usize,
    /// Files the prefilter ruled out (some are parsed after all when other files make them
    /// matter). Not reported.
    pub prefiltered: usize,
    /// With the result cache on, every file read and its key, sorted (a file read twice with
    /// different bytes appears twice): compared with a [`TreeDigest`] taken before the scan.
    pub files_read: Vec<(String, crate::cache::Key)>,
    /// Whose code the findings are in: the project's names, vendored libraries, HIP files,
    /// languages not analysed.
    pub project: crate::project::ProjectReport,
    /// Which project, commit and date the reports describe (set by the command line; `None` for
    /// an audit made by the library, whose reports then leave it out).
    pub provenance: Option<crate::provenance::Provenance>,
}

impl Audit {
    /// An audit holding `findings` and `files` as a scan would leave them (findings sorted and
    /// fingerprinted, notes sorted), with no baseline, no diff base and the default weights.
    /// For building reports without a scan: tests and the fuzz targets.
    pub fn new(
        mut findings: Vec<Finding>,
        mut files: FileReport,
        targets: &[Target],
        rules: Arc<RuleSet>,
    ) -> Audit {
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        assign_fingerprints(&mut findings);
        files.skipped.sort();
        files.warnings.sort();
        Audit {
            findings,
            files,
            targets: RuleSet::targets_or_all(targets),
            rules,
            suppressed: 0,
            gate: None,
            scanned_paths: Vec::new(),
            weights: crate::score::ScoreWeights::default(),
            existing_ports: crate::ports::ExistingPortsReport::default(),
            cache_hits: 0,
            prefiltered: 0,
            files_read: Vec::new(),
            project: crate::project::ProjectReport::default(),
            provenance: None,
        }
    }
}

/// What happened to the files: how many were scanned, and what was skipped or scanned with a warning.
#[derive(Debug, Default)]
pub struct FileReport {
    pub scanned: usize,
    pub bytes: u64,
    pub by_language: BTreeMap<Lang, usize>,
    /// Sorted by path.
    pub skipped: Vec<FileNote>,
    /// Files that were scanned, with a caveat. Sorted by path.
    pub warnings: Vec<FileNote>,
}

/// One file that was skipped or warned about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileNote {
    pub path: String,
    pub reason: &'static str,
    pub message: String,
}

/// Per-file result sent from worker threads. Scanned outcomes are large and skips small, but
/// there is one outcome per file, kept until the end: boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Scanned {
        suppressed: usize,
        lang: Lang,
        bytes: u64,
        findings: Vec<Finding>,
        defined: Vec<String>,
        warnings: Vec<FileNote>,
        ports: crate::ports::FilePorts,
        path: String,
        /// `#include` paths (for following includes to a HIP shim when files were deferred).
        includes: Vec<String>,
        /// Imported modules (which framework a method-style use belongs to).
        imports: Vec<String>,
        /// A C-family file that includes a HIP or ROCm header.
        includes_hip: bool,
        /// Set when the prefilter ruled the file out: its path on disk, to parse it after all if
        /// another file's results make its definitions or includes matter.
        deferred: Option<PathBuf>,
    },
    Skipped(FileNote),
    /// A source file of a language that is not analysed, or a HIP source.
    NotAnalysed {
        path: String,
        language: &'static str,
    },
}

impl Outcome {
    fn path(&self) -> &str {
        match self {
            Outcome::Scanned { path, .. } => path,
            Outcome::Skipped(note) => &note.path,
            Outcome::NotAnalysed { path, .. } => path,
        }
    }
}

/// What can spare a file its parse: the prefilter (when ready and not turned off) and the
/// result cache (when on).
#[derive(Clone, Copy)]
struct Shortcuts<'a> {
    prefilter: Option<&'a Prefilter>,
    cache: Option<&'a Cache>,
    /// Whether a file the cache says the prefilter ruled out may be taken as such: yes in the
    /// main pass of a scan with the prefilter on (even before the prefilter is built), no when
    /// files are parsed after all (deferred files).
    trust_ruled_out: bool,
}

/// How many files analysed without the result cache make a scan large enough to build the
/// prefilter for.
const PREFILTER_AFTER: usize = 64;

/// Stack size of the analysis threads.
const ANALYSIS_STACK: usize = 64 * 1024 * 1024;

/// One walked entry to its outcome. A panic while analysing a file becomes that file's skip
/// (`internal-error`), and the thread continues with fresh parsers.
fn analyse(
    entry: Entry,
    front_ends: &mut FrontEnds,
    settings: &Settings,
    root: &Path,
    shortcuts: Shortcuts,
) -> Outcome {
    match entry {
        Entry::File { path, lang, size } => {
            let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                scan_file(front_ends, settings, root, &path, lang, size, shortcuts)
            }));
            scanned.unwrap_or_else(|panic| {
                *front_ends = FrontEnds::new();
                Outcome::Skipped(FileNote {
                    path: relative(root, &path),
                    reason: "internal-error",
                    message: format!(
                        "the analysis of this file failed: {}",
                        panic_message(&panic)
                    ),
                })
            })
        }
        Entry::Skip {
            path,
            reason,
            message,
        } => Outcome::Skipped(FileNote {
            path: relative(root, &path),
            reason: reason.as_str(),
            message,
        }),
        Entry::Other { path, language } => Outcome::NotAnalysed {
            path: relative(root, &path),
            language,
        },
    }
}

/// Runs the whole pipeline.
pub fn audit(settings: &Settings) -> Result<Audit> {
    Ok(analyse_tree(settings)?.finish())
}

/// Every file analysed, before the steps that look across files ([`Analysed::finish`]).
pub struct Analysed<'s> {
    settings: &'s Settings,
    root: PathBuf,
    layout: crate::project::Layout,
    threads: usize,
    targets: Vec<Target>,
    outcomes: Vec<Outcome>,
    defined_sets: Vec<FastSet<String>>,
    /// Names vendored files define: they decide what vendored code means, never the project's.
    vendored_defined: Vec<FastSet<String>>,
    prefilter: Arc<OnceLock<Arc<Prefilter>>>,
    cache: Option<Cache>,
}

/// The root and the paths to walk, canonical (so that `relative` is a plain strip); an error
/// when a path does not exist.
fn resolve(root: &Path, paths: &[PathBuf]) -> Result<(PathBuf, Vec<PathBuf>)> {
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(Error::MissingPath(p.clone()));
        }
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let paths = paths
        .iter()
        .map(|p| p.canonicalize().unwrap_or_else(|_| absolute(p)))
        .collect();
    Ok((root, paths))
}

/// A digest of the tree as a scan of `paths` would see it — every file's path, language and
/// bytes (its result-cache key), every skipped entry's note — and of `extra` (what else the
/// result depends on). Equal digests mean equal input to the analysis. Reads each file once,
/// on the walker's threads, as ripgrep would.
pub fn tree_digest(
    root: &Path,
    paths: &[PathBuf],
    walk: &WalkOptions,
    extra: &[u8],
) -> Result<TreeDigest> {
    use crate::hash::update_parts;
    use sha2::{Digest, Sha256};
    let (root, paths) = resolve(root, paths)?;
    // (path, what is hashed, the key when it is a file that could be read)
    type Item = (String, Vec<u8>, Option<crate::cache::Key>);
    let items: Mutex<Vec<Item>> = Mutex::new(Vec::new());
    walk::walk(&paths, &root, walk, || {
        |entry: Entry| {
            let item = match entry {
                Entry::File { path, lang, .. } => {
                    let rel = relative(&root, &path);
                    match std::fs::read(&path) {
                        Ok(bytes) => {
                            let key = Cache::key(&rel, lang, &bytes);
                            (rel, key.to_vec(), Some(key))
                        }
                        Err(e) => (rel, format!("unreadable\0{e}").into_bytes(), None),
                    }
                }
                Entry::Skip {
                    path,
                    reason,
                    message,
                } => (
                    relative(&root, &path),
                    format!("{}\0{message}", reason.as_str()).into_bytes(),
                    None,
                ),
                Entry::Other { path, language } => (
                    relative(&root, &path),
                    format!("not-analysed\0{language}").into_bytes(),
                    None,
                ),
            };
            items.lock().unwrap_or_else(|e| e.into_inner()).push(item);
        }
    })
    .map_err(Error::Usage)?;
    let mut items = items.into_inner().unwrap_or_else(|e| e.into_inner());
    items.sort_unstable();
    let mut h = Sha256::new();
    // What else decides whose code a file is: submodules, Go's vendor list.
    let layout = crate::project::Layout::read(&root, &[]).map_err(Error::Usage)?;
    update_parts(&mut h, [extra, layout.source()]);
    for (path, what, _) in &items {
        update_parts(&mut h, [path.as_bytes(), what.as_slice()]);
    }
    let files_read = items
        .into_iter()
        .filter_map(|(path, _, key)| Some((path, key?)))
        .collect();
    Ok(TreeDigest {
        digest: h.finalize().into(),
        files_read,
    })
}

/// What [`tree_digest`] saw.
pub struct TreeDigest {
    pub digest: [u8; 32],
    /// Every file read, with its result-cache key, sorted: a scan that read the same
    /// ([`Audit::files_read`]) saw the tree the digest describes.
    pub files_read: Vec<(String, crate::cache::Key)>,
}

/// Walks the tree and analyses every file.
pub fn analyse_tree(settings: &Settings) -> Result<Analysed<'_>> {
    let (root, paths) = resolve(&settings.root, &settings.paths)?;
    let layout = crate::project::Layout::read(&root, &settings.vendored).map_err(Error::Usage)?;
    // Names defined in vendored code do not decide what the project's own code means, unless
    // vendored code is counted as the project's.
    let counts_definitions =
        |path: &str| settings.include_vendored || layout.vendored(path).is_none();
    let cache = settings
        .cache
        .as_ref()
        .map(|file| Cache::open(file.clone(), &settings.rules.identity()));
    crate::timings::phase("cache read");
    let outcomes: Mutex<Vec<Outcome>> = Mutex::new(Vec::new());
    let defined_sets: Mutex<Vec<FastSet<String>>> = Mutex::new(Vec::new());
    let vendored_defined: Mutex<Vec<FastSet<String>>> = Mutex::new(Vec::new());
    let rules = &settings.rules;
    let targets = RuleSet::targets_or_all(&settings.targets);
    // The prefilter takes a few milliseconds of CPU to build: it is built beside the scan once
    // the walk has met `PREFILTER_AFTER` files (a small tree is done before it would pay off,
    // and on two cores its build would slow the start), and files are parsed until it is ready.
    let prefilter: Arc<OnceLock<Arc<Prefilter>>> = Arc::new(OnceLock::new());
    if settings.prefilter_first && !settings.exhaustive {
        let _ = prefilter.set(rules.prefilter());
    }
    // Files analysed without the cache's help; past `PREFILTER_AFTER`, the prefilter is built.
    let analysed_afresh = std::sync::atomic::AtomicUsize::new(0);
    let prefilter_started = std::sync::Once::new();
    let after_analysis = || {
        let n = analysed_afresh.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let hits = cache.as_ref().map_or(0, Cache::hits);
        if n.saturating_sub(hits) >= PREFILTER_AFTER && !settings.exhaustive {
            prefilter_started.call_once(|| {
                let (rules, cell) = (Arc::clone(rules), Arc::clone(&prefilter));
                let _ = std::thread::Builder::new()
                    .name("cuda-audit-prefilter".into())
                    .spawn(move || {
                        let _ = cell.set(rules.prefilter());
                    });
            });
        }
    };

    // The walker's threads only classify entries; analysis runs on threads of our own with a
    // large stack, because parsers (syn, serde) recurse on nested input and a stack overflow
    // aborts the process instead of unwinding into `catch_unwind`.
    let threads = match settings.walk.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Entry>(4 * 1024);
    let receiver = Mutex::new(receiver);
    let walked = std::thread::scope(|scope| {
        for _ in 0..threads {
            std::thread::Builder::new()
                .name("cuda-audit-scan".into())
                .stack_size(ANALYSIS_STACK)
                .spawn_scoped(scope, || {
                    let mut front_ends = FrontEnds::new();
                    let mut names: FastSet<String> = FastSet::default();
                    let mut vendored_names: FastSet<String> = FastSet::default();
                    loop {
                        let next = receiver
                            .lock()
                            .expect("the queue lock is never poisoned")
                            .recv();
                        let Ok(entry) = next else { break };
                        let mut outcome = analyse(
                            entry,
                            &mut front_ends,
                            settings,
                            &root,
                            Shortcuts {
                                prefilter: prefilter.get().map(|p| &**p),
                                cache: cache.as_ref(),
                                trust_ruled_out: !settings.exhaustive,
                            },
                        );
                        after_analysis();
                        // Definitions are only looked up: one set per thread instead of one list
                        // per file (a large tree defines millions of names, mostly the same).
                        if let Outcome::Scanned { defined, path, .. } = &mut outcome {
                            let defined = std::mem::take(defined);
                            if counts_definitions(path) {
                                names.extend(defined);
                            } else {
                                vendored_names.extend(defined);
                            }
                        }
                        outcomes
                            .lock()
                            .expect("no worker panics while holding the lock")
                            .push(outcome);
                        crate::progress::file_done();
                    }
                    defined_sets
                        .lock()
                        .expect("no worker panics while holding the lock")
                        .push(names);
                    vendored_defined
                        .lock()
                        .expect("no worker panics while holding the lock")
                        .push(vendored_names);
                })
                .expect("the scan threads start");
        }
        let walked = walk::walk(&paths, &root, &settings.walk, || {
            let sender = sender.clone();
            move |entry: Entry| {
                // The receiving side lives until every entry is taken.
                let _ = sender.send(entry);
            }
        });
        drop(sender);
        walked
    });
    walked.map_err(Error::Usage)?;
    crate::timings::phase("walk and analysis");
    Ok(Analysed {
        settings,
        root,
        layout,
        threads,
        targets,
        outcomes: outcomes.into_inner().expect("workers are done"),
        defined_sets: defined_sets.into_inner().expect("workers are done"),
        vendored_defined: vendored_defined.into_inner().expect("workers are done"),
        prefilter,
        cache,
    })
}

impl Analysed<'_> {
    /// Resolves what depends on other files (definitions, includes, shims), merges, sorts and
    /// fingerprints.
    pub fn finish(self) -> Audit {
        let Analysed {
            settings,
            root,
            layout,
            threads,
            targets,
            mut outcomes,
            defined_sets,
            vendored_defined,
            prefilter,
            cache,
        } = self;
        let rules = &settings.rules;
        let prefiltered = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Outcome::Scanned {
                        deferred: Some(_),
                        ..
                    }
                )
            })
            .count();
        if let Some(prefilter) = prefilter.get() {
            rescan_deferred(
                &mut outcomes,
                prefilter,
                settings,
                &root,
                threads,
                cache.as_ref(),
            );
        }
        let cache_hits = cache.as_ref().map_or(0, Cache::hits);
        let files_read = cache.as_ref().map_or_else(Vec::new, Cache::files_read);

        if let Some(cache) = cache {
            // A cache that cannot be written costs the next run time, not this one its result.
            if let Err(e) = cache.save() {
                eprintln!("cuda-audit: warning: cannot write the result cache: {e}");
            }
        }
        crate::timings::phase(&format!("cache written ({cache_hits} hits)"));
        crate::timings::phase("deferred files");

        // In path order, each file's findings sorted: the final sort finds them in order.
        outcomes.sort_by(|a, b| a.path().cmp(b.path()));
        let mut report = FileReport::default();
        // Exactly sized: a doubling vector of hundreds of thousands of findings wastes as much
        // memory as it holds.
        let total = outcomes
            .iter()
            .map(|o| match o {
                Outcome::Scanned { findings, .. } => findings.len(),
                Outcome::Skipped(_) | Outcome::NotAnalysed { .. } => 0,
            })
            .sum();
        let mut findings = Vec::with_capacity(total);
        // One set per analysis thread, looked up in turn: merging them would rehash millions
        // of names on a large tree.
        let mut defined_sets = defined_sets;
        let mut late: FastSet<String> = FastSet::default();
        let mut vendored_defined = vendored_defined;
        let mut late_vendored: FastSet<String> = FastSet::default();
        let mut suppressed = 0;
        let mut file_ports = std::collections::BTreeMap::new();
        let mut project = crate::project::ProjectReport {
            vendored_included: settings.include_vendored,
            ..Default::default()
        };
        // The project's own files, from which its identity is learnt.
        let mut own_files: Vec<(String, Lang)> = Vec::new();
        // Python files and what they import (which framework `.cuda()` belongs to).
        let mut python_imports: Vec<(String, Vec<String>)> = Vec::new();
        let mut scanned_paths = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            match outcome {
                Outcome::Scanned {
                    suppressed: s,
                    lang,
                    bytes,
                    findings: f,
                    defined: d,
                    warnings,
                    ports,
                    path,
                    imports,
                    includes_hip,
                    ..
                } => {
                    let vendored = layout.vendored(&path).is_some();
                    scanned_paths.push(path.clone());
                    if lang == Lang::Python {
                        python_imports.push((path.clone(), imports));
                    }
                    let hip = lang.is_c_family()
                        && crate::project::hip::is_hip_source(
                            &path,
                            includes_hip,
                            f.iter()
                                .any(|f| f.category == crate::rule::Category::Include),
                        );
                    if hip {
                        project.hip_files += 1;
                    } else {
                        findings.extend(f);
                    }
                    if !vendored {
                        own_files.push((path.clone(), lang));
                    }
                    if settings.include_vendored || !vendored {
                        late.extend(d);
                    } else {
                        late_vendored.extend(d);
                    }
                    file_ports.insert(path, ports);
                    suppressed += s;
                    report.scanned += 1;
                    report.bytes += bytes;
                    *report.by_language.entry(lang).or_default() += 1;
                    report.warnings.extend(warnings);
                }
                Outcome::Skipped(note) => report.skipped.push(note),
                Outcome::NotAnalysed { language, .. } => {
                    if language == crate::lang::unanalysed::HIP {
                        project.hip_files += 1;
                    } else {
                        *project.not_analysed.entry(language).or_default() += 1;
                    }
                }
            }
        }
        // A name matched only by a family pattern (`cudaLikeHelper` by `cuda[A-Z]*`) is not CUDA when
        // the scanned tree defines it.
        // In vendored code, the vendored code's own definitions count too.
        defined_sets.push(late);
        vendored_defined.push(late_vendored);
        findings.retain(|f| {
            let Some(name) = &f.weak_name else {
                return true;
            };
            let defined = |sets: &[FastSet<String>]| sets.iter().any(|set| set.contains(name));
            !(defined(&defined_sets)
                || (layout.vendored(&f.path).is_some() && defined(&vendored_defined)))
        });
        let imports: Vec<crate::project::receivers::FileImports> = python_imports
            .iter()
            .map(|(path, imports)| crate::project::receivers::FileImports { path, imports })
            .collect();
        project.unattributed = crate::project::receivers::attribute(&mut findings, &imports, rules);
        split_by_owner(
            &mut findings,
            &layout,
            &root,
            &own_files,
            &mut project,
            settings,
        );
        let existing_ports = if settings.ignore_existing_ports {
            crate::ports::ExistingPortsReport::default()
        } else {
            crate::ports::apply(&mut findings, &file_ports, rules)
        };
        crate::timings::phase("merge and ports");
        // Already in order (files in path order, each sorted on its analysis thread) unless
        // something upstream changes: checked first, since a stable sort of hundreds of
        // thousands of findings allocates a scratch buffer half their size even when sorted.
        if !findings.is_sorted_by(|a, b| a.sort_key() <= b.sort_key()) {
            findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        }
        crate::timings::phase("sort");
        assign_fingerprints(&mut findings);
        crate::timings::phase("fingerprints");
        report.skipped.sort();
        report.warnings.sort();
        Audit {
            findings,
            files: report,
            targets,
            rules: Arc::clone(rules),
            suppressed,
            gate: None,
            scanned_paths,
            weights: settings.weights,
            existing_ports,
            cache_hits,
            prefiltered,
            files_read,
            project,
            provenance: None,
        }
    }
}

/// Sorts the findings by whose code they are in: declarations (prototypes) are never uses;
/// vendored code goes to its library's entry (and stays among the findings only with
/// `--include-vendored`); uses of the project's own packages, crates and images are dropped.
fn split_by_owner(
    findings: &mut Vec<Finding>,
    layout: &crate::project::Layout,
    root: &Path,
    own_files: &[(String, Lang)],
    project: &mut crate::project::ProjectReport,
    settings: &Settings,
) {
    let identity = crate::project::Identity::learn(
        root,
        own_files.iter().map(|(path, lang)| (path.as_str(), *lang)),
    );
    project.names = identity.shown();
    // Each finding's vendored unit, as an index into `units`: findings are grouped by file, so
    // one lookup per file.
    let mut units: Vec<crate::project::VendorUnit> = Vec::new();
    let mut unit_of: Vec<Option<usize>> = Vec::with_capacity(findings.len());
    let mut last: Option<(&str, Option<usize>)> = None;
    for f in findings.iter() {
        let unit = match last {
            Some((path, unit)) if path == f.path => unit,
            _ => layout.vendored(&f.path).map(|u| {
                units.push(u);
                units.len() - 1
            }),
        };
        last = Some((&f.path, unit));
        unit_of.push(unit);
    }
    let vendored: Vec<(&crate::project::VendorUnit, &Finding)> = findings
        .iter()
        .zip(&unit_of)
        .filter_map(|(f, u)| Some((&units[(*u)?], f)))
        .collect();
    project.vendored = crate::project::vendored_libraries(&vendored);
    let mut own_uses = 0;
    let mut unit_of = unit_of.into_iter();
    findings.retain(|f| match unit_of.next().flatten() {
        Some(_) => settings.include_vendored && !f.declaration,
        None if f.declaration => false,
        None if identity.owns(f) => {
            own_uses += 1;
            false
        }
        None => true,
    });
    project.own_uses = own_uses;
}

/// Parses the files the prefilter ruled out whose definitions or includes turn out to matter
/// ([`crate::prefilter::late_needles`]), replacing their outcomes, until none does.
fn rescan_deferred(
    outcomes: &mut Vec<Outcome>,
    prefilter: &Prefilter,
    settings: &Settings,
    root: &Path,
    threads: usize,
    cache: Option<&Cache>,
) {
    loop {
        let deferred = |o: &Outcome| {
            matches!(
                o,
                Outcome::Scanned {
                    deferred: Some(_),
                    ..
                }
            )
        };
        if !outcomes.iter().any(deferred) {
            return;
        }
        let late = crate::prefilter::late_needles(
            outcomes.iter().filter_map(|o| match o {
                Outcome::Scanned {
                    findings,
                    ports,
                    path,
                    includes,
                    deferred: None,
                    ..
                } => Some((
                    path.as_str(),
                    findings.as_slice(),
                    ports,
                    includes.as_slice(),
                )),
                _ => None,
            }),
            prefilter,
            &settings.rules,
        );
        let Some(late) = late else { return };
        let mut again = Vec::new();
        let mut i = 0;
        while i < outcomes.len() {
            let pick = match &outcomes[i] {
                Outcome::Scanned {
                    deferred: Some(disk),
                    lang,
                    bytes,
                    ..
                } => late
                    .contained_in(disk)
                    .then(|| (disk.clone(), *lang, *bytes)),
                _ => None,
            };
            match pick {
                Some((path, lang, size)) => {
                    outcomes.swap_remove(i);
                    again.push(Entry::File { path, lang, size });
                }
                None => i += 1,
            }
        }
        if again.is_empty() {
            return;
        }
        outcomes.extend(analyse_all(again, settings, root, threads, cache));
    }
}

/// Analyses `entries` without the prefilter on `threads` analysis threads.
fn analyse_all(
    entries: Vec<Entry>,
    settings: &Settings,
    root: &Path,
    threads: usize,
    cache: Option<&Cache>,
) -> Vec<Outcome> {
    let n = threads.clamp(1, entries.len().max(1));
    let queue = Mutex::new(entries.into_iter());
    let done = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..n {
            std::thread::Builder::new()
                .name("cuda-audit-scan".into())
                .stack_size(ANALYSIS_STACK)
                .spawn_scoped(scope, || {
                    let mut front_ends = FrontEnds::new();
                    loop {
                        let next = queue.lock().expect("never poisoned").next();
                        let Some(entry) = next else { break };
                        let shortcuts = Shortcuts {
                            prefilter: None,
                            cache,
                            trust_ruled_out: false,
                        };
                        let outcome = analyse(entry, &mut front_ends, settings, root, shortcuts);
                        done.lock().expect("never poisoned").push(outcome);
                    }
                })
                .expect("the scan threads start");
        }
    });
    done.into_inner().expect("workers are done")
}

fn scan_file(
    front_ends: &mut FrontEnds,
    settings: &Settings,
    root: &Path,
    path: &Path,
    lang: Lang,
    size: u64,
    Shortcuts {
        prefilter,
        cache,
        trust_ruled_out,
    }: Shortcuts,
) -> Outcome {
    let rel = relative(root, path);
    let skipped = |reason: SkipReason, message: String| {
        Outcome::Skipped(FileNote {
            path: rel.clone(),
            reason: reason.as_str(),
            message,
        })
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return skipped(SkipReason::Unreadable, e.to_string()),
    };
    let key = cache.map(|c| {
        let key = Cache::key(&rel, lang, &bytes);
        c.note_read(&rel, key);
        key
    });
    if bytes.is_empty() {
        return skipped(SkipReason::Empty, "empty file".into());
    }
    let decoded = match decode(&bytes) {
        Ok(d) => d,
        Err(Undecodable::Binary) => {
            return skipped(SkipReason::Binary, "binary file (NUL byte)".into());
        }
    };
    let mut warnings = Vec::new();
    if decoded.lossy {
        warnings.push(FileNote {
            path: rel.clone(),
            reason: "invalid-utf8",
            message: "invalid UTF-8 replaced with U+FFFD; the file was still scanned".into(),
        });
    }
    let text = decoded.text.as_ref();
    let includes_hip = lang.is_c_family() && crate::project::hip::includes_hip_header(text);
    let mut from_cache = None;
    let mut ruled_out = false;
    match cache.zip(key.as_ref()).and_then(|(c, k)| c.get(k)) {
        Some(Cached::RuledOut) => ruled_out = trust_ruled_out,
        Some(Cached::Scanned(scanned)) => from_cache = Some(*scanned),
        None => {}
    }
    if let Some(cache) = cache.filter(|_| ruled_out || from_cache.is_some()) {
        cache.count_hit();
    }
    if from_cache.is_none() && !ruled_out && prefilter.is_some_and(|p| !p.may_match(lang, text)) {
        ruled_out = true;
        if let (Some(cache), Some(key)) = (cache, key) {
            cache.put_ruled_out(key);
        }
    }
    if ruled_out {
        // No rule can match: what every scanned file reports, without the parse.
        let (suppressed, notes) = crate::suppress::apply(
            text,
            &rel,
            &mut Vec::new(),
            settings.require_suppression_reason,
        );
        warnings.extend(notes);
        return Outcome::Scanned {
            suppressed,
            lang,
            bytes: size,
            findings: Vec::new(),
            defined: Vec::new(),
            warnings,
            ports: crate::ports::FilePorts::default(),
            path: rel,
            includes: Vec::new(),
            imports: Vec::new(),
            includes_hip,
            deferred: Some(path.to_path_buf()),
        };
    }
    let mut scanned = match from_cache {
        Some(scanned) => scanned,
        None => {
            let scanned = scan_text(front_ends, &settings.rules, &rel, path, text, lang);
            // A parse cut short depends on the machine's load, not on the file: not stored.
            if let (Some(cache), Some(key), None) = (cache, key, &scanned.skip) {
                cache.put_scanned(key, &scanned);
            }
            scanned
        }
    };
    if let Some(skip) = scanned.skip {
        return Outcome::Skipped(FileNote {
            path: rel,
            reason: skip.reason,
            message: skip.message,
        });
    }
    if scanned.findings.len() > settings.max_findings_per_file {
        let dropped = scanned.findings.len() - settings.max_findings_per_file;
        scanned.findings.truncate(settings.max_findings_per_file);
        warnings.push(FileNote {
            path: rel.clone(),
            reason: "findings-capped",
            message: format!(
                "{dropped} more findings not reported (cap of {} per file, --max-findings-per-file)",
                settings.max_findings_per_file
            ),
        });
    }
    scanned
        .findings
        .retain(|f| settings.filter.allows(&f.rule_id, f.category, &f.library));
    let (suppressed, notes) = crate::suppress::apply(
        text,
        &rel,
        &mut scanned.findings,
        settings.require_suppression_reason,
    );
    warnings.extend(notes);
    let lines = LineIndex::new(text);
    for w in scanned.warnings {
        let at = w.offset.map(|o| {
            let p = lines.position(text, o);
            format!(" (line {}, column {})", p.line, p.column)
        });
        warnings.push(FileNote {
            path: rel.clone(),
            reason: w.reason,
            message: format!("{}{}", w.message, at.unwrap_or_default()),
        });
    }
    // Sorted here, on the analysis threads: the merged list is then sorted file by file.
    scanned
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Outcome::Scanned {
        suppressed,
        lang,
        bytes: size,
        findings: scanned.findings,
        defined: scanned.defined,
        warnings,
        ports: scanned.ports,
        path: rel,
        includes: scanned.includes,
        imports: scanned.imports,
        includes_hip,
        deferred: None,
    }
}

/// What scanning one file's text yields.
pub struct ScannedText {
    /// In file order. Weak matches are kept; the caller drops those whose name the scanned tree
    /// defines.
    pub findings: Vec<Finding>,
    /// Names the file defines.
    pub defined: Vec<String>,
    pub warnings: Vec<crate::lang::ExtractWarning>,
    /// Why the file could not be analysed at all (e.g. its parse ran out of time).
    pub skip: Option<crate::lang::ExtractWarning>,
    /// Shims and ROCm branches the file holds.
    pub ports: crate::ports::FilePorts,
    /// The `#include` paths the file names, as written.
    pub includes: Vec<String>,
    /// The modules the file imports ([`crate::lang::Extraction::imports`]).
    pub imports: Vec<String>,
}

/// Scans one file's text. `rel` is the path as reported, `path` the path on disk (its name tells
/// a notebook from a Python file, a Dockerfile from a YAML file).
pub fn scan_text(
    front_ends: &mut FrontEnds,
    rules: &RuleSet,
    rel: &str,
    path: &Path,
    text: &str,
    lang: Lang,
) -> ScannedText {
    // Parsers end lines at `\n` only; a classic-Mac file ending lines with a lone `\r` would
    // parse as one line (one `//` comment hiding the rest). Same length, so offsets hold.
    let parse_text = crate::source::normalize_lone_cr(text);
    let extraction = front_ends.extract(&parse_text, lang, path);
    let lines = LineIndex::new(text);
    let mut declarations = extraction.declarations.clone();
    declarations.sort_unstable_by_key(|d| (d.start, d.end));
    let in_declaration = |offset: usize| {
        // Declarations are recorded in tree order (by start), and do not nest.
        let i = declarations.partition_point(|d| d.start <= offset);
        i > 0 && declarations[i - 1].contains(&offset)
    };
    let findings = match_facts(rules, &extraction, lang)
        .into_iter()
        .map(|hit| {
            let rule = rules.rule(hit.rule);
            let start = lines.position(text, hit.span.start);
            let end = lines.position(text, hit.span.end);
            Finding {
                rule_id: rule.id.clone(),
                category: rule.category,
                library: rule.library.clone(),
                message: rule.message_for(&hit.text),
                symbol: hit.text,
                detail: hit.detail,
                level: rule.level,
                path: rel.to_string(),
                start: Location {
                    line: start.line,
                    column: start.column,
                    column_utf16: start.column_utf16,
                },
                end: Location {
                    line: end.line,
                    column: end.column,
                    column_utf16: end.column_utf16,
                },
                snippet: lines.line_text(text, start.line - 1).to_string(),
                portability: rules.portability_of(hit.rule, hit.symbol).clone(),
                fingerprint: String::new(),
                weak_name: hit.weak_name,
                baseline_state: None,
                existing_port: None,
                declaration: in_declaration(hit.span.start),
            }
        })
        .collect();
    let ports = crate::ports::FilePorts::of(&extraction, rules, rel, text, &lines, lang);
    let includes = extraction
        .facts
        .iter()
        .filter(|f| f.kind == crate::lang::FactKind::Include)
        .map(|f| f.text.clone())
        .collect();
    ScannedText {
        findings,
        defined: extraction.defined,
        warnings: extraction.warnings,
        skip: extraction.skip,
        ports,
        includes,
        imports: extraction.imports,
    }
}

/// Findings of a single snippet, as a scan of a tree holding only that snippet would report
/// them (used by the rule-example tests). The snippet is treated as a file of language `lang`
/// with that language's usual name ([`Lang::sample_file_name`]).
pub fn scan_snippet(rules: &RuleSet, text: &str, lang: Lang) -> Vec<Finding> {
    let mut front_ends = FrontEnds::new();
    let name = lang.sample_file_name();
    let scanned = scan_text(&mut front_ends, rules, name, Path::new(name), text, lang);
    let defined: HashSet<String> = scanned.defined.into_iter().collect();
    let mut findings = scanned.findings;
    findings.retain(|f| {
        !f.weak_name
            .as_ref()
            .is_some_and(|name| defined.contains(name))
    });
    let file = crate::project::receivers::FileImports {
        path: name,
        imports: &scanned.imports,
    };
    crate::project::receivers::attribute(&mut findings, &[file], rules);
    findings.retain(|f| !f.declaration);
    findings
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// `path` relative to `root`, with forward slashes; the path as given when it is not under the root.
pub fn relative(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => path
            .file_name()
            .map_or(".".into(), |n| n.to_string_lossy().into_owned()),
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string_lossy().replace('\\', "/"),
    }
}
