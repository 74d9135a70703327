//! The built-in rule files, parsed at build time.
//!
//! Parsing ~2 MB of TOML took most of a run's start-up. `build.rs` parses each file under `rules/`
//! with `toml`'s own parser and writes the documents to `$OUT_DIR/builtin_rules.bin` in a
//! schema-free binary form that keeps every key's and value's span (its layout is documented in
//! `build.rs`). [`file`] deserialises a [`RawRuleFile`] from it with the same serde derive the
//! TOML path uses, so the result — spans included, for error messages — is the same as
//! `toml::from_str` on the text; the loader validates it as before. A file the build could not
//! encode is parsed from its text (`None` here).

use super::raw::RawRuleFile;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

static BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_rules.bin"));

/// The built-in files' documents, in [`super::load::builtin_files`] order, as deserialisers.
pub fn files() -> impl Iterator<Item = Option<RawRuleFile>> {
    let mut cursor = Cursor { bytes: BLOB, at: 0 };
    std::iter::from_fn(move || {
        if cursor.at >= cursor.bytes.len() {
            return None;
        }
        let start = cursor.at;
        let parsed = Value::read(&mut cursor)
            .and_then(|v| serde::Deserialize::deserialize(v).map_err(|_| Error::Malformed));
        match parsed {
            Ok(file) => Some(Some(file)),
            Err(_) => {
                // Skip the value (it may be an unencodable file's marker) and fall back to TOML.
                cursor.at = start;
                skip(&mut cursor).ok()?;
                Some(None)
            }
        }
    })
}

#[derive(Clone, Copy)]
struct Cursor {
    bytes: &'static [u8],
    at: usize,
}

impl Cursor {
    fn take(&mut self, n: usize) -> Result<&'static [u8], Error> {
        let end = self.at.checked_add(n).ok_or(Error::Malformed)?;
        let slice = self.bytes.get(self.at..end).ok_or(Error::Malformed)?;
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<usize, Error> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn u64(&mut self) -> Result<[u8; 8], Error> {
        let b = self.take(8)?;
        let mut out = [0; 8];
        out.copy_from_slice(b);
        Ok(out)
    }

    fn str(&mut self) -> Result<&'static str, Error> {
        let n = self.u32()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| Error::Malformed)
    }
}

/// Skips one value (tag 255, a file left to its text, included).
fn skip(c: &mut Cursor) -> Result<(), Error> {
    c.take(8)?;
    match c.u8()? {
        0 => {
            c.str()?;
        }
        1 | 2 => {
            c.take(8)?;
        }
        3 => {
            c.take(1)?;
        }
        4 | 5 => {
            c.u32()?;
            let len = c.u32()?;
            c.take(len)?;
        }
        _ => {}
    }
    Ok(())
}

/// A decoded value: scalars read, arrays and tables left in the blob for their accessors.
struct Value {
    span: (usize, usize),
    kind: Kind,
}

enum Kind {
    Str(&'static str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Cursor, usize),
    Table(Cursor, usize),
}

impl Value {
    fn read(c: &mut Cursor) -> Result<Value, Error> {
        let span = (c.u32()?, c.u32()?);
        let kind = match c.u8()? {
            0 => Kind::Str(c.str()?),
            1 => Kind::Int(i64::from_le_bytes(c.u64()?)),
            2 => Kind::Float(f64::from_le_bytes(c.u64()?)),
            3 => Kind::Bool(c.u8()? != 0),
            tag @ (4 | 5) => {
                let n = c.u32()?;
                let len = c.u32()?;
                let at = *c;
                c.take(len)?;
                if tag == 4 {
                    Kind::Array(at, n)
                } else {
                    Kind::Table(at, n)
                }
            }
            _ => return Err(Error::Malformed),
        };
        Ok(Value { span, kind })
    }
}

#[derive(Debug)]
enum Error {
    Malformed,
    Custom(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed => f.write_str("malformed compiled rules"),
            Error::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Str(s) => visitor.visit_borrowed_str(s),
            Kind::Int(i) => visitor.visit_i64(i),
            Kind::Float(x) => visitor.visit_f64(x),
            Kind::Bool(b) => visitor.visit_bool(b),
            Kind::Array(at, n) => visitor.visit_seq(Seq { at, left: n }),
            Kind::Table(at, n) => visitor.visit_map(Table {
                at,
                left: n,
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.kind {
            Kind::Str(s) => visitor.visit_enum(s.into_deserializer()),
            _ => Err(de::Error::custom("expected a string for an enum")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if serde_spanned::de::is_spanned(name) {
            let (start, end) = self.span;
            return visitor.visit_map(serde_spanned::de::SpannedDeserializer::new(
                ValueWrap(self),
                start..end,
            ));
        }
        let _ = fields;
        self.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

/// A value handed on as the `value` of a `Spanned`.
struct ValueWrap(Value);

impl<'de> IntoDeserializer<'de, Error> for ValueWrap {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self.0
    }
}

struct Seq {
    at: Cursor,
    left: usize,
}

impl<'de> SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let value = Value::read(&mut self.at)?;
        seed.deserialize(value).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

struct Table {
    at: Cursor,
    left: usize,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Table {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let span = (self.at.u32()?, self.at.u32()?);
        let key = self.at.str()?;
        self.value = Some(Value::read(&mut self.at)?);
        seed.deserialize(Value {
            span,
            kind: Kind::Str(key),
        })
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self.value.take().ok_or(Error::Malformed)?;
        seed.deserialize(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_file_is_compiled_and_equals_its_toml() {
        let texts = super::super::load::builtin_files();
        let compiled: Vec<Option<RawRuleFile>> = files().collect();
        assert_eq!(compiled.len(), texts.len());
        for ((name, text), file) in texts.iter().zip(compiled) {
            let file = file.unwrap_or_else(|| panic!("{name} was not compiled"));
            let parsed: RawRuleFile = toml::from_str(text).unwrap();
            assert_eq!(format!("{file:?}"), format!("{parsed:?}"), "{name}");
        }
    }
}
