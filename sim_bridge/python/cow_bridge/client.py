"""Lazy-pirate protocol v1 client (REQ socket), mirroring the Rust ``sim_bridge::client``.

Each call sends one request and waits ``timeout_ms`` for the reply. On a
timeout the socket is closed (linger 0), a fresh one connected, and the same
request (same id and bytes) sent again, up to ``retries`` more times; then
:class:`~cow_bridge.protocol.BridgeTimeoutError`. Servers answer a retried
request from their reply cache, so a retried ``step`` is applied once.

With a :class:`~cow_bridge.curve.ClientCurve` every socket is a CURVE client
that pins the server's public key: a server with another key, or one that
refuses this client's key, never answers (a timeout).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import zmq

from cow_bridge.curve import ClientCurve
from cow_bridge.protocol import (
    BridgeTimeoutError,
    Observation,
    Point,
    Pose,
    ProtocolError,
    Reply,
    decode_reply,
    encode_request,
)

log = logging.getLogger(__name__)


class Client:
    """A connection to a protocol v1 server (one request at a time)."""

    def __init__(
        self,
        endpoint: str,
        timeout_ms: int = 10_000,
        retries: int = 3,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        curve: ClientCurve | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.retries = retries
        self.curve = curve
        self._ctx = context or zmq.Context.instance()
        self._socket = self._open()
        # Below 2**52 so that every JSON reader keeps it exact.
        self._next_id = ((time.time_ns() ^ (os.getpid() << 20)) & ((1 << 52) - 1)) | 1

    def _open(self) -> zmq.Socket[bytes]:
        socket = self._ctx.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.SNDTIMEO, self.timeout_ms)
        if self.curve is not None:
            self.curve.apply(socket)
        socket.connect(self.endpoint)
        return socket

    def request(
        self,
        kind: str,
        episode_id: str | None = None,
        action: str | None = None,
        pose: Pose | None = None,
        source: Point | None = None,
        targets: Sequence[Point] | None = None,
        object_type: str | None = None,
        goal: str | None = None,
    ) -> Reply:
        """Sends one request lazy-pirate style and returns the decoded reply
        (raising :class:`~cow_bridge.protocol.RemoteError` for an error reply)."""
        request_id = self._next_id
        self._next_id += 1
        parts = encode_request(
            kind,
            request_id,
            episode_id=episode_id,
            action=action,
            pose=pose,
            source=source,
            targets=targets,
            object_type=object_type,
            goal=goal,
        )
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                self._socket.send_multipart(parts)
                ready = self._socket.poll(self.timeout_ms, zmq.POLLIN)
            except zmq.Again:
                ready = 0
            if ready:
                frames = self._socket.recv_multipart(copy=False)
                reply = decode_reply([f.buffer for f in frames]).raise_if_error()
                if reply.id != request_id:
                    raise ProtocolError(
                        "malformed",
                        f"reply id {reply.id} does not match request id {request_id}",
                    )
                return reply
            log.warning(
                "no reply to %s from %s within %d ms (attempt %d of %d); reconnecting",
                kind,
                self.endpoint,
                self.timeout_ms,
                attempt,
                attempts,
            )
            self._socket.close(linger=0)
            self._socket = self._open()
        raise BridgeTimeoutError(self.endpoint, attempts, self.timeout_ms)

    def _expect(self, reply: Reply, kind: str) -> Reply:
        if reply.kind != kind:
            raise ProtocolError("malformed", f"expected a {kind!r} reply, got {reply.kind!r}")
        return reply

    def hello(self) -> dict[str, Any]:
        """The server's capabilities (camera, actions, semantic classes, ...)."""
        caps: dict[str, Any] = self._expect(self.request("hello"), "capabilities").body[
            "capabilities"
        ]
        return caps

    def list_episodes(self) -> list[dict[str, Any]]:
        """The episodes the server can run."""
        episodes: list[dict[str, Any]] = self._expect(
            self.request("list_episodes"), "episodes"
        ).body["episodes"]
        return episodes

    def reset(self, episode_id: str, goal: str | None = None) -> Observation:
        """Starts an episode and returns its first observation; ``goal`` (words)
        for a source without an episode list, such as a robot."""
        return self._observation(self.request("reset", episode_id=episode_id, goal=goal))

    def step(self, action: str) -> Observation:
        """Applies an action (``"MoveAhead"``, ...) and returns the next observation."""
        return self._observation(self.request("step", action=action))

    def episode_result(self) -> dict[str, Any]:
        """Ground truth of the current (or just finished) episode."""
        result: dict[str, Any] = self._expect(
            self.request("episode_result"), "episode_result"
        ).body["result"]
        return result

    def set_pose(self, pose: Pose) -> Observation:
        """Test worlds only: places the agent before the episode's first action
        (the pose becomes the start) and returns the observation from there."""
        return self._observation(self.request("set_pose", pose=pose))

    def geodesic_distance(self, source: Point, targets: Sequence[Point]) -> float | None:
        """Test worlds only: the walkable distance (metres) from ``source`` to the
        nearest of ``targets`` in the running episode's scene; ``None`` if unreachable."""
        reply = self._expect(
            self.request("geodesic_distance", source=source, targets=targets), "distance"
        )
        distance: float | None = reply.body["distance"]
        return distance

    def shortest_path(self, source: Point, object_type: str) -> list[Point]:
        """Test worlds only: the corners of a shortest walkable path from ``source``
        to the nearest success point of ``object_type`` (``source`` first; empty if
        none is reachable)."""
        reply = self._expect(
            self.request("shortest_path", source=source, object_type=object_type), "path"
        )
        points: list[Point] = reply.body["points"]
        return points

    def render(self, pose: Pose) -> Observation:
        """Test worlds only: the frames of the running episode's scene seen from
        any ``pose``; nothing is recorded (a simulated robot moving continuously)."""
        return self._observation(self.request("render", pose=pose))

    def free(self, position: Point) -> bool:
        """Test worlds only: whether the agent can stand at ``position``."""
        free: bool = self._expect(self.request("free", source=position), "free").body["free"]
        return free

    def objects(self) -> list[dict[str, Any]]:
        """Test worlds only: the scene's objects seen from the current pose
        (``id``, ``object_type``, ``position``, ``distance``, ``pixels``, ``visible``)."""
        objects: list[dict[str, Any]] = self._expect(self.request("objects"), "objects").body[
            "objects"
        ]
        return objects

    def close(self) -> None:
        """Asks the server to end its serve loop (it replies ``ok`` first)."""
        self._expect(self.request("close"), "ok")

    def disconnect(self) -> None:
        """Closes this client's socket."""
        self._socket.close(linger=0)

    def _observation(self, reply: Reply) -> Observation:
        self._expect(reply, "observation")
        if reply.observation is None:
            raise ProtocolError("malformed", "observation reply without an observation")
        return reply.observation

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.disconnect()
