"""The exporter's commands for public models (kept apart from ``cli.py``):
``clip --arch/--pretrained``, ``patch`` and ``owlvit``."""

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
    """Adds the ``patch`` and ``owlvit`` subcommands."""
    patch = sub.add_parser("patch", help="write a weight-space patched state dict (.npz)")
    patch.add_argument("--base", type=Path, required=True, help="zero-shot / base checkpoint (.npz or .pt)")
    patch.add_argument("--out", type=Path, required=True, help=".npz file to write")
    add_patch_arguments(patch)
    owl = sub.add_parser("owlvit", help="export an OWL-ViT detector into a bundle (torch, transformers)")
    what = owl.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--model", help="google/owlvit-base-patch32, google/owlvit-base-patch16 or a local folder"
    )
    what.add_argument("--fixture", type=Path, help="write the random tiny_owl test fixture into this folder")
    owl.add_argument("--out", type=Path, help="bundle folder to write (with --model)")
    owl.add_argument("--name", default=None, help="bundle name (default: the model name)")
    owl.add_argument("--fast", action="store_true", help="also write the int8 image graph image_int8.onnx")
    owl.add_argument("--repo", type=Path, default=Path("."), help="repository root (for --fixture)")


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
            fast=args.fast,
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
    if args.command == "owlvit":
        if args.fixture is not None:
            from cow_tools.fixture_owl import write_owl_fixture

            return f"wrote fixture {write_owl_fixture(args.fixture, args.repo)}"
        if args.out is None:
            raise ValueError("owlvit --model needs --out")
        from cow_tools.owlvit import export_pretrained_owl

        return f"wrote bundle {export_pretrained_owl(args.model, args.out, args.name, args.fast)}"
    raise ValueError(f"unknown command {args.command!r}")
