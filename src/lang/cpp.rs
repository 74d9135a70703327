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

use super::lexer::{self, TokenKind};
use super::{Extraction, Fact, FactKind, Lang, ShimCandidate, ShimForm};
use std::collections::{HashMap, HashSet};
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
            skip: HashSet::new(),
            aliases: HashMap::new(),
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
        match node.kind() {
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
                let kernel = node
                    .parent()
                    .and_then(|call| call.child_by_field_name("function"))
                    .map(|f| format!("kernel `{}`", self.callee_name(f)));
                let end = node
                    .child(0)
                    .map_or(node.start_byte() + 3, |open| open.end_byte());
                self.push(FactKind::Launch, "<<<>>>", node.start_byte()..end, kernel);
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
                self.dispatch_registration(node);
                if !self.is_skipped(node) {
                    let text = self.text_of(node);
                    self.push(FactKind::Name, text, node.byte_range(), None);
                }
                false
            }
            "alias_declaration" | "type_definition" => {
                self.type_shim(node);
                if node.kind() == "alias_declaration" {
                    if let Some(name) = node.child_by_field_name("name") {
                        self.define(name);
                    }
                } else {
                    for declarator in children_by_field(node, "declarator") {
                        self.define(declarator);
                    }
                }
                true
            }
            "function_definition" => {
                if let (Some(name), Some(body)) = (
                    self.declared_function(node),
                    node.child_by_field_name("body"),
                ) {
                    self.functions
                        .push((name, body.byte_range(), node.start_byte()));
                }
                for declarator in children_by_field(node, "declarator") {
                    self.define(declarator);
                }
                true
            }
            "declaration" | "field_declaration" if self.is_prototype(node) => {
                // A prototype declares an API; it does not use it. Its types still become
                // facts (a vendored header's prototypes are what it exposes), marked as
                // declarations.
                self.out.declarations.push(node.byte_range());
                for declarator in children_by_field(node, "declarator") {
                    self.define(declarator);
                }
                true
            }
            "declaration"
            | "parameter_declaration"
            | "field_declaration"
            | "optional_parameter_declaration" => {
                for declarator in children_by_field(node, "declarator") {
                    self.define(declarator);
                }
                true
            }
            "enumerator" | "namespace_definition" | "concept_definition" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.define(name);
                }
                true
            }
            "struct_specifier" | "class_specifier" | "union_specifier" | "enum_specifier" => {
                if node.child_by_field_name("body").is_some() {
                    if let Some(name) = node.child_by_field_name("name") {
                        self.define(name);
                    }
                }
                true
            }
            "type_parameter_declaration"
            | "variadic_type_parameter_declaration"
            | "optional_type_parameter_declaration" => {
                let mut cursor = node.walk();
                let names: Vec<Node> = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() == "type_identifier")
                    .collect();
                for name in names {
                    self.define(name);
                }
                true
            }
            _ if !node.is_named() && node.child_count() == 0 => {
                // Keyword tokens such as `__global__`, `__shared__`, `__launch_bounds__`.
                let text = self.text_of(node);
                if text.starts_with("__") && lexer::is_identifier(text) {
                    let detail = (text == "__global__")
                        .then(|| node.parent().and_then(|p| self.declared_function(p)))
                        .flatten()
                        .map(|name| format!("kernel `{name}`"));
                    self.push(FactKind::Name, text, node.byte_range(), detail);
                }
                false
            }
            _ => true,
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

    /// `using cudaStream_t = hipStream_t;` and `typedef hipStream_t cudaStream_t;`.
    fn type_shim(&mut self, node: Node) {
        let (name, target, form) = if node.kind() == "alias_declaration" {
            let name = node.child_by_field_name("name");
            let target = node
                .child_by_field_name("type")
                .and_then(|t| t.child_by_field_name("type").or(Some(t)));
            (name, target, ShimForm::Alias)
        } else {
            let name = node.child_by_field_name("declarator");
            (name, node.child_by_field_name("type"), ShimForm::Typedef)
        };
        if let (Some(name), Some(target)) = (name, target) {
            if matches!(name.kind(), "type_identifier" | "identifier") {
                self.out.shim_candidates.push(ShimCandidate {
                    name: self.text_of(name).to_string(),
                    target: self.text_of(target).to_string(),
                    offset: node.start_byte(),
                    form,
                });
            }
        }
    }

    /// A function whose body calls a name is a wrapper candidate for each HIP-looking callee;
    /// the post-pass keeps those whose name is CUDA and whose callee is HIP.
    fn wrapper_shims(&mut self) {
        let facts = &self.out.facts;
        for (name, body, start) in &self.functions {
            let first = facts.partition_point(|f| f.span.start < body.start);
            let callee = facts[first..]
                .iter()
                .take_while(|f| f.span.start < body.end)
                .find(|f| {
                    f.kind == FactKind::Name && f.text.to_ascii_lowercase().starts_with("hip")
                });
            if let Some(callee) = callee {
                self.out.shim_candidates.push(ShimCandidate {
                    name: name.clone(),
                    target: callee.text.clone(),
                    offset: *start,
                    form: ShimForm::Wrapper,
                });
            }
        }
    }

    fn include(&mut self, node: Node) {
        let Some(path) = node.child_by_field_name("path") else {
            return;
        };
        let raw = self.text_of(path);
        let inner = raw
            .trim_start_matches(['<', '"'])
            .trim_end_matches(['>', '"']);
        let start = path.start_byte() + (raw.len() - raw.trim_start_matches(['<', '"']).len());
        self.push(FactKind::Include, inner, start..start + inner.len(), None);
    }

    /// Records a declarator's name as defined by this file and keeps it from becoming a fact.
    fn define(&mut self, declarator: Node) {
        let mut node = declarator;
        loop {
            match node.kind() {
                "identifier" | "type_identifier" | "field_identifier" | "namespace_identifier" => {
                    self.skip.insert((node.start_byte(), node.end_byte()));
                    self.out.defined.push(self.text_of(node).to_string());
                    return;
                }
                "qualified_identifier" => {
                    self.skip.insert((node.start_byte(), node.end_byte()));
                    match node.child_by_field_name("name") {
                        Some(name) => node = name,
                        None => return,
                    }
                }
                "template_function" | "template_type" => match node.child_by_field_name("name") {
                    Some(name) => node = name,
                    None => return,
                },
                _ => match node.child_by_field_name("declarator") {
                    Some(inner) => node = inner,
                    None => return,
                },
            }
        }
    }

    fn macro_definition(&mut self, node: Node) {
        if let Some(name) = node.child_by_field_name("name") {
            self.out.defined.push(self.text_of(name).to_string());
            // `#define cudaMalloc hipMalloc`: a candidate shim entry (the matcher's post-pass
            // decides whether the name is CUDA and the file a shim).
            let target = node.child_by_field_name("value").and_then(|value| {
                let body = self.text_of(value);
                lexer::tokenize(body)
                    .into_iter()
                    .find(|t| t.kind == TokenKind::Ident)
                    .map(|t| body[t.start..t.end].to_string())
            });
            if let Some(target) = target {
                self.out.shim_candidates.push(ShimCandidate {
                    name: self.text_of(name).to_string(),
                    target,
                    offset: node.start_byte(),
                    form: ShimForm::Define,
                });
            }
        }
        let mut params = HashSet::new();
        if let Some(list) = node.child_by_field_name("parameters") {
            let mut cursor = list.walk();
            for p in list.named_children(&mut cursor) {
                params.insert(self.text_of(p));
            }
        }
        if let Some(value) = node.child_by_field_name("value") {
            self.macro_body(value.start_byte(), self.text_of(value), &params);
        }
    }

    /// Facts from a `#define` body, found with the tokenizer.
    fn macro_body(&mut self, base: usize, body: &str, params: &HashSet<&str>) {
        let tokens = lexer::tokenize(body);
        let mut i = 0;
        while i < tokens.len() {
            let tok = tokens[i];
            let text = &body[tok.start..tok.end];
            match tok.kind {
                TokenKind::LaunchOpen => {
                    let kernel = i
                        .checked_sub(1)
                        .map(|p| tokens[p])
                        .filter(|p| p.kind == TokenKind::Ident)
                        .map(|p| format!("kernel `{}`", &body[p.start..p.end]));
                    self.push(
                        FactKind::Launch,
                        "<<<>>>",
                        base + tok.start..base + tok.end,
                        kernel,
                    );
                    i += 1;
                }
                TokenKind::Ident if matches!(text, "asm" | "__asm__" | "__asm") => {
                    let template = tokens[i + 1..]
                        .iter()
                        .find(|t| t.kind == TokenKind::Str)
                        .map(|t| body[t.start..t.end].trim_matches('"'));
                    if let Some(template) = template {
                        if self.cuda_file || looks_like_ptx(template) {
                            self.push(
                                FactKind::InlineAsm,
                                text,
                                base + tok.start..base + tok.end,
                                ptx_mnemonic(template),
                            );
                        }
                    }
                    i += 1;
                }
                TokenKind::Ident if params.contains(text) => i += 1,
                TokenKind::Ident => {
                    // ident (:: ident)*
                    let mut segments = vec![text.to_string()];
                    let mut end = tok.end;
                    let mut j = i + 1;
                    while j + 1 < tokens.len()
                        && tokens[j].kind == TokenKind::Scope
                        && tokens[j + 1].kind == TokenKind::Ident
                    {
                        segments.push(body[tokens[j + 1].start..tokens[j + 1].end].to_string());
                        end = tokens[j + 1].end;
                        j += 2;
                    }
                    if segments.len() == 1 {
                        self.push(FactKind::Name, text, base + tok.start..base + tok.end, None);
                    } else {
                        let written = segments.join("::");
                        let resolved = self.resolve_alias(segments);
                        self.push(
                            FactKind::Qualified(resolved),
                            &written,
                            base + tok.start..base + end,
                            None,
                        );
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
    }

    fn inline_asm(&mut self, node: Node) {
        let template: String = node
            .child_by_field_name("assembly_code")
            .map(|code| string_contents(code, self.text))
            .unwrap_or_default();
        if self.cuda_file || in_device_function(node, self.text) || looks_like_ptx(&template) {
            let keyword = node
                .child(0)
                .map_or(node.start_byte()..node.start_byte() + 3, |k| k.byte_range());
            let text = &self.text[keyword.clone()];
            self.push(FactKind::InlineAsm, text, keyword, ptx_mnemonic(&template));
        }
    }

    fn qualified(&mut self, node: Node) {
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

    fn resolve_alias(&self, mut segments: Vec<String>) -> Vec<String> {
        if let Some(target) = segments.first().and_then(|first| self.aliases.get(first)) {
            let mut resolved = target.clone();
            resolved.extend(segments.drain(1..));
            return resolved;
        }
        segments
    }

    fn namespace_alias(&mut self, node: Node) {
        let Some(name) = node.child_by_field_name("name") else {
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
    fn using_declaration(&mut self, node: Node) -> bool {
        let mut cursor = node.walk();
        let is_directive = node.children(&mut cursor).any(|c| c.kind() == "namespace");
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
        false
    }

    /// Whether a declaration only declares functions (`cudaError_t cudaMalloc(void**, size_t);`,
    /// a method declared in a class): every declarator is a function declarator, and the
    /// declaration is not inside a function body, where `dim3 grid(n);` constructs an object.
    fn is_prototype(&self, node: Node) -> bool {
        // A prototype is one clean `…;` statement: a constructor with an initializer list or a
        // body that a macro qualifier (`CUTLASS_DEVICE Foo(P p) : x(p) {}`) made the grammar read as
        // a declaration is code, not a declaration.
        let text = self.text_of(node).trim_end();
        if node.has_error() || !text.ends_with(';') || text.contains('{') {
            return false;
        }
        // `template __global__ void k<float>(float*);` instantiates a kernel: a use.
        if node
            .parent()
            .is_some_and(|p| p.kind() == "template_instantiation")
            || text.starts_with("template ")
        {
            return false;
        }
        let declarators = children_by_field(node, "declarator");
        if declarators.is_empty() {
            return false;
        }
        let all_functions = declarators.iter().all(|&d| {
            let mut d = d;
            loop {
                match d.kind() {
                    "function_declarator" => return true,
                    "pointer_declarator" | "reference_declarator" | "attributed_declarator" => {
                        match d.child_by_field_name("declarator") {
                            Some(inner) => d = inner,
                            None => return false,
                        }
                    }
                    _ => return false,
                }
            }
        });
        let mut up = node.parent();
        while let Some(p) = up {
            if matches!(
                p.kind(),
                "compound_statement" | "function_definition" | "lambda_expression"
            ) {
                return false;
            }
            up = p.parent();
        }
        all_functions
    }

    /// The name of the function a declaration or definition declares (for kernel messages).
    fn declared_function(&self, node: Node) -> Option<String> {
        let mut decl = node.child_by_field_name("declarator")?;
        loop {
            match decl.kind() {
                "function_declarator" => {
                    let name = decl.child_by_field_name("declarator")?;
                    return Some(self.callee_name(name));
                }
                _ => decl = decl.child_by_field_name("declarator")?,
            }
        }
    }

    fn callee_name(&self, node: Node) -> String {
        let node = match node.kind() {
            "template_function" | "template_method" => {
                node.child_by_field_name("name").unwrap_or(node)
            }
            _ => node,
        };
        self.text_of(node)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    }
}

fn children_by_field<'a>(node: Node<'a>, field: &str) -> Vec<Node<'a>> {
    let mut cursor = node.walk();
    node.children_by_field_name(field, &mut cursor).collect()
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
        match node.kind() {
            "qualified_identifier" => {
                ranges.push(node.byte_range());
                let Some(name) = node.child_by_field_name("name") else {
                    return false;
                };
                stack.push(name);
                if let Some(scope) = node.child_by_field_name("scope") {
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
            "template_type" | "template_function" | "template_method" => {
                match node.child_by_field_name("name") {
                    Some(name) => stack.push(name),
                    None => return false,
                }
            }
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
    match node.kind() {
        "nested_namespace_specifier" => {
            // Flatten iteratively: the specifier may nest (`a::b::c`).
            let mut out = Vec::new();
            let mut stack = vec![node];
            while let Some(n) = stack.pop() {
                if out.len() > 64 {
                    return Vec::new();
                }
                if n.kind() == "nested_namespace_specifier" {
                    let mut cursor = n.walk();
                    let children: Vec<Node> = n.named_children(&mut cursor).collect();
                    stack.extend(children.into_iter().rev());
                } else if matches!(n.kind(), "namespace_identifier" | "identifier") {
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

/// The text inside a (possibly concatenated) string literal, quotes removed.
fn string_contents(node: Node, text: &str) -> String {
    let mut out = String::new();
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "string_content" || n.kind() == "escape_sequence" {
            out.push_str(&text[n.byte_range()]);
            continue;
        }
        let children: Vec<Node> = n.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// Whether `node` sits inside a function marked `__device__` or `__global__`.
fn in_device_function(node: Node, text: &str) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.kind() == "function_definition" {
            let mut cursor = n.walk();
            return n
                .children(&mut cursor)
                .any(|c| matches!(&text[c.byte_range()], "__device__" | "__global__"));
        }
        current = n.parent();
    }
    false
}

/// PTX instructions carry dotted type suffixes (`mov.u32`, `ld.global.nc`, `mma.sync`) and PTX
/// blocks open with `{` or a `.reg` directive; x86 and Arm mnemonics do neither.
pub fn looks_like_ptx(template: &str) -> bool {
    let t = template.trim_start_matches(|c: char| c.is_whitespace() || c == '{');
    if [".reg", ".shared", ".local", ".pragma"]
        .iter()
        .any(|d| t.starts_with(d))
    {
        return true;
    }
    let word: &str = t
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("");
    let word = word.trim_start_matches('@');
    let mut parts = word.split('.');
    let opcode = parts.next().unwrap_or("");
    // RISC-V (`fadd.s`, `amoadd.w.aq`, `vle32.v`) also has dotted mnemonics; PTX's suffixes are
    // its own vocabulary of types, state spaces and qualifiers.
    !opcode.is_empty()
        && opcode.starts_with(|c: char| c.is_ascii_alphabetic())
        && parts.any(is_ptx_suffix)
}

/// A suffix of a PTX instruction: a type, state space, synchronisation, rounding or cache
/// qualifier, or an MMA shape (`m16n8k16`).
fn is_ptx_suffix(suffix: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "f16", "f16x2", "bf16", "bf16x2",
        "f32", "f64", "b8", "b16", "b32", "b64", "b128", "pred", "tf32", "e4m3", "e5m2", "e4m3x2",
        "e5m2x2", "global", "shared", "local", "const", "param", "generic", "cta", "gpu", "sys",
        "cluster", "sync", "aligned", "approx", "ftz", "sat", "full", "rn", "rz", "rm", "rp",
        "rni", "rzi", "rmi", "rpi", "nc", "ca", "cg", "cs", "lu", "cv", "wb", "wt", "L1", "L2",
        "hi", "lo", "wide", "uni", "volatile", "relaxed", "acquire", "release", "acq_rel", "async",
        "bulk", "row", "col", "trans", "x1", "x2", "x4", "v2", "v4", "v8", "b1", "down", "up",
        "bfly", "idx", "any", "all", "ballot",
    ];
    SUFFIXES.contains(&suffix) || {
        // m16n8k16-style MMA shapes.
        let b = suffix.as_bytes();
        b.first() == Some(&b'm')
            && suffix.contains('n')
            && suffix.contains('k')
            && b.get(1).is_some_and(u8::is_ascii_digit)
    }
}

/// The first PTX instruction of an inline-asm template, for the finding's detail.
fn ptx_mnemonic(template: &str) -> Option<String> {
    first_instruction(template).map(|m| format!("PTX `{m}`"))
}

fn first_instruction(template: &str) -> Option<String> {
    template
        .split(['\n', ';'])
        .flat_map(|stmt| stmt.split("\\n"))
        .map(|s| s.trim().trim_start_matches('{').trim())
        .find(|s| !s.is_empty() && !s.starts_with('.') && !s.starts_with("//"))
        .and_then(|s| s.split_whitespace().next())
        .map(|w| w.trim_start_matches('@').to_string())
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptx_shapes() {
        assert!(looks_like_ptx("mov.u32 %0, %%laneid;"));
        assert!(looks_like_ptx("{ .reg .pred p; setp.ne.b32 p, %1, 0; }"));
        assert!(looks_like_ptx("  ld.global.nc.v4.f32 {%0,%1,%2,%3}, [%4];"));
        assert!(!looks_like_ptx("movl %%eax, %0"));
        assert!(!looks_like_ptx("cpuid"));
        assert!(!looks_like_ptx("pause"));
        // RISC-V and other dotted ISAs are not PTX.
        assert!(!looks_like_ptx("flw.ps f0, 0(%0)"));
        assert!(!looks_like_ptx("amoadd.w.aq %0, %1, (%2)"));
        assert!(!looks_like_ptx("vle32.v v0, (%0)"));
        assert!(looks_like_ptx(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0}, {%1}, {%2}, {%3};"
        ));
        assert!(looks_like_ptx("shfl.sync.bfly.b32 %0, %1, %2, %3, %4;"));
        assert!(looks_like_ptx("cp.async.cg.shared.global [%0], [%1], 16;"));
    }

    #[test]
    fn mnemonic() {
        assert_eq!(
            first_instruction("mov.u32 %0, %%laneid;").as_deref(),
            Some("mov.u32")
        );
        assert_eq!(
            first_instruction("{ .reg .pred p;\\n setp.ne.b32 p, %1, 0; }").as_deref(),
            Some("setp.ne.b32")
        );
    }

    fn names(src: &str) -> Vec<String> {
        CppFrontEnd::new()
            .extract(src, Lang::Cuda)
            .facts
            .into_iter()
            .map(|f| f.text)
            .collect()
    }

    #[test]
    fn prototypes_are_declarations_and_constructors_are_not() {
        let src = "struct S {\n  int i;\n  CUTLASS_DEVICE\n  S(int p) : i(blockIdx.x) {}\n};\ncudaError_t check(cudaStream_t s);\nvoid f() { dim3 grid(4); }\ntemplate __global__ void k<float>(float* x);\n";
        let ex = CppFrontEnd::new().extract(src, Lang::Cuda);
        let declared: Vec<&str> = ex.declarations.iter().map(|d| &src[d.clone()]).collect();
        assert_eq!(declared, ["cudaError_t check(cudaStream_t s);"]);
    }

    #[test]
    fn comments_and_strings_yield_nothing() {
        let facts = names("// cudaMalloc\n/* cudaFree */ const char* s = \"cudaMemcpy\";");
        assert!(facts.is_empty(), "{facts:?}");
    }

    #[test]
    fn definitions_are_not_facts() {
        let mut fe = CppFrontEnd::new();
        let ex = fe.extract(
            "int cudaLikeHelper(int cudaCount) { return cudaCount; }\n#define CUDA_CHECK(x) x",
            Lang::Cpp,
        );
        assert!(ex.defined.contains(&"cudaLikeHelper".to_string()));
        assert!(ex.defined.contains(&"CUDA_CHECK".to_string()));
        assert!(ex.defined.contains(&"cudaCount".to_string()));
    }

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

    #[test]
    fn launch_in_macro_body() {
        let mut fe = CppFrontEnd::new();
        let ex = fe.extract("#define LAUNCH(k, g, b) k<<<g, b>>>(x)\n", Lang::Cuda);
        assert!(ex.facts.iter().any(|f| f.kind == FactKind::Launch));
    }
}
