"""The ``tiny_owl`` fixture bundle of the Rust tests (needs torch and transformers):
a randomly initialised OWL-ViT (image 64, patch 16, width 32, one layer per tower) with
the fixture word tokenizer, and ``expected.json``: what the ``owl`` localizer must
produce for a uniform 128 x 128 frame (preprocessing of a uniform frame is exact, so the
ONNX Runtime outputs here are the Rust side's inputs too).

Regenerate with ``cow-export owlvit --fixture agent/tests/fixtures/tiny_owl``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from cow_tools.bundle import OPENAI_MEAN, OPENAI_STD
from cow_tools.fixture_text import build_word_tokenizer, read_templates
from cow_tools.owlvit import export_owl_bundle, random_owl_model

FRAME_SIZE = 128
FRAME_RGB = [120, 60, 200]
FRAME: dict[str, Any] = {"width": FRAME_SIZE, "height": FRAME_SIZE, "rgb": FRAME_RGB}
GOAL = "mug"
PROMPT = "a photo of a mug."


def tiny_owl_config(vocab_size: int) -> dict[str, Any]:
    """The fixture's ``OwlViTConfig`` dictionary."""
    return {
        "projection_dim": 32,
        "text_config": {
            "vocab_size": vocab_size,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "max_position_embeddings": 16,
            "bos_token_id": vocab_size - 2,
            "eos_token_id": vocab_size - 1,
            "pad_token_id": 0,
        },
        "vision_config": {
            "image_size": 64,
            "patch_size": 16,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
        },
    }


def pixel_rect(box: list[float], image_size: int, scale: float, width: int, height: int) -> list[int]:
    """Frame pixel rectangle ``[x0, y0, x1, y1)`` of a normalised ``(cx, cy, w, h)`` box for a
    frame resized by ``scale`` (input pixels per frame pixel, no offset): corners truncated
    as CoW does, clamped to the frame."""
    cx, cy, w, h = (float(v) * image_size / scale for v in box)

    def clamp(v: float, hi: int) -> int:
        return int(min(max(math.floor(v), 0), hi))

    return [
        clamp(cx - w / 2, width),
        clamp(cy - h / 2, height),
        clamp(cx + w / 2, width),
        clamp(cy + h / 2, height),
    ]


def write_tiny_owl(out_dir: Path, templates: list[str], seed: int = 5) -> Path:
    """Writes the bundle and ``expected.json``."""
    import onnxruntime as ort

    out_dir.mkdir(parents=True, exist_ok=True)
    tok = build_word_tokenizer(templates)
    tok_path = out_dir / "tokenizer.json"
    tok.save(str(tok_path), pretty=False)
    model = random_owl_model(tiny_owl_config(tok.get_vocab_size()), seed=seed)
    export_owl_bundle(model, tok_path, out_dir, "tiny-random-owlvit", context_length=16, pad_id=0, fast=True)
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    s = int(manifest["image_size"])
    ids = np.zeros((1, 16), dtype=np.int64)
    enc = tok.encode(PROMPT).ids  # the word tokenizer adds SOT and EOT
    ids[0, : len(enc)] = enc
    opts = ["CPUExecutionProvider"]
    (q,) = ort.InferenceSession(str(out_dir / "text.onnx"), providers=opts).run(None, {"input_ids": ids})
    q = q[0] / np.linalg.norm(q[0])
    rgb = np.array(FRAME_RGB, dtype=np.float32) / 255.0
    pixel = (rgb - np.array(OPENAI_MEAN, dtype=np.float32)) / np.array(OPENAI_STD, dtype=np.float32)
    pixels = np.broadcast_to(pixel[None, :, None, None], (1, 3, s, s)).astype(np.float32)
    cls, shift, lscale, boxes = ort.InferenceSession(str(out_dir / "image.onnx"), providers=opts).run(
        None, {"pixel_values": pixels}
    )
    logits = (cls[0].astype(np.float64) @ q.astype(np.float64) + shift[0]) * lscale[0]
    scores = 1.0 / (1.0 + np.exp(-logits))
    scale = s / FRAME_SIZE
    rects = [pixel_rect(list(b), s, scale, FRAME_SIZE, FRAME_SIZE) for b in boxes[0]]
    expected = {
        "goal": GOAL,
        "ids": [int(i) for i in ids[0]],
        "text_embedding": [round(float(v), 7) for v in q],
        "frame": FRAME,
        "scores": [float(v) for v in scores],
        "boxes": [[float(v) for v in b] for b in boxes[0]],
        "rects": rects,
        "threshold": float(np.median(scores)),
    }
    with open(out_dir / "expected.json", "w", encoding="utf-8") as f:
        json.dump(expected, f)
        f.write("\n")
    return out_dir


def write_owl_fixture(out_dir: Path, repo: Path) -> Path:
    """:func:`write_tiny_owl` with the repository's prompt templates."""
    return write_tiny_owl(out_dir, read_templates(repo / "agent/src/perception/imagenet_templates.txt"))
