//! Project configuration: `cuda-audit.toml`, or `[tool.cuda-audit]` in `pyproject.toml`,
//! discovered from the scan root upwards. Parsed into [`RawConfig`] (serde, unknown keys are
//! errors: a typo must not silently disable a gate), then validated into [`Config`]. Command-line
//! flags override what the file says ([`crate::options`]).

use crate::error::{DataFileError, Error, Result};
pub use crate::gate::FailOn;
use crate::options::{Options, Source, Sourced};
use crate::portability::{Effort, Target};
pub use crate::rule::RuleFilter;
use crate::score::ScoreWeights;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

pub const FILE_NAME: &str = "cuda-audit.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    targets: Option<Vec<Spanned<String>>>,
    include: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    rules: Option<Vec<String>>,
    fail_on: Option<FailOn>,
    fail_on_effort: Option<Effort>,
    baseline: Option<String>,
    require_suppression_reason: Option<bool>,
    max_file_size: Option<Spanned<String>>,
    cache_max_size: Option<Spanned<String>>,
    hidden: Option<bool>,
    no_ignore: Option<bool>,
    score: Option<Spanned<ScoreWeights>>,
    vendored: Option<Vec<Spanned<String>>>,
    include_vendored: Option<bool>,
}

/// The `[tool]` table of a pyproject.toml, for `[tool.cuda-audit]`. Other tools' tables are
/// not our business, so only our own table denies unknown keys.
#[derive(Debug, Deserialize)]
struct Pyproject {
    tool: Option<PyprojectTool>,
}

#[derive(Debug, Deserialize)]
struct PyprojectTool {
    #[serde(rename = "cuda-audit")]
    cuda_audit: Option<RawConfig>,
}

/// A configuration file, read. Relative paths are resolved against its directory.
///
/// What it says about the scan is an [`Options`], combined with the command line's (which wins)
/// and validated with it into the scan's settings ([`crate::options`]); its values keep their
/// place in the file, so that an error found then still points at the line. The gate's keys are
/// read by the gate, where `--fail-on`, `--fail-on-effort` and `--baseline` win over them.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: Option<PathBuf>,
    /// `targets`, `include`, `exclude`, `select`, `ignore`, `rules`, `max-file-size`,
    /// `cache-max-size`, `hidden`, `no-ignore`, `vendored`, `include-vendored`,
    /// `require-suppression-reason`.
    pub options: Options,
    /// Score weights (docs/scoring.md); `None` means the defaults.
    pub score: Option<ScoreWeights>,
    pub fail_on: Option<FailOn>,
    pub fail_on_effort: Option<Effort>,
    pub baseline: Option<PathBuf>,
}

/// Finds the configuration for `start`: the first directory from `start` upwards that holds a
/// `cuda-audit.toml`, or a `pyproject.toml` with a `[tool.cuda-audit]` table.
pub fn discover(start: &Path) -> Result<Config> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let file = d.join(FILE_NAME);
        if file.is_file() {
            return load(&file);
        }
        let pyproject = d.join("pyproject.toml");
        if pyproject.is_file() {
            if let Some(config) = load_pyproject(&pyproject)? {
                return Ok(config);
            }
        }
        dir = d.parent();
    }
    Ok(Config::default())
}

/// Loads a `cuda-audit.toml`.
pub fn load(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    parse(path, &text)
}

/// Parses the text of a `cuda-audit.toml` found at `path` (relative paths in it are resolved
/// against `path`'s directory). Used by [`load`], and by the fuzz targets.
pub fn parse(path: &Path, text: &str) -> Result<Config> {
    let name = path.display().to_string();
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&name, text, &e))?;
    validate(raw, path, &name, text)
}

fn load_pyproject(path: &Path) -> Result<Option<Config>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    parse_pyproject(path, &text)
}

/// The `[tool.cuda-audit]` table of a `pyproject.toml`'s text, if it has one.
pub fn parse_pyproject(path: &Path, text: &str) -> Result<Option<Config>> {
    let name = path.display().to_string();
    match toml::from_str::<Pyproject>(text) {
        Ok(doc) => match doc.tool.and_then(|t| t.cuda_audit) {
            Some(raw) => validate(raw, path, &name, text).map(Some),
            None => Ok(None),
        },
        // A pyproject.toml that does not parse is the Python tooling's problem, unless it has
        // our table: then a typo in it must not go unnoticed.
        Err(e) if text.contains("tool.cuda-audit") => Err(toml_error(&name, text, &e)),
        Err(_) => Ok(None),
    }
}

fn toml_error(name: &str, text: &str, e: &toml::de::Error) -> Error {
    DataFileError::new(
        name,
        text,
        e.span().unwrap_or(0..0),
        format!("invalid configuration in {name}"),
        e.message().trim(),
    )
    .with_help("see README.md, section \"Configuration\", for the keys cuda-audit.toml takes")
    .into()
}

/// Checks what only the file can get wrong (a target's name, a size, the score's scale), pointing
/// at it. Globs (which `--exclude` gives too) and `select`/`ignore` entries (which need the rules)
/// are checked with the command line's options, when the settings are made
/// ([`Options::resolve`]); they keep their place in the file for that.
fn validate(raw: RawConfig, path: &Path, name: &str, text: &str) -> Result<Config> {
    let base = path.parent().unwrap_or(Path::new("."));
    let source = Arc::new(Source::new(name, text));
    let invalid = |span: std::ops::Range<usize>, label: String| -> Error {
        DataFileError::new(
            name,
            text,
            span,
            format!("invalid configuration in {name}"),
            label,
        )
        .into()
    };
    let targets = match raw.targets {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|t| {
                    t.get_ref()
                        .parse::<Target>()
                        .map_err(|msg| invalid(t.span(), msg))
                })
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    let size = |value: Option<Spanned<String>>| match value {
        None => Ok(None),
        Some(s) => parse_size(s.get_ref())
            .map(Some)
            .map_err(|msg| invalid(s.span(), msg)),
    };
    let max_file_size = size(raw.max_file_size)?;
    let cache_max_size = size(raw.cache_max_size)?;
    let score = match raw.score {
        Some(s) if s.get_ref().scale == 0 => {
            return Err(invalid(s.span(), "`scale` must be greater than 0".into()));
        }
        Some(s) => Some(s.into_inner()),
        None => None,
    };
    let sourced = |list: Option<Vec<Spanned<String>>>| {
        list.map(|list| {
            list.into_iter()
                .map(|s| {
                    let span = s.span();
                    Sourced::config(s.into_inner(), &source, span)
                })
                .collect::<Vec<_>>()
        })
    };
    Ok(Config {
        path: Some(path.to_path_buf()),
        options: Options {
            targets,
            include: sourced(raw.include),
            exclude: sourced(raw.exclude),
            vendored: sourced(raw.vendored),
            include_vendored: raw.include_vendored,
            hidden: raw.hidden,
            no_ignore: raw.no_ignore,
            max_file_size,
            cache_max_size,
            rules: raw
                .rules
                .map(|dirs| dirs.iter().map(|d| base.join(d)).collect()),
            select: sourced(raw.select),
            ignore: sourced(raw.ignore),
            require_suppression_reason: raw.require_suppression_reason,
            // Flags only.
            max_findings_per_file: None,
            ignore_existing_ports: None,
            jobs: None,
            exhaustive: None,
            no_cache: None,
            cache_dir: None,
        },
        score,
        fail_on: raw.fail_on,
        fail_on_effort: raw.fail_on_effort,
        baseline: raw.baseline.map(|b| base.join(b)),
    })
}

/// The environment variable for the cache's cap, below `--cache-max-size` and `cache-max-size`.
pub const CACHE_MAX_SIZE_VAR: &str = "CUDA_AUDIT_CACHE_MAX_SIZE";

/// What the environment says about a scan: `$CUDA_AUDIT_CACHE_MAX_SIZE` (an empty value says
/// nothing), combined below the command line and the configuration. A value that is not a size
/// is an error: a typo must not silently leave the cache unbounded or empty.
pub fn environment() -> Result<Options> {
    let cache_max_size = match std::env::var(CACHE_MAX_SIZE_VAR) {
        Ok(v) if !v.trim().is_empty() => Some(parse_size(&v).map_err(|msg| {
            Error::hint(
                format!("invalid {CACHE_MAX_SIZE_VAR}: {msg}"),
                format!("set {CACHE_MAX_SIZE_VAR} to a size such as 512M, or unset it"),
            )
        })?),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(Error::hint(
                format!("invalid {CACHE_MAX_SIZE_VAR}: not UTF-8"),
                format!("set {CACHE_MAX_SIZE_VAR} to a size such as 512M, or unset it"),
            ));
        }
        _ => None,
    };
    Ok(Options {
        cache_max_size,
        ..Options::default()
    })
}

/// A size in bytes, with an optional `K`, `M` or `G` suffix (powers of 1024): `--max-file-size`,
/// `max-file-size`, `--cache-max-size`, `cache-max-size`.
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
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

/// The starter configuration `cuda-audit init` writes.
pub const STARTER: &str = r#"# cuda-audit configuration. Command-line flags override these settings.
# Unknown keys are errors, so a typo cannot silently disable a gate.

# Targets to report on: any of "rocm", "neuron", "tpu".
targets = ["rocm", "neuron", "tpu"]

# Paths to skip, as globs relative to this file's directory (in addition to .gitignore).
exclude = ["build/**"]

# Third-party code is reported apart, as vendored libraries, and not scored: vendor/, third_party/,
# 3rdparty/, extern/, external/ and git submodules are recognised. Name other such directories
# (globs relative to the scan root), or count vendored code with the project's own.
# vendored = ["deps/*"]
# include-vendored = true

# Only report these rule ids, categories or libraries (empty: all), minus the ignored ones.
# select = ["kernel", "inline-ptx", "cudart"]
# ignore = ["nvtx-api"]

# Extra rule directories (TOML files in the format of docs/rules.md).
# rules = ["tools/cuda-audit-rules"]

# When to fail (exit 1): "any" finding, only "new" ones (needs a baseline or --diff-base), or "none".
# fail-on = "new"
# Only fail on findings that need at least this effort ("automatic", "manual", "rewrite") for a target.
# fail-on-effort = "manual"

# The baseline of known findings (`cuda-audit baseline -o .cuda-audit-baseline.json`).
# baseline = ".cuda-audit-baseline.json"

# Make `cuda-audit: ignore[...]` comments without a reason an error.
require-suppression-reason = true

# Files larger than this are skipped (and counted).
# max-file-size = "2M"

# The result cache (outside the tree, shared by every scan) is pruned to this size, least recently
# used first; also --cache-max-size and $CUDA_AUDIT_CACHE_MAX_SIZE.
# cache-max-size = "512M"

# Scan hidden files and directories; do not respect .gitignore and .ignore files. For one run,
# --no-hidden and --respect-ignore-files turn these off again (flags win over this file).
# hidden = false
# no-ignore = false

# Score weights (docs/scoring.md): points per distinct API ("decision") and per call site ("edit").
# [score]
# automatic = { decision = 10, edit = 1 }
# manual = { decision = 50, edit = 10 }
# rewrite = { decision = 250, edit = 50 }
# scale = 10000
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_config_is_valid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, STARTER).unwrap();
        let c = load(&path).unwrap();
        assert_eq!(c.options.targets.unwrap().len(), 3);
        assert_eq!(c.options.require_suppression_reason, Some(true));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "targets = [\"rocm\"]\nfail-onn = \"new\"\n").unwrap();
        let err = format!("{:?}", miette::Report::new(load(&path).unwrap_err()));
        assert!(err.contains("fail-onn"), "{err}");
    }

    #[test]
    fn sizes_take_a_suffix() {
        assert_eq!(parse_size("2M"), Ok(2 << 20));
        assert_eq!(parse_size(" 512k "), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("2MB").is_err());
        assert!(parse_size("99999999999G").is_err());
    }

    #[test]
    fn list_values_keep_their_place_in_the_file() {
        let text = "exclude = [\"build/**\", \"[\"]\n";
        let c = parse(Path::new(FILE_NAME), text).unwrap();
        let bad = &c.options.exclude.unwrap()[1];
        assert_eq!(bad.value, "[");
        match &bad.origin {
            crate::options::Origin::Config { span, .. } => assert_eq!(&text[span.clone()], "\"[\""),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn filters_by_id_category_or_library() {
        use crate::rule::Category;
        let f = RuleFilter {
            select: vec!["kernel".into()],
            ignore: vec!["warp-size".into()],
        };
        assert!(f.allows("kernel-launch", Category::Kernel, "cuda"));
        assert!(!f.allows("warp-size", Category::Kernel, "cuda"));
        assert!(!f.allows("nccl-api", Category::Library, "nccl"));
    }
}
