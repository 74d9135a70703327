//! Behaviour on the fixtures: what must be found, where, and what must stay quiet.

use crate::common::{audit_fixture, symbols_in};

fn has(audit: &cuda_audit::Audit, path: &str, symbol: &str, line: usize) -> bool {
    symbols_in(audit, path)
        .iter()
        .any(|(s, l)| s == symbol && *l == line)
}

#[test]
fn negatives_report_nothing() {
    let audit = audit_fixture("negatives");
    let found: Vec<String> = audit
        .findings
        .iter()
        .map(|f| format!("{}:{}: {} ({})", f.path, f.start.line, f.symbol, f.rule_id))
        .collect();
    assert!(
        found.is_empty(),
        "negatives produced findings:\n{}",
        found.join("\n")
    );
    assert_eq!(audit.files.scanned, 5);
}

#[test]
fn demo_portable_files_report_nothing() {
    let audit = audit_fixture("demo/src/portable");
    let found: Vec<String> = audit
        .findings
        .iter()
        .map(|f| format!("{}:{}: {}", f.path, f.start.line, f.symbol))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn launch_inside_macro_body() {
    let audit = audit_fixture("cases/launch_in_macro.cu");
    let launches: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| f.rule_id == "kernel-launch")
        .collect();
    assert_eq!(launches.len(), 1, "{launches:?}");
    assert!(launches[0].snippet.contains("#define"));
}

#[test]
fn templated_kernel_definition_and_launch() {
    let audit = audit_fixture("cases/templated_kernel.cu");
    let rules: Vec<&str> = audit.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(rules.contains(&"kernel-definition"), "{rules:?}");
    assert!(rules.contains(&"kernel-launch"), "{rules:?}");
    let kernel = audit
        .findings
        .iter()
        .find(|f| f.rule_id == "kernel-definition")
        .unwrap();
    assert_eq!(kernel.detail.as_deref(), Some("kernel `fill`"));
}

#[test]
fn macros_in_preprocessor_conditions() {
    let audit = audit_fixture("cases/macro_in_if.cpp");
    let p = "cases/macro_in_if.cpp";
    assert!(has(&audit, p, "CUDART_VERSION", 5));
    assert!(has(&audit, p, "__CUDA_ARCH__", 8));
    assert!(has(&audit, p, "__CUDACC__", 11));
}

#[test]
fn names_used_not_only_called() {
    let audit = audit_fixture("cases");
    assert!(
        symbols_in(&audit, "cases/enum_as_argument.cpp")
            .iter()
            .any(|(s, _)| s == "cudaMemcpyHostToDevice")
    );
    let types = symbols_in(&audit, "cases/type_in_declaration.cpp");
    assert!(types.iter().any(|(s, _)| s == "cudaStream_t"), "{types:?}");
    assert!(
        types.iter().any(|(s, _)| s == "cublasHandle_t"),
        "{types:?}"
    );
    let ptrs = symbols_in(&audit, "cases/function_pointer.cpp");
    assert!(
        ptrs.iter().filter(|(s, _)| s == "cudaFree").count() >= 2,
        "{ptrs:?}"
    );
    assert!(
        symbols_in(&audit, "cases/qualified_global.cpp")
            .iter()
            .any(|(s, _)| s == "cudaMalloc")
    );
}

#[test]
fn namespaces_through_aliases_and_using_directives() {
    let audit = audit_fixture("cases");
    let alias: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| f.path == "cases/namespace_alias.cu")
        .map(|f| f.rule_id.as_str())
        .collect();
    assert!(
        alias.iter().filter(|r| **r == "cooperative-groups").count() >= 2,
        "{alias:?}"
    );
    let using: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| f.path == "cases/using_namespace.cu")
        .map(|f| (f.rule_id.as_str(), f.symbol.as_str()))
        .collect();
    assert!(using.contains(&("wmma", "nvcuda")), "{using:?}");
    assert!(
        using
            .iter()
            .any(|(r, s)| *r == "wmma" && s.starts_with("wmma::")),
        "{using:?}"
    );
}

#[test]
fn columns_count_characters_and_utf16_units() {
    let audit = audit_fixture("cases/tabs_unicode.cu");
    let f = audit
        .findings
        .iter()
        .find(|f| f.symbol == "cudaMalloc")
        .expect("cudaMalloc found");
    assert_eq!(f.start.line, 5);
    assert_eq!(f.start.column, 11, "characters");
    assert_eq!(f.start.column_utf16, 12, "UTF-16 code units");
}

#[test]
fn crlf_line_numbers() {
    let audit = audit_fixture("cases/crlf.cpp");
    let p = "cases/crlf.cpp";
    assert!(
        has(&audit, p, "cudaMalloc", 3),
        "{:?}",
        symbols_in(&audit, p)
    );
    assert!(has(&audit, p, "cudaFree", 5), "{:?}", symbols_in(&audit, p));
    assert!(
        !has(&audit, p, "cudaMalloc", 1),
        "comment on line 1 reported"
    );
    assert!(audit.findings.iter().all(|f| !f.snippet.ends_with('\r')));
}

#[test]
fn demo_project_finds_every_library() {
    let audit = audit_fixture("demo");
    let libraries: std::collections::BTreeSet<&str> =
        audit.findings.iter().map(|f| f.library.as_str()).collect();
    for lib in [
        "cuda",
        "cudart",
        "cuda-driver",
        "nvrtc",
        "cublas",
        "cublaslt",
        "cudnn",
        "cufft",
        "cusparse",
        "curand",
        "cusolver",
        "nccl",
        "nvml",
        "nvtx",
        "tensorrt",
        "thrust",
        "cub",
        "cutlass",
        "cooperative-groups",
        "wmma",
    ] {
        assert!(
            libraries.contains(lib),
            "no finding for library {lib}; found {libraries:?}"
        );
    }
    // The ignored build directory is not scanned; the user helpers are not CUDA.
    assert!(audit.findings.iter().all(|f| !f.path.contains("build/")));
    for helper in [
        "cudaLikeHelper",
        "cudaDeviceCountOrZero",
        "CUDA_CHECK",
        "CUBLAS_CHECK",
        "LAUNCH_1D",
    ] {
        assert!(
            audit.findings.iter().all(|f| f.symbol != helper),
            "user-defined {helper} reported"
        );
    }
    // Every .cu file that defines a kernel yields a kernel finding.
    for file in [
        "demo/src/kernels/saxpy.cu",
        "demo/src/runtime/launch.cu",
        "demo/src/fft_sparse_rand/rand_device.cu",
        "demo/src/algo/thrust_cub.cu",
    ] {
        assert!(
            audit
                .findings
                .iter()
                .any(|f| f.path == file && f.rule_id == "kernel-definition"),
            "no kernel in {file}"
        );
    }
}

#[test]
fn strings_holding_cuda_source_are_not_reported() {
    let audit = audit_fixture("demo/src/runtime/driver.cpp");
    for f in &audit.findings {
        assert!(
            !matches!(
                f.symbol.as_str(),
                "__global__" | "blockIdx" | "__syncthreads"
            ),
            "{f:?}"
        );
    }
}

#[test]
fn host_inline_assembly_is_not_ptx_but_device_assembly_is() {
    let audit = audit_fixture("demo/src/kernels/ptx.cuh");
    assert_eq!(
        audit
            .findings
            .iter()
            .filter(|f| f.rule_id == "inline-ptx")
            .count(),
        4
    );
}
