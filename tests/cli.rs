//! The command-line surface: exit codes, formats, flags, subcommands.

use crate::common::{fixture, repo_root, run_in, stderr, stdout};

#[test]
fn exit_codes() {
    let clean = run_in(&fixture("negatives"), &[]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    let findings = run_in(&fixture("cases"), &["--quiet"]);
    assert_eq!(findings.status.code(), Some(1));
    let usage = run_in(&fixture("cases"), &["--format", "yaml"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn bare_command_scans_the_current_directory() {
    let out = run_in(&fixture("cases"), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "crlf.cpp")
    );
}

#[test]
fn scan_subcommand_and_paths_relative_to_cwd() {
    let out = run_in(
        &fixture(""),
        &["scan", "--format", "json", "cases/crlf.cpp"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["path"], "cases/crlf.cpp");
}

#[test]
fn target_subset_limits_portability() {
    let out = run_in(
        &fixture("cases"),
        &["--format", "json", "--target", "rocm", "crlf.cpp"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let port = v["findings"][0]["portability"].as_object().unwrap();
    assert_eq!(port.keys().collect::<Vec<_>>(), ["rocm"]);
    assert_eq!(v["targets"], serde_json::json!(["rocm"]));
}

#[test]
fn exclude_and_hidden() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".hidden")).unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    for p in [".hidden/a.cu", "lib/b.cu", "c.cu"] {
        std::fs::write(dir.path().join(p), "void f() { cudaFree(0); }\n").unwrap();
    }
    let paths = |args: &[&str]| -> Vec<String> {
        let out = run_in(dir.path(), args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(paths(&["-f", "json"]), ["c.cu", "lib/b.cu"]);
    assert_eq!(paths(&["-f", "json", "--exclude", "lib"]), ["c.cu"]);
    assert_eq!(
        paths(&["-f", "json", "--hidden", "--exclude", "lib/**"]),
        [".hidden/a.cu", "c.cu"]
    );
}

#[test]
fn gitignore_is_respected_unless_no_ignore() {
    let with = run_in(&fixture("demo"), &["-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&with.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["path"].as_str().unwrap().starts_with("build/"))
    );
    let without = run_in(&fixture("demo"), &["-f", "json", "--no-ignore"]);
    let v: serde_json::Value = serde_json::from_slice(&without.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "build/ignored.cu")
    );
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("report.sarif");
    let out = run_in(
        &fixture("cases"),
        &["--format", "sarif", "-o", out_path.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    // Only the report is left behind: no temporary files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn no_color_unless_forced() {
    let plain = run_in(&fixture("cases"), &["crlf.cpp"]);
    assert!(!stdout(&plain).contains('\x1b'));
    let forced = run_in(&fixture("cases"), &["--color", "always", "crlf.cpp"]);
    assert!(stdout(&forced).contains('\x1b'));
}

#[test]
fn rules_and_explain() {
    let root = repo_root();
    let list = run_in(&root, &["rules"]);
    assert_eq!(list.status.code(), Some(0));
    assert!(stdout(&list).contains("kernel-launch"));
    let json = run_in(&root, &["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "inline-ptx" && r["portability"]["rocm"]["effort"] == "rewrite")
    );
    let explain = run_in(&root, &["explain", "kernel-launch"]);
    assert_eq!(explain.status.code(), Some(0));
    assert!(stdout(&explain).contains("<<<"));
    let unknown = run_in(&root, &["explain", "no-such-rule"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn output_is_identical_across_thread_counts() {
    let one = run_in(&fixture("demo"), &["-f", "sarif", "-j", "1"]);
    let two = run_in(&fixture("demo"), &["-f", "sarif", "-j", "2"]);
    let eight = run_in(&fixture("demo"), &["-f", "sarif", "-j", "8"]);
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(one.stdout, eight.stdout);
}

#[test]
fn concise_is_one_stable_line_per_finding() {
    let json = run_in(&fixture("demo"), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let out = run_in(&fixture("demo"), &["--format", "concise", "-t", "rocm,tpu"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), findings.len(), "{text}");
    for (line, f) in lines.iter().zip(findings) {
        let head = format!(
            "{}:{}:{}: {} ",
            f["path"].as_str().unwrap(),
            f["line"],
            f["column"],
            f["rule_id"].as_str().unwrap()
        );
        assert!(line.starts_with(&head), "{line} vs {head}");
        assert!(line.contains(" [rocm:") && line.contains(" tpu:"), "{line}");
        assert!(line.ends_with(']') && !line.contains("neuron:"), "{line}");
    }
    // Same bytes every time.
    assert_eq!(
        stdout(&run_in(
            &fixture("demo"),
            &["--format", "concise", "-t", "rocm,tpu", "-j", "1"]
        )),
        text
    );
}

#[test]
fn statistics_shows_the_summary_alone() {
    let text = stdout(&run_in(&fixture("demo"), &["--statistics"]));
    assert!(text.starts_with("Summary:"), "{text}");
    assert!(!text.contains("╭─"), "{text}");
    let out = run_in(&fixture("demo"), &["--statistics", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("findings").is_none() && v["summary"]["findings"].as_u64() > Some(0));
    let html = stdout(&run_in(&fixture("demo"), &["--statistics", "-f", "html"]));
    assert!(html.contains("id=\"scores\"") && !html.contains("id=\"findings\""));
    for format in ["sarif", "github", "concise"] {
        let out = run_in(&fixture("demo"), &["--statistics", "-f", format]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(stderr(&out).contains("--statistics"), "{}", stderr(&out));
    }
}

#[test]
fn writing_a_report_file_is_confirmed_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.html");
    let out = run_in(
        &fixture("demo"),
        &["-f", "html", "-o", report.to_str().unwrap(), "--no-cache"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("wrote") && err.contains("r.html") && err.contains("html"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    let quiet = run_in(
        &fixture("demo"),
        &["-f", "json", "-q", "-o", report.to_str().unwrap()],
    );
    assert!(!stderr(&quiet).contains("wrote"), "{}", stderr(&quiet));
}
