//! Serialisation of a planned [`Program`] as an `.ebm` blob, with the encoders of
//! `edgebone_runtime::format` (the one definition of the layout).

use edgebone_runtime::format::{
    self, encode_metadata, Convert, DType, FilterIds, Header, IdList, Preprocess, Stored,
    TensorKind, TensorRecord, CONSTANT_ALIGN, HEADER_LEN, NO_PRODUCER,
};

use crate::plan::MemoryPlan;
use crate::program::{FilterData, Operands, Owned, Program, TensorList};
use crate::qgraph::InputSpec;
use crate::qgraph::Rounding;
use crate::record::{id, u32_of};
use crate::CompileError;

/// What goes into the metadata section.
pub(crate) struct Meta<'g> {
    pub name: &'g str,
    pub preprocess: &'g InputSpec,
    pub labels: &'g [String],
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
            rows: 0,
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
}

/// Turns one step into its stored record: constants go to the tables, a tensor list to
/// `ids` (taken once: a record has at most one list).
struct Storing<'t, 'b> {
    tables: &'t mut Tables,
    ids: Option<&'b mut Vec<u8>>,
}

impl<'b> Convert<'b, Owned, Stored> for Storing<'_, 'b> {
    type Error = CompileError;

    fn filter(&mut self, f: &FilterData) -> Result<FilterIds, CompileError> {
        let multipliers: Vec<i32> = f.requant.iter().map(|r| r.multiplier).collect();
        let shifts: Vec<i32> = f.requant.iter().map(|r| r.shift).collect();
        Ok(FilterIds {
            weights: self.tables.i8s(&f.dims, &f.weights)?,
            bias: self.tables.i32s(&f.bias)?,
            multipliers: self.tables.i32s(&multipliers)?,
            shifts: self.tables.i32s(&shifts)?,
        })
    }

    fn table(&mut self, table: &Box<[i8; 256]>) -> Result<u32, CompileError> {
        self.tables.i8s(&[256], &table[..])
    }

    fn list(&mut self, list: &TensorList) -> Result<IdList<'b>, CompileError> {
        let too_large = || CompileError::TooLarge("concatenation input list".into());
        let ids = self.ids.take().ok_or_else(too_large)?;
        ids.extend(list.0.iter().flat_map(|t| t.to_le_bytes()));
        IdList::new(ids).ok_or_else(too_large)
    }
}

/// Writes the blob.
pub(crate) fn write(
    program: &Program,
    plan: &MemoryPlan,
    meta: &Meta<'_>,
) -> Result<Vec<u8>, CompileError> {
    let mut producer = vec![NO_PRODUCER; program.tensors.len()];
    for (i, step) in program.steps.iter().enumerate() {
        let i = u32_of("op index", i)?;
        producer[step.output_id()] = i;
        if let Some(scratch) = step.scratch_id() {
            producer[scratch] = i;
        }
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
                    kind: if tensor.scratch {
                        TensorKind::Scratch
                    } else {
                        TensorKind::Activation
                    },
                    dtype: DType::I8,
                    rank: tensor.dims.len() as u8,
                    rows: u8::try_from(tensor.rows).map_err(|_| {
                        CompileError::TooLarge(format!(
                            "{} rows held of `{}`",
                            tensor.rows, tensor.name
                        ))
                    })?,
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
                rows: 0,
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
    // The oldest format version this runtime reads with every op of the program.
    let mut version = format::MIN_FORMAT_VERSION;
    if program.tensors.iter().any(|t| t.rows > 0) {
        version = version.max(format::ROWS_SINCE);
    }
    for step in &program.steps {
        let mut ids = Vec::new();
        let record = step.convert(&mut Storing {
            tables: &mut tables,
            ids: Some(&mut ids),
        })?;
        version = version.max(record.code().since());
        record
            .encode(&mut |w| words.push(w))
            .map_err(|e| CompileError::TooLarge(format!("op record: {e}")))?;
    }
    let meta_bytes = metadata(meta)?;
    let tensors_offset = HEADER_LEN;
    let ops_offset = tensors_offset + tables.records.len() * format::TENSOR_RECORD_LEN;
    let meta_offset = ops_offset + words.len() * 4;
    let const_offset = (meta_offset + meta_bytes.len()).next_multiple_of(CONSTANT_ALIGN);
    let header = Header {
        version,
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
        input: id(program.input)?,
        output: id(program.output)?,
        flags: match program.rounding {
            Rounding::Single => 0,
            Rounding::Double => format::FLAG_TFLM_ROUNDING,
        },
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

/// The metadata section: the preprocessing, the model's name and its labels.
fn metadata(meta: &Meta<'_>) -> Result<Vec<u8>, CompileError> {
    let spec = meta.preprocess;
    let preprocess = Preprocess {
        resize: u32_of("resize", spec.resize)?,
        crop: u32_of("crop", spec.crop)?,
        mean: spec.mean,
        std: spec.std,
    };
    let mut bytes = Vec::new();
    encode_metadata(
        &preprocess,
        meta.name,
        meta.labels.iter().map(String::as_str),
        &mut |b: &[u8]| bytes.extend_from_slice(b),
    )
    .map_err(|e| CompileError::TooLarge(format!("metadata: {e}")))?;
    Ok(bytes)
}
