//! The Python front end (tree-sitter-python): `.py` and `.pyi` files and the code cells of
//! Jupyter notebooks. Imports are resolved per file to dotted names, so `th.cuda.synchronize()`
//! after `import torch as th` is the fact `torch.cuda.synchronize`; method calls, device and
//! backend strings and environment variables become facts of their own; CUDA source inside
//! strings handed to CuPy, PyCUDA, NVRTC or `load_inline` is parsed with the CUDA grammar and
//! reported at its real place in the file. See [`emit`] for the fact texts.
//!
//! Nothing is reported from comments or docstrings: the walk never reads a string's content
//! except where a string is an argument of interest (a device, an environment variable, source
//! code). Traversals are iterative and resolution depths are bounded, so deeply nested or
//! hostile input cannot overflow the stack.

mod build;
mod buildflags;
mod emit;
mod literal;
mod notebook;
mod offsets;
mod rocm;
mod scope;
mod tables;

use super::cpp::CppFrontEnd;
use super::{ExtractWarning, Extraction, Fact, Lang};
use emit::{Emitter, Unit};
use std::path::Path;
use tree_sitter::{Parser, Tree};

/// A reusable Python parser (one per thread).
pub struct PythonFrontEnd {
    parser: Parser,
    /// How long one parse (of a file, or of a notebook cell) may take before the file is skipped.
    pub budget: std::time::Duration,
}

impl Default for PythonFrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl PythonFrontEnd {
    pub fn new() -> Self {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .expect("the bundled tree-sitter-python grammar matches the tree-sitter runtime");
        PythonFrontEnd {
            parser,
            budget: super::DEFAULT_PARSE_BUDGET,
        }
    }

    fn parse(&mut self, text: &str) -> Result<Tree, ExtractWarning> {
        super::parse_within(&mut self.parser, text, self.budget)
    }

    /// Facts of one Python file or notebook (by `path`'s extension). `cpp` parses CUDA source
    /// found in strings and in `%%writefile x.cu` / `%%cuda` notebook cells.
    pub fn extract(&mut self, text: &str, path: &Path, cpp: &mut CppFrontEnd) -> Extraction {
        let notebook = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ipynb"));
        if notebook {
            return self.extract_notebook(text, cpp);
        }
        let tree = match self.parse(text) {
            Ok(tree) => tree,
            Err(skip) => return skipped(skip),
        };
        let has_errors = tree.root_node().has_error();
        let units = [Unit {
            tree: &tree,
            src: text,
            map: None,
            detail: None,
        }];
        let mut out = Emitter::new(&units, cpp).run();
        out.has_parse_errors = has_errors;
        out
    }

    fn extract_notebook(&mut self, text: &str, cpp: &mut CppFrontEnd) -> Extraction {
        let cells = match notebook::code_cells(text) {
            Ok(cells) => cells,
            Err(m) => {
                return Extraction {
                    warnings: vec![ExtractWarning {
                        reason: crate::note::NoteReason::MalformedNotebook,
                        message: format!("not a readable Jupyter notebook: {}", m.message),
                        offset: Some(m.offset),
                    }],
                    ..Extraction::default()
                };
            }
        };
        let mut extra = Vec::new();
        let mut python = Vec::new();
        for cell in &cells {
            if cell.lang == Lang::Python {
                match self.parse(&cell.code.text) {
                    Ok(tree) => python.push((cell, tree)),
                    Err(skip) => return skipped(skip),
                }
                continue;
            }
            // `%%writefile kernel.cu` / `%%cuda`: the cell is C-family source.
            let inner = cpp.extract(&cell.code.text, cell.lang);
            if let Some(skip) = inner.skip {
                return skipped(skip);
            }
            for f in inner.facts {
                let detail = match f.detail {
                    Some(d) => format!("{d}, cell {}", cell.number),
                    None => format!("cell {}", cell.number),
                };
                extra.push(Fact {
                    span: cell.code.map.span(f.span.clone()),
                    detail: Some(detail),
                    lang: Some(f.lang.unwrap_or(cell.lang)),
                    ..f
                });
            }
        }
        let has_errors = python.iter().any(|(_, t)| t.root_node().has_error());
        let units: Vec<Unit> = python
            .iter()
            .map(|(cell, tree)| Unit {
                tree,
                src: &cell.code.text,
                map: Some(&cell.code.map),
                detail: Some(format!("cell {}", cell.number)),
            })
            .collect();
        let mut out = Emitter::new(&units, cpp).run();
        out.facts.extend(extra);
        out.has_parse_errors = has_errors;
        out
    }
}

fn skipped(skip: ExtractWarning) -> Extraction {
    Extraction {
        skip: Some(skip),
        ..Extraction::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(fact text, the file text its span covers)` for every fact.
    fn facts_of(src: &str, path: &str) -> Vec<(String, String)> {
        let mut py = PythonFrontEnd::new();
        let mut cpp = CppFrontEnd::new();
        let out = py.extract(src, Path::new(path), &mut cpp);
        out.facts
            .iter()
            .map(|f| (f.text.clone(), src[f.span.clone()].to_string()))
            .collect()
    }

    fn texts(src: &str) -> Vec<String> {
        facts_of(src, "t.py").into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn spans_cover_the_reference() {
        let f = facts_of("import torch as th\nth.cuda.synchronize()\n", "t.py");
        assert!(f.contains(&(
            "torch.cuda.synchronize".to_string(),
            "th.cuda.synchronize".to_string()
        )));
        let f = facts_of("x.to(\"cuda:0\", non_blocking=True)\n", "t.py");
        assert!(f.contains(&(
            ".to(cuda)".to_string(),
            ".to(\"cuda:0\", non_blocking=True)".to_string()
        )));
    }

    #[test]
    fn aliases_resolve() {
        let t = texts(
            "import torch as th\nth.cuda.synchronize()\nfrom numba import cuda as nc\n@nc.jit\ndef k(): pass\n",
        );
        assert!(t.contains(&"torch.cuda.synchronize".to_string()), "{t:?}");
        assert!(t.contains(&"numba.cuda.jit".to_string()), "{t:?}");
    }
}
