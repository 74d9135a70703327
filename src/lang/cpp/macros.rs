//! `#define`s: the macro name (defined by the file, and a shim candidate when its body starts
//! with a name), and the facts of its body, which tree-sitter keeps as raw text and the
//! [`crate::lang::lexer`] tokenizes.

use super::Walker;
use super::asm::{looks_like_ptx, ptx_mnemonic};
use crate::lang::lexer::{self, TokenKind};
use crate::lang::node_names::NodeNames;
use crate::lang::{FactKind, ShimCandidate, ShimForm};
use std::collections::HashSet;
use tree_sitter::Node;

impl Walker<'_> {
    pub(super) fn macro_definition(&mut self, node: Node) {
        if let Some(name) = node.field("name") {
            self.out.defined.push(self.text_of(name).to_string());
            // `#define cudaMalloc hipMalloc`: a candidate shim entry (the matcher's post-pass
            // decides whether the name is CUDA and the file a shim).
            let target = node.field("value").and_then(|value| {
                let body = self.text_of(value);
                lexer::tokenize(body)
                    .into_iter()
                    .find(|t| t.kind == TokenKind::Ident)
                    .map(|t| body[t.start..t.end].to_string())
            });
            if let Some(target) = target {
                self.out.shim_candidates.push(ShimCandidate {
                    name: self.text_of(name).to_string(),
                    target,
                    offset: node.start_byte(),
                    form: ShimForm::Define,
                });
            }
        }
        let mut params = HashSet::new();
        if let Some(list) = node.field("parameters") {
            let mut cursor = list.walk();
            for p in list.named_children(&mut cursor) {
                params.insert(self.text_of(p));
            }
        }
        if let Some(value) = node.field("value") {
            self.macro_body(value.start_byte(), self.text_of(value), &params);
        }
    }

    /// Facts from a `#define` body, found with the tokenizer.
    fn macro_body(&mut self, base: usize, body: &str, params: &HashSet<&str>) {
        let tokens = lexer::tokenize(body);
        let mut i = 0;
        while i < tokens.len() {
            let tok = tokens[i];
            let text = &body[tok.start..tok.end];
            match tok.kind {
                TokenKind::LaunchOpen => {
                    let kernel = i
                        .checked_sub(1)
                        .map(|p| tokens[p])
                        .filter(|p| p.kind == TokenKind::Ident)
                        .map(|p| format!("kernel `{}`", &body[p.start..p.end]));
                    self.push(
                        FactKind::Launch,
                        "<<<>>>",
                        base + tok.start..base + tok.end,
                        kernel,
                    );
                    i += 1;
                }
                TokenKind::Ident if matches!(text, "asm" | "__asm__" | "__asm") => {
                    let template = tokens[i + 1..]
                        .iter()
                        .find(|t| t.kind == TokenKind::Str)
                        .map(|t| body[t.start..t.end].trim_matches('"'));
                    if let Some(template) = template {
                        if self.cuda_file || looks_like_ptx(template) {
                            self.push(
                                FactKind::InlineAsm,
                                text,
                                base + tok.start..base + tok.end,
                                ptx_mnemonic(template),
                            );
                        }
                    }
                    i += 1;
                }
                TokenKind::Ident if params.contains(text) => i += 1,
                TokenKind::Ident => {
                    // ident (:: ident)*
                    let mut segments = vec![text.to_string()];
                    let mut end = tok.end;
                    let mut j = i + 1;
                    while j + 1 < tokens.len()
                        && tokens[j].kind == TokenKind::Scope
                        && tokens[j + 1].kind == TokenKind::Ident
                    {
                        segments.push(body[tokens[j + 1].start..tokens[j + 1].end].to_string());
                        end = tokens[j + 1].end;
                        j += 2;
                    }
                    if segments.len() == 1 {
                        self.push(FactKind::Name, text, base + tok.start..base + tok.end, None);
                    } else {
                        let written = segments.join("::");
                        let resolved = self.resolve_alias(segments);
                        self.push(
                            FactKind::Qualified(resolved),
                            &written,
                            base + tok.start..base + end,
                            None,
                        );
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lang::cpp::CppFrontEnd;
    use crate::lang::{FactKind, Lang};

    #[test]
    fn launch_in_macro_body() {
        let mut fe = CppFrontEnd::new();
        let ex = fe.extract("#define LAUNCH(k, g, b) k<<<g, b>>>(x)\n", Lang::Cuda);
        assert!(ex.facts.iter().any(|f| f.kind == FactKind::Launch));
    }
}
