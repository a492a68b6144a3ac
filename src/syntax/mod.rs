//! The front ends: text in, [`model`](crate::model) out, and back.
//!
//! A [`Reader`] reads a document in any [`Format`]: fgac's language (the DSL, grammar in
//! `grammar/fgac.ebnf`), fgac's JSON, Momento's v1 and v2 JSON, and (feature `protobuf`)
//! Momento's v1 and v2 protobuf messages, the binary forms Momento's SDKs send when they mint
//! keys and tokens. [`to_string`] and [`to_bytes`] write a document in any format, refusing what
//! the format cannot say; [`Reader::reformat`] rewrites a document in its own format's canonical
//! layout.
//!
//! Each reports [`Error`]s with spans into what it read: bytes of text, shown with
//! their line and column, or bytes of a binary message, shown as offsets.
//!
//! * [`json`]: the JSON formats' rules, and the strict object reader every JSON shape fgac reads
//!   goes through;
//! * `protobuf` (feature `protobuf`): the protobuf formats' rules, and the `Permissions` message
//!   of a mint request.

mod dsl;
mod format;
pub mod json;
mod momento;
#[cfg(feature = "protobuf")]
#[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
pub mod protobuf;
mod reader;
mod write;

pub use format::{Format, UnknownFormat};
#[cfg(feature = "credentials")]
pub(crate) use reader::utf8;
pub use reader::{Loaded, Reader};
pub use write::{to_bytes, to_string};

use crate::error::Error;
use crate::model::Document;

/// Reads a document in any text format with the default [`Limits`](crate::Limits): what
/// `Reader::new().read_str(text)` reads.
///
/// ```
/// let a = fgac::syntax::parse(r#"{"permissions": [{"role": "readonly", "cache": "c"}]}"#)?;
/// let b = fgac::syntax::parse(r#"key "default" { expires never  allow readonly cache "c" }"#)?;
/// assert_eq!(a, b);
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn parse(text: &str) -> Result<Document, Error> {
    Reader::new().read_str(text).map(|loaded| loaded.document)
}
