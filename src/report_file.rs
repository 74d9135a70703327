//! A JSON report read back (docs/json-report.md): the one reader behind `cuda-audit compare`
//! (which needs the findings) and `cuda-audit merge` (which needs the summary).
//!
//! A [`Report`] is generic over what its `findings` and `summary` become, so each command parses
//! only what it reads: `compare` skips the summary, `merge` skips the findings (a report of
//! 30 000 findings is tens of megabytes). Unknown keys are ignored, so reports from newer versions
//! of the same schema still load; a report of a newer schema is refused, pointing at its
//! `version`. A malformed report is an error that shows the offending text.

use crate::error::{DataFileError, Error, Result};
use crate::portability::{Effort, Target};
use crate::report::json::SCHEMA_VERSION;
use miette::NamedSource;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use std::collections::BTreeMap;
use std::path::Path;

/// A report's top level. `F` and `S` are what `findings` and `summary` are read as
/// ([`IgnoredAny`] to skip one).
#[derive(Debug, Deserialize)]
pub struct Report<F, S> {
    pub version: u32,
    #[serde(default)]
    pub tool: Option<Tool>,
    /// Which project, commit and date (written by the command line).
    #[serde(default)]
    pub source: Option<Source>,
    pub targets: Vec<Target>,
    /// `None` in a report written with `--statistics`.
    #[serde(default = "none")]
    pub findings: Option<F>,
    #[serde(default = "none")]
    pub summary: Option<S>,
}

fn none<T>() -> Option<T> {
    None
}

/// A report read for its findings (`compare`).
pub type FindingsReport = Report<Vec<ReportFinding>, IgnoredAny>;
/// A report read for its summary (`merge`).
pub type SummaryReport = Report<IgnoredAny, ReportSummary>;

#[derive(Clone, Debug, Deserialize)]
pub struct Tool {
    #[serde(default)]
    pub version: String,
}

/// The report's `source` object ([`crate::provenance::Provenance`] as written).
#[derive(Clone, Debug, Deserialize)]
pub struct Source {
    pub name: String,
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ReportFinding {
    pub rule_id: String,
    pub category: String,
    pub library: String,
    pub symbol: String,
    pub path: String,
    pub line: usize,
    #[serde(default)]
    pub fingerprint: String,
    pub portability: BTreeMap<Target, ReportPort>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ReportPort {
    pub effort: Effort,
    #[serde(default)]
    pub replacement: Option<String>,
}

impl ReportFinding {
    /// The effort on a target; `none` when the report did not cover it.
    pub fn effort(&self, t: Target) -> Effort {
        self.portability.get(&t).map_or(Effort::None, |p| p.effort)
    }
}

/// The parts of `summary` an organisation's inventory reads.
#[derive(Clone, Debug, Deserialize)]
pub struct ReportSummary {
    pub findings: usize,
    pub files_with_findings: usize,
    pub files: SummaryFiles,
    pub targets: BTreeMap<Target, TargetSummary>,
    /// Per library: its distinct names.
    pub api_surface: BTreeMap<String, LibrarySurface>,
    pub breakdown: SummaryBreakdown,
    /// Per target, its `rewrite` findings by library, costliest first.
    pub blockers: BTreeMap<Target, Vec<BlockerLibrary>>,
    /// The score weights, as written (compared, not interpreted: a newer version may add one).
    #[serde(default)]
    pub scoring: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SummaryFiles {
    pub scanned: usize,
}

/// Findings per effort class: `{none, automatic, manual, rewrite}`.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Counts {
    pub none: usize,
    pub automatic: usize,
    pub manual: usize,
    pub rewrite: usize,
}

impl Counts {
    /// Indexed by [`Effort::index`].
    pub fn array(&self) -> [usize; 4] {
        [self.none, self.automatic, self.manual, self.rewrite]
    }
}

/// `summary.targets.<target>`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct TargetSummary {
    pub counts: Counts,
    #[serde(default)]
    pub distinct: Counts,
    #[serde(default)]
    pub decision_points: u64,
    #[serde(default)]
    pub edit_points: u64,
    pub effort_points: u64,
    pub score: f64,
}

/// `summary.api_surface.<library>`.
#[derive(Clone, Debug, Deserialize)]
pub struct LibrarySurface {
    pub symbols: Vec<SymbolSurface>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SymbolSurface {
    pub symbol: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SummaryBreakdown {
    pub libraries: Vec<LibraryGroup>,
}

/// `summary.breakdown.libraries[]`: one library scored alone.
#[derive(Clone, Debug, Deserialize)]
pub struct LibraryGroup {
    pub library: String,
    pub findings: usize,
    pub files: usize,
    pub targets: BTreeMap<Target, GroupTarget>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct GroupTarget {
    pub counts: Counts,
    pub effort_points: u64,
}

/// `summary.blockers.<target>[]`.
#[derive(Clone, Debug, Deserialize)]
pub struct BlockerLibrary {
    pub library: String,
    pub occurrences: usize,
    pub files: usize,
    pub effort_points: u64,
    pub symbols: Vec<BlockerSymbol>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct BlockerSymbol {
    pub symbol: String,
    pub category: String,
    pub occurrences: usize,
    pub effort_points: u64,
    #[serde(default)]
    pub replacement: Option<String>,
}

/// Reads and parses a report for `command` (named in the help of an error).
pub fn load<F: DeserializeOwned, S: DeserializeOwned>(
    path: &Path,
    command: &str,
) -> Result<Report<F, S>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    parse(&path.display().to_string(), &text, command)
}

/// Parses a report's text; `name` names it in errors.
pub fn parse<F: DeserializeOwned, S: DeserializeOwned>(
    name: &str,
    text: &str,
    command: &str,
) -> Result<Report<F, S>> {
    let report: Report<F, S> = serde_json::from_str(text).map_err(|e| {
        let at = offset(text, e.line(), e.column());
        data_error(
            name,
            text,
            at..at,
            format!("{name} is not a cuda-audit JSON report: {e}"),
            match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    "malformed JSON here"
                }
                _ => "unexpected here",
            },
            help(command),
        )
    })?;
    if report.version > SCHEMA_VERSION {
        let at = top_level_key(text, "version").unwrap_or(0);
        return Err(data_error(
            name,
            text,
            at..at + "\"version\"".len(),
            format!(
                "{name} uses JSON report schema {}, newer than this cuda-audit's ({SCHEMA_VERSION})",
                report.version
            ),
            "this version",
            help(command),
        ));
    }
    Ok(report)
}

/// What `command` reads, for the help of an error.
pub fn help(command: &str) -> String {
    format!(
        "{command} reads reports written by `cuda-audit --format json` (schema {SCHEMA_VERSION}); \
         a newer report needs a newer cuda-audit"
    )
}

/// An error about a report's text, pointing at `span`.
pub fn data_error(
    name: &str,
    text: &str,
    span: std::ops::Range<usize>,
    message: String,
    label: &str,
    help: String,
) -> Error {
    let mut e = DataFileError::new(name, text, span, message, label).with_help(help);
    e.src = NamedSource::new(name, text.to_string()).with_language("json");
    e.into()
}

/// Where the top-level object's `key` is written (the offset of its opening quote): the report's
/// own `version`, not `tool.version`, which sorts before it.
pub fn top_level_key(text: &str, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                if depth == 1 && text[i..].starts_with(&quoted) {
                    let after = text[i + quoted.len()..].trim_start();
                    if after.starts_with(':') {
                        return Some(i);
                    }
                }
                // Skip the string, escapes included.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The byte offset of serde_json's 1-based line and column (0 when it gives none).
fn offset(text: &str, line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let mut at = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let col = column.saturating_sub(1).min(l.len());
            // Stay on a character boundary.
            let mut off = at + col;
            while !text.is_char_boundary(off) {
                off -= 1;
            }
            return off;
        }
        at += l.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_lines_and_columns() {
        let text = "{\n  \"a\": x\n}";
        assert_eq!(&text[offset(text, 2, 8)..][..1], "x");
        assert_eq!(offset(text, 0, 0), 0);
        assert_eq!(offset(text, 9, 9), text.len());
    }

    #[test]
    fn finds_the_top_level_key() {
        let text = r#"{"tool": {"version": "0.1"}, "x": "\"version\": 3", "version": 2}"#;
        let at = top_level_key(text, "version").unwrap();
        assert_eq!(&text[at..], "\"version\": 2}");
        assert_eq!(top_level_key("{\"a\": 1}", "version"), None);
    }

    #[test]
    fn a_statistics_report_has_no_findings() {
        let text = r#"{"version": 1, "targets": ["rocm"], "summary": {}}"#;
        let r: Report<Vec<ReportFinding>, IgnoredAny> = parse("r.json", text, "compare").unwrap();
        assert!(r.findings.is_none() && r.summary.is_some());
    }
}
