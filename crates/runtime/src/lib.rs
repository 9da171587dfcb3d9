//! The edgebone int8 runtime: `#![no_std]`, no `alloc`, no `unsafe`.
//!
//! A compiled model (`.ebm`, written by `edgebone-quant`'s compiler; layout in
//! [`format`](mod@format) and `docs/format.md`) is validated once by [`Model::from_bytes`] — header,
//! CRC-32, every offset, every tensor record, every op's shapes and parameters, producer
//! order and arena aliasing — and then used in place, weights straight from flash.
//! [`Interpreter::new`] binds it to a caller-provided arena of [`Model::arena_bytes`]
//! bytes and prepares its plan, once, in caller-provided storage of [`Model::plan_len`]
//! [`PreparedOp`]s: every op resolved to arena regions, kernel parameters and the kernel
//! variant `edgebone_kernels::select` picks for it (an optimised kernel where one covers the
//! op, else the reference). [`Interpreter::invoke`] then runs the plan without decoding or
//! checking anything — TFLite-exact integer arithmetic, bit-exact on every target.
//!
//! ```no_run
//! # fn demo(blob: &'static [u8]) -> Result<(), edgebone_runtime::Error> {
//! use edgebone_runtime::{top_k, Interpreter, Model, PreparedOp};
//! let model = Model::from_bytes(blob)?;
//! let mut arena = [0u8; 64 * 1024];
//! let mut plan = [PreparedOp::EMPTY; 64];
//! let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan)?;
//! let input = [0i8; 96 * 96 * 3];
//! let scores = interpreter.invoke(&input)?;
//! for (class, score) in top_k::<5>(scores) {
//!     let _label = model.label(class);
//!     let _probability_like = model.output_quant().dequantize(score);
//! }
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `defmt`: `defmt::Format` on every public type.
//! - `std`: [`OwnedModel`], a model read from a file into aligned memory and run on a host
//!   (int8 or through a float NCHW front end), and [`op_kinds`]: the kind of work of each op
//!   (stem, 1x1 expand, depthwise, …) that benchmarks break an inference into.
//!
//! The same input/output contract run through tract on an fp32 or QDQ ONNX file is
//! `edgebone-tract`'s `TractBackend`, a crate of its own.

#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod exec;
pub mod format;
mod interpreter;
mod model;
mod plan;
mod quant;
mod resolve;
pub mod stream;

#[cfg(feature = "std")]
pub mod op_kinds;
#[cfg(feature = "std")]
mod owned;
#[cfg(feature = "std")]
mod owned_run;

pub use edgebone_kernels::{KernelError, Rounding, Shape4};
pub use error::Error;
pub use format::{DType, Preprocess, TensorKind};
pub use interpreter::Interpreter;
pub use model::{Model, TensorInfo};
#[cfg(feature = "std")]
pub use owned::{LoadError, OwnedModel};
#[cfg(feature = "std")]
pub use owned_run::{nchw_to_nhwc, nhwc_to_nchw};
pub use plan::PreparedOp;
pub use quant::{top_k, Quant};
pub use resolve::Region;
