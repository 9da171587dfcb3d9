//! What PyTorch state dicts hold beyond float32 parameters: BatchNorm's `num_batches_tracked`
//! counters, and parameters saved in another float precision.
//!
//! PyTorch's `_NormBase` (BatchNorm, and InstanceNorm with running statistics) registers
//! three buffers: `running_mean` and `running_var`, which inference uses, and
//! `num_batches_tracked`, an int64 scalar that only training reads (for its cumulative moving
//! average). No other buffer of torchvision's or timm's CNNs is bookkeeping of that kind
//! (timm's and torchvision's frozen BatchNorms drop the counter), so it is the only key that
//! is ignored; everything else the model does not declare stays an error.

use safetensors::Dtype;

/// The key suffix of BatchNorm's training counter.
const COUNTER: &str = "num_batches_tracked";

/// The dtype PyTorch saves the counter in.
pub(crate) const COUNTER_DTYPE: Dtype = Dtype::I64;

/// The key of the `running_mean` that `name` is the counter of, if `name` is a counter key
/// (`features.0.1.num_batches_tracked` → `features.0.1.running_mean`).
pub(crate) fn counter_owner(name: &str) -> Option<String> {
    let prefix = name.strip_suffix(COUNTER)?.strip_suffix('.')?;
    Some(format!("{prefix}.running_mean"))
}

/// True for the dtypes that become float32 without loss of meaning (precision aside).
pub(crate) fn converts_to_f32(dtype: Dtype) -> bool {
    matches!(dtype, Dtype::F32 | Dtype::F64 | Dtype::F16 | Dtype::BF16)
}

/// Why a tensor's bytes did not become float32 values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Unconverted {
    /// The dtype is not a float format (see [`converts_to_f32`]).
    Dtype(Dtype),
    /// A finite float64 value beyond float32's range.
    OutOfRange(f64),
}

/// Decodes little-endian `bytes` of `dtype` into float32 values.
pub(crate) fn to_f32(dtype: Dtype, bytes: &[u8]) -> Result<Vec<f32>, Unconverted> {
    match dtype {
        Dtype::F32 => Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()),
        Dtype::F16 => Ok(bytes
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect()),
        Dtype::BF16 => Ok(bytes
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect()),
        Dtype::F64 => bytes
            .chunks_exact(8)
            .map(|c| {
                let v = f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                // A narrowing cast saturates to infinity; only a finite value that does so is
                // lost (NaN and infinities stay what they were).
                let narrowed = v as f32;
                if v.is_finite() && !narrowed.is_finite() {
                    Err(Unconverted::OutOfRange(v))
                } else {
                    Ok(narrowed)
                }
            })
            .collect(),
        other => Err(Unconverted::Dtype(other)),
    }
}
