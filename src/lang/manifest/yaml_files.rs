//! YAML files other than `environment*.yml`: docker-compose files, GitHub Actions workflows,
//! Kubernetes manifests, Helm charts and values, conda-build recipes (`meta.yaml`,
//! `recipe.yaml`), and conda environments under other names (a document with both `channels`
//! and `dependencies`).
//!
//! One walk over the parsed documents reads each mapping entry by its key and context:
//! `image` (a string, or Helm's `repository`/`tag` map), `limits`/`requests` resources
//! (`nvidia.com/gpu`), `nodeSelector` and node-affinity `matchExpressions` labels,
//! `tolerations`, `runtimeClassName`/`runtime`, compose GPU `devices` (`driver`,
//! `capabilities`) and `gpus`, `env`/`environment` variables; in workflows also `runs-on`
//! labels, `uses` actions and `run` scripts (read with the shell reader in place).
//!
//! Generic `.yml`/`.yaml` files are only parsed when they mention `nvidia`, `cuda`, `gpu`,
//! `tpu`, `accelerator` or `instance-type` (ASCII case-insensitive), so a large repository's many other YAML
//! files cost one scan each. Template actions are blanked before parsing (offsets kept); a
//! templated file that still does not parse is read up to the error without a warning, while
//! a plain YAML file that does not parse gives a `malformed-yaml` warning.

use super::yaml::{self, Node};
use super::{Out, conda, image_key, shell};
use crate::lang::Lang;
use crate::lang::lexer::is_identifier;
use std::path::Path;

/// Words without which a generic YAML file cannot hold anything the rules match.
const TRIGGERS: [&[u8]; 6] = [
    b"nvidia",
    b"cuda",
    b"gpu",
    b"tpu",
    b"accelerator",
    b"instance-type",
];

fn worth_parsing(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(3).enumerate().any(|(i, w)| {
        TRIGGERS.iter().any(|t| {
            w.eq_ignore_ascii_case(&t[..3])
                && b.get(i..i + t.len())
                    .is_some_and(|s| s.eq_ignore_ascii_case(t))
        })
    })
}

pub(crate) fn extract(text: &str, lang: Lang, path: &Path, out: &mut Out) {
    if lang == Lang::Yaml && !worth_parsing(text) {
        return;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let recipe = matches!(name.as_str(), "meta.yaml" | "meta.yml" | "recipe.yaml");
    let (blanked, actions) = yaml::blank_templates(text);
    for (span, inner) in &actions {
        compiler_call(text, span.start, inner, out);
    }
    let (docs, error) = yaml::parse(&blanked);
    if let Some(e) = error {
        if actions.is_empty() {
            out.warn(
                crate::note::NoteReason::MalformedYaml,
                format!("malformed YAML: {}", e.message),
                Some(e.offset),
            );
        }
    }
    let ctx = Ctx {
        text: &blanked,
        workflow: lang == Lang::GithubWorkflow,
    };
    for doc in &docs {
        if recipe {
            recipe_requirements(doc, &blanked, out);
        } else if doc.get("channels").is_some() && doc.get("dependencies").is_some() {
            // A conda environment under another name (`conda/environments/all_cuda-129.yaml`).
            conda::environment(doc, &blanked, out);
        }
        walk(doc, None, &ctx, out);
    }
}

struct Ctx<'t> {
    text: &'t str,
    workflow: bool,
}

/// `compiler('cuda')` in a conda recipe's template action.
fn compiler_call(text: &str, action_start: usize, inner: &str, out: &mut Out) {
    let mut from = 0;
    while let Some(p) = inner[from..].find("compiler(") {
        let s = from + p + "compiler(".len();
        let arg = inner[s..].trim_start();
        let quote = arg.chars().next().filter(|c| *c == '\'' || *c == '"');
        if let Some(q) = quote {
            if let Some(e) = arg[1..].find(q) {
                let lang = &arg[1..1 + e];
                let at = action_start + 2 + s + (inner[s..].len() - arg.len());
                let end = at + e + 2 + 1;
                let written = text.get(at - "compiler(".len()..end).unwrap_or(lang);
                out.entry(
                    written,
                    at - "compiler(".len()..end,
                    vec![format!("conda-compiler:{}", lang.to_ascii_lowercase())],
                );
            }
        }
        from = s;
    }
}

/// Every `requirements` section of a recipe (top level, `cache:`, each of `outputs:`).
fn recipe_requirements(node: &Node, text: &str, out: &mut Out) {
    match node {
        Node::Map(entries) => {
            for (k, v) in entries {
                if k.as_str() == Some("requirements") {
                    for key in ["build", "host", "run", "run_constrained", "run_exports"] {
                        if let Some(list) = v.get(key) {
                            recipe_list(list, text, out);
                        }
                    }
                } else {
                    recipe_requirements(v, text, out);
                }
            }
        }
        Node::Seq(items) => items.iter().for_each(|i| recipe_requirements(i, text, out)),
        _ => {}
    }
}

/// A requirements list; rattler-build's `- if: … then: […] else: […]` items are opened.
fn recipe_list(list: &Node, text: &str, out: &mut Out) {
    conda::dependencies(list, text, out);
    for item in list.items() {
        for branch in ["then", "else"] {
            if let Some(b) = item.get(branch) {
                match b {
                    Node::Seq(_) => recipe_list(b, text, out),
                    Node::Scalar { .. } => {
                        if let Some(m) = b.mapped(text) {
                            conda::spec(&m, out);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn scalar_entry(node: &Node, ctx: &Ctx, key: String, out: &mut Out) {
    if let (Some(v), Some(span)) = (node.as_str(), node.span()) {
        let span = match node.mapped(ctx.text) {
            Some(m) if !m.text.is_empty() => m.span(0..m.text.len()),
            _ => span,
        };
        out.entry(v, span, vec![key]);
    }
}

fn walk(node: &Node, parent: Option<&str>, ctx: &Ctx, out: &mut Out) {
    match node {
        Node::Map(entries) => {
            for (k, v) in entries {
                let Some(key) = k.as_str() else {
                    walk(v, None, ctx, out);
                    continue;
                };
                entry(k, key, v, parent, ctx, out);
                walk(v, Some(key), ctx, out);
            }
        }
        Node::Seq(items) => {
            for item in items {
                if let (Some("environment"), Some(s)) = (parent, item.as_str()) {
                    // Compose `environment: ["NVIDIA_VISIBLE_DEVICES=all"]`.
                    let name = s.split('=').next().unwrap_or(s);
                    if is_identifier(name) {
                        if let Some(m) = item.mapped(ctx.text) {
                            shell::env_fact(name, m.span(0..name.len()), out);
                        }
                    }
                }
                walk(item, parent, ctx, out);
            }
        }
        _ => {}
    }
}

/// One mapping entry, read by its key (and the key of the mapping it sits in, `parent`).
fn entry(k: &Node, key: &str, v: &Node, parent: Option<&str>, ctx: &Ctx, out: &mut Out) {
    let key_span = k.span().unwrap_or(0..0);
    match key {
        "image" => image(v, ctx, out),
        "container" if ctx.workflow => {
            if let Some(image) = v.as_str().filter(|s| !s.trim().is_empty()) {
                scalar_entry(v, ctx, image_key(image.trim()), out);
            }
        }
        "nodeSelector" => node_selector(v, out),
        "matchExpressions" | "matchFields" => match_expressions(v, out),
        "tolerations" => {
            for t in v.items() {
                if let Some(tk) = t.get("key") {
                    if let Some(s) = tk.as_str() {
                        scalar_entry(tk, ctx, format!("k8s-toleration:{s}"), out);
                    }
                }
            }
        }
        "runtimeClassName" | "runtime" => {
            if let Some(s) = v.as_str().filter(|s| !s.is_empty()) {
                scalar_entry(
                    v,
                    ctx,
                    format!("container-runtime:{}", s.to_ascii_lowercase()),
                    out,
                );
            }
        }
        "driver" if parent == Some("devices") => {
            if let Some(s) = v.as_str() {
                scalar_entry(
                    v,
                    ctx,
                    format!("gpu-device-driver:{}", s.to_ascii_lowercase()),
                    out,
                );
            }
        }
        "capabilities" if parent == Some("devices") => {
            let items: Vec<&Node> = match v {
                Node::Seq(items) => items.iter().collect(),
                _ => vec![v],
            };
            for item in items {
                if let Some(s) = item.as_str() {
                    scalar_entry(
                        item,
                        ctx,
                        format!("gpu-capability:{}", s.to_ascii_lowercase()),
                        out,
                    );
                }
            }
        }
        "gpus" if !ctx.workflow => {
            let value = v.as_str().unwrap_or("");
            out.entry_with(
                key,
                key_span.clone(),
                vec![format!("compose-gpus:{value}"), "compose-gpus".into()],
                (!value.is_empty()).then(|| format!("value `{value}`")),
            );
        }
        "env" | "environment" => environment(v, ctx, out),
        "runs-on" if ctx.workflow => runs_on(v, ctx, out),
        "uses" if ctx.workflow => uses(v, ctx, out),
        "run" if ctx.workflow => {
            if let Some((raw, at)) = v.raw(ctx.text) {
                shell::extract_script(raw, at, out);
            }
        }
        _ => {}
    }
    if matches!(parent, Some("limits" | "requests")) {
        out.entry(key, key_span, vec![format!("k8s-resource:{key}")]);
    }
}

/// `image:` as a string, or Helm values' `image: {registry, repository, tag}`.
fn image(v: &Node, ctx: &Ctx, out: &mut Out) {
    match v {
        Node::Scalar { value, .. } if !value.trim().is_empty() => {
            scalar_entry(v, ctx, image_key(value.trim()), out);
        }
        Node::Map(_) => {
            // Helm values: `image: {registry, repository, tag}`.
            if let Some(repo) = v.get("repository") {
                if let Some(r) = repo.as_str().filter(|r| !r.is_empty()) {
                    let registry = v.get("registry").and_then(Node::as_str).unwrap_or("");
                    let tag = v.get("tag").and_then(Node::as_str).unwrap_or("");
                    let mut image = String::new();
                    if !registry.is_empty() {
                        image.push_str(registry.trim_end_matches('/'));
                        image.push('/');
                    }
                    image.push_str(r);
                    if !tag.is_empty() {
                        image.push(':');
                        image.push_str(tag);
                    }
                    scalar_entry(repo, ctx, image_key(&image), out);
                }
            }
        }
        _ => {}
    }
}

/// `nodeSelector:` labels, with their values.
fn node_selector(v: &Node, out: &mut Out) {
    for (lk, lv) in v.entries() {
        if let (Some(label), Some(span)) = (lk.as_str(), lk.span()) {
            let value = lv.as_str().unwrap_or("");
            out.entry_with(
                label,
                span,
                vec![
                    format!("k8s-node-label:{label}={value}"),
                    format!("k8s-node-label:{label}"),
                ],
                (!value.is_empty()).then(|| format!("value `{value}`")),
            );
        }
    }
}

/// Node-affinity `matchExpressions`/`matchFields`: each expression's label, with its values.
fn match_expressions(v: &Node, out: &mut Out) {
    for expr in v.items() {
        let Some(label_node) = expr.get("key") else {
            continue;
        };
        let Some(label) = label_node.as_str() else {
            continue;
        };
        let values: Vec<&str> = expr
            .get("values")
            .map(|vs| vs.items().iter().filter_map(Node::as_str).collect())
            .unwrap_or_default();
        let mut keys: Vec<String> = values
            .iter()
            .map(|val| format!("k8s-node-label:{label}={val}"))
            .collect();
        keys.push(format!("k8s-node-label:{label}"));
        let detail = (!values.is_empty()).then(|| format!("values {}", values.join(", ")));
        if let Some(span) = label_node.span() {
            out.entry_with(label, span, keys, detail);
        }
    }
}

/// The variables of `env:`/`environment:` as a map (compose, workflows) or a list of
/// `name:` entries (Kubernetes); compose's `["NAME=value"]` list is read in [`walk`].
fn environment(v: &Node, ctx: &Ctx, out: &mut Out) {
    match v {
        Node::Map(entries) => {
            for (ek, _) in entries {
                if let (Some(name), Some(span)) = (ek.as_str(), ek.span()) {
                    if is_identifier(name) {
                        shell::env_fact(name, span, out);
                    }
                }
            }
        }
        Node::Seq(items) => {
            for item in items {
                if let Some(n) = item.get("name") {
                    if let (Some(name), Some(span)) = (n.as_str(), n.span()) {
                        if is_identifier(name) {
                            let span = n.mapped(ctx.text).map_or(span, |m| m.span(0..m.text.len()));
                            shell::env_fact(name, span, out);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// A workflow job's `runs-on:` runner labels (a label, a list, or `{group, labels}`).
fn runs_on(v: &Node, ctx: &Ctx, out: &mut Out) {
    let labels: Vec<&Node> = match v {
        Node::Seq(items) => items.iter().collect(),
        Node::Map(_) => {
            let mut l: Vec<&Node> = Vec::new();
            if let Some(labels) = v.get("labels") {
                match labels {
                    Node::Seq(items) => l.extend(items.iter()),
                    other => l.push(other),
                }
            }
            l.extend(v.get("group"));
            l
        }
        other => vec![other],
    };
    for label in labels {
        if let Some(s) = label.as_str().filter(|s| !s.trim().is_empty()) {
            scalar_entry(
                label,
                ctx,
                format!("gh-runner:{}", s.trim().to_ascii_lowercase()),
                out,
            );
        }
    }
}

/// A workflow step's `uses:`: the action (without its version), or a `docker://` image.
fn uses(v: &Node, ctx: &Ctx, out: &mut Out) {
    if let Some(s) = v.as_str() {
        let action = s.split('@').next().unwrap_or(s).trim();
        if !action.is_empty() && !action.starts_with("./") && !action.starts_with("docker://") {
            scalar_entry(
                v,
                ctx,
                format!("gh-action:{}", action.to_ascii_lowercase()),
                out,
            );
        } else if let Some(image) = action.strip_prefix("docker://") {
            scalar_entry(v, ctx, image_key(image), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::FactKind;

    fn facts(text: &str, lang: Lang, name: &str) -> (Vec<(String, String)>, usize) {
        let mut out = Out::default();
        extract(text, lang, Path::new(name), &mut out);
        let f = out
            .facts
            .into_iter()
            .map(|f| {
                let FactKind::Keys(k) = f.kind else {
                    unreachable!()
                };
                (k[0].clone(), text[f.span].to_string())
            })
            .collect();
        (f, out.warnings.len())
    }

    #[test]
    fn kubernetes_and_helm() {
        let text = "apiVersion: v1\nkind: Pod\nspec:\n  runtimeClassName: nvidia\n  nodeSelector:\n    cloud.google.com/gke-accelerator: nvidia-tesla-t4\n  tolerations:\n  - key: nvidia.com/gpu\n    operator: Exists\n  containers:\n  - name: c\n    image: \"{{ .Values.registry }}/nvcr.io/nvidia/pytorch:24.01-py3\"\n    env:\n    - name: NVIDIA_VISIBLE_DEVICES\n      value: all\n    resources:\n      limits:\n        nvidia.com/gpu: {{ .Values.gpus }}\n        cpu: 1\n{{- if .Values.x }}\n---\n{{- end }}\n";
        let (f, warnings) = facts(text, Lang::Yaml, "pod.yaml");
        assert_eq!(warnings, 0);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("container-runtime:nvidia", "nvidia"), "{f:?}");
        assert!(has(
            "k8s-node-label:cloud.google.com/gke-accelerator=nvidia-tesla-t4",
            "cloud.google.com/gke-accelerator"
        ));
        assert!(has("k8s-toleration:nvidia.com/gpu", "nvidia.com/gpu"));
        assert!(has("env:NVIDIA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"));
        assert!(has("k8s-resource:nvidia.com/gpu", "nvidia.com/gpu"));
        assert!(has("k8s-resource:cpu", "cpu"));
    }

    #[test]
    fn generic_yaml_without_triggers_is_skipped() {
        let (f, w) = facts("a: [1, 2\nimage: x\n", Lang::Yaml, "x.yml");
        assert!(f.is_empty());
        assert_eq!(w, 0);
        let (_, w) = facts("gpu: [1, 2\n", Lang::Yaml, "x.yml");
        assert_eq!(w, 1);
    }

    #[test]
    fn compose_and_workflow() {
        let compose = "services:\n  app:\n    image: nvidia/cuda:12.4.1-runtime-ubuntu22.04\n    runtime: nvidia\n    environment:\n      - NVIDIA_VISIBLE_DEVICES=all\n    deploy:\n      resources:\n        reservations:\n          devices:\n            - driver: nvidia\n              count: 1\n              capabilities: [gpu]\n";
        let (f, _) = facts(compose, Lang::Compose, "docker-compose.yml");
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has(
            "image:nvidia/cuda:12.4.1-runtime-ubuntu22.04",
            "nvidia/cuda:12.4.1-runtime-ubuntu22.04"
        ));
        assert!(has("gpu-device-driver:nvidia", "nvidia"));
        assert!(has("gpu-capability:gpu", "gpu"));
        assert!(has("env:NVIDIA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"));
        let wf = "on: push\njobs:\n  test:\n    runs-on: [self-hosted, linux.g5.4xlarge.nvidia.gpu]\n    steps:\n      - uses: Jimver/cuda-toolkit@v0.2.16\n        with:\n          cuda: '12.1.0'\n      - run: |\n          pip install cupy-cuda12x\n          nvcc --version  # nvcc -arch=sm_50\n";
        let (f, _) = facts(wf, Lang::GithubWorkflow, "ci.yml");
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(
            has(
                "gh-runner:linux.g5.4xlarge.nvidia.gpu",
                "linux.g5.4xlarge.nvidia.gpu"
            ),
            "{f:?}"
        );
        assert!(has(
            "gh-action:jimver/cuda-toolkit",
            "Jimver/cuda-toolkit@v0.2.16"
        ));
        assert!(has("pip:cupy-cuda12x", "cupy-cuda12x"));
        assert!(has("command:nvcc", "nvcc"));
        assert!(!f.iter().any(|(k, _)| k == "flag:-arch"));
    }

    #[test]
    fn conda_recipe() {
        let text = "package:\n  name: x\nrequirements:\n  build:\n    - {{ compiler('cuda') }}\n    - cuda-version ={{ cuda_version }}\n  host:\n    - cuda-cudart-dev\n";
        let (f, w) = facts(text, Lang::Yaml, "meta.yaml");
        assert_eq!(w, 0);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("conda-compiler:cuda", "compiler('cuda')"), "{f:?}");
        assert!(has("conda:cuda-cudart-dev", "cuda-cudart-dev"));
        assert!(has("conda:cuda-version", "cuda-version"));
    }
}
