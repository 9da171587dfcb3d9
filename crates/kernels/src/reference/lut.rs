//! Reference 256-entry lookup table (activations without a cheap integer form).

use crate::geometry::check_len;
use crate::KernelError;

/// `output[i] = table[input[i] as u8]`: the table is indexed by the two's complement bits of
/// the input, as TFLite's int8 `LUTLookup` does (entry 0 is q = 0, entry 255 is q = −1).
pub fn lut(input: &[i8], table: &[i8; 256], output: &mut [i8]) -> Result<(), KernelError> {
    check_len("output", input.len(), output.len())?;
    for (out, &q) in output.iter_mut().zip(input) {
        *out = table[usize::from(q as u8)];
    }
    Ok(())
}

/// [`lut`] applied in place, for an activation that may overwrite its input.
pub fn lut_in_place(data: &mut [i8], table: &[i8; 256]) {
    for q in data {
        *q = table[usize::from(*q as u8)];
    }
}
