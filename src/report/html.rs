//! The HTML report: one self-contained file (inline CSS, JS and SVG; no network) that a person
//! would rather look at than read: score gauges, per-target effort bars, the directory tree as
//! sorted bars, the blockers, a library table, and a filterable, sortable findings list with
//! source snippets and replacements.
//!
//! Everything from the scanned repository (paths, snippets, names) goes through [`esc`], and the
//! charts are drawn here as SVG rather than by script from embedded data, so there is no JSON in
//! a `<script>` to break out of. A Content-Security-Policy with the hashes of the one style and
//! the one script blocks anything else, should escaping ever be wrong. The page is a pure
//! function of the audit: no clock (the date in the header is the audit's
//! [`Provenance`](crate::provenance::Provenance)), no randomness, fixed orders.
//!
//! Tables are part of the page: a long one makes the page longer (the findings table's header
//! row stays at the top of the window while it scrolls by), and only a table wider than the page
//! scrolls sideways in its own box. No box scrolls vertically inside the page.

pub mod page;

use super::Reporter;
use super::snippet::Window;
use crate::audit::Audit;
use crate::breakdown::{Group, dir_depth, parent_dir};
use crate::finding::Finding;
use crate::portability::{Effort, Target};
use crate::provenance::Provenance;
use crate::report::markdown::target_name;
use crate::score::{TargetScore, format_score};
use crate::summary::Summary;
pub use page::esc;
use page::{gauge, head, key, legend, plural, stacked_bar};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

pub struct HtmlReporter {
    /// `--statistics`: the summary sections without the findings list.
    pub statistics: bool,
}

/// Findings rows in the table; beyond this the page gets slow, and JSON has them all.
const MAX_ROWS: usize = 20_000;
/// Rows in the directory chart and how deep it goes.
const MAX_DIR_ROWS: usize = 40;
const MAX_DIR_DEPTH: usize = 4;
/// Longest snippet shown; longer lines are windowed around the finding.
const MAX_SNIPPET: usize = 200;

impl Reporter for HtmlReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render_with(audit, &Summary::of(audit), self.statistics).as_bytes())
    }
}

/// The whole page.
pub fn render(audit: &Audit, s: &Summary) -> String {
    render_with(audit, s, false)
}

/// The page, with or without the findings list.
fn render_with(audit: &Audit, s: &Summary, statistics: bool) -> String {
    let mut h = String::with_capacity(64 * 1024 + audit.findings.len() * 900);
    let title = audit
        .provenance
        .as_ref()
        .map_or_else(String::new, |p| format!(" for {}", p.name));
    head(&mut h, &format!("cuda-audit: CUDA coupling report{title}"));
    h.push_str("<body>\n<main>\n");
    header(&mut h, s, audit.provenance.as_ref());
    if let Some(gate) = &audit.gate {
        gate_section(&mut h, audit, gate);
    }
    cards(&mut h, s, audit.gate.as_ref());
    effort_chart(&mut h, s);
    directory_chart(&mut h, s);
    blockers(&mut h, s);
    libraries(&mut h, s);
    if !statistics {
        findings(&mut h, audit);
    }
    page::foot(&mut h);
    h
}

fn header(h: &mut String, s: &Summary, source: Option<&Provenance>) {
    h.push_str("<header>\n<h1>CUDA coupling report</h1>\n");
    if let Some(p) = source {
        let _ = writeln!(
            h,
            "<p class=\"source\" id=\"source\">{}</p>",
            p.describe(|s| format!("<code>{}</code>", esc(s)))
        );
    }
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} in {} · {}</p>",
        plural(s.findings, "finding"),
        plural(s.files_with_findings, "file"),
        esc(&s.files_line())
    );
    for line in s.ownership_lines() {
        let _ = writeln!(h, "<p class=\"meta\">{}</p>", esc(&line));
    }
    h.push_str(
        "<p class=\"hint\">Per target, the porting effort of every CUDA coupling: <b>none</b> (runs unchanged), \
<b>automatic</b> (a mechanical translation exists), <b>manual</b> (an equivalent exists; a person ports it), \
<b>rewrite</b> (no equivalent). The score is 100 when there is nothing to port and falls as effort points grow.</p>\n</header>\n",
    );
}

/// One gauge and the numbers behind it per target.
fn cards(h: &mut String, s: &Summary, gate: Option<&crate::gate::GateReport>) {
    let title = if gate.is_some() {
        "Portability score of the whole tree (this change's delta)"
    } else {
        "Portability score"
    };
    let _ = writeln!(
        h,
        "<section id=\"scores\">\n<h2>{title}</h2>\n<div class=\"cards\">"
    );
    for ts in &s.scores {
        let t = ts.target.as_str();
        let delta = gate
            .and_then(|g| g.delta(ts.target, ts.score))
            .map(|d| {
                format!(
                    "<br><span class=\"delta\" id=\"delta-{t}\">this change: {}</span>",
                    crate::gate::format_delta(d)
                )
            })
            .unwrap_or_default();
        let c = ts.cost;
        let _ = write!(h, "<div class=\"card\" id=\"card-{t}\">");
        gauge(h, &format!("gauge-{t}"), target_name(ts.target), ts.score);
        let _ = writeln!(
            h,
            "<div><h3>{name}</h3><div class=\"points\">{points} effort points<br>{decisions} decisions · {edits} edits<br>{rewrite} rewrite · {manual} manual · {automatic} automatic{delta}</div></div></div>",
            name = target_name(ts.target),
            points = ts.points(),
            decisions = c.decision_points,
            edits = c.edit_points,
            rewrite = c.counts[Effort::Rewrite.index()],
            manual = c.counts[Effort::Manual.index()],
            automatic = c.counts[Effort::Automatic.index()],
        );
    }
    h.push_str("</div>\n</section>\n");
}

/// Per target, its findings split by effort class.
fn effort_chart(h: &mut String, s: &Summary) {
    const ROW: f64 = 40.0;
    const LABEL: f64 = 90.0;
    const BAR: f64 = 760.0;
    let height = ROW * s.scores.len() as f64 + 10.0;
    h.push_str("<section>\n<h2>Porting effort per target</h2>\n");
    h.push_str("<p class=\"hint\">Findings per effort class; the figure on the right is the target's effort points.</p>\n");
    let _ = write!(
        h,
        "<svg id=\"chart-effort\" viewBox=\"0 0 1000 {height:.0}\" width=\"100%\" role=\"img\" aria-label=\"findings per effort class and target\">"
    );
    for (i, ts) in s.scores.iter().enumerate() {
        let y = 10.0 + ROW * i as f64;
        let _ = write!(
            h,
            "<g id=\"effort-{}\"><text x=\"0\" y=\"{:.1}\">{}</text>",
            ts.target.as_str(),
            y + 19.0,
            target_name(ts.target)
        );
        stacked_bar(h, &ts.cost.counts, s.findings, LABEL, y, BAR, 26.0);
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\">{} pts</text></g>",
            LABEL + BAR + 12.0,
            y + 19.0,
            ts.points()
        );
    }
    h.push_str("</svg>\n");
    legend(h);
    h.push_str("</section>\n");
}

/// The directory tree in depth-first order, children costliest first on `target`, as far as
/// [`MAX_DIR_DEPTH`] and [`MAX_DIR_ROWS`] allow.
fn directory_rows(dirs: &[Group], index: usize) -> Vec<&Group> {
    let points = |g: &Group| g.targets.get(index).map_or(0, TargetScore::points);
    let mut rows = Vec::new();
    let mut stack: Vec<&Group> = dirs.iter().filter(|g| g.key == ".").collect();
    while let Some(g) = stack.pop() {
        if rows.len() >= MAX_DIR_ROWS {
            break;
        }
        rows.push(g);
        if dir_depth(&g.key) >= MAX_DIR_DEPTH {
            continue;
        }
        let mut children: Vec<&Group> = dirs
            .iter()
            .filter(|c| parent_dir(&c.key) == Some(g.key.as_str()))
            .collect();
        // Reversed, so the costliest child is popped first.
        children.sort_by(|a, b| points(a).cmp(&points(b)).then_with(|| b.key.cmp(&a.key)));
        stack.extend(children);
    }
    rows
}

fn short_label(dir: &str) -> String {
    let name = if dir == "." {
        "(root)".to_string()
    } else {
        format!("{}/", dir.rsplit('/').next().unwrap_or(dir))
    };
    if name.chars().count() > 34 {
        name.chars().take(33).collect::<String>() + "…"
    } else {
        name
    }
}

/// One panel per target: the directory tree as indented, sorted, stacked bars.
fn directory_chart(h: &mut String, s: &Summary) {
    const ROW: f64 = 24.0;
    const LABEL: f64 = 280.0;
    const BAR: f64 = 540.0;
    h.push_str("<section>\n<h2>Where the coupling is</h2>\n");
    h.push_str("<p class=\"hint\">Directories (each including its subdirectories), costliest first within their parent. Bars: findings per effort class; right: effort points and the score of that directory alone.</p>\n");
    h.push_str("<div class=\"tabs\" id=\"directory-tabs\">");
    for (i, ts) in s.scores.iter().enumerate() {
        let _ = write!(
            h,
            "<button type=\"button\" data-tab=\"directories-{}\"{}>{}</button>",
            ts.target.as_str(),
            if i == 0 { " class=\"active\"" } else { "" },
            target_name(ts.target)
        );
    }
    h.push_str("</div>\n<div id=\"chart-directories\">\n");
    let total = s
        .breakdown
        .directories
        .iter()
        .find(|g| g.key == ".")
        .map_or(0, |g| g.findings);
    for (i, ts) in s.scores.iter().enumerate() {
        let t = ts.target.as_str();
        let rows = directory_rows(&s.breakdown.directories, i);
        let height = ROW * rows.len().max(1) as f64 + 6.0;
        let _ = write!(
            h,
            "<div class=\"panel\" id=\"directories-{t}\"{}><svg id=\"chart-directories-{t}\" viewBox=\"0 0 1000 {height:.0}\" width=\"100%\" role=\"img\" aria-label=\"coupling by directory for {}\">",
            if i == 0 { "" } else { " hidden" },
            target_name(ts.target)
        );
        if rows.is_empty() {
            h.push_str("<text x=\"0\" y=\"18\" class=\"small\">No CUDA coupling found.</text>");
        }
        for (r, g) in rows.iter().enumerate() {
            let y = 3.0 + ROW * r as f64;
            let indent = 14.0 * dir_depth(&g.key) as f64;
            let Some(gs) = g.targets.get(i) else { continue };
            let _ = write!(
                h,
                "<g class=\"dir\"><title>{}: {} findings in {} files</title><text x=\"{indent:.1}\" y=\"{:.1}\">{}</text>",
                esc(&g.key),
                g.findings,
                g.files,
                y + 14.0,
                esc(&short_label(&g.key))
            );
            let width = if total == 0 {
                0.0
            } else {
                BAR * g.findings as f64 / total as f64
            };
            stacked_bar(
                h,
                &gs.cost.counts,
                g.findings,
                LABEL,
                y,
                width.max(1.0),
                18.0,
            );
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{:.1}\" y=\"{:.1}\">{} pts · {}</text></g>",
                LABEL + BAR + 12.0,
                y + 14.0,
                gs.points(),
                format_score(gs.score)
            );
        }
        h.push_str("</svg></div>\n");
    }
    h.push_str("</div>\n");
    legend(h);
    h.push_str("</section>\n");
}

fn blockers(h: &mut String, s: &Summary) {
    page::blockers(
        h,
        "Top blockers",
        "<b>rewrite</b> items: no equivalent on the target. Libraries costliest first, with their costliest names and where they are.",
        &s.blockers,
        |lib| page::BlockerLine {
            library: lib.library.clone(),
            facts: format!(
                "{} pts, {}, {}, {}",
                lib.points,
                plural(lib.symbols.len(), "name"),
                plural(lib.occurrences, "use"),
                plural(lib.files, "file")
            ),
            shown: lib
                .symbols
                .iter()
                .take(page::BLOCKER_NAMES)
                .map(|b| {
                    let at = b
                        .locations
                        .first()
                        .map(|(p, l)| format!("{p}:{l}"))
                        .unwrap_or_default();
                    format!(
                        "<code>{}</code> ×{} <span class=\"where\">{}</span>",
                        esc(&b.symbol),
                        b.occurrences,
                        esc(&at)
                    )
                })
                .collect(),
            names: lib.symbols.len(),
        },
    );
}

fn libraries(h: &mut String, s: &Summary) {
    h.push_str("<section>\n<h2>Libraries</h2>\n");
    h.push_str("<p class=\"hint\">Per target: distinct names per effort class, then the effort points (and score) of the library alone. Click a header to sort.</p>\n");
    h.push_str("<div class=\"wide\"><table id=\"libraries\" class=\"sortable\"><thead><tr><th class=\"sortable\">library</th><th class=\"sortable num\">names</th><th class=\"sortable num\">uses</th><th class=\"sortable num\">files</th>");
    for ts in &s.scores {
        let _ = write!(h, "<th class=\"sortable\">{}</th>", target_name(ts.target));
    }
    h.push_str("<th>most used</th></tr></thead>\n<tbody>\n");
    for lib in &s.libraries {
        let Some(group) = s.breakdown.libraries.iter().find(|g| g.key == lib.library) else {
            continue;
        };
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td>",
            esc(&lib.library),
            key(lib.symbols.len() as u64),
            lib.symbols.len(),
            key(lib.occurrences as u64),
            lib.occurrences,
            key(lib.files as u64),
            lib.files
        );
        for ((_, distinct), gs) in lib.targets.iter().zip(&group.targets) {
            let _ = write!(
                h,
                "<td data-sort=\"{}\"><svg class=\"mini\" width=\"120\" height=\"10\" viewBox=\"0 0 120 10\">",
                key(gs.points())
            );
            stacked_bar(h, distinct, lib.symbols.len(), 0.0, 0.0, 120.0, 10.0);
            let _ = write!(
                h,
                "</svg><br><span class=\"mono\">{} pts ({})</span></td>",
                gs.points(),
                format_score(gs.score)
            );
        }
        let top: Vec<String> = lib
            .symbols
            .iter()
            .take(5)
            .map(|u| format!("<code>{}</code> ×{}", esc(&u.symbol), u.occurrences))
            .collect();
        let _ = writeln!(h, "<td>{}</td></tr>", top.join(", "));
    }
    h.push_str("</tbody></table></div>\n");
    legend(h);
    h.push_str("</section>\n");
}

/// The part of a finding's source line that is shown ([`super::snippet`]).
fn window(f: &Finding) -> Window {
    let start = f.start.column.saturating_sub(1);
    let end = if f.end.line == f.start.line {
        f.end.column.saturating_sub(1)
    } else {
        usize::MAX
    };
    Window::around(&f.snippet, start, end, MAX_SNIPPET, 60)
}

/// The shown snippet as HTML, the finding's span marked.
fn snippet(w: &Window) -> String {
    format!(
        "{}{}<mark>{}</mark>{}{}",
        if w.cut_start { "…" } else { "" },
        esc(&w.before),
        esc(&w.span),
        esc(&w.after),
        if w.cut_end { "…" } else { "" }
    )
}

/// The gate's verdict and the new findings, before everything else.
fn gate_section(h: &mut String, audit: &Audit, gate: &crate::gate::GateReport) {
    let class = match gate.verdict {
        crate::gate::Verdict::Failed => "gate-failed",
        crate::gate::Verdict::Passed | crate::gate::Verdict::Recorded => "gate-passed",
    };
    let _ = writeln!(
        h,
        "<section id=\"gate\" class=\"{class}\">\n<h2>Gate</h2>\n<p id=\"verdict\"><b>{}</b></p>",
        esc(&gate.headline())
    );
    let new: Vec<&Finding> = audit
        .findings
        .iter()
        .filter(|f| f.baseline_state == Some(crate::finding::BaselineState::New))
        .collect();
    if !new.is_empty() {
        let targets = &audit.targets;
        let _ = writeln!(h, "<h3>New findings ({})</h3>", new.len());
        findings_table_head(h, "new-findings", false, targets);
        for f in new.iter().take(MAX_ROWS) {
            finding_row(h, f, targets);
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

fn findings(h: &mut String, audit: &Audit) {
    let targets = &audit.targets;
    h.push_str("<section>\n<h2>Findings</h2>\n<div class=\"filters\">");
    h.push_str("<input id=\"filter-text\" type=\"search\" placeholder=\"Filter by path, name, library or source…\" aria-label=\"filter\">");
    let categories: BTreeSet<&str> = audit.findings.iter().map(|f| f.category.as_str()).collect();
    let libraries: BTreeSet<&str> = audit.findings.iter().map(|f| f.library.as_str()).collect();
    select(h, "filter-category", "all categories", categories);
    select(h, "filter-library", "all libraries", libraries);
    h.push_str("<select id=\"filter-target\" aria-label=\"target\">");
    for t in targets {
        let _ = write!(
            h,
            "<option value=\"{}\">{}</option>",
            t.as_str(),
            target_name(*t)
        );
    }
    h.push_str("</select><select id=\"filter-effort\" aria-label=\"effort\"><option value=\"\">any effort</option>");
    for e in Effort::ALL {
        let _ = write!(h, "<option value=\"{e}\">{e}</option>");
    }
    h.push_str("</select>");
    let rows = audit.findings.len().min(MAX_ROWS);
    let _ = writeln!(
        h,
        "<span class=\"hint\"><span id=\"filter-count\">{rows}</span> of {rows} shown</span></div>"
    );
    if audit.findings.len() > MAX_ROWS {
        let _ = writeln!(
            h,
            "<p class=\"hint\">The first {MAX_ROWS} of {} findings are listed; <code>--format json</code> has them all.</p>",
            audit.findings.len()
        );
    }
    // Fixed column widths (classes, as the CSP allows no style attributes): snippets scroll
    // inside their cell instead of pushing the effort columns off the page, so the table is never
    // wider than the page and needs no scrolling box of its own: it flows with the page, its
    // header row sticking to the top of the window.
    findings_table_head(h, "findings", true, targets);
    for f in audit.findings.iter().take(MAX_ROWS) {
        finding_row(h, f, targets);
    }
    h.push_str("</tbody></table>\n</section>\n");
}

/// The opening of a findings table up to its body: fixed column widths (classes, as the CSP
/// allows no style attributes) and a header row, sortable for the full list.
fn findings_table_head(h: &mut String, id: &str, sortable: bool, targets: &[Target]) {
    let (class, th) = if sortable {
        ("sortable fixed", "<th class=\"sortable\">")
    } else {
        ("fixed", "<th>")
    };
    let _ = write!(
        h,
        "<table id=\"{id}\" class=\"{class}\"><colgroup><col class=\"c-loc\"><col class=\"c-cat\"><col class=\"c-lib\"><col class=\"c-name\">{}</colgroup>",
        "<col class=\"c-target c-target-{}\">"
            .replace("{}", &targets.len().clamp(1, 3).to_string())
            .repeat(targets.len())
    );
    h.push_str("<thead><tr>");
    for name in ["location and source", "category", "library", "name"] {
        let _ = write!(h, "{th}{name}</th>");
    }
    for t in targets {
        let _ = write!(h, "{th}{}</th>", target_name(*t));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
}

fn select<'a>(h: &mut String, id: &str, all: &str, values: impl IntoIterator<Item = &'a str>) {
    let _ = write!(
        h,
        "<select id=\"{id}\" aria-label=\"{all}\"><option value=\"\">{all}</option>"
    );
    for v in values {
        let v = esc(v);
        let _ = write!(h, "<option value=\"{v}\">{v}</option>");
    }
    h.push_str("</select>");
}

fn finding_row(h: &mut String, f: &Finding, targets: &[Target]) {
    let shown = window(f);
    let search = format!(
        "{} {} {} {}{}{}",
        f.path, f.symbol, f.library, shown.before, shown.span, shown.after
    );
    let _ = write!(
        h,
        "<tr class=\"finding\" data-category=\"{}\" data-library=\"{}\" data-search=\"{}\"",
        f.category.as_str(),
        esc(&f.library),
        esc(&search)
    );
    for &t in targets {
        let _ = write!(h, " data-effort-{}=\"{}\"", t.as_str(), f.effort(t));
    }
    let detail = f
        .detail
        .as_ref()
        .map(|d| format!("<span class=\"repl\">{}</span>", esc(d)))
        .unwrap_or_default();
    let _ = write!(
        h,
        "><td class=\"loc\" data-sort=\"{}\"><span class=\"mono\">{}:{}</span><code class=\"snip\">{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code>{}</td>",
        esc(&format!("{}\u{1}{:010}", f.path, f.start.line)),
        esc(&f.path),
        f.start.line,
        snippet(&shown),
        f.category.as_str(),
        esc(&f.library),
        esc(&f.symbol),
        detail
    );
    for &t in targets {
        let port = f.portability.get(t);
        let replacement = port
            .replacement
            .as_ref()
            .map(|r| format!("<span class=\"repl\">→ {}</span>", esc(r)))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<td class=\"target\" data-sort=\"{}\"><span class=\"effort {e}\">{e}</span>{replacement}</td>",
            port.effort.index(),
            e = port.effort
        );
    }
    h.push_str("</tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_windowed_around_the_span() {
        let mut f = crate::finding::tests_support::finding("a.cu", 1);
        f.snippet = format!("{}cudaMalloc(p, n);{}", "x".repeat(5000), "y".repeat(5000));
        f.start.column = 5001;
        f.end.column = 5011;
        let w = window(&f);
        assert_eq!(w.span, "cudaMalloc");
        assert!(w.cut_start && w.cut_end);
        assert!(w.before.len() + w.span.len() + w.after.len() <= MAX_SNIPPET);
    }
}
