//! Compiled rules and the [`RuleSet`] index the matcher consults.
//!
//! Rules live as TOML data in `rules/` (embedded at build time) and in user directories given with
//! `--rules`. [`load`] validates each [`raw::RawRule`] into a [`Rule`] and indexes every matcher
//! (exact names, name patterns, include globs, namespaces, launches, inline assembly) so that one
//! lookup per token decides which rule, if any, a token belongs to.

mod compiled;
pub mod load;
pub mod raw;

use crate::hash::FastMap;
use crate::lang::Lang;
use crate::portability::{Portability, Target};
use globset::GlobSet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// What kind of CUDA coupling a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Kernel,
    DeviceIntrinsic,
    InlinePtx,
    RuntimeApi,
    DriverApi,
    Library,
    Include,
    Framework,
    Build,
    Dependency,
    Container,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::Kernel,
        Category::DeviceIntrinsic,
        Category::InlinePtx,
        Category::RuntimeApi,
        Category::DriverApi,
        Category::Library,
        Category::Include,
        Category::Framework,
        Category::Build,
        Category::Dependency,
        Category::Container,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Kernel => "kernel",
            Category::DeviceIntrinsic => "device-intrinsic",
            Category::InlinePtx => "inline-ptx",
            Category::RuntimeApi => "runtime-api",
            Category::DriverApi => "driver-api",
            Category::Library => "library",
            Category::Include => "include",
            Category::Framework => "framework",
            Category::Build => "build",
            Category::Dependency => "dependency",
            Category::Container => "container",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How loudly a finding is reported (SARIF `level`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    #[default]
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Index of a rule inside its [`RuleSet`].
pub type RuleIdx = usize;

/// A validated rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub library: String,
    pub languages: Vec<Lang>,
    pub help: String,
    pub message: Option<String>,
    pub level: Level,
    pub priority: i32,
    /// Findings are dropped when the scanned tree defines the matched name or namespace root.
    pub weak: bool,
    /// Shared with every finding of the rule (a large tree has hundreds of thousands).
    pub portability: Arc<Portability>,
    pub matchers: MatcherSummary,
    pub examples: Examples,
    /// Where the rule came from: `builtin:<file>` or a user file path.
    pub origin: String,
    /// Method-style findings belong to this rule only when the file reaches a framework.
    pub receiver: Option<Receiver>,
}

/// See [`raw::RawReceiver`].
#[derive(Debug, Clone)]
pub struct Receiver {
    pub frameworks: Vec<String>,
    pub otherwise: String,
}

impl Rule {
    pub fn applies_to(&self, lang: Lang) -> bool {
        self.languages.contains(&lang)
    }

    /// The finding message for one symbol.
    pub fn message_for(&self, symbol: &str) -> String {
        match &self.message {
            Some(template) => template.replace("{symbol}", symbol),
            None => format!("`{symbol}`: {}", self.title),
        }
    }
}

/// What a rule matches, kept for `cuda-audit rules` and the docs.
#[derive(Debug, Default, Serialize)]
pub struct MatcherSummary {
    pub names: usize,
    pub patterns: Vec<String>,
    pub includes: Vec<String>,
    pub namespaces: Vec<String>,
    pub launch: bool,
    pub inline_asm: bool,
}

#[derive(Debug, Default)]
pub struct Examples {
    pub should_match: Vec<String>,
    pub should_not_match: Vec<String>,
    pub language: Option<Lang>,
}

/// Per-symbol data: which rule a name belongs to, and what it knows about that name.
#[derive(Debug)]
pub struct Symbol {
    pub name: String,
    pub rule: RuleIdx,
    /// The judgement for this symbol when it differs from its rule's.
    pub portability: Option<Arc<Portability>>,
    pub kind: Option<String>,
    pub section: Option<String>,
    pub deprecated: Option<String>,
    pub removed: Option<String>,
    /// Findings are dropped when the scanned tree defines this name.
    pub weak: bool,
}

/// A glob-based matcher: the compiled set and, per glob, its rule and the literal it starts with.
#[derive(Debug, Default)]
pub(crate) struct GlobIndex {
    set: GlobSet,
    entries: Vec<GlobEntry>,
    /// The entries' literal prefixes by length, so that a text no glob can match (most names a
    /// file holds) is turned away with a few hash lookups instead of a comparison per glob.
    /// `None` when some glob starts with a metacharacter: every text is then a candidate.
    prefixes: Option<Vec<PrefixesOfLength>>,
}

/// A length and the glob prefixes of that length.
type PrefixesOfLength = (usize, crate::hash::FastSet<Box<[u8]>>);

impl GlobIndex {
    pub(crate) fn new(set: GlobSet, entries: Vec<GlobEntry>) -> GlobIndex {
        let every_text_a_candidate = entries.iter().any(|e| e.literal_prefix.is_empty());
        let prefixes = (!every_text_a_candidate).then(|| {
            let mut by_length: std::collections::BTreeMap<usize, crate::hash::FastSet<Box<[u8]>>> =
                std::collections::BTreeMap::new();
            for e in &entries {
                let prefix = e.literal_prefix.as_bytes();
                by_length
                    .entry(prefix.len())
                    .or_default()
                    .insert(prefix.into());
            }
            by_length.into_iter().collect()
        });
        GlobIndex {
            set,
            entries,
            prefixes,
        }
    }

    /// Whether `text` starts with some glob's literal prefix (a glob may match it).
    fn may_match(&self, text: &str) -> bool {
        let Some(prefixes) = &self.prefixes else {
            return true;
        };
        let bytes = text.as_bytes();
        prefixes
            .iter()
            .take_while(|(len, _)| *len <= bytes.len())
            .any(|(len, set)| set.contains(&bytes[..*len]))
    }
}

#[derive(Debug)]
pub(crate) struct GlobEntry {
    rule: RuleIdx,
    pattern: String,
    /// The literal text before the first glob metacharacter: a cheap prefilter.
    literal_prefix: String,
}

/// A digest of the built-in rule files and of the user's (`(name, text)`, as
/// [`load::read_user_sources`] reads them), which is what the result cache keys on: results are
/// reused only with the same rules. Cheap next to building the set.
pub fn rules_identity(user_sources: &[(String, String)]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(load::builtin_digest());
    for (name, text) in user_sources {
        crate::hash::update_parts(&mut h, [name.as_bytes(), text.as_bytes()]);
    }
    h.finalize().into()
}

/// All rules, indexed for lookup by the matcher.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Rule id → index into `rules` (reports and existing ports look rules up per finding).
    by_id: FastMap<String, RuleIdx>,
    symbols: Vec<Symbol>,
    /// Exact name → symbol indices (one per language group that claims the name).
    names: FastMap<String, Vec<usize>>,
    patterns: GlobIndex,
    includes: GlobIndex,
    namespaces: FastMap<String, RuleIdx>,
    launch: Vec<RuleIdx>,
    inline_asm: Vec<RuleIdx>,
    /// What marks existing portability work (`[existing-ports]` in rule files).
    pub ports: PortsData,
    /// The user rule files (`--rules`) as read: name and text, for [`RuleSet::identity`].
    user_sources: Vec<(String, String)>,
}

/// What the matchers of a set of rules are made of ([`RuleSet::matcher_texts`]).
#[derive(Debug, Default)]
pub struct MatcherTexts<'a> {
    pub names: Vec<&'a str>,
    /// Globs matched against names.
    pub patterns: Vec<&'a str>,
    /// Globs matched against `#include` paths.
    pub includes: Vec<&'a str>,
    /// `::`-separated namespace paths.
    pub namespaces: Vec<&'a str>,
    pub launch: bool,
    pub inline_asm: bool,
}

/// Data for recognising portability layers a code base already has.
#[derive(Debug, Default)]
pub struct PortsData {
    /// Macro names that select a ROCm/HIP build.
    pub rocm_macros: GlobSet,
    /// Prefixes of HIP/ROCm identifiers.
    pub hip_prefixes: Vec<String>,
    /// Macros only NVIDIA's device compilation defines (`__CUDA_ARCH__`).
    pub cuda_arch_macros: Vec<String>,
    /// Python device paths besides CUDA.
    pub device_paths: Vec<DevicePath>,
    /// Builds that hipify CUDA sources: (name prefix, what it is).
    pub build_translations: Vec<(String, String)>,
}

/// A non-CUDA device path in Python code and what it covers.
#[derive(Debug, Clone)]
pub struct DevicePath {
    pub prefix: String,
    pub targets: Vec<crate::portability::Target>,
    pub what: String,
    pub libraries: Vec<String>,
}

impl PortsData {
    pub fn is_rocm_macro(&self, name: &str) -> bool {
        self.rocm_macros.is_match(name)
    }

    pub fn is_cuda_arch_macro(&self, name: &str) -> bool {
        self.cuda_arch_macros.iter().any(|m| m == name)
    }

    pub fn is_hip_name(&self, name: &str) -> bool {
        self.hip_prefixes
            .iter()
            .any(|p| name.starts_with(p.as_str()))
    }
}

impl RuleSet {
    /// A digest of every rule file the set was built from ([`rules_identity`]).
    pub fn identity(&self) -> [u8; 32] {
        rules_identity(&self.user_sources)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, idx: RuleIdx) -> &Rule {
        &self.rules[idx]
    }

    pub fn rule_index(&self, id: &str) -> Option<RuleIdx> {
        self.by_id.get(id).copied()
    }

    /// How many rules there are (rule indices run below this).
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn find_rule(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The rules of a library (`cudnn`, `cuBLAS`: compared without case), in rule order.
    pub fn library_rules(&self, library: &str) -> Vec<RuleIdx> {
        (0..self.rules.len())
            .filter(|&i| self.rules[i].library.eq_ignore_ascii_case(library))
            .collect()
    }

    /// The rules whose id starts with `prefix` (compared without case), in rule order.
    pub fn rules_with_prefix(&self, prefix: &str) -> Vec<RuleIdx> {
        let prefix = prefix.to_ascii_lowercase();
        (0..self.rules.len())
            .filter(|&i| self.rules[i].id.to_ascii_lowercase().starts_with(&prefix))
            .collect()
    }

    /// The symbol entry for an exact name, whatever the language.
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.names
            .get(name)
            .and_then(|slots| slots.first())
            .map(|&i| &self.symbols[i])
    }

    /// The symbol entry for an exact name, if its rule applies to `lang`.
    pub fn lookup_name(&self, name: &str, lang: Lang) -> Option<&Symbol> {
        // A name may be claimed by several rules for disjoint languages: take the one for `lang`.
        self.names.get(name).and_then(|slots| {
            slots
                .iter()
                .map(|&i| &self.symbols[i])
                .find(|s| self.rules[s.rule].applies_to(lang))
        })
    }

    /// The rule of the best-matching name pattern: highest priority, then longest pattern.
    pub fn lookup_pattern(&self, name: &str, lang: Lang) -> Option<RuleIdx> {
        self.best_glob(&self.patterns, name, lang)
    }

    pub fn lookup_include(&self, path: &str, lang: Lang) -> Option<RuleIdx> {
        self.best_glob(&self.includes, path, lang)
    }

    /// The rule whose namespace is the longest prefix of `segments`, with the number of
    /// segments it covers.
    pub fn lookup_namespace(&self, segments: &[&str], lang: Lang) -> Option<(RuleIdx, usize)> {
        let mut path = String::new();
        let mut best = None;
        for (i, seg) in segments.iter().enumerate() {
            if i > 0 {
                path.push_str("::");
            }
            path.push_str(seg);
            if let Some(&rule) = self.namespaces.get(&path) {
                if self.rules[rule].applies_to(lang) {
                    best = Some((rule, i + 1));
                }
            }
        }
        best
    }

    /// Whether some namespace rule starts with `segment` (used to resolve `using namespace`).
    pub fn is_namespace_root(&self, segment: &str) -> bool {
        self.namespaces.contains_key(segment)
    }

    pub fn launch_rule(&self, lang: Lang) -> Option<RuleIdx> {
        self.launch
            .iter()
            .copied()
            .find(|&r| self.rules[r].applies_to(lang))
    }

    pub fn inline_asm_rule(&self, lang: Lang) -> Option<RuleIdx> {
        self.inline_asm
            .iter()
            .copied()
            .find(|&r| self.rules[r].applies_to(lang))
    }

    /// The judgement for a symbol of a rule: the symbol's own, else the rule's.
    pub fn portability_of<'a>(
        &'a self,
        rule: RuleIdx,
        symbol: Option<&'a Symbol>,
    ) -> &'a Arc<Portability> {
        symbol
            .and_then(|s| s.portability.as_ref())
            .unwrap_or(&self.rules[rule].portability)
    }

    fn best_glob(&self, index: &GlobIndex, text: &str, lang: Lang) -> Option<RuleIdx> {
        if !index.may_match(text) {
            return None;
        }
        let mut best: Option<(i32, usize, RuleIdx)> = None;
        for i in index.set.matches(text) {
            let entry = &index.entries[i];
            let rule = &self.rules[entry.rule];
            if !rule.applies_to(lang) {
                continue;
            }
            let key = (rule.priority, entry.pattern.len(), entry.rule);
            if best.is_none_or(|b| (key.0, key.1) > (b.0, b.1)) {
                best = Some(key);
            }
        }
        best.map(|b| b.2)
    }

    /// The texts every matcher of the rules that apply to one of `langs` is built from (exact
    /// names, name patterns, include globs, namespaces, launch and inline-asm flags), for
    /// deriving byte-level prefilters ([`crate::prefilter`]).
    pub fn matcher_texts(&self, langs: &[Lang]) -> MatcherTexts<'_> {
        self.matcher_texts_of(langs, |_| true)
    }

    /// [`Self::matcher_texts`] of the rules `keep` selects.
    pub fn matcher_texts_of(
        &self,
        langs: &[Lang],
        keep: impl Fn(RuleIdx) -> bool,
    ) -> MatcherTexts<'_> {
        let applies =
            |rule: RuleIdx| keep(rule) && langs.iter().any(|&l| self.rules[rule].applies_to(l));
        fn globs<'a>(index: &'a GlobIndex, applies: &dyn Fn(RuleIdx) -> bool) -> Vec<&'a str> {
            let entries = index.entries.iter();
            entries
                .filter(|e| applies(e.rule))
                .map(|e| e.pattern.as_str())
                .collect()
        }
        MatcherTexts {
            names: self
                .names
                .iter()
                .filter(|(_, slots)| slots.iter().any(|&s| applies(self.symbols[s].rule)))
                .map(|(name, _)| name.as_str())
                .collect(),
            patterns: globs(&self.patterns, &applies),
            includes: globs(&self.includes, &applies),
            namespaces: self
                .namespaces
                .iter()
                .filter(|&(_, &rule)| applies(rule))
                .map(|(ns, _)| ns.as_str())
                .collect(),
            launch: self.launch.iter().any(|&r| applies(r)),
            inline_asm: self.inline_asm.iter().any(|&r| applies(r)),
        }
    }

    /// The rule ids and libraries of this set.
    pub fn names(&self) -> RuleNames<'_> {
        RuleNames::new(
            self.rules.iter().map(|r| r.id.as_str()),
            self.rules.iter().map(|r| r.library.as_str()),
        )
    }

    /// Targets a user asked for, in canonical order.
    pub fn targets_or_all(targets: &[Target]) -> Vec<Target> {
        if targets.is_empty() {
            Target::ALL.to_vec()
        } else {
            Target::ALL
                .iter()
                .copied()
                .filter(|t| targets.contains(t))
                .collect()
        }
    }
}

/// What a rule filter (`select`, `ignore`) can name besides a [`Category`]: rule ids and
/// libraries, each list sorted and without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleNames<'a> {
    pub ids: Vec<&'a str>,
    pub libraries: Vec<&'a str>,
}

impl<'a> RuleNames<'a> {
    fn new(
        ids: impl IntoIterator<Item = &'a str>,
        libraries: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let sorted = |names: &mut Vec<&'a str>| {
            names.sort_unstable();
            names.dedup();
        };
        let mut names = RuleNames {
            ids: ids.into_iter().collect(),
            libraries: libraries.into_iter().collect(),
        };
        sorted(&mut names.ids);
        sorted(&mut names.libraries);
        names
    }

    /// Whether `name` is a category, a rule id or a library.
    pub fn knows(&self, name: &str) -> bool {
        Category::ALL.iter().any(|c| c.as_str() == name)
            || self.ids.binary_search(&name).is_ok()
            || self.libraries.binary_search(&name).is_ok()
    }

    /// Every name a filter can use: the categories, the rule ids, the libraries.
    pub fn all(&self) -> impl Iterator<Item = &'a str> + '_ {
        Category::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(self.ids.iter().copied())
            .chain(self.libraries.iter().copied())
    }
}

impl RuleNames<'static> {
    /// The built-in rules' ids and libraries, read from the `id = "…"` and `library = "…"` lines
    /// of the embedded rule files instead of by loading the rules: a rule filter is checked before
    /// the rules are built (a replayed report never builds them), and this takes a fraction of a
    /// millisecond where [`RuleSet::builtin`] takes tens. A test holds the two to the same names.
    pub fn builtin() -> Self {
        let mut ids = Vec::new();
        let mut libraries = Vec::new();
        for (_, text) in load::builtin_files() {
            for line in text.lines() {
                let value = |key: &str| {
                    let rest = line.strip_prefix(key)?.strip_prefix(" = \"")?;
                    rest.split_once('"').map(|(value, _)| value)
                };
                if let Some(id) = value("id") {
                    ids.push(id);
                } else if let Some(library) = value("library") {
                    libraries.push(library);
                }
            }
        }
        RuleNames::new(ids, libraries)
    }
}

/// Rule selection by id, category or library: `select` (empty = everything) minus `ignore`.
#[derive(Clone, Debug, Default)]
pub struct RuleFilter {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl RuleFilter {
    pub fn allows(&self, rule_id: &str, category: Category, library: &str) -> bool {
        let hit = |list: &[String]| {
            list.iter()
                .any(|s| s == rule_id || s == category.as_str() || s == library)
        };
        (self.select.is_empty() || hit(&self.select)) && !hit(&self.ignore)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_names_are_those_of_the_loaded_rules() {
        let rules = RuleSet::builtin().unwrap();
        let names = RuleNames::builtin();
        assert_eq!(names, rules.names());
        assert!(names.ids.len() > 100 && names.libraries.len() > 20);
        assert!(names.knows("cudnn") && names.knows("inline-ptx") && names.knows("nvtx-api"));
        assert!(!names.knows("cudnnn"));
    }
}
