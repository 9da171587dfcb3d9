//! Rounding one output channel: each weight goes down or up, whichever pair of choices makes
//! the channel's output error on the calibration patches smallest.
//!
//! With `u` the float weights in units of the channel's scale, `q` their integers and `H` the
//! patches' second moments, the channel's squared output error is `(q − u)ᵀ H (q − u)` (a
//! quadratic unconstrained binary problem, as AdaRound's, Nagel et al. 2020, eq. 13). It is
//! solved by coordinate descent from round-to-nearest: a weight moves to its other neighbour
//! whenever that lowers the error, until a sweep moves none. The error never rises, so the
//! result is never worse than nearest rounding on the calibration data.

use crate::scheme::WEIGHT_MAX;

/// Added to `H`'s diagonal, relative to its mean: the Gram matrix of a layer with fewer
/// calibration patches than weights is singular, and a little damping keeps its rounding
/// near to nearest where the data say nothing.
pub const DAMPING: f64 = 0.01;

/// Sweeps at most over a channel's weights.
const MAX_SWEEPS: usize = 16;

/// What rounding one channel achieved: its output error `(q − u)ᵀ H (q − u)` on the
/// calibration patches (without the damping) with nearest and with learned rounding.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChannelError {
    pub nearest: f64,
    pub learned: f64,
}

/// Rounds `u` (float weights / scale) into `q`, which holds round-to-nearest on entry, to
/// minimise `(q − u)ᵀ (H + d·I) (q − u)` over the floor and ceiling of each `u`; `h` is `H`,
/// row-major `k × k` with `k = u.len()`.
pub fn round_channel(u: &[f32], q: &mut [i8], h: &[f64]) -> ChannelError {
    let k = u.len();
    debug_assert_eq!(h.len(), k * k);
    let damp = DAMPING * (0..k).map(|j| h[j * k + j]).sum::<f64>() / k.max(1) as f64;
    let mut e: Vec<f64> = u
        .iter()
        .zip(q.iter())
        .map(|(&u, &q)| f64::from(q) - f64::from(u))
        .collect();
    // g = (H + d·I) e, kept up to date as weights move.
    let mut g: Vec<f64> = (0..k)
        .map(|i| {
            let row = &h[i * k..(i + 1) * k];
            row.iter().zip(&e).map(|(a, b)| a * b).sum::<f64>() + damp * e[i]
        })
        .collect();
    let squared = |e: &[f64]| e.iter().map(|v| v * v).sum::<f64>();
    let nearest: f64 = e.iter().zip(&g).map(|(a, b)| a * b).sum();
    let nearest_squared = squared(&e);
    let mut loss = nearest;
    for _ in 0..MAX_SWEEPS {
        let mut moved = false;
        for j in 0..k {
            let (lo, hi) = neighbours(u[j]);
            let alt = if f64::from(q[j]) == lo { hi } else { lo };
            let delta = alt - f64::from(q[j]);
            if delta == 0.0 {
                continue;
            }
            let change = 2.0 * delta * g[j] + delta * delta * (h[j * k + j] + damp);
            if change >= -1e-9 * loss.abs().max(f64::MIN_POSITIVE) {
                continue;
            }
            // alt is an integer in [-127, 127], so the conversion is exact.
            q[j] = alt as i8;
            e[j] += delta;
            let col = &h[j * k..(j + 1) * k];
            g.iter_mut().zip(col).for_each(|(g, c)| *g += delta * c);
            g[j] += delta * damp;
            loss += change;
            moved = true;
        }
        if !moved {
            break;
        }
    }
    ChannelError {
        nearest: nearest - damp * nearest_squared,
        learned: loss - damp * squared(&e),
    }
}

/// The two integers around `u` within the int8 weight range (equal when `u` is one).
pub fn neighbours(u: f32) -> (f64, f64) {
    let u = f64::from(u);
    let max = f64::from(WEIGHT_MAX);
    (u.floor().clamp(-max, max), u.ceil().clamp(-max, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two perfectly correlated inputs: nearest rounding errs twice in the same direction,
    /// the learned rounding cancels the errors.
    #[test]
    fn correlated_errors_cancel() {
        let u = [0.4f32, 1.4];
        let mut q = [0i8, 1];
        let h = [1.0, 1.0, 1.0, 1.0];
        let r = round_channel(&u, &mut q, &h);
        assert!(r.learned < r.nearest, "{r:?}");
        assert!(q == [1, 1] || q == [0, 2], "{q:?}");
    }

    /// Independent inputs: nearest rounding is already optimal and nothing moves.
    #[test]
    fn independent_inputs_keep_nearest() {
        let u = [0.4f32, -1.3, 5.6];
        let mut q = [0i8, -1, 6];
        let mut h = [0.0; 9];
        for j in 0..3 {
            h[j * 3 + j] = 1.0 + j as f64;
        }
        let r = round_channel(&u, &mut q, &h);
        assert_eq!(q, [0, -1, 6]);
        assert_eq!(r.learned, r.nearest);
    }

    #[test]
    fn neighbours_stay_in_range() {
        assert_eq!(neighbours(127.0), (127.0, 127.0));
        assert_eq!(neighbours(-3.5), (-4.0, -3.0));
    }
}
