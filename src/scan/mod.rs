//! Running a scan: walk the paths, analyse each file on the analysis threads ([`pool`], each
//! thread keeping its own parsers; the per-file step in [`file`]), then merge across files
//! ([`merge`]) into a deterministic [`Audit`]. [`audit`] is the whole pipeline.

mod file;
mod merge;
mod pool;

pub use crate::audit::{Audit, FileNote, FileReport};
use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::hash::FastSet;
use crate::lang::{FrontEnds, Lang};
use crate::portability::Target;
use crate::prefilter::Prefilter;
use crate::rule::RuleFilter;
use crate::rule::RuleSet;
use crate::walk::{self, Entry, WalkOptions};
use file::{Outcome, ScannedFile, Shortcuts, analyse};
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
    /// The cache directory's cap in bytes ([`crate::cache::dir`]).
    pub cache_max_size: u64,
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
            cache_max_size: crate::cache::dir::DEFAULT_MAX_SIZE,
            prefilter_first: false,
            vendored: Vec::new(),
            include_vendored: false,
        }
    }
}

/// How many files analysed without the result cache make a scan large enough to build the
/// prefilter for.
const PREFILTER_AFTER: usize = 64;

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
    /// The prefilter with the project's own rules split off, when it owns any.
    own_split: Option<Arc<Prefilter>>,
    /// The project's own names ([`crate::project::Identity`]).
    identity: crate::project::Identity,
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

/// How many analysis threads: `--jobs`, else one per core.
fn analysis_threads(settings: &Settings) -> usize {
    match settings.walk.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// One analysis thread's parsers and the names its files define: definitions are only looked
/// up, so one set per thread instead of one list per file (a large tree defines millions of
/// names, mostly the same).
struct Worker {
    front_ends: FrontEnds,
    names: FastSet<String>,
    vendored_names: FastSet<String>,
}

/// Walks the tree and analyses every file.
pub fn analyse_tree(settings: &Settings) -> Result<Analysed<'_>> {
    let (root, paths) = resolve(&settings.root, &settings.paths)?;
    let layout = crate::project::Layout::read(&root, &settings.vendored).map_err(Error::Usage)?;
    let cache = settings.cache.as_ref().map(|file| {
        Cache::open(
            file.clone(),
            &settings.rules.identity(),
            settings.cache_max_size,
        )
    });
    crate::timings::phase("cache read");
    // The walk first: the project's identity is learnt from the whole list of files.
    let entries = walk_entries(&paths, &root, &settings.walk, &layout)?;
    let identity = learn_identity(&root, &entries);
    crate::timings::phase("walk");
    let outcomes: Mutex<Vec<Outcome>> = Mutex::new(Vec::new());
    let defined_sets: Mutex<Vec<FastSet<String>>> = Mutex::new(Vec::new());
    let vendored_defined: Mutex<Vec<FastSet<String>>> = Mutex::new(Vec::new());
    let rules = &settings.rules;
    let targets = RuleSet::targets_or_all(&settings.targets);
    let own_split = own_split(rules, &identity);
    let prefilter = prefilter_at_start(settings, own_split.as_ref(), &entries, cache.as_ref());
    // Files analysed without the cache's help; past `PREFILTER_AFTER`, the prefilter is built.
    let analysed_afresh = std::sync::atomic::AtomicUsize::new(0);
    let prefilter_started = std::sync::Once::new();
    let after_analysis = || {
        if settings.exhaustive || prefilter.get().is_some() {
            return;
        }
        let n = analysed_afresh.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let hits = cache.as_ref().map_or(0, Cache::hits);
        if n.saturating_sub(hits) >= PREFILTER_AFTER {
            prefilter_started.call_once(|| {
                let (rules, cell) = (Arc::clone(rules), Arc::clone(&prefilter));
                let _ = std::thread::Builder::new()
                    .name("cuda-audit-prefilter".into())
                    .spawn(move || {
                        let _ = cell.set(Arc::new(Prefilter::new(&rules)));
                    });
            });
        }
    };

    let threads = analysis_threads(settings);
    let queue = pool::Queue::new(entries);
    pool::run(
        threads,
        || Worker {
            front_ends: FrontEnds::new(),
            names: FastSet::default(),
            vendored_names: FastSet::default(),
        },
        || queue.next(),
        |worker, (entry, vendored)| {
            let shortcuts = Shortcuts {
                prefilter: prefilter.get().map(|p| &**p),
                own_split: own_split.as_deref(),
                vendored,
                cache: cache.as_ref(),
                trust_ruled_out: !settings.exhaustive,
            };
            let mut outcome = analyse(entry, &mut worker.front_ends, settings, &root, shortcuts);
            after_analysis();
            if let Outcome::Scanned(ScannedFile { defined, .. }) = &mut outcome {
                let defined = std::mem::take(defined);
                // Vendored code's definitions decide nothing in the project's code (unless
                // it is counted as the project's own).
                if settings.include_vendored || !vendored {
                    worker.names.extend(defined);
                } else {
                    worker.vendored_names.extend(defined);
                }
            }
            outcomes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(outcome);
            crate::progress::file_done();
        },
        |worker| {
            defined_sets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(worker.names);
            vendored_defined
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(worker.vendored_names);
        },
    );
    crate::timings::phase("analysis");
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
        own_split,
        identity,
        cache,
    })
}

/// Every entry of the walk with whether it is vendored ([`is_vendored`]), largest files first
/// (so that no large file is left to one thread at the end).
fn walk_entries(
    paths: &[PathBuf],
    root: &Path,
    options: &WalkOptions,
    layout: &crate::project::Layout,
) -> Result<Vec<(Entry, bool)>> {
    let entries: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
    walk::walk(paths, root, options, || {
        |entry: Entry| {
            entries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(entry)
        }
    })
    .map_err(Error::Usage)?;
    let size = |e: &Entry| match e {
        Entry::File { size, .. } => *size,
        _ => 0,
    };
    let mut entries: Vec<(Entry, bool)> = entries
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|e| {
            let vendored = is_vendored(layout, root, &e);
            (e, vendored)
        })
        .collect();
    entries.sort_by_key(|(e, _)| std::cmp::Reverse(size(e)));
    Ok(entries)
}

/// The prefilter as the analysis starts. A project that is itself a CUDA library (CUTLASS,
/// NCCL) names its own rules in most files: the prefilter with its own rules split off is there
/// from the start, so that every file, in both modes, is told whether it holds nothing but the
/// project's own uses. Otherwise the prefilter is built first when the tree has
/// `PREFILTER_AFTER` C-family files and no cached results (a few ms of CPU that a small tree
/// would not win back), else beside the scan once that many files are analysed afresh, files
/// parsed until it is ready; never with `--exhaustive`.
fn prefilter_at_start(
    settings: &Settings,
    own_split: Option<&Arc<Prefilter>>,
    entries: &[(Entry, bool)],
    cache: Option<&Cache>,
) -> Arc<OnceLock<Arc<Prefilter>>> {
    let prefilter = Arc::new(OnceLock::new());
    if settings.exhaustive {
        return prefilter;
    }
    let c_family =
        |e: &&(Entry, bool)| matches!(e.0, Entry::File { lang, .. } if lang.is_c_family());
    if let Some(split) = own_split {
        let _ = prefilter.set(Arc::clone(split));
    } else if settings.prefilter_first
        || (entries.iter().filter(c_family).count() >= PREFILTER_AFTER
            && cache.is_none_or(Cache::is_empty))
    {
        let _ = prefilter.set(Arc::new(Prefilter::new(&settings.rules)));
    }
    crate::timings::phase("prefilter");
    prefilter
}

/// Whether a walked file is vendored (not the project's own code).
fn is_vendored(layout: &crate::project::Layout, root: &Path, entry: &Entry) -> bool {
    match entry {
        Entry::File { path, .. } => layout.vendored(&relative(root, path)).is_some(),
        _ => false,
    }
}

/// The project's identity, learnt from the files of the walk that are not vendored.
fn learn_identity(root: &Path, entries: &[(Entry, bool)]) -> crate::project::Identity {
    let own_files: Vec<(String, Lang)> = entries
        .iter()
        .filter_map(|(e, vendored)| match e {
            Entry::File { path, lang, .. } if !vendored => Some((relative(root, path), *lang)),
            _ => None,
        })
        .collect();
    crate::project::Identity::learn(
        root,
        own_files.iter().map(|(rel, lang)| (rel.as_str(), *lang)),
    )
}

/// The prefilter with the project's own C-family rules split off ([`Prefilter::split`]), when
/// the project owns any.
fn own_split(rules: &RuleSet, identity: &crate::project::Identity) -> Option<Arc<Prefilter>> {
    let owns = |rule: &crate::rule::Rule| {
        identity.owns_rule(rule) && Lang::C_FAMILY.iter().any(|&l| rule.applies_to(l))
    };
    // Decided once per rule: the split asks for every name and glob of the rules.
    let owned: Vec<bool> = rules.rules().iter().map(owns).collect();
    if !owned.contains(&true) {
        return None;
    }
    let split = Prefilter::split(rules, |r| owned[r]);
    split.is_split().then(|| Arc::new(split))
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
