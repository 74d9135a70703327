//! References: the dotted names an identifier or attribute chain stands for, through imports,
//! aliases (`x = torch.cuda`), dynamic imports and star imports.

use super::{Emitter, MAX_CHAIN, MAX_RESOLVE_DEPTH};
use crate::lang::node_names::NodeNames;
use crate::lang::python::literal;
use crate::lang::python::scope::{Binding, ScopeId, text};
use crate::lang::python::tables;
use tree_sitter::Node;

impl<'t> Emitter<'t, '_> {
    /// The dotted names a reference (`a`, `a.b.c`) stands for: none when its root is not an
    /// import; several only through ambiguous star imports.
    pub(in crate::lang::python) fn resolve(
        &self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        depth: usize,
    ) -> Vec<String> {
        let src = self.src(unit);
        let mut attrs: Vec<&str> = Vec::new();
        let mut n = node;
        loop {
            match n.kind_name() {
                "identifier" => break,
                "attribute" if attrs.len() < MAX_CHAIN => {
                    let (Some(obj), Some(attr)) = (n.field("object"), n.field("attribute")) else {
                        return Vec::new();
                    };
                    attrs.push(text(attr, src));
                    n = obj;
                }
                _ => return Vec::new(),
            }
        }
        let root = text(n, src);
        let bases: Vec<String> = match self.scopes.lookup(scope, root) {
            Some((Binding::Import(m), _)) => vec![self.scopes.modules[m].clone()],
            Some((Binding::Alias(loc, s), _)) if depth < MAX_RESOLVE_DEPTH => {
                if loc.node.kind_name() == "call" {
                    self.dynamic_import(loc.unit, loc.node, s, depth + 1)
                } else {
                    self.resolve(loc.unit, loc.node, s, depth + 1)
                }
            }
            Some(_) => Vec::new(),
            None if tables::BUILTINS.contains(&root) => Vec::new(),
            None => self
                .scopes
                .stars(scope)
                .into_iter()
                .map(|m| format!("{m}.{root}"))
                .collect(),
        };
        bases
            .into_iter()
            .map(|mut b| {
                for a in attrs.iter().rev() {
                    b.push('.');
                    b.push_str(a);
                }
                b
            })
            .collect()
    }

    /// The module of `importlib.import_module("m")` or `__import__("m")` with a literal name.
    fn dynamic_import(
        &self,
        unit: usize,
        call: Node<'t>,
        scope: ScopeId,
        depth: usize,
    ) -> Vec<String> {
        let src = self.src(unit);
        let Some(func) = call.field("function") else {
            return Vec::new();
        };
        let builtin = func.kind_name() == "identifier"
            && text(func, src) == "__import__"
            && self.scopes.lookup(scope, "__import__").is_none();
        let importlib = || {
            self.resolve(unit, func, scope, depth)
                .iter()
                .any(|c| c == "importlib.import_module")
        };
        if !builtin && !importlib() {
            return Vec::new();
        }
        let Some(arg) = call.field("arguments").and_then(|a| a.named_child(0)) else {
            return Vec::new();
        };
        let Some(name) = literal::decode(arg, src).map(|d| d.text) else {
            return Vec::new();
        };
        let valid = !name.is_empty()
            && name.split('.').all(|p| {
                !p.is_empty() && p.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric())
            });
        if !valid {
            return Vec::new();
        }
        let name = if builtin {
            name.split('.').next().unwrap_or("").to_string()
        } else {
            name
        };
        vec![name]
    }

    /// Whether a bare name is bound by an assignment of an imported value (`x = torch.cuda`).
    pub(super) fn is_value_alias(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
        matches!(
            self.scopes.lookup(scope, text(node, self.src(unit))),
            Some((Binding::Alias(..), _))
        )
    }

    pub(super) fn resolves(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
        !self.resolve(unit, node, scope, 0).is_empty()
    }

    /// Emits the resolved names of a reference; returns whether it resolved.
    pub(super) fn reference(
        &mut self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        detail: Option<usize>,
    ) -> bool {
        let names = self.resolve(unit, node, scope, 0);
        let d = self.detail_text(detail);
        let resolved = !names.is_empty();
        self.rocm_reference(unit, &names, node);
        for name in names {
            self.push(unit, name, node.byte_range(), d.as_deref());
        }
        resolved
    }
}
