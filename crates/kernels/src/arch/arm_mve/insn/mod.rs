//! The Helium instruction sequences of the kernels, in inline `asm!` (stable Rust has no
//! MVE intrinsics). `VMLADAVA` takes its accumulator in an even register, hence the
//! accumulators' fixed registers; `q` registers are named as the `d` registers they overlay.

// The scaling and clamp macros come first: the loops below expand them.
#[macro_use]
mod requant;
mod depthwise;
mod dot;
mod pointwise;

pub(crate) use depthwise::{
    depthwise4, depthwise_rows_double, depthwise_rows_high, depthwise_rows_low,
    depthwise_rows_shifted, Columns, RowWords, Tap,
};
pub(crate) use dot::{dot1_i16, dot1_sum, dot4, dot4_i16};
pub(crate) use pointwise::{
    pointwise_blocks_double, pointwise_blocks_high, pointwise_blocks_low, pointwise_blocks_shifted,
    PointWords,
};
pub(crate) use requant::{
    requantize4_double, requantize4_high, requantize4_shifted, ChannelWords, LayerWords,
};
