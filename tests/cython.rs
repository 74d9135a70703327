//! Cython (`.pyx`, `.pxd`, `.pxi`): `cdef extern from` headers, CUDA names used outside extern
//! blocks, imports matched by the Python rules; nothing from comments, docstrings, strings or the
//! declarations inside extern blocks.

use crate::common::{audit_dir, audit_fixture};
use crate::go::{compact, found};

fn row(path: &str, rule: &str, symbol: &str, line: usize) -> (String, String, String, usize) {
    (path.into(), rule.into(), symbol.into(), line)
}

#[test]
fn cython_fixture_findings() {
    let audit = audit_fixture("cython");
    assert_eq!(
        found(&audit, "cython/"),
        vec![
            row("cython/runtime.pxd", "include-cuda-driver", "cuda.h", 3),
            row(
                "cython/runtime.pyx",
                "cuda-python-core",
                "cuda.bindings.cyruntime",
                8
            ),
            row(
                "cython/runtime.pyx",
                "include-cuda-runtime",
                "cuda_runtime.h",
                13
            ),
            row("cython/runtime.pyx", "include-cublas", "cublas_v2.h", 21),
            row(
                "cython/runtime.pyx",
                "cudart-memory-management",
                "cudaMalloc",
                30
            ),
            row(
                "cython/runtime.pyx",
                "cudart-memory-management",
                "cudaFree",
                37
            ),
            row("cython/runtime.pyx", "cudart-data-types", "cudaSuccess", 38),
            row(
                "cython/runtime.pyx",
                "cudart-data-types",
                "cudaStream_t",
                44
            ),
        ]
    );
}

#[test]
fn cython_snapshot() {
    let audit = audit_fixture("cython");
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("cython.txt", compact(&audit)));
}

#[test]
fn cython_negatives_report_nothing() {
    let audit = audit_fixture("cython/negatives");
    assert!(audit.findings.is_empty(), "{}", compact(&audit));
    assert_eq!(audit.files.scanned, 1);
}

#[test]
fn pxi_files_and_exact_columns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("_softlink.pxi"),
        "cdef extern from 'nccl.h' nogil:\n    int ncclGetVersion(int*)\n\ncdef f():\n    ncclGetVersion(&v)  # ncclAllReduce\n",
    )
    .unwrap();
    let audit = audit_dir(dir.path());
    let got: Vec<(String, usize, usize)> = audit
        .findings
        .iter()
        .map(|f| (f.symbol.clone(), f.start.line, f.start.column))
        .collect();
    assert_eq!(
        got,
        vec![("nccl.h".into(), 1, 19), ("ncclGetVersion".into(), 5, 5)]
    );
}
