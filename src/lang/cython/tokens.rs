//! The Cython tokenizer: the text split into logical lines of Python tokens, comments and
//! every string form skipped, brackets and backslashes joining lines, each line with the column
//! of its first token.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    Ident,
    /// A string literal; the value when it is a plain one-line literal without escapes.
    Str(Option<String>),
    Number,
    /// Punctuation (one byte, or `==`, `!=`, `<=`, `>=`, `->`, `**`, `:=`).
    Op,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) span: Range<usize>,
}

/// A logical line: its tokens and the column of its first token.
#[derive(Debug)]
pub(super) struct Line {
    pub(super) indent: usize,
    pub(super) tokens: Vec<Token>,
}

/// Splits the text into logical lines of tokens.
pub(super) fn tokenize(text: &str) -> Vec<Line> {
    let mut t = Tokenizer {
        text,
        bytes: text.as_bytes(),
        lines: Vec::new(),
        tokens: Vec::new(),
        indent: 0,
        at_line_start: true,
        column: 0,
        depth: 0,
        i: 0,
    };
    while t.i < t.bytes.len() {
        if t.skip_layout() {
            continue;
        }
        if t.at_line_start {
            t.indent = t.column;
            t.at_line_start = false;
        }
        t.token();
    }
    t.end_line();
    t.lines
}

/// The tokenizer's state: the lines so far, the line being read, and the position.
struct Tokenizer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    lines: Vec<Line>,
    /// The tokens of the logical line being read.
    tokens: Vec<Token>,
    /// The indentation of the logical line being read.
    indent: usize,
    at_line_start: bool,
    /// The column on the physical line (tabs to multiples of 8).
    column: usize,
    /// Open brackets: a newline inside them does not end the logical line.
    depth: usize,
    i: usize,
}

impl Tokenizer<'_> {
    fn end_line(&mut self) {
        if !self.tokens.is_empty() {
            self.lines.push(Line {
                indent: self.indent,
                tokens: std::mem::take(&mut self.tokens),
            });
        }
    }

    fn push(&mut self, kind: Tok, span: Range<usize>) {
        self.tokens.push(Token { kind, span });
    }

    /// Consumes what at the position is no token (a line end, whitespace, a comment, a
    /// backslash continuation); returns whether there was any.
    fn skip_layout(&mut self) -> bool {
        let bytes = self.bytes;
        match bytes[self.i] {
            b'\n' => {
                self.i += 1;
                if self.depth == 0 {
                    self.end_line();
                    self.at_line_start = true;
                    self.column = 0;
                }
            }
            b' ' => {
                self.column += 1;
                self.i += 1;
            }
            b'\t' => {
                self.column = (self.column / 8 + 1) * 8;
                self.i += 1;
            }
            b'\r' | b'\x0c' => self.i += 1,
            b'#' => {
                while self.i < bytes.len() && bytes[self.i] != b'\n' {
                    self.i += 1;
                }
            }
            b'\\' => {
                // A continuation: the next line joins this one.
                self.i += 1;
                if bytes.get(self.i) == Some(&b'\r') {
                    self.i += 1;
                }
                if bytes.get(self.i) == Some(&b'\n') {
                    self.i += 1;
                }
            }
            _ => return false,
        }
        true
    }

    /// Reads the token at the position.
    fn token(&mut self) {
        let (text, bytes, start) = (self.text, self.bytes, self.i);
        let b = bytes[start];
        if b == b'"' || b == b'\'' {
            let (end, value) = string(text, start, start);
            self.push(Tok::Str(value), start..end);
            self.i = end;
        } else if is_ident_start(text, start) {
            self.word();
        } else if b.is_ascii_digit()
            || (b == b'.' && bytes.get(start + 1).is_some_and(u8::is_ascii_digit))
        {
            self.number();
        } else {
            self.punctuation();
        }
    }

    /// An identifier, or a string with a prefix (`r"…"`, `b'…'`, `f"""…"""`, Cython's `c'x'`).
    fn word(&mut self) {
        let (text, bytes, start) = (self.text, self.bytes, self.i);
        let end = ident_end(text, start);
        if matches!(bytes.get(end), Some(b'"' | b'\'')) && end - start <= 2 {
            let prefix = text[start..end].to_ascii_lowercase();
            if matches!(
                prefix.as_str(),
                "r" | "u" | "b" | "f" | "c" | "br" | "rb" | "fr" | "rf" | "t" | "tr" | "rt"
            ) {
                let (send, value) = string(text, end, start);
                self.push(Tok::Str(value), start..send);
                self.i = send;
                return;
            }
        }
        self.push(Tok::Ident, start..end);
        self.i = end;
    }

    /// A number: digits, letters, `_`, `.`, and a sign after an exponent's `e`.
    fn number(&mut self) {
        let (text, bytes, start) = (self.text, self.bytes, self.i);
        let mut i = start + 1;
        while i < bytes.len()
            && (bytes[i].is_ascii_alphanumeric()
                || bytes[i] == b'_'
                || bytes[i] == b'.'
                || ((bytes[i] == b'+' || bytes[i] == b'-')
                    && matches!(bytes[i - 1], b'e' | b'E')
                    && !text[start..i].starts_with("0x")))
        {
            i += 1;
        }
        self.push(Tok::Number, start..i);
        self.i = i;
    }

    /// Punctuation; a non-ASCII character that is not a letter is one token too.
    fn punctuation(&mut self) {
        let (text, i) = (self.text, self.i);
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        let two = text.get(i..i + 2).unwrap_or("");
        let len = if matches!(two, "==" | "!=" | "<=" | ">=" | "->" | "**" | ":=") {
            2
        } else {
            len
        };
        match self.bytes[i] {
            b'(' | b'[' | b'{' => self.depth += 1,
            b')' | b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.push(Tok::Op, i..i + len);
        self.i += len;
    }
}

fn is_ident_start(text: &str, i: usize) -> bool {
    text[i..]
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_alphabetic())
}

fn ident_end(text: &str, i: usize) -> usize {
    text[i..]
        .char_indices()
        .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
        .map_or(text.len(), |(n, _)| i + n)
}

/// A string literal whose quote is at `q` (its prefix starts at `start`): where it ends, and its
/// value when it is a one-line literal without escapes or interpolation braces.
fn string(text: &str, q: usize, start: usize) -> (usize, Option<String>) {
    let bytes = text.as_bytes();
    let quote = bytes[q];
    let triple = bytes.get(q + 1) == Some(&quote) && bytes.get(q + 2) == Some(&quote);
    let open = if triple { 3 } else { 1 };
    let mut i = q + open;
    let mut escaped = false;
    loop {
        let Some(&c) = bytes.get(i) else {
            return (bytes.len(), None); // unterminated at the end of the file
        };
        if c == b'\\' {
            escaped = true;
            i += 2;
            continue;
        }
        if c == b'\n' && !triple {
            return (i, None); // unterminated on its line: the line goes on after it
        }
        if c == quote
            && (!triple || (bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote)))
        {
            let end = (i + open).min(bytes.len());
            let prefix = text.get(start..q).unwrap_or("");
            let value = (!triple && !escaped && !prefix.to_ascii_lowercase().contains('f'))
                .then(|| text.get(q + 1..i).map(str::to_string))
                .flatten();
            return (end, value);
        }
        i += 1;
    }
}
