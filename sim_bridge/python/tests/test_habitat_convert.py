"""The Habitat bridge's own conversions (``cow_bridge.habitat.convert``) on
hand-made inputs: semantic ids to cow's classes, invalid depth, camera
intrinsics and geometry checks, action names, the binary32 yaw, episode
records and measures. Runs in the habitat venv (``-m habitat``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from cow_bridge import frames
from cow_bridge.habitat import convert
from cow_bridge.testing.semantic_scene import SemanticCategory, SemanticObject

pytestmark = pytest.mark.habitat


@dataclass
class IdOnly:
    """An object without a ``semantic_id``: its id's suffix is the id."""

    id: str
    category: SemanticCategory


# ---------------------------------------------------------------- semantic


def test_classes_run_from_nothing_through_the_categories_to_other() -> None:
    assert convert.semantic_classes(["chair", "tv_monitor"]) == [
        "nothing",
        "chair",
        "tv_monitor",
        "other",
    ]
    for bad in (["chair", "Chair"], ["Other"], ["nothing"], ["__"]):
        with pytest.raises(ValueError):
            convert.semantic_classes(bad)


def test_annotation_ids_come_from_semantic_id_or_the_id_suffix() -> None:
    objects: list[object] = [
        None,
        SemanticObject("a", 5, SemanticCategory("chair")),
        IdOnly("1_2_17", SemanticCategory("tv")),
        SemanticObject("no category", 6, None),
        IdOnly("not-a-number", SemanticCategory("sofa")),
        SemanticObject("empty", 8, SemanticCategory("")),
    ]
    assert convert.annotation_categories(objects) == {5: "chair", 17: "tv"}


def test_semantic_ids_map_to_class_and_instance() -> None:
    classes = convert.semantic_classes(["chair", "tv_monitor"])
    mapper = convert.SemanticMapper(
        classes, {5: "Chair", 17: "tv", 70001: "wall", 0: "floor"}, {"tv": "tv_monitor"}
    )
    ids = np.array([[0, 5, 17], [70001, 42, 5]], dtype=np.int32)
    out = mapper(ids[:, :, None])  # H x W x 1, as habitat-sim may give it
    chair, tv, other = 1 << 16, 2 << 16, 3 << 16
    # Annotated id 0 ("floor") is an object of no goal category: other, instance 0.
    want = [[other | 0, chair | 5, tv | 17], [other | (70001 & 0xFFFF), other | 42, chair | 5]]
    assert out.dtype == np.uint32 and out.tolist() == want
    assert (mapper.class_of("TV_monitor"), mapper.class_of("tv"), mapper.class_of("lamp")) == (
        2,
        2,
        3,
    )
    # Without an annotation, id 0 is "nothing" and other ids are "other".
    bare = convert.SemanticMapper(classes, {})
    assert bare(np.array([[0, 3]], dtype=np.uint32)).tolist() == [[0, other | 3]]
    with pytest.raises(ValueError, match="no task category"):
        convert.SemanticMapper(classes, {}, {"tv": "television"})
    with pytest.raises(ValueError, match="integers"):
        bare(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        bare(np.zeros((2, 2, 2), dtype=np.uint32))


# ---------------------------------------------------------------- frames


def test_depth_at_or_beyond_the_range_is_no_reading() -> None:
    d = np.array([[0.0, 0.5, 0.50001, 2.0], [4.9999, 5.0, 7.0, np.nan]], dtype=np.float32)
    out = convert.depth_to_wire(d[:, :, None], min_depth=0.5, max_depth=5.0)
    assert out.dtype == np.float32 and out.shape == (2, 4)
    assert out.tolist() == [
        [0.0, 0.0, np.float32(0.50001), 2.0],
        [np.float32(4.9999), 0.0, 0.0, 0.0],
    ]
    # habitat-sim clips to binary32 bounds: a clipped value equals float32(min), not min.
    lo = np.float32(0.55)
    assert float(lo) > 0.55
    assert convert.depth_to_wire(np.array([[lo, np.inf]]), 0.55, 5.0).tolist() == [[0.0, 0.0]]
    assert convert.depth_to_wire(np.array([[0.0, 9.99]]), 0.0, 10.0).tolist() == [
        [0.0, np.float32(9.99)]
    ]


def test_rgb_takes_three_channels_of_u8() -> None:
    rgba = np.arange(2 * 2 * 4, dtype=np.uint8).reshape(2, 2, 4)
    out = convert.rgb_to_wire(rgba)
    assert out.shape == (2, 2, 3) and out.flags.c_contiguous
    assert (out == rgba[:, :, :3]).all()
    with pytest.raises(ValueError):
        convert.rgb_to_wire(np.zeros((2, 2, 3), dtype=np.float32))


def sensor(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "width": 224,
        "height": 224,
        "hfov": 90,
        "position": [0.0, 0.88, 0.0],
        "orientation": [0.0, 0.0, 0.0],
        "sensor_subtype": "PINHOLE",
        "min_depth": 0.0,
        "max_depth": 10.0,
    }
    return {**base, **changes}


def test_camera_intrinsics_from_the_sensor_configs() -> None:
    cam = convert.camera(sensor(), sensor(), sensor())
    assert cam == {
        "width": 224,
        "height": 224,
        "fx": 112.0 / math.tan(math.pi / 4),
        "fy": 112.0 / math.tan(math.pi / 4),
        "cx": 112.0,
        "cy": 112.0,
        "hfov_deg": 90.0,
        "camera_height": 0.88,
        "max_depth": 10.0,
    }
    # As cow reads it (binary32): exactly the embedded camera's 112.
    assert np.float32(cam["fx"]) == np.float32(112.0)
    # The HM3D benchmark camera: 640 x 480, hfov 79: fx = 320 / tan(39.5 deg) = 388.19...
    hm3d = dict(width=640, height=480, hfov=79)
    cam = convert.camera(sensor(**hm3d), sensor(**hm3d, max_depth=5.0))
    assert cam["fx"] == pytest.approx(388.1911, abs=1e-4)
    assert (cam["cx"], cam["cy"], cam["max_depth"]) == (320.0, 240.0, 5.0)


@pytest.mark.parametrize(
    "rgb,depth,match",
    [
        (sensor(), sensor(width=256), "differs"),
        (sensor(), sensor(position=[0.0, 1.0, 0.0]), "differs"),
        (sensor(orientation=[-0.5, 0.0, 0.0]), sensor(orientation=[-0.5, 0.0, 0.0]), "level"),
        (sensor(position=[0.1, 0.88, 0.0]), sensor(position=[0.1, 0.88, 0.0]), "axis"),
        (sensor(sensor_subtype="ORTHOGRAPHIC"), sensor(), "pinhole"),
        (sensor(hfov=180), sensor(hfov=180), "not a camera"),
    ],
)
def test_sensors_cow_cannot_model_are_refused(
    rgb: dict[str, Any], depth: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        convert.camera(rgb, depth)


def test_cow_actions_map_to_the_task_actions_by_type() -> None:
    actions = {
        "stop": {"type": "StopAction"},
        "forward": {"type": "MoveForwardAction"},
        "left": {"type": "TurnLeftAction"},
        "right": {"type": "TurnRightAction"},
        "look_up": {"type": "LookUpAction"},
    }
    assert convert.task_action_names(actions) == {
        "MoveAhead": "forward",
        "RotateLeft": "left",
        "RotateRight": "right",
        "Stop": "stop",
    }
    with pytest.raises(ValueError, match="TurnRightAction"):
        convert.task_action_names({k: v for k, v in actions.items() if k != "right"})
    with pytest.raises(ValueError, match="StopAction"):
        convert.task_action_names({**actions, "stop2": {"type": "StopAction"}})


# ---------------------------------------------------------------- poses


def through_habitat(yaw32: np.float32, wrap: bool = True) -> np.float32:
    """A binary32 world yaw sent through a Habitat quaternion and back, as
    binary32 (what cow reads)."""
    q = frames.yaw_to_habitat_rotation(float(yaw32))
    yaw = frames.habitat_rotation_to_yaw(q)
    return np.float32(convert.wire_yaw(yaw) if wrap else yaw)


def test_every_cow_heading_survives_the_quaternion_round_trip() -> None:
    # cow's headings: binary32 radians of whole degrees in (-180, 180], and the
    # binary32 numbers next to +-pi.
    yaws = [np.float32(np.radians(np.float32(d))) for d in range(-179, 181)]
    yaws += [np.nextafter(np.float32(np.pi), np.float32(0)), np.float32(-3.1415925)]
    for y in yaws:
        assert through_habitat(y) == y, float(y)
    # Why wire_yaw exists: binary32 pi (180 deg) would come back as another heading.
    pi32 = np.float32(np.radians(np.float32(180)))
    assert float(pi32) > math.pi and through_habitat(pi32, wrap=False) == np.float32(-3.1415925)


def test_wire_yaw_is_wrap_yaw_except_next_to_minus_pi() -> None:
    for yaw in (0.0, 1.0, -1.0, math.pi, -math.pi + 1e-6, 7.0, -7.0):
        assert convert.wire_yaw(yaw) == frames.wrap_yaw(yaw)
    assert convert.wire_yaw(-math.pi + 1e-9) == pytest.approx(math.pi + 1e-9, abs=1e-15)


def test_episode_record_in_the_world_frame() -> None:
    s = math.sin(math.pi / 4)
    record = convert.episode_record(
        episode_id="TEEsavR23oF-3",
        scene_id="data/scene_datasets/hm3d/val/00800-TEEsavR23oF/TEEsavR23oF.basis.glb",
        category="tv_monitor",
        start_position=[1.0, 0.1, -2.0],
        start_rotation=[0.0, s, 0.0, s],
        shortest_path_length=4.25,
    )
    assert record == {
        "id": "TEEsavR23oF-3",
        "scene": "TEEsavR23oF",
        "object_type": "tv_monitor",
        "goal": "TV",
        "initial_position": {"x": 2.0, "y": -1.0, "z": 0.1},
        "initial_orientation": pytest.approx(90.0, abs=1e-12),
        "shortest_path_length": 4.25,
        "rooms": 0,
    }


def test_path_length_and_measures() -> None:
    positions = [np.array(p, dtype=np.float64) for p in ([0, 0, 0], [0, 0, -0.25], [3, 4, -0.25])]
    assert convert.path_length(positions) == pytest.approx(5.25, abs=1e-12)
    assert convert.path_length(positions[:1]) == 0.0
    metrics = {
        "distance_to_goal": np.float32(1.5),
        "success": 1.0,
        "spl": np.float64(0.5),
        "soft_spl": np.array(0.25),
        "distance_to_goal_reward": -0.0,
        "collisions": {"count": 2, "is_collision": False},
        "top_down_map": {"map": np.zeros((2, 2)), "agent_angle": 0.5},
        "unreachable": math.inf,
        "name": "text",
    }
    assert convert.finite_measures(metrics) == {
        "distance_to_goal": 1.5,
        "success": 1.0,
        "spl": 0.5,
        "soft_spl": 0.25,
        "distance_to_goal_reward": 0.0,
        "collisions.count": 2.0,
        "collisions.is_collision": 0.0,
        "top_down_map.agent_angle": 0.5,
    }
