//! `cuda-audit history` end to end, on git repositories built in temporary directories: the
//! series equals a plain scan of each commit checked out on its own, `--every` and `--since`
//! pick the commits they say, the user's work tree and index are left as they were, unchanged
//! files come from the result cache, the Markdown is stable, the HTML renders in a browser, and
//! the errors exit 2 and say what to do.

use crate::common::{git_with, stderr, stdout};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TARGETS: [&str; 3] = ["rocm", "neuron", "tpu"];

/// Runs the binary in `dir` with a result cache of its own (`cache`), and `env`.
fn run(dir: &Path, args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cuda-audit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CUDA_AUDIT_CACHE_DIR", cache)
        .env_remove("CUDA_AUDIT_TIMINGS")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}

/// Commits the work tree as it is on day `day` of January 2024 (author and committer date).
fn commit(dir: &Path, day: u32, message: &str) -> String {
    let date = format!("2024-01-{day:02}T12:00:00Z");
    let env = [
        ("GIT_AUTHOR_DATE", date.as_str()),
        ("GIT_COMMITTER_DATE", date.as_str()),
    ];
    git_with(dir, &["add", "-A"], &[]);
    git_with(dir, &["commit", "-q", "-m", message], &env);
    git_with(dir, &["rev-parse", "HEAD"], &[])
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const MALLOC: &str = "#include <cuda_runtime.h>\nvoid setup(float** p) {\n  cudaMalloc(p, 4);\n  cudaMemcpy(*p, *p, 4, cudaMemcpyHostToDevice);\n}\n";
const BLAS: &str = "#include <cublas_v2.h>\nvoid gemm() {\n  cublasHandle_t h;\n  cublasCreate(&h);\n  cublasSgemm(h, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1);\n}\n";
const KERNEL: &str = "__global__ void k(float* x) { x[threadIdx.x] = __shfl_sync(0xffffffff, 1.0f, 0); }\nvoid launch(float* x) { k<<<1, 32>>>(x); }\n";

/// Five commits on `main` in `<tmp>/proj`, one a day from 2024-01-01: no CUDA, then coupling
/// rises (runtime calls, cuBLAS and a kernel) and falls (cuBLAS removed, then everything but
/// the runtime calls). A tracked file that `.gitignore` ignores is never scanned. Returns the
/// commits, oldest first.
fn rising_then_falling(tmp: &Path) -> (PathBuf, Vec<String>) {
    let dir = tmp.join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    git_with(&dir, &["init", "-q"], &[]);
    write(&dir, "README.md", "# proj\n");
    write(&dir, "src/main.c", "int main(void) { return 0; }\n");
    write(&dir, ".gitignore", "src/generated.cu\n");
    write(&dir, "src/generated.cu", BLAS);
    git_with(&dir, &["add", "-f", "src/generated.cu"], &[]);
    let mut commits = vec![commit(&dir, 1, "start")];
    write(&dir, "src/k.cu", MALLOC);
    commits.push(commit(&dir, 2, "allocate on the device"));
    write(&dir, "src/blas.cu", BLAS);
    write(&dir, "src/kernels/k2.cu", KERNEL);
    commits.push(commit(&dir, 3, "cuBLAS and a kernel"));
    std::fs::remove_file(dir.join("src/blas.cu")).unwrap();
    commits.push(commit(&dir, 4, "drop cuBLAS"));
    std::fs::remove_dir_all(dir.join("src/kernels")).unwrap();
    write(&dir, "src/main.c", "int main(void) { return 1; }\n");
    commits.push(commit(&dir, 5, "drop the kernel"));
    (dir, commits)
}

/// Per target: (score, counts) of a plain `cuda-audit -f json` scan of `args` in `commit`,
/// checked out in a clone of its own.
fn plain_scan(repo: &Path, commit: &str, args: &[&str], tmp: &Path) -> Value {
    let clone = tmp.join(format!("checkout-{commit}"));
    if !clone.exists() {
        git_with(
            tmp,
            &[
                "clone",
                "-q",
                repo.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
            &[],
        );
        git_with(&clone, &["checkout", "-q", "--detach", commit], &[]);
    }
    let mut full = vec!["-f", "json", "--no-cache"];
    full.extend_from_slice(args);
    let out = run(&clone, &full, &tmp.join("unused-cache"), &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let targets = &v["summary"]["targets"];
    let mut per_target = serde_json::Map::new();
    for t in TARGETS {
        per_target.insert(
            t.into(),
            serde_json::json!({ "score": targets[t]["score"], "counts": targets[t]["counts"] }),
        );
    }
    serde_json::json!({ "findings": v["summary"]["findings"], "targets": per_target })
}

/// The same shape from a history point.
fn point_values(p: &Value) -> Value {
    let mut per_target = serde_json::Map::new();
    for t in TARGETS {
        per_target.insert(
            t.into(),
            serde_json::json!({ "score": p["targets"][t]["score"], "counts": p["targets"][t]["counts"] }),
        );
    }
    serde_json::json!({ "findings": p["findings"], "targets": per_target })
}

fn commits_of(v: &Value) -> Vec<String> {
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["commit"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_series_is_a_plain_scan_of_each_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, commits) = rising_then_falling(tmp.path());
    let cache = tmp.path().join("cache");
    let v = json(&run(
        &dir,
        &["history", "--commits", "10", "-f", "json"],
        &cache,
        &[],
    ));
    assert_eq!(commits_of(&v), commits, "oldest first, every commit");
    assert_eq!(v["commits_in_window"], 5);
    assert_eq!(v["shallow"], false);
    let points = v["points"].as_array().unwrap();
    for (p, c) in points.iter().zip(&commits) {
        assert_eq!(
            point_values(p),
            plain_scan(&dir, c, &[], tmp.path()),
            "at {c}"
        );
    }
    assert_eq!(points[0]["date"], "2024-01-01T12:00:00Z");
    assert_eq!(points[2]["subject"], "cuBLAS and a kernel");
    // Coupling rises, then falls: the Neuron score goes down twice, then up twice.
    let neuron: Vec<f64> = points
        .iter()
        .map(|p| p["targets"]["neuron"]["score"].as_f64().unwrap())
        .collect();
    assert_eq!(neuron[0], 100.0);
    assert!(neuron[0] > neuron[1] && neuron[1] > neuron[2], "{neuron:?}");
    assert!(neuron[2] < neuron[3] && neuron[3] < neuron[4], "{neuron:?}");
    // The tracked but ignored file is not scanned, as in the plain scan.
    let libs: Vec<&str> = points[0]["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["library"].as_str().unwrap())
        .collect();
    assert!(libs.is_empty(), "{libs:?}");
    assert_eq!(points[2]["libraries"][0]["library"], "cublas");
    // The jumps name the libraries that moved.
    let jumps = v["jumps"].as_array().unwrap();
    let drop = jumps
        .iter()
        .find(|j| j["commit"] == commits[3].as_str())
        .expect("dropping cuBLAS is a jump");
    assert_eq!(drop["previous"], commits[2].as_str());
    assert_eq!(drop["libraries"][0]["library"], "cublas");
    assert!(drop["libraries"][0]["delta"].as_i64().unwrap() < 0);
    assert!(drop["scores"]["neuron"]["delta"].as_f64().unwrap() > 0.0);

    // A path: only what is under it, with the ignore files above it honoured.
    let v = json(&run(
        &dir,
        &["history", "src", "--commits", "5", "-f", "json"],
        &cache,
        &[],
    ));
    assert_eq!(v["paths"], serde_json::json!(["src"]));
    for (p, c) in v["points"].as_array().unwrap().iter().zip(&commits) {
        assert_eq!(
            point_values(p),
            plain_scan(&dir, c, &["src"], tmp.path()),
            "src at {c}"
        );
    }
    // PATHs are relative to the current directory; without one, the whole repository is
    // charted from anywhere in it.
    let sub = dir.join("src");
    let v = json(&run(
        &sub,
        &["history", ".", "--commits", "1", "-f", "json"],
        &cache,
        &[],
    ));
    assert_eq!(v["paths"], serde_json::json!(["src"]));
    let v = json(&run(
        &sub,
        &["history", "--commits", "1", "-f", "json"],
        &cache,
        &[],
    ));
    assert_eq!(v["paths"], serde_json::json!(["."]));
    // A path that exists only in some commits scores 100 where it is absent.
    let v = json(&run(
        &dir,
        &["history", "src/kernels", "--commits", "5", "-f", "json"],
        &cache,
        &[],
    ));
    let scores: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["targets"]["rocm"]["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores[0], 100.0);
    assert!(scores[2] < 100.0);
    assert_eq!(scores[4], 100.0);
}

#[test]
fn every_and_since_pick_their_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, c) = rising_then_falling(tmp.path());
    let cache = tmp.path().join("cache");
    let picked = |args: &[&str]| {
        let mut full = vec!["history", "-f", "json"];
        full.extend_from_slice(args);
        commits_of(&json(&run(&dir, &full, &cache, &[])))
    };
    assert_eq!(
        picked(&["--commits", "5", "--every", "2"]),
        [c[0].as_str(), c[2].as_str(), c[4].as_str()]
    );
    assert_eq!(
        picked(&["--commits", "4", "--every", "2"]),
        [c[2].as_str(), c[4].as_str()]
    );
    assert_eq!(picked(&["--commits", "2"]), [c[3].as_str(), c[4].as_str()]);
    assert_eq!(
        picked(&["--since", "2024-01-03"]),
        [c[2].as_str(), c[3].as_str(), c[4].as_str()]
    );
    assert_eq!(
        picked(&["--since", "2024-01-03T12:00:01Z"]),
        [c[3].as_str(), c[4].as_str()]
    );
    assert_eq!(
        picked(&["--since", "2024-01-03T13:00:00+01:00", "--every", "2"]),
        [c[2].as_str(), c[4].as_str()]
    );
    let v = json(&run(
        &dir,
        &["history", "-f", "json", "--since", "2024-01-03"],
        &cache,
        &[],
    ));
    assert_eq!(
        v["window"],
        serde_json::json!({ "since": "2024-01-03T00:00:00Z" })
    );
    let out = run(&dir, &["history", "--since", "2030-01-01"], &cache, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("No commit to chart."));
}

/// Everything git and a reader of the work tree could see: the index's bytes, and every file
/// outside `.git` with its contents.
fn user_state(dir: &Path) -> (Vec<u8>, BTreeMap<PathBuf, Vec<u8>>) {
    fn files(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                files(&path, root, out);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().into(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut tree = BTreeMap::new();
    files(dir, dir, &mut tree);
    (std::fs::read(dir.join(".git/index")).unwrap(), tree)
}

#[test]
fn the_work_tree_and_the_index_are_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = rising_then_falling(tmp.path());
    // Uncommitted work: a staged change, an unstaged change, an untracked file, a deletion.
    write(&dir, "src/staged.cu", MALLOC);
    git_with(&dir, &["add", "src/staged.cu"], &[]);
    write(&dir, "src/main.c", "int main(void) { return 2; }\n");
    write(&dir, "notes.txt", "wip\n");
    std::fs::remove_file(dir.join("README.md")).unwrap();
    let status = git_with(
        &dir,
        &["status", "--porcelain=v1", "--untracked-files=all"],
        &[],
    );
    let before = user_state(&dir);
    let cache = tmp.path().join("cache");
    for format in ["json", "markdown", "html"] {
        let out = run(
            &dir,
            &["history", "--commits", "5", "-f", format],
            &cache,
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    assert!(
        before == user_state(&dir),
        "the index or the work tree changed"
    );
    assert_eq!(
        git_with(
            &dir,
            &["status", "--porcelain=v1", "--untracked-files=all"],
            &[]
        ),
        status
    );
    // The uncommitted coupling is not part of any commit.
    let v = json(&run(
        &dir,
        &["history", "--commits", "1", "-f", "json"],
        &cache,
        &[],
    ));
    assert!(!v.to_string().contains("staged.cu"));
}

#[test]
fn unchanged_files_come_from_the_result_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = rising_then_falling(tmp.path());
    let cache = tmp.path().join("fresh-cache");
    let out = run(
        &dir,
        &["history", "--commits", "5", "-f", "json"],
        &cache,
        &[("CUDA_AUDIT_TIMINGS", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // `commit <id>: <changed> paths written, <files> files scanned, <hits> from the cache`
    let lines: Vec<(usize, usize, usize)> = stderr(&out)
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(" commit ")?.1.split_once(": ")?.1;
            let n: Vec<usize> = rest
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            Some((n[0], n[1], n[2]))
        })
        .collect();
    assert_eq!(lines.len(), 5, "{}", stderr(&out));
    assert_eq!(lines[0].2, 0, "a cold cache");
    for &(changed, scanned, hits) in &lines[1..] {
        assert!(
            hits >= scanned.saturating_sub(changed) && hits > 0,
            "{changed} changed, {scanned} scanned, only {hits} from the cache"
        );
    }
    // The same history again, with the cache left by the first run: the same bytes.
    let again = run(
        &dir,
        &["history", "--commits", "5", "-f", "json"],
        &cache,
        &[("CUDA_AUDIT_TIMINGS", "1")],
    );
    assert_eq!(
        stdout(&again),
        stdout(&out),
        "the cache changes nothing in the output"
    );
}

#[test]
fn markdown_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = rising_then_falling(tmp.path());
    let out = run(
        &dir,
        &["history", "--commits", "5"],
        &tmp.path().join("cache"),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("history.md", stdout(&out)));
}

#[test]
fn errors_exit_2_and_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    // git looks for a repository no further up than the temporary directory.
    let ceiling = [("GIT_CEILING_DIRECTORIES", tmp.path().to_str().unwrap())];
    let out = run(&plain, &["history", "--commits", "3"], &cache, &ceiling);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("error:") && err.contains("not inside one") && err.contains("help:"),
        "{err}"
    );

    let (dir, commits) = rising_then_falling(tmp.path());
    for (args, says) in [
        (
            &["history", "--since", "last week"][..],
            "invalid date `last week`",
        ),
        (&["history", "--since", "2024-02-30"][..], "invalid date"),
        (
            &["history", "--commits", "3", "../elsewhere"][..],
            "outside the repository",
        ),
    ] {
        let out = run(&dir, args, &cache, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("error:") && err.contains(says) && err.contains("help:"),
            "{err}"
        );
    }
    for args in [
        &["history"][..],
        &["history", "--commits", "0"],
        &["history", "--commits", "2", "--since", "2024-01-01"],
        &["history", "--commits", "2", "--every", "0"],
        &["history", "--commits", "2", "-f", "sarif"],
    ] {
        assert_eq!(
            run(&dir, args, &cache, &[]).status.code(),
            Some(2),
            "{args:?}"
        );
    }

    // A shallow clone with fewer commits than asked: those are charted, and a warning says so.
    let shallow = tmp.path().join("shallow");
    let url = format!("file://{}", dir.display());
    git_with(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "2",
            &url,
            shallow.to_str().unwrap(),
        ],
        &[],
    );
    let out = run(
        &shallow,
        &["history", "--commits", "10", "-f", "json"],
        &cache,
        &[],
    );
    let v = json(&out);
    assert_eq!(commits_of(&v), [commits[3].as_str(), commits[4].as_str()]);
    assert_eq!(v["shallow"], true);
    let err = stderr(&out);
    assert!(
        err.contains("shallow clone") && err.contains("git fetch --unshallow"),
        "{err}"
    );
}

#[test]
fn html_is_self_contained() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = rising_then_falling(tmp.path());
    let cache = tmp.path().join("cache");
    let page = stdout(&run(
        &dir,
        &["history", "--commits", "5", "-f", "html"],
        &cache,
        &[],
    ));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"));
    assert!(page.contains("script-src") || page.contains("default-src 'none'"));
    for t in TARGETS {
        assert!(page.contains(&format!("<svg id=\"chart-{t}\"")), "{t}");
    }
    assert_eq!(
        page.matches("<circle class=\"pt").count(),
        15,
        "5 points on 3 charts"
    );
    assert!(page.contains("<table id=\"jump-table\""));
    assert!(page.contains("drop cuBLAS"));
    // The same history, the same bytes.
    let out = run(
        &dir,
        &["history", "--commits", "5", "-f", "html", "-o", "h.html"],
        &cache,
        &[],
    );
    assert!(
        stderr(&out).contains("wrote h.html (html, 5 commits)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(dir.join("h.html")).unwrap(), page);
}

#[test]
#[cfg_attr(no_chromium, ignore = "no chromium: apt-get install chromium")]
fn html_renders_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = rising_then_falling(tmp.path());
    let page = tmp.path().join("history.html");
    let out = run(
        &dir,
        &[
            "history",
            "--commits",
            "5",
            "-f",
            "html",
            "-o",
            page.to_str().unwrap(),
        ],
        &tmp.path().join("cache"),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (dom, log) = crate::common::load_in_chromium(&page);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Uncaught")
                || l.contains("Content Security Policy")
        })
        .collect();
    assert!(console.is_empty(), "console output: {console:#?}");
    for id in [
        "chart-rocm",
        "chart-neuron",
        "chart-tpu",
        "jump-table",
        "commit-table",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "#{id} is not in the rendered DOM"
        );
    }
    // Each of the four moves is large enough to be a jump.
    assert_eq!(
        dom.matches("<tr><td><code>").count(),
        5 + 4,
        "5 commits and 4 jumps"
    );
}
