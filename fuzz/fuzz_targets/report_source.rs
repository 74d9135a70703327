//! The writers, from fuzzed source: the input is scanned as a file of one of the languages (chosen
//! by its length), and the audit of that one file is rendered in every format → the JSON report
//! parses, the SARIF report validates against the 2.1.0 schema, no format panics, and a baseline
//! of the findings knows every one of them. `cargo fuzz run report_source` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::baseline::{Baseline, BaselineState};
use cuda_audit::audit::{Audit, FileNote, FileReport};
use cuda_audit_fuzz::{FILES, check_reports, pick, rules, scan_with, text_of};
use std::sync::Arc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = pick(data, FILES);
    let text = text_of(data);
    let scanned = scan_with(rules(), &text, lang, name);
    let mut files = FileReport {
        scanned: 1,
        bytes: data.len() as u64,
        ..FileReport::default()
    };
    files.by_language.insert(lang, 1);
    for w in scanned.warnings.iter().chain(&scanned.skip) {
        files.warnings.push(FileNote {
            path: name.to_string(),
            reason: w.reason,
            message: w.message.clone(),
        });
    }
    let audit = Audit::new(scanned.findings, files, &[], Arc::clone(rules()));
    check_reports(&audit);

    let baseline = Baseline::from_findings(&audit.findings);
    let (states, stale) = baseline.compare(&audit.findings);
    assert!(
        states.iter().all(|&s| s == BaselineState::Unchanged),
        "{states:?}"
    );
    assert!(stale.is_empty(), "{stale:?}");
    let bytes = baseline.to_bytes();
    let again = Baseline::parse("baseline.json", std::str::from_utf8(&bytes).unwrap()).unwrap();
    assert_eq!(again.entries(), baseline.entries());
});
