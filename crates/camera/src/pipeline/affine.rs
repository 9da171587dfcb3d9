//! The model's normalisation and input quantisation folded into one fixed-point
//! multiply-add per channel.
//!
//! A channel value `v` in its native range `[0, max]` (255 for 8-bit data, 31 or 63 for the
//! RGB565 fields) becomes `x = (v / max - mean) / std` and then `q = round(x / scale) + zp`.
//! Both steps are affine, so `q = round(v * a + b)` with `a = 1 / (max * std * scale)` and
//! `b = zp - mean / (std * scale)`. At setup `a` and `b` are turned into an integer
//! multiplier, addend and shift; per pixel the pipeline computes
//! `(v_q12 * mul + add) >> shift` in 64-bit integers and clamps to `i8`.

use crate::error::Error;

/// The int8 quantisation of the model's input tensor: `real = scale * (q - zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InputQuant {
    /// Real value of one quantisation step; must be positive and finite.
    pub scale: f32,
    /// The quantised value of real zero.
    pub zero_point: i32,
}

/// Per-channel normalisation on `[0, 1]` pixels: `x = (pixel - mean) / std`, in R, G, B order.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Normalisation {
    /// Channel means.
    pub mean: [f32; 3],
    /// Channel standard deviations; must be positive and finite.
    pub std: [f32; 3],
}

impl Normalisation {
    /// ImageNet statistics (torchvision, timm): mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    pub const IMAGENET: Normalisation = Normalisation {
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
    };
    /// `(x_u8 - 127) / 128`, the TensorFlow MobileNet and EfficientNet-Lite convention.
    pub const CENTERED_127: Normalisation = Normalisation {
        mean: [127.0 / 255.0; 3],
        std: [128.0 / 255.0; 3],
    };
    /// No normalisation: `x = pixel` on `[0, 1]`.
    pub const UNIT: Normalisation = Normalisation {
        mean: [0.0; 3],
        std: [1.0; 3],
    };
}

/// Fractional bits of the channel values the affine step consumes.
pub(crate) const VALUE_FRAC_BITS: u32 = 12;

/// Largest shift: keeps `add` and the products inside `i64`.
const MAX_SHIFT: u32 = 62;

/// `q = clamp((v_q12 * mul + add) >> shift)` for one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct ChannelAffine {
    mul: i64,
    add: i64,
    shift: u32,
}

impl ChannelAffine {
    /// The fixed-point form of `q = round(v * a + b)` for `v` with [`VALUE_FRAC_BITS`]
    /// fractional bits. The multiplier keeps 30 significant bits.
    pub(crate) fn new(a: f64, b: f64) -> Result<ChannelAffine, Error> {
        if !(a.is_finite() && b.is_finite() && a > 0.0) {
            return Err(Error::InvalidConfig);
        }
        // Choose `e` so that `a * 2^e` lies in [2^29, 2^30).
        let mut e: i32 = 0;
        let mut scaled = a;
        while scaled < (1u64 << 29) as f64 {
            scaled *= 2.0;
            e += 1;
        }
        while scaled >= (1u64 << 30) as f64 {
            scaled *= 0.5;
            e -= 1;
        }
        let shift = e + VALUE_FRAC_BITS as i32;
        if shift < 1 || shift > MAX_SHIFT as i32 {
            return Err(Error::InvalidConfig);
        }
        let shift = shift as u32;
        let unit = (1u64 << shift) as f64;
        let add = b * unit + unit / 2.0;
        if add.abs() >= (1u64 << MAX_SHIFT) as f64 {
            return Err(Error::InvalidConfig);
        }
        Ok(ChannelAffine {
            mul: round_half_away(scaled),
            add: round_half_away(add),
            shift,
        })
    }

    /// The coefficients of channel `c` for values in `[0, max]`.
    pub(crate) fn for_channel(
        norm: &Normalisation,
        quant: &InputQuant,
        c: usize,
        max: u32,
    ) -> Result<ChannelAffine, Error> {
        let std = f64::from(norm.std[c]);
        let scale = f64::from(quant.scale);
        if !(std.is_finite() && std > 0.0 && scale.is_finite() && scale > 0.0) {
            return Err(Error::InvalidConfig);
        }
        let a = 1.0 / (f64::from(max) * std * scale);
        let b = f64::from(quant.zero_point) - f64::from(norm.mean[c]) / (std * scale);
        ChannelAffine::new(a, b)
    }

    /// Quantise a channel value with [`VALUE_FRAC_BITS`] fractional bits.
    #[inline]
    pub(crate) fn apply(&self, value_q12: u32) -> i8 {
        let q = (i64::from(value_q12) * self.mul + self.add) >> self.shift;
        q.clamp(i64::from(i8::MIN), i64::from(i8::MAX)) as i8
    }
}

/// Round to the nearest integer, halves away from zero (`f64::round` needs `std`).
fn round_half_away(x: f64) -> i64 {
    if x >= 0.0 {
        (x + 0.5) as i64
    } else {
        (x - 0.5) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `floor(x + 0.5)` clamped to `i8` (the rounding the fixed-point step implements), and
    /// whether `x` lies within 1e-6 of a rounding tie, where either neighbour is right.
    fn expected(v: u32, a: f64, b: f64) -> (i64, bool) {
        let x = f64::from(v) * a + b + 0.5;
        let floor = x as i64 - i64::from(x < 0.0 && x != (x as i64) as f64);
        let tie = (x - floor as f64).min(floor as f64 + 1.0 - x) < 1e-6;
        (floor.clamp(-128, 127), tie)
    }

    #[test]
    fn fixed_point_matches_the_real_affine_map() {
        let gains = [0.003, 0.25, 0.9177, 1.0, 4.11, 37.5];
        let offsets = [-128.0, -14.49, 0.0, 3.3, 96.0];
        for &a in &gains {
            for &b in &offsets {
                let affine = ChannelAffine::new(a, b).unwrap();
                for v in 0..=255u32 {
                    let q = i64::from(affine.apply(v << VALUE_FRAC_BITS));
                    let (want, tie) = expected(v, a, b);
                    let ok = q == want || (tie && (q - want).abs() == 1);
                    assert!(ok, "a {a} b {b} v {v}: {q} vs {want}");
                }
            }
        }
    }

    #[test]
    fn degenerate_coefficients_are_refused() {
        assert_eq!(ChannelAffine::new(0.0, 0.0), Err(Error::InvalidConfig));
        assert_eq!(ChannelAffine::new(-1.0, 0.0), Err(Error::InvalidConfig));
        assert_eq!(ChannelAffine::new(f64::NAN, 0.0), Err(Error::InvalidConfig));
        assert_eq!(
            ChannelAffine::new(1.0, f64::INFINITY),
            Err(Error::InvalidConfig)
        );
        assert_eq!(ChannelAffine::new(1e-20, 0.0), Err(Error::InvalidConfig));
    }
}
