//! The result cache's decoder: arbitrary bytes → a file's cached analysis or an error, never a
//! panic or an unbounded allocation (a cache file may be damaged). What decodes encodes back to
//! the same bytes. `cargo fuzz run cache_entry` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::analysis::FileAnalysis;
use cuda_audit::codec::{Codec, Dec, Enc};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut d = Dec::new(data);
    if let Ok(scanned) = FileAnalysis::decode(&mut d) {
        let used = &data[..d.position()];
        let mut e = Enc::default();
        scanned.encode(&mut e);
        // Integers have one shortest encoding; the decoder accepts only what fits, so a decoded
        // value re-encodes to at most as many bytes, and decodes again to the same encoding.
        assert!(e.bytes.len() <= used.len());
        let mut again = Dec::new(&e.bytes);
        let twice = FileAnalysis::decode(&mut again).expect("an encoded value decodes");
        let mut e2 = Enc::default();
        twice.encode(&mut e2);
        assert_eq!(e.bytes, e2.bytes);
    }
});
