//! A mergeable histogram of one tensor's values over many calibration inputs.
//!
//! The bins cover `[-R, R]` where `R` is a power of two that grows with the data: when a value
//! beyond `R` arrives, `R` doubles and every pair of neighbouring bins merges into one, which
//! is exact because the new bin edges are a subset of the old ones. Histograms filled on
//! different threads therefore merge exactly (the smaller range is grown to the larger first),
//! and the result does not depend on the order in which inputs were seen.

/// Bins over `[-R, R]` (a multiple of 4, so that doubling keeps the edges aligned).
pub const BINS: usize = 8192;

/// The smallest half-range, so an all-zero tensor still has bins.
const MIN_HALF_RANGE: f32 = 1.0 / 1048576.0;

/// Value statistics of one tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// `R`: the bins cover `[-R, R]`; 0 before the first value.
    half_range: f32,
    /// `BINS` counts once the first value arrived.
    counts: Vec<u64>,
    /// Smallest and largest finite value seen.
    min: f32,
    max: f32,
    /// Finite values seen.
    count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            half_range: 0.0,
            counts: Vec::new(),
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
            count: 0,
        }
    }
}

impl Histogram {
    /// Adds every finite value of `values` (NaN and infinities are skipped).
    pub fn add(&mut self, values: &[f32]) {
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        let mut n = 0u64;
        for &v in values.iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
            n += 1;
        }
        if n == 0 {
            return;
        }
        self.min = self.min.min(lo);
        self.max = self.max.max(hi);
        self.count += n;
        self.grow_to(lo.abs().max(hi.abs()));
        let r = self.half_range;
        let per_unit = BINS as f32 / (2.0 * r);
        let last = BINS - 1;
        for &v in values.iter().filter(|v| v.is_finite()) {
            // v + r is in [0, 2r], so the index is in 0..=BINS before the clamp.
            let i = ((v + r) * per_unit) as usize;
            self.counts[i.min(last)] += 1;
        }
    }

    /// Merges another histogram into this one.
    pub fn merge(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        self.grow_to(other.half_range);
        let mut theirs = other.clone();
        theirs.grow_to(self.half_range);
        for (a, b) in self.counts.iter_mut().zip(&theirs.counts) {
            *a += b;
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.count += other.count;
    }

    /// Grows `R` (by doubling) until it covers `absmax`.
    fn grow_to(&mut self, absmax: f32) {
        if self.counts.is_empty() {
            self.counts = vec![0; BINS];
            self.half_range = power_of_two_at_least(absmax);
            return;
        }
        while self.half_range < absmax {
            let old = std::mem::replace(&mut self.counts, vec![0; BINS]);
            for k in 0..BINS / 2 {
                self.counts[BINS / 4 + k] = old[2 * k] + old[2 * k + 1];
            }
            self.half_range *= 2.0;
        }
    }

    /// Number of finite values seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Smallest finite value seen (`+∞` when empty).
    pub fn min(&self) -> f32 {
        self.min
    }

    /// Largest finite value seen (`−∞` when empty).
    pub fn max(&self) -> f32 {
        self.max
    }

    /// The counts, bin `i` covering `[-R + i·w, -R + (i+1)·w)` with `w = 2R / BINS`.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The width of one bin.
    pub fn bin_width(&self) -> f32 {
        2.0 * self.half_range / BINS as f32
    }

    /// The lower edge of bin `i`.
    pub fn bin_start(&self, i: usize) -> f32 {
        -self.half_range + i as f32 * self.bin_width()
    }
}

/// The smallest power of two at or above `x` (at least [`MIN_HALF_RANGE`]).
fn power_of_two_at_least(x: f32) -> f32 {
    let mut r = MIN_HALF_RANGE;
    while r < x {
        r *= 2.0;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Doubling merges bins exactly: a histogram grown in steps equals one filled at once.
    #[test]
    fn growth_and_merge_are_exact() {
        let values: Vec<f32> = (0..5000)
            .map(|i| ((i * 37 % 1001) as f32 - 400.0) / 37.0)
            .collect();
        let mut whole = Histogram::default();
        whole.add(&values);
        let mut stepped = Histogram::default();
        let mut sorted = values.clone();
        sorted.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
        for chunk in sorted.chunks(700) {
            stepped.add(chunk);
        }
        assert_eq!(stepped, whole);
        let (a, b) = values.split_at(1234);
        let mut left = Histogram::default();
        left.add(a);
        let mut right = Histogram::default();
        right.add(b);
        left.merge(&right);
        assert_eq!(left, whole);
        assert_eq!(whole.count(), 5000);
        assert_eq!(whole.counts().iter().sum::<u64>(), 5000);
    }

    /// Non-finite values are skipped; extremes are tracked.
    #[test]
    fn skips_non_finite() {
        let mut h = Histogram::default();
        h.add(&[1.0, f32::NAN, -3.0, f32::INFINITY]);
        assert_eq!((h.min(), h.max(), h.count()), (-3.0, 1.0, 2));
        assert_eq!(h.bin_start(0), -4.0);
    }
}
