//! The shared kernel test cases (`edgebone-kernel-cases`) on the board, instead of a model
//! (feature `kernel-tests`; `cargo xtask test-kernels` builds, runs and checks it).
//!
//! Every test of the shared list runs with [`Budget::TARGET`]; each reports one `kernel`
//! record with its digest (compared by the xtask with the host's for the same seeds) and the
//! instructions it took, or an `error kernel` line with its first failing case. The cases
//! allocate their buffers, here on a heap from `embedded-alloc` in `.bss`.

use core::sync::atomic::{AtomicBool, Ordering};

use edgebone_kernel_cases::Budget;
use embedded_alloc::LlffHeap as Heap;

use crate::{report, stack, Board, Counter};

/// Heap bytes: the largest case needs below 200 KiB (a depthwise input of 300 channels);
/// small enough to leave room for the stack in `qemu-m7-512k`'s 512 KiB of RAM.
const HEAP_BYTES: usize = 384 * 1024;

#[global_allocator]
static HEAP: Heap = Heap::empty();
static HEAP_READY: AtomicBool = AtomicBool::new(false);

/// Some tests failed.
#[derive(Debug, defmt::Format)]
pub struct Failed {
    /// How many.
    pub tests: usize,
}

/// Runs every shared test; `Err` when at least one failed (each is reported).
pub fn run(board: &Board, counter: &Counter) -> Result<(), Failed> {
    init_heap();
    let budget = Budget::TARGET;
    report::kernel_tests(
        board.name,
        edgebone_kernel_cases::all().count(),
        budget.cases,
        budget.rounds,
        HEAP_BYTES,
    );
    report::calibration(counter.calibration());
    let (mut passed, mut failed) = (0, 0);
    for test in edgebone_kernel_cases::all() {
        let start = counter.now();
        let result = (test.run)(&budget);
        let count = counter.since(start);
        match result {
            Ok(summary) => {
                passed += 1;
                report::kernel_passed(test.name, summary.cases, summary.digest, count);
            }
            Err(failure) => {
                failed += 1;
                report::kernel_failed(test.name, failure.case, &failure.message);
            }
        }
    }
    report::kernel_summary(Counter::UNIT, passed, failed, stack::peak());
    if failed > 0 {
        return Err(Failed { tests: failed });
    }
    Ok(())
}

/// Hands the heap its memory, once.
fn init_heap() {
    use core::mem::MaybeUninit;
    static mut MEMORY: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
    if HEAP_READY.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: `HEAP_READY` lets this run once, before the first allocation; `MEMORY` is used
    // by nothing but the heap.
    unsafe { HEAP.init((&raw mut MEMORY) as usize, HEAP_BYTES) }
}
