//! CUDA C++ in string literals (a kernel handed to NVRTC, or one holding `__global__`): parsed
//! with the CUDA grammar, its facts placed at their real offsets in the file.

use super::Facts;
use crate::lang::cpp::CppFrontEnd;
use crate::lang::{Fact, Lang};
use std::cell::RefCell;
use std::ops::Range;

thread_local! {
    /// The C-family parser for CUDA source in strings (created on first use, one per thread).
    static CPP: RefCell<Option<CppFrontEnd>> = const { RefCell::new(None) };
}

/// Whether a string holds CUDA C++ (a kernel) even when no NVRTC call is seen taking it.
pub(super) fn looks_like_cuda(s: &str) -> bool {
    s.contains("__global__")
        || (s.contains("extern \"C\"")
            && ["__device__", "threadIdx", "blockIdx"]
                .iter()
                .any(|w| s.contains(w)))
}

/// The file offset of each byte of a string literal's value (and one for its end), when the
/// literal is raw or its escapes are simple; `None` when the value cannot be mapped back.
fn literal_map(src: &str, span: Range<usize>, value: &str) -> Option<Vec<usize>> {
    let raw = src.get(span.clone())?;
    let mut map = Vec::with_capacity(value.len() + 1);
    if let Some(rest) = raw.strip_prefix('r') {
        let hashes = rest.len() - rest.trim_start_matches('#').len();
        let start = 2 + hashes;
        let end = raw.len().checked_sub(1 + hashes)?;
        if raw.get(start..end)? != value {
            return None;
        }
        map.extend((0..=value.len()).map(|i| span.start + start + i));
        return Some(map);
    }
    let content = raw.strip_prefix('"')?.strip_suffix('"')?;
    let base = span.start + 1;
    let mut out = String::with_capacity(content.len());
    let mut chars = content.char_indices().peekable();
    while let Some((j, c)) = chars.next() {
        let decoded = if c == '\\' {
            let (_, e) = chars.next()?;
            match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                '\\' | '\'' | '"' => e,
                '\n' => {
                    while chars.next_if(|(_, w)| w.is_whitespace()).is_some() {}
                    continue;
                }
                _ => return None,
            }
        } else {
            c
        };
        out.push(decoded);
        map.extend((0..decoded.len_utf8()).map(|k| base + j + k.min(c.len_utf8() - 1)));
    }
    map.push(span.end - 1);
    (out == value).then_some(map)
}

impl Facts<'_> {
    /// CUDA C++ in a string literal (a kernel handed to NVRTC): parsed with the CUDA grammar, its
    /// facts placed at their real offsets. Raw strings and strings with simple escapes only.
    pub(super) fn cuda_source(&mut self, value: &str, lit_span: Range<usize>) {
        if value.trim().is_empty() || !self.parsed_sources.insert(lit_span.start) {
            return;
        }
        let Some(map) = literal_map(self.src, lit_span, value) else {
            return;
        };
        let inner = CPP.with(|cpp| {
            cpp.borrow_mut()
                .get_or_insert_with(CppFrontEnd::new)
                .extract(value, Lang::Cuda)
        });
        if inner.skip.is_some() {
            return;
        }
        for f in inner.facts {
            let start = map[f.span.start];
            let end = if f.span.end > f.span.start {
                map[f.span.end - 1] + 1
            } else {
                start
            };
            let what = "CUDA source in a string";
            let detail = match f.detail {
                Some(d) => format!("{d}; {what}"),
                None => what.to_string(),
            };
            self.extra.push(Fact {
                kind: f.kind,
                text: f.text,
                span: start..end,
                detail: Some(detail),
                lang: Some(f.lang.unwrap_or(Lang::Cuda)),
            });
        }
        self.defined.extend(inner.defined);
    }
}
