//! `cuda-audit baseline`, and the baseline update `--update-baseline` makes: within the scan's
//! scope, every dropped entry said.

use super::*;

/// Writes the updated baseline and says on stderr what changed: an entry is never dropped
/// silently, and entries the scan did not cover are kept.
pub(super) fn record_baseline(
    path: &Path,
    old: Option<&Baseline>,
    findings: &[crate::finding::Finding],
    scope: &crate::gate::Scope,
    quiet: bool,
) -> Result<crate::gate::BaselineUpdate> {
    let (baseline, update) =
        crate::gate::updated_baseline(old, findings, scope, &path.display().to_string());
    crate::output::write_atomically(path, &baseline.to_bytes())?;
    if !quiet {
        eprintln!(
            "cuda-audit: wrote {} ({} entries: {} added, {} dropped, {} kept outside this scan)",
            path.display(),
            update.entries,
            update.added,
            update.dropped.len(),
            update.kept_outside
        );
    }
    for e in &update.dropped {
        eprintln!(
            "  dropped: {} {} `{}` ({}): no longer found",
            e.path, e.rule, e.symbol, e.fingerprint
        );
    }
    Ok(update)
}

pub(super) fn run_baseline(args: BaselineArgs) -> Result<ExitStatus> {
    let Prepared {
        settings, config, ..
    } = prepare(&args.input)?;
    let path = args
        .output
        .clone()
        .or(config.baseline.clone())
        .unwrap_or_else(|| PathBuf::from(".cuda-audit-baseline.json"));
    let changes = args
        .diff_base
        .as_deref()
        .map(|rev| crate::diff::changed_lines(&settings.root, rev))
        .transpose()?;
    // An existing baseline that cannot be read stops the run: rewriting it from a partial scan
    // would lose what it records.
    let old = if path.exists() {
        Some(Baseline::load(&path)?)
    } else {
        None
    };
    let mut audit = audit(&settings)?;
    let scanned = std::mem::take(&mut audit.scanned_paths);
    let scope =
        crate::gate::Scope::new(&settings.root, &settings.paths, &scanned, changes.as_ref());
    record_baseline(&path, old.as_ref(), &audit.findings, &scope, args.quiet)?;
    Ok(ExitStatus::Clean)
}
