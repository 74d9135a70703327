//! The benchmark harness (`bench/run.py`) and the ast-grep peer's rules (`bench/ast-grep/`), on
//! the demo fixture, one run each: functional checks, no timing. Each test is skipped, with a note
//! on stderr, where what it needs is missing: python3, ripgrep and GNU time for the harness,
//! ast-grep (on PATH) for the peer (CI has no ast-grep).

use crate::common::{cache_dir, fixture, repo_root};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// ast-grep on PATH (as `ast-grep`, or `sg` when that is ast-grep and not shadow-utils' newgrp).
fn ast_grep() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["ast-grep", "sg"] {
            let candidate = dir.join(name);
            if !candidate.is_file() {
                continue;
            }
            let Ok(out) = Command::new(&candidate)
                .arg("--version")
                .stdin(Stdio::null())
                .output()
            else {
                continue;
            };
            if out.stdout.starts_with(b"ast-grep") {
                return Some(candidate);
            }
        }
    }
    None
}

fn sgconfig() -> PathBuf {
    repo_root().join("bench/ast-grep/sgconfig.yml")
}

const PEER_RULES: [&str; 10] = [
    "cuda-kernel-qualifier",
    "cuda-kernel-launch",
    "cuda-runtime-call",
    "cuda-type",
    "cuda-sync-intrinsic",
    "cuda-atomic",
    "cuda-include",
    "cuda-library-call",
    "cuda-inline-ptx",
    "cuda-thread-index",
];

#[test]
fn the_ast_grep_peer_rules_match_what_they_claim() {
    let Some(sg) = ast_grep() else {
        eprintln!("skipped: ast-grep is not on PATH");
        return;
    };
    // Each rule's valid and invalid cases (bench/ast-grep/rule-tests/).
    let out = Command::new(&sg)
        .args(["test", "--skip-snapshot-tests", "--color", "never", "-c"])
        .arg(sgconfig())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ast-grep test failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("10 passed"), "{text}");

    // Every rule matches something in the demo, and only the 10 rules run.
    let out = Command::new(&sg)
        .args(["scan", "--json=stream", "-c"])
        .arg(sgconfig())
        .arg(fixture("demo"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let m: serde_json::Value = serde_json::from_str(line).unwrap();
        *seen
            .entry(m["ruleId"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let ids: Vec<&str> = seen.keys().map(String::as_str).collect();
    let mut expected = PEER_RULES.to_vec();
    expected.sort_unstable();
    assert_eq!(ids, expected, "matches per rule: {seen:?}");
}

#[test]
fn the_benchmark_harness_runs_end_to_end() {
    let has_time = runs("/usr/bin/time", &["-f", "%e %U %S %M", "true"]);
    if !runs("python3", &["--version"]) || !runs("rg", &["--version"]) || !has_time {
        eprintln!("skipped: the harness needs python3, ripgrep (rg) and GNU time (/usr/bin/time)");
        return;
    }
    let sg = ast_grep();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let mut cmd = Command::new("python3");
    cmd.arg(repo_root().join("bench/run.py"))
        .args([
            "--bin",
            env!("CARGO_BIN_EXE_cuda-audit"),
            "--runs",
            "1",
            "--compare-exhaustive",
        ])
        .arg("--json")
        .arg(&json)
        .arg(fixture("demo"))
        .env("CUDA_AUDIT_CACHE_DIR", cache_dir());
    if sg.is_none() {
        cmd.arg("--no-ast-grep");
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench/run.py failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("demo: fast == exhaustive: yes ("), "{text}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let row = &report["rows"][0];
    assert_eq!(row["corpus"], "demo");
    assert!(row["rg"]["wall"].as_f64().unwrap() > 0.0);
    assert!(row["ca"]["wall"].as_f64().unwrap() > 0.0);
    assert!(row["ratio_rg"].as_f64().unwrap() > 0.0);
    let eq = &row["fast_eq_exhaustive"];
    assert_eq!(eq["identical"], true, "{eq}");
    assert!(eq["findings"].as_u64().unwrap() > 100, "{eq}");
    assert_eq!(eq["findings"], eq["findings_exhaustive"]);
    if sg.is_some() {
        assert!(text.contains("×ast-grep"), "{text}");
        assert!(row["ast-grep"]["wall"].as_f64().unwrap() > 0.0, "{row}");
        assert!(row["ratio_ast_grep"].as_f64().unwrap() > 0.0, "{row}");
        assert!(row["ast-grep_matches"].as_u64().unwrap() > 100, "{row}");
    } else {
        eprintln!("ast-grep is not on PATH: its row was not checked");
    }
}
