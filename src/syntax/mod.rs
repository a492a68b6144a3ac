//! The front ends: text in, [`model`](crate::model) out, and the errors they report.

pub mod error;
pub mod json;
pub(crate) mod base64;
pub mod suggest;
