//! The tree-wide step of a scan: what depends on other files (definitions, includes, shims,
//! whose code a file is), then one sorted, fingerprinted [`Audit`].

use crate::cache::Cache;
use crate::finding::{FileHits, Finding, assign_fingerprints};
use crate::hash::FastSet;
use crate::lang::FrontEnds;
use crate::lang::Lang;
use crate::prefilter::Prefilter;
use crate::walk::Entry;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::file::{Outcome, ScannedFile, Shortcuts, analyse};
use super::{Analysed, Settings};
use crate::audit::{Audit, FileReport};

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
            own_split,
            identity,
            cache,
        } = self;
        let rules = &settings.rules;
        let prefiltered = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Outcome::Scanned(ScannedFile {
                        deferred: Some(_),
                        ..
                    })
                )
            })
            .count();
        if let Some(prefilter) = prefilter.get() {
            let context = Context {
                settings,
                root: &root,
                layout: &layout,
                own_split: own_split.as_deref(),
                threads,
                cache: cache.as_ref(),
            };
            rescan_deferred(&mut outcomes, prefilter, &context);
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
        let mut gathered = Gathered::sized_for(&outcomes, settings.include_vendored);
        for outcome in outcomes {
            gathered.absorb(outcome, &layout, settings);
        }
        let Gathered {
            mut files,
            mut report,
            late,
            late_vendored,
            suppressed,
            file_ports,
            mut project,
            python_imports,
            scanned_paths,
        } = gathered;
        // One set per analysis thread, looked up in turn: merging them would rehash millions
        // of names on a large tree.
        let mut defined_sets = defined_sets;
        let mut vendored_defined = vendored_defined;
        defined_sets.push(late);
        vendored_defined.push(late_vendored);
        drop_defined_weak_names(&mut files, &layout, &defined_sets, &vendored_defined);
        project.unattributed = attribute_receivers(&mut files, &python_imports, rules);
        split_by_owner(&mut files, &layout, &identity, &mut project, settings);
        let (existing_ports, covers) = if settings.ignore_existing_ports {
            Default::default()
        } else {
            crate::ports::apply(&files, &file_ports, rules)
        };
        let mut findings = build_findings(files, covers, rules);
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

/// Moves method-style hits to the framework their file reaches ([`crate::project::receivers`]).
fn attribute_receivers(
    files: &mut [FileHits],
    python_imports: &[(String, Vec<String>)],
    rules: &crate::rule::RuleSet,
) -> usize {
    let imports: Vec<crate::project::receivers::FileImports> = python_imports
        .iter()
        .map(|(path, imports)| crate::project::receivers::FileImports { path, imports })
        .collect();
    crate::project::receivers::attribute(files, &imports, rules)
}

/// The findings, built once each from a hit, its rule and what the tree-wide steps decided.
fn build_findings(
    files: Vec<FileHits>,
    covers: crate::ports::Covers,
    rules: &crate::rule::RuleSet,
) -> Vec<Finding> {
    // Exactly sized: a doubling vector of hundreds of thousands of findings wastes as much
    // memory as it holds.
    let mut findings = Vec::with_capacity(files.iter().map(|f| f.hits.len()).sum());
    let mut covers = covers.into_iter();
    for FileHits { path, hits } in files {
        let mut file_covers = covers.next().unwrap_or_default().into_iter();
        for hit in hits {
            let rule = rules.rule(hit.rule);
            findings.push(Finding::new(hit, rule, &path, file_covers.next().flatten()));
        }
    }
    findings
}

/// Sorts the findings by whose code they are in: declarations (prototypes) are never uses;
/// vendored code goes to its library's entry (and stays among the findings only with
/// `--include-vendored`); uses of the project's own packages, crates and images are dropped.
fn split_by_owner(
    files: &mut Vec<FileHits>,
    layout: &crate::project::Layout,
    identity: &crate::project::Identity,
    project: &mut crate::project::ProjectReport,
    settings: &Settings,
) {
    let rules = &settings.rules;
    project.names = identity.shown();
    // One vendored-unit lookup per file.
    let units: Vec<Option<crate::project::VendorUnit>> =
        files.iter().map(|f| layout.vendored(&f.path)).collect();
    let vendored: Vec<crate::project::VendoredUse> = files
        .iter()
        .zip(&units)
        .filter_map(|(f, u)| Some((f, u.as_ref()?)))
        .flat_map(|(f, unit)| {
            f.hits.iter().map(move |h| crate::project::VendoredUse {
                unit,
                path: &f.path,
                library: &rules.rule(h.rule).library,
                symbol: &h.symbol,
            })
        })
        .collect();
    project.vendored = crate::project::vendored_libraries(&vendored);
    let mut own_uses = 0;
    for (file, unit) in files.iter_mut().zip(&units) {
        file.hits.retain(|h| match unit {
            Some(_) => settings.include_vendored && !h.declaration,
            None if h.declaration => false,
            None if identity.owns(&h.symbol, rules.rule(h.rule)) => {
                own_uses += 1;
                false
            }
            None => true,
        });
    }
    files.retain(|f| !f.hits.is_empty());
    project.own_uses = own_uses;
}

/// Parses the files the prefilter ruled out whose definitions or includes turn out to matter
/// ([`crate::prefilter::late_needles`]), replacing their outcomes, until none does.
fn rescan_deferred(outcomes: &mut Vec<Outcome>, prefilter: &Prefilter, context: &Context) {
    let settings = context.settings;
    loop {
        let deferred = |o: &Outcome| {
            matches!(
                o,
                Outcome::Scanned(ScannedFile {
                    deferred: Some(_),
                    ..
                })
            )
        };
        if !outcomes.iter().any(deferred) {
            return;
        }
        let late = crate::prefilter::late_needles(
            outcomes.iter().filter_map(|o| match o {
                Outcome::Scanned(ScannedFile {
                    hits,
                    ports,
                    path,
                    deferred: None,
                    ..
                }) => Some((path.as_str(), hits.as_slice(), ports)),
                _ => None,
            }),
            outcomes.iter().filter_map(|o| match o {
                Outcome::Scanned(ScannedFile {
                    path,
                    deferred: Some(_),
                    ..
                }) => Some(path.as_str()),
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
                Outcome::Scanned(ScannedFile {
                    deferred: Some(disk),
                    path,
                    lang,
                    bytes,
                    ..
                }) => late
                    .matter(path, disk)
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
        outcomes.extend(analyse_all(again, context));
    }
}

/// What parsing files after all needs to know.
struct Context<'a> {
    settings: &'a Settings,
    root: &'a Path,
    layout: &'a crate::project::Layout,
    own_split: Option<&'a Prefilter>,
    threads: usize,
    cache: Option<&'a Cache>,
}

/// Analyses `entries` without the prefilter on up to `threads` analysis threads.
fn analyse_all(entries: Vec<Entry>, context: &Context) -> Vec<Outcome> {
    let n = context.threads.clamp(1, entries.len().max(1));
    let queue = super::pool::Queue::new(entries);
    let done = Mutex::new(Vec::new());
    super::pool::run(
        n,
        FrontEnds::new,
        || queue.next(),
        |front_ends, entry| {
            let shortcuts = Shortcuts {
                prefilter: None,
                own_split: context.own_split,
                vendored: super::is_vendored(context.layout, context.root, &entry),
                cache: context.cache,
                trust_ruled_out: false,
            };
            let (settings, root) = (context.settings, context.root);
            let outcome = analyse(entry, front_ends, settings, root, shortcuts);
            done.lock().unwrap_or_else(|e| e.into_inner()).push(outcome);
        },
        |_| {},
    );
    done.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Every file's outcome gathered, in path order.
struct Gathered {
    /// Per file with hits, in path order.
    files: Vec<FileHits>,
    report: FileReport,
    /// Names the project's files define (and, with `--include-vendored`, vendored files).
    late: FastSet<String>,
    /// Names vendored files define: they decide what vendored code means only.
    late_vendored: FastSet<String>,
    suppressed: usize,
    file_ports: std::collections::BTreeMap<String, crate::ports::FilePorts>,
    project: crate::project::ProjectReport,
    /// Python files and what they import (which framework `.cuda()` belongs to).
    python_imports: Vec<(String, Vec<String>)>,
    scanned_paths: Vec<String>,
}

impl Gathered {
    fn sized_for(outcomes: &[Outcome], include_vendored: bool) -> Gathered {
        Gathered {
            files: Vec::new(),
            report: FileReport::default(),
            late: FastSet::default(),
            late_vendored: FastSet::default(),
            suppressed: 0,
            file_ports: std::collections::BTreeMap::new(),
            project: crate::project::ProjectReport {
                vendored_included: include_vendored,
                ..Default::default()
            },
            python_imports: Vec::new(),
            scanned_paths: Vec::with_capacity(outcomes.len()),
        }
    }

    fn absorb(&mut self, outcome: Outcome, layout: &crate::project::Layout, settings: &Settings) {
        let include_vendored = settings.include_vendored;
        match outcome {
            Outcome::Scanned(ScannedFile {
                suppressed,
                lang,
                bytes,
                hits,
                defined,
                warnings,
                ports,
                path,
                imports,
                includes_hip,
                own_only,
                ..
            }) => {
                let vendored = layout.vendored(&path).is_some();
                self.scanned_paths.push(path.clone());
                if lang == Lang::Python {
                    self.python_imports.push((path.clone(), imports));
                }
                let hip = lang.is_c_family()
                    && crate::project::hip::is_hip_source(
                        &path,
                        includes_hip,
                        hits.iter().any(|h| {
                            settings.rules.rule(h.rule).category == crate::rule::Category::Include
                        }),
                    );
                if hip {
                    self.project.hip_files += 1;
                } else if !hits.is_empty() {
                    self.files.push(FileHits {
                        path: path.clone(),
                        hits,
                    });
                }
                if own_only {
                    self.project.own_only_files += 1;
                }
                if include_vendored || !vendored {
                    self.late.extend(defined);
                } else {
                    self.late_vendored.extend(defined);
                }
                self.file_ports.insert(path, ports);
                self.suppressed += suppressed;
                self.report.scanned += 1;
                self.report.bytes += bytes;
                *self.report.by_language.entry(lang).or_default() += 1;
                self.report.warnings.extend(warnings);
            }
            Outcome::Skipped(note) => self.report.skipped.push(note),
            Outcome::NotAnalysed { language, .. } => {
                if language == crate::lang::unanalysed::HIP {
                    self.project.hip_files += 1;
                } else {
                    *self.project.not_analysed.entry(language).or_default() += 1;
                }
            }
        }
    }
}

/// A name matched only by a family pattern (`cudaLikeHelper` by `cuda[A-Z]*`) or a weak rule is
/// not CUDA when the scanned tree defines it; in vendored code, the vendored code's own
/// definitions count too.
fn drop_defined_weak_names(
    files: &mut [FileHits],
    layout: &crate::project::Layout,
    defined_sets: &[FastSet<String>],
    vendored_defined: &[FastSet<String>],
) {
    let defined = |sets: &[FastSet<String>], name: &str| sets.iter().any(|set| set.contains(name));
    for file in files {
        let vendored = layout.vendored(&file.path).is_some();
        file.hits.retain(|h| {
            let Some(name) = &h.weak_name else {
                return true;
            };
            !(defined(defined_sets, name) || (vendored && defined(vendored_defined, name)))
        });
    }
}
