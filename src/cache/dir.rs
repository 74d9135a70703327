//! The cache directory as a whole: what it holds, its size cap, least-recently-used pruning, and
//! emptying it.
//!
//! The directory holds one *entry* per scanned root (and set of paths): its result cache
//! (`<stem>.bin`, [`super::Cache`]) and its last report (`<stem>.report`, [`super::memo`]), the
//! stem being 24 hex digits. An entry's last use is the newest modification time of its files:
//! writing a file sets it, and a scan that reads one sets it to now ([`touch`]). Keeping the
//! stamp in the files themselves means there is no index for two scans running at once to
//! disagree about. After a scan writes the cache, [`prune`] removes whole entries, least recently
//! used first, until the directory is within its cap.
//!
//! The cap is shared out so that the entry just written always fits: a report memo may take at
//! most [`memo_limit`] (a quarter of the cap, at most 64 MiB), a result cache the rest
//! ([`results_limit`]). A report larger than its share is not memoised; a result cache larger
//! than its share keeps the results that fit ([`super::Cache::save`]).
//!
//! Only files of these names, and temporary files named `.cuda-audit-*.tmp`, are ever counted or
//! removed: `--cache-dir` may name a directory that holds other things.
//!
//! Scans at once: every file is written to a temporary file and renamed into place, and readers
//! check a checksum, so a reader sees a whole file or none. A removal that fails (another scan
//! removed the file first) is ignored. Two scans pruning at once may remove one entry more than
//! needed, never a file half-written; a scan whose entry is removed under it has read it already
//! (a report being replayed is read from a file kept open, which outlives its removal on Unix).

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The cap when none is given: 512 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 512 << 20;
/// The largest report memo, whatever the cap.
pub const MEMO_MAX: u64 = 64 << 20;
/// Temporary files: `.cuda-audit-XXXXXX.tmp`, beside the file they will replace.
const TEMP_PREFIX: &str = ".cuda-audit-";
const TEMP_SUFFIX: &str = ".tmp";
/// A temporary file older than this was left by a scan that was killed: pruning removes it. A
/// younger one may be a concurrent scan's file being written.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// The largest report memo stored under `cap`: a quarter of it, at most [`MEMO_MAX`].
pub fn memo_limit(cap: u64) -> u64 {
    (cap / 4).min(MEMO_MAX)
}

/// The largest result cache stored under `cap`: what the memo leaves.
pub fn results_limit(cap: u64) -> u64 {
    cap.saturating_sub(memo_limit(cap))
}

/// What the directory holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Bytes in every file counted (entries and temporary files).
    pub bytes: u64,
    pub files: usize,
    /// Scanned roots with a result cache or a report memo.
    pub entries: usize,
    /// The least and the most recent last use of an entry.
    pub oldest_use: Option<SystemTime>,
    pub newest_use: Option<SystemTime>,
}

/// What [`prune`] or [`clean`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub entries: usize,
    pub files: usize,
    pub bytes: u64,
}

/// One file in the directory.
struct Item {
    path: PathBuf,
    bytes: u64,
    modified: SystemTime,
}

/// The files of one scanned root.
struct Entry {
    stem: String,
    items: Vec<Item>,
}

impl Entry {
    fn bytes(&self) -> u64 {
        self.items.iter().map(|i| i.bytes).sum()
    }

    fn last_use(&self) -> SystemTime {
        self.items
            .iter()
            .map(|i| i.modified)
            .max()
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

struct Listing {
    entries: Vec<Entry>,
    temps: Vec<Item>,
}

enum Kind<'a> {
    Entry(&'a str),
    Temp,
}

/// What a file name in the cache directory is to us, if anything.
fn classify(name: &str) -> Option<Kind<'_>> {
    if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
        return Some(Kind::Temp);
    }
    let (stem, ext) = name.split_once('.')?;
    let hex = stem.len() == 24
        && stem
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && matches!(ext, "bin" | "report")).then_some(Kind::Entry(stem))
}

/// The entries and temporary files in `dir`, entries in stem order; a missing directory holds
/// nothing.
fn list(dir: &Path) -> io::Result<Listing> {
    let mut listing = Listing {
        entries: Vec::new(),
        temps: Vec::new(),
    };
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(listing),
        Err(e) => return Err(e),
    };
    let mut by_stem: std::collections::BTreeMap<String, Vec<Item>> = Default::default();
    for dirent in read {
        let dirent = dirent?;
        let name = dirent.file_name();
        let Some(kind) = name.to_str().and_then(classify) else {
            continue;
        };
        // Gone since the listing (another scan pruned it), or not a regular file: not ours.
        let Ok(meta) = dirent.metadata() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let item = Item {
            path: dirent.path(),
            bytes: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        };
        match kind {
            Kind::Entry(stem) => by_stem.entry(stem.to_string()).or_default().push(item),
            Kind::Temp => listing.temps.push(item),
        }
    }
    listing.entries = by_stem
        .into_iter()
        .map(|(stem, items)| Entry { stem, items })
        .collect();
    Ok(listing)
}

/// What `dir` holds.
pub fn usage(dir: &Path) -> io::Result<Usage> {
    let listing = list(dir)?;
    let items = listing
        .entries
        .iter()
        .flat_map(|e| &e.items)
        .chain(&listing.temps);
    let (bytes, files) = items.fold((0, 0), |(b, n), i| (b + i.bytes, n + 1));
    let uses = || listing.entries.iter().map(Entry::last_use);
    Ok(Usage {
        bytes,
        files,
        entries: listing.entries.len(),
        oldest_use: uses().min(),
        newest_use: uses().max(),
    })
}

/// Removes entries of `dir`, least recently used first (ties by name), until the entries take at
/// most `cap` bytes; and temporary files left by killed scans.
pub fn prune(dir: &Path, cap: u64) -> io::Result<Removed> {
    let Listing { mut entries, temps } = list(dir)?;
    let mut removed = Removed::default();
    let now = SystemTime::now();
    for temp in temps {
        if now
            .duration_since(temp.modified)
            .is_ok_and(|age| age > STALE_TEMP)
        {
            let _ = remove(&temp, &mut removed);
        }
    }
    let mut total: u64 = entries.iter().map(Entry::bytes).sum();
    entries.sort_by(|a, b| (a.last_use(), &a.stem).cmp(&(b.last_use(), &b.stem)));
    for entry in &entries {
        if total <= cap {
            break;
        }
        // Counted as gone even when a removal fails: pruning on, to make up for a file that
        // cannot be removed, would empty the directory.
        total -= entry.bytes();
        removed.entries += 1;
        for item in &entry.items {
            let _ = remove(item, &mut removed);
        }
    }
    Ok(removed)
}

/// Removes every entry and temporary file in `dir` (nothing else). A file that cannot be
/// removed is an error, after every other file was; one already gone (removed by another scan)
/// is not.
pub fn clean(dir: &Path) -> io::Result<Removed> {
    let Listing { entries, temps } = list(dir)?;
    let mut removed = Removed {
        entries: entries.len(),
        ..Removed::default()
    };
    let mut first_error = None;
    for item in entries.iter().flat_map(|e| &e.items).chain(&temps) {
        if let Err(e) = remove(item, &mut removed) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(removed), Err)
}

/// Removes one file, counting it if this call removed it.
fn remove(item: &Item, removed: &mut Removed) -> io::Result<()> {
    match std::fs::remove_file(&item.path) {
        Ok(()) => {
            removed.files += 1;
            removed.bytes += item.bytes;
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("cannot remove {}: {e}", item.path.display()),
        )),
    }
}

/// Marks the file at `path` as just used (its modification time, now). Best effort: a file
/// that cannot be touched is only pruned sooner.
pub fn touch(path: &Path) {
    let _ = std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()));
}

/// A temporary file in `dir`, named so that [`prune`] and [`clean`] know it.
pub fn temp_file_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: usize, secs: u64) {
        let path = dir.join(name);
        std::fs::write(&path, vec![b'x'; bytes]).unwrap();
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs);
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(time).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn stem(n: u8) -> String {
        format!("{:024x}", n)
    }

    #[test]
    fn the_least_recently_used_entries_go_first_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Entry 1 is the oldest by its result cache, but its memo was used last.
        write(d, &format!("{}.bin", stem(1)), 100, 10);
        write(d, &format!("{}.report", stem(1)), 50, 40);
        write(d, &format!("{}.bin", stem(2)), 100, 20);
        write(d, &format!("{}.bin", stem(3)), 100, 30);
        write(d, &format!("{}.report", stem(4)), 100, 35);
        write(d, "notes.txt", 1000, 0);
        write(d, "0123.bin", 1000, 0);
        write(d, &format!("{}.json", stem(5)), 1000, 0);
        let u = usage(d).unwrap();
        assert_eq!((u.bytes, u.files, u.entries), (450, 5, 4));
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s);
        assert_eq!(u.oldest_use, Some(at(20)));
        assert_eq!(u.newest_use, Some(at(40)));

        let removed = prune(d, 260).unwrap();
        assert_eq!(
            removed,
            Removed {
                entries: 2,
                files: 2,
                bytes: 200
            }
        );
        assert_eq!(
            names(d),
            [
                format!("{}.bin", stem(1)),
                format!("{}.report", stem(1)),
                format!("{}.report", stem(4)),
                format!("{}.json", stem(5)),
                "0123.bin".into(),
                "notes.txt".into()
            ]
        );
        assert_eq!(usage(d).unwrap().bytes, 250);
        // Within the cap: nothing to do.
        assert_eq!(prune(d, 250).unwrap(), Removed::default());

        let removed = clean(d).unwrap();
        assert_eq!((removed.entries, removed.files, removed.bytes), (2, 3, 250));
        assert_eq!(names(d).len(), 3, "other files stay");
        assert_eq!(usage(d).unwrap(), Usage::default());
    }

    #[test]
    fn stale_temporary_files_are_pruned_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, ".cuda-audit-old.tmp", 10, 0);
        let fresh = temp_file_in(d).unwrap();
        std::io::Write::write_all(&mut fresh.as_file(), b"abc").unwrap();
        assert_eq!(usage(d).unwrap().files, 2);
        assert_eq!(prune(d, 0).unwrap().files, 1);
        assert!(fresh.path().exists());
        assert_eq!(clean(d).unwrap().files, 1);
        assert!(!fresh.path().exists());
        // A directory that does not exist holds nothing.
        assert_eq!(usage(&d.join("none")).unwrap(), Usage::default());
        assert_eq!(clean(&d.join("none")).unwrap(), Removed::default());
    }

    #[test]
    fn the_shares_of_the_cap_add_up_to_it() {
        assert_eq!(memo_limit(DEFAULT_MAX_SIZE), 64 << 20);
        assert_eq!(results_limit(DEFAULT_MAX_SIZE), 448 << 20);
        assert_eq!(memo_limit(64 << 10), 16 << 10);
        assert_eq!(memo_limit(4 << 30), MEMO_MAX);
        for cap in [0, 1, 3, 64 << 10, 1 << 40] {
            assert_eq!(memo_limit(cap) + results_limit(cap), cap);
        }
    }

    #[test]
    fn touching_makes_a_file_the_most_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, &format!("{}.bin", stem(1)), 10, 0);
        write(d, &format!("{}.bin", stem(2)), 10, 5);
        touch(&d.join(format!("{}.bin", stem(1))));
        prune(d, 10).unwrap();
        assert_eq!(names(d), [format!("{}.bin", stem(1))]);
    }
}
