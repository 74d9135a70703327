//! Environment variables: names read from or written to the process environment
//! (`os.environ["X"]`, `os.getenv("X")`, `env={…}`), or a copy of it.

use super::{Emitter, MAX_VALUES, is_string};
use crate::lang::node_names::NodeNames;
use crate::lang::python::literal;
use crate::lang::python::scope::{Binding, ScopeId, text};
use crate::lang::python::tables;
use tree_sitter::Node;

impl<'t> Emitter<'t, '_> {
    /// Whether an expression is the process environment or a copy of it (`os.environ`,
    /// `env = os.environ.copy()`, `dict(os.environ)`, `{**os.environ}`).
    pub(super) fn is_environ(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
        let mut budget = MAX_VALUES;
        self.environ_at(unit, node, scope, &mut budget)
    }

    fn environ_at(&self, unit: usize, node: Node<'t>, scope: ScopeId, budget: &mut usize) -> bool {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        if self
            .resolve(unit, node, scope, 0)
            .iter()
            .any(|n| tables::ENVIRON.contains(&n.as_str()))
        {
            return true;
        }
        let src = self.src(unit);
        match node.kind_name() {
            "identifier" => {
                let name = text(node, src);
                let Some((Binding::Local | Binding::Alias(..), at)) =
                    self.scopes.lookup(scope, name)
                else {
                    return false;
                };
                self.scopes.scopes[at]
                    .assigned
                    .get(name)
                    .is_some_and(|locs| {
                        locs.iter()
                            .take(MAX_VALUES)
                            .any(|l| self.environ_at(l.unit, l.node, at, budget))
                    })
            }
            "call" => {
                let Some(func) = node.field("function") else {
                    return false;
                };
                let first_arg = node.field("arguments").and_then(|a| a.named_child(0));
                match func.kind_name() {
                    "attribute" => {
                        let method = func.field("attribute").map(|a| text(a, src));
                        if method == Some("copy") {
                            return func
                                .field("object")
                                .is_some_and(|o| self.environ_at(unit, o, scope, budget));
                        }
                        self.resolve(unit, func, scope, 0)
                            .iter()
                            .any(|c| c == "copy.copy" || c == "copy.deepcopy")
                            && first_arg.is_some_and(|a| self.environ_at(unit, a, scope, budget))
                    }
                    "identifier" => {
                        text(func, src) == "dict"
                            && self.scopes.lookup(scope, "dict").is_none()
                            && first_arg.is_some_and(|a| self.environ_at(unit, a, scope, budget))
                    }
                    _ => false,
                }
            }
            "dictionary" => {
                let mut cursor = node.walk();
                node.named_children(&mut cursor).any(|c| {
                    c.kind_name() == "dictionary_splat"
                        && c.named_child(0)
                            .is_some_and(|e| self.environ_at(unit, e, scope, budget))
                })
            }
            _ => false,
        }
    }

    /// An environment variable named by a string literal.
    pub(super) fn env_key(&mut self, unit: usize, key: Node<'t>) {
        if !matches!(key.kind_name(), "string" | "concatenated_string") {
            return;
        }
        let Some(d) = literal::decode(key, self.src(unit)) else {
            return;
        };
        let name = d.text.trim();
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.push(
                unit,
                name.to_string(),
                key.byte_range(),
                Some("environment variable"),
            );
        }
    }

    /// `"X" in os.environ`, `"X" not in os.environ`.
    pub(super) fn env_membership(&mut self, unit: usize, node: Node<'t>, scope: ScopeId) {
        let mut cursor = node.walk();
        let has_in = node
            .children(&mut cursor)
            .any(|c| matches!(c.kind_name(), "in" | "not in"));
        if !has_in || node.named_child_count() != 2 {
            return;
        }
        if let (Some(key), Some(env)) = (node.named_child(0), node.named_child(1)) {
            if is_string(key) && self.is_environ(unit, env, scope) {
                self.env_key(unit, key);
            }
        }
    }

    /// The keys of a dictionary that becomes an environment (`env={…}`, `{**os.environ, …}`).
    pub(super) fn env_dict(&mut self, unit: usize, dict: Node<'t>) {
        let mut cursor = dict.walk();
        let keys: Vec<Node<'t>> = dict
            .named_children(&mut cursor)
            .filter(|p| p.kind_name() == "pair")
            .filter_map(|p| p.field("key"))
            .collect();
        for k in keys {
            self.env_key(unit, k);
        }
    }
}
