//! Learned rounding of convolution and fully connected weights (`--rounding learned`): a
//! layer-wise reconstruction in the spirit of AdaRound (Nagel et al. 2020). Each weight is
//! rounded down or up, whichever makes its layer's output error smallest on the calibration
//! images, the error measured on the int8 inputs the quantised layers before it produce.
//!
//! The pipeline lowers the model with nearest rounding first, runs that int8 model on the
//! runtime over the calibration inputs to collect each layer's input patches ([`gram`]),
//! then lowers again with every channel's rounding chosen by [`solve`] (in parallel over
//! output channels); bias correction, when asked for, then corrects the learned weights.

pub mod gram;
pub mod solve;

use std::collections::HashMap;

use edgebone_compiler::qgraph::{QGraph, TensorId};
use edgebone_compiler::{compile, CompileOptions};
use edgebone_runtime::OwnedModel;
use serde::Serialize;

use crate::error::QuantError;
use crate::parallel::fold_items;
use crate::quant_plan::QuantPlan;
use crate::scheme::QuantLayer;
pub use gram::{Gram, Grams, LayerInput};
pub use solve::{round_channel, ChannelError};

/// How float weights become integers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rounding {
    /// Round to nearest.
    #[default]
    Nearest,
    /// Down or up per weight, learned on the calibration data.
    Learned,
}

/// What lowering needs to round with learned rounding.
pub struct Learned<'a> {
    /// Every layer's input patches, by float node.
    pub grams: &'a Grams,
    pub threads: usize,
    /// Called once per layer rounded.
    pub progress: &'a (dyn Fn() + Sync),
}

/// Measures the input patches of every convolution and fully connected layer of `plan` on
/// `graph` (its nearest-rounded lowering) compiled and run on the int8 runtime over `inputs`
/// (preprocessed NCHW); `progress` is called per input.
pub fn measure(
    plan: &QuantPlan,
    graph: &QGraph,
    inputs: &[Vec<f32>],
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Grams, QuantError> {
    let compiled = compile(graph, &CompileOptions::default())
        .map_err(|e| QuantError::Compile(e.to_string()))?;
    let model = OwnedModel::from_bytes(&compiled.bytes)?;
    let layers = LayerInput::of_plan(plan);
    let mut readers: HashMap<TensorId, Vec<usize>> = HashMap::new();
    for (l, layer) in layers.iter().enumerate() {
        readers.entry(layer.input).or_default().push(l);
    }
    let parts = fold_items(
        inputs,
        threads,
        || layers.iter().map(LayerInput::gram).collect::<Vec<Gram>>(),
        |acc, image, x| {
            let mut see = |t: TensorId, values: &[i8]| {
                let zp = graph.tensors.get(t).map_or(0, |t| t.zero_point);
                for &l in readers.get(&t).into_iter().flatten() {
                    layers[l].accumulate(&mut acc[l], values, zp, image);
                }
            };
            let q = model.quantize_nchw(x)?;
            see(graph.input, &q);
            model.run_observed(&q, |_, t, values| see(t, values))?;
            Ok(())
        },
        progress,
    )?;
    let mut total: Option<Vec<Gram>> = None;
    for part in parts {
        match total.as_mut() {
            None => total = Some(part),
            Some(t) => t.iter_mut().zip(&part).for_each(|(a, b)| a.merge(b)),
        }
    }
    Ok(layers
        .iter()
        .map(|l| l.node)
        .zip(total.unwrap_or_default())
        .collect())
}

/// Re-rounds `layer` (quantised from float `w`, output channel first, by nearest rounding)
/// with the patches in `gram`; returns the layer's output error on them (real units, summed
/// over channels) with nearest and with learned rounding.
/// `name` names the layer in errors.
pub fn round_layer(
    name: &str,
    w: &[f32],
    layer: &mut QuantLayer,
    gram: &Gram,
    threads: usize,
) -> Result<ChannelError, QuantError> {
    let out = layer.scales.len();
    let per_out = w.len() / out.max(1);
    let groups = gram.groups.max(1);
    if out == 0
        || per_out != gram.k
        || !out.is_multiple_of(groups)
        || layer.weights.len() != w.len()
    {
        return Err(QuantError::BadParams {
            tensor: name.to_string(),
            message: format!(
                "{out} channels of {per_out} weights do not match its {groups} input patch groups of {}",
                gram.k
            ),
        });
    }
    let channels: Vec<usize> = (0..out).collect();
    let parts = fold_items(
        &channels,
        threads,
        Vec::new,
        |acc: &mut Vec<(usize, Vec<i8>, ChannelError)>, _, &o| {
            let scale = layer.scales[o];
            let u: Vec<f32> = w[o * per_out..(o + 1) * per_out]
                .iter()
                .map(|v| v / scale)
                .collect();
            let mut q = layer.weights[o * per_out..(o + 1) * per_out].to_vec();
            let e = round_channel(&u, &mut q, gram.block(o / (out / groups)));
            acc.push((o, q, e));
            Ok(())
        },
        &|| {},
    )?;
    let mut total = ChannelError::default();
    for (o, q, e) in parts.into_iter().flatten() {
        layer.weights[o * per_out..(o + 1) * per_out].copy_from_slice(&q);
        // A channel's error in real units is its error in units of its scale times scale².
        let s2 = f64::from(layer.scales[o]).powi(2);
        total.nearest += e.nearest * s2;
        total.learned += e.learned * s2;
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
