//! The Rust front end (syn): CUDA crates (`cudarc`, `cust`), `candle`/`tch` CUDA devices,
//! rust-cuda kernels, and nvcc in build scripts.
//!
//! The file is parsed with syn (`full`); spans come from proc-macro2's `span-locations` as byte
//! ranges. Paths are resolved through the file's `use` declarations (renames included, globs
//! kept for `#[kernel]`), so `Device::new_cuda(0)` after `use candle_core::Device;` is the
//! qualified name `candle_core::Device::new_cuda`, matched by the rules' `namespaces`.
//!
//! Facts: every `use` leaf and `extern crate`, every path of two or more segments (in code,
//! types, patterns, attributes and inside macro bodies, whose tokens are scanned), `#[kernel]`
//! from `cuda_std`, `.cuda(true)` on a `cc::Build`, commands started with `Command::new("nvcc")`
//! or `.compiler("nvcc")`, compiler flags passed with `.flag(…)`/`.arg(…)`, environment
//! variables read (`env::var("CUDA_HOME")`, `env!`), and `cargo:rustc-link-lib=` and
//! `cargo:rerun-if-env-changed=` build-script directives. Also: methods called on values of
//! CUDA crates' types (a local type flow within a function and through the file's struct
//! fields), CUDA crates reached through the crate's own re-exports (`crate::backend::cudarc::…`),
//! `feature = "…"` in `cfg` predicates, `include_str!` of `.cu`/`.ptx` files, and CUDA C++ in
//! string literals (handed to NVRTC, or holding `__global__`), parsed with the CUDA grammar at
//! its real offsets. Comments are never read as code, nor string contents other than kernels.
//! A file syn cannot parse is scanned token by token for paths. See docs/manifests.md.

use super::cpp::CppFrontEnd;
use super::manifest::{Mapped, Out, shell};
use super::{Extraction, Fact, FactKind, Lang};
use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use syn::visit::{self, Visit};

pub fn extract(text: &str) -> Extraction {
    // syn::parse_file strips a BOM and a shebang line; do the same, keeping the offset.
    let mut base = 0;
    let mut content = text;
    if let Some(rest) = content.strip_prefix('\u{feff}') {
        base += 3;
        content = rest;
    }
    if content.starts_with("#!") && !content[2..].trim_start().starts_with('[') {
        let cut = content.find('\n').unwrap_or(content.len());
        base += cut;
        content = &content[cut..];
    }
    let mut facts = Facts {
        src: text,
        base,
        out: Out::default(),
        extra: Vec::new(),
        imports: HashMap::new(),
        globs: Vec::new(),
        builders: HashSet::new(),
        structs: HashMap::new(),
        locals: Vec::new(),
        self_ty: None,
        nvrtc_literals: HashSet::new(),
        parsed_sources: HashSet::new(),
        defined: Vec::new(),
    };
    let parsed = syn::parse_str::<syn::File>(content);
    let mut has_parse_errors = false;
    match parsed {
        Ok(file) => {
            let mut collector = ImportCollector { facts: &mut facts };
            collector.visit_file(&file);
            facts.collect_structs(&file);
            facts.visit_file(&file);
        }
        Err(_) => {
            has_parse_errors = true;
            if let Ok(tokens) = content.parse::<TokenStream>() {
                facts.tokens(tokens);
            }
        }
    }
    proc_macro2::extra::invalidate_current_thread_spans();
    let mut extraction = facts.out.into_extraction();
    extraction.facts.extend(facts.extra);
    extraction.defined.extend(facts.defined);
    extraction.has_parse_errors |= has_parse_errors;
    extraction
}

struct Facts<'a> {
    /// The whole file (spans index it).
    src: &'a str,
    base: usize,
    out: Out,
    /// Qualified-name facts.
    extra: Vec<Fact>,
    /// Imported name → full path.
    imports: HashMap<String, Vec<String>>,
    /// Glob-imported paths (`use cuda_std::prelude::*`).
    globs: Vec<Vec<String>>,
    /// Local variables bound to a `cc::Build`.
    builders: HashSet<String>,
    /// The file's structs: name → field (name or tuple index) → type, where known.
    structs: HashMap<String, HashMap<String, Ty>>,
    /// One scope per function being visited: local binding → type.
    locals: Vec<HashMap<String, Ty>>,
    /// The struct of the `impl` block being visited (`self`).
    self_ty: Option<String>,
    /// Starts of string literals handed to NVRTC (`compile_ptx(r#"…"#)`).
    nvrtc_literals: HashSet<usize>,
    /// Starts of string literals already parsed as CUDA source.
    parsed_sources: HashSet<usize>,
    /// Names defined by CUDA source in strings.
    defined: Vec<String>,
}

impl Facts<'_> {
    fn span(&self, s: proc_macro2::Span) -> Range<usize> {
        let r = s.byte_range();
        self.base + r.start..self.base + r.end
    }

    fn qualified(&mut self, resolved: Vec<String>, text: String, span: Range<usize>) {
        self.extra.push(Fact {
            kind: FactKind::Qualified(resolved),
            text,
            span,
            detail: None,
            lang: None,
        });
    }

    /// A path's segments resolved through the imports (and through the crate's own re-exports
    /// of a CUDA crate: `crate::backend::cudarc::driver` is `cudarc::driver`).
    fn resolve(&self, segments: &[String]) -> Vec<String> {
        if let Some(reexported) = through_reexport(segments) {
            return reexported;
        }
        match segments.first().and_then(|f| self.imports.get(f)) {
            Some(full) => full.iter().chain(&segments[1..]).cloned().collect(),
            None => segments.to_vec(),
        }
    }

    fn path_fact(&mut self, idents: &[&proc_macro2::Ident]) {
        if idents.len() < 2 {
            return;
        }
        let segments: Vec<String> = idents.iter().map(|i| i.to_string()).collect();
        let local = matches!(segments[0].as_str(), "self" | "super" | "crate" | "Self");
        if local && through_reexport(&segments).is_none() {
            return;
        }
        let start = self.span(idents[0].span()).start;
        let end = self.span(idents[idents.len() - 1].span()).end;
        let resolved = self.resolve(&segments);
        self.qualified(resolved, segments.join("::"), start..end);
    }

    fn string_lit(&mut self, expr: &syn::Expr) -> Option<(String, Range<usize>)> {
        match expr {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some((s.value(), self.span(s.span()))),
            syn::Expr::Reference(r) => self.string_lit(&r.expr),
            _ => None,
        }
    }

    /// A command name in a string: `"nvcc"`, `"/usr/local/cuda/bin/nvcc"`.
    fn command(&mut self, expr: &syn::Expr) {
        if let Some((s, span)) = self.string_lit(expr) {
            let name = super::manifest::basename(&s).to_string();
            if !name.is_empty() {
                let inner = inner_span(&span);
                self.out.entry(&s, inner, vec![format!("command:{name}")]);
            }
        }
    }

    fn env(&mut self, expr: &syn::Expr) {
        if let Some((s, span)) = self.string_lit(expr) {
            if shell::is_identifier(&s) {
                shell::env_fact(&s, inner_span(&span), &mut self.out);
            }
        }
    }

    /// A flag passed to the compiler (`.flag("-gencode=arch=compute_80,code=sm_80")`).
    fn flag(&mut self, expr: &syn::Expr) {
        if let Some((s, span)) = self.string_lit(expr) {
            if s.starts_with('-') || shell::is_arch_name(&s) {
                let inner = inner_span(&span);
                let m = Mapped::verbatim(&s, inner.start);
                let words: Vec<&str> = s.split_whitespace().collect();
                let first = words.first().copied().unwrap_or("");
                let written_span = if inner.len() == s.len() {
                    m.span(0..first.len())
                } else {
                    inner
                };
                shell::word_flag(
                    first,
                    written_span,
                    words.get(1).copied(),
                    None,
                    &mut self.out,
                );
            }
        }
    }

    /// The root of a method-call chain: `cc::Build::new().cuda(true)` → `cc::Build::new`.
    fn chain_root(expr: &syn::Expr) -> Option<&syn::Path> {
        match expr {
            syn::Expr::MethodCall(m) => Self::chain_root(&m.receiver),
            syn::Expr::Call(c) => Self::chain_root(&c.func),
            syn::Expr::Path(p) => Some(&p.path),
            syn::Expr::Paren(p) => Self::chain_root(&p.expr),
            syn::Expr::Reference(r) => Self::chain_root(&r.expr),
            syn::Expr::Try(t) => Self::chain_root(&t.expr),
            _ => None,
        }
    }

    fn segments(path: &syn::Path) -> Vec<String> {
        path.segments.iter().map(|s| s.ident.to_string()).collect()
    }

    fn is_cc_build(&self, expr: &syn::Expr) -> bool {
        let Some(path) = Self::chain_root(expr) else {
            return false;
        };
        let segments = Self::segments(path);
        if segments.len() == 1 && self.builders.contains(&segments[0]) {
            return true;
        }
        let resolved = self.resolve(&segments);
        resolved.len() >= 2 && resolved[0] == "cc" && resolved[1] == "Build"
    }

    /// Scans a token stream for paths (`a::b::c`) and nested groups.
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => {
                    if g.delimiter() != Delimiter::None || !g.stream().is_empty() {
                        self.tokens(g.stream());
                    }
                    i += 1;
                }
                TokenTree::Ident(first) => {
                    let mut idents = vec![first];
                    let mut j = i + 1;
                    while j + 2 < trees.len() + 1 {
                        match (trees.get(j), trees.get(j + 1), trees.get(j + 2)) {
                            (
                                Some(TokenTree::Punct(a)),
                                Some(TokenTree::Punct(b)),
                                Some(TokenTree::Ident(next)),
                            ) if a.as_char() == ':'
                                && a.spacing() == Spacing::Joint
                                && b.as_char() == ':' =>
                            {
                                idents.push(next);
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    let preceded_by_dollar =
                        i > 0 && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '$');
                    if !preceded_by_dollar {
                        self.path_fact(&idents);
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
    }
}

/// What a binding is known to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ty {
    /// A type of a CUDA crate, by its full path (`cudarc::driver::CudaDevice`).
    Cuda(Vec<String>),
    /// A struct of this file.
    Local(String),
}

/// Containers looked through: `Arc<CudaDevice>` holds a `CudaDevice`.
const WRAPPERS: &[&str] = &[
    "Arc", "Rc", "Box", "Option", "Result", "RefCell", "Mutex", "RwLock", "Pin", "Cow",
];

/// Methods that hand back (a view of) their receiver: no finding, the type flows through.
const PASSTHROUGH: &[&str] = &[
    "clone",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "unwrap",
    "expect",
    "unwrap_unchecked",
    "lock",
    "read",
    "write",
    "to_owned",
    "ok",
    "context",
    "with_context",
    "map_err",
];

/// What methods of CUDA crates' types return (type, method, returned type in the same module).
const RETURNS: &[(&str, &str, &str)] = &[
    ("CudaDevice", "get_func", "CudaFunction"),
    ("CudaDevice", "fork_default_stream", "CudaStream"),
    ("CudaDevice", "alloc_zeros", "CudaSlice"),
    ("CudaDevice", "alloc", "CudaSlice"),
    ("CudaDevice", "htod_copy", "CudaSlice"),
    ("CudaDevice", "htod_sync_copy", "CudaSlice"),
    ("CudaContext", "default_stream", "CudaStream"),
    ("CudaContext", "new_stream", "CudaStream"),
    ("CudaContext", "load_module", "CudaModule"),
    ("CudaModule", "load_function", "CudaFunction"),
    ("CudaStream", "alloc_zeros", "CudaSlice"),
    ("CudaStream", "alloc", "CudaSlice"),
    ("CudaStream", "memcpy_stod", "CudaSlice"),
    ("CudaStream", "clone_htod", "CudaSlice"),
    ("CudaStream", "fork", "CudaStream"),
    ("CudaStream", "context", "CudaContext"),
    ("CudaStream", "launch_builder", "LaunchArgs"),
    ("CudaSlice", "slice", "CudaView"),
    ("CudaSlice", "slice_mut", "CudaViewMut"),
    ("Module", "get_function", "Function"),
];

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

impl Facts<'_> {
    /// Records the file's structs and the types of their fields.
    fn collect_structs(&mut self, file: &syn::File) {
        struct Structs<'ast>(Vec<&'ast syn::ItemStruct>);
        impl<'ast> Visit<'ast> for Structs<'ast> {
            fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
                self.0.push(s);
                visit::visit_item_struct(self, s);
            }
        }
        let mut found = Structs(Vec::new());
        found.visit_file(file);
        for s in &found.0 {
            self.structs.entry(s.ident.to_string()).or_default();
        }
        for s in &found.0 {
            let mut fields = HashMap::new();
            for (i, f) in s.fields.iter().enumerate() {
                let name = f
                    .ident
                    .as_ref()
                    .map_or_else(|| i.to_string(), |id| id.to_string());
                if let Some(ty) = self.type_of(&f.ty) {
                    fields.insert(name, ty);
                }
            }
            self.structs.insert(s.ident.to_string(), fields);
        }
    }

    /// The CUDA type (or local struct) a written type holds.
    fn type_of(&self, ty: &syn::Type) -> Option<Ty> {
        match ty {
            syn::Type::Reference(r) => self.type_of(&r.elem),
            syn::Type::Paren(p) => self.type_of(&p.elem),
            syn::Type::Group(g) => self.type_of(&g.elem),
            syn::Type::Path(p) if p.qself.is_none() => {
                let segments = Self::segments(&p.path);
                if segments.len() == 1 && segments[0] == "Self" {
                    return self.self_ty.clone().map(Ty::Local);
                }
                let resolved = self.resolve(&segments);
                if resolved.len() >= 2 && is_cuda_crate(&resolved[0]) {
                    return Some(Ty::Cuda(resolved));
                }
                let last = p.path.segments.last()?;
                if WRAPPERS.contains(&last.ident.to_string().as_str()) {
                    if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                        return a.args.iter().find_map(|arg| match arg {
                            syn::GenericArgument::Type(t) => self.type_of(t),
                            _ => None,
                        });
                    }
                    return None;
                }
                (segments.len() == 1 && self.structs.contains_key(&segments[0]))
                    .then(|| Ty::Local(segments[0].clone()))
            }
            _ => None,
        }
    }

    fn local(&self, name: &str) -> Option<Ty> {
        if name == "self" {
            return self.self_ty.clone().map(Ty::Local);
        }
        self.locals.last()?.get(name).cloned()
    }

    fn bind(&mut self, pat: &syn::Pat, ty: Option<Ty>) {
        let mut pat = pat;
        while let syn::Pat::Type(t) = pat {
            pat = &t.pat;
        }
        let syn::Pat::Ident(id) = pat else { return };
        let Some(scope) = self.locals.last_mut() else {
            return;
        };
        let name = id.ident.to_string();
        match ty {
            Some(ty) => {
                scope.insert(name, ty);
            }
            None => {
                scope.remove(&name);
            }
        }
    }

    /// The CUDA type (or local struct) an expression evaluates to, where the local flow knows it.
    fn expr_type(&self, expr: &syn::Expr) -> Option<Ty> {
        match expr {
            syn::Expr::Path(p) if p.qself.is_none() => {
                let ident = p.path.get_ident()?;
                self.local(&ident.to_string())
            }
            syn::Expr::Field(f) => {
                let Some(Ty::Local(s)) = self.expr_type(&f.base) else {
                    return None;
                };
                let member = match &f.member {
                    syn::Member::Named(n) => n.to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                };
                self.structs.get(&s)?.get(&member).cloned()
            }
            syn::Expr::Paren(p) => self.expr_type(&p.expr),
            syn::Expr::Group(g) => self.expr_type(&g.expr),
            syn::Expr::Reference(r) => self.expr_type(&r.expr),
            syn::Expr::Try(t) => self.expr_type(&t.expr),
            syn::Expr::Await(a) => self.expr_type(&a.base),
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.expr_type(&u.expr),
            syn::Expr::Struct(s) => {
                let segments = Self::segments(&s.path);
                (segments.len() == 1 && self.structs.contains_key(&segments[0]))
                    .then(|| Ty::Local(segments[0].clone()))
            }
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                let segments = Self::segments(&p.path);
                let resolved = self.resolve(&segments);
                let n = resolved.len();
                let last = resolved.last()?.as_str();
                // `Arc::new(CudaDevice::new(0)?)`, `Some(dev)`, `Ok(dev)`.
                let wraps = matches!(last, "Some" | "Ok")
                    || (n >= 2 && WRAPPERS.contains(&resolved[n - 2].as_str()) && last == "new");
                if wraps {
                    return c.args.first().and_then(|a| self.expr_type(a));
                }
                if n >= 3 && is_cuda_crate(&resolved[0]) && starts_upper(&resolved[n - 2]) {
                    // An associated function of a CUDA type: a constructor, unless it counts.
                    let counts = last.contains("count") || last.starts_with("num_");
                    let counts = counts || last.starts_with("is_") || last.starts_with("has_");
                    return (!counts).then(|| Ty::Cuda(resolved[..n - 1].to_vec()));
                }
                if segments.len() == 2 && self.structs.contains_key(&segments[0]) {
                    let s = &segments[0];
                    return Some(Ty::Local(s.clone()));
                }
                if segments.len() == 2 && segments[0] == "Self" {
                    return self.self_ty.clone().map(Ty::Local);
                }
                None
            }
            syn::Expr::MethodCall(m) => {
                let recv = self.expr_type(&m.receiver)?;
                let method = m.method.to_string();
                if PASSTHROUGH.contains(&method.as_str()) {
                    return Some(recv);
                }
                let Ty::Cuda(path) = recv else { return None };
                let ty = path.last()?;
                let (_, _, ret) = RETURNS.iter().find(|(t, m, _)| t == ty && *m == method)?;
                let mut out = path[..path.len() - 1].to_vec();
                out.push((*ret).to_string());
                Some(Ty::Cuda(out))
            }
            _ => None,
        }
    }

    /// Visits a function body in a scope of its own, its parameters bound to their types.
    fn in_function(&mut self, sig: &syn::Signature, body: impl FnOnce(&mut Self)) {
        let mut scope = HashMap::new();
        for input in &sig.inputs {
            if let syn::FnArg::Typed(t) = input {
                if let (syn::Pat::Ident(id), Some(ty)) = (&*t.pat, self.type_of(&t.ty)) {
                    scope.insert(id.ident.to_string(), ty);
                }
            }
        }
        self.locals.push(scope);
        body(self);
        self.locals.pop();
    }
}

/// Crates whose values are CUDA handles, and whose re-export through the crate's own modules
/// (`pub use cudarc;` in `backend.rs`, then `crate::backend::cudarc::…`) is followed.
const CUDA_CRATES: &[&str] = &[
    "cudarc",
    "cust",
    "cust_core",
    "cust_raw",
    "rustacuda",
    "rustacuda_core",
    "cuda_sys",
    "cuda_driver_sys",
    "cuda_runtime_sys",
    "cuda_std",
    "ug_cuda",
];

fn is_cuda_crate(segment: &str) -> bool {
    CUDA_CRATES.contains(&segment)
}

/// `crate::backend::cudarc::driver::CudaSlice` → `cudarc::driver::CudaSlice`: a path inside the
/// crate (`crate::`, `self::`, `super::`) that reaches a CUDA crate through a re-export.
fn through_reexport(segments: &[String]) -> Option<Vec<String>> {
    let first = segments.first()?;
    if !matches!(first.as_str(), "self" | "super" | "crate") {
        return None;
    }
    let at = segments.iter().position(|s| is_cuda_crate(s))?;
    Some(segments[at..].to_vec())
}

thread_local! {
    /// The C-family parser for CUDA source in strings (created on first use, one per thread).
    static CPP: RefCell<Option<CppFrontEnd>> = const { RefCell::new(None) };
}

/// Whether a string holds CUDA C++ (a kernel) even when no NVRTC call is seen taking it.
fn looks_like_cuda(s: &str) -> bool {
    s.contains("__global__")
        || (s.contains("extern \"C\"")
            && ["__device__", "threadIdx", "blockIdx"]
                .iter()
                .any(|w| s.contains(w)))
}

/// The file offset of each byte of a string literal's value (and one for its end), when the
/// literal is raw or its escapes are simple; `None` when the value cannot be mapped back.
fn literal_map(src: &str, span: Range<usize>, value: &str) -> Option<Vec<usize>> {
    let raw = src.get(span.clone())?;
    let mut map = Vec::with_capacity(value.len() + 1);
    if let Some(rest) = raw.strip_prefix('r') {
        let hashes = rest.len() - rest.trim_start_matches('#').len();
        let start = 2 + hashes;
        let end = raw.len().checked_sub(1 + hashes)?;
        if raw.get(start..end)? != value {
            return None;
        }
        map.extend((0..=value.len()).map(|i| span.start + start + i));
        return Some(map);
    }
    let content = raw.strip_prefix('"')?.strip_suffix('"')?;
    let base = span.start + 1;
    let mut out = String::with_capacity(content.len());
    let mut chars = content.char_indices().peekable();
    while let Some((j, c)) = chars.next() {
        let decoded = if c == '\\' {
            let (_, e) = chars.next()?;
            match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                '\\' | '\'' | '"' => e,
                '\n' => {
                    while chars.next_if(|(_, w)| w.is_whitespace()).is_some() {}
                    continue;
                }
                _ => return None,
            }
        } else {
            c
        };
        out.push(decoded);
        map.extend((0..decoded.len_utf8()).map(|k| base + j + k.min(c.len_utf8() - 1)));
    }
    map.push(span.end - 1);
    (out == value).then_some(map)
}

/// The span of a string literal's content (without its quotes), when it is a plain `"…"`.
fn inner_span(span: &Range<usize>) -> Range<usize> {
    if span.len() >= 2 {
        span.start + 1..span.end - 1
    } else {
        span.clone()
    }
}

/// First pass: the file's `use` declarations, into the import map (and their facts).
struct ImportCollector<'f, 'a> {
    facts: &'f mut Facts<'a>,
}

impl ImportCollector<'_, '_> {
    fn tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<proc_macro2::Ident>, grouped: bool) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.clone());
                self.tree(&p.tree, prefix, grouped);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                if n.ident == "self" {
                    if let Some(last) = prefix.last().cloned() {
                        self.leaf(prefix, &last, last.to_string(), grouped);
                    }
                } else {
                    let mut full = prefix.clone();
                    full.push(n.ident.clone());
                    self.leaf(&full, &n.ident, n.ident.to_string(), grouped);
                }
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                if r.ident != "self" {
                    full.push(r.ident.clone());
                }
                self.leaf(&full, &r.ident, r.rename.to_string(), grouped);
            }
            syn::UseTree::Glob(g) => {
                let written: Vec<String> = prefix.iter().map(|i| i.to_string()).collect();
                if let (Some(first), false) = (prefix.first(), written.is_empty()) {
                    let start = self.facts.span(first.span()).start;
                    let end = self.facts.span(g.star_token.span).end;
                    let local = matches!(written[0].as_str(), "self" | "super" | "crate");
                    let segments = through_reexport(&written).unwrap_or_else(|| written.clone());
                    if !local || segments != written {
                        self.facts.qualified(
                            segments.clone(),
                            format!("{}::*", written.join("::")),
                            start..end,
                        );
                    }
                    self.facts.globs.push(segments);
                }
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.tree(t, prefix, true);
                }
            }
        }
    }

    fn leaf(
        &mut self,
        full: &[proc_macro2::Ident],
        last: &proc_macro2::Ident,
        alias: String,
        grouped: bool,
    ) {
        let written: Vec<String> = full.iter().map(|i| i.to_string()).collect();
        let Some(first) = written.first() else {
            return;
        };
        let segments = if matches!(first.as_str(), "self" | "super" | "crate") {
            // `use crate::backend::cudarc::driver::CudaSlice`: the crate's re-export of cudarc.
            match through_reexport(&written) {
                Some(s) => s,
                None => return,
            }
        } else {
            written.clone()
        };
        let start = self.facts.span(full[0].span()).start;
        let end = self.facts.span(last.span()).end;
        // A leaf inside a `{…}` group is reported at its own name.
        let span = if grouped {
            self.facts.span(last.span())
        } else {
            start..end
        };
        self.facts
            .qualified(segments.clone(), written.join("::"), span);
        if alias != "_" {
            self.facts.imports.insert(alias, segments);
        }
    }
}

impl<'ast> Visit<'ast> for ImportCollector<'_, '_> {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        if u.leading_colon.is_some() {
            // `use ::cudarc::…` is the same crate path.
        }
        self.tree(&u.tree, &mut prefix, false);
    }

    fn visit_item_extern_crate(&mut self, e: &'ast syn::ItemExternCrate) {
        let name = e.ident.to_string();
        let span = self.facts.span(e.ident.span());
        self.facts.qualified(vec![name.clone()], name.clone(), span);
        if let Some((_, rename)) = &e.rename {
            self.facts.imports.insert(rename.to_string(), vec![name]);
        }
    }
}

impl<'ast> Visit<'ast> for Facts<'_> {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        // The tree is read by the import collector; `#[cfg(feature = "cuda")]` on it is ours.
        for attr in &u.attrs {
            self.visit_attribute(attr);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let idents: Vec<&proc_macro2::Ident> = path.segments.iter().map(|s| &s.ident).collect();
        self.path_fact(&idents);
        visit::visit_path(self, path);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        let path = attr.path();
        if path.is_ident("doc") {
            // Doc comments are prose: a kernel shown in one is not compiled.
            return;
        }
        if path.is_ident("cfg") || path.is_ident("cfg_attr") {
            if let syn::Meta::List(list) = &attr.meta {
                self.cfg_features(list.tokens.clone(), false);
            }
        }
        if path.segments.len() == 1 && path.segments[0].ident == "kernel" {
            let ident = &path.segments[0].ident;
            let resolved = self.imports.get("kernel").cloned().or_else(|| {
                self.globs
                    .iter()
                    .any(|g| g.first().is_some_and(|f| f == "cuda_std"))
                    .then(|| vec!["cuda_std".to_string(), "kernel".to_string()])
            });
            if let Some(resolved) = resolved {
                let span = self.span(ident.span());
                self.qualified(resolved, "kernel".into(), span);
            }
        }
        visit::visit_attribute(self, attr);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.in_function(&f.sig, |s| visit::visit_item_fn(s, f));
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.in_function(&f.sig, |s| visit::visit_impl_item_fn(s, f));
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.in_function(&f.sig, |s| visit::visit_trait_item_fn(s, f));
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let name = match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let saved = std::mem::replace(&mut self.self_ty, name);
        visit::visit_item_impl(self, i);
        self.self_ty = saved;
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        for input in &c.inputs {
            if let syn::Pat::Type(t) = input {
                let ty = self.type_of(&t.ty);
                self.bind(input, ty);
            }
        }
        visit::visit_expr_closure(self, c);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let annotated = match &local.pat {
            syn::Pat::Type(t) => Some(self.type_of(&t.ty)),
            _ => None,
        };
        let ty = match annotated {
            Some(ty) => ty,
            None => local.init.as_ref().and_then(|i| self.expr_type(&i.expr)),
        };
        self.visit_local_inner(local);
        self.bind(&local.pat, ty);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let method = call.method.to_string();
        if !PASSTHROUGH.contains(&method.as_str()) {
            if let Some(Ty::Cuda(path)) = self.expr_type(&call.receiver) {
                let mut resolved = path;
                resolved.push(method.clone());
                let span = self.span(call.method.span());
                self.qualified(resolved, method.clone(), span);
            }
        }
        self.visit_method_call_inner(call);
    }

    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        let span = self.span(lit.span());
        let value = lit.value();
        if self.nvrtc_literals.contains(&span.start) || looks_like_cuda(&value) {
            self.cuda_source(&value, span);
        }
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*call.func {
            let segments = Self::segments(&p.path);
            let resolved = self.resolve(&segments);
            let n = resolved.len();
            let last = resolved.last().map_or("", |l| l.as_str());
            let nvrtc = matches!(last, "compile_ptx" | "compile_ptx_with_opts")
                || (n >= 2 && resolved[n - 2] == "Ptx" && last == "from_src");
            if nvrtc {
                if let Some((_, span)) = call.args.first().and_then(|a| self.string_lit(a)) {
                    self.nvrtc_literals.insert(span.start);
                }
            }
            if n >= 2 && resolved[n - 2] == "Command" && resolved[n - 1] == "new" {
                if let Some(arg) = call.args.first() {
                    self.command(arg);
                }
            } else if n >= 2
                && resolved[n - 2] == "env"
                && matches!(resolved[n - 1].as_str(), "var" | "var_os")
            {
                if let Some(arg) = call.args.first() {
                    self.env(arg);
                }
            } else if n == 1 && matches!(resolved[0].as_str(), "var" | "var_os") {
                // `use std::env::var; var("CUDA_HOME")` resolves above; a bare local `var` does not.
            }
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let first_lit = mac.tokens.clone().into_iter().find_map(|t| match t {
            TokenTree::Literal(l) => syn::parse2::<syn::LitStr>(TokenTree::Literal(l).into()).ok(),
            _ => None,
        });
        match name.as_str() {
            "println" | "print" | "eprintln" | "format" | "write" | "writeln" => {
                if let Some(lit) = first_lit {
                    self.build_directive(&lit.value(), self.span(lit.span()));
                }
            }
            "cfg" => self.cfg_features(mac.tokens.clone(), false),
            "include_str" | "include_bytes" => {
                if let Some(lit) = first_lit {
                    let path = lit.value();
                    let ext = path.rsplit('.').next().unwrap_or("");
                    if path.contains('.') && matches!(ext, "cu" | "cuh" | "ptx") {
                        let span = inner_span(&self.span(lit.span()));
                        // Keyed by the file name (rule globs do not cross `/`).
                        let name = super::manifest::basename(&path);
                        self.out
                            .entry(&path, span, vec![format!("cuda-source:{name}")]);
                    }
                }
            }
            "env" | "option_env" => {
                if let Some(lit) = first_lit {
                    let expr = syn::Expr::Lit(syn::ExprLit {
                        attrs: Vec::new(),
                        lit: syn::Lit::Str(lit),
                    });
                    self.env(&expr);
                }
            }
            _ => {}
        }
        self.tokens(mac.tokens.clone());
        visit::visit_macro(self, mac);
    }
}

impl Facts<'_> {
    fn visit_local_inner(&mut self, local: &syn::Local) {
        if let Some(init) = &local.init {
            if self.is_cc_build(&init.expr) {
                let mut pat = &local.pat;
                while let syn::Pat::Type(t) = pat {
                    pat = &t.pat;
                }
                if let syn::Pat::Ident(id) = pat {
                    self.builders.insert(id.ident.to_string());
                }
            }
        }
        visit::visit_local(self, local);
    }

    fn visit_method_call_inner(&mut self, call: &syn::ExprMethodCall) {
        let method = call.method.to_string();
        match method.as_str() {
            "cuda" | "cudart" if self.is_cc_build(&call.receiver) => {
                let off = matches!(
                    call.args.first(),
                    Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. })) if !b.value
                );
                if !off {
                    let span = self.span(call.method.span());
                    self.qualified(
                        vec!["cc".into(), "Build".into(), method.clone()],
                        method.clone(),
                        span,
                    );
                }
            }
            "compiler" => {
                if let Some(arg) = call.args.first() {
                    self.command(arg);
                }
            }
            "flag" | "flag_if_supported" | "arg" => {
                if let Some(arg) = call.args.first() {
                    self.flag(arg);
                }
            }
            "args" | "flags" => {
                if let Some(syn::Expr::Array(a)) = call.args.first() {
                    for e in &a.elems {
                        self.flag(e);
                    }
                }
            }
            _ => {}
        }
        visit::visit_expr_method_call(self, call);
    }
}

impl Facts<'_> {
    /// `feature = "cuda"` in a `#[cfg(…)]`, `#[cfg_attr(…)]` or `cfg!(…)` predicate, outside
    /// `not(…)`: a `cfg-feature:NAME` entry (the rules say which features are CUDA switches).
    fn cfg_features(&mut self, tokens: TokenStream, negated: bool) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match (&trees[i], trees.get(i + 1), trees.get(i + 2)) {
                (TokenTree::Ident(id), Some(TokenTree::Group(g)), _) if id == "not" => {
                    self.cfg_features(g.stream(), !negated);
                    i += 2;
                }
                (TokenTree::Ident(id), Some(TokenTree::Punct(eq)), Some(TokenTree::Literal(l)))
                    if id == "feature" && eq.as_char() == '=' =>
                {
                    let lit = syn::parse2::<syn::LitStr>(TokenTree::Literal(l.clone()).into());
                    if let (Ok(lit), false) = (lit, negated) {
                        let start = self.span(id.span()).start;
                        let end = self.span(l.span()).end;
                        let name = lit.value();
                        let written = format!("feature = \"{name}\"");
                        self.out
                            .entry(&written, start..end, vec![format!("cfg-feature:{name}")]);
                    }
                    i += 3;
                }
                (TokenTree::Group(g), _, _) => {
                    self.cfg_features(g.stream(), negated);
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }

    /// CUDA C++ in a string literal (a kernel handed to NVRTC): parsed with the CUDA grammar, its
    /// facts placed at their real offsets. Raw strings and strings with simple escapes only.
    fn cuda_source(&mut self, value: &str, lit_span: Range<usize>) {
        if value.trim().is_empty() || !self.parsed_sources.insert(lit_span.start) {
            return;
        }
        let Some(map) = literal_map(self.src, lit_span, value) else {
            return;
        };
        let inner = CPP.with(|cpp| {
            cpp.borrow_mut()
                .get_or_insert_with(CppFrontEnd::new)
                .extract(value, Lang::Cuda)
        });
        if inner.skip.is_some() {
            return;
        }
        for f in inner.facts {
            let start = map[f.span.start];
            let end = if f.span.end > f.span.start {
                map[f.span.end - 1] + 1
            } else {
                start
            };
            let what = "CUDA source in a string";
            let detail = match f.detail {
                Some(d) => format!("{d}; {what}"),
                None => what.to_string(),
            };
            self.extra.push(Fact {
                kind: f.kind,
                text: f.text,
                span: start..end,
                detail: Some(detail),
                lang: Some(f.lang.unwrap_or(Lang::Cuda)),
            });
        }
        self.defined.extend(inner.defined);
    }

    /// `cargo:rustc-link-lib=[KIND[:MODIFIERS]=]NAME`, `cargo:rerun-if-env-changed=NAME`.
    fn build_directive(&mut self, s: &str, lit_span: Range<usize>) {
        let directive = s
            .strip_prefix("cargo::")
            .or_else(|| s.strip_prefix("cargo:"));
        let Some(directive) = directive else { return };
        let inner = inner_span(&lit_span);
        let verbatim = inner.len() == s.len();
        let at = |offset: usize, len: usize| {
            if verbatim {
                inner.start + offset..inner.start + offset + len
            } else {
                inner.clone()
            }
        };
        let prefix_len = s.len() - directive.len();
        if let Some(value) = directive.strip_prefix("rustc-link-lib=") {
            let name = value.rsplit('=').next().unwrap_or(value);
            if !name.is_empty() && !name.contains(['{', '}']) {
                let offset = s.len() - name.len();
                let span = at(offset, name.len());
                self.out.entry(s, span, vec![format!("link-lib:{name}")]);
            }
        } else if let Some(name) = directive.strip_prefix("rerun-if-env-changed=") {
            if shell::is_identifier(name) {
                let offset = prefix_len + "rerun-if-env-changed=".len();
                shell::env_fact(name, at(offset, name.len()), &mut self.out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str) -> Vec<(String, String)> {
        let e = extract(text);
        e.facts
            .iter()
            .map(|f| {
                let key = match &f.kind {
                    FactKind::Qualified(s) => s.join("::"),
                    FactKind::Keys(k) => k[0].clone(),
                    _ => String::new(),
                };
                (key, text[f.span.clone()].to_string())
            })
            .collect()
    }

    #[test]
    fn paths_resolved_through_imports() {
        let text = "// use cudarc::driver::CudaDevice;\nuse cudarc::driver::{CudaDevice, LaunchConfig};\nuse candle_core::Device;\nuse tch as torch;\nfn main() {\n    let d = CudaDevice::new(0).unwrap();\n    let c = Device::new_cuda(0)?;\n    let t = torch::Device::Cuda(0);\n    let s = \"cudarc::driver::CudaDevice\";\n    println!(\"{:?}\", Device::cuda_if_available(0));\n}\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("cudarc::driver::CudaDevice", "CudaDevice"), "{f:?}");
        assert!(has("cudarc::driver::CudaDevice::new", "CudaDevice::new"));
        assert!(has("candle_core::Device::new_cuda", "Device::new_cuda"));
        assert!(has("tch::Device::Cuda", "torch::Device::Cuda"));
        assert!(has(
            "candle_core::Device::cuda_if_available",
            "Device::cuda_if_available"
        ));
        assert!(!f.iter().any(|(_, w)| w.contains("//") || w.contains('"')));
    }

    #[test]
    fn build_scripts() {
        let text = "use std::process::Command;\nfn main() {\n    let cuda = std::env::var(\"CUDA_HOME\").unwrap();\n    let mut b = cc::Build::new();\n    b.cuda(true).flag(\"-gencode\").flag(\"arch=compute_80,code=sm_80\").file(\"k.cu\");\n    cc::Build::new().cuda(false);\n    Command::new(\"nvcc\").arg(\"--version\");\n    println!(\"cargo:rustc-link-lib=dylib=cudart\");\n    println!(\"cargo::rerun-if-env-changed=CUDA_PATH\");\n}\n#[kernel]\nfn not_cuda() {}\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("env:CUDA_HOME", "CUDA_HOME"), "{f:?}");
        assert!(has("cc::Build::cuda", "cuda"));
        assert_eq!(f.iter().filter(|(k, _)| k == "cc::Build::cuda").count(), 1);
        assert!(has("flag:-gencode", "-gencode"));
        assert!(has("command:nvcc", "nvcc"));
        assert!(has("link-lib:cudart", "cudart"));
        assert!(has("env:CUDA_PATH", "CUDA_PATH"));
        assert!(!f.iter().any(|(k, _)| k.contains("kernel")));
    }

    #[test]
    fn rust_cuda_kernels() {
        let text = "\u{feff}use cuda_std::prelude::*;\n#[kernel]\npub unsafe fn add(a: &[f32]) { let i = thread::index_1d(); }\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("cuda_std::kernel", "kernel"), "{f:?}");
        assert!(has("cuda_std::prelude", "cuda_std::prelude::*"));
    }

    #[test]
    fn methods_on_cuda_values() {
        let text = r#"use std::sync::Arc;
use cudarc::driver::{CudaDevice, LaunchConfig};
struct Gpu { dev: Arc<CudaDevice> }
impl Gpu {
    fn zeros(&self, n: usize) { let z = self.dev.alloc_zeros::<f32>(n).unwrap(); z.len(); }
}
fn run(s: &Arc<cudarc::driver::CudaStream>) -> Result<(), ()> {
    let dev = CudaDevice::new(0)?;
    dev.load_ptx(ptx, "m", &["k"])?;
    let a = dev.htod_sync_copy(&v)?;
    let f = dev.get_func("m", "k").unwrap();
    unsafe { f.launch(LaunchConfig::for_num_elems(4), (&a,)) }?;
    s.synchronize();
    let ctx = cudarc::driver::CudaContext::new(0)?;
    let st: Arc<cudarc::driver::CudaStream> = ctx.default_stream();
    let dev = Vec::new();
    dev.launch();
    Ok(())
}
struct Launcher;
impl Launcher { fn launch(&self) {} }
fn other(l: Launcher) { l.launch(); let b = Launcher; b.alloc_zeros(3); }
"#;
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(
            has("cudarc::driver::CudaDevice::alloc_zeros", "alloc_zeros"),
            "{f:?}"
        );
        assert!(has("cudarc::driver::CudaSlice::len", "len"), "{f:?}");
        assert!(has("cudarc::driver::CudaDevice::load_ptx", "load_ptx"));
        assert!(has(
            "cudarc::driver::CudaDevice::htod_sync_copy",
            "htod_sync_copy"
        ));
        assert!(has("cudarc::driver::CudaDevice::get_func", "get_func"));
        assert!(has("cudarc::driver::CudaFunction::launch", "launch"));
        assert!(has(
            "cudarc::driver::CudaStream::synchronize",
            "synchronize"
        ));
        assert!(
            !f.iter()
                .any(|(k, _)| k.ends_with("::unwrap") || k.ends_with("::clone"))
        );
        let launches = f.iter().filter(|(_, w)| w == "launch").count();
        assert_eq!(launches, 1, "{f:?}");
        assert!(!f.iter().any(|(k, _)| k.contains("Launcher")));
        assert_eq!(f.iter().filter(|(_, w)| w == "alloc_zeros").count(), 1);
    }

    #[test]
    fn reexports_through_the_crate() {
        let text = "pub use cudarc;\nuse crate::backend::cudarc::driver::CudaSlice;\nuse super::cudarc::driver::{self as drv, CudaDevice};\nuse crate::util::helpers;\nfn f(x: CudaSlice<f32>) { let d = crate::backend::cudarc::driver::CudaDevice::new(0); x.len(); }\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("cudarc", "cudarc"), "{f:?}");
        assert!(has(
            "cudarc::driver::CudaSlice",
            "crate::backend::cudarc::driver::CudaSlice"
        ));
        assert!(has("cudarc::driver::CudaDevice", "CudaDevice"));
        assert!(has(
            "cudarc::driver::CudaDevice::new",
            "crate::backend::cudarc::driver::CudaDevice::new"
        ));
        assert!(has("cudarc::driver::CudaSlice::len", "len"));
        assert!(!f.iter().any(|(k, _)| k.contains("helpers")));
    }

    #[test]
    fn feature_switches() {
        let text = "#[cfg(feature = \"cuda\")]\nmod cuda;\n#[cfg(not(feature = \"cudnn\"))]\nfn a() {}\n#[cfg_attr(all(feature = \"nccl\", unix), derive(Debug))]\nstruct S;\nfn b() -> bool { cfg!(feature = \"cuda-12020\") }\n/// #[cfg(feature = \"cuda\")]\nfn c() {}\n";
        let f = facts(text);
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "cfg-feature:cuda",
                "cfg-feature:nccl",
                "cfg-feature:cuda-12020"
            ]
        );
        assert_eq!(f[0].1, "feature = \"cuda\"");
    }

    #[test]
    fn cuda_source_in_strings() {
        let text = "use cudarc::nvrtc::compile_ptx;\nconst K: &str = r#\"\nextern \"C\" __global__ void add(float *a) { a[threadIdx.x] += 1.0f; }\n\"#;\nfn f() {\n    let p = compile_ptx(\"__device__ float g(float x) { return __expf(x); }\\n\").unwrap();\n    let q = include_str!(\"kernels/scale.cu\");\n    let s = \"void not_cuda() {}\";\n}\n";
        let e = extract(text);
        let cuda: Vec<(&str, &str)> = e
            .facts
            .iter()
            .filter(|f| f.lang == Some(Lang::Cuda))
            .map(|f| (f.text.as_str(), &text[f.span.clone()]))
            .collect();
        assert!(
            cuda.iter()
                .any(|(t, w)| *t == "__global__" && *w == "__global__"),
            "{cuda:?}"
        );
        assert!(
            cuda.iter()
                .any(|(t, w)| *t == "threadIdx" && *w == "threadIdx")
        );
        assert!(cuda.iter().any(|(t, w)| *t == "__expf" && *w == "__expf"));
        assert!(!cuda.iter().any(|(t, _)| t.contains("not_cuda")));
        let f = facts(text);
        assert!(
            f.iter()
                .any(|(k, w)| k == "cuda-source:scale.cu" && w == "kernels/scale.cu")
        );
    }

    #[test]
    fn unparsable_files_are_scanned_by_tokens() {
        let e = extract("fn main( { cudarc::driver::result::init() }");
        assert!(e.has_parse_errors);
        let e = extract("fn main() { let x = cudarc::driver::result::init(); } fn ()");
        assert!(
            e.facts
                .iter()
                .any(|f| f.text == "cudarc::driver::result::init")
        );
    }
}
