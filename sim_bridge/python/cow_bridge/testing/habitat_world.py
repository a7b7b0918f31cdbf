"""Test helper: a fake habitat-lab renderer that shows cow's embedded houses.

:class:`CowTestWorld` is a habitat-lab simulator class, registered as
``CowTestWorld-v0`` with ``@registry.register_simulator`` and selected with
the override ``habitat.simulator.type=CowTestWorld-v0``. It stands where
habitat-sim would: habitat-lab's real ``habitat.Env``, ObjectNav task,
measures (DistanceToGoal, Success, SPL, SoftSPL), lab sensors and dataset
loader run on top of it unchanged. Behind it is a ``cow sim serve`` server
(a test world, ``capabilities.test_world``) at the endpoint in the
environment variable ``COW_TEST_WORLD``, driven with :class:`cow_bridge.Client`:

- ``reconfigure(config, episode)``: the scene is ``config.scene``'s file name
  without extension (``cow/house_2000000.glb`` -> ``house_2000000``); cow
  ``reset``s its episode in that scene with the episode's
  ``object_category`` whose start is nearest to the requested one, then
  ``set_pose`` puts the agent at the config's start state
  (``agents.<default>.start_position`` / ``start_rotation``, converted from
  Habitat's frame) when ``is_set_start_state``;
- ``step(action)``: ``move_forward`` / ``turn_left`` / ``turn_right`` are cow's
  MoveAhead / RotateLeft / RotateRight; ``stop`` and ``None`` (what
  habitat-lab sends after its StopAction) leave the agent where it is;
  ``look_up`` / ``look_down`` are refused (cow's camera does not tilt);
- ``get_agent_state()``: cow's pose in Habitat's frame, the rotation a
  ``quaternion.quaternion``;
- ``geodesic_distance(a, [b, ...], episode)``: cow's ``geodesic_distance``
  (``inf`` when unreachable);
- ``previous_step_collided``: the last move was blocked;
- ``semantic_annotations().objects``: cow's ``objects``, each with
  ``semantic_id`` = cow's ``class << 16 | instance`` and ``category.name()``
  = cow's category (walls, floors and furniture are not listed);
- ``sensor_suite``: one habitat-lab RGB / depth / semantic ``Sensor`` per
  ``HabitatSimRGBSensor`` / ``HabitatSimDepthSensor`` /
  ``HabitatSimSemanticSensor`` entry of the agent's ``sim_sensors``, carrying
  cow's frames: RGB and semantic unchanged, depth as habitat-sim gives it
  (clipped to [min_depth, max_depth], normalised if ``normalize_depth``,
  H x W x 1).

It only renders cow's camera: the sensors' size, hfov and height and the
step sizes must equal the server's (``ValueError`` otherwise);
:func:`matching_overrides` gives the Hydra overrides that make them so.
Importing this module installs :mod:`cow_bridge.testing.habitat_shim` when
habitat-sim is absent, so it can be passed as ``--plugin`` to ``cow-bridge
habitat``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from cow_bridge.testing import habitat_shim
from cow_bridge.testing.semantic_scene import SemanticCategory, SemanticObject, SemanticScene

habitat_shim.install()

import quaternion  # noqa: E402
from gym import spaces  # noqa: E402
from habitat.config.default_structured_configs import SimulatorConfig  # noqa: E402
from habitat.core.registry import registry  # noqa: E402
from habitat.core.simulator import (  # noqa: E402
    AgentState,
    DepthSensor,
    Observations,
    RGBSensor,
    SemanticSensor,
    Sensor,
    SensorSuite,
    Simulator,
)
from habitat.sims.habitat_simulator.actions import HabitatSimActions  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from cow_bridge.client import Client  # noqa: E402
from cow_bridge.frames import habitat_pose, habitat_to_world, world_to_habitat  # noqa: E402
from cow_bridge.habitat.convert import wire_yaw  # noqa: E402
from cow_bridge.protocol import MAX_GEODESIC_TARGETS, Observation, Point, Pose  # noqa: E402

SIMULATOR_NAME = "CowTestWorld-v0"
"""The registry name (``habitat.simulator.type``)."""

ENDPOINT_VARIABLE = "COW_TEST_WORLD"
"""Environment variable with the test-world server's endpoint."""

SEMANTIC_SENSOR_OVERRIDE = (
    "+habitat/simulator/sim_sensors@habitat.simulator.agents.main_agent.sim_sensors."
    "semantic_sensor=semantic_sensor"
)
"""The Hydra override that adds habitat-lab's stock semantic sensor to the main agent."""


def matching_overrides(
    capabilities: Mapping[str, Any], max_episode_steps: int, semantic: bool = True
) -> list[str]:
    """Hydra overrides that give habitat-lab's ObjectNav config the camera and
    step sizes of a cow server's ``capabilities``, the step budget
    ``max_episode_steps``, un-normalised depth from 0 to the server's
    ``max_depth`` and, with ``semantic``, the stock semantic sensor, and select
    :data:`SIMULATOR_NAME`."""
    cam = capabilities["camera"]
    hfov = float(cam["hfov_deg"])
    turn = float(capabilities["action_space"]["turn_step_deg"])
    if not hfov.is_integer() or not turn.is_integer():
        raise ValueError(f"habitat-lab takes whole degrees; the server has {hfov} and {turn}")
    base = "habitat.simulator.agents.main_agent.sim_sensors"
    position = f"[0.0,{float(cam['camera_height'])!r},0.0]"
    out = [
        f"habitat.simulator.type={SIMULATOR_NAME}",
        f"habitat.simulator.forward_step_size={float(capabilities['action_space']['move_step'])!r}",
        f"habitat.simulator.turn_angle={int(turn)}",
        f"habitat.environment.max_episode_steps={int(max_episode_steps)}",
    ]
    if semantic:
        out.append(SEMANTIC_SENSOR_OVERRIDE)
    for sensor in ("rgb_sensor", "depth_sensor", *(("semantic_sensor",) if semantic else ())):
        out += [
            f"{base}.{sensor}.width={int(cam['width'])}",
            f"{base}.{sensor}.height={int(cam['height'])}",
            f"{base}.{sensor}.hfov={int(hfov)}",
            f"{base}.{sensor}.position={position}",
        ]
    out += [
        f"{base}.depth_sensor.min_depth=0.0",
        f"{base}.depth_sensor.max_depth={float(cam['max_depth'])!r}",
        f"{base}.depth_sensor.normalize_depth=False",
    ]
    return out


class _CowSensor:
    """Shared part of the sensors: size from the sensor config."""

    config: DictConfig

    def _shape(self) -> tuple[int, int]:
        return int(self.config.height), int(self.config.width)


class CowRGBSensor(_CowSensor, RGBSensor):
    """cow's RGB frame as habitat-sim's RGB sensor gives it (H x W x 3 u8)."""

    def __init__(self, config: DictConfig) -> None:
        super().__init__(config=config)

    def _get_observation_space(self, *args: Any, **kwargs: Any) -> spaces.Box:
        return spaces.Box(low=0, high=255, shape=(*self._shape(), 3), dtype=np.uint8)

    def get_observation(self, *args: Any, **kwargs: Any) -> npt.NDArray[np.uint8]:
        obs: Observation = args[0]
        return obs.rgb


class CowDepthSensor(_CowSensor, DepthSensor):
    """cow's depth frame as habitat-sim's depth sensor gives it (H x W x 1 f32)."""

    def __init__(self, config: DictConfig) -> None:
        super().__init__(config=config)
        self.min_depth = float(config.min_depth)
        self.max_depth = float(config.max_depth)
        self.normalize = bool(config.normalize_depth)

    def _get_observation_space(self, *args: Any, **kwargs: Any) -> spaces.Box:
        high = 1.0 if self.config.normalize_depth else float(self.config.max_depth)
        low = 0.0 if self.config.normalize_depth else float(self.config.min_depth)
        return spaces.Box(low=low, high=high, shape=(*self._shape(), 1), dtype=np.float32)

    def get_observation(self, *args: Any, **kwargs: Any) -> npt.NDArray[np.float32]:
        obs: Observation = args[0]
        d = np.clip(obs.depth, np.float32(self.min_depth), np.float32(self.max_depth))
        if self.normalize:
            d = (d - np.float32(self.min_depth)) / np.float32(self.max_depth - self.min_depth)
        out: npt.NDArray[np.float32] = d.astype(np.float32)[:, :, None]
        return out


class CowSemanticSensor(_CowSensor, SemanticSensor):
    """cow's semantic frame as instance ids (H x W u32, ``class << 16 | instance``)."""

    def __init__(self, config: DictConfig) -> None:
        super().__init__(config=config)

    def _get_observation_space(self, *args: Any, **kwargs: Any) -> spaces.Box:
        info = np.iinfo(np.uint32)
        return spaces.Box(low=info.min, high=info.max, shape=self._shape(), dtype=np.uint32)

    def get_observation(self, *args: Any, **kwargs: Any) -> npt.NDArray[np.uint32]:
        obs: Observation = args[0]
        if obs.semantic is None:
            raise RuntimeError("the cow server sends no semantic frames (sim.embedded.semantic)")
        return obs.semantic


SENSOR_TYPES: dict[str, type[Sensor]] = {
    "HabitatSimRGBSensor": CowRGBSensor,
    "HabitatSimDepthSensor": CowDepthSensor,
    "HabitatSimSemanticSensor": CowSemanticSensor,
}
"""Sensor config ``type`` -> the sensor carrying cow's frames."""


def _agent(config: Any) -> Any:
    """The default agent's config of a simulator config."""
    return config.agents[config.agents_order[config.default_agent_id]]


def _near(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


@registry.register_simulator(name=SIMULATOR_NAME)
class CowTestWorld(Simulator):
    """habitat-lab simulator rendering cow's embedded houses (see the module doc)."""

    def __init__(self, config: SimulatorConfig) -> None:
        super().__init__()
        endpoint = os.environ.get(ENDPOINT_VARIABLE)
        if not endpoint:
            raise RuntimeError(f"set {ENDPOINT_VARIABLE} to a `cow sim serve` endpoint")
        self.habitat_config = config
        self._client = Client(endpoint)
        caps = self._client.hello()
        if not caps.get("test_world", False):
            raise RuntimeError(f"{endpoint} is no test world (capabilities.test_world)")
        self._classes: list[str] = list(caps["semantic_classes"])
        self._check(config, caps)
        sensors: list[Sensor] = []
        for key, sensor_cfg in _agent(config).sim_sensors.items():
            kind = SENSOR_TYPES.get(str(sensor_cfg.type))
            if kind is None:
                raise ValueError(f"sensor {key} of type {sensor_cfg.type} is not cow's to render")
            sensors.append(kind(config=sensor_cfg))
        self._sensor_suite = SensorSuite(sensors)
        self._episodes: dict[str, list[dict[str, Any]]] = {}
        for ep in self._client.list_episodes():
            self._episodes.setdefault(str(ep["scene"]), []).append(ep)
        self._obs: Observation | None = None
        self._start: Pose | None = None
        self._episode_id = ""
        self._dirty = False
        self._collided = False
        self._scene = SemanticScene([])

    @staticmethod
    def _check(config: SimulatorConfig, caps: Mapping[str, Any]) -> None:
        cam, steps = caps["camera"], caps["action_space"]
        if not _near(float(config.forward_step_size), float(steps["move_step"])) or not _near(
            float(config.turn_angle), float(steps["turn_step_deg"])
        ):
            raise ValueError(
                f"step sizes {config.forward_step_size} m / {config.turn_angle} deg differ from "
                f"cow's {steps['move_step']} / {steps['turn_step_deg']}"
            )
        for key, s in _agent(config).sim_sensors.items():
            got = (int(s.width), int(s.height), float(s.hfov), *(float(v) for v in s.position))
            want = (
                int(cam["width"]),
                int(cam["height"]),
                float(cam["hfov_deg"]),
                0.0,
                float(cam["camera_height"]),
                0.0,
            )
            if got[:2] != want[:2] or not all(
                _near(a, b) for a, b in zip(got[2:], want[2:], strict=True)
            ):
                raise ValueError(
                    f"sensor {key} (width, height, hfov, position) {got} is not cow's camera {want}"
                )

    # ------------------------------------------------------------ Simulator API

    @property
    def sensor_suite(self) -> SensorSuite:
        """The RGB / depth / semantic sensors of the agent's config."""
        return self._sensor_suite

    @property
    def previous_step_collided(self) -> bool:  # type: ignore[override]
        """Whether the last move was blocked."""
        return self._collided

    def reconfigure(self, config: DictConfig, episode: Any = None) -> None:
        """Starts cow's episode for ``config.scene`` and places the agent at the
        config's start state."""
        # habitat-lab declares SimulatorConfig; at run time it is this DictConfig.
        self.habitat_config = config  # type: ignore[assignment]
        scene = str(config.scene).replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
        agent = _agent(config)
        start: Pose | None = None
        if agent.is_set_start_state:
            start = habitat_pose(list(agent.start_position), list(agent.start_rotation))
            start.yaw = wire_yaw(start.yaw)
        category = getattr(episode, "object_category", None)
        self._episode_id = self._cow_episode(scene, category, start)
        self._start = start
        self._restart()

    def _cow_episode(self, scene: str, category: str | None, start: Pose | None) -> str:
        candidates = self._episodes.get(scene, [])
        if category is not None:
            candidates = [e for e in candidates if e["object_type"] == category]
        if not candidates:
            raise ValueError(f"cow's server has no episode in {scene!r} with goal {category!r}")
        if start is None:
            return str(candidates[0]["id"])

        def gap(e: Mapping[str, Any]) -> float:
            p = e["initial_position"]
            return math.hypot(float(p["x"]) - start.x, float(p["y"]) - start.y)

        return str(min(candidates, key=gap)["id"])

    def _restart(self) -> None:
        obs = self._client.reset(self._episode_id)
        if self._start is not None:
            obs = self._client.set_pose(self._start)
        self._obs = obs
        self._dirty = False
        self._collided = False
        objects = []
        for o in self._client.objects():
            instance = int(str(o["id"]).rsplit("|", 1)[-1])
            cls = self._classes.index(str(o["object_type"]))
            objects.append(
                SemanticObject(
                    str(o["id"]), cls << 16 | instance, SemanticCategory(o["object_type"])
                )
            )
        self._scene = SemanticScene(objects)

    def reset(self) -> Observations:
        """The observations at the start state (placing the agent there again
        if it has moved since :meth:`reconfigure`)."""
        if self._dirty:
            self._restart()
        return self._sensor_suite.get_observations(self._current())

    def step(self, action: Any, *args: Any, **kwargs: Any) -> Observations:
        """Applies a ``HabitatSimActions`` action (``None``: observe only)."""
        moves = {
            HabitatSimActions.move_forward: "MoveAhead",
            HabitatSimActions.turn_left: "RotateLeft",
            HabitatSimActions.turn_right: "RotateRight",
        }
        if action is not None and int(action) in moves:
            name = moves[int(action)]
            obs = self._client.step(name)
            self._obs = obs
            self._dirty = True
            self._collided = name == "MoveAhead" and not obs.last_action_success
        elif action is None or int(action) == HabitatSimActions.stop:
            self._collided = False
        else:
            raise ValueError(f"action {action!r} is not one cow's world can take (no tilt)")
        return self._sensor_suite.get_observations(self._current())

    def step_physics(self, dt: float) -> None:
        """No physics in cow's world."""

    def seed(self, seed: int) -> None:
        """cow's world has no randomness of its own to seed."""

    def get_agent_state(self, agent_id: int = 0) -> AgentState:
        """cow's pose in Habitat's frame."""
        pose = self._current().pose
        if pose is None:
            raise RuntimeError("the cow server sent no pose")
        x, y, z, w = (0.0, math.sin(pose.yaw / 2.0), 0.0, math.cos(pose.yaw / 2.0))
        return AgentState(
            position=np.array(world_to_habitat((pose.x, pose.y, pose.z)), dtype=np.float64),
            rotation=quaternion.quaternion(w, x, y, z),
        )

    def geodesic_distance(
        self,
        position_a: Sequence[float] | npt.NDArray[Any],
        position_b: Sequence[float] | Sequence[Sequence[float]] | npt.NDArray[Any],
        episode: Any = None,
    ) -> float:
        """cow's walkable distance from ``position_a`` to the nearest of ``position_b``."""
        targets = np.asarray(position_b, dtype=np.float64)
        if targets.ndim == 1:
            targets = targets[None, :]
        source = habitat_to_world([float(v) for v in np.asarray(position_a, dtype=np.float64)])
        points: list[Point] = [habitat_to_world([float(v) for v in t]) for t in targets]
        best = math.inf
        for i in range(0, len(points), MAX_GEODESIC_TARGETS):
            d = self._client.geodesic_distance(source, points[i : i + MAX_GEODESIC_TARGETS])
            if d is not None:
                best = min(best, d)
        return best

    def semantic_annotations(self) -> SemanticScene:
        """cow's objects of the running episode's scene."""
        return self._scene

    def close(self, destroy: bool = True) -> None:
        """Disconnects from the cow server."""
        self._client.disconnect()

    def _current(self) -> Observation:
        if self._obs is None:
            raise RuntimeError("reconfigure before reset or step")
        return self._obs
