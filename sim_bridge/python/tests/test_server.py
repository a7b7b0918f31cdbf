"""The Python serve loop: typed errors, replay cache, keeps serving, close."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zmq

from cow_bridge import Client
from cow_bridge.protocol import (
    Observation,
    ProtocolError,
    RemoteError,
    decode_reply,
    encode_request,
)
from cow_bridge.server import Dispatcher, Server, serve_until_stopped


class Counter:
    """Counts steps; knows one episode, "e"; ``explode`` makes ``step`` raise."""

    def __init__(self) -> None:
        self.steps = 0
        self.running = False
        self.explode = False
        self.closed = False

    def hello(self) -> dict[str, Any]:
        return {"protocol_version": 1, "simulator": "counter"}

    def list_episodes(self) -> list[dict[str, Any]]:
        return [{"id": "e"}]

    def reset(self, episode_id: str) -> Observation:
        if episode_id != "e":
            raise ProtocolError("unknown_episode", f"unknown episode {episode_id!r}")
        self.running, self.steps = True, 0
        return self._obs()

    def step(self, action: str) -> Observation:
        if not self.running:
            raise ProtocolError("no_episode", "step before reset")
        if self.explode:
            raise ZeroDivisionError("the simulator fell over")
        self.steps += 1
        return self._obs()

    def episode_result(self) -> dict[str, Any]:
        return {"steps": self.steps, "spl": float("nan")}

    def close(self) -> None:
        self.closed = True

    def _obs(self) -> Observation:
        return Observation(
            episode_id="e",
            step=self.steps,
            goal="mug",
            goal_category="Mug",
            rgb=np.zeros((2, 3, 3), np.uint8),
            depth=np.ones((2, 3), np.float32),
        )


def ask(d: Dispatcher, kind: str, rid: int, **kw: Any) -> tuple[Any, bool]:
    reply, done = d.respond(list(encode_request(kind, rid, **kw)))
    return decode_reply(reply), done


def test_a_retried_step_is_replayed_not_executed_twice() -> None:
    backend = Counter()
    d = Dispatcher(backend)
    ask(d, "reset", 1, episode_id="e")
    step = list(encode_request("step", 2, action="MoveAhead"))
    first = decode_reply(d.respond(step)[0])
    again = decode_reply(d.respond(step)[0])
    assert first.observation is not None and again.observation is not None
    assert (first.observation.step, again.observation.step, backend.steps) == (1, 1, 1)
    reply, _ = ask(d, "step", 3, action="MoveAhead")
    assert reply.observation.step == 2
    assert (d.stats.requests, d.stats.replays, d.stats.resets, d.stats.steps) == (4, 1, 1, 2)


def test_bad_requests_and_backend_failures_become_typed_error_replies() -> None:
    backend = Counter()
    d = Dispatcher(backend)
    cases = [
        (list(encode_request("step", 7, action="MoveAhead")), 7, "no_episode"),
        (list(encode_request("reset", 8, episode_id="x")), 8, "unknown_episode"),
        ([b'{"v":2,"type":"hello","id":9}'], 9, "version"),
        ([b'{"v":1,"type":"fly","id":10}'], 10, "unknown_type"),
        ([b'{"v":1,"type":"step","id":11,"action":"Fly"}'], 11, "unknown_action"),
        ([b"{"], None, "malformed"),
        ([b'{"v":1,"type":"hello","id":12}', b"extra"], 12, "malformed"),
        (list(encode_request("objects", 13)), 13, "unknown_type"),
        (list(encode_request("episode_result", 14)), 14, "internal"),  # NaN cannot be sent
    ]
    for parts, want_id, want_code in cases:
        reply, done = d.respond(parts)
        r = decode_reply(reply)
        assert (r.kind, r.id, r.body.get("code"), done) == ("error", want_id, want_code, False)
    ask(d, "reset", 20, episode_id="e")
    backend.explode = True
    r, _ = ask(d, "step", 21, action="MoveAhead")
    assert r.body["code"] == "internal" and "fell over" in r.body["message"]
    backend.explode = False
    r, _ = ask(d, "step", 22, action="MoveAhead")
    assert r.observation.step == 1
    assert d.stats.errors == len(cases) + 1


def test_served_over_tcp_until_close_and_the_client_sees_typed_errors() -> None:
    ctx = zmq.Context()
    server = Server(Counter(), "tcp://127.0.0.1:*", context=ctx, poll_ms=20)
    stats: list[Any] = []
    thread = threading.Thread(target=lambda: stats.append(server.serve()))
    thread.start()
    try:
        with Client(server.endpoint, timeout_ms=2000, retries=0, context=ctx) as c:
            assert c.hello()["simulator"] == "counter"
            with pytest.raises(RemoteError) as e:
                c.step("MoveAhead")
            assert e.value.code == "no_episode"
            obs = c.reset("e")
            assert obs.depth.shape == (2, 3)
            assert c.step("RotateLeft").step == 1
            c.close()
        thread.join(5)
        assert not thread.is_alive()
        assert stats[0].errors == 1 and stats[0].steps == 1
    finally:
        server.close()
        ctx.term()


def test_a_stop_event_ends_the_loop() -> None:
    ctx = zmq.Context()
    stop = threading.Event()
    server = Server(Counter(), "tcp://127.0.0.1:*", context=ctx, poll_ms=10)
    thread = threading.Thread(target=server.serve, args=(stop,))
    thread.start()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    server.close()
    ctx.term()


@pytest.mark.parametrize("how", ["close", "SIGTERM", "SIGINT"])
def test_serve_until_stopped_closes_the_backend_and_restores_the_handlers(
    tmp_path: Path, how: str
) -> None:
    backend = Counter()
    endpoint = f"ipc://{tmp_path / 'server'}"
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def stop() -> None:
        with Client(endpoint, timeout_ms=2000, retries=5) as c:
            c.hello()  # answered: the handlers are installed
            if how == "close":
                c.close()
            else:
                os.kill(os.getpid(), signal.Signals[how])

    thread = threading.Thread(target=stop)
    thread.start()
    stats = serve_until_stopped(backend, endpoint, "counter")
    thread.join(5)
    assert stats.requests - stats.replays == (2 if how == "close" else 1)
    assert backend.closed
    assert {s: signal.getsignal(s) for s in before} == before


def test_serve_until_stopped_closes_the_backend_when_it_cannot_serve() -> None:
    backend = Counter()
    with pytest.raises(zmq.ZMQError):
        serve_until_stopped(backend, "tcp://no-such-host.invalid:1", "counter")
    assert backend.closed


class Session(Counter):
    """A world without an episode list: ``reset`` with a goal starts a session."""

    def __init__(self) -> None:
        super().__init__()
        self.goals: list[tuple[str, str]] = []

    def reset_with_goal(self, episode_id: str, goal: str) -> Observation:
        self.goals.append((episode_id, goal))
        self.running, self.steps = True, 0
        return self._obs()


def test_a_reset_with_a_goal_reaches_only_a_backend_that_takes_goals() -> None:
    d = Dispatcher(Counter())
    r, _ = ask(d, "reset", 1, episode_id="e", goal="red mug")
    assert (r.kind, r.body["code"]) == ("error", "malformed")
    assert "carry their own goals" in r.body["message"]
    session = Session()
    d = Dispatcher(session)
    r, _ = ask(d, "reset", 2, episode_id="kitchen", goal="red mug")
    assert r.kind == "observation" and session.goals == [("kitchen", "red mug")]
    r, _ = ask(d, "reset", 3, episode_id="e")
    assert r.kind == "observation" and len(session.goals) == 1
