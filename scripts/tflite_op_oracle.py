#!/usr/bin/env python3
"""Single-operator int8 `.tflite` files and LiteRT's outputs for them: the oracle of the
importer's `litert_ops` test (`crates/tflite/tests/import/litert_ops.rs`), which runs each
file through the importer, the compiler and the runtime and wants the same bytes.

LiteRT's `BUILTIN_REF` kernels compute what TensorFlow Lite Micro's reference kernels compute
(see `tflite_reference_tensors.py`). The models are built with LiteRT's own flatbuffers
schema, so no TensorFlow is needed.

Usage (needs `pip install ai-edge-litert numpy flatbuffers`; not a test dependency):

    python3 scripts/tflite_op_oracle.py crates/tflite/tests/litert

writes `NAME.tflite`, `NAME.in.bin` (the int8 input, C order) and `NAME.tflm.bin` (LiteRT's
int8 output) for every case below: Softmax, Logistic, HardSwish, ReLU, ReLU6 and
AveragePool (SAME and VALID).
"""

import os
import sys

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s
from ai_edge_litert.interpreter import Interpreter, OpResolverType

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


def run(model, x):
    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def cases():
    every = np.arange(-128, 128, dtype=np.int8).reshape(1, 16, 16, 1)
    rows = np.random.default_rng(0).integers(-128, 128, size=(1, 4, 4, 10), dtype=np.int8)
    softmax = s.SoftmaxOptionsT()
    softmax.beta = 1.0
    options = (s.BuiltinOptions.SoftmaxOptions, softmax)
    for name, scale in [("softmax_a", 0.0625), ("softmax_b", 0.1732), ("softmax_c", 0.02)]:
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


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, model, x in cases():
        with open(os.path.join(out, f"{name}.tflite"), "wb") as f:
            f.write(model)
        x.tofile(os.path.join(out, f"{name}.in.bin"))
        run(model, x).astype(np.int8).tofile(os.path.join(out, f"{name}.tflm.bin"))
        print(name)


if __name__ == "__main__":
    main()
