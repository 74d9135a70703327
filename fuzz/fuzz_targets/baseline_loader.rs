//! The baseline loader: arbitrary text → a baseline or an error that renders, never a panic (a
//! truncated or malformed baseline must stop the run with a pointed error). A baseline that loads
//! writes back to bytes that load to the same entries. `cargo fuzz run baseline_loader`
//! (CONTRIBUTING.md).
#![no_main]

use cuda_audit::baseline::Baseline;
use cuda_audit::gate::{Inputs, Scope, compare};
use cuda_audit_fuzz::render_error;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Baseline::parse("fuzz-baseline.json", &text) {
        Ok(baseline) => {
            let bytes = baseline.to_bytes();
            let again = Baseline::parse("again.json", std::str::from_utf8(&bytes).unwrap())
                .expect("a written baseline loads");
            assert_eq!(again.entries(), baseline.entries());
            // With no findings, every entry the scan's scope covers is stale, and only those.
            let root = std::path::Path::new("/nonexistent-cuda-audit-root");
            let scope = Scope::new(root, &[root.to_path_buf()], &[], None);
            let inputs = Inputs {
                baseline: Some(("fuzz-baseline.json".into(), Some(&baseline))),
                changes: None,
                diff_rev: None,
            };
            let comparison = compare(&mut [], &inputs, &scope);
            let covered = baseline
                .entries()
                .iter()
                .filter(|e| scope.covers(&e.path))
                .count();
            assert_eq!(comparison.new, 0);
            assert_eq!(comparison.stale.len(), covered);
        }
        Err(e) => {
            render_error(&e);
        }
    }
});
