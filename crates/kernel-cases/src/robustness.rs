//! No kernel panics, whatever its parameters and slice lengths: random (often absurd)
//! parameters are thrown at every kernel, with slices of the implied lengths when those are
//! small and of random lengths otherwise. Each kernel must return `Ok` or `Err`; each test
//! also checks that both outcomes occurred (at least once per thousand rounds), so it is not
//! vacuous. The digest covers every outcome and every output written by an `Ok`.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use crate::{Budget, Digest, Failure, Passed, Rng};
use edgebone_kernels::optimized;
use edgebone_kernels::prepare::{add_requant, conv_requant, mul_requant, rescale_requant};
use edgebone_kernels::reference::{
    add, avg_pool, channel_shuffle, concat, conv2d, depthwise_conv2d, fully_connected,
    global_avg_pool, lut, lut_in_place, max_pool, mul, pad, requantize,
};
use edgebone_kernels::requant::{
    multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_double, quantize_multiplier,
};
use edgebone_kernels::select::{conv2d_scratch_bytes, fully_connected_scratch_bytes};
use edgebone_kernels::{
    Activation, AddParams, Broadcast, ChannelShuffleParams, ConcatInput, ConcatParams,
    Conv2dParams, DepthwiseConv2dParams, Filter, FullyConnectedParams, GlobalAvgPoolParams,
    KernelError, MulParams, PadParams, Padding, PoolParams, Requant, RequantizeParams, Rounding,
    Shape4,
};

/// Implied lengths above this are replaced by random ones (to bound the test's time).
const MAX_LEN: usize = 3000;

/// Counts the outcomes of one kernel.
#[derive(Default)]
struct Outcomes {
    /// Successful runs that wrote a non-empty output.
    ok: usize,
    err: usize,
}

impl Outcomes {
    /// Counts `result` and adds it, and on success the `output` it wrote, to `digest`.
    fn record(&mut self, result: Result<(), KernelError>, output: &[i8], digest: &mut Digest) {
        match result {
            Ok(()) => {
                self.ok += usize::from(!output.is_empty());
                digest.word(output.len() as u64);
                digest.i8s(output);
            }
            Err(_) => {
                self.err += 1;
                digest.word(u64::MAX);
            }
        }
    }

    /// Fails unless both outcomes occurred more than once per thousand `rounds`.
    fn check_both(&self, kernel: &str, rounds: usize) -> Result<(), Failure> {
        let least = rounds / 1000;
        if self.ok > least && self.err > least {
            return Ok(());
        }
        Err(Failure {
            case: rounds,
            message: format!(
                "{kernel}: {} non-empty Ok and {} Err in {rounds} rounds, want more than {least} each",
                self.ok, self.err
            ),
        })
    }
}

/// Checks that every kernel in `outcomes` saw both outcomes, then returns the test's summary.
fn passed(
    outcomes: &[(&str, &Outcomes)],
    rounds: usize,
    digest: &Digest,
) -> Result<Passed, Failure> {
    for (kernel, outcome) in outcomes {
        outcome.check_both(kernel, rounds)?;
    }
    Ok(Passed {
        cases: rounds,
        digest: digest.finish(),
    })
}

/// A dimension: usually small, sometimes zero, sometimes absurd.
fn dim(rng: &mut Rng) -> usize {
    match rng.below(40) {
        0 => usize::MAX,
        1 => usize::MAX / 2 + 1,
        2 => 1 << 31,
        3 => rng.range(100, 5000) as usize,
        4 | 5 => 0,
        _ => rng.range(1, 5) as usize,
    }
}

fn pair(rng: &mut Rng) -> [usize; 2] {
    [dim(rng), dim(rng)]
}

fn padding(rng: &mut Rng) -> Padding {
    let mut p = || if rng.chance(70) { 0 } else { dim(rng) };
    Padding {
        top: p(),
        left: p(),
        bottom: p(),
        right: p(),
    }
}

fn shape(rng: &mut Rng) -> Shape4 {
    Shape4::new(
        if rng.chance(80) { 1 } else { dim(rng) },
        dim(rng),
        dim(rng),
        dim(rng),
    )
}

fn activation(rng: &mut Rng) -> Activation {
    if rng.chance(80) {
        Activation::NONE
    } else {
        Activation {
            min: rng.i8(),
            max: rng.i8(),
        }
    }
}

fn requant(rng: &mut Rng) -> Requant {
    Requant {
        multiplier: rng.next_u64() as i32,
        shift: if rng.chance(80) {
            rng.range(-31, 31) as i32
        } else {
            rng.next_u64() as i32
        },
        rounding: rounding(rng),
    }
}

/// Either rounding, half of the time each.
fn rounding(rng: &mut Rng) -> Rounding {
    if rng.chance(50) {
        Rounding::Double
    } else {
        Rounding::Single
    }
}

/// The implied length if it is known and small, otherwise a random length.
fn len(rng: &mut Rng, implied: Result<usize, KernelError>) -> usize {
    match implied {
        Ok(n) if n <= MAX_LEN && rng.chance(93) => n,
        _ => rng.below(64),
    }
}

/// Random bytes, as many as [`len`] picks.
fn bytes(rng: &mut Rng, implied: Result<usize, KernelError>) -> Vec<i8> {
    let n = len(rng, implied);
    rng.i8s(n)
}

/// Owned filter operands of random or implied lengths.
struct Operands {
    weights: Vec<i8>,
    bias: Vec<i32>,
    multipliers: Vec<i32>,
    shifts: Vec<i32>,
    rounding: Rounding,
}

impl Operands {
    fn new(rng: &mut Rng, weights: Result<usize, KernelError>, channels: usize) -> Self {
        let channels = Ok(channels);
        let weights = len(rng, weights);
        let bias = len(rng, channels);
        let multipliers = len(rng, channels);
        let shifts = len(rng, channels);
        Self {
            weights: rng.i8s(weights),
            bias: rng.i32s(bias, i64::from(i32::MIN), i64::from(i32::MAX)),
            multipliers: rng.i32s(multipliers, i64::from(i32::MIN), i64::from(i32::MAX)),
            shifts: rng.i32s(shifts, -40, 40),
            rounding: rounding(rng),
        }
    }

    fn filter(&self) -> Filter<'_> {
        Filter {
            weights: &self.weights,
            bias: &self.bias,
            multipliers: &self.multipliers,
            shifts: &self.shifts,
            rounding: self.rounding,
        }
    }
}

fn elements(shape: Result<Shape4, KernelError>) -> Result<usize, KernelError> {
    shape.and_then(|s| s.elements())
}

/// The outcomes of the per-ISA convolution kernels of this target (none but on x86-64).
#[derive(Default)]
struct IsaOutcomes {
    #[cfg(target_arch = "x86_64")]
    avx2: [Outcomes; 4],
}

#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
impl IsaOutcomes {
    /// The 1x1 and general convolutions.
    fn convolutions(
        &mut self,
        p: &Conv2dParams,
        input: &[i8],
        filter: &Filter<'_>,
        output: &mut [i8],
        scratch: &mut [i8],
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            let mut digest = Digest::new();
            let result = crate::avx2::conv2d_1x1(p, input, filter, output, scratch);
            self.avx2[0].record(result, output, &mut digest);
            let result = crate::avx2::conv2d(p, input, filter, output, scratch);
            self.avx2[1].record(result, output, &mut digest);
        }
    }

    /// The depthwise convolution.
    fn depthwise(
        &mut self,
        d: &DepthwiseConv2dParams,
        input: &[i8],
        filter: &Filter<'_>,
        output: &mut [i8],
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            let result = crate::avx2::depthwise_conv2d(d, input, filter, output);
            self.avx2[2].record(result, output, &mut Digest::new());
        }
    }

    /// The fully connected layer.
    fn fully_connected(
        &mut self,
        f: &FullyConnectedParams,
        input: &[i8],
        filter: &Filter<'_>,
        output: &mut [i8],
        scratch: &mut [i8],
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            let result = crate::avx2::fully_connected(f, input, filter, output, scratch);
            self.avx2[3].record(result, output, &mut Digest::new());
        }
    }

    /// Fails unless every kernel saw both outcomes.
    fn check(&self, rounds: usize) -> Result<(), Failure> {
        #[cfg(target_arch = "x86_64")]
        {
            let names = [
                "x86_avx2::conv2d_1x1",
                "x86_avx2::conv2d",
                "x86_avx2::depthwise_conv2d",
                "x86_avx2::fully_connected",
            ];
            for (name, outcomes) in names.into_iter().zip(&self.avx2) {
                outcomes.check_both(name, rounds)?;
            }
        }
        Ok(())
    }
}

/// Every convolution and fully connected kernel, reference and optimised.
pub fn convolutions(budget: &Budget) -> Result<Passed, Failure> {
    let mut rng = Rng::from_name("robust_conv");
    let mut digest = Digest::new();
    let [mut conv, mut pointwise, mut general, mut dw, mut fast_dw, mut fc, mut fast_fc] =
        <[Outcomes; 7]>::default();
    // The per-ISA kernels of this target: their outcomes are counted, not digested (the
    // digest stays the same on every target of one pointer width).
    let mut isa = IsaOutcomes::default();
    for _ in 0..budget.rounds {
        let p = conv_params(&mut rng);
        let input = bytes(&mut rng, p.input.elements());
        let ops = Operands::new(&mut rng, p.weights_len(), p.out_channels);
        let mut output = vec![0; len(&mut rng, elements(p.output_shape()))];
        conv.record(
            conv2d(&p, &input, &ops.filter(), &mut output),
            &output,
            &mut digest,
        );
        let mut scratch = vec![0; conv2d_scratch_bytes(&p)];
        pointwise.record(
            optimized::conv2d_1x1(&p, &input, &ops.filter(), &mut output, &mut scratch),
            &output,
            &mut digest,
        );
        general.record(
            optimized::conv2d(&p, &input, &ops.filter(), &mut output, &mut scratch),
            &output,
            &mut digest,
        );
        isa.convolutions(&p, &input, &ops.filter(), &mut output, &mut scratch);

        let (d, ops) = depthwise_operands(&mut rng, &p);
        let mut output = vec![0; len(&mut rng, elements(d.output_shape()))];
        dw.record(
            depthwise_conv2d(&d, &input, &ops.filter(), &mut output),
            &output,
            &mut digest,
        );
        fast_dw.record(
            optimized::depthwise_conv2d(&d, &input, &ops.filter(), &mut output),
            &output,
            &mut digest,
        );
        isa.depthwise(&d, &input, &ops.filter(), &mut output);

        let (f, input, ops, outputs) = fully_connected_operands(&mut rng, &p);
        let mut output = vec![0; len(&mut rng, outputs)];
        fc.record(
            fully_connected(&f, &input, &ops.filter(), &mut output),
            &output,
            &mut digest,
        );
        let mut scratch = vec![0; fully_connected_scratch_bytes(&f)];
        fast_fc.record(
            optimized::fully_connected(&f, &input, &ops.filter(), &mut output, &mut scratch),
            &output,
            &mut digest,
        );
        isa.fully_connected(&f, &input, &ops.filter(), &mut output, &mut scratch);
    }
    isa.check(budget.rounds)?;
    passed(
        &[
            ("conv2d", &conv),
            ("optimized::conv2d_1x1", &pointwise),
            ("optimized::conv2d", &general),
            ("depthwise_conv2d", &dw),
            ("optimized::depthwise_conv2d", &fast_dw),
            ("fully_connected", &fc),
            ("optimized::fully_connected", &fast_fc),
        ],
        budget.rounds,
        &digest,
    )
}

/// Random (often absurd) convolution parameters, a pointwise shape three times in ten.
fn conv_params(rng: &mut Rng) -> Conv2dParams {
    let pointwise_shape = rng.chance(30);
    Conv2dParams {
        input: shape(rng),
        out_channels: dim(rng),
        kernel: if pointwise_shape { [1, 1] } else { pair(rng) },
        stride: pair(rng),
        dilation: pair(rng),
        padding: if pointwise_shape {
            Padding::ZERO
        } else {
            padding(rng)
        },
        groups: if rng.chance(70) { 1 } else { dim(rng) },
        input_zero_point: rng.i8(),
        output_zero_point: rng.i8(),
        activation: activation(rng),
    }
}

/// A fully connected layer over as many rows as the convolution `p`'s images, its input,
/// its operands and its output length.
fn fully_connected_operands(
    rng: &mut Rng,
    p: &Conv2dParams,
) -> (
    FullyConnectedParams,
    Vec<i8>,
    Operands,
    Result<usize, KernelError>,
) {
    let f = FullyConnectedParams {
        batches: p.input.batch,
        in_features: dim(rng),
        out_features: p.out_channels,
        input_zero_point: p.input_zero_point,
        output_zero_point: p.output_zero_point,
        activation: p.activation,
    };
    let checked = |a: usize, b: usize| {
        a.checked_mul(b)
            .ok_or(KernelError::BadParam { what: "overflow" })
    };
    let input = bytes(rng, checked(f.batches, f.in_features));
    let ops = Operands::new(rng, checked(f.out_features, f.in_features), f.out_features);
    let outputs = checked(f.batches, f.out_features);
    (f, input, ops, outputs)
}

/// The depthwise convolution over the input of the convolution `p`, and its operands.
fn depthwise_operands(rng: &mut Rng, p: &Conv2dParams) -> (DepthwiseConv2dParams, Operands) {
    let d = DepthwiseConv2dParams {
        input: p.input,
        kernel: p.kernel,
        stride: p.stride,
        dilation: p.dilation,
        padding: p.padding,
        input_zero_point: p.input_zero_point,
        output_zero_point: p.output_zero_point,
        activation: p.activation,
    };
    let weights = p.kernel[0]
        .checked_mul(p.kernel[1])
        .and_then(|k| k.checked_mul(p.input.channels))
        .ok_or(KernelError::BadParam { what: "overflow" });
    (d, Operands::new(rng, weights, p.input.channels))
}

/// The Helium kernels (on the cores that have them), on [`convolutions`]' parameters.
#[cfg(edgebone_arm_mve)]
pub fn arm_mve(budget: &Budget) -> Result<Passed, Failure> {
    use edgebone_kernels::arch::arm_mve;
    let mut rng = Rng::from_name("robust_arm_mve");
    let mut digest = Digest::new();
    let [mut pointwise, mut general, mut depthwise, mut connected] = <[Outcomes; 4]>::default();
    for _ in 0..budget.rounds {
        let p = conv_params(&mut rng);
        let input = bytes(&mut rng, p.input.elements());
        let ops = Operands::new(&mut rng, p.weights_len(), p.out_channels);
        let mut output = vec![0; len(&mut rng, elements(p.output_shape()))];
        let mut scratch = vec![0; conv2d_scratch_bytes(&p)];
        pointwise.record(
            arm_mve::conv2d_1x1(&p, &input, &ops.filter(), &mut output, &mut scratch),
            &output,
            &mut digest,
        );
        general.record(
            arm_mve::conv2d(&p, &input, &ops.filter(), &mut output, &mut scratch),
            &output,
            &mut digest,
        );
        let (d, ops) = depthwise_operands(&mut rng, &p);
        let mut output = vec![0; len(&mut rng, elements(d.output_shape()))];
        depthwise.record(
            arm_mve::depthwise_conv2d(&d, &input, &ops.filter(), &mut output),
            &output,
            &mut digest,
        );
        let (f, input, ops, outputs) = fully_connected_operands(&mut rng, &p);
        let mut output = vec![0; len(&mut rng, outputs)];
        let mut scratch = vec![0; fully_connected_scratch_bytes(&f)];
        connected.record(
            arm_mve::fully_connected(&f, &input, &ops.filter(), &mut output, &mut scratch),
            &output,
            &mut digest,
        );
    }
    passed(
        &[
            ("arm_mve::conv2d_1x1", &pointwise),
            ("arm_mve::conv2d", &general),
            ("arm_mve::depthwise_conv2d", &depthwise),
            ("arm_mve::fully_connected", &connected),
        ],
        budget.rounds,
        &digest,
    )
}

/// Add, Mul, Requantize, the LUTs and the scalar helpers.
pub fn elementwise(budget: &Budget) -> Result<Passed, Failure> {
    let mut rng = Rng::from_name("robust_elementwise");
    let mut digest = Digest::new();
    let (mut adds, mut fast_adds, mut muls, mut requants, mut luts) =
        <[Outcomes; 5]>::default().into();
    for _ in 0..budget.rounds {
        let s = shape(&mut rng);
        let broadcast = if rng.chance(50) {
            Broadcast::None
        } else {
            Broadcast::Channels
        };
        let second = match broadcast {
            Broadcast::None => s.elements(),
            Broadcast::Channels => s
                .batch
                .checked_mul(s.channels)
                .ok_or(KernelError::BadParam { what: "overflow" }),
        };
        let a = bytes(&mut rng, s.elements());
        let b = bytes(&mut rng, second);
        let mut out = vec![0; len(&mut rng, s.elements())];
        let add_p = AddParams {
            shape: s,
            broadcast,
            input1_zero_point: rng.i8(),
            input1: requant(&mut rng),
            input2_zero_point: rng.i8(),
            input2: requant(&mut rng),
            output: requant(&mut rng),
            output_zero_point: rng.i8(),
            activation: activation(&mut rng),
        };
        adds.record(add(&add_p, &a, &b, &mut out), &out, &mut digest);
        let fast = optimized::add(&add_p, &a, &b, &mut out);
        fast_adds.record(fast, &out, &mut digest);
        let mul_p = MulParams {
            shape: s,
            broadcast,
            input1_zero_point: rng.i8(),
            input2_zero_point: rng.i8(),
            output: requant(&mut rng),
            output_zero_point: rng.i8(),
            activation: activation(&mut rng),
        };
        muls.record(mul(&mul_p, &a, &b, &mut out), &out, &mut digest);
        let requant_p = RequantizeParams {
            input_zero_point: rng.i8(),
            requant: requant(&mut rng),
            output_zero_point: rng.i8(),
            activation: activation(&mut rng),
        };
        let out_len = if rng.chance(50) { a.len() } else { out.len() };
        let mut out2 = vec![0; out_len];
        requants.record(requantize(&requant_p, &a, &mut out2), &out2, &mut digest);
        let table: [i8; 256] = core::array::from_fn(|_| rng.i8());
        luts.record(lut(&a, &table, &mut out2), &out2, &mut digest);
        lut_in_place(&mut out2, &table);
        // The scalar functions take every i32, f32 and f64.
        let (x, y, z) = (
            rng.next_u64() as i32,
            rng.next_u64() as i32,
            rng.next_u64() as i32,
        );
        let _ = multiply_by_quantized_multiplier(x, y, z);
        let _ = multiply_by_quantized_multiplier_double(x, y, z);
        let _ = quantize_multiplier(f64::from_bits(rng.next_u64()));
        let scale = |rng: &mut Rng| f32::from_bits(rng.next_u64() as u32);
        let (s1, s2, s3) = (scale(&mut rng), scale(&mut rng), scale(&mut rng));
        let _ = (conv_requant(s1, s2, s3), add_requant(s1, s2, s3));
        let _ = (mul_requant(s1, s2, s3), rescale_requant(s1, s2));
    }
    passed(
        &[
            ("add", &adds),
            ("optimized::add", &fast_adds),
            ("mul", &muls),
            ("requantize", &requants),
            ("lut", &luts),
        ],
        budget.rounds,
        &digest,
    )
}

/// Max, average and global average pooling.
pub fn pooling(budget: &Budget) -> Result<Passed, Failure> {
    let mut rng = Rng::from_name("robust_pooling");
    let mut digest = Digest::new();
    let (mut maxes, mut avgs, mut gaps) = <[Outcomes; 3]>::default().into();
    for _ in 0..budget.rounds {
        let p = PoolParams {
            input: shape(&mut rng),
            kernel: pair(&mut rng),
            stride: pair(&mut rng),
            padding: padding(&mut rng),
            activation: activation(&mut rng),
        };
        let input = bytes(&mut rng, p.input.elements());
        let mut out = vec![0; len(&mut rng, elements(p.output_shape()))];
        maxes.record(max_pool(&p, &input, &mut out), &out, &mut digest);
        avgs.record(avg_pool(&p, &input, &mut out), &out, &mut digest);
        let g = GlobalAvgPoolParams {
            input: p.input,
            input_zero_point: rng.i8(),
            requant: requant(&mut rng),
            output_zero_point: rng.i8(),
            activation: activation(&mut rng),
        };
        let outputs = p
            .input
            .batch
            .checked_mul(p.input.channels)
            .ok_or(KernelError::BadParam { what: "overflow" });
        let mut out = vec![0; len(&mut rng, outputs)];
        gaps.record(global_avg_pool(&g, &input, &mut out), &out, &mut digest);
    }
    passed(
        &[
            ("max_pool", &maxes),
            ("avg_pool", &avgs),
            ("global_avg_pool", &gaps),
        ],
        budget.rounds,
        &digest,
    )
}

/// Concat, channel shuffle and pad.
pub fn layout(budget: &Budget) -> Result<Passed, Failure> {
    let mut rng = Rng::from_name("robust_layout");
    let mut digest = Digest::new();
    let (mut concats, mut shuffles, mut pads) = <[Outcomes; 3]>::default().into();
    for _ in 0..budget.rounds {
        let pixels = dim(&mut rng);
        let count = rng.below(4);
        let channels: Vec<usize> = (0..count).map(|_| dim(&mut rng)).collect();
        let data: Vec<Vec<i8>> = channels
            .iter()
            .map(|&c| {
                let implied = pixels
                    .checked_mul(c)
                    .ok_or(KernelError::BadParam { what: "overflow" });
                bytes(&mut rng, implied)
            })
            .collect();
        let inputs: Vec<ConcatInput<'_>> = data
            .iter()
            .zip(&channels)
            .map(|(d, &c)| ConcatInput {
                data: d,
                channels: c,
            })
            .collect();
        let total = channels
            .iter()
            .try_fold(0usize, |a, &c| a.checked_add(c))
            .and_then(|c| c.checked_mul(pixels))
            .ok_or(KernelError::BadParam { what: "overflow" });
        let mut out = vec![0; len(&mut rng, total)];
        concats.record(
            concat(&ConcatParams { pixels }, &inputs, &mut out),
            &out,
            &mut digest,
        );

        let shuffle = ChannelShuffleParams {
            pixels,
            channels: dim(&mut rng),
            groups: dim(&mut rng),
        };
        let implied = pixels
            .checked_mul(shuffle.channels)
            .ok_or(KernelError::BadParam { what: "overflow" });
        let input = bytes(&mut rng, implied);
        let mut out = vec![0; len(&mut rng, implied)];
        shuffles.record(
            channel_shuffle(&shuffle, &input, &mut out),
            &out,
            &mut digest,
        );

        let pad_p = PadParams {
            input: shape(&mut rng),
            padding: padding(&mut rng),
            value: rng.i8(),
        };
        let input = bytes(&mut rng, pad_p.input.elements());
        let mut out = vec![0; len(&mut rng, elements(pad_p.output_shape()))];
        pads.record(pad(&pad_p, &input, &mut out), &out, &mut digest);
    }
    passed(
        &[
            ("concat", &concats),
            ("channel_shuffle", &shuffles),
            ("pad", &pads),
        ],
        budget.rounds,
        &digest,
    )
}

/// TensorFlow's SAME padding helper.
pub fn shapes(budget: &Budget) -> Result<Passed, Failure> {
    let mut rng = Rng::from_name("robust_shapes");
    let mut digest = Digest::new();
    let mut ok = 0;
    for _ in 0..budget.rounds {
        let (h, w) = (dim(&mut rng), dim(&mut rng));
        let result = Padding::tf_same(h, w, pair(&mut rng), pair(&mut rng), pair(&mut rng));
        ok += usize::from(result.is_ok());
        match result {
            Ok(p) => [p.top, p.left, p.bottom, p.right]
                .iter()
                .for_each(|&side| digest.word(side as u64)),
            Err(_) => digest.word(u64::MAX),
        }
    }
    // 20 in 100 000 rounds on the host; at least one in fewer.
    let least = budget.rounds / 5000;
    if ok <= least {
        return Err(Failure {
            case: budget.rounds,
            message: format!("tf_same: only {ok} Ok in {} rounds", budget.rounds),
        });
    }
    Ok(Passed {
        cases: budget.rounds,
        digest: digest.finish(),
    })
}
