"""The training model against the exporter (marker ``torch``): the image and MaskCLIP patch
embeddings that :mod:`cow_tools.train.model` trains are the ones ``image.onnx`` computes."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from cow_tools.clip_config import ClipConfig
from cow_tools.clip_graphs import build_image_graph

torch = pytest.importorskip("torch")
pytest.importorskip("open_clip")

pytestmark = pytest.mark.torch


def test_training_patch_path_matches_the_exported_graph() -> None:
    from cow_tools.train import model as mdl

    cfg = mdl.model_config(40)
    torch.manual_seed(0)
    m = mdl.build(cfg).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.05 * torch.randn_like(p))
    params = {k: v.detach().numpy().astype(np.float32) for k, v in m.state_dict().items()}
    size = cfg["vision_cfg"]["image_size"]
    pixels = np.random.default_rng(1).standard_normal((2, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        image, patches = mdl.encode_image_and_patches(m, torch.from_numpy(pixels), dense=True)
        full = m.encode_image(torch.from_numpy(pixels), normalize=True)
    sess = ort.InferenceSession(build_image_graph(params, ClipConfig.from_dict(cfg)).SerializeToString())
    got_image, got_patches = sess.run(["image_embeddings", "patch_embeddings"], {"pixel_values": pixels})
    np.testing.assert_allclose(image.numpy(), full.numpy(), atol=1e-5)
    np.testing.assert_allclose(got_image, image.numpy(), atol=1e-4)
    np.testing.assert_allclose(got_patches, patches.numpy(), atol=1e-4)


def test_weights_of_another_patch_grid_are_adapted() -> None:
    from cow_tools.train import model as mdl

    small = mdl.build(mdl.model_config(40, image_size=112, patch_size=14))
    big = mdl.build(mdl.model_config(40, image_size=224, patch_size=16))
    state = small.state_dict()
    with torch.no_grad():
        state["visual.positional_embedding"][1:] = 0.25
    adapted = mdl.adapt_state(state, big)
    big.load_state_dict(adapted)  # shapes fit
    pos = adapted["visual.positional_embedding"]
    assert pos.shape == (14 * 14 + 1, 96)
    torch.testing.assert_close(pos[0], state["visual.positional_embedding"][0])
    torch.testing.assert_close(pos[1:], torch.full_like(pos[1:], 0.25))
    assert adapted["visual.conv1.weight"].shape == (96, 3, 16, 16)
    torch.testing.assert_close(
        adapted["visual.transformer.resblocks.0.mlp.c_fc.weight"],
        state["visual.transformer.resblocks.0.mlp.c_fc.weight"],
    )


def test_multi_positive_nce_by_hand() -> None:
    """Two frames, two prompts, each frame matching one prompt with logit 2 against 0: each
    direction is log(1 + e^-2). A second positive in a row adds its probability; a row
    without a positive is left out, and no positive at all gives 0."""
    import math

    from cow_tools.train.loop import multi_positive_nce

    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    pos = torch.tensor([[True, False], [False, True]])
    want = math.log(1 + math.exp(-2))
    assert abs(float(multi_positive_nce(logits, pos)) - want) < 1e-6
    # Row 0 holds both prompts: its image-to-text term is -log(1) = 0. Prompt 0 is positive
    # for frame 0 only (frame 1 is its negative), so its column stays.
    both = torch.tensor([[True, True], [False, True]])
    i2t = (0.0 + want) / 2
    col0 = -math.log(math.exp(2) / (math.exp(2) + 1))  # prompt 0: frame 0 of frames 0, 1
    # prompt 1 has only positives (no negative): left out of the text-to-image term
    assert abs(float(multi_positive_nce(logits, both)) - (i2t + col0) / 2) < 1e-6
    none = torch.zeros(2, 2, dtype=torch.bool)
    assert float(multi_positive_nce(logits, none)) == 0.0
    some = torch.tensor([[False, False], [False, True]])
    # only row 1 counts; column 1 has frame 1 positive and frame 0 negative
    col1 = -math.log(math.exp(2) / (math.exp(2) + 1))
    assert abs(float(multi_positive_nce(logits, some)) - (want + col1) / 2) < 1e-6
