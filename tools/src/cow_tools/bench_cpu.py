"""CPU benchmark of the image tower (``make test-export`` environment: torch, open_clip):
a ViT-B/32-architecture open_clip model with random weights (QuickGELU, as OpenAI's),
PyTorch eager against the bundle graphs on the same weights and inputs, one thread,
median of ``--runs`` after ``--warmup``; plus each variant's drift from the fp32 graph.

    python -m cow_tools.bench_cpu --arch ViT-B-32 --runs 30 --json out.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray

from cow_tools.clip_config import ClipConfig
from cow_tools.clip_fast import build_image_graph_fused, quantize_int8
from cow_tools.clip_graphs import build_image_graph
from cow_tools.fp16 import to_fp16

Array = NDArray[np.float32]


def _median_ms(fn: Callable[[], object], runs: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000.0 * statistics.median(times)


def drift(reference: list[Array], other: list[Array]) -> dict[str, float]:
    """Max abs difference of every output and the worst cosine of the image embeddings."""
    out = {
        f"max_abs_{i}": float(np.abs(a - b).max())
        for i, (a, b) in enumerate(zip(reference, other, strict=True))
    }
    a, b = reference[0].astype(np.float64), other[0].astype(np.float64)
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    out["min_cosine"] = float(cos.min())
    return out


def run(arch: str, runs: int, warmup: int, drift_images: int, seed: int) -> dict[str, Any]:
    """Builds the model and graphs, times them and measures drift."""
    import onnxruntime as ort
    import open_clip
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model_cfg = open_clip.get_model_config(arch)
    model = open_clip.create_model(arch, force_quick_gelu=True).eval()
    params = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    cfg = ClipConfig.from_dict({**model_cfg, "quick_gelu": True})
    s = cfg.vision.image_size
    plain = build_image_graph(params, cfg)
    fused = build_image_graph_fused(params, cfg)
    graphs: dict[str, onnx.ModelProto] = {
        "onnxruntime fp32 (plain export)": plain,
        "onnxruntime fp32 fused": fused,
        "onnxruntime int8 (fused, dynamic)": quantize_int8(fused),
        "onnxruntime fp16 graph on CPU": to_fp16(plain),
    }
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sessions = {
        name: ort.InferenceSession(g.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        for name, g in graphs.items()
    }
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal((1, 3, s, s)).astype(np.float32)
    xt = torch.from_numpy(x1)
    results: dict[str, Any] = {"arch": arch, "runs": runs, "warmup": warmup, "threads": 1}
    timings: dict[str, float] = {}
    with torch.inference_mode():
        timings["pytorch eager fp32"] = _median_ms(lambda: model.encode_image(xt), runs, warmup)
    for name, sess in sessions.items():

        def infer(sess: Any = sess) -> object:
            return sess.run(None, {"pixel_values": x1})

        timings[name] = _median_ms(infer, runs, warmup)
    base = timings["pytorch eager fp32"]
    results["median_ms"] = timings
    results["speedup_vs_pytorch"] = {k: base / v for k, v in timings.items()}
    xs = rng.standard_normal((drift_images, 3, s, s)).astype(np.float32)
    ref = sessions["onnxruntime fp32 (plain export)"].run(None, {"pixel_values": xs})
    with torch.inference_mode():
        torch_emb = model.encode_image(torch.from_numpy(xs), normalize=True).numpy()
    results["drift_vs_fp32"] = {"pytorch eager fp32": drift([ref[0]], [torch_emb])}
    for name, sess in sessions.items():
        results["drift_vs_fp32"][name] = drift(ref, sess.run(None, {"pixel_values": xs}))
    results["machine"] = {
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
        "open_clip": open_clip.__version__,
    }
    return results


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--arch", default="ViT-B-32")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--drift-images", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    res = run(args.arch, args.runs, args.warmup, args.drift_images, args.seed)
    text = json.dumps(res, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
