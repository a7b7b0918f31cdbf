"""habitat-lab's ObjectNav task as a protocol v1 backend.

:class:`HabitatBackend` wraps a real ``habitat.Env`` built from a habitat-lab
task config (``benchmark/nav/objectnav/objectnav_hm3d.yaml`` or any task
yaml) and its dataset, and answers cow's requests with it:

- ``hello``: the camera from the agent's RGB / depth (/ semantic) sensor
  configs (:func:`cow_bridge.habitat.convert.camera`), step sizes from the
  simulator config (``forward_step_size``, ``turn_angle``), the semantic
  classes (``"nothing"``, the dataset's categories, ``"other"``) and the
  task's ``success_distance``.
- ``list_episodes``: the dataset's episodes in file order, as cow episode
  dicts. Their ids are ``<scene>-<episode_id>`` (the scene file's name
  without extension): habitat-lab's ObjectNav loader renumbers
  ``episode_id`` from 0 in every file it reads, so the number alone is not
  unique across a dataset split into per-scene files.
  ``shortest_path_length`` is the dataset's ``info.geodesic_distance`` (0 when
  the file has none).
- ``reset``: ``env.current_episode = episode; env.reset()``.
- ``step``: ``env.step(<task action name>)``; a step after the episode ended
  (Stop, or ``environment.max_episode_steps``) is refused with
  ``no_episode``. A move succeeded unless the simulator's
  ``previous_step_collided`` says it collided; a simulator without that
  flag counts a move as failed when the agent moved less than 0.1 mm
  (habitat-lab's own "has moved" tolerance). Turns and Stop always succeed.
- ``episode_result``: from habitat-lab's own measures (``env.get_metrics()``):
  ``success`` is its Success measure, ``distance_to_goal`` its final
  DistanceToGoal, ``initial_distance_to_goal`` and ``shortest_path_length``
  the DistanceToGoal right after reset (the l of habitat-lab's SPL),
  ``path_length`` the sum of the Euclidean distances between consecutive
  agent positions (the p of its SPL), ``measures`` every finite number of
  ``get_metrics()`` under habitat-lab's names (``success``, ``spl``,
  ``soft_spl``, ``distance_to_goal``, ...). ``goal_seen`` is whether a pixel of
  the goal's class appeared in a semantic frame (false without a semantic
  sensor); ``goal_positions`` the goals' ``position``.

Depth is forced to metres (``normalize_depth: False`` on every depth sensor
before the Env is built); frames are converted as
:mod:`cow_bridge.habitat.convert` says, poses with :mod:`cow_bridge.frames`.

habitat-lab surface used: ``habitat.config.get_config`` and ``read_write``,
``habitat.datasets.registration.make_dataset``, ``habitat.core.env.Env``
(``Env(config, dataset)``, ``current_episode``, ``reset()``, ``step(name)``,
``episode_over``, ``get_metrics()``, ``sim``, ``task.measurements.measures``,
``close()``), ``SensorTypes``; the episodes' ``episode_id``, ``scene_id``,
``start_position``, ``start_rotation``, ``object_category``, ``info`` and
``goals[].position``.

Simulator surface used by the bridge itself, beyond what habitat-lab's Env,
task and measures call (for ObjectNav: ``sensor_suite``,
``reconfigure(config, episode)``, ``reset()``, ``step(action)``,
``step_physics(dt)``, ``get_agent_state()``, ``geodesic_distance(a, [b...],
episode)``, ``close()``): ``sim.sensor_suite.sensors`` (each sensor's
``uuid``, ``sensor_type`` and ``config``), ``sim.get_agent_state()``
(``position``, ``rotation``), ``sim.previous_step_collided`` (if it is a
bool) and ``sim.semantic_annotations().objects`` (if the simulator has it;
each object's ``semantic_id`` or ``id``, and ``category.name()``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import numpy.typing as npt
from habitat.config import get_config, read_write
from habitat.core.env import Env
from habitat.core.simulator import SensorTypes
from habitat.datasets.registration import make_dataset
from omegaconf import DictConfig

from cow_bridge.frames import habitat_pose, habitat_to_world
from cow_bridge.goals import goal_words
from cow_bridge.habitat import convert
from cow_bridge.protocol import ACTIONS, VERSION, Observation, Pose, ProtocolError

log = logging.getLogger(__name__)

MOVED_TOLERANCE = 1e-4
"""A move shorter than this (metres) failed, when the simulator has no collision flag."""


def load_config(
    config_path: str,
    split: str,
    data_path: str | None = None,
    overrides: Sequence[str] = (),
) -> DictConfig:
    """habitat-lab's config for ``config_path`` (a file, or a path under
    habitat-lab's config directory) with the Hydra ``overrides``, the dataset
    ``split`` and, if given, ``data_path`` (which may contain ``{split}``;
    set here rather than as an override, which Hydra would reject)."""
    config = get_config(config_path, overrides=list(overrides))
    with read_write(config):
        config.habitat.dataset.split = split
        if data_path is not None:
            config.habitat.dataset.data_path = data_path
    return config


def force_metric_depth(config: DictConfig) -> int:
    """Sets ``normalize_depth: False`` on every depth sensor of every agent;
    returns how many sensors have the field."""
    n = 0
    with read_write(config):
        for agent in config.habitat.simulator.agents.values():
            for sensor in agent.sim_sensors.values():
                if "normalize_depth" in sensor:
                    sensor.normalize_depth = False
                    n += 1
    return n


@dataclass
class _Run:
    """The running episode."""

    episode: Any
    record: dict[str, Any]
    goal_class: int
    initial_distance: float
    positions: list[npt.NDArray[np.float64]]
    path: list[dict[str, float]]
    actions: list[dict[str, Any]] = field(default_factory=list)
    goal_seen: bool = False


class HabitatBackend:
    """A :class:`cow_bridge.server.Backend` around a ``habitat.Env``."""

    def __init__(
        self, config: DictConfig, category_aliases: Mapping[str, str] | None = None
    ) -> None:
        """Builds the dataset and the Env from ``config`` (see :func:`load_config`).
        ``category_aliases`` maps scene-annotation category names to task
        categories for the semantic classes (``{"tv": "tv_monitor"}``).

        Raises :class:`ValueError` for a config cow cannot run: no RGB or depth
        sensor, sensors of different geometry, a task without the four
        discrete actions or without the DistanceToGoal and Success measures,
        an empty dataset."""
        force_metric_depth(config)
        hab = config.habitat
        self._config = config
        dataset = make_dataset(hab.dataset.type, config=hab.dataset)  # type: ignore[no-untyped-call]
        episodes = list(dataset.episodes)  # the Env's episode iterator shuffles them in place
        if not episodes:
            raise ValueError(f"the dataset {hab.dataset.data_path} ({hab.dataset.split}) is empty")
        self._episodes: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._records: list[dict[str, Any]] = []
        for ep in episodes:
            record = self._record(ep)
            if record["id"] in self._episodes:
                raise ValueError(f"two episodes have the id {record['id']!r}")
            self._episodes[record["id"]] = (ep, record)
            self._records.append(record)
        categories = [
            name
            for name, _ in sorted(
                dict(getattr(dataset, "category_to_task_category_id", {})).items(),
                key=lambda kv: kv[1],
            )
        ] or sorted({str(ep.object_category) for ep in episodes})
        self._classes = convert.semantic_classes(categories)
        self._aliases = dict(category_aliases or {})
        convert.SemanticMapper(self._classes, {}, self._aliases)  # checks the aliases

        self._env = Env(config=config, dataset=dataset)
        sim = self._env.sim
        by_type: dict[SensorTypes, list[Any]] = {}
        for sensor in sim.sensor_suite.sensors.values():
            by_type.setdefault(sensor.sensor_type, []).append(sensor)
        self._rgb, self._depth = (
            self._one(by_type, t) for t in (SensorTypes.COLOR, SensorTypes.DEPTH)
        )
        semantic = by_type.get(SensorTypes.SEMANTIC, [])
        if len(semantic) > 1:
            raise ValueError(f"{len(semantic)} semantic sensors; cow takes one")
        self._semantic = semantic[0] if semantic else None
        if bool(self._depth.config.get("normalize_depth", False)):
            raise ValueError("the depth sensor still normalises depth; cow needs metres")
        self._camera = convert.camera(
            self._rgb.config,
            self._depth.config,
            None if self._semantic is None else self._semantic.config,
        )
        self._min_depth = float(self._depth.config.get("min_depth", 0.0))
        self._max_depth = float(self._depth.config["max_depth"])
        self._actions = convert.task_action_names(hab.task.actions)
        measures = self._env.task.measurements.measures
        for needed in ("distance_to_goal", "success"):
            if needed not in measures:
                raise ValueError(
                    f"the task has no {needed!r} measure (it has {sorted(measures)}); "
                    "cow's results come from habitat-lab's DistanceToGoal and Success"
                )
        success_cfg = next(
            (m for m in hab.task.measurements.values() if m.get("type") == "Success"), None
        )
        self._success_distance = float(success_cfg["success_distance"]) if success_cfg else 0.0
        self._run: _Run | None = None
        self._mapper: convert.SemanticMapper | None = None
        log.info(
            "habitat-lab %s, simulator %s: %d episodes of %s, %d categories, semantic %s",
            metadata.version("habitat-lab"),
            hab.simulator.type,
            len(self._records),
            hab.dataset.data_path.format(split=hab.dataset.split),
            len(categories),
            "on" if self._semantic is not None else "off",
        )

    @staticmethod
    def _one(by_type: Mapping[SensorTypes, list[Any]], kind: SensorTypes) -> Any:
        found = by_type.get(kind, [])
        if len(found) != 1:
            raise ValueError(
                f"the agent has {len(found)} {kind.name} sensors; cow needs exactly one"
            )
        return found[0]

    def _record(self, ep: Any) -> dict[str, Any]:
        info = ep.info if isinstance(ep.info, Mapping) else {}
        scene = str(ep.scene_id).replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
        return convert.episode_record(
            episode_id=f"{scene}-{ep.episode_id}",
            scene_id=str(ep.scene_id),
            category=str(ep.object_category),
            start_position=[float(v) for v in ep.start_position],
            start_rotation=[float(v) for v in ep.start_rotation],
            shortest_path_length=float(info.get("geodesic_distance", 0.0)),
        )

    # ------------------------------------------------------------ Backend

    def hello(self) -> dict[str, Any]:
        """Capabilities: camera, actions and step sizes, semantic classes."""
        sim_cfg = self._config.habitat.simulator
        return {
            "protocol_version": VERSION,
            "simulator": f"habitat-lab {metadata.version('habitat-lab')} ({sim_cfg.type})",
            "camera": dict(self._camera),
            "actions": list(ACTIONS),
            "action_space": {
                "move_step": float(sim_cfg.forward_step_size),
                "turn_step_deg": float(sim_cfg.turn_angle),
            },
            "provides_pose": True,
            "provides_semantic": self._semantic is not None,
            "semantic_classes": list(self._classes),
            "success_distance": self._success_distance,
        }

    def list_episodes(self) -> list[dict[str, Any]]:
        """The dataset's episodes in file order."""
        return [dict(r) for r in self._records]

    def reset(self, episode_id: str) -> Observation:
        """Starts an episode: ``env.current_episode = ep; env.reset()``."""
        if episode_id not in self._episodes:
            raise ProtocolError("unknown_episode", f"unknown episode {episode_id!r}")
        ep, record = self._episodes[episode_id]
        self._run = None
        self._env.current_episode = ep
        observations = self._env.reset()
        self._mapper = self._semantic_mapper() if self._semantic is not None else None
        d0 = self._metric("distance_to_goal")
        position, pose = self._state()
        goal_class = self._mapper.class_of(record["object_type"]) if self._mapper else 0
        self._run = _Run(
            episode=ep,
            record=record,
            goal_class=goal_class,
            initial_distance=d0,
            positions=[position],
            path=[vars(pose)],
        )
        return self._observation(observations, pose, None, True)

    def step(self, action: str) -> Observation:
        """Applies one cow action as the task's action of that type."""
        run = self._run
        if run is None:
            raise ProtocolError("no_episode", "step before reset")
        if self._env.episode_over:
            raise ProtocolError("no_episode", f"episode {run.record['id']!r} has ended")
        name = self._actions.get(action)
        if name is None:
            raise ProtocolError("unknown_action", f"unknown action {action!r}")
        before = run.positions[-1]
        observations = self._env.step(name)
        position, pose = self._state()
        success = True
        if action == "MoveAhead":
            collided = getattr(self._env.sim, "previous_step_collided", None)
            if isinstance(collided, bool):
                success = not collided
            else:
                success = float(np.linalg.norm(position - before)) >= MOVED_TOLERANCE
        run.positions.append(position)
        run.path.append(vars(pose))
        run.actions.append({"action": action, "success": success})
        return self._observation(observations, pose, action, success)

    def episode_result(self) -> dict[str, Any]:
        """Ground truth of the running or last episode from habitat-lab's measures."""
        run = self._run
        if run is None:
            raise ProtocolError("no_episode", "episode_result before reset")
        metrics = self._env.get_metrics()
        d_t = self._metric("distance_to_goal")
        goals = [habitat_to_world(g.position) for g in run.episode.goals]
        return {
            "episode_id": run.record["id"],
            "success": float(metrics["success"]) > 0.0,
            "stopped": any(a["action"] == "Stop" for a in run.actions),
            "distance_to_goal": d_t,
            "initial_distance_to_goal": run.initial_distance,
            "shortest_path_length": run.initial_distance,
            "path_length": convert.path_length(run.positions),
            "steps": len(run.actions),
            "goal_seen": run.goal_seen,
            "path": list(run.path),
            "actions": list(run.actions),
            "goal_positions": [{"x": x, "y": y, "z": z} for x, y, z in goals],
            "measures": convert.finite_measures(metrics),
        }

    def close(self) -> None:
        """Closes the Env (and its simulator)."""
        self._env.close()

    # ------------------------------------------------------------ helpers

    def _metric(self, name: str) -> float:
        value = float(self._env.get_metrics()[name])
        if not math.isfinite(value):
            raise RuntimeError(
                f"habitat-lab's {name} is {value}: no goal view point is reachable from the agent"
            )
        return value

    def _state(self) -> tuple[npt.NDArray[np.float64], Pose]:
        state = self._env.sim.get_agent_state()
        position = np.asarray(state.position, dtype=np.float64)
        pose = habitat_pose([float(v) for v in position], _xyzw(state.rotation))
        pose.yaw = convert.wire_yaw(pose.yaw)
        return position, pose

    def _semantic_mapper(self) -> convert.SemanticMapper:
        annotations = getattr(self._env.sim, "semantic_annotations", None)
        objects = annotations().objects if callable(annotations) else []
        return convert.SemanticMapper(
            self._classes, convert.annotation_categories(objects), self._aliases
        )

    def _observation(
        self, observations: Mapping[str, Any], pose: Pose, action: str | None, success: bool
    ) -> Observation:
        run = self._run
        assert run is not None
        semantic = None
        if self._semantic is not None and self._mapper is not None:
            semantic = self._mapper(observations[self._semantic.uuid])
            if not run.goal_seen and run.goal_class:
                run.goal_seen = bool(((semantic >> 16) == run.goal_class).any())
        category = run.record["object_type"]
        return Observation(
            episode_id=run.record["id"],
            step=len(run.actions),
            goal=goal_words(category),
            goal_category=category,
            rgb=convert.rgb_to_wire(observations[self._rgb.uuid]),
            depth=convert.depth_to_wire(
                observations[self._depth.uuid], self._min_depth, self._max_depth
            ),
            semantic=semantic,
            pose=pose,
            last_action=action,
            last_action_success=success,
            done=bool(self._env.episode_over),
        )


def _xyzw(rotation: object) -> tuple[float, float, float, float]:
    """``[x, y, z, w]`` of an agent rotation: a quaternion object (``w, x, y, z``
    attributes, as habitat-sim's ``quaternion.quaternion``) or four coefficients
    in habitat-lab's ``[x, y, z, w]`` order."""
    if rotation is None:
        raise RuntimeError("the simulator's agent state has no rotation")
    if all(hasattr(rotation, a) for a in ("w", "x", "y", "z")):
        x, y, z, w = (float(getattr(rotation, a)) for a in ("x", "y", "z", "w"))
        return x, y, z, w
    c = [float(v) for v in np.asarray(rotation, dtype=np.float64).reshape(-1)]
    if len(c) != 4:
        raise RuntimeError(f"agent rotation {rotation!r} is not a quaternion")
    return c[0], c[1], c[2], c[3]
