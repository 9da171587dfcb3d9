//! Calibration: the float network run through tract on preprocessed inputs, with the values
//! the plan needs exposed as outputs, recording a histogram per calibrated value, per-channel
//! means of the values convolutions read (for bias correction) and per-channel maxima (for
//! activation equalisation).

use std::collections::HashMap;

use edgebone_zoo::graph::ValueId;

use crate::error::QuantError;
use crate::float_net::FloatNet;
use crate::histogram::Histogram;
use crate::parallel::fold_items;
use crate::probe::Probe;
use crate::scheme::QParams;

/// What was recorded for one float value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueStats {
    /// The value histogram (empty when it was not asked for).
    pub histogram: Histogram,
    /// Per channel (axis 1), the sum of all values seen; empty when not asked for.
    pub channel_sums: Vec<f64>,
    /// Values per channel summed into `channel_sums`.
    pub per_channel: u64,
    /// Per channel, the largest value seen; empty when not asked for.
    pub channel_max: Vec<f32>,

    /// Per channel, the sum of the values after quantising and dequantising them with the
    /// tensor's parameters; empty when not asked for.
    pub quantized_sums: Vec<f64>,
    /// Values per channel summed into `quantized_sums`.
    pub quantized_count: u64,
}

impl ValueStats {
    /// The mean of each channel (empty when channel sums were not recorded).
    pub fn channel_means(&self) -> Vec<f32> {
        let n = self.per_channel.max(1) as f64;
        self.channel_sums.iter().map(|s| (s / n) as f32).collect()
    }

    /// The mean of each channel after quantisation (empty when not recorded).
    pub fn quantized_means(&self) -> Vec<f32> {
        let n = self.quantized_count.max(1) as f64;
        self.quantized_sums.iter().map(|s| (s / n) as f32).collect()
    }

    /// Merges another run's statistics of the same value into these.
    pub fn merge(&mut self, other: &ValueStats) {
        self.histogram.merge(&other.histogram);
        merge_sums(&mut self.channel_sums, &other.channel_sums);
        self.per_channel += other.per_channel;
        merge_sums(&mut self.quantized_sums, &other.quantized_sums);
        self.quantized_count += other.quantized_count;
        merge_max(&mut self.channel_max, &other.channel_max);
    }
}

fn merge_max(a: &mut Vec<f32>, b: &[f32]) {
    if a.is_empty() {
        *a = b.to_vec();
    } else {
        a.iter_mut().zip(b).for_each(|(x, y)| *x = x.max(*y));
    }
}

fn merge_sums(a: &mut Vec<f64>, b: &[f64]) {
    if a.is_empty() {
        *a = b.to_vec();
    } else {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
    }
}

/// The statistics of a calibration run.
#[derive(Clone, Debug, Default)]
pub struct Calibration {
    /// By float value.
    pub values: HashMap<ValueId, ValueStats>,
    /// Inputs seen.
    pub inputs: usize,
}

/// What to record, by float value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// Values whose histogram is recorded.
    pub histograms: Vec<ValueId>,
    /// Values whose per-channel means are recorded.
    pub means: Vec<ValueId>,
    /// Values whose per-channel maxima are recorded.
    pub maxima: Vec<ValueId>,

    /// Values whose per-channel means after quantisation with the given parameters are
    /// recorded.
    pub quantized_means: Vec<(ValueId, QParams)>,
}

/// What one value needs.
#[derive(Clone, Copy, Debug, Default)]
struct Wanted {
    histogram: bool,
    means: bool,
    maxima: bool,
    quantized: Option<QParams>,
}

/// Runs `net` on every input (`[1, C, H, W]` row-major, already preprocessed) on `threads`
/// threads, recording what `request` asks for. `progress` is called after each input.
pub fn calibrate(
    net: &FloatNet,
    request: &Request,
    inputs: &[Vec<f32>],
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Calibration, QuantError> {
    if inputs.is_empty() {
        return Err(QuantError::NoInputs("the calibration set is empty".into()));
    }
    let graph = &net.graph;
    let mut wanted: HashMap<ValueId, Wanted> = HashMap::new();
    for &v in &request.histograms {
        wanted.entry(v).or_default().histogram = true;
    }
    for &v in &request.means {
        wanted.entry(v).or_default().means = true;
    }
    for &v in &request.maxima {
        wanted.entry(v).or_default().maxima = true;
    }
    for &(v, p) in &request.quantized_means {
        wanted.entry(v).or_default().quantized = Some(p);
    }
    let mut order: Vec<(ValueId, Wanted)> = wanted.into_iter().collect();
    order.sort_by_key(|&(v, _)| v);
    // The graph input is read directly; every other value is a tract output.
    let outputs: Vec<(ValueId, Wanted)> = order
        .iter()
        .copied()
        .filter(|&(v, _)| v != graph.input)
        .collect();
    let names: Vec<String> = outputs
        .iter()
        .map(|&(v, _)| graph.values[v].name.clone())
        .collect();
    let input_shape = graph.input_shape().to_vec();
    let probe = Probe::new(&net.to_onnx()?, &input_shape, &names)?;
    let input_wanted = order
        .iter()
        .find(|&&(v, _)| v == graph.input)
        .map(|&(_, w)| w);
    let partial = fold_items(
        inputs,
        threads,
        HashMap::<ValueId, ValueStats>::new,
        |acc, index, x| {
            if x.len() != input_shape.iter().product::<usize>() {
                return Err(QuantError::InputShape {
                    index,
                    found: x.len(),
                    expected: input_shape.clone(),
                });
            }
            if let Some(w) = input_wanted {
                record(acc.entry(graph.input).or_default(), w, &input_shape, x);
            }
            let out = probe.run(x.clone())?;
            for (k, &(v, w)) in outputs.iter().enumerate() {
                record(acc.entry(v).or_default(), w, out.shape(k), out.values(k)?);
            }
            Ok(())
        },
        progress,
    )?;
    let mut values: HashMap<ValueId, ValueStats> = HashMap::new();
    for part in partial {
        for (v, s) in part {
            values.entry(v).or_default().merge(&s);
        }
    }
    Ok(Calibration {
        values,
        inputs: inputs.len(),
    })
}

/// Adds one tensor (`shape` batch-first, channels on axis 1) to `stats`.
fn record(stats: &mut ValueStats, wanted: Wanted, shape: &[usize], values: &[f32]) {
    if wanted.histogram {
        stats.histogram.add(values);
    }
    let channels = shape.get(1).copied().unwrap_or(1).max(1);
    let plane: usize = shape.iter().skip(2).product();
    let batch = shape.first().copied().unwrap_or(1);
    if wanted.maxima {
        if stats.channel_max.len() != channels {
            stats.channel_max = vec![f32::NEG_INFINITY; channels];
        }
        for b in 0..batch {
            for (c, m) in stats.channel_max.iter_mut().enumerate() {
                let start = (b * channels + c) * plane;
                *m = values[start..start + plane]
                    .iter()
                    .fold(*m, |m, &v| m.max(v));
            }
        }
    }
    if wanted.means {
        channel_sums(&mut stats.channel_sums, values, batch, channels, 1.0, |v| v);
        stats.per_channel += (batch * plane) as u64;
    }
    if let Some(p) = wanted.quantized {
        // q − zp for each value, saturated to int8 and rounded half to even (as
        // `QParams::quantize`) with the 1.5 · 2^23 trick, exact for |x| < 2^22.
        const ROUND: f32 = 12_582_912.0;
        let inv = 1.0 / p.scale;
        let (lo, hi) = ((-128 - p.zero_point) as f32, (127 - p.zero_point) as f32);
        let scale = f64::from(p.scale);
        channel_sums(
            &mut stats.quantized_sums,
            values,
            batch,
            channels,
            scale,
            |v| ((v * inv).clamp(lo, hi) + ROUND) - ROUND,
        );
        stats.quantized_count += (batch * plane) as u64;
    }
}

/// Adds `scale · Σ f(v)` over the values of each channel (axis 1 of `[batch, channels, …]`)
/// to `out`.
fn channel_sums(
    out: &mut Vec<f64>,
    values: &[f32],
    batch: usize,
    channels: usize,
    scale: f64,
    f: impl Fn(f32) -> f32,
) {
    if out.len() != channels {
        *out = vec![0.0; channels];
    }
    let plane = values.len() / (batch * channels).max(1);
    for b in 0..batch {
        for (c, sum) in out.iter_mut().enumerate() {
            let start = (b * channels + c) * plane;
            *sum += scale
                * values[start..start + plane]
                    .iter()
                    .map(|&v| f64::from(f(v)))
                    .sum::<f64>();
        }
    }
}
