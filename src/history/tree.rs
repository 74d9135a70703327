//! The temporary tree a commit is scanned in: a directory that mirrors the commit's files under
//! the charted paths, filled from git's objects ([`super::git`]) and then brought from one
//! charted commit to the next by applying only what changed between them, so the scan's result
//! cache ([`crate::cache`], keyed by path relative to the scan root and bytes) sees unchanged
//! files as unchanged.
//!
//! The repository's contents are untrusted: a path with `..`, `.` or a `.git` component (git
//! itself refuses to check those out) is left out, a symlink is created as a symlink and never
//! written through (a file or directory is only ever created where nothing is, after removing
//! what was there without following it), and nothing in the tree is run.

use super::git::{Entry, Repo};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A commit's files in a temporary directory, removed on drop.
pub struct Mirror {
    _dir: tempfile::TempDir,
    root: PathBuf,
    /// Entries left out because git would refuse their path.
    pub refused: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Symlink,
    Submodule,
    Other,
}

fn kind(mode: u32) -> Kind {
    match mode & 0o170_000 {
        0o100_000 => Kind::File,
        0o120_000 => Kind::Symlink,
        0o160_000 => Kind::Submodule,
        _ => Kind::Other,
    }
}

fn write_error(path: &Path, e: std::io::Error) -> Error {
    Error::io(
        format!(
            "history: cannot write {} in the temporary tree",
            path.display()
        ),
        e,
    )
}

impl Mirror {
    /// An empty mirror in the system's temporary directory.
    pub fn new() -> Result<Mirror> {
        let dir = tempfile::Builder::new()
            .prefix("cuda-audit-history-")
            .tempdir()
            .map_err(|e| Error::io("history: cannot create a temporary directory", e))?;
        let root = dir
            .path()
            .canonicalize()
            .unwrap_or_else(|_| dir.path().to_path_buf());
        Ok(Mirror {
            _dir: dir,
            root,
            refused: 0,
        })
    }

    /// The directory that stands for the repository's top level.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Fills the empty mirror with `commit`'s files under `pathspecs`; returns how many.
    pub fn load(&mut self, repo: &Repo, commit: &str, pathspecs: &[String]) -> Result<usize> {
        let entries = repo.tree(commit, pathspecs)?;
        self.write(repo, &entries)?;
        Ok(entries.len())
    }

    /// Brings the mirror from commit `from` to commit `to`: what was deleted (or changed kind)
    /// is removed first, then what was added or changed is written. Returns how many paths
    /// changed.
    pub fn update(
        &mut self,
        repo: &Repo,
        from: &str,
        to: &str,
        pathspecs: &[String],
    ) -> Result<usize> {
        let changes = repo.changes(from, to, pathspecs)?;
        for c in &changes {
            if c.new.mode == 0 || (c.old_mode != 0 && kind(c.old_mode) != kind(c.new.mode)) {
                if let Some(rel) = safe_relative(&c.new.path) {
                    self.remove(&rel)?;
                }
            }
        }
        let writes: Vec<Entry> = changes
            .iter()
            .filter(|c| c.new.mode != 0)
            .map(|c| c.new.clone())
            .collect();
        self.write(repo, &writes)?;
        Ok(changes.len())
    }

    /// Writes `entries` (replacing what is at their paths): files and symlinks from one stream
    /// of blobs, submodules as empty directories, as a checkout without them leaves them.
    fn write(&mut self, repo: &Repo, entries: &[Entry]) -> Result<()> {
        let mut blobs: Vec<(Kind, &str, PathBuf)> = Vec::new();
        for e in entries {
            let Some(rel) = safe_relative(&e.path) else {
                self.refused += 1;
                continue;
            };
            match kind(e.mode) {
                Kind::Submodule => {
                    let dest = self.vacate(&rel)?;
                    std::fs::create_dir(&dest).map_err(|e| write_error(&dest, e))?;
                }
                k @ (Kind::File | Kind::Symlink) => blobs.push((k, &e.oid, rel)),
                Kind::Other => {}
            }
        }
        let oids: Vec<&str> = blobs.iter().map(|(_, oid, _)| *oid).collect();
        repo.blobs(&oids, |i, _size, bytes| {
            let (k, _, rel) = &blobs[i];
            let dest = self.vacate(rel)?;
            let written = if *k == Kind::Symlink {
                let mut target = Vec::new();
                bytes
                    .read_to_end(&mut target)
                    .and_then(|_| symlink(&target, &dest))
            } else {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&dest)
                    .and_then(|mut file| std::io::copy(bytes, &mut file).map(drop))
            };
            written.map_err(|e| write_error(&dest, e))
        })
    }

    /// The absolute path for `rel`, with every parent a real directory (created where missing;
    /// a file or symlink in the way is removed, never followed) and nothing at the path itself.
    fn vacate(&self, rel: &Path) -> Result<PathBuf> {
        let mut path = self.root.clone();
        let mut parts = rel.components().peekable();
        while let Some(part) = parts.next() {
            path.push(part);
            let last = parts.peek().is_none();
            let meta = std::fs::symlink_metadata(&path);
            let done = match meta {
                Ok(m) if m.is_dir() && !last => Ok(()),
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
                Ok(_) => std::fs::remove_file(&path).and_then(|_| {
                    if last {
                        Ok(())
                    } else {
                        std::fs::create_dir(&path)
                    }
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !last => {
                    std::fs::create_dir(&path)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            };
            done.map_err(|e| write_error(&path, e))?;
        }
        Ok(path)
    }

    /// Removes what is at `rel` (a directory with its contents), then the directories it leaves
    /// empty. Nothing is removed through a symlink.
    fn remove(&self, rel: &Path) -> Result<()> {
        let path = self.root.join(rel);
        let through_link = path
            .ancestors()
            .skip(1)
            .take_while(|a| *a != self.root)
            .any(|a| std::fs::symlink_metadata(a).map_or(true, |m| !m.is_dir()));
        if through_link {
            return Ok(());
        }
        let removed = match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
            Ok(_) => std::fs::remove_file(&path),
            Err(_) => Ok(()),
        };
        removed.map_err(|e| write_error(&path, e))?;
        for dir in path.ancestors().skip(1).take_while(|a| *a != self.root) {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
        Ok(())
    }
}

/// `path` (as git stores it, `/`-separated) as a relative path, unless git would refuse to check
/// it out: an empty, `.`, `..` or `.git` component.
fn safe_relative(path: &[u8]) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for part in path.split(|&b| b == b'/') {
        if part.is_empty()
            || part == b"."
            || part == b".."
            || part.eq_ignore_ascii_case(b".git")
            || (cfg!(windows) && part.iter().any(|&b| b == b'\\' || b == b':'))
        {
            return None;
        }
        rel.push(os_str(part)?);
    }
    (!rel.as_os_str().is_empty()).then_some(rel)
}

#[cfg(unix)]
fn os_str(bytes: &[u8]) -> Option<&std::ffi::OsStr> {
    use std::os::unix::ffi::OsStrExt;
    Some(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn os_str(bytes: &[u8]) -> Option<&std::ffi::OsStr> {
    std::str::from_utf8(bytes).ok().map(std::ffi::OsStr::new)
}

#[cfg(unix)]
fn symlink(target: &[u8], at: &Path) -> std::io::Result<()> {
    let target = os_str(target).unwrap_or_default();
    std::os::unix::fs::symlink(target, at)
}

/// Elsewhere a symlink is left out, as the walk would skip it anyway.
#[cfg(not(unix))]
fn symlink(_target: &[u8], _at: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_git_would_refuse_are_left_out() {
        assert_eq!(safe_relative(b"src/k.cu"), Some(PathBuf::from("src/k.cu")));
        assert_eq!(
            safe_relative(b".github/w.yml"),
            Some(PathBuf::from(".github/w.yml"))
        );
        for bad in [
            &b""[..],
            b"../x",
            b"a/../x",
            b"./x",
            b"a//b",
            b".git/config",
            b"a/.GIT/x",
            b"/abs",
        ] {
            assert_eq!(safe_relative(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[cfg(unix)]
    #[test]
    fn nothing_is_written_through_a_symlink() {
        let outside = tempfile::tempdir().unwrap();
        let mirror = Mirror::new().unwrap();
        std::os::unix::fs::symlink(outside.path(), mirror.root().join("a")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("f"), mirror.root().join("f")).unwrap();
        // `a` becomes a directory and `f` a file: the links are replaced, not followed.
        let dest = mirror.vacate(Path::new("a/b")).unwrap();
        std::fs::write(&dest, "x").unwrap();
        let dest = mirror.vacate(Path::new("f")).unwrap();
        std::fs::write(&dest, "y").unwrap();
        assert!(
            std::fs::symlink_metadata(mirror.root().join("a"))
                .unwrap()
                .is_dir()
        );
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        // A removal below a symlink removes nothing.
        std::fs::remove_dir_all(mirror.root().join("a")).unwrap();
        std::fs::write(outside.path().join("keep"), "k").unwrap();
        std::os::unix::fs::symlink(outside.path(), mirror.root().join("a")).unwrap();
        mirror.remove(Path::new("a/keep")).unwrap();
        assert!(outside.path().join("keep").exists());
    }
}
