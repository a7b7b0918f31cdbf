"""The in-test habitat-lab world of ``test_habitat_bridge.py``: a corridor
simulator whose every answer is known, and its episode file. Imported by the
tests' fixtures only (it imports habitat-lab), so that collecting the tests
in a venv without habitat-lab works and running them fails."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cow_bridge.testing import habitat_shim
from cow_bridge.testing.semantic_scene import SemanticCategory, SemanticObject, SemanticScene

habitat_shim.install()

import quaternion  # noqa: E402
from gym import spaces  # noqa: E402
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

WALL_Z = 0.4
"""The corridor's wall: the agent cannot go below this Habitat z."""

W, H = 8, 6
SEMANTIC_LEFT, SEMANTIC_MIDDLE = 5, 9
"""Semantic ids in the corridor's frames (annotated chair and sofa)."""


# ---------------------------------------------------------------- the corridor


class CorridorRGB(RGBSensor):
    def _get_observation_space(self, *args: Any, **kwargs: Any) -> spaces.Box:
        return spaces.Box(0, 255, (H, W, 3), np.uint8)

    def get_observation(self, *args: Any, **kwargs: Any) -> npt.NDArray[np.uint8]:
        frames: dict[str, Any] = args[0]
        out: npt.NDArray[np.uint8] = frames["rgb"]
        return out


class CorridorDepth(DepthSensor):
    def _get_observation_space(self, *args: Any, **kwargs: Any) -> spaces.Box:
        return spaces.Box(0.0, 5.0, (H, W, 1), np.float32)

    def get_observation(self, *args: Any, **kwargs: Any) -> npt.NDArray[np.float32]:
        frames: dict[str, Any] = args[0]
        out: npt.NDArray[np.float32] = frames["depth"]
        return out


class CorridorSemantic(SemanticSensor):
    def _get_observation_space(self, *args: Any, **kwargs: Any) -> spaces.Box:
        return spaces.Box(0, 2**32 - 1, (H, W), np.uint32)

    def get_observation(self, *args: Any, **kwargs: Any) -> npt.NDArray[np.uint32]:
        frames: dict[str, Any] = args[0]
        out: npt.NDArray[np.uint32] = frames["semantic"]
        return out


@registry.register_simulator(name="CowBridgeTestCorridor-v0")
class Corridor(Simulator):
    """A floor without walls but one at Habitat z = WALL_Z. A move into it
    slides 5 cm along +x and reports a collision. Geodesic = Euclidean."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.habitat_config = config
        agent = config.agents[config.agents_order[config.default_agent_id]]
        kinds: dict[str, type[Sensor]] = {
            "HabitatSimRGBSensor": CorridorRGB,
            "HabitatSimDepthSensor": CorridorDepth,
            "HabitatSimSemanticSensor": CorridorSemantic,
        }
        self._suite = SensorSuite(kinds[str(s.type)](config=s) for s in agent.sim_sensors.values())
        self.position = np.zeros(3)
        self.yaw = 0.0
        self.collided = False
        self.steps = 0
        self.geodesic_calls = 0

    @property
    def sensor_suite(self) -> SensorSuite:
        return self._suite

    @property
    def previous_step_collided(self) -> bool:  # type: ignore[override]
        return self.collided

    def reconfigure(self, config: DictConfig, episode: Any = None) -> None:
        self.habitat_config = config  # type: ignore[assignment]

    def reset(self) -> Observations:
        agent = self.habitat_config.agents["main_agent"]
        self.position = np.array(agent.start_position, dtype=np.float64)
        x, y, z, w = agent.start_rotation
        assert x == 0.0 and z == 0.0
        self.yaw = 2.0 * math.atan2(y, w)
        self.steps, self.collided = 0, False
        return self._observe()

    def slide(self) -> None:
        self.position = self.position + np.array([0.05, 0.0, 0.0])

    def step(self, action: Any, *args: Any, **kwargs: Any) -> Observations:
        self.collided = False
        step = float(self.habitat_config.forward_step_size)
        turn = math.radians(float(self.habitat_config.turn_angle))
        if action == HabitatSimActions.move_forward:
            ahead = self.position + step * np.array([-math.sin(self.yaw), 0.0, -math.cos(self.yaw)])
            if ahead[2] < WALL_Z - 1e-9:
                self.collided = True
                self.slide()
            else:
                self.position = ahead
        elif action == HabitatSimActions.turn_left:
            self.yaw += turn
        elif action == HabitatSimActions.turn_right:
            self.yaw -= turn
        else:
            assert action is None, action
        if action is not None:
            self.steps += 1
        return self._observe()

    def step_physics(self, dt: float) -> None:
        pass

    def get_agent_state(self, agent_id: int = 0) -> AgentState:
        q = quaternion.quaternion(math.cos(self.yaw / 2), 0.0, math.sin(self.yaw / 2), 0.0)
        return AgentState(position=self.position.copy(), rotation=q)

    def geodesic_distance(self, position_a: Any, position_b: Any, episode: Any = None) -> float:
        self.geodesic_calls += 1
        a = np.asarray(position_a, dtype=np.float64)
        return float(min(np.linalg.norm(np.asarray(b) - a) for b in position_b))

    def semantic_annotations(self) -> SemanticScene:
        return SemanticScene(
            [
                None,
                SemanticObject("chair_5", SEMANTIC_LEFT, SemanticCategory("chair")),
                SemanticObject("couch_9", SEMANTIC_MIDDLE, SemanticCategory("couch")),
            ]
        )

    def _observe(self) -> Observations:
        rgb = np.full((H, W, 3), self.steps, dtype=np.uint8)
        depth = np.full((H, W, 1), 2.0, dtype=np.float32)
        depth[:, 0] = 0.5  # clipped at min_depth: no reading
        depth[:, 1] = 5.0  # clipped at max_depth: no reading
        semantic = np.zeros((H, W), dtype=np.uint32)
        semantic[:, : W // 3] = SEMANTIC_LEFT
        semantic[:, W // 3 : 2 * W // 3] = SEMANTIC_MIDDLE
        return self._suite.get_observations({"rgb": rgb, "depth": depth, "semantic": semantic})


@registry.register_simulator(name="CowBridgeTestCorridorNoFlag-v0")
class CorridorNoFlag(Corridor):
    """The corridor without a collision flag; its wall stops the agent dead."""

    previous_step_collided = Simulator.previous_step_collided  # type: ignore[assignment]

    def slide(self) -> None:
        pass


# ---------------------------------------------------------------- the episode file


def write_dataset(path: Path) -> str:
    """Two ObjectNav episodes in ``path/test/test.json.gz``; returns the data_path pattern."""
    s = math.sin(math.pi / 4)

    def goal(category: str, object_id: int, at: list[float], view: list[float]) -> dict[str, Any]:
        return {
            "position": at,
            "radius": 0.2,
            "object_id": object_id,
            "object_name": f"{category}_{object_id}",
            "object_category": category,
            "view_points": [
                {"agent_state": {"position": view, "rotation": [0, 0, 0, 1]}, "iou": 1}
            ],
        }

    data = {
        "category_to_task_category_id": {"chair": 0, "sofa": 1},
        "category_to_scene_annotation_category_id": {"chair": 3, "sofa": 10},
        "episodes": [
            {
                "episode_id": "first",
                "scene_id": "test/corridor.glb",
                "start_position": [1.0, 0.1, 2.0],
                "start_rotation": [0.0, 0.0, 0.0, 1.0],
                "object_category": "chair",
                "info": {"geodesic_distance": 1.0},
                "goals": [],
            },
            {
                "episode_id": "second",
                "scene_id": "test/corridor.glb",
                "start_position": [0.0, 0.1, 0.9],
                "start_rotation": [0.0, s, 0.0, s],
                "object_category": "sofa",
                "goals": [],
            },
        ],
        "goals_by_category": {
            "corridor.glb_chair": [goal("chair", 5, [1.0, 0.5, 0.5], [1.0, 0.1, 1.0])],
            "corridor.glb_sofa": [goal("sofa", 9, [0.0, 0.3, 0.0], [0.0, 0.1, 0.4])],
        },
    }
    (path / "test").mkdir()
    with gzip.open(path / "test" / "test.json.gz", "wt") as f:
        json.dump(data, f)
    return str(path / "{split}" / "{split}.json.gz")


def overrides(simulator: str = "CowBridgeTestCorridor-v0", max_steps: int = 30) -> list[str]:
    """Hydra overrides: the corridor, its step budget, W x H RGB-D-S frames, hfov 90, 1 m up."""
    base = "habitat.simulator.agents.main_agent.sim_sensors"
    out = [
        f"habitat.simulator.type={simulator}",
        f"habitat.environment.max_episode_steps={max_steps}",
        "+habitat/simulator/sim_sensors@habitat.simulator.agents.main_agent.sim_sensors."
        "semantic_sensor=semantic_sensor",
    ]
    for sensor in ("rgb_sensor", "depth_sensor", "semantic_sensor"):
        out += [
            f"{base}.{sensor}.width={W}",
            f"{base}.{sensor}.height={H}",
            f"{base}.{sensor}.hfov=90",
            f"{base}.{sensor}.position=[0.0,1.0,0.0]",
        ]
    return out
