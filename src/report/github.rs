//! GitHub Actions workflow commands: one `::warning` (or `::notice`/`::error`) annotation per
//! finding, shown inline on the pull request's diff.

use super::Reporter;
use crate::audit::Audit;
use crate::rule::Level;
use crate::summary::Summary;
use std::io::{self, Write};

pub struct GithubReporter {
    /// With a gate, annotate the known findings too.
    pub show_known: bool,
}

impl Reporter for GithubReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        for f in &audit.findings {
            if !crate::gate::listed(audit.gate.as_ref(), f, self.show_known) {
                continue;
            }
            let command = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "notice",
            };
            let efforts: Vec<String> = audit
                .targets
                .iter()
                .map(|&t| {
                    let p = f.portability.get(t);
                    match &p.replacement {
                        Some(r) => format!("{t}: {} → {r}", p.effort),
                        None => format!("{t}: {}", p.effort),
                    }
                })
                .collect();
            let new = match f.baseline_state {
                Some(crate::finding::BaselineState::New) => "new ",
                _ => "",
            };
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                property(&f.path),
                f.start.line,
                f.start.column,
                f.end.line,
                f.end.column,
                property(&format!("cuda-audit {new}{}", f.rule_id)),
                data(&format!("{} ({})", f.message, efforts.join("; ")))
            )?;
        }
        let verdict = audit
            .gate
            .as_ref()
            .map(|g| format!("{}; ", g.headline()))
            .unwrap_or_default();
        writeln!(
            out,
            "{}",
            data(&format!(
                "cuda-audit: {verdict}{} findings; {}",
                audit.findings.len(),
                Summary::of(audit).files_line()
            ))
        )
    }
}

/// Escaping for the message part of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for property values (`file=`, `title=`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_values() {
        assert_eq!(property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(data("50%\nx"), "50%25%0Ax");
    }
}
