//! Existing portability layers: HIP shim headers (`#define cudaMalloc hipMalloc`, `using`,
//! `typedef`, wrapper functions), preprocessor branches with a ROCm sibling
//! (`#if defined(USE_ROCM) … #else … #endif`), the build switches that select a shim, and Python
//! device paths besides CUDA (`torch_xla`, `torch_neuronx`). Code that already has a ROCm path
//! costs nothing to port to ROCm: such findings get ROCm effort `none` with the evidence in the
//! note (a Python device path lowers the effort for its targets to `automatic`: routing a use
//! through the existing path), and the summary says how many findings each layer covers and
//! which CUDA names the shims miss (their gaps). `--ignore-existing-ports` turns this off.
//!
//! Front ends only report what they saw ([`crate::lang::Branch`], [`crate::lang::ShimCandidate`]);
//! this module decides, first per file ([`FilePorts::of`]), then across the tree ([`apply`]),
//! because a shim defined in one header covers calls in every file.

use crate::finding::Finding;
use crate::lang::{BuildKind, Extraction, FactKind, Lang, ShimForm};
use crate::portability::{Effort, Target};
use crate::rule::Category;
use crate::rule::RuleSet;
use crate::source::LineIndex;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::finding::{ExistingPort, Layer};

/// One branch of a conditional, in lines (1-based, end exclusive), with its ROCm sense.
#[derive(Clone, Debug)]
struct BranchLines {
    start: usize,
    end: usize,
    idents: Vec<String>,
    /// Per identifier: the branch is taken when it is absent.
    negated: Vec<bool>,
    is_else: bool,
    /// The branch holds no implementation: it is empty, or a few lines that stop with an error
    /// (`CUTE_INVALID_CONTROL_PATH("only sm90")`, `__trap()`, `assert(false)`, `#error`). Such a
    /// branch is no ROCm path, whatever compiles it.
    stub: bool,
    /// The directive compares an architecture version (`__CUDA_ARCH__ >= 900`), as opposed to
    /// telling device code from host code (`#ifdef __CUDA_ARCH__`, whose `#else` is host code that
    /// HIP's device pass would compile as if it were device code).
    compares_version: bool,
}

/// Whether a directive line compares a macro with a number (`__CUDA_ARCH__ >= 900`,
/// `(__CUDA_ARCH__ == 1200)`, `800 <= __CUDA_ARCH__`).
fn compares_version(directive: &str) -> bool {
    let code = strip_comments(directive);
    [
        "__CUDA_ARCH__",
        "__CUDA_ARCH_SPECIFIC__",
        "__CUDA_ARCH_FAMILY_SPECIFIC__",
    ]
    .iter()
    .any(|m| {
        code.match_indices(m).any(|(i, _)| {
            let after = code[i + m.len()..].trim_start_matches([' ', ')', '\t']);
            let before = code[..i].trim_end_matches([' ', '(', '\t']);
            ["<", ">", "==", "!=", "<=", ">="]
                .iter()
                .any(|op| after.starts_with(op) || before.ends_with(op))
        })
    })
}

/// `text` without `//` and `/* */` comments (string literals kept: an error message is what marks
/// a stub). Approximate where a comment marker sits inside a string, which only ever drops text.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('/') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if after.starts_with("//") {
            rest = after.find('\n').map_or("", |n| &after[n..]);
        } else if let Some(comment) = after.strip_prefix("/*") {
            rest = comment.find("*/").map_or("", |e| &comment[e + 2..]);
        } else {
            out.push('/');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether a branch body (the text after its directive line) is a stub: empty, or at most a few
/// lines one of which stops with an error.
fn is_stub(body: &str) -> bool {
    const MARKERS: &[&str] = &[
        "__trap",
        "trap;",
        "INVALID",
        "assert(",
        "printf(",
        "abort(",
        "#error",
        "__builtin_unreachable",
        "throw ",
        "not supported",
        "NOT_SUPPORTED",
        "not implemented",
        "NOT_IMPLEMENTED",
        "only supports",
    ];
    let stripped = strip_comments(body);
    let code: Vec<&str> = stripped
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if code.is_empty() {
        return true;
    }
    // More PTX is no ROCm path; nor is a short branch that only returns a constant (a host
    // stub such as `return 0;` or `return {0, 0, 0};`, which a device pass would run as is).
    let ptx = code
        .iter()
        .any(|l| l.starts_with("asm") || l.contains(" asm(") || l.contains(" asm volatile"));
    let constant_return = code.len() <= 3
        && code.iter().any(|l| {
            l.strip_prefix("return").is_some_and(|v| {
                let v = v.trim().trim_end_matches(';').trim();
                v.is_empty()
                    || v.chars()
                        .all(|c| c.is_ascii_digit() || "{}, .-".contains(c))
                    || matches!(v, "true" | "false" | "nullptr")
            })
        });
    ptx || constant_return
        || (code.len() <= 6 && code.iter().any(|l| MARKERS.iter().any(|m| l.contains(m))))
}

/// A CUDA name a file maps to a HIP name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shim {
    pub cuda: String,
    pub hip: String,
    pub path: String,
    pub line: usize,
    pub form: ShimForm,
}

/// An `#include` inside a conditional: the branch's macros may select a shim.
#[derive(Clone, Debug)]
struct IncludeSwitch {
    include: String,
    idents: Vec<String>,
    negated: bool,
    path: String,
    line: usize,
}

/// What one file contributes.
#[derive(Clone, Debug, Default)]
pub struct FilePorts {
    chains: Vec<Vec<BranchLines>>,
    shims: Vec<Shim>,
    switches: Vec<IncludeSwitch>,
    /// Every `#include` path of a C-family file (to follow includes to a shim).
    includes: Vec<String>,
    /// Python device paths besides CUDA the file reaches: (index into the rule data, line).
    device_paths: Vec<(usize, usize)>,
    /// Build-time translations the file sets up: (index into the rule data, line).
    builds: Vec<(usize, usize)>,
    /// Python build scripts: what each PyTorch extension build compiles.
    build_sources: Vec<BuildCall>,
    /// Python build scripts: the line where the script provides for a ROCm build.
    rocm_build: Option<usize>,
    /// Python: code taken only on ROCm.
    rocm_regions: Vec<RegionLines>,
}

/// Python code taken only on ROCm, in lines, with its condition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RegionLines {
    first: usize,
    last: usize,
    /// The condition's line and text.
    line: usize,
    condition: String,
}

/// One build call of a Python build script and the sources it compiles, as paths (or globs)
/// relative to the script's directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct BuildCall {
    kind: String,
    /// Whether PyTorch hipifies what this call compiles on ROCm (`CUDAExtension`, `load` with a
    /// CUDA source, an op builder; never `CppExtension`).
    hipified: bool,
    sources: Vec<String>,
    line: usize,
}

impl FilePorts {
    pub fn of(
        extraction: &Extraction,
        rules: &RuleSet,
        rel: &str,
        text: &str,
        lines: &LineIndex,
        lang: Lang,
    ) -> FilePorts {
        let line_of = |offset: usize| lines.position(text, offset).line;
        if lang == Lang::Python {
            let mut device_paths = Vec::new();
            for (i, dp) in rules.ports.device_paths.iter().enumerate() {
                if let Some(f) = extraction
                    .facts
                    .iter()
                    .find(|f| f.lang.is_none() && f.text.starts_with(dp.prefix.as_str()))
                {
                    device_paths.push((i, line_of(f.span.start)));
                }
            }
            let mut builds = Vec::new();
            for (i, (prefix, _)) in rules.ports.build_translations.iter().enumerate() {
                if let Some(f) = extraction
                    .facts
                    .iter()
                    .find(|f| f.lang.is_none() && f.text.starts_with(prefix.as_str()))
                {
                    builds.push((i, line_of(f.span.start)));
                }
            }
            let build_sources = extraction
                .build_sources
                .iter()
                .map(|b| BuildCall {
                    kind: b.kind.as_str().to_string(),
                    hipified: match b.kind {
                        BuildKind::CudaExtension | BuildKind::OpBuilder => true,
                        BuildKind::Load => b
                            .sources
                            .iter()
                            .any(|s| s.ends_with(".cu") || s.ends_with(".cuh")),
                        BuildKind::CppExtension => false,
                    },
                    sources: b.sources.clone(),
                    line: line_of(b.offset),
                })
                .collect();
            let rocm_regions = extraction
                .rocm_regions
                .iter()
                .map(|r| RegionLines {
                    first: line_of(r.span.start),
                    last: line_of(r.span.end.saturating_sub(1).max(r.span.start)),
                    line: line_of(r.condition_offset),
                    condition: r.condition.clone(),
                })
                .collect();
            return FilePorts {
                device_paths,
                builds,
                build_sources,
                rocm_build: extraction.rocm_build.map(line_of),
                rocm_regions,
                ..FilePorts::default()
            };
        }
        let include_paths = || {
            extraction
                .facts
                .iter()
                .filter(|f| f.kind == FactKind::Include)
                .map(|f| f.text.clone())
                .collect::<Vec<_>>()
        };
        if lang == Lang::Cython {
            // `cdef extern from "cupy_blas.h"`: a Cython file is compiled through the headers it
            // names, so a shim among them covers its calls.
            return FilePorts {
                includes: include_paths(),
                ..FilePorts::default()
            };
        }
        if !lang.is_c_family() {
            return FilePorts::default();
        }
        let chains: Vec<Vec<BranchLines>> = extraction
            .branches
            .iter()
            .map(|chain| {
                chain
                    .iter()
                    .map(|b| BranchLines {
                        start: line_of(b.span.start),
                        end: line_of(b.span.end.saturating_sub(1).max(b.span.start)) + 1,
                        idents: b.idents.clone(),
                        negated: b.negated.clone(),
                        is_else: b.is_else,
                        stub: text
                            .get(b.span.clone())
                            .and_then(|t| t.split_once('\n'))
                            .is_none_or(|(_, body)| is_stub(body)),
                        compares_version: text
                            .get(b.span.clone())
                            .and_then(|t| t.lines().next())
                            .is_some_and(compares_version),
                    })
                    .collect()
            })
            .collect();
        let ports = &rules.ports;
        let includes_hip = extraction
            .facts
            .iter()
            .any(|f| f.kind == FactKind::Include && f.text.to_ascii_lowercase().contains("hip"));
        let hip_defines = extraction
            .shim_candidates
            .iter()
            .any(|c| c.form == ShimForm::Define && ports.is_hip_name(&c.target));
        let shim_file = includes_hip || hip_defines;
        let shims = extraction
            .shim_candidates
            .iter()
            .filter(|c| rules.lookup_name(&c.name, Lang::Cuda).is_some())
            .filter(|c| {
                let target = c.target.trim_start_matches("const ").trim();
                ports.is_hip_name(target) || (c.form == ShimForm::Define && shim_file)
            })
            .map(|c| Shim {
                cuda: c.name.clone(),
                hip: c.target.clone(),
                path: rel.to_string(),
                line: line_of(c.offset),
                form: c.form,
            })
            .collect();
        let mut switches = Vec::new();
        for f in extraction
            .facts
            .iter()
            .filter(|f| f.kind == FactKind::Include)
        {
            let line = line_of(f.span.start);
            for chain in &chains {
                for b in chain.iter().filter(|b| {
                    !b.is_else && b.start < line && line < b.end && !b.idents.is_empty()
                }) {
                    switches.push(IncludeSwitch {
                        include: f.text.clone(),
                        idents: b.idents.clone(),
                        negated: b.negated.iter().all(|n| *n),
                        path: rel.to_string(),
                        line: b.start,
                    });
                }
            }
        }
        let includes = include_paths();
        FilePorts {
            chains,
            shims,
            switches,
            includes,
            device_paths: Vec::new(),
            builds: Vec::new(),
            build_sources: Vec::new(),
            rocm_build: None,
            rocm_regions: Vec::new(),
        }
    }
}

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

/// The files a ROCm build of the project hipifies, with the evidence (file → what), and the
/// builds. A build counts only when a Python file in its directory or an enclosing one provides
/// for a ROCm build (a setup.py that asserts `CUDA_HOME` and passes `-gencode` flags builds for
/// NVIDIA alone); its sources are resolved against the script's directory, then its enclosing
/// directories (op builders name sources from the package root), and globs are matched against
/// the tree's files. The headers those sources include, transitively within the tree, are
/// compiled the same way.
fn hipified_files(files: &BTreeMap<String, FilePorts>) -> (BTreeMap<&str, String>, Vec<RocmBuild>) {
    let dir_of = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    // Directories holding a ROCm marker in a Python file, with the marker.
    let mut rocm_dirs: BTreeMap<String, String> = BTreeMap::new();
    for (path, file) in files {
        if let Some(line) = file.rocm_build {
            rocm_dirs
                .entry(dir_of(path))
                .or_insert_with(|| format!("{path}:{line}"));
        }
    }
    let rocm_evidence_for = |dir: &str| -> Option<String> {
        let mut d = dir.to_string();
        loop {
            if let Some(e) = rocm_dirs.get(&d) {
                return Some(e.clone());
            }
            if d.is_empty() {
                return None;
            }
            d = dir_of(&d);
        }
    };
    let mut out: BTreeMap<&str, String> = BTreeMap::new();
    let mut builds = Vec::new();
    for (path, file) in files {
        for call in file.build_sources.iter().filter(|c| c.hipified) {
            let dir = dir_of(path);
            let Some(rocm) = rocm_evidence_for(&dir) else {
                continue;
            };
            let what = format!("{} at {path}:{} (ROCm build: {rocm})", call.kind, call.line);
            let mut compiled: Vec<&str> = Vec::new();
            for source in &call.sources {
                compiled.extend(resolve_source(files, &dir, source));
            }
            // The headers the sources include, within the tree.
            let mut queue = compiled.clone();
            while let Some(p) = queue.pop() {
                let Some(f) = files.get(p) else { continue };
                for inc in &f.includes {
                    // Beside the including file first, then anywhere by suffix.
                    let beside = normalise_path(&format!("{}/{inc}", dir_of(p)));
                    let hit = beside
                        .and_then(|b| files.get_key_value(&b).map(|(k, _)| k))
                        .or_else(|| files.keys().find(|k| include_names(inc, k)));
                    if let Some(h) = hit {
                        if !compiled.contains(&h.as_str()) {
                            compiled.push(h.as_str());
                            queue.push(h.as_str());
                        }
                    }
                }
            }
            for p in &compiled {
                out.entry(p).or_insert_with(|| what.clone());
            }
            builds.push(RocmBuild {
                at: format!("{path}:{}", call.line),
                kind: call.kind.clone(),
                rocm_evidence: rocm.clone(),
                files: compiled.len(),
            });
        }
    }
    (out, builds)
}

/// The files of the tree a build's source (a path or glob relative to the script's directory
/// `dir`) names: tried against `dir`, then each enclosing directory, the first that matches.
fn resolve_source<'a>(
    files: &'a BTreeMap<String, FilePorts>,
    dir: &str,
    source: &str,
) -> Vec<&'a str> {
    let mut base = dir.to_string();
    loop {
        let joined = normalise_path(&if base.is_empty() {
            source.to_string()
        } else {
            format!("{base}/{source}")
        });
        if let Some(joined) = joined {
            let found: Vec<&str> = if joined.contains(['*', '?', '[']) {
                match globset::GlobBuilder::new(&joined)
                    .literal_separator(true)
                    .build()
                {
                    Ok(g) => {
                        let m = g.compile_matcher();
                        files
                            .keys()
                            .filter(|k| m.is_match(k.as_str()))
                            .map(String::as_str)
                            .collect()
                    }
                    Err(_) => Vec::new(),
                }
            } else {
                files
                    .get_key_value(&joined)
                    .map(|(k, _)| k.as_str())
                    .into_iter()
                    .collect()
            };
            if !found.is_empty() {
                return found;
            }
        }
        if base.is_empty() {
            return Vec::new();
        }
        base = base
            .rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_string());
    }
}

/// `a/./b/../c` → `a/c`; `None` when it leaves the tree.
fn normalise_path(p: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShimFile {
    pub path: String,
    pub entries: usize,
    /// `#ifdef GGML_USE_HIP (ggml-cuda/common.cuh:12)` when an include of the shim is conditional.
    pub selected_by: Option<String>,
}

/// Applies the layers to every finding (ROCm effort → `none`, with the evidence in the note).
pub fn apply(
    findings: &mut [Finding],
    files: &BTreeMap<String, FilePorts>,
    rules: &RuleSet,
) -> ExistingPortsReport {
    // Shims, first definition of a name wins (files and lines are in order).
    let mut shims: BTreeMap<&str, &Shim> = BTreeMap::new();
    for file in files.values() {
        for s in &file.shims {
            shims.entry(s.cuda.as_str()).or_insert(s);
        }
    }
    let shim_paths: BTreeSet<&str> = shims.values().map(|s| s.path.as_str()).collect();
    // A conditional include of a shim makes its macros ROCm switches.
    let mut project_macros: HashSet<String> = HashSet::new();
    let mut shim_files: Vec<ShimFile> = Vec::new();
    for path in &shim_paths {
        let name = path.rsplit('/').next().unwrap_or(path);
        let switch = files.values().flat_map(|f| &f.switches).find(|s| {
            !s.negated
                && (s.include == *path
                    || path.ends_with(&format!("/{}", s.include))
                    || s.include.ends_with(&format!("/{name}"))
                    || s.include == name)
        });
        if let Some(s) = switch {
            project_macros.extend(s.idents.iter().cloned());
        }
        shim_files.push(ShimFile {
            path: path.to_string(),
            entries: shims.values().filter(|s| s.path == *path).count(),
            selected_by: switch
                .map(|s| format!("#if {} ({}:{})", s.idents.join(" "), s.path, s.line)),
        });
    }
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
    let mut through_shim: BTreeMap<&str, &str> = BTreeMap::new();
    for (&shim, reached) in &reach_of {
        for &path in reached {
            through_shim.entry(path).or_insert(shim);
        }
    }

    let mut report = ExistingPortsReport {
        shim_files,
        rocm_builds,
        ..Default::default()
    };
    let mut macros: BTreeSet<String> = project_macros.iter().cloned().collect();
    let mut gaps: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings.iter_mut() {
        if let Some(file) = files.get(&f.path) {
            // Python code taken only on ROCm runs there as it is.
            let region = file
                .rocm_regions
                .iter()
                .find(|r| r.first <= f.start.line && f.start.line <= r.last);
            if let Some(RegionLines {
                line, condition, ..
            }) = region
            {
                if f.portability.get(Target::Rocm).effort != Effort::None {
                    let evidence = format!("on a ROCm branch: `{condition}` at {}:{line}", f.path);
                    let rocm =
                        &mut std::sync::Arc::make_mut(&mut f.portability).0[Target::Rocm.index()];
                    rocm.effort = Effort::None;
                    rocm.note = Some(format!("already ported: {evidence}"));
                    *report.covered.entry(Layer::Guard).or_default() += 1;
                    f.existing_port = Some(ExistingPort {
                        layer: Layer::Guard,
                        evidence,
                        targets: vec![Target::Rocm],
                    });
                }
                continue;
            }
            cover_by_device_paths(f, file, rules, &mut report);
        }
        let c_family = rules
            .find_rule(&f.rule_id)
            .is_some_and(|r| r.languages.iter().any(|l| l.is_c_family()));
        if !c_family || f.portability.get(Target::Rocm).effort == Effort::None {
            continue;
        }
        let guard = files
            .get(&f.path)
            .and_then(|file| guard_for(file, f.start.line, &is_rocm, &is_cuda_arch, &mut macros));
        let port = match guard {
            Some(evidence) => Some((Layer::Guard, format!("{evidence} in {}", f.path))),
            // The shim header is the HIP side: it is only compiled for ROCm.
            None if shim_paths.contains(f.path.as_str()) => {
                Some((Layer::Shim, format!("inside the HIP shim {}", f.path)))
            }
            None => shims
                .get(f.symbol.as_str())
                .filter(|s| {
                    s.path != f.path
                        && reach_of
                            .get(s.path.as_str())
                            .is_some_and(|r| r.contains(f.path.as_str()))
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
                    let what = hipified.get(f.path.as_str())?;
                    (f.portability.get(Target::Rocm).effort == Effort::Automatic).then(|| {
                        (
                            Layer::BuildTranslation,
                            format!("hipified at build time: {what}"),
                        )
                    })
                })
                .or_else(|| {
                    // Kernels, launches and qualifiers in a file compiled through the shim are
                    // compiled by hipcc as they are.
                    let via = through_shim.get(f.path.as_str())?;
                    (f.category == Category::Kernel
                        && f.portability.get(Target::Rocm).effort == Effort::Automatic)
                        .then(|| {
                            (
                                Layer::Shim,
                                format!("compiled as HIP through the shim {via}"),
                            )
                        })
                }),
        };
        match port {
            Some((layer, evidence)) => {
                let rocm =
                    &mut std::sync::Arc::make_mut(&mut f.portability).0[Target::Rocm.index()];
                rocm.effort = Effort::None;
                rocm.note = Some(format!("already ported: {evidence}"));
                *report.covered.entry(layer).or_default() += 1;
                f.existing_port = Some(ExistingPort {
                    layer,
                    evidence,
                    targets: vec![Target::Rocm],
                });
            }
            // Gaps are API names a shim could map, not language constructs or headers.
            None if !shims.is_empty()
                && matches!(
                    f.category,
                    Category::RuntimeApi
                        | Category::DriverApi
                        | Category::Library
                        | Category::DeviceIntrinsic
                ) =>
            {
                *gaps.entry(f.symbol.clone()).or_default() += 1
            }
            None => {}
        }
    }
    let mut gaps: Vec<(String, usize)> = gaps.into_iter().collect();
    gaps.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    report.shim_gaps = gaps;
    report.rocm_macros = macros.into_iter().collect();
    report
}

/// Whether an `#include` path names the file at `path`: by suffix, relative prefixes dropped
/// (`"../../cupy_blas.h"` names `cupy_backends/cupy_blas.h` from two levels down).
fn include_names(include: &str, path: &str) -> bool {
    let mut inc = include;
    while let Some(rest) = inc.strip_prefix("../").or_else(|| inc.strip_prefix("./")) {
        inc = rest;
    }
    path == inc || path.strip_suffix(inc).is_some_and(|dir| dir.ends_with('/'))
}

/// The files that include `shim`, directly or through other headers (the shim itself not
/// among them). Include paths are matched to files by suffix ([`include_names`]). The one
/// include closure: the prefilter uses it too ([`crate::prefilter::late_needles`]).
pub fn includers_of<'a>(
    files: &'a BTreeMap<String, FilePorts>,
    shim: &'a str,
) -> BTreeSet<&'a str> {
    let mut reached: BTreeSet<&str> = BTreeSet::from([shim]);
    loop {
        let mut grew = false;
        for (path, file) in files {
            if !reached.contains(path.as_str())
                && file
                    .includes
                    .iter()
                    .any(|inc| reached.iter().any(|target| include_names(inc, target)))
            {
                reached.insert(path.as_str());
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    reached.remove(shim);
    reached
}

/// Lowers the effort of a Python finding whose file also reaches a non-CUDA device path.
fn cover_by_device_paths(
    f: &mut Finding,
    file: &FilePorts,
    rules: &RuleSet,
    report: &mut ExistingPortsReport,
) {
    for &(i, line) in &file.device_paths {
        let dp = &rules.ports.device_paths[i];
        if !dp.libraries.contains(&f.library) {
            continue;
        }
        let evidence = format!("{} at {}:{line}", dp.what, f.path);
        let mut covered = Vec::new();
        for &t in &dp.targets {
            // The project already runs on the target through that path: what is left is routing
            // this use through it, a mechanical change.
            let port = &mut std::sync::Arc::make_mut(&mut f.portability).0[t.index()];
            if port.effort > Effort::Automatic {
                port.effort = Effort::Automatic;
                port.note = Some(format!(
                    "the project already has a {evidence}: route this use through it"
                ));
                covered.push(t);
            }
        }
        if covered.is_empty() {
            continue;
        }
        *report.covered.entry(Layer::DevicePath).or_default() += 1;
        match &mut f.existing_port {
            Some(p) => {
                p.targets.extend(covered);
                p.evidence.push_str(&format!("; {evidence}"));
            }
            None => {
                f.existing_port = Some(ExistingPort {
                    layer: Layer::DevicePath,
                    evidence,
                    targets: covered,
                })
            }
        }
    }
}

/// The ROCm path a finding on `line` already has, if an enclosing conditional has one: the
/// finding sits in a non-ROCm branch of a chain with a ROCm branch, or in the ROCm branch itself.
fn guard_for(
    file: &FilePorts,
    line: usize,
    is_rocm: &dyn Fn(&str) -> bool,
    is_cuda_arch: &dyn Fn(&str) -> bool,
    seen: &mut BTreeSet<String>,
) -> Option<String> {
    for chain in &file.chains {
        let Some(at) = chain.iter().position(|b| b.start <= line && line < b.end) else {
            continue;
        };
        // Each branch's sense: Some(true) taken on ROCm builds, Some(false) taken elsewhere.
        let mut senses: Vec<Option<bool>> = Vec::with_capacity(chain.len());
        for b in chain {
            let rocm_idents: Vec<(&String, bool)> = b
                .idents
                .iter()
                .zip(b.negated.iter().copied())
                .filter(|(i, _)| is_rocm(i))
                .collect();
            // `#if __CUDA_ARCH__ >= 900`: only NVIDIA's device compilation takes it (HIP does not
            // define the macro), so a later `#else`/`#elif` is the path HIP compiles.
            let cuda_arch_only = !b.is_else
                && b.compares_version
                && b.idents
                    .iter()
                    .zip(b.negated.iter())
                    .any(|(i, negated)| !negated && is_cuda_arch(i))
                && b.idents.iter().all(|i| is_cuda_arch(i) || !is_rocm(i));
            let sense = if !rocm_idents.is_empty() {
                seen.extend(rocm_idents.iter().map(|(i, _)| (*i).clone()));
                // Taken on ROCm builds unless every ROCm macro is negated
                // (`#if !defined(GGML_USE_HIP) && !defined(GGML_USE_MUSA)` is the CUDA-only side).
                Some(rocm_idents.iter().any(|(_, negated)| !negated))
            } else if cuda_arch_only || senses.contains(&Some(true)) {
                Some(false)
            } else if b.is_else && senses.contains(&Some(false)) {
                Some(true)
            } else {
                None
            };
            senses.push(sense);
        }
        // The branch ROCm takes must hold an implementation: an `#else` that only reports
        // "this kernel only supports sm90" is no ROCm path.
        let Some(rocm_branch) = senses
            .iter()
            .zip(chain)
            .position(|(s, b)| *s == Some(true) && !b.stub)
        else {
            continue;
        };
        // The finding sits in the ROCm branch or in a sibling of it: either way the code has a
        // ROCm path (`at` is a branch of this chain).
        debug_assert!(at < chain.len());
        let b = &chain[rocm_branch];
        let directive = if b.is_else {
            "#else".to_string()
        } else {
            format!("#if {}", b.idents.join(" "))
        };
        return Some(format!("ROCm branch `{directive}` at line {}", b.start));
    }
    None
}

mod cache_codec {
    //! The per-file port data in the result cache ([`crate::cache`]).
    use super::{BranchLines, BuildCall, FilePorts, IncludeSwitch, RegionLines, Shim};
    use crate::codec::{codec_enum, codec_struct};
    use crate::lang::ShimForm;

    const FORMS: [ShimForm; 4] = [
        ShimForm::Define,
        ShimForm::Alias,
        ShimForm::Typedef,
        ShimForm::Wrapper,
    ];

    codec_enum! { ShimForm => FORMS }

    codec_struct!(BranchLines {
        start,
        end,
        idents,
        negated,
        is_else,
        stub,
        compares_version
    });
    codec_struct!(Shim {
        cuda,
        hip,
        path,
        line,
        form
    });
    codec_struct!(IncludeSwitch {
        include,
        idents,
        negated,
        path,
        line
    });
    codec_struct!(RegionLines {
        first,
        last,
        line,
        condition
    });
    codec_struct!(BuildCall {
        kind,
        hipified,
        sources,
        line
    });
    codec_struct!(FilePorts {
        chains,
        shims,
        switches,
        includes,
        device_paths,
        builds,
        build_sources,
        rocm_build,
        rocm_regions
    });
}

#[cfg(test)]
mod stub_tests {
    use super::*;

    #[test]
    fn stubs_are_empty_or_stop_with_an_error() {
        assert!(is_stub(""));
        assert!(is_stub("  // nothing here\n"));
        assert!(is_stub(
            "    if (cute::thread0()) {\n        CUTE_INVALID_CONTROL_PATH(\"This kernel only supports sm90\");\n    }\n"
        ));
        assert!(is_stub("  __trap();\n"));
        assert!(!is_stub("    return exp2f(x);\n"));
        assert!(is_stub("  return 0;\n"));
        assert!(is_stub("  return {0, 0, 0};\n"));
        assert!(is_stub(
            "  asm volatile(\"st.global.cg.u32 [%0], %1;\" :: \"l\"(p), \"r\"(v));\n"
        ));
        assert!(compares_version("#if __CUDA_ARCH__ >= 900"));
        assert!(compares_version(
            "#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ == 1200)"
        ));
        assert!(compares_version("#if 800 <= __CUDA_ARCH__"));
        assert!(!compares_version("#ifdef __CUDA_ARCH__"));
        assert!(!compares_version(
            "#if defined(__CUDA_ARCH__) // >= 900 below"
        ));
        assert!(!is_stub(
            "  float a = x;\n  float b = a * 2;\n  float c = b + 1;\n  float d = c;\n  float e = d;\n  assert(e > 0);\n  return e;\n"
        ));
        assert_eq!(strip_comments("a /* b */ c // d\ne"), "a  c \ne");
    }
}
