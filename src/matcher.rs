//! The matcher: facts from a front end in, rule hits out. One index lookup per fact decides
//! which rule, if any, a fact belongs to; the matcher never looks at syntax.

use crate::lang::{Extraction, Fact, FactKind, Lang};
use crate::rule::{RuleIdx, RuleSet};
use std::ops::Range;

/// A fact that a rule claims.
#[derive(Debug)]
pub struct Hit<'a> {
    pub rule: RuleIdx,
    /// The exact-name symbol entry, when the hit came from one.
    pub symbol: Option<&'a crate::rule::Symbol>,
    pub text: String,
    pub span: Range<usize>,
    pub detail: Option<String>,
    /// The finding is dropped if the scanned tree defines this name (pattern matches, weak rules).
    pub weak_name: Option<String>,
}

pub fn match_facts<'a>(rules: &'a RuleSet, extraction: &Extraction, lang: Lang) -> Vec<Hit<'a>> {
    extraction
        .facts
        .iter()
        .filter_map(|fact| {
            match_fact(
                rules,
                fact,
                &extraction.using_namespaces,
                fact.lang.unwrap_or(lang),
            )
        })
        .collect()
}

fn match_fact<'a>(
    rules: &'a RuleSet,
    fact: &Fact,
    usings: &[Vec<String>],
    lang: Lang,
) -> Option<Hit<'a>> {
    let hit = |rule: RuleIdx, symbol: Option<&'a crate::rule::Symbol>, from_pattern: bool| {
        let weak = is_weak(rules, rule, symbol, from_pattern);
        let weak_name = weak.then(|| match &fact.kind {
            FactKind::Qualified(segments) | FactKind::Namespace(segments) => segments[0].clone(),
            _ => fact.text.clone(),
        });
        Hit {
            rule,
            symbol,
            text: fact.text.clone(),
            span: fact.span.clone(),
            detail: fact.detail.clone(),
            weak_name,
        }
    };
    match &fact.kind {
        FactKind::Name => {
            if let Some(sym) = rules.lookup_name(&fact.text, lang) {
                return Some(hit(sym.rule, Some(sym), false));
            }
            rules
                .lookup_pattern(&fact.text, lang)
                .map(|rule| hit(rule, None, true))
        }
        FactKind::Keys(keys) => keys.iter().find_map(|key| {
            if let Some(sym) = rules.lookup_name(key, lang) {
                return Some(hit(sym.rule, Some(sym), false));
            }
            rules
                .lookup_pattern(key, lang)
                .map(|rule| hit(rule, None, false))
        }),
        FactKind::Include => rules
            .lookup_include(&fact.text, lang)
            .map(|rule| hit(rule, None, false)),
        FactKind::Launch => rules.launch_rule(lang).map(|rule| hit(rule, None, false)),
        FactKind::InlineAsm => rules
            .inline_asm_rule(lang)
            .map(|rule| hit(rule, None, false)),
        FactKind::Namespace(segments) => {
            namespace_rule(rules, segments, usings, lang).map(|rule| hit(rule, None, false))
        }
        FactKind::Qualified(segments) => {
            if let Some(rule) = namespace_rule(rules, segments, usings, lang) {
                return Some(hit(rule, None, false));
            }
            // `::cudaMalloc`, `SomeScope::cudaMemcpyHostToDevice`: the last segment may be an API name.
            let last = segments.last()?;
            let sym = rules.lookup_name(last, lang)?;
            let end = fact.span.end;
            Some(Hit {
                rule: sym.rule,
                symbol: Some(sym),
                text: last.clone(),
                span: end.saturating_sub(last.len())..end,
                detail: fact.detail.clone(),
                weak_name: is_weak(rules, sym.rule, Some(sym), false).then(|| last.clone()),
            })
        }
    }
}

/// Whether a match stands only if the scanned tree does not define the name itself: matched by a
/// family pattern, or a rule or symbol marked `weak` (`atomicAdd`, which projects define for
/// older GPUs). One rule for plain and qualified names alike.
fn is_weak(
    rules: &RuleSet,
    rule: RuleIdx,
    symbol: Option<&crate::rule::Symbol>,
    from_pattern: bool,
) -> bool {
    from_pattern || rules.rule(rule).weak || symbol.is_some_and(|s| s.weak)
}

fn namespace_rule(
    rules: &RuleSet,
    segments: &[String],
    usings: &[Vec<String>],
    lang: Lang,
) -> Option<RuleIdx> {
    let direct: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let Some((rule, _)) = rules.lookup_namespace(&direct, lang) {
        return Some(rule);
    }
    // `using namespace nvcuda;` then `wmma::fragment`: try each using-directive as a prefix.
    if segments
        .first()
        .is_none_or(|first| rules.is_namespace_root(first))
    {
        return None;
    }
    usings.iter().find_map(|using| {
        let joined: Vec<&str> = using
            .iter()
            .map(String::as_str)
            .chain(direct.iter().copied())
            .collect();
        rules
            .lookup_namespace(&joined, lang)
            .filter(|&(_, len)| len > using.len())
            .map(|(rule, _)| rule)
    })
}
