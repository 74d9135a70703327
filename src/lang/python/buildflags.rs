//! Build settings in Python build scripts: the nvcc flags, libraries and link flags handed to
//! PyTorch's extension machinery and setuptools, and the commands a script runs (`nvcc --version`).
//!
//! Strings are read only in these positions: the `"nvcc"` entry of `extra_compile_args` (a dict
//! display or `dict(nvcc=…)`, directly or through a variable), `extra_cuda_cflags`, `libraries`,
//! `extra_link_args` and `extra_ldflags` of `CUDAExtension`, `CppExtension`, `load`, `load_inline`
//! and setuptools' `Extension`; and the command word of `subprocess.run`/`check_output`/… and
//! `os.system`/`os.popen`. Values flow through lists, tuples, `+`, conditional expressions,
//! variables of the same file (every assignment, `+=`, `.append`, `.extend`, `.insert`, as for
//! the build sources in [`super::build`]) and the arguments of calls (`helper(flags + more)`).
//!
//! Each string is split into words and classified like a shell command's words
//! ([`crate::lang::manifest::shell::word_flag`]), so the facts carry the keys the build rules
//! match in Makefiles and shell scripts: `flag:-gencode`, `cuda-arch:sm_90a`, `link-lib:cublas`,
//! `command:nvcc`. A `-gencode` (or `-arch`, `-code`) written as its own list item takes the next
//! item as its value, as on a command line.

use super::emit::Emitter;
use super::literal;
use super::scope::{Binding, ScopeId, text};
use crate::lang::Fact;
use crate::lang::manifest::{Out, shell};
use crate::lang::node_names::NodeNames;
use std::collections::HashSet;
use std::ops::Range;
use tree_sitter::Node;

/// Nodes visited for one argument at most.
const MAX_STEPS: usize = 4096;
/// Deepest nesting of expressions and variables followed.
const MAX_DEPTH: usize = 32;

/// Functions whose first argument is a command.
const COMMAND_FUNCTIONS: &[&str] = &[
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "os.system",
    "os.popen",
];

/// Calls that take build settings.
const BUILD_FUNCTIONS: &[&str] = &[
    "torch.utils.cpp_extension.CUDAExtension",
    "torch.utils.cpp_extension.CppExtension",
    "torch.utils.cpp_extension.load",
    "torch.utils.cpp_extension.load_inline",
    "setuptools.Extension",
    "setuptools.extension.Extension",
    "distutils.core.Extension",
    "distutils.extension.Extension",
];

/// What a call hands over.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// nvcc flags: classified as flags, architectures and `-l` libraries.
    Flags,
    /// Library names (`libraries=`): `link-lib:NAME`.
    Libraries,
    /// A command: its first word, `command:BASENAME`.
    Command,
}

/// A call whose settings are read after the walk (when every list mutation is known).
pub struct FlagCall<'t> {
    unit: usize,
    call: Node<'t>,
    scope: ScopeId,
    command: bool,
}

impl<'t> Emitter<'t, '_> {
    /// Notes a call to a build function or a command runner (from the walk).
    pub(super) fn flag_call(&mut self, unit: usize, call: Node<'t>, scope: ScopeId) {
        let Some(func) = call.field("function") else {
            return;
        };
        let callees = self.resolve(unit, func, scope, 0);
        let build = callees
            .iter()
            .any(|c| BUILD_FUNCTIONS.contains(&c.as_str()));
        let command = callees
            .iter()
            .any(|c| COMMAND_FUNCTIONS.contains(&c.as_str()));
        if build || command {
            self.build.flag_calls.push(FlagCall {
                unit,
                call,
                scope,
                command,
            });
        }
    }

    /// Reads the settings of every call [`Self::flag_call`] noted.
    pub(super) fn finish_flags(&mut self) {
        let calls = std::mem::take(&mut self.build.flag_calls);
        for c in &calls {
            let Some(args) = c
                .call
                .field("arguments")
                .filter(|a| a.kind_name() == "argument_list")
            else {
                continue;
            };
            let src = self.src(c.unit);
            let mut cursor = args.walk();
            let all: Vec<Node<'t>> = args.named_children(&mut cursor).collect();
            let mut todo: Vec<(Node<'t>, Role)> = Vec::new();
            if c.command {
                let first = all
                    .iter()
                    .find(|a| {
                        a.kind_name() == "keyword_argument"
                            && a.field("name").is_some_and(|n| text(n, src) == "args")
                    })
                    .and_then(|a| a.field("value"))
                    .or_else(|| {
                        all.iter()
                            .copied()
                            .take_while(|a| a.kind_name() != "list_splat")
                            .find(|a| !matches!(a.kind_name(), "keyword_argument" | "comment"))
                    });
                if let Some(first) = first {
                    todo.push((first, Role::Command));
                }
            } else {
                for a in &all {
                    if a.kind_name() != "keyword_argument" {
                        continue;
                    }
                    let (Some(k), Some(v)) = (a.field("name"), a.field("value")) else {
                        continue;
                    };
                    match text(k, src) {
                        "extra_compile_args" => {
                            for nvcc in self.nvcc_entries(c.unit, v, c.scope) {
                                todo.push((nvcc, Role::Flags));
                            }
                        }
                        "extra_cuda_cflags" | "extra_link_args" | "extra_ldflags" => {
                            todo.push((v, Role::Flags))
                        }
                        "libraries" => todo.push((v, Role::Libraries)),
                        _ => {}
                    }
                }
            }
            for (node, role) in todo {
                let mut lits = Vec::new();
                let mut walk = Lits {
                    em: self,
                    steps: MAX_STEPS,
                    active: HashSet::new(),
                    first_only: role == Role::Command,
                };
                walk.collect(c.unit, node, c.scope, 0, &mut lits);
                self.classify(&lits, role);
            }
        }
    }

    /// The `"nvcc"` values of an `extra_compile_args` argument.
    fn nvcc_entries(&self, unit: usize, v: Node<'t>, scope: ScopeId) -> Vec<Node<'t>> {
        let src = self.src(unit);
        let mut out = Vec::new();
        let mut stack = vec![(v, scope, 0usize)];
        let mut seen = HashSet::new();
        while let Some((n, scope, depth)) = stack.pop() {
            if depth > MAX_DEPTH || !seen.insert(n.id()) {
                continue;
            }
            match n.kind_name() {
                "dictionary" => {
                    let mut cursor = n.walk();
                    for pair in n.named_children(&mut cursor) {
                        if pair.kind_name() != "pair" {
                            continue;
                        }
                        let key = pair.field("key").and_then(|k| literal::decode(k, src));
                        if key.is_some_and(|k| k.text == "nvcc") {
                            out.extend(pair.field("value"));
                        }
                    }
                }
                // `dict(cxx=[…], nvcc=[…])`
                "call" => {
                    let is_dict = n
                        .field("function")
                        .is_some_and(|f| f.kind_name() == "identifier" && text(f, src) == "dict");
                    let args = n.field("arguments");
                    if let (true, Some(args)) = (is_dict, args) {
                        let mut cursor = args.walk();
                        for a in args.named_children(&mut cursor) {
                            if a.kind_name() == "keyword_argument"
                                && a.field("name").is_some_and(|k| text(k, src) == "nvcc")
                            {
                                out.extend(a.field("value"));
                            }
                        }
                    }
                }
                "parenthesized_expression" => {
                    if let Some(inner) = n.named_child(0) {
                        stack.push((inner, scope, depth + 1));
                    }
                }
                "identifier" => {
                    let name = text(n, src);
                    if let Some((Binding::Local | Binding::Alias(..), at)) =
                        self.scopes.lookup(scope, name)
                    {
                        if let Some(locs) = self.scopes.scopes[at].assigned.get(name) {
                            for loc in locs.iter().filter(|l| l.unit == unit) {
                                stack.push((loc.node, at, depth + 1));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Classifies the words of the strings found in one position and records their facts.
    fn classify(&mut self, lits: &[(usize, Node<'t>)], role: Role) {
        // Every word, with where it is in the file.
        let mut words: Vec<(String, Range<usize>)> = Vec::new();
        for &(unit, node) in lits {
            let Some(d) = self.decode_in_file(unit, node) else {
                continue;
            };
            let mut pos = 0;
            for w in d.text.split_ascii_whitespace() {
                let start = pos + d.text[pos..].find(w).unwrap_or(0);
                pos = start + w.len();
                words.push((w.to_string(), d.map.span(start..pos)));
                if role == Role::Command {
                    break;
                }
            }
        }
        let mut out = Out::default();
        match role {
            Role::Command => {
                if let Some((w, span)) = words.last() {
                    let base = w.rsplit(['/', '\\']).next().unwrap_or(w);
                    if !base.is_empty() && !base.starts_with('-') {
                        out.entry(w, span.clone(), vec![format!("command:{base}")]);
                    }
                }
            }
            Role::Libraries => {
                for (w, span) in &words {
                    let lib = w.as_str();
                    if lib
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
                    {
                        out.entry(w, span.clone(), vec![format!("link-lib:{lib}")]);
                    }
                }
            }
            Role::Flags => {
                let mut i = 0;
                while i < words.len() {
                    let (w, span) = &words[i];
                    // A separate value is taken only when it is not another flag.
                    let next = words
                        .get(i + 1)
                        .map(|n| n.0.as_str())
                        .filter(|n| !n.starts_with('-'));
                    // `-lineinfo` is an nvcc flag, not the library `ineinfo`.
                    if w == "-lineinfo" {
                        out.entry(w, span.clone(), vec![format!("flag:{w}")]);
                        i += 1;
                        continue;
                    }
                    i += shell::word_flag(w, span.clone(), next, None, &mut out);
                }
            }
        }
        for f in out.into_extraction().facts {
            self.out.facts.push(Fact {
                kind: f.kind,
                text: f.text,
                span: f.span,
                detail: Some("build script".to_string()),
                lang: None,
            });
        }
    }
}

/// The string literals an expression's value is made of, in order.
struct Lits<'a, 't, 'c> {
    em: &'a Emitter<'t, 'c>,
    steps: usize,
    active: HashSet<(ScopeId, &'t str)>,
    /// A command: only the first item of a list counts.
    first_only: bool,
}

impl<'t> Lits<'_, 't, '_> {
    fn collect(
        &mut self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        depth: usize,
        out: &mut Vec<(usize, Node<'t>)>,
    ) {
        if depth > MAX_DEPTH || self.steps == 0 {
            return;
        }
        self.steps -= 1;
        let src = self.em.src(unit);
        match node.kind_name() {
            "string" | "concatenated_string" => out.push((unit, node)),
            "parenthesized_expression" | "list_splat" => {
                if let Some(inner) = node.named_child(0) {
                    self.collect(unit, inner, scope, depth + 1, out);
                }
            }
            "list" | "tuple" | "expression_list" => {
                let mut cursor = node.walk();
                let kids: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|k| k.kind_name() != "comment")
                    .collect();
                for k in kids {
                    self.collect(unit, k, scope, depth + 1, out);
                    if self.first_only {
                        break;
                    }
                }
            }
            "conditional_expression" => {
                for i in [0, 2] {
                    if let Some(k) = node.named_child(i) {
                        self.collect(unit, k, scope, depth + 1, out);
                    }
                }
            }
            "binary_operator" => {
                let op = node.field("operator").map(|o| o.kind_name());
                if op == Some("+") {
                    for f in ["left", "right"] {
                        if let Some(k) = node.field(f) {
                            self.collect(unit, k, scope, depth + 1, out);
                        }
                    }
                }
            }
            "identifier" => self.variable(unit, node, scope, depth, out),
            // `helper(flags + more)`, `os.path.join(CUDA_HOME, "bin", "nvcc")`: the arguments.
            "call" => {
                let Some(args) = node
                    .field("arguments")
                    .filter(|a| a.kind_name() == "argument_list")
                else {
                    return;
                };
                let func = node.field("function");
                // `"-O3 --use_fast_math".split()`
                if let Some(obj) = func
                    .filter(|f| f.kind_name() == "attribute")
                    .filter(|f| {
                        f.field("attribute")
                            .is_some_and(|a| text(a, src) == "split")
                    })
                    .and_then(|f| f.field("object"))
                {
                    self.collect(unit, obj, scope, depth + 1, out);
                    return;
                }
                let mut cursor = args.walk();
                let kids: Vec<Node<'t>> = args
                    .named_children(&mut cursor)
                    .filter(|a| !matches!(a.kind_name(), "keyword_argument" | "comment"))
                    .collect();
                let first_only = std::mem::replace(&mut self.first_only, false);
                for k in kids {
                    self.collect(unit, k, scope, depth + 1, out);
                }
                self.first_only = first_only;
            }
            _ => {}
        }
    }

    /// A variable of this file: every assignment, then every list mutation.
    fn variable(
        &mut self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        depth: usize,
        out: &mut Vec<(usize, Node<'t>)>,
    ) {
        let name = text(node, self.em.src(unit));
        let Some((Binding::Local | Binding::Alias(..), at)) = self.em.scopes.lookup(scope, name)
        else {
            return;
        };
        if !self.active.insert((at, name)) {
            return;
        }
        let locs = self.em.scopes.scopes[at]
            .assigned
            .get(name)
            .cloned()
            .unwrap_or_default();
        for loc in locs {
            // A function or class definition is no value.
            if matches!(
                loc.node.kind_name(),
                "function_definition" | "class_definition" | "decorated_definition"
            ) {
                continue;
            }
            self.collect(loc.unit, loc.node, at, depth + 1, out);
        }
        if !self.first_only {
            for m in self.em.build.mutations_of(at, name) {
                self.collect(m.0, m.1, m.2, depth + 1, out);
            }
        }
        self.active.remove(&(at, name));
    }
}
