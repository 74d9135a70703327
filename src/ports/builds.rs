//! Build translation: the files a ROCm build of the project hipifies (the sources of its PyTorch
//! extension builds and the headers they include), with the builds that do it.

use super::FilePorts;
use super::shims::include_names;
use super::tree::RocmBuild;
use std::collections::BTreeMap;

/// The files a ROCm build of the project hipifies, with the evidence (file → what), and the
/// builds. A build counts only when a Python file in its directory or an enclosing one provides
/// for a ROCm build (a setup.py that asserts `CUDA_HOME` and passes `-gencode` flags builds for
/// NVIDIA alone); its sources are resolved against the script's directory, then its enclosing
/// directories (op builders name sources from the package root), and globs are matched against
/// the tree's files. The headers those sources include, transitively within the tree, are
/// compiled the same way.
pub(super) fn hipified_files(
    files: &BTreeMap<String, FilePorts>,
) -> (BTreeMap<&str, String>, Vec<RocmBuild>) {
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
