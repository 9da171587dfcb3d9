//! Random cases for the pooling kernels with an optimised version (global average pooling).

use alloc::vec::Vec;
use core::fmt::Debug;

use edgebone_kernels::{GlobalAvgPoolParams, KernelError, Requant, Rounding, Shape4};

use crate::bit_exact::activation;
use crate::{Case, Rng};

/// A global average pooling with its input.
#[derive(Debug)]
pub struct GlobalPoolCase {
    params: GlobalAvgPoolParams,
    input: Vec<i8>,
}

impl Case for GlobalPoolCase {
    /// The signature of `reference::global_avg_pool` and `optimized::global_avg_pool`.
    type Kernel = fn(&GlobalAvgPoolParams, &[i8], &mut [i8]) -> Result<(), KernelError>;

    fn output_len(&self) -> usize {
        self.params.input.batch * self.params.input.channels
    }

    fn run(&self, kernel: Self::Kernel, output: &mut [i8]) -> Result<(), KernelError> {
        kernel(&self.params, &self.input, output)
    }

    fn params(&self) -> &dyn Debug {
        &self.params
    }
}

/// A random global average pooling: 1 to 9 by 1 to 9 pixels, 1 to 60 channels (so that
/// blocks of 16 end anywhere), extreme zero points, a rescaling near one or any, either
/// rounding, sometimes a clamp.
pub fn global_pool_case(rng: &mut Rng) -> GlobalPoolCase {
    let input = Shape4::new(
        rng.range(1, 2) as usize,
        rng.range(1, 9) as usize,
        rng.range(1, 9) as usize,
        rng.range(1, 60) as usize,
    );
    let requant = Requant {
        multiplier: rng.range(1 << 30, i64::from(i32::MAX)) as i32,
        shift: if rng.chance(70) {
            rng.range(-2, 1) as i32
        } else {
            rng.range(-31, 8) as i32
        },
        rounding: if rng.chance(50) {
            Rounding::Double
        } else {
            Rounding::Single
        },
    };
    let params = GlobalAvgPoolParams {
        input,
        input_zero_point: rng.i8(),
        requant,
        output_zero_point: rng.i8(),
        activation: activation(rng),
    };
    GlobalPoolCase {
        input: rng.i8s(input.elements().unwrap_or(0)),
        params,
    }
}
