//! ONNX import without running anything: structure, names and every kind of bad file, each
//! answered with an error that names what is wrong (never a panic).

use std::path::PathBuf;

use edgebone_zoo::import::{from_onnx, from_onnx_file, ImportError};
use edgebone_zoo::onnx::to_onnx;
use edgebone_zoo::weights::{ParamTensor, ParamValues, WeightError};
use edgebone_zoo::{Builder, Conv, Graph, Pool, Weights};
use prost::Message;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::dimension::Value as Dim;
use tract_onnx::pb::{type_proto, ModelProto};

/// Conv → BatchNorm → ReLU6 → Conv → GAP → Flatten → Linear, exported with seeded weights.
fn small() -> (Graph, ModelProto) {
    let (mut b, x) = Builder::new("small", [3, 8, 8]);
    let y = b.conv("stem", x, Conv::new(4, 3).stride(2));
    let y = b.batch_norm("bn", y, 1e-5);
    let y = b.relu6(y);
    let y = b.conv("pw", y, Conv::new(6, 1).bias(true));
    let y = b.global_avg_pool(y);
    let y = b.flatten(y);
    let y = b.linear("fc", y, 5);
    let graph = b.finish(y).unwrap();
    let proto = to_onnx(&graph, &Weights::Seeded(3)).unwrap();
    (graph, proto)
}

fn nodes(proto: &mut ModelProto) -> &mut Vec<tract_onnx::pb::NodeProto> {
    &mut proto.graph.as_mut().unwrap().node
}

fn input_dims(proto: &mut ModelProto) -> &mut Vec<tract_onnx::pb::tensor_shape_proto::Dimension> {
    let input = &mut proto.graph.as_mut().unwrap().input[0];
    let Some(type_proto::Value::TensorType(t)) = input.r#type.as_mut().unwrap().value.as_mut()
    else {
        unreachable!("the zoo exports tensor inputs")
    };
    &mut t.shape.as_mut().unwrap().dim
}

/// The error of an import that must fail.
fn error_of(proto: &ModelProto) -> ImportError {
    match from_onnx(proto) {
        Ok((g, _)) => panic!("{} imported", g.name),
        Err(e) => e,
    }
}

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn a_zoo_export_imports_with_its_names_shapes_and_values() {
    let (graph, proto) = small();
    let (imported, weights) = from_onnx(&proto).unwrap();
    assert_eq!(imported.params, graph.params);
    let ops = |g: &Graph| g.nodes.iter().map(|n| n.op.clone()).collect::<Vec<_>>();
    assert_eq!(ops(&imported), ops(&graph));
    assert_eq!(imported.mac_count(), graph.mac_count());
    let seeded = Weights::Seeded(3);
    for p in &graph.params {
        assert_eq!(
            weights.values(p).unwrap(),
            seeded.values(p).unwrap(),
            "{}",
            p.name
        );
    }
}

#[test]
fn an_unsupported_operator_is_named_with_its_node() {
    let (_, mut proto) = small();
    let relu6 = nodes(&mut proto)
        .iter_mut()
        .find(|n| n.op_type == "Clip")
        .unwrap();
    relu6.op_type = "LSTM".into();
    let node = relu6.name.clone();
    match error_of(&proto) {
        ImportError::UnsupportedOp { op_type, node: n } => {
            assert_eq!(op_type, "LSTM");
            assert_eq!(n, node);
        }
        other => panic!("expected UnsupportedOp, got {other:?}"),
    }
}

#[test]
fn nodes_that_do_not_feed_the_output_are_ignored() {
    let (graph, mut proto) = small();
    let mut dangling = nodes(&mut proto)[0].clone();
    dangling.op_type = "LSTM".into();
    dangling.name = "unused_lstm".into();
    dangling.output = vec!["unused".into()];
    nodes(&mut proto).push(dangling);
    let (imported, _) = from_onnx(&proto).unwrap();
    assert_eq!(imported.nodes.len(), graph.nodes.len());
}

#[test]
fn nodes_out_of_order_are_sorted() {
    let (graph, mut proto) = small();
    nodes(&mut proto).reverse();
    let (imported, _) = from_onnx(&proto).unwrap();
    assert_eq!(imported.param_count(), graph.param_count());
    assert_eq!(imported.mac_count(), graph.mac_count());
}

#[test]
fn dynamic_height_is_rejected_and_a_symbolic_batch_is_one() {
    let (_, mut proto) = small();
    input_dims(&mut proto)[0].value = Some(Dim::DimParam("batch".into()));
    let (imported, _) = from_onnx(&proto).unwrap();
    assert_eq!(imported.input_shape(), [1, 3, 8, 8]);

    input_dims(&mut proto)[2].value = Some(Dim::DimParam("height".into()));
    match error_of(&proto) {
        ImportError::DynamicShape { input, axis } => {
            assert_eq!((input.as_str(), axis), ("input", 2));
        }
        other => panic!("expected DynamicShape, got {other:?}"),
    }
}

#[test]
fn a_batch_above_one_or_another_rank_is_rejected() {
    let (_, mut proto) = small();
    input_dims(&mut proto)[0].value = Some(Dim::DimValue(4));
    let e = error_of(&proto).to_string();
    assert!(e.contains("batch 4"), "{e}");
    input_dims(&mut proto).pop();
    let e = error_of(&proto).to_string();
    assert!(e.contains("rank 3"), "{e}");
}

#[test]
fn a_truncated_file_is_a_clear_error() {
    let (_, proto) = small();
    let bytes = proto.encode_to_vec();
    let path = scratch("truncated.onnx");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = from_onnx_file(&path).err().unwrap();
    assert!(matches!(e, ImportError::Decode { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("truncated.onnx is not a valid ONNX model"),
        "{e}"
    );

    let e = from_onnx_file(&scratch("missing.onnx")).err().unwrap();
    assert!(matches!(e, ImportError::Io { .. }), "{e:?}");
}

/// A model with most of the operators the zoo emits.
fn varied() -> ModelProto {
    let (mut b, x) = Builder::new("varied", [3, 12, 12]);
    let y = b.conv("stem", x, Conv::new(8, 3).stride(2).bias(true));
    let y = b.batch_norm("bn", y, 1e-3);
    let y = b.relu6(y);
    let y = b.max_pool(y, Pool::new(3).stride(2).pad(1).ceil());
    let y = b.channel_shuffle(y, 2);
    let (l, r) = (b.slice(y, 1, 0, 4), b.slice(y, 1, 4, 8));
    let r = b.conv("dw", r, Conv::new(4, 3).depthwise());
    let r = b.hard_swish(r);
    let y = b.concat(&[l, r]);
    let y = b.avg_pool(y, Pool::new(2).exclude_pad());
    let y = b.scale(y, 0.5);
    let g = b.global_avg_pool(y);
    let g = b.sigmoid(g);
    let y = b.mul(y, g);
    let y = b.relu(y);
    let y = b.add(y, y);
    let y = b.global_avg_pool(y);
    let y = b.flatten(y);
    let y = b.linear("fc", y, 3);
    to_onnx(&b.finish(y).unwrap(), &Weights::Seeded(1)).unwrap()
}

#[test]
fn damaged_models_never_panic() {
    let proto = varied();
    from_onnx(&proto).unwrap();
    let bytes = proto.encode_to_vec();
    let mut imported = 0;
    for len in 0..bytes.len() {
        if let Ok(m) = ModelProto::decode(&bytes[..len]) {
            imported += usize::from(from_onnx(&m).is_ok());
        }
    }
    assert_eq!(imported, 0, "a truncated model imported");
    for at in 0..bytes.len() {
        for flip in [0x01, 0x5a, 0xff] {
            let mut damaged = bytes.clone();
            damaged[at] ^= flip;
            if let Ok(m) = ModelProto::decode(damaged.as_slice()) {
                let _ = from_onnx(&m);
            }
        }
    }
}

#[test]
fn an_integer_weight_is_not_a_float() {
    let (_, mut proto) = small();
    let init = proto.graph.as_mut().unwrap().initializer.iter_mut();
    let w = init.into_iter().find(|t| t.name == "stem.weight").unwrap();
    w.data_type = DataType::Int32 as i32;
    match error_of(&proto) {
        ImportError::NotFloat { tensor, dtype, .. } => {
            assert_eq!((tensor.as_str(), dtype.as_str()), ("stem.weight", "INT32"));
        }
        other => panic!("expected NotFloat, got {other:?}"),
    }
}

#[test]
fn bad_attributes_name_the_node_and_attribute() {
    let (_, proto) = small();
    for (attribute, value, expect) in [
        ("strides", vec![0, 0], "`strides` is [0, 0]"),
        ("pads", vec![1, -1, 1, 1], "`pads` is [1, -1, 1, 1]"),
        ("kernel_shape", vec![5, 5], "`kernel_shape` is [5, 5]"),
    ] {
        let mut p = proto.clone();
        let conv = &mut nodes(&mut p)[0];
        let name = conv.name.clone();
        conv.attribute
            .iter_mut()
            .find(|a| a.name == attribute)
            .unwrap()
            .ints = value;
        let e = error_of(&p);
        assert!(
            matches!(e, ImportError::UnsupportedAttribute { .. }),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(e.contains(&name) && e.contains(expect), "{e}");
    }
    // An auto_pad value ONNX does not define.
    let mut p = proto.clone();
    let conv = &mut nodes(&mut p)[0];
    conv.attribute.push(tract_onnx::pb::AttributeProto {
        name: "auto_pad".into(),
        r#type: tract_onnx::pb::attribute_proto::AttributeType::String as i32,
        s: b"SAME_MIDDLE".to_vec(),
        ..Default::default()
    });
    let e = error_of(&p).to_string();
    assert!(e.contains("auto_pad") && e.contains("SAME_MIDDLE"), "{e}");
}

#[test]
fn a_weight_that_does_not_fit_the_input_is_an_error() {
    let (_, mut proto) = small();
    // The pointwise conv reads 4 channels; claim its weight has 3 per output.
    let init = &mut proto.graph.as_mut().unwrap().initializer;
    let w = init.iter_mut().find(|t| t.name == "pw.weight").unwrap();
    w.dims = vec![8, 3, 1, 1];
    let e = error_of(&proto).to_string();
    assert!(
        e.contains("pw.weight") && e.contains("4-channel input"),
        "{e}"
    );
}

#[test]
fn undefined_tensors_and_cycles_are_malformed() {
    let (_, mut proto) = small();
    nodes(&mut proto)[1].input[0] = "nowhere".into();
    let e = error_of(&proto);
    assert!(matches!(e, ImportError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains("`nowhere`"), "{e}");

    let (_, mut proto) = small();
    let last = nodes(&mut proto)[2].output[0].clone();
    nodes(&mut proto)[1].input[0] = last;
    let e = error_of(&proto).to_string();
    assert!(e.contains("cycle"), "{e}");
}

#[test]
fn in_memory_values_are_checked_like_a_file() {
    let (graph, _) = small();
    let mut tensors: std::collections::BTreeMap<String, ParamTensor> = graph
        .params
        .iter()
        .map(|p| {
            let t = ParamTensor {
                shape: p.shape.clone(),
                values: vec![0.5; p.numel()],
            };
            (p.name.clone(), t)
        })
        .collect();
    let values = |tensors| {
        Weights::Values(ParamValues {
            origin: "model.onnx".into(),
            tensors,
        })
    };
    values(tensors.clone()).check(&graph).unwrap();

    tensors.remove("bn.bias");
    tensors.get_mut("fc.weight").unwrap().shape = vec![5, 7];
    tensors.get_mut("pw.bias").unwrap().values.pop();
    tensors.insert(
        "extra".into(),
        ParamTensor {
            shape: vec![1],
            values: vec![1.0],
        },
    );
    match values(tensors).check(&graph) {
        Err(e @ WeightError::Mismatch(_)) => {
            let WeightError::Mismatch(m) = &e else {
                unreachable!()
            };
            assert_eq!(m.missing, ["bn.bias"]);
            assert_eq!(m.unexpected, ["extra"]);
            let names: Vec<&str> = m.misshaped.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, ["pw.bias", "fc.weight"]);
            assert!(e.to_string().contains("model.onnx"), "{e}");
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
}
