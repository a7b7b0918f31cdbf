"""Command-line options of weight-space patching (shared by ``cow-export clip`` and
``cow-export patch``) and their application to a loaded state dict."""

from __future__ import annotations

import argparse
from pathlib import Path

from cow_tools.patching import PatchError, average, check_compatible, interpolate, task_arithmetic
from cow_tools.state_dict import StateDict, load_state_dict


def add_patch_arguments(p: argparse.ArgumentParser) -> None:
    """Adds ``--alpha/--finetuned``, ``--task-vector/--scale``, ``--average``, ``--patch-only``."""
    g = p.add_argument_group("weight-space patching (applied before export)")
    g.add_argument(
        "--finetuned", type=Path, help="fine-tuned checkpoint to interpolate towards (PAINT / WiSE-FT)"
    )
    g.add_argument("--alpha", type=float, help="theta = (1 - alpha) theta_zero_shot + alpha theta_finetuned")
    g.add_argument(
        "--task-vector",
        type=Path,
        action="append",
        default=[],
        help="fine-tuned checkpoint whose task vector (ckpt - base) is added; repeatable",
    )
    g.add_argument(
        "--scale",
        type=float,
        action="append",
        default=[],
        help="scale of the task vector given before it (negative negates the task); repeatable",
    )
    g.add_argument(
        "--average",
        type=Path,
        nargs="+",
        default=[],
        help="fine-tuned checkpoints averaged uniformly (the base model is not included)",
    )
    g.add_argument(
        "--patch-only",
        default=None,
        help="patch only tensors whose names start with this prefix (e.g. 'visual.', as CoW does)",
    )


def wants_patch(args: argparse.Namespace) -> bool:
    """Whether any patching option was given."""
    return bool(args.finetuned or args.alpha is not None or args.task_vector or args.scale or args.average)


def apply_patches(base: StateDict, args: argparse.Namespace) -> StateDict:
    """Applies the one patching method the options name to ``base``; ``base`` unchanged
    when none is given. Raises PatchError on inconsistent options or architectures."""
    methods = [
        name
        for name, given in (
            ("--alpha/--finetuned", args.finetuned is not None or args.alpha is not None),
            ("--task-vector", bool(args.task_vector or args.scale)),
            ("--average", bool(args.average)),
        )
        if given
    ]
    if len(methods) > 1:
        raise PatchError(f"give one patching method, not {' and '.join(methods)}")
    if args.finetuned is not None or args.alpha is not None:
        if args.finetuned is None or args.alpha is None:
            raise PatchError("--alpha and --finetuned go together")
        return interpolate(base, load_state_dict(args.finetuned), args.alpha, only=args.patch_only)
    if args.task_vector or args.scale:
        if len(args.task_vector) != len(args.scale):
            raise PatchError(
                f"{len(args.task_vector)} --task-vector but {len(args.scale)} --scale: "
                "give one scale per vector"
            )
        tasks = [(load_state_dict(path), s) for path, s in zip(args.task_vector, args.scale, strict=True)]
        return task_arithmetic(base, tasks, only=args.patch_only)
    if args.average:
        ckpts = [load_state_dict(path) for path in args.average]
        for i, ckpt in enumerate(ckpts, start=1):
            # The averaged checkpoints must share the architecture of the model being exported.
            check_compatible(base, ckpt, f"checkpoint {i} ({args.average[i - 1]})")
        averaged = average(ckpts, only=args.patch_only)
        if args.patch_only is None:
            return averaged
        return {k: (averaged[k] if k.startswith(args.patch_only) else v) for k, v in base.items()}
    if args.patch_only is not None:
        raise PatchError("--patch-only needs a patching method")
    return base
