"""PyTorch parity of ``cow-export clip --arch/--pretrained`` (``make test-export``): small
random open_clip architectures registered as custom configs, their weights saved as a
checkpoint file and exported through the command line; every output against open_clip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

from cow_tools.cli import main

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")

pytestmark = pytest.mark.torch

SMALL = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "patch_size": 16, "width": 64, "layers": 2, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 48, "heads": 4, "layers": 2},
}


def _register(tmp_path: Path, quick: bool) -> str:
    arch = "CowTest-ViT-quickgelu" if quick else "CowTest-ViT"
    cfg_dir = tmp_path / "configs"
    cfg_dir.mkdir(exist_ok=True)
    (cfg_dir / f"{arch}.json").write_text(json.dumps({**SMALL, "quick_gelu": quick}), encoding="utf-8")
    open_clip.add_model_config(cfg_dir)
    return arch


def _random_checkpoint(arch: str, path: Path, seed: int) -> Any:
    torch.manual_seed(seed)
    model = open_clip.create_model(arch).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    torch.save(model.state_dict(), path)
    return model


@pytest.mark.parametrize("quick", [False, True], ids=["gelu", "quickgelu"])
def test_pretrained_export_matches_open_clip(tmp_path: Path, quick: bool) -> None:
    arch = _register(tmp_path, quick)
    ckpt = tmp_path / "weights.pt"
    model = _random_checkpoint(arch, ckpt, seed=3)
    out = tmp_path / "bundle"
    assert main(["clip", "--arch", arch, "--pretrained", str(ckpt), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["architecture"]["quick_gelu"] is quick
    assert manifest["patch_grid"] == [4, 4]
    np.testing.assert_allclose(manifest["image_mean"], model.visual.preprocess_cfg["mean"])
    assert manifest["tokenizer"]["eot_id"] == 49407 and manifest["tokenizer"]["sot_id"] == 49406

    prompts = ["a photo of a mug.", "a photo of a spray bottle.", "Whiteboard saying CVPR"]
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    want_ids = open_clip.get_tokenizer(arch)(prompts).numpy()
    ids = np.zeros_like(want_ids)
    for row, text in zip(ids, prompts, strict=True):
        enc = [manifest["tokenizer"]["sot_id"], *tok.encode(text, add_special_tokens=False).ids]
        enc.append(manifest["tokenizer"]["eot_id"])
        row[: len(enc)] = enc
    np.testing.assert_array_equal(ids, want_ids)

    pixels = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        want_img = model.encode_image(torch.from_numpy(pixels), normalize=True).numpy()
        want_txt = model.encode_text(torch.from_numpy(want_ids), normalize=True).numpy()
    img = ort.InferenceSession(str(out / "image.onnx"), providers=["CPUExecutionProvider"])
    txt = ort.InferenceSession(str(out / "text.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(
        img.run(["image_embeddings"], {"pixel_values": pixels})[0], want_img, atol=1e-4
    )
    np.testing.assert_allclose(txt.run(None, {"input_ids": ids})[0], want_txt, atol=1e-4)


def test_pretrained_export_with_alpha_patches_the_visual_tower(tmp_path: Path) -> None:
    arch = _register(tmp_path, quick=False)
    zs_path, ft_path = tmp_path / "zs.pt", tmp_path / "ft.pt"
    _random_checkpoint(arch, zs_path, seed=1)
    ft = _random_checkpoint(arch, ft_path, seed=2)
    out = tmp_path / "bundle"
    args = ["clip", "--arch", arch, "--pretrained", str(zs_path), "--out", str(out)]
    assert main([*args, "--finetuned", str(ft_path), "--alpha", "1", "--patch-only", "visual."]) == 0
    pixels = np.random.default_rng(1).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        want = ft.encode_image(torch.from_numpy(pixels), normalize=True).numpy()
    img = ort.InferenceSession(str(out / "image.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(img.run(["image_embeddings"], {"pixel_values": pixels})[0], want, atol=1e-4)


def test_unknown_tag_and_unsupported_architecture_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["clip", "--arch", "ViT-B-32", "--pretrained", "no_such_tag", "--out", str(tmp_path / "b")]) == 1
    )
    assert "has no pretrained tag 'no_such_tag'" in capsys.readouterr().err
    assert main(["clip", "--arch", "RN50", "--out", str(tmp_path / "b")]) == 1
    assert "the image tower is not a ViT" in capsys.readouterr().err
