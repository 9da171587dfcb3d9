//! Reference fully connected layer.

use crate::requant::requantize_output;
use crate::{Filter, FullyConnectedParams, KernelError};

/// `output[b][o] = requant_o(Σ_i w[o][i] · (x[b][i] − zp_in) + bias[o]) + zp_out`, clamped:
/// TFLite's int8 `FullyConnected` with per-output-channel requantisation (a per-tensor layer
/// repeats its multiplier and shift).
pub fn fully_connected(
    params: &FullyConnectedParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    params.check(input, filter, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let features = params.in_features;
    let input_offset = -i32::from(params.input_zero_point);
    for b in 0..params.batches {
        for o in 0..params.out_features {
            let mut acc = 0i32;
            for i in 0..features {
                let x = i32::from(input[b * features + i]) + input_offset;
                let w = i32::from(filter.weights[o * features + i]);
                acc = acc.wrapping_add(w * x);
            }
            acc = acc.wrapping_add(filter.bias[o]);
            output[b * params.out_features + o] = requantize_output(
                acc,
                filter.requant(o),
                params.output_zero_point,
                params.activation,
            );
        }
    }
    Ok(())
}
