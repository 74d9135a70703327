//! `Cargo.toml`: dependencies in every table that holds them (`[dependencies]`,
//! `[dev-dependencies]`, `[build-dependencies]`, `[target.'…'.dependencies]`,
//! `[workspace.dependencies]`) with their features, and `[features]` entries that turn on a
//! dependency's feature (`cuda = ["candle-core/cuda"]`). Keys: `cargo:CRATE`, then
//! `cargo:CRATE[FEATURE]` for each feature (a CUDA crate is reported as such, a portable crate
//! by its CUDA feature); crate names are lowercase with `_` as `-`.

use super::Out;
use super::toml_util::{self, array, key_mapped, mapped, str_of, table};
use std::collections::HashMap;
use toml::de::DeTable;

fn crate_key(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

pub(crate) fn extract(text: &str, out: &mut Out) {
    let doc = toml_util::parse(text, out);
    // Dependency name in this manifest → real crate name (`package = "…"` renames).
    let mut renames: HashMap<String, String> = HashMap::new();
    let mut dep_tables: Vec<&DeTable> = Vec::new();
    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
        dep_tables.extend(table(&doc, key));
        if let Some(ws) = table(&doc, "workspace") {
            dep_tables.extend(table(ws, key));
        }
    }
    if let Some(targets) = table(&doc, "target") {
        for (_, t) in targets.iter() {
            if let Some(t) = t.get_ref().as_table() {
                for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                    dep_tables.extend(table(t, key));
                }
            }
        }
    }
    for deps in &dep_tables {
        for (name, spec) in deps.iter() {
            let m = key_mapped(name, text);
            let spec_table = spec.get_ref().as_table();
            let krate = spec_table
                .and_then(|t| t.get("package"))
                .and_then(str_of)
                .unwrap_or(&m.text);
            let krate = crate_key(krate);
            renames.insert(crate_key(&m.text), krate.clone());
            let mut keys = vec![format!("cargo:{krate}")];
            keys.extend(
                spec_table
                    .and_then(|t| t.get("features"))
                    .map(array)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(str_of)
                    .map(|f| format!("cargo:{krate}[{f}]")),
            );
            out.entry(&m.text, m.span(0..m.text.len()), keys);
        }
    }
    // `[features] cuda = ["candle-core/cuda", "dep:cudarc", "cudarc?/f16"]`
    if let Some(features) = table(&doc, "features") {
        for (_, list) in features.iter() {
            for item in array(list) {
                let (Some(s), Some(m)) = (str_of(item), mapped(item, text)) else {
                    continue;
                };
                let Some((dep, feature)) = s.split_once('/') else {
                    continue;
                };
                let dep = crate_key(dep.trim_end_matches('?'));
                let krate = renames.get(&dep).cloned().unwrap_or(dep);
                out.entry(
                    s,
                    m.span(0..m.text.len()),
                    vec![format!("cargo:{krate}[{feature}]")],
                );
            }
        }
    }
}
