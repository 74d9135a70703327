//! Go imports: each import path (a `go:PATH` fact) and the local name it binds, and the cgo
//! preamble of `import "C"` (the comment right before it), parsed as C.

use super::{Walker, string_value};
use crate::lang::cpp::CppFrontEnd;
use crate::lang::node_names::NodeNames;
use crate::lang::{Fact, FactKind, Lang};
use tree_sitter::Node;

impl Walker<'_> {
    /// The import declarations (top level only, as Go allows), and cgo preambles.
    pub(super) fn imports(&mut self, root: Node, cpp: &mut CppFrontEnd) {
        let mut cursor = root.walk();
        let children: Vec<Node> = root.children(&mut cursor).collect();
        for (i, decl) in children.iter().enumerate() {
            if decl.kind_name() != "import_declaration" {
                continue;
            }
            let mut specs = Vec::new();
            let mut c = decl.walk();
            for child in decl.children(&mut c) {
                match child.kind_name() {
                    "import_spec" => specs.push(child),
                    "import_spec_list" => {
                        let mut c2 = child.walk();
                        specs.extend(
                            child
                                .children(&mut c2)
                                .filter(|n| n.kind_name() == "import_spec"),
                        );
                    }
                    _ => {}
                }
            }
            let mut has_c = false;
            for spec in specs {
                let Some(path_node) = spec.field("path") else {
                    continue;
                };
                let Some((path, span)) = string_value(path_node, self.text) else {
                    continue;
                };
                if path == "C" {
                    has_c = true;
                    continue;
                }
                if path.is_empty() {
                    continue;
                }
                let local = match spec.field("name") {
                    Some(n) if n.kind_name() == "package_identifier" => {
                        Some(self.text_of(n).to_string())
                    }
                    Some(_) => None, // `_` or `.`: nothing to resolve through
                    None => Some(package_name(&path).to_string()),
                };
                if let Some(local) = local.filter(|l| !l.is_empty()) {
                    self.imports.insert(local, path.clone());
                }
                self.push(
                    FactKind::Keys(vec![format!("go:{path}")]),
                    &path,
                    span,
                    None,
                );
            }
            if has_c {
                self.cgo = true;
                self.preamble(&children[..i], decl.start_byte(), cpp);
            }
        }
    }

    /// Parses the comment group right before `import "C"` (its cgo preamble) as C.
    fn preamble(&mut self, before: &[Node], import_start: usize, cpp: &mut CppFrontEnd) {
        let mut group: Vec<Node> = Vec::new();
        let mut next_start = import_start;
        for node in before.iter().rev() {
            if node.kind_name() != "comment" {
                break;
            }
            let gap = self.text.get(node.end_byte()..next_start).unwrap_or("");
            if gap.chars().filter(|&c| c == '\n').count() > 1 || !gap.trim().is_empty() {
                break;
            }
            group.push(*node);
            next_start = node.start_byte();
        }
        let (Some(first), Some(last)) = (group.last(), group.first()) else {
            return;
        };
        let region = first.start_byte()..last.end_byte();
        let Some(raw) = self.text.get(region.clone()) else {
            return;
        };
        // Comment markers become blanks, so offsets inside the preamble are offsets in the file.
        let mut bytes = raw.as_bytes().to_vec();
        for c in &group {
            let s = c.start_byte() - region.start;
            let e = c.end_byte() - region.start;
            if bytes[s..e].starts_with(b"/*") {
                bytes[s] = b' ';
                bytes[s + 1] = b' ';
                if e - s >= 4 && bytes[s..e].ends_with(b"*/") {
                    bytes[e - 2] = b' ';
                    bytes[e - 1] = b' ';
                }
            } else if bytes[s..e].starts_with(b"//") {
                bytes[s] = b' ';
                bytes[s + 1] = b' ';
            }
        }
        let Ok(source) = String::from_utf8(bytes) else {
            return;
        };
        if source.trim().is_empty() {
            return;
        }
        let inner = cpp.extract(&source, Lang::Cuda);
        if inner.skip.is_some() {
            return;
        }
        // The preamble's own declarations (`typedef int CUdevice;`) restate the CUDA API: they
        // are not the project's names, so they do not go to `defined`; its prototypes declare,
        // they do not use.
        self.out.declarations.extend(
            inner
                .declarations
                .iter()
                .map(|d| d.start + region.start..d.end + region.start),
        );
        for f in inner.facts {
            self.out.facts.push(Fact {
                kind: f.kind,
                text: f.text,
                span: f.span.start + region.start..f.span.end + region.start,
                detail: Some(match f.detail {
                    Some(d) => format!("{d}; cgo preamble"),
                    None => "cgo preamble".to_string(),
                }),
                lang: Some(f.lang.unwrap_or(Lang::Cuda)),
            });
        }
    }
}

/// The package name an import binds by default: the last path element, without a major-version
/// element (`…/v2`) or a gopkg.in-style `.vN` suffix.
fn package_name(path: &str) -> &str {
    let mut parts = path.rsplit('/');
    let mut last = parts.next().unwrap_or(path);
    let is_major =
        |s: &str| s.len() > 1 && s.starts_with('v') && s[1..].bytes().all(|b| b.is_ascii_digit());
    if is_major(last) {
        if let Some(prev) = parts.next() {
            last = prev;
        }
    }
    if let Some((base, ver)) = last.rsplit_once('.') {
        if is_major(ver) {
            last = base;
        }
    }
    last.strip_prefix("go-").unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{go, texts};
    use super::*;

    #[test]
    fn cgo_preamble_and_calls() {
        let src = "package cuda\n\n/*\n#include <cuda.h>\ntypedef int CUdevice;\n*/\nimport \"C\"\n\nfunc f() { C.cuInit(0); var d C.CUdevice; _ = d }\n";
        let x = go(src);
        let inc = x
            .facts
            .iter()
            .find(|f| f.kind == FactKind::Include)
            .unwrap();
        assert_eq!(inc.text, "cuda.h");
        assert_eq!(&src[inc.span.clone()], "cuda.h");
        let init = x.facts.iter().find(|f| f.text == "cuInit").unwrap();
        assert_eq!(init.lang, Some(Lang::Cuda));
        assert_eq!(&src[init.span.clone()], "cuInit");
        assert!(
            x.facts
                .iter()
                .any(|f| f.text == "CUdevice" && f.span.start > 60)
        );
        assert!(!x.defined.contains(&"CUdevice".to_string()));
        // Without `import "C"`, `C.x` is nothing and comments are comments.
        let t = texts(&go(
            "package p\n// #include <cuda.h>\nfunc f() { C.cuInit(0) }\n",
        ));
        assert!(t.is_empty(), "{t:?}");
    }

    #[test]
    fn line_comment_preamble() {
        let src = "package p\n\n// #include <nvml.h>\n// #cgo LDFLAGS: -lnvidia-ml\nimport \"C\"\n";
        let x = go(src);
        let inc = x
            .facts
            .iter()
            .find(|f| f.kind == FactKind::Include)
            .unwrap();
        assert_eq!(&src[inc.span.clone()], "nvml.h");
        // A blank line between comment and import: no preamble.
        let x = go("package p\n\n// #include <nvml.h>\n\nimport \"C\"\n");
        assert!(x.facts.is_empty());
    }

    #[test]
    fn package_names() {
        assert_eq!(package_name("github.com/NVIDIA/go-nvml/pkg/nvml"), "nvml");
        assert_eq!(package_name("github.com/foo/bar/v2"), "bar");
        assert_eq!(package_name("gopkg.in/yaml.v3"), "yaml");
        assert_eq!(package_name("github.com/NVIDIA/go-dcgm"), "dcgm");
        assert_eq!(package_name("fmt"), "fmt");
    }
}
