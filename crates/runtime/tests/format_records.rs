//! The format's encoders and decoders agree on every record type, and the CRC is the
//! standard CRC-32.

use edgebone_runtime::format::{
    crc32, encode_metadata, Clamp, DType, FilterIds, Header, IdList, Metadata, OpCode, OpRecord,
    Preprocess, Rescale, TensorKind, TensorRecord, WindowRecord,
};

/// Encodes, decodes and compares; checks the record length documented in docs/format.md.
fn roundtrip(record: OpRecord<'_>, documented_words: usize) {
    let mut words = Vec::new();
    record.encode(&mut |w| words.push(w)).unwrap();
    assert_eq!(words.len(), documented_words, "{:?}", record.code());
    assert_eq!((words[0] >> 16) as usize, documented_words);
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let (decoded, len) = OpRecord::decode(&bytes, 0).unwrap();
    // Records are invariant in their lifetime (a storage's list type is a projection), so
    // the decoded record, borrowing `bytes`, is compared through its complete `Debug` form.
    assert_eq!(format!("{decoded:?}"), format!("{record:?}"));
    assert_eq!(len, bytes.len());
    assert_eq!(words[0] & 0xffff, record.code() as u32);
    assert_eq!(OpCode::from_u16(record.code() as u16), Some(record.code()));
    // Any truncation is an error, not a panic.
    for cut in 0..bytes.len() {
        assert!(OpRecord::decode(&bytes[..cut], 0).is_err());
    }
}

#[test]
fn every_op_record_roundtrips() {
    let window = WindowRecord {
        kernel: [3, 5],
        stride: [2, 1],
        dilation: [1, 2],
        pads: [0, 1, 2, 3],
    };
    let filter = FilterIds {
        weights: 7,
        bias: 8,
        multipliers: 9,
        shifts: 10,
    };
    let clamp = Clamp { min: -128, max: 5 };
    let rescale = Rescale {
        multiplier: 1_234_567_890,
        shift: -7,
    };
    let ids: Vec<u8> = [4u32, 5, 6].iter().flat_map(|w| w.to_le_bytes()).collect();
    let records = [
        OpRecord::Conv2d {
            input: 1,
            output: 2,
            filter,
            window,
            groups: 4,
            clamp,
            scratch: 11,
        },
        OpRecord::DepthwiseConv2d {
            input: 1,
            output: 2,
            filter,
            window,
            clamp,
        },
        OpRecord::FullyConnected {
            input: 1,
            output: 2,
            filter,
            clamp,
            scratch: edgebone_runtime::format::NO_SCRATCH,
        },
        OpRecord::Add {
            a: 1,
            b: 2,
            output: 3,
            broadcast: 1,
            input1: rescale,
            input2: rescale,
            rescale,
            clamp,
        },
        OpRecord::Mul {
            a: 1,
            b: 2,
            output: 3,
            broadcast: 0,
            rescale,
            clamp,
        },
        OpRecord::MaxPool {
            input: 1,
            output: 2,
            window,
            clamp,
        },
        OpRecord::AvgPool {
            input: 1,
            output: 2,
            window,
            clamp,
        },
        OpRecord::GlobalAvgPool {
            input: 1,
            output: 2,
            rescale,
            clamp,
        },
        OpRecord::Concat {
            output: 3,
            inputs: IdList::new(&ids).unwrap(),
        },
        OpRecord::ChannelSlice {
            input: 1,
            output: 2,
            start: 3,
        },
        OpRecord::ChannelShuffle {
            input: 1,
            output: 2,
            groups: 3,
        },
        OpRecord::Lut {
            input: 1,
            output: 2,
            table: 3,
        },
        OpRecord::Requantize {
            input: 1,
            output: 2,
            rescale,
            clamp,
        },
        OpRecord::Reshape {
            input: 1,
            output: 2,
        },
        OpRecord::Pad {
            input: 1,
            output: 2,
            pads: [1, 2, 3, 4],
            value: -128,
        },
        OpRecord::Softmax {
            input: 1,
            output: 2,
            rescale,
            diff_min: -248,
        },
    ];
    let documented = [21, 19, 10, 13, 9, 15, 15, 7, 6, 4, 4, 4, 7, 3, 8, 6];
    for (record, words) in records.into_iter().zip(documented) {
        roundtrip(record, words);
    }
    assert_eq!(OpCode::from_u16(0), None);
    assert_eq!(OpCode::from_u16(17), None);
}

#[test]
fn header_and_tensor_records_roundtrip() {
    let header = Header {
        version: edgebone_runtime::format::FORMAT_VERSION,
        arena_size: 1000,
        tensor_count: 3,
        tensors_offset: 72,
        op_count: 2,
        ops_offset: 180,
        ops_len: 8,
        meta_offset: 188,
        meta_len: 40,
        const_offset: 240,
        const_len: 0,
        input: 0,
        output: 2,
        flags: edgebone_runtime::format::FLAG_TFLM_ROUNDING,
        ..Header::default()
    };
    let mut blob = header.encode().to_vec();
    blob.resize(240, 0);
    edgebone_runtime::format::seal(&mut blob).unwrap();
    let decoded = Header::decode(&blob).unwrap();
    assert_eq!(decoded.total_len, 240);
    assert_eq!(decoded.crc32, crc32(&blob[16..]));
    assert_eq!(
        Header {
            total_len: 0,
            crc32: 0,
            ..decoded
        },
        header
    );

    let tensor = TensorRecord {
        kind: TensorKind::Activation,
        dtype: DType::I8,
        rank: 2,
        rows: 0,
        dims: [1, 1000, 0, 0],
        offset: 64,
        scale: 0.125,
        zero_point: -3,
        producer: 4,
    };
    assert_eq!(TensorRecord::decode(&tensor.encode(), 0).unwrap(), tensor);
    let scratch = TensorRecord {
        kind: TensorKind::Scratch,
        rank: 1,
        dims: [1_539, 0, 0, 0],
        scale: 0.0,
        zero_point: 0,
        ..tensor
    };
    let bytes = scratch.encode();
    assert_eq!(bytes[0], 3, "scratch is kind 3");
    assert_eq!(TensorRecord::decode(&bytes, 0).unwrap(), scratch);
}

#[test]
fn metadata_roundtrips_with_unicode_labels() {
    let preprocess = Preprocess {
        resize: 256,
        crop: 224,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
    };
    let labels = ["tench", "goldfish", "", "café ☕"];
    let mut bytes = Vec::new();
    encode_metadata(&preprocess, "mobilenet_v2", labels, &mut |b: &[u8]| {
        bytes.extend_from_slice(b)
    })
    .unwrap();
    let meta = Metadata::decode(&bytes).unwrap();
    assert_eq!(meta.preprocess, preprocess);
    assert_eq!(meta.name(&bytes), "mobilenet_v2");
    assert_eq!(meta.label_count(), 4);
    for (i, l) in labels.iter().enumerate() {
        assert_eq!(meta.label(&bytes, i), Some(*l));
    }
    assert_eq!(meta.label(&bytes, 4), None);
    for cut in 0..bytes.len() {
        assert!(Metadata::decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn crc_is_the_standard_crc32() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}
