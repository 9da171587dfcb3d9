//! The Helium instruction sequences of the kernels, in inline `asm!` (stable Rust has no
//! MVE intrinsics). `VMLADAVA` takes its accumulator in an even register, hence the
//! accumulators' fixed registers; `q0`–`q4` are named as the `d` registers they overlay.

use core::arch::asm;

/// `Σ_k x_p[k] · w[k]` (wrapping `i32`) of raw int8 values for the four pixels `pixels`,
/// 16 products per `VMLADAVA.S8`, the last vector of a depth that is not a multiple of 16
/// tail-predicated by the `DLSTP`/`LETP` loop.
///
/// # Safety
///
/// Each of `pixels` must be valid for reads of `weights.len()` bytes.
#[inline(always)]
pub(super) unsafe fn dot4(pixels: [*const i8; 4], weights: &[i8]) -> [i32; 4] {
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

/// The layer-wide operands of [`requantize4`]: output zero point, activation bounds, and
/// the byte offsets of four consecutive pixels' outputs of one channel.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
pub(super) struct LayerWords {
    /// Zero point, minimum, maximum, unused.
    pub range: [i32; 4],
    /// `0, C, 2C, 3C` for `C` output channels.
    pub offsets: [i32; 4],
}

/// One output channel's operands of [`requantize4`].
#[derive(Clone, Copy, Debug)]
#[repr(C, align(8))]
pub(super) struct ChannelWords {
    /// The bias minus the input zero point times the weights' sum (wrapping).
    pub offset: i32,
    /// The Q31 multiplier.
    pub multiplier: i32,
    /// Minus the right shift after the high-word step (`-31..=0`).
    pub right: i32,
    /// The left shift before it (`0..=30`, double rounding only).
    pub left: i32,
}

/// Declares a `requantize4` variant whose high-word step (`q0` scaled by the multiplier in
/// `{m}`, the shifts in `{r}` and `{l}`, `q1` free) is `$high`.
macro_rules! requantize4 {
    ($(#[$doc:meta])* $name:ident, $($high:literal),+) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// `out + layer.offsets[i]` must be valid for a one-byte write for `i < lanes`.
        #[inline(always)]
        pub(super) unsafe fn $name(
            sums: [i32; 4],
            channel: &ChannelWords,
            layer: &LayerWords,
            out: *mut i8,
            lanes: usize,
        ) {
            let [s0, s1, s2, s3] = sums;
            // SAFETY: the only memory written is the predicated scatter store of the first
            // `lanes` lanes at `out + layer.offsets[i]`, valid by the caller's guarantee;
            // the loads read `channel` and `layer`, references.
            unsafe {
                asm!(
                    "vmov q0[2], q0[0], {s0}, {s2}",
                    "vmov q0[3], q0[1], {s1}, {s3}",
                    "ldrd {s0}, {m}, [{channel}]",
                    "ldrd {r}, {l}, [{channel}, #8]",
                    "vadd.i32 q0, q0, {s0}",
                    $($high,)+
                    "ldrd {s0}, {s1}, [{layer}]",
                    "ldr {s2}, [{layer}, #8]",
                    "vadd.i32 q0, q0, {s0}",
                    "vdup.32 q1, {s1}",
                    "vmax.s32 q0, q0, q1",
                    "vdup.32 q1, {s2}",
                    "vmin.s32 q0, q0, q1",
                    "vldrw.u32 q1, [{layer}, #16]",
                    "vctp.32 {lanes}",
                    "vpst",
                    "vstrbt.32 q0, [{out}, q1]",
                    s0 = inout(reg) s0 => _,
                    s1 = inout(reg) s1 => _,
                    s2 = inout(reg) s2 => _,
                    s3 = in(reg) s3,
                    m = out(reg) _,
                    r = out(reg) _,
                    l = out(reg) _,
                    channel = in(reg) core::ptr::from_ref(channel),
                    layer = in(reg) core::ptr::from_ref(layer),
                    out = in(reg) out,
                    lanes = in(reg) lanes,
                    out("d0") _, out("d1") _, out("d2") _, out("d3") _,
                    options(nostack),
                );
            }
        }
    };
}

requantize4!(
    /// Writes the four requantised outputs of one channel, `sums` plus the channel's offset,
    /// in the single-rounding form for a right shift of 33 or more: the product's high word
    /// (`VMULH`, rounded down), then a rounding right shift (`VRSHL` by a negative amount),
    /// which is exactly the 64-bit product rounded once; then the zero point and the
    /// activation clamp, and the first `lanes` bytes stored `C` apart.
    requantize4_shifted,
    "vdup.32 q1, {m}",
    "vmulh.s32 q0, q0, q1",
    "vrshl.s32 q0, {r}",
    "/* {l} */"
);

requantize4!(
    /// As [`requantize4_shifted`] for a right shift of exactly 32: `VRMULH` rounds the
    /// product to its high word in one step.
    requantize4_high,
    "vdup.32 q1, {m}",
    "vrmulh.s32 q0, q0, q1",
    "/* {r} {l} */"
);

requantize4!(
    /// As [`requantize4_shifted`] in the double-rounding form: the wrapping left shift,
    /// `VQRDMULH` (gemmlowp's saturating rounding doubling high multiply), then the
    /// rounding right shift with ties away from zero (`VRSHL` rounds them up, so a negative
    /// value is first lowered by one, saturating, where the shift is not 0), as CMSIS-NN's
    /// `arm_requantize_mve` does.
    requantize4_double,
    "vshl.s32 q0, {l}",
    "vqrdmulh.s32 q0, q0, {m}",
    "vdup.32 q1, {r}",
    "vand q1, q0, q1",
    "vshr.s32 q1, q1, #31",
    "vqadd.s32 q0, q0, q1",
    "vrshl.s32 q0, {r}"
);
