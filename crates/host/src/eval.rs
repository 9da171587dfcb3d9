//! Top-1 / top-5 accuracy over a labelled folder, for any model that maps an image to logits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::dataset::Sample;
use crate::topk::top_k;

/// What the model predicted for one image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prediction {
    pub label: usize,
    /// The five highest-scoring classes, best first.
    pub top5: Vec<usize>,
}

/// Accuracy in percent over `images` images.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Accuracy {
    pub top1: f64,
    pub top5: f64,
    pub images: usize,
}

/// Accuracy of a list of predictions.
pub fn accuracy(predictions: &[Prediction]) -> Accuracy {
    let n = predictions.len();
    let hits = |k: usize| {
        predictions
            .iter()
            .filter(|p| p.top5.iter().take(k).any(|&c| c == p.label))
            .count()
    };
    let pct = |h: usize| {
        if n == 0 {
            0.0
        } else {
            100.0 * h as f64 / n as f64
        }
    };
    Accuracy {
        top1: pct(hits(1)),
        top5: pct(hits(5)),
        images: n,
    }
}

/// Runs `logits` on every sample on `threads` worker threads, with a progress bar on stderr
/// (hidden when `quiet`). Predictions come back in sample order; the first error stops the run.
pub fn predict<F>(
    samples: &[Sample],
    threads: usize,
    quiet: bool,
    logits: F,
) -> Result<Vec<Prediction>>
where
    F: Fn(&Sample) -> Result<Vec<f32>> + Sync,
{
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(samples.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {bar:40.cyan/blue} {pos}/{len} [{elapsed_precise}, eta {eta}]",
        )
        .expect("the template is valid"),
    );
    bar.set_message("evaluating");
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Prediction>>>> =
        Mutex::new((0..samples.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(sample) = samples.get(i) else { break };
                let r = logits(sample).map(|l| Prediction {
                    label: sample.label,
                    top5: top_k(&l, 5),
                });
                let failed = r.is_err();
                results
                    .lock()
                    .expect("no worker panics while holding the lock")[i] = Some(r);
                bar.inc(1);
                if failed {
                    next.store(samples.len(), Ordering::Relaxed);
                }
            });
        }
    });
    bar.finish_and_clear();
    results
        .into_inner()
        .expect("workers have finished")
        .into_iter()
        .flatten()
        .collect()
}

/// Worker threads to use: the machine's parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
}
