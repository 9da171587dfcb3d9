//! int8 inference kernels for edgebone: `#![no_std]`, no `alloc`, no panics, no `unsafe`
//! outside [`arch`].
//!
//! Every kernel exists as a deliberately simple reference version in
//! [`reference`](mod@reference); the ones that carry the multiply-accumulates (1x1, general
//! and depthwise convolution, fully connected) also have a faster, portable version in
//! [`optimized`] (blocked and vectorisable, no target-specific code), tested bit-exact
//! against its reference. An optimised kernel that does not cover a case says so with
//! [`KernelError::Unsupported`]; the reference covers everything.
//!
//! Kernels for one instruction set live in [`arch`], one module per ISA (`arch::arm_dsp`
//! for Arm's DSP extension, `arch::arm_mve` for Helium, `arch::x86_avx2` for x86-64 CPUs
//! with AVX2, detected at run time), each compiled only for the targets that have it and the
//! only code of the crate allowed to use `unsafe` (inline `asm!`, `core::arch` intrinsics);
//! the crate denies it
//! everywhere else.
//! Each kernel takes its tensors as slices plus a parameter struct, checks every slice
//! length and parameter first, and returns [`KernelError`] instead of panicking on any input.
//!
//! # Layouts
//!
//! - Activations are **NHWC** (`[batch, height, width, channels]`, channels innermost), the
//!   layout of TFLite Micro and CMSIS-NN: a pixel's channels are contiguous, which suits
//!   depthwise and pointwise (1x1) convolutions on microcontrollers.
//! - Convolution weights are **OHWI**: `[out_channels, kernel_h, kernel_w, in_channels / groups]`.
//! - Depthwise weights are **HWC**: `[kernel_h, kernel_w, channels]` (TFLite's `1HWC` without
//!   the leading 1), so the taps of neighbouring channels are contiguous like the input.
//! - Fully connected weights are `[out_features, in_features]`.
//! - Per-channel data (bias, multiplier, shift) has one entry per output channel.
//!
//! # Arithmetic
//!
//! The arithmetic is TFLite's int8 reference arithmetic, bit for bit, as built with
//! `TFLITE_SINGLE_ROUNDING` (the form CMSIS-NN also offers), or, for a model whose
//! [`Rounding`] is [`Rounding::Double`], as TFLite Micro builds it by default (every
//! requantisation through [`requant::multiply_by_quantized_multiplier_double`], and Mean
//! with TFLite Micro's folded multiplier); the mode travels in each [`Requant`] and
//! [`Filter`]:
//!
//! - weights are symmetric per output channel (zero point 0), activations asymmetric per
//!   tensor, `real = scale · (q − zero_point)`, bias int32 with scale `s_in · s_w[c]`;
//! - accumulators are `i32`, requantised with [`requant::multiply_by_quantized_multiplier`]
//!   (the exact 64-bit product with the Q31 multiplier, rounded once, ties toward +∞), so a
//!   float implementation of the same QDQ graph rounds the same way except within the
//!   multiplier's 2^−31 precision of a tie;
//! - the output zero point is added after requantisation and the fused activation is a clamp
//!   to an [`Activation`] range;
//! - padding contributes the input zero point, i.e. a real zero (padded taps are skipped,
//!   exactly as in TFLite, which is the same thing);
//! - `i32` accumulation wraps on overflow (two's complement), which is what TFLite's compiled
//!   C++ does in practice; models produced by the quantiser never get near it.
//!
//! [`prepare`] derives the fixed-point multipliers from float scales exactly as TFLite's
//! `Prepare` functions do, so the compiler and the tests share one definition.

#![no_std]
// Allowed again only on the per-ISA modules of `arch`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod arch;
mod error;
mod fixed_point;
mod geometry;
pub mod optimized;
mod params;
pub mod prepare;
pub mod reference;
pub mod requant;
pub mod select;

pub use error::KernelError;
pub use geometry::{Activation, Padding, Shape4};
pub use params::{
    AddParams, Broadcast, ChannelShuffleParams, ConcatInput, ConcatParams, Conv2dParams,
    DepthwiseConv2dParams, Filter, FullyConnectedParams, GlobalAvgPoolParams, MulParams, PadParams,
    PoolParams, RequantizeParams, ADD_LEFT_SHIFT,
};
pub use reference::SoftmaxParams;
pub use requant::{Requant, Rounding};
pub use select::{ConvKernel, Isa};
