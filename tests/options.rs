//! Options from the command line and the configuration, end to end: what is given explicitly wins
//! in both directions (a flag over the file, the file over the defaults), and the file's values
//! that cannot be used stop the run pointing at their line.

use crate::common::{run_in, stderr, stdout};
use crate::gate::{KERNEL, json};
use serde_json::Value;
use std::fs;
use std::path::Path;

/// A temporary directory with `files` written in it (parents created).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn finding_paths(v: &Value) -> Vec<String> {
    let mut paths: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.dedup();
    paths
}

fn scan(root: &Path, args: &[&str]) -> Value {
    let mut all = vec!["-f", "json"];
    all.extend_from_slice(args);
    json(&run_in(root, &all))
}

/// The first line of an error and its snippet: `(message, whole stderr)`, after checking exit 2.
fn error(root: &Path, args: &[&str]) -> String {
    let out = run_in(root, args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    stderr(&out)
}

#[test]
fn max_file_size_from_the_flag_beats_the_config_even_at_its_default() {
    let big = format!("{KERNEL}// {}\n", "x".repeat(2000));
    let dir = tree(&[
        ("big.cu", &big),
        ("small.cu", KERNEL),
        ("cuda-audit.toml", "max-file-size = \"1K\"\n"),
    ]);
    let root = dir.path();
    // The file's limit over the default.
    let v = scan(root, &[]);
    assert_eq!(finding_paths(&v), ["small.cu"]);
    assert_eq!(v["files"]["skipped"][0]["path"], "big.cu");
    // `--max-file-size 2M` is the default's value, and still a choice: it used to lose to the
    // file because it was taken for the default.
    let v = scan(root, &["--max-file-size", "2M"]);
    assert_eq!(finding_paths(&v), ["big.cu", "small.cu"]);
    // The other way: a file that allows more, a flag that allows less.
    fs::write(root.join("cuda-audit.toml"), "max-file-size = \"2M\"\n").unwrap();
    assert_eq!(finding_paths(&scan(root, &[])), ["big.cu", "small.cu"]);
    assert_eq!(
        finding_paths(&scan(root, &["--max-file-size", "1K"])),
        ["small.cu"]
    );
}

#[test]
fn a_flag_turns_off_what_the_config_turns_on() {
    let dir = tree(&[
        ("a.cu", KERNEL),
        (".hidden/b.cu", KERNEL),
        ("ignored/c.cu", KERNEL),
        (".ignore", "ignored/\n"),
        ("third_party/lib/d.cu", KERNEL),
        (
            "cuda-audit.toml",
            "hidden = true\nno-ignore = true\ninclude-vendored = true\n",
        ),
    ]);
    let root = dir.path();
    let v = scan(root, &[]);
    assert_eq!(
        finding_paths(&v),
        [
            ".hidden/b.cu",
            "a.cu",
            "ignored/c.cu",
            "third_party/lib/d.cu"
        ]
    );
    assert_eq!(v["summary"]["vendored"]["included"], true);
    // Each off again for one run, alone or together.
    assert_eq!(
        finding_paths(&scan(root, &["--no-hidden"])),
        ["a.cu", "ignored/c.cu", "third_party/lib/d.cu"]
    );
    assert_eq!(
        finding_paths(&scan(root, &["--respect-ignore-files"])),
        [".hidden/b.cu", "a.cu", "third_party/lib/d.cu"]
    );
    let v = scan(
        root,
        &[
            "--no-hidden",
            "--respect-ignore-files",
            "--no-include-vendored",
        ],
    );
    assert_eq!(finding_paths(&v), ["a.cu"]);
    assert_eq!(v["summary"]["vendored"]["included"], false);
    // The last of a pair wins.
    assert_eq!(
        finding_paths(&scan(root, &["--no-hidden", "--hidden", "--no-ignore"])),
        [
            ".hidden/b.cu",
            "a.cu",
            "ignored/c.cu",
            "third_party/lib/d.cu"
        ]
    );

    // And on from the command line what the file leaves off.
    fs::write(root.join("cuda-audit.toml"), "hidden = false\n").unwrap();
    assert_eq!(
        finding_paths(&scan(root, &["--hidden", "--no-ignore"])),
        [".hidden/b.cu", "a.cu", "ignored/c.cu"]
    );
}

#[test]
fn targets_from_the_flag_beat_the_config() {
    let dir = tree(&[
        ("a.cu", KERNEL),
        ("cuda-audit.toml", "targets = [\"rocm\"]\n"),
    ]);
    let root = dir.path();
    assert_eq!(scan(root, &[])["targets"], serde_json::json!(["rocm"]));
    assert_eq!(
        scan(root, &["-t", "tpu,neuron"])["targets"],
        serde_json::json!(["neuron", "tpu"])
    );
    assert_eq!(
        scan(root, &["--no-config"])["targets"],
        serde_json::json!(["rocm", "neuron", "tpu"])
    );
}

#[test]
fn the_configs_and_the_flags_excludes_add_up() {
    let dir = tree(&[
        ("a.cu", KERNEL),
        ("b.cu", KERNEL),
        ("c.cu", KERNEL),
        ("cuda-audit.toml", "exclude = [\"a.cu\"]\n"),
    ]);
    let root = dir.path();
    assert_eq!(finding_paths(&scan(root, &["--exclude", "b.cu"])), ["c.cu"]);
}

#[test]
fn a_select_typo_is_an_error_with_a_suggestion() {
    let dir = tree(&[
        ("a.cu", KERNEL),
        (
            "cuda-audit.toml",
            "targets = [\"rocm\"]\nselect = [\"kernel\", \"cudnnn\"]\n",
        ),
    ]);
    let root = dir.path();
    let err = error(root, &[]);
    assert!(
        err.starts_with("error: invalid configuration in ")
            && err.lines().next().unwrap().ends_with("cuda-audit.toml"),
        "{err}"
    );
    assert!(
        err.contains("2 │ select = [\"kernel\", \"cudnnn\"]"),
        "{err}"
    );
    assert!(
        err.contains("`cudnnn` is not a rule id, a category or a library"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `cudnn`?"), "{err}");

    // `ignore` too, and in a pyproject.toml; a name nothing is like says where the names are.
    fs::remove_file(root.join("cuda-audit.toml")).unwrap();
    fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"x\"\n\n[tool.cuda-audit]\nignore = [\"nvtx-api\", \"qqqqqqqq\"]\n",
    )
    .unwrap();
    let err = error(root, &[]);
    assert!(err.contains("pyproject.toml"), "{err}");
    assert!(err.contains("5 │ ignore"), "{err}");
    assert!(err.contains("`qqqqqqqq` is not"), "{err}");
    assert!(err.contains("help: `cuda-audit rules` lists"), "{err}");
    // Only with this configuration: `--no-config` scans.
    assert_eq!(run_in(root, &["--no-config"]).status.code(), Some(1));
}

#[test]
fn select_knows_categories_libraries_and_the_users_rules() {
    let rule = "[[rule]]\nid = \"my-launcher\"\ntitle = \"Our launcher\"\ncategory = \"kernel\"\nlibrary = \"ours\"\nhelp = \"h\"\n[rule.match]\nnames = [\"launchOnGpu\"]\n[rule.portability]\nrocm = { effort = \"automatic\" }\nneuron = { effort = \"rewrite\" }\ntpu = { effort = \"rewrite\" }\n";
    let dir = tree(&[
        ("a.cu", &format!("{KERNEL}void g() {{ launchOnGpu(); }}\n")),
        ("rules/mine.toml", rule),
        (
            "cuda-audit.toml",
            "rules = [\"rules\"]\nselect = [\"ours\", \"runtime-api\"]\nignore = [\"my-launcher\"]\n",
        ),
    ]);
    let root = dir.path();
    let v = scan(root, &[]);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(!rules.is_empty() && !rules.contains(&"my-launcher"), "{v}");
    // Without the user's rules, their names are unknown.
    fs::write(
        root.join("cuda-audit.toml"),
        "select = [\"ours\", \"runtime-api\"]\n",
    )
    .unwrap();
    let err = error(root, &[]);
    assert!(err.contains("`ours` is not a rule id"), "{err}");
}

#[test]
fn a_bad_glob_in_the_config_points_at_its_line() {
    for (key, glob) in [
        ("exclude", "src/[ab"),
        ("include", "**/*.{cu"),
        ("vendored", "deps/[*"),
    ] {
        let dir = tree(&[
            ("a.cu", KERNEL),
            (
                "cuda-audit.toml",
                &format!("targets = [\"rocm\"]\n{key} = [\n  \"build/**\",\n  \"{glob}\",\n]\n"),
            ),
        ]);
        let err = error(dir.path(), &[]);
        assert!(err.starts_with("error: invalid configuration in "), "{err}");
        assert!(err.contains(&format!("4 │   \"{glob}\",")), "{key}: {err}");
        assert!(
            err.contains(&format!("`{glob}` is not a valid glob: unclosed")),
            "{key}: {err}"
        );
    }
    // On the command line: the flag is named.
    let dir = tree(&[("a.cu", KERNEL)]);
    let err = error(dir.path(), &["--exclude", "src/[ab"]);
    assert!(
        err.starts_with("error: invalid --exclude: `src/[ab` is not a valid glob: unclosed"),
        "{err}"
    );
}

#[test]
fn the_help_shows_the_defaults_the_config_can_replace() {
    let dir = tree(&[]);
    let help = stdout(&run_in(dir.path(), &["scan", "--help"]));
    assert!(
        help.contains("allowed) [default: 2M]"),
        "the default of --max-file-size: {help}"
    );
    assert!(
        help.contains(&format!(
            "[default: {}]",
            cuda_audit::scan::DEFAULT_MAX_FINDINGS_PER_FILE
        )),
        "{help}"
    );
    for flag in [
        "--no-hidden",
        "--respect-ignore-files",
        "--no-include-vendored",
    ] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    assert_eq!(
        cuda_audit::options::DEFAULT_MAX_FILE_SIZE,
        cuda_audit::config::parse_size("2M").unwrap()
    );
}
