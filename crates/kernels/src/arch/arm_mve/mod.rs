//! Kernels for Helium, Arm's M-profile vector extension (Cortex-M55, M85), in inline `asm!`.
//!
//! The pointwise convolution multiplies raw int8 values, 16 per `VMLADAVA.S8` into a scalar
//! accumulator, four pixels against one weight row per pass, and folds the input zero point
//! into a per-channel constant (`bias − zp · Σ w`), as CMSIS-NN does; the depth's last
//! vector is tail-predicated (`DLSTP`/`LETP`). The requantisation runs on the four sums as
//! one vector. The sums are the same wrapping `i32` sums as the reference's, so the results
//! are bit-exact with it.

mod depthwise;
mod gemm;
mod insn;
mod patches;
mod pointwise;
mod stage;

pub use depthwise::depthwise_conv2d;
pub use patches::conv2d;
pub use pointwise::{conv2d_1x1, fully_connected};
pub(crate) use pointwise::{
    covers as conv2d_1x1_covers, scratch_bytes as conv2d_1x1_scratch_bytes,
};
