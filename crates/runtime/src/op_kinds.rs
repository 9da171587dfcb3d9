//! The kinds of work an inference is broken into (feature `std`), and which kind every op of
//! a compiled model is: read from the `.ebm` (op code, kernel size, channels, MACs from the
//! op table), never from a run. `cargo xtask bench-boards` sums the firmware's instruction
//! counts by these kinds and `edgebone bench` the host's time.
//!
//! - stem: the model's first convolution;
//! - 1x1 expand / 1x1 project: other 1x1 convolutions with at least as many output channels
//!   as input channels (expand; MobileNetV1's pointwise layers are all of this kind) or fewer
//!   (project);
//! - other conv: any other convolution, grouped ones included;
//! - depthwise: depthwise convolutions (and convolutions with one group per channel);
//! - fc: fully connected layers;
//! - add: element-wise additions, per output element;
//! - pool: average, max and global average pooling, per output element;
//! - other: everything else (reshape, softmax, requantisation, …);
//! - streamed: the ops of row-streamed segments, whatever they are (they run interleaved,
//!   so their work is measured together), per MAC.

use std::vec::Vec;

use crate::format::OpRecord;
use crate::{Error, Model};

/// A kind of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    /// The first convolution.
    Stem,
    /// A 1x1 convolution with at least as many output as input channels.
    Expand1x1,
    /// A 1x1 convolution with fewer output than input channels.
    Project1x1,
    /// Any other convolution.
    OtherConv,
    /// A depthwise convolution.
    Depthwise,
    /// A fully connected layer.
    FullyConnected,
    /// An element-wise addition.
    Add,
    /// A pooling layer.
    Pool,
    /// Anything else.
    Other,
    /// An op of a row-streamed segment.
    Streamed,
}

impl OpKind {
    /// Every kind, in table order.
    pub const ALL: [OpKind; 10] = [
        OpKind::Stem,
        OpKind::Expand1x1,
        OpKind::Project1x1,
        OpKind::OtherConv,
        OpKind::Depthwise,
        OpKind::FullyConnected,
        OpKind::Add,
        OpKind::Pool,
        OpKind::Other,
        OpKind::Streamed,
    ];

    /// The kind's name in tables and in the JSON rows.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Stem => "stem",
            OpKind::Expand1x1 => "1x1 expand",
            OpKind::Project1x1 => "1x1 project",
            OpKind::OtherConv => "other conv",
            OpKind::Depthwise => "depthwise",
            OpKind::FullyConnected => "fc",
            OpKind::Add => "add",
            OpKind::Pool => "pool",
            OpKind::Other => "other",
            OpKind::Streamed => "streamed",
        }
    }

    /// True when the kind's work is measured per output element rather than per MAC.
    pub fn per_element(self) -> bool {
        matches!(self, OpKind::Add | OpKind::Pool)
    }

    /// The kind of a 1x1 convolution from `in_channels` to `out_channels` (not the stem).
    pub fn pointwise(in_channels: usize, out_channels: usize) -> OpKind {
        if out_channels >= in_channels {
            OpKind::Expand1x1
        } else {
            OpKind::Project1x1
        }
    }
}

/// What the classification needs to know of one op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A convolution: kernel `[height, width]`, groups, input and output channels.
    Conv {
        /// Kernel height and width.
        kernel: [u32; 2],
        /// Groups (1: a plain convolution).
        groups: u32,
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
    },
    /// A depthwise convolution.
    Depthwise,
    /// A fully connected layer.
    FullyConnected,
    /// An element-wise addition.
    Add,
    /// Average, max or global average pooling.
    Pool,
    /// Anything else.
    Other,
}

/// One op of a compiled model: its shape, multiply-accumulates and output elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpFacts {
    /// What it is.
    pub shape: Shape,
    /// Its multiply-accumulates per inference.
    pub macs: u64,
    /// Elements of its output.
    pub output_elements: u64,
    /// True when it belongs to a row-streamed segment (it reads or writes a row-buffered
    /// tensor).
    pub streamed: bool,
}

/// The facts of every op of `model`, in op order.
pub fn describe(model: &Model) -> Result<Vec<OpFacts>, Error> {
    let channels =
        |id: u32| -> Result<usize, Error> { Ok(model.tensor(id as usize)?.shape.channels) };
    model
        .ops()
        .map(|record| {
            let record = record?;
            let shape = match record {
                OpRecord::Conv2d {
                    input,
                    output,
                    window,
                    groups,
                    ..
                } => Shape::Conv {
                    kernel: window.kernel,
                    groups,
                    in_channels: channels(input)?,
                    out_channels: channels(output)?,
                },
                OpRecord::DepthwiseConv2d { .. } => Shape::Depthwise,
                OpRecord::FullyConnected { .. } => Shape::FullyConnected,
                OpRecord::Add { .. } => Shape::Add,
                OpRecord::AvgPool { .. }
                | OpRecord::MaxPool { .. }
                | OpRecord::GlobalAvgPool { .. } => Shape::Pool,
                _ => Shape::Other,
            };
            let output = model.tensor(record.output() as usize)?;
            let mut streamed = output.rows > 0;
            record.for_each_input(&mut |id| {
                streamed |= model.tensor(id as usize).is_ok_and(|t| t.rows > 0);
            });
            Ok(OpFacts {
                streamed,
                shape,
                macs: model.op_macs(&record)?,
                // int8 outputs: one byte per element.
                output_elements: output.len as u64,
            })
        })
        .collect()
}

/// The kind of every op of `ops` (in op order: the stem is the first convolution).
pub fn classify(ops: &[OpFacts]) -> Vec<OpKind> {
    let mut seen_conv = false;
    ops.iter()
        .map(|op| {
            let kind = match op.shape {
                _ if op.streamed => OpKind::Streamed,
                Shape::Conv { .. } if !seen_conv => OpKind::Stem,
                Shape::Conv {
                    groups,
                    in_channels,
                    out_channels,
                    ..
                } if groups > 1
                    && groups as usize == in_channels
                    && in_channels == out_channels =>
                {
                    OpKind::Depthwise
                }
                Shape::Conv {
                    kernel: [1, 1],
                    groups: 1,
                    in_channels,
                    out_channels,
                } => OpKind::pointwise(in_channels, out_channels),
                Shape::Conv { .. } => OpKind::OtherConv,
                Shape::Depthwise => OpKind::Depthwise,
                Shape::FullyConnected => OpKind::FullyConnected,
                Shape::Add => OpKind::Add,
                Shape::Pool => OpKind::Pool,
                Shape::Other => OpKind::Other,
            };
            seen_conv |= matches!(op.shape, Shape::Conv { .. } | Shape::Depthwise);
            kind
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(kernel: u32, groups: u32, in_channels: usize, out_channels: usize) -> OpFacts {
        OpFacts {
            shape: Shape::Conv {
                kernel: [kernel, kernel],
                groups,
                in_channels,
                out_channels,
            },
            macs: 1,
            output_elements: 1,
            streamed: false,
        }
    }

    fn op(shape: Shape) -> OpFacts {
        OpFacts {
            shape,
            macs: 0,
            output_elements: 1,
            streamed: false,
        }
    }

    #[test]
    fn the_ops_of_a_segment_are_streamed_and_the_next_conv_is_not_the_stem() {
        let streamed = |facts: OpFacts| OpFacts {
            streamed: true,
            ..facts
        };
        let ops = [
            streamed(conv(3, 1, 3, 16)),
            streamed(op(Shape::Depthwise)),
            conv(1, 1, 16, 8),
        ];
        assert_eq!(
            classify(&ops),
            vec![OpKind::Streamed, OpKind::Streamed, OpKind::Project1x1]
        );
    }

    #[test]
    fn an_inverted_residual_network_is_classified_by_shape() {
        let ops = [
            op(Shape::Other),
            conv(3, 1, 3, 16),
            op(Shape::Depthwise),
            conv(1, 1, 16, 8),
            conv(1, 1, 8, 48),
            conv(1, 1, 32, 32),
            conv(3, 48, 48, 48),
            conv(3, 2, 48, 48),
            conv(5, 1, 48, 24),
            op(Shape::Add),
            op(Shape::Pool),
            op(Shape::FullyConnected),
        ];
        assert_eq!(
            classify(&ops),
            vec![
                OpKind::Other,
                OpKind::Stem,
                OpKind::Depthwise,
                OpKind::Project1x1,
                OpKind::Expand1x1,
                OpKind::Expand1x1,
                OpKind::Depthwise,
                OpKind::OtherConv,
                OpKind::OtherConv,
                OpKind::Add,
                OpKind::Pool,
                OpKind::FullyConnected,
            ]
        );
    }

    #[test]
    fn a_1x1_first_convolution_is_the_stem() {
        let ops = [conv(1, 1, 3, 8), conv(1, 1, 3, 8)];
        assert_eq!(classify(&ops), vec![OpKind::Stem, OpKind::Expand1x1]);
    }

    #[test]
    fn a_compiled_model_is_described_from_its_records() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/se_block.ebm");
        let owned = crate::OwnedModel::from_file(path).unwrap();
        let model = owned.model();
        let facts = describe(&model).unwrap();
        assert_eq!(facts.len(), model.op_count());
        assert_eq!(
            facts.iter().map(|f| f.macs).sum::<u64>(),
            model.macs().unwrap()
        );
        let kinds = classify(&facts);
        assert_eq!(kinds.iter().filter(|k| **k == OpKind::Stem).count(), 1);
        assert!(kinds.contains(&OpKind::Pool), "{kinds:?}");
    }
}
