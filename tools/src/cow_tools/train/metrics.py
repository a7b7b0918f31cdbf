"""Measures shared by the trainer's validation and ``zeroshot``."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def roc_auc(on: NDArray[np.floating], off: NDArray[np.floating]) -> float:
    """ROC AUC of scores ``on`` (positives) against ``off`` (negatives): the share of
    (positive, negative) pairs the positive wins, ties counting half; both must be non-empty."""
    wins = (on[:, None] > off[None, :]).mean()
    ties = (on[:, None] == off[None, :]).mean()
    return float(wins + 0.5 * ties)
