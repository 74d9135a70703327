//! The fast path reports exactly what parsing every file reports: for every fixture directory
//! and for generated trees, the JSON report of a scan with the prefilter equals, byte for byte,
//! that of `--exhaustive` (every file parsed). Functional tests only: no timing here.

use crate::common::{Rng, builtin_rules, fixture, repo_root};
use cuda_audit::report::{Format, render};
use cuda_audit::rule::RuleSet;
use cuda_audit::{Settings, audit};
use std::path::Path;
use std::sync::Arc;

/// The JSON reports of a fast and an exhaustive scan of `dir` (paths relative to `root`).
/// Also how many files the fast scan ruled out.
fn both(root: &Path, dir: &Path, rules: Arc<RuleSet>) -> (String, String, usize) {
    let run = |exhaustive: bool| {
        let mut settings = Settings::new(root, vec![dir.to_path_buf()], rules.clone());
        settings.exhaustive = exhaustive;
        // Every file meets the prefilter (in a real scan, the first files may not).
        settings.prefilter_first = true;
        let audit = audit(&settings).expect("audit succeeds");
        let json = String::from_utf8(render(Format::Json, &audit)).expect("JSON is UTF-8");
        (json, audit.prefiltered)
    };
    let (fast, prefiltered) = run(false);
    (fast, run(true).0, prefiltered)
}

/// Asserts that the fast and the exhaustive scan agree; gives how many files were ruled out.
fn assert_same(root: &Path, dir: &Path, rules: Arc<RuleSet>) -> usize {
    let (fast, exhaustive, prefiltered) = both(root, dir, rules);
    if fast != exhaustive {
        let first = fast
            .lines()
            .zip(exhaustive.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let show = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(5))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "fast and exhaustive reports differ for {} at line {}:\n--- fast\n{}\n--- exhaustive\n{}",
            dir.display(),
            first + 1,
            show(&fast),
            show(&exhaustive)
        );
    }
    prefiltered
}

#[test]
fn every_fixture_directory_reports_the_same_with_and_without_the_prefilter() {
    let root = repo_root().join("fixtures");
    let mut dirs = vec![root.clone()];
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            for sub in std::fs::read_dir(&path).unwrap() {
                let sub = sub.unwrap().path();
                if sub.is_dir() {
                    dirs.push(sub);
                }
            }
            dirs.push(path);
        }
    }
    dirs.sort();
    let mut ruled_out = 0;
    for dir in dirs {
        ruled_out += assert_same(&root, &dir, builtin_rules());
    }
    assert!(ruled_out > 0, "the fixtures never exercised the fast path");
}

#[test]
fn the_prefilter_rules_out_files_without_cuda() {
    // Not a timing test: the fast path must actually skip something, or the comparison above
    // proves nothing.
    let prefilter = cuda_audit::prefilter::Prefilter::new(&builtin_rules());
    let lang = cuda_audit::lang::Lang::Cpp;
    assert!(prefilter.may_match(lang, "__global__ void k() {}"));
    assert!(prefilter.may_match(lang, "#include <thrust/sort.h>"));
    assert!(!prefilter.may_match(lang, "int execute(int compute) { return compute; }"));
    // Every fixture of real CUDA code passes it.
    for f in [
        "cases/streams_events.cu",
        "cases/namespace_alias.cu",
        "cases/launch_in_macro.cu",
    ] {
        let text = std::fs::read_to_string(fixture(f)).unwrap();
        assert!(prefilter.may_match(lang, &text), "{f}");
    }
}

/// C-family snippets: CUDA code, CUDA names in comments and strings, look-alike identifiers,
/// token adjacency the prefilter's token-boundary logic must get right, definitions of names
/// other files use, a HIP shim and headers that reach it.
const SNIPPETS: &[&str] = &[
    "int compute(int x) { return x * 2; }\n",
    "void execute(void) {}\n",
    "struct Accumulator { int total; };\n",
    "#include <vector>\n",
    "#include \"util.h\"\n",
    "namespace app { int value = 3; }\n",
    "template <typename T> T identity(T x) { return x; }\n",
    "static const char* name = \"plain\";\n",
    "cudaMalloc(&p, 4);\n",
    "void f() { cudaMemcpy(d, h, n, cudaMemcpyHostToDevice); }\n",
    "void launch() { kernel<<<1, 32>>>(x); }\n",
    "__global__ void kernel(float* x) { x[threadIdx.x] = 0; }\n",
    "__device__ __shared__ float tile[32];\n",
    "void g() { asm volatile(\"mov.u32 %0, %%laneid;\" : \"=r\"(lane)); }\n",
    "void h() { __asm__ volatile(\"pause\"); }\n",
    "#include <cuda_runtime.h>\n",
    "#include <thrust/sort.h>\n",
    "void s() { thrust::sort(v.begin(), v.end()); }\n",
    "using namespace nvcuda;\n",
    "void w() { wmma::fragment<wmma::matrix_a, 16, 16, 16, half> a; }\n",
    "namespace cg = cooperative_groups;\nvoid b() { auto t = cg::this_thread_block(); }\n",
    "cute::Tensor t;\n",
    "int v = CUDA_VERSION;\n",
    "void d() { cuMemAlloc(&dp, 4); }\n",
    "float r = __shfl_down_sync(0xffffffff, v, 1);\n",
    "#define CHECK(x) do { if ((x) != cudaSuccess) abort(); } while (0)\n",
    "#define LAUNCH(k) k<<<1, 1>>>()\n",
    "// cudaMalloc in a comment\n",
    "/* __global__ void k(); */\n",
    "const char* s = \"cudaFree in a string\";\n",
    "const char* raw = R\"x(cudaMemcpy)x\";\n",
    "int executeCuda; int GGML_CUDA_FEATURE; int wasm_mode; int native = 1;\n",
    "int x = 1cudaMalloc;\n",
    "int y = 0x1.fp3cudaFree;\n",
    "#ifdefcudaFoo\n#endif\n",
    "#  definecudaBar 1\n",
    "int \u{e9}cudaMalloc; int \u{20ac}cudaMalloc;\n",
    "int $cudaMalloc;\n",
    "cuda\\\nMalloc(p);\n",
    "int cudaLikeHelper(int x) { return x; }\n",
    "int z = cudaLikeHelper(1);\n",
    "namespace wmma { int local; }\n",
    "int rsqrt(int x) { return x; }\n",
    "float q = rsqrt(2.0f);\n",
    "#ifdef USE_ROCM\n#include \"vendors/shim.h\"\n#else\n#include <cuda_runtime.h>\n#endif\n",
    "#include \"common.h\"\n",
    "#include \"vendors/shim.h\"\n",
    "at::native::resize_(t);\n",
    "__launch_bounds__(256) void lb();\n",
    "\u{feff}int bom;\n",
    "// cuda-audit: ignore[cudart] nothing here\n",
];

/// Fragments glued into random token soup: needle pieces, operators, quotes, comment and
/// preprocessor openers, digits, non-ASCII.
const FRAGMENTS: &[&str] = &[
    "cu",
    "da",
    "CU",
    "DA_",
    "cuda",
    "Malloc",
    "cute",
    "asm",
    "__",
    "<<",
    "<",
    ">",
    "::",
    "_",
    "x",
    "1",
    "0x",
    ".",
    "'",
    "\"",
    "//",
    "/*",
    "*/",
    "#",
    "define ",
    "include ",
    "\n",
    " ",
    "(",
    ")",
    "{",
    "}",
    ";",
    "\\",
    "\u{e9}",
    "$",
    "thrust",
    "/",
    "nvcuda",
    "wmma",
    "__global__",
    "Launch",
];

const NAMES: &[&str] = &[
    "a.cu", "b.cpp", "c.h", "d.c", "e.cuh", "f.hpp", "g.cc", "h.cu",
];

pub fn generate(dir: &Path, seed: u64, files: usize) {
    let mut rng = Rng(seed | 1);
    for i in 0..files {
        let sub = dir.join(format!("m{}", i % 5));
        std::fs::create_dir_all(&sub).unwrap();
        let name = format!("f{i}_{}", rng.pick(NAMES));
        let mut text = String::new();
        let pieces = 1 + rng.below(8);
        for _ in 0..pieces {
            if rng.below(4) == 0 {
                for _ in 0..rng.below(30) {
                    text.push_str(rng.pick(FRAGMENTS));
                }
                text.push('\n');
            } else {
                text.push_str(rng.pick(SNIPPETS));
            }
        }
        std::fs::write(sub.join(name), text).unwrap();
    }
    // A HIP shim, and headers that reach it without any CUDA token of their own.
    std::fs::create_dir_all(dir.join("m0/vendors")).unwrap();
    std::fs::write(
        dir.join("m0/vendors/shim.h"),
        "#include <hip/hip_runtime.h>\n#define cudaMalloc hipMalloc\n#define cudaFree hipFree\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("m0/common.h"),
        "#include \"vendors/shim.h\"\nint plain;\n",
    )
    .unwrap();
    std::fs::write(dir.join("m0/util.h"), "#include \"common.h\"\nint util;\n").unwrap();
}

#[test]
fn generated_trees_report_the_same_with_and_without_the_prefilter() {
    for seed in [1u64, 2, 3, 4, 5, 6, 7, 8] {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), seed, 60);
        let ruled_out = assert_same(dir.path(), dir.path(), builtin_rules());
        assert!(ruled_out > 0, "seed {seed}: the fast path skipped nothing");
    }
}

#[test]
fn user_rules_get_needles_too() {
    // A user rule's names, patterns and weak flag are part of the prefilter.
    let rules_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        rules_dir.path().join("widgets.toml"),
        r#"
[[rule]]
id = "widget-api"
title = "Widget API"
category = "library"
library = "widget"
help = "A widget call."
weak = true

[rule.match]
names = ["makeWidget"]
patterns = ["*Gadget", "wg[A-Z]*"]
namespaces = ["gpulib::inner"]

[rule.portability]
rocm = { effort = "manual" }
neuron = { effort = "rewrite" }
tpu = { effort = "rewrite" }
"#,
    )
    .unwrap();
    let rules = Arc::new(RuleSet::load(&[rules_dir.path().to_path_buf()]).unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.cpp"),
        "void f() { makeWidget(); wgThing(); MyGadget(); }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.cpp"),
        "int MyGadget(int);\nint wgThingNot;\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("c.cpp"), "int wgThing;\n").unwrap();
    // `inner::run` is found through `using namespace gpulib`; its weak name is `inner`, which no
    // needle covers: e.cpp, which defines it and holds no needle, must be parsed after all.
    std::fs::write(
        dir.path().join("d.cpp"),
        "using namespace gpulib;\nvoid g() { inner::run(); }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("e.cpp"), "namespace inner { int run(); }\n").unwrap();
    assert!(assert_same(dir.path(), dir.path(), rules.clone()) > 0);
    for seed in [11u64, 12] {
        let tree = tempfile::tempdir().unwrap();
        generate(tree.path(), seed, 40);
        assert!(assert_same(tree.path(), tree.path(), rules.clone()) > 0);
    }
}
