"""Deterministic test fixtures for the Rust side (``agent/tests/fixtures/``):

- ``tiny_clip/``: a random-weights CLIP bundle (image 48, patch 8, width 32, 2 layers)
  with a WordLevel ``tokenizer.json`` over the category names, the prompt templates
  and a few background words;
- ``preprocess/``: a small PNG and its OpenAI-CLIP preprocessing computed with PIL and
  NumPy (resize shortest side bicubic, centre crop, normalise; and the pad variant).

Regenerate with ``cow-export fixtures --repo .`` from the repository root.
"""

from __future__ import annotations

from pathlib import Path

from cow_tools.fixture_bundles import red_params, write_red_clip, write_tiny_clip
from cow_tools.fixture_preprocess import clip_preprocess, write_preprocess_fixture
from cow_tools.fixture_text import (
    build_clip_style_bpe,
    build_word_tokenizer,
    read_templates,
    write_bpe_fixture,
)

__all__ = [
    "build_clip_style_bpe",
    "build_word_tokenizer",
    "clip_preprocess",
    "read_templates",
    "red_params",
    "write_all",
    "write_bpe_fixture",
    "write_preprocess_fixture",
    "write_red_clip",
    "write_tiny_clip",
]


def write_all(repo: Path) -> None:
    """Regenerates every fixture under ``repo/agent/tests/fixtures``."""
    templates = read_templates(repo / "agent/src/perception/imagenet_templates.txt")
    fixtures = repo / "agent/tests/fixtures"
    write_tiny_clip(fixtures / "tiny_clip", templates)
    write_red_clip(fixtures / "red_clip", templates)
    write_preprocess_fixture(fixtures / "preprocess")
    write_bpe_fixture(fixtures / "tokenizers")
