//! `cuda-audit explain`: a rule's documentation, or everything known about one CUDA symbol.

use crate::portability::Target;
use crate::rule::{Rule, RuleSet};
use std::fmt::Write;

/// The explanation for a rule id or a symbol name; `None` when it is neither.
pub fn explain(rules: &RuleSet, name: &str) -> Option<String> {
    if let Some(rule) = rules.find_rule(name) {
        return Some(explain_rule(rule));
    }
    let symbol = rules.symbol(name)?;
    let rule = rules.rule(symbol.rule);
    let mut out = String::new();
    let _ = writeln!(out, "{name}");
    let _ = writeln!(out, "  library:  {}", rule.library);
    if let Some(section) = &symbol.section {
        let _ = writeln!(out, "  section:  {section}");
    }
    if let Some(kind) = &symbol.kind {
        let _ = writeln!(out, "  kind:     {kind}");
    }
    let _ = writeln!(out, "  category: {}", rule.category);
    let _ = writeln!(out, "  rule:     {} ({})", rule.id, rule.title);
    // The tables give cuDNN versions for cuDNN names, CUDA versions for the rest.
    let product = if rule.library == "cudnn" {
        "cuDNN"
    } else {
        "CUDA"
    };
    if let Some(v) = &symbol.deprecated {
        let _ = writeln!(out, "  deprecated in {product} {v}");
    }
    if let Some(v) = &symbol.removed {
        let _ = writeln!(out, "  removed in {product} {v}");
    }
    let _ = writeln!(out, "  porting effort:");
    let portability = rules.portability_of(symbol.rule, Some(symbol));
    for t in Target::ALL {
        write_port(&mut out, t, portability.get(t));
    }
    Some(out)
}

/// The scoring model and the weights in force (`cuda-audit explain --scoring`).
pub fn scoring(weights: &crate::score::ScoreWeights) -> String {
    crate::score::explain(weights)
}

fn explain_rule(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", rule.id, rule.title);
    let _ = writeln!(
        out,
        "  category: {}   library: {}   level: {}",
        rule.category,
        rule.library,
        rule.level.as_str()
    );
    let langs: Vec<&str> = rule.languages.iter().map(|l| l.as_str()).collect();
    let _ = writeln!(out, "  languages: {}", langs.join(", "));
    let _ = writeln!(out, "  porting effort:");
    for t in Target::ALL {
        write_port(&mut out, t, rule.portability.get(t));
    }
    let _ = writeln!(out);
    for line in rule.help.lines() {
        let _ = writeln!(out, "  {line}");
    }
    let m = &rule.matchers;
    let _ = writeln!(out);
    let _ = write!(out, "  matches: {} names", m.names);
    for (what, list) in [
        ("patterns", &m.patterns),
        ("includes", &m.includes),
        ("namespaces", &m.namespaces),
    ] {
        if !list.is_empty() {
            let _ = write!(out, "; {what} {}", list.join(" "));
        }
    }
    if m.launch {
        let _ = write!(out, "; <<<>>> launches");
    }
    if m.inline_asm {
        let _ = write!(out, "; inline assembly");
    }
    let _ = writeln!(out);
    if !rule.examples.should_match.is_empty() {
        let _ = writeln!(out, "  example:");
        for ex in &rule.examples.should_match {
            for line in ex.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

fn write_port(out: &mut String, target: Target, port: &crate::portability::Port) {
    let _ = write!(out, "    {:<7} {}", target.as_str(), port.effort);
    if let Some(r) = &port.replacement {
        let _ = write!(out, " → {r}");
    }
    if let Some(n) = &port.note {
        let _ = write!(out, " ({n})");
    }
    let _ = writeln!(out);
}
