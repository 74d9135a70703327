//! What a scan produces and every reporter reads: the findings, the files, the targets and the
//! tree-wide facts (existing ports, whose code, the gate's answer, provenance).

use crate::finding::{Finding, assign_fingerprints};
use crate::lang::Lang;
pub use crate::note::FileNote;
use crate::portability::Target;
use crate::rule::RuleSet;
use std::collections::BTreeMap;
use std::sync::Arc;

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
