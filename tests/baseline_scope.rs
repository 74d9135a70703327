//! Baselines are never lost, and a gated report leads with its verdict: every combination of
//! `--baseline`, `--diff-base`, `--update-baseline`, the `baseline` command and path subsets, on
//! real git repositories.

use crate::common::{run_in, stderr, stdout};
use crate::gate::{KERNEL, git, json, new_findings, repo};
use serde_json::Value;
use std::fs;
use std::path::Path;

const BLAS: &str = "#include <cublas_v2.h>\nvoid g(cublasHandle_t h) { cublasCreate(&h); }\n";

/// A repository on `main` with `src/a.cu`, `lib/b.cu` and a full baseline `B.json`, committed.
fn baselined() -> tempfile::TempDir {
    let dir = repo();
    let root = dir.path();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::create_dir_all(root.join("lib")).unwrap();
    fs::write(root.join("src/a.cu"), KERNEL).unwrap();
    fs::write(root.join("lib/b.cu"), BLAS).unwrap();
    let out = run_in(root, &["baseline", "-o", "B.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    dir
}

/// The baseline's entries as (path, symbol) pairs, sorted.
fn entries(root: &Path) -> Vec<(String, String)> {
    let v: Value = serde_json::from_slice(&fs::read(root.join("B.json")).unwrap()).unwrap();
    let mut e: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["symbol"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    e.sort();
    e
}

fn add_malloc(root: &Path) {
    fs::write(
        root.join("src/a.cu"),
        KERNEL.replace(
            "  cudaMalloc(p, n);\n",
            "  cudaMalloc(p, n);\n  cudaMalloc(p, 2 * n);\n",
        ),
    )
    .unwrap();
}

fn branch_adding_one_malloc() -> tempfile::TempDir {
    let dir = baselined();
    let root = dir.path();
    git(root, &["checkout", "-qb", "feature"]);
    add_malloc(root);
    git(root, &["commit", "-qam", "one more cudaMalloc"]);
    dir
}

#[test]
fn diff_base_and_baseline_on_an_unchanged_tree_find_nothing_new_and_nothing_stale() {
    let dir = baselined();
    let root = dir.path();
    let out = run_in(
        root,
        &["--diff-base", "main", "--baseline", "B.json", "-f", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["gate"]["new"], 0);
    assert_eq!(v["gate"]["stale_baseline_entries"], serde_json::json!([]));
    assert_eq!(v["gate"]["verdict"], "passed");
}

#[test]
fn update_within_a_diff_keeps_every_earlier_entry_and_adds_the_new_one() {
    let dir = branch_adding_one_malloc();
    let root = dir.path();
    let before = entries(root);
    let out = run_in(
        root,
        &[
            "--diff-base",
            "main",
            "--baseline",
            "B.json",
            "--update-baseline",
        ],
    );
    // Recording is not a failure.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = entries(root);
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert!(before.iter().all(|e| after.contains(e)), "{after:?}");
    assert!(
        stderr(&out).contains("1 added, 0 dropped"),
        "{}",
        stderr(&out)
    );
    // The text says it recorded, and what was new.
    let text = stdout(&out);
    assert!(text.contains("[new]"), "{text}");
    assert!(
        text.lines().last().unwrap().starts_with("baseline updated"),
        "{text}"
    );
    // Now the branch passes its gate.
    let out = run_in(root, &["--diff-base", "main", "--baseline", "B.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn update_within_a_diff_leaves_untouched_files_alone() {
    let dir = baselined();
    let root = dir.path();
    // lib/b.cu loses its coupling on main after the baseline was made, without updating it;
    // src/c.cu gains coupling that nobody recorded. Neither is part of the next change.
    fs::write(root.join("lib/b.cu"), "void g() {}\n").unwrap();
    fs::write(root.join("src/c.cu"), BLAS).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "drift"]);
    git(root, &["checkout", "-qb", "feature"]);
    add_malloc(root);
    git(root, &["commit", "-qam", "one more cudaMalloc"]);
    let before = entries(root);
    let out = run_in(root, &["baseline", "--diff-base", "main", "-o", "B.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = entries(root);
    // lib/b.cu's entries are kept (outside the diff), src/c.cu's findings are not added.
    assert!(before.iter().all(|e| after.contains(e)), "{after:?}");
    assert!(!after.iter().any(|(p, _)| p == "src/c.cu"), "{after:?}");
    assert_eq!(after.len(), before.len() + 1);
    // And the gate in diff mode calls nothing outside the diff stale.
    let out = run_in(
        root,
        &["--diff-base", "main", "--baseline", "B.json", "-f", "json"],
    );
    let v = json(&out);
    assert_eq!(v["gate"]["stale_baseline_entries"], serde_json::json!([]));
    assert_eq!(v["gate"]["new"], 0);
    // Without the diff base, the whole tree is in scope: lib/b.cu's entries are stale and
    // src/c.cu is new.
    let v = json(&run_in(root, &["--baseline", "B.json", "-f", "json"]));
    let stale: Vec<&str> = v["gate"]["stale_baseline_entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(
        !stale.is_empty() && stale.iter().all(|p| *p == "lib/b.cu"),
        "{stale:?}"
    );
    assert!(new_findings(&v).iter().all(|f| f["path"] == "src/c.cu"));
}

#[test]
fn a_deleted_file_in_the_diff_is_stale_and_dropped_with_a_listing() {
    let dir = baselined();
    let root = dir.path();
    git(root, &["checkout", "-qb", "feature"]);
    git(root, &["rm", "-q", "lib/b.cu"]);
    git(root, &["commit", "-qm", "drop b"]);
    let v = json(&run_in(
        root,
        &["--diff-base", "main", "--baseline", "B.json", "-f", "json"],
    ));
    let stale = v["gate"]["stale_baseline_entries"].as_array().unwrap();
    assert!(!stale.is_empty() && stale.iter().all(|e| e["path"] == "lib/b.cu"));
    let out = run_in(
        root,
        &[
            "--diff-base",
            "main",
            "--baseline",
            "B.json",
            "--update-baseline",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(
        err.matches("dropped: lib/b.cu").count(),
        stale.len(),
        "{err}"
    );
    assert!(!entries(root).iter().any(|(p, _)| p == "lib/b.cu"));
    assert!(entries(root).iter().any(|(p, _)| p == "src/a.cu"));
}

#[test]
fn a_path_subset_updates_only_its_own_entries() {
    let dir = baselined();
    let root = dir.path();
    let before = entries(root);
    // src/a.cu loses cudaMalloc, lib/b.cu is not scanned at all.
    fs::write(root.join("src/a.cu"), "#include <cuda_runtime.h>\n").unwrap();
    let v = json(&run_in(
        root,
        &["--baseline", "B.json", "-f", "json", "src"],
    ));
    let stale = v["gate"]["stale_baseline_entries"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0]["symbol"], "cudaMalloc");
    let out = run_in(root, &["--baseline", "B.json", "--update-baseline", "src"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("dropped: src/a.cu"),
        "{}",
        stderr(&out)
    );
    let after = entries(root);
    let lib = |es: &[(String, String)]| -> Vec<(String, String)> {
        es.iter()
            .filter(|(p, _)| p == "lib/b.cu")
            .cloned()
            .collect()
    };
    assert_eq!(lib(&after), lib(&before));
    assert!(!lib(&before).is_empty());
    assert!(!after.iter().any(|(_, s)| s == "cudaMalloc"));
    // The `baseline` command on a subset does the same.
    fs::write(root.join("lib/b.cu"), "void g() {}\n").unwrap();
    let out = run_in(root, &["baseline", "-o", "B.json", "src"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(lib(&entries(root)), lib(&before));
}

#[test]
fn entries_of_files_the_scan_excludes_are_kept() {
    let dir = baselined();
    let root = dir.path();
    let before = entries(root);
    let out = run_in(
        root,
        &[
            "--baseline",
            "B.json",
            "--update-baseline",
            "--exclude",
            "lib/**",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(entries(root), before);
    assert!(stderr(&out).contains("0 dropped"), "{}", stderr(&out));
}

#[test]
fn a_gated_text_report_leads_with_the_verdict_and_lists_only_new_findings() {
    let dir = branch_adding_one_malloc();
    let root = dir.path();
    let out = run_in(root, &["--diff-base", "main", "--baseline", "B.json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("gate failed: 1 new finding"), "{text}");
    assert_eq!(lines.last(), lines.first(), "{text}");
    assert_eq!(text.matches("╭─").count(), 1, "{text}");
    assert!(
        text.contains("known findings not listed (--show-known"),
        "{text}"
    );
    assert!(text.contains("scores of the whole tree"), "{text}");
    assert!(lines.len() < 15, "{text}");
    // --show-known lists all of them, the new one marked.
    let all = stdout(&run_in(
        root,
        &[
            "--diff-base",
            "main",
            "--baseline",
            "B.json",
            "--show-known",
        ],
    ));
    assert!(all.matches("╭─").count() > 3, "{all}");
    assert_eq!(all.matches("[new]").count(), 1);
    // -q: the new findings and the verdict.
    let quiet = stdout(&run_in(
        root,
        &["--diff-base", "main", "--baseline", "B.json", "-q"],
    ));
    assert_eq!(quiet.matches("╭─").count(), 1, "{quiet}");
    assert!(quiet.trim_end().ends_with(lines[0]), "{quiet}");
    assert!(!quiet.contains("scores"), "{quiet}");
}

#[test]
fn markdown_and_concise_show_the_gate_and_the_new_finding() {
    let dir = branch_adding_one_malloc();
    let root = dir.path();
    let md = stdout(&run_in(
        root,
        &[
            "--diff-base",
            "main",
            "--baseline",
            "B.json",
            "-f",
            "markdown",
        ],
    ));
    assert!(md.contains("**gate failed**"), "{md}");
    assert!(md.contains("### New findings (1)"), "{md}");
    assert!(md.contains("`src/a.cu:5`"), "{md}");
    assert!(md.contains("score (this change)"), "{md}");
    let html = stdout(&run_in(
        root,
        &["--diff-base", "main", "--baseline", "B.json", "-f", "html"],
    ));
    assert!(html.contains("<section id=\"gate\" class=\"gate-failed\">"));
    assert!(html.contains("<h3>New findings (1)</h3>"));
    assert!(html.contains("id=\"delta-rocm\""));
    let concise = stdout(&run_in(
        root,
        &[
            "--diff-base",
            "main",
            "--baseline",
            "B.json",
            "-f",
            "concise",
        ],
    ));
    let lines: Vec<&str> = concise.lines().collect();
    assert_eq!(lines.len(), 2, "{concise}");
    assert!(
        lines[0].starts_with("src/a.cu:5:3: cudart-memory-management cudaMalloc [rocm:automatic"),
        "{concise}"
    );
    assert!(lines[1].starts_with("gate failed"), "{concise}");
}

#[test]
fn the_baseline_command_has_its_own_flags() {
    let dir = baselined();
    let root = dir.path();
    let help = stdout(&run_in(root, &["baseline", "--help"]));
    assert!(help.contains("Record the findings"), "{help}");
    assert!(
        !help.contains("--fail-on") && !help.contains("--format"),
        "{help}"
    );
    assert!(help.contains("Exit codes"), "{help}");
    for refused in [
        &["baseline", "-f", "html", "-o", "bl.html"][..],
        &["baseline", "--fail-on", "any"],
        &["baseline", "--update-baseline"],
    ] {
        let out = run_in(root, refused);
        assert_eq!(out.status.code(), Some(2), "{refused:?}");
    }
    assert!(!root.join("bl.html").exists());
}

#[test]
fn a_malformed_existing_baseline_is_not_overwritten() {
    let dir = baselined();
    let root = dir.path();
    fs::write(root.join("B.json"), "{ not json").unwrap();
    let out = run_in(root, &["baseline", "-o", "B.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        fs::read_to_string(root.join("B.json")).unwrap(),
        "{ not json"
    );
}
