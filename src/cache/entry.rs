//! [`Codec`] for what one file's analysis yields ([`ScannedText`]) and the types inside it.

use super::codec::{Codec, Dec, Enc, Result, static_str};
use crate::baseline::BaselineState;
use crate::finding::{Finding, Location};
use crate::lang::ExtractWarning;
use crate::portability::{Effort, Port, Portability, Target};
use crate::ports::{ExistingPort, Layer};
use crate::rule::{Category, Level};
use crate::scan::ScannedText;

const LEVELS: [Level; 3] = [Level::Note, Level::Warning, Level::Error];
const LAYERS: [Layer; 4] = [
    Layer::Shim,
    Layer::Guard,
    Layer::DevicePath,
    Layer::BuildTranslation,
];
const STATES: [BaselineState; 2] = [BaselineState::New, BaselineState::Unchanged];

macro_rules! variants {
    ($($ty:ty => $all:expr),* $(,)?) => {$(
        impl Codec for $ty {
            fn encode(&self, e: &mut Enc) {
                e.variant(self, &$all);
            }
            fn decode(d: &mut Dec) -> Result<Self> {
                d.variant(&$all)
            }
        }
    )*};
}

variants! {
    Level => LEVELS,
    Layer => LAYERS,
    BaselineState => STATES,
    Category => Category::ALL,
    Effort => Effort::ALL,
    Target => Target::ALL,
}

impl Codec for Location {
    fn encode(&self, e: &mut Enc) {
        (self.line, (self.column, self.column_utf16)).encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        let (line, (column, column_utf16)) = Codec::decode(d)?;
        Ok(Location {
            line,
            column,
            column_utf16,
        })
    }
}

impl Codec for Port {
    fn encode(&self, e: &mut Enc) {
        self.effort.encode(e);
        self.replacement.encode(e);
        self.note.encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        Ok(Port {
            effort: Codec::decode(d)?,
            replacement: Codec::decode(d)?,
            note: Codec::decode(d)?,
        })
    }
}

impl Codec for Portability {
    fn encode(&self, e: &mut Enc) {
        for port in &self.0 {
            port.encode(e);
        }
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        Ok(Portability([
            Codec::decode(d)?,
            Codec::decode(d)?,
            Codec::decode(d)?,
        ]))
    }
}

impl Codec for ExistingPort {
    fn encode(&self, e: &mut Enc) {
        self.layer.encode(e);
        self.evidence.encode(e);
        self.targets.encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        Ok(ExistingPort {
            layer: Codec::decode(d)?,
            evidence: Codec::decode(d)?,
            targets: Codec::decode(d)?,
        })
    }
}

impl Codec for Finding {
    fn encode(&self, e: &mut Enc) {
        self.rule_id.encode(e);
        self.category.encode(e);
        self.library.encode(e);
        self.symbol.encode(e);
        self.message.encode(e);
        self.detail.encode(e);
        self.level.encode(e);
        self.path.encode(e);
        self.start.encode(e);
        self.end.encode(e);
        self.snippet.encode(e);
        self.portability.encode(e);
        self.fingerprint.encode(e);
        self.weak_name.encode(e);
        self.baseline_state.encode(e);
        self.existing_port.encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        Ok(Finding {
            rule_id: Codec::decode(d)?,
            category: Codec::decode(d)?,
            library: Codec::decode(d)?,
            symbol: Codec::decode(d)?,
            message: Codec::decode(d)?,
            detail: Codec::decode(d)?,
            level: Codec::decode(d)?,
            path: Codec::decode(d)?,
            start: Codec::decode(d)?,
            end: Codec::decode(d)?,
            snippet: Codec::decode(d)?,
            portability: Codec::decode(d)?,
            fingerprint: Codec::decode(d)?,
            weak_name: Codec::decode(d)?,
            baseline_state: Codec::decode(d)?,
            existing_port: Codec::decode(d)?,
        })
    }
}

impl Codec for ExtractWarning {
    fn encode(&self, e: &mut Enc) {
        self.reason.to_string().encode(e);
        self.message.encode(e);
        self.offset.encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        Ok(ExtractWarning {
            reason: static_str(Codec::decode(d)?)?,
            message: Codec::decode(d)?,
            offset: Codec::decode(d)?,
        })
    }
}

impl Codec for ScannedText {
    fn encode(&self, e: &mut Enc) {
        self.findings.encode(e);
        self.defined.encode(e);
        self.warnings.encode(e);
        self.skip.encode(e);
        self.ports.encode(e);
        self.includes.encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        let mut findings: Vec<Finding> = Codec::decode(d)?;
        share_portabilities(&mut findings);
        Ok(ScannedText {
            findings,
            defined: Codec::decode(d)?,
            warnings: Codec::decode(d)?,
            skip: Codec::decode(d)?,
            ports: Codec::decode(d)?,
            includes: Codec::decode(d)?,
        })
    }
}

/// Findings of one rule or symbol share one `Portability`, as a fresh analysis leaves them.
fn share_portabilities(findings: &mut [Finding]) {
    let mut distinct: Vec<std::sync::Arc<Portability>> = Vec::new();
    for f in findings {
        match distinct.iter().find(|p| **p == f.portability) {
            Some(p) => f.portability = p.clone(),
            None if distinct.len() < 64 => distinct.push(f.portability.clone()),
            None => {}
        }
    }
}
