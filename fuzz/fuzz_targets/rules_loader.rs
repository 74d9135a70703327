//! The rule loader: arbitrary text as a user rule file → rules or an error that renders, never a
//! panic. Rules that load are used: each rule's examples are scanned with them (odd names,
//! globs and namespaces go through the matcher). `cargo fuzz run rules_loader` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;
use cuda_audit::rule::RuleSet;
use cuda_audit_fuzz::{FILES, render_error, scan_with};
use std::sync::Arc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The loader reads files with `read_to_string`: invalid UTF-8 never reaches the parser.
    let text = String::from_utf8_lossy(data);
    let rules = match RuleSet::from_text("fuzz-rules.toml", &text) {
        Ok(rules) => Arc::new(rules),
        Err(e) => {
            render_error(&e);
            return;
        }
    };
    for rule in rules.rules().iter().take(4) {
        let examples = &rule.examples;
        let lang = examples
            .language
            .or_else(|| rule.languages.first().copied())
            .unwrap_or(Lang::Cuda);
        let name = FILES
            .iter()
            .find(|(l, _)| *l == lang)
            .map_or(lang.sample_file_name(), |&(_, n)| n);
        for snippet in examples
            .should_match
            .iter()
            .chain(&examples.should_not_match)
            .take(4)
        {
            scan_with(&rules, snippet, lang, name);
        }
    }
});
