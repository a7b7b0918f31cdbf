"""The exporter's commands for public models (kept apart from ``cli.py``):
``clip --arch/--pretrained`` and ``patch``."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from cow_tools.bundle import export_bundle
from cow_tools.clip_tokenizer import write_clip_tokenizer
from cow_tools.patch_args import add_patch_arguments, apply_patches, wants_patch
from cow_tools.patching import PatchError
from cow_tools.pretrained import load_pretrained
from cow_tools.state_dict import load_state_dict, save_npz


def add_public_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the ``patch`` subcommand."""
    patch = sub.add_parser("patch", help="write a weight-space patched state dict (.npz)")
    patch.add_argument("--base", type=Path, required=True, help="zero-shot / base checkpoint (.npz or .pt)")
    patch.add_argument("--out", type=Path, required=True, help=".npz file to write")
    add_patch_arguments(patch)


def export_clip_pretrained(args: argparse.Namespace) -> Path:
    """``cow-export clip --arch A --pretrained P``: loads the open_clip model, applies any
    patching, writes the bundle with the model's own tokenizer and normalisation."""
    if args.state_dict is not None or args.config is not None or args.tokenizer is not None:
        raise ValueError("--arch/--pretrained replace --state-dict, --config and --tokenizer; give one set")
    model = load_pretrained(args.arch, args.pretrained)
    params = apply_patches(model.params, args)
    with tempfile.TemporaryDirectory() as tmp:
        tok = write_clip_tokenizer(model.merges_file, Path(tmp) / "tokenizer.json")
        return export_bundle(
            params,
            model.config,
            tok,
            args.out,
            name=args.name or f"{args.arch}-{args.pretrained or 'random'}",
            pad_id=args.pad_id,
            thresholds=model.thresholds,
            fp16=args.fp16,
            image_mean=model.mean,
            image_std=model.std,
        )


def run_public_command(args: argparse.Namespace) -> str:
    """Runs ``patch``; returns the line to print."""
    if args.command == "patch":
        if not wants_patch(args):
            raise PatchError("patch needs --alpha/--finetuned, --task-vector/--scale or --average")
        patched = apply_patches(load_state_dict(args.base), args)
        save_npz(patched, args.out)
        return f"wrote patched state dict {args.out} ({len(patched)} tensors)"
    raise ValueError(f"unknown command {args.command!r}")
