//! The command line's shape: clap definitions of every command, flag and value.

use crate::config::FailOn;
use crate::portability::{Effort, Target};
use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "cuda-audit",
    version,
    about = "Inventory CUDA coupling and the porting effort to ROCm, Neuron and TPU",
    long_about = "Scans C, C++, CUDA, Python, Cython, Go and Rust sources, build files, dependency manifests and \
container files for CUDA coupling (kernels, intrinsics, inline PTX, runtime and driver API calls, CUDA \
libraries, framework calls, nvcc flags, CUDA packages and images), and says for each target (rocm, \
neuron, tpu) what porting it would take.\n\n\
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
    /// The result cache: where it is and what it holds (`cache info`), or empty it (`cache clean`).
    #[command(long_about = super::cache::LONG_ABOUT)]
    Cache(super::cache::CacheArgs),
    /// Compare two JSON reports: coupling added and removed, and how each target's score moved.
    Compare(crate::compare::CompareArgs),
    /// A porting plan for one target: ordered steps with effort, files, points and replacements.
    #[command(
        long_about = "A porting plan for one target (rocm, neuron or tpu), from a scan of PATH: ordered steps a \
team can staff, each with its effort class, files, finding counts, effort points and replacements.\n\n\
Steps, in order: 1. the build system and dependencies (build files, flags, manifests, container \
images); 2. mechanical renames (effort `automatic`; on ROCm the hipify command and the SARIF fixes); \
3. one step per library a person ports (`manual`), with its replacements, costliest first; 4. the \
rewrites: libraries with no equivalent on the target, then kernels, intrinsics and inline PTX. \
A step's points are the score's (`cuda-audit explain --scoring`): the steps add up to the report's \
effort points for the target. Findings an existing port covers (a HIP shim, a ROCm branch, a \
hipifying build, a device path) are counted apart. The plan ends with what it cannot judge \
(performance, numerical equivalence, files not analysed, dynamic uses, libraries with no known \
replacement).\n\n\
The scan is the same as `cuda-audit scan`'s: configuration, excludes, rules and cache apply.\n\n\
Exit codes: 0 the plan was written; 2 usage, configuration or I/O error."
    )]
    Plan(PlanArgs),
    /// Merge the JSON reports of many repositories into an organisation's inventory.
    #[command(long_about = crate::merge::LONG_ABOUT)]
    Merge(crate::merge::MergeArgs),
    /// Chart the coupling over the branch's history: scores per commit, and where they jumped.
    History(super::HistoryArgs),
}

/// What `cuda-audit plan` takes: what to scan, the one target (the scan's `--target`, made
/// required and single), the format and where to write.
#[derive(Debug, Args)]
#[command(mut_arg("target", |a| a
    .required(true)
    .action(clap::ArgAction::Set)
    .value_delimiter(None)
    .help("The target to plan the port to")))]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: ScanInputs,
    /// Output format [default: markdown].
    #[arg(
        long,
        short = 'f',
        value_enum,
        default_value = "markdown",
        hide_default_value = true
    )]
    pub format: crate::plan::PlanFormat,
    /// Write the plan to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
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
    pub target: Vec<Target>,
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
    /// Prune the result cache to SIZE after the scan, least recently used first (K, M and G
    /// suffixes allowed) [default: the configuration's `cache-max-size`, else
    /// $CUDA_AUDIT_CACHE_MAX_SIZE, else 512M].
    #[arg(long, value_name = "SIZE", value_parser = crate::config::parse_size)]
    pub cache_max_size: Option<u64>,
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
    pub format: Format,
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
    pub fail_on_effort: Option<Effort>,
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
    pub format: Format,
    pub path: PathBuf,
}

pub(super) fn parse_report_spec(s: &str) -> std::result::Result<ReportSpec, String> {
    let names = || {
        Format::value_variants()
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
    let format = Format::from_str(format.trim(), true)
        .map_err(|_| format!("`{format}` is not a format (formats: {})", names()))?;
    if path.is_empty() {
        return Err("the FILE after `=` is empty".into());
    }
    Ok(ReportSpec {
        format,
        path: PathBuf::from(path),
    })
}
