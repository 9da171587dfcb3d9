//! Fuzz target: arbitrary bytes as a compiled model, loaded and run (`checks/load_and_invoke.rs`).
#![no_main]

#[path = "../checks/load_and_invoke.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
