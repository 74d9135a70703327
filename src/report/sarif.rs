//! SARIF 2.1.0 for GitHub code scanning and other dashboards.
//!
//! What GitHub needs beyond schema validity: rules with short/full descriptions and help,
//! relative artifact URIs with a `uriBaseId`, 1-based regions, columns in UTF-16 code units
//! (SARIF's default `columnKind`), and `partialFingerprints` that survive code moving. Each
//! result's `properties` carries exactly `category`, `symbol`, `library` and `portability`.

use super::Reporter;
use super::stream::Spliced;
use crate::audit::Audit;
use crate::finding::Finding;
use crate::portability::{Effort, Target};
use crate::rule::Rule;
use crate::summary::Summary;
use flate2::Compression;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};

pub const SRCROOT: &str = "%SRCROOT%";
pub const FINGERPRINT_KEY: &str = "cudaAudit/v1";
const INFORMATION_URI: &str = "https://github.com/cuda-audit/cuda-audit";

/// GitHub code scanning accepts at most 25,000 results per run.
pub const DEFAULT_MAX_RESULTS: usize = 25_000;
/// GitHub rejects an upload above 10 MB gzip-compressed; the margin covers a different
/// compressor's output.
pub const MAX_GZIP_BYTES: usize = 9_000_000;

pub struct SarifReporter {
    /// At most this many results, and at most `max_gzip_bytes` compressed; 0: no limit.
    pub max_results: usize,
    /// [`MAX_GZIP_BYTES`] unless a test sets it lower.
    pub max_gzip_bytes: usize,
    /// What the limit left out, for the caller to tell the user.
    pub omitted: std::sync::Mutex<Option<Omitted>>,
}

impl SarifReporter {
    pub fn new(max_results: usize, max_gzip_bytes: usize) -> SarifReporter {
        SarifReporter {
            max_results,
            max_gzip_bytes,
            omitted: std::sync::Mutex::new(None),
        }
    }
}

/// Findings the result limit left out of the run.
#[derive(Clone, Debug, Default)]
pub struct Omitted {
    pub total: usize,
    pub of: usize,
    pub by_category: BTreeMap<&'static str, usize>,
    /// Per target, per effort class.
    pub by_effort: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    /// New findings beyond the limit (only when there are more new findings than it allows).
    pub new: usize,
}

impl Omitted {
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} of {} findings are left out of this SARIF run (GitHub code scanning accepts at most {} results and {} MB compressed per upload; --sarif-max-results N sets the limit, 0 lifts it). Every new finding is kept{}; the rest are kept by effort (summed over the targets), then level, then path. The JSON and HTML reports list them all.",
            self.total,
            self.of,
            DEFAULT_MAX_RESULTS,
            MAX_GZIP_BYTES / 1_000_000 + 1,
            if self.new > 0 {
                format!(" up to the limit ({} new findings did not fit)", self.new)
            } else {
                String::new()
            }
        );
        text.truncate(text.trim_end().len());
        text
    }
}

impl Reporter for SarifReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        if self.max_results == 0 {
            let all: Vec<usize> = (0..audit.findings.len()).collect();
            return write_run(audit, &all, None, out);
        }
        let order = priority_order(audit);
        let mut keep = self.max_results.min(order.len());
        loop {
            let (selected, omitted) = select(audit, &order, keep);
            let limit = self.max_gzip_bytes;
            let measured = measure(
                audit,
                &selected,
                omitted.as_ref(),
                limit,
                Compression::fast(),
            )?;
            let (size, spill) = match measured {
                // Raw bytes within the limit cannot compress to more: the run as it was written.
                Measured::Small(bytes) => {
                    *self.omitted.lock().expect("not poisoned") = omitted;
                    return out.write_all(&bytes);
                }
                // The fastest level compresses least: a run within the limit at that level is
                // within it at the level uploaders use. Only a run over it is measured again at
                // the default level, which decides.
                Measured::Compressed { size, spill } if size <= limit => (size, spill),
                Measured::Compressed { .. } => {
                    match measure(
                        audit,
                        &selected,
                        omitted.as_ref(),
                        limit,
                        Compression::default(),
                    )? {
                        Measured::Compressed { size, spill } => (size, spill),
                        Measured::Small(bytes) => (bytes.len(), None),
                    }
                }
            };
            if size <= limit || keep == 0 {
                // Copied from where the measuring pass spilled it, or written again: a large
                // run is not held in memory.
                match spill {
                    Some(spill) => spill.copy_to(out)?,
                    None => write_run(audit, &selected, omitted.as_ref(), out)?,
                }
                *self.omitted.lock().expect("not poisoned") = omitted;
                return Ok(());
            }
            // Shrink in proportion to the excess, with a margin, and measure again.
            keep = ((keep as f64) * (limit as f64 / size as f64) * 0.9) as usize;
        }
    }

    fn notice(&self) -> Option<String> {
        let omitted = self.omitted.lock().expect("not poisoned");
        omitted.as_ref().map(|o| {
            format!(
                "SARIF holds {} of {} findings ({} left out{}; --sarif-max-results 0 keeps all; the JSON and HTML reports list every finding)",
                o.of - o.total,
                o.of,
                o.total,
                if o.new > 0 {
                    format!(", {} of them new", o.new)
                } else {
                    String::new()
                }
            )
        })
    }
}

/// Writes the run of `selected` findings into a [`Measure`] compressing at `level`.
fn measure(
    audit: &Audit,
    selected: &[usize],
    omitted: Option<&Omitted>,
    limit: usize,
    level: Compression,
) -> io::Result<Measured> {
    let mut measure = Measure::new(limit, level);
    {
        // The writer serialises in small pieces; the compressor wants large ones.
        let mut buffered = io::BufWriter::with_capacity(1 << 16, &mut measure);
        write_run(audit, selected, omitted, &mut buffered)?;
        buffered.flush()?;
    }
    measure.finish()
}

/// A sink that measures a run as it is written: the bytes themselves while they are within the
/// limit (most runs, written out from here without a second rendering), and past it their
/// gzip-compressed size, the bytes going on to an anonymous temporary file (a [`Spill`]) so that
/// a large run is neither held in memory nor rendered twice. Where no temporary file can be
/// made, only the size is kept and the run is rendered again.
struct Measure {
    limit: usize,
    level: Compression,
    held: Vec<u8>,
    gzip: Option<flate2::write::GzEncoder<Count>>,
    spill: Option<io::BufWriter<std::fs::File>>,
}

/// What a [`Measure`] found.
enum Measured {
    /// The run, no larger than the limit.
    Small(Vec<u8>),
    /// The run's compressed size, and the run itself when it could be spilled.
    Compressed { size: usize, spill: Option<Spill> },
}

/// A run written to an anonymous temporary file (removed when closed).
struct Spill(std::fs::File);

impl Spill {
    fn copy_to(mut self, out: &mut dyn Write) -> io::Result<()> {
        use std::io::Seek;
        self.0.rewind()?;
        io::copy(&mut self.0, out)?;
        Ok(())
    }
}

impl Measure {
    fn new(limit: usize, level: Compression) -> Measure {
        Measure {
            limit,
            level,
            held: Vec::new(),
            gzip: None,
            spill: None,
        }
    }

    /// Writes `parts` to the spill file; a write that fails (a full disk) gives the file up,
    /// and the run is then rendered again.
    fn spill_all(&mut self, parts: &[&[u8]]) {
        if let Some(spill) = &mut self.spill {
            if parts.iter().any(|part| spill.write_all(part).is_err()) {
                self.spill = None;
            }
        }
    }

    fn finish(self) -> io::Result<Measured> {
        match self.gzip {
            None => Ok(Measured::Small(self.held)),
            Some(gz) => Ok(Measured::Compressed {
                size: gz.finish()?.0,
                spill: self
                    .spill
                    .and_then(|file| file.into_inner().ok())
                    .map(Spill),
            }),
        }
    }
}

impl Write for Measure {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(gz) = &mut self.gzip {
            gz.write_all(buf)?;
            self.spill_all(&[buf]);
        } else if self.held.len() + buf.len() <= self.limit {
            self.held.extend_from_slice(buf);
        } else {
            let held = std::mem::take(&mut self.held);
            let mut gz = flate2::write::GzEncoder::new(Count(0), self.level);
            gz.write_all(&held)?;
            gz.write_all(buf)?;
            self.gzip = Some(gz);
            self.spill = tempfile::tempfile()
                .ok()
                .map(|file| io::BufWriter::with_capacity(1 << 16, file));
            self.spill_all(&[&held, buf]);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Counts the bytes written to it.
struct Count(usize);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Indices of the findings, most important first: new ones (a baseline or diff base says so),
/// then the effort summed over the selected targets (inline PTX, a rewrite everywhere, before a
/// renamed runtime call), then the level, then the report's order.
fn priority_order(audit: &Audit) -> Vec<usize> {
    let rank = |f: &Finding| {
        let new = f.baseline_state == Some(crate::finding::BaselineState::New);
        let effort = audit
            .targets
            .iter()
            .map(|&t| f.effort(t).index())
            .sum::<usize>();
        let level = match f.level {
            crate::rule::Level::Error => 2,
            crate::rule::Level::Warning => 1,
            crate::rule::Level::Note => 0,
        };
        (
            std::cmp::Reverse(new),
            std::cmp::Reverse(effort),
            std::cmp::Reverse(level),
        )
    };
    let mut order: Vec<usize> = (0..audit.findings.len()).collect();
    order.sort_by_key(|&i| (rank(&audit.findings[i]), i));
    order
}

/// The first `keep` of `order`, back in the report's order, and what was left out.
fn select(audit: &Audit, order: &[usize], keep: usize) -> (Vec<usize>, Option<Omitted>) {
    let mut selected = order[..keep.min(order.len())].to_vec();
    selected.sort_unstable();
    if keep >= order.len() {
        return (selected, None);
    }
    let mut omitted = Omitted {
        total: order.len() - keep,
        of: order.len(),
        ..Omitted::default()
    };
    for &i in &order[keep..] {
        let f = &audit.findings[i];
        *omitted.by_category.entry(f.category.as_str()).or_default() += 1;
        for &t in &audit.targets {
            *omitted
                .by_effort
                .entry(t.as_str())
                .or_default()
                .entry(f.effort(t).as_str())
                .or_default() += 1;
        }
        if f.baseline_state == Some(crate::finding::BaselineState::New) {
            omitted.new += 1;
        }
    }
    (selected, Some(omitted))
}

/// The log holding the findings at `selected` (indices in the report's order).
fn write_run(
    audit: &Audit,
    selected: &[usize],
    omitted: Option<&Omitted>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (document, index) = skeleton(audit, selected, omitted);
    let item = |i: usize| result(&audit.findings[selected[i]], &index, &audit.targets);
    Spliced {
        document: &document,
        pointer: "/runs/0/results",
        len: selected.len(),
        item: &item,
        lazy: &[],
    }
    .write_pretty(out)
}

/// The log with an empty `results` array, which [`Spliced`] fills as it writes, and the index of
/// each rule in `tool.driver.rules`.
fn skeleton<'a>(
    audit: &'a Audit,
    selected: &[usize],
    omitted: Option<&Omitted>,
) -> (Value, BTreeMap<&'a str, usize>) {
    // Only the rules that have results, sorted by id, so ruleIndex is stable.
    let mut used: BTreeMap<&str, &Rule> = BTreeMap::new();
    for f in selected.iter().map(|&i| &audit.findings[i]) {
        if let Some(rule) = audit.rules.find_rule(&f.rule_id) {
            used.insert(rule.id.as_str(), rule);
        }
    }
    let index: BTreeMap<&str, usize> = used.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules: Vec<Value> = used.values().map(|r| rule_value(r, audit)).collect();
    let summary = Summary::of(audit);
    let mut notifications: Vec<Value> = audit
        .files
        .skipped
        .iter()
        .map(|n| (n, "skipped"))
        .chain(audit.files.warnings.iter().map(|n| (n, "scanned with a warning")))
        .map(|(n, what)| {
            json!({
                "level": "warning",
                "descriptor": { "id": n.reason },
                "message": { "text": format!("{}: {what} ({}): {}", n.path, n.reason, n.message) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri_escape(&n.path), "uriBaseId": SRCROOT } } }],
            })
        })
        .collect();
    if let Some(o) = omitted {
        notifications.insert(
            0,
            json!({
                "level": "warning",
                "descriptor": { "id": "results-limited" },
                "message": { "text": o.describe() },
            }),
        );
    }
    let mut document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cuda-audit",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
                "properties": {
                    "summary": summary.files_line(),
                    "notAnalysed": summary.not_analysed,
                    "hipFiles": summary.hip_files,
                    "ownUses": summary.own_uses,
                    "ownOnlyFiles": summary.own_only_files,
                    "vendored": summary.vendored.iter().map(|v| json!({ "name": v.name, "path": v.path, "findings": v.findings })).collect::<Vec<_>>(),
                    "vendoredIncluded": summary.vendored_included,
                },
            }],
            "automationDetails": { "id": "cuda-audit/" },
            "columnKind": "utf16CodeUnits",
            "results": [],
        }]
    });
    if let Some(o) = omitted {
        document["runs"][0]["properties"] = json!({
            "omittedResults": {
                "total": o.total,
                "of": o.of,
                "new": o.new,
                "byCategory": o.by_category,
                "byEffort": o.by_effort,
            }
        });
    }
    (document, index)
}

fn rule_value(rule: &Rule, audit: &Audit) -> Value {
    let mut help = format!("{}\n\nPorting effort:\n", rule.help);
    let mut markdown = format!(
        "{}\n\n| target | effort | replacement |\n| --- | --- | --- |\n",
        rule.help
    );
    for &t in &audit.targets {
        let p = rule.portability.get(t);
        let replacement = p.replacement.as_deref().unwrap_or("—");
        help.push_str(&format!("- {t}: {} ({replacement})", p.effort));
        if let Some(note) = &p.note {
            help.push_str(&format!(" — {note}"));
        }
        help.push('\n');
        markdown.push_str(&format!(
            "| {t} | {} | {} |\n",
            p.effort,
            replacement.replace('|', "\\|")
        ));
    }
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": first_paragraph(&rule.help) },
        "help": { "text": help.trim_end(), "markdown": markdown.trim_end() },
        "defaultConfiguration": { "level": rule.level.as_str() },
        "properties": {
            "category": rule.category.as_str(),
            "library": rule.library,
            "tags": tags(rule),
        },
    })
}

/// The name a finding's SARIF fix puts in its place: its ROCm port is an automatic rename to a
/// single name, on one line. `None` when the SARIF result carries no fix.
pub fn rocm_rename(f: &Finding) -> Option<&str> {
    if f.start.line != f.end.line {
        return None;
    }
    let port = f.portability.get(Target::Rocm);
    let replacement = port.replacement.as_deref()?;
    let is_token = !replacement.is_empty()
        && replacement
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'.' | b':'));
    (port.effort == Effort::Automatic && is_token && replacement != f.symbol).then_some(replacement)
}

/// A SARIF `fixes` entry for a finding whose ROCm port is an automatic rename to a single name
/// (`cudaMalloc` → `hipMalloc`, `cuda_runtime.h` → `hip/hip_runtime.h`), so code-scanning tools can
/// offer the edit. Descriptive replacements ("X or Y") get no fix.
fn rename_fix(f: &Finding, targets: &[Target]) -> Option<Value> {
    if !targets.contains(&Target::Rocm) {
        return None;
    }
    let replacement = rocm_rename(f)?;
    Some(json!({
        "description": { "text": format!("Replace `{}` with `{replacement}` (ROCm/HIP)", f.symbol) },
        "artifactChanges": [{
            "artifactLocation": { "uri": uri_escape(&f.path), "uriBaseId": SRCROOT },
            "replacements": [{
                "deletedRegion": {
                    "startLine": f.start.line,
                    "startColumn": f.start.column_utf16,
                    "endLine": f.end.line,
                    "endColumn": f.end.column_utf16,
                },
                "insertedContent": { "text": replacement },
            }],
        }],
    }))
}

/// `cuda`, the category and the library, without repeats (SARIF requires unique tags).
fn tags(rule: &Rule) -> Vec<&str> {
    let mut tags = vec!["cuda"];
    for t in [rule.category.as_str(), rule.library.as_str()] {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

/// `kernel-launch` → `KernelLaunch`: SARIF wants `name` readable and different from `id`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn first_paragraph(text: &str) -> String {
    text.split("\n\n")
        .next()
        .unwrap_or(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Percent-encodes what may not appear raw in a relative URI reference (spaces, `%`, `#`, `?`,
/// non-ASCII), keeping `/` as the separator.
pub fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'+'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b','
            | b';'
            | b'=' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One result as the log writes it: serialised directly (a run can hold tens of thousands),
/// every object's keys in the sorted order the rest of the log has.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixes: Option<[Value; 1]>,
    level: &'static str,
    locations: [LocationOut<'a>; 1],
    message: Text<String>,
    partial_fingerprints: FingerprintsOut<'a>,
    properties: PropertiesOut<'a>,
    rule_id: &'a str,
    rule_index: usize,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationOut<'a> {
    physical_location: PhysicalOut<'a>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalOut<'a> {
    artifact_location: ArtifactOut,
    region: RegionOut<'a>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactOut {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionOut<'a> {
    end_column: usize,
    end_line: usize,
    /// Only on a one-line region (the snippet is that line).
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<Text<&'a str>>,
    start_column: usize,
    start_line: usize,
}

/// A SARIF message or snippet: `{ "text": … }`.
#[derive(serde::Serialize)]
struct Text<T> {
    text: T,
}

/// `partialFingerprints`: one key, [`FINGERPRINT_KEY`].
struct FingerprintsOut<'a> {
    fingerprint: &'a str,
}

impl serde::Serialize for FingerprintsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(FINGERPRINT_KEY, self.fingerprint)?;
        map.end()
    }
}

#[derive(serde::Serialize)]
struct PropertiesOut<'a> {
    category: &'static str,
    library: &'a str,
    portability: BTreeMap<&'static str, super::json::PortOut<'a>>,
    symbol: &'a str,
}

/// One finding as a SARIF result.
fn result<'a>(f: &'a Finding, index: &BTreeMap<&str, usize>, targets: &[Target]) -> ResultOut<'a> {
    let message = match &f.detail {
        Some(detail) => format!("{} ({detail})", f.message),
        None => f.message.clone(),
    };
    ResultOut {
        baseline_state: f.baseline_state.map(|state| state.as_str()),
        fixes: rename_fix(f, targets).map(|fix| [fix]),
        level: f.level.as_str(),
        locations: [LocationOut {
            physical_location: PhysicalOut {
                artifact_location: ArtifactOut {
                    uri: uri_escape(&f.path),
                    uri_base_id: SRCROOT,
                },
                region: RegionOut {
                    end_column: f.end.column_utf16,
                    end_line: f.end.line,
                    snippet: (f.end.line == f.start.line).then_some(Text { text: &f.snippet }),
                    start_column: f.start.column_utf16,
                    start_line: f.start.line,
                },
            },
        }],
        message: Text { text: message },
        partial_fingerprints: FingerprintsOut {
            fingerprint: &f.fingerprint,
        },
        properties: PropertiesOut {
            category: f.category.as_str(),
            library: &f.library,
            portability: super::json::portability_out(&f.portability, targets),
            symbol: &f.symbol,
        },
        rule_id: &f.rule_id,
        rule_index: index[f.rule_id.as_str()],
    }
}

#[cfg(test)]
mod tests {
    use super::{FINGERPRINT_KEY, FingerprintsOut, uri_escape};

    #[test]
    fn the_fingerprint_key_is_the_documented_one() {
        let out = serde_json::to_value(FingerprintsOut { fingerprint: "f" }).unwrap();
        assert_eq!(out, serde_json::json!({ FINGERPRINT_KEY: "f" }));
    }

    #[test]
    fn escapes_uri_paths() {
        assert_eq!(uri_escape("src/a b/ü#1.cu"), "src/a%20b/%C3%BC%231.cu");
    }
}
