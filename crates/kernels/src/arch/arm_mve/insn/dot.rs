//! Dot products: raw int8 (`VMLADAVA.S8`) and `i16` rows (`VMLADAVA.S16`), four rows or one
//! against a weight row, tail-predicated by `DLSTP`/`LETP` loops.

use core::arch::asm;

/// `Σ_k x_p[k] · w[k]` (wrapping `i32`) of raw int8 values for the four pixels `pixels`,
/// 16 products per `VMLADAVA.S8`, the last vector of a depth that is not a multiple of 16
/// tail-predicated by the `DLSTP`/`LETP` loop.
///
/// # Safety
///
/// Each of `pixels` must be valid for reads of `weights.len()` bytes.
#[inline(always)]
pub(crate) unsafe fn dot4(pixels: [*const i8; 4], weights: &[i8]) -> [i32; 4] {
    let [p0, p1, p2, p3] = pixels;
    let (mut a0, mut a1, mut a2, mut a3) = (0i32, 0i32, 0i32, 0i32);
    if weights.is_empty() {
        // `DLSTP` runs its loop at least once.
        return [0; 4];
    }
    // SAFETY: the loop reads `weights.len()` bytes from `weights` and from each pixel (the
    // predicated last vector reads none past them), which the caller guarantees are valid;
    // it writes only the registers named here.
    unsafe {
        asm!(
            "dlstp.8 lr, lr",
            "2:",
            "vldrb.u8 q0, [{w}], #16",
            "vldrb.u8 q1, [{p0}], #16",
            "vmladava.s8 r0, q1, q0",
            "vldrb.u8 q2, [{p1}], #16",
            "vmladava.s8 r2, q2, q0",
            "vldrb.u8 q3, [{p2}], #16",
            "vmladava.s8 r4, q3, q0",
            "vldrb.u8 q4, [{p3}], #16",
            "vmladava.s8 r8, q4, q0",
            "letp lr, 2b",
            w = inout(reg) weights.as_ptr() => _,
            p0 = inout(reg) p0 => _,
            p1 = inout(reg) p1 => _,
            p2 = inout(reg) p2 => _,
            p3 = inout(reg) p3 => _,
            inout("r0") a0,
            inout("r2") a1,
            inout("r4") a2,
            inout("r8") a3,
            inout("lr") weights.len() => _,
            out("d0") _, out("d1") _, out("d2") _, out("d3") _, out("d4") _,
            out("d5") _, out("d6") _, out("d7") _, out("d8") _, out("d9") _,
            options(nostack, readonly),
        );
    }
    [a0, a1, a2, a3]
}

/// `Σ_k x_p[k] · w[k]` (wrapping `i32`) of four rows of `i16` values against one row of
/// int8 weights, eight products per `VMLADAVA.S16` (the weights widened by `VLDRB.S16`),
/// the last vector tail-predicated by the `DLSTP`/`LETP` loop.
///
/// # Safety
///
/// Each of `rows` must be valid for reads of `weights.len()` `i16` values.
#[inline(always)]
pub(crate) unsafe fn dot4_i16(rows: [*const i16; 4], weights: &[i8]) -> [i32; 4] {
    let [p0, p1, p2, p3] = rows;
    let (mut a0, mut a1, mut a2, mut a3) = (0i32, 0i32, 0i32, 0i32);
    if weights.is_empty() {
        // `DLSTP` runs its loop at least once.
        return [0; 4];
    }
    // SAFETY: the loop reads `weights.len()` weights and as many values of each row (the
    // predicated last vector reads none past them), valid by the caller's guarantee; it
    // writes only the registers named here.
    unsafe {
        asm!(
            "dlstp.16 lr, lr",
            "2:",
            "vldrb.s16 q0, [r1], #8",
            "vldrh.s16 q1, [{p0}], #16",
            "vmladava.s16 r0, q1, q0",
            "vldrh.s16 q2, [{p1}], #16",
            "vmladava.s16 r2, q2, q0",
            "vldrh.s16 q3, [{p2}], #16",
            "vmladava.s16 r4, q3, q0",
            "vldrh.s16 q4, [{p3}], #16",
            "vmladava.s16 r8, q4, q0",
            "letp lr, 2b",
            // The widening load's writeback form takes a low register only.
            inout("r1") weights.as_ptr() => _,
            p0 = inout(reg) p0 => _,
            p1 = inout(reg) p1 => _,
            p2 = inout(reg) p2 => _,
            p3 = inout(reg) p3 => _,
            inout("r0") a0,
            inout("r2") a1,
            inout("r4") a2,
            inout("r8") a3,
            inout("lr") weights.len() => _,
            out("d0") _, out("d1") _, out("d2") _, out("d3") _, out("d4") _,
            out("d5") _, out("d6") _, out("d7") _, out("d8") _, out("d9") _,
            options(nostack, readonly),
        );
    }
    [a0, a1, a2, a3]
}

/// [`dot4_i16`] for one row.
///
/// # Safety
///
/// `row` must be valid for reads of `weights.len()` `i16` values.
#[inline(always)]
pub(crate) unsafe fn dot1_i16(row: *const i16, weights: &[i8]) -> i32 {
    let mut acc = 0i32;
    if weights.is_empty() {
        // `DLSTP` runs its loop at least once.
        return 0;
    }
    // SAFETY: as in `dot4_i16`, for one row.
    unsafe {
        asm!(
            "dlstp.16 lr, lr",
            "2:",
            "vldrb.s16 q0, [r1], #8",
            "vldrh.s16 q1, [{p}], #16",
            "vmladava.s16 r0, q1, q0",
            "letp lr, 2b",
            inout("r1") weights.as_ptr() => _,
            p = inout(reg) row => _,
            inout("r0") acc,
            inout("lr") weights.len() => _,
            out("d0") _, out("d1") _, out("d2") _, out("d3") _,
            options(nostack, readonly),
        );
    }
    acc
}

/// `(Σ_k x[k] · w[k], Σ_k w[k])` (wrapping `i32`) of one pixel's raw int8 values against a
/// weight row, 16 products per `VMLADAVA.S8` and 16 weights per `VADDVA.S8`, the last
/// vector tail-predicated by the `DLSTP`/`LETP` loop.
///
/// # Safety
///
/// `pixel` must be valid for reads of `weights.len()` bytes.
#[inline(always)]
pub(crate) unsafe fn dot1_sum(pixel: *const i8, weights: &[i8]) -> [i32; 2] {
    let (mut dot, mut sum) = (0i32, 0i32);
    if weights.is_empty() {
        // `DLSTP` runs its loop at least once.
        return [0; 2];
    }
    // SAFETY: the loop reads `weights.len()` bytes of the weights and of the pixel (the
    // predicated last vector reads none past them), valid by the caller's guarantee; it
    // writes only the registers named here.
    unsafe {
        asm!(
            "dlstp.8 lr, lr",
            "2:",
            "vldrb.u8 q0, [{w}], #16",
            "vldrb.u8 q1, [{p}], #16",
            "vmladava.s8 r0, q1, q0",
            "vaddva.s8 r2, q0",
            "letp lr, 2b",
            w = inout(reg) weights.as_ptr() => _,
            p = inout(reg) pixel => _,
            inout("r0") dot,
            inout("r2") sum,
            inout("lr") weights.len() => _,
            out("d0") _, out("d1") _, out("d2") _, out("d3") _,
            options(nostack, readonly),
        );
    }
    [dot, sum]
}
