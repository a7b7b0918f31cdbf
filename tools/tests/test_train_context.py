"""The context measure of ``cow_tools.train.zeroshot`` (how well a view's similarity to "a room
with a {goal}." tells rooms that hold the goal from rooms that do not) on a hand-made dataset
folder, through the shipped version-2 bundle and ONNX Runtime."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cow_tools.train.zeroshot import context_auc

BUNDLE = Path(__file__).resolve().parents[2] / "models" / "cow-embedded-v2"


def _dataset(root: Path, frames: list[tuple[int, dict[str, object]]]) -> None:
    """A dataset folder of ``frames``: (seed of the frame's random picture, its record)."""
    (root / "frames").mkdir(parents=True)
    lines = []
    for i, (seed, f) in enumerate(frames):
        name = f"frames/{i:06d}.png"
        pixels = np.random.default_rng(seed).integers(0, 255, (64, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / name)
        lines.append(json.dumps({"id": i, "frame": name, **f}))
    (root / "index.jsonl").write_text("\n".join(lines) + "\n")
    crops = [{"words": w, "is_goal": True} for w in ("apple", "mug")]
    (root / "crops.jsonl").write_text("\n".join(json.dumps(c) for c in crops) + "\n")


def test_context_auc_leaves_out_frames_showing_the_goal(tmp_path: Path) -> None:
    kitchen = (1, {"room": "kitchen", "contents": ["mug"], "objects": []})
    office = (2, {"room": "office", "contents": [], "objects": []})
    dining = (3, {"room": "dining room", "contents": ["apple"], "objects": []})
    shows_mug = (4, {"room": "kitchen", "contents": ["mug"], "objects": [{"words": "mug"}]})
    _dataset(tmp_path / "a", [kitchen, office, dining, shows_mug])
    _dataset(tmp_path / "b", [kitchen, office, dining])
    with_it, without = context_auc(BUNDLE, tmp_path / "a"), context_auc(BUNDLE, tmp_path / "b")
    assert with_it is not None and without is not None
    assert (with_it["frames"], without["frames"]) == (4, 3)
    # the frame that shows the mug does not count for "mug" (one holding frame against two)
    assert with_it["mug"] == without["mug"]
    assert with_it["mug"] in (0.0, 0.5, 1.0)
    # for "apple" it is one more room without apples: the AUC is in thirds
    assert with_it["apple"] * 3 == pytest.approx(round(with_it["apple"] * 3))
    assert with_it["auc"] == pytest.approx((with_it["apple"] + with_it["mug"]) / 2)


def test_context_auc_needs_frames_naming_their_contents(tmp_path: Path) -> None:
    _dataset(tmp_path, [(1, {"room": "kitchen", "objects": []}), (2, {"objects": []})])
    assert context_auc(BUNDLE, tmp_path) is None
