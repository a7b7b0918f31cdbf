"""Zero-shot classification accuracy of an exported bundle (ONNX Runtime, no torch) on the goal
crops of a ``cow sim dataset`` folder: each crop is classified among the prompts
"a photo of a {category}." (article by the category's first letter, as the agent's prompts) of the
goal categories present. Frames of world version 2 name the room the camera stands in; they
are classified among "a photo of a {room}." of the rooms present (``rooms``), and where they
name the room's goal contents, ``context`` says how well a frame's similarity to a goal's
context prompt ("a room with a mug.") tells rooms that hold the goal from rooms that do not,
over the frames that do not show it (the value map's question: is the goal likely here, before
it is in sight): the ROC AUC per goal and their mean (0.5 = chance).

    python -m cow_tools.train.zeroshot --bundle models/cow-embedded --data DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from cow_tools.bundle import OPENAI_MEAN, OPENAI_STD
from cow_tools.train import data as ds
from cow_tools.train.metrics import roc_auc
from cow_tools.train.vocab import CONTEXT_TEMPLATE, encode, fill, prompt


def accuracy(bundle: Path, root: Path) -> dict[str, float | int]:
    """Overall and per-category accuracy over the goal crops of ``root``."""
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    size, ctx = int(manifest["image_size"]), int(manifest["context_length"])
    crops = [c for c in ds.read_jsonl(root / "crops.jsonl") if c["is_goal"]]
    words = sorted({str(c["words"]) for c in crops})
    tok = Tokenizer.from_file(str(bundle / "tokenizer.json"))
    ids = np.array([encode(tok, prompt(w), ctx) for w in words], dtype=np.int64)
    text = ort.InferenceSession(str(bundle / "text.onnx")).run(None, {"input_ids": ids})[0]
    image = ort.InferenceSession(str(bundle / "image.onnx"))
    mean = np.array(OPENAI_MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(OPENAI_STD, dtype=np.float32).reshape(1, 3, 1, 1)
    right: dict[str, list[int]] = {w: [0, 0] for w in words}
    for s in range(0, len(crops), 128):
        part = crops[s : s + 128]
        px = np.stack([ds.load_image(root / c["file"], size) for c in part]).astype(np.float32)
        px = (px.transpose(0, 3, 1, 2) / 255.0 - mean) / std
        emb = image.run(["image_embeddings"], {"pixel_values": px.astype(np.float32)})[0]
        pred = (emb @ text.T).argmax(-1)
        for c, p in zip(part, pred, strict=True):
            right[c["words"]][0] += int(words[int(p)] == c["words"])
            right[c["words"]][1] += 1
    out: dict[str, float | int] = {"crops": len(crops), "categories": len(words)}
    out["accuracy"] = sum(r[0] for r in right.values()) / max(1, len(crops))
    out.update({w: r[0] / max(1, r[1]) for w, r in right.items()})
    return out


def room_accuracy(bundle: Path, root: Path) -> dict[str, float | int] | None:
    """Overall and per-room accuracy of classifying the frames of ``root`` that name a room
    (world version 2) among the prompts of the rooms present; None without such frames."""
    frames = [f for f in ds.read_jsonl(root / "index.jsonl") if f.get("room")]
    if not frames:
        return None
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    size, ctx = int(manifest["image_size"]), int(manifest["context_length"])
    rooms = sorted({str(f["room"]) for f in frames})
    tok = Tokenizer.from_file(str(bundle / "tokenizer.json"))
    ids = np.array([encode(tok, prompt(r), ctx) for r in rooms], dtype=np.int64)
    text = ort.InferenceSession(str(bundle / "text.onnx")).run(None, {"input_ids": ids})[0]
    image = ort.InferenceSession(str(bundle / "image.onnx"))
    mean = np.array(OPENAI_MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(OPENAI_STD, dtype=np.float32).reshape(1, 3, 1, 1)
    right: dict[str, list[int]] = {r: [0, 0] for r in rooms}
    for s in range(0, len(frames), 64):
        part = frames[s : s + 64]
        px = np.stack([ds.load_image(root / f["frame"], size) for f in part]).astype(np.float32)
        px = (px.transpose(0, 3, 1, 2) / 255.0 - mean) / std
        emb = image.run(["image_embeddings"], {"pixel_values": px.astype(np.float32)})[0]
        for f, p in zip(part, (emb @ text.T).argmax(-1), strict=True):
            right[f["room"]][0] += int(rooms[int(p)] == f["room"])
            right[f["room"]][1] += 1
    out: dict[str, float | int] = {"frames": len(frames), "rooms": len(rooms)}
    out["accuracy"] = sum(r[0] for r in right.values()) / len(frames)
    out.update({r: v[0] / max(1, v[1]) for r, v in right.items()})
    return out


def context_auc(bundle: Path, root: Path, template: str = CONTEXT_TEMPLATE) -> dict[str, float | int] | None:
    """Mean and per-goal ROC AUC of the frames' similarity to ``template`` filled with each
    goal, between frames whose room holds the goal and frames whose room does not, leaving out
    frames that show the goal; None without frames naming their room's contents."""
    frames = [f for f in ds.read_jsonl(root / "index.jsonl") if f.get("room") and "contents" in f]
    if not frames:
        return None
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    size, ctx = int(manifest["image_size"]), int(manifest["context_length"])
    goals = sorted({str(c["words"]) for c in ds.read_jsonl(root / "crops.jsonl") if c["is_goal"]})
    tok = Tokenizer.from_file(str(bundle / "tokenizer.json"))
    ids = np.array([encode(tok, fill(template, g), ctx) for g in goals], dtype=np.int64)
    text = ort.InferenceSession(str(bundle / "text.onnx")).run(None, {"input_ids": ids})[0]
    image = ort.InferenceSession(str(bundle / "image.onnx"))
    mean = np.array(OPENAI_MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(OPENAI_STD, dtype=np.float32).reshape(1, 3, 1, 1)
    sims = []
    for s in range(0, len(frames), 64):
        part = frames[s : s + 64]
        px = np.stack([ds.load_image(root / f["frame"], size) for f in part]).astype(np.float32)
        px = (px.transpose(0, 3, 1, 2) / 255.0 - mean) / std
        sims.append(image.run(["image_embeddings"], {"pixel_values": px.astype(np.float32)})[0] @ text.T)
    sim = np.concatenate(sims)
    out: dict[str, float | int] = {"frames": len(frames)}
    aucs = []
    for g, word in enumerate(goals):
        shown = np.array([any(o["words"] == word for o in f["objects"]) for f in frames])
        holds = np.array([word in f["contents"] for f in frames])
        on, off = sim[holds & ~shown, g], sim[~holds & ~shown, g]
        if len(on) and len(off):
            out[word] = roc_auc(on, off)
            aucs.append(out[word])
    out["auc"] = float(np.mean(aucs)) if aucs else float("nan")
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point; prints the accuracies as JSON."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True, help="a `cow sim dataset` folder")
    p.add_argument(
        "--context-template",
        default=CONTEXT_TEMPLATE,
        help="template of the context prompts, {} = the goal (the agent's value_prompt)",
    )
    a = p.parse_args(argv)
    try:
        result: dict[str, object] = dict(accuracy(a.bundle, a.data))
        rooms = room_accuracy(a.bundle, a.data)
        if rooms is not None:
            result["rooms"] = rooms
        context = context_auc(a.bundle, a.data, a.context_template)
        if context is not None:
            result["context"] = context
        print(json.dumps(result, indent=1))
    except (OSError, ValueError, KeyError) as e:
        print(f"zeroshot: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
