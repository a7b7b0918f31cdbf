"""Weight-space patching on small random models: endpoints, task-vector round trips,
averaging, mismatch messages and the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cow_tools.cli import main
from cow_tools.clip_config import ClipConfig
from cow_tools.patching import (
    PatchError,
    apply_task_vectors,
    average,
    interpolate,
    task_arithmetic,
    task_vector,
)
from cow_tools.reference import random_params
from cow_tools.state_dict import StateDict, load_state_dict, save_npz

CONFIG = ClipConfig.from_dict(
    {
        "embed_dim": 16,
        "vision_cfg": {"image_size": 32, "patch_size": 16, "width": 32, "layers": 1, "head_width": 16},
        "text_cfg": {"context_length": 8, "vocab_size": 50, "width": 32, "heads": 2, "layers": 1},
    }
)


def _model(seed: int) -> StateDict:
    return random_params(CONFIG, seed=seed)


def _assert_same(a: StateDict, b: StateDict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_alpha_endpoints_are_exact_and_midpoint_is_the_mean() -> None:
    zs, ft = _model(1), _model(2)
    _assert_same(interpolate(zs, ft, 0.0), {k: v.astype(np.float32) for k, v in zs.items()})
    _assert_same(interpolate(zs, ft, 1.0), {k: v.astype(np.float32) for k, v in ft.items()})
    mid = interpolate(zs, ft, 0.5)
    name = "visual.conv1.weight"
    np.testing.assert_allclose(mid[name], (zs[name] + ft[name]) / 2, rtol=1e-6, atol=1e-7)
    # 0.25 of the way: hand check on one element
    q = interpolate(zs, ft, 0.25)
    want = 0.75 * float(zs[name].flat[3]) + 0.25 * float(ft[name].flat[3])
    assert abs(float(q[name].flat[3]) - want) < 1e-6


def test_only_prefix_patches_the_visual_tower_alone() -> None:
    zs, ft = _model(1), _model(2)
    out = interpolate(zs, ft, 1.0, only="visual.")
    np.testing.assert_array_equal(out["visual.proj"], ft["visual.proj"])
    np.testing.assert_array_equal(out["text_projection"], zs["text_projection"])
    with pytest.raises(PatchError, match=r"no tensor name starts with 'vision\.'"):
        interpolate(zs, ft, 0.5, only="vision.")


def test_task_vector_added_then_negated_returns_the_original() -> None:
    base, task = _model(1), _model(3)
    tau = task_vector(base, task)
    there = apply_task_vectors(base, [(tau, 0.7)])
    back = apply_task_vectors(there, [(tau, -0.7)])
    for k in base:
        np.testing.assert_allclose(back[k], base[k], rtol=0, atol=1e-6, err_msg=k)
    assert not np.allclose(there["visual.proj"], base["visual.proj"])
    # In one call the opposite scales cancel exactly.
    _assert_same(
        task_arithmetic(base, [(task, 0.7), (task, -0.7)]), {k: v.astype(np.float32) for k, v in base.items()}
    )
    # Scale 1 of one task is that task.
    one = task_arithmetic(base, [(task, 1.0)])
    np.testing.assert_allclose(one["visual.proj"], task["visual.proj"], atol=1e-6)


def test_two_task_vectors_sum() -> None:
    base, t1, t2 = _model(1), _model(2), _model(3)
    out = task_arithmetic(base, [(t1, 0.5), (t2, -0.25)])
    k = "token_embedding.weight"
    want = base[k] + 0.5 * (t1[k] - base[k]) - 0.25 * (t2[k] - base[k])
    np.testing.assert_allclose(out[k], want, atol=1e-6)


def test_averaging_copies_returns_the_model_and_two_models_their_mean() -> None:
    m = _model(4)
    _assert_same(average([m, m, m]), {k: v.astype(np.float32) for k, v in m.items()})
    a, b = _model(5), _model(6)
    k = "visual.class_embedding"
    np.testing.assert_allclose(average([a, b])[k], (a[k] + b[k]) / 2, atol=1e-7)


def test_mismatched_architectures_name_the_first_differing_tensor() -> None:
    base, other = _model(1), _model(2)
    other["visual.proj"] = np.zeros((3, 3), dtype=np.float32)
    with pytest.raises(PatchError, match=r"tensor 'visual.proj' has shape \(3, 3\) in the fine-tuned"):
        interpolate(base, other, 0.5)
    missing = _model(2)
    del missing["ln_final.bias"]
    with pytest.raises(PatchError, match=r"task checkpoint 1 lacks tensor 'ln_final\.bias'"):
        task_arithmetic(base, [(missing, 1.0)])
    extra = {**_model(2), "head.weight": np.zeros(2, dtype=np.float32)}
    with pytest.raises(PatchError, match=r"checkpoint 2 has tensor 'head\.weight'"):
        average([base, extra])


def test_bad_coefficients_are_refused() -> None:
    m = _model(1)
    with pytest.raises(PatchError, match="alpha nan"):
        interpolate(m, m, float("nan"))
    with pytest.raises(PatchError, match="at least one"):
        average([])


def test_cli_patch_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zs, ft = _model(1), _model(2)
    save_npz(zs, tmp_path / "zs.npz")
    save_npz(ft, tmp_path / "ft.npz")
    out = tmp_path / "patched.npz"
    rc = main(
        [
            *("patch", "--base", str(tmp_path / "zs.npz"), "--finetuned", str(tmp_path / "ft.npz")),
            *("--alpha", "0.5", "--patch-only", "visual.", "--out", str(out)),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    got = load_state_dict(out)
    np.testing.assert_allclose(got["visual.proj"], (zs["visual.proj"] + ft["visual.proj"]) / 2, atol=1e-7)
    np.testing.assert_array_equal(got["text_projection"], zs["text_projection"])
    # mismatched scales and vectors are refused with a message
    rc = main(
        [
            "patch",
            "--base",
            str(tmp_path / "zs.npz"),
            "--task-vector",
            str(tmp_path / "ft.npz"),
            "--out",
            str(out),
        ]
    )
    assert rc == 1
    assert "1 --task-vector but 0 --scale" in capsys.readouterr().err
    rc = main(
        [
            *("patch", "--base", str(tmp_path / "zs.npz"), "--average", str(tmp_path / "ft.npz")),
            *("--alpha", "0.3", "--finetuned", str(tmp_path / "ft.npz"), "--out", str(out)),
        ]
    )
    assert rc == 1
    assert "give one patching method" in capsys.readouterr().err
