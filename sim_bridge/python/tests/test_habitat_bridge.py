"""The Habitat bridge around habitat-lab's real Env, ObjectNav task, measures and
dataset loader, on a hand-made episode file and an in-test corridor
simulator whose every answer is known: capabilities from the config,
episode conversion, frames, action results, habitat-lab's measures in the
episode result (SPL and SoftSPL equal cow's formulas on the record's
fields), the step limit, typed errors, and the wire. Needs habitat-lab
(``-m habitat`` in the habitat venv); without it these tests fail at import.
"""

from __future__ import annotations

import argparse
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import zmq
from cow_metrics import cow_soft_spl, cow_spl

from cow_bridge import Client
from cow_bridge.frames import habitat_to_world
from cow_bridge.habitat import command
from cow_bridge.protocol import ProtocolError, RemoteError
from cow_bridge.server import Server

if TYPE_CHECKING:
    from cow_bridge.habitat.bridge import HabitatBackend

pytestmark = pytest.mark.habitat

CONFIG = "benchmark/nav/objectnav/objectnav_hm3d.yaml"

# habitat-lab is imported inside the fixtures and tests (through the bridge and
# the in-test corridor of habitat_corridor.py), so that these tests are
# collected, and deselected, in a venv without it.


@pytest.fixture(scope="module")
def data_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    from habitat_corridor import write_dataset

    return write_dataset(tmp_path_factory.mktemp("objectnav"))


def make_backend(
    data_path: str,
    simulator: str = "CowBridgeTestCorridor-v0",
    max_steps: int = 30,
    extra: Sequence[str] = (),
    aliases: dict[str, str] | None = None,
) -> HabitatBackend:
    from habitat_corridor import overrides

    from cow_bridge.habitat.bridge import HabitatBackend, load_config

    config = load_config(CONFIG, "test", data_path, [*overrides(simulator, max_steps), *extra])
    return HabitatBackend(config, aliases)


@pytest.fixture
def backend(data_path: str) -> Iterator[HabitatBackend]:
    b = make_backend(data_path, aliases={"couch": "sofa"})
    yield b
    b.close()


def world(habitat_point: list[float]) -> dict[str, float]:
    x, y, z = habitat_to_world(habitat_point)
    return {"x": x, "y": y, "z": z}


# ---------------------------------------------------------------- tests


def test_the_config_gives_the_capabilities(backend: HabitatBackend) -> None:
    from habitat_corridor import H, W

    caps = backend.hello()
    assert caps["camera"] == {
        "width": W,
        "height": H,
        "fx": 4.0 / math.tan(math.pi / 4),
        "fy": 4.0 / math.tan(math.pi / 4),
        "cx": 4.0,
        "cy": 3.0,
        "hfov_deg": 90.0,
        "camera_height": 1.0,
        "max_depth": 5.0,
    }
    assert caps["action_space"] == {"move_step": 0.25, "turn_step_deg": 30.0}
    assert caps["actions"] == ["MoveAhead", "RotateLeft", "RotateRight", "Stop"]
    assert caps["provides_pose"] and caps["provides_semantic"]
    assert caps["semantic_classes"] == ["nothing", "chair", "sofa", "other"]
    assert caps["success_distance"] == 0.1
    assert (
        caps["simulator"].startswith("habitat-lab 0.3.")
        and "CowBridgeTestCorridor-v0" in (caps["simulator"])
    )
    assert "test_world" not in caps


def test_the_stock_hm3d_config_as_cow_sees_it() -> None:
    from cow_bridge.habitat import convert
    from cow_bridge.habitat.bridge import load_config

    config = load_config(CONFIG, "val")
    sensors = config.habitat.simulator.agents.main_agent.sim_sensors
    cam = convert.camera(sensors.rgb_sensor, sensors.depth_sensor)
    assert (cam["width"], cam["height"], cam["hfov_deg"]) == (640, 480, 79.0)
    assert cam["fx"] == pytest.approx(320.0 / math.tan(math.radians(39.5)), abs=1e-12)
    assert (cam["cx"], cam["cy"], cam["camera_height"], cam["max_depth"]) == (320, 240, 0.88, 5)
    assert convert.task_action_names(config.habitat.task.actions) == {
        "MoveAhead": "move_forward",
        "RotateLeft": "turn_left",
        "RotateRight": "turn_right",
        "Stop": "stop",
    }
    assert config.habitat.dataset.split == "val"


def test_depth_is_forced_to_metres(data_path: str) -> None:
    from habitat_corridor import overrides

    from cow_bridge.habitat.bridge import force_metric_depth, load_config

    config = load_config(CONFIG, "test", data_path, overrides())
    depth = config.habitat.simulator.agents.main_agent.sim_sensors.depth_sensor
    assert depth.normalize_depth is True  # habitat-lab's default
    assert force_metric_depth(config) == 1 and depth.normalize_depth is False


def test_episodes_in_file_order_in_the_world_frame(backend: HabitatBackend) -> None:
    first, second = backend.list_episodes()
    # habitat-lab's loader renumbers episode_id from 0 ("first" -> "0").
    assert first == {
        "id": "corridor-0",
        "scene": "corridor",
        "object_type": "chair",
        "goal": "chair",
        "initial_position": {"x": -2.0, "y": -1.0, "z": 0.1},
        "initial_orientation": 0.0,
        "shortest_path_length": 1.0,
        "rooms": 0,
    }
    assert second["id"] == "corridor-1" and second["object_type"] == "sofa"
    assert second["initial_position"] == {"x": -0.9, "y": -0.0, "z": 0.1}
    assert second["initial_orientation"] == pytest.approx(90.0, abs=1e-9)
    assert second["shortest_path_length"] == 0.0  # no info.geodesic_distance in the file


def test_an_episode_judged_by_habitats_measures(backend: HabitatBackend) -> None:
    from habitat_corridor import SEMANTIC_LEFT, SEMANTIC_MIDDLE, H, W

    obs = backend.reset("corridor-0")
    assert (obs.episode_id, obs.step, obs.goal, obs.goal_category) == (
        "corridor-0",
        0,
        "chair",
        "chair",
    )
    assert (obs.last_action, obs.last_action_success, obs.done) == (None, True, False)
    assert obs.pose is not None and (obs.pose.x, obs.pose.y, obs.pose.z, obs.pose.yaw) == (
        -2.0,
        -1.0,
        0.1,
        0.0,
    )
    assert obs.rgb.shape == (H, W, 3) and (obs.rgb == 0).all()
    assert obs.depth.shape == (H, W) and obs.depth.dtype == np.float32
    assert (obs.depth[:, :2] == 0.0).all() and (obs.depth[:, 2:] == 2.0).all()
    assert obs.semantic is not None and obs.semantic.dtype == np.uint32
    chair, sofa = 1 << 16 | SEMANTIC_LEFT, 2 << 16 | SEMANTIC_MIDDLE  # couch is an alias of sofa
    assert obs.semantic[0].tolist() == [chair] * 2 + [sofa] * 3 + [0] * 3

    xs = []
    for i in range(1, 5):
        obs = backend.step("MoveAhead")
        assert (obs.step, obs.last_action, obs.last_action_success, obs.done) == (
            i,
            "MoveAhead",
            True,
            False,
        )
        assert obs.pose is not None
        xs.append(obs.pose.x)
    assert xs == pytest.approx([-1.75, -1.5, -1.25, -1.0], abs=1e-12)
    obs = backend.step("Stop")
    assert (obs.step, obs.last_action, obs.done) == (5, "Stop", True)
    with pytest.raises(ProtocolError) as e:
        backend.step("MoveAhead")
    assert e.value.code == "no_episode"

    result = backend.episode_result()
    measures = result.pop("measures")
    assert result == {
        "episode_id": "corridor-0",
        "success": True,
        "stopped": True,
        "distance_to_goal": pytest.approx(0.0, abs=1e-12),
        "initial_distance_to_goal": pytest.approx(1.0, abs=1e-12),
        "shortest_path_length": pytest.approx(1.0, abs=1e-12),
        "path_length": pytest.approx(1.0, abs=1e-12),
        "steps": 5,
        "goal_seen": True,
        "path": [
            {"x": pytest.approx(x, abs=1e-12), "y": -1.0, "z": 0.1, "yaw": 0.0}
            for x in (-2.0, -1.75, -1.5, -1.25, -1.0, -1.0)
        ],
        "actions": [{"action": "MoveAhead", "success": True}] * 4
        + [{"action": "Stop", "success": True}],
        "goal_positions": [world([1.0, 0.5, 0.5])],
    }
    assert measures["success"] == 1.0
    assert measures["spl"] == pytest.approx(1.0, abs=1e-12)
    assert measures["soft_spl"] == pytest.approx(1.0, abs=1e-12)
    assert measures["distance_to_goal"] == pytest.approx(0.0, abs=1e-12)
    assert "distance_to_goal_reward" in measures


@pytest.mark.parametrize(
    "detour,stop",
    [
        # 90 deg left, a step, 180 deg back, a step, 90 deg left: 0.5 m off the straight line.
        (
            ["RotateLeft"] * 3
            + ["MoveAhead"]
            + ["RotateRight"] * 6
            + ["MoveAhead"]
            + ["RotateLeft"] * 3,
            True,
        ),
        # The same, stopping 0.25 m short of the view point: a failure with soft progress.
        (
            ["RotateLeft"] * 3
            + ["MoveAhead"]
            + ["RotateRight"] * 6
            + ["MoveAhead"]
            + ["RotateLeft"] * 3,
            False,
        ),
    ],
)
def test_habitats_spl_and_soft_spl_equal_cows_on_the_record(
    backend: HabitatBackend, detour: list[str], stop: bool
) -> None:
    backend.reset("corridor-0")
    for a in detour + ["MoveAhead"] * (4 if stop else 3) + ["Stop"]:
        backend.step(a)
    r = backend.episode_result()
    assert r["success"] is stop and r["path_length"] == pytest.approx(1.5 if stop else 1.25)
    assert r["measures"]["spl"] == pytest.approx(cow_spl(r), abs=1e-12)
    assert r["measures"]["soft_spl"] == pytest.approx(cow_soft_spl(r), abs=1e-12)
    assert r["measures"]["spl"] == pytest.approx(1.0 / 1.5 if stop else 0.0, abs=1e-12)
    assert r["measures"]["soft_spl"] == pytest.approx(1.0 / 1.5 if stop else 0.75 / 1.25)


def test_a_blocked_move_fails_by_the_collision_flag(backend: HabitatBackend) -> None:
    obs = backend.reset("corridor-1")  # facing -x (Habitat), 0.5 m from the wall along -z
    assert obs.pose is not None and obs.pose.yaw == pytest.approx(math.pi / 2)
    assert obs.goal == "sofa"
    for _ in range(3):
        backend.step("RotateRight")
    assert [backend.step("MoveAhead").last_action_success for _ in range(3)] == [True, True, False]
    r = backend.episode_result()
    # The collided move slid 5 cm, yet failed: the simulator's flag decides.
    assert r["path_length"] == pytest.approx(0.55)
    assert r["goal_seen"] is True and r["stopped"] is False and r["success"] is False


def test_without_a_collision_flag_a_move_fails_when_the_agent_stays(data_path: str) -> None:
    b = make_backend(data_path, "CowBridgeTestCorridorNoFlag-v0")
    try:
        obs = b.reset("corridor-1")
        assert obs.semantic is not None
        assert (obs.semantic >> 16).max() == 3  # without the alias, a couch is "other"
        for _ in range(3):
            b.step("RotateRight")
        assert [b.step("MoveAhead").last_action_success for _ in range(3)] == [True, True, False]
        assert b.episode_result()["path_length"] == pytest.approx(0.5)
    finally:
        b.close()


def test_the_step_limit_ends_the_episode(data_path: str) -> None:
    b = make_backend(data_path, max_steps=3)
    try:
        b.reset("corridor-0")
        assert [b.step("RotateLeft").done for _ in range(3)] == [False, False, True]
        with pytest.raises(ProtocolError) as e:
            b.step("RotateLeft")
        assert e.value.code == "no_episode"
        r = b.episode_result()
        assert (r["steps"], r["stopped"], r["success"]) == (3, False, False)
        # A new reset starts over.
        assert b.reset("corridor-0").step == 0 and not b.step("RotateLeft").done
    finally:
        b.close()


def test_bad_requests_get_wire_codes(backend: HabitatBackend) -> None:
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: backend.step("MoveAhead"), "no_episode"),
        (backend.episode_result, "no_episode"),
        (lambda: backend.reset("corridor-7"), "unknown_episode"),
    ]
    for call, code in calls:
        with pytest.raises(ProtocolError) as e:
            call()
        assert e.value.code == code
    backend.reset("corridor-0")
    with pytest.raises(ProtocolError) as e:
        backend.step("Fly")
    assert e.value.code == "unknown_action"


def test_configs_cow_cannot_run_are_refused(data_path: str) -> None:
    wide = "habitat.simulator.agents.main_agent.sim_sensors.depth_sensor.width=16"
    with pytest.raises(ValueError, match="differs from the rgb sensor"):
        make_backend(data_path, extra=[wide])
    with pytest.raises(ValueError, match="no task category"):
        make_backend(data_path, aliases={"tv": "tv_monitor"})


def test_served_over_the_wire(backend: HabitatBackend) -> None:
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    server = Server(backend, "inproc://habitat-bridge", context=ctx, poll_ms=10)
    thread = threading.Thread(target=server.serve)
    thread.start()
    try:
        with Client("inproc://habitat-bridge", timeout_ms=5000, retries=0, context=ctx) as c:
            assert c.hello()["semantic_classes"][1] == "chair"
            assert [e["id"] for e in c.list_episodes()] == ["corridor-0", "corridor-1"]
            obs = c.reset("corridor-0")
            assert obs.semantic is not None and obs.pose is not None
            moved = c.step("MoveAhead").pose
            assert moved is not None and moved.x == pytest.approx(-1.75, abs=1e-12)
            c.step("Stop")
            r = c.episode_result()
            assert r["measures"]["distance_to_goal"] == pytest.approx(0.75)
            with pytest.raises(RemoteError) as e:
                c.step("MoveAhead")
            assert e.value.code == "no_episode"
            c.close()
        thread.join(5)
        assert not thread.is_alive()
    finally:
        server.close()
        ctx.term()


def test_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    command.configure(parser)
    args = parser.parse_args(
        [
            "--config",
            CONFIG,
            "--split",
            "val",
            "--override",
            "habitat.seed=3",
            "--override",
            "habitat.environment.max_episode_steps=250",
            "--plugin",
            "cow_bridge.testing.habitat_world",
            "--category-alias",
            "tv=tv_monitor",
        ]
    )
    assert (args.config, args.split, args.data_path, args.bind) == (
        CONFIG,
        "val",
        None,
        "tcp://127.0.0.1:5560",
    )
    assert args.override == ["habitat.seed=3", "habitat.environment.max_episode_steps=250"]
    assert args.plugin == ["cow_bridge.testing.habitat_world"]
    assert args.category_alias == [("tv", "tv_monitor")]
    with pytest.raises(SystemExit):
        parser.parse_args(["--config", CONFIG, "--category-alias", "tv"])


def test_the_command_fails_cleanly_on_what_it_cannot_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from cow_bridge.testing import habitat_shim

    habitat_shim.install()  # so that habitat-lab imports, and each case fails for its reason
    parser = argparse.ArgumentParser()
    command.configure(parser)
    missing = str(tmp_path / "none" / "{split}.json.gz")
    for argv, reason in (
        (["--config", CONFIG, "--plugin", "cow_bridge.no_such_plugin"], "cannot load the plugin"),
        (["--config", "no/such/task.yaml"], "No file found for config"),
        (["--config", CONFIG, "--override", "habitat.no_such_key=1"], "Could not override"),
        (["--config", CONFIG, "--split", "test", "--data-path", missing], "No such file"),
    ):
        caplog.clear()
        assert command.run(parser.parse_args(argv)) == 2, argv
        assert reason in caplog.text, (argv, caplog.text)
