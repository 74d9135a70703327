//! Phase timings on standard error, for the benchmark harness and for profiling: set
//! `CUDA_AUDIT_TIMINGS=1`. Off by default; when off, a phase costs one relaxed atomic load.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

fn start() -> Option<Instant> {
    *START.get_or_init(|| {
        std::env::var_os("CUDA_AUDIT_TIMINGS")
            .is_some_and(|v| !v.is_empty() && v != "0")
            .then(Instant::now)
    })
}

/// Marks the start of the run (the clock starts at the first call of either function).
pub fn init() {
    start();
}

/// Prints `phase` and the time since the start, when timings are on.
pub fn phase(name: &str) {
    if let Some(t0) = start() {
        eprintln!(
            "cuda-audit timings: {name:<24} {:>9.1} ms",
            t0.elapsed().as_secs_f64() * 1e3
        );
    }
}
