//! Writing a JSON document whose one big array is produced item by item.
//!
//! The JSON and SARIF reports are built as `serde_json::Value`s, which is simple and keeps keys
//! sorted, but a tree of `Value`s for 268 000 findings took 3.6 GiB and most of a scan's time on
//! a large code base. [`Spliced`] serialises the document with a placeholder at one JSON pointer
//! and, in its place, an array whose elements are built and written one at a time. The bytes are
//! those of the whole `Value` serialised at once: keys come out in the map's own order.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// `document` with the value at `pointer` (e.g. `/runs/0/results`, which must exist) replaced by
/// the array `item(0) … item(len - 1)`.
pub struct Spliced<'a, T> {
    pub document: &'a Value,
    pub pointer: &'a str,
    pub len: usize,
    pub item: &'a dyn Fn(usize) -> T,
    /// More placeholders, each replaced by the value its function builds when it is written (a
    /// large part of the report, held in memory only while it is written).
    pub lazy: &'a [Lazy<'a>],
}

/// A JSON pointer and the function that builds the value there.
pub type Lazy<'a> = (String, Box<dyn Fn() -> Value + 'a>);

impl<T: Serialize> Spliced<'_, T> {
    /// Pretty-prints the document and a final newline.
    pub fn write_pretty(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

impl<T: Serialize> Serialize for Spliced<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Node {
            value: self.document,
            path: String::new(),
            splice: self,
            built: false,
        }
        .serialize(s)
    }
}

struct Node<'a, T> {
    value: &'a Value,
    path: String,
    splice: &'a Spliced<'a, T>,
    /// Set on the value a lazy placeholder built (its own pointer is not looked up again).
    built: bool,
}

impl<T> Node<'_, T> {
    fn child<'b>(&'b self, value: &'b Value, key: &str) -> Node<'b, T> {
        Node {
            value,
            path: format!("{}/{key}", self.path),
            splice: self.splice,
            built: false,
        }
    }
}

impl<T: Serialize> Serialize for Node<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pointer = self.splice.pointer;
        if let Some((_, build)) = self.splice.lazy.iter().find(|(p, _)| *p == self.path) {
            if !self.built {
                // The built value may hold placeholders of its own.
                let value = build();
                return Node {
                    value: &value,
                    path: self.path.clone(),
                    splice: self.splice,
                    built: true,
                }
                .serialize(s);
            }
        }
        if self.path == pointer {
            let mut seq = s.serialize_seq(Some(self.splice.len))?;
            for i in 0..self.splice.len {
                seq.serialize_element(&(self.splice.item)(i))?;
            }
            return seq.end();
        }
        // Only the containers on the way to a pointer need walking by hand.
        let leads_to = |p: &str| {
            p.strip_prefix(self.path.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        };
        let on_the_way = leads_to(pointer) || self.splice.lazy.iter().any(|(p, _)| leads_to(p));
        match self.value {
            Value::Object(map) if on_the_way => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    m.serialize_entry(k, &self.child(v, k))?;
                }
                m.end()
            }
            Value::Array(items) if on_the_way => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for (i, v) in items.iter().enumerate() {
                    seq.serialize_element(&self.child(v, &i.to_string()))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spliced(doc: &Value, pointer: &str, items: &[Value]) -> String {
        let item = |i: usize| items[i].clone();
        let mut out = Vec::new();
        Spliced {
            document: doc,
            pointer,
            len: items.len(),
            item: &item,
            lazy: &[(
                "/lazy".to_string(),
                Box::new(|| serde_json::json!({"built": [1, 2]})),
            )],
        }
        .write_pretty(&mut out)
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_bytes_are_those_of_the_whole_document() {
        let items = vec![json!({"b": 1, "a": [1, 2]}), json!("x"), json!(null)];
        for (doc, pointer, whole) in [
            (
                json!({"z": 1, "findings": [], "a": {"k": [1]}, "lazy": null}),
                "/findings",
                json!({"z": 1, "findings": items, "a": {"k": [1]}, "lazy": {"built": [1, 2]}}),
            ),
            (
                json!({"runs": [{"results": [], "tool": {"x": 1}}], "v": "2"}),
                "/runs/0/results",
                json!({"runs": [{"results": items, "tool": {"x": 1}}], "v": "2"}),
            ),
        ] {
            let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(spliced(&doc, pointer, &items), expected);
        }
    }

    #[test]
    fn an_empty_array_is_written_as_such() {
        let doc = json!({"findings": [], "n": 0});
        let expected = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        assert_eq!(spliced(&doc, "/findings", &[]), expected);
    }
}
