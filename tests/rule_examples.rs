//! Every built-in rule's embedded examples: each `match` snippet must make the rule fire, each
//! `no-match` snippet must leave it quiet. Adding a rule needs no Rust test code.

use crate::common::builtin_rules;
use cuda_audit::lang::Lang;
use cuda_audit::scan::scan_snippet;

#[test]
fn every_rule_example_behaves() {
    let rules = builtin_rules();
    let mut failures = Vec::new();
    for rule in rules.rules() {
        let lang = rule
            .examples
            .language
            .unwrap_or(if rule.applies_to(Lang::Cuda) {
                Lang::Cuda
            } else {
                rule.languages[0]
            });
        for snippet in &rule.examples.should_match {
            let findings = scan_snippet(&rules, snippet, lang);
            if !findings.iter().any(|f| f.rule_id == rule.id) {
                let got: Vec<_> = findings
                    .iter()
                    .map(|f| format!("{}:{}", f.rule_id, f.symbol))
                    .collect();
                failures.push(format!(
                    "{}: expected a finding in {snippet:?}, got {got:?}",
                    rule.id
                ));
            }
        }
        for snippet in &rule.examples.should_not_match {
            let findings = scan_snippet(&rules, snippet, lang);
            if let Some(f) = findings.iter().find(|f| f.rule_id == rule.id) {
                failures.push(format!(
                    "{}: unexpected finding `{}` in {snippet:?}",
                    rule.id, f.symbol
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} rule example failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_an_example_and_a_clean_message() {
    let rules = builtin_rules();
    for rule in rules.rules() {
        assert!(
            !rule.examples.should_match.is_empty(),
            "rule {} has no `match` example",
            rule.id
        );
        assert!(
            !rule.title.ends_with('.'),
            "rule {} title ends with a period",
            rule.id
        );
        if let Some(m) = &rule.message {
            assert!(
                !m.ends_with('.'),
                "rule {} message ends with a period",
                rule.id
            );
        }
    }
}
