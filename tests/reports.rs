//! The Markdown, HTML and compare reports: snapshots of what users see, escaping of what comes
//! from scanned repositories, determinism, the compare command end to end, and the HTML report
//! in a real browser (headless Chromium; without /usr/bin/chromium that test is marked ignored by
//! build.rs, and .ci/run, which installs it with `apt-get install -y chromium`, runs it anyway).

use crate::common::{audit_dir, audit_fixture, repo_root, run_in, stderr, stdout};
use cuda_audit::compare::{self, compare};
use cuda_audit::provenance::Provenance;
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

/// A provenance as the command line would find it in a git checkout.
fn pinned_provenance() -> Provenance {
    Provenance {
        name: "worked".into(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        branch: Some("main".into()),
        date: "2024-05-01".into(),
    }
}

#[test]
fn markdown_report() {
    let mut audit = audit_dir(&repo_root().join("fixtures/scoring/worked"));
    audit.provenance = Some(pinned_provenance());
    let md = text(render(Format::Markdown, &audit));
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

#[test]
fn html_tables_flow_with_the_page() {
    let page = text(render(Format::Html, &audit_fixture("demo")));
    let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    // No box of a fixed height that scrolls vertically inside the page.
    for banned in [
        "max-height",
        "overflow-y",
        "overflow: auto",
        "overflow: scroll",
    ] {
        assert!(!style.contains(banned), "the style has `{banned}`");
    }
    // The libraries table may scroll sideways when it is wider than the page; the findings table
    // is never wider (fixed columns) and sits in the page itself.
    assert!(page.contains("<div class=\"wide\"><table id=\"libraries\""));
    assert!(style.contains(".wide { overflow-x: auto;"));
    let before_findings = &page[..page.find("<table id=\"findings\"").unwrap()];
    assert!(
        before_findings.trim_end().ends_with("</div>"),
        "the findings table is wrapped"
    );
    assert!(style.contains("table.fixed th { position: sticky; top: 0;"));
}

/// Runs the binary in `dir` with `args` and extra environment, without the result cache.
fn run_fresh(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cuda-audit"));
    cmd.args(args)
        .arg("--no-cache")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

const KERNEL: &str = "void f(void** p) { cudaMalloc(p, 4); }\n";

/// The JSON report's `source`, from a scan of `dir`.
fn json_source(dir: &Path, env: &[(&str, &str)]) -> serde_json::Value {
    let out = run_fresh(dir, &["--format", "json"], env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["source"].clone()
}

fn html_page(dir: &Path, env: &[(&str, &str)]) -> String {
    let out = run_fresh(dir, &["--format", "html"], env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    text(out.stdout)
}

#[test]
fn reports_name_the_commit_and_its_committer_date() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("my-project");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/k.cu"), KERNEL).unwrap();
    git(&root, &["init", "-q"], &[]);
    git(&root, &["add", "."], &[]);
    // The committer date is the report's, in UTC (the next day there); not the author date.
    git(
        &root,
        &["commit", "-q", "-m", "one"],
        &[
            ("GIT_AUTHOR_DATE", "2019-01-01T12:00:00Z"),
            ("GIT_COMMITTER_DATE", "2021-03-04T23:30:00-05:00"),
        ],
    );
    let commit = git(&root, &["rev-parse", "HEAD"], &[]);
    let short = &commit[..12];

    assert_eq!(
        json_source(&root, &[]),
        serde_json::json!({
            "name": "my-project", "commit": commit, "branch": "main", "date": "2021-03-05"
        })
    );
    let page = html_page(&root, &[]);
    assert!(
        page.contains(&format!(
            "<p class=\"source\" id=\"source\"><code>my-project</code> at <code>{short}</code> on <code>main</code>, committed 2021-03-05</p>"
        )),
        "{}",
        &page[page.find("<header>").unwrap()..page.find("</header>").unwrap()]
    );
    assert!(page.contains("<title>cuda-audit: CUDA coupling report for my-project</title>"));
    assert!(
        !page.contains(dir.path().to_str().unwrap()),
        "the absolute path of the root is in the page"
    );
    // Same tree, same commit: the same bytes, whatever the clock says.
    assert_eq!(page, html_page(&root, &[("SOURCE_DATE_EPOCH", "0")]));
    let md = run_fresh(&root, &["--format", "markdown"], &[]);
    assert_eq!(
        stdout(&md).lines().next(),
        Some(
            format!(
                "## cuda-audit: CUDA coupling in `my-project` at `{short}` on `main`, committed 2021-03-05"
            )
            .as_str()
        )
    );

    // A scan of a subdirectory is named after it; a detached HEAD has no branch.
    git(&root, &["checkout", "-q", "--detach"], &[]);
    assert_eq!(
        json_source(&root.join("src"), &[]),
        serde_json::json!({ "name": "src", "commit": commit, "branch": null, "date": "2021-03-05" })
    );
    let page = html_page(&root, &[]);
    assert!(page.contains(&format!(
        "<code>my-project</code> at <code>{short}</code>, committed 2021-03-05</p>"
    )));
}

#[test]
fn without_git_reports_name_the_directory_and_the_scan_date() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("plain <project>");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("k.cu"), KERNEL).unwrap();
    // git looks for a repository no further up than the temporary directory.
    let ceiling = dir.path().to_str().unwrap();
    let pinned = [
        ("GIT_CEILING_DIRECTORIES", ceiling),
        ("SOURCE_DATE_EPOCH", "1700000000"),
    ];
    assert_eq!(
        json_source(&root, &pinned),
        serde_json::json!({
            "name": "plain <project>", "commit": null, "branch": null, "date": "2023-11-14"
        })
    );
    let page = html_page(&root, &pinned);
    assert!(
        page.contains(
            "<p class=\"source\" id=\"source\"><code>plain &lt;project&gt;</code>, scanned 2023-11-14 (no git commit)</p>"
        ),
        "{}",
        &page[page.find("<header>").unwrap()..page.find("</header>").unwrap()]
    );
    assert!(
        page.contains("<title>cuda-audit: CUDA coupling report for plain &lt;project&gt;</title>")
    );
    // Without $SOURCE_DATE_EPOCH: today, in UTC.
    let today = || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        cuda_audit::provenance::utc_date(now as i64)
    };
    let before = today();
    let date = json_source(&root, &[("GIT_CEILING_DIRECTORIES", ceiling)])["date"].clone();
    let after = today();
    assert!(
        date == before.as_str() || date == after.as_str(),
        "{date} is not today ({before})"
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

/// The DOM of `page` after headless Chromium loaded it, and the browser's log (console
/// messages included); the browser's profile goes in `scratch`.
pub(crate) fn dump_dom(page: &Path, scratch: &Path) -> (String, String) {
    let browser = chromium();
    assert!(
        browser.exists(),
        "{} is missing: apt-get install -y chromium (or set CUDA_AUDIT_CHROMIUM)",
        browser.display()
    );
    let profile = scratch.join("profile");
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
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {log}");
    (dom, log)
}

/// Ignored (and `cargo test` says so) when build.rs found no browser; run anyway, as .ci/run
/// does with `--include-ignored`, a missing browser is a failure.
#[test]
#[cfg_attr(no_chromium, ignore = "no chromium: apt-get install chromium")]
fn html_report_renders_in_headless_chromium() {
    let mut audit = audit_fixture("demo");
    audit.provenance = Some(pinned_provenance());
    let dir = tempfile::tempdir().unwrap();
    let page: PathBuf = dir.path().join("report.html");
    std::fs::write(&page, render(Format::Html, &audit)).unwrap();
    let (dom, log) = dump_dom(&page, dir.path());
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
    assert!(dom.contains(
        "<p class=\"source\" id=\"source\"><code>worked</code> at <code>0123456789ab</code> on <code>main</code>, committed 2024-05-01</p>"
    ));
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

use crate::common::git_with as git;
