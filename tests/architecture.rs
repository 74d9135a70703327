//! The shape of the code (docs/architecture.md): every top-level module has a place in one order,
//! from the foundations up to the command line, and imports only modules below it — so there is
//! no import cycle and no import up a layer. A new module must be given its place here.

use crate::common::repo_root;
use std::collections::BTreeMap;
use std::path::Path;

/// Bottom to top. A module may use `crate::X` only for an X earlier in this list.
const LAYERS: &[&str] = &[
    // Foundations: no domain knowledge.
    "error",
    "hash",
    "timings",
    "progress",
    "output",
    "codec",
    "source",
    "portability",
    "note",
    "diff",
    "provenance",
    // Reading files: language front ends, the walk, the rule data.
    "lang",
    "walk",
    "rule",
    // One file: findings, matching, suppressions.
    "finding",
    "matcher",
    "suppress",
    // Facts across files and their models.
    "score",
    "breakdown",
    "baseline",
    "project",
    "ports",
    "prefilter",
    // The per-file analysis, its cache, the gate, and what a scan produces.
    "analysis",
    "cache",
    "gate",
    "audit",
    "scan",
    // Options from the command line and the configuration, resolved into a scan's settings.
    "options",
    "config",
    // Reading an audit.
    "summary",
    "report",
    "report_file",
    "compare",
    "merge",
    // A porting plan: read from an audit, rendered with the reports' helpers.
    "plan",
    // The history of a repository: a scan per commit, and its reports.
    "history",
    // The command line.
    "cli",
];

/// Non-test source of a file: `#[cfg(test)]` modules and comment lines removed.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            // The test module runs to the end of the file in this code base's style.
            if lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("mod "))
            {
                break;
            }
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The top-level module a source file belongs to (`scan/merge.rs` → `scan`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::NAME` uses in `code`.
fn crate_uses(code: &str) -> Vec<String> {
    let mut uses = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        // `$crate::` in a macro is this crate too; `foo_crate::` is not ours.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            uses.push(name);
        }
    }
    uses
}

#[test]
fn every_module_imports_only_the_layers_below_it() {
    let src = repo_root().join("src");
    let rank: BTreeMap<&str, usize> = LAYERS.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(&own) = rank.get(module.as_str()) else {
            problems.push(format!(
                "{}: module `{module}` has no place in LAYERS (tests/architecture.rs)",
                file.display()
            ));
            continue;
        };
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for used in crate_uses(&code) {
            if used == module {
                continue;
            }
            match rank.get(used.as_str()) {
                Some(&r) if r < own => {}
                Some(_) => problems.push(format!(
                    "{}: `{module}` uses `crate::{used}`, which is not below it",
                    file.strip_prefix(&src).unwrap().display()
                )),
                // Items re-exported at the crate root (`crate::Audit`) are fine only from above.
                None => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_can_fail() {
    assert_eq!(
        crate_uses("use crate::scan::Audit; $crate::codec::Enc; other_crate::x; crate::cli"),
        ["scan", "codec", "cli"]
    );
    assert_eq!(
        code_of("a\n// crate::cli\n#[cfg(test)]\nmod tests {\ncrate::cli\n}\n"),
        "a\n"
    );
}

/// Offsets of each `{` and its matching `}` in Rust source, skipping comments, strings, raw
/// strings and character literals.
fn brace_pairs(src: &str) -> std::collections::HashMap<usize, usize> {
    let b = src.as_bytes();
    let (mut i, mut stack, mut pairs) = (0, Vec::new(), std::collections::HashMap::new());
    let ident = |j: usize| j > 0 && (b[j - 1].is_ascii_alphanumeric() || b[j - 1] == b'_');
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            b'r' if !ident(i) && matches!(b.get(i + 1), Some(b'"' | b'#')) => {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                i = src[start..]
                    .find(&close)
                    .map_or(b.len(), |n| start + n + close.len());
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            // A character literal (`'{'`, `'\''`), not a lifetime (`'a`).
            b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' => {
                stack.push(i);
                i += 1;
            }
            b'}' => {
                if let Some(open) = stack.pop() {
                    pairs.insert(open, i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    pairs
}

/// `(name, lines)` of every function in `code`: its `fn` line to its closing brace.
fn function_lengths(code: &str) -> Vec<(String, usize)> {
    let pairs = brace_pairs(code);
    let line_of = |offset: usize| code[..offset].matches('\n').count();
    let mut out = Vec::new();
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "fn") {
            let qualifiers_only = words[..at].iter().all(|w| {
                *w == "pub" || w.starts_with("pub(") || matches!(*w, "const" | "async" | "unsafe")
            });
            let name: String = words
                .get(at + 1)
                .map(|w| {
                    w.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect()
                })
                .unwrap_or_default();
            if qualifiers_only && !name.is_empty() {
                // The body: the first `{` after the signature, unless a `;` ends it first.
                let rest = &code[offset..];
                let brace = rest.find('{');
                let semi = rest.find(';');
                if let Some(open) = brace.filter(|&o| semi.is_none_or(|s| o < s)) {
                    if let Some(&close) = pairs.get(&(offset + open)) {
                        out.push((name, line_of(close) - line_of(offset) + 1));
                    }
                }
            }
        }
        offset += line.len();
    }
    out
}

/// Modules stay readable: at most 800 lines of code outside their tests, functions at most 120.
#[test]
fn modules_and_functions_stay_small() {
    let src = repo_root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // The code before the file's test module (comments count: they are part of reading it).
        let code = match text.find("#[cfg(test)]\nmod ") {
            Some(at) => &text[..at],
            None => &text,
        };
        let rel = file.strip_prefix(&src).unwrap().display().to_string();
        let lines = code.lines().count();
        if lines > 800 {
            problems.push(format!("{rel}: {lines} lines (at most 800 outside tests)"));
        }
        for (name, len) in function_lengths(code) {
            if len > 120 {
                problems.push(format!("{rel}: fn {name} is {len} lines (at most 120)"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn function_lengths_skip_braces_in_strings_and_comments() {
    let code = "fn a() {\n  let s = \"}\"; // }\n  let r = r#\"}\"#;\n  let c = '}';\n}\nfn b<'x>(v: &'x str) {\n}\n";
    assert_eq!(
        function_lengths(code),
        [("a".to_string(), 5), ("b".to_string(), 2)]
    );
}
