//! `Finding`: one CUDA coupling at one place, with everything a reporter needs.

use crate::portability::{Portability, Target};
use crate::rule::{Category, Level};
use sha2::{Digest, Sha256};

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
    pub portability: Portability,
    /// Stable identity for baselines and SARIF `partialFingerprints` (set by [`assign_fingerprints`]).
    pub fingerprint: String,
    /// When the scanned tree defines this name, the finding is dropped (pattern matches such as
    /// `cudaLikeHelper`, and rules marked `weak`).
    pub weak_name: Option<String>,
    /// New or known, when the scan compares against a baseline or a diff base.
    pub baseline_state: Option<crate::baseline::BaselineState>,
    /// The portability layer the code base already has for this finding (a HIP shim, a ROCm branch).
    pub existing_port: Option<crate::ports::ExistingPort>,
}

/// A 1-based position: line, column in characters, column in UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub column_utf16: usize,
}

impl Finding {
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
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Fingerprints depend on what a finding is — rule, path, symbol, normalised source line — plus
/// an occurrence counter for identical repeats, never on line numbers. SHA-256, first 16 bytes,
/// hex, then `:` and the counter. `findings` must already be sorted.
pub fn assign_fingerprints(findings: &mut [Finding]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in findings.iter_mut() {
        let mut hasher = Sha256::new();
        for part in [
            f.rule_id.as_str(),
            f.path.as_str(),
            f.symbol.as_str(),
            normalize_line(&f.snippet).as_str(),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let n = seen.entry(hash.clone()).or_insert(0);
        *n += 1;
        f.fingerprint = format!("{hash}:{n}");
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
            portability: Portability([port.clone(), port.clone(), port]),
            fingerprint: String::new(),
            weak_name: None,
            baseline_state: None,
            existing_port: None,
        }
    }
}
