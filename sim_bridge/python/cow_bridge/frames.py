"""Coordinate conversion at the edge: simulator frames to cow's world frame.

cow's world frame is ROS REP-103: x forward, y left, z up, metres; yaw in
radians counter-clockwise about +z seen from above, 0 facing +x, wrapped to
(-pi, pi]. Bridges convert here and nowhere else (PROTOCOL.md section 8).

Habitat (habitat-sim): right-handed, y up, the agent looks along -z, x to its
right; rotations are quaternions. A Habitat point ``(x, y, z)`` is the world
point ``(-z, -x, y)``, and a turn by ``theta`` about Habitat's +y (which takes
-z towards -x, i.e. a left turn) is world yaw ``theta``.

AI2-THOR (Unity): left-handed, y up, the agent looks along +z, x to its
right; yaw ``rotation.y`` in degrees, clockwise seen from above. A THOR point
``{x, y, z}`` is the world point ``(z, -x, y)``, and THOR yaw ``r`` degrees is
world yaw ``-r`` converted to radians.

Worked examples (checked in ``tests/test_frames.py``):

- Habitat agent at ``(1, 0, -2)`` facing its default direction (-z): world
  ``(2, -1, 0)``, yaw 0. Stepping 0.25 m forward moves it to Habitat
  ``(1, 0, -2.25)``, world ``(2.25, -1, 0)``.
- Habitat quaternion for a 90 deg left turn: ``(x, y, z, w) = (0, sin 45deg, 0,
  cos 45deg)``; the agent then looks along Habitat -x, world +y: yaw pi/2.
- THOR agent at ``{x: 1, y: 0.9, z: 2}`` with ``rotation.y = 90`` looks along
  THOR +x (to the right of +z): world ``(2, -1, 0.9)``, yaw -pi/2.
- An object at THOR ``{x: 0, y: 0, z: 1}`` in front of a THOR agent at the
  origin with rotation 0, and one at ``{x: -1, y: 0, z: 0}`` to its left:
  world ``(1, 0, 0)`` and ``(0, 1, 0)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from cow_bridge.protocol import Point, Pose


class QuaternionLike(Protocol):
    """A quaternion with ``w, x, y, z`` attributes (``quaternion.quaternion``,
    ``magnum.Quaternion`` wrappers)."""

    w: float
    x: float
    y: float
    z: float


def wrap_yaw(yaw: float) -> float:
    """Wraps an angle in radians to (-pi, pi]."""
    w = math.fmod(yaw + math.pi, 2.0 * math.pi)
    if w <= 0.0:
        w += 2.0 * math.pi
    return w - math.pi


# ---------------------------------------------------------------- Habitat


def habitat_to_world(p: Sequence[float]) -> Point:
    """A Habitat point ``(x, y, z)`` (y up, -z forward) in the world frame."""
    return (-float(p[2]), -float(p[0]), float(p[1]))


def world_to_habitat(p: Sequence[float]) -> tuple[float, float, float]:
    """A world point ``(x, y, z)`` in Habitat's frame."""
    return (-float(p[1]), float(p[2]), -float(p[0]))


def _xyzw(q: QuaternionLike | Sequence[float]) -> tuple[float, float, float, float]:
    if isinstance(q, Sequence):
        x, y, z, w = (float(c) for c in q)
        return x, y, z, w
    return float(q.x), float(q.y), float(q.z), float(q.w)


def habitat_rotation_to_yaw(q: QuaternionLike | Sequence[float]) -> float:
    """World yaw of a Habitat agent rotation: a quaternion object with
    ``w, x, y, z`` attributes, or a sequence ``[x, y, z, w]`` as episode files
    store ``start_rotation``. The heading is that of the agent's forward axis
    (-z rotated by ``q``) projected on the floor, so a slightly tilted
    rotation still gives its heading."""
    x, y, z, w = _xyzw(q)
    # Forward f = R(q) (0, 0, -1) = (-2(xz + wy), ., -(1 - 2(x^2 + y^2))) in Habitat;
    # in the world frame (-f_z, -f_x).
    return wrap_yaw(math.atan2(2.0 * (x * z + w * y), 1.0 - 2.0 * (x * x + y * y)))


def yaw_to_habitat_rotation(yaw: float) -> tuple[float, float, float, float]:
    """The Habitat rotation ``[x, y, z, w]`` (about +y) of world yaw ``yaw``."""
    return (0.0, math.sin(yaw / 2.0), 0.0, math.cos(yaw / 2.0))


def habitat_pose(position: Sequence[float], rotation: QuaternionLike | Sequence[float]) -> Pose:
    """The world-frame pose of a Habitat agent state (position, rotation)."""
    x, y, z = habitat_to_world(position)
    return Pose(x, y, z, habitat_rotation_to_yaw(rotation))


# ---------------------------------------------------------------- AI2-THOR


def thor_to_world(p: Mapping[str, float]) -> Point:
    """A THOR point ``{x, y, z}`` (left-handed, y up, +z forward) in the world frame."""
    return (float(p["z"]), -float(p["x"]), float(p["y"]))


def world_to_thor(p: Sequence[float]) -> dict[str, float]:
    """A world point ``(x, y, z)`` as a THOR point ``{x, y, z}``."""
    return {"x": -float(p[1]), "y": float(p[2]), "z": float(p[0])}


def thor_rotation_to_yaw(degrees: float) -> float:
    """World yaw (radians) of a THOR yaw ``rotation.y`` (degrees, clockwise from above)."""
    return wrap_yaw(-math.radians(float(degrees)))


def yaw_to_thor_rotation(yaw: float) -> float:
    """THOR yaw in degrees, [0, 360), of a world yaw in radians."""
    r = math.fmod(-math.degrees(yaw), 360.0)
    return r + 360.0 if r < 0.0 else r


def thor_pose(agent: Mapping[str, Mapping[str, float]]) -> Pose:
    """The world-frame pose of a THOR agent metadata entry (``position``, ``rotation``)."""
    x, y, z = thor_to_world(agent["position"])
    return Pose(x, y, z, thor_rotation_to_yaw(agent["rotation"]["y"]))
