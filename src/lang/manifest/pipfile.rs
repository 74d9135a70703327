//! Pipfile: `[packages]`, `[dev-packages]` and any other category table, `[[source]]` URLs.
//! A package pinned to a source with `index = "…"` also gets that source's URL key.

use super::requirements::{self, package_keys};
use super::toml_util::{self, array, key_mapped, mapped, str_of};
use super::{Out, pep508::normalize, url_key};
use std::collections::HashMap;

pub(crate) fn extract(text: &str, out: &mut Out) {
    let doc = toml_util::parse(text, out);
    let mut indexes = HashMap::new();
    for src in doc.get("source").map(array).unwrap_or(&[]) {
        let Some(t) = src.get_ref().as_table() else {
            continue;
        };
        if let Some(url) = t.get("url") {
            if let Some(m) = mapped(url, text) {
                requirements::index_url(&m, out);
            }
            if let (Some(name), Some(key)) = (
                t.get("name").and_then(str_of),
                str_of(url).and_then(url_key),
            ) {
                indexes.insert(name.to_string(), key);
            }
        }
    }
    for (section, v) in doc.iter() {
        let section: &str = section.get_ref();
        if matches!(section, "source" | "requires" | "scripts" | "pipenv") {
            continue;
        }
        let Some(packages) = v.get_ref().as_table() else {
            continue;
        };
        for (name, spec) in packages.iter() {
            let m = key_mapped(name, text);
            let pkg = normalize(&m.text);
            let (version, extras, index) = match spec.get_ref().as_table() {
                Some(t) => (
                    t.get("version").and_then(str_of),
                    t.get("extras")
                        .map(|e| array(e).iter().filter_map(str_of).map(normalize).collect())
                        .unwrap_or_default(),
                    t.get("index")
                        .and_then(str_of)
                        .and_then(|i| indexes.get(i))
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
