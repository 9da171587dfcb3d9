//! Which nodes feed the graph output, in an order where every tensor is produced before it is
//! read.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use tract_onnx::pb::NodeProto;

use super::{malformed, ImportError};

/// The indices of the nodes that `output` depends on, in topological order. Among the nodes
/// that are ready, the one earliest in the file goes first, so a file that is already sorted
/// (as ONNX requires) keeps its order; an unsorted one is sorted, a cycle is an error.
pub(super) fn needed_in_order(
    nodes: &[NodeProto],
    is_defined: &dyn Fn(&str) -> bool,
    output: &str,
) -> Result<Vec<usize>, ImportError> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for out in n.output.iter().filter(|o| !o.is_empty()) {
            if is_defined(out) {
                return Err(malformed(format!(
                    "node {} writes `{out}`, which is a graph input or initializer",
                    label(nodes, i)
                )));
            }
            if let Some(first) = producer.insert(out, i) {
                return Err(malformed(format!(
                    "`{out}` is written by both node {} and node {}",
                    label(nodes, first),
                    label(nodes, i)
                )));
            }
        }
    }

    // Walk back from the output to find what is needed.
    let mut needed = vec![false; nodes.len()];
    let mut stack: Vec<(&str, Option<usize>)> = vec![(output, None)];
    while let Some((name, reader)) = stack.pop() {
        if is_defined(name) {
            continue;
        }
        let Some(&p) = producer.get(name) else {
            return Err(malformed(match reader {
                Some(r) => format!(
                    "node {} reads `{name}`, which nothing defines",
                    label(nodes, r)
                ),
                None => format!("the graph output `{name}` is not computed by any node"),
            }));
        };
        if !needed[p] {
            needed[p] = true;
            stack.extend(
                nodes[p]
                    .input
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| (s.as_str(), Some(p))),
            );
        }
    }

    // Kahn's algorithm over the needed nodes, earliest file position first.
    let mut waiting = vec![0usize; nodes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate().filter(|(i, _)| needed[*i]) {
        let mut deps: Vec<usize> = n
            .input
            .iter()
            .filter_map(|s| producer.get(s.as_str()).copied())
            .collect();
        deps.sort_unstable();
        deps.dedup();
        waiting[i] = deps.len();
        for d in deps {
            dependents[d].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..nodes.len())
        .filter(|&i| needed[i] && waiting[i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::new();
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    let total = needed.iter().filter(|&&n| n).count();
    if order.len() < total {
        let stuck = (0..nodes.len())
            .find(|&i| needed[i] && waiting[i] > 0)
            .map_or_else(String::new, |i| label(nodes, i));
        return Err(malformed(format!(
            "the graph has a cycle through node {stuck}"
        )));
    }
    Ok(order)
}

fn label(nodes: &[NodeProto], i: usize) -> String {
    let n = &nodes[i];
    if n.name.is_empty() {
        format!("#{i} ({})", n.op_type)
    } else {
        format!("`{}` ({})", n.name, n.op_type)
    }
}
