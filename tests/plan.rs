//! `cuda-audit plan`: the plan's Markdown and JSON pinned on the demo, its steps in the stated
//! order, its points equal to the report's, existing ports counted apart, the HTML page in a real
//! browser, and the command line (formats, `-o`, an unknown target).

use crate::common::{audit_fixture, render_in_chromium, repo_root, run_in, stderr, stdout};
use crate::reports::{pinned_provenance, settings, unversioned};
use cuda_audit::plan::{Plan, StepKind};
use cuda_audit::portability::{Effort, Target};
use serde_json::Value;

fn demo_plan(target: Target) -> Plan {
    let mut audit = audit_fixture("demo");
    audit.provenance = Some(pinned_provenance());
    Plan::of(&audit, target)
}

#[test]
fn plan_snapshots() {
    for target in [Target::Rocm, Target::Tpu] {
        let plan = demo_plan(target);
        let md = cuda_audit::plan::markdown::render(&plan);
        let json = cuda_audit::plan::json::render(&plan);
        settings().bind(|| {
            insta::assert_snapshot!(format!("plan-demo-{target}.md"), unversioned(&md));
            insta::assert_snapshot!(
                format!("plan-demo-{target}.json"),
                json.replace(env!("CARGO_PKG_VERSION"), "[version]")
            );
        });
    }
}

/// Runs the binary in the repository root and parses its JSON output (a scan exits 1 when it
/// finds coupling; a plan exits 0).
fn json_of(args: &[&str]) -> Value {
    let out = run_in(&repo_root(), args);
    let expected = if args[0] == "plan" { 0 } else { 1 };
    assert_eq!(
        out.status.code(),
        Some(expected),
        "{args:?}: {}",
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).expect("JSON output")
}

#[test]
fn steps_come_in_the_stated_order_and_add_up_to_the_reports_points() {
    for tree in [
        "fixtures/demo",
        "fixtures/ports/shim",
        "fixtures/ports/python",
    ] {
        let report = json_of(&[tree, "-f", "json", "--no-progress"]);
        for target in ["rocm", "neuron", "tpu"] {
            let plan = json_of(&["plan", tree, "--target", target, "-f", "json"]);
            assert_eq!(plan["target"], target);
            let steps = plan["steps"].as_array().unwrap();
            // Phases 1 build, 2 renames, 3 libraries to port, 4 rewrites with the device code
            // last; libraries costliest first within a phase.
            let order: Vec<(u64, &str)> = steps
                .iter()
                .map(|s| (s["phase"].as_u64().unwrap(), s["kind"].as_str().unwrap()))
                .collect();
            let rank = |kind: &str| {
                ["build", "renames", "library", "kernels"]
                    .iter()
                    .position(|k| *k == kind)
                    .unwrap()
            };
            for pair in order.windows(2) {
                assert!(
                    (pair[0].0, rank(pair[0].1)) <= (pair[1].0, rank(pair[1].1)),
                    "{tree} {target}: {order:?}"
                );
            }
            for (phase, kind) in &order {
                let expected: &[u64] = match *kind {
                    "build" => &[1],
                    "renames" => &[2],
                    "library" => &[3, 4],
                    _ => &[4],
                };
                assert!(
                    expected.contains(phase),
                    "{tree} {target}: {kind} in phase {phase}"
                );
            }
            let libraries: Vec<&Value> = steps.iter().filter(|s| s["kind"] == "library").collect();
            for pair in libraries.windows(2) {
                if pair[0]["phase"] == pair[1]["phase"] {
                    assert!(pair[0]["points"].as_u64() >= pair[1]["points"].as_u64());
                }
            }
            let points: u64 = steps.iter().map(|s| s["points"].as_u64().unwrap()).sum();
            let expected = report["summary"]["targets"][target]["effort_points"]
                .as_u64()
                .unwrap();
            assert_eq!(points, expected, "{tree} {target}: the steps' points");
            assert_eq!(plan["totals"]["points"], expected);
            assert_eq!(
                plan["totals"]["score"],
                report["summary"]["targets"][target]["score"]
            );
            // Every finding is work in one step, covered, or unchanged.
            let work: u64 = steps.iter().map(|s| s["findings"].as_u64().unwrap()).sum();
            let counts = &report["summary"]["targets"][target]["counts"];
            let above_none: u64 = ["automatic", "manual", "rewrite"]
                .iter()
                .map(|e| counts[e].as_u64().unwrap())
                .sum();
            assert_eq!(work, above_none, "{tree} {target}");
            assert_eq!(
                plan["totals"]["covered"],
                report["summary"]["existing_ports"]["covered"][target]["findings"],
                "{tree} {target}"
            );
        }
    }
}

#[test]
fn step_kinds_follow_category_and_effort() {
    let audit = audit_fixture("demo");
    for target in Target::ALL {
        let plan = Plan::of(&audit, target);
        for step in &plan.steps {
            let max = Effort::ALL
                .into_iter()
                .rev()
                .find(|e| step.by_effort[e.index()] > 0)
                .unwrap_or(Effort::None);
            assert_eq!(step.effort, max, "{}", step.title);
            match step.kind {
                StepKind::Renames => {
                    assert_eq!(step.findings, step.by_effort[Effort::Automatic.index()])
                }
                StepKind::Build => assert!(
                    step.by_category
                        .keys()
                        .all(|c| matches!(c.as_str(), "build" | "dependency" | "container"))
                ),
                StepKind::Kernels => {
                    assert!(step.by_category.keys().all(|c| matches!(
                        c.as_str(),
                        "kernel" | "device-intrinsic" | "inline-ptx"
                    )))
                }
                StepKind::Library => {
                    let lib = step.library.as_deref().unwrap();
                    assert!(step.replacements.iter().all(|r| r.library == lib));
                    assert_eq!(step.by_effort[Effort::Automatic.index()], 0);
                }
            }
        }
    }
    // ROCm: the hipify command names the C-family files of the renames step, and SARIF fixes
    // are counted.
    let plan = demo_plan(Target::Rocm);
    let renames = plan
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Renames)
        .unwrap();
    let hipify = renames.hipify.as_ref().unwrap();
    assert!(hipify.files.iter().any(|f| f.ends_with("saxpy.cu")));
    assert!(hipify.sarif_fixes > 0 && hipify.sarif_fixes <= renames.findings);
    assert!(
        demo_plan(Target::Tpu)
            .steps
            .iter()
            .all(|s| s.hipify.is_none())
    );
}

#[test]
fn findings_an_existing_port_covers_are_counted_apart() {
    // A HIP shim and a ROCm branch: ROCm effort `none`, counted as covered and not as work.
    let audit = audit_fixture("ports/shim");
    let plan = Plan::of(&audit, Target::Rocm);
    let covered = audit
        .findings
        .iter()
        .filter(|f| f.existing_port.is_some())
        .count();
    assert_eq!(covered, 11);
    assert_eq!(plan.totals.covered, covered);
    assert_eq!(plan.covered.findings, covered);
    assert_eq!(plan.covered.by_layer.values().sum::<usize>(), covered);
    assert_eq!(plan.covered.shim_files.len(), 1);
    assert_eq!(plan.covered.shim_gaps, 3);
    assert!(
        plan.steps.iter().map(|s| s.covered).sum::<usize>() <= covered,
        "each covered finding is counted in at most one step"
    );
    // A kind of work the ports cover entirely is not a step of zero findings.
    assert!(
        plan.steps.iter().all(|s| s.findings > 0),
        "{:?}",
        plan.steps
    );
    let names: Vec<&str> = plan
        .steps
        .iter()
        .flat_map(|s| s.replacements.iter().map(|r| r.symbol.as_str()))
        .collect();
    assert!(
        !names.contains(&"cudaMalloc"),
        "mapped by the shim: {names:?}"
    );
    assert!(
        names.contains(&"cudaMemPrefetchAsync"),
        "a gap of the shim: {names:?}"
    );
    let md = cuda_audit::plan::markdown::render(&plan);
    assert!(md.contains("HIP shim `ports/shim/vendors/hip.h`"), "{md}");
    // On another target nothing covers them: they are work.
    let tpu = Plan::of(&audit, Target::Tpu);
    assert_eq!(tpu.totals.covered, 0);
    assert!(tpu.totals.findings > plan.totals.findings);

    // A Python device path: covered on TPU, the routing through it still `automatic` work.
    let audit = audit_fixture("ports/python");
    let plan = Plan::of(&audit, Target::Tpu);
    assert_eq!(plan.totals.covered, 3);
    let renames = plan
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Renames)
        .unwrap();
    assert_eq!(renames.covered, 3);
    assert_eq!(
        renames
            .covered_by_layer
            .keys()
            .map(|l| l.as_str())
            .collect::<Vec<_>>(),
        ["device-path"]
    );
}

/// Ignored (and `cargo test` says so) when build.rs found no browser; `.ci/run` runs it anyway.
#[test]
#[cfg_attr(no_chromium, ignore = "no chromium: apt-get install chromium")]
fn plan_html_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    for (target, tree) in [(Target::Rocm, "ports/shim"), (Target::Neuron, "demo")] {
        let mut audit = audit_fixture(tree);
        audit.provenance = Some(pinned_provenance());
        let plan = Plan::of(&audit, target);
        let page = dir.path().join(format!("plan-{target}.html"));
        std::fs::write(&page, cuda_audit::plan::html::render(&plan)).unwrap();
        let dom = render_in_chromium(&page);
        assert!(
            dom.contains("data-ready=\"true\""),
            "the script did not run to its end"
        );
        for id in ["chart-steps", "steps", "covered", "cannot-judge", "step-1"] {
            assert!(
                dom.contains(&format!("id=\"{id}\"")),
                "#{id} is not in the DOM"
            );
        }
        assert_eq!(
            dom.matches("<section class=\"step\"").count(),
            plan.steps.len()
        );
        assert!(dom.contains("<code>worked</code> at <code>0123456789ab</code>"));
    }
}

#[test]
fn the_command_line_writes_each_format_and_refuses_an_unknown_target() {
    let root = repo_root();
    let md = run_in(&root, &["plan", "fixtures/demo", "--target", "rocm"]);
    assert!(md.status.success(), "{}", stderr(&md));
    assert!(stdout(&md).starts_with("## cuda-audit: porting plan for ROCm"));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("plan.html");
    let out = run_in(
        &root,
        &[
            "plan",
            "fixtures/demo",
            "-t",
            "neuron",
            "-f",
            "html",
            "-o",
            page.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("(html plan for neuron, "),
        "{}",
        stderr(&out)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Porting plan for Neuron"));
    for bad in [
        &["plan", "fixtures/demo", "--target", "cuda"][..],
        &["plan", "fixtures/demo"],
        &["plan", "fixtures/demo", "--target", "rocm,tpu"],
        &["plan", "fixtures/demo", "-t", "rocm", "-t", "tpu"],
        &["plan", "fixtures/demo", "-t", "rocm", "-f", "sarif"],
    ] {
        let out = run_in(&root, bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("error:"), "{bad:?}");
        assert!(stdout(&out).is_empty());
    }
    // The same tree gives the same bytes.
    let again = run_in(
        &root,
        &["plan", "fixtures/demo", "--target", "rocm", "-j", "1"],
    );
    assert_eq!(stdout(&md), stdout(&again));
}
