"""``make bench``: every benchmark of BENCHMARKS.md in one run, into one report.

    python -m cow_tools.bench_report --out runs/bench [--quick] [--torch-python PY]

Runs, from the repository root, with the release build of ``cow``:

1. the criterion benches (embedded simulator, protocol and wire throughput against
   a plain copy, the maps pipeline, the agent step), read back from
   ``target/criterion/*/new/{benchmark,estimates}.json``;
2. the per-step agent cost: 20 recorded oracle episodes at 224 x 224 and at
   672 x 672 replayed through ``cow bench replay`` (map, frontiers, planning);
3. localization quality and latency per localizer (``cow bench localize``);
4. whole episodes per hour, 1 and 2 workers (``cow run``, oracle and dense);
5. with ``--torch-python`` (an interpreter with torch and open_clip, e.g. the
   ``make test-export`` venv): ONNX Runtime against PyTorch eager on the same
   weights, one thread (``cow_tools.bench_cpu``).

Writes ``OUT/report.md`` (machine, date, commit, load, and one table per part)
and every command's output under ``OUT/logs/``. Figures taken on a loaded
machine are pessimistic: the report states the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


@dataclass
class Report:
    """The report being assembled."""

    out: Path
    quick: bool
    sections: list[str] = field(default_factory=list)

    def log(self, name: str) -> Path:
        """The log file of one command."""
        (self.out / "logs").mkdir(parents=True, exist_ok=True)
        return self.out / "logs" / f"{name}.log"

    def run(self, name: str, cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[str, float]:
        """Runs ``cmd``; returns its output and wall seconds. Fails on a non-zero exit."""
        print(f"[bench] {name}: {' '.join(cmd)}", flush=True)
        t0 = time.monotonic()
        done = subprocess.run(list(cmd), capture_output=True, text=True, env={**os.environ, **(env or {})})
        seconds = time.monotonic() - t0
        text = done.stdout + done.stderr
        self.log(name).write_text(text)
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed (exit {done.returncode}); see {self.log(name)}")
        return text, seconds

    def add(self, title: str, body: str) -> None:
        """Adds a section."""
        self.sections.append(f"## {title}\n\n{body.rstrip()}\n")


def machine() -> str:
    """The machine, as the report's header states it."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} x {cpu}{mem}, {platform.system()} {platform.release()}, {rustc}"


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


# ------------------------------------------------------------------ criterion


def _fmt_ns(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def _fmt_rate(bytes_per_iter: int, ns: float) -> str:
    gib = bytes_per_iter / (ns * 1e-9) / 2**30
    return f"{gib:.2f} GiB/s"


def criterion_rows(root: Path) -> list[tuple[str, float, str]]:
    """(benchmark id, median ns, throughput) of every criterion result under ``root``."""
    rows: list[tuple[str, float, str]] = []
    for bench in sorted(root.glob("**/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        ns = float(est["median"]["point_estimate"])
        thr = meta.get("throughput") or {}
        rate = ""
        if "Bytes" in thr:
            rate = _fmt_rate(int(thr["Bytes"]), ns)
        elif "Elements" in thr:
            rate = f"{int(thr['Elements']) / (ns * 1e-9):,.0f} /s"
        rows.append((str(meta["full_id"]), ns, rate))
    return rows


def criterion(r: Report, cargo: str) -> None:
    """The criterion benches, one table."""
    root = Path("target/criterion")
    shutil.rmtree(root, ignore_errors=True)
    timing = ["--warm-up-time", "1", "--measurement-time", "2" if r.quick else "4"]
    benches = [
        ("embedded", "sim"),
        ("sim_bridge", "protocol"),
        ("maps", "pipeline"),
        ("agent", "agent_step"),
    ]
    for crate, bench in benches:
        r.run(f"criterion-{crate}-{bench}", [cargo, "bench", "-p", crate, "--bench", bench, "--", *timing])
    rows = criterion_rows(root)
    table = ["| benchmark | median per iteration | throughput |", "|---|---|---|"]
    table += [f"| `{name}` | {_fmt_ns(ns)} | {rate} |" for name, ns, rate in rows]
    ratio = []
    for side in (224, 672):
        by = {n.split("/", 1)[1]: ns for n, ns, _ in rows if n.startswith(f"rgbd_{side}x{side}/")}
        if "memcpy" in by:
            ratio.append(
                f"- RGB-D {side} x {side}: "
                + ", ".join(
                    f"{t} {by[f'step_{t}'] / by['memcpy']:.1f}x a plain copy"
                    for t in ("inproc", "ipc", "tcp")
                    if f"step_{t}" in by
                )
            )
    cmd = " ; ".join(f"`cargo bench -p {c} --bench {b} -- {' '.join(timing)}`" for c, b in benches)
    r.add("Criterion benches", f"{cmd}\n\n" + "\n".join(table) + ("\n\n" + "\n".join(ratio) if ratio else ""))


# ------------------------------------------------------------------ cow commands


def _config_with(shipped: Path, out: Path, side: int) -> Path:
    """The shipped configuration with the embedded camera at ``side`` x ``side``."""
    text = shipped.read_text()
    section = text.find("\n[sim.embedded]\n")
    if section < 0:
        raise ValueError(f"{shipped}: no [sim.embedded] section with width = 224 and height = 224")
    head, body = text[:section], text[section:]
    for key in ("width", "height"):
        body, n = re.subn(rf"\n{key} = 224\n", f"\n{key} = {side}\n", body, count=1)
        if n != 1:
            raise ValueError(f"{shipped}: no [sim.embedded] section with width = 224 and height = 224")
    out.write_text(head + body)
    return out


def step_cost(r: Report, cow: str) -> None:
    """Per-step agent cost from replayed recordings, 224 and 672."""
    episodes = "5" if r.quick else "20"
    parts = []
    for side in (224, 672):
        work = r.out / f"step{side}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        config = _config_with(Path("configs/embedded.toml"), work / "config.toml", side)
        r.run(
            f"record-{side}",
            [
                cow,
                "run",
                "-q",
                "--config",
                str(config),
                "--localizer",
                "oracle",
                "--episodes",
                episodes,
                "--workers",
                "1",
                "--out",
                str(work / "run"),
                "--record",
                str(work / "rec"),
            ],
        )
        text, _ = r.run(
            f"replay-{side}", [cow, "bench", "replay", "--config", str(config), str(work / "rec")]
        )
        shutil.rmtree(work / "rec", ignore_errors=True)  # 60 MB per episode
        parts.append(f"{side} x {side}:\n\n```\n{text.strip()}\n```")
    r.add(
        "Per-step agent cost (map + frontiers + planning), one thread",
        f"`cow run --localizer oracle --episodes {episodes} --workers 1 --record DIR` at each "
        "size, then `cow bench replay DIR`. The original implementation: map update 67 ms, "
        "planning 3.7 ms per step at 224 x 224 (shared/reference/peer-baselines.md).\n\n"
        + "\n\n".join(parts),
    )


def localize(r: Report, cow: str) -> None:
    """``cow bench localize``: per localizer, accuracy and ms per frame."""
    count = "20" if r.quick else "100"
    js = r.out / "localize.json"
    text, _ = r.run(
        "localize",
        [
            cow,
            "bench",
            "localize",
            "--count",
            count,
            "--localizers",
            "oracle,patch,grad,dense",
            "--json",
            str(js),
        ],
    )
    r.add(
        "Localization on rendered test views (CPU, one thread)",
        f"`cow bench localize --count {count} --localizers oracle,patch,grad,dense`\n\n"
        f"```\n{text.strip()}\n```",
    )


_EPISODES = re.compile(r"(\d+) episode")


def episodes_per_hour(r: Report, cow: str) -> None:
    """Whole embedded episodes per hour, 1 and 2 workers."""
    rows = [
        "| localizer | episodes | workers | wall | episodes/hour | 2 workers / 1 |",
        "|---|---|---|---|---|---|",
    ]
    plan = [("oracle", 20 if r.quick else 100), ("dense", 6 if r.quick else 20)]
    for localizer, n in plan:
        base = None
        for workers in (1, 2):
            out = r.out / f"eph-{localizer}-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            _, seconds = r.run(
                f"episodes-{localizer}-{workers}",
                [
                    cow,
                    "run",
                    "-q",
                    "--localizer",
                    localizer,
                    "--episodes",
                    str(n),
                    "--workers",
                    str(workers),
                    "--out",
                    str(out),
                ],
            )
            got = len(list((out / "episodes").glob("*.json")))
            if got != n:
                raise RuntimeError(f"cow run --workers {workers} wrote {got} of {n} records")
            base = base or seconds
            rows.append(
                f"| {localizer} | {n} | {workers} | {seconds:.1f} s | {n * 3600 / seconds:,.0f} |"
                f" {base / seconds:.2f}x |"
            )
    r.add(
        "Whole episodes per hour (embedded, shipped config)",
        "`cow run --localizer L --episodes N --workers W --out DIR`, wall time of the command\n\n"
        + "\n".join(rows),
    )


def torch_vs_onnx(r: Report, python: str) -> None:
    """ONNX Runtime against PyTorch eager on the same weights (CPU, one thread)."""
    js = r.out / "bench_cpu.json"
    runs = "10" if r.quick else "30"
    text, _ = r.run(
        "bench-cpu",
        [python, "-m", "cow_tools.bench_cpu", "--arch", "ViT-B-32", "--runs", runs, "--json", str(js)],
        env={"OMP_NUM_THREADS": "1"},
    )
    r.add(
        "ViT-B/32 image tower: ONNX Runtime against PyTorch eager (CPU, one thread)",
        f"`{Path(python).name} -m cow_tools.bench_cpu --arch ViT-B-32 --runs {runs}`\n\n"
        f"```\n{text.strip()}\n```",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    p = argparse.ArgumentParser(prog="python -m cow_tools.bench_report", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("runs/bench"))
    p.add_argument("--cow", default="target/release/cow")
    p.add_argument("--cargo", default=os.environ.get("CARGO", "cargo"))
    p.add_argument("--quick", action="store_true", help="fewer episodes and samples (minutes)")
    p.add_argument("--torch-python", help="interpreter with torch + open_clip for part 5")
    p.add_argument(
        "--only",
        default="criterion,step,localize,episodes,torch",
        help="comma-separated parts to run (criterion, step, localize, episodes, torch)",
    )
    a = p.parse_args(argv)
    if not Path("Cargo.toml").is_file() or not Path("configs/embedded.toml").is_file():
        p.error("run from the repository root")
    if not Path(a.cow).is_file():
        p.error(f"no cow binary at {a.cow} (cargo build --release --bin cow)")
    only = set(a.only.split(","))
    a.out.mkdir(parents=True, exist_ok=True)
    r = Report(a.out, a.quick)
    started = datetime.now(timezone.utc)
    load_before = load()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout.strip()
    if "criterion" in only:
        criterion(r, a.cargo)
    if "step" in only:
        step_cost(r, a.cow)
    if "localize" in only:
        localize(r, a.cow)
    if "episodes" in only:
        episodes_per_hour(r, a.cow)
    if "torch" in only:
        if a.torch_python:
            torch_vs_onnx(r, a.torch_python)
        else:
            r.add(
                "ONNX Runtime against PyTorch eager",
                "Not run: no `--torch-python` (`make bench TORCH_PYTHON=...`, e.g. the "
                "`make test-export` venv's interpreter).",
            )
    header = (
        f"# cow benchmark report\n\n- date: {started:%Y-%m-%d %H:%M} UTC "
        f"({(datetime.now(timezone.utc) - started).total_seconds() / 60:.1f} min)\n"
        f"- machine: {machine()}\n- commit: {commit}{' (with uncommitted changes)' if dirty else ''}\n"
        f"- load average before: {load_before}; after: {load()}\n"
        f"- mode: {'quick' if a.quick else 'full'}\n"
    )
    report = a.out / "report.md"
    report.write_text(header + "\n" + "\n".join(r.sections))
    print(f"[bench] report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
