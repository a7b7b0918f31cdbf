"""The embedded-world model: a small OpenCLIP ViT dual encoder (parameter names as OpenCLIP,
so the exporter takes its state dict as is) and its MaskCLIP patch path, computed exactly as
the exported ``image.onnx`` computes ``patch_embeddings``: the tokens entering the last block
plus that block's out-projected values (no attention mixing), then ``ln_post`` and ``proj``.
Needs torch and open_clip.
"""

from __future__ import annotations

from typing import Any

import open_clip
import torch
import torch.nn.functional as F  # noqa: N812 (PyTorch convention)

#: Default vision input side and patch side (8 x 8 patch grid); widths in :func:`model_config`.
IMAGE_SIZE = 112
PATCH_SIZE = 14
CONTEXT_LENGTH = 16


def model_config(
    vocab_size: int,
    image_size: int = IMAGE_SIZE,
    patch_size: int = PATCH_SIZE,
    width: int = 96,
    layers: int = 4,
) -> dict[str, Any]:
    """OpenCLIP model-config dictionary of the embedded model (heads of 32 channels)."""
    if image_size % patch_size:
        raise ValueError(f"image size {image_size} is not a multiple of the patch size {patch_size}")
    return {
        "embed_dim": 96,
        "quick_gelu": False,
        "vision_cfg": {
            "image_size": image_size,
            "patch_size": patch_size,
            "width": width,
            "layers": layers,
            "head_width": 32,
        },
        "text_cfg": {
            "context_length": CONTEXT_LENGTH,
            "vocab_size": vocab_size,
            "width": 64,
            "heads": 2,
            "layers": 2,
        },
    }


def build(cfg: dict[str, Any]) -> Any:
    """An OpenCLIP ``CLIP`` module for ``cfg``."""
    return open_clip.model.CLIP(
        embed_dim=cfg["embed_dim"],
        vision_cfg=cfg["vision_cfg"],
        text_cfg=cfg["text_cfg"],
        quick_gelu=cfg["quick_gelu"],
    )


def encode_image_and_patches(model: Any, pixels: torch.Tensor, dense: bool) -> tuple[torch.Tensor, Any]:
    """Unit image embeddings ``[B, D]`` and, when ``dense``, unit MaskCLIP patch embeddings
    ``[B, grid * grid, D]`` (else None) from one pass through the vision tower."""
    visual = model.visual
    x = visual._embeds(pixels)
    blocks = visual.transformer.resblocks
    for blk in blocks[:-1]:
        x = blk(x)
    last = blocks[-1]
    out = last(x)
    image = F.normalize(visual.ln_post(out[:, 0]) @ visual.proj, dim=-1)
    if not dense:
        return image, None
    width = x.shape[-1]
    h = last.ln_1(x)
    v = F.linear(h, last.attn.in_proj_weight[2 * width :], last.attn.in_proj_bias[2 * width :])
    z = x + last.attn.out_proj(v)
    patches = F.normalize(visual.ln_post(z[:, 1:]) @ visual.proj, dim=-1)
    return image, patches


def encode_text(model: Any, ids: torch.Tensor) -> torch.Tensor:
    """Unit text embeddings ``[B, D]``."""
    return F.normalize(model.encode_text(ids), dim=-1)


def adapt_state(state: dict[str, torch.Tensor], model: Any) -> dict[str, torch.Tensor]:
    """``state`` (weights of a run with another patch grid) fitted to ``model``: the
    positional embedding of the patch grid is resized bicubically and the patch-embedding
    kernel resampled to the new patch side; everything else must match as it is."""
    out = dict(state)
    target = model.state_dict()
    key = "visual.positional_embedding"
    if key in out and out[key].shape != target[key].shape:
        old, new = out[key], target[key]
        g0, g1 = round((old.shape[0] - 1) ** 0.5), round((new.shape[0] - 1) ** 0.5)
        grid = old[1:].reshape(1, g0, g0, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(g1, g1), mode="bicubic", align_corners=False)
        out[key] = torch.cat([old[:1], grid.permute(0, 2, 3, 1).reshape(g1 * g1, -1)])
    key = "visual.conv1.weight"
    if key in out and out[key].shape != target[key].shape:
        old, new = out[key], target[key]
        k = F.interpolate(old, size=new.shape[-2:], mode="bicubic", align_corners=False)
        out[key] = k * (old.shape[-1] * old.shape[-2]) / (new.shape[-1] * new.shape[-2])
    return out
