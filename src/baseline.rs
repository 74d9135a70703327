//! Baselines: today's findings recorded as fingerprints, so a gate can fail only on *new*
//! coupling. A fingerprint depends on what a finding is (rule, path, symbol, normalised source
//! line, occurrence counter — see [`crate::finding::assign_fingerprints`]), never on its line
//! number, so moving code keeps findings known. The file is sorted JSON, one entry per finding,
//! small enough to review in a diff. Entries that no longer match are reported as stale so the
//! baseline can shrink.

use crate::error::{DataFileError, Error, Result};
use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub rule: String,
    pub symbol: String,
    pub fingerprint: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

#[derive(Debug, Default)]
pub struct Baseline {
    entries: Vec<Entry>,
}

impl Baseline {
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        let entries: Vec<Entry> = findings
            .into_iter()
            .map(|f| Entry {
                path: f.path.clone(),
                rule: f.rule_id.clone(),
                symbol: f.symbol.clone(),
                fingerprint: f.fingerprint.clone(),
            })
            .collect();
        Baseline::from_entries(entries)
    }

    /// A baseline of `entries`, sorted, each fingerprint once.
    pub fn from_entries(mut entries: Vec<Entry>) -> Baseline {
        entries.sort();
        entries.dedup();
        Baseline { entries }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Reads a baseline. A missing, empty, truncated or otherwise malformed file is an error that
    /// points at the problem — never a silently empty baseline.
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read the baseline {}", path.display()), e))?;
        Baseline::parse(&path.display().to_string(), &text)
    }

    /// Parses a baseline's text; `name` is what errors call the file. Used by [`Baseline::load`],
    /// and by the fuzz targets.
    pub fn parse(name: &str, text: &str) -> Result<Baseline> {
        let file: File = serde_json::from_str(text).map_err(|e| {
            if let Some(what) = Baseline::other_format(text) {
                return Error::hint(
                    format!("{name} is {what}, not a baseline"),
                    format!("create a baseline with `cuda-audit baseline -o {name}`"),
                );
            }
            let offset = offset_of(text, e.line(), e.column());
            Error::from(
                DataFileError::new(name, text, offset..offset, format!("malformed baseline {name}"), e.to_string())
                    .with_help("regenerate it with `cuda-audit baseline -o FILE`, or restore it from version control"),
            )
        })?;
        if file.version != FORMAT_VERSION {
            let at = text.find("\"version\"").unwrap_or(0);
            return Err(DataFileError::new(
                name,
                text,
                at..at + 9,
                format!("baseline {name} has format version {}, this cuda-audit reads version {FORMAT_VERSION}", file.version),
                "unsupported version",
            )
            .into());
        }
        let mut entries = file.findings;
        entries.sort();
        Ok(Baseline { entries })
    }

    /// What a JSON file given as a baseline is instead, when it is another of cuda-audit's
    /// outputs: a report (`--format json`), a SARIF log, or a comparison. Large reports are
    /// skimmed: only the top-level keys are looked at.
    fn other_format(text: &str) -> Option<&'static str> {
        use serde::de::IgnoredAny;
        #[derive(Deserialize)]
        struct TopLevel {
            #[serde(rename = "$schema")]
            schema: Option<String>,
            runs: Option<IgnoredAny>,
            summary: Option<IgnoredAny>,
            findings: Option<IgnoredAny>,
            files: Option<IgnoredAny>,
            added: Option<IgnoredAny>,
            removed: Option<IgnoredAny>,
        }
        let top: TopLevel = serde_json::from_str(text).ok()?;
        if top.runs.is_some() && top.schema.is_none_or(|s| s.contains("sarif")) {
            Some("a SARIF file")
        } else if top.findings.is_some() && (top.summary.is_some() || top.files.is_some()) {
            Some("a cuda-audit JSON report")
        } else if top.added.is_some() && top.removed.is_some() {
            Some("a cuda-audit comparison (`cuda-audit compare -f json`)")
        } else {
            None
        }
    }

    /// The file's bytes: pretty, sorted, with a trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let file = File {
            version: FORMAT_VERSION,
            tool: "cuda-audit".into(),
            findings: self.entries.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file).expect("a baseline serializes");
        bytes.push(b'\n');
        bytes
    }
}

/// Byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column.saturating_sub(1)).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            "",
            "{",
            "{\"version\": 1, \"tool\": \"cuda-audit\"}",
            "{\"version\": 9, \"tool\": \"x\", \"findings\": []}",
        ] {
            let p = dir.path().join("b.json");
            std::fs::write(&p, text).unwrap();
            assert!(Baseline::load(&p).is_err(), "{text:?} loaded");
        }
    }
}
