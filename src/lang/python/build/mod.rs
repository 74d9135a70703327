//! Build scripts: which C/C++/CUDA sources a Python file hands to PyTorch's extension machinery
//! ([`Extraction::build_sources`]), and whether it provides for a ROCm build
//! ([`Extraction::rocm_build`]).
//!
//! Build calls are `torch.utils.cpp_extension.CUDAExtension`, `CppExtension` and `load` (names
//! resolved through imports and aliases like every other reference), and the `sources()` method
//! of a class deriving from `…OpBuilder` (DeepSpeed). Their `sources` are resolved after the walk,
//! when every mutation of a list variable (`x += […]`, `x.append(…)`, `x.extend(…)`) is known.
//!
//! Resolution is deliberately conservative: a source is reported only when its path is known
//! from string literals, lists and tuples of them, `+`, variables of the same file (the union of
//! every assignment and mutation in the variable's scope), `os.path.join`, `pathlib.Path` and `/`,
//! and `glob.glob` / `Path.glob` / `Path.rglob` (kept as glob patterns). The script directory
//! (`os.path.dirname(__file__)`, `Path(__file__).parent` and names bound to them) is the empty
//! path. Anything else (f-strings, calls, comprehensions, parameters) drops the source.
//!
//! This module collects build calls and list mutations during the walk and reports the sources
//! after it; [`eval`] evaluates expressions to the string values of [`value`].
//!
//! [`Extraction::build_sources`]: crate::lang::Extraction::build_sources
//! [`Extraction::rocm_build`]: crate::lang::Extraction::rocm_build

mod eval;
mod value;

use super::emit::Emitter;
use super::literal;
use super::scope::{Binding, ScopeId, text};
use crate::lang::node_names::NodeNames;
use crate::lang::{BuildKind, BuildSources};
use eval::Eval;
use std::collections::HashMap;
use tree_sitter::Node;
use value::{V, normalize};

/// Resolved names whose reference means the script provides for a ROCm build.
const ROCM_NAMES: &[&str] = &[
    "torch.version.hip",
    "torch.utils.cpp_extension.ROCM_HOME",
    "torch.utils.cpp_extension.IS_HIP_EXTENSION",
    "torch.utils.hipify",
];

/// Substrings of a string literal that mean the same.
const ROCM_STRINGS: &[&str] = &[
    "hipcc",
    "--offload-arch",
    "ROCM_HOME",
    "ROCM_PATH",
    "USE_ROCM",
    "__HIP_PLATFORM_AMD__",
    "__HIP_PLATFORM_HCC__",
    "hipify",
];

/// DeepSpeed's op builder bases for other accelerators: their sources are never built with
/// `CUDAExtension`.
const OTHER_ACCELERATOR_BUILDERS: &[&str] = &[
    "CPUOpBuilder",
    "SYCLOpBuilder",
    "NPUOpBuilder",
    "HPUOpBuilder",
    "MLUOpBuilder",
    "XPUOpBuilder",
];

/// What the walk collects for the build pass.
#[derive(Default)]
pub struct BuildState<'t> {
    pending: Vec<Pending<'t>>,
    /// `x.append(…)`, `x.extend(…)`, `x.insert(i, …)` by the scope binding `x`.
    mutations: HashMap<(ScopeId, &'t str), Vec<Mutation<'t>>>,
    /// Calls whose build settings or commands are read after the walk.
    pub(super) flag_calls: Vec<super::buildflags::FlagCall<'t>>,
}

impl<'t> BuildState<'t> {
    /// The arguments of `x.append(…)`, `x.extend(…)`, `x.insert(i, …)` of the variable `name`
    /// bound in scope `at`: (unit, argument, scope of the call).
    pub(super) fn mutations_of(
        &self,
        at: ScopeId,
        name: &'t str,
    ) -> Vec<(usize, Node<'t>, ScopeId)> {
        self.mutations
            .get(&(at, name))
            .map(|ms| ms.iter().map(|m| (m.unit, m.arg, m.scope)).collect())
            .unwrap_or_default()
    }
}

struct Pending<'t> {
    kind: BuildKind,
    unit: usize,
    /// The call, or (op builders) the `def sources`.
    node: Node<'t>,
    /// The scope of the call, or the scope the `def` opens.
    scope: ScopeId,
}

#[derive(Clone, Copy)]
struct Mutation<'t> {
    unit: usize,
    arg: Node<'t>,
    /// Where the call is (the argument is resolved there).
    scope: ScopeId,
    /// `extend` (a list) rather than `append`/`insert` (one item).
    extend: bool,
}

impl<'t> Emitter<'t, '_> {
    /// A call seen by the walk: a build call to resolve later, or a mutation of a list variable.
    pub(super) fn build_call(&mut self, unit: usize, call: Node<'t>, scope: ScopeId) {
        let Some(func) = call.field("function") else {
            return;
        };
        let kind = self
            .resolve(unit, func, scope, 0)
            .iter()
            .find_map(|c| match c.as_str() {
                "torch.utils.cpp_extension.CUDAExtension" => Some(BuildKind::CudaExtension),
                "torch.utils.cpp_extension.CppExtension" => Some(BuildKind::CppExtension),
                "torch.utils.cpp_extension.load" => Some(BuildKind::Load),
                _ => None,
            });
        self.flag_call(unit, call, scope);
        if let Some(kind) = kind {
            self.build.pending.push(Pending {
                kind,
                unit,
                node: call,
                scope,
            });
            return;
        }
        // `x.append(…)` on a variable of this file.
        if func.kind_name() != "attribute" {
            return;
        }
        let src = self.src(unit);
        let (Some(obj), Some(method)) = (func.field("object"), func.field("attribute")) else {
            return;
        };
        let (index, extend) = match text(method, src) {
            "append" => (0, false),
            "extend" => (0, true),
            "insert" => (1, false),
            _ => return,
        };
        if obj.kind_name() != "identifier" {
            return;
        }
        let name = text(obj, src);
        let Some((Binding::Local | Binding::Alias(..), at)) = self.scopes.lookup(scope, name)
        else {
            return;
        };
        let Some(arg) = call
            .field("arguments")
            .filter(|a| a.kind_name() == "argument_list")
            .and_then(|a| plain_args(a).into_iter().nth(index))
        else {
            return;
        };
        self.build
            .mutations
            .entry((at, name))
            .or_default()
            .push(Mutation {
                unit,
                arg,
                scope,
                extend,
            });
    }

    /// A class seen by the walk: an op builder's `def sources(self)` to resolve later.
    pub(super) fn build_class(&mut self, unit: usize, class: Node<'t>) {
        let src = self.src(unit);
        let Some(bases) = class.field("superclasses") else {
            return;
        };
        let mut cursor = bases.walk();
        let builder = bases.named_children(&mut cursor).any(|b| {
            matches!(b.kind_name(), "identifier" | "attribute")
                && text(b, src)
                    .rsplit('.')
                    .next()
                    .map(str::trim)
                    .is_some_and(|last| {
                        last.ends_with("OpBuilder") && !OTHER_ACCELERATOR_BUILDERS.contains(&last)
                    })
        });
        if !builder {
            return;
        }
        let Some(body) = class.field("body") else {
            return;
        };
        let mut cursor = body.walk();
        let defs: Vec<Node<'t>> = body
            .named_children(&mut cursor)
            .filter_map(|n| match n.kind_name() {
                "function_definition" => Some(n),
                "decorated_definition" => n
                    .field("definition")
                    .filter(|d| d.kind_name() == "function_definition"),
                _ => None,
            })
            .filter(|d| d.field("name").is_some_and(|n| text(n, src) == "sources"))
            .collect();
        for def in defs {
            if let Some(&scope) = self.scopes.opened_by.get(&(unit, def.id())) {
                self.build.pending.push(Pending {
                    kind: BuildKind::OpBuilder,
                    unit,
                    node: def,
                    scope,
                });
            }
        }
    }

    /// Notes a resolved reference that provides for a ROCm build.
    pub(super) fn rocm_reference(&mut self, unit: usize, names: &[String], node: Node<'t>) {
        let rocm = names.iter().any(|n| {
            ROCM_NAMES.iter().any(|r| {
                n.strip_prefix(r)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            }) || n.ends_with(".IS_HIP_EXTENSION")
        });
        if rocm {
            self.rocm_at(unit, node);
        }
    }

    /// Notes a string literal (not a docstring) that provides for a ROCm build.
    pub(super) fn rocm_string(&mut self, unit: usize, node: Node<'t>) {
        let Some(d) = literal::decode(node, self.src(unit)) else {
            return;
        };
        if ROCM_STRINGS.iter().any(|m| d.text.contains(m)) {
            self.rocm_at(unit, node);
        }
    }

    fn rocm_at(&mut self, unit: usize, node: Node<'t>) {
        let at = self.file_span(unit, node.byte_range()).start;
        if self.out.rocm_build.is_none_or(|prev| at < prev) {
            self.out.rocm_build = Some(at);
        }
    }

    /// Resolves the sources of every build call the walk found.
    pub(super) fn finish_builds(&mut self) {
        let pending = std::mem::take(&mut self.build.pending);
        let mut found = Vec::new();
        for p in &pending {
            let mut eval = Eval::new(self);
            let value = match p.kind {
                BuildKind::OpBuilder => eval.returns(p.unit, p.node, p.scope),
                _ => match sources_arg(p.node, self.src(p.unit)) {
                    Some(arg) => eval.value(p.unit, arg, p.scope, 0),
                    None => V::Unknown,
                },
            };
            let items = match value {
                V::List(items) | V::Strs(items) => items,
                V::Unknown => Vec::new(),
            };
            let mut sources: Vec<String> = Vec::new();
            for item in items {
                if let Some(path) = normalize(&item) {
                    if !sources.contains(&path) {
                        sources.push(path);
                    }
                }
            }
            let offset = self.file_span(p.unit, p.node.byte_range()).start;
            found.push(BuildSources {
                kind: p.kind,
                sources,
                offset,
            });
        }
        found.sort_by_key(|b| b.offset);
        self.out.build_sources = found;
        self.finish_flags();
    }
}

/// The `sources` argument of a build call: keyword `sources=`, else the second positional.
fn sources_arg<'t>(call: Node<'t>, src: &str) -> Option<Node<'t>> {
    let args = call
        .field("arguments")
        .filter(|a| a.kind_name() == "argument_list")?;
    let mut cursor = args.walk();
    let all: Vec<Node<'t>> = args.named_children(&mut cursor).collect();
    for a in &all {
        if a.kind_name() == "keyword_argument"
            && a.field("name").is_some_and(|n| text(n, src) == "sources")
        {
            return a.field("value");
        }
    }
    // A `*args` before the second positional argument hides which one it is.
    if all.iter().any(|a| a.kind_name() == "list_splat") {
        return None;
    }
    plain_args(args).into_iter().nth(1)
}

/// The positional arguments of an argument list (no keywords, splats or comments).
fn plain_args(args: Node) -> Vec<Node> {
    let mut cursor = args.walk();
    args.named_children(&mut cursor)
        .filter(|a| {
            !matches!(
                a.kind_name(),
                "keyword_argument" | "list_splat" | "dictionary_splat" | "comment"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::lang::cpp::CppFrontEnd;
    use crate::lang::python::PythonFrontEnd;
    use crate::lang::{BuildKind, Extraction};
    use std::path::Path;

    fn extract(src: &str) -> Extraction {
        extract_as(src, "setup.py")
    }

    fn extract_as(src: &str, path: &str) -> Extraction {
        let mut py = PythonFrontEnd::new();
        let mut cpp = CppFrontEnd::new();
        py.extract(src, Path::new(path), &mut cpp)
    }

    /// `(kind, sources)` of every build call.
    fn builds(src: &str) -> Vec<(BuildKind, Vec<String>)> {
        extract(src)
            .build_sources
            .into_iter()
            .map(|b| (b.kind, b.sources))
            .collect()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flash_attention_setup() {
        let src = r#"
import os
import glob
from pathlib import Path
from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CUDAExtension, CUDA_HOME

this_dir = os.path.dirname(os.path.abspath(__file__))
ext_modules = []
ext_modules.append(
    CUDAExtension(
        name="flash_attn_2_cuda",
        sources=["csrc/flash_attn/flash_api.cpp"] + glob.glob("csrc/flash_attn/src/*.cu"),
        extra_compile_args={"nvcc": ["-O3", "-gencode", "arch=compute_80,code=sm_80"]},
        include_dirs=[Path(this_dir) / "csrc" / "cutlass" / "include"],
    )
)
ext_modules.append(
    CUDAExtension(
        "fused_dense_lib",
        [os.path.join(this_dir, "csrc", "fused_dense.cu"), f"csrc/{name}.cu", "./csrc/x.cpp"],
    )
)
setup(name="flash_attn", ext_modules=ext_modules, cmdclass={"build_ext": BuildExtension})
"#;
        let out = extract(src);
        assert_eq!(out.build_sources.len(), 2);
        let first = &out.build_sources[0];
        assert_eq!(first.kind, BuildKind::CudaExtension);
        assert_eq!(
            first.sources,
            strings(&["csrc/flash_attn/flash_api.cpp", "csrc/flash_attn/src/*.cu"])
        );
        assert!(src[first.offset..].starts_with("CUDAExtension(\n        name="));
        assert_eq!(
            out.build_sources[1].sources,
            strings(&["csrc/fused_dense.cu", "csrc/x.cpp"])
        );
        assert_eq!(out.rocm_build, None);
    }

    #[test]
    fn sources_built_in_a_variable() {
        let src = r#"
import os
from torch.utils.cpp_extension import CUDAExtension as CE
ROOT = os.path.dirname(__file__)
CSRC = os.path.join(ROOT, "csrc")

def get_extensions():
    sources = [os.path.join(CSRC, "ops.cpp")]
    sources += [os.path.join(CSRC, "kernels", "a.cu"), "/usr/local/cuda/b.cu"]
    sources.append(os.path.join(CSRC, "kernels/b.cu"))
    sources.extend(["csrc/c.cu", "csrc/d.cu"])
    sources.append(os.path.join(unknown_dir, "e.cu"))
    sources += [s for s in os.listdir(CSRC) if s.endswith(".cu")]
    return [CE("ops", sources)]
"#;
        assert_eq!(
            builds(src),
            vec![(
                BuildKind::CudaExtension,
                strings(&[
                    "csrc/ops.cpp",
                    "csrc/kernels/a.cu",
                    "csrc/kernels/b.cu",
                    "csrc/c.cu",
                    "csrc/d.cu"
                ])
            )]
        );
    }

    #[test]
    fn path_objects_and_globs() {
        let src = r#"
from pathlib import Path
from glob import glob
import torch.utils.cpp_extension as ext
HERE = Path(__file__).resolve().parent
kernels = sorted(glob(str(HERE / "csrc" / "**" / "*.cu"), recursive=True))
ext.CUDAExtension("k", kernels + list((HERE / "csrc").rglob("*.cpp")) + [str(HERE.parent / "x.cu")])
"#;
        assert_eq!(
            builds(src),
            vec![(
                BuildKind::CudaExtension,
                strings(&["csrc/**/*.cu", "csrc/**/*.cpp"])
            )]
        );
    }

    #[test]
    fn detectron_style_relpath_and_splats() {
        let src = r#"
import glob
from os import path
import os
from torch.utils.cpp_extension import CUDAExtension
this_dir = path.dirname(path.abspath(__file__))
extensions_dir = path.join(this_dir, "detectron2", "layers", "csrc")
main_source = path.join(extensions_dir, "vision.cpp")
sources = glob.glob(path.join(extensions_dir, "**", "*.cpp"))
source_cuda = glob.glob(path.join(extensions_dir, "**", "*.cu")) + glob.glob(
    path.join(extensions_dir, "*.cu")
)
sources = [main_source] + sources
sources += source_cuda
parts = ["x", "y.cu"]
CUDAExtension("detectron2._C", sources + [path.join(extensions_dir, *parts)])
CUDAExtension("rel", [os.path.relpath(path.join(this_dir, "k.cu"), this_dir)])
"#;
        assert_eq!(
            builds(src),
            vec![
                (
                    BuildKind::CudaExtension,
                    strings(&[
                        "detectron2/layers/csrc/**/*.cpp",
                        "detectron2/layers/csrc/vision.cpp",
                        "detectron2/layers/csrc/**/*.cu",
                        "detectron2/layers/csrc/*.cu",
                    ])
                ),
                (BuildKind::CudaExtension, strings(&["k.cu"])),
            ]
        );
    }

    #[test]
    fn cpp_extension_load_and_load_inline() {
        let src = r#"
from torch.utils import cpp_extension
from torch.utils.cpp_extension import load, load_inline, CppExtension
CppExtension("cpu_ops", ["ops.cpp"])
load_inline(name="inl", cpp_sources=["int f() { return 1; }"], cuda_sources=["__global__ void k() {}"])
load("ext", sources=["a.cu", "b.cpp"], verbose=True)
cpp_extension.load(name="ext2", sources="kernels/c.cu")
"#;
        assert_eq!(
            builds(src),
            vec![
                (BuildKind::CppExtension, strings(&["ops.cpp"])),
                (BuildKind::Load, strings(&["a.cu", "b.cpp"])),
                (BuildKind::Load, strings(&["kernels/c.cu"])),
            ]
        );
    }

    #[test]
    fn unrelated_calls_are_not_builds() {
        let src = r#"
import json
def CUDAExtension(name, sources): pass
CUDAExtension("x", ["a.cu"])
json.load(open("f"))
"#;
        assert!(builds(src).is_empty());
    }

    #[test]
    fn deepspeed_op_builder() {
        let src = r#"
from .builder import CUDAOpBuilder

class FusedAdamBuilder(CUDAOpBuilder):
    BUILD_VAR = "DS_BUILD_FUSED_ADAM"
    NAME = "fused_adam"

    def absolute_name(self):
        return f'deepspeed.ops.adam.{self.NAME}_op'

    def sources(self):
        return ['csrc/adam/fused_adam_frontend.cpp', 'csrc/adam/multi_tensor_adam.cu']

class TransformerBuilder(CUDAOpBuilder):
    def sources(self):
        sources = ['csrc/transformer/ds_transformer_cuda.cpp']
        if self.is_rocm_pytorch():
            sources.append('csrc/transformer/hip_extra.cpp')
        return sources

class SYCLAdamBuilder(SYCLOpBuilder):
    def sources(self):
        return ['csrc/xpu/adam/fused_adam.cpp']

class NotABuilder(object):
    def sources(self):
        return ['x.cu']
"#;
        let out = extract_as(src, "op_builder/fused_adam.py");
        let b: Vec<_> = out
            .build_sources
            .iter()
            .map(|b| (b.kind, b.sources.clone()))
            .collect();
        assert_eq!(
            b,
            vec![
                (
                    BuildKind::OpBuilder,
                    strings(&[
                        "csrc/adam/fused_adam_frontend.cpp",
                        "csrc/adam/multi_tensor_adam.cu"
                    ])
                ),
                (
                    BuildKind::OpBuilder,
                    strings(&[
                        "csrc/transformer/ds_transformer_cuda.cpp",
                        "csrc/transformer/hip_extra.cpp"
                    ])
                ),
            ]
        );
        assert!(
            src[out.build_sources[0].offset..]
                .starts_with("def sources(self):\n        return ['csrc/adam")
        );
    }

    #[test]
    fn flash_mla_setup_is_cuda_only() {
        let src = r#"
import os
from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CUDAExtension, CUDA_HOME

# Not for ROCm: no hipcc, no torch.version.hip here.
assert CUDA_HOME is not None, "CUDA_HOME must be set"
cc_flag = ["-gencode", "arch=compute_90a,code=sm_90a"]
this_dir = os.path.dirname(os.path.abspath(__file__))
setup(
    name="flash_mla",
    ext_modules=[
        CUDAExtension(
            name="flash_mla_cuda",
            sources=["csrc/flash_api.cpp", "csrc/flash_fwd_mla_bf16_sm90.cu"],
            extra_compile_args={"cxx": ["-O3"], "nvcc": ["-O3"] + cc_flag},
            include_dirs=[os.path.join(this_dir, "csrc", "cutlass", "include")],
        )
    ],
    cmdclass={"build_ext": BuildExtension},
)
"#;
        let out = extract(src);
        assert_eq!(out.rocm_build, None);
        assert_eq!(
            out.build_sources[0].sources,
            strings(&["csrc/flash_api.cpp", "csrc/flash_fwd_mla_bf16_sm90.cu"])
        );
    }

    #[test]
    fn rocm_builds_are_noticed() {
        let hip = "import torch\nx = 1\nif torch.version.hip:\n    flags = []\n";
        assert_eq!(
            extract(hip).rocm_build,
            Some(hip.find("torch.version.hip").unwrap())
        );
        let ext = "from torch.utils.cpp_extension import IS_HIP_EXTENSION\n\nif IS_HIP_EXTENSION:\n    pass\n";
        assert_eq!(
            extract(ext).rocm_build,
            Some(ext.find("IS_HIP_EXTENSION:").unwrap())
        );
        let home = "from torch.utils import cpp_extension as ce\nroot = ce.ROCM_HOME\n";
        assert_eq!(
            extract(home).rocm_build,
            Some(home.find("ce.ROCM_HOME").unwrap())
        );
        let flags = "nvcc = []\nhip = ['-O3', '--offload-arch=gfx942']\n";
        assert_eq!(
            extract(flags).rocm_build,
            Some(flags.find("'--offload").unwrap())
        );
        let env = "import os\nif os.getenv('USE_ROCM'):\n    pass\n";
        assert_eq!(
            extract(env).rocm_build,
            Some(env.find("'USE_ROCM'").unwrap())
        );
        // Comments, docstrings and unrelated names never count.
        let none = "\"\"\"Builds with hipcc on ROCm.\"\"\"\n# if torch.version.hip: hipcc\nimport torch\nv = torch.version.cuda\nhip = None\n";
        assert_eq!(extract(none).rocm_build, None);
    }

    #[test]
    fn notebooks_do_not_crash() {
        let nb = r#"{"cells": [{"cell_type": "code", "source": ["from torch.utils.cpp_extension import load\n", "m = load('m', ['k.cu'])\n", "import torch\n", "torch.version.hip\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#;
        let out = extract_as(nb, "t.ipynb");
        assert_eq!(out.build_sources.len(), 1);
        assert_eq!(out.build_sources[0].sources, strings(&["k.cu"]));
        let at = out.build_sources[0].offset;
        assert!(nb[at..].starts_with("load('m'"), "{}", &nb[at..]);
        let hip = out.rocm_build.unwrap();
        assert!(nb[hip..].starts_with("torch.version.hip"));
    }

    #[test]
    fn garbage_does_not_panic() {
        let inputs = [
            "CUDAExtension(",
            "from torch.utils.cpp_extension import CUDAExtension\nCUDAExtension('x', [",
            "from torch.utils.cpp_extension import CUDAExtension\nCUDAExtension('x', sources=)",
            "from torch.utils.cpp_extension import CUDAExtension\nCUDAExtension(*a, **k)\n",
            "from torch.utils.cpp_extension import load\na = a + a\na += a\na.append(a)\nload('x', a)\n",
            "from torch.utils.cpp_extension import load\nimport os\nd = os.path.dirname(os.path.dirname(__file__))\nload('x', [os.path.join(d, 'x.cu'), d + 'y.cu', __file__])\n",
            "class A(OpBuilder):\n    def sources(self):\n        return\n    def sources(self): return [x for x in y]\n",
            "class B(OpBuilder:\n def sources(self) return ['a.cu'",
            "\u{0}\u{ff}from torch import *\nif torch.version.hip",
        ];
        for src in inputs {
            let _ = extract(src);
        }
        // Deep nesting stays bounded.
        let deep = format!(
            "from torch.utils.cpp_extension import load\nload('x', {}['a.cu']{})\n",
            "(".repeat(3000),
            ")".repeat(3000)
        );
        let _ = extract(&deep);
        let chain: String = (0..500)
            .map(|i| format!("v{} = v{} + ['f{i}.cu']\n", i + 1, i))
            .collect();
        let src = format!(
            "from torch.utils.cpp_extension import load\nv0 = []\n{chain}load('x', v500)\n"
        );
        let out = extract(&src);
        assert_eq!(out.build_sources.len(), 1);
    }
}
