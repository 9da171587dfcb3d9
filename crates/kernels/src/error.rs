//! The error every kernel returns instead of panicking.

use core::fmt;

/// Why a kernel refused to run. Kernels check everything before they write any output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum KernelError {
    /// A slice does not have the length the parameters imply.
    LengthMismatch {
        /// Which slice (for example `"input"` or `"bias"`).
        what: &'static str,
        /// The length the parameters imply.
        expected: usize,
        /// The slice's actual length.
        got: usize,
    },
    /// A parameter is invalid (zero stride, channels not divisible by groups, a size that
    /// overflows `usize`, a non-finite scale, …).
    BadParam {
        /// What is wrong.
        what: &'static str,
    },
    /// The parameters are valid but outside what this (optimised) kernel handles; the
    /// reference kernel handles them.
    Unsupported {
        /// What this kernel does not handle.
        what: &'static str,
    },
    /// The scratch bytes are fewer than the kernel needs for these parameters (its
    /// `scratch_bytes` rule in `select`).
    ScratchTooSmall {
        /// The bytes it needs.
        needed: usize,
        /// The bytes it got.
        got: usize,
    },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LengthMismatch {
                what,
                expected,
                got,
            } => write!(f, "{what}: expected length {expected}, got {got}"),
            Self::BadParam { what } => write!(f, "bad parameter: {what}"),
            Self::Unsupported { what } => write!(f, "unsupported by this kernel: {what}"),
            Self::ScratchTooSmall { needed, got } => {
                write!(f, "scratch: needs {needed} bytes, got {got}")
            }
        }
    }
}

impl core::error::Error for KernelError {}
