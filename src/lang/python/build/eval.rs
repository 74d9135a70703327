//! The evaluation of one build call's `sources`: the value of an expression, followed through
//! variables (every assignment and list mutation), path functions and methods, and globs.

use super::plain_args;
use super::value::{Base, Sv, V, concat, join, parent, product, push_unique, strs, union};
use crate::lang::node_names::NodeNames;
use crate::lang::python::emit::Emitter;
use crate::lang::python::literal;
use crate::lang::python::scope::{Binding, ScopeId, text};
use std::collections::HashSet;
use tree_sitter::Node;

/// Nodes evaluated for one build call at most (bounds the work on hostile input).
const MAX_STEPS: usize = 4096;
/// Deepest nesting of expressions and variables followed.
const MAX_DEPTH: usize = 32;

/// Whether a string literal holds an f-string interpolation (its value is unknown).
fn has_interpolation(node: Node) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind_name() == "interpolation" {
            return true;
        }
        if matches!(
            n.kind_name(),
            "string" | "concatenated_string" | "string_content"
        ) {
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
    }
    false
}

/// One build call's resolution.
pub(super) struct Eval<'a, 't, 'c> {
    em: &'a Emitter<'t, 'c>,
    steps: usize,
    /// Variables being resolved (a variable referring to itself is unknown there).
    active: HashSet<(ScopeId, &'t str)>,
}

impl<'a, 't, 'c> Eval<'a, 't, 'c> {
    pub(super) fn new(em: &'a Emitter<'t, 'c>) -> Self {
        Eval {
            em,
            steps: MAX_STEPS,
            active: HashSet::new(),
        }
    }

    fn src(&self, unit: usize) -> &'t str {
        self.em.src(unit)
    }

    /// The union of what a function's `return` statements return (nested functions excluded).
    pub(super) fn returns(&mut self, unit: usize, def: Node<'t>, scope: ScopeId) -> V {
        let mut out = V::Unknown;
        let Some(body) = def.field("body") else {
            return out;
        };
        let mut stack = vec![body];
        let mut seen = 0;
        while let Some(n) = stack.pop() {
            seen += 1;
            if seen > MAX_STEPS {
                break;
            }
            match n.kind_name() {
                "function_definition" | "class_definition" | "lambda" => continue,
                "return_statement" => {
                    if let Some(e) = n.named_child(0) {
                        let v = self.value(unit, e, scope, 0);
                        out = union(out, v);
                    }
                    continue;
                }
                _ => {}
            }
            let mut cursor = n.walk();
            stack.extend(n.named_children(&mut cursor));
        }
        out
    }

    pub(super) fn value(&mut self, unit: usize, node: Node<'t>, scope: ScopeId, depth: usize) -> V {
        if depth > MAX_DEPTH || self.steps == 0 {
            return V::Unknown;
        }
        self.steps -= 1;
        let src = self.src(unit);
        match node.kind_name() {
            "string" | "concatenated_string" => {
                if has_interpolation(node) {
                    return V::Unknown;
                }
                match literal::decode(node, src) {
                    Some(d) => V::Strs(vec![Sv::rel(&d.text)]),
                    None => V::Unknown,
                }
            }
            "parenthesized_expression" => match first_expr(node) {
                Some(inner) => self.value(unit, inner, scope, depth + 1),
                None => V::Unknown,
            },
            "list" | "tuple" | "expression_list" => {
                let mut items = Vec::new();
                let mut cursor = node.walk();
                let kids: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for k in kids {
                    match k.kind_name() {
                        "comment" => {}
                        // `[*base, "x.cu"]`
                        "list_splat" => {
                            if let Some(inner) = k.named_child(0) {
                                if let V::List(l) = self.value(unit, inner, scope, depth + 1) {
                                    push_unique(&mut items, l);
                                }
                            }
                        }
                        _ => {
                            if let V::Strs(alts) = self.value(unit, k, scope, depth + 1) {
                                push_unique(&mut items, alts);
                            }
                        }
                    }
                }
                V::List(items)
            }
            "conditional_expression" => {
                let a = node
                    .named_child(0)
                    .map_or(V::Unknown, |n| self.value(unit, n, scope, depth + 1));
                let b = node
                    .named_child(2)
                    .map_or(V::Unknown, |n| self.value(unit, n, scope, depth + 1));
                union(a, b)
            }
            "binary_operator" => self.binary(unit, node, scope, depth),
            "identifier" => self.variable(unit, node, scope, depth),
            "attribute" => {
                let attr = node.field("attribute").map(|a| text(a, src));
                let obj = node.field("object");
                match (attr, obj) {
                    (Some("parent"), Some(obj)) => match self.value(unit, obj, scope, depth + 1) {
                        V::Strs(a) => strs(a.iter().filter_map(parent).collect()),
                        _ => V::Unknown,
                    },
                    _ => V::Unknown,
                }
            }
            "call" => self.call(unit, node, scope, depth),
            _ => V::Unknown,
        }
    }

    fn binary(&mut self, unit: usize, node: Node<'t>, scope: ScopeId, depth: usize) -> V {
        let op = node.field("operator").map(|o| o.kind_name());
        let (Some(l), Some(r)) = (node.field("left"), node.field("right")) else {
            return V::Unknown;
        };
        if !matches!(op, Some("+" | "/")) {
            return V::Unknown;
        }
        let a = self.value(unit, l, scope, depth + 1);
        let b = self.value(unit, r, scope, depth + 1);
        match (op, a, b) {
            (Some("+"), V::List(mut a), V::List(b)) => {
                push_unique(&mut a, b);
                V::List(a)
            }
            // A list plus something unknown (a comprehension): the known part.
            (Some("+"), V::List(a), V::Unknown) | (Some("+"), V::Unknown, V::List(a)) => V::List(a),
            (Some("+"), V::Strs(a), V::Strs(b)) => strs(product(&a, &b, concat)),
            (Some("/"), V::Strs(a), V::Strs(b)) => strs(product(&a, &b, join)),
            _ => V::Unknown,
        }
    }

    /// A variable: the union of its assignments in its scope, plus its mutations.
    fn variable(&mut self, unit: usize, node: Node<'t>, scope: ScopeId, depth: usize) -> V {
        let name = text(node, self.src(unit));
        let Some((binding, at)) = self.em.scopes.lookup(scope, name) else {
            return if name == "__file__" {
                V::Strs(vec![Sv {
                    base: Base::File,
                    s: String::new(),
                }])
            } else {
                V::Unknown
            };
        };
        if matches!(binding, Binding::Import(_)) || !self.active.insert((at, name)) {
            return V::Unknown;
        }
        let mut out = V::Unknown;
        let locs = self.em.scopes.scopes[at]
            .assigned
            .get(name)
            .cloned()
            .unwrap_or_default();
        for loc in locs {
            let v = self.value(loc.unit, loc.node, at, depth + 1);
            // `x += [...]` adds to the list; `x = …` is one more possible value.
            let augmented = loc
                .node
                .parent()
                .is_some_and(|p| p.kind_name() == "augmented_assignment");
            out = match (augmented, out, v) {
                (true, V::List(mut a), V::List(b)) => {
                    push_unique(&mut a, b);
                    V::List(a)
                }
                (_, a, b) => union(a, b),
            };
        }
        let mutations = self
            .em
            .build
            .mutations
            .get(&(at, name))
            .cloned()
            .unwrap_or_default();
        if !mutations.is_empty() {
            let mut items = match out {
                V::List(items) => items,
                V::Strs(_) => {
                    self.active.remove(&(at, name));
                    return V::Unknown;
                }
                V::Unknown => Vec::new(),
            };
            for m in mutations {
                match (m.extend, self.value(m.unit, m.arg, m.scope, depth + 1)) {
                    (true, V::List(l)) => push_unique(&mut items, l),
                    (false, V::Strs(alts)) => push_unique(&mut items, alts),
                    _ => {}
                }
            }
            out = V::List(items);
        }
        self.active.remove(&(at, name));
        out
    }

    fn call(&mut self, unit: usize, node: Node<'t>, scope: ScopeId, depth: usize) -> V {
        let src = self.src(unit);
        let Some(func) = node.field("function") else {
            return V::Unknown;
        };
        let Some(args) = node
            .field("arguments")
            .filter(|a| a.kind_name() == "argument_list")
        else {
            return V::Unknown;
        };
        let positional = plain_args(args);
        let mut cursor = args.walk();
        // `os.path.join(d, *parts)`: the parts are unknown.
        if args
            .named_children(&mut cursor)
            .any(|a| matches!(a.kind_name(), "list_splat" | "dictionary_splat"))
        {
            return V::Unknown;
        }
        let mut cursor = args.walk();
        let keywords: Vec<&str> = args
            .named_children(&mut cursor)
            .filter(|a| a.kind_name() == "keyword_argument")
            .filter_map(|a| a.field("name"))
            .map(|n| text(n, src))
            .collect();
        let callees = self.em.resolve(unit, func, scope, 0);
        for c in &callees {
            if let Some(v) = self.path_function(c, unit, &positional, &keywords, scope, depth) {
                return v;
            }
        }
        if !callees.is_empty() {
            return V::Unknown;
        }
        match func.kind_name() {
            "identifier" => self.builtin_call(unit, func, &positional, scope, depth),
            "attribute" => self.method_call(unit, func, &positional, scope, depth),
            _ => V::Unknown,
        }
    }

    /// A call of an `os.path` or `pathlib` function or of `glob.glob`; `None` when `callee` is
    /// none of them.
    fn path_function(
        &mut self,
        callee: &str,
        unit: usize,
        positional: &[Node<'t>],
        keywords: &[&str],
        scope: ScopeId,
        depth: usize,
    ) -> Option<V> {
        let value = match callee {
            "os.path.join" | "posixpath.join" => {
                self.join_all(unit, positional, None, scope, depth)
            }
            "pathlib.Path" | "pathlib.PurePath" | "pathlib.PosixPath" | "pathlib.PurePosixPath" => {
                if positional.is_empty() {
                    return Some(V::Strs(vec![Sv::rel("")]));
                }
                self.join_all(unit, positional, None, scope, depth)
            }
            "os.path.dirname" => match self.first(unit, positional, scope, depth) {
                V::Strs(a) => strs(a.iter().filter_map(parent).collect()),
                _ => V::Unknown,
            },
            "os.path.abspath" | "os.path.realpath" | "os.path.normpath" | "os.fspath" => {
                match self.first(unit, positional, scope, depth) {
                    V::Strs(a) => V::Strs(a),
                    _ => V::Unknown,
                }
            }
            "os.path.relpath" => self.relpath(unit, positional, scope, depth),
            "glob.glob" | "glob.iglob" => {
                // `root_dir=` makes the matches relative to another directory.
                if keywords.iter().any(|k| matches!(*k, "root_dir" | "dir_fd")) {
                    return Some(V::Unknown);
                }
                match self.first(unit, positional, scope, depth) {
                    V::Strs(a) => V::List(a),
                    _ => V::Unknown,
                }
            }
            _ => return None,
        };
        Some(value)
    }

    /// `os.path.relpath(p, this_dir)`: a path in the script directory, made relative.
    fn relpath(&mut self, unit: usize, args: &[Node<'t>], scope: ScopeId, depth: usize) -> V {
        let (Some(&p), Some(&start)) = (args.first(), args.get(1)) else {
            return V::Unknown;
        };
        let in_dir = matches!(
            self.value(unit, start, scope, depth + 1),
            V::Strs(s) if s.iter().all(|s| s.base == Base::Dir && s.s.is_empty())
        );
        match self.value(unit, p, scope, depth + 1) {
            V::Strs(a) if in_dir => strs(
                a.into_iter()
                    .filter(|a| a.base == Base::Dir)
                    .map(|a| Sv::rel(a.s.trim_start_matches('/')))
                    .collect(),
            ),
            _ => V::Unknown,
        }
    }

    /// Built-ins that keep the value: `sorted(glob(…))`, `str(path)`.
    fn builtin_call(
        &mut self,
        unit: usize,
        func: Node<'t>,
        positional: &[Node<'t>],
        scope: ScopeId,
        depth: usize,
    ) -> V {
        let name = text(func, self.src(unit));
        if self.em.scopes.lookup(scope, name).is_some() {
            return V::Unknown;
        }
        match (name, self.first(unit, positional, scope, depth)) {
            ("sorted" | "list" | "tuple", V::List(l)) => V::List(l),
            ("str", V::Strs(a)) => V::Strs(a),
            _ => V::Unknown,
        }
    }

    /// Path and list methods: `p.glob("*.cu")`, `p.rglob(…)`, `p.joinpath(…)`, `p.resolve()`,
    /// `sources.copy()`.
    fn method_call(
        &mut self,
        unit: usize,
        func: Node<'t>,
        positional: &[Node<'t>],
        scope: ScopeId,
        depth: usize,
    ) -> V {
        let src = self.src(unit);
        let (Some(obj), Some(method)) = (func.field("object"), func.field("attribute")) else {
            return V::Unknown;
        };
        match text(method, src) {
            "glob" | "rglob" => {
                let recursive = text(method, src) == "rglob";
                let base = self.value(unit, obj, scope, depth + 1);
                let pattern = self.first(unit, positional, scope, depth);
                match (base, pattern) {
                    (V::Strs(b), V::Strs(p)) => {
                        let p: Vec<Sv> = if recursive {
                            p.into_iter()
                                .filter(|p| p.base == Base::Rel)
                                .map(|p| Sv::rel(&format!("**/{}", p.s)))
                                .collect()
                        } else {
                            p
                        };
                        V::List(product(&b, &p, join))
                    }
                    _ => V::Unknown,
                }
            }
            "joinpath" => self.join_all(unit, positional, Some(obj), scope, depth),
            "resolve" | "absolute" | "as_posix" => match self.value(unit, obj, scope, depth + 1) {
                V::Strs(a) => V::Strs(a),
                _ => V::Unknown,
            },
            "copy" => match self.value(unit, obj, scope, depth + 1) {
                V::List(l) => V::List(l),
                _ => V::Unknown,
            },
            _ => V::Unknown,
        }
    }

    fn first(&mut self, unit: usize, args: &[Node<'t>], scope: ScopeId, depth: usize) -> V {
        match args.first() {
            Some(&a) => self.value(unit, a, scope, depth + 1),
            None => V::Unknown,
        }
    }

    /// `os.path.join(parts…)` (after `head`, for `p.joinpath(…)`): every part must be known.
    fn join_all(
        &mut self,
        unit: usize,
        parts: &[Node<'t>],
        head: Option<Node<'t>>,
        scope: ScopeId,
        depth: usize,
    ) -> V {
        let mut acc: Option<Vec<Sv>> = None;
        for &part in head.iter().chain(parts) {
            let V::Strs(alts) = self.value(unit, part, scope, depth + 1) else {
                return V::Unknown;
            };
            acc = Some(match acc {
                None => alts,
                Some(prev) => product(&prev, &alts, join),
            });
        }
        match acc {
            Some(a) => strs(a),
            None => V::Unknown,
        }
    }
}

/// The expression inside parentheses (skipping comments).
fn first_expr(node: Node) -> Option<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .find(|n| n.kind_name() != "comment")
}
