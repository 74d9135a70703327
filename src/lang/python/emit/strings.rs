//! String values: what an expression may hold as a string (literals, concatenation,
//! formatting, variables of the same file), and CUDA or C++ source in strings parsed with the
//! C-family front end at its real place in the file.

use super::{Emitter, MAX_RESOLVE_DEPTH, MAX_VALUES, join_details};
use crate::lang::node_names::NodeNames;
use crate::lang::python::literal::{self, Decoded};
use crate::lang::python::scope::{Binding, Loc, ScopeId, text};
use crate::lang::python::tables;
use crate::lang::{Fact, Lang};
use std::collections::HashSet;
use tree_sitter::Node;

impl<'t> Emitter<'t, '_> {
    /// A string literal's value with a map to file offsets.
    pub(in crate::lang::python) fn decode_in_file(
        &self,
        unit: usize,
        node: Node<'t>,
    ) -> Option<Decoded> {
        let mut d = literal::decode(node, self.src(unit))?;
        if let Some(outer) = self.units[unit].map {
            d.map = d.map.compose(outer);
        }
        Some(d)
    }

    /// The string values an expression may have: literals, implicit and `+` concatenation,
    /// `%`/`.format()`/`textwrap.dedent()` of a literal, lists of them, and variables assigned
    /// one of those in the same file. Each value comes with the unit it was found in.
    pub(super) fn string_values(
        &self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        depth: usize,
        visited: &mut HashSet<(usize, usize)>,
        out: &mut Vec<(usize, Decoded)>,
    ) {
        if depth > MAX_RESOLVE_DEPTH * 2 || visited.len() > MAX_VALUES || out.len() > MAX_VALUES {
            return;
        }
        let src = self.src(unit);
        match node.kind_name() {
            "string" | "concatenated_string" => {
                if let Some(d) = self.decode_in_file(unit, node) {
                    out.push((unit, d));
                }
            }
            "parenthesized_expression" | "list" | "tuple" | "expression_list" => {
                let mut cursor = node.walk();
                let kids: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for k in kids {
                    self.string_values(unit, k, scope, depth + 1, visited, out);
                }
            }
            "conditional_expression" => {
                for i in [0, 2] {
                    if let Some(k) = node.named_child(i) {
                        self.string_values(unit, k, scope, depth + 1, visited, out);
                    }
                }
            }
            "assignment" => {
                if let Some(r) = node.field("right") {
                    self.string_values(unit, r, scope, depth + 1, visited, out);
                }
            }
            "binary_operator" => {
                let op = node.field("operator").map(|o| o.kind_name());
                let (Some(l), Some(r)) = (node.field("left"), node.field("right")) else {
                    return;
                };
                match op {
                    Some("%") => self.string_values(unit, l, scope, depth + 1, visited, out),
                    Some("+") => {
                        let mut parts = Vec::new();
                        self.string_values(unit, l, scope, depth + 1, visited, &mut parts);
                        self.string_values(unit, r, scope, depth + 1, visited, &mut parts);
                        let mut parts = parts.into_iter();
                        if let Some((u, mut joined)) = parts.next() {
                            for (_, p) in parts {
                                joined.append(&p);
                            }
                            out.push((u, joined));
                        }
                    }
                    _ => {}
                }
            }
            "call" => {
                let Some(func) = node.field("function") else {
                    return;
                };
                if func.kind_name() == "attribute" {
                    let method = func.field("attribute").map(|a| text(a, src)).unwrap_or("");
                    if tables::STRING_METHODS.contains(&method) {
                        if let Some(obj) = func.field("object") {
                            self.string_values(unit, obj, scope, depth + 1, visited, out);
                        }
                        return;
                    }
                }
                let callee = self.resolve(unit, func, scope, 0);
                let plain = func.kind_name() == "identifier"
                    && matches!(text(func, src), "str" | "bytes")
                    && self.scopes.lookup(scope, text(func, src)).is_none();
                if plain
                    || callee
                        .iter()
                        .any(|c| tables::STRING_FUNCTIONS.contains(&c.as_str()))
                {
                    if let Some(arg) = node.field("arguments").and_then(|a| a.named_child(0)) {
                        self.string_values(unit, arg, scope, depth + 1, visited, out);
                    }
                }
            }
            "identifier" => {
                let name = text(node, src);
                let Some((binding, at)) = self.scopes.lookup(scope, name) else {
                    return;
                };
                if matches!(binding, Binding::Import(_)) {
                    return;
                }
                let Some(locs) = self.scopes.scopes[at].assigned.get(name) else {
                    return;
                };
                let locs: Vec<Loc<'t>> = locs.clone();
                for loc in locs {
                    if visited.insert((loc.unit, loc.node.id())) {
                        self.string_values(loc.unit, loc.node, at, depth + 1, visited, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether a string literal holds a CUDA kernel (`__global__`) even though it is not seen
    /// handed to a known compiler API (the call may live in another module).
    pub(super) fn looks_like_cuda(&self, unit: usize, node: Node<'t>) -> bool {
        let raw = text(node, self.src(unit));
        raw.contains("__global__")
    }

    /// Parses a source string with the C-family front end; its facts land at their real place.
    pub(super) fn parse_source(&mut self, unit: usize, source: Decoded, lang: Lang, what: String) {
        let key = (source.map.start(0), source.text.len());
        if source.text.trim().is_empty() || !self.parsed_sources.insert(key) {
            return;
        }
        let inner = self.cpp.extract(&source.text, lang);
        if inner.skip.is_some() {
            return;
        }
        let cell = self.units[unit].detail.clone();
        for f in inner.facts {
            let span = source.map.span(f.span.clone());
            let detail = join_details(&[f.detail.as_deref(), Some(&what), cell.as_deref()]);
            self.out.facts.push(Fact {
                kind: f.kind,
                text: f.text,
                span,
                detail,
                lang: Some(f.lang.unwrap_or(lang)),
            });
        }
        self.out.defined.extend(inner.defined);
        for u in inner.using_namespaces {
            if !self.out.using_namespaces.contains(&u) {
                self.out.using_namespaces.push(u);
            }
        }
    }
}
