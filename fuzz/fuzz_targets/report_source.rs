//! The writers, from fuzzed source: the input is scanned as a file of one of the languages (chosen
//! by its length), and the audit of that one file is rendered in every format → the JSON report
//! parses, the SARIF report validates against the 2.1.0 schema, no format panics, and a baseline
//! of the findings knows every one of them. `cargo fuzz run report_source` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::audit::{Audit, FileNote, FileReport};
use cuda_audit::baseline::Baseline;
use cuda_audit::gate::{Inputs, Scope, compare};
use cuda_audit_fuzz::{FILES, check_reports, findings_of, pick, rules, scan_with, text_of};
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
    let findings = findings_of(rules(), &scanned, name);
    let audit = Audit::new(findings, files, &[], Arc::clone(rules()));
    check_reports(&audit);

    let baseline = Baseline::from_findings(&audit.findings);
    // The whole tree (one file) is the scope: every finding is known, no entry is stale.
    let scanned = vec![name.to_string()];
    let root = std::path::Path::new(".");
    let scope = Scope::new(root, &[root.to_path_buf()], &scanned, None);
    let inputs = Inputs {
        baseline: Some(("baseline.json".into(), Some(&baseline))),
        changes: None,
        diff_rev: None,
    };
    let mut findings = audit.findings.clone();
    let comparison = compare(&mut findings, &inputs, &scope);
    assert_eq!(comparison.new, 0);
    assert!(comparison.stale.is_empty(), "{:?}", comparison.stale);
    let bytes = baseline.to_bytes();
    let again = Baseline::parse("baseline.json", std::str::from_utf8(&bytes).unwrap()).unwrap();
    assert_eq!(again.entries(), baseline.entries());
});
