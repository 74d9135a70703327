//! Notes about files: why one was skipped, or what to know about one that was scanned. Every
//! stage that meets a file it cannot fully analyse says so with a note, counted in every report.

/// One file that was skipped or warned about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileNote {
    pub path: String,
    pub reason: &'static str,
    pub message: String,
}
