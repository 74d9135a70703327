//! The Python front end on its fixtures (fixtures/python/): import aliases, device strings,
//! environment variables, CUDA source inside strings at its real position, notebooks, precision
//! (docstrings, comments, unrelated names, `device="cpu"`), and robustness on hostile input.

use crate::common::{audit_fixture, builtin_rules, fixture, symbols_in};
use cuda_audit::Audit;
use cuda_audit::analysis::scan_snippet;
use cuda_audit::lang::{FrontEnds, Lang};
use cuda_audit::report::{Format, render};
use cuda_audit::rule::Level;
use std::path::Path;

fn finding<'a>(
    audit: &'a Audit,
    path: &str,
    symbol: &str,
    line: usize,
) -> &'a cuda_audit::finding::Finding {
    audit
        .findings
        .iter()
        .find(|f| f.path == path && f.symbol == symbol && f.start.line == line)
        .unwrap_or_else(|| {
            panic!(
                "no `{symbol}` at {path}:{line}; found {:?}",
                symbols_in(audit, path)
            )
        })
}

/// The text of a fixture at a finding's start (1-based line and character column).
fn text_at(rel: &str, line: usize, column: usize, len: usize) -> String {
    let text = std::fs::read_to_string(fixture(rel)).unwrap();
    let l = text.lines().nth(line - 1).unwrap();
    l.chars().skip(column - 1).take(len).collect()
}

#[test]
fn raw_kernel_source_is_reported_at_its_line_in_the_py_file() {
    let audit = audit_fixture("python/cupy");
    let path = "python/cupy/raw_kernel.py";
    // The kernel string is a module-level r''' … ''' passed to cp.RawKernel by name.
    let global = finding(&audit, path, "__global__", 6);
    assert_eq!(global.rule_id, "kernel-definition");
    assert_eq!(global.start.column, 12);
    assert_eq!(text_at(path, 6, 12, 10), "__global__");
    assert!(
        global.detail.as_deref().unwrap().contains("kernel `add`")
            && global.detail.as_deref().unwrap().contains("cupy.RawKernel"),
        "{:?}",
        global.detail
    );
    let tid = finding(&audit, path, "threadIdx", 8);
    assert_eq!(text_at(path, 8, tid.start.column, 9), "threadIdx");
    // An f-string built by implicit concatenation: `{{`/`}}` are braces, `{BLOCK}` a placeholder.
    let shfl = finding(&audit, path, "__shfl_down_sync", 19);
    assert_eq!(shfl.rule_id, "device-warp-intrinsics");
    assert_eq!(text_at(path, 19, shfl.start.column, 16), "__shfl_down_sync");
    finding(&audit, path, "atomicAdd", 20);
    assert!(
        finding(&audit, path, "cupy.RawKernel", 26).category == cuda_audit::rule::Category::Kernel
    );
}

#[test]
fn load_inline_and_source_module_sources_are_parsed() {
    let audit = audit_fixture("python/pytorch/inline_ext.py");
    let path = "python/pytorch/inline_ext.py";
    finding(&audit, path, "__global__", 5);
    let launch = finding(&audit, path, "<<<>>>", 12);
    assert_eq!(text_at(path, 12, launch.start.column, 3), "<<<");
    let audit = audit_fixture("python/pycuda");
    finding(&audit, "python/pycuda/source_module.py", "__global__", 7);
    finding(&audit, "python/pycuda/source_module.py", "threadIdx", 9);
}

#[test]
fn imports_aliases_and_methods_resolve() {
    let audit = audit_fixture("python/pytorch/train.py");
    let path = "python/pytorch/train.py";
    // `import torch as th` → th.cuda.synchronize() is torch.cuda.synchronize.
    assert_eq!(
        finding(&audit, path, "torch.cuda.synchronize", 40).rule_id,
        "pytorch-cuda-api"
    );
    // `import torch.backends.cudnn as cudnn` → cudnn.benchmark.
    finding(&audit, path, "torch.backends.cudnn.benchmark", 25);
    // `from torch.cuda.amp import GradScaler` → the import and the use.
    finding(&audit, path, "torch.cuda.amp.GradScaler", 9);
    finding(&audit, path, "torch.cuda.amp.GradScaler", 36);
    // `import torch.distributed as dist; dist.init_process_group("nccl")`.
    finding(
        &audit,
        path,
        "torch.distributed.init_process_group(nccl)",
        23,
    );
    // Methods and device strings, also through a module-level constant.
    finding(&audit, path, ".cuda()", 31);
    finding(&audit, path, ".to(cuda)", 33);
    finding(&audit, path, "device=cuda", 34);
    finding(&audit, path, "device=cuda", 12);
    finding(&audit, path, "default=nccl", 17);
    finding(&audit, path, "backend=nccl", 22);
    finding(&audit, path, "CUDA_VISIBLE_DEVICES", 11);
    finding(&audit, path, "NCCL_DEBUG", 41);

    let audit = audit_fixture("python/numba");
    let path = "python/numba/kernels.py";
    // `from numba import cuda as nc` → @nc.jit is numba.cuda.jit.
    let jit = finding(&audit, path, "numba.cuda.jit", 17);
    assert_eq!(jit.detail.as_deref(), Some("function `clamp`"));
    finding(&audit, path, "numba.cuda.to_device", 36);
    finding(&audit, path, "target=cuda", 22);
}

#[test]
fn cpu_devices_comments_and_docstrings_are_not_findings() {
    let audit = audit_fixture("python/pytorch/train.py");
    let path = "python/pytorch/train.py";
    let lines: Vec<usize> = symbols_in(&audit, path).iter().map(|(_, l)| *l).collect();
    for quiet in [1, 18, 35] {
        assert!(!lines.contains(&quiet), "line {quiet} reported: {lines:?}");
    }
    let audit = audit_fixture("python/negatives");
    let found: Vec<String> = audit
        .findings
        .iter()
        .map(|f| format!("{}:{} {} ({})", f.path, f.start.line, f.symbol, f.rule_id))
        .collect();
    assert!(found.is_empty(), "negatives: {found:#?}");
    assert_eq!(audit.files.scanned, 1);
}

#[test]
fn capability_checks_and_fallbacks_are_notes() {
    let audit = audit_fixture("python/pytorch/train.py");
    let path = "python/pytorch/train.py";
    let check = finding(&audit, path, "torch.cuda.is_available", 30);
    assert_eq!(check.level, Level::Note);
    let fallback = finding(&audit, path, "torch.device(cuda|cpu)", 29);
    assert_eq!(fallback.level, Level::Note);
    assert_eq!(
        finding(&audit, path, "torch.cuda.synchronize", 40).level,
        Level::Warning
    );
}

#[test]
fn efforts_follow_the_rule_data() {
    use cuda_audit::portability::{Effort, Target};
    let audit = audit_fixture("python");
    let effort = |path: &str, symbol: &str, line: usize, t: Target| {
        finding(&audit, path, symbol, line).effort(t)
    };
    let train = "python/pytorch/train.py";
    assert_eq!(effort(train, ".cuda()", 31, Target::Rocm), Effort::None);
    assert_eq!(effort(train, ".cuda()", 31, Target::Neuron), Effort::Manual);
    assert_eq!(
        effort(train, "backend=nccl", 22, Target::Rocm),
        Effort::None
    );
    let numba = "python/numba/kernels.py";
    assert_eq!(
        effort(numba, "numba.cuda.jit", 7, Target::Neuron),
        Effort::Rewrite
    );
    assert_eq!(
        effort(numba, "numba.cuda.jit", 7, Target::Tpu),
        Effort::Rewrite
    );
    let triton = "python/triton/add.py";
    assert_eq!(effort(triton, "triton.jit", 7, Target::Rocm), Effort::None);
    assert_eq!(
        effort(triton, "triton.jit", 7, Target::Neuron),
        Effort::Rewrite
    );
    let cupy = "python/cupy/raw_kernel.py";
    // CuPy runs on ROCm (its documented gaps are the rule cupy-rocm-gaps).
    assert_eq!(effort(cupy, "cupy", 1, Target::Rocm), Effort::None);
}

#[test]
fn notebook_findings_point_into_the_json_file() {
    let audit = audit_fixture("python/notebooks");
    let path = "python/notebooks/cuda_tour.ipynb";
    assert!(!audit.findings.is_empty());
    for f in &audit.findings {
        let token = f.symbol.trim_start_matches('.').split('(').next().unwrap();
        let token = token.rsplit('.').next().unwrap();
        let at = text_at(path, f.start.line, f.start.column, 80);
        assert!(
            at.contains(token) && at.find(token).unwrap() <= 12,
            "{} at {}:{} points at {at:?}",
            f.symbol,
            f.start.line,
            f.start.column
        );
        assert!(f.detail.as_deref().unwrap().contains("cell "), "{f:?}");
    }
    // Imports of cell 2 apply in cell 4; the markdown cell, the comment and the output are quiet.
    let sync = finding(&audit, path, "torch.cuda.synchronize", 52);
    assert_eq!(sync.detail.as_deref(), Some("cell 4"));
    assert_eq!(
        audit
            .findings
            .iter()
            .filter(|f| f.symbol == "torch.cuda.synchronize" || f.symbol == "torch.cuda.empty_cache")
            .count(),
        1
    );
    // The RawKernel's source (cell 3) and a `%%writefile saxpy.cu` cell (cell 5).
    let g = finding(&audit, path, "__global__", 30);
    assert!(g.detail.as_deref().unwrap().contains("cell 3"));
    assert_eq!(text_at(path, 30, g.start.column, 10), "__global__");
    let saxpy = finding(&audit, path, "__global__", 62);
    assert!(saxpy.detail.as_deref().unwrap().contains("cell 5"));
}

#[test]
fn malformed_notebook_is_a_warning_not_a_failure() {
    let audit = audit_fixture("python/bad");
    assert!(audit.findings.is_empty());
    let w: Vec<_> = audit
        .files
        .warnings
        .iter()
        .filter(|w| w.reason.as_str() == "malformed-notebook")
        .collect();
    assert_eq!(w.len(), 1, "{:?}", audit.files.warnings);
    assert_eq!(w[0].path, "python/bad/truncated.ipynb");
}

#[test]
fn hostile_input_never_panics() {
    let rules = builtin_rules();
    let deep_parens = format!("x = {}1{}", "(".repeat(5_000), ")".repeat(5_000));
    let deep_lists = format!("x = {}{}", "[".repeat(5_000), "]".repeat(5_000));
    let long_chain = format!("import torch\nx = torch{}", ".cuda".repeat(5_000));
    let concat = format!(
        "import cupy\nsrc = {}\ncupy.RawKernel(src, 'k')",
        vec!["'int x;'"; 3_000].join(" + ")
    );
    let mut nested_defs = String::new();
    for i in 0..400 {
        nested_defs.push_str(&"    ".repeat(i));
        nested_defs.push_str(&format!("def f{i}(cuda):\n"));
    }
    nested_defs.push_str(&"    ".repeat(400));
    nested_defs.push_str("cuda.synchronize()\n");
    let cyclic =
        "a = b\nb = a\na.cuda.x()\nc = c.d\nc.e()\nimport os\ne = f\nf = e\ne['CUDA_HOME']\n";
    let inputs = [
        "",
        "\n",
        "def (:\n  import\n",
        "x = '''unterminated",
        "f'{'",
        "import torch as\nfrom . import\nfrom torch import (\n",
        "\u{feff}import torch\ntorch.cuda.synchronize()\n\u{0}",
        cyclic,
        &deep_parens,
        &deep_lists,
        &long_chain,
        &concat,
        &nested_defs,
    ];
    for text in inputs {
        let _ = scan_snippet(&rules, text, Lang::Python);
    }
    // A parameter named `cuda` shadows nothing imported: not CUDA, however deep.
    assert!(
        scan_snippet(&rules, &nested_defs, Lang::Python).is_empty(),
        "nested parameter named cuda"
    );
    let mut fe = FrontEnds::new();
    let nested_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for nb in [
        "",
        "{}",
        "[]",
        "{\"cells\": 3}",
        "{\"cells\": [{\"cell_type\": \"code\", \"source\": 7}]}",
        "{\"cells\": [{\"cell_type\": \"code\", \"source\": [\"\\ud800 \\u00zz\"]}]}",
        "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"%%bash\"}]}",
        &nested_json,
    ] {
        let _ = fe.extract(nb, Lang::Python, Path::new("x.ipynb"));
    }
}

#[test]
fn star_relative_and_dynamic_imports() {
    let rules = builtin_rules();
    let symbols = |text: &str| -> Vec<String> {
        scan_snippet(&rules, text, Lang::Python)
            .into_iter()
            .map(|f| f.symbol)
            .collect()
    };
    // A star import resolves free names, but never built-ins or local names.
    let s = symbols(
        "from torch.cuda import *\nsynchronize()\nprint(1)\ndef empty_cache(): pass\nempty_cache()\n",
    );
    assert_eq!(s, ["torch.cuda", "torch.cuda.synchronize"]);
    // Relative imports name the project's own code.
    assert!(
        symbols("from .cuda import synchronize\nfrom . import cuda\ncuda.synchronize()\n")
            .is_empty()
    );
    // importlib.import_module with a literal name is an import.
    let s = symbols(
        "import importlib\nm = importlib.import_module('fused_layer_norm_cuda')\nm.forward(x)\nif m is None: pass\n",
    );
    assert_eq!(s, ["fused_layer_norm_cuda.forward"]);
    // `global` assignments inside a function bind the module's name.
    let s = symbols(
        "m = None\ndef load():\n    global m\n    import cupy as m\ndef use():\n    return m.zeros(3)\n",
    );
    assert_eq!(s, ["cupy", "cupy.zeros"]);
}

#[test]
fn python_findings_snapshot() {
    let audit = audit_fixture("python");
    let listing: Vec<String> = audit
        .findings
        .iter()
        .map(|f| {
            let efforts: Vec<String> = audit
                .targets
                .iter()
                .map(|&t| format!("{}={}", t.as_str(), f.effort(t).as_str()))
                .collect();
            format!(
                "{}:{}:{} {} {} [{}] {}{}",
                f.path,
                f.start.line,
                f.start.column,
                f.rule_id,
                f.symbol,
                f.level.as_str(),
                efforts.join(" "),
                f.detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("python_findings", listing.join("\n")));
    let text = String::from_utf8(render(Format::Text, &audit_fixture("python/cupy"))).unwrap();
    s.bind(|| insta::assert_snapshot!("python_cupy.txt", text));
}

#[test]
fn build_script_nvcc_flags_libraries_and_probes() {
    let audit = audit_fixture("python/build_scripts");
    let p = "python/build_scripts/setup.py";
    finding(&audit, p, "nvcc", 12);
    finding(&audit, p, "/bin/nvcc", 13);
    let gencode = finding(&audit, p, "-gencode arch=compute_90a,code=sm_90a", 23);
    assert_eq!(gencode.rule_id, "nvcc-flags");
    for (sym, line) in [
        ("--use_fast_math", 29),
        ("--expt-relaxed-constexpr", 31),
        ("--ptxas-options=-v", 31),
        ("-lineinfo", 32),
    ] {
        assert_eq!(finding(&audit, p, sym, line).rule_id, "nvcc-flags", "{sym}");
    }
    for sym in ["cublas", "curand"] {
        assert_eq!(finding(&audit, p, sym, 47).rule_id, "link-cuda-libraries");
    }
    assert_eq!(
        finding(&audit, p, "-lcudart", 48).rule_id,
        "link-cuda-libraries"
    );
    // Host-compiler flags, `libraries=["m"]`, `-lpthread`, other commands: nothing.
    let symbols = symbols_in(&audit, p);
    for s in [
        "-O3",
        "-std=c++17",
        "-DNDEBUG",
        "-march=native",
        "m",
        "-lpthread",
        "git",
    ] {
        assert!(!symbols.iter().any(|x| x.0 == s), "{s} in {symbols:?}");
    }
    let p = "python/build_scripts/build_inline.py";
    finding(&audit, p, "-gencode=arch=compute_80,code=sm_80", 4);
    finding(&audit, p, "-Xptxas", 4);
    finding(&audit, p, "--expt-extended-lambda", 8);
    assert_eq!(
        finding(&audit, p, "-lcublasLt", 10).rule_id,
        "link-cuda-libraries"
    );
    assert_eq!(finding(&audit, p, "nvidia-smi", 12).rule_id, "nvidia-tools");
    assert!(!symbols_in(&audit, p).iter().any(|x| x.0 == "-O2"));
}

#[test]
fn custom_op_registrations_for_cuda() {
    let audit = audit_fixture("python/pytorch/registrations.py");
    let p = "python/pytorch/registrations.py";
    for line in [5, 10, 26, 27] {
        let f = finding(&audit, p, "device_types=cuda", line);
        assert_eq!(f.rule_id, "pytorch-cuda-device");
    }
    finding(&audit, p, "torch.library.register_kernel(cuda)", 20);
    let lines: Vec<usize> = audit
        .findings
        .iter()
        .filter(|f| f.rule_id == "pytorch-cuda-device")
        .map(|f| f.start.line)
        .collect();
    assert!(!lines.contains(&15) && !lines.contains(&28), "{lines:?}");
}

#[test]
fn torch_library_impl_for_cuda_and_pytorch_cuda_checks() {
    let audit = audit_fixture("torch_cpp/ops.cu");
    let p = "torch_cpp/ops.cu";
    for (sym, line, rule) in [
        ("C10_CUDA_KERNEL_LAUNCH_CHECK", 8, "pytorch-cuda-cpp"),
        ("C10_CUDA_CHECK", 9, "pytorch-cuda-cpp"),
        ("STD_CUDA_KERNEL_LAUNCH_CHECK", 14, "pytorch-cuda-cpp"),
        (
            "TORCH_LIBRARY_IMPL(CUDA)",
            17,
            "pytorch-cuda-dispatch-registration",
        ),
        (
            "STABLE_TORCH_LIBRARY_IMPL(CUDA)",
            21,
            "pytorch-cuda-dispatch-registration",
        ),
    ] {
        assert_eq!(finding(&audit, p, sym, line).rule_id, rule, "{sym}");
    }
    assert!(!symbols_in(&audit, p).iter().any(|s| s.1 == 25));
}
