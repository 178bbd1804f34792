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
    let mut w = Writer {
        out,
        crlf: style.crlf,
        indent: style.indent,
        level: 0,
    };
    value.serialize(Root { w: &mut w })
}

struct Writer<'a> {
    out: &'a mut String,
    crlf: bool,
    /// Spaces per level; 0 writes everything on one line.
    indent: usize,
    level: usize,
}

impl Writer<'_> {
    fn newline_and_indent(&mut self) {
        if self.indent == 0 {
            return;
        }
        self.out.push_str(if self.crlf { "\r\n" } else { "\n" });
        for _ in 0..self.indent * self.level {
            self.out.push(' ');
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
            self.out.push_str(&value[from..i]);
            self.out.push_str(escaped);
            from = i + 1;
        }
        self.out.push_str(&value[from..]);
    }

    fn empty(&mut self, name: &str) {
        self.newline_and_indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str("/>");
    }

    /// Opens `<name>` one level down; returns where its content starts.
    fn open(&mut self, name: &str, indent_first: bool) -> usize {
        if indent_first {
            self.newline_and_indent();
        }
        self.level += 1;
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.len()
    }

    /// Closes what [`Writer::open`] opened: `<name/>` when nothing was written inside.
    fn close(&mut self, name: &str, content_at: usize) {
        self.level -= 1;
        if self.out.len() == content_at {
            self.out.truncate(content_at - 1);
            self.out.push_str("/>");
        } else {
            self.newline_and_indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push('>');
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
struct Root<'w, 'a> {
    w: &'w mut Writer<'a>,
}

impl<'w, 'a> ser::Serializer for Root<'w, 'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Struct<'w, 'a>;
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

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Struct<'w, 'a>> {
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
struct Struct<'w, 'a> {
    w: &'w mut Writer<'a>,
    name: &'static str,
    content_at: usize,
}

impl ser::SerializeStruct for Struct<'_, '_> {
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
struct Element<'w, 'a> {
    w: &'w mut Writer<'a>,
    name: &'static str,
}

impl<'w, 'a> ser::Serializer for Element<'w, 'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Seq<'w, 'a>;
    type SerializeTuple = Seq<'w, 'a>;
    type SerializeTupleStruct = Seq<'w, 'a>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Struct<'w, 'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    unsupported_primitives!();

    fn serialize_str(self, value: &str) -> Result {
        if value.is_empty() {
            self.w.empty(self.name);
        } else {
            self.w.newline_and_indent();
            let out = &mut *self.w.out;
            out.push('<');
            out.push_str(self.name);
            out.push('>');
            self.w.text(value);
            let out = &mut *self.w.out;
            out.push_str("</");
            out.push_str(self.name);
            out.push('>');
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

    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'w, 'a>> {
        Ok(Seq {
            w: self.w,
            name: self.name,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'w, 'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'w, 'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Struct<'w, 'a>> {
        let content_at = self.w.open(self.name, true);
        Ok(Struct {
            w: self.w,
            name: self.name,
            content_at,
        })
    }
}

/// Items of a sequence, each an element named after the field.
struct Seq<'w, 'a> {
    w: &'w mut Writer<'a>,
    name: &'static str,
}

impl Seq<'_, '_> {
    fn item<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        value.serialize(Element {
            w: &mut *self.w,
            name: self.name,
        })
    }
}

impl ser::SerializeSeq for Seq<'_, '_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_, '_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Seq<'_, '_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        Ok(())
    }
}
