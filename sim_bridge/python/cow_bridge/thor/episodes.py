"""RoboTHOR ObjectNav challenge episode files: reading, validation, conversion to cow's episodes.

The challenge (and allenact) keep one gzipped JSON file per scene,
``<dir>/episodes/<scene>.json.gz``, each a JSON list of episodes::

    {"id": "Val_2_1_Garbage_Can_0", "scene": "FloorPlan_Val2_1",
     "object_type": "GarbageCan", "initial_position": {"x": 3.0, "y": 0.9, "z": -1.5},
     "initial_orientation": 120, "initial_horizon": 30,
     "shortest_path": [{"x": 3.0, "y": 0.9, "z": -1.5}, ...], "shortest_path_length": 3.27}

Positions are in AI2-THOR's frame (left-handed, y up), ``initial_orientation``
is THOR yaw in degrees (clockwise seen from above) and ``initial_horizon`` the
camera pitch in degrees (positive looks down). The test split has neither
``shortest_path`` nor ``shortest_path_length``; ``initial_horizon`` is read
as 0 when absent. Every file is checked as a whole: a file that is not gzip,
not JSON, not a list, or has an episode with a missing or mistyped field is
an :class:`EpisodeFileError` naming the file, the episode and the field.

Simulator surface: ``ai2thor.util.metrics.path_distance`` (pure Python) for
path lengths; nothing else of ai2thor. Frames are converted with
:mod:`cow_bridge.frames`, goal words come from :mod:`cow_bridge.goals`.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ai2thor.util.metrics as _thor_metrics  # type: ignore[import-untyped]

from cow_bridge.frames import thor_to_world
from cow_bridge.goals import goal_words

ThorPoint = dict[str, float]
"""A point ``{"x", "y", "z"}`` in AI2-THOR's frame, metres."""


class EpisodeFileError(ValueError):
    """An episode file (or directory) that cannot be used; the message names the file."""


@dataclass(frozen=True)
class ThorEpisode:
    """One RoboTHOR ObjectNav episode, in AI2-THOR's frame as the file has it."""

    id: str
    scene: str
    object_type: str
    initial_position: ThorPoint
    initial_orientation: float
    """THOR yaw, degrees clockwise seen from above."""
    initial_horizon: float
    """Camera pitch, degrees (positive looks down); 0 when the file has none."""
    shortest_path: tuple[ThorPoint, ...] | None
    shortest_path_length: float | None
    source: Path
    """The file the episode came from (for messages)."""

    @property
    def known_shortest_path_length(self) -> float | None:
        """The episode's shortest path length l_i: the length of ``shortest_path``
        (``ai2thor.util.metrics.path_distance``) where the file gives the path,
        else ``shortest_path_length``, else ``None`` (the test split)."""
        if self.shortest_path is not None:
            return path_distance(self.shortest_path)
        return self.shortest_path_length

    def to_cow(self) -> dict[str, Any]:
        """The episode as cow's ``episodes`` reply lists it (``sim_bridge::types::Episode``):
        world-frame start, heading in degrees counter-clockwise from +x in [0, 360),
        goal words, ``shortest_path_length`` (0 when the file has none: the
        episode result then carries the one measured at the start), ``rooms`` 0."""
        x, y, z = thor_to_world(self.initial_position)
        x, y, z = x + 0.0, y + 0.0, z + 0.0  # -0.0 (from a negated 0) becomes 0.0
        length = self.known_shortest_path_length
        return {
            "id": self.id,
            "scene": self.scene,
            "object_type": self.object_type,
            "goal": goal_words(self.object_type),
            "initial_position": {"x": x, "y": y, "z": z},
            "initial_orientation": (-self.initial_orientation) % 360.0 + 0.0,
            "shortest_path_length": 0.0 if length is None else length,
            "rooms": 0,
        }


def path_distance(path: Sequence[Mapping[str, float]]) -> float:
    """Length of a polyline of ``{x, y, z}`` points: ai2thor's own
    ``ai2thor.util.metrics.path_distance`` (the sum of the 3-D distances between
    consecutive points)."""
    return float(_thor_metrics.path_distance(list(path)))


# ---------------------------------------------------------------- reading


def episode_files(path: Path, split: str) -> list[Path]:
    """The episode files at ``path``: the file itself, or the ``*.json.gz`` files of
    the first of ``path``, ``path/episodes`` and ``path/<split>/episodes`` that
    has any, sorted by name."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise EpisodeFileError(f"{path}: no such episode file or directory")
    tried = [path, path / "episodes", path / split / "episodes"]
    for folder in tried:
        files = sorted(folder.glob("*.json.gz")) if folder.is_dir() else []
        if files:
            return files
    looked = ", ".join(str(t) for t in tried)
    raise EpisodeFileError(f"{path}: no *.json.gz episode files (looked in {looked})")


def load_episodes(path: Path, split: str = "val") -> list[ThorEpisode]:
    """Reads every episode under ``path`` (see :func:`episode_files`), files in name
    order and episodes in file order; ids must be unique across files."""
    episodes: list[ThorEpisode] = []
    seen: dict[str, Path] = {}
    for file in episode_files(path, split):
        for episode in read_episode_file(file):
            if episode.id in seen:
                raise EpisodeFileError(
                    f"{file}: episode id {episode.id!r} also appears in {seen[episode.id]}"
                )
            seen[episode.id] = file
            episodes.append(episode)
    return episodes


def read_episode_file(file: Path) -> list[ThorEpisode]:
    """Reads and checks one challenge file (gzip if its name ends in ``.gz``, else plain
    JSON): a JSON list of episodes."""
    try:
        raw = gzip.decompress(file.read_bytes()) if file.suffix == ".gz" else file.read_bytes()
    except FileNotFoundError as e:
        raise EpisodeFileError(f"{file}: no such episode file") from e
    except (OSError, EOFError, zlib.error) as e:
        raise EpisodeFileError(f"{file}: cannot read it as gzip: {e}") from e
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise EpisodeFileError(f"{file}: not valid JSON: {e}") from e
    if not isinstance(data, list):
        raise EpisodeFileError(
            f"{file}: expected a JSON list of episodes, found {type(data).__name__}"
        )
    return [_episode(file, i, raw_episode) for i, raw_episode in enumerate(data)]


def _episode(file: Path, index: int, raw: object) -> ThorEpisode:
    where = f"{file}: episode {index}"
    if not isinstance(raw, dict):
        raise EpisodeFileError(f"{where}: expected an object, found {type(raw).__name__}")
    if isinstance(raw.get("id"), str):
        where += f" ({raw['id']!r})"

    def fail(message: str) -> EpisodeFileError:
        return EpisodeFileError(f"{where}: {message}")

    def text(name: str) -> str:
        if name not in raw:
            raise fail(f"missing field `{name}`")
        value = raw[name]
        if not isinstance(value, str) or not value:
            raise fail(f"field `{name}` is {value!r}, expected a non-empty string")
        return value

    def number(value: object, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"field `{name}` is {value!r}, expected a number")
        if not math.isfinite(value):
            raise fail(f"field `{name}` is {value!r}, expected a finite number")
        return float(value)

    def point(value: object, name: str) -> ThorPoint:
        if not isinstance(value, dict):
            raise fail(f"field `{name}` is {value!r}, expected an object with x, y, z")
        for axis in ("x", "y", "z"):
            if axis not in value:
                raise fail(f"field `{name}` has no `{axis}`")
        return {axis: number(value[axis], f"{name}.{axis}") for axis in ("x", "y", "z")}

    if "initial_position" not in raw:
        raise fail("missing field `initial_position`")
    if "initial_orientation" not in raw:
        raise fail("missing field `initial_orientation`")
    path: tuple[ThorPoint, ...] | None = None
    if raw.get("shortest_path") is not None:
        corners = raw["shortest_path"]
        if not isinstance(corners, list):
            raise fail(f"field `shortest_path` is {corners!r}, expected a list of points")
        path = tuple(point(c, f"shortest_path[{i}]") for i, c in enumerate(corners))
    length: float | None = None
    if raw.get("shortest_path_length") is not None:
        length = number(raw["shortest_path_length"], "shortest_path_length")
        if length < 0:
            raise fail(f"field `shortest_path_length` is {length}, expected >= 0")
    horizon = raw.get("initial_horizon")
    return ThorEpisode(
        id=text("id"),
        scene=text("scene"),
        object_type=text("object_type"),
        initial_position=point(raw["initial_position"], "initial_position"),
        initial_orientation=number(raw["initial_orientation"], "initial_orientation"),
        initial_horizon=0.0 if horizon is None else number(horizon, "initial_horizon"),
        shortest_path=path,
        shortest_path_length=length,
        source=file,
    )
