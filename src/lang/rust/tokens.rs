//! Raw token streams: paths (`a::b::c`) in macro bodies and in files syn cannot parse, and
//! `feature = "…"` in `cfg` predicates.

use super::Facts;
use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

impl Facts<'_> {
    /// Scans a token stream for paths (`a::b::c`) and nested groups.
    pub(super) fn tokens(&mut self, tokens: TokenStream) {
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

    /// `feature = "cuda"` in a `#[cfg(…)]`, `#[cfg_attr(…)]` or `cfg!(…)` predicate, outside
    /// `not(…)`: a `cfg-feature:NAME` entry (the rules say which features are CUDA switches).
    pub(super) fn cfg_features(&mut self, tokens: TokenStream, negated: bool) {
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
}
