//! cuda-audit: inventories how tied a code base is to NVIDIA CUDA and what porting it to AMD ROCm,
//! AWS Neuron or Google TPU would take.
//!
//! The pipeline, one module per stage: [`walk`] finds files → [`lang`] front ends turn each file
//! into facts → [`matcher`] looks the facts up in the [`rule::RuleSet`] → [`finding`]s →
//! [`summary`] → [`report`]ers. [`audit`] runs it.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod audit;
pub mod baseline;
pub mod breakdown;
pub mod cache;
pub mod cli;
pub mod codec;
pub mod compare;
pub mod config;
pub mod diff;
pub mod error;
pub mod finding;
pub mod gate;
pub mod hash;
pub mod history;
pub mod lang;
pub mod matcher;
pub mod merge;
pub mod note;
pub mod options;
pub mod output;
pub mod plan;
pub mod portability;
pub mod ports;
pub mod prefilter;
pub mod progress;
pub mod project;
pub mod provenance;
pub mod report;
pub mod report_file;
pub mod rule;
pub mod scan;
pub mod score;
pub mod source;
pub mod summary;
pub mod suppress;
pub mod timings;
pub mod walk;

pub use audit::{Audit, FileReport};
pub use error::{Error, ExitStatus, Result};
pub use scan::{Settings, audit};
