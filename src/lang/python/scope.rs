//! Name binding for one Python file (or all cells of a notebook, which share one module scope):
//! which names are imports, and of what; which are local variables, parameters, functions or
//! classes; which simple assignments give a name a string value.
//!
//! Scopes follow Python: module, function (and lambda), class (invisible to the functions nested
//! in it) and comprehension. Within one scope an import outranks an alias assignment
//! (`nc = numba.cuda`), which outranks any other binding, because the common
//! `try: import cupy as cp / except ImportError: cp = None` must keep `cp` meaning CuPy, while
//! a parameter or variable named `cuda` that is never imported is not CUDA at all.

use crate::hash::{FastMap as HashMap, FastSet as HashSet};
use crate::lang::node_names::NodeNames;
use tree_sitter::{Node, Tree};

pub type ScopeId = usize;

/// The module scope (shared by the cells of a notebook).
pub const MODULE: ScopeId = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function,
    Class,
    Comprehension,
}

/// What a name is bound to in a scope.
#[derive(Clone, Copy, Debug)]
pub enum Binding<'t> {
    /// `import torch.cuda as tc` → the index of "torch.cuda" in [`Scopes::modules`].
    Import(usize),
    /// `nc = numba.cuda`: resolved lazily, in the scope of the assignment.
    Alias(Loc<'t>, ScopeId),
    /// Anything else: a parameter, a variable, a function, a class, a relative import.
    Local,
}

impl Binding<'_> {
    fn rank(&self) -> u8 {
        match self {
            Binding::Import(_) => 3,
            Binding::Alias(..) => 2,
            Binding::Local => 1,
        }
    }
}

/// A node and the unit (file, or notebook cell) it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Loc<'t> {
    pub unit: usize,
    pub node: Node<'t>,
}

#[derive(Debug)]
pub struct Scope<'t> {
    pub parent: Option<ScopeId>,
    pub kind: ScopeKind,
    pub bindings: HashMap<&'t str, Binding<'t>>,
    /// Modules imported with `from m import *`, in source order.
    pub stars: Vec<String>,
    /// Names declared `global` (resolved in the module scope).
    pub globals: HashSet<&'t str>,
    /// Names declared `nonlocal` (resolved in an enclosing scope).
    pub nonlocals: HashSet<&'t str>,
    /// Right-hand sides of `name = …` and `name += …`, for string values.
    pub assigned: HashMap<&'t str, Vec<Loc<'t>>>,
}

impl Scope<'_> {
    fn new(parent: Option<ScopeId>, kind: ScopeKind) -> Self {
        Scope {
            parent,
            kind,
            bindings: HashMap::default(),
            stars: Vec::new(),
            globals: HashSet::default(),
            nonlocals: HashSet::default(),
            assigned: HashMap::default(),
        }
    }
}

/// All scopes of a file, and which syntax node opens which scope.
#[derive(Debug)]
pub struct Scopes<'t> {
    pub scopes: Vec<Scope<'t>>,
    /// (unit, node id) of a function, lambda, class or comprehension → its scope.
    pub opened_by: HashMap<(usize, usize), ScopeId>,
    /// Imported module paths, interned.
    pub modules: Vec<String>,
    /// Relative imports, as written with their leading dots and the imported name
    /// (`from ..utils import x` → `..utils.x`, `from . import models` → `.models`).
    pub relative: Vec<String>,
}

/// A scope-opening node kind.
pub fn opens_scope(kind: &str) -> Option<ScopeKind> {
    match kind {
        "function_definition" | "lambda" => Some(ScopeKind::Function),
        "class_definition" => Some(ScopeKind::Class),
        "list_comprehension"
        | "set_comprehension"
        | "dictionary_comprehension"
        | "generator_expression" => Some(ScopeKind::Comprehension),
        _ => None,
    }
}

impl<'t> Scopes<'t> {
    /// Collects the bindings of every unit (all sharing the module scope).
    pub fn build(units: &[(&'t Tree, &'t str)]) -> Self {
        let mut s = Scopes {
            scopes: vec![Scope::new(None, ScopeKind::Module)],
            opened_by: HashMap::default(),
            modules: Vec::new(),
            relative: Vec::new(),
        };
        for (unit, (tree, src)) in units.iter().enumerate() {
            s.collect(unit, tree.root_node(), src);
        }
        s
    }

    fn collect(&mut self, unit: usize, root: Node<'t>, src: &'t str) {
        let mut stack: Vec<(Node<'t>, ScopeId)> = vec![(root, MODULE)];
        while let Some((node, scope)) = stack.pop() {
            let kind = node.kind_name();
            let mut inner = scope;
            if let Some(k) = opens_scope(kind) {
                inner = self.scopes.len();
                self.scopes.push(Scope::new(Some(scope), k));
                self.opened_by.insert((unit, node.id()), inner);
                if matches!(kind, "function_definition" | "class_definition") {
                    if let Some(name) = node.field("name") {
                        self.bind(scope, text(name, src), Binding::Local);
                    }
                }
            }
            match kind {
                "comment" | "string" | "concatenated_string" => continue,
                "import_statement" => {
                    self.import(scope, node, src);
                    continue;
                }
                "import_from_statement" => {
                    self.import_from(scope, node, src);
                    continue;
                }
                "future_import_statement" => continue,
                "parameters" | "lambda_parameters" => self.parameters(inner, node, src),
                "for_in_clause" => {
                    if let Some(left) = node.field("left") {
                        self.bind_targets(scope, left, src);
                    }
                }
                "assignment" => self.assignment(unit, scope, node, src),
                "augmented_assignment" => {
                    if let (Some(left), Some(right)) = (node.field("left"), node.field("right")) {
                        if left.kind_name() == "identifier" {
                            let name = text(left, src);
                            self.bind(scope, name, Binding::Local);
                            let op = node.field("operator").map(|o| o.kind_name());
                            if op == Some("+=") {
                                self.scopes[scope]
                                    .assigned
                                    .entry(name)
                                    .or_default()
                                    .push(Loc { unit, node: right });
                            }
                        }
                    }
                }
                "for_statement" => {
                    if let Some(left) = node.field("left") {
                        self.bind_targets(scope, left, src);
                    }
                }
                "as_pattern" => {
                    if let Some(alias) = node.field("alias") {
                        self.bind_targets(scope, alias, src);
                    }
                }
                "named_expression" => {
                    if let Some(name) = node.field("name") {
                        let target = self.enclosing_non_comprehension(scope);
                        self.bind(target, text(name, src), Binding::Local);
                    }
                }
                "global_statement" | "nonlocal_statement" => {
                    let mut cursor = node.walk();
                    for id in node.named_children(&mut cursor) {
                        if id.kind_name() == "identifier" {
                            let name = text(id, src);
                            if kind == "global_statement" {
                                self.scopes[scope].globals.insert(name);
                            } else {
                                self.scopes[scope].nonlocals.insert(name);
                            }
                        }
                    }
                    continue;
                }
                _ => {}
            }
            // Reversed, so that children pop in source order (`global x` before `x = …`). Leaves
            // bind nothing by themselves (their parents read them).
            let mut cursor = node.walk();
            let start = stack.len();
            for child in node.children(&mut cursor) {
                if child.child_count() > 0 {
                    stack.push((child, inner));
                }
            }
            stack[start..].reverse();
        }
    }

    fn enclosing_non_comprehension(&self, mut scope: ScopeId) -> ScopeId {
        while self.scopes[scope].kind == ScopeKind::Comprehension {
            match self.scopes[scope].parent {
                Some(p) => scope = p,
                None => break,
            }
        }
        scope
    }

    fn bind(&mut self, scope: ScopeId, name: &'t str, b: Binding<'t>) {
        // `global x` then `x = …` in a function binds the module's `x`.
        let scope = if self.scopes[scope].globals.contains(name) {
            MODULE
        } else {
            scope
        };
        let slot = self.scopes[scope].bindings.entry(name).or_insert(b);
        if b.rank() > slot.rank() {
            *slot = b;
        }
    }

    fn intern(&mut self, module: &str) -> usize {
        if let Some(i) = self.modules.iter().position(|m| m == module) {
            return i;
        }
        self.modules.push(module.to_string());
        self.modules.len() - 1
    }

    fn import(&mut self, scope: ScopeId, node: Node<'t>, src: &'t str) {
        let mut cursor = node.walk();
        for name in node.fields("name", &mut cursor) {
            match name.kind_name() {
                // `import a.b.c` binds `a`.
                "dotted_name" => {
                    if let Some(root) = name.named_child(0) {
                        let root = text(root, src);
                        let m = self.intern(root);
                        self.bind(scope, root, Binding::Import(m));
                    }
                }
                // `import a.b as x` binds `x` to `a.b`.
                "aliased_import" => {
                    if let (Some(path), Some(alias)) = (name.field("name"), name.field("alias")) {
                        let m = self.intern(&dotted(path, src));
                        self.bind(scope, text(alias, src), Binding::Import(m));
                    }
                }
                _ => {}
            }
        }
    }

    fn import_from(&mut self, scope: ScopeId, node: Node<'t>, src: &'t str) {
        let module = node
            .field("module_name")
            .filter(|m| m.kind_name() == "dotted_name")
            .map(|m| dotted(m, src));
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.kind_name() == "wildcard_import" {
                if let Some(m) = &module {
                    self.scopes[scope].stars.push(m.clone());
                }
            }
        }
        let mut cursor = node.walk();
        for name in node.fields("name", &mut cursor) {
            let (path, bound) = match name.kind_name() {
                "dotted_name" => (name, name),
                "aliased_import" => match (name.field("name"), name.field("alias")) {
                    (Some(p), Some(a)) => (p, a),
                    _ => continue,
                },
                _ => continue,
            };
            let bound = text(bound, src);
            match &module {
                // A relative import names the project's own code.
                None => {
                    if let Some(rel) = node
                        .field("module_name")
                        .filter(|m| m.kind_name() == "relative_import")
                    {
                        let rel: String = text(rel, src).split_whitespace().collect();
                        let sep = if rel.ends_with('.') { "" } else { "." };
                        self.relative
                            .push(format!("{rel}{sep}{}", dotted(path, src)));
                    }
                    self.bind(scope, bound, Binding::Local)
                }
                Some(m) => {
                    let full = format!("{m}.{}", dotted(path, src));
                    let i = self.intern(&full);
                    self.bind(scope, bound, Binding::Import(i));
                }
            }
        }
    }

    fn parameters(&mut self, scope: ScopeId, node: Node<'t>, src: &'t str) {
        let mut cursor = node.walk();
        for p in node.named_children(&mut cursor) {
            let name = match p.kind_name() {
                "identifier" => Some(p),
                "default_parameter" | "typed_default_parameter" => p.field("name"),
                "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => p
                    .named_child(0)
                    .and_then(|n| match n.kind_name() {
                        "identifier" => Some(n),
                        "list_splat_pattern" | "dictionary_splat_pattern" => n.named_child(0),
                        _ => None,
                    })
                    .filter(|n| n.kind_name() == "identifier"),
                _ => None,
            };
            if let Some(name) = name {
                self.bind(scope, text(name, src), Binding::Local);
            }
        }
    }

    fn assignment(&mut self, unit: usize, scope: ScopeId, node: Node<'t>, src: &'t str) {
        let Some(left) = node.field("left") else {
            return;
        };
        let right = node.field("right");
        if left.kind_name() != "identifier" {
            self.bind_targets(scope, left, src);
            return;
        }
        let name = text(left, src);
        let binding = match right {
            Some(r) if is_chain(r) || is_dynamic_import(r, src) => {
                Binding::Alias(Loc { unit, node: r }, scope)
            }
            _ => Binding::Local,
        };
        self.bind(scope, name, binding);
        if let Some(r) = right {
            self.scopes[scope]
                .assigned
                .entry(name)
                .or_default()
                .push(Loc { unit, node: r });
        }
    }

    /// Binds every name in an assignment target (`a, (b, *c) = …`) as local.
    fn bind_targets(&mut self, scope: ScopeId, target: Node<'t>, src: &'t str) {
        let mut stack = vec![target];
        while let Some(n) = stack.pop() {
            match n.kind_name() {
                "identifier" => self.bind(scope, text(n, src), Binding::Local),
                "pattern_list"
                | "tuple_pattern"
                | "list_pattern"
                | "tuple"
                | "list"
                | "parenthesized_expression"
                | "list_splat_pattern"
                | "as_pattern_target" => {
                    let mut cursor = n.walk();
                    stack.extend(n.named_children(&mut cursor));
                }
                _ => {}
            }
        }
    }

    /// The binding `name` has when used in `scope`, following Python's lookup rules.
    pub fn lookup(&self, mut scope: ScopeId, name: &str) -> Option<(Binding<'t>, ScopeId)> {
        let mut first = true;
        loop {
            let s = &self.scopes[scope];
            let visible = first || s.kind != ScopeKind::Class;
            if visible && s.globals.contains(name) && scope != MODULE {
                scope = MODULE;
                first = false;
                continue;
            }
            if visible && !s.nonlocals.contains(name) {
                if let Some(b) = s.bindings.get(name) {
                    return Some((*b, scope));
                }
            }
            first = false;
            scope = s.parent?;
        }
    }

    /// Modules star-imported in `scope` or around it, innermost first.
    pub fn stars(&self, mut scope: ScopeId) -> Vec<&str> {
        let mut out = Vec::new();
        loop {
            let s = &self.scopes[scope];
            out.extend(s.stars.iter().rev().map(String::as_str));
            match s.parent {
                Some(p) => scope = p,
                None => return out,
            }
        }
    }
}

/// Whether a node is a plain dotted reference (`a`, `a.b.c`).
pub fn is_chain(mut node: Node) -> bool {
    loop {
        match node.kind_name() {
            "identifier" => return true,
            "attribute" => match node.field("object") {
                Some(o) => node = o,
                None => return false,
            },
            _ => return false,
        }
    }
}

/// `importlib.import_module("m")` / `import_module("m")` / `__import__("m")` with a literal
/// name: an import in disguise (checked again when resolved).
pub fn is_dynamic_import(node: Node, src: &str) -> bool {
    node.kind_name() == "call"
        && node.field("function").is_some_and(|f| {
            let t = text(f, src);
            t == "__import__" || t.ends_with("import_module")
        })
}

pub fn text<'t>(node: Node, src: &'t str) -> &'t str {
    &src[node.byte_range()]
}

/// `a . b . c` as written in a dotted_name, without spaces.
pub fn dotted(node: Node, src: &str) -> String {
    let mut out = String::new();
    let mut cursor = node.walk();
    for part in node.named_children(&mut cursor) {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(text(part, src));
    }
    out
}
