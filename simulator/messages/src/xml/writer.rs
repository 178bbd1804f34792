//! A direct XML writer for the wire types, producing exactly the bytes of quick-xml's serde
//! serializer (as `xml::write_text` configures it) about five times faster: no name validation
//! per element, no buffer per element, line ends and indentation written in place.
//!
//! It covers what the interface's messages are made of: structs of elements, strings, options,
//! sequences and newtypes. Anything else (attributes `@x`, `$text` / `$value`, numbers, maps,
//! enums, names that are not plain ASCII) makes it give up with [`Unsupported`], and the caller
//! writes the document with quick-xml instead, so the output never depends on which path ran.
//! The property tests check that both paths give the same text for every message type.

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::XmlStyle;

/// The value uses something this writer leaves to quick-xml (or a `Serialize` impl failed).
#[derive(Debug)]
pub(crate) struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("left to quick-xml")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Unsupported
    }
}

type Result<T = ()> = std::result::Result<T, Unsupported>;

/// Appends `value` (a struct: the document's root element) to `out` in `style`. On `Err`, `out`
/// holds a partial document; the caller truncates it.
pub(crate) fn write<T: Serialize + ?Sized>(value: &T, out: &mut String, style: XmlStyle) -> Result {
    write_to(value, out, style)
}

/// [`write`] straight into Shift_JIS bytes: markup and ASCII text are copied, other text is
/// encoded as `TextEncoding::encode` does (unmappable characters as numeric character
/// references), so the bytes are those of encoding [`write`]'s text, without a second pass over
/// the whole document. On `Err`, `out` holds a partial document; the caller truncates it.
pub(crate) fn write_shift_jis<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    style: XmlStyle,
) -> Result {
    write_to(
        value,
        ShiftJis {
            out,
            encoder: encoding_rs::SHIFT_JIS.new_encoder(),
        },
        style,
    )
}

fn write_to<T: Serialize + ?Sized, S: Sink>(value: &T, out: S, style: XmlStyle) -> Result {
    let mut w = Writer {
        out,
        crlf: style.crlf,
        indent: style.indent,
        level: 0,
    };
    value.serialize(Root { w: &mut w })
}

/// Where the writer puts the document: markup (names, brackets, escapes, line ends, indentation)
/// is ASCII; text content may be anything.
pub(crate) trait Sink {
    /// Appends ASCII markup.
    fn markup(&mut self, s: &str);
    /// Appends the ASCII markup `open`, `name`, `close` (a tag), with one reservation.
    fn tag(&mut self, open: &str, name: &str, close: &str);
    /// Appends text content (already escaped).
    fn text(&mut self, s: &str);
    /// Length so far, in the sink's units (bytes).
    fn len(&self) -> usize;
    /// Cuts back to `len` (a length returned by [`Sink::len`]).
    fn truncate(&mut self, len: usize);
}

impl Sink for &mut String {
    fn markup(&mut self, s: &str) {
        self.push_str(s);
    }
    #[inline]
    fn tag(&mut self, open: &str, name: &str, close: &str) {
        self.reserve(open.len() + name.len() + close.len());
        self.push_str(open);
        self.push_str(name);
        self.push_str(close);
    }
    fn text(&mut self, s: &str) {
        self.push_str(s);
    }
    fn len(&self) -> usize {
        String::len(self)
    }
    fn truncate(&mut self, len: usize) {
        String::truncate(self, len);
    }
}

/// Shift_JIS bytes.
struct ShiftJis<'a> {
    out: &'a mut Vec<u8>,
    encoder: encoding_rs::Encoder,
}

impl Sink for ShiftJis<'_> {
    fn markup(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    #[inline]
    fn tag(&mut self, open: &str, name: &str, close: &str) {
        self.out.reserve(open.len() + name.len() + close.len());
        self.out.extend_from_slice(open.as_bytes());
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(close.as_bytes());
    }

    fn text(&mut self, s: &str) {
        if s.is_ascii() {
            self.out.extend_from_slice(s.as_bytes());
            return;
        }
        // Shift_JIS has no state between characters, so encoding piece by piece gives the bytes
        // of encoding the whole text at once (as `encoding_rs::Encoding::encode` does).
        let mut read = 0;
        loop {
            let needed = self
                .encoder
                .max_buffer_length_from_utf8_if_no_unmappables(s.len() - read)
                .unwrap_or(s.len() * 2)
                // Room for a numeric character reference, `&#1114111;`.
                .saturating_add(10);
            self.out.reserve(needed);
            let (result, n, _) = self
                .encoder
                .encode_from_utf8_to_vec(&s[read..], self.out, true);
            read += n;
            if result == encoding_rs::CoderResult::InputEmpty {
                return;
            }
        }
    }

    fn len(&self) -> usize {
        self.out.len()
    }

    fn truncate(&mut self, len: usize) {
        self.out.truncate(len);
    }
}

struct Writer<S> {
    out: S,
    crlf: bool,
    /// Spaces per level; 0 writes everything on one line.
    indent: usize,
    level: usize,
}

impl<S: Sink> Writer<S> {
    fn newline_and_indent(&mut self) {
        if self.indent == 0 {
            return;
        }
        // The line end and the indentation in one piece (deeper levels in several).
        const NL_SPACES: &str = concat!(
            "\r\n",
            "                                ",
            "                                "
        );
        let lead = if self.crlf { 2 } else { 1 };
        let nl = &NL_SPACES[2 - lead..];
        let mut n = self.indent * self.level;
        let first = n.min(nl.len() - lead);
        self.out.markup(&nl[..lead + first]);
        n -= first;
        while n > 0 {
            let k = n.min(nl.len() - lead);
            self.out.markup(&nl[lead..lead + k]);
            n -= k;
        }
    }

    /// Text content: `&`, `<` and `>` escaped (quick-xml's default quote level), and each `\n`
    /// written as the style's line end.
    fn text(&mut self, value: &str) {
        let bytes = value.as_bytes();
        let mut from = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escaped = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'\n' if self.crlf => "\r\n",
                _ => continue,
            };
            // `i` is at an ASCII byte, so both slices end on character boundaries.
            self.out.text(&value[from..i]);
            self.out.markup(escaped);
            from = i + 1;
        }
        self.out.text(&value[from..]);
    }

    fn empty(&mut self, name: &str) {
        self.newline_and_indent();
        self.out.tag("<", name, "/>");
    }

    /// Opens `<name>` one level down; returns where its content starts.
    fn open(&mut self, name: &str, indent_first: bool) -> usize {
        if indent_first {
            self.newline_and_indent();
        }
        self.level += 1;
        self.out.tag("<", name, ">");
        self.out.len()
    }

    /// Closes what [`Writer::open`] opened: `<name/>` when nothing was written inside.
    fn close(&mut self, name: &str, content_at: usize) {
        self.level -= 1;
        if self.out.len() == content_at {
            self.out.truncate(content_at - 1);
            self.out.markup("/>");
        } else {
            self.newline_and_indent();
            self.out.tag("</", name, ">");
        }
    }
}

/// Element names written directly: ASCII letters, digits, `_`, `-`, `.`, not starting with a
/// digit, `-` or `.` (a subset of XML names). Others go to quick-xml, which validates them.
fn plain_name(name: &str) -> bool {
    /// 2: may start a name; 1: may continue one; 0: neither.
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            t[c] = if b.is_ascii_alphabetic() || b == b'_' {
                2
            } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
                1
            } else {
                0
            };
            c += 1;
        }
        t
    };
    let b = name.as_bytes();
    // `&` rather than `&&`: no branch per byte.
    !b.is_empty()
        && CLASS[b[0] as usize] == 2
        && b.iter().fold(true, |ok, &c| ok & (CLASS[c as usize] != 0))
}

macro_rules! unsupported {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(
            fn $method(self, $(_: $arg),*) -> Result<$ret> {
                Err(Unsupported)
            }
        )*
    };
}

macro_rules! unsupported_primitives {
    () => {
        unsupported! {
            serialize_bool(bool) -> Self::Ok;
            serialize_i8(i8) -> Self::Ok;
            serialize_i16(i16) -> Self::Ok;
            serialize_i32(i32) -> Self::Ok;
            serialize_i64(i64) -> Self::Ok;
            serialize_u8(u8) -> Self::Ok;
            serialize_u16(u16) -> Self::Ok;
            serialize_u32(u32) -> Self::Ok;
            serialize_u64(u64) -> Self::Ok;
            serialize_f32(f32) -> Self::Ok;
            serialize_f64(f64) -> Self::Ok;
            serialize_char(char) -> Self::Ok;
            serialize_bytes(&[u8]) -> Self::Ok;
            serialize_unit_variant(&'static str, u32, &'static str) -> Self::Ok;
            serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
            serialize_map(Option<usize>) -> Self::SerializeMap;
            serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
        }

        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok> {
            Err(Unsupported)
        }
    };
}

/// The document: only a struct (the root element, named after the struct) is written here.
struct Root<'w, S: Sink> {
    w: &'w mut Writer<S>,
}

impl<'w, S: Sink> ser::Serializer for Root<'w, S> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Struct<'w, S>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    unsupported_primitives!();
    unsupported! {
        serialize_str(&str) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result {
        Err(Unsupported)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, _: &T) -> Result {
        Err(Unsupported)
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Struct<'w, S>> {
        if !plain_name(name) {
            return Err(Unsupported);
        }
        let content_at = self.w.open(name, false);
        Ok(Struct {
            w: self.w,
            name,
            content_at,
        })
    }
}

/// The fields of an element being written.
struct Struct<'w, S: Sink> {
    w: &'w mut Writer<S>,
    name: &'static str,
    content_at: usize,
}

impl<S: Sink> ser::SerializeStruct for Struct<'_, S> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        if !plain_name(key) {
            return Err(Unsupported);
        }
        value.serialize(Element {
            w: &mut *self.w,
            name: key,
        })
    }

    fn end(self) -> Result {
        self.w.close(self.name, self.content_at);
        Ok(())
    }
}

/// A value written as element(s) named `name`: a string is `<name>text</name>` (`<name/>` when
/// empty or absent), a struct its fields inside `<name>`, a sequence one element per item.
struct Element<'w, S: Sink> {
    w: &'w mut Writer<S>,
    name: &'static str,
}

impl<'w, S: Sink> ser::Serializer for Element<'w, S> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Seq<'w, S>;
    type SerializeTuple = Seq<'w, S>;
    type SerializeTupleStruct = Seq<'w, S>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Struct<'w, S>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    unsupported_primitives!();

    fn serialize_str(self, value: &str) -> Result {
        if value.is_empty() {
            self.w.empty(self.name);
        } else {
            self.w.newline_and_indent();
            self.w.out.tag("<", self.name, ">");
            self.w.text(value);
            self.w.out.tag("</", self.name, ">");
        }
        Ok(())
    }

    fn serialize_none(self) -> Result {
        self.w.empty(self.name);
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.w.empty(self.name);
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.w.empty(self.name);
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'w, S>> {
        Ok(Seq {
            w: self.w,
            name: self.name,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'w, S>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'w, S>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Struct<'w, S>> {
        let content_at = self.w.open(self.name, true);
        Ok(Struct {
            w: self.w,
            name: self.name,
            content_at,
        })
    }
}

/// Items of a sequence, each an element named after the field.
struct Seq<'w, S: Sink> {
    w: &'w mut Writer<S>,
    name: &'static str,
}

impl<S: Sink> Seq<'_, S> {
    fn item<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        value.serialize(Element {
            w: &mut *self.w,
            name: self.name,
        })
    }
}

impl<S: Sink> ser::SerializeSeq for Seq<'_, S> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        Ok(())
    }
}

impl<S: Sink> ser::SerializeTuple for Seq<'_, S> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        Ok(())
    }
}

impl<S: Sink> ser::SerializeTupleStruct for Seq<'_, S> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        Ok(())
    }
}
