//! Optimised kernels, each bit-exact with its reference in [`crate::reference`] (the
//! `bit_exact_tests!` list of `edgebone-kernel-cases` compares them on many seeded random
//! shapes, on the host and on the QEMU boards). An optimised kernel covers
//! only the cases it speeds up and returns [`crate::KernelError::Unsupported`] otherwise,
//! before writing anything, so a caller can try it first and fall back to the reference.
//!
//! | kernel | covers |
//! |---|---|
//! | [`conv2d_1x1`] | 1x1 kernel, one group, no padding, any stride |
//! | [`conv2d`] | one group, 1 to 128 input channels, any kernel, stride, dilation, padding |
//! | [`depthwise_conv2d`] | every case |
//! | [`depthwise_conv2d_vector_loop`] | every case (for Helium: its channel blocks through a loop the loop vectoriser takes) |
//! | [`fully_connected`] | every case |
//! | [`add`] | every case (its own loop for single rounding without broadcast and right shifts of 32 or more, else the reference's) |
//! | [`global_avg_pool`] | every case |
//! | [`add_in_place`] | [`add`]'s own loop, with the output in one input's bytes |
//!
//! They are plain portable Rust (no `unsafe`, no intrinsics): what makes them fast is the
//! order of the loops, which lets the compiler keep accumulators in registers, drop bounds
//! checks and vectorise where the target has SIMD (x86-64 here), and which saves loads
//! and per-element work on targets without it (Cortex-M4, RISC-V). The three matrix-shaped
//! kernels share one blocked core (`gemm`: four pixels against each weight row, 32 output
//! channels per pass, exact `i16` products); all share one output stage (`output_stage`:
//! the requantisation prepared once per channel, the usual right shift done on the high
//! word with 32-bit operations, then the zero point and activation clamp as a separate
//! branch-free pass, since whether an output is clamped depends on the data and a branch
//! there mispredicts on real images). They need the crate's optimisation level (the workspace
//! builds it at `opt-level = 3` even in the dev profile): at `opt-level = 1` the compiler
//! vectorises nothing.
//!
//! The per-ISA kernels of [`crate::arch`] are these kernels with another `gemm::Mac` (how
//! patch values are buffered and multiplied) or `depthwise_conv2d::ChannelMac` (how a block
//! of channels accumulates a tap), so everything else is shared; where that seam is too
//! narrow (AVX2's register blocks), with another `gemm::Gemm` (the whole matrix product on
//! the same patches) or `depthwise_conv2d::ChannelBlock` (a block's accumulators, taps and
//! output stage).

mod add;
pub(crate) mod conv2d;
pub(crate) mod conv2d_1x1;
mod depthwise_conv2d;
pub(crate) mod fully_connected;
mod gemm;
mod global_avg_pool;
mod output_stage;

pub use add::{add, add_in_place, add_in_place_covers};
pub use conv2d::conv2d;
pub use conv2d_1x1::conv2d_1x1;
pub use depthwise_conv2d::{depthwise_conv2d, depthwise_conv2d_vector_loop};
pub use fully_connected::fully_connected;
pub use global_avg_pool::global_avg_pool;

// The seam the per-ISA kernels of `crate::arch` build on.
#[cfg(any(edgebone_arm_dsp, target_arch = "x86_64"))]
pub(crate) use {
    conv2d::conv2d_with, conv2d_1x1::conv2d_1x1_with, fully_connected::fully_connected_with,
    gemm::Patches,
};
#[cfg(edgebone_arm_dsp)]
pub(crate) use {
    depthwise_conv2d::{depthwise_conv2d_with, ChannelMac},
    gemm::{Mac, CHUNK, PIXELS},
};
#[cfg(target_arch = "x86_64")]
pub(crate) use {
    gemm::{Gemm, Layer, Portable},
    output_stage::OutputStage,
};
// The Helium kernels' output stage, for the channels their vector form does not take.
#[cfg(edgebone_arm_mve)]
pub(crate) use output_stage::{OutputRange, OutputStage};
