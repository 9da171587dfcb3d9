//! Serialisation of a planned [`Program`] as an `.ebm` blob, with the encoders of
//! `edgebone_runtime::format` (the one definition of the layout).

use edgebone_kernels::{Broadcast, Requant};
use edgebone_runtime::format::{
    self, encode_metadata, Clamp as ClampRecord, DType, FilterIds, Header, IdList, OpRecord,
    Preprocess, Rescale, TensorKind, TensorRecord, WindowRecord, CONSTANT_ALIGN, HEADER_LEN,
    NO_PRODUCER,
};

use super::plan::MemoryPlan;
use super::program::{FilterData, Program, Step};
use super::CompileError;
use crate::qgraph::{Clamp, InputSpec, Window};

/// What goes into the metadata section.
pub(crate) struct Meta<'g> {
    pub name: &'g str,
    pub preprocess: &'g InputSpec,
    pub labels: &'g [String],
}

/// A number that must fit a `u32` field.
fn u32_of(what: &str, v: usize) -> Result<u32, CompileError> {
    u32::try_from(v).map_err(|_| CompileError::TooLarge(format!("{what} ({v}) exceeds u32")))
}

/// Tensor records and constant bytes, growing as the ops are written.
struct Tables {
    records: Vec<TensorRecord>,
    constants: Vec<u8>,
}

impl Tables {
    /// Appends a constant tensor at the next 16-byte boundary; returns its id.
    fn constant(
        &mut self,
        dtype: DType,
        dims: &[usize],
        bytes: &[u8],
    ) -> Result<u32, CompileError> {
        let offset = self.constants.len().next_multiple_of(CONSTANT_ALIGN);
        self.constants.resize(offset, 0);
        self.constants.extend_from_slice(bytes);
        let mut d = [0u32; 4];
        for (slot, &v) in d.iter_mut().zip(dims) {
            *slot = u32_of("constant dimension", v)?;
        }
        self.records.push(TensorRecord {
            kind: TensorKind::Constant,
            dtype,
            rank: dims.len() as u8,
            dims: d,
            offset: u32_of("constants section", offset)?,
            scale: 0.0,
            zero_point: 0,
            producer: NO_PRODUCER,
        });
        u32_of("tensor count", self.records.len() - 1)
    }

    fn i8s(&mut self, dims: &[usize], values: &[i8]) -> Result<u32, CompileError> {
        let bytes: Vec<u8> = values.iter().map(|&v| v as u8).collect();
        self.constant(DType::I8, dims, &bytes)
    }

    fn i32s(&mut self, values: &[i32]) -> Result<u32, CompileError> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.constant(DType::I32, &[values.len()], &bytes)
    }

    fn filter(&mut self, f: &FilterData) -> Result<FilterIds, CompileError> {
        let multipliers: Vec<i32> = f.requant.iter().map(|r| r.multiplier).collect();
        let shifts: Vec<i32> = f.requant.iter().map(|r| r.shift).collect();
        Ok(FilterIds {
            weights: self.i8s(&f.dims, &f.weights)?,
            bias: self.i32s(&f.bias)?,
            multipliers: self.i32s(&multipliers)?,
            shifts: self.i32s(&shifts)?,
        })
    }
}

fn clamp(c: &Clamp) -> ClampRecord {
    ClampRecord {
        min: i32::from(c.min),
        max: i32::from(c.max),
    }
}

const NO_CLAMP: ClampRecord = ClampRecord {
    min: i8::MIN as i32,
    max: i8::MAX as i32,
};

fn rescale(r: &Requant) -> Rescale {
    Rescale {
        multiplier: r.multiplier,
        shift: r.shift,
    }
}

fn window(w: &Window) -> Result<WindowRecord, CompileError> {
    let pair = |v: [usize; 2]| -> Result<[u32; 2], CompileError> {
        Ok([u32_of("window", v[0])?, u32_of("window", v[1])?])
    };
    Ok(WindowRecord {
        kernel: pair(w.kernel)?,
        stride: pair(w.stride)?,
        dilation: pair(w.dilation)?,
        pads: pads(w.pads)?,
    })
}

fn pads(p: [usize; 4]) -> Result<[u32; 4], CompileError> {
    Ok([
        u32_of("padding", p[0])?,
        u32_of("padding", p[1])?,
        u32_of("padding", p[2])?,
        u32_of("padding", p[3])?,
    ])
}

fn broadcast(b: Broadcast) -> u32 {
    match b {
        Broadcast::None => 0,
        Broadcast::Channels => 1,
    }
}

/// Encodes `step` (whose tensors are ids `< 2^32`) as op record words.
fn encode_step(step: &Step, tables: &mut Tables, words: &mut Vec<u32>) -> Result<(), CompileError> {
    let id = |t: usize| u32_of("tensor id", t);
    let mut ids_bytes = Vec::new();
    let record = match step {
        Step::Conv {
            input,
            output,
            window: w,
            groups,
            filter,
            clamp: c,
        } => OpRecord::Conv2d {
            input: id(*input)?,
            output: id(*output)?,
            filter: tables.filter(filter)?,
            window: window(w)?,
            groups: u32_of("groups", *groups)?,
            clamp: clamp(c),
        },
        Step::Depthwise {
            input,
            output,
            window: w,
            filter,
            clamp: c,
        } => OpRecord::DepthwiseConv2d {
            input: id(*input)?,
            output: id(*output)?,
            filter: tables.filter(filter)?,
            window: window(w)?,
            clamp: clamp(c),
        },
        Step::FullyConnected {
            input,
            output,
            filter,
            clamp: c,
        } => OpRecord::FullyConnected {
            input: id(*input)?,
            output: id(*output)?,
            filter: tables.filter(filter)?,
            clamp: clamp(c),
        },
        Step::Add {
            a,
            b,
            output,
            broadcast: bc,
            requant,
            clamp: c,
        } => OpRecord::Add {
            a: id(*a)?,
            b: id(*b)?,
            output: id(*output)?,
            broadcast: broadcast(*bc),
            input1: rescale(&requant.input1),
            input2: rescale(&requant.input2),
            rescale: rescale(&requant.output),
            clamp: clamp(c),
        },
        Step::Mul {
            a,
            b,
            output,
            broadcast: bc,
            requant,
            clamp: c,
        } => OpRecord::Mul {
            a: id(*a)?,
            b: id(*b)?,
            output: id(*output)?,
            broadcast: broadcast(*bc),
            rescale: rescale(requant),
            clamp: clamp(c),
        },
        Step::MaxPool {
            input,
            output,
            window: w,
        } => OpRecord::MaxPool {
            input: id(*input)?,
            output: id(*output)?,
            window: window(w)?,
            clamp: NO_CLAMP,
        },
        Step::AvgPool {
            input,
            output,
            window: w,
        } => OpRecord::AvgPool {
            input: id(*input)?,
            output: id(*output)?,
            window: window(w)?,
            clamp: NO_CLAMP,
        },
        Step::GlobalAvgPool {
            input,
            output,
            requant,
        } => OpRecord::GlobalAvgPool {
            input: id(*input)?,
            output: id(*output)?,
            rescale: rescale(requant),
            clamp: NO_CLAMP,
        },
        Step::Concat { inputs, output } => {
            for &t in inputs {
                ids_bytes.extend_from_slice(&id(t)?.to_le_bytes());
            }
            OpRecord::Concat {
                output: id(*output)?,
                inputs: IdList::new(&ids_bytes)
                    .ok_or_else(|| CompileError::TooLarge("concatenation input list".into()))?,
            }
        }
        Step::ChannelSlice {
            input,
            output,
            start,
        } => OpRecord::ChannelSlice {
            input: id(*input)?,
            output: id(*output)?,
            start: u32_of("channel slice start", *start)?,
        },
        Step::ChannelShuffle {
            input,
            output,
            groups,
        } => OpRecord::ChannelShuffle {
            input: id(*input)?,
            output: id(*output)?,
            groups: u32_of("groups", *groups)?,
        },
        Step::Lut {
            input,
            output,
            table,
        } => OpRecord::Lut {
            input: id(*input)?,
            output: id(*output)?,
            table: tables.i8s(&[256], &table[..])?,
        },
        Step::Requantize {
            input,
            output,
            requant,
        } => OpRecord::Requantize {
            input: id(*input)?,
            output: id(*output)?,
            rescale: rescale(requant),
            clamp: NO_CLAMP,
        },
        Step::Reshape { input, output } => OpRecord::Reshape {
            input: id(*input)?,
            output: id(*output)?,
        },
        Step::Pad {
            input,
            output,
            pads: p,
            value,
        } => OpRecord::Pad {
            input: id(*input)?,
            output: id(*output)?,
            pads: pads(*p)?,
            value: i32::from(*value),
        },
    };
    record
        .encode(&mut |w| words.push(w))
        .map_err(|e| CompileError::TooLarge(format!("op record: {e}")))
}

/// Writes the blob.
pub(crate) fn write(
    program: &Program,
    plan: &MemoryPlan,
    meta: &Meta<'_>,
) -> Result<Vec<u8>, CompileError> {
    let mut producer = vec![NO_PRODUCER; program.tensors.len()];
    for (i, step) in program.steps.iter().enumerate() {
        producer[step.output()] = u32_of("op index", i)?;
    }
    let mut tables = Tables {
        records: Vec::new(),
        constants: Vec::new(),
    };
    for (t, tensor) in program.tensors.iter().enumerate() {
        let record = match plan.placement(t) {
            Some(p) => {
                let mut dims = [0u32; 4];
                for (slot, &v) in dims.iter_mut().zip(&tensor.dims) {
                    *slot = u32_of("dimension", v)?;
                }
                TensorRecord {
                    kind: TensorKind::Activation,
                    dtype: DType::I8,
                    rank: tensor.dims.len() as u8,
                    dims,
                    offset: u32_of("arena offset", p.offset)?,
                    scale: tensor.scale,
                    zero_point: i32::from(tensor.zero_point),
                    producer: producer[t],
                }
            }
            None => TensorRecord {
                kind: TensorKind::Unused,
                dtype: DType::I8,
                rank: 0,
                dims: [0; 4],
                offset: 0,
                scale: 0.0,
                zero_point: 0,
                producer: NO_PRODUCER,
            },
        };
        tables.records.push(record);
    }
    let mut words = Vec::new();
    for step in &program.steps {
        encode_step(step, &mut tables, &mut words)?;
    }
    let spec = meta.preprocess;
    let preprocess = Preprocess {
        resize: u32_of("resize", spec.resize)?,
        crop: u32_of("crop", spec.crop)?,
        mean: spec.mean,
        std: spec.std,
    };
    let mut meta_bytes = Vec::new();
    encode_metadata(
        &preprocess,
        meta.name,
        meta.labels.iter().map(String::as_str),
        &mut |b: &[u8]| meta_bytes.extend_from_slice(b),
    )
    .map_err(|e| CompileError::TooLarge(format!("metadata: {e}")))?;

    let tensors_offset = HEADER_LEN;
    let ops_offset = tensors_offset + tables.records.len() * format::TENSOR_RECORD_LEN;
    let meta_offset = ops_offset + words.len() * 4;
    let const_offset = (meta_offset + meta_bytes.len()).next_multiple_of(CONSTANT_ALIGN);
    let header = Header {
        version: format::FORMAT_VERSION,
        total_len: 0,
        crc32: 0,
        arena_size: u32_of("arena size", plan.arena_bytes)?,
        tensor_count: u32_of("tensor count", tables.records.len())?,
        tensors_offset: u32_of("offset", tensors_offset)?,
        op_count: u32_of("op count", program.steps.len())?,
        ops_offset: u32_of("offset", ops_offset)?,
        ops_len: u32_of("op list", words.len() * 4)?,
        meta_offset: u32_of("offset", meta_offset)?,
        meta_len: u32_of("metadata", meta_bytes.len())?,
        const_offset: u32_of("offset", const_offset)?,
        const_len: u32_of("constants", tables.constants.len())?,
        input: u32_of("tensor id", program.input)?,
        output: u32_of("tensor id", program.output)?,
    };
    let mut blob = Vec::with_capacity(const_offset + tables.constants.len());
    blob.extend_from_slice(&header.encode());
    for r in &tables.records {
        blob.extend_from_slice(&r.encode());
    }
    for w in &words {
        blob.extend_from_slice(&w.to_le_bytes());
    }
    blob.extend_from_slice(&meta_bytes);
    blob.resize(const_offset, 0);
    blob.extend_from_slice(&tables.constants);
    format::seal(&mut blob).map_err(|e| CompileError::TooLarge(format!("blob: {e}")))?;
    Ok(blob)
}
