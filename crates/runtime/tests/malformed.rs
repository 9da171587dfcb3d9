//! A corpus of malformed `.ebm` blobs derived from a valid compiled one, each rejected by
//! `Model::from_bytes` (or the interpreter) with its own named error — never a panic.
//!
//! The valid blob is a committed fixture (`tests/fixtures/se_block.ebm`, see the README
//! there), so these tests need neither the compiler nor tract; every malformed case is made
//! from it with the format's own encoders.

use edgebone_runtime::format::{
    self, Header, OpRecord, TensorKind, TensorRecord, HEADER_LEN, TENSOR_RECORD_LEN,
};
use edgebone_runtime::{Error, Interpreter, Model, OwnedModel, Rounding};

/// The valid blob every case starts from (convolutions, pools, LUTs, Mul, GAP, Pad …).
fn valid() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/se_block.ebm");
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read the fixture {path}: {e}"))
}

fn header(blob: &[u8]) -> Header {
    Header::decode(blob).expect("valid header")
}

/// Loads `blob` from aligned memory.
fn load(blob: &[u8]) -> Result<(), Error> {
    OwnedModel::from_bytes(blob).map(|_| ())
}

/// `blob` with its header changed by `f` and re-sealed (length and CRC fixed up).
fn with_header(mut blob: Vec<u8>, f: impl FnOnce(&mut Header)) -> Vec<u8> {
    let mut h = header(&blob);
    f(&mut h);
    blob[..HEADER_LEN].copy_from_slice(&h.encode());
    format::seal(&mut blob).unwrap();
    blob
}

fn tensor(blob: &[u8], id: u32) -> TensorRecord {
    let at = header(blob).tensors_offset as usize + id as usize * TENSOR_RECORD_LEN;
    TensorRecord::decode(&blob[at..], id).unwrap()
}

/// `blob` with tensor `id`'s record changed by `f`, re-sealed.
fn with_tensor(mut blob: Vec<u8>, id: u32, f: impl FnOnce(&mut TensorRecord)) -> Vec<u8> {
    let mut t = tensor(&blob, id);
    f(&mut t);
    let at = header(&blob).tensors_offset as usize + id as usize * TENSOR_RECORD_LEN;
    blob[at..at + TENSOR_RECORD_LEN].copy_from_slice(&t.encode());
    format::seal(&mut blob).unwrap();
    blob
}

/// Byte offsets of the op records.
fn op_offsets(blob: &[u8]) -> Vec<usize> {
    let h = header(blob);
    let mut at = h.ops_offset as usize;
    (0..h.op_count)
        .map(|i| {
            let start = at;
            at += OpRecord::decode(&blob[at..], i).unwrap().1;
            start
        })
        .collect()
}

/// `blob` with op `index`'s record changed by `f` (same length), re-sealed.
fn with_op(
    mut blob: Vec<u8>,
    index: usize,
    f: impl FnOnce(OpRecord<'_>) -> OpRecord<'_>,
) -> Vec<u8> {
    let at = op_offsets(&blob)[index];
    let mut words = Vec::new();
    {
        let (record, _) = OpRecord::decode(&blob[at..], index as u32).unwrap();
        f(record).encode(&mut |w| words.push(w)).unwrap();
    }
    for (i, w) in words.iter().enumerate() {
        blob[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    format::seal(&mut blob).unwrap();
    blob
}

/// The first op with op code `code`, its index and record fields via `f`.
fn first_op<T>(blob: &[u8], pick: impl Fn(&OpRecord<'_>) -> Option<T>) -> (usize, T) {
    let model = OwnedModel::from_bytes(blob).unwrap();
    let found = model
        .model()
        .ops()
        .enumerate()
        .find_map(|(i, r)| pick(&r.unwrap()).map(|t| (i, t)));
    found.expect("the valid blob has such an op")
}

/// Op 0 of the SE graph: a convolution of the input.
fn conv0(blob: &[u8]) -> (u32, u32, format::FilterIds) {
    first_op(blob, |r| match *r {
        OpRecord::Conv2d {
            input,
            output,
            filter,
            ..
        } => Some((input, output, filter)),
        _ => None,
    })
    .1
}

/// What a case's error must be.
type Check = Box<dyn Fn(&Error) -> bool>;

/// Exactly `expected`.
fn is(expected: Error) -> Check {
    Box::new(move |e| *e == expected)
}

/// `Error::OffsetOutOfBounds` naming `what`.
fn out_of_bounds(what: &'static str) -> Check {
    Box::new(move |e| matches!(e, Error::OffsetOutOfBounds { what: w, .. } if *w == what))
}

#[test]
fn malformed_blobs_get_their_named_errors() {
    let blob = valid();
    assert_eq!(load(&blob), Ok(()));
    let h = header(&blob);
    let len = blob.len();
    let (conv_in, conv_out, filter) = conv0(&blob);
    let pool_out = first_op(&blob, |r| match *r {
        OpRecord::MaxPool { output, .. } => Some(output),
        _ => None,
    })
    .1;
    let arena = h.arena_size;

    let mut cases: Vec<(&str, Vec<u8>, Check)> = Vec::new();
    let mut case =
        |name: &'static str, bytes: Vec<u8>, check: Check| cases.push((name, bytes, check));

    case(
        "empty",
        Vec::new(),
        is(Error::Truncated {
            needed: HEADER_LEN,
            got: 0,
        }),
    );
    case(
        "shorter than the header",
        blob[..40].to_vec(),
        is(Error::Truncated {
            needed: HEADER_LEN,
            got: 40,
        }),
    );
    case(
        "truncated payload",
        blob[..len - 100].to_vec(),
        is(Error::Truncated {
            needed: len,
            got: len - 100,
        }),
    );
    let mut bad_magic = blob.clone();
    bad_magic[0] = b'X';
    case("bad magic", bad_magic, is(Error::BadMagic));
    case(
        "newer version",
        with_header(blob.clone(), |h| h.version = 5),
        is(Error::UnsupportedVersion {
            found: 5,
            supported: 4,
        }),
    );
    case(
        "older version (another record layout)",
        with_header(blob.clone(), |h| h.version = 2),
        is(Error::UnsupportedVersion {
            found: 2,
            supported: 4,
        }),
    );
    let mut flipped = blob.clone();
    *flipped.last_mut().unwrap() ^= 0x10;
    case(
        "bad CRC",
        flipped,
        Box::new(|e| matches!(e, Error::CrcMismatch { .. })),
    );
    let mut long_header = blob.clone();
    long_header[16..20].copy_from_slice(&80u32.to_le_bytes());
    format::seal(&mut long_header).unwrap();
    case(
        "header length",
        long_header,
        is(Error::BadHeader {
            what: "header length is not 72",
        }),
    );
    let mut flags = blob.clone();
    flags[20] = 2;
    format::seal(&mut flags).unwrap();
    case(
        "unknown flag",
        flags,
        is(Error::BadHeader {
            what: "flags have unknown bits",
        }),
    );
    case(
        "tensor table past the end",
        with_header(blob.clone(), |h| h.tensors_offset = h.total_len),
        out_of_bounds("tensor table"),
    );
    case(
        "op list past the end",
        with_header(blob.clone(), |h| h.ops_offset = h.total_len - 4),
        out_of_bounds("op list"),
    );
    case(
        "sections overlap",
        with_header(blob.clone(), |h| h.meta_offset = h.ops_offset),
        out_of_bounds("metadata section"),
    );
    case(
        "constants section unaligned",
        with_header(blob.clone(), |h| {
            h.const_offset += 8;
            h.const_len -= 8;
        }),
        is(Error::BadHeader {
            what: "the constants section is not 16-byte aligned",
        }),
    );
    case(
        "too many tensors",
        with_header(blob.clone(), |h| h.tensor_count = 70_000),
        is(Error::TooManyTensors {
            count: 70_000,
            max: 65_535,
        }),
    );
    case(
        "op count overflow",
        with_header(blob.clone(), |h| h.op_count = u32::MAX),
        is(Error::TooManyOps {
            count: u32::MAX,
            max: 65_535,
        }),
    );
    let room = h.ops_len / 4;
    case(
        "more ops than the op list can hold",
        with_header(blob.clone(), |h| h.op_count = room + 1),
        is(Error::TooManyOps {
            count: room + 1,
            max: room,
        }),
    );
    case(
        "one op more than stored",
        with_header(blob.clone(), |h| h.op_count += 1),
        out_of_bounds("op record header"),
    );
    case(
        "input id out of range",
        with_header(blob.clone(), |h| h.input = h.tensor_count),
        is(Error::TensorOutOfRange {
            op: u32::MAX,
            tensor: h.tensor_count,
            count: h.tensor_count,
        }),
    );
    case(
        "zero scale",
        with_tensor(blob.clone(), conv_out, |t| t.scale = 0.0),
        is(Error::BadScale {
            tensor: conv_out,
            scale: 0.0,
        }),
    );
    case(
        "NaN scale",
        with_tensor(blob.clone(), conv_out, |t| t.scale = f32::NAN),
        Box::new(
            move |e| matches!(e, Error::BadScale { tensor, scale } if *tensor == conv_out && scale.is_nan()),
        ),
    );
    case(
        "negative scale",
        with_tensor(blob.clone(), conv_out, |t| t.scale = -0.5),
        is(Error::BadScale {
            tensor: conv_out,
            scale: -0.5,
        }),
    );
    case(
        "zero point outside int8",
        with_tensor(blob.clone(), conv_out, |t| t.zero_point = 300),
        is(Error::BadZeroPoint {
            tensor: conv_out,
            zero_point: 300,
        }),
    );
    case(
        "zero dimension",
        with_tensor(blob.clone(), conv_out, |t| t.dims[1] = 0),
        Box::new(move |e| matches!(e, Error::BadDimensions { tensor, .. } if *tensor == conv_out)),
    );
    case(
        "absurd dimension",
        with_tensor(blob.clone(), conv_out, |t| t.dims[1] = 1 << 25),
        Box::new(move |e| matches!(e, Error::BadDimensions { tensor, .. } if *tensor == conv_out)),
    );
    case(
        "element count overflow",
        with_tensor(blob.clone(), conv_out, |t| t.dims = [1 << 24; 4]),
        Box::new(move |e| matches!(e, Error::BadDimensions { tensor, .. } if *tensor == conv_out)),
    );
    case(
        "rank 5",
        with_tensor(blob.clone(), conv_out, |t| t.rank = 5),
        Box::new(move |e| matches!(e, Error::BadDimensions { tensor, .. } if *tensor == conv_out)),
    );
    let mut unknown_kind = blob.clone();
    unknown_kind[h.tensors_offset as usize + conv_out as usize * TENSOR_RECORD_LEN] = 7;
    format::seal(&mut unknown_kind).unwrap();
    case(
        "unknown tensor kind",
        unknown_kind,
        is(Error::BadTensor {
            tensor: conv_out,
            what: "unknown kind",
        }),
    );
    case(
        "activation past the arena",
        with_tensor(blob.clone(), conv_out, |t| t.offset = arena),
        out_of_bounds("activation tensor"),
    );
    case(
        "unaligned constant",
        with_tensor(blob.clone(), filter.bias, |t| t.offset += 4),
        Box::new(
            move |e| matches!(e, Error::MisalignedConstant { tensor, .. } if *tensor == filter.bias),
        ),
    );
    case(
        "constant past its section",
        with_tensor(blob.clone(), filter.weights, |t| {
            t.offset = h.const_len.next_multiple_of(16)
        }),
        out_of_bounds("constant tensor"),
    );
    let mut unknown_op = blob.clone();
    let at = op_offsets(&blob)[0];
    unknown_op[at..at + 2].copy_from_slice(&99u16.to_le_bytes());
    format::seal(&mut unknown_op).unwrap();
    case(
        "unknown op code",
        unknown_op,
        is(Error::UnknownOpCode { op: 0, code: 99 }),
    );
    let mut long_record = blob.clone();
    long_record[at + 2] += 1;
    format::seal(&mut long_record).unwrap();
    case(
        "record longer than its op",
        long_record,
        Box::new(|e| matches!(e, Error::BadOpRecord { op: 0, .. })),
    );
    let set_conv = |f: ConvEdit| with_conv(&blob, f);
    case(
        "tensor id out of range",
        set_conv(&|input, _, _, _, _| *input = 9_999),
        is(Error::TensorOutOfRange {
            op: 0,
            tensor: 9_999,
            count: h.tensor_count,
        }),
    );
    case(
        "weights are an activation",
        set_conv(&|input, filter, _, _, _| filter.weights = *input),
        is(Error::WrongTensorKind {
            op: 0,
            tensor: conv_in,
            expected: "an i8 constant",
        }),
    );
    case(
        "bias is an i8 constant",
        set_conv(&|_, filter, _, _, _| filter.bias = filter.weights),
        Box::new(move |e| {
            matches!(
                e,
                Error::WrongTensorKind {
                    op: 0,
                    expected: "an i32 constant",
                    ..
                }
            )
        }),
    );
    case(
        "zero stride",
        set_conv(&|_, _, window, _, _| window.stride = [0, 1]),
        Box::new(|e| matches!(e, Error::BadParam { op: 0, .. })),
    );
    case(
        "empty activation range",
        set_conv(&|_, _, _, clamp, _| {
            clamp.min = 10;
            clamp.max = -10;
        }),
        Box::new(|e| matches!(e, Error::BadParam { op: 0, .. })),
    );
    case(
        "shape mismatch",
        with_tensor(blob.clone(), conv_out, |t| t.dims[1] -= 1),
        Box::new(
            move |e| matches!(e, Error::ShapeMismatch { op: 0, tensor, .. } if *tensor == conv_out),
        ),
    );
    let table = first_op(&blob, |r| match *r {
        OpRecord::Lut { table, .. } => Some(table),
        _ => None,
    })
    .1;
    let weights_are_a_table = with_conv(&blob, &|_, filter, _, _, _| filter.weights = table);
    case(
        "weights shape mismatch",
        weights_are_a_table,
        Box::new(
            move |e| matches!(e, Error::ShapeMismatch { op: 0, tensor, .. } if *tensor == table),
        ),
    );
    case(
        "producer field disagrees",
        with_tensor(blob.clone(), conv_out, |t| t.producer = 3),
        is(Error::UseBeforeDefinition {
            op: 0,
            tensor: conv_out,
        }),
    );
    let input_offset = tensor(&blob, conv_in).offset;
    let out_len = {
        let t = tensor(&blob, conv_out);
        t.dims[..t.rank as usize].iter().product::<u32>()
    };
    assert!(
        input_offset + out_len <= arena,
        "the aliasing case fits the arena"
    );
    // The op's scratch is checked against its output before the inputs are: if the moved
    // output also covers the scratch, that is the aliasing named.
    let scratch = conv0_scratch(&blob);
    let s = tensor(&blob, scratch);
    let scratch_hit = s.offset < input_offset + out_len && input_offset < s.offset + s.dims[0];
    case(
        "output overlaps the input",
        with_tensor(blob.clone(), conv_out, |t| t.offset = input_offset),
        is(Error::Aliasing {
            op: 0,
            tensor: if scratch_hit { scratch } else { conv_in },
        }),
    );
    case(
        "pooling changes the scale",
        with_tensor(blob.clone(), pool_out, |t| t.scale *= 2.0),
        Box::new(move |e| matches!(e, Error::QuantMismatch { tensor, .. } if *tensor == pool_out)),
    );
    let mut crop = blob.clone();
    let meta = h.meta_offset as usize;
    crop[meta + 4..meta + 8].copy_from_slice(&1000u32.to_le_bytes());
    format::seal(&mut crop).unwrap();
    case(
        "crop larger than resize",
        crop,
        is(Error::BadMetadata {
            what: "crop is zero or larger than the resize",
        }),
    );
    let mut label = blob.clone();
    label[(h.meta_offset + h.meta_len) as usize - 1] = 0xff;
    format::seal(&mut label).unwrap();
    case(
        "label not UTF-8",
        label,
        is(Error::BadMetadata {
            what: "a label is not UTF-8",
        }),
    );

    assert!(cases.len() >= 20);
    let mut names = std::collections::BTreeSet::new();
    for (name, bytes, check) in &cases {
        assert!(names.insert(*name), "duplicate case {name}");
        let err = load(bytes).expect_err(name);
        assert!(check(&err), "{name}: unexpected error {err:?} ({err})");
        // Every error renders a message.
        assert!(!err.to_string().is_empty());
    }
    println!(
        "{} malformed blobs rejected with their named errors",
        cases.len()
    );
}

#[test]
fn the_tflm_rounding_flag_selects_double_rounding() {
    let blob = valid();
    let single = OwnedModel::from_bytes(&blob).unwrap();
    assert_eq!(single.model().rounding(), Rounding::Single);
    let flagged = with_header(blob, |h| h.flags = format::FLAG_TFLM_ROUNDING);
    let double = OwnedModel::from_bytes(&flagged).unwrap();
    assert_eq!(double.model().rounding(), Rounding::Double);
}

#[test]
fn misaligned_blob_is_rejected_not_misread() {
    let blob = valid();
    // The blob at an address that is 1 modulo 4.
    let mut buffer = vec![0u8; blob.len() + 4];
    let start = (5 - buffer.as_ptr() as usize % 4) % 4;
    buffer[start..start + blob.len()].copy_from_slice(&blob);
    let slice = &buffer[start..start + blob.len()];
    assert_eq!(slice.as_ptr() as usize % 4, 1);
    assert_eq!(
        Model::from_bytes(slice).unwrap_err(),
        Error::MisalignedBlob { required: 4 }
    );
}

#[test]
fn arena_too_small_is_named() {
    let blob = valid();
    let owned = OwnedModel::from_bytes(&blob).unwrap();
    let model = owned.model();
    let needed = model.arena_bytes();
    let mut arena = vec![0u8; needed / 2];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    assert_eq!(
        Interpreter::new(&model, &mut arena, &mut plan).unwrap_err(),
        Error::ArenaTooSmall {
            needed,
            got: needed / 2
        }
    );
}

#[test]
fn trailing_bytes_after_the_declared_length_are_ignored() {
    let mut blob = valid();
    blob.extend_from_slice(&[0xaa; 37]);
    let owned = OwnedModel::from_bytes(&blob).unwrap();
    assert_eq!(owned.bytes().len(), blob.len() - 37);
    assert_eq!(
        owned.model().tensor(0).unwrap().kind,
        TensorKind::Activation
    );
}

/// The scratch field of op 0, a convolution.
fn conv0_scratch(blob: &[u8]) -> u32 {
    first_op(blob, |r| match *r {
        OpRecord::Conv2d { scratch, .. } => Some(scratch),
        _ => None,
    })
    .1
}

/// An edit of a convolution record's input, weights, window, clamp and scratch fields.
type ConvEdit<'f> = &'f dyn Fn(
    &mut u32,
    &mut format::FilterIds,
    &mut format::WindowRecord,
    &mut format::Clamp,
    &mut u32,
);

/// `blob` with the record of its first convolution edited by `f`, re-sealed.
fn with_conv(blob: &[u8], f: ConvEdit<'_>) -> Vec<u8> {
    let index = first_op(blob, |r| matches!(r, OpRecord::Conv2d { .. }).then_some(())).0;
    with_op(blob.to_vec(), index, |mut r| {
        if let OpRecord::Conv2d {
            input,
            filter,
            window,
            clamp,
            scratch,
            ..
        } = &mut r
        {
            f(input, filter, window, clamp, scratch);
        }
        r
    })
}

#[test]
fn bad_scratch_tensors_get_their_named_errors() {
    let blob = valid();
    let (conv_in, conv_out, _) = conv0(&blob);
    let scratch = conv0_scratch(&blob);
    assert_ne!(
        scratch,
        format::NO_SCRATCH,
        "the fixture's convolution has scratch"
    );
    assert_eq!(tensor(&blob, scratch).kind, TensorKind::Scratch);
    let output_offset = tensor(&blob, conv_out).offset;
    let arena = header(&blob).arena_size;
    let cases: [(&str, Vec<u8>, Error); 5] = [
        (
            "an activation as scratch",
            with_conv(&blob, &|_, _, _, _, scratch| *scratch = conv_in),
            Error::WrongTensorKind {
                op: 0,
                tensor: conv_in,
                expected: "a scratch tensor",
            },
        ),
        (
            "the scratch of another op",
            with_tensor(blob.clone(), scratch, |t| t.producer = 1),
            Error::BadTensor {
                tensor: scratch,
                what: "a scratch tensor used by an op other than its own",
            },
        ),
        (
            "scratch over the output",
            with_tensor(blob.clone(), scratch, |t| t.offset = output_offset),
            Error::Aliasing {
                op: 0,
                tensor: scratch,
            },
        ),
        (
            "scratch with a scale",
            with_tensor(blob.clone(), scratch, |t| t.scale = 0.5),
            Error::BadTensor {
                tensor: scratch,
                what: "a scratch tensor has a scale or zero point",
            },
        ),
        (
            "scratch of rank 2",
            with_tensor(blob.clone(), scratch, |t| {
                t.rank = 2;
                t.dims[1] = 1;
            }),
            Error::BadTensor {
                tensor: scratch,
                what: "a scratch tensor is not i8 of rank 1",
            },
        ),
    ];
    for (name, bytes, expected) in cases {
        assert_eq!(load(&bytes), Err(expected), "{name}");
    }
    let past_the_arena = with_tensor(blob.clone(), scratch, |t| t.offset = arena);
    let err = load(&past_the_arena).unwrap_err();
    assert!(out_of_bounds("scratch tensor")(&err), "{err:?}");
}

#[test]
fn a_convolution_without_scratch_runs_the_reference_kernel_bit_exactly() {
    let blob = valid();
    let without = with_conv(&blob, &|_, _, _, _, scratch| *scratch = format::NO_SCRATCH);
    let (with, without) = (
        OwnedModel::from_bytes(&blob).unwrap(),
        OwnedModel::from_bytes(&without).unwrap(),
    );
    let input: Vec<i8> = (0..with.model().input().len)
        .map(|i| (i * 37 % 251) as i8)
        .collect();
    assert_eq!(with.run(&input).unwrap(), without.run(&input).unwrap());
    let mut arena = vec![0u8; without.model().arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&without.model());
    let interpreter = Interpreter::new(&without.model(), &mut arena, &mut plan).unwrap();
    let kernel = interpreter.plan()[0].kernel();
    assert_eq!(kernel, "reference::conv2d");
}

/// A model compiled with row-streamed segments (`tests/fixtures/stream_chain.ebm`): ops 0
/// to 4 form a segment whose ops 0 to 3 write row-buffered tensors 1 to 4 (5, 3, 3 and 1
/// rows held), op 4 the whole tensor 5, read by ops 5 and 6.
fn streamed() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stream_chain.ebm"
    );
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read the fixture {path}: {e}"))
}

/// Loads `blob` and prepares an interpreter for it (where segments are checked).
fn prepare(blob: &[u8]) -> Result<Vec<i8>, Error> {
    let owned = OwnedModel::from_bytes(blob)?;
    let model = owned.model();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan)?;
    let input = vec![3i8; model.input().len];
    Ok(interpreter.invoke(&input)?.to_vec())
}

/// `Error::BadStream` at op `op` for `what`.
fn bad_stream(op: u32, what: &'static str) -> Check {
    is(Error::BadStream { op, what })
}

#[test]
fn streamed_blobs_get_their_named_errors() {
    let blob = streamed();
    assert_eq!(header(&blob).version, 4);
    let rows: Vec<u8> = (1..=5).map(|t| tensor(&blob, t).rows).collect();
    assert_eq!(rows, [5, 3, 3, 1, 0]);
    prepare(&blob).expect("the fixture runs");
    let bad_tensor = |tensor, what| is(Error::BadTensor { tensor, what });
    let not_rows = "rows held by a tensor that is not an activation [1, H, W, C] with more rows";
    let outside = "a row-buffered tensor read outside its segment";
    let cases: Vec<(&str, Vec<u8>, Check)> = vec![
        (
            "a row buffer one row short",
            with_tensor(blob.clone(), 2, |t| t.rows -= 1),
            bad_stream(1, "a row buffer holds fewer rows than the schedule keeps"),
        ),
        (
            "rows held in a version 3 blob",
            with_header(blob.clone(), |h| h.version = 3),
            bad_tensor(1, "rows held in a blob older than format version 4"),
        ),
        (
            "as many rows held as the tensor has",
            with_tensor(blob.clone(), 1, |t| t.rows = t.dims[1] as u8),
            bad_tensor(1, not_rows),
        ),
        (
            "rows held by a scratch tensor",
            with_tensor(blob.clone(), 16, |t| t.rows = 1),
            bad_tensor(16, not_rows),
        ),
        (
            "the segment's last output row-buffered, read after it",
            with_tensor(blob.clone(), 5, |t| t.rows = 1),
            bad_stream(6, outside),
        ),
        (
            "the model input fed by rows, one row held",
            with_tensor(blob.clone(), 0, |t| t.rows = 1),
            bad_stream(0, "a row buffer holds fewer rows than the schedule keeps"),
        ),
        (
            "a global pool inside a segment",
            with_tensor(blob.clone(), 12, |t| t.rows = 1),
            bad_stream(12, "an op that cannot run row by row"),
        ),
        (
            "the model output row-buffered",
            with_tensor(blob.clone(), 15, |t| t.rows = 1),
            bad_tensor(15, not_rows),
        ),
    ];
    for (name, case, check) in cases {
        let result = std::panic::catch_unwind(|| prepare(&case));
        match result {
            Ok(Err(e)) => assert!(check(&e), "{name}: unexpected error {e:?}"),
            Ok(Ok(_)) => panic!("{name}: accepted"),
            Err(_) => panic!("{name}: panicked"),
        }
    }
}

#[test]
fn a_streamed_model_equals_its_plan_without_segments() {
    // The same blob with no rows held and every activation and scratch tensor in bytes of
    // its own: every op runs whole, one after the other, and must give the same output.
    let blob = streamed();
    let streamed_out = prepare(&blob).unwrap();
    let h = header(&blob);
    let mut whole = blob.clone();
    let mut offset = 0u32;
    for id in 0..h.tensor_count {
        let t = tensor(&whole, id);
        if !matches!(t.kind, TensorKind::Activation | TensorKind::Scratch) {
            continue;
        }
        let bytes: u32 = t.dims[..t.rank as usize].iter().product();
        whole = with_tensor(whole, id, |t| {
            t.rows = 0;
            t.offset = offset;
        });
        offset += bytes.next_multiple_of(16);
    }
    let whole = with_header(whole, |h| h.arena_size = offset);
    assert_eq!(prepare(&whole).unwrap(), streamed_out);
    // The input fed by rows (all but one held: enough for any window) gives the same too.
    let by_rows = with_tensor(blob, 0, |t| t.rows = t.dims[1] as u8 - 1);
    assert_eq!(prepare(&by_rows).unwrap(), streamed_out);
}
