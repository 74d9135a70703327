//! `cuda-audit history`: the arguments, the paths relative to the repository's top level, the
//! scan settings as every other command prepares them (the current work tree's configuration),
//! the progress line, and the report of the series ([`crate::history`]).

use super::*;
use clap::ValueEnum;

#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("window").required(true).args(["commits", "since"])),
    mut_arg("paths", |a| a.value_name("PATH").help(
        "Paths to chart, inside the repository [default: the whole repository, wherever it is run]"
    )),
    after_help = "The commits are HEAD's first-parent history (`git rev-list --first-parent`), read from git's \
objects into a temporary directory: the work tree and the index are not touched. Every commit is scanned with \
the current work tree's configuration (found from the top level up), rules and options. PATHs are given as \
for a scan (relative to the current directory) and must lie inside the repository; without one, the whole \
repository is charted wherever the command runs. Paths in the reports are relative to the top level. In a \
shallow clone with fewer commits than asked, the commits there are charted and a warning says so.

Examples:
  cuda-audit history --commits 50 -f html -o history.html
  cuda-audit history src/cuda --since 2024-01-01 --every 5

Exit codes: 0 the history was charted; 2 not a git repository, no commit, a bad --since DATE, a path \
outside the repository, a configuration, git or I/O error."
)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub input: ScanInputs,
    /// Chart the last N commits of the first-parent history (HEAD included).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "History")]
    pub commits: Option<u32>,
    /// Chart the first-parent commits committed since DATE (YYYY-MM-DD, UTC, or
    /// YYYY-MM-DDTHH:MM:SS with Z or an offset).
    #[arg(long, value_name = "DATE", help_heading = "History")]
    pub since: Option<String>,
    /// Chart every N-th of those commits, counting from HEAD (always charted).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), help_heading = "History")]
    pub every: u32,
    /// Output format.
    #[arg(
        long,
        short = 'f',
        value_enum,
        default_value = "markdown",
        help_heading = "Report"
    )]
    pub format: HistoryFormat,
    /// Write the history to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", help_heading = "Report")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Json,
    Markdown,
    Html,
}

impl HistoryFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryFormat::Json => "json",
            HistoryFormat::Markdown => "markdown",
            HistoryFormat::Html => "html",
        }
    }
}

pub(super) fn run_history(args: HistoryArgs) -> Result<ExitStatus> {
    crate::timings::init();
    let cwd =
        std::env::current_dir().map_err(|e| Error::io("cannot read the current directory", e))?;
    let repo = crate::history::Repo::open(&cwd)?;
    let window = match (args.commits, &args.since) {
        (Some(n), _) => crate::history::Window::Commits(n as usize),
        (None, Some(date)) => {
            crate::history::Window::Since(crate::history::parse_date(date).ok_or_else(|| {
                Error::hint(
                    format!("invalid date `{date}` (--since)"),
                    "give a day as YYYY-MM-DD (UTC), or a time as YYYY-MM-DDTHH:MM:SS with Z or \
                     an offset: `--since 2024-01-31`, `--since 2024-01-31T12:00:00+02:00`",
                )
            })?)
        }
        (None, None) => {
            return Err(Error::Usage(
                "history needs --commits N or --since DATE".into(),
            ));
        }
    };
    let paths = repo_paths(&cwd, &repo.toplevel, &args.input.paths)?;
    let scan_paths = if paths.is_empty() {
        vec![repo.toplevel.clone()]
    } else {
        paths.iter().map(|p| repo.toplevel.join(p)).collect()
    };
    let mut prepared = prepare_in(&args.input, scan_paths, repo.toplevel.clone())?;
    prepared.settings.rules = Arc::new(RuleSet::load(&prepared.rule_dirs)?);
    crate::timings::phase("rules");
    let request = crate::history::Request {
        paths,
        window,
        every: args.every as usize,
    };
    let progress =
        crate::progress::Progress::start(crate::progress::wanted(args.input.no_progress));
    let series = crate::history::chart(&repo, prepared.settings, &request, |i, n, commit| {
        progress.phase(format!(
            "commit {}/{n} ({})",
            i + 1,
            &commit.id[..commit.id.len().min(crate::provenance::SHORT_COMMIT)]
        ));
    })?;
    progress.finish();
    warn_about(&series, &repo);
    let text = match args.format {
        HistoryFormat::Json => crate::history::json::render(&series),
        HistoryFormat::Markdown => crate::history::markdown::render(&series),
        HistoryFormat::Html => crate::history::html::render(&series),
    };
    crate::output::emit(args.output.as_deref(), |out| out.write_all(text.as_bytes()))?;
    if let Some(path) = &args.output {
        if !crate::output::is_special_file(path) {
            let n = series.points.len();
            eprintln!(
                "cuda-audit: wrote {} ({}, {n} commit{})",
                path.display(),
                args.format.as_str(),
                if n == 1 { "" } else { "s" }
            );
        }
    }
    Ok(ExitStatus::Clean)
}

/// Says on stderr when the history is shorter than asked, and why.
fn warn_about(series: &crate::history::Series, repo: &crate::history::Repo) {
    let found = series.commits_in_window;
    if series.shallow_cut {
        let asked = match series.window {
            crate::history::Window::Commits(n) => format!("{n} were asked for"),
            crate::history::Window::Since(_) => "older ones in the window are missing".into(),
        };
        eprintln!(
            "cuda-audit: warning: this is a shallow clone: its history has {found} commit{} ({asked}); \
             charting those\n  help: fetch the whole history: `git fetch --unshallow` (or `fetch-depth: 0` \
             with actions/checkout)",
            if found == 1 { "" } else { "s" }
        );
    } else if let crate::history::Window::Commits(n) = series.window {
        if found < n {
            eprintln!(
                "cuda-audit: the first-parent history of HEAD has {found} commit{}; charting {}",
                if found == 1 { "" } else { "s" },
                if found == 1 { "it" } else { "them" }
            );
        }
    }
    if series.refused > 0 {
        eprintln!(
            "cuda-audit: warning: {} tree entr{} left out: git would not check out their paths \
             (`..`, `.git`) in {}",
            series.refused,
            if series.refused == 1 { "y" } else { "ies" },
            repo.toplevel.display()
        );
    }
}

/// PATHs (relative to `cwd`) as paths relative to the top level, `/`-separated; empty for the
/// whole repository. A path outside the repository is an error; a path need not exist in the
/// work tree (it may have existed in the past).
fn repo_paths(cwd: &Path, toplevel: &Path, paths: &[PathBuf]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for p in paths {
        let absolute = cwd.join(p);
        let absolute = absolute
            .canonicalize()
            .unwrap_or_else(|_| lexical(&absolute));
        let Ok(rel) = absolute.strip_prefix(toplevel) else {
            return Err(Error::hint(
                format!(
                    "{} is outside the repository at {}",
                    p.display(),
                    toplevel.display()
                ),
                "history charts paths inside the repository it runs in",
            ));
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel.is_empty() {
            // The top level itself: the whole repository.
            return Ok(Vec::new());
        }
        if !out.contains(&rel) {
            out.push(rel);
        }
    }
    Ok(out)
}

/// `path` with `.` and `..` resolved without the file system (for a path that does not exist).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}
