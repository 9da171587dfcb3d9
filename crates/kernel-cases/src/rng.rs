//! A small seeded PRNG (SplitMix64), so every random test is reproducible, on the host and
//! on a board alike.

use alloc::vec::Vec;

use crate::Digest;

/// SplitMix64: tiny, fast and good enough for test data.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from a name (FNV-1a), so each test has its own stream.
    pub fn from_name(name: &str) -> Self {
        let mut hash = Digest::new();
        hash.bytes(name.as_bytes());
        Self(hash.finish())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent / 100`.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// Any int8 value.
    pub fn i8(&mut self) -> i8 {
        self.next_u64() as i8
    }

    /// `n` int8 values.
    pub fn i8s(&mut self, n: usize) -> Vec<i8> {
        (0..n).map(|_| self.i8()).collect()
    }

    /// `n` symmetric int8 weights in `[-127, 127]`.
    pub fn weights(&mut self, n: usize) -> Vec<i8> {
        (0..n).map(|_| self.range(-127, 127) as i8).collect()
    }

    /// `n` values in `lo..=hi`, as i32.
    pub fn i32s(&mut self, n: usize, lo: i64, hi: i64) -> Vec<i32> {
        (0..n).map(|_| self.range(lo, hi) as i32).collect()
    }
}
