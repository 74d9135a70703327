//! Options → settings. Every setting of a scan is an [`Options`] field, and every field is an
//! `Option`: `None` where a source says nothing. The command line makes one `Options` (a flag not
//! given is `None`, never its default), the configuration file another ([`crate::config`]).
//! [`Options::combine`] merges them once — the command line over the configuration, each over
//! the defaults, so what is said explicitly beats what is not, in both directions
//! (`--max-file-size 2M` over `max-file-size = "1M"`, `--no-hidden` over `hidden = true`) — and
//! [`Options::resolve`] validates the result once into [`Settings`], filling in the defaults.
//!
//! A value that can only be checked then (a glob, a rule id) remembers where it came from
//! ([`Sourced`]): an error about it points at its line in the configuration, or names the flag.

use crate::error::{DataFileError, Error, Result};
use crate::portability::Target;
use crate::rule::RuleFilter;
use crate::rule::{Category, RuleNames, RuleSet};
use crate::scan::Settings;
use crate::score::ScoreWeights;
use crate::walk::WalkOptions;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// `--max-file-size` and `max-file-size` when neither is given: 2 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Every setting of a scan, as one source gives it: `None` is "not said here".
///
/// Which source can say what: both the command line and the configuration `targets` (`-t`),
/// `exclude`, `rules`, `max-file-size`, `cache-max-size`, `hidden` (`--hidden`/`--no-hidden`),
/// `no-ignore` (`--no-ignore`/`--respect-ignore-files`) and `include-vendored`
/// (`--include-vendored`/`--no-include-vendored`); only the configuration `include`, `vendored`,
/// `select`, `ignore` and `require-suppression-reason`; only the command line the rest. The
/// environment ([`crate::config::environment`]) gives `cache-max-size` below both.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Targets to report on (default: all three).
    pub targets: Option<Vec<Target>>,
    /// Only files matching one of these globs are scanned (default: every file).
    pub include: Option<Vec<Sourced<String>>>,
    /// Paths or file names to skip. Adds up: the configuration's and the command line's.
    pub exclude: Option<Vec<Sourced<String>>>,
    /// Further vendored directories, besides the usual names and git submodules.
    pub vendored: Option<Vec<Sourced<String>>>,
    /// Count vendored code with the project's own (default: listed apart).
    pub include_vendored: Option<bool>,
    /// Scan hidden files and directories (default: no).
    pub hidden: Option<bool>,
    /// Do not respect ignore files (default: respect them).
    pub no_ignore: Option<bool>,
    /// Skip files larger than this many bytes (default [`DEFAULT_MAX_FILE_SIZE`]).
    pub max_file_size: Option<u64>,
    /// Directories of user rule files. Adds up: the configuration's, then the command line's.
    pub rules: Option<Vec<PathBuf>>,
    /// Keep only the findings of these rule ids, categories or libraries (default: all).
    pub select: Option<Vec<Sourced<String>>>,
    /// Drop the findings of these rule ids, categories or libraries (default: none).
    pub ignore: Option<Vec<Sourced<String>>>,
    /// Suppressions without a reason do not suppress (default: they do).
    pub require_suppression_reason: Option<bool>,
    /// At most this many findings per file (default
    /// [`crate::scan::DEFAULT_MAX_FINDINGS_PER_FILE`]).
    pub max_findings_per_file: Option<usize>,
    /// Report the raw coupling, as if no existing port existed (default: no).
    pub ignore_existing_ports: Option<bool>,
    /// Threads (default: the available cores).
    pub jobs: Option<usize>,
    /// No prefilter and no result cache (default: both on).
    pub exhaustive: Option<bool>,
    /// No result cache (default: on).
    pub no_cache: Option<bool>,
    /// Where the result cache lives (default: [`crate::cache::Cache::default_dir`]).
    pub cache_dir: Option<PathBuf>,
    /// The cache directory's cap in bytes (default [`crate::cache::dir::DEFAULT_MAX_SIZE`]).
    pub cache_max_size: Option<u64>,
}

/// What [`Options::resolve`] makes: the settings of the scan, without its rules (building them
/// is most of a start-up, and a replayed report does not need them), and where the user's rule
/// files are.
#[derive(Debug)]
pub struct Resolved {
    /// With an empty rule set.
    pub settings: Settings,
    /// The configuration's rule directories, then the command line's.
    pub rule_dirs: Vec<PathBuf>,
}

impl Options {
    /// `self` over `other`: each setting `self` gives, else `other`'s. The lists that add up
    /// (`exclude`, `rules`) are `other`'s followed by `self`'s.
    pub fn combine(self, other: Options) -> Options {
        fn concat<T>(first: Option<Vec<T>>, then: Option<Vec<T>>) -> Option<Vec<T>> {
            match (first, then) {
                (Some(mut a), Some(b)) => {
                    a.extend(b);
                    Some(a)
                }
                (a, b) => a.or(b),
            }
        }
        Options {
            targets: self.targets.or(other.targets),
            include: self.include.or(other.include),
            exclude: concat(other.exclude, self.exclude),
            vendored: self.vendored.or(other.vendored),
            include_vendored: self.include_vendored.or(other.include_vendored),
            hidden: self.hidden.or(other.hidden),
            no_ignore: self.no_ignore.or(other.no_ignore),
            max_file_size: self.max_file_size.or(other.max_file_size),
            rules: concat(other.rules, self.rules),
            select: self.select.or(other.select),
            ignore: self.ignore.or(other.ignore),
            require_suppression_reason: self
                .require_suppression_reason
                .or(other.require_suppression_reason),
            max_findings_per_file: self.max_findings_per_file.or(other.max_findings_per_file),
            ignore_existing_ports: self.ignore_existing_ports.or(other.ignore_existing_ports),
            jobs: self.jobs.or(other.jobs),
            exhaustive: self.exhaustive.or(other.exhaustive),
            no_cache: self.no_cache.or(other.no_cache),
            cache_dir: self.cache_dir.or(other.cache_dir),
            cache_max_size: self.cache_max_size.or(other.cache_max_size),
        }
    }

    /// The settings for scanning `paths` (shown relative to `root`), with the defaults for what
    /// no source gave, and `weights` (the configuration's `[score]` table, a table no flag
    /// sets). Every glob must compile and every `select` and `ignore` entry must name a rule id,
    /// a category or a library; the first that does not is the error.
    pub fn resolve(
        self,
        paths: Vec<PathBuf>,
        root: PathBuf,
        weights: ScoreWeights,
    ) -> Result<Resolved> {
        for glob in [&self.include, &self.exclude, &self.vendored]
            .into_iter()
            .flatten()
            .flatten()
        {
            check_glob(glob)?;
        }
        let rule_dirs = self.rules.unwrap_or_default();
        check_rule_names(
            [&self.select, &self.ignore].into_iter().flatten().flatten(),
            &rule_dirs,
        )?;
        let exhaustive = self.exhaustive.unwrap_or(false);
        // `--exhaustive` is the reference the fast paths are checked against: no cache either.
        let cache = if self.no_cache.unwrap_or(false) || exhaustive {
            None
        } else {
            self.cache_dir
                .or_else(crate::cache::Cache::default_dir)
                .map(|dir| crate::cache::Cache::file_for(&dir, &root, &paths))
        };
        let settings = Settings {
            paths,
            root,
            walk: WalkOptions {
                hidden: self.hidden.unwrap_or(false),
                no_ignore: self.no_ignore.unwrap_or(false),
                excludes: values(self.exclude),
                includes: values(self.include),
                max_file_size: self.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
                threads: self.jobs.unwrap_or(0),
            },
            targets: self.targets.unwrap_or_default(),
            filter: RuleFilter {
                select: values(self.select),
                ignore: values(self.ignore),
            },
            require_suppression_reason: self.require_suppression_reason.unwrap_or(false),
            max_findings_per_file: self
                .max_findings_per_file
                .unwrap_or(crate::scan::DEFAULT_MAX_FINDINGS_PER_FILE),
            weights,
            ignore_existing_ports: self.ignore_existing_ports.unwrap_or(false),
            exhaustive,
            cache,
            cache_max_size: self
                .cache_max_size
                .unwrap_or(crate::cache::dir::DEFAULT_MAX_SIZE),
            vendored: values(self.vendored),
            include_vendored: self.include_vendored.unwrap_or(false),
            rules: Arc::new(RuleSet::default()),
            prefilter_first: false,
        };
        Ok(Resolved {
            settings,
            rule_dirs,
        })
    }
}

/// A pair of flags that turn one setting on and off (`--hidden`, `--no-hidden`; clap's
/// `overrides_with` leaves at most one of them set, the last given) as an option.
pub fn flag_pair(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

fn values(list: Option<Vec<Sourced<String>>>) -> Vec<String> {
    list.into_iter().flatten().map(|s| s.value).collect()
}

fn check_glob(glob: &Sourced<String>) -> Result<()> {
    match globset::Glob::new(&glob.value) {
        Ok(_) => Ok(()),
        Err(e) => Err(glob.error(
            format!("`{}` is not a valid glob: {}", glob.value, e.kind()),
            None,
        )),
    }
}

/// Every entry must be a category, a rule id or a library: a typo would silently select nothing
/// (or ignore nothing). The built-in names are known without building the rules; the user's
/// rules are built only when an entry is not a built-in name.
fn check_rule_names<'a>(
    entries: impl Iterator<Item = &'a Sourced<String>>,
    rule_dirs: &[PathBuf],
) -> Result<()> {
    let entries: Vec<&Sourced<String>> = entries
        .filter(|e| !Category::ALL.iter().any(|c| c.as_str() == e.value))
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    let builtin = RuleNames::builtin();
    let unknown: Vec<&Sourced<String>> = entries
        .into_iter()
        .filter(|e| !builtin.knows(&e.value))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let user_rules;
    let names = if rule_dirs.is_empty() {
        builtin
    } else {
        user_rules = RuleSet::load(rule_dirs)?;
        user_rules.names()
    };
    let Some(entry) = unknown.into_iter().find(|e| !names.knows(&e.value)) else {
        return Ok(());
    };
    let near = crate::error::similar(&entry.value, names.all());
    let help = match near.as_slice() {
        [] => "`cuda-audit rules` lists the rule ids with their categories and libraries".into(),
        [one] => format!("did you mean `{one}`?"),
        many => format!(
            "did you mean one of {}?",
            many.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(entry.error(
        format!(
            "`{}` is not a rule id, a category or a library",
            entry.value
        ),
        Some(help),
    ))
}

/// A configuration file's name and text, kept for errors found after it was read.
pub struct Source {
    name: String,
    text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// The name only: every value from the file holds its source, and its text is no news.
impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Source").field(&self.name).finish()
    }
}

/// Where a value came from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// A command-line flag (`--exclude`).
    Flag(&'static str),
    /// A configuration file: the value's bytes in it.
    Config {
        source: Arc<Source>,
        span: Range<usize>,
    },
}

/// A value and where it came from.
#[derive(Clone, Debug)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn flag(value: T, flag: &'static str) -> Self {
        Sourced {
            value,
            origin: Origin::Flag(flag),
        }
    }

    pub fn config(value: T, source: &Arc<Source>, span: Range<usize>) -> Self {
        Sourced {
            value,
            origin: Origin::Config {
                source: source.clone(),
                span,
            },
        }
    }

    /// An error about this value, `problem` saying what is wrong with it: the configuration's
    /// line, labelled with `problem`, or `problem` after the flag's name.
    pub fn error(&self, problem: String, help: Option<String>) -> Error {
        match &self.origin {
            Origin::Config { source, span } => {
                let e = DataFileError::new(
                    &source.name,
                    &source.text,
                    span.clone(),
                    format!("invalid configuration in {}", source.name),
                    problem,
                );
                match help {
                    Some(help) => e.with_help(help).into(),
                    None => e.into(),
                }
            }
            Origin::Flag(flag) => {
                let message = format!("invalid {flag}: {problem}");
                match help {
                    Some(help) => Error::hint(message, help),
                    None => Error::Usage(message),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_flags() -> Options {
        Options {
            max_file_size: Some(DEFAULT_MAX_FILE_SIZE),
            hidden: Some(false),
            exclude: Some(vec![Sourced::flag("b".into(), "--exclude")]),
            ..Options::default()
        }
    }

    fn from_file() -> Options {
        Options {
            max_file_size: Some(1),
            hidden: Some(true),
            no_ignore: Some(true),
            targets: Some(vec![Target::Tpu]),
            exclude: Some(vec![Sourced::flag("a".into(), "--exclude")]),
            ..Options::default()
        }
    }

    #[test]
    fn what_is_given_wins_in_both_directions() {
        let o = from_flags().combine(from_file());
        // Given on the command line, even as the default value: the command line's.
        assert_eq!(o.max_file_size, Some(DEFAULT_MAX_FILE_SIZE));
        assert_eq!(o.hidden, Some(false));
        // Not given there: the file's.
        assert_eq!(o.no_ignore, Some(true));
        assert_eq!(o.targets, Some(vec![Target::Tpu]));
        // Lists that add up: the file's first.
        let excludes: Vec<_> = o.exclude.unwrap().into_iter().map(|s| s.value).collect();
        assert_eq!(excludes, ["a", "b"]);
        // Neither: the defaults.
        let r = Options::default()
            .combine(Options::default())
            .resolve(vec![".".into()], ".".into(), ScoreWeights::default())
            .unwrap();
        assert_eq!(r.settings.walk.max_file_size, DEFAULT_MAX_FILE_SIZE);
        assert!(!r.settings.walk.hidden && !r.settings.walk.no_ignore);
    }

    #[test]
    fn flag_pairs() {
        assert_eq!(flag_pair(false, false), None);
        assert_eq!(flag_pair(true, false), Some(true));
        assert_eq!(flag_pair(false, true), Some(false));
    }

    #[test]
    fn rule_names_are_checked() {
        let text = "select = [\"kernel\", \"cudnnn\"]\n";
        let source = Arc::new(Source::new("cuda-audit.toml", text));
        let options = Options {
            select: Some(vec![
                Sourced::config("kernel".into(), &source, 10..18),
                Sourced::config("cudnnn".into(), &source, 20..28),
            ]),
            ..Options::default()
        };
        let err = options
            .resolve(vec![".".into()], ".".into(), ScoreWeights::default())
            .unwrap_err();
        let shown = crate::error::render(&err, false);
        assert!(shown.contains("`cudnnn` is not a rule id"), "{shown}");
        assert!(shown.contains("did you mean `cudnn`?"), "{shown}");
        assert!(shown.contains("1 │ select"), "{shown}");
    }

    #[test]
    fn a_bad_glob_from_a_flag_names_the_flag() {
        let options = Options {
            exclude: Some(vec![Sourced::flag("a/[b".into(), "--exclude")]),
            ..Options::default()
        };
        let err = options
            .resolve(vec![".".into()], ".".into(), ScoreWeights::default())
            .unwrap_err();
        let shown = crate::error::render(&err, false);
        assert!(
            shown.starts_with("error: invalid --exclude: `a/[b` is not a valid glob: "),
            "{shown}"
        );
    }
}
