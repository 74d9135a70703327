//! The JSON report. Its shape is a promise to scripts: see docs/json-report.md. Bump
//! [`SCHEMA_VERSION`] on any change that removes or renames a key.

use super::Reporter;
use crate::finding::Finding;
use crate::portability::{Effort, Port, Target};
use crate::rule::Rule;
use crate::scan::{Audit, FileNote};
use crate::summary::Summary;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

pub const SCHEMA_VERSION: u32 = 1;

pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &to_value(audit))?;
        out.write_all(b"\n")
    }
}

pub fn to_value(audit: &Audit) -> Value {
    let summary = Summary::of(audit);
    json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "cuda-audit", "version": env!("CARGO_PKG_VERSION") },
        "targets": audit.targets.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "findings": audit.findings.iter().map(|f| finding(f, &audit.targets)).collect::<Vec<_>>(),
        "summary": summary_value(&summary),
        "files": {
            "skipped": audit.files.skipped.iter().map(note).collect::<Vec<_>>(),
            "warnings": audit.files.warnings.iter().map(note).collect::<Vec<_>>(),
        },
    })
}

pub fn port_value(port: &Port) -> Value {
    let mut m = Map::new();
    m.insert("effort".into(), json!(port.effort.as_str()));
    if let Some(r) = &port.replacement {
        m.insert("replacement".into(), json!(r));
    }
    if let Some(n) = &port.note {
        m.insert("note".into(), json!(n));
    }
    Value::Object(m)
}

/// `{ "rocm": {effort, replacement?, note?}, ... }` for the selected targets.
pub fn portability_value(f: &Finding, targets: &[Target]) -> Value {
    let m: Map<String, Value> = targets
        .iter()
        .map(|&t| (t.as_str().to_string(), port_value(f.portability.get(t))))
        .collect();
    Value::Object(m)
}

fn finding(f: &Finding, targets: &[Target]) -> Value {
    let mut v = json!({
        "rule_id": f.rule_id,
        "category": f.category.as_str(),
        "library": f.library,
        "symbol": f.symbol,
        "message": f.message,
        "level": f.level.as_str(),
        "path": f.path,
        "line": f.start.line,
        "column": f.start.column,
        "end_line": f.end.line,
        "end_column": f.end.column,
        "snippet": f.snippet,
        "fingerprint": f.fingerprint,
        "portability": portability_value(f, targets),
    });
    if let Some(d) = &f.detail {
        v["detail"] = json!(d);
    }
    v
}

fn summary_value(s: &Summary) -> Value {
    let targets: Map<String, Value> = s
        .targets
        .iter()
        .map(|(t, counts)| {
            (
                t.as_str().to_string(),
                json!({ "counts": effort_counts(counts) }),
            )
        })
        .collect();
    json!({
        "findings": s.findings,
        "files_with_findings": s.files_with_findings,
        "files": {
            "scanned": s.files_scanned,
            "bytes": s.bytes_scanned,
            "skipped": s.files_skipped(),
            "skipped_by_reason": s.skipped_by_reason,
            "warnings": s.warnings_by_reason.values().sum::<usize>(),
            "warnings_by_reason": s.warnings_by_reason,
            "line": s.files_line(),
        },
        "by_category": s.by_category.iter().map(|(c, n)| (c.as_str().to_string(), json!(n))).collect::<Map<_, _>>(),
        "by_library": s.by_library,
        "by_rule": s.by_rule,
        "targets": targets,
        "api_surface": s.libraries.iter().map(|lib| (lib.library.clone(), library_value(lib))).collect::<Map<_, _>>(),
    })
}

fn effort_counts(counts: &[usize; 4]) -> Value {
    Value::Object(
        Effort::ALL
            .iter()
            .map(|e| (e.as_str().to_string(), json!(counts[e.index()])))
            .collect(),
    )
}

fn library_value(lib: &crate::summary::LibraryInventory) -> Value {
    json!({
        "occurrences": lib.occurrences,
        "files": lib.files,
        "distinct_symbols": lib.symbols.len(),
        "targets": lib.targets.iter().map(|(t, c)| (t.as_str().to_string(), effort_counts(c))).collect::<Map<_, _>>(),
        "symbols": lib.symbols.iter().map(|s| json!({
            "symbol": s.symbol,
            "occurrences": s.occurrences,
            "files": s.files,
            "effort": s.efforts.iter().map(|(t, e)| (t.as_str().to_string(), json!(e.as_str()))).collect::<Map<_, _>>(),
        })).collect::<Vec<_>>(),
    })
}

fn note(n: &FileNote) -> Value {
    json!({ "path": n.path, "reason": n.reason, "message": n.message })
}

/// A rule as `cuda-audit rules --format json` lists it.
pub fn rule_value(rule: &Rule) -> Value {
    let portability: Map<String, Value> = Target::ALL
        .iter()
        .map(|&t| (t.as_str().to_string(), port_value(rule.portability.get(t))))
        .collect();
    json!({
        "id": rule.id,
        "title": rule.title,
        "category": rule.category.as_str(),
        "library": rule.library,
        "languages": rule.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "level": rule.level.as_str(),
        "help": rule.help,
        "portability": portability,
        "matchers": rule.matchers,
        "origin": rule.origin,
    })
}
