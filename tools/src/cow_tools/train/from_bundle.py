"""Recovering the state dict of an exported embedded-model bundle (``cow-train train --init
BUNDLE``), so a released model can be fine-tuned when its training folder is gone.

The graphs of :mod:`cow_tools.clip_graphs` only slice and transpose the parameters into their
initializers, so the mapping is found by tracing: the same graphs are built from a state dict
whose every element holds its own index (exact in float32 below 2**24 elements), and each
traced initializer says which parameter elements the bundle's initializer of the same name
holds. ``logit_scale`` is not in any graph; it comes from the manifest. No torch needed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import numpy_helper

from cow_tools.clip_config import ClipConfig
from cow_tools.clip_graphs import build_image_graph, build_text_graph

StateDict = dict[str, NDArray[np.float32]]

#: Graph constants of at most this many elements are shared by value (``GraphBuilder.const``),
#: so they cannot be told apart by name; no parameter of the embedded model is that small.
_SMALL = 16


def parameter_shapes(cfg: ClipConfig) -> dict[str, tuple[int, ...]]:
    """OpenCLIP names and shapes of the parameters the text and image graphs use."""
    v, t, d = cfg.vision, cfg.text, cfg.embed_dim
    shapes: dict[str, tuple[int, ...]] = {
        "visual.conv1.weight": (v.width, 3, v.patch_size, v.patch_size),
        "visual.class_embedding": (v.width,),
        "visual.positional_embedding": (v.tokens, v.width),
        "visual.ln_pre.weight": (v.width,),
        "visual.ln_pre.bias": (v.width,),
        "visual.ln_post.weight": (v.width,),
        "visual.ln_post.bias": (v.width,),
        "visual.proj": (v.width, d),
        "token_embedding.weight": (t.vocab_size, t.width),
        "positional_embedding": (t.context_length, t.width),
        "ln_final.weight": (t.width,),
        "ln_final.bias": (t.width,),
        "text_projection": (t.width, d),
    }
    for prefix, width, layers, mlp_ratio in (
        ("visual.transformer", v.width, v.layers, v.mlp_ratio),
        ("transformer", t.width, t.layers, t.mlp_ratio),
    ):
        hidden = int(width * mlp_ratio)
        for i in range(layers):
            b = f"{prefix}.resblocks.{i}"
            shapes.update(
                {
                    f"{b}.ln_1.weight": (width,),
                    f"{b}.ln_1.bias": (width,),
                    f"{b}.attn.in_proj_weight": (3 * width, width),
                    f"{b}.attn.in_proj_bias": (3 * width,),
                    f"{b}.attn.out_proj.weight": (width, width),
                    f"{b}.attn.out_proj.bias": (width,),
                    f"{b}.ln_2.weight": (width,),
                    f"{b}.ln_2.bias": (width,),
                    f"{b}.mlp.c_fc.weight": (hidden, width),
                    f"{b}.mlp.c_fc.bias": (hidden,),
                    f"{b}.mlp.c_proj.weight": (width, hidden),
                    f"{b}.mlp.c_proj.bias": (width,),
                }
            )
    return shapes


def _initializers(model: onnx.ModelProto) -> dict[str, NDArray[np.generic]]:
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def load_bundle_state(bundle: Path) -> StateDict:
    """The state dict (OpenCLIP names, float32) of the CLIP bundle folder ``bundle``, with
    ``logit_scale`` as the log of the manifest's; raises ValueError when a parameter element is
    not found in the bundle's graphs or the graphs were not built the way this tool traces."""
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    cfg = ClipConfig.from_dict(manifest["architecture"])
    shapes = parameter_shapes(cfg)
    total = sum(math.prod(s) for s in shapes.values())
    if total >= 2**24:
        raise ValueError(f"{total} parameters are too many to trace exactly in float32 (limit 2**24)")
    tracer: StateDict = {}
    start = 1  # 0 would be indistinguishable from a zero constant
    for name, shape in shapes.items():
        n = math.prod(shape)
        tracer[name] = np.arange(start, start + n, dtype=np.float32).reshape(shape)
        start += n
    flat = np.full(total + 1, np.nan, dtype=np.float32)
    for file, build in (("text.onnx", build_text_graph), ("image.onnx", build_image_graph)):
        traced = _initializers(build(tracer, cfg))
        shipped = _initializers(onnx.load(str(bundle / manifest["graphs"][file.split(".")[0]]["file"])))
        for name, idx in traced.items():
            if idx.dtype != np.float32 or idx.size <= _SMALL:
                continue
            if name not in shipped or shipped[name].shape != idx.shape:
                raise ValueError(f"{bundle / file}: initializer {name!r} does not match the traced graph")
            values = np.asarray(idx, dtype=np.float32).reshape(-1)
            if not np.isfinite(values).all() or (values != np.round(values)).any() or values.min() < 1:
                continue  # a constant of the graph itself (the causal mask), not a parameter
            flat[values.astype(np.int64)] = shipped[name].reshape(-1).astype(np.float32)
    out: StateDict = {}
    start = 1
    for name, shape in shapes.items():
        n = math.prod(shape)
        values = flat[start : start + n]
        if np.isnan(values).any():
            raise ValueError(f"{bundle}: parameter {name!r} is not (wholly) in the text or image graph")
        out[name] = values.reshape(shape).copy()
        start += n
    out["logit_scale"] = np.array(math.log(float(manifest["logit_scale"])), dtype=np.float32)
    return out
