"""Writes a CLIP model bundle: ``manifest.json``, ``text.onnx``, ``image.onnx``,
``relevance.onnx`` and ``tokenizer.json`` in one folder.

The manifest is what the Rust side (``agent::perception::manifest``) validates every
graph against: input and output names, element types and shapes (integers are fixed
sizes, strings are symbolic dimensions).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray

from cow_tools.clip_config import ClipConfig
from cow_tools.clip_fast import build_image_graph_fused, quantize_int8
from cow_tools.clip_graphs import build_image_graph, build_relevance_graph, build_text_graph
from cow_tools.fp16 import to_fp16
from cow_tools.weights import externalize

WEIGHTS_FILE = "weights.bin"

FORMAT_VERSION = 1
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
#: CoW's thresholds for ViT-B/32 in RoboTHOR (CLIP-Patch, CLIP-Grad); dense has no
#: published value, 0.5 is the even point of its goal-vs-background softmax.
DEFAULT_THRESHOLDS = {"patch": 0.875, "grad": 0.625, "dense": 0.5}


def _io(name: str, dtype: str, shape: list[int | str]) -> dict[str, Any]:
    return {"name": name, "dtype": dtype, "shape": shape}


def manifest_for(
    cfg: ClipConfig,
    name: str,
    sot_id: int,
    eot_id: int,
    pad_id: int,
    thresholds: dict[str, float] | None = None,
    templates: str = "single",
    fp16: bool = False,
    logit_scale: float = 100.0,
    image_mean: tuple[float, float, float] = OPENAI_MEAN,
    image_std: tuple[float, float, float] = OPENAI_STD,
    fast: bool = False,
) -> dict[str, Any]:
    """The manifest dictionary of a bundle exported from ``cfg``."""
    v, t, d = cfg.vision, cfg.text, cfg.embed_dim
    n = v.grid * v.grid
    pixels = _io("pixel_values", "float32", ["batch", 3, v.image_size, v.image_size])
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "kind": "clip",
        "name": name,
        "image_size": v.image_size,
        "patch_size": v.patch_size,
        "patch_grid": [v.grid, v.grid],
        "image_mean": list(image_mean),
        "image_std": list(image_std),
        "embed_dim": d,
        "context_length": t.context_length,
        "logit_scale": logit_scale,
        "tokenizer": {"file": "tokenizer.json", "sot_id": sot_id, "eot_id": eot_id, "pad_id": pad_id},
        "templates": templates,
        "graphs": {
            "text": {
                "file": "text.onnx",
                "inputs": [_io("input_ids", "int64", ["batch", t.context_length])],
                "outputs": [_io("text_embeddings", "float32", ["batch", d])],
            },
            "image": {
                "file": "image.onnx",
                "inputs": [pixels],
                "outputs": [
                    _io("image_embeddings", "float32", ["batch", d]),
                    _io("patch_embeddings", "float32", ["batch", n, d]),
                ],
            },
            "relevance": {
                "file": "relevance.onnx",
                "inputs": [pixels, _io("text_embedding", "float32", ["batch", d])],
                "outputs": [_io("relevance", "float32", ["batch", n])],
            },
        },
        "thresholds": dict(thresholds or DEFAULT_THRESHOLDS),
        "architecture": cfg.to_dict(),
        "external_data": [WEIGHTS_FILE],
    }
    if fp16:
        for graph in manifest["graphs"].values():
            graph["fp16_file"] = graph["file"].replace(".onnx", "_fp16.onnx")
    if fast:
        manifest["graphs"]["image"]["opt_file"] = "image_opt.onnx"
        manifest["graphs"]["image"]["int8_file"] = "image_int8.onnx"
    return manifest


def _token_id(tokenizer: dict[str, Any], token: str) -> int:
    for added in tokenizer.get("added_tokens", []):
        if added.get("content") == token:
            return int(added["id"])
    vocab = tokenizer.get("model", {}).get("vocab", {})
    if isinstance(vocab, dict) and token in vocab:
        return int(vocab[token])
    raise ValueError(f"tokenizer has no token {token!r}")


def logit_scale_of(params: dict[str, NDArray[np.floating]]) -> float:
    """``exp(logit_scale)`` of the weights, capped at 100 as CLIP does; 100 when absent."""
    if "logit_scale" not in params:
        return 100.0
    return float(min(np.exp(float(np.asarray(params["logit_scale"]).reshape(-1)[0])), 100.0))


def max_token_id(tokenizer: dict[str, Any]) -> int:
    """The largest id in a tokenizer.json (vocabulary and added tokens)."""
    ids = [int(a["id"]) for a in tokenizer.get("added_tokens", [])]
    vocab = tokenizer.get("model", {}).get("vocab", {})
    if isinstance(vocab, dict):
        ids.extend(int(i) for i in vocab.values())
    if not ids:
        raise ValueError("tokenizer has no vocabulary")
    return max(ids)


def export_bundle(
    params: dict[str, NDArray[np.floating]],
    cfg: ClipConfig,
    tokenizer_json: Path,
    out_dir: Path,
    name: str,
    sot_token: str = "<|startoftext|>",
    eot_token: str = "<|endoftext|>",
    pad_id: int = 0,
    thresholds: dict[str, float] | None = None,
    fp16: bool = False,
    image_mean: tuple[float, float, float] = OPENAI_MEAN,
    image_std: tuple[float, float, float] = OPENAI_STD,
    fast: bool = False,
) -> Path:
    """Exports the three graphs (and their fp16 variants when ``fp16``), copies the tokenizer
    and writes the manifest (``image_mean``/``image_std``: the model's normalisation,
    OpenAI CLIP's by default; ``fast``: also the fused ``image_opt.onnx`` and the int8
    ``image_int8.onnx``, see :mod:`cow_tools.clip_fast`); returns ``out_dir``."""
    with open(tokenizer_json, encoding="utf-8") as f:
        tok = json.load(f)
    sot_id, eot_id = _token_id(tok, sot_token), _token_id(tok, eot_token)
    if eot_id != max_token_id(tok):
        raise ValueError(
            f"EOT id {eot_id} is not the largest token id {max_token_id(tok)}: the text graph "
            "finds the EOT position with argmax over ids, as OpenCLIP does"
        )
    if max_token_id(tok) >= cfg.text.vocab_size:
        raise ValueError(
            f"tokenizer id {max_token_id(tok)} is outside the vocabulary of {cfg.text.vocab_size}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    graphs = {
        "text.onnx": build_text_graph(params, cfg),
        "image.onnx": build_image_graph(params, cfg),
        "relevance.onnx": build_relevance_graph(params, cfg),
    }
    if fp16:
        for file in list(graphs):
            graphs[file.replace(".onnx", "_fp16.onnx")] = to_fp16(graphs[file])
    int8: onnx.ModelProto | None = None
    if fast:
        graphs["image_opt.onnx"] = build_image_graph_fused(params, cfg)
        int8 = quantize_int8(graphs["image_opt.onnx"])
    externalize(list(graphs.values()), out_dir, WEIGHTS_FILE)
    for file, model in graphs.items():
        onnx.save_model(model, str(out_dir / file))
    if int8 is not None:
        onnx.save_model(int8, str(out_dir / "image_int8.onnx"))
    if tokenizer_json.resolve() != (out_dir / "tokenizer.json").resolve():
        shutil.copyfile(tokenizer_json, out_dir / "tokenizer.json")
    manifest = manifest_for(
        cfg,
        name,
        sot_id,
        eot_id,
        pad_id,
        thresholds,
        fp16=fp16,
        logit_scale=logit_scale_of(params),
        image_mean=image_mean,
        image_std=image_std,
        fast=fast,
    )
    with open(out_dir / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return out_dir
