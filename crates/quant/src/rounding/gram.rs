//! The second moments of each layer's int8 input patches, `E[x̃ x̃ᵀ]` per group, measured
//! on the int8 runtime: what learned rounding minimises the output error against.
//!
//! A patch is what one output position of one group of a convolution reads, in the order of
//! the float weights (`[in / groups, kh, kw]`), as `q − zero_point` (padding is a real zero);
//! a fully connected layer's patch is its whole input in the float weights' column order.
//! Each image adds at most [`POSITIONS_PER_IMAGE`] output positions per layer, spread evenly
//! over the map, so a large early layer costs no more than a small late one.

use std::collections::HashMap;

use tract_onnx::prelude::tract_ndarray::{Array2, ArrayView2};

use crate::quant_plan::{PlannedOp, QuantPlan};
use edgebone_compiler::qgraph::{TensorId, Window};

/// Output positions sampled per image and layer.
pub const POSITIONS_PER_IMAGE: usize = 256;

/// Accumulated `Σ p pᵀ` of one layer's input patches, one `k × k` block per group.
#[derive(Clone, Debug, PartialEq)]
pub struct Gram {
    pub groups: usize,
    /// Patch length of one group.
    pub k: usize,
    /// `groups` row-major `k × k` blocks.
    pub sums: Vec<f64>,
    /// Patches added per group.
    pub samples: u64,
}

impl Gram {
    fn new(groups: usize, k: usize) -> Self {
        Gram {
            groups,
            k,
            sums: vec![0.0; groups * k * k],
            samples: 0,
        }
    }

    /// Group `g`'s `k × k` block.
    pub fn block(&self, g: usize) -> &[f64] {
        &self.sums[g * self.k * self.k..(g + 1) * self.k * self.k]
    }

    /// Adds the outer products of the rows of `patches` (`n × k`) to group `g`'s block.
    pub fn add_rows(&mut self, g: usize, patches: ArrayView2<f32>) {
        let h = patches.t().dot(&patches);
        let k = self.k;
        let block = &mut self.sums[g * k * k..(g + 1) * k * k];
        for (b, v) in block.iter_mut().zip(h.iter()) {
            *b += f64::from(*v);
        }
    }

    /// Adds `other` (same layer, measured on other images).
    pub fn merge(&mut self, other: &Gram) {
        self.sums
            .iter_mut()
            .zip(&other.sums)
            .for_each(|(a, b)| *a += b);
        self.samples += other.samples;
    }
}

/// How one layer reads its input tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerInput {
    /// The float graph node of the layer.
    pub node: usize,
    pub input: TensorId,
    /// NHWC `[H, W, C]` of the input.
    pub hwc: [usize; 3],
    pub shape: Patch,
}

/// The patch geometry of a layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Patch {
    Conv {
        window: Window,
        groups: usize,
    },
    /// The whole input; `flattened` is the float `[C, H, W]` order of its columns.
    Dense {
        flattened: Option<[usize; 3]>,
    },
}

impl LayerInput {
    /// Every convolution and fully connected layer of `plan`.
    pub fn of_plan(plan: &QuantPlan) -> Vec<LayerInput> {
        let hwc = |t: TensorId| match plan.tensors[t].shape[..] {
            [_, h, w, c] => [h, w, c],
            [_, n] => [1, 1, n],
            _ => [1, 1, plan.tensors[t].shape.iter().product()],
        };
        plan.steps
            .iter()
            .filter_map(|s| match *s {
                PlannedOp::Conv {
                    node,
                    input,
                    window,
                    groups,
                    ..
                } => Some(LayerInput {
                    node,
                    input,
                    hwc: hwc(input),
                    shape: Patch::Conv { window, groups },
                }),
                PlannedOp::FullyConnected {
                    node,
                    input,
                    flattened,
                    ..
                } => Some(LayerInput {
                    node,
                    input,
                    hwc: hwc(input),
                    shape: Patch::Dense { flattened },
                }),
                _ => None,
            })
            .collect()
    }

    /// An empty accumulator of this layer's patches.
    pub fn gram(&self) -> Gram {
        let [_, _, c] = self.hwc;
        match self.shape {
            Patch::Conv { window, groups } => {
                let g = groups.max(1);
                Gram::new(g, c / g * window.kernel[0] * window.kernel[1])
            }
            Patch::Dense { .. } => Gram::new(1, self.hwc.iter().product()),
        }
    }

    /// Adds the patches of input `values` (int8 NHWC, zero point `zp`) of image `image`.
    pub fn accumulate(&self, gram: &mut Gram, values: &[i8], zp: i32, image: usize) {
        let [h, w, c] = self.hwc;
        if values.len() != h * w * c {
            return;
        }
        let x = |i: usize| (i32::from(values[i]) - zp) as f32;
        match self.shape {
            Patch::Dense { flattened } => {
                let mut row = Array2::<f32>::zeros((1, gram.k));
                for (i, v) in row.iter_mut().enumerate() {
                    // Column i of the float weights reads NHWC element `nhwc(i)`.
                    let at = match flattened {
                        Some([fc, fh, fw]) => {
                            let (ch, y, xx) = (i / (fh * fw), (i / fw) % fh, i % fw);
                            (y * fw + xx) * fc + ch
                        }
                        None => i,
                    };
                    *v = x(at);
                }
                gram.add_rows(0, row.view());
                gram.samples += 1;
            }
            Patch::Conv { window, groups } => {
                let positions = sample_positions(out_size(self.hwc, &window), image);
                let g = groups.max(1);
                let cg = c / g;
                let [kh, kw] = window.kernel;
                let mut rows = Array2::<f32>::zeros((positions.len(), gram.k));
                for group in 0..g {
                    for (r, &(oy, ox)) in positions.iter().enumerate() {
                        let mut row = rows.row_mut(r);
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let at = tap(&window, [h, w], [oy, ox], [ky, kx]);
                                for i in 0..cg {
                                    row[(i * kh + ky) * kw + kx] = match at {
                                        Some((y, xx)) => x((y * w + xx) * c + group * cg + i),
                                        None => 0.0,
                                    };
                                }
                            }
                        }
                    }
                    gram.add_rows(group, rows.view());
                }
                gram.samples += positions.len() as u64;
            }
        }
    }
}

/// The output `[H, W]` of a convolution with `window` on an `[H, W, C]` input.
fn out_size([h, w, _]: [usize; 3], window: &Window) -> [usize; 2] {
    let dim = |size: usize, i: usize| {
        let span = window.dilation[i] * (window.kernel[i] - 1) + 1;
        let padded = size + window.pads[i] + window.pads[i + 2];
        if padded < span {
            0
        } else {
            (padded - span) / window.stride[i] + 1
        }
    };
    [dim(h, 0), dim(w, 1)]
}

/// The input pixel tap `[ky, kx]` of output `[oy, ox]` reads, or `None` in the padding.
fn tap(
    window: &Window,
    [h, w]: [usize; 2],
    [oy, ox]: [usize; 2],
    [ky, kx]: [usize; 2],
) -> Option<(usize, usize)> {
    let y = (oy * window.stride[0] + ky * window.dilation[0]).checked_sub(window.pads[0])?;
    let x = (ox * window.stride[1] + kx * window.dilation[1]).checked_sub(window.pads[1])?;
    (y < h && x < w).then_some((y, x))
}

/// At most [`POSITIONS_PER_IMAGE`] output positions of an `[H, W]` map, evenly spaced,
/// shifted with the image so that different images cover different positions.
fn sample_positions([h, w]: [usize; 2], image: usize) -> Vec<(usize, usize)> {
    let total = h * w;
    let n = total.min(POSITIONS_PER_IMAGE);
    if n == 0 {
        return Vec::new();
    }
    let step = total / n;
    let offset = image % step;
    (0..n)
        .map(|j| {
            let p = (j * step + offset) % total;
            (p / w, p % w)
        })
        .collect()
}

/// Every layer's accumulator, keyed by float node.
pub type Grams = HashMap<usize, Gram>;

#[cfg(test)]
mod tests {
    use super::*;

    fn window(k: usize, stride: usize, pad: usize) -> Window {
        Window {
            kernel: [k, k],
            stride: [stride, stride],
            dilation: [1, 1],
            pads: [pad; 4],
        }
    }

    /// A 3x3 convolution's patches follow the OIHW order, with zeros in the padding.
    #[test]
    fn conv_patches() {
        let layer = LayerInput {
            node: 0,
            input: 0,
            hwc: [2, 2, 1],
            shape: Patch::Conv {
                window: window(3, 1, 1),
                groups: 1,
            },
        };
        let mut g = layer.gram();
        assert_eq!((g.groups, g.k), (1, 9));
        // Values 1..4 with zero point 1 are 0..3.
        layer.accumulate(&mut g, &[1, 2, 3, 4], 1, 0);
        assert_eq!(g.samples, 4);
        // The centre tap sees every pixel once: Σ x² = 0 + 1 + 4 + 9.
        assert_eq!(g.block(0)[4 * 9 + 4], 14.0);
        // The corner tap (0, 0) only sees pixel (0, 0) from output (1, 1).
        assert_eq!(g.block(0)[0], 0.0);
        // The opposite corner (2, 2) only sees pixel (1, 1) from output (0, 0).
        assert_eq!(g.block(0)[8 * 9 + 8], 9.0);
    }

    /// A flattened map's columns are read in the float NCHW order.
    #[test]
    fn dense_columns() {
        let layer = LayerInput {
            node: 0,
            input: 0,
            hwc: [1, 2, 2],
            shape: Patch::Dense {
                flattened: Some([2, 1, 2]),
            },
        };
        let mut g = layer.gram();
        // NHWC x0c0 = 1, x0c1 = 2, x1c0 = 3, x1c1 = 4; NCHW columns: 1, 3, 2, 4.
        layer.accumulate(&mut g, &[1, 2, 3, 4], 0, 0);
        let diag: Vec<f64> = (0..4).map(|i| g.block(0)[i * 4 + i]).collect();
        assert_eq!(diag, [1.0, 9.0, 4.0, 16.0]);
    }

    #[test]
    fn positions_are_spread() {
        assert_eq!(sample_positions([2, 2], 3).len(), 4);
        let p = sample_positions([112, 112], 1);
        assert_eq!(p.len(), POSITIONS_PER_IMAGE);
        assert!(p.iter().any(|&(y, _)| y > 100));
    }
}
