//! Language front ends. Each turns one file's text into neutral [`Fact`]s — tokens that might be
//! CUDA (names, include paths, qualified names, launches, inline assembly) with their byte spans —
//! and the names the file itself defines. The matcher decides which facts are findings; front
//! ends know nothing about rules.

pub mod cpp;
pub mod lexer;

use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

/// A language cuda-audit understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    C,
    Cpp,
    Cuda,
    Python,
}

impl Lang {
    /// The C-family languages, all parsed with the CUDA grammar.
    pub const C_FAMILY: [Lang; 3] = [Lang::C, Lang::Cpp, Lang::Cuda];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::C => "c",
            Lang::Cpp => "cpp",
            Lang::Cuda => "cuda",
            Lang::Python => "python",
        }
    }

    /// The language of a file, from its name. `None` means the file is not scanned.
    pub fn detect(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?;
        EXTENSIONS
            .iter()
            .find(|(e, _)| e.eq_ignore_ascii_case(ext))
            .map(|&(_, lang)| lang)
    }
}

/// The one table from file extension to language.
pub const EXTENSIONS: &[(&str, Lang)] = &[
    ("cu", Lang::Cuda),
    ("cuh", Lang::Cuda),
    ("c", Lang::C),
    ("h", Lang::Cpp),
    ("cc", Lang::Cpp),
    ("cpp", Lang::Cpp),
    ("cxx", Lang::Cpp),
    ("c++", Lang::Cpp),
    ("hpp", Lang::Cpp),
    ("hh", Lang::Cpp),
    ("hxx", Lang::Cpp),
    ("h++", Lang::Cpp),
    ("inl", Lang::Cpp),
    ("ipp", Lang::Cpp),
    ("tpp", Lang::Cpp),
];

/// What a fact is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactKind {
    /// A single token: identifier, type name, macro, qualifier keyword.
    Name,
    /// An `#include` path as written, without quotes or angle brackets.
    Include,
    /// A qualified name (`thrust::sort`), split into its segments.
    Qualified(Vec<String>),
    /// A namespace named on its own (`using namespace nvcuda;`, `namespace cg = cooperative_groups;`).
    Namespace(Vec<String>),
    /// A `<<<…>>>` kernel launch.
    Launch,
    /// Inline assembly in device code.
    InlineAsm,
}

/// One candidate token for the matcher.
#[derive(Clone, Debug)]
pub struct Fact {
    pub kind: FactKind,
    /// The text as written (the symbol a finding reports).
    pub text: String,
    /// Byte span in the file.
    pub span: Range<usize>,
    /// Extra context for the message (e.g. the kernel a launch starts).
    pub detail: Option<String>,
}

/// What a front end hands to the matcher for one file.
#[derive(Debug, Default)]
pub struct Extraction {
    pub facts: Vec<Fact>,
    /// Names this file defines (functions, types, variables, macros, enumerators).
    pub defined: Vec<String>,
    /// Namespaces brought in with `using namespace`, as segment paths.
    pub using_namespaces: Vec<Vec<String>>,
    /// Whether the parser met syntax it could not parse.
    pub has_parse_errors: bool,
}
