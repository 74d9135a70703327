//! Code that only runs on ROCm ([`Extraction::rocm_regions`]): the body of `if torch.version.hip:`,
//! the `else` of `if not is_hip():`, the ROCm side of `x if HIP_ENVIRONMENT else y`.
//!
//! A **ROCm condition** is, after resolving names through imports and aliases:
//!
//! - a reference to `torch.version.hip`, `torch.utils.cpp_extension.IS_HIP_EXTENSION` or
//!   `torch.utils.cpp_extension.ROCM_HOME`;
//! - a name or a call whose last identifier (as written, or as resolved) has a word `hip` or
//!   `rocm` (`is_hip()`, `self.is_rocm_pytorch()`, `current_platform.is_rocm()`,
//!   `HIP_ENVIRONMENT`, `IS_ROCM`, `isHip`), unless it also says `cuda` or `nvidia`, or has a
//!   negating word (`no`, `not`, `non`, `skip`, `disable`, `disabled`, `without`): `chip` or
//!   `relationship` are not words `hip`;
//! - a local variable every assignment of which is a ROCm condition
//!   (`on_amd = torch.version.hip is not None`);
//! - `C is not None`, `C != None`, `C is True`, `C == True`, `bool(C)`, `(C)`, `not not C`,
//!   and `C and X` (either side) for a ROCm condition `C`.
//!
//! Its negation (`not C`, `C is None`, `C == None`, `C is False`, `not C or X`) makes the
//! *other* branch ROCm-only: the `else` of an `if`, every `elif` after it, and the `else` side of
//! a conditional expression. `C or X` is no ROCm condition (`X` may hold elsewhere), nor is
//! `torch.version.cuda is None` (ROCm or a CPU build).
//!
//! A function or class decorated `@….skipif(C, …)` with `C` the negation of a ROCm condition,
//! or `@….skipUnless(C, …)` with `C` a ROCm condition (pytest, unittest), runs only on ROCm: its
//! body is a region. Guards that end a function early (`if not is_hip(): return`) are not
//! followed.
//!
//! [`Extraction::rocm_regions`]: crate::lang::Extraction::rocm_regions

use super::emit::Emitter;
use super::scope::{Binding, ScopeId, text};
use crate::lang::RocmRegion;
use crate::lang::node_names::NodeNames;
use std::ops::Range;
use tree_sitter::Node;

/// Deepest nesting of condition expressions and variables followed.
const MAX_DEPTH: usize = 32;
/// Depth from which variables are no longer followed (a variable's assignments start there).
const FOLLOWED: usize = MAX_DEPTH / 2;
/// Most assignments of one variable looked at.
const MAX_ASSIGNMENTS: usize = 16;
/// Longest condition text kept.
const MAX_CONDITION_CHARS: usize = 80;

/// Resolved names that mean ROCm PyTorch.
const ROCM_NAMES: &[&str] = &[
    "torch.version.hip",
    "torch.utils.cpp_extension.IS_HIP_EXTENSION",
    "torch.utils.cpp_extension.ROCM_HOME",
];

/// Words of an identifier that turn a ROCm name into its opposite (`NO_ROCM`, `skip_if_hip`).
const NEGATING_WORDS: &[&str] = &["no", "not", "non", "skip", "disable", "disabled", "without"];

/// Which way a condition points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sense {
    /// True only on ROCm: the branch it guards runs only on ROCm.
    Rocm,
    /// False only on ROCm: the branch taken when it is false runs only on ROCm.
    NotRocm,
}

impl Sense {
    fn flip(self) -> Sense {
        match self {
            Sense::Rocm => Sense::NotRocm,
            Sense::NotRocm => Sense::Rocm,
        }
    }
}

impl<'t> Emitter<'t, '_> {
    /// An `if` statement seen by the walk: the ROCm-only branches of its whole chain.
    pub(super) fn rocm_if(&mut self, unit: usize, node: Node<'t>, scope: ScopeId) {
        let mut branches: Vec<(Option<Node<'t>>, Node<'t>)> = Vec::new();
        if let (Some(c), Some(b)) = (node.field("condition"), node.field("consequence")) {
            branches.push((Some(c), b));
        } else {
            return;
        }
        let mut cursor = node.walk();
        let alternatives: Vec<Node<'t>> = node.fields("alternative", &mut cursor).collect();
        for alt in alternatives {
            match alt.kind_name() {
                "elif_clause" => {
                    if let (Some(c), Some(b)) = (alt.field("condition"), alt.field("consequence")) {
                        branches.push((Some(c), b));
                    }
                }
                "else_clause" => {
                    if let Some(b) = alt.field("body") {
                        branches.push((None, b));
                    }
                }
                _ => {}
            }
        }
        // The first `not ROCm` condition of the chain: every later branch runs only on ROCm.
        let mut negated: Option<Node<'t>> = None;
        for (cond, block) in branches {
            let sense = cond.and_then(|c| self.rocm_sense(unit, c, scope, 0));
            let because = match (sense, cond) {
                (Some(Sense::Rocm), Some(c)) => Some(c),
                _ => negated,
            };
            if let (Some(c), Some(span)) = (because, block_span(block)) {
                self.rocm_region(unit, span, c);
            }
            if sense == Some(Sense::NotRocm) && negated.is_none() {
                negated = cond;
            }
        }
    }

    /// `x if cond else y` seen by the walk.
    pub(super) fn rocm_ternary(&mut self, unit: usize, node: Node<'t>, scope: ScopeId) {
        let mut cursor = node.walk();
        let parts: Vec<Node<'t>> = node
            .named_children(&mut cursor)
            .filter(|n| n.kind_name() != "comment")
            .collect();
        let [then, cond, otherwise] = parts[..] else {
            return;
        };
        let region = match self.rocm_sense(unit, cond, scope, 0) {
            Some(Sense::Rocm) => then,
            Some(Sense::NotRocm) => otherwise,
            None => return,
        };
        self.rocm_region(unit, region.byte_range(), cond);
    }

    /// A decorated function or class seen by the walk: its body runs only on ROCm when a
    /// decorator skips it elsewhere (`@pytest.mark.skipif(not is_hip(), …)`,
    /// `@unittest.skipUnless(torch.version.hip, …)`).
    pub(super) fn rocm_decorated(&mut self, unit: usize, node: Node<'t>, scope: ScopeId) {
        let Some(body) = node
            .field("definition")
            .and_then(|d| d.field("body"))
            .and_then(block_span)
        else {
            return;
        };
        let src = self.src(unit);
        let mut cursor = node.walk();
        let decorators: Vec<Node<'t>> = node
            .named_children(&mut cursor)
            .filter(|d| d.kind_name() == "decorator")
            .filter_map(|d| d.named_child(0))
            .filter(|e| e.kind_name() == "call")
            .collect();
        for call in decorators {
            let Some(func) = call.field("function") else {
                continue;
            };
            let last = match func.kind_name() {
                "identifier" => Some(func),
                "attribute" => func.field("attribute"),
                _ => None,
            };
            let skips_when = match last.map(|l| text(l, src).to_ascii_lowercase()) {
                Some(l) if l == "skipif" => Sense::NotRocm,
                Some(l) if l == "skipunless" => Sense::Rocm,
                _ => continue,
            };
            let Some(cond) = call
                .field("arguments")
                .and_then(|a| a.named_child(0))
                .filter(|a| !matches!(a.kind_name(), "keyword_argument" | "comment"))
            else {
                continue;
            };
            if self.rocm_sense(unit, cond, scope, 0) == Some(skips_when) {
                self.rocm_region(unit, body, cond);
                return;
            }
        }
    }

    /// Sorts the regions into file order, without duplicates.
    pub(super) fn finish_rocm_regions(&mut self) {
        let regions = &mut self.out.rocm_regions;
        regions.sort_by(|a, b| {
            (
                a.span.start,
                std::cmp::Reverse(a.span.end),
                a.condition_offset,
            )
                .cmp(&(
                    b.span.start,
                    std::cmp::Reverse(b.span.end),
                    b.condition_offset,
                ))
        });
        regions.dedup_by(|a, b| a.span == b.span);
    }

    fn rocm_region(&mut self, unit: usize, span: Range<usize>, cond: Node<'t>) {
        let condition = condition_text(text(cond, self.src(unit)));
        let span = self.file_span(unit, span);
        let condition_offset = self.file_span(unit, cond.byte_range()).start;
        self.out.rocm_regions.push(RocmRegion {
            span,
            condition_offset,
            condition,
        });
    }

    /// Whether an expression holds only on ROCm, only off ROCm, or says nothing.
    fn rocm_sense(
        &self,
        unit: usize,
        node: Node<'t>,
        scope: ScopeId,
        depth: usize,
    ) -> Option<Sense> {
        if depth > MAX_DEPTH {
            return None;
        }
        let src = self.src(unit);
        match node.kind_name() {
            "parenthesized_expression" => {
                let mut cursor = node.walk();
                let inner: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|n| n.kind_name() != "comment")
                    .collect();
                match inner[..] {
                    [e] => self.rocm_sense(unit, e, scope, depth + 1),
                    _ => None,
                }
            }
            "not_operator" => node
                .field("argument")
                .and_then(|a| self.rocm_sense(unit, a, scope, depth + 1))
                .map(Sense::flip),
            "boolean_operator" => {
                let op = node.field("operator")?.kind_name();
                let left = node
                    .field("left")
                    .and_then(|l| self.rocm_sense(unit, l, scope, depth + 1));
                let right = node
                    .field("right")
                    .and_then(|r| self.rocm_sense(unit, r, scope, depth + 1));
                // `C and X` holds only where C does; `not C or X` fails only where C holds.
                let wanted = match op {
                    "and" => Sense::Rocm,
                    "or" => Sense::NotRocm,
                    _ => return None,
                };
                (left == Some(wanted) || right == Some(wanted)).then_some(wanted)
            }
            "comparison_operator" => {
                let mut cursor = node.walk();
                let operators: Vec<&str> = node
                    .fields("operators", &mut cursor)
                    .map(|o| o.kind_name())
                    .collect();
                let mut cursor = node.walk();
                let operands: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|n| n.kind_name() != "comment")
                    .collect();
                let ([op], [a, b]) = (&operators[..], &operands[..]) else {
                    return None;
                };
                let (value, constant) = if is_constant(*b) {
                    (*a, *b)
                } else if is_constant(*a) {
                    (*b, *a)
                } else {
                    return None;
                };
                let positive = match (*op, constant.kind_name()) {
                    ("is not" | "!=", "none") | ("is" | "==", "true") => true,
                    ("is" | "==", "none") | ("is" | "==", "false") | ("is not" | "!=", "true") => {
                        false
                    }
                    _ => return None,
                };
                let s = self.rocm_sense(unit, value, scope, depth + 1)?;
                Some(if positive { s } else { s.flip() })
            }
            "call" => {
                let func = node.field("function")?;
                let is_bool = func.kind_name() == "identifier"
                    && text(func, src) == "bool"
                    && self.scopes.lookup(scope, "bool").is_none();
                if is_bool {
                    let args = node.field("arguments")?;
                    let mut cursor = args.walk();
                    let args: Vec<Node<'t>> = args
                        .named_children(&mut cursor)
                        .filter(|n| n.kind_name() != "comment")
                        .collect();
                    return match args[..] {
                        [a] => self.rocm_sense(unit, a, scope, depth + 1),
                        _ => None,
                    };
                }
                self.rocm_name(unit, func, scope).then_some(Sense::Rocm)
            }
            "identifier" => {
                if self.rocm_name(unit, node, scope) {
                    return Some(Sense::Rocm);
                }
                self.rocm_variable(unit, node, scope, depth)
                    .then_some(Sense::Rocm)
            }
            "attribute" => self.rocm_name(unit, node, scope).then_some(Sense::Rocm),
            _ => None,
        }
    }

    /// Whether a name (`a`, `a.b.c`) means ROCm: a known PyTorch name, or a ROCm word in its last
    /// identifier.
    fn rocm_name(&self, unit: usize, node: Node<'t>, scope: ScopeId) -> bool {
        let src = self.src(unit);
        let last = match node.kind_name() {
            "identifier" => text(node, src),
            "attribute" => match node.field("attribute") {
                Some(a) => text(a, src),
                None => return false,
            },
            _ => return false,
        };
        let resolved = self.resolve(unit, node, scope, 0);
        if resolved.iter().any(|n| ROCM_NAMES.contains(&n.as_str())) {
            return true;
        }
        let lasts: Vec<&str> = std::iter::once(last)
            .chain(resolved.iter().filter_map(|n| n.rsplit('.').next()))
            .collect();
        if lasts.iter().any(|l| says_cuda(l)) {
            return false;
        }
        lasts.iter().any(|l| rocm_word(l))
    }

    /// A local variable whose every assignment is a ROCm condition.
    fn rocm_variable(&self, unit: usize, node: Node<'t>, scope: ScopeId, depth: usize) -> bool {
        let name = text(node, self.src(unit));
        let Some((Binding::Local, at)) = self.scopes.lookup(scope, name) else {
            return false;
        };
        let Some(locs) = self.scopes.scopes[at].assigned.get(name) else {
            return false;
        };
        // One variable deep: its assignments are looked at with no variables followed.
        depth < FOLLOWED
            && !locs.is_empty()
            && locs.len() <= MAX_ASSIGNMENTS
            && locs
                .iter()
                .all(|loc| self.rocm_sense(loc.unit, loc.node, at, FOLLOWED) == Some(Sense::Rocm))
    }
}

/// `None`, `True`, `False`.
fn is_constant(node: Node) -> bool {
    matches!(node.kind_name(), "none" | "true" | "false")
}

/// A block's statements, without leading or trailing comments; `None` when it has none.
fn block_span(block: Node) -> Option<Range<usize>> {
    let mut cursor = block.walk();
    let statements: Vec<Node> = block
        .named_children(&mut cursor)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    Some(statements.first()?.start_byte()..statements.last()?.end_byte())
}

/// The condition as written, whitespace collapsed, at most [`MAX_CONDITION_CHARS`] characters.
fn condition_text(raw: &str) -> String {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX_CONDITION_CHARS {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(MAX_CONDITION_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Whether an identifier names CUDA or NVIDIA (`is_hip_or_cuda`).
fn says_cuda(ident: &str) -> bool {
    let lower = ident.to_ascii_lowercase();
    lower.contains("cuda") || lower.contains("nvidia")
}

/// Whether an identifier has the word `hip` or `rocm` and no negating word.
fn rocm_word(ident: &str) -> bool {
    let words = words(ident);
    words.iter().any(|w| w == "hip" || w == "rocm")
        && !words.iter().any(|w| NEGATING_WORDS.contains(&w.as_str()))
}

/// The lowercase words of an identifier: split at `_`, at lower-to-upper case changes
/// (`isHip`, `HIPPlatform`) and between letters and digits (`rocm6`).
fn words(ident: &str) -> Vec<String> {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (c.is_uppercase() && (prev.is_lowercase() || prev.is_numeric()))
                || (c.is_uppercase() && prev.is_uppercase() && next_lower)
                || (c.is_numeric() != prev.is_numeric() && prev.is_alphanumeric());
            if boundary && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{condition_text, rocm_word};
    use crate::lang::cpp::CppFrontEnd;
    use crate::lang::python::PythonFrontEnd;
    use crate::lang::{Extraction, RocmRegion};
    use std::path::Path;

    fn extract_as(src: &str, path: &str) -> Extraction {
        let mut py = PythonFrontEnd::new();
        let mut cpp = CppFrontEnd::new();
        py.extract(src, Path::new(path), &mut cpp)
    }

    fn regions(src: &str) -> Vec<RocmRegion> {
        extract_as(src, "t.py").rocm_regions
    }

    /// `(region text, condition)` of every region.
    fn texts(src: &str) -> Vec<(String, String)> {
        regions(src)
            .into_iter()
            .map(|r| {
                assert!(src[r.condition_offset..].starts_with(&r.condition));
                (src[r.span].to_string(), r.condition)
            })
            .collect()
    }

    fn pair(region: &str, cond: &str) -> (String, String) {
        (region.to_string(), cond.to_string())
    }

    #[test]
    fn if_torch_version_hip() {
        let src =
            "import torch\nif torch.version.hip:\n    torch.cuda.synchronize()\nelse:\n    x()\n";
        let r = regions(src);
        assert_eq!(r.len(), 1);
        assert_eq!(&src[r[0].span.clone()], "torch.cuda.synchronize()");
        assert_eq!(r[0].condition, "torch.version.hip");
        assert_eq!(
            r[0].condition_offset,
            src.find("torch.version.hip").unwrap()
        );
    }

    #[test]
    fn aliases_and_none_checks() {
        let src = "import torch as th\nif th.version.hip is not None:\n    a()\n    b()\n";
        assert_eq!(
            texts(src),
            vec![pair("a()\n    b()", "th.version.hip is not None")]
        );
        let src = "from torch.version import hip as v\nif bool(v):\n    a()\nif v != None: b()\n";
        assert_eq!(
            texts(src),
            vec![pair("a()", "bool(v)"), pair("b()", "v != None")]
        );
        let src = "from torch.utils.cpp_extension import IS_HIP_EXTENSION as E, ROCM_HOME\nif E:\n    a()\nif ROCM_HOME is not None:\n    b()\n";
        assert_eq!(
            texts(src),
            vec![pair("a()", "E"), pair("b()", "ROCM_HOME is not None")]
        );
    }

    #[test]
    fn names_with_hip_or_rocm() {
        let src = "import torch\nHIP_ENVIRONMENT = torch.version.hip is not None\n\nif HIP_ENVIRONMENT:\n    a()\n";
        assert_eq!(texts(src), vec![pair("a()", "HIP_ENVIRONMENT")]);
        let src = r#"
from vllm.platforms import current_platform
from . import utils
class B:
    def f(self):
        if self.is_rocm_pytorch():
            a()
        if current_platform.is_rocm() and x > 1:
            b()
        if utils.is_hip():
            c()
        if IS_ROCM:
            d()
        if isHip():
            e()
"#;
        assert_eq!(
            texts(src),
            vec![
                pair("a()", "self.is_rocm_pytorch()"),
                pair("b()", "current_platform.is_rocm() and x > 1"),
                pair("c()", "utils.is_hip()"),
                pair("d()", "IS_ROCM"),
                pair("e()", "isHip()"),
            ]
        );
        // A variable holding a ROCm condition.
        let src = "import torch\non_amd = torch.version.hip is not None\nif on_amd:\n    a()\n";
        assert_eq!(texts(src), vec![pair("a()", "on_amd")]);
    }

    #[test]
    fn negated_conditions_take_the_other_branch() {
        let src = "if not is_hip():\n    a()\nelse:\n    b()\n";
        assert_eq!(texts(src), vec![pair("b()", "not is_hip()")]);
        let src = "import torch\nif torch.version.hip is None:\n    a()\nelif y:\n    b()\nelse:\n    c()\n";
        assert_eq!(
            texts(src),
            vec![
                pair("b()", "torch.version.hip is None"),
                pair("c()", "torch.version.hip is None")
            ]
        );
        let src = "if x:\n    a()\nelif is_rocm():\n    b()\nelse:\n    c()\n";
        assert_eq!(texts(src), vec![pair("b()", "is_rocm()")]);
        let src = "if not is_hip() or x:\n    a()\nelse:\n    b()\n";
        assert_eq!(texts(src), vec![pair("b()", "not is_hip() or x")]);
    }

    #[test]
    fn conditional_expressions() {
        let src =
            "import torch\nv = torch.version.hip if HIP_ENVIRONMENT else torch.version.cuda\n";
        assert_eq!(
            texts(src),
            vec![pair("torch.version.hip", "HIP_ENVIRONMENT")]
        );
        let src = "w = 32 if not is_hip() else 64\n";
        assert_eq!(texts(src), vec![pair("64", "not is_hip()")]);
        let src = "w = 32 if is_cuda() else 64\n";
        assert!(texts(src).is_empty());
    }

    #[test]
    fn tests_skipped_off_rocm() {
        let src = r#"
import pytest, unittest, torch
@pytest.mark.skipif(not torch.version.hip, reason="ROCm only")
def test_a():
    torch.cuda.synchronize()

class T(unittest.TestCase):
    @unittest.skipUnless(TEST_WITH_ROCM, "ROCm only")
    def test_b(self):
        b()

    @unittest.skipIf(IS_ROCM, "not on ROCm")
    def test_c(self):
        c()

@skipIfRocm
def test_d():
    d()
"#;
        assert_eq!(
            texts(src),
            vec![
                pair("torch.cuda.synchronize()", "not torch.version.hip"),
                pair("b()", "TEST_WITH_ROCM"),
            ]
        );
    }

    #[test]
    fn nested_regions_in_file_order() {
        let src = "if is_hip():\n    a = 1 if is_rocm() else 2\n    if not IS_ROCM:\n        b()\n    else:\n        c()\nelse:\n    d()\n";
        assert_eq!(
            texts(src),
            vec![
                pair(
                    "a = 1 if is_rocm() else 2\n    if not IS_ROCM:\n        b()\n    else:\n        c()",
                    "is_hip()"
                ),
                pair("1", "is_rocm()"),
                pair("c()", "not IS_ROCM"),
            ]
        );
    }

    #[test]
    fn not_rocm_conditions() {
        let inputs = [
            "import torch\nif torch.version.cuda:\n    a()\n",
            "import torch\nif torch.version.cuda is None:\n    a()\n",
            "if is_hip() or x:\n    a()\n",
            "import torch\nif not torch.version.hip:\n    a()\n",
            "if not is_hip(): a()\n",
            "# if torch.version.hip:\nif x:\n    a()\n",
            "if x == 'hip':\n    a()\n\"\"\"if is_hip(): hip\"\"\"\n",
            "if chip_type():\n    a()\nif relationship:\n    b()\n",
            "if is_hip_or_cuda():\n    a()\nif NO_ROCM:\n    b()\nif skip_if_rocm():\n    c()\n",
            "if torch.cuda.is_available():\n    a()\n",
            "import torch\nif torch.version.hip >= '6.0':\n    a()\n",
        ];
        for src in inputs {
            let r = texts(src);
            assert!(r.is_empty(), "{src}: {r:?}");
        }
    }

    #[test]
    fn comments_around_a_block_are_left_out() {
        let src = "if is_hip():\n    # first\n    a()\n    # last\n# after\nb()\n";
        assert_eq!(texts(src), vec![pair("a()", "is_hip()")]);
    }

    #[test]
    fn words_of_identifiers() {
        for yes in [
            "is_hip",
            "HIP_ENVIRONMENT",
            "isHip",
            "is_rocm_pytorch",
            "IS_ROCM",
            "rocm6",
            "HIPPlatform",
            "hip",
        ] {
            assert!(rocm_word(yes), "{yes}");
        }
        for no in [
            "chip", "ship_it", "hipcc", "not_rocm", "isNotHip", "rocmless", "CHIP_ID", "Hipster",
        ] {
            assert!(!rocm_word(no), "{no}");
        }
        assert_eq!(condition_text("a  and\n   b"), "a and b");
        let long = format!("is_hip() and {}", "x".repeat(200));
        assert_eq!(condition_text(&long).chars().count(), 80);
    }

    #[test]
    fn notebook_offsets() {
        let nb = r#"{"cells": [{"cell_type": "markdown", "source": ["if is_hip(): no\n"]}, {"cell_type": "code", "source": ["import torch\n", "if torch.version.hip:\n", "    torch.cuda.synchronize()\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#;
        let r = extract_as(nb, "t.ipynb").rocm_regions;
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(&nb[r[0].span.clone()], "torch.cuda.synchronize()");
        assert!(nb[r[0].condition_offset..].starts_with("torch.version.hip:"));
        assert_eq!(r[0].condition, "torch.version.hip");
    }

    #[test]
    fn garbage_does_not_panic() {
        let inputs = [
            "if torch.version.hip",
            "if is_hip():\n",
            "if not :\n a()\nelse:\n b()",
            "x = 1 if is_hip() else",
            "x = if is_hip() else 2",
            "if (is_hip(), x):\n a()\n",
            "if a is not None is not None:\n a()\n",
            "\u{0}\u{ff}if is_hip():\n\ta()\nelif not is_rocm()\n\tb()\nelse c()",
            "x = x and is_hip()\nif x:\n a()\n",
            "a = b\nb = a\nif a:\n pass\n",
        ];
        for src in inputs {
            let _ = regions(src);
        }
        let deep = format!(
            "if {}is_hip(){}:\n a()\n",
            "not (".repeat(3000),
            ")".repeat(3000)
        );
        let _ = regions(&deep);
        let chain: String = (0..300)
            .map(|i| format!("v{} = v{i} and is_hip()\n", i + 1))
            .collect();
        let _ = regions(&format!("v0 = is_hip()\n{chain}if v300:\n a()\n"));
    }
}
