"""The learning-rate schedule of ``cow-train`` (no torch): linear warm-up, then a cosine to
zero, over a run's progress measured in steps or, with a time budget, in wall-clock time,
whichever is further along."""

from __future__ import annotations

import math


def progress(step: int, steps: int, elapsed_s: float, budget_s: float) -> float:
    """How far through training a run is (1.0 = done): the larger of the step fraction and,
    with a time budget (``budget_s > 0``), the time fraction, so a run cut short by its
    budget still ends its schedule (a cosine that never decays leaves the weights noisy)."""
    frac = step / max(1, steps)
    if budget_s > 0:
        frac = max(frac, elapsed_s / budget_s)
    return frac


def lr_factor(frac: float, warmup: float) -> float:
    """Learning-rate multiplier at progress ``frac``: linear warm-up over the first
    ``warmup`` fraction (never exactly 0), then a cosine down to 0 at ``frac = 1``."""
    if frac < warmup:
        return max(frac / warmup, 1e-3)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (frac - warmup) / max(1e-9, 1 - warmup))))
