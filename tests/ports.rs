//! Existing portability layers: a HIP shim header (with gaps), ROCm-guarded preprocessor branches,
//! and `--ignore-existing-ports`.

use crate::common::{audit_fixture, fixture, run_in};
use cuda_audit::portability::{Effort, Target};
use cuda_audit::report::{Format, render};
use serde_json::Value;

fn rocm(
    audit: &cuda_audit::Audit,
    file: &str,
    line: usize,
    symbol: &str,
) -> (Effort, Option<&'static str>) {
    let f = audit
        .findings
        .iter()
        .find(|f| f.path.ends_with(file) && f.start.line == line && f.symbol == symbol)
        .unwrap_or_else(|| panic!("no {symbol} at {file}:{line}"));
    (
        f.effort(Target::Rocm),
        f.existing_port.as_ref().map(|p| p.layer.as_str()),
    )
}

#[test]
fn a_shim_covers_the_names_it_maps_and_reports_its_gaps() {
    let audit = audit_fixture("ports/shim");
    assert_eq!(
        rocm(&audit, "ops.cu", 11, "cudaMalloc"),
        (Effort::None, Some("shim"))
    );
    assert_eq!(
        rocm(&audit, "ops.cu", 9, "cudaStream_t"),
        (Effort::None, Some("shim")),
        "a `using` alias"
    );
    assert_eq!(
        rocm(&audit, "ops.cu", 5, "__shfl_xor_sync"),
        (Effort::None, Some("shim")),
        "a function-like macro"
    );
    // Not in the shim: unchanged, and listed as gaps.
    assert_eq!(
        rocm(&audit, "ops.cu", 16, "cudaMemPrefetchAsync"),
        (Effort::Automatic, None)
    );
    let gaps: Vec<&str> = audit
        .existing_ports
        .shim_gaps
        .iter()
        .map(|(s, _)| s.as_str())
        .collect();
    assert_eq!(
        gaps,
        [
            "cudaFuncAttributeMaxDynamicSharedMemorySize",
            "cudaFuncSetAttribute",
            "cudaMemPrefetchAsync"
        ]
    );
    // The shim file and what selects it.
    let shim = &audit.existing_ports.shim_files[0];
    assert_eq!(shim.path, "ports/shim/vendors/hip.h");
    assert!(
        shim.selected_by
            .as_deref()
            .is_some_and(|s| s.contains("PROJ_USE_HIP")),
        "{shim:?}"
    );
    // The note names the shim, file and line.
    let f = audit
        .findings
        .iter()
        .find(|f| f.symbol == "cudaMalloc")
        .unwrap();
    let note = f.portability.get(Target::Rocm).note.as_deref().unwrap();
    assert!(note.contains("vendors/hip.h:8"), "{note}");
    // Other targets are untouched by a HIP shim.
    assert_eq!(f.effort(Target::Neuron), Effort::Rewrite);
}

#[test]
fn branches_with_a_rocm_sibling_are_ported_and_cuda_only_ones_are_not() {
    let audit = audit_fixture("ports/guarded");
    assert_eq!(
        rocm(&audit, "kernels.cu", 8, "asm"),
        (Effort::None, Some("guarded-branch")),
        "#else of #if defined(USE_ROCM)"
    );
    assert_eq!(
        rocm(&audit, "kernels.cu", 17, "__shfl_xor_sync"),
        (Effort::None, Some("guarded-branch")),
        "#else of #ifdef __HIP_PLATFORM_AMD__"
    );
    assert_eq!(
        rocm(&audit, "kernels.cu", 34, "asm"),
        (Effort::Rewrite, None),
        "#if !defined(USE_ROCM) without a sibling"
    );
}

#[test]
fn ignore_existing_ports_shows_the_raw_coupling() {
    let json = |args: &[&str]| -> Value {
        serde_json::from_slice(&run_in(&fixture("ports"), args).stdout).unwrap()
    };
    let with = json(&["-f", "json"]);
    let raw = json(&["-f", "json", "--ignore-existing-ports"]);
    let rocm_none = |v: &Value| {
        v["summary"]["targets"]["rocm"]["counts"]["none"]
            .as_u64()
            .unwrap()
    };
    assert!(rocm_none(&with) > rocm_none(&raw));
    assert!(
        with["summary"]["targets"]["rocm"]["score"].as_f64()
            > raw["summary"]["targets"]["rocm"]["score"].as_f64()
    );
    assert_eq!(
        with["summary"]["existing_ports"]["covered"]["rocm"]["by_layer"]["shim"],
        9
    );
    assert_eq!(
        raw["summary"]["existing_ports"]["covered"]["rocm"]["findings"],
        0
    );
    assert!(
        raw["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("existing_port").is_none())
    );
}

#[test]
fn existing_ports_snapshot() {
    let audit = audit_fixture("ports");
    let v: Value = serde_json::from_slice(&render(Format::Json, &audit)).unwrap();
    let rows: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} rocm={} {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["symbol"].as_str().unwrap(),
                f["portability"]["rocm"]["effort"].as_str().unwrap(),
                f["existing_port"]["evidence"].as_str().unwrap_or("")
            )
        })
        .collect();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!("ports.txt", rows.join("\n"));
        insta::assert_json_snapshot!("ports-summary.json", v["summary"]["existing_ports"]);
    });
}

#[test]
fn a_python_device_path_lowers_the_effort_it_covers() {
    let audit = audit_fixture("ports/python");
    let with_xla = audit
        .findings
        .iter()
        .find(|f| f.path.ends_with("train_xla.py") && f.symbol == ".cuda()")
        .unwrap();
    assert_eq!(with_xla.effort(Target::Tpu), Effort::Automatic);
    assert_eq!(with_xla.effort(Target::Neuron), Effort::Automatic);
    let port = with_xla.existing_port.as_ref().unwrap();
    assert_eq!(port.layer.as_str(), "device-path");
    assert!(
        port.evidence.contains("train_xla.py:2"),
        "{}",
        port.evidence
    );
    let cuda_only = audit
        .findings
        .iter()
        .find(|f| f.path.ends_with("train_cuda_only.py") && f.symbol == ".cuda()")
        .unwrap();
    assert_eq!(cuda_only.effort(Target::Tpu), Effort::Manual);
    assert!(cuda_only.existing_port.is_none());
}

#[test]
fn kernels_in_files_compiled_through_the_shim_are_ported() {
    let audit = audit_fixture("ports/shim");
    assert_eq!(
        rocm(&audit, "ops.cu", 3, "__global__"),
        (Effort::None, Some("shim"))
    );
    assert_eq!(
        rocm(&audit, "ops.cu", 13, "<<<>>>"),
        (Effort::None, Some("shim"))
    );
}

#[test]
fn a_cpp_extension_build_hipifies_the_automatic_renames() {
    let audit = audit_fixture("ports/extension");
    assert_eq!(
        rocm(&audit, "fused.cu", 7, "cudaStreamSynchronize"),
        (Effort::None, Some("build-translation"))
    );
    assert_eq!(
        rocm(&audit, "fused.cu", 5, "cudaStream_t"),
        (Effort::None, Some("build-translation"))
    );
    // Inline PTX is not a rename: hipify cannot translate it.
    assert_eq!(rocm(&audit, "fused.cu", 8, "asm"), (Effort::Rewrite, None));
    let f = audit
        .findings
        .iter()
        .find(|f| f.symbol == "cudaStreamSynchronize")
        .unwrap();
    let note = f.portability.get(Target::Rocm).note.as_deref().unwrap();
    assert!(
        note.contains("CUDAExtension at ports/extension/setup.py:8")
            && note.contains("ROCm build: ports/extension/setup.py:4"),
        "{note}"
    );
}

#[test]
fn build_credit_covers_exactly_the_files_a_rocm_build_compiles() {
    let audit = audit_fixture("ports/mixed_build");
    let layer = |path: &str, symbol: &str| -> Option<&str> {
        let f = audit
            .findings
            .iter()
            .find(|f| f.path.ends_with(path) && f.symbol == symbol)
            .unwrap_or_else(|| panic!("no {symbol} in {path}"));
        f.existing_port.as_ref().map(|p| p.layer.as_str())
    };
    // Sources of the CUDAExtension (an os.path.join and a glob) and the header they include.
    assert_eq!(
        layer("csrc/ext/scale.cu", "<<<>>>"),
        Some("build-translation")
    );
    assert_eq!(
        layer("csrc/ext/bind.cpp", "cudaStream_t"),
        Some("build-translation")
    );
    assert_eq!(
        layer("csrc/ext/kernels.cuh", "cuda_runtime.h"),
        Some("build-translation")
    );
    // Built by CMake, and a load_inline elsewhere: no credit.
    assert_eq!(layer("csrc/lib/host.cu", "cudaMalloc"), None);
    assert_eq!(layer("csrc/lib/host.cu", "cuda_runtime.h"), None);
    assert_eq!(layer("tools/jit.py", "__global__"), None);
    let builds = &audit.existing_ports.rocm_builds;
    assert_eq!(builds.len(), 1, "{builds:?}");
    assert_eq!(builds[0].files, 3);

    // A build for NVIDIA alone (asserts CUDA_HOME, sm_90a gencode) credits nothing.
    let nvidia = audit_fixture("ports/nvidia_only");
    assert!(nvidia.findings.iter().all(|f| f.existing_port.is_none()));
    assert!(nvidia.existing_ports.rocm_builds.is_empty());
}
