//! `cuda-audit merge`: an organisation's inventory from the JSON reports of several repositories.
//! The reports are written by the binary at test time, from small git repositories made here, so
//! they never drift from what the tool produces.

use crate::common::{git_with, render_in_chromium, run_in, stderr, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Snapshots do not change with the version number.
fn unversioned(s: &str) -> String {
    s.replace(
        &format!("cuda-audit {}", env!("CARGO_PKG_VERSION")),
        "cuda-audit [version]",
    )
}

const ALPHA_CU: &str = r#"#include <cuda_runtime.h>
#include <cublas_v2.h>

__global__ void scale(float *x, float a, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= a;
}

void run(float *host, int n, cublasHandle_t h) {
    float *dev;
    cudaMalloc(&dev, n * sizeof(float));
    cudaMemcpy(dev, host, n * sizeof(float), cudaMemcpyHostToDevice);
    scale<<<(n + 255) / 256, 256>>>(dev, 2.0f, n);
    cublasSscal(h, n, &n, dev, 1);
    cudaFree(dev);
}
"#;

const BETA_CU: &str = r#"#include <cuda_runtime.h>
#include <nccl.h>

__global__ void add(float *a, const float *b) {
    a[threadIdx.x] += b[threadIdx.x];
    __syncthreads();
}

void step(float *a, float *b, ncclComm_t comm, cudaStream_t s) {
    add<<<1, 32, 0, s>>>(a, b);
    ncclAllReduce(a, a, 32, ncclFloat, ncclSum, comm, s);
    cudaStreamSynchronize(s);
}
"#;

const GAMMA_PY: &str = r#"import torch

def main():
    x = torch.randn(8).cuda()
    torch.cuda.synchronize()
    return x
"#;

/// A git repository `dir/name` holding `files`, committed at a fixed date by a fixed author, so
/// its commit hash (and so the report's `source`) is the same on every run.
fn repo(dir: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join(name);
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let date = [
        ("GIT_AUTHOR_DATE", "2024-05-01T12:00:00Z"),
        ("GIT_COMMITTER_DATE", "2024-05-01T12:00:00Z"),
    ];
    git_with(&root, &["init", "-q"], &[]);
    git_with(&root, &["add", "-A"], &[]);
    git_with(&root, &["commit", "-q", "-m", "init"], &date);
    root
}

/// Scans `root` with `args` and writes its JSON report to `out`.
fn report(root: &Path, out: &Path, args: &[&str]) {
    let mut all = vec!["--format", "json", "-o", out.to_str().unwrap()];
    all.extend(args);
    let o = run_in(root, &all);
    assert_eq!(
        o.status.code(),
        Some(1),
        "findings expected: {}",
        stderr(&o)
    );
}

/// Three repositories and their reports in `reports/`: `alpha` (all targets), `beta` (all
/// targets, `--statistics`: the summary alone) and `gamma` (`--target rocm,tpu`).
fn three_reports() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let alpha = repo(dir.path(), "alpha", &[("src/scale.cu", ALPHA_CU)]);
    let beta = repo(dir.path(), "beta", &[("kernels/add.cu", BETA_CU)]);
    let gamma = repo(
        dir.path(),
        "gamma",
        &[("train.py", GAMMA_PY), ("src/add.cu", BETA_CU)],
    );
    report(&alpha, &reports.join("alpha.json"), &[]);
    report(&beta, &reports.join("beta.json"), &["--statistics"]);
    report(
        &gamma,
        &reports.join("gamma.json"),
        &["--target", "rocm,tpu"],
    );
    dir
}

fn merge(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["merge"];
    all.extend(args);
    run_in(dir, &all)
}

fn json(out: &std::process::Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("merge -f json writes JSON")
}

const THREE: [&str; 3] = [
    "reports/gamma.json",
    "reports/alpha.json",
    "reports/beta.json",
];

#[test]
fn merges_reports_on_their_common_targets() {
    let dir = three_reports();
    let md = merge(dir.path(), &THREE);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let md = stdout(&md);
    assert!(
        md.contains("targets compared: rocm, tpu; neuron missing from `gamma`"),
        "{md}"
    );
    let v = json(&merge(dir.path(), &[&THREE[..], &["-f", "json"]].concat()));
    assert_eq!(v["targets"], serde_json::json!(["rocm", "tpu"]));
    assert_eq!(v["missing_targets"]["neuron"], serde_json::json!(["gamma"]));
    // Repositories in name order, whatever the order of the arguments; named after `source`.
    let names: Vec<&str> = v["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta", "gamma"]);
    for r in v["repositories"].as_array().unwrap() {
        assert!(r["targets"]["rocm"]["score"].is_number(), "{r}");
        assert_eq!(r["date"], "2024-05-01");
        assert_eq!(r["commit"].as_str().map(str::len), Some(40));
    }
    // gamma's report has no neuron; the others' do, and keep it.
    assert!(v["repositories"][2]["targets"]["neuron"].is_null());
    assert!(v["repositories"][0]["targets"]["neuron"]["score"].is_number());
    // The organisation adds up the repositories.
    let org = &v["organisation"];
    let sum = |key: &str| -> u64 {
        v["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[key].as_u64().unwrap())
            .sum()
    };
    assert_eq!(org["findings"].as_u64(), Some(sum("findings")));
    assert_eq!(org["repositories"], 3);
    let rocm_points: u64 = v["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["targets"]["rocm"]["effort_points"].as_u64().unwrap())
        .sum();
    assert_eq!(
        org["targets"]["rocm"]["effort_points"].as_u64(),
        Some(rocm_points)
    );
    assert!(org["targets"]["neuron"].is_null());
    // cudart is used by all three, nccl by beta and gamma: most used first.
    let libs = org["libraries"].as_array().unwrap();
    assert_eq!(libs[0]["library"], "cudart");
    assert_eq!(libs[0]["repositories"], 3);
    let nccl = libs.iter().find(|l| l["library"] == "nccl").unwrap();
    assert_eq!(nccl["used_by"], serde_json::json!(["beta", "gamma"]));
    // The blockers of TPU name the repositories behind them.
    let tpu = org["blockers"]["tpu"].as_array().unwrap();
    assert!(!tpu.is_empty());
    assert!(tpu.iter().any(|b| b["repositories"] == 3), "{tpu:?}");
}

#[test]
fn snapshots_of_the_markdown_and_json() {
    let dir = three_reports();
    let md = merge(dir.path(), &THREE);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let v = json(&merge(dir.path(), &[&THREE[..], &["-f", "json"]].concat()));
    settings().bind(|| {
        insta::assert_snapshot!("merge.md", unversioned(&stdout(&md)));
        insta::assert_json_snapshot!("merge.json", v, {
            ".tool.version" => "[version]",
            ".repositories[].tool_version" => "[version]",
        });
    });
}

#[test]
fn the_output_does_not_depend_on_the_order_of_the_reports() {
    let dir = three_reports();
    for format in ["markdown", "json", "html"] {
        let a = merge(dir.path(), &[&THREE[..], &["-f", format]].concat());
        let reversed: Vec<&str> = THREE.iter().rev().copied().collect();
        let b = merge(dir.path(), &[&reversed[..], &["-f", format]].concat());
        assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}

#[test]
fn a_statistics_report_merges_like_the_full_one() {
    let dir = three_reports();
    let alpha = dir.path().join("alpha");
    let reports = dir.path().join("reports");
    report(&alpha, &reports.join("alpha-stats.json"), &["--statistics"]);
    let full = json(&merge(dir.path(), &["reports/alpha.json", "-f", "json"]));
    let stats = json(&merge(
        dir.path(),
        &["reports/alpha-stats.json", "-f", "json"],
    ));
    assert_eq!(full["organisation"], stats["organisation"]);
    assert_eq!(
        full["repositories"][0]["targets"],
        stats["repositories"][0]["targets"]
    );
}

#[test]
fn reports_of_another_version() {
    let dir = three_reports();
    let reports = dir.path().join("reports");
    let text = std::fs::read_to_string(reports.join("alpha.json")).unwrap();
    // A newer schema: refused, pointing at its version.
    let mut newer: Value = serde_json::from_str(&text).unwrap();
    newer["version"] = 2.into();
    std::fs::write(
        reports.join("newer.json"),
        serde_json::to_string_pretty(&newer).unwrap(),
    )
    .unwrap();
    let out = merge(dir.path(), &["reports/beta.json", "reports/newer.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "reports/newer.json uses JSON report schema 2, newer than this cuda-audit's (1)"
        ),
        "{err}"
    );
    assert!(err.contains("help: merge reads reports"), "{err}");
    // It points at the report's own version, not at `tool.version` (which sorts first).
    assert!(err.contains("\"version\": 2"), "{err}");
    assert!(!err.contains("\"version\": \""), "{err}");
    assert!(out.stdout.is_empty());
    // The same schema from another cuda-audit: merged, and the output says so.
    let mut older: Value = serde_json::from_str(&text).unwrap();
    older["tool"]["version"] = "0.0.9".into();
    std::fs::write(reports.join("older.json"), older.to_string()).unwrap();
    let out = merge(dir.path(), &["reports/beta.json", "reports/older.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "reports written by different cuda-audit versions: 0.0.9 (alpha), {} (beta); their rules may differ",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        stdout(&out)
    );
}

#[test]
fn names_duplicates_and_targets_in_common() {
    let dir = three_reports();
    let reports = dir.path().join("reports");
    std::fs::copy(reports.join("alpha.json"), reports.join("copy.json")).unwrap();
    // Two reports of `alpha`: an error that says how to name them.
    let out = merge(dir.path(), &["reports/alpha.json", "reports/copy.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "error: two reports are of a repository named `alpha`: reports/alpha.json and reports/copy.json"
        ),
        "{err}"
    );
    assert!(err.contains("help: name them on the command line"), "{err}");
    // NAME=REPORT.json names them.
    let v = json(&merge(
        dir.path(),
        &[
            "alpha-main=reports/alpha.json",
            "alpha-fork=reports/copy.json",
            "-f",
            "json",
        ],
    ));
    assert_eq!(v["repositories"][0]["name"], "alpha-fork");
    assert_eq!(v["repositories"][0]["report"], "reports/copy.json");
    assert_eq!(v["repositories"][1]["name"], "alpha-main");
    // No target in common.
    let delta = repo(dir.path(), "delta", &[("a.cu", ALPHA_CU)]);
    report(&delta, &reports.join("delta.json"), &["--target", "neuron"]);
    let out = merge(dir.path(), &["reports/gamma.json", "reports/delta.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("no target is in every report: delta has neuron; gamma has rocm, tpu"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn what_is_not_a_report() {
    let dir = three_reports();
    let reports = dir.path().join("reports");
    std::fs::write(reports.join("sarif.json"), "{\"runs\": []}\n").unwrap();
    let out = merge(dir.path(), &["reports/alpha.json", "reports/sarif.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("reports/sarif.json is not a cuda-audit JSON report"),
        "{}",
        stderr(&out)
    );
    let out = merge(dir.path(), &["reports/absent.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read reports/absent.json"));
    // A compare of a --statistics report says what is missing.
    let out = run_in(
        dir.path(),
        &["compare", "reports/alpha.json", "reports/beta.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("reports/beta.json has no findings: it was written with --statistics"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn writes_a_file_and_says_so() {
    let dir = three_reports();
    let out = merge(
        dir.path(),
        &[&THREE[..], &["-f", "html", "-o", "org.html"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).trim(),
        "cuda-audit: wrote org.html (html, 3 repositories)"
    );
    let help = run_in(dir.path(), &["merge", "--help"]);
    let help = stdout(&help);
    assert!(help.contains("markdown (the default"), "{help}");
    assert!(help.contains("Exit codes: 0"), "{help}");
}

/// Ignored (and `cargo test` says so) when build.rs found no browser; .ci/run runs it anyway.
#[test]
#[cfg_attr(no_chromium, ignore = "no chromium: apt-get install chromium")]
fn the_html_page_renders_in_headless_chromium() {
    let dir = three_reports();
    let out = merge(
        dir.path(),
        &[&THREE[..], &["-f", "html", "-o", "org.html"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dom = render_in_chromium(&dir.path().join("org.html"));
    for id in [
        "gauge-rocm",
        "gauge-tpu",
        "repositories",
        "chart-effort-rocm",
        "chart-effort-tpu",
        "blockers-tpu",
        "libraries",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "#{id} is not in the rendered DOM"
        );
    }
    assert_eq!(dom.matches("<tr class=\"repository\"").count(), 3);
    assert!(dom.contains("targets compared: rocm, tpu; neuron missing from <code>gamma</code>"));
    assert!(!dom.contains("id=\"gauge-neuron\""));
}
