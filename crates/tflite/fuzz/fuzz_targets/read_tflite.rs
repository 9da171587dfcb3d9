//! Fuzz target: arbitrary bytes as a `.tflite` model, imported, compiled and run
//! (`checks/read_tflite.rs`).
#![no_main]

#[path = "../checks/read_tflite.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
