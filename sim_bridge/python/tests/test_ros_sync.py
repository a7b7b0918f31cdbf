"""Timestamp synchronisation of image streams and odometry, and the stale-frame rule."""

from __future__ import annotations

import pytest

from cow_bridge.ros.geometry import Odom
from cow_bridge.ros.sync import FrameAssembler, OdometryBuffer, usable


def odom(t: float, x: float = 0.0, yaw: float = 0.0) -> Odom:
    return Odom(t, x, 0.0, yaw)


def test_equal_stamps_match_at_once_and_wait_for_odometry_after_them() -> None:
    a = FrameAssembler[str](["rgb", "depth"], tolerance=0.05)
    a.add_odom(odom(0.98, x=0.0), now=1.0)
    assert a.add_image("rgb", 1.0, "rgb@1", now=1.01) == []
    assert a.add_image("depth", 1.0, "depth@1", now=1.02) == []  # odometry not past 1.0 yet
    (frame,) = a.add_odom(odom(1.02, x=0.04), now=1.03)
    assert frame.stamp == 1.0 and frame.images == {"rgb": "rgb@1", "depth": "depth@1"}
    assert frame.pose.x == pytest.approx(0.02)  # interpolated half-way
    assert frame.received == 1.03


def test_the_nearest_message_within_tolerance_is_chosen_once_it_is_known() -> None:
    a = FrameAssembler[str](["rgb", "depth"], tolerance=0.03)
    for t in (0.90, 0.99, 1.01):
        a.add_odom(odom(t), now=t)
    a.add_image("depth", 0.975, "d0.975", now=1.0)
    a.add_image("rgb", 1.0, "rgb1.0", now=1.0)
    # The depth stream has nothing at or after 1.0 yet: a nearer one may come.
    assert a.add_image("depth", 0.99, "d0.99", now=1.0) == []
    (frame,) = a.add_image("depth", 1.02, "d1.02", now=1.03)
    assert frame.images["depth"] == "d0.99"


def test_a_reference_without_a_partner_within_tolerance_is_dropped() -> None:
    a = FrameAssembler[str](["rgb", "depth"], tolerance=0.01)
    a.add_odom(odom(0.0), now=0.0)
    a.add_odom(odom(3.0), now=0.0)
    a.add_image("rgb", 1.0, "rgb1", now=1.0)
    assert a.add_image("depth", 1.05, "d", now=1.1) == []
    assert a.dropped == 1
    # Odometry too far from the frame's stamp on both sides: dropped as well.
    a.add_image("rgb", 2.0, "rgb2", now=2.0)
    assert a.add_image("depth", 2.0, "d2", now=2.0) == []
    assert a.dropped == 2


def test_frames_come_out_in_order_and_older_messages_are_refused() -> None:
    a = FrameAssembler[str](["rgb"], tolerance=0.05)
    a.add_odom(odom(2.0), now=2.0)
    (f,) = a.add_image("rgb", 2.0, "new", now=2.0)
    assert f.stamp == 2.0
    assert a.add_image("rgb", 1.5, "late", now=2.1) == []
    assert a.add_image("rgb", 2.0, "same", now=2.1) == []


def test_odometry_interpolates_yaw_across_the_wrap_and_uses_a_lone_near_sample() -> None:
    buf = OdometryBuffer()
    buf.add(odom(0.0, yaw=3.1))
    buf.add(odom(0.1, yaw=-3.1))
    pose = buf.pose_at(0.05, tolerance=0.06)
    assert pose is not None and abs(pose.yaw) == pytest.approx(3.14159, abs=1e-4)
    assert buf.pose_at(0.2, tolerance=1.0) is None  # not covered yet
    assert not buf.add(odom(0.05))  # older than the newest
    buf.add(odom(1.0, x=5.0))
    near = buf.pose_at(0.95, tolerance=0.06)  # 0.1 is 0.85 away, 1.0 is 0.05 away
    assert near is not None and near.x == 5.0


def test_the_stale_frame_rule() -> None:
    assert usable(10.0, now=10.2, not_before=10.0, max_age=0.5)
    assert not usable(9.9, now=10.2, not_before=10.0, max_age=0.5)  # before the motion settled
    assert not usable(10.0, now=10.6, not_before=9.0, max_age=0.5)  # too old


def test_a_bad_tolerance_is_refused() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        FrameAssembler[str](["rgb"], tolerance=-1.0)
