//! Optimised kernels, each bit-exact with its reference in [`crate::reference`] (the crate's
//! `bit_exact!` tests compare them on many seeded random shapes). An optimised kernel covers
//! only the cases it speeds up and returns [`crate::KernelError::Unsupported`] otherwise.

mod conv2d_1x1;

pub use conv2d_1x1::conv2d_1x1;
