//! Layout operators: Flatten, Reshape, Squeeze / Unsqueeze, Transpose, Concat, Slice, Split.
//!
//! Every computed tensor keeps batch 1 as its first axis and rank ≥ 2, as the zoo IR does.

use std::rc::Rc;

use super::node::{normalise_axis, NodeCtx};
use super::proto::Tensor;
use super::{ImportError, Importer, Item};

impl Importer<'_> {
    /// The shape of a computed tensor or constant input.
    fn item_shape(&self, n: &NodeCtx, item: &Item) -> Result<Vec<usize>, ImportError> {
        match item {
            Item::Value(v) => Ok(self.b.shape(*v).to_vec()),
            Item::Const(t) => Ok(t.dims.clone()),
            Item::Padded(..) => {
                Err(n.error("the input comes from a Pad that does not feed a convolution"))
            }
        }
    }

    /// Defines the node's output as `item` reshaped to `to`: a Reshape node for a computed
    /// tensor (none when the shape does not change), a new shape for a constant.
    fn reshape_to(&mut self, n: &NodeCtx, item: Item, to: Vec<usize>) -> Result<(), ImportError> {
        let out = match item {
            Item::Value(v) if self.b.shape(v) == to.as_slice() => Item::Value(v),
            Item::Value(v) => {
                if to.len() < 2 || to[0] != 1 {
                    return Err(n.error(format!(
                        "the result {to:?} does not keep batch 1 as its first axis (rank ≥ 2)"
                    )));
                }
                Item::Value(self.b.scope(self.scope(n), |b| b.reshape(v, &to)))
            }
            Item::Const(t) => Item::Const(Rc::new(Tensor {
                dims: to,
                data: t.data.clone(),
                dtype: t.dtype,
            })),
            Item::Padded(..) => {
                return Err(n.error("the input comes from a Pad that does not feed a convolution"))
            }
        };
        self.define(n, 0, out);
        Ok(())
    }

    /// `Flatten` at `axis` to `[prod(shape[..axis]), prod(shape[axis..])]`.
    pub(super) fn flatten(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let item = self.item(n, 0)?;
        let shape = self.item_shape(n, &item)?;
        let axis = n.int("axis", 1)?;
        let axis = normalise_axis(axis, shape.len() + 1)
            .filter(|_| axis >= -(shape.len() as i64))
            .ok_or_else(|| {
                n.attr_error("axis", format!("is {axis}, out of range for {shape:?}"))
            })?;
        let to = vec![
            shape[..axis].iter().product(),
            shape[axis..].iter().product(),
        ];
        match item {
            Item::Value(x) if axis == 1 && shape.len() > 2 => {
                let y = self.b.scope(self.scope(n), |b| b.flatten(x));
                self.define(n, 0, Item::Value(y));
                Ok(())
            }
            item => self.reshape_to(n, item, to),
        }
    }

    /// `Reshape` to a constant shape (`0` copies an input dimension, `-1` is inferred).
    pub(super) fn reshape(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let item = self.item(n, 0)?;
        let from = self.item_shape(n, &item)?;
        let spec = if self.opset < 5 {
            n.ints("shape")?
                .ok_or_else(|| n.error("the `shape` attribute is missing"))?
                .to_vec()
        } else {
            self.ints(n, 1)?
        };
        let allow_zero = n.flag("allowzero", false)?;
        let to = resolve_shape(&from, &spec, allow_zero).map_err(|m| n.error(m))?;
        self.reshape_to(n, item, to)
    }

    /// `Squeeze` / `Unsqueeze` as reshapes.
    pub(super) fn squeeze(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let item = self.item(n, 0)?;
        let from = self.item_shape(n, &item)?;
        let axes = if self.opset < 13 {
            n.ints("axes")?.map(<[i64]>::to_vec)
        } else if self.input_name(n, 1).is_some() {
            Some(self.ints(n, 1)?)
        } else {
            None
        };
        let squeeze = n.op() == "Squeeze";
        let rank = if squeeze {
            from.len()
        } else {
            from.len() + axes.as_ref().map_or(0, Vec::len)
        };
        let mut axes: Vec<usize> = match axes {
            Some(a) => a
                .iter()
                .map(|&x| normalise_axis(x, rank))
                .collect::<Option<_>>()
                .ok_or_else(|| n.error(format!("axes {a:?} are out of range")))?,
            None if squeeze => (0..rank).filter(|&i| from[i] == 1).collect(),
            None => return Err(n.error("Unsqueeze needs axes")),
        };
        axes.sort_unstable();
        axes.dedup();
        let to: Vec<usize> = if squeeze {
            if axes.iter().any(|&a| from[a] != 1) {
                return Err(n.error(format!("cannot squeeze axes {axes:?} of {from:?}")));
            }
            (0..rank)
                .filter(|i| !axes.contains(i))
                .map(|i| from[i])
                .collect()
        } else {
            let mut rest = from.iter();
            (0..rank)
                .map(|i| {
                    if axes.contains(&i) {
                        1
                    } else {
                        *rest.next().unwrap_or(&1)
                    }
                })
                .collect()
        };
        self.reshape_to(n, item, to)
    }

    /// `Transpose` of a computed tensor that keeps the batch axis first.
    pub(super) fn transpose(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let x = self.value(n, 0)?;
        let rank = self.b.shape(x).len();
        let perm: Vec<usize> = match n.ints("perm")? {
            None => (0..rank).rev().collect(),
            Some(p) => p
                .iter()
                .map(|&v| usize::try_from(v).unwrap_or(usize::MAX))
                .collect(),
        };
        let mut sorted = perm.clone();
        sorted.sort_unstable();
        if sorted != (0..rank).collect::<Vec<_>>() || perm[0] != 0 {
            return Err(n.attr_error(
                "perm",
                format!("is {perm:?}; expected a permutation of 0..{rank} that keeps axis 0 first"),
            ));
        }
        let y = self.b.scope(self.scope(n), |b| b.transpose(x, &perm));
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `Concat` of computed tensors along the channel axis (of constants: folded).
    pub(super) fn concat(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let count = n.node.input.len();
        if count == 0 {
            return Err(n.error("has no inputs"));
        }
        let constant = |i| matches!(self.item(n, i), Ok(Item::Const(_)));
        if (0..count).all(constant) {
            return self.concat_constants(n);
        }
        let xs = (0..count)
            .map(|i| self.value(n, i))
            .collect::<Result<Vec<_>, _>>()?;
        let rank = self.b.shape(xs[0]).len();
        if let Some(x) = xs.iter().find(|&&x| self.b.shape(x).len() != rank) {
            return Err(n.error(format!(
                "inputs have different ranks ({:?} and {:?})",
                self.b.shape(xs[0]),
                self.b.shape(*x)
            )));
        }
        if n.axis("axis", i64::MAX, rank)? != 1 {
            return Err(n.attr_error("axis", "must be the channel axis 1"));
        }
        let y = self.b.scope(self.scope(n), |b| b.concat(&xs));
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `Slice` with step 1 on any axes but the batch.
    pub(super) fn slice(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let x = self.value(n, 0)?;
        let shape = self.b.shape(x).to_vec();
        let (starts, ends, axes, steps) = if self.opset < 10 {
            let get = |name: &str| -> Result<Option<Vec<i64>>, ImportError> {
                Ok(n.ints(name)?.map(<[i64]>::to_vec))
            };
            let starts = get("starts")?.ok_or_else(|| n.error("`starts` is missing"))?;
            let ends = get("ends")?.ok_or_else(|| n.error("`ends` is missing"))?;
            (starts, ends, get("axes")?, None)
        } else {
            let opt = |i: usize| -> Result<Option<Vec<i64>>, ImportError> {
                match self.input_name(n, i) {
                    Some(_) => self.ints(n, i).map(Some),
                    None => Ok(None),
                }
            };
            (self.ints(n, 1)?, self.ints(n, 2)?, opt(3)?, opt(4)?)
        };
        let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).collect());
        let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
        if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
            return Err(n.error("starts, ends, axes and steps have different lengths"));
        }
        let mut y = x;
        let mut seen = Vec::new();
        for i in 0..starts.len() {
            let axis = normalise_axis(axes[i], shape.len())
                .filter(|a| !seen.contains(a))
                .ok_or_else(|| n.error(format!("axes {axes:?} are out of range or repeated")))?;
            seen.push(axis);
            if steps[i] != 1 {
                return Err(n.error(format!("step {} is not supported (only 1)", steps[i])));
            }
            let dim = shape[axis];
            let (start, end) = (clamp_index(starts[i], dim), clamp_index(ends[i], dim));
            if start == 0 && end == dim {
                continue;
            }
            if start >= end || axis == 0 {
                return Err(n.error(format!(
                    "slice {start}..{end} of axis {axis} (size {dim}) is empty or cuts the batch"
                )));
            }
            y = self
                .b
                .scope(self.scope(n), |b| b.slice(y, axis, start, end));
        }
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `Split` into slices along an axis other than the batch; unused parts are not emitted.
    pub(super) fn split(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let x = self.value(n, 0)?;
        let shape = self.b.shape(x).to_vec();
        let axis = n.axis("axis", 0, shape.len())?;
        if axis == 0 {
            return Err(n.attr_error("axis", "is the batch axis"));
        }
        let dim = shape[axis];
        let parts = n.node.output.len();
        let sizes: Vec<i64> = if self.opset < 13 {
            n.ints("split")?.map(<[i64]>::to_vec).unwrap_or_default()
        } else if self.input_name(n, 1).is_some() {
            self.ints(n, 1)?
        } else {
            Vec::new()
        };
        let sizes: Vec<usize> = if sizes.is_empty() {
            // Equal parts; opset 18 lets the last one be smaller.
            let chunk = dim.div_ceil(parts.max(1));
            (0..parts)
                .map(|i| chunk.min(dim.saturating_sub(i * chunk)))
                .collect()
        } else {
            sizes
                .iter()
                .map(|&s| usize::try_from(s).unwrap_or(usize::MAX))
                .collect()
        };
        let total = sizes.iter().try_fold(0usize, |a, &s| a.checked_add(s));
        if sizes.len() != parts || total != Some(dim) {
            return Err(n.error(format!(
                "split sizes {sizes:?} do not divide axis {axis} of size {dim} into {parts} parts"
            )));
        }
        let mut start = 0;
        for (i, size) in sizes.into_iter().enumerate() {
            let end = start + size;
            if !self.readers_of(n, i).is_empty() {
                if size == 0 {
                    return Err(n.error(format!("output {i} is empty")));
                }
                let y = if size == dim {
                    x
                } else {
                    self.b
                        .scope(self.scope(n), |b| b.slice(x, axis, start, end))
                };
                self.define(n, i, Item::Value(y));
            }
            start = end;
        }
        Ok(())
    }
}

/// A Slice bound: negative counts from the end, then clamped to `[0, dim]`.
fn clamp_index(v: i64, dim: usize) -> usize {
    let d = dim as i64;
    let v = if v < 0 { v.saturating_add(d) } else { v };
    v.clamp(0, d) as usize
}

/// The target of a Reshape: `0` copies the input dimension (unless `allow_zero`), one `-1` is
/// inferred.
fn resolve_shape(from: &[usize], spec: &[i64], allow_zero: bool) -> Result<Vec<usize>, String> {
    let total: usize = from.iter().product();
    let mut to = Vec::with_capacity(spec.len());
    let mut inferred = None;
    for (i, &d) in spec.iter().enumerate() {
        match d {
            0 if !allow_zero => {
                to.push(*from.get(i).ok_or_else(|| {
                    format!("shape {spec:?} copies axis {i}, the input is {from:?}")
                })?)
            }
            -1 if inferred.is_none() => {
                inferred = Some(i);
                to.push(1);
            }
            d if d > 0 => {
                to.push(usize::try_from(d).map_err(|_| format!("size {d} is too large"))?)
            }
            _ => return Err(format!("shape {spec:?} is not supported")),
        }
    }
    let known = to
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("shape {spec:?} is too large"))?;
    if let Some(i) = inferred {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(format!("cannot reshape {from:?} to {spec:?}"));
        }
        to[i] = total / known;
    } else if known != total {
        return Err(format!(
            "cannot reshape {from:?} ({total} values) to {spec:?}"
        ));
    }
    Ok(to)
}
