//! Build files, dependency manifests, containers, cluster manifests and Rust sources: what must be
//! found (and where), what must stay quiet, and malformed files that warn without stopping the
//! scan. One compact snapshot per fixture tree pins every finding with its per-target efforts.

use crate::common::{audit_fixture, builtin_rules, repo_root};
use cuda_audit::portability::Target;
use cuda_audit::{Audit, Settings};

/// Audits a fixture with hidden files included (workflows live under `.github/`).
fn audit_hidden(rel: &str) -> Audit {
    let root = repo_root().join("fixtures");
    let mut settings = Settings::new(&root, vec![root.join(rel)], builtin_rules());
    settings.walk.hidden = true;
    cuda_audit::audit(&settings).expect("audit succeeds")
}

/// One line per finding: place, rule, symbol, the three efforts and the ROCm replacement.
fn compact(audit: &Audit) -> String {
    let mut out = String::new();
    for f in &audit.findings {
        let effort = |t: Target| f.portability.get(t).effort.as_str();
        let rocm = f
            .portability
            .get(Target::Rocm)
            .replacement
            .as_deref()
            .unwrap_or("-");
        out.push_str(&format!(
            "{}:{}:{} {} [{}] `{}` rocm={} neuron={} tpu={} | {}\n",
            f.path,
            f.start.line,
            f.start.column,
            f.rule_id,
            f.category,
            f.symbol,
            effort(Target::Rocm),
            effort(Target::Neuron),
            effort(Target::Tpu),
            rocm
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

/// (rule, symbol, line) of the findings in one file.
fn found(audit: &Audit, path: &str) -> Vec<(String, String, usize)> {
    audit
        .findings
        .iter()
        .filter(|f| f.path == path)
        .map(|f| (f.rule_id.clone(), f.symbol.clone(), f.start.line))
        .collect()
}

fn has(audit: &Audit, path: &str, rule: &str, symbol: &str, line: usize) -> bool {
    found(audit, path)
        .iter()
        .any(|(r, s, l)| r == rule && s == symbol && *l == line)
}

#[test]
fn manifests_snapshot() {
    let audit = audit_hidden("manifests");
    settings().bind(|| insta::assert_snapshot!("manifests.txt", compact(&audit)));
}

#[test]
fn rust_snapshot() {
    let audit = audit_fixture("rust");
    settings().bind(|| insta::assert_snapshot!("rust.txt", compact(&audit)));
}

#[test]
fn negatives_report_nothing() {
    for dir in ["manifests/negatives", "rust/negatives"] {
        let audit = audit_fixture(dir);
        let found: Vec<String> = audit
            .findings
            .iter()
            .map(|f| format!("{}:{}: {} ({})", f.path, f.start.line, f.symbol, f.rule_id))
            .collect();
        assert!(
            found.is_empty(),
            "{dir} produced findings:\n{}",
            found.join("\n")
        );
        assert!(
            audit.files.warnings.is_empty(),
            "{:?}",
            audit.files.warnings
        );
    }
}

#[test]
fn every_file_kind_is_read() {
    let audit = audit_hidden("manifests");
    for (path, rule, symbol, line) in [
        (
            "manifests/build/CMakeLists.txt",
            "cmake-cuda-language",
            "CUDA",
            4,
        ),
        (
            "manifests/build/CMakeLists.txt",
            "cmake-cuda-toolkit",
            "CUDAToolkit",
            6,
        ),
        (
            "manifests/build/CMakeLists.txt",
            "cmake-cuda-toolkit",
            "CUDA::cudart",
            16,
        ),
        (
            "manifests/build/CMakeLists.txt",
            "link-cuda-libraries",
            "cudnn",
            16,
        ),
        (
            "manifests/build/cmake/legacy.cmake",
            "cmake-findcuda",
            "cuda_add_library",
            3,
        ),
        (
            "manifests/build/Makefile",
            "nvcc-compiler",
            "$(CUDA_PATH)/bin/nvcc",
            3,
        ),
        (
            "manifests/build/Makefile",
            "nvcc-flags",
            "-gencode arch=compute_90,code=sm_90",
            5,
        ),
        (
            "manifests/build/Makefile",
            "link-cuda-libraries",
            "-lcublas",
            6,
        ),
        ("manifests/build/build.sh", "nvidia-tools", "nvidia-smi", 6),
        (
            "manifests/build/build.sh",
            "cuda-runtime-env",
            "CUDA_VISIBLE_DEVICES",
            10,
        ),
        (
            "manifests/build/BUILD.bazel",
            "bazel-cuda-rules",
            "cuda_library",
            4,
        ),
        ("manifests/build/meson.build", "meson-cuda", "cuda", 2),
        (
            "manifests/deps/requirements.txt",
            "pip-cuda-index",
            "https://download.pytorch.org/whl/cu121",
            2,
        ),
        (
            "manifests/deps/requirements.txt",
            "pip-cuda-local-version",
            "torch==2.3.1+cu121",
            5,
        ),
        (
            "manifests/deps/requirements.txt",
            "pip-cuda-kernel-libraries",
            "flash_attn==2.5.9.post1",
            13,
        ),
        (
            "manifests/deps/pyproject.toml",
            "pip-cuda-index",
            "torch",
            18,
        ),
        (
            "manifests/deps/pyproject.toml",
            "pip-rapids",
            "cudf-cu12==24.6.*",
            13,
        ),
        (
            "manifests/deps/setup.cfg",
            "pip-cuda-python-bindings",
            "cuda-python>=12.0",
            7,
        ),
        ("manifests/deps/Pipfile", "pip-cuda-index", "torch", 12),
        (
            "manifests/deps/environment.yml",
            "conda-cuda-builds",
            "pytorch-cuda=12.1",
            9,
        ),
        (
            "manifests/deps/environment.yml",
            "pip-nvidia-tools",
            "nvidia-dali-cuda120",
            15,
        ),
        (
            "manifests/deps/Cargo.toml",
            "cargo-cuda-crates",
            "cudarc",
            7,
        ),
        (
            "manifests/deps/Cargo.toml",
            "cargo-cuda-feature",
            "candle-core/cuda",
            17,
        ),
        (
            "manifests/containers/Dockerfile",
            "image-cuda-base",
            "nvidia/cuda:12.4.1-devel-ubuntu22.04",
            4,
        ),
        (
            "manifests/containers/Dockerfile",
            "os-cuda-packages",
            "libnccl2",
            10,
        ),
        (
            "manifests/containers/Dockerfile",
            "pip-cuda-local-version",
            "torch==2.3.1+cu121",
            13,
        ),
        (
            "manifests/containers/Dockerfile",
            "nvcc-compiler",
            "nvcc",
            15,
        ),
        (
            "manifests/containers/Dockerfile",
            "image-ngc",
            "nvcr.io/nvidia/tritonserver:24.05-py3",
            20,
        ),
        (
            "manifests/containers/docker-compose.yml",
            "nvidia-container-settings",
            "nvidia",
            12,
        ),
        (
            "manifests/k8s/deployment.yaml",
            "k8s-nvidia-gpu-resource",
            "nvidia.com/gpu",
            23,
        ),
        (
            "manifests/k8s/deployment.yaml",
            "k8s-nvidia-node-selection",
            "cloud.google.com/gke-accelerator",
            10,
        ),
        (
            "manifests/helm/templates/deployment.yaml",
            "k8s-nvidia-gpu-resource",
            "nvidia.com/gpu",
            17,
        ),
        (
            "manifests/helm/values.yaml",
            "image-ngc",
            "nvcr.io/nvidia/tritonserver",
            2,
        ),
        (
            "manifests/.github/workflows/gpu.yml",
            "gh-gpu-runner",
            "gpu",
            5,
        ),
        (
            "manifests/.github/workflows/gpu.yml",
            "gh-cuda-action",
            "Jimver/cuda-toolkit@v0.2.16",
            8,
        ),
        (
            "manifests/.github/workflows/gpu.yml",
            "nvcc-flags",
            "-arch=sm_80",
            15,
        ),
        (
            "manifests/recipe/meta.yaml",
            "conda-cuda-compiler",
            "compiler('cuda')",
            8,
        ),
    ] {
        assert!(
            has(&audit, path, rule, symbol, line),
            "missing {rule} `{symbol}` at {path}:{line}; found {:?}",
            found(&audit, path)
        );
    }
}

#[test]
fn nothing_from_comments_or_strings() {
    let audit = audit_hidden("manifests");
    for f in &audit.findings {
        let line = f.snippet.trim_start();
        assert!(
            !line.starts_with('#') && !line.starts_with("//"),
            "finding on a comment line: {}:{} {}",
            f.path,
            f.start.line,
            f.snippet
        );
    }
    let quiet = |path: &str, line: usize| {
        assert!(
            found(&audit, path).iter().all(|(_, _, l)| *l != line),
            "{path}:{line} should be quiet: {:?}",
            found(&audit, path)
        );
    };
    quiet("manifests/build/CMakeLists.txt", 10); // message("set(CMAKE_CUDA_ARCHITECTURES 70)")
    quiet("manifests/build/Makefile", 11); // echo "nvcc -arch=sm_50 …"
    quiet("manifests/build/build.sh", 9); // echo "nvcc is done"
    quiet("manifests/build/build.sh", 11); // clang -arch arm64
    quiet("manifests/build/meson.build", 7); // message('cuda …')
    quiet("manifests/deps/Cargo.toml", 10); // # cust = "0.3"
    quiet("manifests/.github/workflows/gpu.yml", 22); // echo "no GPU here"
    // A portable package is not a finding.
    for portable in [
        "numpy>=1.26",
        "torchvision==0.18.1",
        "requests",
        "pandas",
        "serde",
    ] {
        assert!(
            audit.findings.iter().all(|f| f.symbol != portable),
            "{portable} reported"
        );
    }
}

#[test]
fn malformed_manifests_warn_and_the_scan_goes_on() {
    let audit = audit_fixture("manifests/bad");
    let warnings: Vec<(&str, &str)> = audit
        .files
        .warnings
        .iter()
        .map(|w| (w.path.as_str(), w.reason.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [
            ("manifests/bad/Cargo.toml", "malformed-toml"),
            ("manifests/bad/environment.yml", "malformed-yaml"),
            ("manifests/bad/pyproject.toml", "malformed-toml"),
            ("manifests/bad/values.yaml", "malformed-yaml"),
        ]
    );
    for w in &audit.files.warnings {
        assert!(w.message.contains("(line "), "no location in {w:?}");
    }
    // What was read before the error is still reported.
    assert!(has(
        &audit,
        "manifests/bad/environment.yml",
        "conda-cuda-toolkit",
        "cudatoolkit=11.8",
        3
    ));
    assert!(has(
        &audit,
        "manifests/bad/Cargo.toml",
        "cargo-cuda-crates",
        "cudarc",
        2
    ));
    assert_eq!(audit.files.scanned, 4);
}

#[test]
fn rust_sources_resolve_imports() {
    let audit = audit_fixture("rust");
    let main = "rust/src/main.rs";
    assert!(has(&audit, main, "rust-candle-cuda", "Device::new_cuda", 9));
    assert!(has(&audit, main, "rust-cudarc", "CudaDevice::new", 7));
    assert!(has(
        &audit,
        main,
        "rust-tch-cuda",
        "torch::Device::cuda_if_available",
        12
    ));
    assert!(
        found(&audit, main)
            .iter()
            .all(|(_, _, l)| *l != 1 && *l != 10)
    );
    assert!(has(
        &audit,
        "rust/src/kernels.rs",
        "rust-cuda-kernels",
        "kernel",
        3
    ));
    assert!(has(&audit, "rust/build.rs", "rust-cc-cuda", "cuda", 7));
    assert!(has(&audit, "rust/build.rs", "nvcc-compiler", "nvcc", 12));
    assert!(has(
        &audit,
        "rust/build.rs",
        "cuda-toolkit-env",
        "CUDA_HOME",
        4
    ));
    // A file syn cannot parse is still scanned token by token.
    assert!(has(
        &audit,
        "rust/broken/broken.rs",
        "rust-cudarc",
        "cudarc::driver::result::init",
        2
    ));
}

#[test]
fn rust_cudarc_methods_reexports_switches_and_kernel_strings() {
    let audit = audit_fixture("rust");
    let ops = "rust/src/ops.rs";
    let cudarc: Vec<(String, usize)> = found(&audit, ops)
        .into_iter()
        .filter(|(r, s, _)| r == "rust-cudarc" && !s.contains("::"))
        .map(|(_, s, l)| (s, l))
        .collect();
    let want = [
        ("load_ptx", 21),
        ("alloc_zeros", 26),
        ("htod_sync_copy", 30),
        ("get_func", 32),
        ("launch", 34),
        ("dtoh_sync_copy", 35),
    ];
    let want: Vec<(String, usize)> = want.iter().map(|(s, l)| (s.to_string(), *l)).collect();
    assert_eq!(cudarc, want);
    // Re-exported through `crate::backend`.
    assert!(has(
        &audit,
        ops,
        "rust-cudarc",
        "crate::backend::cudarc::driver::CudaSlice",
        3
    ));
    assert!(has(
        &audit,
        "rust/src/backend.rs",
        "rust-cudarc",
        "cudarc",
        3
    ));
    // Feature switches, `not(…)` excluded.
    assert!(has(
        &audit,
        "rust/src/backend.rs",
        "rust-cuda-feature-gate",
        "feature = \"cuda\"",
        2
    ));
    assert!(has(
        &audit,
        ops,
        "rust-cuda-feature-gate",
        "feature = \"cudnn\"",
        39
    ));
    assert!(!found(&audit, ops).iter().any(|(_, _, l)| *l == 46));
    // CUDA C++ in a raw string and in a literal handed to compile_ptx, at their real columns.
    let at = |rule: &str, symbol: &str, line: usize, column: usize| {
        audit.findings.iter().any(|f| {
            f.path == ops
                && f.rule_id == rule
                && f.symbol == symbol
                && f.start.line == line
                && f.start.column == column
        })
    };
    assert!(at("kernel-definition", "__global__", 7, 12));
    assert!(at("builtin-variables", "threadIdx", 8, 39));
    assert!(at("device-intrinsics", "__expf", 9, 27));
    assert!(at("kernel-definition", "__global__", 42, 18));
    assert!(at("rust-embedded-cuda-source", "kernels/scale.cu", 41, 29));
}

#[test]
fn generic_yaml_without_gpu_words_is_not_parsed() {
    let dir = tempfile::tempdir().unwrap();
    // Malformed, but holds nothing the rules could match: skipped cheaply, no warning.
    std::fs::write(dir.path().join("config.yml"), "a: [1, 2\nimage: nginx\n").unwrap();
    std::fs::write(
        dir.path().join("gpu.yaml"),
        "resources: {limits: {nvidia.com/gpu: 1}}\n",
    )
    .unwrap();
    let audit = crate::common::audit_dir(dir.path());
    assert!(
        audit.files.warnings.is_empty(),
        "{:?}",
        audit.files.warnings
    );
    let symbols: Vec<&str> = audit.findings.iter().map(|f| f.symbol.as_str()).collect();
    assert_eq!(symbols, ["nvidia.com/gpu"]);
}

#[test]
fn compilers_libraries_and_commands_behind_variables_and_strings() {
    let audit = audit_hidden("manifests/variables");
    let mk = "manifests/variables/Makefile";
    let sh = "manifests/variables/build.sh";
    let df = "manifests/variables/Dockerfile";
    let wf = "manifests/variables/.github/workflows/build.yml";
    let cm = "manifests/variables/CMakeLists.txt";
    for (path, rule, symbol, line) in [
        (mk, "nvcc-compiler", "$(NVCC)", 10),
        (mk, "nvcc-flags", "-gencode arch=compute_80,code=sm_80", 5),
        (mk, "nvcc-flags", "-arch=sm_80", 10),
        (mk, "nvcc-flags", "--use_fast_math", 10),
        (mk, "nvcc-flags", "-Xcompiler", 10),
        (mk, "nvcc-compiler", "${NVCC}", 13),
        (sh, "cmake-cuda-toolkit", "CMAKE_CUDA_ARCHITECTURES", 3),
        (sh, "cmake-findcuda", "CUDA_TOOLKIT_ROOT_DIR", 4),
        (df, "cmake-cuda-toolkit", "CMAKE_CUDA_ARCHITECTURES", 2),
        (wf, "cmake-cuda-toolkit", "CMAKE_CUDA_COMPILER", 7),
        (sh, "os-cuda-packages", "nvidia-container-toolkit", 7),
        (sh, "nvidia-tools", "nvidia-smi", 8),
        (df, "pip-cupy", "cupy-cuda12x", 4),
        (wf, "nvcc-compiler", "nvcc", 9),
        (wf, "nvcc-flags", "-arch=sm_90", 9),
        (cm, "link-cuda-libraries", "cudnn", 6),
        (cm, "link-cuda-libraries", "libcudnn.so.8", 6),
        (cm, "link-cuda-libraries", "nccl", 7),
        (cm, "link-cuda-libraries", "cudnn.h", 8),
        (cm, "link-cuda-libraries", "cutensor.h", 9),
        (cm, "link-cuda-libraries", "cublas", 16),
        (cm, "link-cuda-libraries", "cudnn", 16),
        (cm, "link-cuda-libraries", "nccl", 16),
    ] {
        assert!(
            has(&audit, path, rule, symbol, line),
            "{path}:{line} {rule} `{symbol}` missing: {:?}",
            found(&audit, path)
        );
    }
    // `$(CC)` with `CC ?= gcc` is no finding.
    assert!(
        !found(&audit, mk)
            .iter()
            .any(|(_, s, l)| s == "$(CC)" || *l == 17)
    );
    // libm and zlib are no finding.
    assert!(
        !found(&audit, cm)
            .iter()
            .any(|(_, _, l)| [12, 13].contains(l))
    );
    // `-DCMAKE_BUILD_TYPE=Release` is no finding.
    for path in [sh, df, wf] {
        assert!(
            !found(&audit, path)
                .iter()
                .any(|(_, s, _)| s.contains("CMAKE_BUILD_TYPE")),
            "{path}"
        );
    }
}
