//! Build files, dependency manifests, container and cluster files: CMake, Make, shell, Bazel,
//! Meson, requirements, pyproject, setup.cfg, Pipfile, conda, Cargo.toml, Dockerfiles, compose,
//! GitHub workflows and Kubernetes/Helm YAML.

use super::{Extraction, Lang};
use std::path::Path;

/// One thread's manifest parsers.
#[derive(Default)]
pub struct ManifestFrontEnd {}

impl ManifestFrontEnd {
    pub fn new() -> Self {
        ManifestFrontEnd {}
    }

    pub fn extract(&mut self, _text: &str, _lang: Lang, _path: &Path) -> Extraction {
        Extraction::default()
    }
}
