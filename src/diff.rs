//! Diff mode: which lines changed since the merge base of a revision and HEAD, so a scan can
//! report only the coupling a branch adds. Uses the git CLI, with settings that keep a scanned
//! repository's own configuration from running anything (no external diff drivers, no textconv,
//! no fsmonitor hook).

use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Added or changed lines per file, by path relative to the repository's top level.
#[derive(Debug, Default)]
pub struct ChangedLines {
    pub toplevel: PathBuf,
    pub base: String,
    files: BTreeMap<String, LineSet>,
}

#[derive(Debug)]
enum LineSet {
    /// A new (or untracked) file: every line counts.
    All,
    Lines(BTreeSet<usize>),
    /// A deleted file: the change touches it, no line counts.
    Deleted,
}

impl ChangedLines {
    /// Whether 1-based `line` of `path` (relative to the top level) was added or changed.
    pub fn contains(&self, path: &str, line: usize) -> bool {
        match self.files.get(path) {
            Some(LineSet::All) => true,
            Some(LineSet::Lines(lines)) => lines.contains(&line),
            Some(LineSet::Deleted) | None => false,
        }
    }

    /// Whether the change touches `path` (relative to the top level): added, modified, deleted
    /// or untracked.
    pub fn touches(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Where `dir` (absolute) lies below the top level, as a path prefix (`""` at the top).
    pub fn prefix_of(&self, dir: &Path) -> String {
        let toplevel = self
            .toplevel
            .canonicalize()
            .unwrap_or_else(|_| self.toplevel.clone());
        dir.strip_prefix(&toplevel)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    }
}

/// Why a git command gave no answer.
pub(crate) enum GitError {
    /// git could not be started.
    NotRun(std::io::Error),
    /// git ran and failed: its standard error.
    Failed(String),
}

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GitError::NotRun(e) => write!(f, "cannot run git: {e}"),
            GitError::Failed(stderr) => f.write_str(stderr),
        }
    }
}

/// git in `dir`, configured as [`git`] runs it, for a caller that needs more than its output as
/// text (a process to stream objects from, literal pathspecs): add the arguments and run it.
pub(crate) fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "--no-pager",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    command
}

/// Runs git in `dir` with settings that keep the repository's own configuration from running
/// anything (no fsmonitor, no hooks, no pager, no prompt); the environment's `GIT_DIR` and
/// `GIT_WORK_TREE` (set when cuda-audit runs from a git hook) are dropped, so the repository is
/// the one holding `dir`.
pub(crate) fn git(dir: &Path, args: &[&str]) -> std::result::Result<String, GitError> {
    let out = git_command(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(GitError::NotRun)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(GitError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

/// The lines added or changed in the working tree of the repository holding `dir`, relative to
/// the merge base of `rev` and HEAD. Untracked (not ignored) files count as added.
pub fn changed_lines(dir: &Path, rev: &str) -> Result<ChangedLines> {
    if rev.starts_with('-') {
        return Err(Error::hint(
            format!("invalid revision `{rev}` (--diff-base)"),
            "give a branch, tag or commit: `--diff-base origin/main`",
        ));
    }
    let toplevel = toplevel(dir)?;
    let base = merge_base(&toplevel, rev)?;
    let diff = git(
        &toplevel,
        &[
            "diff",
            "--no-ext-diff",
            "--no-textconv",
            "--no-color",
            "--no-renames",
            "--unified=0",
            &base,
            "--",
        ],
    )
    .map_err(|e| Error::Usage(format!("git diff failed: {}", git_message(&e.to_string()))))?;
    let mut files = parse_unified_diff(&diff);
    let untracked = git(
        &toplevel,
        &["ls-files", "--others", "--exclude-standard", "-z"],
    )
    .map_err(|e| {
        Error::Usage(format!(
            "git ls-files failed: {}",
            git_message(&e.to_string())
        ))
    })?;
    for path in untracked.split('\0').filter(|p| !p.is_empty()) {
        files.insert(path.to_string(), LineSet::All);
    }
    Ok(ChangedLines {
        toplevel,
        base,
        files,
    })
}

/// The top level of the work tree holding `dir`: (c) of the `--diff-base` errors, no git or no
/// repository.
fn toplevel(dir: &Path) -> Result<PathBuf> {
    match git(dir, &["rev-parse", "--show-toplevel"]) {
        Ok(top) => Ok(PathBuf::from(top.trim())),
        Err(GitError::NotRun(e)) => Err(Error::hint(
            format!("--diff-base needs git, and git cannot be run: {e}"),
            "install git, or scan without --diff-base",
        )),
        Err(GitError::Failed(stderr)) if stderr.contains("not a git repository") => {
            Err(Error::hint(
                format!(
                    "--diff-base needs a git repository, and {} is not inside one",
                    dir.display()
                ),
                "run cuda-audit in the repository's work tree, or scan without --diff-base",
            ))
        }
        Err(e) => Err(Error::Usage(format!(
            "--diff-base: git cannot read the repository at {}: {}",
            dir.display(),
            git_message(&e.to_string())
        ))),
    }
}

/// The merge base of `rev` and HEAD, or an error that says which of (a) an unknown revision or
/// (b) a shallow clone missing the base commit stands in the way, and what to do about it.
fn merge_base(toplevel: &Path, rev: &str) -> Result<String> {
    let is_commit = |r: &str| {
        git(
            toplevel,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{r}^{{commit}}"),
            ],
        )
        .is_ok()
    };
    let shallow = git(toplevel, &["rev-parse", "--is-shallow-repository"])
        .is_ok_and(|out| out.trim() == "true");
    let cannot = format!("cannot find the merge base of `{rev}` and HEAD");
    if !is_commit("HEAD") {
        return Err(Error::hint(
            format!("{cannot}: the repository has no commit yet"),
            "commit first, or scan without --diff-base",
        ));
    }
    if !is_commit(rev) {
        return Err(unknown_revision(toplevel, rev, shallow, &cannot));
    }
    match git(toplevel, &["merge-base", rev, "HEAD"]) {
        Ok(base) => Ok(base.trim().to_string()),
        Err(_) if shallow => Err(Error::hint(
            format!("{cannot}: this is a shallow clone, and the commit they share was not fetched"),
            format!(
                "fetch the history: `git fetch --unshallow` (or `fetch-depth: 0` with \
                 actions/checkout), or fetch the base branch with its history \
                 (`git fetch --unshallow origin {}`)",
                branch_of(toplevel, rev)
            ),
        )),
        Err(GitError::Failed(stderr)) if stderr.is_empty() => Err(Error::hint(
            format!("{cannot}: they have no commit in common"),
            "compare with a revision HEAD was branched from",
        )),
        Err(e) => Err(Error::Usage(format!(
            "{cannot}: {}",
            git_message(&e.to_string())
        ))),
    }
}

/// (a): `rev` names no commit here. Says which remotes and branches exist, and how to fetch it.
fn unknown_revision(toplevel: &Path, rev: &str, shallow: bool, cannot: &str) -> Error {
    let list = |args: &[&str]| -> Vec<String> {
        git(toplevel, args)
            .map(|out| {
                out.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.ends_with("/HEAD"))
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let remotes = list(&["remote"]);
    let branches = list(&["for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads"]);
    let remote_branches = list(&[
        "for-each-ref",
        "--format=%(refname:lstrip=2)",
        "refs/remotes",
    ]);
    let mut known = vec![format!("remotes: {}", names(&remotes))];
    known.push(format!("branches: {}", names(&branches)));
    if !remote_branches.is_empty() {
        known.push(format!("remote branches: {}", names(&remote_branches)));
    }
    let known = format!("here: {}", known.join("; "));
    let unshallow = if shallow {
        " (this is a shallow clone: add `--unshallow`, or use `fetch-depth: 0` with \
         actions/checkout, so the merge base is fetched too)"
    } else {
        ""
    };
    let message = format!("{cannot}: unknown revision `{rev}`");
    let split = rev.split_once('/');
    let help = match split {
        // `origin/main` with an `origin` remote: the branch was not fetched.
        Some((remote, branch)) if remotes.iter().any(|r| r == remote) => format!(
            "the remote `{remote}` has no branch `{branch}` here; fetch it: \
             `git fetch {remote} {branch}`{unshallow}\n{known}"
        ),
        // `origin/main` and no `origin`: another name for the same branch, or add the remote.
        Some((remote, branch)) => {
            let same: Vec<String> = branches
                .iter()
                .chain(&remote_branches)
                .filter(|b| *b == branch || b.ends_with(&format!("/{branch}")))
                .map(|b| format!("`--diff-base {b}`"))
                .collect();
            let instead = if same.is_empty() {
                String::new()
            } else {
                format!("compare with {}, or ", same.join(" or "))
            };
            format!(
                "there is no remote `{remote}`: {instead}add the remote and fetch the branch \
                 (`git remote add {remote} URL`, then `git fetch {remote} {branch}`)\n{known}"
            )
        }
        None => {
            let mut help = String::new();
            let candidates = branches.iter().chain(&remote_branches).map(String::as_str);
            if let Some(near) = crate::error::similar(rev, candidates).first() {
                help = format!("did you mean `{near}`?\n");
            }
            if let Some(remote) = remotes.first() {
                help += &format!(
                    "if `{rev}` is a branch of `{remote}`, fetch it: `git fetch {remote} {rev}`{unshallow}, \
                     then use `--diff-base {remote}/{rev}`\n"
                );
            }
            help + &known
        }
    };
    Error::hint(message, help)
}

/// The branch name a revision like `origin/main` refers to, for a fetch command.
fn branch_of(toplevel: &Path, rev: &str) -> String {
    match rev.split_once('/') {
        Some((remote, branch))
            if git(toplevel, &["remote"]).is_ok_and(|r| r.lines().any(|l| l.trim() == remote)) =>
        {
            branch.to_string()
        }
        _ => rev.to_string(),
    }
}

/// At most ten names, comma-separated; `none` for none.
fn names(list: &[String]) -> String {
    const SHOWN: usize = 10;
    match list.len() {
        0 => "none".to_string(),
        n if n <= SHOWN => list.join(", "),
        n => format!("{}, … ({} more)", list[..SHOWN].join(", "), n - SHOWN),
    }
}

/// git's message without its `fatal: ` / `error: ` prefixes, on one line.
pub fn git_message(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches("fatal: ")
                .trim_start_matches("error: ")
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Added lines per new-side path from `git diff --unified=0` output.
fn parse_unified_diff(diff: &str) -> BTreeMap<String, LineSet> {
    let mut files = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut old: Option<String> = None;
    let mut new_file = false;
    for line in diff.lines() {
        if line.starts_with("diff --git ") {
            current = None;
            old = None;
            new_file = false;
        } else if line.starts_with("new file mode") {
            new_file = true;
        } else if let Some(path) = line.strip_prefix("--- ") {
            old = unquote(path).strip_prefix("a/").map(String::from);
        } else if let Some(path) = line.strip_prefix("+++ ") {
            current = unquote(path).strip_prefix("b/").map(String::from);
            if let (None, Some(gone)) = (&current, old.take()) {
                files.insert(gone, LineSet::Deleted);
            }
            if let (Some(p), true) = (&current, new_file) {
                files.insert(p.clone(), LineSet::All);
            }
        } else if let (Some(hunk), Some(path)) = (line.strip_prefix("@@ "), &current) {
            // @@ -a[,b] +c[,d] @@
            let Some(plus) = hunk.split_whitespace().find(|t| t.starts_with('+')) else {
                continue;
            };
            let mut parts = plus[1..].split(',');
            let start: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let count: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
            if let LineSet::Lines(lines) = files
                .entry(path.clone())
                .or_insert_with(|| LineSet::Lines(BTreeSet::new()))
            {
                lines.extend(start..start + count);
            }
        }
    }
    files
}

/// git quotes unusual paths C-style ("a\tb"); undo the common escapes.
fn unquote(path: &str) -> String {
    let Some(inner) = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else {
        return path.to_string();
    };
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&n @ b'0'..=b'7') = chars.peek() {
                        v = v * 8 + u32::from(n - b'0');
                        chars.next();
                    }
                }
                bytes.push(v as u8);
            }
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_added_lines() {
        let diff = "diff --git a/x.cu b/x.cu\nindex 1..2 100644\n--- a/x.cu\n+++ b/x.cu\n@@ -3,0 +4,2 @@\n+a\n+b\n@@ -10 +12 @@\n-c\n+d\n\
                    diff --git a/n.py b/n.py\nnew file mode 100644\n--- /dev/null\n+++ b/n.py\n@@ -0,0 +1 @@\n+x\n\
                    diff --git a/gone.cu b/gone.cu\ndeleted file mode 100644\n--- a/gone.cu\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n";
        let files = parse_unified_diff(diff);
        let c = ChangedLines {
            toplevel: PathBuf::new(),
            base: String::new(),
            files,
        };
        assert!(c.contains("x.cu", 4) && c.contains("x.cu", 5) && c.contains("x.cu", 12));
        assert!(!c.contains("x.cu", 3) && !c.contains("x.cu", 6));
        assert!(c.contains("n.py", 99));
        assert!(!c.contains("gone.cu", 1));
        assert!(c.touches("gone.cu") && c.touches("x.cu") && !c.touches("other.cu"));
    }

    #[test]
    fn unquotes_git_paths() {
        assert_eq!(unquote("\"b/a\\tb\""), "b/a\tb");
        assert_eq!(unquote("\"\\303\\251.cu\""), "é.cu");
    }
}
