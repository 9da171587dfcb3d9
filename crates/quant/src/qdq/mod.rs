//! The standard QDQ ONNX form of a quantised model (opset 13, NCHW, float input and output):
//! every int8 tensor is a `QuantizeLinear` → `DequantizeLinear` pair with its scale and zero
//! point; weights are int8 initializers dequantised per output channel (axis 0), biases int32
//! initializers dequantised with scale `s_in · s_w[c]`; each op is the float op between the
//! dequantised inputs and the output's `QuantizeLinear`, a fused clamp a `Clip` to the real
//! values of its int8 bounds, and a lookup table the float function it tabulates. Any ONNX
//! runtime that implements the QDQ semantics computes what the int8 graph computes, up to
//! requantisation rounding. The model name, input preprocessing and labels travel as
//! `edgebone.*` metadata ([`metadata`]).
//!
//! Both directions live here so that they share the form's names and conventions:
//! [`to_qdq`] (`write.rs`) writes it, [`from_qdq`] (`read/`) reads it back — and also
//! onnxruntime's `quantize_static` form — into a [`edgebone_compiler::qgraph::QGraph`].

pub mod metadata;
mod read;
mod write;

pub use read::from_qdq;
pub use write::to_qdq;

/// The suffix the writer appends to the model name in the ONNX graph name (the reader strips
/// it when the file carries no `edgebone.name`).
const GRAPH_SUFFIX: &str = " (int8 QDQ)";

/// The float input's name in a written file.
const INPUT: &str = "input";

/// The float output's name in a written file.
const OUTPUT: &str = "output";
