//! The configuration loader: arbitrary text as a `cuda-audit.toml`, and as a `pyproject.toml`
//! with a `[tool.cuda-audit]` table → a configuration or an error that renders, never a panic.
//! `cargo fuzz run config_loader` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::config::{Config, parse, parse_pyproject};
use cuda_audit_fuzz::render_error;
use std::path::Path;

fn exercise(config: &Config) {
    if let Some(weights) = &config.score {
        // Any weights a configuration accepts must score without overflowing.
        cuda_audit::score::explain(weights);
        for points in [0, 1, weights.scale, u64::MAX] {
            let score = weights.score(points);
            assert!(
                (0.0..=100.0).contains(&score),
                "{weights:?} {points} → {score}"
            );
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Configuration files are read with `read_to_string`: only valid UTF-8 reaches the parser.
    let text = String::from_utf8_lossy(data);
    match parse(Path::new("project/cuda-audit.toml"), &text) {
        Ok(config) => exercise(&config),
        Err(e) => {
            render_error(&e);
        }
    }
    match parse_pyproject(Path::new("project/pyproject.toml"), &text) {
        Ok(Some(config)) => exercise(&config),
        Ok(None) => {}
        Err(e) => {
            render_error(&e);
        }
    }
});
