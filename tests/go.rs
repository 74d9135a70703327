//! Go sources and go.mod: what must be found (and where), what must stay quiet, malformed
//! go.mod files that warn without stopping the scan, and the binary agreeing with the library.

use crate::common::{audit_dir, audit_fixture, fixture, run_in};
use cuda_audit::Audit;
use cuda_audit::portability::Target;

/// One line per finding: place, rule, symbol, detail and the three efforts.
pub fn compact(audit: &Audit) -> String {
    let mut out = String::new();
    for f in &audit.findings {
        let effort = |t: Target| f.portability.get(t).effort.as_str();
        out.push_str(&format!(
            "{}:{}:{} {} [{}] `{}`{} rocm={} neuron={} tpu={}\n",
            f.path,
            f.start.line,
            f.start.column,
            f.rule_id,
            f.category,
            f.symbol,
            f.detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            effort(Target::Rocm),
            effort(Target::Neuron),
            effort(Target::Tpu),
        ));
    }
    for w in &audit.files.warnings {
        out.push_str(&format!("warning {} {}: {}\n", w.path, w.reason, w.message));
    }
    out
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// (rule, symbol, line) of every finding under `prefix`.
pub fn found(audit: &Audit, prefix: &str) -> Vec<(String, String, String, usize)> {
    audit
        .findings
        .iter()
        .filter(|f| f.path.starts_with(prefix))
        .map(|f| {
            (
                f.path.clone(),
                f.rule_id.clone(),
                f.symbol.clone(),
                f.start.line,
            )
        })
        .collect()
}

fn row(path: &str, rule: &str, symbol: &str, line: usize) -> (String, String, String, usize) {
    (path.into(), rule.into(), symbol.into(), line)
}

#[test]
fn go_fixture_findings() {
    let audit = audit_fixture("go");
    assert_eq!(
        found(&audit, "go/"),
        vec![
            row(
                "go/cmd/driver.go",
                "go-nvidia-shared-library",
                "libcuda.so.1",
                7
            ),
            row(
                "go/cmd/driver.go",
                "cuda-driver-device-management",
                "cuInit",
                15
            ),
            row(
                "go/cmd/driver.go",
                "cuda-driver-device-management",
                "cuDriverGetVersion",
                18
            ),
            row(
                "go/go.mod",
                "go-mod-nvidia-gpu-modules",
                "github.com/NVIDIA/go-nvml",
                5
            ),
            row(
                "go/go.mod",
                "go-mod-nvidia-gpu-modules",
                "github.com/NVIDIA/go-nvlib",
                8
            ),
            row(
                "go/health.go",
                "go-nvml",
                "github.com/NVIDIA/go-nvml/pkg/nvml",
                6
            ),
            row("go/health.go", "go-nvml", "nvml.Init", 12),
            row("go/health.go", "go-nvml", "nvml.SUCCESS", 12),
            row("go/health.go", "go-nvml", "nvml.Shutdown", 15),
            row("go/health.go", "go-nvml", "nvml.DeviceGetCount", 16),
            row("go/health.go", "go-nvml", "nvml.DeviceGetHandleByIndex", 17),
            row("go/health.go", "go-nvidia-device-path", "/dev/nvidia%d", 30),
            row(
                "go/health.go",
                "go-nvidia-device-path",
                "/dev/nvidiactl",
                30
            ),
            row(
                "go/health.go",
                "go-nvidia-device-path",
                "/dev/nvidia-uvm",
                30
            ),
            row(
                "go/health.go",
                "go-k8s-nvidia-gpu-resource",
                "nvidia.com/gpu",
                33
            ),
        ]
    );
    assert!(
        audit.files.warnings.is_empty(),
        "{:?}",
        audit.files.warnings
    );
}

#[test]
fn go_snapshot() {
    let audit = audit_fixture("go");
    settings().bind(|| insta::assert_snapshot!("go.txt", compact(&audit)));
}

#[test]
fn go_negatives_report_nothing() {
    let audit = audit_fixture("go/negatives");
    assert!(audit.findings.is_empty(), "{}", compact(&audit));
    assert_eq!(audit.files.scanned, 1);
}

#[test]
fn binary_agrees_with_the_library() {
    let out = run_in(&fixture("go"), &["--no-cache", "--format", "json", "."]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut from_binary: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["symbol"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut in_process: Vec<(String, String, u64)> = found(&audit_fixture("go"), "go/")
        .into_iter()
        .map(|(_, r, s, l)| (r, s, l as u64))
        .collect();
    from_binary.sort();
    in_process.sort();
    assert_eq!(from_binary, in_process);
}

#[test]
fn cgo_preamble_and_calls() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cuda.go"),
        "package cuda\n\n/*\n#include <cuda.h>\n// cuMemAlloc in a C comment\n*/\nimport \"C\"\n\nfunc Init() int { return int(C.cuInit(0)) }\n\nvar d C.CUdevice\n",
    )
    .unwrap();
    let audit = audit_dir(dir.path());
    let got: Vec<(String, String, usize)> = audit
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.symbol.clone(), f.start.line))
        .collect();
    assert_eq!(
        got,
        vec![
            ("include-cuda-driver".into(), "cuda.h".into(), 4),
            ("cuda-driver-device-management".into(), "cuInit".into(), 9),
            ("cuda-driver-data-types".into(), "CUdevice".into(), 11),
        ]
    );
    assert_eq!(audit.findings[0].detail.as_deref(), Some("cgo preamble"));
}

#[test]
fn malformed_go_mod_warns_and_keeps_entries() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        "module example.com/x\n\nrequire (\n\tgithub.com/NVIDIA/go-nvml v0.12.4-1\n\tgithub.com/NVIDIA/go-dcgm\n",
    )
    .unwrap();
    let audit = audit_dir(dir.path());
    let warnings: Vec<&str> = audit
        .files
        .warnings
        .iter()
        .map(|w| w.reason.as_str())
        .collect();
    assert_eq!(warnings, vec!["malformed-go-mod"]);
    let symbols: Vec<&str> = audit.findings.iter().map(|f| f.symbol.as_str()).collect();
    assert_eq!(
        symbols,
        vec!["github.com/NVIDIA/go-nvml", "github.com/NVIDIA/go-dcgm"]
    );
}
