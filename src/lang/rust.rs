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
//! `cargo:rerun-if-env-changed=` build-script directives. Comments and string contents are
//! never read as code. A file syn cannot parse is scanned token by token for paths.

use super::manifest::{Mapped, Out, shell};
use super::{Extraction, Fact, FactKind};
use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
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
        base,
        out: Out::default(),
        extra: Vec::new(),
        imports: HashMap::new(),
        globs: Vec::new(),
        builders: HashSet::new(),
    };
    let parsed = syn::parse_str::<syn::File>(content);
    let mut has_parse_errors = false;
    match parsed {
        Ok(file) => {
            let mut collector = ImportCollector { facts: &mut facts };
            collector.visit_file(&file);
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
    extraction.has_parse_errors |= has_parse_errors;
    extraction
}

struct Facts {
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
}

impl Facts {
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

    /// A path's segments resolved through the imports.
    fn resolve(&self, segments: &[String]) -> Vec<String> {
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
        if matches!(segments[0].as_str(), "self" | "super" | "crate" | "Self") {
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

/// The span of a string literal's content (without its quotes), when it is a plain `"…"`.
fn inner_span(span: &Range<usize>) -> Range<usize> {
    if span.len() >= 2 {
        span.start + 1..span.end - 1
    } else {
        span.clone()
    }
}

/// First pass: the file's `use` declarations, into the import map (and their facts).
struct ImportCollector<'f> {
    facts: &'f mut Facts,
}

impl ImportCollector<'_> {
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
                let segments: Vec<String> = prefix.iter().map(|i| i.to_string()).collect();
                if let (Some(first), false) = (prefix.first(), segments.is_empty()) {
                    let start = self.facts.span(first.span()).start;
                    let end = self.facts.span(g.star_token.span).end;
                    if !matches!(segments[0].as_str(), "self" | "super" | "crate") {
                        self.facts.qualified(
                            segments.clone(),
                            format!("{}::*", segments.join("::")),
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
        let segments: Vec<String> = full.iter().map(|i| i.to_string()).collect();
        let Some(first) = segments.first() else {
            return;
        };
        if matches!(first.as_str(), "self" | "super" | "crate") {
            return;
        }
        let start = self.facts.span(full[0].span()).start;
        let end = self.facts.span(last.span()).end;
        // A leaf inside a `{…}` group is reported at its own name.
        let span = if grouped {
            self.facts.span(last.span())
        } else {
            start..end
        };
        self.facts
            .qualified(segments.clone(), segments.join("::"), span);
        if alias != "_" {
            self.facts.imports.insert(alias, segments);
        }
    }
}

impl<'ast> Visit<'ast> for ImportCollector<'_> {
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

impl<'ast> Visit<'ast> for Facts {
    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {
        // Read by the import collector.
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let idents: Vec<&proc_macro2::Ident> = path.segments.iter().map(|s| &s.ident).collect();
        self.path_fact(&idents);
        visit::visit_path(self, path);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        let path = attr.path();
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

    fn visit_local(&mut self, local: &'ast syn::Local) {
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

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
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

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*call.func {
            let segments = Self::segments(&p.path);
            let resolved = self.resolve(&segments);
            let n = resolved.len();
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

impl Facts {
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
