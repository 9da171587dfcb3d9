//! The board-agnostic edgebone firmware.
//!
//! A board crate sets up its runtime crate (`cortex-m-rt`, `riscv-rt`, a HAL) and calls
//! [`run`] from its entry point. The app then
//!
//! 1. paints the stack (and arms the stack guard where the board asks for one),
//! 2. starts the work counter (instructions under QEMU, cycles on hardware),
//! 3. runs one inference per input frame on the model embedded in `.weights`, with the
//!    arena in the NOLOAD `.arena` section; the frames are int8 tensors embedded in
//!    `.frames`, or with the feature `camera` sensor frames read from a frame stream file
//!    through semihosting and preprocessed on the board into the input tensor,
//! 4. logs every output tensor, its top-5, the work of every op and a summary over defmt, and
//! 5. exits with status 0, or non-zero on any error or fault (through semihosting under QEMU).
//!
//! With the feature `kernel-tests` step 3 runs the shared kernel test cases instead
//! ([`kernel_tests`](crate::kernel_tests)), and nothing is embedded.
//!
//! The log lines are `key=value` records that `cargo xtask run|test-boards` parses; see
//! [`report`].
#![no_std]

mod arch;
#[cfg(not(feature = "kernel-tests"))]
mod blobs;
#[cfg(feature = "camera")]
mod camera;
#[cfg(not(any(feature = "camera", feature = "kernel-tests")))]
mod frames;
#[cfg(feature = "kernel-tests")]
mod kernel_tests;
#[cfg(not(feature = "kernel-tests"))]
mod op_counts;
// The kernel test firmware reports no model, inference or summary.
#[cfg_attr(feature = "kernel-tests", allow(dead_code))]
mod report;
mod stack;
#[cfg(not(feature = "kernel-tests"))]
mod workload;

#[cfg(feature = "kernel-tests")]
extern crate alloc;
#[cfg(feature = "kernel-tests")]
use kernel_tests as workload;

pub use arch::Counter;

// The defmt transport: semihosting under QEMU, RTT through a debug probe on hardware.
#[cfg(feature = "probe")]
use defmt_rtt as _;
#[cfg(feature = "qemu")]
use defmt_semihosting as _;

/// Bytes aligned to 16, so int8 constants inside the model blob keep their alignment.
#[repr(C, align(16))]
pub struct Aligned<T: ?Sized>(pub T);

/// What a board tells the app about itself.
#[derive(Clone, Copy, Debug)]
pub struct Board {
    /// The board's name, as in its `board.toml`.
    pub name: &'static str,
}

/// Exit status: everything ran.
pub const EXIT_OK: i32 = 0;
/// Exit status: the model or an input was rejected, or inference failed.
pub const EXIT_ERROR: i32 = 1;
/// Exit status: a fault (HardFault, RISC-V trap), e.g. a stack overflow.
pub const EXIT_FAULT: i32 = 3;

/// Runs the firmware on `board` and never returns.
pub fn run(board: &Board) -> ! {
    stack::paint();
    arch::arm_stack_guard(stack::end());
    let counter = Counter::start();
    if cfg!(feature = "overflow") {
        report::note("deliberate stack overflow");
        stack::overflow();
    }
    let status = match workload::run(board, &counter) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            report::error(e);
            EXIT_ERROR
        }
    };
    arch::exit(status)
}
