//! The local type flow: which bindings hold values of CUDA crates' types (or structs of this
//! file), from parameter and field types, constructors and the methods that return them, so a
//! method called on such a value (`dev.alloc_zeros(n)`) is a fact.

use super::{Facts, is_cuda_crate};
use std::collections::HashMap;
use syn::visit::{self, Visit};

/// What a binding is known to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Ty {
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
pub(super) const PASSTHROUGH: &[&str] = &[
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
    pub(super) fn collect_structs(&mut self, file: &syn::File) {
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
    pub(super) fn type_of(&self, ty: &syn::Type) -> Option<Ty> {
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

    pub(super) fn bind(&mut self, pat: &syn::Pat, ty: Option<Ty>) {
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
    pub(super) fn expr_type(&self, expr: &syn::Expr) -> Option<Ty> {
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
    pub(super) fn in_function(&mut self, sig: &syn::Signature, body: impl FnOnce(&mut Self)) {
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
