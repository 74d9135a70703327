//! The result cache: a warm scan reports byte for byte what a scan without it reports, a changed
//! file is analysed afresh, and a damaged or foreign cache is ignored.

use crate::common::{builtin_rules, cache_dir, repo_root, run_in, stdout};
use cuda_audit::report::{Format, render};
use cuda_audit::{Audit, Settings, audit};
use std::path::{Path, PathBuf};

fn scan(root: &Path, cache: Option<&Path>) -> Audit {
    let mut settings = Settings::new(root, vec![root.to_path_buf()], builtin_rules());
    settings.cache = cache.map(Path::to_path_buf);
    audit(&settings).expect("audit succeeds")
}

fn json(a: &Audit) -> String {
    String::from_utf8(render(Format::Json, a)).unwrap()
}

/// A copy of the fixtures to change files in.
fn fixtures_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("fixtures"), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

#[test]
fn a_warm_cache_reports_what_a_fresh_scan_reports() {
    let tree = fixtures_copy();
    let root = tree.path();
    let cache_home = tempfile::tempdir().unwrap();
    let cache = cache_home.path().join("c.bin");
    let fresh = scan(root, None);
    let cold = scan(root, Some(&cache));
    assert_eq!(cold.cache_hits, 0);
    let warm = scan(root, Some(&cache));
    assert!(
        warm.cache_hits >= warm.files.scanned * 9 / 10,
        "{} hits for {} files",
        warm.cache_hits,
        warm.files.scanned
    );
    assert_eq!(json(&cold), json(&fresh));
    assert_eq!(json(&warm), json(&fresh));

    // One file changes, one is removed, one is added: only they are analysed afresh.
    let changed = root.join("demo/src/kernels/saxpy.cu");
    let mut text = std::fs::read_to_string(&changed).unwrap();
    text.push_str("\nvoid added() { cudaDeviceSynchronize(); }\n");
    std::fs::write(&changed, text).unwrap();
    std::fs::write(root.join("new.cu"), "__global__ void k() {}\n").unwrap();
    let removed: PathBuf = root.join("python");
    std::fs::remove_dir_all(&removed).unwrap();
    let fresh = scan(root, None);
    let warm = scan(root, Some(&cache));
    assert_eq!(json(&warm), json(&fresh));
    assert!(
        json(&warm).contains("added"),
        "the changed file was re-analysed"
    );
    assert!(warm.cache_hits + 2 <= warm.files.scanned);
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored() {
    let root = repo_root().join("fixtures").join("demo");
    let cache_home = tempfile::tempdir().unwrap();
    let cache = cache_home.path().join("c.bin");
    let fresh = json(&scan(&root, None));
    scan(&root, Some(&cache));
    let good = std::fs::read(&cache).unwrap();
    let mut damaged = good.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x01;
    for bytes in [
        damaged,
        good[..good.len() / 3].to_vec(),
        Vec::new(),
        b"not a cache at all".to_vec(),
        std::fs::read(root.join("src/kernels/saxpy.cu")).unwrap(),
    ] {
        std::fs::write(&cache, &bytes).unwrap();
        let a = scan(&root, Some(&cache));
        assert_eq!(a.cache_hits, 0, "a damaged cache is never read");
        assert_eq!(json(&a), fresh);
        // ... and is replaced by a good one.
        assert!(scan(&root, Some(&cache)).cache_hits > 0);
    }
}

#[test]
fn the_cli_keeps_its_cache_outside_the_tree_and_no_cache_writes_none() {
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(
        tree.path().join("a.cu"),
        "__global__ void k() {}\nvoid f() { cudaMalloc(0, 0); }\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    let first = run_in(tree.path(), &["-f", "json", "--cache-dir", dir]);
    let second = run_in(tree.path(), &["-f", "json", "--cache-dir", dir]);
    assert_eq!(stdout(&first), stdout(&second));
    // The per-file results and the last report.
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 2);
    let names: Vec<_> = std::fs::read_dir(tree.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["a.cu"], "nothing is written into the scanned tree");

    let none = tempfile::tempdir().unwrap();
    let dir = none.path().to_str().unwrap();
    let third = run_in(
        tree.path(),
        &["-f", "json", "--no-cache", "--cache-dir", dir],
    );
    assert_eq!(stdout(&third), stdout(&first));
    assert_eq!(std::fs::read_dir(none.path()).unwrap().count(), 0);
    // The tests' default cache directory is set by `run_in`.
    assert!(cache_dir().is_absolute());
}

#[test]
fn generated_trees_report_the_same_from_the_cache() {
    for seed in [21u64, 22, 23] {
        let tree = tempfile::tempdir().unwrap();
        crate::performance::generate(tree.path(), seed, 60);
        let cache_home = tempfile::tempdir().unwrap();
        let cache = cache_home.path().join("c.bin");
        let fresh = json(&scan(tree.path(), None));
        assert_eq!(json(&scan(tree.path(), Some(&cache))), fresh);
        let warm = scan(tree.path(), Some(&cache));
        assert_eq!(warm.cache_hits, warm.files.scanned);
        assert_eq!(json(&warm), fresh);
    }
}

/// Runs the binary with phase timings on: stderr says whether the report was replayed.
fn run_timed(dir: &Path, args: &[&str]) -> (String, bool, Option<i32>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cuda-audit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CUDA_AUDIT_TIMINGS", "1")
        .output()
        .unwrap();
    let replayed = String::from_utf8_lossy(&out.stderr).contains("report replayed");
    (stdout(&out), replayed, out.status.code())
}

#[test]
fn an_unchanged_tree_replays_the_last_report_and_any_change_is_seen() {
    let tree = tempfile::tempdir().unwrap();
    let root = tree.path();
    std::fs::write(root.join("a.cu"), "__global__ void k() {}\n").unwrap();
    std::fs::write(
        root.join("b.py"),
        "import torch\nx = torch.zeros(1).cuda()\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    let json = ["-f", "json", "--cache-dir", dir];

    let (first, replayed, code) = run_timed(root, &json);
    assert!(!replayed);
    let (second, replayed, code2) = run_timed(root, &json);
    assert!(replayed, "nothing changed: the report is replayed");
    assert_eq!((second.as_str(), code2), (first.as_str(), code));

    // Other options are another report.
    let (text, replayed, _) = run_timed(root, &["--cache-dir", dir]);
    assert!(!replayed && !text.starts_with('{'));

    // A changed, an added and a removed file are each seen.
    std::fs::write(root.join("a.cu"), "__global__ void k2() {}\n").unwrap();
    let (changed, replayed, _) = run_timed(root, &json);
    assert!(!replayed && changed.contains("k2") && changed != first);
    std::fs::write(root.join("c.cu"), "void f() { cudaFree(0); }\n").unwrap();
    let (added, replayed, _) = run_timed(root, &json);
    assert!(!replayed && added.contains("cudaFree"));
    std::fs::remove_file(root.join("b.py")).unwrap();
    let (removed, replayed, _) = run_timed(root, &json);
    assert!(!replayed && !removed.contains("b.py"));
    let fresh = run_in(root, &["-f", "json", "--no-cache"]);
    assert_eq!(removed, stdout(&fresh));

    // A damaged memo is not replayed, and a scan against a baseline is never memoised.
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "report") {
            let mut bytes = std::fs::read(&path).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let (again, replayed, _) = run_timed(root, &json);
    assert!(!replayed);
    assert_eq!(again, removed);
    let baseline = root.join("base.json");
    run_in(root, &["baseline", "-o", baseline.to_str().unwrap()]);
    let gated = [json.as_slice(), &["--baseline", baseline.to_str().unwrap()]].concat();
    run_timed(root, &gated);
    let (_, replayed, _) = run_timed(root, &gated);
    assert!(!replayed);
}

#[test]
fn an_unusable_cache_directory_costs_time_not_the_result() {
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(tree.path().join("a.cu"), "__global__ void k() {}\n").unwrap();
    let fresh = run_in(tree.path(), &["-f", "json", "--no-cache"]);
    // A regular file where the cache directory should be: nothing can be read or written.
    let blocker = tempfile::NamedTempFile::new().unwrap();
    let dir = blocker.path().to_str().unwrap();
    for _ in 0..2 {
        let out = run_in(tree.path(), &["-f", "json", "--cache-dir", dir]);
        assert_eq!(out.status.code(), fresh.status.code());
        assert_eq!(stdout(&out), stdout(&fresh));
        assert!(
            crate::common::stderr(&out).contains("cannot write the result cache"),
            "the failure is said, once per run"
        );
    }
}

#[test]
fn a_new_commit_is_not_replayed_from_the_report_memo() {
    use crate::gate::{KERNEL, git, repo};
    let dir = repo();
    let root = dir.path();
    std::fs::write(root.join("a.cu"), KERNEL).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "one"]);
    let commit = |root: &std::path::Path| {
        let out = crate::common::run_in(root, &["-f", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["source"]["commit"].as_str().unwrap().to_string()
    };
    let first = commit(root);
    assert_eq!(commit(root), first);
    git(root, &["commit", "-q", "--allow-empty", "-m", "two"]);
    assert_ne!(commit(root), first);
}
