//! The Rust front end (syn): CUDA crates (`cudarc`, `cust`), `candle`/`tch` CUDA devices,
//! rust-cuda kernels, and nvcc in build scripts.

use super::Extraction;

pub fn extract(_text: &str) -> Extraction {
    Extraction::default()
}
