//! The one integration-test binary (one link, fast `cargo test`). Modules by subject.

mod common;

mod action;
mod architecture;
mod baseline_scope;
mod bench;
mod cache;
mod cli;
mod cython;
mod errors;
mod fixtures;
mod gate;
mod go;
mod hardening;
mod hipify;
mod history;
mod manifests;
mod merge;
mod options;
mod performance;
mod plan;
mod ports;
mod project;
mod python;
mod regressions;
mod reports;
mod rule_examples;
mod sarif;
mod scoring;
mod snapshots;
