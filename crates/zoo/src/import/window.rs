//! Spatial operators: Conv (with Pad folding), BatchNormalization, pooling, ReduceMean.

use crate::builder::{Conv, Padding, Pool, Value};
use crate::graph::Pads;

use super::node::{normalise_axis, NodeCtx};
use super::{ImportError, Importer, Item, MAX_DIM};

/// Stride, dilation and resolved padding of a 2-D window.
struct Window {
    stride: [usize; 2],
    dilation: [usize; 2],
    pads: Pads,
}

impl Importer<'_> {
    /// A 4-D data input with any zero padding a Pad left pending for it.
    fn padded_input(&self, n: &NodeCtx) -> Result<(Value, Pads), ImportError> {
        let (x, pads) = match self.item(n, 0)? {
            Item::Padded(x, pads) => (x, pads),
            _ => (self.value(n, 0)?, [0; 4]),
        };
        if self.b.shape(x).len() != 4 {
            return Err(n.error(format!(
                "input has shape {:?}; only 2-D (NCHW) windows are supported",
                self.b.shape(x)
            )));
        }
        Ok((x, pads))
    }

    /// Reads `strides`, `dilations`, `pads` and `auto_pad` for a `kernel` on a `size` map.
    fn window(
        &self,
        n: &NodeCtx,
        size: [usize; 2],
        kernel: [usize; 2],
        extra: Pads,
    ) -> Result<Window, ImportError> {
        let stride = pair(n, "strides")?;
        let dilation = pair(n, "dilations")?;
        let explicit = match n.ints("pads")? {
            None => [0; 4],
            Some(p) if p.len() == 4 && p.iter().all(|v| (0..=MAX_DIM).contains(v)) => {
                [p[0] as usize, p[1] as usize, p[2] as usize, p[3] as usize]
            }
            Some(p) => {
                return Err(n.attr_error(
                    "pads",
                    format!("is {p:?}; expected four values in 0..={MAX_DIM}"),
                ))
            }
        };
        let auto = n.string("auto_pad", "NOTSET")?;
        let mut pads = match auto.as_str() {
            "NOTSET" | "" => explicit,
            "VALID" => [0; 4],
            "SAME_UPPER" | "SAME_LOWER" => {
                if extra != [0; 4] {
                    return Err(n.attr_error(
                        "auto_pad",
                        format!("is {auto} on the output of a Pad, which is not supported"),
                    ));
                }
                same_pads(size, kernel, stride, dilation, auto == "SAME_UPPER")
            }
            other => return Err(n.attr_error("auto_pad", format!("is {other}, unknown"))),
        };
        for (p, e) in pads.iter_mut().zip(extra) {
            *p += e;
        }
        Ok(Window {
            stride,
            dilation,
            pads,
        })
    }

    /// `Conv`: 2-D, constant weight `[out, in/group, kh, kw]`, optional constant bias.
    pub(super) fn conv(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let (x, extra) = self.padded_input(n)?;
        let w = self.floats(n, 1)?;
        if w.dims.len() != 4 {
            return Err(n.error(format!(
                "weight `{}` has shape {:?}; only 2-D convolutions are supported",
                w.name, w.dims
            )));
        }
        let (out, kernel) = (w.dims[0], [w.dims[2], w.dims[3]]);
        if let Some(k) = n.ints("kernel_shape")? {
            if k.len() != 2 || k[0] != kernel[0] as i64 || k[1] != kernel[1] as i64 {
                return Err(n.attr_error(
                    "kernel_shape",
                    format!("is {k:?}, the weight is {:?}", w.dims),
                ));
            }
        }
        if kernel.contains(&0) || out == 0 {
            return Err(n.error(format!("weight `{}` has shape {:?}", w.name, w.dims)));
        }
        let group = n.int("group", 1)?;
        let cin = self.b.channels(x);
        if group < 1 || group > cin as i64 {
            return Err(n.attr_error("group", format!("is {group}, the input has {cin} channels")));
        }
        let group = group as usize;
        if w.dims[1] * group != cin || out % group != 0 {
            return Err(n.error(format!(
                "weight `{}` {:?} with {group} group(s) does not fit a {cin}-channel input",
                w.name, w.dims
            )));
        }
        let bias = match self.input_name(n, 2) {
            Some(_) => {
                let b = self.floats(n, 2)?;
                if b.data.len() != out {
                    return Err(n.error(format!(
                        "bias `{}` has shape {:?}, the convolution has {out} outputs",
                        b.name, b.dims
                    )));
                }
                Some(b)
            }
            None => None,
        };
        let win = self.window(n, self.b.spatial(x), kernel, extra)?;
        let mut params = vec![(self.own_initializer(n, 1), "weight")];
        if bias.is_some() {
            params.push((self.own_initializer(n, 2), "bias"));
        }
        let base = self.param_base(n, &params);
        let conv = Conv {
            out,
            kernel,
            stride: win.stride,
            padding: Padding::Explicit(win.pads),
            dilation: win.dilation,
            groups: group,
            bias: bias.is_some(),
        };
        let y = self.b.conv(&base, x, conv);
        self.store(&base, "weight", w.dims, w.data);
        if let Some(b) = bias {
            self.store(&base, "bias", vec![out], b.data);
        }
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `Pad` with zeros on H and W, folded into the convolutions that read it.
    pub(super) fn pad(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let mode = n.string("mode", "constant")?;
        if mode != "constant" {
            return Err(n.attr_error("mode", format!("is {mode}; only zero padding is supported")));
        }
        let (pads, value) = if self.opset < 11 {
            let pads = n
                .ints("pads")?
                .ok_or_else(|| n.error("the `pads` attribute is missing"))?
                .to_vec();
            (pads, n.float("value", 0.0)?)
        } else {
            if self.input_name(n, 3).is_some() {
                return Err(n.error("the `axes` input is not supported"));
            }
            let value = match self.input_name(n, 2) {
                Some(_) => self.scalar(n, 2)?,
                None => 0.0,
            };
            (self.ints(n, 1)?, value)
        };
        if value != 0.0 {
            return Err(n.error(format!("pads with {value}; only zero padding is supported")));
        }
        let readers = self.readers_of(n, 0);
        let all_convs = readers.iter().all(|&r| {
            r != usize::MAX && {
                let c = &self.nodes[r];
                c.op_type == "Conv" && c.input.first() == n.node.output.first()
            }
        });
        if !all_convs {
            return Err(n.error("only a Pad whose output feeds convolutions only is supported"));
        }
        let (x, before) = self.padded_input(n)?;
        let ok = pads.len() == 8
            && [0, 1, 4, 5].iter().all(|&i| pads[i] == 0)
            && pads.iter().all(|p| (0..=MAX_DIM).contains(p));
        if !ok {
            return Err(n.error(format!(
                "pads {pads:?}: only non-negative padding of H and W is supported"
            )));
        }
        let p = |i: usize| pads[i] as usize;
        let total = [
            before[0] + p(2),
            before[1] + p(3),
            before[2] + p(6),
            before[3] + p(7),
        ];
        self.define(n, 0, Item::Padded(x, total));
        Ok(())
    }

    /// `BatchNormalization` in inference mode with constant statistics.
    pub(super) fn batch_norm(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        if n.flag("training_mode", false)? {
            return Err(n.attr_error("training_mode", "is 1; only inference is supported"));
        }
        if !n.flag("spatial", true)? {
            return Err(n.attr_error("spatial", "is 0; only per-channel statistics are supported"));
        }
        self.only_first_output_used(n)?;
        let x = self.value(n, 0)?;
        let shape = self.b.shape(x).to_vec();
        if shape.len() < 2 {
            return Err(n.error(format!("input has shape {shape:?}; it needs channels")));
        }
        let c = shape[1];
        const SUFFIXES: [&str; 4] = ["weight", "bias", "running_mean", "running_var"];
        let mut tensors = Vec::with_capacity(4);
        for i in 1..=4 {
            let t = self.floats(n, i)?;
            if t.data.len() != c {
                return Err(n.error(format!(
                    "`{}` has shape {:?}, the input has {c} channels",
                    t.name, t.dims
                )));
            }
            tensors.push(t);
        }
        let params: Vec<_> = (1..=4)
            .map(|i| (self.own_initializer(n, i), SUFFIXES[i - 1]))
            .collect();
        let base = self.param_base(n, &params);
        let y = self.b.batch_norm(&base, x, n.float("epsilon", 1e-5)?);
        for (t, suffix) in tensors.into_iter().zip(SUFFIXES) {
            self.store(&base, suffix, vec![c], t.data);
        }
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `MaxPool` and `AveragePool` over H and W.
    pub(super) fn pool(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        self.only_first_output_used(n)?;
        let x = self.value_of_rank(n, 0, 4)?;
        let kernel = match n.ints("kernel_shape")? {
            Some(k) if k.len() == 2 && k.iter().all(|v| (1..=MAX_DIM).contains(v)) => {
                [k[0] as usize, k[1] as usize]
            }
            other => {
                return Err(n.attr_error(
                    "kernel_shape",
                    format!("is {other:?}; expected two sizes in 1..={MAX_DIM}"),
                ))
            }
        };
        let win = self.window(n, self.b.spatial(x), kernel, [0; 4])?;
        if win.dilation != [1, 1] {
            return Err(n.attr_error("dilations", "must be 1 for pooling"));
        }
        let pool = Pool {
            kernel,
            stride: win.stride,
            padding: Padding::Explicit(win.pads),
            ceil_mode: n.flag("ceil_mode", false)?,
            count_include_pad: n.flag("count_include_pad", false)?,
        };
        let scope = self.scope(n);
        let y = if n.op() == "MaxPool" {
            if n.int("storage_order", 0)? != 0 {
                return Err(n.attr_error("storage_order", "must be 0"));
            }
            self.b.scope(scope, |b| b.max_pool(x, pool))
        } else {
            self.b.scope(scope, |b| b.avg_pool(x, pool))
        };
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `GlobalAveragePool` of an NCHW tensor.
    pub(super) fn global_avg_pool(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let x = self.value_of_rank(n, 0, 4)?;
        let y = self.b.scope(self.scope(n), |b| b.global_avg_pool(x));
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `ReduceMean` over exactly H and W: a global average pool, flattened without `keepdims`.
    pub(super) fn reduce_mean(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let x = self.value_of_rank(n, 0, 4)?;
        let axes = if self.opset < 18 {
            n.ints("axes")?.map(<[i64]>::to_vec)
        } else if self.input_name(n, 1).is_some() {
            Some(self.ints(n, 1)?)
        } else {
            None
        };
        let mut axes: Vec<Option<usize>> = axes
            .unwrap_or_default()
            .iter()
            .map(|&a| normalise_axis(a, 4))
            .collect();
        axes.sort_unstable();
        if axes != [Some(2), Some(3)] {
            return Err(n.error("only a mean over axes [2, 3] (H and W) is supported"));
        }
        let keep = n.flag("keepdims", true)?;
        let y = self.b.scope(self.scope(n), |b| {
            let g = b.global_avg_pool(x);
            if keep {
                g
            } else {
                b.flatten(g)
            }
        });
        self.define(n, 0, Item::Value(y));
        Ok(())
    }
}

/// A two-value window attribute (default 1, 1), each in `1..=MAX_DIM`.
fn pair(n: &NodeCtx, name: &str) -> Result<[usize; 2], ImportError> {
    match n.ints(name)? {
        None => Ok([1, 1]),
        Some(v) if v.len() == 2 && v.iter().all(|x| (1..=MAX_DIM).contains(x)) => {
            Ok([v[0] as usize, v[1] as usize])
        }
        Some(v) => Err(n.attr_error(
            name,
            format!("is {v:?}; expected two values in 1..={MAX_DIM}"),
        )),
    }
}

/// ONNX `SAME_UPPER` / `SAME_LOWER`: the output is `ceil(size / stride)`; an odd total
/// padding puts the extra pixel at the end (upper) or the start (lower).
fn same_pads(
    size: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    upper: bool,
) -> Pads {
    let total = |i: usize| {
        let out = size[i].div_ceil(stride[i]);
        ((out.max(1) - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1).saturating_sub(size[i])
    };
    let (th, tw) = (total(0), total(1));
    let (small_h, small_w) = (th / 2, tw / 2);
    if upper {
        [small_h, small_w, th - small_h, tw - small_w]
    } else {
        [th - small_h, tw - small_w, small_h, small_w]
    }
}
