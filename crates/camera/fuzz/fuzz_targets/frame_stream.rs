//! Fuzz target: arbitrary bytes as an `EBFR` frame stream, replayed and preprocessed
//! (`checks/frame_stream.rs`).
#![no_main]

#[path = "../checks/frame_stream.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
