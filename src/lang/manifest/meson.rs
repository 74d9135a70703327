//! Meson: a tokenizer for `meson.build` (identifiers, `'…'` and `'''…'''` strings, `#`
//! comments, punctuation) and the calls that bring in CUDA: the `cuda` language in
//! `project()`/`add_languages()`, `dependency('cuda')` (and NCCL, cuDNN, …),
//! `import('unstable-cuda')`, methods of the CUDA module (`nvcc_arch_flags`), and nvcc flags in
//! string arguments.

use super::{Out, shell};
use std::ops::Range;

#[derive(Debug, PartialEq)]
enum Tok {
    Ident,
    Str,
    Punct(u8),
}

pub(crate) fn extract(text: &str, out: &mut Out) {
    let toks = tokenize(text);
    // Calls: the function name, and the strings at any nesting depth of its arguments.
    let mut stack: Vec<Option<(String, usize)>> = Vec::new();
    for (k, (tok, span, value)) in toks.iter().enumerate() {
        match tok {
            Tok::Punct(b'(') => {
                let callee = k
                    .checked_sub(1)
                    .and_then(|p| toks.get(p))
                    .filter(|t| t.0 == Tok::Ident)
                    .map(|t| {
                        let method = k >= 2 && toks[k - 2].0 == Tok::Punct(b'.');
                        if method {
                            out.entry(&t.2, t.1.clone(), vec![format!("meson-method:{}", t.2)]);
                        }
                        (t.2.clone(), k)
                    });
                stack.push(callee);
            }
            Tok::Punct(b')') => {
                stack.pop();
            }
            Tok::Str => {
                let Some(Some((callee, paren))) = stack.last() else {
                    flag(value, span, out);
                    continue;
                };
                let first = k == paren + 1;
                let lower = value.to_ascii_lowercase();
                match callee.as_str() {
                    "project" | "add_languages" if lower == "cuda" => {
                        out.entry(value, span.clone(), vec!["meson-language:cuda".into()]);
                    }
                    "dependency" if first => out.entry(
                        value,
                        span.clone(),
                        vec![format!("meson-dependency:{lower}")],
                    ),
                    "import" if first => {
                        out.entry(value, span.clone(), vec![format!("meson-module:{lower}")])
                    }
                    "find_program" if first => out.entry(
                        value,
                        span.clone(),
                        vec![format!("command:{}", super::basename(value))],
                    ),
                    _ => flag(value, span, out),
                }
            }
            _ => {}
        }
    }
}

fn flag(value: &str, span: &Range<usize>, out: &mut Out) {
    if value.starts_with('-') || shell::is_arch_name(value) {
        shell::word_flag(value, span.clone(), None, None, out);
    }
}

/// Tokens with their spans; a string's span and value are its content.
fn tokenize(text: &str) -> Vec<(Tok, Range<usize>, String)> {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'\'' || ((c == b'f') && b.get(i + 1) == Some(&b'\'')) {
            if c == b'f' {
                i += 1;
            }
            let triple = text[i..].starts_with("'''");
            let q = if triple { 3 } else { 1 };
            let s = i + q;
            let mut j = s;
            loop {
                if j >= b.len() {
                    break;
                }
                if triple {
                    // Bytes, not `text[j..]`: `j` steps through multi-byte characters.
                    if b[j..].starts_with(b"'''") {
                        break;
                    }
                } else if b[j] == b'\'' || b[j] == b'\n' {
                    break;
                } else if b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            let e = j.min(b.len());
            toks.push((Tok::Str, s..e, text[s..e].to_string()));
            i = (e + q).min(b.len());
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            toks.push((Tok::Ident, s..i, text[s..i].to_string()));
        } else {
            if !c.is_ascii_whitespace() {
                toks.push((Tok::Punct(c), i..i + 1, String::new()));
            }
            i += 1;
        }
    }
    toks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    #[test]
    fn meson_facts() {
        let text = "# project('x', 'cuda')\nproject('demo', ['cpp', 'cuda'])\ncuda = import('unstable-cuda')\nflags = cuda.nvcc_arch_flags('11.0', 'Auto')\ndep = dependency('CUDA', modules: ['cublas'])\nexecutable('k', 'k.cu', cuda_args: ['-gencode=arch=compute_80,code=sm_80'])\nmessage('''cuda''')\n";
        let mut out = Out::default();
        extract(text, &mut out);
        let f: Vec<(String, &str)> = out
            .facts
            .iter()
            .map(|f| {
                let FactKind::Keys(k) = &f.kind else {
                    unreachable!()
                };
                (k[0].clone(), &text[f.span.clone()])
            })
            .collect();
        assert_eq!(
            f,
            [
                ("meson-language:cuda".to_string(), "cuda"),
                ("meson-module:unstable-cuda".into(), "unstable-cuda"),
                ("meson-method:nvcc_arch_flags".into(), "nvcc_arch_flags"),
                ("meson-dependency:cuda".into(), "CUDA"),
                (
                    "flag:-gencode".into(),
                    "-gencode=arch=compute_80,code=sm_80"
                ),
            ]
        );
    }
}
