//! Stack painting: the peak stack use of the run, and a deliberate overflow for the fault test.
//!
//! At start-up every word between the bottom of the stack (above the guard region, if any) and
//! a little below the current stack pointer is painted with [`PAINT`]; after the run the
//! lowest word that no longer holds the paint marks the deepest the stack went.
//!
//! The board's linker script provides `_stack_start` (the top, where the stack pointer
//! starts) and `_stack_end` (the bottom). `cortex-m-rt` defines both (`flip-link` redefines
//! them below the static data); the RISC-V boards define `_stack_end` in their `memory.x`.

use crate::arch;

/// The paint value (the same as `cortex-m-rt`'s `paint-stack`).
const PAINT: u32 = 0xCCCC_CCCC;

/// Bytes below the current stack pointer left unpainted (the caller's red zone).
const MARGIN: usize = 64;

// SAFETY: the board's linker script defines both symbols (see above), and only their
// addresses are taken, never their values read.
unsafe extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

/// The stack's top (initial stack pointer) address.
pub fn top() -> usize {
    (&raw const _stack_start) as usize
}

/// The stack's bottom address (the stack guard, if any, starts here).
pub fn end() -> usize {
    (&raw const _stack_end) as usize
}

/// The lowest stack address the program may use: the stack's bottom, above the guard region.
fn bottom() -> usize {
    end() + arch::STACK_GUARD_BYTES
}

/// Paints the unused part of the stack. Must run before the stack guard is armed.
pub fn paint() {
    let limit = (arch::stack_pointer() - MARGIN) & !3;
    let mut at = end();
    while at < limit {
        // SAFETY: `[_stack_end, sp - MARGIN)` is stack memory below every live frame (the
        // stack grows down from `_stack_start`), word aligned, and nothing else refers to it.
        unsafe { (at as *mut u32).write_volatile(PAINT) };
        at += 4;
    }
}

/// The most stack bytes in use at any time so far (from the paint left untouched).
pub fn peak() -> usize {
    let mut at = bottom();
    let end = arch::stack_pointer();
    // SAFETY: `[bottom(), sp)` is painted stack memory below the live frames, outside the
    // guard region, word aligned.
    while at < end && unsafe { (at as *const u32).read_volatile() } == PAINT {
        at += 4;
    }
    top() - at
}

/// Recurses until the stack overflows into the guard; never returns.
pub fn overflow() -> ! {
    let depth = deeper(0);
    // Unreachable when the guard works: the recursion above has no end.
    crate::report::error_overflow_survived(depth);
    arch::exit(crate::EXIT_ERROR)
}

#[inline(never)]
fn deeper(depth: u32) -> u32 {
    let mut frame = [0u8; 256];
    frame[0] = depth as u8;
    core::hint::black_box(&mut frame);
    if core::hint::black_box(true) {
        deeper(depth + 1).wrapping_add(u32::from(frame[0]))
    } else {
        depth
    }
}
