//! Node kinds by table lookup.
//!
//! `tree_sitter::Node::kind` finds a C string's length and checks it is UTF-8 on every call;
//! the front ends ask for the kind of every node they visit (several times for some), and on
//! Python-heavy trees that was ~5 % of a scan's CPU. The names of a grammar's node kinds are
//! fixed, so each grammar's are read once, indexed by kind id (which, like `kind`, accounts for
//! aliases), and looked up from then on.

use std::sync::OnceLock;
use tree_sitter::{Language, Node};

/// One grammar's node-kind names, by kind id.
struct Table {
    count: usize,
    names: Vec<&'static str>,
}

/// The tables of the grammars the front ends parse with. They are told apart by their number
/// of node kinds, which differs between them (a unit test holds that).
fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(|| {
        [
            Language::from(tree_sitter_cuda::LANGUAGE),
            Language::from(tree_sitter_python::LANGUAGE),
            Language::from(tree_sitter_go::LANGUAGE),
        ]
        .iter()
        .map(|language| {
            let count = language.node_kind_count();
            let names = (0..count)
                .map(|id| {
                    u16::try_from(id)
                        .ok()
                        .and_then(|id| language.node_kind_for_id(id))
                        .unwrap_or("")
                })
                .collect();
            Table { count, names }
        })
        .collect()
    })
}

/// A node's kind, as [`Node::kind`] returns it.
pub trait KindName {
    fn kind_name(&self) -> &'static str;
}

impl KindName for Node<'_> {
    #[inline]
    fn kind_name(&self) -> &'static str {
        let count = self.language().node_kind_count();
        tables()
            .iter()
            .find(|t| t.count == count)
            .and_then(|t| t.names.get(usize::from(self.kind_id())))
            .copied()
            .unwrap_or_else(|| self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammars_are_told_apart_and_every_kind_matches() {
        let counts: std::collections::BTreeSet<usize> = tables().iter().map(|t| t.count).collect();
        assert_eq!(
            counts.len(),
            tables().len(),
            "two grammars have as many node kinds"
        );
        let cases: [(Language, &str); 3] = [
            (
                tree_sitter_cuda::LANGUAGE.into(),
                "__global__ void k(int* p) { p[threadIdx.x] = 1; }\nint main() { k<<<1, 2>>>(0); }",
            ),
            (
                tree_sitter_python::LANGUAGE.into(),
                "import torch as t\nx = t.ones(2).cuda()\nif x: print(f'{x!r}')",
            ),
            (
                tree_sitter_go::LANGUAGE.into(),
                "package m\nimport \"C\"\nfunc f() { var x = C.cudaMalloc(nil); _ = x }",
            ),
        ];
        for (language, text) in cases {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&language).unwrap();
            let tree = parser.parse(text, None).unwrap();
            let mut cursor = tree.walk();
            let mut seen = 0;
            'walk: loop {
                let node = cursor.node();
                assert_eq!(node.kind_name(), node.kind());
                seen += 1;
                if cursor.goto_first_child() {
                    continue;
                }
                while !cursor.goto_next_sibling() {
                    if !cursor.goto_parent() {
                        break 'walk;
                    }
                }
            }
            assert!(seen > 10);
        }
    }
}
