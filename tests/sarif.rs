//! SARIF: valid against the official 2.1.0 schema, shaped for GitHub code scanning, with the
//! result properties downstream scripts read, and fingerprints that survive code moving.

use crate::common::{audit_dir, audit_fixture, fixture, repo_root, run_in, stderr};
use cuda_audit::report::{Format, render};
use serde_json::Value;

pub fn schema_errors(sarif: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn sarif_of(audit: &cuda_audit::Audit) -> Value {
    serde_json::from_slice(&render(Format::Sarif, audit)).unwrap()
}

#[test]
fn validates_against_the_official_schema() {
    for fx in ["demo", "cases", "bad", "negatives"] {
        let sarif = sarif_of(&audit_fixture(fx));
        let errors = schema_errors(&sarif);
        assert!(errors.is_empty(), "{fx}: {errors:#?}");
    }
}

#[test]
fn the_schema_check_can_fail() {
    let mut sarif = sarif_of(&audit_fixture("cases"));
    sarif["runs"][0]["results"][0]["level"] = Value::from("warn");
    sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(schema_errors(&sarif).len() >= 2);
}

#[test]
fn results_carry_exactly_the_promised_properties() {
    let sarif = sarif_of(&audit_fixture("demo"));
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let categories = [
        "kernel",
        "device-intrinsic",
        "inline-ptx",
        "runtime-api",
        "driver-api",
        "library",
        "include",
        "framework",
        "build",
        "dependency",
        "container",
    ];
    for r in results {
        let props = r["properties"].as_object().unwrap();
        let mut keys: Vec<&str> = props.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["category", "library", "portability", "symbol"]);
        assert!(categories.contains(&props["category"].as_str().unwrap()));
        let port = props["portability"].as_object().unwrap();
        for target in ["rocm", "neuron", "tpu"] {
            let effort = port[target]["effort"].as_str().unwrap();
            assert!(["none", "automatic", "manual", "rewrite"].contains(&effort));
        }
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains('\\'), "{uri}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(r["partialFingerprints"]["cudaAudit/v1"].is_string());
        let rule = &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(
                rule[key]["text"].as_str().is_some_and(|t| !t.is_empty()),
                "rule {} lacks {key}",
                rule["id"]
            );
        }
    }
}

#[test]
fn columns_are_utf16_code_units() {
    let sarif = sarif_of(&audit_fixture("cases/tabs_unicode.cu"));
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"]["symbol"] == "cudaMalloc")
        .unwrap()
        .clone();
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], 12);
    assert_eq!(region["endColumn"], 22);
}

#[test]
fn fingerprints_survive_unrelated_lines_moving() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.cu");
    let body =
        "void f(float* p) {\n  cudaMalloc(&p, 4);\n  cudaMalloc(&p, 4);\n  cudaFree(p);\n}\n";
    std::fs::write(&file, body).unwrap();
    let before: Vec<String> = audit_dir(dir.path())
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    std::fs::write(
        &file,
        format!(
            "// a new header comment\n#include <stdio.h>\n\n{}",
            body.replace("  cudaFree", "    cudaFree")
        ),
    )
    .unwrap();
    let after: Vec<String> = audit_dir(dir.path())
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    assert_eq!(before, after);
    // Identical lines get distinct fingerprints.
    assert_ne!(before[0], before[1]);
}

#[test]
fn cli_sarif_output_validates() {
    let out = run_in(&fixture("demo"), &["--format", "sarif"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schema_errors(&v).is_empty());
}

/// Many findings, a low `--sarif-max-results`, and one new finding over a baseline: the new
/// finding is kept, the run says how many were left out, and the file still validates.
#[test]
fn a_result_limit_keeps_every_new_finding_and_says_what_it_left_out() {
    use crate::gate::{git, repo};
    let dir = repo();
    let root = dir.path();
    let mut body = String::from("#include <cuda_runtime.h>\nvoid f(float** p) {\n");
    for i in 0..40 {
        body.push_str(&format!("  cudaMalloc(p, {i});\n"));
    }
    body.push_str("}\n");
    std::fs::write(root.join("a.cu"), &body).unwrap();
    assert_eq!(
        run_in(root, &["baseline", "-o", "B.json"]).status.code(),
        Some(0)
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    // The new finding is the least important by the priority (a `none`-effort qualifier would
    // rank lower still, but a plain call at the end of the file is last in path order).
    std::fs::write(
        root.join("z.cu"),
        "void g(float** p) {\n  cudaMalloc(p, 1);\n}\n",
    )
    .unwrap();
    let out = run_in(
        root,
        &[
            "--baseline",
            "B.json",
            "-f",
            "sarif",
            "--sarif-max-results",
            "10",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(crate::sarif::schema_errors(&sarif).is_empty());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    let new: Vec<&Value> = results
        .iter()
        .filter(|r| r["baselineState"] == "new")
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(
        new[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "z.cu"
    );
    let omitted = &sarif["runs"][0]["properties"]["omittedResults"];
    let total = omitted["of"].as_u64().unwrap();
    assert_eq!(omitted["total"].as_u64().unwrap(), total - 10);
    let note = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(note["descriptor"]["id"], "results-limited");
    assert!(
        note["message"]["text"]
            .as_str()
            .unwrap()
            .contains("left out")
    );
    assert!(
        stderr(&out).contains(&format!("SARIF holds 10 of {total} findings")),
        "{}",
        stderr(&out)
    );
    // Results stay in path order, and the same tree gives the same bytes.
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.is_sorted());
    let again = run_in(
        root,
        &[
            "--baseline",
            "B.json",
            "-f",
            "sarif",
            "--sarif-max-results",
            "10",
            "-j",
            "1",
        ],
    );
    assert_eq!(again.stdout, out.stdout);
    // 0 lifts the limit.
    let all = run_in(root, &["-f", "sarif", "--sarif-max-results", "0"]);
    let all: Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(
        all["runs"][0]["results"].as_array().unwrap().len() as u64,
        total
    );
    assert!(all["runs"][0].get("properties").is_none());
}

/// `--report FORMAT=FILE`, repeatable: every report from one scan, with the gate decided once.
#[test]
fn one_scan_writes_many_reports() {
    let dir = tempfile::tempdir().unwrap();
    let file = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let (sarif, md, json) = (file("r.sarif"), file("s.md"), file("f.json"));
    let out = run_in(
        &crate::common::fixture("demo"),
        &[
            "-f",
            "concise",
            "--report",
            &format!("sarif={sarif}"),
            "--report",
            &format!("markdown={md}"),
            "--report",
            &format!("JSON={json}"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let n = v["findings"].as_array().unwrap().len();
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), n);
    assert_eq!(crate::common::stdout(&out).lines().count(), n);
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .starts_with("## cuda-audit")
    );
    assert_eq!(
        stderr(&out).matches("cuda-audit: wrote").count(),
        3,
        "{}",
        stderr(&out)
    );
    for bad in ["yaml=x", "sarif", "sarif="] {
        let out = run_in(&crate::common::fixture("demo"), &["--report", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

/// Long lines make large results (each carries its line as the snippet): the size limit, measured
/// on the compressed bytes, shrinks the run below GitHub's 10 MB even when the count is far below
/// the result limit.
#[test]
fn the_compressed_size_limit_holds_on_long_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = crate::common::Rng(0x5eed);
    let mut line = String::new();
    for i in 0..60 {
        for _ in 0..150 {
            let word: String = (0..5)
                .map(|_| (b'a' + (rng.next() % 26) as u8) as char)
                .collect();
            line.push_str("int ");
            line.push_str(&word);
            line.push_str("; ");
        }
        line.push_str(&format!("cudaMalloc(p, {i}); "));
    }
    // ~100 KB on one line, 60 findings on it: ~6 MB of SARIF, ~4 MB compressed, against a
    // 1 MB limit (the real one is 9 MB; the logic is the same).
    let text = format!("void f(float** p) {{ {line} }}\n").repeat(1);
    std::fs::write(dir.path().join("long.cu"), &text).unwrap();
    const LIMIT: usize = 1_000_000;
    let out = sarif_within(dir.path(), LIMIT, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &out.stdout).unwrap();
    let compressed = gz.finish().unwrap().len();
    // Within the limit given, at the level uploaders compress with.
    assert!(compressed <= LIMIT, "{compressed}");
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kept = sarif["runs"][0]["results"].as_array().unwrap().len();
    let omitted = &sarif["runs"][0]["properties"]["omittedResults"];
    assert!(kept < 60 && kept > 0, "{kept}");
    assert_eq!(
        omitted["total"].as_u64().unwrap() as usize + kept,
        omitted["of"].as_u64().unwrap() as usize
    );
    // Without the limit, it would not have fitted.
    let all = run_in(
        dir.path(),
        &["-f", "sarif", "--sarif-max-results", "0", "--no-cache"],
    );
    assert!(all.stdout.len() > out.stdout.len());
}

#[test]
fn a_run_larger_than_the_limit_that_compresses_within_it_is_written_whole() {
    // ~1,500 results of the same call: several MB of SARIF that compress to far less than the
    // 1 MB limit. The run is measured as it is written, spilled, and copied out: the bytes must
    // be those of the unmeasured run (`--sarif-max-results 0`).
    let dir = tempfile::tempdir().unwrap();
    let body = "    cudaMalloc(p, 1);\n".repeat(1500);
    std::fs::write(
        dir.path().join("many.cu"),
        format!("void f(float** p) {{\n{body}}}\n"),
    )
    .unwrap();
    const LIMIT: usize = 1_000_000;
    let measured = sarif_within(dir.path(), LIMIT, &[]);
    assert_eq!(measured.status.code(), Some(1), "{}", stderr(&measured));
    assert!(measured.stdout.len() > LIMIT, "{}", measured.stdout.len());
    let whole = run_in(
        dir.path(),
        &["-f", "sarif", "--no-cache", "--sarif-max-results", "0"],
    );
    assert!(measured.stdout == whole.stdout, "the measured run differs");
    let sarif: Value = serde_json::from_slice(&measured.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1500);
    assert!(sarif["runs"][0]["properties"]["omittedResults"].is_null());
    // And to a file, through the atomic writer.
    let out = dir.path().join("out.sarif");
    let to_file = sarif_within(dir.path(), LIMIT, &["-o", out.to_str().unwrap()]);
    assert_eq!(to_file.status.code(), Some(1), "{}", stderr(&to_file));
    assert!(std::fs::read(&out).unwrap() == whole.stdout);
}

/// A SARIF scan of `dir` (no cache) under a compressed-size limit of `limit` bytes.
fn sarif_within(dir: &std::path::Path, limit: usize, more: &[&str]) -> std::process::Output {
    let limit = limit.to_string();
    let mut args = vec![
        "-f",
        "sarif",
        "--no-cache",
        "--sarif-max-gzip-bytes",
        &limit,
    ];
    args.extend_from_slice(more);
    run_in(dir, &args)
}
