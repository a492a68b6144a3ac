//! The front ends: text in, [`model`](crate::model) out, and the errors they report.

pub(crate) mod base64;
pub mod error;
pub mod json;
pub mod suggest;
