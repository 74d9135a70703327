//! Shared helpers: run the library in process on a fixture, or the binary for CLI tests.

use cuda_audit::rule::RuleSet;
use cuda_audit::{Audit, Settings};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

pub fn builtin_rules() -> Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES
        .get_or_init(|| Arc::new(RuleSet::builtin().expect("built-in rules load")))
        .clone()
}

/// Audits `dir` in process, paths relative to `dir`.
pub fn audit_dir(dir: &Path) -> Audit {
    let settings = Settings::new(dir, vec![dir.to_path_buf()], builtin_rules());
    cuda_audit::audit(&settings).expect("audit succeeds")
}

/// Audits a fixture (file or directory under fixtures/), paths relative to fixtures/.
pub fn audit_fixture(rel: &str) -> Audit {
    let root = repo_root().join("fixtures");
    let settings = Settings::new(&root, vec![root.join(rel)], builtin_rules());
    cuda_audit::audit(&settings).expect("audit succeeds")
}

/// Runs the binary in `dir` with `args`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cuda-audit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // The result cache stays out of the home directory (and is exercised by every CLI test).
        .env("CUDA_AUDIT_CACHE_DIR", cache_dir())
        .output()
        .expect("the binary runs")
}

/// Where the binary keeps its result cache during the tests.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("result-cache")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `(symbol, line)` pairs of an audit's findings for one path, for compact assertions.
pub fn symbols_in(audit: &Audit, path: &str) -> Vec<(String, usize)> {
    audit
        .findings
        .iter()
        .filter(|f| f.path == path)
        .map(|f| (f.symbol.clone(), f.start.line))
        .collect()
}

/// xorshift64*: small and deterministic, so generated test data is the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Runs git in `dir` as a test author would (a fixed identity, `main` as the first branch, no
/// signing; the environment's `GIT_DIR`/`GIT_WORK_TREE` dropped, plus `env`), and returns its
/// trimmed standard output; a failure fails the test.
pub fn git_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .envs(env.iter().copied())
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The browser: Debian's Chromium, or `$CUDA_AUDIT_CHROMIUM` (e.g. google-chrome on GitHub's runners).
pub fn chromium() -> PathBuf {
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

/// Loads `page` in headless Chromium and returns the DOM after its script ran. Fails the test when
/// the browser fails, logs anything to the console (CSP violations and uncaught exceptions are
/// console messages), or the page's script did not run to its end (`data-ready`).
pub fn render_in_chromium(page: &Path) -> String {
    let (dom, log) = load_in_chromium(page);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console output: {console:#?}");
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script did not run to its end"
    );
    dom
}

/// Loads `page` in headless Chromium: the DOM after it loaded, and the browser's log (console
/// messages included). Fails the test when the browser is missing or fails.
pub fn load_in_chromium(page: &Path) -> (String, String) {
    let browser = chromium();
    assert!(
        browser.exists(),
        "{} is missing: apt-get install -y chromium (or set CUDA_AUDIT_CHROMIUM)",
        browser.display()
    );
    let profile = tempfile::tempdir().unwrap();
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
            &format!("--user-data-dir={}", profile.path().display()),
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
