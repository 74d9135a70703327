//! Qualified names (`thrust::sort`, `cg::this_thread_block` through a namespace alias),
//! namespace aliases and `using namespace` directives.

use super::Walker;
use crate::lang::FactKind;
use crate::lang::node_names::NodeNames;
use std::ops::Range;
use tree_sitter::Node;

impl Walker<'_> {
    pub(super) fn qualified(&mut self, node: Node) {
        let mut segments = Vec::new();
        let mut ranges = Vec::new();
        if !chain(node, self.text, &mut segments, &mut ranges) || segments.is_empty() {
            return;
        }
        for r in &ranges {
            self.skip.insert((r.start, r.end));
        }
        let end = ranges.last().map_or(node.end_byte(), |r| r.end);
        let span = node.start_byte()..end;
        let written: String = self.text[span.clone()]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let resolved = self.resolve_alias(segments.iter().map(|s| s.to_string()).collect());
        self.push(FactKind::Qualified(resolved), &written, span, None);
    }

    pub(super) fn resolve_alias(&self, mut segments: Vec<String>) -> Vec<String> {
        if let Some(target) = segments.first().and_then(|first| self.aliases.get(first)) {
            let mut resolved = target.clone();
            resolved.extend(segments.drain(1..));
            return resolved;
        }
        segments
    }

    pub(super) fn namespace_alias(&mut self, node: Node) {
        let Some(name) = node.field("name") else {
            return;
        };
        let mut cursor = node.walk();
        let Some(target) = node
            .named_children(&mut cursor)
            .filter(|c| c.id() != name.id())
            .last()
        else {
            return;
        };
        let segments = namespace_segments(target, self.text);
        if segments.is_empty() {
            return;
        }
        let alias = self.text_of(name).to_string();
        self.out.defined.push(alias.clone());
        let resolved = self.resolve_alias(segments);
        self.aliases.insert(alias, resolved.clone());
        self.push_namespace(target, resolved);
    }

    /// A namespace fact for `target` as written (white space dropped), resolved to `resolved`.
    fn push_namespace(&mut self, target: Node, resolved: Vec<String>) {
        let written: String = self
            .text_of(target)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        self.push(
            FactKind::Namespace(resolved),
            &written,
            target.byte_range(),
            None,
        );
    }

    /// `using namespace X;` is a namespace fact; `using X::y;` is an ordinary qualified name.
    pub(super) fn using_declaration(&mut self, node: Node) -> bool {
        let mut cursor = node.walk();
        let is_directive = node
            .children(&mut cursor)
            .any(|c| c.kind_name() == "namespace");
        if !is_directive {
            return true;
        }
        let mut cursor = node.walk();
        let Some(target) = node.named_children(&mut cursor).last() else {
            return false;
        };
        let segments = namespace_segments(target, self.text);
        if segments.is_empty() {
            return false;
        }
        let resolved = self.resolve_alias(segments);
        self.out.using_namespaces.push(resolved.clone());
        self.push_namespace(target, resolved);
        false
    }
}

/// Flattens a qualified name into its segments and the ranges of the tokens that spell them.
/// Template arguments are not part of the chain (they are walked on their own).
fn chain<'t>(
    node: Node,
    text: &'t str,
    segments: &mut Vec<&'t str>,
    ranges: &mut Vec<Range<usize>>,
) -> bool {
    /// Longer chains are not C++ anyone writes; giving up keeps adversarial input cheap.
    const MAX_SEGMENTS: usize = 64;
    // Iterative (a qualified name nests to the right, one level per `::`), scope before name.
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if segments.len() > MAX_SEGMENTS {
            return false;
        }
        match node.kind_name() {
            "qualified_identifier" => {
                ranges.push(node.byte_range());
                let Some(name) = node.field("name") else {
                    return false;
                };
                stack.push(name);
                if let Some(scope) = node.field("scope") {
                    stack.push(scope);
                }
            }
            "namespace_identifier"
            | "identifier"
            | "type_identifier"
            | "field_identifier"
            | "destructor_name"
            | "operator_name" => {
                segments.push(&text[node.byte_range()]);
                ranges.push(node.byte_range());
            }
            "template_type" | "template_function" | "template_method" => match node.field("name") {
                Some(name) => stack.push(name),
                None => return false,
            },
            "dependent_name" | "dependent_type" => match node.named_child(0) {
                Some(inner) => stack.push(inner),
                None => return false,
            },
            _ => return false,
        }
    }
    true
}

/// The segments of a namespace named in `using namespace` or a namespace alias.
fn namespace_segments(node: Node, text: &str) -> Vec<String> {
    match node.kind_name() {
        "nested_namespace_specifier" => {
            // Flatten iteratively: the specifier may nest (`a::b::c`).
            let mut out = Vec::new();
            let mut stack = vec![node];
            while let Some(n) = stack.pop() {
                if out.len() > 64 {
                    return Vec::new();
                }
                if n.kind_name() == "nested_namespace_specifier" {
                    let mut cursor = n.walk();
                    let children: Vec<Node> = n.named_children(&mut cursor).collect();
                    stack.extend(children.into_iter().rev());
                } else if matches!(n.kind_name(), "namespace_identifier" | "identifier") {
                    out.push(text[n.byte_range()].to_string());
                }
            }
            out
        }
        "qualified_identifier" => {
            let mut segments = Vec::new();
            let mut ranges = Vec::new();
            if chain(node, text, &mut segments, &mut ranges) {
                segments.into_iter().map(String::from).collect()
            } else {
                Vec::new()
            }
        }
        "namespace_identifier" | "identifier" => vec![text[node.byte_range()].to_string()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::lang::cpp::CppFrontEnd;
    use crate::lang::{FactKind, Lang};

    #[test]
    fn qualified_names_resolve_aliases() {
        let mut fe = CppFrontEnd::new();
        let ex = fe.extract(
            "namespace cg = cooperative_groups;\nvoid f() { auto b = cg::this_thread_block(); }",
            Lang::Cuda,
        );
        let q: Vec<_> = ex
            .facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::Qualified(s) => Some((f.text.clone(), s.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            q,
            [(
                "cg::this_thread_block".to_string(),
                vec![
                    "cooperative_groups".to_string(),
                    "this_thread_block".to_string()
                ]
            )]
        );
    }
}
