//! Dockerfiles and Containerfiles: instructions with their continuation lines (and the `escape`
//! parser directive), comment lines inside instructions, here-documents, `ARG` defaults
//! substituted into `FROM`, build stages.
//!
//! Facts: base images (`FROM nvidia/cuda:…`, `COPY --from=nvcr.io/…`), variables set with `ENV`
//! and `ARG` (`NVIDIA_VISIBLE_DEVICES`), and everything the shell reader finds in `RUN`, `CMD`
//! and `ENTRYPOINT` (apt and pip installs, nvcc, flags), in shell or exec form.

use super::shell::{self, Flavor, Word};
use super::{Mapped, Out, image_key};
use crate::lang::lexer::is_identifier;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

struct Instruction {
    keyword: String,
    /// The arguments' text with comment and empty continuation lines blanked (same length as
    /// the file slice, so offsets hold) and its file offset.
    args: String,
    args_at: usize,
    /// Here-document bodies that follow the instruction: (delimiter, body, body offset).
    heredocs: Vec<(String, Range<usize>)>,
}

pub(crate) fn extract(text: &str, out: &mut Out) {
    let escape = escape_char(text);
    let mut args_defaults: HashMap<String, String> = HashMap::new();
    let mut stages: HashSet<String> = HashSet::new();
    for ins in instructions(text, escape) {
        match ins.keyword.as_str() {
            "FROM" => from(&ins, &args_defaults, &mut stages, out),
            "ARG" => {
                for w in words(&ins) {
                    let v = w.value.text.as_str();
                    let (name, default) = v.split_once('=').unwrap_or((v, ""));
                    if is_identifier(name) {
                        let at = w.value.offset(0);
                        shell::env_fact(name, at..at + name.len(), out);
                        args_defaults
                            .entry(name.to_string())
                            .or_insert_with(|| default.to_string());
                    }
                }
            }
            "ENV" => {
                let ws = words(&ins);
                let pairs = ws.first().is_some_and(|w| w.value.text.contains('='));
                for (k, w) in ws.iter().enumerate() {
                    for (name, span) in &w.refs {
                        shell::env_fact(name, span.clone(), out);
                    }
                    let v = w.value.text.as_str();
                    let name = if pairs {
                        v.split_once('=').map(|(n, _)| n)
                    } else {
                        (k == 0).then_some(v)
                    };
                    if let Some(name) = name.filter(|n| is_identifier(n)) {
                        let at = w.value.offset(0);
                        shell::env_fact(name, at..at + name.len(), out);
                    }
                }
            }
            "RUN" | "CMD" | "ENTRYPOINT" => run(&ins, text, out),
            "COPY" | "ADD" => {
                for w in words(&ins) {
                    let v = &w.value.text;
                    if let Some(image) = v.strip_prefix("--from=") {
                        if !stages.contains(&image.to_ascii_lowercase())
                            && image.contains(['/', ':'])
                        {
                            let at = w.value.offset("--from=".len());
                            out.entry(image, at..at + image.len(), vec![image_key(image)]);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The `# escape=` parser directive (default `\`).
fn escape_char(text: &str) -> char {
    for line in text.lines() {
        let t = line.trim();
        let Some(directive) = t.strip_prefix('#') else {
            break;
        };
        if let Some((k, v)) = directive.split_once('=') {
            if k.trim().eq_ignore_ascii_case("escape") {
                return v.trim().chars().next().unwrap_or('\\');
            }
        } else {
            break;
        }
    }
    '\\'
}

fn instructions(text: &str, escape: char) -> Vec<Instruction> {
    let mut result = Vec::new();
    let lines: Vec<(usize, &str)> = {
        let mut offset = 0;
        text.split_inclusive('\n')
            .map(|l| {
                let at = offset;
                offset += l.len();
                (at, l)
            })
            .collect()
    };
    let mut i = 0;
    while i < lines.len() {
        let (at, line) = lines[i];
        let body = line.trim_end_matches(['\n', '\r']);
        let t = body.trim_start();
        i += 1;
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let lead = body.len() - t.len();
        let kw_len = t.find(char::is_whitespace).unwrap_or(t.len());
        let keyword = t[..kw_len].to_ascii_uppercase();
        let args_at = at + lead + kw_len;
        let mut args = String::from(&text[args_at..at + line.len()]);
        let mut continues = body.trim_end().ends_with(escape);
        while continues && i < lines.len() {
            let (_, next) = lines[i];
            i += 1;
            let nb = next.trim_end_matches(['\n', '\r']);
            let nt = nb.trim_start();
            if nt.is_empty() || nt.starts_with('#') {
                // Docker drops these lines inside an instruction.
                args.push_str(&" ".repeat(next.len()));
                continue;
            }
            args.push_str(next);
            continues = nb.trim_end().ends_with(escape);
        }
        // Here-documents: `<<EOF`, `<<-EOF`, `<<"EOF"`.
        let mut heredocs = Vec::new();
        for delim in heredoc_delimiters(&args) {
            let start = lines.get(i).map_or(text.len(), |l| l.0);
            let mut end = text.len();
            while i < lines.len() {
                let (lat, l) = lines[i];
                i += 1;
                if l.trim_end_matches(['\n', '\r']).trim_start_matches('\t') == delim {
                    end = lat;
                    break;
                }
            }
            heredocs.push((delim, start..end));
        }
        result.push(Instruction {
            keyword,
            args,
            args_at,
            heredocs,
        });
    }
    result
}

fn heredoc_delimiters(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(p) = rest.find("<<") {
        let after = &rest[p + 2..];
        let after = after.strip_prefix('-').unwrap_or(after);
        let word: String = after
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            out.push(word);
        }
        rest = &rest[p + 2..];
    }
    out
}

/// The instruction's words (shell rules: quotes, escapes).
fn words(ins: &Instruction) -> Vec<Word> {
    shell::commands(&ins.args, ins.args_at, Flavor::Shell)
        .into_iter()
        .flatten()
        .collect()
}

/// `${NAME}`, `${NAME:-default}` and `$NAME` replaced by `ARG` defaults.
fn substitute(s: &str, args: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let (name, default, used) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(e) => {
                    let body = &inner[..e];
                    let (n, d) = body
                        .split_once(":-")
                        .or_else(|| body.split_once('-'))
                        .unwrap_or((body, ""));
                    (n, d, e + 2)
                }
                None => (after, "", after.len()),
            }
        } else {
            let e = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..e], "", e)
        };
        match args.get(name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(v),
            None if !default.is_empty() => out.push_str(default),
            None => out.push_str(&rest[p..p + 1 + used]),
        }
        rest = &after[used..];
    }
    out.push_str(rest);
    out
}

fn from(
    ins: &Instruction,
    args: &HashMap<String, String>,
    stages: &mut HashSet<String>,
    out: &mut Out,
) {
    let ws = words(ins);
    let mut it = ws.iter().filter(|w| !w.value.text.starts_with("--"));
    let Some(image) = it.next() else { return };
    if let (Some(kw), Some(name)) = (it.next(), it.next()) {
        if kw.value.text.eq_ignore_ascii_case("as") {
            stages.insert(name.value.text.to_ascii_lowercase());
        }
    }
    let written = image.value.text.as_str();
    let resolved = substitute(written, args);
    if resolved.eq_ignore_ascii_case("scratch") || stages.contains(&resolved.to_ascii_lowercase()) {
        return;
    }
    let detail = (resolved != written).then(|| format!("`{written}` with its ARG defaults"));
    out.entry_with(
        &resolved,
        image.raw.clone(),
        vec![image_key(&resolved)],
        detail,
    );
}

fn run(ins: &Instruction, text: &str, out: &mut Out) {
    let trimmed = ins.args.trim_start();
    let lead = ins.args.len() - trimmed.len();
    if trimmed.starts_with('[') {
        exec_form(trimmed, ins.args_at + lead, out);
    } else {
        let mut commands = shell::commands(&ins.args, ins.args_at, Flavor::Shell);
        if let Some(first) = commands.first_mut() {
            // `RUN --mount=… --network=… cmd`
            let flags = first
                .iter()
                .take_while(|w| w.value.text.starts_with("--"))
                .count();
            first.drain(..flags);
        }
        for cmd in &commands {
            shell::analyze(cmd, out);
        }
    }
    // A here-document is the script itself when the instruction runs nothing else, or feeds a
    // shell.
    let runs_shell = {
        let before = ins.args.split("<<").next().unwrap_or("").trim();
        let last = before.split_whitespace().last().unwrap_or("");
        before.split_whitespace().all(|w| w.starts_with("--"))
            || matches!(super::basename(last), "sh" | "bash" | "dash" | "zsh")
    };
    if runs_shell {
        for (_, body) in &ins.heredocs {
            shell::extract_script(&text[body.clone()], body.start, out);
        }
    }
}

/// `["/bin/sh", "-c", "script"]` or `["nvidia-smi", "-L"]`.
fn exec_form(src: &str, base: usize, out: &mut Out) {
    let mut items: Vec<Mapped> = Vec::new();
    let b = src.as_bytes();
    let mut i = 1;
    while i < b.len() && b[i] != b']' {
        if b[i] == b'"' {
            let s = i + 1;
            let mut m = Mapped::default();
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    // The escaped character may take several bytes.
                    let n = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    let ch = match b[i + 1] {
                        b'n' => "\n",
                        b't' => "\t",
                        _ => &src[i + 1..i + 1 + n],
                    };
                    m.push_at(ch, base + i);
                    i += 1 + n;
                } else {
                    let n = src[i..].chars().next().map_or(1, char::len_utf8);
                    m.push_str(&src[i..i + n], base + i);
                    i += n;
                }
            }
            let _ = s;
            items.push(m);
        }
        i += 1;
    }
    let Some(first) = items.first() else { return };
    let shell_name = super::basename(&first.text);
    if matches!(shell_name, "sh" | "bash" | "dash" | "zsh")
        && items.get(1).is_some_and(|a| a.text == "-c")
    {
        if let Some(script) = items.get(2) {
            let start = script.offset(0);
            let verbatim = script.span(0..script.text.len()).len() == script.text.len();
            if verbatim {
                shell::extract_script(&script.text, start, out);
            }
        }
        return;
    }
    let words: Vec<Word> = items
        .iter()
        .map(|m| Word {
            raw: m.span(0..m.text.len()),
            value: m.clone(),
            refs: Vec::new(),
        })
        .collect();
    shell::analyze(&words, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    fn facts(text: &str) -> Vec<(String, String)> {
        let mut out = Out::default();
        extract(text, &mut out);
        out.facts
            .into_iter()
            .map(|f| {
                let FactKind::Keys(k) = f.kind else {
                    unreachable!()
                };
                (k[0].clone(), text[f.span].to_string())
            })
            .collect()
    }

    #[test]
    fn images_env_and_run() {
        let text = "# syntax=docker/dockerfile:1\nARG CUDA=12.4.1\nFROM nvidia/cuda:${CUDA}-devel-ubuntu22.04 AS build\n# FROM nvcr.io/nvidia/pytorch:24.01-py3\nENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility\nRUN apt-get update && apt-get install -y \\\n    # the toolkit\n    cuda-nvcc-12-4 \\\n    libnccl2 && \\\n    pip install cupy-cuda12x\nRUN <<EOF\nnvcc --version\nEOF\nFROM build AS final\nCOPY --from=nvcr.io/nvidia/tritonserver:24.01-py3 /opt/tritonserver /opt/tritonserver\nCMD [\"nvidia-smi\", \"-L\"]\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(
            has(
                "image:nvidia/cuda:12.4.1-devel-ubuntu22.04",
                "nvidia/cuda:${CUDA}-devel-ubuntu22.04"
            ),
            "{f:?}"
        );
        assert!(has("env:NVIDIA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"));
        assert!(has(
            "env:NVIDIA_DRIVER_CAPABILITIES",
            "NVIDIA_DRIVER_CAPABILITIES"
        ));
        assert!(has("os-package:cuda-nvcc-12-4", "cuda-nvcc-12-4"));
        assert!(has("os-package:libnccl2", "libnccl2"));
        assert!(has("pip:cupy-cuda12x", "cupy-cuda12x"));
        assert!(has("command:nvcc", "nvcc"));
        assert!(has(
            "image:nvcr.io/nvidia/tritonserver:24.01-py3",
            "nvcr.io/nvidia/tritonserver:24.01-py3"
        ));
        assert!(
            has("command:nvidia-smi", "\"nvidia-smi\"") || has("command:nvidia-smi", "nvidia-smi"),
            "{f:?}"
        );
        assert!(!f.iter().any(|(k, _)| k.contains("pytorch")));
        assert!(!f.iter().any(|(k, _)| k == "image:build"));
    }
}
