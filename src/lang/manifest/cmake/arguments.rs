//! What any argument of any command holds: commands run after `COMMAND`, imported targets
//! (`CUDA::cudart`), compile features (`cuda_std_17`), variable and environment references,
//! the CUDA language in generator expressions, and nvcc flags and architectures.

use super::parse::{Arg, ArgKind};
use super::variable;
use crate::lang::manifest::{Out, basename, shell};
use std::ops::Range;

/// Throughout a command's arguments: commands run, imported targets, compile features, variable
/// references, generator expressions and nvcc flags.
pub(super) fn argument_facts(args: &[Arg], out: &mut Out) {
    let mut after_command = false;
    for a in args {
        if a.kind == ArgKind::Bracket {
            after_command = false;
            continue;
        }
        if after_command {
            let name = basename(&a.text);
            if !name.is_empty() && !name.starts_with('$') {
                out.entry(&a.text, a.span.clone(), vec![format!("command:{name}")]);
            }
        }
        after_command = a.kind == ArgKind::Unquoted && a.text == "COMMAND";
        if a.kind == ArgKind::Unquoted {
            if is_imported_target(&a.text) {
                out.entry(
                    &a.text,
                    a.span.clone(),
                    vec![format!("cmake-target:{}", a.text)],
                );
            } else if a.text.starts_with("cuda_std_") {
                out.entry(
                    &a.text,
                    a.span.clone(),
                    vec![format!("cmake-feature:{}", a.text)],
                );
            }
        }
        references(a, out);
        generator_languages(a, out);
        arg_flags(a, out);
    }
}

/// `NS::name` (or `a::b::c`): a CMake imported target.
pub(super) fn is_imported_target(s: &str) -> bool {
    s.contains("::")
        && s.split("::").all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '+'))
        })
}

/// `${NAME}`, `$ENV{NAME}` and `$CACHE{NAME}` inside an argument.
fn references(a: &Arg, out: &mut Out) {
    let t = a.text.as_str();
    let b = t.as_bytes();
    let mut i = 0;
    while let Some(rel) = t[i..].find('$') {
        let at = i + rel;
        let rest = &t[at + 1..];
        let (kind, open) = if rest.starts_with('{') {
            ("var", at + 2)
        } else if rest.starts_with("ENV{") {
            ("env", at + 5)
        } else if rest.starts_with("CACHE{") {
            ("var", at + 7)
        } else {
            i = at + 1;
            continue;
        };
        let mut e = open;
        while e < b.len()
            && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'_' | b'.' | b'-' | b'+' | b'/'))
        {
            e += 1;
        }
        if e < b.len() && b[e] == b'}' && e > open {
            let name = &t[open..e];
            let span = a.span.start + open..a.span.start + e;
            if kind == "env" {
                shell::env_fact(name, span, out);
            } else {
                variable(name, span, out);
            }
        }
        i = open.max(at + 1);
    }
}

/// `$<COMPILE_LANGUAGE:CUDA>`, `$<COMPILE_LANG_AND_ID:CUDA,NVIDIA>`, `$<LINK_LANGUAGE:CUDA>`.
fn generator_languages(a: &Arg, out: &mut Out) {
    let t = a.text.as_str();
    for marker in [
        "$<COMPILE_LANGUAGE:",
        "$<COMPILE_LANG_AND_ID:",
        "$<LINK_LANGUAGE:",
        "$<LINK_LANG_AND_ID:",
    ] {
        let mut from = 0;
        while let Some(rel) = t[from..].find(marker) {
            let s = from + rel + marker.len();
            let e = t[s..].find('>').map_or(t.len(), |x| s + x);
            let mut off = s;
            for lang in t[s..e].split(',') {
                if lang == "CUDA" {
                    out.entry(
                        lang,
                        a.span.start + off..a.span.start + off + 4,
                        vec!["cmake-language:CUDA".into()],
                    );
                }
                off += lang.len() + 1;
                if marker.contains("AND_ID") {
                    break; // The rest are compiler ids.
                }
            }
            from = e;
        }
    }
}

/// nvcc flags and architectures among an argument's words (split at whitespace and `;`).
fn arg_flags(a: &Arg, out: &mut Out) {
    let t = a.text.as_str();
    if !t.contains(['-', '_']) {
        return;
    }
    let mut words: Vec<(Range<usize>, &str)> = Vec::new();
    let mut i = 0;
    for piece in t.split([' ', '\t', '\n', ';']) {
        if !piece.is_empty() {
            words.push((a.span.start + i..a.span.start + i + piece.len(), piece));
        }
        i += piece.len() + 1;
    }
    let mut k = 0;
    while k < words.len() {
        let (span, w) = words[k].clone();
        let w = w.trim_matches('"');
        // Generator expressions wrap flags: `$<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>`.
        let inner = w.rsplit_once(">:").map_or(w, |(_, f)| f);
        let inner = if t.contains("$<") {
            inner.trim_end_matches('>')
        } else {
            inner
        };
        let next = words.get(k + 1);
        if inner.starts_with('-') || shell::is_arch_name(inner) {
            let delta = w.len() - inner.len().min(w.len());
            let offset = w.find(inner).unwrap_or(delta);
            let s = span.start + offset;
            k += shell::word_flag(
                inner,
                s..s + inner.len(),
                next.map(|n| n.1),
                next.map(|n| n.0.end),
                out,
            );
        } else {
            k += 1;
        }
    }
}
