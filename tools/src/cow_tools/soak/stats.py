"""What a soak's samples say: memory slope after warm-up, and growth of open files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cow_tools.soak.sample import Sample


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ``ys`` over ``xs`` (0 for fewer than two points)."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return 0.0
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0.0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


@dataclass(frozen=True)
class Summary:
    """A soak's figures, from the samples after warm-up."""

    samples: int
    seconds: float
    warmup_s: float
    rss_start_mb: float
    """Mean resident memory over the first tenth after warm-up."""
    rss_end_mb: float
    """Mean resident memory over the last tenth."""
    rss_max_mb: float
    slope_mb_per_hour: float
    """Least-squares slope of resident memory after warm-up."""
    fds_min: int
    fds_max: int
    sockets_min: int
    sockets_max: int


def summarize(samples: Sequence[Sample], warmup_s: float) -> Summary:
    """Figures over the samples taken at or after ``warmup_s``."""
    kept = [s for s in samples if s.t >= warmup_s] or list(samples)
    if not kept:
        raise ValueError("no samples")
    tenth = max(1, len(kept) // 10)
    mb = [s.rss_bytes / 2**20 for s in kept]
    return Summary(
        samples=len(samples),
        seconds=samples[-1].t if samples else 0.0,
        warmup_s=warmup_s,
        rss_start_mb=sum(mb[:tenth]) / tenth,
        rss_end_mb=sum(mb[-tenth:]) / tenth,
        rss_max_mb=max(mb),
        slope_mb_per_hour=slope([s.t for s in kept], mb) * 3600.0,
        fds_min=min(s.fds for s in kept),
        fds_max=max(s.fds for s in kept),
        sockets_min=min(s.sockets for s in kept),
        sockets_max=max(s.sockets for s in kept),
    )
