//! The Go front end (tree-sitter-go) and the `go.mod` reader.
//!
//! Go code reaches NVIDIA GPUs through Go packages (go-nvml, go-nvlib, go-dcgm …), through cgo
//! (a C preamble in the comment before `import "C"`, then `C.cuInit(…)`), and through libraries
//! opened and symbols looked up at run time (`dl.New("libcuda.so.1")`, `lib.Lookup("cuInit")`).
//! The facts (docs/go.md):
//!
//! | code | fact | key / matched as |
//! | --- | --- | --- |
//! | `import "github.com/NVIDIA/go-nvml/pkg/nvml"` | the path | `go:PATH` |
//! | `nvml.Init()`, `nvml.Device` (through an import's local name) | `nvml.Init` | `go:PATH.Init` |
//! | `lib.Lookup("cuInit")`, `dlsym(h, "nvmlInit_v2")` and friends | `cuInit` | a C-family name |
//! | `"libcuda.so.1"`, `"nvml.dll"` (a string that is a shared-library file name) | the string | `shared-lib:NAME` |
//! | `"/dev/nvidia%d"`, `"/dev/nvidiactl"` | the string | `device-path:PATH` |
//! | `"nvidia.com/gpu"`, `"nvidia.com/mig-1g.5gb"` | the string | `k8s-resource:NAME` |
//! | cgo: the preamble of `import "C"` | C-family facts of the preamble | C-family rules |
//! | cgo: `C.cuInit(…)`, `C.CUdevice` | `cuInit`, `CUdevice` | a C-family name |
//!
//! Comments (other than a cgo preamble) are never read. String literals are read only in the
//! three shapes above, whose text *is* the coupling (a device node, a Kubernetes resource, a
//! library or symbol name), never otherwise. Methods called on values (`device.GetUUID()`) are
//! not resolved: that needs type information.
//!
//! The parts: this module walks a file's tree (qualified names, looked-up symbols, strings);
//! `imports` reads the import declarations and cgo preambles; `go_mod` reads `go.mod`.

mod go_mod;
mod imports;

use crate::lang::node_names::NodeNames;
pub use go_mod::extract_go_mod;

use super::cpp::CppFrontEnd;
use super::lexer::is_identifier;
use super::{Extraction, Fact, FactKind, Lang};
use std::collections::HashMap;
use std::ops::Range;
use tree_sitter::{Node, Parser};

/// Calls whose string arguments name a symbol looked up at run time.
const LOOKUP_CALLS: &[&str] = &[
    "Lookup",
    "LookupSymbol",
    "Sym",
    "Symbol",
    "Dlsym",
    "dlsym",
    "RegisterLibFunc",
    "NewProc",
    "FindProc",
    "MustFindProc",
    "GetProcAddress",
];

/// A reusable Go parser (one per thread).
pub struct GoFrontEnd {
    parser: Parser,
    /// How long one parse may take before the file is skipped.
    pub budget: std::time::Duration,
}

impl Default for GoFrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl GoFrontEnd {
    pub fn new() -> Self {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_go::LANGUAGE.into())
            .expect("the bundled tree-sitter-go grammar matches the tree-sitter runtime");
        GoFrontEnd {
            parser,
            budget: super::DEFAULT_PARSE_BUDGET,
        }
    }

    /// Parses one Go file. `cpp` parses a cgo preamble.
    pub fn extract(&mut self, text: &str, cpp: &mut CppFrontEnd) -> Extraction {
        let tree = match super::parse_within(&mut self.parser, text, self.budget) {
            Ok(tree) => tree,
            Err(skip) => {
                return Extraction {
                    skip: Some(skip),
                    ..Extraction::default()
                };
            }
        };
        let root = tree.root_node();
        let mut walker = Walker {
            text,
            out: Extraction::default(),
            imports: HashMap::new(),
            cgo: false,
        };
        walker.imports(root, cpp);
        walker.walk(root);
        walker.out.has_parse_errors = root.has_error();
        walker.out
    }
}

struct Walker<'t> {
    text: &'t str,
    out: Extraction,
    /// Local package name → import path.
    imports: HashMap<String, String>,
    /// Whether the file imports "C" (cgo).
    cgo: bool,
}

impl<'t> Walker<'t> {
    fn text_of(&self, node: Node) -> &'t str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    fn push(&mut self, kind: FactKind, text: &str, span: Range<usize>, lang: Option<Lang>) {
        self.out.facts.push(Fact {
            kind,
            text: text.to_string(),
            span,
            detail: None,
            lang,
        });
    }

    fn walk(&mut self, root: Node) {
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            if self.visit(node) && cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
            }
        }
    }

    /// Handles one node; returns whether to descend into its children.
    fn visit(&mut self, node: Node) -> bool {
        match node.kind_name() {
            "comment" | "import_declaration" => false,
            "interpreted_string_literal" | "raw_string_literal" => {
                self.string(node);
                false
            }
            "function_declaration" | "method_declaration" | "type_spec" | "type_alias" => {
                if let Some(name) = node.field("name") {
                    let name = self.text_of(name);
                    if !name.is_empty() && name != "_" {
                        self.out.defined.push(name.to_string());
                    }
                }
                true
            }
            "selector_expression" => {
                let operand = node.field("operand");
                let field = node.field("field");
                if let (Some(operand), Some(field)) = (operand, field) {
                    if operand.kind_name() == "identifier" {
                        self.qualified(operand, field);
                    }
                }
                true
            }
            "qualified_type" => {
                let package = node.field("package");
                let name = node.field("name");
                if let (Some(package), Some(name)) = (package, name) {
                    self.qualified(package, name);
                }
                false
            }
            "call_expression" => {
                self.lookup_call(node);
                true
            }
            _ => true,
        }
    }

    /// `pkg.Name` where `pkg` is an import's local name (or `C` in a cgo file).
    fn qualified(&mut self, package: Node, name: Node) {
        let pkg = self.text_of(package);
        let field = self.text_of(name);
        if field.is_empty() {
            return;
        }
        if pkg == "C" && self.cgo {
            self.push(FactKind::Name, field, name.byte_range(), Some(Lang::Cuda));
            return;
        }
        if let Some(path) = self.imports.get(pkg) {
            let key = format!("go:{path}.{field}");
            let text = format!("{pkg}.{field}");
            self.push(
                FactKind::Keys(vec![key]),
                &text,
                package.start_byte()..name.end_byte(),
                None,
            );
        }
    }

    /// `lib.Lookup("cuInit")`, `dlsym(h, "x")`, `C.dlsym(h, C.CString("x"))`: the looked-up
    /// names, matched as C-family names.
    fn lookup_call(&mut self, call: Node) {
        let Some(function) = call.field("function") else {
            return;
        };
        let callee = match function.kind_name() {
            "identifier" => Some(function),
            "selector_expression" => function.field("field"),
            _ => None,
        };
        let Some(callee) = callee else {
            return;
        };
        if !LOOKUP_CALLS.contains(&self.text_of(callee)) {
            return;
        }
        let Some(args) = call.field("arguments") else {
            return;
        };
        let mut cursor = args.walk();
        for arg in args.named_children(&mut cursor) {
            let literal = match arg.kind_name() {
                "interpreted_string_literal" | "raw_string_literal" => Some(arg),
                // `C.CString("cuInit")`
                "call_expression" => arg
                    .field("arguments")
                    .and_then(|a| a.named_child(0))
                    .filter(|a| {
                        matches!(
                            a.kind_name(),
                            "interpreted_string_literal" | "raw_string_literal"
                        )
                    }),
                _ => None,
            };
            if let Some((value, span)) = literal.and_then(|l| string_value(l, self.text)) {
                if is_identifier(&value) {
                    self.push(FactKind::Name, &value, span, Some(Lang::Cuda));
                }
            }
        }
    }

    /// A string literal whose text is a device path, a Kubernetes resource or a library name.
    fn string(&mut self, node: Node) {
        let Some((value, span)) = string_value(node, self.text) else {
            return;
        };
        let key = if value.starts_with("/dev/nvidia") {
            format!("device-path:{value}")
        } else if is_nvidia_resource(&value) {
            format!("k8s-resource:{value}")
        } else if is_shared_library(&value) {
            format!("shared-lib:{value}")
        } else {
            return;
        };
        self.push(FactKind::Keys(vec![key]), &value, span, None);
    }
}

/// The value of a string literal without escapes, and the span of its content. Literals with
/// escape sequences are left alone (no name, path or resource this front end reads has one).
fn string_value(node: Node, text: &str) -> Option<(String, Range<usize>)> {
    let raw = text.get(node.byte_range())?;
    let quote = match node.kind_name() {
        "interpreted_string_literal" => '"',
        "raw_string_literal" => '`',
        _ => return None,
    };
    if raw.len() < 2 || !raw.starts_with(quote) || !raw.ends_with(quote) {
        return None;
    }
    let inner = &raw[1..raw.len() - 1];
    if quote == '"' && inner.contains('\\') {
        return None;
    }
    let start = node.start_byte() + 1;
    Some((inner.to_string(), start..start + inner.len()))
}

/// `nvidia.com/gpu`, `nvidia.com/gpu.shared`, `nvidia.com/mig-1g.5gb`: extended resources the
/// NVIDIA device plugin advertises.
fn is_nvidia_resource(s: &str) -> bool {
    match s.strip_prefix("nvidia.com/") {
        Some("gpu" | "gpu.shared") => true,
        Some(rest) => {
            rest.starts_with("mig-")
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'%'))
        }
        None => false,
    }
}

/// A shared-library file name: `libNAME.so`, `libNAME.so.1`, `NAME.dll`.
fn is_shared_library(s: &str) -> bool {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'.'))
    };
    if let Some(stem) = s.strip_suffix(".dll").or_else(|| s.strip_suffix(".DLL")) {
        return name_ok(stem) && !stem.contains('.');
    }
    let Some(rest) = s.strip_prefix("lib") else {
        return false;
    };
    let Some((stem, version)) = rest.split_once(".so") else {
        return false;
    };
    name_ok(stem)
        && (version.is_empty()
            || version.strip_prefix('.').is_some_and(|v| {
                !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            }))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn go(src: &str) -> Extraction {
        let mut cpp = CppFrontEnd::new();
        GoFrontEnd::new().extract(src, &mut cpp)
    }

    pub(super) fn texts(x: &Extraction) -> Vec<String> {
        x.facts
            .iter()
            .map(|f| match &f.kind {
                FactKind::Keys(k) => k.join(","),
                FactKind::Name => format!("name:{}", f.text),
                FactKind::Include => format!("include:{}", f.text),
                other => format!("{other:?}:{}", f.text),
            })
            .collect()
    }

    #[test]
    fn imports_and_uses() {
        let src = r#"package main

import (
	"fmt"
	nv "github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvlib/pkg/nvlib/device"
	_ "github.com/NVIDIA/go-dcgm/pkg/dcgm"
)

func main() {
	ret := nv.Init()
	var d nv.Device
	x := device.New(nil)
	fmt.Println(ret, d, x, d.GetUUID())
}
"#;
        let x = go(src);
        let t = texts(&x);
        assert!(
            t.contains(&"go:github.com/NVIDIA/go-nvml/pkg/nvml".to_string()),
            "{t:?}"
        );
        assert!(
            t.contains(&"go:github.com/NVIDIA/go-nvml/pkg/nvml.Init".to_string()),
            "{t:?}"
        );
        assert!(
            t.contains(&"go:github.com/NVIDIA/go-nvml/pkg/nvml.Device".to_string()),
            "{t:?}"
        );
        assert!(
            t.contains(&"go:github.com/NVIDIA/go-nvlib/pkg/nvlib/device.New".to_string()),
            "{t:?}"
        );
        assert!(
            t.contains(&"go:github.com/NVIDIA/go-dcgm/pkg/dcgm".to_string()),
            "{t:?}"
        );
        assert!(t.contains(&"go:fmt.Println".to_string()), "{t:?}");
        assert!(!t.iter().any(|s| s.contains("GetUUID")), "{t:?}");
        let init = x.facts.iter().find(|f| f.text == "nv.Init").unwrap();
        assert_eq!(&src[init.span.clone()], "nv.Init");
        assert_eq!(x.defined, vec!["main"]);
    }

    #[test]
    fn strings_only_in_their_shapes() {
        let src = r#"package p

// "/dev/nvidia0" and lib.Lookup("cuInit") in a comment
const lib = "libcuda.so.1"

func f() {
	_ = fmt.Sprintf("/dev/nvidia%d", 0)
	_ = "nvidia.com/gpu"
	_ = "nvidia.com/mig-1g.5gb"
	_ = "nvidia.com/gpu.product"
	_ = "cuInit is a word"
	_ = "cudaMalloc"
	h.Lookup("cuInit")
	dlsym(h, "nvmlInit_v2")
	C.dlsym(h, C.CString("cuDeviceGet"))
	_ = "libfoo.so.x"
	_ = `nvml.dll`
}
"#;
        let t = texts(&go(src));
        assert_eq!(
            t.iter()
                .filter(|s| !s.starts_with("go:"))
                .cloned()
                .collect::<Vec<_>>(),
            vec![
                "shared-lib:libcuda.so.1",
                "device-path:/dev/nvidia%d",
                "k8s-resource:nvidia.com/gpu",
                "k8s-resource:nvidia.com/mig-1g.5gb",
                "name:cuInit",
                "name:nvmlInit_v2",
                "name:cuDeviceGet",
                "shared-lib:nvml.dll",
            ],
        );
    }

    #[test]
    fn weird_input_does_not_panic() {
        for src in [
            "",
            "package",
            "import \"",
            "import \"C",
            "/*",
            "/* */import \"C\"",
            "//\nimport \"C\"",
            "package p\nimport \"C\"\nfunc f() { C. }",
            "package p\nfunc f() { x.Lookup(\"unterminated) }",
            "package p\nvar s = \"\\\"/dev/nvidia0\"",
            "\u{feff}package é\nimport (\n\"github.com/NVIDIA/go-nvml/pkg/nvml\"\n",
        ] {
            let _ = go(src);
        }
    }
}
