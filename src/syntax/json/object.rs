//! The one strict reader of JSON objects, which every JSON shape fgac reads goes through
//! (documents, v2 rules, signed credentials' claims, key stores, signing keys, and the command
//! line's request lines).
//!
//! It owns every refusal a JSON shape needs, so that no shape can forget one:
//!
//! * a value that is not an object (serde's derived deserializers also read an array as a
//!   struct, field by field, which once made `["k","api_key","never",null,null,true]` a super
//!   user);
//! * a field it does not know, and a field given twice (with the field's own position);
//! * `null`, which never means "absent" (serde's `Option` reads it as a missing field, which would
//!   turn `"item": null` into every item);
//! * a missing required field.
//!
//! Each field's value is kept as a slice of the input ([`RawValue`]) and decoded from that slice
//! on its own, so an error inside it underlines it exactly.

use super::read::{decode, expect_object, span_of};
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::model::Span;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// A JSON object read strictly: its fields (every one known, each once) as raw slices of the
/// input, each decoded on its own; `null` is never a value. Errors carry spans into the input.
///
/// ```
/// use fgac::syntax::json::Object;
/// let text = r#"{"op": "get", "cache": "c"}"#;
/// let o = Object::read(text, text, "a request", &["op", "cache", "item"])?;
/// assert_eq!(o.required::<String>("op")?, "get");
/// assert_eq!(o.optional::<String>("item")?, None);
/// let e = Object::read(r#"{"op": "get", "op": "set"}"#, r#"{"op": "get", "op": "set"}"#, "a request", &["op"]);
/// assert!(e.unwrap_err().to_string().contains("duplicate field `op`"));
/// let text = r#"{"item": null}"#;
/// let o = Object::read(text, text, "a request", &["item"])?;
/// assert!(o.optional::<String>("item").is_err(), "`null` is not \"absent\"");
/// # Ok::<(), fgac::Error>(())
/// ```
#[derive(Debug)]
pub struct Object<'a> {
    text: &'a str,
    raw: &'a str,
    fields: Vec<(&'static str, &'a RawValue)>,
}

impl<'a> Object<'a> {
    /// Reads `raw`, a slice of `text`, as an object of the fields `known` (`what` names it in
    /// messages: "a credential"). Refuses anything but an object, an unknown field and a field
    /// given twice.
    pub fn read(
        text: &'a str,
        raw: &'a str,
        what: &str,
        known: &'static [&'static str],
    ) -> Result<Object<'a>, Error> {
        let raw = raw.trim();
        expect_object(text, raw, what)?;
        let mut de = serde_json::Deserializer::from_str(raw);
        let fields = Fields(known)
            .deserialize(&mut de)
            .and_then(|f| de.end().map(|()| f))
            .map_err(|e| Error::one(super::read::json_diagnostic(text, raw, &e)))?;
        Ok(Object { text, raw, fields })
    }

    /// Reads the field `raw` holds, a slice of `text`, as an object.
    pub fn read_value(
        text: &'a str,
        raw: &'a RawValue,
        what: &str,
        known: &'static [&'static str],
    ) -> Result<Object<'a>, Error> {
        Object::read(text, raw.get(), what, known)
    }

    /// The object's span in the input.
    #[must_use]
    pub fn span(&self) -> Span {
        let start = (self.raw.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        Span::new(start, start + self.raw.len())
    }

    /// The input the object is a slice of.
    #[must_use]
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The raw value of the field `name`, if given; `null` is refused.
    pub fn raw(&self, name: &str) -> Result<Option<&'a RawValue>, Error> {
        match self.fields.iter().find(|(n, _)| *n == name) {
            None => Ok(None),
            Some((_, raw)) => {
                not_null(self.text, raw)?;
                Ok(Some(raw))
            }
        }
    }

    /// The raw value of the required field `name`.
    pub fn required_raw(&self, name: &str) -> Result<&'a RawValue, Error> {
        self.raw(name)?.ok_or_else(|| {
            Error::one(Diagnostic::new(
                ErrorKind::Json,
                self.span(),
                format!("missing field `{name}`"),
            ))
        })
    }

    /// The field `name` decoded, if given.
    pub fn optional<T: Deserialize<'a>>(&self, name: &str) -> Result<Option<T>, Error> {
        self.raw(name)?
            .map(|raw| decode(self.text, raw.get()))
            .transpose()
    }

    /// The required field `name` decoded.
    pub fn required<T: Deserialize<'a>>(&self, name: &str) -> Result<T, Error> {
        decode(self.text, self.required_raw(name)?.get())
    }

    /// The span of the field `name`'s value, if given.
    #[must_use]
    pub fn span_of(&self, name: &str) -> Option<Span> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, raw)| span_of(self.text, raw))
    }
}

/// Refuses a value given as `null`.
pub(crate) fn not_null(text: &str, raw: &RawValue) -> Result<(), Error> {
    if raw.get() != "null" {
        return Ok(());
    }
    Err(Error::one(
        Diagnostic::new(
            ErrorKind::Json,
            span_of(text, raw),
            "`null` is not a value here",
        )
        .with_help("`null` does not mean \"absent\": leave the field out, or give it a value"),
    ))
}

/// The fields of an object, each of `known` at most once.
struct Fields(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Fields {
    type Value = Vec<(&'static str, &'de RawValue)>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Fields {
    type Value = Vec<(&'static str, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: Vec<(&'static str, &'de RawValue)> = Vec::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let Some(&name) = self.0.iter().find(|n| **n == key) else {
                return Err(de::Error::unknown_field(&key, self.0));
            };
            if out.iter().any(|(n, _)| *n == name) {
                return Err(de::Error::duplicate_field(name));
            }
            out.push((name, map.next_value()?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Object<'_>, String> {
        Object::read(text, text, "a thing", &["a", "b"]).map_err(|e| {
            let d = &e.diagnostics()[0];
            format!("{} at {}..{}", d.message, d.span.start, d.span.end)
        })
    }

    #[test]
    fn every_refusal_in_one_place() {
        let o = read(r#"{"a": 1, "b": "x"}"#).unwrap();
        assert_eq!(o.required::<u32>("a").unwrap(), 1);
        assert_eq!(o.optional::<String>("b").unwrap().as_deref(), Some("x"));
        let o = read(r#"{"a": 1}"#).unwrap();
        assert_eq!(o.optional::<String>("b").unwrap(), None);
        assert!(
            o.required::<String>("b")
                .unwrap_err()
                .to_string()
                .contains("missing field `b`")
        );
        let err = read(r#"{"a": 1, "c": 2}"#).unwrap_err();
        assert!(
            err.starts_with("unknown field `c`, expected `a` or `b` at 9..12"),
            "{err}"
        );
        let err = read(r#"{"a": 1, "a": 2}"#).unwrap_err();
        assert!(err.starts_with("duplicate field `a` at 9..12"), "{err}");
        let o = read(r#"{"a": null}"#).unwrap();
        let err = o.optional::<u32>("a").unwrap_err().to_string();
        assert!(err.contains("`null` is not a value here"), "{err}");
        let err = read(r#"["a", 1]"#).unwrap_err();
        assert!(err.contains("expected a thing as a JSON object"), "{err}");
        let err = read(r#"{"a": 1} x"#).unwrap_err();
        assert!(err.contains("trailing characters"), "{err}");
    }
}
