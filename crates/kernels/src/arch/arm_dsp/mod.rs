//! Kernels for Arm's DSP extension (Cortex-M4, M7, M33, M55): the matrix-shaped
//! convolutions with two 16-bit multiply-accumulates per `SMLAD`, and the depthwise
//! convolution with four channels unpacked per two loads.
//!
//! They are the portable [`optimized`] kernels with another
//! `Mac`: `Dsp` buffers a patch as pairs of `i16` packed in words, in the order that
//! `SXTB16` unpacks four weights from one word (values 0 and 2 in one word, 1 and 3 in the
//! next), so each group of four multiply-accumulates per pixel is two `SMLAD`s, and the
//! four weights' load and two `SXTB16`s are shared by the four pixels of a block. A
//! pointwise pixel's bytes go into that form with one load and two `SXTAB16`s (sign
//! extension and zero point in one instruction) per four values. The sums are the same
//! exact integer sums, so the results are bit-exact with the reference.

mod insn;

use core::ops::Range;

use insn::{smlabb, smlad, smlatt, sxtab16, sxtab16_ror8, sxtb16, sxtb16_ror8};

use crate::optimized::{self, ChannelMac, Mac, Patches, CHUNK, PIXELS};
use crate::{Conv2dParams, DepthwiseConv2dParams, Filter, FullyConnectedParams, KernelError};

/// [`optimized::conv2d_1x1`] with `Dsp`: same cases, same results, same scratch.
pub fn conv2d_1x1(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    optimized::conv2d_1x1_with::<Dsp>(params, input, filter, output, scratch)
}

/// [`optimized::conv2d`] with `Dsp`: same cases, same results, same scratch.
pub fn conv2d(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    optimized::conv2d_with::<Dsp>(params, input, filter, output, scratch)
}

/// [`optimized::fully_connected`] with `Dsp`: every case, same results, same scratch.
pub fn fully_connected(
    params: &FullyConnectedParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    optimized::fully_connected_with::<Dsp>(params, input, filter, output, scratch)
}

/// [`optimized::depthwise_conv2d`] with `Dsp`: every case, same results, blocks of 8 and
/// 4 channels (the portable kernel's 16 do not fit the registers). Never inlined, for the
/// reason the portable kernel is not (its loops then depend on how the runtime's dispatch
/// around it is compiled: qemu-m4 MobileNetV2-0.35's depthwise layers moved by 1.2 M
/// instructions with a change to the runtime's Add alone).
#[inline(never)]
pub fn depthwise_conv2d(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    optimized::depthwise_conv2d_with::<Dsp, 8, 4, 4>(params, input, filter, output)
}

/// The DSP extension's `Mac`: four values per two words, `(v0, v2)` then `(v1, v3)`, a
/// last group of fewer than four padded with zeros.
pub(crate) struct Dsp;

impl Mac for Dsp {
    type Lane = u32;
    type Buffer = [u32; CHUNK / 2];

    #[inline(always)]
    fn lanes(len: usize) -> usize {
        len.div_ceil(4) * 2
    }

    #[inline(always)]
    fn fill<P: Patches>(
        patches: &P,
        row: P::Row,
        col: usize,
        range: Range<usize>,
        out: &mut [u32],
    ) {
        let (words, _) = out.as_chunks_mut::<2>();
        if let Some((values, zero_point)) = patches.contiguous(row, col, range.clone()) {
            // Each halfword lane gets −zp, then the sign-extended byte: x − zp, exact in i16.
            let offset = pair(zero_point.wrapping_neg(), zero_point.wrapping_neg());
            let (groups, tail) = values.as_chunks::<4>();
            for (group, words) in groups.iter().zip(words.iter_mut()) {
                let x = word(*group);
                *words = [sxtab16(offset, x), sxtab16_ror8(offset, x)];
            }
            if let Some(words) = words.get_mut(groups.len()) {
                let value = |k: usize| {
                    tail.get(k)
                        .map_or(0, |&x| i16::from(x).wrapping_sub(zero_point))
                };
                *words = [pair(value(0), value(2)), pair(value(1), value(3))];
            }
        } else {
            let mut values = [0i16; CHUNK];
            let len = range.len().min(CHUNK);
            patches.gather(row, col, range, &mut values[..len]);
            // Values past `len` up to the next multiple of four stay 0.
            let (groups, _) = values.as_chunks::<4>();
            for (&[v0, v1, v2, v3], words) in groups.iter().zip(words.iter_mut()) {
                *words = [pair(v0, v2), pair(v1, v3)];
            }
        }
    }

    #[inline(always)]
    fn dot4(xs: [&[u32]; PIXELS], w: &[i8]) -> [i32; PIXELS] {
        let [x0, x1, x2, x3] = xs.map(|x| x.as_chunks::<2>().0);
        let (groups, tail) = w.as_chunks::<4>();
        let mut acc = [0i32; PIXELS];
        for ((((&group, a), b), c), d) in groups.iter().zip(x0).zip(x1).zip(x2).zip(x3) {
            let w = word(group);
            let (even, odd) = (sxtb16(w), sxtb16_ror8(w));
            acc[0] = smlad(a[1], odd, smlad(a[0], even, acc[0]));
            acc[1] = smlad(b[1], odd, smlad(b[0], even, acc[1]));
            acc[2] = smlad(c[1], odd, smlad(c[0], even, acc[2]));
            acc[3] = smlad(d[1], odd, smlad(d[0], even, acc[3]));
        }
        if !tail.is_empty() {
            let w = tail_word(tail);
            let (even, odd) = (sxtb16(w), sxtb16_ror8(w));
            for (acc, x) in acc.iter_mut().zip([x0, x1, x2, x3]) {
                if let Some(x) = x.get(groups.len()) {
                    *acc = smlad(x[1], odd, smlad(x[0], even, *acc));
                }
            }
        }
        acc
    }

    #[inline(always)]
    fn dot1(x: &[u32], w: &[i8]) -> i32 {
        let (x, _) = x.as_chunks::<2>();
        let (groups, tail) = w.as_chunks::<4>();
        let mut acc = 0i32;
        for (&group, x) in groups.iter().zip(x) {
            let w = word(group);
            acc = smlad(x[1], sxtb16_ror8(w), smlad(x[0], sxtb16(w), acc));
        }
        // A pair past the full groups exists only when there is a tail.
        if let Some(x) = x.get(groups.len()) {
            let w = tail_word(tail);
            acc = smlad(x[1], sxtb16_ror8(w), smlad(x[0], sxtb16(w), acc));
        }
        acc
    }
}

/// Four int8 values as one little-endian word (one load).
#[inline(always)]
fn word(values: [i8; 4]) -> u32 {
    u32::from_le_bytes(values.map(|v| v.to_le_bytes()[0]))
}

/// The last one to three weights of a row as a word, padded with zeros.
#[inline(always)]
fn tail_word(tail: &[i8]) -> u32 {
    let mut values = [0i8; 4];
    for (value, &w) in values.iter_mut().zip(tail) {
        *value = w;
    }
    word(values)
}

/// `lo` and `hi` packed into one word's low and high halfword.
#[inline(always)]
fn pair(lo: i16, hi: i16) -> u32 {
    u32::from(lo.cast_unsigned()) | (u32::from(hi.cast_unsigned()) << 16)
}

impl ChannelMac for Dsp {
    /// Four channels per step: one load of four inputs and of four weights, two `SXTAB16`s
    /// (sign extension and zero point) and two `SXTB16`s, then `SMLABB`/`SMLATT` into each
    /// channel's accumulator. `N` is a multiple of 4 here (blocks of 8 and 4).
    #[inline(always)]
    fn multiply_accumulate<const N: usize>(
        acc: &mut [i32; N],
        x: &[i8; N],
        w: &[i8; N],
        zero_point: i16,
    ) {
        const {
            assert!(
                N.is_multiple_of(4),
                "the DSP depthwise blocks are multiples of 4 channels"
            )
        };
        let offset = pair(zero_point.wrapping_neg(), zero_point.wrapping_neg());
        let (acc, _) = acc.as_chunks_mut::<4>();
        let (x, _) = x.as_chunks::<4>();
        let (w, _) = w.as_chunks::<4>();
        for ((acc, &x), &w) in acc.iter_mut().zip(x).zip(w) {
            let (x, w) = (word(x), word(w));
            let (x02, x13) = (sxtab16(offset, x), sxtab16_ror8(offset, x));
            let (w02, w13) = (sxtb16(w), sxtb16_ror8(w));
            acc[0] = smlabb(x02, w02, acc[0]);
            acc[1] = smlabb(x13, w13, acc[1]);
            acc[2] = smlatt(x02, w02, acc[2]);
            acc[3] = smlatt(x13, w13, acc[3]);
        }
    }
}
