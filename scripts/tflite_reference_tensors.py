#!/usr/bin/env python3
"""Every tensor of a `.tflite` model for one input, from LiteRT's reference kernels: the
oracle for checking the importer operator by operator (`cargo run -p edgebone-tflite
--example per_op`).

LiteRT's `BUILTIN_REF` kernels give exactly TensorFlow Lite Micro's outputs on the fixtures of
`../shared/models/tflite` (the script prints the check), and unlike TFLM's Python interpreter
they keep every intermediate tensor (`experimental_preserve_all_tensors`).

Usage (needs `pip install ai-edge-litert numpy`; not a test dependency):

    python3 scripts/tflite_reference_tensors.py MODEL.tflite INPUTS.npy IMAGE OUT_DIR

writes `OUT_DIR/manifest.tsv` (one `index<TAB>name` line per int8 tensor, the model's tensor
index and name) and `OUT_DIR/<index>.bin` (the tensor's int8 values, C order) for image
number IMAGE of INPUTS.npy (int8 `[N, H, W, C]`). With `MODEL.tflm.npy` beside the model, it
also prints how far LiteRT's output is from TFLM's.
"""

import os
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def main():
    model, inputs, image, out_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    it = Interpreter(
        model_path=model,
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True,
    )
    it.allocate_tensors()
    x = np.load(inputs)[image : image + 1]
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "manifest.tsv"), "w") as manifest:
        for d in it.get_tensor_details():
            if d["dtype"] != np.int8:
                continue
            try:
                values = it.get_tensor(d["index"])
            except ValueError:
                continue
            manifest.write(f"{d['index']}\t{d['name']}\n")
            values.astype(np.int8).tofile(os.path.join(out_dir, f"{d['index']}.bin"))
    tflm = model[: -len(".tflite")] + ".tflm.npy"
    if os.path.exists(tflm):
        want = np.load(tflm)[image].astype(int).reshape(-1)
        got = it.get_tensor(it.get_output_details()[0]["index"]).astype(int).reshape(-1)
        print(f"LiteRT reference kernels against TFLM: max |diff| {np.abs(got - want).max()}")


if __name__ == "__main__":
    main()
