//! The CI gate end to end, on real git repositories built in temporary directories: baselines,
//! diff mode, suppressions, configuration, and the exit-code contract.

use crate::common::{run_in, stderr, stdout};
use serde_json::Value;
use std::fs;
use std::path::Path;

/// Runs git in `dir` ([`crate::common::git_with`]).
pub fn git(dir: &Path, args: &[&str]) {
    crate::common::git_with(dir, args, &[]);
}

pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    dir
}

pub const KERNEL: &str =
    "#include <cuda_runtime.h>\n\nvoid setup(float** p, size_t n) {\n  cudaMalloc(p, n);\n}\n";

pub fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}

/// The findings a JSON report marks new.
pub fn new_findings(v: &Value) -> Vec<Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .cloned()
        .collect()
}

#[test]
fn moving_code_keeps_the_baseline_clean() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a.cu"), KERNEL).unwrap();
    let out = run_in(root, &["baseline", "-o", ".cuda-audit-baseline.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(root.join(".cuda-audit-baseline.json")).unwrap();
    assert!(text.contains("\"cudaMalloc\""), "{text}");
    // Code moves down the file and is re-indented: still known.
    fs::write(
        root.join("a.cu"),
        format!(
            "// license header\n// more\n\n{}",
            KERNEL.replace("  cudaMalloc", "    cudaMalloc")
        ),
    )
    .unwrap();
    let out = run_in(root, &["--baseline", ".cuda-audit-baseline.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_new_call_fails_the_gate_naming_exactly_that_finding() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a.cu"), KERNEL).unwrap();
    run_in(root, &["baseline", "-o", "base.json"]);
    fs::write(
        root.join("a.cu"),
        KERNEL.replace(
            "  cudaMalloc(p, n);\n",
            "  cudaMalloc(p, n);\n  cudaMalloc(p, 2 * n);\n",
        ),
    )
    .unwrap();
    let out = run_in(root, &["--baseline", "base.json", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let new: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["symbol"], "cudaMalloc");
    assert_eq!(new[0]["line"], 5);
    assert_eq!(v["gate"]["new"], 1);
    // The text report marks it, and SARIF carries baselineState.
    let text = stdout(&run_in(root, &["--baseline", "base.json"]));
    assert_eq!(text.matches("[new]").count(), 1, "{text}");
    let sarif: Value = json(&run_in(root, &["--baseline", "base.json", "-f", "sarif"]));
    let states: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "new").count(), 1);
    assert!(states.iter().all(|s| *s == "new" || *s == "unchanged"));
    assert!(crate::sarif::schema_errors(&sarif).is_empty());
}

#[test]
fn a_suppression_with_a_reason_passes() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a.cu"), KERNEL).unwrap();
    run_in(root, &["baseline", "-o", "base.json"]);
    let added = KERNEL.replace(
        "  cudaMalloc(p, n);\n",
        "  cudaMalloc(p, n);\n  // cuda-audit: ignore[cudart-memory-management, cudart-unclassified] scratch buffer, ported with the rest\n  cudaMalloc(p, 2 * n);\n",
    );
    fs::write(root.join("a.cu"), added).unwrap();
    let out = run_in(root, &["--baseline", "base.json", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(json(&out)["summary"]["suppressed"], 1);
}

#[test]
fn reasonless_suppressions_can_be_refused_by_config() {
    let dir = repo();
    let root = dir.path();
    fs::write(
        root.join("cuda-audit.toml"),
        "require-suppression-reason = true\n",
    )
    .unwrap();
    fs::write(
        root.join("a.cu"),
        "void f(float** p) { cudaMalloc(p, 4); } // cuda-audit: ignore\n",
    )
    .unwrap();
    let out = run_in(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(
        v["summary"]["files"]["warnings_by_reason"]["suppression-without-reason"],
        1
    );
}

#[test]
fn diff_base_reports_only_what_the_branch_adds() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a.cu"), KERNEL).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    git(root, &["checkout", "-qb", "feature"]);
    fs::write(
        root.join("a.cu"),
        KERNEL.replace(
            "  cudaMalloc(p, n);\n",
            "  cudaMalloc(p, n);\n  cudaFree(*p);\n",
        ),
    )
    .unwrap();
    git(root, &["commit", "-qam", "free"]);
    let out = run_in(root, &["--diff-base", "main", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    // The whole tree is reported; only what the branch adds is new.
    let new = new_findings(&v);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["symbol"], "cudaFree");
    assert!(v["findings"].as_array().unwrap().len() > 1);
    assert!(v["gate"]["diff_base"].is_string());
    assert_eq!(v["gate"]["diff_rev"], "main");
    assert_eq!(v["gate"]["verdict"], "failed");
}

#[test]
fn diff_base_on_a_python_branch_adding_one_cuda_call() {
    let dir = repo();
    let root = dir.path();
    fs::write(
        root.join("train.py"),
        "import torch\n\nmodel = torch.nn.Linear(2, 2)\n",
    )
    .unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    git(root, &["checkout", "-qb", "feature"]);
    fs::write(
        root.join("train.py"),
        "import torch\n\nmodel = torch.nn.Linear(2, 2)\nmodel = model.cuda()\n",
    )
    .unwrap();
    git(root, &["commit", "-qam", "gpu"]);
    let out = run_in(root, &["--diff-base", "main", "--format", "json"]);
    let v = json(&out);
    let findings = new_findings(&v);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["symbol"], ".cuda()");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_missing_diff_base_says_how_to_fix_it() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a.cu"), KERNEL).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    let out = run_in(root, &["--diff-base", "origin/main"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("merge base") && err.contains("fetch"), "{err}");
}

#[test]
fn a_corrupted_baseline_exits_2_with_a_pointed_message() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a.cu"), KERNEL).unwrap();
    run_in(root, &["baseline", "-o", "base.json"]);
    let text = fs::read_to_string(root.join("base.json")).unwrap();
    let truncated = &text[..text.len() / 2];
    fs::write(root.join("base.json"), truncated).unwrap();
    let out = run_in(root, &["--baseline", "base.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("malformed baseline") && err.contains("base.json"),
        "{err}"
    );
    // An empty file is not an empty baseline either.
    fs::write(root.join("base.json"), "").unwrap();
    assert_eq!(
        run_in(root, &["--baseline", "base.json"]).status.code(),
        Some(2)
    );
}

#[test]
fn stale_baseline_entries_are_reported_and_update_says_what_it_drops() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a.cu"), KERNEL).unwrap();
    run_in(root, &["baseline", "-o", "base.json"]);
    fs::write(root.join("a.cu"), "#include <cuda_runtime.h>\n").unwrap();
    let out = run_in(root, &["--baseline", "base.json", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let stale = v["gate"]["stale_baseline_entries"].as_array().unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["symbol"], "cudaMalloc");
    let out = run_in(root, &["--baseline", "base.json", "--update-baseline"]);
    assert!(stderr(&out).contains("dropped: a.cu"), "{}", stderr(&out));
    assert!(
        !fs::read_to_string(root.join("base.json"))
            .unwrap()
            .contains("cudaMalloc")
    );
}

#[test]
fn fail_on_and_effort_threshold() {
    let dir = repo();
    let root = dir.path();
    // `__device__` is `none` for ROCm, `cudaMalloc` is automatic.
    fs::write(
        root.join("a.cu"),
        "__device__ int x;\nvoid f(void** p) { cudaMalloc(p, 4); }\n",
    )
    .unwrap();
    assert_eq!(run_in(root, &["--fail-on", "none"]).status.code(), Some(0));
    assert_eq!(run_in(root, &["--fail-on", "any"]).status.code(), Some(1));
    assert_eq!(
        run_in(root, &["--fail-on-effort", "manual", "--target", "rocm"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run_in(root, &["--fail-on-effort", "automatic", "--target", "rocm"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run_in(root, &["--fail-on-effort", "rewrite", "--target", "neuron"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn config_is_discovered_and_typos_are_errors() {
    let dir = repo();
    let root = dir.path();
    fs::create_dir_all(root.join("src/third_party")).unwrap();
    fs::write(root.join("src/a.cu"), KERNEL).unwrap();
    fs::write(root.join("src/third_party/b.cu"), KERNEL).unwrap();
    fs::write(
        root.join("cuda-audit.toml"),
        "targets = [\"rocm\"]\nexclude = [\"src/third_party/**\"]\nignore = [\"include\"]\n",
    )
    .unwrap();
    let v = json(&run_in(root, &["--format", "json"]));
    assert_eq!(v["targets"], serde_json::json!(["rocm"]));
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| f["path"] == "src/a.cu" && f["category"] != "include"),
        "{findings:?}"
    );
    // Discovered from a subdirectory too.
    let v = json(&run_in(&root.join("src"), &["--format", "json"]));
    assert_eq!(v["targets"], serde_json::json!(["rocm"]));
    fs::write(
        root.join("cuda-audit.toml"),
        "targets = [\"rocm\"]\nfail-onn = \"new\"\n",
    )
    .unwrap();
    let out = run_in(root, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("fail-onn"), "{}", stderr(&out));
}

#[test]
fn pyproject_tool_table_is_read() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a.cu"), KERNEL).unwrap();
    fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"x\"\n\n[tool.cuda-audit]\ntargets = [\"tpu\"]\n",
    )
    .unwrap();
    let v = json(&run_in(root, &["--format", "json"]));
    assert_eq!(v["targets"], serde_json::json!(["tpu"]));
}

#[test]
fn init_writes_a_starter_config_once() {
    let dir = repo();
    let root = dir.path();
    assert_eq!(run_in(root, &["init"]).status.code(), Some(0));
    assert!(root.join("cuda-audit.toml").is_file());
    assert_eq!(run_in(root, &["init"]).status.code(), Some(2));
    assert_eq!(run_in(root, &["--format", "json"]).status.code(), Some(0));
}

#[test]
fn github_annotations() {
    let dir = repo();
    let root = dir.path();
    fs::write(root.join("a,b.cu"), KERNEL).unwrap();
    let out = run_in(root, &["--format", "github"]);
    let text = stdout(&out);
    assert!(
        text.contains("::warning file=a%2Cb.cu,line=4,col=3"),
        "{text}"
    );
}
