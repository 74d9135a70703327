//! The command line: clap definitions and the glue from arguments to [`Settings`] and back to
//! an exit status. `main.rs` only calls [`run`].

use crate::error::{Error, ExitStatus, Result};
use crate::portability::Target;
use crate::report::{self, Format};
use crate::rule::RuleSet;
use crate::scan::{Settings, audit};
use crate::walk::WalkOptions;
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
A bare `cuda-audit` scans the current directory; `cuda-audit PATH…` scans those paths.\n\
Exit codes: 0 no findings, 1 findings, 2 usage, configuration or I/O error.",
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
    Scan(ScanArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Explain a rule (by id) or a CUDA symbol (by name).
    Explain(ExplainArgs),
}

#[derive(Debug, Args, Default)]
pub struct ScanArgs {
    /// Files or directories to scan [default: .]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Targets to report on, comma-separated [default: rocm,neuron,tpu].
    #[arg(long, short = 't', value_delimiter = ',', value_enum)]
    pub target: Vec<TargetArg>,
    /// Add the rule files (*.toml) under DIR to the built-in rules. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Number of threads [default: available cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Print findings only: no summary in the text report.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Scan hidden files and directories.
    #[arg(long)]
    pub hidden: bool,
    /// Do not respect .gitignore, .ignore and other ignore files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip paths matching GLOB (relative to the scan root, or a file name). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip files larger than SIZE (bytes; K, M and G suffixes allowed).
    #[arg(long, value_name = "SIZE", default_value = "2M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// When to use colour in the text report.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    #[default]
    Text,
    Json,
    Sarif,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
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
pub struct ExplainArgs {
    /// A rule id (`cudart-memory`) or a CUDA symbol (`cudaMallocAsync`).
    pub name: String,
    /// Include the rule files under DIR. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{s}` is not a size (e.g. 2M, 512K, 1048576)"))
}

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Some(Command::Scan(args)) => run_scan(args),
        None => run_scan(cli.scan),
        Some(Command::Rules(args)) => run_rules(args),
        Some(Command::Explain(args)) => run_explain(args),
    }
}

fn run_scan(args: ScanArgs) -> Result<ExitStatus> {
    let rules = Arc::new(RuleSet::load(&args.rules)?);
    let cwd =
        std::env::current_dir().map_err(|e| Error::io("cannot read the current directory", e))?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let root = scan_root(&cwd, &paths);
    let settings = Settings {
        paths,
        root,
        walk: WalkOptions {
            hidden: args.hidden,
            no_ignore: args.no_ignore,
            excludes: args.exclude.clone(),
            max_file_size: args.max_file_size,
            threads: args.jobs.unwrap_or(0),
        },
        targets: args.target.iter().map(|&t| t.into()).collect(),
        rules,
    };
    let audit = audit(&settings)?;
    let format: Format = args.format.into();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let bytes = if format == Format::Text && args.quiet {
        let mut buf = Vec::new();
        let reporter = report::text::TextReporter { color };
        reporter
            .write_findings(&audit, &mut buf)
            .map_err(|e| Error::io("cannot render the report", e))?;
        buf
    } else {
        let mut buf = Vec::new();
        report::reporter(format, color)
            .write(&audit, &mut buf)
            .map_err(|e| Error::io("cannot render the report", e))?;
        buf
    };
    match &args.output {
        Some(path) => write_atomically(path, &bytes)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(&bytes).and_then(|_| stdout.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(Error::io("cannot write to standard output", e));
                }
            }
        }
    }
    Ok(if audit.findings.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
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

/// Writes `bytes` to a temporary file next to `path`, then renames it over `path`, so readers
/// never see a half-written report.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        Error::io(
            format!("cannot create a temporary file in {}", dir.display()),
            e,
        )
    })?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e.error))?;
    Ok(())
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
    let text = crate::report::explain::explain(&rules, &args.name).ok_or_else(|| {
        Error::Usage(format!(
            "`{}` is neither a rule id nor a known CUDA symbol (see `cuda-audit rules`)",
            args.name
        ))
    })?;
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("cannot write to standard output", e))?;
    Ok(ExitStatus::Clean)
}
