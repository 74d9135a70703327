//! Language front ends. Each turns one file's text into neutral [`Fact`]s — tokens that might be
//! CUDA (names, include paths, qualified names, launches, inline assembly, packages, images) with
//! their byte spans — and the names the file itself defines. The matcher decides which facts are
//! findings; front ends know nothing about rules. [`FrontEnds`] holds one thread's parsers and
//! dispatches a file to its front end.

pub mod cpp;
pub mod cython;
pub mod go;
pub mod lexer;
pub mod manifest;
pub mod node_names;
pub mod preproc;
pub mod python;
pub mod rust;
pub mod unanalysed;

use globset::{GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

/// A language (or file kind) cuda-audit understands. The serde names are what rule files use in
/// `languages`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lang {
    C,
    Cpp,
    Cuda,
    /// Python sources, and the code cells of Jupyter notebooks.
    Python,
    Rust,
    Cmake,
    Make,
    Shell,
    /// Bazel BUILD/WORKSPACE files and Starlark `.bzl`.
    Bazel,
    Meson,
    /// pip requirements and constraints files.
    Requirements,
    Pyproject,
    SetupCfg,
    Pipfile,
    /// conda `environment.yml`.
    Conda,
    /// `Cargo.toml`.
    Cargo,
    Dockerfile,
    /// docker-compose files.
    Compose,
    /// GitHub Actions workflows.
    GithubWorkflow,
    /// Other YAML: Kubernetes manifests, Helm charts and values.
    Yaml,
    /// Go sources.
    Go,
    /// Go module files (`go.mod`).
    GoMod,
    /// Cython sources and declarations (`.pyx`, `.pxd`, `.pxi`).
    Cython,
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
            Lang::Rust => "rust",
            Lang::Cmake => "cmake",
            Lang::Make => "make",
            Lang::Shell => "shell",
            Lang::Bazel => "bazel",
            Lang::Meson => "meson",
            Lang::Requirements => "requirements",
            Lang::Pyproject => "pyproject",
            Lang::SetupCfg => "setup-cfg",
            Lang::Pipfile => "pipfile",
            Lang::Conda => "conda",
            Lang::Cargo => "cargo",
            Lang::Dockerfile => "dockerfile",
            Lang::Compose => "compose",
            Lang::GithubWorkflow => "github-workflow",
            Lang::Yaml => "yaml",
            Lang::Go => "go",
            Lang::GoMod => "go-mod",
            Lang::Cython => "cython",
        }
    }

    /// A typical file name for the language (rule examples are scanned as such a file).
    pub fn sample_file_name(self) -> &'static str {
        match self {
            Lang::C => "snippet.c",
            Lang::Cpp => "snippet.cpp",
            Lang::Cuda => "snippet.cu",
            Lang::Python => "snippet.py",
            Lang::Rust => "snippet.rs",
            Lang::Cmake => "CMakeLists.txt",
            Lang::Make => "Makefile",
            Lang::Shell => "snippet.sh",
            Lang::Bazel => "BUILD",
            Lang::Meson => "meson.build",
            Lang::Requirements => "requirements.txt",
            Lang::Pyproject => "pyproject.toml",
            Lang::SetupCfg => "setup.cfg",
            Lang::Pipfile => "Pipfile",
            Lang::Conda => "environment.yml",
            Lang::Cargo => "Cargo.toml",
            Lang::Dockerfile => "Dockerfile",
            Lang::Compose => "docker-compose.yml",
            Lang::GithubWorkflow => ".github/workflows/ci.yml",
            Lang::Yaml => "deployment.yaml",
            Lang::Go => "snippet.go",
            Lang::GoMod => "go.mod",
            Lang::Cython => "snippet.pyx",
        }
    }

    pub fn is_c_family(self) -> bool {
        Lang::C_FAMILY.contains(&self)
    }

    /// The language of a file, from its path. `None` means the file is not scanned.
    pub fn detect(path: &Path) -> Option<Lang> {
        let table = file_table();
        let matches = table.set.matches(path);
        // The first entry in FILES order wins (specific names before generic extensions).
        matches.into_iter().min().map(|i| table.langs[i])
    }
}

/// The one table from file names to languages, in priority order: a file takes the language of
/// the first pattern it matches. Patterns without a `/` match the file name in any directory.
pub const FILES: &[(&str, Lang)] = &[
    // Build files and manifests, by name.
    ("CMakeLists.txt", Lang::Cmake),
    ("*.cmake", Lang::Cmake),
    ("Makefile", Lang::Make),
    ("makefile", Lang::Make),
    ("GNUmakefile", Lang::Make),
    ("*.mk", Lang::Make),
    ("*.make", Lang::Make),
    ("BUILD", Lang::Bazel),
    ("BUILD.bazel", Lang::Bazel),
    ("WORKSPACE", Lang::Bazel),
    ("WORKSPACE.bazel", Lang::Bazel),
    ("MODULE.bazel", Lang::Bazel),
    ("*.bzl", Lang::Bazel),
    ("meson.build", Lang::Meson),
    ("requirements*.txt", Lang::Requirements),
    ("*requirements.txt", Lang::Requirements),
    ("*-requirements.txt", Lang::Requirements),
    ("constraints*.txt", Lang::Requirements),
    ("requirements/*.txt", Lang::Requirements),
    ("requirements*.in", Lang::Requirements),
    ("pyproject.toml", Lang::Pyproject),
    ("setup.cfg", Lang::SetupCfg),
    ("Pipfile", Lang::Pipfile),
    ("environment*.yml", Lang::Conda),
    ("environment*.yaml", Lang::Conda),
    ("conda*.yml", Lang::Conda),
    ("conda*.yaml", Lang::Conda),
    ("Cargo.toml", Lang::Cargo),
    ("go.mod", Lang::GoMod),
    ("Dockerfile", Lang::Dockerfile),
    ("Dockerfile.*", Lang::Dockerfile),
    ("dockerfile", Lang::Dockerfile),
    ("dockerfile.*", Lang::Dockerfile),
    // Variants by suffix: `Dockerfile-gpu`, `dockerfile-cli-only.gpu`, `Dockerfile_cuda`.
    ("Dockerfile-*", Lang::Dockerfile),
    ("dockerfile-*", Lang::Dockerfile),
    ("Dockerfile_*", Lang::Dockerfile),
    ("dockerfile_*", Lang::Dockerfile),
    ("*.Dockerfile", Lang::Dockerfile),
    ("*.dockerfile", Lang::Dockerfile),
    ("Containerfile", Lang::Dockerfile),
    ("Containerfile.*", Lang::Dockerfile),
    ("docker-compose*.yml", Lang::Compose),
    ("docker-compose*.yaml", Lang::Compose),
    ("compose.yml", Lang::Compose),
    ("compose.yaml", Lang::Compose),
    (".github/workflows/*.yml", Lang::GithubWorkflow),
    (".github/workflows/*.yaml", Lang::GithubWorkflow),
    // Sources, by extension.
    ("*.cu", Lang::Cuda),
    ("*.cuh", Lang::Cuda),
    // CUDA headers by another suffix (LightGBM's `cuda_utils.hu`, included by every `.cu`).
    ("*.hu", Lang::Cuda),
    ("*.c", Lang::C),
    ("*.h", Lang::Cpp),
    ("*.cc", Lang::Cpp),
    ("*.cpp", Lang::Cpp),
    ("*.cxx", Lang::Cpp),
    ("*.c++", Lang::Cpp),
    ("*.hpp", Lang::Cpp),
    ("*.hh", Lang::Cpp),
    ("*.hxx", Lang::Cpp),
    ("*.h++", Lang::Cpp),
    ("*.inl", Lang::Cpp),
    ("*.ipp", Lang::Cpp),
    ("*.tpp", Lang::Cpp),
    ("*.py", Lang::Python),
    ("*.pyi", Lang::Python),
    ("*.ipynb", Lang::Python),
    ("*.rs", Lang::Rust),
    ("*.go", Lang::Go),
    ("*.pyx", Lang::Cython),
    ("*.pxd", Lang::Cython),
    ("*.pxi", Lang::Cython),
    ("*.sh", Lang::Shell),
    ("*.bash", Lang::Shell),
    ("*.yml", Lang::Yaml),
    ("*.yaml", Lang::Yaml),
];

struct FileTable {
    set: GlobSet,
    langs: Vec<Lang>,
}

fn file_table() -> &'static FileTable {
    static TABLE: OnceLock<FileTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut builder = GlobSetBuilder::new();
        for (pattern, _) in FILES {
            let full = format!("**/{pattern}");
            // `*` stays within one path component: `conda*.yaml` must not match
            // `conda/recipes/x/recipe.yaml`.
            let glob = globset::GlobBuilder::new(&full)
                .literal_separator(true)
                .build()
                .expect("the file table holds valid globs");
            builder.add(glob);
        }
        FileTable {
            set: builder.build().expect("the file table compiles"),
            langs: FILES.iter().map(|&(_, l)| l).collect(),
        }
    })
}

/// One thread's front ends. Parsers are created on first use and reused for every file.
#[derive(Default)]
pub struct FrontEnds {
    cpp: Option<cpp::CppFrontEnd>,
    python: Option<python::PythonFrontEnd>,
    manifest: Option<manifest::ManifestFrontEnd>,
    go: Option<go::GoFrontEnd>,
}

impl FrontEnds {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cpp(&mut self) -> &mut cpp::CppFrontEnd {
        self.cpp.get_or_insert_with(cpp::CppFrontEnd::new)
    }

    /// Extracts the facts of one file. `path` is only used to tell variants of a language apart
    /// (a notebook from a `.py` file, `setup.py`, a Dockerfile's name).
    pub fn extract(&mut self, text: &str, lang: Lang, path: &Path) -> Extraction {
        match lang {
            Lang::C | Lang::Cpp | Lang::Cuda => self.cpp().extract(text, lang),
            Lang::Python => {
                let cpp = self.cpp.get_or_insert_with(cpp::CppFrontEnd::new);
                self.python
                    .get_or_insert_with(python::PythonFrontEnd::new)
                    .extract(text, path, cpp)
            }
            Lang::Rust => rust::extract(text),
            Lang::Go => {
                let cpp = self.cpp.get_or_insert_with(cpp::CppFrontEnd::new);
                self.go
                    .get_or_insert_with(go::GoFrontEnd::new)
                    .extract(text, cpp)
            }
            Lang::GoMod => go::extract_go_mod(text),
            Lang::Cython => cython::extract(text),
            _ => self
                .manifest
                .get_or_insert_with(manifest::ManifestFrontEnd::new)
                .extract(text, lang, path),
        }
    }
}

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
    /// A build-file, manifest, container or cluster entry (a package, an image, a directive),
    /// matched by candidate keys in order (`pip:torch+cu121`, then `pip:torch`): each key is
    /// looked up as an exact name, then against the name patterns, and the first key a rule
    /// claims wins. Keys are `kind:value` (docs/manifests.md); `text` is the entry as written.
    Keys(Vec<String>),
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
    /// The language to match this fact as, when it differs from the file's (CUDA source inside a
    /// Python string is matched with the C-family rules).
    pub lang: Option<Lang>,
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
    /// Problems worth a counted warning (a malformed manifest): the scan of the file goes on.
    pub warnings: Vec<ExtractWarning>,
    /// Set when the file could not be analysed at all (its parse ran out of time): the file is
    /// reported as skipped with this reason, and its facts are ignored.
    pub skip: Option<ExtractWarning>,
    /// Preprocessor conditionals, each as its chain of branches (`#if`, `#elif`…, `#else`).
    pub branches: Vec<Vec<Branch>>,
    /// Definitions that may map a CUDA name to a HIP one (`#define cudaMalloc hipMalloc`).
    pub shim_candidates: Vec<ShimCandidate>,
    /// Spans of declarations that only declare (function prototypes): the facts inside them
    /// are what the file exposes, not uses.
    pub declarations: Vec<Range<usize>>,
    /// Modules the file imports (Python: dotted paths; relative ones with their leading dots),
    /// sorted: which framework a method-style use belongs to depends on them.
    pub imports: Vec<String>,
    /// Python build scripts: the C/C++/CUDA sources handed to PyTorch's extension builders.
    pub build_sources: Vec<BuildSources>,
    /// Python build scripts: where the script provides for a ROCm build (`torch.version.hip`,
    /// `ROCM_HOME`, `IS_HIP_EXTENSION`, `hipcc`, `--offload-arch`), as a byte offset.
    pub rocm_build: Option<usize>,
    /// Python: code taken only on ROCm (`if torch.version.hip:` bodies, the ROCm side of a
    /// conditional expression, the body of a function that only runs on ROCm), in file order.
    pub rocm_regions: Vec<RocmRegion>,
}

/// Code that runs only on ROCm, and the condition that says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RocmRegion {
    pub span: Range<usize>,
    /// Byte offset of the condition (for the evidence's line).
    pub condition_offset: usize,
    /// The condition as written, whitespace collapsed, at most 80 characters.
    pub condition: String,
}

/// How a Python build script compiles native sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuildKind {
    /// `torch.utils.cpp_extension.CUDAExtension(…, sources=[…])`: hipified on ROCm PyTorch.
    CudaExtension,
    /// `CppExtension`: compiled by the host compiler, never hipified.
    CppExtension,
    /// `torch.utils.cpp_extension.load(name, sources=[…])`: JIT build, hipified on ROCm when a
    /// source is CUDA (`.cu`/`.cuh`).
    Load,
    /// A DeepSpeed-style op builder's `sources()` list (a class whose `sources` method returns
    /// the list; built with `CUDAExtension` by the builder base class).
    OpBuilder,
}

impl BuildKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildKind::CudaExtension => "CUDAExtension",
            BuildKind::CppExtension => "CppExtension",
            BuildKind::Load => "torch.utils.cpp_extension.load",
            BuildKind::OpBuilder => "op builder sources()",
        }
    }
}

/// The sources one build call compiles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildSources {
    pub kind: BuildKind,
    /// Source paths as resolved from literals, variables, list concatenation,
    /// `os.path.join(…)` and `glob.glob(…)` patterns (kept as globs, `*`/`**`), relative to the
    /// directory of the script (a leading `./` removed; absolute or unresolvable parts dropped).
    pub sources: Vec<String>,
    /// Byte offset of the call (or of the `sources` method), for the evidence's line.
    pub offset: usize,
}

/// One branch of a preprocessor conditional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// From the directive to the next directive of the chain (or the `#endif`).
    pub span: Range<usize>,
    /// The identifiers the condition names (`#if defined(USE_ROCM) && X` → USE_ROCM, X).
    pub idents: Vec<String>,
    /// Per identifier: whether the branch is taken when it is absent (`#ifndef X`, `!defined(X)`).
    pub negated: Vec<bool>,
    pub is_else: bool,
}

/// How a definition maps a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShimForm {
    Define,
    Alias,
    Typedef,
    Wrapper,
}

impl ShimForm {
    pub fn as_str(self) -> &'static str {
        match self {
            ShimForm::Define => "#define",
            ShimForm::Alias => "using",
            ShimForm::Typedef => "typedef",
            ShimForm::Wrapper => "wrapper",
        }
    }
}

/// A definition of `name` in terms of `target` (the first identifier of a macro body, the aliased
/// type, or for a wrapper function the first HIP-looking name it calls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShimCandidate {
    pub name: String,
    pub target: String,
    pub offset: usize,
    pub form: ShimForm,
}

/// How long one file's parse may take before it is abandoned and the file reported as skipped.
pub const DEFAULT_PARSE_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// Parses `text` with `parser`, giving up after `budget`. `Err` carries the skip to report.
pub fn parse_within(
    parser: &mut tree_sitter::Parser,
    text: &str,
    budget: std::time::Duration,
) -> Result<tree_sitter::Tree, ExtractWarning> {
    let started = std::time::Instant::now();
    let mut out_of_time = |_: &tree_sitter::ParseState| started.elapsed() > budget;
    let options = tree_sitter::ParseOptions::new().progress_callback(&mut out_of_time);
    let bytes = text.as_bytes();
    let tree = parser.parse_with_options(
        &mut |offset, _| {
            if offset < bytes.len() {
                &bytes[offset..]
            } else {
                &[]
            }
        },
        None,
        Some(options),
    );
    parser.reset();
    tree.ok_or_else(|| ExtractWarning {
        reason: crate::note::NoteReason::ParseTimeout,
        message: format!(
            "parsing took longer than {} s; the file was not analysed",
            budget.as_secs_f32()
        ),
        offset: None,
    })
}

/// A problem a front end met in one file, reported as a counted warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtractWarning {
    /// Why (`malformed-toml`, `malformed-yaml`, `malformed-notebook`, ...).
    pub reason: crate::note::NoteReason,
    pub message: String,
    /// Byte offset of the problem in the file, when known.
    pub offset: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_choose_the_language() {
        let lang = |p: &str| Lang::detect(Path::new(p));
        assert_eq!(lang("docker/gpu/dockerfile.gpu"), Some(Lang::Dockerfile));
        assert_eq!(
            lang("docker/gpu/dockerfile-cli-only.gpu"),
            Some(Lang::Dockerfile)
        );
        assert_eq!(lang("Dockerfile_cuda"), Some(Lang::Dockerfile));
        assert_eq!(
            lang("include/LightGBM/cuda/cuda_utils.hu"),
            Some(Lang::Cuda)
        );
        assert_eq!(lang("Dockerfile.cuda"), Some(Lang::Dockerfile));
        assert_eq!(lang("build/cuda.Dockerfile"), Some(Lang::Dockerfile));
        assert_eq!(lang("deploy/dockerfile"), Some(Lang::Dockerfile));
        assert_eq!(lang("src/kernel.cu"), Some(Lang::Cuda));
        assert_eq!(lang("go.mod"), Some(Lang::GoMod));
        assert_eq!(lang("README.md"), None);
    }
}
