"""Reading a ``cow sim dataset`` folder (layout: ``sim_bridge/src/dataset.rs``) into arrays.

Frames and crops are resized to the model's input with PIL's bicubic filter, as the Rust
preprocessing does; each frame gets one label per patch of the model's patch grid: the
semantic class of an object covering at least ``min_object_fraction`` of the patch (the
largest such), else the most frequent class of the patch; class 0 ("nothing") is ignored.
Frames of world version 2 also carry the room kind the camera stands in, its captions and the
goal categories standing in that room (``contents``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

IGNORE = -1


@dataclass
class FrameSet:
    """Frames with per-patch class labels."""

    images: NDArray[np.uint8]  # [N, S, S, 3]
    labels: NDArray[np.int64]  # [N, grid * grid], semantic class or IGNORE
    #: World version 2: the room kind the camera stands in ("kitchen"), else None.
    rooms: list[str | None] = field(default_factory=list)
    #: World version 2: the frame's room captions ("a kitchen", "a photo of a kitchen."), else [].
    captions: list[list[str]] = field(default_factory=list)
    #: World version 2: the goal categories (words) standing in the camera's room, seen or not.
    contents: list[list[str]] = field(default_factory=list)


@dataclass
class CropSet:
    """Object crops with their captions."""

    images: NDArray[np.uint8]  # [M, S, S, 3]
    words: list[str]  # category in words per crop
    is_goal: list[bool]
    captions: list[list[str]]


@dataclass
class Dataset:
    """A whole dataset folder."""

    meta: dict[str, Any]
    class_words: dict[int, str]  # semantic class -> prompt word(s); class 0 absent
    frames: FrameSet
    crops: CropSet


def patch_labels(
    classes: NDArray[np.integer[Any]],
    grid: int,
    is_object: NDArray[np.bool_],
    min_object_fraction: float = 0.2,
) -> NDArray[np.int64]:
    """Labels of the ``grid x grid`` patches of a square class mask (side divisible by grid)."""
    side = classes.shape[0]
    if classes.shape != (side, side) or side % grid != 0:
        raise ValueError(f"class mask of shape {classes.shape} does not split into {grid}x{grid} patches")
    p = side // grid
    n_classes = max(int(classes.max()) + 1, len(is_object))
    blocks = classes.reshape(grid, p, grid, p).transpose(0, 2, 1, 3).reshape(grid * grid, p * p)
    counts = np.zeros((grid * grid, n_classes), dtype=np.int64)
    rows = np.repeat(np.arange(grid * grid), p * p)
    np.add.at(counts, (rows, blocks.reshape(-1).astype(np.int64)), 1)
    obj = np.zeros(n_classes, dtype=bool)
    obj[: len(is_object)] = is_object
    obj_counts = np.where(obj[None, :], counts, 0)
    best_obj = obj_counts.argmax(axis=1)
    labels = counts.argmax(axis=1)
    strong = obj_counts.max(axis=1) >= min_object_fraction * p * p
    out: NDArray[np.int64] = np.where(strong, best_obj, labels).astype(np.int64)
    out[out == 0] = IGNORE
    return out


def _resize(img: Image.Image, size: int) -> NDArray[np.uint8]:
    img = img.convert("RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.uint8)


def load_image(path: Path, size: int) -> NDArray[np.uint8]:
    """An RGB image file resized to ``size x size`` (bicubic), as uint8 ``[S, S, 3]``."""
    with Image.open(path) as img:
        return _resize(img, size)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def class_words_of(meta: dict[str, Any], frames: list[dict[str, Any]]) -> dict[int, str]:
    """Prompt words per semantic class: the objects' words from the index, the lower-cased
    class name for floor, walls, ceiling and furniture."""
    words = {i: str(n).lower() for i, n in enumerate(meta["classes"]) if i > 0}
    for rec in frames:
        for o in rec["objects"]:
            words[int(o["class"])] = str(o["words"])
    return words


def load(
    root: Path, image_size: int, grid: int, max_frames: int | None = None, crop_size: int | None = None
) -> Dataset:
    """Reads the dataset at ``root`` for a model with input ``image_size`` and a ``grid`` patch
    grid; crops are kept at ``crop_size`` (default ``image_size``) to save memory, the trainer
    resizes them to the model input per batch (crops are small cut-outs, so little is lost)."""
    crop_size = crop_size or image_size
    with open(root / "dataset.json", encoding="utf-8") as f:
        meta = json.load(f)
    frames = read_jsonl(root / "index.jsonl")[:max_frames]
    crops = [c for c in read_jsonl(root / "crops.jsonl") if max_frames is None or c["frame"] < max_frames]
    class_words = class_words_of(meta, frames)
    object_classes = {int(o["class"]) for r in frames for o in r["objects"]}
    is_object = np.array([i in object_classes for i in range(len(meta["classes"]))], dtype=bool)
    size = int(meta["size"])
    if size % grid != 0:
        raise ValueError(f"frames of {size} px do not split into a {grid}x{grid} patch grid")
    images = np.zeros((len(frames), image_size, image_size, 3), dtype=np.uint8)
    labels = np.zeros((len(frames), grid * grid), dtype=np.int64)
    for i, rec in enumerate(frames):
        with Image.open(root / rec["frame"]) as img:
            images[i] = _resize(img, image_size)
        with Image.open(root / rec["classes"]) as img:
            labels[i] = patch_labels(np.asarray(img), grid, is_object)
    crop_images = np.zeros((len(crops), crop_size, crop_size, 3), dtype=np.uint8)
    for i, c in enumerate(crops):
        with Image.open(root / c["file"]) as img:
            crop_images[i] = _resize(img, crop_size)
    return Dataset(
        meta=meta,
        class_words=class_words,
        frames=FrameSet(
            images,
            labels,
            [None if r.get("room") is None else str(r["room"]) for r in frames],
            [list(r.get("captions") or []) for r in frames],
            [[str(w) for w in r.get("contents") or []] for r in frames],
        ),
        crops=CropSet(
            crop_images,
            [str(c["words"]) for c in crops],
            [bool(c["is_goal"]) for c in crops],
            [list(c["captions"]) for c in crops],
        ),
    )
