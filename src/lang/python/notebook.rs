//! Jupyter notebooks: the code cells of an `.ipynb` file, each with a map from its decoded
//! source back to byte offsets in the JSON file, so findings point at the right line and column
//! of the notebook itself.
//!
//! The JSON is read with a small span-keeping parser (serde_json drops positions). Nesting is
//! bounded, so a hostile file cannot overflow the stack; any syntax error makes the notebook
//! malformed, which the caller reports as a warning.

use super::literal::Decoded;
use super::offsets::OffsetMap;
use crate::lang::Lang;

/// Deeper JSON than this is refused (real notebooks nest a handful of levels).
const MAX_DEPTH: usize = 128;

/// One cell's code, ready to parse.
#[derive(Debug)]
pub struct Cell {
    /// 1-based position among all cells of the notebook, as a user counts them.
    pub number: usize,
    /// The language of the code: Python, or a C-family language for `%%writefile x.cu` and
    /// `%%cuda` cells.
    pub lang: Lang,
    /// The source; IPython magics and shell escapes blanked out with spaces.
    pub code: Decoded,
}

/// A notebook that could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed {
    pub message: String,
    pub offset: usize,
}

/// The code cells of a notebook, or why it cannot be read. A notebook whose kernel is not
/// Python (R, Julia ...) has no cells for us.
pub fn code_cells(text: &str) -> Result<Vec<Cell>, Malformed> {
    let root = Parser::new(text).document()?;
    let Json::Obj(top) = &root else {
        return Err(Malformed {
            message: "a notebook is a JSON object".into(),
            offset: 0,
        });
    };
    if !is_python(top) {
        return Ok(Vec::new());
    }
    // nbformat 4: `cells`; nbformat 3: `worksheets[*].cells` with `input` instead of `source`.
    let mut raw_cells: Vec<&Json> = Vec::new();
    if let Some(Json::Arr(cells)) = get(top, "cells") {
        raw_cells.extend(cells.iter());
    } else if let Some(Json::Arr(sheets)) = get(top, "worksheets") {
        for sheet in sheets {
            if let Json::Obj(sheet) = sheet {
                if let Some(Json::Arr(cells)) = get(sheet, "cells") {
                    raw_cells.extend(cells.iter());
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, cell) in raw_cells.into_iter().enumerate() {
        let Json::Obj(cell) = cell else { continue };
        if !matches!(get(cell, "cell_type"), Some(Json::Str(t)) if t.text == "code") {
            continue;
        }
        let source = get(cell, "source").or_else(|| get(cell, "input"));
        let mut code = Decoded::default();
        match source {
            Some(Json::Str(s)) => code.append(s),
            Some(Json::Arr(lines)) => {
                for line in lines {
                    if let Json::Str(s) = line {
                        code.append(s);
                    }
                }
            }
            _ => continue,
        }
        if let Some((lang, code)) = strip_magics(code) {
            out.push(Cell {
                number: i + 1,
                lang,
                code,
            });
        }
    }
    Ok(out)
}

fn is_python(top: &[(String, Json)]) -> bool {
    let Some(Json::Obj(meta)) = get(top, "metadata") else {
        return true;
    };
    let kernel_lang = match get(meta, "kernelspec") {
        Some(Json::Obj(k)) => match get(k, "language") {
            Some(Json::Str(s)) => Some(s.text.to_ascii_lowercase()),
            _ => None,
        },
        _ => None,
    };
    let info_lang = match get(meta, "language_info") {
        Some(Json::Obj(k)) => match get(k, "name") {
            Some(Json::Str(s)) => Some(s.text.to_ascii_lowercase()),
            _ => None,
        },
        _ => None,
    };
    kernel_lang
        .or(info_lang)
        .is_none_or(|l| l.starts_with("python"))
}

/// Cell magics whose body is still Python.
const PYTHON_CELL_MAGICS: &[&str] = &[
    "time",
    "timeit",
    "capture",
    "prun",
    "debug",
    "python",
    "python3",
    "pypy",
    "tensorboard",
];

/// Blanks IPython line magics (`%pip`, `%matplotlib`) and shell escapes (`!nvidia-smi`) with
/// spaces, byte for byte, so offsets stay valid. A cell magic decides the whole cell: a
/// Python-bodied one (`%%time`) is blanked, `%%writefile x.cu`/`%%cuda` make the cell CUDA,
/// any other (`%%bash`, `%%html`) drops the cell.
fn strip_magics(mut code: Decoded) -> Option<(Lang, Decoded)> {
    let mut lang = Lang::Python;
    let trimmed = code.text.trim_start();
    if let Some(magic) = trimmed.strip_prefix("%%") {
        let line = magic.lines().next().unwrap_or("");
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or("");
        match name {
            _ if PYTHON_CELL_MAGICS.contains(&name) => {}
            "cuda" | "cu" | "nvcc" => lang = Lang::Cuda,
            "writefile" | "file" => {
                let file = words.rfind(|w| !w.starts_with('-'))?;
                lang = Lang::detect(std::path::Path::new(file))?;
                if lang != Lang::Python && !lang.is_c_family() {
                    return None;
                }
            }
            _ => return None,
        }
        // Blank the magic line itself.
        let start = code.text.len() - trimmed.len();
        let end = code.text[start..]
            .find('\n')
            .map_or(code.text.len(), |e| start + e);
        blank(&mut code.text, start..end);
    }
    if lang == Lang::Python {
        let mut pos = 0;
        let mut ranges = Vec::new();
        for line in code.text.split_inclusive('\n') {
            let body = line.trim_start();
            if body.starts_with('%') || body.starts_with('!') {
                let start = pos + (line.len() - body.len());
                ranges.push(start..pos + line.trim_end_matches(['\n', '\r']).len());
            }
            pos += line.len();
        }
        for r in ranges {
            blank(&mut code.text, r);
        }
    }
    Some((lang, code))
}

/// Replaces a byte range with as many spaces (always valid UTF-8: whole characters go).
fn blank(text: &mut String, r: std::ops::Range<usize>) {
    if r.start >= r.end || !text.is_char_boundary(r.start) || !text.is_char_boundary(r.end) {
        return;
    }
    let spaces = " ".repeat(r.end - r.start);
    text.replace_range(r, &spaces);
}

/// A JSON value; strings keep their decoded text and offset map.
enum Json {
    Str(Decoded),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    Other,
}

fn get<'j>(obj: &'j [(String, Json)], key: &str) -> Option<&'j Json> {
    obj.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn fail<T>(&self, message: &str) -> Result<T, Malformed> {
        let message = if self.pos >= self.bytes.len() {
            "unexpected end of file (truncated?)".to_string()
        } else {
            message.to_string()
        };
        Err(Malformed {
            message,
            offset: self.pos.min(self.text.len()),
        })
    }

    fn document(&mut self) -> Result<Json, Malformed> {
        let v = self.value(0)?;
        self.ws();
        if self.pos < self.bytes.len() {
            return self.fail("unexpected text after the JSON document");
        }
        Ok(v)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, Malformed> {
        if depth > MAX_DEPTH {
            return self.fail("JSON nested too deeply");
        }
        self.ws();
        match self.bytes.get(self.pos) {
            None => self.fail("unexpected end of file"),
            Some(b'{') => {
                self.pos += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    if self.bytes.get(self.pos) != Some(&b'"') {
                        return self.fail("expected a string key");
                    }
                    let key = self.string()?.text;
                    self.ws();
                    if self.bytes.get(self.pos) != Some(&b':') {
                        return self.fail("expected `:`");
                    }
                    self.pos += 1;
                    let v = self.value(depth + 1)?;
                    fields.push((key, v));
                    self.ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Obj(fields));
                        }
                        _ => return self.fail("expected `,` or `}`"),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return self.fail("expected `,` or `]`"),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.word("true"),
            Some(b'f') => self.word("false"),
            Some(b'n') => self.word("null"),
            Some(b'-' | b'0'..=b'9') => {
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') =
                    self.bytes.get(self.pos)
                {
                    self.pos += 1;
                }
                Ok(Json::Other)
            }
            Some(_) => self.fail("unexpected character"),
        }
    }

    fn word(&mut self, w: &str) -> Result<Json, Malformed> {
        if self.bytes[self.pos..].starts_with(w.as_bytes()) {
            self.pos += w.len();
            Ok(Json::Other)
        } else {
            self.fail("unexpected word")
        }
    }

    /// A string starting at the opening quote.
    fn string(&mut self) -> Result<Decoded, Malformed> {
        self.pos += 1;
        let mut out = Decoded {
            text: String::new(),
            map: OffsetMap::new(),
        };
        let mut run = self.pos;
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return self.fail("unterminated string");
            };
            match b {
                b'"' => {
                    self.flush(run, &mut out);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.flush(run, &mut out);
                    let start = self.pos;
                    let c = self.escape()?;
                    let before = out.text.len();
                    out.text.push(c);
                    out.map
                        .push_opaque(start..self.pos, out.text.len() - before);
                    run = self.pos;
                }
                0..=0x1f => return self.fail("control character in a string"),
                _ => self.pos += 1,
            }
        }
    }

    fn flush(&self, run: usize, out: &mut Decoded) {
        if run < self.pos {
            out.text.push_str(&self.text[run..self.pos]);
            out.map.push_literal(run, self.pos - run);
        }
    }

    /// One escape at `\`; advances past it.
    fn escape(&mut self) -> Result<char, Malformed> {
        let c = match self.bytes.get(self.pos + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = self.hex4(self.pos + 2)?;
                self.pos += 6;
                if (0xD800..0xDC00).contains(&hi)
                    && self.bytes.get(self.pos) == Some(&b'\\')
                    && self.bytes.get(self.pos + 1) == Some(&b'u')
                {
                    let lo = self.hex4(self.pos + 2)?;
                    if (0xDC00..0xE000).contains(&lo) {
                        self.pos += 6;
                        let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
                    }
                }
                return Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'));
            }
            _ => return self.fail("invalid escape"),
        };
        self.pos += 2;
        Ok(c)
    }

    fn hex4(&self, at: usize) -> Result<u32, Malformed> {
        self.bytes
            .get(at..at + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .map_or_else(|| self.fail("invalid \\u escape"), Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_map_back_to_the_file() {
        let nb = r##"{"cells": [
 {"cell_type": "markdown", "source": ["# torch.cuda"]},
 {"cell_type": "code", "source": ["import torch\n", "x = \"a\\tb\"; torch.cuda.sync()"]}
], "metadata": {"kernelspec": {"language": "python"}}}"##;
        let cells = code_cells(nb).unwrap();
        assert_eq!(cells.len(), 1);
        let c = &cells[0];
        assert_eq!(c.number, 2);
        let i = c.code.text.find("torch.cuda").unwrap();
        let span = c.code.map.span(i..i + 10);
        assert_eq!(&nb[span], "torch.cuda");
        // The cell holds `"a\tb"`: the JSON escape `\\` is one backslash of the cell.
        let t = c.code.text.find("\\t").unwrap();
        assert_eq!(&nb[c.code.map.span(t..t + 2)], "\\\\t");
    }

    #[test]
    fn magics_are_blanked_and_other_kernels_skipped() {
        let nb = r#"{"cells": [{"cell_type": "code", "source": "%matplotlib inline\n!nvidia-smi\nx = 1"},
            {"cell_type": "code", "source": "%%bash\nls"},
            {"cell_type": "code", "source": "%%writefile k.cu\n__global__ void k() {}"}]}"#;
        let cells = code_cells(nb).unwrap();
        assert_eq!(cells.len(), 2);
        assert_eq!(cells[0].code.text.trim(), "x = 1");
        assert_eq!(cells[1].lang, Lang::Cuda);
        assert_eq!(cells[1].number, 3);
        let r = r#"{"cells": [{"cell_type": "code", "source": "x"}], "metadata": {"kernelspec": {"language": "R"}}}"#;
        assert!(code_cells(r).unwrap().is_empty());
    }

    #[test]
    fn malformed_notebooks() {
        for bad in [
            "",
            "{",
            "{\"cells\": [",
            "[1, 2",
            "{\"a\": \"\\x\"}",
            "nope",
            "{} x",
        ] {
            assert!(code_cells(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(10_000);
        assert!(code_cells(&deep).is_err());
        assert!(code_cells("[]").is_err());
    }
}
