//! The metadata section: input preprocessing, model name and class labels.
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | u32 | resize: shorter image side after resizing |
//! | 4 | u32 | crop: side of the square centre crop |
//! | 8 | f32 × 3 | per-channel mean on `[0, 1]` pixels, RGB |
//! | 20 | f32 × 3 | per-channel std, RGB |
//! | 32 | u32 | `name_len`: bytes of the UTF-8 model name |
//! | 36 | u32 | `label_count` |
//! | 40 | u8 × `name_len` | the name, then zero bytes to a multiple of 4 |
//! | … | u32 × `label_count` | end offset of each label in the label area |
//! | … | u8 | the label area: the labels' UTF-8 bytes back to back, to the end of the section |

use super::read_u32;
use crate::Error;

/// How raw pixels become the model's input: resize the shorter side to `resize`, centre-crop
/// `crop × crop`, scale to `[0, 1]`, then per RGB channel `(x − mean) / std`, and quantise
/// with the input tensor's scale and zero point.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Preprocess {
    /// Shorter side after resizing.
    pub resize: u32,
    /// Side of the square centre crop.
    pub crop: u32,
    /// Per-channel mean, RGB.
    pub mean: [f32; 3],
    /// Per-channel standard deviation, RGB.
    pub std: [f32; 3],
}

/// Bytes before the name.
const FIXED_LEN: usize = 40;

/// The parsed metadata section: the preprocessing and where the name and labels lie in it.
/// It holds no borrow, so a model kept with its bytes can carry it; the accessors take the
/// section's bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Metadata {
    /// The preprocessing.
    pub preprocess: Preprocess,
    name_end: usize,
    ends_start: usize,
    area_start: usize,
}

/// A metadata error.
const fn bad(what: &'static str) -> Error {
    Error::BadMetadata { what }
}

impl Metadata {
    /// Parses and validates the section: finite means, positive finite stds, a crop that fits
    /// the resize, valid UTF-8 everywhere, label offsets in order and ending at the section's
    /// end.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < FIXED_LEN {
            return Err(bad("section is shorter than its fixed part"));
        }
        let word = |i: usize| read_u32(bytes, 4 * i).unwrap_or(0);
        let float = |i: usize| f32::from_bits(word(i));
        let preprocess = Preprocess {
            resize: word(0),
            crop: word(1),
            mean: [float(2), float(3), float(4)],
            std: [float(5), float(6), float(7)],
        };
        if preprocess.crop == 0 || preprocess.crop > preprocess.resize {
            return Err(bad("crop is zero or larger than the resize"));
        }
        if !preprocess.mean.iter().all(|m| m.is_finite()) {
            return Err(bad("a mean is not finite"));
        }
        if !preprocess.std.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(bad("a std is not finite and positive"));
        }
        let name_len = word(8) as usize;
        let count = word(9) as usize;
        let name_end = FIXED_LEN
            .checked_add(name_len)
            .filter(|&end| end <= bytes.len())
            .ok_or(bad("name runs past the section"))?;
        core::str::from_utf8(&bytes[FIXED_LEN..name_end]).map_err(|_| bad("name is not UTF-8"))?;
        let ends_start = name_end.next_multiple_of(4);
        let area_start = count
            .checked_mul(4)
            .and_then(|n| n.checked_add(ends_start))
            .filter(|&end| end <= bytes.len())
            .ok_or(bad("label offsets run past the section"))?;
        let meta = Self {
            preprocess,
            name_end,
            ends_start,
            area_start,
        };
        let mut start = 0usize;
        for i in 0..count {
            let end = meta.end(bytes, i);
            let label = bytes[area_start..]
                .get(start..end)
                .ok_or(bad("label offsets are out of order or out of bounds"))?;
            core::str::from_utf8(label).map_err(|_| bad("a label is not UTF-8"))?;
            start = end;
        }
        if start != bytes.len() - area_start {
            return Err(bad("bytes after the last label"));
        }
        Ok(meta)
    }

    /// The model's name, from the section `bytes` this was decoded from.
    pub fn name<'a>(&self, bytes: &'a [u8]) -> &'a str {
        bytes
            .get(FIXED_LEN..self.name_end)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The number of labels (0 when the model has none).
    pub fn label_count(&self) -> usize {
        (self.area_start - self.ends_start) / 4
    }

    /// The label of class `index`, from the section `bytes` this was decoded from; `None` past
    /// the last one.
    pub fn label<'a>(&self, bytes: &'a [u8], index: usize) -> Option<&'a str> {
        if index >= self.label_count() {
            return None;
        }
        let start = if index == 0 {
            0
        } else {
            self.end(bytes, index - 1)
        };
        let area = bytes.get(self.area_start..)?;
        core::str::from_utf8(area.get(start..self.end(bytes, index))?).ok()
    }

    /// The end offset of label `i` in the label area.
    fn end(&self, bytes: &[u8], i: usize) -> usize {
        read_u32(bytes, self.ends_start + 4 * i).map_or(usize::MAX, |e| e as usize)
    }
}

/// Writes a metadata section to `sink`, in pieces. Errors with [`Error::BadMetadata`] when the
/// name or the labels exceed 4 GiB.
pub fn encode_metadata<'l, I>(
    preprocess: &Preprocess,
    name: &str,
    labels: I,
    sink: &mut impl FnMut(&[u8]),
) -> Result<(), Error>
where
    I: IntoIterator<Item = &'l str>,
    I::IntoIter: Clone,
{
    let labels = labels.into_iter();
    let too_long = bad("name or labels longer than 4 GiB");
    let count = u32::try_from(labels.clone().count()).map_err(|_| too_long)?;
    let name_len = u32::try_from(name.len()).map_err(|_| too_long)?;
    let p = preprocess;
    let words = [
        p.resize,
        p.crop,
        p.mean[0].to_bits(),
        p.mean[1].to_bits(),
        p.mean[2].to_bits(),
        p.std[0].to_bits(),
        p.std[1].to_bits(),
        p.std[2].to_bits(),
        name_len,
        count,
    ];
    for w in words {
        sink(&w.to_le_bytes());
    }
    sink(name.as_bytes());
    let padding = name.len().next_multiple_of(4) - name.len();
    sink(&[0u8; 4][..padding]);
    let mut end = 0u32;
    for label in labels.clone() {
        let len = u32::try_from(label.len()).map_err(|_| too_long)?;
        end = end.checked_add(len).ok_or(too_long)?;
        sink(&end.to_le_bytes());
    }
    for label in labels {
        sink(label.as_bytes());
    }
    Ok(())
}
