//! A shape-tracking graph builder with PyTorch-style scoped parameter names.
//!
//! Family code reads like the reference module tree: `b.scope("features.3", |b| ...)` and
//! `b.conv("conv.0.0", x, Conv::new(96, 3).stride(2))` creates the parameter
//! `features.3.conv.0.0.weight`. Shapes are inferred as nodes are added. A layer that would
//! produce an empty spatial map does not panic: the builder records the first such error,
//! keeps going with a 1x1 map, and [`Builder::finish`] returns the error. A strided window
//! must also see at least `stride` pixels, so a map is never reduced to pure padding.

use crate::graph::{Graph, Init, Node, Op, Pads, Param, ValueId, ValueInfo};
use crate::BuildError;

/// A tensor handle inside the graph being built.
pub type Value = ValueId;

/// How a convolution or pooling window is padded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Padding {
    /// The same amount on both sides of each axis: `[along H, along W]`.
    Symmetric([usize; 2]),
    /// TensorFlow "SAME": total `max((ceil(H/s) - 1) * s + k - H, 0)`, the smaller half first.
    TfSame,
    /// Explicit `[top, left, bottom, right]`.
    Explicit(Pads),
}

/// A 2-D convolution's hyper-parameters. Defaults: stride 1, padding `k / 2` (PyTorch's usual
/// "same" for odd kernels), one group, no bias, no dilation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv {
    pub out: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: Padding,
    pub dilation: [usize; 2],
    pub groups: usize,
    pub bias: bool,
}

impl Conv {
    /// A square `k x k` convolution to `out` channels.
    pub fn new(out: usize, k: usize) -> Self {
        Self::rect(out, [k, k])
    }

    /// A `kh x kw` convolution (Inception's 1x7 / 7x1 factorisations).
    pub fn rect(out: usize, kernel: [usize; 2]) -> Self {
        Conv {
            out,
            kernel,
            stride: [1, 1],
            padding: Padding::Symmetric([kernel[0] / 2, kernel[1] / 2]),
            dilation: [1, 1],
            groups: 1,
            bias: false,
        }
    }

    pub fn stride(mut self, s: usize) -> Self {
        self.stride = [s, s];
        self
    }

    /// Symmetric padding `p` on every side.
    pub fn pad(mut self, p: usize) -> Self {
        self.padding = Padding::Symmetric([p, p]);
        self
    }

    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// Depthwise: one group per input channel (`out` must equal the input channels).
    pub fn depthwise(mut self) -> Self {
        self.groups = self.out;
        self
    }

    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = [d, d];
        self
    }
}

/// The sliding window of a convolution or pooling, as `Builder::window_output` reads it.
#[derive(Clone, Copy)]
struct Window {
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    padding: Padding,
    ceil_mode: bool,
}

/// A pooling window. Defaults: stride equal to the kernel, no padding, floor rounding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pool {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: Padding,
    pub ceil_mode: bool,
    pub count_include_pad: bool,
}

impl Pool {
    pub fn new(k: usize) -> Self {
        Pool {
            kernel: [k, k],
            stride: [k, k],
            padding: Padding::Symmetric([0, 0]),
            ceil_mode: false,
            count_include_pad: true,
        }
    }

    pub fn stride(mut self, s: usize) -> Self {
        self.stride = [s, s];
        self
    }

    pub fn pad(mut self, p: usize) -> Self {
        self.padding = Padding::Symmetric([p, p]);
        self
    }

    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// PyTorch `ceil_mode=True`.
    pub fn ceil(mut self) -> Self {
        self.ceil_mode = true;
        self
    }

    /// PyTorch `count_include_pad=False` (average pooling only).
    pub fn exclude_pad(mut self) -> Self {
        self.count_include_pad = false;
        self
    }
}

/// Builds one [`Graph`].
pub struct Builder {
    graph: Graph,
    scope: Vec<String>,
    error: Option<BuildError>,
}

impl Builder {
    /// Starts a graph named `name` whose input is `[1, channels, height, width]`.
    pub fn new(name: &str, input: [usize; 3]) -> (Self, Value) {
        let graph = Graph {
            name: name.to_string(),
            values: vec![ValueInfo {
                name: "input".into(),
                shape: vec![1, input[0], input[1], input[2]],
            }],
            params: Vec::new(),
            nodes: Vec::new(),
            input: 0,
            output: 0,
        };
        (
            Builder {
                graph,
                scope: Vec::new(),
                error: None,
            },
            0,
        )
    }

    /// Runs `f` with `name` appended to the parameter-name scope.
    pub fn scope<R>(&mut self, name: impl std::fmt::Display, f: impl FnOnce(&mut Self) -> R) -> R {
        self.scope.push(name.to_string());
        let r = f(self);
        self.scope.pop();
        r
    }

    /// Shape of a value, batch included.
    pub fn shape(&self, v: Value) -> &[usize] {
        &self.graph.values[v].shape
    }

    /// Channels of an NCHW value.
    pub fn channels(&self, v: Value) -> usize {
        self.shape(v)[1]
    }

    /// `[H, W]` of an NCHW value.
    pub fn spatial(&self, v: Value) -> [usize; 2] {
        let s = self.shape(v);
        [s[2], s[3]]
    }

    /// Finishes the graph with `output` renamed to `output`.
    pub fn finish(mut self, output: Value) -> Result<Graph, BuildError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.graph.values[output].name = "output".into();
        self.graph.output = output;
        Ok(self.graph)
    }

    fn key(&self, local: &str) -> String {
        let mut parts: Vec<&str> = self.scope.iter().map(String::as_str).collect();
        if !local.is_empty() {
            parts.push(local);
        }
        parts.join(".")
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(BuildError::Shape {
                graph: self.graph.name.clone(),
                message,
            });
        }
    }

    fn param(&mut self, key: String, shape: Vec<usize>, init: Init, trainable: bool) -> usize {
        self.graph.params.push(Param {
            name: key,
            shape,
            init,
            trainable,
        });
        self.graph.params.len() - 1
    }

    fn push(
        &mut self,
        name: String,
        op: Op,
        inputs: Vec<Value>,
        params: Vec<usize>,
        shape: Vec<usize>,
    ) -> Value {
        let base = if name.is_empty() {
            op.onnx_type().to_string()
        } else {
            name
        };
        let node_name = format!("{}_{}", base, self.graph.nodes.len());
        self.graph.values.push(ValueInfo {
            name: node_name.clone(),
            shape,
        });
        let output = self.graph.values.len() - 1;
        self.graph.nodes.push(Node {
            name: node_name,
            op,
            inputs,
            params,
            output,
        });
        output
    }

    fn window_output(&mut self, what: &str, size: [usize; 2], w: Window) -> (Pads, [usize; 2]) {
        let Window {
            kernel,
            stride,
            dilation,
            padding,
            ceil_mode,
        } = w;
        let pads = match padding {
            Padding::Symmetric([ph, pw]) => [ph, pw, ph, pw],
            Padding::Explicit(p) => p,
            Padding::TfSame => {
                let total = |i: usize| {
                    let out = size[i].div_ceil(stride[i]);
                    ((out.max(1) - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1)
                        .saturating_sub(size[i])
                };
                let (th, tw) = (total(0), total(1));
                [th / 2, tw / 2, th - th / 2, tw - tw / 2]
            }
        };
        let mut out = [0usize; 2];
        for i in 0..2 {
            let span = size[i] + pads[i] + pads[i + 2];
            let extent = dilation[i] * (kernel[i] - 1) + 1;
            if span < extent {
                self.fail(format!(
                    "{what} at {}: a {}x{} input is smaller than its {}x{} window",
                    self.key(""),
                    size[0],
                    size[1],
                    kernel[0],
                    kernel[1]
                ));
                out[i] = 1;
                continue;
            }
            if size[i] < stride[i] {
                self.fail(format!(
                    "{what} at {}: a stride-{} window needs at least {} pixels, the map is {}x{}",
                    self.key(""),
                    stride[i],
                    stride[i],
                    size[0],
                    size[1]
                ));
                out[i] = 1;
                continue;
            }
            let steps = span - extent;
            let mut o = if ceil_mode {
                steps.div_ceil(stride[i])
            } else {
                steps / stride[i]
            } + 1;
            // PyTorch (and ONNX Runtime) drop a last window that would start in the padding.
            if ceil_mode && (o - 1) * stride[i] >= size[i] + pads[i] {
                o -= 1;
            }
            out[i] = o;
        }
        (pads, out)
    }

    /// A 2-D convolution whose weight is `{name}.weight` (and `{name}.bias` when asked).
    pub fn conv(&mut self, name: &str, x: Value, c: Conv) -> Value {
        let cin = self.channels(x);
        if c.groups == 0 || !cin.is_multiple_of(c.groups) || !c.out.is_multiple_of(c.groups) {
            self.fail(format!(
                "conv {}: {cin} -> {} channels cannot be split into {} groups",
                self.key(name),
                c.out,
                c.groups
            ));
        }
        let groups = c.groups.max(1);
        let (pads, [oh, ow]) = self.window_output(
            "conv",
            self.spatial(x),
            Window {
                kernel: c.kernel,
                stride: c.stride,
                dilation: c.dilation,
                padding: c.padding,
                ceil_mode: false,
            },
        );
        let w = self.param(
            self.key(&format!("{name}.weight")),
            vec![c.out, (cin / groups).max(1), c.kernel[0], c.kernel[1]],
            Init::HeNormalFanOut,
            true,
        );
        let mut params = vec![w];
        if c.bias {
            params.push(self.param(
                self.key(&format!("{name}.bias")),
                vec![c.out],
                Init::Const(0.0),
                true,
            ));
        }
        let op = Op::Conv {
            kernel: c.kernel,
            stride: c.stride,
            pads,
            dilation: c.dilation,
            group: groups,
        };
        self.push(self.key(name), op, vec![x], params, vec![1, c.out, oh, ow])
    }

    /// BatchNorm with `{name}.weight`, `.bias`, `.running_mean`, `.running_var`.
    pub fn batch_norm(&mut self, name: &str, x: Value, epsilon: f32) -> Value {
        let c = self.channels(x);
        let mut params = Vec::with_capacity(4);
        for (suffix, init, trainable) in [
            ("weight", 1.0, true),
            ("bias", 0.0, true),
            ("running_mean", 0.0, false),
            ("running_var", 1.0, false),
        ] {
            params.push(self.param(
                self.key(&format!("{name}.{suffix}")),
                vec![c],
                Init::Const(init),
                trainable,
            ));
        }
        let shape = self.shape(x).to_vec();
        self.push(
            self.key(name),
            Op::BatchNormalization { epsilon },
            vec![x],
            params,
            shape,
        )
    }

    fn unary(&mut self, op: Op, x: Value) -> Value {
        let shape = self.shape(x).to_vec();
        self.push(self.key(""), op, vec![x], vec![], shape)
    }

    pub fn relu(&mut self, x: Value) -> Value {
        self.unary(Op::Relu, x)
    }

    /// ReLU6, emitted as `Clip(0, 6)`.
    pub fn relu6(&mut self, x: Value) -> Value {
        self.unary(Op::Clip { min: 0.0, max: 6.0 }, x)
    }

    pub fn sigmoid(&mut self, x: Value) -> Value {
        self.unary(Op::Sigmoid, x)
    }

    /// PyTorch's `Hardsigmoid`: `relu6(x + 3) / 6`.
    pub fn hard_sigmoid(&mut self, x: Value) -> Value {
        self.unary(
            Op::HardSigmoid {
                alpha: 1.0 / 6.0,
                beta: 0.5,
            },
            x,
        )
    }

    /// Hard-swish `x * hard_sigmoid(x)` (ONNX `HardSwish` needs opset 14; we emit opset 13).
    pub fn hard_swish(&mut self, x: Value) -> Value {
        let g = self.hard_sigmoid(x);
        self.mul(x, g)
    }

    /// Swish / SiLU `x * sigmoid(x)`.
    pub fn swish(&mut self, x: Value) -> Value {
        let g = self.sigmoid(x);
        self.mul(x, g)
    }

    fn broadcast(&mut self, op: Op, a: Value, b: Value) -> Value {
        let (sa, sb) = (self.shape(a).to_vec(), self.shape(b).to_vec());
        if sa.len() != sb.len() {
            self.fail(format!(
                "{} at {}: ranks differ ({sa:?} vs {sb:?})",
                op.onnx_type(),
                self.key("")
            ));
            return a;
        }
        let mut shape = Vec::with_capacity(sa.len());
        for (&x, &y) in sa.iter().zip(&sb) {
            if x != y && x != 1 && y != 1 {
                self.fail(format!(
                    "{} at {}: shapes {sa:?} and {sb:?} do not broadcast",
                    op.onnx_type(),
                    self.key("")
                ));
            }
            shape.push(x.max(y));
        }
        self.push(self.key(""), op, vec![a, b], vec![], shape)
    }

    /// Element-wise sum with broadcasting (residual connections).
    pub fn add(&mut self, a: Value, b: Value) -> Value {
        self.broadcast(Op::Add, a, b)
    }

    /// Element-wise product with broadcasting (SE scaling, gating).
    pub fn mul(&mut self, a: Value, b: Value) -> Value {
        self.broadcast(Op::Mul, a, b)
    }

    /// `x * factor` for a constant factor.
    pub fn scale(&mut self, x: Value, factor: f32) -> Value {
        self.unary(Op::Scale { factor }, x)
    }

    /// Channel concatenation of NCHW values with equal spatial size.
    pub fn concat(&mut self, xs: &[Value]) -> Value {
        let mut shape = self.shape(xs[0]).to_vec();
        shape[1] = 0;
        for &x in xs {
            let s = self.shape(x).to_vec();
            if s[2..] != shape[2..] {
                self.fail(format!(
                    "Concat at {}: spatial sizes {:?} and {:?} differ",
                    self.key(""),
                    &s[2..],
                    &shape[2..]
                ));
            }
            shape[1] += s[1];
        }
        self.push(
            self.key(""),
            Op::Concat { axis: 1 },
            xs.to_vec(),
            vec![],
            shape,
        )
    }

    pub fn max_pool(&mut self, x: Value, p: Pool) -> Value {
        let (pads, [oh, ow]) = self.window_output(
            "max pool",
            self.spatial(x),
            Window {
                kernel: p.kernel,
                stride: p.stride,
                dilation: [1, 1],
                padding: p.padding,
                ceil_mode: p.ceil_mode,
            },
        );
        let c = self.channels(x);
        self.push(
            self.key(""),
            Op::MaxPool {
                kernel: p.kernel,
                stride: p.stride,
                pads,
                ceil_mode: p.ceil_mode,
            },
            vec![x],
            vec![],
            vec![1, c, oh, ow],
        )
    }

    pub fn avg_pool(&mut self, x: Value, p: Pool) -> Value {
        let (pads, [oh, ow]) = self.window_output(
            "average pool",
            self.spatial(x),
            Window {
                kernel: p.kernel,
                stride: p.stride,
                dilation: [1, 1],
                padding: p.padding,
                ceil_mode: p.ceil_mode,
            },
        );
        let c = self.channels(x);
        let op = Op::AveragePool {
            kernel: p.kernel,
            stride: p.stride,
            pads,
            ceil_mode: p.ceil_mode,
            count_include_pad: p.count_include_pad,
        };
        self.push(self.key(""), op, vec![x], vec![], vec![1, c, oh, ow])
    }

    /// Global average pool to `[1, C, 1, 1]`.
    pub fn global_avg_pool(&mut self, x: Value) -> Value {
        let c = self.channels(x);
        self.push(
            self.key(""),
            Op::GlobalAveragePool,
            vec![x],
            vec![],
            vec![1, c, 1, 1],
        )
    }

    /// Flattens to `[1, C*H*W]`.
    pub fn flatten(&mut self, x: Value) -> Value {
        let n: usize = self.shape(x)[1..].iter().product();
        self.push(self.key(""), Op::Flatten, vec![x], vec![], vec![1, n])
    }

    /// A fully connected layer on a `[1, in]` value: `{name}.weight [out, in]`, `{name}.bias`.
    pub fn linear(&mut self, name: &str, x: Value, out: usize) -> Value {
        self.fully_connected(name, x, out, true)
    }

    /// A fully connected layer without a bias (ShuffleNet v1's classifier).
    pub fn linear_without_bias(&mut self, name: &str, x: Value, out: usize) -> Value {
        self.fully_connected(name, x, out, false)
    }

    fn fully_connected(&mut self, name: &str, x: Value, out: usize, bias: bool) -> Value {
        let shape = self.shape(x).to_vec();
        if shape.len() != 2 {
            self.fail(format!(
                "linear {}: input must be [1, features], got {shape:?}",
                self.key(name)
            ));
        }
        let w = self.param(
            self.key(&format!("{name}.weight")),
            vec![out, shape[shape.len() - 1]],
            Init::Normal(0.01),
            true,
        );
        let mut params = vec![w];
        if bias {
            params.push(self.param(
                self.key(&format!("{name}.bias")),
                vec![out],
                Init::Const(0.0),
                true,
            ));
        }
        self.push(self.key(name), Op::Gemm, vec![x], params, vec![1, out])
    }

    /// Reshape to an explicit shape (batch included).
    pub fn reshape(&mut self, x: Value, shape: &[usize]) -> Value {
        let from: usize = self.shape(x).iter().product();
        let to: usize = shape.iter().product();
        if from != to {
            self.fail(format!(
                "Reshape at {}: {:?} has {from} elements, {shape:?} needs {to}",
                self.key(""),
                self.shape(x)
            ));
        }
        let op = Op::Reshape {
            shape: shape.iter().map(|&d| d as i64).collect(),
        };
        self.push(self.key(""), op, vec![x], vec![], shape.to_vec())
    }

    pub fn transpose(&mut self, x: Value, perm: &[usize]) -> Value {
        let s = self.shape(x).to_vec();
        let shape = perm.iter().map(|&p| s[p]).collect();
        self.push(
            self.key(""),
            Op::Transpose {
                perm: perm.to_vec(),
            },
            vec![x],
            vec![],
            shape,
        )
    }

    /// Channel shuffle (ShuffleNet): reshape to `[1, g, C/g, H, W]`, swap the group axes,
    /// reshape back.
    pub fn channel_shuffle(&mut self, x: Value, groups: usize) -> Value {
        let s = self.shape(x).to_vec();
        if groups == 0 || !s[1].is_multiple_of(groups) {
            self.fail(format!(
                "channel shuffle at {}: {} channels, {groups} groups",
                self.key(""),
                s[1]
            ));
            return x;
        }
        let r = self.reshape(x, &[1, groups, s[1] / groups, s[2], s[3]]);
        let t = self.transpose(r, &[0, 2, 1, 3, 4]);
        self.reshape(t, &s)
    }

    /// `x[:, start..end]` along `axis`.
    pub fn slice(&mut self, x: Value, axis: usize, start: usize, end: usize) -> Value {
        let mut shape = self.shape(x).to_vec();
        if start >= end || end > shape[axis] {
            self.fail(format!(
                "Slice at {}: {start}..{end} out of 0..{}",
                self.key(""),
                shape[axis]
            ));
        }
        shape[axis] = end.saturating_sub(start).max(1);
        self.push(
            self.key(""),
            Op::Slice { axis, start, end },
            vec![x],
            vec![],
            shape,
        )
    }
}
