//! Whether this CPU and its operating system run AVX2 code, asked once with `CPUID` and
//! `XGETBV` (no `std`, so not `is_x86_feature_detected!`) and kept in an atomic.

use core::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};
use core::sync::atomic::{AtomicU8, Ordering};

/// Not asked yet.
const UNKNOWN: u8 = 0;
/// AVX2 runs here.
const YES: u8 = 1;
/// AVX2 does not run here.
const NO: u8 = 2;

/// The answer of [`available`], once asked.
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// True if this CPU has AVX2 and the operating system saves the YMM registers. The first
/// call asks the CPU; later calls read the answer (a race only asks twice).
pub fn available() -> bool {
    match STATE.load(Ordering::Relaxed) {
        YES => true,
        NO => false,
        _ => {
            let yes = detect();
            STATE.store(if yes { YES } else { NO }, Ordering::Relaxed);
            yes
        }
    }
}

/// Asks the CPU: leaf 1 for AVX and OSXSAVE, `XGETBV` for the XMM and YMM state, leaf 7
/// for AVX2 (EBX bit 5).
fn detect() -> bool {
    let max_leaf = __cpuid(0).eax;
    if max_leaf < 7 {
        return false;
    }
    let leaf1 = __cpuid(1);
    let osxsave = leaf1.ecx & (1 << 27) != 0;
    let avx = leaf1.ecx & (1 << 28) != 0;
    if !(osxsave && avx) {
        return false;
    }
    // SAFETY: `XGETBV` exists when CPUID reports OSXSAVE (checked just above), which is the
    // only requirement of the `xsave` target feature the intrinsic is declared with, and
    // register 0 always exists.
    let xcr0 = unsafe { _xgetbv(0) };
    // Bits 1 and 2: the operating system saves the XMM and the upper YMM halves.
    if xcr0 & 0b110 != 0b110 {
        return false;
    }
    __cpuid_count(7, 0).ebx & (1 << 5) != 0
}
