//! The terminal report: one miette-style diagnostic per finding (location, the source line with
//! the span underlined, the per-target effort and replacement), then a summary.

use super::Reporter;
use crate::audit::Audit;
use crate::finding::Finding;
use crate::portability::{Effort, Target};
use crate::rule::{Category, Level};
use crate::score::format_score;
use crate::summary::Summary;
use std::io::{self, Write};

pub struct TextReporter {
    pub options: super::Options,
}

/// Snippets longer than this are shown as a window around the finding.
const MAX_SNIPPET: usize = 120;

struct Paint {
    on: bool,
}

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
    fn cyan(&self, t: &str) -> String {
        self.paint("36", t)
    }
    fn level(&self, level: Level) -> String {
        match level {
            Level::Error => self.paint("1;31", "error"),
            Level::Warning => self.paint("1;33", "warning"),
            Level::Note => self.paint("1;34", "note"),
        }
    }
    fn effort(&self, effort: Effort) -> String {
        let code = match effort {
            Effort::None => "32",
            Effort::Automatic => "36",
            Effort::Manual => "33",
            Effort::Rewrite => "31",
        };
        self.paint(code, effort.as_str())
    }
}

impl Reporter for TextReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        let o = &self.options;
        let p = Paint { on: o.color };
        if let Some(gate) = &audit.gate {
            return write_gated(&p, o, audit, gate, out);
        }
        if o.quiet {
            return self.write_findings(audit, out);
        }
        // The summary is computed on another thread while the findings are written.
        std::thread::scope(|scope| {
            let summary = scope.spawn(|| Summary::of(audit));
            if !o.statistics {
                self.write_findings(audit, out)?;
            }
            crate::timings::phase("findings written");
            let summary = summary
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            write_summary(&p, audit, &summary, out)
        })
    }
}

impl TextReporter {
    /// The diagnostics of the listed findings (with a gate, the new ones unless `show_known`).
    pub fn write_findings(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        let p = Paint {
            on: self.options.color,
        };
        for f in &audit.findings {
            if crate::gate::listed(audit.gate.as_ref(), f, self.options.show_known) {
                write_finding(&p, f, &audit.targets, out)?;
            }
        }
        Ok(())
    }
}

/// A gated run, verdict first: the verdict, the new findings, what is not listed, the whole
/// tree's scores with the change's delta and the stale entries, and the verdict again (the last
/// line a CI log shows). `--statistics` puts the full summary in the middle instead.
fn write_gated(
    p: &Paint,
    o: &super::Options,
    audit: &Audit,
    gate: &crate::gate::GateReport,
    out: &mut dyn Write,
) -> io::Result<()> {
    let verdict = paint_verdict(p, gate);
    if !o.quiet {
        writeln!(out, "{verdict}")?;
        writeln!(out)?;
    }
    if !o.statistics {
        TextReporter { options: *o }.write_findings(audit, out)?;
    }
    if o.quiet {
        return writeln!(out, "{verdict}");
    }
    let summary = Summary::of(audit);
    if o.statistics {
        write_summary(p, audit, &summary, out)?;
    } else {
        if gate.known > 0 && !o.show_known {
            writeln!(
                out,
                "{} known finding{} not listed (--show-known lists them)",
                gate.known,
                if gate.known == 1 { "" } else { "s" }
            )?;
        }
        let scores: Vec<String> = summary
            .scores
            .iter()
            .map(|ts| {
                let delta = gate
                    .delta(ts.target, ts.score)
                    .map(|d| format!(" ({})", crate::gate::format_delta(d)))
                    .unwrap_or_default();
                format!("{} {}{delta}", ts.target, format_score(ts.score))
            })
            .collect();
        writeln!(
            out,
            "{} {}",
            p.bold("scores of the whole tree (this change):"),
            scores.join(" · ")
        )?;
    }
    const LISTED: usize = 20;
    for e in gate.stale.iter().take(LISTED) {
        writeln!(
            out,
            "{} {} {} `{}` no longer found",
            p.dim("stale:"),
            e.path,
            e.rule,
            e.symbol
        )?;
    }
    if gate.stale.len() > LISTED {
        writeln!(
            out,
            "{} … and {} more (see --format json); --update-baseline drops them",
            p.dim("stale:"),
            gate.stale.len() - LISTED
        )?;
    }
    writeln!(out, "{verdict}")
}

fn paint_verdict(p: &Paint, gate: &crate::gate::GateReport) -> String {
    use crate::gate::Verdict;
    let line = gate.headline();
    let (head, rest) = line.split_once(':').unwrap_or((&line, ""));
    let head = match gate.verdict {
        Verdict::Failed => p.paint("1;31", head),
        Verdict::Passed | Verdict::Recorded => p.paint("1;32", head),
    };
    format!("{head}:{rest}")
}

fn write_finding(
    p: &Paint,
    f: &Finding,
    targets: &[Target],
    out: &mut dyn Write,
) -> io::Result<()> {
    let detail = f
        .detail
        .as_ref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let new = if f.baseline_state == Some(crate::finding::BaselineState::New) {
        "[new] "
    } else {
        ""
    };
    writeln!(
        out,
        "{}{} {new}{}{}",
        p.level(f.level),
        p.bold(&format!("[{}]", f.rule_id)),
        f.message,
        detail
    )?;
    let gutter = f.start.line.to_string().len();
    let pad = " ".repeat(gutter);
    writeln!(
        out,
        "{pad} {} {}",
        p.cyan("╭─"),
        format_args!("[{}:{}:{}]", f.path, f.start.line, f.start.column)
    )?;
    let (shown, caret_at, caret_len) = window(&f.snippet, f.start.column, span_len(f));
    writeln!(
        out,
        "{} {} {}",
        p.cyan(&f.start.line.to_string()),
        p.cyan("│"),
        shown
    )?;
    let efforts: Vec<String> = targets
        .iter()
        .map(|&t| {
            let port = f.portability.get(t);
            let mut s = format!("{t}: {}", p.effort(port.effort));
            if let Some(r) = &port.replacement {
                s.push_str(&format!(" → {r}"));
            }
            s
        })
        .collect();
    writeln!(
        out,
        "{pad} {} {}{} {}",
        p.cyan("·"),
        " ".repeat(caret_at),
        p.paint("35", &"━".repeat(caret_len.max(1))),
        efforts.join(&p.dim(" · "))
    )?;
    let notes: Vec<String> = targets
        .iter()
        .filter_map(|&t| {
            f.portability
                .get(t)
                .note
                .as_ref()
                .map(|n| format!("{t}: {n}"))
        })
        .collect();
    if !notes.is_empty() {
        writeln!(
            out,
            "{pad} {} {}",
            p.cyan("╰─"),
            p.dim(&format!("note: {}", notes.join("; ")))
        )?;
    }
    writeln!(out)
}

fn span_len(f: &Finding) -> usize {
    if f.end.line == f.start.line {
        f.end.column.saturating_sub(f.start.column)
    } else {
        f.symbol.chars().count()
    }
}

/// The line as shown (tabs expanded, long lines windowed: [`super::snippet`]) and where the
/// underline goes, in display columns.
fn window(line: &str, column: usize, len: usize) -> (String, usize, usize) {
    let start = column.saturating_sub(1).min(line.chars().count());
    let w = super::snippet::Window::around(line, start, start + len, MAX_SNIPPET, 40);
    let lead = if w.cut_start { "…" } else { "" };
    let caret_at = lead.chars().count() + w.before.chars().count();
    let shown = format!(
        "{lead}{}{}{}{}",
        w.before,
        w.span,
        w.after,
        if w.cut_end { "…" } else { "" }
    );
    let len = len.min(w.to.saturating_sub(start).max(1));
    (shown, caret_at, len)
}

fn write_summary(p: &Paint, audit: &Audit, s: &Summary, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {} finding{} in {} file{}",
        p.bold("Summary:"),
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.files_with_findings,
        if s.files_with_findings == 1 { "" } else { "s" }
    )?;
    writeln!(out, "  {}", s.files_line())?;
    for line in s.ownership_lines() {
        writeln!(out, "  {line}")?;
    }
    if s.suppressed > 0 {
        writeln!(
            out,
            "  {} suppressed by `cuda-audit: ignore` comments",
            s.suppressed
        )?;
    }
    write_existing_ports(p, audit, out)?;
    if s.findings > 0 {
        let mut cats: Vec<(&Category, &usize)> = s.by_category.iter().collect();
        cats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let cats: Vec<String> = cats.iter().map(|(c, n)| format!("{c} {n}")).collect();
        writeln!(out, "  {} {}", p.bold("by category:"), cats.join(" · "))?;
        let mut libs: Vec<(&String, &usize)> = s.by_library.iter().collect();
        libs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let libs: Vec<String> = libs.iter().map(|(l, n)| format!("{l} {n}")).collect();
        writeln!(out, "  {} {}", p.bold("by library: "), libs.join(" · "))?;
        write_scores(p, s, out)?;
        write_blockers(p, s, out)?;
    }
    if !s.libraries.is_empty() {
        writeln!(out, "  {}", p.bold("API surface by library  (distinct symbols per effort: none/automatic/manual/rewrite)"))?;
        let width = s
            .libraries
            .iter()
            .map(|l| l.library.len())
            .max()
            .unwrap_or(0);
        for lib in &s.libraries {
            let per_target: Vec<String> = lib
                .targets
                .iter()
                .map(|(t, c)| format!("{t} {}/{}/{}/{}", c[0], c[1], c[2], c[3]))
                .collect();
            writeln!(
                out,
                "    {:<width$}  {:>5} symbols {:>7} uses {:>5} files   {}",
                lib.library,
                lib.symbols.len(),
                lib.occurrences,
                lib.files,
                per_target.join("  ")
            )?;
        }
    }
    const LISTED: usize = 20;
    for (title, notes) in [
        ("skipped", &audit.files.skipped),
        ("warning", &audit.files.warnings),
    ] {
        for n in notes.iter().take(LISTED) {
            writeln!(
                out,
                "  {} {} ({}): {}",
                p.dim(&format!("{title}:")),
                n.path,
                n.reason,
                n.message
            )?;
        }
        if notes.len() > LISTED {
            writeln!(
                out,
                "  {} … and {} more (see --format json)",
                p.dim(&format!("{title}:")),
                notes.len() - LISTED
            )?;
        }
    }
    Ok(())
}

/// Findings existing layers (HIP shims, ROCm branches) already cover, and the shims' gaps.
fn write_existing_ports(p: &Paint, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let r = &audit.existing_ports;
    if r.covered.is_empty() && r.shim_files.is_empty() {
        return Ok(());
    }
    let covered: Vec<String> = r
        .covered
        .iter()
        .map(|(layer, n)| format!("{n} by {}", layer.as_str()))
        .collect();
    writeln!(
        out,
        "  {} rocm: {} findings already ported ({}); --ignore-existing-ports shows the raw coupling",
        p.bold("existing ports:"),
        r.covered.values().sum::<usize>(),
        if covered.is_empty() {
            "none".to_string()
        } else {
            covered.join(", ")
        }
    )?;
    // "The project builds this for ROCm" (a hipifying build), apart from "the source has a ROCm
    // path" (shims, guarded branches).
    for b in &r.rocm_builds {
        writeln!(
            out,
            "    ROCm build {} at {} compiles {} file{} (ROCm: {})",
            b.kind,
            b.at,
            b.files,
            if b.files == 1 { "" } else { "s" },
            b.rocm_evidence
        )?;
    }
    for s in &r.shim_files {
        let selected = s
            .selected_by
            .as_ref()
            .map(|x| format!(", selected by {x}"))
            .unwrap_or_default();
        writeln!(out, "    shim {} ({} names{selected})", s.path, s.entries)?;
    }
    if !r.shim_gaps.is_empty() {
        let gaps: Vec<String> = r
            .shim_gaps
            .iter()
            .take(12)
            .map(|(s, n)| format!("{s} ×{n}"))
            .collect();
        let more = if r.shim_gaps.len() > 12 {
            format!(", … {} more", r.shim_gaps.len() - 12)
        } else {
            String::new()
        };
        writeln!(
            out,
            "    shim gaps ({} names the shims do not map): {}{more}",
            r.shim_gaps.len(),
            gaps.join(", ")
        )?;
    }
    Ok(())
}

/// The per-target effort table with effort points and the 0–100 portability score.
fn write_scores(p: &Paint, s: &Summary, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "  {}",
        p.bold("porting effort  (findings per class; effort points and 0–100 score: cuda-audit explain --scoring)")
    )?;
    writeln!(
        out,
        "    {:<8}{:>10}{:>11}{:>9}{:>9}{:>10}{:>8}",
        "target", "none", "automatic", "manual", "rewrite", "points", "score"
    )?;
    for ts in &s.scores {
        let c = ts.cost.counts;
        writeln!(
            out,
            "    {:<8}{:>10}{:>11}{:>9}{:>9}{:>10}{:>8}",
            ts.target.as_str(),
            c[0],
            c[1],
            c[2],
            c[3],
            ts.points(),
            format_score(ts.score)
        )?;
    }
    Ok(())
}

/// The costliest `rewrite` libraries per target, their costliest names, and where the first is.
fn write_blockers(p: &Paint, s: &Summary, out: &mut dyn Write) -> io::Result<()> {
    const LIBRARIES: usize = 5;
    const SYMBOLS: usize = 3;
    if s.blockers.iter().all(|(_, b)| b.is_empty()) {
        return Ok(());
    }
    writeln!(
        out,
        "  {}",
        p.bold("top blockers  (rewrite: no equivalent on the target; costliest first)")
    )?;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let width = s
        .blockers
        .iter()
        .flat_map(|(_, libs)| libs.iter().take(LIBRARIES))
        .map(|l| l.library.len())
        .max()
        .unwrap_or(0);
    for (t, libraries) in &s.blockers {
        if libraries.is_empty() {
            writeln!(out, "    {:<7} none", t.as_str())?;
            continue;
        }
        for (i, lib) in libraries.iter().take(LIBRARIES).enumerate() {
            let label = if i == 0 { t.as_str() } else { "" };
            let mut names: Vec<String> = lib
                .symbols
                .iter()
                .take(SYMBOLS)
                .map(|b| format!("{} ×{}", b.symbol, b.occurrences))
                .collect();
            if lib.symbols.len() > SYMBOLS {
                names.push("…".into());
            }
            let at = lib.symbols[0]
                .locations
                .first()
                .map(|(path, line)| format!("  {path}:{line}"))
                .unwrap_or_default();
            writeln!(
                out,
                "    {label:<7} {:<width$}  {:>7} pts  {}, {}, {}   {}{}",
                lib.library,
                lib.points,
                plural(lib.symbols.len(), "name"),
                plural(lib.occurrences, "use"),
                plural(lib.files, "file"),
                names.join(", "),
                p.dim(&at)
            )?;
        }
        if libraries.len() > LIBRARIES {
            writeln!(
                out,
                "    {:<7} {}",
                "",
                p.dim(&format!(
                    "… and {} more libraries",
                    libraries.len() - LIBRARIES
                ))
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn windows_long_lines_and_expands_tabs() {
        let (shown, at, len) = window("\tcudaMalloc(x);", 2, 10);
        assert_eq!(shown, "    cudaMalloc(x);");
        assert_eq!((at, len), (4, 10));
        let long = format!("{}cudaMalloc{}", "x".repeat(200), "y".repeat(200));
        let (shown, at, _) = window(&long, 201, 10);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(
            &shown.chars().skip(at).take(10).collect::<String>(),
            "cudaMalloc"
        );
    }
}
