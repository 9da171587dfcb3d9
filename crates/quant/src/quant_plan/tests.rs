//! Plans of small graphs built with the zoo's builder.

use super::*;
use crate::unary::Unary;

use edgebone_zoo::blocks::{squeeze_excite, Act, SqueezeExcite};
use edgebone_zoo::{Builder, Conv};

fn kinds(plan: &QuantPlan) -> Vec<&'static str> {
    plan.steps
        .iter()
        .map(|s| match s {
            PlannedOp::Conv { .. } => "conv",
            PlannedOp::FullyConnected { .. } => "fc",
            PlannedOp::Add { .. } => "add",
            PlannedOp::Mul { .. } => "mul",
            PlannedOp::MaxPool { .. } => "maxpool",
            PlannedOp::AvgPool { .. } => "avgpool",
            PlannedOp::GlobalAvgPool { .. } => "gap",
            PlannedOp::Concat { .. } => "concat",
            PlannedOp::ChannelSlice { .. } => "slice",
            PlannedOp::ChannelShuffle { .. } => "shuffle",
            PlannedOp::Lut { .. } => "lut",
            PlannedOp::Requantize { .. } => "requantize",
            PlannedOp::Reshape { .. } => "reshape",
        })
        .collect()
}

/// ReLU6 fuses into its conv with the fixed range, hard-swish becomes one table, the SE
/// gate multiplies with the broadcast operand second, Flatten is a reshape.
#[test]
fn mobile_patterns() {
    let (mut b, x) = Builder::new("t", [3, 8, 8]);
    let y = b.conv("c1", x, Conv::new(8, 3).bias(true));
    let y = b.relu6(y);
    let y = b.conv("c2", y, Conv::new(8, 3).depthwise().bias(true));
    let y = b.hard_swish(y);
    let se = SqueezeExcite {
        reduce: "fc1",
        expand: Some("fc2"),
        squeeze: 4,
        act: Act::Relu,
        gate: Act::HardSigmoid,
    };
    let y = squeeze_excite(&mut b, y, &se);
    let y = b.global_avg_pool(y);
    let y = b.flatten(y);
    let y = b.linear("fc", y, 5);
    let graph = b.finish(y).expect("builds");
    let plan = QuantPlan::new(&graph).expect("plans");
    assert_eq!(
        kinds(&plan),
        ["conv", "conv", "lut", "gap", "conv", "conv", "lut", "mul", "gap", "reshape", "fc"]
    );
    // The first conv's output is the ReLU6 output, with [0, 6].
    let PlannedOp::Conv { output, act, .. } = plan.steps[0] else {
        unreachable!()
    };
    assert_eq!(plan.tensors[output].rule, RangeRule::Fixed(0.0, 6.0));
    assert_eq!((act.lo, act.hi), (0.0, 6.0));
    assert!(matches!(
        plan.steps[2],
        PlannedOp::Lut {
            f: Unary::HardSwish { .. },
            ..
        }
    ));
    assert!(matches!(
        plan.steps[6],
        PlannedOp::Lut {
            f: Unary::HardSigmoid { .. },
            ..
        }
    ));
    // SE: the gate (the lut output) is the broadcast second operand.
    let PlannedOp::Mul { a, b: gate, .. } = plan.steps[7] else {
        unreachable!()
    };
    assert_eq!(plan.tensors[gate].shape, [1, 1, 1, 8]);
    assert_eq!(plan.tensors[a].shape, [1, 8, 8, 8]);
    // The reduce conv's ReLU is fused with a calibrated range.
    let PlannedOp::Conv { output, act, .. } = plan.steps[4] else {
        unreachable!()
    };
    assert_eq!(plan.tensors[output].rule, RangeRule::Calibrated);
    assert_eq!(act.lo, 0.0);
}

/// ShuffleNet v2: split, branch, concat (the untouched half requantised, the branch output
/// taking the concat's parameters), shuffle.
#[test]
fn shuffle_unit() {
    let (mut b, x) = Builder::new("t", [8, 4, 4]);
    let kept = b.slice(x, 1, 0, 4);
    let rest = b.slice(x, 1, 4, 8);
    let y = b.conv("c", rest, Conv::new(4, 1).bias(true));
    let y = b.relu(y);
    let y = b.concat(&[kept, y]);
    let y = b.channel_shuffle(y, 2);
    let graph = b.finish(y).expect("builds");
    let plan = QuantPlan::new(&graph).expect("plans");
    assert_eq!(
        kinds(&plan),
        ["slice", "slice", "conv", "requantize", "concat", "shuffle"]
    );
    let PlannedOp::Concat {
        ref inputs, output, ..
    } = plan.steps[4]
    else {
        unreachable!()
    };
    for &t in inputs {
        assert_eq!(plan.tensors[t].rule, RangeRule::SameAs(output));
    }
    assert!(matches!(
        plan.steps[5],
        PlannedOp::ChannelShuffle { groups: 2, .. }
    ));
    let PlannedOp::ChannelSlice { start, .. } = plan.steps[1] else {
        unreachable!()
    };
    assert_eq!(start, 4);
}

/// A transpose outside the shuffle pattern is refused, naming the op and the node.
#[test]
fn unsupported_transpose_is_named() {
    let (mut b, x) = Builder::new("t", [4, 2, 3]);
    let y = b.transpose(x, &[0, 1, 3, 2]);
    let graph = b.finish(y).expect("builds");
    let node = graph.nodes[0].name.clone();
    let e = QuantPlan::new(&graph).expect_err("a bare transpose has no int8 form");
    let text = e.to_string();
    assert!(text.contains("Transpose") && text.contains(&node), "{text}");
}
