//! # edgebone-host
//!
//! Verification on the host: zoo models and users' ONNX files run in fp32 through tract,
//! images preprocessed as each model's weights expect, accuracy on labelled folders, and
//! the `edgebone` command line. Never a dependency of the `no_std` crates.
#![forbid(unsafe_code)]

pub mod tract_runner;
