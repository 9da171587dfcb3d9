//! Fuzz target: arbitrary bytes as a compiled model whose input the pixel pipeline is set up
//! for (`checks/model_pipeline.rs`).
#![no_main]

#[path = "../checks/model_pipeline.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
