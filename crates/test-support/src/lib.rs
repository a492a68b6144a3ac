//! What fgac's tests and benchmarks share (not published): generated policies of any size.

pub mod policy;
