//! `cuda-audit history`: how the coupling moved over the first-parent history of the branch
//! checked out — one scan per charted commit, with the scan's own pipeline and settings, and
//! reports of the series ([`json`], [`markdown`], [`html`]).
//!
//! The work tree and the index are never touched, and nothing from the repository runs: each
//! commit's files are read from git's objects ([`git`]) into a temporary directory ([`tree`])
//! that stands for the repository's top level, so the reports' paths and the result cache's keys
//! are those of a scan run at the top level. The oldest commit is written in full; each later
//! one by applying only the paths that changed since the previous charted commit, and the result
//! cache then analyses only those files again. The commits are scanned oldest first, so the
//! cache is left holding the newest commit's files, the ones closest to the work tree.
//!
//! The configuration, rules and options are the current work tree's, for every commit: the
//! chart shows how the code moved under today's rules, not how past configurations scored it.

mod date;
pub mod git;
pub mod html;
pub mod json;
pub mod markdown;
pub mod series;
mod tree;

pub use date::{iso_utc, parse as parse_date};
pub use git::{Commit, Repo, Window};
pub use series::{Move, Point, jumps};

use crate::error::Result;
use crate::portability::Target;
use crate::scan::Settings;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What to chart.
#[derive(Clone, Debug)]
pub struct Request {
    /// Paths relative to the top level, `/`-separated; empty for the whole repository.
    pub paths: Vec<String>,
    pub window: Window,
    /// Chart every k-th commit, counting from HEAD (HEAD is always charted); at least 1.
    pub every: usize,
}

/// The charted history.
#[derive(Clone, Debug)]
pub struct Series {
    /// The top level's directory name.
    pub name: String,
    /// The branch checked out (`None` on a detached HEAD).
    pub branch: Option<String>,
    /// As requested (empty for the whole repository).
    pub paths: Vec<String>,
    pub targets: Vec<Target>,
    pub window: Window,
    pub every: usize,
    /// Commits of the first-parent history in the window (before `every` picks among them).
    pub commits_in_window: usize,
    /// The history ends early because the clone is shallow: older commits were not fetched.
    pub shallow_cut: bool,
    /// Tree entries left out because git would refuse their path (`..`, `.git`).
    pub refused: usize,
    /// Oldest first.
    pub points: Vec<Point>,
}

/// Scans every charted commit of `request` with `settings` (their root and paths are replaced
/// by the temporary tree's; everything else, the result cache included, is used as it is).
/// `on_commit(i, n, commit)` is called before the i-th of n commits (oldest first) is scanned.
pub fn chart(
    repo: &Repo,
    mut settings: Settings,
    request: &Request,
    mut on_commit: impl FnMut(usize, usize, &Commit),
) -> Result<Series> {
    let commits = repo.first_parent(request.window)?;
    let commits_in_window = commits.len();
    let shallow_cut = repo.shallow
        && match request.window {
            Window::Commits(n) => commits_in_window < n,
            // Without the older commits it cannot be told whether any was in the window.
            Window::Since(_) => commits.last().is_some_and(|c| !repo.has_parent(&c.id)),
        };
    let mut charted: Vec<Commit> = commits.into_iter().step_by(request.every.max(1)).collect();
    charted.reverse();
    let pathspecs = pathspecs(&request.paths);
    let targets = crate::rule::RuleSet::targets_or_all(&settings.targets);
    let mut mirror = tree::Mirror::new()?;
    settings.root = mirror.root().to_path_buf();
    let mut points = Vec::with_capacity(charted.len());
    let mut previous: Option<&str> = None;
    for (i, commit) in charted.iter().enumerate() {
        on_commit(i, charted.len(), commit);
        let changed = match previous {
            None => mirror.load(repo, &commit.id, &pathspecs)?,
            Some(before) => mirror.update(repo, before, &commit.id, &pathspecs)?,
        };
        settings.paths = scan_paths(mirror.root(), &request.paths);
        let audit = crate::scan::audit(&settings)?;
        crate::timings::phase(&format!(
            "commit {}: {changed} paths written, {} files scanned, {} from the cache",
            &commit.id[..commit.id.len().min(12)],
            audit.files.scanned,
            audit.cache_hits
        ));
        points.push(Point::of(commit.clone(), &audit));
        previous = Some(&commit.id);
    }
    Ok(Series {
        name: repo
            .toplevel
            .file_name()
            .map_or_else(|| "/".to_string(), |n| n.to_string_lossy().into_owned()),
        branch: repo.branch(),
        paths: request.paths.clone(),
        targets,
        window: request.window,
        every: request.every.max(1),
        commits_in_window,
        shallow_cut,
        refused: mirror.refused,
        points,
    })
}

/// What to read from each commit: the paths, and what a scan of them reads besides — the ignore
/// files of the directories above them, and `.gitmodules` and `vendor/modules.txt` (vendored
/// code). Empty (everything) for the whole repository.
fn pathspecs(paths: &[String]) -> Vec<String> {
    if paths.is_empty() {
        return Vec::new();
    }
    let mut specs: BTreeSet<String> = paths.iter().cloned().collect();
    specs.insert(".gitmodules".into());
    specs.insert("vendor/modules.txt".into());
    for path in paths {
        let mut dir = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            for name in [".gitignore", ".ignore"] {
                specs.insert(format!("{dir}{name}"));
            }
            dir = format!("{dir}{part}/");
        }
    }
    specs.into_iter().collect()
}

/// The requested paths that exist in the commit's tree (a path added later, or removed, is
/// simply not there); the root for the whole repository.
fn scan_paths(root: &std::path::Path, paths: &[String]) -> Vec<PathBuf> {
    if paths.is_empty() {
        return vec![root.to_path_buf()];
    }
    paths
        .iter()
        .map(|p| root.join(p))
        .filter(|p| std::fs::symlink_metadata(p).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_brings_the_ignore_files_above_it() {
        assert!(pathspecs(&[]).is_empty());
        assert_eq!(
            pathspecs(&["src/cuda".into()]),
            [
                ".gitignore",
                ".gitmodules",
                ".ignore",
                "src/.gitignore",
                "src/.ignore",
                "src/cuda",
                "vendor/modules.txt"
            ]
        );
    }
}
