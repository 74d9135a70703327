//! Every built-in rule's embedded examples: each `match` snippet must make the rule fire, each
//! `no-match` snippet must leave it quiet. Adding a rule needs no Rust test code.

use crate::common::builtin_rules;
use cuda_audit::analysis::scan_snippet;
use cuda_audit::lang::Lang;

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

/// Rules cite public documents only (docs/porting-sources.md): the project's former private porting
/// notes are no source a user can read. Checked over every built-in rule's help (which carries the
/// `[[knowledge]]` sources appended to it) and its per-target and per-symbol notes and replacements,
/// and over every file under rules/, comments included.
#[test]
fn no_rule_cites_the_private_porting_notes() {
    use cuda_audit::portability::{Portability, Target};
    // Spelled in pieces, so that this test does not itself mention the file it looks for.
    let needle = ["porting", "md"].join(".");
    let cites = |text: &str| text.to_ascii_lowercase().contains(&needle);
    fn port_texts(p: &Portability) -> Vec<String> {
        Target::ALL
            .into_iter()
            .flat_map(|t| {
                let port = p.get(t);
                [port.replacement.clone(), port.note.clone()]
            })
            .flatten()
            .collect()
    }
    let rules = builtin_rules();
    let mut found = Vec::new();
    for rule in rules.rules() {
        if cites(&rule.help) {
            found.push(format!("help of rule {}", rule.id));
        }
        if port_texts(&rule.portability).iter().any(|t| cites(t)) {
            found.push(format!("portability of rule {}", rule.id));
        }
    }
    for sym in rules.symbols() {
        if let Some(p) = &sym.portability {
            if port_texts(p).iter().any(|t| cites(t)) {
                found.push(format!("portability of symbol {}", sym.name));
            }
        }
    }
    let mut dirs = vec![crate::common::repo_root().join("rules")];
    let mut files = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("rules/ is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files += 1;
                let text = std::fs::read_to_string(&path).expect("rule files are text");
                if cites(&text) {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    assert!(files > 0, "no files under rules/");
    assert!(
        found.is_empty(),
        "cite public documents (docs/porting-sources.md), not the private porting notes: {found:?}"
    );
}
