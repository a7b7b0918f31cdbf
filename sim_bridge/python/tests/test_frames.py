"""Frame conversion at the edge, on hand-computed cases (see ``cow_bridge.frames``)."""

from __future__ import annotations

import math

import pytest

from cow_bridge import frames
from cow_bridge.goals import goal_words
from cow_bridge.protocol import Pose


def close(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(math.isclose(x, y, abs_tol=1e-12) for x, y in zip(a, b, strict=True))


def test_habitat_step_forward_is_world_plus_x() -> None:
    # Agent at Habitat (1, 0, -2) facing -z: world (2, -1, 0); one 0.25 m step along -z.
    start = frames.habitat_pose((1.0, 0.0, -2.0), (0.0, 0.0, 0.0, 1.0))
    assert close((start.x, start.y, start.z, start.yaw), (2.0, -1.0, 0.0, 0.0))
    after = frames.habitat_to_world((1.0, 0.0, -2.25))
    assert close(after, (2.25, -1.0, 0.0))


def test_habitat_left_turn_of_90_degrees_is_yaw_plus_half_pi() -> None:
    s = math.sin(math.pi / 4)
    q = (0.0, s, 0.0, s)
    assert math.isclose(frames.habitat_rotation_to_yaw(q), math.pi / 2, abs_tol=1e-12)
    # Forward after the turn is Habitat -x, i.e. world +y.
    yaw = frames.habitat_rotation_to_yaw(q)
    forward = frames.habitat_to_world((-1.0, 0.0, 0.0))
    assert close((math.cos(yaw), math.sin(yaw), 0.0), forward)


def test_habitat_quaternion_object_and_round_trip() -> None:
    class Q:
        def __init__(self, w: float, x: float, y: float, z: float) -> None:
            self.w, self.x, self.y, self.z = w, x, y, z

    for deg in (-179.0, -90.0, -30.0, 0.0, 30.0, 90.0, 150.0, 180.0):
        yaw = math.radians(deg)
        x, y, z, w = frames.yaw_to_habitat_rotation(yaw)
        back = frames.habitat_rotation_to_yaw(Q(w, x, y, z))
        assert math.isclose(math.cos(back - yaw), 1.0, abs_tol=1e-12), deg
        # The same rotation with the quaternion's sign flipped is the same heading.
        flipped = frames.habitat_rotation_to_yaw((-x, -y, -z, -w))
        assert math.isclose(math.cos(flipped - yaw), 1.0, abs_tol=1e-12), deg


def test_habitat_tilted_rotation_keeps_its_heading() -> None:
    # Yaw 60 deg left, then pitched down 10 deg about the agent's own x axis.
    yaw, pitch = math.radians(60), math.radians(-10)
    qy = (0.0, math.sin(yaw / 2), 0.0, math.cos(yaw / 2))
    qx = (math.sin(pitch / 2), 0.0, 0.0, math.cos(pitch / 2))
    # q = qy * qx (Hamilton product, [x, y, z, w]).
    x1, y1, z1, w1 = qy
    x2, y2, z2, w2 = qx
    q = (
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
    )
    assert math.isclose(frames.habitat_rotation_to_yaw(q), yaw, abs_tol=1e-12)


def test_habitat_position_round_trip() -> None:
    p = (3.25, -1.5, 0.125)
    assert frames.habitat_to_world(frames.world_to_habitat(p)) == p
    assert frames.world_to_habitat((1.0, 0.0, 0.0)) == (-0.0, 0.0, -1.0)  # forward is -z


def test_thor_agent_facing_right_and_objects_ahead_and_left() -> None:
    pose = frames.thor_pose({"position": {"x": 1.0, "y": 0.9, "z": 2.0}, "rotation": {"y": 90.0}})
    assert close((pose.x, pose.y, pose.z), (2.0, -1.0, 0.9))
    assert math.isclose(pose.yaw, -math.pi / 2, abs_tol=1e-12)
    assert frames.thor_to_world({"x": 0.0, "y": 0.0, "z": 1.0}) == (1.0, -0.0, 0.0)
    assert frames.thor_to_world({"x": -1.0, "y": 0.0, "z": 0.0}) == (0.0, 1.0, 0.0)


def test_thor_turns_and_round_trips() -> None:
    # RotateRight by 30 deg in THOR adds 30 to rotation.y and is a -30 deg world yaw.
    assert math.isclose(frames.thor_rotation_to_yaw(30.0), -math.radians(30), abs_tol=1e-12)
    assert math.isclose(frames.thor_rotation_to_yaw(270.0), math.pi / 2, abs_tol=1e-12)
    assert frames.yaw_to_thor_rotation(math.pi / 2) == pytest.approx(270.0)
    assert frames.yaw_to_thor_rotation(-math.pi / 2) == pytest.approx(90.0)
    for deg in (0.0, 30.0, 180.0, 330.0):
        back = frames.yaw_to_thor_rotation(frames.thor_rotation_to_yaw(deg))
        assert back == pytest.approx(deg, abs=1e-9)
    p = (2.5, -0.75, 0.0)
    assert frames.thor_to_world(frames.world_to_thor(p)) == p


def test_yaw_wraps_to_minus_pi_exclusive_pi_inclusive() -> None:
    assert frames.wrap_yaw(math.pi) == pytest.approx(math.pi)
    assert frames.wrap_yaw(-math.pi) == pytest.approx(math.pi)
    assert frames.wrap_yaw(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert isinstance(frames.habitat_pose((0, 0, 0), (0, 0, 0, 1)), Pose)


@pytest.mark.parametrize(
    ("category", "words"),
    [
        ("tv_monitor", "TV"),
        ("chest_of_drawers", "chest of drawers"),
        ("gym_equipment", "gym equipment"),
        ("AlarmClock", "alarm clock"),
        ("HousePlant", "plant"),
        ("Television", "TV"),
        ("chair", "chair"),
        ("WateringCan", "watering can"),
        ("coffee_table", "coffee table"),
    ],
)
def test_goal_words(category: str, words: str) -> None:
    assert goal_words(category) == words
