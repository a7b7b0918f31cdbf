"""The protocol v1 serve loop: a ZeroMQ REP socket in front of a :class:`Backend`.

The Python twin of the Rust ``sim_bridge::server``, shared by every Python
bridge (Habitat, RoboTHOR) and the robot node. It answers every request, good
or bad: a bad request or a failing backend call gets a typed error reply, is
logged, and the loop goes on. A backend raises :class:`ProtocolError` with a
wire code (``unknown_episode``, ``no_episode``, ...) for a bad request; any
other exception becomes an ``internal`` error reply. The loop ends on a
``close`` request (after replying ``ok``) or when the stop event is set
(checked every poll interval).

A ``reset`` with a ``goal`` (a world without an episode list: a robot) calls
the backend's ``reset_with_goal`` when it has one (:class:`GoalBackend`); a
backend without it refuses the goal with ``malformed``, as its episodes carry
their own goals (the Rust ``Backend::reset_with_goal`` default).

A retried request (same id and same header bytes as the previous one, as a
lazy-pirate client sends after a timeout) is answered from the cached
previous reply instead of being executed again, so a slow ``step`` is never
applied twice. Messages larger than ``max_message_bytes`` are dropped by
ZeroMQ itself (``ZMQ_MAXMSGSIZE``) before they reach Python.

:func:`serve_until_stopped` is the whole life of a bridge command: serve
until a ``close`` request, SIGINT or SIGTERM, then close the backend.

Transport: plain ZeroMQ by default (bind to loopback). With a
:class:`~cow_bridge.curve.ServerCurve` the socket is a CURVE server that
serves only clients whose public keys are listed in a directory
(:mod:`cow_bridge.curve`).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol, runtime_checkable

import zmq
from zmq.auth.thread import ThreadAuthenticator

from cow_bridge.curve import ServerCurve
from cow_bridge.protocol import (
    Observation,
    Part,
    ProtocolError,
    Request,
    decode_request,
    encode_error,
    encode_observation,
    encode_reply,
)

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 16 << 20
"""Largest request message accepted (requests are small JSON headers)."""


class Backend(Protocol):
    """What a bridge implements: the world behind the server.

    Every method raises :class:`ProtocolError` with a wire code for bad input
    (an unknown episode id, a ``step`` before ``reset``) and never leaves the
    backend unusable: the server keeps serving after an error.
    """

    def hello(self) -> dict[str, Any]:
        """Capabilities announced by ``hello`` (PROTOCOL.md section 4)."""
        ...

    def list_episodes(self) -> list[dict[str, Any]]:
        """The episodes this backend can run, in a stable order."""
        ...

    def reset(self, episode_id: str) -> Observation:
        """Starts the episode with this id and returns its first observation."""
        ...

    def step(self, action: str) -> Observation:
        """Applies one action (a wire name) to the running episode."""
        ...

    def episode_result(self) -> dict[str, Any]:
        """Ground truth of the running (or just finished) episode."""
        ...

    def close(self) -> None:
        """Releases the simulator (and any process it started); called once,
        by :func:`serve_until_stopped`, when serving ends. The server itself
        never calls it: a ``close`` request only ends the serve loop."""
        ...


@runtime_checkable
class GoalBackend(Protocol):
    """What a world without an episode list adds: a session started with a goal
    in words (``reset`` with ``goal``, PROTOCOL.md section 3)."""

    def reset_with_goal(self, episode_id: str, goal: str) -> Observation:
        """Starts (or continues) session ``episode_id`` with ``goal``; returns
        its first observation."""
        ...


@dataclass
class ServeStats:
    """Counters of one :meth:`Server.serve` run."""

    requests: int = 0
    errors: int = 0
    replays: int = 0
    resets: int = 0
    steps: int = 0


class Dispatcher:
    """Turns request messages into reply parts by calling the backend; owns the
    replay cache and the counters. Socket-free, so it is testable alone."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.stats = ServeStats()
        self._last: tuple[int, bytes, list[Part]] | None = None

    def respond(self, parts: list[Part]) -> tuple[list[Part], bool]:
        """Answers one request message; returns the reply parts and whether the
        serve loop should end (after a ``close``)."""
        self.stats.requests += 1
        first = bytes(parts[0]) if parts else b""
        try:
            request = decode_request(parts)
        except ProtocolError as e:
            return self._fail(_peek_id(first), e.code, e.message, "bad request"), False
        if self._last is not None and self._last[0] == request.id and self._last[1] == first:
            self.stats.replays += 1
            log.debug("replaying the cached reply to retried request %d", request.id)
            return self._last[2], False
        try:
            reply = self._execute(request)
        except ProtocolError as e:
            return self._fail(request.id, e.code, e.message, request.kind), False
        except Exception as e:  # the backend is foreign code: keep serving
            log.exception("%s failed in the backend", request.kind)
            return self._fail(request.id, "internal", f"{type(e).__name__}: {e}", None), False
        self._last = (request.id, first, reply)
        return reply, request.kind == "close"

    def _execute(self, request: Request) -> list[Part]:
        b = self.backend
        kind = request.kind
        if kind in ("reset", "step"):
            if kind == "reset":
                obs = self._reset(str(request.episode_id), request.goal)
                self.stats.resets += 1
            else:
                obs = b.step(str(request.action))
                self.stats.steps += 1
            return _encoded(kind, lambda: encode_observation(obs, request.id))
        body: dict[str, Any]
        if kind == "hello":
            reply, body = "capabilities", {"capabilities": b.hello()}
        elif kind == "list_episodes":
            reply, body = "episodes", {"episodes": b.list_episodes()}
        elif kind == "episode_result":
            reply, body = "episode_result", {"result": b.episode_result()}
        elif kind == "close":
            reply, body = "ok", {}
        else:
            raise ProtocolError(
                "unknown_type", f"{kind!r} is a test-world request; this server is no test world"
            )
        return _encoded(kind, lambda: list(encode_reply(reply, request.id, body)))

    def _reset(self, episode_id: str, goal: str | None) -> Observation:
        if goal is None:
            return self.backend.reset(episode_id)
        if not isinstance(self.backend, GoalBackend):
            raise ProtocolError(
                "malformed",
                f"reset of {episode_id!r} with goal {goal!r}: "
                "this world's episodes carry their own goals",
            )
        return self.backend.reset_with_goal(episode_id, goal)

    def _fail(
        self, request_id: int | None, code: str, message: str, what: str | None
    ) -> list[Part]:
        self.stats.errors += 1
        if what is not None:
            log.warning("%s (id %s): %s: %s", what, request_id, code, message)
        return list(encode_error(request_id, code, message))


def _encoded(kind: str, encode: Callable[[], list[Part]]) -> list[Part]:
    """Runs ``encode``; a reply the wire cannot carry (NaN in a distance, a frame
    whose arrays disagree) is the backend's fault: an ``internal`` error."""
    try:
        return encode()
    except ProtocolError as e:
        raise RuntimeError(f"the server cannot encode its reply to {kind!r}: {e.message}") from e


def _peek_id(raw: bytes) -> int | None:
    """The request id of a header that failed to decode, if it can be read
    (a request of another version still gets its id echoed)."""
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    rid = header.get("id") if isinstance(header, dict) else None
    if isinstance(rid, int) and not isinstance(rid, bool) and 0 <= rid < 1 << 53:
        return rid
    return None


class Server:
    """A protocol v1 server bound to one endpoint (``tcp://127.0.0.1:5560``,
    ``tcp://127.0.0.1:*`` for a free port, ``ipc://...``).

    With ``curve`` the socket is a CURVE server and a ZAP handler on the
    context admits only the listed client keys. A CURVE server without a
    ``context`` gets a context of its own (libzmq allows one ZAP handler per
    context), terminated by :meth:`close`."""

    def __init__(
        self,
        backend: Backend,
        bind: str,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        poll_ms: int = 100,
        max_message_bytes: int = MAX_REQUEST_BYTES,
        curve: ServerCurve | None = None,
    ) -> None:
        self._own_ctx = context is None and curve is not None
        self._ctx = context or (zmq.Context() if curve is not None else zmq.Context.instance())
        self._auth: ThreadAuthenticator | None = None
        try:
            if curve is not None:
                self._auth = curve.start(self._ctx)
            self._socket = self._ctx.socket(zmq.REP)
            self._socket.setsockopt(zmq.LINGER, 1000)
            self._socket.setsockopt(zmq.MAXMSGSIZE, max_message_bytes)
            if curve is not None:
                curve.apply(self._socket)
            self._socket.bind(bind)
        except BaseException:
            self._release()
            raise
        last = self._socket.getsockopt(zmq.LAST_ENDPOINT)
        self.endpoint = last.decode() if isinstance(last, bytes) and last else bind
        self.dispatcher = Dispatcher(backend)
        self.poll_ms = poll_ms
        log.info(
            "protocol v1 server bound at %s (%s)",
            self.endpoint,
            "CURVE" if curve is not None else "no authentication",
        )

    def serve(self, stop: threading.Event | None = None) -> ServeStats:
        """Answers requests until a ``close`` request (answered ``ok`` first) or
        ``stop`` is set. Bad requests get error replies and do not end the loop."""
        while stop is None or not stop.is_set():
            if not self._socket.poll(self.poll_ms, zmq.POLLIN):
                continue
            frames = self._socket.recv_multipart(copy=False)
            reply, done = self.dispatcher.respond([f.buffer for f in frames])
            self._socket.send_multipart(reply, copy=False)
            if done:
                log.info("close requested; serve loop at %s ends", self.endpoint)
                break
        return self.dispatcher.stats

    def close(self) -> None:
        """Closes the socket (and the ZAP handler and own context of a CURVE server)."""
        self._release()

    def _release(self) -> None:
        if hasattr(self, "_socket"):
            self._socket.close()
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
        if self._own_ctx:
            self._ctx.term()
            self._own_ctx = False

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_until_stopped(
    backend: Backend, bind: str, name: str, curve: ServerCurve | None = None
) -> ServeStats:
    """Serves ``backend`` at ``bind`` until a ``close`` request, SIGINT or
    SIGTERM, logs the counters, then closes the backend (also when serving
    fails). ``name`` names the simulator in the log; ``curve`` makes it a CURVE
    server (:class:`Server`). The signal handlers are
    installed for the call only (so call it from the main thread) and the
    previous ones restored on the way out."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Server(backend, bind, curve=curve) as server:
            log.info("serving %s at %s", name, server.endpoint)
            stats = server.serve(stop)
        log.info(
            "served %d requests (%d resets, %d steps, %d errors)",
            stats.requests,
            stats.resets,
            stats.steps,
            stats.errors,
        )
        return stats
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        backend.close()
