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

/// The binary run in `dir` with `args` and `env`, no cap from the caller's environment, and a
/// fixed scan date (reports compared across runs cannot straddle midnight).
fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cuda-audit"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CUDA_AUDIT_CACHE_DIR", cache_dir())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("CUDA_AUDIT_CACHE_MAX_SIZE");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// The cache's entries (file name stem: one per scanned root) with their bytes on disk.
fn entries(cache: &Path) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(cache).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let stem = name.split('.').next().unwrap().to_string();
        *out.entry(stem).or_default() += entry.metadata().unwrap().len();
    }
    out
}

/// Sets the last use of the entry `stem`: its files' modification time, `secs` after a fixed
/// moment in the past.
fn set_last_use(cache: &Path, stem: &str, secs: u64) {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000 + secs);
    for entry in std::fs::read_dir(cache).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(stem)
        {
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(time).unwrap();
        }
    }
}

#[test]
fn past_its_cap_the_cache_loses_its_least_recently_used_entries_first() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    let args = ["-f", "concise", "--cache-dir", dir];
    let trees: Vec<tempfile::TempDir> = (0..5)
        .map(|i| {
            let tree = tempfile::tempdir().unwrap();
            crate::performance::generate(tree.path(), 40 + i, 3);
            tree
        })
        .collect();
    // Each tree scanned once with the default cap: one entry each, tree 0 the least recently
    // used, tree 4 the most.
    let mut stems = Vec::new();
    let mut reports = Vec::new();
    for (i, tree) in trees.iter().enumerate() {
        let before = entries(cache.path());
        let out = run_env(tree.path(), &args, &[]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            crate::common::stderr(&out)
        );
        reports.push(stdout(&out));
        let after = entries(cache.path());
        let new: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
        assert_eq!(new.len(), 1, "{after:?}");
        set_last_use(cache.path(), new[0], i as u64 * 100);
        stems.push(new[0].clone());
    }
    let sizes = entries(cache.path());
    let size = |i: usize| sizes[&stems[i]];
    // Room for trees 4, 0 and 3, not for a fourth.
    let cap = size(4) + size(0) + size(3) + size(2) / 2;
    assert!(cap < 64 << 10, "a small cap: {cap}");
    let kept = || {
        let left = entries(cache.path());
        assert!(left.values().sum::<u64>() <= cap, "{left:?} over {cap}");
        (0..5)
            .filter(|&i| left.contains_key(&stems[i]))
            .collect::<Vec<usize>>()
    };

    // Tree 0 is used again: its report is replayed (nothing is written, nothing pruned), which
    // makes it the second most recently used once tree 4 is scanned again with the cap.
    let out = run_env(trees[0].path(), &args, &[]);
    assert_eq!(
        stdout(&out),
        reports[0],
        "a replayed report is the same bytes"
    );
    assert_eq!(entries(cache.path()), sizes, "a replay writes nothing");
    let cap_arg = cap.to_string();
    let capped = [&args[..], &["--cache-max-size", &cap_arg]].concat();
    let out = run_env(trees[4].path(), &capped, &[]);
    assert_eq!(
        stdout(&out),
        reports[4],
        "a warm scan reports the same bytes"
    );
    assert_eq!(kept(), [0, 3, 4], "the least recently used go first");
    assert_eq!(
        entries(cache.path())[&stems[0]],
        size(0),
        "tree 0's entry is whole"
    );

    // A pruned tree is analysed afresh, with the same report; what it pushes out is again the
    // least recently used: the longest run of the most recently used that fits is kept.
    let out = run_env(trees[1].path(), &capped, &[]);
    assert_eq!(stdout(&out), reports[1]);
    let left = entries(cache.path());
    let mut expected = Vec::new();
    let mut total = 0;
    for i in [1, 4, 0, 3] {
        total += left.get(&stems[i]).copied().unwrap_or(size(i));
        if total > cap {
            break;
        }
        expected.push(i);
    }
    expected.sort();
    assert!(!expected.contains(&3), "{expected:?}: tree 3 must go");
    assert_eq!(kept(), expected);
}

#[test]
fn a_cache_over_its_share_of_the_cap_keeps_what_fits_and_no_large_report() {
    let tree = tempfile::tempdir().unwrap();
    crate::performance::generate(tree.path(), 7, 80);
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    let fresh = run_env(tree.path(), &["-f", "json", "--no-cache"], &[]);
    let json = ["-f", "json", "--cache-dir", dir];
    // With the default cap: the results and the report are both kept.
    let first = run_env(tree.path(), &json, &[]);
    assert_eq!(stdout(&first), stdout(&fresh));
    let files = |ext: &str| {
        std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .map(|p| std::fs::metadata(p).unwrap().len())
            .collect::<Vec<u64>>()
    };
    let (results, report) = (files("bin")[0], files("report")[0]);
    assert!(report > 4 << 10 && results > 4 << 10, "{results} {report}");

    // A cap whose quarter (the largest report memoised) is below the report, and whose rest is
    // below the results: the memo is not kept (the older one goes too), the results that fit are.
    let cap = (results * 3 / 4).min(report * 4 - 4);
    let cap_arg = cap.to_string();
    let capped = [&json[..], &["--cache-max-size", &cap_arg]].concat();
    let timed = [("CUDA_AUDIT_TIMINGS", "1")];
    let mut hits = Vec::new();
    for run in 0..2 {
        let out = run_env(tree.path(), &capped, &timed);
        assert_eq!(stdout(&out), stdout(&fresh), "run {run}: the same bytes");
        let err = crate::common::stderr(&out);
        assert!(!err.contains("report replayed"), "{err}");
        assert!(!err.contains("warning"), "{err}");
        assert_eq!(
            files("report"),
            Vec::<u64>::new(),
            "the report is not memoised"
        );
        let kept = files("bin");
        assert!(
            kept.len() == 1 && kept[0] <= cap - cap / 4,
            "{kept:?} over {cap}"
        );
        hits.push(
            err.split("cache written (")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap(),
        );
    }
    // The first run reads the whole cache of the default cap; the second what fitted.
    assert!(hits[1] > 0 && hits[1] < hits[0], "{hits:?}");
}

#[test]
fn cache_info_says_what_is_on_disk_and_clean_empties_it() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    let work = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        let tree = work.path().join(name);
        std::fs::create_dir(&tree).unwrap();
        std::fs::write(tree.join("k.cu"), "__global__ void k() {}\n").unwrap();
        run_env(&tree, &["--cache-dir", dir], &[]);
    }
    // Not the cache's: never counted, never removed.
    std::fs::write(cache.path().join("notes.txt"), "mine").unwrap();
    let info = |args: &[&str], env: &[(&str, &str)]| {
        let out = run_env(
            work.path(),
            &[&["cache", "info", "-f", "json", "--cache-dir", dir], args].concat(),
            env,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            crate::common::stderr(&out)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let v = info(&[], &[]);
    let on_disk: u64 = entries(cache.path())
        .iter()
        .filter(|(stem, _)| *stem != "notes")
        .map(|(_, bytes)| bytes)
        .sum();
    assert_eq!(v["bytes"], on_disk);
    assert_eq!(v["files"], 4);
    assert_eq!(v["entries"], 2);
    assert_eq!(v["max_bytes"], 512 << 20);
    assert_eq!(v["memo_max_bytes"], 64 << 20);
    assert_eq!(v["directory"], dir);
    assert!(v["oldest_use"].as_str().unwrap() <= v["newest_use"].as_str().unwrap());

    // The cap: the flag over the configuration over the environment over 512M.
    let env = [("CUDA_AUDIT_CACHE_MAX_SIZE", "3M")];
    assert_eq!(info(&[], &env)["max_bytes"], 3 << 20);
    std::fs::write(
        work.path().join("cuda-audit.toml"),
        "cache-max-size = \"2M\"\n",
    )
    .unwrap();
    assert_eq!(info(&[], &env)["max_bytes"], 2 << 20);
    assert_eq!(info(&["--no-config"], &env)["max_bytes"], 3 << 20);
    assert_eq!(
        info(&["--cache-max-size", "1M"], &env)["max_bytes"],
        1 << 20
    );
    let bad = run_env(
        work.path(),
        &["cache", "info", "--no-config", "--cache-dir", dir],
        &[("CUDA_AUDIT_CACHE_MAX_SIZE", "lots")],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(crate::common::stderr(&bad).contains("invalid CUDA_AUDIT_CACHE_MAX_SIZE"));
    std::fs::write(
        work.path().join("cuda-audit.toml"),
        "cache-max-size = \"2MB\"\n",
    )
    .unwrap();
    let bad = run_env(work.path(), &["cache", "info", "--cache-dir", dir], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(crate::common::stderr(&bad).contains("cache-max-size = \"2MB\""));
    std::fs::remove_file(work.path().join("cuda-audit.toml")).unwrap();

    let text = run_env(work.path(), &["cache", "info", "--cache-dir", dir], &[]);
    let text = stdout(&text);
    assert!(
        text.contains(&format!("cache directory: {dir}\n")),
        "{text}"
    );
    assert!(text.contains(&format!("({on_disk} bytes)")), "{text}");
    assert!(text.contains("2 scanned roots (4 files)"), "{text}");

    let out = run_env(work.path(), &["cache", "clean", "--cache-dir", dir], &[]);
    assert_eq!(out.status.code(), Some(0));
    let err = crate::common::stderr(&out);
    assert!(
        err.contains("removed 4 files (") && err.contains(&format!("{on_disk} bytes")),
        "{err}"
    );
    let names: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"]);
    assert_eq!(info(&[], &[])["bytes"], 0);
    let again = run_env(work.path(), &["cache", "clean", "--cache-dir", dir], &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(crate::common::stderr(&again).contains("is empty"));
}

#[test]
fn the_cache_commands_state_their_exit_codes() {
    for args in [&["cache"][..], &["cache", "info"], &["cache", "clean"]] {
        let out = run_in(&repo_root(), &[args, &["--help"]].concat());
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).contains("Exit codes: 0 "), "{}", stdout(&out));
    }
    let out = run_in(&repo_root(), &["cache"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scans_at_once_with_a_tiny_cap_lose_entries_never_the_result() {
    let trees: Vec<tempfile::TempDir> = (0..3)
        .map(|i| {
            let tree = tempfile::tempdir().unwrap();
            crate::performance::generate(tree.path(), 60 + i, 6);
            tree
        })
        .collect();
    let fresh: Vec<String> = trees
        .iter()
        .map(|t| stdout(&run_env(t.path(), &["-f", "concise", "--no-cache"], &[])))
        .collect();
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    // Every scan prunes the others' entries, while they read and write theirs.
    let args = [
        "-f",
        "concise",
        "--cache-dir",
        dir,
        "--cache-max-size",
        "24K",
    ];
    for _round in 0..3 {
        let running: Vec<(usize, std::process::Child)> = (0..6)
            .map(|i| {
                let child = std::process::Command::new(env!("CARGO_BIN_EXE_cuda-audit"))
                    .args(args)
                    .current_dir(trees[i % 3].path())
                    .env("NO_COLOR", "1")
                    .env("SOURCE_DATE_EPOCH", "1700000000")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                (i % 3, child)
            })
            .collect();
        for (tree, child) in running {
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(1));
            assert_eq!(stdout(&out), fresh[tree]);
            assert_eq!(crate::common::stderr(&out), "", "no warning");
        }
        let total: u64 = entries(cache.path()).values().sum();
        assert!(total <= 24 << 10, "{total}");
    }
}
