//! The history as Markdown: one table row per charted commit (oldest first) with each target's
//! score and its change from the row before, then the commits where coupling jumped and the
//! libraries that moved there. Names from the repository (branch, paths, subjects, libraries)
//! go through [`code`], as in the scan's Markdown report.

use super::series::{Move, jumps};
use super::{Series, Window, iso_utc};
use crate::gate::format_delta;
use crate::provenance::{SHORT_COMMIT, utc_date};
use crate::report::markdown::{code, target_name};
use crate::score::format_score;
use std::fmt::Write as _;

/// Libraries named per jump.
pub const MOVED_LIBRARIES: usize = 5;

pub fn render(series: &Series) -> String {
    let mut md = String::new();
    let branch = series
        .branch
        .as_deref()
        .map(|b| format!(" on {}", code(b)))
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "## cuda-audit history: CUDA coupling in {}{branch}\n",
        code(&series.name)
    );
    let _ = writeln!(md, "{}\n", describe(series, code));
    if series.points.is_empty() {
        md.push_str("No commit to chart.\n");
        return md;
    }
    table(&mut md, series);
    jumps_section(&mut md, series);
    md
}

/// What was charted, in one sentence: how many commits, when, which paths, which settings.
pub fn describe(series: &Series, quote: impl Fn(&str) -> String) -> String {
    let n = series.points.len();
    let window = match series.window {
        Window::Commits(asked) => format!("the last {asked} of the first-parent history"),
        Window::Since(secs) => format!("the first-parent history since {}", iso_utc(secs)),
    };
    let every = match series.every {
        1 => String::new(),
        k => format!(", every {k}{} counting from the newest", ordinal(k)),
    };
    let span = match (series.points.first(), series.points.last()) {
        (Some(a), Some(b)) => format!(
            " from {} to {}",
            utc_date(a.commit.time),
            utc_date(b.commit.time)
        ),
        _ => String::new(),
    };
    let paths = if series.paths.is_empty() {
        "the whole repository".to_string()
    } else {
        series
            .paths
            .iter()
            .map(|p| quote(p))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{n} commit{}{span} ({window}{every}) · {paths} · scored with the work tree's current \
         configuration and rules",
        if n == 1 { "" } else { "s" }
    )
}

fn ordinal(k: usize) -> &'static str {
    match (k % 10, k % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// A signed count: `+3`, `−2`, `±0`.
pub fn signed(delta: i64) -> String {
    match delta {
        0 => "±0".into(),
        d if d < 0 => format!("−{}", -d),
        d => format!("+{d}"),
    }
}

fn short(id: &str) -> &str {
    id.get(..SHORT_COMMIT).unwrap_or(id)
}

fn table(md: &mut String, series: &Series) {
    let mut head = String::from("| commit | date |");
    let mut rule = String::from("| --- | --- |");
    for &t in &series.targets {
        let _ = write!(head, " {} | Δ |", target_name(t));
        rule.push_str(" ---: | ---: |");
    }
    let _ = writeln!(md, "{head} findings | Δ |\n{rule} ---: | ---: |");
    for (i, p) in series.points.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| &series.points[j]);
        let _ = write!(
            md,
            "| {} | {} |",
            code(short(&p.commit.id)),
            utc_date(p.commit.time)
        );
        for &t in &series.targets {
            let delta = before.map_or_else(String::new, |b| {
                format_delta(((p.score(t) - b.score(t)) * 10.0).round() / 10.0)
            });
            let _ = write!(md, " {} | {delta} |", format_score(p.score(t)));
        }
        let delta = before.map_or_else(String::new, |b| {
            signed(p.findings as i64 - b.findings as i64)
        });
        let _ = writeln!(md, " {} | {delta} |", p.findings);
    }
    md.push('\n');
}

fn jumps_section(md: &mut String, series: &Series) {
    if series.points.len() < 2 {
        return;
    }
    md.push_str("### Where coupling jumped\n\n");
    let moves = jumps(&series.points);
    if moves.is_empty() {
        md.push_str("Nothing moved between the charted commits.\n");
        return;
    }
    let _ = writeln!(
        md,
        "Score changes of {} points or more (or else the largest moves), and the libraries whose \
         finding counts moved.\n",
        super::series::JUMP
    );
    let targets: String = series
        .targets
        .iter()
        .map(|&t| format!(" {} |", target_name(t)))
        .collect();
    let rule: String = series.targets.iter().map(|_| " ---: |").collect();
    let _ = writeln!(
        md,
        "| commit | date |{targets} libraries that moved | subject |\n| --- | --- |{rule} --- | --- |"
    );
    for m in &moves {
        let p = &series.points[m.index];
        let deltas: String = m
            .deltas
            .iter()
            .map(|(_, d)| format!(" {} |", format_delta(*d)))
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} |{deltas} {} | {} |",
            code(short(&p.commit.id)),
            utc_date(p.commit.time),
            moved_libraries(m, code),
            code(&p.commit.subject)
        );
    }
}

/// `cudart +4, cublas −2, … 3 more` (names through `quote`); `—` when none moved.
pub fn moved_libraries(m: &Move, quote: impl Fn(&str) -> String) -> String {
    if m.libraries.is_empty() {
        return "—".into();
    }
    let mut parts: Vec<String> = m
        .libraries
        .iter()
        .take(MOVED_LIBRARIES)
        .map(|(l, a, b)| format!("{} {}", quote(l), signed(*b as i64 - *a as i64)))
        .collect();
    if m.libraries.len() > MOVED_LIBRARIES {
        parts.push(format!("… {} more", m.libraries.len() - MOVED_LIBRARIES));
    }
    parts.join(", ")
}
