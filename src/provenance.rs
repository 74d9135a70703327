//! Which project, commit and date a report describes: the scan root's directory name, the git
//! commit checked out there (and its branch), and a date.
//!
//! Reports stay a function of the tree: with a commit, the date is the commit's committer date;
//! only without one is it the day of the scan (UTC, or `$SOURCE_DATE_EPOCH`'s day when set, the
//! reproducible-builds convention). The name is the root directory's own name, never its absolute
//! path, which would differ between machines and leak home directories.
//!
//! git is run as [`crate::diff`] runs it: a scanned repository's configuration cannot start a
//! program (no fsmonitor, no hooks, no signature verification, no prompt). A missing git, a tree
//! outside any repository or a repository without commits only leave the commit out: provenance
//! never fails a scan.

use serde::Serialize;
use std::path::Path;

/// Hex digits of a commit hash shown in the HTML and Markdown reports (JSON has the full hash).
pub const SHORT_COMMIT: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The scan root's directory name (`/` for the file-system root).
    pub name: String,
    /// The full hash of the commit checked out at the scan root, when it is inside a git
    /// repository that has one.
    pub commit: Option<String>,
    /// The branch checked out, when there is a commit and HEAD is not detached.
    pub branch: Option<String>,
    /// `YYYY-MM-DD` (UTC): the commit's committer date, or without a commit the scan's date.
    pub date: String,
}

impl Provenance {
    /// The provenance of a scan of `root` (the scan root, as the report's paths are relative to).
    pub fn of(root: &Path) -> Provenance {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "/".to_string());
        match head_commit(root) {
            Some((commit, committed)) => Provenance {
                name,
                branch: git(root, &["symbolic-ref", "--quiet", "--short", "HEAD"])
                    .map(|b| b.trim().to_string())
                    .filter(|b| !b.is_empty()),
                commit: Some(commit),
                date: utc_date(committed),
            },
            None => Provenance {
                name,
                commit: None,
                branch: None,
                date: utc_date(scan_time()),
            },
        }
    }

    /// The commit hash as the HTML and Markdown reports show it.
    pub fn short_commit(&self) -> Option<&str> {
        self.commit
            .as_deref()
            .map(|c| c.get(..SHORT_COMMIT).unwrap_or(c))
    }

    /// One phrase for a report header, every name from the repository passed through `quote`
    /// (the format's escaping): "`name` at `1a2b3c4d5e6f` on `main`, committed 2024-05-01", or
    /// "`name`, scanned 2024-05-01 (no git commit)".
    pub fn describe(&self, quote: impl Fn(&str) -> String) -> String {
        let name = quote(&self.name);
        match self.short_commit() {
            Some(commit) => {
                let branch = self
                    .branch
                    .as_deref()
                    .map(|b| format!(" on {}", quote(b)))
                    .unwrap_or_default();
                format!(
                    "{name} at {}{branch}, committed {}",
                    quote(commit),
                    self.date
                )
            }
            None => format!("{name}, scanned {} (no git commit)", self.date),
        }
    }
}

/// Runs git in `dir` the way diff mode does ([`crate::diff::git`]); its output, or `None` when
/// git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    crate::diff::git(dir, args).ok()
}

/// HEAD's full hash and committer time (seconds since the epoch).
fn head_commit(root: &Path) -> Option<(String, i64)> {
    let out = git(
        root,
        &[
            "log",
            "-1",
            "--no-show-signature",
            "--no-color",
            "--format=%H %ct",
            "HEAD",
            "--",
        ],
    )?;
    let mut parts = out.split_whitespace();
    let hash = parts.next()?;
    let time = parts.next()?.parse().ok()?;
    hash.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| (hash.to_string(), time))
}

/// Now, or `$SOURCE_DATE_EPOCH` when it is set to a number of seconds.
fn scan_time() -> i64 {
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
    {
        return secs;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The UTC day of a time in seconds since the epoch, as `YYYY-MM-DD` (the proleptic Gregorian
/// calendar; Howard Hinnant's `civil_from_days`).
pub fn utc_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(86_399), "1970-01-01");
        assert_eq!(utc_date(86_400), "1970-01-02");
        assert_eq!(utc_date(-1), "1969-12-31");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_709_251_199), "2024-02-29");
        assert_eq!(utc_date(1_709_251_200), "2024-03-01");
        assert_eq!(utc_date(4_102_444_800), "2100-01-01");
    }

    #[test]
    fn describes_with_and_without_a_commit() {
        let tick = |s: &str| format!("`{s}`");
        let mut p = Provenance {
            name: "proj".into(),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            branch: Some("main".into()),
            date: "2024-05-01".into(),
        };
        assert_eq!(
            p.describe(tick),
            "`proj` at `0123456789ab` on `main`, committed 2024-05-01"
        );
        p.branch = None;
        assert_eq!(
            p.describe(tick),
            "`proj` at `0123456789ab`, committed 2024-05-01"
        );
        p.commit = None;
        assert_eq!(
            p.describe(tick),
            "`proj`, scanned 2024-05-01 (no git commit)"
        );
    }
}
