"""The lazy-pirate client against small in-test servers."""

from __future__ import annotations

import threading
import time

import zmq

from cow_bridge import Client
from cow_bridge.protocol import BridgeTimeoutError, RemoteError, decode_request, encode_error


def test_a_silent_server_times_out_after_the_retries() -> None:
    ctx = zmq.Context()
    silent = ctx.socket(zmq.ROUTER)
    silent.bind("inproc://silent")
    client = Client("inproc://silent", timeout_ms=100, retries=2, context=ctx)
    start = time.monotonic()
    try:
        client.hello()
    except BridgeTimeoutError as e:
        assert (e.attempts, e.timeout_ms) == (3, 100)
    else:
        raise AssertionError("expected a timeout")
    assert 0.29 < time.monotonic() - start < 2.0
    client.disconnect()
    silent.close(linger=0)
    ctx.term()


def test_error_replies_raise_remote_errors() -> None:
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    rep.bind("inproc://errors")

    def serve_one() -> None:
        req = decode_request(rep.recv_multipart())
        rep.send_multipart(encode_error(req.id, "unknown_episode", f"no {req.episode_id}"))

    thread = threading.Thread(target=serve_one)
    thread.start()
    client = Client("inproc://errors", timeout_ms=2000, retries=0, context=ctx)
    try:
        client.reset("mars")
    except RemoteError as e:
        assert (e.code, e.message) == ("unknown_episode", "no mars")
    else:
        raise AssertionError("expected a remote error")
    thread.join()
    client.disconnect()
    rep.close(linger=0)
    ctx.term()
