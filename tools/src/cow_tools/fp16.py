"""fp16 variants of the bundle graphs for GPUs: every float32 initializer is stored
as float16 and the graph computes in float16, while its inputs and outputs stay
float32 (a Cast after each float input and before each output), so the runtime
side feeds and reads the same tensors as for the float32 graph."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """A float16-compute copy of ``model`` with unchanged float32 inputs and outputs."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT:
            arr = numpy_helper.to_array(init).astype(np.float16)
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    head: list[onnx.NodeProto] = []
    renamed: dict[str, str] = {}
    for inp in g.input:
        if inp.type.tensor_type.elem_type == TensorProto.FLOAT:
            renamed[inp.name] = f"{inp.name}__fp16"
            head.append(helper.make_node("Cast", [inp.name], [renamed[inp.name]], to=TensorProto.FLOAT16))
    outputs = {o.name for o in g.output if o.type.tensor_type.elem_type == TensorProto.FLOAT}
    tail: list[onnx.NodeProto] = []
    for node in g.node:
        for i, name in enumerate(node.input):
            if name in renamed:
                node.input[i] = renamed[name]
        for i, name in enumerate(node.output):
            if name in outputs:
                node.output[i] = f"{name}__fp16"
                tail.append(helper.make_node("Cast", [node.output[i]], [name], to=TensorProto.FLOAT))
    nodes = [*head, *g.node, *tail]
    del g.node[:]
    g.node.extend(nodes)
    out.doc_string = model.doc_string + " (float16 compute, float32 inputs and outputs)"
    onnx.checker.check_model(out)
    return out
