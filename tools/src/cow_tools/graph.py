"""A small builder over ``onnx.helper``: nodes get fresh names, constants become
initializers, and composite operations (linear layers, LayerNorm and its backward,
GELU and its derivative) are one call each.

All graphs use opset 17 (LayerNormalization is native there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
LN_EPS = 1e-5
QUICK_GELU_ALPHA = 1.702


class GraphBuilder:
    """Accumulates nodes and initializers of one ONNX graph."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._count = 0
        self._const_cache: dict[tuple[str, bytes, tuple[int, ...]], str] = {}

    def fresh(self, hint: str) -> str:
        """A new unique value name."""
        self._count += 1
        return f"{hint}_{self._count}"

    def input(self, name: str, elem: int, shape: Sequence[int | str]) -> str:
        """Declares a graph input."""
        self.inputs.append(helper.make_tensor_value_info(name, elem, list(shape)))
        return name

    def output(self, value: str, name: str, elem: int, shape: Sequence[int | str]) -> None:
        """Declares ``value`` as a graph output named ``name``."""
        self.op("Identity", [value], name=name)
        self.outputs.append(helper.make_tensor_value_info(name, elem, list(shape)))

    def const(self, value: NDArray[np.generic] | float | Sequence[int], hint: str = "c") -> str:
        """An initializer (float arrays are stored as float32, int lists as int64)."""
        if isinstance(value, float):
            arr: NDArray[np.generic] = np.array(value, dtype=np.float32)
        elif isinstance(value, np.ndarray):
            arr = value.astype(np.float32) if value.dtype.kind == "f" else value
        else:
            arr = np.array(value, dtype=np.int64)
        key = (str(arr.dtype), arr.tobytes(), arr.shape)
        if arr.size <= 16 and key in self._const_cache:
            return self._const_cache[key]
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        if arr.size <= 16:
            self._const_cache[key] = name
        return name

    def op(self, op_type: str, inputs: Sequence[str], name: str | None = None, **attrs: Any) -> str:
        """Adds one node with a single output and returns that output's name."""
        out = name or self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    # composite operations ------------------------------------------------

    def linear(self, x: str, weight: NDArray[np.floating], bias: NDArray[np.floating] | None) -> str:
        """``x @ weight.T + bias`` with a PyTorch-layout weight ``[out, in]``."""
        y = self.op("MatMul", [x, self.const(np.ascontiguousarray(weight.T), "w")])
        if bias is not None:
            y = self.op("Add", [y, self.const(bias, "b")])
        return y

    def matmul_const(self, x: str, m: NDArray[np.floating]) -> str:
        """``x @ m``."""
        return self.op("MatMul", [x, self.const(np.ascontiguousarray(m), "m")])

    def layer_norm(self, x: str, w: NDArray[np.floating], b: NDArray[np.floating]) -> str:
        """LayerNormalization over the last axis."""
        return self.op(
            "LayerNormalization", [x, self.const(w, "ln_w"), self.const(b, "ln_b")], axis=-1, epsilon=LN_EPS
        )

    def layer_norm_backward(self, x: str, w: NDArray[np.floating], grad_out: str) -> str:
        """Gradient of LayerNorm(x) w.r.t. x, given the gradient of its output."""
        mu = self.op("ReduceMean", [x], axes=[-1], keepdims=1)
        xc = self.op("Sub", [x, mu])
        var = self.op("ReduceMean", [self.op("Mul", [xc, xc])], axes=[-1], keepdims=1)
        std = self.op("Sqrt", [self.op("Add", [var, self.const(LN_EPS)])])
        inv = self.op("Reciprocal", [std])
        xhat = self.op("Mul", [xc, inv])
        g = self.op("Mul", [grad_out, self.const(w, "ln_w")])
        g_mean = self.op("ReduceMean", [g], axes=[-1], keepdims=1)
        gx_mean = self.op("ReduceMean", [self.op("Mul", [g, xhat])], axes=[-1], keepdims=1)
        inner = self.op("Sub", [self.op("Sub", [g, g_mean]), self.op("Mul", [xhat, gx_mean])])
        return self.op("Mul", [inv, inner])

    def gelu(self, x: str, quick: bool) -> str:
        """Exact (erf) GELU or QuickGELU."""
        if quick:
            s = self.op("Sigmoid", [self.op("Mul", [x, self.const(QUICK_GELU_ALPHA)])])
            return self.op("Mul", [x, s])
        e = self.op("Erf", [self.op("Mul", [x, self.const(1.0 / math.sqrt(2.0))])])
        cdf = self.op("Mul", [self.op("Add", [e, self.const(1.0)]), self.const(0.5)])
        return self.op("Mul", [x, cdf])

    def gelu_grad(self, x: str, quick: bool) -> str:
        """Derivative of :meth:`gelu` (exact, not the tanh approximation)."""
        if quick:
            s = self.op("Sigmoid", [self.op("Mul", [x, self.const(QUICK_GELU_ALPHA)])])
            one_minus = self.op("Sub", [self.const(1.0), s])
            t = self.op("Mul", [self.op("Mul", [x, s]), one_minus])
            return self.op("Add", [s, self.op("Mul", [t, self.const(QUICK_GELU_ALPHA)])])
        e = self.op("Erf", [self.op("Mul", [x, self.const(1.0 / math.sqrt(2.0))])])
        cdf = self.op("Mul", [self.op("Add", [e, self.const(1.0)]), self.const(0.5)])
        sq = self.op("Mul", [x, x])
        pdf = self.op(
            "Mul",
            [
                self.op("Exp", [self.op("Mul", [sq, self.const(-0.5)])]),
                self.const(1.0 / math.sqrt(2.0 * math.pi)),
            ],
        )
        return self.op("Add", [cdf, self.op("Mul", [x, pdf])])

    def l2_normalize(self, x: str) -> str:
        """Divides the last axis by its L2 norm."""
        ss = self.op("ReduceSumSquare", [x], axes=[-1], keepdims=1)
        return self.op("Div", [x, self.op("Sqrt", [ss])])

    def slice(self, x: str, axis: int, start: int, end: int) -> str:
        """``x[..., start:end, ...]`` along ``axis``."""
        return self.op("Slice", [x, self.const([start]), self.const([end]), self.const([axis])])

    def reshape(self, x: str, shape: Sequence[int]) -> str:
        """Reshape (0 copies the input dimension, -1 is inferred)."""
        return self.op("Reshape", [x, self.const(list(shape))])

    def model(self, doc: str) -> onnx.ModelProto:
        """The finished, checked model."""
        graph = helper.make_graph(
            self.nodes, self.name, self.inputs, self.outputs, initializer=self.initializers
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="cow-tools",
            doc_string=doc,
        )
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
