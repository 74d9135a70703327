//! Build scripts: which C/C++/CUDA sources a Python file hands to PyTorch's extension machinery
//! ([`Extraction::build_sources`]), and whether it provides for a ROCm build
//! ([`Extraction::rocm_build`]).
//!
//! Build calls are `torch.utils.cpp_extension.CUDAExtension`, `CppExtension` and `load` (names
//! resolved through imports and aliases like every other reference), and the `sources()` method
//! of a class deriving from `…OpBuilder` (DeepSpeed). Their `sources` are resolved after the walk,
//! when every mutation of a list variable (`x += […]`, `x.append(…)`, `x.extend(…)`) is known.
//!
//! Resolution is deliberately conservative: a source is reported only when its path is known
//! from string literals, lists and tuples of them, `+`, variables of the same file (the union of
//! every assignment and mutation in the variable's scope), `os.path.join`, `pathlib.Path` and `/`,
//! and `glob.glob` / `Path.glob` / `Path.rglob` (kept as glob patterns). The script directory
//! (`os.path.dirname(__file__)`, `Path(__file__).parent` and names bound to them) is the empty
//! path. Anything else (f-strings, calls, comprehensions, parameters) drops the source.
//!
//! [`Extraction::build_sources`]: crate::lang::Extraction::build_sources
//! [`Extraction::rocm_build`]: crate::lang::Extraction::rocm_build

use super::emit::Emitter;
use super::literal;
use super::scope::{Binding, ScopeId, text};
use crate::lang::{BuildKind, BuildSources};
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

/// Nodes evaluated for one build call at most (bounds the work on hostile input).
const MAX_STEPS: usize = 4096;
/// Deepest nesting of expressions and variables followed.
const MAX_DEPTH: usize = 32;
/// Most alternative values (or list items) kept for one expression.
const MAX_ITEMS: usize = 256;

/// Resolved names whose reference means the script provides for a ROCm build.
const ROCM_NAMES: &[&str] = &[
    "torch.version.hip",
    "torch.utils.cpp_extension.ROCM_HOME",
    "torch.utils.cpp_extension.IS_HIP_EXTENSION",
    "torch.utils.hipify",
];

/// Substrings of a string literal that mean the same.
const ROCM_STRINGS: &[&str] = &[
    "hipcc",
    "--offload-arch",
    "ROCM_HOME",
    "ROCM_PATH",
    "USE_ROCM",
    "__HIP_PLATFORM_AMD__",
    "__HIP_PLATFORM_HCC__",
    "hipify",
];

/// DeepSpeed's op builder bases for other accelerators: their sources are never built with
/// `CUDAExtension`.
const OTHER_ACCELERATOR_BUILDERS: &[&str] = &[
    "CPUOpBuilder",
    "SYCLOpBuilder",
    "NPUOpBuilder",
    "HPUOpBuilder",
    "MLUOpBuilder",
    "XPUOpBuilder",
];

/// What the walk collects for the build pass.
#[derive(Default)]
pub struct BuildState<'t> {
    pending: Vec<Pending<'t>>,
    /// `x.append(…)`, `x.extend(…)`, `x.insert(i, …)` by the scope binding `x`.
    mutations: HashMap<(ScopeId, &'t str), Vec<Mutation<'t>>>,
    /// Calls whose build settings or commands are read after the walk.
    pub(super) flag_calls: Vec<super::buildflags::FlagCall<'t>>,
}

impl<'t> BuildState<'t> {
    /// The arguments of `x.append(…)`, `x.extend(…)`, `x.insert(i, …)` of the variable `name`
    /// bound in scope `at`: (unit, argument, scope of the call).
    pub(super) fn mutations_of(
        &self,
        at: ScopeId,
        name: &'t str,
    ) -> Vec<(usize, Node<'t>, ScopeId)> {
        self.mutations
            .get(&(at, name))
            .map(|ms| ms.iter().map(|m| (m.unit, m.arg, m.scope)).collect())
            .unwrap_or_default()
    }
}

struct Pending<'t> {
    kind: BuildKind,
    unit: usize,
    /// The call, or (op builders) the `def sources`.
    node: Node<'t>,
    /// The scope of the call, or the scope the `def` opens.
    scope: ScopeId,
}

#[derive(Clone, Copy)]
struct Mutation<'t> {
    unit: usize,
    arg: Node<'t>,
    /// Where the call is (the argument is resolved there).
    scope: ScopeId,
    /// `extend` (a list) rather than `append`/`insert` (one item).
    extend: bool,
}

impl<'t> Emitter<'t, '_> {
    /// A call seen by the walk: a build call to resolve later, or a mutation of a list variable.
    pub(super) fn build_call(&mut self, unit: usize, call: Node<'t>, scope: ScopeId) {
        let Some(func) = call.child_by_field_name("function") else {
            return;
        };
        let kind = self
            .resolve(unit, func, scope, 0)
            .iter()
            .find_map(|c| match c.as_str() {
                "torch.utils.cpp_extension.CUDAExtension" => Some(BuildKind::CudaExtension),
                "torch.utils.cpp_extension.CppExtension" => Some(BuildKind::CppExtension),
                "torch.utils.cpp_extension.load" => Some(BuildKind::Load),
                _ => None,
            });
        self.flag_call(unit, call, scope);
        if let Some(kind) = kind {
            self.build.pending.push(Pending {
                kind,
                unit,
                node: call,
                scope,
            });
            return;
        }
        // `x.append(…)` on a variable of this file.
        if func.kind() != "attribute" {
            return;
        }
        let src = self.src(unit);
        let (Some(obj), Some(method)) = (
            func.child_by_field_name("object"),
            func.child_by_field_name("attribute"),
        ) else {
            return;
        };
        let (index, extend) = match text(method, src) {
            "append" => (0, false),
            "extend" => (0, true),
            "insert" => (1, false),
            _ => return,
        };
        if obj.kind() != "identifier" {
            return;
        }
        let name = text(obj, src);
        let Some((Binding::Local | Binding::Alias(..), at)) = self.scopes.lookup(scope, name)
        else {
            return;
        };
        let Some(arg) = call
            .child_by_field_name("arguments")
            .filter(|a| a.kind() == "argument_list")
            .and_then(|a| plain_args(a).into_iter().nth(index))
        else {
            return;
        };
        self.build
            .mutations
            .entry((at, name))
            .or_default()
            .push(Mutation {
                unit,
                arg,
                scope,
                extend,
            });
    }

    /// A class seen by the walk: an op builder's `def sources(self)` to resolve later.
    pub(super) fn build_class(&mut self, unit: usize, class: Node<'t>) {
        let src = self.src(unit);
        let Some(bases) = class.child_by_field_name("superclasses") else {
            return;
        };
        let mut cursor = bases.walk();
        let builder = bases.named_children(&mut cursor).any(|b| {
            matches!(b.kind(), "identifier" | "attribute")
                && text(b, src)
                    .rsplit('.')
                    .next()
                    .map(str::trim)
                    .is_some_and(|last| {
                        last.ends_with("OpBuilder") && !OTHER_ACCELERATOR_BUILDERS.contains(&last)
                    })
        });
        if !builder {
            return;
        }
        let Some(body) = class.child_by_field_name("body") else {
            return;
        };
        let mut cursor = body.walk();
        let defs: Vec<Node<'t>> = body
            .named_children(&mut cursor)
            .filter_map(|n| match n.kind() {
                "function_definition" => Some(n),
                "decorated_definition" => n
                    .child_by_field_name("definition")
                    .filter(|d| d.kind() == "function_definition"),
                _ => None,
            })
            .filter(|d| {
                d.child_by_field_name("name")
                    .is_some_and(|n| text(n, src) == "sources")
            })
            .collect();
        for def in defs {
            if let Some(&scope) = self.scopes.opened_by.get(&(unit, def.id())) {
                self.build.pending.push(Pending {
                    kind: BuildKind::OpBuilder,
                    unit,
                    node: def,
                    scope,
                });
            }
        }
    }

    /// Notes a resolved reference that provides for a ROCm build.
    pub(super) fn rocm_reference(&mut self, unit: usize, names: &[String], node: Node<'t>) {
        let rocm = names.iter().any(|n| {
            ROCM_NAMES.iter().any(|r| {
                n.strip_prefix(r)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            }) || n.ends_with(".IS_HIP_EXTENSION")
        });
        if rocm {
            self.rocm_at(unit, node);
        }
    }

    /// Notes a string literal (not a docstring) that provides for a ROCm build.
    pub(super) fn rocm_string(&mut self, unit: usize, node: Node<'t>) {
        let Some(d) = literal::decode(node, self.src(unit)) else {
            return;
        };
        if ROCM_STRINGS.iter().any(|m| d.text.contains(m)) {
            self.rocm_at(unit, node);
        }
    }

    fn rocm_at(&mut self, unit: usize, node: Node<'t>) {
        let at = self.file_span(unit, node.byte_range()).start;
        if self.out.rocm_build.is_none_or(|prev| at < prev) {
            self.out.rocm_build = Some(at);
        }
    }

    /// Resolves the sources of every build call the walk found.
    pub(super) fn finish_builds(&mut self) {
        let pending = std::mem::take(&mut self.build.pending);
        let mut found = Vec::new();
        for p in &pending {
            let mut eval = Eval {
                em: self,
                steps: MAX_STEPS,
                active: HashSet::new(),
            };
            let value = match p.kind {
                BuildKind::OpBuilder => eval.returns(p.unit, p.node, p.scope),
                _ => match sources_arg(p.node, self.src(p.unit)) {
                    Some(arg) => eval.value(p.unit, arg, p.scope, 0),
                    None => V::Unknown,
                },
            };
            let items = match value {
                V::List(items) | V::Strs(items) => items,
                V::Unknown => Vec::new(),
            };
            let mut sources: Vec<String> = Vec::new();
            for item in items {
                if let Some(path) = normalize(&item) {
                    if !sources.contains(&path) {
                        sources.push(path);
                    }
                }
            }
            let offset = self.file_span(p.unit, p.node.byte_range()).start;
            found.push(BuildSources {
                kind: p.kind,
                sources,
                offset,
            });
        }
        found.sort_by_key(|b| b.offset);
        self.out.build_sources = found;
        self.finish_flags();
    }
}

/// The `sources` argument of a build call: keyword `sources=`, else the second positional.
fn sources_arg<'t>(call: Node<'t>, src: &str) -> Option<Node<'t>> {
    let args = call
        .child_by_field_name("arguments")
        .filter(|a| a.kind() == "argument_list")?;
    let mut cursor = args.walk();
    let all: Vec<Node<'t>> = args.named_children(&mut cursor).collect();
    for a in &all {
        if a.kind() == "keyword_argument"
            && a.child_by_field_name("name")
                .is_some_and(|n| text(n, src) == "sources")
        {
            return a.child_by_field_name("value");
        }
    }
    // A `*args` before the second positional argument hides which one it is.
    if all.iter().any(|a| a.kind() == "list_splat") {
        return None;
    }
    plain_args(args).into_iter().nth(1)
}

/// The positional arguments of an argument list (no keywords, splats or comments).
fn plain_args(args: Node) -> Vec<Node> {
    let mut cursor = args.walk();
    args.named_children(&mut cursor)
        .filter(|a| {
            !matches!(
                a.kind(),
                "keyword_argument" | "list_splat" | "dictionary_splat" | "comment"
            )
        })
        .collect()
}

/// What a string value is relative to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    /// Nothing: the string as written (relative to the script directory when used as a path).
    Rel,
    /// The script's directory; `s` is what follows it (empty, or starting with `/`).
    Dir,
    /// The script itself (`__file__`); `s` is what follows it.
    File,
}

/// One possible string value.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sv {
    base: Base,
    s: String,
}

impl Sv {
    fn rel(s: &str) -> Sv {
        Sv {
            base: Base::Rel,
            s: s.to_string(),
        }
    }
}

/// The value of an expression, as far as it is known.
#[derive(Debug)]
enum V {
    /// A string, with its possible values.
    Strs(Vec<Sv>),
    /// A list (or tuple) of strings: the items known (possibly none).
    List(Vec<Sv>),
    Unknown,
}

fn push_unique(out: &mut Vec<Sv>, items: impl IntoIterator<Item = Sv>) {
    for i in items {
        if out.len() >= MAX_ITEMS {
            return;
        }
        if !out.contains(&i) {
            out.push(i);
        }
    }
}

/// Either value (a variable assigned twice, a conditional expression).
fn union(a: V, b: V) -> V {
    match (a, b) {
        (V::Unknown, x) | (x, V::Unknown) => x,
        (V::Strs(mut a), V::Strs(b)) => {
            push_unique(&mut a, b);
            V::Strs(a)
        }
        (V::List(mut a), V::List(b)) => {
            push_unique(&mut a, b);
            V::List(a)
        }
        (V::List(a), V::Strs(_)) | (V::Strs(_), V::List(a)) => V::List(a),
    }
}

/// Every combination of `a` and `b` joined by `f` (dropping the `None`s).
fn product(a: &[Sv], b: &[Sv], f: impl Fn(&Sv, &Sv) -> Option<Sv>) -> Vec<Sv> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if let Some(v) = f(x, y) {
                push_unique(&mut out, [v]);
            }
        }
    }
    out
}

/// `a + b` on strings.
fn concat(a: &Sv, b: &Sv) -> Option<Sv> {
    (b.base == Base::Rel).then(|| Sv {
        base: a.base,
        s: format!("{}{}", a.s, b.s),
    })
}

/// `os.path.join(a, b)`: an absolute `b` (or the script directory) starts over.
fn join(a: &Sv, b: &Sv) -> Option<Sv> {
    if b.base != Base::Rel || b.s.starts_with('/') {
        return Some(b.clone());
    }
    let s = if a.base == Base::Rel && a.s.is_empty() {
        b.s.clone()
    } else if a.s.ends_with('/') || b.s.is_empty() && a.base == Base::Rel {
        format!("{}{}", a.s, b.s)
    } else {
        format!("{}/{}", a.s, b.s)
    };
    Some(Sv { base: a.base, s })
}

/// `os.path.dirname(a)`, `Path(a).parent`.
fn parent(a: &Sv) -> Option<Sv> {
    match a.base {
        Base::File if a.s.is_empty() => Some(Sv {
            base: Base::Dir,
            s: String::new(),
        }),
        Base::File => None,
        Base::Dir | Base::Rel => {
            let trimmed = a.s.trim_end_matches('/');
            match trimmed.rsplit_once('/') {
                Some((head, _)) => Some(Sv {
                    base: a.base,
                    s: if head.is_empty() && a.base == Base::Rel {
                        "/".to_string()
                    } else {
                        head.to_string()
                    },
                }),
                // The script directory's parent is outside what the script names.
                None if a.base == Base::Dir => None,
                None => Some(Sv::rel("")),
            }
        }
    }
}

/// The path a value stands for, relative to the script directory; `None` when it is not one.
fn normalize(v: &Sv) -> Option<String> {
    let rel = match v.base {
        Base::File => return None,
        Base::Dir if v.s.is_empty() || v.s.starts_with('/') => v.s.trim_start_matches('/'),
        // `this_dir + "x.cu"`: no separator, not a path in the directory.
        Base::Dir => return None,
        Base::Rel if v.s.starts_with('/') || v.s.starts_with('~') => return None,
        Base::Rel => v.s.as_str(),
    };
    if rel.chars().any(|c| c.is_control()) || rel.contains(":\\") {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Whether a string literal holds an f-string interpolation (its value is unknown).
fn has_interpolation(node: Node) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "interpolation" {
            return true;
        }
        if matches!(
            n.kind(),
            "string" | "concatenated_string" | "string_content"
        ) {
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
    }
    false
}

/// One build call's resolution.
struct Eval<'a, 't, 'c> {
    em: &'a Emitter<'t, 'c>,
    steps: usize,
    /// Variables being resolved (a variable referring to itself is unknown there).
    active: HashSet<(ScopeId, &'t str)>,
}

impl<'t> Eval<'_, 't, '_> {
    fn src(&self, unit: usize) -> &'t str {
        self.em.src(unit)
    }

    /// The union of what a function's `return` statements return (nested functions excluded).
    fn returns(&mut self, unit: usize, def: Node<'t>, scope: ScopeId) -> V {
        let mut out = V::Unknown;
        let Some(body) = def.child_by_field_name("body") else {
            return out;
        };
        let mut stack = vec![body];
        let mut seen = 0;
        while let Some(n) = stack.pop() {
            seen += 1;
            if seen > MAX_STEPS {
                break;
            }
            match n.kind() {
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

    fn value(&mut self, unit: usize, node: Node<'t>, scope: ScopeId, depth: usize) -> V {
        if depth > MAX_DEPTH || self.steps == 0 {
            return V::Unknown;
        }
        self.steps -= 1;
        let src = self.src(unit);
        match node.kind() {
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
                    match k.kind() {
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
                let attr = node.child_by_field_name("attribute").map(|a| text(a, src));
                let obj = node.child_by_field_name("object");
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
        let op = node.child_by_field_name("operator").map(|o| o.kind());
        let (Some(l), Some(r)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
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
                .is_some_and(|p| p.kind() == "augmented_assignment");
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
        let Some(func) = node.child_by_field_name("function") else {
            return V::Unknown;
        };
        let Some(args) = node
            .child_by_field_name("arguments")
            .filter(|a| a.kind() == "argument_list")
        else {
            return V::Unknown;
        };
        let positional = plain_args(args);
        let mut cursor = args.walk();
        // `os.path.join(d, *parts)`: the parts are unknown.
        if args
            .named_children(&mut cursor)
            .any(|a| matches!(a.kind(), "list_splat" | "dictionary_splat"))
        {
            return V::Unknown;
        }
        let mut cursor = args.walk();
        let keywords: Vec<&str> = args
            .named_children(&mut cursor)
            .filter(|a| a.kind() == "keyword_argument")
            .filter_map(|a| a.child_by_field_name("name"))
            .map(|n| text(n, src))
            .collect();
        let callees = self.em.resolve(unit, func, scope, 0);
        for c in &callees {
            match c.as_str() {
                "os.path.join" | "posixpath.join" => {
                    return self.join_all(unit, &positional, None, scope, depth);
                }
                "pathlib.Path"
                | "pathlib.PurePath"
                | "pathlib.PosixPath"
                | "pathlib.PurePosixPath" => {
                    if positional.is_empty() {
                        return V::Strs(vec![Sv::rel("")]);
                    }
                    return self.join_all(unit, &positional, None, scope, depth);
                }
                "os.path.dirname" => {
                    return match self.first(unit, &positional, scope, depth) {
                        V::Strs(a) => strs(a.iter().filter_map(parent).collect()),
                        _ => V::Unknown,
                    };
                }
                "os.path.abspath" | "os.path.realpath" | "os.path.normpath" | "os.fspath" => {
                    return match self.first(unit, &positional, scope, depth) {
                        V::Strs(a) => V::Strs(a),
                        _ => V::Unknown,
                    };
                }
                // `os.path.relpath(p, this_dir)`: a path in the script directory, made relative.
                "os.path.relpath" => {
                    let (Some(&p), Some(&start)) = (positional.first(), positional.get(1)) else {
                        return V::Unknown;
                    };
                    let in_dir = matches!(
                        self.value(unit, start, scope, depth + 1),
                        V::Strs(s) if s.iter().all(|s| s.base == Base::Dir && s.s.is_empty())
                    );
                    return match self.value(unit, p, scope, depth + 1) {
                        V::Strs(a) if in_dir => strs(
                            a.into_iter()
                                .filter(|a| a.base == Base::Dir)
                                .map(|a| Sv::rel(a.s.trim_start_matches('/')))
                                .collect(),
                        ),
                        _ => V::Unknown,
                    };
                }
                "glob.glob" | "glob.iglob" => {
                    // `root_dir=` makes the matches relative to another directory.
                    if keywords.iter().any(|k| matches!(*k, "root_dir" | "dir_fd")) {
                        return V::Unknown;
                    }
                    return match self.first(unit, &positional, scope, depth) {
                        V::Strs(a) => V::List(a),
                        _ => V::Unknown,
                    };
                }
                _ => {}
            }
        }
        if !callees.is_empty() {
            return V::Unknown;
        }
        match func.kind() {
            // Built-ins that keep the value: `sorted(glob(…))`, `str(path)`.
            "identifier" => {
                let name = text(func, src);
                if self.em.scopes.lookup(scope, name).is_some() {
                    return V::Unknown;
                }
                match (name, self.first(unit, &positional, scope, depth)) {
                    ("sorted" | "list" | "tuple", V::List(l)) => V::List(l),
                    ("str", V::Strs(a)) => V::Strs(a),
                    _ => V::Unknown,
                }
            }
            // Path and list methods.
            "attribute" => {
                let (Some(obj), Some(method)) = (
                    func.child_by_field_name("object"),
                    func.child_by_field_name("attribute"),
                ) else {
                    return V::Unknown;
                };
                match text(method, src) {
                    "glob" | "rglob" => {
                        let recursive = text(method, src) == "rglob";
                        let base = self.value(unit, obj, scope, depth + 1);
                        let pattern = self.first(unit, &positional, scope, depth);
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
                    "joinpath" => self.join_all(unit, &positional, Some(obj), scope, depth),
                    "resolve" | "absolute" | "as_posix" => {
                        match self.value(unit, obj, scope, depth + 1) {
                            V::Strs(a) => V::Strs(a),
                            _ => V::Unknown,
                        }
                    }
                    "copy" => match self.value(unit, obj, scope, depth + 1) {
                        V::List(l) => V::List(l),
                        _ => V::Unknown,
                    },
                    _ => V::Unknown,
                }
            }
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

/// A string value with these alternatives (unknown when there are none).
fn strs(a: Vec<Sv>) -> V {
    if a.is_empty() { V::Unknown } else { V::Strs(a) }
}

/// The expression inside parentheses (skipping comments).
fn first_expr(node: Node) -> Option<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .find(|n| n.kind() != "comment")
}

#[cfg(test)]
mod tests {
    use crate::lang::cpp::CppFrontEnd;
    use crate::lang::python::PythonFrontEnd;
    use crate::lang::{BuildKind, Extraction};
    use std::path::Path;

    fn extract(src: &str) -> Extraction {
        extract_as(src, "setup.py")
    }

    fn extract_as(src: &str, path: &str) -> Extraction {
        let mut py = PythonFrontEnd::new();
        let mut cpp = CppFrontEnd::new();
        py.extract(src, Path::new(path), &mut cpp)
    }

    /// `(kind, sources)` of every build call.
    fn builds(src: &str) -> Vec<(BuildKind, Vec<String>)> {
        extract(src)
            .build_sources
            .into_iter()
            .map(|b| (b.kind, b.sources))
            .collect()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flash_attention_setup() {
        let src = r#"
import os
import glob
from pathlib import Path
from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CUDAExtension, CUDA_HOME

this_dir = os.path.dirname(os.path.abspath(__file__))
ext_modules = []
ext_modules.append(
    CUDAExtension(
        name="flash_attn_2_cuda",
        sources=["csrc/flash_attn/flash_api.cpp"] + glob.glob("csrc/flash_attn/src/*.cu"),
        extra_compile_args={"nvcc": ["-O3", "-gencode", "arch=compute_80,code=sm_80"]},
        include_dirs=[Path(this_dir) / "csrc" / "cutlass" / "include"],
    )
)
ext_modules.append(
    CUDAExtension(
        "fused_dense_lib",
        [os.path.join(this_dir, "csrc", "fused_dense.cu"), f"csrc/{name}.cu", "./csrc/x.cpp"],
    )
)
setup(name="flash_attn", ext_modules=ext_modules, cmdclass={"build_ext": BuildExtension})
"#;
        let out = extract(src);
        assert_eq!(out.build_sources.len(), 2);
        let first = &out.build_sources[0];
        assert_eq!(first.kind, BuildKind::CudaExtension);
        assert_eq!(
            first.sources,
            strings(&["csrc/flash_attn/flash_api.cpp", "csrc/flash_attn/src/*.cu"])
        );
        assert!(src[first.offset..].starts_with("CUDAExtension(\n        name="));
        assert_eq!(
            out.build_sources[1].sources,
            strings(&["csrc/fused_dense.cu", "csrc/x.cpp"])
        );
        assert_eq!(out.rocm_build, None);
    }

    #[test]
    fn sources_built_in_a_variable() {
        let src = r#"
import os
from torch.utils.cpp_extension import CUDAExtension as CE
ROOT = os.path.dirname(__file__)
CSRC = os.path.join(ROOT, "csrc")

def get_extensions():
    sources = [os.path.join(CSRC, "ops.cpp")]
    sources += [os.path.join(CSRC, "kernels", "a.cu"), "/usr/local/cuda/b.cu"]
    sources.append(os.path.join(CSRC, "kernels/b.cu"))
    sources.extend(["csrc/c.cu", "csrc/d.cu"])
    sources.append(os.path.join(unknown_dir, "e.cu"))
    sources += [s for s in os.listdir(CSRC) if s.endswith(".cu")]
    return [CE("ops", sources)]
"#;
        assert_eq!(
            builds(src),
            vec![(
                BuildKind::CudaExtension,
                strings(&[
                    "csrc/ops.cpp",
                    "csrc/kernels/a.cu",
                    "csrc/kernels/b.cu",
                    "csrc/c.cu",
                    "csrc/d.cu"
                ])
            )]
        );
    }

    #[test]
    fn path_objects_and_globs() {
        let src = r#"
from pathlib import Path
from glob import glob
import torch.utils.cpp_extension as ext
HERE = Path(__file__).resolve().parent
kernels = sorted(glob(str(HERE / "csrc" / "**" / "*.cu"), recursive=True))
ext.CUDAExtension("k", kernels + list((HERE / "csrc").rglob("*.cpp")) + [str(HERE.parent / "x.cu")])
"#;
        assert_eq!(
            builds(src),
            vec![(
                BuildKind::CudaExtension,
                strings(&["csrc/**/*.cu", "csrc/**/*.cpp"])
            )]
        );
    }

    #[test]
    fn detectron_style_relpath_and_splats() {
        let src = r#"
import glob
from os import path
import os
from torch.utils.cpp_extension import CUDAExtension
this_dir = path.dirname(path.abspath(__file__))
extensions_dir = path.join(this_dir, "detectron2", "layers", "csrc")
main_source = path.join(extensions_dir, "vision.cpp")
sources = glob.glob(path.join(extensions_dir, "**", "*.cpp"))
source_cuda = glob.glob(path.join(extensions_dir, "**", "*.cu")) + glob.glob(
    path.join(extensions_dir, "*.cu")
)
sources = [main_source] + sources
sources += source_cuda
parts = ["x", "y.cu"]
CUDAExtension("detectron2._C", sources + [path.join(extensions_dir, *parts)])
CUDAExtension("rel", [os.path.relpath(path.join(this_dir, "k.cu"), this_dir)])
"#;
        assert_eq!(
            builds(src),
            vec![
                (
                    BuildKind::CudaExtension,
                    strings(&[
                        "detectron2/layers/csrc/**/*.cpp",
                        "detectron2/layers/csrc/vision.cpp",
                        "detectron2/layers/csrc/**/*.cu",
                        "detectron2/layers/csrc/*.cu",
                    ])
                ),
                (BuildKind::CudaExtension, strings(&["k.cu"])),
            ]
        );
    }

    #[test]
    fn cpp_extension_load_and_load_inline() {
        let src = r#"
from torch.utils import cpp_extension
from torch.utils.cpp_extension import load, load_inline, CppExtension
CppExtension("cpu_ops", ["ops.cpp"])
load_inline(name="inl", cpp_sources=["int f() { return 1; }"], cuda_sources=["__global__ void k() {}"])
load("ext", sources=["a.cu", "b.cpp"], verbose=True)
cpp_extension.load(name="ext2", sources="kernels/c.cu")
"#;
        assert_eq!(
            builds(src),
            vec![
                (BuildKind::CppExtension, strings(&["ops.cpp"])),
                (BuildKind::Load, strings(&["a.cu", "b.cpp"])),
                (BuildKind::Load, strings(&["kernels/c.cu"])),
            ]
        );
    }

    #[test]
    fn unrelated_calls_are_not_builds() {
        let src = r#"
import json
def CUDAExtension(name, sources): pass
CUDAExtension("x", ["a.cu"])
json.load(open("f"))
"#;
        assert!(builds(src).is_empty());
    }

    #[test]
    fn deepspeed_op_builder() {
        let src = r#"
from .builder import CUDAOpBuilder

class FusedAdamBuilder(CUDAOpBuilder):
    BUILD_VAR = "DS_BUILD_FUSED_ADAM"
    NAME = "fused_adam"

    def absolute_name(self):
        return f'deepspeed.ops.adam.{self.NAME}_op'

    def sources(self):
        return ['csrc/adam/fused_adam_frontend.cpp', 'csrc/adam/multi_tensor_adam.cu']

class TransformerBuilder(CUDAOpBuilder):
    def sources(self):
        sources = ['csrc/transformer/ds_transformer_cuda.cpp']
        if self.is_rocm_pytorch():
            sources.append('csrc/transformer/hip_extra.cpp')
        return sources

class SYCLAdamBuilder(SYCLOpBuilder):
    def sources(self):
        return ['csrc/xpu/adam/fused_adam.cpp']

class NotABuilder(object):
    def sources(self):
        return ['x.cu']
"#;
        let out = extract_as(src, "op_builder/fused_adam.py");
        let b: Vec<_> = out
            .build_sources
            .iter()
            .map(|b| (b.kind, b.sources.clone()))
            .collect();
        assert_eq!(
            b,
            vec![
                (
                    BuildKind::OpBuilder,
                    strings(&[
                        "csrc/adam/fused_adam_frontend.cpp",
                        "csrc/adam/multi_tensor_adam.cu"
                    ])
                ),
                (
                    BuildKind::OpBuilder,
                    strings(&[
                        "csrc/transformer/ds_transformer_cuda.cpp",
                        "csrc/transformer/hip_extra.cpp"
                    ])
                ),
            ]
        );
        assert!(
            src[out.build_sources[0].offset..]
                .starts_with("def sources(self):\n        return ['csrc/adam")
        );
    }

    #[test]
    fn flash_mla_setup_is_cuda_only() {
        let src = r#"
import os
from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CUDAExtension, CUDA_HOME

# Not for ROCm: no hipcc, no torch.version.hip here.
assert CUDA_HOME is not None, "CUDA_HOME must be set"
cc_flag = ["-gencode", "arch=compute_90a,code=sm_90a"]
this_dir = os.path.dirname(os.path.abspath(__file__))
setup(
    name="flash_mla",
    ext_modules=[
        CUDAExtension(
            name="flash_mla_cuda",
            sources=["csrc/flash_api.cpp", "csrc/flash_fwd_mla_bf16_sm90.cu"],
            extra_compile_args={"cxx": ["-O3"], "nvcc": ["-O3"] + cc_flag},
            include_dirs=[os.path.join(this_dir, "csrc", "cutlass", "include")],
        )
    ],
    cmdclass={"build_ext": BuildExtension},
)
"#;
        let out = extract(src);
        assert_eq!(out.rocm_build, None);
        assert_eq!(
            out.build_sources[0].sources,
            strings(&["csrc/flash_api.cpp", "csrc/flash_fwd_mla_bf16_sm90.cu"])
        );
    }

    #[test]
    fn rocm_builds_are_noticed() {
        let hip = "import torch\nx = 1\nif torch.version.hip:\n    flags = []\n";
        assert_eq!(
            extract(hip).rocm_build,
            Some(hip.find("torch.version.hip").unwrap())
        );
        let ext = "from torch.utils.cpp_extension import IS_HIP_EXTENSION\n\nif IS_HIP_EXTENSION:\n    pass\n";
        assert_eq!(
            extract(ext).rocm_build,
            Some(ext.find("IS_HIP_EXTENSION:").unwrap())
        );
        let home = "from torch.utils import cpp_extension as ce\nroot = ce.ROCM_HOME\n";
        assert_eq!(
            extract(home).rocm_build,
            Some(home.find("ce.ROCM_HOME").unwrap())
        );
        let flags = "nvcc = []\nhip = ['-O3', '--offload-arch=gfx942']\n";
        assert_eq!(
            extract(flags).rocm_build,
            Some(flags.find("'--offload").unwrap())
        );
        let env = "import os\nif os.getenv('USE_ROCM'):\n    pass\n";
        assert_eq!(
            extract(env).rocm_build,
            Some(env.find("'USE_ROCM'").unwrap())
        );
        // Comments, docstrings and unrelated names never count.
        let none = "\"\"\"Builds with hipcc on ROCm.\"\"\"\n# if torch.version.hip: hipcc\nimport torch\nv = torch.version.cuda\nhip = None\n";
        assert_eq!(extract(none).rocm_build, None);
    }

    #[test]
    fn notebooks_do_not_crash() {
        let nb = r#"{"cells": [{"cell_type": "code", "source": ["from torch.utils.cpp_extension import load\n", "m = load('m', ['k.cu'])\n", "import torch\n", "torch.version.hip\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#;
        let out = extract_as(nb, "t.ipynb");
        assert_eq!(out.build_sources.len(), 1);
        assert_eq!(out.build_sources[0].sources, strings(&["k.cu"]));
        let at = out.build_sources[0].offset;
        assert!(nb[at..].starts_with("load('m'"), "{}", &nb[at..]);
        let hip = out.rocm_build.unwrap();
        assert!(nb[hip..].starts_with("torch.version.hip"));
    }

    #[test]
    fn garbage_does_not_panic() {
        let inputs = [
            "CUDAExtension(",
            "from torch.utils.cpp_extension import CUDAExtension\nCUDAExtension('x', [",
            "from torch.utils.cpp_extension import CUDAExtension\nCUDAExtension('x', sources=)",
            "from torch.utils.cpp_extension import CUDAExtension\nCUDAExtension(*a, **k)\n",
            "from torch.utils.cpp_extension import load\na = a + a\na += a\na.append(a)\nload('x', a)\n",
            "from torch.utils.cpp_extension import load\nimport os\nd = os.path.dirname(os.path.dirname(__file__))\nload('x', [os.path.join(d, 'x.cu'), d + 'y.cu', __file__])\n",
            "class A(OpBuilder):\n    def sources(self):\n        return\n    def sources(self): return [x for x in y]\n",
            "class B(OpBuilder:\n def sources(self) return ['a.cu'",
            "\u{0}\u{ff}from torch import *\nif torch.version.hip",
        ];
        for src in inputs {
            let _ = extract(src);
        }
        // Deep nesting stays bounded.
        let deep = format!(
            "from torch.utils.cpp_extension import load\nload('x', {}['a.cu']{})\n",
            "(".repeat(3000),
            ")".repeat(3000)
        );
        let _ = extract(&deep);
        let chain: String = (0..500)
            .map(|i| format!("v{} = v{} + ['f{i}.cu']\n", i + 1, i))
            .collect();
        let src = format!(
            "from torch.utils.cpp_extension import load\nv0 = []\n{chain}load('x', v500)\n"
        );
        let out = extract(&src);
        assert_eq!(out.build_sources.len(), 1);
    }
}
