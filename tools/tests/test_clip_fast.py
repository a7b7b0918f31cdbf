"""Fast image-graph variants: the fused graph computes what the plain one does, the int8
graph stays close, and ``--fast`` bundles declare both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from numpy.typing import NDArray

from cow_tools.bundle import export_bundle
from cow_tools.clip_config import ClipConfig
from cow_tools.clip_fast import build_image_graph_fused, quantize_int8
from cow_tools.clip_graphs import build_image_graph
from cow_tools.fixture_text import build_word_tokenizer
from cow_tools.reference import random_params

CFG: dict[str, Any] = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "patch_size": 16, "width": 64, "layers": 3, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 0, "width": 32, "heads": 2, "layers": 1},
}


def _run(model_bytes: bytes, pixels: NDArray[np.float32]) -> list[NDArray[np.float32]]:
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return list(sess.run(["image_embeddings", "patch_embeddings"], {"pixel_values": pixels}))


@pytest.mark.parametrize("quick", [False, True], ids=["gelu", "quick_gelu"])
def test_fused_graph_matches_plain_and_int8_stays_close(quick: bool) -> None:
    cfg = ClipConfig.from_dict(
        {**CFG, "quick_gelu": quick, "text_cfg": {**CFG["text_cfg"], "vocab_size": 50}}
    )
    params = random_params(cfg, seed=9)
    pixels = np.random.default_rng(2).standard_normal((2, 3, 64, 64)).astype(np.float32)
    plain = _run(build_image_graph(params, cfg).SerializeToString(), pixels)
    fused_model = build_image_graph_fused(params, cfg)
    ops = [n.op_type for n in fused_model.graph.node if n.domain == "com.microsoft"]
    assert ops.count("Attention") == 2 and ops.count("QuickGelu" if quick else "Gelu") == 2
    fused = _run(fused_model.SerializeToString(), pixels)
    for a, b in zip(plain, fused, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    int8 = _run(quantize_int8(fused_model).SerializeToString(), pixels)
    cos = (plain[0] * int8[0]).sum(-1)  # unit vectors
    assert cos.min() > 0.98, cos
    assert 0.0 < np.abs(plain[0] - int8[0]).max() < 0.2


def test_fast_bundle_declares_and_ships_the_variants(tmp_path: Path) -> None:
    tok = build_word_tokenizer(["a photo of a {}."])
    tok_path = tmp_path / "tokenizer.json"
    tok.save(str(tok_path))
    cfg = ClipConfig.from_dict({**CFG, "text_cfg": {**CFG["text_cfg"], "vocab_size": tok.get_vocab_size()}})
    out = export_bundle(random_params(cfg, seed=1), cfg, tok_path, tmp_path / "b", name="fast", fast=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    image = manifest["graphs"]["image"]
    assert image["opt_file"] == "image_opt.onnx" and image["int8_file"] == "image_int8.onnx"
    assert "opt_file" not in manifest["graphs"]["text"]
    pixels = np.zeros((1, 3, 64, 64), dtype=np.float32)
    for file in ("image.onnx", "image_opt.onnx", "image_int8.onnx"):
        sess = ort.InferenceSession(str(out / file), providers=["CPUExecutionProvider"])
        emb, dense = sess.run(None, {"pixel_values": pixels})
        assert emb.shape == (1, 32) and dense.shape == (1, 16, 32)
