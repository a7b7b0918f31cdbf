"""End to end: cow through the RoboTHOR bridge, ai2thor's real Controller and a
fake AI2-THOR build, against cow's embedded world directly.

Processes (all stopped in ``finally`` blocks):

1. ``cow sim serve --split test --episodes N``: a test-world server
   (``capabilities.test_world``) of the embedded houses;
2. ``cow sim episodes --split test --count N --format robothor --out DIR``:
   the same episodes as RoboTHOR challenge files;
3. ``python -m cow_bridge.cli thor --episodes DIR --build "python -m
   cow_bridge.testing.fake_thor --world ..."``: the bridge, whose real
   ``ai2thor.controller.Controller`` launches the fake build, which renders
   the houses through the test-world server; camera settings equal the
   embedded camera's (224 x 224, fov 90; camera height and depth range come
   from the build's metadata and Initialize reply);
4. ``cow run --sim tcp://<bridge>`` and ``cow run --sim embedded`` with the
   oracle localizer, then ``cow eval``.

Checked: both servers announce the same camera (in f32, as cow reads it);
every episode takes the same actions through the bridge as in the embedded
world (the agent sees the same frames and poses); success is the same and
goals are found; ai2thor's ``compute_spl`` over the bridge's paths (THOR
frame), the challenge files' shortest paths and the successes equals the SPL
``cow eval`` reports, and each record's ``measures["spl"]`` is ai2thor's
``compute_single_spl`` of its episode.

Needs ai2thor (the ``thor`` extra) and the cow binary: ``$COW_BIN``, else
``target/debug/cow`` of the repository; fails, never skips, without them.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import ai2thor.util.metrics  # type: ignore[import-untyped]
import pytest
from end_to_end import (
    REPO,
    as_f32,
    cow_binary,
    free_port,
    process,
    records,
    run,
    wait_for_hello,
)

from cow_bridge.frames import world_to_thor

EPISODES = 12
MAX_STEPS = 100


def test_cow_through_the_thor_bridge_acts_as_in_the_embedded_world(tmp_path: Path) -> None:
    cow = str(cow_binary())
    config = str(REPO / "configs" / "embedded.toml")
    world = f"tcp://127.0.0.1:{free_port()}"
    bridge = f"tcp://127.0.0.1:{free_port()}"
    challenge = tmp_path / "robothor"
    run([cow, "sim", "episodes", "--config", config, "--split", "test", "--count",
         str(EPISODES), "--format", "robothor", "--out", str(challenge)])  # fmt: skip
    files = sorted((challenge / "episodes").glob("*.json.gz"))
    assert files, f"no challenge files under {challenge}"
    challenge_episodes = {
        e["id"]: e for f in files for e in json.loads(gzip.decompress(f.read_bytes()))
    }
    assert len(challenge_episodes) == EPISODES

    fake_build = f"{sys.executable} -m cow_bridge.testing.fake_thor --world {world}"
    bridge_cmd = [
        sys.executable, "-m", "cow_bridge.cli", "thor", "--split", "test",
        "--episodes", str(challenge), "--build", fake_build, "--x-display", ":0",
        "--width", "224", "--height", "224", "--field-of-view", "90",
        "--grid-size", "0.25", "--rotate-step", "30", "--visibility-distance", "1.0",
        "--camera-height", "auto", "--semantic", "--bind", bridge,
    ]  # fmt: skip
    # ai2thor writes the build's log under ~/.ai2thor: keep it in the test's folder.
    bridge_env = {**os.environ, "HOME": str(tmp_path / "home")}
    world_log, bridge_log = tmp_path / "world.log", tmp_path / "bridge.log"
    thor_log = tmp_path / "home" / ".ai2thor" / "log" / "unity.log"
    through_bridge, embedded = tmp_path / "bridge-run", tmp_path / "embedded-run"
    common = ["--config", config, "--localizer", "oracle", "--episodes", str(EPISODES),
              "--max-steps", str(MAX_STEPS), "-q"]  # fmt: skip
    world_cmd = [cow, "sim", "serve", "--config", config, "--bind", world,
                 "--split", "test", "--episodes", str(EPISODES)]  # fmt: skip
    with process(world_cmd, world_log) as world_proc:
        world_caps = wait_for_hello(world, world_proc, world_log)
        assert world_caps.get("test_world") is True
        with process(bridge_cmd, bridge_log, bridge_env) as bridge_proc:
            bridge_caps = wait_for_hello(bridge, bridge_proc, bridge_log)
            assert as_f32(bridge_caps["camera"]) == as_f32(world_caps["camera"])
            assert bridge_caps["action_space"] == world_caps["action_space"]
            embedded_run = subprocess.Popen(
                [cow, "run", *common, "--sim", "embedded", "--split", "test",
                 "--out", str(embedded)],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            try:
                run([cow, "run", *common, "--sim", bridge, "--out", str(through_bridge)], 300)
                assert embedded_run.wait(timeout=120) == 0, embedded_run.communicate()[1]
            except BaseException:
                logs = [p for p in (bridge_log, thor_log) if p.exists()]
                print("\n".join(f"--- {p}\n{p.read_text()[-5000:]}" for p in logs))
                raise
            finally:
                if embedded_run.poll() is None:
                    embedded_run.kill()
                    embedded_run.wait()

    mine, theirs = records(through_bridge), records(embedded)
    assert sorted(mine) == sorted(theirs) == sorted(challenge_episodes)
    for episode_id, record in mine.items():
        ours = [a["action"] for a in record["result"]["actions"]]
        ref = [a["action"] for a in theirs[episode_id]["result"]["actions"]]
        assert ours == ref, (
            f"{episode_id}: the actions differ from step {first_difference(ours, ref)}"
        )
        ours_result, ref_result = record["result"], theirs[episode_id]["result"]
        # The poses went THOR frame and back (f64), then f32: exactly the embedded ones.
        assert ours_result["path"] == ref_result["path"], episode_id
        for key in ("success", "stopped", "steps", "goal_seen"):
            assert ours_result[key] == ref_result[key], (episode_id, key)
        assert record["outcome"] == theirs[episode_id]["outcome"], episode_id
        # GetShortestPath's corners against the embedded world's distance field.
        for key in ("initial_distance_to_goal", "distance_to_goal", "shortest_path_length"):
            assert ours_result[key] == pytest.approx(ref_result[key], abs=0.05), (episode_id, key)
        assert ours_result["path_length"] == pytest.approx(ref_result["path_length"], abs=1e-4)
    successes = sum(r["result"]["success"] for r in mine.values())
    assert successes >= EPISODES * 3 // 4, f"only {successes} of {EPISODES} goals found"

    # SPL: ai2thor's compute_spl over the bridge's paths against cow eval.
    thor_episodes = []
    for episode_id, record in mine.items():
        path = [world_to_thor((p["x"], p["y"], p["z"])) for p in record["result"]["path"]]
        shortest = challenge_episodes[episode_id]["shortest_path"]
        success = record["result"]["success"]
        thor_episodes.append({"path": path, "shortest_path": shortest, "success": success})
        single = ai2thor.util.metrics.compute_single_spl(path, shortest, success)
        assert record["result"]["measures"]["spl"] == pytest.approx(single, abs=1e-4)
    expected = ai2thor.util.metrics.compute_spl(thor_episodes)
    report = json.loads(run([cow, "eval", str(through_bridge), "--format", "json"]))
    assert report["overall"]["spl"] == pytest.approx(expected, abs=1e-4)
    assert expected > 0.0


def first_difference(a: list[str], b: list[str]) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
