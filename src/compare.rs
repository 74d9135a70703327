//! `cuda-audit compare OLD.json NEW.json`: what coupling two JSON reports differ by, and how each
//! target's score moved. For a pull request (the report of the base against the head) or for
//! tracking a port over time.
//!
//! Findings are matched by fingerprint first (it survives code moving), then by rule, path and
//! symbol (a line that was edited around the finding changes the fingerprint but is the same
//! coupling). Scores are recomputed from both reports' findings with the same weights, so the
//! movement reflects the code and never a change of weights or of cuda-audit's version.

use crate::error::{Error, ExitStatus, Result};
use crate::portability::{Effort, Target};
use crate::report::json::SCHEMA_VERSION;
use crate::report::markdown::{code, target_name};
use crate::report_file::{self, FindingsReport};
pub use crate::report_file::{ReportFinding, ReportPort};
use crate::score::{ScoreWeights, Tally, TargetScore, format_score, symbol_ids};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 no coupling added; 1 coupling added; 2 a report cannot be read or \
is not a cuda-audit JSON report."
)]
pub struct CompareArgs {
    /// The earlier report, written by `cuda-audit --format json`.
    pub old: PathBuf,
    /// The later report.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: CompareFormat,
    /// Write the comparison to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Text,
    Markdown,
    Json,
}

/// Runs `cuda-audit compare`. Exit status 1 when coupling was added, 0 otherwise.
pub fn run(args: CompareArgs) -> Result<ExitStatus> {
    let old = load(&args.old)?;
    let new = load(&args.new)?;
    let cmp = compare(&old, &new, &ScoreWeights::default());
    let labels = (
        args.old.display().to_string(),
        args.new.display().to_string(),
    );
    let out = match args.format {
        CompareFormat::Text => text(&cmp, &labels),
        CompareFormat::Markdown => markdown(&cmp, &labels),
        CompareFormat::Json => {
            let mut s = serde_json::to_string_pretty(&to_json(&cmp, &labels))
                .expect("a JSON value serializes");
            s.push('\n');
            s
        }
    };
    crate::output::emit(args.output.as_deref(), |w| w.write_all(out.as_bytes()))?;
    Ok(if cmp.added.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

/// The parts of a JSON report (docs/json-report.md) a comparison needs, read by
/// [`crate::report_file`].
#[derive(Debug)]
pub struct Report {
    pub version: u32,
    pub targets: Vec<Target>,
    pub findings: Vec<ReportFinding>,
}

/// Reads and parses a report; a malformed one is an error pointing at the offending text.
pub fn load(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    parse(&path.display().to_string(), &text)
}

/// Parses a report's text; `name` names it in errors. A report written with `--statistics` has
/// no findings to compare.
pub fn parse(name: &str, text: &str) -> Result<Report> {
    let report: FindingsReport = report_file::parse(name, text, "compare")?;
    let Some(findings) = report.findings else {
        let at = report_file::top_level_key(text, "summary").unwrap_or(0);
        return Err(report_file::data_error(
            name,
            text,
            at..at,
            format!("{name} has no findings: it was written with --statistics"),
            "the summary alone",
            "compare needs the findings: write the report without --statistics".into(),
        ));
    };
    Ok(Report {
        version: report.version,
        targets: report.targets,
        findings,
    })
}

/// One finding present in only one of the two reports.
#[derive(Clone, Debug)]
pub struct Change {
    pub finding: ReportFinding,
}

/// How one target's score moved.
#[derive(Clone, Copy, Debug)]
pub struct ScoreMove {
    pub target: Target,
    pub old: TargetScore,
    pub new: TargetScore,
}

impl ScoreMove {
    pub fn change(&self) -> f64 {
        ((self.new.score - self.old.score) * 10.0).round() / 10.0
    }
    pub fn points_change(&self) -> i128 {
        i128::from(self.new.points()) - i128::from(self.old.points())
    }
}

/// The difference between two reports.
#[derive(Debug)]
pub struct Comparison {
    pub old_findings: usize,
    pub new_findings: usize,
    /// Targets both reports cover, in the usual order.
    pub targets: Vec<Target>,
    /// In the new report only, in report order.
    pub added: Vec<ReportFinding>,
    /// In the old report only, in report order.
    pub removed: Vec<ReportFinding>,
    /// In both.
    pub unchanged: usize,
    /// Of those, matched by rule, path and symbol because the fingerprint changed.
    pub moved: usize,
    pub scores: Vec<ScoreMove>,
    /// `(library, symbol)` used in the new report and not in the old: new API surface.
    pub new_api: Vec<(String, String)>,
    /// `(library, symbol)` no longer used.
    pub dropped_api: Vec<(String, String)>,
}

/// Compares two reports.
pub fn compare(old: &Report, new: &Report, weights: &ScoreWeights) -> Comparison {
    let mut old_left: Vec<bool> = vec![true; old.findings.len()];
    let mut new_left: Vec<bool> = vec![true; new.findings.len()];
    let mut unchanged = 0;
    // 1. Fingerprints.
    let mut by_fp: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in old.findings.iter().enumerate() {
        if !f.fingerprint.is_empty() {
            by_fp.entry(&f.fingerprint).or_default().push(i);
        }
    }
    for (j, f) in new.findings.iter().enumerate() {
        if let Some(list) = by_fp.get_mut(f.fingerprint.as_str()) {
            if let Some(pos) = list.iter().position(|&i| old_left[i]) {
                let i = list[pos];
                old_left[i] = false;
                new_left[j] = false;
                unchanged += 1;
            }
        }
    }
    // 2. Rule, path and symbol, in order, for what the fingerprints did not match.
    let mut by_key: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, f) in old
        .findings
        .iter()
        .enumerate()
        .filter(|(i, _)| old_left[*i])
    {
        by_key
            .entry((&f.rule_id, &f.path, &f.symbol))
            .or_default()
            .push(i);
    }
    let mut moved = 0;
    for (j, f) in new.findings.iter().enumerate() {
        if !new_left[j] {
            continue;
        }
        if let Some(list) =
            by_key.get_mut(&(f.rule_id.as_str(), f.path.as_str(), f.symbol.as_str()))
        {
            if let Some(pos) = list.iter().position(|&i| old_left[i]) {
                old_left[list[pos]] = false;
                new_left[j] = false;
                unchanged += 1;
                moved += 1;
            }
        }
    }
    let pick = |findings: &[ReportFinding], left: &[bool]| -> Vec<ReportFinding> {
        findings
            .iter()
            .zip(left)
            .filter(|(_, l)| **l)
            .map(|(f, _)| f.clone())
            .collect()
    };
    let targets: Vec<Target> = Target::ALL
        .into_iter()
        .filter(|t| old.targets.contains(t) && new.targets.contains(t))
        .collect();
    let scores = targets
        .iter()
        .map(|&t| ScoreMove {
            target: t,
            old: score(&old.findings, t, weights),
            new: score(&new.findings, t, weights),
        })
        .collect();
    let api = |r: &Report| -> BTreeSet<(String, String)> {
        r.findings
            .iter()
            .map(|f| (f.library.clone(), f.symbol.clone()))
            .collect()
    };
    let (old_api, new_api) = (api(old), api(new));
    Comparison {
        old_findings: old.findings.len(),
        new_findings: new.findings.len(),
        targets,
        added: pick(&new.findings, &new_left),
        removed: pick(&old.findings, &old_left),
        unchanged,
        moved,
        scores,
        new_api: new_api.difference(&old_api).cloned().collect(),
        dropped_api: old_api.difference(&new_api).cloned().collect(),
    }
}

fn score(findings: &[ReportFinding], target: Target, weights: &ScoreWeights) -> TargetScore {
    let ids = symbol_ids(
        findings
            .iter()
            .map(|f| (f.library.as_str(), f.symbol.as_str())),
    );
    let mut tally = Tally::default();
    for (f, id) in findings.iter().zip(ids) {
        tally.add(id, f.effort(target));
    }
    let cost = tally.cost(weights);
    TargetScore {
        target,
        cost,
        score: weights.score(cost.points()),
    }
}

/// Findings listed per section in text and Markdown; JSON lists them all.
const LISTED: usize = 50;

fn signed(x: f64) -> String {
    if x.abs() < 0.05 {
        "0".into()
    } else {
        format!("{x:+.1}")
    }
}

fn signed_int(x: i128) -> String {
    if x == 0 { "0".into() } else { format!("{x:+}") }
}

fn efforts(f: &ReportFinding, targets: &[Target]) -> String {
    targets
        .iter()
        .map(|&t| format!("{t} {}", f.effort(t)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The comparison for a terminal.
pub fn text(c: &Comparison, (old, new): &(String, String)) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "cuda-audit compare: {old} → {new}");
    let _ = writeln!(
        out,
        "  findings: {} → {}  ({} added, {} removed, {} unchanged{})",
        c.old_findings,
        c.new_findings,
        c.added.len(),
        c.removed.len(),
        c.unchanged,
        if c.moved > 0 {
            format!(", of which {} matched after their line changed", c.moved)
        } else {
            String::new()
        }
    );
    if !c.scores.is_empty() {
        let _ = writeln!(
            out,
            "  {:<8}{:>7}{:>7}{:>8}   effort points",
            "target", "old", "new", "change"
        );
        for m in &c.scores {
            let _ = writeln!(
                out,
                "  {:<8}{:>7}{:>7}{:>8}   {} → {} ({})",
                m.target.as_str(),
                format_score(m.old.score),
                format_score(m.new.score),
                signed(m.change()),
                m.old.points(),
                m.new.points(),
                signed_int(m.points_change())
            );
        }
    }
    for (title, list) in [
        ("new API surface", &c.new_api),
        ("API surface no longer used", &c.dropped_api),
    ] {
        if !list.is_empty() {
            let names: Vec<String> = list
                .iter()
                .take(LISTED)
                .map(|(l, s)| format!("{l} {s}"))
                .collect();
            let more = if list.len() > LISTED {
                format!(", … {} more", list.len() - LISTED)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {title} ({}): {}{more}",
                list.len(),
                names.join(", ")
            );
        }
    }
    for (title, list) in [("added", &c.added), ("removed", &c.removed)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  {title} ({}):", list.len());
        for f in list.iter().take(LISTED) {
            let _ = writeln!(
                out,
                "    {}:{}  {} {}  [{}]",
                f.path,
                f.line,
                f.library,
                f.symbol,
                efforts(f, &c.targets)
            );
        }
        if list.len() > LISTED {
            let _ = writeln!(
                out,
                "    … and {} more (--format json lists all)",
                list.len() - LISTED
            );
        }
    }
    if c.added.is_empty() && c.removed.is_empty() {
        let _ = writeln!(out, "  no coupling added or removed");
    }
    out
}

/// The comparison for a pull-request comment.
pub fn markdown(c: &Comparison, (old, new): &(String, String)) -> String {
    let mut md = String::new();
    md.push_str("## cuda-audit: coupling change\n\n");
    let _ = writeln!(
        md,
        "{} → {}: **{} added**, **{} removed**, {} unchanged (findings {} → {}).\n",
        code(old),
        code(new),
        c.added.len(),
        c.removed.len(),
        c.unchanged,
        c.old_findings,
        c.new_findings
    );
    if !c.scores.is_empty() {
        md.push_str("| target | score | change | effort points |\n| --- | ---: | ---: | ---: |\n");
        for m in &c.scores {
            let _ = writeln!(
                md,
                "| {} | {} → **{}** | {} | {} → {} ({}) |",
                target_name(m.target),
                format_score(m.old.score),
                format_score(m.new.score),
                signed(m.change()),
                m.old.points(),
                m.new.points(),
                signed_int(m.points_change())
            );
        }
        md.push('\n');
    }
    for (title, list) in [
        ("New API surface", &c.new_api),
        ("API surface no longer used", &c.dropped_api),
    ] {
        if !list.is_empty() {
            let names: Vec<String> = list
                .iter()
                .take(LISTED)
                .map(|(l, s)| format!("{} {}", code(l), code(s)))
                .collect();
            let more = if list.len() > LISTED {
                format!(", … {} more", list.len() - LISTED)
            } else {
                String::new()
            };
            let _ = writeln!(
                md,
                "**{title}** ({}): {}{more}\n",
                list.len(),
                names.join(", ")
            );
        }
    }
    for (title, list) in [("Added", &c.added), ("Removed", &c.removed)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            md,
            "<details{}><summary>{title} ({})</summary>\n",
            if title == "Added" { " open" } else { "" },
            list.len()
        );
        let headers: String = c
            .targets
            .iter()
            .map(|&t| format!(" {} |", target_name(t)))
            .collect();
        let rule: String = c.targets.iter().map(|_| " --- |").collect();
        let _ = writeln!(md, "| location | library | name |{headers}");
        let _ = writeln!(md, "| --- | --- | --- |{rule}");
        for f in list.iter().take(LISTED) {
            let cells: String = c
                .targets
                .iter()
                .map(|&t| format!(" {} |", f.effort(t)))
                .collect();
            let _ = writeln!(
                md,
                "| {} | {} | {} |{cells}",
                code(&format!("{}:{}", f.path, f.line)),
                code(&f.library),
                code(&f.symbol)
            );
        }
        if list.len() > LISTED {
            let _ = writeln!(md, "\n… and {} more.", list.len() - LISTED);
        }
        md.push_str("\n</details>\n\n");
    }
    if c.added.is_empty() && c.removed.is_empty() {
        md.push_str("No coupling added or removed.\n\n");
    }
    let _ = writeln!(
        md,
        "<sub>cuda-audit {} · scores recomputed from both reports' findings · `cuda-audit explain --scoring`</sub>",
        env!("CARGO_PKG_VERSION")
    );
    md
}

fn finding_json(f: &ReportFinding) -> Value {
    json!({
        "rule_id": f.rule_id,
        "category": f.category,
        "library": f.library,
        "symbol": f.symbol,
        "path": f.path,
        "line": f.line,
        "fingerprint": f.fingerprint,
        "effort": f.portability.iter().map(|(t, p)| (t.as_str().to_string(), json!(p.effort.as_str()))).collect::<serde_json::Map<_, _>>(),
    })
}

fn score_json(s: &TargetScore) -> Value {
    json!({
        "score": s.score,
        "effort_points": s.points(),
        "counts": Effort::ALL.iter().map(|e| (e.as_str().to_string(), json!(s.cost.counts[e.index()]))).collect::<serde_json::Map<_, _>>(),
    })
}

/// The comparison as JSON (docs/json-report.md, "compare").
pub fn to_json(c: &Comparison, (old, new): &(String, String)) -> Value {
    let api = |list: &[(String, String)]| -> Vec<Value> {
        list.iter()
            .map(|(l, s)| json!({ "library": l, "symbol": s }))
            .collect()
    };
    json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "cuda-audit", "version": env!("CARGO_PKG_VERSION") },
        "old": { "report": old, "findings": c.old_findings },
        "new": { "report": new, "findings": c.new_findings },
        "targets": c.targets.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "added": c.added.iter().map(finding_json).collect::<Vec<_>>(),
        "removed": c.removed.iter().map(finding_json).collect::<Vec<_>>(),
        "unchanged": c.unchanged,
        "moved": c.moved,
        "scores": c.scores.iter().map(|m| (m.target.as_str().to_string(), json!({
            "old": score_json(&m.old),
            "new": score_json(&m.new),
            "change": m.change(),
            "points_change": m.points_change() as i64,
        }))).collect::<serde_json::Map<_, _>>(),
        "api_surface": { "added": api(&c.new_api), "removed": api(&c.dropped_api) },
    })
}
