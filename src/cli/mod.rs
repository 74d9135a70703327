//! The command line: clap definitions ([`args`]) and the glue from arguments to settings
//! ([`crate::options`]), a scan ([`scan`]), baselines ([`baseline`]), porting plans ([`plan`]) and
//! the lists and help commands ([`lists`]), back to an exit status. `main.rs` only calls [`run`].

mod args;
mod baseline;
pub mod cache;
mod history;
mod lists;
mod plan;
mod scan;

use crate::baseline::Baseline;
use crate::config::{Config, FailOn};
use crate::error::{Error, ExitStatus, Result};
use crate::gate::Policy;
use crate::options::{Options, Resolved, Sourced, flag_pair};
use crate::portability::Target;
use crate::report::{self, Format};
use crate::rule::RuleSet;
use crate::scan::{Settings, audit};
pub use args::*;
use baseline::{record_baseline, run_baseline};
use history::run_history;
pub use history::{HistoryArgs, HistoryFormat};
use lists::{run_explain, run_rules};
use scan::run_scan;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Some(Command::Scan(args)) => run_scan(args),
        None => run_scan(cli.scan),
        Some(Command::Rules(args)) => run_rules(args),
        Some(Command::Explain(args)) => run_explain(args),
        Some(Command::Baseline(args)) => run_baseline(args),
        Some(Command::Init(args)) => run_init(args),
        Some(Command::Cache(args)) => cache::run(args),
        Some(Command::Compare(args)) => crate::compare::run(args),
        Some(Command::Plan(args)) => plan::run_plan(args),
        Some(Command::Merge(args)) => crate::merge::run(args),
        Some(Command::History(args)) => run_history(args),
    }
}

/// A scan as the command line and the configuration describe it.
struct Prepared {
    settings: Settings,
    config: Config,
    /// Where the user's rule files are (the configuration's, then `--rules`).
    rule_dirs: Vec<PathBuf>,
}

fn prepare(args: &ScanInputs) -> Result<Prepared> {
    let mut prepared = prepare_without_rules(args)?;
    prepared.settings.rules = Arc::new(RuleSet::load(&prepared.rule_dirs)?);
    Ok(prepared)
}

/// [`prepare`] with an empty rule set in the settings: building the rules is most of the start-up,
/// and a replayed report does not need them.
fn prepare_without_rules(args: &ScanInputs) -> Result<Prepared> {
    let cwd =
        std::env::current_dir().map_err(|e| Error::io("cannot read the current directory", e))?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let root = scan_root(&cwd, &paths);
    prepare_in(args, paths, root)
}

/// [`prepare_without_rules`] for `paths` shown relative to `root`, the configuration found from
/// `root` upwards.
fn prepare_in(args: &ScanInputs, paths: Vec<PathBuf>, root: PathBuf) -> Result<Prepared> {
    let config = match (&args.config, args.no_config) {
        (_, true) => Config::default(),
        (Some(file), false) => crate::config::load(file)?,
        (None, false) => crate::config::discover(&root)?,
    };
    let Resolved {
        settings,
        rule_dirs,
    } = args
        .options()
        .combine(config.options.clone())
        .combine(crate::config::environment()?)
        .resolve(paths, root, config.score.unwrap_or_default())?;
    Ok(Prepared {
        settings,
        config,
        rule_dirs,
    })
}

impl ScanInputs {
    /// What the command line says about the scan: `None` for every flag not given (a default is
    /// not a choice, and must not override the configuration).
    fn options(&self) -> Options {
        let given = |list: &[String], flag| {
            (!list.is_empty()).then(|| {
                list.iter()
                    .map(|v| Sourced::flag(v.clone(), flag))
                    .collect()
            })
        };
        let set = |flag: bool| flag.then_some(true);
        Options {
            targets: (!self.target.is_empty()).then(|| self.target.clone()),
            exclude: given(&self.exclude, "--exclude"),
            include_vendored: flag_pair(self.include_vendored, self.no_include_vendored),
            hidden: flag_pair(self.hidden, self.no_hidden),
            no_ignore: flag_pair(self.no_ignore, self.respect_ignore_files),
            max_file_size: self.max_file_size,
            rules: (!self.rules.is_empty()).then(|| self.rules.clone()),
            max_findings_per_file: self.max_findings_per_file,
            ignore_existing_ports: set(self.ignore_existing_ports),
            jobs: self.jobs,
            exhaustive: set(self.exhaustive),
            no_cache: set(self.no_cache),
            cache_dir: self.cache_dir.clone(),
            cache_max_size: self.cache_max_size,
            // Configuration keys only.
            include: None,
            vendored: None,
            select: None,
            ignore: None,
            require_suppression_reason: None,
        }
    }
}

fn run_init(args: InitArgs) -> Result<ExitStatus> {
    if args.path.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} exists; pass --force to overwrite it",
            args.path.display()
        )));
    }
    crate::output::write_atomically(&args.path, crate::config::STARTER.as_bytes())?;
    eprintln!("cuda-audit: wrote {}", args.path.display());
    Ok(ExitStatus::Clean)
}

/// Output paths are relative to the current directory when every scanned path lies inside it
/// (so SARIF URIs are repository-relative when run from the repository root); otherwise to the
/// deepest directory that contains all scanned paths.
fn scan_root(cwd: &Path, paths: &[PathBuf]) -> PathBuf {
    let cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
    let canon: Vec<PathBuf> = paths
        .iter()
        .map(|p| cwd.join(p).canonicalize().unwrap_or_else(|_| cwd.join(p)))
        .collect();
    if canon.iter().all(|p| p.starts_with(&cwd)) {
        return cwd;
    }
    let dirs: Vec<PathBuf> = canon
        .iter()
        .map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                p.parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| p.clone())
            }
        })
        .collect();
    let mut common = dirs[0].clone();
    while !dirs.iter().all(|d| d.starts_with(&common)) {
        if !common.pop() {
            break;
        }
    }
    common
}
