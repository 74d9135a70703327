//! The repository's history through the git CLI, run as [`crate::diff`] runs it (no fsmonitor,
//! no hooks, no pager, no prompt, the environment's `GIT_DIR` dropped), and only with commands
//! that read objects: `log` for the first-parent commits, `ls-tree` and `diff-tree` for what a
//! commit holds and what changed, `cat-file --batch` for the bytes. Nothing here touches the
//! work tree or the index, and no filter, textconv or external diff runs: blobs are read as
//! stored.

use crate::diff::{GitError, git, git_command};
use crate::error::{Error, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// A repository whose history is charted.
pub struct Repo {
    /// The work tree's top level, canonical.
    pub toplevel: PathBuf,
    /// A shallow clone: its history stops early.
    pub shallow: bool,
}

/// One commit of the first-parent history.
#[derive(Clone, Debug)]
pub struct Commit {
    pub id: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The first line of the message.
    pub subject: String,
}

/// Which commits: the newest N, or those committed since a time.
#[derive(Clone, Copy, Debug)]
pub enum Window {
    Commits(usize),
    /// Seconds since the epoch (committer time).
    Since(i64),
}

/// One entry of a tree (`ls-tree`), or the new side of a change (`diff-tree`).
#[derive(Clone, Debug)]
pub struct Entry {
    /// `0o100644`, `0o100755`, `0o120000` (symlink), `0o160000` (submodule); 0 when deleted.
    pub mode: u32,
    pub oid: String,
    /// Relative to the top level, as git stores it.
    pub path: Vec<u8>,
}

/// One path that differs between two commits: the old mode (0 when added) and the new side.
#[derive(Clone, Debug)]
pub struct Change {
    pub old_mode: u32,
    pub new: Entry,
}

fn failed(what: &str, e: GitError) -> Error {
    Error::Usage(format!(
        "history: git {what} failed: {}",
        crate::diff::git_message(&e.to_string())
    ))
}

impl Repo {
    /// The repository holding `dir`: an error (exit 2) when git is missing, `dir` is in no
    /// repository, or the repository has no commit yet.
    pub fn open(dir: &Path) -> Result<Repo> {
        let top = match git(dir, &["rev-parse", "--show-toplevel"]) {
            Ok(top) => PathBuf::from(top.trim()),
            Err(GitError::NotRun(e)) => {
                return Err(Error::hint(
                    format!("history needs git, and git cannot be run: {e}"),
                    "install git",
                ));
            }
            Err(GitError::Failed(stderr)) if stderr.contains("not a git repository") => {
                return Err(Error::hint(
                    format!(
                        "history reads a git repository's commits, and {} is not inside one",
                        dir.display()
                    ),
                    "run `cuda-audit history` in a clone of the repository",
                ));
            }
            Err(e) => return Err(failed("rev-parse", e)),
        };
        if top.as_os_str().is_empty() {
            return Err(Error::hint(
                "history needs a work tree, and this repository has none (a bare repository?)",
                "run `cuda-audit history` in a clone with a work tree",
            ));
        }
        let toplevel = top.canonicalize().unwrap_or(top);
        if git(
            &toplevel,
            &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
        )
        .is_err()
        {
            return Err(Error::hint(
                "history has nothing to chart: the repository has no commit yet",
                "commit first",
            ));
        }
        let shallow = git(&toplevel, &["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|out| out.trim() == "true");
        Ok(Repo { toplevel, shallow })
    }

    /// The branch checked out, when HEAD is not detached.
    pub fn branch(&self) -> Option<String> {
        git(
            &self.toplevel,
            &["symbolic-ref", "--quiet", "--short", "HEAD"],
        )
        .ok()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
    }

    /// Whether `commit`'s first parent is in the repository (not so at a shallow clone's
    /// boundary, or for a root commit).
    pub fn has_parent(&self, commit: &str) -> bool {
        git(
            &self.toplevel,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{commit}^1^{{commit}}"),
            ],
        )
        .is_ok()
    }

    /// HEAD's first-parent history within `window`, newest first.
    pub fn first_parent(&self, window: Window) -> Result<Vec<Commit>> {
        let limit = match window {
            Window::Commits(n) => format!("--max-count={n}"),
            // git's own filter, which also stops the walk early; checked again below.
            Window::Since(secs) => format!("--since=@{secs} +0000"),
        };
        let out = git(
            &self.toplevel,
            &[
                "log",
                "--first-parent",
                "--no-show-signature",
                "--no-color",
                "--no-decorate",
                "--no-mailmap",
                "-z",
                "--format=%H %ct %s",
                &limit,
                "HEAD",
                "--",
            ],
        )
        .map_err(|e| failed("log", e))?;
        let mut commits = Vec::new();
        for record in out.split('\0').filter(|r| !r.trim().is_empty()) {
            let mut parts = record.trim_start_matches('\n').splitn(3, ' ');
            let (Some(id), Some(time)) = (parts.next(), parts.next()) else {
                continue;
            };
            let Ok(time) = time.parse::<i64>() else {
                continue;
            };
            if matches!(window, Window::Since(since) if time < since) {
                continue;
            }
            commits.push(Commit {
                id: id.to_string(),
                time,
                subject: parts.next().unwrap_or("").trim().to_string(),
            });
        }
        Ok(commits)
    }

    /// Every blob, symlink and submodule of `commit` under `pathspecs` (everything when empty).
    pub fn tree(&self, commit: &str, pathspecs: &[String]) -> Result<Vec<Entry>> {
        let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", commit, "--"];
        args.extend(pathspecs.iter().map(String::as_str));
        let out = self.bytes(&args).map_err(|e| failed("ls-tree", e))?;
        let mut entries = Vec::new();
        // `<mode> SP <type> SP <object> TAB <file>` NUL
        for record in out.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            let Some(tab) = record.iter().position(|&b| b == b'\t') else {
                continue;
            };
            let meta = String::from_utf8_lossy(&record[..tab]);
            let mut fields = meta.split(' ');
            let (Some(mode), Some(_), Some(oid)) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            entries.push(Entry {
                mode: u32::from_str_radix(mode, 8).unwrap_or(0),
                oid: oid.to_string(),
                path: record[tab + 1..].to_vec(),
            });
        }
        Ok(entries)
    }

    /// What differs between the trees of `from` and `to` under `pathspecs` (no rename
    /// detection: a rename is a deletion and an addition).
    pub fn changes(&self, from: &str, to: &str, pathspecs: &[String]) -> Result<Vec<Change>> {
        let mut args = vec![
            "diff-tree",
            "-r",
            "-z",
            "--no-renames",
            "--raw",
            from,
            to,
            "--",
        ];
        args.extend(pathspecs.iter().map(String::as_str));
        let out = self.bytes(&args).map_err(|e| failed("diff-tree", e))?;
        // `:<old mode> <new mode> <old oid> <new oid> <status>` NUL `<path>` NUL
        let mut changes = Vec::new();
        let mut records = out.split(|&b| b == 0);
        while let Some(meta) = records.next() {
            let Some(meta) = meta.strip_prefix(b":") else {
                continue;
            };
            let Some(path) = records.next() else { break };
            let meta = String::from_utf8_lossy(meta);
            let fields: Vec<&str> = meta.split(' ').collect();
            if fields.len() < 5 {
                continue;
            }
            let mode = |s: &str| u32::from_str_radix(s, 8).unwrap_or(0);
            changes.push(Change {
                old_mode: mode(fields[0]),
                new: Entry {
                    mode: mode(fields[1]),
                    oid: fields[3].to_string(),
                    path: path.to_vec(),
                },
            });
        }
        Ok(changes)
    }

    /// Runs git with literal pathspecs (a path named `*.cu` is that path) and returns its
    /// standard output as bytes (paths need not be UTF-8).
    fn bytes(&self, args: &[&str]) -> std::result::Result<Vec<u8>, GitError> {
        let out = git_command(&self.toplevel)
            .args(args)
            .env("GIT_LITERAL_PATHSPECS", "1")
            .stdin(Stdio::null())
            .output()
            .map_err(GitError::NotRun)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(GitError::Failed(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ))
        }
    }

    /// Streams the blobs `oids` in order from one `git cat-file --batch`: `each(i, size,
    /// bytes)` is given the `size` bytes of the i-th (what it leaves unread is skipped); its
    /// error stops the stream.
    pub fn blobs(
        &self,
        oids: &[&str],
        mut each: impl FnMut(usize, u64, &mut dyn Read) -> Result<()>,
    ) -> Result<()> {
        if oids.is_empty() {
            return Ok(());
        }
        let mut child = git_command(&self.toplevel)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed("cat-file", GitError::NotRun(e)))?;
        let mut stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let read = std::thread::scope(|scope| {
            // Requests are written on their own thread: git answers while it reads, and a full
            // pipe on either side would otherwise stall both.
            scope.spawn(move || {
                let mut requests = std::io::BufWriter::new(&mut stdin);
                for oid in oids {
                    if writeln!(requests, "{oid}").is_err() {
                        return;
                    }
                }
                let _ = requests.flush();
                drop(requests);
                drop(stdin);
            });
            let read = read_batch(BufReader::with_capacity(1 << 16, stdout), oids, &mut each);
            if read.is_err() {
                // git may be blocked writing what is no longer read, and the writer on git.
                let _ = child.kill();
            }
            read
        });
        let status = child.wait_with_output();
        read?;
        match status {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(failed(
                "cat-file",
                GitError::Failed(String::from_utf8_lossy(&out.stderr).trim().to_string()),
            )),
            Err(e) => Err(failed("cat-file", GitError::NotRun(e))),
        }
    }
}

/// Reads `cat-file --batch` answers: `<oid> <type> <size>` LF, the bytes, LF.
fn read_batch(
    mut out: impl BufRead,
    oids: &[&str],
    each: &mut impl FnMut(usize, u64, &mut dyn Read) -> Result<()>,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io("history: cannot read objects from git cat-file", e);
    let mut header = String::new();
    for (i, oid) in oids.iter().enumerate() {
        header.clear();
        out.read_line(&mut header).map_err(io)?;
        let fields: Vec<&str> = header.split_whitespace().collect();
        let size = match fields.as_slice() {
            [_, _, size] => size.parse::<u64>().ok(),
            _ => None,
        };
        let Some(size) = size else {
            return Err(Error::Usage(format!(
                "history: git cat-file cannot read object {oid}: {}",
                header.trim()
            )));
        };
        let mut body = (&mut out).take(size);
        each(i, size, &mut body)?;
        std::io::copy(&mut body, &mut std::io::sink()).map_err(io)?;
        let mut newline = [0u8; 1];
        out.read_exact(&mut newline).map_err(io)?;
    }
    Ok(())
}
