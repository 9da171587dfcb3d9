//! # edgebone-zoo
//!
//! Every classic CNN backbone as a Rust graph builder. A model is looked up by its reference
//! name ([`registry::lookup`]), built into a [`graph::Graph`] at a chosen width, resolution
//! and class count ([`registry::ModelSpec::build`]), counted ([`graph::Graph::param_count`],
//! [`graph::Graph::mac_count`]) and exported as an ONNX `ModelProto` ([`onnx::to_onnx`]) with
//! seeded or real ([`weights::Weights`]) parameters.
//!
//! Invariants: building a graph never touches weight values; parameter names are the
//! reference checkpoint keys; every graph node is exactly one ONNX node (opset 13).
#![forbid(unsafe_code)]

pub mod blocks;
pub mod builder;
pub mod families;
pub mod graph;
pub mod import;
pub mod onnx;
pub mod preprocess;
pub mod registry;
pub mod weights;

mod error;
#[cfg(test)]
mod test_support;

pub use builder::{Builder, Conv, Padding, Pool, Value};
pub use error::BuildError;
pub use graph::Graph;
pub use preprocess::Preprocess;
pub use registry::{lookup, models, ModelSpec, Options};
pub use weights::{WeightError, Weights};
