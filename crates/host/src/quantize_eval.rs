//! fp32 against int8 on labelled images: top-1 / top-5 of both, top-1 agreement and the
//! output SQNR.

use anyhow::Result;
use edgebone_quant::parallel::fold_items;
use edgebone_quant::probe::Probe;
use edgebone_quant::sqnr::Sqnr;
use edgebone_quant::QuantError;
use edgebone_runtime::OwnedModel;
use edgebone_zoo::Preprocess;

use crate::dataset::Sample;
use crate::images::load_tensor;
use crate::topk::top_k;
use crate::tract_runner::FloatModel;

/// How the int8 logits are computed.
pub enum Int8Engine<'a> {
    /// The compiled `.ebm` on the int8 runtime (integer arithmetic).
    Runtime(&'a OwnedModel),
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
            Int8Engine::Runtime(m) => Ok(m.run_nchw(x, |_, _, _| {})?),
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
    /// int8 output against fp32 output.
    pub output: Sqnr,
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
        self.output.merge(&o.output);
        self.skipped.extend(o.skipped);
    }

    /// `count` as a percentage of the images.
    pub fn pct(&self, count: usize) -> f64 {
        100.0 * count as f64 / self.images.max(1) as f64
    }
}

/// Runs fp32 and int8 on every sample (unreadable images are skipped with a warning).
pub fn evaluate(
    samples: &[Sample],
    pre: &Preprocess,
    fp32: &FloatModel,
    int8: &Int8Engine<'_>,
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
