//! Import statements: each imported module or name is a fact (`cupy`, `numba.cuda`).

use super::Emitter;
use crate::lang::node_names::NodeNames;
use crate::lang::python::scope::dotted;
use tree_sitter::Node;

impl<'t> Emitter<'t, '_> {
    pub(super) fn import(&mut self, unit: usize, node: Node<'t>) {
        let src = self.src(unit);
        let mut cursor = node.walk();
        let names: Vec<Node> = node.fields("name", &mut cursor).collect();
        for name in names {
            let path = match name.kind_name() {
                "aliased_import" => name.field("name"),
                _ => Some(name),
            };
            if let Some(path) = path.filter(|p| p.kind_name() == "dotted_name") {
                self.push(unit, dotted(path, src), path.byte_range(), None);
            }
        }
    }

    pub(super) fn import_from(&mut self, unit: usize, node: Node<'t>) {
        let src = self.src(unit);
        let Some(module) = node
            .field("module_name")
            .filter(|m| m.kind_name() == "dotted_name")
        else {
            return; // relative: the project's own code
        };
        let m = dotted(module, src);
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        if children.iter().any(|c| c.kind_name() == "wildcard_import") {
            self.push(unit, m.clone(), module.byte_range(), None);
        }
        let mut cursor = node.walk();
        let names: Vec<Node> = node.fields("name", &mut cursor).collect();
        for name in names {
            let path = match name.kind_name() {
                "aliased_import" => name.field("name"),
                _ => Some(name),
            };
            if let Some(path) = path.filter(|p| p.kind_name() == "dotted_name") {
                self.push(
                    unit,
                    format!("{m}.{}", dotted(path, src)),
                    path.byte_range(),
                    None,
                );
            }
        }
    }
}
