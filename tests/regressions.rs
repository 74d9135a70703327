//! Crash inputs found by the fuzz targets (fuzz/, CONTRIBUTING.md "Fuzzing"), minimised. Each test
//! is named after what broke; the comment says which target found it.

use crate::common::builtin_rules;
use cuda_audit::analysis::scan_snippet;
use cuda_audit::lang::Lang;

fn symbols(text: &str, lang: Lang) -> Vec<String> {
    scan_snippet(&builtin_rules(), text, lang)
        .into_iter()
        .map(|f| f.symbol)
        .collect()
}

/// `report_source`: the Meson tokenizer looked for the end of a `'''` string by slicing the text
/// at every byte, and panicked inside the first multi-byte character (here U+FFFD, which lossy
/// decoding puts in any file with invalid UTF-8).
#[test]
fn meson_triple_quoted_string_with_a_multibyte_character() {
    for text in [
        "m = '''é'''\nproject('demo', 'cuda')\n",
        "m = '''\u{FFFD}",
        "m = f'''日本'''",
    ] {
        symbols(text, Lang::Meson);
    }
    assert!(
        symbols("m = '''é'''\nproject('demo', 'cuda')\n", Lang::Meson)
            .iter()
            .any(|s| s == "cuda")
    );
}

/// `requirements`: a line starting with `-` and a multi-byte character was cut after its second
/// byte when looking for a short option glued to its value (`-ihttps://…`).
#[test]
fn requirements_dash_then_a_multibyte_character() {
    let text = "-\u{FFFD}ements-base.txt\n-é\n-ié\ncupy-cuda12x\n";
    assert!(
        symbols(text, Lang::Requirements)
            .iter()
            .any(|s| s == "cupy-cuda12x")
    );
    for lang in [Lang::Requirements, Lang::SetupCfg, Lang::Pyproject] {
        symbols("-\u{FFFD}", lang);
    }
    // `conda`: the pip section of an environment file goes through the same code.
    let env = "dependencies:\n  - pip\n  - pip:\n    - \"-\u{FFFD}-extra-index-url\"\n    - cupy-cuda12x\n";
    assert!(
        symbols(env, Lang::Conda)
            .iter()
            .any(|s| s == "cupy-cuda12x")
    );
}

/// `dockerfile`: an unterminated `${…` ending in a multi-byte character at the end of a line (or
/// of the file) was cut one byte before the newline, inside that character. Shell and Make words
/// go through the same code.
#[test]
fn unterminated_parameter_expansion_ending_in_a_multibyte_character() {
    let text = "ARG CUDA_VERSION=12.4.1\nFROM nvidia/cuda:${CUDA_VERé\nFROM nvidia/cuda:12.4.1-devel-ubuntu22.04\n";
    let found = symbols(text, Lang::Dockerfile);
    assert!(
        found.iter().any(|s| s.starts_with("nvidia/cuda:12.4.1")),
        "{found:?}"
    );
    for (text, lang) in [
        ("FROM nvidia/cuda:${CUDA_VER\u{FFFD}", Lang::Dockerfile),
        ("nvcc ${ARCHé\nnvcc $(Aé", Lang::Shell),
        ("all:\n\tnvcc $(FLAGSé\n\tnvcc ${Xé", Lang::Make),
    ] {
        symbols(text, lang);
    }
}

/// `dockerfile`: a backslash before a multi-byte character in an exec-form `RUN ["…"]` string
/// was taken as a one-byte escape, cutting the character in two.
#[test]
fn exec_form_escape_before_a_multibyte_character() {
    let text = "FROM ubuntu:22.04\nRUN [\"nvinstall --\\Ӝ\", \"\\é\"]\nRUN [\"sh\", \"-c\", \"echo \\日; nvcc -arch=sm_80 k.cu\"]\nFROM nvidia/cuda:12.4.1-devel-ubuntu22.04\n";
    let found = symbols(text, Lang::Dockerfile);
    assert!(
        found.iter().any(|s| s.starts_with("nvidia/cuda:12.4.1")),
        "{found:?}"
    );
}

/// A weak name (`atomicAdd`) the project defines is not CUDA's, whether called plainly or
/// through a namespace: the qualified path used to ignore the symbol's `weak` mark.
#[test]
fn a_qualified_weak_name_the_tree_defines_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("atomics.cu"),
        "namespace compat {\n__device__ float atomicAdd(float* a, float b) { float old = *a; *a += b; return old; }\n}\n\
         __global__ void k(float* x) {\n  compat::atomicAdd(x, 1.0f);\n}\n",
    )
    .unwrap();
    let audit = crate::common::audit_dir(dir.path());
    let symbols: Vec<&str> = audit.findings.iter().map(|f| f.symbol.as_str()).collect();
    assert!(!symbols.contains(&"atomicAdd"), "{symbols:?}");
    assert!(symbols.contains(&"__global__"), "{symbols:?}");
}
