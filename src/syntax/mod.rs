//! The front ends: text in, [`model`](crate::model) out, and the errors they report.
//!
//! * [`dsl`]: fgac's permission language (grammar in `grammar/fgac.ebnf`), its parser and its
//!   canonical formatter;
//! * [`json`]: Momento's permission JSON and fgac's key-store JSON;
//! * `protobuf` (feature `protobuf`): Momento's `Permissions` protobuf message, the binary form
//!   Momento's SDKs send when they mint keys and tokens.
//!
//! Each reports [`Error`](crate::Error)s with spans into what it read: bytes of text, shown with
//! their line and column, or bytes of a binary message, shown as offsets.

pub mod dsl;
pub mod json;
mod load;
mod momento;
#[cfg(feature = "protobuf")]
#[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
pub mod protobuf;

pub use load::{
    Form, Language, Loaded, convert, encode, parse, parse_with, read, read_bytes, reformat, utf8,
};
