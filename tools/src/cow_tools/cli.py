"""``cow-export``: command line of the exporter.

- ``cow-export clip --state-dict W.npz --config model.json --tokenizer tokenizer.json --out DIR``
  exports an OpenCLIP ViT dual encoder into a bundle;
- ``cow-export clip --arch ViT-B-32 --pretrained openai --out DIR`` does the same for a public
  open_clip model (torch, open_clip and the internet needed);
- both take weight-space patching options (``--alpha A --finetuned CKPT``,
  ``--task-vector CKPT --scale L`` repeated, ``--average CKPT...``), applied before export;
- ``cow-export patch --base CKPT [patching options] --out W.npz`` writes a patched state dict;
- ``cow-export owlvit --model google/owlvit-base-patch32 --out DIR`` exports OWL-ViT;
- ``--fast`` adds the fused (``image_opt.onnx``) and int8 (``image_int8.onnx``) image graphs;
- ``cow-export fixtures --repo .`` regenerates the Rust test fixtures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cow_tools.bundle import export_bundle
from cow_tools.clip_config import ClipConfig
from cow_tools.fixture import write_all
from cow_tools.patch_args import add_patch_arguments, apply_patches
from cow_tools.public_cli import add_public_commands, export_clip_pretrained, run_public_command
from cow_tools.state_dict import load_state_dict


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cow-export", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    clip = sub.add_parser("clip", help="export an OpenCLIP ViT dual encoder into a bundle")
    clip.add_argument("--state-dict", type=Path, help=".npz (or .pt/.bin with torch)")
    clip.add_argument("--config", type=Path, help="OpenCLIP model-config JSON")
    clip.add_argument("--tokenizer", type=Path, help="tokenizer.json (HF tokenizers)")
    clip.add_argument("--arch", help="open_clip architecture (ViT-B-32, ViT-B-16, ViT-L-14); needs torch")
    clip.add_argument(
        "--pretrained", help="open_clip pretrained tag (openai, laion2b_s34b_b79k, ...) or file"
    )
    clip.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    clip.add_argument("--name", default=None, help="bundle name (default: the folder name)")
    clip.add_argument("--pad-id", type=int, default=0, help="padding token id (OpenCLIP: 0)")
    clip.add_argument("--fp16", action="store_true", help="also write float16 graphs for GPUs")
    clip.add_argument(
        "--fast", action="store_true", help="also write the fused image_opt.onnx and the int8 image_int8.onnx"
    )
    add_patch_arguments(clip)
    fx = sub.add_parser("fixtures", help="regenerate agent/tests/fixtures")
    fx.add_argument("--repo", type=Path, default=Path("."), help="repository root")
    add_public_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "clip" and args.arch:
            out = export_clip_pretrained(args)
            print(f"wrote bundle {out}")
        elif args.command == "clip":
            for flag, value in (("--state-dict", args.state_dict), ("--config", args.config)):
                if value is None:
                    raise ValueError(f"clip export needs {flag} (or --arch/--pretrained)")
            if args.tokenizer is None:
                raise ValueError("clip export needs --tokenizer (or --arch/--pretrained)")
            cfg = ClipConfig.load(args.config)
            params = apply_patches(load_state_dict(args.state_dict), args)
            out = export_bundle(
                params,
                cfg,
                args.tokenizer,
                args.out,
                name=args.name or args.out.name,
                pad_id=args.pad_id,
                fp16=args.fp16,
                fast=args.fast,
            )
            print(f"wrote bundle {out}")
        elif args.command == "fixtures":
            write_all(args.repo)
            print(f"wrote fixtures under {args.repo / 'agent/tests/fixtures'}")
        else:
            print(run_public_command(args))
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        print(f"cow-export: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
