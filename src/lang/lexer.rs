//! A small C/C++ tokenizer for the one place tree-sitter gives up structure: the body of a
//! `#define` (`preproc_arg`), which it returns as raw text. Macro bodies are token sequences, not
//! necessarily valid syntax (`k<<<g, b>>>(args)`, `do { CHECK(x) } while (0)`), so a tokenizer is
//! the right tool. Comments and the contents of string and character literals never yield tokens.
//!
//! It also holds the identifier rule ([`is_identifier`]) that the front ends, the build-file
//! readers and the rule loader share.

/// A token of interest in a macro body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    /// `::`
    Scope,
    /// `<<<`
    LaunchOpen,
    /// A string literal, quotes included.
    Str,
    /// Any other punctuation or number (only its presence matters).
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// Tokenizes `text`, skipping white space, comments and line continuations.
pub fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        if b.is_ascii_whitespace() || b == b'\\' {
            i += 1;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i = (i + 2).min(bytes.len());
        } else if b == b'"' || b == b'\'' {
            i = skip_quoted(bytes, i);
            if b == b'"' {
                tokens.push(Token {
                    kind: TokenKind::Str,
                    start,
                    end: i,
                });
            }
        } else if b == b'_' || b.is_ascii_alphabetic() || b >= 0x80 {
            while i < bytes.len()
                && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80)
            {
                i += 1;
            }
            // A raw string literal: R"delim( ... )delim" (and u8R, LR, ...).
            if bytes.get(i) == Some(&b'"') && text[start..i].ends_with('R') {
                i = skip_raw_string(text, i);
                tokens.push(Token {
                    kind: TokenKind::Str,
                    start,
                    end: i,
                });
                continue;
            }
            // An encoding prefix of a string or character literal: u8"...", L'x'.
            if matches!(bytes.get(i), Some(b'"' | b'\''))
                && matches!(&text[start..i], "u8" | "u" | "U" | "L")
            {
                let quote = bytes[i];
                i = skip_quoted(bytes, i);
                if quote == b'"' {
                    tokens.push(Token {
                        kind: TokenKind::Str,
                        start,
                        end: i,
                    });
                }
                continue;
            }
            tokens.push(Token {
                kind: TokenKind::Ident,
                start,
                end: i,
            });
        } else if b.is_ascii_digit() {
            // pp-number: digits, letters, dots, digit separators and exponent signs.
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'.'
                    || bytes[i] == b'_'
                    || bytes[i] == b'\''
                    || (matches!(bytes[i], b'+' | b'-')
                        && matches!(bytes[i - 1], b'e' | b'E' | b'p' | b'P')))
            {
                i += 1;
            }
            tokens.push(Token {
                kind: TokenKind::Other,
                start,
                end: i,
            });
        } else if text[i..].starts_with("<<<") {
            i += 3;
            tokens.push(Token {
                kind: TokenKind::LaunchOpen,
                start,
                end: i,
            });
        } else if text[i..].starts_with("::") {
            i += 2;
            tokens.push(Token {
                kind: TokenKind::Scope,
                start,
                end: i,
            });
        } else {
            i += 1;
            tokens.push(Token {
                kind: TokenKind::Other,
                start,
                end: i,
            });
        }
    }
    tokens
}

/// Whether `s` is an ASCII identifier: a letter or `_`, then letters, digits and `_`. C names
/// (`__global__`), shell, Make and CMake variables and the segments of rule namespaces are all
/// spelled so.
pub fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

fn skip_quoted(bytes: &[u8], open: usize) -> usize {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return i,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_raw_string(text: &str, quote: usize) -> usize {
    let rest = &text[quote + 1..];
    let Some(paren) = rest.find('(') else {
        return text.len();
    };
    let delim = &rest[..paren];
    let close = format!("){delim}\"");
    match rest[paren..].find(&close) {
        Some(end) => quote + 1 + paren + end + close.len(),
        None => text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(text: &str) -> Vec<&str> {
        tokenize(text)
            .into_iter()
            .filter(|t| t.kind == TokenKind::Ident)
            .map(|t| &text[t.start..t.end])
            .collect()
    }

    #[test]
    fn skips_comments_and_literals() {
        let text = r#"cudaMalloc(p, "cudaFree") /* cudaMemcpy */ // cudaMemset
            + 'c' + L"cudaX" + R"x(cudaY)x" + u8'z' + foo"#;
        assert_eq!(idents(text), ["cudaMalloc", "p", "foo"]);
    }

    #[test]
    fn launch_and_scope() {
        let text = "k<<<g, b>>>(x); thrust::sort(a)";
        let kinds: Vec<_> = tokenize(text).into_iter().map(|t| t.kind).collect();
        assert!(kinds.contains(&TokenKind::LaunchOpen));
        assert!(kinds.contains(&TokenKind::Scope));
    }

    #[test]
    fn numbers_are_not_identifiers() {
        assert_eq!(idents("1e+5f 0x1FULL 1'000 cudaX"), ["cudaX"]);
    }

    #[test]
    fn identifiers() {
        for s in ["_", "x", "__global__", "CUDA_HOME", "a1"] {
            assert!(is_identifier(s), "{s}");
        }
        for s in ["", "1a", "a-b", "a.b", "é", "a::b"] {
            assert!(!is_identifier(s), "{s}");
        }
    }

    #[test]
    fn unterminated_literals_do_not_panic() {
        for text in ["\"abc", "'", "R\"x(abc", "/* abc", "a\\"] {
            let _ = tokenize(text);
        }
    }
}
