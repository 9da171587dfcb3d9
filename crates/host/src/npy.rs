//! NumPy `.npy` tensors in and out (float32 or int8, C order).

use std::path::Path;

use anyhow::{bail, Context, Result};
use npyz::WriterBuilder;

/// A float tensor read from a `.npy` file.
pub struct NpyTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// The values of a `.npy` file, by element type.
pub enum NpyData {
    /// float32 (float64 is converted).
    F32(NpyTensor),
    /// int8: an already quantised input of a compiled model.
    I8 { shape: Vec<usize>, data: Vec<i8> },
}

/// Reads a float32, float64 or int8 C-order array.
pub fn read(path: &Path) -> Result<NpyData> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let npy = npyz::NpyFile::new(&bytes[..])
        .with_context(|| format!("{} is not a .npy file", path.display()))?;
    if npy.order() != npyz::Order::C {
        bail!(
            "{} is in Fortran order; save it C-contiguous",
            path.display()
        );
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let dtype = match npy.dtype() {
        npyz::DType::Plain(ts) => ts.to_string(),
        other => other.descr(),
    };
    Ok(match dtype.as_str() {
        "<f4" => NpyData::F32(NpyTensor {
            shape,
            data: npy.into_vec::<f32>()?,
        }),
        "<f8" => {
            let data = npy
                .into_vec::<f64>()?
                .into_iter()
                .map(|v| v as f32)
                .collect();
            NpyData::F32(NpyTensor { shape, data })
        }
        "|i1" => NpyData::I8 {
            shape,
            data: npy.into_vec::<i8>()?,
        },
        other => bail!(
            "{} holds dtype {other}; expected float32 or int8",
            path.display()
        ),
    })
}

/// Reads a float32 (or float64, converted) C-order array.
pub fn read_f32(path: &Path) -> Result<NpyTensor> {
    match read(path)? {
        NpyData::F32(t) => Ok(t),
        NpyData::I8 { .. } => bail!("{} holds int8 values; expected float32", path.display()),
    }
}

/// Reads a float tensor and checks it has exactly `expected` shape.
pub fn read_f32_shaped(path: &Path, expected: &[usize]) -> Result<Vec<f32>> {
    let t = read_f32(path)?;
    if t.shape != expected {
        bail!(
            "{} has shape {:?}; the model expects {:?}",
            path.display(),
            t.shape,
            expected
        );
    }
    Ok(t.data)
}

/// Writes a float32 C-order array.
pub fn write_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    write(path, shape, data)
}

/// Writes an int8 C-order array.
pub fn write_i8(path: &Path, shape: &[usize], data: &[i8]) -> Result<()> {
    write(path, shape, data)
}

fn write<T: npyz::AutoSerialize + Copy>(path: &Path, shape: &[usize], data: &[T]) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&shape)
        .writer(std::io::BufWriter::new(file))
        .begin_nd()?;
    writer.extend(data.iter().copied())?;
    writer.finish()?;
    Ok(())
}
