"""Fine-tuning a released bundle: its state dict is recovered from the graphs exactly, and a
larger vocabulary takes the token-embedding rows over word by word (torch-free)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cow_tools.bundle import export_bundle
from cow_tools.clip_config import ClipConfig
from cow_tools.reference import random_params
from cow_tools.train.from_bundle import load_bundle_state, parameter_shapes
from cow_tools.train.vocab import build_tokenizer, carry_embedding, save


def small_config() -> ClipConfig:
    """Image 64, patch 16 (4 x 4 grid), 2 vision and 2 text layers, vocabulary 500."""
    return ClipConfig.from_dict(
        {
            "embed_dim": 32,
            "quick_gelu": False,
            "vision_cfg": {"image_size": 64, "patch_size": 16, "width": 64, "layers": 2, "head_width": 16},
            "text_cfg": {"context_length": 16, "vocab_size": 500, "width": 48, "heads": 4, "layers": 2},
        }
    )


def test_the_state_dict_comes_back_from_an_exported_bundle(tmp_path: Path) -> None:
    cfg = small_config()
    params = random_params(cfg, seed=3)
    params["logit_scale"] = np.array(math.log(26.0), dtype=np.float32)
    save(build_tokenizer(["a photo of a red mug."]), tmp_path / "tokenizer.json")
    bundle = export_bundle(params, cfg, tmp_path / "tokenizer.json", tmp_path / "b", name="b", fast=True)
    got = load_bundle_state(bundle)
    assert set(got) == set(parameter_shapes(cfg)) | {"logit_scale"}
    for name, value in got.items():
        np.testing.assert_array_equal(value, params[name], err_msg=name)


def test_a_bundle_whose_graph_lacks_a_parameter_is_refused(tmp_path: Path) -> None:
    cfg = small_config()
    params = random_params(cfg, seed=3)
    save(build_tokenizer(["a mug"]), tmp_path / "tokenizer.json")
    bundle = export_bundle(params, cfg, tmp_path / "tokenizer.json", tmp_path / "b", name="b")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["graphs"]["text"]["file"] = "image.onnx"  # the text graph's initializers are gone
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="does not match the traced graph"):
        load_bundle_state(bundle)


def test_new_words_keep_the_old_rows_and_start_from_their_mean() -> None:
    old = build_tokenizer(["a photo of a mug."])
    new = build_tokenizer(["a photo of a mug in a kitchen."])
    ov, nv = old.get_vocab(with_added_tokens=True), new.get_vocab(with_added_tokens=True)
    rows = np.random.default_rng(0).standard_normal((max(ov.values()) + 1, 8)).astype(np.float32)
    out, fresh = carry_embedding(rows, old, new)
    assert out.shape == (max(nv.values()) + 1, 8)
    assert fresh == ["kitchen"]  # "in" is one of the base words both know
    for token, i in ov.items():
        np.testing.assert_array_equal(out[nv[token]], rows[i], err_msg=token)
    words = [i for t, i in ov.items() if not t.startswith(("[", "<|"))]
    np.testing.assert_allclose(out[nv["kitchen"]], rows[words].mean(axis=0), rtol=1e-6)
    assert nv["kitchen"] != ov.get("kitchen")  # ids did shift: a plain copy would be wrong
    with pytest.raises(ValueError, match="embedding rows"):
        carry_embedding(rows[:3], old, new)
