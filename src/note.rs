//! Notes about files: why one was skipped, or what to know about one that was scanned. Every
//! stage that meets a file it cannot fully analyse says so with a note, counted in every report
//! by its reason.

use std::fmt;

/// Why a file was skipped or noted: one list for the walk, the front ends, suppressions and the
/// scan. Spelt in reports as the kebab-case [`NoteReason::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoteReason {
    // Skipped by the walk or before the parse.
    Binary,
    TooLarge,
    Empty,
    Unreadable,
    NotRegularFile,
    Symlink,
    SymlinkOutsideRoot,
    BrokenSymlink,
    SymlinkLoop,
    WalkError,
    ParseTimeout,
    InternalError,
    // Scanned, with a caveat.
    InvalidUtf8,
    FindingsCapped,
    MalformedToml,
    MalformedYaml,
    MalformedGoMod,
    MalformedNotebook,
    UnusedSuppression,
    SuppressionWithoutReason,
}

impl NoteReason {
    /// Every reason, in declaration order (the result cache encodes a reason by its index).
    pub const ALL: [NoteReason; 20] = [
        NoteReason::Binary,
        NoteReason::TooLarge,
        NoteReason::Empty,
        NoteReason::Unreadable,
        NoteReason::NotRegularFile,
        NoteReason::Symlink,
        NoteReason::SymlinkOutsideRoot,
        NoteReason::BrokenSymlink,
        NoteReason::SymlinkLoop,
        NoteReason::WalkError,
        NoteReason::ParseTimeout,
        NoteReason::InternalError,
        NoteReason::InvalidUtf8,
        NoteReason::FindingsCapped,
        NoteReason::MalformedToml,
        NoteReason::MalformedYaml,
        NoteReason::MalformedGoMod,
        NoteReason::MalformedNotebook,
        NoteReason::UnusedSuppression,
        NoteReason::SuppressionWithoutReason,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoteReason::Binary => "binary",
            NoteReason::TooLarge => "too-large",
            NoteReason::Empty => "empty",
            NoteReason::Unreadable => "unreadable",
            NoteReason::NotRegularFile => "not-a-regular-file",
            NoteReason::Symlink => "symlink",
            NoteReason::SymlinkOutsideRoot => "symlink-outside-root",
            NoteReason::BrokenSymlink => "broken-symlink",
            NoteReason::SymlinkLoop => "symlink-loop",
            NoteReason::WalkError => "walk-error",
            NoteReason::ParseTimeout => "parse-timeout",
            NoteReason::InternalError => "internal-error",
            NoteReason::InvalidUtf8 => "invalid-utf8",
            NoteReason::FindingsCapped => "findings-capped",
            NoteReason::MalformedToml => "malformed-toml",
            NoteReason::MalformedYaml => "malformed-yaml",
            NoteReason::MalformedGoMod => "malformed-go-mod",
            NoteReason::MalformedNotebook => "malformed-notebook",
            NoteReason::UnusedSuppression => "unused-suppression",
            NoteReason::SuppressionWithoutReason => "suppression-without-reason",
        }
    }
}

impl fmt::Display for NoteReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for NoteReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One file that was skipped or warned about. Ordered by path, then reason as spelt, then
/// message: the order reports list notes in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileNote {
    pub path: String,
    pub reason: NoteReason,
    pub message: String,
}

impl Ord for FileNote {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.path, self.reason.as_str(), &self.message).cmp(&(
            &other.path,
            other.reason.as_str(),
            &other.message,
        ))
    }
}

impl PartialOrd for FileNote {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::NoteReason;

    #[test]
    fn every_reason_is_listed_once_and_spelt_differently() {
        let spellings: std::collections::BTreeSet<&str> =
            NoteReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(spellings.len(), NoteReason::ALL.len());
    }
}
