//! The CI gate: compare an audit with a baseline or restrict it to changed lines, then decide
//! whether the run fails. Exit 1 when the gate fails, 0 otherwise (2 is reserved for errors).

use crate::baseline::{Baseline, BaselineState};
use crate::config::FailOn;
use crate::diff::ChangedLines;
use crate::error::ExitStatus;
use crate::finding::Finding;
use crate::portability::{Effort, Target};
use crate::scan::Audit;
use std::path::Path;

/// What makes a run fail.
#[derive(Clone, Debug)]
pub struct Policy {
    pub fail_on: FailOn,
    /// Only findings that need at least this effort on one of `targets` count.
    pub min_effort: Option<Effort>,
    pub targets: Vec<Target>,
}

/// Marks every finding new or unchanged against `baseline`, and records the stale entries.
pub fn compare_baseline(audit: &mut Audit, baseline: &Baseline) {
    let (states, stale) = baseline.compare(&audit.findings);
    for (f, state) in audit.findings.iter_mut().zip(states) {
        f.baseline_state = Some(state);
    }
    audit.stale_baseline = stale;
}

/// Keeps only findings on lines added or changed since the diff base; they are all new.
/// `root` is the scan root (finding paths are relative to it).
pub fn restrict_to_changes(audit: &mut Audit, root: &Path, changes: &ChangedLines) {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let toplevel = changes
        .toplevel
        .canonicalize()
        .unwrap_or_else(|_| changes.toplevel.clone());
    let prefix = root
        .strip_prefix(&toplevel)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    audit.findings.retain(|f| {
        let path = if prefix.is_empty() {
            f.path.clone()
        } else {
            format!("{prefix}/{}", f.path)
        };
        changes.contains(&path, f.start.line)
    });
    for f in &mut audit.findings {
        f.baseline_state = Some(BaselineState::New);
    }
    audit.diff_base = Some(changes.base.clone());
}

/// The findings that fail the gate.
pub fn failing<'a>(audit: &'a Audit, policy: &Policy) -> Vec<&'a Finding> {
    audit
        .findings
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

pub fn exit_status(audit: &Audit, policy: &Policy) -> ExitStatus {
    if failing(audit, policy).is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    }
}
