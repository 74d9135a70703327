//! Bad input never crashes the scan and never vanishes: each is skipped or warned about, and
//! counted. Malformed rule files stop the run with exit 2 and a pointed error.

use crate::common::{audit_dir, fixture, run_in, stderr, stdout};
use std::fs;

#[test]
fn bad_files_are_counted_and_the_scan_goes_on() {
    let audit = audit_dir(&fixture("bad"));
    let skipped: Vec<(&str, &str)> = audit
        .files
        .skipped
        .iter()
        .map(|n| (n.path.as_str(), n.reason))
        .collect();
    assert!(skipped.contains(&("binary.cu", "binary")), "{skipped:?}");
    assert!(skipped.contains(&("empty.cu", "empty")), "{skipped:?}");
    let warnings: Vec<(&str, &str)> = audit
        .files
        .warnings
        .iter()
        .map(|n| (n.path.as_str(), n.reason))
        .collect();
    assert_eq!(warnings, [("invalid_utf8.cu", "invalid-utf8")]);
    // The file with a stray byte is still scanned: its kernel, call and launch are all found.
    let symbols: Vec<&str> = audit
        .findings
        .iter()
        .filter(|f| f.path == "invalid_utf8.cu")
        .map(|f| f.symbol.as_str())
        .collect();
    for s in ["__global__", "cudaMalloc", "<<<>>>"] {
        assert!(symbols.contains(&s), "{s} missing from {symbols:?}");
    }
}

#[test]
fn oversized_files_are_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("big.cu"),
        format!(
            "void f() {{ cudaMalloc(0, 0); }}\n{}",
            "// pad\n".repeat(100)
        ),
    )
    .unwrap();
    fs::write(dir.path().join("small.cu"), "void f() { cudaFree(0); }\n").unwrap();
    let out = run_in(dir.path(), &["--format", "json", "--max-file-size", "100"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["files"]["skipped_by_reason"]["too-large"], 1);
    assert_eq!(v["files"]["skipped"][0]["path"], "big.cu");
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn symlinks_broken_looping_and_escaping_are_counted() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("secret.cu"),
        "void f() { cudaMalloc(0, 0); }\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("ok.cu"), "void f() { cudaFree(0); }\n").unwrap();
    symlink(root.join("missing.cu"), root.join("broken.cu")).unwrap();
    symlink(root.join("loop.cu"), root.join("loop.cu")).unwrap();
    symlink(outside.path().join("secret.cu"), root.join("escape.cu")).unwrap();
    symlink(outside.path(), root.join("escape_dir")).unwrap();
    let audit = crate::common::audit_dir(root);
    let mut reasons: Vec<(&str, &str)> = audit
        .files
        .skipped
        .iter()
        .map(|n| (n.path.as_str(), n.reason))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            ("broken.cu", "broken-symlink"),
            ("escape.cu", "symlink-outside-root"),
            ("escape_dir", "symlink-outside-root"),
            ("loop.cu", "symlink-loop")
        ]
    );
    assert_eq!(audit.files.scanned, 1);
    assert!(audit.findings.iter().all(|f| f.path == "ok.cu"));
}

#[test]
fn malformed_rules_file_exits_2_pointing_at_the_line() {
    let out = run_in(
        &fixture("negatives"),
        &["--rules", fixture("bad/rules").to_str().unwrap(), "."],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("malformed.toml"), "{err}");
    assert!(err.contains("4 │"), "error should show line 4:\n{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn invalid_rule_values_are_pointed_at() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    fs::create_dir(&rules).unwrap();
    fs::write(
        rules.join("r.toml"),
        "[[rule]]\nid = \"my-rule\"\ntitle = \"t\"\ncategory = \"kernel\"\nlibrary = \"x\"\nhelp = \"h\"\n[rule.match]\nnames = [\"myCudaThing\"]\n[rule.portability]\nrocm = { effort = \"sometimes\" }\nneuron = { effort = \"none\" }\ntpu = { effort = \"none\" }\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["--rules", "rules", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("sometimes") && err.contains("10 │"), "{err}");
}

#[test]
fn user_rules_add_findings() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("rules")).unwrap();
    fs::write(
        dir.path().join("rules/mine.toml"),
        "[[rule]]\nid = \"my-launcher\"\ntitle = \"Our CUDA launcher wrapper\"\ncategory = \"kernel\"\nlibrary = \"ours\"\nhelp = \"Wraps <<<>>>.\"\n[rule.match]\nnames = [\"launchOnGpu\"]\n[rule.portability]\nrocm = { effort = \"automatic\" }\nneuron = { effort = \"rewrite\" }\ntpu = { effort = \"rewrite\" }\n",
    )
    .unwrap();
    fs::write(dir.path().join("a.cpp"), "void f() { launchOnGpu(); }\n").unwrap();
    let out = run_in(
        dir.path(),
        &["--rules", "rules", "--format", "json", "a.cpp"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["rule_id"], "my-launcher");
}

#[test]
fn missing_path_exits_2() {
    let out = run_in(&fixture("negatives"), &["does-not-exist"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does-not-exist"));
}
