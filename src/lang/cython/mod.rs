//! The Cython front end (`.pyx`, `.pxd`, `.pxi`): a token scanner, not a grammar.
//!
//! No maintained Cython grammar is published on crates.io (tree-sitter-cython lives on GitHub and
//! npm only, and vendored generated parsers are not taken), and what cuda-audit needs from Cython
//! is shallow: which C headers a file declares from, which CUDA names it uses outside those
//! declarations, which modules it imports and which names it defines. So the file is split into
//! Python tokens — comments and every string form skipped, brackets and backslashes joining
//! lines — and read one logical line at a time with its indentation (docs/cython.md):
//!
//! | code | fact | matched as |
//! | --- | --- | --- |
//! | `cdef extern from "cuda_runtime.h" nogil:` | `cuda_runtime.h` (include) | C-family include rules |
//! | the indented block under it (prototypes, `ctypedef`s, enums, struct fields) | nothing: declarations, not uses | |
//! | `status = cudaMalloc(&ptr, size)`, `cdef cudaStream_t s`, `cyruntime.cudaFree(p)` | `cudaMalloc`, `cudaStream_t`, `cudaFree` | C-family names |
//! | `cimport a.b`, `import a.b as c`, `from a.b cimport x`, `from a import *` | `a.b`, `a.b`, `a.b.x`, `a` | Python names |
//! | `def f`, `cdef int f(…)`, `cpdef g`, `class C`, `cdef class C`, `ctypedef T name`, `X = …`, enum members | defined | |
//!
//! An attribute (`x.cudaMalloc`) is a name only when `x` is an imported module (`cyruntime`
//! from `from cuda.bindings cimport cyruntime`); otherwise it is a member of a value.
//! Relative imports (`from . cimport x`) are the project's own modules and are not reported.
//!
//! The tokenizer is `tokens`; this module reads its lines.

mod tokens;

use super::{Extraction, Fact, FactKind, Lang};
use std::collections::HashSet;
use std::ops::Range;
use tokens::{Line, Tok, Token, tokenize};

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "cdef", "cpdef", "ctypedef", "cimport", "extern", "struct", "union", "enum",
    "fused", "inline", "nogil", "gil", "noexcept", "public", "api", "readonly", "packed",
    "cppclass", "include", "DEF", "IF", "ELIF", "ELSE", "print", "exec",
    // C type keywords (no rule names them; they are not the file's names either).
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "const",
    "volatile", "bint",
];

/// Extracts the facts of one Cython file. Never panics, whatever the input.
pub fn extract(text: &str) -> Extraction {
    let lines = tokenize(text);
    let mut r = Reader {
        text,
        out: Extraction::default(),
        modules: HashSet::new(),
        scopes: Vec::new(),
        indent: 0,
    };
    // Indentation of the `cdef extern` (or enum) line whose block we are in.
    let mut extern_block: Option<usize> = None;
    let mut enum_block: Option<usize> = None;
    let mut cdef_block: Option<usize> = None;
    for line in &lines {
        if extern_block.is_some_and(|i| line.indent > i) {
            continue;
        }
        extern_block = None;
        // Leaving a function body: its parameters and locals go out of scope.
        while r.scopes.last().is_some_and(|(i, _)| *i >= line.indent) {
            r.scopes.pop();
        }
        r.indent = line.indent;
        if let Some(i) = enum_block {
            if line.indent > i {
                r.enum_member(line);
                continue;
            }
            enum_block = None;
        }
        let block = match cdef_block {
            Some(i) if line.indent > i => r.declare(&line.tokens),
            _ => {
                cdef_block = None;
                r.statement(line)
            }
        };
        match block {
            Block::Extern => extern_block = Some(line.indent),
            Block::Enum => enum_block = Some(line.indent),
            Block::Cdef => cdef_block = Some(line.indent),
            Block::Other => {}
        }
    }
    r.out
}

enum Block {
    Extern,
    Enum,
    /// `cdef:`: each line of the block is a declaration.
    Cdef,
    Other,
}

struct Reader<'t> {
    text: &'t str,
    out: Extraction,
    /// Local names bound by imports.
    modules: HashSet<String>,
    /// Function bodies we are in: the indentation of the `def` line and the parameters and
    /// locals, which are the function's own names, not CUDA's (`int blockDim` in a wrapper).
    scopes: Vec<(usize, HashSet<String>)>,
    /// Indentation of the line being read.
    indent: usize,
}

impl<'t> Reader<'t> {
    fn word(&self, t: &Token) -> &'t str {
        self.text.get(t.span.clone()).unwrap_or("")
    }

    fn is(&self, t: Option<&Token>, word: &str) -> bool {
        t.is_some_and(|t| self.word(t) == word)
    }

    fn push(&mut self, kind: FactKind, text: String, span: Range<usize>, lang: Lang) {
        self.out.facts.push(Fact {
            kind,
            text,
            span,
            detail: None,
            lang: Some(lang),
        });
    }

    /// A name the file defines: a local of the enclosing function, or else a file-level name.
    fn define(&mut self, t: &Token) {
        let w = self.word(t);
        if t.kind == Tok::Ident && !KEYWORDS.contains(&w) {
            match self.scopes.last_mut() {
                Some((_, locals)) => {
                    locals.insert(w.to_string());
                }
                None => self.out.defined.push(w.to_string()),
            }
        }
    }

    /// A function's parameter list (from its `(`) and what follows: each parameter's name (the
    /// last identifier before its `=`) is a local of the body; types and defaults are uses.
    fn params(&mut self, toks: &[Token]) {
        let mut depth = 0usize;
        let mut close = toks.len();
        for (j, t) in toks.iter().enumerate() {
            match self.word(t) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        close = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = toks.get(1..close).unwrap_or(&[]);
        let mut locals = HashSet::new();
        let mut part_start = 0;
        let mut depth = 0usize;
        for j in 0..=inner.len() {
            let w = inner.get(j).map(|t| self.word(t));
            match w {
                Some("(" | "[" | "{") => depth += 1,
                Some(")" | "]" | "}") => depth = depth.saturating_sub(1),
                _ => {}
            }
            if !(w.is_none() || (w == Some(",") && depth == 0)) {
                continue;
            }
            let part = &inner[part_start..j];
            part_start = j + 1;
            let eq = part
                .iter()
                .position(|t| self.word(t) == "=")
                .unwrap_or(part.len());
            let decl = &part[..eq];
            let name = decl
                .iter()
                .rposition(|t| t.kind == Tok::Ident && !KEYWORDS.contains(&self.word(t)));
            if let Some(k) = name {
                self.uses(&decl[..k]);
                locals.insert(self.word(&decl[k]).to_string());
            } else {
                self.uses(decl);
            }
            self.uses(&part[eq..]);
        }
        self.uses(toks.get(close + 1..).unwrap_or(&[]));
        self.scopes.push((self.indent, locals));
    }

    /// Reads one logical line outside extern blocks; says whether it opens an extern or enum block.
    fn statement(&mut self, line: &Line) -> Block {
        let toks = &line.tokens;
        let first = self.word(&toks[0]);
        // `cdef public api …` / `cdef inline …`: the modifiers do not change what follows.
        match first {
            "import" | "cimport" => {
                self.import_list(&toks[1..]);
                return Block::Other;
            }
            "from" => {
                self.import_from(toks);
                return Block::Other;
            }
            "include" => return Block::Other,
            "def" | "class" => {
                if let Some(name) = toks.get(1) {
                    self.define(name);
                }
                let rest = toks.get(2..).unwrap_or(&[]);
                if first == "def" && self.is(rest.first(), "(") {
                    self.params(rest);
                } else {
                    self.uses(rest);
                }
                return Block::Other;
            }
            "global" | "nonlocal" => return Block::Other,
            "cdef" | "cpdef" | "ctypedef" => return self.declaration(line),
            "DEF" => {
                if let Some(name) = toks.get(1) {
                    self.define(name);
                }
                self.uses(toks.get(2..).unwrap_or(&[]));
                return Block::Other;
            }
            _ => {}
        }
        // `X = …` binds X (not `X == …`, not `X.y = …`).
        if toks.len() > 2 && toks[0].kind == Tok::Ident && self.word(&toks[1]) == "=" {
            self.define(&toks[0]);
            self.uses(&toks[2..]);
            return Block::Other;
        }
        self.uses(toks);
        Block::Other
    }

    /// `cdef …`, `cpdef …`, `ctypedef …`.
    fn declaration(&mut self, line: &Line) -> Block {
        let toks = &line.tokens;
        // `ctypedef cudaError_t (*F_cudaMalloc)(void**, size_t)`: a function-pointer type for a
        // library loaded at run time declares the API, it does not use it.
        if let (Some(first), Some(last)) = (toks.first(), toks.last()) {
            let span = first.span.start..last.span.end;
            let compact: String = self
                .text
                .get(span.clone())
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if self.word(first) == "ctypedef" && compact.contains("(*") {
                self.out.declarations.push(span);
            }
        }
        let mut i = 1;
        while i < toks.len()
            && matches!(
                self.word(&toks[i]),
                "public" | "api" | "inline" | "readonly" | "packed"
            )
        {
            i += 1;
        }
        if self.is(toks.get(i), "extern") {
            // `cdef extern from "x.h" [nogil]:`, `cdef extern from *:`, `cdef extern int f()`.
            if self.is(toks.get(i + 1), "from") {
                if let Some(Token {
                    kind: Tok::Str(Some(header)),
                    span,
                }) = toks.get(i + 2)
                {
                    // The header as written, between the quotes (after any prefix).
                    let raw = self.text.get(span.clone()).unwrap_or("");
                    if let Some(q) = raw.find(['"', '\'']) {
                        let start = span.start + q + 1;
                        if !header.is_empty() && start + header.len() < span.end {
                            let at = start..start + header.len();
                            self.push(FactKind::Include, header.clone(), at, Lang::Cuda);
                        }
                    }
                }
            }
            // The block (or the rest of the line after `:`) declares the C API: skip it.
            return Block::Extern;
        }
        self.declare(&toks[i.min(toks.len())..])
    }

    /// The part of a declaration after `cdef`/`cpdef`/`ctypedef` and its modifiers (also each
    /// line of a `cdef:` block).
    fn declare(&mut self, rest: &[Token]) -> Block {
        let Some(head) = rest.first() else {
            return Block::Other;
        };
        let head_word = self.word(head);
        if matches!(
            head_word,
            "class" | "struct" | "union" | "enum" | "cppclass" | "fused"
        ) {
            let name = rest.get(1).filter(|t| t.kind == Tok::Ident);
            if let Some(name) = name {
                self.define(name);
            }
            self.uses(
                rest.get(if name.is_some() { 2 } else { 1 }..)
                    .unwrap_or(&[]),
            );
            return if head_word == "enum" {
                Block::Enum
            } else {
                Block::Other
            };
        }
        if head_word == ":" {
            return Block::Cdef; // `cdef:` opens a block of declarations
        }
        // `cdef int a, b = 1`, `cdef inline cudaError_t f(int x) except * nogil:`: the last
        // identifier before `(`, `=`, `,`, `:`, `[` is the declared name; the rest are types.
        let mut end = rest.len();
        for (j, t) in rest.iter().enumerate() {
            if t.kind == Tok::Op && matches!(self.word(t), "(" | "=" | "," | ":" | "[") {
                end = j;
                break;
            }
        }
        let decl = &rest[..end];
        match decl.iter().rposition(|t| t.kind == Tok::Ident) {
            Some(k) => {
                self.define(&decl[k]);
                self.uses(&decl[..k]);
                if self.is(rest.get(end), "(") {
                    self.params(&rest[end..]);
                } else {
                    self.uses_after(&rest[end..]);
                }
            }
            None => self.uses(rest),
        }
        Block::Other
    }

    /// After a declared name: more names (`cdef int a, b`) are definitions, the rest uses.
    fn uses_after(&mut self, toks: &[Token]) {
        if toks.first().is_some_and(|t| self.word(t) == ",") {
            let mut i = 0;
            while i < toks.len() {
                if self.word(&toks[i]) == "," {
                    if let Some(t) = toks.get(i + 1) {
                        self.define(t);
                    }
                    i += 2;
                } else {
                    self.uses(&toks[i..i + 1]);
                    i += 1;
                }
            }
            return;
        }
        self.uses(toks);
    }

    /// A line inside an enum block: `NAME [= value][,]` defines NAME.
    fn enum_member(&mut self, line: &Line) {
        let toks = &line.tokens;
        self.define(&toks[0]);
        self.uses(toks.get(1..).unwrap_or(&[]));
    }

    /// Identifiers used: C-family names (attributes only through an imported module).
    fn uses(&mut self, toks: &[Token]) {
        for (i, t) in toks.iter().enumerate() {
            if t.kind != Tok::Ident {
                continue;
            }
            let w = self.word(t);
            if KEYWORDS.contains(&w) {
                continue;
            }
            let after_dot =
                i > 0 && self.word(&toks[i - 1]) == "." && toks[i - 1].span.end <= t.span.start;
            if !after_dot && self.scopes.iter().any(|(_, locals)| locals.contains(w)) {
                continue;
            }
            if after_dot {
                // The head of the chain `a.b.c`: report only attributes of an imported module.
                let mut h = i;
                while h >= 2 && self.word(&toks[h - 1]) == "." && toks[h - 2].kind == Tok::Ident {
                    h -= 2;
                }
                let head_is_chain_start = h == 0 || self.word(&toks[h - 1]) != ".";
                if !(head_is_chain_start && self.modules.contains(self.word(&toks[h]))) {
                    continue;
                }
            }
            self.push(FactKind::Name, w.to_string(), t.span.clone(), Lang::Cuda);
        }
    }

    /// A dotted name starting at `toks[i]`: its text, span and the index after it.
    fn dotted(&self, toks: &[Token], mut i: usize) -> Option<(String, Range<usize>, usize)> {
        let first = toks.get(i).filter(|t| t.kind == Tok::Ident)?;
        let mut text = self.word(first).to_string();
        let start = first.span.start;
        let mut end = first.span.end;
        i += 1;
        while self.is(toks.get(i), ".") {
            match toks.get(i + 1).filter(|t| t.kind == Tok::Ident) {
                Some(t) => {
                    text.push('.');
                    text.push_str(self.word(t));
                    end = t.span.end;
                    i += 2;
                }
                None => break,
            }
        }
        Some((text, start..end, i))
    }

    /// `import a.b.c as x, d` / `cimport …`.
    fn import_list(&mut self, toks: &[Token]) {
        let mut i = 0;
        while let Some((module, span, next)) = self.dotted(toks, i) {
            i = next;
            let mut local = module.split('.').next().unwrap_or("").to_string();
            if self.is(toks.get(i), "as") {
                if let Some(alias) = toks.get(i + 1).filter(|t| t.kind == Tok::Ident) {
                    local = self.word(alias).to_string();
                }
                i += 2;
            }
            self.modules.insert(local);
            self.push(FactKind::Name, module, span, Lang::Python);
            if !self.is(toks.get(i), ",") {
                break;
            }
            i += 1;
        }
    }

    /// `from a.b cimport x as y, z`, `from a import (x, y)`, `from a cimport *`.
    fn import_from(&mut self, toks: &[Token]) {
        if self.is(toks.get(1), ".") {
            return; // relative: the project's own module
        }
        let Some((module, span, mut i)) = self.dotted(toks, 1) else {
            return;
        };
        if !(self.is(toks.get(i), "import") || self.is(toks.get(i), "cimport")) {
            return;
        }
        i += 1;
        if self.is(toks.get(i), "*") {
            self.push(FactKind::Name, module, span, Lang::Python);
            return;
        }
        while i < toks.len() {
            let t = &toks[i];
            if t.kind != Tok::Ident {
                i += 1;
                continue;
            }
            let name = self.word(t);
            let mut local = name.to_string();
            let span = t.span.clone();
            i += 1;
            if self.is(toks.get(i), "as") {
                if let Some(alias) = toks.get(i + 1).filter(|t| t.kind == Tok::Ident) {
                    local = self.word(alias).to_string();
                }
                i += 2;
            }
            self.modules.insert(local);
            self.push(
                FactKind::Name,
                format!("{module}.{name}"),
                span,
                Lang::Python,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_pointer_typedefs_are_declarations() {
        let src = "ctypedef cudaError_t (*F_cudaMalloc)(void** p, size_t n) nogil\ncdef F_cudaMalloc f\nstatus = cudaMalloc(p, n)\n";
        let x = extract(src);
        assert_eq!(x.declarations.len(), 1);
        let d = &x.declarations[0];
        assert_eq!(
            &src[d.clone()],
            "ctypedef cudaError_t (*F_cudaMalloc)(void** p, size_t n) nogil"
        );
        // The call on the last line is not inside it.
        let call = src.rfind("cudaMalloc").unwrap();
        assert!(!d.contains(&call));
    }

    fn facts(src: &str) -> Vec<(String, &'static str, String)> {
        let x = extract(src);
        x.facts
            .iter()
            .map(|f| {
                let kind = match (&f.kind, f.lang) {
                    (FactKind::Include, _) => "include",
                    (_, Some(Lang::Python)) => "python",
                    _ => "c",
                };
                (f.text.clone(), kind, src[f.span.clone()].to_string())
            })
            .collect()
    }

    fn names(src: &str) -> Vec<String> {
        facts(src)
            .into_iter()
            .map(|(t, k, _)| format!("{k}:{t}"))
            .collect()
    }

    #[test]
    fn extern_block_is_declarations() {
        let src = "cdef extern from \"cuda_runtime.h\" nogil:\n    ctypedef int cudaError_t\n    cudaError_t cudaMalloc(void** p, size_t n)\n    enum:\n        cudaMemcpyHostToDevice\n\ncdef extern from *:\n    ctypedef void* cudaStream_t 'cudaStream_t'\n\ncpdef intptr_t malloc(size_t size) except? 0:\n    cdef void* ptr\n    status = cudaMalloc(&ptr, size)\n    return <intptr_t>ptr\n";
        let f = facts(src);
        assert_eq!(
            f,
            vec![
                (
                    "cuda_runtime.h".to_string(),
                    "include",
                    "cuda_runtime.h".to_string()
                ),
                ("intptr_t".into(), "c", "intptr_t".into()),
                ("size_t".into(), "c", "size_t".into()),
                ("cudaMalloc".into(), "c", "cudaMalloc".into()),
                ("intptr_t".into(), "c", "intptr_t".into()),
            ]
        );
        let x = extract(src);
        // Parameters and locals (`size`, `ptr`, `status`) are the function's own names.
        assert_eq!(x.defined, vec!["malloc"]);
    }

    #[test]
    fn comments_and_strings_are_skipped() {
        let src = "# cudaMalloc in a comment\ndef f():\n    \"\"\"Calls cudaMalloc.\n    cudaFree too\"\"\"\n    s = 'cudaMalloc'\n    t = r\"cudaFree\\\"\" + b'''cudaMemcpy''' + f\"{cudaMalloc}\" + c'x'\n    return cudaMemset  # cudaFree\n";
        assert_eq!(names(src), vec!["c:cudaMemset"]);
    }

    #[test]
    fn imports() {
        let src = "from cuda.bindings cimport cyruntime\ncimport cupy_backends.cuda.api.runtime as rt, cython\nimport cupy\nfrom cupy_backends.cuda.api._runtime_enum cimport *\nfrom . cimport local\nfrom .m import x\nfrom libc.stdint cimport (intptr_t,\n    uintmax_t as u)\n\ncdef f():\n    cyruntime.cudaFree(NULL)\n    rt.malloc(1)\n    obj.cudaMalloc(2)\n";
        assert_eq!(
            names(src),
            vec![
                "python:cuda.bindings.cyruntime",
                "python:cupy_backends.cuda.api.runtime",
                "python:cython",
                "python:cupy",
                "python:cupy_backends.cuda.api._runtime_enum",
                "python:libc.stdint.intptr_t",
                "python:libc.stdint.uintmax_t",
                "c:cyruntime",
                "c:cudaFree",
                "c:NULL",
                "c:rt",
                "c:malloc",
                "c:obj",
            ]
        );
    }

    #[test]
    fn definitions() {
        let src = "ctypedef cudaError_t Error\ncdef class Stream:\n    cdef:\n        cudaStream_t handle\ncdef int a, b = 1\ncpdef enum:\n    memcpyHostToDevice = 1\n    streamDefault\nDEF FOO = 1\nclass K(object): pass\ndef g(x): return x\nCUDA_THING = 3\n";
        let x = extract(src);
        assert_eq!(
            x.defined,
            vec![
                "Error",
                "Stream",
                "handle",
                "a",
                "b",
                "memcpyHostToDevice",
                "streamDefault",
                "FOO",
                "K",
                "g",
                "CUDA_THING"
            ]
        );
        let n = names(src);
        assert!(n.contains(&"c:cudaError_t".to_string()), "{n:?}");
        assert!(n.contains(&"c:cudaStream_t".to_string()), "{n:?}");
        assert!(
            !n.iter()
                .any(|s| s.contains("CUDA_THING") || s.contains("memcpyHostToDevice")),
            "{n:?}"
        );
    }

    #[test]
    fn parameters_are_local_names() {
        let src = "cpdef bsrilu02(intptr_t handle, int blockDim, size_t info=0):\n    status = cusparseXbsrilu02(handle, blockDim, info)\n\ndef g(x, *args, **kw): return blockDim\nn = blockDim\n";
        assert_eq!(
            names(src),
            vec![
                "c:intptr_t",
                "c:size_t",
                "c:cusparseXbsrilu02",
                "c:blockDim",
                "c:blockDim"
            ]
        );
    }

    #[test]
    fn continuation_and_brackets() {
        let src = "cdef extern from \\\n        \"cublas_v2.h\":\n    int cublasCreate(void*)\nx = f(a,\n  cublasCreate(p))\n";
        assert_eq!(
            names(src),
            vec!["include:cublas_v2.h", "c:f", "c:a", "c:cublasCreate", "c:p"]
        );
    }

    #[test]
    fn weird_input_does_not_panic() {
        for src in [
            "",
            "'",
            "\"\"\"",
            "'''abc",
            "r'\\",
            "\\",
            "cdef",
            "cdef extern",
            "cdef extern from",
            "cdef extern from '",
            "from",
            "from a",
            "from a cimport",
            "import",
            "import a as",
            "x.",
            ".",
            "((((",
            "))))\n  x",
            "\u{feff}é = ü.ñ\n\tcdef é",
            "b'\\x00\\",
            "cdef enum:\n",
            "1e+5 0x1e+5 .5j",
            "f'''{",
        ] {
            let _ = extract(src);
        }
        let _ = extract(&"(".repeat(10_000));
        let _ = extract(&"\"\"\"".repeat(1001));
    }
}
