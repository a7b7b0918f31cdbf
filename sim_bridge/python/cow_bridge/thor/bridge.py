"""The RoboTHOR bridge: ai2thor's ``Controller`` behind cow's protocol v1.

:class:`ThorBackend` implements :class:`cow_bridge.server.Backend` for
RoboTHOR ObjectNav with CoW's controller settings (``agentMode`` locobot,
``rotateStepDegrees`` 30, ``gridSize`` 0.25, ``visibilityDistance`` 1.0,
``fieldOfView`` 90, ``snapToGrid`` False; 672 x 672 frames by default, all
configurable in :class:`ThorSettings`). Episodes come from RoboTHOR
challenge files (:mod:`cow_bridge.thor.episodes`).

Per episode: ``controller.reset(scene=...)``, then ``TeleportFull`` to the
episode's start. cow maps with a level camera, so the start horizon is 0
unless :attr:`ThorSettings.episode_horizon` asks for the episode's
``initial_horizon`` (the agent then maps with a tilted camera it does not
model). ``MoveAhead`` / ``RotateLeft`` / ``RotateRight`` go to the
controller with the configured step sizes, which ``capabilities.action_space``
announces. ``Stop`` never reaches the controller: the bridge ends the episode
and applies the challenge's rule, success = Stop while an instance of the
target type is ``visible`` (AI2-THOR's definition: in view and within
``visibilityDistance``) in the metadata of the current event.

Observations: ``event.frame`` (RGB), ``event.depth_frame`` (metres; values
beyond ``max_depth`` become 0, cow's "no reading"), and with
:attr:`ThorSettings.semantic` the instance segmentation mapped to cow's
``class << 16 | instance`` over the fixed class list :data:`SEMANTIC_CLASSES`
("nothing", RoboTHOR's 12 categories, "other"). Poses come from the agent
metadata through :func:`cow_bridge.frames.thor_pose`.

Camera (``capabilities.camera``): from width, height and ``fieldOfView``,
which AI2-THOR (Unity) applies vertically; ``fx = fy = (height / 2) /
tan(vfov / 2)`` (for square frames ``width / 2 / tan(hfov / 2)``), computed
in float64. ``max_depth`` is the ``cameraFarPlane`` of the build's
``Initialize`` reply unless :attr:`ThorSettings.max_depth` is set. The camera
height above the floor is :attr:`ThorSettings.camera_height` (default 0.8658 m,
the LoCoBot's, CoW's value); ``None`` derives it from the metadata as
``cameraPosition.y - agent.position.y``, which is the height above the floor
only for a build that reports the agent's position on the floor (the fake
build of :mod:`cow_bridge.testing.fake_thor` does; a real AI2-THOR agent's
``position.y`` is the centre of its body, about 0.90 m up).

Episode results: the path is the agent's metadata positions after the
teleport and after every action; ``path_length`` is their
``ai2thor.util.metrics.path_distance``; ``shortest_path_length`` the
episode's (``path_distance`` of its ``shortest_path`` where the file has
one); ``initial_distance_to_goal`` and ``distance_to_goal`` are the
``path_distance`` of the corners of ``GetShortestPath(objectType, position)``
from the start and the current position (a straight line to the nearest
instance, with a warning, when AI2-THOR finds no path); ``goal_seen`` is
whether a target instance appeared in a segmentation frame (with
:attr:`ThorSettings.semantic`; else whether one was ever ``visible``).
``measures["spl"]`` is ai2thor's own ``compute_single_spl(path,
shortest_path, success)``, with the episode's ``shortest_path`` or, where the
file has none, the corners from the start.

Simulator surface used: ``ai2thor.controller.Controller(**kwargs)`` with the
keywords of :func:`controller_kwargs`; ``Controller.reset(scene=)``,
``Controller.step(action=...)`` for ``TeleportFull`` (x, y, z, rotation,
horizon, standing), ``MoveAhead`` (moveMagnitude), ``RotateLeft`` /
``RotateRight`` (degrees) and ``GetShortestPath`` (objectType, position);
``Controller.last_event`` and ``Controller.stop()``. Of an ``Event``:
``frame``, ``depth_frame``, ``instance_segmentation_frame``,
``color_to_object_id`` and ``metadata`` keys ``agent`` (position,
rotation), ``cameraPosition``, ``objects`` (objectType, objectId, visible,
position), ``lastActionSuccess``, ``errorMessage``, ``actionReturn``
(``corners`` of GetShortestPath; ``cameraFarPlane`` of Initialize).
``ai2thor.util.metrics.path_distance`` and ``compute_single_spl``;
``ai2thor.platform.STR_PLATFORM_MAP`` for ``--platform``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ai2thor.controller  # type: ignore[import-untyped]
import ai2thor.platform  # type: ignore[import-untyped]
import ai2thor.util.metrics as thor_metrics  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

from cow_bridge.frames import thor_pose, thor_to_world
from cow_bridge.goals import goal_words
from cow_bridge.protocol import (
    ACTIONS,
    VERSION,
    Observation,
    Pose,
    ProtocolError,
    camera_from_hfov,
)
from cow_bridge.thor.episodes import ThorEpisode, ThorPoint, path_distance

log = logging.getLogger(__name__)

ROBOTHOR_CATEGORIES = (
    "AlarmClock",
    "Apple",
    "BaseballBat",
    "BasketBall",
    "Bowl",
    "GarbageCan",
    "HousePlant",
    "Laptop",
    "Mug",
    "SprayBottle",
    "Television",
    "Vase",
)
"""The 12 target categories of RoboTHOR ObjectNav (AI2-THOR object types)."""

SEMANTIC_CLASSES = ("nothing", *ROBOTHOR_CATEGORIES, "other")
"""``capabilities.semantic_classes``: class 0 is no object, 1-12 the RoboTHOR
categories, the last every other object."""

OTHER_CLASS = len(SEMANTIC_CLASSES) - 1
"""Class index of objects of any type outside the 12 categories."""

LOCOBOT_CAMERA_HEIGHT = 0.8658
"""Height of the LoCoBot's camera above the floor, metres (CoW's value)."""

PLATFORMS = ("Linux64", "CloudRendering")
"""AI2-THOR platforms a downloaded build can be started on."""


@dataclass(frozen=True)
class ThorSettings:
    """Controller and bridge settings; the defaults are CoW's RoboTHOR ones."""

    width: int = 672
    height: int = 672
    field_of_view: float = 90.0
    """AI2-THOR's ``fieldOfView``, degrees; Unity applies it vertically."""
    grid_size: float = 0.25
    move_step: float | None = None
    """``MoveAhead`` distance (``moveMagnitude``), metres; ``None`` = ``grid_size``."""
    rotate_step_degrees: float = 30.0
    visibility_distance: float = 1.0
    agent_mode: str = "locobot"
    snap_to_grid: bool = False
    semantic: bool = False
    """Render instance segmentation and send cow semantic frames."""
    camera_height: float | None = LOCOBOT_CAMERA_HEIGHT
    """Camera height above the floor, metres; ``None``: from the metadata."""
    max_depth: float | None = None
    """Depth range, metres; ``None``: the ``cameraFarPlane`` of the Initialize reply."""
    episode_horizon: bool = False
    """Start with the episode's ``initial_horizon`` instead of a level camera."""
    max_steps: int = 0
    """Bridge-side step limit (0 = none; cow's runner enforces its own budget)."""
    build: str | None = None
    """A local build to launch (``local_executable_path``; split with shlex)."""
    x_display: str | None = None
    platform: str | None = None
    """Platform of a downloaded build (:data:`PLATFORMS`); ``None``: ai2thor's choice."""
    server_timeout: float = 100.0
    server_start_timeout: float = 300.0

    @property
    def move_distance(self) -> float:
        """The ``MoveAhead`` distance in use, metres."""
        return self.grid_size if self.move_step is None else self.move_step

    def check(self) -> None:
        """Raises ``ValueError`` for settings no controller can run."""
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"frame size {self.width} x {self.height} must be positive")
        if not 0.0 < self.field_of_view < 180.0:
            raise ValueError(f"fieldOfView {self.field_of_view} must be in (0, 180) degrees")
        positive = {
            "grid size": self.grid_size,
            "move step": self.move_distance,
            "rotate step": self.rotate_step_degrees,
            "visibility distance": self.visibility_distance,
        }
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} {value} must be a positive number")
        if self.camera_height is not None and not math.isfinite(self.camera_height):
            raise ValueError(f"camera height {self.camera_height} is not finite")
        if self.max_depth is not None and not (
            math.isfinite(self.max_depth) and self.max_depth > 0
        ):
            raise ValueError(f"max depth {self.max_depth} must be a positive number")
        if self.max_steps < 0:
            raise ValueError(f"max steps {self.max_steps} must be >= 0")
        if self.platform is not None and self.platform not in PLATFORMS:
            raise ValueError(f"platform {self.platform!r} is none of {', '.join(PLATFORMS)}")
        if self.platform is not None and self.build is not None:
            raise ValueError("a platform applies to a downloaded build, not to --build")


def controller_kwargs(settings: ThorSettings, scene: str) -> dict[str, Any]:
    """Keyword arguments of ``ai2thor.controller.Controller`` for these settings,
    starting in ``scene``; every key after ``scene`` is an Initialize parameter."""
    kwargs: dict[str, Any] = {
        "width": settings.width,
        "height": settings.height,
        "server_timeout": settings.server_timeout,
        "server_start_timeout": settings.server_start_timeout,
    }
    if settings.build is not None:
        kwargs["local_executable_path"] = settings.build
    if settings.x_display is not None:
        kwargs["x_display"] = settings.x_display
    if settings.platform is not None:
        kwargs["platform"] = ai2thor.platform.STR_PLATFORM_MAP[settings.platform]
    kwargs.update(
        scene=scene,
        agentMode=settings.agent_mode,
        gridSize=settings.grid_size,
        rotateStepDegrees=settings.rotate_step_degrees,
        visibilityDistance=settings.visibility_distance,
        fieldOfView=settings.field_of_view,
        snapToGrid=settings.snap_to_grid,
        renderDepthImage=True,
        renderInstanceSegmentation=settings.semantic,
    )
    return kwargs


def horizontal_fov(width: int, height: int, field_of_view: float) -> float:
    """The horizontal field of view, degrees, of a Unity camera of ``width`` x
    ``height`` pixels with vertical field of view ``field_of_view`` degrees
    (square pixels): the same angle for square frames."""
    if width == height:
        return float(field_of_view)
    fy = height / 2.0 / math.tan(math.radians(field_of_view) / 2.0)
    return math.degrees(2.0 * math.atan(width / 2.0 / fy))


def camera_intrinsics(
    width: int, height: int, field_of_view: float, camera_height: float, max_depth: float
) -> dict[str, Any]:
    """``capabilities.camera`` of a Unity camera with vertical field of view
    ``field_of_view`` degrees (float64 throughout; square pixels, centred
    principal point): :func:`~cow_bridge.protocol.camera_from_hfov` of its
    :func:`horizontal_fov`."""
    hfov = horizontal_fov(width, height, field_of_view)
    return camera_from_hfov(width, height, hfov, camera_height, max_depth)


def capabilities(settings: ThorSettings, camera_height: float, max_depth: float) -> dict[str, Any]:
    """The ``capabilities`` reply of the bridge (PROTOCOL.md section 4)."""
    return {
        "protocol_version": VERSION,
        "simulator": "ai2thor-robothor",
        "camera": camera_intrinsics(
            settings.width, settings.height, settings.field_of_view, camera_height, max_depth
        ),
        "actions": list(ACTIONS),
        "action_space": {
            "move_step": settings.move_distance,
            "turn_step_deg": settings.rotate_step_degrees,
        },
        "provides_pose": True,
        "provides_semantic": settings.semantic,
        "semantic_classes": list(SEMANTIC_CLASSES),
        "success_distance": settings.visibility_distance,
    }


def camera_height_from_metadata(metadata: Mapping[str, Any]) -> float | None:
    """``cameraPosition.y - agent.position.y`` of an event's metadata, or ``None``
    when it has no ``cameraPosition``."""
    camera = metadata.get("cameraPosition")
    if not isinstance(camera, Mapping) or "y" not in camera:
        return None
    return float(camera["y"]) - float(metadata["agent"]["position"]["y"])


def max_depth_from_initialize(action_return: object) -> float | None:
    """The ``cameraFarPlane`` of an Initialize reply's ``actionReturn``, if it has one."""
    if isinstance(action_return, Mapping) and "cameraFarPlane" in action_return:
        far = float(action_return["cameraFarPlane"])
        if math.isfinite(far) and far > 0:
            return far
    return None


def target_visible(objects: Iterable[Mapping[str, Any]], object_type: str) -> bool:
    """The RoboTHOR challenge's success test: an object of ``object_type`` is
    ``visible`` in the event's object metadata."""
    return any(o.get("objectType") == object_type and bool(o.get("visible")) for o in objects)


def semantic_class(object_type: str) -> int:
    """Class index of an AI2-THOR object type in :data:`SEMANTIC_CLASSES`."""
    if object_type in ROBOTHOR_CATEGORIES:
        return 1 + ROBOTHOR_CATEGORIES.index(object_type)
    return OTHER_CLASS


def object_type_of(object_id: str, types: Mapping[str, str]) -> str:
    """The object type of an object id: from the metadata objects where listed,
    else the id's prefix before ``|`` (AI2-THOR ids are ``Type|x|y|z``)."""
    return types.get(object_id) or object_id.split("|", 1)[0]


@dataclass
class InstanceNumbers:
    """Per-episode instance numbers: the n-th object of a class (in metadata
    order, then in order of first sight) is instance n, from 1."""

    types: dict[str, str] = field(default_factory=dict)
    values: dict[str, int] = field(default_factory=dict)
    _counts: dict[int, int] = field(default_factory=dict)

    def add_objects(self, objects: Iterable[Mapping[str, Any]]) -> None:
        """Registers the types of metadata objects and numbers the new ones."""
        for o in objects:
            object_id = str(o["objectId"])
            self.types[object_id] = str(o["objectType"])
            self.value(object_id)

    def value(self, object_id: str) -> int:
        """cow's semantic value ``class << 16 | instance`` of an object id."""
        known = self.values.get(object_id)
        if known is not None:
            return known
        cls = semantic_class(object_type_of(object_id, self.types))
        n = self._counts.get(cls, 0) + 1
        self._counts[cls] = n
        value = (cls << 16) | (n & 0xFFFF)
        self.values[object_id] = value
        return value


def semantic_frame(
    ids_frame: npt.NDArray[np.uint8],
    color_to_object_id: Mapping[tuple[int, int, int], str],
    numbers: InstanceNumbers,
) -> tuple[npt.NDArray[np.uint32], set[str]]:
    """cow's semantic frame (``class << 16 | instance``, u32 H x W) of an
    AI2-THOR instance segmentation frame (RGB colours H x W x 3) and the
    event's colour-to-object-id table, and the ids of the objects in it.
    Colours of no object are class 0."""
    rgb = np.asarray(ids_frame, dtype=np.uint8)[..., :3].astype(np.uint32)
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    unique, inverse = np.unique(keys, return_inverse=True)
    lookup = np.zeros(unique.shape, dtype=np.uint32)
    present: set[str] = set()
    for i, key in enumerate(unique.tolist()):
        color = ((key >> 16) & 0xFF, (key >> 8) & 0xFF, key & 0xFF)
        object_id = color_to_object_id.get(color)
        if object_id is not None:
            lookup[i] = numbers.value(object_id)
            present.add(object_id)
    return lookup[inverse.reshape(keys.shape)], present


@dataclass
class _Run:
    """State of the running (or just finished) episode."""

    episode: ThorEpisode
    event: Any
    """The event of the last teleport or action (Stop keeps the previous one)."""
    numbers: InstanceNumbers
    initial_distance: float
    initial_corners: list[ThorPoint]
    steps: int = 0
    done: bool = False
    stopped: bool = False
    success: bool = False
    goal_seen: bool = False
    positions: list[ThorPoint] = field(default_factory=list)
    poses: list[Pose] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)


def _position(event: Any) -> ThorPoint:
    p = event.metadata["agent"]["position"]
    return {"x": float(p["x"]), "y": float(p["y"]), "z": float(p["z"])}


class ThorBackend:
    """A :class:`cow_bridge.server.Backend` over ai2thor's ``Controller`` for
    RoboTHOR ObjectNav episodes. Call :meth:`close` to stop the controller."""

    def __init__(self, episodes: Sequence[ThorEpisode], settings: ThorSettings) -> None:
        if not episodes:
            raise ValueError("no episodes to serve")
        settings.check()
        self.settings = settings
        self._episodes = list(episodes)
        self._by_id = {e.id: e for e in self._episodes}
        if len(self._by_id) != len(self._episodes):
            raise ValueError("episode ids are not unique")
        if settings.build is not None and settings.x_display is None:
            raise ValueError(
                "ai2thor launches a local build with an X display: pass --x-display or set DISPLAY"
            )
        kwargs = controller_kwargs(settings, self._episodes[0].scene)
        log.info("starting ai2thor's Controller (%s)", settings.build or "downloaded build")
        self._controller: Any = ai2thor.controller.Controller(**kwargs)
        try:
            first = self._controller.last_event
            camera_height = settings.camera_height
            if camera_height is None:
                camera_height = camera_height_from_metadata(first.metadata)
                if camera_height is None:
                    raise ValueError(
                        "the build's metadata has no cameraPosition: pass --camera-height"
                    )
            max_depth = settings.max_depth
            if max_depth is None:
                max_depth = max_depth_from_initialize(first.metadata.get("actionReturn"))
                if max_depth is None:
                    raise ValueError(
                        "the build's Initialize reply has no cameraFarPlane: pass --max-depth"
                    )
        except BaseException:
            self._controller.stop()
            raise
        self.max_depth = max_depth
        self._capabilities = capabilities(settings, camera_height, max_depth)
        self._run: _Run | None = None
        log.info(
            "RoboTHOR bridge ready: %d episodes, camera %s",
            len(self._episodes),
            self._capabilities["camera"],
        )

    # ---------------------------------------------------------------- Backend

    def hello(self) -> dict[str, Any]:
        return self._capabilities

    def list_episodes(self) -> list[dict[str, Any]]:
        return [e.to_cow() for e in self._episodes]

    def reset(self, episode_id: str) -> Observation:
        episode = self._by_id.get(episode_id)
        if episode is None:
            raise ProtocolError("unknown_episode", f"unknown episode {episode_id!r}")
        self._run = None
        self._controller.reset(scene=episode.scene)
        p = episode.initial_position
        horizon = episode.initial_horizon if self.settings.episode_horizon else 0.0
        event = self._controller.step(
            action="TeleportFull",
            x=p["x"],
            y=p["y"],
            z=p["z"],
            rotation={"x": 0.0, "y": episode.initial_orientation, "z": 0.0},
            horizon=horizon,
            standing=True,
        )
        if not event.metadata["lastActionSuccess"]:
            raise RuntimeError(
                f"TeleportFull to the start of episode {episode.id!r} failed: "
                f"{event.metadata.get('errorMessage')}"
            )
        numbers = InstanceNumbers()
        numbers.add_objects(event.metadata["objects"])
        start = _position(event)
        distance, corners = self._distance_to_goal(episode, start, event)
        run = _Run(
            episode=episode,
            event=event,
            numbers=numbers,
            initial_distance=distance,
            initial_corners=corners,
        )
        self._run = run
        return self._observe(run, None, True)

    def step(self, action: str) -> Observation:
        run = self._run
        if run is None:
            raise ProtocolError("no_episode", "step before reset")
        if run.done:
            why = "Stop" if run.stopped else "the step limit"
            raise ProtocolError("no_episode", f"episode {run.episode.id!r} has ended ({why})")
        if action not in ACTIONS:
            raise ProtocolError("unknown_action", f"unknown action {action!r}")
        if action == "Stop":
            run.stopped = True
            run.done = True
            run.success = target_visible(run.event.metadata["objects"], run.episode.object_type)
            ok = True
        else:
            if action == "MoveAhead":
                event = self._controller.step(
                    action="MoveAhead", moveMagnitude=self.settings.move_distance
                )
            else:
                event = self._controller.step(
                    action=action, degrees=self.settings.rotate_step_degrees
                )
            run.event = event
            run.numbers.add_objects(event.metadata["objects"])
            ok = bool(event.metadata["lastActionSuccess"])
        run.steps += 1
        run.actions.append({"action": action, "success": ok})
        if self.settings.max_steps and run.steps >= self.settings.max_steps:
            run.done = True
        return self._observe(run, action, ok)

    def episode_result(self) -> dict[str, Any]:
        run = self._run
        if run is None:
            raise ProtocolError("no_episode", "episode_result before any reset")
        episode = run.episode
        distance, _ = self._distance_to_goal(episode, _position(run.event), run.event)
        shortest = episode.known_shortest_path_length
        shortest_path = (
            list(episode.shortest_path)
            if episode.shortest_path is not None
            else run.initial_corners
        )
        spl = float(thor_metrics.compute_single_spl(run.positions, shortest_path, run.success))
        goals = [
            o["position"]
            for o in run.event.metadata["objects"]
            if o.get("objectType") == episode.object_type
        ]
        return {
            "episode_id": episode.id,
            "success": run.success,
            "stopped": run.stopped,
            "distance_to_goal": distance,
            "initial_distance_to_goal": run.initial_distance,
            "shortest_path_length": run.initial_distance if shortest is None else shortest,
            "path_length": path_distance(run.positions),
            "steps": run.steps,
            "goal_seen": run.goal_seen,
            "path": [vars(p) for p in run.poses],
            "actions": list(run.actions),
            "goal_positions": [_xyz(thor_to_world(g)) for g in goals],
            "measures": {"spl": spl},
        }

    # ---------------------------------------------------------------- helpers

    def close(self) -> None:
        """Stops the controller (and the build it launched)."""
        self._controller.stop()

    def _distance_to_goal(
        self, episode: ThorEpisode, position: ThorPoint, event: Any
    ) -> tuple[float, list[ThorPoint]]:
        """Geodesic distance from ``position`` to the episode's target type (the
        ``path_distance`` of ``GetShortestPath``'s corners) and the corners; the
        straight-line distance to the nearest instance when there is no path."""
        message = ""
        try:
            reply = self._controller.step(
                action="GetShortestPath", objectType=episode.object_type, position=position
            )
            if reply.metadata["lastActionSuccess"]:
                corners = [
                    {"x": float(c["x"]), "y": float(c["y"]), "z": float(c["z"])}
                    for c in reply.metadata["actionReturn"]["corners"]
                ]
                return path_distance(corners), corners
            message = str(reply.metadata.get("errorMessage"))
        except ValueError as e:  # the Controller raises it for an invalid argument
            message = str(e)
        targets = [
            o["position"]
            for o in event.metadata["objects"]
            if o.get("objectType") == episode.object_type
        ]
        if not targets:
            raise RuntimeError(
                f"episode {episode.id!r}: GetShortestPath found no path ({message}) and the "
                f"scene has no {episode.object_type}"
            )
        nearest = min(targets, key=lambda t: path_distance([position, t]))
        log.warning(
            "episode %s: GetShortestPath to %s found no path (%s); using the straight line",
            episode.id,
            episode.object_type,
            message,
        )
        return path_distance([position, nearest]), [position, dict(nearest)]

    def _observe(self, run: _Run, action: str | None, ok: bool) -> Observation:
        event = run.event
        if event.frame is None or event.depth_frame is None:
            raise RuntimeError("the build sent no RGB or no depth frame (renderDepthImage?)")
        rgb = np.ascontiguousarray(event.frame, dtype=np.uint8)
        depth = np.array(event.depth_frame, dtype=np.float32)
        depth[~np.isfinite(depth) | (depth < 0.0) | (depth > self.max_depth)] = 0.0
        semantic = None
        target = run.episode.object_type
        if self.settings.semantic:
            if event.instance_segmentation_frame is None:
                raise RuntimeError("the build sent no instance segmentation frame")
            semantic, present = semantic_frame(
                event.instance_segmentation_frame, event.color_to_object_id, run.numbers
            )
            run.goal_seen |= any(object_type_of(i, run.numbers.types) == target for i in present)
        else:
            run.goal_seen |= target_visible(event.metadata["objects"], target)
        pose = thor_pose(event.metadata["agent"])
        run.positions.append(_position(event))
        run.poses.append(pose)
        return Observation(
            episode_id=run.episode.id,
            step=run.steps,
            goal=goal_words(run.episode.object_type),
            goal_category=run.episode.object_type,
            rgb=rgb,
            depth=depth,
            semantic=semantic,
            pose=pose,
            last_action=action,
            last_action_success=ok,
            done=run.done,
        )


def _xyz(p: Sequence[float]) -> dict[str, float]:
    return {"x": float(p[0]), "y": float(p[1]), "z": float(p[2])}
