//! shell scripts:
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run shell` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(data, &[(Lang::Shell, "build.sh")]);
    cuda_audit_fuzz::scan(data, lang, name);
});
