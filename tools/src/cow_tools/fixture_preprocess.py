"""Preprocessing fixture: a small PNG and its OpenAI-CLIP preprocessing computed with
PIL and NumPy (the reference the Rust preprocessing is tested against)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cow_tools.bundle import OPENAI_MEAN, OPENAI_STD


def _synthetic_image(width: int, height: int) -> NDArray[np.uint8]:
    y, x = np.mgrid[0:height, 0:width]
    r = (x * 255 // max(width - 1, 1)).astype(np.uint8)
    g = (y * 255 // max(height - 1, 1)).astype(np.uint8)
    b = (((x // 4 + y // 4) % 2) * 200 + 30).astype(np.uint8)
    img = np.stack([r, g, b], axis=-1).astype(np.int32)
    noise = np.random.default_rng(99).integers(-40, 41, size=img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def clip_preprocess(img: Image.Image, size: int, mode: str) -> NDArray[np.float32]:
    """OpenAI CLIP preprocessing with PIL: ``[3, size, size]`` normalised.

    ``crop``: resize the shorter side to ``size`` (the longer to ``int(size * long / short)``,
    as torchvision), bicubic, then centre crop with offsets ``round((dim - size) / 2)``.
    ``pad``: paste centred on a square of the longer side filled with the mean colour
    (``round(255 * mean)``), offsets ``(side - dim) // 2``, then resize bicubic.
    """
    w, h = img.size
    if mode == "crop":
        if w <= h:
            nw, nh = size, int(size * h / w)
        else:
            nw, nh = int(size * w / h), size
        img = img.resize((nw, nh), Image.Resampling.BICUBIC)
        left, top = round((nw - size) / 2.0), round((nh - size) / 2.0)
        img = img.crop((left, top, left + size, top + size))
    elif mode == "pad":
        side = max(w, h)
        fill = tuple(round(255 * m) for m in OPENAI_MEAN)
        canvas = Image.new("RGB", (side, side), fill)
        canvas.paste(img, ((side - w) // 2, (side - h) // 2))
        img = canvas.resize((size, size), Image.Resampling.BICUBIC)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    scaled: NDArray[np.float32] = np.asarray(img, dtype=np.float32) / np.float32(255.0)
    mean = np.array(OPENAI_MEAN, dtype=np.float32)
    std = np.array(OPENAI_STD, dtype=np.float32)
    normalised: NDArray[np.float32] = (scaled - mean) / std
    return np.ascontiguousarray(normalised.transpose(2, 0, 1))


def write_preprocess_fixture(out_dir: Path) -> Path:
    """A 37 x 23 PNG and its preprocessing at size 16 (crop and pad), as JSON lists."""
    out_dir.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(_synthetic_image(37, 23), "RGB")
    img.save(out_dir / "input.png")
    expected = {
        "size": 16,
        "mean": list(OPENAI_MEAN),
        "std": list(OPENAI_STD),
        "crop": [round(float(v), 6) for v in clip_preprocess(img, 16, "crop").ravel()],
        "pad": [round(float(v), 6) for v in clip_preprocess(img, 16, "pad").ravel()],
    }
    with open(out_dir / "expected.json", "w", encoding="utf-8") as f:
        json.dump(expected, f)
        f.write("\n")
    return out_dir
