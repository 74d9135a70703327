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

fn git(dir: &Path, args: &[&str]) -> std::result::Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "--no-pager",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The lines added or changed in the working tree of the repository holding `dir`, relative to
/// the merge base of `rev` and HEAD. Untracked (not ignored) files count as added.
pub fn changed_lines(dir: &Path, rev: &str) -> Result<ChangedLines> {
    let toplevel = git(dir, &["rev-parse", "--show-toplevel"])
        .map_err(|e| Error::Usage(format!("--diff-base needs a git repository: {e}")))?;
    let toplevel = PathBuf::from(toplevel.trim());
    if rev.starts_with('-') {
        return Err(Error::Usage(format!("invalid revision `{rev}`")));
    }
    let base = git(&toplevel, &["merge-base", rev, "HEAD"]).map_err(|e| {
        Error::Usage(format!(
            "cannot find the merge base of `{rev}` and HEAD ({e}).\n\
             In a shallow clone the base commit is missing: fetch it (`git fetch --unshallow`, or \
             `fetch-depth: 0` with actions/checkout), or fetch the base branch (`git fetch origin {rev}`)."
        ))
    })?;
    let base = base.trim().to_string();
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
    .map_err(|e| Error::Usage(format!("git diff failed: {e}")))?;
    let mut files = parse_unified_diff(&diff);
    let untracked = git(
        &toplevel,
        &["ls-files", "--others", "--exclude-standard", "-z"],
    )
    .map_err(|e| Error::Usage(format!("git ls-files failed: {e}")))?;
    for path in untracked.split('\0').filter(|p| !p.is_empty()) {
        files.insert(path.to_string(), LineSet::All);
    }
    Ok(ChangedLines {
        toplevel,
        base,
        files,
    })
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
