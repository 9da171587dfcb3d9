//! Tests of edgebone-kernels, in one test binary: requantisation against known TFLite
//! values, every reference kernel against float references and hand-computed cases, the
//! optimised kernels bit-exact against their references, and panic-freedom on random input
//! (the last two from `edgebone-kernel-cases`, which the QEMU boards run too).

mod conv;
mod depthwise;
mod elementwise;
mod errors;
mod expect;
mod float_ref;
mod fully_connected;
mod layout;
mod pool;
mod prepare;
mod requant;
mod shared;
mod softmax;
