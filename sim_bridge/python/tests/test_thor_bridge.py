"""Unit tests of the RoboTHOR bridge's pure parts: settings and capabilities,
the semantic mapping, the success rule, the command line, and the fake
build's FIFO framing against ai2thor's own ``FifoServer``.

Needs ai2thor (the ``thor`` extra); without it these tests fail at import.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import ai2thor.fifo_server  # type: ignore[import-untyped]
import ai2thor.platform  # type: ignore[import-untyped]
import msgpack  # type: ignore[import-untyped]
import numpy as np
import pytest

from cow_bridge.testing import fake_thor
from cow_bridge.thor import command
from cow_bridge.thor.bridge import (
    LOCOBOT_CAMERA_HEIGHT,
    OTHER_CLASS,
    SEMANTIC_CLASSES,
    InstanceNumbers,
    ThorBackend,
    ThorSettings,
    camera_height_from_metadata,
    camera_intrinsics,
    capabilities,
    controller_kwargs,
    max_depth_from_initialize,
    object_type_of,
    semantic_class,
    semantic_frame,
    target_visible,
)
from cow_bridge.thor.episodes import ThorEpisode

# ---------------------------------------------------------------- settings


def test_capabilities_of_cows_settings() -> None:
    caps = capabilities(ThorSettings(), camera_height=0.8658, max_depth=20.0)
    cam = caps["camera"]
    assert (cam["width"], cam["height"]) == (672, 672)
    assert cam["fx"] == pytest.approx(336.0, abs=1e-9) and cam["fy"] == cam["fx"]
    assert (cam["cx"], cam["cy"], cam["hfov_deg"]) == (336.0, 336.0, 90.0)
    assert (cam["camera_height"], cam["max_depth"]) == (0.8658, 20.0)
    assert caps["action_space"] == {"move_step": 0.25, "turn_step_deg": 30.0}
    assert caps["actions"] == ["MoveAhead", "RotateLeft", "RotateRight", "Stop"]
    assert caps["provides_pose"] and not caps["provides_semantic"]
    assert caps["success_distance"] == 1.0
    assert caps["semantic_classes"][0] == "nothing" and caps["semantic_classes"][-1] == "other"
    assert len(caps["semantic_classes"]) == 14 and "Television" in caps["semantic_classes"]
    assert "test_world" not in caps


def test_capabilities_follow_the_settings() -> None:
    settings = ThorSettings(grid_size=0.2, rotate_step_degrees=45.0, semantic=True)
    caps = capabilities(settings, 1.0, 5.0)
    assert caps["action_space"] == {"move_step": 0.2, "turn_step_deg": 45.0}
    assert caps["provides_semantic"]
    caps = capabilities(ThorSettings(grid_size=0.2, move_step=0.1), 1.0, 5.0)
    assert caps["action_space"]["move_step"] == 0.1


def test_square_intrinsics_equal_cows_embedded_camera_in_f32() -> None:
    # cow's CameraIntrinsics::from_hfov(224, 224, 90): fx = 112 in f32.
    cam = camera_intrinsics(224, 224, 90.0, 0.88, 10.0)
    assert np.float32(cam["fx"]) == np.float32(112.0)
    assert (cam["cx"], cam["cy"], cam["hfov_deg"]) == (112.0, 112.0, 90.0)


def test_non_square_frames_read_field_of_view_as_vertical() -> None:
    # The RoboTHOR challenge camera: 640 x 480, vertical FOV 63.45 deg (about 79 deg across).
    cam = camera_intrinsics(640, 480, 63.45, 0.8658, 20.0)
    assert cam["fy"] == pytest.approx(240.0 / math.tan(math.radians(63.45 / 2.0)), rel=1e-12)
    assert cam["fx"] == cam["fy"]
    assert cam["hfov_deg"] == pytest.approx(79.0, abs=0.05)
    assert math.tan(math.radians(cam["hfov_deg"]) / 2) * cam["fx"] == pytest.approx(320.0)
    assert (cam["cx"], cam["cy"]) == (320.0, 240.0)


def test_controller_kwargs_carry_cows_robothor_settings() -> None:
    kwargs = controller_kwargs(ThorSettings(build="./thor-build -x", x_display=":1"), "S")
    assert kwargs == {
        "width": 672,
        "height": 672,
        "server_timeout": 100.0,
        "server_start_timeout": 300.0,
        "local_executable_path": "./thor-build -x",
        "x_display": ":1",
        "scene": "S",
        "agentMode": "locobot",
        "gridSize": 0.25,
        "rotateStepDegrees": 30.0,
        "visibilityDistance": 1.0,
        "fieldOfView": 90.0,
        "snapToGrid": False,
        "renderDepthImage": True,
        "renderInstanceSegmentation": False,
    }
    cloud = controller_kwargs(ThorSettings(platform="CloudRendering", semantic=True), "S")
    assert cloud["platform"] is ai2thor.platform.CloudRendering
    assert cloud["renderInstanceSegmentation"] is True
    assert "local_executable_path" not in cloud and "x_display" not in cloud


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (ThorSettings(width=0), "frame size"),
        (ThorSettings(field_of_view=180.0), "fieldOfView"),
        (ThorSettings(rotate_step_degrees=0.0), "rotate step"),
        (ThorSettings(move_step=math.nan), "move step"),
        (ThorSettings(max_depth=-1.0), "max depth"),
        (ThorSettings(max_steps=-1), "max steps"),
        (ThorSettings(platform="WebGL"), "platform 'WebGL'"),
        (ThorSettings(platform="Linux64", build="b"), "not to --build"),
    ],
)
def test_impossible_settings_are_refused(settings: ThorSettings, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        settings.check()


def test_a_local_build_needs_an_x_display_before_anything_starts() -> None:
    ep = ThorEpisode("e", "S", "Mug", {"x": 0.0, "y": 0.0, "z": 0.0}, 0.0, 0.0, None, None, Path())
    with pytest.raises(ValueError, match="--x-display"):
        ThorBackend([ep], ThorSettings(build="/nonexistent/thor"))


def test_camera_height_and_depth_range_from_the_build() -> None:
    meta = {"agent": {"position": {"x": 0, "y": 0.25, "z": 0}}, "cameraPosition": {"y": 1.125}}
    assert camera_height_from_metadata(meta) == 0.875
    assert camera_height_from_metadata({"agent": meta["agent"]}) is None
    assert max_depth_from_initialize({"cameraNearPlane": 0.1, "cameraFarPlane": 15}) == 15.0
    assert max_depth_from_initialize(None) is None
    assert max_depth_from_initialize({"cameraFarPlane": 0.0}) is None


# ---------------------------------------------------------------- semantics


def test_object_types_map_to_the_fixed_class_list() -> None:
    assert SEMANTIC_CLASSES[semantic_class("AlarmClock")] == "AlarmClock"
    assert SEMANTIC_CLASSES[semantic_class("Vase")] == "Vase"
    assert semantic_class("Chair") == OTHER_CLASS == 13
    assert object_type_of("Mug|+01.00|+00.90|-02.00", {}) == "Mug"
    assert object_type_of("m1", {"m1": "Mug"}) == "Mug"


def test_instance_segmentation_becomes_class_and_instance() -> None:
    numbers = InstanceNumbers()
    numbers.add_objects(
        [
            {"objectId": "Mug|1|0|1", "objectType": "Mug"},
            {"objectId": "Chair|2|0|2", "objectType": "Chair"},
            {"objectId": "Mug|3|0|3", "objectType": "Mug"},
        ]
    )
    colors = {
        (10, 20, 30): "Mug|3|0|3",
        (1, 2, 3): "Chair|2|0|2",
        (200, 0, 0): "Television|9|0|9",
        (5, 5, 5): "Mug|1|0|1",
    }
    frame = np.zeros((2, 3, 3), dtype=np.uint8)
    frame[0, 0] = (10, 20, 30)
    frame[0, 1] = (1, 2, 3)
    frame[1, 2] = (200, 0, 0)
    frame[1, 0] = (7, 7, 7)  # a colour of no object
    semantic, present = semantic_frame(frame, colors, numbers)
    mug = semantic_class("Mug")
    tv = semantic_class("Television")
    assert semantic.dtype == np.uint32 and semantic.shape == (2, 3)
    assert semantic.tolist() == [
        [(mug << 16) | 2, (OTHER_CLASS << 16) | 1, 0],
        [0, 0, (tv << 16) | 1],
    ]
    assert present == {"Mug|3|0|3", "Chair|2|0|2", "Television|9|0|9"}
    # The same objects keep their numbers in later frames.
    again, _ = semantic_frame(frame[::-1].copy(), colors, numbers)
    assert again[1, 0] == (mug << 16) | 2 and again[0, 2] == (tv << 16) | 1
    assert numbers.value("Mug|1|0|1") == (mug << 16) | 1


def test_success_needs_a_visible_instance_of_the_target_type() -> None:
    objects = [
        {"objectType": "Mug", "objectId": "Mug|1", "visible": False},
        {"objectType": "Apple", "objectId": "Apple|1", "visible": True},
    ]
    assert not target_visible(objects, "Mug")
    assert target_visible(objects, "Apple")
    objects[0]["visible"] = True
    assert target_visible(objects, "Mug")
    assert not target_visible([], "Mug")


# ---------------------------------------------------------------- command line


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.configure(parser)
    return parser.parse_args(argv)


def test_command_line_defaults_are_cows_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":7")
    settings = command.settings_from_args(parse(["--episodes", "d"]))
    assert settings == ThorSettings(x_display=":7")
    assert settings.camera_height == LOCOBOT_CAMERA_HEIGHT
    args = parse(
        ["--episodes", "d", "--camera-height", "auto", "--width", "224", "--height", "224",
         "--max-depth", "10", "--semantic", "--build", "python -m x", "--x-display", ":0",
         "--move-step", "0.2", "--max-steps", "9", "--episode-horizon"]
    )  # fmt: skip
    s = command.settings_from_args(args)
    assert (s.camera_height, s.width, s.height, s.max_depth) == (None, 224, 224, 10.0)
    assert (s.semantic, s.build, s.x_display, s.move_distance) == (True, "python -m x", ":0", 0.2)
    assert (s.max_steps, s.episode_horizon) == (9, True)
    with pytest.raises(SystemExit):
        parse(["--episodes", "d", "--camera-height", "high"])


def test_command_fails_cleanly_on_missing_episodes(tmp_path: Path) -> None:
    assert command.run(parse(["--episodes", str(tmp_path / "none")])) == 2


# ---------------------------------------------------------------- fake build FIFO


def test_fake_build_framing_speaks_ai2thors_fifo_server() -> None:
    server = ai2thor.fifo_server.FifoServer(width=2, height=2)
    server.start()
    received: dict[str, Any] = {}

    def build_side() -> None:
        with open(server.server_pipe_path, "wb") as out:
            meta = {
                "agents": [
                    {"screenWidth": 2, "screenHeight": 2, "thirdPartyCameras": [], "colors": [],
                     "lastActionSuccess": True, "depthFormat": "Meters"}
                ],
                "sequenceId": 0,
                "activeAgentId": 0,
                "thirdPartyCameras": [],
            }  # fmt: skip
            # Unity stores images bottom row first.
            rgb = np.array([[[7, 8, 9], [0, 0, 0]], [[1, 2, 3], [4, 5, 6]]], dtype=np.uint8)
            depth = np.array([[4.0, 0.0], [0.5, 2.25]], dtype="<f4")
            fields = [
                (fake_thor.METADATA, msgpack.packb(meta)),
                (fake_thor.RGB_IMAGE, rgb.tobytes()),
                (fake_thor.DEPTH_IMAGE, depth.tobytes()),
            ]
            fake_thor.write_message(out, fields)
            with open(server.client_pipe_path, "rb") as inp:
                received["action"] = fake_thor.read_action(inp)
                received["eof"] = fake_thor.read_action(inp)

    thread = threading.Thread(target=build_side)
    thread.start()
    try:
        event = server.receive(timeout=10)
        assert event.frame.tolist() == [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [0, 0, 0]]]
        assert event.depth_frame.dtype == np.float32
        assert event.depth_frame.tolist() == [[0.5, 2.25], [4.0, 0.0]]
        server.send({"action": "MoveAhead", "moveMagnitude": 0.25})
    finally:
        server.stop()
        thread.join(timeout=10)
    assert received["action"] == {"action": "MoveAhead", "moveMagnitude": 0.25, "sequenceId": 1}
    assert received["eof"] is None


def test_a_fake_build_without_its_world_fails_the_bridge_start_with_the_reason(
    tmp_path: Path,
) -> None:
    episodes = tmp_path / "episodes"
    episodes.mkdir()
    start = {"x": 0.0, "y": 0.0, "z": 0.0}
    record = {"id": "e", "scene": "house_1", "object_type": "Mug", "initial_position": start,
              "initial_orientation": 0.0, "initial_horizon": 0.0}  # fmt: skip
    (episodes / "house_1.json.gz").write_bytes(gzip.compress(json.dumps([record]).encode()))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nobody = f"tcp://127.0.0.1:{s.getsockname()[1]}"  # closed again below
    build = f"{sys.executable} -m cow_bridge.testing.fake_thor --world {nobody} --timeout-ms 200"
    cmd = [sys.executable, "-m", "cow_bridge.cli", "thor", "--episodes", str(tmp_path),
           "--build", build, "--x-display", ":0", "--width", "64", "--height", "64",
           "--bind", "tcp://127.0.0.1:0"]  # fmt: skip
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stderr
    assert f"fake_thor: no reply from {nobody}" in done.stderr
