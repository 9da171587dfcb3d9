//! Optimised kernels against their references, bit for bit, on seeded random cases.
//!
//! [`check`] is the one harness: the generator draws a case from a seeded [`Rng`], both
//! kernels run on it into buffers pre-filled with different bytes (so an element either
//! kernel leaves unwritten shows up), and the outputs must be identical. The pairs are listed
//! once, in `bit_exact_tests!` (`lib.rs`).

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Debug;

use edgebone_kernels::{
    Activation, Conv2dParams, DepthwiseConv2dParams, Filter, FullyConnectedParams, KernelError,
    Padding, Rounding, Shape4,
};

use crate::{Budget, Digest, Failure, Passed, Rng};

/// A generated kernel input that can run a kernel of signature `Kernel`.
pub trait Case {
    /// The signature of the kernels this case feeds.
    type Kernel: Copy;
    /// The length of the output buffer.
    fn output_len(&self) -> usize;
    /// Runs `kernel` on this case.
    fn run(&self, kernel: Self::Kernel, output: &mut [i8]) -> Result<(), KernelError>;
    /// The case's parameters (without its data), for a failure message.
    fn params(&self) -> &dyn Debug;
}

/// Runs `reference` and `optimized` on `budget.cases` cases of `generator`, seeded by `name`,
/// and fails on the first case whose outputs differ; the digest covers the reference outputs.
pub fn check<C: Case>(
    name: &str,
    generator: fn(&mut Rng) -> C,
    reference: C::Kernel,
    optimized: C::Kernel,
    budget: &Budget,
) -> Result<Passed, Failure> {
    let mut rng = Rng::from_name(name);
    let mut digest = Digest::new();
    for index in 0..budget.cases {
        let case = generator(&mut rng);
        let mut want = vec![0x55; case.output_len()];
        let mut got = vec![-0x56; case.output_len()];
        let failure = |message| Failure {
            case: index,
            message,
        };
        case.run(reference, &mut want)
            .map_err(|e| failure(format!("the reference failed: {e}")))?;
        case.run(optimized, &mut got)
            .map_err(|e| failure(format!("the optimised kernel failed: {e}")))?;
        if let Some(at) = want.iter().zip(&got).position(|(w, g)| w != g) {
            return Err(failure(format!(
                "output {at} of {} is {} (reference) but {} (optimised); {:?}",
                want.len(),
                want[at],
                got[at],
                case.params()
            )));
        }
        digest.word(want.len() as u64);
        digest.i8s(&want);
    }
    Ok(Passed {
        cases: budget.cases,
        digest: digest.finish(),
    })
}

/// The parameters of a kernel that reads a [`Filter`], as far as the harness needs them:
/// the lengths of its operands.
pub trait FilterParams: Debug {
    /// Output channels (entries of the per-channel operands).
    fn channels(&self) -> usize;
    /// The length of the input buffer.
    fn input_len(&self) -> usize;
    /// The length of the weights.
    fn weights_len(&self) -> usize;
    /// The length of the output buffer.
    fn output_len(&self) -> usize;
}

impl FilterParams for Conv2dParams {
    fn channels(&self) -> usize {
        self.out_channels
    }

    fn input_len(&self) -> usize {
        self.input.elements().unwrap()
    }

    fn weights_len(&self) -> usize {
        Conv2dParams::weights_len(self).unwrap()
    }

    fn output_len(&self) -> usize {
        self.output_shape().and_then(|s| s.elements()).unwrap_or(0)
    }
}

impl FilterParams for DepthwiseConv2dParams {
    fn channels(&self) -> usize {
        self.input.channels
    }

    fn input_len(&self) -> usize {
        self.input.elements().unwrap()
    }

    fn weights_len(&self) -> usize {
        self.kernel[0] * self.kernel[1] * self.input.channels
    }

    fn output_len(&self) -> usize {
        self.output_shape().and_then(|s| s.elements()).unwrap_or(0)
    }
}

impl FilterParams for FullyConnectedParams {
    fn channels(&self) -> usize {
        self.out_features
    }

    fn input_len(&self) -> usize {
        self.batches * self.in_features
    }

    fn weights_len(&self) -> usize {
        self.out_features * self.in_features
    }

    fn output_len(&self) -> usize {
        self.batches * self.out_features
    }
}

/// A layer with a filter (convolution, depthwise convolution, fully connected) and all its
/// operands.
#[derive(Debug)]
pub struct FilterCase<P> {
    params: P,
    input: Vec<i8>,
    weights: Vec<i8>,
    channel: ChannelOperands,
}

impl<P: FilterParams> FilterCase<P> {
    /// Random operands for `params`: the per-channel ones of [`ChannelOperands`], then any
    /// int8 input and weights.
    fn random(rng: &mut Rng, params: P) -> Self {
        let channel = ChannelOperands::random(rng, params.channels());
        FilterCase {
            input: rng.i8s(params.input_len()),
            weights: rng.i8s(params.weights_len()),
            channel,
            params,
        }
    }
}

impl<P: FilterParams + 'static> Case for FilterCase<P> {
    /// The signature of the reference kernel and its optimised versions.
    type Kernel = fn(&P, &[i8], &Filter<'_>, &mut [i8]) -> Result<(), KernelError>;

    fn output_len(&self) -> usize {
        self.params.output_len()
    }

    fn run(&self, kernel: Self::Kernel, output: &mut [i8]) -> Result<(), KernelError> {
        let filter = Filter {
            weights: &self.weights,
            bias: &self.channel.bias,
            multipliers: &self.channel.multipliers,
            shifts: &self.channel.shifts,
            rounding: self.channel.rounding,
        };
        kernel(&self.params, &self.input, &filter, output)
    }

    fn params(&self) -> &dyn Debug {
        &self.params
    }
}

/// The per-channel operands of a random layer: biases (some large enough to make the
/// accumulator wrap), multipliers (some negative) and shifts from −31 to 8, mostly in the
/// range that keeps outputs away from the clamp; half of the layers round twice (TFLite
/// Micro's form), half once.
#[derive(Debug)]
struct ChannelOperands {
    bias: Vec<i32>,
    multipliers: Vec<i32>,
    shifts: Vec<i32>,
    rounding: Rounding,
}

impl ChannelOperands {
    fn random(rng: &mut Rng, channels: usize) -> Self {
        let bias = if rng.chance(10) {
            rng.i32s(channels, i64::from(i32::MIN), i64::from(i32::MAX))
        } else {
            rng.i32s(channels, -100_000, 100_000)
        };
        let multipliers = (0..channels)
            .map(|_| {
                let m = rng.range(1 << 30, i64::from(i32::MAX)) as i32;
                if rng.chance(10) {
                    -m
                } else {
                    m
                }
            })
            .collect();
        let shifts = (0..channels)
            .map(|_| {
                if rng.chance(70) {
                    rng.range(-18, -8) as i32
                } else {
                    rng.range(-31, 8) as i32
                }
            })
            .collect();
        let rounding = if rng.chance(50) {
            Rounding::Double
        } else {
            Rounding::Single
        };
        Self {
            bias,
            multipliers,
            shifts,
            rounding,
        }
    }
}

/// No activation half of the time, else a random clamp range.
pub(crate) fn activation(rng: &mut Rng) -> Activation {
    if rng.chance(50) {
        Activation::NONE
    } else {
        let min = rng.range(-128, 20);
        Activation {
            min: min as i8,
            max: rng.range(min, 127) as i8,
        }
    }
}

/// A random pointwise convolution: odd and even depths, strides, extreme zero points and
/// the operands of [`ChannelOperands`].
pub fn pointwise_case(rng: &mut Rng) -> FilterCase<Conv2dParams> {
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
        activation: activation(rng),
    };
    FilterCase::random(rng, params)
}

/// A random convolution with one group: kernels 1 to 5 (square or not), strides 1 to 3,
/// dilations 1 and 2, asymmetric padding up to 3, 1 to 128 input channels (so that the
/// optimised kernel gathers a receptive field in one piece or in several), extreme zero
/// points and the operands of [`ChannelOperands`].
pub fn general_conv_case(rng: &mut Rng) -> FilterCase<Conv2dParams> {
    let params = loop {
        let kernel = [rng.range(1, 5) as usize, rng.range(1, 5) as usize];
        let in_channels = if rng.chance(20) {
            rng.range(9, 128)
        } else {
            rng.range(1, 8)
        } as usize;
        let params = Conv2dParams {
            input: Shape4::new(
                rng.range(1, 2) as usize,
                rng.range(1, 10) as usize,
                rng.range(1, 10) as usize,
                in_channels,
            ),
            out_channels: rng.range(1, 12) as usize,
            kernel,
            stride: [rng.range(1, 3) as usize, rng.range(1, 3) as usize],
            dilation: [rng.range(1, 2) as usize, rng.range(1, 2) as usize],
            padding: Padding {
                top: rng.below(4),
                left: rng.below(4),
                bottom: rng.below(4),
                right: rng.below(4),
            },
            groups: 1,
            input_zero_point: rng.i8(),
            output_zero_point: rng.i8(),
            activation: activation(rng),
        };
        if params.output_shape().is_ok() {
            break params;
        }
    };
    FilterCase::random(rng, params)
}

/// A convolution for the kernel registry: pointwise or general, half and half, so that
/// every variant the registry knows gets picked.
pub fn any_conv_case(rng: &mut Rng) -> FilterCase<Conv2dParams> {
    if rng.chance(50) {
        pointwise_case(rng)
    } else {
        general_conv_case(rng)
    }
}

/// A random depthwise convolution: kernels 1 to 5 (square or not), strides 1 to 3,
/// dilations 1 and 2, asymmetric padding up to 3 (so that some outputs have no interior
/// pixel at all), channel counts on both sides of the 16-channel blocks, any int8 weights,
/// extreme zero points and the operands of [`ChannelOperands`].
pub fn depthwise_case(rng: &mut Rng) -> FilterCase<DepthwiseConv2dParams> {
    let params = loop {
        let channels = if rng.chance(10) {
            rng.range(100, 300)
        } else {
            rng.range(1, 40)
        } as usize;
        let params = DepthwiseConv2dParams {
            input: Shape4::new(
                rng.range(1, 2) as usize,
                rng.range(1, 12) as usize,
                rng.range(1, 12) as usize,
                channels,
            ),
            kernel: [rng.range(1, 5) as usize, rng.range(1, 5) as usize],
            stride: [rng.range(1, 3) as usize, rng.range(1, 3) as usize],
            dilation: [rng.range(1, 2) as usize, rng.range(1, 2) as usize],
            padding: Padding {
                top: rng.below(4),
                left: rng.below(4),
                bottom: rng.below(4),
                right: rng.below(4),
            },
            input_zero_point: rng.i8(),
            output_zero_point: rng.i8(),
            activation: activation(rng),
        };
        if params.output_shape().is_ok() {
            break params;
        }
    };
    FilterCase::random(rng, params)
}

/// A random fully connected layer: 1 to 9 rows (on both sides of the optimised kernel's
/// blocks of four), 0 to 300 input features (0 leaves only the bias), extreme zero points and
/// the operands of [`ChannelOperands`].
pub fn fully_connected_case(rng: &mut Rng) -> FilterCase<FullyConnectedParams> {
    let params = FullyConnectedParams {
        batches: rng.range(1, 9) as usize,
        in_features: if rng.chance(5) {
            0
        } else {
            rng.range(1, 300) as usize
        },
        out_features: rng.range(1, 40) as usize,
        input_zero_point: rng.i8(),
        output_zero_point: rng.i8(),
        activation: activation(rng),
    };
    FilterCase::random(rng, params)
}
