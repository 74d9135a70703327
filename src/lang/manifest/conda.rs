//! conda: `environment.yml` (channels, dependencies and the `pip:` sub-list) and conda match
//! specs wherever they appear (`conda install` arguments, recipe requirements).
//!
//! A match spec is `[channel::]name[ version[ build]]`, `name=version=build`, `name>=1.0` or
//! `name[build=…]`. A build string that names CUDA (`pytorch=2.1=*cuda*`) gives the key
//! `conda:NAME+cuda` before `conda:NAME`; a channel prefix gives `conda-channel:CHANNEL` last.

use super::yaml::{self, Node};
use super::{Mapped, Out, requirements};

pub(crate) fn extract(text: &str, out: &mut Out) {
    let (docs, error) = yaml::parse(text);
    if let Some(e) = error {
        out.warn(
            crate::note::NoteReason::MalformedYaml,
            format!("malformed YAML: {}", e.message),
            Some(e.offset),
        );
    }
    for doc in &docs {
        environment(doc, text, out);
    }
}

/// The `channels` and `dependencies` of an environment file.
pub(crate) fn environment(doc: &Node, text: &str, out: &mut Out) {
    if let Some(channels) = doc.get("channels") {
        for c in channels.items() {
            if let Some(m) = c.mapped(text) {
                channel(&m, out);
            }
        }
    }
    if let Some(deps) = doc.get("dependencies") {
        dependencies(deps, text, out);
    }
}

/// A list of match specs, with an optional `pip:` sub-list of requirements lines.
pub(crate) fn dependencies(deps: &Node, text: &str, out: &mut Out) {
    for dep in deps.items() {
        match dep {
            Node::Scalar { .. } => {
                if let Some(m) = dep.mapped(text) {
                    spec(&m, out);
                }
            }
            Node::Map(_) => {
                if let Some(pip) = dep.get("pip") {
                    for line in pip.items() {
                        if let Some(m) = line.mapped(text) {
                            requirements::requirements_line(&m, out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A channel name or URL (`nvidia`, `nvidia/label/cuda-12.1.0`, `https://conda.anaconda.org/nvidia`).
pub(crate) fn channel(m: &Mapped, out: &mut Out) {
    let text = m.text.trim();
    if text.is_empty() || text.contains('$') {
        return;
    }
    let name = text
        .split_once("://")
        .map_or(text, |(_, rest)| {
            rest.split_once('/').map_or(rest, |(_, p)| p)
        })
        .trim_end_matches('/');
    if name.is_empty() {
        return;
    }
    out.entry(
        text,
        m.span(0..m.text.len()),
        vec![format!("conda-channel:{}", name.to_ascii_lowercase())],
    );
}

fn is_conda_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// One match spec.
pub(crate) fn spec(m: &Mapped, out: &mut Out) {
    let full = m.text.as_str();
    let lead = full.len() - full.trim_start().len();
    let text = full.trim();
    if text.is_empty() || text.starts_with(['-', '$', '{', '#']) {
        return;
    }
    let (channel, rest, rest_at) = match text.split_once("::") {
        Some((c, r)) => (Some(c), r, lead + c.len() + 2),
        None => (None, text, lead),
    };
    let name_len = rest
        .find(|c: char| !is_conda_name_char(c))
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return;
    }
    let tail = &rest[name_len..];
    // The build string: `name=ver=build`, `name ver build`, or `name[build=…]`.
    let build = if let Some(bracket) = tail.trim_start().strip_prefix('[') {
        bracket
            .split([',', ']'])
            .find_map(|kv| kv.trim().strip_prefix("build").map(str::to_string))
    } else {
        let parts: Vec<&str> = tail
            .trim_start_matches(['=', ' '])
            .split(['=', ' '])
            .filter(|p| !p.is_empty())
            .collect();
        parts.get(1).map(|s| s.to_string())
    };
    let name = name.to_ascii_lowercase();
    let mut keys = Vec::new();
    if build.is_some_and(|b| b.to_ascii_lowercase().contains("cuda")) {
        keys.push(format!("conda:{name}+cuda"));
    }
    keys.push(format!("conda:{name}"));
    if let Some(c) = channel {
        keys.push(format!("conda-channel:{}", c.trim().to_ascii_lowercase()));
    }
    let written_end = if tail.trim_start().starts_with('[') {
        rest_at + rest.len()
    } else {
        rest_at + name_len + tail.trim_end().len()
    };
    // A blanked template (`cuda-version ={{ v }}` → `cuda-version =$`) leaves operators behind.
    let written = full[lead..written_end.min(full.len())].trim_end_matches([' ', '\t', '=', '$']);
    out.entry(written, m.span(lead..lead + written.len()), keys);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    fn keys(text: &str) -> Vec<(String, Vec<String>)> {
        let mut out = Out::default();
        extract(text, &mut out);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        out.facts
            .into_iter()
            .map(|f| {
                let FactKind::Keys(k) = f.kind else {
                    unreachable!()
                };
                (text[f.span].to_string(), k)
            })
            .collect()
    }

    #[test]
    fn environment_file() {
        let f = keys(
            "name: x\nchannels:\n  - nvidia\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pytorch::pytorch=2.1=*cuda*\n  - nvidia::cuda-toolkit\n  - cudatoolkit >=11.8\n  - pip:\n    - cupy-cuda12x\n    - --extra-index-url https://download.pytorch.org/whl/cu121\n",
        );
        let get = |w: &str| f.iter().find(|(t, _)| t == w).map(|(_, k)| k.clone());
        assert_eq!(get("nvidia").unwrap(), ["conda-channel:nvidia"]);
        assert_eq!(
            get("pytorch::pytorch=2.1=*cuda*").unwrap(),
            [
                "conda:pytorch+cuda",
                "conda:pytorch",
                "conda-channel:pytorch"
            ]
        );
        assert_eq!(get("cudatoolkit >=11.8").unwrap(), ["conda:cudatoolkit"]);
        assert_eq!(get("cupy-cuda12x").unwrap(), ["pip:cupy-cuda12x"]);
        assert!(get("https://download.pytorch.org/whl/cu121").is_some());
    }

    #[test]
    fn bad_yaml_warns() {
        let mut out = Out::default();
        extract("dependencies:\n  - [cudatoolkit\n", &mut out);
        assert_eq!(out.warnings.len(), 1);
        assert_eq!(out.warnings[0].reason.as_str(), "malformed-yaml");
    }
}
