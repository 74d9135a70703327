//! The JSON report. Its shape is a promise to scripts: see docs/json-report.md. Bump
//! [`SCHEMA_VERSION`] on any change that removes or renames a key.

use super::Reporter;
use super::stream::{Lazy, Spliced};
use crate::audit::{Audit, FileNote};
use crate::finding::Finding;
use crate::portability::{Effort, Portability, Target};
use crate::rule::Rule;
use crate::summary::Summary;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

pub const SCHEMA_VERSION: u32 = 1;

pub struct JsonReporter {
    /// `--statistics`: the summary without the `findings` array.
    pub statistics: bool,
}

impl Reporter for JsonReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        // `findings` comes before `summary` in the report: the summary is computed on another
        // thread while the findings are written, and waited for when its turn comes.
        std::thread::scope(|scope| {
            let pending = std::sync::Mutex::new(Some(scope.spawn(|| Summary::of(audit))));
            let summary = std::sync::OnceLock::new();
            let summary = || {
                summary.get_or_init(|| {
                    let handle = pending.lock().map(|mut h| h.take()).ok().flatten();
                    let summary = handle.expect("joined once").join();
                    crate::timings::phase("summary");
                    summary.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
            };
            let mut document = skeleton(audit);
            if self.statistics {
                document
                    .as_object_mut()
                    .expect("an object")
                    .remove("findings");
            }
            let item = |i: usize| finding(&audit.findings[i], &audit.targets);
            let mut lazy: Vec<Lazy<'_>> = vec![(
                "/summary".into(),
                Box::new(|| {
                    let mut v = summary_value(summary());
                    v["existing_ports"] = existing_ports_value(audit);
                    v
                }),
            )];
            lazy.extend(lazy_sections(&summary, &audit.targets));
            Spliced {
                document: &document,
                pointer: "/findings",
                len: audit.findings.len(),
                item: &item,
                lazy: &lazy,
            }
            .write_pretty(out)
        })
    }
}

/// The report with an empty `findings` array and a `summary` placeholder, which [`Spliced`] fills
/// as it writes.
fn skeleton(audit: &Audit) -> Value {
    let mut report = json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "cuda-audit", "version": env!("CARGO_PKG_VERSION") },
        "targets": audit.targets.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "findings": [],
        "summary": null,
        "files": {
            "skipped": audit.files.skipped.iter().map(note).collect::<Vec<_>>(),
            "warnings": audit.files.warnings.iter().map(note).collect::<Vec<_>>(),
        },
    });
    if let Some(gate) = gate_value(audit) {
        report["gate"] = gate;
    }
    // Which project, commit and date: present in reports written by the command line.
    if let Some(source) = &audit.provenance {
        report["source"] = json!(source);
    }
    report
}

/// What existing portability layers cover: findings per target and layer, the shim files, the
/// shims' gaps, and the macros recognised as ROCm switches.
fn existing_ports_value(audit: &Audit) -> Value {
    let r = &audit.existing_ports;
    let mut covered: Map<String, Value> = Map::new();
    for &t in &audit.targets {
        let mut by_layer: Map<String, Value> = Map::new();
        let mut total = 0;
        for f in audit.findings.iter().filter(|f| {
            f.existing_port
                .as_ref()
                .is_some_and(|p| p.targets.contains(&t))
        }) {
            let layer = f.existing_port.as_ref().expect("filtered").layer.as_str();
            total += 1;
            let n = by_layer.entry(layer.to_string()).or_insert(json!(0));
            *n = json!(n.as_u64().unwrap_or(0) + 1);
        }
        covered.insert(
            t.as_str().to_string(),
            json!({ "findings": total, "by_layer": by_layer }),
        );
    }
    json!({
        "covered": covered,
        "shim_files": r.shim_files.iter().map(|s| {
            let mut v = json!({ "path": s.path, "entries": s.entries });
            if let Some(sel) = &s.selected_by {
                v["selected_by"] = json!(sel);
            }
            v
        }).collect::<Vec<_>>(),
        "shim_gaps": r.shim_gaps.iter().map(|(s, n)| json!({ "symbol": s, "occurrences": n })).collect::<Vec<_>>(),
        "rocm_macros": r.rocm_macros,
        "rocm_builds": r.rocm_builds.iter().map(|b| json!({
            "at": b.at, "kind": b.kind, "rocm_evidence": b.rocm_evidence, "files": b.files,
        })).collect::<Vec<_>>(),
    })
}

/// The gate's answer (docs/json-report.md): verdict, counts of new and known findings, stale
/// baseline entries, what the change costs each target's score, and any baseline update.
/// Present only when the scan compared against a baseline or a diff base.
fn gate_value(audit: &Audit) -> Option<Value> {
    let gate = audit.gate.as_ref()?;
    let mut v = json!({
        "verdict": gate.verdict.as_str(),
        "new": gate.new,
        "unchanged": gate.known,
        "failing": gate.failing,
        "stale_baseline_entries": gate.stale,
        "scores_without_new": gate.before.iter().map(|s| (s.target.as_str().to_string(), json!(s.score))).collect::<Map<String, Value>>(),
    });
    if let Some(b) = &gate.baseline {
        v["baseline"] = json!(b);
    }
    if let Some(d) = &gate.diff_base {
        v["diff_base"] = json!(d.commit);
        v["diff_rev"] = json!(d.rev);
    }
    if let Some(u) = &gate.update {
        v["baseline_update"] = json!({
            "path": u.path,
            "entries": u.entries,
            "added": u.added,
            "dropped": u.dropped,
            "kept_outside": u.kept_outside,
        });
    }
    Some(v)
}

/// One finding as the report writes it: serialised directly (a report can hold hundreds of
/// thousands), with the keys in the sorted order every other object of the report has.
#[derive(serde::Serialize)]
struct FindingOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    category: &'static str,
    column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    end_column: usize,
    end_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    existing_port: Option<ExistingPortOut<'a>>,
    fingerprint: &'a str,
    level: &'static str,
    library: &'a str,
    line: usize,
    message: &'a str,
    path: &'a str,
    portability: std::collections::BTreeMap<&'static str, PortOut<'a>>,
    rule_id: &'a str,
    snippet: &'a str,
    symbol: &'a str,
}

/// A port as every report writes it (`effort`, `note`, `replacement`): keys sorted.
#[derive(serde::Serialize)]
pub(super) struct PortOut<'a> {
    effort: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replacement: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct ExistingPortOut<'a> {
    evidence: &'a str,
    layer: &'static str,
    targets: Vec<&'static str>,
}

/// `{ "rocm": {effort, replacement?, note?}, ... }` for the given targets, serialised directly
/// (JSON findings, SARIF results, rule listings).
pub(super) fn portability_out<'a>(
    portability: &'a Portability,
    targets: &[Target],
) -> std::collections::BTreeMap<&'static str, PortOut<'a>> {
    targets
        .iter()
        .map(|&t| {
            let port = portability.get(t);
            let out = PortOut {
                effort: port.effort.as_str(),
                note: port.note.as_deref(),
                replacement: port.replacement.as_deref(),
            };
            (t.as_str(), out)
        })
        .collect()
}

fn finding<'a>(f: &'a Finding, targets: &[Target]) -> FindingOut<'a> {
    FindingOut {
        baseline_state: f.baseline_state.map(|s| s.as_str()),
        category: f.category.as_str(),
        column: f.start.column,
        detail: f.detail.as_deref(),
        end_column: f.end.column,
        end_line: f.end.line,
        existing_port: f.existing_port.as_ref().map(|p| ExistingPortOut {
            evidence: &p.evidence,
            layer: p.layer.as_str(),
            targets: p.targets.iter().map(|t| t.as_str()).collect(),
        }),
        fingerprint: &f.fingerprint,
        level: f.level.as_str(),
        library: &f.library,
        line: f.start.line,
        message: &f.message,
        path: &f.path,
        portability: portability_out(&f.portability, targets),
        rule_id: &f.rule_id,
        snippet: &f.snippet,
        symbol: &f.symbol,
    }
}

fn summary_value(s: &Summary) -> Value {
    let targets: Map<String, Value> = s
        .targets
        .iter()
        .map(|(t, counts)| {
            let mut v = json!({ "counts": effort_counts(counts) });
            if let Some(score) = s.score(*t) {
                score_fields(&mut v, score);
            }
            (t.as_str().to_string(), v)
        })
        .collect();
    json!({
        "findings": s.findings,
        "suppressed": s.suppressed,
        "files_with_findings": s.files_with_findings,
        "files": {
            "scanned": s.files_scanned,
            "bytes": s.bytes_scanned,
            "skipped": s.files_skipped(),
            "skipped_by_reason": s.skipped_by_reason,
            "warnings": s.warnings_by_reason.values().sum::<usize>(),
            "warnings_by_reason": s.warnings_by_reason,
            "not_analysed": s.not_analysed,
            "hip": s.hip_files,
            "line": s.files_line(),
        },
        "project": {
            "names": s.project_names,
            "own_uses": s.own_uses,
            "own_only_files": s.own_only_files,
        },
        "vendored": {
            "included": s.vendored_included,
            "libraries": s.vendored.iter().map(vendored_value).collect::<Vec<_>>(),
        },
        "by_category": s.by_category.iter().map(|(c, n)| (c.as_str().to_string(), json!(n))).collect::<Map<_, _>>(),
        "by_library": s.by_library,
        "by_rule": s.by_rule,
        "targets": targets,
        // Built while written (`lazy_sections`): on a large tree these are tens of megabytes.
        "api_surface": null,
        "scoring": serde_json::to_value(s.weights).unwrap_or(Value::Null),
        "breakdown": null,
        "blockers": s.blockers.iter().map(|(t, _)| (t.as_str().to_string(), Value::Null)).collect::<Map<_, _>>(),
    })
}

fn vendored_value(v: &crate::project::VendoredLibrary) -> Value {
    json!({
        "name": v.name,
        "path": v.path,
        "reason": v.reason,
        "findings": v.findings,
        "files": v.files,
        "by_library": v.by_library,
        "names": v.names.iter().map(|(n, c)| json!({ "name": n, "occurrences": c })).collect::<Vec<_>>(),
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
    let portability = portability_out(&rule.portability, &Target::ALL);
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

/// Adds the score keys of one target (docs/scoring.md) next to its `counts`.
fn score_fields(v: &mut Value, score: &crate::score::TargetScore) {
    let c = &score.cost;
    v["distinct"] = effort_counts(&c.distinct);
    v["decision_points"] = json!(c.decision_points);
    v["edit_points"] = json!(c.edit_points);
    v["effort_points"] = json!(c.points());
    v["score"] = json!(score.score);
}

/// `{ "rocm": { counts, effort_points, score }, … }` for one breakdown group.
fn group_targets(g: &crate::breakdown::Group) -> Value {
    Value::Object(
        g.targets
            .iter()
            .map(|ts| {
                (
                    ts.target.as_str().to_string(),
                    json!({
                        "counts": effort_counts(&ts.cost.counts),
                        "effort_points": ts.points(),
                        "score": ts.score,
                    }),
                )
            })
            .collect(),
    )
}

fn breakdown_value(b: &crate::breakdown::Breakdown) -> Value {
    use crate::breakdown::{dir_depth, parent_dir};
    let groups = |list: &[crate::breakdown::Group], key: &str| -> Vec<Value> {
        list.iter()
            .map(|g| {
                let mut v = json!({
                    key: g.key,
                    "findings": g.findings,
                    "files": g.files,
                    "targets": group_targets(g),
                });
                if key == "path" {
                    v.as_object_mut().map(|m| m.remove("files"));
                }
                v
            })
            .collect()
    };
    let directories: Vec<Value> = b
        .directories
        .iter()
        .map(|g| {
            json!({
                "path": g.key,
                "parent": parent_dir(&g.key),
                "depth": dir_depth(&g.key),
                "findings": g.findings,
                "files": g.files,
                "targets": group_targets(g),
            })
        })
        .collect();
    json!({
        "directories": directories,
        "files": groups(&b.files, "path"),
        "categories": groups(&b.categories, "category"),
        "libraries": groups(&b.libraries, "library"),
    })
}

/// The summary's large sections, as [`super::stream::Spliced`] placeholders.
fn lazy_sections<'a>(
    summary: &'a (dyn Fn() -> &'a Summary + Sync + 'a),
    targets: &'a [Target],
) -> Vec<Lazy<'a>> {
    let mut lazy: Vec<Lazy<'a>> = vec![
        (
            "/summary/api_surface".into(),
            Box::new(|| {
                Value::Object(
                    summary()
                        .libraries
                        .iter()
                        .map(|lib| (lib.library.clone(), library_value(lib)))
                        .collect(),
                )
            }),
        ),
        (
            "/summary/breakdown".into(),
            Box::new(|| breakdown_value(&summary().breakdown)),
        ),
    ];
    for &t in targets {
        lazy.push((
            format!("/summary/blockers/{}", t.as_str()),
            Box::new(move || {
                let libs = summary().blockers.iter().find(|(bt, _)| *bt == t);
                blocker_libraries_value(libs.map_or(&[][..], |(_, l)| l))
            }),
        ));
    }
    lazy
}

fn blocker_libraries_value(libs: &[crate::breakdown::BlockerLibrary]) -> Value {
    let libs: Vec<Value> = libs
        .iter()
        .map(|lib| {
            json!({
                "library": lib.library,
                "occurrences": lib.occurrences,
                "files": lib.files,
                "effort_points": lib.points,
                "symbols": lib.symbols.iter().map(|b| {
                    let mut v = json!({
                        "symbol": b.symbol,
                        "category": b.category.as_str(),
                        "occurrences": b.occurrences,
                        "files": b.files,
                        "effort_points": b.points,
                        "locations": b.locations.iter()
                            .map(|(path, line)| json!({ "path": path, "line": line }))
                            .collect::<Vec<_>>(),
                    });
                    if let Some(r) = &b.replacement {
                        v["replacement"] = json!(r);
                    }
                    if let Some(n) = &b.note {
                        v["note"] = json!(n);
                    }
                    v
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    Value::Array(libs)
}
