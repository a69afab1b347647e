"""Read a model file's inputs and outputs for its manifest."""

from __future__ import annotations

from pathlib import Path

import onnx
import openvino as ov

from edge_assistant.inference.bundle import TensorSpec

_ONNX_TYPES = {1: "float32", 7: "int64", 6: "int32", 10: "float16", 9: "bool"}


def describe_io(model_path: Path) -> tuple[tuple[TensorSpec, ...], tuple[TensorSpec, ...]]:
    if model_path.suffix == ".onnx":
        return _onnx_io(model_path)
    return _openvino_io(model_path)


def _onnx_io(path: Path) -> tuple[tuple[TensorSpec, ...], tuple[TensorSpec, ...]]:
    graph = onnx.load(str(path), load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}

    def spec(value: onnx.ValueInfoProto) -> TensorSpec:
        tensor = value.type.tensor_type
        dims = tuple(d.dim_param or d.dim_value for d in tensor.shape.dim)
        return TensorSpec(
            name=value.name,
            shape=dims,
            dtype=_ONNX_TYPES.get(tensor.elem_type, str(tensor.elem_type)),
        )

    inputs = tuple(spec(v) for v in graph.input if v.name not in initializers)
    return inputs, tuple(spec(v) for v in graph.output)


def _openvino_io(path: Path) -> tuple[tuple[TensorSpec, ...], tuple[TensorSpec, ...]]:
    model = ov.Core().read_model(str(path))

    def spec(port: ov.Output) -> TensorSpec:
        shape = port.get_partial_shape()
        dims = tuple(d.get_length() if d.is_static else "?" for d in shape)
        return TensorSpec(
            name=port.any_name, shape=dims, dtype=port.get_element_type().to_dtype().name
        )

    return tuple(spec(p) for p in model.inputs), tuple(spec(p) for p in model.outputs)
