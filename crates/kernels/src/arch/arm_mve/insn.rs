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
    /// Zero point, minimum, maximum, and `C` (read by the Rust side).
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

/// One tap of a depthwise convolution for four output pixels of one channel: where each
/// pixel's input byte lies (from a base address), the weight, and the tap's column.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(8))]
pub(super) struct Tap {
    /// The byte offset of each pixel's input from the base address.
    pub offsets: [i32; 4],
    /// The weight.
    pub weight: i32,
    /// The tap's input column from the pixel's first tap's (`kx · dilation`).
    pub column: i32,
}

/// The columns where [`depthwise4`]'s four pixels are inside the input (read by its
/// assembly only).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
#[allow(dead_code)]
pub(super) struct Columns {
    /// The input column of each pixel's first tap (`ox · stride − pad` and on, as `u32`:
    /// a column left of the input is a large value).
    pub first: [i32; 4],
    /// The input's width.
    pub width: i32,
}

/// `Σ_t (x_p[t] − zp) · w[t]` (wrapping `i32`) over the taps inside the input, for the
/// four output pixels `p` of one channel of a depthwise convolution, `x_p[t]` the byte at
/// `base + taps[t].offsets[p]`. Per tap (a `DLS`/`LE` loop): the pixels whose input column
/// (`columns.first[p] + taps[t].column`) lies in `0..columns.width` compared into a
/// predicate (`VPT`), then for them a gather load of their bytes (`VLDRB.S32` with the
/// tap's offset vector), the zero point subtracted and a vector-by-scalar `VMLA` by the
/// tap's weight; a pixel the tap does not reach reads nothing and keeps its sum (a padded
/// tap adds a real zero).
///
/// # Safety
///
/// `base + taps[t].offsets[p]` must be valid for a one-byte read for every tap `t` and
/// pixel `p` whose column is inside `0..columns.width`.
#[inline(always)]
pub(super) unsafe fn depthwise4(
    base: *const i8,
    taps: &[Tap],
    zero_point: i32,
    columns: &Columns,
) -> [i32; 4] {
    let (s0, s1, s2, s3): (i32, i32, i32, i32);
    if taps.is_empty() {
        // `DLS` runs its loop at least once.
        return [0; 4];
    }
    // SAFETY: the loop reads the taps (a slice), `columns` (a reference) and the input bytes
    // at `base + taps[t].offsets[p]` of the pixels inside the input's columns, which the
    // caller guarantees are valid; it writes only the registers named here.
    unsafe {
        asm!(
            "vmov.i32 q0, #0",
            "vldrw.u32 q3, [{columns}]",
            "ldr {w}, [{columns}, #16]",
            "vdup.32 q4, {w}",
            "dls lr, lr",
            "2:",
            "vldrw.u32 q1, [{tp}], #24",
            "ldrd {w}, {k}, [{tp}, #-8]",
            "vadd.i32 q5, q3, {k}",
            "vpttt.u32 hi, q4, q5",
            "vldrbt.s32 q2, [{base}, q1]",
            "vsubt.i32 q2, q2, {zp}",
            "vmlat.s32 q0, q2, {w}",
            "le lr, 2b",
            "vmov {s0}, {s2}, q0[2], q0[0]",
            "vmov {s1}, {s3}, q0[3], q0[1]",
            tp = inout(reg) taps.as_ptr() => _,
            base = in(reg) base,
            zp = in(reg) zero_point,
            columns = in(reg) core::ptr::from_ref(columns),
            w = out(reg) _,
            k = out(reg) _,
            s0 = lateout(reg) s0,
            s1 = lateout(reg) s1,
            s2 = lateout(reg) s2,
            s3 = lateout(reg) s3,
            inout("lr") taps.len() => _,
            out("d0") _, out("d1") _, out("d2") _, out("d3") _, out("d4") _, out("d5") _,
            out("d6") _, out("d7") _, out("d8") _, out("d9") _, out("d10") _, out("d11") _,
            options(nostack, readonly),
        );
    }
    [s0, s1, s2, s3]
}

/// The operands of a `depthwise_rows` variant: one channel along one or more output rows
/// that have the same kernel rows inside the input.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct RowWords {
    /// The taps of the kernel rows inside the input, and how many.
    pub taps: *const Tap,
    pub count: i32,
    /// Input bytes from one block of four pixels to the next, and output bytes.
    pub input_step: i32,
    pub output_step: i32,
    /// The channel's [`ChannelWords`].
    pub channel: ChannelWords,
    /// Output zero point, activation minimum and maximum.
    pub range: [i32; 3],
    /// The input's width.
    pub width: i32,
    /// Input columns from one block to the next (`4 · stride`).
    pub column_step: i32,
    /// The input column of the first taps of a row's first four pixels (see [`Columns`]).
    pub first: [i32; 4],
    /// `0, C, 2C, 3C` for `C` channels.
    pub offsets: [i32; 4],
    /// The next row's input (its first pixel's tap `(0, 0)`, minus the kernel rows above
    /// the input) and output (its first pixel's output of the channel); advanced by the
    /// assembly.
    pub input: *const i8,
    pub output: *mut i8,
    /// Output pixels per row.
    pub pixels: i32,
    /// Input and output bytes from one row to the next.
    pub input_row_step: i32,
    pub output_row_step: i32,
    /// Rows left; counted down by the assembly.
    pub rows: i32,
    /// The blocks whose taps are all inside the input's columns, as the pixels left to
    /// do when the assembly reaches them: above `interior[1]` and at most `interior[0]`.
    pub interior: [i32; 2],
    /// `−zp · Σ w` over the taps: the interior blocks' folded zero point.
    pub fold: i32,
}

// The offsets the assembly of the `depthwise_rows` variants reads its operands at.
const _: () = {
    assert!(core::mem::offset_of!(RowWords, channel) == 16);
    assert!(core::mem::offset_of!(RowWords, range) == 32);
    assert!(core::mem::offset_of!(RowWords, width) == 44);
    assert!(core::mem::offset_of!(RowWords, first) == 52);
    assert!(core::mem::offset_of!(RowWords, offsets) == 68);
    assert!(core::mem::offset_of!(RowWords, input) == 84);
    assert!(core::mem::offset_of!(RowWords, pixels) == 92);
    assert!(core::mem::offset_of!(RowWords, output_row_step) == 100);
    assert!(core::mem::offset_of!(RowWords, rows) == 104);
    assert!(core::mem::offset_of!(RowWords, interior) == 108);
    assert!(core::mem::offset_of!(RowWords, fold) == 116);
};

/// Declares a `depthwise_rows` variant whose scaling (see [`scale_shifted!`]) is `$scale`.
macro_rules! depthwise_rows {
    ($(#[$doc:meta])* $name:ident, $scale:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// For each row `r` below `rows` and block `b` of its `pixels` output pixels,
        /// `input + r · input_row_step + b · input_step + taps[t].offsets[p]` must be valid
        /// for a one-byte read for every tap `t` and pixel `p` whose column is inside the
        /// input (a pixel past the row's end included), and for every tap and pixel of the
        /// blocks `interior` names, and `output + r · output_row_step
        /// + b · output_step + offsets[p]` for a one-byte write for every pixel `p` of the
        /// row.
        #[inline(always)]
        pub(super) unsafe fn $name(words: &mut RowWords, zero_point: i32) {
            if words.count <= 0 || words.pixels <= 0 || words.rows <= 0 {
                // `DLS` runs its loop at least once; the kernel has no such rows.
                return;
            }
            // SAFETY: the loops read `words` (a reference) and the taps it points to (the
            // kernel's), write its row fields, read the input bytes of the taps inside the
            // input and write the rows' outputs, all valid by the caller's guarantee;
            // nothing else but the registers named here.
            unsafe {
                asm!(
                    "vldrw.u32 q6, [{words}, #68]",
                    "ldr {w}, [{words}, #44]",
                    "vdup.32 q4, {w}",
                    "4:",
                    "ldrd {base}, {out}, [{words}, #84]",
                    "ldr {rem}, [{words}, #92]",
                    "vldrw.u32 q3, [{words}, #52]",
                    "3:",
                    "ldrd {w}, {k}, [{words}, #108]",
                    "cmp {rem}, {w}",
                    "bgt 5f",
                    "cmp {rem}, {k}",
                    "ble 5f",
                    // An interior block: the raw bytes, the zero point folded.
                    "ldr {w}, [{words}, #116]",
                    "vdup.32 q0, {w}",
                    "ldrd {tp}, {k}, [{words}]",
                    "dls lr, {k}",
                    "6:",
                    "vldrw.u32 q1, [{tp}], #24",
                    "ldr {w}, [{tp}, #-8]",
                    "vldrb.s32 q2, [{base}, q1]",
                    "vmla.s32 q0, q2, {w}",
                    "le lr, 6b",
                    "b 7f",
                    // A border block: each tap predicated to the pixels it reaches.
                    "5:",
                    "vmov.i32 q0, #0",
                    "ldrd {tp}, {k}, [{words}]",
                    "dls lr, {k}",
                    "2:",
                    "vldrw.u32 q1, [{tp}], #24",
                    "ldrd {w}, {k}, [{tp}, #-8]",
                    "vadd.i32 q5, q3, {k}",
                    "vpttt.u32 hi, q4, q5",
                    "vldrbt.s32 q2, [{base}, q1]",
                    "vsubt.i32 q2, q2, {zp}",
                    "vmlat.s32 q0, q2, {w}",
                    "le lr, 2b",
                    "7:",
                    "ldrd {w}, {k}, [{words}, #16]",
                    "vadd.i32 q0, q0, {w}",
                    $scale,
                    clamp!(),
                    "vctp.32 {rem}",
                    "vpst",
                    "vstrbt.32 q0, [{out}, q6]",
                    "ldrd {w}, {k}, [{words}, #8]",
                    "add {base}, {w}",
                    "add {out}, {k}",
                    "ldr {w}, [{words}, #48]",
                    "vadd.i32 q3, q3, {w}",
                    "subs {rem}, #4",
                    "bgt 3b",
                    "ldrd {base}, {out}, [{words}, #84]",
                    "ldrd {w}, {k}, [{words}, #96]",
                    "add {base}, {w}",
                    "add {out}, {k}",
                    "strd {base}, {out}, [{words}, #84]",
                    "ldr {w}, [{words}, #104]",
                    "subs {w}, #1",
                    "str {w}, [{words}, #104]",
                    "bgt 4b",
                    words = in(reg) core::ptr::from_mut(words),
                    zp = in(reg) zero_point,
                    base = out(reg) _,
                    out = out(reg) _,
                    rem = out(reg) _,
                    tp = out(reg) _,
                    w = out(reg) _,
                    k = out(reg) _,
                    out("lr") _,
                    out("d0") _, out("d1") _, out("d2") _, out("d3") _, out("d4") _,
                    out("d5") _, out("d6") _, out("d7") _, out("d8") _, out("d9") _,
                    out("d10") _, out("d11") _, out("d12") _, out("d13") _,
                    options(nostack),
                );
            }
        }
    };
}

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

depthwise_rows!(
    /// One channel of one or more output rows of a depthwise convolution, four pixels per
    /// block as in [`depthwise4`] (the interior blocks without the predication and with the
    /// zero point folded into their starting sums: four instructions per tap), each block requantised as in [`requantize4_shifted`]
    /// and stored (the last block's pixels past the row's end predicated off), all in one
    /// loop.
    depthwise_rows_shifted,
    scale_shifted!()
);

depthwise_rows!(
    /// As [`depthwise_rows_shifted`], requantised as in [`requantize4_high`].
    depthwise_rows_high,
    scale_high!()
);

depthwise_rows!(
    /// As [`depthwise_rows_shifted`], requantised as in [`requantize4_double`].
    depthwise_rows_double,
    scale_double!()
);

depthwise_rows!(
    /// As [`depthwise_rows_shifted`], scaled as in [`scale_low!`].
    depthwise_rows_low,
    scale_low!()
);

/// The operands of a `pointwise_blocks` variant: one output channel of a pointwise
/// convolution over blocks of four pixels.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct PointWords {
    /// The channel's weight row, and its length (the depth).
    pub weights: *const i8,
    pub depth: i32,
    /// Input bytes from one pixel to the next, and output bytes from one block to the next.
    pub step: i32,
    pub output_step: i32,
    /// The channel's [`ChannelWords`] (its offset `bias − zp · Σ w`).
    pub channel: ChannelWords,
    /// Output zero point, activation minimum and maximum, and an unused word.
    pub range: [i32; 4],
    /// `0, C, 2C, 3C` for `C` channels.
    pub offsets: [i32; 4],
    /// The next block's first pixel and first output; advanced by the assembly.
    pub input: *const i8,
    pub output: *mut i8,
    /// Blocks left; counted down by the assembly.
    pub blocks: i32,
}

// The offsets the assembly of the `pointwise_blocks` variants reads its operands at.
const _: () = {
    assert!(core::mem::offset_of!(PointWords, channel) == 16);
    assert!(core::mem::offset_of!(PointWords, range) == 32);
    assert!(core::mem::offset_of!(PointWords, offsets) == 48);
    assert!(core::mem::offset_of!(PointWords, input) == 64);
    assert!(core::mem::offset_of!(PointWords, blocks) == 72);
};

/// Declares a `pointwise_blocks` variant whose scaling is `$scale`.
macro_rules! pointwise_blocks {
    ($(#[$doc:meta])* $name:ident, $scale:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// For each block `b` below `blocks`, `input + (4b + p) · step` must be valid for
        /// reads of `depth` bytes for `p < 4`, and `output + b · output_step + offsets[p]`
        /// for a one-byte write, and `weights` for reads of `depth` bytes.
        #[inline(always)]
        pub(super) unsafe fn $name(words: &mut PointWords) {
            if words.depth <= 0 || words.blocks <= 0 {
                // `DLSTP` runs its loop at least once.
                return;
            }
            // SAFETY: the loops read `words` (a reference), the weight row and the blocks'
            // pixels, write its pointer fields and the blocks' outputs, all valid by the
            // caller's guarantee; nothing else but the registers named here.
            unsafe {
                asm!(
                    "vldrw.u32 q6, [{words}, #48]",
                    "3:",
                    "ldr {base}, [{words}, #64]",
                    "ldr {w}, [{words}, #8]",
                    "add {k}, {base}, {w}",
                    "add {tp}, {k}, {w}",
                    "add {p3}, {tp}, {w}",
                    "add {w}, {p3}, {w}",
                    "str {w}, [{words}, #64]",
                    "ldrd {w}, lr, [{words}]",
                    "movs r0, #0",
                    "movs r2, #0",
                    "movs r4, #0",
                    "mov.w r8, #0",
                    "dlstp.8 lr, lr",
                    "2:",
                    "vldrb.u8 q0, [{w}], #16",
                    "vldrb.u8 q1, [{base}], #16",
                    "vmladava.s8 r0, q1, q0",
                    "vldrb.u8 q2, [{k}], #16",
                    "vmladava.s8 r2, q2, q0",
                    "vldrb.u8 q3, [{tp}], #16",
                    "vmladava.s8 r4, q3, q0",
                    "vldrb.u8 q4, [{p3}], #16",
                    "vmladava.s8 r8, q4, q0",
                    "letp lr, 2b",
                    "vmov q0[2], q0[0], r0, r4",
                    "vmov q0[3], q0[1], r2, r8",
                    "ldrd {w}, {k}, [{words}, #16]",
                    "vadd.i32 q0, q0, {w}",
                    $scale,
                    clamp!(),
                    "ldr {base}, [{words}, #68]",
                    "vstrb.32 q0, [{base}, q6]",
                    "ldr {w}, [{words}, #12]",
                    "add {base}, {w}",
                    "str {base}, [{words}, #68]",
                    "ldr {w}, [{words}, #72]",
                    "subs {w}, #1",
                    "str {w}, [{words}, #72]",
                    "bgt 3b",
                    words = in(reg) core::ptr::from_mut(words),
                    base = out(reg) _,
                    k = out(reg) _,
                    tp = out(reg) _,
                    p3 = out(reg) _,
                    w = out(reg) _,
                    out("r0") _, out("r2") _, out("r4") _, out("r8") _, out("lr") _,
                    out("d0") _, out("d1") _, out("d2") _, out("d3") _, out("d4") _,
                    out("d5") _, out("d6") _, out("d7") _, out("d8") _, out("d9") _,
                    out("d12") _, out("d13") _,
                    options(nostack),
                );
            }
        }
    };
}

pointwise_blocks!(
    /// The full blocks of four pixels of one output channel of a pointwise convolution:
    /// per block the four sums as in [`dot4`], the channel's offset added, requantised as in
    /// [`requantize4_shifted`] and stored, all in one loop.
    pointwise_blocks_shifted,
    scale_shifted!()
);

pointwise_blocks!(
    /// As [`pointwise_blocks_shifted`], requantised as in [`requantize4_high`].
    pointwise_blocks_high,
    scale_high!()
);

pointwise_blocks!(
    /// As [`pointwise_blocks_shifted`], requantised as in [`requantize4_double`].
    pointwise_blocks_double,
    scale_double!()
);

pointwise_blocks!(
    /// As [`pointwise_blocks_shifted`], scaled as in [`scale_low!`].
    pointwise_blocks_low,
    scale_low!()
);

/// `Σ_k x_p[k] · w[k]` (wrapping `i32`) of four rows of `i16` values against one row of
/// int8 weights, eight products per `VMLADAVA.S16` (the weights widened by `VLDRB.S16`),
/// the last vector tail-predicated by the `DLSTP`/`LETP` loop.
///
/// # Safety
///
/// Each of `rows` must be valid for reads of `weights.len()` `i16` values.
#[inline(always)]
pub(super) unsafe fn dot4_i16(rows: [*const i16; 4], weights: &[i8]) -> [i32; 4] {
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
pub(super) unsafe fn dot1_i16(row: *const i16, weights: &[i8]) -> i32 {
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
pub(super) unsafe fn dot1_sum(pixel: *const i8, weights: &[i8]) -> [i32; 2] {
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
