"""The server soak: ``cow sim serve`` under many mixed good and bad requests
from several clients at once, sampled every ``period`` seconds.

Each client thread sends its share of requests, drawn with a seeded random
generator from :data:`KINDS`: good ones through :class:`cow_bridge.Client`
(hello, episodes, reset, step, episode_result) and bad ones on a raw REQ socket
(bytes that are no JSON, a header of another protocol version, an unknown
type, a reset of an unknown episode, a step with an unknown action, too many
parts, a part over the server's 16 MB request limit). A bad request must be
answered with an ``error`` reply, except the oversized one, which the server
drops unread (ZMQ_MAXMSGSIZE): the client then times out, as it should.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import zmq

from cow_tools.soak.sample import Sample, read

VERSION = 1
"""Protocol version of the requests."""
OVERSIZED_BYTES = 17 << 20
"""A part just over the server's request limit (16 MB)."""

GOOD = ("hello", "episodes", "reset", "step", "episode_result")
BAD = (
    "not_json",
    "wrong_version",
    "unknown_type",
    "unknown_episode",
    "unknown_action",
    "many_parts",
    "oversized",
)
KINDS = GOOD + BAD
"""Every request kind the soak sends; ``oversized`` is rarer (:data:`WEIGHTS`)."""
WEIGHTS = {k: 1.0 for k in KINDS} | {"step": 4.0, "reset": 1.5, "oversized": 0.08}
"""Relative frequency of each kind."""


def _header(kind: str, rid: int, **body: object) -> bytes:
    return json.dumps({"v": VERSION, "type": kind, "id": rid, **body}).encode()


def bad_request(kind: str, rid: int) -> list[bytes]:
    """The parts of one bad request of ``kind``."""
    if kind == "not_json":
        return [b"\x00\xffnot json{"]
    if kind == "wrong_version":
        return [json.dumps({"v": 99, "type": "hello", "id": rid}).encode()]
    if kind == "unknown_type":
        return [_header("teleport", rid)]
    if kind == "unknown_episode":
        return [_header("reset", rid, episode_id="no-such-episode/../x")]
    if kind == "unknown_action":
        return [_header("step", rid, action="Fly")]
    if kind == "many_parts":
        return [_header("hello", rid)] + [b"x" * 1024] * 64
    if kind == "oversized":
        return [_header("hello", rid), bytes(OVERSIZED_BYTES)]
    raise ValueError(f"not a bad request kind: {kind}")


@dataclass
class Tally:
    """What the clients saw, by request kind."""

    sent: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    """Good requests answered as expected, bad ones answered with an error."""
    errors: Counter[str] = field(default_factory=Counter)
    """Good requests answered with an error (e.g. a step after another client's
    episode ended: the server is shared)."""
    unanswered: Counter[str] = field(default_factory=Counter)
    """No reply within the timeout (expected only for ``oversized``)."""
    wrong: list[str] = field(default_factory=list)
    """Replies that break the protocol (a bad request answered as if good)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, verdict: str, detail: str = "") -> None:
        """Counts one request."""
        with self.lock:
            self.sent[kind] += 1
            if verdict == "answered":
                self.answered[kind] += 1
            elif verdict == "error":
                self.errors[kind] += 1
            elif verdict == "unanswered":
                self.unanswered[kind] += 1
            else:
                self.wrong.append(f"{kind}: {detail}")


def _raw(
    ctx: zmq.Context[zmq.Socket[bytes]], endpoint: str, parts: list[bytes], timeout_ms: int
) -> list[bytes] | None:
    sock = ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    try:
        sock.send_multipart(parts)
        if sock.poll(timeout_ms, zmq.POLLIN):
            return sock.recv_multipart()
        return None
    finally:
        sock.close(linger=0)


def _client(
    endpoint: str,
    n: int,
    seed: int,
    tally: Tally,
    timeout_ms: int,
    episodes: list[str],
    mix: dict[str, float],
) -> None:
    from cow_bridge import Client
    from cow_bridge.protocol import BridgeTimeoutError, ProtocolError

    rng = random.Random(seed)
    kinds = list(mix)
    weights = [mix[k] for k in kinds]
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    good = Client(endpoint, timeout_ms=timeout_ms, retries=0, context=ctx)
    try:
        for i in range(n):
            kind = rng.choices(kinds, weights)[0]
            if kind in BAD:
                reply = _raw(ctx, endpoint, bad_request(kind, seed * 1_000_000 + i), timeout_ms)
                if reply is None:
                    tally.add(kind, "unanswered")
                    continue
                head = json.loads(reply[0])
                if head.get("type") == "error":
                    tally.add(kind, "answered")
                else:
                    tally.add(kind, "wrong", f"answered {head.get('type')!r}")
                continue
            try:
                if kind == "hello":
                    good.hello()
                elif kind == "episodes":
                    good.list_episodes()
                elif kind == "reset":
                    good.reset(rng.choice(episodes))
                elif kind == "step":
                    good.step(rng.choice(["MoveAhead", "RotateLeft", "RotateRight"]))
                else:
                    good.episode_result()
                tally.add(kind, "answered")
            except ProtocolError:
                tally.add(kind, "error")
            except BridgeTimeoutError:
                tally.add(kind, "unanswered")
                good.disconnect()
                good = Client(endpoint, timeout_ms=timeout_ms, retries=0, context=ctx)
    finally:
        good.disconnect()
        ctx.term()


@dataclass(frozen=True)
class ServeOutcome:
    """What the soaked server did."""

    requests: int
    tally: Tally
    alive_after: bool
    """The server still answered hello after the soak."""
    exit_code: int | None
    """The server's exit status after it was asked to close (0 = clean)."""


def run(
    cow: Path,
    endpoint: str,
    requests: int,
    clients: int,
    period: float,
    log: Path,
    seed: int = 1,
    timeout_ms: int = 3000,
    mix: dict[str, float] | None = None,
    on_sample: Callable[[Sample], None] = lambda s: None,
) -> tuple[list[Sample], ServeOutcome]:
    """Serves the embedded test split and soaks it with ``requests`` requests drawn
    from ``mix`` (relative frequency per kind; :data:`WEIGHTS` by default)."""
    from cow_bridge import Client

    cmd = [str(cow), "sim", "serve", "--bind", endpoint, "--split", "test", "--episodes", "20", "-q"]
    samples: list[Sample] = []
    tally = Tally()
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        try:
            with Client(endpoint, timeout_ms=20_000, retries=0) as c:
                episodes = [e["id"] for e in c.list_episodes()]
            per = [requests // clients + (k < requests % clients) for k in range(clients)]
            threads = [
                threading.Thread(
                    target=_client,
                    args=(endpoint, per[k], seed + k, tally, timeout_ms, episodes, mix or WEIGHTS),
                )
                for k in range(clients)
            ]
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                s = read(proc.pid, t0)
                samples.append(s)
                on_sample(s)
                deadline = time.monotonic() + period
                while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
                    time.sleep(0.05)
            for t in threads:
                t.join()
            samples.append(read(proc.pid, t0))
            alive = proc.poll() is None
            if alive:
                with Client(endpoint, timeout_ms=5000, retries=0) as c:
                    c.hello()
                    c.close()
            code: int | None = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return samples, ServeOutcome(requests, tally, alive, code)
