//! The field types of op records and how each is stored: a fixed number of 4-byte
//! little-endian words, except a tensor list (a count, then the ids).

use super::Words;
use crate::Error;

/// A field of an op record: how it is written and read, and how `docs/format.md` names
/// its words.
pub(crate) trait Field<'a>: Sized {
    /// The field's words in `docs/format.md`, with `{}` standing for the field's name
    /// (for example `"{}(2)"` for a two-word field).
    const LAYOUT: &'static str;
    /// The number of words, or `None` for a variable-length field.
    const WORDS: Option<usize>;
    /// Writes the field's words to `sink`.
    fn put(&self, sink: &mut dyn FnMut(u32));
    /// Reads the field from `words`.
    fn take(words: &mut Words<'a>) -> Result<Self, Error>;
}

/// Fields that name activation tensors: a single id or a list of ids.
pub trait Tensors {
    /// Calls `f` with each tensor id, in order.
    fn each(&self, f: &mut dyn FnMut(u32));
}

impl Tensors for u32 {
    fn each(&self, f: &mut dyn FnMut(u32)) {
        f(*self);
    }
}

impl Field<'_> for u32 {
    const LAYOUT: &'static str = "{}";
    const WORDS: Option<usize> = Some(1);
    fn put(&self, sink: &mut dyn FnMut(u32)) {
        sink(*self);
    }
    fn take(words: &mut Words<'_>) -> Result<Self, Error> {
        words.u32()
    }
}

impl Field<'_> for i32 {
    const LAYOUT: &'static str = "{}";
    const WORDS: Option<usize> = Some(1);
    fn put(&self, sink: &mut dyn FnMut(u32)) {
        sink(*self as u32);
    }
    fn take(words: &mut Words<'_>) -> Result<Self, Error> {
        words.i32()
    }
}

/// Padding `[top, left, bottom, right]`, one word each.
impl Field<'_> for [u32; 4] {
    const LAYOUT: &'static str = "top, left, bottom, right";
    const WORDS: Option<usize> = Some(4);
    fn put(&self, sink: &mut dyn FnMut(u32)) {
        self.iter().for_each(|&v| sink(v));
    }
    fn take(words: &mut Words<'_>) -> Result<Self, Error> {
        Ok([words.u32()?, words.u32()?, words.u32()?, words.u32()?])
    }
}

/// How an op record holds what is not a fixed number of plain words: its constants (a
/// filter's weights, bias and multipliers; a lookup table) and its tensor lists. A blob
/// ([`Stored`]) holds constants as tensor ids and lists as borrowed words; the compiler
/// holds the constant data itself, until it writes the record.
pub trait Storage {
    /// The constants of a convolution or fully connected layer.
    type Filter;
    /// A 256-entry lookup table.
    type Table;
    /// A list of activation tensor ids (a concatenation's inputs).
    type List<'a>: Tensors;
}

/// Op records as a blob stores them: constants by tensor id, lists as words in the blob.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stored;

impl Storage for Stored {
    type Filter = FilterIds;
    type Table = u32;
    type List<'a> = IdList<'a>;
}

/// Turns the constants and lists of a record held as `S` into those of a record held as
/// `T` (see `OpRecord::convert`); the record's other fields are copied.
pub trait Convert<'b, S: Storage, T: Storage> {
    /// Why a constant could not be converted.
    type Error;
    /// A filter's constants.
    fn filter(&mut self, filter: &S::Filter) -> Result<T::Filter, Self::Error>;
    /// A lookup table.
    fn table(&mut self, table: &S::Table) -> Result<T::Table, Self::Error>;
    /// A tensor list.
    fn list(&mut self, list: &S::List<'_>) -> Result<T::List<'b>, Self::Error>;
}

/// A sliding window: 10 words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WindowRecord {
    /// Kernel `[height, width]`.
    pub kernel: [u32; 2],
    /// Stride `[height, width]`.
    pub stride: [u32; 2],
    /// Dilation `[height, width]` (1 for pooling).
    pub dilation: [u32; 2],
    /// Padding `[top, left, bottom, right]`.
    pub pads: [u32; 4],
}

impl Field<'_> for WindowRecord {
    const LAYOUT: &'static str = "window(10)";
    const WORDS: Option<usize> = Some(10);
    fn put(&self, sink: &mut dyn FnMut(u32)) {
        let w = self;
        for v in w.kernel.iter().chain(&w.stride).chain(&w.dilation) {
            sink(*v);
        }
        w.pads.put(sink);
    }
    fn take(words: &mut Words<'_>) -> Result<Self, Error> {
        Ok(Self {
            kernel: [words.u32()?, words.u32()?],
            stride: [words.u32()?, words.u32()?],
            dilation: [words.u32()?, words.u32()?],
            pads: Field::take(words)?,
        })
    }
}

/// The constant tensors of a convolution or fully connected layer: 4 words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FilterIds {
    /// `i8` weights.
    pub weights: u32,
    /// `i32` bias, one per output channel.
    pub bias: u32,
    /// `i32` Q31 multipliers, one per output channel.
    pub multipliers: u32,
    /// `i32` shifts, one per output channel.
    pub shifts: u32,
}

impl Field<'_> for FilterIds {
    const LAYOUT: &'static str = "weights, bias, multipliers, shifts";
    const WORDS: Option<usize> = Some(4);
    fn put(&self, sink: &mut dyn FnMut(u32)) {
        for v in [self.weights, self.bias, self.multipliers, self.shifts] {
            sink(v);
        }
    }
    fn take(words: &mut Words<'_>) -> Result<Self, Error> {
        Ok(Self {
            weights: words.u32()?,
            bias: words.u32()?,
            multipliers: words.u32()?,
            shifts: words.u32()?,
        })
    }
}

/// A fused activation, the int8 output range: 2 words, each in `-128..=127`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Clamp {
    /// The smallest output.
    pub min: i32,
    /// The largest output.
    pub max: i32,
}

impl Field<'_> for Clamp {
    const LAYOUT: &'static str = "{}(2)";
    const WORDS: Option<usize> = Some(2);
    fn put(&self, sink: &mut dyn FnMut(u32)) {
        sink(self.min as u32);
        sink(self.max as u32);
    }
    fn take(words: &mut Words<'_>) -> Result<Self, Error> {
        Ok(Self {
            min: words.i32()?,
            max: words.i32()?,
        })
    }
}

/// A fixed-point multiplier (TFLite's `MultiplyByQuantizedMultiplier` form): 2 words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Rescale {
    /// The Q31 significand.
    pub multiplier: i32,
    /// The power-of-two exponent.
    pub shift: i32,
}

impl Field<'_> for Rescale {
    const LAYOUT: &'static str = "{}(2)";
    const WORDS: Option<usize> = Some(2);
    fn put(&self, sink: &mut dyn FnMut(u32)) {
        sink(self.multiplier as u32);
        sink(self.shift as u32);
    }
    fn take(words: &mut Words<'_>) -> Result<Self, Error> {
        Ok(Self {
            multiplier: words.i32()?,
            shift: words.i32()?,
        })
    }
}

/// A list of tensor ids stored as little-endian `u32` words (the inputs of a concatenation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IdList<'a> {
    bytes: &'a [u8],
}

impl<'a> IdList<'a> {
    /// A list over `bytes` (little-endian `u32` ids); `None` unless the length is a
    /// multiple of 4.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        bytes.len().is_multiple_of(4).then_some(Self { bytes })
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.bytes.len() / 4
    }

    /// True for an empty list.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The ids in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        self.bytes
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    }
}

impl Tensors for IdList<'_> {
    fn each(&self, f: &mut dyn FnMut(u32)) {
        self.iter().for_each(f);
    }
}

/// Stored as the count, then the ids.
impl<'a> Field<'a> for IdList<'a> {
    const LAYOUT: &'static str = "count, count × {}";
    const WORDS: Option<usize> = None;
    fn put(&self, sink: &mut dyn FnMut(u32)) {
        sink(self.len() as u32);
        self.iter().for_each(sink);
    }
    fn take(words: &mut Words<'a>) -> Result<Self, Error> {
        let count = words.u32()? as usize;
        // `rest` returns whole words, so the length is a multiple of 4.
        Ok(Self {
            bytes: words.rest(count)?,
        })
    }
}
