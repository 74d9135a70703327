//! `cuda-audit explain`: a rule's documentation, everything known about one CUDA symbol, or
//! the rules of one library; for a name it does not know, the names it knows that are closest.

use crate::portability::Target;
use crate::rule::{Rule, RuleIdx, RuleSet};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The explanation for `name`, tried in turn as a rule id, a symbol, a library (`cudnn`), and
/// the start of rule ids (`cudart-memory`: one rule explains it, several are listed). `None` when
/// it is none of these: see [`suggestions`].
pub fn explain(rules: &RuleSet, name: &str) -> Option<String> {
    if let Some(rule) = rules.find_rule(name) {
        return Some(explain_rule(rule));
    }
    if rules.symbol(name).is_some() {
        return explain_symbol(rules, name);
    }
    let library: Vec<RuleIdx> = rules.library_rules(name);
    if !library.is_empty() {
        let library_name = &rules.rule(library[0]).library;
        return Some(list_rules(
            rules,
            &format!("library {library_name}"),
            &library,
        ));
    }
    // A short prefix (`c`) would list half the rules: a family is named by a few letters at least.
    if name.chars().count() < 3 {
        return None;
    }
    let prefixed = rules.rules_with_prefix(name);
    match prefixed.as_slice() {
        [] => None,
        [one] => Some(explain_rule(rules.rule(*one))),
        many => Some(list_rules(
            rules,
            &format!("rules starting with `{name}`"),
            many,
        )),
    }
}

/// Rule ids, symbols and library names close to `name` (typos, case, prefixes), closest first.
pub fn suggestions<'a>(rules: &'a RuleSet, name: &str) -> Vec<&'a str> {
    let libraries: BTreeSet<&str> = rules.rules().iter().map(|r| r.library.as_str()).collect();
    let candidates = rules
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .chain(libraries)
        .chain(rules.symbols().iter().map(|s| s.name.as_str()));
    crate::error::similar(name, candidates)
}

/// A list of rules: for each its id, title, effort per target and what it matches; then how many
/// names the rules know, with some of them.
fn list_rules(rules: &RuleSet, heading: &str, list: &[RuleIdx]) -> String {
    let mut names_of: Vec<Vec<&str>> = vec![Vec::new(); list.len()];
    let mut seen = BTreeSet::new();
    for s in rules.symbols() {
        if let Some(i) = list.iter().position(|&r| r == s.rule) {
            if seen.insert(s.name.as_str()) {
                names_of[i].push(&s.name);
            }
        }
    }
    let total: usize = names_of.iter().map(Vec::len).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{heading}: {} {}, {total} {}",
        list.len(),
        plural(list.len(), "rule", "rules"),
        plural(total, "name", "names")
    );
    let width = list
        .iter()
        .map(|&r| rules.rule(r).id.len())
        .max()
        .unwrap_or(0);
    for (&r, names) in list.iter().zip(&names_of) {
        let rule = rules.rule(r);
        let efforts: Vec<String> = Target::ALL
            .iter()
            .map(|&t| format!("{t}:{}", rule.portability.get(t).effort))
            .collect();
        let _ = writeln!(
            out,
            "  {:<width$}  [{}]  {}{}",
            rule.id,
            efforts.join(" "),
            rule.title,
            matches(rule, names.len())
        );
    }
    // A few names of each rule, spread over its table, so the examples show the library's range.
    const EXAMPLES: usize = 8;
    let mut share = vec![0usize; names_of.len()];
    let mut given = 0;
    while given < EXAMPLES.min(total) {
        for (i, names) in names_of.iter().enumerate() {
            if share[i] < names.len() && given < EXAMPLES {
                share[i] += 1;
                given += 1;
            }
        }
    }
    let examples: Vec<&str> = names_of
        .iter()
        .zip(&share)
        .flat_map(|(names, &k)| (0..k).map(move |j| names[j * names.len() / k]))
        .collect();
    if !examples.is_empty() {
        let more = total - examples.len();
        let _ = write!(out, "\n  names, e.g.: {}", examples.join(", "));
        if more > 0 {
            let _ = write!(out, ", … ({more} more)");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "\n  `cuda-audit explain RULE_ID` or `cuda-audit explain NAME` for one of them"
    );
    out
}

/// What a rule of a list matches, in a few words: ` (12 names)`, ` (includes cudnn*.h)`.
fn matches(rule: &Rule, names: usize) -> String {
    let m = &rule.matchers;
    let mut parts = Vec::new();
    if names > 0 {
        parts.push(format!("{names} {}", plural(names, "name", "names")));
    }
    for (what, list) in [
        ("patterns", &m.patterns),
        ("includes", &m.includes),
        ("namespaces", &m.namespaces),
    ] {
        if !list.is_empty() {
            const SHOWN: usize = 3;
            let mut shown = list[..list.len().min(SHOWN)].join(" ");
            if list.len() > SHOWN {
                shown.push_str(" …");
            }
            parts.push(format!("{what} {shown}"));
        }
    }
    if m.launch {
        parts.push("<<<>>> launches".into());
    }
    if m.inline_asm {
        parts.push("inline assembly".into());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Everything known about one CUDA symbol.
fn explain_symbol(rules: &RuleSet, name: &str) -> Option<String> {
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
