"""Closed-loop motion primitives on odometry: turn by an angle, drive a distance
(no rospy).

A primitive starts from one odometry sample and is fed every later one; each
:meth:`Primitive.update` returns the velocity to command (base_link, REP-103:
``linear`` along x, ``angular`` about z, counter-clockwise positive) and the
primitive's status:

- **turn** by ``angle``: proportional control of the yaw error, the speed
  clamped to ``[min_angular, max_angular]`` (an overshoot beyond the tolerance
  is driven back);
- **drive** ``distance`` along the start heading: proportional control of the
  remaining distance (``[min_linear, max_linear]``), with the heading held to
  the start heading;
- **settled**: the error within tolerance and the measured speeds (odometry
  twist) below the settle speeds for ``settle_time`` seconds in a row:
  ``SUCCEEDED``;
- **blocked** (drive only): while commanding motion, less than
  ``blocked_progress`` metres of progress over the last ``blocked_window``
  seconds: ``BLOCKED``;
- **timed out**: ``timeout`` seconds after the start: ``TIMED_OUT``.

Times are the odometry stamps (seconds). A finished primitive commands zero.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

from cow_bridge.ros.geometry import Odom, wrap


class Status(Enum):
    """Where a primitive stands."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    BLOCKED = "blocked"
    TIMED_OUT = "timed_out"

    @property
    def finished(self) -> bool:
        """Whether the primitive has ended (it commands zero from now on)."""
        return self is not Status.RUNNING


@dataclass(frozen=True)
class Command:
    """A velocity command (base_link) and the primitive's status."""

    linear: float
    angular: float
    status: Status


@dataclass(frozen=True)
class MotionLimits:
    """Gains, speed limits, tolerances and the timeout of the primitives."""

    max_linear: float = 0.3
    """m/s"""
    max_angular: float = 1.0
    """rad/s"""
    min_linear: float = 0.03
    """m/s: the slowest commanded drive speed (below it a base may not move)"""
    min_angular: float = 0.1
    """rad/s"""
    linear_gain: float = 2.0
    """1/s: commanded speed per metre of remaining distance"""
    angular_gain: float = 3.0
    """1/s: commanded yaw rate per radian of yaw error"""
    heading_gain: float = 2.0
    """1/s: yaw rate per radian of heading error while driving"""
    distance_tolerance: float = 0.01
    """m"""
    yaw_tolerance: float = math.radians(1.0)
    """rad"""
    settle_linear: float = 0.02
    """m/s: below this (and ``settle_angular``) the base counts as still"""
    settle_angular: float = 0.05
    """rad/s"""
    settle_time: float = 0.15
    """s: still and within tolerance this long to succeed"""
    timeout: float = 8.0
    """s from the start"""
    blocked_window: float = 0.7
    """s"""
    blocked_progress: float = 0.01
    """m: less progress than this over ``blocked_window`` while driving is a block"""

    def check(self) -> None:
        """Raises ``ValueError`` naming the first field that is not a finite number
        > 0 (or a minimum above its maximum)."""
        for name, value in vars(self).items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"motion limit {name} = {value!r}, expected a number > 0")
        if self.min_linear > self.max_linear or self.min_angular > self.max_angular:
            raise ValueError("a minimum speed is above its maximum")


def _clamped(error: float, gain: float, low: float, high: float) -> float:
    """``gain * error`` with its magnitude in ``[low, high]``, the sign of ``error``."""
    return math.copysign(min(high, max(low, gain * abs(error))), error)


STOP = 0.0


class Primitive:
    """What turn and drive share: the timeout, settling, and the finished state."""

    def __init__(self, start: Odom, limits: MotionLimits) -> None:
        self.start = start
        self.limits = limits
        self.status = Status.RUNNING
        self._still_since: float | None = None

    def update(self, odom: Odom) -> Command:
        """The command for this odometry sample."""
        if self.status.finished:
            return Command(STOP, STOP, self.status)
        if odom.t - self.start.t > self.limits.timeout:
            return self._finish(Status.TIMED_OUT)
        return self._control(odom)

    def _control(self, odom: Odom) -> Command:
        raise NotImplementedError

    def _settle(self, odom: Odom) -> Command:
        """Within tolerance: command zero; succeed once still for ``settle_time``."""
        lim = self.limits
        if abs(odom.v) <= lim.settle_linear and abs(odom.w) <= lim.settle_angular:
            if self._still_since is None:
                self._still_since = odom.t
            if odom.t - self._still_since >= lim.settle_time:
                return self._finish(Status.SUCCEEDED)
        else:
            self._still_since = None
        return Command(STOP, STOP, Status.RUNNING)

    def _finish(self, status: Status) -> Command:
        self.status = status
        return Command(STOP, STOP, status)


class Turn(Primitive):
    """Turn in place by ``angle`` radians (positive: counter-clockwise, RotateLeft)."""

    def __init__(self, start: Odom, angle: float, limits: MotionLimits) -> None:
        super().__init__(start, limits)
        self.target = wrap(start.yaw + angle)

    def error(self, odom: Odom) -> float:
        """Remaining yaw, radians."""
        return wrap(self.target - odom.yaw)

    def _control(self, odom: Odom) -> Command:
        lim = self.limits
        err = self.error(odom)
        if abs(err) <= lim.yaw_tolerance:
            return self._settle(odom)
        self._still_since = None
        w = _clamped(err, lim.angular_gain, lim.min_angular, lim.max_angular)
        return Command(STOP, w, Status.RUNNING)


class Drive(Primitive):
    """Drive ``distance`` metres along the start heading (positive: forward)."""

    def __init__(self, start: Odom, distance: float, limits: MotionLimits) -> None:
        super().__init__(start, limits)
        self.distance = distance
        self._progress: deque[tuple[float, float]] = deque()

    def progress(self, odom: Odom) -> float:
        """Distance covered along the start heading, metres."""
        s = self.start
        return (odom.x - s.x) * math.cos(s.yaw) + (odom.y - s.y) * math.sin(s.yaw)

    def _control(self, odom: Odom) -> Command:
        lim = self.limits
        progress = self.progress(odom)
        err = self.distance - progress
        if abs(err) <= lim.distance_tolerance:
            self._progress.clear()
            return self._settle(odom)
        self._still_since = None
        if self._blocked(odom.t, progress):
            return self._finish(Status.BLOCKED)
        v = _clamped(err, lim.linear_gain, lim.min_linear, lim.max_linear)
        heading = wrap(self.start.yaw - odom.yaw)
        w = max(-lim.max_angular, min(lim.max_angular, lim.heading_gain * heading))
        return Command(v, w, Status.RUNNING)

    def _blocked(self, t: float, progress: float) -> bool:
        """Records progress; whether the last ``blocked_window`` seconds made too little."""
        history = self._progress
        history.append((t, progress))
        window = self.limits.blocked_window
        if t - history[0][0] < window:
            return False
        while len(history) > 1 and history[1][0] <= t - window:
            history.popleft()
        return abs(progress - history[0][1]) < self.limits.blocked_progress
