//! The checks `edgebone quantize` runs on a few images besides accuracy: per-layer SQNR of
//! the int8 model, how much equalisation alone changed the float network, how much the fp32
//! model amplifies the int8 quantisation of its input alone, and the QDQ file (tract) against
//! the runtime.

use std::collections::HashMap;

use anyhow::{Context, Result};
use edgebone_compiler::qgraph::TensorId;
use edgebone_quant::parallel::fold_items;
use edgebone_quant::report::{EqualizedFloat, QdqCheck};
use edgebone_quant::scheme::QParams;
use edgebone_quant::sqnr::{LayerComparison, Sqnr};
use edgebone_runtime::OwnedModel;

use crate::topk::top_k;
use crate::tract_runner::FloatModel;

/// Per-layer SQNR (dB) of the int8 model against the float network it was quantised from,
/// on `inputs`.
pub fn layer_sqnr(
    comparison: &LayerComparison,
    model: &OwnedModel,
    inputs: &[Vec<f32>],
    threads: usize,
) -> Result<HashMap<TensorId, f64>> {
    let tensors = comparison.tensors();
    let parts = fold_items(
        inputs,
        threads,
        || vec![Sqnr::default(); tensors.len()],
        |acc, _, x| comparison.compare(model, x, acc).map(|_| ()),
        &|| {},
    )
    .context("measuring per-layer SQNR")?;
    let mut total = vec![Sqnr::default(); tensors.len()];
    for p in parts {
        for (t, s) in total.iter_mut().zip(&p) {
            t.merge(s);
        }
    }
    Ok(tensors
        .into_iter()
        .zip(total)
        .filter(|(_, s)| s.signal > 0.0 || s.noise > 0.0)
        .map(|(t, s)| (t, s.db()))
        .collect())
}

/// Output SQNR and top-1 agreement of `test` against `reference` on `inputs`.
fn compare(
    inputs: &[Vec<f32>],
    reference: impl Fn(&[f32]) -> Result<Vec<f32>>,
    test: impl Fn(&[f32]) -> Result<Vec<f32>>,
) -> Result<(Sqnr, f64)> {
    let mut sqnr = Sqnr::default();
    let mut agree = 0;
    for x in inputs {
        let (a, b) = (reference(x)?, test(x)?);
        sqnr.add(&a, &b);
        agree += usize::from(top_k(&a, 1) == top_k(&b, 1));
    }
    Ok((sqnr, 100.0 * agree as f64 / inputs.len().max(1) as f64))
}

fn float(m: &FloatModel) -> impl Fn(&[f32]) -> Result<Vec<f32>> + '_ {
    |x| Ok(m.run(x)?.1)
}

/// The equalised float network against fp32.
pub fn equalized_float(
    fp32: &FloatModel,
    prepared: &FloatModel,
    inputs: &[Vec<f32>],
) -> Result<EqualizedFloat> {
    let (sqnr, agreement) = compare(inputs, float(fp32), float(prepared))?;
    Ok(EqualizedFloat {
        images: inputs.len(),
        sqnr_db: sqnr.db(),
        top1_agreement: agreement,
    })
}

/// SQNR of the fp32 output when only the input is quantised with `input`'s parameters.
pub fn input_only_sqnr(fp32: &FloatModel, input: QParams, inputs: &[Vec<f32>]) -> Result<f64> {
    let quantised = |x: &[f32]| {
        let xq: Vec<f32> = x
            .iter()
            .map(|&v| input.dequantize(input.quantize(v)))
            .collect();
        Ok(fp32.run(&xq)?.1)
    };
    Ok(compare(inputs, float(fp32), quantised)?.0.db())
}

/// The QDQ file's outputs (tract's optimised plan) against the runtime's, and against tract's
/// unoptimised plan of the same file.
pub fn qdq_check(
    model: &OwnedModel,
    qdq: &FloatModel,
    unoptimized: &FloatModel,
    inputs: &[Vec<f32>],
) -> Result<QdqCheck> {
    let runtime = |x: &[f32]| Ok(model.run_nchw(x, |_, _, _| {})?);
    let (sqnr, agreement) = compare(inputs, runtime, float(qdq))?;
    let (self_sqnr, self_agreement) = compare(inputs, float(qdq), float(unoptimized))?;
    Ok(QdqCheck {
        images: inputs.len(),
        top1_agreement: agreement,
        sqnr_db: sqnr.db(),
        tract_self_agreement: self_agreement,
        tract_self_sqnr_db: self_sqnr.db(),
    })
}
