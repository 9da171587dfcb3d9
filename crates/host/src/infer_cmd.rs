//! `edgebone infer`: a model run on a NumPy tensor. Float `.npy` files go through the float
//! front end (tract, or the int8 runtime behind a float NCHW input); int8 `.npy` files are an
//! int8 model's NHWC input as it stands, `[N, H, W, C]` (N images for a batch-1 model, like
//! the `.inputs.npy` files of `../shared/models/tflite`), and the int8 outputs are written
//! as they are, one row per image. An int8 `.tflite` file runs here too: it is compiled in
//! memory first, exactly as `edgebone compile` would.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use edgebone_runtime::OwnedModel;

use crate::model_args::{load_int8, ModelArgs, Runner};
use crate::npy::{self, NpyData};
use crate::tract_runner::FloatModel;

/// An input that does not fit the model it is fed to.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// The int8 input's shape is not the model's NHWC input (with any image count).
    #[error(
        "{file} has shape {got:?}; the model expects int8 NHWC {expected:?} (or N images of it)"
    )]
    Int8Shape {
        file: PathBuf,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    /// The float input's shape is not the model's input.
    #[error("{file} has shape {got:?}; the model expects float {expected:?}")]
    FloatShape {
        file: PathBuf,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    /// An int8 input for a model that runs in float.
    #[error(
        "{file} holds int8 values; only a compiled .ebm or an int8 .tflite model takes int8 input"
    )]
    Int8ForFloatModel { file: PathBuf },
}

/// Runs `model` on the `.npy` file `input` and writes the result to `output`; returns the
/// output's shape.
pub fn run(model: &ModelArgs, input: &Path, output: &Path) -> Result<Vec<usize>> {
    let runner = runner(model)?;
    let shape = match (&runner, npy::read(input)?) {
        (Runner::Int8(m), NpyData::I8 { shape, data }) => {
            let (shape, y) = run_int8(m, input, &shape, &data)?;
            npy::write_i8(output, &shape, &y)?;
            shape
        }
        (_, NpyData::F32(t)) => {
            let expected = runner.input_shape();
            if t.shape != expected {
                return Err(InferError::FloatShape {
                    file: input.to_path_buf(),
                    got: t.shape,
                    expected,
                }
                .into());
            }
            let (shape, y) = runner.run(&t.data)?;
            npy::write_f32(output, &shape, &y)?;
            shape
        }
        (Runner::Float(_), NpyData::I8 { .. }) => {
            return Err(InferError::Int8ForFloatModel {
                file: input.to_path_buf(),
            }
            .into())
        }
    };
    println!(
        "{}: {:?} -> {:?} written to {}",
        model.model,
        runner.input_shape(),
        shape,
        output.display()
    );
    Ok(shape)
}

/// The model behind `--model`: a plain ONNX file as tract parses it (whatever its input), a
/// `.tflite` file compiled in memory, zoo models and `.ebm` blobs through the loader.
fn runner(model: &ModelArgs) -> Result<Runner> {
    let path = Path::new(&model.model);
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tflite"))
    {
        // The preprocessing recorded in the blob does not matter to an int8 input; a float
        // input is normalised as `--norm` says (ImageNet's by default).
        return Ok(Runner::Int8(load_int8(path, model.norm)?));
    }
    Ok(if model.is_file() && !model.is_compiled() {
        Runner::Float(FloatModel::from_file(path)?)
    } else {
        model.load()?.runner
    })
}

/// Runs the int8 NHWC images `data` of shape `shape` (read from `file`) on `model`; returns
/// the output's shape (the image count first) and values.
pub fn run_int8(
    model: &OwnedModel,
    file: &Path,
    shape: &[usize],
    data: &[i8],
) -> Result<(Vec<usize>, Vec<i8>)> {
    let s = model.model().input().shape;
    let nhwc = vec![s.batch, s.height, s.width, s.channels];
    let images = match shape {
        [n, rest @ ..] if rest == &nhwc[1..] && (*n == s.batch || s.batch == 1) && *n > 0 => *n,
        _ => {
            return Err(InferError::Int8Shape {
                file: file.to_path_buf(),
                got: shape.to_vec(),
                expected: nhwc,
            }
            .into())
        }
    };
    let mut dims = model.output_dims();
    let outputs = model
        .run_frames(data)
        .with_context(|| format!("running {}", file.display()))?;
    if images != s.batch {
        // N images through a batch-1 model: N rows of its output.
        if dims.first() == Some(&1) {
            dims[0] = images;
        } else {
            dims.insert(0, images);
        }
    }
    Ok((dims, outputs.concat()))
}
