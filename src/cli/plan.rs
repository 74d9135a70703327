//! `cuda-audit plan`: the scan `cuda-audit scan` would make (same configuration, excludes, rules
//! and cache), then the porting plan for one target in one format.

use super::*;

pub(super) fn run_plan(args: PlanArgs) -> Result<ExitStatus> {
    crate::timings::init();
    // clap requires exactly one `--target`.
    let target = *args
        .input
        .target
        .first()
        .ok_or_else(|| Error::Usage("`plan` needs --target rocm, neuron or tpu".into()))?;
    let Prepared { settings, .. } = prepare(&args.input)?;
    crate::timings::phase("rules");
    let progress =
        crate::progress::Progress::start(crate::progress::wanted(args.input.no_progress));
    let mut audit = audit(&settings)?;
    audit.provenance = Some(crate::provenance::Provenance::of(&settings.root));
    progress.finish();
    let plan = crate::plan::Plan::of(&audit, target);
    let text = match args.format {
        crate::plan::PlanFormat::Markdown => crate::plan::markdown::render(&plan),
        crate::plan::PlanFormat::Json => crate::plan::json::render(&plan),
        crate::plan::PlanFormat::Html => crate::plan::html::render(&plan),
    };
    crate::output::emit(args.output.as_deref(), |out| out.write_all(text.as_bytes()))?;
    if let Some(path) = &args.output {
        if !crate::output::is_special_file(path) {
            eprintln!(
                "cuda-audit: wrote {} ({} plan for {}, {})",
                path.display(),
                args.format.as_str(),
                target,
                crate::plan::plural(plan.steps.len(), "step")
            );
        }
    }
    crate::timings::phase("plan");
    Ok(ExitStatus::Clean)
}
