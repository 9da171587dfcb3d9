//! The DSP extension's instructions the kernels use, one `asm!` each, on registers only.
//!
//! Each is what CMSIS's intrinsic of the same name (`__SMLAD`, `__SXTB16`, …) compiles to;
//! `core::arch::arm` has them too, but unstable. A halfword lane of a packed word is an
//! `i16`; the low lane holds the even-numbered value (little-endian).

use core::arch::asm;

/// `(sext(b0), sext(b2))`: bytes 0 and 2 of `x` sign-extended into the two halfwords.
#[inline(always)]
pub(super) fn sxtb16(x: u32) -> u32 {
    let out: u32;
    // SAFETY: SXTB16 reads and writes registers only, and the target has the DSP
    // extension (this module is compiled only then).
    unsafe {
        asm!("sxtb16 {out}, {x}", out = lateout(reg) out, x = in(reg) x,
            options(pure, nomem, nostack, preserves_flags));
    }
    out
}

/// `(sext(b1), sext(b3))`: bytes 1 and 3 of `x` sign-extended into the two halfwords.
#[inline(always)]
pub(super) fn sxtb16_ror8(x: u32) -> u32 {
    let out: u32;
    // SAFETY: SXTB16 reads and writes registers only, and the target has the DSP
    // extension (this module is compiled only then).
    unsafe {
        asm!("sxtb16 {out}, {x}, ror #8", out = lateout(reg) out, x = in(reg) x,
            options(pure, nomem, nostack, preserves_flags));
    }
    out
}

/// `(a.lo + sext(b0), a.hi + sext(b2))`, each halfword wrapping.
#[inline(always)]
pub(super) fn sxtab16(a: u32, x: u32) -> u32 {
    let out: u32;
    // SAFETY: SXTAB16 reads and writes registers only (it sets no flags), and the target
    // has the DSP extension (this module is compiled only then).
    unsafe {
        asm!("sxtab16 {out}, {a}, {x}", out = lateout(reg) out, a = in(reg) a, x = in(reg) x,
            options(pure, nomem, nostack, preserves_flags));
    }
    out
}

/// `(a.lo + sext(b1), a.hi + sext(b3))`, each halfword wrapping.
#[inline(always)]
pub(super) fn sxtab16_ror8(a: u32, x: u32) -> u32 {
    let out: u32;
    // SAFETY: SXTAB16 reads and writes registers only (it sets no flags), and the target
    // has the DSP extension (this module is compiled only then).
    unsafe {
        asm!("sxtab16 {out}, {a}, {x}, ror #8", out = lateout(reg) out, a = in(reg) a,
            x = in(reg) x, options(pure, nomem, nostack, preserves_flags));
    }
    out
}

/// `acc + x.lo · y.lo + x.hi · y.hi` on the signed halfwords, wrapping modulo 2^32.
///
/// SMLAD keeps the low 32 bits of the exact sum (and sets the sticky Q flag on overflow,
/// which nothing reads): the wrapping addition of the reference's accumulator.
#[inline(always)]
pub(super) fn smlad(x: u32, y: u32, acc: i32) -> i32 {
    let out: i32;
    // SAFETY: SMLAD reads and writes registers only (the flags it may set are declared
    // clobbered by leaving out `preserves_flags`), and the target has the DSP extension
    // (this module is compiled only then).
    unsafe {
        asm!("smlad {out}, {x}, {y}, {acc}", out = lateout(reg) out, x = in(reg) x,
            y = in(reg) y, acc = in(reg) acc, options(pure, nomem, nostack));
    }
    out
}

/// `acc + x.lo · y.lo` on the signed low halfwords, wrapping modulo 2^32.
#[inline(always)]
pub(super) fn smlabb(x: u32, y: u32, acc: i32) -> i32 {
    let out: i32;
    // SAFETY: SMLABB reads and writes registers only (the Q flag it may set is declared
    // clobbered by leaving out `preserves_flags`), and the target has the DSP extension
    // (this module is compiled only then).
    unsafe {
        asm!("smlabb {out}, {x}, {y}, {acc}", out = lateout(reg) out, x = in(reg) x,
            y = in(reg) y, acc = in(reg) acc, options(pure, nomem, nostack));
    }
    out
}

/// `acc + x.hi · y.hi` on the signed high halfwords, wrapping modulo 2^32.
#[inline(always)]
pub(super) fn smlatt(x: u32, y: u32, acc: i32) -> i32 {
    let out: i32;
    // SAFETY: SMLATT reads and writes registers only (the Q flag it may set is declared
    // clobbered by leaving out `preserves_flags`), and the target has the DSP extension
    // (this module is compiled only then).
    unsafe {
        asm!("smlatt {out}, {x}, {y}, {acc}", out = lateout(reg) out, x = in(reg) x,
            y = in(reg) y, acc = in(reg) acc, options(pure, nomem, nostack));
    }
    out
}
