//! The output stage of four sums of one channel: requantised in one vector and stored
//! `C` bytes apart, and the scaling and clamp sequences the asm loops share (macros).

use core::arch::asm;

/// The layer-wide operands of the `requantize4` variants: output zero point, activation bounds, and
/// the byte offsets of four consecutive pixels' outputs of one channel.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
pub(crate) struct LayerWords {
    /// Zero point, minimum, maximum, and `C` (read by the Rust side).
    pub range: [i32; 4],
    /// `0, C, 2C, 3C` for `C` output channels.
    pub offsets: [i32; 4],
}

/// One output channel's operands of the `requantize4` variants.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(8))]
pub(crate) struct ChannelWords {
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
        pub(crate) unsafe fn $name(
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

/// The scaling of the sums `q0` (`{k}` the multiplier; `{w}`, `{k}`, `{tp}` and `q1` free,
/// `{words}` at a [`ChannelWords`] 16 bytes in) as in [`requantize4_shifted`].
macro_rules! scale_shifted {
    () => {
        "vdup.32 q1, {k}\n vmulh.s32 q0, q0, q1\n ldr {w}, [{words}, #24]\n vrshl.s32 q0, {w} /* {tp} */"
    };
}

/// As [`scale_shifted!`], as in [`requantize4_high`].
macro_rules! scale_high {
    () => {
        "vdup.32 q1, {k}\n vrmulh.s32 q0, q0, q1 /* {w} {tp} */"
    };
}

/// As [`scale_shifted!`], as in [`requantize4_double`].
macro_rules! scale_double {
    () => {
        concat!(
            "ldrd {w}, {tp}, [{words}, #24]\n vshl.s32 q0, {tp}\n vqrdmulh.s32 q0, q0, {k}\n",
            "vdup.32 q1, {w}\n vand q1, q0, q1\n vshr.s32 q1, q1, #31\n vqadd.s32 q0, q0, q1\n",
            "vrshl.s32 q0, {w}"
        )
    };
}

/// As [`scale_shifted!`] for a right shift `s` below 32 (single rounding; `{words}` + 24
/// holds `−s`, + 28 `32 − s`), exact with the 64-bit product's saturation to `i32`: the
/// product's high word `H` (`VMULH`) and low word `L` (`VMUL`), `L` rounded and shifted
/// right by `s` (`R`, at most `2^(32 − s)`, its carry added to `H`), then `H` shifted left
/// by `32 − s`, saturating (`VQSHL`), plus `R`'s remaining bits where `H` did not saturate
/// downwards (`H ≥ −2^(s − 1)`; a saturating add).
macro_rules! scale_low {
    () => {
        concat!(
            "vmul.i32 q1, q0, {k}\n vdup.32 q2, {k}\n vmulh.s32 q0, q0, q2\n",
            "ldrd {w}, {tp}, [{words}, #24]\n vrshl.u32 q1, {w}\n rsb {k}, {tp}, #0\n",
            "vmov q2, q1\n vshl.u32 q2, {k}\n vadd.i32 q0, q0, q2\n",
            "movs {k}, #1\n lsl {k}, {k}, {tp}\n subs {k}, #1\n vdup.32 q2, {k}\n",
            "vand q1, q1, q2\n rsb {w}, {tp}, #31\n movs {k}, #1\n lsl {k}, {k}, {w}\n",
            "rsb {k}, {k}, #0\n vcmp.s32 ge, q0, {k}\n vqshl.s32 q0, {tp}\n vpst\n",
            "vqaddt.s32 q0, q0, q1"
        )
    };
}

/// The output stage after a scaling: `q0` plus the zero point, clamped (`{words}` at the
/// range 32 bytes in; `{w}`, `{k}` and `q1` free).
macro_rules! clamp {
    () => {
        concat!(
            "ldrd {w}, {k}, [{words}, #32]\n vadd.i32 q0, q0, {w}\n vdup.32 q1, {k}\n",
            "vmax.s32 q0, q0, q1\n ldr {w}, [{words}, #40]\n vdup.32 q1, {w}\n",
            "vmin.s32 q0, q0, q1"
        )
    };
}
