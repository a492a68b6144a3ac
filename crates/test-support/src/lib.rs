//! What fgac's tests and benchmarks share (not published): generated policies of any size,
//! documents read and written in one named format, token churn for the key ring's cache, a
//! client that drives `fgac lsp`, a real etcd cluster for the fleet's tests, and a counting
//! allocator for the benchmarks that measure memory.

pub mod alloc;
pub mod churn;
pub mod etcd;
pub mod lsp;
pub mod policy;
pub mod read;
