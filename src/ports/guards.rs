//! Conditionals with a ROCm branch: whether a branch is a stub (no implementation, only an
//! error or a constant), whether its directive compares an architecture version, and the ROCm
//! path ([`guard_for`]) an enclosing conditional gives a finding.

use super::FilePorts;
use std::collections::BTreeSet;

/// Whether a directive line compares a macro with a number (`__CUDA_ARCH__ >= 900`,
/// `(__CUDA_ARCH__ == 1200)`, `800 <= __CUDA_ARCH__`).
pub(super) fn compares_version(directive: &str) -> bool {
    let code = strip_comments(directive);
    [
        "__CUDA_ARCH__",
        "__CUDA_ARCH_SPECIFIC__",
        "__CUDA_ARCH_FAMILY_SPECIFIC__",
    ]
    .iter()
    .any(|m| {
        code.match_indices(m).any(|(i, _)| {
            let after = code[i + m.len()..].trim_start_matches([' ', ')', '\t']);
            let before = code[..i].trim_end_matches([' ', '(', '\t']);
            ["<", ">", "==", "!=", "<=", ">="]
                .iter()
                .any(|op| after.starts_with(op) || before.ends_with(op))
        })
    })
}

/// `text` without `//` and `/* */` comments (string literals kept: an error message is what marks
/// a stub). Approximate where a comment marker sits inside a string, which only ever drops text.
pub(super) fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('/') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if after.starts_with("//") {
            rest = after.find('\n').map_or("", |n| &after[n..]);
        } else if let Some(comment) = after.strip_prefix("/*") {
            rest = comment.find("*/").map_or("", |e| &comment[e + 2..]);
        } else {
            out.push('/');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether a branch body (the text after its directive line) is a stub: empty, or at most a few
/// lines one of which stops with an error.
pub(super) fn is_stub(body: &str) -> bool {
    const MARKERS: &[&str] = &[
        "__trap",
        "trap;",
        "INVALID",
        "assert(",
        "printf(",
        "abort(",
        "#error",
        "__builtin_unreachable",
        "throw ",
        "not supported",
        "NOT_SUPPORTED",
        "not implemented",
        "NOT_IMPLEMENTED",
        "only supports",
    ];
    let stripped = strip_comments(body);
    let code: Vec<&str> = stripped
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if code.is_empty() {
        return true;
    }
    // More PTX is no ROCm path; nor is a short branch that only returns a constant (a host
    // stub such as `return 0;` or `return {0, 0, 0};`, which a device pass would run as is).
    let ptx = code
        .iter()
        .any(|l| l.starts_with("asm") || l.contains(" asm(") || l.contains(" asm volatile"));
    let constant_return = code.len() <= 3
        && code.iter().any(|l| {
            l.strip_prefix("return").is_some_and(|v| {
                let v = v.trim().trim_end_matches(';').trim();
                v.is_empty()
                    || v.chars()
                        .all(|c| c.is_ascii_digit() || "{}, .-".contains(c))
                    || matches!(v, "true" | "false" | "nullptr")
            })
        });
    ptx || constant_return
        || (code.len() <= 6 && code.iter().any(|l| MARKERS.iter().any(|m| l.contains(m))))
}

/// The ROCm path a finding on `line` already has, if an enclosing conditional has one: the
/// finding sits in a non-ROCm branch of a chain with a ROCm branch, or in the ROCm branch itself.
pub(super) fn guard_for(
    file: &FilePorts,
    line: usize,
    is_rocm: &dyn Fn(&str) -> bool,
    is_cuda_arch: &dyn Fn(&str) -> bool,
    seen: &mut BTreeSet<String>,
) -> Option<String> {
    for chain in &file.chains {
        let Some(at) = chain.iter().position(|b| b.start <= line && line < b.end) else {
            continue;
        };
        // Each branch's sense: Some(true) taken on ROCm builds, Some(false) taken elsewhere.
        let mut senses: Vec<Option<bool>> = Vec::with_capacity(chain.len());
        for b in chain {
            let rocm_idents: Vec<(&String, bool)> = b
                .idents
                .iter()
                .zip(b.negated.iter().copied())
                .filter(|(i, _)| is_rocm(i))
                .collect();
            // `#if __CUDA_ARCH__ >= 900`: only NVIDIA's device compilation takes it (HIP does not
            // define the macro), so a later `#else`/`#elif` is the path HIP compiles.
            let cuda_arch_only = !b.is_else
                && b.compares_version
                && b.idents
                    .iter()
                    .zip(b.negated.iter())
                    .any(|(i, negated)| !negated && is_cuda_arch(i))
                && b.idents.iter().all(|i| is_cuda_arch(i) || !is_rocm(i));
            let sense = if !rocm_idents.is_empty() {
                seen.extend(rocm_idents.iter().map(|(i, _)| (*i).clone()));
                // Taken on ROCm builds unless every ROCm macro is negated
                // (`#if !defined(GGML_USE_HIP) && !defined(GGML_USE_MUSA)` is the CUDA-only side).
                Some(rocm_idents.iter().any(|(_, negated)| !negated))
            } else if cuda_arch_only || senses.contains(&Some(true)) {
                Some(false)
            } else if b.is_else && senses.contains(&Some(false)) {
                Some(true)
            } else {
                None
            };
            senses.push(sense);
        }
        // The branch ROCm takes must hold an implementation: an `#else` that only reports
        // "this kernel only supports sm90" is no ROCm path.
        let Some(rocm_branch) = senses
            .iter()
            .zip(chain)
            .position(|(s, b)| *s == Some(true) && !b.stub)
        else {
            continue;
        };
        // The finding sits in the ROCm branch or in a sibling of it: either way the code has a
        // ROCm path (`at` is a branch of this chain).
        debug_assert!(at < chain.len());
        let b = &chain[rocm_branch];
        let directive = if b.is_else {
            "#else".to_string()
        } else {
            format!("#if {}", b.idents.join(" "))
        };
        return Some(format!("ROCm branch `{directive}` at line {}", b.start));
    }
    None
}

#[cfg(test)]
mod stub_tests {
    use super::*;

    #[test]
    fn stubs_are_empty_or_stop_with_an_error() {
        assert!(is_stub(""));
        assert!(is_stub("  // nothing here\n"));
        assert!(is_stub(
            "    if (cute::thread0()) {\n        CUTE_INVALID_CONTROL_PATH(\"This kernel only supports sm90\");\n    }\n"
        ));
        assert!(is_stub("  __trap();\n"));
        assert!(!is_stub("    return exp2f(x);\n"));
        assert!(is_stub("  return 0;\n"));
        assert!(is_stub("  return {0, 0, 0};\n"));
        assert!(is_stub(
            "  asm volatile(\"st.global.cg.u32 [%0], %1;\" :: \"l\"(p), \"r\"(v));\n"
        ));
        assert!(compares_version("#if __CUDA_ARCH__ >= 900"));
        assert!(compares_version(
            "#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ == 1200)"
        ));
        assert!(compares_version("#if 800 <= __CUDA_ARCH__"));
        assert!(!compares_version("#ifdef __CUDA_ARCH__"));
        assert!(!compares_version(
            "#if defined(__CUDA_ARCH__) // >= 900 below"
        ));
        assert!(!is_stub(
            "  float a = x;\n  float b = a * 2;\n  float c = b + 1;\n  float d = c;\n  float e = d;\n  assert(e > 0);\n  return e;\n"
        ));
        assert_eq!(strip_comments("a /* b */ c // d\ne"), "a  c \ne");
    }
}
