//! Quantisation helpers and top-k.

use edgebone_runtime::{top_k, Quant};

#[test]
fn quantize_rounds_half_away_and_saturates() {
    let q = Quant {
        scale: 0.5,
        zero_point: -3,
    };
    assert_eq!(q.quantize(0.0), -3);
    assert_eq!(q.quantize(0.25), -2); // 0.5 steps rounds away from zero
    assert_eq!(q.quantize(-0.25), -4);
    assert_eq!(q.quantize(0.74), -2);
    assert_eq!(q.quantize(1000.0), 127);
    assert_eq!(q.quantize(-1000.0), -128);
    assert_eq!(q.quantize(f32::INFINITY), 127);
    assert_eq!(q.quantize(f32::NAN), -3);
    assert_eq!(q.dequantize(-3), 0.0);
    assert_eq!(q.dequantize(5), 4.0);
    for v in i8::MIN..=i8::MAX {
        assert_eq!(q.quantize(q.dequantize(v)), v);
    }
    let mut out = [0i8; 2];
    assert!(q.quantize_slice(&[1.0], &mut out).is_err());
    q.quantize_slice(&[1.0, -1.0], &mut out).unwrap();
    assert_eq!(out, [-1, -5]);
}

#[test]
fn top_k_orders_by_score_then_index() {
    let scores = [3i8, -7, 9, 3, 127, -128, 9];
    let top: Vec<_> = top_k::<4>(&scores).into_iter().collect();
    assert_eq!(top, [(4, 127), (2, 9), (6, 9), (0, 3)]);
    let all: Vec<_> = top_k::<10>(&scores).into_iter().collect();
    assert_eq!(all.len(), scores.len());
    assert_eq!(all.last(), Some(&(5, -128)));
    assert!(top_k::<0>(&scores).is_empty());
    assert!(top_k::<3>(&[]).is_empty());
}
