//! Reference channel shuffle (ShuffleNet).

use crate::{ChannelShuffleParams, KernelError};

/// Per pixel, output channel `i · groups + j` is input channel `j · k + i`, where
/// `k = channels / groups` (the `[groups, k]` → `[k, groups]` transpose of ShuffleNet).
pub fn channel_shuffle(
    params: &ChannelShuffleParams,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    params.check(input, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let channels = params.channels;
    let groups = params.groups;
    let per_group = channels / groups;
    for p in 0..params.pixels {
        let pixel = p * channels;
        for i in 0..per_group {
            for j in 0..groups {
                output[pixel + i * groups + j] = input[pixel + j * per_group + i];
            }
        }
    }
    Ok(())
}
