//! Shims and the include closure: the tree's shim table (first definition of a CUDA name wins),
//! the macros that select a shim, and which files a shim is compiled into.

use super::tree::ShimFile;
use super::{FilePorts, Shim};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The tree's shims by CUDA name, first definition of a name wins (files and lines are in order).
pub(super) fn shim_table(files: &BTreeMap<String, FilePorts>) -> BTreeMap<&str, &Shim> {
    let mut shims: BTreeMap<&str, &Shim> = BTreeMap::new();
    for file in files.values() {
        for s in &file.shims {
            shims.entry(s.cuda.as_str()).or_insert(s);
        }
    }
    shims
}

/// The shim files for the report, and the project's ROCm macros: a conditional include of a
/// shim makes its macros ROCm switches.
pub(super) fn describe_shims(
    files: &BTreeMap<String, FilePorts>,
    shims: &BTreeMap<&str, &Shim>,
    shim_paths: &BTreeSet<&str>,
) -> (HashSet<String>, Vec<ShimFile>) {
    let mut project_macros: HashSet<String> = HashSet::new();
    let mut shim_files: Vec<ShimFile> = Vec::new();
    for path in shim_paths {
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
    (project_macros, shim_files)
}

/// Per file reaching any shim, the shim it is compiled as HIP through: the first one (in path
/// order).
pub(super) fn through_shim<'a>(
    reach_of: &BTreeMap<&'a str, BTreeSet<&'a str>>,
) -> BTreeMap<&'a str, &'a str> {
    let mut through_shim: BTreeMap<&str, &str> = BTreeMap::new();
    for (&shim, reached) in reach_of {
        for &path in reached {
            through_shim.entry(path).or_insert(shim);
        }
    }
    through_shim
}

/// Whether an `#include` path names the file at `path`: by suffix, relative prefixes dropped
/// (`"../../cupy_blas.h"` names `cupy_backends/cupy_blas.h` from two levels down).
pub(super) fn include_names(include: &str, path: &str) -> bool {
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
