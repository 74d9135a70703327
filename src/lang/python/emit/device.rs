//! Device and backend strings: the token (`cuda`, `gpu`, `nccl`) an argument or assignment
//! names, and whether a custom-op registration's device types include CUDA.

use super::{Emitter, MAX_VALUES};
use crate::lang::node_names::NodeNames;
use crate::lang::python::literal;
use crate::lang::python::scope::{ScopeId, text};
use crate::lang::python::tables;
use std::collections::HashSet;
use tree_sitter::Node;

impl<'t> Emitter<'t, '_> {
    /// The device token of an argument: `cuda`, `gpu`, `nccl`, or `cuda|cpu` for a literal choice
    /// (`"cuda" if ok else "cpu"`).
    pub(super) fn device_arg(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> Option<String> {
        if node.kind_name() == "conditional_expression" {
            let a = node.named_child(0)?;
            let b = node.named_child(2)?;
            let ta = self.literal_token(unit, a, scope);
            let tb = self.literal_token(unit, b, scope);
            return match (ta, tb) {
                (Some(t), Some("cpu")) | (Some("cpu"), Some(t)) if t != "cpu" => {
                    Some(format!("{t}|cpu"))
                }
                (Some(t), None) | (None, Some(t)) if t != "cpu" => Some(t.to_string()),
                (Some(t), Some(u)) if t == u && t != "cpu" => Some(t.to_string()),
                _ => None,
            };
        }
        self.literal_token(unit, node, scope)
            .filter(|&t| t != "cpu")
            .map(str::to_string)
    }

    /// Whether a string literal is a CUDA dispatch key (`"CUDA"`, `"AutogradCUDA"`).
    pub(super) fn is_dispatch_key(&self, unit: usize, node: Node<'t>) -> bool {
        literal::decode(node, self.src(unit))
            .is_some_and(|d| tables::CUDA_DISPATCH_KEYS.contains(&d.text.as_str()))
    }

    /// Whether a registration's device types (a string, a list or tuple of them, a dispatch key)
    /// include CUDA.
    pub(super) fn registers_cuda(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
        if matches!(node.kind_name(), "list" | "tuple") {
            let mut cursor = node.walk();
            let items: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
            return items
                .into_iter()
                .any(|i| self.registers_cuda(unit, i, scope));
        }
        self.is_dispatch_key(unit, node)
            || self.device_arg(unit, node, scope).as_deref() == Some("cuda")
    }

    /// The token all string values of `node` agree on.
    fn literal_token(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> Option<&'static str> {
        if !matches!(
            node.kind_name(),
            "string"
                | "concatenated_string"
                | "identifier"
                | "binary_operator"
                | "call"
                | "parenthesized_expression"
        ) {
            return None;
        }
        let mut values = Vec::new();
        if node.kind_name() == "identifier" {
            // A variable counts only if every assignment to it is a known string.
            let name = text(node, self.src(unit));
            let (_, at) = self.scopes.lookup(scope, name)?;
            let locs = self.scopes.scopes[at].assigned.get(name)?;
            for loc in locs.iter().take(MAX_VALUES) {
                let before = values.len();
                let mut visited = HashSet::new();
                visited.insert((loc.unit, loc.node.id()));
                self.string_values(loc.unit, loc.node, at, 1, &mut visited, &mut values);
                if values.len() == before {
                    return None;
                }
            }
        } else {
            self.string_values(unit, node, scope, 0, &mut HashSet::new(), &mut values);
        }
        let mut token = None;
        for (_, v) in &values {
            let t = tables::device_token(&v.text)?;
            if token.is_some_and(|prev| prev != t) {
                return None;
            }
            token = Some(t);
        }
        token
    }
}
