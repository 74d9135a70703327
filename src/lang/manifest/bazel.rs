//! Bazel BUILD/WORKSPACE/MODULE files and Starlark `.bzl`, parsed with tree-sitter-python
//! (Starlark is a Python dialect). Comments are never entered.
//!
//! Facts: the names of called functions and rules (`cuda_library`, `if_cuda`), labels in
//! string literals (`@local_config_cuda//cuda:cudart`: keys `bazel-label:…`, then
//! `bazel-repo:local_config_cuda`), and flags in strings (`"-arch=sm_80"`, `"-lcudart"`).

use super::{Out, shell};
use crate::lang::node_names::NodeNames;
use tree_sitter::{Node, Parser};

pub(crate) fn extract(parser: &mut Parser, text: &str, out: &mut Out) {
    parser.reset();
    let Some(tree) = parser.parse(text, None) else {
        return;
    };
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let descend = visit(node, text, out);
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

fn visit(node: Node, text: &str, out: &mut Out) -> bool {
    match node.kind_name() {
        "comment" => false,
        "call" => {
            if let Some(f) = node.field("function") {
                let name_node = match f.kind_name() {
                    "attribute" => f.field("attribute"),
                    "identifier" => Some(f),
                    _ => None,
                };
                if let Some(n) = name_node {
                    let name = &text[n.byte_range()];
                    out.entry(name, n.byte_range(), vec![format!("bazel-call:{name}")]);
                }
            }
            true
        }
        "string" => {
            string(node, text, out);
            false
        }
        _ => true,
    }
}

fn string(node: Node, text: &str, out: &mut Out) {
    let mut cursor = node.walk();
    for part in node.children(&mut cursor) {
        if part.kind_name() != "string_content" {
            continue;
        }
        let s = &text[part.byte_range()];
        let span = part.byte_range();
        if let Some(label) = s.strip_prefix('@') {
            let repo = label
                .trim_start_matches('@')
                .split("//")
                .next()
                .unwrap_or("");
            let mut keys = vec![format!("bazel-label:{s}")];
            if !repo.is_empty() {
                keys.push(format!("bazel-repo:{repo}"));
            }
            out.entry(s, span, keys);
        } else if s.starts_with('-') || shell::is_arch_name(s) {
            let (w, rest) = s.split_once(' ').unwrap_or((s, ""));
            let next = rest.split_whitespace().next();
            let next_end = next.map(|n| span.start + s.find(n).unwrap_or(0) + n.len());
            shell::word_flag(w, span.start..span.start + w.len(), next, next_end, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    #[test]
    fn starlark_facts() {
        let text = "# cuda_library(name = \"x\")\nload(\"@local_config_cuda//cuda:build_defs.bzl\", \"if_cuda\", \"cuda_library\")\ncuda_library(\n    name = \"k\",\n    srcs = [\"k.cu.cc\"],\n    copts = if_cuda([\"-arch=sm_80\"]),\n    deps = [\"@local_config_cuda//cuda:cudart\"],\n)\n";
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let mut out = Out::default();
        extract(&mut parser, text, &mut out);
        let f: Vec<(String, &str)> = out
            .facts
            .iter()
            .map(|f| {
                let FactKind::Keys(k) = &f.kind else {
                    unreachable!()
                };
                (k[0].clone(), &text[f.span.clone()])
            })
            .collect();
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && *b == w);
        assert!(has("bazel-call:cuda_library", "cuda_library"), "{f:?}");
        assert!(has("bazel-call:if_cuda", "if_cuda"));
        assert!(has("flag:-arch", "-arch=sm_80"));
        assert!(has(
            "bazel-label:@local_config_cuda//cuda:cudart",
            "@local_config_cuda//cuda:cudart"
        ));
        assert_eq!(
            f.iter()
                .filter(|(k, _)| k == "bazel-call:cuda_library")
                .count(),
            1
        );
    }
}
