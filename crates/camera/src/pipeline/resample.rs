//! Bilinear sampling positions in fixed point.
//!
//! Destination index `d` samples the source at `(d + 0.5) * src / dst - 0.5` (pixel centres
//! aligned, as in OpenCV and PyTorch with `align_corners = false`), clamped to the source.
//! The position is an exact fraction with denominator `2 * dst`; its fractional part becomes
//! an 11-bit weight.

/// Fractional bits of an interpolation weight.
pub(crate) const WEIGHT_BITS: u32 = 11;
/// The weight of a whole sample.
pub(crate) const WEIGHT_ONE: u32 = 1 << WEIGHT_BITS;
/// Largest source or destination length: keeps `(2d + 1) * src` inside `u32`.
pub(crate) const MAX_LEN: u16 = 4096;

/// The two source samples of one destination sample and the weight of the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tap {
    /// First source index.
    pub(crate) i0: u32,
    /// Second source index (equal to `i0` when its weight is zero).
    pub(crate) i1: u32,
    /// Weight of `i1` in units of `1 / WEIGHT_ONE`; `i0` gets the rest.
    pub(crate) w1: u32,
}

/// The tap of destination index `d` when `src` samples are resized to `dst` (both at most
/// [`MAX_LEN`], `d < dst`).
#[inline]
pub(crate) fn tap(d: u32, src: u32, dst: u32) -> Tap {
    let numerator = (2 * d + 1) * src;
    let denominator = 2 * dst;
    if numerator <= dst {
        return Tap {
            i0: 0,
            i1: 0,
            w1: 0,
        };
    }
    let position = numerator - dst;
    let i0 = position / denominator;
    if i0 + 1 >= src {
        return Tap {
            i0: src - 1,
            i1: src - 1,
            w1: 0,
        };
    }
    let w1 = ((position % denominator) << WEIGHT_BITS) / denominator;
    let i1 = if w1 == 0 { i0 } else { i0 + 1 };
    Tap { i0, i1, w1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sizes_map_each_sample_to_itself() {
        for d in 0..50 {
            assert_eq!(
                tap(d, 50, 50),
                Tap {
                    i0: d,
                    i1: d,
                    w1: 0
                }
            );
        }
    }

    #[test]
    fn halving_averages_pairs_and_doubling_interpolates_quarters() {
        // Destination d of a 2:1 downscale sits between source 2d and 2d + 1.
        assert_eq!(
            tap(3, 20, 10),
            Tap {
                i0: 6,
                i1: 7,
                w1: WEIGHT_ONE / 2
            }
        );
        // A 1:2 upscale samples at 0.75 past the previous source sample, or 0.25.
        assert_eq!(
            tap(3, 10, 20),
            Tap {
                i0: 1,
                i1: 2,
                w1: WEIGHT_ONE / 4
            }
        );
        assert_eq!(
            tap(2, 10, 20),
            Tap {
                i0: 0,
                i1: 1,
                w1: 3 * WEIGHT_ONE / 4
            }
        );
    }

    #[test]
    fn the_edges_clamp() {
        assert_eq!(
            tap(0, 10, 20),
            Tap {
                i0: 0,
                i1: 0,
                w1: 0
            }
        );
        assert_eq!(
            tap(19, 10, 20),
            Tap {
                i0: 9,
                i1: 9,
                w1: 0
            }
        );
        let last = tap(u32::from(MAX_LEN) - 1, u32::from(MAX_LEN), 3);
        assert!(last.i1 < u32::from(MAX_LEN));
    }
}
