//! Walking the scan paths: `ignore`'s parallel walker (respecting .gitignore/.ignore, skipping
//! hidden files unless asked), classifying every entry into a file to scan or a counted skip.
//! Symlinks are never followed; each one met is reported with why it was not scanned.

use crate::lang::Lang;
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{DirEntry, WalkBuilder, WalkState};
use std::path::{Path, PathBuf};

/// Options for the walk.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    pub hidden: bool,
    pub no_ignore: bool,
    pub excludes: Vec<String>,
    /// When not empty, only files matching one of these globs (relative to the root) are scanned.
    pub includes: Vec<String>,
    pub max_file_size: u64,
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            hidden: false,
            no_ignore: false,
            excludes: Vec::new(),
            includes: Vec::new(),
            max_file_size: 2 * 1024 * 1024,
            threads: 0,
        }
    }
}

use crate::note::NoteReason;

/// What the walker found at one path.
pub enum Entry {
    /// A regular file in a language cuda-audit scans.
    File {
        path: PathBuf,
        lang: Lang,
        size: u64,
    },
    /// A source file in a language cuda-audit does not analyse (counted by language, so that
    /// a report says what it did not read), or HIP source (counted as an existing ROCm port).
    Other {
        path: PathBuf,
        language: &'static str,
    },
    /// Something that was not scanned, with the reason.
    Skip {
        path: PathBuf,
        reason: NoteReason,
        message: String,
    },
}

/// Walks `paths` in parallel, calling `visit` from worker threads. `make_visitor` runs once per
/// thread so each thread can keep its own parsers.
pub fn walk<F, V>(
    paths: &[PathBuf],
    root: &Path,
    options: &WalkOptions,
    make_visitor: F,
) -> Result<(), String>
where
    F: Fn() -> V + Sync,
    V: FnMut(Entry) + Send,
{
    let Some((first, rest)) = paths.split_first() else {
        return Ok(());
    };
    let excludes = build_excludes(&options.excludes)?;
    let includes = build_excludes(&options.includes)?;
    let mut builder = WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    // Hidden entries are filtered below instead of by `ignore`, so `.github/` (workflows are
    // CUDA-relevant: GPU runner labels) is walked even when other hidden files are not.
    builder
        .hidden(false)
        .ignore(!options.no_ignore)
        .git_ignore(!options.no_ignore)
        .git_global(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .parents(!options.no_ignore)
        .require_git(false)
        .follow_links(false)
        .threads(options.threads);
    let excludes_root = root.to_path_buf();
    let skip_hidden = !options.hidden;
    builder.filter_entry(move |entry| {
        if skip_hidden
            && entry.depth() > 0
            && is_hidden(entry.file_name())
            && entry.file_name() != ".github"
        {
            return false;
        }
        let rel = entry
            .path()
            .strip_prefix(&excludes_root)
            .unwrap_or(entry.path());
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        if !includes.is_empty() && !is_dir && entry.depth() > 0 && !includes.is_match(rel) {
            return false;
        }
        !excludes.is_match(rel)
            && !entry
                .file_name()
                .to_str()
                .is_some_and(|n| excludes.is_match(n))
    });
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    builder.build_parallel().run(|| {
        let mut visit = make_visitor();
        let canonical_root = canonical_root.clone();
        let max = options.max_file_size;
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    if let Some(e) = classify(&entry, &canonical_root, max) {
                        visit(e);
                    }
                }
                Err(err) => {
                    let (path, reason) = walk_error_details(&err);
                    visit(Entry::Skip {
                        path,
                        reason,
                        message: err.to_string(),
                    });
                }
            }
            WalkState::Continue
        })
    });
    Ok(())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn build_excludes(globs: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        let glob = Glob::new(g).map_err(|e| format!("invalid --exclude glob `{g}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| e.to_string())
}

fn classify(entry: &DirEntry, root: &Path, max_file_size: u64) -> Option<Entry> {
    let path = entry.path().to_path_buf();
    let Some(file_type) = entry.file_type() else {
        // stdin, which is never walked here.
        return None;
    };
    if file_type.is_dir() {
        return None;
    }
    if file_type.is_symlink() {
        return Some(classify_symlink(path, root));
    }
    let Some(lang) = Lang::detect(&path) else {
        return crate::lang::unanalysed::language_of(&path)
            .filter(|_| file_type.is_file())
            .map(|language| Entry::Other { path, language });
    };
    if !file_type.is_file() {
        return Some(Entry::Skip {
            path,
            reason: NoteReason::NotRegularFile,
            message: "not a regular file".into(),
        });
    }
    let size = match entry.metadata() {
        Ok(m) => m.len(),
        Err(e) => {
            return Some(Entry::Skip {
                path,
                reason: NoteReason::Unreadable,
                message: e.to_string(),
            });
        }
    };
    if size > max_file_size {
        let message =
            format!("{size} bytes, over the {max_file_size}-byte limit (--max-file-size)");
        return Some(Entry::Skip {
            path,
            reason: NoteReason::TooLarge,
            message,
        });
    }
    Some(Entry::File { path, lang, size })
}

fn classify_symlink(path: PathBuf, root: &Path) -> Entry {
    match std::fs::canonicalize(&path) {
        Ok(target) if !target.starts_with(root) => Entry::Skip {
            message: format!("points outside the scan root, to {}", target.display()),
            path,
            reason: NoteReason::SymlinkOutsideRoot,
        },
        Ok(target) => Entry::Skip {
            message: format!(
                "symlinks are not followed (target {} is scanned on its own path)",
                target.display()
            ),
            path,
            reason: NoteReason::Symlink,
        },
        Err(e) if e.raw_os_error() == Some(40) => Entry::Skip {
            path,
            reason: NoteReason::SymlinkLoop,
            message: "symlink loop".into(),
        },
        Err(e) => Entry::Skip {
            path,
            reason: NoteReason::BrokenSymlink,
            message: format!("broken symlink: {e}"),
        },
    }
}

fn walk_error_details(err: &ignore::Error) -> (PathBuf, NoteReason) {
    match err {
        ignore::Error::WithPath { path, err } => {
            let reason = match **err {
                ignore::Error::Loop { .. } => NoteReason::SymlinkLoop,
                _ => NoteReason::WalkError,
            };
            (path.clone(), reason)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_details(err)
        }
        ignore::Error::Loop { child, .. } => (child.clone(), NoteReason::SymlinkLoop),
        _ => (PathBuf::new(), NoteReason::WalkError),
    }
}
