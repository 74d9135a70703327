//! [`OffsetMap`]: byte offsets in a decoded text (a string literal's value, a notebook cell's
//! source) mapped back to byte offsets in the text it was decoded from.
//!
//! A decoded text is a sequence of segments. A *literal* segment is a run of bytes copied
//! unchanged, so offsets inside it map one to one. An *opaque* segment is an escape sequence
//! (`\n`, `\u00e9`) or a placeholder (an f-string interpolation): its decoded bytes have no
//! counterpart of their own, so a span starting inside it starts at the escape and a span ending
//! inside it ends after the escape. Mapped offsets are therefore always character boundaries of
//! the original text.

use std::ops::Range;

#[derive(Clone, Debug, Default)]
pub struct OffsetMap {
    segs: Vec<Seg>,
    len: usize,
}

#[derive(Clone, Copy, Debug)]
struct Seg {
    dec: usize,
    dec_len: usize,
    raw: usize,
    raw_len: usize,
    literal: bool,
}

impl Seg {
    fn raw_end(&self) -> usize {
        self.raw + self.raw_len
    }
}

impl OffsetMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Length of the decoded text mapped so far.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// `len` decoded bytes copied unchanged from `raw..raw + len`.
    pub fn push_literal(&mut self, raw: usize, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.segs.last_mut() {
            if last.literal && last.raw_end() == raw && last.dec + last.dec_len == self.len {
                last.dec_len += len;
                last.raw_len += len;
                self.len += len;
                return;
            }
        }
        self.segs.push(Seg {
            dec: self.len,
            dec_len: len,
            raw,
            raw_len: len,
            literal: true,
        });
        self.len += len;
    }

    /// `dec_len` decoded bytes (possibly none) standing for the original bytes `raw`.
    pub fn push_opaque(&mut self, raw: Range<usize>, dec_len: usize) {
        self.segs.push(Seg {
            dec: self.len,
            dec_len,
            raw: raw.start,
            raw_len: raw.end - raw.start,
            literal: false,
        });
        self.len += dec_len;
    }

    /// Appends another map (of text decoded right after this one's).
    pub fn append(&mut self, other: &OffsetMap) {
        for s in &other.segs {
            if s.literal {
                self.push_literal(s.raw, s.dec_len);
            } else {
                self.push_opaque(s.raw..s.raw_end(), s.dec_len);
            }
        }
    }

    /// This map followed by `outer` (which maps this map's original text further back).
    pub fn compose(&self, outer: &OffsetMap) -> OffsetMap {
        let mut out = OffsetMap::new();
        for s in &self.segs {
            if !s.literal {
                out.push_opaque(outer.start(s.raw)..outer.end(s.raw_end()), s.dec_len);
                continue;
            }
            // A literal run of the middle text: copy `outer`'s pieces that cover it.
            let (lo, hi) = (s.raw, s.raw_end());
            let first = outer.segs.partition_point(|o| o.dec + o.dec_len <= lo);
            for o in &outer.segs[first..] {
                if o.dec >= hi {
                    break;
                }
                let a = lo.max(o.dec);
                let b = hi.min(o.dec + o.dec_len);
                if a >= b {
                    continue;
                }
                if o.literal {
                    out.push_literal(o.raw + (a - o.dec), b - a);
                } else {
                    out.push_opaque(o.raw..o.raw_end(), b - a);
                }
            }
        }
        out
    }

    /// Where a span starting at decoded offset `d` starts in the original.
    pub fn start(&self, d: usize) -> usize {
        let i = self.segs.partition_point(|s| s.dec <= d);
        let Some(seg) = i.checked_sub(1).map(|i| self.segs[i]) else {
            return self.segs.first().map_or(0, |s| s.raw);
        };
        if d < seg.dec + seg.dec_len {
            if seg.literal {
                seg.raw + (d - seg.dec)
            } else {
                seg.raw
            }
        } else {
            seg.raw_end()
        }
    }

    /// Where a span ending at decoded offset `d` (exclusive) ends in the original.
    pub fn end(&self, d: usize) -> usize {
        let i = self.segs.partition_point(|s| s.dec < d);
        let Some(seg) = i.checked_sub(1).map(|i| self.segs[i]) else {
            return self.segs.first().map_or(0, |s| s.raw);
        };
        if seg.literal && d <= seg.dec + seg.dec_len {
            seg.raw + (d - seg.dec)
        } else {
            seg.raw_end()
        }
    }

    /// A decoded span in original offsets (never inverted).
    pub fn span(&self, r: Range<usize>) -> Range<usize> {
        let start = self.start(r.start);
        let end = self.end(r.end).max(start);
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_escapes() {
        // raw: `ab\ncd` (6 bytes) decoded: "ab\ncd" (5 bytes)
        let mut m = OffsetMap::new();
        m.push_literal(10, 2);
        m.push_opaque(12..14, 1);
        m.push_literal(14, 2);
        assert_eq!(m.len(), 5);
        assert_eq!(m.start(0), 10);
        assert_eq!(m.start(2), 12);
        assert_eq!(m.start(3), 14);
        assert_eq!(m.end(2), 12);
        assert_eq!(m.end(3), 14);
        assert_eq!(m.end(5), 16);
        assert_eq!(m.span(3..5), 14..16);
        assert_eq!(m.start(99), 16);
    }

    #[test]
    fn discontiguous_pieces_and_empty_escapes() {
        let mut m = OffsetMap::new();
        m.push_literal(0, 3);
        m.push_opaque(3..5, 0); // a line continuation
        m.push_literal(100, 3);
        assert_eq!(m.start(3), 100);
        assert_eq!(m.end(3), 3);
        assert_eq!(m.span(1..5), 1..102);
        assert_eq!(OffsetMap::new().span(0..0), 0..0);
    }

    #[test]
    fn composition() {
        // outer: file `x\ty` (4 bytes at 50) → middle "x\ty" (3 bytes)
        let mut outer = OffsetMap::new();
        outer.push_literal(50, 1);
        outer.push_opaque(51..53, 1);
        outer.push_literal(53, 1);
        // inner: middle bytes 0..3 copied literally
        let mut inner = OffsetMap::new();
        inner.push_literal(0, 3);
        let c = inner.compose(&outer);
        assert_eq!(c.len(), 3);
        assert_eq!(c.span(0..1), 50..51);
        assert_eq!(c.span(1..2), 51..53);
        assert_eq!(c.span(2..3), 53..54);
    }
}
