//! Whose code a finding is in. A scan sees a whole tree, but only part of it is the project's own
//! coupling to CUDA:
//!
//! - uses of the project's own packages, crates, modules and images are not coupling: a library
//!   scanned as itself is not coupled to itself ([`identity`]);
//! - vendored third-party code is reported as vendored dependencies, one entry per library, not
//!   mixed into the project's findings nor counted in its scores unless asked ([`layout`]);
//! - HIP sources are not CUDA: they are evidence of an existing ROCm port ([`hip`]);
//! - `.cuda()` and `device="cuda"` are PyTorch's only where the file reaches PyTorch
//!   ([`receivers`]).

pub mod hip;
pub mod identity;
pub mod layout;
pub mod receivers;

pub use identity::Identity;
pub use layout::{Layout, VendorUnit};

use std::collections::BTreeMap;

/// What the scan learnt about whose code it read, for the reports.
#[derive(Debug, Default)]
pub struct ProjectReport {
    /// The project's own names (packages, crates, modules, images), as found, sorted.
    pub names: Vec<String>,
    /// Findings dropped because they use the project's own packages, crates, modules or images.
    pub own_uses: usize,
    /// C-family files of the project's own that name its own CUDA library and no other rule's
    /// needle (see [`crate::prefilter::Prefilter::own_only`]): their uses are in no count.
    pub own_only_files: usize,
    /// Vendored libraries with findings, sorted by path.
    pub vendored: Vec<VendoredLibrary>,
    /// Whether vendored findings are counted with the project's own (`--include-vendored`).
    pub vendored_included: bool,
    /// C-family files recognised as HIP (and `.hip` files), whose findings are not CUDA.
    pub hip_files: usize,
    /// Source files of languages not analysed, by language name.
    pub not_analysed: BTreeMap<&'static str, usize>,
    /// Method-style findings not attributed to a framework the file does not reach.
    pub unattributed: usize,
}

/// One vendored library: where it is and the CUDA names it exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendoredLibrary {
    pub name: String,
    pub path: String,
    /// How the directory was recognised as vendored (`vendor directory`, `git submodule`, …).
    pub reason: &'static str,
    pub findings: usize,
    pub files: usize,
    /// Findings per CUDA library, sorted by name.
    pub by_library: BTreeMap<String, usize>,
    /// The distinct CUDA names it uses, most frequent first (at most [`MAX_VENDORED_NAMES`]).
    pub names: Vec<(String, usize)>,
}

/// How many of a vendored library's CUDA names are listed.
pub const MAX_VENDORED_NAMES: usize = 20;

/// One CUDA use in vendored code.
pub struct VendoredUse<'a> {
    pub unit: &'a VendorUnit,
    pub path: &'a str,
    pub library: &'a str,
    pub symbol: &'a str,
}

/// Groups the uses in vendored units into one entry per unit.
pub fn vendored_libraries(uses: &[VendoredUse]) -> Vec<VendoredLibrary> {
    let mut by_unit: BTreeMap<&str, Vec<&VendoredUse>> = BTreeMap::new();
    for item in uses {
        by_unit
            .entry(item.unit.path.as_str())
            .or_default()
            .push(item);
    }
    by_unit
        .into_values()
        .map(|items| {
            let unit = items[0].unit;
            let mut by_library: BTreeMap<String, usize> = BTreeMap::new();
            let mut names: BTreeMap<&str, usize> = BTreeMap::new();
            let mut files = std::collections::BTreeSet::new();
            for u in &items {
                *by_library.entry(u.library.to_string()).or_default() += 1;
                *names.entry(u.symbol).or_default() += 1;
                files.insert(u.path);
            }
            let mut names: Vec<(String, usize)> =
                names.into_iter().map(|(n, c)| (n.to_string(), c)).collect();
            names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            names.truncate(MAX_VENDORED_NAMES);
            VendoredLibrary {
                name: unit.name.clone(),
                path: unit.path.clone(),
                reason: unit.reason,
                findings: items.len(),
                files: files.len(),
                by_library,
                names,
            }
        })
        .collect()
}
