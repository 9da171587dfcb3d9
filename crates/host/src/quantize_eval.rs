//! fp32 against int8 on labelled images: top-1 / top-5 of both, top-1 agreement and the
//! output SQNR; per-layer SQNR on a few images.

use std::collections::HashMap;

use anyhow::{Context, Result};
use edgebone_quant::int8::Int8Model;
use edgebone_quant::parallel::fold_items;
use edgebone_quant::probe::Probe;
use edgebone_quant::qgraph::TensorId;
use edgebone_quant::scheme::QParams;
use edgebone_quant::sqnr::{LayerComparison, Sqnr};
use edgebone_quant::QuantError;
use edgebone_zoo::Preprocess;

use crate::dataset::Sample;
use crate::images::load_tensor;
use crate::topk::top_k;
use crate::tract_runner::FloatModel;

/// How the int8 logits are computed.
pub enum Int8Engine<'a> {
    /// The compiled `.ebm` on the int8 runtime (integer arithmetic).
    Runtime(&'a Int8Model),
    /// The QDQ ONNX through tract (on request, or when the model could not be compiled).
    Qdq(Probe),
}

impl Int8Engine<'_> {
    /// What the report says about it.
    pub fn describe(&self) -> &'static str {
        match self {
            Int8Engine::Runtime(_) => {
                "integer arithmetic: model.ebm on the edgebone int8 runtime (the kernels the boards run)"
            }
            Int8Engine::Qdq(_) => {
                "model.qdq.onnx through tract (QuantizeLinear/DequantizeLinear around float ops, not the integer kernels)"
            }
        }
    }

    /// The dequantised output for a preprocessed NCHW input.
    pub fn logits(&self, x: &[f32]) -> Result<Vec<f32>, QuantError> {
        match self {
            Int8Engine::Runtime(m) => m.run(x, |_, _| {}),
            Int8Engine::Qdq(p) => Ok(p.run(x.to_vec())?.values(0)?.to_vec()),
        }
    }
}

/// What the evaluation measured.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// Images evaluated (readable ones).
    pub images: usize,
    pub fp32_top1: usize,
    pub fp32_top5: usize,
    pub int8_top1: usize,
    pub int8_top5: usize,
    /// Images where both top-1 classes agree.
    pub agree: usize,
    /// The float network actually quantised (equalised), when it differs from fp32: its
    /// top-1 hits and its top-1 agreement with fp32.
    pub prepared_top1: usize,
    pub prepared_agree: usize,
    pub output: Sqnr,
    /// The fp32 model's output on the int8-quantised input against its output on the float
    /// input: how much the model amplifies the input's quantisation alone, an upper bound of
    /// what any int8 model can reach.
    pub input_only: Sqnr,
    /// Images skipped as unreadable, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Evaluation {
    fn merge(&mut self, o: Evaluation) {
        self.images += o.images;
        self.fp32_top1 += o.fp32_top1;
        self.fp32_top5 += o.fp32_top5;
        self.int8_top1 += o.int8_top1;
        self.int8_top5 += o.int8_top5;
        self.agree += o.agree;
        self.prepared_top1 += o.prepared_top1;
        self.prepared_agree += o.prepared_agree;
        self.output.merge(&o.output);
        self.input_only.merge(&o.input_only);
        self.skipped.extend(o.skipped);
    }

    /// `count` as a percentage of the images.
    pub fn pct(&self, count: usize) -> f64 {
        100.0 * count as f64 / self.images.max(1) as f64
    }
}

/// Runs fp32 and int8 (and `prepared`, the float network that was quantised, when given) on
/// every sample (unreadable images are skipped with a warning).
pub fn evaluate(
    samples: &[Sample],
    pre: &Preprocess,
    fp32: &FloatModel,
    prepared: Option<&FloatModel>,
    int8: &Int8Engine<'_>,
    input_params: QParams,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Evaluation> {
    let parts = fold_items(
        samples,
        threads,
        Evaluation::default,
        |acc, _, s| {
            let x = match load_tensor(&s.path, pre) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("warning: skipping evaluation image: {e:#}");
                    acc.skipped
                        .push((s.path.display().to_string(), format!("{e:#}")));
                    return Ok(());
                }
            };
            let (_, f) = fp32
                .run(&x)
                .map_err(|e| QuantError::Runtime(format!("fp32 {}: {e:#}", s.path.display())))?;
            let q = int8.logits(&x)?;
            let (tf, tq) = (top_k(&f, 5), top_k(&q, 5));
            acc.images += 1;
            acc.fp32_top1 += usize::from(tf.first() == Some(&s.label));
            acc.fp32_top5 += usize::from(tf.contains(&s.label));
            acc.int8_top1 += usize::from(tq.first() == Some(&s.label));
            acc.int8_top5 += usize::from(tq.contains(&s.label));
            acc.agree += usize::from(tf.first() == tq.first());
            acc.output.add(&f, &q);
            let xq: Vec<f32> = x
                .iter()
                .map(|&v| input_params.dequantize(input_params.quantize(v)))
                .collect();
            let (_, fq) = fp32
                .run(&xq)
                .map_err(|e| QuantError::Runtime(format!("fp32 {}: {e:#}", s.path.display())))?;
            acc.input_only.add(&f, &fq);
            if let Some(p) = prepared {
                let (_, l) = p.run(&x).map_err(|e| {
                    QuantError::Runtime(format!("fp32 {}: {e:#}", s.path.display()))
                })?;
                let tp = top_k(&l, 1);
                acc.prepared_top1 += usize::from(tp.first() == Some(&s.label));
                acc.prepared_agree += usize::from(tp.first() == tf.first());
            }
            Ok(())
        },
        progress,
    )?;
    let mut total = Evaluation::default();
    for p in parts {
        total.merge(p);
    }
    Ok(total)
}

/// Per-layer SQNR (dB) of the int8 model against the float network it was quantised from,
/// on `inputs`.
pub fn layer_sqnr(
    comparison: &LayerComparison,
    model: &Int8Model,
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
