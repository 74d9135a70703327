//! The per-file step of a scan: a walked entry to its [`Outcome`], with the result cache, the
//! prefilter, suppressions and the per-file cap; a panic becomes that file's skip.

use crate::cache::{Cache, Cached};
use crate::finding::Hit;
use crate::lang::FrontEnds;
use crate::lang::Lang;
use crate::note::NoteReason;
use crate::prefilter::{Held, Prefilter};
use crate::source::{LineIndex, Undecodable, decode};
use crate::walk::Entry;
use std::path::{Path, PathBuf};

use super::{Settings, relative};
use crate::analysis::{FileAnalysis, analyse_text};
use crate::audit::FileNote;

/// An analysed (or ruled-out) file, as the merge needs it.
pub(super) struct ScannedFile {
    pub(super) suppressed: usize,
    pub(super) lang: Lang,
    pub(super) bytes: u64,
    /// In file order.
    pub(super) hits: Vec<Hit>,
    pub(super) defined: Vec<String>,
    pub(super) warnings: Vec<FileNote>,
    pub(super) ports: crate::ports::FilePorts,
    pub(super) path: String,
    /// Imported modules (which framework a method-style use belongs to).
    pub(super) imports: Vec<String>,
    /// A C-family file that includes a HIP or ROCm header.
    pub(super) includes_hip: bool,
    /// Set when the prefilter ruled the file out: its path on disk, to parse it after all if
    /// another file's results make its definitions or includes matter.
    pub(super) deferred: Option<PathBuf>,
    /// A file of the project's own that can hold nothing but uses of the project's own rules
    /// ([`Prefilter::own_only`]): its hits, all of them such uses, are not kept (whether it was
    /// parsed or not), and it is counted instead.
    pub(super) own_only: bool,
}

/// Per-file result sent from worker threads. Scanned outcomes are large and skips small, but
/// there is one outcome per file, kept until the end: boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
pub(super) enum Outcome {
    Scanned(ScannedFile),
    Skipped(FileNote),
    /// A source file of a language that is not analysed, or a HIP source.
    NotAnalysed {
        path: String,
        language: &'static str,
    },
}

impl Outcome {
    pub(super) fn path(&self) -> &str {
        match self {
            Outcome::Scanned(ScannedFile { path, .. }) => path,
            Outcome::Skipped(note) => &note.path,
            Outcome::NotAnalysed { path, .. } => path,
        }
    }
}

/// What can spare a file its parse: the prefilter (when ready and not turned off) and the
/// result cache (when on).
#[derive(Clone, Copy)]
pub(super) struct Shortcuts<'a> {
    pub(super) prefilter: Option<&'a Prefilter>,
    /// The prefilter with the project's own rules split off, in both modes: it decides which
    /// files hold nothing but the project's own uses.
    pub(super) own_split: Option<&'a Prefilter>,
    /// Whether the file is vendored (not the project's own, so its own rules are anyone's).
    pub(super) vendored: bool,
    pub(super) cache: Option<&'a Cache>,
    /// Whether a file the cache says the prefilter ruled out may be taken as such: yes in the
    /// main pass of a scan with the prefilter on (even before the prefilter is built), no when
    /// files are parsed after all (deferred files).
    pub(super) trust_ruled_out: bool,
}

/// One walked entry to its outcome. A panic while analysing a file becomes that file's skip
/// (`internal-error`), and the thread continues with fresh parsers.
pub(super) fn analyse(
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
                    reason: crate::note::NoteReason::InternalError,
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
            reason,
            message,
        }),
        Entry::Other { path, language } => Outcome::NotAnalysed {
            path: relative(root, &path),
            language,
        },
    }
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
        own_split,
        vendored,
        cache,
        trust_ruled_out,
    }: Shortcuts,
) -> Outcome {
    let rel = relative(root, path);
    let skipped = |reason: NoteReason, message: String| {
        Outcome::Skipped(FileNote {
            path: rel.clone(),
            reason,
            message,
        })
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return skipped(NoteReason::Unreadable, e.to_string()),
    };
    let key = cache.map(|c| {
        let key = Cache::key(&rel, lang, &bytes);
        c.note_read(&rel, key);
        key
    });
    if bytes.is_empty() {
        return skipped(NoteReason::Empty, "empty file".into());
    }
    let decoded = match decode(&bytes) {
        Ok(d) => d,
        Err(Undecodable::Binary) => {
            return skipped(NoteReason::Binary, "binary file (NUL byte)".into());
        }
    };
    let mut warnings = Vec::new();
    if decoded.lossy {
        warnings.push(FileNote {
            path: rel.clone(),
            reason: crate::note::NoteReason::InvalidUtf8,
            message: "invalid UTF-8 replaced with U+FFFD; the file was still scanned".into(),
        });
    }
    let text = decoded.text.as_ref();
    let includes_hip = lang.is_c_family() && crate::project::hip::includes_hip_header(text);
    let mut from_cache = None;
    let mut ruled_out = false;
    match cache.zip(key.as_ref()).and_then(|(c, k)| c.get(k)) {
        Some(Cached::RuledOut) => ruled_out = trust_ruled_out,
        // Rule indices from an entry of these rules are in range; a damaged entry is a miss.
        Some(Cached::Scanned(scanned))
            if scanned
                .hits
                .iter()
                .all(|h| h.rule < settings.rules.rule_count()) =>
        {
            from_cache = Some(*scanned)
        }
        Some(Cached::Scanned(_)) | None => {}
    }
    if let Some(cache) = cache.filter(|_| ruled_out || from_cache.is_some()) {
        cache.count_hit();
    }
    // One look at the needles decides both whether the file may be ruled out and whether it
    // holds nothing but the project's own uses (when the project owns rules, in every mode).
    let consult_prefilter = prefilter.is_some() && from_cache.is_none() && !ruled_out;
    let held = match prefilter.or(own_split) {
        Some(p) if consult_prefilter || own_split.is_some() => Some(p.needles_held(lang, text)),
        _ => None,
    };
    let own_only = !vendored && own_split.is_some() && held == Some(Held::OwnOnly);
    if consult_prefilter {
        ruled_out = match held {
            Some(Held::Nothing) => true,
            Some(Held::OwnOnly) => !vendored,
            Some(Held::Others) | None => false,
        };
        // Only what holds whoever the project is: a file with no needle at all.
        if held == Some(Held::Nothing) {
            if let (Some(cache), Some(key)) = (cache, key) {
                cache.put_ruled_out(key);
            }
        }
    }
    if ruled_out {
        let outcome = ruled_out_file(
            text,
            rel,
            lang,
            size,
            includes_hip,
            path,
            settings,
            warnings,
        );
        return with_own_only(outcome, own_only);
    }
    let scanned = match from_cache {
        Some(scanned) => scanned,
        None => {
            let scanned = analyse_text(front_ends, &settings.rules, &rel, path, text, lang);
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
    let mut scanned = scanned;
    if own_only {
        // Uses of the project's own rules only, as when the prefilter spares the parse.
        scanned.hits.clear();
    }
    let outcome = scanned_file(
        scanned,
        text,
        rel,
        lang,
        size,
        includes_hip,
        settings,
        warnings,
    );
    with_own_only(outcome, own_only)
}

fn with_own_only(mut outcome: Outcome, own_only: bool) -> Outcome {
    if let Outcome::Scanned(file) = &mut outcome {
        file.own_only = own_only;
    }
    outcome
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// A file no rule can match (the prefilter said so): what every scanned file reports —
/// suppressions and their notes — without the parse, and where it is on disk in case other
/// files make it matter after all.
#[allow(clippy::too_many_arguments)]
fn ruled_out_file(
    text: &str,
    rel: String,
    lang: Lang,
    size: u64,
    includes_hip: bool,
    path: &Path,
    settings: &Settings,
    mut warnings: Vec<FileNote>,
) -> Outcome {
    let (suppressed, notes) = crate::suppress::apply(
        text,
        &rel,
        &mut Vec::<Hit>::new(),
        |h| subject(h, &settings.rules),
        settings.require_suppression_reason,
    );
    warnings.extend(notes);
    Outcome::Scanned(ScannedFile {
        suppressed,
        lang,
        bytes: size,
        hits: Vec::new(),
        defined: Vec::new(),
        warnings,
        ports: crate::ports::FilePorts::default(),
        path: rel,
        imports: Vec::new(),
        includes_hip,
        deferred: Some(path.to_path_buf()),
        own_only: false,
    })
}

/// An analysed file's outcome: the per-file cap, the rule filter, suppressions, the front end's
/// warnings placed at their line, findings sorted.
#[allow(clippy::too_many_arguments)]
fn scanned_file(
    mut scanned: FileAnalysis,
    text: &str,
    rel: String,
    lang: Lang,
    size: u64,
    includes_hip: bool,
    settings: &Settings,
    mut warnings: Vec<FileNote>,
) -> Outcome {
    let rules = &settings.rules;
    if scanned.hits.len() > settings.max_findings_per_file {
        let dropped = scanned.hits.len() - settings.max_findings_per_file;
        scanned.hits.truncate(settings.max_findings_per_file);
        warnings.push(FileNote {
            path: rel.clone(),
            reason: crate::note::NoteReason::FindingsCapped,
            message: format!(
                "{dropped} more findings not reported (cap of {} per file, --max-findings-per-file)",
                settings.max_findings_per_file
            ),
        });
    }
    scanned.hits.retain(|h| {
        let rule = rules.rule(h.rule);
        settings
            .filter
            .allows(&rule.id, rule.category, &rule.library)
    });
    let (suppressed, notes) = crate::suppress::apply(
        text,
        &rel,
        &mut scanned.hits,
        |h| subject(h, rules),
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
    scanned.hits.sort_by(|a, b| {
        a.sort_key(rules.rule(a.rule))
            .cmp(&b.sort_key(rules.rule(b.rule)))
    });
    Outcome::Scanned(ScannedFile {
        suppressed,
        lang,
        bytes: size,
        hits: scanned.hits,
        defined: scanned.defined,
        warnings,
        ports: scanned.ports,
        path: rel,
        imports: scanned.imports,
        includes_hip,
        deferred: None,
        own_only: false,
    })
}

/// What a suppression comment looks at in a hit.
fn subject<'a>(h: &Hit, rules: &'a crate::rule::RuleSet) -> crate::suppress::Subject<'a> {
    let rule = rules.rule(h.rule);
    crate::suppress::Subject {
        line: h.start.line,
        rule_id: &rule.id,
        category: rule.category.as_str(),
        library: &rule.library,
    }
}
