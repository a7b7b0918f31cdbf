"""Shared fixtures: a small random OpenCLIP configuration and its weights."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from cow_tools.clip_config import ClipConfig
from cow_tools.reference import random_params


def small_config(quick_gelu: bool = False) -> ClipConfig:
    """Image 64, patch 16, width 64, 2 layers, 4 heads; text context 16, vocab 500."""
    return ClipConfig.from_dict(
        {
            "embed_dim": 32,
            "quick_gelu": quick_gelu,
            "vision_cfg": {"image_size": 64, "patch_size": 16, "width": 64, "layers": 2, "head_width": 16},
            "text_cfg": {"context_length": 16, "vocab_size": 500, "width": 48, "heads": 4, "layers": 2},
        }
    )


@pytest.fixture(params=[False, True], ids=["gelu", "quick_gelu"])
def model(request: pytest.FixtureRequest) -> tuple[ClipConfig, dict[str, NDArray[np.float32]]]:
    """(config, random weights) for both activation kinds."""
    cfg = small_config(quick_gelu=bool(request.param))
    return cfg, random_params(cfg, seed=7)
