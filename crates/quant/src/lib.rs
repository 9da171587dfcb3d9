//! # edgebone-quant
//!
//! int8 post-training quantisation (TFLite-compatible scheme, see `../shared/DESIGN.md`):
//! calibration of activation ranges, BatchNorm folding, per-channel weights, ReLU6-friendly
//! ranges, the QDQ ONNX writer, and the compiler that lays a [`qgraph::QGraph`] out as a
//! `.ebm` blob with a static memory plan for the runtime.
//!
//! The contract between the quantiser and the compiler is [`qgraph::QGraph`]: an int8 graph
//! in the runtime's NHWC layout with every tensor's scale and zero point and every op's
//! integer constants. It lives in memory; `quantize` builds one, `compile` consumes it.
#![forbid(unsafe_code)]

pub mod compile;
pub mod qgraph;
