//! The per-file facts ([`FilePorts::of`]): what one file contributes to the existing ports. For
//! Python, the device paths, build translations, extension builds and ROCm-only regions; for
//! Cython, the headers it is compiled through; for C-family code, its conditionals, shim entries,
//! conditional includes and includes.

use super::guards::{compares_version, is_stub};
use super::{BranchLines, BuildCall, FilePorts, IncludeSwitch, RegionLines, Shim};
use crate::lang::{BuildKind, Extraction, FactKind, Lang, ShimForm};
use crate::rule::RuleSet;
use crate::source::LineIndex;

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
            return python_ports(extraction, rules, &line_of);
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
        let chains = chains_of(extraction, text, &line_of);
        let shims = shims_of(extraction, rules, rel, &line_of);
        let switches = switches_of(extraction, &chains, rel, &line_of);
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

/// What a Python file contributes: the device paths and build translations it reaches, its
/// extension builds, whether it provides for a ROCm build, and its ROCm-only regions.
fn python_ports(
    extraction: &Extraction,
    rules: &RuleSet,
    line_of: &dyn Fn(usize) -> usize,
) -> FilePorts {
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
    FilePorts {
        device_paths,
        builds,
        build_sources,
        rocm_build: extraction.rocm_build.map(line_of),
        rocm_regions,
        ..FilePorts::default()
    }
}

/// The file's conditional chains in lines, each branch marked as a stub or a version
/// comparison from its text.
fn chains_of(
    extraction: &Extraction,
    text: &str,
    line_of: &dyn Fn(usize) -> usize,
) -> Vec<Vec<BranchLines>> {
    extraction
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
        .collect()
}

/// The file's shim entries: CUDA names (known to the rules) mapped to a HIP name, or by a
/// `#define` in a file that is a shim (it includes a HIP header or defines a name as a HIP one).
fn shims_of(
    extraction: &Extraction,
    rules: &RuleSet,
    rel: &str,
    line_of: &dyn Fn(usize) -> usize,
) -> Vec<Shim> {
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
    extraction
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
        .collect()
}

/// The file's `#include`s inside a (non-`#else`) branch with macros, once per enclosing branch.
fn switches_of(
    extraction: &Extraction,
    chains: &[Vec<BranchLines>],
    rel: &str,
    line_of: &dyn Fn(usize) -> usize,
) -> Vec<IncludeSwitch> {
    let mut switches = Vec::new();
    for f in extraction
        .facts
        .iter()
        .filter(|f| f.kind == FactKind::Include)
    {
        let line = line_of(f.span.start);
        for chain in chains {
            for b in chain
                .iter()
                .filter(|b| !b.is_else && b.start < line && line < b.end && !b.idents.is_empty())
            {
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
    switches
}
