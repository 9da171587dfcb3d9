//! Test support for the compiler and runtime tests: a graph builder that calibrates each new
//! tensor's quantisation on a float pass, a float executor for per-op error checks, and the
//! helpers that compile a graph and run it through the runtime.
#![allow(dead_code)] // Each test binary uses a different part of the support module.

pub mod float;
pub mod graphs;

use edgebone_compiler::qgraph::{Clamp, InputSpec, QGraph, QOp, QTensor, Window};
use edgebone_compiler::{compile, reference, CompileOptions, Compiled, Operands};
use edgebone_runtime::{Interpreter, OwnedModel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The float function of a LUT op (`None` for other ops).
pub type LutFn = Option<fn(f32) -> f32>;

/// A fused activation chosen for a new op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    None,
    Relu,
    Relu6,
}

/// Builds a [`QGraph`] op by op. Every new tensor's scale and zero point are calibrated on
/// the float values of one random input (min/max, or exactly [0, 6] after ReLU6), so the
/// graphs exercise realistic ranges rather than saturating.
pub struct Builder {
    pub graph: QGraph,
    /// Float values of every tensor on the calibration input.
    pub values: Vec<Vec<f32>>,
    /// The float function of each LUT op, by op index.
    pub luts: Vec<LutFn>,
    pub rng: ChaCha8Rng,
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

pub fn hard_swish(x: f32) -> f32 {
    x * (x + 3.0).clamp(0.0, 6.0) / 6.0
}

/// `[kh, kw]` window with `stride`, `dilation` 1 and `pads` `[top, left, bottom, right]`.
pub fn window(k: usize, stride: usize, pads: [usize; 4]) -> Window {
    Window {
        kernel: [k, k],
        stride: [stride, stride],
        dilation: [1, 1],
        pads,
    }
}

/// Symmetric padding `p` on every side.
pub fn same(p: usize) -> [usize; 4] {
    [p; 4]
}

/// Quantises `x` with `scale` and `zero_point` (round half away, clamp to int8).
pub fn quantize(x: f32, scale: f32, zero_point: i32) -> i8 {
    ((x / scale).round() as i32 + zero_point).clamp(-128, 127) as i8
}

impl Builder {
    /// A graph with one input of `dims` (NHWC) holding uniform values in `[-1, 1]`.
    pub fn new(name: &str, dims: &[usize], seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let len: usize = dims.iter().product();
        let values: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
        let input = QTensor {
            name: "input".into(),
            shape: dims.to_vec(),
            scale: 2.0 / 255.0,
            zero_point: 0,
        };
        Self {
            graph: QGraph {
                name: name.into(),
                tensors: vec![input],
                ops: Vec::new(),
                input: 0,
                output: 0,
                preprocess: InputSpec {
                    resize: 110,
                    crop: dims.get(1).copied().unwrap_or(1).min(110),
                    mean: [0.485, 0.456, 0.406],
                    std: [0.229, 0.224, 0.225],
                },
                labels: Vec::new(),
                rounding: edgebone_compiler::qgraph::Rounding::Single,
            },
            values: vec![values],
            luts: Vec::new(),
            rng,
        }
    }

    pub fn shape(&self, t: usize) -> Vec<usize> {
        self.graph.tensors[t].shape.clone()
    }

    pub fn channels(&self, t: usize) -> usize {
        *self.graph.tensors[t].shape.last().unwrap()
    }

    /// Adds a tensor with the quantisation of `like` (for data-movement ops).
    fn tensor_like(&mut self, dims: Vec<usize>, like: usize, values: Vec<f32>) -> usize {
        let t = self.graph.tensors[like].clone();
        self.graph.tensors.push(QTensor {
            name: format!("t{}", self.graph.tensors.len()),
            shape: dims,
            ..t
        });
        self.values.push(values);
        self.graph.tensors.len() - 1
    }

    /// Adds a tensor calibrated on `values` after activation `act`; returns its id and the
    /// clamp the producing op fuses.
    fn calibrated(&mut self, dims: Vec<usize>, mut values: Vec<f32>, act: Act) -> (usize, Clamp) {
        let (scale, zero_point) = match act {
            Act::Relu6 => {
                values.iter_mut().for_each(|v| *v = v.clamp(0.0, 6.0));
                (6.0 / 255.0, -128)
            }
            Act::Relu | Act::None => {
                if act == Act::Relu {
                    values.iter_mut().for_each(|v| *v = v.max(0.0));
                }
                let lo = values.iter().copied().fold(0.0f32, f32::min);
                let hi = values.iter().copied().fold(0.0f32, f32::max);
                let scale = ((hi - lo) / 255.0).max(1e-4);
                let zero_point = (-128.0 - lo / scale).round().clamp(-128.0, 127.0) as i32;
                (scale, zero_point)
            }
        };
        let clamp = match act {
            Act::None | Act::Relu6 => Clamp::NONE,
            Act::Relu => Clamp {
                min: zero_point as i8,
                max: 127,
            },
        };
        self.graph.tensors.push(QTensor {
            name: format!("t{}", self.graph.tensors.len()),
            shape: dims,
            scale,
            zero_point,
        });
        self.values.push(values);
        (self.graph.tensors.len() - 1, clamp)
    }

    /// The id the next tensor gets: ops are built with it as their output before the
    /// calibration that adds the tensor.
    fn next_tensor(&self) -> usize {
        self.graph.tensors.len()
    }

    /// Appends `op` (its output computed on the calibration values) as the graph's last op.
    fn push(&mut self, op: QOp, lut: Option<fn(f32) -> f32>) {
        assert_eq!(
            op.output() + 1,
            self.graph.tensors.len(),
            "an op's output is the tensor added for it"
        );
        self.graph.output = op.output();
        self.graph.ops.push(op);
        self.luts.push(lut);
    }

    /// Random per-channel int8 weights: `(weights, scales)` for `out` channels of `per`
    /// values each, floats uniform in `±bound`.
    fn weights(&mut self, out: usize, per: usize, bound: f32) -> (Vec<i8>, Vec<f32>) {
        let mut weights = Vec::with_capacity(out * per);
        let mut scales = Vec::with_capacity(out);
        for _ in 0..out {
            let w: Vec<f32> = (0..per)
                .map(|_| self.rng.random_range(-bound..bound))
                .collect();
            let scale = w.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6) / 127.0;
            weights.extend(w.iter().map(|&v| quantize(v, scale, 0)));
            scales.push(scale);
        }
        (weights, scales)
    }

    /// Random int32 biases for floats uniform in `±0.2`.
    fn bias(&mut self, input: usize, scales: &[f32]) -> Vec<i32> {
        let s_in = self.graph.tensors[input].scale;
        scales
            .iter()
            .map(|&s| (self.rng.random_range(-0.2f32..0.2) / (s_in * s)).round() as i32)
            .collect()
    }

    /// A convolution (`groups == channels == out` makes it depthwise).
    pub fn conv_full(
        &mut self,
        x: usize,
        out_channels: usize,
        window: Window,
        groups: usize,
        act: Act,
    ) -> usize {
        let cin = self.channels(x);
        let per = window.kernel[0] * window.kernel[1] * cin / groups;
        let bound = (3.0 / per as f32).sqrt();
        let (weights, weight_scales) = self.weights(out_channels, per, bound);
        let bias = self.bias(x, &weight_scales);
        let mut op = QOp::Conv2d {
            input: x,
            output: self.next_tensor(),
            window,
            groups,
            weights,
            weight_scales,
            bias,
            clamp: Clamp::NONE,
        };
        let (dims, values) = float::eval(&self.graph, &op, &self.values, None);
        let (y, c) = self.calibrated(dims, values, act);
        if let QOp::Conv2d { clamp, .. } = &mut op {
            *clamp = c;
        }
        self.push(op, None);
        y
    }

    /// A square convolution with symmetric padding and one group.
    pub fn conv(&mut self, x: usize, out: usize, k: usize, stride: usize, act: Act) -> usize {
        self.conv_full(x, out, window(k, stride, same(k / 2)), 1, act)
    }

    /// A depthwise convolution with symmetric padding.
    pub fn depthwise(&mut self, x: usize, k: usize, stride: usize, act: Act) -> usize {
        let c = self.channels(x);
        self.conv_full(x, c, window(k, stride, same(k / 2)), c, act)
    }

    pub fn fully_connected(&mut self, x: usize, out: usize, act: Act) -> usize {
        let n_in = self.channels(x);
        let bound = (3.0 / n_in as f32).sqrt();
        let (weights, weight_scales) = self.weights(out, n_in, bound);
        let bias = self.bias(x, &weight_scales);
        let mut op = QOp::FullyConnected {
            input: x,
            output: self.next_tensor(),
            weights,
            weight_scales,
            bias,
            clamp: Clamp::NONE,
        };
        let (dims, values) = float::eval(&self.graph, &op, &self.values, None);
        let (y, c) = self.calibrated(dims, values, act);
        if let QOp::FullyConnected { clamp, .. } = &mut op {
            *clamp = c;
        }
        self.push(op, None);
        y
    }

    /// Add (`mul == false`) or Mul of `a` and `b` (`b` may be `[1, 1, 1, C]`).
    pub fn binary(&mut self, a: usize, b: usize, mul: bool, act: Act) -> usize {
        let make = |output, clamp| {
            if mul {
                QOp::Mul {
                    a,
                    b,
                    output,
                    clamp,
                }
            } else {
                QOp::Add {
                    a,
                    b,
                    output,
                    clamp,
                }
            }
        };
        let (dims, values) = float::eval(
            &self.graph,
            &make(self.next_tensor(), Clamp::NONE),
            &self.values,
            None,
        );
        let (y, c) = self.calibrated(dims, values, act);
        self.push(make(y, c), None);
        y
    }

    pub fn add(&mut self, a: usize, b: usize, act: Act) -> usize {
        self.binary(a, b, false, act)
    }

    pub fn mul(&mut self, a: usize, b: usize) -> usize {
        self.binary(a, b, true, Act::None)
    }

    /// An op whose output shares the input's quantisation.
    fn same_quant(&mut self, op: QOp, like: usize) -> usize {
        let (dims, values) = float::eval(&self.graph, &op, &self.values, None);
        let y = self.tensor_like(dims, like, values);
        self.push(op, None);
        y
    }

    pub fn max_pool(&mut self, x: usize, window: Window) -> usize {
        self.same_quant(
            QOp::MaxPool {
                input: x,
                output: self.next_tensor(),
                window,
            },
            x,
        )
    }

    /// Average pooling with freshly calibrated output parameters.
    pub fn avg_pool(&mut self, x: usize, window: Window, count_include_pad: bool) -> usize {
        let op = QOp::AvgPool {
            input: x,
            output: self.next_tensor(),
            window,
            count_include_pad,
        };
        let (dims, values) = float::eval(&self.graph, &op, &self.values, None);
        let (y, _) = self.calibrated(dims, values, Act::None);
        self.push(op, None);
        y
    }

    pub fn global_avg_pool(&mut self, x: usize) -> usize {
        let op = QOp::GlobalAvgPool {
            input: x,
            output: self.next_tensor(),
        };
        let (dims, values) = float::eval(&self.graph, &op, &self.values, None);
        let (y, _) = self.calibrated(dims, values, Act::None);
        self.push(op, None);
        y
    }

    /// Concatenation; every input must share the first input's quantisation.
    pub fn concat(&mut self, inputs: &[usize]) -> usize {
        self.same_quant(
            QOp::Concat {
                inputs: inputs.to_vec(),
                output: self.next_tensor(),
            },
            inputs[0],
        )
    }

    pub fn slice(&mut self, x: usize, start: usize, channels: usize) -> usize {
        let mut dims = self.shape(x);
        *dims.last_mut().unwrap() = channels;
        let values = float::slice(&self.values[x], self.channels(x), start, channels);
        let y = self.tensor_like(dims, x, values);
        self.push(
            QOp::ChannelSlice {
                input: x,
                output: y,
                start,
            },
            None,
        );
        y
    }

    pub fn shuffle(&mut self, x: usize, groups: usize) -> usize {
        self.same_quant(
            QOp::ChannelShuffle {
                input: x,
                output: self.next_tensor(),
                groups,
            },
            x,
        )
    }

    /// A LUT of `f` from the input's quantisation to a freshly calibrated output.
    pub fn lut(&mut self, x: usize, f: fn(f32) -> f32) -> usize {
        let values: Vec<f32> = self.values[x].iter().map(|&v| f(v)).collect();
        let (y, _) = self.calibrated(self.shape(x), values, Act::None);
        let (xi, yo) = (self.graph.tensors[x].clone(), self.graph.tensors[y].clone());
        let mut table = [0i8; 256];
        for (i, entry) in table.iter_mut().enumerate() {
            let q = i as i32 - 128;
            let real = xi.scale * (q - xi.zero_point) as f32;
            *entry = quantize(f(real), yo.scale, yo.zero_point);
        }
        self.push(
            QOp::Lut {
                input: x,
                output: y,
                table,
            },
            Some(f),
        );
        y
    }

    /// Requantises `x` to `like`'s parameters.
    pub fn requantize_like(&mut self, x: usize, like: usize) -> usize {
        let values = self.values[x].clone();
        let y = self.tensor_like(self.shape(x), like, values);
        self.push(
            QOp::Requantize {
                input: x,
                output: y,
            },
            None,
        );
        y
    }

    pub fn reshape(&mut self, x: usize, dims: &[usize]) -> usize {
        let values = self.values[x].clone();
        let y = self.tensor_like(dims.to_vec(), x, values);
        self.push(
            QOp::Reshape {
                input: x,
                output: y,
            },
            None,
        );
        y
    }

    /// Softmax over the last axis, with TFLite's output parameters (1/256, −128).
    pub fn softmax(&mut self, x: usize) -> usize {
        let c = self.channels(x);
        let values = float::softmax(&self.values[x], c);
        self.graph.tensors.push(QTensor {
            name: format!("t{}", self.graph.tensors.len()),
            shape: self.shape(x),
            scale: 1.0 / 256.0,
            zero_point: -128,
        });
        self.values.push(values);
        let y = self.graph.tensors.len() - 1;
        self.push(
            QOp::Softmax {
                input: x,
                output: y,
            },
            None,
        );
        y
    }

    /// Finishes the graph with `labels` class names when the output has that many classes.
    pub fn finish(mut self) -> (QGraph, Vec<LutFn>) {
        let classes = self.graph.tensors[self.graph.output].len();
        self.graph.labels = (0..classes).map(|i| format!("class {i} ✓")).collect();
        (self.graph, self.luts)
    }
}

/// A deterministic int8 input for `graph`.
pub fn random_input(graph: &QGraph, seed: u64) -> Vec<i8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..graph.tensors[graph.input].len())
        .map(|_| rng.random_range(-128i32..=127) as i8)
        .collect()
}

/// Compiles `graph` with default options. With `EDGEBONE_FUZZ_SEEDS=DIR` set, also writes
/// the blob to `DIR/<graph name>.ebm` (how the runtime fuzzer's seeds were made).
pub fn compiled(graph: &QGraph) -> Compiled {
    let compiled = compile(graph, &CompileOptions::default()).expect("the graph compiles");
    if let Some(dir) = std::env::var_os("EDGEBONE_FUZZ_SEEDS") {
        let path = std::path::Path::new(&dir).join(format!("{}.ebm", graph.name));
        std::fs::write(&path, &compiled.bytes).expect("write the fuzz seed");
    }
    compiled
}

/// Runs the compiled blob through the runtime and returns every op's output by program
/// tensor id (from the observer), plus the final output.
pub fn run_runtime(blob: &[u8], input: &[i8]) -> (Vec<Option<Vec<i8>>>, Vec<i8>) {
    let owned = OwnedModel::from_bytes(blob).expect("the runtime accepts the blob");
    let model = owned.model();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).expect("arena fits");
    let mut seen = vec![None; model.tensor_count()];
    let output = interpreter
        .invoke_observed(input, |_, tensor, values| {
            seen[tensor] = Some(values.to_vec())
        })
        .expect("invoke")
        .to_vec();
    (seen, output)
}

/// Asserts the runtime matches the reference executor on every tensor, bit for bit.
pub fn assert_bit_exact(graph: &QGraph, seed: u64) -> Compiled {
    assert_bit_exact_with(graph, seed, &CompileOptions::default())
}

/// [`assert_bit_exact`] for a blob compiled with `options`: a row-buffered tensor (which
/// never exists whole) is observed without values, every other one bit-exact.
pub fn assert_bit_exact_with(graph: &QGraph, seed: u64, options: &CompileOptions) -> Compiled {
    let compiled = compile(graph, options).expect("the graph compiles");
    let input = random_input(graph, seed);
    let expected = reference::execute(graph, &input).expect("reference executor");
    let (seen, output) = run_runtime(&compiled.bytes, &input);
    for (t, values) in seen.iter().enumerate() {
        let Some(values) = values else { continue };
        if compiled.program.tensors[t].rows > 0 {
            assert!(
                values.is_empty(),
                "a row-buffered tensor observed with values"
            );
            continue;
        }
        assert_eq!(
            values, &expected[t],
            "{}: tensor {t} `{}` differs from the reference executor",
            graph.name, compiled.program.tensors[t].name
        );
    }
    // Every step's output was observed.
    for step in &compiled.program.steps {
        assert!(seen[step.output_id()].is_some(), "step output not observed");
    }
    assert_eq!(
        output, expected[graph.output],
        "{}: model output",
        graph.name
    );
    compiled
}
