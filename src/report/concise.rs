//! One line per finding, for grep, editors and scripts (ruff's `concise`, ripgrep's
//! `path:line:col`): `path:line:col: rule symbol [rocm:effort neuron:effort tpu:effort]`.
//! With a gate, only the new findings, then the verdict on a line of its own.

use super::Reporter;
use crate::audit::Audit;
use crate::finding::BaselineState;
use std::io::{self, Write};

pub struct ConciseReporter {
    /// With a gate, list the known findings too (marked `(new)` / unmarked).
    pub show_known: bool,
}

impl Reporter for ConciseReporter {
    fn write(&self, audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
        let mark_new = audit.gate.is_some() && self.show_known;
        for f in &audit.findings {
            if !crate::gate::listed(audit.gate.as_ref(), f, self.show_known) {
                continue;
            }
            write!(
                out,
                "{}:{}:{}: {} {} [",
                f.path,
                f.start.line,
                f.start.column,
                f.rule_id,
                one_line(&f.symbol)
            )?;
            for (i, &t) in audit.targets.iter().enumerate() {
                let sep = if i == 0 { "" } else { " " };
                write!(out, "{sep}{t}:{}", f.effort(t).as_str())?;
            }
            let new = if mark_new && f.baseline_state == Some(BaselineState::New) {
                " (new)"
            } else {
                ""
            };
            writeln!(out, "]{new}")?;
        }
        if let Some(gate) = &audit.gate {
            writeln!(out, "{}", gate.headline())?;
        }
        Ok(())
    }
}

/// A symbol on one line: a multi-line symbol (a launch split over lines) is joined.
fn one_line(symbol: &str) -> std::borrow::Cow<'_, str> {
    if symbol.contains(['\n', '\r']) {
        symbol
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .into()
    } else {
        symbol.into()
    }
}
