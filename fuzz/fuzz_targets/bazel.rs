//! Bazel BUILD/WORKSPACE/.bzl files (tree-sitter-python):
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run bazel` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(
        data,
        &[
            (Lang::Bazel, "BUILD"),
            (Lang::Bazel, "WORKSPACE"),
            (Lang::Bazel, "defs.bzl"),
        ],
    );
    cuda_audit_fuzz::scan(data, lang, name);
});
