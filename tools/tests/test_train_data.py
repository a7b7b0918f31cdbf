"""Torch-free parts of the training code: the tokenizer and the per-patch labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from cow_tools.train.data import IGNORE, patch_labels
from cow_tools.train.vocab import EOT, SOT, build_tokenizer, encode, fill, prompt, save


def test_tokenizer_layout_and_ids(tmp_path: Path) -> None:
    tok = build_tokenizer(["a red mug", "a photo of a {}.", "a striped garbage can"])
    v = tok.get_vocab(with_added_tokens=True)
    assert v["[PAD]"] == 0
    assert v[EOT] == max(v.values())
    assert v[SOT] == v[EOT] - 1
    ids = encode(tok, "A Red MUG", 8)
    assert ids == [v[SOT], v["a"], v["red"], v["mug"], v[EOT], 0, 0, 0]
    assert encode(tok, "a zebra", 6)[2] == v["[UNK]"]
    # truncation keeps EOT last
    assert encode(tok, "a red mug a red mug", 5) == [v[SOT], v["a"], v["red"], v["mug"], v[EOT]]
    save(tok, tmp_path / "tokenizer.json")
    again = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    assert again.encode("a photo of a mug.", add_special_tokens=False).ids == [
        v["a"],
        v["photo"],
        v["of"],
        v["a"],
        v["mug"],
        v["."],
    ]
    assert json.loads((tmp_path / "tokenizer.json").read_text())["model"]["type"] == "WordLevel"


def test_patch_labels_prefer_objects_above_the_fraction() -> None:
    # 4x4 mask, 2x2 grid of 2x2 patches; classes: 0 nothing, 1 floor, 2 wall, 9 mug (object).
    m = np.array(
        [
            [2, 2, 1, 1],
            [2, 9, 1, 1],
            [0, 0, 9, 9],
            [0, 1, 9, 1],
        ]
    )
    is_object = np.zeros(10, dtype=bool)
    is_object[9] = True
    # patch 0: one mug pixel of 4 (25% >= 20%) -> mug; patch 1: floor; patch 2: nothing
    # (3 of 4) -> ignored; patch 3: 3 mug pixels -> mug.
    assert patch_labels(m, 2, is_object).tolist() == [9, 1, IGNORE, 9]
    # with a 30% minimum the lone mug pixel loses to the wall
    assert patch_labels(m, 2, is_object, 0.3).tolist() == [2, 1, IGNORE, 9]


def test_patch_labels_reject_a_mask_that_does_not_split() -> None:
    with pytest.raises(ValueError, match="does not split"):
        patch_labels(np.zeros((5, 5), dtype=np.uint8), 2, np.zeros(3, dtype=bool))


def test_prompts_take_the_goals_article_as_the_agent_does() -> None:
    # the same cases as the Rust `templates::the_article_before_the_goal_follows_the_goal`
    assert prompt("alarm clock") == "a photo of an alarm clock."
    assert prompt("mug") == "a photo of a mug."
    assert prompt("TV") == "a photo of a TV."
    assert fill("a {} in a video game.", "apple") == "an apple in a video game."
    assert fill("a bad photo of a {}.", "Orange") == "a bad photo of an Orange."
    assert fill("a photo of the {}.", "apple") == "a photo of the apple."
    assert fill("a toy {}.", "apple") == "a toy apple."
    assert fill("itap of a {}.", "apple") == "itap of an apple."
    assert fill("pizza {}", "oven") == "pizza oven"


def test_roc_auc_by_hand() -> None:
    from cow_tools.train.metrics import roc_auc

    # pairs (2 positives x 2 negatives): 3 wins, 1 tie -> (3 + 0.5) / 4
    assert roc_auc(np.array([0.9, 0.5]), np.array([0.5, 0.1])) == 0.875
    assert roc_auc(np.array([0.1]), np.array([0.2, 0.3])) == 0.0
