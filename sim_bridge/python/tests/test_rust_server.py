"""The Python client against the Rust server.

Runs ``$COW_BIN sim serve --bind tcp://127.0.0.1:PORT --split test`` when
``COW_BIN`` names the cow binary, or ``$COW_CORRIDOR_SERVER tcp://127.0.0.1:PORT``
(the ``sim_bridge`` example ``corridor_server``); skips otherwise.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import numpy as np
import pytest
import zmq
from end_to_end import free_port

from cow_bridge import Client
from cow_bridge.protocol import RemoteError, decode_reply


@pytest.fixture
def server() -> Iterator[str]:
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    if os.environ.get("COW_BIN"):
        cmd = [os.environ["COW_BIN"], "sim", "serve", "--bind", endpoint, "--split", "test"]
    elif os.environ.get("COW_CORRIDOR_SERVER"):
        cmd = [os.environ["COW_CORRIDOR_SERVER"], endpoint]
    else:
        pytest.skip("set COW_BIN to the cow binary (or COW_CORRIDOR_SERVER) to test a Rust server")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    try:
        yield endpoint
        # The test ends with a close request: the server exits by itself.
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def raw_error(sock: zmq.Socket[bytes], parts: list[bytes]) -> tuple[int | None, str]:
    sock.send_multipart(parts)
    reply = decode_reply(sock.recv_multipart())
    assert reply.kind == "error", reply
    return reply.id, reply.body["code"]


def test_python_client_drives_the_rust_server(server: str) -> None:
    client = Client(server, timeout_ms=2000, retries=10)
    caps = client.hello()
    assert caps["protocol_version"] == 1
    width, height = caps["camera"]["width"], caps["camera"]["height"]
    episodes = client.list_episodes()
    assert episodes, "the server lists no episodes"

    obs = client.reset(episodes[0]["id"])
    assert (obs.episode_id, obs.step, obs.last_action) == (episodes[0]["id"], 0, None)
    assert obs.rgb.shape == (height, width, 3) and obs.depth.shape == (height, width)
    assert np.isfinite(obs.depth).all()
    assert (obs.semantic is not None) == caps["provides_semantic"]
    for i, action in enumerate(["RotateLeft", "MoveAhead", "RotateRight"], start=1):
        obs = client.step(action)
        assert (obs.step, obs.last_action) == (i, action)
    result = client.episode_result()
    assert result["episode_id"] == episodes[0]["id"] and result["steps"] == 3

    # Malformed requests: typed errors, and the server keeps serving.
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    raw = ctx.socket(zmq.REQ)
    raw.setsockopt(zmq.RCVTIMEO, 5000)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(server)
    assert raw_error(raw, [b'{"v":9,"type":"hello","id":1}']) == (1, "version")
    assert raw_error(raw, [b'{"v":1,"type":"fly","id":2}']) == (2, "unknown_type")
    assert raw_error(raw, [b'{"v":1,"type":"step","id":3,"action":"Jump"}']) == (
        3,
        "unknown_action",
    )
    assert raw_error(raw, [b'{"v":1,"type":"hello","id":4}', b"extra"]) == (4, "malformed")
    assert raw_error(raw, [b"not json"]) == (None, "malformed")
    raw.close()
    with pytest.raises(RemoteError) as err:
        client.reset("no-such-episode")
    assert err.value.code == "unknown_episode"
    assert client.hello()["protocol_version"] == 1
    client.close()
    client.disconnect()
