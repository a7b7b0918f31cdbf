"""``python -m cow_tools.soak agent|serve``: run a soak, write its samples (CSV), its
figures (JSON) and its curve (PNG) into ``--out``.

    python -m cow_tools.soak agent --cow target/release/cow --episodes 1000 --out runs/soak
    python -m cow_tools.soak serve --cow target/release/cow --requests 10000 --clients 4 --out runs/soak

Run from the repository root (the agent soak reads ``configs/embedded.toml``).
Exit status 1 when the soak finds a fault: episodes lost or recorded twice, the
run or the server failing, a bad request answered as good, descriptors growing.
"""

from __future__ import annotations

import argparse
import csv
import json
import socket
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from cow_tools.soak import agent, server
from cow_tools.soak.plot import plot
from cow_tools.soak.sample import Sample
from cow_tools.soak.stats import Summary, summarize


def _write_samples(samples: Sequence[Sample], out: Path) -> None:
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t_s", "rss_bytes", "fds", "sockets"])
        for s in samples:
            w.writerow([f"{s.t:.2f}", s.rss_bytes, s.fds, s.sockets])


def _free_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def _fd_growth(summary: Summary, slack: int) -> list[str]:
    if summary.fds_max - summary.fds_min > slack:
        return [f"open descriptors grew from {summary.fds_min} to {summary.fds_max} after warm-up"]
    return []


def _progress(s: Sample) -> None:
    print(
        f"  t={s.t:7.0f} s  rss={s.rss_bytes / 2**20:7.1f} MiB  fds={s.fds}  sockets={s.sockets}",
        flush=True,
    )


def _agent(a: argparse.Namespace) -> int:
    a.out.mkdir(parents=True, exist_ok=True)
    config = agent.soak_config(agent.SHIPPED, a.episodes, a.out / "soak.toml")
    run_dir = a.out / "run"
    samples, outcome = agent.run(
        a.cow, config, a.episodes, run_dir, a.workers, a.period, a.out / "run.log", _progress
    )
    if not samples:
        print("no samples: the run ended before the first one", file=sys.stderr)
        return 1
    summary = summarize(samples, a.warmup)
    faults = _fd_growth(summary, a.fd_slack)
    if outcome.exit_code != 0:
        faults.append(f"cow run exited {outcome.exit_code} (see {a.out / 'run.log'})")
    if outcome.records != outcome.episodes_asked or outcome.distinct_ids != outcome.records:
        faults.append(
            f"{outcome.records} records ({outcome.distinct_ids} distinct) for "
            f"{outcome.episodes_asked} episodes"
        )
    title = f"cow run: {a.episodes} embedded episodes, dense localizer, {a.workers} worker(s)"
    return _finish(a.out, samples, summary, {"run": asdict(outcome)}, faults, title)


def _serve(a: argparse.Namespace) -> int:
    a.out.mkdir(parents=True, exist_ok=True)
    samples, outcome = server.run(
        a.cow,
        _free_endpoint(),
        a.requests,
        a.clients,
        a.period,
        a.out / "serve.log",
        seed=a.seed,
        on_sample=_progress,
    )
    summary = summarize(samples, a.warmup)
    t = outcome.tally
    faults = _fd_growth(summary, a.fd_slack) + t.wrong
    if not outcome.alive_after or outcome.exit_code != 0:
        faults.append(f"server alive after the soak: {outcome.alive_after}, exit {outcome.exit_code}")
    for kind in server.BAD:
        if kind != "oversized" and t.unanswered[kind]:
            faults.append(f"{t.unanswered[kind]} {kind} request(s) never answered")
    if t.answered["oversized"]:
        faults.append("an oversized request was answered (it should be dropped unread)")
    for kind in server.GOOD:
        if t.unanswered[kind]:
            faults.append(f"{t.unanswered[kind]} good {kind} request(s) never answered")
    figures = {
        "requests": outcome.requests,
        "clients": a.clients,
        "sent": dict(t.sent),
        "answered": dict(t.answered),
        "errors_on_good": dict(t.errors),
        "unanswered": dict(t.unanswered),
    }
    title = f"cow sim serve: {a.requests} mixed requests from {a.clients} clients"
    return _finish(a.out, samples, summary, figures, faults, title)


def _finish(
    out: Path,
    samples: Sequence[Sample],
    summary: Summary,
    extra: dict[str, object],
    faults: list[str],
    title: str,
) -> int:
    _write_samples(samples, out / "samples.csv")
    report = {"title": title, "summary": asdict(summary), **extra, "faults": faults}
    (out / "soak.json").write_text(json.dumps(report, indent=2) + "\n")
    png = plot(samples, summary, title, out / "soak.png")
    print(
        f"{title}: {summary.samples} samples over {summary.seconds:.0f} s; after "
        f"{summary.warmup_s:.0f} s warm-up {summary.rss_start_mb:.1f} -> "
        f"{summary.rss_end_mb:.1f} MiB (max {summary.rss_max_mb:.1f}), slope "
        f"{summary.slope_mb_per_hour:+.2f} MiB/h; descriptors {summary.fds_min}-"
        f"{summary.fds_max}, sockets {summary.sockets_min}-{summary.sockets_max}; {png}"
    )
    for f in faults:
        print(f"fault: {f}", file=sys.stderr)
    return 1 if faults else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    p = argparse.ArgumentParser(prog="python -m cow_tools.soak", description=__doc__)
    sub = p.add_subparsers(dest="what", required=True)
    for name in ("agent", "serve"):
        s = sub.add_parser(name)
        s.add_argument("--cow", type=Path, default=Path("target/release/cow"))
        s.add_argument("--out", type=Path, required=True)
        s.add_argument(
            "--period", type=float, default=10.0 if name == "agent" else 0.5, help="seconds between samples"
        )
        s.add_argument(
            "--warmup",
            type=float,
            default=120.0 if name == "agent" else 2.0,
            help="seconds before the slope is fitted",
        )
        s.add_argument(
            "--fd-slack", type=int, default=8, help="open descriptors may vary this much after warm-up"
        )
    ag = sub.choices["agent"]
    ag.add_argument("--episodes", type=int, default=1000)
    ag.add_argument("--workers", type=int, default=1)
    sv = sub.choices["serve"]
    sv.add_argument("--requests", type=int, default=10_000)
    sv.add_argument("--clients", type=int, default=4)
    sv.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    if not a.cow.is_file():
        p.error(f"no cow binary at {a.cow} (cargo build --release --bin cow, or --cow PATH)")
    return _agent(a) if a.what == "agent" else _serve(a)


if __name__ == "__main__":
    sys.exit(main())
