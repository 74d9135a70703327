//! `RawRule`: the serde mirror of a rule file in `rules/`. Nothing here is validated beyond what
//! serde checks (field names, enum values); [`super::load`] turns it into a compiled [`super::Rule`].

use crate::lang::Lang;
use crate::portability::Effort;
use crate::rule::{Category, Level};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A whole rule file: one or more `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "kebab-case")]
pub struct RawRuleFile {
    #[serde(default)]
    pub rule: Vec<RawRule>,
    /// What marks portability work a code base has already done (docs/existing-ports.md).
    pub existing_ports: Option<RawExistingPorts>,
    /// Judgements newer than the data a rule was generated from (the 2024 HIPIFY tables): kept
    /// beside it, applied to that rule's names after every file is loaded.
    #[serde(default)]
    pub knowledge: Vec<RawKnowledge>,
}

/// `[[knowledge]]`: per-name judgements for names of an existing rule (patched when the rule has
/// the name, added to it when it matches the name only by pattern or not at all).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKnowledge {
    /// The rule the names belong to.
    pub rule: Spanned<String>,
    pub names: Vec<Spanned<String>>,
    /// Where the knowledge comes from; appended to the rule's help with the names.
    pub source: String,
    pub rocm: Option<RawPortPatch>,
    pub neuron: Option<RawPortPatch>,
    pub tpu: Option<RawPortPatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawExistingPorts {
    /// Globs over preprocessor macro names that select a ROCm/HIP build (`USE_ROCM`, `__HIP*`).
    #[serde(default)]
    pub rocm_macros: Vec<Spanned<String>>,
    /// Prefixes of HIP/ROCm names (`hip`, `rocblas_`): a `#define cudaX hipX` is a shim entry.
    #[serde(default)]
    pub hip_prefixes: Vec<String>,
    /// Macros only NVIDIA's device compilation defines (`__CUDA_ARCH__`): HIP does not, so the
    /// `#else` (or a later `#elif`) of a branch on them is the path HIP compiles.
    #[serde(default)]
    pub cuda_arch_macros: Vec<String>,
    /// Python device paths besides CUDA: a file that uses them already runs on those targets.
    #[serde(default)]
    pub python: Vec<RawDevicePath>,
    /// Builds that translate CUDA sources at build time (`torch.utils.cpp_extension` hipifies
    /// extensions on ROCm builds of PyTorch).
    #[serde(default)]
    pub build: Vec<RawBuildTranslation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawBuildTranslation {
    /// Resolved Python names starting with this prefix show the build (`torch.utils.cpp_extension.CUDAExtension`).
    pub prefix: String,
    pub what: String,
}

/// A non-CUDA device path in Python code (`torch_xla` → TPU and Neuron).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawDevicePath {
    /// Resolved dotted names starting with this prefix are evidence (`torch_xla`, `torch.version.hip`).
    pub prefix: String,
    pub targets: Vec<crate::portability::Target>,
    /// What the evidence is, for the note.
    pub what: String,
    /// The libraries whose findings in the same file the path covers (`pytorch`).
    pub libraries: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRule {
    pub id: Spanned<String>,
    pub title: String,
    pub category: Category,
    pub library: String,
    /// Languages the rule applies to; empty means every language its matchers understand.
    #[serde(default)]
    pub languages: Vec<Lang>,
    pub help: String,
    /// Message template; `{symbol}` is replaced by the symbol as written.
    pub message: Option<String>,
    #[serde(default)]
    pub level: Level,
    /// Among pattern matches for one identifier, the highest priority wins.
    #[serde(default)]
    pub priority: i32,
    /// Drop this rule's findings when the scanned tree defines the name (or the namespace root)
    /// itself, as pattern matches always are.
    #[serde(default)]
    pub weak: bool,
    #[serde(rename = "match")]
    pub matcher: RawMatch,
    pub portability: RawPortability,
    /// Per-symbol data: each key is also an exact name the rule matches.
    #[serde(default)]
    pub symbols: BTreeMap<Spanned<String>, RawSymbol>,
    #[serde(default)]
    pub examples: RawExamples,
    /// For method-style symbols (`.cuda()`, `.to(cuda)`, `device=cuda`): the framework they
    /// belong to only when the file reaches it.
    pub receiver: Option<RawReceiver>,
}

/// `[rule.receiver]`: a method-style finding (a symbol that starts with `.` or is a keyword
/// argument) is this rule's only when the file imports one of `frameworks`, directly or through
/// the scanned tree's own modules; otherwise it is the `otherwise` rule's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReceiver {
    /// Top-level modules that reach the framework (`torch`, and libraries built on it).
    pub frameworks: Vec<String>,
    /// The id of the rule the finding belongs to when the file reaches none of them.
    pub otherwise: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawMatch {
    /// Exact tokens: identifiers, type names, macros, qualifiers, builtin variables, intrinsics.
    #[serde(default)]
    pub names: Vec<Spanned<String>>,
    /// Glob patterns over identifiers (`cublas*`, `cu[A-Z]*`): a name family.
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    /// Glob patterns over `#include` paths (`cuda_runtime.h`, `thrust/**`).
    #[serde(default)]
    pub includes: Vec<Spanned<String>>,
    /// Namespace paths (`thrust`, `nvcuda::wmma`): any qualified name inside them.
    #[serde(default)]
    pub namespaces: Vec<Spanned<String>>,
    /// Kernel launches with `<<<…>>>`.
    #[serde(default)]
    pub launch: bool,
    /// Inline assembly in device code (PTX).
    #[serde(default)]
    pub inline_asm: bool,
    /// Matches nothing by itself: the rule receives the findings other rules hand over
    /// (`[rule.receiver] otherwise`). Exclusive with every other matcher.
    #[serde(default)]
    pub fallback: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPortability {
    pub rocm: RawPort,
    pub neuron: RawPort,
    pub tpu: RawPort,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPort {
    pub effort: Effort,
    pub replacement: Option<String>,
    pub note: Option<String>,
}

/// A partial [`RawPort`] that overrides the rule's judgement for one symbol.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPortPatch {
    pub effort: Option<Effort>,
    pub replacement: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSymbol {
    /// function, device_function, type, enum, define, ... (informational).
    pub kind: Option<String>,
    /// The API section the name belongs to (informational).
    pub section: Option<String>,
    /// CUDA version that deprecated the name.
    pub deprecated: Option<String>,
    /// CUDA version that removed the name.
    pub removed: Option<String>,
    /// Drop findings of this name when the scanned tree defines it (a plain word such as
    /// `saturate` that a project may define for itself).
    #[serde(default)]
    pub weak: bool,
    pub rocm: Option<RawPortPatch>,
    pub neuron: Option<RawPortPatch>,
    pub tpu: Option<RawPortPatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawExamples {
    /// Snippets in which the rule must fire.
    #[serde(default, rename = "match")]
    pub should_match: Vec<String>,
    /// Snippets in which the rule must stay quiet.
    #[serde(default, rename = "no-match")]
    pub should_not_match: Vec<String>,
    /// The language the examples are written in (default: the rule's first language).
    pub language: Option<Lang>,
}
