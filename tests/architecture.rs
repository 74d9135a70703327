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
    "compare",
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
