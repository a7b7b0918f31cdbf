"""Tokenizer fixtures: the word-level tokenizer of the fixture bundles (vocabulary =
category names, prompt templates, background words) and a small byte-level BPE with
the structure of OpenAI CLIP's ``tokenizer.json``, both built deterministically."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

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
