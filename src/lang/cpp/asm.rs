//! Inline assembly: `asm(…)` counts in `.cu` files, in device functions, and wherever its
//! template looks like PTX (not x86, Arm or RISC-V); the detail names its first instruction.

use super::Walker;
use crate::lang::FactKind;
use crate::lang::node_names::NodeNames;
use tree_sitter::Node;

impl Walker<'_> {
    pub(super) fn inline_asm(&mut self, node: Node) {
        let template: String = node
            .field("assembly_code")
            .map(|code| string_contents(code, self.text))
            .unwrap_or_default();
        if self.cuda_file || in_device_function(node, self.text) || looks_like_ptx(&template) {
            let keyword = node
                .child(0)
                .map_or(node.start_byte()..node.start_byte() + 3, |k| k.byte_range());
            let text = &self.text[keyword.clone()];
            self.push(FactKind::InlineAsm, text, keyword, ptx_mnemonic(&template));
        }
    }
}

/// The text inside a (possibly concatenated) string literal, quotes removed.
fn string_contents(node: Node, text: &str) -> String {
    let mut out = String::new();
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind_name() == "string_content" || n.kind_name() == "escape_sequence" {
            out.push_str(&text[n.byte_range()]);
            continue;
        }
        let children: Vec<Node> = n.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// Whether `node` sits inside a function marked `__device__` or `__global__`.
fn in_device_function(node: Node, text: &str) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.kind_name() == "function_definition" {
            let mut cursor = n.walk();
            return n
                .children(&mut cursor)
                .any(|c| matches!(&text[c.byte_range()], "__device__" | "__global__"));
        }
        current = n.parent();
    }
    false
}

/// PTX instructions carry dotted type suffixes (`mov.u32`, `ld.global.nc`, `mma.sync`) and PTX
/// blocks open with `{` or a `.reg` directive; x86 and Arm mnemonics do neither.
pub fn looks_like_ptx(template: &str) -> bool {
    let t = template.trim_start_matches(|c: char| c.is_whitespace() || c == '{');
    if [".reg", ".shared", ".local", ".pragma"]
        .iter()
        .any(|d| t.starts_with(d))
    {
        return true;
    }
    let word: &str = t
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("");
    let word = word.trim_start_matches('@');
    let mut parts = word.split('.');
    let opcode = parts.next().unwrap_or("");
    // RISC-V (`fadd.s`, `amoadd.w.aq`, `vle32.v`) also has dotted mnemonics; PTX's suffixes are
    // its own vocabulary of types, state spaces and qualifiers.
    !opcode.is_empty()
        && opcode.starts_with(|c: char| c.is_ascii_alphabetic())
        && parts.any(is_ptx_suffix)
}

/// A suffix of a PTX instruction: a type, state space, synchronisation, rounding or cache
/// qualifier, or an MMA shape (`m16n8k16`).
fn is_ptx_suffix(suffix: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "f16", "f16x2", "bf16", "bf16x2",
        "f32", "f64", "b8", "b16", "b32", "b64", "b128", "pred", "tf32", "e4m3", "e5m2", "e4m3x2",
        "e5m2x2", "global", "shared", "local", "const", "param", "generic", "cta", "gpu", "sys",
        "cluster", "sync", "aligned", "approx", "ftz", "sat", "full", "rn", "rz", "rm", "rp",
        "rni", "rzi", "rmi", "rpi", "nc", "ca", "cg", "cs", "lu", "cv", "wb", "wt", "L1", "L2",
        "hi", "lo", "wide", "uni", "volatile", "relaxed", "acquire", "release", "acq_rel", "async",
        "bulk", "row", "col", "trans", "x1", "x2", "x4", "v2", "v4", "v8", "b1", "down", "up",
        "bfly", "idx", "any", "all", "ballot",
    ];
    SUFFIXES.contains(&suffix) || {
        // m16n8k16-style MMA shapes.
        let b = suffix.as_bytes();
        b.first() == Some(&b'm')
            && suffix.contains('n')
            && suffix.contains('k')
            && b.get(1).is_some_and(u8::is_ascii_digit)
    }
}

/// The first PTX instruction of an inline-asm template, for the finding's detail.
pub(super) fn ptx_mnemonic(template: &str) -> Option<String> {
    first_instruction(template).map(|m| format!("PTX `{m}`"))
}

fn first_instruction(template: &str) -> Option<String> {
    template
        .split(['\n', ';'])
        .flat_map(|stmt| stmt.split("\\n"))
        .map(|s| s.trim().trim_start_matches('{').trim())
        .find(|s| !s.is_empty() && !s.starts_with('.') && !s.starts_with("//"))
        .and_then(|s| s.split_whitespace().next())
        .map(|w| w.trim_start_matches('@').to_string())
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptx_shapes() {
        assert!(looks_like_ptx("mov.u32 %0, %%laneid;"));
        assert!(looks_like_ptx("{ .reg .pred p; setp.ne.b32 p, %1, 0; }"));
        assert!(looks_like_ptx("  ld.global.nc.v4.f32 {%0,%1,%2,%3}, [%4];"));
        assert!(!looks_like_ptx("movl %%eax, %0"));
        assert!(!looks_like_ptx("cpuid"));
        assert!(!looks_like_ptx("pause"));
        // RISC-V and other dotted ISAs are not PTX.
        assert!(!looks_like_ptx("flw.ps f0, 0(%0)"));
        assert!(!looks_like_ptx("amoadd.w.aq %0, %1, (%2)"));
        assert!(!looks_like_ptx("vle32.v v0, (%0)"));
        assert!(looks_like_ptx(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0}, {%1}, {%2}, {%3};"
        ));
        assert!(looks_like_ptx("shfl.sync.bfly.b32 %0, %1, %2, %3, %4;"));
        assert!(looks_like_ptx("cp.async.cg.shared.global [%0], [%1], 16;"));
    }

    #[test]
    fn mnemonic() {
        assert_eq!(
            first_instruction("mov.u32 %0, %%laneid;").as_deref(),
            Some("mov.u32")
        );
        assert_eq!(
            first_instruction("{ .reg .pred p;\\n setp.ne.b32 p, %1, 0; }").as_deref(),
            Some("setp.ne.b32")
        );
    }
}
