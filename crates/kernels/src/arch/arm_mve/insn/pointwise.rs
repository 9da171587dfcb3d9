//! The pointwise convolution's loop: four pixels against one weight row per block, the
//! requantisation inside.

use core::arch::asm;

use super::ChannelWords;

/// The operands of a `pointwise_blocks` variant: one output channel of a pointwise
/// convolution over blocks of four pixels.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct PointWords {
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
        pub(crate) unsafe fn $name(words: &mut PointWords) {
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
    /// per block the four sums as in [`dot4`](super::dot4), the channel's offset added, requantised as in
    /// [`requantize4_shifted`](super::requantize4_shifted) and stored, all in one loop.
    pointwise_blocks_shifted,
    scale_shifted!()
);

pointwise_blocks!(
    /// As [`pointwise_blocks_shifted`], requantised as in [`requantize4_high`](super::requantize4_high).
    pointwise_blocks_high,
    scale_high!()
);

pointwise_blocks!(
    /// As [`pointwise_blocks_shifted`], requantised as in [`requantize4_double`](super::requantize4_double).
    pointwise_blocks_double,
    scale_double!()
);

pointwise_blocks!(
    /// As [`pointwise_blocks_shifted`], scaled as in [`scale_low!`].
    pointwise_blocks_low,
    scale_low!()
);
