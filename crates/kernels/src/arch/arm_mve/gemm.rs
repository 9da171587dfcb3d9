//! The blocked matrix product of the portable kernels (`optimized::gemm`) with Helium's
//! `VMLADAVA.S16` as its `Mac`: the general convolution where its patches do not fit
//! `patches`' scratch.

use core::ops::Range;

use super::insn;
use crate::optimized::{self, Mac, Patches, CHUNK, PIXELS};
use crate::{Conv2dParams, Filter, KernelError};

/// [`optimized::conv2d()`] with `Mve`: same cases, same results, same scratch.
pub(super) fn conv2d_mac(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    optimized::conv2d_with::<Mve>(params, input, filter, output, scratch)
}

/// Helium's `Mac`: the portable patch buffers (one `i16` per value, `x − zp`), multiplied
/// with a weight row eight values per `VMLADAVA.S16`, four pixels per weight load.
pub(crate) struct Mve;

impl Mac for Mve {
    type Lane = i16;
    type Buffer = [i16; CHUNK];

    #[inline(always)]
    fn lanes(len: usize) -> usize {
        len
    }

    #[inline(always)]
    fn fill<P: Patches>(
        patches: &P,
        row: P::Row,
        col: usize,
        range: Range<usize>,
        out: &mut [i16],
    ) {
        patches.gather(row, col, range, out);
    }

    #[inline(always)]
    fn dot4(xs: [&[i16]; PIXELS], w: &[i8]) -> [i32; PIXELS] {
        if xs.iter().any(|x| x.len() < w.len()) {
            // The core never passes shorter buffers; nothing is read past them.
            return [0; PIXELS];
        }
        // SAFETY: each buffer holds at least `w.len()` values (checked above).
        unsafe { insn::dot4_i16(xs.map(<[i16]>::as_ptr), w) }
    }

    #[inline(always)]
    fn dot1(x: &[i16], w: &[i8]) -> i32 {
        if x.len() < w.len() {
            return 0;
        }
        // SAFETY: `x` holds at least `w.len()` values (checked above).
        unsafe { insn::dot1_i16(x.as_ptr(), w) }
    }
}
