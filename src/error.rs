//! Errors that stop a run (exit code 2) and the exit-code contract.
//!
//! Problems with one scanned file never become an [`Error`]: they are counted in the audit's
//! file report and the scan goes on. An `Error` is for what the user must fix before a scan means
//! anything: a malformed rule or config file, a path that does not exist, an unwritable output.

use miette::{Diagnostic, NamedSource, SourceSpan};
use std::path::PathBuf;
use std::process::ExitCode;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The three outcomes of a run, as process exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to report (or nothing that fails the gate).
    Clean = 0,
    /// Findings were reported (or the gate failed).
    Findings = 1,
    /// Usage, configuration or I/O error.
    Error = 2,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// A problem in a data file (rules, config, baseline) pointing at the offending text.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(cuda_audit::data_file))]
pub struct DataFileError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

impl DataFileError {
    pub fn new(
        name: &str,
        text: &str,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        let end = span.end.min(text.len());
        let start = span.start.min(end);
        DataFileError {
            message: message.into(),
            src: NamedSource::new(name, text.to_string()).with_language("toml"),
            span: (start, end - start).into(),
            label: label.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    DataFile(Box<DataFileError>),

    #[error("{message}")]
    #[diagnostic(code(cuda_audit::io))]
    Io {
        message: String,
        #[source]
        source: std::io::Error,
    },

    #[error("path does not exist: {}", .0.display())]
    #[diagnostic(code(cuda_audit::usage::path))]
    MissingPath(PathBuf),

    #[error("{0}")]
    #[diagnostic(code(cuda_audit::usage))]
    Usage(String),
}

impl From<DataFileError> for Error {
    fn from(e: DataFileError) -> Self {
        Error::DataFile(Box::new(e))
    }
}

impl Error {
    pub fn io(message: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            message: message.into(),
            source,
        }
    }
}
