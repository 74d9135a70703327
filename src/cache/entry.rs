//! [`Codec`] for what one file's analysis yields ([`FileAnalysis`]) and the types inside it.

use crate::analysis::FileAnalysis;
use crate::codec::{Bad, Codec, Dec, Enc, Result, codec_enum, codec_struct};
use crate::finding::{Hit, Location};
use crate::hash::FastMap;
use crate::lang::ExtractWarning;
use crate::portability::{Effort, Port, Portability};
use std::sync::Arc;

codec_enum! {
    Effort => Effort::ALL,
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

/// A hit, its portability given as an index into its file's table ([`FileAnalysis`]'s
/// encoding), so that hits sharing one stay sharing it when decoded. The rule is its index in
/// the rule set: the cache key holds the rules' digest, so the index names the same rule.
fn encode_hit(h: &Hit, portability: usize, e: &mut Enc) {
    h.rule.encode(e);
    h.symbol.encode(e);
    h.detail.encode(e);
    h.start.encode(e);
    h.end.encode(e);
    h.line.encode(e);
    portability.encode(e);
    h.weak_name.encode(e);
    h.declaration.encode(e);
}

fn decode_hit(d: &mut Dec, portabilities: &[Arc<Portability>]) -> Result<Hit> {
    Ok(Hit {
        rule: Codec::decode(d)?,
        symbol: Codec::decode(d)?,
        detail: Codec::decode(d)?,
        start: Codec::decode(d)?,
        end: Codec::decode(d)?,
        line: Codec::decode(d)?,
        portability: portabilities.get(d.usize()?).ok_or(Bad)?.clone(),
        weak_name: Codec::decode(d)?,
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

impl Codec for FileAnalysis {
    fn encode(&self, e: &mut Enc) {
        // The distinct portabilities (hits of one rule or symbol share one), then the hits
        // pointing into that table.
        let mut table: Vec<&Arc<Portability>> = Vec::new();
        let mut index: FastMap<*const Portability, usize> = FastMap::default();
        let at: Vec<usize> = self
            .hits
            .iter()
            .map(|h| {
                *index.entry(Arc::as_ptr(&h.portability)).or_insert_with(|| {
                    table.push(&h.portability);
                    table.len() - 1
                })
            })
            .collect();
        e.u64(table.len() as u64);
        for p in table {
            p.encode(e);
        }
        e.u64(self.hits.len() as u64);
        for (h, &i) in self.hits.iter().zip(&at) {
            encode_hit(h, i, e);
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
        let mut hits = Vec::with_capacity(n);
        for _ in 0..n {
            hits.push(decode_hit(d, &table)?);
        }
        Ok(FileAnalysis {
            hits,
            defined: Codec::decode(d)?,
            warnings: Codec::decode(d)?,
            skip: Codec::decode(d)?,
            ports: Codec::decode(d)?,
            imports: Codec::decode(d)?,
        })
    }
}
