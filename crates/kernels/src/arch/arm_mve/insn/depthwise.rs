//! The depthwise convolution's sequences: four pixels of one channel per vector, a gather
//! load and a vector-by-scalar `VMLA` per tap.

use core::arch::asm;

use super::ChannelWords;

/// One tap of a depthwise convolution for four output pixels of one channel: where each
/// pixel's input byte lies (from a base address), the weight, and the tap's column.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(8))]
pub(crate) struct Tap {
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
pub(crate) struct Columns {
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
pub(crate) unsafe fn depthwise4(
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
pub(crate) struct RowWords {
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
        /// blocks `interior` names, and
        /// `output + r · output_row_step + b · output_step + offsets[p]` for a one-byte
        /// write for every pixel `p` of the row.
        #[inline(always)]
        pub(crate) unsafe fn $name(words: &mut RowWords, zero_point: i32) {
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

depthwise_rows!(
    /// One channel of one or more output rows of a depthwise convolution, four pixels per
    /// block as in [`depthwise4`] (the interior blocks without the predication and with the
    /// zero point folded into their starting sums: four instructions per tap), each block requantised as in [`requantize4_shifted`](super::requantize4_shifted)
    /// and stored (the last block's pixels past the row's end predicated off), all in one
    /// loop.
    depthwise_rows_shifted,
    scale_shifted!()
);

depthwise_rows!(
    /// As [`depthwise_rows_shifted`], requantised as in [`requantize4_high`](super::requantize4_high).
    depthwise_rows_high,
    scale_high!()
);

depthwise_rows!(
    /// As [`depthwise_rows_shifted`], requantised as in [`requantize4_double`](super::requantize4_double).
    depthwise_rows_double,
    scale_double!()
);

depthwise_rows!(
    /// As [`depthwise_rows_shifted`], scaled as in [`scale_low!`].
    depthwise_rows_low,
    scale_low!()
);
