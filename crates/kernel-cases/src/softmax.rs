//! Seeded Softmax rows: the cases of the host's float-model test and of the board's digest
//! test, which therefore see the same rows.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use edgebone_kernels::prepare::softmax_params;
use edgebone_kernels::reference::softmax;
use edgebone_kernels::{KernelError, SoftmaxParams};

use crate::{Budget, Digest, Failure, Passed, Rng};

/// The input scales the seeded rows are drawn with.
const SCALES: [f32; 5] = [0.01, 0.05, 0.1, 0.2, 0.5];

/// The kernel's parameters for `rows × depth` values of scale `input_scale` (beta 1).
pub fn params(rows: usize, depth: usize, input_scale: f32) -> Result<SoftmaxParams, KernelError> {
    let (input_multiplier, input_left_shift, diff_min) = softmax_params(1.0, input_scale)?;
    Ok(SoftmaxParams {
        rows,
        depth,
        input_multiplier,
        input_left_shift,
        diff_min,
    })
}

/// One seeded Softmax input.
#[derive(Clone, Debug)]
pub struct SoftmaxCase {
    /// The kernel's parameters.
    pub params: SoftmaxParams,
    /// The input scale they were derived from.
    pub scale: f32,
    /// `rows × depth` int8 logits.
    pub input: Vec<i8>,
}

/// A random case: 1 to 3 rows of 1 to 300 values, any int8 logits, one of five scales.
pub fn case(rng: &mut Rng) -> Result<SoftmaxCase, KernelError> {
    let depth = 1 + rng.below(300);
    let rows = 1 + rng.below(3);
    let scale = SCALES[rng.below(SCALES.len())];
    let params = params(rows, depth, scale)?;
    Ok(SoftmaxCase {
        params,
        scale,
        input: rng.i8s(rows * depth),
    })
}

/// The reference Softmax on `budget.cases` seeded cases (the stream named `softmax`):
/// fails on an error, digests every output.
pub fn reference_digest(budget: &Budget) -> Result<Passed, Failure> {
    let mut rng = Rng::from_name("softmax");
    let mut digest = Digest::new();
    for index in 0..budget.cases {
        let failure = |e: KernelError| Failure {
            case: index,
            message: format!("softmax: {e}"),
        };
        let case = case(&mut rng).map_err(failure)?;
        let mut output = vec![0; case.input.len()];
        softmax(&case.params, &case.input, &mut output).map_err(failure)?;
        digest.word(output.len() as u64);
        digest.i8s(&output);
    }
    Ok(Passed {
        cases: budget.cases,
        digest: digest.finish(),
    })
}
