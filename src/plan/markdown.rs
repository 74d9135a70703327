//! The plan in Markdown: an overview table, then one numbered section per step (what it is, its
//! numbers, a table of names and replacements, its files, what is already covered), what existing
//! ports cover, and what the plan cannot judge. Lists are capped with a count; `-f json` has
//! everything. Names and paths from the scanned tree go through [`code`], so they cannot break a
//! table or inject markup.

use super::{Plan, Step, StepKind, layers_text, plural};
use crate::portability::Effort;
use crate::report::markdown::{code, escape, target_name};
use crate::score::format_score;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Names listed per step before "… and N more".
const NAMES: usize = 12;
/// Files listed per step.
const FILES: usize = 10;
/// Files a hipify command is written out for; beyond, the JSON plan has it.
const COMMAND_FILES: usize = 20;
/// Example renames per library in the renames step.
const EXAMPLES: usize = 3;

pub fn render(plan: &Plan) -> String {
    let mut md = String::new();
    let name = target_name(plan.target);
    let source = plan
        .provenance
        .as_ref()
        .map_or_else(String::new, |p| format!(" in {}", p.describe(code)));
    let _ = writeln!(md, "## cuda-audit: porting plan for {name}{source}\n");
    let t = &plan.totals;
    if plan.steps.is_empty() {
        let _ = writeln!(
            md,
            "Nothing to port to {name}: no finding needs work ({} run unchanged).\n",
            plural(t.unchanged, "finding")
        );
    } else {
        overview(&mut md, plan);
        for (i, s) in plan.steps.iter().enumerate() {
            step(&mut md, i + 1, s);
        }
    }
    covered(&mut md, plan);
    cannot_judge(&mut md, plan);
    let _ = writeln!(
        md,
        "<sub>cuda-audit {} · points: `cuda-audit explain --scoring` · the plan's rules: docs/plan.md</sub>",
        env!("CARGO_PKG_VERSION")
    );
    md
}

fn overview(md: &mut String, plan: &Plan) {
    let t = &plan.totals;
    let _ = writeln!(
        md,
        "**{}** · {} to port in {} · **{} effort points** (score {}) · {} covered by existing ports, \
not counted · {} run unchanged\n",
        plural(plan.steps.len(), "step"),
        plural(t.findings, "finding"),
        plural(t.files, "file"),
        t.points,
        format_score(plan.score),
        t.covered,
        t.unchanged
    );
    md.push_str("| # | step | effort | findings | files | points | covered |\n");
    md.push_str("| ---: | --- | --- | ---: | ---: | ---: | ---: |\n");
    for (i, s) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            title(s),
            s.effort,
            s.findings,
            s.files.len(),
            s.points,
            s.covered
        );
    }
    md.push('\n');
}

/// The step's title, its library as a code span.
fn title(s: &Step) -> String {
    s.describe(code).0
}

/// "241 findings (200 automatic, 41 manual)".
pub(super) fn counts(s: &Step) -> String {
    let parts: Vec<String> = Effort::ALL
        .iter()
        .rev()
        .filter(|e| s.by_effort[e.index()] > 0)
        .map(|e| format!("{} {e}", s.by_effort[e.index()]))
        .collect();
    let mut out = plural(s.findings, "finding");
    if parts.len() > 1 {
        let _ = write!(out, " ({})", parts.join(", "));
    }
    out
}

fn step(md: &mut String, number: usize, s: &Step) {
    let _ = writeln!(md, "### {number}. {}\n", title(s));
    let _ = writeln!(
        md,
        "**{}** · {} in {} · **{} points**\n",
        s.effort,
        counts(s),
        plural(s.files.len(), "file"),
        s.points
    );
    let _ = writeln!(md, "{}\n", s.describe(code).1);
    if let Some(h) = &s.hipify {
        hipify(md, s, h);
    }
    if s.kind == StepKind::Kernels && s.by_category.len() > 1 {
        let kinds: Vec<String> = s
            .by_category
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect();
        let _ = writeln!(md, "By kind: {}.\n", kinds.join(", "));
    }
    if s.kind == StepKind::Library {
        let targets = super::distinct_replacements(s);
        if !targets.is_empty() {
            let mut shown: Vec<String> = targets
                .iter()
                .take(EXAMPLES + 2)
                .map(|(r, n)| format!("{} ({})", code(r), plural(*n, "use")))
                .collect();
            if targets.len() > EXAMPLES + 2 {
                shown.push(format!("… {} more", targets.len() - EXAMPLES - 2));
            }
            let _ = writeln!(md, "Replacements: {}.\n", shown.join(", "));
        }
    }
    if s.kind == StepKind::Renames {
        renames_table(md, s);
    } else {
        names_table(md, s);
    }
    if !s.files.is_empty() {
        let mut files: Vec<String> = s.files.iter().take(FILES).map(|(p, _)| code(p)).collect();
        if s.files.len() > FILES {
            files.push(format!("… and {} more", s.files.len() - FILES));
        }
        let _ = writeln!(md, "Files ({}): {}\n", s.files.len(), files.join(", "));
    }
    if s.covered > 0 {
        let _ = writeln!(
            md,
            "Already covered: {} ({}), not counted above.\n",
            plural(s.covered, "finding"),
            layers_text(&s.covered_by_layer)
        );
    }
}

fn hipify(md: &mut String, s: &Step, h: &super::Hipify) {
    if !h.files.is_empty() {
        let _ = writeln!(
            md,
            "Run hipify on the {} it reads (`hipify-clang` is more precise where the build has a \
compilation database), then review the diff:\n",
            plural(h.files.len(), "C, C++ or CUDA file")
        );
        if h.files.len() <= COMMAND_FILES {
            let _ = writeln!(md, "```sh\n{}\n```\n", super::Hipify::command(&h.files));
        } else {
            md.push_str(
                "```sh\ncuda-audit plan --target rocm -f json … \\\n  | jq -r '.steps[] | .hipify.files[]?' \\\n  | xargs hipify-perl -inplace -print-stats\n```\n\n",
            );
        }
    }
    if h.sarif_fixes > 0 {
        let _ = writeln!(
            md,
            "{} of these {} carry a SARIF fix: in `cuda-audit -f sarif`, code scanning offers each \
rename as a suggested edit.\n",
            h.sarif_fixes,
            plural(s.findings, "finding")
        );
    }
    if !h.other_files.is_empty() {
        let files: Vec<String> = h.other_files.iter().take(FILES).map(|p| code(p)).collect();
        let more = h.other_files.len().saturating_sub(FILES);
        let _ = writeln!(
            md,
            "hipify does not read {}: rename by hand from the table there: {}{}\n",
            plural(h.other_files.len(), "file"),
            files.join(", "),
            if more > 0 {
                format!(", … and {more} more")
            } else {
                String::new()
            }
        );
    }
}

/// Renames grouped by library: uses, names and a few examples.
fn renames_table(md: &mut String, s: &Step) {
    if s.replacements.is_empty() {
        return;
    }
    let mut libs: BTreeMap<&str, (usize, usize, Vec<String>)> = BTreeMap::new();
    for r in &s.replacements {
        let (uses, names, examples) = libs.entry(&r.library).or_default();
        *uses += r.findings;
        *names += 1;
        if examples.len() < EXAMPLES {
            examples.push(match &r.replacement {
                Some(rep) => format!("{} → {}", code(&r.symbol), code(rep)),
                None => code(&r.symbol),
            });
        }
    }
    let mut libs: Vec<_> = libs.into_iter().collect();
    libs.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
    md.push_str("| library | uses | names | for example |\n| --- | ---: | ---: | --- |\n");
    for (lib, (uses, names, examples)) in libs {
        let _ = writeln!(
            md,
            "| {} | {uses} | {names} | {} |",
            code(lib),
            examples.join(", ")
        );
    }
    md.push('\n');
}

/// Names with their replacement, most used first.
fn names_table(md: &mut String, s: &Step) {
    if s.replacements.is_empty() {
        return;
    }
    let library_column = s.library.is_none();
    if library_column {
        md.push_str(
            "| name | library | uses | effort | replacement |\n| --- | --- | ---: | --- | --- |\n",
        );
    } else {
        md.push_str("| name | uses | effort | replacement |\n| --- | ---: | --- | --- |\n");
    }
    for r in s.replacements.iter().take(NAMES) {
        let library = if library_column {
            format!(" {} |", code(&r.library))
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "| {} |{library} {} | {} | {} |",
            code(&r.symbol),
            r.findings,
            r.effort,
            r.replacement
                .as_deref()
                .map_or_else(|| "no known replacement".to_string(), code)
        );
    }
    if s.replacements.len() > NAMES {
        let _ = writeln!(
            md,
            "\n… and {} (`-f json` lists them all).",
            plural(s.replacements.len() - NAMES, "more name")
        );
    }
    md.push('\n');
}

fn covered(md: &mut String, plan: &Plan) {
    let c = &plan.covered;
    let name = target_name(plan.target);
    md.push_str("### Already covered by existing ports\n\n");
    if c.findings == 0 {
        let _ = writeln!(md, "No existing port to {name} covers any finding.\n");
    } else {
        let _ = writeln!(
            md,
            "{} in {} ({}) already have a {name} path: counted apart from the steps' work.\n",
            plural(c.findings, "finding"),
            plural(c.files, "file"),
            layers_text(&c.by_layer)
        );
        if c.by_layer.contains_key(&crate::finding::Layer::DevicePath) {
            md.push_str(
                "A device path still leaves routing each use through it: those uses stay in the \
steps at `automatic`, as the report counts them.\n\n",
            );
        }
    }
    let mut lines = Vec::new();
    for (path, entries) in &c.shim_files {
        lines.push(format!(
            "HIP shim {} ({})",
            code(path),
            plural(*entries, "name")
        ));
    }
    if c.shim_gaps > 0 {
        lines.push(format!(
            "{} the shims do not map: in the steps above",
            plural(c.shim_gaps, "CUDA name")
        ));
    }
    for b in &c.rocm_builds {
        lines.push(format!("a ROCm build hipifies sources: {}", code(b)));
    }
    if !c.rocm_macros.is_empty() {
        let macros: Vec<String> = c.rocm_macros.iter().map(|m| code(m)).collect();
        lines.push(format!("ROCm build switches: {}", macros.join(", ")));
    }
    if c.hip_files > 0 {
        lines.push(format!(
            "{} of HIP source, already ported",
            plural(c.hip_files, "file")
        ));
    }
    for line in &lines {
        let _ = writeln!(md, "- {line}");
    }
    if !lines.is_empty() {
        md.push('\n');
    }
}

fn cannot_judge(md: &mut String, plan: &Plan) {
    md.push_str("### What this plan cannot judge\n\n");
    for l in &plan.cannot_judge {
        let _ = writeln!(md, "- **{}.** {}", l.title, l.text);
        if l.inline && !l.items.is_empty() {
            let names: Vec<String> = l.items.iter().map(|i| code(i)).collect();
            let _ = writeln!(md, "  {}", names.join(", "));
        } else {
            for item in &l.items {
                let _ = writeln!(md, "  - {}", escape(item));
            }
        }
    }
    md.push('\n');
}
