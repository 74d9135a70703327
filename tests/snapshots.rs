//! Snapshots of what users see, in all three formats. A diff here in review *is* the behaviour
//! change. Update with `cargo insta review` (or INSTA_UPDATE=always cargo test).

use crate::common::audit_fixture;
use cuda_audit::report::{Format, render};

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn text_report() {
    let audit = audit_fixture("cases");
    let text = String::from_utf8(render(Format::Text, &audit)).unwrap();
    settings().bind(|| insta::assert_snapshot!("cases.txt", text));
}

#[test]
fn json_report() {
    let audit = audit_fixture("cases");
    let value: serde_json::Value = serde_json::from_slice(&render(Format::Json, &audit)).unwrap();
    settings().bind(
        || insta::assert_json_snapshot!("cases.json", value, { ".tool.version" => "[version]" }),
    );
}

#[test]
fn sarif_report() {
    let audit = audit_fixture("cases");
    let value: serde_json::Value = serde_json::from_slice(&render(Format::Sarif, &audit)).unwrap();
    settings().bind(|| insta::assert_json_snapshot!("cases.sarif", value, { ".runs[0].tool.driver.semanticVersion" => "[version]" }));
}
