//! # edgebone-quant
//!
//! int8 post-training quantisation (TFLite-compatible scheme, see `../shared/DESIGN.md`):
//! calibration of activation ranges, BatchNorm folding, per-channel weights, ReLU6-friendly
//! ranges and the QDQ ONNX writer. The compiler that lays the result out as a `.ebm` blob
//! is the crate `edgebone-compiler`.
//!
//! The contract between the quantiser and the compiler is
//! `edgebone_compiler::qgraph::QGraph`: an int8 graph in the runtime's NHWC layout with every
//! tensor's scale and zero point and every op's integer constants. It lives in memory;
//! `quantize` builds one, `edgebone_compiler::compile` consumes it.
//!
//! The quantiser: [`pipeline::quantize`] takes a [`float_net::FloatNet`] (a zoo graph with
//! its parameter values) and preprocessed calibration inputs through optional BatchNorm
//! re-estimation ([`bn_reestimate`]), BatchNorm folding ([`fold`]), equalisation
//! ([`equalize`]), planning ([`quant_plan`]), calibration through tract ([`calibrate`],
//! [`histogram`], [`ranges`]) and lowering ([`lower`], [`scheme`], [`unary`]) to a
//! [`edgebone_compiler::qgraph::QGraph`]. [`qdq`] writes its QDQ ONNX (and reads it back),
//! `edgebone_runtime::OwnedModel` runs its compiled blob on the int8 runtime, [`sqnr`] and
//! [`report`] measure it against float.
#![forbid(unsafe_code)]

pub mod bn_reestimate;
pub mod calibrate;
pub mod equalize;
pub mod error;
pub mod float_net;
pub mod fold;
pub mod histogram;
pub mod lower;
pub mod onnx_util;
pub mod parallel;
pub mod pipeline;
pub mod probe;
pub mod qdq;
pub mod quant_plan;
pub mod ranges;
pub mod report;
pub mod rounding;
pub mod scheme;
pub mod sqnr;
pub mod unary;
pub mod weight_layout;

pub use error::QuantError;
