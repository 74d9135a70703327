//! YAML with byte spans: saphyr-parser's events folded into a small tree. A document that does
//! not parse keeps what was read before the error, and the error (message, byte offset) is
//! returned for a counted warning. Template actions (`{{ … }}`, `{% … %}`, `{# … #}`) of Helm
//! charts and conda recipes are blanked out before parsing, keeping every offset.

use super::{CharIndex, Mapped};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::borrow::Cow;
use std::ops::Range;

#[derive(Debug)]
pub(crate) enum Node {
    Scalar {
        value: String,
        style: ScalarStyle,
        span: Range<usize>,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// Aliases and anything the tree does not keep.
    Other,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn span(&self) -> Option<Range<usize>> {
        match self {
            Node::Scalar { span, .. } => Some(span.clone()),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match self {
            Node::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match self {
            Node::Seq(items) => items,
            _ => &[],
        }
    }

    /// The scalar's value mapped to file offsets: exact for plain scalars and for quoted ones
    /// without escapes, otherwise every byte maps to the scalar's start.
    pub fn mapped(&self, text: &str) -> Option<Mapped> {
        let Node::Scalar { value, style, span } = self else {
            return None;
        };
        let raw = text.get(span.clone()).unwrap_or("");
        let inner = match style {
            ScalarStyle::Plain => Some(raw),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => raw
                .get(1..raw.len().saturating_sub(1))
                .filter(|_| raw.len() >= 2),
            _ => None,
        };
        let offset = match style {
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => span.start + 1,
            _ => span.start,
        };
        Some(match inner {
            Some(inner) if inner == value => Mapped::verbatim(value, offset),
            _ => {
                let mut m = Mapped::default();
                m.push_at(value, span.start);
                m
            }
        })
    }

    /// The raw text of the scalar in the file (a block scalar's lines with their indentation,
    /// a quoted scalar without its quotes) and its offset: for re-tokenizing scripts in place.
    pub fn raw<'t>(&self, text: &'t str) -> Option<(&'t str, usize)> {
        let Node::Scalar { style, span, .. } = self else {
            return None;
        };
        let raw = text.get(span.clone())?;
        Some(match style {
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if raw.len() >= 2 => {
                (&raw[1..raw.len() - 1], span.start + 1)
            }
            _ => (raw, span.start),
        })
    }
}

/// A parse error: message and byte offset.
pub(crate) struct YamlError {
    pub message: String,
    pub offset: usize,
}

/// Parses every document of a YAML stream.
pub(crate) fn parse(text: &str) -> (Vec<Node>, Option<YamlError>) {
    let chars = CharIndex::new(text);
    let mut docs = Vec::new();
    // Open containers: a sequence's items, or a mapping's entries plus a pending key.
    enum Open {
        Seq(Vec<Node>),
        Map(Vec<(Node, Node)>, Option<Node>),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut error = None;

    fn add(stack: &mut [Open], docs: &mut Vec<Node>, node: Node) {
        match stack.last_mut() {
            None => docs.push(node),
            Some(Open::Seq(items)) => items.push(node),
            Some(Open::Map(entries, key)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }

    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(e) => e,
            Err(e) => {
                error = Some(YamlError {
                    message: e.info().to_string(),
                    offset: chars.byte(e.marker().index()),
                });
                break;
            }
        };
        match event {
            Event::Scalar(value, style, _, _) => {
                let span = chars.byte(span.start.index())..chars.byte(span.end.index());
                let node = Node::Scalar {
                    value: value.into_owned(),
                    style,
                    span,
                };
                add(&mut stack, &mut docs, node);
            }
            Event::SequenceStart(..) => stack.push(Open::Seq(Vec::new())),
            Event::MappingStart(..) => stack.push(Open::Map(Vec::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match stack.pop() {
                    Some(Open::Seq(items)) => Node::Seq(items),
                    Some(Open::Map(entries, _)) => Node::Map(entries),
                    None => Node::Other,
                };
                add(&mut stack, &mut docs, node);
            }
            Event::Alias(_) => add(&mut stack, &mut docs, Node::Other),
            _ => {}
        }
    }
    // Close what an error left open, keeping what was read.
    while let Some(open) = stack.pop() {
        let node = match open {
            Open::Seq(items) => Node::Seq(items),
            Open::Map(entries, _) => Node::Map(entries),
        };
        add(&mut stack, &mut docs, node);
    }
    (docs, error)
}

/// Whether the text holds template actions (Helm's Go templates, Jinja in conda recipes).
pub(crate) fn has_templates(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// The text with every template action replaced by spaces (line breaks kept), and the actions'
/// inner text with their offsets.
pub(crate) fn blank_templates(text: &str) -> (Cow<'_, str>, Vec<(Range<usize>, &str)>) {
    if !has_templates(text) {
        return (Cow::Borrowed(text), Vec::new());
    }
    let mut out = text.as_bytes().to_vec();
    let mut actions = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        let close: &[u8] = match (b[i], b[i + 1]) {
            (b'{', b'{') => b"}}",
            (b'{', b'%') => b"%}",
            (b'{', b'#') => b"#}",
            _ => {
                i += 1;
                continue;
            }
        };
        let Some(rel) = b[i + 2..].windows(2).position(|w| w == close) else {
            break;
        };
        let end = i + 2 + rel + 2;
        actions.push((i..end, &text[i + 2..end - 2]));
        for c in &mut out[i..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
        i = end;
    }
    // Only ASCII bytes inside actions were replaced by ASCII spaces, but a multi-byte character
    // inside an action loses its continuation bytes' meaning: replace those too.
    let blanked = String::from_utf8(out).unwrap_or_else(|e| {
        let mut bytes = e.into_bytes();
        for b in &mut bytes {
            if *b >= 0x80 {
                *b = b' ';
            }
        }
        String::from_utf8(bytes).unwrap_or_default()
    });
    (Cow::Owned(blanked), actions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_bytes() {
        let text = "é: [ä, \"nvidia/cuda:12\"]\n";
        let (docs, err) = parse(text);
        assert!(err.is_none());
        let seq = docs[0].get("é").unwrap();
        let item = &seq.items()[1];
        assert_eq!(&text[item.span().unwrap()], "\"nvidia/cuda:12\"");
        let m = item.mapped(text).unwrap();
        assert_eq!(&text[m.span(0..m.text.len())], "nvidia/cuda:12");
    }

    #[test]
    fn errors_keep_the_prefix() {
        let (docs, err) = parse("a: 1\nb: [2, 3\nc: d\n");
        let err = err.unwrap();
        assert!(err.offset > 0);
        assert_eq!(docs[0].get("a").and_then(Node::as_str), Some("1"));
    }

    #[test]
    fn templates_are_blanked_in_place() {
        let text = "limits:\n  nvidia.com/gpu: {{ .Values.gpus }}\n{{- if .Values.x }}\n";
        let (blanked, actions) = blank_templates(text);
        assert_eq!(blanked.len(), text.len());
        assert_eq!(actions.len(), 2);
        let (docs, err) = parse(&blanked);
        assert!(err.is_none());
        assert!(
            docs[0]
                .get("limits")
                .unwrap()
                .get("nvidia.com/gpu")
                .is_some()
        );
    }
}
