//! Bad input never crashes the scan and never vanishes: each is skipped or warned about, and
//! counted. Malformed rule files stop the run with exit 2 and a pointed error.
//!
//! Errors read like cargo's or ripgrep's: `error: <message>: <cause>`, the offending text of a
//! data file, `help: <what to do>`; no internal codes, no wrapped lines, no temporary files.

use crate::common::{audit_dir, fixture, repo_root, run_in, stderr, stdout};
use std::fs;
use std::process::{Command, Output};

#[test]
fn bad_files_are_counted_and_the_scan_goes_on() {
    let audit = audit_dir(&fixture("bad"));
    let skipped: Vec<(&str, &str)> = audit
        .files
        .skipped
        .iter()
        .map(|n| (n.path.as_str(), n.reason.as_str()))
        .collect();
    assert!(skipped.contains(&("binary.cu", "binary")), "{skipped:?}");
    assert!(skipped.contains(&("empty.cu", "empty")), "{skipped:?}");
    let warnings: Vec<(&str, &str)> = audit
        .files
        .warnings
        .iter()
        .map(|n| (n.path.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(warnings, [("invalid_utf8.cu", "invalid-utf8")]);
    // The file with a stray byte is still scanned: its kernel, call and launch are all found.
    let symbols: Vec<&str> = audit
        .findings
        .iter()
        .filter(|f| f.path == "invalid_utf8.cu")
        .map(|f| f.symbol.as_str())
        .collect();
    for s in ["__global__", "cudaMalloc", "<<<>>>"] {
        assert!(symbols.contains(&s), "{s} missing from {symbols:?}");
    }
}

#[test]
fn oversized_files_are_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("big.cu"),
        format!(
            "void f() {{ cudaMalloc(0, 0); }}\n{}",
            "// pad\n".repeat(100)
        ),
    )
    .unwrap();
    fs::write(dir.path().join("small.cu"), "void f() { cudaFree(0); }\n").unwrap();
    let out = run_in(dir.path(), &["--format", "json", "--max-file-size", "100"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["files"]["skipped_by_reason"]["too-large"], 1);
    assert_eq!(v["files"]["skipped"][0]["path"], "big.cu");
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn symlinks_broken_looping_and_escaping_are_counted() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("secret.cu"),
        "void f() { cudaMalloc(0, 0); }\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("ok.cu"), "void f() { cudaFree(0); }\n").unwrap();
    symlink(root.join("missing.cu"), root.join("broken.cu")).unwrap();
    symlink(root.join("loop.cu"), root.join("loop.cu")).unwrap();
    symlink(outside.path().join("secret.cu"), root.join("escape.cu")).unwrap();
    symlink(outside.path(), root.join("escape_dir")).unwrap();
    let audit = crate::common::audit_dir(root);
    let mut reasons: Vec<(&str, &str)> = audit
        .files
        .skipped
        .iter()
        .map(|n| (n.path.as_str(), n.reason.as_str()))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            ("broken.cu", "broken-symlink"),
            ("escape.cu", "symlink-outside-root"),
            ("escape_dir", "symlink-outside-root"),
            ("loop.cu", "symlink-loop")
        ]
    );
    assert_eq!(audit.files.scanned, 1);
    assert!(audit.findings.iter().all(|f| f.path == "ok.cu"));
}

#[test]
fn malformed_rules_file_exits_2_pointing_at_the_line() {
    let out = run_in(
        &fixture("negatives"),
        &["--rules", fixture("bad/rules").to_str().unwrap(), "."],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_plain(&err);
    assert!(err.contains("malformed.toml"), "{err}");
    assert!(err.contains("4 │"), "error should show line 4:\n{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn invalid_rule_values_are_pointed_at() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    fs::create_dir(&rules).unwrap();
    fs::write(
        rules.join("r.toml"),
        "[[rule]]\nid = \"my-rule\"\ntitle = \"t\"\ncategory = \"kernel\"\nlibrary = \"x\"\nhelp = \"h\"\n[rule.match]\nnames = [\"myCudaThing\"]\n[rule.portability]\nrocm = { effort = \"sometimes\" }\nneuron = { effort = \"none\" }\ntpu = { effort = \"none\" }\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["--rules", "rules", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("sometimes") && err.contains("10 │"), "{err}");
}

#[test]
fn user_rules_add_findings() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("rules")).unwrap();
    fs::write(
        dir.path().join("rules/mine.toml"),
        "[[rule]]\nid = \"my-launcher\"\ntitle = \"Our CUDA launcher wrapper\"\ncategory = \"kernel\"\nlibrary = \"ours\"\nhelp = \"Wraps <<<>>>.\"\n[rule.match]\nnames = [\"launchOnGpu\"]\n[rule.portability]\nrocm = { effort = \"automatic\" }\nneuron = { effort = \"rewrite\" }\ntpu = { effort = \"rewrite\" }\n",
    )
    .unwrap();
    fs::write(dir.path().join("a.cpp"), "void f() { launchOnGpu(); }\n").unwrap();
    let out = run_in(
        dir.path(),
        &["--rules", "rules", "--format", "json", "a.cpp"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["rule_id"], "my-launcher");
}

#[test]
fn missing_path_exits_2() {
    let out = run_in(&fixture("negatives"), &["does-not-exist"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does-not-exist"));
    assert_plain(&stderr(&out));
}

/// An error as the command line prints it: `error: ` first, no miette code heading
/// (`cuda_audit::usage`).
fn assert_plain(err: &str) {
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("cuda_audit::"), "an internal code: {err}");
    assert!(!err.contains('×'), "miette's header: {err}");
}

/// The `help: ` line of an error.
fn help(err: &str) -> &str {
    err.lines()
        .find(|l| l.starts_with("help: "))
        .unwrap_or_else(|| panic!("no help line: {err}"))
}

#[test]
fn an_unwritable_output_names_the_file_and_the_reason() {
    let out = run_in(
        &repo_root(),
        &["fixtures/demo", "-o", "/nonexistent/dir/r.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_plain(&err);
    assert!(
        err.starts_with("error: cannot write /nonexistent/dir/r.json: No such file or directory"),
        "{err}"
    );
    assert!(
        !err.contains(".tmp"),
        "the temporary file is not the user's: {err}"
    );
    assert!(
        help(&err).contains("/nonexistent/dir does not exist"),
        "{err}"
    );
    // A directory is not a file to write to either.
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        &repo_root(),
        &["fixtures/demo", "-o", dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_plain(&err);
    assert!(err.contains("is a directory"), "{err}");
}

#[test]
fn long_messages_are_not_wrapped_and_data_files_keep_their_snippet() {
    // A long path: miette wrapped messages at 80 columns, splitting paths and words.
    let dir = tempfile::tempdir().unwrap();
    let deep = dir
        .path()
        .join("a-rather-long-directory-name-for-the-rules-of-this-project")
        .join("and-another-level-below-it");
    fs::create_dir_all(&deep).unwrap();
    let file = deep.join("broken-rule-file-with-a-long-name.toml");
    fs::write(&file, "[[rule]]\nid = \"x\"\ntitle = \n").unwrap();
    let out = run_in(dir.path(), &["--rules", deep.to_str().unwrap(), "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_plain(&err);
    let first = err.lines().next().unwrap();
    assert!(
        first.contains(file.to_str().unwrap()),
        "the whole path on the error line: {err}"
    );
    assert!(
        err.contains("3 │ title ="),
        "the offending line is shown: {err}"
    );
}

/// A repository with `a.cu` committed on `main`.
fn repo_with_a_commit() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    fs::write(dir.path().join("a.cu"), "void f() { cudaFree(0); }\n").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    dir
}

#[test]
fn diff_base_an_unknown_revision_lists_what_exists() {
    // No `origin` remote at all: say so, and name the branches there are.
    let dir = repo_with_a_commit();
    let root = dir.path();
    git(root, &["branch", "feature"]);
    let out = run_in(root, &["--diff-base", "origin/main"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_plain(&err);
    assert!(err.contains("unknown revision `origin/main`"), "{err}");
    assert!(err.contains("no remote `origin`"), "{err}");
    assert!(err.contains("branches: feature, main"), "{err}");
    assert!(
        err.contains("`--diff-base main`"),
        "the local branch: {err}"
    );
    assert!(err.contains("git fetch origin main"), "{err}");
    assert!(!err.contains("shallow"), "not a shallow clone: {err}");

    // A typo of a branch.
    let err = stderr(&run_in(root, &["--diff-base", "mian"]));
    assert!(err.contains("unknown revision `mian`"), "{err}");
    assert!(help(&err).contains("did you mean `main`?"), "{err}");

    // A clone: `origin` exists, the branch was not fetched.
    let clone = tempfile::tempdir().unwrap();
    git(
        clone.path(),
        &["clone", "-q", root.to_str().unwrap(), "work"],
    );
    let work = clone.path().join("work");
    let err = stderr(&run_in(&work, &["--diff-base", "origin/release"]));
    assert_plain(&err);
    assert!(err.contains("unknown revision `origin/release`"), "{err}");
    assert!(
        help(&err).contains(
            "the remote `origin` has no branch `release` here; fetch it: `git fetch origin release`"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "remotes: origin; branches: main; remote branches: origin/feature, origin/main\n"
        ),
        "{err}"
    );
}

#[test]
fn diff_base_in_a_shallow_clone_says_to_fetch_the_history() {
    let dir = repo_with_a_commit();
    let root = dir.path();
    git(root, &["checkout", "-qb", "feature"]);
    fs::write(root.join("b.cu"), "void g() { cudaFree(0); }\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "feature"]);
    git(root, &["checkout", "-q", "main"]);
    fs::write(root.join("c.cu"), "void h() { cudaFree(0); }\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "main moves on"]);
    // Each branch one commit deep, as actions/checkout fetches by default.
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", root.display());
    git(
        clone.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            "--branch",
            "feature",
            &url,
            "work",
        ],
    );
    let work = clone.path().join("work");
    let out = run_in(&work, &["--diff-base", "origin/main"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_plain(&err);
    assert!(
        err.starts_with(
            "error: cannot find the merge base of `origin/main` and HEAD: this is a shallow clone"
        ),
        "{err}"
    );
    assert!(!err.contains("unknown revision"), "{err}");
    let help = help(&err);
    assert!(
        help.contains("git fetch --unshallow") && help.contains("fetch-depth: 0"),
        "{err}"
    );
    assert!(help.contains("git fetch --unshallow origin main"), "{err}");
}

#[test]
fn diff_base_outside_a_repository_says_so() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.cu"), "void f() { cudaFree(0); }\n").unwrap();
    // However the temporary directory is placed, git does not look above it.
    let out = Command::new(env!("CARGO_BIN_EXE_cuda-audit"))
        .args(["--diff-base", "main"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("CUDA_AUDIT_CACHE_DIR", crate::common::cache_dir())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_plain(&err);
    assert!(
        err.contains("--diff-base needs a git repository, and")
            && err.contains("is not inside one"),
        "{err}"
    );
    assert!(
        !err.contains("merge base") && !err.contains("shallow"),
        "{err}"
    );
}

#[test]
fn a_report_or_sarif_file_is_not_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.cu"), "void f() { cudaMalloc(0, 0); }\n").unwrap();
    for (format, what) in [
        ("json", "a cuda-audit JSON report"),
        ("sarif", "a SARIF file"),
    ] {
        let file = format!("report.{format}");
        let out = run_in(root, &["-f", format, "-o", &file]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let out = run_in(root, &["--baseline", &file]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert_plain(&err);
        assert_eq!(
            err,
            format!(
                "error: {file} is {what}, not a baseline\n\
                 help: create a baseline with `cuda-audit baseline -o {file}`\n"
            )
        );
    }
    // A malformed baseline is still pointed at, line and all.
    fs::write(
        root.join("base.json"),
        "{\n  \"version\": 1,\n  \"tool\": \"cuda-audit\",\n  \"findings\": [ oops ]\n}\n",
    )
    .unwrap();
    let err = stderr(&run_in(root, &["--baseline", "base.json"]));
    assert_plain(&err);
    assert!(
        err.starts_with("error: malformed baseline base.json\n"),
        "{err}"
    );
    assert!(
        err.contains("[base.json:4:17]") && err.contains("4 │"),
        "{err}"
    );
    assert!(help(&err).contains("cuda-audit baseline -o FILE"), "{err}");
}

fn explain(args: &[&str]) -> Output {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    run_in(&repo_root(), &all)
}

#[test]
fn the_examples_in_explain_help_work() {
    let out = explain(&["--help"]);
    let help = stdout(&out);
    let examples: Vec<&str> = help
        .lines()
        .filter_map(|l| l.trim().strip_prefix("cuda-audit explain "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(examples.len() >= 3, "{help}");
    assert!(examples.contains(&"cudart-memory"), "{help}");
    for name in examples {
        let out = explain(&[name]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
    }
    // A unique start of a rule id is that rule; a common one lists the family.
    let text = stdout(&explain(&["cudart-memory"]));
    assert!(text.starts_with("cudart-memory-management: "), "{text}");
    let text = stdout(&explain(&["cublas-level"]));
    assert!(
        text.starts_with("rules starting with `cublas-level`: 3 rules"),
        "{text}"
    );
}

#[test]
fn explain_a_library_lists_its_rules_and_names() {
    for library in ["cudnn", "cublas", "nccl", "cuDNN"] {
        let out = explain(&[library]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        let lower = library.to_lowercase();
        assert!(
            text.starts_with(&format!("library {lower}: ")),
            "{library}: {text}"
        );
        // Each rule with its effort per target.
        assert!(text.contains("rocm:") && text.contains("tpu:"), "{text}");
        assert!(text.contains("names, e.g.: "), "{text}");
    }
    let text = stdout(&explain(&["cudnn"]));
    assert!(text.contains("cudnn-functions"), "{text}");
    let text = stdout(&explain(&["nccl"]));
    assert!(
        text.contains("nccl-api") && text.contains("names, e.g.: nccl"),
        "{text}"
    );
}

#[test]
fn explain_an_unknown_name_suggests_the_closest() {
    for (typo, meant) in [
        ("cudaMallc", "cudaMalloc"),
        ("cudamalloc", "cudaMalloc"),
        ("cudart-memroy-management", "cudart-memory-management"),
        ("cubals", "cublas"),
    ] {
        let out = explain(&[typo]);
        assert_eq!(out.status.code(), Some(2), "{typo}");
        let err = stderr(&out);
        assert_plain(&err);
        assert!(err.starts_with(&format!("error: `{typo}` is not")), "{err}");
        assert!(
            help(&err).contains(&format!("`{meant}`")),
            "{typo} → {meant}: {err}"
        );
    }
    let err = stderr(&explain(&["zzzzqqqq"]));
    assert!(help(&err).contains("cuda-audit rules"), "{err}");
}

#[test]
fn every_subcommand_states_its_exit_codes() {
    for command in ["explain", "rules", "init", "compare"] {
        for flag in ["-h", "--help"] {
            let out = run_in(&repo_root(), &[command, flag]);
            assert_eq!(out.status.code(), Some(0));
            assert!(
                stdout(&out).contains("Exit codes: 0 "),
                "{command} {flag}: {}",
                stdout(&out)
            );
        }
    }
}

/// What users see for the common mistakes, in one snapshot: a diff here in review is the change.
#[test]
fn error_messages_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.cu"), "void f() { cudaMalloc(0, 0); }\n").unwrap();
    run_in(root, &["-f", "json", "-o", "report.json"]);
    fs::write(
        root.join("base.json"),
        "{\n  \"version\": 1,\n  \"tool\": \"cuda-audit\",\n  \"findings\": [ oops ]\n}\n",
    )
    .unwrap();
    let mut shown = String::new();
    for args in [
        &["explain", "cudaMallc"][..],
        &["explain", "cubals"],
        &["--baseline", "report.json"],
        &["--baseline", "base.json"],
        &[".", "-o", "/nonexistent/dir/r.json"],
    ] {
        let out = run_in(root, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        shown.push_str(&format!(
            "$ cuda-audit {}\n{}\n",
            args.join(" "),
            stderr(&out)
        ));
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("errors.txt", shown));
}

use crate::gate::git;
