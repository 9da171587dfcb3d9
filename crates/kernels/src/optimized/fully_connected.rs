//! Fully connected layer, the classifier at the end of every backbone.

use super::conv2d_1x1::Pixels;
use super::gemm::{self, Gemm, Layer, Portable};
use crate::{Filter, FullyConnectedParams, KernelError};

/// [`reference::fully_connected`](crate::reference::fully_connected), bit-exact with it, in
/// every case.
///
/// A fully connected layer is a pointwise convolution over `batches` pixels of
/// `in_features` channels, so it runs through the same blocked matrix product as
/// [`conv2d_1x1`](super::conv2d_1x1) (each weight row read once per four input rows instead
/// of once per input row, in vectorisable passes, with the requantisation prepared once per
/// output feature). `scratch` holds at least
/// [`select::fully_connected_scratch_bytes`](crate::select::fully_connected_scratch_bytes) bytes.
pub fn fully_connected(
    params: &FullyConnectedParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    fully_connected_with::<Portable>(params, input, filter, output, scratch)
}

/// The scratch bytes [`fully_connected`] needs for `params`.
pub(crate) fn scratch_bytes(params: &FullyConnectedParams) -> usize {
    gemm::scratch_bytes(params.out_features)
}

/// [`fully_connected`] with the matrix product of `G` (a `Mac`'s blocked product, or a
/// target's own).
pub(crate) fn fully_connected_with<G: Gemm>(
    params: &FullyConnectedParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    params.check(input, filter, output)?;
    let rows = Pixels::contiguous(
        input,
        params.batches,
        params.in_features,
        i16::from(params.input_zero_point),
    );
    let layer = Layer {
        filter,
        channels: params.out_features,
        zero_point: params.output_zero_point,
        activation: params.activation,
    };
    G::convolve(&rows, &layer, output, scratch)
}
