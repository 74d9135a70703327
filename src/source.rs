//! `SourceFile`: one scanned file's text, its path relative to the scan root, and a line index
//! that turns byte offsets into 1-based lines and columns (in characters for people, in UTF-16
//! code units for SARIF).

use std::borrow::Cow;

/// Why a file's bytes were not turned into text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undecodable {
    /// A NUL byte near the start: not text.
    Binary,
}

/// The decoded text of a file and whether decoding had to replace invalid UTF-8.
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub lossy: bool,
}

/// How far into a file to look for a NUL byte when deciding it is binary (as git and ripgrep do).
const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// Decodes file bytes: binary files are refused, a UTF-8 BOM is dropped, and invalid UTF-8 is
/// replaced (U+FFFD) so that one stray byte never hides the rest of a file.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Undecodable> {
    if bytes[..bytes.len().min(BINARY_SNIFF_LEN)].contains(&0) {
        return Err(Undecodable::Binary);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Decoded {
            text: Cow::Borrowed(text),
            lossy: false,
        }),
        Err(_) => Ok(Decoded {
            text: String::from_utf8_lossy(bytes),
            lossy: true,
        }),
    }
}

/// Line starts of a text, for offset → position conversion.
pub struct LineIndex {
    starts: Vec<usize>,
}

/// A position in a file: 1-based line; 1-based columns in characters and in UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub column_utf16: usize,
}

impl LineIndex {
    /// Indexes line starts. `\n`, `\r\n` and a lone `\r` all end a line.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// The 0-based line containing byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let prefix = &text[self.starts[line]..offset];
        Position {
            line: line + 1,
            column: prefix.chars().count() + 1,
            column_utf16: prefix.encode_utf16().count() + 1,
        }
    }

    /// The text of 0-based line `line`, without its line terminator.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.starts[line];
        let end = self.starts.get(line + 1).copied().unwrap_or(text.len());
        text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// `text` with every `\r` that does not start a `\r\n` replaced by `\n` (byte offsets are kept).
pub fn normalize_lone_cr(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return std::borrow::Cow::Borrowed(text);
    }
    let out: String = text
        .char_indices()
        .map(|(i, c)| if c == '\r' && lone(i) { '\n' } else { c })
        .collect();
    std::borrow::Cow::Owned(out)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_utf16_units() {
        let text = "a\n\té😀x\r\ny\rz";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        let p = idx.position(text, x);
        assert_eq!((p.line, p.column, p.column_utf16), (2, 4, 5));
        assert_eq!(idx.line_text(text, 1), "\té😀x");
        let z = text.find('z').unwrap();
        assert_eq!(idx.position(text, z).line, 4);
    }

    #[test]
    fn decoding() {
        assert!(matches!(decode(b"ab\0c"), Err(Undecodable::Binary)));
        let d = decode(b"\xEF\xBB\xBFint x;").unwrap();
        assert_eq!(d.text, "int x;");
        let d = decode(b"cudaMalloc(\xff);").unwrap();
        assert!(d.lossy);
        assert!(d.text.starts_with("cudaMalloc("));
    }
}
