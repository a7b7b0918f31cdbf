#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora, fuzz/seeds/<target>/, from cow's real files.

- request, reply, observation: every golden protocol message
  (sim_bridge/tests/golden/*.json, valid and invalid), framed as the targets
  read an input (fuzz/src/framing.rs: each part a little-endian u32 length
  then its bytes);
- config: the shipped configs/*.toml;
- manifest: the shipped bundle's manifest.json and the test fixtures';
- episodes_cow, episodes_habitat, episodes_robothor: a few embedded episodes
  (one for Habitat, whose files are large) written by `cow sim episodes` in
  each format, plain and gzip;
- recording: the index.json of a 3-action recording by `cow run --record`
  (8 x 6 frames, so that the arrays the target writes stay small), and the
  same index with a relevance block.

Usage: python3 fuzz/make_seeds.py [COW_BIN]  (default target/debug/cow; the
episode and recording seeds need it). Stdlib only; deterministic gzip (mtime 0).
"""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"


def frame(parts: list[bytes]) -> bytes:
    """The fuzz input of a multipart message (fuzz/src/framing.rs join_parts)."""
    return b"".join(struct.pack("<I", len(p)) + p for p in parts)


def put(target: str, name: str, data: bytes) -> None:
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def golden() -> None:
    for path in sorted((ROOT / "sim_bridge" / "tests" / "golden").glob("*.json")):
        g = json.loads(path.read_text())
        parts = [g["header"].encode()] + [bytes.fromhex(h) for h in g["binary_hex"]]
        data = frame(parts)
        target = "request" if g["direction"] == "request" else "reply"
        put(target, path.stem, data)
        if '"type":"observation"' in g["header"] or "observation" in path.stem:
            put("observation", path.stem, data)


def configs() -> None:
    for path in sorted((ROOT / "configs").glob("*.toml")):
        put("config", path.name, path.read_bytes())


def manifests() -> None:
    put("manifest", "cow-embedded.json", (ROOT / "models/cow-embedded/manifest.json").read_bytes())
    for path in sorted((ROOT / "agent/tests/fixtures").glob("*/manifest.json")):
        put("manifest", f"{path.parent.name}.json", path.read_bytes())


def run(cow: Path, *args: str, cwd: Path) -> None:
    subprocess.run([str(cow), "-q", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def episodes(cow: Path, tmp: Path) -> None:
    common = ["sim", "episodes", "--split", "val", "--count", "3"]
    run(cow, *common, "--format", "cow", "--out", str(tmp / "cow.json"), cwd=ROOT)
    plain = (tmp / "cow.json").read_bytes()
    put("episodes_cow", "val3.json", plain)
    put("episodes_cow", "val3.json.gz", gz(plain))
    # One episode: a Habitat file carries every goal's view points (about 20 kB each).
    habitat = ["sim", "episodes", "--split", "val", "--count", "1", "--format", "habitat"]
    run(cow, *habitat, "--out", str(tmp / "habitat"), cwd=ROOT)
    for i, path in enumerate(sorted((tmp / "habitat").rglob("*.json.gz"))):
        raw = path.read_bytes()
        put("episodes_habitat", f"val{i}.json.gz", raw)
        put("episodes_habitat", f"val{i}.json", gzip.decompress(raw))
    run(cow, *common, "--format", "robothor", "--out", str(tmp / "thor"), cwd=ROOT)
    for path in sorted((tmp / "thor").rglob("*.json.gz")):
        raw = path.read_bytes()
        stem = path.name.removesuffix(".json.gz")
        put("episodes_robothor", f"{stem}.json.gz", raw)
        put("episodes_robothor", f"{stem}.json", gzip.decompress(raw))


def recording(cow: Path, tmp: Path) -> None:
    (tmp / "small.toml").write_text(
        '[sim.embedded]\nwidth = 8\nheight = 6\n[agent]\nkind = "cow"\nlocalizer = "oracle"\n'
    )
    run(
        cow,
        "run",
        "--config",
        str(tmp / "small.toml"),
        "--episodes",
        "1",
        "--max-steps",
        "3",
        "--record",
        str(tmp / "rec"),
        "--out",
        str(tmp / "runs"),
        cwd=tmp,
    )
    (index_path,) = sorted((tmp / "rec").glob("*/index.json"))
    raw = index_path.read_bytes()
    put("recording", "index.json", raw)
    index = json.loads(raw)
    if "relevance" not in index:
        index["relevance"] = {
            "file": "relevance.bin",
            "dtype": "<f4",
            "frames": index["frames"] - 1,
            "threshold": 0.25,
            "localizer": "oracle",
        }
        put("recording", "index_relevance.json", json.dumps(index, indent=2).encode())
    index.pop("relevance")
    index["has_semantic"] = False
    put("recording", "index_no_semantic.json", json.dumps(index).encode())


def main() -> None:
    cow = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "target/debug/cow").resolve()
    if SEEDS.exists():
        shutil.rmtree(SEEDS)
    golden()
    configs()
    manifests()
    with tempfile.TemporaryDirectory() as t:
        episodes(cow, Path(t))
        recording(cow, Path(t))
    for d in sorted(SEEDS.iterdir()):
        n = len(list(d.iterdir()))
        size = sum(f.stat().st_size for f in d.iterdir())
        print(f"{d.name}: {n} seeds, {size} bytes")


if __name__ == "__main__":
    main()
