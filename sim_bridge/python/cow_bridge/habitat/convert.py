"""What the Habitat bridge converts between habitat-lab's data and cow's wire.

Pure functions over numpy arrays and plain mappings (an OmegaConf
``DictConfig`` is one), with no habitat import, so that each is tested on
hand-made inputs. Frames and poses go through :mod:`cow_bridge.frames`.

- Semantic frames: a simulator semantic id becomes cow's ``class << 16 |
  instance``. The classes are fixed per bridge: ``"nothing"``, then the
  task's goal categories (the dataset's ``category_to_task_category_id``
  order), then ``"other"``. An id takes the class of its annotated category
  (matched on letters and digits, case-insensitively, after the optional
  aliases: ``tv`` -> ``tv_monitor``), ``"other"`` for any other annotated
  category and for unannotated non-zero ids, ``"nothing"`` for an
  unannotated id 0 (habitat-sim's "no object"). The instance is the id's low
  16 bits.
- Depth: metres, with every value at or beyond the sensor's ``max_depth``, at
  or below its ``min_depth`` (habitat-sim clips depth to that range, so a
  clipped value is no reading) or not finite sent as 0, cow's "no reading".
- Camera: a pinhole with square pixels from the sensor configs (``width``,
  ``height``, ``hfov``, ``position``), ``fx = fy = width / 2 / tan(hfov / 2)``
  in float64, principal point at the image centre, ``camera_height`` the
  sensor's height above the agent base (``position[1]``). RGB, depth and
  semantic sensors must share that geometry and look straight ahead from
  above the base centre: cow's camera model has no other.
- Actions: cow's four actions map to the task's actions of types
  ``MoveForwardAction``, ``TurnLeftAction``, ``TurnRightAction`` and
  ``StopAction``, under whatever names the task config gives them.
- Yaw: sent in (-pi, pi] as a binary32 reader sees it (:func:`wire_yaw`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from cow_bridge.frames import habitat_rotation_to_yaw, habitat_to_world, wrap_yaw
from cow_bridge.goals import goal_words
from cow_bridge.protocol import camera_from_hfov

NOTHING = "nothing"
"""Class 0: no object in the pixel."""

OTHER = "other"
"""The last class: an object of no goal category (walls, floors, furniture)."""

COW_ACTION_TYPES = {
    "MoveAhead": "MoveForwardAction",
    "RotateLeft": "TurnLeftAction",
    "RotateRight": "TurnRightAction",
    "Stop": "StopAction",
}
"""cow's wire action -> the habitat-lab task action type that performs it."""

_F32_PI = float(np.float32(math.pi))
# Between binary32 pi - 2 pi (where binary32 pi lands after a float64 round trip
# through a quaternion) and the binary32 number just above -pi.
_YAW_LOW = 0.5 * (
    (_F32_PI - 2.0 * math.pi) + float(np.nextafter(np.float32(-math.pi), np.float32(0.0)))
)


def category_key(name: str) -> str:
    """Matching key of a category name: its letters and digits, lower case
    (``"tv_monitor"``, ``"TV monitor"`` and ``"TvMonitor"`` match)."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def semantic_classes(categories: Sequence[str]) -> list[str]:
    """cow's class list for a task: ``"nothing"``, the categories, ``"other"``.

    Raises :class:`ValueError` for a category whose key repeats another's or
    is that of ``"nothing"`` or ``"other"``.
    """
    seen = {category_key(NOTHING), category_key(OTHER)}
    for c in categories:
        key = category_key(c)
        if not key or key in seen:
            raise ValueError(f"task category {c!r} clashes with another semantic class")
        seen.add(key)
    return [NOTHING, *categories, OTHER]


def annotation_categories(objects: Iterable[object]) -> dict[int, str]:
    """Semantic id -> category name of a habitat-sim ``SemanticScene.objects``
    list (entries may be ``None``).

    The id is the object's ``semantic_id`` where it has one, else the number
    after the last ``_`` of its ``id`` (habitat-lab's own convention for
    ObjectNav goals); the name is ``category.name()``. Objects without a
    readable id or category are left out.
    """
    out: dict[int, str] = {}
    for obj in objects:
        if obj is None:
            continue
        sid = getattr(obj, "semantic_id", None)
        if sid is None:
            try:
                sid = int(str(getattr(obj, "id", "")).rsplit("_", 1)[-1])
            except ValueError:
                continue
        category = getattr(obj, "category", None)
        name = category.name() if category is not None else None
        if isinstance(name, str) and name:
            out[int(sid)] = name
    return out


class SemanticMapper:
    """Maps semantic frames of simulator ids to cow's ``class << 16 | instance``."""

    def __init__(
        self,
        classes: Sequence[str],
        id_categories: Mapping[int, str],
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        """``classes`` from :func:`semantic_classes`; ``id_categories`` from
        :func:`annotation_categories`; ``aliases`` maps an annotation's
        category name to a task category (``{"tv": "tv_monitor"}``)."""
        if len(classes) < 2 or classes[0] != NOTHING or classes[-1] != OTHER:
            raise ValueError(
                f"semantic classes {list(classes)!r} must run from {NOTHING!r} to {OTHER!r}"
            )
        self.classes = list(classes)
        self._index = {category_key(c): i for i, c in enumerate(self.classes[1:-1], start=1)}
        self._aliases = {category_key(k): category_key(v) for k, v in (aliases or {}).items()}
        for raw, target in self._aliases.items():
            if target not in self._index:
                raise ValueError(f"alias {raw!r} -> {target!r}: {target!r} is no task category")
        self._id_class = {sid: self.class_of(name) for sid, name in id_categories.items()}

    @property
    def other(self) -> int:
        """Index of ``"other"``."""
        return len(self.classes) - 1

    def class_of(self, category: str) -> int:
        """Class index of a category name (after aliases); ``"other"`` if it is
        no task category."""
        key = category_key(category)
        key = self._aliases.get(key, key)
        return self._index.get(key, self.other)

    def class_of_id(self, semantic_id: int) -> int:
        """Class index of one simulator semantic id."""
        if semantic_id in self._id_class:
            return self._id_class[semantic_id]
        return 0 if semantic_id <= 0 else self.other

    def __call__(self, frame: npt.NDArray[Any]) -> npt.NDArray[np.uint32]:
        """The cow semantic frame (H x W ``uint32``) of an H x W or H x W x 1
        integer frame of simulator ids."""
        ids = _plane(np.asarray(frame), "semantic")
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"semantic frame has dtype {ids.dtype}, expected integers")
        unique, inverse = np.unique(ids.astype(np.int64).reshape(-1), return_inverse=True)
        classes = np.array([self.class_of_id(int(i)) for i in unique], dtype=np.int64)
        instance = np.where(unique > 0, unique & 0xFFFF, 0)
        values = np.where(classes == 0, 0, (classes << 16) | instance).astype(np.uint32)
        out: npt.NDArray[np.uint32] = values[inverse].reshape(ids.shape)
        return out


def _plane(a: npt.NDArray[Any], what: str) -> npt.NDArray[Any]:
    if a.ndim == 3 and a.shape[2] == 1:
        return a[:, :, 0]
    if a.ndim != 2:
        raise ValueError(f"{what} frame has shape {a.shape}, expected H x W or H x W x 1")
    return a


def depth_to_wire(
    depth: npt.NDArray[Any], min_depth: float, max_depth: float
) -> npt.NDArray[np.float32]:
    """cow's depth frame (H x W ``float32`` metres, 0 = no reading) of a
    habitat depth observation in metres (``normalize_depth: False``)."""
    d = _plane(np.asarray(depth, dtype=np.float32), "depth")
    lo, hi = np.float32(min_depth), np.float32(max_depth)
    valid = np.isfinite(d) & (d > lo) & (d < hi)
    out: npt.NDArray[np.float32] = np.where(valid, d, np.float32(0.0)).astype(np.float32)
    return out


def rgb_to_wire(rgb: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """cow's RGB frame (H x W x 3 ``uint8``) of an RGB or RGBA observation."""
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.dtype != np.uint8:
        raise ValueError(
            f"rgb frame has shape {a.shape} and dtype {a.dtype}, expected H x W x 3 u8"
        )
    out: npt.NDArray[np.uint8] = np.ascontiguousarray(a[:, :, :3])
    return out


def _geometry(
    cfg: Mapping[str, Any],
) -> tuple[int, int, float, tuple[float, ...], tuple[float, ...]]:
    return (
        int(cfg["width"]),
        int(cfg["height"]),
        float(cfg["hfov"]),
        tuple(float(v) for v in cfg["position"]),
        tuple(float(v) for v in cfg.get("orientation", (0.0, 0.0, 0.0))),
    )


def camera(
    rgb: Mapping[str, Any], depth: Mapping[str, Any], semantic: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``capabilities.camera`` of the agent's sensor configs (PROTOCOL.md
    section 4). Raises :class:`ValueError` when the sensors differ in size,
    field of view, position or orientation, look anywhere but straight ahead,
    sit off the base's vertical axis or are no pinhole cameras."""
    sensors = {"rgb": rgb, "depth": depth, **({} if semantic is None else {"semantic": semantic})}
    geometry = {name: _geometry(cfg) for name, cfg in sensors.items()}
    width, height, hfov, position, orientation = geometry["rgb"]
    for name, g in geometry.items():
        if g != geometry["rgb"]:
            raise ValueError(
                f"the {name} sensor (width, height, hfov, position, orientation) = {g} differs "
                f"from the rgb sensor's {geometry['rgb']}: cow needs registered frames"
            )
    for name, cfg in sensors.items():
        subtype = str(cfg.get("sensor_subtype", "PINHOLE"))
        if subtype.upper() != "PINHOLE":
            raise ValueError(f"the {name} sensor is a {subtype} camera; cow needs a pinhole")
    if any(v != 0.0 for v in orientation):
        raise ValueError(f"sensor orientation {orientation} is not level: cow's camera looks ahead")
    if len(position) != 3 or position[0] != 0.0 or position[2] != 0.0:
        raise ValueError(f"sensor position {position} is off the agent's vertical axis")
    if width <= 0 or height <= 0 or not 0.0 < hfov < 180.0:
        raise ValueError(f"sensor size {width} x {height} or hfov {hfov} is not a camera")
    return camera_from_hfov(width, height, hfov, position[1], float(depth["max_depth"]))


def task_action_names(actions: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """cow action -> the task's action name, from the task config's
    ``actions`` (name -> config with a ``type``). Raises :class:`ValueError`
    when one of the four types is missing or configured twice."""
    by_type: dict[str, list[str]] = {}
    for name, cfg in actions.items():
        by_type.setdefault(str(cfg["type"]), []).append(str(name))
    out: dict[str, str] = {}
    for cow, kind in COW_ACTION_TYPES.items():
        names = by_type.get(kind, [])
        if len(names) != 1:
            raise ValueError(
                f"the task config needs exactly one action of type {kind} (for cow's {cow}); "
                f"it has {names or 'none'} among {sorted(actions)}"
            )
        out[cow] = names[0]
    return out


def wire_yaw(yaw: float) -> float:
    """A world yaw (radians) wrapped so that its binary32 rounding lies in
    (-pi, pi] as binary32 has it.

    cow's poses are binary32, and cow's heading of 180 deg is binary32 pi,
    3.14159274, just above pi: after a float64 trip through a Habitat
    quaternion it comes back as 3.14159274 - 2 pi, just above -pi, which
    would round to the binary32 -3.1415925, another heading. This maps it,
    and only it, back to +pi: the result is ``wrap_yaw(yaw)``, plus 2 pi
    below about -pi + 3e-8.
    """
    w = wrap_yaw(yaw)
    return w + 2.0 * math.pi if w <= _YAW_LOW else w


def episode_record(
    episode_id: str,
    scene_id: str,
    category: str,
    start_position: Sequence[float],
    start_rotation: Sequence[float],
    shortest_path_length: float,
) -> dict[str, Any]:
    """cow's episode dict (``sim_bridge::types::Episode``) of a Habitat
    ObjectNav episode: start pose in the world frame, heading in degrees
    counter-clockwise, scene = the scene file's name without its extension,
    ``rooms`` 0 (unknown)."""
    x, y, z = habitat_to_world(start_position)
    name = scene_id.replace("\\", "/").rsplit("/", 1)[-1]
    return {
        "id": episode_id,
        "scene": name.split(".", 1)[0] or name,
        "object_type": category,
        "goal": goal_words(category),
        "initial_position": {"x": x, "y": y, "z": z},
        "initial_orientation": math.degrees(wire_yaw(habitat_rotation_to_yaw(start_rotation))),
        "shortest_path_length": float(shortest_path_length),
        "rooms": 0,
    }


def path_length(positions: Sequence[npt.NDArray[np.float64]]) -> float:
    """Sum of the Euclidean distances between consecutive positions (what
    habitat-lab's SPL accumulates), metres."""
    return float(sum(float(np.linalg.norm(b - a)) for a, b in itertools.pairwise(positions)))


def _number(value: object) -> float | None:
    if isinstance(value, (bool, int, float, np.number)) or (
        isinstance(value, np.ndarray) and value.shape == ()
    ):
        f = float(value)  # type: ignore[arg-type, unused-ignore]
        return f if math.isfinite(f) else None
    return None


def finite_measures(metrics: Mapping[str, Any]) -> dict[str, float]:
    """habitat-lab's metrics as ``measures``: every finite number under its own
    name, and the finite numbers of a dict-valued metric as ``name.key``
    (``collisions.count``); anything else (maps, arrays, infinities) left out."""
    out: dict[str, float] = {}
    for name, value in metrics.items():
        if isinstance(value, Mapping):
            for key, inner in value.items():
                f = _number(inner)
                if f is not None:
                    out[f"{name}.{key}"] = f
            continue
        f = _number(value)
        if f is not None:
            out[str(name)] = f
    return out
