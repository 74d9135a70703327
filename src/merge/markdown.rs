//! The inventory as Markdown: readable on a terminal, and a GitHub page or job summary. Every name
//! from a report goes through [`code`], as in the scan's Markdown report.

use super::inventory::{Inventory, counts_text, repositories as count};
use crate::portability::Effort;
use crate::report::markdown::{code, target_name};
use crate::score::format_score;
use std::fmt::Write as _;

/// Libraries listed before "… and N more".
const LIBRARIES: usize = 25;
/// Blocking libraries per target, and names per blocking library.
const BLOCKER_LIBRARIES: usize = 5;
const BLOCKER_NAMES: usize = 3;
/// Repositories named in a "used by" cell.
const USED_BY: usize = 6;

pub fn render(inv: &Inventory) -> String {
    let mut md = String::new();
    let n = inv.repositories.len();
    let _ = writeln!(md, "## cuda-audit: CUDA coupling across {}\n", count(n));
    let _ = writeln!(
        md,
        "{} findings in {} files ({} files scanned) · {}.\n",
        inv.findings,
        inv.files_with_findings,
        inv.files_scanned,
        inv.targets_line(code)
    );
    for note in &inv.notes {
        let _ = writeln!(md, "- {}", note.replace('|', "\\|"));
    }
    if !inv.notes.is_empty() {
        md.push('\n');
    }
    totals(&mut md, inv);
    repositories(&mut md, inv);
    libraries(&mut md, inv);
    blockers(&mut md, inv);
    let _ = writeln!(
        md,
        "<sub>cuda-audit {} · merged from {n} JSON report{} · score 0–100, 100 = nothing to port · `cuda-audit explain --scoring`</sub>",
        env!("CARGO_PKG_VERSION"),
        if n == 1 { "" } else { "s" }
    );
    md
}

fn totals(md: &mut String, inv: &Inventory) {
    md.push_str("### Organisation\n\n");
    md.push_str(
        "Every repository ported on its own, summed; the score is that of the summed effort points.\n\n",
    );
    md.push_str("| target | score | effort points | none | automatic | manual | rewrite | repositories needing a rewrite |\n");
    md.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for t in &inv.totals {
        let c = t.counts;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} of {} |",
            target_name(t.target),
            t.score
                .map_or_else(|| "—".to_string(), |s| format!("**{}**", format_score(s))),
            t.effort_points,
            c[Effort::None.index()],
            c[Effort::Automatic.index()],
            c[Effort::Manual.index()],
            c[Effort::Rewrite.index()],
            t.repositories_with_rewrite,
            inv.repositories.len()
        );
    }
    md.push('\n');
}

fn repositories(md: &mut String, inv: &Inventory) {
    md.push_str("### Repositories\n\n");
    md.push_str(
        "Per target: **score** · effort points · findings rewrite/manual/automatic/none.\n\n",
    );
    let names: String = inv
        .all_targets
        .iter()
        .map(|&t| format!(" {} |", target_name(t)))
        .collect();
    let rule: String = inv.all_targets.iter().map(|_| " --- |").collect();
    let _ = writeln!(md, "| repository | commit | date | findings |{names}");
    let _ = writeln!(md, "| --- | --- | --- | ---: |{rule}");
    for r in &inv.repositories {
        let cells: String = inv
            .all_targets
            .iter()
            .map(|t| match r.summary.targets.get(t) {
                Some(s) if r.targets.contains(t) => format!(
                    " **{}** · {} pts · {} |",
                    format_score(s.score),
                    s.effort_points,
                    counts_text(&s.counts.array())
                ),
                _ => " — |".to_string(),
            })
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |{cells}",
            code(&r.name),
            r.short_commit().map_or_else(|| "—".to_string(), code),
            r.date.as_deref().map_or_else(|| "—".to_string(), code),
            r.summary.findings
        );
    }
    md.push('\n');
}

fn used_by(names: &[String]) -> String {
    let mut shown: Vec<String> = names.iter().take(USED_BY).map(|n| code(n)).collect();
    if names.len() > USED_BY {
        shown.push(format!("… {} more", names.len() - USED_BY));
    }
    shown.join(", ")
}

fn libraries(md: &mut String, inv: &Inventory) {
    if inv.libraries.is_empty() {
        return;
    }
    let shown = inv.libraries.len().min(LIBRARIES);
    let _ = writeln!(
        md,
        "### Libraries ({shown} of {}, by repositories using them)\n",
        inv.libraries.len()
    );
    md.push_str("Per target: the effort points of the library in all repositories.\n\n");
    let names: String = inv
        .targets
        .iter()
        .map(|&t| format!(" {} |", target_name(t)))
        .collect();
    let rule: String = inv.targets.iter().map(|_| " ---: |").collect();
    let _ = writeln!(
        md,
        "| library | repositories | findings | names |{names} used by |"
    );
    let _ = writeln!(md, "| --- | ---: | ---: | ---: |{rule} --- |");
    for lib in inv.libraries.iter().take(LIBRARIES) {
        let cells: String = inv
            .targets
            .iter()
            .map(|&t| format!(" {} |", lib.points(t)))
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |{cells} {} |",
            code(&lib.library),
            lib.used_by.len(),
            lib.findings,
            lib.names,
            used_by(&lib.used_by)
        );
    }
    if inv.libraries.len() > LIBRARIES {
        let _ = writeln!(
            md,
            "\n… and {} more (`-f json` lists all).",
            inv.libraries.len() - LIBRARIES
        );
    }
    md.push('\n');
}

fn blockers(md: &mut String, inv: &Inventory) {
    if inv.blockers.iter().all(|(_, b)| b.is_empty()) {
        return;
    }
    md.push_str("### Top blockers of the organisation\n\n");
    md.push_str("`rewrite`: no equivalent on the target. Costliest libraries across all repositories first.\n\n");
    md.push_str("| target | library | points | repositories | uses | costliest names |\n");
    md.push_str("| --- | --- | ---: | --- | ---: | --- |\n");
    for (t, libs) in &inv.blockers {
        for lib in libs.iter().take(BLOCKER_LIBRARIES) {
            let mut names: Vec<String> = lib
                .symbols
                .iter()
                .take(BLOCKER_NAMES)
                .map(|s| {
                    let repos = if lib.used_by.len() > 1 {
                        format!(" ({})", count(s.used_by.len()))
                    } else {
                        String::new()
                    };
                    format!("{} ×{}{repos}", code(&s.symbol), s.occurrences)
                })
                .collect();
            if lib.symbols.len() > BLOCKER_NAMES {
                names.push("…".into());
            }
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                target_name(*t),
                code(&lib.library),
                lib.effort_points,
                used_by(&lib.used_by),
                lib.occurrences,
                names.join(", ")
            );
        }
        if libs.len() > BLOCKER_LIBRARIES {
            let _ = writeln!(
                md,
                "| {} | … and {} more | | | | |",
                target_name(*t),
                libs.len() - BLOCKER_LIBRARIES
            );
        }
    }
    md.push('\n');
}
