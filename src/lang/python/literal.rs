//! Python string literals decoded to their value, with an [`OffsetMap`] back to the source.
//!
//! Handles every prefix (`r`, `b`, `f`, `u` and combinations), single and triple quotes, escape
//! sequences and implicit concatenation. F-string interpolations are replaced by a placeholder
//! identifier of underscores (the value is unknown; an identifier keeps the surrounding code
//! parseable), and `{{`/`}}` decode to single braces.

use super::offsets::OffsetMap;
use crate::lang::node_names::NodeNames;
use tree_sitter::Node;

/// A decoded string value and where each of its bytes came from.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    pub text: String,
    pub map: OffsetMap,
}

impl Decoded {
    pub fn append(&mut self, other: &Decoded) {
        self.text.push_str(&other.text);
        self.map.append(&other.map);
    }
}

/// The value of a `string` or `concatenated_string` node; `None` for other nodes.
pub fn decode(node: Node, src: &str) -> Option<Decoded> {
    match node.kind_name() {
        "string" => Some(decode_one(node, src)),
        "concatenated_string" => {
            let mut out = Decoded::default();
            let mut cursor = node.walk();
            for part in node.named_children(&mut cursor) {
                if part.kind_name() == "string" {
                    out.append(&decode_one(part, src));
                }
            }
            Some(out)
        }
        _ => None,
    }
}

fn decode_one(node: Node, src: &str) -> Decoded {
    let mut out = Decoded::default();
    let mut raw = false;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        match child.kind_name() {
            "string_start" => {
                let prefix = &src[child.byte_range()];
                raw = prefix
                    .bytes()
                    .take_while(|b| b.is_ascii_alphabetic())
                    .any(|b| b == b'r' || b == b'R');
            }
            "string_content" => content(child, src, raw, &mut out),
            "interpolation" => placeholder(child, &mut out),
            _ => {}
        }
    }
    out
}

/// A `string_content` node: literal text interleaved with escape nodes.
fn content(node: Node, src: &str, raw: bool, out: &mut Decoded) {
    let mut pos = node.start_byte();
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        let r = child.byte_range();
        literal(src, pos..r.start, out);
        let text = &src[r.clone()];
        match child.kind_name() {
            "escape_interpolation" => {
                // `{{` or `}}`
                out.text.push_str(&text[..1.min(text.len())]);
                out.map.push_opaque(r.clone(), 1.min(text.len()));
            }
            "escape_sequence" if !raw => {
                let before = out.text.len();
                unescape(text, &mut out.text);
                out.map.push_opaque(r.clone(), out.text.len() - before);
            }
            "interpolation" => placeholder(child, out),
            _ => literal(src, r.clone(), out),
        }
        pos = r.end;
    }
    literal(src, pos..node.end_byte(), out);
}

fn literal(src: &str, r: std::ops::Range<usize>, out: &mut Decoded) {
    if r.start < r.end {
        out.text.push_str(&src[r.clone()]);
        out.map.push_literal(r.start, r.end - r.start);
    }
}

fn placeholder(node: Node, out: &mut Decoded) {
    let r = node.byte_range();
    let n = (r.end - r.start).max(1);
    out.text.extend(std::iter::repeat_n('_', n));
    out.map.push_opaque(r, n);
}

/// Appends the value of one escape sequence (`\n`, `\x41`, `\u00e9`, `\<newline>` ...).
fn unescape(esc: &str, out: &mut String) {
    let body = &esc[1.min(esc.len())..];
    let mut chars = body.chars();
    let Some(first) = chars.next() else {
        out.push_str(esc);
        return;
    };
    let simple = match first {
        '\n' | '\r' => Some(None),
        'n' => Some(Some('\n')),
        't' => Some(Some('\t')),
        'r' => Some(Some('\r')),
        'a' => Some(Some('\u{7}')),
        'b' => Some(Some('\u{8}')),
        'f' => Some(Some('\u{c}')),
        'v' => Some(Some('\u{b}')),
        '\\' | '\'' | '"' => Some(Some(first)),
        _ => None,
    };
    if let Some(c) = simple {
        out.extend(c);
        return;
    }
    let code = match first {
        'x' | 'u' | 'U' => u32::from_str_radix(&body[1..], 16).ok(),
        '0'..='7' => u32::from_str_radix(body, 8).ok(),
        'N' => Some(0xFFFD),
        _ => None,
    };
    match code {
        Some(code) => out.push(char::from_u32(code).unwrap_or('\u{FFFD}')),
        None => out.push_str(esc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tree_sitter::Parser;

    fn first_string(src: &str) -> Decoded {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(src, None).unwrap();
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            if let Some(d) = decode(n, src) {
                return d;
            }
            let mut c = n.walk();
            stack.extend(n.children(&mut c).collect::<Vec<_>>().into_iter().rev());
        }
        panic!("no string in {src:?}");
    }

    #[test]
    fn escapes_and_prefixes() {
        assert_eq!(first_string(r#"x = "a\tb\x41\u00e9\\""#).text, "a\tbAé\\");
        assert_eq!(first_string(r#"x = r"a\tb""#).text, r"a\tb");
        assert_eq!(first_string("x = 'a' \"b\" r'\\c'").text, "ab\\c");
        assert_eq!(first_string("x = \"\"\"l1\\\nl2\"\"\"").text, "l1l2");
        assert_eq!(first_string("x = f\"a{b}c{{d}}\"").text, "a___c{d}");
        assert_eq!(first_string("x = b'\\x00z'").text, "\0z");
    }

    #[test]
    fn offsets_point_into_the_source() {
        let src = "x = \"ab\\ncd\" 'ef'";
        let d = first_string(src);
        assert_eq!(d.text, "ab\ncdef");
        let at = |s: &str| {
            d.map
                .span(d.text.find(s).unwrap()..d.text.find(s).unwrap() + s.len())
        };
        assert_eq!(&src[at("cd")], "cd");
        assert_eq!(&src[at("ef")], "ef");
        assert_eq!(&src[at("\n")], "\\n");
    }
}
