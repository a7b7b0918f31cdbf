"""The agent soak: one ``cow run`` of many embedded episodes with the shipped
learned localizer, sampled every ``period`` seconds."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cow_tools.soak.sample import Sample, read

SHIPPED = Path("configs/embedded.toml")
"""The shipped configuration (dense localizer over models/cow-embedded)."""


def soak_config(shipped: Path, count: int, out: Path) -> Path:
    """The shipped configuration with ``sim.count = count``, written to ``out``."""
    text = shipped.read_text()
    line = "\ncount = 200\n"
    if line not in text:
        raise ValueError(f"{shipped} has no `count = 200` line under [sim] to raise to {count}")
    out.write_text(text.replace(line, f"\ncount = {count}\n", 1))
    return out


@dataclass(frozen=True)
class RunOutcome:
    """What the soaked run left."""

    exit_code: int
    episodes_asked: int
    records: int
    """Episode result files in the run directory."""
    distinct_ids: int
    """Distinct episode ids among the records (each must appear once; an episode
    that failed with an error has no record)."""


def count_records(run_dir: Path) -> tuple[int, int]:
    """(records, distinct episode ids) of a run directory."""
    ids = [
        str(json.loads(f.read_text())["episode"]["id"]) for f in sorted((run_dir / "episodes").glob("*.json"))
    ]
    return (len(ids), len(set(ids)))


def run(
    cow: Path,
    config: Path,
    episodes: int,
    out: Path,
    workers: int,
    period: float,
    log: Path,
    on_sample: Callable[[Sample], None] = lambda s: None,
) -> tuple[list[Sample], RunOutcome]:
    """Runs ``cow run`` and samples it until it exits."""
    cmd = [
        str(cow),
        "run",
        "--config",
        str(config),
        "--episodes",
        str(episodes),
        "--workers",
        str(workers),
        "--out",
        str(out),
        "-q",
    ]
    samples: list[Sample] = []
    t0 = time.monotonic()
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
        try:
            while proc.poll() is None:
                s = read(proc.pid, t0)
                if s.rss_bytes:
                    samples.append(s)
                    on_sample(s)
                deadline = time.monotonic() + period
                while proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(min(0.2, period))
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    records, distinct = count_records(out)
    return samples, RunOutcome(proc.returncode, episodes, records, distinct)
