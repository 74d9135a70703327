//! Vendored directories: third-party code copied into the tree. Recognised by the directory
//! names projects use for it (`vendor/`, `third_party/`, `3rdparty/`, `extern/`, `external/`,
//! …), by git submodules (`.gitmodules`), by Go's `vendor/modules.txt`, and by the
//! configuration's `vendored` globs. Each vendored file belongs to one **unit** — the library it
//! is part of (`vendor/github.com/NVIDIA/go-nvml`, `third_party/cutlass`) — which is what the
//! report lists.

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::Path;

/// Directory names that hold third-party code.
pub const VENDOR_DIRS: &[&str] = &[
    "vendor",
    "vendored",
    "third_party",
    "third-party",
    "thirdparty",
    "3rdparty",
    "3rd_party",
    "3rd-party",
];

/// Directory names that hold third-party libraries in subdirectories, but that projects also use
/// for their own code (`extern/`, a Go package `dependencies/`): a file directly inside is not
/// vendored, one in a subdirectory is.
pub const AMBIGUOUS_VENDOR_DIRS: &[&str] = &["extern", "external", "externals", "dependencies"];

/// What the layout of the scanned tree says about vendored code.
#[derive(Debug, Default)]
pub struct Layout {
    /// Submodule paths from `.gitmodules`, relative to the root, without trailing slash.
    submodules: Vec<String>,
    /// Module paths listed in Go's `vendor/modules.txt`, longest first.
    go_modules: Vec<String>,
    /// The configuration's `vendored` globs.
    configured: Option<GlobSet>,
    /// The bytes read (`.gitmodules`, `vendor/modules.txt`): what the layout depends on
    /// besides paths, for the tree digest.
    source: Vec<u8>,
}

/// The vendored library a file belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorUnit {
    pub name: String,
    /// The unit's directory (or file), relative to the root.
    pub path: String,
    pub reason: &'static str,
}

impl Layout {
    /// Reads `.gitmodules` and `vendor/modules.txt` at `root` (missing files are no error;
    /// unreadable ones count as missing) and compiles `configured` globs.
    pub fn read(root: &Path, configured: &[String]) -> Result<Layout, String> {
        let mut source = Vec::new();
        let mut read = |name: &str| -> String {
            let bytes = std::fs::read(root.join(name)).unwrap_or_default();
            source.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            source.extend_from_slice(&bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let submodules = submodule_paths(&read(".gitmodules"));
        let mut go_modules = go_vendor_modules(&read("vendor/modules.txt"));
        go_modules.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        let configured = if configured.is_empty() {
            None
        } else {
            let mut builder = GlobSetBuilder::new();
            for g in configured {
                let glob =
                    Glob::new(g).map_err(|e| format!("invalid `vendored` glob `{g}`: {e}"))?;
                builder.add(glob);
                source.extend_from_slice(g.as_bytes());
                source.push(0);
            }
            Some(builder.build().map_err(|e| e.to_string())?)
        };
        Ok(Layout {
            submodules,
            go_modules,
            configured,
            source,
        })
    }

    /// What the layout was read from, for the tree digest.
    pub fn source(&self) -> &[u8] {
        &self.source
    }

    /// The vendored unit `rel` (a path relative to the root, forward slashes) belongs to.
    pub fn vendored(&self, rel: &str) -> Option<VendorUnit> {
        if let Some(sub) = self.submodules.iter().find(|s| {
            rel.strip_prefix(s.as_str())
                .is_some_and(|r| r.starts_with('/'))
        }) {
            return Some(VendorUnit {
                name: last_segment(sub).to_string(),
                path: sub.clone(),
                reason: "git submodule",
            });
        }
        let parts: Vec<&str> = rel.split('/').collect();
        // Directories only: the file name itself is never a vendor directory.
        let dirs = &parts[..parts.len().saturating_sub(1)];
        // Names that projects also give their own packages (a Go package `internal/dependencies`)
        // hold vendored libraries only as subdirectories, never as files of their own.
        if let Some(i) = dirs
            .iter()
            .position(|d| VENDOR_DIRS.contains(d) || AMBIGUOUS_VENDOR_DIRS.contains(d))
        {
            let ambiguous = AMBIGUOUS_VENDOR_DIRS.contains(&parts[i]);
            if !ambiguous || parts.len() > i + 2 {
                return Some(self.unit_under(&parts, i));
            }
        }
        if let Some(set) = &self.configured {
            // The longest directory prefix the configuration names is the unit.
            for end in (1..parts.len()).rev() {
                let dir = parts[..end].join("/");
                if set.is_match(&dir) {
                    return Some(VendorUnit {
                        name: parts[end - 1].to_string(),
                        path: dir,
                        reason: "configured",
                    });
                }
            }
            if set.is_match(rel) {
                return Some(VendorUnit {
                    name: file_stem(parts[parts.len() - 1]).to_string(),
                    path: rel.to_string(),
                    reason: "configured",
                });
            }
        }
        None
    }

    /// The unit of a file under the vendor directory `parts[i]`.
    fn unit_under(&self, parts: &[&str], i: usize) -> VendorUnit {
        let prefix = parts[..=i].join("/");
        let rest = &parts[i + 1..];
        // Go: `vendor/<module path>/…`, the module from modules.txt (top-level vendor only) or,
        // without it, `host/owner/repo` when the first segment is a host name.
        if parts[i] == "vendor" && rest.len() > 1 {
            let tail = rest.join("/");
            if i == 0 {
                if let Some(m) = self.go_modules.iter().find(|m| {
                    tail.strip_prefix(m.as_str())
                        .is_some_and(|r| r.starts_with('/'))
                }) {
                    return VendorUnit {
                        name: m.clone(),
                        path: format!("{prefix}/{m}"),
                        reason: "Go vendor directory (vendor/modules.txt)",
                    };
                }
            }
            if rest[0].contains('.') && rest.len() > 3 {
                let module = rest[..3].join("/");
                return VendorUnit {
                    name: module.clone(),
                    path: format!("{prefix}/{module}"),
                    reason: "vendor directory",
                };
            }
        }
        if rest.len() > 1 {
            VendorUnit {
                name: rest[0].to_string(),
                path: format!("{prefix}/{}", rest[0]),
                reason: "vendor directory",
            }
        } else {
            let file = rest.first().copied().unwrap_or_default();
            VendorUnit {
                name: file_stem(file).to_string(),
                path: format!("{prefix}/{file}"),
                reason: "vendor directory",
            }
        }
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn file_stem(name: &str) -> &str {
    name.split_once('.').map_or(name, |(stem, _)| stem)
}

/// `path = …` of every `[submodule "…"]` section of a `.gitmodules` file (git-config syntax:
/// sections, `key = value`, `#`/`;` comments, optionally quoted values).
fn submodule_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut in_submodule = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_submodule = line
                .trim_start_matches('[')
                .trim_start()
                .starts_with("submodule");
            continue;
        }
        if !in_submodule || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "path" {
            continue;
        }
        let value = value.trim().trim_matches('"').trim_end_matches('/');
        let value = value.trim_start_matches("./");
        if !value.is_empty() && !value.starts_with('/') && !value.split('/').any(|s| s == "..") {
            paths.push(value.to_string());
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

/// The modules of a Go `vendor/modules.txt`: lines `# module/path version` (and replaced modules
/// `# old => new version`, listed under the old path, which is where `vendor/` puts them).
fn go_vendor_modules(text: &str) -> Vec<String> {
    let mut modules: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|m| !m.is_empty() && !m.starts_with('#'))
        .map(str::to_string)
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(submodules: &[&str], go: &[&str]) -> Layout {
        Layout {
            submodules: submodules.iter().map(|s| s.to_string()).collect(),
            go_modules: go.iter().map(|s| s.to_string()).collect(),
            ..Layout::default()
        }
    }

    #[test]
    fn vendor_directories_give_one_unit_per_library() {
        let l = layout(&[], &[]);
        let u = l
            .vendored("third_party/cutlass/include/cute/tensor.hpp")
            .unwrap();
        assert_eq!(
            (u.name.as_str(), u.path.as_str()),
            ("cutlass", "third_party/cutlass")
        );
        let u = l.vendored("src/3rdparty/json.hpp").unwrap();
        assert_eq!(
            (u.name.as_str(), u.path.as_str()),
            ("json", "src/3rdparty/json.hpp")
        );
        assert!(l.vendored("src/vendor.cpp").is_none());
        assert!(l.vendored("vendor").is_none());
        assert!(l.vendored("src/kernels/gemm.cu").is_none());
        assert!(
            l.vendored("internal/dependencies/dependencies.go")
                .is_none()
        );
        let u = l.vendored("dependencies/optix/optix.h").unwrap();
        assert_eq!(u.path, "dependencies/optix");
    }

    #[test]
    fn go_vendor_units_are_modules() {
        let l = layout(
            &[],
            &["github.com/NVIDIA/go-nvml", "github.com/NVIDIA/go-nvlib"],
        );
        let u = l
            .vendored("vendor/github.com/NVIDIA/go-nvml/pkg/nvml/nvml.h")
            .unwrap();
        assert_eq!(u.name, "github.com/NVIDIA/go-nvml");
        assert_eq!(u.path, "vendor/github.com/NVIDIA/go-nvml");
        // Without modules.txt: host/owner/repo.
        let u = layout(&[], &[])
            .vendored("vendor/github.com/NVIDIA/go-nvml/pkg/nvml/nvml.h")
            .unwrap();
        assert_eq!(u.path, "vendor/github.com/NVIDIA/go-nvml");
    }

    #[test]
    fn submodules_are_units() {
        let l = layout(&["modules/cutlass"], &[]);
        let u = l
            .vendored("modules/cutlass/include/cutlass/gemm.h")
            .unwrap();
        assert_eq!((u.name.as_str(), u.reason), ("cutlass", "git submodule"));
        assert!(l.vendored("modules/cutlass2/x.h").is_none());
    }

    #[test]
    fn gitmodules_and_modules_txt_are_parsed() {
        let text = "[submodule \"cutlass\"]\n\tpath = third_party/cutlass\n\turl = https://example.invalid/c.git\n# c\n[core]\n\tpath = nope\n[submodule \"x\"]\n path = \"deps/x/\"\n path = ../escape\n";
        assert_eq!(submodule_paths(text), ["deps/x", "third_party/cutlass"]);
        let mods = "# github.com/NVIDIA/go-nvml v0.12.0-1\n## explicit; go 1.20\ngithub.com/NVIDIA/go-nvml/pkg/nvml\n# k8s.io/api v0.29.0\n";
        assert_eq!(
            go_vendor_modules(mods),
            ["github.com/NVIDIA/go-nvml", "k8s.io/api"]
        );
    }
}
