//! One file's analysis: its text through a language front end ([`crate::lang`]) and the
//! matcher ([`crate::matcher`]) to findings, the names it defines and the facts later steps
//! need. Nothing here looks at another file; [`crate::scan`] runs this on every file and merges.

use crate::finding::{Finding, Location};
use crate::lang::FrontEnds;
use crate::lang::Lang;
use crate::matcher::match_facts;
use crate::rule::RuleSet;
use crate::source::LineIndex;
use std::collections::HashSet;
use std::path::Path;

/// What scanning one file's text yields.
pub struct ScannedText {
    /// In file order. Weak matches are kept; the caller drops those whose name the scanned tree
    /// defines.
    pub findings: Vec<Finding>,
    /// Names the file defines.
    pub defined: Vec<String>,
    pub warnings: Vec<crate::lang::ExtractWarning>,
    /// Why the file could not be analysed at all (e.g. its parse ran out of time).
    pub skip: Option<crate::lang::ExtractWarning>,
    /// Shims and ROCm branches the file holds.
    pub ports: crate::ports::FilePorts,
    /// The modules the file imports ([`crate::lang::Extraction::imports`]).
    pub imports: Vec<String>,
}

/// Scans one file's text. `rel` is the path as reported, `path` the path on disk (its name tells
/// a notebook from a Python file, a Dockerfile from a YAML file).
pub fn scan_text(
    front_ends: &mut FrontEnds,
    rules: &RuleSet,
    rel: &str,
    path: &Path,
    text: &str,
    lang: Lang,
) -> ScannedText {
    // Parsers end lines at `\n` only; a classic-Mac file ending lines with a lone `\r` would
    // parse as one line (one `//` comment hiding the rest). Same length, so offsets hold.
    let parse_text = crate::source::normalize_lone_cr(text);
    let extraction = front_ends.extract(&parse_text, lang, path);
    let lines = LineIndex::new(text);
    let mut declarations = extraction.declarations.clone();
    declarations.sort_unstable_by_key(|d| (d.start, d.end));
    let in_declaration = |offset: usize| {
        // Declarations are recorded in tree order (by start), and do not nest.
        let i = declarations.partition_point(|d| d.start <= offset);
        i > 0 && declarations[i - 1].contains(&offset)
    };
    let findings = match_facts(rules, &extraction, lang)
        .into_iter()
        .map(|hit| {
            let rule = rules.rule(hit.rule);
            let start = lines.position(text, hit.span.start);
            let end = lines.position(text, hit.span.end);
            Finding {
                rule_id: rule.id.clone(),
                category: rule.category,
                library: rule.library.clone(),
                message: rule.message_for(&hit.text),
                symbol: hit.text,
                detail: hit.detail,
                level: rule.level,
                path: rel.to_string(),
                start: Location {
                    line: start.line,
                    column: start.column,
                    column_utf16: start.column_utf16,
                },
                end: Location {
                    line: end.line,
                    column: end.column,
                    column_utf16: end.column_utf16,
                },
                snippet: lines.line_text(text, start.line - 1).to_string(),
                portability: rules.portability_of(hit.rule, hit.symbol).clone(),
                fingerprint: String::new(),
                weak_name: hit.weak_name,
                baseline_state: None,
                existing_port: None,
                declaration: in_declaration(hit.span.start),
            }
        })
        .collect();
    let ports = crate::ports::FilePorts::of(&extraction, rules, rel, text, &lines, lang);
    ScannedText {
        findings,
        defined: extraction.defined,
        warnings: extraction.warnings,
        skip: extraction.skip,
        ports,
        imports: extraction.imports,
    }
}

/// Findings of a single snippet, as a scan of a tree holding only that snippet would report
/// them (used by the rule-example tests). The snippet is treated as a file of language `lang`
/// with that language's usual name ([`Lang::sample_file_name`]).
pub fn scan_snippet(rules: &RuleSet, text: &str, lang: Lang) -> Vec<Finding> {
    let mut front_ends = FrontEnds::new();
    let name = lang.sample_file_name();
    let scanned = scan_text(&mut front_ends, rules, name, Path::new(name), text, lang);
    let defined: HashSet<String> = scanned.defined.into_iter().collect();
    let mut findings = scanned.findings;
    findings.retain(|f| {
        !f.weak_name
            .as_ref()
            .is_some_and(|name| defined.contains(name))
    });
    let file = crate::project::receivers::FileImports {
        path: name,
        imports: &scanned.imports,
    };
    crate::project::receivers::attribute(&mut findings, &[file], rules);
    findings.retain(|f| !f.declaration);
    findings
}
