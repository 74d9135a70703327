//! One file's analysis: its text through a language front end ([`crate::lang`]) and the
//! matcher ([`crate::matcher`]) to hits, the names it defines and the facts later steps need.
//! Nothing here looks at another file; [`crate::scan`] runs this on every file and merges.

use crate::finding::{FileHits, Finding, Hit, Location};
use crate::lang::FrontEnds;
use crate::lang::Lang;
use crate::matcher::match_facts;
use crate::rule::RuleSet;
use crate::source::LineIndex;
use std::collections::HashSet;
use std::path::Path;

/// What analysing one file's text yields — and all the result cache stores of it.
pub struct FileAnalysis {
    /// In file order. Weak matches are kept; the merge drops those whose name the scanned tree
    /// defines.
    pub hits: Vec<Hit>,
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

/// Analyses one file's text. `rel` is the path as reported, `path` the path on disk (its name
/// tells a notebook from a Python file, a Dockerfile from a YAML file).
pub fn analyse_text(
    front_ends: &mut FrontEnds,
    rules: &RuleSet,
    rel: &str,
    path: &Path,
    text: &str,
    lang: Lang,
) -> FileAnalysis {
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
    let location = |offset: usize| {
        let p = lines.position(text, offset);
        Location {
            line: p.line,
            column: p.column,
            column_utf16: p.column_utf16,
        }
    };
    let hits = match_facts(rules, &extraction, lang)
        .into_iter()
        .map(|hit| {
            let start = location(hit.span.start);
            Hit {
                rule: hit.rule,
                portability: rules.portability_of(hit.rule, hit.symbol).clone(),
                symbol: hit.text.into(),
                detail: hit.detail.map(Box::from),
                end: location(hit.span.end),
                line: lines.line_text(text, start.line - 1).into(),
                start,
                weak_name: hit.weak_name.map(Box::from),
                declaration: in_declaration(hit.span.start),
            }
        })
        .collect();
    let ports = crate::ports::FilePorts::of(&extraction, rules, rel, text, &lines, lang);
    FileAnalysis {
        hits,
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
    let analysis = analyse_text(&mut front_ends, rules, name, Path::new(name), text, lang);
    let defined: HashSet<String> = analysis.defined.into_iter().collect();
    let mut hits = analysis.hits;
    hits.retain(|h| {
        !h.weak_name
            .as_ref()
            .is_some_and(|name| defined.contains(&**name))
            && !h.declaration
    });
    let file = crate::project::receivers::FileImports {
        path: name,
        imports: &analysis.imports,
    };
    let mut files = [FileHits {
        path: name.to_string(),
        hits,
    }];
    crate::project::receivers::attribute(&mut files, &[file], rules);
    let [FileHits { hits, .. }] = files;
    hits.into_iter()
        .map(|h| {
            let rule = rules.rule(h.rule);
            Finding::new(h, rule, name, None)
        })
        .collect()
}
