//! The front ends: text in, [`model`](crate::model) out, and the errors they report.
//!
//! * [`dsl`]: fgac's permission language (grammar in `grammar/fgac.ebnf`), its parser and its
//!   canonical formatter;
//! * [`json`]: Momento's permission JSON and fgac's key-store JSON;
//!
//! Both report [`Error`](crate::Error)s with spans into the text they read.

pub mod dsl;
pub mod json;
mod load;

pub use load::{
    Form, Language, Loaded, convert, parse, parse_with, read, read_bytes, reformat, utf8,
};
