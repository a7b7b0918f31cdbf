"""The three CLIP graphs of a bundle, built directly from a NumPy state dict:

- ``text.onnx``: ``input_ids [B, C] int64`` -> ``text_embeddings [B, D]`` (unit norm).
- ``image.onnx``: ``pixel_values [B, 3, S, S]`` -> ``image_embeddings [B, D]`` (unit norm)
  and ``patch_embeddings [B, N, D]`` (unit norm, MaskCLIP value path of the last block:
  ``ln_post(z + out_proj(V(ln_1(z)))) @ proj`` per patch token, ``z`` = the tokens
  entering the last block).
- ``relevance.onnx``: ``pixel_values [B, 3, S, S]`` and ``text_embedding [B, D]`` ->
  ``relevance [B, N]``: Chefer relevance of the last layer, i.e. the mean over heads of
  ``relu(dL/dA * A)`` on the CLS row and patch columns, with ``L = 100 <e, t>``. The
  gradient is written out analytically (ln_post, residual + MLP with the exact GELU
  derivative, out-projection, per-head values), so no autograd is needed at export.

Only the CLS query reaches the image embedding through the last block, so both vision
graphs evaluate the last block for the CLS row alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import onnx
from numpy.typing import NDArray

from cow_tools.clip_config import ClipConfig
from cow_tools.graph import FLOAT, INT64, GraphBuilder

Params = dict[str, NDArray[np.floating]]
LOGIT_SCALE = 100.0


def _get(params: Params, name: str) -> NDArray[np.float32]:
    try:
        return np.asarray(params[name], dtype=np.float32)
    except KeyError as e:
        raise KeyError(f"state dict lacks parameter {name!r}") from e


def _attention_qkv(
    gb: GraphBuilder, params: Params, prefix: str, h: str, width: int, heads: int
) -> tuple[str, str, str]:
    """Queries, keys, values as ``[B, H, T, hd]``."""
    w_in = _get(params, f"{prefix}.attn.in_proj_weight")
    b_in = _get(params, f"{prefix}.attn.in_proj_bias")
    if w_in.shape != (3 * width, width):
        raise ValueError(
            f"{prefix}.attn.in_proj_weight has shape {w_in.shape}, expected {(3 * width, width)}"
        )
    hd = width // heads
    out = []
    for i in range(3):
        y = gb.linear(h, w_in[i * width : (i + 1) * width], b_in[i * width : (i + 1) * width])
        y = gb.reshape(y, [0, 0, heads, hd])
        out.append(gb.op("Transpose", [y], perm=[0, 2, 1, 3]))
    return out[0], out[1], out[2]


def _merge_heads(gb: GraphBuilder, x: str, width: int) -> str:
    """``[B, H, T, hd]`` -> ``[B, T, W]``."""
    return gb.reshape(gb.op("Transpose", [x], perm=[0, 2, 1, 3]), [0, 0, width])


def _mlp(gb: GraphBuilder, params: Params, prefix: str, x: str, quick: bool) -> tuple[str, str]:
    """Returns (pre-activation f, MLP output) for ``x`` (ln_2 applied inside)."""
    m = gb.layer_norm(x, _get(params, f"{prefix}.ln_2.weight"), _get(params, f"{prefix}.ln_2.bias"))
    f = gb.linear(m, _get(params, f"{prefix}.mlp.c_fc.weight"), _get(params, f"{prefix}.mlp.c_fc.bias"))
    g = gb.gelu(f, quick)
    out = gb.linear(g, _get(params, f"{prefix}.mlp.c_proj.weight"), _get(params, f"{prefix}.mlp.c_proj.bias"))
    return f, out


def _resblock(
    gb: GraphBuilder,
    params: Params,
    prefix: str,
    x: str,
    width: int,
    heads: int,
    quick: bool,
    mask: str | None,
) -> str:
    h = gb.layer_norm(x, _get(params, f"{prefix}.ln_1.weight"), _get(params, f"{prefix}.ln_1.bias"))
    q, k, v = _attention_qkv(gb, params, prefix, h, width, heads)
    kt = gb.op("Transpose", [k], perm=[0, 1, 3, 2])
    scores = gb.op("Mul", [gb.op("MatMul", [q, kt]), gb.const(1.0 / math.sqrt(width // heads))])
    if mask is not None:
        scores = gb.op("Add", [scores, mask])
    probs = gb.op("Softmax", [scores], axis=-1)
    o = _merge_heads(gb, gb.op("MatMul", [probs, v]), width)
    attn = gb.linear(
        o, _get(params, f"{prefix}.attn.out_proj.weight"), _get(params, f"{prefix}.attn.out_proj.bias")
    )
    x = gb.op("Add", [x, attn])
    _, m = _mlp(gb, params, prefix, x, quick)
    return gb.op("Add", [x, m])


def _vision_trunk(gb: GraphBuilder, params: Params, cfg: ClipConfig, pixels: str) -> str:
    """Tokens entering the last vision block, ``[B, T, W]``."""
    v = cfg.vision
    conv_w = _get(params, "visual.conv1.weight")
    expected = (v.width, 3, v.patch_size, v.patch_size)
    if conv_w.shape != expected:
        raise ValueError(f"visual.conv1.weight has shape {conv_w.shape}, expected {expected}")
    x = gb.op(
        "Conv",
        [pixels, gb.const(conv_w, "conv1")],
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
        x = _resblock(
            gb, params, f"visual.transformer.resblocks.{i}", x, v.width, v.heads, cfg.quick_gelu, None
        )
    return x


@dataclass
class _LastBlock:
    """Values of the last block evaluated for the CLS query."""

    v: str  # [B, H, T, hd]
    a0: str  # [B, H, 1, T]
    y: str  # [B, 1, W] after attention residual
    f: str  # [B, 1, hidden] MLP pre-activation
    x: str  # [B, 1, W] block output (CLS)


def _last_block_cls(gb: GraphBuilder, params: Params, cfg: ClipConfig, z: str) -> _LastBlock:
    v_cfg = cfg.vision
    prefix = f"visual.transformer.resblocks.{v_cfg.layers - 1}"
    width, heads = v_cfg.width, v_cfg.heads
    h = gb.layer_norm(z, _get(params, f"{prefix}.ln_1.weight"), _get(params, f"{prefix}.ln_1.bias"))
    q, k, v = _attention_qkv(gb, params, prefix, h, width, heads)
    q0 = gb.slice(q, 2, 0, 1)
    kt = gb.op("Transpose", [k], perm=[0, 1, 3, 2])
    scores = gb.op("Mul", [gb.op("MatMul", [q0, kt]), gb.const(1.0 / math.sqrt(width // heads))])
    a0 = gb.op("Softmax", [scores], axis=-1)
    o = _merge_heads(gb, gb.op("MatMul", [a0, v]), width)
    attn = gb.linear(
        o, _get(params, f"{prefix}.attn.out_proj.weight"), _get(params, f"{prefix}.attn.out_proj.bias")
    )
    y = gb.op("Add", [gb.slice(z, 1, 0, 1), attn])
    f, m = _mlp(gb, params, prefix, y, cfg.quick_gelu)
    return _LastBlock(v=v, a0=a0, y=y, f=f, x=gb.op("Add", [y, m]))


def _head(gb: GraphBuilder, params: Params, x: str) -> str:
    """ln_post + proj (unnormalised)."""
    u = gb.layer_norm(x, _get(params, "visual.ln_post.weight"), _get(params, "visual.ln_post.bias"))
    return gb.matmul_const(u, _get(params, "visual.proj"))


def build_image_graph(params: Params, cfg: ClipConfig) -> onnx.ModelProto:
    """``image.onnx``: image and dense patch embeddings."""
    v = cfg.vision
    gb = GraphBuilder("clip_image")
    pixels = gb.input("pixel_values", FLOAT, ["batch", 3, v.image_size, v.image_size])
    z = _vision_trunk(gb, params, cfg, pixels)
    last = _last_block_cls(gb, params, cfg, z)
    emb = gb.l2_normalize(gb.reshape(_head(gb, params, last.x), [0, cfg.embed_dim]))
    gb.output(emb, "image_embeddings", FLOAT, ["batch", cfg.embed_dim])
    prefix = f"visual.transformer.resblocks.{v.layers - 1}"
    out = gb.linear(
        _merge_heads(gb, last.v, v.width),
        _get(params, f"{prefix}.attn.out_proj.weight"),
        _get(params, f"{prefix}.attn.out_proj.bias"),
    )
    dense = gb.l2_normalize(_head(gb, params, gb.op("Add", [z, out])))
    dense = gb.slice(dense, 1, 1, v.tokens)
    gb.output(dense, "patch_embeddings", FLOAT, ["batch", v.grid * v.grid, cfg.embed_dim])
    return gb.model("CLIP image tower: unit image embedding and MaskCLIP-style patch embeddings")


def build_relevance_graph(params: Params, cfg: ClipConfig) -> onnx.ModelProto:
    """``relevance.onnx``: Chefer relevance of the last layer over patches."""
    v = cfg.vision
    prefix = f"visual.transformer.resblocks.{v.layers - 1}"
    gb = GraphBuilder("clip_relevance")
    pixels = gb.input("pixel_values", FLOAT, ["batch", 3, v.image_size, v.image_size])
    text = gb.input("text_embedding", FLOAT, ["batch", cfg.embed_dim])
    z = _vision_trunk(gb, params, cfg, pixels)
    last = _last_block_cls(gb, params, cfg, z)
    # forward head
    p = _head(gb, params, last.x)  # [B, 1, D]
    t = gb.reshape(text, [0, 1, cfg.embed_dim])
    norm = gb.op("Sqrt", [gb.op("ReduceSumSquare", [p], axes=[-1], keepdims=1)])
    e = gb.op("Div", [p, norm])
    et = gb.op("ReduceSum", [gb.op("Mul", [e, t]), gb.const([-1])], keepdims=1)
    # d logit / d p = 100 (t - e <e, t>) / |p|
    dp = gb.op("Sub", [t, gb.op("Mul", [e, et])])
    dp = gb.op("Div", [gb.op("Mul", [dp, gb.const(LOGIT_SCALE)]), norm])
    du = gb.matmul_const(dp, _get(params, "visual.proj").T)
    dx = gb.layer_norm_backward(last.x, _get(params, "visual.ln_post.weight"), du)
    # residual + MLP backward
    dg = gb.matmul_const(dx, _get(params, f"{prefix}.mlp.c_proj.weight"))
    df = gb.op("Mul", [dg, gb.gelu_grad(last.f, cfg.quick_gelu)])
    dm = gb.matmul_const(df, _get(params, f"{prefix}.mlp.c_fc.weight"))
    dy = gb.op("Add", [dx, gb.layer_norm_backward(last.y, _get(params, f"{prefix}.ln_2.weight"), dm)])
    # out-projection and per-head values
    do = gb.matmul_const(dy, _get(params, f"{prefix}.attn.out_proj.weight"))
    do = gb.op("Transpose", [gb.reshape(do, [0, 1, v.heads, v.width // v.heads])], perm=[0, 2, 1, 3])
    grad = gb.op("MatMul", [do, gb.op("Transpose", [last.v], perm=[0, 1, 3, 2])])  # [B, H, 1, T]
    rel = gb.op("Relu", [gb.op("Mul", [grad, last.a0])])
    rel = gb.op("ReduceMean", [rel], axes=[1], keepdims=0)  # [B, 1, T]
    rel = gb.reshape(gb.slice(rel, 2, 1, v.tokens), [0, v.grid * v.grid])
    gb.output(rel, "relevance", FLOAT, ["batch", v.grid * v.grid])
    return gb.model("CLIP-Grad: Chefer relevance of the last attention layer (CLS row, patch columns)")


def build_text_graph(params: Params, cfg: ClipConfig) -> onnx.ModelProto:
    """``text.onnx``: unit text embeddings; the EOT token is the row's largest id (OpenCLIP)."""
    t = cfg.text
    gb = GraphBuilder("clip_text")
    ids = gb.input("input_ids", INT64, ["batch", t.context_length])
    tok = _get(params, "token_embedding.weight")
    if tok.shape != (t.vocab_size, t.width):
        raise ValueError(f"token_embedding.weight has shape {tok.shape}, expected {(t.vocab_size, t.width)}")
    x = gb.op("Gather", [gb.const(tok, "tok"), ids], axis=0)
    x = gb.op("Add", [x, gb.const(_get(params, "positional_embedding"), "pos")])
    mask = np.zeros((t.context_length, t.context_length), dtype=np.float32)
    mask[np.triu_indices(t.context_length, 1)] = -np.inf
    mask_name = gb.const(mask, "causal_mask")
    for i in range(t.layers):
        x = _resblock(
            gb, params, f"transformer.resblocks.{i}", x, t.width, t.heads, cfg.quick_gelu, mask_name
        )
    x = gb.layer_norm(x, _get(params, "ln_final.weight"), _get(params, "ln_final.bias"))
    eot = gb.op("Unsqueeze", [gb.op("ArgMax", [ids], axis=-1, keepdims=1), gb.const([2])])  # [B,1,1]
    batch = gb.slice(gb.op("Shape", [ids]), 0, 0, 1)
    idx_shape = gb.op("Concat", [batch, gb.const([1, t.width])], axis=0)
    eot = gb.op("Expand", [eot, idx_shape])
    x = gb.op("GatherElements", [x, eot], axis=1)  # [B, 1, W]
    x = gb.reshape(x, [0, t.width])
    emb = gb.l2_normalize(gb.matmul_const(x, _get(params, "text_projection")))
    gb.output(emb, "text_embeddings", FLOAT, ["batch", cfg.embed_dim])
    return gb.model("CLIP text tower: unit text embedding at the EOT token")
