//! RISC-V (RV32, machine mode): `minstret` (QEMU, exact with `-icount`) or `mcycle`
//! (hardware) counting, a PMP stack guard and a trap handler that survives a blown stack.

use core::arch::{asm, global_asm};

/// Bytes at the bottom of the stack that the PMP guard makes inaccessible.
pub const STACK_GUARD_BYTES: usize = if cfg!(feature = "pmp-guard") { 4096 } else { 0 };

/// The current stack pointer.
#[inline(always)]
pub fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads a register.
    unsafe { asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// Makes `[base, base + STACK_GUARD_BYTES)` inaccessible, machine mode included, with a
/// locked NAPOT entry 0 of the PMP, so a stack overflow traps instead of running into the
/// memory below. Does nothing without the `pmp-guard` feature.
pub fn arm_stack_guard(base: usize) {
    if !cfg!(feature = "pmp-guard") {
        return;
    }
    if !base.is_multiple_of(STACK_GUARD_BYTES) {
        crate::report::error_guard_alignment(base, STACK_GUARD_BYTES);
        super::exit(crate::EXIT_ERROR);
    }
    // NAPOT: the address with its low bits set to encode the size (2^(trailing ones + 3)).
    let address = (base >> 2) | ((STACK_GUARD_BYTES >> 3) - 1);
    // L (locked, applies to machine mode too) | A = NAPOT | no R, W, X.
    const CONFIG: usize = 0x80 | 0x18;
    // SAFETY: entry 0 covers only the guard bytes below every stack frame (painting is
    // done); entries 1-3 of pmpcfg0 stay off, and machine mode keeps full access to every
    // address no entry matches.
    unsafe {
        asm!("csrw pmpaddr0, {}", in(reg) address, options(nomem, nostack));
        asm!("csrw pmpcfg0, {}", in(reg) CONFIG, options(nomem, nostack));
    }
}

/// Reads a 64-bit counter CSR pair consistently on RV32.
macro_rules! read_counter64 {
    ($lo:literal, $hi:literal) => {{
        loop {
            let (hi, lo, hi_again): (u32, u32, u32);
            // SAFETY: reads counter CSRs.
            unsafe {
                asm!(
                    concat!("csrr {0}, ", $hi),
                    concat!("csrr {1}, ", $lo),
                    concat!("csrr {2}, ", $hi),
                    out(reg) hi, out(reg) lo, out(reg) hi_again,
                    options(nomem, nostack, preserves_flags),
                )
            };
            if hi == hi_again {
                break (u64::from(hi) << 32) | u64::from(lo);
            }
        }
    }};
}

/// Counts retired instructions (`minstret`; exact under QEMU with `-icount`).
#[cfg(feature = "qemu")]
pub struct Counter;

#[cfg(feature = "qemu")]
impl Counter {
    /// What the counter counts.
    pub const UNIT: &'static str = "instructions";

    fn read() -> u64 {
        read_counter64!("minstret", "minstreth")
    }
}

/// Counts core cycles (`mcycle`).
#[cfg(feature = "probe")]
pub struct Counter;

#[cfg(feature = "probe")]
impl Counter {
    /// What the counter counts.
    pub const UNIT: &'static str = "cycles";

    fn read() -> u64 {
        read_counter64!("mcycle", "mcycleh")
    }
}

impl Counter {
    /// The counter runs from reset; nothing to start.
    pub fn start() -> Counter {
        Counter
    }

    /// A reading to pass to [`since`](Self::since).
    pub fn now(&self) -> u64 {
        Self::read()
    }

    /// Counts since the reading `start`.
    pub fn since(&self, start: u64) -> u64 {
        self.elapsed(start, self.now())
    }

    /// Counts between the readings `start` and `end`.
    pub fn elapsed(&self, start: u64, end: u64) -> u64 {
        end.wrapping_sub(start)
    }

    /// The CSR counts directly: `count` as it is.
    pub fn to_count(&self, count: u64) -> u64 {
        count
    }

    /// No calibration: the CSR counts directly.
    pub fn calibration(&self) -> Option<(u64, u64)> {
        None
    }
}

// The trap vector (riscv-rt points `mtvec` at `_start_trap`). The app uses no interrupts, so
// every trap is a fault: reset the stack pointer to the top of the stack first (an overflow
// leaves it inside the guard), then report.
global_asm!(
    ".section .trap.start.edgebone, \"ax\"",
    ".global _start_trap",
    ".p2align 2",
    "_start_trap:",
    "la sp, _stack_start",
    "j {handler}",
    handler = sym trap,
);

/// Reports the trap cause and ends the run with [`crate::EXIT_FAULT`].
extern "C" fn trap() -> ! {
    let (mcause, mepc, mtval): (usize, usize, usize);
    // SAFETY: reads trap CSRs.
    unsafe {
        asm!(
            "csrr {0}, mcause",
            "csrr {1}, mepc",
            "csrr {2}, mtval",
            out(reg) mcause, out(reg) mepc, out(reg) mtval,
            options(nomem, nostack, preserves_flags),
        )
    };
    crate::report::riscv_trap(mcause, mepc, mtval);
    super::exit(crate::EXIT_FAULT)
}
