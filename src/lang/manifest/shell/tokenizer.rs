//! The shell tokenizer: a script (or a Makefile recipe) split into simple commands, each
//! command into words with their unquoted values mapped to file offsets and the variables they
//! reference.

use crate::lang::manifest::Mapped;
use std::ops::Range;

/// One shell word.
#[derive(Clone, Debug)]
pub(crate) struct Word {
    /// The span of the word as written (quotes included).
    pub raw: Range<usize>,
    /// The unquoted value, mapped to file offsets.
    pub value: Mapped,
    /// Variables referenced in the word (`$NAME`, `${NAME…}`, and `$(NAME)` in Makefiles).
    pub refs: Vec<(String, Range<usize>)>,
}

/// Tokenizer flavour.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Shell,
    /// A Makefile: `$$` is a literal `$`, `$(NAME)` and `${NAME}` are make variables.
    Make,
}

/// Splits `src` (found at file offset `base`) into simple commands.
pub(crate) fn commands(src: &str, base: usize, flavor: Flavor) -> Vec<Vec<Word>> {
    let mut t = Tokenizer {
        src,
        b: src.as_bytes(),
        base,
        i: 0,
        flavor,
        commands: Vec::new(),
        current: Vec::new(),
        heredocs: Vec::new(),
    };
    t.run();
    t.commands
}

struct Tokenizer<'a> {
    src: &'a str,
    b: &'a [u8],
    base: usize,
    i: usize,
    flavor: Flavor,
    commands: Vec<Vec<Word>>,
    current: Vec<Word>,
    /// Pending here-document delimiters (delimiter, strip leading tabs).
    heredocs: Vec<(String, bool)>,
}

impl Tokenizer<'_> {
    fn end_command(&mut self) {
        if !self.current.is_empty() {
            self.commands.push(std::mem::take(&mut self.current));
        }
    }

    fn run(&mut self) {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.b.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                b'\\'
                    if self.b.get(self.i + 1) == Some(&b'\r')
                        && self.b.get(self.i + 2) == Some(&b'\n') =>
                {
                    self.i += 3
                }
                b'\n' => {
                    self.i += 1;
                    self.end_command();
                    self.skip_heredocs();
                }
                b'#' => {
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b';' | b'&' | b'|' | b'(' | b')' => {
                    self.i += 1;
                    self.end_command();
                }
                b'<' | b'>' => self.redirection(),
                _ => {
                    let word = self.word();
                    if self.b.get(self.i).is_some_and(|&c| c == b'<' || c == b'>')
                        && word.value.text.bytes().all(|c| c.is_ascii_digit())
                    {
                        // `2>&1`: a file descriptor number, not a word.
                        continue;
                    }
                    if !word.value.text.is_empty() || word.raw.end > word.raw.start {
                        self.current.push(word);
                    }
                }
            }
        }
        self.end_command();
    }

    fn redirection(&mut self) {
        let start = self.i;
        while self.i < self.b.len() && matches!(self.b[self.i], b'<' | b'>' | b'&' | b'|') {
            self.i += 1;
        }
        let op = &self.src[start..self.i];
        let strip = self.b.get(self.i) == Some(&b'-') && op == "<<";
        if strip {
            self.i += 1;
        }
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t') {
            self.i += 1;
        }
        if self.i >= self.b.len() || matches!(self.b[self.i], b'\n' | b';' | b'|' | b'&') {
            return;
        }
        if op.ends_with('&') && self.b[self.i].is_ascii_digit() {
            // `>&2`: a descriptor.
            while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                self.i += 1;
            }
            return;
        }
        // The target (a file name, or a here-document delimiter) is not a word of the command.
        let target = self.word();
        if op == "<<" {
            self.heredocs.push((target.value.text, strip));
        }
    }

    fn skip_heredocs(&mut self) {
        for (delim, strip) in std::mem::take(&mut self.heredocs) {
            while self.i < self.b.len() {
                let end = self.src[self.i..]
                    .find('\n')
                    .map_or(self.b.len(), |e| self.i + e);
                let mut line = self.src[self.i..end].trim_end_matches('\r');
                if strip {
                    line = line.trim_start_matches('\t');
                }
                self.i = (end + 1).min(self.b.len());
                if line == delim {
                    break;
                }
            }
        }
    }

    /// Reads one word starting at `self.i`.
    fn word(&mut self) -> Word {
        let start = self.i;
        let mut value = Mapped::default();
        let mut refs = Vec::new();
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => {
                    break;
                }
                b'\\' => {
                    match self.b.get(self.i + 1) {
                        Some(b'\n') => {}
                        Some(_) => {
                            let ch = self.char_at(self.i + 1);
                            value.push_str(ch, self.base + self.i + 1);
                        }
                        None => {}
                    }
                    self.i += 1 + self.char_len(self.i + 1);
                }
                b'\'' => {
                    self.i += 1;
                    let s = self.i;
                    while self.i < self.b.len() && self.b[self.i] != b'\'' {
                        self.i += 1;
                    }
                    value.push_str(&self.src[s..self.i], self.base + s);
                    self.i = (self.i + 1).min(self.b.len());
                }
                b'"' => {
                    self.i += 1;
                    while self.i < self.b.len() && self.b[self.i] != b'"' {
                        match self.b[self.i] {
                            b'\\'
                                if self
                                    .b
                                    .get(self.i + 1)
                                    .is_some_and(|c| b"\"\\$`\n".contains(c)) =>
                            {
                                if self.b[self.i + 1] != b'\n' {
                                    value.push_str(
                                        &self.src[self.i + 1..self.i + 2],
                                        self.base + self.i + 1,
                                    );
                                }
                                self.i += 2;
                            }
                            b'$' => self.dollar(&mut value, &mut refs),
                            b'`' => self.backquote(&mut value),
                            _ => {
                                let n = self.char_len(self.i);
                                value.push_str(&self.src[self.i..self.i + n], self.base + self.i);
                                self.i += n;
                            }
                        }
                    }
                    self.i = (self.i + 1).min(self.b.len());
                }
                b'$' => self.dollar(&mut value, &mut refs),
                b'`' => self.backquote(&mut value),
                _ => {
                    let n = self.char_len(self.i);
                    value.push_str(&self.src[self.i..self.i + n], self.base + self.i);
                    self.i += n;
                }
            }
        }
        Word {
            raw: self.base + start..self.base + self.i,
            value,
            refs,
        }
    }

    fn char_len(&self, i: usize) -> usize {
        self.src[i..].chars().next().map_or(1, char::len_utf8)
    }

    fn char_at(&self, i: usize) -> &str {
        &self.src[i..i + self.char_len(i)]
    }

    /// `$NAME`, `${…}`, `$(…)`, `$((…))`, `$'…'`, `$$` (Make); the text is kept as written.
    fn dollar(&mut self, value: &mut Mapped, refs: &mut Vec<(String, Range<usize>)>) {
        let start = self.i;
        let next = self.b.get(self.i + 1).copied();
        match next {
            Some(b'$') if self.flavor == Flavor::Make => {
                // `$$NAME` in a recipe is the shell variable NAME.
                self.i += 2;
                let s = self.i;
                while self.i < self.b.len()
                    && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_')
                {
                    self.i += 1;
                }
                if self.i > s && !self.b[s].is_ascii_digit() {
                    refs.push((
                        self.src[s..self.i].to_string(),
                        self.base + start..self.base + self.i,
                    ));
                }
            }
            Some(open @ (b'(' | b'{')) => {
                let close = if open == b'(' { b')' } else { b'}' };
                let mut depth = 0usize;
                let mut closed = false;
                while self.i < self.b.len() {
                    let c = self.b[self.i];
                    if c == open {
                        depth += 1;
                    } else if c == close {
                        depth -= 1;
                        if depth == 0 {
                            self.i += 1;
                            closed = true;
                            break;
                        }
                    } else if c == b'\n' && open == b'{' {
                        break;
                    }
                    self.i += 1;
                }
                // Unterminated (end of line or text), the inner text runs to where the scan
                // stopped; `self.i - 1` could be inside a multi-byte character.
                let inner_end = if closed { self.i - 1 } else { self.i }.max(start + 2);
                let inner = &self.src[start + 2..inner_end.min(self.b.len())];
                let name_end = inner
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(inner.len());
                let name = &inner[..name_end];
                let is_var = !name.is_empty()
                    && !name.as_bytes()[0].is_ascii_digit()
                    && (open == b'{' || (self.flavor == Flavor::Make && name_end == inner.len()));
                if is_var {
                    refs.push((name.to_string(), self.base + start..self.base + self.i));
                }
            }
            Some(b'@' | b'<' | b'^' | b'?' | b'*' | b'+' | b'%' | b'|')
                if self.flavor == Flavor::Make =>
            {
                // Make's automatic variables.
                self.i += 2;
            }
            Some(b'@' | b'?' | b'*' | b'#' | b'!' | b'-' | b'0'..=b'9')
                if self.flavor == Flavor::Shell =>
            {
                // Special parameters.
                self.i += 2;
            }
            Some(b'$') => self.i += 2,
            Some(b'\'') => {
                self.i += 2;
                while self.i < self.b.len() && self.b[self.i] != b'\'' {
                    if self.b[self.i] == b'\\' {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                self.i = (self.i + 1).min(self.b.len());
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                self.i += 1;
                let s = self.i;
                while self.i < self.b.len()
                    && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_')
                {
                    self.i += 1;
                }
                refs.push((
                    self.src[s..self.i].to_string(),
                    self.base + start..self.base + self.i,
                ));
            }
            _ => self.i += 1,
        }
        let end = self.i.min(self.b.len());
        value.push_str(&self.src[start..end], self.base + start);
    }

    fn backquote(&mut self, value: &mut Mapped) {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() && self.b[self.i] != b'`' {
            if self.b[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        self.i = (self.i + 1).min(self.b.len());
        value.push_str(&self.src[start..self.i], self.base + start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_quotes_and_comments() {
        let cmds = commands("echo 'a b' \"c $X\" d\\ e # nvcc\nfoo", 0, Flavor::Shell);
        assert_eq!(cmds.len(), 2);
        let v: Vec<&str> = cmds[0].iter().map(|w| w.value.text.as_str()).collect();
        assert_eq!(v, ["echo", "a b", "c $X", "d e"]);
        assert_eq!(cmds[0][2].refs[0].0, "X");
    }
}
