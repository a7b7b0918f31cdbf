"""``cow-export clip --arch ViT-B-32 --pretrained openai``: a public open_clip model as a
bundle. Needs ``torch`` and ``open_clip_torch`` (``pip install -e 'tools[torch]'``) and,
for a pretrained tag, the internet (open_clip downloads the weights); ``--pretrained``
may also name a local checkpoint file.

What differs between the public models is read from open_clip itself, not assumed:

- QuickGELU: on when the tag's pretrained config says so (all OpenAI weights), or when
  the architecture name ends in ``-quickgelu``;
- image size, patch size and grid, widths, heads: the model config;
- mean and std: the model's preprocessing config (OpenAI's for most tags);
- ``tokenizer.json``: built from the model's own BPE merges file
  (:mod:`cow_tools.clip_tokenizer`), so ids equal open_clip's tokenizer's.

Architectures outside the plain ViT + causal-text-transformer family (timm or Hugging
Face towers, attentional pooling, layer scale, ...) are refused with the field named.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cow_tools.clip_config import ClipConfig
from cow_tools.state_dict import StateDict

#: Model-config fields the exporter's graphs implement (others change the architecture).
SUPPORTED_VISION = {"image_size", "layers", "width", "patch_size", "head_width", "mlp_ratio", "patch_dropout"}
SUPPORTED_TEXT = {"context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio"}
SUPPORTED_TOP = {"embed_dim", "quick_gelu", "vision_cfg", "text_cfg"}

#: CoW's RoboTHOR thresholds by ViT patch size (B/32, B/16); other sizes use B/16's.
COW_THRESHOLDS = {
    32: {"patch": 0.875, "grad": 0.625, "dense": 0.5},
    16: {"patch": 0.75, "grad": 0.375, "dense": 0.5},
}


@dataclass
class PretrainedModel:
    """What the exporter needs from an open_clip model."""

    params: StateDict
    config: ClipConfig
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    merges_file: Path
    thresholds: dict[str, float]


def require_torch() -> None:
    """Raises RuntimeError when torch or open_clip is missing."""
    for module, package in (("torch", "torch"), ("open_clip", "open_clip_torch")):
        if importlib.util.find_spec(module) is None:
            raise RuntimeError(
                f"--arch/--pretrained needs {package}; install it with `pip install -e 'tools[torch]'`"
            )


def check_supported(model_cfg: dict[str, Any], arch: str) -> None:
    """Raises ValueError naming the first model-config field the graphs do not implement."""
    vision = model_cfg.get("vision_cfg", {})
    if not isinstance(vision.get("layers"), int) or not vision.get("patch_size"):
        raise ValueError(f"{arch}: the image tower is not a ViT (ResNet and timm towers are not supported)")
    for key in sorted(model_cfg):
        if key not in SUPPORTED_TOP:
            raise ValueError(f"{arch}: model-config field {key!r} is not supported by the exporter")
    for part, allowed in (("vision_cfg", SUPPORTED_VISION), ("text_cfg", SUPPORTED_TEXT)):
        for key, value in sorted(model_cfg.get(part, {}).items()):
            if key not in allowed and value not in (None, False):
                raise ValueError(f"{arch}: {part}.{key} = {value!r} is not supported by the exporter")


def load_pretrained(arch: str, pretrained: str | None) -> PretrainedModel:
    """Instantiates ``arch`` with open_clip (weights from the tag or file ``pretrained``;
    random weights when None) and returns its weights, config and preprocessing."""
    require_torch()
    import open_clip
    import torch
    from open_clip.tokenizer import SimpleTokenizer

    model_cfg = open_clip.get_model_config(arch)
    if model_cfg is None:
        raise ValueError(f"open_clip has no model config {arch!r} (see open_clip.list_models())")
    check_supported(model_cfg, arch)
    quick = bool(model_cfg.get("quick_gelu", False))
    if pretrained and not Path(pretrained).is_file():
        tag_cfg = open_clip.get_pretrained_cfg(arch, pretrained)
        if not tag_cfg:
            tags = open_clip.list_pretrained_tags_by_model(arch)
            raise ValueError(f"{arch} has no pretrained tag {pretrained!r} (known: {tags})")
        quick = quick or bool(tag_cfg.get("quick_gelu", False))
    model = open_clip.create_model(arch, pretrained=pretrained or None, force_quick_gelu=quick).eval()
    tokenizer = open_clip.get_tokenizer(arch)
    if not isinstance(tokenizer, SimpleTokenizer):
        raise ValueError(f"{arch} uses tokenizer {type(tokenizer).__name__}; only CLIP's BPE is supported")
    with torch.no_grad():
        params = {
            k: v.detach().float().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()
        }
    config = ClipConfig.from_dict({**model_cfg, "quick_gelu": quick})
    pp = model.visual.preprocess_cfg
    mean = (float(pp["mean"][0]), float(pp["mean"][1]), float(pp["mean"][2]))
    std = (float(pp["std"][0]), float(pp["std"][1]), float(pp["std"][2]))
    from open_clip.tokenizer import default_bpe

    thresholds = COW_THRESHOLDS.get(config.vision.patch_size, COW_THRESHOLDS[16])
    return PretrainedModel(params, config, mean, std, Path(default_bpe()), dict(thresholds))
