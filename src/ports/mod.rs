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
//!
//! The parts: the per-file facts ([`file`]), conditionals with a ROCm branch and stub branches
//! ([`guards`]), shims and the include closure ([`shims`]), builds that hipify sources
//! ([`builds`]), Python device paths ([`device_paths`]), the tree-wide pass and its report
//! ([`tree`]), and the cache encoding ([`cache_codec`]).

mod builds;
mod cache_codec;
mod device_paths;
mod file;
mod guards;
mod shims;
mod tree;

use crate::lang::ShimForm;
pub use shims::includers_of;
pub use tree::{Covers, ExistingPortsReport, RocmBuild, ShimFile, apply};

/// The files a ROCm build of the project compiles through PyTorch's hipify: its build scripts'
/// sources and the headers they include, transitively within the tree ([`builds`]).
pub fn hipified_paths(
    files: &std::collections::BTreeMap<String, FilePorts>,
) -> std::collections::BTreeSet<String> {
    builds::hipified_files(files)
        .0
        .into_keys()
        .map(str::to_string)
        .collect()
}

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
