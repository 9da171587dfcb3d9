//! Pooling and the ops that move bytes without arithmetic: Concat, Slice, the channel shuffle
//! (Reshape → Transpose → Reshape), Flatten and Reshape to a vector.

use super::node::{normalise_axis, NodeRef};
use super::value::{Pending, PendingKind, Value};
use super::Importer;
use crate::error::QuantError;
use edgebone_compiler::qgraph::{TensorId, Window};

/// The largest kernel, stride, dilation or padding accepted, so no size computation overflows.
const MAX_WINDOW: i64 = 1 << 16;

/// The window of a Conv or pool with `kernel` on an `[h, w]` map: strides, dilations, pads
/// (or `auto_pad`), and the output size.
pub(super) fn window(
    n: &NodeRef,
    kernel: [usize; 2],
    [h, w]: [usize; 2],
    dilations: bool,
) -> Result<(Window, [usize; 2]), QuantError> {
    let list = |name: &str, len: usize, min: i64| -> Result<Option<Vec<usize>>, QuantError> {
        match n.ints(name)? {
            None => Ok(None),
            Some(v) if v.len() == len && v.iter().all(|x| (min..=MAX_WINDOW).contains(x)) => {
                Ok(Some(v.iter().map(|&x| x as usize).collect()))
            }
            Some(v) => Err(n.error(format!(
                "attribute `{name}` is {v:?}, expected {len} values in {min}..={MAX_WINDOW}"
            ))),
        }
    };
    let pair = |name: &str| -> Result<[usize; 2], QuantError> {
        Ok(list(name, 2, 1)?.map_or([1, 1], |v| [v[0], v[1]]))
    };
    if kernel.contains(&0) {
        return Err(n.error(format!("kernel {kernel:?} is empty")));
    }
    let stride = pair("strides")?;
    let dilation = pair("dilations")?;
    if !dilations && dilation != [1, 1] {
        return Err(n.error(format!(
            "dilations {dilation:?} are not supported for pooling"
        )));
    }
    let span = |axis: usize| (kernel[axis] - 1) * dilation[axis] + 1;
    let auto_pad = n.string("auto_pad", "NOTSET")?;
    let pads = match auto_pad.as_str() {
        "NOTSET" => list("pads", 4, 0)?.map_or([0; 4], |p| [p[0], p[1], p[2], p[3]]),
        "VALID" => [0; 4],
        "SAME_UPPER" | "SAME_LOWER" => {
            let mut pads = [0; 4];
            for (axis, size) in [h, w].into_iter().enumerate() {
                let out = size.div_ceil(stride[axis]);
                let total = ((out - 1) * stride[axis] + span(axis)).saturating_sub(size);
                let small = total / 2;
                let (begin, end) = if auto_pad == "SAME_UPPER" {
                    (small, total - small)
                } else {
                    (total - small, small)
                };
                pads[axis] = begin;
                pads[axis + 2] = end;
            }
            pads
        }
        other => return Err(n.error(format!("auto_pad `{other}` is not supported"))),
    };
    let mut out = [0; 2];
    for (axis, size) in [h, w].into_iter().enumerate() {
        let padded = size + pads[axis] + pads[axis + 2];
        if padded < span(axis) {
            return Err(n.error(format!(
                "kernel {kernel:?} does not fit the padded {h}x{w} input"
            )));
        }
        out[axis] = (padded - span(axis)) / stride[axis] + 1;
    }
    Ok((
        Window {
            kernel,
            stride,
            dilation,
            pads,
        },
        out,
    ))
}

impl Importer {
    /// The shape of feature map `t` as `[h, w, c]`, or an error naming `n`.
    fn map(&self, n: &NodeRef, t: TensorId) -> Result<[usize; 3], QuantError> {
        match self.tensors[t].shape[..] {
            [1, h, w, c] => Ok([h, w, c]),
            ref s => Err(n.error(format!("its input has shape {s:?}, not [1, C, H, W]"))),
        }
    }

    fn pending(&self, n: &NodeRef, shape: Vec<usize>, kind: PendingKind) -> Value {
        Value::Float(Pending {
            node: n.label.clone(),
            shape,
            kind,
        })
    }

    /// `MaxPool` or `AveragePool`.
    pub(super) fn pool(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let input = self.tensor(n, 0)?;
        let [h, w, c] = self.map(n, input)?;
        let kernel = match n.ints("kernel_shape")? {
            Some(&[a, b]) if (1..=MAX_WINDOW).contains(&a) && (1..=MAX_WINDOW).contains(&b) => {
                [a as usize, b as usize]
            }
            k => return Err(n.error(format!("kernel_shape {k:?} is not two sizes"))),
        };
        n.expect_int("ceil_mode", 0)?;
        let (window, [oh, ow]) = window(n, kernel, [h, w], false)?;
        let kind = if n.op() == "MaxPool" {
            n.expect_int("storage_order", 0)?;
            PendingKind::MaxPool { input, window }
        } else {
            let count_include_pad = match n.int("count_include_pad", 0)? {
                0 => false,
                1 => true,
                v => return Err(n.error(format!("count_include_pad is {v}, expected 0 or 1"))),
            };
            PendingKind::AvgPool {
                input,
                window,
                count_include_pad,
            }
        };
        Ok(self.pending(n, vec![1, oh, ow, c], kind))
    }

    /// `GlobalAveragePool` to `[1, C, 1, 1]`.
    pub(super) fn global_pool(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let input = self.tensor(n, 0)?;
        let [_, _, c] = self.map(n, input)?;
        Ok(self.pending(n, vec![1, 1, 1, c], PendingKind::GlobalAvgPool { input }))
    }

    /// `Concat` of feature maps along channels.
    pub(super) fn concat(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let count = n.node.input.len();
        if count == 0 {
            return Err(n.error("has no inputs"));
        }
        let inputs = (0..count)
            .map(|k| self.tensor(n, k))
            .collect::<Result<Vec<_>, _>>()?;
        let [h, w, _] = self.map(n, inputs[0])?;
        let axis = n.int("axis", i64::MIN)?;
        if normalise_axis(axis, 4) != Some(1) {
            return Err(n.error(format!("axis {axis} is not the channel axis 1")));
        }
        let mut channels = 0;
        for &t in &inputs {
            let [th, tw, c] = self.map(n, t)?;
            if (th, tw) != (h, w) {
                return Err(n.error(format!(
                    "concatenates {h}x{w} and {th}x{tw} maps; sizes must match"
                )));
            }
            channels += c;
        }
        Ok(self.pending(n, vec![1, h, w, channels], PendingKind::Concat { inputs }))
    }

    /// `Slice` of a channel range (step 1).
    pub(super) fn slice(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let input = self.tensor(n, 0)?;
        let [h, w, c] = self.map(n, input)?;
        let list = |k: usize, attr: &str| -> Result<Option<Vec<i64>>, QuantError> {
            if n.node.input.len() > 1 {
                self.const_ints(n, k)
            } else {
                Ok(n.ints(attr)?.map(<[i64]>::to_vec))
            }
        };
        let starts = list(1, "starts")?.ok_or_else(|| n.error("has no starts"))?;
        let ends = list(2, "ends")?.ok_or_else(|| n.error("has no ends"))?;
        let axes = list(3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
        let steps = list(4, "steps")?.unwrap_or_else(|| vec![1; starts.len()]);
        let (&[start], &[end], &[axis], &[1]) = (&starts[..], &ends[..], &axes[..], &steps[..])
        else {
            return Err(n.error(format!(
                "slices axes {axes:?} with steps {steps:?}; only one channel range with step 1 \
                 is supported"
            )));
        };
        if normalise_axis(axis, 4) != Some(1) {
            return Err(n.error(format!("slices axis {axis}, not the channel axis 1")));
        }
        let clamp = |v: i64| {
            let v = if v < 0 { v.saturating_add(c as i64) } else { v };
            v.clamp(0, c as i64) as usize
        };
        let (start, end) = (clamp(start), clamp(end));
        if end <= start {
            return Err(n.error(format!("the channel range {start}..{end} is empty")));
        }
        Ok(self.pending(
            n,
            vec![1, h, w, end - start],
            PendingKind::ChannelSlice { input, start },
        ))
    }

    /// `Reshape`: the first or last step of a channel shuffle, `[1, C, 1, 1]` to `[1, C]`, the
    /// NHWC flatten, or a no-op.
    pub(super) fn reshape(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let spec = self
            .const_ints(n, 1)?
            .ok_or_else(|| n.error("input 1 (the shape) is missing"))?;
        let allow_zero = n.int("allowzero", 0)? != 0;
        let x = n.required(0)?;
        match self.value(n, x)?.clone() {
            Value::Tensor(t) => {
                let shape = self.tensors[t].shape.clone();
                let from = match shape[..] {
                    [1, h, w, c] => vec![1, c, h, w],
                    _ => shape.clone(),
                };
                let to = resolve(n, &from, &spec, allow_zero)?;
                match (&from[..], &to[..]) {
                    (a, b) if a == b => Ok(Value::Tensor(t)),
                    (&[1, c, h, w], &[1, g, per, h2, w2])
                        if g > 1 && g * per == c && (h2, w2) == (h, w) =>
                    {
                        Ok(self.pending(
                            n,
                            shape,
                            PendingKind::Grouped {
                                input: t,
                                groups: g,
                            },
                        ))
                    }
                    (&[1, c, 1, 1], &[1, m]) if m == c => {
                        Ok(self.pending(n, vec![1, c], PendingKind::Reshape { input: t }))
                    }
                    _ => Err(n.error(format!(
                        "reshapes {from:?} to {to:?}; only a channel shuffle's [1, g, C/g, H, \
                         W] and flattening a [1, C, 1, 1] map are supported"
                    ))),
                }
            }
            Value::Float(p) => {
                let (input, groups) = match p.kind {
                    PendingKind::Transposed { input, groups } => (input, Some(groups)),
                    PendingKind::Nhwc { input } => (input, None),
                    _ => {
                        return Err(n.error(format!(
                            "reshapes the float output of {} `{}`",
                            p.kind.name(),
                            p.node
                        )))
                    }
                };
                let [h, w, c] = self.map(n, input)?;
                let (from, expected) = match groups {
                    Some(g) => (vec![1, c / g, g, h, w], vec![1, c, h, w]),
                    None => (vec![1, h, w, c], vec![1, h * w * c]),
                };
                let to = resolve(n, &from, &spec, allow_zero)?;
                if to != expected {
                    return Err(n.error(format!(
                        "reshapes the {} of `{}` to {to:?}; expected {expected:?}",
                        p.kind.name(),
                        p.node
                    )));
                }
                let (shape, kind) = match groups {
                    Some(groups) => (
                        vec![1, h, w, c],
                        PendingKind::ChannelShuffle { input, groups },
                    ),
                    None => (vec![1, h * w * c], PendingKind::Reshape { input }),
                };
                Ok(Value::Float(Pending {
                    node: p.node,
                    shape,
                    kind,
                }))
            }
            v => Err(n.error(format!("reshapes `{x}`, which is {}", v.describe()))),
        }
    }

    /// `Transpose`: the middle of a channel shuffle, or NCHW → NHWC before a flatten.
    pub(super) fn transpose(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let perm = n.ints("perm")?.unwrap_or(&[]).to_vec();
        let x = n.required(0)?;
        match self.value(n, x)?.clone() {
            Value::Float(Pending {
                node,
                shape,
                kind: PendingKind::Grouped { input, groups },
            }) if perm == [0, 2, 1, 3, 4] => Ok(Value::Float(Pending {
                node,
                shape,
                kind: PendingKind::Transposed { input, groups },
            })),
            Value::Tensor(t) if perm == [0, 2, 3, 1] && self.tensors[t].shape.len() == 4 => {
                let shape = self.tensors[t].shape.clone();
                Ok(self.pending(n, shape, PendingKind::Nhwc { input: t }))
            }
            v => Err(n.error(format!(
                "permutes {} with {perm:?}; only a channel shuffle's [0, 2, 1, 3, 4] and NCHW → \
                 NHWC [0, 2, 3, 1] before a flatten are supported",
                v.describe()
            ))),
        }
    }

    /// `Flatten` (axis 1) of a `[1, C, 1, 1]` map or of an NHWC-transposed map.
    pub(super) fn flatten(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        n.expect_int("axis", 1)?;
        let x = n.required(0)?;
        match self.value(n, x)?.clone() {
            Value::Tensor(t) => match self.tensors[t].shape[..] {
                [1, 1, 1, c] => Ok(self.pending(n, vec![1, c], PendingKind::Reshape { input: t })),
                [1, _] => Ok(Value::Tensor(t)),
                ref s => Err(n.error(format!(
                    "flattens a map of NHWC shape {s:?} in NCHW order; the int8 bytes are NHWC \
                     (a Transpose [0, 2, 3, 1] before the Flatten is supported)"
                ))),
            },
            Value::Float(Pending {
                node,
                shape,
                kind: PendingKind::Nhwc { input },
            }) => Ok(Value::Float(Pending {
                node,
                shape: vec![1, shape.iter().product()],
                kind: PendingKind::Reshape { input },
            })),
            v => Err(n.error(format!("flattens `{x}`, which is {}", v.describe()))),
        }
    }

    /// `Softmax` over the classes of `[1, N]` logits (axis 1 or −1): the int8 bytes are the
    /// same in NCHW and NHWC.
    pub(super) fn softmax(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let input = self.tensor(n, 0)?;
        let axis = n.int("axis", -1)?;
        match self.tensors[input].shape[..] {
            [1, c] if axis == 1 || axis == -1 => {
                Ok(self.pending(n, vec![1, c], PendingKind::Softmax { input }))
            }
            ref s => Err(n.error(format!(
                "Softmax on axis {axis} of a tensor of NHWC shape {s:?}; only the classes of \
                 [1, N] logits are supported"
            ))),
        }
    }
}

/// The target shape of a Reshape of `from` with ONNX's `0` (copy) and `-1` (infer).
fn resolve(
    n: &NodeRef,
    from: &[usize],
    spec: &[i64],
    allow_zero: bool,
) -> Result<Vec<usize>, QuantError> {
    let total: usize = from.iter().product();
    let bad = || n.error(format!("shape {spec:?} does not fit {from:?}"));
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        match d {
            0 if !allow_zero => out.push(*from.get(i).ok_or_else(bad)?),
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            d if (0..=1 << 32).contains(&d) => out.push(d as usize),
            _ => return Err(bad()),
        }
    }
    let known = out
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(bad)?;
    if let Some(i) = infer {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(bad());
        }
        out[i] = total / known;
    } else if known != total {
        return Err(bad());
    }
    Ok(out)
}
