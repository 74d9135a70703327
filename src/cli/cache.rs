//! `cuda-audit cache info` and `cuda-audit cache clean`: the result cache directory as a user
//! sees it (its contents, cap and pruning are [`crate::cache::dir`]'s).

use super::ListFormat;
use crate::cache::{Cache, dir};
use crate::config::Config;
use crate::error::{Error, ExitStatus, Result};
use crate::options::Options;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::SystemTime;

/// `cuda-audit cache --help`'s description (given on the command's variant, whose doc comment
/// would otherwise win).
pub const LONG_ABOUT: &str = "The result cache: per scanned root, what each file's analysis \
yielded and the last report, kept outside the scanned tree so that a re-scan parses only what \
changed. It is pruned after every scan to its cap (--cache-max-size, `cache-max-size` in the \
configuration, $CUDA_AUDIT_CACHE_MAX_SIZE; default 512M), least recently used first.";

/// What `cuda-audit cache` takes.
#[derive(Debug, Args)]
#[command(after_help = "Exit codes: 0 done; 2 usage, configuration or I/O error.")]
pub struct CacheArgs {
    #[command(subcommand)]
    pub action: CacheAction,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Where the result cache is, its size and cap, its entries and files, their oldest and
    /// newest use.
    #[command(after_help = "Exit codes: 0 shown; 2 usage, configuration or I/O error.")]
    Info(InfoArgs),
    /// Empty the result cache: remove every file cuda-audit keeps there (nothing else), and say
    /// what was removed.
    #[command(after_help = "Exit codes: 0 emptied (or already empty); 2 usage or I/O error.")]
    Clean(CleanArgs),
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    #[command(flatten)]
    location: Location,
    /// The cap to show [default: the configuration's `cache-max-size`, else
    /// $CUDA_AUDIT_CACHE_MAX_SIZE, else 512M].
    #[arg(long, value_name = "SIZE", value_parser = crate::config::parse_size)]
    cache_max_size: Option<u64>,
    /// Use this configuration file instead of discovering cuda-audit.toml / pyproject.toml from
    /// the current directory.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    no_config: bool,
    /// Output format (text or json).
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: ListFormat,
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    #[command(flatten)]
    location: Location,
}

#[derive(Debug, Args)]
struct Location {
    /// Where the result cache lives (default: $CUDA_AUDIT_CACHE_DIR, else
    /// $XDG_CACHE_HOME/cuda-audit, else ~/.cache/cuda-audit).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

impl Location {
    fn dir(&self) -> Result<PathBuf> {
        self.cache_dir
            .clone()
            .or_else(Cache::default_dir)
            .ok_or_else(|| {
                Error::hint(
                    "no cache directory: none of $CUDA_AUDIT_CACHE_DIR, $XDG_CACHE_HOME and $HOME is set",
                    "name one with --cache-dir DIR",
                )
            })
    }
}

pub(super) fn run(args: CacheArgs) -> Result<ExitStatus> {
    match args.action {
        CacheAction::Info(args) => info(args),
        CacheAction::Clean(args) => clean(args),
    }
}

fn info(args: InfoArgs) -> Result<ExitStatus> {
    let dir = args.location.dir()?;
    let config = match (&args.config, args.no_config) {
        (_, true) => Config::default(),
        (Some(file), false) => crate::config::load(file)?,
        (None, false) => {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::io("cannot read the current directory", e))?;
            crate::config::discover(&cwd)?
        }
    };
    // Combined as for a scan: the flag over the configuration over the environment.
    let cap = Options {
        cache_max_size: args.cache_max_size,
        ..Options::default()
    }
    .combine(config.options)
    .combine(crate::config::environment()?)
    .cache_max_size
    .unwrap_or(dir::DEFAULT_MAX_SIZE);
    let usage = dir::usage(&dir)
        .map_err(|e| Error::io(format!("cannot read the cache in {}", dir.display()), e))?;
    let text = match args.format {
        ListFormat::Text => info_text(&dir, cap, &usage),
        ListFormat::Json => info_json(&dir, cap, &usage),
    };
    crate::output::emit(None, |out| out.write_all(text.as_bytes()))?;
    Ok(ExitStatus::Clean)
}

fn info_text(dir: &std::path::Path, cap: u64, usage: &dir::Usage) -> String {
    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let mut text = format!(
        "cache directory: {}\nsize:            {} ({} bytes)\ncap:             {} (reports over {} are not memoised)\nentries:         {} ({})\n",
        dir.display(),
        human(usage.bytes),
        usage.bytes,
        human(cap),
        human(dir::memo_limit(cap)),
        plural(usage.entries, "scanned root"),
        plural(usage.files, "file"),
    );
    if let (Some(oldest), Some(newest)) = (usage.oldest_use, usage.newest_use) {
        text.push_str(&format!(
            "oldest use:      {}\nnewest use:      {}\n",
            timestamp(oldest, " ", " UTC"),
            timestamp(newest, " ", " UTC")
        ));
    }
    text
}

fn info_json(dir: &std::path::Path, cap: u64, usage: &dir::Usage) -> String {
    let time = |t: Option<SystemTime>| t.map(|t| timestamp(t, "T", "Z"));
    let value = serde_json::json!({
        "directory": dir.display().to_string(),
        "bytes": usage.bytes,
        "files": usage.files,
        "entries": usage.entries,
        "max_bytes": cap,
        "memo_max_bytes": dir::memo_limit(cap),
        "oldest_use": time(usage.oldest_use),
        "newest_use": time(usage.newest_use),
    });
    let mut text = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
    text.push('\n');
    text
}

fn clean(args: CleanArgs) -> Result<ExitStatus> {
    let dir = args.location.dir()?;
    let removed = dir::clean(&dir)
        .map_err(|e| Error::io(format!("cannot empty the cache in {}", dir.display()), e))?;
    if removed.files == 0 {
        eprintln!("cuda-audit: the cache in {} is empty", dir.display());
    } else {
        let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
        eprintln!(
            "cuda-audit: removed {} ({}, {} bytes; {}) from {}",
            plural(removed.files, "file"),
            human(removed.bytes),
            removed.bytes,
            plural(removed.entries, "scanned root"),
            dir.display()
        );
    }
    Ok(ExitStatus::Clean)
}

/// `1536` → `1.5 KiB`: powers of 1024, one decimal unless it is `.0`.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let shown = format!("{value:.1}");
    let shown = shown.strip_suffix(".0").unwrap_or(&shown);
    format!("{shown} {}", UNITS[unit])
}

/// A time in UTC: the date, `sep`, `HH:MM:SS`, `zone`.
fn timestamp(t: SystemTime, sep: &str, zone: &str) -> String {
    let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let day = secs.rem_euclid(86_400);
    format!(
        "{}{sep}{:02}:{:02}:{:02}{zone}",
        crate::provenance::utc_date(secs),
        day / 3600,
        day / 60 % 60,
        day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times_read_well() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(512 << 20), "512 MiB");
        assert_eq!(human(734_003_200), "700 MiB");
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_709_251_199);
        assert_eq!(timestamp(t, "T", "Z"), "2024-02-29T23:59:59Z");
    }
}
