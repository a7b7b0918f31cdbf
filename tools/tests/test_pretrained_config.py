"""Torch-free checks of ``--arch`` model configs: unsupported architectures are named."""

from __future__ import annotations

from typing import Any

import pytest

from cow_tools.pretrained import COW_THRESHOLDS, check_supported

VIT_B32: dict[str, Any] = {
    "embed_dim": 512,
    "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12},
}


def test_plain_vit_configs_pass() -> None:
    check_supported(VIT_B32, "ViT-B-32")
    check_supported({**VIT_B32, "quick_gelu": True}, "ViT-B-32-quickgelu")


def test_unsupported_fields_are_named() -> None:
    resnet = {**VIT_B32, "vision_cfg": {"image_size": 224, "layers": [3, 4, 6, 3], "width": 64}}
    with pytest.raises(ValueError, match="RN50: the image tower is not a ViT"):
        check_supported(resnet, "RN50")
    hf_text = {**VIT_B32, "text_cfg": {**VIT_B32["text_cfg"], "hf_model_name": "xlm-roberta-base"}}
    with pytest.raises(ValueError, match=r"text_cfg\.hf_model_name = 'xlm-roberta-base' is not supported"):
        check_supported(hf_text, "xlm")
    with pytest.raises(ValueError, match="model-config field 'custom_text'"):
        check_supported({**VIT_B32, "custom_text": True}, "x")
    # fields set to their neutral value are accepted
    check_supported({**VIT_B32, "vision_cfg": {**VIT_B32["vision_cfg"], "attentional_pool": False}}, "x")


def test_cow_thresholds_by_patch_size() -> None:
    assert COW_THRESHOLDS[32]["patch"] == 0.875 and COW_THRESHOLDS[32]["grad"] == 0.625
    assert COW_THRESHOLDS[16]["patch"] == 0.75 and COW_THRESHOLDS[16]["grad"] == 0.375
