"""NumPy reference of an OpenCLIP ViT dual encoder: forward passes, the dense
(MaskCLIP value path) patch embeddings and the Chefer relevance of the last
layer computed with the same analytic backward the ONNX graph uses.

Everything runs in float64 so it can serve as ground truth for the exported
float32 graphs and for finite-difference checks.

Parameter names are OpenCLIP's (``visual.conv1.weight``, ``visual.transformer
.resblocks.N.attn.in_proj_weight``, ``token_embedding.weight``, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cow_tools.clip_config import ClipConfig

Array = NDArray[np.float64]
Params = dict[str, NDArray[np.floating]]

LN_EPS = 1e-5
QUICK_GELU_ALPHA = 1.702
LOGIT_SCALE = 100.0


def _p(params: Params, name: str) -> Array:
    try:
        return np.asarray(params[name], dtype=np.float64)
    except KeyError as e:
        raise KeyError(f"state dict lacks parameter {name!r}") from e


def layer_norm(x: Array, w: Array, b: Array) -> Array:
    """LayerNorm over the last axis (eps 1e-5, as OpenCLIP)."""
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + LN_EPS) * w + b


def layer_norm_backward(x: Array, w: Array, grad_out: Array) -> Array:
    """Gradient of LayerNorm(x) w.r.t. x given the gradient of its output."""
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    inv = 1.0 / np.sqrt(var + LN_EPS)
    xhat = (x - mu) * inv
    g = grad_out * w
    return inv * (g - g.mean(-1, keepdims=True) - xhat * (g * xhat).mean(-1, keepdims=True))


def _erf(x: Array) -> Array:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def gelu(x: Array, quick: bool) -> Array:
    """Exact (erf) GELU, or QuickGELU ``x * sigmoid(1.702 x)``."""
    if quick:
        return x / (1.0 + np.exp(-QUICK_GELU_ALPHA * x))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def gelu_grad(x: Array, quick: bool) -> Array:
    """Derivative of :func:`gelu`."""
    if quick:
        s = 1.0 / (1.0 + np.exp(-QUICK_GELU_ALPHA * x))
        return s + QUICK_GELU_ALPHA * x * s * (1.0 - s)
    cdf = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return cdf + x * pdf


def softmax(x: Array, axis: int = -1) -> Array:
    """Numerically stable softmax."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def normalize(x: Array) -> Array:
    """Divides the last axis by its L2 norm."""
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@dataclass
class AttentionParts:
    """Intermediate values of one attention layer (batch B, heads H, tokens T)."""

    q: Array  # [B, H, T, hd]
    k: Array  # [B, H, T, hd]
    v: Array  # [B, H, T, hd]
    probs: Array  # [B, H, T, T]


def attention_parts(params: Params, prefix: str, h: Array, heads: int, mask: Array | None) -> AttentionParts:
    """Queries, keys, values and attention probabilities of ``h`` (already ln_1'd)."""
    b, t, w = h.shape
    hd = w // heads
    qkv = h @ _p(params, f"{prefix}.attn.in_proj_weight").T + _p(params, f"{prefix}.attn.in_proj_bias")
    q, k, v = (qkv[..., i * w : (i + 1) * w].reshape(b, t, heads, hd).transpose(0, 2, 1, 3) for i in range(3))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
    if mask is not None:
        scores = scores + mask
    return AttentionParts(q=q, k=k, v=v, probs=softmax(scores))


def attention_output(params: Params, prefix: str, probs: Array, v: Array) -> Array:
    """Mixes values with ``probs`` and applies the output projection."""
    b, heads, t, hd = probs.shape[0], probs.shape[1], probs.shape[2], v.shape[3]
    o = (probs @ v).transpose(0, 2, 1, 3).reshape(b, t, heads * hd)
    return o @ _p(params, f"{prefix}.attn.out_proj.weight").T + _p(params, f"{prefix}.attn.out_proj.bias")


def mlp(params: Params, prefix: str, x: Array, quick: bool) -> Array:
    """ln_2 + c_fc + GELU + c_proj (without the residual)."""
    m = layer_norm(x, _p(params, f"{prefix}.ln_2.weight"), _p(params, f"{prefix}.ln_2.bias"))
    f = m @ _p(params, f"{prefix}.mlp.c_fc.weight").T + _p(params, f"{prefix}.mlp.c_fc.bias")
    g = gelu(f, quick)
    return g @ _p(params, f"{prefix}.mlp.c_proj.weight").T + _p(params, f"{prefix}.mlp.c_proj.bias")


def resblock(params: Params, prefix: str, x: Array, heads: int, quick: bool, mask: Array | None) -> Array:
    """One pre-norm transformer block."""
    h = layer_norm(x, _p(params, f"{prefix}.ln_1.weight"), _p(params, f"{prefix}.ln_1.bias"))
    parts = attention_parts(params, prefix, h, heads, mask)
    x = x + attention_output(params, prefix, parts.probs, parts.v)
    return x + mlp(params, prefix, x, quick)


def image_tokens(params: Params, cfg: ClipConfig, pixels: NDArray[np.floating]) -> Array:
    """Patch embedding + class token + positions + ln_pre: ``[B, T, W]``."""
    v = cfg.vision
    b = pixels.shape[0]
    g, p = v.grid, v.patch_size
    patches = (
        np.asarray(pixels, dtype=np.float64)
        .reshape(b, 3, g, p, g, p)
        .transpose(0, 2, 4, 1, 3, 5)
        .reshape(b, g * g, 3 * p * p)
    )
    conv = _p(params, "visual.conv1.weight").reshape(v.width, -1)
    x = patches @ conv.T
    cls = np.broadcast_to(_p(params, "visual.class_embedding"), (b, 1, v.width))
    x = np.concatenate([cls, x], axis=1) + _p(params, "visual.positional_embedding")
    return layer_norm(x, _p(params, "visual.ln_pre.weight"), _p(params, "visual.ln_pre.bias"))


def image_before_last(params: Params, cfg: ClipConfig, pixels: NDArray[np.floating]) -> Array:
    """Tokens entering the last vision block."""
    x = image_tokens(params, cfg, pixels)
    for i in range(cfg.vision.layers - 1):
        x = resblock(params, f"visual.transformer.resblocks.{i}", x, cfg.vision.heads, cfg.quick_gelu, None)
    return x


def _last_prefix(cfg: ClipConfig) -> str:
    return f"visual.transformer.resblocks.{cfg.vision.layers - 1}"


def _head(params: Params, x_cls: Array) -> Array:
    """ln_post + proj (unnormalised embedding)."""
    u = layer_norm(x_cls, _p(params, "visual.ln_post.weight"), _p(params, "visual.ln_post.bias"))
    return u @ _p(params, "visual.proj")


@dataclass
class ImageOutputs:
    """Everything the image graph outputs."""

    image_embeddings: Array  # [B, D], unit norm
    patch_embeddings: Array  # [B, N, D], unit norm (MaskCLIP value path)


def encode_image(params: Params, cfg: ClipConfig, pixels: NDArray[np.floating]) -> ImageOutputs:
    """Image embedding and dense per-patch embeddings of normalised pixels ``[B, 3, S, S]``."""
    z = image_before_last(params, cfg, pixels)
    prefix = _last_prefix(cfg)
    x = resblock(params, prefix, z, cfg.vision.heads, cfg.quick_gelu, None)
    emb = normalize(_head(params, x[:, 0]))
    h = layer_norm(z, _p(params, f"{prefix}.ln_1.weight"), _p(params, f"{prefix}.ln_1.bias"))
    w = cfg.vision.width
    wv = _p(params, f"{prefix}.attn.in_proj_weight")[2 * w :]
    bv = _p(params, f"{prefix}.attn.in_proj_bias")[2 * w :]
    values = h @ wv.T + bv
    out = values @ _p(params, f"{prefix}.attn.out_proj.weight").T + _p(params, f"{prefix}.attn.out_proj.bias")
    dense = normalize(_head(params, z + out))[:, 1:]
    return ImageOutputs(image_embeddings=emb, patch_embeddings=dense)


def causal_mask(n: int) -> Array:
    """Additive mask: -inf above the diagonal."""
    m = np.zeros((n, n))
    m[np.triu_indices(n, 1)] = -np.inf
    return m


def encode_text(params: Params, cfg: ClipConfig, ids: NDArray[np.int64]) -> Array:
    """Normalised text embeddings of token ids ``[B, C]`` (EOT = the largest id, as OpenCLIP)."""
    t = cfg.text
    x = _p(params, "token_embedding.weight")[ids] + _p(params, "positional_embedding")
    mask = causal_mask(ids.shape[1])
    for i in range(t.layers):
        x = resblock(params, f"transformer.resblocks.{i}", x, t.heads, cfg.quick_gelu, mask)
    x = layer_norm(x, _p(params, "ln_final.weight"), _p(params, "ln_final.bias"))
    eot = x[np.arange(ids.shape[0]), ids.argmax(-1)]
    return normalize(eot @ _p(params, "text_projection"))


def cls_attention(params: Params, cfg: ClipConfig, pixels: NDArray[np.floating]) -> Array:
    """CLS row of the last layer's attention probabilities ``[B, H, T]``."""
    z = image_before_last(params, cfg, pixels)
    prefix = _last_prefix(cfg)
    h = layer_norm(z, _p(params, f"{prefix}.ln_1.weight"), _p(params, f"{prefix}.ln_1.bias"))
    return attention_parts(params, prefix, h, cfg.vision.heads, None).probs[:, :, 0, :]


def logit_from_cls_attention(
    params: Params, cfg: ClipConfig, pixels: NDArray[np.floating], text: Array, a0: Array
) -> Array:
    """``100 <e, t>`` when the last layer's CLS attention row is replaced by ``a0 [B, H, T]``.

    The other rows do not reach the image embedding, so this is the function whose
    gradient w.r.t. ``a0`` the relevance graph evaluates.
    """
    z = image_before_last(params, cfg, pixels)
    prefix = _last_prefix(cfg)
    h = layer_norm(z, _p(params, f"{prefix}.ln_1.weight"), _p(params, f"{prefix}.ln_1.bias"))
    parts = attention_parts(params, prefix, h, cfg.vision.heads, None)
    o = np.einsum("bht,bhtd->bhd", a0, parts.v).reshape(z.shape[0], -1)
    attn = o @ _p(params, f"{prefix}.attn.out_proj.weight").T + _p(params, f"{prefix}.attn.out_proj.bias")
    y = z[:, 0] + attn
    x = y + mlp(params, prefix, y, cfg.quick_gelu)
    e = normalize(_head(params, x))
    result: Array = LOGIT_SCALE * (e * text).sum(-1)
    return result


@dataclass
class Relevance:
    """Chefer relevance of the last layer and the pieces it is made of."""

    relevance: Array  # [B, N]: mean over heads of clamp(grad * A, 0), CLS row, patch columns
    grad: Array  # [B, H, T]: d logit / d A[CLS row]
    attention: Array  # [B, H, T]: A[CLS row]


def relevance(params: Params, cfg: ClipConfig, pixels: NDArray[np.floating], text: Array) -> Relevance:
    """Analytic gradient of ``100 <e, t>`` w.r.t. the last layer's CLS attention row."""
    z = image_before_last(params, cfg, pixels)
    prefix = _last_prefix(cfg)
    b, heads = z.shape[0], cfg.vision.heads
    h = layer_norm(z, _p(params, f"{prefix}.ln_1.weight"), _p(params, f"{prefix}.ln_1.bias"))
    parts = attention_parts(params, prefix, h, heads, None)
    a0 = parts.probs[:, :, 0, :]
    o = np.einsum("bht,bhtd->bhd", a0, parts.v).reshape(b, -1)
    wo = _p(params, f"{prefix}.attn.out_proj.weight")
    y = z[:, 0] + o @ wo.T + _p(params, f"{prefix}.attn.out_proj.bias")
    ln2w = _p(params, f"{prefix}.ln_2.weight")
    m = layer_norm(y, ln2w, _p(params, f"{prefix}.ln_2.bias"))
    wfc = _p(params, f"{prefix}.mlp.c_fc.weight")
    f = m @ wfc.T + _p(params, f"{prefix}.mlp.c_fc.bias")
    wp = _p(params, f"{prefix}.mlp.c_proj.weight")
    x = y + gelu(f, cfg.quick_gelu) @ wp.T + _p(params, f"{prefix}.mlp.c_proj.bias")
    lnw = _p(params, "visual.ln_post.weight")
    p = layer_norm(x, lnw, _p(params, "visual.ln_post.bias")) @ _p(params, "visual.proj")
    norm = np.linalg.norm(p, axis=-1, keepdims=True)
    e = p / norm
    # d logit / d p for logit = 100 <p/|p|, t>
    dp = LOGIT_SCALE * (text - e * (e * text).sum(-1, keepdims=True)) / norm
    du = dp @ _p(params, "visual.proj").T
    dx = layer_norm_backward(x, lnw, du)
    dg = dx @ wp
    df = dg * gelu_grad(f, cfg.quick_gelu)
    dm = df @ wfc
    dy = dx + layer_norm_backward(y, ln2w, dm)
    do = (dy @ wo).reshape(b, heads, -1)
    grad = np.einsum("bhd,bhtd->bht", do, parts.v)
    rel = np.clip(grad * a0, 0.0, None).mean(axis=1)[:, 1:]
    return Relevance(relevance=rel, grad=grad, attention=a0)


def random_params(cfg: ClipConfig, seed: int, scale: float = 0.02) -> dict[str, NDArray[np.float32]]:
    """Random float32 weights with OpenCLIP names and shapes (LayerNorms near identity)."""
    rng = np.random.default_rng(seed)
    out: dict[str, NDArray[np.float32]] = {}

    def put(name: str, shape: tuple[int, ...], std: float = scale, mean: float = 0.0) -> None:
        out[name] = (mean + std * rng.standard_normal(shape)).astype(np.float32)

    def block(prefix: str, w: int, ratio: float) -> None:
        hidden = int(w * ratio)
        put(f"{prefix}.ln_1.weight", (w,), 0.1, 1.0)
        put(f"{prefix}.ln_1.bias", (w,), 0.1)
        put(f"{prefix}.attn.in_proj_weight", (3 * w, w), w**-0.5)
        put(f"{prefix}.attn.in_proj_bias", (3 * w,), 0.1)
        put(f"{prefix}.attn.out_proj.weight", (w, w), w**-0.5)
        put(f"{prefix}.attn.out_proj.bias", (w,), 0.1)
        put(f"{prefix}.ln_2.weight", (w,), 0.1, 1.0)
        put(f"{prefix}.ln_2.bias", (w,), 0.1)
        put(f"{prefix}.mlp.c_fc.weight", (hidden, w), w**-0.5)
        put(f"{prefix}.mlp.c_fc.bias", (hidden,), 0.1)
        put(f"{prefix}.mlp.c_proj.weight", (w, hidden), hidden**-0.5)
        put(f"{prefix}.mlp.c_proj.bias", (w,), 0.1)

    v, t = cfg.vision, cfg.text
    put("visual.conv1.weight", (v.width, 3, v.patch_size, v.patch_size), (3 * v.patch_size**2) ** -0.5)
    put("visual.class_embedding", (v.width,), 1.0)
    put("visual.positional_embedding", (v.tokens, v.width), 0.5)
    put("visual.ln_pre.weight", (v.width,), 0.1, 1.0)
    put("visual.ln_pre.bias", (v.width,), 0.1)
    for i in range(v.layers):
        block(f"visual.transformer.resblocks.{i}", v.width, v.mlp_ratio)
    put("visual.ln_post.weight", (v.width,), 0.1, 1.0)
    put("visual.ln_post.bias", (v.width,), 0.1)
    put("visual.proj", (v.width, cfg.embed_dim), v.width**-0.5)
    put("token_embedding.weight", (t.vocab_size, t.width), 1.0)
    put("positional_embedding", (t.context_length, t.width), 0.1)
    for i in range(t.layers):
        block(f"transformer.resblocks.{i}", t.width, t.mlp_ratio)
    put("ln_final.weight", (t.width,), 0.1, 1.0)
    put("ln_final.bias", (t.width,), 0.1)
    put("text_projection", (t.width, cfg.embed_dim), t.width**-0.5)
    out["logit_scale"] = np.array(math.log(100.0), dtype=np.float32)
    return out
