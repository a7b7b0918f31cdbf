"""Bundle export: manifest contents agree with the graphs, tokenizer ids, CLI round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from cow_tools import reference as ref
from cow_tools.cli import main
from cow_tools.clip_config import ClipConfig, ConfigError
from cow_tools.fixture import (
    build_clip_style_bpe,
    build_word_tokenizer,
    clip_preprocess,
    write_bpe_fixture,
    write_tiny_clip,
)
from cow_tools.state_dict import load_state_dict, save_npz

TEMPLATES = ["a photo of a {}.", "a bad photo of the {}."]

_ELEM = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT64: "int64"}


def _dims(vi: onnx.ValueInfoProto) -> list[int | str]:
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in vi.type.tensor_type.shape.dim]


def test_manifest_describes_every_graph(tmp_path: Path) -> None:
    out = write_tiny_clip(tmp_path / "b", TEMPLATES)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "clip"
    for graph in manifest["graphs"].values():
        model = onnx.load(str(out / graph["file"]))
        for want, got in [(graph["inputs"], model.graph.input), (graph["outputs"], model.graph.output)]:
            assert [w["name"] for w in want] == [g.name for g in got]
            for w, g in zip(want, got, strict=True):
                assert w["dtype"] == _ELEM[g.type.tensor_type.elem_type]
                assert w["shape"] == _dims(g)


def test_tokenizer_ids_and_text_embedding(tmp_path: Path) -> None:
    out = write_tiny_clip(tmp_path / "b", TEMPLATES)
    manifest = json.loads((out / "manifest.json").read_text())
    tok = build_word_tokenizer(TEMPLATES)
    enc = tok.encode("a photo of a Mug.")
    sot, eot = manifest["tokenizer"]["sot_id"], manifest["tokenizer"]["eot_id"]
    assert enc.ids[0] == sot and enc.ids[-1] == eot
    assert eot == tok.get_vocab_size() - 1
    assert tok.token_to_id("mug") in enc.ids
    ids = np.zeros((1, manifest["context_length"]), dtype=np.int64)
    ids[0, : len(enc.ids)] = enc.ids
    sess = ort.InferenceSession(str(out / "text.onnx"), providers=["CPUExecutionProvider"])
    (emb,) = sess.run(None, {"input_ids": ids})
    assert emb.shape == (1, manifest["embed_dim"])
    assert abs(float(np.linalg.norm(emb)) - 1.0) < 1e-5


def test_fixture_is_deterministic(tmp_path: Path) -> None:
    a = write_tiny_clip(tmp_path / "a", TEMPLATES)
    b = write_tiny_clip(tmp_path / "b", TEMPLATES)
    for name in ["text.onnx", "image.onnx", "relevance.onnx", "tokenizer.json", "manifest.json"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_cli_exports_npz(tmp_path: Path) -> None:
    cfg_dict = {
        "embed_dim": 16,
        "quick_gelu": True,
        "vision_cfg": {"image_size": 32, "patch_size": 16, "width": 32, "layers": 1, "head_width": 16},
        "text_cfg": {"context_length": 8, "vocab_size": 0, "width": 32, "heads": 2, "layers": 1},
    }
    tok = build_word_tokenizer(TEMPLATES)
    cfg_dict["text_cfg"]["vocab_size"] = tok.get_vocab_size()  # type: ignore[index]
    cfg = ClipConfig.from_dict(cfg_dict)
    (tmp_path / "cfg.json").write_text(json.dumps(cfg_dict))
    tok.save(str(tmp_path / "tok.json"))
    save_npz(ref.random_params(cfg, seed=1), tmp_path / "w.npz")
    assert set(load_state_dict(tmp_path / "w.npz")) == set(ref.random_params(cfg, seed=1))
    argv = ["clip", "--state-dict", str(tmp_path / "w.npz"), "--config", str(tmp_path / "cfg.json")]
    argv += ["--tokenizer", str(tmp_path / "tok.json"), "--out", str(tmp_path / "bundle"), "--fp16"]
    assert main(argv) == 0
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text())
    assert manifest["patch_grid"] == [2, 2]
    assert manifest["architecture"]["quick_gelu"] is True
    assert manifest["graphs"]["image"]["fp16_file"] == "image_fp16.onnx"
    for graph in manifest["graphs"].values():
        sess = ort.InferenceSession(str(tmp_path / "bundle" / graph["fp16_file"]))
        assert [i.name for i in sess.get_inputs()] == [i["name"] for i in graph["inputs"]]


def test_cli_reports_missing_parameter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg_dict = {
        "embed_dim": 16,
        "vision_cfg": {"image_size": 32, "patch_size": 16, "width": 32, "layers": 1, "head_width": 16},
        "text_cfg": {"context_length": 8, "vocab_size": 200, "width": 32, "heads": 2, "layers": 1},
    }
    (tmp_path / "cfg.json").write_text(json.dumps(cfg_dict))
    params = ref.random_params(ClipConfig.from_dict(cfg_dict), seed=1)
    del params["visual.proj"]
    save_npz(params, tmp_path / "w.npz")
    build_word_tokenizer(TEMPLATES).save(str(tmp_path / "tok.json"))
    argv = ["clip", "--state-dict", str(tmp_path / "w.npz"), "--config", str(tmp_path / "cfg.json")]
    argv += ["--tokenizer", str(tmp_path / "tok.json"), "--out", str(tmp_path / "bundle")]
    assert main(argv) == 1
    assert "visual.proj" in capsys.readouterr().err


def test_config_rejects_bad_patch_size() -> None:
    with pytest.raises(ConfigError, match="not a multiple of patch size"):
        ClipConfig.from_dict(
            {
                "embed_dim": 8,
                "vision_cfg": {"image_size": 30, "patch_size": 16, "width": 64, "layers": 1},
                "text_cfg": {"width": 32, "heads": 2, "layers": 1},
            }
        )


def test_preprocess_crop_keeps_centre() -> None:
    from PIL import Image

    img = Image.new("RGB", (40, 20), (255, 0, 0))
    out = clip_preprocess(img, 10, "crop")
    assert out.shape == (3, 10, 10)
    np.testing.assert_allclose(out[0], (1.0 - 0.48145466) / 0.26862954, rtol=1e-5)


def test_vision_weights_are_stored_once(tmp_path: Path) -> None:
    out = write_tiny_clip(tmp_path / "b", TEMPLATES)

    def external(file: str) -> dict[str, tuple[str, str]]:
        model = onnx.load(str(out / file), load_external_data=False)
        return {
            i.name: (
                {e.key: e.value for e in i.external_data}["offset"],
                {e.key: e.value for e in i.external_data}["length"],
            )
            for i in model.graph.initializer
            if i.data_location == onnx.TensorProto.EXTERNAL
        }

    image, relevance = set(external("image.onnx").values()), set(external("relevance.onnx").values())
    assert image and image <= relevance
    stored = sum(int(length) for _, length in image | relevance | set(external("text.onnx").values()))
    assert (out / "weights.bin").stat().st_size < stored + 64 * 100
    logical = sum(int(length) for f in ["image.onnx", "relevance.onnx"] for _, length in external(f).values())
    assert (out / "weights.bin").stat().st_size < logical


def test_bpe_fixture_is_deterministic_and_splits_like_clip(tmp_path: Path) -> None:
    a = write_bpe_fixture(tmp_path / "a")
    b = write_bpe_fixture(tmp_path / "b")
    for name in ["clip_bpe.json", "clip_bpe_expected.json"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    tok = build_clip_style_bpe()
    tokens = tok.encode("Mug's!", add_special_tokens=False).tokens
    assert "".join(tokens).replace("</w>", "|") == "mug|'s|!|"


def test_logit_scale_comes_from_the_weights() -> None:
    from cow_tools.bundle import logit_scale_of

    assert logit_scale_of({}) == 100.0
    assert abs(logit_scale_of({"logit_scale": np.array(np.log(50.0))}) - 50.0) < 1e-4
    assert logit_scale_of({"logit_scale": np.array(9.0)}) == 100.0
