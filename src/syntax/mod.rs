//! The front ends: text in, [`model`](crate::model) out, and the errors they report.
//!
//! * [`text`]: fgac's permission language (grammar in `grammar/fgac.ebnf`), its parser and its
//!   canonical formatter;
//! * [`json`]: Momento's permission JSON and fgac's key-store JSON;
//! * [`error`]: the one error type both report, rendered with the source line and carets.

pub(crate) mod ast;
pub(crate) mod base64;
pub mod error;
pub(crate) mod format;
pub mod json;
pub mod suggest;
pub mod text;
pub mod time;
