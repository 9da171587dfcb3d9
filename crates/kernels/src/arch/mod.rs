//! Kernels written for one instruction set: the only modules of the crate where `unsafe`
//! (inline `asm!`, `core::arch` intrinsics) is allowed, each compiled only for the targets
//! it applies to and each kernel bit-exact with its reference like the portable ones.
//!
//! | module | compiled when | kernels |
//! |---|---|---|
//! | `arm_dsp` | `cfg(edgebone_arm_dsp)`: Arm's DSP extension (Cortex-M4, M7, M33, M55) | `conv2d_1x1`, `conv2d`, `fully_connected`, `depthwise_conv2d` |
//! | `arm_mve` | `cfg(edgebone_arm_mve)`: Helium (Cortex-M55, M85) | `conv2d_1x1`, `conv2d`, `fully_connected`, `depthwise_conv2d` (up to 25 taps) |
//! | `x86_avx2` | `target_arch = "x86_64"`, used where the CPU has AVX2 (detected at run time) | `conv2d_1x1`, `conv2d`, `fully_connected` (packed-weight `VPMADDWD` blocks, vector requantisation), `depthwise_conv2d` |
//!
//! A module for another instruction set (`aarch64_neon`, `riscv`) is added with its first
//! kernel, never as an empty placeholder. The crate's
//! `build.rs` sets the `cfg`s that stable Rust does not (Arm's target features are
//! unstable, so `cfg(target_feature = "dsp")` is never set there). A kernel here has the
//! signature of the portable kernel it replaces and answers
//! [`KernelError::Unsupported`](crate::KernelError::Unsupported) where it does not cover a
//! case; the matrix-shaped ones implement the portable kernels' `Mac` seam (how patch
//! values are buffered and multiplied), the depthwise one its `ChannelMac` (how a block of
//! channels accumulates a tap), and they reuse the rest of `optimized` (`x86_avx2`, whose
//! register blocks do not fit those seams, the wider `Gemm` and `ChannelBlock`). Run-time
//! detected modules (`x86_avx2`) answer `Unsupported` on a CPU without the extension, and
//! the registry only picks them where [`select::Isa`](crate::select::Isa) allows.
//!
//! Which kernel runs is the registry's choice: on cores with Helium (`cfg(edgebone_arm_mve)`:
//! Cortex-M55, M85) `arm_mve` (MobileNetV2-0.35 at 96 on qemu-m55: 16.6 M instructions
//! against 28.2 M with the portable kernels LLVM vectorises with MVE, which already beat
//! `arm_dsp`'s 55.9 M), so `arm_dsp` is for DSP cores without Helium (M4, M7, M33), where it
//! saves 19–21 % of the instructions.
//!
//! Every `unsafe` block carries a `// SAFETY:` comment right above it (the workspace's
//! `tests/tests/tidy.rs` checks it, and that `unsafe` appears nowhere else but the boards).

#[cfg(edgebone_arm_dsp)]
#[allow(unsafe_code)]
pub mod arm_dsp;

#[cfg(edgebone_arm_mve)]
#[allow(unsafe_code)]
pub mod arm_mve;

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
pub mod x86_avx2;
