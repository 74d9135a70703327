//! The plan as one self-contained HTML page in the HTML report's style (its style sheet, script,
//! Content-Security-Policy and helpers, from [`crate::report::html`]): a bar of the points per
//! step, a sortable overview table, one section per step, what existing ports cover, and what
//! the plan cannot judge. Everything from the scanned tree goes through [`esc`].

use super::{Plan, Step, layers_text, plural};
use crate::report::html::page::{STYLE, end, esc, head_styled, key, legend, stacked_bar};
use crate::report::markdown::target_name;
use crate::score::format_score;
use std::fmt::Write as _;

/// Rules the plan adds to the report's style sheet.
const PLAN_STYLE: &str = "
.step h2 .num { display: inline-block; min-width: 26px; padding: 0 7px; margin-right: 6px; border-radius: 13px; background: var(--ink); color: #fff; text-align: center; }
.step h2 .effort { margin-left: 8px; vertical-align: 2px; }
pre.cmd { background: #f4f5f8; border-radius: 6px; padding: 8px 12px; overflow-x: auto; margin: 8px 0; }
ul.files { columns: 2 360px; margin: 6px 0; padding-left: 18px; }
ul.files li { break-inside: avoid; }
details > summary { cursor: pointer; color: var(--muted); margin: 8px 0 0; }
ul.limits li { margin: 0 0 8px; }
ul.limits ul { color: var(--muted); }
";

/// Rows of a step's names table before "… and N more".
const NAMES: usize = 50;
/// Files listed per step.
const FILES: usize = 500;
/// Distinct replacements named in a library step's summary line.
const REPLACEMENTS: usize = 8;
/// Files a hipify command is written out for.
const COMMAND_FILES: usize = 100;

pub fn render(plan: &Plan) -> String {
    let mut h = String::with_capacity(32 * 1024);
    let name = target_name(plan.target);
    let of = plan
        .provenance
        .as_ref()
        .map_or_else(String::new, |p| format!(" for {}", p.name));
    head_styled(
        &mut h,
        &format!("cuda-audit: {name} porting plan{of}"),
        &format!("{STYLE}{PLAN_STYLE}"),
    );
    h.push_str("<body>\n<main>\n");
    header(&mut h, plan);
    if !plan.steps.is_empty() {
        overview(&mut h, plan);
        for (i, s) in plan.steps.iter().enumerate() {
            step(&mut h, i + 1, s);
        }
    }
    covered(&mut h, plan);
    cannot_judge(&mut h, plan);
    let _ = writeln!(
        h,
        "<footer>cuda-audit {} · points: <code>cuda-audit explain --scoring</code> · the plan's rules: docs/plan.md</footer>",
        env!("CARGO_PKG_VERSION")
    );
    end(&mut h);
    h
}

fn header(h: &mut String, plan: &Plan) {
    let name = target_name(plan.target);
    let t = &plan.totals;
    let _ = writeln!(h, "<header>\n<h1>Porting plan for {name}</h1>");
    if let Some(p) = &plan.provenance {
        let _ = writeln!(
            h,
            "<p class=\"source\" id=\"source\">{}</p>",
            p.describe(|s| format!("<code>{}</code>", esc(s)))
        );
    }
    let _ = writeln!(
        h,
        "<p class=\"meta\" id=\"totals\">{} · {} to port in {} · <b>{} effort points</b> (score {}) · {} covered by existing ports, not counted · {} run unchanged</p>",
        plural(plan.steps.len(), "step"),
        plural(t.findings, "finding"),
        plural(t.files, "file"),
        t.points,
        format_score(plan.score),
        t.covered,
        t.unchanged
    );
    h.push_str(
        "<p class=\"hint\">Steps in order: the build system and dependencies; mechanical renames; \
the libraries a person ports; then the rewrites: libraries with no equivalent, and kernels, intrinsics \
and inline PTX last. A step's effort is its dearest finding's; its points are the score's, so they add \
up to the report's.</p>\n</header>\n",
    );
}

/// The points of each step as one bar, then the overview table.
fn overview(h: &mut String, plan: &Plan) {
    const WIDTH: f64 = 1000.0;
    h.push_str("<section id=\"overview\">\n<h2>Steps</h2>\n");
    let total = plan.totals.points.max(1) as f64;
    let _ = write!(
        h,
        "<svg id=\"chart-steps\" viewBox=\"0 0 {WIDTH:.0} 34\" width=\"100%\" role=\"img\" aria-label=\"effort points per step\"><rect class=\"empty\" x=\"0\" y=\"4\" width=\"{WIDTH:.0}\" height=\"26\" rx=\"3\"/>"
    );
    let mut at = 0.0;
    for (i, s) in plan.steps.iter().enumerate() {
        if s.points == 0 {
            continue;
        }
        let w = WIDTH * s.points as f64 / total;
        let _ = write!(
            h,
            "<rect class=\"e-{}\" x=\"{at:.1}\" y=\"4\" width=\"{w:.1}\" height=\"26\"><title>{}. {}: {} points</title></rect>",
            s.effort,
            i + 1,
            esc(&s.title),
            s.points
        );
        if w >= 24.0 {
            let _ = write!(
                h,
                "<text class=\"inbar\" x=\"{:.1}\" y=\"21\" text-anchor=\"middle\">{}</text>",
                at + w / 2.0,
                i + 1
            );
        }
        at += w;
    }
    h.push_str("</svg>\n<p class=\"hint\">Each step's share of the effort points, coloured by its effort.</p>\n");
    legend(h);
    h.push_str("<div class=\"wide\"><table id=\"steps\" class=\"sortable\"><thead><tr><th class=\"sortable num\">#</th><th class=\"sortable\">step</th><th class=\"sortable\">effort</th><th class=\"sortable num\">findings</th><th class=\"sortable num\">files</th><th class=\"sortable num\">points</th><th class=\"sortable num\">covered</th></tr></thead>\n<tbody>\n");
    for (i, s) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td class=\"num\" data-sort=\"{}\">{}</td><td><a href=\"#step-{}\">{}</a></td><td data-sort=\"{}\"><span class=\"effort {e}\">{e}</span></td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td></tr>",
            key(i as u64 + 1),
            i + 1,
            i + 1,
            title(s),
            s.effort.index(),
            key(s.findings as u64),
            s.findings,
            key(s.files.len() as u64),
            s.files.len(),
            key(s.points),
            s.points,
            key(s.covered as u64),
            s.covered,
            e = s.effort
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

/// A step's title as HTML, its library in `<code>`.
fn title(s: &Step) -> String {
    s.describe(|lib| format!("<code>{}</code>", esc(lib))).0
}

fn step(h: &mut String, number: usize, s: &Step) {
    let (_, summary) = s.describe(|lib| format!("<code>{}</code>", esc(lib)));
    let _ = writeln!(
        h,
        "<section class=\"step\" id=\"step-{number}\" data-kind=\"{}\">\n<h2><span class=\"num\">{number}</span>{}<span class=\"effort {e}\">{e}</span></h2>",
        s.kind.as_str(),
        title(s),
        e = s.effort
    );
    let covered = if s.covered > 0 {
        format!(
            " · {} already covered ({}), not counted",
            s.covered,
            esc(&layers_text(&s.covered_by_layer))
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} in {} · <b>{} points</b>{covered}</p>\n<p class=\"hint\">{summary}</p>",
        esc(&super::markdown::counts(s)),
        plural(s.files.len(), "file"),
        s.points
    );
    if s.findings > 0 {
        h.push_str("<svg class=\"mini\" width=\"360\" height=\"12\" viewBox=\"0 0 360 12\">");
        stacked_bar(h, &s.by_effort, s.findings, 0.0, 0.0, 360.0, 12.0);
        h.push_str("</svg>\n");
    }
    if let Some(hip) = &s.hipify {
        hipify(h, s, hip);
    }
    if s.library.is_some() {
        let targets = super::distinct_replacements(s);
        if !targets.is_empty() {
            let mut shown: Vec<String> = targets
                .iter()
                .take(REPLACEMENTS)
                .map(|(r, n)| format!("<code>{}</code> ({})", esc(r), plural(*n, "use")))
                .collect();
            if targets.len() > REPLACEMENTS {
                shown.push(format!("… {} more", targets.len() - REPLACEMENTS));
            }
            let _ = writeln!(h, "<p>Replacements: {}.</p>", shown.join(", "));
        }
    }
    names(h, s);
    files(h, s);
    h.push_str("</section>\n");
}

fn hipify(h: &mut String, s: &Step, hip: &super::Hipify) {
    if !hip.files.is_empty() {
        let _ = writeln!(
            h,
            "<p>Run hipify on the {} it reads (<code>hipify-clang</code> is more precise where the build has a compilation database), then review the diff:</p>",
            plural(hip.files.len(), "C, C++ or CUDA file")
        );
        if hip.files.len() <= COMMAND_FILES {
            let _ = writeln!(
                h,
                "<pre class=\"cmd\"><code>{}</code></pre>",
                esc(&super::Hipify::command(&hip.files))
            );
        } else {
            h.push_str("<pre class=\"cmd\"><code>cuda-audit plan --target rocm -f json … \\\n  | jq -r '.steps[] | .hipify.files[]?' \\\n  | xargs hipify-perl -inplace -print-stats</code></pre>\n");
        }
    }
    if hip.sarif_fixes > 0 {
        let _ = writeln!(
            h,
            "<p class=\"hint\">{} of these {} carry a SARIF fix: in <code>cuda-audit -f sarif</code>, code scanning offers each rename as a suggested edit.</p>",
            hip.sarif_fixes,
            plural(s.findings, "finding")
        );
    }
    if !hip.other_files.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"hint\">hipify does not read {}: rename by hand from the table.</p>",
            plural(hip.other_files.len(), "file")
        );
    }
}

/// The step's names and replacements, most used first.
fn names(h: &mut String, s: &Step) {
    if s.replacements.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<div class=\"wide\"><table class=\"sortable\" id=\"names-{}\"><thead><tr><th class=\"sortable\">name</th><th class=\"sortable\">library</th><th class=\"sortable num\">uses</th><th class=\"sortable\">effort</th><th class=\"sortable\">replacement</th></tr></thead>\n<tbody>\n",
        esc(&step_key(s))
    );
    for r in s.replacements.iter().take(NAMES) {
        let replacement = r.replacement.as_deref().map_or_else(
            || "<span class=\"hint\">no known replacement</span>".to_string(),
            |rep| format!("<code>{}</code>", esc(rep)),
        );
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td class=\"num\" data-sort=\"{}\">{}</td><td data-sort=\"{}\"><span class=\"effort {e}\">{e}</span></td><td>{replacement}</td></tr>",
            esc(&r.symbol),
            esc(&r.library),
            key(r.findings as u64),
            r.findings,
            r.effort.index(),
            e = r.effort
        );
    }
    h.push_str("</tbody></table></div>\n");
    if s.replacements.len() > NAMES {
        let _ = writeln!(
            h,
            "<p class=\"hint\">… and {}; <code>-f json</code> lists them all.</p>",
            plural(s.replacements.len() - NAMES, "more name")
        );
    }
}

/// A key for the step's element ids: its kind, and its library for a library step.
fn step_key(s: &Step) -> String {
    match &s.library {
        Some(lib) => format!("library-{lib}"),
        None => s.kind.as_str().to_string(),
    }
}

fn files(h: &mut String, s: &Step) {
    if s.files.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<details><summary>Files ({})</summary><ul class=\"files\">",
        s.files.len()
    );
    for (path, n) in s.files.iter().take(FILES) {
        let _ = write!(
            h,
            "<li><code>{}</code> <span class=\"hint\">{n}</span></li>",
            esc(path)
        );
    }
    h.push_str("</ul>");
    if s.files.len() > FILES {
        let _ = write!(
            h,
            "<p class=\"hint\">… and {} more; <code>-f json</code> lists them all.</p>",
            s.files.len() - FILES
        );
    }
    h.push_str("</details>\n");
}

fn covered(h: &mut String, plan: &Plan) {
    let c = &plan.covered;
    let name = target_name(plan.target);
    h.push_str("<section id=\"covered\">\n<h2>Already covered by existing ports</h2>\n");
    if c.findings == 0 {
        let _ = writeln!(
            h,
            "<p class=\"hint\">No existing port to {name} covers any finding.</p>"
        );
    } else {
        let _ = writeln!(
            h,
            "<p>{} in {} ({}) already have a {name} path: counted apart from the steps' work.</p>",
            plural(c.findings, "finding"),
            plural(c.files, "file"),
            esc(&layers_text(&c.by_layer))
        );
    }
    let mut items = Vec::new();
    for (path, entries) in &c.shim_files {
        items.push(format!(
            "HIP shim <code>{}</code> ({})",
            esc(path),
            plural(*entries, "name")
        ));
    }
    if c.shim_gaps > 0 {
        items.push(format!(
            "{} the shims do not map: in the steps above",
            plural(c.shim_gaps, "CUDA name")
        ));
    }
    for b in &c.rocm_builds {
        items.push(format!(
            "a ROCm build hipifies sources: <code>{}</code>",
            esc(b)
        ));
    }
    if !c.rocm_macros.is_empty() {
        let macros: Vec<String> = c
            .rocm_macros
            .iter()
            .map(|m| format!("<code>{}</code>", esc(m)))
            .collect();
        items.push(format!("ROCm build switches: {}", macros.join(", ")));
    }
    if c.hip_files > 0 {
        items.push(format!(
            "{} of HIP source, already ported",
            plural(c.hip_files, "file")
        ));
    }
    if !items.is_empty() {
        let _ = writeln!(h, "<ul><li>{}</li></ul>", items.join("</li><li>"));
    }
    h.push_str("</section>\n");
}

fn cannot_judge(h: &mut String, plan: &Plan) {
    h.push_str("<section id=\"cannot-judge\">\n<h2>What this plan cannot judge</h2>\n<ul class=\"limits\">\n");
    for l in &plan.cannot_judge {
        let _ = write!(
            h,
            "<li id=\"limit-{}\"><b>{}.</b> {}",
            l.topic,
            esc(l.title),
            esc(&l.text)
        );
        if l.inline && !l.items.is_empty() {
            let names: Vec<String> = l
                .items
                .iter()
                .map(|i| format!("<code>{}</code>", esc(i)))
                .collect();
            let _ = write!(h, "<br><span class=\"hint\">{}</span>", names.join(", "));
        } else if !l.items.is_empty() {
            let items: Vec<String> = l.items.iter().map(|i| esc(i)).collect();
            let _ = write!(h, "<ul><li>{}</li></ul>", items.join("</li><li>"));
        }
        h.push_str("</li>\n");
    }
    h.push_str("</ul>\n</section>\n");
}
