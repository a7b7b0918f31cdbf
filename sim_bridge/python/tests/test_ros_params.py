"""The robot node's ROS parameters: defaults, types, checks."""

from __future__ import annotations

from typing import Any

import pytest

from cow_bridge.ros.params import NodeParams


def read(**given: Any) -> NodeParams:
    return NodeParams.read(lambda name, default: given.get(name, default))


def test_defaults_and_given_values() -> None:
    p = read(
        camera_height=0.88,
        max_linear=0.5,
        semantic_topic="sim/semantic",
        semantic_classes=["nothing", "Mug"],
        turn_step_deg=45,
    )
    assert (p.move_step, p.turn_step_deg, p.camera_height) == (0.25, 45.0, 0.88)
    assert p.motion.max_linear == 0.5 and p.motion.max_angular == 1.0
    assert p.rgb_topic == "camera/color/image_raw" and p.cmd_vel_topic == "cmd_vel"
    assert (p.map_frame, p.odom_frame, p.base_frame) == ("map", "odom", "base_link")
    assert p.bind == "tcp://127.0.0.1:5570" and not p.curve_secret_key


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ({}, r"camera_height .*\(required\)"),
        ({"camera_height": 0.9, "move_step": "far"}, "move_step"),
        ({"camera_height": 0.9, "publish_map_to_odom": 1}, "true or false"),
        ({"camera_height": 0.9, "semantic_topic": "s"}, "semantic_classes"),
        ({"camera_height": 0.9, "curve_secret_key": "k"}, "curve_clients_dir"),
        ({"camera_height": 0.9, "timeout": -1}, "timeout"),
        ({"camera_height": 0.9, "rgb_topic": ""}, "rgb_topic"),
        ({"camera_height": 0.9, "semantic_classes": [1, 2]}, "list of strings"),
    ],
)
def test_bad_parameters_are_named(given: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        read(**given)
