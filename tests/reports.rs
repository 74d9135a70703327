//! The Markdown, HTML and compare reports: snapshots of what users see, escaping of what comes
//! from scanned repositories, determinism, the compare command end to end, and the HTML report
//! in a real browser (headless Chromium, when /usr/bin/chromium exists; CI installs it with
//! `apt-get install -y chromium`).

use crate::common::{audit_dir, audit_fixture, repo_root, run_in, stderr, stdout};
use cuda_audit::compare::{self, compare};
use cuda_audit::report::{Format, render};
use cuda_audit::score::ScoreWeights;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("reports are UTF-8")
}

/// Snapshots do not change with the version number.
fn unversioned(s: &str) -> String {
    s.replace(
        &format!("cuda-audit {}", env!("CARGO_PKG_VERSION")),
        "cuda-audit [version]",
    )
}

#[test]
fn markdown_report() {
    let md = text(render(
        Format::Markdown,
        &audit_dir(&repo_root().join("fixtures/scoring/worked")),
    ));
    settings().bind(|| insta::assert_snapshot!("scoring-worked.md", unversioned(&md)));
}

#[test]
fn markdown_without_findings_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plain.cpp"), "int main() { return 0; }\n").unwrap();
    let md = text(render(Format::Markdown, &audit_dir(dir.path())));
    assert!(md.contains("No CUDA coupling found."), "{md}");
}

/// A tree whose names try to break out of every format.
fn hostile_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("<img src=x onerror=alert(1)>");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        sub.join("a|b`@team.cu"),
        "void f(void** p) { cudaMalloc(p, 4); } // </script><script>alert(1)</script> <b>\"'&</b>\n",
    )
    .unwrap();
    dir
}

#[test]
fn markdown_escapes_names_from_the_repository() {
    let dir = hostile_tree();
    let md = text(render(Format::Markdown, &audit_dir(dir.path())));
    // Paths only ever appear in code spans, with `|` escaped so tables keep their shape.
    assert!(md.contains("`<img src=x onerror=alert(1)>`"), "{md}");
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let cells = line.matches(" | ").count();
        assert!(
            !line.contains("a|b") && cells <= 8,
            "a table row was split: {line}"
        );
    }
}

#[test]
fn html_escapes_everything_from_the_repository() {
    let dir = hostile_tree();
    let html = text(render(Format::Html, &audit_dir(dir.path())));
    assert!(!html.contains("<img src=x"), "raw path in the page");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<b>\"'&</b>"), "raw snippet in the page");
    assert!(html.contains("&lt;b&gt;&quot;&#39;&amp;&lt;/b&gt;"));
    // One script element: ours.
    assert_eq!(html.matches("<script").count(), 1);
}

#[test]
fn html_is_self_contained_and_deterministic() {
    let audit = audit_fixture("demo");
    let a = text(render(Format::Html, &audit));
    let b = text(render(Format::Html, &audit_fixture("demo")));
    assert_eq!(a, b, "the same audit gives the same page");
    assert!(a.starts_with("<!DOCTYPE html>"));
    for needle in [
        "http://", "https://", " src=\"", " href=\"", "@import", "url(",
    ] {
        assert!(
            !a.contains(needle),
            "the page references something outside it: {needle}"
        );
    }
    assert!(a.contains("Content-Security-Policy"));
    for id in [
        "chart-effort",
        "chart-directories",
        "chart-directories-rocm",
        "libraries",
        "findings",
    ] {
        assert!(a.contains(&format!("id=\"{id}\"")), "missing #{id}");
    }
    assert_eq!(
        a.matches("<tr class=\"finding\"").count(),
        audit.findings.len()
    );
}

/// A copy of fixtures/scoring/worked with some coupling added, some removed and some moved.
fn changed_worked_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_root().join("fixtures/scoring/worked");
    copy_tree(&src, dir.path());
    let buffers = dir.path().join("src/host/buffers.cpp");
    let text = std::fs::read_to_string(&buffers).unwrap();
    // Moved: two new lines above everything; edited: a line around a cudaMalloc (its
    // fingerprint changes); removed: one cudaFree; added: cudaMallocAsync.
    let text = format!("// moved down\n// by two lines\n{text}")
        .replace("    cudaFree(c);\n", "")
        .replace(
            "    cudaMalloc(a, n * sizeof(float));",
            "    cudaMalloc(a, n * sizeof(double));",
        )
        .replace(
            "    cudaMalloc(c, n * sizeof(float));\n",
            "    cudaMalloc(c, n * sizeof(float));\n    cudaMallocAsync((void**)c, n, s);\n",
        );
    std::fs::write(&buffers, text).unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The JSON reports of the worked example before and after [`changed_worked_tree`], both with
/// paths relative to their own root, as `cuda-audit --format json` writes them in CI.
fn report_pair() -> (String, String) {
    let old = text(render(
        Format::Json,
        &audit_dir(&repo_root().join("fixtures/scoring/worked")),
    ));
    let changed = changed_worked_tree();
    let new = text(render(Format::Json, &audit_dir(changed.path())));
    (old, new)
}

fn labels() -> (String, String) {
    ("old.json".to_string(), "new.json".to_string())
}

#[test]
fn compare_reports() {
    let (old, new) = report_pair();
    let old = compare::parse("old.json", &old).unwrap();
    let new = compare::parse("new.json", &new).unwrap();
    let cmp = compare(&old, &new, &ScoreWeights::default());
    assert_eq!((cmp.added.len(), cmp.removed.len()), (1, 1));
    assert_eq!(cmp.added[0].symbol, "cudaMallocAsync");
    assert_eq!(cmp.removed[0].symbol, "cudaFree");
    assert_eq!(
        cmp.new_api,
        [("cudart".to_string(), "cudaMallocAsync".to_string())]
    );
    assert_eq!(
        cmp.moved, 1,
        "the edited cudaMalloc line is matched by rule, path and symbol"
    );
    for m in &cmp.scores {
        assert!(m.new.points() > m.old.points(), "{m:?}");
    }
    let t = compare::text(&cmp, &labels());
    let md = unversioned(&compare::markdown(&cmp, &labels()));
    let json = compare::to_json(&cmp, &labels());
    settings().bind(|| {
        insta::assert_snapshot!("compare.txt", t);
        insta::assert_snapshot!("compare.md", md);
        insta::assert_json_snapshot!("compare.json", json, { ".tool.version" => "[version]" });
    });
}

#[test]
fn compare_identical_reports_changes_nothing() {
    let (old, _) = report_pair();
    let a = compare::parse("a.json", &old).unwrap();
    let cmp = compare(&a, &a, &ScoreWeights::default());
    assert!(cmp.added.is_empty() && cmp.removed.is_empty());
    assert_eq!(cmp.unchanged, a.findings.len());
    assert!(cmp.scores.iter().all(|m| m.change() == 0.0));
}

#[test]
fn compare_command_exit_codes_and_formats() {
    let (old, new) = report_pair();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.json"), &old).unwrap();
    std::fs::write(dir.path().join("new.json"), &new).unwrap();
    let out = run_in(dir.path(), &["compare", "old.json", "new.json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "coupling was added: {}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("1 added, 1 removed"),
        "{}",
        stdout(&out)
    );
    let out = run_in(
        dir.path(),
        &["compare", "new.json", "new.json", "-f", "json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["added"].as_array().map(Vec::len), Some(0));
    let out = run_in(
        dir.path(),
        &["compare", "old.json", "new.json", "-f", "markdown"],
    );
    assert!(stdout(&out).starts_with("## cuda-audit: coupling change"));
}

#[test]
fn compare_points_at_a_malformed_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.json"), report_pair().0).unwrap();
    std::fs::write(
        dir.path().join("bad.json"),
        "{\n  \"version\": 1,\n  \"targets\": [\"rocm\"],\n  \"findings\": [ oops ]\n}\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["compare", "good.json", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.json"), "{err}");
    assert!(err.contains("bad.json:4:17"), "{err}");
    assert!(
        err.contains("findings\": [ oops ]"),
        "the source is shown: {err}"
    );
    // Valid JSON, but not a report.
    std::fs::write(dir.path().join("sarif.json"), "{\"runs\": []}\n").unwrap();
    let out = run_in(dir.path(), &["compare", "sarif.json", "good.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing field"), "{}", stderr(&out));
    let out = run_in(dir.path(), &["compare", "absent.json", "good.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn progress_never_touches_stdout() {
    let demo = repo_root().join("fixtures/demo");
    let plain = run_in(&demo, &["--format", "json"]);
    let quiet = run_in(&demo, &["--format", "json", "--no-progress"]);
    assert_eq!(plain.stdout, quiet.stdout);
    // Not a terminal: no progress line on stderr either.
    assert!(!stderr(&plain).contains("scanning…"), "{}", stderr(&plain));
}

#[test]
fn markdown_and_html_formats_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo_root().join("fixtures/demo");
    let out = run_in(&demo, &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("## cuda-audit: CUDA coupling"));
    let page = dir.path().join("report.html");
    let out = run_in(&demo, &["--format", "html", "-o", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("id=\"chart-effort\"")
    );
}

/// The browser: Debian's Chromium, or `$CUDA_AUDIT_CHROMIUM` (e.g. google-chrome on GitHub's runners).
fn chromium() -> PathBuf {
    std::env::var_os("CUDA_AUDIT_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Runs a command, killing it after `limit`.
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read both pipes on threads so a full pipe cannot stall the browser.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut buf).ok();
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut buf).ok();
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::process::Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let browser = chromium();
    if !browser.exists() {
        // In CI the browser is installed by .ci/run: its absence there is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing in CI; .ci/run installs it with apt-get install -y chromium",
            browser.display()
        );
        eprintln!(
            "note: {} not found; skipping the browser test (apt-get install -y chromium)",
            browser.display()
        );
        return;
    }
    let audit = audit_fixture("demo");
    let dir = tempfile::tempdir().unwrap();
    let page: PathBuf = dir.path().join("report.html");
    std::fs::write(&page, render(Format::Html, &audit)).unwrap();
    let profile = dir.path().join("profile");
    let out = run_with_timeout(
        Command::new(&browser).args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ]),
        Duration::from_secs(120),
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {log}");
    // Every console message is a failure: the page logs nothing, and CSP violations and
    // uncaught exceptions are console messages.
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console output: {console:#?}");
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script did not run to its end"
    );
    for id in [
        "chart-effort",
        "chart-directories-rocm",
        "chart-directories-neuron",
        "chart-directories-tpu",
        "gauge-rocm",
    ] {
        assert!(
            dom.contains(&format!("<svg id=\"{id}\"")) || dom.contains(&format!("id=\"{id}\"")),
            "#{id} is not in the rendered DOM"
        );
    }
    assert!(dom.contains("<table id=\"libraries\""));
    assert_eq!(
        dom.matches("<tr class=\"finding\"").count(),
        audit.findings.len(),
        "every finding is a row of the rendered table"
    );
    assert!(dom.contains(&format!(
        "<span id=\"filter-count\">{}</span>",
        audit.findings.len()
    )));
}
