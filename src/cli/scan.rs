//! `cuda-audit [scan]`: settings, the report memo, the scan, the gate, and every report.

use super::*;

pub(super) fn run_scan(args: ScanArgs) -> Result<ExitStatus> {
    crate::timings::init();
    let Prepared {
        mut settings,
        config,
        rule_dirs,
    } = prepare_without_rules(&args.input)?;
    let format = args.format;
    if args.statistics && !format.has_summary() {
        return Err(Error::Usage(format!(
            "--statistics needs a format with a summary (text, json, markdown, html), not `{}`",
            format.as_str()
        )));
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let gate_inputs = GateInputs::read(&args, &config, &settings.root)?;
    let GateInputs {
        baseline_path,
        changes,
        ..
    } = &gate_inputs;
    let progress = crate::progress::Progress::start(crate::progress::wanted(
        args.quiet || args.input.no_progress,
    ));

    // Which project, commit and date the reports describe: part of what a replayed report must
    // match, since a new commit (or a new day, without git) changes the report's heading.
    let provenance = crate::provenance::Provenance::of(&settings.root);

    // The last report, replayed when the files, the rules, the tool and the options are those
    // it was made from (crate::cache::memo). A baseline or a git revision is outside the tree.
    let memo = settings
        .cache
        .as_deref()
        .filter(|_| {
            baseline_path.is_none()
                && args.diff_base.is_none()
                && !args.update_baseline
                && args.report.is_empty()
        })
        .map(|file| crate::cache::memo::ReportMemo::beside(file, settings.cache_max_size));
    // Read once: for the rules' identity, and for the rules if the report is not replayed.
    let user_rules = crate::rule::load::read_user_sources(&rule_dirs)?;
    let mut digest = None;
    if let Some(memo) = &memo {
        let identity = crate::rule::rules_identity(&user_rules);
        let mut extra = crate::cache::context(&identity);
        extra.extend_from_slice(
            format!("{args:?}\n{config:?}\ncolor: {color}\n{provenance:?}").as_bytes(),
        );
        let tree =
            crate::scan::tree_digest(&settings.root, &settings.paths, &settings.walk, &extra)?;
        crate::timings::phase("tree digest");
        if let Some(mut replay) = memo.find(&tree.digest) {
            progress.finish();
            crate::output::emit(args.output.as_deref(), |out| replay.copy_to(out))?;
            confirm_written(&args, args.output.as_deref(), format, None);
            crate::timings::phase("report replayed");
            return Ok(if replay.exit == 0 {
                ExitStatus::Clean
            } else {
                ExitStatus::Findings
            });
        }
        digest = Some(tree);
    }
    settings.rules = Arc::new(RuleSet::with_user_sources(user_rules)?);
    crate::timings::phase("rules");
    let analysed = crate::scan::analyse_tree(&settings)?;
    let mut audit = analysed.finish();
    audit.provenance = Some(provenance);
    progress.phase("writing the report");

    let gated = baseline_path.is_some() || changes.is_some();
    let policy = Policy {
        fail_on: args.fail_on.or(config.fail_on).unwrap_or(if gated {
            FailOn::New
        } else {
            FailOn::Any
        }),
        min_effort: args.fail_on_effort.or(config.fail_on_effort),
        targets: audit.targets.clone(),
    };
    if gated {
        decide_gate(&mut audit, &settings, &args, &policy, &gate_inputs)?;
    }
    let exit = crate::gate::exit_status(&audit.findings, audit.gate.as_ref(), &policy);
    let mut recorder = memo
        .zip(digest.as_ref())
        .and_then(|(m, tree)| m.record(tree.digest, exit as u8));
    progress.finish();
    write_reports(&args, color, &audit, recorder.as_mut())?;
    if let (Some(recorder), Some(tree)) = (recorder, digest) {
        // Stored only if the scan read the files the digest describes (none changed in
        // between); like the result cache, a memo that cannot be stored costs only time.
        if audit.files_read == tree.files_read {
            if let Err(e) = recorder.finish() {
                eprintln!("cuda-audit: warning: cannot write the report memo: {e}");
            }
        }
    }
    crate::timings::phase("report");
    // The process ends here: freeing hundreds of thousands of findings and the rule index one by
    // one would only delay the exit.
    std::mem::forget(audit);
    std::mem::forget(settings);
    Ok(exit)
}

/// One line on stderr when `-o` wrote a report, so a user sees where it went.
fn confirm_written(
    args: &ScanArgs,
    path: Option<&Path>,
    format: Format,
    audit: Option<&crate::audit::Audit>,
) {
    let Some(path) = path else { return };
    if args.quiet || crate::output::is_special_file(path) {
        return;
    }
    let what = match audit {
        Some(a) => {
            let n = a.findings.len();
            format!(", {n} finding{}", if n == 1 { "" } else { "s" })
        }
        None => ", replayed: nothing changed since the last scan".to_string(),
    };
    eprintln!(
        "cuda-audit: wrote {} ({}{what})",
        path.display(),
        format.as_str()
    );
}

/// What a gate compares with, read before the scan: a wrong revision or a damaged baseline
/// should not cost a whole scan to find out.
struct GateInputs {
    baseline_path: Option<PathBuf>,
    changes: Option<crate::diff::ChangedLines>,
    /// The baseline's entries; `None` when `--update-baseline` is about to create it.
    old_baseline: Option<Baseline>,
}

impl GateInputs {
    fn read(args: &ScanArgs, config: &Config, root: &Path) -> Result<GateInputs> {
        let baseline_path = args.baseline.clone().or_else(|| config.baseline.clone());
        if args.update_baseline && baseline_path.is_none() {
            return Err(Error::Usage(
                "--update-baseline needs --baseline FILE (or `baseline` in the configuration)"
                    .into(),
            ));
        }
        // The gate's inputs are read before the scan: a wrong revision or a damaged baseline should
        // not cost a whole scan to find out.
        let changes = args
            .diff_base
            .as_deref()
            .map(|rev| crate::diff::changed_lines(root, rev))
            .transpose()?;
        let old_baseline = match &baseline_path {
            Some(p) if args.update_baseline && !p.exists() => None,
            Some(p) => Some(Baseline::load(p)?),
            None => None,
        };
        Ok(GateInputs {
            baseline_path,
            changes,
            old_baseline,
        })
    }
}

/// Marks findings new or known, records the baseline when asked, and stores the gate's answer.
fn decide_gate(
    audit: &mut crate::audit::Audit,
    settings: &Settings,
    args: &ScanArgs,
    policy: &Policy,
    gate_inputs: &GateInputs,
) -> Result<()> {
    let GateInputs {
        baseline_path,
        changes,
        old_baseline,
    } = gate_inputs;
    let inputs = crate::gate::Inputs {
        baseline: baseline_path
            .as_ref()
            .map(|p| (p.display().to_string(), old_baseline.as_ref())),
        changes: changes.as_ref(),
        diff_rev: args.diff_base.clone(),
    };
    let scanned = std::mem::take(&mut audit.scanned_paths);
    let scope =
        crate::gate::Scope::new(&settings.root, &settings.paths, &scanned, changes.as_ref());
    let comparison = crate::gate::compare(&mut audit.findings, &inputs, &scope);
    let update = match (&baseline_path, args.update_baseline) {
        (Some(path), true) => Some(record_baseline(
            path,
            old_baseline.as_ref(),
            &audit.findings,
            &scope,
            false,
        )?),
        _ => None,
    };
    audit.gate = Some(crate::gate::report(
        &audit.findings,
        &audit.weights,
        &inputs,
        comparison,
        policy,
        update,
    ));
    Ok(())
}

/// The report in `-f` to `-o` (or standard output, copied to the memo), then every
/// `--report FORMAT=FILE`, each confirmed on stderr with what it left out.
fn write_reports(
    args: &ScanArgs,
    color: bool,
    audit: &crate::audit::Audit,
    recorder: Option<&mut crate::cache::memo::Recorder>,
) -> Result<()> {
    let format = args.format;
    let options = report::Options {
        color,
        quiet: args.quiet,
        show_known: args.show_known,
        statistics: args.statistics,
        sarif_max_results: args.sarif_max_results,
        sarif_max_gzip_bytes: args.sarif_max_gzip_bytes,
    };
    let reporter = report::reporter(format, &options);
    // Streamed to its destination: a report of a large tree can be hundreds of megabytes.
    crate::output::emit(args.output.as_deref(), |out| {
        // Reporters write many small pieces: buffered before the copy to the memo is taken.
        let tee = crate::cache::memo::Tee { out, recorder };
        let out = &mut std::io::BufWriter::with_capacity(1 << 16, tee);
        reporter.write(audit, out)?;
        out.flush()
    })?;
    confirm_written(args, args.output.as_deref(), format, Some(audit));
    if let Some(notice) = reporter.notice() {
        eprintln!("cuda-audit: {notice}");
    }
    // `--report FORMAT=FILE`: more reports of the same scan (and the same gate).
    let file_options = report::Options {
        color: false,
        ..options
    };
    for spec in &args.report {
        let format = spec.format;
        let reporter = report::reporter(format, &file_options);
        crate::output::write_atomically_with(&spec.path, |out| reporter.write(audit, out))?;
        confirm_written(args, Some(&spec.path), format, Some(audit));
        if let Some(notice) = reporter.notice() {
            eprintln!("cuda-audit: {}: {notice}", spec.path.display());
        }
    }
    Ok(())
}
