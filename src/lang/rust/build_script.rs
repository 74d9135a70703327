//! Build scripts: `cc::Build` with `.cuda(true)`, commands started with `Command::new("nvcc")`
//! or `.compiler("nvcc")`, compiler flags, environment variables read, and `cargo:` directives.

use super::{Facts, inner_span};
use crate::lang::manifest::{self, Mapped, shell};
use std::ops::Range;
use syn::visit;

impl Facts<'_> {
    pub(super) fn string_lit(&mut self, expr: &syn::Expr) -> Option<(String, Range<usize>)> {
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
    pub(super) fn command(&mut self, expr: &syn::Expr) {
        if let Some((s, span)) = self.string_lit(expr) {
            let name = manifest::basename(&s).to_string();
            if !name.is_empty() {
                let inner = inner_span(&span);
                self.out.entry(&s, inner, vec![format!("command:{name}")]);
            }
        }
    }

    pub(super) fn env(&mut self, expr: &syn::Expr) {
        if let Some((s, span)) = self.string_lit(expr) {
            if crate::lang::lexer::is_identifier(&s) {
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

    /// `cargo:rustc-link-lib=[KIND[:MODIFIERS]=]NAME`, `cargo:rerun-if-env-changed=NAME`.
    pub(super) fn build_directive(&mut self, s: &str, lit_span: Range<usize>) {
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
            if crate::lang::lexer::is_identifier(name) {
                let offset = prefix_len + "rerun-if-env-changed=".len();
                shell::env_fact(name, at(offset, name.len()), &mut self.out);
            }
        }
    }

    pub(super) fn visit_local_inner(&mut self, local: &syn::Local) {
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

    pub(super) fn visit_method_call_inner(&mut self, call: &syn::ExprMethodCall) {
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
