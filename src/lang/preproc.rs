//! Preprocessor conditionals, read line by line as the preprocessor itself reads them.
//!
//! tree-sitter nests `#if` blocks well when they wrap declarations or statements, but a
//! conditional in the middle of an expression (an argument list split by `#if … #else … #endif`)
//! leaves ERROR nodes whose spans run past the `#endif`. Directives are lines, so a line scanner
//! (honouring continuations and block comments) gives the exact chains.

use super::Branch;
use super::lexer::{self, TokenKind};

/// Every conditional in `text`, each as its chain of branches (`#if`, `#elif`…, `#else`), in
/// the order their `#if` lines appear.
pub fn conditionals(text: &str) -> Vec<Vec<Branch>> {
    struct Open {
        chain: Vec<Branch>,
        start: usize,
        idents: Vec<(String, bool)>,
        is_else: bool,
    }
    let close = |open: &mut Open, end: usize| {
        let idents = std::mem::take(&mut open.idents);
        open.chain.push(Branch {
            span: open.start..end,
            negated: idents.iter().map(|(_, n)| *n).collect(),
            idents: idents.into_iter().map(|(i, _)| i).collect(),
            is_else: open.is_else,
        });
    };
    let mut out: Vec<(usize, Vec<Branch>)> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut in_comment = false;
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(first) = lines.next() {
        let start = offset;
        offset += first.len();
        // A logical line: physical lines joined by trailing backslashes.
        let mut logical = first.trim_end_matches(['\n', '\r']).to_string();
        while logical.ends_with('\\') {
            logical.pop();
            match lines.next() {
                Some(next) => {
                    offset += next.len();
                    logical.push(' ');
                    logical.push_str(next.trim_end_matches(['\n', '\r']));
                }
                None => break,
            }
        }
        let starts_in_comment = in_comment;
        in_comment = ends_in_comment(&logical, in_comment);
        if starts_in_comment {
            continue;
        }
        let Some(rest) = logical.trim_start().strip_prefix('#') else {
            continue;
        };
        let rest = rest.trim_start();
        let word_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(rest.len());
        let (word, args) = rest.split_at(word_len);
        match word {
            "if" | "ifdef" | "ifndef" => stack.push(Open {
                chain: Vec::new(),
                start,
                idents: condition(word, args),
                is_else: false,
            }),
            "elif" | "elifdef" | "elifndef" | "else" => {
                if let Some(open) = stack.last_mut() {
                    close(open, start);
                    open.start = start;
                    open.is_else = word == "else";
                    open.idents = if word == "else" {
                        Vec::new()
                    } else {
                        condition(word, args)
                    };
                }
            }
            "endif" => {
                if let Some(mut open) = stack.pop() {
                    close(&mut open, start);
                    let first = open.chain.first().map_or(start, |b| b.span.start);
                    out.push((first, open.chain));
                }
            }
            _ => {}
        }
    }
    while let Some(mut open) = stack.pop() {
        close(&mut open, text.len());
        let first = open.chain.first().map_or(text.len(), |b| b.span.start);
        out.push((first, open.chain));
    }
    out.sort_by_key(|(first, _)| *first);
    out.into_iter().map(|(_, chain)| chain).collect()
}

/// The identifiers a condition names, each with whether it is negated (`#ifndef X`,
/// `!defined(X)`, `!X`). `defined` itself is not an identifier of interest.
fn condition(directive: &str, args: &str) -> Vec<(String, bool)> {
    let inverted = directive.ends_with("ndef");
    let tokens = lexer::tokenize(args);
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.kind != TokenKind::Ident {
            continue;
        }
        let name = &args[t.start..t.end];
        if name == "defined" || out.len() >= 32 {
            continue;
        }
        // Look back over `(` and `defined` for a `!`.
        let mut j = i;
        let mut negated = false;
        while j > 0 {
            j -= 1;
            let prev = &args[tokens[j].start..tokens[j].end];
            match prev {
                "(" | "defined" => continue,
                "!" => negated = true,
                _ => {}
            }
            break;
        }
        out.push((name.to_string(), negated ^ inverted));
    }
    out
}

/// Whether a line leaves a `/* … */` comment open, given whether it started inside one.
fn ends_in_comment(line: &str, mut in_comment: bool) -> bool {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        if in_comment {
            if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                in_comment = false;
                i += 2;
                continue;
            }
        } else if in_string {
            match bytes[i] {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match bytes[i] {
                b'"' => in_string = true,
                b'/' if bytes.get(i + 1) == Some(&b'/') => return false,
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    in_comment = true;
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        i += 1;
    }
    in_comment
}

#[cfg(test)]
mod tests {
    use super::*;

    type Summary = Vec<Vec<(Vec<String>, Vec<bool>, bool)>>;

    fn summary(text: &str) -> Summary {
        conditionals(text)
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|b| (b.idents, b.negated, b.is_else))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn chains_with_negation_and_else() {
        let text = "#if !defined(GGML_USE_HIP) && !defined(MUSA)\nx\n#endif\n#ifdef USE_ROCM\na\n#elif X\nb\n#else\nc\n#endif\n";
        let s = summary(text);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0],
            [(
                vec!["GGML_USE_HIP".to_string(), "MUSA".to_string()],
                vec![true, true],
                false
            )]
        );
        assert_eq!(s[1].len(), 3);
        assert!(s[1][2].2);
    }

    #[test]
    fn conditionals_inside_expressions_and_comments() {
        let text = "f(a,\n#if defined(__HIP_PLATFORM_AMD__) && \\\n   (V < 2)\n  b);\n#else\n  c);\n#endif\n/*\n#if X\n*/\nint y;\n";
        let chains = conditionals(text);
        assert_eq!(chains.len(), 1);
        assert_eq!(chains[0][0].idents, ["__HIP_PLATFORM_AMD__", "V"]);
        let endif = text.find("#endif").unwrap();
        assert_eq!(chains[0][1].span.end, endif);
    }

    #[test]
    fn unbalanced_directives_do_not_panic() {
        let _ = conditionals("#endif\n#else\n#if A\n#elif\n");
    }
}
