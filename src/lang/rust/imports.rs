//! The first pass: the file's `use` declarations and `extern crate` items, into the import map
//! (renames included, globs kept for `#[kernel]`), each one a fact of its own.

use super::{Facts, through_reexport};
use syn::visit::Visit;

/// First pass: the file's `use` declarations, into the import map (and their facts).
pub(super) struct ImportCollector<'f, 'a> {
    pub(super) facts: &'f mut Facts<'a>,
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
