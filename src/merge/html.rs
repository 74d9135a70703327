//! The inventory as one self-contained HTML page, built from the scan report's parts
//! ([`crate::report::html::page`]): the same head and Content-Security-Policy, stylesheet, script
//! (tabs, sortable tables), gauges and stacked bars. Every name from a report goes through
//! [`esc`]; the page is a function of the inventory alone.

use super::inventory::{Inventory, Repository, repositories as count};
use crate::portability::Effort;
use crate::report::html::page::{self, esc, foot, gauge, head, key, legend, plural, stacked_bar};
use crate::report::markdown::target_name;
use crate::score::format_score;
use std::fmt::Write as _;

pub fn render(inv: &Inventory) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let what = format!("CUDA coupling across {}", count(inv.repositories.len()));
    head(&mut h, &format!("cuda-audit: {what}"));
    h.push_str("<body>\n<main>\n<header>\n");
    let _ = writeln!(h, "<h1>{}</h1>", esc(&what));
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} in {} ({} scanned) · <span id=\"targets-line\">{}</span></p>",
        plural(inv.findings, "finding"),
        plural(inv.files_with_findings, "file"),
        plural(inv.files_scanned, "file"),
        inv.targets_line(|n| format!("<code>{}</code>", esc(n)))
    );
    for note in &inv.notes {
        let _ = writeln!(h, "<p class=\"meta note\">{}</p>", esc(note));
    }
    h.push_str("<p class=\"hint\">Per target, the porting effort of every CUDA coupling: <b>none</b> (runs unchanged), \
<b>automatic</b> (a mechanical translation exists), <b>manual</b> (an equivalent exists; a person ports it), \
<b>rewrite</b> (no equivalent). A score is 100 when there is nothing to port and falls as effort points grow.</p>\n</header>\n");
    cards(&mut h, inv);
    repositories(&mut h, inv);
    effort_chart(&mut h, inv);
    blockers(&mut h, inv);
    libraries(&mut h, inv);
    foot(&mut h);
    h
}

/// Per compared target: the organisation's gauge (the score of the summed effort points) and
/// its numbers.
fn cards(h: &mut String, inv: &Inventory) {
    h.push_str("<section id=\"scores\">\n<h2>The organisation</h2>\n");
    h.push_str("<p class=\"hint\">Every repository ported on its own, summed; the gauge is the score of the summed effort points.</p>\n<div class=\"cards\">\n");
    for t in &inv.totals {
        let id = t.target.as_str();
        let _ = write!(h, "<div class=\"card\" id=\"card-{id}\">");
        if let Some(score) = t.score {
            gauge(h, &format!("gauge-{id}"), target_name(t.target), score);
        }
        let _ = writeln!(
            h,
            "<div><h3>{}</h3><div class=\"points\">{} effort points<br>{} decisions · {} edits<br>{} rewrite · {} manual · {} automatic<br>{} of {} need a rewrite</div></div></div>",
            target_name(t.target),
            t.effort_points,
            t.decision_points,
            t.edit_points,
            t.counts[Effort::Rewrite.index()],
            t.counts[Effort::Manual.index()],
            t.counts[Effort::Automatic.index()],
            t.repositories_with_rewrite,
            count(inv.repositories.len())
        );
    }
    h.push_str("</div>\n</section>\n");
}

/// One row per repository: provenance, findings, and per target its score, effort bar and points.
fn repositories(h: &mut String, inv: &Inventory) {
    h.push_str("<section>\n<h2>Repositories</h2>\n");
    h.push_str("<p class=\"hint\">Per target: the repository's score, its findings per effort class, and its effort points. Click a header to sort.</p>\n");
    h.push_str("<div class=\"wide\"><table id=\"repositories\" class=\"sortable\"><thead><tr><th class=\"sortable\">repository</th><th class=\"sortable\">commit</th><th class=\"sortable\">date</th><th class=\"sortable num\">findings</th>");
    for &t in &inv.all_targets {
        let _ = write!(h, "<th class=\"sortable\">{}</th>", target_name(t));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in &inv.repositories {
        repository_row(h, inv, r);
    }
    h.push_str("</tbody></table></div>\n");
    legend(h);
    h.push_str("</section>\n");
}

fn repository_row(h: &mut String, inv: &Inventory, r: &Repository) {
    let _ = write!(
        h,
        "<tr class=\"repository\"><td><code>{}</code><span class=\"repl\">{}</span></td><td><code>{}</code></td><td>{}</td><td class=\"num\" data-sort=\"{}\">{}</td>",
        esc(&r.name),
        esc(&r.file),
        esc(r.short_commit().unwrap_or("—")),
        esc(r.date.as_deref().unwrap_or("—")),
        key(r.summary.findings as u64),
        r.summary.findings
    );
    for t in &inv.all_targets {
        match r.summary.targets.get(t).filter(|_| r.targets.contains(t)) {
            Some(s) => {
                let counts = s.counts.array();
                // Sorted by score: a score has one decimal, so ten times it is exact.
                let _ = write!(
                    h,
                    "<td data-sort=\"{}\"><b>{}</b> <span class=\"mono\">{} pts</span><br><svg class=\"mini\" width=\"120\" height=\"10\" viewBox=\"0 0 120 10\">",
                    key((s.score * 10.0).round() as u64),
                    format_score(s.score),
                    s.effort_points
                );
                stacked_bar(h, &counts, counts.iter().sum(), 0.0, 0.0, 120.0, 10.0);
                h.push_str("</svg></td>");
            }
            None => h.push_str("<td data-sort=\"\" class=\"hint\">not in this report</td>"),
        }
    }
    h.push_str("</tr>\n");
}

/// One panel per compared target: each repository's findings by effort class, costliest first.
fn effort_chart(h: &mut String, inv: &Inventory) {
    const ROW: f64 = 24.0;
    const LABEL: f64 = 220.0;
    const BAR: f64 = 600.0;
    h.push_str("<section>\n<h2>Where the effort is</h2>\n");
    h.push_str("<p class=\"hint\">Repositories costliest first. Bars: findings per effort class, as wide as the repository's share of the largest; right: effort points and score.</p>\n");
    h.push_str("<div class=\"tabs\" id=\"effort-tabs\">");
    for (i, t) in inv.targets.iter().enumerate() {
        let _ = write!(
            h,
            "<button type=\"button\" data-tab=\"effort-{}\"{}>{}</button>",
            t.as_str(),
            if i == 0 { " class=\"active\"" } else { "" },
            target_name(*t)
        );
    }
    h.push_str("</div>\n");
    let most = inv
        .repositories
        .iter()
        .map(|r| r.summary.findings)
        .max()
        .unwrap_or(0);
    for (i, &t) in inv.targets.iter().enumerate() {
        let mut rows: Vec<(&Repository, &crate::report_file::TargetSummary)> = inv
            .repositories
            .iter()
            .filter_map(|r| Some((r, r.summary.targets.get(&t)?)))
            .collect();
        // Stable: ties stay in name order.
        rows.sort_by_key(|(_, s)| std::cmp::Reverse(s.effort_points));
        let height = ROW * rows.len().max(1) as f64 + 6.0;
        let _ = write!(
            h,
            "<div class=\"panel\" id=\"effort-{t}\"{}><svg id=\"chart-effort-{t}\" viewBox=\"0 0 1000 {height:.0}\" width=\"100%\" role=\"img\" aria-label=\"effort by repository for {}\">",
            if i == 0 { "" } else { " hidden" },
            target_name(t)
        );
        for (row, (r, s)) in rows.iter().enumerate() {
            let y = 3.0 + ROW * row as f64;
            let counts = s.counts.array();
            let width = if most == 0 {
                1.0
            } else {
                (BAR * r.summary.findings as f64 / most as f64).max(1.0)
            };
            let _ = write!(
                h,
                "<g class=\"repo\"><title>{}: {} findings</title><text x=\"0\" y=\"{:.1}\">{}</text>",
                esc(&r.name),
                r.summary.findings,
                y + 14.0,
                esc(&short(&r.name))
            );
            stacked_bar(h, &counts, counts.iter().sum(), LABEL, y, width, 18.0);
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{:.1}\" y=\"{:.1}\">{} pts · {}</text></g>",
                LABEL + BAR + 12.0,
                y + 14.0,
                s.effort_points,
                format_score(s.score)
            );
        }
        h.push_str("</svg></div>\n");
    }
    legend(h);
    h.push_str("</section>\n");
}

fn short(name: &str) -> String {
    if name.chars().count() > 30 {
        name.chars().take(29).collect::<String>() + "…"
    } else {
        name.to_string()
    }
}

fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| format!("<code>{}</code>", esc(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn blockers(h: &mut String, inv: &Inventory) {
    page::blockers(
        h,
        "Top blockers of the organisation",
        "<b>rewrite</b> items: no equivalent on the target. Libraries costliest across all repositories first, with their costliest names and the repositories using them.",
        &inv.blockers,
        |lib| page::BlockerLine {
            library: lib.library.clone(),
            facts: format!(
                "{} pts, {}, {} in {}",
                lib.effort_points,
                plural(lib.symbols.len(), "name"),
                plural(lib.occurrences, "use"),
                names(&lib.used_by)
            ),
            shown: lib
                .symbols
                .iter()
                .take(page::BLOCKER_NAMES)
                .map(|s| {
                    let repos = if lib.used_by.len() > 1 {
                        format!(" <span class=\"where\">{}</span>", count(s.used_by.len()))
                    } else {
                        String::new()
                    };
                    format!("<code>{}</code> ×{}{repos}", esc(&s.symbol), s.occurrences)
                })
                .collect(),
            names: lib.symbols.len(),
        },
    );
}

fn libraries(h: &mut String, inv: &Inventory) {
    h.push_str("<section>\n<h2>Libraries</h2>\n");
    h.push_str("<p class=\"hint\">By how many repositories use them. Per target: findings per effort class and the effort points of the library in all repositories. Click a header to sort.</p>\n");
    h.push_str("<div class=\"wide\"><table id=\"libraries\" class=\"sortable\"><thead><tr><th class=\"sortable\">library</th><th class=\"sortable num\">repositories</th><th class=\"sortable num\">findings</th><th class=\"sortable num\">names</th>");
    for &t in &inv.targets {
        let _ = write!(h, "<th class=\"sortable\">{}</th>", target_name(t));
    }
    h.push_str("<th>used by</th></tr></thead>\n<tbody>\n");
    for lib in &inv.libraries {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td>",
            esc(&lib.library),
            key(lib.used_by.len() as u64),
            lib.used_by.len(),
            key(lib.findings as u64),
            lib.findings,
            key(lib.names as u64),
            lib.names
        );
        for (_, counts, points) in &lib.targets {
            let _ = write!(
                h,
                "<td data-sort=\"{}\"><svg class=\"mini\" width=\"120\" height=\"10\" viewBox=\"0 0 120 10\">",
                key(*points)
            );
            stacked_bar(h, counts, lib.findings, 0.0, 0.0, 120.0, 10.0);
            let _ = write!(h, "</svg><br><span class=\"mono\">{points} pts</span></td>");
        }
        let _ = writeln!(h, "<td>{}</td></tr>", names(&lib.used_by));
    }
    h.push_str("</tbody></table></div>\n");
    legend(h);
    h.push_str("</section>\n");
}
