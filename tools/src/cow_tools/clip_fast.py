"""Fast variants of the CLIP image graph, written at export time:

- ``image_opt.onnx``: the same outputs as ``image.onnx`` with ONNX Runtime's transformer
  fusions done in the graph itself: every block but the last runs one
  ``com.microsoft.Attention`` (packed QKV projection, scaled dot product, softmax and
  head merge in one kernel) and the MLP activation is the fused ``QuickGelu`` or
  ``Gelu`` contrib op; LayerNorm is the native op, and at load ONNX Runtime further
  folds residual adds into ``SkipLayerNormalization`` and biases into the matmuls. The
  last block keeps the exporter's CLS-only evaluation (and its dense value path).
  CPU and CUDA both implement these contrib ops.
- ``image_int8.onnx``: ``image_opt.onnx`` with dynamic int8 quantisation of the weights of
  every MatMul and Attention (activations quantised per run), for CPUs.

The contrib ops need ONNX Runtime (not any ONNX backend), which is what the agent uses.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from cow_tools.clip_config import ClipConfig
from cow_tools.clip_graphs import Params, _get, _head, _last_block_cls, _merge_heads
from cow_tools.graph import FLOAT, OPSET, GraphBuilder

MS_DOMAIN = "com.microsoft"


def _fused_block(
    gb: GraphBuilder, params: Params, prefix: str, x: str, width: int, heads: int, quick: bool
) -> str:
    h = gb.layer_norm(x, _get(params, f"{prefix}.ln_1.weight"), _get(params, f"{prefix}.ln_1.bias"))
    w_in = _get(params, f"{prefix}.attn.in_proj_weight")
    if w_in.shape != (3 * width, width):
        raise ValueError(
            f"{prefix}.attn.in_proj_weight has shape {w_in.shape}, expected {(3 * width, width)}"
        )
    attn = gb.op(
        "Attention",
        [
            h,
            gb.const(np.ascontiguousarray(w_in.T), "qkv_w"),
            gb.const(_get(params, f"{prefix}.attn.in_proj_bias")),
        ],
        domain=MS_DOMAIN,
        num_heads=heads,
    )
    attn = gb.linear(
        attn, _get(params, f"{prefix}.attn.out_proj.weight"), _get(params, f"{prefix}.attn.out_proj.bias")
    )
    x = gb.op("Add", [x, attn])
    m = gb.layer_norm(x, _get(params, f"{prefix}.ln_2.weight"), _get(params, f"{prefix}.ln_2.bias"))
    f = gb.linear(m, _get(params, f"{prefix}.mlp.c_fc.weight"), _get(params, f"{prefix}.mlp.c_fc.bias"))
    if quick:
        g = gb.op("QuickGelu", [f], domain=MS_DOMAIN, alpha=1.702)
    else:
        g = gb.op("Gelu", [f], domain=MS_DOMAIN)
    out = gb.linear(g, _get(params, f"{prefix}.mlp.c_proj.weight"), _get(params, f"{prefix}.mlp.c_proj.bias"))
    return gb.op("Add", [x, out])


def _fused_trunk(gb: GraphBuilder, params: Params, cfg: ClipConfig, pixels: str) -> str:
    v = cfg.vision
    x = gb.op(
        "Conv",
        [pixels, gb.const(_get(params, "visual.conv1.weight"), "conv1")],
        kernel_shape=[v.patch_size, v.patch_size],
        strides=[v.patch_size, v.patch_size],
    )
    x = gb.op("Transpose", [gb.reshape(x, [0, v.width, -1])], perm=[0, 2, 1])
    batch = gb.slice(gb.op("Shape", [x]), 0, 0, 1)
    cls_shape = gb.op("Concat", [batch, gb.const([1, v.width])], axis=0)
    cls = gb.op(
        "Expand", [gb.const(_get(params, "visual.class_embedding").reshape(1, 1, -1), "cls"), cls_shape]
    )
    x = gb.op("Concat", [cls, x], axis=1)
    x = gb.op("Add", [x, gb.const(_get(params, "visual.positional_embedding"), "pos")])
    x = gb.layer_norm(x, _get(params, "visual.ln_pre.weight"), _get(params, "visual.ln_pre.bias"))
    for i in range(v.layers - 1):
        x = _fused_block(gb, params, f"visual.transformer.resblocks.{i}", x, v.width, v.heads, cfg.quick_gelu)
    return x


def build_image_graph_fused(params: Params, cfg: ClipConfig) -> onnx.ModelProto:
    """``image_opt.onnx``: :func:`cow_tools.clip_graphs.build_image_graph` with fused blocks."""
    v = cfg.vision
    gb = GraphBuilder("clip_image_fused")
    pixels = gb.input("pixel_values", FLOAT, ["batch", 3, v.image_size, v.image_size])
    z = _fused_trunk(gb, params, cfg, pixels)
    last = _last_block_cls(gb, params, cfg, z)
    emb = gb.l2_normalize(gb.reshape(_head(gb, params, last.x), [0, cfg.embed_dim]))
    gb.output(emb, "image_embeddings", FLOAT, ["batch", cfg.embed_dim])
    prefix = f"visual.transformer.resblocks.{v.layers - 1}"
    out = gb.linear(
        _merge_heads(gb, last.v, v.width),
        _get(params, f"{prefix}.attn.out_proj.weight"),
        _get(params, f"{prefix}.attn.out_proj.bias"),
    )
    dense = gb.slice(gb.l2_normalize(_head(gb, params, gb.op("Add", [z, out]))), 1, 1, v.tokens)
    gb.output(dense, "patch_embeddings", FLOAT, ["batch", v.grid * v.grid, cfg.embed_dim])
    graph = helper.make_graph(gb.nodes, gb.name, gb.inputs, gb.outputs, initializer=gb.initializers)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)],
        producer_name="cow-tools",
        doc_string="CLIP image tower, fused attention and GELU (ONNX Runtime contrib ops)",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def quantize_int8(model: onnx.ModelProto) -> onnx.ModelProto:
    """Dynamic int8 quantisation (signed weights, per tensor) of MatMul and Attention."""
    import tempfile
    from pathlib import Path

    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.onnx", Path(tmp) / "out.onnx"
        onnx.save_model(model, str(src))
        quantize_dynamic(
            str(src),
            str(dst),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        return onnx.load(str(dst))
