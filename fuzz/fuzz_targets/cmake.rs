//! CMake:
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run cmake` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(
        data,
        &[(Lang::Cmake, "CMakeLists.txt"), (Lang::Cmake, "cuda.cmake")],
    );
    cuda_audit_fuzz::scan(data, lang, name);
});
