//! Random cases for the element-wise kernels with an optimised version (Add).

use alloc::vec::Vec;
use core::fmt::Debug;

use edgebone_kernels::{optimized, AddParams, Broadcast, KernelError, Requant, Rounding, Shape4};

use crate::bit_exact::activation;
use crate::{Case, Rng};

/// An Add with both inputs.
#[derive(Debug)]
pub struct AddCase {
    params: AddParams,
    input1: Vec<i8>,
    input2: Vec<i8>,
}

impl Case for AddCase {
    /// The signature of `reference::add` and `optimized::add`.
    type Kernel = fn(&AddParams, &[i8], &[i8], &mut [i8]) -> Result<(), KernelError>;

    fn output_len(&self) -> usize {
        self.input1.len()
    }

    fn run(&self, kernel: Self::Kernel, output: &mut [i8]) -> Result<(), KernelError> {
        kernel(&self.params, &self.input1, &self.input2, output)
    }

    fn params(&self) -> &dyn Debug {
        &self.params
    }
}

/// A random Add: mostly the multipliers a quantiser makes (inputs scaled by at most one
/// half, a small output multiplier) or small input multipliers with a short output shift,
/// sometimes any multiplier and shift; either rounding,
/// sometimes a channel broadcast, extreme zero points and clamps.
pub fn add_case(rng: &mut Rng) -> AddCase {
    let shape = Shape4::new(
        rng.range(1, 2) as usize,
        rng.range(1, 9) as usize,
        rng.range(1, 9) as usize,
        rng.range(1, 40) as usize,
    );
    let broadcast = if rng.chance(10) {
        Broadcast::Channels
    } else {
        Broadcast::None
    };
    let rounding = if rng.chance(30) {
        Rounding::Double
    } else {
        Rounding::Single
    };
    let requant = |rng: &mut Rng, log2_lo: i64, log2_hi: i64| {
        if rng.chance(10) {
            return Requant {
                multiplier: rng.range(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
                shift: rng.range(-31, 30) as i32,
                rounding,
            };
        }
        // Exactly one half (TFLite's scale of the larger input) makes rounding ties common.
        let multiplier = if rng.chance(25) {
            1 << 30
        } else {
            rng.range(1 << 30, i64::from(i32::MAX)) as i32
        };
        Requant {
            multiplier,
            shift: rng.range(log2_lo, log2_hi) as i32,
            rounding,
        }
    };
    // A quantiser's shifts, or small input scales and a short output shift, where the
    // inputs' rounding shows in the outputs (a quantiser's output shift hides it).
    let (inputs, output) = if rng.chance(60) {
        ((-8, 3), (-24, -12))
    } else {
        ((-26, -18), (-6, -1))
    };
    let second = match broadcast {
        Broadcast::None => shape.elements().unwrap_or(0),
        Broadcast::Channels => shape.batch * shape.channels,
    };
    let params = AddParams {
        shape,
        broadcast,
        input1_zero_point: rng.i8(),
        input1: requant(rng, inputs.0, inputs.1),
        input2_zero_point: rng.i8(),
        input2: requant(rng, inputs.0, inputs.1),
        output: requant(rng, output.0, output.1),
        output_zero_point: rng.i8(),
        activation: activation(rng),
    };
    AddCase {
        input1: rng.i8s(shape.elements().unwrap_or(0)),
        input2: rng.i8s(second),
        params,
    }
}

/// `optimized::add_in_place` with the output in the first input's bytes, where it covers
/// the case (else `optimized::add`), as a kernel of [`AddCase`]'s signature.
pub fn add_in_place_first(
    params: &AddParams,
    input1: &[i8],
    input2: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    in_place(params, true, input1, input2, output)
}

/// As [`add_in_place_first`], with the output in the second input's bytes.
pub fn add_in_place_second(
    params: &AddParams,
    input1: &[i8],
    input2: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    in_place(params, false, input1, input2, output)
}

/// Copies the input that holds the output into `output`, then adds the other in place.
fn in_place(
    params: &AddParams,
    first: bool,
    input1: &[i8],
    input2: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let (inout, other) = if first {
        (input1, input2)
    } else {
        (input2, input1)
    };
    if !optimized::add_in_place_covers(params) || inout.len() != output.len() {
        return optimized::add(params, input1, input2, output);
    }
    output.copy_from_slice(inout);
    optimized::add_in_place(params, first, output, other)
}
