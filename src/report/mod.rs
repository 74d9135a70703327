//! Reporters: each turns an [`Audit`] into bytes in one format. A new format is one new module
//! and one [`Format`] variant; no reporter reaches back into scanning.

pub mod explain;
pub mod github;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
mod stream;
pub mod text;

use crate::scan::Audit;
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
}

pub trait Reporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()>;
}

/// The reporter for a format.
pub fn reporter(format: Format, color: bool) -> Box<dyn Reporter> {
    match format {
        Format::Text => Box::new(text::TextReporter { color }),
        Format::Json => Box::new(json::JsonReporter),
        Format::Sarif => Box::new(sarif::SarifReporter),
        Format::Github => Box::new(github::GithubReporter),
        Format::Markdown => Box::new(markdown::MarkdownReporter),
        Format::Html => Box::new(html::HtmlReporter),
    }
}

/// Renders a report into memory (tests, and atomic writes).
pub fn render(format: Format, audit: &Audit) -> Vec<u8> {
    let mut buf = Vec::new();
    reporter(format, false)
        .write(audit, &mut buf)
        .expect("writing to memory cannot fail");
    buf
}
