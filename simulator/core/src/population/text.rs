//! Interned text for the compact population: every distinct string once in an arena, and short
//! all-digit strings (記号, 番号, 枝番 of 8 digits or fewer) packed into the 32-bit handle itself.
//!
//! A handle ([`Text`]) is a `u32`: [`NONE`] for an absent value; bit 31 set for a digit string
//! (bits 27–30 its length 1–8, bits 0–26 its value, so leading zeros survive); otherwise the
//! index of an arena string.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// A text handle.
pub(crate) type Text = u32;

/// The handle of an absent value.
pub(crate) const NONE: Text = u32::MAX;

const DIGITS: u32 = 1 << 31;
const MAX_INTERNED: u32 = DIGITS - 1;

/// The arena was full (more than 2³¹ distinct strings or 4 GiB of text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// Distinct strings, each stored once.
#[derive(Default)]
pub(crate) struct Strings {
    bytes: String,
    ends: Vec<u32>,
    dedup: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Strings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Strings")
            .field("count", &self.ends.len())
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl Strings {
    /// The string with arena index `i` (`""` for an index out of range).
    pub(crate) fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.bytes.get(start as usize..end as usize).unwrap_or("")
    }

    /// The arena index of `s`, adding it if new.
    pub(crate) fn intern(&mut self, s: &str) -> Result<u32, Full> {
        let hash = self.hasher.hash_one(s);
        let Strings {
            bytes,
            ends,
            dedup,
            hasher,
        } = self;
        let get = |i: u32| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            &bytes[start..ends[i] as usize]
        };
        if let Some(&i) = dedup.find(hash, |&i| get(i) == s) {
            return Ok(i);
        }
        let i = u32::try_from(ends.len()).map_err(|_| Full)?;
        if i > MAX_INTERNED - 1 {
            return Err(Full);
        }
        let end = u32::try_from(bytes.len() + s.len()).map_err(|_| Full)?;
        bytes.push_str(s);
        ends.push(end);
        let (bytes, ends) = (&*bytes, &*ends);
        dedup.insert_unique(hash, i, |&j| {
            let j = j as usize;
            let start = if j == 0 { 0 } else { ends[j - 1] as usize };
            hasher.hash_one(&bytes[start..ends[j] as usize])
        });
        Ok(i)
    }

    /// The handle of `s`.
    pub(crate) fn text(&mut self, s: &str) -> Result<Text, Full> {
        if (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            let value: u32 = s.bytes().fold(0, |v, b| v * 10 + u32::from(b - b'0'));
            return Ok(DIGITS | ((s.len() as u32) << 27) | value);
        }
        self.intern(s)
    }

    /// The handle of an optional value.
    pub(crate) fn opt_text(&mut self, s: Option<&str>) -> Result<Text, Full> {
        s.map_or(Ok(NONE), |s| self.text(s))
    }

    /// Appends the text of `t` to `out` (nothing for [`NONE`]).
    pub(crate) fn push(&self, t: Text, out: &mut String) {
        if t == NONE {
        } else if t & DIGITS != 0 {
            let len = ((t >> 27) & 0xF) as usize;
            let value = t & ((1 << 27) - 1);
            let digits = value.to_string();
            for _ in digits.len()..len {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            out.push_str(self.get(t));
        }
    }

    /// The text of `t` as a new string.
    pub(crate) fn string(&self, t: Text) -> String {
        let mut s = String::new();
        self.push(t, &mut s);
        s
    }

    /// The text of `t`, `None` for [`NONE`].
    pub(crate) fn opt_string(&self, t: Text) -> Option<String> {
        (t != NONE).then(|| self.string(t))
    }

    /// The value of a digit handle (`None` for arena strings and [`NONE`]).
    pub(crate) fn digit_value(t: Text) -> Option<u32> {
        (t != NONE && t & DIGITS != 0).then_some(t & ((1 << 27) - 1))
    }

    /// Interns every string of `other` here, giving the handle map from `other`'s arena
    /// indexes to this one's (see [`remap`]).
    pub(crate) fn absorb(&mut self, other: &Strings) -> Result<Vec<u32>, Full> {
        let Strings {
            bytes,
            ends,
            dedup,
            hasher,
        } = self;
        dedup.reserve(other.ends.len(), |&j| {
            let j = j as usize;
            let start = if j == 0 { 0 } else { ends[j - 1] as usize };
            hasher.hash_one(&bytes[start..ends[j] as usize])
        });
        (0..other.ends.len() as u32)
            .map(|i| self.intern(other.get(i)))
            .collect()
    }

    /// Forgets every string, keeping the room.
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.dedup.clear();
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 4 + self.dedup.capacity() * 5
    }

    /// The arena, for the binary file: the concatenated text and the end of each string.
    pub(crate) fn raw(&self) -> (&str, &[u32]) {
        (&self.bytes, &self.ends)
    }
}

/// The handle of `t` after the strings it points to moved by `map` ([`Strings::absorb`]):
/// digit handles and [`NONE`] stay as they are.
pub(crate) fn remap(t: Text, map: &[u32]) -> Text {
    if t == NONE || t & DIGITS != 0 {
        t
    } else {
        map.get(t as usize).copied().unwrap_or(NONE)
    }
}

/// [`remap`] on every piece.
pub(crate) fn remap_pieces<const N: usize>(p: Pieces<N>, map: &[u32]) -> Pieces<N> {
    p.map(|t| remap(t, map))
}

/// A string stored as up to three interned pieces, so that names (family, given) and addresses
/// (町域, 番地, 建物) share their parts: `pieces` joined give the string back.
pub(crate) type Pieces<const N: usize> = [Text; N];

/// Splits a name at its first full-width space (kept at the start of the second piece).
pub(crate) fn name_pieces(strings: &mut Strings, s: &str) -> Result<Pieces<2>, Full> {
    match s.find('\u{3000}') {
        Some(i) => Ok([strings.intern(&s[..i])?, strings.intern(&s[i..])?]),
        None => Ok([strings.intern(s)?, NONE]),
    }
}

/// Splits an address before its first digit (番地) and again at the next full-width space
/// (建物).
pub(crate) fn address_pieces(strings: &mut Strings, s: &str) -> Result<Pieces<3>, Full> {
    let digit = s
        .char_indices()
        .find(|&(_, c)| c.is_ascii_digit() || ('０'..='９').contains(&c))
        .map_or(s.len(), |(i, _)| i);
    let (town, rest) = s.split_at(digit);
    let (block, building) = match rest.find('\u{3000}') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let piece = |strings: &mut Strings, p: &str| {
        if p.is_empty() {
            Ok(NONE)
        } else {
            strings.intern(p)
        }
    };
    Ok([
        strings.intern(town)?,
        piece(strings, block)?,
        piece(strings, building)?,
    ])
}

/// The string of pieces.
pub(crate) fn join<const N: usize>(strings: &Strings, pieces: &Pieces<N>) -> String {
    let mut s = String::new();
    for &p in pieces {
        strings.push(p, &mut s);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip() {
        let mut s = Strings::default();
        for v in [
            "",
            "0",
            "00",
            "01",
            "12345678",
            "00000001",
            "123456789",
            "ABC",
            "千代田",
            "99999999",
        ] {
            let t = s.text(v).unwrap();
            assert_eq!(s.string(t), v);
        }
        assert_eq!(s.text("千代田").unwrap(), s.text("千代田").unwrap());
        assert!(Strings::digit_value(s.text("0012").unwrap()) == Some(12));
        assert_eq!(s.opt_string(NONE), None);
        for a in [
            "東京都千代田区千代田１－２－３",
            "東京都千代田区千代田１－２－３　メゾン１０２",
            "大阪府大阪市北区梅田",
            "x 1 y",
        ] {
            let p = address_pieces(&mut s, a).unwrap();
            assert_eq!(join(&s, &p), a);
        }
        for n in ["山田　太郎", "SMITH JOHN", "髙橋　一　二"] {
            let p = name_pieces(&mut s, n).unwrap();
            assert_eq!(join(&s, &p), n);
        }
    }
}
