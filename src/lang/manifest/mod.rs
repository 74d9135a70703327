//! Build files, dependency manifests, container and cluster files: CMake, Make, shell, Bazel,
//! Meson, requirements, pyproject, setup.cfg, Pipfile, conda, Cargo.toml, Dockerfiles, compose,
//! GitHub workflows and Kubernetes/Helm YAML.
//!
//! Every file kind has a real parser or a tokenizer that honours its comment and quoting rules;
//! nothing is found by a substring search. Each entry that might couple the project to CUDA
//! becomes a [`FactKind::Keys`] fact: the entry as written, and the keys the rules match it by
//! (`pip:cupy-cuda12x`, `image:nvidia/cuda:12.4.1-devel-ubuntu22.04`, `cmake-language:CUDA`).
//! The key vocabulary is documented in docs/manifests.md. A file that does not parse gives a
//! counted warning with its position, and whatever could be read before the error is still used.

mod bazel;
mod cargo;
mod cmake;
mod conda;
mod dockerfile;
mod make;
mod meson;
pub mod pep508;
mod pipfile;
mod pyproject;
mod requirements;
mod setup_cfg;
pub mod shell;
mod toml_util;
mod yaml;
mod yaml_files;

use super::{ExtractWarning, Extraction, Fact, FactKind, Lang};
use std::ops::Range;
use std::path::Path;

/// One thread's manifest parsers.
#[derive(Default)]
pub struct ManifestFrontEnd {
    starlark: Option<tree_sitter::Parser>,
}

impl ManifestFrontEnd {
    pub fn new() -> Self {
        ManifestFrontEnd::default()
    }

    pub fn extract(&mut self, text: &str, lang: Lang, path: &Path) -> Extraction {
        let mut out = Out::default();
        match lang {
            Lang::Cmake => cmake::extract(text, &mut out),
            Lang::Make => make::extract(text, &mut out),
            Lang::Shell => shell::extract_script(text, 0, &mut out),
            Lang::Bazel => {
                let parser = self.starlark.get_or_insert_with(|| {
                    let mut p = tree_sitter::Parser::new();
                    p.set_language(&tree_sitter_python::LANGUAGE.into())
                        .expect("the bundled tree-sitter-python grammar matches the runtime");
                    p
                });
                bazel::extract(parser, text, &mut out);
            }
            Lang::Meson => meson::extract(text, &mut out),
            Lang::Requirements => requirements::extract(text, &mut out),
            Lang::Pyproject => pyproject::extract(text, &mut out),
            Lang::SetupCfg => setup_cfg::extract(text, &mut out),
            Lang::Pipfile => pipfile::extract(text, &mut out),
            Lang::Cargo => cargo::extract(text, &mut out),
            Lang::Dockerfile => dockerfile::extract(text, &mut out),
            Lang::Conda => conda::extract(text, &mut out),
            Lang::Compose | Lang::GithubWorkflow | Lang::Yaml => {
                yaml_files::extract(text, lang, path, &mut out)
            }
            Lang::C
            | Lang::Cpp
            | Lang::Cuda
            | Lang::Python
            | Lang::Rust
            | Lang::Go
            | Lang::GoMod
            | Lang::Cython => {}
        }
        out.into_extraction()
    }
}

/// Facts and warnings collected from one file.
#[derive(Default)]
pub(crate) struct Out {
    facts: Vec<Fact>,
    warnings: Vec<ExtractWarning>,
    has_parse_errors: bool,
}

impl Out {
    /// Records an entry: `text` as written at `span`, matched by `keys` in order.
    pub(crate) fn entry(&mut self, text: &str, span: Range<usize>, keys: Vec<String>) {
        self.entry_with(text, span, keys, None);
    }

    pub(crate) fn entry_with(
        &mut self,
        text: &str,
        span: Range<usize>,
        keys: Vec<String>,
        detail: Option<String>,
    ) {
        if keys.is_empty() || text.is_empty() {
            return;
        }
        self.facts.push(Fact {
            kind: FactKind::Keys(keys),
            text: text.to_string(),
            span,
            detail,
            lang: None,
        });
    }

    /// A problem worth a counted warning; the file's remaining entries are still read.
    pub(crate) fn warn(
        &mut self,
        reason: crate::note::NoteReason,
        message: String,
        offset: Option<usize>,
    ) {
        self.has_parse_errors = true;
        self.warnings.push(ExtractWarning {
            reason,
            message,
            offset,
        });
    }

    pub(crate) fn into_extraction(self) -> Extraction {
        Extraction {
            facts: self.facts,
            has_parse_errors: self.has_parse_errors,
            warnings: self.warnings,
            ..Extraction::default()
        }
    }
}

/// A string built from pieces of a file, with the file offset of each of its bytes: a logical
/// line joined from continuation lines, or a string value whose quotes were removed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mapped {
    pub text: String,
    /// `map[i]` is the file offset of `text`'s byte `i`; one extra entry for the end.
    map: Vec<usize>,
}

impl Mapped {
    /// `text` found verbatim at `offset` in the file.
    pub fn verbatim(text: &str, offset: usize) -> Mapped {
        let mut m = Mapped::default();
        m.push_str(text, offset);
        m
    }

    pub fn push_str(&mut self, s: &str, offset: usize) {
        self.text.push_str(s);
        self.map.extend((0..s.len()).map(|i| offset + i));
    }

    /// Appends `s` whose bytes all stand for the one file position `offset` (an unescaped
    /// character, a joined line break).
    pub fn push_at(&mut self, s: &str, offset: usize) {
        self.text.push_str(s);
        self.map.extend(std::iter::repeat_n(offset, s.len()));
    }

    /// The file span of `range` (a byte range of `text`).
    pub fn span(&self, range: Range<usize>) -> Range<usize> {
        let start = self.offset(range.start);
        let end = if range.end > range.start {
            self.offset(range.end - 1) + 1
        } else {
            start
        };
        start..end.max(start)
    }

    pub fn offset(&self, i: usize) -> usize {
        match self.map.get(i) {
            Some(&o) => o,
            None => self.map.last().map_or(0, |&o| o + 1),
        }
    }

    pub fn slice(&self, range: Range<usize>) -> Mapped {
        Mapped {
            text: self.text[range.clone()].to_string(),
            map: self.map[range].to_vec(),
        }
    }

    /// `self` read from `outer`'s text (its offsets index `outer.text`), mapped to file offsets.
    pub fn through(&self, outer: &Mapped) -> Mapped {
        Mapped {
            text: self.text.clone(),
            map: self.map.iter().map(|&i| outer.offset(i)).collect(),
        }
    }

    pub fn trimmed(&self) -> Mapped {
        let start = self.text.len() - self.text.trim_start().len();
        let end = self.text.trim_end().len();
        if start >= end {
            return Mapped::default();
        }
        self.slice(start..end)
    }
}

/// Converts character indices (as YAML parsers report them) to byte offsets.
pub(crate) struct CharIndex {
    /// Byte offset of every character, for non-ASCII text; empty when the text is ASCII.
    offsets: Vec<usize>,
    len: usize,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        let offsets = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).collect()
        };
        CharIndex {
            offsets,
            len: text.len(),
        }
    }

    pub fn byte(&self, char_index: usize) -> usize {
        if self.offsets.is_empty() {
            char_index.min(self.len)
        } else {
            self.offsets.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

/// The last path component of a command or file (`/usr/local/cuda/bin/nvcc` → `nvcc`).
pub(crate) fn basename(word: &str) -> &str {
    word.rsplit(['/', '\\']).next().unwrap_or(word)
}

/// A container image reference as the rules match it: without the default registry
/// (`docker.io/`, `index.docker.io/`) and the `library/` namespace.
pub(crate) fn image_key(image: &str) -> String {
    let mut s = image.trim();
    for prefix in ["docker.io/", "index.docker.io/", "registry.hub.docker.com/"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
        }
    }
    if let Some(rest) = s.strip_prefix("library/") {
        s = rest;
    }
    format!("image:{s}")
}

/// A package index or download URL as the rules match it: without the scheme, credentials and
/// trailing slashes, host in lowercase (`pip-index:download.pytorch.org/whl/cu121`).
pub(crate) fn url_key(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(
        rest,
        |(creds, r)| {
            if creds.contains('/') { rest } else { r }
        },
    );
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return None;
    }
    let path = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    let host = host.to_ascii_lowercase();
    Some(if path.is_empty() {
        format!("pip-index:{host}")
    } else {
        format!("pip-index:{host}/{path}")
    })
}

/// Whether `s` looks like a URL (`scheme://…`), as opposed to a path or a name.
pub(crate) fn is_url(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_keys_drop_the_default_registry() {
        assert_eq!(
            image_key("docker.io/library/ubuntu:22.04"),
            "image:ubuntu:22.04"
        );
        assert_eq!(
            image_key("nvcr.io/nvidia/pytorch:24.01-py3"),
            "image:nvcr.io/nvidia/pytorch:24.01-py3"
        );
    }

    #[test]
    fn url_keys() {
        assert_eq!(
            url_key("https://download.pytorch.org/whl/cu121/").as_deref(),
            Some("pip-index:download.pytorch.org/whl/cu121")
        );
        assert_eq!(
            url_key("https://user:pw@PyPI.NVIDIA.com").as_deref(),
            Some("pip-index:pypi.nvidia.com")
        );
        assert!(is_url("git+https://github.com/x/y"));
        assert!(!is_url("./local/path"));
    }

    #[test]
    fn mapped_spans_follow_the_file() {
        let mut m = Mapped::default();
        m.push_str("abc", 10);
        m.push_at(" ", 13);
        m.push_str("def", 20);
        assert_eq!(m.span(4..7), 20..23);
        assert_eq!(m.span(1..5), 11..21);
    }
}
