"""Architecture description of an OpenCLIP ViT dual encoder.

The JSON format is OpenCLIP's model config (``open_clip/model_configs/*.json``)::

    {"embed_dim": 512, "quick_gelu": true,
     "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
     "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512,
                  "heads": 8, "layers": 12}}

Vision heads follow OpenCLIP: ``width // head_width`` with ``head_width`` 64 by default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A model config is missing a field or has inconsistent values."""


@dataclass(frozen=True)
class VisionConfig:
    """The image tower."""

    image_size: int
    patch_size: int
    width: int
    layers: int
    heads: int
    mlp_ratio: float = 4.0

    @property
    def grid(self) -> int:
        """Patches per side."""
        return self.image_size // self.patch_size

    @property
    def tokens(self) -> int:
        """Sequence length: class token plus patches."""
        return self.grid * self.grid + 1


@dataclass(frozen=True)
class TextConfig:
    """The text tower."""

    context_length: int
    vocab_size: int
    width: int
    layers: int
    heads: int
    mlp_ratio: float = 4.0


@dataclass(frozen=True)
class ClipConfig:
    """A whole dual encoder."""

    embed_dim: int
    vision: VisionConfig
    text: TextConfig
    quick_gelu: bool = False

    @staticmethod
    def from_dict(d: dict[str, Any]) -> ClipConfig:
        """Parses OpenCLIP's model-config dictionary."""
        try:
            v = d["vision_cfg"]
            t = d["text_cfg"]
            if isinstance(v.get("image_size"), list):
                sizes = v["image_size"]
                if len(sizes) != 2 or sizes[0] != sizes[1]:
                    raise ConfigError(f"only square images are supported, got {sizes}")
                image_size = int(sizes[0])
            else:
                image_size = int(v["image_size"])
            head_width = int(v.get("head_width", 64))
            vwidth = int(v["width"])
            if vwidth % head_width != 0:
                raise ConfigError(f"vision width {vwidth} is not a multiple of head_width {head_width}")
            vision = VisionConfig(
                image_size=image_size,
                patch_size=int(v["patch_size"]),
                width=vwidth,
                layers=int(v["layers"]),
                heads=vwidth // head_width,
                mlp_ratio=float(v.get("mlp_ratio", 4.0)),
            )
            text = TextConfig(
                context_length=int(t.get("context_length", 77)),
                vocab_size=int(t.get("vocab_size", 49408)),
                width=int(t["width"]),
                layers=int(t["layers"]),
                heads=int(t["heads"]),
                mlp_ratio=float(t.get("mlp_ratio", 4.0)),
            )
            cfg = ClipConfig(
                embed_dim=int(d["embed_dim"]),
                vision=vision,
                text=text,
                quick_gelu=bool(d.get("quick_gelu", False)),
            )
        except KeyError as e:
            raise ConfigError(f"model config lacks field {e}") from e
        cfg.check()
        return cfg

    @staticmethod
    def load(path: Path) -> ClipConfig:
        """Reads an OpenCLIP model-config JSON file."""
        with open(path, encoding="utf-8") as f:
            return ClipConfig.from_dict(json.load(f))

    def to_dict(self) -> dict[str, Any]:
        """The OpenCLIP model-config dictionary of this config."""
        return {
            "embed_dim": self.embed_dim,
            "quick_gelu": self.quick_gelu,
            "vision_cfg": {
                "image_size": self.vision.image_size,
                "patch_size": self.vision.patch_size,
                "width": self.vision.width,
                "layers": self.vision.layers,
                "head_width": self.vision.width // self.vision.heads,
                "mlp_ratio": self.vision.mlp_ratio,
            },
            "text_cfg": {
                "context_length": self.text.context_length,
                "vocab_size": self.text.vocab_size,
                "width": self.text.width,
                "layers": self.text.layers,
                "heads": self.text.heads,
                "mlp_ratio": self.text.mlp_ratio,
            },
        }

    def check(self) -> None:
        """Raises ConfigError when sizes do not fit together."""
        v, t = self.vision, self.text
        if v.image_size % v.patch_size != 0:
            raise ConfigError(f"image size {v.image_size} is not a multiple of patch size {v.patch_size}")
        if t.width % t.heads != 0:
            raise ConfigError(f"text width {t.width} is not a multiple of heads {t.heads}")
        if v.layers < 1 or t.layers < 1:
            raise ConfigError("both towers need at least one layer")
