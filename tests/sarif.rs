//! SARIF: valid against the official 2.1.0 schema, shaped for GitHub code scanning, with the
//! result properties downstream scripts read, and fingerprints that survive code moving.

use crate::common::{audit_dir, audit_fixture, fixture, repo_root, run_in};
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
