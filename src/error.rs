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
    Io {
        message: String,
        #[source]
        source: std::io::Error,
        #[help]
        help: Option<String>,
    },

    #[error("path does not exist: {}", .0.display())]
    MissingPath(PathBuf),

    #[error("{0}")]
    Usage(String),

    /// A usage error with a suggestion of what to do about it.
    #[error("{message}")]
    Hint {
        message: String,
        #[help]
        help: String,
    },
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
            help: None,
        }
    }

    /// The same error with a `help:` line (a data-file error keeps its own).
    pub fn with_help(self, text: impl Into<String>) -> Self {
        match self {
            Error::Io {
                message, source, ..
            } => Error::Io {
                message,
                source,
                help: Some(text.into()),
            },
            Error::Usage(message) | Error::Hint { message, .. } => Error::hint(message, text),
            Error::MissingPath(path) => {
                Error::hint(format!("path does not exist: {}", path.display()), text)
            }
            e @ Error::DataFile(_) => e,
        }
    }

    /// A usage error with a `help:` line saying what to do.
    pub fn hint(message: impl Into<String>, help: impl Into<String>) -> Self {
        Error::Hint {
            message: message.into(),
            help: help.into(),
        }
    }
}

/// An error as the command line prints it, in the style of cargo, ripgrep or ruff:
///
/// ```text
/// error: <message>: <cause>
///    ╭─[file:line:column]      (data-file errors: the offending text, labelled)
///  4 │ …
///    ╰────
/// help: <what to do>
/// ```
///
/// Nothing is wrapped (a terminal wraps long lines itself, and a wrapped path or command cannot be
/// copied), and no internal diagnostic code is shown. `color` styles the `error:` and `help:`
/// prefixes and the snippet.
pub fn render(err: &dyn Diagnostic, color: bool) -> String {
    let (red, cyan, bold, reset) = if color {
        ("\x1b[1;31m", "\x1b[1;36m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let mut message = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        let text = c.to_string();
        // A transparent wrapper repeats its source's message.
        if !text.is_empty() && !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    let mut out = format!("{red}error{reset}{bold}: {message}{reset}\n");
    if let Some(snippet) = snippet(err, color) {
        out.push_str(&snippet);
    }
    if let Some(help) = err.help() {
        let help = help.to_string();
        let mut lines = help.lines();
        if let Some(first) = lines.next() {
            out.push_str(&format!("{cyan}help{reset}: {first}\n"));
        }
        for line in lines {
            out.push_str(&format!("      {line}\n"));
        }
    }
    out
}

/// The labelled source text of a diagnostic, drawn by miette without its header or footer.
fn snippet(err: &dyn Diagnostic, color: bool) -> Option<String> {
    /// Only the source and the labels of a diagnostic: no message, code or help.
    struct Snippet<'a>(&'a dyn Diagnostic);
    impl std::fmt::Debug for Snippet<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Snippet")
        }
    }
    impl std::fmt::Display for Snippet<'_> {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            Ok(())
        }
    }
    impl std::error::Error for Snippet<'_> {}
    impl Diagnostic for Snippet<'_> {
        fn source_code(&self) -> Option<&dyn miette::SourceCode> {
            self.0.source_code()
        }
        fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
            self.0.labels()
        }
    }

    if err.source_code().is_none() || err.labels().is_none() {
        return None;
    }
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_wrap_lines(false)
        .without_cause_chain()
        .with_links(false);
    let mut out = String::new();
    handler.render_report(&mut out, &Snippet(err)).ok()?;
    // The (empty) message line comes first.
    let lines: Vec<&str> = out
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .map(str::trim_end)
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n") + "\n")
}

/// The candidates closest to `query`, for a "did you mean" line: the same name up to case, else
/// the fewest typos away (optimal string alignment distance up to a third of the length: a
/// transposition is one edit), else the shortest names starting with `query`. At most five.
pub fn similar<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    const SHOWN: usize = 5;
    let q: Vec<char> = query.to_lowercase().chars().collect();
    if q.is_empty() {
        return Vec::new();
    }
    let max = (q.len() / 3).max(1);
    let mut scored: Vec<(usize, usize, &str)> = Vec::new();
    for c in candidates {
        let lower: Vec<char> = c.to_lowercase().chars().collect();
        let score = if lower.len().abs_diff(q.len()) <= max {
            distance(&q, &lower).filter(|&d| d <= max)
        } else {
            None
        };
        let score = score.or_else(|| (q.len() >= 3 && lower.starts_with(&q)).then_some(max + 1));
        if let Some(score) = score {
            scored.push((score, lower.len(), c));
        }
    }
    scored.sort();
    let best = scored.first().map(|s| s.0);
    let mut out: Vec<&str> = Vec::new();
    for (_, _, c) in scored.into_iter().take_while(|s| Some(s.0) == best) {
        if !out.contains(&c) {
            out.push(c);
            if out.len() == SHOWN {
                break;
            }
        }
    }
    out
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions).
fn distance(a: &[char], b: &[char]) -> Option<usize> {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_names_are_typos_case_or_prefixes() {
        let names = [
            "cudaMalloc",
            "cudaMallocAsync",
            "cudaFree",
            "cublas",
            "cudnn",
        ];
        assert_eq!(similar("cudaMallc", names)[0], "cudaMalloc");
        assert_eq!(similar("cudamalloc", names)[0], "cudaMalloc");
        assert_eq!(similar("cudaMlaloc", names)[0], "cudaMalloc");
        assert_eq!(similar("cubals", names), ["cublas"]);
        assert_eq!(similar("cudaMallocA", names), ["cudaMalloc"]);
        assert_eq!(similar("cudaMal", names), ["cudaMalloc", "cudaMallocAsync"]);
        assert!(similar("nothing-like-it", names).is_empty());
    }

    #[test]
    fn rendered_errors_have_no_code_and_no_temporary_paths() {
        let e = Error::hint("unknown thing `x`", "did you mean `y`?");
        assert_eq!(
            render(&e, false),
            "error: unknown thing `x`\nhelp: did you mean `y`?\n"
        );
        let e = Error::io(
            "cannot write /a/b.json",
            std::io::Error::from_raw_os_error(2),
        );
        assert!(
            render(&e, false).starts_with("error: cannot write /a/b.json: No such file"),
            "{}",
            render(&e, false)
        );
    }
}
