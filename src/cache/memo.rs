//! Replaying the last report when nothing it depends on changed.
//!
//! A report is a function of the files (their paths and bytes, and the notes of skipped files),
//! the rules, the tool and the options. [`crate::scan::tree_digest`] hashes the first with what
//! the caller adds (the cache context for the next two, the command line and configuration);
//! when the digest equals the one stored with the last report, that report is written again
//! and the rules, the analysis and the tree-wide steps are skipped. A new memo is kept only when
//! the scan read exactly the files the digest hashed. The memo sits beside the result cache, carries a checksum
//! checked before a byte of it is written out, and is replaced atomically. Scans that compare
//! against a baseline or a git revision are never memoised: those inputs live outside the tree.
//! Nor is a report larger than its share of the cache's cap ([`super::dir::memo_limit`]: a
//! quarter of it, at most 64 MiB): recording stops once it is known too large, and the root's
//! older memo is removed.

use super::dir;
use std::hash::BuildHasher;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 16] = b"cuda-audit memo\n";
/// Magic, digest, exit code, body length, body checksum.
const HEADER: usize = 16 + 32 + 1 + 8 + 8;
/// The body is hashed in chunks of this size, whatever sizes it is written in.
const CHUNK: usize = 64 * 1024;
/// Reads of a stored report (a multiple of `CHUNK`): few system calls for a large report.
const READ_BUFFER: usize = 16 * CHUNK;

pub struct ReportMemo {
    file: PathBuf,
    /// The cache directory's cap.
    cap: u64,
}

impl ReportMemo {
    /// The memo that goes with the result cache in `cache_file`, in a directory capped at `cap`
    /// bytes.
    pub fn beside(cache_file: &Path, cap: u64) -> ReportMemo {
        ReportMemo {
            file: cache_file.with_extension("report"),
            cap,
        }
    }

    /// The stored report, when it was recorded for `digest` and is intact (checked in full).
    pub fn find(&self, digest: &[u8; 32]) -> Option<Replay> {
        let mut file = std::fs::File::open(&self.file).ok()?;
        let mut header = [0u8; HEADER];
        file.read_exact(&mut header).ok()?;
        if &header[..16] != MAGIC || &header[16..48] != digest {
            return None;
        }
        let exit = header[48];
        let len = u64::from_le_bytes(header[49..57].try_into().ok()?);
        let sum = u64::from_le_bytes(header[57..65].try_into().ok()?);
        // Stored under a larger cap: not to be used under this one ([`ReportMemo::drop_if_too_large`]).
        if HEADER as u64 + len > dir::memo_limit(self.cap) {
            return None;
        }
        // Checked in full before anything is written.
        let mut hasher = ChunkHasher::default();
        let mut seen = 0u64;
        let mut buf = vec![0u8; READ_BUFFER];
        loop {
            let n = read_full(&mut file, &mut buf).ok()?;
            if n == 0 {
                break;
            }
            hasher.write(&buf[..n]);
            seen += n as u64;
        }
        if seen != len || hasher.finish() != sum {
            return None;
        }
        file.seek(io::SeekFrom::Start(HEADER as u64)).ok()?;
        dir::touch(&self.file);
        Some(Replay { file, exit })
    }

    /// Writes the stored report to `out` when it was recorded for `digest`, and gives its exit
    /// code; `None` (nothing written) when there is no such report or it is damaged.
    pub fn replay(&self, digest: &[u8; 32], out: &mut dyn Write) -> Option<io::Result<u8>> {
        let mut replay = self.find(digest)?;
        Some(replay.copy_to(out).map(|_| replay.exit))
    }

    /// Removes the memo if it is larger than a memo may be under the cap (it was stored under a
    /// larger one), so that the result cache written beside it fits the rest of the cap.
    pub fn drop_if_too_large(&self) -> io::Result<()> {
        match std::fs::metadata(&self.file) {
            Ok(m) if m.len() > dir::memo_limit(self.cap) => std::fs::remove_file(&self.file)
                .or_else(|e| match e.kind() {
                    io::ErrorKind::NotFound => Ok(()),
                    _ => Err(e),
                }),
            _ => Ok(()),
        }
    }

    /// Starts recording a report for `digest` with exit code `exit`.
    pub fn record(&self, digest: [u8; 32], exit: u8) -> Option<Recorder> {
        let dir = self.file.parent()?;
        std::fs::create_dir_all(dir).ok()?;
        let mut tmp = dir::temp_file_in(dir).ok()?;
        tmp.write_all(&[0u8; HEADER]).ok()?;
        Some(Recorder {
            file: self.file.clone(),
            cap: self.cap,
            out: io::BufWriter::with_capacity(CHUNK, tmp),
            digest,
            exit,
            hasher: ChunkHasher::default(),
            len: 0,
            failed: false,
            cut_short: false,
            too_large: false,
        })
    }
}

/// A stored report found intact, read from the same open file that was checked.
pub struct Replay {
    file: std::fs::File,
    pub exit: u8,
}

impl Replay {
    pub fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let mut buf = vec![0u8; READ_BUFFER];
        loop {
            match read_full(&mut self.file, &mut buf)? {
                0 => return Ok(()),
                n => out.write_all(&buf[..n])?,
            }
        }
    }
}

/// Receives a copy of a report as it is written ([`Tee`]).
pub struct Recorder {
    file: PathBuf,
    cap: u64,
    out: io::BufWriter<tempfile::NamedTempFile>,
    digest: [u8; 32],
    exit: u8,
    hasher: ChunkHasher,
    len: u64,
    failed: bool,
    /// The report itself was cut short (a closed pipe): nothing to store, nothing to say.
    cut_short: bool,
    /// The report is larger than a memo may be: nothing more is copied, nothing is stored.
    too_large: bool,
}

impl Recorder {
    fn write(&mut self, bytes: &[u8]) {
        if self.failed || self.too_large {
            return;
        }
        self.len += bytes.len() as u64;
        if HEADER as u64 + self.len > dir::memo_limit(self.cap) {
            self.too_large = true;
            return;
        }
        self.failed = self.out.write_all(bytes).is_err();
        self.hasher.write(bytes);
    }

    /// Stores the memo, unless writing it failed along the way (then the old one is left), then
    /// prunes the cache directory to its cap. A report cut short (`cuda-audit | head`) is not
    /// stored, and that is not an error; nor is a report too large to be memoised, whose root's
    /// older memo is removed (it would only take room).
    pub fn finish(self) -> io::Result<()> {
        if self.cut_short {
            return Ok(());
        }
        if self.failed {
            return Err(io::Error::other("the report copy could not be written"));
        }
        if self.too_large {
            match std::fs::remove_file(&self.file) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            prune_beside(&self.file, self.cap);
            return Ok(());
        }
        let mut tmp = self.out.into_inner().map_err(|e| e.into_error())?;
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&self.digest);
        header.push(self.exit);
        header.extend_from_slice(&self.len.to_le_bytes());
        header.extend_from_slice(&self.hasher.finish().to_le_bytes());
        tmp.seek(io::SeekFrom::Start(0))?;
        tmp.write_all(&header)?;
        tmp.persist(&self.file).map_err(|e| e.error)?;
        prune_beside(&self.file, self.cap);
        Ok(())
    }
}

/// Prunes the directory of `file` to `cap`. Best effort: a directory that cannot be pruned now
/// is pruned by a later scan.
fn prune_beside(file: &Path, cap: u64) {
    if let Some(parent) = file.parent() {
        let _ = dir::prune(parent, cap);
    }
}

/// Writes to `out` and, when recording, to the recorder too.
pub struct Tee<'a> {
    pub out: &'a mut dyn Write,
    pub recorder: Option<&'a mut Recorder>,
}

impl Tee<'_> {
    fn spoil(&mut self) {
        if let Some(r) = self.recorder.as_deref_mut() {
            r.cut_short = true;
        }
    }
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.out.write(buf) {
            Ok(n) => {
                if let Some(r) = self.recorder.as_deref_mut() {
                    r.write(&buf[..n]);
                }
                Ok(n)
            }
            Err(e) => {
                // A report cut short (a closed pipe is not an error to the caller) must not be
                // stored as if whole.
                self.spoil();
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush().inspect_err(|_| self.spoil())
    }
}

/// A fast checksum that does not depend on how the bytes are split into writes.
#[derive(Default)]
struct ChunkHasher {
    buf: Vec<u8>,
    acc: u64,
}

impl ChunkHasher {
    fn write(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = (CHUNK - self.buf.len()).min(bytes.len());
            self.buf.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.buf.len() == CHUNK {
                self.fold();
            }
        }
    }

    fn fold(&mut self) {
        let state = foldhash::quality::FixedState::with_seed(0x6d65_6d6f);
        self.acc = state.hash_one((self.acc, self.buf.as_slice()));
        self.buf.clear();
    }

    fn finish(mut self) -> u64 {
        self.fold();
        self.acc
    }
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_replayed_only_for_its_digest_and_only_intact() {
        let dir = tempfile::tempdir().unwrap();
        let memo = ReportMemo::beside(&dir.path().join("c.bin"), dir::DEFAULT_MAX_SIZE);
        let report: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut rec = memo.record([7; 32], 1).unwrap();
        {
            let mut sink = Vec::new();
            let mut tee = Tee {
                out: &mut sink,
                recorder: Some(&mut rec),
            };
            for piece in report.chunks(999) {
                tee.write_all(piece).unwrap();
            }
            assert_eq!(sink, report);
        }
        rec.finish().unwrap();

        let mut out = Vec::new();
        assert_eq!(memo.replay(&[7; 32], &mut out).unwrap().unwrap(), 1);
        assert_eq!(out, report);
        let mut out = Vec::new();
        assert!(memo.replay(&[8; 32], &mut out).is_none());
        assert!(out.is_empty());

        let file = dir.path().join("c.report");
        let mut bytes = std::fs::read(&file).unwrap();
        let at = bytes.len() - 10;
        bytes[at] ^= 1;
        std::fs::write(&file, &bytes).unwrap();
        let mut out = Vec::new();
        assert!(memo.replay(&[7; 32], &mut out).is_none());
        assert!(out.is_empty(), "nothing of a damaged memo is written");
    }

    #[test]
    fn a_report_over_the_memo_limit_is_not_stored_and_its_older_memo_goes() {
        let dir = tempfile::tempdir().unwrap();
        let cap = 64 << 10;
        let memo = ReportMemo::beside(&dir.path().join("c.bin"), cap);
        let small = vec![b'a'; 1000];
        let large = vec![b'b'; dir::memo_limit(cap) as usize];
        let record = |digest: [u8; 32], report: &[u8]| {
            let mut rec = memo.record(digest, 0).unwrap();
            let mut sink = Vec::new();
            let mut tee = Tee {
                out: &mut sink,
                recorder: Some(&mut rec),
            };
            for piece in report.chunks(100) {
                tee.write_all(piece).unwrap();
            }
            assert_eq!(sink, report, "the report itself is whole");
            rec.finish().unwrap();
        };
        record([1; 32], &small);
        assert!(memo.replay(&[1; 32], &mut Vec::new()).is_some());
        record([2; 32], &large);
        assert!(memo.replay(&[2; 32], &mut Vec::new()).is_none());
        assert!(memo.replay(&[1; 32], &mut Vec::new()).is_none());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
