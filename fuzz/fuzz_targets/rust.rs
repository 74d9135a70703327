//! The Rust front end (syn):
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run rust` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(
        data,
        &[(Lang::Rust, "snippet.rs"), (Lang::Rust, "build.rs")],
    );
    cuda_audit_fuzz::scan(data, lang, name);
});
