//! The command line: clap definitions and the glue from arguments to [`Settings`] and back to
//! an exit status. `main.rs` only calls [`run`].

use crate::baseline::Baseline;
use crate::config::{Config, FailOn};
use crate::error::{Error, ExitStatus, Result};
use crate::gate::Policy;
use crate::options::{Options, Resolved, Sourced, flag_pair};
use crate::portability::{Effort, Target};
use crate::report::{self, Format};
use crate::rule::RuleSet;
use crate::scan::{Settings, audit};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "cuda-audit",
    version,
    about = "Inventory CUDA coupling and the porting effort to ROCm, Neuron and TPU",
    long_about = "Scans C, C++ and CUDA sources for CUDA kernels, intrinsics, inline PTX, runtime and driver API \
calls, and CUDA libraries, and says for each target (rocm, neuron, tpu) what porting it would take.\n\n\
A bare `cuda-audit` scans the current directory; `cuda-audit PATH…` scans those paths.\n\n\
With --baseline FILE or --diff-base REV the scan is a gate: the report leads with the verdict and lists \
the new findings only; --update-baseline records them.\n\n\
Exit codes: 0 no findings (with a gate: no new finding fails it, or --update-baseline recorded them), \
1 findings (with a gate: new findings fail it), 2 usage, configuration, git or I/O error.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan paths for CUDA coupling (the default command).
    #[command(
        long_about = "Scan paths for CUDA coupling (the default command: `cuda-audit PATH…` is \
    `cuda-audit scan PATH…`).\n\n\
    With --baseline FILE or --diff-base REV the scan is a gate: the report leads with the verdict and \
    lists the new findings only; --update-baseline records them.\n\n\
    Exit codes: 0 no findings (with a gate: no new finding fails it, or --update-baseline recorded \
    them), 1 findings (with a gate: new findings fail it), 2 usage, configuration, git or I/O error."
    )]
    Scan(ScanArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Explain a rule (by id), a CUDA symbol (by name) or a library's rules.
    Explain(ExplainArgs),
    /// Record the findings as a baseline, so a gate fails only on new ones.
    #[command(
        long_about = "Record the findings of a scan as a baseline, so that a gate (`--baseline FILE`) fails only \
    on new ones.\n\n\
    A baseline is rewritten only where this scan looks: entries for files outside the scanned PATHs, for files \
    that exist but were not scanned (excluded, ignored, too large) and, with --diff-base, for files the change \
    does not touch are kept as they are. Every entry dropped is listed on stderr.\n\n\
    Exit codes: 0 the baseline was written, 2 usage, configuration, git or I/O error."
    )]
    Baseline(BaselineArgs),
    /// Write a commented starter cuda-audit.toml.
    Init(InitArgs),
    /// Compare two JSON reports: coupling added and removed, and how each target's score moved.
    Compare(crate::compare::CompareArgs),
}

/// What `cuda-audit baseline` takes: what to scan, where to write, and an optional diff base.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub input: ScanInputs,
    /// The baseline to write [default: the configuration's `baseline`, else
    /// .cuda-audit-baseline.json].
    #[arg(long, short = 'o', visible_alias = "baseline", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Update only the entries of files changed since the merge base of REV and HEAD.
    #[arg(long, value_name = "REV")]
    pub diff_base: Option<String>,
    /// No line on stderr saying what was written.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 written; 2 the file exists (pass --force) or cannot be written."
)]
pub struct InitArgs {
    /// Where to write the configuration.
    #[arg(default_value = "cuda-audit.toml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// What to scan and how: shared by `scan` and `baseline`.
#[derive(Debug, Args, Default)]
pub struct ScanInputs {
    /// Files or directories to scan [default: .]
    pub paths: Vec<PathBuf>,
    /// Targets to report on, comma-separated [default: rocm,neuron,tpu].
    #[arg(long, short = 't', value_delimiter = ',', value_enum)]
    pub target: Vec<TargetArg>,
    /// Add the rule files (*.toml) under DIR to the built-in rules. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Number of threads [default: available cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress line on stderr (it is shown only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Scan hidden files and directories.
    #[arg(long, overrides_with = "no_hidden")]
    pub hidden: bool,
    /// Skip hidden files and directories (the default; overrides `hidden = true` in the
    /// configuration).
    #[arg(long, overrides_with = "hidden")]
    pub no_hidden: bool,
    /// Do not respect .gitignore, .ignore and other ignore files.
    #[arg(long, overrides_with = "respect_ignore_files")]
    pub no_ignore: bool,
    /// Respect .gitignore, .ignore and other ignore files (the default; overrides `no-ignore =
    /// true` in the configuration).
    #[arg(long, overrides_with = "no_ignore")]
    pub respect_ignore_files: bool,
    /// Skip paths matching GLOB (relative to the scan root, or a file name). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip files larger than SIZE (bytes; K, M and G suffixes allowed) [default: 2M].
    #[arg(long, value_name = "SIZE", value_parser = crate::config::parse_size)]
    pub max_file_size: Option<u64>,
    /// Report at most N findings per file; the overflow is counted in the summary [default:
    /// 5000].
    #[arg(long, value_name = "N")]
    pub max_findings_per_file: Option<usize>,
    /// Use this configuration file instead of discovering cuda-audit.toml / pyproject.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    pub no_config: bool,
    /// Report the raw coupling, as if no HIP shim, ROCm branch or device abstraction existed.
    #[arg(long)]
    pub ignore_existing_ports: bool,
    /// Count vendored code (vendor/, third_party/, git submodules, …) with the project's own
    /// findings and scores, instead of listing it apart as vendored libraries.
    #[arg(long, overrides_with = "no_include_vendored")]
    pub include_vendored: bool,
    /// List vendored code apart (the default; overrides `include-vendored = true` in the
    /// configuration).
    #[arg(long, overrides_with = "include_vendored")]
    pub no_include_vendored: bool,
    /// Parse every file: turn off the byte-level prefilter that skips files no rule can match, and
    /// the result cache (the findings are the same; the reference the fast paths are tested
    /// against, and for timing).
    #[arg(long)]
    pub exhaustive: bool,
    /// Analyse every file afresh: neither read nor write the result cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Where the result cache lives (default: $CUDA_AUDIT_CACHE_DIR, else
    /// $XDG_CACHE_HOME/cuda-audit, else ~/.cache/cuda-audit).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: ScanInputs,
    /// Output format.
    #[arg(
        long,
        short = 'f',
        value_enum,
        default_value = "text",
        help_heading = "Report"
    )]
    pub format: FormatArg,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", help_heading = "Report")]
    pub output: Option<PathBuf>,
    /// Findings only (text, concise): no summary; with a gate, the new findings and the verdict.
    #[arg(
        long,
        short = 'q',
        conflicts_with = "statistics",
        help_heading = "Report"
    )]
    pub quiet: bool,
    /// The summary tables only, no findings list (text, json, markdown, html).
    #[arg(long, help_heading = "Report")]
    pub statistics: bool,
    /// When to use colour in the text report.
    #[arg(long, value_enum, default_value = "auto", help_heading = "Report")]
    pub color: ColorChoice,
    /// SARIF: at most N results, and at most 10 MB gzip-compressed (GitHub code scanning's
    /// limits); new findings are kept first, then by effort, level and path; 0 lifts both limits.
    #[arg(long, value_name = "N", default_value_t = crate::report::sarif::DEFAULT_MAX_RESULTS, help_heading = "Report")]
    pub sarif_max_results: usize,
    /// SARIF: the compressed size limit in bytes (GitHub's 10 MB, with a margin). Hidden: for
    /// tests, which cannot afford a 10 MB report.
    #[arg(long, value_name = "BYTES", default_value_t = crate::report::sarif::MAX_GZIP_BYTES, hide = true)]
    pub sarif_max_gzip_bytes: usize,
    /// Also write the report in FORMAT to FILE, atomically, from the same scan; repeatable
    /// (`--report sarif=cuda-audit.sarif --report markdown=summary.md --report json=full.json`).
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report_spec, help_heading = "Report")]
    pub report: Vec<ReportSpec>,
    /// Compare with this baseline: findings are new or known; stale entries are listed.
    #[arg(long, value_name = "FILE", help_heading = "Gate")]
    pub baseline: Option<PathBuf>,
    /// Record this scan in the baseline (--baseline, or the config's), atomically, within what
    /// the scan covers (its paths; with --diff-base, the files the change touches); exits 0.
    #[arg(long, help_heading = "Gate")]
    pub update_baseline: bool,
    /// New findings are those on lines added or changed since the merge base of REV and HEAD.
    #[arg(long, value_name = "REV", help_heading = "Gate")]
    pub diff_base: Option<String>,
    /// With a gate, also list the known findings (text, concise, github), not only the new ones.
    #[arg(long, help_heading = "Gate")]
    pub show_known: bool,
    /// When to exit 1 [default: new with --baseline or --diff-base, else any].
    #[arg(long, value_enum, help_heading = "Gate")]
    pub fail_on: Option<FailOn>,
    /// Only fail on findings that need at least this effort for one of the selected targets.
    #[arg(long, value_enum, value_name = "EFFORT", help_heading = "Gate")]
    pub fail_on_effort: Option<EffortArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EffortArg {
    None,
    Automatic,
    Manual,
    Rewrite,
}

impl From<EffortArg> for Effort {
    fn from(e: EffortArg) -> Effort {
        match e {
            EffortArg::None => Effort::None,
            EffortArg::Automatic => Effort::Automatic,
            EffortArg::Manual => Effort::Manual,
            EffortArg::Rewrite => Effort::Rewrite,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    #[default]
    Text,
    Json,
    Sarif,
    /// GitHub Actions workflow annotations (`::warning file=…`).
    Github,
    /// A compact summary for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// One self-contained HTML page with charts (write it with -o report.html).
    Html,
    /// One line per finding: `path:line:col: rule symbol [rocm:effort neuron:effort tpu:effort]`.
    Concise,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
            FormatArg::Concise => Format::Concise,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    Rocm,
    Neuron,
    Tpu,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Target {
        match t {
            TargetArg::Rocm => Target::Rocm,
            TargetArg::Neuron => Target::Neuron,
            TargetArg::Tpu => Target::Tpu,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 listed; 2 a rule file (--rules) cannot be read or is malformed."
)]
pub struct RulesArgs {
    /// Output format (text or json).
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: ListFormat,
    /// Include the rule files under DIR. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cuda-audit explain cudart-memory-management   a rule
  cuda-audit explain cudart-memory              the rule whose id starts so (several: a list)
  cuda-audit explain cudaMallocAsync            a CUDA name: its library, rule and porting effort
  cuda-audit explain cudnn                      a library: its rules and the names it knows

Exit codes: 0 explained; 2 an unknown name (the closest known names are suggested), or a rule \
file (--rules) cannot be read or is malformed.")]
pub struct ExplainArgs {
    /// A rule id (`cudart-memory-management`) or the start of one, a CUDA symbol
    /// (`cudaMallocAsync`), or a library (`cudnn`).
    #[arg(required_unless_present = "scoring")]
    pub name: Option<String>,
    /// Explain the portability score: the model and its weights (docs/scoring.md).
    #[arg(long, conflicts_with = "name")]
    pub scoring: bool,
    /// Include the rule files under DIR. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

/// One `--report FORMAT=FILE`.
#[derive(Clone, Debug)]
pub struct ReportSpec {
    pub format: FormatArg,
    pub path: PathBuf,
}

fn parse_report_spec(s: &str) -> std::result::Result<ReportSpec, String> {
    let names = || {
        FormatArg::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((format, path)) = s.split_once('=') else {
        return Err(format!(
            "expected FORMAT=FILE, e.g. sarif=cuda-audit.sarif (formats: {})",
            names()
        ));
    };
    let format = FormatArg::from_str(format.trim(), true)
        .map_err(|_| format!("`{format}` is not a format (formats: {})", names()))?;
    if path.is_empty() {
        return Err("the FILE after `=` is empty".into());
    }
    Ok(ReportSpec {
        format,
        path: PathBuf::from(path),
    })
}

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Some(Command::Scan(args)) => run_scan(args),
        None => run_scan(cli.scan),
        Some(Command::Rules(args)) => run_rules(args),
        Some(Command::Explain(args)) => run_explain(args),
        Some(Command::Baseline(args)) => run_baseline(args),
        Some(Command::Init(args)) => run_init(args),
        Some(Command::Compare(args)) => crate::compare::run(args),
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
    let config = match (&args.config, args.no_config) {
        (_, true) => Config::default(),
        (Some(file), false) => crate::config::load(file)?,
        (None, false) => crate::config::discover(&root)?,
    };
    let Resolved {
        settings,
        rule_dirs,
    } = args.options().combine(config.options.clone()).resolve(
        paths,
        root,
        config.score.unwrap_or_default(),
    )?;
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
            targets: (!self.target.is_empty())
                .then(|| self.target.iter().map(|&t| t.into()).collect()),
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
            // Configuration keys only.
            include: None,
            vendored: None,
            select: None,
            ignore: None,
            require_suppression_reason: None,
        }
    }
}

fn run_scan(args: ScanArgs) -> Result<ExitStatus> {
    crate::timings::init();
    let Prepared {
        mut settings,
        config,
        rule_dirs,
    } = prepare_without_rules(&args.input)?;
    let format: Format = args.format.into();
    if args.statistics && !format.has_summary() {
        return Err(Error::Usage(format!(
            "--statistics needs a format with a summary (text, json, markdown, html), not `{}`",
            format.as_str()
        )));
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let baseline_path = args.baseline.clone().or_else(|| config.baseline.clone());
    if args.update_baseline && baseline_path.is_none() {
        return Err(Error::Usage(
            "--update-baseline needs --baseline FILE (or `baseline` in the configuration)".into(),
        ));
    }
    // The gate's inputs are read before the scan: a wrong revision or a damaged baseline should
    // not cost a whole scan to find out.
    let changes = args
        .diff_base
        .as_deref()
        .map(|rev| crate::diff::changed_lines(&settings.root, rev))
        .transpose()?;
    let old_baseline = match &baseline_path {
        Some(p) if args.update_baseline && !p.exists() => None,
        Some(p) => Some(Baseline::load(p)?),
        None => None,
    };
    let progress = crate::progress::Progress::start(crate::progress::wanted(
        args.quiet || args.input.no_progress,
    ));

    // Which project, commit and date the reports describe: part of what a replayed report must
    // match, since a new commit (or a new day, without git) changes the report's heading.
    let provenance = crate::provenance::Provenance::of(&settings.root);

    // The last report, replayed when the files, the rules, the tool and the options are those
    // it was made from (crate::cache::memo). A baseline or a git revision is outside the tree.
    let memo = settings
        .cache
        .as_deref()
        .filter(|_| {
            baseline_path.is_none()
                && args.diff_base.is_none()
                && !args.update_baseline
                && args.report.is_empty()
        })
        .map(crate::cache::memo::ReportMemo::beside);
    // Read once: for the rules' identity, and for the rules if the report is not replayed.
    let user_rules = crate::rule::load::read_user_sources(&rule_dirs)?;
    let mut digest = None;
    if let Some(memo) = &memo {
        let identity = crate::rule::rules_identity(&user_rules);
        let mut extra = crate::cache::context(&identity);
        extra.extend_from_slice(
            format!("{args:?}\n{config:?}\ncolor: {color}\n{provenance:?}").as_bytes(),
        );
        let tree =
            crate::scan::tree_digest(&settings.root, &settings.paths, &settings.walk, &extra)?;
        crate::timings::phase("tree digest");
        if let Some(mut replay) = memo.find(&tree.digest) {
            progress.finish();
            crate::output::emit(args.output.as_deref(), |out| replay.copy_to(out))?;
            confirm_written(&args, args.output.as_deref(), format, None);
            crate::timings::phase("report replayed");
            return Ok(if replay.exit == 0 {
                ExitStatus::Clean
            } else {
                ExitStatus::Findings
            });
        }
        digest = Some(tree);
    }
    settings.rules = Arc::new(RuleSet::with_user_sources(user_rules)?);
    crate::timings::phase("rules");
    let analysed = crate::scan::analyse_tree(&settings)?;
    let mut audit = analysed.finish();
    audit.provenance = Some(provenance);
    progress.phase("writing the report");

    let gated = baseline_path.is_some() || changes.is_some();
    let policy = Policy {
        fail_on: args.fail_on.or(config.fail_on).unwrap_or(if gated {
            FailOn::New
        } else {
            FailOn::Any
        }),
        min_effort: args
            .fail_on_effort
            .map(Effort::from)
            .or(config.fail_on_effort),
        targets: audit.targets.clone(),
    };
    if gated {
        let inputs = crate::gate::Inputs {
            baseline: baseline_path
                .as_ref()
                .map(|p| (p.display().to_string(), old_baseline.as_ref())),
            changes: changes.as_ref(),
            diff_rev: args.diff_base.clone(),
        };
        let scanned = std::mem::take(&mut audit.scanned_paths);
        let scope =
            crate::gate::Scope::new(&settings.root, &settings.paths, &scanned, changes.as_ref());
        let comparison = crate::gate::compare(&mut audit.findings, &inputs, &scope);
        let update = match (&baseline_path, args.update_baseline) {
            (Some(path), true) => Some(record_baseline(
                path,
                old_baseline.as_ref(),
                &audit.findings,
                &scope,
                false,
            )?),
            _ => None,
        };
        audit.gate = Some(crate::gate::report(
            &audit.findings,
            &audit.weights,
            &inputs,
            comparison,
            &policy,
            update,
        ));
    }
    let exit = crate::gate::exit_status(&audit.findings, audit.gate.as_ref(), &policy);
    let mut recorder = memo
        .zip(digest.as_ref())
        .and_then(|(m, tree)| m.record(tree.digest, exit as u8));
    progress.finish();
    let options = report::Options {
        color,
        quiet: args.quiet,
        show_known: args.show_known,
        statistics: args.statistics,
        sarif_max_results: args.sarif_max_results,
        sarif_max_gzip_bytes: args.sarif_max_gzip_bytes,
    };
    let reporter = report::reporter(format, &options);
    // Streamed to its destination: a report of a large tree can be hundreds of megabytes.
    crate::output::emit(args.output.as_deref(), |out| {
        // Reporters write many small pieces: buffered before the copy to the memo is taken.
        let tee = crate::cache::memo::Tee {
            out,
            recorder: recorder.as_mut(),
        };
        let out = &mut std::io::BufWriter::with_capacity(1 << 16, tee);
        reporter.write(&audit, out)?;
        out.flush()
    })?;
    confirm_written(&args, args.output.as_deref(), format, Some(&audit));
    if let Some(notice) = reporter.notice() {
        eprintln!("cuda-audit: {notice}");
    }
    // `--report FORMAT=FILE`: more reports of the same scan (and the same gate).
    let file_options = report::Options {
        color: false,
        ..options
    };
    for spec in &args.report {
        let format: Format = spec.format.into();
        let reporter = report::reporter(format, &file_options);
        crate::output::write_atomically_with(&spec.path, |out| reporter.write(&audit, out))?;
        confirm_written(&args, Some(&spec.path), format, Some(&audit));
        if let Some(notice) = reporter.notice() {
            eprintln!("cuda-audit: {}: {notice}", spec.path.display());
        }
    }
    if let (Some(recorder), Some(tree)) = (recorder, digest) {
        // Stored only if the scan read the files the digest describes (none changed in
        // between); like the result cache, a memo that cannot be stored costs only time.
        if audit.files_read == tree.files_read {
            if let Err(e) = recorder.finish() {
                eprintln!("cuda-audit: warning: cannot write the report memo: {e}");
            }
        }
    }
    crate::timings::phase("report");
    // The process ends here: freeing hundreds of thousands of findings and the rule index one by
    // one would only delay the exit.
    std::mem::forget(audit);
    std::mem::forget(settings);
    Ok(exit)
}

/// One line on stderr when `-o` wrote a report, so a user sees where it went.
fn confirm_written(
    args: &ScanArgs,
    path: Option<&Path>,
    format: Format,
    audit: Option<&crate::audit::Audit>,
) {
    let Some(path) = path else { return };
    if args.quiet || is_special_file(path) {
        return;
    }
    let what = match audit {
        Some(a) => {
            let n = a.findings.len();
            format!(", {n} finding{}", if n == 1 { "" } else { "s" })
        }
        None => ", replayed: nothing changed since the last scan".to_string(),
    };
    eprintln!(
        "cuda-audit: wrote {} ({}{what})",
        path.display(),
        format.as_str()
    );
}

fn is_special_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// Writes the updated baseline and says on stderr what changed: an entry is never dropped
/// silently, and entries the scan did not cover are kept.
fn record_baseline(
    path: &Path,
    old: Option<&Baseline>,
    findings: &[crate::finding::Finding],
    scope: &crate::gate::Scope,
    quiet: bool,
) -> Result<crate::gate::BaselineUpdate> {
    let (baseline, update) =
        crate::gate::updated_baseline(old, findings, scope, &path.display().to_string());
    crate::output::write_atomically(path, &baseline.to_bytes())?;
    if !quiet {
        eprintln!(
            "cuda-audit: wrote {} ({} entries: {} added, {} dropped, {} kept outside this scan)",
            path.display(),
            update.entries,
            update.added,
            update.dropped.len(),
            update.kept_outside
        );
    }
    for e in &update.dropped {
        eprintln!(
            "  dropped: {} {} `{}` ({}): no longer found",
            e.path, e.rule, e.symbol, e.fingerprint
        );
    }
    Ok(update)
}

fn run_baseline(args: BaselineArgs) -> Result<ExitStatus> {
    let Prepared {
        settings, config, ..
    } = prepare(&args.input)?;
    let path = args
        .output
        .clone()
        .or(config.baseline.clone())
        .unwrap_or_else(|| PathBuf::from(".cuda-audit-baseline.json"));
    let changes = args
        .diff_base
        .as_deref()
        .map(|rev| crate::diff::changed_lines(&settings.root, rev))
        .transpose()?;
    // An existing baseline that cannot be read stops the run: rewriting it from a partial scan
    // would lose what it records.
    let old = if path.exists() {
        Some(Baseline::load(&path)?)
    } else {
        None
    };
    let mut audit = audit(&settings)?;
    let scanned = std::mem::take(&mut audit.scanned_paths);
    let scope =
        crate::gate::Scope::new(&settings.root, &settings.paths, &scanned, changes.as_ref());
    record_baseline(&path, old.as_ref(), &audit.findings, &scope, args.quiet)?;
    Ok(ExitStatus::Clean)
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

fn run_rules(args: RulesArgs) -> Result<ExitStatus> {
    let rules = RuleSet::load(&args.rules)?;
    let mut out = Vec::new();
    match args.format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .rules()
                .iter()
                .map(crate::report::json::rule_value)
                .collect();
            serde_json::to_writer_pretty(&mut out, &list).expect("in-memory write");
            out.push(b'\n');
        }
        ListFormat::Text => {
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in rules.rules() {
                let efforts: Vec<String> = Target::ALL
                    .iter()
                    .map(|&t| format!("{t}:{}", r.portability.get(t).effort))
                    .collect();
                writeln!(
                    out,
                    "{:<width$}  {:<16} {:<12} {}  [{}]",
                    r.id,
                    r.category.as_str(),
                    r.library,
                    r.title,
                    efforts.join(" ")
                )
                .expect("in-memory write");
            }
            writeln!(
                out,
                "{} rules, {} symbols",
                rules.rules().len(),
                rules.symbols().len()
            )
            .expect("in-memory write");
        }
    }
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| Error::io("cannot write to standard output", e))?;
    Ok(ExitStatus::Clean)
}

fn run_explain(args: ExplainArgs) -> Result<ExitStatus> {
    let rules = RuleSet::load(&args.rules)?;
    let name = args.name.as_deref().unwrap_or_default();
    let text = if args.scoring {
        Some(crate::report::explain::scoring(&Default::default()))
    } else {
        crate::report::explain::explain(&rules, name)
    };
    let Some(text) = text else {
        let near = crate::report::explain::suggestions(&rules, name);
        let help = match near.as_slice() {
            [] => "`cuda-audit rules` lists the rules and their libraries".to_string(),
            [one] => format!("did you mean `{one}`?"),
            many => format!(
                "did you mean one of {}?",
                many.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(Error::hint(
            format!("`{name}` is not a rule id, a CUDA name or a library cuda-audit knows"),
            help,
        ));
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("cannot write to standard output", e))?;
    Ok(ExitStatus::Clean)
}
