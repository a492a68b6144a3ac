//! What fgac's tests and benchmarks share (not published): generated policies of any size,
//! documents read and written in one named format, token churn for the key ring's cache, and a
//! client that drives `fgac lsp`.

pub mod churn;
pub mod lsp;
pub mod policy;
pub mod read;
