//! The CMake language tokenizer: command invocations with their quoted, unquoted and bracket
//! arguments; line and bracket comments; nested parentheses.

use std::ops::Range;

/// How an argument is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ArgKind {
    Unquoted,
    Quoted,
    Bracket,
}

/// One argument of a command.
#[derive(Debug)]
pub(super) struct Arg {
    /// The argument's text: raw for unquoted and bracket arguments, the content (without quotes,
    /// escapes kept) for quoted ones.
    pub(super) text: String,
    /// The span of `text` in the file.
    pub(super) span: Range<usize>,
    pub(super) kind: ArgKind,
}

/// One command invocation, `name(args…)`.
#[derive(Debug)]
pub(super) struct Command {
    pub(super) name: String,
    pub(super) name_span: Range<usize>,
    pub(super) args: Vec<Arg>,
}

/// The command invocations of a CMake file, in order.
pub(super) fn parse(text: &str) -> Vec<Command> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut commands = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            i = skip_comment(text, i);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let name_end = i;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if i < b.len() && b[i] == b'(' {
                let (args, end) = parse_args(text, i + 1);
                commands.push(Command {
                    name: text[s..name_end].to_string(),
                    name_span: s..name_end,
                    args,
                });
                i = end;
            } else {
                // Not a command: skip the rest of the line.
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
        } else if c == b'"' || c == b'[' {
            // Stray argument syntax outside a command (malformed file): skip it whole.
            i = if c == b'"' {
                skip_quoted(b, i).1
            } else {
                bracket(text, i).map_or(i + 1, |(_, end)| end)
            };
        } else {
            i += 1;
        }
    }
    commands
}

/// Skips a `#` comment (line or bracket); returns the index after it.
fn skip_comment(text: &str, i: usize) -> usize {
    if let Some((_, end)) = bracket(text, i + 1) {
        return end;
    }
    text[i..].find('\n').map_or(text.len(), |e| i + e)
}

/// A bracket argument or comment body starting at `i` (`[==[ … ]==]`): content range and end.
fn bracket(text: &str, i: usize) -> Option<(Range<usize>, usize)> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && b[j] == b'=' {
        j += 1;
    }
    if b.get(j) != Some(&b'[') {
        return None;
    }
    let level = j - i - 1;
    let close = format!("]{}]", "=".repeat(level));
    let content = j + 1;
    match text[content..].find(&close) {
        Some(e) => Some((content..content + e, content + e + close.len())),
        None => Some((content..text.len(), text.len())),
    }
}

/// A quoted argument at `i`: content range and the index after the closing quote.
fn skip_quoted(b: &[u8], i: usize) -> (Range<usize>, usize) {
    let mut j = i + 1;
    while j < b.len() && b[j] != b'"' {
        if b[j] == b'\\' {
            j += 1;
        }
        j += 1;
    }
    let end = j.min(b.len());
    (i + 1..end, (end + 1).min(b.len()))
}

/// Arguments from `i` (just after the `(`) to the matching `)`.
fn parse_args(text: &str, mut i: usize) -> (Vec<Arg>, usize) {
    let b = text.as_bytes();
    let mut args = Vec::new();
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => i = skip_comment(text, i),
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                i += 1;
                if depth == 0 {
                    return (args, i);
                }
                depth -= 1;
            }
            b'"' => {
                let (content, end) = skip_quoted(b, i);
                args.push(Arg {
                    text: text[content.clone()].to_string(),
                    span: content,
                    kind: ArgKind::Quoted,
                });
                i = end;
            }
            b'[' if bracket(text, i).is_some() => {
                let (content, end) = bracket(text, i).unwrap_or((i..i, i + 1));
                args.push(Arg {
                    text: text[content.clone()].to_string(),
                    span: content,
                    kind: ArgKind::Bracket,
                });
                i = end;
            }
            _ => {
                let s = i;
                let mut gen_depth = 0usize;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'$' if b.get(i + 1) == Some(&b'<') => {
                            gen_depth += 1;
                            i += 2;
                        }
                        b'>' if gen_depth > 0 => {
                            gen_depth -= 1;
                            i += 1;
                        }
                        b'"' => i = skip_quoted(b, i).1,
                        b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' if gen_depth == 0 => break,
                        _ => i += 1,
                    }
                }
                let e = i.min(b.len());
                args.push(Arg {
                    text: text[s..e].to_string(),
                    span: s..e,
                    kind: ArgKind::Unquoted,
                });
                i = e;
            }
        }
    }
    (args, i)
}

#[cfg(test)]
mod tests {
    use super::super::tests::facts;

    #[test]
    fn tokenizer_honours_comments_quotes_and_brackets() {
        let text = "# find_package(CUDA)\n#[[ enable_language(CUDA) ]]\nmessage([=[ project(x LANGUAGES CUDA) ]=])\nset(X \"enable_language(CUDA)\")\nproject(demo LANGUAGES CXX CUDA)\n";
        let f = facts(text);
        assert_eq!(
            f,
            [
                ("cmake-variable:X".to_string(), "X".to_string()),
                ("cmake-language:CUDA".into(), "CUDA".into())
            ]
        );
    }
}
