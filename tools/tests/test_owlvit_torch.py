"""PyTorch parity of ``cow-export owlvit`` (``make test-export``): a small random
``OwlViTForObjectDetection``, its exported graphs against transformers for every output
(query embedding, per-patch logits rebuilt from the split head, boxes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

from cow_tools.fixture_owl import pixel_rect, tiny_owl_config
from cow_tools.fixture_text import build_word_tokenizer

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from cow_tools.owlvit import export_owl_bundle, random_owl_model  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("patch", [16, 8], ids=["patch16", "patch8"])
def test_owlvit_graphs_match_transformers(tmp_path: Path, patch: int) -> None:
    tok = build_word_tokenizer(["a photo of a {}."])
    tok_path = tmp_path / "tokenizer.json"
    tok.save(str(tok_path))
    cfg = tiny_owl_config(tok.get_vocab_size())
    cfg["vision_config"]["patch_size"] = patch
    model = random_owl_model(cfg, seed=11)
    fast = patch == 8
    out = export_owl_bundle(model, tok_path, tmp_path / "bundle", "test-owl", fast=fast)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    grid = 64 // patch
    assert manifest["kind"] == "owlvit" and manifest["patch_grid"] == [grid, grid]
    assert manifest["thresholds"] == {"owl": 0.125}

    prompts = ["a photo of a mug.", "a photo of a spray bottle."]
    ids = np.zeros((2, 16), dtype=np.int64)
    for row, p in zip(ids, prompts, strict=True):
        enc = tok.encode(p).ids
        row[: len(enc)] = enc
    pixels = np.random.default_rng(3).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        ref = model(
            input_ids=torch.from_numpy(ids),
            attention_mask=torch.from_numpy((ids != 0).astype(np.int64)),
            pixel_values=torch.from_numpy(pixels),
        )
        want_q = model.owlvit.get_text_features(
            input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy((ids != 0).astype(np.int64))
        )
        want_q = getattr(want_q, "pooler_output", want_q).numpy()
    opts = ["CPUExecutionProvider"]
    (q,) = ort.InferenceSession(str(out / "text.onnx"), providers=opts).run(None, {"input_ids": ids})
    np.testing.assert_allclose(q, want_q, atol=1e-5)
    cls, shift, scale, boxes = ort.InferenceSession(str(out / "image.onnx"), providers=opts).run(
        None, {"pixel_values": pixels}
    )
    assert cls.shape == (1, grid * grid, 32) and boxes.shape == (1, grid * grid, 4)
    np.testing.assert_allclose(np.linalg.norm(cls, axis=-1), 1.0, atol=1e-4)
    qn = q / np.linalg.norm(q, axis=-1, keepdims=True)
    logits = (cls[0] @ qn.T + shift[0][:, None]) * scale[0][:, None]
    np.testing.assert_allclose(logits, ref.logits[0].numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(boxes, ref.pred_boxes.numpy(), atol=1e-5)
    assert ("int8_file" in manifest["graphs"]["image"]) is fast
    if fast:
        sess = ort.InferenceSession(str(out / "image_int8.onnx"), providers=opts)
        _, _, _, boxes8 = sess.run(None, {"pixel_values": pixels})
        assert 0.0 < np.abs(boxes8 - boxes).max() < 0.05


def test_pixel_rect_by_hand() -> None:
    # box centred at (0.5, 0.25) of a 64 input, 0.5 x 0.25 in size; frame 128 (scale 0.5):
    # x from (0.25 * 64) / 0.5 = 32 to 96, y from (0.125 * 64) / 0.5 = 16 to 48
    assert pixel_rect([0.5, 0.25, 0.5, 0.25], 64, 0.5, 128, 128) == [32, 16, 96, 48]
    # clamped to the frame
    assert pixel_rect([0.95, 0.05, 0.2, 0.2], 64, 0.5, 128, 128) == [108, 0, 128, 19]


def test_owlvit_command_exports_a_saved_model_folder(tmp_path: Path) -> None:
    """The ``--model`` path (``from_pretrained``) on a local folder holding a random model
    and a processor with the CLIP tokenizer built from open_clip's merges file."""
    open_clip = pytest.importorskip("open_clip")
    from open_clip.tokenizer import default_bpe
    from transformers import CLIPTokenizerFast, OwlViTImageProcessor, OwlViTProcessor

    from cow_tools.cli import main
    from cow_tools.clip_tokenizer import write_clip_tokenizer

    assert open_clip is not None
    tok_json = write_clip_tokenizer(Path(default_bpe()), tmp_path / "tokenizer.json")
    tokenizer = CLIPTokenizerFast(
        tokenizer_file=str(tok_json), bos_token="<|startoftext|>", eos_token="<|endoftext|>", pad_token="!"
    )
    square = {"height": 64, "width": 64}
    image_processor = OwlViTImageProcessor(size=square, crop_size=square)
    model_dir = tmp_path / "owl-model"
    OwlViTProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(str(model_dir))
    cfg = tiny_owl_config(49408)
    random_owl_model(cfg, seed=4).save_pretrained(str(model_dir))
    out = tmp_path / "bundle"
    assert main(["owlvit", "--model", str(model_dir), "--out", str(out), "--fast"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tokenizer"]["sot_id"] == 49406 and manifest["tokenizer"]["eot_id"] == 49407
    assert manifest["context_length"] == 16 and manifest["graphs"]["image"]["int8_file"] == "image_int8.onnx"
    np.testing.assert_allclose(manifest["image_mean"], image_processor.image_mean)
    bundle_tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    ids = bundle_tok.encode("a photo of a mug.", add_special_tokens=False).ids
    assert ids == [320, 1125, 539, 320, 9722, 269]
