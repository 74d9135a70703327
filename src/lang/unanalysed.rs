//! Source files cuda-audit does not analyse, by language. A scan that silently left out a
//! repository's Go or Fortran would report a score for code it never read: every report states
//! how many files of each such language the walk met (`summary.files.not_analysed`).
//!
//! HIP sources (`.hip`) are listed here too, under [`HIP`]: they are not CUDA, and what they
//! show is an existing ROCm port, which the summary counts.

use std::path::Path;

/// The language name HIP sources are counted under.
pub const HIP: &str = "hip";

/// File extensions (lower case, without the dot) of source languages that are not analysed
/// (a language cuda-audit reads, in [`super::FILES`], is never looked up here),
/// with the name they are counted under. Only languages in which GPU code or its bindings are
/// written, or which commonly sit beside them, are listed: documentation and data formats are
/// not source.
pub const EXTENSIONS: &[(&str, &str)] = &[
    ("hip", HIP),
    ("f", "fortran"),
    ("for", "fortran"),
    ("f77", "fortran"),
    ("f90", "fortran"),
    ("f95", "fortran"),
    ("f03", "fortran"),
    ("f08", "fortran"),
    ("cuf", "cuda-fortran"),
    ("ptx", "ptx"),
    ("cl", "opencl"),
    ("jl", "julia"),
    ("java", "java"),
    ("kt", "kotlin"),
    ("scala", "scala"),
    ("cs", "csharp"),
    ("swift", "swift"),
    ("m", "objective-c"),
    ("mm", "objective-c"),
    ("zig", "zig"),
    ("metal", "metal"),
    ("js", "javascript"),
    ("mjs", "javascript"),
    ("ts", "typescript"),
    ("r", "r"),
    ("lua", "lua"),
    ("rb", "ruby"),
    ("php", "php"),
    ("pl", "perl"),
    ("hs", "haskell"),
    ("ml", "ocaml"),
    ("nim", "nim"),
];

/// The language a file not analysed is counted under, from its extension.
pub fn language_of(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?;
    // `.F90` and `.F` (preprocessed Fortran) differ from `.f90` only in case.
    EXTENSIONS
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|&(_, language)| language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_extension() {
        assert_eq!(language_of(Path::new("a/b/Main.java")), Some("java"));
        assert_eq!(language_of(Path::new("solver.F90")), Some("fortran"));
        assert_eq!(language_of(Path::new("k.hip")), Some(HIP));
        assert_eq!(language_of(Path::new("README.md")), None);
        assert_eq!(language_of(Path::new("Makefile")), None);
    }

    #[test]
    fn no_extension_listed_twice() {
        let mut seen = std::collections::HashSet::new();
        for (ext, _) in EXTENSIONS {
            assert!(seen.insert(ext.to_ascii_lowercase()), "{ext} listed twice");
        }
    }
}
