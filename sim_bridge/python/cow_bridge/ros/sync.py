"""Timestamp synchronisation of camera images and odometry, and the stale-frame
rule (no rospy).

A *frame* is one message of every image stream (RGB, depth, optionally
semantic) and the robot's pose, all at one time:

- the first stream is the reference; a reference message is matched with the
  message of each other stream nearest to it in time, within ``tolerance``
  seconds. The match is decided once every other stream holds a message at
  or after the reference stamp (the nearest one is then known), or at once
  for equal stamps, as a driver that stamps colour and depth alike sends;
- the pose is odometry interpolated at the reference stamp between the two
  samples around it (both within ``tolerance``), or the one sample within
  ``tolerance`` of it; a frame waits for odometry at or after its stamp,
  and one that no sample comes close to is dropped;
- frames come out in stamp order; a message older than the last frame out
  is dropped.

The stale-frame rule (:func:`usable`): a frame answers a request only if it
was taken no earlier than a bound (the moment the last motion settled, and
never before the frame last sent) and is at most ``max_age`` seconds old.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from cow_bridge.ros.geometry import Odom, wrap

M = TypeVar("M")
"""The type of an image message (kept as it came; decoded by the caller)."""


@dataclass(frozen=True)
class Frame(Generic[M]):
    """Synchronised images and the pose at their time."""

    stamp: float
    """The reference image's stamp, seconds."""
    images: dict[str, M]
    pose: Odom
    received: float
    """When the frame became complete, on the caller's clock (for latencies)."""


def usable(stamp: float, now: float, not_before: float, max_age: float) -> bool:
    """The stale-frame rule: taken at or after ``not_before`` and at most
    ``max_age`` seconds before ``now`` (both on the frame's clock)."""
    return stamp >= not_before and now - stamp <= max_age


class OdometryBuffer:
    """The last ``capacity`` odometry samples, in stamp order."""

    def __init__(self, capacity: int = 500) -> None:
        self._samples: deque[Odom] = deque(maxlen=capacity)

    def add(self, odom: Odom) -> bool:
        """Keeps a sample; one older than the newest is dropped (returns False)."""
        if self._samples and odom.t < self._samples[-1].t:
            return False
        self._samples.append(odom)
        return True

    @property
    def latest(self) -> Odom | None:
        """The newest sample."""
        return self._samples[-1] if self._samples else None

    def covers(self, t: float) -> bool:
        """Whether a sample at or after ``t`` has arrived (the pose at ``t`` is decided)."""
        return bool(self._samples) and self._samples[-1].t >= t

    def pose_at(self, t: float, tolerance: float) -> Odom | None:
        """The pose at ``t``: interpolated between the samples around it when both
        are within ``tolerance``, else the one that is; ``None`` when neither is,
        or before any sample at or after ``t`` arrived (:meth:`covers`)."""
        samples = self._samples
        if not self.covers(t):
            return None
        i = bisect.bisect_left([s.t for s in samples], t)
        after = samples[i]
        if after.t == t or i == 0:
            return after if after.t - t <= tolerance else None
        before = samples[i - 1]
        near_before, near_after = t - before.t <= tolerance, after.t - t <= tolerance
        if near_before and near_after:
            f = (t - before.t) / (after.t - before.t)
            return Odom(
                t=t,
                x=before.x + f * (after.x - before.x),
                y=before.y + f * (after.y - before.y),
                yaw=wrap(before.yaw + f * wrap(after.yaw - before.yaw)),
                v=before.v + f * (after.v - before.v),
                w=before.w + f * (after.w - before.w),
            )
        if near_before or near_after:
            return before if near_before else after
        return None


class FrameAssembler(Generic[M]):
    """Builds :class:`Frame` s from image messages and odometry samples.

    ``streams`` names the image streams, the reference first. Each ``add_*``
    call returns the frames it completed, oldest first."""

    def __init__(self, streams: Sequence[str], tolerance: float, queue_size: int = 8) -> None:
        if not streams:
            raise ValueError("a frame needs at least one image stream")
        if not (tolerance >= 0 and math.isfinite(tolerance)):
            raise ValueError(f"sync tolerance {tolerance} is not a finite number >= 0")
        self.streams = tuple(streams)
        self.tolerance = tolerance
        self._queues: dict[str, deque[tuple[float, M]]] = {
            s: deque(maxlen=queue_size) for s in self.streams
        }
        self._waiting: deque[tuple[float, dict[str, M]]] = deque(maxlen=queue_size)
        self.odometry = OdometryBuffer()
        self._last_out = -math.inf
        self.dropped = 0
        """Frames dropped: no odometry near their stamp, or older than the last one out."""

    def add_image(self, stream: str, stamp: float, msg: M, now: float) -> list[Frame[M]]:
        """Adds one image message of ``stream`` taken at ``stamp``."""
        if stamp <= self._last_out:
            self.dropped += stream == self.streams[0]
            return []
        queue = self._queues[stream]
        if queue and stamp < queue[-1][0]:
            return []
        queue.append((stamp, msg))
        self._match()
        return self._resolve(now)

    def add_odom(self, odom: Odom, now: float) -> list[Frame[M]]:
        """Adds one odometry sample."""
        self.odometry.add(odom)
        return self._resolve(now)

    def _match(self) -> None:
        reference = self._queues[self.streams[0]]
        while reference:
            stamp, ref_msg = reference[0]
            chosen: dict[str, M] = {self.streams[0]: ref_msg}
            matched = True
            for stream in self.streams[1:]:
                queue = self._queues[stream]
                if not queue or queue[-1][0] < stamp:
                    return  # the nearest message of this stream may be yet to come
                best_stamp, best = min(queue, key=lambda item: abs(item[0] - stamp))
                if abs(best_stamp - stamp) > self.tolerance:
                    matched = False
                    break
                chosen[stream] = best
            reference.popleft()
            if not matched:
                self.dropped += 1
                continue
            for stream in self.streams[1:]:
                queue = self._queues[stream]
                while queue and queue[0][0] < stamp - self.tolerance:
                    queue.popleft()
            self._waiting.append((stamp, chosen))

    def _resolve(self, now: float) -> list[Frame[M]]:
        out: list[Frame[M]] = []
        while self._waiting:
            stamp, images = self._waiting[0]
            if not self.odometry.covers(stamp):
                break
            self._waiting.popleft()
            pose = self.odometry.pose_at(stamp, self.tolerance)
            if pose is None or stamp <= self._last_out:
                self.dropped += 1
                continue
            self._last_out = stamp
            out.append(Frame(stamp, images, pose, now))
        return out
