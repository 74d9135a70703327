//! `cuda-audit merge REPORT.json…`: an organisation's inventory from the JSON reports of many
//! repositories, each produced where its code lives (typically by the action in the repository's
//! own CI, kept as a build artifact).
//!
//! Only each report's `summary` (and `source`, `tool`, `targets`) is read, so reports written with
//! `--statistics` merge as well as full ones: per-target scores and effort counts, the libraries
//! scored alone (`breakdown.libraries`), their names (`api_surface`) and the blockers are all in
//! the summary. [`inventory`] adds them up; `markdown`, `json` and `html` write the result.
//!
//! Reports are merged on their common ground: the targets every report covers are compared, and
//! the output says which targets were left out for which repository. Reports of a newer schema
//! are refused (a newer cuda-audit reads them). The output is a function of the reports alone:
//! repositories in name order, every list sorted.

mod html;
pub mod inventory;
mod json;
mod markdown;

use crate::error::{Error, ExitStatus, Result};
use crate::report_file::{self, SummaryReport};
pub use inventory::{Inventory, Repository};
use std::path::{Path, PathBuf};

/// `cuda-audit merge --help` (on the subcommand, where clap reads it).
pub const LONG_ABOUT: &str = "Merge the JSON reports of many repositories into an organisation's inventory: per \
repository its name, commit, date, and per target its score and effort counts; across repositories \
the libraries by how many repositories use them and what they cost per target, the organisation's \
top blockers, and totals.\n\n\
Each report is `cuda-audit --format json` of one repository (with or without --statistics). A \
repository is named after its report's `source.name` (the scanned directory: the repository's name \
in a CI checkout), or after the file when the report has none; `NAME=REPORT.json` names it \
explicitly. Two reports with one name are an error: name them apart.\n\n\
Only the targets every report covers are compared; the output says which targets were left out for \
which repository. A report of a newer JSON schema is refused.\n\n\
Formats: markdown (the default: readable on a terminal, and a GitHub page or job summary), json, \
and html (one self-contained page).";

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 the inventory was written; 2 a report cannot be read or is not a \
cuda-audit JSON report (or is of a newer schema), two reports have one name, no target is in every \
report, or the output cannot be written."
)]
pub struct MergeArgs {
    /// JSON reports, one per repository; `NAME=REPORT.json` names the repository.
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "markdown")]
    pub format: MergeFormat,
    /// Write the inventory to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MergeFormat {
    /// Tables for a terminal, a GitHub page or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// The inventory as one JSON object (docs/json-report.md, "merge").
    Json,
    /// One self-contained HTML page.
    Html,
}

impl MergeFormat {
    fn as_str(self) -> &'static str {
        match self {
            MergeFormat::Markdown => "markdown",
            MergeFormat::Json => "json",
            MergeFormat::Html => "html",
        }
    }
}

/// Runs `cuda-audit merge`.
pub fn run(args: MergeArgs) -> Result<ExitStatus> {
    let repositories = args
        .reports
        .iter()
        .map(|arg| {
            let (name, path) = split_name(arg);
            load(name, path)
        })
        .collect::<Result<Vec<_>>>()?;
    let inventory = Inventory::of(repositories)?;
    let out = render(&inventory, args.format);
    crate::output::emit(args.output.as_deref(), |w| w.write_all(out.as_bytes()))?;
    if let Some(path) = &args.output {
        if !crate::output::is_special_file(path) {
            eprintln!(
                "cuda-audit: wrote {} ({}, {})",
                path.display(),
                args.format.as_str(),
                inventory::repositories(inventory.repositories.len())
            );
        }
    }
    Ok(ExitStatus::Clean)
}

/// The inventory in a format.
pub fn render(inventory: &Inventory, format: MergeFormat) -> String {
    match format {
        MergeFormat::Markdown => markdown::render(inventory),
        MergeFormat::Json => {
            let mut s = serde_json::to_string_pretty(&json::to_json(inventory))
                .expect("a JSON value serializes");
            s.push('\n');
            s
        }
        MergeFormat::Html => html::render(inventory),
    }
}

/// `NAME=REPORT.json` → the name and the report. An argument that names an existing file is a
/// report whatever it contains, so a file called `a=b.json` still reads.
fn split_name(arg: &Path) -> (Option<String>, &Path) {
    if arg.exists() {
        return (None, arg);
    }
    match arg.to_str().and_then(|s| s.split_once('=')) {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            (Some(name.to_string()), Path::new(path))
        }
        _ => (None, arg),
    }
}

/// Reads one report as a repository: named `name`, else after its `source`, else its file.
pub fn load(name: Option<String>, path: &Path) -> Result<Repository> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    repository(name, &path.display().to_string(), &text)
}

/// A report's text as a repository; `file` names it in errors and in the output.
pub fn repository(name: Option<String>, file: &str, text: &str) -> Result<Repository> {
    let report: SummaryReport = report_file::parse(file, text, "merge")?;
    let Some(summary) = report.summary else {
        let at = report_file::top_level_key(text, "version").unwrap_or(0);
        return Err(report_file::data_error(
            file,
            text,
            at..at,
            format!("{file} has no `summary`: it is not a report of a scan"),
            "in this report",
            report_file::help("merge"),
        ));
    };
    let named_after_file = name.is_none() && report.source.is_none();
    let name = name
        .or_else(|| report.source.as_ref().map(|s| s.name.clone()))
        .unwrap_or_else(|| file_stem(file));
    let source = report.source.unwrap_or_else(|| report_file::Source {
        name: name.clone(),
        commit: None,
        branch: None,
        date: None,
    });
    Ok(Repository {
        name,
        file: file.to_string(),
        named_after_file,
        commit: source.commit,
        branch: source.branch,
        date: source.date,
        tool_version: report.tool.map(|t| t.version).filter(|v| !v.is_empty()),
        targets: report.targets,
        summary,
    })
}

/// `reports/llm.c.json` → `llm.c`.
fn file_stem(file: &str) -> String {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    base.strip_suffix(".json").unwrap_or(base).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_argument_or_the_file() {
        assert_eq!(
            split_name(Path::new("web=out/r.json")),
            (Some("web".to_string()), Path::new("out/r.json"))
        );
        assert_eq!(split_name(Path::new("r.json")), (None, Path::new("r.json")));
        assert_eq!(
            split_name(Path::new("=r.json")),
            (None, Path::new("=r.json"))
        );
        assert_eq!(file_stem("reports/llm.c.json"), "llm.c");
        assert_eq!(file_stem("report"), "report");
    }
}
