"""cow's per-episode metrics (``agent::eval::metrics``) on an episode result's
fields, for the tests that hold a simulator's own measures against them."""

from __future__ import annotations

from typing import Any


def cow_spl(r: dict[str, Any]) -> float:
    """cow's SPL of an episode result (agent::eval::metrics::spl)."""
    if not r["success"]:
        return 0.0
    denom = max(r["path_length"], r["shortest_path_length"])
    return 1.0 if denom <= 0 else float(r["shortest_path_length"] / denom)


def cow_soft_spl(r: dict[str, Any]) -> float:
    """cow's SoftSPL of an episode result (agent::eval::metrics::soft_spl)."""
    d0, dt, p = r["initial_distance_to_goal"], r["distance_to_goal"], r["path_length"]
    if d0 <= 0:
        return 1.0 if dt <= 0 else 0.0
    return float(max(0.0, 1.0 - dt / d0) * d0 / max(d0, p))
