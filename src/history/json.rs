//! The history as JSON (docs/history.md): the points oldest first, each with its commit, its
//! committer date, per target the score, effort points and findings per effort class, and the
//! libraries with the most findings; then the jumps. Bump [`SCHEMA_VERSION`] on any change that
//! removes or renames a key.

use super::series::{Move, jumps};
use super::{Series, Window, iso_utc};
use crate::portability::Effort;
use serde_json::{Map, Value, json};

pub const SCHEMA_VERSION: u32 = 1;

/// Libraries listed per point.
pub const TOP_LIBRARIES: usize = 10;

/// The document, pretty-printed, with a final newline.
pub fn render(series: &Series) -> String {
    let mut s = serde_json::to_string_pretty(&value(series)).expect("a JSON value serializes");
    s.push('\n');
    s
}

pub fn value(series: &Series) -> Value {
    let window = match series.window {
        Window::Commits(n) => json!({ "commits": n }),
        Window::Since(secs) => json!({ "since": iso_utc(secs) }),
    };
    let points: Vec<Value> = series
        .points
        .iter()
        .map(|p| {
            let targets: Map<String, Value> = p
                .targets
                .iter()
                .map(|t| {
                    let counts: Map<String, Value> = Effort::ALL
                        .iter()
                        .map(|e| (e.as_str().to_string(), json!(t.counts[e.index()])))
                        .collect();
                    (
                        t.target.as_str().to_string(),
                        json!({ "score": t.score, "effort_points": t.effort_points, "counts": counts }),
                    )
                })
                .collect();
            json!({
                "commit": p.commit.id,
                "date": iso_utc(p.commit.time),
                "subject": p.commit.subject,
                "findings": p.findings,
                "files_scanned": p.files_scanned,
                "targets": targets,
                "libraries": p.top_libraries(TOP_LIBRARIES).iter()
                    .map(|(l, n)| json!({ "library": l, "findings": n }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "cuda-audit", "version": env!("CARGO_PKG_VERSION") },
        "source": { "name": series.name, "branch": series.branch },
        "paths": if series.paths.is_empty() { vec![".".to_string()] } else { series.paths.clone() },
        "targets": series.targets.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "window": window,
        "every": series.every,
        "commits_in_window": series.commits_in_window,
        "shallow": series.shallow_cut,
        "points": points,
        "jumps": jumps(&series.points).iter().map(|m| jump_value(series, m)).collect::<Vec<_>>(),
    })
}

fn jump_value(series: &Series, m: &Move) -> Value {
    let (before, after) = (&series.points[m.index - 1], &series.points[m.index]);
    let scores: Map<String, Value> = m
        .deltas
        .iter()
        .map(|(t, d)| {
            (
                t.as_str().to_string(),
                json!({ "from": before.score(*t), "to": after.score(*t), "delta": d }),
            )
        })
        .collect();
    json!({
        "commit": after.commit.id,
        "previous": before.commit.id,
        "date": iso_utc(after.commit.time),
        "subject": after.commit.subject,
        "scores": scores,
        "libraries": m.libraries.iter().map(|(l, a, b)| json!({
            "library": l, "from": a, "to": b, "delta": *b as i64 - *a as i64,
        })).collect::<Vec<_>>(),
    })
}
