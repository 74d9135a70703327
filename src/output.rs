//! Writing what the tool produces: files atomically (a temporary file renamed over the
//! destination, so a reader never sees half a report or baseline), standard output tolerant of a
//! closed pipe (`cuda-audit | head`).

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// An existing path that is neither a regular file nor a directory (`/dev/null`, a FIFO): written
/// to as it is, never replaced, and not worth a "wrote" line.
pub fn is_special_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Writes a report to a file (atomically) or to standard output (a closed pipe is not an error).
pub fn emit(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match output {
        Some(path) => write_atomically_with(path, write),
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match write(&mut stdout).and_then(|_| stdout.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::io("cannot write to standard output", e))
                }
                _ => Ok(()),
            }
        }
    }
}

#[cfg(unix)]
fn set_permissions(
    file: &std::fs::File,
    existing: Option<std::fs::Permissions>,
) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(existing.unwrap_or_else(|| std::fs::Permissions::from_mode(0o644)))
}

#[cfg(not(unix))]
fn set_permissions(
    file: &std::fs::File,
    existing: Option<std::fs::Permissions>,
) -> std::io::Result<()> {
    match existing {
        Some(p) => file.set_permissions(p),
        None => Ok(()),
    }
}

/// Writes `bytes` to a temporary file next to `path`, then renames it over `path`, so readers
/// never see a half-written report.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// Like [`write_atomically`], with the contents streamed by `write` (a large report need not be
/// held in memory). An existing special file (`-o /dev/null`, a FIFO) is written to as it is:
/// renaming over it would replace the device with a regular file.
///
/// Errors name `path` and say why (`No such file or directory`), never the temporary file.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    /// The temporary file is an implementation detail: an error about it (tempfile appends
    /// ` at path "…/.tmpXXXXXX"`) is reported as the plain reason.
    fn without_temp_path(e: std::io::Error) -> std::io::Error {
        if e.raw_os_error().is_some() {
            return e;
        }
        let text = match e.get_ref() {
            Some(inner) => inner.to_string(),
            None => return e,
        };
        match text.split_once(" at path ") {
            Some((reason, _)) => std::io::Error::new(e.kind(), reason.to_string()),
            None => e,
        }
    }
    let write_error = |e: std::io::Error| {
        let e = without_temp_path(e);
        let missing_dir = e.kind() == std::io::ErrorKind::NotFound;
        let err = Error::io(format!("cannot write {}", path.display()), e);
        match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) if missing_dir && !dir.exists() => err.with_help(format!(
                "the directory {} does not exist; create it first, or write elsewhere",
                dir.display()
            )),
            _ => err,
        }
    };
    if is_special_file(path) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(write_error)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        return write(&mut out)
            .and_then(|_| out.flush())
            .map_err(write_error);
    }
    if path.is_dir() {
        return Err(Error::io(
            format!("cannot write {}", path.display()),
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a directory"),
        )
        .with_help("give a file name, e.g. -o report.json"));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        write(&mut out)
            .and_then(|_| out.flush())
            .map_err(write_error)?;
    }
    tmp.as_file().sync_all().map_err(write_error)?;
    // A temporary file is private (0600); a report or baseline is meant to be shared. Keep the
    // permissions of the file being replaced, or use the usual 0644.
    let permissions = std::fs::metadata(path).map(|m| m.permissions()).ok();
    set_permissions(tmp.as_file(), permissions).map_err(write_error)?;
    tmp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_special_file_is_written_to_not_replaced() {
        // `-o /dev/null` as root used to rename a temporary file over the device.
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_atomically_with(&fifo, |out| out.write_all(b"report")).unwrap();
        assert_eq!(reader.join().unwrap(), b"report");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo());
    }
}
