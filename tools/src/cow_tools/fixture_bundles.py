"""Fixture bundles: ``tiny_clip`` (random weights) and ``red_clip`` (hand-made weights
for which "red" is wherever the image is red)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from cow_tools.bundle import export_bundle
from cow_tools.clip_config import ClipConfig
from cow_tools.fixture_text import build_word_tokenizer
from cow_tools.reference import random_params

TINY_CONFIG = {
    "embed_dim": 32,
    "quick_gelu": False,
    "vision_cfg": {"image_size": 48, "patch_size": 8, "width": 32, "layers": 2, "head_width": 8},
    "text_cfg": {"context_length": 16, "vocab_size": 0, "width": 32, "heads": 4, "layers": 2},
}


def write_tiny_clip(out_dir: Path, templates: list[str], seed: int = 1234) -> Path:
    """Writes the random-weights tiny bundle."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tok = build_word_tokenizer(templates)
    tok_path = out_dir / "tokenizer.json"
    tok.save(str(tok_path), pretty=False)
    cfg_dict = json.loads(json.dumps(TINY_CONFIG))
    cfg_dict["text_cfg"]["vocab_size"] = tok.get_vocab_size()
    cfg = ClipConfig.from_dict(cfg_dict)
    params = random_params(cfg, seed=seed)
    export_bundle(params, cfg, tok_path, out_dir, name="tiny-random-clip")
    write_expected_text(out_dir, tok, "a photo of a mug.")
    return out_dir


def write_expected_text(bundle: Path, tok: Tokenizer, prompt: str) -> None:
    """``expected_text.json``: ids and ONNX Runtime embedding of one prompt, so the Rust
    tokenizer and text path can be checked against Python's."""
    import onnxruntime as ort

    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    enc = tok.encode(prompt).ids
    ids = np.full((1, manifest["context_length"]), manifest["tokenizer"]["pad_id"], dtype=np.int64)
    ids[0, : len(enc)] = enc
    sess = ort.InferenceSession(str(bundle / "text.onnx"), providers=["CPUExecutionProvider"])
    (emb,) = sess.run(None, {"input_ids": ids})
    expected = {
        "prompt": prompt,
        "ids": [int(i) for i in ids[0]],
        "embedding": [round(float(v), 7) for v in emb[0]],
    }
    with open(bundle / "expected_text.json", "w", encoding="utf-8") as f:
        json.dump(expected, f)
        f.write("\n")


RED_CONFIG = {
    "embed_dim": 8,
    "quick_gelu": False,
    "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 16, "layers": 1, "head_width": 4},
    "text_cfg": {"context_length": 16, "vocab_size": 0, "width": 16, "heads": 4, "layers": 1},
}


def red_params(cfg: ClipConfig, red_id: int) -> dict[str, NDArray[np.float32]]:
    """Hand-made weights of a "redness" CLIP: the image embedding turns towards
    embedding axis 0 the redder the image is, the text embedding of a prompt
    containing the word "red" points along axis 0 and every other prompt along
    axis 1. So "red" is the goal wherever an image is red: a localizer test
    can check that the top pixel lands on the red part of a frame.

    Feature 0 of every token carries redness (vision: conv1 averages
    ``R - (G + B) / 2`` over the patch; text: the "red" token's embedding);
    features 1 and 2 hold a constant +-10 from the positional embeddings so
    LayerNorm keeps redness roughly linear. Attention has zero queries and
    keys (uniform weights), its values copy feature 0 into feature 3, the
    out-projection is the identity on feature 3 and the MLPs are zero, so the
    class / EOT token receives the mean redness in feature 3, which the
    projections map to embedding axis 0 (feature 1 maps to axis 1).
    """
    params = {k: np.zeros_like(v) for k, v in random_params(cfg, seed=0).items()}
    v, t = cfg.vision, cfg.text
    p2 = float(v.patch_size**2)
    params["visual.conv1.weight"][0, 0] = 1.0 / p2
    params["visual.conv1.weight"][0, 1] = -0.5 / p2
    params["visual.conv1.weight"][0, 2] = -0.5 / p2
    for tower, width, prefix in [
        ("visual.", v.width, "visual.transformer.resblocks.0"),
        ("", t.width, "transformer.resblocks.0"),
    ]:
        pos = params[f"{tower}positional_embedding"]
        pos[:, 1], pos[:, 2] = 10.0, -10.0
        for ln in ["ln_1", "ln_2"]:
            params[f"{prefix}.{ln}.weight"][:] = 1.0
        params[f"{prefix}.attn.in_proj_weight"][2 * width + 3, 0] = 1.0
        params[f"{prefix}.attn.out_proj.weight"][3, 3] = 1.0
    for ln in ["visual.ln_pre", "visual.ln_post", "ln_final"]:
        params[f"{ln}.weight"][:] = 1.0
    params["visual.proj"][3, 0] = 1.0
    params["visual.proj"][1, 1] = 0.05
    params["token_embedding.weight"][red_id, 0] = 30.0
    params["text_projection"][3, 0] = 1.0
    params["text_projection"][1, 1] = 0.01
    params["logit_scale"] = np.array(np.log(100.0), dtype=np.float32)
    return params


def write_red_clip(out_dir: Path, templates: list[str]) -> Path:
    """Writes the hand-made "redness" bundle (see :func:`red_params`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tok = build_word_tokenizer(templates)
    tok_path = out_dir / "tokenizer.json"
    tok.save(str(tok_path), pretty=False)
    cfg_dict = json.loads(json.dumps(RED_CONFIG))
    cfg_dict["text_cfg"]["vocab_size"] = tok.get_vocab_size()
    cfg = ClipConfig.from_dict(cfg_dict)
    red_id = tok.token_to_id("red")
    if red_id is None:
        raise ValueError("fixture vocabulary lacks the word 'red'")
    return export_bundle(
        red_params(cfg, red_id), cfg, tok_path, out_dir, name="red-clip", fp16=True, fast=True
    )
