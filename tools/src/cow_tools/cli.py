"""``cow-export``: command line of the exporter.

- ``cow-export clip --state-dict W.npz --config model.json --tokenizer tokenizer.json --out DIR``
  exports an OpenCLIP ViT dual encoder into a bundle;
- ``cow-export fixtures --repo .`` regenerates the Rust test fixtures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cow_tools.bundle import export_bundle
from cow_tools.clip_config import ClipConfig
from cow_tools.fixture import write_all
from cow_tools.state_dict import load_state_dict


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cow-export", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    clip = sub.add_parser("clip", help="export an OpenCLIP ViT dual encoder into a bundle")
    clip.add_argument("--state-dict", type=Path, required=True, help=".npz (or .pt/.bin with torch)")
    clip.add_argument("--config", type=Path, required=True, help="OpenCLIP model-config JSON")
    clip.add_argument("--tokenizer", type=Path, required=True, help="tokenizer.json (HF tokenizers)")
    clip.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    clip.add_argument("--name", default=None, help="bundle name (default: the folder name)")
    clip.add_argument("--pad-id", type=int, default=0, help="padding token id (OpenCLIP: 0)")
    clip.add_argument("--fp16", action="store_true", help="also write float16 graphs for GPUs")
    fx = sub.add_parser("fixtures", help="regenerate agent/tests/fixtures")
    fx.add_argument("--repo", type=Path, default=Path("."), help="repository root")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "clip":
            cfg = ClipConfig.load(args.config)
            params = load_state_dict(args.state_dict)
            out = export_bundle(
                params,
                cfg,
                args.tokenizer,
                args.out,
                name=args.name or args.out.name,
                pad_id=args.pad_id,
                fp16=args.fp16,
            )
            print(f"wrote bundle {out}")
        elif args.command == "fixtures":
            write_all(args.repo)
            print(f"wrote fixtures under {args.repo / 'agent/tests/fixtures'}")
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        print(f"cow-export: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
