//! A minimal `.ebm` assembler built on the format encoders, so the runtime can be tested
//! without the compiler: tensors and ops are added by hand, the sections laid out in order.
#![allow(dead_code)] // Each test binary uses a different part of the support module.

use edgebone_runtime::format::{
    encode_metadata, seal, DType, Header, OpRecord, Preprocess, TensorKind, TensorRecord,
    CONSTANT_ALIGN, FORMAT_VERSION, HEADER_LEN, NO_PRODUCER, TENSOR_RECORD_LEN,
};

#[derive(Default)]
pub struct Assembler {
    pub tensors: Vec<TensorRecord>,
    pub words: Vec<u32>,
    pub constants: Vec<u8>,
    pub op_count: u32,
}

impl Assembler {
    /// Adds an int8 activation at `offset` in the arena.
    pub fn activation(
        &mut self,
        dims: &[u32],
        offset: u32,
        scale: f32,
        zero_point: i32,
        producer: u32,
    ) -> u32 {
        let mut d = [0u32; 4];
        d[..dims.len()].copy_from_slice(dims);
        self.tensors.push(TensorRecord {
            kind: TensorKind::Activation,
            dtype: DType::I8,
            rank: dims.len() as u8,
            rows: 0,
            dims: d,
            offset,
            scale,
            zero_point,
            producer,
        });
        self.tensors.len() as u32 - 1
    }

    /// Adds an int8 constant.
    pub fn constant_i8(&mut self, values: &[i8]) -> u32 {
        let offset = self.constants.len().next_multiple_of(CONSTANT_ALIGN);
        self.constants.resize(offset, 0);
        self.constants.extend(values.iter().map(|&v| v as u8));
        self.tensors.push(TensorRecord {
            kind: TensorKind::Constant,
            dtype: DType::I8,
            rank: 1,
            rows: 0,
            dims: [values.len() as u32, 0, 0, 0],
            offset: offset as u32,
            scale: 0.0,
            zero_point: 0,
            producer: NO_PRODUCER,
        });
        self.tensors.len() as u32 - 1
    }

    pub fn op(&mut self, record: OpRecord<'_>) {
        record.encode(&mut |w| self.words.push(w)).unwrap();
        self.op_count += 1;
    }

    /// The sealed blob.
    pub fn finish(&self, arena_size: u32, input: u32, output: u32, labels: &[&str]) -> Vec<u8> {
        let mut meta = Vec::new();
        let preprocess = Preprocess {
            resize: 4,
            crop: 2,
            mean: [0.5; 3],
            std: [0.5; 3],
        };
        encode_metadata(
            &preprocess,
            "tiny",
            labels.iter().copied(),
            &mut |b: &[u8]| meta.extend_from_slice(b),
        )
        .unwrap();
        let tensors_offset = HEADER_LEN;
        let ops_offset = tensors_offset + self.tensors.len() * TENSOR_RECORD_LEN;
        let meta_offset = ops_offset + self.words.len() * 4;
        let const_offset = (meta_offset + meta.len()).next_multiple_of(CONSTANT_ALIGN);
        let header = Header {
            version: FORMAT_VERSION,
            arena_size,
            tensor_count: self.tensors.len() as u32,
            tensors_offset: tensors_offset as u32,
            op_count: self.op_count,
            ops_offset: ops_offset as u32,
            ops_len: self.words.len() as u32 * 4,
            meta_offset: meta_offset as u32,
            meta_len: meta.len() as u32,
            const_offset: const_offset as u32,
            const_len: self.constants.len() as u32,
            input,
            output,
            ..Header::default()
        };
        let mut blob = header.encode().to_vec();
        for t in &self.tensors {
            blob.extend_from_slice(&t.encode());
        }
        for w in &self.words {
            blob.extend_from_slice(&w.to_le_bytes());
        }
        blob.extend_from_slice(&meta);
        blob.resize(const_offset, 0);
        blob.extend_from_slice(&self.constants);
        seal(&mut blob).unwrap();
        blob
    }
}

/// `blob` copied into 4-byte aligned storage (what an application does with
/// `#[repr(align(16))]` around `include_bytes!`); view it with [`bytes`].
pub fn aligned(blob: &[u8]) -> Vec<u32> {
    let mut words = vec![0u32; blob.len().div_ceil(4)];
    bytemuck::cast_slice_mut::<u32, u8>(&mut words)[..blob.len()].copy_from_slice(blob);
    words
}

/// The first `len` bytes of aligned storage.
pub fn bytes(words: &[u32], len: usize) -> &[u8] {
    &bytemuck::cast_slice::<u32, u8>(words)[..len]
}

/// The tiny model: `input [1, 2, 2, 4]` (scale 0.5) → in-place negating LUT → requantise to
/// scale 1.0, zero point 10 in another arena region. `requant_offset` moves the last
/// tensor (16 is the planned place; 8 overlaps the LUT output).
pub fn tiny_model(requant_offset: u32) -> Vec<u8> {
    let mut a = Assembler::default();
    let input = a.activation(&[1, 2, 2, 4], 0, 0.5, 0, NO_PRODUCER);
    let table: Vec<i8> = (0..256)
        .map(|bits| (-i32::from(bits as u8 as i8)).clamp(-128, 127) as i8)
        .collect();
    let table = a.constant_i8(&table);
    let negated = a.activation(&[1, 2, 2, 4], 0, 0.5, 0, 0);
    let output = a.activation(&[1, 16], requant_offset, 1.0, 10, 2);
    a.op(OpRecord::Lut {
        input,
        output: negated,
        table,
    });
    let reshaped = a.activation(&[1, 16], 0, 0.5, 0, 1);
    a.op(OpRecord::Reshape {
        input: negated,
        output: reshaped,
    });
    // 0.5 as a Q31 multiplier: 2^30 with shift 0.
    a.op(OpRecord::Requantize {
        input: reshaped,
        output,
        rescale: edgebone_runtime::format::Rescale {
            multiplier: 1 << 30,
            shift: 0,
        },
        clamp: edgebone_runtime::format::Clamp {
            min: -128,
            max: 127,
        },
    });
    a.finish(32, input, output, &["zero", "one"])
}
