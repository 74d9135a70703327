//! The result cache: what analysing a file yielded, keyed by the file's path and bytes, so that a
//! re-scan parses only what changed.
//!
//! One file per scanned root, in the platform cache directory (`$CUDA_AUDIT_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/cuda-audit`, else `~/.cache/cuda-audit`; `--cache-dir` overrides, `--no-cache`
//! turns it off). It lives outside the scanned tree on purpose: a cache committed to a
//! repository could otherwise hide findings from a CI gate.
//!
//! What is stored is the output of [`crate::analysis::analyse_text`] (or the fact that the prefilter
//! ruled the file out), which depends only on the file's path, language and bytes and on the
//! rules. Everything that depends on settings or on other files (the findings cap, rule
//! selection, suppressions, definitions elsewhere, existing ports) is applied after, as for a
//! fresh result. The file starts with a context — format version, tool version, the running
//! executable's size and modification time (a rebuilt binary is another tool), the rules'
//! digest — and ends with a checksum; a cache whose context differs, whose checksum fails or
//! that does not decode is ignored as a whole and rewritten. Files whose analysis was cut short
//! (a parse out of time) are never stored, since that depends on the machine's load.
//!
//! After the scan the cache is rewritten atomically with the entries of this run only (so it
//! never grows past the tree), unless every entry was a hit and nothing was dropped; then the
//! cache directory is pruned to its cap, least recently used first ([`dir`]). A cache larger than
//! its share of the cap keeps the smallest entries that fit.

pub mod dir;
mod entry;
pub mod memo;

use crate::analysis::FileAnalysis;
use crate::codec::{Codec, Dec, Enc};
use crate::hash::update_parts;
use crate::lang::Lang;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MAGIC: &[u8] = b"cuda-audit result cache\n";
/// Bump when the encoding of an entry changes.
const FORMAT: u64 = 4;

/// Identifies one file's content: SHA-256 of its path, language and bytes.
pub type Key = [u8; 32];

/// What the cache holds for one file.
pub enum Cached {
    /// The prefilter showed that no rule can match.
    RuledOut,
    Scanned(Box<FileAnalysis>),
}

/// The cache of one scan: the entries read at the start, and those computed since.
pub struct Cache {
    file: PathBuf,
    /// The cache directory's cap ([`dir`]).
    cap: u64,
    context: Vec<u8>,
    data: Vec<u8>,
    /// Entry key → its bytes in `data`.
    index: HashMap<Key, Range<usize>>,
    /// Keys of this run, with the bytes of entries computed in this run.
    this_run: Mutex<HashMap<Key, Option<Vec<u8>>>>,
    hits: std::sync::atomic::AtomicUsize,
    /// Every file read in this run, with its key.
    read: Mutex<Vec<(String, Key)>>,
}

impl Cache {
    /// The cache file for a scan of `paths` relative to `root`, under `dir`.
    pub fn file_for(dir: &Path, root: &Path, paths: &[PathBuf]) -> PathBuf {
        let mut h = Sha256::new();
        let canonical: Vec<PathBuf> = std::iter::once(root)
            .chain(paths.iter().map(PathBuf::as_path))
            .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
            .collect();
        update_parts(
            &mut h,
            canonical.iter().map(|p| p.as_os_str().as_encoded_bytes()),
        );
        let digest = h.finalize();
        let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        dir.join(format!("{name}.bin"))
    }

    /// The default cache directory, when the environment names one.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = var("CUDA_AUDIT_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = var("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("cuda-audit"));
        }
        var("HOME").map(|home| PathBuf::from(home).join(".cache").join("cuda-audit"))
    }

    /// Opens the cache in `file` for scans with the rules of `rules_identity`
    /// ([`crate::rule::rules_identity`]); a missing, foreign or damaged file gives an empty cache.
    /// The directory holding `file` is kept within `cap` bytes when the cache is saved.
    pub fn open(file: PathBuf, rules_identity: &[u8; 32], cap: u64) -> Cache {
        let context = context(rules_identity);
        let mut cache = Cache {
            file,
            cap,
            context,
            data: Vec::new(),
            index: HashMap::new(),
            this_run: Mutex::new(HashMap::new()),
            hits: Default::default(),
            read: Mutex::new(Vec::new()),
        };
        if let Ok(data) = std::fs::read(&cache.file) {
            if let Some(index) = read_index(&data, &cache.context) {
                cache.index = index;
                cache.data = data;
                // Used: the last to be pruned, even if it is not rewritten.
                dir::touch(&cache.file);
            }
        }
        cache
    }

    /// Whether the cache held nothing for this scan when it was opened.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn key(rel: &str, lang: Lang, bytes: &[u8]) -> Key {
        let mut h = Sha256::new();
        update_parts(&mut h, [rel.as_bytes(), lang.as_str().as_bytes()]);
        h.update(bytes);
        h.finalize().into()
    }

    /// The stored result for `key`, if any (and if it decodes).
    pub fn get(&self, key: &Key) -> Option<Cached> {
        let range = self.index.get(key)?.clone();
        let mut d = Dec::new(&self.data[range]);
        let cached = match d.u64().ok()? {
            0 => Cached::RuledOut,
            1 => Cached::Scanned(Box::new(FileAnalysis::decode(&mut d).ok()?)),
            _ => return None,
        };
        if !d.is_done() {
            return None;
        }
        self.lock().insert(*key, None);
        Some(cached)
    }

    /// Records that the scan read the file `rel` with `key` ([`Cache::files_read`]).
    pub fn note_read(&self, rel: &str, key: Key) {
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        read.push((rel.to_string(), key));
    }

    /// The files read so far with their keys, sorted, each pair once.
    pub fn files_read(&self) -> Vec<(String, Key)> {
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner()).clone();
        read.sort_unstable();
        read.dedup();
        read
    }

    /// Counts a file whose stored result was used.
    pub fn count_hit(&self) {
        self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many files' stored results were used.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stores that the prefilter ruled the file with `key` out.
    pub fn put_ruled_out(&self, key: Key) {
        self.lock().insert(key, Some(vec![0]));
    }

    /// Stores the analysis of the file with `key`.
    pub fn put_scanned(&self, key: Key, scanned: &FileAnalysis) {
        let mut e = Enc::default();
        e.u64(1);
        scanned.encode(&mut e);
        // A value without an encoding is a bug in a codec list: the file is analysed again next
        // time rather than stored as something it is not.
        if let Ok(bytes) = e.finish() {
            self.lock().insert(key, Some(bytes));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Option<Vec<u8>>>> {
        self.this_run.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the entries of this run, atomically, unless they are exactly those read (and
    /// within the cap); then prunes the cache directory to its cap.
    pub fn save(self) -> std::io::Result<()> {
        let this_run = self
            .this_run
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let limit = dir::results_limit(self.cap);
        let unchanged = this_run.len() == self.index.len()
            && this_run
                .iter()
                .all(|(k, fresh)| fresh.is_none() && self.index.contains_key(k))
            && self.data.len() as u64 <= limit;
        let dir = self.file.parent().unwrap_or(Path::new("."));
        if !unchanged {
            let entries: Vec<(&Key, &[u8])> = this_run
                .iter()
                .filter_map(|(k, fresh)| match fresh {
                    Some(bytes) => Some((k, bytes.as_slice())),
                    None => self.index.get(k).map(|r| (k, &self.data[r.clone()])),
                })
                .collect();
            let entries = fit(entries, self.context.len(), limit);
            if entries.is_empty() {
                // Nothing fits: an older file of this root would only take room.
                match std::fs::remove_file(&self.file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            } else {
                std::fs::create_dir_all(dir)?;
                let mut tmp = dir::temp_file_in(dir)?;
                std::io::Write::write_all(&mut tmp, &encode(&self.context, &entries))?;
                tmp.persist(&self.file).map_err(|e| e.error)?;
            }
        }
        // The root's report memo, if stored under a larger cap, would push its results out.
        memo::ReportMemo::beside(&self.file, self.cap).drop_if_too_large()?;
        // Best effort: a directory that cannot be pruned now is pruned by a later scan.
        let _ = dir::prune(dir, self.cap);
        Ok(())
    }
}

/// The bytes an entry of `len` bytes takes in the file: key, length, bytes.
fn stored_len(len: usize) -> u64 {
    let bits = usize::BITS - len.leading_zeros();
    (32 + bits.max(1).div_ceil(7) as usize + len) as u64
}

/// `entries` in key order, all of them if the file they make takes at most `limit` bytes, else the
/// smallest that fit (the most files spared an analysis); none if not even an empty file fits.
fn fit<'a>(
    mut entries: Vec<(&'a Key, &'a [u8])>,
    context_len: usize,
    limit: u64,
) -> Vec<(&'a Key, &'a [u8])> {
    // The context, the count (at most 10 bytes) and the checksum.
    let Some(mut room) = limit.checked_sub(context_len as u64 + 10 + 8) else {
        return Vec::new();
    };
    let total: u64 = entries.iter().map(|(_, b)| stored_len(b.len())).sum();
    if total > room {
        entries.sort_unstable_by_key(|(k, b)| (b.len(), *k));
        entries.retain(|(_, b)| {
            let len = stored_len(b.len());
            let keep = len <= room;
            if keep {
                room -= len;
            }
            keep
        });
    }
    entries.sort_unstable_by_key(|(k, _)| *k);
    entries
}

/// The cache file: context, entries, checksum.
fn encode(context: &[u8], entries: &[(&Key, &[u8])]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        context.len() + 18 + entries.iter().map(|(_, b)| b.len() + 40).sum::<usize>(),
    );
    out.extend_from_slice(context);
    let mut e = Enc::default();
    e.u64(entries.len() as u64);
    out.extend_from_slice(&e.bytes);
    for (key, bytes) in entries {
        out.extend_from_slice(*key);
        let mut e = Enc::default();
        e.raw(bytes);
        out.extend_from_slice(&e.bytes);
    }
    out.extend_from_slice(&checksum(&out).to_le_bytes());
    out
}

/// What must be equal for stored results to be reused: format, tool, executable, rules.
pub fn context(rules_identity: &[u8; 32]) -> Vec<u8> {
    let mut e = Enc::default();
    e.raw(MAGIC);
    e.u64(FORMAT);
    e.raw(env!("CARGO_PKG_VERSION").as_bytes());
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .ok()
        .map(|m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{modified}", m.len())
        })
        .unwrap_or_default();
    e.raw(exe.as_bytes());
    e.raw(rules_identity);
    e.bytes
}

/// Detects a damaged file (not a forged one: the cache lives in the user's own directory).
fn checksum(bytes: &[u8]) -> u64 {
    foldhash::quality::FixedState::with_seed(0x6375_6461).hash_one(bytes)
}

/// The entries of a cache file written with `context`, or `None` when it is foreign or damaged.
fn read_index(data: &[u8], context: &[u8]) -> Option<HashMap<Key, Range<usize>>> {
    let body_len = data.len().checked_sub(8)?;
    let (body, sum) = data.split_at(body_len);
    if checksum(body).to_le_bytes() != sum {
        return None;
    }
    let rest = body.strip_prefix(context)?;
    let mut d = Dec::new(rest);
    let n = d.count().ok()?;
    let mut index = HashMap::with_capacity(n);
    for _ in 0..n {
        let key: Key = d.fixed(32).ok()?.try_into().ok()?;
        let entry = d.raw().ok()?;
        let end = context.len() + d.position();
        index.insert(key, end - entry.len()..end);
    }
    d.is_done().then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn an_entry_is_found_again_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.bin");
        let rules = crate::rule::RuleSet::builtin().unwrap().identity();
        let key = Cache::key("a.cu", Lang::Cuda, b"__global__ void k() {}");
        let cache = Cache::open(file.clone(), &rules, dir::DEFAULT_MAX_SIZE);
        assert!(cache.get(&key).is_none());
        cache.put_ruled_out(key);
        cache.save().unwrap();

        let cache = Cache::open(file.clone(), &rules, dir::DEFAULT_MAX_SIZE);
        assert!(matches!(cache.get(&key), Some(Cached::RuledOut)));
        let other = Cache::key("b.cu", Lang::Cuda, b"__global__ void k() {}");
        assert!(cache.get(&other).is_none());

        // Any flipped byte, and any truncation, makes the whole file foreign.
        let bytes = std::fs::read(&file).unwrap();
        for i in [0, bytes.len() / 2, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x20;
            std::fs::write(&file, &damaged).unwrap();
            assert!(
                Cache::open(file.clone(), &rules, dir::DEFAULT_MAX_SIZE)
                    .get(&key)
                    .is_none()
            );
        }
        std::fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
        assert!(
            Cache::open(file.clone(), &rules, dir::DEFAULT_MAX_SIZE)
                .get(&key)
                .is_none()
        );
    }

    #[test]
    fn an_analysis_round_trips_and_builds_the_same_findings() {
        let rules = crate::rule::RuleSet::builtin().unwrap();
        let text = "#include <cuda_runtime.h>\n__global__ void k(float* p) { p[0] = __shfl_sync(0xffffffff, p[0], 1); }\nint main() { float* p; cudaMalloc(&p, 4); k<<<1, 1>>>(p); }\n";
        let path = std::path::Path::new("a.cu");
        let mut front_ends = crate::lang::FrontEnds::new();
        let fresh =
            crate::analysis::analyse_text(&mut front_ends, &rules, "a.cu", path, text, Lang::Cuda);
        assert!(fresh.hits.len() >= 4, "{:?}", fresh.hits);
        let mut e = Enc::default();
        fresh.encode(&mut e);
        let bytes = e.finish().unwrap();
        let decoded = FileAnalysis::decode(&mut Dec::new(&bytes)).unwrap();
        let findings = |a: &FileAnalysis| -> Vec<String> {
            a.hits
                .iter()
                .map(|h| {
                    let f =
                        crate::finding::Finding::new(h.clone(), rules.rule(h.rule), "a.cu", None);
                    format!("{f:?}")
                })
                .collect()
        };
        assert_eq!(findings(&fresh), findings(&decoded));
        assert_eq!(fresh.defined, decoded.defined);
        // Hits of one rule share one portability before and after.
        let shared = |a: &FileAnalysis| {
            let mut ptrs: Vec<_> = a.hits.iter().map(|h| Arc::as_ptr(&h.portability)).collect();
            ptrs.sort();
            ptrs.dedup();
            ptrs.len()
        };
        assert_eq!(shared(&fresh), shared(&decoded));
    }
}
