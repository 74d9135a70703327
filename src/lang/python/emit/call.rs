//! Calls: methods called on values (`.cuda()`, `.to("cuda")`), device and backend arguments,
//! custom-op registrations for CUDA, environment variables read or set, and source code handed
//! to a compiler API.

use super::{Emitter, dot_start, is_string};
use crate::lang::Lang;
use crate::lang::node_names::NodeNames;
use crate::lang::python::scope::{ScopeId, text};
use crate::lang::python::tables;
use std::collections::HashSet;
use std::ops::Range;
use tree_sitter::Node;

/// A keyword argument: its name, its value, and the whole `name=value`.
type Keyword<'t> = (&'t str, Node<'t>, Node<'t>);

/// One call with an argument list, as its facts need it.
struct Call<'t> {
    unit: usize,
    node: Node<'t>,
    func: Node<'t>,
    scope: ScopeId,
    /// The dotted names the called function resolves to (none when it is not an import).
    callees: Vec<String>,
    /// A method called on something that is not an import: its name and the span `.name(…)`.
    method: Option<(&'t str, Range<usize>)>,
    /// The decorator detail of the facts.
    detail: Option<String>,
    /// Positional arguments (no splats or comments).
    positional: Vec<Node<'t>>,
    keywords: Vec<Keyword<'t>>,
}

impl<'t> Emitter<'t, '_> {
    /// A call: `.name()` when it is a method called on a value, then its arguments' facts.
    pub(super) fn call(
        &mut self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        detail: Option<usize>,
    ) {
        let src = self.src(unit);
        let Some(func) = node.field("function") else {
            return;
        };
        let callees = self.resolve(unit, func, scope, 0);
        let d = self.detail_text(detail);
        // A method call on something that is not an import: `.cuda()`, `.to(…)`.
        let method = (callees.is_empty() && func.kind_name() == "attribute")
            .then(|| func.field("attribute"))
            .flatten()
            .map(|name| {
                let start = dot_start(func).unwrap_or(name.start_byte());
                (text(name, src), start..node.end_byte())
            });
        if let Some((name, span)) = &method {
            self.push(unit, format!(".{name}()"), span.clone(), d.as_deref());
        }
        let Some(args) = node
            .field("arguments")
            .filter(|a| a.kind_name() == "argument_list")
        else {
            return;
        };
        let (positional, keywords) = split_arguments(args, src);
        let call = Call {
            unit,
            node,
            func,
            scope,
            callees,
            method,
            detail: d,
            positional,
            keywords,
        };
        self.device_arguments(&call);
        self.op_registration(&call);
        self.environment_call(&call);
        self.compiler_sources(&call);
    }

    /// Device and backend strings among the arguments (and the keys of an `env={…}`).
    fn device_arguments(&mut self, call: &Call<'t>) {
        let (unit, scope, d) = (call.unit, call.scope, call.detail.as_deref());
        for &arg in &call.positional {
            if let Some(token) = self.device_arg(unit, arg, scope) {
                match &call.method {
                    Some((name, span)) => {
                        self.push(unit, format!(".{name}({token})"), span.clone(), d)
                    }
                    None => {
                        for c in &call.callees {
                            self.push(unit, format!("{c}({token})"), call.node.byte_range(), d);
                        }
                    }
                }
            }
        }
        for &(k, v, kw) in &call.keywords {
            if let Some(token) = self.device_arg(unit, v, scope) {
                match &call.method {
                    Some((name, span)) if *name == "to" && k == "device" => {
                        self.push(unit, format!(".to({token})"), span.clone(), d)
                    }
                    _ => self.push(unit, format!("{k}={token}"), kw.byte_range(), d),
                }
            }
            if k == "env" && v.kind_name() == "dictionary" {
                self.env_dict(unit, v);
            }
        }
    }

    /// Custom-op registrations for CUDA: `device_types=["cuda"]`, `("cuda",)`, and the
    /// dispatch key of `torch.library.impl(…, "CUDA")`, `lib.impl("op", fn, "CUDA")`.
    fn op_registration(&mut self, call: &Call<'t>) {
        let (unit, scope) = (call.unit, call.scope);
        let registration = call.callees.iter().any(|c| {
            matches!(
                c.as_str(),
                "torch.library.custom_op"
                    | "torch.library.register_kernel"
                    | "torch.library.impl"
                    | "torch.library.Library.impl"
            )
        }) || call
            .method
            .as_ref()
            .is_some_and(|(name, _)| *name == "impl");
        if !registration {
            return;
        }
        let mut at: Vec<Node<'t>> = call
            .keywords
            .iter()
            .filter(|(k, _, _)| matches!(*k, "device_types" | "types" | "dispatch_key"))
            // `device_types="cuda"` is the keyword fact above already.
            .filter(|(k, v, _)| {
                *k != "device_types"
                    || !matches!(v.kind_name(), "string" | "concatenated_string")
                    || self.is_dispatch_key(unit, *v)
            })
            .map(|&(_, _, kw)| kw)
            .collect();
        at.extend(call.positional.iter().skip(1).copied().filter(|&a| {
            matches!(a.kind_name(), "list" | "tuple") || self.is_dispatch_key(unit, a)
        }));
        for a in at {
            let value = a.field("value").unwrap_or(a);
            if self.registers_cuda(unit, value, scope) {
                self.push(
                    unit,
                    "device_types=cuda".to_string(),
                    a.byte_range(),
                    call.detail.as_deref(),
                );
            }
        }
    }

    /// Environment variables: `os.getenv("X")`, `env.get("X")`, `env.update({"X": …}, Y=…)`
    /// where `env` is `os.environ` or a copy of it.
    fn environment_call(&mut self, call: &Call<'t>) {
        let (unit, func, positional) = (call.unit, call.func, &call.positional);
        let src = self.src(unit);
        let env_method = match func.kind_name() {
            "attribute" => func
                .field("attribute")
                .map(|a| text(a, src))
                .filter(|m| tables::ENV_METHODS.contains(m))
                .filter(|&m| m == "update" || positional.first().is_some_and(|&a| is_string(a)))
                .filter(|_| {
                    func.field("object")
                        .is_some_and(|o| self.is_environ(unit, o, call.scope))
                }),
            _ => None,
        };
        let env_function = call
            .callees
            .iter()
            .any(|c| tables::ENV_FUNCTIONS.contains(&c.as_str()));
        match env_method {
            Some("update") => {
                if let Some(&first) = positional.first() {
                    if first.kind_name() == "dictionary" {
                        self.env_dict(unit, first);
                    }
                }
                for &(_, _, kw) in &call.keywords {
                    if let Some(name) = kw.field("name") {
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
    }

    /// Source code handed to a compiler: parsed where it is written.
    fn compiler_sources(&mut self, call: &Call<'t>) {
        for callee in &call.callees {
            for sink in tables::sink(callee) {
                let mut sources: Vec<Node<'t>> = sink
                    .positions
                    .iter()
                    .filter_map(|&i| call.positional.get(i).copied())
                    .collect();
                sources.extend(
                    call.keywords
                        .iter()
                        .filter(|(k, _, _)| sink.keywords.contains(k))
                        .map(|&(_, v, _)| v),
                );
                for s in sources {
                    let mut values = Vec::new();
                    let (unit, scope) = (call.unit, call.scope);
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
}

/// An argument list's positional arguments (no splats or comments) and keyword arguments.
fn split_arguments<'t>(args: Node<'t>, src: &'t str) -> (Vec<Node<'t>>, Vec<Keyword<'t>>) {
    let mut cursor = args.walk();
    let arg_nodes: Vec<Node<'t>> = args.named_children(&mut cursor).collect();
    let mut positional: Vec<Node<'t>> = Vec::new();
    let mut keywords: Vec<Keyword<'t>> = Vec::new();
    for a in arg_nodes {
        match a.kind_name() {
            "keyword_argument" => {
                if let (Some(k), Some(v)) = (a.field("name"), a.field("value")) {
                    keywords.push((text(k, src), v, a));
                }
            }
            "comment" | "list_splat" | "dictionary_splat" => {}
            _ => positional.push(a),
        }
    }
    (positional, keywords)
}
