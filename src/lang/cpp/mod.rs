//! The C, C++ and CUDA front end.
//!
//! Every C-family file is parsed with tree-sitter-cuda. The CUDA grammar is tree-sitter-cpp
//! extended with CUDA's qualifiers, `__launch_bounds__` and `<<<…>>>` launches, so one grammar
//! serves `.cu` files and the headers and `.cpp` files that hold device code behind
//! `__CUDACC__` (tree-sitter-cpp turns those constructs into ERROR nodes). C parses as the C
//! subset of C++; where C uses a C++ keyword as a name, tree-sitter recovers locally.
//!
//! One pre-order walk visits each node once. Comments and string literals are never entered.
//! `#define` bodies, which tree-sitter keeps as raw text, go through [`super::lexer`].
//!
//! The parts: this module walks the tree and handles names, includes and launches;
//! `definitions` keeps what the file defines from becoming facts; `names` reads qualified names
//! and namespace aliases; `macros` reads `#define`s; `asm` reads inline assembly.

mod asm;
mod definitions;
mod macros;
mod names;

use crate::lang::node_names::NodeNames;
pub use asm::looks_like_ptx;

use super::lexer;
use super::{Extraction, Fact, FactKind, Lang};
use crate::hash::{FastMap as HashMap, FastSet as HashSet};
use std::ops::Range;
use tree_sitter::{Node, Parser, Tree};

/// A reusable parser for C-family files (one per thread).
pub struct CppFrontEnd {
    parser: Parser,
    /// How long one parse may take before the file is skipped.
    pub budget: std::time::Duration,
}

impl Default for CppFrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl CppFrontEnd {
    pub fn new() -> Self {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_cuda::LANGUAGE.into())
            .expect("the bundled tree-sitter-cuda grammar matches the tree-sitter runtime");
        CppFrontEnd {
            parser,
            budget: super::DEFAULT_PARSE_BUDGET,
        }
    }

    /// Parses `text` and returns its facts. `lang` decides whether inline assembly outside
    /// device functions counts as PTX (it does in `.cu` files).
    pub fn extract(&mut self, text: &str, lang: Lang) -> Extraction {
        let tree = match super::parse_within(&mut self.parser, text, self.budget) {
            Ok(tree) => tree,
            Err(skip) => {
                return Extraction {
                    skip: Some(skip),
                    ..Extraction::default()
                };
            }
        };
        let mut walker = Walker::new(text, lang == Lang::Cuda);
        walker.walk(&tree);
        walker.wrapper_shims();
        walker.out.branches = super::preproc::conditionals(text);
        walker.out.has_parse_errors = tree.root_node().has_error();
        walker.out
    }
}

struct Walker<'t> {
    text: &'t str,
    cuda_file: bool,
    out: Extraction,
    /// Node ranges already accounted for (definition names, parts of qualified names).
    skip: HashSet<(usize, usize)>,
    /// `namespace cg = cooperative_groups;` → "cg" → ["cooperative_groups"].
    aliases: HashMap<String, Vec<String>>,
    /// Function definitions: name, body span, start (wrapper-shim candidates once the walk is done).
    functions: Vec<(String, Range<usize>, usize)>,
}

impl<'t> Walker<'t> {
    fn new(text: &'t str, cuda_file: bool) -> Self {
        Walker {
            text,
            cuda_file,
            out: Extraction::default(),
            skip: HashSet::default(),
            aliases: HashMap::default(),
            functions: Vec::new(),
        }
    }

    fn walk(&mut self, tree: &Tree) {
        let mut cursor = tree.walk();
        loop {
            let node = cursor.node();
            if self.visit(node) && cursor.goto_first_child() {
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

    fn text_of(&self, node: Node) -> &'t str {
        &self.text[node.byte_range()]
    }

    fn push(&mut self, kind: FactKind, text: &str, span: Range<usize>, detail: Option<String>) {
        self.out.facts.push(Fact {
            kind,
            text: text.to_string(),
            span,
            detail,
            lang: None,
        });
    }

    fn is_skipped(&self, node: Node) -> bool {
        self.skip.contains(&(node.start_byte(), node.end_byte()))
    }

    /// Handles one node; returns whether to descend into its children.
    fn visit(&mut self, node: Node) -> bool {
        match node.kind_name() {
            "comment"
            | "string_literal"
            | "raw_string_literal"
            | "char_literal"
            | "concatenated_string"
            | "system_lib_string"
            | "field_identifier"
            | "statement_identifier"
            | "number_literal" => false,
            "preproc_include" => {
                self.include(node);
                false
            }

            "preproc_def" | "preproc_function_def" => {
                self.macro_definition(node);
                false
            }
            // `#pragma`, `#error`, `#line` and unknown directives carry free text.
            "preproc_call" => false,
            "gnu_asm_expression" => {
                self.inline_asm(node);
                false
            }
            "kernel_call_syntax" => {
                self.launch(node);
                true
            }
            "qualified_identifier" => {
                if !self.is_skipped(node) {
                    self.qualified(node);
                }
                true
            }
            "namespace_alias_definition" => {
                self.namespace_alias(node);
                false
            }
            "using_declaration" => self.using_declaration(node),
            "identifier" | "type_identifier" | "namespace_identifier" => {
                self.name(node);
                false
            }
            _ if !node.is_named() && node.child_count() == 0 => {
                self.keyword(node);
                false
            }
            // Declarations and definitions: the names they define are not facts.
            _ => {
                self.definition(node);
                true
            }
        }
    }

    /// `<<<…>>>`: a kernel launch, the fact over `<<<`.
    fn launch(&mut self, node: Node) {
        let kernel = node
            .parent()
            .and_then(|call| call.field("function"))
            .map(|f| format!("kernel `{}`", self.callee_name(f)));
        let end = node
            .child(0)
            .map_or(node.start_byte() + 3, |open| open.end_byte());
        self.push(FactKind::Launch, "<<<>>>", node.start_byte()..end, kernel);
    }

    /// A name, unless it was accounted for (a definition, part of a qualified name).
    fn name(&mut self, node: Node) {
        self.dispatch_registration(node);
        if !self.is_skipped(node) {
            let text = self.text_of(node);
            self.push(FactKind::Name, text, node.byte_range(), None);
        }
    }

    /// Keyword tokens such as `__global__`, `__shared__`, `__launch_bounds__`.
    fn keyword(&mut self, node: Node) {
        let text = self.text_of(node);
        if text.starts_with("__") && lexer::is_identifier(text) {
            let detail = (text == "__global__")
                .then(|| node.parent().and_then(|p| self.declared_function(p)))
                .flatten()
                .map(|name| format!("kernel `{name}`"));
            self.push(FactKind::Name, text, node.byte_range(), detail);
        }
    }

    /// `TORCH_LIBRARY_IMPL(ns, CUDA, m)`: a PyTorch kernel registration for a CUDA dispatch key,
    /// the fact `TORCH_LIBRARY_IMPL(CUDA)` over the macro and its arguments.
    fn dispatch_registration(&mut self, node: Node) {
        let name = self.text_of(node);
        if !matches!(name, "TORCH_LIBRARY_IMPL" | "STABLE_TORCH_LIBRARY_IMPL") {
            return;
        }
        let rest = &self.text[node.end_byte()..];
        let Some(args) = rest.trim_start().strip_prefix('(') else {
            return;
        };
        let Some(close) = args.find(')') else {
            return;
        };
        let key = args[..close].split(',').nth(1).map(str::trim);
        if let Some(key @ ("CUDA" | "AutogradCUDA" | "SparseCUDA" | "QuantizedCUDA")) = key {
            let end = node.end_byte() + (rest.len() - args.len()) + close + 1;
            let text = format!("{name}({key})");
            self.push(FactKind::Name, &text, node.start_byte()..end, None);
        }
    }

    fn include(&mut self, node: Node) {
        let Some(path) = node.field("path") else {
            return;
        };
        let raw = self.text_of(path);
        let inner = raw
            .trim_start_matches(['<', '"'])
            .trim_end_matches(['>', '"']);
        let start = path.start_byte() + (raw.len() - raw.trim_start_matches(['<', '"']).len());
        self.push(FactKind::Include, inner, start..start + inner.len(), None);
    }
}

fn children_by_field<'a>(node: Node<'a>, field: &str) -> Vec<Node<'a>> {
    let mut cursor = node.walk();
    node.fields(field, &mut cursor).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<String> {
        CppFrontEnd::new()
            .extract(src, Lang::Cuda)
            .facts
            .into_iter()
            .map(|f| f.text)
            .collect()
    }

    #[test]
    fn comments_and_strings_yield_nothing() {
        let facts = names("// cudaMalloc\n/* cudaFree */ const char* s = \"cudaMemcpy\";");
        assert!(facts.is_empty(), "{facts:?}");
    }
}
