"""The training schedule: warm-up, cosine decay, and a time budget that ends it early."""

from __future__ import annotations

import itertools

import pytest

from cow_tools.train import schedule


def test_progress_follows_steps_without_a_budget() -> None:
    assert schedule.progress(0, 100, 1e9, 0.0) == 0.0
    assert schedule.progress(50, 100, 1e9, 0.0) == pytest.approx(0.5)


def test_progress_follows_whichever_of_steps_and_time_is_further() -> None:
    assert schedule.progress(10, 100, 30.0, 60.0) == pytest.approx(0.5)
    assert schedule.progress(90, 100, 30.0, 60.0) == pytest.approx(0.9)
    assert schedule.progress(10, 100, 61.0, 60.0) > 1.0


def test_lr_factor_warms_up_then_decays_to_zero() -> None:
    assert schedule.lr_factor(0.0, 0.1) == pytest.approx(1e-3)
    assert schedule.lr_factor(0.05, 0.1) == pytest.approx(0.5)
    assert schedule.lr_factor(0.1, 0.1) == pytest.approx(1.0)
    assert schedule.lr_factor(0.55, 0.1) == pytest.approx(0.5)
    assert schedule.lr_factor(1.0, 0.1) == pytest.approx(0.0, abs=1e-12)
    assert schedule.lr_factor(2.0, 0.1) == pytest.approx(0.0, abs=1e-12)
    values = [schedule.lr_factor(f / 100, 0.1) for f in range(10, 101)]
    assert all(a >= b for a, b in itertools.pairwise(values))
