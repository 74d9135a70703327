//! The project's identity: what the scanned tree *is*, learnt from its own manifests and layout
//! — Python distributions and top-level packages, Cargo packages (workspace members and path
//! crates alike), CMake `project()`s, the Go module. A finding that uses one of these names (CuPy's
//! `import cupy` inside CuPy, a workspace's own path crate, the image the project publishes
//! under its own name) is not coupling: the coupling of a library is what it uses beneath it.
//!
//! Names are compared normalised (lower case, letters and digits only), as package indexes do.

use crate::lang::node_names::NodeNames;
use crate::rule::{Category, Rule};
use std::collections::BTreeSet;
use std::path::Path;

/// Directories whose package subdirectories are top-level Python packages (besides the root).
const PYTHON_SOURCE_ROOTS: &[&str] = &["src", "python", "lib", "py"];

/// The project's own names.
#[derive(Debug, Default)]
pub struct Identity {
    /// Normalised names.
    names: BTreeSet<String>,
    /// The names as found, for the report.
    shown: BTreeSet<String>,
    /// Every path suffix (at a `/`) of the project's own C-family files: an `#include` that
    /// names one (`"cuda/cuda_utils.hpp"` for `include/LightGBM/cuda/cuda_utils.hpp`) is the
    /// project's own header, not a CUDA library's.
    headers: crate::hash::FastSet<String>,
}

/// Categories of core CUDA (kernels, intrinsics, PTX, runtime and driver API): never the
/// project's own, whatever the project is called.
fn is_core_cuda(category: Category) -> bool {
    matches!(
        category,
        Category::Kernel
            | Category::DeviceIntrinsic
            | Category::InlinePtx
            | Category::RuntimeApi
            | Category::DriverApi
    )
}

impl Identity {
    /// Learns the identity from the tree's own files: `files` are the paths (relative to
    /// `root`) and languages of the scanned files that are not vendored. Manifests that cannot be read or
    /// parsed contribute nothing (the scan itself reports them).
    pub fn learn<'a>(
        root: &Path,
        files: impl IntoIterator<Item = (&'a str, crate::lang::Lang)>,
    ) -> Identity {
        let mut id = Identity::default();
        let files: Vec<(&str, crate::lang::Lang)> = files.into_iter().collect();
        // The Python distributions' manifests and the names they declare. A package directory
        // is the project's own only beside one (or under its `src/`, `python/`, … directory),
        // so that a loose `triton/` folder of kernels does not make Triton the project. A
        // `pyproject.toml` or `setup.cfg` that declares no distribution (tool settings only, as
        // flash-attention's `flash_attn/pyproject.toml`) makes no directory a distribution's:
        // `flash_attn/cute/` is then the subpackage `flash_attn.cute`, not a package `cute`
        // that would make CuTe the project's own. A `setup.py` always builds one.
        let mut manifest_dirs: BTreeSet<&str> = BTreeSet::new();
        for &(rel, _) in &files {
            let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            let read = || std::fs::read(root.join(rel)).ok();
            let declared = match name {
                "pyproject.toml" => read()
                    .and_then(|b| String::from_utf8(b).ok())
                    .map(|text| pyproject_names(&text))
                    .unwrap_or_default(),
                "setup.cfg" => read()
                    .and_then(|text| setup_cfg_name(&String::from_utf8_lossy(&text)))
                    .into_iter()
                    .collect(),
                "setup.py" => {
                    manifest_dirs.insert(dir);
                    read()
                        .map(|text| setup_py_names(&String::from_utf8_lossy(&text)))
                        .unwrap_or_default()
                }
                _ => continue,
            };
            if !declared.is_empty() {
                manifest_dirs.insert(dir);
            }
            for n in &declared {
                id.add(n);
            }
        }
        for &(rel, lang) in &files {
            if lang.is_c_family() {
                let mut suffix = rel;
                loop {
                    id.headers.insert(suffix.to_string());
                    match suffix.split_once('/') {
                        Some((_, rest)) => suffix = rest,
                        None => break,
                    }
                }
            }
            let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            if matches!(name, "__init__.py" | "__init__.pyi" | "__init__.pxd") {
                let (parent, package) = dir.rsplit_once('/').unwrap_or(("", dir));
                let distribution_dir = if PYTHON_SOURCE_ROOTS.contains(&last(parent)) {
                    parent.rsplit_once('/').map_or("", |(p, _)| p)
                } else {
                    parent
                };
                if !package.is_empty()
                    && (manifest_dirs.contains(parent) || manifest_dirs.contains(distribution_dir))
                {
                    id.add(package);
                }
                continue;
            }
            let read = || std::fs::read(root.join(rel)).ok();
            match name {
                "Cargo.toml" => {
                    if let Some(text) = read().and_then(|b| String::from_utf8(b).ok()) {
                        for n in cargo_names(&text) {
                            id.add(&n);
                        }
                    }
                }
                "go.mod" => {
                    if let Some(text) = read() {
                        if let Some(module) = go_module(&String::from_utf8_lossy(&text)) {
                            id.add(last(&module));
                            id.shown.insert(module);
                        }
                    }
                }
                "meta.yaml" | "meta.yml" | "recipe.yaml" => {
                    if let Some(text) = read() {
                        if let Some(n) = conda_recipe_name(&String::from_utf8_lossy(&text)) {
                            id.add(&n);
                        }
                    }
                }
                "CMakeLists.txt" => {
                    if let Some(text) = read() {
                        for n in cmake_projects(&String::from_utf8_lossy(&text)) {
                            id.add(&n);
                        }
                    }
                }
                _ => {}
            }
        }
        id
    }

    fn add(&mut self, name: &str) {
        let n = normalise(name);
        // A name of one or two characters says nothing about a finding.
        if n.len() > 2 {
            self.names.insert(n);
            self.shown.insert(name.to_string());
        }
    }

    /// The names as found, sorted.
    pub fn shown(&self) -> Vec<String> {
        self.shown.iter().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether `name` (a package, crate, module or library name) is the project's own.
    pub fn is_own(&self, name: &str) -> bool {
        self.names.contains(&normalise(name))
    }

    /// Whether every finding of `rule` in the project's own code is a use of the project's own
    /// library (CUTLASS's rules inside CUTLASS): its library is one of the project's names and
    /// it is not core CUDA.
    pub fn owns_rule(&self, rule: &Rule) -> bool {
        !is_core_cuda(rule.category) && self.is_own(&rule.library)
    }

    /// Whether a finding uses the project's own package, crate, module or image: the name its
    /// symbol starts with is one of the project's names (`cupy.RawKernel` in CuPy,
    /// `nvcr.io/nvidia/k8s-device-plugin:v0.17` in k8s-device-plugin), or its library is —
    /// except for core CUDA (kernels, intrinsics, runtime and driver API), whose library is
    /// never a project's, whatever the project is called.
    pub fn owns(&self, symbol: &str, rule: &Rule) -> bool {
        // A bare name (`cuda_runtime.h`) may be a stub the project keeps for CPU builds: only a
        // path with a directory is taken as naming the project's own header.
        let include = symbol.trim_start_matches("./");
        if rule.category == Category::Include
            && include.contains('/')
            && self.headers.contains(include)
        {
            return true;
        }
        if self.names.is_empty() {
            return false;
        }
        if self.owns_rule(rule) {
            return true;
        }
        if rule.category == Category::Container {
            // The project's images: its own name, or its name and a component
            // (`gpu-operator-validator` of gpu-operator).
            let image = image_name(symbol);
            let normalised = normalise(image);
            return self.is_own(image)
                || image
                    .split('-')
                    .scan(String::new(), |prefix, part| {
                        prefix.push_str(&normalise(part));
                        Some(prefix.clone())
                    })
                    .any(|prefix| {
                        prefix.len() >= 6
                            && prefix.len() < normalised.len()
                            && self.names.contains(&prefix)
                    });
        }
        let root = leading_name(symbol);
        !root.is_empty() && self.is_own(root)
    }
}

/// Lower case, letters and digits only (`k8s-device-plugin` and `K8S_Device.Plugin` agree).
pub fn normalise(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn last(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The name a symbol starts with: `cupy` of `cupy.cuda.runtime.malloc`, `cudarc` of
/// `cudarc::driver::CudaDevice`, `bitsandbytes` of `bitsandbytes>=0.43`.
fn leading_name(symbol: &str) -> &str {
    let end = symbol
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(symbol.len());
    &symbol[..end]
}

/// The repository's last segment of an image reference, without registry, tag or digest:
/// `k8s-device-plugin` of `nvcr.io/nvidia/k8s-device-plugin:v0.17.0`.
fn image_name(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let name = image.rsplit('/').next().unwrap_or(image);
    name.split(':').next().unwrap_or(name)
}

/// `[project] name` and `[tool.poetry] name`.
fn pyproject_names(text: &str) -> Vec<String> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let project = doc.get("project").and_then(|p| p.get("name"));
    let poetry = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("name"));
    for n in [project, poetry].into_iter().flatten() {
        if let Some(s) = n.as_str() {
            names.push(s.to_string());
        }
    }
    names
}

/// The crates a Cargo manifest says are the project's: its `[package] name`, and every
/// dependency taken from a path (`gpu-kernels = { path = "../gpu-kernels" }`), in any
/// dependency table (the path crate itself may lie outside the scanned tree).
fn cargo_names(text: &str) -> Vec<String> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut names = Vec::new();
    if let Some(n) = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
    {
        names.push(n.to_string());
    }
    fn add_tables<'t>(t: &'t toml::Table, tables: &mut Vec<&'t toml::Table>) {
        for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
            if let Some(deps) = t.get(key).and_then(|d| d.as_table()) {
                tables.push(deps);
            }
        }
    }
    let mut tables: Vec<&toml::Table> = Vec::new();
    add_tables(&doc, &mut tables);
    if let Some(ws) = doc.get("workspace").and_then(|w| w.as_table()) {
        add_tables(ws, &mut tables);
    }
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        for t in targets.values().filter_map(|t| t.as_table()) {
            add_tables(t, &mut tables);
        }
    }
    for deps in tables {
        for (name, spec) in deps {
            if let Some(spec) = spec.as_table().filter(|t| t.contains_key("path")) {
                let krate = spec.get("package").and_then(|p| p.as_str()).unwrap_or(name);
                names.push(krate.to_string());
            }
        }
    }
    names
}

/// `name = …` in the `[metadata]` section of a setup.cfg.
fn setup_cfg_name(text: &str) -> Option<String> {
    let mut in_metadata = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_metadata = line == "[metadata]";
            continue;
        }
        if !in_metadata {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            let value = value.trim();
            if key.trim() == "name" && !value.is_empty() && !value.starts_with("attr:") {
                return Some(value.to_string());
            }
        }
    }
    None
}

/// The `name=` string literals of `setup(…)` calls in a setup.py, parsed with tree-sitter
/// (never run).
fn setup_py_names(text: &str) -> Vec<String> {
    let mut parser = tree_sitter::Parser::new();
    if parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .is_err()
    {
        return Vec::new();
    }
    let Ok(tree) = crate::lang::parse_within(&mut parser, text, crate::lang::DEFAULT_PARSE_BUDGET)
    else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind_name() == "call" {
            let callee = node
                .field("function")
                .map(|f| &text[f.byte_range()])
                .unwrap_or_default();
            if callee == "setup" || callee.ends_with(".setup") {
                if let Some(args) = node.field("arguments") {
                    let mut cursor = args.walk();
                    for arg in args.named_children(&mut cursor) {
                        if arg.kind_name() != "keyword_argument" {
                            continue;
                        }
                        let key = arg.field("name").map(|k| &text[k.byte_range()]);
                        let value = arg.field("value");
                        if let (Some("name"), Some(v)) = (key, value) {
                            if v.kind_name() == "string" {
                                let s = text[v.byte_range()].trim_matches(['"', '\'']);
                                if !s.is_empty() && !s.contains('{') {
                                    names.push(s.to_string());
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    names
}

/// The package a conda recipe builds: `name:` under `package:`, with the recipe's
/// `{% set name = "…" %}` (or `context: name:`) substituted for `{{ name }}`. The recipe is
/// Jinja-templated YAML: read line by line rather than rendered.
fn conda_recipe_name(text: &str) -> Option<String> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut in_package = false;
    let mut in_context = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(set) = trimmed
            .strip_prefix("{%")
            .and_then(|t| t.trim_start().strip_prefix("set "))
        {
            if let Some((var, value)) = set.split_once('=') {
                let value = value
                    .trim()
                    .trim_end_matches("%}")
                    .trim()
                    .trim_matches(['"', '\'']);
                vars.push((var.trim().to_string(), value.to_string()));
            }
            continue;
        }
        if !line.starts_with([' ', '\t']) && !trimmed.is_empty() {
            in_package = trimmed == "package:";
            in_context = trimmed == "context:";
            continue;
        }
        let Some(value) = trimmed.strip_prefix("name:") else {
            continue;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        if in_context {
            vars.push(("name".to_string(), value.to_string()));
        } else if in_package {
            let value = match value
                .strip_prefix("{{")
                .and_then(|v| v.strip_suffix("}}"))
                .or_else(|| value.strip_prefix("${{").and_then(|v| v.strip_suffix("}}")))
            {
                Some(var) => {
                    let var = var.trim();
                    vars.iter().rev().find(|(k, _)| k == var)?.1.clone()
                }
                None => value.to_string(),
            };
            return (!value.is_empty() && !value.contains(['{', '}'])).then_some(value);
        }
    }
    None
}

/// The `module` directive of a go.mod.
fn go_module(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.split("//").next()?.trim();
        let rest = line.strip_prefix("module")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let m = rest.trim().trim_matches('"');
        (!m.is_empty()).then(|| m.to_string())
    })
}

/// The names of `project(NAME …)` commands in a CMake file (comments skipped; a name given by a
/// variable is not a name).
fn cmake_projects(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or_default().trim_start();
        let lower = code.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("project") else {
            continue;
        };
        let rest = rest.trim_start();
        if !rest.starts_with('(') {
            continue;
        }
        let start = code.len() - rest.len() + 1;
        let args = code[start..].trim_start();
        let name: String = args
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'))
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_manifests() {
        assert_eq!(
            pyproject_names("[project]\nname = \"bitsandbytes\"\n[tool.poetry]\nname = \"x-y\"\n"),
            ["bitsandbytes", "x-y"]
        );
        assert_eq!(pyproject_names("not toml ["), Vec::<String>::new());
        assert_eq!(
            cargo_names(
                "[package]\nname = \"app\"\n[dependencies]\ngpu-kernels = { path = \"../k\" }\ncudarc = \"0.11\"\n[workspace.dependencies]\nx = { path = \"x\", package = \"x-core\" }\n"
            ),
            ["app", "gpu-kernels", "x-core"]
        );
        assert_eq!(
            setup_cfg_name("[options]\nname = no\n[metadata]\nname = cupy\n").as_deref(),
            Some("cupy")
        );
        assert_eq!(
            setup_py_names(
                "from setuptools import setup\nsetup(\n    name='flash_mla', version=v)\nfoo(name='no')\n"
            ),
            ["flash_mla"]
        );
        assert_eq!(
            go_module("// c\nmodule github.com/NVIDIA/k8s-device-plugin\n\ngo 1.22\n").as_deref(),
            Some("github.com/NVIDIA/k8s-device-plugin")
        );
        assert_eq!(
            cmake_projects(
                "# project(no)\ncmake_minimum_required(VERSION 3.18)\nPROJECT( CUTLASS VERSION 3.0 LANGUAGES CXX)\nproject(${VAR})\n"
            ),
            ["CUTLASS"]
        );
    }

    #[test]
    fn packages_beside_a_distribution_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        // flash-attention: `flash_attn/pyproject.toml` holds tool settings only, so
        // `flash_attn/cute/` is the subpackage `flash_attn.cute`, not a package `cute`; `hopper/`
        // has a setup.py of its own, so `hopper/flash_attn_3/` is a top-level package.
        write("setup.py", "setup(name='flash_attn')\n");
        write(
            "flash_attn/pyproject.toml",
            "[tool.ruff]\nline-length = 100\n",
        );
        write("hopper/setup.py", "setup(name=PACKAGE_NAME)\n");
        write("lib/pyproject.toml", "[project]\nname = \"other-dist\"\n");
        let files = [
            ("setup.py", crate::lang::Lang::Python),
            ("flash_attn/__init__.py", crate::lang::Lang::Python),
            ("flash_attn/pyproject.toml", crate::lang::Lang::Pyproject),
            ("flash_attn/cute/__init__.py", crate::lang::Lang::Python),
            ("hopper/setup.py", crate::lang::Lang::Python),
            ("hopper/flash_attn_3/__init__.py", crate::lang::Lang::Python),
            ("lib/pyproject.toml", crate::lang::Lang::Pyproject),
            ("lib/inner/__init__.py", crate::lang::Lang::Python),
        ];
        let id = Identity::learn(dir.path(), files);
        assert_eq!(
            id.shown(),
            ["flash_attn", "flash_attn_3", "inner", "other-dist"]
        );
    }

    #[test]
    fn conda_recipes() {
        let meta = "{% set name = \"cuvs\" %}\n{% set version = \"1\" %}\npackage:\n  name: {{ name }}\n  version: {{ version }}\nrequirements:\n  run:\n    - name: no\n";
        assert_eq!(conda_recipe_name(meta).as_deref(), Some("cuvs"));
        let v1 = "context:\n  name: rmm\npackage:\n  name: ${{ name }}\n";
        assert_eq!(conda_recipe_name(v1).as_deref(), Some("rmm"));
        assert_eq!(conda_recipe_name("package:\n  name: {{ unknown }}\n"), None);
    }

    #[test]
    fn leading_names_and_images() {
        assert_eq!(leading_name("cupy.cuda.runtime.malloc"), "cupy");
        assert_eq!(leading_name("cudarc::driver"), "cudarc");
        assert_eq!(leading_name("bitsandbytes>=0.43"), "bitsandbytes");
        assert_eq!(leading_name(".cuda()"), "");
        assert_eq!(
            image_name("nvcr.io/nvidia/k8s-device-plugin:v0.17.0"),
            "k8s-device-plugin"
        );
        assert_eq!(image_name("nvidia/cuda@sha256:abc"), "cuda");
        assert_eq!(image_name("localhost:5000/team/img:1"), "img");
    }

    #[test]
    fn normalised_comparison() {
        assert_eq!(normalise("K8S_Device.Plugin"), "k8sdeviceplugin");
        assert_eq!(normalise("k8s-device-plugin"), "k8sdeviceplugin");
    }
}
