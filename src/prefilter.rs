//! A byte-level prefilter that rules files out before they are parsed.
//!
//! Parsing is most of a scan's cost (tree-sitter parses C++ at a few MB/s per core), and in most
//! repositories most C-family files cannot yield a finding at all. For each rule-matching path of
//! the C-family front end, the text a rule looks up is a verbatim slice of the file (an
//! identifier or keyword token, an `#include` path, the segments of a qualified name or of a
//! `using namespace`/namespace alias, the `<<<` of a launch, the `asm` keyword), so a finding is
//! only possible if the file's bytes contain one of these **needles**, derived from the rule data
//! ([`RuleSet::matcher_texts`]) and never kept by hand:
//!
//! | matcher | needle | why it is in every matching file |
//! | --- | --- | --- |
//! | exact name (`cudaMalloc`) | the name (its longest `::` segment) | a Name fact's text is the token as written; a qualified name's last segment likewise |
//! | name pattern (`cuda[A-Z]*`) | the pattern's longest literal run (`cuda`) | the name matched is a token as written, and every match contains each literal run |
//! | include glob (`thrust/**`) | its longest literal run (`thrust`) | the include path is taken as written between `<>`/`""` |
//! | namespace (`nvcuda::wmma`) | its longest segment (`nvcuda`) | every segment of the matched path is a token of the file (qualified name, `using namespace` or a namespace alias of the same file) |
//! | launch | `<<<` | one token in the grammar and in the macro-body tokenizer |
//! | inline asm | `asm` | `asm`, `__asm` and `__asm__` all contain it |
//!
//! A glob with no literal at all, or a rule with a needle-less matcher, turns the prefilter off
//! for its languages (every file is parsed). The needle set is minimised (a needle that contains
//! another is dropped: any text containing it contains the other) and searched with one
//! Aho-Corasick automaton.
//!
//! A file ruled out still counts as scanned, still has its suppression comments checked (so an
//! unused one is reported), and still reports invalid UTF-8. What it does not have is its
//! parse's by-products that other files' findings can depend on: the names it defines (a weak
//! finding such as `cudaLikeHelper` is dropped when the tree defines that name) and its
//! `#include`s (a finding in a file that includes a HIP shim, directly or through other headers,
//! is already ported). [`Deferred`] files are therefore re-examined once every other file is
//! scanned ([`must_rescan`]): a deferred file is parsed after all when its text contains a weak
//! finding's name that no needle covers, or the file name of a HIP shim or of a file that
//! reaches one. Both tests over-approximate (a defined name and an include path are verbatim in
//! the file), so the result is exactly that of parsing every file; `--exhaustive` turns the
//! prefilter off, and tests/performance.rs checks the two agree byte for byte.
//!
//! Languages other than C, C++ and CUDA are always parsed: Python facts are built from resolved
//! imports, decoded string literals and normalised device strings (`"CU" "DA:0"` is `.to(cuda)`),
//! manifests normalise package names, so their matched text need not occur in the file's bytes;
//! and manifest front ends report malformed files, which a skipped file would not.

use crate::finding::Finding;
use crate::lang::Lang;
use crate::ports::FilePorts;
use crate::rule::RuleSet;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The prefilter for one rule set.
#[derive(Debug)]
pub struct Prefilter {
    /// Needles of the C-family rules; `None` when some C-family matcher has no needle.
    c_family: Option<Needles>,
}

#[derive(Debug)]
struct Needles {
    automaton: AhoCorasick,
    count: usize,
}

impl Prefilter {
    /// Derives the needles from the rules.
    pub fn new(rules: &RuleSet) -> Prefilter {
        Prefilter {
            c_family: c_family_needles(rules).map(|n| Needles::build(&n)),
        }
    }

    /// Whether a file of `lang` may yield a finding: `false` only when it provably cannot.
    pub fn may_match(&self, lang: Lang, text: &str) -> bool {
        match self.needles(lang) {
            Some(n) => n.automaton.is_match(text),
            None => true,
        }
    }

    pub fn debug_first(&self, lang: Lang, text: &str) -> Option<String> {
        let n = self.needles(lang)?;
        n.automaton.find(text).map(|m| text[m.range()].to_string())
    }

    /// Whether the prefilter may rule out files of `lang` at all.
    pub fn covers(&self, lang: Lang) -> bool {
        self.needles(lang).is_some()
    }

    /// Whether any text containing `s` contains a needle of `lang` (so a file ruled out cannot
    /// contain `s`).
    pub fn implied_by(&self, lang: Lang, s: &str) -> bool {
        self.needles(lang).is_some_and(|n| n.automaton.is_match(s))
    }

    /// How many needles the C-family automaton holds (after minimisation).
    pub fn c_family_needles(&self) -> Option<usize> {
        self.c_family.as_ref().map(|n| n.count)
    }

    fn needles(&self, lang: Lang) -> Option<&Needles> {
        if lang.is_c_family() {
            self.c_family.as_ref()
        } else {
            None
        }
    }
}

impl Needles {
    fn build(needles: &BTreeSet<String>) -> Needles {
        let minimal = minimise(needles);
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&minimal)
            .expect("a few thousand short needles fit an automaton");
        Needles {
            automaton,
            count: minimal.len(),
        }
    }
}

/// What makes a file the prefilter ruled out matter after all: see [`late_needles`].
#[derive(Debug)]
pub struct LateNeedles {
    /// `None` if the automaton could not be built: then every file counts as matching.
    automaton: Option<AhoCorasick>,
}

impl LateNeedles {
    /// Whether the file at `path` (as decoded for scanning) contains a late needle. A file that
    /// can no longer be read or decoded counts as containing one (it is then analysed again,
    /// and reported as that analysis finds it).
    pub fn contained_in(&self, path: &Path) -> bool {
        let Ok(bytes) = std::fs::read(path) else {
            return true;
        };
        match crate::source::decode(&bytes) {
            Ok(decoded) => self
                .automaton
                .as_ref()
                .is_none_or(|a| a.is_match(decoded.text.as_ref())),
            Err(_) => true,
        }
    }
}

/// The texts whose presence in a ruled-out file means it must be parsed after all, given the
/// results of the files that were parsed (`(path, findings, ports, include paths)` each):
///
/// - the name of every weak finding (pattern matches, weak rules) that no C-family needle
///   covers: a ruled-out file that defines the name would drop the finding, and a definition is
///   a token of the file;
/// - when the tree has HIP shims, the file name of each shim and of each parsed file that
///   includes a file in that set (to a fixed point): a finding in a file that reaches a shim
///   through includes is already ported, and an include path resolving to a file ends with that
///   file's name.
///
/// `None` when there is nothing to look for.
pub fn late_needles<'a>(
    parsed: impl Iterator<Item = (&'a str, &'a [Finding], &'a FilePorts, &'a [String])>,
    prefilter: &Prefilter,
    rules: &RuleSet,
) -> Option<LateNeedles> {
    let mut needles: BTreeSet<String> = BTreeSet::new();
    let mut ports: BTreeMap<String, FilePorts> = BTreeMap::new();
    let mut includes: Vec<(&str, &[String])> = Vec::new();
    for (path, findings, file_ports, file_includes) in parsed {
        for f in findings {
            if let Some(name) = &f.weak_name {
                if !prefilter.implied_by(Lang::Cuda, name) {
                    needles.insert(name.clone());
                }
            }
        }
        ports.insert(path.to_string(), file_ports.clone());
        if !file_includes.is_empty() {
            includes.push((path, file_includes));
        }
    }
    let shims = crate::ports::apply(&mut [], &ports, rules).shim_files;
    if !shims.is_empty() {
        let mut reached: BTreeSet<&str> = shims.iter().map(|s| file_name(&s.path)).collect();
        loop {
            let before = reached.len();
            for (path, incs) in &includes {
                if incs
                    .iter()
                    .any(|inc| reached.iter().any(|name| inc.ends_with(name)))
                {
                    reached.insert(file_name(path));
                }
            }
            if reached.len() == before {
                break;
            }
        }
        needles.extend(reached.into_iter().map(String::from));
    }
    needles.retain(|n| !n.is_empty());
    if std::env::var_os("CA_DEBUG").is_some() {
        eprintln!("late needles: {needles:?}");
    }
    if needles.is_empty() {
        return None;
    }
    Some(LateNeedles {
        automaton: AhoCorasick::new(&needles).ok(),
    })
}

/// The last component of a `/`-separated path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The needles of the C-family rules, or `None` if some matcher has none.
fn c_family_needles(rules: &RuleSet) -> Option<BTreeSet<String>> {
    let texts = rules.matcher_texts(&Lang::C_FAMILY);
    let mut out = BTreeSet::new();
    for name in &texts.names {
        out.insert(longest_segment(name, "::")?.to_string());
    }
    for glob in texts.patterns.iter().chain(&texts.includes) {
        out.extend(glob_needles(glob)?);
    }
    for ns in &texts.namespaces {
        out.insert(longest_segment(ns, "::")?.to_string());
    }
    if texts.launch {
        out.insert("<<<".to_string());
    }
    if texts.inline_asm {
        out.insert("asm".to_string());
    }
    Some(out)
}

/// The longest `sep`-separated segment of `s`; `None` if it is empty.
fn longest_segment<'a>(s: &'a str, sep: &str) -> Option<&'a str> {
    s.split(sep)
        .max_by_key(|seg| seg.len())
        .filter(|seg| !seg.is_empty())
}

/// One piece of a glob, as far as needles are concerned.
#[derive(Debug, PartialEq)]
enum Piece {
    Literal(String),
    /// `*` or `**`: any text, possibly empty (and possibly a `/` next to it is optional).
    Star,
    /// Something that matches text the needles cannot say anything about: `?`, a negated class,
    /// an alternation, an escape.
    Opaque,
    /// `[…]`: exactly one of these characters.
    Class(Vec<char>),
}

/// Splits a glob (globset syntax) into [`Piece`]s.
fn pieces(glob: &str) -> Vec<Piece> {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = Vec::new();
    let mut run = String::new();
    let mut i = 0;
    let flush = |run: &mut String, out: &mut Vec<Piece>| {
        if !run.is_empty() {
            out.push(Piece::Literal(std::mem::take(run)));
        }
    };
    while i < chars.len() {
        match chars[i] {
            '*' => {
                flush(&mut run, &mut out);
                if out.last() != Some(&Piece::Star) {
                    out.push(Piece::Star);
                }
                i += 1;
            }
            '?' => {
                flush(&mut run, &mut out);
                out.push(Piece::Opaque);
                i += 1;
            }
            '[' => {
                flush(&mut run, &mut out);
                // A `]` right after `[` or `[!`/`[^` is a member of the class.
                let mut j = i + 1;
                let negated = j < chars.len() && matches!(chars[j], '!' | '^');
                if negated {
                    j += 1;
                }
                let first = j;
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                let members = class_members(&chars[first..j.min(chars.len())]);
                out.push(match members {
                    Some(m) if !negated && !m.is_empty() => Piece::Class(m),
                    _ => Piece::Opaque,
                });
                i = j + 1;
            }
            '{' => {
                flush(&mut run, &mut out);
                let mut depth = 0usize;
                let mut j = i;
                while j < chars.len() {
                    match chars[j] {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        '\\' => j += 1,
                        _ => {}
                    }
                    j += 1;
                }
                out.push(Piece::Opaque);
                i = j + 1;
            }
            '\\' => {
                // An escape on Unix, a separator on Windows: either way not counted.
                flush(&mut run, &mut out);
                out.push(Piece::Opaque);
                i += 2;
            }
            c => {
                run.push(c);
                i += 1;
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The characters of a class body (`A-Z`, `abc`, `0-9_`); `None` if it holds more than 64 or a
/// malformed range.
fn class_members(body: &[char]) -> Option<Vec<char>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if i + 2 < body.len() && body[i + 1] == '-' {
            let (a, b) = (body[i], body[i + 2]);
            if a > b {
                return None;
            }
            out.extend(a..=b);
            i += 3;
        } else {
            out.push(body[i]);
            i += 1;
        }
        if out.len() > 64 {
            return None;
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// Texts one of which every string a glob (globset syntax) matches contains: the glob's most
/// selective literal run, or a run followed (or preceded) by a small character class expanded
/// (`cu[A-Z]*` → `cuA` … `cuZ`, far more selective than `cu`). `None` if the glob has no literal.
///
/// A `/` next to a `*` is dropped from its run, because `**/x` also matches `x`.
pub fn glob_needles(glob: &str) -> Option<Vec<String>> {
    let pieces = pieces(glob);
    let star = |i: Option<usize>| i.and_then(|i| pieces.get(i)) == Some(&Piece::Star);
    let mut best: Option<Vec<String>> = None;
    let mut consider = |option: Vec<String>| {
        if option.is_empty() || option.iter().any(String::is_empty) {
            return;
        }
        let shortest = |o: &Vec<String>| o.iter().map(String::len).min().unwrap_or(0);
        if best.as_ref().is_none_or(|b| {
            (shortest(&option), std::cmp::Reverse(option.len()))
                > (shortest(b), std::cmp::Reverse(b.len()))
        }) {
            best = Some(option);
        }
    };
    for (i, piece) in pieces.iter().enumerate() {
        let Piece::Literal(run) = piece else { continue };
        let mut run = run.as_str();
        if star(i.checked_sub(1)) {
            run = run.trim_start_matches('/');
        }
        if star(Some(i + 1)) {
            run = run.trim_end_matches('/');
        }
        consider(vec![run.to_string()]);
        if let Some(Piece::Class(members)) = pieces.get(i + 1) {
            if !star(i.checked_sub(1)) || !run.is_empty() {
                consider(members.iter().map(|c| format!("{run}{c}")).collect());
            }
        }
        if let Some(Piece::Class(members)) = i.checked_sub(1).map(|j| &pieces[j]) {
            if !star(Some(i + 1)) || !run.is_empty() {
                consider(members.iter().map(|c| format!("{c}{run}")).collect());
            }
        }
    }
    best
}

/// Drops every needle that contains another one: a text containing it contains the other, so the
/// set matches the same texts.
fn minimise(needles: &BTreeSet<String>) -> Vec<String> {
    let all: Vec<&String> = needles.iter().collect();
    let Ok(automaton) = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .build(&all)
    else {
        return all.into_iter().cloned().collect();
    };
    all.iter()
        .enumerate()
        .filter(|&(i, n)| {
            !automaton
                .find_overlapping_iter(n.as_str())
                .any(|m| m.pattern().as_usize() != i)
        })
        .map(|(_, n)| (*n).clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(glob: &str) -> Option<Vec<String>> {
        glob_needles(glob)
    }

    fn one(s: &str) -> Option<Vec<String>> {
        Some(vec![s.to_string()])
    }

    #[test]
    fn glob_literals() {
        assert_eq!(lit("cublas*"), one("cublas"));
        assert_eq!(lit("thrust/**"), one("thrust"));
        assert_eq!(lit("**/cuda_runtime.h"), one("cuda_runtime.h"));
        assert_eq!(lit("cuda/std/*"), one("cuda/std"));
        assert_eq!(lit("{a,b}xyz"), one("xyz"));
        assert_eq!(lit("[]x]abc").unwrap(), ["]abc", "xabc"]);
        assert_eq!(lit("ab\\*cd"), one("ab"));
        assert_eq!(lit("*"), None);
        assert_eq!(lit("[ab]"), None);
        assert_eq!(lit("[!a]bc"), one("bc"));
        let expanded = lit("cu[A-Z]*").unwrap();
        assert_eq!(expanded.len(), 26);
        assert_eq!(expanded[0], "cuA");
        assert_eq!(lit("x[ab]").unwrap(), ["xa", "xb"]);
    }

    #[test]
    fn needles_are_in_every_match() {
        use globset::GlobBuilder;
        let cases = [
            ("**/cuda/*.h", "cuda/x.h"),
            ("cuda/**", "cuda/a/b"),
            ("a/**/b", "a/b"),
            ("cu{da,blas}_*.h", "cublas_v2.h"),
            ("cu[A-Z]*", "cuMemAlloc"),
            ("*[xy]abc", "qqyabc"),
            ("[xy]/abc/**", "y/abc/z"),
        ];
        for (glob, text) in cases {
            let g = GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .unwrap()
                .compile_matcher();
            assert!(g.is_match(text), "{glob} {text}");
            let needles = glob_needles(glob).unwrap();
            assert!(
                needles.iter().any(|n| text.contains(n.as_str())),
                "{glob}: none of {needles:?} in {text}"
            );
        }
    }

    #[test]
    fn minimal_needles() {
        let set: BTreeSet<String> = ["cuda", "cudaMalloc", "xcudax", "asm", "<<<"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(minimise(&set), ["<<<", "asm", "cuda"]);
    }

    #[test]
    fn builtin_rules_have_c_family_needles() {
        let rules = RuleSet::builtin().unwrap();
        let p = Prefilter::new(&rules);
        assert!(p.covers(Lang::Cuda));
        assert!(!p.covers(Lang::Python));
        assert!(p.may_match(Lang::Cpp, "int main() { cudaMalloc(0, 0); }"));
        assert!(p.may_match(Lang::Cpp, "k<<<1, 1>>>();"));
        assert!(!p.may_match(Lang::Cpp, "int main() { return 0; }"));
        assert!(p.may_match(Lang::Python, "print(1)"));
    }
}
