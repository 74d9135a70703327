//! SARIF 2.1.0 for GitHub code scanning and other dashboards.
//!
//! What GitHub needs beyond schema validity: rules with short/full descriptions and help,
//! relative artifact URIs with a `uriBaseId`, 1-based regions, columns in UTF-16 code units
//! (SARIF's default `columnKind`), and `partialFingerprints` that survive code moving. Each
//! result's `properties` carries exactly `category`, `symbol`, `library` and `portability`.

use super::Reporter;
use super::json::portability_value;
use super::stream::Spliced;
use crate::finding::Finding;
use crate::portability::{Effort, Target};
use crate::rule::Rule;
use crate::scan::Audit;
use crate::summary::Summary;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};

pub const SRCROOT: &str = "%SRCROOT%";
pub const FINGERPRINT_KEY: &str = "cudaAudit/v1";
const INFORMATION_URI: &str = "https://github.com/cuda-audit/cuda-audit";

pub struct SarifReporter;

impl Reporter for SarifReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        let (document, index) = skeleton(audit);
        let item = |i: usize| result(&audit.findings[i], &index, &audit.targets);
        Spliced {
            document: &document,
            pointer: "/runs/0/results",
            len: audit.findings.len(),
            item: &item,
            lazy: &[],
        }
        .write_pretty(out)
    }
}

/// The log with an empty `results` array, which [`Spliced`] fills as it writes, and the index of
/// each rule in `tool.driver.rules`.
fn skeleton(audit: &Audit) -> (Value, BTreeMap<&str, usize>) {
    // Only the rules that have results, sorted by id, so ruleIndex is stable.
    let mut used: BTreeMap<&str, &Rule> = BTreeMap::new();
    for f in &audit.findings {
        if let Some(rule) = audit.rules.find_rule(&f.rule_id) {
            used.insert(rule.id.as_str(), rule);
        }
    }
    let index: BTreeMap<&str, usize> = used.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules: Vec<Value> = used.values().map(|r| rule_value(r, audit)).collect();
    let summary = Summary::of(audit);
    let notifications: Vec<Value> = audit
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
    let document = json!({
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
                    "vendored": summary.vendored.iter().map(|v| json!({ "name": v.name, "path": v.path, "findings": v.findings })).collect::<Vec<_>>(),
                    "vendoredIncluded": summary.vendored_included,
                },
            }],
            "automationDetails": { "id": "cuda-audit/" },
            "columnKind": "utf16CodeUnits",
            "results": [],
        }]
    });
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

/// A SARIF `fixes` entry for a finding whose ROCm port is an automatic rename to a single name
/// (`cudaMalloc` → `hipMalloc`, `cuda_runtime.h` → `hip/hip_runtime.h`), so code-scanning tools can
/// offer the edit. Descriptive replacements ("X or Y") get no fix.
fn rename_fix(f: &Finding, targets: &[Target]) -> Option<Value> {
    if !targets.contains(&Target::Rocm) || f.start.line != f.end.line {
        return None;
    }
    let port = f.portability.get(Target::Rocm);
    let replacement = port.replacement.as_deref()?;
    let is_token = !replacement.is_empty()
        && replacement
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'.' | b':'));
    if port.effort != Effort::Automatic || !is_token || replacement == f.symbol {
        return None;
    }
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

/// One finding as a SARIF result.
fn result(f: &Finding, index: &BTreeMap<&str, usize>, targets: &[Target]) -> Value {
    let mut region = json!({
        "startLine": f.start.line,
        "startColumn": f.start.column_utf16,
        "endLine": f.end.line,
        "endColumn": f.end.column_utf16,
        "snippet": { "text": f.snippet },
    });
    if f.end.line != f.start.line {
        region.as_object_mut().expect("object").remove("snippet");
    }
    let mut message = f.message.clone();
    if let Some(detail) = &f.detail {
        message.push_str(&format!(" ({detail})"));
    }
    let mut result = json!({
        "ruleId": f.rule_id,
        "ruleIndex": index[f.rule_id.as_str()],
        "level": f.level.as_str(),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri_escape(&f.path), "uriBaseId": SRCROOT },
                "region": region,
            }
        }],
        "partialFingerprints": { FINGERPRINT_KEY: f.fingerprint },
        "properties": {
            "category": f.category.as_str(),
            "symbol": f.symbol,
            "library": f.library,
            "portability": portability_value(f, targets),
        },
    });
    if let Some(state) = f.baseline_state {
        result["baselineState"] = json!(state.as_str());
    }
    if let Some(fix) = rename_fix(f, targets) {
        result["fixes"] = json!([fix]);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::uri_escape;

    #[test]
    fn escapes_uri_paths() {
        assert_eq!(uri_escape("src/a b/ü#1.cu"), "src/a%20b/%C3%BC%231.cu");
    }
}
