//! The Markdown report: a compact summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
//! With a gate, the verdict and the new findings come first; then the scores (the whole tree's,
//! with the change's delta), the blockers, and the libraries and directories folded away in
//! `<details>`. No list of known findings: the PR reader wants the verdict; SARIF carries the
//! lines.
//!
//! Paths and names come from the scanned repository, so every one goes through [`code`] (a code
//! span, safe inside a table): a file called `| @team <img>` must not break the table, mention
//! anyone or inject HTML.

use super::Reporter;
use crate::audit::Audit;
use crate::breakdown::Group;
use crate::portability::Target;
use crate::score::format_score;
use crate::summary::Summary;
use std::fmt::Write as _;
use std::io::{self, Write};

pub struct MarkdownReporter;

/// Libraries listed per target among the blockers.
const BLOCKER_LIBRARIES: usize = 5;
/// Names listed per blocking library.
const BLOCKER_NAMES: usize = 3;
/// Directories listed (costliest first on the first target).
const DIRECTORIES: usize = 15;
/// Longest name or path shown before it is shortened with `…`.
const MAX_SHOWN: usize = 80;

/// New findings listed in a gated report before "… and N more".
const NEW_FINDINGS: usize = 50;

impl Reporter for MarkdownReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        let summary = Summary::of(audit);
        let mut md = heading(audit.provenance.as_ref());
        if let Some(gate) = &audit.gate {
            gate_section(&mut md, audit, gate);
        }
        body(&mut md, &summary, audit.gate.as_ref());
        out.write_all(md.as_bytes())
    }
}

/// The whole report of an ungated scan as a string; the heading names the project, commit and
/// date when `source` says which.
pub fn render(s: &Summary, source: Option<&crate::provenance::Provenance>) -> String {
    let mut md = heading(source);
    body(&mut md, s, None);
    md
}

fn heading(source: Option<&crate::provenance::Provenance>) -> String {
    let source = source.map_or_else(String::new, |p| format!(" in {}", p.describe(code)));
    format!("## cuda-audit: CUDA coupling{source}\n\n")
}

/// The verdict and the new findings, first: what a pull request's reader needs.
fn gate_section(md: &mut String, audit: &Audit, gate: &crate::gate::GateReport) {
    let headline = gate.headline();
    let (head, rest) = headline.split_once(':').unwrap_or((&headline, ""));
    let icon = match gate.verdict {
        crate::gate::Verdict::Failed => "❌",
        crate::gate::Verdict::Passed | crate::gate::Verdict::Recorded => "✅",
    };
    // The verdict names paths and revisions from the user: kept out of Markdown syntax.
    let _ = writeln!(md, "{icon} **{}**:{}\n", head, escape(rest));
    let new: Vec<&crate::finding::Finding> = audit
        .findings
        .iter()
        .filter(|f| f.baseline_state == Some(crate::finding::BaselineState::New))
        .collect();
    if new.is_empty() {
        return;
    }
    let _ = writeln!(md, "### New findings ({})\n", new.len());
    let targets: String = audit
        .targets
        .iter()
        .map(|&t| format!(" {} |", target_name(t)))
        .collect();
    let rule: String = audit.targets.iter().map(|_| " --- |").collect();
    let _ = writeln!(md, "| where | rule | name |{targets}");
    let _ = writeln!(md, "| --- | --- | --- |{rule}");
    for f in new.iter().take(NEW_FINDINGS) {
        let cells: String = audit
            .targets
            .iter()
            .map(|&t| {
                let port = f.portability.get(t);
                match &port.replacement {
                    Some(r) => format!(" {} → {} |", port.effort.as_str(), code(r)),
                    None => format!(" {} |", port.effort.as_str()),
                }
            })
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} |{cells}",
            code(&format!("{}:{}", f.path, f.start.line)),
            code(&f.rule_id),
            code(&f.symbol)
        );
    }
    if new.len() > NEW_FINDINGS {
        let _ = writeln!(
            md,
            "\n… and {} more (the SARIF or JSON report lists them all).",
            new.len() - NEW_FINDINGS
        );
    }
    md.push('\n');
}

/// Text from the user (paths, revisions) shown outside a code span: Markdown and HTML
/// characters escaped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '@' | '!' | '&'
        ) {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// Everything after the heading (and the gate section).
fn body(md: &mut String, s: &Summary, gate: Option<&crate::gate::GateReport>) {
    if s.findings == 0 {
        let _ = writeln!(md, "No CUDA coupling found. {}.\n", s.files_line());
        for line in s.ownership_lines() {
            let _ = writeln!(md, "- {line}");
        }
        footer(md);
        return;
    }
    if gate.is_some() {
        md.push_str("### Whole tree\n\n");
    }
    let _ = writeln!(
        md,
        "**{} finding{}** in {} file{} · {}\n",
        s.findings,
        plural(s.findings),
        s.files_with_findings,
        plural(s.files_with_findings),
        s.files_line()
    );
    let ownership = s.ownership_lines();
    for line in &ownership {
        let _ = writeln!(md, "- {line}");
    }
    if !ownership.is_empty() {
        md.push('\n');
    }
    scores(md, s, gate);
    blockers(md, s);
    libraries(md, s);
    directories(md, s);
    footer(md);
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The display name of a target.
pub fn target_name(t: Target) -> &'static str {
    match t {
        Target::Rocm => "ROCm",
        Target::Neuron => "Neuron",
        Target::Tpu => "TPU",
    }
}

fn scores(md: &mut String, s: &Summary, gate: Option<&crate::gate::GateReport>) {
    let score_header = if gate.is_some() {
        "score (this change)"
    } else {
        "score"
    };
    let _ = writeln!(
        md,
        "| target | {score_header} | effort points | none | automatic | manual | rewrite |"
    );
    md.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for ts in &s.scores {
        let c = ts.cost.counts;
        let delta = gate
            .and_then(|g| g.delta(ts.target, ts.score))
            .map(|d| format!(" ({})", crate::gate::format_delta(d)))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} | **{}**{delta} | {} | {} | {} | {} | {} |",
            target_name(ts.target),
            format_score(ts.score),
            ts.points(),
            c[0],
            c[1],
            c[2],
            c[3]
        );
    }
    md.push('\n');
}

fn blockers(md: &mut String, s: &Summary) {
    if s.blockers.iter().all(|(_, b)| b.is_empty()) {
        return;
    }
    md.push_str("### Top blockers\n\n");
    md.push_str("`rewrite`: no equivalent on the target. Costliest libraries first.\n\n");
    md.push_str("| target | library | points | names | uses | costliest names | first at |\n");
    md.push_str("| --- | --- | ---: | ---: | ---: | --- | --- |\n");
    for (t, libs) in &s.blockers {
        for lib in libs.iter().take(BLOCKER_LIBRARIES) {
            let mut names: Vec<String> = lib
                .symbols
                .iter()
                .take(BLOCKER_NAMES)
                .map(|b| format!("{} ×{}", code(&b.symbol), b.occurrences))
                .collect();
            if lib.symbols.len() > BLOCKER_NAMES {
                names.push("…".into());
            }
            let at = lib.symbols[0]
                .locations
                .first()
                .map(|(path, line)| code(&format!("{path}:{line}")))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                target_name(*t),
                code(&lib.library),
                lib.points,
                lib.symbols.len(),
                lib.occurrences,
                names.join(", "),
                at
            );
        }
        if libs.len() > BLOCKER_LIBRARIES {
            let _ = writeln!(
                md,
                "| {} | … and {} more | | | | | |",
                target_name(*t),
                libs.len() - BLOCKER_LIBRARIES
            );
        }
    }
    md.push('\n');
}

/// Effort points (score) of a group on each target, as table cells.
fn target_cells(g: &Group) -> String {
    g.targets
        .iter()
        .map(|ts| format!(" {} ({}) |", ts.points(), format_score(ts.score)))
        .collect()
}

fn target_headers(s: &Summary) -> (String, String) {
    let names: String = s
        .scores
        .iter()
        .map(|ts| format!(" {} |", target_name(ts.target)))
        .collect();
    let rule: String = s.scores.iter().map(|_| " ---: |").collect();
    (names, rule)
}

fn libraries(md: &mut String, s: &Summary) {
    let (names, rule) = target_headers(s);
    let _ = writeln!(
        md,
        "<details><summary>Libraries ({})</summary>\n",
        s.breakdown.libraries.len()
    );
    md.push_str("Effort points (score) of each library alone.\n\n");
    let _ = writeln!(md, "| library | names | uses | files |{names}");
    let _ = writeln!(md, "| --- | ---: | ---: | ---: |{rule}");
    let mut libs: Vec<&Group> = s.breakdown.libraries.iter().collect();
    libs.sort_by(|a, b| {
        first_points(b)
            .cmp(&first_points(a))
            .then_with(|| a.key.cmp(&b.key))
    });
    for g in libs {
        let distinct = s
            .libraries
            .iter()
            .find(|l| l.library == g.key)
            .map_or(0, |l| l.symbols.len());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |{}",
            code(&g.key),
            distinct,
            g.findings,
            g.files,
            target_cells(g)
        );
    }
    md.push_str("\n</details>\n\n");
}

/// The points on the first selected target: the sort key of the folded tables.
fn first_points(g: &Group) -> u64 {
    g.targets.first().map_or(0, |ts| ts.points())
}

fn directories(md: &mut String, s: &Summary) {
    let (names, rule) = target_headers(s);
    let mut dirs: Vec<&Group> = s.breakdown.directories.iter().collect();
    dirs.sort_by(|a, b| {
        first_points(b)
            .cmp(&first_points(a))
            .then_with(|| a.key.cmp(&b.key))
    });
    let shown = dirs.len().min(DIRECTORIES);
    let _ = writeln!(
        md,
        "<details><summary>Directories ({shown} of {}, costliest first)</summary>\n",
        dirs.len()
    );
    md.push_str("A directory includes its subdirectories.\n\n");
    let _ = writeln!(md, "| directory | findings | files |{names}");
    let _ = writeln!(md, "| --- | ---: | ---: |{rule}");
    for g in dirs.into_iter().take(DIRECTORIES) {
        let _ = writeln!(
            md,
            "| {} | {} | {} |{}",
            code(&g.key),
            g.findings,
            g.files,
            target_cells(g)
        );
    }
    md.push_str("\n</details>\n\n");
}

fn footer(md: &mut String) {
    let _ = writeln!(
        md,
        "<sub>cuda-audit {} · score 0–100, 100 = nothing to port · `cuda-audit explain --scoring`</sub>",
        env!("CARGO_PKG_VERSION")
    );
}

/// `s` as an inline code span that is safe anywhere, tables included: control characters become
/// spaces, `|` is escaped (GitHub splits table cells before it parses code spans), the fence is
/// longer than any run of backticks inside, and very long text is shortened.
pub fn code(s: &str) -> String {
    let mut text: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX_SHOWN {
        text = text.chars().take(MAX_SHOWN - 1).collect::<String>() + "…";
    }
    let text = text.replace('|', "\\|");
    if text.trim().is_empty() {
        return "` `".into();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::code;

    #[test]
    fn code_spans_are_safe_in_tables() {
        assert_eq!(code("cudaMalloc"), "`cudaMalloc`");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "`` x`y ``");
        assert_eq!(code("line\nbreak"), "`line break`");
        assert_eq!(code(""), "` `");
        assert!(code(&"x".repeat(200)).ends_with("…`"));
    }
}
