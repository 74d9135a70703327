//! The C/C++/CUDA front end (tree-sitter-cuda, the macro tokenizer):
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run cpp` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(
        data,
        &[
            (Lang::Cuda, "snippet.cu"),
            (Lang::Cpp, "snippet.cpp"),
            (Lang::C, "snippet.c"),
        ],
    );
    cuda_audit_fuzz::scan(data, lang, name);
});
