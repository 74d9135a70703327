//! The Python front end in notebook mode (chosen by the `.ipynb` extension):
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run notebook` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(data, &[(Lang::Python, "snippet.ipynb")]);
    cuda_audit_fuzz::scan(data, lang, name);
});
