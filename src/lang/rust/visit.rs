//! The second pass: the syntax-tree walk that makes the facts (paths, attributes, methods on
//! CUDA values, calls, string literals, macros), and keeps the local type flow's scopes.

use super::cuda_source::looks_like_cuda;
use super::types::{PASSTHROUGH, Ty};
use super::{Facts, inner_span};
use crate::lang::manifest;
use proc_macro2::TokenTree;
use syn::visit::{self, Visit};

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
                        let name = manifest::basename(&path);
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
