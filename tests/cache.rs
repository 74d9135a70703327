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
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
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
