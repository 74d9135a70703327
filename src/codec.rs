//! The result cache's binary encoding ([`crate::cache`]): LEB128 integers, length-prefixed UTF-8 strings, options as a
//! 0/1 byte, sequences as a count then items, enums as an index into a fixed variant list.
//!
//! Hand-written rather than derived so that the report types keep their JSON-oriented serde
//! attributes (`skip_serializing_if` does not survive a non-self-describing format) and so that
//! decoding bad bytes is an error, never a panic or a huge allocation: every length is checked
//! against the bytes left.

/// Appends values to a byte buffer.
#[derive(Default)]
pub struct Enc {
    pub bytes: Vec<u8>,
    /// A value had no encoding (an enum variant missing from its codec's list): the bytes must
    /// not be stored, or they would decode as another value.
    unencodable: bool,
}

/// Reads values back; any inconsistency is [`Bad`].
pub struct Dec<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// The bytes are not what [`Enc`] wrote.
#[derive(Debug)]
pub struct Bad;

pub type Result<T> = std::result::Result<T, Bad>;

/// A value the cache can store.
pub trait Codec: Sized {
    fn encode(&self, e: &mut Enc);
    fn decode(d: &mut Dec) -> Result<Self>;
}

impl Enc {
    pub fn u64(&mut self, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.bytes.push(byte);
                return;
            }
            self.bytes.push(byte | 0x80);
        }
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        self.bytes.extend_from_slice(bytes);
    }

    /// `value`'s index in `all`; a value `all` lacks makes [`Enc::finish`] fail.
    pub fn variant<T: PartialEq>(&mut self, value: &T, all: &[T]) {
        match all.iter().position(|v| v == value) {
            Some(i) => self.u64(i as u64),
            None => {
                self.unencodable = true;
                self.u64(u64::MAX);
            }
        }
    }

    /// The bytes, unless a value could not be encoded.
    pub fn finish(self) -> Result<Vec<u8>> {
        if self.unencodable {
            Err(Bad)
        } else {
            Ok(self.bytes)
        }
    }
}

impl<'a> Dec<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Dec { bytes, at: 0 }
    }

    /// How many bytes were read.
    pub fn position(&self) -> usize {
        self.at
    }

    /// The next `n` bytes as they are.
    pub fn fixed(&mut self, n: usize) -> Result<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at + n).ok_or(Bad)?;
        self.at += n;
        Ok(slice)
    }

    pub fn is_done(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.at).ok_or(Bad)?;
        self.at += 1;
        Ok(b)
    }

    pub fn u64(&mut self) -> Result<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift).ok_or(Bad)?;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(Bad)
    }

    pub fn usize(&mut self) -> Result<usize> {
        usize::try_from(self.u64()?).map_err(|_| Bad)
    }

    /// A length, which cannot exceed the bytes left (every item takes at least one byte).
    pub fn count(&mut self) -> Result<usize> {
        let n = self.usize()?;
        if n > self.bytes.len() - self.at {
            return Err(Bad);
        }
        Ok(n)
    }

    pub fn raw(&mut self) -> Result<&'a [u8]> {
        let n = self.count()?;
        let slice = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(slice)
    }

    pub fn variant<T: Copy>(&mut self, all: &[T]) -> Result<T> {
        all.get(self.usize()?).copied().ok_or(Bad)
    }
}

/// [`Codec`] for a struct: its fields in the order listed, which is the encoding. The struct
/// literal in `decode` names every field, so a field added to the struct and not here does not
/// compile.
macro_rules! codec_struct {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        impl $crate::codec::Codec for $ty {
            fn encode(&self, e: &mut $crate::codec::Enc) {
                $( $crate::codec::Codec::encode(&self.$field, e); )*
            }
            fn decode(
                d: &mut $crate::codec::Dec,
            ) -> $crate::codec::Result<Self> {
                Ok(Self { $( $field: $crate::codec::Codec::decode(d)?, )* })
            }
        }
    };
}
pub(crate) use codec_struct;

/// [`Codec`] for field-less enums: the variant's index in a fixed list of all variants.
macro_rules! codec_enum {
    ($($ty:ty => $all:expr),* $(,)?) => {$(
        impl $crate::codec::Codec for $ty {
            fn encode(&self, e: &mut $crate::codec::Enc) {
                e.variant(self, &$all);
            }
            fn decode(
                d: &mut $crate::codec::Dec,
            ) -> $crate::codec::Result<Self> {
                d.variant(&$all)
            }
        }
    )*};
}
pub(crate) use codec_enum;

impl Codec for u64 {
    fn encode(&self, e: &mut Enc) {
        e.u64(*self);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        d.u64()
    }
}

impl Codec for usize {
    fn encode(&self, e: &mut Enc) {
        e.u64(*self as u64);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        d.usize()
    }
}

impl Codec for bool {
    fn encode(&self, e: &mut Enc) {
        e.u64(u64::from(*self));
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        match d.u64()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Bad),
        }
    }
}

impl Codec for String {
    fn encode(&self, e: &mut Enc) {
        e.raw(self.as_bytes());
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        std::str::from_utf8(d.raw()?)
            .map(str::to_string)
            .map_err(|_| Bad)
    }
}

/// The same bytes as a `String`: a boxed string is one without spare capacity.
impl Codec for Box<str> {
    fn encode(&self, e: &mut Enc) {
        e.raw(self.as_bytes());
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        String::decode(d).map(String::into_boxed_str)
    }
}

impl<T: Codec> Codec for Option<T> {
    fn encode(&self, e: &mut Enc) {
        match self {
            None => e.u64(0),
            Some(v) => {
                e.u64(1);
                v.encode(e);
            }
        }
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        match d.u64()? {
            0 => Ok(None),
            1 => T::decode(d).map(Some),
            _ => Err(Bad),
        }
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn encode(&self, e: &mut Enc) {
        e.u64(self.len() as u64);
        for v in self {
            v.encode(e);
        }
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        let n = d.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(T::decode(d)?);
        }
        Ok(out)
    }
}

impl<T: Codec> Codec for std::sync::Arc<T> {
    fn encode(&self, e: &mut Enc) {
        (**self).encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        T::decode(d).map(std::sync::Arc::new)
    }
}

impl<A: Codec, B: Codec> Codec for (A, B) {
    fn encode(&self, e: &mut Enc) {
        self.0.encode(e);
        self.1.encode(e);
    }
    fn decode(d: &mut Dec) -> Result<Self> {
        Ok((A::decode(d)?, B::decode(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_missing_from_its_list_is_an_error_not_index_0() {
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Three {
            A,
            B,
            C,
        }
        let registered = [Three::A, Three::B];
        let mut e = Enc::default();
        e.variant(&Three::B, &registered);
        assert!(e.finish().is_ok());
        let mut e = Enc::default();
        e.variant(&Three::C, &registered);
        assert!(e.finish().is_err());
        // And bytes that name no variant do not decode.
        let mut e = Enc::default();
        e.u64(7);
        assert!(Dec::new(&e.bytes).variant(&registered).is_err());
        let _ = Three::A;
    }

    fn round_trip<T: Codec + PartialEq + std::fmt::Debug>(value: T) {
        let mut e = Enc::default();
        value.encode(&mut e);
        let mut d = Dec::new(&e.bytes);
        assert_eq!(T::decode(&mut d).unwrap(), value);
        assert!(d.is_done());
    }

    #[test]
    fn values_round_trip() {
        round_trip(0u64);
        round_trip(u64::MAX);
        round_trip(vec![Some("é\u{0}x".to_string()), None]);
        round_trip((3usize, true));
    }

    #[test]
    fn bad_bytes_are_an_error_not_a_panic() {
        for bytes in [
            &[0xff; 11][..],
            &[5, b'a'],
            &[0xff, 0xff, 0xff, 0x7f],
            &[2, 0xc3, 0x28],
        ] {
            let mut d = Dec::new(bytes);
            assert!(Vec::<String>::decode(&mut d).is_err() || !d.is_done());
        }
    }
}
