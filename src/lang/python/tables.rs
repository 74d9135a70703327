//! What the Python front end knows about APIs, as opposed to what rules know: which calls take
//! CUDA source code as a string, which read or write environment variables, and which names are
//! Python built-ins (never resolved through a star import). Findings and their judgements are
//! rule data under `rules/python/`; nothing here decides whether something is reported.

use crate::lang::Lang;

/// A call that compiles source code handed to it as a string.
pub struct Sink {
    /// The resolved dotted name of the callee.
    pub callee: &'static str,
    /// Positional arguments holding source.
    pub positions: &'static [usize],
    /// Keyword arguments holding source.
    pub keywords: &'static [&'static str],
    pub lang: Lang,
}

const fn cuda(
    callee: &'static str,
    positions: &'static [usize],
    keywords: &'static [&'static str],
) -> Sink {
    Sink {
        callee,
        positions,
        keywords,
        lang: Lang::Cuda,
    }
}

/// CuPy, PyCUDA, torch `load_inline`, the jiterator, and NVRTC bindings.
pub const SINKS: &[Sink] = &[
    cuda("cupy.RawKernel", &[0], &["code"]),
    cuda("cupy.RawModule", &[0], &["code"]),
    cuda(
        "cupy.ElementwiseKernel",
        &[2],
        &["operation", "preamble", "loop_prep", "after_loop"],
    ),
    cuda(
        "cupy.ReductionKernel",
        &[2, 3, 4],
        &["map_expr", "reduce_expr", "post_map_expr", "preamble"],
    ),
    cuda("cupy.cuda.compile_with_cache", &[0], &["source"]),
    cuda("cupy.cuda.compiler.compile_with_cache", &[0], &["source"]),
    cuda("cupy.cuda.compiler.compile_using_nvrtc", &[0], &["source"]),
    cuda("pycuda.compiler.SourceModule", &[0], &["source"]),
    cuda("pycuda.compiler.DynamicSourceModule", &[0], &["source"]),
    cuda(
        "pycuda.elementwise.ElementwiseKernel",
        &[1],
        &["operation", "preamble", "loop_prep", "after_loop"],
    ),
    cuda(
        "pycuda.reduction.ReductionKernel",
        &[2],
        &["reduce_expr", "map_expr", "preamble"],
    ),
    cuda(
        "torch.utils.cpp_extension.load_inline",
        &[2],
        &["cuda_sources"],
    ),
    Sink {
        callee: "torch.utils.cpp_extension.load_inline",
        positions: &[1],
        keywords: &["cpp_sources"],
        lang: Lang::Cpp,
    },
    cuda(
        "torch.cuda.jiterator._create_jit_fn",
        &[0],
        &["code_string"],
    ),
    cuda(
        "torch.cuda.jiterator._create_multi_output_jit_fn",
        &[0],
        &["code_string"],
    ),
    cuda("cuda.nvrtc.nvrtcCreateProgram", &[0], &["src"]),
    cuda("cuda.bindings.nvrtc.nvrtcCreateProgram", &[0], &["src"]),
    cuda("cuda.core.experimental.Program", &[0], &["code"]),
    cuda("cuda.core.Program", &[0], &["code"]),
    cuda("pynvrtc.compiler.Program", &[0], &["src"]),
];

pub fn sink(callee: &str) -> impl Iterator<Item = &'static Sink> + '_ {
    SINKS.iter().filter(move |s| s.callee == callee)
}

/// Functions whose first argument names an environment variable.
pub const ENV_FUNCTIONS: &[&str] = &["os.getenv", "os.getenvb", "os.putenv", "os.unsetenv"];

/// Methods of `os.environ` (or a copy) whose first argument names an environment variable;
/// `update` takes a dictionary or keyword arguments.
pub const ENV_METHODS: &[&str] = &[
    "get",
    "setdefault",
    "pop",
    "update",
    "__getitem__",
    "__contains__",
];

/// The process environment mapping.
pub const ENVIRON: &[&str] = &["os.environ", "os.environb"];

/// Calls that return (a transformed copy of) the string they are applied to or given, for
/// following a source string through `"""…""".format(…)` or `textwrap.dedent("""…""")`.
pub const STRING_METHODS: &[&str] = &[
    "format",
    "format_map",
    "replace",
    "encode",
    "decode",
    "strip",
    "lstrip",
    "rstrip",
    "expandtabs",
];
pub const STRING_FUNCTIONS: &[&str] = &["textwrap.dedent", "inspect.cleandoc", "str", "bytes"];

/// Python's built-in names: never taken from a star import.
pub const BUILTINS: &[&str] = &[
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "__import__",
    "__name__",
    "__file__",
    "__doc__",
    "__spec__",
    "__package__",
    "__builtins__",
    "__debug__",
    "self",
    "cls",
    "True",
    "False",
    "None",
    "NotImplemented",
    "Ellipsis",
    "BaseException",
    "Exception",
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "EOFError",
    "ImportError",
    "ModuleNotFoundError",
    "IndexError",
    "KeyError",
    "KeyboardInterrupt",
    "MemoryError",
    "NameError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "RecursionError",
    "RuntimeError",
    "StopIteration",
    "SyntaxError",
    "SystemExit",
    "TypeError",
    "ValueError",
    "ZeroDivisionError",
    "Warning",
    "UserWarning",
    "DeprecationWarning",
    "FileNotFoundError",
    "PermissionError",
    "TimeoutError",
    "UnicodeError",
    "IOError",
];

/// A device or backend string, normalised: `"cuda"`, `"cuda:0"`, `f"cuda:{rank}"` → `cuda`;
/// `"gpu"`, `"/GPU:0"`, `"/device:GPU:1"` → `gpu`; `"nccl"`, `"cpu:gloo,cuda:nccl"` → `nccl`;
/// `"cpu"` → `cpu`. Anything else → `None`. F-string interpolations arrive as underscores.
/// `cuda` must be lower case, as PyTorch requires; `GPU` and `NCCL` may be upper case.
/// PyTorch dispatch keys of CUDA kernels (`torch.library.impl(…, "CUDA")`).
pub const CUDA_DISPATCH_KEYS: &[&str] = &[
    "CUDA",
    "AutogradCUDA",
    "SparseCUDA",
    "SparseCsrCUDA",
    "QuantizedCUDA",
    "NestedTensorCUDA",
];

pub fn device_token(value: &str) -> Option<&'static str> {
    let s = value.trim().to_ascii_lowercase();
    if s == "nccl" || s.split(',').any(|p| p.trim().ends_with(":nccl")) {
        return Some("nccl");
    }
    let last = s.rsplit('/').next().unwrap_or("");
    let last = last.strip_prefix("device:").unwrap_or(last);
    let (base, rest) = last.split_once(':').unwrap_or((last, ""));
    let index_like = rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '_' | '{' | '}' | '%' | 'd'));
    if !index_like {
        return None;
    }
    match base {
        // PyTorch device strings are lower case: `"CUDA"` is a label, not a device.
        "cuda" if value.contains("cuda") => Some("cuda"),
        "gpu" => Some("gpu"),
        "cpu" => Some("cpu"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_tokens() {
        for (s, t) in [
            ("cuda", Some("cuda")),
            ("cuda:0", Some("cuda")),
            ("cuda:___", Some("cuda")),
            ("CUDA", None),
            ("cuda:{}", Some("cuda")),
            ("cuda:%d", Some("cuda")),
            ("/GPU:0", Some("gpu")),
            ("/device:GPU:1", Some("gpu")),
            ("/job:localhost/replica:0/task:0/device:GPU:0", Some("gpu")),
            ("gpu", Some("gpu")),
            ("nccl", Some("nccl")),
            ("cpu:gloo,cuda:nccl", Some("nccl")),
            ("cpu", Some("cpu")),
            ("cudagraphs", None),
            ("mycuda", None),
            ("cuda is great", None),
            ("", None),
        ] {
            assert_eq!(device_token(s), t, "{s:?}");
        }
    }
}
