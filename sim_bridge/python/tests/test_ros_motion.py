"""The robot node's motion primitives on hand-computed odometry sequences."""

from __future__ import annotations

import math

import pytest

from cow_bridge.ros.geometry import Odom
from cow_bridge.ros.motion import Drive, MotionLimits, Status, Turn

# Defaults (max 0.3 m/s, 1 rad/s; gains 2 and 3; settle 0.15 s) with 2 deg and 2 cm tolerances.
LIMITS = MotionLimits(yaw_tolerance=math.radians(2.0), distance_tolerance=0.02)
TURN = math.radians(30)


def test_a_turn_that_overshoots_is_driven_back_and_settles() -> None:
    turn = Turn(Odom(0.0, 0.0, 0.0, 0.0), TURN, LIMITS)
    # yaw error 0.5236 rad: 3 * 0.5236 = 1.57 rad/s, clamped to 1.
    c = turn.update(Odom(0.0, 0.0, 0.0, 0.0))
    assert (c.linear, c.angular, c.status) == (0.0, 1.0, Status.RUNNING)
    c = turn.update(Odom(0.3, 0.0, 0.0, 0.30, w=1.0))
    assert c.angular == pytest.approx(3 * (TURN - 0.30))
    # 0.58 rad is 3.2 deg past the target: back at 3 * 0.0564 = 0.169 rad/s.
    c = turn.update(Odom(0.5, 0.0, 0.0, 0.58, w=0.6))
    assert c.angular == pytest.approx(-3 * (0.58 - TURN)) and c.status is Status.RUNNING
    # Within 2 deg but still turning at 0.3 rad/s: zero, not settled.
    c = turn.update(Odom(0.6, 0.0, 0.0, 0.54, w=-0.3))
    assert (c.angular, c.status) == (0.0, Status.RUNNING)
    # Still from t = 0.7 ...
    assert turn.update(Odom(0.7, 0.0, 0.0, 0.53, w=-0.02)).status is Status.RUNNING
    # ... drifts out of tolerance at 0.75 (2.5 deg short): pushed back, settling restarts.
    c = turn.update(Odom(0.75, 0.0, 0.0, 0.48, w=0.0))
    assert c.angular == pytest.approx(3 * (TURN - 0.48)) and c.status is Status.RUNNING
    assert turn.update(Odom(0.8, 0.0, 0.0, 0.52, w=0.01)).status is Status.RUNNING
    assert turn.update(Odom(0.9, 0.0, 0.0, 0.52, w=0.0)).status is Status.RUNNING  # 0.1 s still
    c = turn.update(Odom(0.96, 0.0, 0.0, 0.52, w=0.0))  # 0.16 s still
    assert (c.linear, c.angular, c.status) == (0.0, 0.0, Status.SUCCEEDED)
    # A finished primitive commands zero whatever comes.
    c = turn.update(Odom(1.0, 0.0, 0.0, 0.0, w=0.0))
    assert (c.angular, c.status) == (0.0, Status.SUCCEEDED)


def test_a_turn_right_across_the_wrap_and_the_minimum_speed() -> None:
    turn = Turn(Odom(0.0, 0.0, 0.0, -3.0), -TURN, LIMITS)
    assert turn.target == pytest.approx(-3.0 - TURN + 2 * math.pi)  # 2.76: wrapped
    assert turn.update(Odom(0.0, 0.0, 0.0, -3.0)).angular == -1.0
    # 2.2 deg (0.0384 rad) to go, turning right: 3 * 0.0384 = 0.1152 rad/s.
    assert turn.update(Odom(0.1, 0.0, 0.0, turn.target + 0.0384)).angular == pytest.approx(-0.1152)
    assert turn.update(Odom(0.3, 0.0, 0.0, turn.target)).status is Status.RUNNING
    assert turn.update(Odom(0.5, 0.0, 0.0, turn.target)).status is Status.SUCCEEDED
    # With gain 1, 0.045 rad to go asks 0.045 rad/s: too slow to move a base; the minimum is 0.1.
    soft = Turn(Odom(0.0, 0.0, 0.0, 0.0), TURN, MotionLimits(angular_gain=1.0, yaw_tolerance=0.02))
    assert soft.update(Odom(0.1, 0.0, 0.0, TURN - 0.045)).angular == 0.1


def test_a_blocked_drive_stops_and_fails() -> None:
    drive = Drive(Odom(0.0, 0.0, 0.0, 0.0), 0.25, LIMITS)
    # 0.25 m to go: 2 * 0.25 = 0.5 m/s, clamped to 0.3.
    assert drive.update(Odom(0.0, 0.0, 0.0, 0.0)).linear == 0.3
    for t, x in ((0.2, 0.05), (0.4, 0.08), (0.6, 0.085), (0.8, 0.087)):
        c = drive.update(Odom(t, x, 0.0, 0.0, v=0.1))
        assert c.status is Status.RUNNING and c.linear == 0.3
    # Over the last 0.7 s (from t = 0.2, x = 0.05): 3.8 cm, still moving.
    assert drive.update(Odom(1.0, 0.088, 0.0, 0.0)).status is Status.RUNNING
    # From t = 0.4 (x = 0.08) to 1.2 (x = 0.088): 8 mm < 1 cm in 0.7 s: blocked.
    c = drive.update(Odom(1.2, 0.088, 0.0, 0.0))
    assert (c.linear, c.angular, c.status) == (0.0, 0.0, Status.BLOCKED)
    assert drive.update(Odom(1.4, 0.2, 0.0, 0.0)).status is Status.BLOCKED


def test_a_drive_holds_its_heading_and_settles_at_the_distance() -> None:
    # Facing +y from (1, 2): progress is along y.
    drive = Drive(Odom(0.0, 1.0, 2.0, math.pi / 2), 0.25, LIMITS)
    c = drive.update(Odom(0.1, 1.0, 2.1, math.pi / 2 + 0.05, v=0.3))
    # 0.15 m to go: 0.3 m/s; turned 0.05 rad left: 2 * 0.05 = 0.1 rad/s back right.
    assert c.linear == pytest.approx(0.3) and c.angular == pytest.approx(-0.1)
    c = drive.update(Odom(0.2, 1.02, 2.2, math.pi / 2, v=0.2))  # sideways x does not count
    assert c.linear == pytest.approx(2 * 0.05)
    c = drive.update(Odom(0.3, 1.02, 2.235, math.pi / 2, v=0.1))  # 1.5 cm short: in tolerance
    assert (c.linear, c.status) == (0.0, Status.RUNNING)
    assert drive.update(Odom(0.4, 1.02, 2.24, math.pi / 2, v=0.01)).status is Status.RUNNING
    assert drive.update(Odom(0.6, 1.02, 2.24, math.pi / 2)).status is Status.SUCCEEDED


def test_primitives_time_out() -> None:
    turn = Turn(Odom(10.0, 0.0, 0.0, 0.0), TURN, LIMITS)
    assert turn.update(Odom(17.9, 0.0, 0.0, 0.0)).status is Status.RUNNING
    c = turn.update(Odom(18.1, 0.0, 0.0, 0.0))
    assert (c.angular, c.status) == (0.0, Status.TIMED_OUT)
    slow = MotionLimits(timeout=1.0, blocked_window=5.0, distance_tolerance=0.02)
    drive = Drive(Odom(0.0, 0.0, 0.0, 0.0), -0.25, slow)
    assert drive.update(Odom(0.5, -0.05, 0.0, 0.0)).linear == -0.3  # backwards
    assert drive.update(Odom(1.01, -0.1, 0.0, 0.0)).status is Status.TIMED_OUT


def test_limits_are_checked() -> None:
    LIMITS.check()
    with pytest.raises(ValueError, match="max_linear"):
        MotionLimits(max_linear=0.0).check()
    with pytest.raises(ValueError, match="minimum"):
        MotionLimits(min_angular=2.0).check()
    with pytest.raises(ValueError, match="timeout"):
        MotionLimits(timeout=math.inf).check()
