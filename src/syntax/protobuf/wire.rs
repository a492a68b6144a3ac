//! A strict reader of protobuf's wire format, driven by a schema of each message.
//!
//! prost's generated decoders follow protobuf's lenient rules: an unknown field is skipped, a
//! singular field given twice keeps its last value, and a second member of a oneof silently
//! replaces the first. For a permission message each of those is a guess about what the sender
//! meant (a field from a newer proto may narrow a permission; skipping it widens one), so fgac
//! reads permissions with this reader instead, which refuses all three and says at which byte.
//! The varint and field-key decoding are prost's.

use crate::error::{Diagnostic, ErrorKind};
use crate::model::Span;
use prost::encoding::WireType;

/// How a field is carried on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wire {
    /// A varint (enums).
    Varint,
    /// Length-delimited (messages, strings, bytes).
    Len,
}

/// One field of a message as the `.proto` file declares it.
#[derive(Clone, Copy, Debug)]
pub(super) struct FieldDef {
    /// The field number.
    pub number: u32,
    /// The field name, for messages.
    pub name: &'static str,
    /// How the field is carried.
    pub wire: Wire,
    /// Whether the field is `repeated`.
    pub repeated: bool,
    /// The oneof the field belongs to, if any.
    pub oneof: Option<&'static str>,
}

impl FieldDef {
    /// A singular field.
    pub const fn one(number: u32, name: &'static str, wire: Wire) -> FieldDef {
        FieldDef {
            number,
            name,
            wire,
            repeated: false,
            oneof: None,
        }
    }

    /// A member of the oneof `group`.
    pub const fn of(number: u32, name: &'static str, wire: Wire, group: &'static str) -> FieldDef {
        FieldDef {
            number,
            name,
            wire,
            repeated: false,
            oneof: Some(group),
        }
    }

    /// A repeated field.
    pub const fn many(number: u32, name: &'static str, wire: Wire) -> FieldDef {
        FieldDef {
            number,
            name,
            wire,
            repeated: true,
            oneof: None,
        }
    }
}

/// A message type: its name and its fields.
#[derive(Clone, Copy, Debug)]
pub(super) struct Schema {
    /// The message's name in the `.proto` file.
    pub name: &'static str,
    /// Its fields.
    pub fields: &'static [FieldDef],
}

/// A message's bytes and where they sit in the whole input.
#[derive(Clone, Copy, Debug)]
pub(super) struct Message<'b> {
    /// The message's own bytes.
    pub bytes: &'b [u8],
    /// The offset of its first byte in the input.
    pub offset: usize,
}

impl<'b> Message<'b> {
    /// The span the message covers in the input.
    pub fn span(self) -> Span {
        Span::new(self.offset, self.offset + self.bytes.len())
    }
}

/// A field's value.
#[derive(Clone, Copy, Debug)]
pub(super) enum Value<'b> {
    /// A varint's value.
    Varint(u64),
    /// A length-delimited field's content.
    Len(Message<'b>),
}

/// One field read from a message: its definition, where it is (key to end of value), its value.
#[derive(Clone, Copy, Debug)]
pub(super) struct Field<'b> {
    /// The field's definition in the schema.
    pub def: &'static FieldDef,
    /// Its key and value's bytes in the input.
    pub span: Span,
    /// Its value.
    pub value: Value<'b>,
}

/// Why a message is refused: boxed, as the error path is cold and the value paths carry small
/// results.
pub(super) type Refusal = Box<Diagnostic>;

/// A protobuf error at `span`.
pub(super) fn error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(ErrorKind::Protobuf, span, message)
}

/// Reads every field of `message` as `schema` declares them, in wire order, calling `each` on
/// each. Refused: a truncated or malformed field, a field number the schema does not declare (or
/// a deprecated wire type: groups, fixed-width), a field carried on the wrong wire type, a
/// singular field given twice, and two members of one oneof.
pub(super) fn read_fields<'b>(
    message: Message<'b>,
    schema: &'static Schema,
    mut each: impl FnMut(Field<'b>) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    // Which singular fields and oneofs have been seen, by index into `schema.fields`: schemas are
    // short, so a bit set of the indices is enough.
    let mut seen = 0u64;
    debug_assert!(schema.fields.len() <= 64);
    let mut rest = message.bytes;
    while !rest.is_empty() {
        let start = message.offset + (message.bytes.len() - rest.len());
        let (number, wire_type) = prost::encoding::decode_key(&mut rest).map_err(|_| {
            error(
                Span::new(start, start + 1),
                format!("malformed field key in `{}`", schema.name),
            )
            .with_help("the message is truncated or is not a protobuf message")
        })?;
        let Some(index) = schema.fields.iter().position(|f| f.number == number) else {
            return Err(error(
                Span::new(start, start + 1),
                format!("unknown field number {number} in `{}`", schema.name),
            )
            .with_help(
                "fgac reads Momento's `permissionmessages.proto`; a field it does not know could change what the permission means, so it is refused rather than skipped",
            )
            .into());
        };
        let def = &schema.fields[index];
        let value = match (def.wire, wire_type) {
            (Wire::Varint, WireType::Varint) => {
                Value::Varint(prost::encoding::decode_varint(&mut rest).map_err(|_| {
                    error(
                        Span::new(start, message.span().end),
                        format!(
                            "malformed varint in field `{}` of `{}`",
                            def.name, schema.name
                        ),
                    )
                    .with_help("the message is truncated or is not a protobuf message")
                })?)
            }
            // A repeated varint (a list of enum values) may be packed into one length-delimited
            // field, as proto3 writes it; the caller reads the varints (see `varints`).
            (_, WireType::LengthDelimited) if def.wire == Wire::Len || def.repeated => {
                let len = prost::encoding::decode_varint(&mut rest).map_err(|_| {
                    error(
                        Span::new(start, message.span().end),
                        format!(
                            "malformed length of field `{}` of `{}`",
                            def.name, schema.name
                        ),
                    )
                    .with_help("the message is truncated or is not a protobuf message")
                })?;
                let body = message.offset + (message.bytes.len() - rest.len());
                let Some(len) = usize::try_from(len).ok().filter(|&l| l <= rest.len()) else {
                    return Err(error(
                        Span::new(start, message.span().end),
                        format!(
                            "field `{}` of `{}` says it holds {len} bytes, but only {} are left",
                            def.name,
                            schema.name,
                            rest.len()
                        ),
                    )
                    .with_help("the message is truncated")
                    .into());
                };
                let (inner, after) = rest.split_at(len);
                rest = after;
                Value::Len(Message {
                    bytes: inner,
                    offset: body,
                })
            }
            (_, got) => {
                return Err(error(
                    Span::new(start, start + 1),
                    format!(
                        "field `{}` of `{}` is carried as {}, not as {}",
                        def.name,
                        schema.name,
                        wire_name(got),
                        match def.wire {
                            Wire::Varint => "a varint",
                            Wire::Len => "length-delimited bytes",
                        }
                    ),
                )
                .into());
            }
        };
        let span = Span::new(start, message.offset + (message.bytes.len() - rest.len()));
        if !def.repeated {
            // The bit of the field's oneof (its first member), or of the field itself.
            let slot = match def.oneof {
                Some(group) => schema
                    .fields
                    .iter()
                    .position(|f| f.oneof == Some(group))
                    .unwrap_or(index),
                None => index,
            };
            if seen & (1 << slot) != 0 {
                return Err(Box::new(match def.oneof {
                    Some(group) => error(
                        span,
                        format!(
                            "the oneof `{group}` of `{}` is set twice (field `{}` again)",
                            schema.name, def.name
                        ),
                    )
                    .with_help(
                        "protobuf would keep the last value; fgac refuses to guess which one the sender meant",
                    ),
                    None => error(
                        span,
                        format!("field `{}` of `{}` is given twice", def.name, schema.name),
                    )
                    .with_help(
                        "protobuf would keep the last value; fgac refuses to guess which one the sender meant",
                    ),
                }));
            }
            seen |= 1 << slot;
        }
        each(Field { def, span, value })?;
    }
    Ok(())
}

fn wire_name(wire: WireType) -> &'static str {
    match wire {
        WireType::Varint => "a varint",
        WireType::SixtyFourBit => "a 64-bit value",
        WireType::LengthDelimited => "length-delimited bytes",
        WireType::StartGroup | WireType::EndGroup => "a group",
        WireType::ThirtyTwoBit => "a 32-bit value",
    }
}

/// The varints of a repeated varint field: one, or a packed run of them.
pub(super) fn varints(
    field: Field<'_>,
    mut each: impl FnMut(u64, Span) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    match field.value {
        Value::Varint(n) => each(n, field.span),
        Value::Len(m) => {
            let mut rest = m.bytes;
            while !rest.is_empty() {
                let at = m.offset + (m.bytes.len() - rest.len());
                let n = prost::encoding::decode_varint(&mut rest).map_err(|_| {
                    error(
                        Span::new(at, m.span().end),
                        format!("malformed packed varint in field `{}`", field.def.name),
                    )
                    .with_help("the message is truncated or is not a protobuf message")
                })?;
                let end = m.offset + (m.bytes.len() - rest.len());
                each(n, Span::new(at, end))?;
            }
            Ok(())
        }
    }
}
