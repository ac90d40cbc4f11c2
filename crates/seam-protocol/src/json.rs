//! The serializer frames are written with: serde_json's compact output,
//! byte for byte, in fewer instructions.
//!
//! Every frame the broker sends is serialized once, and at chat rates that
//! is a tenth of the broker's work, most of it serde_json escaping strings
//! a byte at a time (keys included) through its `io::Write` and
//! `Formatter` layers. This writes straight into a `Vec<u8>` and scans
//! strings eight bytes at a time for what needs escaping. Whatever it does
//! not handle itself (floats, serde_json's own raw values and numbers,
//! unusual map keys) is reported as [`Unsupported`], and the caller
//! serializes the whole value with serde_json instead, so the output is
//! always serde_json's.

use std::fmt::Display;

use serde::ser::{self, Serialize};

use crate::{Ack, EventBody, Principal, SessionEvent};

/// A value this serializer leaves to serde_json.
#[derive(Debug)]
pub(crate) struct Unsupported;

impl Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: Display>(_: T) -> Self {
        Unsupported
    }
}

/// Appends `value`'s JSON to `out`; on `Err`, `out` holds a partial value.
pub(crate) fn write(
    out: &mut Vec<u8>,
    value: &(impl Serialize + ?Sized),
) -> Result<(), Unsupported> {
    value.serialize(&mut Json { out })
}

/// Appends the JSON of `ServerFrame::Event(event)`, the frame of every
/// event: its fields written in place, in serde's order, and the body too
/// when it is a plain chat message (any other through [`write`]).
pub(crate) fn write_event_frame(
    out: &mut Vec<u8>,
    event: &SessionEvent,
) -> Result<(), Unsupported> {
    // Every field named, so a new one does not go unwritten.
    let SessionEvent {
        session_id,
        seq,
        at,
        from,
        client_id,
        body,
    } = event;
    let Principal { sub, role, name } = from;
    out.extend_from_slice(br#"{"type":"event","session_id":"#);
    write_str(out, session_id);
    out.extend_from_slice(br#","seq":"#);
    write_int(out, *seq);
    out.extend_from_slice(br#","at":"#);
    write_int(out, *at);
    out.extend_from_slice(br#","from":{"sub":"#);
    write_str(out, sub);
    out.extend_from_slice(br#","role":"#);
    write(out, role)?;
    if let Some(name) = name {
        out.extend_from_slice(br#","name":"#);
        write_str(out, name);
    }
    out.push(b'}');
    if let Some(id) = client_id {
        out.extend_from_slice(br#","client_id":"#);
        write_str(out, id);
    }
    match body {
        // A chat message with nothing but its text, as most are; every
        // field named, so a new one is not taken for absent.
        EventBody::Message {
            text,
            quick_replies,
            card: None,
            choice: None,
            edited: false,
            deleted: false,
        } if quick_replies.is_empty() => {
            out.extend_from_slice(br#","body":{"kind":"message","text":"#);
            write_str(out, text);
            out.push(b'}');
        }
        _ => {
            out.extend_from_slice(br#","body":"#);
            write(out, body)?;
        }
    }
    out.push(b'}');
    Ok(())
}

/// Appends the JSON of `ServerFrame::Ack(ack)` when the ack carries no
/// more than a command's answer (id, session, seq, duplicate), as most
/// do; `None` for any other ack, written through [`write`] instead.
pub(crate) fn write_plain_ack_frame(out: &mut Vec<u8>, ack: &Ack) -> Option<()> {
    // Every field named, so a new one is not taken for absent.
    let Ack {
        id,
        session_id,
        seq,
        duplicate,
        session: None,
        resume: None,
        invitation_id: None,
        request_id: None,
        overview: None,
        sessions: None,
        canned_responses: None,
        availability: None,
        recommendation: None,
        offline_messages: None,
        expires_at: None,
    } = ack
    else {
        return None;
    };
    out.extend_from_slice(br#"{"type":"ack","id":"#);
    write_str(out, id);
    if let Some(session_id) = session_id {
        out.extend_from_slice(br#","session_id":"#);
        write_str(out, session_id);
    }
    if let Some(seq) = seq {
        out.extend_from_slice(br#","seq":"#);
        write_int(out, *seq);
    }
    if *duplicate {
        out.extend_from_slice(br#","duplicate":true"#);
    }
    out.push(b'}');
    Some(())
}

/// serde_json's escape for each byte: 0 for none, `u` for `\u00XX`.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Whether any of the eight bytes of `word` is a control character, `"`
/// or `\` (the usual "has a byte less than n" and "has a zero byte" word
/// tricks, exact as a yes or no).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * b'"' as u64);
    let quote = quote.wrapping_sub(ONES) & !quote;
    let backslash = word ^ (ONES * b'\\' as u64);
    let backslash = backslash.wrapping_sub(ONES) & !backslash;
    (control | quote | backslash) & HIGHS != 0
}

/// Appends `text` as a JSON string, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(chunk) = bytes.get(at..at + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            if !needs_escape(u64::from_le_bytes(word)) {
                at += 8;
                continue;
            }
        }
        let byte = bytes[at];
        let escape = ESCAPE[byte as usize];
        if escape != 0 {
            out.extend_from_slice(&bytes[copied..at]);
            if escape == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(byte >> 4) as usize],
                    HEX[(byte & 0xf) as usize],
                ]);
            } else {
                out.extend_from_slice(&[b'\\', escape]);
            }
            copied = at + 1;
        }
        at += 1;
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'"');
}

/// Appends an integer's digits.
fn write_int(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Names serde_json gives its own types (raw values, arbitrary-precision
/// numbers), which only serde_json knows how to write.
fn is_serde_json_private(name: &str) -> bool {
    name.starts_with("$serde_json::private::")
}

/// A serializer's ten integer methods, each running `$write` with the
/// serializer and the value.
macro_rules! integers {
    (|$serializer:ident, $value:ident| $write:expr) => {
        integers!(@each $serializer $value $write;
            serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
            serialize_i64: i64, serialize_i128: i128, serialize_u8: u8,
            serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
            serialize_u128: u128);
    };
    (@each $serializer:ident $value:ident $write:expr; $($method:ident: $type:ty),*) => {$(
        fn $method(self, $value: $type) -> Result<(), Unsupported> {
            let $serializer = self;
            $write
        }
    )*};
}

/// What a value and a map key write alike: strings and chars as JSON
/// strings, a unit variant as its name, a newtype struct as what it wraps
/// (serde_json's own are left to it). For a serializer with an `out`.
macro_rules! strings {
    () => {
        fn serialize_char(self, v: char) -> Result<(), Unsupported> {
            write_str(self.out, v.encode_utf8(&mut [0; 4]));
            Ok(())
        }

        fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
            write_str(self.out, v);
            Ok(())
        }

        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
        ) -> Result<(), Unsupported> {
            write_str(self.out, variant);
            Ok(())
        }

        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            name: &'static str,
            value: &T,
        ) -> Result<(), Unsupported> {
            if is_serde_json_private(name) {
                return Err(Unsupported);
            }
            value.serialize(self)
        }
    };
}

/// The output being written.
struct Json<'a> {
    out: &'a mut Vec<u8>,
}

/// An array or object being written: whether the next item is its first.
struct Compound<'s, 'a> {
    json: &'s mut Json<'a>,
    first: bool,
    /// Closing brackets to write at the end (`]}` for a tuple variant).
    close: &'static [u8],
}

impl<'s, 'a> Compound<'s, 'a> {
    fn open(json: &'s mut Json<'a>, open: &[u8], close: &'static [u8]) -> Self {
        json.out.extend_from_slice(open);
        Compound {
            json,
            first: true,
            close,
        }
    }

    /// An externally tagged variant's contents: `{"variant":` and `open`.
    fn variant(json: &'s mut Json<'a>, variant: &str, open: &[u8], close: &'static [u8]) -> Self {
        json.out.push(b'{');
        write_str(json.out, variant);
        Compound::open(json, open, close)
    }

    fn comma(&mut self) {
        if !self.first {
            self.json.out.push(b',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.comma();
        value.serialize(&mut *self.json)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Unsupported> {
        self.comma();
        write_str(self.json.out, key);
        self.json.out.push(b':');
        value.serialize(&mut *self.json)
    }

    fn close(self) -> Result<(), Unsupported> {
        self.json.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'s, 'a> ser::Serializer for &'s mut Json<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Compound<'s, 'a>;
    type SerializeTuple = Compound<'s, 'a>;
    type SerializeTupleStruct = Compound<'s, 'a>;
    type SerializeTupleVariant = Compound<'s, 'a>;
    type SerializeMap = Compound<'s, 'a>;
    type SerializeStruct = Compound<'s, 'a>;
    type SerializeStructVariant = Compound<'s, 'a>;

    integers!(|json, v| {
        write_int(json.out, v);
        Ok(())
    });

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_f32(self, _: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_f64(self, _: f64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    strings!();

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unsupported> {
        let mut array = Compound::open(self, b"[", b"]");
        for byte in v {
            array.element(byte)?;
        }
        array.close()
    }

    fn serialize_none(self) -> Result<(), Unsupported> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        self.serialize_unit()
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        let mut object = Compound::open(self, b"{", b"}");
        object.field(variant, value)?;
        object.close()
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'s, 'a>, Unsupported> {
        Ok(Compound::open(self, b"[", b"]"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'s, 'a>, Unsupported> {
        Ok(Compound::open(self, b"[", b"]"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'s, 'a>, Unsupported> {
        Ok(Compound::open(self, b"[", b"]"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'s, 'a>, Unsupported> {
        Ok(Compound::variant(self, variant, b":[", b"]}"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'s, 'a>, Unsupported> {
        Ok(Compound::open(self, b"{", b"}"))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'s, 'a>, Unsupported> {
        if is_serde_json_private(name) {
            return Err(Unsupported);
        }
        Ok(Compound::open(self, b"{", b"}"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'s, 'a>, Unsupported> {
        Ok(Compound::variant(self, variant, b":{", b"}}"))
    }
}

/// serde's traits for an array's elements, one impl each.
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Unsupported;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
                self.element(value)
            }

            fn end(self) -> Result<(), Unsupported> {
                self.close()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// serde's traits for an object's fields, one impl each.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Unsupported;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Unsupported> {
                self.field(key, value)
            }

            fn end(self) -> Result<(), Unsupported> {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        self.comma();
        key.serialize(MapKey {
            out: &mut *self.json.out,
        })?;
        self.json.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        value.serialize(&mut *self.json)
    }

    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

/// A map key: strings as they are, integers quoted, as serde_json writes
/// them; any other key is left to serde_json.
struct MapKey<'a> {
    out: &'a mut Vec<u8>,
}

impl MapKey<'_> {
    fn quoted(self, value: impl itoa::Integer) -> Result<(), Unsupported> {
        self.out.push(b'"');
        write_int(self.out, value);
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = ser::Impossible<(), Unsupported>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = ser::Impossible<(), Unsupported>;
    type SerializeStruct = ser::Impossible<(), Unsupported>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    integers!(|key, v| key.quoted(v));

    strings!();

    fn serialize_bool(self, _: bool) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_f32(self, _: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_f64(self, _: f64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_none(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_unit(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::*;

    /// What this serializer writes, or serde_json's output when it leaves
    /// the value to serde_json (as `json_of` does).
    fn written(value: &(impl Serialize + ?Sized)) -> Option<String> {
        let mut out = Vec::new();
        write(&mut out, value).ok()?;
        Some(String::from_utf8(out).expect("UTF-8"))
    }

    fn same_as_serde_json(value: &(impl Serialize + ?Sized)) {
        let expected = serde_json::to_string(value).expect("serde_json");
        assert_eq!(written(value).as_deref(), Some(expected.as_str()));
    }

    #[test]
    fn every_byte_is_escaped_as_serde_json_escapes_it() {
        for byte in 0u8..=0x7f {
            let one = char::from(byte).to_string();
            same_as_serde_json(&one);
            // At each position of an eight-byte word, and past the last
            // whole word.
            for at in 0..19 {
                let mut text = "a".repeat(19);
                text.replace_range(at..=at, &one);
                same_as_serde_json(&text);
            }
        }
        for text in [
            "",
            "é",
            "日本語\u{1F600}",
            "\u{7f}\u{80}\u{ffff}",
            "tab\tend\"\\",
        ] {
            same_as_serde_json(&text.repeat(5));
        }
    }

    #[test]
    fn structures_are_written_as_serde_json_writes_them() {
        #[derive(Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum Tagged {
            Plain { text: String, count: u64 },
            Wrapped(BTreeMap<String, i64>),
        }
        #[derive(Serialize)]
        enum External {
            Unit,
            Newtype(u8),
            Tuple(i32, String),
            Struct { a: Option<bool>, b: Vec<u16> },
        }
        #[derive(Serialize)]
        struct Everything<'a> {
            tagged: Vec<Tagged>,
            external: Vec<External>,
            unit: (),
            none: Option<u8>,
            chars: (char, char),
            bytes: &'a [u8],
            keys: BTreeMap<u64, &'a str>,
            negative: i128,
            large: u128,
            empty: (Vec<u8>, BTreeMap<String, u8>),
            value: serde_json::Value,
        }
        let value = Everything {
            tagged: vec![
                Tagged::Plain {
                    text: "x\ny".into(),
                    count: u64::MAX,
                },
                Tagged::Wrapped([("k\"".to_owned(), -5)].into()),
            ],
            external: vec![
                External::Unit,
                External::Newtype(7),
                External::Tuple(-1, "t".into()),
                External::Struct {
                    a: Some(false),
                    b: vec![1, 2],
                },
            ],
            unit: (),
            none: None,
            chars: ('"', 'é'),
            bytes: &[0, 255],
            keys: [(1, "one"), (u64::MAX, "max")].into(),
            negative: i128::MIN,
            large: u128::MAX,
            empty: (Vec::new(), BTreeMap::new()),
            value: json!({"nested": [null, true, "s", {"deep": -3}]}),
        };
        same_as_serde_json(&value);
    }

    #[test]
    fn event_and_ack_frames_are_written_as_serde_json_writes_them() {
        use crate::{CustomerContext, EventBody, Role, ServerFrame};
        let principals = [
            Principal {
                sub: "c-1".into(),
                role: Role::Customer,
                name: None,
            },
            Principal {
                sub: "a\"1".into(),
                role: Role::Agent,
                name: Some("Ann\n".into()),
            },
        ];
        let context = CustomerContext {
            issue_type: Some("billing".into()),
            metadata: [
                ("plan".to_owned(), json!("pro")),
                ("score".to_owned(), json!(2.5)),
            ]
            .into_iter()
            .collect(),
            ..CustomerContext::default()
        };
        let mut quick = EventBody::message("pick one");
        if let EventBody::Message { edited, .. } = &mut quick {
            *edited = true;
        }
        let mut buttons = EventBody::message("choose");
        if let EventBody::Message { quick_replies, .. } = &mut buttons {
            quick_replies.push(crate::QuickReply {
                id: "yes".into(),
                label: "Yes".into(),
            });
        }
        let bodies = [
            EventBody::message("hello \u{1F600} \"quoted\"\t"),
            EventBody::message(""),
            quick,
            buttons,
            EventBody::SessionOpened { context },
            EventBody::ParticipantJoined {
                participant: principals[1].clone(),
            },
        ];
        for from in &principals {
            for client_id in [None, Some("cmd-1".to_owned())] {
                for body in &bodies {
                    let event = SessionEvent {
                        session_id: "s_1".into(),
                        seq: 42,
                        at: 1_700_000_000_123,
                        from: from.clone(),
                        client_id: client_id.clone(),
                        body: body.clone(),
                    };
                    let expected =
                        serde_json::to_string(&ServerFrame::Event(event.clone())).expect("json");
                    assert_eq!(ServerFrame::event_json(&event), expected);
                    assert_eq!(ServerFrame::Event(event).to_json(), expected);
                }
            }
        }
        for session_id in [None, Some("s_\u{e9}".to_owned())] {
            for seq in [None, Some(7)] {
                for duplicate in [false, true] {
                    for expires_at in [None, Some(1_800_000_000)] {
                        let ack = ServerFrame::Ack(Ack {
                            id: "c\"1".into(),
                            session_id: session_id.clone(),
                            seq,
                            duplicate,
                            expires_at,
                            ..Ack::default()
                        });
                        let expected = serde_json::to_string(&ack).expect("json");
                        assert_eq!(ack.to_json(), expected);
                    }
                }
            }
        }
    }

    #[test]
    fn what_only_serde_json_writes_is_left_to_it() {
        assert!(written(&1.5f64).is_none(), "floats");
        assert!(written(&json!({"x": 0.25})).is_none(), "floats in a value");
        let raw = serde_json::value::RawValue::from_string("[1, 2]".into()).expect("raw");
        assert!(written(&raw).is_none(), "raw values");
        let bool_keys: BTreeMap<bool, u8> = [(true, 1)].into();
        assert!(
            written(&bool_keys).is_none(),
            "keys other than strings and integers"
        );
    }
}
