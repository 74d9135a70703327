//! The GitHub Action's scan step, run as the runner would run it (bash, its environment), against
//! the binary under test: one scan writes the SARIF, the annotations, the job summary and the gate.

use crate::common::{repo_root, stderr};
use crate::gate::{KERNEL, git, repo};
use std::fs;
use std::path::Path;
use std::process::Command;

/// The `run:` script of the step named `name` in action.yml.
fn step_script(name: &str) -> String {
    let action = fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let start = action
        .find(&format!("    - name: {name}\n"))
        .expect("the step exists");
    let step = &action[start..];
    let end = step[1..]
        .find("\n    - name:")
        .map_or(step.len(), |i| i + 1);
    let step = &step[..end];
    let run = step.find("      run: |\n").expect("a run block") + "      run: |\n".len();
    step[run..]
        .lines()
        .map(|l| l.strip_prefix("        ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_scan_step(root: &Path, runner_temp: &Path, inputs: &[(&str, &str)]) -> (i32, String) {
    let bin_dir = runner_temp.join("cuda-audit/bin");
    fs::create_dir_all(&bin_dir).unwrap();
    let bin = bin_dir.join("cuda-audit");
    if !bin.exists() {
        fs::copy(env!("CARGO_BIN_EXE_cuda-audit"), &bin).unwrap();
    }
    let output = runner_temp.join("github_output");
    let mut cmd = Command::new("bash");
    cmd.args(["-e", "-c", &step_script("Scan")])
        .current_dir(root)
        .env("RUNNER_TEMP", runner_temp)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", runner_temp.join("step_summary"))
        .env("CUDA_AUDIT_CACHE_DIR", crate::common::cache_dir());
    let defaults = [
        ("INPUT_PATHS", "."),
        ("INPUT_TARGETS", "rocm,neuron,tpu"),
        ("INPUT_SARIF", "cuda-audit.sarif"),
        ("INPUT_SARIF_MAX_RESULTS", "25000"),
        ("INPUT_ANNOTATIONS", "true"),
        ("INPUT_STEP_SUMMARY", "true"),
    ];
    for (k, v) in defaults {
        cmd.env(k, v);
    }
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    assert!(
        out.status.success(),
        "the step itself failed: {}",
        stderr(&out)
    );
    let outputs = fs::read_to_string(&output).unwrap();
    // The file collects every step's outputs: this run's is the last line.
    let code = outputs
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("exit-code="))
        .expect("exit-code output")
        .parse()
        .unwrap();
    (code, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_scan_step_writes_every_report_from_one_scan_and_gates() {
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
    let temp = tempfile::tempdir().unwrap();
    let (code, stdout) = run_scan_step(root, temp.path(), &[("INPUT_DIFF_BASE", "main")]);
    assert_eq!(code, 1);
    // Annotations: the new finding only.
    assert_eq!(stdout.matches("::warning").count(), 1, "{stdout}");
    assert!(stdout.contains("cudaFree"), "{stdout}");
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("cuda-audit.sarif")).unwrap()).unwrap();
    assert!(crate::sarif::schema_errors(&sarif).is_empty());
    let summary = fs::read_to_string(temp.path().join("step_summary")).unwrap();
    assert!(
        summary.contains("**gate failed**") && summary.contains("cudaFree"),
        "{summary}"
    );
    // The gate passes on an unchanged branch.
    git(root, &["checkout", "-q", "main"]);
    let (code, stdout) = run_scan_step(root, temp.path(), &[("INPUT_DIFF_BASE", "main")]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn the_scan_step_keeps_a_json_report_for_merge() {
    // As in README's "An organisation's inventory": each repository's CI keeps its JSON report,
    // and `cuda-audit merge` reads them, each named after its checkout.
    let dir = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for name in ["web", "trainer"] {
        let root = dir.path().join(name);
        fs::create_dir(&root).unwrap();
        fs::write(root.join("a.cu"), KERNEL).unwrap();
        let (code, _) = run_scan_step(
            &root,
            temp.path(),
            &[
                ("INPUT_JSON", "cuda-audit.json"),
                ("INPUT_FAIL_ON", "none"),
                ("INPUT_ANNOTATIONS", "false"),
            ],
        );
        assert_eq!(code, 0);
        reports.push(root.join("cuda-audit.json"));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_cuda-audit"))
        .arg("merge")
        .args(&reports)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["repositories"][0]["name"], "trainer");
    assert_eq!(v["repositories"][1]["name"], "web");
}
