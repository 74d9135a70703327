//! pip requirements and constraints files:
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run requirements` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(
        data,
        &[
            (Lang::Requirements, "requirements.txt"),
            (Lang::Requirements, "constraints.txt"),
        ],
    );
    cuda_audit_fuzz::scan(data, lang, name);
});
