//! Makefiles: logical lines (backslash continuations), comments, recipe lines (tab-led, or after
//! `;` on a rule line) read with the shell tokenizer, variable assignments (the variable, and
//! its value read as a command line: `NVCC := $(CUDA_PATH)/bin/nvcc`), `define` bodies,
//! `ifdef`/`ifndef`, and `$(NAME)` references everywhere. A recipe's `$(NVCC)` command word is
//! the command the variable's definitions name (`NVCC ?= nvcc`), found at the use.

use super::shell::{self, CommandVars, Flavor};
use super::{Out, basename};
use crate::lang::lexer::is_identifier;
use std::collections::HashMap;

/// Logical lines (backslash continuations joined): (start, end) offsets in the file.
fn logical_lines(text: &str) -> Vec<(usize, usize)> {
    let mut lines_out = Vec::new();
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(first) = lines.next() {
        let start = offset;
        offset += first.len();
        let mut end = offset;
        let mut last = first;
        while last.trim_end_matches(['\n', '\r']).ends_with('\\') {
            match lines.next() {
                Some(next) => {
                    offset += next.len();
                    end = offset;
                    last = next;
                }
                None => break,
            }
        }
        lines_out.push((start, end));
    }
    lines_out
}

/// The Makefile's variables that name a command: each definition's first word (`NVCC ?= nvcc`,
/// `NVCC := $(CUDA_PATH)/bin/nvcc`, `CXX = $(NVCC)` through the variable), as basenames. Every
/// definition counts (conditionals are not evaluated), `+=` and `!=` do not.
fn command_vars(text: &str, lines: &[(usize, usize)]) -> CommandVars {
    let mut raw: HashMap<String, Vec<String>> = HashMap::new();
    let mut in_define = false;
    for &(start, end) in lines {
        let body = text[start..end].trim_end_matches(['\n', '\r']);
        if body.starts_with('\t') {
            continue;
        }
        let trimmed = strip_comment(body).trim_start();
        let word = trimmed.split_whitespace().next().unwrap_or("");
        if in_define {
            in_define = word != "endef";
            continue;
        }
        if word == "define" {
            in_define = true;
            continue;
        }
        let Some((_, name, value_at)) = assignment(trimmed) else {
            continue;
        };
        let op = trimmed[..value_at].trim_end();
        if op.ends_with("+=") || op.ends_with("!=") {
            continue;
        }
        let first = shell::commands(&trimmed[value_at..], 0, Flavor::Make)
            .into_iter()
            .next()
            .and_then(|cmd| cmd.into_iter().next())
            .map(|w| w.value.text);
        if let Some(first) = first {
            let values = raw.entry(name.to_string()).or_default();
            if !values.contains(&first) {
                values.push(first);
            }
        }
    }
    let mut vars = CommandVars::new();
    for name in raw.keys() {
        let mut names = Vec::new();
        resolve(name, &raw, 0, &mut names);
        if !names.is_empty() {
            vars.insert(name.clone(), names);
        }
    }
    vars
}

/// The command basenames a variable's definitions name, through variables (a few levels).
fn resolve(name: &str, raw: &HashMap<String, Vec<String>>, depth: u8, names: &mut Vec<String>) {
    let Some(values) = raw.get(name) else { return };
    for v in values {
        if let Some(inner) = shell::pure_reference(v) {
            if depth < 4 && inner != name {
                resolve(inner, raw, depth + 1, names);
            }
            continue;
        }
        let base = basename(v);
        if !base.is_empty()
            && !base.starts_with(['$', '-'])
            && !base.contains(['(', ')', '{', '}', '='])
            && !names.iter().any(|n| n == base)
        {
            names.push(base.to_string());
        }
    }
}

pub(crate) fn extract(text: &str, out: &mut Out) {
    let lines = logical_lines(text);
    let vars = command_vars(text, &lines);
    let mut in_define = false;
    for (start, end) in lines {
        let logical = &text[start..end];
        let body = logical.trim_end_matches(['\n', '\r']);
        if let Some(recipe) = body.strip_prefix('\t') {
            let lead = recipe.len() - recipe.trim_start_matches(['@', '-', '+', ' ']).len();
            let recipe = &recipe[lead..];
            shell_line(recipe, start + 1 + lead, &vars, out);
            continue;
        }
        let code = strip_comment(body);
        let trimmed = code.trim_start();
        let lead = code.len() - trimmed.len();
        let word = trimmed.split_whitespace().next().unwrap_or("");
        if in_define {
            if word == "endef" {
                in_define = false;
            } else {
                shell_line(body, start, &vars, out);
            }
            continue;
        }
        match word {
            "define" => {
                in_define = true;
                continue;
            }
            "ifdef" | "ifndef" => {
                let name = trimmed[word.len()..].trim();
                if is_identifier(name) {
                    let at = start + lead + trimmed.find(name).unwrap_or(0);
                    shell::env_fact(name, at..at + name.len(), out);
                }
                continue;
            }
            _ => {}
        }
        if let Some((name_at, name, value_at)) = assignment(trimmed) {
            let at = start + lead + name_at;
            shell::env_fact(name, at..at + name.len(), out);
            // The value is read as written, not through the variables (`CXX = $(NVCC)` is found
            // where `$(CXX)` runs, not at the definition too).
            shell_line(
                &trimmed[value_at..],
                start + lead + value_at,
                &CommandVars::new(),
                out,
            );
            continue;
        }
        // A rule line: `targets : prerequisites ; recipe`.
        if let Some(colon) = rule_colon(trimmed) {
            let rest = &trimmed[colon..];
            if let Some(semi) = rest.find(';') {
                refs_only(&trimmed[..colon + semi], start + lead, out);
                let recipe = &rest[semi + 1..];
                shell_line(recipe, start + lead + colon + semi + 1, &vars, out);
            } else {
                refs_only(trimmed, start + lead, out);
            }
            continue;
        }
        refs_only(trimmed, start + lead, out);
    }
}

/// A recipe (or assignment value): shell commands with Make's `$` rules.
fn shell_line(src: &str, base: usize, vars: &CommandVars, out: &mut Out) {
    for cmd in shell::commands(src, base, Flavor::Make) {
        shell::analyze_with(&cmd, out, Some(vars), 0);
    }
}

/// Variable references and flags of a line that is not a command.
fn refs_only(src: &str, base: usize, out: &mut Out) {
    for cmd in shell::commands(src, base, Flavor::Make) {
        for w in &cmd {
            for (name, span) in &w.refs {
                shell::env_fact(name, span.clone(), out);
            }
        }
        shell::flags(&cmd, out);
    }
}

/// Removes a `#` comment (not escaped with `\`).
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1] != b'\\') {
            return &line[..i];
        }
    }
    line
}

/// `[export|override] NAME op value` with op one of `=`, `:=`, `::=`, `:::=`, `?=`, `+=`, `!=`:
/// (offset of NAME, NAME, offset of the value).
fn assignment(line: &str) -> Option<(usize, &str, usize)> {
    let mut at = 0;
    let mut rest = line;
    for prefix in ["export ", "override ", "private "] {
        if let Some(r) = rest.strip_prefix(prefix) {
            let trimmed = r.trim_start();
            at += rest.len() - trimmed.len();
            rest = trimmed;
        }
    }
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    if name.is_empty() {
        return None;
    }
    let after = rest[name_len..].trim_start();
    let op_at = at + name_len + (rest[name_len..].len() - after.len());
    let op_len = ["::=", ":::=", ":=", "?=", "+=", "!=", "="]
        .iter()
        .find(|op| after.starts_with(**op))
        .map(|op| op.len())?;
    Some((at, name, op_at + op_len))
}

/// The `:` of a rule line (not part of `:=`), outside `$(…)`.
fn rule_colon(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut depth = 0usize;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'(' | b'{' => depth += 1,
            b')' | b'}' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && b.get(i + 1) != Some(&b'=') => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    #[test]
    fn makefile_facts() {
        let text = "# NVCC := nvcc in a comment\nCUDA_PATH ?= /usr/local/cuda\nNVCC := $(CUDA_PATH)/bin/nvcc\nGENCODE := -gencode arch=compute_70,code=sm_70 \\\n  -gencode arch=compute_80,code=sm_80\n\nall: k\n\nk: k.cu\n\t@$(NVCC) $(GENCODE) -o $@ $< -lcublas\n\tnvcc --version # nvcc -arch=sm_50\n";
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
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && *b == w);
        assert!(has("env:CUDA_PATH", "CUDA_PATH"), "{f:?}");
        assert!(has("env:CUDA_PATH", "$(CUDA_PATH)"));
        assert!(has("command:nvcc", "$(CUDA_PATH)/bin/nvcc"));
        assert!(has("flag:-gencode", "-gencode arch=compute_80,code=sm_80"));
        assert!(has("link-lib:cublas", "-lcublas"));
        assert!(has("command:nvcc", "nvcc"));
        assert!(
            !f.iter()
                .any(|(k, w)| k == "flag:-arch" || w.contains("comment"))
        );
        // The two definitions… and the use `$(NVCC)` through the variable.
        assert!(has("command:nvcc", "$(NVCC)"));
        assert_eq!(f.iter().filter(|(k, _)| k == "command:nvcc").count(), 3);
    }

    fn keyed(text: &str) -> Vec<(String, String)> {
        let mut out = Out::default();
        extract(text, &mut out);
        out.facts
            .iter()
            .flat_map(|f| {
                let FactKind::Keys(k) = &f.kind else {
                    unreachable!()
                };
                k.iter()
                    .map(|k| (k.clone(), text[f.span.clone()].to_string()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn compiler_variables_followed_to_their_uses() {
        let text = "NVCC ?= nvcc\nCC ?= gcc\nCUDA_PATH ?= /usr/local/cuda\nNVCC2 := $(CUDA_PATH)/bin/nvcc\nCXX = $(NVCC2)\nifeq ($(HIP),1)\nGPUCC = hipcc\nelse\nGPUCC = /usr/local/cuda/bin/nvcc\nendif\nNVCC_FLAGS += -O3\n\nk: k.cu\n\t$(NVCC) -gencode arch=compute_80,code=sm_80 --use_fast_math -Xcompiler -fPIC -o $@ $<\n\tcd x && ${CXX} -arch=sm_80 -c k.cu\n\t@$(GPUCC) -c k.cu\n\t$(CC) -O2 -c main.c\n\t$(UNDEFINED) -c k.cu\n";
        let f = keyed(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("command:nvcc", "$(NVCC)"), "{f:?}");
        assert!(has("command:nvcc", "${CXX}"));
        assert!(has("command:nvcc", "$(GPUCC)"));
        assert!(has("command:hipcc", "$(GPUCC)"));
        assert!(has("command:gcc", "$(CC)"));
        assert!(has("flag:-gencode", "-gencode arch=compute_80,code=sm_80"));
        assert!(has("flag:--use_fast_math", "--use_fast_math"));
        assert!(has("flag:-Xcompiler", "-Xcompiler"));
        assert!(has("flag:-arch", "-arch=sm_80"));
        assert!(
            !f.iter()
                .any(|(k, w)| k.starts_with("command:") && w == "$(UNDEFINED)")
        );
        // Definitions: `nvcc` at `NVCC ?= nvcc` and the two paths, not at `CXX = $(NVCC2)`.
        assert_eq!(
            f.iter().filter(|(k, _)| k == "command:nvcc").count(),
            6,
            "{f:?}"
        );
    }
}
