//! The adversarial corpus, generated here (nothing big is committed): every input must leave the
//! scan alive, unhung, with a counted note where something was skipped, and the exit code the
//! contract promises. Determinism and atomic writes are pinned here too.

use crate::common::{run_in, stderr};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

fn json_of(dir: &Path, args: &[&str]) -> (Value, Option<i32>) {
    let out = run_in(dir, args);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\nstderr: {}", stderr(&out)));
    (v, out.status.code())
}

fn reasons(v: &Value, list: &str) -> Vec<(String, String)> {
    v["files"][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["path"].as_str().unwrap().to_string(),
                n["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn adversarial_corpus() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let w = |name: &str, bytes: &[u8]| fs::write(root.join(name), bytes).unwrap();

    // Deep nesting: 100k brackets and parentheses.
    w(
        "deep_parens.cu",
        format!(
            "void f() {{ int x = {}1{}; cudaFree(0); }}\n",
            "(".repeat(100_000),
            ")".repeat(100_000)
        )
        .as_bytes(),
    );
    w(
        "deep_braces.cpp",
        format!(
            "void g() {}{}\nvoid h() {{ cudaMalloc(0, 0); }}\n",
            "{".repeat(100_000),
            "}".repeat(100_000)
        )
        .as_bytes(),
    );
    w(
        "deep_scope.cpp",
        format!("int x = {}y;\n", "a::".repeat(50_000)).as_bytes(),
    );
    w(
        "deep_python.py",
        format!(
            "import torch\nx = {}0{}\ntorch.cuda.synchronize()\n",
            "[".repeat(50_000),
            "]".repeat(50_000)
        )
        .as_bytes(),
    );
    // A 50 MB single-line file (skipped by the default size cap, counted).
    w("huge_line.cu", &vec![b'x'; 50 * 1024 * 1024]);
    // NUL bytes: binary.
    w("nul.cu", b"__global__ void k() {}\0\0\0cudaMalloc");
    // Invalid UTF-8 mid-file: scanned, warned.
    w(
        "bad_utf8.cu",
        b"// \xff\xfe\n__global__ void k(float* x) { x[0] = 1; }\nvoid f() { cudaMalloc(0, 0); }\n",
    );
    // A BOM, CRLF and CR-only line endings, tabs and non-ASCII before findings.
    w("bom.cu", b"\xEF\xBB\xBFvoid f() { cudaMalloc(0, 0); }\n");
    w("crlf.cpp", b"// x\r\n\r\nvoid f() { cudaFree(0); }\r\n");
    w("cr_only.cpp", b"// x\r\rvoid f() { cudaFree(0); }\r");
    w(
        "tabs.cu",
        "\t\t/* \u{e9}\u{1F600} */ cudaMalloc(0, 0);\n".as_bytes(),
    );
    // Empty file.
    w("empty.cu", b"");
    // Names with spaces and non-ASCII.
    w("with space.cu", b"void f() { cudaFree(0); }\n");
    w("\u{fc}ber.cu", b"void f() { cudaFree(0); }\n");
    // Truncated notebook and manifests.
    w(
        "half.ipynb",
        b"{\"cells\": [{\"cell_type\": \"code\", \"source\": [\"import torch\\n\", \"torch.cu",
    );
    w(
        "pyproject.toml",
        b"[project]\ndependencies = [\"cupy-cuda12x\"\n",
    );
    w(
        "environment.yml",
        b"name: x\ndependencies:\n  - cudatoolkit=11.8\n  - [unclosed\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::symlink;
        fs::write(
            root.join(std::ffi::OsStr::from_bytes(b"latin1_\xe9.cu")),
            b"void f() { cudaFree(0); }\n",
        )
        .unwrap();
        symlink(root.join("loop_a.cu"), root.join("loop_b.cu")).unwrap();
        symlink(root.join("loop_b.cu"), root.join("loop_a.cu")).unwrap();
        symlink("/etc/hostname", root.join("outside.cu")).unwrap();
        symlink("/dev/zero", root.join("zero.cu")).unwrap();
        let fifo = root.join("pipe.cu");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(made, "mkfifo failed");
    }

    let (v, code) = json_of(root, &["--format", "json", "--hidden"]);
    assert_eq!(code, Some(1));
    let skipped = reasons(&v, "skipped");
    let has = |list: &[(String, String)], path: &str, reason: &str| {
        list.iter().any(|(p, r)| p == path && r == reason)
    };
    for (path, reason) in [
        ("huge_line.cu", "too-large"),
        ("nul.cu", "binary"),
        ("empty.cu", "empty"),
        ("loop_a.cu", "symlink-loop"),
        ("loop_b.cu", "symlink-loop"),
        ("outside.cu", "symlink-outside-root"),
        ("zero.cu", "symlink-outside-root"),
        ("pipe.cu", "not-a-regular-file"),
    ] {
        assert!(
            has(&skipped, path, reason),
            "{path} should be skipped as {reason}: {skipped:?}"
        );
    }
    let warnings = reasons(&v, "warnings");
    assert!(
        has(&warnings, "bad_utf8.cu", "invalid-utf8"),
        "{warnings:?}"
    );
    for path in ["half.ipynb", "pyproject.toml", "environment.yml"] {
        assert!(
            warnings.iter().any(|(p, _)| p == path),
            "{path} should carry a warning: {warnings:?}"
        );
    }
    let findings = v["findings"].as_array().unwrap();
    let at = |path: &str, symbol: &str| -> Vec<(u64, u64)> {
        findings
            .iter()
            .filter(|f| f["path"] == path && f["symbol"] == symbol)
            .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(
        at("deep_parens.cu", "cudaFree").len(),
        1,
        "deep nesting must not hide findings"
    );
    assert_eq!(at("deep_braces.cpp", "cudaMalloc").len(), 1);
    assert_eq!(at("bad_utf8.cu", "cudaMalloc"), [(3, 12)]);
    assert_eq!(at("bom.cu", "cudaMalloc"), [(1, 12)]);
    assert_eq!(at("crlf.cpp", "cudaFree"), [(3, 12)]);
    assert_eq!(at("cr_only.cpp", "cudaFree"), [(3, 12)]);
    assert_eq!(at("tabs.cu", "cudaMalloc"), [(1, 12)]);
    assert_eq!(at("with space.cu", "cudaFree").len(), 1);
    assert_eq!(at("\u{fc}ber.cu", "cudaFree").len(), 1);
    // Every file is accounted for: scanned, or skipped with a reason.
    let scanned = v["summary"]["files"]["scanned"].as_u64().unwrap() as usize;
    assert!(scanned >= 15, "{scanned}");

    // SARIF of the same tree is schema-valid, with UTF-16 columns.
    let (sarif, _) = json_of(root, &["--format", "sarif", "--hidden"]);
    assert!(crate::sarif::schema_errors(&sarif).is_empty());
    let tabs = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tabs.cu")
        .unwrap()
        .clone();
    assert_eq!(
        tabs["locations"][0]["physicalLocation"]["region"]["startColumn"],
        13
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the adversarial corpus took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_hundred_thousand_tiny_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in 0..100 {
        let sub = root.join(format!("d{d:03}"));
        fs::create_dir(&sub).unwrap();
        for f in 0..1000 {
            let (name, body): (String, &[u8]) = if f == 0 {
                (format!("k{f}.cu"), b"void f() { cudaFree(0); }\n")
            } else {
                (format!("f{f}.txt"), b"x\n")
            };
            fs::write(sub.join(name), body).unwrap();
        }
    }
    let (v, code) = json_of(root, &["--format", "json", "--quiet"]);
    assert_eq!(code, Some(1));
    assert_eq!(v["findings"].as_array().unwrap().len(), 100);
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let fixtures = crate::common::fixture("");
    for format in ["json", "sarif", "text"] {
        let runs: Vec<Vec<u8>> = ["1", "2", "8", "2"]
            .iter()
            .map(|j| run_in(&fixtures, &["-f", format, "-j", j]).stdout)
            .collect();
        assert!(
            runs.windows(2).all(|w| w[0] == w[1]),
            "{format} output differs between runs"
        );
    }
}

#[test]
fn findings_per_file_are_capped_and_the_overflow_counted() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("many.cu"),
        "void f() { cudaFree(0); }\n".repeat(50),
    )
    .unwrap();
    let (v, _) = json_of(dir.path(), &["-f", "json", "--max-findings-per-file", "10"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 10);
    let warnings = reasons(&v, "warnings");
    assert_eq!(
        warnings,
        [("many.cu".to_string(), "findings-capped".to_string())]
    );
}

#[test]
fn a_failed_run_leaves_no_partial_report_or_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.cu"), "void f() { cudaFree(0); }\n").unwrap();
    assert_eq!(
        run_in(root, &["baseline", "-o", "base.json"]).status.code(),
        Some(0)
    );
    let before = fs::read(root.join("base.json")).unwrap();
    // A malformed rule directory stops the run before anything is written.
    fs::create_dir(root.join("rules")).unwrap();
    fs::write(root.join("rules/bad.toml"), "[[rule]]\nid = \n").unwrap();
    let out = run_in(
        root,
        &[
            "--rules",
            "rules",
            "--baseline",
            "base.json",
            "--update-baseline",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read(root.join("base.json")).unwrap(), before);
    // Writing into a missing directory fails cleanly, with no temporary file left behind.
    let out = run_in(
        root,
        &["-f", "json", "-o", "missing/dir/report.json", "a.cu"],
    );
    assert_eq!(out.status.code(), Some(2));
    let names: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}
