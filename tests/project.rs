//! Whose code the findings are in (src/project): a package or workspace scanned as itself, vendored
//! libraries and submodules, prototypes, HIP beside CUDA, `.cuda()` outside PyTorch, languages
//! not analysed. Each fixture under fixtures/project/ is scanned as its own root, as a user would.

use crate::common::{audit_dir, fixture, run_in, stdout};
use cuda_audit::summary::Summary;
use cuda_audit::{Audit, Settings};

/// One line per finding (`path:line rule symbol rocm=effort`), then the ownership lines and the
/// files line of the summary.
fn render(audit: &Audit) -> String {
    let mut out = String::new();
    for f in &audit.findings {
        out.push_str(&format!(
            "{}:{} {} {} rocm={}\n",
            f.path,
            f.start.line,
            f.rule_id,
            f.symbol,
            f.effort(cuda_audit::portability::Target::Rocm)
        ));
    }
    let s = Summary::of(audit);
    out.push_str(&format!("-- {}\n", s.files_line()));
    for line in s.ownership_lines() {
        out.push_str(&format!("-- {line}\n"));
    }
    for v in &s.vendored {
        out.push_str(&format!(
            "-- vendored {} at {} ({}): {} findings in {} files; names {:?}\n",
            v.name, v.path, v.reason, v.findings, v.files, v.names
        ));
    }
    out
}

fn snapshot(name: &str, audit: &Audit) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!(name, render(audit)));
}

#[test]
fn a_package_scanning_itself_reports_only_what_it_uses_beneath_it() {
    let audit = audit_dir(&fixture("project/selfpkg"));
    snapshot("project-selfpkg", &audit);
    assert!(audit.findings.iter().all(|f| !f.symbol.starts_with("cuvs")));
    assert!(audit.findings.iter().any(|f| f.symbol == "cupy"));
    // The project's own image is not a CUDA image; the CUDA base image it builds from is.
    assert!(
        audit
            .findings
            .iter()
            .any(|f| f.symbol.starts_with("nvidia/cuda"))
    );
    assert!(
        !audit
            .findings
            .iter()
            .any(|f| f.symbol.contains("rapidsai/cuvs"))
    );
    assert!(audit.project.own_uses >= 5, "{}", audit.project.own_uses);
    assert_eq!(audit.project.names, ["cuvs"]);
}

#[test]
fn a_workspace_does_not_depend_on_its_own_path_crates() {
    let audit = audit_dir(&fixture("project/workspace"));
    snapshot("project-workspace", &audit);
    assert!(
        audit
            .findings
            .iter()
            .all(|f| !f.symbol.contains("candle-kernels") && !f.symbol.contains("candle_kernels")),
        "{}",
        render(&audit)
    );
    assert!(audit.findings.iter().any(|f| f.library == "cudarc"));
}

#[test]
fn vendored_code_is_listed_apart_and_not_scored() {
    let root = fixture("project/vendored");
    let audit = audit_dir(&root);
    snapshot("project-vendored", &audit);
    assert!(audit.findings.iter().all(|f| f.path.starts_with("src/")));
    let units: Vec<(&str, &str)> = audit
        .project
        .vendored
        .iter()
        .map(|v| (v.path.as_str(), v.reason))
        .collect();
    assert_eq!(
        units,
        [
            ("modules/nvbench", "git submodule"),
            ("third_party/cutlass_lite", "vendor directory"),
            (
                "vendor/github.com/NVIDIA/go-nvml",
                "Go vendor directory (vendor/modules.txt)"
            ),
        ]
    );
    // The prototype of the project's own function is a declaration; its definition is the use.
    let lines: Vec<usize> = audit
        .findings
        .iter()
        .filter(|f| f.symbol == "cudaStream_t")
        .map(|f| f.start.line)
        .collect();
    assert_eq!(lines, [8]);

    // The scores are the same with and without the vendored directories.
    let excluded = {
        let mut settings = Settings::new(&root, vec![root.clone()], crate::common::builtin_rules());
        settings.walk.excludes = vec![
            "vendor/**".into(),
            "third_party/**".into(),
            "modules/**".into(),
        ];
        cuda_audit::audit(&settings).unwrap()
    };
    let scores = |a: &Audit| -> Vec<String> {
        Summary::of(a)
            .scores
            .iter()
            .map(|s| format!("{:?} {}", s.target, s.score))
            .collect()
    };
    assert_eq!(scores(&audit), scores(&excluded));
    assert_eq!(audit.findings.len(), excluded.findings.len());

    // --include-vendored counts them, declarations still excepted.
    let out = run_in(&root, &["-f", "json", "--no-cache", "--include-vendored"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"modules/nvbench/src/bench.cu"));
    assert!(paths.contains(&"third_party/cutlass_lite/include/gemm.cuh"));
    assert!(v["summary"]["vendored"]["included"].as_bool().unwrap());
}

#[test]
fn hip_sources_are_not_cuda() {
    let audit = audit_dir(&fixture("project/hip_tree"));
    snapshot("project-hip", &audit);
    assert!(
        audit
            .findings
            .iter()
            .all(|f| f.path == "csrc/cuda/softmax.cu" || f.path == "csrc/dual.cu")
    );
    assert!(audit.findings.iter().any(|f| f.path == "csrc/dual.cu"));
    // hip/softmax.cpp (a ROCm-only tree), amd/rms_norm.cpp (HIP includes), amd/fused.hip.
    assert_eq!(audit.project.hip_files, 3);
}

#[test]
fn method_style_uses_belong_to_pytorch_only_where_the_file_reaches_it() {
    let audit = audit_dir(&fixture("project/receivers"));
    snapshot("project-receivers", &audit);
    let rule_of = |path: &str| -> Vec<&str> {
        audit
            .findings
            .iter()
            .filter(|f| f.path == path)
            .map(|f| f.rule_id.as_str())
            .collect()
    };
    assert_eq!(rule_of("app/train.py"), ["pytorch-cuda-device"]);
    assert_eq!(
        rule_of("app/other_lib.py"),
        ["cuda-device-unattributed", "cuda-device-unattributed"]
    );
}

#[test]
fn every_report_states_what_it_did_not_analyse() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kernel.cu"), "__global__ void k() {}\n").unwrap();
    std::fs::write(dir.path().join("solver.f90"), "program p\nend program p\n").unwrap();
    std::fs::write(dir.path().join("Main.java"), "class Main {}\n").unwrap();
    let json = stdout(&run_in(dir.path(), &["-f", "json", "--no-cache"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["summary"]["files"]["not_analysed"],
        serde_json::json!({ "fortran": 1, "java": 1 })
    );
    let text = stdout(&run_in(dir.path(), &["--no-cache"]));
    assert!(text.contains("not analysed: 1 fortran, 1 java"), "{text}");
    let md = stdout(&run_in(dir.path(), &["-f", "markdown", "--no-cache"]));
    assert!(md.contains("not analysed: 1 fortran, 1 java"), "{md}");
    let sarif = stdout(&run_in(dir.path(), &["-f", "sarif", "--no-cache"]));
    let s: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        s["runs"][0]["invocations"][0]["properties"]["notAnalysed"],
        serde_json::json!({ "fortran": 1, "java": 1 })
    );
}

#[test]
fn the_projects_own_headers_are_not_library_includes() {
    let audit = audit_dir(&fixture("project/own_headers"));
    snapshot("project-own-headers", &audit);
    let includes: Vec<&str> = audit
        .findings
        .iter()
        .filter(|f| f.category == cuda_audit::rule::Category::Include)
        .map(|f| f.symbol.as_str())
        .collect();
    // `cuda/reduce.hpp` is include/mylib/cuda/reduce.hpp; `cuda/std/atomic` is libcu++.
    assert_eq!(includes, ["cuda_runtime.h", "cuda/std/atomic"]);
}

#[test]
fn a_cuda_library_scanning_itself_need_not_parse_the_files_that_name_only_itself() {
    let dir = fixture("project/ownlib");
    let audit = audit_dir(&dir);
    snapshot("project-ownlib", &audit);
    // The tool's CUDA runtime calls are coupling; its CUTLASS uses are the project's own.
    assert!(
        audit
            .findings
            .iter()
            .any(|f| f.path == "tools/profile.cpp" && f.symbol == "cudaMalloc")
    );
    assert!(
        audit.findings.iter().all(|f| f.path.starts_with("tools/")
            || f.path.starts_with("third_party/")
            || f.path == "CMakeLists.txt"),
        "{}",
        render(&audit)
    );
    // The two headers and the HIP source name CUTLASS only: counted, not parsed.
    assert_eq!(audit.project.own_only_files, 3);
    assert!(audit.prefiltered >= 3, "{}", audit.prefiltered);
    assert_eq!(audit.project.hip_files, 1);
    // Only the tool's uses of CUTLASS are counted as uses (two `cutlass::half_t`, one
    // `cutlass::gemm::tile_rows`, one include).
    assert_eq!(audit.project.own_uses, 4);
    // Vendored code's CuTe uses are the vendored library's coupling, whatever the project is.
    let flashlib = audit
        .project
        .vendored
        .iter()
        .find(|v| v.path == "third_party/flashlib")
        .expect("the vendored library is reported");
    assert!(flashlib.findings >= 3, "{flashlib:?}");
    // Parsing every file reports the same, counts included.
    let mut settings = Settings::new(&dir, vec![dir.clone()], crate::common::builtin_rules());
    settings.exhaustive = true;
    let exhaustive = cuda_audit::audit(&settings).expect("audit succeeds");
    assert_eq!(render(&exhaustive), render(&audit));
    assert_eq!(exhaustive.project.own_uses, audit.project.own_uses);
    assert_eq!(exhaustive.project.own_only_files, 3);
    assert_eq!(exhaustive.prefiltered, 0);
}
