"""A fake AI2-THOR build: a fake renderer behind ai2thor's real Controller.

Test helper, never used by a bridge at run time. AI2-THOR's Unity build
cannot run on a machine without its download and a GPU/X server, so this
program stands in for it: ``Controller(local_executable_path="python -m
cow_bridge.testing.fake_thor --world tcp://HOST:PORT")`` launches it (ai2thor
splits the path with shlex and appends its own ``-screen-*`` arguments,
which are ignored), and it answers ai2thor's FIFO protocol by rendering cow's
embedded houses through a ``cow sim serve`` **test-world** server
(``capabilities.test_world``, PROTOCOL.md section 3). Everything above the
pipes, ``Controller``, ``FifoServer``, ``Event``, is ai2thor's own code, and
the bridge talks to it exactly as to a real build.

What it renders and answers:

- ``GetScenesInBuild``: the scenes of the server's episodes.
- ``Reset(sceneName)``: cow ``reset`` of the first episode of that scene.
- ``ChangeResolution(x, y)``: accepted only for the world's frame size.
- ``Initialize``: records ``renderDepthImage`` / ``renderInstanceSegmentation``
  and the step sizes; refuses (``InvalidArgument``, which makes ``step``
  raise) a ``fieldOfView``, ``visibilityDistance`` or ``snapToGrid`` that the
  world cannot honour (its camera, its success distance, no snapping); replies
  ``cameraNearPlane`` 0 and ``cameraFarPlane`` = the world's ``max_depth``.
- ``TeleportFull(x, y, z | position, rotation, horizon, standing)``: test-world
  ``set_pose`` (THOR frame converted with :mod:`cow_bridge.frames`); only a
  level camera (horizon 0) can be rendered.
- ``MoveAhead(moveMagnitude)``, ``RotateLeft`` / ``RotateRight(degrees)``: cow
  ``step``, when the sizes equal the world's ``action_space``.
- ``GetShortestPath(objectType, position)``: test-world ``shortest_path``;
  ``actionReturn = {"corners": [...]}``, or a failed action without a path.
- ``Pass`` and ``Done``: the current state again. Anything else:
  ``errorCode = "InvalidAction"``.

Every reply carries metadata objects from the test-world ``objects`` request
(``objectType``, ``objectId``, ``name``, ``visible``: the world's own
success rule, ``position`` in THOR's frame, ``distance``), the agent
(``position``, ``rotation``, ``cameraHorizon`` 0) and ``cameraPosition``
(``camera_height`` above the agent), and the images: RGB, depth (f32 metres,
``depthFormat = "Meters"``) when Initialize asked for it, instance ids (RGB24
colours ``(class, instance >> 8, instance & 255)`` of cow's semantic values,
named ``<class name>|<instance>`` in ``colors``) when Initialize asked for
them; all images bottom row first, as Unity stores them.

FIFO protocol (ai2thor ``fifo_server.FifoServer``): the pipe paths come in
``AI2THOR_FIFO_SERVER_PIPE_PATH`` (this program writes) and
``AI2THOR_FIFO_CLIENT_PIPE_PATH`` (it reads). A message is a sequence of
fields, each a 5-byte header ``struct "!BI"`` (field type, body length) then
the body, ended by type 255 with length 0. Actions arrive as field 2 (JSON);
replies are field 1 (msgpack metadata ``{agents: [agent], sequenceId,
activeAgentId: 0, thirdPartyCameras: []}``) then fields 4 (RGB), 5 (depth), 9
(instance ids). The program sends one unsolicited message at start (sequence
id 0) and ends when the client pipe closes. A world it cannot use (no test
world, no reply) or a world request that fails makes it answer with
``errorCode = "InvalidAction"`` and the reason, so that ai2thor's ``step``
raises at once (a build that exits would leave ai2thor polling the closed
pipe until its timeout).

cow surface used: :class:`cow_bridge.Client` ``hello``, ``list_episodes``,
``reset``, ``step``, and the test-world ``set_pose``, ``shortest_path``,
``objects``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import struct
import sys
from collections.abc import Sequence
from typing import IO, Any

import msgpack  # type: ignore[import-untyped]
import numpy as np

from cow_bridge.client import Client
from cow_bridge.frames import (
    thor_rotation_to_yaw,
    thor_to_world,
    world_to_thor,
    yaw_to_thor_rotation,
)
from cow_bridge.protocol import BridgeTimeoutError, Observation, Pose, RemoteError

log = logging.getLogger("cow_bridge.testing.fake_thor")

HEADER = struct.Struct("!BI")
"""Field header: field type (u8), body length (u32), network order."""

METADATA, ACTION, RGB_IMAGE, DEPTH_IMAGE, IDS_IMAGE, END_OF_MESSAGE = 1, 2, 4, 5, 9, 255
"""ai2thor ``FieldType`` values used here."""


class WorldError(Exception):
    """The cow world cannot be used (no test world, no reply, an unexpected error)."""


class ActionError(Exception):
    """An action the fake refuses; ``code`` becomes the metadata ``errorCode``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _same_f32(a: float, b: float) -> bool:
    return bool(np.float32(a) == np.float32(b))


def _number(action: dict[str, Any], name: str, default: float | None = None) -> float:
    value = action.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ActionError("InvalidArgument", f"{action.get('action')}: {name} is {value!r}")
    return float(value)


class FakeThor:
    """The fake build's state: the cow world client and what Initialize asked for."""

    def __init__(self, world: Client) -> None:
        self.world = world
        caps = world.hello()
        if not caps.get("test_world"):
            raise WorldError(f"{world.endpoint} is no test world (capabilities.test_world)")
        self.camera: dict[str, Any] = caps["camera"]
        self.width = int(self.camera["width"])
        self.height = int(self.camera["height"])
        self.move_step = float(caps["action_space"]["move_step"])
        self.turn_step = float(caps["action_space"]["turn_step_deg"])
        self.success_distance = float(caps["success_distance"])
        self.classes: list[str] = list(caps["semantic_classes"])
        self.provides_semantic = bool(caps["provides_semantic"])
        self.scenes: dict[str, str] = {}
        for episode in world.list_episodes():
            self.scenes.setdefault(str(episode["scene"]), str(episode["id"]))
        self.scene = ""
        self.depth = False
        self.ids = False
        self.grid_size = self.move_step
        self.rotate_step = self.turn_step
        self.obs: Observation | None = None
        self.objects: list[dict[str, Any]] = []

    # ---------------------------------------------------------------- actions

    def act(self, action: dict[str, Any]) -> Any:
        """Applies one action; returns its ``actionReturn`` or raises :class:`ActionError`."""
        name = action.get("action")
        handler = getattr(self, f"_do_{name}", None) if isinstance(name, str) else None
        if handler is None:
            raise ActionError("InvalidAction", f"the fake AI2-THOR build has no action {name!r}")
        return handler(action)

    def _do_GetScenesInBuild(self, action: dict[str, Any]) -> Any:  # noqa: N802
        return sorted(self.scenes)

    def _do_Reset(self, action: dict[str, Any]) -> Any:  # noqa: N802
        scene = action.get("sceneName")
        if scene not in self.scenes:
            raise ActionError("InvalidArgument", f"scene {scene!r} is not in this build")
        self._observed(self.world.reset(self.scenes[scene]))
        self.scene = str(scene)
        return None

    def _do_ChangeResolution(self, action: dict[str, Any]) -> Any:  # noqa: N802
        size = (action.get("x"), action.get("y"))
        if size != (self.width, self.height):
            raise ActionError(
                "InvalidArgument",
                f"the world renders {self.width} x {self.height}, not {size[0]} x {size[1]}",
            )
        return None

    def _do_Initialize(self, action: dict[str, Any]) -> Any:  # noqa: N802
        vfov = math.degrees(2.0 * math.atan(self.height / 2.0 / float(self.camera["fy"])))
        fov = _number(action, "fieldOfView", vfov)
        if abs(fov - vfov) > 1e-3:
            raise ActionError(
                "InvalidArgument", f"fieldOfView {fov} is not the world camera's {vfov:.4f}"
            )
        visibility = _number(action, "visibilityDistance", self.success_distance)
        if not _same_f32(visibility, self.success_distance):
            raise ActionError(
                "InvalidArgument",
                f"visibilityDistance {visibility} is not the world's success distance "
                f"{self.success_distance}",
            )
        if action.get("snapToGrid", False):
            raise ActionError("InvalidArgument", "the fake world moves continuously: no snapToGrid")
        self.depth = bool(action.get("renderDepthImage", False))
        self.ids = bool(action.get("renderInstanceSegmentation", False))
        if self.ids and not self.provides_semantic:
            raise ActionError("InvalidArgument", "the world sends no semantic frames")
        self.grid_size = _number(action, "gridSize", self.move_step)
        self.rotate_step = _number(action, "rotateStepDegrees", self.turn_step)
        return {"cameraNearPlane": 0.0, "cameraFarPlane": float(self.camera["max_depth"])}

    def _do_TeleportFull(self, action: dict[str, Any]) -> Any:  # noqa: N802
        position = action.get("position")
        if not isinstance(position, dict):
            position = {k: action.get(k) for k in ("x", "y", "z")}
        p = {k: _number(position, k) for k in ("x", "y", "z")}
        rotation = action.get("rotation", {"y": 0.0})
        yaw_deg = _number(rotation if isinstance(rotation, dict) else {"y": rotation}, "y")
        horizon = _number(action, "horizon", 0.0)
        if horizon != 0.0:
            raise ActionError("InvalidArgument", f"the fake renders a level camera, not {horizon}")
        x, y, z = thor_to_world(p)
        try:
            obs = self.world.set_pose(Pose(x, y, z, thor_rotation_to_yaw(yaw_deg)))
        except RemoteError as e:
            raise ActionError("", f"TeleportFull: {e.message}") from e
        self._observed(obs)
        return None

    def _move(self, action: dict[str, Any], cow_action: str, size: float, world: float) -> Any:
        if not _same_f32(size, world):
            raise ActionError(
                "InvalidArgument", f"{cow_action} by {size}: the world's step is {world}"
            )
        if self.obs is None:
            raise ActionError("", f"{cow_action} before Reset")
        self._observed(self.world.step(cow_action))
        assert self.obs is not None
        if not self.obs.last_action_success:
            raise ActionError("", f"{cow_action} blocked")
        return None

    def _do_MoveAhead(self, action: dict[str, Any]) -> Any:  # noqa: N802
        size = _number(action, "moveMagnitude", self.grid_size)
        return self._move(action, "MoveAhead", size, self.move_step)

    def _do_RotateLeft(self, action: dict[str, Any]) -> Any:  # noqa: N802
        size = _number(action, "degrees", self.rotate_step)
        return self._move(action, "RotateLeft", size, self.turn_step)

    def _do_RotateRight(self, action: dict[str, Any]) -> Any:  # noqa: N802
        size = _number(action, "degrees", self.rotate_step)
        return self._move(action, "RotateRight", size, self.turn_step)

    def _do_GetShortestPath(self, action: dict[str, Any]) -> Any:  # noqa: N802
        object_type = action.get("objectType")
        if not isinstance(object_type, str):
            raise ActionError("InvalidArgument", "GetShortestPath needs an objectType")
        position = action.get("position")
        if position is None:
            position = self._agent()["position"]
        if not isinstance(position, dict):
            raise ActionError("InvalidArgument", f"position {position!r}")
        source = thor_to_world({k: _number(position, k) for k in ("x", "y", "z")})
        points = self.world.shortest_path(source, object_type)
        if not points:
            raise ActionError("", f"Path to {object_type} could not be found")
        return {"corners": [world_to_thor(p) for p in points]}

    def _do_Pass(self, action: dict[str, Any]) -> Any:  # noqa: N802
        return None

    def _do_Done(self, action: dict[str, Any]) -> Any:  # noqa: N802
        return None

    # ---------------------------------------------------------------- replies

    def _observed(self, obs: Observation) -> None:
        self.obs = obs
        self.objects = self.world.objects()

    def _agent(self) -> dict[str, Any]:
        pose = self.obs.pose if self.obs is not None else None
        if pose is None:
            pose = Pose(0.0, 0.0, 0.0, 0.0)
        camera = (pose.x, pose.y, pose.z + float(self.camera["camera_height"]))
        return {
            "position": world_to_thor((pose.x, pose.y, pose.z)),
            "rotation": {"x": 0.0, "y": yaw_to_thor_rotation(pose.yaw), "z": 0.0},
            "cameraHorizon": 0.0,
            "isStanding": True,
            "cameraPosition": world_to_thor(camera),
        }

    def reply(self, action: dict[str, Any]) -> list[tuple[int, bytes]]:
        """The reply fields to ``action`` (after applying it)."""
        try:
            result = self.act(action)
        except ActionError as e:
            return self.message(action, False, e.code, e.message)
        except (RemoteError, BridgeTimeoutError) as e:
            # A failing world is no answer a renderer gives: an error ai2thor raises.
            return self.message(action, False, "InvalidAction", f"fake_thor: the cow world: {e}")
        return self.message(action, True, "", "", result)

    def message(
        self,
        action: dict[str, Any],
        ok: bool = True,
        code: str = "",
        message: str = "",
        result: Any = None,
    ) -> list[tuple[int, bytes]]:
        """The fields of a message describing the current state after ``action``
        (its name and ``sequenceId`` are echoed)."""
        agent = self._agent()
        metadata_agent = _agent_metadata(
            action, (self.width, self.height), ok, code, message, result, self.scene
        )
        metadata_agent |= {
            "agent": {k: v for k, v in agent.items() if k != "cameraPosition"},
            "cameraPosition": agent["cameraPosition"],
            "depthFormat": "Meters",
            "objects": [
                {
                    "objectId": o["id"],
                    "name": o["id"],
                    "objectType": o["object_type"],
                    "visible": bool(o["visible"]),
                    "position": world_to_thor(
                        (o["position"]["x"], o["position"]["y"], o["position"]["z"])
                    ),
                    "distance": float(o["distance"]),
                }
                for o in self.objects
            ],
        }
        fields: list[tuple[int, bytes]] = []
        if self.obs is not None:
            fields.append((RGB_IMAGE, np.ascontiguousarray(self.obs.rgb[::-1]).tobytes()))
            if self.depth:
                depth = np.ascontiguousarray(self.obs.depth[::-1], dtype="<f4")
                fields.append((DEPTH_IMAGE, depth.tobytes()))
            if self.ids and self.obs.semantic is not None:
                ids, colors = self._ids_image(self.obs.semantic)
                fields.append((IDS_IMAGE, ids))
                metadata_agent["colors"] = colors
        return [(METADATA, _packed_metadata(action, metadata_agent)), *fields]

    def _ids_image(self, semantic: np.ndarray[Any, Any]) -> tuple[bytes, list[dict[str, Any]]]:
        values = np.asarray(semantic, dtype=np.uint32)
        rgb = np.stack(
            [(values >> 16) & 0xFF, (values >> 8) & 0xFF, values & 0xFF], axis=-1
        ).astype(np.uint8)
        colors = []
        for v in np.unique(values).tolist():
            cls, instance = v >> 16, v & 0xFFFF
            if v == 0 or cls >= len(self.classes):
                continue
            color = [(v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF]
            colors.append({"name": f"{self.classes[cls]}|{instance}", "color": color})
        return np.ascontiguousarray(rgb[::-1]).tobytes(), colors


# ---------------------------------------------------------------- FIFO


def write_message(pipe: IO[bytes], fields: Sequence[tuple[int, bytes]]) -> None:
    """Writes one message: each field's header and body, then the end marker."""
    chunks = [HEADER.pack(kind, len(body)) + body for kind, body in fields]
    pipe.write(b"".join(chunks) + HEADER.pack(END_OF_MESSAGE, 0))
    pipe.flush()


def _read_exactly(pipe: IO[bytes], n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = pipe.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_action(pipe: IO[bytes]) -> dict[str, Any] | None:
    """Reads one message and returns its action (field 2, JSON); ``None`` at end of file."""
    action: dict[str, Any] | None = None
    while True:
        header = _read_exactly(pipe, HEADER.size)
        if header is None:
            return None
        kind, length = HEADER.unpack(header)
        if kind == END_OF_MESSAGE:
            if action is None:
                raise ValueError("a message without an action field")
            return action
        body = _read_exactly(pipe, length) if length else b""
        if body is None:
            return None
        if kind == ACTION:
            action = json.loads(body)


def broken_message(action: dict[str, Any], width: int, height: int, reason: str) -> bytes:
    """The metadata field of a reply from a build that cannot render: every action
    fails with ``errorCode = "InvalidAction"``, which makes ai2thor raise."""
    agent = _agent_metadata(
        action, (width, height), False, "InvalidAction", f"fake_thor: {reason}", None, ""
    )
    agent["objects"] = []
    return _packed_metadata(action, agent)


def _agent_metadata(
    action: dict[str, Any],
    size: tuple[int, int],
    ok: bool,
    code: str,
    message: str,
    result: Any,
    scene: str,
) -> dict[str, Any]:
    """The fields of one agent's metadata that every reply has: the frame
    ``size`` (width, height) and the outcome of ``action`` in ``scene``."""
    return {
        "screenWidth": size[0],
        "screenHeight": size[1],
        "thirdPartyCameras": [],
        "colors": [],
        "lastAction": action.get("action", ""),
        "lastActionSuccess": ok,
        "errorCode": code,
        "errorMessage": message,
        "actionReturn": result,
        "sceneName": scene,
    }


def _packed_metadata(action: dict[str, Any], agent: dict[str, Any]) -> bytes:
    """The metadata field (msgpack) of a reply to ``action`` (its ``sequenceId``
    echoed) with one agent's metadata."""
    metadata = {
        "agents": [agent],
        "sequenceId": action.get("sequenceId", 0),
        "activeAgentId": 0,
        "thirdPartyCameras": [],
    }
    packed: bytes = msgpack.packb(metadata, use_bin_type=True)
    return packed


def serve(world: Client, server_pipe: str, client_pipe: str, size: tuple[int, int]) -> None:
    """Speaks the FIFO protocol until the client pipe closes. When the world cannot
    be used the program still answers, every action with an error naming the
    reason: ai2thor waits for a build that exits by spinning until its timeout."""
    with open(server_pipe, "wb") as out:
        fake: FakeThor | None = None
        reason = ""
        try:
            fake = FakeThor(world)
        except (WorldError, RemoteError, BridgeTimeoutError) as e:
            reason = str(e)
            log.error("%s", reason)
        if fake is None:
            write_message(out, [(METADATA, broken_message({}, *size, reason))])
        else:
            write_message(out, fake.message({"sequenceId": 0}))
        with open(client_pipe, "rb") as inp:
            while True:
                action = read_action(inp)
                if action is None:
                    log.info("client pipe closed; exiting")
                    return
                log.debug("action %s", action.get("action"))
                if fake is None:
                    write_message(out, [(METADATA, broken_message(action, *size, reason))])
                else:
                    write_message(out, fake.reply(action))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``python -m cow_bridge.testing.fake_thor --world ENDPOINT``."""
    parser = argparse.ArgumentParser(prog="fake_thor", description=__doc__.splitlines()[0])
    parser.add_argument("--world", required=True, help="endpoint of a cow test-world server")
    parser.add_argument("--timeout-ms", type=int, default=10_000, help="cow request timeout")
    # Unity's own arguments, which ai2thor appends: the first frame size.
    parser.add_argument("-screen-width", dest="screen_width", type=int, default=300)
    parser.add_argument("-screen-height", dest="screen_height", type=int, default=300)
    args, ignored = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="fake_thor %(levelname)s: %(message)s")
    if ignored:
        log.info("ignoring the Unity arguments %s", " ".join(ignored))
    try:
        server_pipe = os.environ["AI2THOR_FIFO_SERVER_PIPE_PATH"]
        client_pipe = os.environ["AI2THOR_FIFO_CLIENT_PIPE_PATH"]
    except KeyError as e:
        log.error("%s is not set: run this program through ai2thor's Controller", e)
        return 2
    with Client(args.world, timeout_ms=args.timeout_ms, retries=2) as world:
        serve(world, server_pipe, client_pipe, (args.screen_width, args.screen_height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
