#!/usr/bin/env python3
"""Small int8 `.tflite` files and TensorFlow Lite Micro's outputs for them: the oracle of the
importer's `litert_ops` test (`crates/tflite/tests/import/litert_ops.rs`), which runs each
file through the importer, the compiler and the runtime and wants the same bytes.

The outputs are TFLM's (the `tflite-micro` package's interpreter, reference kernels) when it
is installed, else LiteRT's `BUILTIN_REF` kernels'; the script prints every file where the
two differ. They agree on every file here but three: TFLM's `RELU6` clamps without rescaling
to the output's parameters (`relu6_a`, `quantize_edges`), and LiteRT's per-tensor
`FULLY_CONNECTED` rounds one value of `mobilenet_v3_block_features` differently. The models
are built with LiteRT's own flatbuffers schema, so no TensorFlow is needed.

Usage (needs `pip install ai-edge-litert tflite-micro numpy flatbuffers`; not a test
dependency):

    python3 scripts/tflite_op_oracle.py crates/tflite/tests/litert

writes `NAME.tflite`, `NAME.in.bin` (the int8 input, C order) and `NAME.tflm.bin` (LiteRT's
int8 output) for every case below: Softmax (one case past TFLite's multiplier cap), Logistic, HardSwish, ReLU, ReLU6 and
AveragePool (SAME and VALID) alone; then small graphs (`Net`) with weights and more than one
operator: CONV_2D (SAME and VALID, strides 1 and 2, per-channel weights, fused ReLU6),
DEPTHWISE_CONV_2D (depth multiplier 1 and 2), FULLY_CONNECTED with and without bias,
MAX_POOL_2D (SAME and VALID), PAD before a VALID convolution, RESHAPE, MUL of a tensor and
its requantised copy (QUANTIZE int8 to int8), CONCATENATION of two such copies, and
QUANTIZE / DEQUANTIZE at the float edges of a model (its float input and output hold exactly
the int8 values' reals, so `NAME.in.bin` and `NAME.tflm.bin` are int8 there too); and a
MobileNetV3-style block (`block_net`, calibrated on its input in float), with its
classifier head and without.
"""

import os
import sys

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s
from ai_edge_litert.interpreter import Interpreter, OpResolverType

try:
    from tflite_micro.python.tflite_micro import runtime as tflm
except ImportError:
    tflm = None

B = s.BuiltinOperator


def tensor(name, shape, quant, buffer):
    t = s.TensorT()
    t.name, t.shape, t.type, t.buffer = name, list(shape), s.TensorType.INT8, buffer
    q = s.QuantizationParametersT()
    q.scale, q.zeroPoint = [quant[0]], [quant[1]]
    t.quantization = q
    return t


def single(code, x, y, shape, options=None, out_shape=None):
    """A model with one operator `code` from int8 `x` to int8 `y` ((scale, zero point))."""
    opcode = s.OperatorCodeT()
    opcode.builtinCode, opcode.deprecatedBuiltinCode, opcode.version = code, min(code, 127), 1
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0], [1]
    if options is not None:
        op.builtinOptionsType, op.builtinOptions = options
    graph = s.SubGraphT()
    graph.tensors = [tensor("x", shape, x, 1), tensor("y", out_shape or shape, y, 2)]
    graph.inputs, graph.outputs, graph.operators = [0], [1], [op]
    model = s.ModelT()
    model.version, model.operatorCodes, model.subgraphs = 3, [opcode], [graph]
    model.buffers = [s.BufferT(), s.BufferT(), s.BufferT()]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def run_litert(model, x):
    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def run_tflm(model, x):
    it = tflm.Interpreter.from_bytes(model)
    it.set_input(x, 0)
    it.invoke()
    return it.get_output(0)


def run(model, x, name="model"):
    """TFLite Micro's output (the reference) where the `tflite-micro` package is installed,
    LiteRT's reference kernels' otherwise; with both, says where they differ."""
    litert = run_litert(model, x)
    if tflm is None:
        return litert
    micro = run_tflm(model, x)
    differ = int((micro.ravel() != litert.ravel()).sum())
    if differ:
        print(f"  {name}: LiteRT's reference kernels differ from TFLM in {differ} of "
              f"{micro.size} values (TFLM kept)")
    return micro


def cases():
    every = np.arange(-128, 128, dtype=np.int8).reshape(1, 16, 16, 1)
    rows = np.random.default_rng(0).integers(-128, 128, size=(1, 4, 4, 10), dtype=np.int8)
    softmax = s.SoftmaxOptionsT()
    softmax.beta = 1.0
    options = (s.BuiltinOptions.SoftmaxOptions, softmax)
    # softmax_d: beta · scale ≥ 16, where the double-rounding build caps the multiplier at
    # 2^31 − 1 (PreprocessSoftmaxScaling).
    for name, scale in [("softmax_a", 0.0625), ("softmax_b", 0.1732), ("softmax_c", 0.02),
                        ("softmax_d", 20.0)]:
        yield name, single(B.SOFTMAX, (scale, 3), (1 / 256, -128), rows.shape, options), rows
    for name, code, x, y in [
        ("logistic_a", B.LOGISTIC, (0.05, 10), (1 / 256, -128)),
        ("logistic_b", B.LOGISTIC, (0.1234, -5), (1 / 256, -128)),
        ("hard_swish_a", B.HARD_SWISH, (0.05, 10), (0.03, -100)),
        ("hard_swish_b", B.HARD_SWISH, (0.0734, -20), (0.0417, -110)),
        ("relu_a", B.RELU, (0.05, 10), (0.0371, -128)),
        ("relu6_a", B.RELU6, (0.0813, -3), (0.0237, -128)),
    ]:
        yield name, single(code, x, y, every.shape), every
    image = np.random.default_rng(1).integers(-128, 128, size=(1, 9, 9, 3), dtype=np.int8)
    for name, padding, size, stride, out in [
        ("average_pool_same", s.Padding.SAME, 3, 2, 5),
        ("average_pool_valid", s.Padding.VALID, 2, 2, 4),
    ]:
        pool = s.Pool2DOptionsT()
        pool.padding, pool.filterHeight, pool.filterWidth = padding, size, size
        pool.strideH, pool.strideW = stride, stride
        options = (s.BuiltinOptions.Pool2DOptions, pool)
        model = single(B.AVERAGE_POOL_2D, (0.07, -4), (0.07, -4), image.shape, options,
                       [1, out, out, 3])
        yield name, model, image


class Net:
    """A model built tensor by tensor: int8 activations, constant weights and biases."""

    def __init__(self):
        self.tensors, self.buffers, self.codes, self.ops = [], [s.BufferT()], [], []

    def add(self, name, shape, dtype=s.TensorType.INT8, quant=None, data=None, dim=0):
        t = s.TensorT()
        t.name, t.shape, t.type, t.buffer = name, list(shape), dtype, len(self.buffers)
        b = s.BufferT()
        if data is not None:
            b.data = np.ascontiguousarray(data).view(np.uint8).ravel().tolist()
        self.buffers.append(b)
        if quant is not None:
            scales, zps = quant
            q = s.QuantizationParametersT()
            q.scale = list(np.atleast_1d(scales).astype(float))
            q.zeroPoint = list(np.atleast_1d(zps).astype(int))
            q.quantizedDimension = dim
            t.quantization = q
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, code, version, inputs, outputs, options=None):
        key = (code, version)
        if key not in self.codes:
            self.codes.append(key)
        o = s.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = self.codes.index(key), inputs, outputs
        if options is not None:
            o.builtinOptionsType, o.builtinOptions = options
        self.ops.append(o)

    def build(self, inputs, outputs):
        codes = []
        for code, version in self.codes:
            c = s.OperatorCodeT()
            c.builtinCode, c.deprecatedBuiltinCode, c.version = code, min(code, 127), version
            codes.append(c)
        graph = s.SubGraphT()
        graph.tensors, graph.operators = self.tensors, self.ops
        graph.inputs, graph.outputs = inputs, outputs
        model = s.ModelT()
        model.version, model.operatorCodes, model.subgraphs = 3, codes, [graph]
        model.buffers = self.buffers
        builder = flatbuffers.Builder(4096)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def conv_options(kind, padding, stride, act=s.ActivationFunctionType.NONE, multiplier=1):
    if kind == "conv":
        o = s.Conv2DOptionsT()
        t = s.BuiltinOptions.Conv2DOptions
    else:
        o = s.DepthwiseConv2DOptionsT()
        o.depthMultiplier = multiplier
        t = s.BuiltinOptions.DepthwiseConv2DOptions
    o.padding, o.strideH, o.strideW, o.fusedActivationFunction = padding, stride, stride, act
    o.dilationHFactor, o.dilationWFactor = 1, 1
    return (t, o)


def weights(rng, shape, channels, dim):
    """int8 weights (symmetric, per channel along `dim`) and their scales."""
    w = rng.integers(-127, 128, size=shape, dtype=np.int8)
    scales = rng.uniform(0.002, 0.02, size=channels)
    return w, scales, dim


def conv_net(rng, kind, padding, stride, image, out_hw, cout, act, multiplier=1, pad=None):
    """A convolution (or depthwise) with per-channel weights and a bias; `pad` puts a PAD
    operator before it."""
    net = Net()
    _, h, w, cin = image.shape
    xq = (0.05, -3)
    x = net.add("x", image.shape, quant=xq)
    src = x
    if pad is not None:
        padded = [1, h + pad[0] + pad[1], w + pad[2] + pad[3], cin]
        p = net.add("paddings", [4, 2], s.TensorType.INT32,
                    data=np.array([[0, 0], [pad[0], pad[1]], [pad[2], pad[3]], [0, 0]], np.int32))
        src = net.add("x.padded", padded, quant=xq)
        net.op(B.PAD, 2, [x, p], [src], (s.BuiltinOptions.PadOptions, s.PadOptionsT()))
    if kind == "conv":
        wt, scales, dim = weights(rng, (cout, 3, 3, cin), cout, 0)
    else:
        wt, scales, dim = weights(rng, (1, 3, 3, cout), cout, 3)
    wi = net.add("w", wt.shape, quant=(scales, np.zeros(cout)), data=wt, dim=dim)
    bias_scales = xq[0] * scales
    bias = rng.integers(-2000, 2000, size=cout).astype(np.int32)
    bi = net.add("b", [cout], s.TensorType.INT32, quant=(bias_scales, np.zeros(cout)), data=bias)
    y = net.add("y", [1, out_hw, out_hw, cout], quant=(0.11, 7))
    code, version = (B.CONV_2D, 3) if kind == "conv" else (B.DEPTHWISE_CONV_2D, 3)
    net.op(code, version, [src, wi, bi], [y], conv_options(kind, padding, stride, act, multiplier))
    return net.build([x], [y])


def fc_net(rng, bias):
    """FULLY_CONNECTED of a [1, 2, 2, 6] feature map (flattened, as TFLite does) to 10
    values, with a fused ReLU."""
    net = Net()
    x = net.add("x", [1, 2, 2, 6], quant=(0.05, -3))
    wt = rng.integers(-127, 128, size=(10, 24), dtype=np.int8)
    w = net.add("w", wt.shape, quant=(0.011, 0), data=wt)
    inputs = [x, w, -1]
    if bias:
        b = rng.integers(-3000, 3000, size=10).astype(np.int32)
        inputs[2] = net.add("b", [10], s.TensorType.INT32, quant=(0.05 * 0.011, 0), data=b)
    y = net.add("y", [1, 10], quant=(0.21, -9))
    o = s.FullyConnectedOptionsT()
    o.fusedActivationFunction = s.ActivationFunctionType.RELU
    net.op(B.FULLY_CONNECTED, 4, inputs, [y], (s.BuiltinOptions.FullyConnectedOptions, o))
    return net.build([x], [y])


def mul_net():
    """MUL of a tensor and its copy requantised by QUANTIZE."""
    net = Net()
    x = net.add("x", [1, 6, 6, 4], quant=(0.05, -3))
    t = net.add("x.requantized", [1, 6, 6, 4], quant=(0.031, 11))
    net.op(B.QUANTIZE, 2, [x], [t])
    y = net.add("y", [1, 6, 6, 4], quant=(0.043, -20))
    net.op(B.MUL, 2, [x, t], [y], (s.BuiltinOptions.MulOptions, s.MulOptionsT()))
    return net.build([x], [y])


def concat_net():
    """CONCATENATION on channels of a tensor requantised by QUANTIZE and its ReLU (TFLite's
    int8 concatenation wants its inputs at the output's scale and zero point)."""
    net = Net()
    x = net.add("x", [1, 6, 6, 4], quant=(0.05, -3))
    out = (0.06, 2)
    t = net.add("x.requantized", [1, 6, 6, 4], quant=out)
    r = net.add("x.relu", [1, 6, 6, 4], quant=out)
    net.op(B.QUANTIZE, 2, [x], [t])
    net.op(B.RELU, 1, [x], [r])
    y = net.add("y", [1, 6, 6, 8], quant=out)
    concat = s.ConcatenationOptionsT()
    concat.axis = 3
    net.op(B.CONCATENATION, 2, [t, r], [y], (s.BuiltinOptions.ConcatenationOptions, concat))
    return net.build([x], [y])


def edges_net():
    """float → QUANTIZE → int8 RELU6 → DEQUANTIZE → float."""
    net = Net()
    x = net.add("x", [1, 4, 4, 8], s.TensorType.FLOAT32)
    q = net.add("x.int8", [1, 4, 4, 8], quant=(0.05, -3))
    r = net.add("y.int8", [1, 4, 4, 8], quant=(0.0237, -128))
    y = net.add("y", [1, 4, 4, 8], s.TensorType.FLOAT32)
    net.op(B.QUANTIZE, 1, [x], [q])
    net.op(B.RELU6, 1, [q], [r])
    net.op(B.DEQUANTIZE, 2, [r], [y])
    return net.build([x], [y])


def graph_cases():
    rng = np.random.default_rng(2)
    image = rng.integers(-128, 128, size=(1, 9, 9, 6), dtype=np.int8)
    relu6 = s.ActivationFunctionType.RELU6
    none = s.ActivationFunctionType.NONE
    for name, kind, padding, stride, out, cout, act, mult in [
        ("conv_same_s2", "conv", s.Padding.SAME, 2, 5, 8, relu6, 1),
        ("conv_valid_s1", "conv", s.Padding.VALID, 1, 7, 5, none, 1),
        ("depthwise_same_s2", "depthwise", s.Padding.SAME, 2, 5, 6, relu6, 1),
        ("depthwise_mult2_valid", "depthwise", s.Padding.VALID, 1, 7, 12, none, 2),
    ]:
        yield name, conv_net(rng, kind, padding, stride, image, out, cout, act, mult), image
    yield "pad_conv", conv_net(rng, "conv", s.Padding.VALID, 2, image, 5, 4, none,
                               pad=(1, 1, 1, 1)), image
    vector = rng.integers(-128, 128, size=(1, 24), dtype=np.int8)
    yield "fully_connected_bias", fc_net(rng, True), vector.reshape(1, 2, 2, 6)
    yield "fully_connected_no_bias", fc_net(rng, False), vector.reshape(1, 2, 2, 6)
    for name, padding, out in [("max_pool_same", s.Padding.SAME, 5),
                               ("max_pool_valid", s.Padding.VALID, 4)]:
        net = Net()
        x = net.add("x", image.shape, quant=(0.07, -4))
        y = net.add("y", [1, out, out, 6], quant=(0.07, -4))
        pool = s.Pool2DOptionsT()
        pool.padding, pool.filterHeight, pool.filterWidth = padding, 3, 3
        pool.strideH, pool.strideW = 2, 2
        net.op(B.MAX_POOL_2D, 2, [x], [y], (s.BuiltinOptions.Pool2DOptions, pool))
        yield name, net.build([x], [y]), image
    net = Net()
    x = net.add("x", [1, 2, 2, 6], quant=(0.07, -4))
    shape = net.add("shape", [2], s.TensorType.INT32, data=np.array([1, 24], np.int32))
    y = net.add("y", [1, 24], quant=(0.07, -4))
    reshape = s.ReshapeOptionsT()
    reshape.newShape = [1, 24]
    net.op(B.RESHAPE, 1, [x, shape], [y], (s.BuiltinOptions.ReshapeOptions, reshape))
    yield "reshape", net.build([x], [y]), vector.reshape(1, 2, 2, 6)
    small = rng.integers(-128, 128, size=(1, 6, 6, 4), dtype=np.int8)
    yield "mul", mul_net(), small
    yield "concatenation", concat_net(), small
    yield "quantize_edges", edges_net(), rng.integers(-128, 128, size=(1, 4, 4, 8),
                                                      dtype=np.int8)
    block_input = rng.integers(-128, 128, size=(1, 8, 8, 8), dtype=np.int8)
    yield "mobilenet_v3_block", block_net(rng, block_input), block_input
    # The same weights (same seed) without the head: the block's 1024 output bytes.
    features = block_net(np.random.default_rng(3), block_input, head=False)
    yield "mobilenet_v3_block_features", features, block_input


def qparams(v):
    """Asymmetric int8 parameters covering the float values `v` (and 0)."""
    lo, hi = min(float(v.min()), 0.0), max(float(v.max()), 0.0)
    scale = max(hi - lo, 1e-6) / 255.0
    return scale, int(np.clip(round(-128 - lo / scale), -128, 127))


def quantize_weights(w, dim):
    """Symmetric per-channel int8 weights along `dim` and their dequantised floats."""
    axes = tuple(a for a in range(w.ndim) if a != dim)
    scales = np.maximum(np.abs(w).max(axis=axes), 1e-8) / 127.0
    shape = [1] * w.ndim
    shape[dim] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales, q * scales.reshape(shape)


class Block:
    """A MobileNetV3-style block built and calibrated together: each tensor's int8
    parameters cover the float values the block computes on the sample input, with every
    weight dequantised as the int8 model holds it."""

    def __init__(self, rng, x_q, x_params):
        self.net, self.rng = Net(), rng
        self.x = self.net.add("x", x_q.shape, quant=x_params)
        self.input = self.x
        self.values = {self.x: (x_q.astype(np.float64) - x_params[1]) * x_params[0]}
        self.params = {self.x: x_params}

    def tensor(self, name, v, params=None):
        params = params or qparams(v)
        t = self.net.add(name, v.shape, quant=params)
        self.values[t], self.params[t] = v, params
        return t

    def conv(self, name, x, cout, act=s.ActivationFunctionType.NONE, depthwise=False):
        v = self.values[x]
        cin = v.shape[3]
        k = 3 if depthwise else 1
        w = self.rng.normal(0, 1 / np.sqrt(k * k * (1 if depthwise else cin)),
                            size=(1, k, k, cin) if depthwise else (cout, 1, 1, cin))
        dim = 3 if depthwise else 0
        wq, scales, wf = quantize_weights(w, dim)
        bias_scales = self.params[x][0] * scales
        bq = np.round(self.rng.normal(0, 0.2, size=cout) / bias_scales).astype(np.int32)
        if depthwise:
            p = np.pad(v, ((0, 0), (1, 1), (1, 1), (0, 0)))
            y = sum(p[:, i:i + v.shape[1], j:j + v.shape[2], :] * wf[0, i, j]
                    for i in range(3) for j in range(3))
        else:
            y = v @ wf[:, 0, 0, :].T
        y = y + bq * bias_scales
        if act == s.ActivationFunctionType.RELU6:
            y = np.clip(y, 0, 6)
        wi = self.net.add(name + ".w", wq.shape, quant=(scales, np.zeros(cout)), data=wq, dim=dim)
        bi = self.net.add(name + ".b", [cout], s.TensorType.INT32,
                          quant=(bias_scales, np.zeros(cout)), data=bq)
        out = self.tensor(name, y)
        kind = "depthwise" if depthwise else "conv"
        code = B.DEPTHWISE_CONV_2D if depthwise else B.CONV_2D
        self.net.op(code, 3, [x, wi, bi], [out], conv_options(kind, s.Padding.SAME, 1, act))
        return out

    def fc(self, name, x, n, act=s.ActivationFunctionType.NONE):
        v = self.values[x].reshape(1, -1)
        w = self.rng.normal(0, 1 / np.sqrt(v.shape[1]), size=(n, v.shape[1]))
        scale = np.abs(w).max() / 127.0
        wq = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        bias_scale = self.params[x][0] * scale
        bq = np.round(self.rng.normal(0, 0.2, size=n) / bias_scale).astype(np.int32)
        y = v @ (wq * scale).T + bq * bias_scale
        if act == s.ActivationFunctionType.RELU:
            y = np.maximum(y, 0)
        wi = self.net.add(name + ".w", wq.shape, quant=(scale, 0), data=wq)
        bi = self.net.add(name + ".b", [n], s.TensorType.INT32, quant=(bias_scale, 0), data=bq)
        out = self.tensor(name, y)
        o = s.FullyConnectedOptionsT()
        o.fusedActivationFunction = act
        self.net.op(B.FULLY_CONNECTED, 4, [x, wi, bi], [out],
                    (s.BuiltinOptions.FullyConnectedOptions, o))
        return out

    def unary(self, name, code, version, x, f, params=None, options=None):
        out = self.tensor(name, f(self.values[x]), params)
        self.net.op(code, version, [x], [out], options)
        return out

    def binary(self, name, code, version, a, b, f, options):
        out = self.tensor(name, f(self.values[a], self.values[b]))
        self.net.op(code, version, [a, b], [out], options)
        return out

    def mean(self, name, x, keep):
        axes = self.net.add(name + ".axes", [2], s.TensorType.INT32,
                            data=np.array([1, 2], np.int32))
        v = self.values[x].mean(axis=(1, 2), keepdims=keep)
        out = self.tensor(name, v)
        o = s.ReducerOptionsT()
        o.keepDims = keep
        self.net.op(B.MEAN, 2, [x, axes], [out], (s.BuiltinOptions.ReducerOptions, o))
        return out

    def reshape(self, name, x, shape):
        data = np.array(shape, np.int32)
        si = self.net.add(name + ".shape", [len(shape)], s.TensorType.INT32, data=data)
        out = self.net.add(name, shape, quant=self.params[x])
        self.values[out], self.params[out] = self.values[x].reshape(shape), self.params[x]
        o = s.ReshapeOptionsT()
        o.newShape = list(shape)
        self.net.op(B.RESHAPE, 1, [x, si], [out], (s.BuiltinOptions.ReshapeOptions, o))
        return out


def block_net(rng, x_q, head=True):
    """conv 1x1 → HARD_SWISH → depthwise 3x3 (ReLU6) → squeeze-excite (MEAN, FC with ReLU,
    FC, LOGISTIC, RESHAPE, MUL) → conv 1x1 → ADD of the block input → CONCATENATION with the
    input requantised by QUANTIZE, then with `head` MEAN → FULLY_CONNECTED → SOFTMAX."""
    b = Block(rng, x_q, (0.05, -3))
    relu, relu6 = s.ActivationFunctionType.RELU, s.ActivationFunctionType.RELU6
    e = b.conv("expand", b.x, 24)
    h = b.unary("hard_swish", B.HARD_SWISH, 1, e, lambda v: v * np.clip(v + 3, 0, 6) / 6)
    d = b.conv("depthwise", h, 24, relu6, depthwise=True)
    m = b.mean("se.mean", d, keep=True)
    r = b.fc("se.reduce", m, 6, relu)
    g = b.fc("se.expand", r, 24)
    sig = b.unary("se.gate", B.LOGISTIC, 2, g, lambda v: 1 / (1 + np.exp(-v)), (1 / 256, -128))
    gate = b.reshape("se.gate4", sig, [1, 1, 1, 24])
    mul = (s.BuiltinOptions.MulOptions, s.MulOptionsT())
    scaled = b.binary("se.out", B.MUL, 2, d, gate, lambda u, v: u * v, mul)
    p = b.conv("project", scaled, x_q.shape[3])
    add = (s.BuiltinOptions.AddOptions, s.AddOptionsT())
    a = b.binary("residual", B.ADD, 2, p, b.x, lambda u, v: u + v, add)
    q = b.unary("x.requantized", B.QUANTIZE, 2, b.x, lambda v: v, b.params[a])
    concat = s.ConcatenationOptionsT()
    concat.axis = 3
    c = b.tensor("concat", np.concatenate([b.values[a], b.values[q]], axis=3), b.params[a])
    b.net.op(B.CONCATENATION, 2, [a, q], [c], (s.BuiltinOptions.ConcatenationOptions, concat))
    if not head:
        return b.net.build([b.input], [c])
    pooled = b.mean("pool", c, keep=False)
    logits = b.fc("logits", pooled, 10)
    softmax = s.SoftmaxOptionsT()
    softmax.beta = 1.0

    def soft(v):
        z = np.exp(v - v.max())
        return z / z.sum()
    y = b.unary("probs", B.SOFTMAX, 1, logits, soft, (1 / 256, -128),
                (s.BuiltinOptions.SoftmaxOptions, softmax))
    return b.net.build([b.input], [y])


def run_edges(model, q):
    """Runs a model with float edges on the reals of the int8 values `q` and gives its float
    output back as int8 (both conversions are exact)."""
    x = ((q.astype(np.float32) + 3) * np.float32(0.05)).astype(np.float32)
    y = run(model, x, "quantize_edges")
    back = np.round(y / np.float32(0.0237)) - 128
    assert np.allclose((back + 128) * np.float32(0.0237), y, atol=1e-6)
    return back.astype(np.int8)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, model, x in list(cases()) + list(graph_cases()):
        with open(os.path.join(out, f"{name}.tflite"), "wb") as f:
            f.write(model)
        x.tofile(os.path.join(out, f"{name}.in.bin"))
        y = run_edges(model, x) if name == "quantize_edges" else run(model, x, name)
        y.astype(np.int8).tofile(os.path.join(out, f"{name}.tflm.bin"))
        print(name)


if __name__ == "__main__":
    main()
