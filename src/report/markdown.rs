//! The Markdown report: a compact summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
//! Scores first, then the blockers, then the libraries and directories folded away in
//! `<details>`. No findings list: the PR reader wants the verdict; SARIF carries the lines.
//!
//! Paths and names come from the scanned repository, so every one goes through [`code`] (a code
//! span, safe inside a table): a file called `| @team <img>` must not break the table, mention
//! anyone or inject HTML.

use super::Reporter;
use crate::breakdown::Group;
use crate::portability::Target;
use crate::scan::Audit;
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

impl Reporter for MarkdownReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(&Summary::of(audit), audit.provenance.as_ref()).as_bytes())
    }
}

/// The whole report as a string; the heading names the project, commit and date when `source`
/// says which.
pub fn render(s: &Summary, source: Option<&crate::provenance::Provenance>) -> String {
    let mut md = String::new();
    let source = source.map_or_else(String::new, |p| format!(" in {}", p.describe(code)));
    let _ = writeln!(md, "## cuda-audit: CUDA coupling{source}\n");
    if s.findings == 0 {
        let _ = writeln!(md, "No CUDA coupling found. {}.\n", s.files_line());
        for line in s.ownership_lines() {
            let _ = writeln!(md, "- {line}");
        }
        footer(&mut md);
        return md;
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
    scores(&mut md, s);
    blockers(&mut md, s);
    libraries(&mut md, s);
    directories(&mut md, s);
    footer(&mut md);
    md
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

fn scores(md: &mut String, s: &Summary) {
    md.push_str("| target | score | effort points | none | automatic | manual | rewrite |\n");
    md.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for ts in &s.scores {
        let c = ts.cost.counts;
        let _ = writeln!(
            md,
            "| {} | **{}** | {} | {} | {} | {} | {} |",
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
