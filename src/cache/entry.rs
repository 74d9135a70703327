//! [`Codec`] for what one file's analysis yields ([`ScannedText`]) and the types inside it.

use crate::analysis::ScannedText;
use crate::codec::{Bad, Codec, Dec, Enc, Result, codec_enum, codec_struct};
use crate::finding::BaselineState;
use crate::finding::{ExistingPort, Layer};
use crate::finding::{Finding, Location};
use crate::hash::FastMap;
use crate::lang::ExtractWarning;
use crate::portability::{Effort, Port, Portability, Target};
use crate::rule::{Category, Level};
use std::sync::Arc;

const LEVELS: [Level; 3] = [Level::Note, Level::Warning, Level::Error];
const LAYERS: [Layer; 4] = [
    Layer::Shim,
    Layer::Guard,
    Layer::DevicePath,
    Layer::BuildTranslation,
];
const STATES: [BaselineState; 2] = [BaselineState::New, BaselineState::Unchanged];

codec_enum! {
    Level => LEVELS,
    Layer => LAYERS,
    BaselineState => STATES,
    Category => Category::ALL,
    Effort => Effort::ALL,
    Target => Target::ALL,
    crate::note::NoteReason => crate::note::NoteReason::ALL,
}

codec_struct!(Location {
    line,
    column,
    column_utf16
});
codec_struct!(Port {
    effort,
    replacement,
    note
});
codec_struct!(ExistingPort {
    layer,
    evidence,
    targets
});

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

/// A finding as one file's analysis leaves it, its portability given as an index into its
/// file's table ([`ScannedText`]'s encoding), so that findings sharing one stay sharing it when
/// decoded. What later steps set — the fingerprint, the baseline state, the existing port — is
/// not stored: it is always empty here.
fn encode_finding(f: &Finding, portability: usize, e: &mut Enc) {
    f.rule_id.encode(e);
    f.category.encode(e);
    f.library.encode(e);
    f.symbol.encode(e);
    f.message.encode(e);
    f.detail.encode(e);
    f.level.encode(e);
    f.path.encode(e);
    f.start.encode(e);
    f.end.encode(e);
    f.snippet.encode(e);
    portability.encode(e);
    f.weak_name.encode(e);
    f.declaration.encode(e);
}

fn decode_finding(d: &mut Dec, portabilities: &[Arc<Portability>]) -> Result<Finding> {
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
        portability: portabilities.get(d.usize()?).ok_or(Bad)?.clone(),
        fingerprint: String::new(),
        weak_name: Codec::decode(d)?,
        baseline_state: None,
        existing_port: None,
        declaration: Codec::decode(d)?,
    })
}

impl Codec for ExtractWarning {
    fn encode(&self, e: &mut Enc) {
        self.reason.encode(e);
        self.message.encode(e);
        self.offset.encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        Ok(ExtractWarning {
            reason: Codec::decode(d)?,
            message: Codec::decode(d)?,
            offset: Codec::decode(d)?,
        })
    }
}

impl Codec for ScannedText {
    fn encode(&self, e: &mut Enc) {
        // The distinct portabilities (findings of one rule or symbol share one), then the
        // findings pointing into that table.
        let mut table: Vec<&Arc<Portability>> = Vec::new();
        let mut index: FastMap<*const Portability, usize> = FastMap::default();
        let at: Vec<usize> = self
            .findings
            .iter()
            .map(|f| {
                *index.entry(Arc::as_ptr(&f.portability)).or_insert_with(|| {
                    table.push(&f.portability);
                    table.len() - 1
                })
            })
            .collect();
        e.u64(table.len() as u64);
        for p in table {
            p.encode(e);
        }
        e.u64(self.findings.len() as u64);
        for (f, &i) in self.findings.iter().zip(&at) {
            encode_finding(f, i, e);
        }
        self.defined.encode(e);
        self.warnings.encode(e);
        self.skip.encode(e);
        self.ports.encode(e);
        self.imports.encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        let table: Vec<Arc<Portability>> = Codec::decode(d)?;
        let n = d.count()?;
        let mut findings = Vec::with_capacity(n);
        for _ in 0..n {
            findings.push(decode_finding(d, &table)?);
        }
        Ok(ScannedText {
            findings,
            defined: Codec::decode(d)?,
            warnings: Codec::decode(d)?,
            skip: Codec::decode(d)?,
            ports: Codec::decode(d)?,
            imports: Codec::decode(d)?,
        })
    }
}
