//! Reporters: each turns an [`Audit`] into bytes in one format. A new format is one new module
//! and one [`Format`] variant; no reporter reaches back into scanning.

pub mod concise;
pub mod explain;
pub mod github;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod snippet;
mod stream;
pub mod text;

use crate::audit::Audit;
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics with source snippets, then a summary.
    Text,
    /// The versioned JSON report (docs/json-report.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other dashboards.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// A compact summary for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// One self-contained HTML page with charts and a filterable findings list.
    Html,
    /// One line per finding: `path:line:col: rule symbol [rocm:effort neuron:effort tpu:effort]`.
    Concise,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Concise => "concise",
        }
    }

    /// Whether the format has summary tables (`--statistics` shows them alone).
    pub fn has_summary(self) -> bool {
        matches!(
            self,
            Format::Text | Format::Json | Format::Markdown | Format::Html
        )
    }
}

/// How a report is shaped, beyond its format.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Colour in the text report.
    pub color: bool,
    /// Text and concise: findings only; with a gate, the new findings and the verdict.
    pub quiet: bool,
    /// With a gate, list the known findings too (text, concise, github).
    pub show_known: bool,
    /// The summary tables alone, no findings list.
    pub statistics: bool,
    /// SARIF: at most this many results (and 10 MB compressed); 0 lifts the limit.
    pub sarif_max_results: usize,
    /// SARIF: at most this many bytes gzip-compressed (with a result limit).
    pub sarif_max_gzip_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            color: false,
            quiet: false,
            show_known: false,
            statistics: false,
            sarif_max_results: sarif::DEFAULT_MAX_RESULTS,
            sarif_max_gzip_bytes: sarif::MAX_GZIP_BYTES,
        }
    }
}

pub trait Reporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()>;

    /// What the user should know about the report just written (e.g. results left out), for a
    /// line on stderr.
    fn notice(&self) -> Option<String> {
        None
    }
}

/// The reporter for a format.
pub fn reporter(format: Format, options: &Options) -> Box<dyn Reporter> {
    match format {
        Format::Text => Box::new(text::TextReporter { options: *options }),
        Format::Json => Box::new(json::JsonReporter {
            statistics: options.statistics,
        }),
        Format::Sarif => Box::new(sarif::SarifReporter::new(
            options.sarif_max_results,
            options.sarif_max_gzip_bytes,
        )),
        Format::Github => Box::new(github::GithubReporter {
            show_known: options.show_known,
        }),
        Format::Markdown => Box::new(markdown::MarkdownReporter),
        Format::Html => Box::new(html::HtmlReporter {
            statistics: options.statistics,
        }),
        Format::Concise => Box::new(concise::ConciseReporter {
            show_known: options.show_known,
        }),
    }
}

/// Renders a report into memory (tests, and atomic writes).
pub fn render(format: Format, audit: &Audit) -> Vec<u8> {
    let mut buf = Vec::new();
    reporter(format, &Options::default())
        .write(audit, &mut buf)
        .expect("writing to memory cannot fail");
    buf
}
