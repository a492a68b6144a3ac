//! What fgac's tests and benchmarks share (not published): generated policies of any size, and
//! documents read and written in one named format.

pub mod policy;
pub mod read;
