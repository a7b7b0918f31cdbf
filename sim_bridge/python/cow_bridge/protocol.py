"""Protocol v1 messages: encoding, decoding and validation.

Every message is a list of parts. Part 0 is a JSON header with ``"v": 1``,
``"type"`` and ``"id"``; observation replies add raw binary parts: RGB
``u8`` H x W x 3, depth little-endian ``f32`` H x W in metres, optional
semantic little-endian ``u32`` H x W (``class << 16 | instance``). This
module mirrors the Rust ``sim_bridge::protocol`` and raises
:class:`ProtocolError` with the same codes where Rust returns an error.

Frames: poses are in the world frame (ROS REP-103: x forward, y left, z up,
metres; yaw in radians counter-clockwise about +z, 0 facing +x).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

VERSION = 1
"""The protocol version this module speaks."""

ACTIONS = ("MoveAhead", "RotateLeft", "RotateRight", "Stop")
"""Wire names of the actions."""

ERROR_CODES = (
    "version",
    "malformed",
    "unknown_type",
    "unknown_action",
    "bad_depth",
    "unknown_episode",
    "no_episode",
    "bad_pose",
    "estop",
    "internal",
)
"""Stable error codes of error replies."""

REQUEST_TYPES = (
    "hello",
    "list_episodes",
    "reset",
    "step",
    "episode_result",
    "close",
    "set_pose",
    "geodesic_distance",
    "shortest_path",
    "objects",
    "render",
    "free",
)
"""Wire types of requests (the last six are the test-world requests, PROTOCOL.md section 3)."""

TEST_WORLD_REQUESTS = (
    "set_pose",
    "geodesic_distance",
    "shortest_path",
    "objects",
    "render",
    "free",
)
"""Requests only a server announcing ``capabilities.test_world`` answers."""

REPLY_TYPES = (
    "capabilities",
    "episodes",
    "observation",
    "episode_result",
    "ok",
    "error",
    "distance",
    "path",
    "objects",
    "free",
)
"""Wire types of replies."""

MAX_GEODESIC_TARGETS = 65_536
"""Most target points of one ``geodesic_distance`` request."""

Point = tuple[float, float, float]
"""A position ``(x, y, z)`` in the world frame, metres."""

Part = bytes | bytearray | memoryview
"""One message part (pass ``zmq.Frame.buffer`` for frames received with ``copy=False``)."""


class ProtocolError(Exception):
    """A message could not be decoded, or a request failed; ``code`` is a wire code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RemoteError(ProtocolError):
    """The peer answered with an error reply."""


class BridgeTimeoutError(Exception):
    """No reply within the timeout, after all retries."""

    def __init__(self, endpoint: str, attempts: int, timeout_ms: int) -> None:
        super().__init__(f"no reply from {endpoint} after {attempts} attempts of {timeout_ms} ms")
        self.endpoint = endpoint
        self.attempts = attempts
        self.timeout_ms = timeout_ms


def _malformed(message: str) -> ProtocolError:
    return ProtocolError("malformed", message)


@dataclass
class Pose:
    """Planar pose in the world frame (REP-103): metres and radians."""

    x: float
    y: float
    z: float
    yaw: float


def camera_from_hfov(
    width: int, height: int, hfov_deg: float, camera_height: float, max_depth: float
) -> dict[str, Any]:
    """``capabilities.camera`` (PROTOCOL.md section 4) of a pinhole camera with
    square pixels and a centred principal point, from its horizontal field of
    view in degrees: ``fx = fy = width / 2 / tan(hfov / 2)``, in float64 (cow
    reads binary32). The Python twin of Rust's ``CameraIntrinsics::from_hfov``."""
    fx = width / 2.0 / math.tan(math.radians(hfov_deg) / 2.0)
    return {
        "width": width,
        "height": height,
        "fx": fx,
        "fy": fx,
        "cx": width / 2.0,
        "cy": height / 2.0,
        "hfov_deg": hfov_deg,
        "camera_height": camera_height,
        "max_depth": max_depth,
    }


@dataclass
class Observation:
    """An observation: episode state plus RGB, depth and optional semantic arrays."""

    episode_id: str
    step: int
    goal: str
    goal_category: str
    rgb: npt.NDArray[np.uint8]
    depth: npt.NDArray[np.float32]
    semantic: npt.NDArray[np.uint32] | None = None
    pose: Pose | None = None
    last_action: str | None = None
    last_action_success: bool = True
    done: bool = False
    stamp: float | None = None
    """When the source took the frame, seconds on its own clock (``None``: not said)."""
    reset_map: bool = False
    """The source asks the agent to forget its map."""

    @property
    def height(self) -> int:
        """Frame height, pixels."""
        return int(self.depth.shape[0])

    @property
    def width(self) -> int:
        """Frame width, pixels."""
        return int(self.depth.shape[1])


@dataclass
class Request:
    """A decoded request."""

    kind: str
    id: int
    episode_id: str | None = None
    goal: str | None = None
    action: str | None = None
    pose: Pose | None = None
    source: Point | None = None
    targets: list[Point] | None = None
    object_type: str | None = None


@dataclass
class Reply:
    """A decoded reply: its type, id, header fields and, for observations, the observation."""

    kind: str
    id: int | None
    body: dict[str, Any] = field(default_factory=dict)
    observation: Observation | None = None

    def raise_if_error(self) -> Reply:
        """Raises :class:`RemoteError` for an error reply; returns the reply otherwise."""
        if self.kind == "error":
            raise RemoteError(str(self.body.get("code")), str(self.body.get("message")))
        return self


def _dumps(obj: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()
    except ValueError as e:
        raise _malformed(f"cannot encode header: {e}") from e


def _header(kind: str, request_id: int | None, body: Mapping[str, Any]) -> bytes:
    return _dumps({"v": VERSION, "type": kind, "id": request_id, **body})


def parse_header(raw: Part) -> tuple[dict[str, Any], str, int | None]:
    """Parses and checks a header envelope; returns (fields, type, id).

    Raises ``malformed`` for anything but a JSON object with an integer
    ``v``, a string ``type`` and an optional non-negative integer ``id``, and
    ``version`` for another version (before looking at the type).
    """
    try:
        header = json.loads(bytes(raw))
    except (ValueError, UnicodeDecodeError) as e:
        raise _malformed(f"header is not a JSON object: {e}") from e
    if not isinstance(header, dict):
        raise _malformed("header is not a JSON object")
    if "v" not in header:
        raise _malformed('header has no "v" field')
    v = header["v"]
    if not _is_uint(v):
        raise _malformed(f'header field "v" is {v!r}, expected an unsigned integer')
    if v != VERSION:
        raise ProtocolError(
            "version", f"protocol version {v} is not supported (this side speaks {VERSION})"
        )
    kind = header.get("type")
    if not isinstance(kind, str):
        raise _malformed(f'header field "type" is {kind!r}, expected a string')
    request_id = header.get("id")
    if request_id is not None and not _is_uint(request_id):
        raise _malformed(f'header field "id" is {request_id!r}, expected an unsigned integer')
    return header, kind, request_id


def _is_uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _field(header: Mapping[str, Any], name: str, kind: type, what: str) -> Any:
    if name not in header:
        raise _malformed(f"{what}: missing field `{name}`")
    value = header[name]
    if kind is int:
        ok = _is_uint(value)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise _malformed(f"{what}: field `{name}` is {value!r}, expected {kind.__name__}")
    return value


# ---------------------------------------------------------------- requests


def _xyz(p: Point) -> dict[str, float]:
    return {"x": float(p[0]), "y": float(p[1]), "z": float(p[2])}


def encode_request(
    kind: str,
    request_id: int,
    episode_id: str | None = None,
    action: str | None = None,
    pose: Pose | None = None,
    source: Point | None = None,
    targets: Sequence[Point] | None = None,
    object_type: str | None = None,
    goal: str | None = None,
) -> list[bytes]:
    """Encodes a request (one part). ``reset`` needs ``episode_id``, ``step`` an ``action``,
    ``set_pose`` a ``pose``, ``geodesic_distance`` a ``source`` and ``targets``,
    ``shortest_path`` a ``source`` and an ``object_type``."""
    if kind not in REQUEST_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}")
    body: dict[str, Any] = {}
    if kind == "reset":
        if episode_id is None:
            raise _malformed("reset needs an episode_id")
        body["episode_id"] = episode_id
        if goal is not None:
            body["goal"] = goal
    if kind == "step":
        if action not in ACTIONS:
            raise ProtocolError("unknown_action", f"unknown action {action!r}")
        body["action"] = action
    if kind in ("set_pose", "render"):
        if pose is None:
            raise _malformed(f"{kind} needs a pose")
        body["pose"] = vars(pose)
    if kind == "free":
        if source is None:
            raise _malformed("free needs a position (source)")
        body["position"] = _xyz(source)
    if kind == "geodesic_distance":
        if source is None or not targets:
            raise _malformed("geodesic_distance needs a source and at least one target")
        body["from"] = _xyz(source)
        body["to"] = [_xyz(t) for t in targets]
    if kind == "shortest_path":
        if source is None or object_type is None:
            raise _malformed("shortest_path needs a source and an object_type")
        body["from"] = _xyz(source)
        body["object_type"] = object_type
    return [_header(kind, request_id, body)]


def _point(raw: object, what: str) -> Point:
    if not isinstance(raw, dict):
        raise _malformed(f"{what} is {raw!r}, expected an object with x, y, z")
    values = [_field(raw, k, float, what) for k in ("x", "y", "z")]
    if not all(math.isfinite(v) for v in values):
        raise _malformed(f"{what} {values} is not finite")
    return (float(values[0]), float(values[1]), float(values[2]))


def _pose(raw: object, what: str) -> Pose:
    if not isinstance(raw, dict):
        raise _malformed(f"{what} is {raw!r}, expected an object")
    values = [_field(raw, k, float, what) for k in ("x", "y", "z", "yaw")]
    if not all(math.isfinite(v) for v in values):
        raise _malformed(f"{what} {values} is not finite")
    return Pose(*(float(v) for v in values))


def decode_request(parts: Sequence[Part]) -> Request:
    """Decodes a request, raising :class:`ProtocolError` with the Rust side's codes."""
    if not parts:
        raise _malformed("message has no parts")
    header, kind, request_id = parse_header(parts[0])
    if kind not in REQUEST_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}")
    if request_id is None:
        raise _malformed(f'{kind!r} request has no "id" field')
    if len(parts) != 1:
        raise _malformed(f"{kind!r} request has {len(parts)} parts, expected 1")
    request = Request(kind=kind, id=request_id)
    if kind == "reset":
        request.episode_id = _field(header, "episode_id", str, "reset header")
        if header.get("goal") is not None:
            request.goal = _field(header, "goal", str, "reset header")
    if kind == "step":
        action = _field(header, "action", str, "step header")
        if action not in ACTIONS:
            raise ProtocolError("unknown_action", f"unknown action {action!r}")
        request.action = action
    if kind in ("set_pose", "render"):
        request.pose = _pose(_field(header, "pose", dict, f"{kind} header"), "pose")
    if kind == "free":
        request.source = _point(_field(header, "position", dict, "free header"), "position")
    if kind == "geodesic_distance":
        request.source = _point(_field(header, "from", dict, "geodesic_distance header"), "from")
        to = _field(header, "to", list, "geodesic_distance header")
        if not 1 <= len(to) <= MAX_GEODESIC_TARGETS:
            raise _malformed(
                f"geodesic_distance has {len(to)} targets, expected 1 to {MAX_GEODESIC_TARGETS}"
            )
        request.targets = [_point(t, "target") for t in to]
    if kind == "shortest_path":
        request.source = _point(_field(header, "from", dict, "shortest_path header"), "from")
        request.object_type = _field(header, "object_type", str, "shortest_path header")
    return request


# ---------------------------------------------------------------- replies


def encode_reply(kind: str, request_id: int | None, body: Mapping[str, Any]) -> list[bytes]:
    """Encodes a reply without binary parts (``capabilities``, ``episodes``, ...).

    ``body`` holds the type's fields, e.g. ``{"capabilities": {...}}``.
    """
    if kind not in REPLY_TYPES or kind == "observation":
        raise ProtocolError("unknown_type", f"not a reply without parts: {kind!r}")
    return [_header(kind, request_id, body)]


def encode_error(request_id: int | None, code: str, message: str) -> list[bytes]:
    """Encodes an error reply."""
    return encode_reply("error", request_id, {"code": code, "message": message})


def _parts_spec(height: int, width: int, semantic: bool) -> list[dict[str, Any]]:
    spec: list[dict[str, Any]] = [
        {"name": "rgb", "dtype": "u8", "shape": [height, width, 3]},
        {"name": "depth", "dtype": "f32le", "shape": [height, width]},
    ]
    if semantic:
        spec.append({"name": "semantic", "dtype": "u32le", "shape": [height, width]})
    return spec


def encode_observation(obs: Observation, request_id: int | None) -> list[Part]:
    """Encodes an observation reply: header plus views of the arrays (no copy
    when they already are C-contiguous with the wire dtype)."""
    height, width = obs.depth.shape
    rgb = np.ascontiguousarray(obs.rgb, dtype=np.uint8)
    depth = np.ascontiguousarray(obs.depth, dtype="<f4")
    if rgb.shape != (height, width, 3):
        raise _malformed(f"rgb has shape {rgb.shape}, expected {(height, width, 3)}")
    body: dict[str, Any] = {
        "episode_id": obs.episode_id,
        "step": obs.step,
        "goal": obs.goal,
        "goal_category": obs.goal_category,
        "pose": None if obs.pose is None else vars(obs.pose),
        "last_action": obs.last_action,
        "last_action_success": obs.last_action_success,
        "done": obs.done,
        **({} if obs.stamp is None else {"stamp": obs.stamp}),
        **({"reset_map": True} if obs.reset_map else {}),
        "width": width,
        "height": height,
        "parts": _parts_spec(height, width, obs.semantic is not None),
    }
    parts: list[Part] = [_header("observation", request_id, body)]
    parts += [rgb.data.cast("B"), depth.data.cast("B")]
    if obs.semantic is not None:
        semantic = np.ascontiguousarray(obs.semantic, dtype="<u4")
        if semantic.shape != (height, width):
            raise _malformed(f"semantic has shape {semantic.shape}, expected {(height, width)}")
        parts.append(semantic.data.cast("B"))
    return parts


def decode_observation(header: Mapping[str, Any], parts: Sequence[Part]) -> Observation:
    """Decodes an observation from its parsed header and all message parts.

    The arrays are read-only views of the part buffers (``np.frombuffer``).
    """
    what = "observation header"
    width = _field(header, "width", int, what)
    height = _field(header, "height", int, what)
    if width == 0 or height == 0:
        raise _malformed(f"observation frame is {width}x{height}, expected a non-empty frame")
    spec = header.get("parts")
    if not isinstance(spec, list):
        raise _malformed(f"{what}: missing field `parts`")
    semantic = len(spec) == 3
    expected = _parts_spec(height, width, semantic)
    if spec != expected:
        raise _malformed(f'observation "parts" is {spec!r}, expected {expected!r}')
    binary = list(parts[1:])
    if len(binary) != len(expected):
        raise _malformed(
            f"observation header describes {len(expected)} binary parts "
            f"but the message has {len(binary)}"
        )
    sizes = {"u8": 1, "f32le": 4, "u32le": 4}
    for s, part in zip(expected, binary, strict=False):
        want = math.prod(s["shape"]) * sizes[s["dtype"]]
        got = memoryview(part).nbytes
        if got != want:
            raise _malformed(
                f"{s['name']} part has {got} bytes, expected {want} for shape {s['shape']} "
                f"{s['dtype']}"
            )
    pose_raw = header.get("pose")
    pose = None if pose_raw is None else _pose(pose_raw, "pose")
    stamp = header.get("stamp")
    if stamp is not None and (
        not isinstance(stamp, (int, float)) or isinstance(stamp, bool) or not math.isfinite(stamp)
    ):
        raise _malformed(f"stamp is {stamp!r}, expected a finite number of seconds")
    reset_map = header.get("reset_map", False)
    if not isinstance(reset_map, bool):
        raise _malformed(f"reset_map is {reset_map!r}, expected a bool")
    last_action = header.get("last_action")
    if last_action is not None and last_action not in ACTIONS:
        raise ProtocolError("unknown_action", f"unknown action {last_action!r}")

    rgb = np.frombuffer(binary[0], dtype=np.uint8).reshape(height, width, 3)
    depth = np.frombuffer(binary[1], dtype="<f4").reshape(height, width)
    finite = np.isfinite(depth)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ProtocolError(
            "bad_depth",
            f"depth frame has {bad.size} non-finite values (first at pixel {int(bad[0])})",
        )
    negative = np.flatnonzero(depth < 0)
    if negative.size:
        raise _malformed(
            f"depth frame has {negative.size} negative values (first at pixel {int(negative[0])})"
        )
    sem = None
    if semantic:
        sem = np.frombuffer(binary[2], dtype="<u4").reshape(height, width)
    return Observation(
        episode_id=_field(header, "episode_id", str, what),
        step=_field(header, "step", int, what),
        goal=_field(header, "goal", str, what),
        goal_category=_field(header, "goal_category", str, what),
        rgb=rgb,
        depth=depth,
        semantic=sem,
        pose=pose,
        last_action=last_action,
        last_action_success=_field(header, "last_action_success", bool, what),
        done=_field(header, "done", bool, what),
        stamp=None if stamp is None else float(stamp),
        reset_map=reset_map,
    )


_REPLY_FIELDS: dict[str, tuple[tuple[str, type], ...]] = {
    "capabilities": (("capabilities", dict),),
    "episodes": (("episodes", list),),
    "episode_result": (("result", dict),),
    "ok": (),
    "error": (("code", str), ("message", str)),
    "objects": (("objects", list),),
    "path": (("points", list),),
    "free": (("free", bool),),
}


def decode_reply(parts: Sequence[Part]) -> Reply:
    """Decodes a reply; an error reply decodes fine (``kind == "error"``)."""
    if not parts:
        raise _malformed("message has no parts")
    header, kind, request_id = parse_header(parts[0])
    if kind == "observation":
        return Reply(kind, request_id, observation=decode_observation(header, parts))
    if kind == "distance":
        if len(parts) != 1:
            raise _malformed(f"'distance' reply has {len(parts)} parts, expected 1")
        if "distance" not in header:
            raise _malformed("'distance' header: missing field `distance`")
        d = header["distance"]
        if d is not None and (
            not isinstance(d, (int, float)) or isinstance(d, bool) or not math.isfinite(d) or d < 0
        ):
            raise _malformed(f"distance is {d!r}, expected a finite number >= 0 or null")
        return Reply(kind, request_id, body={"distance": None if d is None else float(d)})
    if kind not in _REPLY_FIELDS:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}")
    if len(parts) != 1:
        raise _malformed(f"{kind!r} reply has {len(parts)} parts, expected 1")
    body = {
        name: _field(header, name, kind_, f"{kind!r} header") for name, kind_ in _REPLY_FIELDS[kind]
    }
    if kind == "path":
        body["points"] = [_point(p, "path point") for p in body["points"]]
    return Reply(kind, request_id, body=body)
