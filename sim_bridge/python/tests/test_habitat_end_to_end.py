"""cow through the Habitat bridge, end to end, against cow's own embedded world.

Starts ``cow sim serve`` (a test world), writes its episodes as a Habitat
ObjectNav file with ``cow sim episodes --format habitat``, serves them with
``cow-bridge habitat`` over habitat-lab's real Env, ObjectNav task, measures
and dataset loader, rendered by :mod:`cow_bridge.testing.habitat_world`
(``--plugin``), and runs the CoW agent (oracle localizer) through the bridge
and, for comparison, in the embedded world directly. Checks that:

- the bridge announces cow's camera and step sizes, and lists cow's episodes;
- the agent takes the same actions in every episode (it saw the same frames
  and poses through habitat-lab), sees its goal in the same episodes, and the
  goals sit where the embedded world has them;
- habitat-lab's own Success measure passes most episodes;
- habitat-lab's SPL and SoftSPL (``result.measures``) equal what cow's
  evaluation computes from the record's fields, episode by episode and in
  ``cow eval --format json``.

The cow binary is ``$COW_BIN`` (default ``target/debug/cow``); it must
have test-world support. Needs habitat-lab: run it in the habitat venv with
``-m habitat``. Every process it starts is stopped when it ends.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest
from cow_metrics import cow_soft_spl, cow_spl
from end_to_end import as_f32, cow_binary, free_port, process, records, run, wait_for_hello

from cow_bridge import Client

pytestmark = pytest.mark.habitat

EPISODES = 6
MAX_STEPS = 500
TASK = "benchmark/nav/objectnav/objectnav_hm3d.yaml"


def test_cow_through_habitat_lab_acts_as_in_its_own_world(tmp_path: Path) -> None:
    from cow_bridge.testing.habitat_world import ENDPOINT_VARIABLE, matching_overrides

    cow = str(cow_binary())
    config = "configs/embedded.toml"
    world_at = f"tcp://127.0.0.1:{free_port()}"
    bridge_at = f"tcp://127.0.0.1:{free_port()}"
    world_log, bridge_log = tmp_path / "world.log", tmp_path / "bridge.log"
    serve = [cow, "sim", "serve", "--config", config, "--bind", world_at, "--split", "test"]
    with process([*serve, "--episodes", str(EPISODES), "-q"], world_log) as world:
        world_caps = wait_for_hello(world_at, world, world_log)
        assert world_caps.get("test_world") is True, "this cow binary has no test world"
        with Client(world_at) as c:
            world_episodes = c.list_episodes()
        assert len(world_episodes) == EPISODES

        data = tmp_path / "objectnav"
        write = [cow, "sim", "episodes", "--config", config, "--split", "test"]
        run([*write, "--count", str(EPISODES), "--format", "habitat", "--out", str(data)])
        assert (data / "test" / "test.json.gz").is_file()

        bridge_cmd: list[str | os.PathLike[str]] = [
            sys.executable, "-m", "cow_bridge.cli", "habitat", "--config", TASK,
            "--split", "test", "--data-path", str(data / "{split}" / "{split}.json.gz"),
            "--plugin", "cow_bridge.testing.habitat_world", "--bind", bridge_at,
        ]  # fmt: skip
        for o in matching_overrides(world_caps, max_episode_steps=MAX_STEPS):
            bridge_cmd += ["--override", o]
        env = {**os.environ, ENDPOINT_VARIABLE: world_at}
        with process(bridge_cmd, bridge_log, env) as bridge:
            caps = wait_for_hello(bridge_at, bridge, bridge_log)
            # The agent gets the embedded camera and step sizes through habitat-lab's config.
            assert as_f32(caps["camera"]) == as_f32(world_caps["camera"])
            assert as_f32(caps["action_space"]) == as_f32(world_caps["action_space"])
            assert caps["provides_semantic"] and "test_world" not in caps
            with Client(bridge_at) as c:
                bridge_episodes = c.list_episodes()
            # The same episodes, in the same order, converted back from Habitat's frame.
            assert len(bridge_episodes) == EPISODES
            for b, w in zip(bridge_episodes, world_episodes, strict=True):
                assert (b["scene"], b["object_type"]) == (w["scene"], w["object_type"])
                assert as_f32(b["initial_position"]) == as_f32(w["initial_position"])
                turn = (b["initial_orientation"] - w["initial_orientation"]) % 360.0
                assert min(turn, 360.0 - turn) < 1e-4
                assert b["shortest_path_length"] == pytest.approx(w["shortest_path_length"])

            through, direct = tmp_path / "through-habitat", tmp_path / "embedded"
            common = ["--config", config, "--localizer", "oracle", "-q"]
            common += ["--episodes", str(EPISODES), "--max-steps", str(MAX_STEPS)]
            run([cow, "run", *common, "--sim", bridge_at, "--out", str(through)])
            run([cow, "run", *common, "--sim", "embedded", "--split", "test", "--out", str(direct)])
            bridge.send_signal(signal.SIGTERM)
            assert bridge.wait(timeout=10) == 0, bridge_log.read_text()

    d1, d2 = records(through), records(direct)
    assert sorted(d2) == sorted(w["id"] for w in world_episodes)
    assert sorted(d1) == sorted(b["id"] for b in bridge_episodes)
    successes = 0
    for b, w in zip(bridge_episodes, world_episodes, strict=True):
        r1, r2 = d1[b["id"]]["result"], d2[w["id"]]["result"]
        # (a) The same actions: the agent saw the same frames and poses.
        assert r1["actions"] == r2["actions"], b["id"]
        assert r1["path"] == r2["path"], b["id"]
        for key in ("steps", "stopped", "goal_seen"):  # goal_seen: the semantic mapping
            assert r1[key] == r2[key], (b["id"], key)
        goals1, goals2 = (sorted(tuple(g.values()) for g in r["goal_positions"]) for r in (r1, r2))
        assert np.allclose(goals1, goals2, atol=1e-5), b["id"]
        # (b) habitat-lab's own Success decides, and the record carries it.
        m = r1["measures"]
        assert r1["success"] == (m["success"] == 1.0)
        successes += int(m["success"])
        # (c) habitat-lab's SPL and SoftSPL are cow's formulas on the record's fields.
        assert m["spl"] == pytest.approx(cow_spl(r1), abs=1e-4)
        assert m["soft_spl"] == pytest.approx(cow_soft_spl(r1), abs=1e-4)
        assert m["distance_to_goal"] == pytest.approx(r1["distance_to_goal"], abs=1e-4)
        assert r1["shortest_path_length"] == r1["initial_distance_to_goal"]
    assert successes >= EPISODES - 1, f"{successes} of {EPISODES} episodes succeeded"

    overall = json.loads(run([cow, "eval", str(through), "--format", "json", "-q"]))["overall"]
    measures = [d1[b["id"]]["result"]["measures"] for b in bridge_episodes]
    assert overall["episodes"] == EPISODES
    assert overall["spl"] == pytest.approx(np.mean([m["spl"] for m in measures]), abs=1e-4)
    assert overall["soft_spl"] == pytest.approx(
        np.mean([m["soft_spl"] for m in measures]), abs=1e-4
    )
    assert overall["success"] == pytest.approx(successes / EPISODES)
