//! The second pass: facts from one Python file (or notebook) whose bindings are known.
//!
//! Facts, all of kind [`FactKind::Name`], and their texts (what rules match and findings show):
//!
//! | source | fact text | span |
//! | --- | --- | --- |
//! | `import cupy as cp`, `from numba import cuda` | `cupy`, `numba.cuda` | the imported name |
//! | `cp.asarray(x)`, `@cuda.jit`, `th.cuda.synchronize()` | `cupy.asarray`, `numba.cuda.jit`, `torch.cuda.synchronize` | the dotted reference |
//! | `model.cuda()` (object not an import) | `.cuda()` | `.cuda(…)` |
//! | `t.is_cuda` (object not an import) | `.is_cuda` | `.is_cuda` |
//! | `x.to("cuda:0")`, `x.to(device="cuda")` | `.to(cuda)` | `.to(…)` |
//! | `torch.device("cuda")`, `jax.devices("gpu")`, `tf.device("/GPU:0")` | `torch.device(cuda)`, `jax.devices(gpu)`, `tensorflow.device(gpu)` | the call |
//! | `torch.device("cuda" if ok else "cpu")` | `torch.device(cuda\|cpu)` | the call |
//! | `zeros(3, device="cuda")`, `init_process_group(backend="nccl")` | `device=cuda`, `backend=nccl` | the keyword argument |
//! | `os.environ["CUDA_VISIBLE_DEVICES"]`, `os.getenv("NCCL_DEBUG")` | `CUDA_VISIBLE_DEVICES`, `NCCL_DEBUG` | the string |
//! | CUDA source in a string given to `cupy.RawKernel` and friends | the C-family facts of that source, `lang: cuda` | at their real place in the file |
//!
//! Device strings are recognised as literals, as simple string variables of the same file, and
//! as f-strings (`f"cuda:{rank}"`); only `cuda`, `gpu` and `nccl` make facts (`"cpu"` never does).
//!
//! The walk over the tree is in [`walk`]; each kind of fact has a submodule of its own.

mod call;
mod device;
mod environ;
mod imports;
mod resolve;
mod strings;
mod walk;

use super::build::BuildState;
use super::offsets::OffsetMap;
use super::scope::Scopes;
use crate::hash::FastSet as HashSet;
use crate::lang::cpp::CppFrontEnd;
use crate::lang::node_names::NodeNames;
use crate::lang::{Extraction, Fact, FactKind, Lang};
use std::ops::Range;
use tree_sitter::{Node, Tree};

/// How deep alias and string-variable resolution may go (`a = b`, `b = c`, …).
const MAX_RESOLVE_DEPTH: usize = 12;
/// Most assignments followed, and values collected, when resolving one string expression.
const MAX_VALUES: usize = 64;
/// Longest attribute chain resolved (`a.b.c.…`).
const MAX_CHAIN: usize = 64;

/// One parsed piece of Python: a file, or a notebook cell.
pub struct Unit<'t> {
    pub tree: &'t Tree,
    pub src: &'t str,
    /// From `src` offsets to file offsets (notebook cells); `None` when `src` is the file.
    pub map: Option<&'t OffsetMap>,
    /// Added to every fact's detail (`cell 3`).
    pub detail: Option<String>,
}

pub struct Emitter<'t, 'c> {
    units: &'t [Unit<'t>],
    pub(super) scopes: Scopes<'t>,
    cpp: &'c mut CppFrontEnd,
    pub out: Extraction,
    /// Build calls and list mutations, for [`Extraction::build_sources`].
    pub(super) build: BuildState<'t>,
    /// Decorator details (`function \`k\``), indexed from traversal items.
    details: Vec<String>,
    /// File spans of string sources already parsed as CUDA.
    parsed_sources: HashSet<(usize, usize)>,
    /// Strings that look like CUDA source but were not (yet) seen handed to a known API.
    loose_sources: Vec<(usize, Node<'t>)>,
}

impl<'t, 'c> Emitter<'t, 'c> {
    pub fn new(units: &'t [Unit<'t>], cpp: &'c mut CppFrontEnd) -> Self {
        let trees: Vec<(&'t Tree, &'t str)> = units.iter().map(|u| (u.tree, u.src)).collect();
        Emitter {
            units,
            scopes: Scopes::build(&trees),
            cpp,
            out: Extraction::default(),
            details: Vec::new(),
            parsed_sources: HashSet::default(),
            loose_sources: Vec::new(),
            build: BuildState::default(),
        }
    }

    pub fn run(mut self) -> Extraction {
        for unit in 0..self.units.len() {
            self.walk(unit);
        }
        for (unit, node) in std::mem::take(&mut self.loose_sources) {
            if let Some(d) = self.decode_in_file(unit, node) {
                self.parse_source(unit, d, Lang::Cuda, "CUDA source in a string".into());
            }
        }
        self.finish_builds();
        self.finish_rocm_regions();
        let mut imports = self.scopes.modules.clone();
        imports.extend(self.scopes.relative.iter().cloned());
        imports.sort();
        imports.dedup();
        self.out.imports = imports;
        self.out
    }

    pub(super) fn src(&self, unit: usize) -> &'t str {
        self.units[unit].src
    }

    pub(super) fn file_span(&self, unit: usize, r: Range<usize>) -> Range<usize> {
        match self.units[unit].map {
            Some(m) => m.span(r),
            None => r,
        }
    }

    fn push(&mut self, unit: usize, text: String, span: Range<usize>, detail: Option<&str>) {
        let span = self.file_span(unit, span);
        let detail = join_details(&[detail, self.units[unit].detail.as_deref()]);
        self.out.facts.push(Fact {
            kind: FactKind::Name,
            text,
            span,
            detail,
            lang: None,
        });
    }

    fn detail_text(&self, detail: Option<usize>) -> Option<String> {
        detail.map(|i| self.details[i].clone())
    }
}

fn is_string(node: Node) -> bool {
    matches!(node.kind_name(), "string" | "concatenated_string")
}

/// The offset of the `.` in an attribute node.
fn dot_start(attr: Node) -> Option<usize> {
    let mut cursor = attr.walk();
    let dot = attr.children(&mut cursor).find(|c| c.kind_name() == ".");
    dot.map(|d| d.start_byte())
}

fn join_details(parts: &[Option<&str>]) -> Option<String> {
    let parts: Vec<&str> = parts.iter().flatten().copied().collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}
