//! Optimised kernels against their references, bit for bit, on many seeded random cases.
//!
//! `bit_exact!(name, reference_fn, optimized_fn, generator)` is the one shared harness:
//! the generator draws a case from a seeded [`Rng`], both kernels run on it into buffers
//! pre-filled with different bytes (so an element either kernel leaves unwritten shows up),
//! and the outputs must be identical. Every later optimised kernel gets one line here.

use crate::rng::Rng;
use edgebone_kernels::optimized::conv2d_1x1;
use edgebone_kernels::reference::conv2d;
use edgebone_kernels::{Activation, Conv2dParams, Filter, KernelError, Padding, Shape4};
use std::fmt::Debug;

/// Cases per `bit_exact!` test.
const CASES: usize = 300;

/// A generated kernel input that can run a kernel of signature `Kernel`.
pub trait Case: Debug {
    /// The signature of the kernels this case feeds.
    type Kernel: Copy;
    /// The length of the output buffer.
    fn output_len(&self) -> usize;
    /// Runs `kernel` on this case.
    fn run(&self, kernel: Self::Kernel, output: &mut [i8]) -> Result<(), KernelError>;
}

/// Runs the reference and the optimised kernel on `CASES` generated cases and asserts
/// identical output bytes.
macro_rules! bit_exact {
    ($name:ident, $reference:path, $optimized:path, $generator:path) => {
        #[test]
        fn $name() {
            let mut rng = Rng::from_name(stringify!($name));
            for index in 0..CASES {
                let case = $generator(&mut rng);
                let mut want = vec![0x55; case.output_len()];
                let mut got = vec![-0x56; case.output_len()];
                case.run($reference, &mut want)
                    .unwrap_or_else(|e| panic!("reference failed on case {index}: {e}"));
                case.run($optimized, &mut got)
                    .unwrap_or_else(|e| panic!("optimised failed on case {index}: {e}"));
                assert_eq!(want, got, "case {index} differs: {case:?}");
            }
        }
    };
}

/// The signature of conv2d and its optimised versions.
type ConvKernel = fn(&Conv2dParams, &[i8], &Filter<'_>, &mut [i8]) -> Result<(), KernelError>;

/// A convolution with all its operands.
#[derive(Debug)]
pub struct ConvCase {
    params: Conv2dParams,
    input: Vec<i8>,
    weights: Vec<i8>,
    bias: Vec<i32>,
    multipliers: Vec<i32>,
    shifts: Vec<i32>,
}

impl Case for ConvCase {
    type Kernel = ConvKernel;

    fn output_len(&self) -> usize {
        self.params
            .output_shape()
            .and_then(|s| s.elements())
            .unwrap_or(0)
    }

    fn run(&self, kernel: ConvKernel, output: &mut [i8]) -> Result<(), KernelError> {
        let filter = Filter {
            weights: &self.weights,
            bias: &self.bias,
            multipliers: &self.multipliers,
            shifts: &self.shifts,
        };
        kernel(&self.params, &self.input, &filter, output)
    }
}

/// A random pointwise convolution: odd and even depths, strides, extreme zero points and
/// biases (some large enough to make the accumulator wrap), negative multipliers, and
/// shifts from −31 to 8, mostly in the range that keeps outputs away from the clamp.
fn pointwise_case(rng: &mut Rng) -> ConvCase {
    let in_channels = if rng.chance(10) {
        rng.range(200, 600)
    } else {
        rng.range(1, 48)
    } as usize;
    let out_channels = rng.range(1, 24) as usize;
    let params = Conv2dParams {
        input: Shape4::new(
            rng.range(1, 2) as usize,
            rng.range(1, 9) as usize,
            rng.range(1, 9) as usize,
            in_channels,
        ),
        out_channels,
        kernel: [1, 1],
        stride: [rng.range(1, 3) as usize, rng.range(1, 3) as usize],
        dilation: [rng.range(1, 3) as usize, 1],
        padding: Padding::ZERO,
        groups: 1,
        input_zero_point: rng.i8(),
        output_zero_point: rng.i8(),
        activation: if rng.chance(50) {
            Activation::NONE
        } else {
            let min = rng.range(-128, 20);
            Activation {
                min: min as i8,
                max: rng.range(min, 127) as i8,
            }
        },
    };
    let bias = if rng.chance(10) {
        rng.i32s(out_channels, i64::from(i32::MIN), i64::from(i32::MAX))
    } else {
        rng.i32s(out_channels, -100_000, 100_000)
    };
    let multipliers = (0..out_channels)
        .map(|_| {
            let m = rng.range(1 << 30, i64::from(i32::MAX)) as i32;
            if rng.chance(10) {
                -m
            } else {
                m
            }
        })
        .collect();
    ConvCase {
        input: rng.i8s(params.input.elements().unwrap()),
        weights: rng.i8s(params.weights_len().unwrap()),
        bias,
        multipliers,
        shifts: (0..out_channels)
            .map(|_| {
                if rng.chance(70) {
                    rng.range(-18, -8) as i32
                } else {
                    rng.range(-31, 8) as i32
                }
            })
            .collect(),
        params,
    }
}

bit_exact!(conv2d_1x1_is_bit_exact, conv2d, conv2d_1x1, pointwise_case);
