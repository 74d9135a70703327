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
//! is already ported). Ruled-out files are therefore re-examined once every other file is
//! scanned ([`late_needles`]): a ruled-out file is parsed after all when its text contains a weak
//! finding's name that no needle covers, or the file name of a HIP shim or of a file that
//! reaches one. Both tests over-approximate (a defined name and an include path are verbatim in
//! the file), so the result is exactly that of parsing every file; `--exhaustive` turns the
//! prefilter off, and tests/performance.rs checks the two agree byte for byte.
//!
//! **The project's own rules.** In a project that is itself a CUDA library (CUTLASS, NCCL), its
//! own rules' needles (`cutlass`, `cute`, `CUTLASS_*`) are in nearly every file, and every finding
//! of those rules in its own code is a use of its own library, never reported
//! ([`crate::project::Identity::owns_rule`]). [`Prefilter::split`] keeps those needles apart: a
//! file of the project's own with no other needle is ruled out and counted as holding nothing
//! but the project's own uses ([`Prefilter::own_only`]); in both modes such a file's hits, all of
//! them such uses, are kept out of every count, so `--exhaustive`, which parses it, reports the
//! same. Vendored files are not the project's: every needle counts there
//! ([`Prefilter::may_match_any`]). The late needles stay sound: a weak finding's name that only
//! the own needles cover is looked for in the ruled-out files like any other.
//!
//! Languages other than C, C++ and CUDA are always parsed: Python facts are built from resolved
//! imports, decoded string literals and normalised device strings (`"CU" "DA:0"` is `.to(cuda)`),
//! manifests normalise package names, so their matched text need not occur in the file's bytes;
//! and manifest front ends report malformed files, which a skipped file would not.

use crate::finding::Hit;
use crate::lang::Lang;
use crate::ports::FilePorts;
use crate::rule::{RuleIdx, RuleSet};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The prefilter for one rule set.
#[derive(Debug)]
pub struct Prefilter {
    /// Needles of the C-family rules (but the project's own, when [split](Prefilter::split));
    /// `None` when some such matcher has no needle.
    c_family: Option<Needles>,
    /// Needles of the project's own C-family rules, when split off.
    own: Option<Needles>,
}

/// Which needles a file holds ([`Prefilter::needles_held`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// A needle of a rule that is not the project's own (or the language is not prefiltered):
    /// the file may yield any finding.
    Others,
    /// Needles of the project's own rules only ([`Prefilter::split`]).
    OwnOnly,
    /// No needle: no rule can match.
    Nothing,
}

/// A needle and where in the text it counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bounds {
    /// Only where a token may start ([`token_may_start`]).
    start: bool,
    /// Only where a token may end (no ASCII identifier character follows).
    end: bool,
}

impl Bounds {
    const NONE: Bounds = Bounds {
        start: false,
        end: false,
    };
    const TOKEN: Bounds = Bounds {
        start: true,
        end: true,
    };

    /// The weaker of two requirements (a needle listed twice counts where either would).
    fn meet(self, other: Bounds) -> Bounds {
        Bounds {
            start: self.start && other.start,
            end: self.end && other.end,
        }
    }
}

#[derive(Debug)]
struct Needles {
    automaton: AhoCorasick,
    bounds: Vec<Bounds>,
}

impl Prefilter {
    /// Derives the needles from the rules.
    pub fn new(rules: &RuleSet) -> Prefilter {
        Prefilter {
            c_family: c_family_needles(rules, |_| true).map(|n| Needles::build(&n)),
            own: None,
        }
    }

    /// A prefilter that keeps the needles of the project's own rules (`own`: the rules whose
    /// every finding in the project's own code is a use of its own library, see
    /// [`crate::project::Identity::owns_rule`]) apart from the others. A file of the project's
    /// own whose text holds needles of its own rules only can yield no finding but such uses:
    /// [`Self::may_match`] rules it out and [`Self::own_only`] says so. Vendored code is not
    /// the project's: [`Self::may_match_any`] counts every needle there. When the own rules
    /// have no needles (or one has none), nothing is split off.
    pub fn split(rules: &RuleSet, own: impl Fn(RuleIdx) -> bool) -> Prefilter {
        match c_family_needles(rules, &own) {
            Some(own_needles) if !own_needles.is_empty() => Prefilter {
                c_family: c_family_needles(rules, |r| !own(r)).map(|n| Needles::build(&n)),
                own: Some(Needles::build(&own_needles)),
            },
            _ => Prefilter::new(rules),
        }
    }

    /// Which needles a file of `lang` holds: one pass over the text for the rules that are not
    /// the project's own, a second only when it holds none of theirs.
    pub fn needles_held(&self, lang: Lang, text: &str) -> Held {
        match self.needles(lang) {
            None => Held::Others,
            Some(n) if n.find(text).is_some() => Held::Others,
            Some(_) => match &self.own {
                Some(own) if lang.is_c_family() && own.find(text).is_some() => Held::OwnOnly,
                _ => Held::Nothing,
            },
        }
    }

    /// Whether a file of `lang` may yield a finding (other than a use of the project's own
    /// rules, when split): `false` only when it provably cannot.
    pub fn may_match(&self, lang: Lang, text: &str) -> bool {
        self.needles_held(lang, text) == Held::Others
    }

    /// Whether a file of `lang` may yield a finding of any rule, the project's own included
    /// (for vendored code, which is not the project's).
    pub fn may_match_any(&self, lang: Lang, text: &str) -> bool {
        self.needles_held(lang, text) != Held::Nothing
    }

    /// Whether a file of `lang` may yield findings of the project's own rules only: it holds a
    /// needle of one, and none of any other rule. Always `false` unless split.
    pub fn own_only(&self, lang: Lang, text: &str) -> bool {
        self.needles_held(lang, text) == Held::OwnOnly
    }

    /// Whether the project's own rules were split off (see [`Self::split`]).
    pub fn is_split(&self) -> bool {
        self.own.is_some()
    }

    /// Whether the prefilter may rule out files of `lang` at all.
    pub fn covers(&self, lang: Lang) -> bool {
        self.needles(lang).is_some()
    }

    /// Whether a file of `lang` holding `name` as a token (a definition) holds a needle, so a
    /// file the prefilter ruled out cannot define `name`.
    pub fn implied_by(&self, lang: Lang, name: &str) -> bool {
        self.needles(lang).is_some_and(|n| n.find(name).is_some())
    }

    /// How many needles the C-family automaton holds (after minimisation).
    pub fn c_family_needles(&self) -> Option<usize> {
        self.c_family.as_ref().map(|n| n.bounds.len())
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
    fn build(needles: &BTreeMap<String, Bounds>) -> Needles {
        let minimal = minimise(needles);
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(minimal.iter().map(|(n, _)| n))
            .expect("a few thousand short needles fit an automaton");
        Needles {
            automaton,
            bounds: minimal.into_iter().map(|(_, b)| b).collect(),
        }
    }

    /// The first needle occurrence that counts.
    fn find(&self, text: &str) -> Option<std::ops::Range<usize>> {
        let bytes = text.as_bytes();
        self.automaton
            .find_overlapping_iter(text)
            .find(|m| {
                let b = self.bounds[m.pattern().as_usize()];
                (!b.start || token_may_start(bytes, m.start()))
                    && (!b.end || !bytes.get(m.end()).is_some_and(|&c| is_ident_byte(c)))
            })
            .map(|m| m.range())
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether a C/C++ token (of tree-sitter-cuda, or of the macro-body tokenizer) may start at byte
/// `p`: `false` only when `p` is provably inside an identifier or keyword.
///
/// Identifier and keyword tokens are maximal runs of identifier characters, so a token starts
/// after an ASCII identifier character only when the token before ends there without being an
/// identifier: a number literal (`1cudaX`, `0x1.fp3cudaX`, `1'000u`, whose characters include
/// digits, `.`, `'` and signs) or a preprocessor directive (`#ifdefX`). So `p` is inside an
/// identifier when the maximal run of ASCII identifier characters before it starts with a letter
/// or `_` that follows none of `.`, `'`, `+`, `-` and no `#` (blanks allowed between). Anything
/// else (a byte ≥ 0x80, `$`, `\\`, a quote) counts as a possible token start.
fn token_may_start(bytes: &[u8], p: usize) -> bool {
    /// Longer runs are not worth walking back over: count them as a possible start.
    const MAX_RUN: usize = 256;
    if p == 0 || !is_ident_byte(bytes[p - 1]) {
        return true;
    }
    let mut q = p;
    while q > 0 && is_ident_byte(bytes[q - 1]) {
        q -= 1;
        if p - q > MAX_RUN {
            return true;
        }
    }
    if bytes[q].is_ascii_digit() {
        return true;
    }
    if q > 0 && matches!(bytes[q - 1], b'.' | b'\'' | b'+' | b'-') {
        return true;
    }
    let mut r = q;
    while r > 0 && matches!(bytes[r - 1], b' ' | b'\t') {
        r -= 1;
    }
    r > 0 && bytes[r - 1] == b'#'
}

/// What makes a file the prefilter ruled out matter after all: see [`late_needles`].
#[derive(Debug)]
pub struct LateNeedles {
    /// Texts to look for: `None` when there are none; `Some(None)` if the automaton could not
    /// be built (then every file counts as containing one).
    automaton: Option<Option<AhoCorasick>>,
    /// Ruled-out files a ROCm build compiles (its sources and the headers they include): their
    /// own `#include`s extend what the build covers, so they are parsed whatever their text.
    compiled: BTreeSet<String>,
}

impl LateNeedles {
    /// Whether the ruled-out file `rel` (relative to the root; at `path` on disk) must be parsed
    /// after all: a ROCm build compiles it, or its text (as decoded for scanning) contains a
    /// late needle. A file that can no longer be read or decoded counts as containing one (it
    /// is then analysed again, and reported as that analysis finds it).
    pub fn matter(&self, rel: &str, path: &Path) -> bool {
        if self.compiled.contains(rel) {
            return true;
        }
        let Some(automaton) = &self.automaton else {
            return false;
        };
        let Ok(bytes) = std::fs::read(path) else {
            return true;
        };
        match crate::source::decode(&bytes) {
            Ok(decoded) => automaton
                .as_ref()
                .is_none_or(|a| a.is_match(decoded.text.as_ref())),
            Err(_) => true,
        }
    }
}

/// What makes a ruled-out file matter, given the files that were parsed (`(path, hits, ports)`
/// each) and the paths of those ruled out (whose ports are unknown, so taken as empty: the
/// include resolution then sees the same files as the final pass, where they are empty too):
///
/// - the name of every weak finding (pattern matches, weak rules) that no C-family needle
///   covers: a ruled-out file that defines the name would drop the finding, and a definition is
///   a token of the file;
/// - when the tree has HIP shims, the file name of each shim and of each parsed file that
///   includes a file in that set (to a fixed point): a finding in a file that reaches a shim
///   through includes is already ported, and an include path resolving to a file ends with that
///   file's name;
/// - the ruled-out files a ROCm build compiles ([`crate::ports::hipified_paths`]): a build's
///   closure goes on through their includes (a binding `.cpp` with no CUDA name that includes
///   the kernels), which only their parse knows.
///
/// `None` when there is nothing to look for.
pub fn late_needles<'a>(
    parsed: impl Iterator<Item = (&'a str, &'a [Hit], &'a FilePorts)>,
    ruled_out: impl Iterator<Item = &'a str>,
    prefilter: &Prefilter,
    rules: &RuleSet,
) -> Option<LateNeedles> {
    let mut needles: BTreeSet<String> = BTreeSet::new();
    let mut ports: BTreeMap<String, FilePorts> = BTreeMap::new();
    for (path, hits, file_ports) in parsed {
        for h in hits {
            if let Some(name) = &h.weak_name {
                if !prefilter.implied_by(Lang::Cuda, name) {
                    needles.insert(name.to_string());
                }
            }
        }
        ports.insert(path.to_string(), file_ports.clone());
    }
    let ruled_out: BTreeSet<&str> = ruled_out.collect();
    for &path in &ruled_out {
        ports.entry(path.to_string()).or_default();
    }
    // A ruled-out file that includes a shim, or a parsed file reaching one, names it by its
    // file name: the shims and their includers (the closure ports uses) are the needles.
    for shim in crate::ports::apply(&[], &ports, rules).0.shim_files {
        needles.insert(file_name(&shim.path).to_string());
        for includer in crate::ports::includers_of(&ports, &shim.path) {
            needles.insert(file_name(includer).to_string());
        }
    }
    needles.retain(|n| !n.is_empty());
    let compiled: BTreeSet<String> = crate::ports::hipified_paths(&ports)
        .into_iter()
        .filter(|p| ruled_out.contains(p.as_str()))
        .collect();
    if needles.is_empty() && compiled.is_empty() {
        return None;
    }
    Some(LateNeedles {
        automaton: (!needles.is_empty()).then(|| AhoCorasick::new(&needles).ok()),
        compiled,
    })
}

/// The last component of a `/`-separated path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The needles of the C-family rules `keep` selects, or `None` if some matcher has none.
fn c_family_needles(
    rules: &RuleSet,
    keep: impl Fn(RuleIdx) -> bool,
) -> Option<BTreeMap<String, Bounds>> {
    let texts = rules.matcher_texts_of(&Lang::C_FAMILY, keep);
    let mut out: BTreeMap<String, Bounds> = BTreeMap::new();
    let mut add = |needle: String, bounds: Bounds| {
        let b = out.entry(needle).or_insert(bounds);
        *b = b.meet(bounds);
    };
    // A name or namespace is matched as whole tokens (`::`-separated): its longest segment is one.
    let segment = |path: &str| -> Option<(String, Bounds)> {
        let seg = path.split("::").max_by_key(|seg| seg.len())?;
        if seg.is_empty() {
            return None;
        }
        let bounds = if crate::lang::lexer::is_identifier(seg) {
            Bounds::TOKEN
        } else {
            Bounds::NONE
        };
        Some((seg.to_string(), bounds))
    };
    for name in texts.names.iter().chain(&texts.namespaces) {
        let (n, b) = segment(name)?;
        add(n, b);
    }
    // Patterns are matched against whole tokens; include globs against an include's path, which
    // is a token too or sits between `<>` or quotes (so it starts and ends where a token may).
    for glob in texts.patterns.iter().chain(&texts.includes) {
        for (n, b) in glob_needles(glob)? {
            add(n, b);
        }
    }
    if texts.launch {
        add("<<<".to_string(), Bounds::NONE);
    }
    if texts.inline_asm {
        // The keywords of inline assembly in the grammar and in the macro-body tokenizer.
        for kw in ["asm", "__asm", "__asm__"] {
            add(kw.to_string(), Bounds::TOKEN);
        }
    }
    Some(out)
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
/// Each needle comes with where it sits in a match: at its start when its first piece is the
/// glob's first, at its end when its last piece is the glob's last.
///
/// A `/` after a `*` is dropped from its run, because `**/x` also matches `x`.
fn glob_needles(glob: &str) -> Option<Vec<(String, Bounds)>> {
    let pieces = pieces(glob);
    let star = |i: Option<usize>| i.and_then(|i| pieces.get(i)) == Some(&Piece::Star);
    let last = pieces.len().saturating_sub(1);
    let mut best: Option<Vec<(String, Bounds)>> = None;
    let mut consider = |texts: Vec<String>, first: usize, end: usize| {
        if texts.is_empty() || texts.iter().any(String::is_empty) {
            return;
        }
        let bounds = Bounds {
            start: first == 0,
            end: end == last,
        };
        let option: Vec<(String, Bounds)> = texts.into_iter().map(|t| (t, bounds)).collect();
        let shortest = |o: &Vec<(String, Bounds)>| o.iter().map(|(t, _)| t.len()).min();
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
        // `**/x` also matches `x`; `x/**` does not match `x`.
        let trimmed_start = star(i.checked_sub(1)) && run.starts_with('/');
        if trimmed_start {
            run = run.trim_start_matches('/');
        }
        consider(vec![run.to_string()], i, i);
        if let Some(Piece::Class(members)) = pieces.get(i + 1) {
            if !trimmed_start {
                consider(
                    members.iter().map(|c| format!("{run}{c}")).collect(),
                    i,
                    i + 1,
                );
            }
        }
        if let Some(Piece::Class(members)) = i.checked_sub(1).map(|j| &pieces[j]) {
            consider(
                members.iter().map(|c| format!("{c}{run}")).collect(),
                i - 1,
                i,
            );
        }
    }
    best
}

/// Drops every needle that another makes redundant: one occurring inside it, where its own
/// bounds are implied by the other's (at the start if it must be at a token start, at the end if
/// at a token end). A text in which the dropped needle counts has the other counting too.
fn minimise(needles: &BTreeMap<String, Bounds>) -> Vec<(String, Bounds)> {
    let all: Vec<(&String, Bounds)> = needles.iter().map(|(n, &b)| (n, b)).collect();
    let Ok(automaton) = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .build(all.iter().map(|(n, _)| n))
    else {
        return all.into_iter().map(|(n, b)| (n.clone(), b)).collect();
    };
    all.iter()
        .enumerate()
        .filter(|&(i, (n, b))| {
            !automaton.find_overlapping_iter(n.as_str()).any(|m| {
                let j = m.pattern().as_usize();
                let other = all[j].1;
                j != i
                    && (!other.start || (m.start() == 0 && b.start))
                    && (!other.end || (m.end() == n.len() && b.end))
            })
        })
        .map(|(_, (n, b))| ((*n).clone(), *b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(glob: &str) -> Option<Vec<String>> {
        glob_needles(glob).map(|v| v.into_iter().map(|(n, _)| n).collect())
    }

    fn one(s: &str) -> Option<Vec<String>> {
        Some(vec![s.to_string()])
    }

    #[test]
    fn glob_literals() {
        assert_eq!(lit("cublas*"), one("cublas"));
        assert_eq!(lit("thrust/**"), one("thrust/"));
        assert_eq!(lit("**/cuda_runtime.h"), one("cuda_runtime.h"));
        assert_eq!(lit("cuda/std/*"), one("cuda/std/"));
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
            let needles = lit(glob).unwrap();
            assert!(
                needles.iter().any(|n| text.contains(n.as_str())),
                "{glob}: none of {needles:?} in {text}"
            );
        }
    }

    #[test]
    fn minimal_needles() {
        let set: BTreeMap<String, Bounds> = [
            (
                "cuda",
                Bounds {
                    start: true,
                    end: false,
                },
            ),
            ("cudaMalloc", Bounds::TOKEN),
            ("xcudax", Bounds::NONE),
            ("cute", Bounds::TOKEN),
            ("cuteFoo", Bounds::TOKEN),
            ("<<<", Bounds::NONE),
        ]
        .into_iter()
        .map(|(n, b)| (n.to_string(), b))
        .collect();
        let kept: Vec<String> = minimise(&set).into_iter().map(|(n, _)| n).collect();
        // `cudaMalloc` needs `cuda` at its start; `xcudax` has it in the middle, not at a token
        // start; `cuteFoo` does not hold `cute` as a whole token.
        assert_eq!(kept, ["<<<", "cuda", "cute", "cuteFoo", "xcudax"]);
    }

    #[test]
    fn token_starts() {
        let t = |s: &str, p: usize| token_may_start(s.as_bytes(), p);
        assert!(t("cudaX", 0));
        assert!(t(" cudaX", 1));
        assert!(!t("execute", 2));
        assert!(!t("GGML_CUDA_X", 5));
        assert!(t("1cudaX", 1));
        assert!(t("0x1.fp3cudaX", 7));
        assert!(t("#ifdefcudaX", 6));
        assert!(t("#  definecudaX", 9));
        // A byte >= 0x80 may end a token (`€` is no identifier character).
        assert!(t("\u{20ac}cudaX", 3));
        // A universal character name is part of an identifier.
        assert!(!t("\\u0041cudaX", 6));
    }

    #[test]
    fn bounds_count() {
        let rules = RuleSet::builtin().unwrap();
        let p = Prefilter::new(&rules);
        // `cute` is a namespace: as a whole token only.
        assert!(!p.may_match(Lang::Cpp, "void execute(); int compute;"));
        assert!(p.may_match(Lang::Cpp, "cute::Tensor t;"));
        // `CUDA_*` names start a token.
        assert!(!p.may_match(Lang::Cpp, "int GGML_CUDA_FOO = 1;"));
        assert!(p.may_match(Lang::Cpp, "int x = CUDA_VERSION;"));
        assert!(!p.may_match(Lang::Cpp, "int wasm_ok;"));
        assert!(p.may_match(Lang::Cpp, "__asm__ volatile(\"nop\");"));
        assert!(p.may_match(Lang::Cpp, "#ifdefcudaFoo\n#endif"));
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

    #[test]
    fn a_split_prefilter_tells_the_project_s_own_rules_apart() {
        let rules = RuleSet::builtin().unwrap();
        let cutlass = |r: RuleIdx| rules.rule(r).library == "cutlass";
        let p = Prefilter::split(&rules, cutlass);
        assert!(p.is_split());
        let own = "cutlass::half_t h; CUTLASS_HOST_DEVICE int f();";
        assert!(!p.may_match(Lang::Cpp, own));
        assert!(p.may_match_any(Lang::Cpp, own));
        assert!(p.own_only(Lang::Cpp, own));
        let both = "cutlass::half_t *b; cudaMalloc(&b, 2);";
        assert!(p.may_match(Lang::Cpp, both));
        assert!(!p.own_only(Lang::Cpp, both));
        let neither = "int main() { return 0; }";
        assert!(!p.may_match_any(Lang::Cpp, neither));
        assert!(!p.own_only(Lang::Cpp, neither));
        assert!(!p.own_only(Lang::Python, own));
        // A name that only the own rules cover may be defined in a file ruled out as own-only.
        assert!(!p.implied_by(Lang::Cpp, "cutlass_helper"));
        assert!(p.implied_by(Lang::Cpp, "cudaHelper"));
        // No rule of the project's own: nothing is split off.
        assert!(!Prefilter::split(&rules, |_| false).is_split());
    }
}
