//! The writers, from fuzzed findings: arbitrary paths, symbols, messages, snippets, replacements,
//! notes, positions, targets, baseline states and score weights (everything a scan or a
//! configuration can put in an audit) → the JSON report parses, the SARIF report validates against
//! the 2.1.0 schema, and no format panics. `cargo fuzz run report_findings` (CONTRIBUTING.md).
#![no_main]

use arbitrary::Arbitrary;
use cuda_audit::audit::{Audit, FileNote, FileReport};
use cuda_audit::baseline::Entry;
use cuda_audit::finding::BaselineState;
use cuda_audit::finding::{Finding, Location};
use cuda_audit::gate::{DiffBase, FailOn, GateReport, Verdict};
use cuda_audit::lang::Lang;
use cuda_audit::portability::{Effort, Port, Portability, Target};
use cuda_audit::score::{ClassWeights, ScoreWeights};
use cuda_audit_fuzz::{FILES, check_reports, rules};
use std::sync::{Arc, OnceLock};

#[derive(Arbitrary, Debug)]
struct FuzzPort {
    effort: u8,
    replacement: Option<String>,
    note: Option<String>,
}

#[derive(Arbitrary, Debug)]
struct FuzzFinding {
    rule: u16,
    path: String,
    symbol: String,
    message: String,
    detail: Option<String>,
    line: u16,
    column: u16,
    column_utf16: u16,
    end_lines: u8,
    end_column: u16,
    end_column_utf16: u16,
    snippet: String,
    ports: [FuzzPort; 3],
    /// `None`: no baseline; `Some(true)`: new.
    new: Option<bool>,
}

#[derive(Arbitrary, Debug)]
struct FuzzNote {
    skipped: bool,
    path: String,
    reason: u8,
    message: String,
}

#[derive(Arbitrary, Debug)]
struct Input {
    findings: Vec<FuzzFinding>,
    notes: Vec<FuzzNote>,
    targets: u8,
    scanned: u32,
    bytes: u64,
    languages: Vec<(u8, u16)>,
    suppressed: u16,
    stale: Vec<(String, String, String, String)>,
    diff_base: Option<String>,
    weights: Option<[u64; 7]>,
}

fn port(p: FuzzPort) -> Port {
    Port {
        effort: Effort::ALL[p.effort as usize % Effort::ALL.len()],
        replacement: p.replacement,
        note: p.note,
    }
}

fn finding(f: FuzzFinding) -> Finding {
    let all = rules().rules();
    let rule = &all[f.rule as usize % all.len()];
    // What a scan guarantees: 1-based positions, the end not before the start.
    let line = 1 + f.line as usize;
    let column = 1 + f.column as usize;
    let end_line = line + f.end_lines as usize;
    let end_column = if end_line == line {
        column + f.end_column as usize
    } else {
        1 + f.end_column as usize
    };
    let column_utf16 = 1 + f.column_utf16 as usize;
    let end_column_utf16 = if end_line == line {
        column_utf16 + f.end_column_utf16 as usize
    } else {
        1 + f.end_column_utf16 as usize
    };
    let [rocm, neuron, tpu] = f.ports;
    Finding {
        rule_id: rule.id.clone(),
        category: rule.category,
        library: rule.library.clone(),
        symbol: f.symbol,
        message: f.message,
        detail: f.detail,
        level: rule.level,
        path: f.path,
        start: Location {
            line,
            column,
            column_utf16,
        },
        end: Location {
            line: end_line,
            column: end_column,
            column_utf16: end_column_utf16,
        },
        snippet: f.snippet,
        portability: Portability([port(rocm), port(neuron), port(tpu)]).into(),
        fingerprint: String::new(),
        baseline_state: f.new.map(|new| {
            if new {
                BaselineState::New
            } else {
                BaselineState::Unchanged
            }
        }),
        // Fields added later keep what a real finding has.
        ..template().clone()
    }
}

/// A real finding, for the fields this target does not fuzz.
fn template() -> &'static Finding {
    static TEMPLATE: OnceLock<Finding> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        cuda_audit::analysis::scan_snippet(rules(), "void f() { cudaMalloc(0, 0); }\n", Lang::Cuda)
            .into_iter()
            .next()
            .expect("cudaMalloc is a finding")
    })
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let findings: Vec<Finding> = input.findings.into_iter().map(finding).collect();
    let mut files = FileReport {
        scanned: input.scanned as usize,
        bytes: input.bytes,
        ..FileReport::default()
    };
    for (lang, count) in input.languages {
        let lang: Lang = FILES[lang as usize % FILES.len()].0;
        files.by_language.insert(lang, count as usize);
    }
    for n in input.notes {
        let note = FileNote {
            path: n.path,
            reason: cuda_audit::note::NoteReason::ALL
                [n.reason as usize % cuda_audit::note::NoteReason::ALL.len()],
            message: n.message,
        };
        if n.skipped {
            files.skipped.push(note);
        } else {
            files.warnings.push(note);
        }
    }
    let targets: Vec<Target> = Target::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| input.targets & (1 << i) != 0)
        .map(|(_, t)| t)
        .collect();
    let mut audit = Audit::new(findings, files, &targets, Arc::clone(rules()));
    audit.suppressed = input.suppressed as usize;
    let stale: Vec<Entry> = input
        .stale
        .into_iter()
        .map(|(path, rule, symbol, fingerprint)| Entry {
            path,
            rule,
            symbol,
            fingerprint,
        })
        .collect();
    if let Some(w) = input.weights {
        // A configuration accepts any weights but a zero scale.
        audit.weights = ScoreWeights {
            automatic: ClassWeights {
                decision: w[0],
                edit: w[1],
            },
            manual: ClassWeights {
                decision: w[2],
                edit: w[3],
            },
            rewrite: ClassWeights {
                decision: w[4],
                edit: w[5],
            },
            scale: w[6].max(1),
        };
    }
    // A gate, as a baseline or diff base would leave it, whenever the input has one.
    let compared = audit.findings.iter().any(|f| f.baseline_state.is_some());
    if compared || !stale.is_empty() || input.diff_base.is_some() {
        let new = audit
            .findings
            .iter()
            .filter(|f| f.baseline_state == Some(BaselineState::New))
            .count();
        let before = cuda_audit::score::score_findings(
            audit
                .findings
                .iter()
                .filter(|f| f.baseline_state != Some(BaselineState::New)),
            &audit.targets,
            &audit.weights,
        );
        audit.gate = Some(GateReport {
            baseline: Some("baseline.json".into()),
            diff_base: input.diff_base.map(|commit| DiffBase {
                rev: "main".into(),
                commit,
            }),
            new,
            known: audit.findings.len() - new,
            stale,
            failing: new,
            verdict: if new > 0 {
                Verdict::Failed
            } else {
                Verdict::Passed
            },
            fail_on: FailOn::New,
            min_effort: None,
            before,
            update: None,
        });
    }
    check_reports(&audit);
});
