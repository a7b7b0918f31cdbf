"""Reading RoboTHOR challenge episode files (cow_bridge.thor.episodes).

Needs ai2thor (the ``thor`` extra: ``pip install -e 'sim_bridge/python[dev,thor]'``);
without it these tests fail at import, they never skip.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import ai2thor.util.metrics  # type: ignore[import-untyped]
import pytest

from cow_bridge.thor.episodes import (
    EpisodeFileError,
    episode_files,
    load_episodes,
    read_episode_file,
)


def episode(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "Val_1_1_Mug_0",
        "scene": "FloorPlan_Val1_1",
        "object_type": "Mug",
        "initial_position": {"x": 1.0, "y": 0.9, "z": 2.0},
        "initial_orientation": 90,
        "initial_horizon": 30,
        "shortest_path": [
            {"x": 1.0, "y": 0.9, "z": 2.0},
            {"x": 4.0, "y": 0.9, "z": 2.0},
            {"x": 4.0, "y": 0.9, "z": 6.0},
        ],
        "shortest_path_length": 7.0,
    }
    base.update(fields)
    return base


def write(path: Path, content: object, raw: bytes | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = raw if raw is not None else json.dumps(content).encode()
    path.write_bytes(gzip.compress(data))
    return path


def test_a_challenge_directory_is_read_in_name_order_and_converted(tmp_path: Path) -> None:
    write(
        tmp_path / "episodes" / "FloorPlan_Val1_2.json.gz",
        [episode(id="b", scene="FloorPlan_Val1_2", object_type="Television")],
    )
    write(
        tmp_path / "episodes" / "FloorPlan_Val1_1.json.gz",
        [episode(id="a0"), episode(id="a1", object_type="AlarmClock", initial_orientation=0)],
    )
    episodes = load_episodes(tmp_path, "val")
    assert [e.id for e in episodes] == ["a0", "a1", "b"]
    a0 = episodes[0]
    assert a0.initial_position == {"x": 1.0, "y": 0.9, "z": 2.0}
    assert (a0.initial_orientation, a0.initial_horizon) == (90.0, 30.0)
    assert a0.source.name == "FloorPlan_Val1_1.json.gz"
    cow = a0.to_cow()
    # THOR {x, y, z} is world (z, -x, y); THOR yaw 90 (clockwise) is 270 counter-clockwise.
    assert cow == {
        "id": "a0",
        "scene": "FloorPlan_Val1_1",
        "object_type": "Mug",
        "goal": "mug",
        "initial_position": {"x": 2.0, "y": -1.0, "z": 0.9},
        "initial_orientation": 270.0,
        "shortest_path_length": 7.0,
        "rooms": 0,
    }
    assert episodes[1].to_cow()["goal"] == "alarm clock"
    assert episodes[1].to_cow()["initial_orientation"] == 0.0
    assert episodes[2].to_cow()["goal"] == "TV"


def test_shortest_path_length_is_the_path_distance_of_the_path(tmp_path: Path) -> None:
    corners = [{"x": 0.0, "y": 0.0, "z": 0.0}, {"x": 0.3, "y": 0.0, "z": 0.4}]
    file = write(
        tmp_path / "one.json.gz", [episode(shortest_path=corners, shortest_path_length=9.0)]
    )
    (e,) = read_episode_file(file)
    assert e.known_shortest_path_length == ai2thor.util.metrics.path_distance(corners)
    assert e.to_cow()["shortest_path_length"] == pytest.approx(0.5, abs=1e-12)


def test_the_test_split_has_no_shortest_path(tmp_path: Path) -> None:
    raw = episode()
    del raw["shortest_path"], raw["shortest_path_length"], raw["initial_horizon"]
    (e,) = read_episode_file(write(tmp_path / "t.json.gz", [raw]))
    assert (e.shortest_path, e.shortest_path_length, e.initial_horizon) == (None, None, 0.0)
    assert e.known_shortest_path_length is None
    assert e.to_cow()["shortest_path_length"] == 0.0
    only_length = episode(shortest_path=None, shortest_path_length=3.5)
    (f,) = read_episode_file(write(tmp_path / "u.json.gz", [only_length]))
    assert f.known_shortest_path_length == 3.5


def test_layouts_a_file_a_split_folder_and_plain_json(tmp_path: Path) -> None:
    split = write(tmp_path / "val" / "episodes" / "FloorPlan_Val2_1.json.gz", [episode()])
    assert episode_files(tmp_path, "val") == [split]
    assert episode_files(split, "val") == [split]
    assert [e.id for e in load_episodes(split)] == ["Val_1_1_Mug_0"]
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps([episode(id="p")]))
    assert [e.id for e in read_episode_file(plain)] == ["p"]


def test_missing_files_and_empty_folders_are_errors_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json.gz"
    with pytest.raises(EpisodeFileError, match="nowhere"):
        load_episodes(missing)
    with pytest.raises(EpisodeFileError, match="no such episode file"):
        read_episode_file(missing)
    (tmp_path / "empty" / "episodes").mkdir(parents=True)
    with pytest.raises(EpisodeFileError, match=r"no \*\.json\.gz episode files"):
        load_episodes(tmp_path / "empty", "val")


def test_bad_gzip_bad_json_and_a_non_list_name_the_file(tmp_path: Path) -> None:
    not_gzip = tmp_path / "raw.json.gz"
    not_gzip.write_text("[]")
    with pytest.raises(EpisodeFileError, match=r"raw\.json\.gz: cannot read it as gzip"):
        read_episode_file(not_gzip)
    bad = write(tmp_path / "bad.json.gz", None, raw=b'[{"id": "x",')
    with pytest.raises(EpisodeFileError, match=r"bad\.json\.gz: not valid JSON"):
        read_episode_file(bad)
    obj = write(tmp_path / "obj.json.gz", {"episodes": []})
    with pytest.raises(EpisodeFileError, match=r"obj\.json\.gz: expected a JSON list"):
        read_episode_file(obj)
    item = write(tmp_path / "item.json.gz", [episode(), 3])
    with pytest.raises(EpisodeFileError, match=r"item\.json\.gz: episode 1: expected an object"):
        read_episode_file(item)


@pytest.mark.parametrize(
    "name", ["id", "scene", "object_type", "initial_position", "initial_orientation"]
)
def test_a_missing_field_names_the_file_the_episode_and_the_field(
    tmp_path: Path, name: str
) -> None:
    raw = episode(id="Val_9")
    del raw[name]
    file = write(tmp_path / "FloorPlan_Val1_1.json.gz", [episode(id="ok"), raw])
    with pytest.raises(EpisodeFileError) as info:
        read_episode_file(file)
    message = str(info.value)
    assert "FloorPlan_Val1_1.json.gz: episode 1" in message
    assert f"missing field `{name}`" in message
    if name != "id":
        assert "'Val_9'" in message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"initial_position": {"x": 1.0, "y": 0.9}}, "field `initial_position` has no `z`"),
        ({"initial_position": {"x": "1", "y": 0, "z": 0}}, "`initial_position.x` is '1'"),
        ({"initial_position": [1, 2, 3]}, "expected an object with x, y, z"),
        ({"initial_orientation": True}, "`initial_orientation` is True, expected a number"),
        ({"initial_orientation": math.nan}, "expected a finite number"),
        ({"scene": ""}, "`scene` is '', expected a non-empty string"),
        ({"object_type": 7}, "`object_type` is 7"),
        ({"shortest_path": {"x": 0}}, "`shortest_path` is {'x': 0}, expected a list"),
        ({"shortest_path": [{"x": 0, "y": 0}]}, "`shortest_path[0]` has no `z`"),
        ({"shortest_path_length": -1.0}, "`shortest_path_length` is -1.0, expected >= 0"),
        ({"initial_horizon": "30"}, "`initial_horizon` is '30'"),
    ],
)
def test_mistyped_fields_are_refused(tmp_path: Path, fields: dict[str, Any], expected: str) -> None:
    file = write(tmp_path / "f.json.gz", [episode(**fields)])
    with pytest.raises(EpisodeFileError, match=r"f\.json\.gz: episode 0") as info:
        read_episode_file(file)
    assert expected in str(info.value)


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "episodes" / "A.json.gz", [episode(id="same")])
    write(tmp_path / "episodes" / "B.json.gz", [episode(id="same")])
    with pytest.raises(EpisodeFileError, match=r"B\.json\.gz: episode id 'same' also .*A\.json"):
        load_episodes(tmp_path)
