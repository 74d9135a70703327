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
//! `go.mod`: every `require` entry (single line and block) is a `go:MODULE` fact.

use super::cpp::CppFrontEnd;
use super::lexer::is_identifier;
use super::{ExtractWarning, Extraction, Fact, FactKind, Lang};
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

    /// The import declarations (top level only, as Go allows), and cgo preambles.
    fn imports(&mut self, root: Node, cpp: &mut CppFrontEnd) {
        let mut cursor = root.walk();
        let children: Vec<Node> = root.children(&mut cursor).collect();
        for (i, decl) in children.iter().enumerate() {
            if decl.kind() != "import_declaration" {
                continue;
            }
            let mut specs = Vec::new();
            let mut c = decl.walk();
            for child in decl.children(&mut c) {
                match child.kind() {
                    "import_spec" => specs.push(child),
                    "import_spec_list" => {
                        let mut c2 = child.walk();
                        specs.extend(
                            child
                                .children(&mut c2)
                                .filter(|n| n.kind() == "import_spec"),
                        );
                    }
                    _ => {}
                }
            }
            let mut has_c = false;
            for spec in specs {
                let Some(path_node) = spec.child_by_field_name("path") else {
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
                let local = match spec.child_by_field_name("name") {
                    Some(n) if n.kind() == "package_identifier" => {
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
            if node.kind() != "comment" {
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
        match node.kind() {
            "comment" | "import_declaration" => false,
            "interpreted_string_literal" | "raw_string_literal" => {
                self.string(node);
                false
            }
            "function_declaration" | "method_declaration" | "type_spec" | "type_alias" => {
                if let Some(name) = node.child_by_field_name("name") {
                    let name = self.text_of(name);
                    if !name.is_empty() && name != "_" {
                        self.out.defined.push(name.to_string());
                    }
                }
                true
            }
            "selector_expression" => {
                let operand = node.child_by_field_name("operand");
                let field = node.child_by_field_name("field");
                if let (Some(operand), Some(field)) = (operand, field) {
                    if operand.kind() == "identifier" {
                        self.qualified(operand, field);
                    }
                }
                true
            }
            "qualified_type" => {
                let package = node.child_by_field_name("package");
                let name = node.child_by_field_name("name");
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
        let Some(function) = call.child_by_field_name("function") else {
            return;
        };
        let callee = match function.kind() {
            "identifier" => Some(function),
            "selector_expression" => function.child_by_field_name("field"),
            _ => None,
        };
        let Some(callee) = callee else {
            return;
        };
        if !LOOKUP_CALLS.contains(&self.text_of(callee)) {
            return;
        }
        let Some(args) = call.child_by_field_name("arguments") else {
            return;
        };
        let mut cursor = args.walk();
        for arg in args.named_children(&mut cursor) {
            let literal = match arg.kind() {
                "interpreted_string_literal" | "raw_string_literal" => Some(arg),
                // `C.CString("cuInit")`
                "call_expression" => arg
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0))
                    .filter(|a| {
                        matches!(
                            a.kind(),
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
    let quote = match node.kind() {
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

// ----- go.mod ------------------------------------------------------------------------------------

/// The directives `go.mod` knows (cmd/go's modfile); another word at the start of a line is an
/// error for the go command.
const GO_MOD_DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "exclude",
    "replace",
    "retract",
    "tool",
    "ignore",
];

/// A token of a `go.mod` line: a word or quoted string (unquoted), or `(`/`)`.
#[derive(Debug)]
struct ModToken {
    text: String,
    span: Range<usize>,
}

/// One logical line: its tokens and its trailing comment.
struct ModLine {
    tokens: Vec<ModToken>,
    comment: Option<String>,
    start: usize,
}

/// Reads `go.mod`: every `require` entry becomes a `go:MODULE` fact. A malformed file yields a
/// `malformed-go-mod` warning; the entries read before and after the problem are kept.
pub fn extract_go_mod(text: &str) -> Extraction {
    let mut out = Extraction::default();
    let mut warn = |out: &mut Extraction, message: String, offset: usize| {
        out.has_parse_errors = true;
        // One warning per file is enough to count it.
        if out.warnings.is_empty() {
            out.warnings.push(ExtractWarning {
                reason: "malformed-go-mod",
                message,
                offset: Some(offset),
            });
        }
    };
    let mut block: Option<(String, usize)> = None;
    for line in mod_lines(text, &mut |msg, off| warn(&mut out, msg, off)) {
        let toks = &line.tokens;
        if toks.is_empty() {
            continue;
        }
        if let Some((verb, _)) = &block {
            if toks[0].text == ")" && toks.len() == 1 {
                block = None;
                continue;
            }
            let verb = verb.clone();
            mod_entry(&verb, toks, &line, &mut out, &mut warn);
            continue;
        }
        let verb = toks[0].text.as_str();
        if !GO_MOD_DIRECTIVES.contains(&verb) {
            warn(
                &mut out,
                format!("unknown directive `{verb}`"),
                toks[0].span.start,
            );
            continue;
        }
        if toks.len() == 2 && toks[1].text == "(" {
            block = Some((verb.to_string(), line.start));
            continue;
        }
        mod_entry(verb, &toks[1..], &line, &mut out, &mut warn);
    }
    if let Some((verb, start)) = block {
        warn(&mut out, format!("`{verb} (` block is not closed"), start);
    }
    out
}

fn mod_entry(
    verb: &str,
    args: &[ModToken],
    line: &ModLine,
    out: &mut Extraction,
    warn: &mut impl FnMut(&mut Extraction, String, usize),
) {
    if verb != "require" {
        return;
    }
    let Some(path) = args.first() else {
        return;
    };
    if args.len() != 2 || path.text == "(" || path.text == ")" {
        warn(
            out,
            "a `require` entry needs a module path and a version".to_string(),
            path.span.start,
        );
        if path.text == "(" || path.text == ")" {
            return;
        }
    }
    let indirect = line
        .comment
        .as_deref()
        .is_some_and(|c| c.split(';').any(|p| p.trim() == "indirect"));
    out.facts.push(Fact {
        kind: FactKind::Keys(vec![format!("go:{}", path.text)]),
        text: path.text.clone(),
        span: path.span.clone(),
        detail: indirect.then(|| "indirect".to_string()),
        lang: None,
    });
}

/// Splits `go.mod` into lines of tokens, honouring `//` comments and `"…"`/`` `…` `` quotes.
fn mod_lines(text: &str, warn: &mut impl FnMut(String, usize)) -> Vec<ModLine> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut line = ModLine {
        tokens: Vec::new(),
        comment: None,
        start: 0,
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                let next_start = i + 1;
                lines.push(std::mem::replace(
                    &mut line,
                    ModLine {
                        tokens: Vec::new(),
                        comment: None,
                        start: next_start,
                    },
                ));
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                line.comment = Some(text[i + 2..end].trim().to_string());
                i = end;
            }
            b'(' | b')' => {
                line.tokens.push(ModToken {
                    text: (b as char).to_string(),
                    span: i..i + 1,
                });
                i += 1;
            }
            b'"' | b'`' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < bytes.len() && bytes[j] != b'\n' {
                    if b == b'"' && bytes[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if bytes[j] == b {
                        closed = true;
                        break;
                    }
                    j += 1;
                }
                let end = j.min(bytes.len());
                if !closed {
                    warn("unterminated string".to_string(), i);
                    i = end;
                    continue;
                }
                let inner = &text[i + 1..end];
                line.tokens.push(ModToken {
                    text: inner.to_string(),
                    span: i + 1..end,
                });
                i = end + 1;
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b'"' | b'`'
                    )
                    && !(bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'/'))
                {
                    i += 1;
                }
                line.tokens.push(ModToken {
                    text: text[start..i].to_string(),
                    span: start..i,
                });
            }
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(src: &str) -> Extraction {
        let mut cpp = CppFrontEnd::new();
        GoFrontEnd::new().extract(src, &mut cpp)
    }

    fn texts(x: &Extraction) -> Vec<String> {
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

    #[test]
    fn go_mod_requires() {
        let text = "module example.com/x\n\ngo 1.22\n\nrequire github.com/NVIDIA/go-nvml v0.12.0-1\n\nrequire (\n\tgithub.com/NVIDIA/go-nvlib v0.7.0 // indirect\n\t\"k8s.io/api\" v0.30.0\n)\n\nreplace github.com/NVIDIA/go-nvml => ../go-nvml\n";
        let x = extract_go_mod(text);
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        let got: Vec<(String, &str, Option<String>)> = x
            .facts
            .iter()
            .map(|f| (texts_of(f), &text[f.span.clone()], f.detail.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "go:github.com/NVIDIA/go-nvml".into(),
                    "github.com/NVIDIA/go-nvml",
                    None
                ),
                (
                    "go:github.com/NVIDIA/go-nvlib".into(),
                    "github.com/NVIDIA/go-nvlib",
                    Some("indirect".into())
                ),
                ("go:k8s.io/api".into(), "k8s.io/api", None),
            ]
        );
    }

    fn texts_of(f: &Fact) -> String {
        match &f.kind {
            FactKind::Keys(k) => k.join(","),
            _ => f.text.clone(),
        }
    }

    #[test]
    fn malformed_go_mod_warns_and_keeps_entries() {
        let x = extract_go_mod(
            "module x\nrequire (\n\tgithub.com/NVIDIA/go-nvml v0.12.0\n\tbroken\n\"unterminated\n",
        );
        assert_eq!(x.warnings.len(), 1);
        assert_eq!(x.warnings[0].reason, "malformed-go-mod");
        assert!(
            x.facts
                .iter()
                .any(|f| f.text == "github.com/NVIDIA/go-nvml")
        );
        let x = extract_go_mod("modul x\n");
        assert_eq!(x.warnings.len(), 1);
        for text in [
            "",
            "(",
            ")",
            "require",
            "require (",
            "require )\n)",
            "\"",
            "`",
            "//",
            "require \"a",
        ] {
            let _ = extract_go_mod(text);
        }
    }
}
