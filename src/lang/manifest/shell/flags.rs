//! Compiler words: nvcc-only flags (`-gencode`, `--expt-relaxed-constexpr`), GPU architecture
//! flags and names (`-arch=sm_80`, `compute_90a`) and `-l` libraries. Build files and the Python
//! and Rust build scripts classify their flags with the same reader.

use super::tokenizer::Word;
use crate::lang::manifest::Out;
use std::ops::Range;

/// nvcc-only flags, GPU architecture names and `-l` libraries among a command's words.
pub(crate) fn flags(words: &[Word], out: &mut Out) {
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let next = words.get(i + 1).map(|n| n.value.text.as_str());
        i += word_flag(
            &w.value.text,
            w.raw.clone(),
            next,
            words.get(i + 1).map(|n| n.raw.end),
            out,
        );
    }
}

/// Classifies one word (with a peek at the next); returns how many words it used (1 or 2).
pub(crate) fn word_flag(
    v: &str,
    span: Range<usize>,
    next: Option<&str>,
    next_end: Option<usize>,
    out: &mut Out,
) -> usize {
    let (flag, inline) = match v.split_once('=') {
        Some((f, val)) if v.starts_with('-') => (f, Some(val)),
        _ => (v, None),
    };
    match flag {
        // Flags that take a GPU architecture.
        "-arch" | "--gpu-architecture" | "-code" | "--gpu-code" | "-gencode"
        | "--generate-code" | "--cuda-gpu-arch" | "--offload-arch" => {
            let (value, used) = match (inline, next) {
                (Some(val), _) => (Some(val), 1),
                (None, Some(n)) => (Some(n), 2),
                (None, None) => (None, 1),
            };
            let nvcc_only = !matches!(flag, "-arch" | "-code" | "--offload-arch");
            let is_cuda_arch = value.is_some_and(is_cuda_arch_value);
            if is_cuda_arch || (nvcc_only && flag != "--offload-arch") {
                let end = if used == 2 {
                    next_end.unwrap_or(span.end)
                } else {
                    span.end
                };
                let written = match (inline, used) {
                    (None, 2) => format!("{v} {}", next.unwrap_or("")),
                    _ => v.to_string(),
                };
                out.entry(&written, span.start..end, vec![format!("flag:{flag}")]);
                return used;
            }
            1
        }
        // `-lineinfo` is nvcc's line-information flag, not the library `ineinfo`.
        _ if flag.starts_with("-l")
            && flag.len() > 2
            && inline.is_none()
            && flag != "-lineinfo" =>
        {
            let lib = &flag[2..];
            if lib
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+' || c == '-')
            {
                out.entry(v, span, vec![format!("link-lib:{lib}")]);
            }
            1
        }
        _ if flag.starts_with('-') => {
            out.entry(v, span, vec![format!("flag:{flag}")]);
            1
        }
        _ => {
            if is_arch_name(v) {
                out.entry(v, span, vec![format!("cuda-arch:{v}")]);
            }
            1
        }
    }
}

/// `sm_80`, `compute_90a`, `lto_86`.
pub(crate) fn is_arch_name(v: &str) -> bool {
    ["sm_", "compute_", "lto_"].iter().any(|p| {
        v.strip_prefix(p).is_some_and(|rest| {
            let digits = rest.trim_end_matches(|c: char| c.is_ascii_lowercase());
            !digits.is_empty()
                && digits.len() <= 3
                && digits.chars().all(|c| c.is_ascii_digit())
                && rest.len() - digits.len() <= 1
        })
    })
}

/// A value of `-arch`/`-code`/`-gencode`: a CUDA architecture or `arch=…,code=…`.
fn is_cuda_arch_value(v: &str) -> bool {
    let v = v.trim_matches(['"', '\'']);
    v.starts_with("arch=")
        || matches!(v, "native" | "all" | "all-major")
        || v.split([',', '=', '[', ']']).any(is_arch_name)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{has, keys};

    #[test]
    fn darwin_arch_is_not_cuda() {
        let f = keys("clang -arch arm64 -o x x.c\n");
        assert!(!f.iter().any(|(k, _)| k == "flag:-arch"));
    }

    #[test]
    fn lineinfo_is_a_flag_not_a_library() {
        let f = keys("nvcc -lineinfo -lcudart k.cu\n");
        assert!(has(&f, "flag:-lineinfo", "-lineinfo"));
        assert!(has(&f, "link-lib:cudart", "-lcudart"));
        assert!(!f.iter().any(|(k, _)| k == "link-lib:ineinfo"));
    }
}
