//! The kernel test cases, defined once for the host and for the boards.
//!
//! Every test is a [`KernelTest`]: a name (which also seeds its [`Rng`]) and a function that
//! runs it on a [`Budget`] of cases and returns its [`Passed`] summary or the first
//! [`Failure`]. `crates/kernels/tests/kernels/shared.rs` runs them all on the host with
//! [`Budget::HOST`]; the test firmware (`boards/app`, feature `kernel-tests`) runs them on
//! every QEMU board with [`Budget::TARGET`], and `cargo xtask test-kernels` compares each
//! test's digest of the reference outputs with the one the host computes for the same seeds.
//!
//! The lists: [`BIT_EXACT`] (every optimised kernel against its reference, one line per
//! kernel in `bit_exact_tests!`; on x86-64 also `X86_AVX2`, the host's run-time detected
//! kernels, which the boards never compile), [`ROBUSTNESS`] (absurd parameters at every kernel) and
//! [`REFERENCE`] (reference kernels without an optimised version, by digest: Softmax).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(target_arch = "x86_64")]
mod avx2;
mod bit_exact;
mod digest;
mod elementwise;
mod pool;
mod rng;
mod robustness;
mod scratch;
pub mod softmax;

use alloc::string::String;
use core::fmt;

#[cfg(edgebone_arm_dsp)]
use edgebone_kernels::arch::arm_dsp;
#[cfg(edgebone_arm_mve)]
use edgebone_kernels::arch::arm_mve;
use edgebone_kernels::{optimized, reference};

pub use bit_exact::{Case, FilterCase, FilterParams};
pub use digest::Digest;
pub use rng::Rng;

/// How many cases each test runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Generated cases per bit-exact or reference test.
    pub cases: usize,
    /// Rounds per robustness test (each calls every kernel of its group once).
    pub rounds: usize,
}

impl Budget {
    /// `cargo test -p edgebone-kernels`.
    pub const HOST: Budget = Budget {
        cases: 300,
        rounds: 100_000,
    };
    /// The QEMU boards (`cargo xtask test-kernels`): the first cases of the host's streams.
    pub const TARGET: Budget = Budget {
        cases: 100,
        rounds: 5_000,
    };
}

/// A test that passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passed {
    /// Cases (or rounds) run.
    pub cases: usize,
    /// FNV-1a of the outputs (the reference kernel's, for the bit-exact pairs), equal on
    /// every target for the same budget.
    pub digest: u64,
}

/// The first case of a test that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The case (or round) index.
    pub case: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "case {}: {}", self.case, self.message)
    }
}

/// One shared test.
#[derive(Clone, Copy, Debug)]
pub struct KernelTest {
    /// Its name, which also seeds its [`Rng`].
    pub name: &'static str,
    /// Whether its digest is the same on every target. The robustness tests' is not: their
    /// absurd sizes include `usize::MAX`, so what overflows (and which random draws follow)
    /// depends on the pointer width; theirs is the same on every target of one width.
    pub portable_digest: bool,
    /// Runs it.
    pub run: fn(&Budget) -> Result<Passed, Failure>,
}

/// Every shared test: the bit-exact pairs, the robustness rounds and the reference digests.
pub fn all() -> impl Iterator<Item = &'static KernelTest> {
    BIT_EXACT.iter().chain(ROBUSTNESS).chain(REFERENCE)
}

/// Declares [`BIT_EXACT`] (or, after `static NAME: "doc";`, another list): `name:
/// reference, optimised, generator;` per line, each line
/// optionally behind attributes (`#[cfg(edgebone_arm_dsp)]` for an ISA-specific kernel,
/// which then runs on the boards that have the feature; stable Rust never sets
/// `target_feature = "dsp"`, see `build.rs`).
macro_rules! bit_exact_tests {
    (
        static $list:ident: $doc:literal;
        $($(#[$attr:meta])* $name:ident: $reference:path, $optimized:path, $generator:path;)*
    ) => {
        #[doc = $doc]
        pub static $list: &[KernelTest] = &[$(
            $(#[$attr])*
            KernelTest {
                name: stringify!($name),
                portable_digest: true,
                run: |budget| {
                    bit_exact::check(
                        stringify!($name),
                        $generator,
                        $reference,
                        $optimized,
                        budget,
                    )
                },
            },
        )*];
    };
    ($($line:tt)*) => {
        bit_exact_tests! {
            static BIT_EXACT:
                "Every optimised kernel against its reference, bit for bit, on seeded cases.";
            $($line)*
        }
    };
}

// One line per optimised kernel; the host test and the board firmware both read this list.
bit_exact_tests! {
    conv2d_1x1_is_bit_exact: reference::conv2d, scratch::pointwise, bit_exact::pointwise_case;
    conv2d_is_bit_exact: reference::conv2d, scratch::general, bit_exact::general_conv_case;
    depthwise_conv2d_is_bit_exact: reference::depthwise_conv2d, optimized::depthwise_conv2d,
        bit_exact::depthwise_case;
    depthwise_conv2d_vector_loop_is_bit_exact: reference::depthwise_conv2d,
        optimized::depthwise_conv2d_vector_loop, bit_exact::depthwise_case;
    fully_connected_is_bit_exact: reference::fully_connected, scratch::fully_connected,
        bit_exact::fully_connected_case;
    add_is_bit_exact: reference::add, optimized::add, elementwise::add_case;
    global_avg_pool_is_bit_exact: reference::global_avg_pool, optimized::global_avg_pool,
        pool::global_pool_case;
    add_in_place_first_is_bit_exact: reference::add, elementwise::add_in_place_first,
        elementwise::add_case;
    add_in_place_second_is_bit_exact: reference::add, elementwise::add_in_place_second,
        elementwise::add_case;
    // Arm's DSP extension: where `edgebone-kernels` compiled `arch::arm_dsp` (see build.rs).
    #[cfg(edgebone_arm_dsp)]
    arm_dsp_conv2d_1x1_is_bit_exact: reference::conv2d, scratch::dsp_pointwise,
        bit_exact::pointwise_case;
    #[cfg(edgebone_arm_dsp)]
    arm_dsp_conv2d_is_bit_exact: reference::conv2d, scratch::dsp_general,
        bit_exact::general_conv_case;
    #[cfg(edgebone_arm_dsp)]
    arm_dsp_depthwise_conv2d_is_bit_exact: reference::depthwise_conv2d, arm_dsp::depthwise_conv2d,
        bit_exact::depthwise_case;
    #[cfg(edgebone_arm_dsp)]
    arm_dsp_fully_connected_is_bit_exact: reference::fully_connected,
        scratch::dsp_fully_connected, bit_exact::fully_connected_case;
    // Helium: where `edgebone-kernels` compiled `arch::arm_mve` (see build.rs).
    #[cfg(edgebone_arm_mve)]
    arm_mve_conv2d_1x1_is_bit_exact: reference::conv2d, scratch::mve_pointwise,
        bit_exact::pointwise_case;
    #[cfg(edgebone_arm_mve)]
    arm_mve_conv2d_is_bit_exact: reference::conv2d, scratch::mve_general,
        bit_exact::general_conv_case;
    #[cfg(edgebone_arm_mve)]
    arm_mve_fully_connected_is_bit_exact: reference::fully_connected,
        scratch::mve_fully_connected, bit_exact::fully_connected_case;
    #[cfg(edgebone_arm_mve)]
    arm_mve_depthwise_conv2d_is_bit_exact: reference::depthwise_conv2d,
        arm_mve::depthwise_conv2d, bit_exact::depthwise_case;
    // The variant the registry picks on this target, whichever it is, and the one it picks
    // with the run-time detected kernels ruled out (`Isa::Portable`).
    registry_conv_is_bit_exact: reference::conv2d, scratch::registry_conv2d,
        bit_exact::any_conv_case;
    registry_conv_portable_is_bit_exact: reference::conv2d, scratch::registry_conv2d_portable,
        bit_exact::any_conv_case;
}

// x86-64's AVX2 kernels (where the CPU lacks AVX2: the portable ones, see `avx2`). Only the
// host compiles them, so they are a list of their own: every test of `BIT_EXACT` must run on
// every QEMU board (`cargo xtask test-kernels` checks that).
#[cfg(target_arch = "x86_64")]
bit_exact_tests! {
    static X86_AVX2:
        "The x86-64 AVX2 kernels against their references, bit for bit, on seeded cases.";
    x86_avx2_conv2d_1x1_is_bit_exact: reference::conv2d, scratch::avx2_pointwise,
        bit_exact::pointwise_case;
    x86_avx2_conv2d_is_bit_exact: reference::conv2d, scratch::avx2_general,
        bit_exact::general_conv_case;
    x86_avx2_depthwise_conv2d_is_bit_exact: reference::depthwise_conv2d,
        avx2::depthwise_conv2d, bit_exact::depthwise_case;
    x86_avx2_fully_connected_is_bit_exact: reference::fully_connected,
        scratch::avx2_fully_connected, bit_exact::fully_connected_case;
}

/// Random, often absurd, parameters at every kernel: each must return `Ok` or `Err`, never
/// panic, and both outcomes must occur.
pub static ROBUSTNESS: &[KernelTest] = &[
    KernelTest {
        name: "robust_conv",
        portable_digest: false,
        run: robustness::convolutions,
    },
    KernelTest {
        name: "robust_elementwise",
        portable_digest: false,
        run: robustness::elementwise,
    },
    KernelTest {
        name: "robust_pooling",
        portable_digest: false,
        run: robustness::pooling,
    },
    KernelTest {
        name: "robust_layout",
        portable_digest: false,
        run: robustness::layout,
    },
    KernelTest {
        name: "robust_shapes",
        portable_digest: false,
        run: robustness::shapes,
    },
    #[cfg(edgebone_arm_mve)]
    KernelTest {
        name: "robust_arm_mve",
        portable_digest: false,
        run: robustness::arm_mve,
    },
];

/// Reference kernels with no optimised version, checked by the digest of their outputs.
pub static REFERENCE: &[KernelTest] = &[KernelTest {
    name: "softmax",
    portable_digest: true,
    run: softmax::reference_digest,
}];
