"""``cow-export owlvit``: an OWL-ViT detector (Hugging Face ``transformers``) as a bundle
the agent's ``owl`` localizer loads. Needs torch and transformers; the graphs are
traced with ``torch.onnx.export`` (legacy exporter, opset 17).

- ``text.onnx``: ``input_ids [B, 16] int64`` -> ``text_embeddings [B, D]`` (the query
  embedding: text tower at the EOT token, projected). Run once per goal.
- ``image.onnx``: ``pixel_values [B, 3, S, S]`` -> per patch ``class_embeddings
  [B, N, D]`` (unit norm, as the class head normalises them), ``logit_shift [B, N]``,
  ``logit_scale [B, N]`` (after ``elu + 1``) and ``boxes [B, N, 4]`` (centre x, centre y,
  width, height, normalised to the input square).

The detector's logit for a unit query ``q`` is ``(class_embeddings . q + logit_shift) *
logit_scale`` and its score ``sigmoid(logit)``, exactly as OWL-ViT's class head; the
split lets the agent embed the goal once and run only the image graph per frame.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cow_tools.bundle import FORMAT_VERSION, OPENAI_MEAN, OPENAI_STD

#: CoW's OWL-ViT threshold in RoboTHOR (0.2 in Habitat).
COW_OWL_THRESHOLD = 0.125
TEXT_FILE, IMAGE_FILE, INT8_FILE = "text.onnx", "image.onnx", "image_int8.onnx"
IMAGE_OUTPUTS = ("class_embeddings", "logit_shift", "logit_scale", "boxes")


@dataclass(frozen=True)
class OwlShapes:
    """Sizes the manifest declares."""

    image_size: int
    patch_size: int
    embed_dim: int
    context_length: int

    @property
    def grid(self) -> int:
        """Patches per side."""
        return self.image_size // self.patch_size


def owl_manifest(
    shapes: OwlShapes,
    name: str,
    sot_id: int,
    eot_id: int,
    pad_id: int,
    mean: tuple[float, float, float] = OPENAI_MEAN,
    std: tuple[float, float, float] = OPENAI_STD,
    architecture: dict[str, Any] | None = None,
    int8: bool = False,
) -> dict[str, Any]:
    """The manifest dictionary of an OWL-ViT bundle (``int8``: it has ``image_int8.onnx``)."""
    s, d, n, c = shapes.image_size, shapes.embed_dim, shapes.grid**2, shapes.context_length

    def io(name: str, dtype: str, shape: list[int | str]) -> dict[str, Any]:
        return {"name": name, "dtype": dtype, "shape": shape}

    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "kind": "owlvit",
        "name": name,
        "image_size": s,
        "patch_size": shapes.patch_size,
        "patch_grid": [shapes.grid, shapes.grid],
        "image_mean": list(mean),
        "image_std": list(std),
        "embed_dim": d,
        "context_length": c,
        "logit_scale": 1.0,
        "tokenizer": {"file": "tokenizer.json", "sot_id": sot_id, "eot_id": eot_id, "pad_id": pad_id},
        "templates": "single",
        "graphs": {
            "text": {
                "file": TEXT_FILE,
                "inputs": [io("input_ids", "int64", ["batch", c])],
                "outputs": [io("text_embeddings", "float32", ["batch", d])],
            },
            "image": {
                "file": IMAGE_FILE,
                "inputs": [io("pixel_values", "float32", ["batch", 3, s, s])],
                "outputs": [
                    io("class_embeddings", "float32", ["batch", n, d]),
                    io("logit_shift", "float32", ["batch", n]),
                    io("logit_scale", "float32", ["batch", n]),
                    io("boxes", "float32", ["batch", n, 4]),
                ],
            },
        },
        "thresholds": {"owl": COW_OWL_THRESHOLD},
        "architecture": architecture or {},
        "external_data": [],
    }
    if int8:
        manifest["graphs"]["image"]["int8_file"] = INT8_FILE
    return manifest


def quantize_owl_image(out_dir: Path) -> Path:
    """Writes ``image_int8.onnx``: dynamic int8 quantisation of the image graph's MatMuls."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(out_dir / IMAGE_FILE),
        str(out_dir / INT8_FILE),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
    )
    return out_dir / INT8_FILE


def _modules(model: Any) -> tuple[Any, Any]:
    """The two traced wrappers around a ``OwlViTForObjectDetection``."""
    import torch

    class ImageGraph(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, det: Any) -> None:
            super().__init__()
            self.det = det

        def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
            feature_map, _ = self.det.image_embedder(pixel_values=pixel_values)
            b, h, w, d = feature_map.shape
            feats = feature_map.reshape(b, h * w, d)
            head = self.det.class_head
            cls = head.dense0(feats)
            cls = cls / (torch.linalg.norm(cls, dim=-1, keepdim=True) + 1e-6)
            shift = head.logit_shift(feats).squeeze(-1)
            scale = (head.elu(head.logit_scale(feats)) + 1).squeeze(-1)
            boxes = self.det.box_predictor(feats, feature_map)
            return cls, shift, scale, boxes

    class TextGraph(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, det: Any) -> None:
            super().__init__()
            self.det = det

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            out = self.det.owlvit.get_text_features(input_ids=input_ids)
            return out.pooler_output if hasattr(out, "pooler_output") else out

    return ImageGraph(model).eval(), TextGraph(model).eval()


def export_owl_graphs(model: Any, out_dir: Path, context_length: int) -> OwlShapes:
    """Traces ``text.onnx`` and ``image.onnx`` of the detector ``model`` into ``out_dir``."""
    import torch

    cfg = model.config
    shapes = OwlShapes(
        image_size=int(cfg.vision_config.image_size),
        patch_size=int(cfg.vision_config.patch_size),
        embed_dim=int(cfg.projection_dim),
        context_length=context_length,
    )
    if cfg.projection_dim != cfg.text_config.hidden_size:
        raise ValueError(
            f"projection_dim {cfg.projection_dim} differs from the text width {cfg.text_config.hidden_size}: "
            "OWL-ViT's class head needs them equal"
        )
    image, text = _modules(model)
    pixels = torch.zeros(1, 3, shapes.image_size, shapes.image_size)
    ids = torch.zeros(1, context_length, dtype=torch.int64)
    ids[0, 0], ids[0, 1] = int(cfg.text_config.vocab_size) - 2, int(cfg.text_config.vocab_size) - 1
    out_dir.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            image,
            (pixels,),
            str(out_dir / IMAGE_FILE),
            input_names=["pixel_values"],
            output_names=list(IMAGE_OUTPUTS),
            dynamic_axes={"pixel_values": {0: "batch"}, **{o: {0: "batch"} for o in IMAGE_OUTPUTS}},
            opset_version=17,
            dynamo=False,
        )
        torch.onnx.export(
            text,
            (ids,),
            str(out_dir / TEXT_FILE),
            input_names=["input_ids"],
            output_names=["text_embeddings"],
            dynamic_axes={"input_ids": {0: "batch"}, "text_embeddings": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    return shapes


def _token_ids(tokenizer_json: Path) -> tuple[int, int]:
    from cow_tools.bundle import _token_id, max_token_id

    tok = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    sot, eot = _token_id(tok, "<|startoftext|>"), _token_id(tok, "<|endoftext|>")
    if eot != max_token_id(tok):
        raise ValueError(f"EOT id {eot} is not the largest token id: the text graph finds EOT with argmax")
    return sot, eot


def export_owl_bundle(
    model: Any,
    tokenizer_json: Path,
    out_dir: Path,
    name: str,
    context_length: int = 16,
    pad_id: int = 0,
    mean: tuple[float, float, float] = OPENAI_MEAN,
    std: tuple[float, float, float] = OPENAI_STD,
    fast: bool = False,
) -> Path:
    """Writes an OWL-ViT bundle (graphs, tokenizer, manifest) for the detector ``model``;
    ``fast`` adds the int8 image graph."""
    import shutil

    sot, eot = _token_ids(tokenizer_json)
    if eot >= model.config.text_config.vocab_size:
        raise ValueError(
            f"tokenizer id {eot} is outside the vocabulary of {model.config.text_config.vocab_size}"
        )
    shapes = export_owl_graphs(model.eval(), out_dir, context_length)
    if fast:
        quantize_owl_image(out_dir)
    if tokenizer_json.resolve() != (out_dir / "tokenizer.json").resolve():
        shutil.copyfile(tokenizer_json, out_dir / "tokenizer.json")
    arch = {
        "projection_dim": model.config.projection_dim,
        "vision_cfg": {
            k: getattr(model.config.vision_config, k)
            for k in ("image_size", "patch_size", "hidden_size", "num_hidden_layers", "num_attention_heads")
        },
        "text_cfg": {
            k: getattr(model.config.text_config, k)
            for k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads")
        },
    }
    manifest = owl_manifest(shapes, name, sot, eot, pad_id, mean, std, arch, int8=fast)
    with open(out_dir / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return out_dir


def export_pretrained_owl(
    model_name: str, out_dir: Path, name: str | None = None, fast: bool = False
) -> Path:
    """``cow-export owlvit --model google/owlvit-base-patch32``: downloads (or reads from a
    local folder) the detector and its processor and writes the bundle."""
    try:
        from transformers import OwlViTForObjectDetection, OwlViTProcessor
    except ImportError as e:
        raise RuntimeError(
            "owlvit export needs torch and transformers (`pip install torch transformers`)"
        ) from e
    model = OwlViTForObjectDetection.from_pretrained(model_name, attn_implementation="eager").eval()
    processor = OwlViTProcessor.from_pretrained(model_name)
    tokenizer = processor.tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ValueError(f"{model_name}: the tokenizer has no fast (tokenizer.json) form")
    ip = processor.image_processor
    mean = (float(ip.image_mean[0]), float(ip.image_mean[1]), float(ip.image_mean[2]))
    std = (float(ip.image_std[0]), float(ip.image_std[1]), float(ip.image_std[2]))
    context = int(getattr(model.config.text_config, "max_position_embeddings", 16))
    with tempfile.TemporaryDirectory() as tmp:
        tok_path = Path(tmp) / "tokenizer.json"
        backend.save(str(tok_path))
        return export_owl_bundle(
            model,
            tok_path,
            out_dir,
            name or model_name.split("/")[-1],
            context_length=context,
            pad_id=int(tokenizer.pad_token_id or 0),
            mean=mean,
            std=std,
            fast=fast,
        )


def random_owl_model(config: dict[str, Any], seed: int = 0) -> Any:
    """A randomly initialised ``OwlViTForObjectDetection`` of ``config`` (an ``OwlViTConfig``
    dictionary with ``text_config`` and ``vision_config``), perturbed so outputs vary. The
    detection heads (which transformers initialises with unit variance) are scaled to
    ``0.5 / sqrt(fan_in)`` so scores and boxes stay away from saturation, as trained
    heads do."""
    import torch
    from transformers import OwlViTConfig, OwlViTForObjectDetection

    torch.manual_seed(seed)
    cfg = OwlViTConfig(**config)
    cfg._attn_implementation = "eager"
    model = OwlViTForObjectDetection(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.02 * torch.randn_like(p))
        for head in (model.class_head, model.box_head):
            for layer in head.modules():
                if isinstance(layer, torch.nn.Linear):
                    layer.weight.mul_(0.5 / layer.weight.shape[1] ** 0.5)
                    layer.bias.zero_()
    return model
