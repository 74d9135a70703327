//! Node kinds and field names by table lookup.
//!
//! `tree_sitter::Node::kind` finds a C string's length and checks it is UTF-8 on every call,
//! and `child_by_field_name` compares the name with each of the grammar's field names in turn;
//! the front ends ask both of nearly every node they visit, which was ~5 % of a scan's CPU on
//! Python and CUDA trees. A grammar's kind and field names are fixed, so each grammar's are read
//! once and looked up from then on (kind ids account for aliases, as `kind` does).

use crate::hash::FastMap;
use std::num::NonZeroU16;
use std::sync::OnceLock;
use tree_sitter::{Language, Node, TreeCursor};

/// One grammar's names.
struct Table {
    kind_count: usize,
    kinds: Vec<&'static str>,
    fields: FastMap<&'static str, NonZeroU16>,
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
            let kind_count = language.node_kind_count();
            let kinds = (0..kind_count)
                .map(|id| {
                    u16::try_from(id)
                        .ok()
                        .and_then(|id| language.node_kind_for_id(id))
                        .unwrap_or("")
                })
                .collect();
            let fields = (1..=language.field_count())
                .filter_map(|id| {
                    let id = NonZeroU16::new(u16::try_from(id).ok()?)?;
                    Some((language.field_name_for_id(id.get())?, id))
                })
                .collect();
            Table {
                kind_count,
                kinds,
                fields,
            }
        })
        .collect()
    })
}

fn table(node: &Node) -> Option<&'static Table> {
    let count = node.language().node_kind_count();
    tables().iter().find(|t| t.kind_count == count)
}

/// The id of the field `name` in `node`'s grammar (`None` if it has no such field).
fn field_id(node: &Node, name: &str) -> Option<NonZeroU16> {
    match table(node) {
        Some(t) => t.fields.get(name).copied(),
        None => node.language().field_id_for_name(name),
    }
}

/// [`Node::kind`], [`Node::child_by_field_name`] and [`Node::children_by_field_name`], by table.
pub trait NodeNames<'tree> {
    /// The node's kind, as [`Node::kind`] returns it.
    fn kind_name(&self) -> &'static str;
    /// The child in field `name`, as [`Node::child_by_field_name`] returns it.
    fn field(&self, name: &str) -> Option<Node<'tree>>;
    /// The children in field `name`, as [`Node::children_by_field_name`] returns them.
    fn fields<'cursor>(
        &self,
        name: &str,
        cursor: &'cursor mut TreeCursor<'tree>,
    ) -> impl Iterator<Item = Node<'tree>> + 'cursor;
}

impl<'tree> NodeNames<'tree> for Node<'tree> {
    #[inline]
    fn kind_name(&self) -> &'static str {
        table(self)
            .and_then(|t| t.kinds.get(usize::from(self.kind_id())))
            .copied()
            .unwrap_or_else(|| self.kind())
    }

    #[inline]
    fn field(&self, name: &str) -> Option<Node<'tree>> {
        self.child_by_field_id(field_id(self, name)?.get())
    }

    fn fields<'cursor>(
        &self,
        name: &str,
        cursor: &'cursor mut TreeCursor<'tree>,
    ) -> impl Iterator<Item = Node<'tree>> + 'cursor {
        // No grammar has 65,535 fields: an unknown name selects no child, as in tree-sitter.
        let id = field_id(self, name).unwrap_or(NonZeroU16::MAX);
        self.children_by_field_id(id, cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammars_are_told_apart_and_every_name_matches() {
        let counts: std::collections::BTreeSet<usize> =
            tables().iter().map(|t| t.kind_count).collect();
        assert_eq!(
            counts.len(),
            tables().len(),
            "two grammars have as many node kinds"
        );
        let cases: [(Language, &str, &[&str]); 3] = [
            (
                tree_sitter_cuda::LANGUAGE.into(),
                "__global__ void k(int* p) { p[threadIdx.x] = 1; }\nint main() { k<<<1, 2>>>(0); }",
                &[
                    "declarator",
                    "body",
                    "function",
                    "arguments",
                    "type",
                    "nope",
                ],
            ),
            (
                tree_sitter_python::LANGUAGE.into(),
                "import torch as t\nx = t.ones(2).cuda()\nif x: print(f'{x!r}')",
                &[
                    "name",
                    "alias",
                    "function",
                    "arguments",
                    "left",
                    "right",
                    "nope",
                ],
            ),
            (
                tree_sitter_go::LANGUAGE.into(),
                "package m\nimport \"C\"\nfunc f() { var x = C.cudaMalloc(nil); _ = x }",
                &["name", "body", "function", "arguments", "nope"],
            ),
        ];
        for (language, text, field_names) in cases {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&language).unwrap();
            let tree = parser.parse(text, None).unwrap();
            let mut cursor = tree.walk();
            let mut seen = 0;
            'walk: loop {
                let node = cursor.node();
                assert_eq!(node.kind_name(), node.kind());
                for name in field_names {
                    assert_eq!(node.field(name), node.child_by_field_name(name), "{name}");
                    let mut a = node.walk();
                    let mut b = node.walk();
                    let ours: Vec<_> = node.fields(name, &mut a).collect();
                    let theirs: Vec<_> = node.children_by_field_name(name, &mut b).collect();
                    assert_eq!(ours, theirs, "{name}");
                }
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
