//! `pyproject.toml`: PEP 621 `[project]` dependencies and optional dependencies, PEP 735
//! `[dependency-groups]`, `[build-system] requires`, Poetry (`[tool.poetry…dependencies]`,
//! sources), PDM (`[tool.pdm.dev-dependencies]`, sources) and uv (`[[tool.uv.index]]`,
//! `[tool.uv.sources]`, index URLs). A package pinned to a named index also gets that index's
//! key, so `torch` from a CUDA wheel index is reported.

use super::requirements::{self, package_keys};
use super::toml_util::{self, Value, array, key_mapped, mapped, path, str_of, table};
use super::{Out, pep508::normalize, url_key};
use std::collections::HashMap;
use toml::de::DeTable;

pub(crate) fn extract(text: &str, out: &mut Out) {
    let doc = toml_util::parse(text, out);
    let pep508_list = |v: &Value, out: &mut Out| {
        for item in array(v) {
            if let Some(m) = mapped(item, text) {
                requirements::requirement(&m.trimmed(), out, None);
            }
        }
    };
    if let Some(project) = table(&doc, "project") {
        if let Some(deps) = project.get("dependencies") {
            pep508_list(deps, out);
        }
        if let Some(opt) = table(project, "optional-dependencies") {
            for (_, v) in opt.iter() {
                pep508_list(v, out);
            }
        }
    }
    if let Some(groups) = table(&doc, "dependency-groups") {
        for (_, v) in groups.iter() {
            pep508_list(v, out);
        }
    }
    if let Some(build) = table(&doc, "build-system") {
        if let Some(req) = build.get("requires") {
            pep508_list(req, out);
        }
    }
    // PDM
    if let Some(dev) = path(&doc, &["tool", "pdm", "dev-dependencies"]) {
        for (_, v) in dev.iter() {
            pep508_list(v, out);
        }
    }
    // Named package indexes (Poetry, PDM, uv) and the URLs they point to.
    let mut indexes: HashMap<String, String> = HashMap::new();
    for source_path in [&["tool", "poetry"][..], &["tool", "pdm"], &["tool", "uv"]] {
        let Some(tool) = path(&doc, source_path) else {
            continue;
        };
        for key in ["source", "index"] {
            for src in tool.get(key).map(array).unwrap_or(&[]) {
                let Some(t) = src.get_ref().as_table() else {
                    continue;
                };
                if let Some(url) = t.get("url") {
                    requirements::index_url(&mapped(url, text).unwrap_or_default(), out);
                    if let (Some(name), Some(u)) = (t.get("name").and_then(str_of), str_of(url)) {
                        if let Some(k) = url_key(u) {
                            indexes.insert(name.to_string(), k);
                        }
                    }
                }
            }
        }
    }
    if let Some(uv) = path(&doc, &["tool", "uv"]) {
        for key in ["index-url", "extra-index-url", "find-links"] {
            if let Some(v) = uv.get(key) {
                let values: Vec<&Value> = match v.get_ref().as_array() {
                    Some(a) => a.iter().collect(),
                    None => vec![v],
                };
                for u in values {
                    if let Some(m) = mapped(u, text) {
                        requirements::index_url(&m, out);
                    }
                }
            }
        }
        // `[tool.uv.sources] torch = { index = "pytorch-cu121" }`
        if let Some(sources) = table(uv, "sources") {
            for (name, v) in sources.iter() {
                let entries: Vec<&Value> = match v.get_ref().as_array() {
                    Some(a) => a.iter().collect(),
                    None => vec![v],
                };
                for e in entries {
                    let index = e
                        .get_ref()
                        .as_table()
                        .and_then(|t| t.get("index"))
                        .and_then(str_of)
                        .and_then(|i| indexes.get(i));
                    if let Some(index) = index {
                        let m = key_mapped(name, text);
                        let keys = vec![format!("pip:{}", normalize(&m.text)), index.clone()];
                        out.entry(&m.text, m.span(0..m.text.len()), keys);
                    }
                }
            }
        }
    }
    // Poetry
    if let Some(poetry) = path(&doc, &["tool", "poetry"]) {
        for key in ["dependencies", "dev-dependencies"] {
            if let Some(deps) = table(poetry, key) {
                poetry_deps(deps, text, &indexes, out);
            }
        }
        if let Some(groups) = table(poetry, "group") {
            for (_, g) in groups.iter() {
                if let Some(deps) = g
                    .get_ref()
                    .as_table()
                    .and_then(|g| table(g, "dependencies"))
                {
                    poetry_deps(deps, text, &indexes, out);
                }
            }
        }
    }
}

/// Poetry's `name = "^1.0"` / `name = { version, extras, source }` / `name = [{…}, …]`.
pub(crate) fn poetry_deps(
    deps: &DeTable,
    text: &str,
    indexes: &HashMap<String, String>,
    out: &mut Out,
) {
    for (name, v) in deps.iter() {
        if name.get_ref().as_ref() == "python" {
            continue;
        }
        let m = key_mapped(name, text);
        let pkg = normalize(&m.text);
        let specs: Vec<&Value> = match v.get_ref().as_array() {
            Some(a) => a.iter().collect(),
            None => vec![v],
        };
        for spec in specs {
            let (version, extras, index) = match spec.get_ref().as_table() {
                Some(t) => (
                    t.get("version").and_then(str_of),
                    t.get("extras")
                        .map(|e| {
                            array(e)
                                .iter()
                                .filter_map(str_of)
                                .map(normalize)
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default(),
                    t.get("source")
                        .and_then(str_of)
                        .and_then(|s| indexes.get(s))
                        .cloned(),
                ),
                None => (str_of(spec), Vec::new(), None),
            };
            let local = version
                .and_then(|v| v.trim().trim_start_matches("==").split_once('+'))
                .map(|(_, l)| l.trim().to_ascii_lowercase())
                .filter(|l| !l.is_empty());
            let mut keys = package_keys(&pkg, &extras, local.as_deref());
            keys.extend(index);
            out.entry(&m.text, m.span(0..m.text.len()), keys);
        }
    }
}
