#!/usr/bin/env python3
"""Writes the ONNX fuzz seeds to Fuzz/Corpus/onnx: tiny graphs that exercise the importer's
paths (raw_data and typed weights, Constant nodes, symbolic and fixed input shapes, several
opsets) in a few hundred bytes each. Needs the `onnx` package: pip install onnx."""
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = pathlib.Path(__file__).resolve().parent / "Corpus" / "onnx"
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(0)


def save(name, nodes, inputs, outputs, initializers, opset):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="fuzz-seed")
    (out / f"{name}.onnx").write_bytes(model.SerializeToString())


def weights(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


image = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
logits = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])

# Conv -> Relu -> MaxPool -> GlobalAveragePool -> Flatten -> Gemm, raw_data weights.
save("cnn", [
    helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv"),
    helper.make_node("Relu", ["c"], ["r"], name="relu"),
    helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
    helper.make_node("GlobalAveragePool", ["p"], ["g"]),
    helper.make_node("Flatten", ["g"], ["f"], axis=1),
    helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], transB=1),
], [image], [logits], [weights("w", 2, 3, 3, 3), weights("b", 2), weights("fw", 4, 2), weights("fb", 4)], 13)

# BatchNormalization, Add, Reshape with a Constant shape; a symbolic batch dimension.
dynamic = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 2, 2])
save("batchnorm-reshape", [
    helper.make_node("BatchNormalization", ["x", "s", "o", "m", "v"], ["n"], epsilon=1e-5),
    helper.make_node("Add", ["n", "x"], ["a"]),
    helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([1, 8], dtype=np.int64))),
    helper.make_node("Reshape", ["a", "shape"], ["y"]),
], [dynamic], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
    [weights("s", 2), weights("o", 2), weights("m", 2), numpy_helper.from_array(np.ones(2, np.float32), "v")], 9)

# Typed (non-raw) weights of other element types, a Softmax, an old opset.
typed = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [1.0, -2.0, 0.5, 3.0], raw=False)
save("typed-matmul", [
    helper.make_node("MatMul", ["x", "w"], ["m"]),
    helper.make_node("Constant", [], ["k"], value_floats=[0.5, 0.25]),
    helper.make_node("Mul", ["m", "k"], ["s"]),
    helper.make_node("Softmax", ["s"], ["y"], axis=1),
], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [typed], 7)

# Average pooling, Concat, Sigmoid, int64 and float16 initializers, opset 22.
save("pool-concat", [
    helper.make_node("AveragePool", ["x"], ["a"], kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Sigmoid", ["a"], ["s"]),
    helper.make_node("Concat", ["a", "s"], ["y"], axis=1),
], [image], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6, 4, 4])],
    [numpy_helper.from_array(np.arange(4, dtype=np.int64), "unused_i64"),
     numpy_helper.from_array(np.ones(3, np.float16), "unused_f16")], 22)

# TensorFlow's SAME padding as TorchScript exports it: a zero Pad (pads an int64 initializer)
# that the importer folds into the strided Conv after it.
save("pad-conv", [
    helper.make_node("Pad", ["x", "pads"], ["p"], mode="constant"),
    helper.make_node("Conv", ["p", "w"], ["c"], kernel_shape=[3, 3], strides=[2, 2]),
    helper.make_node("GlobalAveragePool", ["c"], ["g"]),
    helper.make_node("Flatten", ["g"], ["f"], axis=1),
    helper.make_node("Gemm", ["f", "fw"], ["y"], transB=1),
], [image], [logits], [numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0, 1, 1], dtype=np.int64), "pads"),
                       weights("w", 2, 3, 3, 3), weights("fw", 4, 2)], 17)

# Nearly valid: an unsupported operator, and a node reading a value nobody defines.
save("unsupported-op", [helper.make_node("NonMaxSuppression", ["x"], ["y"])], [image], [logits], [], 13)
save("dangling-input", [helper.make_node("Relu", ["missing"], ["y"])], [image], [logits], [], 13)

onnx.checker.check_model(onnx.load(str(out / "cnn.onnx")))
