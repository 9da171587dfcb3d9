//! Choosing an activation tensor's quantisation range from its calibration histogram.

use serde::Serialize;

use crate::histogram::{Histogram, BINS};

/// How a calibrated tensor's range is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "method")]
pub enum RangeMethod {
    /// The smallest and largest value seen.
    MinMax,
    /// The given percentile of the values at the top and its mirror at the bottom (e.g. 99.99
    /// clips the top and bottom 0.01 %).
    Percentile { percentile: f64 },
    /// The range minimising the expected squared quantisation error (clipping error outside,
    /// uniform rounding error `s²/12` inside), searched per end by coordinate descent.
    Mse,
}

impl RangeMethod {
    /// The default percentile of `--method percentile`.
    pub const DEFAULT_PERCENTILE: f64 = 99.99;

    /// The range `[lo, hi]` of a histogram (`lo ≤ hi`, not yet widened to contain zero).
    /// An empty histogram gives `[0, 0]`.
    pub fn range(&self, h: &Histogram) -> (f32, f32) {
        if h.count() == 0 {
            return (0.0, 0.0);
        }
        match *self {
            RangeMethod::MinMax => (h.min(), h.max()),
            RangeMethod::Percentile { percentile } => percentile_range(h, percentile),
            RangeMethod::Mse => mse_range(h),
        }
    }
}

/// `[lo, hi]` leaving `100 − p` percent of the values above `hi` and as many below `lo`.
fn percentile_range(h: &Histogram, p: f64) -> (f32, f32) {
    let p = p.clamp(50.0, 100.0);
    let tail = (h.count() as f64 * (100.0 - p) / 100.0).floor() as u64;
    let counts = h.counts();
    // The lowest bin whose cumulative count (from below) exceeds the tail.
    let mut cum = 0u64;
    let mut lo_bin = 0;
    for (i, &c) in counts.iter().enumerate() {
        cum += c;
        if cum > tail {
            lo_bin = i;
            break;
        }
    }
    let mut cum = 0u64;
    let mut hi_bin = BINS - 1;
    for (i, &c) in counts.iter().enumerate().rev() {
        cum += c;
        if cum > tail {
            hi_bin = i;
            break;
        }
    }
    let lo = h.bin_start(lo_bin).max(h.min());
    let hi = h.bin_start(hi_bin + 1).min(h.max());
    (lo.min(hi), hi)
}

/// Prefix sums over the bins for O(1) error evaluation.
struct Prefix {
    /// `n[i]`, `s1[i]`, `s2[i]`: count, Σx and Σx² of bins `0..i` (x the bin center).
    n: Vec<f64>,
    s1: Vec<f64>,
    s2: Vec<f64>,
    start: f64,
    width: f64,
}

impl Prefix {
    fn new(h: &Histogram) -> Self {
        let width = f64::from(h.bin_width());
        let start = f64::from(h.bin_start(0));
        let mut p = Prefix {
            n: vec![0.0; BINS + 1],
            s1: vec![0.0; BINS + 1],
            s2: vec![0.0; BINS + 1],
            start,
            width,
        };
        for (i, &c) in h.counts().iter().enumerate() {
            let c = c as f64;
            let x = start + (i as f64 + 0.5) * width;
            p.n[i + 1] = p.n[i] + c;
            p.s1[i + 1] = p.s1[i] + c * x;
            p.s2[i + 1] = p.s2[i] + c * x * x;
        }
        p
    }

    /// Number of bins whose center is below `t`.
    fn below(&self, t: f64) -> usize {
        ((t - self.start) / self.width - 0.5)
            .ceil()
            .clamp(0.0, BINS as f64) as usize
    }

    /// Expected squared error of quantising to 256 levels over `[lo, hi]`.
    fn error(&self, lo: f64, hi: f64) -> f64 {
        let a = self.below(lo);
        let b = self.below(hi).max(a);
        let sq = |from: usize, to: usize, t: f64| {
            let (n, s1, s2) = (
                self.n[to] - self.n[from],
                self.s1[to] - self.s1[from],
                self.s2[to] - self.s2[from],
            );
            s2 - 2.0 * t * s1 + t * t * n
        };
        let step = (hi - lo) / 255.0;
        let inside = self.n[b] - self.n[a];
        sq(0, a, lo) + sq(b, BINS, hi) + inside * step * step / 12.0
    }
}

/// The MSE-optimal `[lo, hi]` inside `[min, max]`: coordinate descent over 256 candidate
/// positions per end, three rounds.
fn mse_range(h: &Histogram) -> (f32, f32) {
    const CANDIDATES: usize = 256;
    let p = Prefix::new(h);
    let (min, max) = (f64::from(h.min().min(0.0)), f64::from(h.max().max(0.0)));
    let (mut lo, mut hi) = (min, max);
    for _ in 0..3 {
        if max > 0.0 {
            hi = (1..=CANDIDATES)
                .map(|k| max * k as f64 / CANDIDATES as f64)
                .min_by(|&a, &b| p.error(lo, a).total_cmp(&p.error(lo, b)))
                .unwrap_or(max);
        }
        if min < 0.0 {
            lo = (1..=CANDIDATES)
                .map(|k| min * k as f64 / CANDIDATES as f64)
                .min_by(|&a, &b| p.error(a, hi).total_cmp(&p.error(b, hi)))
                .unwrap_or(min);
        }
    }
    let hi = (hi as f32).min(h.max());
    ((lo as f32).max(h.min()).min(hi), hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(values: &[f32]) -> Histogram {
        let mut h = Histogram::default();
        h.add(values);
        h
    }

    /// A long thin tail is clipped by percentile and MSE, kept by min/max.
    #[test]
    fn outliers_are_clipped_except_by_minmax() {
        let mut v: Vec<f32> = (0..2_000_000).map(|i| (i % 1000) as f32 / 1000.0).collect();
        v.push(100.0);
        let h = hist(&v);
        assert_eq!(RangeMethod::MinMax.range(&h), (0.0, 100.0));
        let (lo, hi) = RangeMethod::Percentile { percentile: 99.9 }.range(&h);
        assert!(lo.abs() < 0.01 && (0.99..1.05).contains(&hi), "{lo} {hi}");
        // One outlier x = 100 over N values in [0, 1): the error of [0, h] is
        // (x − h)² + N · (h / 255)² / 12, smallest at h = x / (1 + N / (255² · 12)).
        let optimum = |n: f64| 100.0 / (1.0 + n / (255.0f64.powi(2) * 12.0));
        let (lo, hi) = RangeMethod::Mse.range(&h);
        assert!(
            lo == 0.0 && (f64::from(hi) - optimum(2e6)).abs() < 1.0,
            "{lo} {hi}"
        );
        let mut few: Vec<f32> = v[..20_000].to_vec();
        few.push(100.0);
        let (_, hi) = RangeMethod::Mse.range(&hist(&few));
        assert!((f64::from(hi) - optimum(2e4)).abs() < 1.0, "{hi}");
    }

    /// A symmetric uniform distribution keeps (nearly) its full range under MSE.
    #[test]
    fn mse_keeps_a_uniform_range() {
        let v: Vec<f32> = (0..20_001)
            .map(|i| (i as f32 - 10_000.0) / 1000.0)
            .collect();
        let (lo, hi) = RangeMethod::Mse.range(&hist(&v));
        assert!(lo < -9.5 && hi > 9.5, "{lo} {hi}");
    }
}
