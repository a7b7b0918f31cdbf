"""Latency and duration summaries for the robot node's log and stats file (no rospy)."""

from __future__ import annotations

import math
from typing import Any


class Durations:
    """Collected durations in seconds (the last ``capacity`` kept)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self.values: list[float] = []
        self.count = 0

    def add(self, seconds: float) -> None:
        """Records one duration."""
        self.count += 1
        if len(self.values) >= self.capacity:
            self.values.pop(0)
        self.values.append(seconds)

    def summary(self) -> dict[str, Any]:
        """Count, and median / p90 / max / mean in milliseconds (``None`` when empty)."""
        v = sorted(self.values)
        if not v:
            return {"count": 0, "median_ms": None, "p90_ms": None, "max_ms": None, "mean_ms": None}

        def q(f: float) -> float:
            return 1000.0 * v[min(len(v) - 1, max(0, math.ceil(f * len(v)) - 1))]

        return {
            "count": self.count,
            "median_ms": q(0.5),
            "p90_ms": q(0.9),
            "max_ms": 1000.0 * v[-1],
            "mean_ms": 1000.0 * sum(v) / len(v),
        }
