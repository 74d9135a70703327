//! The plan as JSON (docs/plan.md): `target`, `totals`, the `steps` array, `covered` and
//! `cannot_judge`. Keys are sorted; every list has a fixed order, so the same tree gives the same
//! bytes.

use super::{Limit, Plan, Step};
use crate::portability::Effort;
use serde_json::{Map, Value, json};

/// The plan's format version; bumped when a key is removed or renamed.
pub const PLAN_VERSION: u32 = 1;

/// The plan as pretty-printed JSON, ending with a newline.
pub fn render(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(&value(plan)).expect("a JSON value serializes");
    s.push('\n');
    s
}

fn value(plan: &Plan) -> Value {
    let t = &plan.totals;
    let c = &plan.covered;
    let mut v = json!({
        "version": PLAN_VERSION,
        "tool": { "name": "cuda-audit", "version": env!("CARGO_PKG_VERSION") },
        "target": plan.target.as_str(),
        "totals": {
            "steps": plan.steps.len(),
            "findings": t.findings,
            "by_effort": efforts(&t.by_effort),
            "files": t.files,
            "points": t.points,
            "score": plan.score,
            "covered": t.covered,
            "unchanged": t.unchanged,
        },
        "steps": plan.steps.iter().enumerate().map(|(i, s)| step(i + 1, s)).collect::<Vec<_>>(),
        "covered": {
            "findings": c.findings,
            "files": c.files,
            "by_layer": layers(&c.by_layer),
            "shim_files": c.shim_files.iter().map(|(path, entries)| json!({ "path": path, "entries": entries })).collect::<Vec<_>>(),
            "shim_gaps": c.shim_gaps,
            "rocm_builds": c.rocm_builds,
            "rocm_macros": c.rocm_macros,
            "hip_files": c.hip_files,
        },
        "cannot_judge": plan.cannot_judge.iter().map(limit).collect::<Vec<_>>(),
    });
    if let Some(source) = &plan.provenance {
        v["source"] = json!(source);
    }
    v
}

fn efforts(counts: &[usize; 4]) -> Value {
    Effort::ALL
        .iter()
        .filter(|e| **e != Effort::None)
        .map(|e| (e.as_str().to_string(), json!(counts[e.index()])))
        .collect::<Map<String, Value>>()
        .into()
}

fn layers(by_layer: &std::collections::BTreeMap<crate::finding::Layer, usize>) -> Value {
    by_layer
        .iter()
        .map(|(l, n)| (l.as_str().to_string(), json!(n)))
        .collect::<Map<String, Value>>()
        .into()
}

fn step(number: usize, s: &Step) -> Value {
    let mut v = json!({
        "number": number,
        "phase": s.phase(),
        "kind": s.kind.as_str(),
        "title": s.title,
        "summary": s.summary,
        "effort": s.effort.as_str(),
        "findings": s.findings,
        "by_effort": efforts(&s.by_effort),
        "by_category": s.by_category.iter().map(|(c, n)| (c.as_str().to_string(), json!(n))).collect::<Map<String, Value>>(),
        "points": s.points,
        "files": s.files.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        "replacements": s.replacements.iter().map(|r| {
            let mut v = json!({
                "library": r.library,
                "symbol": r.symbol,
                "effort": r.effort.as_str(),
                "findings": r.findings,
            });
            if let Some(rep) = &r.replacement {
                v["replacement"] = json!(rep);
            }
            v
        }).collect::<Vec<_>>(),
        "covered": {
            "findings": s.covered,
            "by_layer": layers(&s.covered_by_layer),
        },
    });
    if let Some(library) = &s.library {
        v["library"] = json!(library);
    }
    if let Some(h) = &s.hipify {
        v["hipify"] = json!({
            "command": (!h.files.is_empty()).then(|| super::Hipify::command(&h.files)),
            "files": h.files,
            "other_files": h.other_files,
            "sarif_fixes": h.sarif_fixes,
        });
    }
    v
}

fn limit(l: &Limit) -> Value {
    json!({
        "topic": l.topic,
        "title": l.title,
        "text": l.text,
        "items": l.items,
    })
}
