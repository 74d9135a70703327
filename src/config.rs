//! Project configuration: `cuda-audit.toml`, or `[tool.cuda-audit]` in `pyproject.toml`,
//! discovered from the scan root upwards. Parsed into [`RawConfig`] (serde, unknown keys are
//! errors: a typo must not silently disable a gate), then validated into [`Config`]. Command-line
//! flags override what the file says.

use crate::error::{DataFileError, Error, Result};
use crate::portability::{Effort, Target};
use crate::rule::Category;
use crate::score::ScoreWeights;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const FILE_NAME: &str = "cuda-audit.toml";

/// When a scan fails the run (exit 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Never: always exit 0 unless there is an error.
    None,
    /// Any finding.
    Any,
    /// Findings not in the baseline, or on lines changed since the diff base.
    New,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    targets: Option<Vec<Spanned<String>>>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    rules: Option<Vec<String>>,
    fail_on: Option<FailOn>,
    fail_on_effort: Option<Effort>,
    baseline: Option<String>,
    require_suppression_reason: Option<bool>,
    max_file_size: Option<Spanned<String>>,
    hidden: Option<bool>,
    no_ignore: Option<bool>,
    score: Option<Spanned<ScoreWeights>>,
    vendored: Option<Vec<String>>,
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

/// A validated configuration. Relative paths are resolved against the config file's directory.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: Option<PathBuf>,
    pub targets: Option<Vec<Target>>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub rule_dirs: Vec<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub fail_on_effort: Option<Effort>,
    pub baseline: Option<PathBuf>,
    pub require_suppression_reason: bool,
    pub max_file_size: Option<u64>,
    pub hidden: Option<bool>,
    pub no_ignore: Option<bool>,
    /// Score weights (docs/scoring.md); `None` means the defaults.
    pub score: Option<ScoreWeights>,
    /// Globs (relative to the scan root) of further vendored directories.
    pub vendored: Vec<String>,
    /// Count vendored code with the project's own.
    pub include_vendored: Option<bool>,
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

fn validate(raw: RawConfig, path: &Path, name: &str, text: &str) -> Result<Config> {
    let base = path.parent().unwrap_or(Path::new("."));
    let targets = match raw.targets {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|t| {
                    t.get_ref().parse::<Target>().map_err(|msg| {
                        Error::from(DataFileError::new(
                            name,
                            text,
                            t.span(),
                            format!("invalid configuration in {name}"),
                            msg,
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    let max_file_size = match raw.max_file_size {
        None => None,
        Some(s) => Some(crate::cli::parse_size(s.get_ref()).map_err(|msg| {
            Error::from(DataFileError::new(
                name,
                text,
                s.span(),
                format!("invalid configuration in {name}"),
                msg,
            ))
        })?),
    };
    let score = match raw.score {
        Some(s) if s.get_ref().scale == 0 => {
            return Err(DataFileError::new(
                name,
                text,
                s.span(),
                format!("invalid configuration in {name}"),
                "`scale` must be greater than 0",
            )
            .into());
        }
        Some(s) => Some(s.into_inner()),
        None => None,
    };
    Ok(Config {
        path: Some(path.to_path_buf()),
        targets,
        include: raw.include.unwrap_or_default(),
        exclude: raw.exclude.unwrap_or_default(),
        select: raw.select.unwrap_or_default(),
        ignore: raw.ignore.unwrap_or_default(),
        rule_dirs: raw
            .rules
            .unwrap_or_default()
            .iter()
            .map(|d| base.join(d))
            .collect(),
        fail_on: raw.fail_on,
        fail_on_effort: raw.fail_on_effort,
        baseline: raw.baseline.map(|b| base.join(b)),
        require_suppression_reason: raw.require_suppression_reason.unwrap_or(false),
        max_file_size,
        hidden: raw.hidden,
        no_ignore: raw.no_ignore,
        score,
        vendored: raw.vendored.unwrap_or_default(),
        include_vendored: raw.include_vendored,
    })
}

/// Rule selection by id, category or library: `select` (empty = everything) minus `ignore`.
#[derive(Clone, Debug, Default)]
pub struct RuleFilter {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl RuleFilter {
    pub fn allows(&self, rule_id: &str, category: Category, library: &str) -> bool {
        let hit = |list: &[String]| {
            list.iter()
                .any(|s| s == rule_id || s == category.as_str() || s == library)
        };
        (self.select.is_empty() || hit(&self.select)) && !hit(&self.ignore)
    }
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
        assert_eq!(c.targets.unwrap().len(), 3);
        assert!(c.require_suppression_reason);
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
    fn filters_by_id_category_or_library() {
        let f = RuleFilter {
            select: vec!["kernel".into()],
            ignore: vec!["warp-size".into()],
        };
        assert!(f.allows("kernel-launch", Category::Kernel, "cuda"));
        assert!(!f.allows("warp-size", Category::Kernel, "cuda"));
        assert!(!f.allows("nccl-api", Category::Library, "nccl"));
    }
}
