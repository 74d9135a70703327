//! The inventory as JSON (docs/json-report.md, "merge"): `repositories[]` with each one's
//! `targets.<target>`, and the `organisation` object. Keys are sorted, as in the scan's report.

use super::inventory::{Blocker, Inventory, Library, Repository};
use crate::portability::Effort;
use crate::report::json::SCHEMA_VERSION;
use serde_json::{Map, Value, json};

/// `{none, automatic, manual, rewrite}`.
fn counts(c: &[usize; 4]) -> Value {
    Value::Object(
        Effort::ALL
            .iter()
            .map(|e| (e.as_str().to_string(), json!(c[e.index()])))
            .collect(),
    )
}

fn repository(r: &Repository) -> Value {
    let targets: Map<String, Value> = r
        .targets
        .iter()
        .filter_map(|t| Some((t, r.summary.targets.get(t)?)))
        .map(|(t, s)| {
            (
                t.as_str().to_string(),
                json!({
                    "score": s.score,
                    "effort_points": s.effort_points,
                    "decision_points": s.decision_points,
                    "edit_points": s.edit_points,
                    "counts": counts(&s.counts.array()),
                    "distinct": counts(&s.distinct.array()),
                }),
            )
        })
        .collect();
    json!({
        "name": r.name,
        "report": r.file,
        "commit": r.commit,
        "branch": r.branch,
        "date": r.date,
        "tool_version": r.tool_version,
        "findings": r.summary.findings,
        "files_scanned": r.summary.files.scanned,
        "files_with_findings": r.summary.files_with_findings,
        "targets": targets,
    })
}

fn library(l: &Library) -> Value {
    json!({
        "library": l.library,
        "repositories": l.used_by.len(),
        "used_by": l.used_by,
        "findings": l.findings,
        "files": l.files,
        "names": l.names,
        "targets": l.targets.iter().map(|(t, c, p)| (t.as_str().to_string(), json!({
            "counts": counts(c),
            "effort_points": p,
        }))).collect::<Map<_, _>>(),
    })
}

fn blocker(b: &Blocker) -> Value {
    json!({
        "library": b.library,
        "repositories": b.used_by.len(),
        "used_by": b.used_by,
        "effort_points": b.effort_points,
        "occurrences": b.occurrences,
        "files": b.files,
        "symbols": b.symbols.iter().map(|s| {
            let mut v = json!({
                "symbol": s.symbol,
                "category": s.category,
                "repositories": s.used_by.len(),
                "used_by": s.used_by,
                "occurrences": s.occurrences,
                "effort_points": s.effort_points,
            });
            if let Some(r) = &s.replacement {
                v["replacement"] = json!(r);
            }
            v
        }).collect::<Vec<_>>(),
    })
}

pub fn to_json(inv: &Inventory) -> Value {
    let totals: Map<String, Value> = inv
        .totals
        .iter()
        .map(|t| {
            (
                t.target.as_str().to_string(),
                json!({
                    "counts": counts(&t.counts),
                    "decision_points": t.decision_points,
                    "edit_points": t.edit_points,
                    "effort_points": t.effort_points,
                    "repositories_with_rewrite": t.repositories_with_rewrite,
                    "score": t.score,
                }),
            )
        })
        .collect();
    json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "cuda-audit", "version": env!("CARGO_PKG_VERSION") },
        "targets": inv.targets.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "missing_targets": inv.missing.iter().map(|(t, names)| (t.as_str().to_string(), json!(names))).collect::<Map<_, _>>(),
        "notes": std::iter::once(inv.targets_line(|n| n.to_string())).chain(inv.notes.iter().cloned()).collect::<Vec<_>>(),
        "repositories": inv.repositories.iter().map(repository).collect::<Vec<_>>(),
        "organisation": {
            "repositories": inv.repositories.len(),
            "findings": inv.findings,
            "files_scanned": inv.files_scanned,
            "files_with_findings": inv.files_with_findings,
            "targets": totals,
            "libraries": inv.libraries.iter().map(library).collect::<Vec<_>>(),
            "blockers": inv.blockers.iter().map(|(t, libs)| (t.as_str().to_string(), json!(libs.iter().map(blocker).collect::<Vec<_>>()))).collect::<Map<_, _>>(),
            "scoring": inv.weights,
        },
    })
}
