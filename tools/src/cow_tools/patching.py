"""Weight-space patching of state dicts before export (the seed papers' methods):

- :func:`interpolate`: ``theta = (1 - alpha) theta_zs + alpha theta_ft`` (PAINT / WiSE-FT;
  CoW exposes it for the visual encoder);
- :func:`task_arithmetic`: ``theta = theta_0 + sum_i lambda_i (theta_i - theta_0)``; a
  negative ``lambda`` negates a task (task vectors; :func:`task_vector` and
  :func:`apply_task_vectors` keep the vectors themselves);
- :func:`average`: uniform average of independently fine-tuned checkpoints (lo-fi,
  model soups).

Every operation first checks that all state dicts have the same tensors with the same
shapes and refuses otherwise, naming the first tensor that differs. ``only`` limits an
operation to the tensors whose names start with that prefix (``"visual."`` patches the
image tower alone); the others are copied from the base unchanged.

Arithmetic is done in float64 and stored as float32, so ``alpha`` 0 and 1 reproduce
the endpoints exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cow_tools.state_dict import StateDict


class PatchError(ValueError):
    """State dicts that cannot be combined, or bad coefficients."""


def check_compatible(base: StateDict, other: StateDict, what: str = "checkpoint") -> None:
    """Raises :class:`PatchError` naming the first tensor (in sorted order) that one
    state dict has and the other lacks, or whose shapes differ."""
    for name in sorted(set(base) | set(other)):
        if name not in other:
            raise PatchError(f"{what} lacks tensor {name!r} of the base model: architectures differ")
        if name not in base:
            raise PatchError(f"{what} has tensor {name!r} that the base model lacks: architectures differ")
        a, b = np.shape(base[name]), np.shape(other[name])
        if a != b:
            raise PatchError(f"tensor {name!r} has shape {b} in the {what} but {a} in the base model")


def _selected(name: str, only: str | None) -> bool:
    return only is None or name.startswith(only)


def _check_selection(base: StateDict, only: str | None) -> None:
    if only is not None and not any(name.startswith(only) for name in base):
        raise PatchError(f"no tensor name starts with {only!r}; nothing would be patched")


def _float32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def interpolate(
    zero_shot: StateDict, finetuned: StateDict, alpha: float, only: str | None = None
) -> StateDict:
    """``(1 - alpha) zero_shot + alpha finetuned`` tensor by tensor (alpha 0 and 1 give the
    endpoints bit for bit)."""
    if not np.isfinite(alpha):
        raise PatchError(f"alpha {alpha} is not a finite number")
    check_compatible(zero_shot, finetuned, "fine-tuned checkpoint")
    _check_selection(zero_shot, only)
    out: StateDict = {}
    for name, zs in zero_shot.items():
        if not _selected(name, only) or alpha == 0.0:
            out[name] = _float32(zs).copy()
        elif alpha == 1.0:
            out[name] = _float32(finetuned[name]).copy()
        else:
            mixed = (1.0 - alpha) * np.asarray(zs, np.float64) + alpha * np.asarray(
                finetuned[name], np.float64
            )
            out[name] = mixed.astype(np.float32)
    return out


def task_vector(base: StateDict, finetuned: StateDict, only: str | None = None) -> StateDict:
    """``finetuned - base`` (float32) for the tensors selected by ``only``."""
    check_compatible(base, finetuned, "fine-tuned checkpoint")
    _check_selection(base, only)
    return {
        name: (np.asarray(finetuned[name], np.float64) - np.asarray(t, np.float64)).astype(np.float32)
        for name, t in base.items()
        if _selected(name, only)
    }


def apply_task_vectors(base: StateDict, vectors: Sequence[tuple[StateDict, float]]) -> StateDict:
    """``base + sum_i scale_i tau_i``; a task vector may cover a subset of the tensors
    (see :func:`task_vector`'s ``only``) but not name one the base lacks."""
    if not vectors:
        raise PatchError("task arithmetic needs at least one task vector")
    for i, (tau, scale) in enumerate(vectors, start=1):
        if not np.isfinite(scale):
            raise PatchError(f"scale {scale} of task {i} is not a finite number")
        for name in sorted(tau):
            if name not in base:
                raise PatchError(f"task vector {i} has tensor {name!r} that the base model lacks")
            if np.shape(tau[name]) != np.shape(base[name]):
                raise PatchError(
                    f"tensor {name!r} has shape {np.shape(tau[name])} in task vector {i} "
                    f"but {np.shape(base[name])} in the base model"
                )
    out: StateDict = {}
    for name, theta0 in base.items():
        acc = np.asarray(theta0, np.float64).copy()
        for tau, scale in vectors:
            if name in tau:
                acc += scale * np.asarray(tau[name], np.float64)
        out[name] = acc.astype(np.float32)
    return out


def task_arithmetic(
    base: StateDict,
    tasks: Sequence[tuple[StateDict, float]],
    only: str | None = None,
) -> StateDict:
    """``base + sum_i scale_i (task_i - base)`` for the fine-tuned checkpoints ``task_i``
    (differences taken in float64, so opposite scales of one task cancel exactly)."""
    if not tasks:
        raise PatchError("task arithmetic needs at least one task checkpoint")
    for i, (task, scale) in enumerate(tasks, start=1):
        if not np.isfinite(scale):
            raise PatchError(f"scale {scale} of task {i} is not a finite number")
        check_compatible(base, task, f"task checkpoint {i}")
    _check_selection(base, only)
    out: StateDict = {}
    for name, theta0 in base.items():
        if not _selected(name, only):
            out[name] = _float32(theta0).copy()
            continue
        t0 = np.asarray(theta0, np.float64)
        acc = t0.copy()
        for task, scale in tasks:
            acc += scale * (np.asarray(task[name], np.float64) - t0)
        out[name] = acc.astype(np.float32)
    return out


def average(checkpoints: Sequence[StateDict], only: str | None = None) -> StateDict:
    """Uniform average of ``checkpoints`` (the first is the reference for names and for
    the tensors outside ``only``)."""
    if not checkpoints:
        raise PatchError("averaging needs at least one checkpoint")
    first = checkpoints[0]
    for i, ckpt in enumerate(checkpoints[1:], start=2):
        check_compatible(first, ckpt, f"checkpoint {i}")
    _check_selection(first, only)
    out: StateDict = {}
    n = float(len(checkpoints))
    for name, t in first.items():
        if not _selected(name, only):
            out[name] = _float32(t).copy()
            continue
        acc = np.zeros(np.shape(t), dtype=np.float64)
        for ckpt in checkpoints:
            acc += np.asarray(ckpt[name], np.float64)
        out[name] = (acc / n).astype(np.float32)
    return out
