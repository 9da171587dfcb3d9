//! Parameter values: a seeded deterministic initialiser, real weights from safetensors, or
//! values held in memory (an imported ONNX file's initializers).
//!
//! A safetensors file may be a PyTorch state dict as saved: BatchNorm counters are ignored and
//! float64/float16/bfloat16 parameters converted to float32 (`weights/state_dict.rs`), both
//! listed in the [`LoadReport`].

mod report;
mod state_dict;

pub use report::{Converted, LoadReport};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use safetensors::{Dtype, SafeTensors};

use crate::graph::{Graph, Init, Param};

/// Where parameter values come from.
pub enum Weights {
    /// He-normal convolutions, BatchNorm at identity, N(0, 0.01) linear layers; each tensor
    /// is drawn from its own ChaCha8 stream seeded by `seed` and the tensor's name, so a
    /// value never depends on the order in which tensors are created.
    Seeded(u64),
    /// A safetensors file whose keys are the reference names of the graph's parameters.
    File(SafeTensorsFile),
    /// Values held in memory, keyed by parameter name ([`crate::import`] fills them from an
    /// ONNX file's initializers).
    Values(ParamValues),
}

/// Parameter values held in memory, keyed by parameter name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamValues {
    /// Where the values came from (the imported file), named in error messages.
    pub origin: PathBuf,
    /// Each parameter's values by name.
    pub tensors: BTreeMap<String, ParamTensor>,
}

/// One parameter's shape and row-major values.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamTensor {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// A safetensors file read into memory.
pub struct SafeTensorsFile {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// A parameter whose shape in the file differs from the graph's.
#[derive(Clone, Debug, PartialEq)]
pub struct Misshaped {
    pub name: String,
    pub expected: Vec<usize>,
    pub found: Vec<usize>,
}

/// A tensor whose dtype the model cannot use.
#[derive(Clone, Debug, PartialEq)]
pub struct WrongDtype {
    pub name: String,
    /// The dtype in the file, as safetensors spells it (`I64`, `U8`, …).
    pub found: String,
    /// What the model takes there.
    pub expected: &'static str,
}

/// What a parameter may be stored as.
const EXPECTED_PARAM: &str = "a float (F32, or F64, F16, BF16 converted to float32)";
/// What a BatchNorm counter must be stored as.
const EXPECTED_COUNTER: &str = "an I64 scalar (a BatchNorm num_batches_tracked counter)";

/// Why weights could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WeightError {
    /// The file could not be read (the I/O error is part of the message, not a `source`,
    /// so that a chain printer shows it once).
    #[error("cannot read weights {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path} is not a valid safetensors file: {message}")]
    Format { path: PathBuf, message: String },
    /// Every key that is missing, unexpected, mis-shaped or of a dtype the model cannot use,
    /// all at once (boxed: the lists would make every `Result` of this module large).
    #[error("{0}")]
    Mismatch(Box<MismatchReport>),
    /// A float64 value that float32 cannot hold (it would become infinite).
    #[error("weights {path}: {name} holds {value:e}, beyond the range of float32")]
    OutOfRange {
        path: PathBuf,
        name: String,
        value: f64,
    },
}

/// How a weight source differs from the graph's parameters.
#[derive(Debug)]
pub struct MismatchReport {
    pub path: PathBuf,
    pub model: String,
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
    pub misshaped: Vec<Misshaped>,
    pub wrong_dtype: Vec<WrongDtype>,
}

impl fmt::Display for MismatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "weights {} do not fit {}:",
            self.path.display(),
            self.model
        )?;
        if !self.missing.is_empty() {
            write!(
                f,
                "\n  missing ({}): {}",
                self.missing.len(),
                self.missing.join(", ")
            )?;
        }
        if !self.unexpected.is_empty() {
            write!(
                f,
                "\n  unexpected ({}): {}",
                self.unexpected.len(),
                self.unexpected.join(", ")
            )?;
        }
        for m in &self.misshaped {
            write!(
                f,
                "\n  mis-shaped: {} is {:?} in the file, the model needs {:?}",
                m.name, m.found, m.expected
            )?;
        }
        for w in &self.wrong_dtype {
            write!(
                f,
                "\n  wrong dtype: {} is {} in the file, the model needs {}",
                w.name, w.found, w.expected
            )?;
        }
        Ok(())
    }
}

impl SafeTensorsFile {
    /// Reads and parses the header (values are decoded per tensor on demand).
    pub fn open(path: &Path) -> Result<Self, WeightError> {
        let bytes = std::fs::read(path).map_err(|error| WeightError::Io {
            path: path.into(),
            error,
        })?;
        let file = SafeTensorsFile {
            path: path.into(),
            bytes,
        };
        file.parsed()?;
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn parsed(&self) -> Result<SafeTensors<'_>, WeightError> {
        SafeTensors::deserialize(&self.bytes).map_err(|e| WeightError::Format {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}

impl Weights {
    /// Opens a safetensors file.
    pub fn from_file(path: &Path) -> Result<Self, WeightError> {
        SafeTensorsFile::open(path).map(Weights::File)
    }

    /// Checks that the file (or the in-memory values) holds exactly the graph's parameters with
    /// their shapes, in a float format (in memory: fp32 with as many values as the shape
    /// needs), plus at most the BatchNorm counters of the graph's BatchNorms; reports what it
    /// ignores and converts.
    pub fn check(&self, graph: &Graph) -> Result<LoadReport, WeightError> {
        match self {
            Weights::Seeded(_) => Ok(LoadReport {
                model: graph.name.clone(),
                params: graph.params.len(),
                ..LoadReport::default()
            }),
            Weights::File(file) => {
                let st = file.parsed()?;
                mismatch(&file.path, graph, st.names(), |name| {
                    st.tensor(name).ok().map(|t| Found {
                        shape: t.shape().to_vec(),
                        dtype: t.dtype(),
                    })
                })
            }
            Weights::Values(v) => mismatch(&v.origin, graph, v.tensors.keys(), |name| {
                v.tensors.get(name).map(|t| Found {
                    // A value count that does not fill the shape is reported as a flat shape.
                    shape: if t.values.len() == t.shape.iter().product::<usize>() {
                        t.shape.clone()
                    } else {
                        vec![t.values.len()]
                    },
                    dtype: Dtype::F32,
                })
            }),
        }
    }

    /// The values of one parameter, as float32. For a file, call [`Weights::check`] first.
    pub fn values(&self, param: &Param) -> Result<Vec<f32>, WeightError> {
        match self {
            Weights::Seeded(seed) => Ok(seeded(*seed, param)),
            Weights::File(file) => {
                let st = file.parsed()?;
                let t = st.tensor(&param.name).map_err(|e| WeightError::Format {
                    path: file.path.clone(),
                    message: format!("{}: {e}", param.name),
                })?;
                state_dict::to_f32(t.dtype(), t.data()).map_err(|e| match e {
                    state_dict::Unconverted::OutOfRange(value) => WeightError::OutOfRange {
                        path: file.path.clone(),
                        name: param.name.clone(),
                        value,
                    },
                    state_dict::Unconverted::Dtype(dtype) => WeightError::Format {
                        path: file.path.clone(),
                        message: format!("{} is {dtype}, not a float format", param.name),
                    },
                })
            }
            Weights::Values(v) => v
                .tensors
                .get(&param.name)
                .map(|t| t.values.clone())
                .ok_or_else(|| WeightError::Format {
                    path: v.origin.clone(),
                    message: format!("no values for {}", param.name),
                }),
        }
    }
}

/// What a weight source holds under one name.
struct Found {
    shape: Vec<usize>,
    dtype: Dtype,
}

/// Compares a source's tensors (`names`, looked up with `find`) with the graph's parameters and
/// reports every difference at once; on success, what was ignored and what is converted.
fn mismatch(
    path: &Path,
    graph: &Graph,
    names: impl IntoIterator<Item = impl AsRef<str>>,
    find: impl Fn(&str) -> Option<Found>,
) -> Result<LoadReport, WeightError> {
    let mut missing = Vec::new();
    let mut misshaped = Vec::new();
    let mut wrong_dtype = Vec::new();
    let mut report = LoadReport {
        path: path.to_path_buf(),
        model: graph.name.clone(),
        params: graph.params.len(),
        ..LoadReport::default()
    };
    for p in &graph.params {
        match find(&p.name) {
            None => missing.push(p.name.clone()),
            Some(t) if t.shape != p.shape => misshaped.push(Misshaped {
                name: p.name.clone(),
                expected: p.shape.clone(),
                found: t.shape,
            }),
            Some(t) if t.dtype == Dtype::F32 => {}
            Some(t) if state_dict::converts_to_f32(t.dtype) => report.converted.push(Converted {
                name: p.name.clone(),
                from: t.dtype.to_string(),
            }),
            Some(t) => wrong_dtype.push(WrongDtype {
                name: p.name.clone(),
                found: t.dtype.to_string(),
                expected: EXPECTED_PARAM,
            }),
        }
    }
    let params: BTreeSet<&str> = graph.params.iter().map(|p| p.name.as_str()).collect();
    let mut unexpected = Vec::new();
    for name in names {
        let name = name.as_ref();
        if params.contains(name) {
            continue;
        }
        // A counter is only bookkeeping when the graph has its BatchNorm; it must then be
        // what PyTorch writes, an int64 scalar.
        let counter = state_dict::counter_owner(name)
            .filter(|owner| params.contains(owner.as_str()))
            .and_then(|_| find(name));
        match counter {
            None => unexpected.push(name.to_string()),
            Some(t) if !t.shape.is_empty() => misshaped.push(Misshaped {
                name: name.to_string(),
                expected: Vec::new(),
                found: t.shape,
            }),
            Some(t) if t.dtype != state_dict::COUNTER_DTYPE => wrong_dtype.push(WrongDtype {
                name: name.to_string(),
                found: t.dtype.to_string(),
                expected: EXPECTED_COUNTER,
            }),
            Some(_) => report.ignored.push(name.to_string()),
        }
    }
    unexpected.sort();
    report.ignored.sort();
    if missing.is_empty() && unexpected.is_empty() && misshaped.is_empty() && wrong_dtype.is_empty()
    {
        return Ok(report);
    }
    Err(WeightError::Mismatch(Box::new(MismatchReport {
        path: path.to_path_buf(),
        model: graph.name.clone(),
        missing,
        unexpected,
        misshaped,
        wrong_dtype,
    })))
}

fn seeded(seed: u64, param: &Param) -> Vec<f32> {
    let n = param.numel();
    let std = match param.init {
        Init::Const(v) => return vec![v; n],
        Init::Normal(std) => std,
        Init::HeNormalFanOut => {
            let fan_out = param.shape[0] * param.shape[2..].iter().product::<usize>();
            (2.0 / fan_out as f32).sqrt()
        }
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ fnv1a(&param.name));
    let normal = Normal::new(0.0f32, std).expect("std is finite and positive");
    (0..n).map(|_| normal.sample(&mut rng)).collect()
}

/// FNV-1a, a stable 64-bit hash of a tensor name.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
