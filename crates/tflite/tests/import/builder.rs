//! Small `.tflite` files built in the test with the flatbuffers builder and the generated
//! schema: a list of tensors and operators, each with only what the test sets.

use edgebone_tflite::tflite::{
    self, ActivationFunctionType, BuiltinOperator, BuiltinOptions, Padding, TensorType,
};
use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

/// One tensor.
#[derive(Clone, Debug)]
pub struct T {
    pub name: &'static str,
    pub shape: Vec<i32>,
    pub dtype: TensorType,
    pub scales: Vec<f32>,
    pub zero_points: Vec<i64>,
    pub axis: i32,
    /// Constant bytes (little-endian), or none for an activation.
    pub data: Option<Vec<u8>>,
    pub signature: Option<Vec<i32>>,
}

/// An int8 activation with one scale and zero point.
pub fn act(name: &'static str, shape: &[i32], scale: f32, zero_point: i64) -> T {
    T {
        name,
        shape: shape.to_vec(),
        dtype: TensorType::INT8,
        scales: vec![scale],
        zero_points: vec![zero_point],
        axis: 0,
        data: None,
        signature: None,
    }
}

/// Constant int8 weights with per-channel `scales` along `axis`.
pub fn weights(name: &'static str, shape: &[i32], values: &[i8], scales: &[f32], axis: i32) -> T {
    T {
        name,
        shape: shape.to_vec(),
        dtype: TensorType::INT8,
        scales: scales.to_vec(),
        zero_points: vec![0; scales.len()],
        axis,
        data: Some(values.iter().map(|&v| v as u8).collect()),
        signature: None,
    }
}

/// A constant int32 tensor (a bias with `scales`, or axes and paddings without).
pub fn ints(name: &'static str, shape: &[i32], values: &[i32], scales: &[f32]) -> T {
    T {
        name,
        shape: shape.to_vec(),
        dtype: TensorType::INT32,
        scales: scales.to_vec(),
        zero_points: vec![0; scales.len()],
        axis: 0,
        data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
        signature: None,
    }
}

/// An operator's builtin options.
#[derive(Clone, Copy, Debug)]
pub enum Opts {
    None,
    Conv {
        padding: Padding,
        stride: i32,
        act: ActivationFunctionType,
    },
    Depthwise {
        padding: Padding,
        stride: i32,
        multiplier: i32,
        act: ActivationFunctionType,
    },
    FullyConnected,
    Add(ActivationFunctionType),
    Reducer,
    /// A 2x2 window, stride 2, SAME padding.
    Pool2x2,
    Concat(i32),
    Softmax(f32),
}

/// One operator.
#[derive(Clone, Debug)]
pub struct Op {
    pub code: BuiltinOperator,
    /// The name of a `CUSTOM` operator.
    pub custom: Option<&'static str>,
    pub version: i32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub opts: Opts,
}

/// An operator at version 1.
pub fn op(code: BuiltinOperator, inputs: &[i32], outputs: &[i32], opts: Opts) -> Op {
    Op {
        code,
        custom: None,
        version: 1,
        inputs: inputs.to_vec(),
        outputs: outputs.to_vec(),
        opts,
    }
}

/// A whole single-subgraph model.
#[derive(Clone, Debug)]
pub struct Spec {
    pub tensors: Vec<T>,
    pub ops: Vec<Op>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
}

fn options<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    o: Opts,
) -> (BuiltinOptions, Option<WIPOffset<UnionWIPOffset>>) {
    use tflite::*;
    match o {
        Opts::None => (BuiltinOptions::NONE, None),
        Opts::Conv {
            padding,
            stride,
            act,
        } => {
            let args = Conv2DOptionsArgs {
                padding,
                stride_w: stride,
                stride_h: stride,
                fused_activation_function: act,
                dilation_w_factor: 1,
                dilation_h_factor: 1,
            };
            let t = Conv2DOptions::create(fbb, &args);
            (BuiltinOptions::Conv2DOptions, Some(t.as_union_value()))
        }
        Opts::Depthwise {
            padding,
            stride,
            multiplier,
            act,
        } => {
            let args = DepthwiseConv2DOptionsArgs {
                padding,
                stride_w: stride,
                stride_h: stride,
                depth_multiplier: multiplier,
                fused_activation_function: act,
                dilation_w_factor: 1,
                dilation_h_factor: 1,
            };
            let t = DepthwiseConv2DOptions::create(fbb, &args);
            (
                BuiltinOptions::DepthwiseConv2DOptions,
                Some(t.as_union_value()),
            )
        }
        Opts::FullyConnected => {
            let t = FullyConnectedOptions::create(fbb, &FullyConnectedOptionsArgs::default());
            (
                BuiltinOptions::FullyConnectedOptions,
                Some(t.as_union_value()),
            )
        }
        Opts::Add(act) => {
            let args = AddOptionsArgs {
                fused_activation_function: act,
                pot_scale_int16: false,
            };
            let t = AddOptions::create(fbb, &args);
            (BuiltinOptions::AddOptions, Some(t.as_union_value()))
        }
        Opts::Reducer => {
            let t = ReducerOptions::create(fbb, &ReducerOptionsArgs { keep_dims: false });
            (BuiltinOptions::ReducerOptions, Some(t.as_union_value()))
        }
        Opts::Pool2x2 => {
            let args = Pool2DOptionsArgs {
                padding: Padding::SAME,
                stride_w: 2,
                stride_h: 2,
                filter_width: 2,
                filter_height: 2,
                fused_activation_function: ActivationFunctionType::NONE,
            };
            let t = Pool2DOptions::create(fbb, &args);
            (BuiltinOptions::Pool2DOptions, Some(t.as_union_value()))
        }
        Opts::Concat(axis) => {
            let args = ConcatenationOptionsArgs {
                axis,
                fused_activation_function: ActivationFunctionType::NONE,
            };
            let t = ConcatenationOptions::create(fbb, &args);
            (
                BuiltinOptions::ConcatenationOptions,
                Some(t.as_union_value()),
            )
        }
        Opts::Softmax(beta) => {
            let t = SoftmaxOptions::create(fbb, &SoftmaxOptionsArgs { beta });
            (BuiltinOptions::SoftmaxOptions, Some(t.as_union_value()))
        }
    }
}

/// The `.tflite` bytes of `spec`. Buffer 0 is the empty one, as the converter writes it;
/// every constant tensor gets its own buffer.
pub fn build(spec: &Spec) -> Vec<u8> {
    use tflite::*;
    let mut fbb = FlatBufferBuilder::new();
    let empty = Buffer::create(&mut fbb, &BufferArgs { data: None });
    let mut buffers = vec![empty];
    let mut tensors = Vec::new();
    for t in &spec.tensors {
        let buffer = match &t.data {
            Some(d) => {
                let data = fbb.create_vector(d);
                buffers.push(Buffer::create(&mut fbb, &BufferArgs { data: Some(data) }));
                buffers.len() as u32 - 1
            }
            None => 0,
        };
        let scale = fbb.create_vector(&t.scales);
        let zero_point = fbb.create_vector(&t.zero_points);
        let q = QuantizationParameters::create(
            &mut fbb,
            &QuantizationParametersArgs {
                scale: Some(scale),
                zero_point: Some(zero_point),
                quantized_dimension: t.axis,
                ..Default::default()
            },
        );
        let shape = fbb.create_vector(&t.shape);
        let signature = t.signature.as_ref().map(|s| fbb.create_vector(s));
        let name = fbb.create_string(t.name);
        let args = TensorArgs {
            shape: Some(shape),
            type_: t.dtype,
            buffer,
            name: Some(name),
            quantization: Some(q),
            shape_signature: signature,
            ..Default::default()
        };
        tensors.push(Tensor::create(&mut fbb, &args));
    }
    let mut codes: Vec<(BuiltinOperator, i32, Option<&str>)> = Vec::new();
    let mut ops = Vec::new();
    for o in &spec.ops {
        let key = (o.code, o.version, o.custom);
        let index = codes.iter().position(|&c| c == key).unwrap_or_else(|| {
            codes.push(key);
            codes.len() - 1
        });
        let (options_type, options) = options(&mut fbb, o.opts);
        let inputs = fbb.create_vector(&o.inputs);
        let outputs = fbb.create_vector(&o.outputs);
        let args = OperatorArgs {
            opcode_index: index as u32,
            inputs: Some(inputs),
            outputs: Some(outputs),
            builtin_options_type: options_type,
            builtin_options: options,
            ..Default::default()
        };
        ops.push(Operator::create(&mut fbb, &args));
    }
    let codes: Vec<_> = codes
        .iter()
        .map(|&(code, version, custom)| {
            let custom_code = custom.map(|c| fbb.create_string(c));
            let args = OperatorCodeArgs {
                deprecated_builtin_code: code.0.min(127) as i8,
                custom_code,
                version,
                builtin_code: code,
            };
            OperatorCode::create(&mut fbb, &args)
        })
        .collect();
    let tensors = fbb.create_vector(&tensors);
    let operators = fbb.create_vector(&ops);
    let inputs = fbb.create_vector(&spec.inputs);
    let outputs = fbb.create_vector(&spec.outputs);
    let subgraph = SubGraph::create(
        &mut fbb,
        &SubGraphArgs {
            tensors: Some(tensors),
            inputs: Some(inputs),
            outputs: Some(outputs),
            operators: Some(operators),
            ..Default::default()
        },
    );
    let subgraphs = fbb.create_vector(&[subgraph]);
    let codes = fbb.create_vector(&codes);
    let buffers = fbb.create_vector(&buffers);
    let model = Model::create(
        &mut fbb,
        &ModelArgs {
            version: 3,
            operator_codes: Some(codes),
            subgraphs: Some(subgraphs),
            buffers: Some(buffers),
            ..Default::default()
        },
    );
    finish_model_buffer(&mut fbb, model);
    fbb.finished_data().to_vec()
}

/// A model of one operator: input tensor 0, `PAD` to `[1, 6, 6, 2]`, a 3x3 convolution with
/// per-channel weights, bias and fused RELU6 (VALID) to `[1, 4, 4, 2]` (tensor 1 is the
/// output), then its tensors. Tests change one thing of it.
pub fn pad_conv() -> Spec {
    let w: Vec<i8> = (0..36).map(|i| (i * 7 % 23) as i8 - 11).collect();
    Spec {
        tensors: vec![
            act("input", &[1, 4, 4, 2], 0.05, -3),
            act("output", &[1, 4, 4, 2], 0.04, -128),
            weights("weights", &[2, 3, 3, 2], &w, &[0.01, 0.02], 0),
            ints("bias", &[2], &[100, -50], &[0.05 * 0.01, 0.05 * 0.02]),
            ints("paddings", &[4, 2], &[0, 0, 1, 1, 1, 1, 0, 0], &[]),
            act("padded", &[1, 6, 6, 2], 0.05, -3),
        ],
        ops: vec![
            op(BuiltinOperator::PAD, &[0, 4], &[5], Opts::None),
            op(
                BuiltinOperator::CONV_2D,
                &[5, 2, 3],
                &[1],
                Opts::Conv {
                    padding: Padding::VALID,
                    stride: 1,
                    act: ActivationFunctionType::RELU6,
                },
            ),
        ],
        inputs: vec![0],
        outputs: vec![1],
    }
}
