//! The tree-wide pass ([`apply`]): decides which hits the existing layers cover (ROCm effort →
//! `none`, or a device path's targets → `automatic`, with the evidence in the note), and builds
//! the summary's report of what they cover and which names the shims miss.

use super::builds::hipified_files;
use super::device_paths::cover_by_device_paths;
use super::guards::guard_for;
use super::shims::{describe_shims, includers_of, shim_table, through_shim};
use super::{FilePorts, RegionLines, Shim};
use crate::finding::{Cover, ExistingPort, FileHits, Hit, Layer};
use crate::portability::{Effort, Portability, Target};
use crate::rule::RuleSet;
use crate::rule::{Category, Rule};
use std::collections::{BTreeMap, BTreeSet};

/// What the existing layers cover, for the summary.
#[derive(Clone, Debug, Default)]
pub struct ExistingPortsReport {
    /// Files that map CUDA names to HIP names, with how many names and what selects them.
    pub shim_files: Vec<ShimFile>,
    /// Findings whose ROCm effort an existing layer set to `none`, per layer.
    pub covered: BTreeMap<Layer, usize>,
    /// CUDA names found in C-family code that no shim maps, with occurrences (only when the tree
    /// has a shim): what the shim still has to cover.
    pub shim_gaps: Vec<(String, usize)>,
    /// Macros found to select a ROCm build (built-in patterns and shim switches), sorted.
    pub rocm_macros: Vec<String>,
    /// The project's builds that compile its CUDA sources for ROCm (hipified by PyTorch), with
    /// how many files each covers: "the project builds this for ROCm", as opposed to the source
    /// having a ROCm path (shims, guarded branches).
    pub rocm_builds: Vec<RocmBuild>,
}

/// A build call that compiles sources for ROCm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RocmBuild {
    /// `setup.py:12`.
    pub at: String,
    pub kind: String,
    /// Where the build provides for ROCm (`setup.py:40`).
    pub rocm_evidence: String,
    /// Sources and headers it compiles, found in the tree.
    pub files: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShimFile {
    pub path: String,
    pub entries: usize,
    /// `#ifdef GGML_USE_HIP (ggml-cuda/common.cuh:12)` when an include of the shim is conditional.
    pub selected_by: Option<String>,
}

/// A hit being judged: where it is, its rule, and the cover decided so far.
pub(super) struct Judged<'a> {
    pub(super) path: &'a str,
    pub(super) hit: &'a Hit,
    pub(super) rule: &'a Rule,
    pub(super) cover: Option<Cover>,
}

impl Judged<'_> {
    /// The portability as decided so far.
    pub(super) fn portability(&self) -> &Portability {
        self.cover
            .as_ref()
            .map_or(&*self.hit.portability, |c| &c.portability)
    }

    fn effort(&self, target: Target) -> Effort {
        self.portability().get(target).effort
    }
}

/// Per file, per hit (in the order of the input): the cover an existing layer gives it.
pub type Covers = Vec<Vec<Option<Cover>>>;

/// What the tree offers to cover a finding, besides the guards of its own file.
struct Layers<'a> {
    /// Shims by CUDA name.
    shims: BTreeMap<&'a str, &'a Shim>,
    shim_paths: BTreeSet<&'a str>,
    /// Per shim, the files that include it, directly or through other headers.
    reach_of: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// The files a ROCm build of the project hipifies, with the evidence.
    hipified: BTreeMap<&'a str, String>,
    /// Per file reaching a shim, the shim it is compiled as HIP through.
    through_shim: BTreeMap<&'a str, &'a str>,
}

/// Decides which hits the layers cover (ROCm effort → `none`, with the evidence in the note).
pub fn apply(
    hits: &[FileHits],
    files: &BTreeMap<String, FilePorts>,
    rules: &RuleSet,
) -> (ExistingPortsReport, Covers) {
    // Shims, first definition of a name wins (files and lines are in order).
    let shims = shim_table(files);
    let shim_paths: BTreeSet<&str> = shims.values().map(|s| s.path.as_str()).collect();
    // A conditional include of a shim makes its macros ROCm switches.
    let (project_macros, shim_files) = describe_shims(files, &shims, &shim_paths);
    let is_rocm = |m: &str| rules.ports.is_rocm_macro(m) || project_macros.contains(m);
    let is_cuda_arch = |m: &str| rules.ports.is_cuda_arch_macro(m);
    // The files a ROCm build of the project hipifies: the sources of its PyTorch extension
    // builds and the headers they include, file by file.
    let (hipified, rocm_builds) = hipified_files(files);
    // Per shim, the files that include it (directly or through other headers): a shim's mapping
    // covers only the files it is compiled into. A file reaching any shim is compiled as HIP
    // through the first one (in path order).
    let reach_of: BTreeMap<&str, BTreeSet<&str>> = shim_paths
        .iter()
        .map(|&s| (s, includers_of(files, s)))
        .collect();
    let through_shim = through_shim(&reach_of);
    let layers = Layers {
        shims,
        shim_paths,
        reach_of,
        hipified,
        through_shim,
    };

    let mut report = ExistingPortsReport {
        shim_files,
        rocm_builds,
        ..Default::default()
    };
    let mut macros: BTreeSet<String> = project_macros.iter().cloned().collect();
    let mut gaps: BTreeMap<String, usize> = BTreeMap::new();
    let mut covers: Covers = Vec::with_capacity(hits.len());
    for FileHits { path, hits } in hits {
        let file = files.get(path);
        let mut file_covers = Vec::with_capacity(hits.len());
        for hit in hits {
            let mut j = Judged {
                path,
                hit,
                rule: rules.rule(hit.rule),
                cover: None,
            };
            judge(
                &mut j,
                file,
                rules,
                &layers,
                &mut report,
                &mut gaps,
                &mut |line| {
                    file.and_then(|file| {
                        guard_for(file, line, &is_rocm, &is_cuda_arch, &mut macros)
                    })
                },
            );
            file_covers.push(j.cover);
        }
        covers.push(file_covers);
    }
    let mut gaps: Vec<(String, usize)> = gaps.into_iter().collect();
    gaps.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    report.shim_gaps = gaps;
    report.rocm_macros = macros.into_iter().collect();
    (report, covers)
}

/// Judges one hit: a ROCm-only region, a device path, then (C-family code with a ROCm effort) a
/// guard, a shim, a hipifying build; a name no shim maps is a gap.
fn judge(
    j: &mut Judged,
    file: Option<&FilePorts>,
    rules: &RuleSet,
    layers: &Layers,
    report: &mut ExistingPortsReport,
    gaps: &mut BTreeMap<String, usize>,
    guard_at: &mut dyn FnMut(usize) -> Option<String>,
) {
    if let Some(file) = file {
        if cover_by_rocm_region(j, file, report) {
            return;
        }
        cover_by_device_paths(j, file, rules, report);
    }
    let c_family = j.rule.languages.iter().any(|l| l.is_c_family());
    if !c_family || j.effort(Target::Rocm) == Effort::None {
        return;
    }
    let guard = guard_at(j.hit.start.line);
    match port_for(j, guard, layers) {
        Some((layer, evidence)) => mark_ported(j, layer, evidence, report),
        // Gaps are API names a shim could map, not language constructs or headers.
        None if !layers.shims.is_empty()
            && matches!(
                j.rule.category,
                Category::RuntimeApi
                    | Category::DriverApi
                    | Category::Library
                    | Category::DeviceIntrinsic
            ) =>
        {
            *gaps.entry(j.hit.symbol.to_string()).or_default() += 1
        }
        None => {}
    }
}

/// Covers a Python finding in code taken only on ROCm, which runs there as it is. Whether the
/// finding sits in such a region (then nothing else applies to it).
fn cover_by_rocm_region(
    j: &mut Judged,
    file: &FilePorts,
    report: &mut ExistingPortsReport,
) -> bool {
    let line = j.hit.start.line;
    let region = file
        .rocm_regions
        .iter()
        .find(|r| r.first <= line && line <= r.last);
    let Some(RegionLines {
        line, condition, ..
    }) = region
    else {
        return false;
    };
    if j.effort(Target::Rocm) != Effort::None {
        let evidence = format!("on a ROCm branch: `{condition}` at {}:{line}", j.path);
        mark_ported(j, Layer::Guard, evidence, report);
    }
    true
}

/// Sets a finding's ROCm effort to `none`, with the evidence in the note, and counts it.
fn mark_ported(j: &mut Judged, layer: Layer, evidence: String, report: &mut ExistingPortsReport) {
    let mut portability = j.portability().clone();
    let rocm = &mut portability.0[Target::Rocm.index()];
    rocm.effort = Effort::None;
    rocm.note = Some(format!("already ported: {evidence}"));
    *report.covered.entry(layer).or_default() += 1;
    j.cover = Some(Cover {
        portability,
        port: ExistingPort {
            layer,
            evidence,
            targets: vec![Target::Rocm],
        },
    });
}

/// The layer that gives a C-family finding a ROCm path, with the evidence: the enclosing
/// conditional's ROCm branch (`guard`), the shim itself, a shim compiled into the file that maps
/// the name, the project's hipifying build, or, for kernels, the shim the file is compiled
/// through.
fn port_for(j: &Judged, guard: Option<String>, layers: &Layers) -> Option<(Layer, String)> {
    let (path, symbol) = (j.path, &*j.hit.symbol);
    let Layers {
        shims,
        shim_paths,
        reach_of,
        hipified,
        through_shim,
    } = layers;
    match guard {
        Some(evidence) => Some((Layer::Guard, format!("{evidence} in {}", path))),
        // The shim header is the HIP side: it is only compiled for ROCm.
        None if shim_paths.contains(path) => {
            Some((Layer::Shim, format!("inside the HIP shim {}", path)))
        }
        None => shims
            .get(symbol)
            .filter(|s| {
                s.path != path
                    && reach_of
                        .get(s.path.as_str())
                        .is_some_and(|r| r.contains(path))
            })
            .map(|s| {
                (
                    Layer::Shim,
                    format!(
                        "HIP shim {}:{} ({} {} {})",
                        s.path,
                        s.line,
                        s.form.as_str(),
                        s.cuda,
                        s.hip
                    ),
                )
            })
            .or_else(|| {
                // A mechanical rename that the project's ROCm build performs on this very
                // file (a source of a PyTorch extension build, or a header one includes).
                let what = hipified.get(path)?;
                (j.effort(Target::Rocm) == Effort::Automatic).then(|| {
                    (
                        Layer::BuildTranslation,
                        format!("hipified at build time: {what}"),
                    )
                })
            })
            .or_else(|| {
                // Kernels, launches and qualifiers in a file compiled through the shim are
                // compiled by hipcc as they are.
                let via = through_shim.get(path)?;
                (j.rule.category == Category::Kernel && j.effort(Target::Rocm) == Effort::Automatic)
                    .then(|| {
                        (
                            Layer::Shim,
                            format!("compiled as HIP through the shim {via}"),
                        )
                    })
            }),
    }
}
