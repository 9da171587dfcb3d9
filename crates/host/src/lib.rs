//! # edgebone-host
//!
//! Verification on the host: zoo models and users' ONNX files run in fp32 through tract,
//! images preprocessed as each model's weights expect, accuracy on labelled folders, and
//! the `edgebone` command line. Never a dependency of the `no_std` crates.
#![forbid(unsafe_code)]

pub mod anchors;
pub mod bench_cmd;
pub mod bench_report;
pub mod cli;
pub mod compile_cmd;
pub mod compile_report;
pub mod dataset;
pub mod eval;
pub mod images;
pub mod infer_cmd;
pub mod inspect;
pub mod labels;
pub mod model_args;
pub mod npy;
pub mod pil_resize;
pub mod quantize_checks;
pub mod quantize_cmd;
pub mod quantize_data;
pub mod quantize_eval;
pub mod quantize_variants;
pub mod reference;
pub mod stream_args;
pub mod topk;
pub mod tract_runner;
pub mod verify;
pub mod zoo_table;
