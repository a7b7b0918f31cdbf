"""cow's SPL equals ai2thor's ``compute_spl`` on the same records.

A small hand-made run (a success with a longer path, a success at the goal
with zero-length paths, a success whose path is shorter than the geodesic,
a failure) goes through ``cow eval --format json`` and, exported with
``cow eval --export cow DIR`` into CoW's own record format, through
``ai2thor.util.metrics.compute_spl`` (pure Python, no simulator). Positions
are multiples of 0.25 m, exact in binary, so both sides sum the same lengths.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ai2thor.util.metrics  # type: ignore[import-untyped]
import pytest
from end_to_end import cow_binary, run


def record(eid: str, shortest: float, moves: int, success: bool) -> dict[str, Any]:
    """A cow-episode-v1 record: `moves` steps of 0.25 m along +x, then Stop."""
    path = [{"x": 0.25 * i, "y": 0.0, "z": 0.0, "yaw": 0.0} for i in range(moves + 1)]
    actions = [{"action": "MoveAhead", "success": True}] * moves + [
        {"action": "Stop", "success": True}
    ]
    timing = {
        "n": 0,
        "median_ms": 0.0,
        "p90_ms": 0.0,
        "p99_ms": 0.0,
        "max_ms": 0.0,
        "mean_ms": 0.0,
    }
    return {
        "format": "cow-episode-v1",
        "episode": {
            "id": eid,
            "scene": "hand",
            "object_type": "Mug",
            "goal": "mug",
            "initial_position": {"x": 0.0, "y": 0.0, "z": 0.0},
            "initial_orientation": 0.0,
            "shortest_path_length": shortest,
            "rooms": 1,
        },
        "agent": "cow",
        "localizer": "oracle",
        "max_steps": 500,
        "result": {
            "episode_id": eid,
            "success": success,
            "stopped": True,
            "distance_to_goal": 0.0 if success else 3.0,
            "initial_distance_to_goal": shortest,
            "shortest_path_length": shortest,
            "path_length": 0.25 * moves,
            "steps": moves + 1,
            "goal_seen": success,
            "path": path,
            "actions": actions,
        },
        "outcome": "success" if success else "vision_failure",
        "timing": {
            k: timing for k in ("agent", "localize", "map", "frontier", "plan", "act", "sim")
        }
        | {"wall_s": 0.0},
    }


HAND_MADE = [
    record("longer-path", 1.5, 8, True),  # l = 1.5, p = 2.0: 0.75
    record("at-the-goal", 0.0, 0, True),  # l = p = 0: 1 by ai2thor's convention
    record("shortcut", 2.0, 6, True),  # p = 1.5 < l: l / max(p, l) = 1
    record("failure", 1.0, 4, False),  # 0
]


def test_cow_spl_equals_ai2thor_compute_spl(tmp_path: Path) -> None:
    cow = str(cow_binary())
    episodes = tmp_path / "run" / "episodes"
    episodes.mkdir(parents=True)
    for r in HAND_MADE:
        (episodes / f"{r['episode']['id']}.json").write_text(json.dumps(r))
    exported = tmp_path / "cow-format"
    out = json.loads(
        run(
            [
                cow,
                "eval",
                str(tmp_path / "run"),
                "--format",
                "json",
                "--export",
                "cow",
                str(exported),
            ]
        )
    )
    theirs = [json.loads(p.read_text()) for p in sorted(exported.glob("*.json"))]
    assert len(theirs) == len(HAND_MADE)
    ai2thor_spl = ai2thor.util.metrics.compute_spl(
        [
            {
                "path": t["episode_result"]["path"],
                "shortest_path": t["episode_result"]["shortest_path"],
                "success": t["episode_result"]["success"],
            }
            for t in theirs
        ]
    )
    expected = (0.75 + 1.0 + 1.0 + 0.0) / 4
    assert ai2thor_spl == pytest.approx(expected, abs=1e-12)
    assert out["overall"]["spl"] == pytest.approx(ai2thor_spl, abs=1e-9)
    # The export is CoW's format: trajectory with THOR rotation, the actions, the flags.
    one = next(t for t in theirs if t["episode_result"]["success"] is False)
    metrics = one["episode_metrics"]
    assert metrics["vision_error_in_case_of_fail"] is True
    assert [a["action"] for a in metrics["actions_taken"]][-1] == "Stop"
    assert set(metrics["trajectory"][0]) == {"x", "y", "z", "rotation", "horizon"}
