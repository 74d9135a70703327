//! `go.mod`: every `require` entry (single line and block) is a `go:MODULE` fact, marked
//! `indirect` when its comment says so. The reader tokenizes lines as cmd/go does (`//`
//! comments, `"…"` and `` `…` `` strings) and warns once about a malformed file.

use crate::lang::{ExtractWarning, Extraction, Fact, FactKind};
use std::ops::Range;

/// The directives `go.mod` knows (cmd/go's modfile); another word at the start of a line is an
/// error for the go command.
const GO_MOD_DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "exclude",
    "replace",
    "retract",
    "tool",
    "ignore",
];

/// A token of a `go.mod` line: a word or quoted string (unquoted), or `(`/`)`.
#[derive(Debug)]
struct ModToken {
    text: String,
    span: Range<usize>,
}

/// One logical line: its tokens and its trailing comment.
struct ModLine {
    tokens: Vec<ModToken>,
    comment: Option<String>,
    start: usize,
}

/// Reads `go.mod`: every `require` entry becomes a `go:MODULE` fact. A malformed file yields a
/// `malformed-go-mod` warning; the entries read before and after the problem are kept.
pub fn extract_go_mod(text: &str) -> Extraction {
    let mut out = Extraction::default();
    let mut warn = |out: &mut Extraction, message: String, offset: usize| {
        out.has_parse_errors = true;
        // One warning per file is enough to count it.
        if out.warnings.is_empty() {
            out.warnings.push(ExtractWarning {
                reason: crate::note::NoteReason::MalformedGoMod,
                message,
                offset: Some(offset),
            });
        }
    };
    let mut block: Option<(String, usize)> = None;
    for line in mod_lines(text, &mut |msg, off| warn(&mut out, msg, off)) {
        let toks = &line.tokens;
        if toks.is_empty() {
            continue;
        }
        if let Some((verb, _)) = &block {
            if toks[0].text == ")" && toks.len() == 1 {
                block = None;
                continue;
            }
            let verb = verb.clone();
            mod_entry(&verb, toks, &line, &mut out, &mut warn);
            continue;
        }
        let verb = toks[0].text.as_str();
        if !GO_MOD_DIRECTIVES.contains(&verb) {
            warn(
                &mut out,
                format!("unknown directive `{verb}`"),
                toks[0].span.start,
            );
            continue;
        }
        if toks.len() == 2 && toks[1].text == "(" {
            block = Some((verb.to_string(), line.start));
            continue;
        }
        mod_entry(verb, &toks[1..], &line, &mut out, &mut warn);
    }
    if let Some((verb, start)) = block {
        warn(&mut out, format!("`{verb} (` block is not closed"), start);
    }
    out
}

fn mod_entry(
    verb: &str,
    args: &[ModToken],
    line: &ModLine,
    out: &mut Extraction,
    warn: &mut impl FnMut(&mut Extraction, String, usize),
) {
    if verb != "require" {
        return;
    }
    let Some(path) = args.first() else {
        return;
    };
    if args.len() != 2 || path.text == "(" || path.text == ")" {
        warn(
            out,
            "a `require` entry needs a module path and a version".to_string(),
            path.span.start,
        );
        if path.text == "(" || path.text == ")" {
            return;
        }
    }
    let indirect = line
        .comment
        .as_deref()
        .is_some_and(|c| c.split(';').any(|p| p.trim() == "indirect"));
    out.facts.push(Fact {
        kind: FactKind::Keys(vec![format!("go:{}", path.text)]),
        text: path.text.clone(),
        span: path.span.clone(),
        detail: indirect.then(|| "indirect".to_string()),
        lang: None,
    });
}

/// Splits `go.mod` into lines of tokens, honouring `//` comments and `"…"`/`` `…` `` quotes.
fn mod_lines(text: &str, warn: &mut impl FnMut(String, usize)) -> Vec<ModLine> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut line = ModLine {
        tokens: Vec::new(),
        comment: None,
        start: 0,
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                let next_start = i + 1;
                lines.push(std::mem::replace(
                    &mut line,
                    ModLine {
                        tokens: Vec::new(),
                        comment: None,
                        start: next_start,
                    },
                ));
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                line.comment = Some(text[i + 2..end].trim().to_string());
                i = end;
            }
            b'(' | b')' => {
                line.tokens.push(ModToken {
                    text: (b as char).to_string(),
                    span: i..i + 1,
                });
                i += 1;
            }
            b'"' | b'`' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < bytes.len() && bytes[j] != b'\n' {
                    if b == b'"' && bytes[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if bytes[j] == b {
                        closed = true;
                        break;
                    }
                    j += 1;
                }
                let end = j.min(bytes.len());
                if !closed {
                    warn("unterminated string".to_string(), i);
                    i = end;
                    continue;
                }
                let inner = &text[i + 1..end];
                line.tokens.push(ModToken {
                    text: inner.to_string(),
                    span: i + 1..end,
                });
                i = end + 1;
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b'"' | b'`'
                    )
                    && !(bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'/'))
                {
                    i += 1;
                }
                line.tokens.push(ModToken {
                    text: text[start..i].to_string(),
                    span: start..i,
                });
            }
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_requires() {
        let text = "module example.com/x\n\ngo 1.22\n\nrequire github.com/NVIDIA/go-nvml v0.12.0-1\n\nrequire (\n\tgithub.com/NVIDIA/go-nvlib v0.7.0 // indirect\n\t\"k8s.io/api\" v0.30.0\n)\n\nreplace github.com/NVIDIA/go-nvml => ../go-nvml\n";
        let x = extract_go_mod(text);
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        let got: Vec<(String, &str, Option<String>)> = x
            .facts
            .iter()
            .map(|f| (texts_of(f), &text[f.span.clone()], f.detail.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "go:github.com/NVIDIA/go-nvml".into(),
                    "github.com/NVIDIA/go-nvml",
                    None
                ),
                (
                    "go:github.com/NVIDIA/go-nvlib".into(),
                    "github.com/NVIDIA/go-nvlib",
                    Some("indirect".into())
                ),
                ("go:k8s.io/api".into(), "k8s.io/api", None),
            ]
        );
    }

    fn texts_of(f: &Fact) -> String {
        match &f.kind {
            FactKind::Keys(k) => k.join(","),
            _ => f.text.clone(),
        }
    }

    #[test]
    fn malformed_go_mod_warns_and_keeps_entries() {
        let x = extract_go_mod(
            "module x\nrequire (\n\tgithub.com/NVIDIA/go-nvml v0.12.0\n\tbroken\n\"unterminated\n",
        );
        assert_eq!(x.warnings.len(), 1);
        assert_eq!(x.warnings[0].reason.as_str(), "malformed-go-mod");
        assert!(
            x.facts
                .iter()
                .any(|f| f.text == "github.com/NVIDIA/go-nvml")
        );
        let x = extract_go_mod("modul x\n");
        assert_eq!(x.warnings.len(), 1);
        for text in [
            "",
            "(",
            ")",
            "require",
            "require (",
            "require )\n)",
            "\"",
            "`",
            "//",
            "require \"a",
        ] {
            let _ = extract_go_mod(text);
        }
    }
}
