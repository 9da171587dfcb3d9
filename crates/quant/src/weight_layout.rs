//! Weight layouts: ONNX's OIHW and the int8 graph's OHWI, one conversion each way (the
//! quantiser's lowering and the QDQ reader go one way, the QDQ writer the other).

/// OIHW `[o, i, kh, kw]` → OHWI `[o, kh, kw, i]`.
pub fn oihw_to_ohwi(w: &[i8], shape: &[usize]) -> Vec<i8> {
    let [o, i, kh, kw] = [shape[0], shape[1], shape[2], shape[3]];
    permute(w, [o, i, kh, kw], [0, 2, 3, 1])
}

/// OHWI `[o, kh, kw, i]` → OIHW `[o, i, kh, kw]`.
pub fn ohwi_to_oihw(w: &[i8], [o, kh, kw, i]: [usize; 4]) -> Vec<i8> {
    permute(w, [o, kh, kw, i], [0, 3, 1, 2])
}

/// The 4-D array `w` of `dims` with its axes reordered: axis `k` of the result is axis
/// `perm[k]` of `w`.
fn permute(w: &[i8], dims: [usize; 4], perm: [usize; 4]) -> Vec<i8> {
    let strides = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
    let out_dims = perm.map(|p| dims[p]);
    let mut out = Vec::with_capacity(w.len());
    for a in 0..out_dims[0] {
        for b in 0..out_dims[1] {
            for c in 0..out_dims[2] {
                for d in 0..out_dims[3] {
                    let at: usize = [a, b, c, d]
                        .iter()
                        .zip(perm)
                        .map(|(&x, p)| x * strides[p])
                        .sum();
                    out.push(w[at]);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_layouts_invert_each_other() {
        // [1, 2, 1, 2] OIHW: i0 = (1, 2), i1 = (3, 4) → OHWI x0 = (1, 3), x1 = (2, 4).
        assert_eq!(oihw_to_ohwi(&[1, 2, 3, 4], &[1, 2, 1, 2]), [1, 3, 2, 4]);
        let oihw: Vec<i8> = (0..2 * 3 * 2 * 2).collect();
        let ohwi = oihw_to_ohwi(&oihw, &[2, 3, 2, 2]);
        assert_ne!(ohwi, oihw);
        // Element [o=1, i=2, y=0, x=1] of OIHW (index ((1·3 + 2)·2 + 0)·2 + 1 = 21) is
        // element [1, 0, 1, 2] of OHWI (index ((1·2 + 0)·2 + 1)·3 + 2 = 17).
        assert_eq!(ohwi[17], oihw[21]);
        assert_eq!(ohwi_to_oihw(&ohwi, [2, 2, 2, 3]), oihw);
    }
}
