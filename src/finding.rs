//! `Hit`: one rule matched at one place, as a file's analysis leaves it; `Finding`: one CUDA
//! coupling at one place, with everything a reporter needs, built once from a hit after the
//! tree-wide steps have decided what depends on other files (whose code it is, existing ports).

use crate::portability::{Portability, Target};
use crate::rule::{Category, Level, Rule, RuleIdx};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// One rule matched at one place of one file: what the per-file analysis produces (and the
/// result cache stores). What the rule says — id, category, library, message, level — stays with
/// the rule; the path with the file.
#[derive(Clone, Debug)]
pub struct Hit {
    pub rule: RuleIdx,
    /// The CUDA name as written.
    pub symbol: Box<str>,
    pub detail: Option<Box<str>>,
    pub start: Location,
    pub end: Location,
    /// The source line the hit starts on.
    pub line: Box<str>,
    /// The rule's or the exact symbol's portability (shared with the rule data).
    pub portability: Arc<Portability>,
    /// When the scanned tree defines this name, the hit is dropped (pattern matches such as
    /// `cudaLikeHelper`, and rules marked `weak`).
    pub weak_name: Option<Box<str>>,
    /// Inside a declaration that only declares (a function prototype): what the file exposes,
    /// not a use. Never reported as the project's coupling; counted for vendored libraries.
    pub declaration: bool,
}

impl Hit {
    /// The order of hits within a file (the order of findings, the path aside).
    pub fn sort_key<'a>(&'a self, rule: &'a Rule) -> (usize, usize, &'a str, &'a str) {
        (self.start.line, self.start.column, &rule.id, &self.symbol)
    }
}

/// The hits of one file (path relative to the scan root), in file order.
#[derive(Clone, Debug, Default)]
pub struct FileHits {
    pub path: String,
    pub hits: Vec<Hit>,
}

/// What the tree-wide steps decided about a hit besides its rule: the port the code base already
/// has, with the portability that leaves.
#[derive(Clone, Debug)]
pub struct Cover {
    pub portability: Portability,
    pub port: ExistingPort,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule_id: String,
    pub category: Category,
    pub library: String,
    /// The CUDA name as written (`cudaMalloc`, `__global__`, `<<<>>>`, a header path).
    pub symbol: String,
    pub message: String,
    /// Extra context, e.g. the kernel a `__global__` defines or a launch starts.
    pub detail: Option<String>,
    pub level: Level,
    /// Path relative to the scan root, with forward slashes.
    pub path: String,
    pub start: Location,
    pub end: Location,
    /// The source line the finding starts on.
    pub snippet: String,
    /// Shared with the rule or symbol it comes from, unless an existing port lowered an effort.
    pub portability: Arc<Portability>,
    /// Stable identity for baselines and SARIF `partialFingerprints` (set by [`assign_fingerprints`]).
    pub fingerprint: String,
    /// New or known, when the scan compares against a baseline or a diff base.
    pub baseline_state: Option<BaselineState>,
    /// The portability layer the code base already has for this finding (a HIP shim, a ROCm branch).
    pub existing_port: Option<ExistingPort>,
}

/// Whether a finding was in the baseline (SARIF `baselineState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaselineState {
    New,
    Unchanged,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
        }
    }
}

/// How a finding is already ported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingPort {
    pub layer: Layer,
    /// Where the layer is (`file:line`) and what it is.
    pub evidence: String,
    pub targets: Vec<Target>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// A header mapping CUDA names to HIP names.
    Shim,
    /// A preprocessor branch with a ROCm sibling.
    Guard,
    /// A Python device path besides CUDA (`torch_xla`, `torch_neuronx`, `torch.version.hip`).
    DevicePath,
    /// A build that translates CUDA to HIP (`torch.utils.cpp_extension` hipifies on ROCm).
    BuildTranslation,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Shim => "shim",
            Layer::Guard => "guarded-branch",
            Layer::DevicePath => "device-path",
            Layer::BuildTranslation => "build-translation",
        }
    }
}

/// A 1-based position: line, column in characters, column in UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub column_utf16: usize,
}

impl Finding {
    /// The finding a hit of `rule` in the file at `path` is, with what the tree-wide steps
    /// decided about it (`cover`). Fingerprints come later, over the sorted list.
    pub fn new(hit: Hit, rule: &Rule, path: &str, cover: Option<Cover>) -> Finding {
        let (portability, existing_port) = match cover {
            Some(Cover { portability, port }) => (Arc::new(portability), Some(port)),
            None => (hit.portability, None),
        };
        Finding {
            rule_id: rule.id.clone(),
            category: rule.category,
            library: rule.library.clone(),
            message: rule.message_for(&hit.symbol),
            symbol: hit.symbol.into(),
            detail: hit.detail.map(String::from),
            level: rule.level,
            path: path.to_string(),
            start: hit.start,
            end: hit.end,
            snippet: hit.line.into(),
            portability,
            fingerprint: String::new(),
            baseline_state: None,
            existing_port,
        }
    }

    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (
            &self.path,
            self.start.line,
            self.start.column,
            &self.rule_id,
            &self.symbol,
        )
    }

    pub fn effort(&self, target: Target) -> crate::portability::Effort {
        self.portability.get(target).effort
    }
}

/// Collapses runs of white space and trims, so re-indenting a line keeps its fingerprint.
pub fn normalize_line(line: &str) -> String {
    let mut out = String::new();
    normalize_line_into(line, &mut out);
    out
}

/// [`normalize_line`] into a buffer (cleared first), to reuse one allocation.
fn normalize_line_into(line: &str, out: &mut String) {
    out.clear();
    for (i, word) in line.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Fingerprints depend on what a finding is — rule, path, symbol, normalised source line — plus
/// an occurrence counter for identical repeats, never on line numbers. SHA-256, first 16 bytes,
/// hex, then `:` and the counter. `findings` must already be sorted.
pub fn assign_fingerprints(findings: &mut [Finding]) {
    // The path is hashed, so identical digests only occur within one file: the counters can be
    // kept per file, and files fingerprinted on separate threads.
    let mut files: Vec<&mut [Finding]> = Vec::new();
    let mut rest = findings;
    while !rest.is_empty() {
        let n = rest.iter().take_while(|f| f.path == rest[0].path).count();
        let (file, tail) = rest.split_at_mut(n);
        files.push(file);
        rest = tail;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let mut chunks = files.chunks_mut(per_thread);
        let first = chunks.next();
        for chunk in chunks {
            scope.spawn(move || chunk.iter_mut().for_each(|f| fingerprint_file(f)));
        }
        if let Some(chunk) = first {
            chunk.iter_mut().for_each(|f| fingerprint_file(f));
        }
    });
}

fn fingerprint_file(findings: &mut [Finding]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut seen: std::collections::HashMap<[u8; 16], usize> = std::collections::HashMap::new();
    let mut line = String::new();
    for f in findings.iter_mut() {
        normalize_line_into(&f.snippet, &mut line);
        let mut hasher = Sha256::new();
        for part in [&f.rule_id, &f.path, &f.symbol, &line] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        let mut hash = [0u8; 16];
        hash.copy_from_slice(&digest[..16]);
        let n = seen.entry(hash).or_insert(0);
        *n += 1;
        let mut text = String::with_capacity(40);
        for b in hash {
            text.push(HEX[usize::from(b >> 4)] as char);
            text.push(HEX[usize::from(b & 15)] as char);
        }
        text.push(':');
        text.push_str(&n.to_string());
        f.fingerprint = text;
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::portability::{Effort, Port};

    /// A minimal finding for unit tests.
    pub fn finding(path: &str, line: usize) -> Finding {
        let port = Port {
            effort: Effort::Manual,
            replacement: None,
            note: None,
        };
        let at = Location {
            line,
            column: 1,
            column_utf16: 1,
        };
        Finding {
            rule_id: "rule".into(),
            category: Category::RuntimeApi,
            library: "cudart".into(),
            symbol: "cudaMalloc".into(),
            message: "m".into(),
            detail: None,
            level: Level::Warning,
            path: path.into(),
            start: at,
            end: at,
            snippet: "cudaMalloc(p, n);".into(),
            portability: Portability([port.clone(), port.clone(), port]).into(),
            fingerprint: String::new(),
            baseline_state: None,
            existing_port: None,
        }
    }
}
