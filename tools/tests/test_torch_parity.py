"""PyTorch parity (``make test-export``): the exported graphs against open_clip's model on
the same random weights. Skipped when torch or open_clip is not importable."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from cow_tools.clip_config import ClipConfig
from cow_tools.clip_graphs import build_image_graph, build_text_graph

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("quick_gelu", [False, True])
def test_open_clip_parity(quick_gelu: bool) -> None:
    cfg_dict = {
        "embed_dim": 32,
        "vision_cfg": {"image_size": 64, "patch_size": 16, "width": 64, "layers": 2, "head_width": 16},
        "text_cfg": {"context_length": 16, "vocab_size": 500, "width": 48, "heads": 4, "layers": 2},
    }
    cfg = ClipConfig.from_dict({**cfg_dict, "quick_gelu": quick_gelu})
    torch.manual_seed(0)
    model = open_clip.model.CLIP(
        embed_dim=32,
        vision_cfg=cfg_dict["vision_cfg"],
        text_cfg=cfg_dict["text_cfg"],
        quick_gelu=quick_gelu,
    ).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    params = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    pixels = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    ids = np.zeros((2, cfg.text.context_length), dtype=np.int64)
    ids[0, :4] = [cfg.text.vocab_size - 2, 5, 6, cfg.text.vocab_size - 1]
    ids[1, :3] = [cfg.text.vocab_size - 2, 9, cfg.text.vocab_size - 1]
    with torch.no_grad():
        want_img = model.encode_image(torch.from_numpy(pixels), normalize=True).numpy()
        want_txt = model.encode_text(torch.from_numpy(ids), normalize=True).numpy()
    img_sess = ort.InferenceSession(build_image_graph(params, cfg).SerializeToString())
    txt_sess = ort.InferenceSession(build_text_graph(params, cfg).SerializeToString())
    got_img = img_sess.run(["image_embeddings"], {"pixel_values": pixels})[0]
    (got_txt,) = txt_sess.run(None, {"input_ids": ids})
    np.testing.assert_allclose(got_img, want_img, atol=1e-4)
    np.testing.assert_allclose(got_txt, want_txt, atol=1e-4)
