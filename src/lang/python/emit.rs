//! The second pass: facts from one Python file (or notebook) whose bindings are known.
//!
//! Facts, all of kind [`FactKind::Name`], and their texts (what rules match and findings show):
//!
//! | source | fact text | span |
//! | --- | --- | --- |
//! | `import cupy as cp`, `from numba import cuda` | `cupy`, `numba.cuda` | the imported name |
//! | `cp.asarray(x)`, `@cuda.jit`, `th.cuda.synchronize()` | `cupy.asarray`, `numba.cuda.jit`, `torch.cuda.synchronize` | the dotted reference |
//! | `model.cuda()` (object not an import) | `.cuda()` | `.cuda(…)` |
//! | `t.is_cuda` (object not an import) | `.is_cuda` | `.is_cuda` |
//! | `x.to("cuda:0")`, `x.to(device="cuda")` | `.to(cuda)` | `.to(…)` |
//! | `torch.device("cuda")`, `jax.devices("gpu")`, `tf.device("/GPU:0")` | `torch.device(cuda)`, `jax.devices(gpu)`, `tensorflow.device(gpu)` | the call |
//! | `torch.device("cuda" if ok else "cpu")` | `torch.device(cuda\|cpu)` | the call |
//! | `zeros(3, device="cuda")`, `init_process_group(backend="nccl")` | `device=cuda`, `backend=nccl` | the keyword argument |
//! | `os.environ["CUDA_VISIBLE_DEVICES"]`, `os.getenv("NCCL_DEBUG")` | `CUDA_VISIBLE_DEVICES`, `NCCL_DEBUG` | the string |
//! | CUDA source in a string given to `cupy.RawKernel` and friends | the C-family facts of that source, `lang: cuda` | at their real place in the file |
//!
//! Device strings are recognised as literals, as simple string variables of the same file, and
//! as f-strings (`f"cuda:{rank}"`); only `cuda`, `gpu` and `nccl` make facts (`"cpu"` never does).

use super::build::BuildState;
use super::literal::{self, Decoded};
use super::offsets::OffsetMap;
use super::scope::{Binding, Loc, MODULE, ScopeId, Scopes, dotted, opens_scope, text};
use super::tables;
use crate::lang::cpp::CppFrontEnd;
use crate::lang::{Extraction, Fact, FactKind, Lang};
use std::collections::HashSet;
use std::ops::Range;
use tree_sitter::{Node, Tree};

/// How deep alias and string-variable resolution may go (`a = b`, `b = c`, …).
const MAX_RESOLVE_DEPTH: usize = 12;
/// Most assignments followed, and values collected, when resolving one string expression.
const MAX_VALUES: usize = 64;
/// Longest attribute chain resolved (`a.b.c.…`).
const MAX_CHAIN: usize = 64;

/// One parsed piece of Python: a file, or a notebook cell.
pub struct Unit<'t> {
    pub tree: &'t Tree,
    pub src: &'t str,
    /// From `src` offsets to file offsets (notebook cells); `None` when `src` is the file.
    pub map: Option<&'t OffsetMap>,
    /// Added to every fact's detail (`cell 3`).
    pub detail: Option<String>,
}

pub struct Emitter<'t, 'c> {
    units: &'t [Unit<'t>],
    pub(super) scopes: Scopes<'t>,
    cpp: &'c mut CppFrontEnd,
    pub out: Extraction,
    /// Build calls and list mutations, for [`Extraction::build_sources`].
    pub(super) build: BuildState<'t>,
    /// Decorator details (`function \`k\``), indexed from traversal items.
    details: Vec<String>,
    /// File spans of string sources already parsed as CUDA.
    parsed_sources: HashSet<(usize, usize)>,
    /// Strings that look like CUDA source but were not (yet) seen handed to a known API.
    loose_sources: Vec<(usize, Node<'t>)>,
}

#[derive(Clone, Copy)]
struct Item<'t> {
    node: Node<'t>,
    parent: &'static str,
    field: Option<&'static str>,
    scope: ScopeId,
    detail: Option<usize>,
}

impl<'t, 'c> Emitter<'t, 'c> {
    pub fn new(units: &'t [Unit<'t>], cpp: &'c mut CppFrontEnd) -> Self {
        let trees: Vec<(&'t Tree, &'t str)> = units.iter().map(|u| (u.tree, u.src)).collect();
        Emitter {
            units,
            scopes: Scopes::build(&trees),
            cpp,
            out: Extraction::default(),
            details: Vec::new(),
            parsed_sources: HashSet::new(),
            loose_sources: Vec::new(),
            build: BuildState::default(),
        }
    }

    pub fn run(mut self) -> Extraction {
        for unit in 0..self.units.len() {
            self.walk(unit);
        }
        for (unit, node) in std::mem::take(&mut self.loose_sources) {
            if let Some(d) = self.decode_in_file(unit, node) {
                self.parse_source(unit, d, Lang::Cuda, "CUDA source in a string".into());
            }
        }
        self.finish_builds();
        self.finish_rocm_regions();
        let mut imports = self.scopes.modules.clone();
        imports.extend(self.scopes.relative.iter().cloned());
        imports.sort();
        imports.dedup();
        self.out.imports = imports;
        self.out
    }

    pub(super) fn src(&self, unit: usize) -> &'t str {
        self.units[unit].src
    }

    pub(super) fn file_span(&self, unit: usize, r: Range<usize>) -> Range<usize> {
        match self.units[unit].map {
            Some(m) => m.span(r),
            None => r,
        }
    }

    fn push(&mut self, unit: usize, text: String, span: Range<usize>, detail: Option<&str>) {
        let span = self.file_span(unit, span);
        let detail = join_details(&[detail, self.units[unit].detail.as_deref()]);
        self.out.facts.push(Fact {
            kind: FactKind::Name,
            text,
            span,
            detail,
            lang: None,
        });
    }

    fn walk(&mut self, unit: usize) {
        let root = self.units[unit].tree.root_node();
        let mut stack = vec![Item {
            node: root,
            parent: "",
            field: None,
            scope: MODULE,
            detail: None,
        }];
        while let Some(item) = stack.pop() {
            let node = item.node;
            let scope = match opens_scope(node.kind()) {
                Some(_) => self
                    .scopes
                    .opened_by
                    .get(&(unit, node.id()))
                    .copied()
                    .unwrap_or(item.scope),
                None => item.scope,
            };
            let mut detail = item.detail;
            let descend = self.visit(unit, item, scope, &mut detail);
            if descend {
                push_children(&mut stack, node, scope, detail);
            }
        }
    }

    /// Handles one node; returns whether to visit its children.
    fn visit(
        &mut self,
        unit: usize,
        item: Item<'t>,
        scope: ScopeId,
        detail: &mut Option<usize>,
    ) -> bool {
        let node = item.node;
        let src = self.src(unit);
        match node.kind() {
            "comment"
            | "future_import_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "dotted_name"
            | "keyword_separator"
            | "positional_separator" => false,
            "string" | "concatenated_string" => {
                // A bare string statement is a docstring; a part of an implicit concatenation is
                // looked at as the whole.
                let docstring = item.parent == "expression_statement";
                if !docstring
                    && item.parent != "concatenated_string"
                    && self.looks_like_cuda(unit, node)
                {
                    self.loose_sources.push((unit, node));
                }
                if !docstring && item.parent != "concatenated_string" {
                    self.rocm_string(unit, node);
                }
                // Only f-string interpolations hold code.
                true
            }
            "string_start" | "string_content" | "string_end" => false,
            "import_statement" => {
                self.import(unit, node);
                false
            }
            "import_from_statement" => {
                self.import_from(unit, node);
                false
            }
            "decorated_definition" => {
                self.rocm_decorated(unit, node, scope);
                if let Some(name) = node
                    .child_by_field_name("definition")
                    .and_then(|d| d.child_by_field_name("name"))
                {
                    self.details.push(format!("function `{}`", text(name, src)));
                    *detail = Some(self.details.len() - 1);
                }
                true
            }
            "function_definition" | "class_definition" => {
                if node.kind() == "class_definition" {
                    self.build_class(unit, node);
                }
                // Facts inside the body are not about the decorator.
                *detail = None;
                true
            }
            "identifier" => {
                // The root of a chain is reported with the chain; an attribute's name is no
                // reference of its own.
                let in_chain = item.parent == "attribute";
                // A variable holding an imported value (`tid = cuda.threadIdx.x`) is reported
                // where it is assigned; its bare uses are not reported again, but a call through
                // it (`sync = torch.cuda.synchronize; sync()`) is.
                let called = item.parent == "call" && item.field == Some("function");
                if !in_chain
                    && !binding_position(item.parent, item.field)
                    && (called || !self.is_value_alias(unit, node, scope))
                {
                    self.reference(unit, node, scope, item.detail);
                }
                false
            }
            "attribute" => {
                if item.parent == "attribute" && item.field == Some("object") {
                    // Part of a longer chain: the outermost attribute reports it.
                    return !self.resolves(unit, node, scope);
                }
                if self.reference(unit, node, scope, item.detail) {
                    return false;
                }
                if item.field != Some("function") || item.parent != "call" {
                    if let Some(name) = node.child_by_field_name("attribute") {
                        let start = dot_start(node).unwrap_or(name.start_byte());
                        let d = self.detail_text(item.detail);
                        self.push(
                            unit,
                            format!(".{}", text(name, src)),
                            start..name.end_byte(),
                            d.as_deref(),
                        );
                    }
                }
                true
            }
            "call" => {
                self.call(unit, node, scope, item.detail);
                self.build_call(unit, node, scope);
                true
            }
            "subscript" => {
                if let (Some(value), Some(key)) = (
                    node.child_by_field_name("value"),
                    node.child_by_field_name("subscript"),
                ) {
                    if is_string(key) && self.is_environ(unit, value, scope) {
                        self.env_key(unit, key);
                    }
                }
                true
            }
            "default_parameter" | "typed_default_parameter" => {
                // `def f(device="cuda")`: the same fact as a keyword argument.
                if let (Some(name), Some(value)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ) {
                    if let Some(token) = self.device_arg(unit, value, scope) {
                        let d = self.detail_text(item.detail);
                        self.push(
                            unit,
                            format!("{}={token}", text(name, src)),
                            node.byte_range(),
                            d.as_deref(),
                        );
                    }
                }
                true
            }
            "assignment" => {
                // `device = "cuda"`, `self.backend = "nccl"`, `backend: str = "nccl"`.
                if let (Some(left), Some(right)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) {
                    let target = match left.kind() {
                        "identifier" => Some(left),
                        "attribute" => left.child_by_field_name("attribute"),
                        _ => None,
                    };
                    if let Some(target) = target {
                        if let Some(token) = self.device_arg(unit, right, scope) {
                            let name = text(target, src).to_ascii_lowercase();
                            self.push(unit, format!("{name}={token}"), node.byte_range(), None);
                        }
                    }
                }
                true
            }
            "comparison_operator" => {
                self.env_membership(unit, node, scope);
                true
            }
            "if_statement" => {
                self.rocm_if(unit, node, scope);
                true
            }
            "conditional_expression" => {
                self.rocm_ternary(unit, node, scope);
                true
            }
            "dictionary" => {
                let mut cursor = node.walk();
                let from_environ = node.named_children(&mut cursor).any(|c| {
                    c.kind() == "dictionary_splat"
                        && c.named_child(0)
                            .is_some_and(|e| self.is_environ(unit, e, scope))
                });
                if from_environ {
                    self.env_dict(unit, node);
                }
                true
            }
            _ => true,
        }
    }

    fn detail_text(&self, detail: Option<usize>) -> Option<String> {
        detail.map(|i| self.details[i].clone())
    }

    // ----- imports -------------------------------------------------------------------------

    fn import(&mut self, unit: usize, node: Node<'t>) {
        let src = self.src(unit);
        let mut cursor = node.walk();
        let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
        for name in names {
            let path = match name.kind() {
                "aliased_import" => name.child_by_field_name("name"),
                _ => Some(name),
            };
            if let Some(path) = path.filter(|p| p.kind() == "dotted_name") {
                self.push(unit, dotted(path, src), path.byte_range(), None);
            }
        }
    }

    fn import_from(&mut self, unit: usize, node: Node<'t>) {
        let src = self.src(unit);
        let Some(module) = node
            .child_by_field_name("module_name")
            .filter(|m| m.kind() == "dotted_name")
        else {
            return; // relative: the project's own code
        };
        let m = dotted(module, src);
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        if children.iter().any(|c| c.kind() == "wildcard_import") {
            self.push(unit, m.clone(), module.byte_range(), None);
        }
        let mut cursor = node.walk();
        let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
        for name in names {
            let path = match name.kind() {
                "aliased_import" => name.child_by_field_name("name"),
                _ => Some(name),
            };
            if let Some(path) = path.filter(|p| p.kind() == "dotted_name") {
                self.push(
                    unit,
                    format!("{m}.{}", dotted(path, src)),
                    path.byte_range(),
                    None,
                );
            }
        }
    }

    // ----- references ----------------------------------------------------------------------

    /// The dotted names a reference (`a`, `a.b.c`) stands for: none when its root is not an
    /// import; several only through ambiguous star imports.
    pub(super) fn resolve(
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
            match n.kind() {
                "identifier" => break,
                "attribute" if attrs.len() < MAX_CHAIN => {
                    let (Some(obj), Some(attr)) = (
                        n.child_by_field_name("object"),
                        n.child_by_field_name("attribute"),
                    ) else {
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
                if loc.node.kind() == "call" {
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
        let Some(func) = call.child_by_field_name("function") else {
            return Vec::new();
        };
        let builtin = func.kind() == "identifier"
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
        let Some(arg) = call
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
        else {
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
    fn is_value_alias(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
        matches!(
            self.scopes.lookup(scope, text(node, self.src(unit))),
            Some((Binding::Alias(..), _))
        )
    }

    fn resolves(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
        !self.resolve(unit, node, scope, 0).is_empty()
    }

    /// Emits the resolved names of a reference; returns whether it resolved.
    fn reference(
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

    // ----- calls ---------------------------------------------------------------------------

    fn call(&mut self, unit: usize, node: Node<'t>, scope: ScopeId, detail: Option<usize>) {
        let src = self.src(unit);
        let Some(func) = node.child_by_field_name("function") else {
            return;
        };
        let callees = self.resolve(unit, func, scope, 0);
        let d = self.detail_text(detail);
        // A method call on something that is not an import: `.cuda()`, `.to(…)`.
        let method = (callees.is_empty() && func.kind() == "attribute")
            .then(|| func.child_by_field_name("attribute"))
            .flatten()
            .map(|name| {
                let start = dot_start(func).unwrap_or(name.start_byte());
                (text(name, src), start..node.end_byte())
            });
        if let Some((name, span)) = &method {
            self.push(unit, format!(".{name}()"), span.clone(), d.as_deref());
        }
        let Some(args) = node
            .child_by_field_name("arguments")
            .filter(|a| a.kind() == "argument_list")
        else {
            return;
        };
        let mut cursor = args.walk();
        let arg_nodes: Vec<Node<'t>> = args.named_children(&mut cursor).collect();
        let mut positional: Vec<Node<'t>> = Vec::new();
        let mut keywords: Vec<(&'t str, Node<'t>, Node<'t>)> = Vec::new();
        for a in arg_nodes {
            match a.kind() {
                "keyword_argument" => {
                    if let (Some(k), Some(v)) = (
                        a.child_by_field_name("name"),
                        a.child_by_field_name("value"),
                    ) {
                        keywords.push((text(k, src), v, a));
                    }
                }
                "comment" | "list_splat" | "dictionary_splat" => {}
                _ => positional.push(a),
            }
        }

        // Device and backend strings.
        for &arg in &positional {
            if let Some(token) = self.device_arg(unit, arg, scope) {
                match &method {
                    Some((name, span)) => self.push(
                        unit,
                        format!(".{name}({token})"),
                        span.clone(),
                        d.as_deref(),
                    ),
                    None => {
                        for c in &callees {
                            self.push(
                                unit,
                                format!("{c}({token})"),
                                node.byte_range(),
                                d.as_deref(),
                            );
                        }
                    }
                }
            }
        }
        for &(k, v, kw) in &keywords {
            if let Some(token) = self.device_arg(unit, v, scope) {
                match &method {
                    Some((name, span)) if *name == "to" && k == "device" => {
                        self.push(unit, format!(".to({token})"), span.clone(), d.as_deref())
                    }
                    _ => self.push(unit, format!("{k}={token}"), kw.byte_range(), d.as_deref()),
                }
            }
            if k == "env" && v.kind() == "dictionary" {
                self.env_dict(unit, v);
            }
        }

        // Custom-op registrations for CUDA: `device_types=["cuda"]`, `("cuda",)`, and the
        // dispatch key of `torch.library.impl(…, "CUDA")`, `lib.impl("op", fn, "CUDA")`.
        let registration = callees.iter().any(|c| {
            matches!(
                c.as_str(),
                "torch.library.custom_op"
                    | "torch.library.register_kernel"
                    | "torch.library.impl"
                    | "torch.library.Library.impl"
            )
        }) || method.as_ref().is_some_and(|(name, _)| *name == "impl");
        if registration {
            let mut at: Vec<Node<'t>> = keywords
                .iter()
                .filter(|(k, _, _)| matches!(*k, "device_types" | "types" | "dispatch_key"))
                // `device_types="cuda"` is the keyword fact above already.
                .filter(|(k, v, _)| {
                    *k != "device_types"
                        || !matches!(v.kind(), "string" | "concatenated_string")
                        || self.is_dispatch_key(unit, *v)
                })
                .map(|&(_, _, kw)| kw)
                .collect();
            at.extend(positional.iter().skip(1).copied().filter(|&a| {
                matches!(a.kind(), "list" | "tuple") || self.is_dispatch_key(unit, a)
            }));
            for a in at {
                let value = a.child_by_field_name("value").unwrap_or(a);
                if self.registers_cuda(unit, value, scope) {
                    self.push(
                        unit,
                        "device_types=cuda".to_string(),
                        a.byte_range(),
                        d.as_deref(),
                    );
                }
            }
        }

        // Environment variables: `os.getenv("X")`, `env.get("X")`, `env.update({"X": …}, Y=…)`
        // where `env` is `os.environ` or a copy of it.
        let env_method = match func.kind() {
            "attribute" => func
                .child_by_field_name("attribute")
                .map(|a| text(a, src))
                .filter(|m| tables::ENV_METHODS.contains(m))
                .filter(|&m| m == "update" || positional.first().is_some_and(|&a| is_string(a)))
                .filter(|_| {
                    func.child_by_field_name("object")
                        .is_some_and(|o| self.is_environ(unit, o, scope))
                }),
            _ => None,
        };
        let env_function = callees
            .iter()
            .any(|c| tables::ENV_FUNCTIONS.contains(&c.as_str()));
        match env_method {
            Some("update") => {
                if let Some(&first) = positional.first() {
                    if first.kind() == "dictionary" {
                        self.env_dict(unit, first);
                    }
                }
                for &(_, _, kw) in &keywords {
                    if let Some(name) = kw.child_by_field_name("name") {
                        self.push(
                            unit,
                            text(name, src).to_string(),
                            name.byte_range(),
                            Some("environment variable"),
                        );
                    }
                }
            }
            Some(_) => {
                if let Some(&first) = positional.first() {
                    self.env_key(unit, first);
                }
            }
            None if env_function => {
                if let Some(&first) = positional.first() {
                    self.env_key(unit, first);
                }
            }
            None => {}
        }

        // Source code handed to a compiler.
        for callee in &callees {
            for sink in tables::sink(callee) {
                let mut sources: Vec<Node<'t>> = sink
                    .positions
                    .iter()
                    .filter_map(|&i| positional.get(i).copied())
                    .collect();
                sources.extend(
                    keywords
                        .iter()
                        .filter(|(k, _, _)| sink.keywords.contains(k))
                        .map(|&(_, v, _)| v),
                );
                for s in sources {
                    let mut values = Vec::new();
                    self.string_values(unit, s, scope, 0, &mut HashSet::new(), &mut values);
                    for (u, decoded) in values {
                        let what = if sink.lang == Lang::Cuda {
                            "CUDA"
                        } else {
                            "C++"
                        };
                        self.parse_source(
                            u,
                            decoded,
                            sink.lang,
                            format!("{what} source passed to `{callee}`"),
                        );
                    }
                }
            }
        }
    }

    /// The device token of an argument: `cuda`, `gpu`, `nccl`, or `cuda|cpu` for a literal choice
    /// (`"cuda" if ok else "cpu"`).
    fn device_arg(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> Option<String> {
        if node.kind() == "conditional_expression" {
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
    fn is_dispatch_key(&self, unit: usize, node: Node<'t>) -> bool {
        literal::decode(node, self.src(unit))
            .is_some_and(|d| tables::CUDA_DISPATCH_KEYS.contains(&d.text.as_str()))
    }

    /// Whether a registration's device types (a string, a list or tuple of them, a dispatch key)
    /// include CUDA.
    fn registers_cuda(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
        if matches!(node.kind(), "list" | "tuple") {
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
            node.kind(),
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
        if node.kind() == "identifier" {
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

    // ----- strings -------------------------------------------------------------------------

    /// A string literal's value with a map to file offsets.
    pub(super) fn decode_in_file(&self, unit: usize, node: Node<'t>) -> Option<Decoded> {
        let mut d = literal::decode(node, self.src(unit))?;
        if let Some(outer) = self.units[unit].map {
            d.map = d.map.compose(outer);
        }
        Some(d)
    }

    /// The string values an expression may have: literals, implicit and `+` concatenation,
    /// `%`/`.format()`/`textwrap.dedent()` of a literal, lists of them, and variables assigned
    /// one of those in the same file. Each value comes with the unit it was found in.
    fn string_values(
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
        match node.kind() {
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
                if let Some(r) = node.child_by_field_name("right") {
                    self.string_values(unit, r, scope, depth + 1, visited, out);
                }
            }
            "binary_operator" => {
                let op = node.child_by_field_name("operator").map(|o| o.kind());
                let (Some(l), Some(r)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) else {
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
                let Some(func) = node.child_by_field_name("function") else {
                    return;
                };
                if func.kind() == "attribute" {
                    let method = func
                        .child_by_field_name("attribute")
                        .map(|a| text(a, src))
                        .unwrap_or("");
                    if tables::STRING_METHODS.contains(&method) {
                        if let Some(obj) = func.child_by_field_name("object") {
                            self.string_values(unit, obj, scope, depth + 1, visited, out);
                        }
                        return;
                    }
                }
                let callee = self.resolve(unit, func, scope, 0);
                let plain = func.kind() == "identifier"
                    && matches!(text(func, src), "str" | "bytes")
                    && self.scopes.lookup(scope, text(func, src)).is_none();
                if plain
                    || callee
                        .iter()
                        .any(|c| tables::STRING_FUNCTIONS.contains(&c.as_str()))
                {
                    if let Some(arg) = node
                        .child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0))
                    {
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
    fn looks_like_cuda(&self, unit: usize, node: Node<'t>) -> bool {
        let raw = text(node, self.src(unit));
        raw.contains("__global__")
    }

    /// Parses a source string with the C-family front end; its facts land at their real place.
    fn parse_source(&mut self, unit: usize, source: Decoded, lang: Lang, what: String) {
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

    // ----- environment variables -----------------------------------------------------------

    /// Whether an expression is the process environment or a copy of it (`os.environ`,
    /// `env = os.environ.copy()`, `dict(os.environ)`, `{**os.environ}`).
    fn is_environ(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
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
        match node.kind() {
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
                let Some(func) = node.child_by_field_name("function") else {
                    return false;
                };
                let first_arg = node
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0));
                match func.kind() {
                    "attribute" => {
                        let method = func.child_by_field_name("attribute").map(|a| text(a, src));
                        if method == Some("copy") {
                            return func
                                .child_by_field_name("object")
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
                    c.kind() == "dictionary_splat"
                        && c.named_child(0)
                            .is_some_and(|e| self.environ_at(unit, e, scope, budget))
                })
            }
            _ => false,
        }
    }

    /// An environment variable named by a string literal.
    fn env_key(&mut self, unit: usize, key: Node<'t>) {
        if !matches!(key.kind(), "string" | "concatenated_string") {
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
    fn env_membership(&mut self, unit: usize, node: Node<'t>, scope: ScopeId) {
        let mut cursor = node.walk();
        let has_in = node
            .children(&mut cursor)
            .any(|c| matches!(c.kind(), "in" | "not in"));
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
    fn env_dict(&mut self, unit: usize, dict: Node<'t>) {
        let mut cursor = dict.walk();
        let keys: Vec<Node<'t>> = dict
            .named_children(&mut cursor)
            .filter(|p| p.kind() == "pair")
            .filter_map(|p| p.child_by_field_name("key"))
            .collect();
        for k in keys {
            self.env_key(unit, k);
        }
    }
}

/// Pushes a node's children (in reverse, so they pop in source order) with their field names.
fn push_children<'t>(
    stack: &mut Vec<Item<'t>>,
    node: Node<'t>,
    scope: ScopeId,
    detail: Option<usize>,
) {
    let parent = node.kind();
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return;
    }
    let start = stack.len();
    loop {
        stack.push(Item {
            node: cursor.node(),
            parent,
            field: cursor.field_name(),
            scope,
            detail,
        });
        if !cursor.goto_next_sibling() {
            break;
        }
    }
    stack[start..].reverse();
}

/// Whether an identifier, by its place in the tree, names something rather than uses it:
/// parameters, assignment targets, keyword-argument names, definitions.
fn binding_position(parent: &str, field: Option<&str>) -> bool {
    match parent {
        "parameters"
        | "lambda_parameters"
        | "typed_parameter"
        | "list_splat_pattern"
        | "dictionary_splat_pattern"
        | "pattern_list"
        | "tuple_pattern"
        | "list_pattern"
        | "as_pattern_target"
        | "aliased_import"
        | "global_statement"
        | "nonlocal_statement" => true,
        "keyword_argument"
        | "default_parameter"
        | "typed_default_parameter"
        | "function_definition"
        | "class_definition"
        | "named_expression" => field == Some("name"),
        "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
            field == Some("left")
        }
        _ => false,
    }
}

fn is_string(node: Node) -> bool {
    matches!(node.kind(), "string" | "concatenated_string")
}

/// The offset of the `.` in an attribute node.
fn dot_start(attr: Node) -> Option<usize> {
    let mut cursor = attr.walk();
    let dot = attr.children(&mut cursor).find(|c| c.kind() == ".");
    dot.map(|d| d.start_byte())
}

fn join_details(parts: &[Option<&str>]) -> Option<String> {
    let parts: Vec<&str> = parts.iter().flatten().copied().collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}
