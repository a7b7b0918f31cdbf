"""Planar geometry shared by the robot node and the simulated robot (no rospy).

- Yaw about +z from a unit quaternion ``(x, y, z, w)`` and back (REP-103: yaw
  counter-clockwise seen from above, 0 facing +x).
- Angles wrapped to ``(-pi, pi]``.
- Pinhole conventions: ROS ``sensor_msgs/CameraInfo`` (and OpenCV) put
  integer pixel coordinates at pixel *centres*; cow's camera model
  (PROTOCOL.md section 4) puts pixel ``u`` over ``[u, u + 1)``, its centre at
  ``u + 0.5``. So ``cx_cow = cx_ros + 0.5`` (and the same for ``cy``); the
  focal lengths are the same.
- :class:`Odom`: one odometry sample, the planar pose in the odom frame
  (REP-105) and the twist in base_link (REP-103).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Odom:
    """One odometry sample: pose in the odom frame (REP-105), twist in base_link (REP-103)."""

    t: float
    """Stamp, seconds."""
    x: float
    y: float
    yaw: float
    v: float = 0.0
    """Forward speed (base_link x), m/s."""
    w: float = 0.0
    """Yaw rate, rad/s."""


PIXEL_CENTRE = 0.5
"""``cx_cow - cx_ros``: cow's principal point is half a pixel right of (below) ROS's."""


def wrap(angle: float) -> float:
    """``angle`` in ``(-pi, pi]``, radians."""
    a = math.remainder(angle, math.tau)
    return math.pi if a == -math.pi else a


def yaw_from_quaternion(x: float, y: float, z: float, w: float) -> float:
    """Yaw (rotation about +z) of a quaternion, radians in ``(-pi, pi]``."""
    return wrap(math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)))


def quaternion_from_yaw(yaw: float) -> tuple[float, float, float, float]:
    """The quaternion ``(x, y, z, w)`` of a rotation by ``yaw`` about +z."""
    return (0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0))


def hfov_deg(width: int, fx: float) -> float:
    """Horizontal field of view, degrees, of a pinhole camera ``width`` pixels wide."""
    return math.degrees(2.0 * math.atan(width / (2.0 * fx)))


def camera_capabilities(
    width: int,
    height: int,
    k: tuple[float, float, float, float],
    camera_height: float,
    max_depth: float,
) -> dict[str, Any]:
    """``capabilities.camera`` (PROTOCOL.md section 4) of a ROS pinhole camera:
    ``k`` is ``(fx, fy, cx, cy)`` from ``CameraInfo.K`` (ROS's pixel-centre
    convention; cow's principal point is half a pixel further)."""
    fx, fy, cx, cy = k
    if not all(math.isfinite(v) for v in k) or fx <= 0 or fy <= 0 or width <= 0 or height <= 0:
        raise ValueError(f"camera {width}x{height} with K = {k} is not a pinhole camera")
    return {
        "width": int(width),
        "height": int(height),
        "fx": fx,
        "fy": fy,
        "cx": cx + PIXEL_CENTRE,
        "cy": cy + PIXEL_CENTRE,
        "hfov_deg": hfov_deg(width, fx),
        "camera_height": camera_height,
        "max_depth": max_depth,
    }


def ros_k(camera: dict[str, Any]) -> tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` of ``CameraInfo.K`` for a cow camera (the inverse of
    :func:`camera_capabilities`)."""
    return (
        float(camera["fx"]),
        float(camera["fy"]),
        float(camera["cx"]) - PIXEL_CENTRE,
        float(camera["cy"]) - PIXEL_CENTRE,
    )
