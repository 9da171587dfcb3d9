//! The element loop shared by the binary kernels (Add, Mul), with channel broadcast.

use crate::{Broadcast, Shape4};

/// Writes `output[i] = f(input1[i], input2[j])` where `j = i` without broadcast and
/// `j = batch · channels + channel` of element `i` with [`Broadcast::Channels`]. The caller
/// has checked the lengths with `check_binary`.
pub(super) fn for_each_pair(
    shape: Shape4,
    broadcast: Broadcast,
    input1: &[i8],
    input2: &[i8],
    output: &mut [i8],
    f: impl Fn(i8, i8) -> i8,
) {
    match broadcast {
        Broadcast::None => {
            for ((out, &a), &b) in output.iter_mut().zip(input1).zip(input2) {
                *out = f(a, b);
            }
        }
        Broadcast::Channels => {
            // With a non-empty output every dimension is at least 1 and the image size is
            // at most the (checked) element count, so both divisors are positive.
            if output.is_empty() {
                return;
            }
            let channels = shape.channels;
            let image = shape.height * shape.width * channels;
            for (i, (out, &a)) in output.iter_mut().zip(input1).enumerate() {
                let j = (i / image) * channels + i % channels;
                *out = f(a, input2[j]);
            }
        }
    }
}
