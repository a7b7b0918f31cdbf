"""The exported graphs, run with ONNX Runtime, against the NumPy reference."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from numpy.typing import NDArray

from cow_tools import reference as ref
from cow_tools.clip_config import ClipConfig
from cow_tools.clip_graphs import build_image_graph, build_relevance_graph, build_text_graph
from cow_tools.fp16 import to_fp16

Model = tuple[ClipConfig, dict[str, NDArray[np.float32]]]


def _session(model: onnx.ModelProto) -> ort.InferenceSession:
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _pixels(cfg: ClipConfig, batch: int, seed: int = 3) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    s = cfg.vision.image_size
    return rng.standard_normal((batch, 3, s, s)).astype(np.float32)


def _text(cfg: ClipConfig, batch: int, seed: int = 5) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    return ref.normalize(rng.standard_normal((batch, cfg.embed_dim)))


def test_image_graph_matches_reference(model: Model) -> None:
    cfg, params = model
    pixels = _pixels(cfg, batch=3)
    emb, dense = _session(build_image_graph(params, cfg)).run(None, {"pixel_values": pixels})
    want = ref.encode_image(params, cfg, pixels)
    assert emb.shape == (3, cfg.embed_dim)
    assert dense.shape == (3, cfg.vision.grid**2, cfg.embed_dim)
    np.testing.assert_allclose(emb, want.image_embeddings, atol=2e-5)
    np.testing.assert_allclose(dense, want.patch_embeddings, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(dense, axis=-1), 1.0, atol=1e-5)


def test_text_graph_matches_reference(model: Model) -> None:
    cfg, params = model
    c, vocab = cfg.text.context_length, cfg.text.vocab_size
    ids = np.zeros((2, c), dtype=np.int64)
    ids[0, :5] = [vocab - 2, 10, 20, 30, vocab - 1]
    ids[1, :3] = [vocab - 2, 42, vocab - 1]
    (emb,) = _session(build_text_graph(params, cfg)).run(None, {"input_ids": ids})
    np.testing.assert_allclose(emb, ref.encode_text(params, cfg, ids), atol=2e-5)
    assert not np.allclose(emb[0], emb[1])


def test_relevance_graph_matches_reference(model: Model) -> None:
    cfg, params = model
    pixels = _pixels(cfg, batch=2)
    text = _text(cfg, batch=2)
    (rel,) = _session(build_relevance_graph(params, cfg)).run(
        None, {"pixel_values": pixels, "text_embedding": text.astype(np.float32)}
    )
    want = ref.relevance(params, cfg, pixels, text).relevance
    assert rel.shape == (2, cfg.vision.grid**2)
    assert (rel >= 0).all()
    assert want.max() > 0
    np.testing.assert_allclose(rel, want, rtol=1e-3, atol=1e-5 * float(np.abs(want).max()))


def test_reference_relevance_gradient_matches_finite_differences(model: Model) -> None:
    """d(100 <e,t>)/dA on the last layer's CLS row, central differences in float64."""
    cfg, params = model
    pixels = _pixels(cfg, batch=1).astype(np.float64)
    text = _text(cfg, batch=1)
    rel = ref.relevance(params, cfg, pixels, text)
    a0 = rel.attention.copy()
    step = 1e-6
    numeric = np.zeros_like(a0)
    for h in range(a0.shape[1]):
        for j in range(a0.shape[2]):
            plus, minus = a0.copy(), a0.copy()
            plus[0, h, j] += step
            minus[0, h, j] -= step
            hi = ref.logit_from_cls_attention(params, cfg, pixels, text, plus)[0]
            lo = ref.logit_from_cls_attention(params, cfg, pixels, text, minus)[0]
            numeric[0, h, j] = (hi - lo) / (2 * step)
    scale = float(np.abs(numeric).max())
    assert scale > 0
    np.testing.assert_allclose(rel.grad, numeric, rtol=1e-4, atol=1e-4 * scale)


def test_graph_relevance_matches_finite_differences(model: Model) -> None:
    """End to end: the ONNX relevance equals relu(numeric grad * A) averaged over heads."""
    cfg, params = model
    pixels = _pixels(cfg, batch=1, seed=11)
    text = _text(cfg, batch=1, seed=13)
    (rel,) = _session(build_relevance_graph(params, cfg)).run(
        None, {"pixel_values": pixels, "text_embedding": text.astype(np.float32)}
    )
    p64 = pixels.astype(np.float64)
    a0 = ref.cls_attention(params, cfg, p64)
    step = 1e-6
    numeric = np.zeros_like(a0)
    for h in range(a0.shape[1]):
        for j in range(a0.shape[2]):
            plus, minus = a0.copy(), a0.copy()
            plus[0, h, j] += step
            minus[0, h, j] -= step
            numeric[0, h, j] = (
                ref.logit_from_cls_attention(params, cfg, p64, text, plus)[0]
                - ref.logit_from_cls_attention(params, cfg, p64, text, minus)[0]
            ) / (2 * step)
    want = np.clip(numeric * a0, 0, None).mean(axis=1)[:, 1:]
    np.testing.assert_allclose(rel, want, rtol=1e-3, atol=1e-4 * float(np.abs(want).max()))


def test_fp16_graphs_keep_float32_io_and_agree(model: Model) -> None:
    """fp16 variants: same input/output names and float32 types, values within fp16 precision."""
    cfg, params = model
    pixels = _pixels(cfg, batch=1, seed=17)
    text = _text(cfg, batch=1, seed=19).astype(np.float32)
    feeds = {"pixel_values": pixels, "text_embedding": text}
    for build in (build_image_graph, build_relevance_graph):
        m32 = build(params, cfg)
        m16 = to_fp16(m32)
        assert [i.name for i in m16.graph.input] == [i.name for i in m32.graph.input]
        assert all(o.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for o in m16.graph.output)
        names = [i.name for i in m32.graph.input]
        want = _session(m32).run(None, {k: feeds[k] for k in names})
        got = _session(m16).run(None, {k: feeds[k] for k in names})
        for w, g in zip(want, got, strict=True):
            assert g.dtype == np.float32
            scale = float(np.abs(w).max())
            np.testing.assert_allclose(g, w, atol=2e-2 * scale)
    assert any(
        i.data_type == onnx.TensorProto.FLOAT16
        for i in to_fp16(build_text_graph(params, cfg)).graph.initializer
    )
