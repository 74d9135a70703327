//! Suppression comments: `// cuda-audit: ignore[RULE,…] reason` (or `#` comments) silences the
//! named rules on its own line and the line below; `cuda-audit: ignore-file[RULE,…] reason`
//! silences them in the whole file. Without brackets, every rule. Each name may be a rule id, a
//! category or a library. Directives that silence nothing are reported, so they do not rot; a
//! directive without a reason can be made an error (`require-suppression-reason`).

use crate::note::FileNote;

/// What a directive looks at in a hit: its line and the names it goes by.
pub struct Subject<'a> {
    pub line: usize,
    pub rule_id: &'a str,
    pub category: &'a str,
    pub library: &'a str,
}

const MARKER: &str = "cuda-audit:";

#[derive(Debug, PartialEq, Eq)]
struct Directive {
    /// 1-based line of the comment.
    line: usize,
    file_wide: bool,
    /// Rule ids, categories or libraries; empty means every rule.
    names: Vec<String>,
    reason: String,
}

impl Directive {
    fn covers(&self, s: &Subject) -> bool {
        (self.file_wide || s.line == self.line || s.line == self.line + 1)
            && (self.names.is_empty()
                || self
                    .names
                    .iter()
                    .any(|n| n == s.rule_id || n == s.category || n == s.library))
    }
}

/// Parses the directives in a file. A directive must sit in a comment: the marker has to follow
/// a comment opener (`//`, `/*`, `#`, or a `*` continuing a block comment) on its line.
fn parse(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    if !text.contains(MARKER) {
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let before = &line[..at];
        let in_comment = before.contains("//")
            || before.contains("/*")
            || before.contains('#')
            || before.trim_start().starts_with('*');
        if !in_comment {
            continue;
        }
        let rest = line[at + MARKER.len()..].trim_start();
        let (file_wide, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
            (true, r)
        } else if let Some(r) = rest.strip_prefix("ignore") {
            (false, r)
        } else {
            continue;
        };
        let (names, rest) = match rest.strip_prefix('[') {
            Some(r) => match r.find(']') {
                Some(close) => (
                    r[..close]
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                    &r[close + 1..],
                ),
                None => continue,
            },
            None if rest.is_empty() || rest.starts_with(char::is_whitespace) => (Vec::new(), rest),
            None => continue,
        };
        let reason = rest
            .trim()
            .trim_end_matches("*/")
            .trim()
            .trim_start_matches(['-', ':'])
            .trim()
            .to_string();
        out.push(Directive {
            line: i + 1,
            file_wide,
            names,
            reason,
        });
    }
    out
}

/// Removes suppressed hits from one file's hits (`subject` says what a directive looks at in
/// one). Returns how many were suppressed, and notes for directives that silenced nothing or lack
/// a required reason.
pub fn apply<'r, T>(
    text: &str,
    path: &str,
    findings: &mut Vec<T>,
    subject: impl Fn(&T) -> Subject<'r>,
    require_reason: bool,
) -> (usize, Vec<FileNote>) {
    let directives = parse(text);
    if directives.is_empty() {
        return (0, Vec::new());
    }
    let mut notes = Vec::new();
    let active: Vec<&Directive> = directives
        .iter()
        .filter(|d| {
            let ok = !require_reason || !d.reason.is_empty();
            if !ok {
                notes.push(FileNote {
                    path: path.to_string(),
                    reason: crate::note::NoteReason::SuppressionWithoutReason,
                    message: format!("line {}: a `cuda-audit: ignore` comment needs a reason (require-suppression-reason)", d.line),
                });
            }
            ok
        })
        .collect();
    let mut used = vec![false; active.len()];
    let before = findings.len();
    findings.retain(|f| {
        let subject = subject(f);
        let mut suppressed = false;
        for (i, d) in active.iter().enumerate() {
            if d.covers(&subject) {
                used[i] = true;
                suppressed = true;
            }
        }
        !suppressed
    });
    for (d, used) in active.iter().zip(used) {
        if !used {
            let what = if d.names.is_empty() {
                "any rule".to_string()
            } else {
                d.names.join(", ")
            };
            notes.push(FileNote {
                path: path.to_string(),
                reason: crate::note::NoteReason::UnusedSuppression,
                message: format!(
                    "line {}: the suppression of {what} matches no finding",
                    d.line
                ),
            });
        }
    }
    (before - findings.len(), notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::finding::tests_support::finding;

    /// The rule the test findings come from is `rule` (library `cudart`).
    fn of_finding(f: &Finding) -> Subject<'static> {
        Subject {
            line: f.start.line,
            rule_id: "rule",
            category: f.category.as_str(),
            library: "cudart",
        }
    }

    #[test]
    fn parses_directives_in_comments_only() {
        let text = "a(); // cuda-audit: ignore[cudart-memory, nccl] ported next quarter\n\
                    # cuda-audit: ignore-file[kernel]\n\
                    s = \"cuda-audit: ignore\";\n\
                    /* cuda-audit: ignore legacy */\n";
        let d = parse(text);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].names, ["cudart-memory", "nccl"]);
        assert_eq!(d[0].reason, "ported next quarter");
        assert!(d[1].file_wide && d[1].reason.is_empty());
        assert_eq!(
            (d[2].line, d[2].names.len(), d[2].reason.as_str()),
            (4, 0, "legacy")
        );
    }

    #[test]
    fn suppresses_same_line_and_line_below_and_reports_unused() {
        let text =
            "// cuda-audit: ignore[rule] reason\nx\ny\n// cuda-audit: ignore[other] reason\n";
        let mut findings = vec![finding("a.cu", 2), finding("a.cu", 3)];
        let (n, notes) = apply(text, "a.cu", &mut findings, of_finding, false);
        assert_eq!(n, 1);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].start.line, 3);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].reason.as_str(), "unused-suppression");
    }

    #[test]
    fn reasonless_directives_can_be_refused() {
        let text = "x // cuda-audit: ignore[rule]\n";
        let mut findings = vec![finding("a.cu", 1)];
        let (n, notes) = apply(text, "a.cu", &mut findings, of_finding, true);
        assert_eq!(n, 0);
        assert_eq!(notes[0].reason.as_str(), "suppression-without-reason");
    }
}
