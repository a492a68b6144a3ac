//! The `protobuf` fuzz target; its body lives in `fuzz/targets.rs`, shared with the replay test.
#![no_main]

#[path = "../targets.rs"]
#[allow(dead_code)]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::protobuf(data));
