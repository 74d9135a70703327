//! Shared TOML reading: a recoverable parse that reports the first error as a counted warning,
//! and string values mapped back to file offsets.

use super::{Mapped, Out};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// Parses `text`; a syntax error becomes a `malformed-toml` warning, and the entries the parser
/// recovered are still returned.
pub(crate) fn parse<'i>(text: &'i str, out: &mut Out) -> DeTable<'i> {
    let (table, errors) = DeTable::parse_recoverable(text);
    if let Some(e) = errors.first() {
        out.warn(
            crate::note::NoteReason::MalformedToml,
            format!("malformed TOML: {}", e.message().trim()),
            e.span().map(|s| s.start),
        );
    }
    table.into_inner()
}

pub(crate) fn table<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a DeTable<'i>> {
    t.get(key).and_then(|v| v.get_ref().as_table())
}

/// Follows a dotted path of tables.
pub(crate) fn path<'a, 'i>(t: &'a DeTable<'i>, keys: &[&str]) -> Option<&'a DeTable<'i>> {
    keys.iter().try_fold(t, |t, k| table(t, k))
}

pub(crate) fn array<'a, 'i>(v: &'a Value<'i>) -> &'a [Value<'i>] {
    v.get_ref().as_array().map_or(&[], |a| &a[..])
}

pub(crate) fn str_of<'a>(v: &'a Value<'_>) -> Option<&'a str> {
    v.get_ref().as_str()
}

/// A string value mapped to file offsets: exact when the string is written without escapes,
/// otherwise every byte maps to the string's start.
pub(crate) fn mapped(v: &Value<'_>, text: &str) -> Option<Mapped> {
    let s = v.get_ref().as_str()?;
    let span = v.span();
    let raw = text.get(span.clone()).unwrap_or("");
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if raw.len() >= 2 * quote.len() && raw.starts_with(quote) && raw.ends_with(quote) {
            let inner = &raw[quote.len()..raw.len() - quote.len()];
            if inner == s {
                return Some(Mapped::verbatim(s, span.start + quote.len()));
            }
            break;
        }
    }
    let mut m = Mapped::default();
    m.push_at(s, span.start);
    Some(m)
}

/// A table key mapped to its span in the file.
pub(crate) fn key_mapped(k: &Spanned<toml::de::DeString<'_>>, text: &str) -> Mapped {
    let span = k.span();
    let raw = text.get(span.clone()).unwrap_or("");
    let s: &str = k.get_ref();
    if raw == s {
        Mapped::verbatim(s, span.start)
    } else if raw.len() == s.len() + 2 && &raw[1..raw.len() - 1] == s {
        Mapped::verbatim(s, span.start + 1)
    } else {
        let mut m = Mapped::default();
        m.push_at(s, span.start);
        m
    }
}
