"""Deterministic test fixtures for the Rust side (``agent/tests/fixtures/``):

- ``tiny_clip/``: a random-weights CLIP bundle (image 48, patch 8, width 32, 2 layers)
  with a WordLevel ``tokenizer.json`` over the category names, the prompt templates
  and a few background words;
- ``preprocess/``: a small PNG and its OpenAI-CLIP preprocessing computed with PIL and
  NumPy (resize shortest side bicubic, centre crop, normalise; and the pad variant).

Regenerate with ``cow-export fixtures --repo .`` from the repository root.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from tokenizers import (
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)

from cow_tools.bundle import OPENAI_MEAN, OPENAI_STD, export_bundle
from cow_tools.clip_config import ClipConfig
from cow_tools.reference import random_params

SOT = "<|startoftext|>"
EOT = "<|endoftext|>"
PAD = "<pad>"
UNK = "<unk>"

CATEGORY_NAMES = [
    # RoboTHOR CLIP names
    "alarm clock",
    "apple",
    "baseball bat",
    "basketball",
    "bowl",
    "garbage can",
    "plant",
    "laptop",
    "mug",
    "spray bottle",
    "TV",
    "vase",
    # Pasture long tail
    "gingerbread house",
    "espresso machine",
    "green plastic crate",
    "white electric guitar",
    "rice cooker",
    "llama wicker basket",
    "whiteboard saying cvpr",
    "tie dye surfboard",
    "blue and red tricycle",
    "graphics card",
    "mate gourd",
    "wooden toy plane",
    # Habitat MP3D
    "chair",
    "table",
    "picture",
    "cabinet",
    "cushion",
    "sofa",
    "bed",
    "chest of drawers",
    "dresser",
    "sink",
    "toilet",
    "stool",
    "towel",
    "tv monitor",
    "shower",
    "bathtub",
    "counter",
    "fireplace",
    "gym equipment",
    "seating",
    "clothes",
]
EXTRA_WORDS = (
    "background wall floor ceiling door window furniture object thing room house red green "
    "blue yellow black white small large left right on under near behind the an"
)

TINY_CONFIG = {
    "embed_dim": 32,
    "quick_gelu": False,
    "vision_cfg": {"image_size": 48, "patch_size": 8, "width": 32, "layers": 2, "head_width": 8},
    "text_cfg": {"context_length": 16, "vocab_size": 0, "width": 32, "heads": 4, "layers": 2},
}


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]+", text.lower())


def build_word_tokenizer(templates: list[str]) -> Tokenizer:
    """A WordLevel tokenizer (lowercase, word/punctuation split) whose EOT id is the largest."""
    words: set[str] = set(_words(EXTRA_WORDS))
    for name in CATEGORY_NAMES:
        words.update(_words(name))
    for template in templates:
        words.update(_words(template.replace("{}", " ")))
    vocab = {PAD: 0, UNK: 1}
    for w in sorted(words):
        vocab[w] = len(vocab)
    vocab[SOT] = len(vocab)
    vocab[EOT] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([PAD, UNK, SOT, EOT])
    tok.post_processor = processors.TemplateProcessing(
        single=f"{SOT} $A {EOT}", special_tokens=[(SOT, vocab[SOT]), (EOT, vocab[EOT])]
    )
    return tok


def read_templates(path: Path) -> list[str]:
    """Prompt templates, one per line."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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
    return export_bundle(red_params(cfg, red_id), cfg, tok_path, out_dir, name="red-clip", fp16=True)


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


CLIP_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
BPE_SAMPLES = [
    "A photo of an Alarm-Clock's 42 mugs!",
    "a   photo of a\tSPRAY bottle.",
    "the garbage can's lid, near the TV",
    "Caf\u00e9 cr\u00e8me \u2014 espresso machine",
]


def build_clip_style_bpe() -> Tokenizer:
    """A small byte-level BPE with the structure of OpenAI CLIP's ``tokenizer.json``
    (NFC + whitespace squeeze + lowercase, CLIP's split regex, byte-level, ``</w>``
    word suffix). Merges are built deterministically: each word of the category
    names, templates and samples is merged left to right into one token."""
    normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    pre = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    words: set[str] = set()
    for text in [*CATEGORY_NAMES, *BPE_SAMPLES, EXTRA_WORDS]:
        words.update(w for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(text)))
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab: dict[str, int] = {}
    for token in [*alphabet, *(c + "</w>" for c in alphabet)]:
        vocab.setdefault(token, len(vocab))
    merges: list[tuple[str, str]] = []
    for word in sorted(words):
        symbols = list(word)
        symbols[-1] += "</w>"
        current = symbols[0]
        for sym in symbols[1:]:
            if (current, sym) not in merges:
                merges.append((current, sym))
            current += sym
            vocab.setdefault(current, len(vocab))
    vocab[SOT] = len(vocab)
    vocab[EOT] = len(vocab)
    tok = Tokenizer(models.BPE(vocab, merges, unk_token=EOT, end_of_word_suffix="</w>"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([SOT, EOT])
    return tok


def write_bpe_fixture(out_dir: Path) -> Path:
    """``clip_bpe.json`` and the ids Python's tokenizers gives for :data:`BPE_SAMPLES`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tok = build_clip_style_bpe()
    tok.save(str(out_dir / "clip_bpe.json"), pretty=False)
    expected = {
        "sot_id": tok.token_to_id(SOT),
        "eot_id": tok.token_to_id(EOT),
        "samples": [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids} for t in BPE_SAMPLES],
    }
    with open(out_dir / "clip_bpe_expected.json", "w", encoding="utf-8") as f:
        json.dump(expected, f)
        f.write("\n")
    return out_dir


def write_all(repo: Path) -> None:
    """Regenerates every fixture under ``repo/agent/tests/fixtures``."""
    templates = read_templates(repo / "agent/src/perception/imagenet_templates.txt")
    fixtures = repo / "agent/tests/fixtures"
    write_tiny_clip(fixtures / "tiny_clip", templates)
    write_red_clip(fixtures / "red_clip", templates)
    write_preprocess_fixture(fixtures / "preprocess")
    write_bpe_fixture(fixtures / "tokenizers")
