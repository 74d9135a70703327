//! What the fuzz targets share: the built-in rules, decoding bytes as the scanner does, scanning
//! one input as one file on a thread with the scanner's stack size, the invariants every finding
//! must hold, rendering errors, and checking reports (JSON parses, SARIF validates).
//!
//! How to run the targets: CONTRIBUTING.md, section "Fuzzing".

#![forbid(unsafe_code)]

use cuda_audit::Audit;
use cuda_audit::analysis::{FileAnalysis, analyse_text};
use cuda_audit::finding::Finding;
use cuda_audit::lang::{FrontEnds, Lang};
use cuda_audit::report::{Format, render};
use cuda_audit::rule::RuleSet;
use cuda_audit::source::decode;
use serde_json::Value;
use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, mpsc};

/// The stack size of the scanner's analysis threads (`ANALYSIS_STACK` in src/scan.rs): inputs are
/// analysed with the stack they would have in a real scan.
pub const STACK: usize = 64 * 1024 * 1024;

/// The built-in rules, loaded once.
pub fn rules() -> &'static Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(RuleSet::builtin().expect("the built-in rules load")))
}

/// The text the scanner would analyse for these bytes: a UTF-8 BOM dropped, invalid UTF-8
/// replaced. The scanner skips a file with a NUL byte in its first 8 KiB as binary; a NUL later
/// in a large file is scanned, so inputs with a NUL are decoded (lossily) rather than dropped.
pub fn text_of(data: &[u8]) -> Cow<'_, str> {
    match decode(data) {
        Ok(decoded) => decoded.text,
        Err(_) => String::from_utf8_lossy(data),
    }
}

/// One of `options`, chosen by the input's length (so no input byte is spent on the choice and
/// seed files keep their meaning).
pub fn pick<T: Copy>(data: &[u8], options: &[T]) -> T {
    options[data.len() % options.len()]
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs `f` on a thread with the scanner's stack size: one long-lived thread, as the scanner's
/// analysis threads are (a thread per input would cost more than most inputs). A panic aborts the
/// process (libFuzzer's panic hook), which is what reports it as a crash.
pub fn on_scanner_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    static WORKER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let worker = WORKER.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("fuzz-scan".into())
            .stack_size(STACK)
            .spawn(move || {
                for job in receiver {
                    job();
                }
            })
            .expect("the fuzz thread starts");
        Mutex::new(sender)
    });
    let (done, result) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = done.send(f());
    });
    worker
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .expect("the fuzz thread is alive");
    result.recv().expect("the fuzz thread answers")
}

/// The front ends, kept across inputs as a scan thread keeps them across files (only the worker
/// thread uses them).
fn with_front_ends<T>(f: impl FnOnce(&mut FrontEnds) -> T) -> T {
    static FRONT_ENDS: Mutex<Option<FrontEnds>> = Mutex::new(None);
    let mut guard = FRONT_ENDS.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(FrontEnds::new))
}

/// Scans `text` as the file `name` (its name picks notebook mode, a Dockerfile, a recipe...) of
/// language `lang` with `rules`, and checks every finding's invariants.
pub fn scan_with(rules: &Arc<RuleSet>, text: &str, lang: Lang, name: &'static str) -> FileAnalysis {
    let scanned = {
        let rules = Arc::clone(rules);
        let text = text.to_string();
        on_scanner_stack(move || {
            with_front_ends(|fe| analyse_text(fe, &rules, name, Path::new(name), &text, lang))
        })
    };
    check_findings(rules, &findings_of(rules, &scanned, name), text, name);
    scanned
}

/// The findings an analysis's hits are, as a tree of that one file would report them before
/// the tree-wide steps.
pub fn findings_of(rules: &RuleSet, analysis: &FileAnalysis, name: &str) -> Vec<Finding> {
    analysis
        .hits
        .iter()
        .map(|h| Finding::new(h.clone(), rules.rule(h.rule), name, None))
        .collect()
}

/// Scans the bytes `data` as the file `name` of language `lang` with the built-in rules.
pub fn scan(data: &[u8], lang: Lang, name: &'static str) -> Vec<Finding> {
    let text = text_of(data);
    findings_of(rules(), &scan_with(rules(), &text, lang, name), name)
}

/// What every finding of a scan must satisfy (SARIF and the text reporter rely on it).
pub fn check_findings(rules: &RuleSet, findings: &[Finding], text: &str, name: &str) {
    let lines = 1 + text
        .bytes()
        .enumerate()
        .filter(|&(i, b)| b == b'\n' || (b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n')))
        .count();
    for f in findings {
        assert_eq!(f.path, name, "{f:?}");
        assert!(rules.find_rule(&f.rule_id).is_some(), "unknown rule: {f:?}");
        assert!(
            f.start.line >= 1 && f.start.column >= 1 && f.start.column_utf16 >= 1,
            "{f:?}"
        );
        assert!(
            f.end.line >= 1 && f.end.column >= 1 && f.end.column_utf16 >= 1,
            "{f:?}"
        );
        assert!(f.end.line <= lines, "line past the end of the text: {f:?}");
        assert!(
            (f.start.line, f.start.column) <= (f.end.line, f.end.column),
            "the end is before the start: {f:?}"
        );
        assert!(!f.symbol.is_empty(), "{f:?}");
    }
}

/// Renders an error as the CLI would (graphical) and as screen readers get it (narratable).
/// Rendering slices the source at the error's span, so it must not panic either.
pub fn render_error(error: &cuda_audit::Error) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, error)
        .expect("an error renders");
    miette::NarratableReportHandler::new()
        .render_report(&mut out, error)
        .expect("an error renders");
    assert!(!out.trim().is_empty());
    out
}

/// The SARIF 2.1.0 schema validator, compiled once.
fn sarif_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(include_str!("../../tests/data/sarif-schema-2.1.0.json"))
                .expect("the SARIF schema is JSON");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles")
    })
}

/// Renders `audit` in every format: JSON must parse, SARIF must parse and validate against the
/// official schema, and the other formats must not panic.
pub fn check_reports(audit: &Audit) {
    let json = render(Format::Json, audit);
    if let Err(e) = serde_json::from_slice::<Value>(&json) {
        panic!(
            "the JSON report does not parse: {e}\n{}",
            String::from_utf8_lossy(&json)
        );
    }
    let sarif = render(Format::Sarif, audit);
    let sarif: Value = serde_json::from_slice(&sarif).unwrap_or_else(|e| {
        panic!(
            "the SARIF report does not parse: {e}\n{}",
            String::from_utf8_lossy(&sarif)
        )
    });
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}\n{sarif:#}");
    for format in [Format::Text, Format::Github, Format::Markdown, Format::Html] {
        render(format, audit);
    }
}

/// Every language with a file name that selects it (and its variants: notebook, `setup.py`,
/// a conda recipe, a Helm template...).
pub const FILES: &[(Lang, &str)] = &[
    (Lang::Cuda, "src/kernel.cu"),
    (Lang::Cpp, "src/host.cpp"),
    (Lang::C, "src/plain.c"),
    (Lang::Python, "pkg/module.py"),
    (Lang::Python, "notebooks/tour.ipynb"),
    (Lang::Python, "setup.py"),
    (Lang::Rust, "src/lib.rs"),
    (Lang::Cmake, "CMakeLists.txt"),
    (Lang::Make, "Makefile"),
    (Lang::Shell, "build.sh"),
    (Lang::Bazel, "BUILD.bazel"),
    (Lang::Meson, "meson.build"),
    (Lang::Requirements, "requirements.txt"),
    (Lang::Pyproject, "pyproject.toml"),
    (Lang::SetupCfg, "setup.cfg"),
    (Lang::Pipfile, "Pipfile"),
    (Lang::Conda, "environment.yml"),
    (Lang::Cargo, "Cargo.toml"),
    (Lang::Dockerfile, "Dockerfile"),
    (Lang::Compose, "docker-compose.yml"),
    (Lang::GithubWorkflow, ".github/workflows/ci.yml"),
    (Lang::Yaml, "k8s/deployment.yaml"),
    (Lang::Yaml, "recipe/meta.yaml"),
];
