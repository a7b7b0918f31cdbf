"""The soak's curve: resident memory (and open descriptors) against time, PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cow_tools.soak.sample import Sample
from cow_tools.soak.stats import Summary


def plot(samples: Sequence[Sample], summary: Summary, title: str, out: Path) -> Path:
    """Writes the curve to ``out`` (PNG) with the warm-up and the fitted slope marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [s.t / 60 for s in samples]
    fig, (ax, fds) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True, height_ratios=[3, 1])
    ax.plot(minutes, [s.rss_bytes / 2**20 for s in samples], lw=1.2, color="#1f5f99")
    ax.axvline(summary.warmup_s / 60, color="grey", ls=":", lw=1)
    ax.set_ylabel("resident memory (MiB)")
    ax.set_title(
        f"{title}\nafter warm-up: {summary.rss_start_mb:.0f} -> {summary.rss_end_mb:.0f} MiB, "
        f"slope {summary.slope_mb_per_hour:+.2f} MiB/h",
        fontsize=10,
    )
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    fds.plot(minutes, [s.fds for s in samples], lw=1, color="#995f1f", label="descriptors")
    fds.plot(minutes, [s.sockets for s in samples], lw=1, color="#5f991f", label="sockets")
    fds.set_xlabel("minutes")
    fds.set_ylabel("open")
    fds.set_ylim(bottom=0)
    fds.legend(fontsize=8, loc="lower right")
    fds.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
