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

/// One vocabulary: `automatic` means a named tool performs the change (hipify's renames, PyTorch's
/// build-time hipify of the sources it compiles). An edit a person makes to a build file,
/// manifest, image or workflow, however small, is `manual` — for every target, in every rule of
/// those categories and in every per-symbol override.
#[test]
fn no_build_dependency_or_container_judgement_is_automatic() {
    use cuda_audit::portability::{Effort, Target};
    use cuda_audit::rule::Category;
    let rules = builtin_rules();
    let manual_categories = [Category::Build, Category::Dependency, Category::Container];
    let mut wrong = Vec::new();
    for rule in rules.rules() {
        if !manual_categories.contains(&rule.category) {
            continue;
        }
        for t in Target::ALL {
            if rule.portability.get(t).effort == Effort::Automatic {
                wrong.push(format!("rule {} ({t})", rule.id));
            }
        }
    }
    for sym in rules.symbols() {
        let rule = rules.rule(sym.rule);
        let Some(p) = &sym.portability else { continue };
        if !manual_categories.contains(&rule.category) {
            continue;
        }
        for t in Target::ALL {
            if p.get(t).effort == Effort::Automatic {
                wrong.push(format!("symbol {} of rule {} ({t})", sym.name, rule.id));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "`automatic` where a person edits: {wrong:?}"
    );
}
