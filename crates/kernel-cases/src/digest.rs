//! FNV-1a (64 bits): the digest of a test's outputs that the host and a board compare, and
//! the hash that seeds each test's [`Rng`](crate::Rng) from its name.

/// The FNV-1a offset basis.
const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// The FNV-1a prime.
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// A running FNV-1a hash.
#[derive(Clone, Copy, Debug)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

impl Digest {
    /// The empty digest.
    pub const fn new() -> Self {
        Self(OFFSET)
    }

    /// Adds `bytes`.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
        }
    }

    /// Adds int8 values.
    pub fn i8s(&mut self, values: &[i8]) {
        for &v in values {
            self.bytes(&[v as u8]);
        }
    }

    /// Adds a word (its little-endian bytes), e.g. a length or an outcome tag, so that
    /// outputs of different lengths cannot run together.
    pub fn word(&mut self, value: u64) {
        self.bytes(&value.to_le_bytes());
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}
