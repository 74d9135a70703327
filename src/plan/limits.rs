//! What a porting plan cannot judge: a fixed list of topics, each said with what the audit does
//! know about it (how many kernels assume 32-wide warps, which files were not analysed, which
//! libraries have no known replacement). The fixed text is short; the numbers are the audit's.

use super::{is_build, is_device_code, plural};
use crate::audit::Audit;
use crate::finding::Finding;
use crate::portability::{Effort, Target};
use crate::rule::Category;
use std::collections::{BTreeMap, BTreeSet};

/// One thing the plan cannot judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    /// A stable key: `performance`, `numerical-equivalence`, `not-analysed`, `dynamic-uses`,
    /// `no-replacement`, `kernels-rewritten`.
    pub topic: &'static str,
    pub title: &'static str,
    pub text: String,
    /// What the text counts, one item each (files by reason, libraries), when there is a list.
    pub items: Vec<String>,
    /// The items are names, shown on one line; otherwise each is a line of its own.
    pub inline: bool,
}

impl Limit {
    fn new(topic: &'static str, title: &'static str, text: String) -> Limit {
        Limit {
            topic,
            title,
            text,
            items: Vec::new(),
            inline: false,
        }
    }
}

/// The topics, in their fixed order.
pub(super) fn limits(audit: &Audit, target: Target) -> Vec<Limit> {
    let mut out = vec![
        performance(audit, target),
        numerics(audit, target),
        not_analysed(audit),
        dynamic(audit),
        no_replacement(audit, target),
    ];
    if target != Target::Rocm {
        out.push(rewritten(audit, target));
    }
    out
}

/// Warp-level names: what assumes 32 threads move in lock step.
fn is_warp_level(f: &Finding) -> bool {
    let s = f.symbol.as_str();
    s == "warpSize"
        || [
            "__shfl",
            "__ballot",
            "__any",
            "__all",
            "__activemask",
            "__syncwarp",
            "__match_",
            "__reduce_",
            "__lanemask",
        ]
        .iter()
        .any(|p| s.starts_with(p))
}

/// Kernel definitions (`__global__`) and launches (`<<<>>>`).
fn kernels(audit: &Audit) -> (usize, usize) {
    let count = |symbol: &str| {
        audit
            .findings
            .iter()
            .filter(|f| f.category == Category::Kernel && f.symbol == symbol)
            .count()
    };
    (count("__global__"), count("<<<>>>"))
}

fn performance(audit: &Audit, target: Target) -> Limit {
    let title = "Performance";
    match target {
        Target::Rocm => {
            let (definitions, _) = kernels(audit);
            let warp: Vec<&Finding> = audit.findings.iter().filter(|f| is_warp_level(f)).collect();
            let files: BTreeSet<&str> = warp.iter().map(|f| f.path.as_str()).collect();
            Limit::new(
                "performance",
                title,
                format!(
                    "AMD Instinct GPUs run 64-thread wavefronts where CUDA code assumes 32-thread \
warps. This tree has {} and {} (warpSize, shuffles, votes, lane masks) in {}: block sizes, masks, \
occupancy, LDS use and tuned constants may need to change, and how fast the port runs is not judged.",
                    plural(definitions, "kernel definition"),
                    plural(warp.len(), "warp-level use"),
                    plural(files.len(), "file")
                ),
            )
        }
        Target::Neuron => Limit::new(
            "performance",
            title,
            "Neuron compiles whole graphs ahead of time (neuronx-cc, through XLA): dynamic shapes, \
data-dependent control flow and operators it does not support cause recompilation or fall back to \
the CPU. None of this shows in source code; how fast the port runs is not judged."
                .into(),
        ),
        Target::Tpu => Limit::new(
            "performance",
            title,
            "XLA compiles for static shapes: dynamic shapes, host round trips and arrays that do not \
tile well on the TPU cost recompilation, transfers or padding. None of this shows in source code; \
how fast the port runs is not judged."
                .into(),
        ),
    }
}

fn numerics(audit: &Audit, target: Target) -> Limit {
    // The libraries whose calls are replaced: every library API with work on the target.
    let libraries: BTreeSet<&str> = audit
        .findings
        .iter()
        .filter(|f| f.category == Category::Library && f.effort(target) > Effort::None)
        .map(|f| f.library.as_str())
        .collect();
    let precision = match target {
        Target::Rocm => "",
        Target::Neuron => {
            " Neuron's compiler casts fp32 matrix multiplications to bf16 by default."
        }
        Target::Tpu => " TPU matrix units multiply in bf16 at XLA's default precision.",
    };
    let replaced = if libraries.is_empty() {
        String::from("Replacement libraries")
    } else {
        format!("The replacements of {}", plural(libraries.len(), "library"))
    };
    let mut limit = Limit::new(
        "numerical-equivalence",
        "Numerical equivalence",
        format!(
            "Results are not compared. {replaced} may use other algorithms, reduction orders and \
default precisions, and atomics and fast-math intrinsics round differently.{precision} Validate \
the port against reference outputs."
        ),
    );
    limit.items = libraries.into_iter().map(str::to_string).collect();
    limit.inline = true;
    limit
}

fn not_analysed(audit: &Audit) -> Limit {
    let mut items = Vec::new();
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &audit.files.skipped {
        *reasons.entry(n.reason.as_str()).or_default() += 1;
    }
    for (reason, n) in &reasons {
        items.push(format!("{} skipped: {reason}", plural(*n, "file")));
    }
    let mut caveats: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &audit.files.warnings {
        *caveats.entry(n.reason.as_str()).or_default() += 1;
    }
    for (reason, n) in &caveats {
        items.push(format!(
            "{} scanned with a caveat: {reason}",
            plural(*n, "file")
        ));
    }
    let mut langs: Vec<(&&str, &usize)> = audit.project.not_analysed.iter().collect();
    langs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (lang, n) in langs {
        items.push(format!(
            "{} not analysed (language)",
            plural(*n, &format!("{lang} file"))
        ));
    }
    let p = &audit.project;
    if !p.vendored.is_empty() && !p.vendored_included {
        let findings: usize = p.vendored.iter().map(|v| v.findings).sum();
        items.push(format!(
            "{} of vendored code not planned: {} (--include-vendored plans them)",
            plural(findings, "finding"),
            p.vendored
                .iter()
                .map(|v| v.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if audit.suppressed > 0 {
        items.push(format!(
            "{} silenced by `cuda-audit: ignore` comments",
            plural(audit.suppressed, "finding")
        ));
    }
    let text = if items.is_empty() {
        format!(
            "Every file in scope was analysed ({}); files outside the scanned paths, excluded or \
ignored are not in the plan.",
            plural(audit.files.scanned, "file")
        )
    } else {
        format!(
            "The plan covers the {} analysed, not these:",
            plural(audit.files.scanned, "file")
        )
    };
    let mut limit = Limit::new("not-analysed", "Files not analysed", text);
    limit.items = items;
    limit
}

/// Code loaded or compiled at run time: NVRTC, driver modules and linking.
fn is_runtime_code(f: &Finding) -> bool {
    f.library == "nvrtc"
        || ["cuModuleLoad", "cuLink", "cuLibraryLoad"]
            .iter()
            .any(|p| f.symbol.starts_with(p))
}

fn dynamic(audit: &Audit) -> Limit {
    let runtime = audit.findings.iter().filter(|f| is_runtime_code(f)).count();
    let here = if runtime > 0 {
        format!(
            " This tree has {} that load or compile device code at run time (NVRTC, driver \
modules): that code is seen only where it is a string in a scanned file.",
            plural(runtime, "use")
        )
    } else {
        String::new()
    };
    Limit::new(
        "dynamic-uses",
        "Uses a static scan cannot see",
        format!(
            "CUDA names built at run time, libraries opened with dlopen or ctypes, code generated \
during the build and precompiled binaries (cubin, fatbin, PTX files) are not found.{here}"
        ),
    )
}

/// Libraries whose work on the target has no replacement in the rules: wholly (every name), or
/// partly (some names).
fn no_replacement(audit: &Audit, target: Target) -> Limit {
    // Per library: (names with work, names with no replacement).
    let mut libs: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for f in &audit.findings {
        let port = f.portability.get(target);
        if port.effort == Effort::None || is_build(f.category) || is_device_code(f.category) {
            continue;
        }
        let (names, missing) = libs.entry(&f.library).or_default();
        names.insert(&f.symbol);
        if port.replacement.is_none() {
            missing.insert(&f.symbol);
        }
    }
    let mut items = Vec::new();
    let mut whole = 0;
    for (library, (names, missing)) in &libs {
        if missing.is_empty() {
            continue;
        }
        if missing.len() == names.len() {
            whole += 1;
            items.push(format!("{library}: no replacement known"));
        } else {
            items.push(format!(
                "{library}: {} of {} without one",
                missing.len(),
                plural(names.len(), "name")
            ));
        }
    }
    let name = crate::report::markdown::target_name(target);
    let text = if items.is_empty() {
        format!("Every library name found here has a known replacement on {name}.")
    } else if whole == 0 {
        format!(
            "The rules know no replacement on {name} for some names of {}: those need a design, \
and their cost may be larger than the points say.",
            plural(items.len(), "library")
        )
    } else {
        format!(
            "The rules know no replacement on {name} for {} (and for some names of {}): those \
need a design, and their cost may be larger than the points say.",
            plural(whole, "library"),
            plural(items.len() - whole, "other")
        )
    };
    let mut limit = Limit::new(
        "no-replacement",
        "Libraries with no known replacement",
        text,
    );
    limit.items = items;
    limit
}

fn rewritten(audit: &Audit, target: Target) -> Limit {
    let (definitions, launches) = kernels(audit);
    let (dsl, design) = match target {
        Target::Neuron => (
            "NKI kernels (@nki.jit)",
            "tiling to the NeuronCore's SBUF and PSUM",
        ),
        _ => (
            "Pallas kernels (pallas_call)",
            "blocking to the TPU's VMEM and its 8×128 tiles",
        ),
    };
    let uses = audit
        .findings
        .iter()
        .filter(|f| f.category == Category::Kernel)
        .count();
    Limit::new(
        "kernels-rewritten",
        "Kernels are rewritten, not ported",
        format!(
            "CUDA kernels are typically rewritten as {dsl} or replaced by framework operations \
rather than translated. This tree has {}, {} and {} of the kernel language in all; the new \
kernels' design ({design}) is not derived from the CUDA code, and the points count the rewrite, \
not the tuning.",
            plural(definitions, "kernel definition"),
            plural(launches, "launch"),
            plural(uses, "use")
        ),
    )
}
