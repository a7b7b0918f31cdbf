"""``cow deploy``'s telemetry messages, decoded for ROS (no rospy).

``cow deploy --telemetry tcp://HOST:PORT`` publishes (ZeroMQ PUB, conflated,
a few messages a second at most) single-part messages, each one UTF-8 JSON
object::

    {"step", "mode", "goal", "pose": {"x", "y", "yaw"}, "confidence", "step_ms",
     "action", "map": {"resolution", "origin": {"x", "y"}, "width", "height", "png"},
     "evidence": [[x, y, confidence], ...]}

``map.png`` is base64 of an 8-bit grey PNG of the occupancy grid in
map_server's convention (0 occupied, 254 free, 205 unknown), row 0 the
largest y (the image top), column 0 the smallest x; ``origin`` is the world
position of the lower-left cell's corner. Positions are in cow's world frame,
which on a robot is the odometry frame.

:func:`occupancy` turns the picture into ``nav_msgs/OccupancyGrid`` data:
row-major from the origin cell (row 0 the *smallest* y), 100 occupied, 0
free, -1 unknown, by map_server's trinary thresholds on ``p = (255 - v) / 255``
(occupied above 0.65, free below 0.196).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cow_bridge.ros.png import decode_grey

OCCUPIED_THRESHOLD = 0.65
FREE_THRESHOLD = 0.196


@dataclass(frozen=True)
class GridMap:
    """An occupancy grid in ``nav_msgs/OccupancyGrid`` layout."""

    resolution: float
    """Cell side, metres."""
    origin_x: float
    """World position of the corner of cell (0, 0), metres."""
    origin_y: float
    data: npt.NDArray[np.int8]
    """height x width; row 0 the smallest y; 100 occupied, 0 free, -1 unknown."""

    @property
    def width(self) -> int:
        """Cells along x."""
        return int(self.data.shape[1])

    @property
    def height(self) -> int:
        """Cells along y."""
        return int(self.data.shape[0])


@dataclass(frozen=True)
class Telemetry:
    """One telemetry message."""

    step: int
    mode: str
    goal: str
    pose: tuple[float, float, float] | None
    """(x, y, yaw), world frame."""
    confidence: float | None
    step_ms: float | None
    action: str | None
    map: GridMap | None
    evidence: list[tuple[float, float, float]] = field(default_factory=list)
    """(x, y, confidence) of the cells holding goal evidence."""

    def status(self) -> dict[str, Any]:
        """Everything but the map and the evidence, for a status line."""
        pose = None if self.pose is None else dict(zip(("x", "y", "yaw"), self.pose, strict=True))
        return {
            "step": self.step,
            "mode": self.mode,
            "goal": self.goal,
            "pose": pose,
            "confidence": self.confidence,
            "step_ms": self.step_ms,
            "action": self.action,
            "evidence_cells": len(self.evidence),
        }


def occupancy(grey: npt.NDArray[np.uint8]) -> npt.NDArray[np.int8]:
    """map_server's trinary reading of a grey picture, rows flipped so that row 0
    is the bottom of the picture (the smallest y)."""
    p = (255.0 - grey.astype(np.float64)) / 255.0
    out = np.full(grey.shape, -1, np.int8)
    out[p > OCCUPIED_THRESHOLD] = 100
    out[p < FREE_THRESHOLD] = 0
    return np.ascontiguousarray(out[::-1])


def _number(obj: dict[str, Any], name: str) -> float:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"telemetry field {name!r} is {value!r}, expected a finite number")
    return float(value)


def _optional_number(obj: dict[str, Any], name: str) -> float | None:
    return None if obj.get(name) is None else _number(obj, name)


def _optional_string(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"telemetry field {name!r} is {value!r}, expected a string")
    return value


def _map(raw: Any) -> GridMap:
    if not isinstance(raw, dict) or not isinstance(raw.get("origin"), dict):
        raise ValueError("telemetry map is not an object with an origin")
    resolution = _number(raw, "resolution")
    if resolution <= 0:
        raise ValueError(f"telemetry map resolution {resolution} is not > 0")
    ox, oy = _number(raw["origin"], "x"), _number(raw["origin"], "y")
    text = raw.get("png")
    if not isinstance(text, str):
        raise ValueError("telemetry map has no png string")
    try:
        png = base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise ValueError(f"telemetry map png is not base64: {e}") from e
    grey = decode_grey(png)
    width, height = raw.get("width"), raw.get("height")
    if (height, width) != grey.shape:
        raise ValueError(
            f"telemetry map says {width}x{height} cells, its picture is "
            f"{grey.shape[1]}x{grey.shape[0]}"
        )
    return GridMap(resolution, ox, oy, occupancy(grey))


def decode_telemetry(raw: bytes) -> Telemetry:
    """Decodes one telemetry message; ``ValueError`` for anything malformed."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"telemetry message is not UTF-8 JSON: {e}") from e
    if not isinstance(obj, dict):
        raise ValueError("telemetry message is not a JSON object")
    step = obj.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"telemetry field 'step' is {step!r}, expected an integer >= 0")
    pose = None
    if obj.get("pose") is not None:
        p = obj["pose"]
        if not isinstance(p, dict):
            raise ValueError("telemetry pose is not an object")
        pose = (_number(p, "x"), _number(p, "y"), _number(p, "yaw"))
    evidence: list[tuple[float, float, float]] = []
    for item in obj.get("evidence") or []:
        if (
            not isinstance(item, list)
            or len(item) != 3
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in item
            )
        ):
            raise ValueError(f"telemetry evidence item {item!r} is not [x, y, confidence]")
        evidence.append((float(item[0]), float(item[1]), float(item[2])))
    return Telemetry(
        step=step,
        mode=_optional_string(obj, "mode") or "",
        goal=_optional_string(obj, "goal") or "",
        pose=pose,
        confidence=_optional_number(obj, "confidence"),
        step_ms=_optional_number(obj, "step_ms"),
        action=_optional_string(obj, "action"),
        map=None if obj.get("map") is None else _map(obj["map"]),
        evidence=evidence,
    )
