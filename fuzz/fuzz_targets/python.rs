//! The Python front end (sources, stubs, setup.py):
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run python` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(
        data,
        &[
            (Lang::Python, "snippet.py"),
            (Lang::Python, "setup.py"),
            (Lang::Python, "snippet.pyi"),
        ],
    );
    cuda_audit_fuzz::scan(data, lang, name);
});
